//! The fenced code blocks of a markdown file, with where they stand (the
//! headings above them) and the classification comment before them, so
//! the docs' examples can be checked one by one.

/// One fenced block.
pub struct Block {
    /// The doc and the 1-based line of the opening fence, for messages.
    pub place: String,
    /// The fence's info string (`json`, `sh`, or empty).
    pub lang: String,
    pub text: String,
    /// The nearest `## ` and `### ` headings above the block.
    pub section: String,
    pub heading: String,
    /// `<!-- schema: … -->` on the nearest non-blank line above the fence.
    pub marker: Option<String>,
}

/// Reads `docs/<name>` from the crate's root.
pub fn read(name: &str) -> String {
    let path = format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every fenced block of the markdown `doc` (called `name` in messages).
/// Fences may be indented (inside a list item); the indent is removed.
pub fn blocks(name: &str, doc: &str) -> Vec<Block> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = Vec::new();
    let (mut section, mut heading) = (String::new(), String::new());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_string();
            heading.clear();
        } else if let Some(h) = line.strip_prefix("### ") {
            heading = h.trim().to_string();
        }
        let trimmed = line.trim_start();
        let Some(lang) = trimmed.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = line.len() - trimmed.len();
        let start = i;
        let mut text = String::new();
        i += 1;
        while i < lines.len() && lines[i].trim_start() != "```" {
            let body = lines[i];
            text.push_str(body.get(indent..).unwrap_or(body.trim_start()));
            text.push('\n');
            i += 1;
        }
        assert!(i < lines.len(), "{name}:{}: unclosed code block", start + 1);
        i += 1;
        out.push(Block {
            place: format!("{name}:{}", start + 1),
            lang: lang.trim().to_string(),
            text,
            section: section.clone(),
            heading: heading.clone(),
            marker: marker(&lines[..start]),
        });
    }
    out
}

/// The `<!-- schema: … -->` comment right above a fence, if any.
fn marker(before: &[&str]) -> Option<String> {
    let line = before.iter().rev().find(|l| !l.trim().is_empty())?.trim();
    let inner = line.strip_prefix("<!-- schema:")?.strip_suffix("-->")?;
    Some(inner.trim().to_string())
}

/// The request bodies of the `curl` commands in a shell block, as
/// (method, path, body): lines ending in `\` are joined, the path is the
/// URL after `$TIDINGS` without its query, the body the `-d '…'` argument.
pub fn curl_commands(sh: &str) -> Vec<(String, String, Option<String>)> {
    let joined = sh.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let Some(at) = line.find("curl ") else {
            continue;
        };
        let command = &line[at..];
        let url = command
            .split("\"$TIDINGS")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("curl without a \"$TIDINGS/...\" URL: {command}"));
        let path = url.split('?').next().unwrap_or(url).to_string();
        let body = command
            .split(" -d '")
            .nth(1)
            .map(|rest| rest.split('\'').next().unwrap_or(rest).to_string());
        let method = match command.split(" -X ").nth(1) {
            Some(rest) => rest.split_whitespace().next().unwrap_or("").to_string(),
            None if body.is_some() => "POST".to_string(),
            None => "GET".to_string(),
        };
        out.push((method, path, body));
    }
    out
}

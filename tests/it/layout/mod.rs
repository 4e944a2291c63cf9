//! The shape of the code, checked: every file of the library, the binary
//! and the bench is parsed (`syn`), every `use` and every `crate::`,
//! `super::` or `self::` path becomes an edge to the file that defines it,
//! and the test fails on an import cycle between files, on a lower part
//! importing an upper one (the rules in [`ONLY`] and [`FORBIDDEN`]), on a
//! `#[path]`
//! attribute, or on a module file without a `//!` comment.
//!
//! What counts as an edge: a path is resolved to the deepest module file it
//! names, so `crate::server::hub::Hub` points at `src/server/hub/mod.rs`
//! and a re-export is an edge of the file that re-exports. A `mod x;`
//! declaration is not an edge (the parent owns the child; the child may
//! use the parent only if the parent uses nothing of it).

mod graph;

use graph::{cycles, edges, load_crate};
use std::path::Path;

/// `(from, to, why)`: no file under module `from` may import anything
/// under module `to`. A prefix `server::hub` covers `server::hub::topic`.
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "protocol",
        "",
        "the protocol is the bottom layer: serde and uuid only",
    ),
    ("client", "server", "the client runs in the browser"),
    (
        "client",
        "components",
        "the client's core knows no component",
    ),
    ("client", "pages", "the client's core knows no page"),
    ("client", "app", "the client's core knows no page"),
    (
        "components",
        "pages",
        "components are fed by props and context",
    ),
    (
        "components",
        "app",
        "components are fed by props and context",
    ),
    ("components", "server", "components run in the browser"),
    ("pages", "server", "pages run in the browser"),
    (
        "server::frames",
        "server",
        "frame encoding is a leaf below every part",
    ),
    (
        "server::budget",
        "server",
        "the memory budget is a leaf every part charges",
    ),
    (
        "server::config",
        "server",
        "configuration is read by every part and reads none",
    ),
    (
        "server::auth",
        "server::hub",
        "tokens and rules know no hub",
    ),
    (
        "server::auth",
        "server::connection",
        "tokens and rules know no connection",
    ),
    (
        "server::backplane",
        "server::hub",
        "the backplane delivers through a trait, not the Hub",
    ),
    (
        "server::backplane",
        "server::connection",
        "the backplane is below connections",
    ),
    (
        "server::backplane",
        "server::jobs",
        "the backplane is below jobs",
    ),
    (
        "server::backplane",
        "server::state",
        "the backplane is below the app's state",
    ),
    (
        "server::hub",
        "server::connection",
        "the hub is below one connection's logic",
    ),
    (
        "server::hub",
        "server::transport",
        "the hub knows no transport",
    ),
    (
        "server::hub",
        "server::http_api",
        "the hub knows no HTTP API",
    ),
    (
        "server::hub",
        "server::jobs",
        "the hub knows no jobs or demo",
    ),
    (
        "server::hub",
        "server::operator",
        "the hub knows no operator surface",
    ),
    (
        "server::hub",
        "server::state",
        "the hub is below the app's state",
    ),
    (
        "server::jobs",
        "server::connection",
        "jobs are driven by connections, not the reverse",
    ),
    (
        "server::jobs",
        "server::transport",
        "jobs know no transport",
    ),
    ("server::jobs", "server::http_api", "jobs know no HTTP API"),
    (
        "server::connection",
        "server::transport",
        "a connection's logic is independent of its transport",
    ),
    (
        "server::connection",
        "server::http_api",
        "a connection knows no HTTP API",
    ),
    (
        "server::transport",
        "server::http_api",
        "transports know no HTTP API",
    ),
    (
        "server::http_api",
        "server::transport",
        "the HTTP API knows no transport",
    ),
    (
        "server::http_api",
        "server::connection",
        "the HTTP API knows no connection",
    ),
    (
        "server::backend",
        "server::http_api",
        "the backend serves the HTTP API",
    ),
    (
        "server::backend",
        "server::embed",
        "the backend serves the embedding handle",
    ),
    (
        "server::backend",
        "server::transport",
        "the backend knows no transport",
    ),
    (
        "server::backend",
        "server::connection",
        "the backend knows no connection",
    ),
    (
        "server::http_api",
        "server::embed",
        "the HTTP API knows no embedding handle",
    ),
    (
        "server::embed",
        "server::serve",
        "the binary's site builds on the embedding",
    ),
];

/// `(part, what it may import)`: the lower parts, each of which may
/// import only itself, the protocol and the parts listed (prefixes, as
/// in [`FORBIDDEN`]).
const ONLY: &[(&str, &[&str])] = &[
    ("server::frames", &[]),
    ("server::budget", &[]),
    ("server::disconnect", &[]),
    ("server::http_error", &[]),
    ("server::auth", &[]),
    ("server::identify", &["server::auth"]),
    ("server::stats", &["server::disconnect"]),
    ("server::config", &["server::auth"]),
    ("server::history", &["server::frames", "server::budget"]),
    (
        "server::backplane",
        &["server::frames", "server::history", "server::budget"],
    ),
    (
        "server::hub",
        &[
            "server::backplane",
            "server::frames",
            "server::history",
            "server::budget",
            "server::stats",
            "server::disconnect",
            "server::auth",
        ],
    ),
];

/// The crate roots whose files are checked, and the module path of each.
const ROOTS: &[&str] = &["src/lib.rs", "src/main.rs", "src/bin/tidings_bench/main.rs"];

#[test]
fn the_code_has_no_import_cycle_no_upward_import_and_no_path_attribute() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for crate_root in ROOTS {
        let modules = load_crate(&root.join(crate_root), &mut problems);
        let edges = edges(&modules, &mut problems);
        let is_lib = *crate_root == "src/lib.rs";
        for (from, to) in edges
            .iter()
            .flat_map(|(f, ts)| ts.iter().map(move |t| (f, t)))
        {
            let (fm, tm) = (&modules.files[from], &modules.files[to]);
            for (lower, upper, why) in FORBIDDEN.iter().filter(|_| is_lib) {
                if under(fm, lower) && under(tm, upper) && !under(tm, lower) {
                    problems.push(format!(
                        "{} imports {}: {why}",
                        rel(root, from),
                        rel(root, to)
                    ));
                }
            }
        }
        for (from, to) in edges
            .iter()
            .flat_map(|(f, ts)| ts.iter().map(move |t| (f, t)))
        {
            let (fm, tm) = (&modules.files[from], &modules.files[to]);
            for (part, allowed) in ONLY.iter().filter(|_| is_lib) {
                let ok = under(tm, part)
                    || under(tm, "protocol")
                    || allowed.iter().any(|a| under(tm, a));
                if under(fm, part) && !ok {
                    problems.push(format!(
                        "{} imports {}: {part} may import only {allowed:?}",
                        rel(root, from),
                        rel(root, to)
                    ));
                }
            }
        }
        for cycle in cycles(&edges) {
            let files: Vec<String> = cycle.iter().map(|f| rel(root, f)).collect();
            problems.push(format!("import cycle between {}", files.join(", ")));
        }
    }
    assert!(
        problems.is_empty(),
        "layout problems:\n  {}",
        problems.join("\n  ")
    );
}

/// Whether module `path` is `prefix` or inside it (`""` is the crate).
fn under(path: &[String], prefix: &str) -> bool {
    let want: Vec<&str> = prefix.split("::").filter(|s| !s.is_empty()).collect();
    path.len() >= want.len() && path.iter().zip(&want).all(|(a, b)| a == b)
}

fn rel(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}

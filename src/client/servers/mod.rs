//! Which servers the browser client may connect to, kept pure so it can be
//! tested natively. A page can be given several server base URLs (several
//! Tidings processes sharing one Redis backplane); the reconnect machine
//! ([`super::reconnect::Machine::with_servers`]) moves to the next one after
//! every lost connection, and the transport turns the chosen base URL into
//! a WebSocket URL with [`ws_url`].
//!
//! Input comes from the page's query string, so it is untrusted: anything
//! that is not a plain `http://host[:port]` or `https://host[:port]` base
//! URL is ignored (never a panic), duplicates are dropped, and at most
//! [`MAX_SERVERS`] are kept. Its tests are in `tests.rs`.
//!
//! May not touch: the browser (no `web_sys`/`js_sys`, no clock reads), the
//! transport, or anything above the client's pure core.

/// Most server URLs a client keeps; the rest are ignored.
pub const MAX_SERVERS: usize = 8;

/// Longest accepted base URL (bytes).
const MAX_URL_LEN: usize = 256;

/// The valid base URLs of `raw`, normalized (lowercase scheme and host,
/// no trailing `/`), without duplicates, at most [`MAX_SERVERS`].
pub fn clean_servers<S: AsRef<str>>(raw: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for candidate in raw.iter().filter_map(|s| clean_base(s.as_ref())) {
        if out.len() >= MAX_SERVERS {
            break;
        }
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// A comma-separated list (e.g. the `?servers=` query parameter), cleaned
/// as [`clean_servers`] does.
pub fn parse_servers(list: &str) -> Vec<String> {
    let parts: Vec<&str> = list.split(',').take(4 * MAX_SERVERS).collect();
    clean_servers(&parts)
}

/// `http(s)://host[:port]` (an optional trailing `/` is dropped), or
/// `None` for anything else: other schemes, paths, queries, fragments,
/// credentials, spaces, empty hosts, bad ports.
pub fn clean_base(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() || url.len() > MAX_URL_LEN {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = split_host_port(authority)?;
    if !valid_host(host) {
        return None;
    }
    let host = host.to_ascii_lowercase();
    match port {
        Some(port) => Some(format!("{scheme}://{host}:{port}")),
        None => Some(format!("{scheme}://{host}")),
    }
}

/// The WebSocket endpoint of a base URL from [`clean_base`]:
/// `http://h:p` → `ws://h:p/ws`, `https://h` → `wss://h/ws`.
pub fn ws_url(base: &str) -> Option<String> {
    let base = clean_base(base)?;
    let (scheme, rest) = base.split_once("://")?;
    let ws = if scheme == "https" { "wss" } else { "ws" };
    Some(format!("{ws}://{rest}/ws"))
}

/// Splits `host[:port]` (IPv6 hosts in brackets); the port must be 1–65535.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (v6, after) = inner.split_once(']')?;
        let host = &authority[..v6.len() + 2];
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            let n: u32 = p.parse().ok()?;
            Some(u16::try_from(n).ok().filter(|n| *n > 0)?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// A DNS name or IPv4 address (letters, digits, `-`, `.`), or a bracketed
/// IPv6 address (hex digits, `:`, `.`).
fn valid_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !v6.is_empty()
            && v6.contains(':')
            && v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    !host.is_empty()
        && host.len() <= 253
        && !host.starts_with(['.', '-'])
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

#[cfg(test)]
mod tests;

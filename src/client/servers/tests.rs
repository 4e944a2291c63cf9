//! Tests of server URL cleaning: bad input is ignored, never a panic.

use super::*;

#[test]
fn plain_http_and_https_bases_are_kept_and_normalized() {
    assert_eq!(
        clean_base("http://127.0.0.1:3911"),
        Some("http://127.0.0.1:3911".into())
    );
    assert_eq!(
        clean_base(" HTTPS://Example.COM/ "),
        Some("https://example.com".into())
    );
    assert_eq!(
        clean_base("http://[::1]:80"),
        Some("http://[::1]:80".into())
    );
    assert_eq!(clean_base("http://[::1]"), Some("http://[::1]".into()));
}

#[test]
fn anything_else_is_ignored() {
    for bad in [
        "",
        "   ",
        "127.0.0.1:3911",
        "ws://127.0.0.1:3911",
        "javascript:alert(1)",
        "ftp://host",
        "http://",
        "http://:80",
        "http://host:0",
        "http://host:65536",
        "http://host:99999999999999999999",
        "http://host:80x",
        "http://host:",
        "http://host/path",
        "http://host?x=1",
        "http://host#f",
        "http://user@host",
        "http://ho st",
        "http://[::1",
        "http://[]",
        "http://[::1]x",
        "http://.host",
        "http://hÖst",
        "http://a:b:c",
    ] {
        assert_eq!(clean_base(bad), None, "{bad:?} must be ignored");
    }
    let long = format!("http://{}", "a".repeat(300));
    assert_eq!(clean_base(&long), None);
}

#[test]
fn a_list_keeps_order_drops_bad_and_duplicate_entries_and_caps_at_eight() {
    let got = parse_servers("http://a:1, bogus ,http://b:2,,http://a:1/,https://c");
    assert_eq!(got, ["http://a:1", "http://b:2", "https://c"]);
    let many: Vec<String> = (1..=20).map(|p| format!("http://h:{p}")).collect();
    let got = clean_servers(&many);
    assert_eq!(got.len(), MAX_SERVERS);
    assert_eq!(got[0], "http://h:1");
    assert_eq!(got[7], "http://h:8");
    assert!(parse_servers("").is_empty());
    assert!(parse_servers(&",".repeat(10_000)).is_empty());
}

#[test]
fn websocket_urls_follow_the_scheme() {
    assert_eq!(
        ws_url("http://127.0.0.1:3911"),
        Some("ws://127.0.0.1:3911/ws".into())
    );
    assert_eq!(
        ws_url("https://example.com"),
        Some("wss://example.com/ws".into())
    );
    assert_eq!(ws_url("nope"), None);
}

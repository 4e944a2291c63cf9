//! The site's pages as the server renders them: `/` is the workspace of
//! the room in the query, `/admin` the admin page, any other path the
//! app's 404 — each rendered by a real server on port 0 (the app picks its
//! page by path, `pages/location.rs`, with no router). The workspace opens
//! its socket from the page's head (`pages/preconnect.rs`).

use crate::support::*;

#[tokio::test]
async fn each_path_renders_its_page() {
    let server = TestServer::start(|_| {}).await;

    let (status, body) = http(
        server.addr,
        "GET",
        "/?room=Night-Shift&name=Ann",
        None,
        None,
    )
    .await;
    let html = body.as_str().expect("an HTML page");
    assert_eq!(status, 200);
    assert!(html.contains("<title>Tidings</title>"), "{html}");
    assert!(
        html.contains(r#"href="/pkg/tidings.css""#),
        "the style sheet is linked"
    );
    let preconnect = html
        .find("window.__tidingsSocket=")
        .expect("the workspace opens its socket from the head");
    assert!(
        preconnect < html.find("/pkg/tidings.css").expect("the style sheet"),
        "the preconnect script comes before the style sheet, which would hold it back"
    );
    let room = html
        .split(r#"class="room-name""#)
        .nth(1)
        .expect("the room's name");
    let room = &room[..room.find("</span>").expect("its end")];
    assert!(
        room.contains("night-shift"),
        "the room from the query, cleaned: {room}"
    );
    assert!(
        html.contains(r#"data-testid="conn-badge""#),
        "the workspace: {html}"
    );

    let (status, body) = http(server.addr, "GET", "/admin", None, None).await;
    let html = body.as_str().expect("an HTML page");
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-testid="admin-page""#),
        "the admin page: {html}"
    );
    assert!(
        !html.contains("__tidingsSocket"),
        "only the workspace preconnects"
    );

    let (status, body) = http(server.addr, "GET", "/no-such-page", None, None).await;
    assert_eq!(status, 404);
    assert!(
        body.as_str()
            .unwrap_or_default()
            .contains("Page not found."),
        "{body}"
    );
}

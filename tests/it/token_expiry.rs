//! Tokens end: a connection opened with a token is closed with 4004 when
//! its `exp` plus the configured leeway passes, unless an `auth` frame
//! refreshed it in place with a token for the same user. Real server on
//! port 0, real WebSocket clients.

use crate::support::*;
use tidings::protocol::*;
use tidings::server::auth::{Auth, Claims};

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(sub: &str, exp: u64) -> String {
    Auth::new(TEST_SECRET.as_bytes()).mint(&Claims {
        sub: sub.into(),
        name: sub.to_uppercase(),
        exp,
        subscribe: vec!["room:*".into()],
        publish: vec!["room:*".into()],
        admin: false,
    })
}

async fn connect_with(server: &TestServer, token: &str) -> Client {
    let ws = connect_raw(server.addr, &format!("token={token}"), None)
        .await
        .expect("the token is accepted at the upgrade");
    Client::from_ws(ws).await
}

/// The answer to `frame_id` (an `ack` or an `error`).
async fn answer(c: &mut Client, frame_id: FrameId) -> ServerMsg {
    c.until(|f| f.reference == Some(frame_id)).await.msg
}

fn auth(token: &str) -> ClientMsg {
    ClientMsg::Auth(AuthBody {
        token: token.into(),
    })
}

/// The connection still answers a `ping`.
async fn alive(c: &mut Client) {
    let id = c.send(None, ClientMsg::Ping).await;
    assert_eq!(answer(c, id).await, ServerMsg::Pong);
}

#[tokio::test]
async fn a_connection_closes_at_expiry_unless_refreshed() {
    let server = TestServer::start(|c| c.jwt_leeway_secs = 0).await;
    // Both connections start with a token that ends in a few seconds.
    let exp = unix_now() + 6;
    let mut kept = connect_with(&server, &token("alice", exp)).await;
    let mut ended = connect_with(&server, &token("alice", exp)).await;
    alive(&mut ended).await;

    // A fresh token for the same user, in place: acked, rules kept.
    let id = kept
        .send(None, auth(&token("alice", unix_now() + 3600)))
        .await;
    assert_eq!(answer(&mut kept, id).await, ServerMsg::Ack);

    // The other one is closed with 4004 when its token ends ...
    assert_eq!(
        ended.expect_close().await,
        (close::TOKEN_EXPIRED, "token expired".to_string())
    );
    assert!(unix_now() >= exp, "closed before the token's exp");
    await_disconnects(server.addr, "token_expired", 1, FRAME_WAIT).await;
    // ... while the refreshed one, past the same moment, still works.
    alive(&mut kept).await;
    kept.subscribe("room:after").await;
}

#[tokio::test]
async fn the_leeway_is_configurable() {
    // 2 s past exp: inside a 30 s leeway it is accepted (and then ends at
    // exp + 30 s, far away); without leeway it is refused at the upgrade.
    let late = token("bob", unix_now() - 2);
    let lenient = TestServer::start(|c| c.jwt_leeway_secs = 30).await;
    let mut c = connect_with(&lenient, &late).await;
    alive(&mut c).await;

    let strict = TestServer::start(|c| c.jwt_leeway_secs = 0).await;
    let ws = connect_raw(strict.addr, &format!("token={late}"), None)
        .await
        .expect("the upgrade itself succeeds");
    let mut c = Client::unwelcomed(ws);
    let refusal = c.next().await;
    assert!(
        matches!(&refusal.msg, ServerMsg::Error(e) if e.code == ErrorCode::Unauthorized),
        "{refusal:?}"
    );
    assert_eq!(c.expect_close().await.0, close::UNAUTHORIZED);
}

#[tokio::test]
async fn a_refresh_with_a_bad_or_foreign_token_changes_nothing() {
    let server = TestServer::start(|_| {}).await;
    let mut c = connect_with(&server, &token("carol", unix_now() + 3600)).await;

    let cases = [
        (token("mallory", unix_now() + 3600), ErrorCode::Forbidden),
        (token("carol", unix_now() - 3600), ErrorCode::Unauthorized),
        ("not.a.token".to_string(), ErrorCode::Unauthorized),
    ];
    for (bad, code) in cases {
        let id = c.send(None, auth(&bad)).await;
        match answer(&mut c, id).await {
            ServerMsg::Error(e) => assert_eq!(e.code, code, "{}", e.message),
            other => panic!("expected an error, got {other:?}"),
        }
        alive(&mut c).await;
    }
    assert_eq!(c.welcome.user.id, "user-carol");
    c.subscribe("room:still-carol").await;

    // A guest has no token to refresh.
    let mut guest = server.client("Gus").await;
    let id = guest
        .send(None, auth(&token("carol", unix_now() + 3600)))
        .await;
    match answer(&mut guest, id).await {
        ServerMsg::Error(e) => assert_eq!(e.code, ErrorCode::BadFrame),
        other => panic!("expected an error, got {other:?}"),
    }
    alive(&mut guest).await;
}

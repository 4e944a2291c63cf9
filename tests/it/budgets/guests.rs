//! Budgets per client: guests per client address and the trusted-proxy
//! rule, guests' smaller frame limit, the byte rate (refuse, then close),
//! and no fresh burst for a guest that reconnects after flooding.

use crate::support::*;
use tidings::protocol::*;

/// Opens `/ws?{query}` with extra request headers.
pub(super) async fn connect_with(
    addr: std::net::SocketAddr,
    query: &str,
    headers: &[(&str, &str)],
) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/ws?{query}")
        .into_client_request()
        .unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    tokio_tungstenite::connect_async(req)
        .await
        .expect("upgrade")
        .0
}

/// The first frame of a connection: `Ok(welcome)` or the refusal's code
/// and close.
pub(super) async fn admitted(ws: Ws) -> Result<Client, (ErrorCode, u16, String)> {
    let mut c = Client::unwelcomed(ws);
    let f = c.next().await;
    match f.msg {
        ServerMsg::Welcome(w) => {
            c.welcome = w;
            Ok(c)
        }
        ServerMsg::Error(e) => {
            let (code, reason) = c.expect_close().await;
            Err((e.code, code, reason))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn guests_are_bounded_per_client_address() {
    let server = TestServer::start(|c| c.max_guest_connections_per_ip = 2).await;
    let addr = server.addr;
    let _a = admitted(connect_with(addr, "name=a&uid=a", &[]).await)
        .await
        .unwrap();
    let _b = admitted(connect_with(addr, "name=b&uid=b", &[]).await)
        .await
        .unwrap();
    // A third self-chosen id from the same address does not help; nor does
    // a forwarded-for header from a peer that is not a trusted proxy.
    let refused =
        admitted(connect_with(addr, "name=c&uid=c", &[("x-forwarded-for", "198.51.100.9")]).await)
            .await
            .err()
            .expect("refused");
    assert_eq!(
        refused,
        (
            ErrorCode::LimitReached,
            close::POLICY,
            "too many guest connections from this address".into()
        )
    );
    // Token holders are bounded per user, not per address.
    let token = tidings::server::auth::Auth::new(TEST_SECRET.as_bytes()).mint(&claims("member"));
    let _m = admitted(connect_with(addr, &format!("token={token}"), &[]).await)
        .await
        .unwrap();
    let h = health(addr).await;
    assert_eq!(h["stats"]["refused"]["guest_address_limit"], 1);
}

#[tokio::test]
async fn guests_get_a_smaller_frame_limit_than_token_holders() {
    let server = TestServer::start(|c| {
        c.max_frame_bytes = 8192;
        c.guest_max_frame_bytes = 2048;
    })
    .await;
    let token = tidings::server::auth::Auth::new(TEST_SECRET.as_bytes()).mint(&claims("member"));
    let ws = connect_with(server.addr, &format!("token={token}"), &[]).await;
    let mut member = admitted(ws).await.unwrap();
    let id = member
        .send(Some("room:big"), publish(&"m".repeat(3000)))
        .await;
    assert_eq!(
        member.until(|f| f.reference == Some(id)).await.msg,
        ServerMsg::Ack
    );
    let mut guest = server.client("small").await;
    guest
        .send(Some("room:big"), publish(&"g".repeat(3000)))
        .await;
    assert_eq!(guest.expect_close().await.0, close::TOO_BIG);
}

fn claims(sub: &str) -> tidings::server::auth::Claims {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    tidings::server::auth::Claims {
        sub: sub.into(),
        name: sub.into(),
        subscribe: vec!["room:*".into()],
        publish: vec!["room:*".into()],
        exp,
        admin: false,
    }
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_address() {
    let server = TestServer::start(|c| {
        c.max_guest_connections_per_ip = 1;
        c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let addr = server.addr;
    let via = |ip: &'static str| [("x-forwarded-for", ip)];
    let _one = admitted(connect_with(addr, "name=a&uid=a", &via("198.51.100.1")).await)
        .await
        .unwrap();
    let _two = admitted(connect_with(addr, "name=b&uid=b", &via("198.51.100.2")).await)
        .await
        .unwrap();
    let forwarded = [("forwarded", "for=198.51.100.3")];
    let _three = admitted(connect_with(addr, "name=c&uid=c", &forwarded).await)
        .await
        .unwrap();
    let again = admitted(connect_with(addr, "name=d&uid=d", &via("198.51.100.1")).await).await;
    assert_eq!(
        again.err().map(|e| e.1),
        Some(close::POLICY),
        "198.51.100.1 is full"
    );
}

#[tokio::test]
async fn the_byte_rate_refuses_then_closes() {
    let server = TestServer::start(|c| {
        c.max_frame_bytes = 4096;
        c.guest_max_frame_bytes = 4096;
        c.rate_limit_bytes_per_sec = 1024;
        c.rate_limit_bytes_burst = 4096;
        c.rate_limit_strikes = 3;
    })
    .await;
    let mut c = server.client("heavy").await;
    c.subscribe("room:heavy").await;
    // Each ~3.9 KB frame takes nearly the whole burst; the next one needs
    // almost 4 s of refill, far longer than sending it takes.
    let first = c.send(Some("room:heavy"), publish(&"x".repeat(3600))).await;
    for _ in 0..4 {
        c.send(Some("room:heavy"), publish(&"y".repeat(3600))).await;
    }
    let (mut acked, mut limited) = (false, 0);
    let code = loop {
        match tokio::time::timeout(FRAME_WAIT, futures_util::StreamExt::next(&mut c.ws))
            .await
            .expect("a frame")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                let f = decode_server(t.as_str()).unwrap();
                match f.msg {
                    ServerMsg::Ack if f.reference == Some(first) => acked = true,
                    ServerMsg::Error(e) if e.code == ErrorCode::RateLimited => {
                        assert!(e.message.contains("bytes"), "{}", e.message);
                        limited += 1;
                    }
                    _ => {}
                }
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f)))) => {
                break u16::from(f.code);
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(acked, "the first frame fit the burst");
    assert_eq!(
        limited, 3,
        "three refusals (the strikes), the fourth closes"
    );
    assert_eq!(code, close::POLICY);
    let h = health(server.addr).await;
    assert_eq!(h["stats"]["refused"]["byte_rate"], 3);
}

#[tokio::test]
async fn a_guest_closed_for_flooding_comes_back_without_a_fresh_burst() {
    let server = TestServer::start(|c| {
        c.max_frame_bytes = 4096;
        c.guest_max_frame_bytes = 4096;
        c.rate_limit_bytes_per_sec = 1024;
        c.rate_limit_bytes_burst = 4096;
        c.rate_limit_strikes = 3;
    })
    .await;
    let big = || publish(&"f".repeat(3600));
    let mut c = server.client("flooder").await;
    for _ in 0..5 {
        c.send(Some("room:flood"), big()).await;
    }
    assert_eq!(c.expect_close().await.0, close::POLICY);
    // Back at once under another self-chosen id: the address's buckets and
    // strikes are where the last connection left them, so the first large
    // frame is refused and the connection closed, instead of a new burst.
    let mut again = server.client("flooder-2").await;
    let id = again.send(Some("room:flood"), big()).await;
    let answer = loop {
        match tokio::time::timeout(FRAME_WAIT, futures_util::StreamExt::next(&mut again.ws))
            .await
            .expect("an answer")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                let f = decode_server(t.as_str()).unwrap();
                if f.reference == Some(id) || matches!(f.msg, ServerMsg::Error(_)) {
                    break format!("{:?}", f.msg);
                }
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f)))) => {
                break format!("close {}", u16::from(f.code));
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(
        answer == "close 1008" || answer.contains("RateLimited"),
        "{answer}"
    );
    // A token holder from the same address is not affected.
    let token = tidings::server::auth::Auth::new(TEST_SECRET.as_bytes()).mint(&claims("member"));
    let ws = connect_with(server.addr, &format!("token={token}"), &[]).await;
    let mut member = admitted(ws).await.unwrap();
    let id = member.send(Some("room:flood"), big()).await;
    assert_eq!(
        member.until(|f| f.reference == Some(id)).await.msg,
        ServerMsg::Ack
    );
}

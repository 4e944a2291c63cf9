//! The embedding example (`examples/embed_axum.rs`) driven as a user
//! would: the real example binary on 127.0.0.1:0, its own login route
//! over HTTP, real WebSocket clients on the hub it mounts at `/rt`. The
//! app's identity hook names the cookie's user; its own handler streams
//! an answer with typed calls and hears the user's Stop.

use crate::support::*;
use std::io::BufRead;
use std::net::SocketAddr;
use tidings::protocol::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The example binary, which `cargo test` (and the test command) builds
/// beside this test binary.
fn example_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let debug = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let bin = debug.join("examples").join("embed_axum");
    assert!(
        bin.exists(),
        "{bin:?} is missing: build it with `cargo build --features ssr --example embed_axum`"
    );
    bin
}

/// Kills the example when the test ends, however it ends.
struct Example(std::process::Child);

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the example on a free port and reads the address it prints.
async fn start() -> (Example, SocketAddr) {
    let mut child = std::process::Command::new(example_bin())
        .arg("127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the example");
    let stdout = child.stdout.take().expect("piped stdout");
    let guard = Example(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    });
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), line)
        .await
        .expect("the example printed its address in time")
        .expect("reader")
        .expect("a line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("an address");
    (guard, addr)
}

/// One HTTP/1.1 request; answers the status, the headers and the body.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// Logs `name` in and answers the cookie to send back.
async fn login(addr: SocketAddr, name: &str) -> String {
    let (status, head, _) = request(addr, "POST", &format!("/login?name={name}"), None).await;
    assert_eq!(status, 204, "{head}");
    let set = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .expect("a Set-Cookie header");
    set.split(';').next().expect("name=value").to_string()
}

/// A WebSocket to the hub at `/rt/ws`, with the app's cookie if given.
async fn connect(addr: SocketAddr, query: &str, cookie: Option<&str>) -> Client {
    let mut req = format!("ws://{addr}/rt/ws?{query}")
        .into_client_request()
        .unwrap();
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse().unwrap());
    }
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("upgrade");
    Client::from_ws(ws).await
}

/// Asks the app's handler for `words` words; answers the stream's id.
async fn ask(addr: SocketAddr, cookie: &str, words: usize) -> StreamId {
    let (status, head, body) =
        request(addr, "POST", &format!("/ask?words={words}"), Some(cookie)).await;
    assert_eq!(status, 200, "{head}\n{body}");
    let body: serde_json::Value = serde_json::from_str(body.trim()).expect("JSON");
    body["stream_id"]
        .as_str()
        .expect("stream_id")
        .parse()
        .expect("a uuid")
}

#[tokio::test]
async fn an_axum_app_mounts_the_hub_names_its_users_and_streams_from_its_handler() {
    let (_example, addr) = start().await;
    let (status, _, body) = request(addr, "GET", "/", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("my app"), "{body}");

    // The app's login names the WebSocket's user (no token, no guest).
    let cookie = login(addr, "ada").await;
    let mut ada = connect(addr, "", Some(&cookie)).await;
    assert_eq!(ada.welcome.user.id, "app-ada");
    assert_eq!(ada.welcome.user.name, "ada");
    ada.subscribe("assistant:ada").await;

    // The handler's stream arrives whole, word by word.
    let id = ask(addr, &cookie, 5).await;
    let start = ada
        .until(|f| matches!(&f.msg, ServerMsg::StreamStart(s) if s.stream_id == id))
        .await;
    let ServerMsg::StreamStart(start) = start.msg else {
        unreachable!()
    };
    assert_eq!(start.author.name, "Helper");
    let mut text = String::new();
    let end = loop {
        match ada.next().await.msg {
            ServerMsg::StreamChunk(c) if c.stream_id == id => text.push_str(&c.text),
            ServerMsg::StreamEnd(e) if e.stream_id == id => break e,
            _ => {}
        }
    };
    assert_eq!(end.reason, StreamEndReason::Completed);
    assert_eq!(text, "Tidings streams every word to ");

    // Ada's Stop ends a long stream and reaches the handler's task.
    let id = ask(addr, &cookie, 1_000).await;
    ada.until(|f| matches!(&f.msg, ServerMsg::StreamChunk(c) if c.stream_id == id))
        .await;
    let cancel = ClientMsg::StreamCancel(StreamRef { stream_id: id });
    ada.send(Some("assistant:ada"), cancel).await;
    let end = ada
        .until(|f| matches!(&f.msg, ServerMsg::StreamEnd(e) if e.stream_id == id))
        .await;
    let ServerMsg::StreamEnd(end) = end.msg else {
        unreachable!()
    };
    assert_eq!(end.reason, StreamEndReason::Cancelled);
    let note = ada.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
    assert!(text_of(&note).starts_with("stopped after "), "{note:?}");
}

#[tokio::test]
async fn without_the_apps_cookie_the_default_applies() {
    let (_example, addr) = start().await;
    // Not signed in: a guest, as in the binary; Ada's topic is not theirs.
    let mut guest = connect(addr, "name=Eve&uid=eve", None).await;
    assert_eq!(guest.welcome.user.id, "guest-eve");
    let id = guest
        .send(
            Some("assistant:ada"),
            ClientMsg::Subscribe(SubscribeBody::default()),
        )
        .await;
    let refused = guest.until(|f| f.reference == Some(id)).await;
    assert!(
        matches!(&refused.msg, ServerMsg::Error(e) if e.code == ErrorCode::Forbidden),
        "{refused:?}"
    );
    // A stale cookie is no session either, and /ask refuses it.
    let (status, _, _) = request(addr, "POST", "/ask", Some("session=nobody")).await;
    assert_eq!(status, 401);
}

//! Test support: a real Tidings server on 127.0.0.1:0 and real WebSocket
//! clients speaking the shared protocol.

pub mod redis;

use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;
use tidings::protocol::*;
use tidings::server::{Config, run};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// The HTTP API key test servers use.
pub const TEST_API_KEY: &str = "test-api-key-test-api-key-test-api-key";

/// The token secret test servers use.
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret!";

/// A running server; dropping `stop` (or sending on it) shuts it down.
pub struct TestServer {
    pub addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Starts a server with `tweak` applied to the default config.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config::defaults();
        config.shutdown_grace_ms = 2_000;
        // Load-style tests publish thousands of frames; the rate limit has
        // tests of its own that set it back.
        config.rate_limit_per_sec = 1_000_000;
        config.rate_limit_burst = 1_000_000;
        config.rate_limit_bytes_per_sec = 1 << 30;
        config.rate_limit_bytes_burst = 1 << 30;
        // Every test client is a guest from 127.0.0.1, with frames as large
        // as a token holder's; the budgets tests set these back.
        config.max_guest_connections_per_ip = 1_000_000;
        config.guest_max_frame_bytes = 16_777_216;
        config.jwt_secret = Some(TEST_SECRET.into());
        config.api_key = Some(TEST_API_KEY.into());
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(run(listener, config, async move {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            stop: Some(tx),
            task,
        }
    }

    /// Connects a client named `name` and reads its welcome.
    pub async fn client(&self, name: &str) -> Client {
        Client::connect(self.addr, name).await
    }

    /// Triggers shutdown.
    pub fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A real WebSocket client.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub welcome: Welcome,
}

/// How long a test waits for one frame before failing.
pub const FRAME_WAIT: Duration = Duration::from_secs(30);

/// The raw socket type of a test client.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `/ws?{query}`, optionally with an `Origin` header. Err is the
/// HTTP status of a refused upgrade.
pub async fn connect_raw(addr: SocketAddr, query: &str, origin: Option<&str>) -> Result<Ws, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/ws?{query}")
        .into_client_request()
        .unwrap();
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    match connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("connect failed: {e}"),
    }
}

impl Client {
    pub async fn connect(addr: SocketAddr, name: &str) -> Client {
        let url = format!("ws://{addr}/ws?name={name}&uid={name}");
        let (ws, _) = connect_async(url).await.expect("connect");
        Client::from_ws(ws).await
    }

    /// A placeholder until the real `welcome` is read.
    pub fn empty_welcome() -> Welcome {
        Welcome {
            protocol_version: 0,
            connection_id: String::new(),
            user: User {
                id: String::new(),
                name: String::new(),
            },
            heartbeat_interval_ms: 0,
            server_time: 0,
        }
    }

    /// Wraps an open socket that has not been welcomed (and may never be).
    pub fn unwelcomed(ws: Ws) -> Client {
        Client {
            ws,
            welcome: Client::empty_welcome(),
        }
    }

    /// Wraps an open socket and reads its `welcome`.
    pub async fn from_ws(ws: Ws) -> Client {
        let mut c = Client {
            ws,
            welcome: Client::empty_welcome(),
        };
        let first = c.next().await;
        match first.msg {
            ServerMsg::Welcome(w) => c.welcome = w,
            other => panic!("expected welcome first, got {other:?}"),
        }
        c
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// Sends a protocol frame; returns its id.
    pub async fn send(&mut self, topic: Option<&str>, msg: ClientMsg) -> FrameId {
        let mut frame = Envelope::new(msg, 0);
        frame.topic = topic.map(str::to_string);
        self.send_text(&encode_client(&frame)).await;
        frame.id
    }

    /// Subscribes and waits for `subscribed`.
    pub async fn subscribe(&mut self, topic: &str) -> SubscribedBody {
        self.subscribe_with(topic, SubscribeBody::default()).await
    }

    /// Subscribes with options (resume position, history) and waits for
    /// `subscribed`.
    pub async fn subscribe_with(&mut self, topic: &str, body: SubscribeBody) -> SubscribedBody {
        let id = self.send(Some(topic), ClientMsg::Subscribe(body)).await;
        let f = self
            .until(|f| matches!(f.msg, ServerMsg::Subscribed(_)))
            .await;
        assert_eq!(f.reference, Some(id));
        match f.msg {
            ServerMsg::Subscribed(b) => b,
            _ => unreachable!(),
        }
    }

    /// The next protocol frame (server pings are answered and skipped).
    /// The wait is bounded as a whole: the server's pings (answered here)
    /// do not extend it.
    pub async fn next(&mut self) -> ServerFrame {
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("timed out waiting for a frame")
                .expect("socket ended")
                .expect("socket error");
            match msg {
                Message::Text(t) => {
                    let frame = decode_server(t.as_str()).expect("server frame decodes");
                    if frame.msg == ServerMsg::Ping {
                        self.send(None, ClientMsg::Pong).await;
                        continue;
                    }
                    return frame;
                }
                Message::Close(c) => panic!("unexpected close: {c:?}"),
                _ => continue,
            }
        }
    }

    /// Skips frames until one matches.
    pub async fn until(&mut self, mut pred: impl FnMut(&ServerFrame) -> bool) -> ServerFrame {
        loop {
            let f = self.next().await;
            if pred(&f) {
                return f;
            }
        }
    }

    /// Reads until the socket closes; returns the close code and reason.
    pub async fn expect_close(&mut self) -> (u16, String) {
        loop {
            let msg = tokio::time::timeout(FRAME_WAIT, self.ws.next())
                .await
                .expect("timed out waiting for close");
            match msg {
                Some(Ok(Message::Close(Some(c)))) => return (c.code.into(), c.reason.to_string()),
                Some(Ok(Message::Close(None))) | None => return (1005, String::new()),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("socket error before close: {e}"),
            }
        }
    }
}

/// The text of a `message` frame's data.
pub fn text_of(f: &ServerFrame) -> String {
    match &f.msg {
        ServerMsg::Message(m) => m.data["text"].as_str().unwrap_or_default().to_string(),
        other => panic!("not a message: {other:?}"),
    }
}

pub fn publish(text: &str) -> ClientMsg {
    ClientMsg::Publish(PublishBody {
        data: serde_json::json!({ "text": text }),
    })
}

/// A loopback port that was free a moment ago (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real `tidings` binary on a free loopback port with `args`
/// (output discarded) and waits until it accepts connections. It gets the
/// test secrets (through the environment, so `args` may override them),
/// so it never writes a secrets file into the working directory.
pub async fn spawn_binary(args: &[&str]) -> (std::process::Child, SocketAddr) {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .env("TIDINGS_API_KEY", TEST_API_KEY)
        .env("TIDINGS_JWT_SECRET", TEST_SECRET)
        .args(["--addr", &addr.to_string()])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start tidings");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "tidings did not start listening on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, addr)
}

/// Polls `/healthz` until `stats.disconnects.<reason>` reaches `count`;
/// fails with the last stats after `within`.
pub async fn await_disconnects(addr: SocketAddr, reason: &str, count: u64, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let stats = health(addr).await["stats"].clone();
        if stats["disconnects"][reason].as_u64() >= Some(count) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{count} disconnect(s) for {reason} never came: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `GET /healthz` as JSON (a plain HTTP/1.0 request, no client library).
pub async fn health(addr: SocketAddr) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.0\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let body = raw.split("\r\n\r\n").nth(1).expect("body");
    serde_json::from_str(body).expect("healthz JSON")
}

/// One HTTP/1.0 request; returns the status and the body (JSON when it
/// parses, else a JSON string of the text).
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: test\r\n");
    if let Some(k) = key {
        req.push_str(&format!("Authorization: Bearer {k}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        ));
    } else {
        req.push_str("\r\n");
    }
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let status: u16 = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let text = raw.split("\r\n\r\n").nth(1).unwrap_or_default();
    let value = serde_json::from_str(text).unwrap_or(serde_json::Value::String(text.into()));
    (status, value)
}

/// Whether to run a test's body in this process. True in the process
/// started for the test; elsewhere it runs `test` (its path in this binary,
/// e.g. `lifecycle::some_test`) alone in a new process of this binary,
/// fails unless it passed there, and returns false. For a test that
/// measures the whole process (its resident memory), which the other tests
/// of the one test binary share when they run beside it.
pub async fn in_own_process(test: &str) -> bool {
    const ALONE: &str = "TIDINGS_TEST_ALONE";
    if std::env::var(ALONE).is_ok_and(|t| t == test) {
        return true;
    }
    let name = test.to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().expect("the test binary"))
            .args([name.as_str(), "--exact", "--test-threads=1", "--nocapture"])
            .env(ALONE, &name)
            .output()
            .expect("start the test binary")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test} alone in a process of its own: {}",
        out.status
    );
    false
}

/// Opens a stream over the HTTP API (topic `assistant:big`) and appends
/// 1.2 MB to it: a running stream's text is kept for late joiners, so
/// this passes a 1 MiB memory budget. Returns the stream's id.
pub async fn overfill_with_a_stream(addr: SocketAddr) -> String {
    let (status, body) = http(
        addr,
        "POST",
        "/api/streams",
        Some(TEST_API_KEY),
        Some(r#"{"topic":"assistant:big","author":"Model","prompt":"long"}"#),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let sid = body["stream_id"].as_str().unwrap().to_string();
    let chunk = format!(r#"{{"text":"{}"}}"#, "z".repeat(200_000));
    let path = format!("/api/streams/{sid}/chunks");
    for _ in 0..6 {
        let (status, body) = http(addr, "POST", &path, Some(TEST_API_KEY), Some(&chunk)).await;
        assert_eq!(status, 200, "{body}");
    }
    sid
}

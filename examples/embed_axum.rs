//! Tidings inside your own axum app: this app has its own page and its
//! own login (a session cookie), mounts the hub at `/rt`, lets the hub
//! know its users through an identity hook, and streams an answer from
//! its own handler with typed calls — no HTTP to itself, no JWTs.
//!
//! Run: `cargo run --features ssr --example embed_axum [ADDR]` (default
//! 127.0.0.1:3000), then:
//! - `curl -i -X POST 'http://127.0.0.1:3000/login?name=ada'` → a cookie;
//! - a WebSocket to `ws://127.0.0.1:3000/rt/ws` with that cookie is Ada,
//!   and may subscribe to `assistant:ada`;
//! - `POST /ask?words=20` with the cookie streams 20 words there; a
//!   `stream_cancel` from Ada stops the handler (it says how far it got).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Parser;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tidings::protocol::User;
use tidings::server::auth::{Access, random_secret};
use tidings::server::{Config, OpenStream, Tidings, serve};

/// The app's own sessions: cookie token → user name.
type Sessions = Arc<Mutex<HashMap<String, String>>>;

#[derive(Clone)]
struct App {
    sessions: Sessions,
    tidings: Tidings,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    // Secrets of this process only: no secrets file, no tokens minted.
    let config = Config::try_parse_from([
        "embed_axum",
        "--jwt-secret",
        &random_secret(),
        "--api-key",
        &random_secret(),
        // Visitors who are not signed in may read and write the rooms only.
        "--guest-topics",
        "room:*",
    ])?;
    let sessions: Sessions = Arc::default();
    let known = sessions.clone();
    let (hub, tidings) = Tidings::builder(config)
        .identify(move |parts: &axum::http::request::Parts| {
            let name = session_of(&parts.headers).and_then(|t| known.lock().ok()?.get(&t).cloned());
            async move { name.map(member) }
        })
        .build()?;
    let app = Router::new()
        .route("/", get(|| async { "my app, with Tidings at /rt" }))
        .route("/login", post(login))
        .route("/ask", post(ask))
        .with_state(App {
            sessions,
            tidings: tidings.clone(),
        })
        .nest("/rt", hub);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, app, tidings, async {
        tokio::signal::ctrl_c().await.ok();
    })
    .await?;
    Ok(())
}

/// What a signed-in user may do in the hub: the rooms, and their own
/// assistant topic.
fn member(name: String) -> Access {
    let own = format!("assistant:{name}");
    let topics = vec!["room:*".to_string(), own];
    let user = User {
        id: format!("app-{name}"),
        name,
    };
    Access::member(user, topics.clone(), topics)
}

/// The `session` cookie's value.
fn session_of(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies
        .split(';')
        .find_map(|c| c.trim().strip_prefix("session="))
        .map(str::to_owned)
}

#[derive(Deserialize)]
struct LoginQuery {
    name: String,
}

/// `POST /login?name=` → a session cookie (a real app checks a password).
async fn login(State(app): State<App>, Query(q): Query<LoginQuery>) -> Response {
    let name: String = q
        .name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect();
    if name.is_empty() {
        return (StatusCode::BAD_REQUEST, "name: letters and digits").into_response();
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    if let Ok(mut s) = app.sessions.lock() {
        s.insert(token.clone(), name);
    }
    let cookie = format!("session={token}; HttpOnly; SameSite=Lax; Path=/");
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response()
}

#[derive(Deserialize)]
struct AskQuery {
    #[serde(default = "default_words")]
    words: usize,
}

fn default_words() -> usize {
    12
}

/// `POST /ask?words=N`: streams N words to `assistant:<name>` from this
/// handler's own task; a user's Stop ends the task, which then says how
/// far it got.
async fn ask(State(app): State<App>, headers: HeaderMap, Query(q): Query<AskQuery>) -> Response {
    let name = session_of(&headers).and_then(|t| app.sessions.lock().ok()?.get(&t).cloned());
    let Some(name) = name else {
        return (StatusCode::UNAUTHORIZED, "log in first").into_response();
    };
    let topic = format!("assistant:{name}");
    let author = User {
        id: "app-assistant".into(),
        name: "Helper".into(),
    };
    let req = OpenStream {
        topic: topic.clone(),
        author: None,
        prompt: Some("Tell me about Tidings".into()),
    };
    let stream = match app.tidings.open_stream(req, author) {
        Ok(s) => s,
        Err(e) => return (e.status, e.message).into_response(),
    };
    let id = stream.id();
    let tidings = app.tidings.clone();
    tokio::spawn(async move {
        let words =
            "Tidings streams every word to every tab of yours, and a reconnect loses none of them.";
        let words: Vec<&str> = words.split(' ').cycle().take(q.words.min(1_000)).collect();
        for (sent, word) in words.iter().enumerate() {
            tokio::select! {
                _ = stream.stopped() => {
                    let note = json!({ "text": format!("stopped after {sent} words") });
                    let _ = tidings.publish(&topic, note).await;
                    return;
                }
                _ = tokio::time::sleep(Duration::from_millis(40)) => {}
            }
            if stream.append(&format!("{word} ")).is_err() {
                return;
            }
        }
        let _ = stream.end();
    });
    axum::Json(json!({ "stream_id": id })).into_response()
}

//! The LLM relay (`--llm-url`) against a small local fake of an
//! OpenAI-compatible chat-completions endpoint (axum, streaming SSE on
//! 127.0.0.1:0): the assistant streams the model's tokens into the topic,
//! Stop drops the upstream request, an upstream failure fails the stream.

use crate::support::*;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tidings::protocol::*;

/// What the fake model streams, and what it saw.
#[derive(Clone)]
struct Fake {
    tokens: Vec<String>,
    gap: Duration,
    status: StatusCode,
    /// (authorization header, request body) of each request.
    seen: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
    /// Told when a response stream is dropped before it finished.
    dropped_early: Arc<tokio::sync::Notify>,
}

/// Notifies `dropped_early` unless disarmed (the stream ran to its end).
struct DropGuard(Option<Arc<tokio::sync::Notify>>);
impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(n) = self.0.take() {
            n.notify_one();
        }
    }
}

async fn completions(State(fake): State<Fake>, headers: HeaderMap, body: String) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    fake.seen.lock().unwrap().push((auth, body));
    if fake.status != StatusCode::OK {
        return (fake.status, "upstream trouble").into_response();
    }
    let guard = DropGuard(Some(fake.dropped_early.clone()));
    let events = futures_util::stream::unfold(
        (fake.tokens.clone().into_iter(), guard, false),
        move |(mut tokens, mut guard, done)| async move {
            if done {
                return None;
            }
            tokio::time::sleep(fake.gap).await;
            let data = match tokens.next() {
                Some(t) => serde_json::json!({
                    "choices": [{ "index": 0, "delta": { "content": t } }]
                })
                .to_string(),
                None => {
                    guard.0 = None;
                    return Some((
                        Ok::<_, std::convert::Infallible>(Event::default().data("[DONE]")),
                        (tokens, guard, true),
                    ));
                }
            };
            Some((Ok(Event::default().data(data)), (tokens, guard, false)))
        },
    );
    Sse::new(events).into_response()
}

/// Starts the fake model; returns its base URL (`…/v1`).
async fn fake_model(fake: Fake) -> String {
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

fn fake(tokens: &[&str], gap_ms: u64, status: StatusCode) -> Fake {
    Fake {
        tokens: tokens.iter().map(|t| t.to_string()).collect(),
        gap: Duration::from_millis(gap_ms),
        status,
        seen: Arc::default(),
        dropped_early: Arc::default(),
    }
}

async fn relay_server(url: String) -> TestServer {
    TestServer::start(move |c| {
        c.llm_url = Some(url);
        c.llm_model = "test-model".into();
        c.llm_api_key = Some("k-123".into());
    })
    .await
}

fn ask(prompt: &str) -> ClientMsg {
    ClientMsg::StreamStart(StreamStartBody {
        prompt: prompt.into(),
        stream_id: None,
        from_index: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assistant_streams_the_models_tokens_in_order() {
    let tokens = ["Hello", ",", " world", "! ", "Bye."];
    let model = fake(&tokens, 10, StatusCode::OK);
    let server = relay_server(fake_model(model.clone()).await).await;
    let mut c = server.client("asker").await;
    c.subscribe("room:llm").await;
    c.send(Some("room:llm"), ask("say hello")).await;
    let mut text = Vec::new();
    let end = loop {
        match c.next().await.msg {
            ServerMsg::StreamChunk(ch) => {
                assert_eq!(ch.index as usize, text.len(), "chunks in order");
                text.push(ch.text);
            }
            ServerMsg::StreamEnd(e) => break e,
            ServerMsg::StreamError(e) => panic!("stream failed: {}", e.message),
            _ => {}
        }
    };
    assert_eq!(text, tokens, "every token once, in order");
    assert_eq!(end.reason, StreamEndReason::Completed);
    assert_eq!(end.chunks, tokens.len() as u64);
    let seen = model.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (auth, body) = &seen[0];
    assert_eq!(auth, "Bearer k-123");
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["content"], "say hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_the_stream_and_drops_the_upstream_request() {
    let many: Vec<String> = (0..2_000).map(|i| format!("w{i} ")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let model = fake(&many, 20, StatusCode::OK);
    let server = relay_server(fake_model(model.clone()).await).await;
    let mut c = server.client("stopper").await;
    c.subscribe("room:stop").await;
    c.send(Some("room:stop"), ask("go on forever")).await;
    let mut chunks = 0;
    let id = loop {
        if let ServerMsg::StreamChunk(ch) = c.next().await.msg {
            chunks += 1;
            if chunks == 3 {
                break ch.stream_id;
            }
        }
    };
    let dropped = model.dropped_early.notified();
    c.send(
        Some("room:stop"),
        ClientMsg::StreamCancel(StreamRef { stream_id: id }),
    )
    .await;
    let end = c.until(|f| matches!(f.msg, ServerMsg::StreamEnd(_))).await;
    let ServerMsg::StreamEnd(end) = end.msg else {
        unreachable!()
    };
    assert_eq!(end.reason, StreamEndReason::Cancelled);
    assert!(end.chunks < 100, "stopped early: {} chunks", end.chunks);
    tokio::time::timeout(Duration::from_secs(10), dropped)
        .await
        .expect("the upstream response was dropped (the request cancelled)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_failure_fails_the_stream_with_a_reason() {
    let model = fake(&[], 0, StatusCode::INTERNAL_SERVER_ERROR);
    let server = relay_server(fake_model(model).await).await;
    let mut c = server.client("unlucky").await;
    c.subscribe("room:fail").await;
    c.send(Some("room:fail"), ask("anything")).await;
    let f = c
        .until(|f| matches!(f.msg, ServerMsg::StreamError(_) | ServerMsg::StreamEnd(_)))
        .await;
    match f.msg {
        ServerMsg::StreamError(e) => assert_eq!(e.message, "the model answered HTTP 500"),
        other => panic!("expected stream_error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_answer_the_server_lost_ends_interrupted_not_with_other_text() {
    let model = fake(&["never"], 0, StatusCode::OK);
    let server = relay_server(fake_model(model.clone()).await).await;
    let mut c = server.client("back").await;
    c.subscribe("room:lost").await;
    let id = uuid::Uuid::new_v4();
    c.send(
        Some("room:lost"),
        ClientMsg::StreamStart(StreamStartBody {
            prompt: "what was it?".into(),
            stream_id: Some(id),
            from_index: Some(12),
        }),
    )
    .await;
    let f = c
        .until(|f| {
            matches!(
                f.msg,
                ServerMsg::StreamError(_) | ServerMsg::StreamChunk(_) | ServerMsg::StreamStart(_)
            )
        })
        .await;
    match f.msg {
        ServerMsg::StreamError(e) => {
            assert_eq!(e.stream_id, id);
            assert!(e.message.contains("interrupted"), "{}", e.message);
        }
        other => panic!("expected stream_error, got {other:?}"),
    }
    assert!(
        model.seen.lock().unwrap().is_empty(),
        "the model was not asked again"
    );
}

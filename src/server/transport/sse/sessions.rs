//! Sessions of the SSE fallback transport (`/sse`): each one pairs a
//! long-lived `text/event-stream` response with the `POST /sse/{session}`
//! requests that carry the client's frames. A session is two bounded
//! channels shaped like a WebSocket's halves, so `connection::serve_halves`
//! runs on it unchanged (auth gate, limits, heartbeat, rate limit, dedupe,
//! acks, slow-consumer rules). Every frame waiting in either channel is
//! counted in the memory budget's `sse` part until it is taken out. A session lives exactly as long as its
//! event stream: dropping the stream's [`SessionGuard`] forgets the id.

use crate::server::budget::{MemoryBudget, Part};
use axum::extract::ws::Message;
use futures_util::{Sink, Stream};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::{PollSendError, PollSender};

/// Client frames accepted from POSTs but not yet read by the connection.
/// A POST that finds the queue full waits up to [`SSE_POST_WAIT`].
pub const SSE_INBOUND_QUEUE: usize = 64;
/// Encoded server frames between the connection's writer task and the
/// HTTP response body. Small on purpose: the connection's own outbound
/// lanes (`--outbound-queue` / `--outbound-bytes`) do the real buffering,
/// so a slow reader trips the same slow-consumer rule as on a WebSocket.
pub const SSE_OUTBOUND_QUEUE: usize = 16;
/// Frames one POST may carry (one JSON object per line).
pub const SSE_MAX_BATCH: usize = 32;
/// How long a POST waits for room in the inbound queue before it answers
/// 503 (`busy`); the client re-sends unacknowledged frames.
pub const SSE_POST_WAIT: Duration = Duration::from_secs(5);

/// What the connection reads: client frames as WebSocket messages, each
/// counted in the memory budget's `sse` part while it waits.
pub type Inbound = mpsc::Sender<(Result<Message, axum::Error>, Metered)>;

/// Bytes of one waiting frame, counted in the budget until it is dropped
/// (read by the connection, or thrown away with the session).
#[derive(Debug)]
pub struct Metered {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl Metered {
    pub fn new(budget: &Arc<MemoryBudget>, bytes: usize) -> Self {
        budget.add(Part::Sse, bytes);
        Metered {
            budget: budget.clone(),
            bytes,
        }
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        self.budget.sub(Part::Sse, self.bytes);
    }
}
/// The reading half handed to the connection.
pub type InboundStream = Pin<Box<dyn Stream<Item = Result<Message, axum::Error>> + Send>>;

/// The connection's sink of a session: each server frame is counted in
/// the budget's `sse` part until the event stream has taken it.
pub struct MeteredSink {
    inner: PollSender<(Message, Metered)>,
    budget: Arc<MemoryBudget>,
}

impl Sink<Message> for MeteredSink {
    type Error = PollSendError<(Message, Metered)>;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
        let bytes = match &item {
            Message::Text(t) => t.len(),
            _ => 0,
        };
        let metered = Metered::new(&self.budget, bytes);
        Pin::new(&mut self.inner).start_send((item, metered))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// Every open session, at most `capacity` at once.
pub struct SseSessions {
    map: Mutex<HashMap<String, Inbound>>,
    capacity: usize,
}

/// Too many sessions are open.
#[derive(Debug, PartialEq, Eq)]
pub struct SessionsFull;

/// A new session: its secret id, the connection's halves, and the guard
/// the event stream holds.
pub struct Opened {
    pub id: String,
    /// The connection writes server frames here.
    pub sink: MeteredSink,
    /// The event stream reads them from here (each with its count in the
    /// budget, released when the frame is dropped).
    pub outbound: mpsc::Receiver<(Message, Metered)>,
    /// The connection reads client frames from here.
    pub inbound: InboundStream,
    pub guard: SessionGuard,
}

/// Forgets the session when dropped (the event stream ended), which also
/// ends the connection's inbound stream.
pub struct SessionGuard {
    sessions: Arc<SseSessions>,
    id: String,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.sessions.lock().remove(&self.id);
    }
}

impl SseSessions {
    /// A registry of at most `capacity` sessions (the server passes
    /// `--max-connections`).
    pub fn new(capacity: usize) -> Self {
        SseSessions {
            map: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Inbound>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a session with a fresh unguessable id (256 random bits).
    pub fn open(self: &Arc<Self>, budget: &Arc<MemoryBudget>) -> Result<Opened, SessionsFull> {
        let (in_tx, in_rx) = mpsc::channel(SSE_INBOUND_QUEUE);
        let (out_tx, out_rx) = mpsc::channel(SSE_OUTBOUND_QUEUE);
        let id = crate::server::auth::random_secret();
        {
            let mut map = self.lock();
            if map.len() >= self.capacity {
                return Err(SessionsFull);
            }
            map.insert(id.clone(), in_tx);
        }
        let inbound: InboundStream =
            Box::pin(futures_util::stream::unfold(in_rx, |mut rx| async move {
                rx.recv().await.map(|(m, _metered)| (m, rx))
            }));
        Ok(Opened {
            guard: SessionGuard {
                sessions: self.clone(),
                id: id.clone(),
            },
            id,
            sink: MeteredSink {
                inner: PollSender::new(out_tx),
                budget: budget.clone(),
            },
            outbound: out_rx,
            inbound,
        })
    }

    /// The inbound queue of session `id`, if it is open.
    pub fn inbound(&self, id: &str) -> Option<Inbound> {
        self.lock().get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{SinkExt, StreamExt};

    #[tokio::test]
    async fn frames_waiting_in_a_session_count_in_the_budget() {
        let budget = MemoryBudget::unlimited();
        let sessions = Arc::new(SseSessions::new(4));
        let mut opened = sessions.open(&budget).unwrap();
        opened
            .sink
            .send(Message::text("x".repeat(1000)))
            .await
            .unwrap();
        assert_eq!(budget.used(Part::Sse), 1000, "a server frame waits");
        let inbound = sessions.inbound(&opened.id).unwrap();
        let frame = Ok(Message::text("y".repeat(300)));
        inbound
            .send((frame, Metered::new(&budget, 300)))
            .await
            .unwrap();
        assert_eq!(budget.used(Part::Sse), 1300, "and a client frame");
        drop(opened.outbound.recv().await);
        assert_eq!(budget.used(Part::Sse), 300, "taken by the event stream");
        opened.inbound.next().await.unwrap().unwrap();
        assert_eq!(budget.used(Part::Sse), 0, "read by the connection");
        inbound
            .send((Ok(Message::text("z")), Metered::new(&budget, 1)))
            .await
            .unwrap();
        drop((opened, inbound));
        assert_eq!(budget.used(Part::Sse), 0, "thrown away with the session");
    }
}

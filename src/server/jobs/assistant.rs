//! Streams: the assistant streaming its answer chunk by chunk (the demo's
//! deterministic text, or a model's through the LLM relay), Stop, and the
//! text-so-far kept in the topic for late joiners.

use crate::protocol::*;
use crate::server::frames::now_ms;
use crate::server::hub::topic::StreamSnapshot;
use crate::server::jobs::demo_text;
use crate::server::jobs::{JobRefused, Owner};
use crate::server::state::AppState;
use std::time::Duration;

/// Who the demo assistant is.
pub fn assistant() -> User {
    User {
        id: "assistant".into(),
        name: "Assistant".into(),
    }
}

/// Starts the demo assistant answering `req.prompt` in `topic`. With a
/// `stream_id` the request is idempotent: a stream with that id that the
/// topic knows as ended, or that runs in this process, is left alone. With
/// `from_index` (a client resuming a stream the server lost, e.g. across a
/// restart) the answer continues from that chunk; the text before it is
/// the same, as the demo answer is deterministic. A resume request for a
/// stream this topic knows as unfinished but that no job of this process
/// runs (with a shared backplane: its process died, and the client failed
/// over here) takes the stream over, from the earlier of the client's
/// position and this topic's, so every subscriber here gets each chunk.
pub fn start_demo(
    state: &AppState,
    topic: &str,
    user: &User,
    req: &StreamStartBody,
) -> Result<StreamId, JobRefused> {
    let id = req.stream_id.unwrap_or_else(uuid::Uuid::new_v4);
    let mut from_index = req.from_index.unwrap_or(0);
    if req.stream_id.is_some() {
        let known = state.hub.with_topic(topic, |t| {
            t.streams.iter().find(|s| s.start.stream_id == id).map(|s| {
                (
                    s.start.ended.is_some() || s.failed.is_some(),
                    s.start.next_index,
                )
            })
        });
        match known {
            None => {}
            Some((true, _)) => return Ok(id),
            Some(_) if req.from_index.is_none() || state.jobs.topic_of(id).is_some() => {
                return Ok(id);
            }
            Some((false, here)) => from_index = from_index.min(here),
        }
    }
    if req.from_index.is_some() && state.llm.is_some() {
        // A model's answer cannot be produced again from its middle: the
        // stream ends failed, with the text the readers already have.
        interrupted(state, topic, id);
        return Ok(id);
    }
    let prompt: String = req.prompt.chars().take(500).collect();
    let mut tokens = demo_text::tokens(&demo_text::answer(&prompt));
    let skip = usize::try_from(from_index)
        .unwrap_or(usize::MAX)
        .min(tokens.len());
    let cancel = state.shutdown.child_token();
    let owner = Owner::User(user.id.clone());
    if !state.jobs.register_new(id, topic, cancel.clone(), owner)? {
        return Ok(id); // a concurrent request started it a moment ago
    }
    let start = StreamStart {
        stream_id: id,
        author: assistant(),
        prompt: Some(prompt.clone()),
        text: tokens.drain(..skip).collect(),
        next_index: skip as u64,
        ended: None,
        started_at: now_ms(),
    };
    let retained = state.config.retained_per_topic as usize;
    state.hub.with_topic(topic, |t| {
        let snapshot = StreamSnapshot {
            start: start.clone(),
            failed: None,
        };
        match t.streams.iter_mut().find(|s| s.start.stream_id == id) {
            Some(taken_over) => *taken_over = snapshot,
            None => t.streams.push(snapshot),
        }
        t.broadcast(ServerMsg::StreamStart(start));
        t.trim_finished(retained);
    });

    let (hub, jobs, shutdown) = (
        state.hub.clone(),
        state.jobs.clone(),
        state.shutdown.clone(),
    );
    let topic = topic.to_string();
    // A resumed stream (`from_index`) needs the same text again: only the
    // deterministic demo can give it, so it always continues the demo.
    let llm = state
        .llm
        .clone()
        .filter(|_| skip == 0 && req.from_index.is_none());
    let pace = Duration::from_micros(1_000_000 / state.config.assistant_tokens_per_sec.max(1));
    let max_bytes = state.config.max_stream_bytes as usize;
    let stop = cancel.clone();
    state.tracker.spawn(async move {
        // A chunk the topic refuses (the text passed --max-stream-bytes and
        // the stream failed) stops the producer.
        let chunk = |text: String| {
            if hub
                .with_topic(&topic, |t| t.stream_chunk(id, text, max_bytes))
                .is_none()
            {
                stop.cancel();
            }
        };
        let answered = tokio::select! {
            _ = cancel.cancelled() => Err(None),
            done = async {
                match llm {
                    Some(llm) => llm.answer(&prompt, chunk).await,
                    None => {
                        demo(tokens, pace, chunk).await;
                        Ok(())
                    }
                }
            } => done.map_err(|e| Some(e.0)),
        };
        jobs.finish(id);
        if shutdown.is_cancelled() {
            return;
        }
        hub.with_topic(&topic, |t| match answered {
            Ok(()) => t.stream_end(id, StreamEndReason::Completed, retained),
            Err(None) => t.stream_end(id, StreamEndReason::Cancelled, retained),
            Err(Some(message)) => t.stream_fail(id, message),
        });
    });
    Ok(id)
}

/// Ends stream `id` as failed because the process producing it is gone.
fn interrupted(state: &AppState, topic: &str, id: StreamId) {
    let message = "the answer was interrupted: the server producing it went away".to_string();
    state.hub.with_topic(topic, |t| {
        if t.streams.iter().any(|s| s.start.stream_id == id) {
            t.stream_fail(id, message);
        } else {
            t.broadcast(ServerMsg::StreamError(StreamError {
                stream_id: id,
                message,
            }));
        }
    });
}

/// The demo answer: one token per `pace`.
async fn demo(tokens: Vec<String>, pace: Duration, mut chunk: impl FnMut(String)) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + pace, pace);
    for token in tokens {
        ticker.tick().await;
        chunk(token);
    }
}

#[cfg(test)]
mod tests {
    use super::demo_text::{answer, tokens};

    #[test]
    fn tokens_rebuild_the_text_and_are_single_words() {
        let text = answer("why?");
        let toks = tokens(&text);
        assert_eq!(toks.concat(), text);
        assert!(
            toks.len() > 250,
            "multi-paragraph answer: {} tokens",
            toks.len()
        );
        assert!(toks.iter().all(|t| t.split_whitespace().count() == 1));
        assert!(text.matches("\n\n").count() >= 3);
    }
}

//! How one server frame changes one topic's view: messages, presence,
//! typing, operations and streams, and what a (re)subscription keeps or
//! rebuilds. Called by the [`Store`](super::Store) in `mod.rs`; the view
//! types it fills are in `view.rs`.

use super::view::{ChatMessage, MAX_MESSAGES, StreamStatus, StreamView, TopicView};
use crate::protocol::*;

pub(super) fn apply_topic(t: &mut TopicView, frame: &ServerFrame) {
    match &frame.msg {
        ServerMsg::Subscribed(body) => on_subscribed(t, body),
        ServerMsg::Gap(body) => {
            // Sent live when the shared store lost the topic: the new
            // epoch numbers from 1 again, so stop comparing with the old.
            if body.reason == GapReason::EpochChanged
                && t.epoch.as_deref() != Some(body.epoch.as_str())
            {
                t.epoch = Some(body.epoch.clone());
                t.last_seq = None;
            }
            t.gap = Some(body.clone());
        }
        ServerMsg::Message(m) => {
            t.pending.retain(|p| p.id != frame.id);
            if let (Some(seq), Some(last)) = (frame.seq, t.last_seq)
                && seq <= last
            {
                return; // already shown
            }
            t.last_seq = frame.seq.or(t.last_seq);
            let text = match &m.data {
                serde_json::Value::String(s) => s.clone(),
                v => v
                    .get("text")
                    .and_then(|x| x.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            };
            t.messages.push_back(ChatMessage {
                id: frame.id,
                seq: frame.seq,
                from: m.from.clone(),
                text,
                ts: frame.ts,
            });
            while t.messages.len() > MAX_MESSAGES {
                t.messages.pop_front();
            }
        }
        ServerMsg::PresenceSnapshot(s) => {
            t.presence = s.users.clone();
            sort_users(&mut t.presence);
        }
        ServerMsg::PresenceJoin(c) if !t.presence.iter().any(|u| u.id == c.user.id) => {
            t.presence.push(c.user.clone());
            sort_users(&mut t.presence);
        }
        ServerMsg::PresenceLeave(c) => {
            t.presence.retain(|u| u.id != c.user.id);
            t.typing.retain(|u| u.id != c.user.id);
        }
        ServerMsg::Typing(s) => t.typing = s.users.clone(),
        ServerMsg::OperationStarted(op) => {
            match t
                .operations
                .iter_mut()
                .find(|o| o.operation_id == op.operation_id)
            {
                Some(existing) => *existing = op.clone(),
                None => t.operations.push(op.clone()),
            }
        }
        ServerMsg::OperationProgress(p) => {
            if let Some(op) = find_op(t, p.operation_id)
                && op.status == OperationStatus::Running
            {
                op.percent = p.percent;
                op.stage_index = p.stage_index;
                op.eta_ms = p.eta_ms;
                if p.message.is_some() {
                    op.message = p.message.clone();
                }
            }
        }
        ServerMsg::OperationCompleted(e) => end_op(t, e, OperationStatus::Completed),
        ServerMsg::OperationFailed(e) => end_op(t, e, OperationStatus::Failed),
        ServerMsg::OperationCancelled(e) => end_op(t, e, OperationStatus::Cancelled),
        ServerMsg::StreamStart(s) => {
            let status = match s.ended {
                None => StreamStatus::Streaming,
                Some(StreamEndReason::Completed) => StreamStatus::Completed,
                Some(StreamEndReason::Cancelled) => StreamStatus::Cancelled,
            };
            let view = StreamView {
                stream_id: s.stream_id,
                author: s.author.clone(),
                prompt: s.prompt.clone(),
                text: s.text.clone(),
                next_index: s.next_index,
                status,
            };
            match t.streams.iter_mut().find(|v| v.stream_id == s.stream_id) {
                // A snapshot after a reconnect: keep whichever has more text.
                Some(existing) => {
                    if view.next_index >= existing.next_index {
                        *existing = view;
                    } else if existing.status == StreamStatus::Interrupted {
                        existing.status = view.status;
                    }
                }
                None => t.streams.push(view),
            }
        }
        ServerMsg::StreamChunk(c) => {
            if let Some(s) = t.streams.iter_mut().find(|s| s.stream_id == c.stream_id)
                && c.index == s.next_index
            {
                s.text.push_str(&c.text);
                s.next_index += 1;
            }
        }
        ServerMsg::StreamEnd(e) => {
            if let Some(s) = t.streams.iter_mut().find(|s| s.stream_id == e.stream_id) {
                s.status = match e.reason {
                    StreamEndReason::Completed => StreamStatus::Completed,
                    StreamEndReason::Cancelled => StreamStatus::Cancelled,
                };
            }
        }
        ServerMsg::StreamError(e) => {
            if let Some(s) = t.streams.iter_mut().find(|s| s.stream_id == e.stream_id) {
                s.status = StreamStatus::Failed(e.message.clone());
            }
        }
        ServerMsg::Error(e) if e.code == ErrorCode::Forbidden => {
            t.refused = Some(e.message.clone());
        }
        _ => {}
    }
}

/// A (re)subscription. Same epoch: the replay continues where the client
/// was, and streams the lost connection interrupted are queued to be
/// continued (the server ignores the request when the stream still runs
/// or has ended; it continues it when its process died, e.g. after a
/// failover to another server). New or changed epoch: the server's
/// history starts over, so the view is rebuilt from the replay, and
/// streams the server lost are queued to be continued.
fn on_subscribed(t: &mut TopicView, body: &SubscribedBody) {
    t.refused = None;
    if t.epoch.as_deref() == Some(body.epoch.as_str()) {
        // A client that believes it is past the topic's newest seq (the
        // server's counter went back) takes the server's word for it.
        if t.last_seq.is_some_and(|last| last > body.seq) {
            t.last_seq = Some(body.seq);
        }
        for s in &t.streams {
            if s.status == StreamStatus::Interrupted
                && !t
                    .resume_streams
                    .iter()
                    .any(|r| r.stream_id == Some(s.stream_id))
            {
                t.resume_streams.push(resume_of(s));
            }
        }
        return;
    }
    if t.epoch.is_some() {
        t.messages.clear();
        for s in &mut t.streams {
            if matches!(
                s.status,
                StreamStatus::Streaming | StreamStatus::Interrupted
            ) {
                s.status = StreamStatus::Interrupted;
                t.resume_streams.push(resume_of(s));
            }
        }
    }
    t.epoch = Some(body.epoch.clone());
    t.last_seq = Some(body.seq.saturating_sub(body.replayed));
}

/// The request that continues `s` from where this client is.
fn resume_of(s: &StreamView) -> StreamStartBody {
    StreamStartBody {
        prompt: s.prompt.clone().unwrap_or_default(),
        stream_id: Some(s.stream_id),
        from_index: Some(s.next_index),
    }
}

/// By name, ignoring the case of ASCII letters (Unicode case mapping
/// would bring its tables into the WASM, 6.7 KB gzipped), then by id.
fn sort_users(users: &mut [User]) {
    users.sort_by(|a, b| {
        a.name
            .to_ascii_lowercase()
            .cmp(&b.name.to_ascii_lowercase())
            .then(a.id.cmp(&b.id))
    });
}

fn find_op(t: &mut TopicView, id: OperationId) -> Option<&mut OperationState> {
    t.operations.iter_mut().find(|o| o.operation_id == id)
}

fn end_op(t: &mut TopicView, e: &OperationEnded, status: OperationStatus) {
    if let Some(op) = find_op(t, e.operation_id) {
        op.end(status, e.message.clone());
    }
}

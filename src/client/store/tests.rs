//! Reducer tests: frames in, view state out.

use super::*;
use serde_json::json;
use uuid::Uuid;

fn user(n: &str) -> User {
    User {
        id: n.to_lowercase(),
        name: n.into(),
    }
}

fn frame(msg: ServerMsg) -> ServerFrame {
    Envelope::new(msg, 1).with_topic("room:a")
}

fn view(s: &Store) -> &TopicView {
    s.topic("room:a").expect("topic")
}

#[test]
fn messages_append_in_order_and_skip_duplicates() {
    let mut s = Store::default();
    for (seq, text) in [(1, "one"), (2, "two"), (2, "dup"), (3, "three")] {
        s.apply(
            &frame(ServerMsg::Message(MessageBody {
                from: user("Alice"),
                data: json!({"text": text}),
            }))
            .with_seq(seq),
        );
    }
    let texts: Vec<_> = view(&s).messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    assert_eq!(view(&s).last_seq, Some(3));
}

#[test]
fn message_history_is_bounded() {
    let mut s = Store::default();
    for seq in 1..=(MAX_MESSAGES as u64 + 5) {
        s.apply(
            &frame(ServerMsg::Message(MessageBody {
                from: user("A"),
                data: json!("x"),
            }))
            .with_seq(seq),
        );
    }
    assert_eq!(view(&s).messages.len(), MAX_MESSAGES);
    assert_eq!(view(&s).messages[0].seq, Some(6));
}

#[test]
fn presence_snapshot_join_leave() {
    let mut s = Store::default();
    s.apply(&frame(ServerMsg::PresenceSnapshot(PresenceSnapshot {
        users: vec![user("Bob")],
    })));
    s.apply(&frame(ServerMsg::PresenceJoin(PresenceChange {
        user: user("Alice"),
    })));
    s.apply(&frame(ServerMsg::PresenceJoin(PresenceChange {
        user: user("Alice"),
    })));
    let names: Vec<_> = view(&s).presence.iter().map(|u| u.name.clone()).collect();
    assert_eq!(names, ["Alice", "Bob"]);
    s.apply(&frame(ServerMsg::Typing(TypingState {
        users: vec![user("Bob")],
    })));
    s.apply(&frame(ServerMsg::PresenceLeave(PresenceChange {
        user: user("Bob"),
    })));
    assert_eq!(view(&s).presence, vec![user("Alice")]);
    assert!(view(&s).typing.is_empty(), "a user who left stops typing");
}

fn op(id: Uuid) -> OperationState {
    OperationState {
        operation_id: id,
        label: "job".into(),
        stages: vec!["a".into(), "b".into()],
        stage_index: 0,
        percent: 0.0,
        eta_ms: Some(1000),
        status: OperationStatus::Running,
        message: None,
        started_by: None,
        started_at: 0,
    }
}

#[test]
fn operations_progress_then_end_and_ignore_late_progress() {
    let mut s = Store::default();
    let id = Uuid::new_v4();
    s.apply(&frame(ServerMsg::OperationStarted(op(id))));
    s.apply(&frame(ServerMsg::OperationProgress(OperationProgress {
        operation_id: id,
        percent: 40.0,
        stage_index: 1,
        stage: "b".into(),
        eta_ms: Some(300),
        message: None,
    })));
    assert_eq!(view(&s).operations[0].percent, 40.0);
    s.apply(&frame(ServerMsg::OperationCancelled(OperationEnded {
        operation_id: id,
        message: Some("Cancelled".into()),
        result: None,
    })));
    s.apply(&frame(ServerMsg::OperationProgress(OperationProgress {
        operation_id: id,
        percent: 60.0,
        stage_index: 1,
        stage: "b".into(),
        eta_ms: None,
        message: None,
    })));
    let o = &view(&s).operations[0];
    assert_eq!(o.status, OperationStatus::Cancelled);
    assert_eq!(o.percent, 40.0, "progress after the end is ignored");
}

fn start(id: Uuid, text: &str, next: u64) -> ServerFrame {
    frame(ServerMsg::StreamStart(StreamStart {
        stream_id: id,
        author: user("Assistant"),
        prompt: None,
        text: text.into(),
        next_index: next,
        ended: None,
        started_at: 0,
    }))
}

fn chunk(id: Uuid, index: u64, text: &str) -> ServerFrame {
    frame(ServerMsg::StreamChunk(StreamChunk {
        stream_id: id,
        index,
        text: text.into(),
    }))
}

#[test]
fn stream_chunks_append_once_in_order() {
    let mut s = Store::default();
    let id = Uuid::new_v4();
    s.apply(&start(id, "", 0));
    s.apply(&chunk(id, 0, "Hello "));
    s.apply(&chunk(id, 0, "Hello "));
    s.apply(&chunk(id, 2, "skipped "));
    s.apply(&chunk(id, 1, "world"));
    assert_eq!(view(&s).streams[0].text, "Hello world");
    s.apply(&frame(ServerMsg::StreamEnd(StreamEnd {
        stream_id: id,
        reason: StreamEndReason::Completed,
        chunks: 2,
    })));
    assert_eq!(view(&s).streams[0].status, StreamStatus::Completed);
}

#[test]
fn disconnect_interrupts_and_snapshot_resumes() {
    let mut s = Store::default();
    let id = Uuid::new_v4();
    s.apply(&start(id, "", 0));
    s.apply(&chunk(id, 0, "A "));
    s.on_disconnect();
    assert_eq!(view(&s).streams[0].status, StreamStatus::Interrupted);
    s.apply(&start(id, "A B C ", 3));
    s.apply(&chunk(id, 3, "D"));
    let v = &view(&s).streams[0];
    assert_eq!(v.text, "A B C D");
    assert_eq!(v.status, StreamStatus::Streaming);
}

#[test]
fn typing_text_phrases() {
    let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(typing_text(&n(&[])), "");
    assert_eq!(typing_text(&n(&["Alice"])), "Alice is typing");
    assert_eq!(
        typing_text(&n(&["Alice", "Bob"])),
        "Alice and Bob are typing"
    );
    assert_eq!(typing_text(&n(&["A", "B", "C"])), "3 people are typing");
}

fn subscribed(epoch: &str, seq: u64, replayed: u64) -> ServerFrame {
    frame(ServerMsg::Subscribed(SubscribedBody {
        epoch: epoch.into(),
        seq,
        replayed,
    }))
}

fn msg_frame(seq: u64, text: &str) -> ServerFrame {
    frame(ServerMsg::Message(MessageBody {
        from: user("A"),
        data: json!({ "text": text }),
    }))
    .with_seq(seq)
}

#[test]
fn resume_in_the_same_epoch_keeps_messages_and_skips_duplicates() {
    let mut s = Store::default();
    s.apply(&subscribed("e1", 0, 0));
    s.apply(&msg_frame(1, "one"));
    s.apply(&msg_frame(2, "two"));
    assert_eq!(
        s.position("room:a").unwrap(),
        Position {
            epoch: "e1".into(),
            seq: 2
        }
    );
    s.apply(&subscribed("e1", 3, 1));
    s.apply(&msg_frame(2, "two again"));
    s.apply(&msg_frame(3, "three"));
    let texts: Vec<_> = view(&s).messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
}

#[test]
fn a_new_epoch_rebuilds_the_view_and_queues_lost_streams() {
    let mut s = Store::default();
    s.apply(&subscribed("e1", 0, 0));
    s.apply(&msg_frame(1, "before restart"));
    let id = Uuid::new_v4();
    s.apply(&start(id, "", 0));
    s.apply(&chunk(id, 0, "Hello "));
    s.on_disconnect();
    s.apply(&subscribed("e2", 1, 1));
    s.apply(&msg_frame(1, "after restart"));
    let texts: Vec<_> = view(&s).messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["after restart"]);
    let resumes = s.take_stream_resumes();
    assert_eq!(resumes.len(), 1);
    assert_eq!(resumes[0].1.stream_id, Some(id));
    assert_eq!(resumes[0].1.from_index, Some(1));
    assert!(s.take_stream_resumes().is_empty(), "drained once");
}

#[test]
fn gap_frames_are_exposed_until_dismissed() {
    let mut s = Store::default();
    let gap = GapBody {
        reason: GapReason::HistoryExpired,
        previous_epoch: "e1".into(),
        epoch: "e1".into(),
        from_seq: 3,
        to_seq: Some(9),
    };
    s.apply(&frame(ServerMsg::Gap(gap.clone())));
    assert_eq!(view(&s).gap, Some(gap));
    s.dismiss_gap("room:a");
    assert_eq!(view(&s).gap, None);
}

#[test]
fn pending_messages_clear_on_echo_or_fail() {
    let mut s = Store::default();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    s.add_pending("room:a", a, "sent".into());
    s.add_pending("room:a", b, "lost".into());
    let mut echo = msg_frame(1, "sent");
    echo.id = a;
    s.apply(&echo);
    s.mark_failed(b, "expired");
    let v = view(&s);
    assert_eq!(v.messages[0].id, a);
    assert_eq!(v.pending.len(), 1);
    assert_eq!(v.pending[0].status, SendStatus::Failed("expired".into()));
}

#[test]
fn a_refusal_naming_the_topic_is_kept_until_subscribed() {
    let mut s = Store::default();
    s.apply(&frame(ServerMsg::Error(ErrorBody {
        code: ErrorCode::Forbidden,
        message: "not allowed on this topic".into(),
    })));
    assert_eq!(
        view(&s).refused.as_deref(),
        Some("not allowed on this topic")
    );
    s.apply(&frame(ServerMsg::Subscribed(SubscribedBody {
        epoch: "e1".into(),
        ..Default::default()
    })));
    assert_eq!(view(&s).refused, None);
}

#[test]
fn a_same_epoch_resubscribe_queues_interrupted_streams_once() {
    let mut s = Store::default();
    s.apply(&subscribed("e1", 0, 0));
    let (running, done) = (Uuid::new_v4(), Uuid::new_v4());
    s.apply(&start(done, "", 0));
    s.apply(&chunk(done, 0, "Done "));
    s.apply(&frame(ServerMsg::StreamEnd(StreamEnd {
        stream_id: done,
        reason: StreamEndReason::Completed,
        chunks: 1,
    })));
    s.apply(&start(running, "", 0));
    s.apply(&chunk(running, 0, "A "));
    s.apply(&chunk(running, 1, "B "));
    // No loss, no request: a plain resubscribe while streaming.
    s.apply(&subscribed("e1", 0, 0));
    assert!(s.take_stream_resumes().is_empty());

    s.on_disconnect();
    s.apply(&subscribed("e1", 0, 0));
    s.apply(&subscribed("e1", 0, 0));
    let resumes = s.take_stream_resumes();
    assert_eq!(
        resumes.len(),
        1,
        "only the interrupted stream, once: {resumes:?}"
    );
    assert_eq!(resumes[0].1.stream_id, Some(running));
    assert_eq!(resumes[0].1.from_index, Some(2));
    // The new server's snapshot and chunks continue the text.
    s.apply(&start(running, "A ", 1));
    s.apply(&chunk(running, 1, "B "));
    s.apply(&chunk(running, 2, "C"));
    let v = view(&s);
    let v = v.streams.iter().find(|v| v.stream_id == running).unwrap();
    assert_eq!(v.text, "A B C");
    assert_eq!(v.status, StreamStatus::Streaming);
}

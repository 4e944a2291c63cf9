//! Operations and streams end to end over real sockets: progress to
//! completion, cancel, late joiners, chunks in order.

use crate::support::*;
use tidings::protocol::*;

fn op_started(f: &ServerFrame) -> Option<OperationState> {
    match &f.msg {
        ServerMsg::OperationStarted(s) => Some(s.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn demo_operation_progresses_to_completion() {
    let server = TestServer::start(|c| c.demo_job_ms = 600).await;
    let mut c = server.client("ops").await;
    c.subscribe("ops:a").await;
    let start = c
        .send(Some("ops:a"), ClientMsg::OperationStart(Default::default()))
        .await;
    // The broadcast `operation_started` and our `ack` both arrive, in either order.
    let (mut op, mut acked) = (None, false);
    while op.is_none() || !acked {
        let f = c.next().await;
        if f.msg == ServerMsg::Ack {
            assert_eq!(f.reference, Some(start));
            acked = true;
        } else if let Some(o) = op_started(&f) {
            op = Some(o);
        }
    }
    let op = op.unwrap();
    assert_eq!(op.status, OperationStatus::Running);
    assert_eq!(op.stages.len(), 5);

    let mut last = -1.0f32;
    let mut stages = Vec::new();
    let mut reports = 0;
    loop {
        let f = c.next().await;
        match f.msg {
            ServerMsg::OperationProgress(p) => {
                assert_eq!(p.operation_id, op.operation_id);
                assert!(
                    p.percent > last,
                    "percent rises: {} after {last}",
                    p.percent
                );
                assert!(p.eta_ms.is_some());
                last = p.percent;
                if stages.last() != Some(&p.stage) {
                    stages.push(p.stage.clone());
                }
                reports += 1;
            }
            ServerMsg::OperationCompleted(e) => {
                assert_eq!(e.operation_id, op.operation_id);
                assert!(e.result.is_some());
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(reports >= 40, "{reports} progress reports");
    assert_eq!(
        stages,
        [
            "Queued",
            "Fetching data",
            "Processing",
            "Rendering",
            "Finalizing"
        ]
    );

    // A late joiner gets the finished state.
    let mut late = server.client("late").await;
    late.subscribe("ops:a").await;
    let seen = op_started(&late.until(|f| op_started(f).is_some()).await).unwrap();
    assert_eq!(seen.status, OperationStatus::Completed);
    assert_eq!(seen.percent, 100.0);
}

#[tokio::test]
async fn cancel_stops_an_operation_and_late_joiners_see_progress() {
    let server = TestServer::start(|c| c.demo_job_ms = 5_000).await;
    let mut c = server.client("ops").await;
    c.subscribe("ops:b").await;
    c.send(Some("ops:b"), ClientMsg::OperationStart(Default::default()))
        .await;
    let op = op_started(&c.until(|f| op_started(f).is_some()).await).unwrap();
    for _ in 0..3 {
        c.until(|f| matches!(f.msg, ServerMsg::OperationProgress(_)))
            .await;
    }
    let mut late = server.client("late").await;
    late.subscribe("ops:b").await;
    let seen = op_started(&late.until(|f| op_started(f).is_some()).await).unwrap();
    assert_eq!(seen.status, OperationStatus::Running);
    assert!(
        seen.percent >= 6.0,
        "late joiner sees current progress: {}",
        seen.percent
    );

    let cancel = c
        .send(
            None,
            ClientMsg::OperationCancel(OperationRef {
                operation_id: op.operation_id,
            }),
        )
        .await;
    let ack = c.until(|f| f.reference == Some(cancel)).await;
    assert_eq!(ack.msg, ServerMsg::Ack);
    let end = c
        .until(|f| matches!(f.msg, ServerMsg::OperationCancelled(_)))
        .await;
    let ServerMsg::OperationCancelled(e) = end.msg else {
        unreachable!()
    };
    assert_eq!(e.operation_id, op.operation_id);
    late.until(|f| matches!(f.msg, ServerMsg::OperationCancelled(_)))
        .await;

    // Cancelling again: it is no longer running.
    let again = c
        .send(
            None,
            ClientMsg::OperationCancel(OperationRef {
                operation_id: op.operation_id,
            }),
        )
        .await;
    let e = c.until(|f| f.reference == Some(again)).await;
    assert!(matches!(
        e.msg,
        ServerMsg::Error(ErrorBody {
            code: ErrorCode::NotFound,
            ..
        })
    ));
}

fn prompt(p: &str) -> ClientMsg {
    ClientMsg::StreamStart(StreamStartBody {
        prompt: p.into(),
        stream_id: None,
        from_index: None,
    })
}

#[tokio::test]
async fn stream_chunks_arrive_in_order_and_complete() {
    let server = TestServer::start(|c| c.assistant_tokens_per_sec = 2_000).await;
    let mut c = server.client("s").await;
    c.subscribe("assistant:a").await;
    c.send(Some("assistant:a"), prompt("hello?")).await;
    let start = c
        .until(|f| matches!(f.msg, ServerMsg::StreamStart(_)))
        .await;
    let ServerMsg::StreamStart(s) = start.msg else {
        unreachable!()
    };
    let mut text = String::new();
    let mut next = 0;
    let end = loop {
        match c.next().await.msg {
            ServerMsg::StreamChunk(ch) => {
                assert_eq!(ch.stream_id, s.stream_id);
                assert_eq!(ch.index, next, "chunks in order, none missing");
                next += 1;
                text.push_str(&ch.text);
            }
            ServerMsg::StreamEnd(e) => break e,
            ServerMsg::Ack => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(end.reason, StreamEndReason::Completed);
    assert_eq!(end.chunks, next);
    assert!(text.starts_with("You asked: \"hello?\""));
    assert!(text.split_whitespace().count() > 250);
}

#[tokio::test]
async fn stop_cancels_a_stream_and_late_joiners_get_text_so_far() {
    let server = TestServer::start(|c| c.assistant_tokens_per_sec = 40).await;
    let mut c = server.client("s").await;
    c.subscribe("assistant:b").await;
    c.send(Some("assistant:b"), prompt("stop me")).await;
    let ServerMsg::StreamStart(s) = c
        .until(|f| matches!(f.msg, ServerMsg::StreamStart(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    let mut text = String::new();
    for _ in 0..5 {
        if let ServerMsg::StreamChunk(ch) = c
            .until(|f| matches!(f.msg, ServerMsg::StreamChunk(_)))
            .await
            .msg
        {
            text.push_str(&ch.text);
        }
    }
    // A late joiner: snapshot with the text so far, then live chunks.
    let mut late = server.client("late").await;
    late.subscribe("assistant:b").await;
    let ServerMsg::StreamStart(snap) = late
        .until(|f| matches!(f.msg, ServerMsg::StreamStart(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert!(
        snap.next_index >= 5 && snap.text.starts_with(&text),
        "{snap:?}"
    );
    let ServerMsg::StreamChunk(live) = late
        .until(|f| matches!(f.msg, ServerMsg::StreamChunk(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(
        live.index, snap.next_index,
        "no gap or overlap after the snapshot"
    );

    c.send(
        None,
        ClientMsg::StreamCancel(StreamRef {
            stream_id: s.stream_id,
        }),
    )
    .await;
    let end = loop {
        match c.next().await.msg {
            ServerMsg::StreamEnd(e) => break e,
            ServerMsg::StreamChunk(_) | ServerMsg::Ack | ServerMsg::PresenceJoin(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(end.reason, StreamEndReason::Cancelled);
    assert!(end.chunks < 100, "stopped early: {} chunks", end.chunks);
}

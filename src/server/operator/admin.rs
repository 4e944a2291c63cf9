//! The admin feed: every second, a sample of the hub (connections, rates,
//! the busiest topics, running and recent operations and streams) is
//! published to [`ADMIN_TOPIC`] while anyone is subscribed, so the
//! `/admin` page is fed over Tidings itself like any other page. Only
//! tokens with the `admin` claim may subscribe (see `auth.rs`).

use crate::protocol::*;
use crate::server::frames::now_ms;
use crate::server::state::AppState;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// How often a sample is taken and published.
pub const ADMIN_SAMPLE_EVERY: Duration = Duration::from_secs(1);
/// Topics in one sample (most subscribers first).
pub const ADMIN_MAX_TOPICS: usize = 50;
/// Operations and streams in one sample (newest first).
pub const ADMIN_MAX_JOBS: usize = 50;

/// Who the samples are from.
pub fn admin_user() -> User {
    User {
        id: "tidings".into(),
        name: "Tidings".into(),
    }
}

/// Counters at the previous sample, for the rates.
#[derive(Default)]
struct Previous {
    messages: u64,
    frames_in: u64,
    frames_out: u64,
}

/// Spawns the sampler; it stops at shutdown.
pub fn spawn(state: &AppState) {
    let state = state.clone();
    let stop = state.shutdown.clone();
    state.tracker.clone().spawn(async move {
        let mut every = tokio::time::interval(ADMIN_SAMPLE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut previous = Previous::default();
        let mut last = Instant::now();
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = every.tick() => {}
            }
            let elapsed = last.elapsed().as_secs_f64().max(0.001);
            last = Instant::now();
            let (sample, watchers) = sample(&state, &mut previous, elapsed);
            if watchers > 0 {
                let data = serde_json::to_value(&sample).unwrap_or_default();
                // This process's own figures: kept out of the shared
                // backplane, so each process's feed shows itself.
                state
                    .hub
                    .publish_local(ADMIN_TOPIC, uuid::Uuid::new_v4(), admin_user(), data);
                // The feed's own message is not traffic.
                previous.messages += 1;
            }
        }
    });
}

/// Takes one sample; also returns how many subscribe to the feed.
fn sample(state: &AppState, previous: &mut Previous, elapsed: f64) -> (AdminSample, usize) {
    let stats = &state.hub.stats;
    let (messages, frames_in, frames_out) = (
        stats.messages_published.load(Relaxed),
        stats.frames_in.load(Relaxed),
        stats.frames_out.load(Relaxed),
    );
    let rate = |now: u64, before: u64| now.saturating_sub(before) as f64 / elapsed;
    let mut sample = AdminSample {
        ts: now_ms(),
        connections: stats.connections_open.load(Relaxed),
        messages_per_sec: rate(messages, previous.messages),
        frames_in_per_sec: rate(frames_in, previous.frames_in),
        frames_out_per_sec: rate(frames_out, previous.frames_out),
        topics: Vec::new(),
        jobs: Vec::new(),
    };
    *previous = Previous {
        messages,
        frames_in,
        frames_out,
    };
    let mut watchers = 0;
    state.hub.for_each_topic(|t| {
        let (name, seq) = t.name_and_seq();
        if name == ADMIN_TOPIC {
            watchers = t.subscriber_count();
        }
        sample.topics.push(TopicRow {
            topic: name.to_string(),
            subscribers: t.subscriber_count() as u64,
            seq,
        });
        sample.jobs.extend(t.ops.iter().map(|op| JobRow {
            id: op.operation_id.to_string(),
            kind: "operation".into(),
            topic: name.to_string(),
            label: op.label.clone(),
            status: status_name(op.status).into(),
            progress: f64::from(op.percent),
            started_at: op.started_at,
        }));
        sample.jobs.extend(t.streams.iter().map(|s| {
            JobRow {
                id: s.start.stream_id.to_string(),
                kind: "stream".into(),
                topic: name.to_string(),
                label: s.start.author.name.clone(),
                status: match (&s.failed, s.start.ended) {
                    (Some(_), _) => "failed",
                    (None, Some(StreamEndReason::Completed)) => "completed",
                    (None, Some(StreamEndReason::Cancelled)) => "cancelled",
                    (None, None) => "streaming",
                }
                .into(),
                progress: s.start.next_index as f64,
                started_at: s.start.started_at,
            }
        }));
    });
    sample.topics.sort_by(|a, b| {
        b.subscribers
            .cmp(&a.subscribers)
            .then_with(|| a.topic.cmp(&b.topic))
    });
    sample.topics.truncate(ADMIN_MAX_TOPICS);
    sample.jobs.sort_by_key(|j| std::cmp::Reverse(j.started_at));
    sample.jobs.truncate(ADMIN_MAX_JOBS);
    (sample, watchers)
}

fn status_name(status: OperationStatus) -> &'static str {
    match status {
        OperationStatus::Running => "running",
        OperationStatus::Completed => "completed",
        OperationStatus::Failed => "failed",
        OperationStatus::Cancelled => "cancelled",
    }
}

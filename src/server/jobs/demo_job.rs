//! Operations: the demo job (named stages, percent, ETA), cancel, and the
//! state kept in the topic for late joiners.

use crate::protocol::*;
use crate::server::frames::now_ms;
use crate::server::jobs::{JobRefused, Owner};
use crate::server::state::AppState;
use std::time::Duration;

/// The demo job's stages, in order.
pub const DEMO_STAGES: [&str; 5] = [
    "Queued",
    "Fetching data",
    "Processing",
    "Rendering",
    "Finalizing",
];
/// Progress reports the demo job makes from 0 to 100%.
const STEPS: u64 = 50;

/// Starts the demo job in `topic`; it reports progress there.
pub fn start_demo(
    state: &AppState,
    topic: &str,
    user: &User,
    label: Option<String>,
) -> Result<OperationId, JobRefused> {
    let id = uuid::Uuid::new_v4();
    let cancel = state.shutdown.child_token();
    let owner = Owner::User(user.id.clone());
    state.jobs.register(id, topic, cancel.clone(), owner)?;
    let total = Duration::from_millis(state.config.demo_job_ms);
    let label: String = label
        .unwrap_or_else(|| "Demo job".into())
        .chars()
        .take(80)
        .collect();
    let op = OperationState {
        operation_id: id,
        label,
        stages: DEMO_STAGES.iter().map(|s| s.to_string()).collect(),
        stage_index: 0,
        percent: 0.0,
        eta_ms: Some(total.as_millis() as u64),
        status: OperationStatus::Running,
        message: None,
        started_by: Some(user.clone()),
        started_at: now_ms(),
    };
    let retained = state.config.retained_per_topic as usize;
    state.hub.with_topic(topic, |t| {
        t.ops.push(op.clone());
        t.broadcast(ServerMsg::OperationStarted(op));
        t.trim_finished(retained);
    });

    let (hub, jobs, shutdown) = (
        state.hub.clone(),
        state.jobs.clone(),
        state.shutdown.clone(),
    );
    let topic = topic.to_string();
    state.tracker.spawn(async move {
        let step = total / STEPS as u32;
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + step, step);
        let mut i = 0;
        let outcome = loop {
            tokio::select! {
                _ = cancel.cancelled() => break None,
                _ = ticker.tick() => {}
            }
            i += 1;
            if i >= STEPS {
                break Some(());
            }
            let stage_index = ((i * DEMO_STAGES.len() as u64) / STEPS) as usize;
            let progress = OperationProgress {
                operation_id: id,
                percent: (i * 100 / STEPS) as f32,
                stage_index,
                stage: DEMO_STAGES[stage_index].to_string(),
                eta_ms: Some((step * (STEPS - i) as u32).as_millis() as u64),
                message: None,
            };
            hub.with_topic(&topic, |t| {
                if let Some(op) = t.ops.iter_mut().find(|o| o.operation_id == id) {
                    op.percent = progress.percent;
                    op.stage_index = progress.stage_index;
                    op.eta_ms = progress.eta_ms;
                }
                t.broadcast(ServerMsg::OperationProgress(progress));
            });
        };
        jobs.finish(id);
        if shutdown.is_cancelled() {
            return;
        }
        hub.with_topic(&topic, |t| {
            let Some(op) = t.ops.iter_mut().find(|o| o.operation_id == id) else {
                return;
            };
            let msg = match outcome {
                Some(()) => {
                    op.status = OperationStatus::Completed;
                    op.percent = 100.0;
                    op.stage_index = DEMO_STAGES.len() - 1;
                    op.eta_ms = Some(0);
                    op.message = Some("Done".into());
                    ServerMsg::OperationCompleted(OperationEnded {
                        operation_id: id,
                        message: op.message.clone(),
                        result: Some(serde_json::json!({ "items_processed": 1280 })),
                    })
                }
                None => {
                    op.status = OperationStatus::Cancelled;
                    op.eta_ms = None;
                    op.message = Some("Cancelled".into());
                    ServerMsg::OperationCancelled(OperationEnded {
                        operation_id: id,
                        message: op.message.clone(),
                        result: None,
                    })
                }
            };
            t.broadcast(msg);
            t.trim_finished(retained);
        });
    });
    Ok(id)
}

//! `<OperationProgress/>`: label (and its number among jobs of that
//! label), who started it and when, bar, percent, stage, ETA, Cancel, and
//! the completed / failed / cancelled end states of one operation.

use super::relative_time::RelativeTime;
use crate::protocol::{OperationId, OperationState, OperationStatus};
use leptos::prelude::*;

fn status_name(s: OperationStatus) -> &'static str {
    match s {
        OperationStatus::Running => "running",
        OperationStatus::Completed => "completed",
        OperationStatus::Failed => "failed",
        OperationStatus::Cancelled => "cancelled",
    }
}

/// "12s left", "1m 05s left", or "" when unknown.
pub fn eta_text(eta_ms: Option<u64>) -> String {
    match eta_ms {
        None => String::new(),
        Some(ms) => {
            let s = ms.div_ceil(1000);
            if s >= 60 {
                format!("{}m {:02}s left", s / 60, s % 60)
            } else {
                format!("{s}s left")
            }
        }
    }
}

/// Which of the operations labelled like `id`'s it is, counting from 1 in
/// the order they started (ties in list order); `None` when `id` is not
/// in `ops`.
pub fn ordinal_of(ops: &[OperationState], id: OperationId) -> Option<usize> {
    let (at, this) = ops.iter().enumerate().find(|(_, o)| o.operation_id == id)?;
    let before = ops
        .iter()
        .enumerate()
        .filter(|(i, o)| o.label == this.label && (o.started_at, *i) < (this.started_at, at))
        .count();
    Some(before + 1)
}

/// One operation's progress. `on_cancel` is called with its id. With
/// `number`, the label reads "Demo job #2" (see [`ordinal_of`]).
#[component]
pub fn OperationProgress(
    #[prop(into)] op: Signal<OperationState>,
    #[prop(into)] on_cancel: Callback<uuid::Uuid>,
    #[prop(optional, into)] number: Option<Signal<usize>>,
) -> impl IntoView {
    let started_at = Signal::derive(move || op.read().started_at);
    let started_by = move || {
        op.read().started_by.as_ref().map_or_else(
            || "Started ".to_string(),
            |u| format!("Started by {} · ", u.name),
        )
    };
    let percent = move || op.read().percent.clamp(0.0, 100.0).round() as u32;
    let status = move || op.read().status;
    let stage = move || {
        let o = op.read();
        match o.status {
            OperationStatus::Running => o.stages.get(o.stage_index).cloned().unwrap_or_default(),
            _ => o
                .message
                .clone()
                .unwrap_or_else(|| status_name(o.status).into()),
        }
    };
    view! {
        <div class="operation" data-testid="operation" data-state=move || status_name(status())
            data-operation-id=move || op.read().operation_id.to_string()>
            <div class="op-head">
                <span class="op-label" data-testid="op-label">
                    {move || op.read().label.clone()}
                    {move || number.map(|n| view! { <span class="op-number" data-testid="op-number">{format!(" #{}", n.get())}</span> })}
                </span>
                <span class="op-percent" data-testid="op-percent">{move || format!("{}%", percent())}</span>
            </div>
            <div class="op-meta" data-testid="op-meta">
                {started_by}<RelativeTime ts=started_at test_id="op-started"/>
            </div>
            <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=move || percent().to_string()
                aria-label=move || op.read().label.clone()>
                <div class="fill" style:width=move || format!("{}%", percent())></div>
            </div>
            <div class="op-foot">
                <span class="op-stage" data-testid="op-stage">{stage}</span>
                <span class="op-eta" data-testid="op-eta">
                    {move || if status() == OperationStatus::Running { eta_text(op.read().eta_ms) } else { String::new() }}
                </span>
                <Show when=move || status() == OperationStatus::Running>
                    <button class="op-cancel" data-testid="op-cancel"
                        on:click=move |_| on_cancel.run(op.read_untracked().operation_id)>
                        "Cancel"
                    </button>
                </Show>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(label: &str, n: u128, started_at: u64) -> OperationState {
        OperationState {
            operation_id: OperationId::from_u128(n),
            label: label.into(),
            stages: vec![],
            stage_index: 0,
            percent: 0.0,
            eta_ms: None,
            status: OperationStatus::Running,
            message: None,
            started_by: None,
            started_at,
        }
    }

    #[test]
    fn jobs_of_one_label_are_numbered_in_start_order() {
        let ops = [
            op("Demo", 1, 20),
            op("Other", 2, 5),
            op("Demo", 3, 10),
            op("Demo", 4, 20),
        ];
        let number = |n| ordinal_of(&ops, OperationId::from_u128(n));
        assert_eq!(number(3), Some(1));
        assert_eq!(number(1), Some(2));
        assert_eq!(number(4), Some(3), "a tie goes by list order");
        assert_eq!(number(2), Some(1));
        assert_eq!(number(9), None);
    }

    #[test]
    fn eta_is_human() {
        assert_eq!(eta_text(None), "");
        assert_eq!(eta_text(Some(1)), "1s left");
        assert_eq!(eta_text(Some(12_000)), "12s left");
        assert_eq!(eta_text(Some(65_000)), "1m 05s left");
    }
}

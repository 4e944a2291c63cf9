//! `<OperationProgress/>`: bar, percent, stage, ETA, Cancel, and the
//! completed / failed / cancelled end states of one operation.

use crate::protocol::{OperationState, OperationStatus};
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

/// One operation's progress. `on_cancel` is called with its id.
#[component]
pub fn OperationProgress(
    #[prop(into)] op: Signal<OperationState>,
    #[prop(into)] on_cancel: Callback<uuid::Uuid>,
) -> impl IntoView {
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
                <span class="op-label">{move || op.read().label.clone()}</span>
                <span class="op-percent" data-testid="op-percent">{move || format!("{}%", percent())}</span>
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
    use super::eta_text;

    #[test]
    fn eta_is_human() {
        assert_eq!(eta_text(None), "");
        assert_eq!(eta_text(Some(1)), "1s left");
        assert_eq!(eta_text(Some(12_000)), "12s left");
        assert_eq!(eta_text(Some(65_000)), "1m 05s left");
    }
}

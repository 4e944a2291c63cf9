//! Payloads for long-running operations: started, progress, terminal states.

use super::ids::{Millis, OperationId, User};
use serde::{Deserialize, Serialize};

/// Where an operation is in its life.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl OperationStatus {
    /// True once nothing more will happen to the operation.
    pub fn is_terminal(self) -> bool {
        !matches!(self, OperationStatus::Running)
    }
}

/// The full, current state of one operation. Late joiners receive this.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OperationState {
    pub operation_id: OperationId,
    pub label: String,
    /// Named stages in order; `stage_index` points into it.
    pub stages: Vec<String>,
    pub stage_index: usize,
    /// 0.0 ..= 100.0
    #[cfg_attr(feature = "schema", schemars(range(min = 0.0, max = 100.0)))]
    pub percent: f32,
    /// Estimated time left, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_ms: Option<Millis>,
    pub status: OperationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<User>,
    pub started_at: Millis,
}

impl OperationState {
    /// Applies an end: its status and message, no ETA; a completed
    /// operation stands at 100 % on its last stage.
    pub fn end(&mut self, status: OperationStatus, message: Option<String>) {
        self.status = status;
        self.eta_ms = None;
        self.message = message;
        if status == OperationStatus::Completed {
            self.percent = 100.0;
            self.stage_index = self.stages.len().saturating_sub(1);
        }
    }
}

/// One progress report.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OperationProgress {
    pub operation_id: OperationId,
    /// 0.0 ..= 100.0
    #[cfg_attr(feature = "schema", schemars(range(min = 0.0, max = 100.0)))]
    pub percent: f32,
    pub stage_index: usize,
    pub stage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_ms: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// An operation ended (completed, failed or cancelled).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OperationEnded {
    pub operation_id: OperationId,
    /// A short human-readable outcome ("done", the error, "cancelled by Alice").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Free-form result data for completed operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
}

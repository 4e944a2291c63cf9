//! Handles of one operation and one stream a backend of this process
//! drives: report progress or append text, finish, and await a user's
//! Cancel or Stop.

use crate::protocol::{OperationState, OperationStatus};
use crate::server::backend::operations::{self, Finish, Progress};
use crate::server::backend::streams::{self, StreamView};
use crate::server::http_error::ApiError;
use crate::server::state::AppState;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// An operation started with [`crate::server::Tidings::start_operation`].
pub struct Operation {
    state: AppState,
    id: Uuid,
    cancel: CancellationToken,
}

impl Operation {
    pub(crate) fn new(state: AppState, id: Uuid, cancel: CancellationToken) -> Self {
        Operation { state, id, cancel }
    }

    /// Its id (as clients and the HTTP API see it).
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Reports progress (`percent` from 0 to 100).
    pub fn progress(&self, progress: Progress) -> Result<OperationState, ApiError> {
        operations::progress(&self.state, self.id, progress)
    }

    /// Completes it with an optional result and message.
    pub fn complete(
        &self,
        result: Option<Value>,
        message: Option<String>,
    ) -> Result<OperationState, ApiError> {
        let fin = Finish { result, message };
        operations::finish(&self.state, self.id, OperationStatus::Completed, fin).map(|(op, _)| op)
    }

    /// Fails it with a message.
    pub fn fail(&self, message: &str) -> Result<OperationState, ApiError> {
        let fin = Finish {
            result: None,
            message: Some(message.to_string()),
        };
        operations::finish(&self.state, self.id, OperationStatus::Failed, fin).map(|(op, _)| op)
    }

    /// Resolves when a user presses Cancel (the operation is then shown
    /// cancelled already) or the hub shuts down.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    /// Whether a user cancelled it (or the hub is shutting down).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// A stream opened with [`crate::server::Tidings::open_stream`].
pub struct Stream {
    state: AppState,
    id: Uuid,
    stop: CancellationToken,
}

impl Stream {
    pub(crate) fn new(state: AppState, id: Uuid, stop: CancellationToken) -> Self {
        Stream { state, id, stop }
    }

    /// Its id (as clients and the HTTP API see it).
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Appends text; answers the chunk's index.
    pub fn append(&self, text: &str) -> Result<u64, ApiError> {
        streams::chunk(&self.state, self.id, text.to_string())
    }

    /// Ends it (completed).
    pub fn end(&self) -> Result<StreamView, ApiError> {
        streams::end(&self.state, self.id)
    }

    /// Fails it with a message.
    pub fn fail(&self, message: &str) -> Result<StreamView, ApiError> {
        streams::fail(&self.state, self.id, message.to_string())
    }

    /// Resolves when a user presses Stop (the stream is then ended for
    /// everyone already) or the hub shuts down.
    pub async fn stopped(&self) {
        self.stop.cancelled().await
    }

    /// Whether a user stopped it (or the hub is shutting down).
    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }
}

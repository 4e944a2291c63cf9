//! Telling backends that a user pressed Cancel or Stop: a registry of the
//! jobs created over HTTP (their topic, whether a user asked to stop them)
//! for polling, and the broadcast behind `GET /api/control` (served by
//! the HTTP API), so a backend learns of them without polling.

use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A request from a user that a backend must act on.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlEvent {
    OperationCancel { operation_id: Uuid, topic: String },
    StreamStop { stream_id: Uuid, topic: String },
}

impl ControlEvent {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ControlEvent::OperationCancel { .. } => "operation_cancel",
            ControlEvent::StreamStop { .. } => "stream_stop",
        }
    }
}

/// One job created over HTTP.
#[derive(Debug, Clone)]
pub struct ApiJob {
    pub topic: String,
    /// A user pressed Cancel / Stop.
    pub stop_requested: bool,
    /// Cancelled when the backend ends the job (complete, fail, end).
    pub done: CancellationToken,
}

/// Jobs created over HTTP, at most `capacity` (the oldest go first).
pub struct ApiJobs {
    jobs: Mutex<(HashMap<Uuid, ApiJob>, VecDeque<Uuid>)>,
    capacity: usize,
    pub(crate) events: broadcast::Sender<ControlEvent>,
}

impl ApiJobs {
    pub fn new(capacity: usize) -> Self {
        ApiJobs {
            jobs: Mutex::new((HashMap::new(), VecDeque::new())),
            capacity: capacity.max(1),
            events: broadcast::channel(256).0,
        }
    }

    pub fn insert(&self, id: Uuid, job: ApiJob) {
        let mut j = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        while j.1.len() >= self.capacity {
            if let Some(old) = j.1.pop_front() {
                j.0.remove(&old);
            }
        }
        j.0.insert(id, job);
        j.1.push_back(id);
    }

    pub fn get(&self, id: &Uuid) -> Option<ApiJob> {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .get(id)
            .cloned()
    }

    /// Records a user's Cancel/Stop and tells listening backends.
    pub fn request_stop(&self, id: Uuid, event: ControlEvent) {
        if let Some(job) = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .get_mut(&id)
        {
            job.stop_requested = true;
        }
        let _ = self.events.send(event);
    }
}

/// Who jobs and messages created over HTTP are from.
pub fn api_user() -> crate::protocol::User {
    crate::protocol::User {
        id: "api-backend".into(),
        name: "API".into(),
    }
}

//! The registry of running operations and streams: who may be cancelled,
//! in which topic, and the bound on how many run at once.

use crate::protocol::ErrorCode;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Running jobs (operations and streams), keyed by their id.
pub struct Jobs {
    running: Mutex<HashMap<Uuid, (String, CancellationToken)>>,
    max_running: usize,
}

impl Jobs {
    pub fn new(max_running: usize) -> Self {
        Jobs {
            running: Mutex::new(HashMap::new()),
            max_running,
        }
    }

    /// Registers a job; refuses when `max_running` are already running.
    pub fn register(
        &self,
        id: Uuid,
        topic: &str,
        token: CancellationToken,
    ) -> Result<(), ErrorCode> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.len() >= self.max_running {
            return Err(ErrorCode::LimitReached);
        }
        running.insert(id, (topic.to_string(), token));
        Ok(())
    }

    /// Registers a job unless one with this id already runs here: `Ok(false)`
    /// then, and nothing changes. Refuses when `max_running` are running.
    pub fn register_new(
        &self,
        id: Uuid,
        topic: &str,
        token: CancellationToken,
    ) -> Result<bool, ErrorCode> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.contains_key(&id) {
            return Ok(false);
        }
        if running.len() >= self.max_running {
            return Err(ErrorCode::LimitReached);
        }
        running.insert(id, (topic.to_string(), token));
        Ok(true)
    }

    /// Forgets a job that ended.
    pub fn finish(&self, id: Uuid) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// Asks a running job to stop. Returns its topic.
    pub fn cancel(&self, id: Uuid) -> Result<String, ErrorCode> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let (topic, token) = running.get(&id).ok_or(ErrorCode::NotFound)?;
        token.cancel();
        Ok(topic.clone())
    }

    /// The topic of a running job.
    pub fn topic_of(&self, id: Uuid) -> Option<String> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.get(&id).map(|(topic, _)| topic.clone())
    }

    pub fn running(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or(0)
    }
}

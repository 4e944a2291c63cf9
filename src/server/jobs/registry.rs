//! The registry of running operations and streams: who may be cancelled,
//! in which topic, and the bounds on how many run at once: in all (for
//! jobs users start), per user (so one visitor cannot take every slot),
//! and for the HTTP API's backends apart (they never take users' slots).
//! No job starts while the server is over its memory budget.

use crate::protocol::ErrorCode;
use crate::server::budget::MemoryBudget;
use crate::server::stats::Refusal;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Who started a job, for the slot it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A user (or guest) by id.
    User(String),
    /// A backend through the HTTP API.
    Api,
}

/// Why a job was not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRefused {
    /// Every slot for users' jobs is taken (`--max-running-jobs`).
    Total,
    /// This user runs as many as one may (`--max-jobs-per-user`).
    PerUser,
    /// Every slot of the HTTP API is taken (`--max-api-jobs`).
    Api,
    /// The server is over its memory budget.
    OverBudget,
}

impl JobRefused {
    /// How the refusal is counted in `/healthz` and `/metrics`.
    pub fn refusal(self) -> Refusal {
        match self {
            JobRefused::PerUser => Refusal::UserJobLimit,
            JobRefused::OverBudget => Refusal::MemoryBudget,
            JobRefused::Total | JobRefused::Api => Refusal::JobLimit,
        }
    }

    /// The error code and message a client is sent.
    pub fn error(self) -> (ErrorCode, &'static str) {
        match self {
            JobRefused::Total | JobRefused::Api => (
                ErrorCode::LimitReached,
                "too many jobs are running; try again later",
            ),
            JobRefused::PerUser => (
                ErrorCode::TooManyJobs,
                "you already run as many jobs as you may; wait for one to end or cancel one",
            ),
            JobRefused::OverBudget => (
                ErrorCode::OverBudget,
                "the server is over its memory budget; try again later",
            ),
        }
    }
}

/// How many jobs may run.
#[derive(Debug, Clone, Copy)]
pub struct JobLimits {
    /// Users' jobs in all.
    pub max_running: usize,
    pub per_user: usize,
    /// The HTTP API's jobs in all.
    pub max_api: usize,
}

struct Running {
    topic: String,
    token: CancellationToken,
    owner: Owner,
}

/// Running jobs (operations and streams), keyed by their id.
pub struct Jobs {
    running: Mutex<HashMap<Uuid, Running>>,
    limits: JobLimits,
    budget: Arc<MemoryBudget>,
}

impl Jobs {
    pub fn new(limits: JobLimits, budget: Arc<MemoryBudget>) -> Self {
        Jobs {
            running: Mutex::new(HashMap::new()),
            limits,
            budget,
        }
    }

    fn check(&self, running: &HashMap<Uuid, Running>, owner: &Owner) -> Result<(), JobRefused> {
        if self.budget.over() {
            return Err(JobRefused::OverBudget);
        }
        let of = |o: &Owner| running.values().filter(|r| r.owner == *o).count();
        match owner {
            Owner::Api => {
                if of(&Owner::Api) >= self.limits.max_api {
                    return Err(JobRefused::Api);
                }
            }
            Owner::User(_) => {
                let users = running.values().filter(|r| r.owner != Owner::Api).count();
                if users >= self.limits.max_running {
                    return Err(JobRefused::Total);
                }
                if of(owner) >= self.limits.per_user {
                    return Err(JobRefused::PerUser);
                }
            }
        }
        Ok(())
    }

    /// Registers a job; refuses when its owner's slots are taken.
    pub fn register(
        &self,
        id: Uuid,
        topic: &str,
        token: CancellationToken,
        owner: Owner,
    ) -> Result<(), JobRefused> {
        self.register_new(id, topic, token, owner).map(drop)
    }

    /// Registers a job unless one with this id already runs here: `Ok(false)`
    /// then, and nothing changes. Refuses when its owner's slots are taken.
    pub fn register_new(
        &self,
        id: Uuid,
        topic: &str,
        token: CancellationToken,
        owner: Owner,
    ) -> Result<bool, JobRefused> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.contains_key(&id) {
            return Ok(false);
        }
        self.check(&running, &owner)?;
        running.insert(
            id,
            Running {
                topic: topic.to_string(),
                token,
                owner,
            },
        );
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
        let r = running.get(&id).ok_or(ErrorCode::NotFound)?;
        r.token.cancel();
        Ok(r.topic.clone())
    }

    /// The topic of a running job.
    pub fn topic_of(&self, id: Uuid) -> Option<String> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.get(&id).map(|r| r.topic.clone())
    }

    pub fn running(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(max_running: usize, per_user: usize, max_api: usize) -> Jobs {
        Jobs::new(
            JobLimits {
                max_running,
                per_user,
                max_api,
            },
            MemoryBudget::unlimited(),
        )
    }

    fn start(j: &Jobs, owner: Owner) -> Result<(), JobRefused> {
        j.register(Uuid::new_v4(), "ops:x", CancellationToken::new(), owner)
    }

    #[test]
    fn users_have_slots_of_their_own_and_the_api_its_own_pool() {
        let j = jobs(4, 2, 2);
        let alice = || Owner::User("alice".into());
        assert_eq!(start(&j, alice()), Ok(()));
        assert_eq!(start(&j, alice()), Ok(()));
        assert_eq!(start(&j, alice()), Err(JobRefused::PerUser));
        assert_eq!(start(&j, Owner::User("bob".into())), Ok(()));
        assert_eq!(start(&j, Owner::Api), Ok(()));
        assert_eq!(start(&j, Owner::Api), Ok(()));
        assert_eq!(start(&j, Owner::Api), Err(JobRefused::Api));
        assert_eq!(
            start(&j, Owner::User("carol".into())),
            Ok(()),
            "API jobs take no user slot"
        );
        assert_eq!(
            start(&j, Owner::User("dave".into())),
            Err(JobRefused::Total)
        );
    }

    #[test]
    fn no_job_starts_over_the_budget() {
        let budget = MemoryBudget::new(1000, 1000, 1000);
        let j = Jobs::new(
            JobLimits {
                max_running: 10,
                per_user: 10,
                max_api: 10,
            },
            budget.clone(),
        );
        budget.add(crate::server::budget::Part::Outbound, 2000);
        assert_eq!(start(&j, Owner::Api), Err(JobRefused::OverBudget));
    }
}

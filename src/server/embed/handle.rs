//! The handle of an embedded hub: what a backend in the same process
//! does — publish, notify, start operations and open streams — through
//! the same code, bounds and errors as the HTTP API.

use crate::protocol::{Level, User};
use crate::server::backend::messages::{self, Published};
use crate::server::backend::operations::{self, CreateOperation};
use crate::server::backend::streams::{self, OpenStream};
use crate::server::config::Config;
use crate::server::embed::jobs::{Operation, Stream};
use crate::server::http_error::ApiError;
use crate::server::jobs::control::api_user;
use crate::server::state::AppState;
use serde_json::Value;

/// A running hub, cheap to clone (see [`Tidings::builder`]).
#[derive(Clone)]
pub struct Tidings {
    pub(crate) state: AppState,
}

impl Tidings {
    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// Publishes `data` to `topic` as the backend (`api-backend`, "API");
    /// the workspace shows `{"text": …}` as a chat line.
    pub async fn publish(&self, topic: &str, data: Value) -> Result<Published, ApiError> {
        self.publish_as(topic, api_user(), data, uuid::Uuid::new_v4())
            .await
    }

    /// Publishes as `from`, once per `id` within the dedupe window (a
    /// retry with the same id answers the first publish's seq).
    pub async fn publish_as(
        &self,
        topic: &str,
        from: User,
        data: Value,
        id: uuid::Uuid,
    ) -> Result<Published, ApiError> {
        messages::publish(&self.state, topic, id, from, data).await
    }

    /// Notifies every subscriber of `topic`; returns how many got it.
    pub fn notify_topic(
        &self,
        topic: &str,
        level: Level,
        title: &str,
        body: Option<&str>,
    ) -> Result<usize, ApiError> {
        let note = messages::note(level, title, body);
        messages::notify_topic(&self.state, topic, note)
    }

    /// Notifies every connection of `user_id` (e.g. `user-alice`).
    pub fn notify_user(
        &self,
        user_id: &str,
        level: Level,
        title: &str,
        body: Option<&str>,
    ) -> usize {
        let note = messages::note(level, title, body);
        self.state.hub.notify_user(user_id, note)
    }

    /// Starts an operation `by` a user; report on it through the
    /// returned [`Operation`].
    pub fn start_operation(&self, req: CreateOperation, by: User) -> Result<Operation, ApiError> {
        let (id, cancel) = operations::create(&self.state, req, by)?;
        Ok(Operation::new(self.state.clone(), id, cancel))
    }

    /// Opens a stream by `author` (for an assistant's answer); append to
    /// it through the returned [`Stream`].
    pub fn open_stream(&self, req: OpenStream, author: User) -> Result<Stream, ApiError> {
        let (id, stop) = streams::open(&self.state, req, author)?;
        Ok(Stream::new(self.state.clone(), id, stop))
    }
}

//! `GET /api/control`: the stream on which backends hear that a user
//! pressed Cancel or Stop on a job they created over HTTP (the registry
//! is [`crate::server::jobs::control`]).

use crate::server::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use std::convert::Infallible;
use tokio::sync::broadcast;

/// `GET /api/control`: server-sent events `operation_cancel` and
/// `stream_stop`, each with a JSON body.
pub async fn events(
    State(state): State<AppState>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = state.api_jobs.events.subscribe();
    let shutdown = state.shutdown.clone();
    let stream = futures_util::stream::unfold((rx, shutdown), |(mut rx, shutdown)| async move {
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => return None,
                next = rx.recv() => next,
            };
            match next {
                Ok(ev) => {
                    let event = Event::default()
                        .event(ev.name())
                        .json_data(&ev)
                        .unwrap_or_default();
                    return Some((Ok(event), (rx, shutdown)));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

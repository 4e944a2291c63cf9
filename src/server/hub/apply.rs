//! Messages numbered by a shared backplane (Redis): recorded in the local
//! mirror and fanned out here, with a live `gap` when the shared store
//! lost the topic and started a new epoch.

use crate::protocol::*;
use crate::server::frames::{encode, now_ms, topic_frame};
use crate::server::history::Recorded;
use crate::server::hub::lanes::Lane;
use crate::server::hub::registry::Hub;
use axum::extract::ws::Utf8Bytes;
use std::time::Instant;

impl Hub {
    /// A message numbered by a shared backplane, as a frame (loaded from
    /// the shared history): sets its seq and epoch, encodes it, and goes on
    /// as [`Hub::apply_encoded`], aged by the frame's timestamp.
    pub fn apply_message(
        &self,
        topic: &str,
        epoch: &str,
        seq: u64,
        mut frame: ServerFrame,
        live: bool,
        strict: bool,
    ) -> Recorded {
        frame.seq = Some(seq);
        frame.epoch = Some(epoch.to_string());
        let age = std::time::Duration::from_millis(now_ms().saturating_sub(frame.ts));
        let now = Instant::now();
        let at = now.checked_sub(age).unwrap_or(now);
        self.apply_encoded(topic, epoch, seq, encode(&frame), at, live, strict)
    }

    /// A message numbered by a shared backplane, already encoded with its
    /// seq and epoch (as the publish script sends it live): records it in
    /// the local mirror and, if `live` and new, queues the same bytes for
    /// every subscriber here. With `strict` (and the topic's history
    /// loaded) a message past the next seq is refused as a hole, so the
    /// caller fetches what is missing first.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_encoded(
        &self,
        topic: &str,
        epoch: &str,
        seq: u64,
        bytes: Utf8Bytes,
        at: Instant,
        live: bool,
        strict: bool,
    ) -> Recorded {
        self.with_topic(topic, |t| {
            let strict = strict && t.loaded;
            let lost = (t.loaded && t.history.epoch() != epoch)
                .then(|| (t.history.epoch().to_string(), t.history.seq()));
            let done = t.history.record(epoch, seq, bytes.clone(), at, strict);
            if live && done == Recorded::Appended {
                if let Some((previous_epoch, last)) = lost {
                    // The shared store lost the topic (a new epoch from 1):
                    // live subscribers learn it as a resuming one would.
                    let gap = GapBody {
                        reason: GapReason::EpochChanged,
                        previous_epoch,
                        epoch: epoch.to_string(),
                        from_seq: last + 1,
                        to_seq: None,
                    };
                    t.fan_out(
                        encode(&topic_frame(topic, ServerMsg::Gap(gap))),
                        Lane::Normal,
                        None,
                        None,
                    );
                }
                let started = Instant::now();
                t.fan_out(bytes, Lane::Normal, None, None);
                metrics::histogram!("tidings_fanout_seconds")
                    .record(started.elapsed().as_secs_f64());
            }
            done
        })
    }
}

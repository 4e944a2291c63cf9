//! Prometheus exposition at `GET /metrics`, through the `metrics` facade
//! and `metrics-exporter-prometheus` (no hand-formatted text).
//!
//! Counters and histograms are recorded where things happen (frames in by
//! type, frames out, fan-out latency, dropped ephemeral frames, disconnects
//! by reason, refusals by reason, HTTP API requests by route and status);
//! gauges (connections, subscriptions, topics, each memory budget part's
//! use and limit) are read when scraped. The recorder is process-wide, so
//! a scrape sets the gauges and renders them under one lock: with several
//! servers in a process (the integration tests), each scrape shows its own
//! server's gauges, never another's set in between.

use crate::server::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Mutex, OnceLock};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Held while a scrape sets the gauges and renders them.
static SCRAPE: Mutex<()> = Mutex::new(());

/// Installs the process-wide recorder once and returns its handle.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("tidings_fanout_seconds".into()),
                    &[
                        0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Response {
    let _scrape = SCRAPE.lock().unwrap_or_else(|e| e.into_inner());
    let stats = &state.hub.stats;
    metrics::gauge!("tidings_connections").set(stats.connections_open.load(Relaxed) as f64);
    metrics::gauge!("tidings_subscriptions").set(state.hub.subscription_count() as f64);
    metrics::gauge!("tidings_topics").set(state.hub.topic_count() as f64);
    metrics::gauge!("tidings_running_jobs").set(state.jobs.running() as f64);
    let budget = &state.budget;
    for part in crate::server::budget::Part::ALL {
        let name = part.name();
        metrics::gauge!("tidings_memory_used_bytes", "part" => name).set(budget.used(part) as f64);
        let limit = budget.limit(part).min(budget.budget());
        metrics::gauge!("tidings_memory_limit_bytes", "part" => name).set(limit as f64);
    }
    metrics::gauge!("tidings_memory_used_bytes", "part" => "total").set(budget.total() as f64);
    metrics::gauge!("tidings_memory_limit_bytes", "part" => "total").set(budget.budget() as f64);
    metrics::gauge!("tidings_memory_over_budget").set(if budget.over() { 1.0 } else { 0.0 });
    (
        [("content-type", "text/plain; version=0.0.4")],
        install().render(),
    )
        .into_response()
}

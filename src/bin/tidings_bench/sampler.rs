//! Once-per-second samples of a server child while a scenario runs: RSS
//! from `/proc` and what `/healthz` says (status, topics, memory budget),
//! taken by a background task; how to print a series of them; and the
//! least-squares slope of RSS over time (the soak's leak figure).

use super::{healthz, procstat};
use serde::Serialize;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One sample.
#[derive(Serialize, Clone, Debug)]
pub struct Sample {
    /// Seconds since the sampler started.
    pub t_s: f64,
    pub rss_kib: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<u64>,
    /// `memory.used` / `memory.budget` of `/healthz` (bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_used: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_budget: Option<u64>,
}

#[derive(Default)]
struct Store {
    samples: Vec<Sample>,
    last_health: Option<Value>,
}

/// The background sampler; stops when dropped.
pub struct Sampler {
    store: Arc<Mutex<Store>>,
    task: tokio::task::JoinHandle<()>,
    pub started: Instant,
}

/// Samples kept at most (one per second: 3 hours).
const MAX_SAMPLES: usize = 10_800;

impl Sampler {
    /// Samples `pid` (and `/healthz` at `addr`) every `every`, the first at once.
    pub fn start(pid: u32, addr: SocketAddr, every: Duration) -> Self {
        let store = Arc::new(Mutex::new(Store::default()));
        let started = Instant::now();
        let s = store.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let t_s = started.elapsed().as_secs_f64();
                let Ok(rss_kib) = procstat::rss_kib(pid) else {
                    return; // the child is gone
                };
                let h = healthz::get(addr, Duration::from_millis(900)).await.ok();
                let sample = Sample {
                    t_s,
                    rss_kib,
                    status: h.as_ref().and_then(healthz::status),
                    topics: h.as_ref().and_then(healthz::topics),
                    mem_used: h.as_ref().and_then(healthz::memory).map(|m| m.0),
                    mem_budget: h.as_ref().and_then(healthz::memory).map(|m| m.1),
                };
                let mut st = s.lock().unwrap_or_else(|e| e.into_inner());
                if st.samples.len() < MAX_SAMPLES {
                    st.samples.push(sample);
                }
                if h.is_some() {
                    st.last_health = h;
                }
            }
        });
        Sampler {
            store,
            task,
            started,
        }
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .samples
            .clone()
    }

    /// The newest `/healthz` answer.
    pub fn last_health(&self) -> Option<Value> {
        self.store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last_health
            .clone()
    }

    /// Seconds since start.
    pub fn now_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Prints RSS (MiB) of `samples`, 10 per line, each line led by its time.
pub fn print_rss(label: &str, samples: &[Sample]) {
    println!("{label}");
    for row in samples.chunks(10) {
        let vals: Vec<String> = row
            .iter()
            .map(|s| format!("{:6.1}", mib(s.rss_kib)))
            .collect();
        println!("  t={:>4.0}s {}", row[0].t_s, vals.join(" "));
    }
}

/// Prints `memory used / budget` (MiB) of the samples that have it.
pub fn print_budget(label: &str, samples: &[Sample]) {
    let with: Vec<&Sample> = samples.iter().filter(|s| s.mem_budget.is_some()).collect();
    if with.is_empty() {
        println!("{label}: /healthz reports no memory budget");
        return;
    }
    println!("{label} (memory.used / memory.budget, MiB):");
    for row in with.chunks(8) {
        let vals: Vec<String> = row
            .iter()
            .map(|s| {
                format!(
                    "{:.1}/{:.0}",
                    s.mem_used.unwrap_or(0) as f64 / 1048576.0,
                    s.mem_budget.unwrap_or(0) as f64 / 1048576.0
                )
            })
            .collect();
        println!("  t={:>4.0}s {}", row[0].t_s, vals.join(" "));
    }
}

/// Seconds the server said `degraded`.
pub fn degraded_s(samples: &[Sample]) -> u64 {
    samples
        .iter()
        .filter(|s| s.status.as_deref() == Some("degraded"))
        .count() as u64
}

/// Least-squares slope of RSS (KiB per minute) over the samples at or
/// after `from_s`; `None` with fewer than 2.
pub fn slope_kib_per_min(samples: &[Sample], from_s: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.t_s >= from_s)
        .map(|s| (s.t_s / 60.0, s.rss_kib as f64))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t_s: f64, rss_kib: u64) -> Sample {
        Sample {
            t_s,
            rss_kib,
            status: None,
            topics: None,
            mem_used: None,
            mem_budget: None,
        }
    }

    #[test]
    fn slope_of_a_line() {
        // 10 KiB per second = 600 KiB per minute, from t=120 s on.
        let v: Vec<Sample> = (0..300).map(|t| s(t as f64, 1000 + 10 * t)).collect();
        let k = slope_kib_per_min(&v, 120.0).unwrap();
        assert!((k - 600.0).abs() < 1e-6, "{k}");
        assert!(slope_kib_per_min(&v, 1e9).is_none());
    }
}

//! Which transport the next connection attempt uses: the WebSocket, or the
//! SSE fallback (`/sse` + POST) when something between the browser and the
//! server blocks WebSockets. Kept pure (no I/O, no clock reads) like
//! [`super::reconnect`], so tests drive it with a fake clock.
//!
//! The rule: WebSocket attempts that end before `welcome` without the
//! server having spoken (no Tidings close code) look like a blocking proxy.
//! After [`FallbackConfig::ws_failures_before_check`] of them in a row the
//! transport asks for a plain HTTP check (`GET /healthz`); only if that
//! works (the server is up, so the WebSocket itself is the problem) do the
//! next attempts use SSE. While connected over SSE a WebSocket probe runs
//! every [`FallbackConfig::probe_interval_ms`]; when one gets an answer
//! from the server, the client switches back to the WebSocket. Its tests are in `tests.rs`.
//!
//! May not touch: the browser (no `web_sys`/`js_sys`, no clock reads), the
//! transport, or anything above the client's pure core.

use super::reconnect::CLOSE_CONNECT_TIMEOUT;

/// The two ways to reach the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    #[default]
    WebSocket,
    /// Server-sent events down, POST up.
    Sse,
}

/// Tuning for [`Fallback`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FallbackConfig {
    /// WebSocket attempts in a row that look blocked before the HTTP
    /// check. Default: 2.
    pub ws_failures_before_check: u32,
    /// SSE attempts in a row that end before `welcome` before trying the
    /// WebSocket again. Default: 2.
    pub sse_failures_before_ws: u32,
    /// While connected over SSE, probe the WebSocket this often. Default:
    /// 30 000 ms.
    pub probe_interval_ms: u64,
    /// A probe without an answer after this long failed. Default: 5 000 ms.
    pub probe_timeout_ms: u64,
}

impl Default for FallbackConfig {
    fn default() -> Self {
        FallbackConfig {
            ws_failures_before_check: 2,
            sse_failures_before_ws: 2,
            probe_interval_ms: 30_000,
            probe_timeout_ms: 5_000,
        }
    }
}

/// What the transport must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Fetch `/healthz` and report with [`Fallback::http_checked`].
    CheckHttp,
    /// Open a WebSocket probe with this id; report with
    /// [`Fallback::probe_done`].
    Probe { id: u64 },
    /// Give up on this probe (timed out) and close it.
    CancelProbe { id: u64 },
    /// The WebSocket works again: end the SSE connection and reconnect.
    SwitchToWebSocket,
}

/// How an attempt ended, as the transport saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ending {
    /// The server's `welcome` had arrived.
    pub welcomed: bool,
    /// The close code.
    pub code: u16,
    /// The client closed it (timeouts, offline, stop), not the server or
    /// the network.
    pub by_client: bool,
}

impl Ending {
    /// Does this ending suggest that something blocks the transport (as
    /// opposed to the server refusing, shutting down, or the client
    /// giving up for its own reasons)?
    pub fn looks_blocked(&self) -> bool {
        if self.welcomed {
            return false;
        }
        if self.by_client {
            return self.code == CLOSE_CONNECT_TIMEOUT;
        }
        // Codes only the Tidings server sends prove the server was reached.
        !(self.code >= 4000 || matches!(self.code, 1001 | 1008 | 1009 | 1011 | 1013))
    }
}

/// The transport choice. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Fallback {
    config: FallbackConfig,
    mode: Transport,
    /// Attempts in a row on `mode` that look blocked.
    failures: u32,
    checking: bool,
    /// Connected over SSE: when the next probe is due.
    next_probe_at: Option<u64>,
    /// The probe in flight: id and start time.
    probe: Option<(u64, u64)>,
    last_probe: u64,
}

impl Fallback {
    pub fn new(config: FallbackConfig) -> Self {
        Fallback {
            config,
            ..Fallback::default()
        }
    }

    /// The transport for the next attempt.
    pub fn transport(&self) -> Transport {
        self.mode
    }

    /// An attempt over `transport` got its `welcome`.
    pub fn welcomed(&mut self, now_ms: u64, transport: Transport) {
        self.failures = 0;
        self.mode = transport;
        self.next_probe_at = match transport {
            Transport::Sse => Some(now_ms.saturating_add(self.config.probe_interval_ms)),
            Transport::WebSocket => None,
        };
    }

    /// An attempt over `transport` ended.
    pub fn ended(&mut self, transport: Transport, ending: Ending) -> Vec<Action> {
        self.next_probe_at = None;
        if transport != self.mode {
            return Vec::new();
        }
        if ending.welcomed {
            self.failures = 0;
            return Vec::new();
        }
        let blocked = ending.looks_blocked();
        match self.mode {
            Transport::WebSocket if !blocked => {
                self.failures = 0;
                Vec::new()
            }
            Transport::WebSocket => {
                self.failures = self.failures.saturating_add(1);
                if self.failures >= self.config.ws_failures_before_check && !self.checking {
                    self.checking = true;
                    vec![Action::CheckHttp]
                } else {
                    Vec::new()
                }
            }
            Transport::Sse => {
                self.failures = self.failures.saturating_add(1);
                if self.failures >= self.config.sse_failures_before_ws {
                    self.mode = Transport::WebSocket;
                    self.failures = 0;
                }
                Vec::new()
            }
        }
    }

    /// The result of [`Action::CheckHttp`]: `ok` when the server answered.
    pub fn http_checked(&mut self, ok: bool) {
        self.checking = false;
        if ok
            && self.mode == Transport::WebSocket
            && self.failures >= self.config.ws_failures_before_check
        {
            self.mode = Transport::Sse;
            self.failures = 0;
        }
    }

    /// Periodic timer: starts and times out probes.
    pub fn tick(&mut self, now_ms: u64) -> Vec<Action> {
        if let Some((id, started)) = self.probe {
            if now_ms.saturating_sub(started) > self.config.probe_timeout_ms {
                self.probe_done(now_ms, id, false);
                return vec![Action::CancelProbe { id }];
            }
            return Vec::new();
        }
        match self.next_probe_at {
            Some(at) if now_ms >= at && self.mode == Transport::Sse => {
                self.last_probe += 1;
                let id = self.last_probe;
                self.probe = Some((id, now_ms));
                vec![Action::Probe { id }]
            }
            _ => Vec::new(),
        }
    }

    /// Probe `id` got an answer from the server (`ok`) or failed.
    pub fn probe_done(&mut self, now_ms: u64, id: u64, ok: bool) -> Vec<Action> {
        if self.probe.map(|(p, _)| p) != Some(id) {
            return Vec::new();
        }
        self.probe = None;
        let connected = self.next_probe_at.is_some();
        if ok && self.mode == Transport::Sse {
            self.mode = Transport::WebSocket;
            self.failures = 0;
            self.next_probe_at = None;
            // Not connected: the next attempt simply uses the WebSocket.
            return match connected {
                true => vec![Action::SwitchToWebSocket],
                false => Vec::new(),
            };
        }
        if connected {
            self.next_probe_at = Some(now_ms.saturating_add(self.config.probe_interval_ms));
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests;

//! Connection state machine for the browser client, kept pure so it can be tested.
//!
//! The browser transport owns the real `WebSocket`s, timers and window events. It
//! feeds each one in as an [`Event`] with the current time in ms and carries out the
//! [`Command`]s it gets back. All reconnect policy lives here (full-jitter backoff,
//! attempt cap, connect and heartbeat timeouts, instant retry on `online`/`visible`),
//! with no I/O and no clock reads, so tests drive it with a fake clock.
//!
//! With several servers ([`Machine::with_servers`]) it also decides which one
//! each attempt goes to: every lost connection or failed attempt moves on to
//! the next server (round robin), still after the same backoff, so one loss
//! is still exactly one reconnect. Its tests are in
//! `tests.rs` and `tests/failover.rs`.
//!
//! May not touch: the browser (no `web_sys`/`js_sys`, no clock reads), the
//! transport, or anything above the client's pure core.

/// Close code sent when the server has been silent for more than two heartbeats.
pub const CLOSE_HEARTBEAT_TIMEOUT: u16 = 4000;
/// Close code sent when a socket did not open within `connect_timeout_ms`.
pub const CLOSE_CONNECT_TIMEOUT: u16 = 4001;
/// The server refused the credentials: retrying the same ones cannot help.
pub const CLOSE_UNAUTHORIZED: u16 = 4002;
/// The connection's token expired: retrying with it cannot help either
/// (a fresh one, `RealtimeClient::refresh_token`, connects again).
pub const CLOSE_TOKEN_EXPIRED: u16 = 4004;
/// Normal closure, used for "network offline" and "client stopped".
pub const CLOSE_NORMAL: u16 = 1000;

/// Tuning for [`Machine`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconnectConfig {
    /// Backoff ceiling for the first retry. Default: 500 ms.
    pub base_delay_ms: u64,
    /// Highest backoff ceiling; doubling stops here. Default: 30 000 ms.
    pub max_delay_ms: u64,
    /// Failed attempts in a row before giving up with [`Phase::Offline`]. Default: 10.
    pub max_attempts: u32,
    /// Expected gap between server frames; no frame for more than twice this closes
    /// the socket. Replaced by [`Event::Welcome`]. Default: 15 000 ms.
    pub heartbeat_interval_ms: u64,
    /// A socket not open after this long is closed and counts as a failed attempt.
    /// Default: 10 000 ms.
    pub connect_timeout_ms: u64,
}

impl Default for ReconnectConfig {
    fn default() -> Self {
        Self {
            base_delay_ms: 500,
            max_delay_ms: 30_000,
            max_attempts: 10,
            heartbeat_interval_ms: 15_000,
            connect_timeout_ms: 10_000,
        }
    }
}

/// Coarse connection state. `Waiting` means a retry is scheduled; `Offline` means the
/// machine gave up after `max_attempts` and only a user or browser event retries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Idle,
    Connecting,
    Connected,
    Waiting,
    Offline,
}

/// Snapshot of the machine for the UI.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionView {
    pub phase: Phase,
    /// Failed attempts since the last successful open (0 when connected). While
    /// connecting: the 1-based number of the attempt in progress.
    pub attempt: u32,
    /// Time (ms) of the scheduled retry while waiting.
    pub next_attempt_at: Option<u64>,
    /// Text of the last close or failure, e.g. "closed (1006)", "heartbeat timeout".
    pub last_error: Option<String>,
    /// True once any socket has opened.
    pub ever_connected: bool,
    /// True between [`Event::Offline`] and [`Event::Online`].
    pub browser_offline: bool,
    /// Index (into the client's server list) of the server the current or
    /// next attempt goes to; always 0 with a single server.
    pub server: usize,
}

impl ConnectionView {
    /// "Idle", "Connecting", "Connected", "Reconnecting" (after any success) or "Offline".
    pub fn label(&self) -> &'static str {
        match self.phase {
            Phase::Idle => "Idle",
            Phase::Connected => "Connected",
            Phase::Offline => "Offline",
            Phase::Connecting | Phase::Waiting if self.ever_connected => "Reconnecting",
            Phase::Connecting | Phase::Waiting => "Connecting",
        }
    }

    /// Milliseconds until the scheduled retry (0 once due), if one is scheduled.
    pub fn countdown_ms(&self, now_ms: u64) -> Option<u64> {
        self.next_attempt_at.map(|at| at.saturating_sub(now_ms))
    }
}

/// Input to [`Machine::handle`]. Socket events for any id but the current one are
/// stale and ignored.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Begin connecting (only from `Idle`).
    Start,
    /// The socket fired `open`.
    Opened { socket: u64 },
    /// The server announced its heartbeat interval (0 is ignored).
    Welcome { heartbeat_interval_ms: u64 },
    /// Any frame arrived on the socket.
    Frame { socket: u64 },
    /// The socket fired `close` (always follows `error`).
    Closed {
        socket: u64,
        code: u16,
        reason: String,
    },
    /// Periodic timer, about every 250 ms.
    Tick,
    /// The user pressed "Retry now".
    RetryNow,
    /// Window `online` event.
    Online,
    /// Window `offline` event.
    Offline,
    /// The document became visible.
    Visible,
    /// Shut down (page unload).
    Stop,
}

/// Output of [`Machine::handle`], for the transport to carry out.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Create a new socket with this id. Ids strictly increase from 1.
    Open { socket: u64 },
    /// Close this socket. The machine already treats it as gone.
    Close {
        socket: u64,
        code: u16,
        reason: String,
    },
}

/// The reconnect state machine. See the module docs. `Default` is
/// `Machine::new(ReconnectConfig::default(), 0)`.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    config: ReconnectConfig,
    rng: u64,
    phase: Phase,
    /// Failed attempts since the last successful open.
    failures: u32,
    next_attempt_at: Option<u64>,
    last_error: Option<String>,
    ever_connected: bool,
    browser_offline: bool,
    /// Id of the last socket opened (0 before the first).
    last_socket: u64,
    current: Option<u64>,
    attempt_started_at: u64,
    last_frame_at: u64,
    /// Servers to rotate through (0 is taken as 1).
    servers: usize,
    /// The server of the current or next attempt.
    server: usize,
}

impl Machine {
    /// `seed` drives the jitter PRNG (splitmix64, so any seed works, 0 included).
    pub fn new(config: ReconnectConfig, seed: u64) -> Self {
        Self {
            config,
            rng: seed,
            ..Self::default()
        }
    }

    /// Rotates through `count` servers (0 and 1 mean one): each attempt
    /// goes to [`Machine::server`], which moves to the next one whenever a
    /// connection is lost or an attempt fails.
    pub fn with_servers(mut self, count: usize) -> Self {
        self.servers = count.max(1);
        self.server = 0;
        self
    }

    /// Index of the server the current (or next) attempt goes to.
    pub fn server(&self) -> usize {
        self.server
    }

    /// Feeds one event at time `now_ms` and returns what the transport must do.
    pub fn handle(&mut self, now_ms: u64, event: Event) -> Vec<Command> {
        let mut out = Vec::new();
        match event {
            Event::Start if self.phase == Phase::Idle => {
                self.failures = 0;
                self.connect(now_ms, &mut out);
            }
            Event::Opened { socket }
                if self.is_current(socket) && self.phase == Phase::Connecting =>
            {
                self.phase = Phase::Connected;
                self.failures = 0;
                self.ever_connected = true;
                self.last_frame_at = now_ms;
            }
            Event::Welcome {
                heartbeat_interval_ms: ms,
            } if ms > 0 => {
                self.config.heartbeat_interval_ms = ms;
            }
            Event::Frame { socket } if self.is_current(socket) => self.last_frame_at = now_ms,
            Event::Closed {
                socket,
                code,
                reason,
            } if self.is_current(socket) => {
                self.lose(now_ms, close_text(code, &reason));
                if code == CLOSE_UNAUTHORIZED || code == CLOSE_TOKEN_EXPIRED {
                    // Retrying with the same credentials cannot help.
                    self.phase = Phase::Offline;
                    self.next_attempt_at = None;
                }
            }
            Event::Tick => self.tick(now_ms, &mut out),
            Event::RetryNow | Event::Visible => self.retry_now(now_ms, &mut out),
            Event::Online => {
                let was_offline = std::mem::replace(&mut self.browser_offline, false);
                match (self.phase, self.current) {
                    // An attempt made while offline is doomed: replace it now.
                    (Phase::Connecting, Some(socket)) if was_offline => {
                        out.push(close(socket, CLOSE_NORMAL, "network back"));
                        self.failures = 0;
                        self.connect(now_ms, &mut out);
                    }
                    _ => self.retry_now(now_ms, &mut out),
                }
            }
            Event::Offline => {
                self.browser_offline = true;
                self.abandon(now_ms, CLOSE_NORMAL, "network offline", &mut out);
            }
            Event::Stop => {
                if let Some(socket) = self.current.take() {
                    out.push(close(socket, CLOSE_NORMAL, "client stopped"));
                }
                self.phase = Phase::Idle;
                self.failures = 0;
                self.next_attempt_at = None;
            }
            _ => {}
        }
        out
    }

    /// Snapshot for the UI.
    pub fn view(&self) -> ConnectionView {
        let attempt = match self.phase {
            Phase::Connecting => self.failures.saturating_add(1),
            Phase::Connected | Phase::Idle => 0,
            Phase::Waiting | Phase::Offline => self.failures,
        };
        ConnectionView {
            phase: self.phase,
            attempt,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error.clone(),
            ever_connected: self.ever_connected,
            browser_offline: self.browser_offline,
            server: self.server,
        }
    }

    /// Id of the socket that is connecting or connected.
    pub fn current_socket(&self) -> Option<u64> {
        self.current
    }

    /// `min(max_delay, base * 2^(attempt-1))`, saturating; `attempt` 0 counts as 1.
    pub fn backoff_ceiling_ms(&self, attempt: u32) -> u64 {
        let factor = 1u64.checked_shl(attempt.max(1) - 1).unwrap_or(u64::MAX);
        self.config
            .base_delay_ms
            .saturating_mul(factor)
            .min(self.config.max_delay_ms)
    }

    fn is_current(&self, socket: u64) -> bool {
        self.current == Some(socket)
    }

    fn connect(&mut self, now_ms: u64, out: &mut Vec<Command>) {
        self.last_socket += 1;
        let socket = self.last_socket;
        self.current = Some(socket);
        self.phase = Phase::Connecting;
        self.next_attempt_at = None;
        self.attempt_started_at = now_ms;
        out.push(Command::Open { socket });
    }

    /// Counts the loss of the current socket, moves on to the next server,
    /// and schedules a retry or gives up.
    fn lose(&mut self, now_ms: u64, error: String) {
        self.current = None;
        self.server = (self.server + 1) % self.servers.max(1);
        self.last_error = Some(error);
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.config.max_attempts {
            self.phase = Phase::Offline;
            self.next_attempt_at = None;
        } else {
            let delay = self.jitter(self.backoff_ceiling_ms(self.failures));
            self.phase = Phase::Waiting;
            self.next_attempt_at = Some(now_ms.saturating_add(delay));
        }
    }

    /// Closes the current socket ourselves (if connecting/connected) and counts the loss.
    fn abandon(&mut self, now_ms: u64, code: u16, reason: &str, out: &mut Vec<Command>) {
        if let (Phase::Connecting | Phase::Connected, Some(socket)) = (self.phase, self.current) {
            out.push(close(socket, code, reason));
            self.lose(now_ms, reason.to_owned());
        }
    }

    fn tick(&mut self, now_ms: u64, out: &mut Vec<Command>) {
        let silent = now_ms.saturating_sub(self.last_frame_at);
        let pending = now_ms.saturating_sub(self.attempt_started_at);
        match self.phase {
            Phase::Connected if silent > self.config.heartbeat_interval_ms.saturating_mul(2) => {
                self.abandon(now_ms, CLOSE_HEARTBEAT_TIMEOUT, "heartbeat timeout", out);
            }
            Phase::Connecting if pending > self.config.connect_timeout_ms => {
                self.abandon(now_ms, CLOSE_CONNECT_TIMEOUT, "connect timeout", out);
            }
            Phase::Waiting if self.next_attempt_at.is_some_and(|at| now_ms >= at) => {
                self.connect(now_ms, out);
            }
            _ => {}
        }
    }

    fn retry_now(&mut self, now_ms: u64, out: &mut Vec<Command>) {
        if matches!(self.phase, Phase::Waiting | Phase::Offline) {
            self.failures = 0;
            self.connect(now_ms, out);
        }
    }

    /// Uniform in `[0, ceiling]` (full jitter).
    fn jitter(&mut self, ceiling: u64) -> u64 {
        let r = self.next_random();
        ((u128::from(r) * (u128::from(ceiling) + 1)) >> 64) as u64
    }

    /// splitmix64: good output from any state, including 0.
    fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn close(socket: u64, code: u16, reason: &str) -> Command {
    Command::Close {
        socket,
        code,
        reason: reason.to_owned(),
    }
}

fn close_text(code: u16, reason: &str) -> String {
    let what = match code {
        1001 => "server going away",
        _ => "closed",
    };
    match reason {
        "" => format!("{what} ({code})"),
        _ => format!("{what} ({code}): {reason}"),
    }
}

#[cfg(test)]
mod tests;

//! Why a connection ended: one named reason per exit path, with the
//! close code the client gets and the name stats and metrics count it by.
//! A leaf: the hub, the connection and the stats all name reasons.

/// Why a connection ended. Every exit path names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The client sent a close frame or the socket ended cleanly.
    ClientClosed = 0,
    /// No frame from the client within the heartbeat deadline.
    HeartbeatTimeout = 1,
    /// The outbound queue passed its hard limit.
    SlowConsumer = 2,
    /// The server is shutting down.
    ServerShutdown = 3,
    /// Reading or writing the socket failed.
    SocketError = 4,
    /// A message larger than the maximum (close 1009).
    TooLarge = 5,
    /// Kept flooding past the rate limit (close 1008).
    RateLimited = 6,
    /// The token's `exp` (plus the leeway) passed without a refresh (4004).
    TokenExpired = 7,
}

impl DisconnectReason {
    pub const ALL: [DisconnectReason; 8] = [
        DisconnectReason::ClientClosed,
        DisconnectReason::HeartbeatTimeout,
        DisconnectReason::SlowConsumer,
        DisconnectReason::ServerShutdown,
        DisconnectReason::SocketError,
        DisconnectReason::TooLarge,
        DisconnectReason::RateLimited,
        DisconnectReason::TokenExpired,
    ];

    /// Name used in stats.
    pub fn name(self) -> &'static str {
        match self {
            DisconnectReason::ClientClosed => "client_closed",
            DisconnectReason::HeartbeatTimeout => "heartbeat_timeout",
            DisconnectReason::SlowConsumer => "slow_consumer",
            DisconnectReason::ServerShutdown => "server_shutdown",
            DisconnectReason::SocketError => "socket_error",
            DisconnectReason::TooLarge => "too_large",
            DisconnectReason::RateLimited => "rate_limited",
            DisconnectReason::TokenExpired => "token_expired",
        }
    }

    /// Close code and reason sent to the client, where one is sent.
    pub fn close_frame(self) -> (u16, &'static str) {
        use crate::protocol::close;
        match self {
            DisconnectReason::ClientClosed => (close::NORMAL, "bye"),
            DisconnectReason::HeartbeatTimeout => (close::HEARTBEAT_TIMEOUT, "heartbeat timeout"),
            DisconnectReason::SlowConsumer => (close::SLOW_CONSUMER, "slow consumer"),
            DisconnectReason::ServerShutdown => (close::GOING_AWAY, "server shutting down"),
            DisconnectReason::SocketError => (close::NORMAL, "socket error"),
            DisconnectReason::TooLarge => (close::TOO_BIG, "message too big"),
            DisconnectReason::RateLimited => (close::POLICY, "rate limit exceeded"),
            DisconnectReason::TokenExpired => (close::TOKEN_EXPIRED, "token expired"),
        }
    }
}

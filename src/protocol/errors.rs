//! Stable error codes carried by `error` frames, and close codes.
//!
//! Codes are part of the public protocol: never rename one, only add.

use serde::{Deserialize, Serialize};

/// Why a frame was refused. Serialized in snake_case (`bad_json`, ...).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The text frame is not valid JSON.
    BadJson,
    /// Valid JSON, but not an object with a string `type`.
    BadFrame,
    /// `type` names no client frame of this protocol version.
    UnknownType,
    /// A known type whose fields are missing or of the wrong shape.
    BadPayload,
    /// The frame needs a `topic` and has none, or the topic is not valid.
    BadTopic,
    /// The frame needs a subscription to its topic first.
    NotSubscribed,
    /// The operation or stream named does not exist (any more).
    NotFound,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// The frame exceeds the maximum size.
    TooLarge,
    /// Too many of something (subscriptions, running jobs).
    LimitReached,
    /// The server failed; nothing internal is disclosed.
    Internal,
    /// The token (or guest identity) may not do this on this topic.
    Forbidden,
    /// Not authenticated: a bad or expired token, or a frame before `auth`.
    Unauthorized,
    /// Too many frames: slow down (continuing closes with 1008).
    RateLimited,
    /// A shared store (the Redis backplane) is unreachable; the frame had
    /// no effect. Retry later.
    Unavailable,
    /// The frame would create a topic, and the server holds as many as it
    /// may (`--max-topics`). Retry later.
    TooManyTopics,
    /// The sender already runs as many operations and streams as one user
    /// may (`--max-jobs-per-user`); wait for one to end.
    TooManyJobs,
    /// The server is over its memory budget: no new topics, jobs or
    /// connections until usage falls. Retry later.
    OverBudget,
    /// Valid JSON nested deeper than 128 levels; no frame nests that deep.
    TooDeep,
}

impl ErrorCode {
    /// Every code, for docs and tests.
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::BadJson,
        ErrorCode::BadFrame,
        ErrorCode::UnknownType,
        ErrorCode::BadPayload,
        ErrorCode::BadTopic,
        ErrorCode::NotSubscribed,
        ErrorCode::NotFound,
        ErrorCode::BinaryNotSupported,
        ErrorCode::TooLarge,
        ErrorCode::LimitReached,
        ErrorCode::Internal,
        ErrorCode::Forbidden,
        ErrorCode::Unauthorized,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
        ErrorCode::TooManyTopics,
        ErrorCode::TooManyJobs,
        ErrorCode::OverBudget,
        ErrorCode::TooDeep,
    ];

    /// The wire spelling of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::BadPayload => "bad_payload",
            ErrorCode::BadTopic => "bad_topic",
            ErrorCode::NotSubscribed => "not_subscribed",
            ErrorCode::NotFound => "not_found",
            ErrorCode::BinaryNotSupported => "binary_not_supported",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::LimitReached => "limit_reached",
            ErrorCode::Internal => "internal",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::TooManyTopics => "too_many_topics",
            ErrorCode::TooManyJobs => "too_many_jobs",
            ErrorCode::OverBudget => "over_budget",
            ErrorCode::TooDeep => "too_deep",
        }
    }
}

/// WebSocket close codes the server uses, with their documented reasons.
pub mod close {
    /// Normal closure (client asked, or server sent it on request).
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down; reconnect (to another node) later.
    pub const GOING_AWAY: u16 = 1001;
    /// Policy violation: the client kept flooding past the rate limit, or
    /// opened more connections than its user (or, for guests, its address)
    /// may hold.
    pub const POLICY: u16 = 1008;
    /// A frame larger than the configured maximum.
    pub const TOO_BIG: u16 = 1009;
    /// No frame from the client within the heartbeat deadline.
    pub const HEARTBEAT_TIMEOUT: u16 = 4000;
    /// The server is at its connection limit or over its memory budget;
    /// try again later.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The client could not keep up with its outbound queue.
    pub const SLOW_CONSUMER: u16 = 4001;
    /// A bad or expired token (do not retry with the same token).
    pub const UNAUTHORIZED: u16 = 4002;
    /// No `auth` frame within the auth timeout.
    pub const AUTH_TIMEOUT: u16 = 4003;
    /// The connection's token expired (its `exp` plus the leeway passed)
    /// and no `auth` frame refreshed it: connect again with a fresh token.
    pub const TOKEN_EXPIRED: u16 = 4004;
}

//! Parsers of option values that clap has none for (URLs, prefixes,
//! secrets); each error says what is expected, and clap adds the option.
//! Also the typed error of options that do not fit together.

/// Options that are valid one by one but not together (the message names
/// both).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("--guest-topics has an empty pattern")]
    EmptyGuestPattern,
    #[error("--rate-limit-bytes-burst ({burst}) must be at least --max-frame-bytes ({frame})")]
    BurstBelowFrame { burst: u64, frame: u64 },
    #[error(
        "--heartbeat-timeout-ms ({timeout}) must be greater than --heartbeat-interval-ms ({interval})"
    )]
    HeartbeatTimeout { timeout: u64, interval: u64 },
}

pub fn parse_http_url(s: &str) -> Result<String, String> {
    match s.split_once("://") {
        Some(("http" | "https", rest)) if !rest.is_empty() => Ok(s.to_string()),
        _ => Err("expected http://host[:port]/path or https://…".into()),
    }
}

pub fn parse_redis_url(s: &str) -> Result<String, String> {
    if s.starts_with("redis://") || s.starts_with("rediss://") || s.starts_with("unix://") {
        Ok(s.to_string())
    } else {
        Err("expected redis://host:port[/db]".into())
    }
}

pub fn parse_redis_prefix(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(s.to_string())
    } else {
        Err("1-64 characters of A-Z a-z 0-9 _ - .".into())
    }
}

pub fn parse_secret(s: &str) -> Result<String, String> {
    if s.len() < 32 {
        return Err("must be at least 32 bytes long".into());
    }
    Ok(s.to_string())
}

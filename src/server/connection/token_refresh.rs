//! Tokens end: a connection opened with a token is closed with 4004 when
//! the token's `exp` (plus the clock leeway) passes, unless the client
//! sent a fresh token for the same user in an `auth` frame before then.
//! This module turns `exp` into a timer deadline and applies a refresh.

use crate::protocol::ErrorCode;
use crate::server::auth::{Access, AuthError};
use crate::server::state::AppState;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The instant at which a token valid until `expires_at` (seconds since
/// the Unix epoch, leeway included) ends; `None` for guests.
pub fn deadline(expires_at: Option<u64>) -> Option<Instant> {
    let end = UNIX_EPOCH + Duration::from_secs(expires_at?);
    let left = end
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(Instant::now() + left)
}

/// The sooner of a deadline and an optional one.
pub fn sooner(at: Instant, other: Option<Instant>) -> Instant {
    other.map_or(at, |o| o.min(at))
}

/// Applies an `auth` frame sent on an open connection: a valid token for
/// the same user replaces the connection's rules and expiry (they apply to
/// frames from now on). A bad token changes nothing: the connection keeps
/// its current token until that one ends.
pub fn refresh(
    state: &AppState,
    access: &mut Access,
    token: &str,
) -> Result<(), (ErrorCode, &'static str)> {
    if access.guest {
        return Err((
            ErrorCode::BadFrame,
            "a guest connection cannot take a token; connect again with it",
        ));
    }
    let fresh = state.auth.verify(token).map_err(|why| match why {
        AuthError::Expired => (ErrorCode::Unauthorized, "token expired"),
        AuthError::Invalid => (ErrorCode::Unauthorized, "invalid token"),
    })?;
    if fresh.user.id != access.user.id {
        return Err((ErrorCode::Forbidden, "the token is for another user"));
    }
    // The display name stays as the hub knows it (presence lists it).
    let name = std::mem::take(&mut access.user.name);
    *access = fresh;
    access.user.name = name;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_exp() {
        assert_eq!(deadline(None), None);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let past = deadline(Some(now - 10)).unwrap();
        assert!(past <= Instant::now());
        let later = deadline(Some(now + 100)).unwrap();
        assert!(later > Instant::now() + Duration::from_secs(90));
        let soon = Instant::now() + Duration::from_secs(1);
        assert_eq!(sooner(soon, Some(later)), soon);
        assert_eq!(sooner(later, Some(soon)), soon);
        assert_eq!(sooner(soon, None), soon);
    }
}

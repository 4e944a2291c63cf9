//! Raises the open-file limit: 10 000 subscribers need ~20 000 sockets on
//! one machine (both ends), far above the usual soft limit of 1024.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the new
/// soft limit, or a message when it could not be raised.
pub fn raise() -> Result<u64, String> {
    rlimit::increase_nofile_limit(u64::MAX).map_err(|e| format!("cannot raise RLIMIT_NOFILE: {e}"))
}

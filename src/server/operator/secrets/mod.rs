//! Generated secrets handled like secrets.
//!
//! A first run needs no configuration, so without `--api-key` or
//! `--jwt-secret` the server makes them up. It used to print the API key
//! to the log, where log shippers, terminals and support tickets keep it.
//! Instead, a generated secret is written once to `--secrets-file`
//! (default `tidings-secrets.env` in the working directory, mode 0600) as
//! `TIDINGS_API_KEY=…` / `TIDINGS_JWT_SECRET=…` lines, so
//! `set -a; . tidings-secrets.env` hands them to scripts and to
//! `tidings token`; the log names only the file.
//!
//! An existing file is reused, not overwritten: a restart in the same
//! directory keeps the same key and secret (and tokens survive it). A value
//! that is missing from it is generated and appended; other lines are kept.
//! A file readable by group or others is refused, like ssh refuses such a
//! key. A configured `--api-key` / `--jwt-secret` always wins and is never
//! written anywhere.

use crate::server::config::Config;
use std::io::Write;
use std::path::Path;

const API_KEY: &str = "TIDINGS_API_KEY";
const JWT_SECRET: &str = "TIDINGS_JWT_SECRET";

/// Why `--secrets-file` cannot be used (every message names the flag).
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("--secrets-file {path}: cannot read it: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "--secrets-file {path}: group or others may access it (mode {mode:04o}); \
         run `chmod 600 {path}` or remove it"
    )]
    TooOpen { path: String, mode: u32 },
    #[error("--secrets-file {path}: {var} must be at least 32 bytes long")]
    TooShort { path: String, var: &'static str },
    #[error("--secrets-file {path}: cannot write it: {source}")]
    Unwritable {
        path: String,
        source: std::io::Error,
    },
}

/// The secrets a server runs with.
pub struct Secrets {
    /// The HTTP API key.
    pub api_key: String,
    /// The HS256 token secret.
    pub jwt_secret: String,
}

/// Never prints the values.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { api_key: <redacted>, jwt_secret: <redacted> }")
    }
}

/// Fills in `config.api_key` and `config.jwt_secret` where unset: with the
/// value in `--secrets-file` if it has one, else a generated one that is
/// then appended to the file; returns both. Errors name `--secrets-file`.
pub fn ensure(config: &mut Config) -> Result<Secrets, SecretsError> {
    if let (Some(api_key), Some(jwt_secret)) = (&config.api_key, &config.jwt_secret) {
        return Ok(Secrets {
            api_key: api_key.clone(),
            jwt_secret: jwt_secret.clone(),
        });
    }
    let path = config.ops.secrets_file.clone();
    let shown = path.display().to_string();
    let existing = read(&path)?;
    let mut text = existing.clone().unwrap_or_default();
    let mut fill =
        |slot: &mut Option<String>, var: &'static str| -> Result<Option<bool>, SecretsError> {
            if slot.is_some() {
                return Ok(None);
            }
            if let Some(value) = value_of(&text, var) {
                if value.len() < 32 {
                    return Err(SecretsError::TooShort {
                        path: shown.clone(),
                        var,
                    });
                }
                *slot = Some(value);
                return Ok(Some(false));
            }
            let value = crate::server::auth::random_secret();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("{var}={value}\n"));
            *slot = Some(value);
            Ok(Some(true))
        };
    let key = fill(&mut config.api_key, API_KEY)?;
    let jwt = fill(&mut config.jwt_secret, JWT_SECRET)?;
    if existing.as_deref() != Some(text.as_str()) {
        write(&path, &text)?;
    }
    // `. file` searches PATH for a bare name: say `./file`.
    let bare = path.is_relative() && path.components().count() == 1;
    let dot = if bare { "./" } else { "" };
    let hint = format!("(load it with `set -a; . {dot}{shown}; set +a`)");
    match key {
        Some(true) => tracing::warn!(
            "no --api-key / TIDINGS_API_KEY set: generated API key written to {shown} \
             (mode 0600) {hint}"
        ),
        Some(false) => {
            tracing::info!("no --api-key / TIDINGS_API_KEY set: using the API key in {shown}")
        }
        None => {}
    }
    match jwt {
        Some(true) => tracing::warn!(
            "no --jwt-secret / TIDINGS_JWT_SECRET set: generated JWT secret written to \
             {shown} (mode 0600); tokens minted elsewhere need it {hint}"
        ),
        Some(false) => tracing::info!(
            "no --jwt-secret / TIDINGS_JWT_SECRET set: using the JWT secret in {shown}"
        ),
        None => {}
    }
    Ok(Secrets {
        api_key: config.api_key.clone().unwrap_or_default(),
        jwt_secret: config.jwt_secret.clone().unwrap_or_default(),
    })
}

/// The file's text, or None if it does not exist. Refuses a file that
/// others may read.
fn read(path: &Path) -> Result<Option<String>, SecretsError> {
    let unreadable = |source| SecretsError::Unreadable {
        path: path.display().to_string(),
        source,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(unreadable)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(SecretsError::TooOpen {
                path: path.display().to_string(),
                mode: mode & 0o7777,
            });
        }
    }
    Ok(Some(text))
}

/// The value of `var` in `KEY=value` lines (`export ` and one pair of
/// quotes allowed, as the shell reads them); the last one counts.
fn value_of(text: &str, var: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            let (k, v) = line.split_once('=')?;
            (k.trim() == var).then(|| unquote(v.trim()).to_string())
        })
        .next_back()
}

fn unquote(v: &str) -> &str {
    for q in ['\'', '"'] {
        if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// Writes `text` to `path` with mode 0600: to a fresh file beside it, then
/// renamed over it, so nobody ever reads a half-written file.
fn write(path: &Path, text: &str) -> Result<(), SecretsError> {
    let fail = |source| SecretsError::Unwritable {
        path: path.display().to_string(),
        source,
    };
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    let tmp = path.with_file_name(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        #[cfg(unix)]
        {
            // The umask may only have taken bits away; make it exactly 0600.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

#[cfg(all(test, unix))]
mod tests;

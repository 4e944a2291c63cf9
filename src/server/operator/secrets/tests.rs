//! Tests of the secrets file (`mod.rs`): generated once into a 0600 file, reused after,
//! configured values win and are never written, bad files are refused
//! naming `--secrets-file`.
use super::*;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("tidings-secrets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config_with(file: &Path) -> Config {
    let mut c = Config::defaults();
    c.ops.secrets_file = file.to_path_buf();
    c.api_key = None;
    c.jwt_secret = None;
    c
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn generated_secrets_go_to_a_0600_file_and_are_reused() {
    let dir = TempDir::new();
    let file = dir.0.join("s.env");
    let mut c = config_with(&file);
    let secrets = ensure(&mut c).unwrap();
    let (key, jwt) = (c.api_key.clone().unwrap(), c.jwt_secret.clone().unwrap());
    assert!(key.len() >= 32 && jwt.len() >= 32 && key != jwt);
    assert_eq!((&secrets.api_key, &secrets.jwt_secret), (&key, &jwt));
    let shown = format!("{secrets:?}");
    assert!(!shown.contains(&key) && !shown.contains(&jwt), "{shown}");
    assert_eq!(mode(&file), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        format!("TIDINGS_API_KEY={key}\nTIDINGS_JWT_SECRET={jwt}\n")
    );
    // A restart in the same place gets the same secrets; the file is
    // left as it was.
    let mut again = config_with(&file);
    ensure(&mut again).unwrap();
    assert_eq!(again.api_key.as_deref(), Some(key.as_str()));
    assert_eq!(again.jwt_secret.as_deref(), Some(jwt.as_str()));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let leftovers = std::fs::read_dir(&dir.0).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file left behind");
}

#[test]
fn configured_secrets_win_and_are_never_written() {
    let dir = TempDir::new();
    let file = dir.0.join("s.env");
    let mut c = config_with(&file);
    c.api_key = Some("k".repeat(40));
    c.jwt_secret = Some("j".repeat(40));
    ensure(&mut c).unwrap();
    assert!(!file.exists());
    assert_eq!(c.api_key, Some("k".repeat(40)));
    // Only the missing one is generated and written.
    let mut c = config_with(&file);
    c.api_key = Some("k".repeat(40));
    ensure(&mut c).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&"k".repeat(40)), "{text}");
    assert!(!text.contains("TIDINGS_API_KEY"), "{text}");
    assert_eq!(value_of(&text, "TIDINGS_JWT_SECRET"), c.jwt_secret);
}

#[test]
fn a_missing_value_is_appended_and_other_lines_are_kept() {
    let dir = TempDir::new();
    let file = dir.0.join("s.env");
    let key = "a".repeat(32);
    std::fs::write(&file, format!("# mine\nexport TIDINGS_API_KEY='{key}'")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut c = config_with(&file);
    ensure(&mut c).unwrap();
    assert_eq!(c.api_key.as_deref(), Some(key.as_str()));
    let text = std::fs::read_to_string(&file).unwrap();
    let jwt = c.jwt_secret.unwrap();
    assert_eq!(
        text,
        format!("# mine\nexport TIDINGS_API_KEY='{key}'\nTIDINGS_JWT_SECRET={jwt}\n")
    );
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn bad_files_are_refused_naming_the_flag() {
    let dir = TempDir::new();
    let file = dir.0.join("s.env");
    let mut c = config_with(&dir.0.join("no-such-dir").join("s.env"));
    let err = ensure(&mut c).unwrap_err();
    assert!(matches!(err, SecretsError::Unwritable { .. }), "{err}");
    let err = err.to_string();
    assert!(err.starts_with("--secrets-file "), "{err}");
    assert!(err.contains("cannot write"), "{err}");

    std::fs::write(&file, format!("TIDINGS_API_KEY={}\n", "a".repeat(40))).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = ensure(&mut config_with(&file)).unwrap_err();
    assert!(
        matches!(err, SecretsError::TooOpen { mode: 0o644, .. }),
        "{err}"
    );
    let err = err.to_string();
    assert!(
        err.contains("--secrets-file") && err.contains("0644"),
        "{err}"
    );

    std::fs::write(&file, "TIDINGS_API_KEY=short\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = ensure(&mut config_with(&file)).unwrap_err();
    assert!(matches!(err, SecretsError::TooShort { .. }), "{err}");
    let err = err.to_string();
    assert!(
        err.contains("--secrets-file") && err.contains("32 bytes"),
        "{err}"
    );

    let err = ensure(&mut config_with(&dir.0)).unwrap_err().to_string();
    assert!(err.contains("--secrets-file"), "a directory: {err}");
}

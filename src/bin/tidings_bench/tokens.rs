//! Tokens for the bench's clients that must not be guests (the server caps
//! guests per address, and they get smaller frames): HS256 JWTs minted
//! with the `--jwt-secret` the bench gives its Tidings child, or the one
//! the command line passes with `--server-arg`.

use tidings::server::auth::{Auth, Claims};

/// Mints tokens the server child accepts.
pub struct Minter {
    auth: Auth,
}

impl Minter {
    /// Signs with the child's secret: `--jwt-secret` of `server_args` if
    /// given there, else the bench's fixed one.
    pub fn new(server_args: &[String]) -> Self {
        let mut secret = super::serve::JWT_SECRET.to_string();
        let mut it = server_args.iter();
        while let Some(a) = it.next() {
            if let Some(v) = a.strip_prefix("--jwt-secret=") {
                secret = v.to_string();
            } else if a == "--jwt-secret"
                && let Some(v) = it.next()
            {
                secret = v.clone();
            }
        }
        Minter {
            auth: Auth::new(secret.as_bytes()),
        }
    }

    /// The `/ws` query of user `sub`, who may subscribe and publish to
    /// `patterns`, valid for an hour (longer than any scenario).
    pub fn query(&self, sub: &str, patterns: &[&str]) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let rules: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let token = self.auth.mint(&Claims {
            sub: sub.to_string(),
            name: sub.to_string(),
            exp: now + 3_600,
            subscribe: rules.clone(),
            publish: rules,
            admin: false,
        });
        // A JWT is URL-safe base64 and dots: no escaping needed.
        format!("token={token}")
    }
}

#[cfg(test)]
mod tests {
    use super::Minter;
    use tidings::server::auth::Auth;

    fn token(query: &str) -> &str {
        query.strip_prefix("token=").unwrap()
    }

    #[test]
    fn tokens_verify_with_the_childs_secret() {
        let q = Minter::new(&[]).query("alice", &["room:normal-*"]);
        let auth = Auth::new(crate::serve::JWT_SECRET.as_bytes());
        let a = auth.verify(token(&q)).unwrap();
        assert!(!a.guest && a.can_publish("room:normal-1") && !a.can_publish("room:x"));
        let secret = "another-secret-0123456789abcdef-0123456789";
        for args in [
            vec![format!("--jwt-secret={secret}")],
            vec!["--jwt-secret".to_string(), secret.to_string()],
        ] {
            let q = Minter::new(&args).query("bob", &["*"]);
            assert!(auth.verify(token(&q)).is_err());
            assert!(Auth::new(secret.as_bytes()).verify(token(&q)).is_ok());
        }
    }
}

//! Identity and access: HS256 tokens (`jsonwebtoken`) carrying who the
//! holder is and glob rules for the topics they may subscribe and publish
//! to; guests with a chosen name limited to configurable topic patterns.

use crate::protocol::{ADMIN_PREFIX, User};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

/// Claims of a Tidings token.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Claims {
    /// Stable user id.
    pub sub: String,
    /// Display name.
    pub name: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Topic patterns the holder may subscribe to (`*` and `?` globs).
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// Topic patterns the holder may publish to (and type, start and
    /// cancel jobs in).
    #[serde(default)]
    pub publish: Vec<String>,
    /// May use the admin feed (`admin:` topics, the `/admin` page).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
}

/// What a connection may do.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    pub user: User,
    pub subscribe: Vec<String>,
    pub publish: Vec<String>,
    pub guest: bool,
    /// The token carries the `admin` claim.
    pub admin: bool,
    /// When the token stops being valid (its `exp` plus the clock leeway,
    /// seconds since the Unix epoch); `None` for guests. The connection is
    /// closed with 4004 then, unless an `auth` frame refreshed it.
    pub expires_at: Option<u64>,
}

impl Access {
    /// `admin:` topics need the admin claim whatever the patterns say.
    pub fn can_subscribe(&self, topic: &str) -> bool {
        if topic.starts_with(ADMIN_PREFIX) {
            return self.admin;
        }
        self.subscribe.iter().any(|p| glob_match(p, topic))
    }

    /// Nobody publishes to `admin:` topics but the server itself.
    pub fn can_publish(&self, topic: &str) -> bool {
        !topic.starts_with(ADMIN_PREFIX) && self.publish.iter().any(|p| glob_match(p, topic))
    }

    /// A guest: chosen name, id from the browser, the guest patterns for
    /// both subscribing and publishing. Guest ids never collide with token
    /// users' ids (`guest-` vs `user-` prefixes).
    pub fn guest(name: String, uid: String, patterns: &[String]) -> Self {
        Access {
            user: User {
                id: format!("guest-{uid}"),
                name,
            },
            subscribe: patterns.to_vec(),
            publish: patterns.to_vec(),
            guest: true,
            admin: false,
            expires_at: None,
        }
    }

    /// A signed-in user of the host app (see [`crate::server::Identify`]):
    /// the topic patterns they may subscribe and publish to, no expiry,
    /// no admin feed.
    pub fn member(user: User, subscribe: Vec<String>, publish: Vec<String>) -> Self {
        Access {
            user,
            subscribe,
            publish,
            guest: false,
            admin: false,
            expires_at: None,
        }
    }
}

/// Why a token was refused (never more detail than this on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    Invalid,
    Expired,
}

/// The clock leeway on `exp` unless configured (`--jwt-leeway-secs`).
pub const DEFAULT_LEEWAY_SECS: u64 = 5;

/// Signs and checks tokens with one HS256 secret.
///
/// ```
/// use tidings::server::auth::{Auth, Claims};
///
/// let auth = Auth::new(b"a secret of at least 32 bytes, please");
/// let token = auth.mint(&Claims {
///     sub: "ada".into(),
///     name: "Ada".into(),
///     exp: u64::MAX / 2,
///     subscribe: vec!["room:*".into()],
///     publish: vec!["room:lobby".into()],
///     admin: false,
/// });
/// let access = auth.verify(&token).expect("a token it minted");
/// assert_eq!(access.user.id, "user-ada");
/// assert!(access.can_subscribe("room:kitchen"));
/// assert!(!access.can_publish("room:kitchen"));
/// ```
#[derive(Clone)]
pub struct Auth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Auth {
    /// Checks `exp` with the default leeway ([`DEFAULT_LEEWAY_SECS`]).
    pub fn new(secret: &[u8]) -> Self {
        Self::with_leeway(secret, DEFAULT_LEEWAY_SECS)
    }

    /// A token is accepted until `leeway_secs` after its `exp` (clocks of
    /// the minting server and this one may differ a little).
    pub fn with_leeway(secret: &[u8], leeway_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = leeway_secs;
        Auth {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// A signed token for `claims`.
    pub fn mint(&self, claims: &Claims) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).unwrap_or_default()
    }

    /// Checks a token and returns what its holder may do.
    pub fn verify(&self, token: &str) -> Result<Access, AuthError> {
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                    _ => AuthError::Invalid,
                }
            })?;
        let c = data.claims;
        let name: String = c
            .name
            .chars()
            .filter(|ch| !ch.is_control())
            .take(40)
            .collect();
        if c.sub.is_empty() || c.sub.len() > 128 {
            return Err(AuthError::Invalid);
        }
        Ok(Access {
            user: User {
                id: format!("user-{}", c.sub),
                name: if name.trim().is_empty() {
                    c.sub.clone()
                } else {
                    name
                },
            },
            subscribe: c.subscribe,
            publish: c.publish,
            guest: false,
            admin: c.admin,
            expires_at: Some(c.exp.saturating_add(self.validation.leeway)),
        })
    }
}

/// A random secret, hex encoded (used when none is configured).
pub fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Glob match: `*` matches any run of characters (also empty), `?` any one
/// character; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Parses a duration like `90s`, `15m`, `1h`, `7d` (or plain seconds).
pub fn parse_ttl(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 90s, 15m, 1h, 7d"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use s, m, h or d)")),
    };
    n.checked_mul(mult)
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("`{s}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("room:*", "room:lobby"));
        assert!(glob_match("room:*", "room:"));
        assert!(!glob_match("room:*", "rooms:x"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*:team-*", "room:team-red"));
        assert!(!glob_match("room:lobby", "room:lobby2"));
        assert!(glob_match("**x", "abx"));
    }

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "alice".into(),
            name: "Alice".into(),
            exp,
            subscribe: vec!["room:*".into()],
            publish: vec!["room:lobby".into()],
            admin: false,
        }
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn minted_tokens_verify_and_carry_rules() {
        let auth = Auth::new(b"0123456789abcdef0123456789abcdef");
        let access = auth.verify(&auth.mint(&claims(now() + 60))).unwrap();
        assert_eq!(access.user.id, "user-alice");
        assert!(access.can_subscribe("room:x") && !access.can_subscribe("admin:x"));
        assert!(access.can_publish("room:lobby") && !access.can_publish("room:x"));
        assert!(!access.guest);
    }

    #[test]
    fn admin_topics_need_the_admin_claim() {
        let auth = Auth::new(b"0123456789abcdef0123456789abcdef");
        let mut c = claims(now() + 60);
        c.subscribe = vec!["*".into()];
        c.publish = vec!["*".into()];
        let plain = auth.verify(&auth.mint(&c)).unwrap();
        assert!(!plain.admin && !plain.can_subscribe("admin:stats"));
        assert!(plain.can_subscribe("room:x"));
        c.admin = true;
        let admin = auth.verify(&auth.mint(&c)).unwrap();
        assert!(admin.admin && admin.can_subscribe("admin:stats"));
        assert!(
            !admin.can_publish("admin:stats"),
            "only the server publishes there"
        );
        let guest = Access::guest("G".into(), "g".into(), &["*".into()]);
        assert!(!guest.can_subscribe("admin:stats"));
    }

    #[test]
    fn bad_expired_and_foreign_tokens_are_refused() {
        let auth = Auth::new(b"0123456789abcdef0123456789abcdef");
        let other = Auth::new(b"another secret, another server..");
        assert_eq!(auth.verify("nonsense"), Err(AuthError::Invalid));
        assert_eq!(
            auth.verify(&other.mint(&claims(now() + 60))),
            Err(AuthError::Invalid)
        );
        assert_eq!(
            auth.verify(&auth.mint(&claims(now() - 3_600))),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn ttls_parse_with_units() {
        assert_eq!(parse_ttl("90"), Ok(90));
        assert_eq!(parse_ttl("15m"), Ok(900));
        assert_eq!(parse_ttl("1h"), Ok(3_600));
        assert_eq!(parse_ttl("7d"), Ok(604_800));
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("h").is_err());
        assert!(parse_ttl("0s").is_err());
    }
}

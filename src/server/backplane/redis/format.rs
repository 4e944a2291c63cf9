//! How the Redis backplane names things and reads what Redis holds: key
//! and channel names under the prefix, and parsing of Stream entries and
//! pub/sub payloads. Pure functions, tested without a Redis.

use crate::protocol::*;

/// Key and channel names, all under the prefix.
#[derive(Clone, Debug)]
pub struct Keys {
    pub(super) prefix: String,
}

impl Keys {
    pub fn seq(&self, topic: &str) -> String {
        format!("{}:seq:{topic}", self.prefix)
    }
    pub fn epoch(&self, topic: &str) -> String {
        format!("{}:epoch:{topic}", self.prefix)
    }
    pub fn log(&self, topic: &str) -> String {
        format!("{}:log:{topic}", self.prefix)
    }
    pub fn presence(&self, topic: &str) -> String {
        format!("{}:presence:{topic}", self.prefix)
    }
    pub fn node(&self, node: &str) -> String {
        format!("{}:node:{node}", self.prefix)
    }
    /// A published message id (see the publish script).
    pub fn dedupe(&self, id: &FrameId) -> String {
        format!("{}:dedupe:{}", self.prefix, id.simple())
    }
    pub fn messages(&self, topic: &str) -> String {
        format!("{}:m:{topic}", self.prefix)
    }
    pub fn messages_pattern(&self) -> String {
        format!("{}:m:*", self.prefix)
    }
    /// The topic of a message channel name.
    pub fn topic_of<'a>(&self, channel: &'a str) -> Option<&'a str> {
        channel
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix(":m:")
    }
    pub fn events(&self) -> String {
        format!("{}:events", self.prefix)
    }
}

/// Parses XRANGE entries `<seq>-0 f <frame>`; malformed ones are skipped.
pub(super) fn parse_entries(raw: Vec<(String, Vec<String>)>) -> Vec<(u64, ServerFrame)> {
    let mut out: Vec<(u64, ServerFrame)> = raw
        .into_iter()
        .filter_map(|(id, fields)| {
            let seq = id.split('-').next()?.parse().ok()?;
            let text = fields.get(1)?;
            Some((seq, decode_server(text).ok()?))
        })
        .collect();
    out.sort_by_key(|(seq, _)| *seq);
    out
}

/// Parses a message published on a topic channel: `<seq> <epoch> <frame>`,
/// where the frame is already encoded with its seq and epoch. The frame is
/// only checked to be JSON (no allocation), not decoded: its bytes go to
/// subscribers as they are.
pub fn parse_published(payload: &str) -> Option<(u64, &str, &str)> {
    let mut parts = payload.splitn(3, ' ');
    let seq = parts.next()?.parse().ok()?;
    let epoch = parts.next()?;
    let frame = parts.next()?;
    serde_json::from_str::<serde::de::IgnoredAny>(frame).ok()?;
    Some((seq, epoch, frame))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::frames::topic_frame;

    #[test]
    fn channel_names_give_back_their_topic() {
        let keys = Keys {
            prefix: "tid".into(),
        };
        assert_eq!(keys.topic_of(&keys.messages("room:a:b")), Some("room:a:b"));
        assert_eq!(keys.topic_of("tid:events"), None);
        assert_eq!(keys.topic_of("other:m:x"), None);
    }

    #[test]
    fn published_payloads_parse_and_garbage_does_not() {
        let frame = topic_frame("room:a", ServerMsg::Pong);
        let encoded = encode_server(&frame);
        let text = format!("7 e1 {encoded}");
        assert_eq!(parse_published(&text), Some((7, "e1", encoded.as_str())));
        assert!(parse_published("x e1 {}").is_none());
        assert!(parse_published("7 e1 not json").is_none());
        assert!(parse_published("").is_none());
    }
}

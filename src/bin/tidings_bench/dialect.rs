//! What the steady scenario's clients say to each hub: the Tidings
//! protocol (Tidings and the baseline, which speaks the same frames) or
//! the plain hub's own minimal frames (`plain.rs`). One reader turns a
//! frame of either into the few events the bench counts.

use super::client;
use serde::Deserialize;

/// The frames a hub speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// The Tidings protocol (`welcome` first, `subscribe`/`publish`
    /// envelopes, `ping` to answer).
    Tidings,
    /// The plain hub: no welcome, `{"sub":…}`, `{"pub":…,"data":…}`.
    Plain,
}

/// What the bench reads in a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    Subscribed,
    /// A published message: its number and send stamp (ns on
    /// [`client::now_ns`]).
    Delivery {
        number: u64,
        stamp: Option<u64>,
    },
    Ack,
    Ping,
    Error,
    Other,
}

#[derive(Deserialize)]
struct PlainFrame {
    #[serde(default)]
    subscribed: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    ack: Option<u64>,
    #[serde(default)]
    data: Option<client::LightData>,
}

impl Dialect {
    /// Opens a client (the plain hub ignores the guest query) and waits
    /// for what the hub says first.
    pub async fn connect(
        self,
        addr: std::net::SocketAddr,
        uid: &str,
        timeout: std::time::Duration,
    ) -> Result<client::Ws, String> {
        let mut ws = client::connect(addr, uid, timeout).await?;
        if self == Dialect::Tidings {
            client::welcome(&mut ws, timeout).await?;
        }
        Ok(ws)
    }

    /// Subscribes to `topic` (Tidings: as a feed, without presence).
    pub fn subscribe(self, topic: &str) -> String {
        match self {
            Dialect::Tidings => client::subscribe(topic, None),
            Dialect::Plain => serde_json::json!({ "sub": topic }).to_string(),
        }
    }

    /// Publishes message number `i`, stamped `t`.
    pub fn publish(self, topic: &str, i: u64, t: u64) -> String {
        match self {
            Dialect::Tidings => client::publish(topic, i, t),
            Dialect::Plain => serde_json::json!({
                "pub": topic,
                "data": { "text": format!("bench message {i}"), "i": i, "t": t },
            })
            .to_string(),
        }
    }

    /// Reads a frame.
    pub fn read(self, text: &str) -> Event {
        match self {
            Dialect::Tidings => {
                let Some(f) = client::parse(text) else {
                    return Event::Other;
                };
                match f.kind {
                    // seq counts from 1; the message number from 0.
                    "message" => Event::Delivery {
                        number: f.seq.unwrap_or(0).saturating_sub(1),
                        stamp: f.stamp(),
                    },
                    "subscribed" => Event::Subscribed,
                    "ack" => Event::Ack,
                    "ping" => Event::Ping,
                    "error" => Event::Error,
                    _ => Event::Other,
                }
            }
            Dialect::Plain => match serde_json::from_str::<PlainFrame>(text) {
                Ok(PlainFrame {
                    data: Some(d),
                    ack: None,
                    ..
                }) => Event::Delivery {
                    number: d.i.unwrap_or(0),
                    stamp: d.t,
                },
                Ok(PlainFrame { ack: Some(_), .. }) => Event::Ack,
                Ok(PlainFrame {
                    subscribed: Some(_),
                    ..
                }) => Event::Subscribed,
                _ => Event::Other,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_each_hub_sends() {
        let d = Dialect::Plain;
        assert_eq!(d.read(r#"{"subscribed":"room:a"}"#), Event::Subscribed);
        assert_eq!(d.read(r#"{"ack":3}"#), Event::Ack);
        assert_eq!(
            d.read(r#"{"topic":"room:a","data":{"text":"x","i":7,"t":99}}"#),
            Event::Delivery {
                number: 7,
                stamp: Some(99)
            }
        );
        assert_eq!(d.read("not json"), Event::Other);
        let t = Dialect::Tidings;
        assert_eq!(
            t.read(r#"{"type":"message","seq":8,"payload":{"data":{"i":7,"t":99}}}"#),
            Event::Delivery {
                number: 7,
                stamp: Some(99)
            }
        );
        assert_eq!(t.read(r#"{"type":"ping"}"#), Event::Ping);
    }
}

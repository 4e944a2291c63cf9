//! What the steady scenario's clients say to each hub: the Tidings
//! protocol (Tidings and the baseline, which speaks the same frames), the
//! plain hub's own minimal frames (`plain.rs`) or Socket.IO's (the
//! socketioxide peer, `socketio.rs`: engine.io v4 over a WebSocket). One
//! reader turns a frame of any into the few events the bench counts.

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
    /// Socket.IO: the engine.io handshake (`0{…}`, then `40` both ways),
    /// `join` and `pub` events with acknowledgements, `msg` events, and
    /// engine.io's ping (`2`) answered with `3`.
    SocketIo,
}

/// The acknowledgement id of `join` (`pub` uses [`PUB_ACK`]).
const JOIN_ACK: u64 = 0;
const PUB_ACK: u64 = 1;

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
        match self {
            Dialect::Tidings => {
                let mut ws = client::connect(addr, uid, timeout).await?;
                client::welcome(&mut ws, timeout).await?;
                Ok(ws)
            }
            Dialect::Plain => client::connect(addr, uid, timeout).await,
            Dialect::SocketIo => {
                let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
                let mut ws = client::open_url(&url, timeout).await?;
                tokio::time::timeout(timeout, socketio_handshake(&mut ws))
                    .await
                    .map_err(|_| "no Socket.IO handshake in time".to_string())??;
                Ok(ws)
            }
        }
    }

    /// The answer to the hub's ping.
    pub fn pong(self) -> String {
        match self {
            Dialect::SocketIo => "3".into(),
            _ => client::pong(),
        }
    }

    /// Subscribes to `topic` (Tidings: as a feed, without presence).
    pub fn subscribe(self, topic: &str) -> String {
        match self {
            Dialect::Tidings => client::subscribe(topic, None),
            Dialect::Plain => serde_json::json!({ "sub": topic }).to_string(),
            Dialect::SocketIo => format!("42{JOIN_ACK}{}", serde_json::json!(["join", topic])),
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
            Dialect::SocketIo => format!(
                "42{PUB_ACK}{}",
                serde_json::json!(["pub", {
                    "room": topic,
                    "data": { "text": format!("bench message {i}"), "i": i, "t": t },
                }])
            ),
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
            Dialect::SocketIo => read_socketio(text),
        }
    }
}

/// Engine.io's open packet, then the default namespace's connect.
async fn socketio_handshake(ws: &mut client::Ws) -> Result<(), String> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut opened = false;
    while let Some(msg) = ws.next().await {
        let Message::Text(t) = msg.map_err(|e| format!("Socket.IO handshake: {e}"))? else {
            continue;
        };
        if !opened && t.starts_with('0') {
            opened = true;
            client::send(ws, "40".into()).await?;
        } else if opened && t.starts_with("40") {
            return Ok(());
        } else if t.starts_with("44") {
            return Err(format!("Socket.IO refused the connection: {t}"));
        }
    }
    Err("closed during the Socket.IO handshake".into())
}

/// A Socket.IO frame: `2` ping, `43<id>[…]` an acknowledgement,
/// `42["msg",data]` a delivery.
fn read_socketio(text: &str) -> Event {
    if text == "2" {
        return Event::Ping;
    }
    if let Some(rest) = text.strip_prefix("43") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        return match rest[..digits].parse::<u64>() {
            Ok(JOIN_ACK) => Event::Subscribed,
            Ok(_) => Event::Ack,
            Err(_) => Event::Other,
        };
    }
    if text.starts_with("44") {
        return Event::Error;
    }
    match text
        .strip_prefix("42")
        .and_then(|body| serde_json::from_str::<(&str, client::LightData)>(body).ok())
    {
        Some(("msg", d)) => Event::Delivery {
            number: d.i.unwrap_or(0),
            stamp: d.t,
        },
        _ => Event::Other,
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
        let io = Dialect::SocketIo;
        assert_eq!(io.read("2"), Event::Ping);
        assert_eq!(io.read(r#"430["joined"]"#), Event::Subscribed);
        assert_eq!(io.read(r#"431["ok"]"#), Event::Ack);
        assert_eq!(
            io.read(r#"42["msg",{"text":"x","i":7,"t":99}]"#),
            Event::Delivery {
                number: 7,
                stamp: Some(99)
            }
        );
        assert_eq!(io.read(r#"42["other",{}]"#), Event::Other);
        assert!(
            io.subscribe("room:a")
                .starts_with(r#"420["join","room:a"]"#)
        );
    }
}

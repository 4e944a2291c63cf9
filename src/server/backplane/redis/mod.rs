//! The Redis backplane (`--redis-url`): several Tidings processes share
//! topics through one Redis.
//!
//! - **Messages**: a Lua script assigns the topic's next `seq` (`INCR`),
//!   appends the frame to the topic's Stream (`XADD … MAXLEN ~ N`, entry id
//!   `<seq>-0`) and `PUBLISH`es it, atomically, so every process sees the
//!   same order. Each process fans out what it receives from pub/sub to its
//!   own subscribers and keeps a bounded local mirror of the history, loaded
//!   from the Stream the first time a topic is subscribed here; a missed
//!   range (a hole in `seq`, or a pub/sub reconnect) is fetched back with
//!   `XRANGE`. So `seq`, `epoch` and resume work across processes.
//! - **Epoch**: one key per topic, set once; the keys expire together after
//!   the history age (plus a margin) without traffic, and a new epoch
//!   starts, which resuming clients learn through `gap`.
//! - **Presence** with TTL heartbeats: each process refreshes a liveness key
//!   (`PX` node TTL) and announces itself on the events channel every third
//!   of the TTL; presence per topic is a hash (`node|user` → user) plus
//!   join/leave events. A process silent for the TTL is taken as dead and
//!   its users leave everywhere.
//! - **Typing, operations, streams, notifications, cancel** travel as
//!   events (see [`events`](crate::server::backplane::events)); the hub's
//!   replica ([`Remote`]) applies them.
//! - **Naming and parsing**: key and channel names, Stream entries and
//!   pub/sub payloads are read in `format.rs`.
//! - **Failures**: the connection manager and the pub/sub loop reconnect
//!   with backoff; whether Redis is up, reconnects and errors are in
//!   `/healthz` and `/metrics`. A publish while Redis is down is refused
//!   with `unavailable`; the process never crashes for it.

pub(crate) mod format;
pub(crate) mod io;

use crate::protocol::*;
use crate::server::backplane::contract::{
    Backplane, BoxFuture, Publish, Published, Remote, Topics, Unavailable,
};
use crate::server::backplane::events::{BusEvent, BusKind, Relay};
use crate::server::backplane::redis::format::{Keys, parse_entries};
use crate::server::frames::{now_ms, topic_frame};
use crate::server::history::{History, HistoryLimits};
use redis::aio::ConnectionManager;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// The publish script: next seq, append to the Stream, publish, one step.
/// ARGV[4] is the frame without seq and epoch; the script writes them in
/// (`{"seq":N,"epoch":"E",` + the rest), so what every process receives
/// are the final bytes its subscribers get, neither decoded nor encoded
/// again on the way.
///
/// Exactly once across processes: KEYS[4] is the message id's dedupe key.
/// It is taken with `SET NX PX` (the dedupe window, ARGV[6]) before
/// anything else; if it was there, the id was published before (maybe by a
/// process that died before its ack reached the client) and the script
/// answers that first `seq` and `epoch`, publishing nothing.
const PUBLISH_LUA: &str = r#"
if not redis.call('SET', KEYS[4], '', 'NX', 'PX', ARGV[6]) then
  local prior = redis.call('GET', KEYS[4]) or ''
  local sep = string.find(prior, ' ', 1, true)
  if sep then
    return {tonumber(string.sub(prior, 1, sep - 1)), string.sub(prior, sep + 1), 1}
  end
  return redis.error_reply('dedupe key without an outcome')
end
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
end
local seq = string.format('%d', redis.call('INCR', KEYS[1]))
local frame = '{"seq":' .. seq .. ',"epoch":"' .. epoch .. '",' .. string.sub(ARGV[4], 2)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'f', frame)
local ttl = tonumber(ARGV[5])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('PUBLISH', ARGV[3], seq .. ' ' .. epoch .. ' ' .. frame)
redis.call('SET', KEYS[4], seq .. ' ' .. epoch, 'PX', ARGV[6])
return {tonumber(seq), epoch, 0}
"#;

/// Settings of the Redis backplane.
#[derive(Clone, Debug)]
pub struct RedisSettings {
    pub url: String,
    pub prefix: String,
    pub limits: HistoryLimits,
    /// A node silent this long is dead.
    pub node_ttl: Duration,
    /// Events queued for the other processes.
    pub queue: usize,
    /// How long a published message id is remembered (`--dedupe-window-ms`).
    pub dedupe_window: Duration,
}

/// Health counters.
#[derive(Default)]
pub struct Health {
    pub up: AtomicBool,
    pub reconnects: AtomicU64,
    pub errors: AtomicU64,
}

impl Health {
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Relaxed);
        metrics::gauge!("tidings_backplane_up").set(if up { 1.0 } else { 0.0 });
    }
    pub fn error(&self) {
        self.errors.fetch_add(1, Relaxed);
        metrics::counter!("tidings_backplane_errors_total").increment(1);
    }
}

/// The Redis backplane of this process.
pub struct RedisBackplane {
    pub settings: RedisSettings,
    pub keys: Keys,
    /// This process's id among the others.
    pub node: String,
    pub client: redis::Client,
    pub conn: ConnectionManager,
    pub health: Arc<Health>,
    relay: Relay,
    relay_rx: Mutex<Option<mpsc::Receiver<BusKind>>>,
    pub replica: OnceLock<Arc<dyn Remote>>,
    script: redis::Script,
}

/// Why the Redis client cannot be set up (a Redis that is down is not an
/// error: it is retried and reported by health).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedisSetupError {
    #[error("--redis-url: not a valid Redis URL")]
    InvalidUrl,
    #[error("--redis-url: cannot set up the Redis client")]
    Client,
}

impl RedisBackplane {
    /// Sets up the client; connections are made lazily and retried, so a
    /// Redis that is down at start is reported, not fatal.
    pub fn new(settings: RedisSettings) -> Result<Self, RedisSetupError> {
        let client =
            redis::Client::open(settings.url.as_str()).map_err(|_| RedisSetupError::InvalidUrl)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(5))
            .set_number_of_retries(3);
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|_| RedisSetupError::Client)?;
        let (relay, rx) = Relay::new(settings.queue);
        Ok(RedisBackplane {
            keys: Keys {
                prefix: settings.prefix.clone(),
            },
            settings,
            node: uuid::Uuid::new_v4().simple().to_string(),
            client,
            conn,
            health: Arc::new(Health::default()),
            relay,
            relay_rx: Mutex::new(Some(rx)),
            replica: OnceLock::new(),
            script: redis::Script::new(PUBLISH_LUA),
        })
    }

    /// The receiving end of the relay queue (taken once, by the task that
    /// drains it).
    pub fn take_relay_rx(&self) -> Option<mpsc::Receiver<BusKind>> {
        self.relay_rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// How long the topic keys live without traffic.
    pub fn key_ttl_ms(&self) -> u64 {
        (self.settings.limits.max_age.as_millis() as u64).max(60_000) + 60_000
    }

    /// Encodes an event of this node.
    pub fn event(&self, kind: BusKind) -> String {
        serde_json::to_string(&BusEvent {
            node: self.node.clone(),
            kind,
        })
        .unwrap_or_default()
    }

    /// Messages of `topic` with seq in `from..=to` (`None`: to the end),
    /// as (seq, frame without seq/epoch).
    pub async fn fetch_range(
        &self,
        topic: &str,
        from: u64,
        to: Option<u64>,
    ) -> Result<Vec<(u64, ServerFrame)>, redis::RedisError> {
        let end = to.map_or("+".to_string(), |t| format!("{t}-0"));
        let mut conn = self.conn.clone();
        let raw: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
            .arg(self.keys.log(topic))
            .arg(format!("{from}-0"))
            .arg(end)
            .arg("COUNT")
            .arg(self.settings.limits.max_messages.max(1))
            .query_async(&mut conn)
            .await?;
        Ok(parse_entries(raw))
    }

    /// Loads a topic's epoch, seq, recent history and the presence of
    /// other live nodes into the hub.
    async fn load(&self, hub: &dyn Topics, topic: &str) -> Result<(), redis::RedisError> {
        let mut conn = self.conn.clone();
        let fresh = uuid::Uuid::new_v4().simple().to_string();
        let (_, epoch, seq, raw, presence): LoadReply = redis::pipe()
            .cmd("SET")
            .arg(self.keys.epoch(topic))
            .arg(&fresh)
            .arg("NX")
            .arg("PX")
            .arg(self.key_ttl_ms())
            .cmd("GET")
            .arg(self.keys.epoch(topic))
            .cmd("GET")
            .arg(self.keys.seq(topic))
            .cmd("XREVRANGE")
            .arg(self.keys.log(topic))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(self.settings.limits.max_messages.max(1))
            .cmd("HGETALL")
            .arg(self.keys.presence(topic))
            .query_async(&mut conn)
            .await?;
        let entries = parse_entries(raw);
        hub.sync_topic(topic, &epoch, seq.unwrap_or(0));
        for (seq, frame) in entries {
            hub.apply_message(topic, &epoch, seq, frame, false, false);
        }
        hub.mark_loaded(topic);

        // Presence of users on other nodes that are still alive.
        let mut by_node: std::collections::BTreeMap<String, Vec<(String, User)>> =
            Default::default();
        for (field, value) in presence {
            let Some((node, _)) = field.split_once('|') else {
                continue;
            };
            if node == self.node {
                continue;
            }
            if let Ok(user) = serde_json::from_str::<User>(&value) {
                by_node
                    .entry(node.to_string())
                    .or_default()
                    .push((field.clone(), user));
            }
        }
        if by_node.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for node in by_node.keys() {
            pipe.cmd("EXISTS").arg(self.keys.node(node));
        }
        let alive: Vec<bool> = pipe.query_async(&mut conn).await?;
        let Some(replica) = self.replica.get() else {
            return Ok(());
        };
        let mut stale = Vec::new();
        for ((node, users), alive) in by_node.into_iter().zip(alive) {
            for (field, user) in users {
                if alive {
                    replica.presence(&node, topic, user, true);
                } else {
                    stale.push(field);
                }
            }
        }
        if !stale.is_empty() {
            let _: Result<u64, _> = redis::cmd("HDEL")
                .arg(self.keys.presence(topic))
                .arg(stale)
                .query_async(&mut conn)
                .await;
        }
        Ok(())
    }
}

/// What loading a topic reads: SET NX's answer, epoch, seq, the newest
/// Stream entries, and the presence hash.
type LoadReply = (
    Option<String>,
    String,
    Option<u64>,
    Vec<(String, Vec<String>)>,
    std::collections::HashMap<String, String>,
);

impl Backplane for RedisBackplane {
    fn open(&self, _topic: &str) -> History {
        History::new(self.settings.limits)
    }

    fn publish<'a>(
        &'a self,
        _hub: &'a dyn Topics,
        msg: Publish,
    ) -> BoxFuture<'a, Result<Published, Unavailable>> {
        Box::pin(async move {
            let mut frame = topic_frame(
                &msg.topic,
                ServerMsg::Message(MessageBody {
                    from: msg.from,
                    data: msg.data,
                }),
            );
            frame.id = msg.id;
            frame.ts = now_ms();
            let mut conn = self.conn.clone();
            let done: Result<(u64, String, u8), _> = self
                .script
                .key(self.keys.seq(&msg.topic))
                .key(self.keys.epoch(&msg.topic))
                .key(self.keys.log(&msg.topic))
                .key(self.keys.dedupe(&msg.id))
                .arg(uuid::Uuid::new_v4().simple().to_string())
                .arg(self.settings.limits.max_messages.max(1))
                .arg(self.keys.messages(&msg.topic))
                .arg(encode_server(&frame))
                .arg(self.key_ttl_ms())
                .arg((self.settings.dedupe_window.as_millis() as u64).max(1))
                .invoke_async(&mut conn)
                .await;
            done.map(|(seq, epoch, duplicate)| Published {
                seq,
                epoch,
                duplicate: duplicate == 1,
            })
            .map_err(|e| {
                tracing::warn!(error = %e, "redis publish failed");
                self.health.error();
                Unavailable
            })
        })
    }

    fn prepare<'a>(&'a self, hub: &'a dyn Topics, topic: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if hub.is_loaded(topic) {
                return;
            }
            if let Err(e) = self.load(hub, topic).await {
                tracing::warn!(error = %e, topic, "redis: could not load the topic; serving what this process has");
                self.health.error();
            }
        })
    }

    fn relay(&self) -> Option<Relay> {
        Some(self.relay.clone())
    }

    fn health(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": "redis",
            "up": self.health.up.load(Relaxed),
            "node": self.node,
            "peers": self.replica.get().map_or(0, |r| r.peers()),
            "reconnects": self.health.reconnects.load(Relaxed),
            "errors": self.health.errors.load(Relaxed),
            "relay_dropped": self.relay.dropped(),
        })
    }

    fn is_up(&self) -> bool {
        self.health.up.load(Relaxed)
    }
}

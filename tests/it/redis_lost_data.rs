//! When the shared Redis loses a topic's data (a flush, a failover to an
//! empty replica), the next publish starts a new epoch at seq 1. Live
//! subscribers must learn it the way a resuming one does: a `gap`
//! (`epoch_changed`, naming the old epoch and the first unknown seq) right
//! before the first message of the new epoch.

use crate::support::redis::RedisServer;
use crate::support::*;
use tidings::protocol::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_subscribers_get_a_gap_when_redis_lost_the_topic() {
    let redis = RedisServer::start();
    let prefix = RedisServer::prefix();
    let (url, p) = (redis.url.clone(), prefix.clone());
    let server = TestServer::start(move |c| {
        c.redis_url = Some(url);
        c.redis_prefix = p;
    })
    .await;
    let mut reader = server.client("reader").await;
    let sub = reader.subscribe("room:lost").await;
    let mut writer = server.client("writer").await;
    for text in ["one", "two"] {
        let id = writer.send(Some("room:lost"), publish(text)).await;
        writer
            .until(|f| f.msg == ServerMsg::Ack && f.reference == Some(id))
            .await;
    }
    reader
        .until(|f| matches!(f.msg, ServerMsg::Message(_)) && text_of(f) == "two")
        .await;

    // Redis loses the topic (only this test's keys: the server is shared).
    let client = ::redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for kind in ["seq", "epoch", "log"] {
        let _: () = ::redis::cmd("DEL")
            .arg(format!("{prefix}:{kind}:room:lost"))
            .query_async(&mut conn)
            .await
            .unwrap();
    }

    writer.send(Some("room:lost"), publish("three")).await;
    let gap = reader
        .until(|f| matches!(f.msg, ServerMsg::Gap(_) | ServerMsg::Message(_)))
        .await;
    let ServerMsg::Gap(body) = gap.msg else {
        panic!("expected a gap before the new epoch's first message, got {gap:?}")
    };
    assert_eq!(body.reason, GapReason::EpochChanged);
    assert_eq!(body.previous_epoch, sub.epoch);
    assert_ne!(body.epoch, sub.epoch);
    assert_eq!(
        (body.from_seq, body.to_seq),
        (3, None),
        "after seq 2, unknown"
    );
    let next = reader
        .until(|f| matches!(f.msg, ServerMsg::Message(_)))
        .await;
    assert_eq!(text_of(&next), "three");
    assert_eq!(
        (next.seq, next.epoch.as_deref()),
        (Some(1), Some(body.epoch.as_str()))
    );
}

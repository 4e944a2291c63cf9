//! A real redis-server for the scale-out tests: the one `scripts/test.sh`
//! started (`TIDINGS_TEST_REDIS_URL`), or, when that is unset, one started
//! here on a free loopback port and stopped when the guard drops. Tests
//! never skip for want of Redis: without either, they fail and say why.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Redis; dropping it stops the one started here.
pub struct RedisServer {
    pub url: String,
    child: Option<Child>,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        if let Some(url) = std::env::var("TIDINGS_TEST_REDIS_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            return RedisServer { url, child: None };
        }
        let port = super::free_port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "these tests need redis-server: run scripts/test.sh (it installs and \
                 starts one) or set TIDINGS_TEST_REDIS_URL",
            );
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer {
            url: format!("redis://127.0.0.1:{port}"),
            child: Some(child),
        }
    }

    /// A key prefix no other test uses.
    pub fn prefix() -> String {
        format!("t{}", uuid::Uuid::new_v4().simple())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A Tidings server on the Redis at `redis`, under `prefix`, that takes
/// another node for dead after 1.5 s of silence.
pub async fn node(redis: &str, prefix: &str) -> super::TestServer {
    let (redis, prefix) = (redis.to_string(), prefix.to_string());
    super::TestServer::start(move |c| {
        c.redis_url = Some(redis);
        c.redis_prefix = prefix;
        c.redis_node_ttl_ms = 1_500;
    })
    .await
}

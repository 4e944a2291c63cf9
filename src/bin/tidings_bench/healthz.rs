//! `GET /healthz` of the server child, read once per second by the abuse,
//! soak and spike scenarios: its `status`, the topic count and, when the
//! server reports them, the `memory` budget and the `stats.refused`
//! counters. Whatever is missing is `None`, never an error. A hand-written
//! HTTP/1.1 GET over loopback keeps an HTTP client out of the bench.

use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest answer read.
const MAX_BYTES: u64 = 1 << 20;

/// The parsed JSON answer of `/healthz`, within `timeout`.
pub async fn get(addr: SocketAddr, timeout: Duration) -> Result<Value, String> {
    let fetch = async {
        let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        s.take(MAX_BYTES)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(buf)
    };
    let buf = tokio::time::timeout(timeout, fetch)
        .await
        .map_err(|_| "healthz: timed out".to_string())??;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("healthz: no header end")?;
    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return Err(format!(
            "healthz: {}",
            head.lines().next().unwrap_or_default()
        ));
    }
    let body = &buf[split + 4..];
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    serde_json::from_slice(&body).map_err(|e| format!("healthz: {e}"))
}

/// Decodes a chunked body.
fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("healthz: bad chunk")?;
        let size = std::str::from_utf8(&b[..line])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .ok_or("healthz: bad chunk size")?;
        b = &b[line + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size {
            return Err("healthz: short chunk".into());
        }
        out.extend_from_slice(&b[..size]);
        b = b.get(size + 2..).unwrap_or_default();
    }
}

/// `status` ("ok" / "degraded").
pub fn status(v: &Value) -> Option<String> {
    v.get("status")?.as_str().map(str::to_string)
}

/// `memory.used` and `memory.budget` (bytes).
pub fn memory(v: &Value) -> Option<(u64, u64)> {
    let m = v.get("memory")?;
    Some((m.get("used")?.as_u64()?, m.get("budget")?.as_u64()?))
}

/// `topics`: how many topics the server holds.
pub fn topics(v: &Value) -> Option<u64> {
    v.get("topics")?.as_u64()
}

/// `stats.refused`: counters by reason.
pub fn refused(v: &Value) -> Option<Value> {
    v.get("stats")?.get("refused").cloned()
}

/// `memory` as a whole (with its `parts`).
pub fn memory_object(v: &Value) -> Option<Value> {
    v.get("memory").cloned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dechunks() {
        let body = b"4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(super::dechunk(body).unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn reads_what_exists() {
        let v = serde_json::json!({"status": "ok", "topics": 3, "stats": {}});
        assert_eq!(super::status(&v).as_deref(), Some("ok"));
        assert_eq!(super::topics(&v), Some(3));
        assert!(super::memory(&v).is_none() && super::refused(&v).is_none());
        let v =
            serde_json::json!({"memory": {"used": 5, "budget": 9}, "stats": {"refused": {"x": 1}}});
        assert_eq!(super::memory(&v), Some((5, 9)));
        assert_eq!(super::refused(&v), Some(serde_json::json!({"x": 1})));
    }
}

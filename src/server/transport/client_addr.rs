//! Whose address a request comes from: the TCP peer's, or, when the peer
//! is one of the operator's proxies (`--trusted-proxy`), the client the
//! proxy names in `X-Forwarded-For` or `Forwarded`. Headers from any other
//! peer are ignored, so a client cannot pick its own address. Guests are
//! bounded per address with it (`connection/limits.rs`).

use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The client's address for `peer` (None when the transport gave none).
pub fn client_ip(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = canonical(peer?.ip());
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    forwarded_for(headers, trusted).or(Some(peer))
}

/// IPv4 addresses seen as IPv6 (`::ffff:a.b.c.d`) count as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The nearest address in the proxies' chain that is not a trusted proxy
/// itself (the rightmost such one: entries further left were written by
/// the client and may be forged).
fn forwarded_for(headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut chain: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else { continue };
        chain.extend(text.split(',').filter_map(parse_node));
    }
    if chain.is_empty() {
        for value in headers.get_all("forwarded") {
            let Ok(text) = value.to_str() else { continue };
            for element in text.split(',') {
                for pair in element.split(';') {
                    if let Some((key, node)) = pair.split_once('=')
                        && key.trim().eq_ignore_ascii_case("for")
                        && let Some(ip) = parse_node(node)
                    {
                        chain.push(ip);
                    }
                }
            }
        }
    }
    chain
        .into_iter()
        .map(canonical)
        .rev()
        .find(|ip| !trusted.contains(ip))
}

/// `1.2.3.4`, `1.2.3.4:5678`, `"[::1]:80"`, `::1` → the address.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sock) = node.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    let inner = node.strip_prefix('[')?.split(']').next()?;
    inner.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_from_a_trusted_proxy() {
        let peer: SocketAddr = "10.0.0.9:4000".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(client_ip(Some(peer), &h, &[]), Some(ip("10.0.0.9")));
        assert_eq!(
            client_ip(Some(peer), &h, &[ip("10.0.0.9")]),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(client_ip(None, &h, &[]), None);
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = [ip("10.0.0.9"), ip("10.0.0.8")];
        let peer: SocketAddr = "10.0.0.9:4000".parse().unwrap();
        // The client forged the first entry; the proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.4, 10.0.0.8")]);
        assert_eq!(
            client_ip(Some(peer), &h, &trusted),
            Some(ip("198.51.100.4"))
        );
        let h = headers(&[(
            "forwarded",
            r#"for="[2001:db8::1]:443";proto=https, for=10.0.0.8"#,
        )]);
        assert_eq!(client_ip(Some(peer), &h, &trusted), Some(ip("2001:db8::1")));
        let h = headers(&[("x-forwarded-for", "garbage")]);
        assert_eq!(client_ip(Some(peer), &h, &trusted), Some(ip("10.0.0.9")));
        let mapped: SocketAddr = "[::ffff:10.0.0.9]:1".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "192.0.2.1:999")]);
        assert_eq!(client_ip(Some(mapped), &h, &trusted), Some(ip("192.0.2.1")));
    }
}

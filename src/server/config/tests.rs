//! Tests of `config.rs`: defaults, and bad values naming their option.
use super::*;

#[test]
fn defaults_are_valid() {
    let c = Config::defaults();
    assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(c.ops.shutdown_drain_ms, 0, "no drain unless asked for");
    assert!(c.validate().is_ok());
}

#[test]
fn bad_values_name_the_option() {
    let err = Config::try_parse_from(["tidings", "--heartbeat-interval-ms", "5"]).unwrap_err();
    assert!(err.to_string().contains("--heartbeat-interval-ms"), "{err}");
    let err = Config::try_parse_from(["tidings", "--addr", "nowhere"]).unwrap_err();
    assert!(err.to_string().contains("--addr"), "{err}");
    let err = Config::try_parse_from(["tidings", "--llm-url", "ftp://x"]).unwrap_err();
    assert!(err.to_string().contains("--llm-url"), "{err}");
    let c = Config::try_parse_from([
        "tidings",
        "--heartbeat-interval-ms",
        "5000",
        "--heartbeat-timeout-ms",
        "4000",
    ])
    .unwrap();
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("--heartbeat-timeout-ms")
    );
    let c = Config::try_parse_from(["tidings", "--rate-limit-bytes-burst", "4096"]).unwrap();
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("--rate-limit-bytes-burst")
    );
    let err = Config::try_parse_from(["tidings", "--trusted-proxy", "proxy.local"]).unwrap_err();
    assert!(err.to_string().contains("--trusted-proxy"), "{err}");
    let err = Config::try_parse_from(["tidings", "--memory-budget", "10"]).unwrap_err();
    assert!(err.to_string().contains("--memory-budget"), "{err}");
    let err = Config::try_parse_from(["tidings", "--api-max-body-bytes", "10"]).unwrap_err();
    assert!(err.to_string().contains("--api-max-body-bytes"), "{err}");
    let err = Config::try_parse_from(["tidings", "--jwt-leeway-secs", "301"]).unwrap_err();
    assert!(err.to_string().contains("--jwt-leeway-secs"), "{err}");
    let err = Config::try_parse_from(["tidings", "--shutdown-drain-ms", "60001"]).unwrap_err();
    assert!(err.to_string().contains("--shutdown-drain-ms"), "{err}");
}

//! Finding events: what Vigil sends when findings, coverage or scans change, and where.
//!
//! - [`envelope`]: the EventBridge envelope (`version`, `id`, `detail-type`, `source`,
//!   `account`, `time`, `region`, `resources`, `detail`) with Amazon Inspector's detail types
//!   (`Inspector2 Finding`, `Inspector2 Coverage`, `Inspector2 Scan`), so rules written for
//!   Inspector events carry over.
//! - [`pattern`]: EventBridge event patterns, compiled (malformed parts rejected with their
//!   path) and matched.
//! - [`sign`] / [`verify`]: the webhook signature header
//!   `X-Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! - [`Backoff`]: exponential backoff with full jitter, a cap, and a give-up rule.
//! - [`destination`]: the kinds of destination (webhook, NATS JetStream) behind one enum; a
//!   new kind is added there and nowhere else.
//!
//! The crate does no storage and runs no tasks: the server's store keeps the outbox and the
//! delivery state, its worker calls [`destination::Sender::send_batch`].

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub mod destination;
pub mod nats;
pub mod pattern;

pub use pattern::{Pattern, PatternError};

/// The event source Inspector uses.
pub const SOURCE: &str = "aws.inspector2";

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetailType {
    Finding,
    Coverage,
    Scan,
}

impl DetailType {
    pub fn as_str(self) -> &'static str {
        match self {
            DetailType::Finding => "Inspector2 Finding",
            DetailType::Coverage => "Inspector2 Coverage",
            DetailType::Scan => "Inspector2 Scan",
        }
    }

    /// The store's short name (`FINDING`, `COVERAGE`, `SCAN`).
    pub fn code(self) -> &'static str {
        match self {
            DetailType::Finding => "FINDING",
            DetailType::Coverage => "COVERAGE",
            DetailType::Scan => "SCAN",
        }
    }

    pub fn from_code(s: &str) -> Option<DetailType> {
        match s {
            "FINDING" => Some(DetailType::Finding),
            "COVERAGE" => Some(DetailType::Coverage),
            "SCAN" => Some(DetailType::Scan),
            _ => None,
        }
    }
}

/// An EventBridge envelope. `time` is RFC 3339 UTC with seconds (`2023-01-20T22:51:39Z`), as
/// EventBridge writes it.
pub fn envelope(
    id: &str,
    kind: DetailType,
    account: &str,
    region: &str,
    time: &str,
    resources: Vec<String>,
    detail: Value,
) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": kind.as_str(),
        "source": SOURCE,
        "account": account,
        "time": time,
        "region": region,
        "resources": resources,
        "detail": detail,
    })
}

/// Turns the store's millisecond timestamp (`2024-01-02T03:04:05.678Z`) into EventBridge's
/// `time` (whole seconds).
pub fn event_time(stored: &str) -> String {
    match stored.split_once('.') {
        Some((secs, _)) if stored.ends_with('Z') => format!("{secs}Z"),
        _ => stored.to_owned(),
    }
}

/// The name of the signature header.
pub const SIGNATURE_HEADER: &str = "X-Vigil-Signature";
/// How old a signature a receiver should still accept, in seconds.
pub const REPLAY_WINDOW_SECONDS: i64 = 300;

fn mac(secret: &[u8], t: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    // HMAC accepts keys of any length: this never fails
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    Some(m)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The `X-Vigil-Signature` value for `body` sent at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let digest = mac(secret, t, body)
        .map(|m| hex(&m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("t={t},v1={digest}")
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("malformed signature header `{0}`")]
    Malformed(String),
    #[error("signature timestamp {t} is outside the {window}s replay window around {now}")]
    Stale { t: i64, now: i64, window: i64 },
    #[error("signature does not match the body")]
    Mismatch,
}

/// Checks a signature header the way a receiver should: parse `t` and every `v1`, refuse a
/// `t` more than `window` seconds from `now`, compare the MAC in constant time.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    window: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_owned()),
            _ => {}
        }
    }
    let Some(t) = t else {
        return Err(SignatureError::Malformed(header.to_owned()));
    };
    if sigs.is_empty() {
        return Err(SignatureError::Malformed(header.to_owned()));
    }
    if (now - t).abs() > window {
        return Err(SignatureError::Stale { t, now, window });
    }
    for s in sigs {
        let Some(bytes) = unhex(&s) else { continue };
        if mac(secret, t, body).is_some_and(|m| m.verify_slice(&bytes).is_ok()) {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Retry policy: attempt `n` (1-based) that failed waits a uniformly random time in
/// `[0, min(cap, base · 2^(n-1))]` (full jitter); after `max_attempts` attempts, or once the
/// event is older than `max_age`, the event is dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: std::time::Duration,
    pub cap: std::time::Duration,
    pub max_attempts: u32,
    pub max_age: std::time::Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: std::time::Duration::from_millis(500),
            cap: std::time::Duration::from_secs(300),
            max_attempts: 20,
            max_age: std::time::Duration::from_secs(24 * 3600),
        }
    }
}

impl Backoff {
    /// The wait after failed attempt `attempt` (1-based), given a uniform random `r` in [0, 1).
    pub fn delay(&self, attempt: u32, r: f64) -> std::time::Duration {
        let exp = 2f64.powi(attempt.saturating_sub(1).min(62) as i32);
        let ceiling = (self.base.as_secs_f64() * exp).min(self.cap.as_secs_f64());
        std::time::Duration::from_secs_f64(ceiling * r.clamp(0.0, 1.0))
    }

    /// Give up after this failed attempt, for an event this old?
    pub fn exhausted(&self, attempt: u32, age: std::time::Duration) -> bool {
        attempt >= self.max_attempts || age >= self.max_age
    }
}

/// A uniform random number in [0, 1) from the system's randomness (jitter).
pub fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS once per process and keyed per instance
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trip_and_window() {
        let body = br#"{"id":"x"}"#;
        let h = sign(b"s3cret", 1_700_000_000, body);
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(h.len(), "t=1700000000,v1=".len() + 64);
        verify(b"s3cret", &h, body, 1_700_000_100, 300).unwrap();
        assert_eq!(
            verify(b"other", &h, body, 1_700_000_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"s3cret", &h, b"{}", 1_700_000_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify(b"s3cret", &h, body, 1_700_000_400, 300),
            Err(SignatureError::Stale { .. })
        ));
        assert!(matches!(
            verify(b"s3cret", "v1=00", body, 0, 300),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn known_hmac_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let b = Backoff {
            base: std::time::Duration::from_secs(1),
            cap: std::time::Duration::from_secs(10),
            max_attempts: 5,
            max_age: std::time::Duration::from_secs(60),
        };
        assert_eq!(b.delay(1, 0.999_999).as_millis(), 999);
        assert_eq!(b.delay(3, 0.5), std::time::Duration::from_secs(2));
        assert_eq!(b.delay(30, 0.5), std::time::Duration::from_secs(5));
        assert_eq!(b.delay(3, 0.0), std::time::Duration::ZERO);
        assert!(!b.exhausted(4, std::time::Duration::from_secs(1)));
        assert!(b.exhausted(5, std::time::Duration::from_secs(1)));
        assert!(b.exhausted(1, std::time::Duration::from_secs(60)));
        let r: Vec<f64> = (0..100).map(|_| random_unit()).collect();
        assert!(r.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(r.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn envelope_shape() {
        let e = envelope(
            "0b0c4d1e-0000-4000-8000-000000000001",
            DetailType::Scan,
            "111122223333",
            "us-east-1",
            &event_time("2023-01-20T22:52:35.123Z"),
            vec!["i-1".into()],
            json!({"scan-status": "INITIAL_SCAN_COMPLETE"}),
        );
        assert_eq!(e["detail-type"], "Inspector2 Scan");
        assert_eq!(e["source"], "aws.inspector2");
        assert_eq!(e["version"], "0");
        assert_eq!(e["time"], "2023-01-20T22:52:35Z");
        assert_eq!(e["resources"][0], "i-1");
    }
}

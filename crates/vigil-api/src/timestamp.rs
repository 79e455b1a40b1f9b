//! Timestamps as inspector2 carries them.
//!
//! The model's `Timestamp`/`DateTimeTimestamp` shapes have no
//! `timestampFormat`, so on the rest-json wire they are epoch seconds (JSON
//! numbers, possibly fractional); that is what the AWS CLI and boto3 send in a
//! `DateFilter`. Vigil's own finding JSON stores ISO-8601 strings. Both are
//! accepted everywhere; [`Timestamp`] serialises as epoch seconds.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// An instant, from epoch seconds (number) or an ISO-8601 string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Wraps an `OffsetDateTime`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(at)
    }

    /// From (possibly fractional) epoch seconds; `None` when not finite or out
    /// of range. The fraction is taken from the number's shortest decimal
    /// form, so `1704874530.123` is exactly `.123000000` seconds (going
    /// through `secs * 1e9` would be off by up to a few hundred nanoseconds).
    pub fn from_epoch_seconds(secs: f64) -> Option<Self> {
        if !secs.is_finite() {
            return None;
        }
        let text = format!("{}", secs.abs());
        let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
        let whole: i128 = int.parse().ok()?;
        let mut digits: String = frac.chars().take(9).collect();
        while digits.len() < 9 {
            digits.push('0');
        }
        let nanos = whole
            .checked_mul(1_000_000_000)?
            .checked_add(digits.parse::<i128>().ok()?)?;
        let nanos = if secs < 0.0 { -nanos } else { nanos };
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .map(Self)
    }

    /// From whole epoch seconds.
    pub fn from_epoch_secs_i64(secs: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(secs).ok().map(Self)
    }

    /// Parses a string: RFC 3339 / ISO-8601 with offset
    /// (`2024-03-01T12:00:00Z`, `...+00:00`, fractional seconds), ISO-8601
    /// without offset (taken as UTC), a space instead of `T`, a bare date
    /// (`2024-03-01`, midnight UTC) or a decimal number of epoch seconds.
    pub fn parse_str(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if let Ok(at) = OffsetDateTime::parse(s, &Rfc3339) {
            return Some(Self(at));
        }
        let t = s.replacen(' ', "T", 1);
        if let Ok(at) = OffsetDateTime::parse(&t, &Rfc3339) {
            return Some(Self(at));
        }
        if let Ok(at) = OffsetDateTime::parse(&t, &Iso8601::DEFAULT) {
            return Some(Self(at));
        }
        if let Ok(at) = PrimitiveDateTime::parse(&t, &Iso8601::DEFAULT) {
            return Some(Self(at.assume_utc()));
        }
        if let Ok(d) = Date::parse(&t, &Iso8601::DEFAULT) {
            return Some(Self(d.midnight().assume_utc()));
        }
        if s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
        {
            return s.parse::<f64>().ok().and_then(Self::from_epoch_seconds);
        }
        None
    }

    /// From a JSON value: number (epoch seconds) or string ([`parse_str`](Self::parse_str)).
    pub fn from_json(v: &Value) -> Option<Self> {
        match v {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Self::from_epoch_secs_i64(i)
                } else {
                    n.as_f64().and_then(Self::from_epoch_seconds)
                }
            }
            Value::String(s) => Self::parse_str(s),
            _ => None,
        }
    }

    /// The wrapped instant.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// Epoch seconds as a float (what the rest-json wire carries), the
    /// nearest double to the exact decimal value.
    pub fn epoch_seconds(&self) -> f64 {
        let nanos = self.0.unix_timestamp_nanos();
        let sign = if nanos < 0 { "-" } else { "" };
        let abs = nanos.unsigned_abs();
        format!("{sign}{}.{:09}", abs / 1_000_000_000, abs % 1_000_000_000)
            .parse()
            .unwrap_or(nanos as f64 / 1e9)
    }

    /// Epoch seconds as JSON: an integer when whole, otherwise a float.
    pub fn to_json(&self) -> Value {
        if self.0.nanosecond() == 0 {
            Value::from(self.0.unix_timestamp())
        } else {
            Value::from(self.epoch_seconds())
        }
    }

    /// RFC 3339 (UTC), e.g. `2024-03-01T12:00:00Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.0.unix_timestamp().to_string())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(at: OffsetDateTime) -> Self {
        Self(at)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.nanosecond() == 0 {
            serializer.serialize_i64(self.0.unix_timestamp())
        } else {
            serializer.serialize_f64(self.epoch_seconds())
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        Self::from_json(&v).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid timestamp {v}: expected epoch seconds or an ISO-8601 date-time"
            ))
        })
    }
}

//! Finding timestamps as the mappers meet them: RFC 3339 text (the store, events) or epoch
//! seconds (what `ListFindings` answers on the wire, possibly fractional).

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The instant a timestamp member holds, if it holds one.
pub(crate) fn instant(v: Option<&Value>) -> Option<OffsetDateTime> {
    match v? {
        Value::String(s) => OffsetDateTime::parse(s, &Rfc3339).ok(),
        Value::Number(n) => {
            let secs = n.as_f64()?;
            if !secs.is_finite() {
                return None;
            }
            let nanos = (secs * 1e9).round() as i128;
            OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
        }
        _ => None,
    }
}

/// RFC 3339 in UTC with milliseconds (`2026-12-01T10:00:00.500Z`), as ASFF shows times.
pub(crate) fn rfc3339(v: Option<&Value>) -> Option<String> {
    let t = instant(v)?.to_offset(time::UtcOffset::UTC);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    ))
}

/// Epoch milliseconds, as OCSF times are.
pub(crate) fn epoch_ms(v: Option<&Value>) -> Option<i64> {
    let t = instant(v)?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Now, as RFC 3339.
pub(crate) fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_and_epoch_seconds_read_alike() {
        let text = json!("2026-12-01T10:00:00.500Z");
        let secs = json!(1_796_119_200.5);
        assert_eq!(rfc3339(Some(&text)), rfc3339(Some(&secs)));
        assert_eq!(
            rfc3339(Some(&secs)).as_deref(),
            Some("2026-12-01T10:00:00.500Z")
        );
        assert_eq!(epoch_ms(Some(&text)), Some(1_796_119_200_500));
        assert_eq!(rfc3339(Some(&json!("yesterday"))), None);
        assert_eq!(epoch_ms(Some(&json!(null))), None);
        assert_eq!(epoch_ms(None), None);
    }
}

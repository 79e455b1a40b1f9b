//! Usage metering, as Amazon Inspector meters it (`ListUsageTotals`): per account, resource
//! and calendar month (UTC), when the resource was first and last seen covered, how many
//! scans and how many re-evaluations it had. Scans and re-evaluations meter in the same
//! transaction as their findings; an agent's heartbeat extends its host's coverage.
//!
//! Totals per month:
//! - `EC2_INSTANCE_HOURS`: for each host, the hours from its first to its last sign of
//!   coverage in the month (scan or heartbeat), each started hour counted, at least one;
//! - `ECR_INITIAL_SCAN`: images whose first scan ever falls in the month;
//!   `ECR_RESCAN`: every other scan and every re-evaluation of an image;
//! - `LAMBDA_FUNCTION_HOURS`: for each function version, the hours from its first scan in
//!   the month to the month's end (or now), while it exists; to its last scan once deleted.

use rusqlite::{Transaction, params};
use serde::Serialize;
use time::OffsetDateTime;

use crate::{Result, Store, timestamp};

/// One usage total of an account (inspector2 `Usage`, without the cost).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotal {
    pub account: String,
    /// EC2_INSTANCE_HOURS, ECR_INITIAL_SCAN, ECR_RESCAN or LAMBDA_FUNCTION_HOURS.
    pub kind: &'static str,
    pub total: f64,
}

/// What metered the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meter {
    Scan,
    Rescan,
    /// Coverage only (a heartbeat).
    Seen,
}

/// Records one observation of a resource (inside the caller's transaction).
pub(crate) fn meter(
    tx: &Transaction,
    account: &str,
    region: &str,
    kind: &str,
    id: &str,
    at: &str,
    m: Meter,
) -> rusqlite::Result<()> {
    let (scans, rescans) = match m {
        Meter::Scan => (1, 0),
        Meter::Rescan => (0, 1),
        Meter::Seen => (0, 0),
    };
    tx.prepare_cached(
        "INSERT INTO usage_meter(account, region, resource_id, resource_type, month, first_seen_at,
           last_seen_at, scans, rescans)
         VALUES (?1, ?2, ?3, ?4, substr(?5, 1, 7), ?5, ?5, ?6, ?7)
         ON CONFLICT(account, region, resource_id, month) DO UPDATE SET
           last_seen_at = max(last_seen_at, excluded.last_seen_at),
           first_seen_at = min(first_seen_at, excluded.first_seen_at),
           scans = scans + excluded.scans, rescans = rescans + excluded.rescans",
    )?
    .execute(params![account, region, id, kind, at, scans, rescans])?;
    Ok(())
}

/// The first instant of the month after `month` (`YYYY-MM`), as a stored timestamp.
fn month_end(month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u8) = (y.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&m) || !(1970..=9999).contains(&y) {
        return None;
    }
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    Some(format!("{y:04}-{m:02}-01T00:00:00.000Z"))
}

fn parse(ts: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).ok()
}

/// Started hours between two stored timestamps, at least one.
fn hours(from: &str, to: &str) -> f64 {
    match (parse(from), parse(to)) {
        (Some(a), Some(b)) if b > a => ((b - a).as_seconds_f64() / 3600.0).ceil().max(1.0),
        _ => 1.0,
    }
}

impl Store {
    /// The usage totals of each of `accounts` in `month` (`YYYY-MM`, UTC), as of `now`.
    pub fn usage_totals(
        &self,
        accounts: &[String],
        month: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<UsageTotal>> {
        let end = month_end(month)
            .ok_or_else(|| crate::Error::Invalid(format!("`{month}` is not a month (YYYY-MM)")))?;
        let now = timestamp(now);
        let mut out = Vec::new();
        for account in accounts {
            #[allow(clippy::type_complexity)]
            let rows: Vec<(String, String, String, String, i64, i64, bool, bool)> =
                self.with(|c| {
                    c.prepare_cached(
                        "SELECT u.resource_type, u.resource_id, u.first_seen_at, u.last_seen_at,
                                u.scans, u.rescans,
                                r.id IS NOT NULL,
                                EXISTS (SELECT 1 FROM usage_meter e WHERE e.account = u.account
                                        AND e.region = u.region AND e.resource_id = u.resource_id
                                        AND e.month < u.month AND e.scans > 0)
                         FROM usage_meter u
                         LEFT JOIN resources r ON r.account = u.account AND r.region = u.region
                                               AND r.id = u.resource_id
                         WHERE u.account = ?1 AND u.month = ?2",
                    )?
                    .query_map(params![account, month], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                        ))
                    })?
                    .collect()
                })?;
            let (mut ec2, mut initial, mut rescan, mut lambda) = (0.0, 0.0, 0.0, 0.0);
            for (kind, _id, first, last, scans, rescans, exists, scanned_before) in rows {
                let cap = |t: &str| -> String {
                    if t < end.as_str() {
                        t.to_owned()
                    } else {
                        end.clone()
                    }
                };
                match kind.as_str() {
                    "AWS_EC2_INSTANCE" => ec2 += hours(&first, &cap(&last)),
                    "AWS_ECR_CONTAINER_IMAGE" => {
                        let first_scan_now = !scanned_before && scans > 0;
                        if first_scan_now {
                            initial += 1.0;
                        }
                        rescan += (scans - i64::from(first_scan_now)) as f64 + rescans as f64;
                    }
                    "AWS_LAMBDA_FUNCTION" => {
                        let until = if exists { cap(&now) } else { cap(&last) };
                        lambda += hours(&first, &until);
                    }
                    _ => {}
                }
            }
            for (kind, total) in [
                ("EC2_INSTANCE_HOURS", ec2),
                ("ECR_INITIAL_SCAN", initial),
                ("ECR_RESCAN", rescan),
                ("LAMBDA_FUNCTION_HOURS", lambda),
            ] {
                out.push(UsageTotal {
                    account: account.clone(),
                    kind,
                    total,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn months_end_and_hours_start() {
        assert_eq!(
            month_end("2026-12").as_deref(),
            Some("2027-01-01T00:00:00.000Z")
        );
        assert_eq!(
            month_end("2026-02").as_deref(),
            Some("2026-03-01T00:00:00.000Z")
        );
        assert_eq!(month_end("2026"), None);
        assert_eq!(month_end("2026-13"), None);
        assert_eq!(
            hours("2026-12-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"),
            1.0
        );
        assert_eq!(
            hours("2026-12-01T00:00:00.000Z", "2026-12-01T02:00:01.000Z"),
            3.0
        );
        assert_eq!(
            hours("2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"),
            744.0
        );
    }
}

//! The console dashboard's figures, counted in SQL over the findings and their lifecycle
//! history (no finding body is parsed): counts by status and severity, the most vulnerable
//! resources, and the daily history behind the charts (open findings by severity over time,
//! mean time to remediate, new vs closed per week).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Result, Store};

/// Which findings the dashboard counts: an account (and the members it administers) in one
/// region.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub account: String,
    pub member_accounts: Vec<String>,
    pub region: String,
}

impl Scope {
    /// `f.account IN (?1, ...) AND f.region = ?N`, and its arguments.
    fn sql(&self) -> (String, Vec<String>) {
        let mut args = vec![self.account.clone()];
        args.extend(self.member_accounts.iter().cloned());
        let marks = (1..=args.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        args.push(self.region.clone());
        (
            format!("f.account IN ({marks}) AND f.region = ?{}", args.len()),
            args,
        )
    }
}

/// A resource's open (ACTIVE) findings by severity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceCounts {
    pub account: String,
    pub resource_id: String,
    pub resource_type: String,
    /// The resource's stored details (an image's repository and tags, a function's name …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub total: u64,
    pub max_score: Option<f64>,
}

/// One day's lifecycle transitions of one severity (by the finding's current severity).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayCounts {
    /// Findings that became ACTIVE (new, reopened, unsuppressed).
    pub to_active: u64,
    /// Findings that stopped being ACTIVE (closed, suppressed).
    pub from_active: u64,
    /// Findings first seen (created).
    pub created: u64,
    /// Findings closed.
    pub closed: u64,
    /// Sum over the closed ones of days from first seen to closed.
    pub days_to_close: f64,
}

/// What [`Store::dashboard`] counts.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// (status, severity) → findings.
    pub by_status_severity: BTreeMap<(String, String), u64>,
    /// Resources with open findings, most vulnerable first (critical, high, medium, low,
    /// total), at most `per_type` of each resource type.
    pub resources: Vec<ResourceCounts>,
    /// Every container image with open findings, most vulnerable first (their repositories'
    /// counts are their sums).
    pub images: Vec<ResourceCounts>,
    /// (UTC date `YYYY-MM-DD`, severity) → that day's transitions, from `since` on.
    pub days: BTreeMap<(String, String), DayCounts>,
}

impl Store {
    /// The dashboard's counts for `scope`: history from `since` (a store timestamp) on, and
    /// the `per_type` most vulnerable resources of each type.
    pub fn dashboard(&self, scope: &Scope, since: &str, per_type: usize) -> Result<Dashboard> {
        let (cond, args) = scope.sql();
        let mut out = Dashboard::default();
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT f.status, f.severity, count(*) FROM findings f WHERE {cond}
                 GROUP BY f.status, f.severity"
            ))?;
            let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
            while let Some(r) = rows.next()? {
                out.by_status_severity
                    .insert((r.get(0)?, r.get(1)?), r.get::<_, i64>(2)?.max(0) as u64);
            }

            let mut st = c.prepare(&format!(
                "SELECT f.account, f.resource_id, coalesce(r.type, ''), r.details,
                        sum(f.severity = 'CRITICAL'), sum(f.severity = 'HIGH'),
                        sum(f.severity = 'MEDIUM'), sum(f.severity = 'LOW'), count(*), max(f.score)
                 FROM findings f INDEXED BY findings_by_resource
                 LEFT JOIN resources r ON r.account = f.account AND r.region = f.region AND r.id = f.resource_id
                 WHERE {cond} AND f.status = 'ACTIVE'
                 GROUP BY f.account, f.resource_id"
            ))?;
            let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
            let mut all = Vec::new();
            while let Some(r) = rows.next()? {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
                };
                let details: Option<String> = r.get(3)?;
                all.push(ResourceCounts {
                    account: r.get(0)?,
                    resource_id: r.get(1)?,
                    resource_type: r.get(2)?,
                    details: details.and_then(|d| serde_json::from_str(&d).ok()),
                    critical: n(4)?,
                    high: n(5)?,
                    medium: n(6)?,
                    low: n(7)?,
                    total: n(8)?,
                    max_score: r.get(9)?,
                });
            }
            all.sort_by(|a, b| {
                (b.critical, b.high, b.medium, b.low, b.total)
                    .cmp(&(a.critical, a.high, a.medium, a.low, a.total))
                    .then_with(|| a.resource_id.cmp(&b.resource_id))
            });
            let mut taken: BTreeMap<String, usize> = BTreeMap::new();
            for r in all {
                if r.resource_type == "AWS_ECR_CONTAINER_IMAGE" {
                    out.images.push(r.clone());
                }
                let n = taken.entry(r.resource_type.clone()).or_default();
                if *n < per_type {
                    *n += 1;
                    out.resources.push(r);
                }
            }

            let mut args = args.clone();
            args.push(since.to_owned());
            let mut st = c.prepare(&format!(
                "SELECT substr(h.at, 1, 10), f.severity,
                        sum(h.to_status = 'ACTIVE' AND coalesce(h.from_status, '') != 'ACTIVE'),
                        sum(h.from_status = 'ACTIVE' AND h.to_status != 'ACTIVE'),
                        sum(h.from_status IS NULL),
                        sum(h.to_status = 'CLOSED' AND coalesce(h.from_status, '') != 'CLOSED'),
                        sum(CASE WHEN h.to_status = 'CLOSED' AND coalesce(h.from_status, '') != 'CLOSED'
                                 THEN julianday(h.at) - julianday(f.first_observed_at) END)
                 FROM finding_history h JOIN findings f ON f.arn = h.arn
                 WHERE {cond} AND h.at >= ?{}
                 GROUP BY 1, 2",
                args.len()
            ))?;
            let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
            while let Some(r) = rows.next()? {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
                };
                let to_active = n(2)?;
                out.days.insert(
                    (r.get(0)?, r.get(1)?),
                    DayCounts {
                        to_active,
                        from_active: n(3)?,
                        created: n(4)?,
                        closed: n(5)?,
                        days_to_close: r.get::<_, Option<f64>>(6)?.unwrap_or(0.0),
                    },
                );
            }
            Ok(())
        })?;
        Ok(out)
    }
}

//! The console dashboard's figures, counted in SQL without reading a finding's row: counts by
//! status and severity and the most vulnerable resources from a covering index, and the daily
//! history behind the charts (open findings by severity over time, mean time to remediate,
//! new vs closed per week) from a roll-up the findings table's triggers keep (migration 17).

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
    /// `{table}.account IN (?1, ...) AND {table}.region = ?N`, and its arguments.
    fn sql(&self, table: &str) -> (String, Vec<String>) {
        let mut args = vec![self.account.clone()];
        args.extend(self.member_accounts.iter().cloned());
        let marks = (1..=args.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        args.push(self.region.clone());
        (
            format!(
                "{table}.account IN ({marks}) AND {table}.region = ?{}",
                args.len()
            ),
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
        let (cond, args) = scope.sql("f");
        let mut out = Dashboard::default();
        self.with(|c| {
            // counts by status and severity, and each resource's open ones, in one walk of the
            // covering index (grouped in its order: no sort, no table row read)
            let mut st = c.prepare(&format!(
                "SELECT f.account, f.status, f.resource_id, f.severity, count(*), max(f.score)
                 FROM findings f INDEXED BY findings_for_dashboard WHERE {cond}
                 GROUP BY f.account, f.status, f.resource_id, f.severity"
            ))?;
            let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
            let mut open: BTreeMap<(String, String), ResourceCounts> = BTreeMap::new();
            while let Some(r) = rows.next()? {
                let (account, status, resource, severity): (String, String, String, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                let n = r.get::<_, i64>(4)?.max(0) as u64;
                let score: Option<f64> = r.get(5)?;
                *out.by_status_severity
                    .entry((status.clone(), severity.clone()))
                    .or_default() += n;
                if status != "ACTIVE" {
                    continue;
                }
                let c = open
                    .entry((account.clone(), resource.clone()))
                    .or_insert_with(|| ResourceCounts {
                        account,
                        resource_id: resource,
                        ..Default::default()
                    });
                match severity.as_str() {
                    "CRITICAL" => c.critical += n,
                    "HIGH" => c.high += n,
                    "MEDIUM" => c.medium += n,
                    "LOW" => c.low += n,
                    _ => {}
                }
                c.total += n;
                c.max_score = match (c.max_score, score) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
            }

            // the resources' types and details
            let (rcond, rargs) = scope.sql("r");
            let mut st = c.prepare(&format!(
                "SELECT r.account, r.id, r.type, r.details FROM resources r WHERE {rcond}"
            ))?;
            let mut rows = st.query(rusqlite::params_from_iter(rargs.iter()))?;
            while let Some(r) = rows.next()? {
                let key: (String, String) = (r.get(0)?, r.get(1)?);
                if let Some(c) = open.get_mut(&key) {
                    c.resource_type = r.get(2)?;
                    let details: Option<String> = r.get(3)?;
                    c.details = details.and_then(|d| serde_json::from_str(&d).ok());
                }
            }
            let mut all: Vec<ResourceCounts> = open.into_values().collect();
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

            // the daily roll-up the findings' triggers keep
            let (dcond, mut dargs) = scope.sql("d");
            dargs.push(since.get(..10).unwrap_or(since).to_owned());
            let mut st = c.prepare(&format!(
                "SELECT d.day, d.severity, sum(d.to_active), sum(d.from_active), sum(d.created),
                        sum(d.closed), sum(d.days_to_close)
                 FROM finding_daily d WHERE {dcond} AND d.day >= ?{}
                 GROUP BY d.day, d.severity",
                dargs.len()
            ))?;
            let mut rows = st.query(rusqlite::params_from_iter(dargs.iter()))?;
            while let Some(r) = rows.next()? {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
                };
                out.days.insert(
                    (r.get(0)?, r.get(1)?),
                    DayCounts {
                        to_active: n(2)?,
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

    /// Open (ACTIVE) findings grouped by account, title and vulnerability id, from a covering
    /// index (ListFindingAggregations by TITLE without filters, the console's "by
    /// vulnerability" view): no finding row is read.
    pub fn open_by_title(&self, scope: &Scope) -> Result<Vec<TitleCounts>> {
        let (cond, args) = scope.sql("f");
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT f.account, f.title, f.vulnerability_id, count(*),
                        sum(f.severity = 'CRITICAL'), sum(f.severity = 'HIGH'),
                        sum(f.severity = 'MEDIUM'), max(f.score)
                 FROM findings f INDEXED BY findings_by_vulnerability
                 WHERE {cond} AND f.status = 'ACTIVE' AND f.title IS NOT NULL AND f.title != ''
                 GROUP BY f.account, f.vulnerability_id, f.title"
            ))?;
            let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
                };
                Ok(TitleCounts {
                    account: r.get(0)?,
                    title: r.get(1)?,
                    vulnerability_id: r.get(2)?,
                    all: n(3)?,
                    critical: n(4)?,
                    high: n(5)?,
                    medium: n(6)?,
                    max_score: r.get(7)?,
                })
            })?;
            rows.collect()
        })
    }
}

/// Open findings of one title (see [`Store::open_by_title`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TitleCounts {
    pub account: String,
    pub title: String,
    pub vulnerability_id: Option<String>,
    pub all: u64,
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub max_score: Option<f64>,
}

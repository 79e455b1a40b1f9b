//! Findings reports and SBOM exports (inspector2 `CreateFindingsReport`, `CreateSbomExport`):
//! one row per request with its state, so that a report's status outlives the request that
//! started it and a restart knows which ones were cut short.
//!
//! States: `IN_PROGRESS` → `SUCCEEDED` | `FAILED` | `CANCELLED`. Every transition out of
//! `IN_PROGRESS` is conditional ([`ReportStore::finish_report`]), so a cancel racing the
//! worker's completion has exactly one winner.

use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{Error, FindingQuery, Result, Store, db_err, timestamp};

/// `FINDINGS` (a findings report) or `SBOM` (an SBOM export).
pub const FINDINGS: &str = "FINDINGS";
pub const SBOM: &str = "SBOM";

/// A report request and its state.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub id: String,
    pub account: String,
    pub region: String,
    /// [`FINDINGS`] or [`SBOM`].
    pub kind: String,
    /// `CSV`, `JSON`, `CYCLONEDX_1_4`, `CYCLONEDX_1_6`, `SPDX_2_3`.
    pub format: String,
    /// `IN_PROGRESS`, `SUCCEEDED`, `FAILED` or `CANCELLED`.
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// inspector2 `Destination` JSON (`bucketName`, `keyPrefix`, `kmsKeyArn`).
    pub destination: Value,
    /// The request's `filterCriteria` / `resourceFilterCriteria`, as given.
    pub criteria: Option<Value>,
    /// How many objects the report wrote (an SBOM export writes one per resource).
    pub objects: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Reports (implemented by [`Store`]).
pub trait ReportStore: Send + Sync {
    /// Records a new `IN_PROGRESS` report, unless the account already has `max_in_progress`
    /// reports of the same kind in progress (then [`Error::Invalid`], nothing recorded).
    fn create_report(&self, r: &ReportRecord, max_in_progress: usize) -> Result<()>;
    /// A report of `account`.
    fn report(&self, account: &str, id: &str) -> Result<Option<ReportRecord>>;
    /// The account's most recent report of `kind` (in progress ones first).
    fn latest_report(&self, account: &str, kind: &str) -> Result<Option<ReportRecord>>;
    /// Every report in progress, oldest first.
    fn reports_in_progress(&self) -> Result<Vec<ReportRecord>>;
    /// Moves a report from `IN_PROGRESS` to `status`; answers false (and changes nothing) when
    /// it was not in progress any more.
    fn finish_report(
        &self,
        id: &str,
        status: &str,
        error: Option<(&str, &str)>,
        objects: i64,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// At start: reports left `IN_PROGRESS` by a previous process become `FAILED` with
    /// `message`; answers how many.
    fn fail_interrupted_reports(&self, message: &str, now: OffsetDateTime) -> Result<u64>;
    /// At most `limit` findings of the query after `after` in ARN order (every status; the
    /// caller applies its own criteria), for walking every finding page by page.
    fn findings_page(
        &self,
        q: &FindingQuery,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Value>>;
}

const COLUMNS: &str = "id, account, region, kind, format, status, error_code, error_message, destination, criteria, objects, created_at, updated_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportRecord> {
    let destination: String = r.get(8)?;
    let criteria: Option<String> = r.get(9)?;
    Ok(ReportRecord {
        id: r.get(0)?,
        account: r.get(1)?,
        region: r.get(2)?,
        kind: r.get(3)?,
        format: r.get(4)?,
        status: r.get(5)?,
        error_code: r.get(6)?,
        error_message: r.get(7)?,
        destination: serde_json::from_str(&destination).unwrap_or(Value::Null),
        criteria: criteria.and_then(|c| serde_json::from_str(&c).ok()),
        objects: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

impl ReportStore for Store {
    fn create_report(&self, r: &ReportRecord, max_in_progress: usize) -> Result<()> {
        let path = self.path().to_owned();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let busy: i64 = tx
                .query_row(
                    "SELECT count(*) FROM reports WHERE account = ?1 AND kind = ?2 AND status = 'IN_PROGRESS'",
                    params![r.account, r.kind],
                    |row| row.get(0),
                )
                .map_err(e)?;
            if busy as usize >= max_in_progress {
                return Err(Error::Invalid(format!(
                    "Cannot have multiple reports in-progress: the account has {busy} {} report(s) in progress (at most {max_in_progress}); wait for it or cancel it",
                    r.kind.to_ascii_lowercase()
                )));
            }
            tx.execute(
                &format!("INSERT INTO reports ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
                params![
                    r.id,
                    r.account,
                    r.region,
                    r.kind,
                    r.format,
                    r.status,
                    r.error_code,
                    r.error_message,
                    r.destination.to_string(),
                    r.criteria.as_ref().map(Value::to_string),
                    r.objects,
                    r.created_at,
                    r.updated_at
                ],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    fn report(&self, account: &str, id: &str) -> Result<Option<ReportRecord>> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM reports WHERE account = ?1 AND id = ?2"),
                params![account, id],
                row,
            )
            .optional()
        })
    }

    fn latest_report(&self, account: &str, kind: &str) -> Result<Option<ReportRecord>> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {COLUMNS} FROM reports WHERE account = ?1 AND kind = ?2
                     ORDER BY status = 'IN_PROGRESS' DESC, created_at DESC, rowid DESC LIMIT 1"
                ),
                params![account, kind],
                row,
            )
            .optional()
        })
    }

    fn reports_in_progress(&self) -> Result<Vec<ReportRecord>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {COLUMNS} FROM reports WHERE status = 'IN_PROGRESS' ORDER BY created_at, rowid"
            ))?;
            let rows = st.query_map([], row)?;
            rows.collect()
        })
    }

    fn finish_report(
        &self,
        id: &str,
        status: &str,
        error: Option<(&str, &str)>,
        objects: i64,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE reports SET status = ?2, error_code = ?3, error_message = ?4, objects = ?5, updated_at = ?6
                 WHERE id = ?1 AND status = 'IN_PROGRESS'",
                params![
                    id,
                    status,
                    error.map(|e| e.0),
                    error.map(|e| e.1),
                    objects,
                    timestamp(now)
                ],
            )
        })?;
        Ok(n == 1)
    }

    fn fail_interrupted_reports(&self, message: &str, now: OffsetDateTime) -> Result<u64> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE reports SET status = 'FAILED', error_code = 'INTERNAL_ERROR', error_message = ?1, updated_at = ?2
                 WHERE status = 'IN_PROGRESS'",
                params![message, timestamp(now)],
            )
        })?;
        Ok(n as u64)
    }

    fn findings_page(
        &self,
        q: &FindingQuery,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Value>> {
        let mut q = q.clone();
        q.page = Some((0, limit));
        self.findings_after(&q, after, &|_| true)
    }
}

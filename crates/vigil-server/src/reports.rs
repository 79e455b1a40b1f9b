//! Findings reports and SBOM exports: inspector2's `CreateFindingsReport`,
//! `GetFindingsReportStatus`, `CancelFindingsReport`, `CreateSbomExport`, `GetSbomExport` and
//! `CancelSbomExport`.
//!
//! A request is validated and recorded `IN_PROGRESS` in the store (answering its `reportId`),
//! then written in the background by the report worker ([`run_pending`], woken by each
//! request and every few seconds) to the configured [`Destination`]. Reports are durable:
//! one that is in progress when the server stops is marked `FAILED` (`INTERNAL_ERROR`, "the
//! server restarted …") at the next start, never resumed; create it again.
//!
//! - Findings report: the findings `ListFindings` answers for the same `filterCriteria`, read
//!   from the store in pages of [`PAGE`] (keyset pagination, ARN order) and streamed out:
//!   JSON as `{"findings": [Finding, …]}` (inspector2 `Finding` shape, timestamps as epoch
//!   seconds like the API), CSV with the columns of Inspector's CSV report ([`CSV_COLUMNS`];
//!   RFC 4180: every field quoted, `""` for a quote, CRLF line ends, a header row). Object key
//!   `<keyPrefix>/<reportId>.json|.csv`. No matching finding: `FAILED`/`NO_FINDINGS_FOUND`.
//! - SBOM export: one document per resource of the caller's region matching
//!   `resourceFilterCriteria` and having a stored inventory, CycloneDX (`CYCLONEDX_1_4` or
//!   `CYCLONEDX_1_6` given; what is written is vigil-sbom's CycloneDX 1.6, `specVersion`
//!   "1.6") or SPDX 2.3, at `<keyPrefix>/SBOM_Export/<reportId>/<accountId>/<resourceType>/
//!   <resourceId>.json`.
//! - Limits (ValidationException): one findings report and one SBOM export in progress per
//!   account (Inspector's rule: "Cannot have multiple reports in-progress"); at most
//!   [`Reports::max_sbom_resources`] resources per SBOM export (default 10,000).
//! - Cancel: the report becomes `CANCELLED` at once; the worker stops at its next page or
//!   object and removes what it wrote (an unfinished object is never visible: temporary file
//!   or multipart upload; objects of an SBOM export already published are deleted).

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_store::FindingQuery;
use vigil_store::reports::{FINDINGS, ReportRecord, SBOM};

use crate::export::{Destination, ExportError, ObjectSink};
use crate::ops::{check_members, equals_values, parse_criteria};
use crate::wire::timestamps_to_epoch;
use crate::{ApiError, App, Principal};

/// Findings read from the store per page.
pub const PAGE: usize = 1000;
/// The default limit of resources per SBOM export.
pub const DEFAULT_MAX_SBOM_RESOURCES: usize = 10_000;
/// Findings reports (and SBOM exports) in progress per account.
pub const MAX_IN_PROGRESS: usize = 1;

/// The columns of Inspector's CSV findings report, in its order.
pub const CSV_COLUMNS: [&str; 55] = [
    "AWS Account Id",
    "Severity",
    "Fix Available",
    "Finding Type",
    "Title",
    "Description",
    "Finding ARN",
    "First Seen",
    "Last Seen",
    "Last Updated",
    "Resource ID",
    "Container Image Tags",
    "Region",
    "Platform",
    "Resource Tags",
    "Affected Packages",
    "Package Installed Version",
    "Fixed in Version",
    "Package Remediation",
    "File Path",
    "Network Paths",
    "Age (Days)",
    "Remediation",
    "Inspector Score",
    "Inspector Score Vector",
    "Status",
    "Vulnerability Id",
    "Vendor",
    "Vendor Severity",
    "Vendor Advisory",
    "Vendor Advisory Published",
    "NVD CVSS3 Score",
    "NVD CVSS3 Vector",
    "NVD CVSS2 Score",
    "NVD CVSS2 Vector",
    "Vendor CVSS3 Score",
    "Vendor CVSS3 Vector",
    "Vendor CVSS2 Score",
    "Vendor CVSS2 Vector",
    "Resource Type",
    "Ami",
    "Resource Public Ipv4",
    "Resource Private Ipv4",
    "Resource Ipv6",
    "Resource Vpc",
    "Port Range",
    "Epss Score",
    "Exploit Available",
    "Last Exploited At",
    "Lambda Layers",
    "Lambda Package Type",
    "Lambda Last Updated At",
    "Reference Urls",
    "Detector Name",
    "Package Manager",
];

/// The report worker's state: the destination, the reports being written and the cancelled
/// ones, and its wake-up.
pub struct Reports {
    pub destination: Destination,
    pub max_sbom_resources: usize,
    running: Mutex<HashSet<String>>,
    cancelled: Mutex<HashSet<String>>,
    pub wake: tokio::sync::Notify,
}

impl Reports {
    pub fn new(destination: Destination) -> Reports {
        Reports {
            destination,
            max_sbom_resources: DEFAULT_MAX_SBOM_RESOURCES,
            running: Mutex::new(HashSet::new()),
            cancelled: Mutex::new(HashSet::new()),
            wake: tokio::sync::Notify::new(),
        }
    }

    fn is_cancelled(&self, id: &str) -> bool {
        self.cancelled
            .lock()
            .map(|c| c.contains(id))
            .unwrap_or(false)
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn new_report_id() -> Result<String, ApiError> {
    let h = vigil_store::keys::random_hex(16)
        .map_err(|e| ApiError::internal(&format!("report id: {e}")))?;
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

fn is_report_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// The `reportId` member: required or not, and well-formed.
fn report_id(input: &Value, required: bool) -> Result<Option<String>, ApiError> {
    match input.get("reportId") {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(ApiError::field("reportId", "is required")),
        Some(Value::String(s)) if is_report_id(s) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::field(
            "reportId",
            "must be a report id (8-4-4-4-12 lowercase hex digits)",
        )),
    }
}

/// Checks `s3Destination` and answers it normalised (`keyPrefix` without surrounding `/`).
fn destination(input: &Value) -> Result<Value, ApiError> {
    let d = input
        .get("s3Destination")
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::field("s3Destination", "is required"))?;
    let o = d
        .as_object()
        .ok_or_else(|| ApiError::field("s3Destination", "must be a structure"))?;
    for k in o.keys() {
        if !["bucketName", "keyPrefix", "kmsKeyArn"].contains(&k.as_str()) {
            return Err(ApiError::field(
                &format!("s3Destination.{k}"),
                "is not a member of Destination",
            ));
        }
    }
    let text = |k: &str, required: bool| -> Result<Option<String>, ApiError> {
        match o.get(k) {
            None | Some(Value::Null) if required => Err(ApiError::field(
                &format!("s3Destination.{k}"),
                "is required",
            )),
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= 2048 => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::field(
                &format!("s3Destination.{k}"),
                "must be a string of at most 2048 characters",
            )),
        }
    };
    let bucket = text("bucketName", true)?.unwrap_or_default();
    crate::export::check_bucket_name(&bucket)
        .map_err(|m| ApiError::field("s3Destination.bucketName", &m))?;
    let kms = text("kmsKeyArn", true)?.unwrap_or_default();
    if kms.is_empty() {
        return Err(ApiError::field("s3Destination.kmsKeyArn", "is required"));
    }
    let prefix = crate::export::normalize_prefix(&text("keyPrefix", false)?.unwrap_or_default())
        .map_err(|m| ApiError::field("s3Destination.keyPrefix", &m))?;
    let mut out = json!({"bucketName": bucket, "kmsKeyArn": kms});
    if !prefix.is_empty() {
        out["keyPrefix"] = json!(prefix);
    }
    Ok(out)
}

fn format_field(input: &Value, allowed: &[&str]) -> Result<String, ApiError> {
    match input.get("reportFormat") {
        None | Some(Value::Null) => Err(ApiError::field("reportFormat", "is required")),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(s.clone()),
        Some(_) => Err(ApiError::field(
            "reportFormat",
            &format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

fn record(
    p: &Principal,
    id: String,
    kind: &str,
    format: String,
    destination: Value,
    criteria: Option<Value>,
) -> ReportRecord {
    let at = vigil_store::timestamp(now());
    ReportRecord {
        id,
        account: p.account.clone(),
        region: p.region.clone(),
        kind: kind.to_owned(),
        format,
        status: "IN_PROGRESS".into(),
        error_code: None,
        error_message: None,
        destination,
        criteria,
        objects: 0,
        created_at: at.clone(),
        updated_at: at,
    }
}

/// `POST /reporting/create`.
pub fn create_findings_report(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["filterCriteria", "reportFormat", "s3Destination"])?;
    let format = format_field(input, &["CSV", "JSON"])?;
    let criteria = input.get("filterCriteria").filter(|v| !v.is_null());
    parse_criteria(criteria, "filterCriteria")?;
    let dest = destination(input)?;
    let id = new_report_id()?;
    let rec = record(p, id.clone(), FINDINGS, format, dest, criteria.cloned());
    app.store
        .report_store()
        .create_report(&rec, MAX_IN_PROGRESS)?;
    tracing::info!(report = %id, account = %p.account, format = %rec.format, "findings report requested");
    app.reports.wake.notify_one();
    Ok(json!({"reportId": id}))
}

/// `POST /sbomexport/create`.
pub fn create_sbom_export(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(
        input,
        &["resourceFilterCriteria", "reportFormat", "s3Destination"],
    )?;
    let format = format_field(input, &["CYCLONEDX_1_4", "CYCLONEDX_1_6", "SPDX_2_3"])?;
    let criteria = input
        .get("resourceFilterCriteria")
        .filter(|v| !v.is_null())
        .cloned();
    let filter = ResourceFilter::parse(criteria.as_ref())?;
    let dest = destination(input)?;
    // the limit is checked now, so that a request beyond it fails at once
    let mut matching = 0;
    for account in app.store.org_store().managed_accounts(&p.account)? {
        matching += app
            .store
            .resources(&account, Some(&p.region))?
            .iter()
            .filter(|r| filter.matches(&account, r))
            .count();
    }
    let max = app.reports.max_sbom_resources;
    if matching > max {
        return Err(ApiError::field(
            "resourceFilterCriteria",
            &format!(
                "matches {matching} resources, more than the {max} one SBOM export may hold; narrow the filter"
            ),
        ));
    }
    let id = new_report_id()?;
    let rec = record(p, id.clone(), SBOM, format, dest, criteria);
    app.store
        .report_store()
        .create_report(&rec, MAX_IN_PROGRESS)?;
    tracing::info!(report = %id, account = %p.account, format = %rec.format, resources = matching, "SBOM export requested");
    app.reports.wake.notify_one();
    Ok(json!({"reportId": id}))
}

fn lookup(app: &App, p: &Principal, id: &str, kind: &str) -> Result<ReportRecord, ApiError> {
    match app.store.report_store().report(&p.account, id)? {
        Some(r) if r.kind == kind => Ok(r),
        _ => Err(ApiError::not_found(&format!(
            "no {} with id `{id}` in this account",
            if kind == FINDINGS {
                "findings report"
            } else {
                "SBOM export"
            }
        ))),
    }
}

fn with_error(mut out: Value, r: &ReportRecord) -> Value {
    if let Some(c) = &r.error_code {
        out["errorCode"] = json!(c);
    }
    if let Some(m) = &r.error_message {
        out["errorMessage"] = json!(m);
    }
    out
}

/// `POST /reporting/status/get`: the report named, else the account's latest one.
pub fn get_findings_report_status(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    check_members(input, &["reportId"])?;
    let r = match report_id(input, false)? {
        Some(id) => lookup(app, p, &id, FINDINGS)?,
        None => match app
            .store
            .report_store()
            .latest_report(&p.account, FINDINGS)?
        {
            Some(r) => r,
            None => return Ok(json!({})),
        },
    };
    let mut out = json!({
        "reportId": r.id,
        "status": r.status,
        "destination": r.destination,
    });
    if let Some(c) = &r.criteria {
        out["filterCriteria"] = c.clone();
    }
    Ok(with_error(out, &r))
}

/// `POST /sbomexport/get`.
pub fn get_sbom_export(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["reportId"])?;
    let id = report_id(input, true)?.unwrap_or_default();
    let r = lookup(app, p, &id, SBOM)?;
    let mut out = json!({
        "reportId": r.id,
        "format": r.format,
        "status": r.status,
        "s3Destination": r.destination,
    });
    if let Some(c) = &r.criteria {
        out["filterCriteria"] = c.clone();
    }
    Ok(with_error(out, &r))
}

fn cancel(app: &App, p: &Principal, input: &Value, kind: &str) -> Result<Value, ApiError> {
    check_members(input, &["reportId"])?;
    let id = report_id(input, true)?.unwrap_or_default();
    let r = lookup(app, p, &id, kind)?;
    if let Ok(mut c) = app.reports.cancelled.lock() {
        c.insert(id.clone());
    }
    let changed =
        app.store
            .report_store()
            .finish_report(&id, "CANCELLED", None, r.objects, now())?;
    if !changed {
        let status = app
            .store
            .report_store()
            .report(&p.account, &id)?
            .map(|r| r.status)
            .unwrap_or_default();
        if status != "CANCELLED" {
            // finished before the cancel: nothing to stop
            if let Ok(mut c) = app.reports.cancelled.lock() {
                c.remove(&id);
            }
            return Err(ApiError::validation(&format!(
                "report `{id}` is not in progress (it is {status}); only a report in progress can be cancelled"
            )));
        }
    }
    tracing::info!(report = %id, account = %p.account, "report cancelled");
    Ok(json!({"reportId": id}))
}

/// `POST /reporting/cancel`.
pub fn cancel_findings_report(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    cancel(app, p, input, FINDINGS)
}

/// `POST /sbomexport/cancel`.
pub fn cancel_sbom_export(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    cancel(app, p, input, SBOM)
}

// --- the worker ------------------------------------------------------------------------------

/// Starts writing every report in progress that is not being written yet, each on the
/// blocking pool.
pub fn run_pending(app: &Arc<App>) {
    let pending = match app.store.report_store().reports_in_progress() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("cannot list reports in progress: {e}");
            return;
        }
    };
    // a report cancelled before the worker took it up needs no flag
    if let Ok(running) = app.reports.running.lock()
        && let Ok(mut cancelled) = app.reports.cancelled.lock()
    {
        cancelled.retain(|id| running.contains(id));
    }
    for r in pending {
        let claimed = app
            .reports
            .running
            .lock()
            .map(|mut s| s.insert(r.id.clone()))
            .unwrap_or(false);
        if !claimed {
            continue;
        }
        let app = app.clone();
        tokio::task::spawn_blocking(move || {
            let id = r.id.clone();
            run(&app, r);
            if let Ok(mut s) = app.reports.running.lock() {
                s.remove(&id);
            }
        });
    }
}

/// What stopped a report.
enum Stop {
    Cancelled,
    Failed(ExportError),
}

impl From<ExportError> for Stop {
    fn from(e: ExportError) -> Stop {
        Stop::Failed(e)
    }
}

/// Writes one report and records how it ended.
pub fn run(app: &App, r: ReportRecord) {
    let span = tracing::info_span!("report", id = %r.id, kind = %r.kind, format = %r.format);
    let _g = span.enter();
    // cancelled between being listed and being taken up: nothing to do
    if let Ok(Some(current)) = app.store.report_store().report(&r.account, &r.id)
        && current.status != "IN_PROGRESS"
    {
        return;
    }
    let t = std::time::Instant::now();
    let bucket = r.destination["bucketName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut published: Vec<String> = Vec::new();
    let outcome = (|| -> Result<(), Stop> {
        app.reports.destination.check_bucket(&bucket)?;
        if r.kind == FINDINGS {
            findings_report(app, &r, &bucket, &mut published)
        } else {
            sbom_export(app, &r, &bucket, &mut published)
        }
    })();
    let store = app.store.report_store();
    let objects = published.len() as i64;
    let recorded = match &outcome {
        Ok(()) => store.finish_report(&r.id, "SUCCEEDED", None, objects, now()),
        Err(Stop::Cancelled) => Ok(false),
        Err(Stop::Failed(e)) => {
            store.finish_report(&r.id, "FAILED", Some((e.code, &e.message)), 0, now())
        }
    };
    let kept = matches!((&outcome, &recorded), (Ok(()), Ok(true)));
    if !kept {
        // failed, cancelled, or cancelled while finishing: nothing of it stays
        for key in &published {
            if let Err(e) = app.reports.destination.delete(&bucket, key) {
                tracing::warn!(key, "cannot remove an object of an unfinished report: {e}");
            }
        }
    }
    if let Ok(mut c) = app.reports.cancelled.lock() {
        c.remove(&r.id);
    }
    match (&outcome, recorded) {
        (Ok(()), Ok(true)) => {
            tracing::info!(
                objects,
                seconds = t.elapsed().as_secs_f64(),
                "report written"
            )
        }
        (Err(Stop::Failed(e)), _) => tracing::warn!("report failed: {e}"),
        (_, Err(e)) => tracing::error!("cannot record the report's state: {e}"),
        _ => tracing::info!("report cancelled; its objects were removed"),
    }
}

fn join_key(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_owned()
    } else {
        format!("{prefix}/{rest}")
    }
}

fn io_err(e: std::io::Error) -> Stop {
    Stop::Failed(ExportError::new(
        "INTERNAL_ERROR",
        format!("writing the report failed: {e}"),
    ))
}

/// Streams the findings report into one object.
fn findings_report(
    app: &App,
    r: &ReportRecord,
    bucket: &str,
    published: &mut Vec<String>,
) -> Result<(), Stop> {
    let prefix = r.destination["keyPrefix"].as_str().unwrap_or_default();
    let ext = if r.format == "CSV" { "csv" } else { "json" };
    let key = join_key(prefix, &format!("{}.{ext}", r.id));
    let criteria = parse_criteria(r.criteria.as_ref(), "filterCriteria")
        .map_err(|e| Stop::Failed(ExportError::new("INTERNAL_ERROR", e.message().to_owned())))?;
    let raw = r.criteria.as_ref();
    // a delegated administrator's report covers its associated members, as ListFindings does
    let mut members = app
        .store
        .org_store()
        .managed_accounts(&r.account)
        .map_err(|e| Stop::Failed(ExportError::new("INTERNAL_ERROR", e.to_string())))?;
    members.retain(|a| *a != r.account);
    let q = FindingQuery {
        account: r.account.clone(),
        member_accounts: members,
        region: Some(r.region.clone()),
        page: None,
        statuses: equals_values(raw, "findingStatus"),
        severities: equals_values(raw, "severity"),
        resource_ids: equals_values(raw, "resourceId"),
        arns: equals_values(raw, "findingArn"),
        vulnerability_ids: Vec::new(),
    };
    let mut sink: Box<dyn ObjectSink> = app.reports.destination.open(bucket, &key)?;
    let written = (|| -> Result<u64, Stop> {
        let csv = r.format == "CSV";
        if csv {
            write_csv_row(&mut sink, CSV_COLUMNS.iter().map(|c| c.to_string())).map_err(io_err)?;
        } else {
            sink.write_all(b"{\"findings\":[").map_err(io_err)?;
        }
        let today = now();
        let mut after: Option<String> = None;
        let mut n = 0u64;
        loop {
            if app.reports.is_cancelled(&r.id) {
                return Err(Stop::Cancelled);
            }
            let page = app
                .store
                .report_store()
                .findings_page(&q, after.as_deref(), PAGE)
                .map_err(|e| Stop::Failed(ExportError::new("INTERNAL_ERROR", e.to_string())))?;
            let Some(last) = page.last() else { break };
            after = last
                .get("findingArn")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let full = page.len() < PAGE;
            for mut f in page {
                if !criteria.as_ref().is_none_or(|c| c.matches(&f)) {
                    continue;
                }
                if csv {
                    write_csv_row(&mut sink, csv_row(&f, today)).map_err(io_err)?;
                } else {
                    if n > 0 {
                        sink.write_all(b",").map_err(io_err)?;
                    }
                    timestamps_to_epoch(&mut f);
                    serde_json::to_writer(&mut sink, &f)
                        .map_err(|e| io_err(std::io::Error::other(e)))?;
                }
                n += 1;
            }
            if full || after.is_none() {
                break;
            }
        }
        if !csv {
            sink.write_all(b"]}").map_err(io_err)?;
        }
        Ok(n)
    })();
    let n = match written {
        Ok(n) => n,
        Err(e) => {
            sink.abort();
            return Err(e);
        }
    };
    if n == 0 {
        sink.abort();
        return Err(Stop::Failed(ExportError::new(
            "NO_FINDINGS_FOUND",
            "no finding matches the report's filter criteria",
        )));
    }
    if app.reports.is_cancelled(&r.id) {
        sink.abort();
        return Err(Stop::Cancelled);
    }
    sink.commit()?;
    published.push(key);
    tracing::debug!(findings = n, "findings report published");
    Ok(())
}

/// Writes one document per matching resource.
fn sbom_export(
    app: &App,
    r: &ReportRecord,
    bucket: &str,
    published: &mut Vec<String>,
) -> Result<(), Stop> {
    let prefix = r.destination["keyPrefix"].as_str().unwrap_or_default();
    let filter = ResourceFilter::parse(r.criteria.as_ref())
        .map_err(|e| Stop::Failed(ExportError::new("INTERNAL_ERROR", e.message().to_owned())))?;
    // a delegated administrator's export covers its associated members' resources too
    let internal =
        |e: vigil_store::Error| Stop::Failed(ExportError::new("INTERNAL_ERROR", e.to_string()));
    let mut resources = Vec::new();
    for account in app
        .store
        .org_store()
        .managed_accounts(&r.account)
        .map_err(internal)?
    {
        let mine = app
            .store
            .resources(&account, Some(&r.region))
            .map_err(internal)?;
        resources.extend(mine.into_iter().filter(|x| filter.matches(&account, x)));
    }
    for res in &resources {
        if app.reports.is_cancelled(&r.id) {
            return Err(Stop::Cancelled);
        }
        let id = &res.resource.id;
        let Some((_, bytes)) = app
            .store
            .resource_inventory(&res.account, &r.region, id)
            .map_err(|e| Stop::Failed(ExportError::new("INTERNAL_ERROR", e.to_string())))?
        else {
            tracing::debug!(resource = %id, "no stored inventory; no SBOM");
            continue;
        };
        let inventory = crate::ops::stored_inventory(&bytes, id).map_err(|e| {
            Stop::Failed(ExportError::new(
                "INTERNAL_ERROR",
                format!("stored inventory of resource `{id}`: {e}"),
            ))
        })?;
        drop(bytes);
        let doc = if r.format == "SPDX_2_3" {
            vigil_sbom::to_spdx(&inventory)
        } else {
            vigil_sbom::to_cyclonedx(&inventory)
        }
        .map_err(|e| {
            Stop::Failed(ExportError::new(
                "INTERNAL_ERROR",
                format!("SBOM of resource `{id}`: {e}"),
            ))
        })?;
        let key = join_key(
            prefix,
            &format!(
                "SBOM_Export/{}/{}/{}/{}.json",
                r.id,
                res.account,
                crate::export::key_segment(&res.resource.kind),
                crate::export::key_segment(id)
            ),
        );
        let mut sink = app.reports.destination.open(bucket, &key)?;
        if let Err(e) = sink.write_all(doc.as_bytes()) {
            sink.abort();
            return Err(io_err(e));
        }
        sink.commit()?;
        published.push(key);
    }
    if published.is_empty() {
        return Err(Stop::Failed(ExportError::new(
            "NO_FINDINGS_FOUND",
            "no resource with a stored inventory matches the export's resource filter criteria",
        )));
    }
    Ok(())
}

// --- CSV -------------------------------------------------------------------------------------

/// One RFC 4180 record: every field quoted (quotes doubled), CRLF.
fn write_csv_row(w: &mut dyn Write, fields: impl Iterator<Item = String>) -> std::io::Result<()> {
    let mut line = String::new();
    for (i, f) in fields.enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push('"');
        line.push_str(&f.replace('"', "\"\""));
        line.push('"');
    }
    line.push_str("\r\n");
    w.write_all(line.as_bytes())
}

fn s(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().map(|x| s(Some(x))).collect::<Vec<_>>().join(", "),
        Some(other) => other.to_string(),
    }
}

/// A member of each vulnerable package, joined.
fn packages(f: &Value, member: &str) -> String {
    f.pointer("/packageVulnerabilityDetails/vulnerablePackages")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|p| s(p.get(member)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The CVSS score and vector of `source` (or of any other source) and major version.
fn cvss(f: &Value, nvd: bool, major: &str) -> (String, String) {
    let list = f
        .pointer("/packageVulnerabilityDetails/cvss")
        .and_then(Value::as_array);
    let hit = list.and_then(|l| {
        l.iter().find(|c| {
            let src = c["source"].as_str().unwrap_or_default();
            (src.eq_ignore_ascii_case("NVD") == nvd)
                && c["version"].as_str().is_some_and(|v| v.starts_with(major))
        })
    });
    match hit {
        Some(c) => (s(c.get("baseScore")), s(c.get("scoringVector"))),
        None => (String::new(), String::new()),
    }
}

/// A finding as Inspector's CSV columns ([`CSV_COLUMNS`]); timestamps as stored (RFC 3339).
fn csv_row(f: &Value, today: OffsetDateTime) -> impl Iterator<Item = String> {
    let res = f.pointer("/resources/0").cloned().unwrap_or(Value::Null);
    let details = res.get("details").cloned().unwrap_or(Value::Null);
    let ecr = details.get("awsEcrContainerImage");
    let ec2 = details.get("awsEc2Instance");
    let lambda = details.get("awsLambdaFunction");
    let tags = res
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", s(Some(v))))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let age = f
        .get("firstObservedAt")
        .and_then(Value::as_str)
        .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
        .map(|t| (today - t).whole_days().max(0).to_string())
        .unwrap_or_default();
    let net = f.get("networkReachabilityDetails");
    let port_range = net
        .and_then(|n| n.get("openPortRange"))
        .map(|r| format!("{}-{}", s(r.get("begin")), s(r.get("end"))))
        .unwrap_or_default();
    let paths = net
        .and_then(|n| n.pointer("/networkPath/steps"))
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|st| s(st.get("componentId")))
                .collect::<Vec<_>>()
                .join(" > ")
        })
        .unwrap_or_default();
    let (nvd3, nvd3v) = cvss(f, true, "3");
    let (nvd2, nvd2v) = cvss(f, true, "2");
    let (v3, v3v) = cvss(f, false, "3");
    let (v2, v2v) = cvss(f, false, "2");
    let pv = |k: &str| s(f.pointer(&format!("/packageVulnerabilityDetails/{k}")));
    let platform = s(ec2
        .and_then(|e| e.get("platform"))
        .or_else(|| ecr.and_then(|e| e.get("platform"))));
    let cols: Vec<String> = vec![
        s(f.get("awsAccountId")),
        s(f.get("severity")),
        s(f.get("fixAvailable")),
        s(f.get("type")),
        s(f.get("title")),
        s(f.get("description")),
        s(f.get("findingArn")),
        s(f.get("firstObservedAt")),
        s(f.get("lastObservedAt")),
        s(f.get("updatedAt")),
        s(res.get("id")),
        s(ecr.and_then(|e| e.get("imageTags"))),
        s(res.get("region")),
        platform,
        tags,
        packages(f, "name"),
        packages(f, "version"),
        packages(f, "fixedInVersion"),
        packages(f, "remediation"),
        packages(f, "filePath"),
        paths,
        age,
        s(f.pointer("/remediation/recommendation/text")),
        s(f.get("inspectorScore")),
        s(f.pointer("/inspectorScoreDetails/adjustedCvss/scoringVector")),
        s(f.get("status")),
        pv("vulnerabilityId"),
        pv("source"),
        pv("vendorSeverity"),
        pv("sourceUrl"),
        pv("vendorCreatedAt"),
        nvd3,
        nvd3v,
        nvd2,
        nvd2v,
        v3,
        v3v,
        v2,
        v2v,
        s(res.get("type")),
        s(ec2.and_then(|e| e.get("imageId"))),
        String::new(),
        s(ec2.and_then(|e| e.get("ipV4Addresses"))),
        s(ec2.and_then(|e| e.get("ipV6Addresses"))),
        s(ec2.and_then(|e| e.get("vpcId"))),
        port_range,
        s(f.pointer("/epss/score")),
        s(f.get("exploitAvailable")),
        s(f.pointer("/exploitabilityDetails/lastKnownExploitAt")),
        s(lambda.and_then(|l| l.get("layers"))),
        s(lambda.and_then(|l| l.get("packageType"))),
        s(lambda.and_then(|l| l.get("lastModifiedAt"))),
        pv("referenceUrls"),
        s(f.pointer("/codeVulnerabilityDetails/detectorName")),
        packages(f, "packageManager"),
    ];
    cols.into_iter()
}

// --- resource filter -------------------------------------------------------------------------

/// One `ResourceStringFilter` list: EQUALS values (any may match) and NOT_EQUALS values (none
/// may match).
#[derive(Default)]
struct StringList {
    equals: Vec<String>,
    not_equals: Vec<String>,
}

impl StringList {
    fn matches_any(&self, values: &[String]) -> bool {
        (self.equals.is_empty() || values.iter().any(|v| self.equals.contains(v)))
            && !values.iter().any(|v| self.not_equals.contains(v))
    }
}

/// A tag filter: the key, and the value when one is given.
type TagFilter = (String, Option<String>);

/// inspector2 `ResourceFilterCriteria`, checked.
#[derive(Default)]
struct ResourceFilter {
    strings: Vec<(&'static str, StringList)>,
    /// (member, [(key, value)]) for `ec2InstanceTags` and `lambdaFunctionTags`.
    maps: Vec<(&'static str, Vec<TagFilter>)>,
}

const STRING_MEMBERS: [&str; 6] = [
    "accountId",
    "resourceId",
    "resourceType",
    "ecrRepositoryName",
    "lambdaFunctionName",
    "ecrImageTags",
];
const MAP_MEMBERS: [&str; 2] = ["ec2InstanceTags", "lambdaFunctionTags"];

impl ResourceFilter {
    fn parse(v: Option<&Value>) -> Result<ResourceFilter, ApiError> {
        let mut out = ResourceFilter::default();
        let Some(v) = v else { return Ok(out) };
        let o = v
            .as_object()
            .ok_or_else(|| ApiError::field("resourceFilterCriteria", "must be a structure"))?;
        for (k, list) in o {
            let field = format!("resourceFilterCriteria.{k}");
            let items = list
                .as_array()
                .filter(|l| (1..=10).contains(&l.len()))
                .ok_or_else(|| ApiError::field(&field, "must be a list of 1 to 10 filters"))?;
            let text = |x: &Value, m: &str| -> Result<Option<String>, ApiError> {
                match x.get(m) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) if (1..=1024).contains(&s.len()) => Ok(Some(s.clone())),
                    Some(_) => Err(ApiError::field(
                        &format!("{field}.{m}"),
                        "must be a string of 1 to 1024 characters",
                    )),
                }
            };
            if let Some(name) = STRING_MEMBERS.iter().find(|m| **m == k) {
                let mut l = StringList::default();
                for f in items {
                    let value = text(f, "value")?
                        .ok_or_else(|| ApiError::field(&format!("{field}.value"), "is required"))?;
                    match f.get("comparison").and_then(Value::as_str) {
                        Some("EQUALS") => l.equals.push(value),
                        Some("NOT_EQUALS") => l.not_equals.push(value),
                        _ => {
                            return Err(ApiError::field(
                                &format!("{field}.comparison"),
                                "must be EQUALS or NOT_EQUALS",
                            ));
                        }
                    }
                }
                out.strings.push((name, l));
            } else if let Some(name) = MAP_MEMBERS.iter().find(|m| **m == k) {
                let mut l = Vec::new();
                for f in items {
                    if f.get("comparison").and_then(Value::as_str) != Some("EQUALS") {
                        return Err(ApiError::field(
                            &format!("{field}.comparison"),
                            "must be EQUALS",
                        ));
                    }
                    let key = text(f, "key")?
                        .ok_or_else(|| ApiError::field(&format!("{field}.key"), "is required"))?;
                    l.push((key, text(f, "value")?));
                }
                out.maps.push((name, l));
            } else {
                return Err(ApiError::field(
                    &field,
                    "is not a member of ResourceFilterCriteria",
                ));
            }
        }
        Ok(out)
    }

    fn matches(&self, account: &str, r: &vigil_store::StoredResource) -> bool {
        let res = &r.resource;
        let detail = |kind: &str, member: &str| -> Vec<String> {
            let v = res
                .details
                .as_ref()
                .and_then(|d| d.get(kind))
                .and_then(|d| d.get(member));
            match v {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let strings_ok = self.strings.iter().all(|(name, l)| {
            let values = match *name {
                "accountId" => vec![account.to_owned()],
                "resourceId" => vec![res.id.clone()],
                "resourceType" => vec![res.kind.clone()],
                "ecrRepositoryName" => detail("awsEcrContainerImage", "repositoryName"),
                "lambdaFunctionName" => detail("awsLambdaFunction", "functionName"),
                "ecrImageTags" => detail("awsEcrContainerImage", "imageTags"),
                _ => Vec::new(),
            };
            l.matches_any(&values)
        });
        let maps_ok = self.maps.iter().all(|(name, l)| {
            let wanted_type = if *name == "ec2InstanceTags" {
                "AWS_EC2_INSTANCE"
            } else {
                "AWS_LAMBDA_FUNCTION"
            };
            res.kind == wanted_type
                && l.iter().any(|(k, v)| {
                    res.tags
                        .get(k)
                        .is_some_and(|have| v.as_ref().is_none_or(|v| v == have))
                })
        });
        strings_ok && maps_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_ids_look_like_inspectors() {
        let id = new_report_id().expect("id");
        assert!(is_report_id(&id), "{id}");
        assert!(!is_report_id("../../etc"));
        assert!(!is_report_id("0000000-0000-0000-0000-000000000000"));
    }

    #[test]
    fn csv_rows_quote_everything() {
        let mut out = Vec::new();
        write_csv_row(
            &mut out,
            ["a", "b,\"c\"", "line\nbreak"]
                .iter()
                .map(|s| s.to_string()),
        )
        .expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "\"a\",\"b,\"\"c\"\"\",\"line\nbreak\"\r\n"
        );
    }

    #[test]
    fn csv_row_has_every_column() {
        let f = json!({"awsAccountId": "1", "severity": "HIGH", "findingArn": "arn:x",
            "firstObservedAt": "2026-01-01T00:00:00Z",
            "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-1", "source": "GHSA",
                "cvss": [{"source": "NVD", "version": "3.1", "baseScore": 9.8, "scoringVector": "CVSS:3.1/AV:N"}],
                "vulnerablePackages": [{"name": "a", "version": "1"}, {"name": "b", "version": "2"}]},
            "resources": [{"id": "i-1", "type": "AWS_EC2_INSTANCE", "region": "us-east-1", "tags": {"team": "x"}}]});
        let today = OffsetDateTime::parse(
            "2026-01-11T00:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .expect("t");
        let row: Vec<String> = csv_row(&f, today).collect();
        assert_eq!(row.len(), CSV_COLUMNS.len());
        let col = |name: &str| {
            let i = CSV_COLUMNS.iter().position(|c| *c == name).expect("column");
            row[i].clone()
        };
        assert_eq!(col("Affected Packages"), "a, b");
        assert_eq!(col("NVD CVSS3 Score"), "9.8");
        assert_eq!(col("Age (Days)"), "10");
        assert_eq!(col("Resource Tags"), "team=x");
        assert_eq!(col("Vulnerability Id"), "CVE-1");
    }

    #[test]
    fn resource_filters() {
        let r = vigil_store::StoredResource {
            account: "1".into(),
            resource: vigil_store::ResourceRecord {
                kind: "AWS_EC2_INSTANCE".into(),
                id: "i-1".into(),
                region: "us-east-1".into(),
                tags: [("team".to_owned(), "x".to_owned())].into(),
                details: None,
            },
            scanned_at: None,
            scan_status: None,
            heartbeat_at: None,
        };
        let f = |v: Value| ResourceFilter::parse(Some(&v)).expect("parse");
        assert!(
            f(json!({"resourceId": [{"comparison": "EQUALS", "value": "i-1"}]})).matches("1", &r)
        );
        assert!(
            !f(json!({"resourceId": [{"comparison": "NOT_EQUALS", "value": "i-1"}]}))
                .matches("1", &r)
        );
        assert!(
            f(json!({"ec2InstanceTags": [{"comparison": "EQUALS", "key": "team", "value": "x"}]}))
                .matches("1", &r)
        );
        assert!(
            !f(json!({"lambdaFunctionTags": [{"comparison": "EQUALS", "key": "team"}]}))
                .matches("1", &r)
        );
        assert!(ResourceFilter::parse(Some(&json!({"bogus": []}))).is_err());
        assert!(
            ResourceFilter::parse(Some(
                &json!({"resourceId": [{"comparison": "PREFIX", "value": "i"}]})
            ))
            .is_err()
        );
    }
}

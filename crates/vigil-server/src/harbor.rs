//! Harbor's pluggable scanner adapter API (<https://github.com/goharbor/pluggable-scanner-spec>,
//! `api/spec/scanner-adapter-openapi-v1.1.yaml` and `-v1.2.yaml`), so that Harbor can use Vigil
//! as an interrogation service:
//!
//! - `GET /api/v1/metadata`: the scanner and its capability (image manifests in,
//!   vulnerability reports out).
//! - `POST /api/v1/scan`: a `ScanRequest` (the registry's URL and the `Authorization` value to
//!   pull with, the artifact's repository and digest) is queued; the answer is `202 {"id"}`.
//!   At most [`MAX_RUNNING`] scans run at once, the others wait in the order they came.
//! - `GET /api/v1/scan/{id}/report`: `302` with `Refresh-After` while the scan is queued or
//!   running, then `200` with the report in the MIME type asked for (`Accept`), or `500` with
//!   the failure.
//!
//! A scan pulls the image by digest from `registry.url` with `registry.authorization` (sent as
//! is; a `Basic` value is exchanged for a token when the registry answers with a bearer
//! challenge, as Harbor's does) into the server's shared blob store, inventories it with the
//! per-layer cache and matches it against the advisory database, as registry scans do; nothing
//! is stored as findings (Harbor keeps the report). The registry must be HTTPS, or plain HTTP
//! on loopback. Reports live in memory: at most
//! [`MAX_REPORTS`] (and [`MAX_REPORT_BYTES`]), each for [`REPORT_TTL`] after its scan ended.
//!
//! Harbor authenticates with the bearer token the server was given (`--harbor-token-file`),
//! as `Authorization: Bearer <token>` (or Harbor's `X-ScannerAdapter-API-Key` header); without
//! a token configured the adapter is off and its routes answer 404. Errors answer the spec's
//! `ErrorResponse` (`{"error": {"message"}}`).
//!
//! Severities map to Harbor's scale as: `CRITICAL` Critical, `HIGH` High, `MEDIUM` Medium, `LOW`
//! Low, `INFORMATIONAL` Negligible (a finding that is technically a problem but does no real
//! damage, the spec's definition of Negligible), `UNTRIAGED` Unknown. The report's `severity`
//! is the highest of its vulnerabilities' (absent when there are none).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use vigil_matcher::finding::Finding;
use vigil_registry::{Client, ClientOptions};

use crate::{App, registry};

/// The largest scan request accepted.
pub const MAX_SCAN_REQUEST: usize = 64 << 10;
/// Scans kept (queued, running or finished); the oldest finished ones go first.
pub const MAX_REPORTS: usize = 1000;
/// Bytes of finished reports kept; the oldest go first.
pub const MAX_REPORT_BYTES: usize = 256 << 20;
/// How long a finished scan's report (or failure) stays available.
pub const REPORT_TTL: Duration = Duration::from_secs(3600);
/// Scans running at once.
pub const MAX_RUNNING: usize = 2;
/// The `Refresh-After` of a report that is not ready yet, in seconds.
pub const REFRESH_AFTER_SECS: u64 = 5;

/// The MIME types of the adapter API.
pub mod mime {
    pub use vigil_registry::media::{DOCKER_MANIFEST, OCI_MANIFEST};
    /// Harbor's vulnerability report, as Harbor 2.x asks for it.
    pub const VULN_REPORT: &str = "application/vnd.security.vulnerability.report; version=1.1";
    /// The same report under its original name.
    pub const HARBOR_VULN_REPORT: &str =
        "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
    pub const METADATA: &str = "application/vnd.scanner.adapter.metadata+json; version=1.0";
    pub const SCAN_RESPONSE: &str =
        "application/vnd.scanner.adapter.scan.response+json; version=1.0";
    pub const ERROR: &str = "application/vnd.scanner.adapter.error+json; version=1.0";
    /// The artifacts scanned.
    pub const CONSUMED: [&str; 2] = [OCI_MANIFEST, DOCKER_MANIFEST];
    /// The reports produced (the first is the default).
    pub const PRODUCED: [&str; 2] = [VULN_REPORT, HARBOR_VULN_REPORT];
}

/// An error answer: the spec's `ErrorResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarborError {
    pub status: StatusCode,
    pub message: String,
}

impl HarborError {
    fn new(status: StatusCode, message: impl Into<String>) -> HarborError {
        HarborError {
            status,
            message: message.into(),
        }
    }
    /// Invalid JSON, a missing member or one of the wrong type.
    fn bad(message: impl Into<String>) -> HarborError {
        HarborError::new(StatusCode::BAD_REQUEST, message)
    }
    /// A member whose value cannot be used.
    fn invalid(message: impl Into<String>) -> HarborError {
        HarborError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
}

impl IntoResponse for HarborError {
    fn into_response(self) -> Response {
        let mut r = respond(
            self.status,
            mime::ERROR,
            json!({"error": {"message": self.message}}).to_string(),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vigil-harbor-adapter\""),
            );
        }
        r
    }
}

fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A value from a request, shortened for an error message.
fn shown(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

// --- scan requests ------------------------------------------------------------------------------

/// A validated `ScanRequest`.
#[derive(Clone, PartialEq, Eq)]
pub struct ScanRequest {
    pub registry_url: String,
    /// The `Authorization` value to pull with (`Basic …`, `Bearer …`).
    pub authorization: Option<String>,
    pub repository: String,
    pub digest: String,
    pub tag: Option<String>,
    pub mime_type: Option<String>,
    /// Plain HTTP to a registry off loopback was allowed (`--harbor-allow-plain-http`).
    pub allow_plain_http: bool,
}

impl std::fmt::Debug for ScanRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanRequest")
            .field("registry_url", &self.registry_url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("repository", &self.repository)
            .field("digest", &self.digest)
            .field("tag", &self.tag)
            .field("mime_type", &self.mime_type)
            .finish()
    }
}

/// A member that is present and not null.
fn member<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn object<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Map<String, Value>, HarborError> {
    match member(obj, key) {
        None => Err(HarborError::bad(format!("{key}: is required"))),
        Some(v) => v
            .as_object()
            .ok_or_else(|| HarborError::bad(format!("{key}: must be an object"))),
    }
}

/// A string member; empty strings count as absent.
fn string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    required: bool,
) -> Result<Option<&'a str>, HarborError> {
    match member(obj, key) {
        None if required => Err(HarborError::bad(format!("{path}: is required"))),
        None => Ok(None),
        Some(v) => match v.as_str() {
            None => Err(HarborError::bad(format!("{path}: must be a string"))),
            Some("") if required => Err(HarborError::bad(format!("{path}: is required"))),
            Some("") => Ok(None),
            Some(s) => Ok(Some(s)),
        },
    }
}

fn required<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, HarborError> {
    string(obj, key, path, true)?.ok_or_else(|| HarborError::bad(format!("{path}: is required")))
}

/// Parses and validates a `ScanRequest` body: 400 for what is not a scan request (not JSON, a
/// required member missing, a member of the wrong type), 422 for values that cannot be used
/// (not a repository name or sha256 digest, a registry URL the client refuses, an artifact or
/// report type this scanner does not handle). Messages name the member.
pub fn parse_request(body: &[u8], allow_plain_http: bool) -> Result<ScanRequest, HarborError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| HarborError::bad(format!("request body is not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| HarborError::bad("request body must be a JSON object (a ScanRequest)"))?;
    let reg = object(obj, "registry")?;
    let art = object(obj, "artifact")?;
    let url = required(reg, "url", "registry.url")?;
    let authorization = string(reg, "authorization", "registry.authorization", false)?;
    let repository = required(art, "repository", "artifact.repository")?;
    let digest = required(art, "digest", "artifact.digest")?;
    let tag = string(art, "tag", "artifact.tag", false)?;
    let mime_type = string(art, "mime_type", "artifact.mime_type", false)?;
    if !vigil_registry::is_repository(repository) {
        return Err(HarborError::invalid(format!(
            "artifact.repository: `{}` is not a repository name",
            shown(repository)
        )));
    }
    if !vigil_registry::is_sha256_digest(digest) {
        return Err(HarborError::invalid(format!(
            "artifact.digest: `{}` is not a sha256 digest",
            shown(digest)
        )));
    }
    if let Some(t) = tag
        && !vigil_registry::is_tag(t)
    {
        return Err(HarborError::invalid(format!(
            "artifact.tag: `{}` is not a tag",
            shown(t)
        )));
    }
    if let Some(m) = mime_type
        && !mime::CONSUMED.contains(&m)
    {
        return Err(HarborError::invalid(format!(
            "artifact.mime_type: `{}` is not supported; this scanner consumes {}",
            shown(m),
            mime::CONSUMED.join(", ")
        )));
    }
    if let Some(a) = authorization
        && !a.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
    {
        return Err(HarborError::invalid(
            "registry.authorization: is not a valid HTTP header value",
        ));
    }
    check_capabilities(obj.get("enabled_capabilities"))?;
    // the URL must be one the registry client accepts (HTTPS, or plain HTTP on loopback or
    // when the operator allowed it)
    Client::new(url, &client_options(None, allow_plain_http))
        .map_err(|e| HarborError::invalid(format!("registry.url: {e}")))?;
    Ok(ScanRequest {
        registry_url: url.to_owned(),
        authorization: authorization.map(str::to_owned),
        repository: repository.to_owned(),
        digest: digest.to_owned(),
        tag: tag.map(str::to_owned),
        mime_type: mime_type.map(str::to_owned),
        allow_plain_http,
    })
}

/// Spec 1.2's `enabled_capabilities`: absent means every capability; present, each must be
/// this scanner's (`vulnerability`, producing its report types).
fn check_capabilities(v: Option<&Value>) -> Result<(), HarborError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let items = v
        .as_array()
        .ok_or_else(|| HarborError::bad("enabled_capabilities: must be an array"))?;
    for (i, c) in items.iter().enumerate() {
        let at = format!("enabled_capabilities[{i}]");
        let c = c
            .as_object()
            .ok_or_else(|| HarborError::bad(format!("{at}: must be an object")))?;
        let kind = required(c, "type", &format!("{at}.type"))?;
        if kind != "vulnerability" {
            return Err(HarborError::invalid(format!(
                "{at}.type: `{}` is not a capability of this scanner (it has `vulnerability`)",
                shown(kind)
            )));
        }
        if let Some(types) = c.get("produces_mime_types").filter(|v| !v.is_null()) {
            let types = types.as_array().ok_or_else(|| {
                HarborError::bad(format!("{at}.produces_mime_types: must be an array"))
            })?;
            for (j, t) in types.iter().enumerate() {
                let t = t.as_str().ok_or_else(|| {
                    HarborError::bad(format!("{at}.produces_mime_types[{j}]: must be a string"))
                })?;
                if report_type(Some(t)).is_err() {
                    return Err(HarborError::invalid(format!(
                        "{at}.produces_mime_types[{j}]: `{}` is not produced; this scanner produces {}",
                        shown(t),
                        mime::PRODUCED.join(", ")
                    )));
                }
            }
        }
    }
    Ok(())
}

fn client_options(authorization: Option<&str>, allow_plain_http: bool) -> ClientOptions {
    ClientOptions {
        authorization: authorization.map(str::to_owned),
        allow_insecure_http: allow_plain_http,
        timeout: Some(Duration::from_secs(120)),
        ..ClientOptions::default()
    }
}

/// A media type with its parameters, comparable: lowercase, no spaces, no quotes, no `q`.
fn normalize_media_type(t: &str) -> String {
    let mut parts = t.split(';');
    let mut out = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    for p in parts {
        let p: String = p
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"')
            .collect::<String>()
            .to_ascii_lowercase();
        if p.is_empty() || p.starts_with("q=") {
            continue;
        }
        out.push(';');
        out.push_str(&p);
    }
    out
}

/// The report type an `Accept` header asks for: the first of its entries this scanner produces
/// (`*/*`, `application/*` or no header: the default, [`mime::VULN_REPORT`]).
pub fn report_type(accept: Option<&str>) -> Result<&'static str, String> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(mime::PRODUCED[0]);
    };
    for item in accept.split(',') {
        let want = normalize_media_type(item);
        if want == "*/*" || want == "application/*" {
            return Ok(mime::PRODUCED[0]);
        }
        if let Some(t) = mime::PRODUCED
            .iter()
            .find(|t| normalize_media_type(t) == want)
        {
            return Ok(t);
        }
    }
    Err(format!(
        "Accept: `{}` is not a report type this scanner produces ({})",
        shown(accept),
        mime::PRODUCED.join(", ")
    ))
}

// --- the adapter's state ------------------------------------------------------------------------

enum State {
    Queued,
    Running,
    Done(Bytes),
    Failed(String),
}

struct Scan {
    state: State,
    finished: Option<Instant>,
}

#[derive(Default)]
struct Scans {
    by_id: HashMap<String, Scan>,
    /// Ids, oldest first.
    order: VecDeque<String>,
    /// Bytes of the finished reports held.
    bytes: usize,
}

impl Scans {
    fn remove(&mut self, id: &str) {
        if let Some(s) = self.by_id.remove(id)
            && let State::Done(b) = &s.state
        {
            self.bytes -= b.len();
        }
        self.order.retain(|i| i != id);
    }

    /// Drops finished scans past their time to live.
    fn expire(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .by_id
            .iter()
            .filter(|(_, s)| {
                s.finished
                    .is_some_and(|f| now.duration_since(f) > REPORT_TTL)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.remove(&id);
        }
    }

    /// Drops the oldest finished scan; false when every scan is still queued or running.
    fn evict_oldest_finished(&mut self) -> bool {
        let oldest = self
            .order
            .iter()
            .find(|id| self.by_id.get(*id).is_some_and(|s| s.finished.is_some()))
            .cloned();
        match oldest {
            Some(id) => {
                self.remove(&id);
                true
            }
            None => false,
        }
    }
}

/// A queued scan.
struct Job {
    id: String,
    request: ScanRequest,
}

/// The adapter: its token, the scans and the queue the workers take them from.
pub struct Adapter {
    token_digest: [u8; 32],
    /// Plain HTTP to registries off loopback (Harbor's internal `http://harbor-core:8080`).
    pub allow_plain_http: bool,
    scans: Mutex<Scans>,
    queue: Mutex<VecDeque<Job>>,
    queued: Condvar,
}

/// What the report route answers for a scan.
#[derive(Debug, PartialEq, Eq)]
pub enum ReportState {
    Pending,
    Done(Bytes),
    Failed(String),
}

impl Adapter {
    /// An adapter Harbor authenticates to with `token`.
    pub fn new(token: &str) -> Adapter {
        Adapter {
            token_digest: Sha256::digest(token.trim().as_bytes()).into(),
            allow_plain_http: false,
            scans: Mutex::new(Scans::default()),
            queue: Mutex::new(VecDeque::new()),
            queued: Condvar::new(),
        }
    }

    /// Whether the request carries the token: `Authorization: Bearer <token>` (Harbor's
    /// "Bearer" scanner authentication) or `X-ScannerAdapter-API-Key: <token>` (its "APIKey").
    /// Compared in constant time.
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, t)| t.trim());
        let api_key = headers
            .get("x-scanneradapter-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        bearer.or(api_key).is_some_and(|t| {
            let d = Sha256::digest(t.as_bytes());
            d.iter()
                .zip(self.token_digest.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
    }

    /// Queues a scan; answers its id. 503 when [`MAX_REPORTS`] scans are all still pending.
    pub fn submit(&self, request: ScanRequest) -> Result<String, HarborError> {
        let id = vigil_store::keys::random_hex(16).map_err(|e| {
            HarborError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot make a scan id: {e}"),
            )
        })?;
        {
            let mut scans = self.lock_scans()?;
            scans.expire(Instant::now());
            while scans.by_id.len() >= MAX_REPORTS {
                if !scans.evict_oldest_finished() {
                    return Err(HarborError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("{MAX_REPORTS} scans are queued or running; try again later"),
                    ));
                }
            }
            scans.by_id.insert(
                id.clone(),
                Scan {
                    state: State::Queued,
                    finished: None,
                },
            );
            scans.order.push_back(id.clone());
        }
        self.queue
            .lock()
            .map_err(|_| {
                HarborError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "scan queue lock poisoned",
                )
            })?
            .push_back(Job {
                id: id.clone(),
                request,
            });
        self.queued.notify_one();
        Ok(id)
    }

    fn lock_scans(&self) -> Result<std::sync::MutexGuard<'_, Scans>, HarborError> {
        self.scans.lock().map_err(|_| {
            HarborError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "scan table lock poisoned",
            )
        })
    }

    /// The state of scan `id`; `None` when unknown or expired.
    pub fn report(&self, id: &str) -> Result<Option<ReportState>, HarborError> {
        let mut scans = self.lock_scans()?;
        scans.expire(Instant::now());
        Ok(scans.by_id.get(id).map(|s| match &s.state {
            State::Queued | State::Running => ReportState::Pending,
            State::Done(b) => ReportState::Done(b.clone()),
            State::Failed(m) => ReportState::Failed(m.clone()),
        }))
    }

    /// The next queued scan, waiting for one; marks it running.
    fn next_job(&self) -> Option<Job> {
        let mut q = self.queue.lock().ok()?;
        loop {
            if let Some(job) = q.pop_front() {
                drop(q);
                if let Ok(mut scans) = self.scans.lock()
                    && let Some(s) = scans.by_id.get_mut(&job.id)
                {
                    s.state = State::Running;
                }
                return Some(job);
            }
            q = self.queued.wait(q).ok()?;
        }
    }

    /// Records a scan's outcome.
    fn finish(&self, id: &str, outcome: Result<Vec<u8>, String>) {
        let Ok(mut scans) = self.scans.lock() else {
            return;
        };
        let now = Instant::now();
        let state = match outcome {
            Ok(report) => {
                scans.bytes += report.len();
                State::Done(Bytes::from(report))
            }
            Err(m) => State::Failed(m),
        };
        match scans.by_id.get_mut(id) {
            Some(s) => {
                s.state = state;
                s.finished = Some(now);
            }
            None => {
                if let State::Done(b) = &state {
                    scans.bytes -= b.len();
                }
                return;
            }
        }
        while scans.bytes > MAX_REPORT_BYTES && scans.evict_oldest_finished() {}
    }
}

/// Starts the [`MAX_RUNNING`] scan workers (when the adapter is on).
pub fn start_workers(app: &Arc<App>) -> std::io::Result<()> {
    if app.harbor.is_none() {
        return Ok(());
    }
    for i in 0..MAX_RUNNING {
        let app = app.clone();
        std::thread::Builder::new()
            .name(format!("harbor-scan-{i}"))
            .spawn(move || worker(&app))?;
    }
    Ok(())
}

fn worker(app: &App) {
    let Some(adapter) = &app.harbor else {
        return;
    };
    while let Some(job) = adapter.next_job() {
        let started = Instant::now();
        let r = &job.request;
        let _span = tracing::info_span!("harbor_scan", id = %job.id, repository = %r.repository, digest = %r.digest).entered();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_scan(app, r)))
            .unwrap_or_else(|_| {
                Err("the scan failed unexpectedly (a bug: see the server log)".into())
            });
        match &outcome {
            Ok(b) => tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                bytes = b.len(),
                "harbor scan done"
            ),
            Err(e) => tracing::warn!("harbor scan failed: {e}"),
        }
        adapter.finish(&job.id, outcome);
    }
}

/// Pulls, inventories and matches the artifact; answers the report's JSON.
fn run_scan(app: &App, r: &ScanRequest) -> Result<Vec<u8>, String> {
    let what = format!("{}@{}", r.repository, r.digest);
    let mut client = Client::new(
        &r.registry_url,
        &client_options(r.authorization.as_deref(), r.allow_plain_http),
    )
    .map_err(|e| format!("registry `{}`: {e}", r.registry_url))?;
    let pulled = registry::pull_image(app, &mut client, &r.repository, &r.digest)
        .map_err(|f| format!("pulling {what} from {}: {}", client.base(), f.message))?;
    let tags = r
        .tag
        .iter()
        .map(|t| format!("{}:{t}", r.repository))
        .collect();
    let name = format!("{}/{}@{}", host_of(client.base()), r.repository, r.digest);
    let inventory = registry::inventory_image(app, &pulled.digest, &name, tags)
        .map_err(|f| format!("inventorying {what}: {}", f.message))?;
    registry::trim_blobs(app);
    let now = OffsetDateTime::now_utc();
    let opts = vigil_matcher::MatchOptions {
        observed_at: vigil_store::timestamp(now),
        ..vigil_matcher::MatchOptions::default()
    };
    let (matched, cwes) = app
        .with_db(|db| {
            let report = vigil_matcher::match_inventory_with(&inventory, db, &opts, None)
                .map_err(|e| crate::ApiError::internal(&format!("matching failed: {e}")))?;
            let cwes = record_cwes(&report.findings, db);
            Ok((report, cwes))
        })
        .map_err(|e| format!("matching {what}: {}", e.message()))?;
    let diff_ids: HashMap<String, String> = inventory
        .packages
        .iter()
        .flat_map(|p| &p.locations)
        .filter_map(|l| l.layer.as_ref())
        .filter_map(|l| Some((l.digest.clone(), l.diff_id.clone()?)))
        .collect();
    let artifact = json!({
        "repository": r.repository,
        "digest": r.digest,
        "tag": r.tag,
        "mime_type": r.mime_type.clone().unwrap_or(pulled.media_type),
    });
    let report = build_report(
        artifact,
        &matched.findings,
        &diff_ids,
        &cwes,
        &vigil_store::timestamp(now),
    );
    serde_json::to_vec(&report).map_err(|e| format!("encoding the report of {what}: {e}"))
}

fn host_of(base: &str) -> &str {
    base.split_once("://").map_or(base, |(_, h)| h)
}

/// The CWE ids of the records behind the findings (`database_specific.cwe_ids`, as GitHub's
/// advisories carry them), by record id.
fn record_cwes(findings: &[Finding], db: &vigil_osv::Database) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for f in findings {
        for p in &f.vigil.provenance {
            if out.contains_key(&p.record) {
                continue;
            }
            let mut cwes = BTreeSet::new();
            for stored in db.advisories_by_id(&p.record).unwrap_or_default() {
                cwes.extend(cwe_ids(stored.advisory.database_specific.as_ref()));
            }
            out.insert(p.record.clone(), cwes.into_iter().collect());
        }
    }
    out
}

/// `database_specific.cwe_ids` entries that are CWE ids.
fn cwe_ids(database_specific: Option<&Value>) -> Vec<String> {
    database_specific
        .and_then(|d| d.get("cwe_ids"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|s| {
            s.strip_prefix("CWE-")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_owned)
        .collect()
}

// --- reports ------------------------------------------------------------------------------------

/// Harbor's severity for a Vigil (inspector2) severity.
pub fn harbor_severity(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" => "Critical",
        "HIGH" => "High",
        "MEDIUM" => "Medium",
        "LOW" => "Low",
        "INFORMATIONAL" => "Negligible",
        _ => "Unknown",
    }
}

/// Order of Harbor's severities (higher is worse).
fn harbor_rank(severity: &str) -> u8 {
    match severity {
        "Critical" => 5,
        "High" => 4,
        "Medium" => 3,
        "Low" => 2,
        "Negligible" => 1,
        _ => 0,
    }
}

/// The installed version as the package manager writes it (RPM's epoch and release joined
/// back).
fn full_version(p: &vigil_matcher::finding::VulnerablePackage) -> String {
    let mut v = String::new();
    if let Some(e) = p.epoch.filter(|e| *e != 0) {
        v.push_str(&format!("{e}:"));
    }
    v.push_str(&p.version);
    if let Some(r) = &p.release {
        v.push('-');
        v.push_str(r);
    }
    v
}

/// A `CVSSDetails` from the finding's scores: the v3 one (the matcher's preferred score when
/// it is v3) and a v2 one.
fn preferred_cvss(f: &Finding) -> Option<Value> {
    let scores = &f.package_vulnerability_details.cvss;
    let best = f.inspector_score_details.as_ref().map(|d| &d.adjusted_cvss);
    let v3 = best
        .filter(|b| b.version.starts_with('3'))
        .map(|b| (b.score, b.scoring_vector.clone()))
        .or_else(|| {
            scores
                .iter()
                .filter(|s| s.version.starts_with('3'))
                .max_by(|a, b| a.version.cmp(&b.version))
                .map(|s| (s.base_score, s.scoring_vector.clone()))
        });
    let v2 = scores
        .iter()
        .find(|s| s.version.starts_with('2'))
        .map(|s| (s.base_score, s.scoring_vector.clone()));
    if v3.is_none() && v2.is_none() {
        return None;
    }
    let mut d = Map::new();
    if let Some((score, vector)) = v3 {
        d.insert("score_v3".into(), json!(score));
        d.insert("vector_v3".into(), json!(vector));
    }
    if let Some((score, vector)) = v2 {
        d.insert("score_v2".into(), json!(score));
        d.insert("vector_v2".into(), json!(vector));
    }
    Some(Value::Object(d))
}

/// `vendor_attributes`: every CVSS score by source in the shape Harbor's UI reads
/// (`CVSS.<source>.V3Score`, `V3Vector`, `V2…`, `V40…`), and Vigil's own details.
fn vendor_attributes(f: &Finding) -> Value {
    let mut cvss = Map::new();
    for s in &f.package_vulnerability_details.cvss {
        let prefix = match s.version.as_str() {
            v if v.starts_with('2') => "V2",
            v if v.starts_with('3') => "V3",
            v if v.starts_with('4') => "V40",
            _ => continue,
        };
        let entry = cvss.entry(s.source.clone()).or_insert_with(|| json!({}));
        if entry.get(format!("{prefix}Score")).is_none() {
            entry[format!("{prefix}Score")] = json!(s.base_score);
            entry[format!("{prefix}Vector")] = json!(s.scoring_vector);
        }
    }
    let p = f.package_vulnerability_details.vulnerable_packages.first();
    let mut vigil = json!({
        "severity": f.severity,
        "ecosystem": f.vigil.ecosystem,
        "aliases": f.vigil.aliases,
        "fix_available": f.fix_available,
        "exploit_available": f.exploit_available,
        "source": f.package_vulnerability_details.source,
    });
    if !f.vigil.purl.is_empty() {
        vigil["purl"] = json!(f.vigil.purl);
    }
    if let Some(path) = p.and_then(|p| p.file_path.as_ref()) {
        vigil["file_path"] = json!(path);
    }
    if let Some(r) = p.and_then(|p| p.remediation.as_ref()) {
        vigil["remediation"] = json!(r);
    }
    if let Some(e) = &f.epss {
        vigil["epss"] = json!({"score": e.score, "percentile": f.vigil.epss_percentile});
    }
    if let Some(k) = &f.vigil.kev {
        vigil["kev"] = json!(k);
    }
    if !f.vigil.context.is_empty() {
        vigil["context"] = json!(f.vigil.context);
    }
    let mut out = json!({"vigil": vigil});
    if !cvss.is_empty() {
        out["CVSS"] = Value::Object(cvss);
    }
    out
}

/// Harbor's vulnerability report (`HarborVulnerabilityReport`) for the findings: one item per
/// vulnerability, package and version (a package found at several paths is listed once, at
/// its first), most severe first.
pub fn build_report(
    artifact: Value,
    findings: &[Finding],
    diff_ids: &HashMap<String, String>,
    cwes: &HashMap<String, Vec<String>>,
    generated_at: &str,
) -> Value {
    let mut seen = BTreeSet::new();
    let mut items: Vec<(u8, Value)> = Vec::new();
    for f in findings {
        let d = &f.package_vulnerability_details;
        let Some(p) = d.vulnerable_packages.first() else {
            continue;
        };
        let version = full_version(p);
        if !seen.insert((d.vulnerability_id.clone(), p.name.clone(), version.clone())) {
            continue;
        }
        let severity = harbor_severity(&f.severity);
        let mut links: Vec<String> = Vec::new();
        for l in d.source_url.iter().chain(&d.reference_urls) {
            if !links.contains(l) {
                links.push(l.clone());
            }
        }
        let mut item = json!({
            "id": d.vulnerability_id,
            "package": p.name,
            "version": version,
            "severity": severity,
            "description": f.description,
            "links": links,
            "vendor_attributes": vendor_attributes(f),
        });
        if let Some(fix) = p
            .fixed_in_version
            .as_ref()
            .filter(|v| !v.is_empty() && *v != "NotAvailable")
        {
            item["fix_version"] = json!(fix);
        }
        if let Some(c) = preferred_cvss(f) {
            item["preferred_cvss"] = c;
        }
        let cwe: BTreeSet<&String> = f
            .vigil
            .provenance
            .iter()
            .filter(|pr| pr.verdict == "affected")
            .filter_map(|pr| cwes.get(&pr.record))
            .flatten()
            .collect();
        if !cwe.is_empty() {
            item["cwe_ids"] = json!(cwe);
        }
        if let Some(layer) = &p.source_layer_hash {
            let mut l = json!({"digest": layer});
            if let Some(diff) = diff_ids.get(layer) {
                l["diff_id"] = json!(diff);
            }
            item["layer"] = l;
        }
        items.push((harbor_rank(severity), item));
    }
    items.sort_by(|(ra, a), (rb, b)| {
        rb.cmp(ra)
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
            .then_with(|| a["package"].as_str().cmp(&b["package"].as_str()))
            .then_with(|| a["version"].as_str().cmp(&b["version"].as_str()))
    });
    let mut report = json!({
        "generated_at": generated_at,
        "artifact": artifact,
        "scanner": scanner(),
    });
    if let Some((_, top)) = items.first() {
        report["severity"] = top["severity"].clone();
    }
    report["vulnerabilities"] = Value::Array(items.into_iter().map(|(_, v)| v).collect());
    report
}

fn scanner() -> Value {
    json!({"name": "Vigil", "vendor": "Vigil", "version": env!("CARGO_PKG_VERSION")})
}

/// `GET /api/v1/metadata`.
pub fn metadata(app: &App) -> Value {
    let mut properties = json!({
        "harbor.scanner-adapter/scanner-type": "os-package-vulnerability",
    });
    // the advisory database file's modification time: when `vigil db update` (or the
    // feed-update job) last wrote it
    if let Ok(t) = std::fs::metadata(&app.advisory_db).and_then(|m| m.modified()) {
        properties["harbor.scanner-adapter/vulnerability-database-updated-at"] =
            json!(vigil_store::timestamp(OffsetDateTime::from(t)));
    }
    json!({
        "scanner": scanner(),
        "capabilities": [{
            "type": "vulnerability",
            "consumes_mime_types": mime::CONSUMED,
            "produces_mime_types": mime::PRODUCED,
        }],
        "properties": properties,
    })
}

// --- routing ------------------------------------------------------------------------------------

/// `GET /api/v1/scan/{id}/report` for an adapter.
pub fn report_response(adapter: &Adapter, id: &str, accept: Option<&str>) -> Response {
    let content_type = match report_type(accept) {
        Ok(t) => t,
        Err(m) => return HarborError::bad(m).into_response(),
    };
    let unknown = || {
        HarborError::new(
            StatusCode::NOT_FOUND,
            format!(
                "scan `{}` not found (unknown, or its report expired)",
                shown(id)
            ),
        )
        .into_response()
    };
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return unknown();
    }
    match adapter.report(id) {
        Err(e) => e.into_response(),
        Ok(None) => unknown(),
        Ok(Some(ReportState::Pending)) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FOUND;
            r.headers_mut()
                .insert("refresh-after", HeaderValue::from(REFRESH_AFTER_SECS));
            r
        }
        Ok(Some(ReportState::Done(b))) => respond(StatusCode::OK, content_type, b),
        Ok(Some(ReportState::Failed(m))) => {
            HarborError::new(StatusCode::INTERNAL_SERVER_ERROR, m).into_response()
        }
    }
}

/// Serves a request under `/api/v1/`.
pub async fn serve(app: Arc<App>, req: axum::extract::Request) -> Response {
    let Some(adapter) = &app.harbor else {
        return HarborError::new(
            StatusCode::NOT_FOUND,
            "the Harbor scanner adapter is not enabled on this server (vigil server --harbor-token-file)",
        )
        .into_response();
    };
    let (parts, body) = req.into_parts();
    if !adapter.authorized(&parts.headers) {
        return HarborError::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong `Authorization: Bearer <token>` (the token the server was given with --harbor-token-file)",
        )
        .into_response();
    }
    let path = parts.uri.path().trim_end_matches('/');
    let method = &parts.method;
    let not_allowed = |allow: &'static str| {
        let mut r = HarborError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} {path}: use {allow}"),
        )
        .into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        r
    };
    if path == "/api/v1/metadata" {
        if method != Method::GET {
            return not_allowed("GET");
        }
        let app2 = app.clone();
        return match tokio::task::spawn_blocking(move || metadata(&app2)).await {
            Ok(v) => respond(StatusCode::OK, mime::METADATA, v.to_string()),
            Err(_) => HarborError::new(StatusCode::INTERNAL_SERVER_ERROR, "metadata failed")
                .into_response(),
        };
    }
    if path == "/api/v1/scan" {
        if method != Method::POST {
            return not_allowed("POST");
        }
        let bytes = match axum::body::to_bytes(body, MAX_SCAN_REQUEST).await {
            Ok(b) => b,
            Err(_) => {
                return HarborError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("scan request exceeds {MAX_SCAN_REQUEST} bytes"),
                )
                .into_response();
            }
        };
        let app2 = app.clone();
        let accepted = tokio::task::spawn_blocking(move || -> Result<String, HarborError> {
            let adapter = app2.harbor.as_ref().ok_or_else(|| {
                HarborError::new(StatusCode::NOT_FOUND, "the Harbor scanner adapter is off")
            })?;
            let request = parse_request(&bytes, adapter.allow_plain_http)?;
            let what = format!("{}@{}", request.repository, request.digest);
            let id = adapter.submit(request)?;
            tracing::info!(id = %id, artifact = %what, "harbor scan queued");
            Ok(id)
        })
        .await;
        return match accepted {
            Ok(Ok(id)) => respond(
                StatusCode::ACCEPTED,
                mime::SCAN_RESPONSE,
                json!({"id": id}).to_string(),
            ),
            Ok(Err(e)) => e.into_response(),
            Err(_) => HarborError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "accepting the scan request failed",
            )
            .into_response(),
        };
    }
    if let Some(id) = path
        .strip_prefix("/api/v1/scan/")
        .and_then(|r| r.strip_suffix("/report"))
        .filter(|id| !id.contains('/'))
    {
        if method != Method::GET {
            return not_allowed("GET");
        }
        let accept = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        return report_response(adapter, id, accept);
    }
    HarborError::new(
        StatusCode::NOT_FOUND,
        format!(
            "{method} {}: not an operation of the scanner adapter API",
            shown(path)
        ),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> String {
        format!("sha256:{}", "a".repeat(64))
    }

    fn request(v: Value) -> Result<ScanRequest, HarborError> {
        parse_request(v.to_string().as_bytes(), false)
    }

    /// Harbor's internal plain-HTTP registry URL needs the operator's opt-in.
    #[test]
    fn plain_http_off_loopback_only_when_allowed() {
        let mut v = good();
        v["registry"]["url"] = json!("http://harbor-core:8080");
        let body = v.to_string();
        let e = parse_request(body.as_bytes(), false).expect_err("refused");
        assert!(format!("{e:?}").contains("registry.url"), "{e:?}");
        let r = parse_request(body.as_bytes(), true).expect("allowed");
        assert!(r.allow_plain_http);
    }

    fn good() -> Value {
        json!({
            "registry": {"url": "http://127.0.0.1:5000", "authorization": "Basic cm9ib3Q6cw=="},
            "artifact": {"repository": "library/app", "digest": digest(), "tag": "1.0",
                         "mime_type": "application/vnd.docker.distribution.manifest.v2+json"},
        })
    }

    #[test]
    fn severities_map_to_harbors_scale() {
        for (vigil, harbor) in [
            ("CRITICAL", "Critical"),
            ("HIGH", "High"),
            ("MEDIUM", "Medium"),
            ("LOW", "Low"),
            ("INFORMATIONAL", "Negligible"),
            ("UNTRIAGED", "Unknown"),
            ("something new", "Unknown"),
        ] {
            assert_eq!(harbor_severity(vigil), harbor, "{vigil}");
        }
        let order: Vec<u8> = ["Unknown", "Negligible", "Low", "Medium", "High", "Critical"]
            .iter()
            .map(|s| harbor_rank(s))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    }

    #[test]
    fn valid_requests_parse() {
        let r = request(good()).expect("valid");
        assert_eq!(r.repository, "library/app");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        assert_eq!(r.authorization.as_deref(), Some("Basic cm9ib3Q6cw=="));
        // the authorization never shows in logs
        assert!(!format!("{r:?}").contains("cm9ib3Q6cw"));
        // optional members may be absent, null or empty
        let mut v = good();
        v["artifact"]["tag"] = json!("");
        v["artifact"]["mime_type"] = Value::Null;
        v["registry"]
            .as_object_mut()
            .map(|o| o.remove("authorization"));
        v["enabled_capabilities"] =
            json!([{"type": "vulnerability", "produces_mime_types": [mime::VULN_REPORT]}]);
        let r = request(v).expect("valid");
        assert_eq!((r.tag, r.mime_type, r.authorization), (None, None, None));
    }

    #[test]
    fn bad_requests_name_the_member() {
        let bad = StatusCode::BAD_REQUEST;
        let invalid = StatusCode::UNPROCESSABLE_ENTITY;
        let with = |path: &[&str], value: Value| {
            let mut v = good();
            let (last, parents) = path.split_last().expect("path");
            let mut at = &mut v;
            for p in parents {
                at = &mut at[*p];
            }
            match value {
                Value::Null => {
                    at.as_object_mut().map(|o| o.remove(*last));
                }
                value => at[*last] = value,
            }
            v
        };
        for (v, status, want) in [
            (json!([]), bad, "must be a JSON object"),
            (
                with(&["registry"], Value::Null),
                bad,
                "registry: is required",
            ),
            (
                with(&["artifact"], json!("x")),
                bad,
                "artifact: must be an object",
            ),
            (
                with(&["registry", "url"], Value::Null),
                bad,
                "registry.url: is required",
            ),
            (
                with(&["artifact", "digest"], Value::Null),
                bad,
                "artifact.digest: is required",
            ),
            (
                with(&["artifact", "digest"], json!(7)),
                bad,
                "artifact.digest: must be a string",
            ),
            (
                with(&["artifact", "repository"], json!("")),
                bad,
                "artifact.repository: is required",
            ),
            (
                with(&["artifact", "repository"], json!("../x")),
                invalid,
                "artifact.repository: `../x` is not a repository name",
            ),
            (
                with(&["artifact", "digest"], json!("sha256:12")),
                invalid,
                "artifact.digest: `sha256:12` is not a sha256 digest",
            ),
            (
                with(&["artifact", "tag"], json!("-x")),
                invalid,
                "artifact.tag",
            ),
            (
                with(
                    &["artifact", "mime_type"],
                    json!("application/vnd.oci.image.index.v1+json"),
                ),
                invalid,
                "artifact.mime_type: `application/vnd.oci.image.index.v1+json` is not supported",
            ),
            (
                with(&["registry", "url"], json!("http://registry.example.com")),
                invalid,
                "registry.url: ",
            ),
            (
                with(&["registry", "url"], json!("https://h/path")),
                invalid,
                "registry.url: ",
            ),
            (
                with(&["registry", "authorization"], json!("Basic a\r\nX: y")),
                invalid,
                "registry.authorization",
            ),
            (
                with(&["enabled_capabilities"], json!([{"type": "sbom"}])),
                invalid,
                "enabled_capabilities[0].type: `sbom`",
            ),
            (
                with(
                    &["enabled_capabilities"],
                    json!([{"type": "vulnerability", "produces_mime_types": ["text/plain"]}]),
                ),
                invalid,
                "enabled_capabilities[0].produces_mime_types[0]",
            ),
        ] {
            let e = request(v.clone()).expect_err(&v.to_string());
            assert_eq!(e.status, status, "{v}: {e:?}");
            assert!(e.message.contains(want), "{v}: {}", e.message);
        }
        let e = parse_request(b"{", false).expect_err("not json");
        assert_eq!(e.status, bad);
        assert!(e.message.contains("not JSON"), "{}", e.message);
    }

    #[test]
    fn accept_headers_choose_the_report_type() {
        assert_eq!(report_type(None), Ok(mime::VULN_REPORT));
        assert_eq!(report_type(Some("*/*")), Ok(mime::VULN_REPORT));
        assert_eq!(
            report_type(Some(
                "application/vnd.security.vulnerability.report; version=1.1"
            )),
            Ok(mime::VULN_REPORT)
        );
        assert_eq!(
            report_type(Some(
                "text/html, application/vnd.scanner.adapter.vuln.report.harbor+json;version=\"1.0\";q=0.9"
            )),
            Ok(mime::HARBOR_VULN_REPORT)
        );
        assert!(
            report_type(Some(
                "application/vnd.security.vulnerability.report; version=1.0"
            ))
            .is_err()
        );
        assert!(
            report_type(Some(
                "application/vnd.security.sbom.report+json; version=1.0"
            ))
            .is_err()
        );
    }

    #[test]
    fn tokens() {
        let a = Adapter::new("s3cret\n");
        let h = |k: &'static str, v: &str| {
            let mut m = HeaderMap::new();
            m.insert(k, HeaderValue::from_str(v).expect("header"));
            m
        };
        assert!(a.authorized(&h("authorization", "Bearer s3cret")));
        assert!(a.authorized(&h("authorization", "bearer  s3cret ")));
        assert!(a.authorized(&h("x-scanneradapter-api-key", "s3cret")));
        assert!(!a.authorized(&h("authorization", "Bearer s3cre")));
        assert!(!a.authorized(&h("authorization", "Basic s3cret")));
        assert!(!a.authorized(&HeaderMap::new()));
    }

    #[test]
    fn reports_are_pending_then_done_or_failed() {
        let a = Adapter::new("t");
        let id = a.submit(request(good()).expect("valid")).expect("queued");
        let r = report_response(&a, &id, Some(mime::VULN_REPORT));
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(
            r.headers()
                .get("refresh-after")
                .and_then(|v| v.to_str().ok()),
            Some("5")
        );
        // a worker takes it: still pending
        let job = a.next_job().expect("job");
        assert_eq!(job.id, id);
        assert_eq!(a.report(&id), Ok(Some(ReportState::Pending)));
        a.finish(&id, Ok(b"{\"vulnerabilities\":[]}".to_vec()));
        let r = report_response(&a, &id, Some(mime::HARBOR_VULN_REPORT));
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(mime::HARBOR_VULN_REPORT)
        );
        // an unsupported Accept is a bad request
        let r = report_response(&a, &id, Some("application/json"));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        // failures answer 500 with the message
        let id2 = a.submit(request(good()).expect("valid")).expect("queued");
        a.finish(&id2, Err("pulling: HTTP 401".into()));
        assert_eq!(
            a.report(&id2),
            Ok(Some(ReportState::Failed("pulling: HTTP 401".into())))
        );
        let r = report_response(&a, &id2, None);
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        // unknown ids
        assert_eq!(
            report_response(&a, "00ff", None).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            report_response(&a, "../x", None).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn scans_kept_are_bounded() {
        let a = Adapter::new("t");
        let req = request(good()).expect("valid");
        let first = a.submit(req.clone()).expect("queued");
        a.finish(&first, Ok(vec![b' '; 10]));
        let mut ids = vec![first.clone()];
        for _ in 1..MAX_REPORTS {
            ids.push(a.submit(req.clone()).expect("queued"));
        }
        // full: the oldest finished scan makes room
        let next = a.submit(req.clone()).expect("queued");
        assert_eq!(a.report(&first), Ok(None));
        assert_eq!(a.report(&next), Ok(Some(ReportState::Pending)));
        // full of pending scans: refused, none of them dropped
        let e = a.submit(req).expect_err("full");
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(a.report(&ids[1]), Ok(Some(ReportState::Pending)));
        // expiry
        let mut scans = a.scans.lock().expect("lock");
        if let Some(s) = scans.by_id.get_mut(&ids[1]) {
            s.state = State::Failed("x".into());
            s.finished = Some(Instant::now());
        }
        scans.expire(Instant::now() + REPORT_TTL + Duration::from_secs(1));
        assert!(!scans.by_id.contains_key(&ids[1]));
        assert!(scans.by_id.contains_key(&ids[2]));
    }

    /// A finding as the matcher makes them (only what the report reads varies).
    fn finding(id: &str, package: &str, severity: &str, path: &str, record: &str) -> Finding {
        serde_json::from_value(json!({
            "awsAccountId": "000000000000", "findingArn": "arn", "type": "PACKAGE_VULNERABILITY",
            "title": "t", "description": format!("{id} in {package}"), "severity": severity,
            "status": "ACTIVE", "firstObservedAt": "", "lastObservedAt": "", "updatedAt": "",
            "fixAvailable": "YES", "exploitAvailable": "NO",
            "inspectorScore": 9.8,
            "inspectorScoreDetails": {"adjustedCvss": {"adjustments": [], "cvssSource": "NVD",
                "score": 9.8, "scoreSource": "NVD", "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "version": "3.1"}},
            "packageVulnerabilityDetails": {
                "vulnerabilityId": id, "relatedVulnerabilities": [], "source": "NVD",
                "sourceUrl": "https://example.org/a",
                "cvss": [
                    {"baseScore": 9.8, "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "source": "NVD", "version": "3.1"},
                    {"baseScore": 7.5, "scoringVector": "AV:N/AC:L/Au:N/C:P/I:P/A:P", "source": "NVD", "version": "2.0"}],
                "referenceUrls": ["https://example.org/b", "https://example.org/a"],
                "vulnerablePackages": [{"name": package, "version": "1.0", "epoch": 2, "release": "3.el9",
                    "packageManager": "OS", "filePath": path, "fixedInVersion": "NotAvailable",
                    "sourceLayerHash": "sha256:11"}]},
            "remediation": {"recommendation": {"text": "none"}},
            "resources": [],
            "vigil": {"aliases": [id], "ecosystem": "rpm", "purl": "", "fixedVersions": [], "context": [],
                "provenance": [{"record": record, "source": "s", "feed": "f", "ecosystem": "e", "package": package,
                    "compared": "c", "comparator": "rpm", "ranges": [], "verdict": "affected", "reason": "r"}]}
        }))
        .expect("finding")
    }

    #[test]
    fn reports_list_each_vulnerability_and_package_once() {
        let findings = vec![
            finding("CVE-1", "openssl", "MEDIUM", "/var/lib/rpm", "RHSA-1"),
            finding("CVE-1", "openssl", "MEDIUM", "/other/path", "RHSA-1"),
            finding("CVE-2", "zlib", "CRITICAL", "/var/lib/rpm", "GHSA-x"),
            finding("CVE-3", "zlib", "INFORMATIONAL", "/var/lib/rpm", "RHSA-1"),
        ];
        let diff_ids = HashMap::from([("sha256:11".to_owned(), "sha256:22".to_owned())]);
        let cwes = HashMap::from([("GHSA-x".to_owned(), vec!["CWE-787".to_owned()])]);
        let r = build_report(
            json!({"repository": "a"}),
            &findings,
            &diff_ids,
            &cwes,
            "now",
        );
        assert_eq!(r["severity"], "Critical");
        assert_eq!(r["generated_at"], "now");
        let v = r["vulnerabilities"].as_array().expect("items");
        let ids: Vec<_> = v
            .iter()
            .map(|i| (i["id"].as_str(), i["severity"].as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![
                (Some("CVE-2"), Some("Critical")),
                (Some("CVE-1"), Some("Medium")),
                (Some("CVE-3"), Some("Negligible"))
            ]
        );
        let i = &v[0];
        assert_eq!(i["version"], "2:1.0-3.el9");
        assert!(i.get("fix_version").is_none(), "{i}");
        assert_eq!(
            i["links"],
            json!(["https://example.org/a", "https://example.org/b"])
        );
        assert_eq!(
            i["preferred_cvss"],
            json!({"score_v3": 9.8, "vector_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                   "score_v2": 7.5, "vector_v2": "AV:N/AC:L/Au:N/C:P/I:P/A:P"})
        );
        assert_eq!(i["cwe_ids"], json!(["CWE-787"]));
        assert!(v[1].get("cwe_ids").is_none());
        assert_eq!(
            i["layer"],
            json!({"digest": "sha256:11", "diff_id": "sha256:22"})
        );
        assert_eq!(i["vendor_attributes"]["CVSS"]["NVD"]["V2Score"], 7.5);
        assert_eq!(i["vendor_attributes"]["vigil"]["severity"], "CRITICAL");
        // the first path of a package is the one listed
        assert_eq!(
            v[1]["vendor_attributes"]["vigil"]["file_path"],
            "/var/lib/rpm"
        );
        // nothing found: no severity
        let empty = build_report(json!({}), &[], &diff_ids, &cwes, "now");
        assert!(empty.get("severity").is_none());
        assert_eq!(empty["vulnerabilities"], json!([]));
    }

    #[test]
    fn cwe_ids_come_from_database_specific() {
        assert_eq!(
            cwe_ids(Some(
                &json!({"cwe_ids": ["CWE-79", "NVD-CWE-Other", "CWE-", 3]})
            )),
            vec!["CWE-79".to_owned()]
        );
        assert!(cwe_ids(None).is_empty());
    }
}

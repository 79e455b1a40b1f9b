//! `vigil server`: the findings service.
//!
//! Every request is authenticated with AWS Signature Version 4 against the store's access keys
//! (the account comes from the key, the region from the signature's scope), then dispatched:
//! inspector2 operations at their REST-JSON paths (`POST /findings/list`, `/filters/create`,
//! ...), Vigil's own operations under `/vigil/v1/` (scan submission). Unknown operations and
//! bad requests answer the protocol's error shape (`x-amzn-errortype` header and a JSON body
//! with `message`), never a 500. Store and matcher work runs on the blocking pool. Two route
//! families authenticate otherwise: registry notifications (with the registry's bearer token)
//! and Harbor's scanner adapter API under `/api/v1/` ([`harbor`]: the adapter's bearer token,
//! the adapter spec's statuses and error shape).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_store::{FindingsStore, Store};

pub mod access;
mod account;
pub mod agentless;
pub mod console;
mod coverage;
mod dashboard;
pub mod events;
pub mod export;
mod formats;
pub mod functions;
pub mod harbor;
pub mod jobs;
mod keys;
mod metrics;
mod network;
mod ops;
mod org;
mod reevaluate;
pub mod registry;
pub mod reports;
mod usage;
mod wire;

pub use wire::ApiError;

/// The largest request body accepted (a CycloneDX SBOM of a big image fits comfortably).
pub const MAX_BODY: usize = 64 << 20;
/// Allowed clock skew between client and server, as AWS allows.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(15);

pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The advisory database scans are matched against.
    pub advisory_db: PathBuf,
    /// How often the server checks whether the advisory database file changed (and then
    /// re-evaluates the stored inventories it affects).
    pub reevaluate_every: std::time::Duration,
    /// Feeds the server keeps its advisory database current from (none: `vigil db update` is
    /// run by hand or by cron), and how often.
    pub feeds: Vec<vigil_feed::Feed>,
    pub feed_every: std::time::Duration,
    /// A host agent's expected heartbeat interval: a host whose last heartbeat is older than
    /// [`UNMANAGED_AFTER_WINDOWS`] of these is reported INACTIVE/UNMANAGED_EC2_INSTANCE.
    pub heartbeat_window: std::time::Duration,
    /// How often registries' catalogs are polled for images their notifications missed.
    pub registry_poll_every: std::time::Duration,
    /// Directories below which hosts' mounted root filesystems may be registered for agentless
    /// scanning.
    pub agentless_roots: Vec<PathBuf>,
    /// The bearer token Harbor presents to the scanner adapter API (`/api/v1/…`, see
    /// [`harbor`]); none: the adapter is off (its routes answer 404).
    pub harbor_adapter_token: Option<String>,
    /// Let the Harbor adapter pull over plain HTTP from registries off loopback (Harbor hands
    /// scanners its internal `http://` URL).
    pub harbor_allow_plain_http: bool,
    /// The bearer token a Prometheus scraper presents to `GET /metrics`; none: no `/metrics`.
    pub metrics_token: Option<String>,
    /// The organization's management account (it designates the delegated administrator);
    /// none: no organization.
    pub organization_management_account: Option<String>,
    /// A directory of function packages the `functions-watch` job publishes (see
    /// [`functions`]), and how often it looks.
    pub functions: Option<FunctionsWatch>,
    /// Where findings reports and SBOM exports go (see [`export`]).
    pub exports: Exports,
    /// Event delivery: retries, retention, batch size.
    pub events: events::Settings,
}

impl Config {
    /// A server on `listen` over `data_dir` and `advisory_db` with every optional part off and
    /// hourly intervals (embedders and benchmarks set what they need on top, so that a new
    /// setting is added here once rather than at every construction).
    pub fn new(listen: SocketAddr, data_dir: PathBuf, advisory_db: PathBuf) -> Config {
        let hour = std::time::Duration::from_secs(3600);
        Config {
            listen,
            data_dir,
            advisory_db,
            reevaluate_every: hour,
            feeds: Vec::new(),
            feed_every: hour,
            heartbeat_window: DEFAULT_HEARTBEAT_WINDOW,
            registry_poll_every: hour,
            agentless_roots: Vec::new(),
            harbor_adapter_token: None,
            harbor_allow_plain_http: false,
            metrics_token: None,
            organization_management_account: None,
            functions: None,
            exports: Exports::default(),
            events: events::Settings::default(),
        }
    }
}

/// Findings report and SBOM export settings.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    /// The export directory (default `<data-dir>/exports`), unless `s3` is set.
    pub dir: Option<PathBuf>,
    /// An S3-compatible endpoint to write to instead.
    pub s3: Option<export::S3Config>,
    /// At most this many resources per SBOM export (default
    /// [`reports::DEFAULT_MAX_SBOM_RESOURCES`]).
    pub max_sbom_resources: Option<usize>,
}

/// The watched functions directory: `DIR/NAME/function.json`, `code.zip` and layer zips.
#[derive(Debug, Clone)]
pub struct FunctionsWatch {
    pub dir: PathBuf,
    /// The account and region of its functions, unless a `function.json` names others.
    pub account: String,
    pub region: String,
    pub every: std::time::Duration,
}

/// How many missed heartbeat windows make an agent-managed host unmanaged.
pub const UNMANAGED_AFTER_WINDOWS: u32 = 3;

/// The default heartbeat window (the agent's default `--heartbeat`).
pub const DEFAULT_HEARTBEAT_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

pub struct App {
    /// The store behind the trait: SQLite today (`vigil_store::Store`).
    pub store: Box<dyn FindingsStore>,
    advisory_db: PathBuf,
    db: Mutex<Option<vigil_osv::Database>>,
    /// The advisory database file the stored findings were last derived from.
    db_identity: Mutex<Option<reevaluate::FileId>>,
    /// A connection to that database (its file may have been replaced since): a re-evaluation
    /// compares each changed package's verdicts under it and under the new one.
    evaluated_db: Mutex<Option<vigil_osv::Database>>,
    db_generation: std::sync::atomic::AtomicU64,
    /// Feeds for the `feed-update` job.
    pub feeds: Vec<vigil_feed::Feed>,
    pub jobs: jobs::Jobs,
    /// Hosts whose last heartbeat is older than this are unmanaged.
    pub unmanaged_after: time::Duration,
    /// Registry integration: the blob store, the layer inventory cache, the scan worker's wake-up.
    pub images: registry::Images,
    /// Directories below which agentless host roots may be registered (none: agentless
    /// scanning is off).
    pub agentless_roots: Vec<PathBuf>,
    /// Harbor's scanner adapter API, when a token is configured.
    pub harbor: Option<harbor::Adapter>,
    /// The SHA-256 of the `/metrics` bearer token, when one is configured.
    pub metrics_token: Option<[u8; 32]>,
    /// The last network analysis per account and region, parsed (the Vigil score reads it on
    /// every scan and re-evaluation).
    network: network::AnalysisCache,
    /// Function packages: publications, the watched directory.
    pub functions: functions::Functions,
    /// Findings reports and SBOM exports: destination, worker state.
    pub reports: reports::Reports,
    /// The organization's management account, if the server runs an organization.
    pub organization_management_account: Option<String>,
    /// Finding events: delivery settings, counters, the workers' wake-up.
    pub events: events::Delivery,
    /// Console sessions.
    pub console: console::Sessions,
}

/// Who is calling: the key's account and the signature's region.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: String,
    pub region: String,
    pub access_key_id: String,
}

impl App {
    pub fn new(
        data_dir: &std::path::Path,
        advisory_db: PathBuf,
        reevaluate_every: std::time::Duration,
    ) -> Result<App, vigil_store::Error> {
        let images = registry::Images::open(data_dir).map_err(vigil_store::Error::Invalid)?;
        Ok(App {
            images,
            agentless_roots: Vec::new(),
            harbor: None,
            metrics_token: None,
            network: Default::default(),
            functions: functions::Functions::default(),
            reports: reports::Reports::new(export::Destination::Local {
                dir: export::default_dir(data_dir),
            }),
            organization_management_account: None,
            console: console::Sessions::default(),
            events: events::Delivery::default(),
            store: Box::new(Store::open(data_dir)?),
            advisory_db,
            db: Mutex::new(None),
            db_identity: Mutex::new(None),
            evaluated_db: Mutex::new(None),
            feeds: Vec::new(),
            db_generation: std::sync::atomic::AtomicU64::new(0),
            jobs: jobs::Jobs::new(vec![
                jobs::Job {
                    name: "advisory-reevaluation",
                    description: "when the advisory database file changed, re-match the stored inventories holding a package whose advisories changed",
                    every: reevaluate_every,
                    run: reevaluate::run,
                },
                jobs::Job {
                    name: "registry-scan",
                    description: "pull, inventory and match the images registry notifications and polls queued (also woken by each notification)",
                    every: std::time::Duration::from_secs(10),
                    run: registry::drain,
                },
                jobs::Job {
                    name: "image-rescan-window",
                    description: "images pushed and pulled outside the account's rescan duration stop being monitored (findings closed); images back inside it are rescanned",
                    every: std::time::Duration::from_secs(3600),
                    run: registry::rescan_window,
                },
                jobs::Job {
                    name: "event-retention",
                    description: "prune delivered event deliveries and outbox rows older than the retention that no destination still needs",
                    every: std::time::Duration::from_secs(3600),
                    run: events::prune,
                },
                jobs::Job {
                    name: "suppression-expiry",
                    description: "suppression rules past their expiry stop suppressing; their findings return to ACTIVE",
                    every: std::time::Duration::from_secs(60),
                    run: |app| {
                        ops::expire_rules(app);
                        Ok(Value::Null)
                    },
                },
            ]),
            unmanaged_after: time::Duration::try_from(DEFAULT_HEARTBEAT_WINDOW)
                .unwrap_or(time::Duration::MINUTE)
                * UNMANAGED_AFTER_WINDOWS,
        })
    }

    /// Matches a CycloneDX or SPDX inventory and records it under `resource_id`, as
    /// `POST /vigil/v1/scans` does (for embedding and benchmarks).
    pub fn submit_sbom(
        &self,
        account: &str,
        region: &str,
        sbom: &[u8],
        resource_id: &str,
    ) -> Result<vigil_store::IngestReport, ApiError> {
        let inventory = ops::inventory_of(sbom, Some(resource_id))
            .map_err(|e| ApiError::field("sbom", &e.to_string()))?;
        ops::derive(
            self,
            account,
            region,
            &inventory,
            Default::default(),
            None,
            vigil_store::Origin::Scan,
            None,
            None,
        )
        .map(|(r, _, _)| r)
    }

    /// From now on, scans match against `db`.
    fn replace_db(&self, db: vigil_osv::Database) {
        if let Ok(mut g) = self.db.lock() {
            *g = Some(db);
            self.db_generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Bumped each time scans start matching against another database.
    fn db_generation(&self) -> u64 {
        self.db_generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Runs `f` with the advisory database, opened on first use.
    fn with_db<T>(
        &self,
        f: impl FnOnce(&vigil_osv::Database) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut guard = self
            .db
            .lock()
            .map_err(|_| ApiError::internal("advisory database lock poisoned"))?;
        if guard.is_none() {
            let db = vigil_osv::Database::open(&self.advisory_db)
                .map_err(|e| ApiError::internal(&format!("advisory database unavailable: {e}")))?;
            *guard = Some(db);
        }
        match guard.as_ref() {
            Some(db) => f(db),
            None => Err(ApiError::internal("advisory database unavailable")),
        }
    }
}

/// The `feed-update` job: updates the advisory database from the configured feeds, then
/// re-evaluates the stored inventories the update changed (in the same run).
fn feed_update(app: &App) -> Result<Value, String> {
    let report = vigil_feed::update::update(&app.advisory_db, &app.feeds, false)
        .map_err(|e| e.to_string())?;
    let reevaluation = reevaluate::run(app)?;
    let out =
        json!({"feeds": report.feeds, "seconds": report.seconds, "reevaluation": reevaluation});
    if report.failures.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "{} of {} feeds failed (the others were updated and re-evaluated): {}",
            report.failures.len(),
            app.feeds.len(),
            report.failures.join("; ")
        ))
    }
}

/// Serves until the process is stopped.
pub async fn serve(config: Config) -> std::io::Result<()> {
    let mut app = App::new(
        &config.data_dir,
        config.advisory_db.clone(),
        config.reevaluate_every,
    )
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    app.unmanaged_after = time::Duration::try_from(config.heartbeat_window)
        .map_err(|e| std::io::Error::other(format!("heartbeat window: {e}")))?
        * UNMANAGED_AFTER_WINDOWS;
    if !config.feeds.is_empty() {
        app.feeds = config.feeds.clone();
        app.jobs.add(jobs::Job {
            name: "feed-update",
            description: "fetch the configured advisory feeds (conditional requests), update the database, and re-evaluate what changed",
            every: config.feed_every,
            run: feed_update,
        });
    }
    app.agentless_roots = config.agentless_roots.clone();
    app.organization_management_account = config.organization_management_account.clone();
    app.events = events::Delivery::new(config.events.clone());
    app.metrics_token = config
        .metrics_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            use sha2::Digest;
            sha2::Sha256::digest(t.as_bytes()).into()
        });
    app.jobs.add(jobs::Job {
        name: "agentless-rescan",
        description: "inventory the registered host roots (mounted filesystems) whose scan interval has passed",
        every: std::time::Duration::from_secs(30),
        run: agentless::rescan,
    });
    app.harbor = config
        .harbor_adapter_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            let mut a = harbor::Adapter::new(t);
            a.allow_plain_http = config.harbor_allow_plain_http;
            a
        });
    app.jobs.add(jobs::Job {
        name: "registry-poll",
        description: "list each registry's repositories and tags; queue the images not followed yet (registries without notifications, missed notifications)",
        every: config.registry_poll_every,
        run: registry::poll,
    });
    if let Some(f) = &config.functions {
        app.functions.watch = Some(functions::Watch {
            dir: f.dir.clone(),
            account: f.account.clone(),
            region: f.region.clone(),
        });
        app.jobs.add(jobs::Job {
            name: "functions-watch",
            description: "publish each function directory of the watched functions directory whose code, layers or configuration changed, and scan it",
            every: f.every,
            run: functions::watch,
        });
    }
    app.reports.destination = match &config.exports.s3 {
        Some(s3) => export::Destination::S3(export::S3Client::new(s3.clone())),
        None => export::Destination::Local {
            dir: config
                .exports
                .dir
                .clone()
                .unwrap_or_else(|| export::default_dir(&config.data_dir)),
        },
    };
    if let Some(n) = config.exports.max_sbom_resources {
        app.reports.max_sbom_resources = n;
    }
    app.reports.destination.prepare().map_err(|e| {
        std::io::Error::other(format!(
            "export destination {}: {e}",
            app.reports.destination.describe()
        ))
    })?;
    // reports cut short by a stop are not resumed: they fail, and can be created again
    let interrupted = app
        .store
        .report_store()
        .fail_interrupted_reports(
            "the server restarted while the report was being written; create it again",
            OffsetDateTime::now_utc(),
        )
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if interrupted > 0 {
        tracing::warn!(
            reports = interrupted,
            "reports in progress at the last stop were marked FAILED"
        );
    }
    let app = Arc::new(app);
    harbor::start_workers(&app)?;
    // the report worker: woken by each new report, and every few seconds
    {
        let app = app.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = app.reports.wake.notified() => {}
                    _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                }
                reports::run_pending(&app);
            }
        });
    }
    // event delivery: one worker per destination, off the request path
    events::start(&app);
    // the image scan worker also wakes when a notification queues an image
    {
        let app = app.clone();
        tokio::spawn(async move {
            loop {
                app.images.wake.notified().await;
                let app = app.clone();
                let _ =
                    tokio::task::spawn_blocking(move || app.jobs.run(&app, "registry-scan")).await;
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    tracing::info!(listen = %listener.local_addr()?, data_dir = %config.data_dir.display(), "vigil server listening");
    // the background jobs, each on its interval (the first run at start)
    for (name, every) in app.jobs.schedule() {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let app = app.clone();
                let _ = tokio::task::spawn_blocking(move || app.jobs.run(&app, name)).await;
            }
        });
    }
    let router = axum::Router::new().fallback(dispatch).with_state(app);
    // the peer's address goes into audit records (`sourceIPAddress`)
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    // Harbor's scanner adapter API authenticates with its own bearer token, not SigV4, and
    // answers the adapter spec's statuses, headers and error shape (see `harbor`)
    if req.uri().path().starts_with("/api/v1/") {
        return harbor::serve(app, req).await;
    }
    // Prometheus scrapes with a bearer token, and reads text
    if req.uri().path() == "/metrics" {
        let (parts, _) = req.into_parts();
        return tokio::task::spawn_blocking(move || metrics_route(&app, &parts))
            .await
            .unwrap_or_else(|_| ApiError::internal("metrics failed").into_response());
    }
    // the console's pages
    if req.method() == axum::http::Method::GET
        && (req.uri().path() == "/console"
            || (req.uri().path().starts_with("/console/")
                && !req.uri().path().starts_with("/console/api/")))
    {
        return console::asset(req.uri().path());
    }
    let (parts, body) = req.into_parts();
    // a function package travels in base64 inside its request
    let limit = if parts.uri.path() == "/vigil/v1/functions/publish" {
        functions::MAX_PUBLISH_BODY
    } else {
        MAX_BODY
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::too_large(&format!("request body exceeds {limit} bytes"))
                .into_response();
        }
    };
    // the console: session cookies and CSRF tokens instead of signatures (see `console`)
    if parts.uri.path().starts_with("/console/api/") {
        return tokio::task::spawn_blocking(move || console::serve(&app, &parts, &bytes))
            .await
            .unwrap_or_else(|_| ApiError::internal("console request failed").into_response());
    }
    let result = tokio::task::spawn_blocking(move || handle(&app, &parts, &bytes)).await;
    match result {
        Ok(Ok(v)) => json_response(StatusCode::OK, &v),
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::internal("request handler failed").into_response(),
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn handle(app: &App, parts: &axum::http::request::Parts, body: &[u8]) -> Result<Value, ApiError> {
    let path = parts.uri.path();
    // registries authenticate with their notification token, not SigV4
    if let Some(name) = path
        .strip_prefix("/vigil/v1/registries/")
        .and_then(|r| r.strip_suffix("/notifications"))
    {
        if parts.method != axum::http::Method::POST {
            return Err(ApiError::unknown_operation("notifications are POSTed"));
        }
        let auth = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        return registry::notification(app, name, auth, body);
    }
    let (principal, caller) = authenticate(app, parts, body)?;
    let method = parts.method.as_str();
    tracing::debug!(%method, %path, account = %principal.account, "request");
    perform(app, &principal, &caller, method, path, body)
}

/// Runs a signed operation for an authenticated caller (a SigV4 request, or a console
/// session): the operation's authorisation, the call, and its audit record.
pub(crate) fn perform(
    app: &App,
    principal: &Principal,
    caller: &access::Caller,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let (principal, caller) = (principal.clone(), caller.clone());
    let Some(op) = access::operation(method, path) else {
        return Err(ApiError::unknown_operation(&format!(
            "{method} {path} is not an operation this server implements"
        )));
    };
    let now = OffsetDateTime::now_utc();
    let managed = || {
        app.store
            .org_store()
            .managed_accounts(&principal.account)
            .unwrap_or_else(|_| vec![principal.account.clone()])
    };
    let refs = access::BodyRefs::read(body);
    if let Err(e) = access::authorize(&principal, &caller, &op, &refs, now)
        .and_then(|()| access::check_body_arns(&principal, &caller, &op, &refs, &managed))
    {
        let refused = Err(e);
        access::record(app, &principal, &caller, &op, body, &refused, now);
        return refused;
    }
    let outcome = route(app, &principal, &caller, method, path, body);
    if op.audited {
        access::record(app, &principal, &caller, &op, body, &outcome, now);
    }
    outcome
}

/// Runs a signed, authorised operation.
fn route(
    app: &App,
    principal: &Principal,
    caller: &access::Caller,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let principal = principal.clone();
    let input = || -> Result<Value, ApiError> {
        if body.is_empty() {
            return Ok(json!({}));
        }
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::validation(&format!("request body is not valid JSON: {e}")))?;
        if !v.is_object() {
            return Err(ApiError::validation("request body must be a JSON object"));
        }
        Ok(v)
    };
    match (method, path) {
        ("POST", "/findings/list") => ops::list_findings(app, &principal, &input()?),
        ("POST", "/filters/create") => ops::create_filter(app, &principal, &input()?),
        ("POST", "/filters/update") => ops::update_filter(app, &principal, &input()?),
        ("POST", "/filters/delete") => ops::delete_filter(app, &principal, &input()?),
        ("POST", "/filters/list") => ops::list_filters(app, &principal, &input()?),
        ("POST", "/coverage/list") => coverage::list_coverage(app, &principal, &input()?),
        ("POST", "/coverage/statistics/list") => {
            coverage::list_coverage_statistics(app, &principal, &input()?)
        }
        ("POST", "/findings/aggregation/list") => {
            coverage::list_finding_aggregations(app, &principal, &input()?)
        }
        ("POST", "/findings/details/batch/get") => {
            coverage::batch_get_finding_details(app, &principal, &input()?)
        }
        ("POST", "/enable") => account::enable(app, &principal, &input()?),
        ("POST", "/disable") => account::disable(app, &principal, &input()?),
        ("POST", "/status/batch/get") => {
            account::batch_get_account_status(app, &principal, &input()?)
        }
        ("POST", "/configuration/get") => account::get_configuration(app, &principal, &input()?),
        ("POST", "/configuration/update") => {
            account::update_configuration(app, &principal, &input()?)
        }
        ("POST", "/vulnerabilities/search") => {
            account::search_vulnerabilities(app, &principal, &input()?)
        }
        ("POST", "/scan/sbom") => account::scan_sbom(app, &principal, &input()?),
        ("POST", "/reporting/create") => {
            reports::create_findings_report(app, &principal, &input()?)
        }
        ("POST", "/reporting/status/get") => {
            reports::get_findings_report_status(app, &principal, &input()?)
        }
        ("POST", "/reporting/cancel") => {
            reports::cancel_findings_report(app, &principal, &input()?)
        }
        ("POST", "/sbomexport/create") => reports::create_sbom_export(app, &principal, &input()?),
        ("POST", "/sbomexport/get") => reports::get_sbom_export(app, &principal, &input()?),
        ("POST", "/sbomexport/cancel") => reports::cancel_sbom_export(app, &principal, &input()?),
        ("POST", "/vigil/v1/scans") => ops::submit_scan(app, &principal, body),
        ("POST", "/vigil/v1/findings/export") => {
            formats::export_findings(app, &principal, &input()?)
        }
        ("POST", "/vigil/v1/vex/export") => formats::vex_export(app, &principal, &input()?),
        ("POST", "/vigil/v1/vex/import") => formats::vex_import(app, &principal, &input()?),
        ("POST", "/vigil/v1/findings/history") => ops::finding_history(app, &principal, &input()?),
        ("POST", "/vigil/v1/resources/delete") => ops::delete_resource(app, &principal, &input()?),
        ("POST", "/vigil/v1/resources/sbom") => ops::resource_sbom(app, &principal, &input()?),
        ("POST", "/vigil/v1/functions/publish") => functions::publish_api(app, &principal, body),
        ("POST", "/vigil/v1/functions/list") => functions::list_api(app, &principal, &input()?),
        ("POST", "/vigil/v1/functions/delete") => functions::delete_api(app, &principal, &input()?),
        ("POST", "/vigil/v1/destinations/create") => events::create(app, &principal, &input()?),
        ("POST", "/vigil/v1/destinations/list") => events::list(app, &principal, &input()?),
        ("POST", "/vigil/v1/destinations/get") => events::get(app, &principal, &input()?),
        ("POST", "/vigil/v1/destinations/update") => events::update(app, &principal, &input()?),
        ("POST", "/vigil/v1/destinations/delete") => events::delete(app, &principal, &input()?),
        ("POST", "/vigil/v1/destinations/dead-letters/list") => {
            events::dead_letters(app, &principal, &input()?)
        }
        ("POST", "/vigil/v1/destinations/dead-letters/replay") => {
            events::replay(app, &principal, &input()?)
        }
        ("POST", "/vigil/v1/jobs/list") => Ok(json!({"jobs": app.jobs.list()})),
        ("POST", "/vigil/v1/jobs/run") => {
            let input = input()?;
            ops::check_members(&input, &["name"])?;
            let name = ops::string_field(&input, "name", 128)?
                .ok_or_else(|| ApiError::field("name", "is required"))?;
            Ok(json!({"name": name, "result": app.jobs.run(app, name)?}))
        }
        ("POST", "/vigil/v1/agents/heartbeat") => ops::agent_heartbeat(app, &principal, &input()?),
        ("POST", "/vigil/v1/network/analyze") => network::analyze(app, &principal, &input()?),
        ("POST", "/vigil/v1/dashboard") => dashboard::dashboard(app, &principal, &input()?),
        ("POST", "/vigil/v1/findings/top-risks") => network::top_risks(app, &principal, &input()?),
        ("POST", "/vigil/v1/hosts/agentless/register") => {
            agentless::register(app, &principal, &input()?)
        }
        ("POST", "/vigil/v1/hosts/agentless/list") => agentless::list(app, &principal, &input()?),
        ("POST", "/vigil/v1/hosts/agentless/deregister") => {
            agentless::deregister(app, &principal, &input()?)
        }
        ("POST", "/ec2deepinspectionconfiguration/get") => {
            account::get_deep_inspection(app, &principal, &input()?)
        }
        ("POST", "/ec2deepinspectionconfiguration/update") => {
            account::update_deep_inspection(app, &principal, &input()?)
        }
        ("POST", "/vigil/v1/audit/lookup") => access::lookup(app, &principal, &input()?),
        ("POST", "/vigil/v1/keys/list") => keys::list(app, &principal, &input()?),
        ("POST", "/vigil/v1/keys/create") => keys::create(app, &principal, caller, &input()?),
        ("POST", "/vigil/v1/keys/update") => keys::update(app, &principal, caller, &input()?),
        ("POST", "/vigil/v1/principals/list") => keys::principals(app, &principal, &input()?),
        ("POST", "/usage/list") => usage::list_usage_totals(app, &principal, &input()?),
        ("POST", "/delegatedadminaccounts/enable") => {
            org::enable_delegated_admin(app, &principal, &input()?)
        }
        ("POST", "/delegatedadminaccounts/disable") => {
            org::disable_delegated_admin(app, &principal, &input()?)
        }
        ("POST", "/delegatedadminaccounts/get") => {
            org::get_delegated_admin(app, &principal, &input()?)
        }
        ("POST", "/delegatedadminaccounts/list") => {
            org::list_delegated_admins(app, &principal, &input()?)
        }
        ("POST", "/ec2deepinspectionstatus/member/batch/get") => {
            account::batch_get_member_deep_inspection(app, &principal, &input()?)
        }
        ("POST", "/ec2deepinspectionstatus/member/batch/update") => {
            account::batch_update_member_deep_inspection(app, &principal, &input()?)
        }
        ("POST", "/ec2deepinspectionconfiguration/org/update") => {
            account::update_org_deep_inspection(app, &principal, &input()?)
        }
        ("POST", "/members/associate") => org::associate_member(app, &principal, &input()?),
        ("POST", "/members/disassociate") => org::disassociate_member(app, &principal, &input()?),
        ("POST", "/members/list") => org::list_members(app, &principal, &input()?),
        ("POST", "/members/get") => org::get_member(app, &principal, &input()?),
        ("POST", "/organizationconfiguration/update") => {
            org::update_organization_configuration(app, &principal, &input()?)
        }
        ("POST", "/organizationconfiguration/describe") => {
            org::describe_organization_configuration(app, &principal, &input()?)
        }
        _ => Err(ApiError::unknown_operation(&format!(
            "{method} {path} is not an operation this server implements"
        ))),
    }
}

/// `GET /metrics` with `Authorization: Bearer <token>`: the Prometheus text.
fn metrics_route(app: &App, parts: &axum::http::request::Parts) -> Response {
    use sha2::Digest;
    let Some(want) = app.metrics_token else {
        return ApiError::unknown_operation(
            "/metrics is off: start the server with --metrics-token-file",
        )
        .into_response();
    };
    if parts.method != axum::http::Method::GET {
        return ApiError::unknown_operation("/metrics is read with GET").into_response();
    }
    let given = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| sha2::Sha256::digest(t.trim().as_bytes()));
    // digests are compared: the time taken says nothing about the token
    if given.is_none_or(|g| g.as_slice() != want.as_slice()) {
        return ApiError::Protocol {
            status: StatusCode::UNAUTHORIZED,
            code: "UnauthorizedException".into(),
            message: "missing or wrong `Authorization: Bearer <token>`".into(),
        }
        .into_response();
    }
    match metrics::render(app) {
        Ok(text) => {
            let mut r = Response::new(Body::from(text));
            r.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        Err(e) => e.into_response(),
    }
}

/// Verifies the request's SigV4 signature and resolves its key to an account and principal.
fn authenticate(
    app: &App,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<(Principal, access::Caller), ApiError> {
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let req = vigil_sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body,
    };
    let claim = vigil_sigv4::parse(&req).map_err(|e| ApiError::auth(e.code(), &e.to_string()))?;
    let Some(holder) = app
        .store
        .access_store()
        .key_holder(&claim.access_key_id)
        .map_err(|e| ApiError::internal(&e.to_string()))?
    else {
        return Err(ApiError::auth(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    };
    // ScanSbom belongs to the `inspector-scan` service (its own signing name)
    let service = if parts.uri.path() == "/scan/sbom" {
        "inspector-scan"
    } else {
        "inspector2"
    };
    vigil_sigv4::verify(
        &req,
        &claim,
        &holder.secret,
        service,
        OffsetDateTime::now_utc(),
        CLOCK_SKEW,
    )
    .map_err(|e| ApiError::auth(e.code(), &e.to_string()))?;
    let caller = access::Caller {
        principal: holder.principal,
        source_ip: parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        user_agent: parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(512).collect()),
    };
    Ok((
        Principal {
            account: holder.account,
            region: claim.region.clone(),
            access_key_id: claim.access_key_id.clone(),
        },
        caller,
    ))
}

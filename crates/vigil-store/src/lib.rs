//! The findings service's store.
//!
//! One SQLite database in WAL mode under the data directory (`vigil.sqlite`), migrated on open
//! (`PRAGMA user_version`), holding:
//! - accounts and access keys, whose secrets are sealed with the server's master key
//!   (ChaCha20-Poly1305; `master.key` next to the database, mode 0600) because SigV4 needs the
//!   secret itself and so cannot store a hash;
//! - resources (hosts, images, functions) with their last inventory (zstd), so findings can be
//!   re-derived without rescanning;
//! - findings in the inspector2 `Finding` shape with their lifecycle (ACTIVE, SUPPRESSED,
//!   CLOSED), identity stable across rescans (the finding ARN, derived from resource,
//!   vulnerability, package and location) and a history of every transition;
//! - filters: saved views (action NONE) and suppression rules (action SUPPRESS, optionally
//!   with a reason and an expiry), applied to findings now and in the future.
//!
//! The store does not know the filter language: callers pass a [`Matcher`] that compiles a
//! filter's criteria into a test (plus an optional pre-test on the stored JSON text).
//! Everything that changes data runs in one transaction; a submission is all or nothing.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

pub mod access;
mod backend;
pub mod dashboard;
pub mod events;
pub mod functions;
pub mod hosts;
pub mod keys;
pub mod org;
pub mod registry;
pub mod reports;
mod schema;
pub mod usage;

pub use backend::FindingsStore;

/// A filter's `filterCriteria`, compiled once for testing many findings.
pub struct Compiled {
    /// Do the criteria hold for this finding (inspector2 `Finding` JSON with its lifecycle
    /// members: `status`, `firstObservedAt`, `lastObservedAt`, `updatedAt`)?
    pub test: Box<dyn Fn(&Value) -> bool + Send + Sync>,
    /// Strings of which a finding's stored JSON text must contain at least one for `test` to be
    /// able to hold (`None`: no such pre-test). Lets a re-evaluation skip most findings unparsed.
    pub needles: Option<Vec<String>>,
}

impl Compiled {
    /// A test that holds for no finding (criteria that cannot be read).
    pub fn never() -> Compiled {
        Compiled {
            test: Box::new(|_| false),
            needles: Some(Vec::new()),
        }
    }

    /// The pre-test on a finding's stored JSON text.
    pub fn could_match(&self, text: &str) -> bool {
        self.needles
            .as_ref()
            .is_none_or(|n| n.iter().any(|x| text.contains(x.as_str())))
    }
}

/// Compiles a filter's `filterCriteria` (the caller knows the filter language).
pub type Matcher<'a> = &'a dyn Fn(&Value) -> Compiled;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("store `{path}`: {message}")]
    Db { path: String, message: String },
    #[error("`{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// The resource types an account enables scanning for (inspector2 `ResourceScanType`).
pub const SCAN_TYPES: [&str; 5] = ["EC2", "ECR", "LAMBDA", "LAMBDA_CODE", "CODE_REPOSITORY"];

/// The resource types a new account scans before any `Enable`/`Disable`: the ones Vigil can
/// scan from an SBOM or host inventory (EC2 hosts, ECR images, Lambda packages). Lambda code
/// and code repository scanning are opt-in, as in Amazon Inspector.
pub const DEFAULT_ENABLED_SCAN_TYPES: [&str; 3] = ["EC2", "ECR", "LAMBDA"];

/// Timestamps are stored in one fixed-width UTC format so that they sort as text.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A resource as the API shows it (`Finding.resources[]`, `CoveredResource`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRecord {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub region: String,
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// One scan result to record: the resource, its inventory, and every finding the scan saw
/// (inspector2 `Finding` JSON with a stable `findingArn`).
pub struct Submission<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub resource: ResourceRecord,
    /// The inventory (Vigil's inventory JSON; earlier versions kept the submitted SBOM), kept
    /// compressed.
    pub inventory: &'a [u8],
    pub findings: Vec<Value>,
    pub now: OffsetDateTime,
    /// The advisory-database keys the inventory was looked up under (kept as the resource's
    /// key set, see [`Store::resources_with_keys`]).
    pub keys: Vec<(String, String)>,
    /// What produced the findings: a scan of the resource, or a re-evaluation of its stored
    /// inventory after an advisory database update (the inventory and scan time are kept).
    pub origin: Origin,
    /// Only some packages were matched (their `vigil.packageRef`s): findings on other
    /// packages are left as they are instead of being closed as no longer seen.
    pub scope: Option<std::collections::HashSet<String>>,
}

/// Why a resource's findings were derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    #[default]
    Scan,
    Reevaluation,
    /// A network reachability analysis: its findings (NETWORK_REACHABILITY) follow their own
    /// lifecycle beside the package findings, which it never touches (nor does a scan touch
    /// its findings); the resource's inventory is left as it is.
    NetworkAnalysis,
}

/// The finding type an origin's findings have (package findings, or network findings).
fn is_network(origin: Origin) -> bool {
    origin == Origin::NetworkAnalysis
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestReport {
    pub resource_id: String,
    pub new: u64,
    pub updated: u64,
    pub reopened: u64,
    pub closed: u64,
    pub active: u64,
    pub suppressed: u64,
}

/// A resource as stored, with its last scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResource {
    pub account: String,
    pub resource: ResourceRecord,
    pub scanned_at: Option<String>,
    pub scan_status: Option<String>,
    /// The last heartbeat of the host agent that manages the resource; `None` when no agent
    /// ever sent one (a plain `vigil scan --server` submission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_at: Option<String>,
}

/// An account's EC2 deep-inspection configuration (inspector2
/// `GetEc2DeepInspectionConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeepInspection {
    /// `ACTIVATED` or `DEACTIVATED`.
    pub status: String,
    /// Custom package paths searched on hosts besides the default ones.
    pub package_paths: Vec<String>,
}

/// Counts for monitoring ([`Store::counts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// (account, status, severity, type, count)
    pub findings: Vec<(String, String, String, String, i64)>,
    /// (account, resource type, scan status, count)
    pub resources: Vec<(String, String, String, i64)>,
}

/// One lifecycle transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub at: String,
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
}

/// A stored filter (inspector2 `Filter`, plus Vigil's reason and expiry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterRecord {
    pub arn: String,
    pub owner_id: String,
    pub name: String,
    pub action: String,
    pub criteria: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Vigil: after this time the rule stops suppressing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What [`Store::upsert_filters`] did with one filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Upsert {
    Created,
    Updated,
    Unchanged,
}

/// The fields of a filter a caller sets.
#[derive(Debug, Clone)]
pub struct FilterSpec {
    pub name: String,
    pub action: String,
    pub criteria: Value,
    pub description: Option<String>,
    pub reason: Option<String>,
    pub expires_at: Option<String>,
    pub tags: std::collections::BTreeMap<String, String>,
}

/// Which findings to read: the account, and equality pre-filters the store can apply with its
/// indexes (every other criterion is applied by the caller's `keep`).
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    pub account: String,
    /// Further accounts whose findings the query covers too (a delegated administrator's
    /// associated members).
    pub member_accounts: Vec<String>,
    /// Only findings of this region.
    pub region: Option<String>,
    /// A page in `findingArn` order, applied in SQL (only meaningful when `keep` keeps all).
    pub page: Option<(usize, usize)>,
    pub statuses: Vec<String>,
    pub severities: Vec<String>,
    pub resource_ids: Vec<String>,
    pub arns: Vec<String>,
    /// `packageVulnerabilityDetails.vulnerabilityId` equal to one of these.
    pub vulnerability_ids: Vec<String>,
}

/// A sort the store can run in SQL over its columns ([`Store::findings_ordered`]): each
/// orders as inspector2's `SortCriteria` does (missing values last in either direction,
/// ties by `findingArn` ascending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingOrder {
    /// `INSPECTOR_SCORE`
    Score,
    /// `SEVERITY` (by rank: CRITICAL highest)
    Severity,
    /// `FIRST_OBSERVED_AT`
    FirstObserved,
    /// `LAST_OBSERVED_AT`
    LastObserved,
    /// `FINDING_STATUS`
    Status,
    /// `VULNERABILITY_ID`
    VulnerabilityId,
}

impl FindingOrder {
    /// The store's order for an inspector2 sort field, if it has one.
    pub fn for_field(field: &str) -> Option<FindingOrder> {
        Some(match field {
            "INSPECTOR_SCORE" => FindingOrder::Score,
            "SEVERITY" => FindingOrder::Severity,
            "FIRST_OBSERVED_AT" => FindingOrder::FirstObserved,
            "LAST_OBSERVED_AT" => FindingOrder::LastObserved,
            "FINDING_STATUS" => FindingOrder::Status,
            "VULNERABILITY_ID" => FindingOrder::VulnerabilityId,
            _ => return None,
        })
    }

    fn sql(self, descending: bool) -> String {
        let column = match self {
            FindingOrder::Score => "f.score",
            FindingOrder::Severity => {
                "(CASE f.severity WHEN 'CRITICAL' THEN 5 WHEN 'HIGH' THEN 4 WHEN 'MEDIUM' THEN 3
                  WHEN 'LOW' THEN 2 WHEN 'INFORMATIONAL' THEN 1 WHEN 'UNTRIAGED' THEN 0 ELSE -1 END)"
            }
            FindingOrder::FirstObserved => "f.first_observed_at",
            FindingOrder::LastObserved => "f.last_observed_at",
            FindingOrder::Status => "f.status",
            FindingOrder::VulnerabilityId => "f.vulnerability_id",
        };
        let tie = if self == FindingOrder::Severity {
            if descending {
                ", f.severity DESC"
            } else {
                ", f.severity"
            }
        } else {
            ""
        };
        // SQLite puts NULLs first in ascending order and last in descending order; missing
        // values go last either way (so a descending sort can walk an index as it is).
        if descending {
            format!("{column} DESC{tie}, f.arn")
        } else {
            format!("{column} IS NULL, {column}{tie}, f.arn")
        }
    }
}

pub struct Store {
    conn: Mutex<Connection>,
    master: keys::MasterKey,
    /// The random prefix of this store's event ids (see [`events::event_id`]).
    event_prefix: String,
    path: PathBuf,
    /// Stops (on drop) the thread that checkpoints the WAL off the writers' path.
    _checkpointer: Checkpointer,
}

/// Copies the WAL back into the database file from a thread of its own, so that commits (which
/// hold the store's lock) never pay for it: the writer's connection runs with automatic
/// checkpoints off. PASSIVE checkpoints never block writers; when the WAL has grown past
/// `WAL_RESTART_BYTES` regardless (a long burst), a RESTART checkpoint waits for the writer
/// briefly so that the log starts over and stays bounded.
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
const WAL_RESTART_BYTES: u64 = 64 << 20;

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer> {
        let conn = Connection::open(path).map_err(|e| db_err(path, e))?;
        conn.execute_batch("PRAGMA busy_timeout = 5000;")
            .map_err(|e| db_err(path, e))?;
        let (stop, rx) = std::sync::mpsc::channel::<()>();
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let thread = std::thread::Builder::new()
            .name("vigil-store-checkpoint".into())
            .spawn(move || {
                // Until asked to stop (a message, or the store dropped the sender).
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    rx.recv_timeout(CHECKPOINT_EVERY)
                {
                    let big =
                        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > WAL_RESTART_BYTES;
                    let mode = if big { "RESTART" } else { "PASSIVE" };
                    if let Err(e) =
                        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                    }
                }
            })
            .map_err(|e| Error::Io {
                path: path.display().to_string(),
                source: e,
            })?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn db_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Db {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

impl Store {
    /// Opens (creating and migrating) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| Error::Io {
            path: data_dir.display().to_string(),
            source: e,
        })?;
        let master = keys::MasterKey::load_or_create(&data_dir.join("master.key"))?;
        let path = data_dir.join("vigil.sqlite");
        let mut conn = Connection::open(&path).map_err(|e| db_err(&path, e))?;
        // ingest alone keeps more statements than rusqlite's default 16 (an evicted one is
        // compiled again, with the code of every index and trigger on its table)
        conn.set_prepared_statement_cache_capacity(128);
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )
        .map_err(|e| db_err(&path, e))?;
        schema::migrate(&mut conn).map_err(|e| db_err(&path, e))?;
        let event_prefix: String = conn
            .query_row("SELECT prefix FROM event_ids", [], |r| r.get(0))
            .map_err(|e| db_err(&path, e))?;
        let checkpointer = Checkpointer::start(&path)?;
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")
            .map_err(|e| db_err(&path, e))?;
        Ok(Store {
            conn: Mutex::new(conn),
            master,
            event_prefix,
            path,
            _checkpointer: checkpointer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| Error::Invalid("store lock poisoned".into()))?;
        f(&mut guard).map_err(|e| db_err(&self.path, e))
    }

    fn with_tx<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| Error::Invalid("store lock poisoned".into()))?;
        let tx = guard
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_err(&self.path, e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| db_err(&self.path, e))?;
        Ok(out)
    }

    // --- accounts and keys -------------------------------------------------------------------

    /// Creates an access key for `account` (creating the account), returning the secret once.
    pub fn create_key(&self, account: &str, now: OffsetDateTime) -> Result<keys::AccessKey> {
        keys::validate_account(account)?;
        let key = keys::AccessKey::generate(account)?;
        let (nonce, sealed) = self.master.seal(key.secret_access_key.as_bytes())?;
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![account, at],
            )
            .map_err(e)?;
            tx.execute(
                "INSERT INTO access_keys(access_key_id, account, nonce, sealed, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.access_key_id, account, nonce, sealed, at],
            )
            .map_err(e)?;
            Ok(())
        })?;
        Ok(key)
    }

    /// The secret and account of an active access key.
    pub fn secret_for(&self, access_key_id: &str) -> Result<Option<(String, String)>> {
        let row: Option<(String, Vec<u8>, Vec<u8>)> = self.with(|c| {
            c.prepare_cached(
                "SELECT account, nonce, sealed FROM access_keys WHERE access_key_id = ?1 AND status = 'Active'",
            )?
            .query_row([access_key_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
        })?;
        let Some((account, nonce, sealed)) = row else {
            return Ok(None);
        };
        let secret = self.master.open(&nonce, &sealed)?;
        let secret = String::from_utf8(secret)
            .map_err(|_| Error::Invalid("sealed secret is not UTF-8".into()))?;
        Ok(Some((secret, account)))
    }

    /// Counts for monitoring: findings by (account, status, severity, type) and resources by
    /// (account, type, scan status).
    pub fn counts(&self) -> Result<Counts> {
        self.with(|c| {
            let mut findings = Vec::new();
            let mut st = c.prepare_cached(
                "SELECT account, status, severity, type, count(*) FROM findings
                 GROUP BY account, status, severity, type ORDER BY 1, 2, 3, 4",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                findings.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?));
            }
            let mut resources = Vec::new();
            let mut st = c.prepare_cached(
                "SELECT account, type, coalesce(scan_status, 'PENDING'), count(*) FROM resources
                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                resources.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
            }
            Ok(Counts {
                findings,
                resources,
            })
        })
    }

    /// Accounts known to the store.
    pub fn accounts(&self) -> Result<Vec<String>> {
        self.with(|c| {
            let mut st = c.prepare_cached("SELECT id FROM accounts ORDER BY id")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        })
    }

    // --- ingest and lifecycle ------------------------------------------------------------------

    /// Records a scan: the resource and its inventory, new findings, findings seen again,
    /// findings no longer seen (CLOSED) and findings seen again after closing (reopened).
    /// New and reopened findings that a SUPPRESS rule matches become SUPPRESSED.
    pub fn ingest(&self, sub: Submission<'_>, matches: Matcher<'_>) -> Result<IngestReport> {
        let at = timestamp(sub.now);
        let inventory = zstd::encode_all(sub.inventory, 3).map_err(|e| Error::Io {
            path: "inventory".into(),
            source: e,
        })?;
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let rules = compiled_rules(tx, sub.account, &at, matches).map_err(e)?;
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![sub.account, at],
            )
            .map_err(e)?;
            let r = &sub.resource;
            // observed now (a scan, an analysis), rather than re-derived from stored data
            let rescan = sub.origin != Origin::Reevaluation;
            let (seen_reason, gone_reason, again_reason) = match sub.origin {
                Origin::Scan => ("observed", "no longer observed by a scan of the resource", "observed again"),
                Origin::Reevaluation => (
                    "matched after an advisory database update",
                    "no longer matched after an advisory database update",
                    "matched again after an advisory database update",
                ),
                Origin::NetworkAnalysis => (
                    "reachable from the internet (network analysis)",
                    "no longer reachable from the internet (network analysis)",
                    "reachable from the internet again (network analysis)",
                ),
            };
            if sub.origin == Origin::NetworkAnalysis {
                // a host the network knows may not have been scanned yet
                tx.execute(
                    "INSERT INTO resources(account, region, id, type, tags, details)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(account, region, id) DO NOTHING",
                    params![
                        sub.account,
                        sub.region,
                        r.id,
                        r.kind,
                        serde_json::to_string(&r.tags).unwrap_or_default(),
                        r.details.as_ref().map(Value::to_string),
                    ],
                )
                .map_err(e)?;
            } else if sub.origin == Origin::Scan {
                tx.execute(
                    "INSERT INTO resources(account, region, id, type, tags, details, inventory, scanned_at, scan_status, key_hashes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'ACTIVE', ?9)
                     ON CONFLICT(account, region, id) DO UPDATE SET type = excluded.type, tags = excluded.tags,
                       details = excluded.details, inventory = excluded.inventory, scanned_at = excluded.scanned_at,
                       scan_status = 'ACTIVE', key_hashes = excluded.key_hashes",
                    params![
                        sub.account,
                        sub.region,
                        r.id,
                        r.kind,
                        serde_json::to_string(&r.tags).unwrap_or_default(),
                        r.details.as_ref().map(Value::to_string),
                        inventory,
                        at,
                        key_hashes(&sub.keys),
                    ],
                )
                .map_err(e)?;
            }
            // usage: a scan or a re-evaluation of the resource (not a network analysis)
            match sub.origin {
                Origin::Scan => usage::meter(tx, sub.account, sub.region, &r.kind, &r.id, &at, usage::Meter::Scan),
                Origin::Reevaluation => usage::meter(tx, sub.account, sub.region, &r.kind, &r.id, &at, usage::Meter::Rescan),
                Origin::NetworkAnalysis => Ok(()),
            }
            .map_err(e)?;
            // what the store has for this resource
            #[allow(clippy::type_complexity)]
            let mut existing: std::collections::HashMap<String, (String, Option<String>, String)> =
                std::collections::HashMap::new();
            let mut untouchable = std::collections::HashSet::new();
            {
                let mut st = tx
                    .prepare_cached(
                        // the package of each finding only matters to a scoped re-evaluation:
                        // scans do not parse the stored bodies for it
                        "SELECT arn, status, suppressed_by, first_observed_at,
                                CASE WHEN ?4 THEN json_extract(body, '$.vigil.packageRef') END,
                                type = 'NETWORK_REACHABILITY'
                         FROM findings WHERE account = ?1 AND region = ?2 AND resource_id = ?3",
                    )
                    .map_err(e)?;
                let rows = st
                    .query_map(params![sub.account, sub.region, r.id, sub.scope.is_some()], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            (row.get(1)?, row.get(2)?, row.get(3)?),
                            row.get::<_, Option<String>>(4)?,
                            row.get::<_, bool>(5)?,
                        ))
                    })
                    .map_err(e)?;
                for row in rows {
                    let (arn, v, package, network) = row.map_err(e)?;
                    // a partial re-evaluation leaves findings on other packages alone, and
                    // package and network findings never settle each other's fate
                    let in_scope = network == is_network(sub.origin)
                        && match (&sub.scope, package) {
                            (None, _) => true,
                            (Some(scope), Some(p)) => scope.contains(&p),
                            (Some(_), None) => false,
                        };
                    if !in_scope {
                        untouchable.insert(arn.clone());
                    }
                    existing.insert(arn, v);
                }
            }
            let mut report = IngestReport {
                resource_id: r.id.clone(),
                ..Default::default()
            };
            let mut seen = std::collections::HashSet::new();
            let mut final_status: Vec<(String, &'static str)> = Vec::new();
            // the dashboard's daily roll-up of the new findings: (severity) -> (created, active),
            // written once per transaction (the triggers count every other change)
            let mut created: std::collections::BTreeMap<String, (i64, i64)> =
                std::collections::BTreeMap::new();
            for f in &sub.findings {
                let Some(arn) = f.get("findingArn").and_then(Value::as_str) else {
                    return Err(Error::Invalid("a finding has no findingArn".into()));
                };
                if !seen.insert(arn.to_owned()) {
                    continue; // the same finding twice in one submission
                }
                let mut body = f.clone();
                strip_lifecycle(&mut body);
                let first = existing.get(arn).map_or(at.as_str(), |(_, _, first)| first.as_str());
                let probe = probe(&body, "ACTIVE", first, &at, &at);
                let suppressor = rules
                    .iter()
                    .find(|(_, rule)| (rule.test)(&probe))
                    .map(|(a, _)| a.clone());
                let cols = Columns::of(&body);
                match existing.get(arn) {
                    None => {
                        let status = if suppressor.is_some() { "SUPPRESSED" } else { "ACTIVE" };
                        // prepared once per connection: the statement carries the code of
                        // every index and trigger on findings, costly to compile per row
                        tx.prepare_cached(
                            "INSERT INTO findings(arn, account, region, resource_id, status, severity, score, type,
                               vulnerability_id, title, first_observed_at, last_observed_at, updated_at, suppressed_by, body)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?11, ?12, ?13)",
                        )
                        .map_err(e)?
                        .execute(params![
                                arn, sub.account, sub.region, r.id, status, cols.severity, cols.score, cols.kind,
                                cols.vulnerability_id, cols.title, at, suppressor, body.to_string()
                            ],
                        )
                        .map_err(e)?;
                        let reason = if suppressor.is_some() { format!("{seen_reason}; matches a suppression rule") } else { seen_reason.to_owned() };
                        history(tx, arn, &at, None, status, &reason).map_err(e)?;
                        final_status.push((arn.to_owned(), status));
                        let c = created.entry(cols.severity.clone()).or_default();
                        c.0 += 1;
                        c.1 += i64::from(status == "ACTIVE");
                        report.new += 1;
                    }
                    Some((old_status, old_by, _)) => {
                        let reopening = old_status == "CLOSED";
                        let (status, by) = if reopening {
                            (if suppressor.is_some() { "SUPPRESSED" } else { "ACTIVE" }, suppressor.clone())
                        } else {
                            (old_status.as_str(), old_by.clone())
                        };
                        let changed = if !rescan {
                            // not observed (no scan): only what the new advisories change
                            tx.prepare_cached(
                                "UPDATE findings SET status = ?3, suppressed_by = ?4, severity = ?5, score = ?6,
                                   title = ?7, vulnerability_id = ?8, body = ?9, updated_at = ?2
                                 WHERE arn = ?1 AND (status != ?3 OR body != ?9)",
                            )
                            .map_err(e)?
                            .execute(params![arn, at, status, by, cols.severity, cols.score, cols.title, cols.vulnerability_id, body.to_string()])
                            .map_err(e)?
                        } else {
                            tx
                            .prepare_cached(
                                "UPDATE findings SET last_observed_at = ?2, status = ?3, suppressed_by = ?4, severity = ?5, score = ?6,
                                   title = ?7, vulnerability_id = ?8, body = ?9,
                                   updated_at = CASE WHEN status != ?3 OR severity != ?5 OR IFNULL(score, -1) != IFNULL(?6, -1) OR body != ?9 THEN ?2 ELSE updated_at END
                                 WHERE arn = ?1",
                            )
                            .map_err(e)?
                            .execute(params![arn, at, status, by, cols.severity, cols.score, cols.title, cols.vulnerability_id, body.to_string()])
                            .map_err(e)?
                        };
                        let _ = changed;
                        final_status.push((
                            arn.to_owned(),
                            if status == "SUPPRESSED" { "SUPPRESSED" } else { "ACTIVE" },
                        ));
                        if reopening {
                            history(tx, arn, &at, Some("CLOSED"), status, again_reason).map_err(e)?;
                            report.reopened += 1;
                        } else {
                            report.updated += 1;
                        }
                    }
                }
            }
            for (arn, (status, _, _)) in &existing {
                if status != "CLOSED" && !seen.contains(arn) && !untouchable.contains(arn) {
                    tx.prepare_cached(
                        "UPDATE findings SET status = 'CLOSED', updated_at = ?2 WHERE arn = ?1",
                    )
                    .map_err(e)?
                    .execute(params![arn, at])
                    .map_err(e)?;
                    history(tx, arn, &at, Some(status), "CLOSED", gone_reason).map_err(e)?;
                    report.closed += 1;
                }
            }
            // the resource's findings by status after this scan (no query: the counts follow
            // from what the store had and what the scan changed)
            let mut statuses: std::collections::HashMap<&str, &str> = existing
                .iter()
                .map(|(arn, (status, _, _))| (arn.as_str(), status.as_str()))
                .collect();
            for (arn, status) in &final_status {
                statuses.insert(arn.as_str(), status);
            }
            for (arn, (status, _, _)) in &existing {
                if status != "CLOSED" && !seen.contains(arn) && !untouchable.contains(arn) {
                    statuses.insert(arn.as_str(), "CLOSED");
                }
            }
            report.active = statuses.values().filter(|s| **s == "ACTIVE").count() as u64;
            report.suppressed = statuses.values().filter(|s| **s == "SUPPRESSED").count() as u64;
            // the scan completion event, after the finding events of this scan
            for (severity, (n, active)) in &created {
                tx.prepare_cached(
                    "INSERT INTO finding_daily(account, region, day, severity, to_active, created)
                     VALUES (?1, ?2, substr(?3, 1, 10), ?4, ?5, ?6)
                     ON CONFLICT (account, region, day, severity) DO UPDATE SET
                        to_active = to_active + excluded.to_active, created = created + excluded.created",
                )
                .map_err(e)?
                .execute(params![sub.account, sub.region, at, severity, active, n])
                .map_err(e)?;
            }
            if sub.origin == Origin::Scan {
                events::scan_completed(tx, sub.account, sub.region, r, &at).map_err(e)?;
            }
            Ok(report)
        })
    }

    /// The advisory-database key digests the stored findings were last derived from (empty
    /// before the first re-evaluation baseline).
    pub fn advisory_digests(&self) -> Result<std::collections::HashMap<(String, String), Vec<u8>>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT ecosystem, name, digest FROM advisory_keys")?;
            let rows = st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
            rows.collect()
        })
    }

    /// Replaces the stored key digests (after the findings were re-derived against them).
    pub fn set_advisory_digests(
        &self,
        digests: &mut dyn Iterator<Item = ((String, String), Vec<u8>)>,
    ) -> Result<()> {
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute("DELETE FROM advisory_keys", []).map_err(e)?;
            let mut st = tx
                .prepare("INSERT INTO advisory_keys(ecosystem, name, digest) VALUES (?1, ?2, ?3)")
                .map_err(e)?;
            for ((eco, name), d) in digests {
                st.execute(params![eco, name, d]).map_err(e)?;
            }
            Ok(())
        })
    }

    /// The resources (account, region, id) whose inventory was looked up under any of `keys`:
    /// one pass over the resources' key sets (sorted 64-bit key hashes, about a kilobyte per
    /// resource), tens of milliseconds for 10,000 resources. A hash collision can only add a
    /// resource, which the caller's own filter on its packages then leaves alone.
    pub fn resources_with_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<(String, String, String)>> {
        let wanted: std::collections::HashSet<u64> =
            keys.iter().map(|(e, n)| key_hash(e, n)).collect();
        self.with(|c| {
            let mut st = c.prepare_cached(
                // images outside their rescan window and excluded resources are not monitored (a rescan
                // brings them back)
                "SELECT account, region, id, key_hashes FROM resources
                 WHERE key_hashes IS NOT NULL
                   AND coalesce(scan_status, '') NOT IN ('SCAN_ELIGIBILITY_EXPIRED', 'EXCLUDED_BY_TAG')",
            )?;
            let mut rows = st.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let hashes = r.get_ref(3)?.as_blob().unwrap_or_default();
                let hit = hashes.chunks_exact(8).any(|c| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    wanted.contains(&u64::from_le_bytes(b))
                });
                if hit {
                    out.push((r.get(0)?, r.get(1)?, r.get(2)?));
                }
            }
            Ok(out)
        })
    }

    /// A resource's record and stored inventory (decompressed), if the store has both.
    pub fn resource_inventory(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Result<Option<(ResourceRecord, Vec<u8>)>> {
        type Row = (String, Option<String>, Option<String>, Option<Vec<u8>>);
        let row: Option<Row> = self.with(|c| {
            c.query_row(
                "SELECT type, tags, details, inventory FROM resources WHERE account = ?1 AND region = ?2 AND id = ?3",
                params![account, region, id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
        })?;
        let Some((kind, tags, details, Some(inventory))) = row else {
            return Ok(None);
        };
        let inventory = zstd::decode_all(&inventory[..]).map_err(|e| Error::Io {
            path: format!("inventory of resource {id}"),
            source: e,
        })?;
        Ok(Some((
            ResourceRecord {
                kind,
                id: id.to_owned(),
                region: region.to_owned(),
                tags: tags
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default(),
                details: details.and_then(|d| serde_json::from_str(&d).ok()),
            },
            inventory,
        )))
    }

    /// Deletes a resource (terminated host, image deleted from its registry, function
    /// removed): its record and inventory go, every finding on it that is not closed yet is
    /// CLOSED with the history reason "resource deleted". The findings themselves stay (audit,
    /// MTTR); should the resource come back, a scan reopens what it still has. Returns how
    /// many findings were closed.
    pub fn delete_resource(
        &self,
        account: &str,
        region: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let n = tx
                .execute(
                    "DELETE FROM resources WHERE account = ?1 AND region = ?2 AND id = ?3",
                    params![account, region, id],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::NotFound(format!(
                    "resource {id} does not exist in {region}"
                )));
            }
            close_open_findings(tx, account, region, id, &at, "resource deleted").map_err(e)
        })
    }

    /// Findings of an account, pre-filtered by the query's equality lists, then by `keep`,
    /// each with its lifecycle fields (status, timestamps, suppression) merged in.
    pub fn findings(&self, q: &FindingQuery, keep: &dyn Fn(&Value) -> bool) -> Result<Vec<Value>> {
        self.findings_after(q, None, keep)
    }

    /// [`Store::findings`] from the first ARN after `after` on (in ARN order); with
    /// `q.page = Some((0, n))` at most `n` rows are read, so a caller can walk every finding
    /// in pages of bounded size (keyset pagination: each page costs the same).
    pub(crate) fn findings_after(
        &self,
        q: &FindingQuery,
        after: Option<&str>,
        keep: &dyn Fn(&Value) -> bool,
    ) -> Result<Vec<Value>> {
        // Resource lists are the most selective pre-filter; without statistics SQLite would
        // rather walk the ARN index for its order, so say which index to use.
        let index = if !q.resource_ids.is_empty() && q.arns.is_empty() {
            " INDEXED BY findings_by_resource"
        } else {
            ""
        };
        let (mut sql, mut args) = finding_select(q, index);
        if let Some(a) = after {
            args.push(a.to_owned());
            sql.push_str(&format!(" AND f.arn > ?{}", args.len()));
        }
        sql.push_str(" ORDER BY f.arn");
        if let Some((offset, limit)) = q.page {
            sql.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
        }
        let rows: Vec<StoredRow> = self.with(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map(rusqlite::params_from_iter(args.iter()), StoredRow::read)?;
            rows.collect()
        })?;
        let mut out = Vec::new();
        for row in rows {
            let v = row.into_finding()?;
            if keep(&v) {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Findings of the query in `order` (ties by ARN), filtered by `keep` (its needles tested on
    /// the stored text first, then its test on the finding): the `take` after
    /// the first `skip` kept ones, and whether more follow. Rows are read from SQL in order
    /// and stop once the page is full, so a first page costs the page, not the account's
    /// whole set of findings (when `keep` is `None` the skipped rows are not even read).
    pub fn findings_ordered(
        &self,
        q: &FindingQuery,
        order: FindingOrder,
        descending: bool,
        keep: Option<&Compiled>,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<Value>, bool)> {
        // An equality list on an indexed column is more selective than walking the order's
        // index (without statistics SQLite would rather walk the order).
        let index = if !q.vulnerability_ids.is_empty() && q.arns.is_empty() {
            " INDEXED BY findings_by_vulnerability"
        } else if !q.resource_ids.is_empty() && q.arns.is_empty() {
            " INDEXED BY findings_by_resource"
        } else {
            ""
        };
        let (mut sql, args) = finding_select(q, index);
        sql.push_str(" ORDER BY ");
        sql.push_str(&order.sql(descending));
        if keep.is_none() {
            sql.push_str(&format!(" LIMIT {} OFFSET {skip}", take.saturating_add(1)));
        }
        // Store errors (a stored body that does not parse) ride out of the SQL closure inside
        // its Ok.
        self.with(|c| {
            let mut st = c.prepare(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
            let mut out = Vec::new();
            let mut skipped = 0usize;
            while let Some(r) = rows.next()? {
                let row = StoredRow::read(r)?;
                // the stored text's pre-test skips most non-matching rows unparsed
                if keep.is_some_and(|k| !k.could_match(&row.body)) {
                    continue;
                }
                let v = match row.into_finding() {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                };
                if let Some(keep) = keep {
                    if !(keep.test)(&v) {
                        continue;
                    }
                    if skipped < skip {
                        skipped += 1;
                        continue;
                    }
                }
                if out.len() == take {
                    return Ok(Ok((out, true)));
                }
                out.push(v);
            }
            Ok(Ok((out, false)))
        })?
    }

    /// A finding's lifecycle history, oldest first.
    pub fn history(&self, account: &str, arn: &str) -> Result<Vec<Transition>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT h.at, h.from_status, h.to_status, h.reason FROM finding_history h
                 JOIN findings f ON f.arn = h.arn WHERE h.arn = ?1 AND f.account = ?2 ORDER BY h.id",
            )?;
            let rows = st.query_map(params![arn, account], |r| {
                Ok(Transition {
                    at: r.get(0)?,
                    from: r.get(1)?,
                    to: r.get(2)?,
                    reason: r.get(3)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The account's resources (optionally of one region), with their last scan, in id order.
    pub fn resources(&self, account: &str, region: Option<&str>) -> Result<Vec<StoredResource>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT region, id, type, tags, details, scanned_at, scan_status, heartbeat_at FROM resources
                 WHERE account = ?1 AND (?2 IS NULL OR region = ?2) ORDER BY region, id",
            )?;
            let rows = st.query_map(params![account, region], |r| {
                let tags: String = r.get(3)?;
                let details: Option<String> = r.get(4)?;
                Ok(StoredResource {
                    account: account.to_owned(),
                    resource: ResourceRecord {
                        region: r.get(0)?,
                        id: r.get(1)?,
                        kind: r.get(2)?,
                        tags: serde_json::from_str(&tags).unwrap_or_default(),
                        details: details.and_then(|d| serde_json::from_str(&d).ok()),
                    },
                    scanned_at: r.get(5)?,
                    scan_status: r.get(6)?,
                    heartbeat_at: r.get(7)?,
                })
            })?;
            rows.collect()
        })
    }

    // --- filters -----------------------------------------------------------------------------

    pub fn create_filter(
        &self,
        account: &str,
        region: &str,
        spec: FilterSpec,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<String> {
        let at = timestamp(now);
        let id = keys::random_hex(16)?;
        let arn = format!("arn:aws:inspector2:{region}:{account}:owner/{account}/filter/{id}");
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![account, at],
            )
            .map_err(e)?;
            let taken: bool = tx
                .query_row(
                    "SELECT COUNT(*) FROM filters WHERE account = ?1 AND name = ?2",
                    params![account, spec.name],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(e)?
                > 0;
            if taken {
                return Err(Error::Conflict(format!(
                    "a filter named `{}` already exists",
                    spec.name
                )));
            }
            tx.execute(
                "INSERT INTO filters(arn, account, name, action, criteria, description, reason, expires_at, tags, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                params![
                    arn, account, spec.name, spec.action, spec.criteria.to_string(), spec.description,
                    spec.reason, spec.expires_at, serde_json::to_string(&spec.tags).unwrap_or_default(), at
                ],
            )
            .map_err(e)?;
            reevaluate(tx, account, &at, matches, &format!("suppression rule {arn} created"), Scope::MatchedBy(&arn)).map_err(e)?;
            Ok(())
        })?;
        Ok(arn)
    }

    pub fn update_filter(
        &self,
        account: &str,
        arn: &str,
        update: &dyn Fn(&mut FilterRecord),
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<FilterRecord> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let mut f = load_filter(tx, account, arn)
                .map_err(e)?
                .ok_or_else(|| Error::NotFound(format!("filter {arn} does not exist")))?;
            update(&mut f);
            f.updated_at = at.clone();
            let clash: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM filters WHERE account = ?1 AND name = ?2 AND arn != ?3",
                    params![account, f.name, arn],
                    |r| r.get(0),
                )
                .map_err(e)?;
            if clash > 0 {
                return Err(Error::Conflict(format!("a filter named `{}` already exists", f.name)));
            }
            tx.execute(
                "UPDATE filters SET name = ?2, action = ?3, criteria = ?4, description = ?5, reason = ?6, expires_at = ?7, updated_at = ?8 WHERE arn = ?1",
                params![arn, f.name, f.action, f.criteria.to_string(), f.description, f.reason, f.expires_at, at],
            )
            .map_err(e)?;
            // what it suppressed may return to ACTIVE (or move to another rule); what it matches
            // now may become SUPPRESSED
            let reason = format!("suppression rule {arn} updated");
            reevaluate(tx, account, &at, matches, &reason, Scope::SuppressedBy(&[arn.to_owned()])).map_err(e)?;
            reevaluate(tx, account, &at, matches, &reason, Scope::MatchedBy(arn)).map_err(e)?;
            Ok(f)
        })
    }

    pub fn delete_filter(
        &self,
        account: &str,
        arn: &str,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<()> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let n = tx
                .execute(
                    "DELETE FROM filters WHERE arn = ?1 AND account = ?2",
                    params![arn, account],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::NotFound(format!("filter {arn} does not exist")));
            }
            reevaluate(
                tx,
                account,
                &at,
                matches,
                &format!("suppression rule {arn} deleted"),
                Scope::SuppressedBy(&[arn.to_owned()]),
            )
            .map_err(e)?;
            Ok(())
        })
    }

    /// Creates or updates filters by name, all in one transaction (all or nothing): a filter
    /// named like a spec is updated when its action, criteria, description, reason, expiry or
    /// tags differ, left alone when they are the same, created when there is none. Findings
    /// are re-evaluated against what changed. Answers each spec's ARN and what happened.
    pub fn upsert_filters(
        &self,
        account: &str,
        region: &str,
        specs: Vec<FilterSpec>,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<Vec<(String, Upsert)>> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![account, at],
            )
            .map_err(e)?;
            let mut out = Vec::with_capacity(specs.len());
            for spec in specs {
                let existing: Option<String> = tx
                    .query_row(
                        "SELECT arn FROM filters WHERE account = ?1 AND name = ?2",
                        params![account, spec.name],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(e)?;
                let tags = serde_json::to_string(&spec.tags).unwrap_or_default();
                match existing {
                    None => {
                        let arn = format!(
                            "arn:aws:inspector2:{region}:{account}:owner/{account}/filter/{}",
                            keys::random_hex(16)?
                        );
                        tx.execute(
                            "INSERT INTO filters(arn, account, name, action, criteria, description, reason, expires_at, tags, created_at, updated_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                            params![
                                arn, account, spec.name, spec.action, spec.criteria.to_string(), spec.description,
                                spec.reason, spec.expires_at, tags, at
                            ],
                        )
                        .map_err(e)?;
                        out.push((arn, Upsert::Created));
                    }
                    Some(arn) => {
                        let Some(f) = load_filter(tx, account, &arn).map_err(e)? else {
                            return Err(Error::NotFound(format!("filter {arn} does not exist")));
                        };
                        let same = f.action == spec.action
                            && f.criteria == spec.criteria
                            && f.description == spec.description
                            && f.reason == spec.reason
                            && f.expires_at == spec.expires_at
                            && f.tags == spec.tags;
                        if same {
                            out.push((arn, Upsert::Unchanged));
                            continue;
                        }
                        tx.execute(
                            "UPDATE filters SET action = ?2, criteria = ?3, description = ?4, reason = ?5, expires_at = ?6, tags = ?7, updated_at = ?8 WHERE arn = ?1",
                            params![arn, spec.action, spec.criteria.to_string(), spec.description, spec.reason, spec.expires_at, tags, at],
                        )
                        .map_err(e)?;
                        out.push((arn, Upsert::Updated));
                    }
                }
            }
            // the findings re-evaluated once for all the rules written (a pass per rule is
            // quadratic for a VEX document of hundreds of statements)
            let updated: Vec<String> = out
                .iter()
                .filter(|(_, o)| *o == Upsert::Updated)
                .map(|(a, _)| a.clone())
                .collect();
            let written: Vec<String> = out
                .iter()
                .filter(|(_, o)| *o != Upsert::Unchanged)
                .map(|(a, _)| a.clone())
                .collect();
            if !written.is_empty() {
                let reason = match written.as_slice() {
                    [one] if updated.is_empty() => format!("suppression rule {one} created"),
                    [one] => format!("suppression rule {one} updated"),
                    many => format!("{} suppression rules created or updated", many.len()),
                };
                reevaluate(tx, account, &at, matches, &reason, Scope::SuppressedBy(&updated)).map_err(e)?;
                reevaluate(tx, account, &at, matches, &reason, Scope::MatchedByAny(&written)).map_err(e)?;
            }
            Ok(out)
        })
    }

    pub fn filters(&self, account: &str) -> Result<Vec<FilterRecord>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT arn FROM filters WHERE account = ?1 ORDER BY created_at, arn",
            )?;
            let arns: Vec<String> = st
                .query_map([account], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for a in arns {
                if let Some(f) = load_filter(c, account, &a)? {
                    out.push(f);
                }
            }
            Ok(out)
        })
    }

    /// How many findings each of an account's suppression rules suppresses now.
    pub fn suppressed_counts(
        &self,
        account: &str,
    ) -> Result<std::collections::HashMap<String, u64>> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT suppressed_by, count(*) FROM findings INDEXED BY findings_by_suppressor
                 WHERE account = ?1 AND suppressed_by IS NOT NULL AND status = 'SUPPRESSED'
                 GROUP BY suppressed_by",
            )?
            .query_map([account], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect()
        })
    }

    /// Re-applies suppression rules at `now`: rules past their expiry stop suppressing, and
    /// their findings return to ACTIVE (or to another rule). Returns how many findings changed.
    pub fn expire_rules(
        &self,
        account: &str,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<u64> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            // the expired rules that still suppress something: usually none, answered by index
            let mut st = tx
                .prepare_cached(
                    "SELECT DISTINCT f.suppressed_by FROM filters fl
                     JOIN findings f INDEXED BY findings_by_suppressor
                       ON f.account = fl.account AND f.suppressed_by = fl.arn
                     WHERE fl.account = ?1 AND fl.expires_at IS NOT NULL AND fl.expires_at <= ?2",
                )
                .map_err(e)?;
            let expired: Vec<String> = st
                .query_map(params![account, at], |r| r.get(0))
                .map_err(e)?
                .collect::<rusqlite::Result<_>>()
                .map_err(e)?;
            if expired.is_empty() {
                return Ok(0);
            }
            reevaluate(
                tx,
                account,
                &at,
                matches,
                "suppression rule expired",
                Scope::SuppressedBy(&expired),
            )
            .map_err(e)
        })
    }

    // --- account enablement and configuration ------------------------------------------------

    /// The account's scan status in a region for every resource type in [`SCAN_TYPES`] order:
    /// the region's stored status where one was set, else the account-wide one (region `*`,
    /// set by an organization's auto-enable), else the default ([`DEFAULT_ENABLED_SCAN_TYPES`]
    /// ENABLED, the rest DISABLED).
    pub fn scan_types(&self, account: &str, region: &str) -> Result<Vec<(String, String)>> {
        let stored: std::collections::BTreeMap<String, String> = self.with(|c| {
            let mut st = c.prepare_cached(
                // the region's own row sorts after the `*` one and so wins
                "SELECT resource_type, status FROM account_scan_types
                 WHERE account = ?1 AND region IN ('*', ?2) ORDER BY region = ?2",
            )?;
            let rows = st.query_map([account, region], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        Ok(SCAN_TYPES
            .iter()
            .map(|t| {
                let status = stored.get(*t).cloned().unwrap_or_else(|| {
                    if DEFAULT_ENABLED_SCAN_TYPES.contains(t) {
                        "ENABLED".to_owned()
                    } else {
                        "DISABLED".to_owned()
                    }
                });
                ((*t).to_owned(), status)
            })
            .collect())
    }

    /// Sets `status` (`ENABLED` or `DISABLED`) in a region for the given resource types of an
    /// existing account, answering the account's status there for every type afterwards.
    pub fn set_scan_types(
        &self,
        account: &str,
        region: &str,
        types: &[&str],
        status: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, String)>> {
        if let Some(t) = types.iter().find(|t| !SCAN_TYPES.contains(t)) {
            return Err(Error::Invalid(format!("unknown resource type `{t}`")));
        }
        if !matches!(status, "ENABLED" | "DISABLED") {
            return Err(Error::Invalid(format!("unknown scan status `{status}`")));
        }
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            require_account(tx, account)
                .map_err(e)?
                .ok_or_else(|| Error::NotFound(format!("account {account} does not exist")))?;
            for t in types {
                tx.execute(
                    "INSERT INTO account_scan_types(account, region, resource_type, status, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(account, region, resource_type)
                     DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                    params![account, region, t, status, at],
                )
                .map_err(e)?;
            }
            Ok(())
        })?;
        self.scan_types(account, region)
    }

    /// The account's stored scan configuration (a JSON object the server defines), if set.
    pub fn configuration(&self, account: &str) -> Result<Option<Value>> {
        let body: Option<String> = self.with(|c| {
            c.prepare_cached("SELECT body FROM account_configuration WHERE account = ?1")?
                .query_row([account], |r| r.get(0))
                .optional()
        })?;
        body.map(|b| {
            serde_json::from_str(&b)
                .map_err(|e| Error::Invalid(format!("stored configuration is not JSON: {e}")))
        })
        .transpose()
    }

    /// Replaces the account's scan configuration.
    pub fn set_configuration(
        &self,
        account: &str,
        body: &Value,
        now: OffsetDateTime,
    ) -> Result<()> {
        if !body.is_object() {
            return Err(Error::Invalid("configuration must be a JSON object".into()));
        }
        let at = timestamp(now);
        let text = body.to_string();
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            require_account(tx, account).map_err(e)?.ok_or_else(|| {
                Error::NotFound(format!("account {account} does not exist"))
            })?;
            tx.execute(
                "INSERT INTO account_configuration(account, body, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(account) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                params![account, text, at],
            )
            .map_err(e)?;
            Ok(())
        })
    }
}

impl Store {
    /// Records a host agent's heartbeat on a host (an `AWS_EC2_INSTANCE` resource) the
    /// account has in `region`.
    pub fn heartbeat(
        &self,
        account: &str,
        region: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<String> {
        let at = timestamp(now);
        let path = self.path.clone();
        let n = self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let n = tx
                .prepare_cached(
                    "UPDATE resources SET heartbeat_at = ?4
                     WHERE account = ?1 AND region = ?2 AND id = ?3 AND type = 'AWS_EC2_INSTANCE'",
                )
                .map_err(e)?
                .execute(params![account, region, id, at])
                .map_err(e)?;
            if n > 0 {
                // a live agent keeps its host covered
                usage::meter(
                    tx,
                    account,
                    region,
                    "AWS_EC2_INSTANCE",
                    id,
                    &at,
                    usage::Meter::Seen,
                )
                .map_err(e)?;
            }
            Ok(n)
        })?;
        if n == 0 {
            return Err(Error::NotFound(format!(
                "host {id} does not exist in {region}: an agent registers it by sending an inventory"
            )));
        }
        Ok(at)
    }

    /// The account's EC2 deep-inspection configuration, if it was ever set.
    pub fn deep_inspection(&self, account: &str) -> Result<Option<DeepInspection>> {
        let row: Option<(String, String)> = self.with(|c| {
            c.prepare_cached(
                "SELECT status, package_paths FROM deep_inspection WHERE account = ?1",
            )?
            .query_row([account], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
        })?;
        row.map(|(status, paths)| {
            let package_paths = serde_json::from_str(&paths).map_err(|e| {
                Error::Invalid(format!(
                    "stored deep-inspection paths of `{account}` are not a JSON list: {e}"
                ))
            })?;
            Ok(DeepInspection {
                status,
                package_paths,
            })
        })
        .transpose()
    }

    /// Replaces the account's EC2 deep-inspection configuration.
    pub fn set_deep_inspection(
        &self,
        account: &str,
        config: &DeepInspection,
        now: OffsetDateTime,
    ) -> Result<()> {
        let at = timestamp(now);
        let paths = serde_json::to_string(&config.package_paths)
            .map_err(|e| Error::Invalid(format!("deep-inspection paths: {e}")))?;
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            require_account(tx, account).map_err(e)?.ok_or_else(|| {
                Error::NotFound(format!("account {account} does not exist"))
            })?;
            tx.execute(
                "INSERT INTO deep_inspection(account, status, package_paths, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(account) DO UPDATE SET status = excluded.status,
                   package_paths = excluded.package_paths, updated_at = excluded.updated_at",
                params![account, config.status, paths, at],
            )
            .map_err(e)?;
            Ok(())
        })
    }
}

/// `Some(())` when the account exists.
fn require_account(c: &Connection, account: &str) -> rusqlite::Result<Option<()>> {
    c.query_row(
        "SELECT 1 FROM accounts WHERE id = ?1",
        [account],
        |_| Ok(()),
    )
    .optional()
}

/// A finding row as `findings` reads it.
struct StoredRow {
    arn: String,
    status: String,
    first: String,
    last: String,
    updated: String,
    suppressed_by: Option<String>,
    body: String,
    account: String,
    reason: Option<String>,
}

impl StoredRow {
    /// A row of [`finding_select`]'s columns.
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRow> {
        Ok(StoredRow {
            arn: r.get(0)?,
            status: r.get(1)?,
            first: r.get(2)?,
            last: r.get(3)?,
            updated: r.get(4)?,
            suppressed_by: r.get(5)?,
            body: r.get(6)?,
            account: r.get(7)?,
            reason: r.get(8)?,
        })
    }

    /// The finding as the API shows it: the stored body with the lifecycle fields merged in.
    fn into_finding(self) -> Result<Value> {
        let StoredRow {
            arn,
            status,
            first,
            last,
            updated,
            suppressed_by: by,
            body,
            account,
            reason,
        } = self;
        let mut v: Value = serde_json::from_str(&body)
            .map_err(|e| Error::Invalid(format!("finding {arn}: stored body: {e}")))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("findingArn".into(), Value::String(arn));
            o.insert("awsAccountId".into(), Value::String(account));
            o.insert("status".into(), Value::String(status));
            o.insert("firstObservedAt".into(), Value::String(first));
            o.insert("lastObservedAt".into(), Value::String(last));
            o.insert("updatedAt".into(), Value::String(updated));
            if let Some(by) = by
                && let Some(vigil) = o.get_mut("vigil").and_then(Value::as_object_mut)
            {
                vigil.insert(
                    "suppression".into(),
                    serde_json::json!({"filterArn": by, "reason": reason}),
                );
            }
        }
        Ok(v)
    }
}

/// The columns of a finding the store indexes.
struct Columns {
    severity: String,
    score: Option<f64>,
    kind: String,
    vulnerability_id: Option<String>,
    title: Option<String>,
}

impl Columns {
    fn of(f: &Value) -> Columns {
        let s = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_owned);
        Columns {
            severity: s("severity").unwrap_or_else(|| "UNTRIAGED".into()),
            score: f.get("inspectorScore").and_then(Value::as_f64),
            kind: s("type").unwrap_or_else(|| "PACKAGE_VULNERABILITY".into()),
            vulnerability_id: f
                .pointer("/packageVulnerabilityDetails/vulnerabilityId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            title: s("title"),
        }
    }
}

/// The SELECT of [`Store::findings_after`] and [`Store::findings_ordered`] with the query's
/// pre-filters (no order, no limit), and its arguments.
fn finding_select(q: &FindingQuery, index: &str) -> (String, Vec<String>) {
    let mut sql = format!(
        "SELECT f.arn, f.status, f.first_observed_at, f.last_observed_at, f.updated_at, f.suppressed_by,
                f.body, f.account, fl.reason
         FROM findings f{index} LEFT JOIN filters fl ON fl.arn = f.suppressed_by
         WHERE f.account IN ({})",
        (1..=1 + q.member_accounts.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut args: Vec<String> = vec![q.account.clone()];
    args.extend(q.member_accounts.iter().cloned());
    if let Some(r) = &q.region {
        args.push(r.clone());
        sql.push_str(&format!(" AND f.region = ?{}", args.len()));
    }
    for (col, list) in [
        ("f.status", &q.statuses),
        ("f.severity", &q.severities),
        ("f.resource_id", &q.resource_ids),
        ("f.arn", &q.arns),
        ("f.vulnerability_id", &q.vulnerability_ids),
    ] {
        if list.is_empty() {
            continue;
        }
        let marks: Vec<String> = list
            .iter()
            .map(|v| {
                args.push(v.clone());
                format!("?{}", args.len())
            })
            .collect();
        sql.push_str(&format!(" AND {col} IN ({})", marks.join(", ")));
    }
    (sql, args)
}

/// The lifecycle fields are the store's, not the submitter's.
fn strip_lifecycle(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        for k in ["status", "firstObservedAt", "lastObservedAt", "updatedAt"] {
            o.remove(k);
        }
    }
}

/// A key's 64-bit hash in resources' key sets.
fn key_hash(ecosystem: &str, name: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::new()
        .chain_update(ecosystem.as_bytes())
        .chain_update([0])
        .chain_update(name.as_bytes())
        .finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

/// A resource's key set: its keys' hashes, sorted, little-endian.
fn key_hashes(keys: &[(String, String)]) -> Vec<u8> {
    let mut h: Vec<u64> = keys.iter().map(|(e, n)| key_hash(e, n)).collect();
    h.sort_unstable();
    h.dedup();
    h.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A stored finding as filters see it: its body with the lifecycle members put back.
fn probe(body: &Value, status: &str, first: &str, last: &str, updated: &str) -> Value {
    let mut v = body.clone();
    if let Some(o) = v.as_object_mut() {
        o.insert("status".into(), Value::String(status.into()));
        o.insert("firstObservedAt".into(), Value::String(first.into()));
        o.insert("lastObservedAt".into(), Value::String(last.into()));
        o.insert("updatedAt".into(), Value::String(updated.into()));
    }
    v
}

/// Closes a resource's open findings, recording `reason` in each one's history; answers how
/// many were closed.
pub(crate) fn close_open_findings(
    tx: &Transaction,
    account: &str,
    region: &str,
    id: &str,
    at: &str,
    reason: &str,
) -> rusqlite::Result<u64> {
    let open: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT arn, status FROM findings INDEXED BY findings_by_resource
             WHERE account = ?1 AND region = ?2 AND resource_id = ?3 AND status != 'CLOSED'",
        )?
        .query_map(params![account, region, id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (arn, status) in &open {
        tx.prepare_cached("UPDATE findings SET status = 'CLOSED', updated_at = ?2 WHERE arn = ?1")?
            .execute(params![arn, at])?;
        history(tx, arn, at, Some(status), "CLOSED", reason)?;
    }
    Ok(open.len() as u64)
}

fn history(
    tx: &Transaction,
    arn: &str,
    at: &str,
    from: Option<&str>,
    to: &str,
    reason: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO finding_history(arn, at, from_status, to_status, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![arn, at, from, to, reason])?;
    Ok(())
}

/// The account's SUPPRESS rules in force at `at`: (arn, criteria).
fn active_rules(c: &Connection, account: &str, at: &str) -> rusqlite::Result<Vec<(String, Value)>> {
    let mut st = c.prepare_cached(
        "SELECT arn, criteria FROM filters WHERE account = ?1 AND action = 'SUPPRESS'
           AND (expires_at IS NULL OR expires_at > ?2) ORDER BY created_at, arn",
    )?;
    let rows = st.query_map(params![account, at], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (arn, criteria) = row?;
        out.push((arn, serde_json::from_str(&criteria).unwrap_or(Value::Null)));
    }
    Ok(out)
}

/// The account's active suppression rules in order (the first that matches suppresses),
/// compiled.
fn compiled_rules(
    c: &Connection,
    account: &str,
    at: &str,
    matches: Matcher<'_>,
) -> rusqlite::Result<Vec<(String, Compiled)>> {
    Ok(active_rules(c, account, at)?
        .into_iter()
        .map(|(arn, criteria)| (arn, matches(&criteria)))
        .collect())
}

/// Which findings a re-evaluation looks at.
enum Scope<'a> {
    /// Those this rule matches (it was created, or its criteria changed): nothing else can
    /// become suppressed by it.
    MatchedBy(&'a str),
    /// Only the findings these rules suppress (the rules were deleted, expired or changed:
    /// nothing else can return to ACTIVE).
    SuppressedBy(&'a [String]),
    /// Those one of these rules matches (rules created or changed together), in one pass.
    MatchedByAny(&'a [String]),
}

/// Findings are re-evaluated in batches of this many rows (keyset on rowid), so that memory
/// stays bounded however many findings an account has.
const REEVALUATE_BATCH: i64 = 2048;

/// Applies the account's rules, in order, to the non-closed findings in `scope`: a finding
/// the first matching rule suppresses is SUPPRESSED by it, one no rule matches is ACTIVE.
/// Every status change is recorded with `reason`. Returns how many findings changed.
fn reevaluate(
    tx: &Transaction,
    account: &str,
    at: &str,
    matches: Matcher<'_>,
    reason: &str,
    scope: Scope<'_>,
) -> rusqlite::Result<u64> {
    struct Row {
        rowid: i64,
        arn: String,
        status: String,
        by: Option<String>,
        first: String,
        last: String,
        updated: String,
        body: String,
    }
    let read = |r: &rusqlite::Row<'_>| {
        Ok(Row {
            rowid: r.get(0)?,
            arn: r.get(1)?,
            status: r.get(2)?,
            by: r.get(3)?,
            first: r.get(4)?,
            last: r.get(5)?,
            updated: r.get(6)?,
            body: r.get(7)?,
        })
    };
    const COLS: &str =
        "rowid, arn, status, suppressed_by, first_observed_at, last_observed_at, updated_at, body";
    let rules = compiled_rules(tx, account, at, matches)?;
    let mut changed = 0;
    // `only`: look at the findings one of these rules matches (none: every row given)
    let mut apply = |batch: &[Row], only: &[&Compiled]| -> rusqlite::Result<()> {
        for row in batch {
            if !only.is_empty() && !only.iter().any(|rule| rule.could_match(&row.body)) {
                continue;
            }
            let body: Value = serde_json::from_str(&row.body).unwrap_or(Value::Null);
            let probe = probe(&body, "ACTIVE", &row.first, &row.last, &row.updated);
            if !only.is_empty() && !only.iter().any(|rule| (rule.test)(&probe)) {
                continue;
            }
            let now_by = rules
                .iter()
                .find(|(_, rule)| rule.could_match(&row.body) && (rule.test)(&probe))
                .map(|(a, _)| a.clone());
            let new_status = if now_by.is_some() {
                "SUPPRESSED"
            } else {
                "ACTIVE"
            };
            if new_status != row.status || now_by != row.by {
                tx.prepare_cached(
                    "UPDATE findings SET status = ?2, suppressed_by = ?3, updated_at = ?4 WHERE arn = ?1",
                )?
                .execute(params![row.arn, new_status, now_by, at])?;
                if new_status != row.status {
                    history(tx, &row.arn, at, Some(&row.status), new_status, reason)?;
                }
                changed += 1;
            }
        }
        Ok(())
    };
    match scope {
        Scope::MatchedBy(_) | Scope::MatchedByAny(_) => {
            let wanted: &[&str] = match &scope {
                Scope::MatchedBy(arn) => std::slice::from_ref(arn),
                _ => &[],
            };
            let selected: Vec<&Compiled> = rules
                .iter()
                .filter(|(a, _)| match &scope {
                    Scope::MatchedByAny(arns) => arns.iter().any(|x| x == a),
                    _ => wanted.contains(&a.as_str()),
                })
                .map(|(_, rule)| rule)
                .collect();
            if selected.is_empty() {
                return Ok(0); // no active suppression rule (action NONE, or expired)
            }
            let mut st = tx.prepare(&format!(
                "SELECT {COLS} FROM findings NOT INDEXED
                 WHERE account = ?1 AND status != 'CLOSED' AND rowid > ?2 ORDER BY rowid LIMIT ?3"
            ))?;
            let mut after = 0i64;
            loop {
                let batch: Vec<Row> = st
                    .query_map(params![account, after, REEVALUATE_BATCH], read)?
                    .collect::<rusqlite::Result<_>>()?;
                let Some(last) = batch.last() else { break };
                after = last.rowid;
                apply(&batch, &selected)?;
            }
        }
        Scope::SuppressedBy(suppressors) => {
            let mut st = tx.prepare(&format!(
                "SELECT {COLS} FROM findings INDEXED BY findings_by_suppressor
                 WHERE account = ?1 AND suppressed_by = ?2 AND status != 'CLOSED' AND rowid > ?3
                 ORDER BY rowid LIMIT ?4"
            ))?;
            for by in suppressors {
                let mut after = 0i64;
                loop {
                    let batch: Vec<Row> = st
                        .query_map(params![account, by, after, REEVALUATE_BATCH], read)?
                        .collect::<rusqlite::Result<_>>()?;
                    let Some(last) = batch.last() else { break };
                    after = last.rowid;
                    apply(&batch, &[])?;
                }
            }
        }
    }
    Ok(changed)
}

fn load_filter(c: &Connection, account: &str, arn: &str) -> rusqlite::Result<Option<FilterRecord>> {
    c.prepare_cached(
        "SELECT arn, account, name, action, criteria, description, reason, expires_at, tags, created_at, updated_at
         FROM filters WHERE arn = ?1 AND account = ?2",
    )?
    .query_row(params![arn, account], |r| {
        let criteria: String = r.get(4)?;
        let tags: Option<String> = r.get(8)?;
        Ok(FilterRecord {
            arn: r.get(0)?,
            owner_id: r.get(1)?,
            name: r.get(2)?,
            action: r.get(3)?,
            criteria: serde_json::from_str(&criteria).unwrap_or(Value::Null),
            description: r.get(5)?,
            reason: r.get(6)?,
            expires_at: r.get(7)?,
            tags: tags
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
            created_at: r.get(9)?,
            updated_at: r.get(10)?,
        })
    })
    .optional()
}

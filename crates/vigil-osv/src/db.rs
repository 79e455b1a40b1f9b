//! The embedded advisory database: one SQLite file.
//!
//! Layout: every advisory is stored once, as zstd-compressed JSON of the checked OSV record, and
//! indexed by `(ecosystem, normalised name)` for each `affected[]` package and by every id and
//! alias. Matching a scan therefore reads only the records for the packages it has, and never
//! parses the whole database. KEV, EPSS and NVD enrichment live in their own tables keyed by CVE.
//!
//! Updates are atomic: [`Import::begin`] copies the current file to a temporary file next to it,
//! changes are applied there, and [`Import::commit`] syncs it and renames it over the original,
//! so readers see either the old database or the new one, never a mix, and an interrupted import
//! leaves the old file untouched. Re-importing a source (same name) replaces its records.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;

use crate::Error;
use crate::ecosystem::index_key;
use crate::import::{self, EpssEntry, Format, Item, KevEntry, NvdEntry, Problem};
use crate::model::Advisory;

/// The database schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    formats TEXT NOT NULL,
    advisories INTEGER NOT NULL,
    enrichments INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT
);
CREATE TABLE IF NOT EXISTS advisories (
    rowid INTEGER PRIMARY KEY,
    source INTEGER NOT NULL,
    id TEXT NOT NULL,
    format TEXT NOT NULL,
    modified TEXT,
    withdrawn INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS advisories_source ON advisories(source);
CREATE TABLE IF NOT EXISTS affected (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, adv INTEGER NOT NULL,
    PRIMARY KEY (ecosystem, name, adv)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_name ON affected(name);
CREATE INDEX IF NOT EXISTS affected_adv ON affected(adv);
CREATE TABLE IF NOT EXISTS ids (
    id TEXT NOT NULL, adv INTEGER NOT NULL, PRIMARY KEY (id, adv)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ids_adv ON ids(adv);
CREATE TABLE IF NOT EXISTS kev (cve TEXT PRIMARY KEY, source INTEGER NOT NULL, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS epss (
    year INTEGER NOT NULL, num INTEGER NOT NULL, source INTEGER NOT NULL,
    score REAL NOT NULL, percentile REAL NOT NULL, PRIMARY KEY (year, num)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nvd (cve TEXT PRIMARY KEY, source INTEGER NOT NULL, entry TEXT NOT NULL);
";

/// The EPSS probabilities at which the Vigil score's exploitation adjustment changes: below the
/// first a finding is lowered, at or above the second raised.
pub const EPSS_THRESHOLDS: (f64, f64) = (0.01, 0.5);

/// Which side of [`EPSS_THRESHOLDS`] a probability is on (0 low, 1 between, 2 high): what a
/// re-evaluation compares, rather than the daily-changing value.
pub fn epss_bucket(score: f64) -> u8 {
    if score < EPSS_THRESHOLDS.0 {
        0
    } else if score < EPSS_THRESHOLDS.1 {
        1
    } else {
        2
    }
}

fn db_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Db {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// An advisory as stored, with where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct StoredAdvisory {
    /// The source's name (the path or URL it was imported from).
    pub source: String,
    /// The format the record was read in (`osv-json`, `debian-advisory-list`, ...).
    pub format: String,
    pub advisory: Advisory,
}

/// One source's entry in the database.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub name: String,
    /// `file` (imported from a path) or `feed` (downloaded by `vigil db update`).
    pub kind: String,
    pub formats: Vec<String>,
    pub advisories: u64,
    pub enrichments: u64,
    pub skipped: u64,
    pub imported_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// What `vigil db status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub path: String,
    pub schema_version: i64,
    pub built_at: String,
    pub built_by: String,
    pub advisories: u64,
    pub withdrawn: u64,
    pub packages: u64,
    pub ecosystems: Vec<(String, u64)>,
    pub kev: u64,
    pub epss: u64,
    pub nvd: u64,
    pub sources: Vec<SourceInfo>,
}

/// The advisory database, open for reading.
pub struct Database {
    conn: Connection,
    path: PathBuf,
    cache: Mutex<HashMap<i64, Arc<StoredAdvisory>>>,
    /// Indexed names per ecosystem, loaded on first use: most packages of a scan have no
    /// advisory at all, and a hash lookup answers that without a query.
    names: Mutex<HashMap<String, Arc<std::collections::HashSet<String>>>>,
    sources: HashMap<i64, (String, String)>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish()
    }
}

impl Database {
    /// Open an existing database read-only.
    pub fn open(path: &Path) -> Result<Database, Error> {
        if !path.is_file() {
            return Err(Error::Db {
                path: path.display().to_string(),
                message: "no database here; build one with `vigil db import` or `vigil db update`"
                    .into(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_err(path, e))?;
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(path, format!("not a Vigil advisory database ({e})")))?;
        match version.as_deref().and_then(|v| v.parse::<i64>().ok()) {
            Some(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(db_err(
                    path,
                    format!("schema version {v}; this build reads {SCHEMA_VERSION}: rebuild it"),
                ));
            }
            None => {
                return Err(db_err(
                    path,
                    "not a Vigil advisory database (no schema version)",
                ));
            }
        }
        let mut sources = HashMap::new();
        {
            let mut stmt = conn
                .prepare("SELECT id, name, kind FROM sources")
                .map_err(|e| db_err(path, e))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(|e| db_err(path, e))?;
            for row in rows {
                let (id, name, kind) = row.map_err(|e| db_err(path, e))?;
                sources.insert(id, (name, kind));
            }
        }
        Ok(Database {
            conn,
            path: path.to_owned(),
            cache: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
            sources,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self, rowid: i64) -> Result<Arc<StoredAdvisory>, Error> {
        if let Some(a) = self.cache.lock().ok().and_then(|c| c.get(&rowid).cloned()) {
            return Ok(a);
        }
        let (source, format, blob): (i64, String, Vec<u8>) = self
            .conn
            .prepare_cached("SELECT source, format, record FROM advisories WHERE rowid = ?1")
            .and_then(|mut s| s.query_row([rowid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
            .map_err(|e| db_err(&self.path, e))?;
        let json = zstd::bulk::decompress(&blob, 64 << 20)
            .map_err(|e| db_err(&self.path, format!("record {rowid} is corrupt: {e}")))?;
        let advisory: Advisory = serde_json::from_slice(&json)
            .map_err(|e| db_err(&self.path, format!("record {rowid} is corrupt: {e}")))?;
        let source = self
            .sources
            .get(&source)
            .map(|s| s.0.clone())
            .unwrap_or_default();
        let stored = Arc::new(StoredAdvisory {
            source,
            format,
            advisory,
        });
        if let Ok(mut c) = self.cache.lock() {
            c.insert(rowid, stored.clone());
        }
        Ok(stored)
    }

    fn load_all(&self, rowids: Vec<i64>) -> Result<Vec<Arc<StoredAdvisory>>, Error> {
        rowids.into_iter().map(|r| self.load(r)).collect()
    }

    /// Every advisory with an `affected[]` entry for this package (`ecosystem` as OSV writes it,
    /// e.g. `Debian:12`, `PyPI`; the name is normalised by the ecosystem's rules).
    pub fn advisories_for(
        &self,
        ecosystem: &str,
        name: &str,
    ) -> Result<Vec<Arc<StoredAdvisory>>, Error> {
        let (eco, name) = index_key(ecosystem, name);
        if !self.names_of(&eco)?.contains(&name) {
            return Ok(Vec::new());
        }
        let rowids = self
            .conn
            .prepare_cached("SELECT adv FROM affected WHERE ecosystem = ?1 AND name = ?2")
            .and_then(|mut s| {
                s.query_map(params![eco, name], |r| r.get::<_, i64>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| db_err(&self.path, e))?;
        self.load_all(rowids)
    }

    fn names_of(&self, ecosystem: &str) -> Result<Arc<std::collections::HashSet<String>>, Error> {
        if let Some(n) = self
            .names
            .lock()
            .ok()
            .and_then(|m| m.get(ecosystem).cloned())
        {
            return Ok(n);
        }
        let set: std::collections::HashSet<String> = self
            .conn
            .prepare_cached("SELECT DISTINCT name FROM affected WHERE ecosystem = ?1")
            .and_then(|mut s| {
                s.query_map([ecosystem], |r| r.get::<_, String>(0))?
                    .collect()
            })
            .map_err(|e| db_err(&self.path, e))?;
        let set = Arc::new(set);
        if let Ok(mut m) = self.names.lock() {
            m.insert(ecosystem.to_owned(), set.clone());
        }
        Ok(set)
    }

    /// Advisories whose id or alias is `id` (case-insensitive for CVE/GHSA ids).
    /// A digest of everything the matcher reads for each index key (ecosystem, normalised
    /// name): the key's records (id and stored record) and the KEV and NVD enrichment of
    /// their ids. Two databases give a key the same digest exactly when matching a package
    /// under that key gives the same findings (EPSS, which moves daily for every CVE, is left
    /// out: it refreshes at the next scan). Comparing two databases' digests tells which
    /// packages an update changed, so that only the resources holding them are re-matched.
    pub fn key_digests(&self) -> Result<HashMap<(String, String), [u8; 16]>, Error> {
        use sha2::{Digest, Sha256};
        let e = |x: rusqlite::Error| db_err(&self.path, x);
        // one digest per record: its source, id and bytes, then its enrichment
        let mut records: HashMap<i64, (String, Sha256)> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT a.rowid, a.id, a.record FROM advisories a")
                .map_err(e)?;
            let mut rows = st.query([]).map_err(e)?;
            while let Some(r) = rows.next().map_err(e)? {
                let rowid: i64 = r.get(0).map_err(e)?;
                let id: String = r.get(1).map_err(e)?;
                let record = r.get_ref(2).map_err(e)?.as_blob().map_err(|x| {
                    db_err(
                        &self.path,
                        format!("advisory {id}: record is not a blob ({x})"),
                    )
                })?;
                // the source's name (a path or URL) is left out: the same records imported
                // from elsewhere match the same way
                let mut h = Sha256::new();
                h.update(record);
                records.insert(rowid, (id, h));
            }
        }
        for table in ["kev", "nvd"] {
            let mut st = self
                .conn
                .prepare(&format!(
                    "SELECT i.adv, x.cve, x.entry FROM ids i JOIN {table} x ON x.cve = i.id ORDER BY i.adv, x.cve"
                ))
                .map_err(e)?;
            let mut rows = st.query([]).map_err(e)?;
            while let Some(r) = rows.next().map_err(e)? {
                let adv: i64 = r.get(0).map_err(e)?;
                let cve: String = r.get(1).map_err(e)?;
                let entry: String = r.get(2).map_err(e)?;
                if let Some((_, h)) = records.get_mut(&adv) {
                    h.update(table.as_bytes());
                    h.update(cve.as_bytes());
                    h.update([0]);
                    h.update(entry.as_bytes());
                }
            }
        }
        // EPSS by the bucket the Vigil score reads (its exact value changes daily; only a
        // crossing of a threshold changes a finding's score)
        {
            let mut st = self
                .conn
                .prepare(
                    "SELECT i.adv, i.id, e.score FROM ids i JOIN epss e
                       ON i.id LIKE 'CVE-%'
                      AND e.year = CAST(substr(i.id, 5, 4) AS INTEGER)
                      AND e.num = CAST(substr(i.id, 10) AS INTEGER)
                     ORDER BY i.adv, i.id",
                )
                .map_err(e)?;
            let mut rows = st.query([]).map_err(e)?;
            while let Some(r) = rows.next().map_err(e)? {
                let adv: i64 = r.get(0).map_err(e)?;
                let cve: String = r.get(1).map_err(e)?;
                let score: f64 = r.get(2).map_err(e)?;
                if let Some((_, h)) = records.get_mut(&adv) {
                    h.update(b"epss");
                    h.update(cve.as_bytes());
                    h.update([0, epss_bucket(score)]);
                }
            }
        }
        let records: HashMap<i64, (String, [u8; 32])> = records
            .into_iter()
            .map(|(k, (name, h))| (k, (name, h.finalize().into())))
            .collect();
        // one digest per key over its records, in a database-independent order
        let mut out = HashMap::new();
        let mut st = self
            .conn
            .prepare("SELECT ecosystem, name, adv FROM affected ORDER BY ecosystem, name")
            .map_err(e)?;
        let mut rows = st.query([]).map_err(e)?;
        let mut current: Option<(String, String)> = None;
        let mut members: Vec<&(String, [u8; 32])> = Vec::new();
        let mut flush = |key: Option<(String, String)>, members: &mut Vec<&(String, [u8; 32])>| {
            if let Some(key) = key {
                members.sort();
                let mut h = Sha256::new();
                for (name, digest) in members.iter() {
                    h.update(name.as_bytes());
                    h.update(digest);
                }
                let full: [u8; 32] = h.finalize().into();
                let mut d = [0u8; 16];
                d.copy_from_slice(&full[..16]);
                out.insert(key, d);
            }
            members.clear();
        };
        while let Some(r) = rows.next().map_err(e)? {
            let eco: String = r.get(0).map_err(e)?;
            let name: String = r.get(1).map_err(e)?;
            let adv: i64 = r.get(2).map_err(e)?;
            if current
                .as_ref()
                .is_none_or(|(ce, cn)| *ce != eco || *cn != name)
            {
                flush(current.take(), &mut members);
                current = Some((eco, name));
            }
            if let Some(m) = records.get(&adv) {
                members.push(m);
            }
        }
        flush(current.take(), &mut members);
        Ok(out)
    }

    pub fn advisories_by_id(&self, id: &str) -> Result<Vec<Arc<StoredAdvisory>>, Error> {
        let id = id.trim();
        let rowids = self
            .conn
            .prepare_cached("SELECT DISTINCT adv FROM ids WHERE id = ?1 OR id = ?2 OR id = ?3")
            .and_then(|mut s| {
                s.query_map(params![id, id.to_ascii_uppercase(), ghsa_case(id)], |r| {
                    r.get::<_, i64>(0)
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| db_err(&self.path, e))?;
        self.load_all(rowids)
    }

    /// `(ecosystem, indexed name, advisory count)` for packages whose normalised name equals
    /// `name` in any ecosystem.
    pub fn packages_named(&self, name: &str) -> Result<Vec<(String, String, u64)>, Error> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let candidates = [
            name.to_owned(),
            name.to_lowercase(),
            crate::ecosystem::normalize_name("PyPI", name),
            crate::ecosystem::normalize_name("crates.io", name),
        ];
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ecosystem, name, COUNT(*) FROM affected WHERE name = ?1 GROUP BY ecosystem, name")
            .map_err(|e| db_err(&self.path, e))?;
        for c in candidates {
            if !seen.insert(c.clone()) {
                continue;
            }
            let rows = stmt
                .query_map([&c], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(|e| db_err(&self.path, e))?;
            for row in rows {
                let (e, n, c) = row.map_err(|e| db_err(&self.path, e))?;
                if crate::ecosystem::normalize_name(&e, name) == n {
                    out.push((e, n, c as u64));
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    pub fn kev(&self, cve: &str) -> Result<Option<KevEntry>, Error> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT entry FROM kev WHERE cve = ?1")
            .and_then(|mut s| s.query_row([cve], |r| r.get(0)).optional())
            .map_err(|e| db_err(&self.path, e))?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| db_err(&self.path, e)))
            .transpose()
    }

    pub fn epss(&self, cve: &str) -> Result<Option<EpssEntry>, Error> {
        let Some(num) = import::enrich::parse_cve(cve) else {
            return Ok(None);
        };
        self.conn
            .prepare_cached("SELECT score, percentile FROM epss WHERE year = ?1 AND num = ?2")
            .and_then(|mut s| {
                s.query_row(params![num.0, num.1 as i64], |r| {
                    Ok(EpssEntry {
                        cve_num: num,
                        score: r.get(0)?,
                        percentile: r.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn nvd(&self, cve: &str) -> Result<Option<NvdEntry>, Error> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT entry FROM nvd WHERE cve = ?1")
            .and_then(|mut s| s.query_row([cve], |r| r.get(0)).optional())
            .map_err(|e| db_err(&self.path, e))?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| db_err(&self.path, e)))
            .transpose()
    }

    /// Counts, sources and build metadata.
    pub fn status(&self) -> Result<Status, Error> {
        status(&self.conn, &self.path)
    }
}

fn ghsa_case(id: &str) -> String {
    // GHSA ids are `GHSA-xxxx-xxxx-xxxx` with a lowercase body.
    match id.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("ghsa-") => {
            format!("GHSA-{}", id[5..].to_ascii_lowercase())
        }
        _ => id.to_owned(),
    }
}

fn status(conn: &Connection, path: &Path) -> Result<Status, Error> {
    let e = |x: rusqlite::Error| db_err(path, x);
    let meta = |k: &str| -> Result<String, Error> {
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .map_err(e)?
            .unwrap_or_default())
    };
    let count = |sql: &str| -> Result<u64, Error> {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(e)
    };
    let mut ecosystems = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT ecosystem, COUNT(DISTINCT adv) FROM affected GROUP BY ecosystem ORDER BY ecosystem")
            .map_err(e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(e)?;
        for r in rows {
            ecosystems.push(r.map_err(e)?);
        }
    }
    let mut sources = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT name, kind, formats, advisories, enrichments, skipped, imported_at, etag, last_modified, sha256 FROM sources ORDER BY name")
            .map_err(e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SourceInfo {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    formats: r
                        .get::<_, String>(2)?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    advisories: r.get::<_, i64>(3)? as u64,
                    enrichments: r.get::<_, i64>(4)? as u64,
                    skipped: r.get::<_, i64>(5)? as u64,
                    imported_at: r.get(6)?,
                    etag: r.get(7)?,
                    last_modified: r.get(8)?,
                    sha256: r.get(9)?,
                })
            })
            .map_err(e)?;
        for r in rows {
            sources.push(r.map_err(e)?);
        }
    }
    Ok(Status {
        path: path.display().to_string(),
        schema_version: meta("schema_version")?.parse().unwrap_or(0),
        built_at: meta("built_at")?,
        built_by: meta("built_by")?,
        advisories: count("SELECT COUNT(*) FROM advisories")?,
        withdrawn: count("SELECT COUNT(*) FROM advisories WHERE withdrawn != 0")?,
        packages: count("SELECT COUNT(*) FROM (SELECT DISTINCT ecosystem, name FROM affected)")?,
        ecosystems,
        kev: count("SELECT COUNT(*) FROM kev")?,
        epss: count("SELECT COUNT(*) FROM epss")?,
        nvd: count("SELECT COUNT(*) FROM nvd")?,
        sources,
    })
}

/// What importing one source did.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub name: String,
    pub formats: Vec<String>,
    pub advisories: u64,
    pub enrichments: u64,
    pub skipped: u64,
    pub problems: Vec<Problem>,
}

/// Metadata about a downloaded feed, recorded with its source.
#[derive(Debug, Clone, Default)]
pub struct FeedMeta {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
}

/// An import in progress (see the module docs for the atomicity guarantee).
pub struct Import {
    conn: Connection,
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl Import {
    /// Start changing the database at `path` (created if absent).
    pub fn begin(path: &Path) -> Result<Import, Error> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let temp = tempfile::Builder::new()
            .prefix(".vigil-db-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        if path.is_file() {
            // Check that it is ours before copying it over.
            Database::open(path)?;
            std::fs::copy(path, temp.path()).map_err(|e| Error::io(path, e))?;
        }
        let conn = Connection::open(temp.path()).map_err(|e| db_err(temp.path(), e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;",
        )
        .map_err(|e| db_err(temp.path(), e))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| db_err(temp.path(), e))?;
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1)",
            [SCHEMA_VERSION.to_string()],
        )
        .map_err(|e| db_err(temp.path(), e))?;
        conn.execute_batch("BEGIN")
            .map_err(|e| db_err(temp.path(), e))?;
        Ok(Import {
            conn,
            temp,
            target: path.to_owned(),
        })
    }

    /// Import everything under `path` as the source `name` (replacing that source's records).
    /// Items are written as they are parsed, so memory stays bounded by the largest document.
    pub fn import_path(
        &mut self,
        name: &str,
        kind: &str,
        path: &Path,
        feed: &FeedMeta,
    ) -> Result<SourceReport, Error> {
        let mut problems = Vec::new();
        let mut w = self.begin_source(name, kind, feed)?;
        let mut failed: Option<Error> = None;
        import::read_path(path, &mut problems, &mut |f, item| {
            if failed.is_none()
                && let Err(e) = w.add(f, item)
            {
                failed = Some(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        w.finish(problems)
    }

    /// Replace the source `name` with `items`.
    pub fn replace_source(
        &mut self,
        name: &str,
        kind: &str,
        items: Vec<(Format, Item)>,
        problems: Vec<Problem>,
        feed: &FeedMeta,
    ) -> Result<SourceReport, Error> {
        let mut w = self.begin_source(name, kind, feed)?;
        for (f, item) in items {
            w.add(f, item)?;
        }
        w.finish(problems)
    }

    /// Start replacing the source `name`: its old records are removed now (inside the
    /// import's transaction), new ones are added with [`SourceWriter::add`].
    pub fn begin_source(
        &mut self,
        name: &str,
        kind: &str,
        feed: &FeedMeta,
    ) -> Result<SourceWriter<'_>, Error> {
        let path = self.temp.path().to_owned();
        let e = |x: rusqlite::Error| db_err(&path, x);
        let c = &self.conn;
        let old: Option<i64> = c
            .query_row("SELECT id FROM sources WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(e)?;
        if let Some(old) = old {
            c.execute("DELETE FROM affected WHERE adv IN (SELECT rowid FROM advisories WHERE source = ?1)", [old])
                .map_err(e)?;
            c.execute(
                "DELETE FROM ids WHERE adv IN (SELECT rowid FROM advisories WHERE source = ?1)",
                [old],
            )
            .map_err(e)?;
            for t in ["advisories", "kev", "epss", "nvd"] {
                c.execute(&format!("DELETE FROM {t} WHERE source = ?1"), [old])
                    .map_err(e)?;
            }
            c.execute("DELETE FROM sources WHERE id = ?1", [old])
                .map_err(e)?;
        }
        c.execute(
            "INSERT INTO sources(name, kind, formats, advisories, enrichments, skipped, imported_at, etag, last_modified, sha256)
             VALUES (?1, ?2, '', 0, 0, 0, ?3, ?4, ?5, ?6)",
            params![name, kind, now(), feed.etag, feed.last_modified, feed.sha256],
        )
        .map_err(e)?;
        let source = c.last_insert_rowid();
        Ok(SourceWriter {
            conn: &self.conn,
            path,
            source,
            name: name.to_owned(),
            by_id: HashMap::new(),
            formats: std::collections::BTreeSet::new(),
            advisories: 0,
            enrichments: 0,
        })
    }

    /// Drop a source and its records.
    pub fn remove_source(&mut self, name: &str) -> Result<bool, Error> {
        self.replace_source(name, "file", Vec::new(), Vec::new(), &FeedMeta::default())?;
        let path = self.temp.path().to_owned();
        let n = self
            .conn
            .execute("DELETE FROM sources WHERE name = ?1", [name])
            .map_err(|e| db_err(&path, e))?;
        Ok(n > 0)
    }

    /// Write metadata, sync and atomically replace the database file.
    pub fn commit(self) -> Result<Status, Error> {
        let path = self.temp.path().to_owned();
        let e = |x: rusqlite::Error| db_err(&path, x);
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('built_at', ?1)",
                [now()],
            )
            .map_err(e)?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('built_by', ?1)",
                [format!("vigil {}", env!("CARGO_PKG_VERSION"))],
            )
            .map_err(e)?;
        self.conn
            .execute_batch("COMMIT; ANALYZE; VACUUM;")
            .map_err(e)?;
        let mut st = status(&self.conn, &self.target)?;
        st.path = self.target.display().to_string();
        self.conn.close().map_err(|(_, x)| db_err(&path, x))?;
        self.temp
            .as_file()
            .sync_all()
            .map_err(|x| Error::io(&path, x))?;
        self.temp
            .persist(&self.target)
            .map_err(|x| Error::io(&self.target, x.error))?;
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(st)
    }
}

/// Writes one source's items into an [`Import`].
pub struct SourceWriter<'a> {
    conn: &'a Connection,
    path: PathBuf,
    source: i64,
    name: String,
    /// Records of this source by id: records with the same id (Alpine secdb: one CVE across
    /// releases; AlmaLinux: one erratum for several releases) merge into one advisory.
    by_id: HashMap<String, i64>,
    formats: std::collections::BTreeSet<&'static str>,
    advisories: u64,
    enrichments: u64,
}

impl SourceWriter<'_> {
    fn index(&self, rowid: i64, a: &Advisory) -> Result<(), Error> {
        let e = |x: rusqlite::Error| db_err(&self.path, x);
        let mut aff = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO affected(ecosystem, name, adv) VALUES (?1, ?2, ?3)",
            )
            .map_err(e)?;
        for af in &a.affected {
            if let Some(p) = &af.package {
                let (eco, n) = index_key(&p.ecosystem, &p.name);
                aff.execute(params![eco, n, rowid]).map_err(e)?;
            }
        }
        let mut ids = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO ids(id, adv) VALUES (?1, ?2)")
            .map_err(e)?;
        for id in std::iter::once(&a.id).chain(&a.aliases).chain(&a.upstream) {
            ids.execute(params![id.trim(), rowid]).map_err(e)?;
        }
        Ok(())
    }

    fn blob(&self, a: &Advisory) -> Result<Vec<u8>, Error> {
        let json = serde_json::to_vec(a).map_err(|x| db_err(&self.path, x))?;
        zstd::bulk::compress(&json, 3).map_err(|x| db_err(&self.path, x))
    }

    /// Add one parsed item.
    pub fn add(&mut self, format: Format, item: Item) -> Result<(), Error> {
        let path = self.path.clone();
        let e = |x: rusqlite::Error| db_err(&path, x);
        self.formats.insert(format.as_str());
        match item {
            Item::Advisory(a) => {
                if let Some(&rowid) = self.by_id.get(&a.id) {
                    let blob: Vec<u8> = self
                        .conn
                        .query_row(
                            "SELECT record FROM advisories WHERE rowid = ?1",
                            [rowid],
                            |r| r.get(0),
                        )
                        .map_err(e)?;
                    let json =
                        zstd::bulk::decompress(&blob, 64 << 20).map_err(|x| db_err(&path, x))?;
                    let mut merged: Advisory =
                        serde_json::from_slice(&json).map_err(|x| db_err(&path, x))?;
                    merge(&mut merged, *a);
                    let blob = self.blob(&merged)?;
                    self.conn
                        .execute(
                            "UPDATE advisories SET record = ?1, modified = ?2 WHERE rowid = ?3",
                            params![blob, merged.modified, rowid],
                        )
                        .map_err(e)?;
                    self.index(rowid, &merged)?;
                    return Ok(());
                }
                let blob = self.blob(&a)?;
                self.conn
                    .prepare_cached(
                        "INSERT INTO advisories(source, id, format, modified, withdrawn, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![self.source, a.id, format.as_str(), a.modified, a.is_withdrawn() as i64, blob])
                    })
                    .map_err(e)?;
                let rowid = self.conn.last_insert_rowid();
                self.index(rowid, &a)?;
                self.by_id.insert(a.id.clone(), rowid);
                self.advisories += 1;
            }
            Item::Kev(k) => {
                let j = serde_json::to_string(&k).map_err(|x| db_err(&path, x))?;
                self.conn
                    .prepare_cached(
                        "INSERT OR REPLACE INTO kev(cve, source, entry) VALUES (?1, ?2, ?3)",
                    )
                    .and_then(|mut s| s.execute(params![k.cve_id, self.source, j]))
                    .map_err(e)?;
                self.enrichments += 1;
            }
            Item::Epss(x) => {
                self.conn
                    .prepare_cached(
                        "INSERT OR REPLACE INTO epss(year, num, source, score, percentile) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .and_then(|mut s| s.execute(params![x.cve_num.0, x.cve_num.1 as i64, self.source, x.score, x.percentile]))
                    .map_err(e)?;
                self.enrichments += 1;
            }
            Item::Nvd(n) => {
                let j = serde_json::to_string(&n).map_err(|x| db_err(&path, x))?;
                self.conn
                    .prepare_cached(
                        "INSERT OR REPLACE INTO nvd(cve, source, entry) VALUES (?1, ?2, ?3)",
                    )
                    .and_then(|mut s| s.execute(params![n.cve, self.source, j]))
                    .map_err(e)?;
                self.enrichments += 1;
            }
        }
        Ok(())
    }

    /// Record the source's counts.
    pub fn finish(self, problems: Vec<Problem>) -> Result<SourceReport, Error> {
        let formats: Vec<String> = self.formats.iter().map(|s| (*s).to_owned()).collect();
        self.conn
            .execute(
                "UPDATE sources SET formats = ?1, advisories = ?2, enrichments = ?3, skipped = ?4 WHERE id = ?5",
                params![formats.join(","), self.advisories as i64, self.enrichments as i64, problems.len() as i64, self.source],
            )
            .map_err(|x| db_err(&self.path, x))?;
        Ok(SourceReport {
            name: self.name,
            formats,
            advisories: self.advisories,
            enrichments: self.enrichments,
            skipped: problems.len() as u64,
            problems,
        })
    }
}

fn merge(into: &mut Advisory, other: Advisory) {
    for a in other.affected {
        if !into.affected.contains(&a) {
            into.affected.push(a);
        }
    }
    for x in other.aliases {
        if !into.aliases.contains(&x) {
            into.aliases.push(x);
        }
    }
    for r in other.references {
        if !into.references.contains(&r) {
            into.references.push(r);
        }
    }
    if other.modified > into.modified {
        into.modified = other.modified;
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

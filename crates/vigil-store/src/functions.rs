//! Function packages (Lambda-style): published versions and layer versions.
//!
//! - `functions` has one row per published version of a function (account, region, name,
//!   version): its configuration (runtime, handler, role, architectures), the SHA-256 of its
//!   code zip, its layers and tags, and the resource (`resources.id`) its findings hang on.
//!   Versions are numbered 1, 2, ... per function; a deleted version keeps its row (with
//!   `deleted_at`), so that its number is never given again.
//! - `function_layers` numbers the contents of a layer name: the same content is the same
//!   layer version; new content is the next version (as Lambda's `PublishLayerVersion`).
//!
//! The zips themselves are not kept: the inventory taken from them is (with the resource).

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Error, Result, Store, db_err, timestamp};

/// A layer of a published function version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerVersion {
    pub name: String,
    pub version: u64,
    /// `arn:vigil:lambda:REGION:ACCOUNT:layer:NAME:VERSION`.
    pub arn: String,
    /// Hex SHA-256 of the layer zip.
    pub sha256: String,
}

/// One published version of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionVersion {
    pub account: String,
    pub region: String,
    pub name: String,
    pub version: u64,
    /// The runtime as Lambda names it (`python3.11`).
    pub runtime: String,
    pub handler: String,
    /// The execution role's ARN (empty: none given).
    pub role: String,
    /// Lambda's names (`x86_64`, `arm64`).
    pub architectures: Vec<String>,
    /// Hex SHA-256 of the code zip.
    pub code_sha256: String,
    pub code_size: u64,
    /// Bottom first (the order they are mounted at `/opt`).
    pub layers: Vec<LayerVersion>,
    pub tags: BTreeMap<String, String>,
    /// What published it: `api`, or `watch` (the watched functions directory).
    pub source: String,
    pub published_at: String,
    pub resource_id: String,
    pub deleted_at: Option<String>,
}

impl FunctionVersion {
    /// Whether `other` is the same package and configuration (a publish of it makes no new
    /// version): code, layers, runtime, handler, role and architectures.
    pub fn same_package(&self, other: &FunctionVersion) -> bool {
        self.code_sha256 == other.code_sha256
            && self.layers == other.layers
            && self.runtime == other.runtime
            && self.handler == other.handler
            && self.role == other.role
            && self.architectures == other.architectures
    }
}

/// Function versions and layer versions (implemented by [`Store`]).
pub trait FunctionStore: Send + Sync {
    /// The versions of an account's functions in a region (of one function when `name` is
    /// given), by name then version; deleted ones only with `include_deleted`.
    fn function_versions(
        &self,
        account: &str,
        region: &str,
        name: Option<&str>,
        include_deleted: bool,
    ) -> Result<Vec<FunctionVersion>>;
    /// The highest version of a function (deleted or not, as asked).
    fn latest_function_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        include_deleted: bool,
    ) -> Result<Option<FunctionVersion>>;
    /// Records a published version. [`Error::Conflict`] when the version exists (deleted or
    /// not) or is not above every recorded version.
    fn record_function_version(&self, v: &FunctionVersion) -> Result<()>;
    /// Marks a function's versions deleted (one version, or all when `version` is `None`);
    /// answers the versions it marked. [`Error::NotFound`] when there is none to delete.
    fn delete_function_versions(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<Vec<FunctionVersion>>;
    /// The version of layer `name` whose zip has digest `sha256` (hex), recording it when new:
    /// `wanted` asks for a version number (it must be free, or hold the same content: else
    /// [`Error::Conflict`]); without it, known content keeps its version and new content gets
    /// the next one.
    fn layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        sha256: &str,
        wanted: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<u64>;
}

const FUNCTION_SELECT: &str = "SELECT account, region, name, version, runtime, handler, role, architectures, code_sha256, code_size, layers, tags, source, published_at, resource_id, deleted_at FROM functions";

fn function_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FunctionVersion> {
    let json_err = |i: usize, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    let architectures: String = r.get(7)?;
    let layers: String = r.get(10)?;
    let tags: String = r.get(11)?;
    Ok(FunctionVersion {
        account: r.get(0)?,
        region: r.get(1)?,
        name: r.get(2)?,
        version: r.get::<_, i64>(3)?.max(0) as u64,
        runtime: r.get(4)?,
        handler: r.get(5)?,
        role: r.get(6)?,
        architectures: serde_json::from_str(&architectures).map_err(|e| json_err(7, e))?,
        code_sha256: r.get(8)?,
        code_size: r.get::<_, i64>(9)?.max(0) as u64,
        layers: serde_json::from_str(&layers).map_err(|e| json_err(10, e))?,
        tags: serde_json::from_str(&tags).map_err(|e| json_err(11, e))?,
        source: r.get(12)?,
        published_at: r.get(13)?,
        resource_id: r.get(14)?,
        deleted_at: r.get(15)?,
    })
}

fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Invalid(format!("{what} `{v}` is too large")))
}

impl FunctionStore for Store {
    fn function_versions(
        &self,
        account: &str,
        region: &str,
        name: Option<&str>,
        include_deleted: bool,
    ) -> Result<Vec<FunctionVersion>> {
        self.with(|c| {
            let mut st = c.prepare_cached(&format!(
                "{FUNCTION_SELECT} WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR name = ?3)
                 AND (?4 OR deleted_at IS NULL) ORDER BY name, version"
            ))?;
            let rows = st.query_map(
                params![account, region, name, include_deleted],
                function_row,
            )?;
            rows.collect()
        })
    }

    fn latest_function_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        include_deleted: bool,
    ) -> Result<Option<FunctionVersion>> {
        self.with(|c| {
            c.prepare_cached(&format!(
                "{FUNCTION_SELECT} WHERE account = ?1 AND region = ?2 AND name = ?3
                 AND (?4 OR deleted_at IS NULL) ORDER BY version DESC LIMIT 1"
            ))?
            .query_row(
                params![account, region, name, include_deleted],
                function_row,
            )
            .optional()
        })
    }

    fn record_function_version(&self, v: &FunctionVersion) -> Result<()> {
        crate::keys::validate_account(&v.account)?;
        let version = to_i64(v.version, "function version")?;
        let (architectures, layers, tags) = (
            json(&v.architectures, "architectures")?,
            json(&v.layers, "layers")?,
            json(&v.tags, "tags")?,
        );
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![v.account, v.published_at],
            )
            .map_err(e)?;
            let latest: Option<i64> = tx
                .query_row(
                    "SELECT max(version) FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3",
                    params![v.account, v.region, v.name],
                    |r| r.get(0),
                )
                .map_err(e)?;
            if let Some(l) = latest
                && version <= l
            {
                return Err(Error::Conflict(format!(
                    "function `{}` already has version {l}: a new version must be above it",
                    v.name
                )));
            }
            tx.execute(
                "INSERT INTO functions(account, region, name, version, runtime, handler, role, architectures,
                    code_sha256, code_size, layers, tags, source, published_at, resource_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![
                    v.account,
                    v.region,
                    v.name,
                    version,
                    v.runtime,
                    v.handler,
                    v.role,
                    architectures,
                    v.code_sha256,
                    to_i64(v.code_size, "code size")?,
                    layers,
                    tags,
                    v.source,
                    v.published_at,
                    v.resource_id
                ],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    fn delete_function_versions(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<Vec<FunctionVersion>> {
        let at = timestamp(now);
        let version = version.map(|v| to_i64(v, "function version")).transpose()?;
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let marked: Vec<FunctionVersion> = {
                let mut st = tx
                    .prepare_cached(&format!(
                        "{FUNCTION_SELECT} WHERE account = ?1 AND region = ?2 AND name = ?3
                         AND (?4 IS NULL OR version = ?4) AND deleted_at IS NULL ORDER BY version"
                    ))
                    .map_err(e)?;
                st.query_map(params![account, region, name, version], function_row)
                    .map_err(e)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(e)?
            };
            if marked.is_empty() {
                return Err(Error::NotFound(match version {
                    Some(v) => format!("function `{name}` has no version {v} in {region}"),
                    None => format!("function `{name}` does not exist in {region}"),
                }));
            }
            tx.execute(
                "UPDATE functions SET deleted_at = ?5 WHERE account = ?1 AND region = ?2 AND name = ?3
                 AND (?4 IS NULL OR version = ?4) AND deleted_at IS NULL",
                params![account, region, name, version, at],
            )
            .map_err(e)?;
            Ok(marked
                .into_iter()
                .map(|mut v| {
                    v.deleted_at = Some(at.clone());
                    v
                })
                .collect())
        })
    }

    fn layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        sha256: &str,
        wanted: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<u64> {
        crate::keys::validate_account(account)?;
        let at = timestamp(now);
        let wanted = wanted.map(|v| to_i64(v, "layer version")).transpose()?;
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![account, at],
            )
            .map_err(e)?;
            let version = match wanted {
                Some(v) => {
                    let held: Option<String> = tx
                        .query_row(
                            "SELECT sha256 FROM function_layers WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
                            params![account, region, name, v],
                            |r| r.get(0),
                        )
                        .optional()
                        .map_err(e)?;
                    match held {
                        Some(h) if h == sha256 => return Ok(v.max(0) as u64),
                        Some(_) => {
                            return Err(Error::Conflict(format!(
                                "layer `{name}` version {v} exists with other content (layer versions cannot change)"
                            )));
                        }
                        None => v,
                    }
                }
                None => {
                    let known: Option<i64> = tx
                        .query_row(
                            "SELECT max(version) FROM function_layers WHERE account = ?1 AND region = ?2 AND name = ?3 AND sha256 = ?4",
                            params![account, region, name, sha256],
                            |r| r.get(0),
                        )
                        .map_err(e)?;
                    if let Some(v) = known {
                        return Ok(v.max(0) as u64);
                    }
                    let latest: Option<i64> = tx
                        .query_row(
                            "SELECT max(version) FROM function_layers WHERE account = ?1 AND region = ?2 AND name = ?3",
                            params![account, region, name],
                            |r| r.get(0),
                        )
                        .map_err(e)?;
                    latest.unwrap_or(0) + 1
                }
            };
            tx.execute(
                "INSERT INTO function_layers(account, region, name, version, sha256, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![account, region, name, version, sha256, at],
            )
            .map_err(e)?;
            Ok(version.max(0) as u64)
        })
    }
}

/// A list or map column as JSON.
fn json<T: Serialize>(v: &T, column: &str) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|e| Error::Invalid(format!("encoding the function's `{column}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(name: &str, v: u64, sha: &str) -> FunctionVersion {
        FunctionVersion {
            account: "111122223333".into(),
            region: "us-east-1".into(),
            name: name.into(),
            version: v,
            runtime: "python3.11".into(),
            handler: "app.handler".into(),
            role: String::new(),
            architectures: vec!["x86_64".into()],
            code_sha256: sha.into(),
            code_size: 10,
            layers: vec![LayerVersion {
                name: "deps".into(),
                version: 1,
                arn: "arn:vigil:lambda:us-east-1:111122223333:layer:deps:1".into(),
                sha256: "ab".into(),
            }],
            tags: BTreeMap::from([("team".into(), "a".into())]),
            source: "api".into(),
            published_at: "2026-01-01T00:00:00.000Z".into(),
            resource_id: format!("arn:vigil:lambda:us-east-1:111122223333:function:{name}:{v}"),
            deleted_at: None,
        }
    }

    #[test]
    fn versions_are_recorded_listed_and_deleted_without_reuse() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let (a, r) = ("111122223333", "us-east-1");
        store
            .record_function_version(&version("f", 1, "c1"))
            .expect("v1");
        store
            .record_function_version(&version("f", 2, "c2"))
            .expect("v2");
        store
            .record_function_version(&version("g", 1, "c1"))
            .expect("g1");
        // a version at or below the latest is refused
        assert!(matches!(
            store.record_function_version(&version("f", 2, "c3")),
            Err(Error::Conflict(_))
        ));
        let all = store.function_versions(a, r, None, false).expect("list");
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], version("f", 1, "c1"));
        let latest = store
            .latest_function_version(a, r, "f", false)
            .expect("latest")
            .expect("some");
        assert_eq!(latest.version, 2);
        assert!(latest.same_package(&version("f", 9, "c2")));
        assert!(!latest.same_package(&version("f", 9, "c1")));

        let gone = store
            .delete_function_versions(a, r, "f", Some(2), OffsetDateTime::now_utc())
            .expect("delete");
        assert_eq!(gone.len(), 1);
        assert!(gone[0].deleted_at.is_some());
        assert!(matches!(
            store.delete_function_versions(a, r, "f", Some(2), OffsetDateTime::now_utc()),
            Err(Error::NotFound(_))
        ));
        assert_eq!(
            store
                .latest_function_version(a, r, "f", false)
                .expect("latest")
                .map(|v| v.version),
            Some(1)
        );
        assert_eq!(
            store
                .latest_function_version(a, r, "f", true)
                .expect("latest")
                .map(|v| v.version),
            Some(2)
        );
        // the number of a deleted version is not given again
        assert!(matches!(
            store.record_function_version(&version("f", 2, "c2")),
            Err(Error::Conflict(_))
        ));
        let all_f = store.delete_function_versions(a, r, "f", None, OffsetDateTime::now_utc());
        assert_eq!(all_f.expect("delete all").len(), 1);
        assert_eq!(
            store
                .function_versions(a, r, Some("f"), false)
                .expect("list")
                .len(),
            0
        );
        assert_eq!(
            store
                .function_versions(a, r, Some("f"), true)
                .expect("list")
                .len(),
            2
        );
    }

    #[test]
    fn layer_versions_follow_content() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let (a, r, now) = ("111122223333", "us-east-1", OffsetDateTime::now_utc());
        assert_eq!(
            store
                .layer_version(a, r, "deps", "s1", None, now)
                .expect("1"),
            1
        );
        assert_eq!(
            store
                .layer_version(a, r, "deps", "s1", None, now)
                .expect("1"),
            1
        );
        assert_eq!(
            store
                .layer_version(a, r, "deps", "s2", None, now)
                .expect("2"),
            2
        );
        assert_eq!(
            store
                .layer_version(a, r, "deps", "s1", None, now)
                .expect("1"),
            1
        );
        assert_eq!(
            store
                .layer_version(a, r, "other", "s2", None, now)
                .expect("1"),
            1
        );
        // an asked-for version: free, or holding the same content
        assert_eq!(
            store
                .layer_version(a, r, "deps", "s3", Some(7), now)
                .expect("7"),
            7
        );
        assert_eq!(
            store
                .layer_version(a, r, "deps", "s3", Some(7), now)
                .expect("7"),
            7
        );
        assert!(matches!(
            store.layer_version(a, r, "deps", "s4", Some(7), now),
            Err(Error::Conflict(_))
        ));
        assert_eq!(
            store
                .layer_version(a, r, "deps", "s4", None, now)
                .expect("8"),
            8
        );
    }
}

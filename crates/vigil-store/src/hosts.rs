//! Hosts without an agent: root filesystems mounted on the server's machine (a snapshot, an
//! NFS or sshfs mount of a host's `/`), registered to be inventoried on an interval. And what
//! the network analysis reads about hosts: its last run, the sockets agents report.
//!
//! A host agent's listening sockets live in the host resource's details, as
//! `vigil.listening`: a scan from the agent replaces the details with them, a heartbeat
//! replaces just that member ([`HostStore::set_listening`]), findings are not touched.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::{Result, Store, db_err, timestamp};

/// A registered root path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentlessRoot {
    pub account: String,
    pub region: String,
    pub resource_id: String,
    pub root_path: String,
    pub scan_interval_seconds: i64,
    pub tags: std::collections::BTreeMap<String, String>,
    pub next_scan_at: String,
    pub last_scan_at: Option<String>,
    pub last_error: Option<String>,
}

/// Agentless host roots (implemented by [`Store`]).
pub trait HostStore: Send + Sync {
    /// Registers (or re-registers, scanning it at once) a root path.
    fn register_root(&self, r: &AgentlessRoot) -> Result<()>;
    /// Stops scanning a root; answers whether it was registered.
    fn deregister_root(&self, account: &str, region: &str, resource_id: &str) -> Result<bool>;
    /// An account's roots (every account's with `None`).
    fn roots(&self, account: Option<&str>) -> Result<Vec<AgentlessRoot>>;
    /// Roots due for a scan at `now`.
    fn due_roots(&self, now: OffsetDateTime) -> Result<Vec<AgentlessRoot>>;
    /// Records a scan attempt: when the next one is due and the error, if it failed.
    fn root_scanned(
        &self,
        r: &AgentlessRoot,
        now: OffsetDateTime,
        error: Option<&str>,
    ) -> Result<()>;
    /// The last network analysis of an account and region: the hosts it covered and its
    /// summary.
    fn network_analysis(
        &self,
        account: &str,
        region: &str,
    ) -> Result<Option<(Vec<String>, serde_json::Value, String)>>;
    fn set_network_analysis(
        &self,
        account: &str,
        region: &str,
        hosts: &[String],
        summary: &serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<()>;
    /// Replaces the listening sockets (a JSON list) stored with an agent's host
    /// (`vigil.listening` of its details); nothing else of the resource changes.
    fn set_listening(
        &self,
        account: &str,
        region: &str,
        id: &str,
        sockets: &serde_json::Value,
    ) -> Result<()>;
    /// The listening sockets stored with the hosts of an account and region, by host id
    /// (hosts without any are left out).
    fn listening(&self, account: &str, region: &str) -> Result<Vec<(String, serde_json::Value)>>;
}

const SELECT: &str = "SELECT account, region, resource_id, root_path, scan_interval_seconds, tags, next_scan_at, last_scan_at, last_error FROM agentless_roots";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AgentlessRoot> {
    let tags: String = r.get(5)?;
    Ok(AgentlessRoot {
        account: r.get(0)?,
        region: r.get(1)?,
        resource_id: r.get(2)?,
        root_path: r.get(3)?,
        scan_interval_seconds: r.get(4)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        next_scan_at: r.get(6)?,
        last_scan_at: r.get(7)?,
        last_error: r.get(8)?,
    })
}

impl HostStore for Store {
    fn register_root(&self, r: &AgentlessRoot) -> Result<()> {
        crate::keys::validate_account(&r.account)?;
        let tags = serde_json::to_string(&r.tags).unwrap_or_else(|_| "{}".into());
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![r.account, r.next_scan_at],
            )
            .map_err(e)?;
            tx.execute(
                "INSERT INTO agentless_roots(account, region, resource_id, root_path, scan_interval_seconds, tags, next_scan_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(account, region, resource_id) DO UPDATE SET
                    root_path = excluded.root_path, scan_interval_seconds = excluded.scan_interval_seconds,
                    tags = excluded.tags, next_scan_at = excluded.next_scan_at",
                params![
                    r.account,
                    r.region,
                    r.resource_id,
                    r.root_path,
                    r.scan_interval_seconds,
                    tags,
                    r.next_scan_at
                ],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    fn deregister_root(&self, account: &str, region: &str, resource_id: &str) -> Result<bool> {
        let n = self.with(|c| {
            c.prepare_cached(
                "DELETE FROM agentless_roots WHERE account = ?1 AND region = ?2 AND resource_id = ?3",
            )?
            .execute(params![account, region, resource_id])
        })?;
        Ok(n > 0)
    }

    fn roots(&self, account: Option<&str>) -> Result<Vec<AgentlessRoot>> {
        self.with(|c| match account {
            Some(a) => {
                let mut st = c.prepare_cached(&format!(
                    "{SELECT} WHERE account = ?1 ORDER BY region, resource_id"
                ))?;
                let rows = st.query_map([a], row)?;
                rows.collect()
            }
            None => {
                let mut st =
                    c.prepare_cached(&format!("{SELECT} ORDER BY account, region, resource_id"))?;
                let rows = st.query_map([], row)?;
                rows.collect()
            }
        })
    }

    fn due_roots(&self, now: OffsetDateTime) -> Result<Vec<AgentlessRoot>> {
        self.with(|c| {
            let mut st = c.prepare_cached(&format!(
                "{SELECT} WHERE next_scan_at <= ?1 ORDER BY next_scan_at"
            ))?;
            let rows = st.query_map([timestamp(now)], row)?;
            rows.collect()
        })
    }

    fn root_scanned(
        &self,
        r: &AgentlessRoot,
        now: OffsetDateTime,
        error: Option<&str>,
    ) -> Result<()> {
        let next = now + time::Duration::seconds(r.scan_interval_seconds.max(1));
        self.with(|c| {
            c.prepare_cached(
                "UPDATE agentless_roots SET last_scan_at = ?4, next_scan_at = ?5, last_error = ?6
                 WHERE account = ?1 AND region = ?2 AND resource_id = ?3",
            )?
            .execute(params![
                r.account,
                r.region,
                r.resource_id,
                timestamp(now),
                timestamp(next),
                error
            ])
        })?;
        Ok(())
    }

    fn network_analysis(
        &self,
        account: &str,
        region: &str,
    ) -> Result<Option<(Vec<String>, serde_json::Value, String)>> {
        let row: Option<(String, String, String)> = self.with(|c| {
            c.prepare_cached(
                "SELECT hosts, summary, analyzed_at FROM network_analyses WHERE account = ?1 AND region = ?2",
            )?
            .query_row(params![account, region], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
        })?;
        Ok(row.map(|(h, s, at)| {
            (
                serde_json::from_str(&h).unwrap_or_default(),
                serde_json::from_str(&s).unwrap_or_default(),
                at,
            )
        }))
    }

    fn set_network_analysis(
        &self,
        account: &str,
        region: &str,
        hosts: &[String],
        summary: &serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<()> {
        let at = timestamp(now);
        let hosts = serde_json::to_string(hosts).unwrap_or_else(|_| "[]".into());
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![account, at],
            )
            .map_err(e)?;
            tx.execute(
                "INSERT INTO network_analyses(account, region, hosts, summary, analyzed_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(account, region) DO UPDATE SET hosts = excluded.hosts, summary = excluded.summary,
                    analyzed_at = excluded.analyzed_at",
                params![account, region, hosts, summary.to_string(), at],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    fn set_listening(
        &self,
        account: &str,
        region: &str,
        id: &str,
        sockets: &serde_json::Value,
    ) -> Result<()> {
        let n = self.with(|c| {
            c.prepare_cached(
                "UPDATE resources SET details = json_set(
                    CASE WHEN json_valid(details) THEN details ELSE '{}' END, '$.vigil.listening', json(?4))
                 WHERE account = ?1 AND region = ?2 AND id = ?3 AND type = 'AWS_EC2_INSTANCE'",
            )?
            .execute(params![account, region, id, sockets.to_string()])
        })?;
        if n == 0 {
            return Err(crate::Error::NotFound(format!(
                "host {id} does not exist in {region}: an agent registers it by sending an inventory"
            )));
        }
        Ok(())
    }

    fn listening(&self, account: &str, region: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let rows: Vec<(String, String)> = self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, l FROM (
                    SELECT id, CASE WHEN json_valid(details) THEN
                        CASE WHEN json_type(details, '$.vigil.listening') = 'array'
                             THEN json_extract(details, '$.vigil.listening') END END AS l
                    FROM resources WHERE account = ?1 AND region = ?2 AND type = 'AWS_EC2_INSTANCE')
                 WHERE l IS NOT NULL ORDER BY id",
            )?;
            let rows = st.query_map(params![account, region], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, l)| Some((id, serde_json::from_str(&l).ok()?)))
            .collect())
    }
}

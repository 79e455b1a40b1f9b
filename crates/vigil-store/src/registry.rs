//! Registries, the images Vigil follows in them, and the queue of images to scan.
//!
//! - A registry belongs to one account and region. Its notification token (what the registry
//!   sends as `Authorization: Bearer …`) is kept only as a SHA-256 hash; the credentials Vigil
//!   pulls with are sealed with the master key (they must be usable, so they cannot be hashed).
//! - `images` is the registry's view of an image: its tags (tags follow pushes: a tag pushed
//!   onto another digest leaves the old image), when it was pushed and last pulled, and the
//!   resource (`resources.id`) its findings hang on.
//! - `image_queue` is durable: a notification is acknowledged once its image is queued; the
//!   worker takes items in order, retries failures with backoff, and an image already queued
//!   is not queued twice (a flood of identical pushes costs one scan).

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{Error, Result, Store, db_err, timestamp};

/// The most images waiting to be scanned; notifications beyond it are refused (the registry
/// retries them), so a flood cannot grow the queue without bound.
pub const MAX_QUEUED_IMAGES: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRecord {
    pub name: String,
    pub account: String,
    pub region: String,
    /// `https://host[:port]` (or `http://` on loopback / when allowed).
    pub url: String,
    pub insecure_http: bool,
    /// Pull credentials (user name, password), unsealed.
    pub credentials: Option<(String, String)>,
    pub created_at: String,
}

/// An image waiting to be scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedImage {
    pub id: i64,
    pub registry: String,
    pub repository: String,
    /// A digest, or a tag (resolved when the item is processed).
    pub reference: String,
    pub tag: Option<String>,
    /// `push`, `poll` or `rescan`.
    pub cause: String,
    pub queued_at: String,
    pub attempts: i64,
}

/// An image Vigil follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub registry: String,
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
    pub pushed_at: Option<String>,
    pub last_pulled_at: Option<String>,
    pub resource_id: String,
    /// `MONITORED`, or why not (`SCAN_ELIGIBILITY_EXPIRED`).
    pub state: String,
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Registries, followed images and the image scan queue (implemented by [`Store`]).
pub trait RegistryStore: Send + Sync {
    /// Registers a registry with the hash of its notification token.
    fn add_registry(&self, r: &RegistryRecord, token: &str) -> Result<()>;
    fn registry(&self, name: &str) -> Result<Option<RegistryRecord>>;
    /// The registry a notification token belongs to (`None`: unknown name or wrong token).
    fn registry_for_token(&self, name: &str, token: &str) -> Result<Option<RegistryRecord>>;
    fn registries(&self) -> Result<Vec<RegistryRecord>>;
    /// Queues an image for scanning; `false` when it is queued already. Fails with
    /// [`Error::Conflict`] when the queue is full.
    fn enqueue_image(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
        tag: Option<&str>,
        cause: &str,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// The oldest queued image that is due (`not_before` passed).
    fn next_queued_image(&self, now: OffsetDateTime) -> Result<Option<QueuedImage>>;
    fn queued_images(&self) -> Result<i64>;
    fn dequeue_image(&self, id: i64) -> Result<()>;
    /// Puts a failed item back, due again at `not_before`.
    fn retry_queued_image(&self, id: i64, error: &str, not_before: OffsetDateTime) -> Result<()>;
    /// Records an image (or updates it): a tag given moves to this digest (leaving any other
    /// image of the repository, whose digests are answered: their details changed); the push
    /// time kept is the earliest reported (notifications may arrive late or out of order).
    fn record_image(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        tag: Option<&str>,
        pushed_at: Option<&str>,
        resource_id: &str,
    ) -> Result<Vec<String>>;
    /// Records a pull of an image (its last-in-use time); answers whether the image is known.
    fn image_pulled(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        at: &str,
    ) -> Result<bool>;
    fn image(&self, registry: &str, repository: &str, digest: &str) -> Result<Option<ImageRecord>>;
    /// Every image Vigil follows in a registry.
    fn images(&self, registry: &str) -> Result<Vec<ImageRecord>>;
    fn set_image_state(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        state: &str,
    ) -> Result<()>;
    /// Forgets an image (deleted from its registry).
    fn remove_image(&self, registry: &str, repository: &str, digest: &str) -> Result<()>;
    /// Records a resource without an inventory, or updates one: its details and tags, and
    /// `scan_status` (`ACTIVE`, or the reason it could not be scanned). Findings are untouched.
    fn set_resource_status(
        &self,
        account: &str,
        record: &crate::ResourceRecord,
        scan_status: &str,
    ) -> Result<()>;
    /// A resource stops being monitored for `reason` (its coverage status): its open findings
    /// are CLOSED with that reason; the resource and its inventory stay, so monitoring can
    /// resume. Answers the findings closed.
    fn stop_monitoring(
        &self,
        account: &str,
        region: &str,
        id: &str,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<u64>;
}

impl Store {
    fn registry_row(&self, row: RegistryRow) -> Result<RegistryRecord> {
        let credentials = match (row.nonce, row.sealed) {
            (Some(n), Some(s)) => {
                let plain = self.master.open(&n, &s)?;
                let v: serde_json::Value = serde_json::from_slice(&plain)
                    .map_err(|e| Error::Invalid(format!("sealed registry credentials: {e}")))?;
                Some((
                    v["username"].as_str().unwrap_or_default().to_owned(),
                    v["password"].as_str().unwrap_or_default().to_owned(),
                ))
            }
            _ => None,
        };
        Ok(RegistryRecord {
            name: row.name,
            account: row.account,
            region: row.region,
            url: row.url,
            insecure_http: row.insecure_http,
            credentials,
            created_at: row.created_at,
        })
    }
}

impl RegistryStore for Store {
    /// Registers a registry with the hash of its notification token.
    fn add_registry(&self, r: &RegistryRecord, token: &str) -> Result<()> {
        crate::keys::validate_account(&r.account)?;
        let sealed = match &r.credentials {
            None => None,
            Some((u, p)) => {
                let body = serde_json::to_vec(&serde_json::json!({"username": u, "password": p}))
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                Some(self.master.seal(&body)?)
            }
        };
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![r.account, r.created_at],
            )
            .map_err(e)?;
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO registries(name, account, region, url, insecure_http, token_hash, cred_nonce, cred_sealed, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        r.name,
                        r.account,
                        r.region,
                        r.url,
                        r.insecure_http,
                        token_hash(token),
                        sealed.as_ref().map(|s| &s.0),
                        sealed.as_ref().map(|s| &s.1),
                        r.created_at
                    ],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::Conflict(format!(
                    "a registry named `{}` already exists",
                    r.name
                )));
            }
            Ok(())
        })
    }

    fn registry(&self, name: &str) -> Result<Option<RegistryRecord>> {
        let row = self.with(|c| {
            c.prepare_cached(&format!("{REGISTRY_SELECT} WHERE name = ?1"))?
                .query_row([name], RegistryRow::from_row)
                .optional()
        })?;
        row.map(|r| self.registry_row(r)).transpose()
    }

    /// The registry a notification token belongs to (`None`: unknown name or wrong token).
    fn registry_for_token(&self, name: &str, token: &str) -> Result<Option<RegistryRecord>> {
        let row = self.with(|c| {
            c.prepare_cached(&format!(
                "{REGISTRY_SELECT} WHERE name = ?1 AND token_hash = ?2"
            ))?
            .query_row(params![name, token_hash(token)], RegistryRow::from_row)
            .optional()
        })?;
        row.map(|r| self.registry_row(r)).transpose()
    }

    fn registries(&self) -> Result<Vec<RegistryRecord>> {
        let rows = self.with(|c| {
            let mut st = c.prepare_cached(&format!("{REGISTRY_SELECT} ORDER BY name"))?;
            let rows = st.query_map([], RegistryRow::from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(|r| self.registry_row(r)).collect()
    }

    /// Queues an image for scanning; `false` when it is queued already. Fails with
    /// [`Error::Conflict`] when the queue is full.
    fn enqueue_image(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
        tag: Option<&str>,
        cause: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let queued: i64 = tx
                .query_row("SELECT count(*) FROM image_queue", [], |r| r.get(0))
                .map_err(e)?;
            if queued >= MAX_QUEUED_IMAGES {
                return Err(Error::Conflict(format!(
                    "{queued} images are waiting to be scanned; try again later"
                )));
            }
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT id FROM image_queue WHERE registry = ?1 AND repository = ?2 AND reference = ?3",
                    params![registry, repository, reference],
                    |r| r.get(0),
                )
                .optional()
                .map_err(e)?;
            if let Some(id) = exists {
                if tag.is_some() {
                    tx.execute("UPDATE image_queue SET tag = ?2 WHERE id = ?1", params![id, tag])
                        .map_err(e)?;
                }
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO image_queue(registry, repository, reference, tag, cause, queued_at, not_before)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![registry, repository, reference, tag, cause, at],
            )
            .map_err(e)?;
            Ok(true)
        })
    }

    /// The oldest queued image that is due (`not_before` passed).
    fn next_queued_image(&self, now: OffsetDateTime) -> Result<Option<QueuedImage>> {
        let at = timestamp(now);
        self.with(|c| {
            c.prepare_cached(
                "SELECT id, registry, repository, reference, tag, cause, queued_at, attempts
                 FROM image_queue WHERE not_before <= ?1 ORDER BY id LIMIT 1",
            )?
            .query_row([at], |r| {
                Ok(QueuedImage {
                    id: r.get(0)?,
                    registry: r.get(1)?,
                    repository: r.get(2)?,
                    reference: r.get(3)?,
                    tag: r.get(4)?,
                    cause: r.get(5)?,
                    queued_at: r.get(6)?,
                    attempts: r.get(7)?,
                })
            })
            .optional()
        })
    }

    fn queued_images(&self) -> Result<i64> {
        self.with(|c| c.query_row("SELECT count(*) FROM image_queue", [], |r| r.get(0)))
    }

    fn dequeue_image(&self, id: i64) -> Result<()> {
        self.with(|c| {
            c.prepare_cached("DELETE FROM image_queue WHERE id = ?1")?
                .execute([id])
        })?;
        Ok(())
    }

    /// Puts a failed item back, due again at `not_before`.
    fn retry_queued_image(&self, id: i64, error: &str, not_before: OffsetDateTime) -> Result<()> {
        self.with(|c| {
            c.prepare_cached(
                "UPDATE image_queue SET attempts = attempts + 1, last_error = ?2, not_before = ?3 WHERE id = ?1",
            )?
            .execute(params![id, error, timestamp(not_before)])
        })?;
        Ok(())
    }

    /// Records an image (or updates it): a tag given moves to this digest (leaving any other
    /// image of the repository, whose digests are answered: their details changed); the push
    /// time kept is the earliest reported (notifications may arrive late or out of order).
    fn record_image(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        tag: Option<&str>,
        pushed_at: Option<&str>,
        resource_id: &str,
    ) -> Result<Vec<String>> {
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT INTO images(registry, repository, digest, tags, pushed_at, resource_id, state)
                 VALUES (?1, ?2, ?3, '[]', ?4, ?5, 'MONITORED')
                 ON CONFLICT(registry, repository, digest) DO UPDATE SET
                    pushed_at = min(coalesce(images.pushed_at, excluded.pushed_at),
                                    coalesce(excluded.pushed_at, images.pushed_at))",
                params![registry, repository, digest, pushed_at, resource_id],
            )
            .map_err(e)?;
            let mut moved = Vec::new();
            if let Some(tag) = tag {
                let holders: Vec<(String, String)> = {
                    let mut st = tx
                        .prepare_cached(
                            "SELECT digest, tags FROM images WHERE registry = ?1 AND repository = ?2",
                        )
                        .map_err(e)?;
                    st.query_map(params![registry, repository], |r| Ok((r.get(0)?, r.get(1)?)))
                        .map_err(e)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(e)?
                };
                for (d, tags) in holders {
                    let mut list: Vec<String> = serde_json::from_str(&tags).unwrap_or_default();
                    let had = list.iter().any(|t| t == tag);
                    let changed = if d == digest {
                        if had {
                            false
                        } else {
                            list.push(tag.to_owned());
                            list.sort();
                            true
                        }
                    } else if had {
                        list.retain(|t| t != tag);
                        moved.push(d.clone());
                        true
                    } else {
                        false
                    };
                    if changed {
                        tx.execute(
                            "UPDATE images SET tags = ?4 WHERE registry = ?1 AND repository = ?2 AND digest = ?3",
                            params![
                                registry,
                                repository,
                                d,
                                serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
                            ],
                        )
                        .map_err(e)?;
                    }
                }
            }
            Ok(moved)
        })
    }

    /// Records a pull of an image (its last-in-use time); answers whether the image is known.
    fn image_pulled(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        at: &str,
    ) -> Result<bool> {
        let n = self.with(|c| {
            c.prepare_cached(
                "UPDATE images SET last_pulled_at = max(coalesce(last_pulled_at, ''), ?4)
                 WHERE registry = ?1 AND repository = ?2 AND digest = ?3",
            )?
            .execute(params![registry, repository, digest, at])
        })?;
        Ok(n > 0)
    }

    fn image(&self, registry: &str, repository: &str, digest: &str) -> Result<Option<ImageRecord>> {
        self.with(|c| {
            c.prepare_cached(&format!(
                "{IMAGE_SELECT} WHERE registry = ?1 AND repository = ?2 AND digest = ?3"
            ))?
            .query_row(params![registry, repository, digest], image_row)
            .optional()
        })
    }

    /// Every image Vigil follows in a registry.
    fn images(&self, registry: &str) -> Result<Vec<ImageRecord>> {
        self.with(|c| {
            let mut st = c.prepare_cached(&format!(
                "{IMAGE_SELECT} WHERE registry = ?1 ORDER BY repository, digest"
            ))?;
            let rows = st.query_map([registry], image_row)?;
            rows.collect()
        })
    }

    fn set_image_state(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        state: &str,
    ) -> Result<()> {
        self.with(|c| {
            c.prepare_cached(
                "UPDATE images SET state = ?4 WHERE registry = ?1 AND repository = ?2 AND digest = ?3",
            )?
            .execute(params![registry, repository, digest, state])
        })?;
        Ok(())
    }

    /// Forgets an image (deleted from its registry).
    fn remove_image(&self, registry: &str, repository: &str, digest: &str) -> Result<()> {
        self.with(|c| {
            c.prepare_cached(
                "DELETE FROM images WHERE registry = ?1 AND repository = ?2 AND digest = ?3",
            )?
            .execute(params![registry, repository, digest])
        })?;
        Ok(())
    }

    /// Records a resource without an inventory, or updates one: its details and tags, and
    /// `scan_status` (`ACTIVE`, or the reason it could not be scanned). Findings are untouched.
    fn set_resource_status(
        &self,
        account: &str,
        record: &crate::ResourceRecord,
        scan_status: &str,
    ) -> Result<()> {
        let tags = serde_json::to_string(&record.tags).unwrap_or_else(|_| "{}".into());
        let details = record.details.as_ref().map(|d| d.to_string());
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO resources(account, region, id, type, tags, details, scan_status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(account, region, id) DO UPDATE SET
                    tags = excluded.tags, details = coalesce(excluded.details, resources.details),
                    scan_status = excluded.scan_status",
            )?
            .execute(params![
                account,
                record.region,
                record.id,
                record.kind,
                tags,
                details,
                scan_status
            ])
        })?;
        Ok(())
    }

    /// A resource stops being monitored for `reason` (its coverage status): its open findings
    /// are CLOSED with that reason; the resource and its inventory stay, so monitoring can
    /// resume. Answers the findings closed.
    fn stop_monitoring(
        &self,
        account: &str,
        region: &str,
        id: &str,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "UPDATE resources SET scan_status = ?4 WHERE account = ?1 AND region = ?2 AND id = ?3",
                params![account, region, id, reason],
            )
            .map_err(e)?;
            crate::close_open_findings(tx, account, region, id, &at, reason).map_err(e)
        })
    }
}

const REGISTRY_SELECT: &str = "SELECT name, account, region, url, insecure_http, cred_nonce, cred_sealed, created_at FROM registries";
const IMAGE_SELECT: &str = "SELECT registry, repository, digest, tags, pushed_at, last_pulled_at, resource_id, state FROM images";

struct RegistryRow {
    name: String,
    account: String,
    region: String,
    url: String,
    insecure_http: bool,
    nonce: Option<Vec<u8>>,
    sealed: Option<Vec<u8>>,
    created_at: String,
}

impl RegistryRow {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegistryRow> {
        Ok(RegistryRow {
            name: r.get(0)?,
            account: r.get(1)?,
            region: r.get(2)?,
            url: r.get(3)?,
            insecure_http: r.get(4)?,
            nonce: r.get(5)?,
            sealed: r.get(6)?,
            created_at: r.get(7)?,
        })
    }
}

fn image_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ImageRecord> {
    let tags: String = r.get(3)?;
    Ok(ImageRecord {
        registry: r.get(0)?,
        repository: r.get(1)?,
        digest: r.get(2)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        pushed_at: r.get(4)?,
        last_pulled_at: r.get(5)?,
        resource_id: r.get(6)?,
        state: r.get(7)?,
    })
}

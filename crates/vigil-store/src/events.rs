//! Finding events: the outbox (written by triggers, see migration 16, and by ingest for scan
//! completions), event destinations, and each destination's deliveries.
//!
//! Delivery is at-least-once. A destination reads the outbox of its account from its cursor
//! and records a PENDING delivery for every event its pattern matches, moving the cursor in the
//! same transaction ([`EventStore::fan_out`]). Only the oldest PENDING delivery of a subject
//! (a finding ARN, a resource id) is due ([`EventStore::due_deliveries`]): a failing event holds
//! back later events of its subject, never other subjects or other destinations. An outcome is
//! recorded after the send: a crash between the two sends the event again (receivers dedupe by
//! the event id). After its last attempt a delivery is DEAD (the dead-letter list) until
//! replayed.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::{Error, Result, Store, db_err, timestamp};

/// One outbox row: a snapshot of what changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEvent {
    pub seq: i64,
    /// The event id (a UUID): the idempotency key.
    pub id: String,
    pub account: String,
    pub region: String,
    /// `FINDING`, `COVERAGE` or `SCAN`.
    pub kind: String,
    /// The finding ARN, or the resource id: events of one subject are delivered in order.
    pub subject: String,
    pub at: String,
    /// FINDING: the finding's status; COVERAGE: the resource's stored scan status
    /// (`RESOURCE_TERMINATED` when deleted).
    pub status: Option<String>,
    pub first_observed_at: Option<String>,
    /// FINDING: last observed; COVERAGE: the resource's last scan.
    pub last_observed_at: Option<String>,
    pub updated_at: Option<String>,
    pub suppressed_by: Option<String>,
    pub reason: Option<String>,
    /// FINDING: the stored finding body; COVERAGE and SCAN: a JSON object of the store's.
    pub body: String,
}

/// A destination as stored (its secret is read apart, [`EventStore::destination_secret`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationRecord {
    pub id: String,
    pub account: String,
    pub name: String,
    /// `WEBHOOK`, `NATS`, …
    pub kind: String,
    /// The kind's settings (no secret).
    pub config: Value,
    /// The event pattern, JSON text.
    pub pattern: String,
    pub enabled: bool,
    pub has_secret: bool,
    /// The outbox position up to which events were matched.
    pub cursor: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// What a new destination is.
#[derive(Debug, Clone)]
pub struct NewDestination {
    pub name: String,
    pub kind: String,
    pub config: Value,
    pub pattern: String,
    pub secret: Option<String>,
}

/// A delivery that is due, with its event.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub event: OutboxEvent,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the delivery was recorded (its age decides when to give up).
    pub created_at: String,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered,
    Retry { next_at: String, error: String },
    Dead { error: String },
}

/// A dead-lettered delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub destination_id: String,
    pub event_id: String,
    pub kind: String,
    pub subject: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: String,
    pub dead_at: Option<String>,
}

/// Per-destination delivery counts for monitoring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    /// (destination id, destination name, state, count)
    pub deliveries: Vec<(String, String, String, i64)>,
    /// Outbox events not yet matched by a destination of their account, summed over the
    /// destinations.
    pub outbox_rows: i64,
}

/// The event store (implemented by [`Store`]).
pub trait EventStore: Send + Sync {
    fn create_destination(
        &self,
        account: &str,
        d: &NewDestination,
        now: OffsetDateTime,
    ) -> Result<DestinationRecord>;
    /// Destinations of an account (every account's with `None`), in creation order.
    fn destinations(&self, account: Option<&str>) -> Result<Vec<DestinationRecord>>;
    fn destination(&self, account: &str, id: &str) -> Result<Option<DestinationRecord>>;
    /// The destination's signing secret, unsealed.
    fn destination_secret(&self, id: &str) -> Result<Option<Vec<u8>>>;
    /// Changes the pattern and/or the enabled flag.
    fn update_destination(
        &self,
        account: &str,
        id: &str,
        pattern: Option<&str>,
        enabled: Option<bool>,
        now: OffsetDateTime,
    ) -> Result<DestinationRecord>;
    /// Deletes the destination and its deliveries.
    fn delete_destination(&self, account: &str, id: &str) -> Result<()>;
    /// The outbox rows after `after`, oldest first, at most `limit` of them looked at: those of
    /// the account, and the last row looked at.
    fn outbox_after(&self, account: &str, after: i64, limit: usize) -> Result<OutboxPage>;
    /// The event id of an outbox row.
    fn event_id(&self, seq: i64) -> String;
    /// Records PENDING deliveries for the matched events (seq, subject) and moves the cursor.
    fn fan_out(
        &self,
        destination: &str,
        matched: &[(i64, String)],
        cursor: i64,
        now: OffsetDateTime,
    ) -> Result<()>;
    /// Due deliveries of a destination: the oldest PENDING one of each subject whose retry
    /// time has come, oldest first, at most `limit`.
    fn due_deliveries(
        &self,
        destination: &str,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Due>>;
    /// When the destination's next retry is due (none pending: `None`).
    fn next_due(&self, destination: &str) -> Result<Option<String>>;
    /// Records the outcomes of attempts, in one transaction.
    fn record_outcomes(
        &self,
        destination: &str,
        outcomes: &[(i64, Outcome)],
        now: OffsetDateTime,
    ) -> Result<()>;
    fn dead_letters(
        &self,
        account: &str,
        destination: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>>;
    /// Makes dead deliveries PENDING again, due now: the given event ids, or all of the
    /// destination's. Answers how many.
    fn replay_dead(
        &self,
        account: &str,
        destination: &str,
        event_ids: Option<&[String]>,
        now: OffsetDateTime,
    ) -> Result<u64>;
    /// Deletes DELIVERED deliveries finished before `before`, and outbox rows older than
    /// `before` that every destination of their account has read and no open delivery
    /// needs. Answers (deliveries, outbox rows) deleted.
    fn prune_events(&self, before: OffsetDateTime) -> Result<(u64, u64)>;
    fn delivery_stats(&self) -> Result<DeliveryStats>;
}

/// An event's id: a UUID (version 4 layout) of the store's 60-bit random prefix and the
/// outbox sequence number (60 bits): unique per event, the same on every retry and restart.
pub fn event_id(prefix: &str, seq: i64) -> String {
    let p = format!("{prefix:0<15}");
    let s = format!("{:015x}", seq as u64 & 0x0fff_ffff_ffff_ffff);
    format!(
        "{}-{}-4{}-8{}-{}",
        &p[0..8],
        &p[8..12],
        &p[12..15],
        &s[0..3],
        &s[3..15]
    )
}

/// The sequence number of one of this store's event ids.
pub fn event_seq(prefix: &str, id: &str) -> Option<i64> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    if id.len() != 36 || hex.len() != 32 || !id.is_ascii() || event_id(prefix, 0)[..23] != id[..23]
    {
        return None;
    }
    i64::from_str_radix(&hex[17..32], 16).ok()
}

const OUTBOX_COLS: &str = "o.seq, o.account, o.region, o.kind, o.subject, o.at, o.status, o.first_observed_at, o.last_observed_at, o.updated_at, o.suppressed_by, o.reason, o.body";

fn outbox_row(prefix: &str, r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEvent> {
    let seq = r.get(0)?;
    Ok(OutboxEvent {
        seq,
        id: event_id(prefix, seq),
        account: r.get(1)?,
        region: r.get(2)?,
        kind: r.get(3)?,
        subject: r.get(4)?,
        at: r.get(5)?,
        status: r.get(6)?,
        first_observed_at: r.get(7)?,
        last_observed_at: r.get(8)?,
        updated_at: r.get(9)?,
        suppressed_by: r.get(10)?,
        reason: r.get(11)?,
        body: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
    })
}

/// One read of the outbox: the account's events, and the last row looked at (the cursor
/// moves past other accounts' rows too).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxPage {
    pub events: Vec<OutboxEvent>,
    pub last: Option<i64>,
}

const DEST_COLS: &str = "id, account, name, kind, config, pattern, enabled, secret_sealed IS NOT NULL, cursor, created_at, updated_at";

fn dest_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DestinationRecord> {
    let config: String = r.get(4)?;
    Ok(DestinationRecord {
        id: r.get(0)?,
        account: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
        config: serde_json::from_str(&config).unwrap_or(Value::Null),
        pattern: r.get(5)?,
        enabled: r.get(6)?,
        has_secret: r.get(7)?,
        cursor: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

/// Records a completed scan of a resource (Origin::Scan ingest): the resource's ACTIVE
/// findings by severity afterwards, and its type and details.
pub(crate) fn scan_completed(
    tx: &Transaction,
    account: &str,
    region: &str,
    resource: &crate::ResourceRecord,
    at: &str,
) -> rusqlite::Result<()> {
    let mut counts = serde_json::Map::new();
    let mut total = 0i64;
    {
        let mut st = tx.prepare_cached(
            "SELECT severity, count(*) FROM findings INDEXED BY findings_by_resource
             WHERE account = ?1 AND region = ?2 AND resource_id = ?3 AND status = 'ACTIVE'
             GROUP BY severity",
        )?;
        let mut rows = st.query(params![account, region, resource.id])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(1)?;
            total += n;
            counts.insert(r.get::<_, String>(0)?, Value::from(n));
        }
    }
    for s in ["CRITICAL", "HIGH", "MEDIUM"] {
        counts.entry(s).or_insert(Value::from(0));
    }
    counts.insert("TOTAL".into(), Value::from(total));
    let body = serde_json::json!({
        "resourceType": resource.kind,
        "details": resource.details,
        "tags": resource.tags,
        "counts": counts,
    });
    tx.prepare_cached(
        "INSERT INTO event_outbox(account, region, kind, subject, at, status, body)
         VALUES (?1, ?2, 'SCAN', ?3, ?4, 'INITIAL_SCAN_COMPLETE', ?5)",
    )?
    .execute(params![account, region, resource.id, at, body.to_string()])?;
    Ok(())
}

impl Store {
    fn load_destination(
        c: &rusqlite::Connection,
        account: &str,
        id: &str,
    ) -> rusqlite::Result<Option<DestinationRecord>> {
        c.prepare_cached(&format!(
            "SELECT {DEST_COLS} FROM event_destinations WHERE account = ?1 AND id = ?2"
        ))?
        .query_row(params![account, id], dest_row)
        .optional()
    }
}

impl EventStore for Store {
    fn create_destination(
        &self,
        account: &str,
        d: &NewDestination,
        now: OffsetDateTime,
    ) -> Result<DestinationRecord> {
        crate::keys::validate_account(account)?;
        let id = format!("dest-{}", crate::keys::random_hex(12)?);
        let sealed = match &d.secret {
            Some(s) => Some(self.master.seal(s.as_bytes())?),
            None => None,
        };
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![account, at],
            )
            .map_err(e)?;
            let taken: i64 = tx
                .query_row(
                    "SELECT count(*) FROM event_destinations WHERE account = ?1 AND name = ?2",
                    params![account, d.name],
                    |r| r.get(0),
                )
                .map_err(e)?;
            if taken > 0 {
                return Err(Error::Conflict(format!(
                    "a destination named `{}` already exists",
                    d.name
                )));
            }
            // events from now on (not the history before the destination existed)
            let cursor: i64 = tx
                .query_row("SELECT coalesce(max(seq), 0) FROM event_outbox", [], |r| r.get(0))
                .map_err(e)?;
            let (nonce, sealed) = match &sealed {
                Some((n, s)) => (Some(n.as_slice()), Some(s.as_slice())),
                None => (None, None),
            };
            tx.execute(
                "INSERT INTO event_destinations(id, account, name, kind, config, pattern, secret_nonce,
                   secret_sealed, enabled, cursor, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?10)",
                params![id, account, d.name, d.kind, d.config.to_string(), d.pattern, nonce, sealed, cursor, at],
            )
            .map_err(e)?;
            Store::load_destination(tx, account, &id)
                .map_err(e)?
                .ok_or_else(|| Error::NotFound(format!("destination {id} vanished")))
        })
    }

    fn destinations(&self, account: Option<&str>) -> Result<Vec<DestinationRecord>> {
        self.with(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {DEST_COLS} FROM event_destinations WHERE ?1 IS NULL OR account = ?1
                 ORDER BY created_at, id"
            ))?;
            let rows = st.query_map(params![account], dest_row)?;
            rows.collect()
        })
    }

    fn destination(&self, account: &str, id: &str) -> Result<Option<DestinationRecord>> {
        self.with(|c| Store::load_destination(c, account, id))
    }

    fn destination_secret(&self, id: &str) -> Result<Option<Vec<u8>>> {
        type Sealed = (Option<Vec<u8>>, Option<Vec<u8>>);
        let row: Option<Sealed> = self.with(|c| {
            c.prepare_cached(
                "SELECT secret_nonce, secret_sealed FROM event_destinations WHERE id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
        })?;
        match row {
            Some((Some(n), Some(s))) => Ok(Some(self.master.open(&n, &s)?)),
            _ => Ok(None),
        }
    }

    fn update_destination(
        &self,
        account: &str,
        id: &str,
        pattern: Option<&str>,
        enabled: Option<bool>,
        now: OffsetDateTime,
    ) -> Result<DestinationRecord> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let n = tx
                .execute(
                    "UPDATE event_destinations SET pattern = coalesce(?3, pattern),
                       enabled = coalesce(?4, enabled), updated_at = ?5
                     WHERE account = ?1 AND id = ?2",
                    params![account, id, pattern, enabled, at],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::NotFound(format!("destination {id} does not exist")));
            }
            Store::load_destination(tx, account, id)
                .map_err(e)?
                .ok_or_else(|| Error::NotFound(format!("destination {id} does not exist")))
        })
    }

    fn delete_destination(&self, account: &str, id: &str) -> Result<()> {
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let n = tx
                .execute(
                    "DELETE FROM event_destinations WHERE account = ?1 AND id = ?2",
                    params![account, id],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::NotFound(format!("destination {id} does not exist")));
            }
            tx.execute("DELETE FROM event_deliveries WHERE destination = ?1", [id])
                .map_err(e)?;
            Ok(())
        })
    }

    fn outbox_after(&self, account: &str, after: i64, limit: usize) -> Result<OutboxPage> {
        let prefix = self.event_prefix.clone();
        self.with(|c| {
            // by sequence (the primary key): other accounts' bodies are not read
            let mut st = c.prepare_cached(
                "SELECT o.seq, o.account, o.region, o.kind, o.subject, o.at, o.status, o.first_observed_at,
                        o.last_observed_at, o.updated_at, o.suppressed_by, o.reason,
                        CASE WHEN o.account = ?1 THEN o.body END
                 FROM event_outbox o WHERE o.seq > ?2 ORDER BY o.seq LIMIT ?3",
            )?;
            let mut rows = st.query(params![account, after, limit as i64])?;
            let mut page = OutboxPage::default();
            while let Some(r) = rows.next()? {
                let e = outbox_row(&prefix, r)?;
                page.last = Some(e.seq);
                if e.account == account {
                    page.events.push(e);
                }
            }
            Ok(page)
        })
    }

    fn event_id(&self, seq: i64) -> String {
        event_id(&self.event_prefix, seq)
    }

    fn fan_out(
        &self,
        destination: &str,
        matched: &[(i64, String)],
        cursor: i64,
        now: OffsetDateTime,
    ) -> Result<()> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            // the destination may have been deleted meanwhile: then nothing is recorded
            let n = tx
                .execute(
                    "UPDATE event_destinations SET cursor = max(cursor, ?2) WHERE id = ?1",
                    params![destination, cursor],
                )
                .map_err(e)?;
            if n == 0 {
                return Ok(());
            }
            let mut st = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO event_deliveries(destination, seq, subject, state, attempts,
                       next_at, created_at) VALUES (?1, ?2, ?3, 'PENDING', 0, ?4, ?4)",
                )
                .map_err(e)?;
            for (seq, subject) in matched {
                st.execute(params![destination, seq, subject, at]).map_err(e)?;
            }
            Ok(())
        })
    }

    fn due_deliveries(
        &self,
        destination: &str,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Due>> {
        let at = timestamp(now);
        let prefix = self.event_prefix.clone();
        self.with(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {OUTBOX_COLS}, d.attempts, d.created_at
                 FROM event_deliveries d JOIN event_outbox o ON o.seq = d.seq
                 WHERE d.destination = ?1 AND d.state = 'PENDING' AND d.next_at <= ?2
                   AND NOT EXISTS (SELECT 1 FROM event_deliveries p INDEXED BY deliveries_pending
                     WHERE p.destination = d.destination AND p.subject = d.subject
                       AND p.state = 'PENDING' AND p.seq < d.seq)
                 ORDER BY d.seq LIMIT ?3"
            ))?;
            let rows = st.query_map(params![destination, at, limit as i64], |r| {
                Ok(Due {
                    event: outbox_row(&prefix, r)?,
                    attempts: r.get(13)?,
                    created_at: r.get(14)?,
                })
            })?;
            rows.collect()
        })
    }

    fn next_due(&self, destination: &str) -> Result<Option<String>> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT min(next_at) FROM event_deliveries WHERE destination = ?1 AND state = 'PENDING'",
            )?
            .query_row([destination], |r| r.get(0))
        })
    }

    fn record_outcomes(
        &self,
        destination: &str,
        outcomes: &[(i64, Outcome)],
        now: OffsetDateTime,
    ) -> Result<()> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            for (seq, o) in outcomes {
                let (state, next_at, error) = match o {
                    Outcome::Delivered => ("DELIVERED", None, None),
                    Outcome::Retry { next_at, error } => {
                        ("PENDING", Some(next_at.as_str()), Some(error.as_str()))
                    }
                    Outcome::Dead { error } => ("DEAD", None, Some(error.as_str())),
                };
                tx.prepare_cached(
                    "UPDATE event_deliveries SET state = ?3, attempts = attempts + 1,
                       next_at = coalesce(?4, next_at), last_error = coalesce(?5, last_error),
                       done_at = CASE WHEN ?3 = 'PENDING' THEN NULL ELSE ?6 END
                     WHERE destination = ?1 AND seq = ?2 AND state = 'PENDING'",
                )
                .map_err(e)?
                .execute(params![destination, seq, state, next_at, error, at])
                .map_err(e)?;
            }
            Ok(())
        })
    }

    fn dead_letters(
        &self,
        account: &str,
        destination: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        let prefix = self.event_prefix.clone();
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT d.destination, o.seq, o.kind, d.subject, d.attempts, d.last_error, d.created_at, d.done_at
                 FROM event_deliveries d JOIN event_destinations ds ON ds.id = d.destination
                 JOIN event_outbox o ON o.seq = d.seq
                 WHERE ds.account = ?1 AND (?2 IS NULL OR d.destination = ?2) AND d.state = 'DEAD'
                 ORDER BY d.destination, d.seq LIMIT ?3",
            )?;
            let rows = st.query_map(params![account, destination, limit as i64], |r| {
                Ok(DeadLetter {
                    destination_id: r.get(0)?,
                    event_id: event_id(&prefix, r.get(1)?),
                    kind: r.get(2)?,
                    subject: r.get(3)?,
                    attempts: r.get(4)?,
                    last_error: r.get(5)?,
                    created_at: r.get(6)?,
                    dead_at: r.get(7)?,
                })
            })?;
            rows.collect()
        })
    }

    fn replay_dead(
        &self,
        account: &str,
        destination: &str,
        event_ids: Option<&[String]>,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            if Store::load_destination(tx, account, destination)
                .map_err(e)?
                .is_none()
            {
                return Err(Error::NotFound(format!(
                    "destination {destination} does not exist"
                )));
            }
            // a replayed delivery starts over: fresh attempts and age
            let sql = "UPDATE event_deliveries SET state = 'PENDING', attempts = 0, next_at = ?2,
                         created_at = ?2, done_at = NULL
                       WHERE destination = ?1 AND state = 'DEAD'";
            let n = match event_ids {
                None => tx.execute(sql, params![destination, at]).map_err(e)?,
                Some(ids) => {
                    let mut n = 0;
                    let mut st = tx
                        .prepare_cached(&format!("{sql} AND seq = ?3"))
                        .map_err(e)?;
                    for id in ids {
                        // an id of another store (or no id) matches nothing
                        if let Some(seq) = event_seq(&self.event_prefix, id) {
                            n += st.execute(params![destination, at, seq]).map_err(e)?;
                        }
                    }
                    n
                }
            };
            Ok(n as u64)
        })
    }

    fn prune_events(&self, before: OffsetDateTime) -> Result<(u64, u64)> {
        let at = timestamp(before);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let deliveries = tx
                .execute(
                    "DELETE FROM event_deliveries WHERE state = 'DELIVERED' AND done_at < ?1",
                    [&at],
                )
                .map_err(e)?;
            let outbox = tx
                .execute(
                    "DELETE FROM event_outbox WHERE at < ?1
                       AND seq <= coalesce((SELECT min(cursor) FROM event_destinations ds
                                            WHERE ds.account = event_outbox.account), seq)
                       AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.seq = event_outbox.seq)",
                    [&at],
                )
                .map_err(e)?;
            Ok((deliveries as u64, outbox as u64))
        })
    }

    fn delivery_stats(&self) -> Result<DeliveryStats> {
        self.with(|c| {
            // per destination and state, by index (delivered rows are never counted)
            let mut deliveries = Vec::new();
            let mut st = c.prepare_cached(
                "SELECT ds.id, ds.name,
                   (SELECT count(*) FROM event_deliveries d WHERE d.destination = ds.id AND d.state = 'PENDING'),
                   (SELECT count(*) FROM event_deliveries d WHERE d.destination = ds.id AND d.state = 'DEAD')
                 FROM event_destinations ds ORDER BY ds.id",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let (id, name): (String, String) = (r.get(0)?, r.get(1)?);
                for (state, i) in [("PENDING", 2), ("DEAD", 3)] {
                    let n: i64 = r.get(i)?;
                    if n > 0 {
                        deliveries.push((id.clone(), name.clone(), state.to_owned(), n));
                    }
                }
            }
            let outbox_rows = c.query_row(
                "SELECT coalesce(sum((SELECT count(*) FROM event_outbox o
                   WHERE o.seq > ds.cursor AND o.account = ds.account)), 0)
                 FROM event_destinations ds",
                [],
                |r| r.get(0),
            )?;
            Ok(DeliveryStats {
                deliveries,
                outbox_rows,
            })
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Compiled, Origin, ResourceRecord, Submission};
    use serde_json::json;

    fn never(_: &Value) -> Compiled {
        Compiled::never()
    }

    fn sub<'a>(findings: Vec<Value>, now: OffsetDateTime) -> Submission<'a> {
        Submission {
            account: "111122223333",
            region: "us-east-1",
            resource: ResourceRecord {
                kind: "AWS_EC2_INSTANCE".into(),
                id: "i-1".into(),
                region: "us-east-1".into(),
                tags: Default::default(),
                details: None,
            },
            inventory: b"{}",
            findings,
            now,
            keys: Vec::new(),
            origin: Origin::Scan,
            scope: None,
        }
    }

    fn finding(arn: &str, severity: &str) -> Value {
        json!({"findingArn": arn, "severity": severity, "type": "PACKAGE_VULNERABILITY", "title": "t"})
    }

    fn kinds(s: &Store) -> Vec<(String, String, Option<String>)> {
        s.outbox_after("111122223333", 0, 1000)
            .unwrap()
            .events
            .into_iter()
            .map(|e| (e.kind, e.subject, e.status))
            .collect()
    }

    #[test]
    fn outbox_follows_every_change_and_not_plain_rescans() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let t0 = OffsetDateTime::now_utc();
        s.ingest(
            sub(vec![finding("a", "HIGH"), finding("b", "LOW")], t0),
            &never,
        )
        .unwrap();
        let first = kinds(&s);
        assert_eq!(
            first,
            vec![
                ("COVERAGE".into(), "i-1".into(), Some("ACTIVE".into())),
                ("FINDING".into(), "a".into(), Some("ACTIVE".into())),
                ("FINDING".into(), "b".into(), Some("ACTIVE".into())),
                (
                    "SCAN".into(),
                    "i-1".into(),
                    Some("INITIAL_SCAN_COMPLETE".into())
                ),
            ]
        );
        let scan = s
            .outbox_after("111122223333", 0, 10)
            .unwrap()
            .events
            .pop()
            .unwrap();
        let body: Value = serde_json::from_str(&scan.body).unwrap();
        assert_eq!(
            body["counts"],
            json!({"HIGH": 1, "LOW": 1, "CRITICAL": 0, "MEDIUM": 0, "TOTAL": 2})
        );
        // the same scan again: only the scan completion
        s.ingest(
            sub(
                vec![finding("a", "HIGH"), finding("b", "LOW")],
                t0 + time::Duration::seconds(5),
            ),
            &never,
        )
        .unwrap();
        let after = kinds(&s);
        assert_eq!(after.len(), 5);
        assert_eq!(after[4].0, "SCAN");
        // severity change of a, b gone (closed)
        s.ingest(
            sub(
                vec![finding("a", "CRITICAL")],
                t0 + time::Duration::seconds(10),
            ),
            &never,
        )
        .unwrap();
        let after = kinds(&s);
        assert_eq!(
            after[5],
            ("FINDING".into(), "a".into(), Some("ACTIVE".into()))
        );
        assert_eq!(
            after[6],
            ("FINDING".into(), "b".into(), Some("CLOSED".into()))
        );
        assert_eq!(after[7].0, "SCAN");
        // deletion: the open finding closes, the resource's coverage ends
        s.delete_resource(
            "111122223333",
            "us-east-1",
            "i-1",
            t0 + time::Duration::seconds(20),
        )
        .unwrap();
        let after = kinds(&s);
        assert_eq!(after.len(), 10);
        assert!(after[8..].contains(&("FINDING".into(), "a".into(), Some("CLOSED".into()))));
        assert!(after[8..].contains(&(
            "COVERAGE".into(),
            "i-1".into(),
            Some("RESOURCE_TERMINATED".into())
        )));
        // ids are UUIDs, unique
        let ids: std::collections::HashSet<String> = s
            .outbox_after("111122223333", 0, 100)
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids.len(), 10);
        for id in &ids {
            assert_eq!(id.len(), 36);
            assert_eq!(&id[14..15], "4");
            assert!("89ab".contains(&id[19..20]));
            let seq = event_seq(&s.event_prefix, id).unwrap();
            assert_eq!(&event_id(&s.event_prefix, seq), id);
        }
        assert_eq!(
            event_seq(&s.event_prefix, "00000000-0000-4000-8000-000000000001"),
            None
        );
    }

    #[test]
    fn deliveries_hold_back_only_their_subject() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let now = OffsetDateTime::now_utc();
        let d = s
            .create_destination(
                "111122223333",
                &NewDestination {
                    name: "d".into(),
                    kind: "WEBHOOK".into(),
                    config: json!({"url": "http://127.0.0.1/"}),
                    pattern: "{}".into(),
                    secret: Some("0123456789abcdef".into()),
                },
                now,
            )
            .unwrap();
        assert_eq!(
            s.destination_secret(&d.id).unwrap().unwrap(),
            b"0123456789abcdef"
        );
        s.ingest(
            sub(vec![finding("a", "HIGH"), finding("b", "LOW")], now),
            &never,
        )
        .unwrap();
        s.ingest(
            sub(
                vec![finding("a", "CRITICAL"), finding("b", "MEDIUM")],
                now + time::Duration::seconds(1),
            ),
            &never,
        )
        .unwrap();
        let events = s
            .outbox_after("111122223333", d.cursor, 100)
            .unwrap()
            .events;
        let matched: Vec<(i64, String)> =
            events.iter().map(|e| (e.seq, e.subject.clone())).collect();
        s.fan_out(&d.id, &matched, events.last().unwrap().seq, now)
            .unwrap();
        let later = now + time::Duration::seconds(2);
        let due = s.due_deliveries(&d.id, later, 100).unwrap();
        // one per subject: coverage i-1, a, b
        let subjects: Vec<&str> = due.iter().map(|d| d.event.subject.as_str()).collect();
        assert_eq!(subjects, vec!["i-1", "a", "b"]);
        // a fails, the others succeed
        let a_seq = due[1].event.seq;
        s.record_outcomes(
            &d.id,
            &[
                (due[0].event.seq, Outcome::Delivered),
                (
                    a_seq,
                    Outcome::Retry {
                        next_at: timestamp(later + time::Duration::hours(1)),
                        error: "500".into(),
                    },
                ),
                (due[2].event.seq, Outcome::Delivered),
            ],
            later,
        )
        .unwrap();
        let due2 = s.due_deliveries(&d.id, later, 100).unwrap();
        let subjects: Vec<&str> = due2.iter().map(|d| d.event.subject.as_str()).collect();
        // a's second event waits behind its first; b and the scan move on
        assert!(!subjects.contains(&"a"), "{subjects:?}");
        assert!(subjects.contains(&"b"));
        // dead-letter a, then its next event is due; replay brings it back
        s.record_outcomes(
            &d.id,
            &[(
                a_seq,
                Outcome::Dead {
                    error: "gave up".into(),
                },
            )],
            later,
        )
        .unwrap();
        let due3 = s.due_deliveries(&d.id, later, 100).unwrap();
        assert!(
            due3.iter()
                .any(|d| d.event.subject == "a" && d.event.seq > a_seq)
        );
        let dead = s.dead_letters("111122223333", None, 10).unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].attempts, 2);
        let n = s
            .replay_dead(
                "111122223333",
                &d.id,
                Some(std::slice::from_ref(&dead[0].event_id)),
                later,
            )
            .unwrap();
        assert_eq!(n, 1);
        assert!(s.dead_letters("111122223333", None, 10).unwrap().is_empty());
        let stats = s.delivery_stats().unwrap();
        assert!(
            stats
                .deliveries
                .iter()
                .any(|(_, _, st, n)| st == "PENDING" && *n > 0)
        );
        // retention: delivered rows go, and the outbox rows nothing needs any more; pending
        // ones (and their outbox rows) stay
        let total = s
            .outbox_after("111122223333", 0, 1000)
            .unwrap()
            .events
            .len();
        let delivered_before: i64 = s
            .with(|c| {
                c.query_row(
                    "SELECT count(*) FROM event_deliveries WHERE state = 'DELIVERED'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert!(delivered_before > 0);
        let (deliveries, outbox) = s.prune_events(later + time::Duration::hours(1)).unwrap();
        assert_eq!(deliveries as i64, delivered_before);
        let left = s.outbox_after("111122223333", 0, 1000).unwrap().events;
        assert_eq!(left.len() + outbox as usize, total);
        assert!(outbox > 0);
        let due = s.due_deliveries(&d.id, later, 100).unwrap();
        assert!(!due.is_empty());
        assert!(
            due.iter()
                .all(|x| left.iter().any(|e| e.seq == x.event.seq))
        );
    }
}

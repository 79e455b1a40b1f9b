//! Finding events: destinations (Vigil-native API under `/vigil/v1/destinations/`), the
//! EventBridge envelopes built from the store's outbox, and the delivery workers.
//!
//! Every change to findings and resources lands in the store's outbox in the transaction that
//! makes it (triggers, see `vigil_store::events`). One worker per destination, a tokio task
//! whose store and network work runs on the blocking pool, loops: match the account's new
//! outbox events against the destination's pattern (recording PENDING deliveries and moving
//! its cursor in one transaction), take the due deliveries (the oldest pending one per
//! subject, so a failing finding holds back only its own later events), send them as one
//! batch (webhooks: up to 8 requests at once; NATS: pipelined HPUBs awaiting every PubAck),
//! and record each outcome. A destination that is slow, down or failing only slows its own
//! worker. Failures retry with exponential backoff and full jitter until the attempts or the
//! age run out, then the delivery is dead-lettered (listed and replayed through the API).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_events::destination::{Destination, OutEvent, Sender};
use vigil_events::{Backoff, DetailType, Pattern};
use vigil_store::events::{DestinationRecord, NewDestination, OutboxEvent, Outcome};

use crate::ops::{check_members, max_results, string_field};
use crate::{ApiError, App, Principal};

/// Delivery settings (`vigil server --event-*`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub backoff: Backoff,
    /// Delivered deliveries (and outbox rows no destination needs) are pruned after this.
    pub retention: Duration,
    /// How often an idle worker looks for new events.
    pub poll: Duration,
    /// Deliveries sent per batch.
    pub batch: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            backoff: Backoff::default(),
            retention: Duration::from_secs(7 * 24 * 3600),
            poll: Duration::from_millis(200),
            batch: 256,
        }
    }
}

/// Latency histogram bounds (seconds from the change to its delivery).
const LATENCY_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// A destination's delivery counters since the server started.
#[derive(Debug, Clone, Default)]
pub struct DestStats {
    pub name: String,
    pub ok: u64,
    pub failed: u64,
    pub dead: u64,
    /// Counts per [`LATENCY_BUCKETS`] bound (not cumulative), then the sum and count.
    pub latency_buckets: [u64; LATENCY_BUCKETS.len()],
    pub latency_sum: f64,
    pub latency_count: u64,
}

/// The delivery state the server keeps in memory (the rest is in the store).
#[derive(Default)]
pub struct Delivery {
    pub settings: Settings,
    stats: Mutex<HashMap<String, DestStats>>,
    /// Woken when work may be waiting (a destination created or replayed).
    pub wake: tokio::sync::Notify,
}

impl Delivery {
    pub fn new(settings: Settings) -> Delivery {
        Delivery {
            settings,
            ..Default::default()
        }
    }

    /// The counters of every destination seen since start.
    pub fn stats(&self) -> Vec<(String, DestStats)> {
        let mut v: Vec<(String, DestStats)> = self
            .stats
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    fn count(&self, id: &str, name: &str, f: impl FnOnce(&mut DestStats)) {
        if let Ok(mut m) = self.stats.lock() {
            let s = m.entry(id.to_owned()).or_default();
            s.name = name.to_owned();
            f(s);
        }
    }
}

pub fn latency_buckets() -> &'static [f64] {
    &LATENCY_BUCKETS
}

// --- envelopes -----------------------------------------------------------------------------

/// The reasons a stored scan status may carry (ListCoverage's `scanStatus.reason`).
fn coverage_status(status: Option<&str>, scanned: bool) -> (&'static str, String) {
    match status {
        None | Some("ACTIVE") if scanned => ("ACTIVE", "SUCCESSFUL".into()),
        None | Some("ACTIVE") => ("ACTIVE", "PENDING_INITIAL_SCAN".into()),
        Some(s) => ("INACTIVE", s.to_owned()),
    }
}

/// The envelope of an outbox event: its detail type, and the EventBridge event.
pub fn envelope(ev: &OutboxEvent) -> Result<(DetailType, Value), String> {
    let kind = DetailType::from_code(&ev.kind)
        .ok_or_else(|| format!("event {}: unknown kind `{}`", ev.id, ev.kind))?;
    let body: Value = serde_json::from_str(&ev.body)
        .map_err(|e| format!("event {}: stored body is not JSON: {e}", ev.id))?;
    let (resources, detail) = match kind {
        DetailType::Finding => {
            // what ListFindings answers for the finding at that moment
            let mut f = body;
            let resources: Vec<String> = f["resources"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|r| r["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(o) = f.as_object_mut() {
                o.insert("findingArn".into(), json!(ev.subject));
                o.insert("awsAccountId".into(), json!(ev.account));
                o.insert("status".into(), json!(ev.status));
                o.insert("firstObservedAt".into(), json!(ev.first_observed_at));
                o.insert("lastObservedAt".into(), json!(ev.last_observed_at));
                o.insert("updatedAt".into(), json!(ev.updated_at));
                if let Some(by) = &ev.suppressed_by
                    && let Some(vigil) = o.get_mut("vigil").and_then(Value::as_object_mut)
                {
                    vigil.insert(
                        "suppression".into(),
                        json!({"filterArn": by, "reason": ev.reason}),
                    );
                }
            }
            crate::wire::timestamps_to_epoch(&mut f);
            (resources, f)
        }
        DetailType::Coverage => {
            let (code, reason) =
                coverage_status(ev.status.as_deref(), ev.last_observed_at.is_some());
            let rtype = body["resourceType"].as_str().unwrap_or_default();
            let scan_type = if rtype == "CODE_REPOSITORY" {
                "CODE"
            } else {
                "PACKAGE"
            };
            (
                vec![ev.subject.clone()],
                json!({
                    "scanStatus": {"reason": reason, "statusCodeValue": code},
                    "scanType": scan_type,
                    "resourceType": rtype,
                    "resourceId": ev.subject,
                    "provider": "AWS",
                    "providerAccountId": ev.account,
                    "providerRegion": ev.region,
                    "eventTimestamp": ev.at,
                    "version": "1.0",
                }),
            )
        }
        DetailType::Scan => {
            let mut d = json!({
                "scan-status": ev.status.as_deref().unwrap_or("INITIAL_SCAN_COMPLETE"),
                "finding-severity-counts": body["counts"],
                "version": "1.0",
            });
            match body["resourceType"].as_str() {
                Some("AWS_EC2_INSTANCE") => d["instance-id"] = json!(ev.subject),
                Some("AWS_ECR_CONTAINER_IMAGE") => {
                    let img = &body["details"]["awsEcrContainerImage"];
                    if let Some(r) = img["repositoryName"].as_str() {
                        d["repository-name"] = json!(r);
                    }
                    if let Some(h) = img["imageHash"].as_str() {
                        d["image-digest"] = json!(h);
                    }
                    d["image-tags"] = img["imageTags"].clone();
                    if d["image-tags"].is_null() {
                        d["image-tags"] = json!([]);
                    }
                }
                _ => {}
            }
            (vec![ev.subject.clone()], d)
        }
    };
    Ok((
        kind,
        vigil_events::envelope(
            &ev.id,
            kind,
            &ev.account,
            &ev.region,
            &vigil_events::event_time(&ev.at),
            resources,
            detail,
        ),
    ))
}

// --- the API -------------------------------------------------------------------------------

fn pattern_of(input: &Value) -> Result<String, ApiError> {
    let v = match input.get("eventPattern") {
        None | Some(Value::Null) => return Ok("{}".into()),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .map_err(|e| ApiError::field("eventPattern", &format!("is not valid JSON: {e}")))?,
        Some(v) => v.clone(),
    };
    if v.as_object().is_some_and(|o| o.is_empty()) {
        return Ok("{}".into());
    }
    Pattern::compile(&v).map_err(|e| {
        let field = if e.path == "(root)" {
            "eventPattern".to_owned()
        } else {
            format!("eventPattern.{}", e.path)
        };
        ApiError::field(&field, &e.message)
    })?;
    Ok(v.to_string())
}

fn public(d: &DestinationRecord) -> Value {
    let mut v = json!({
        "destinationId": d.id,
        "name": d.name,
        "type": d.kind,
        "eventPattern": serde_json::from_str::<Value>(&d.pattern).unwrap_or(Value::Null),
        "enabled": d.enabled,
        "createdAt": d.created_at,
        "updatedAt": d.updated_at,
    });
    if let Ok(dest) = Destination::from_stored(&d.kind, &d.config) {
        let (member, settings) = dest.to_public();
        v[member] = settings;
        if d.has_secret && member == "webhook" {
            v[member]["hasSecret"] = json!(true);
        }
    }
    crate::wire::timestamps_to_epoch(&mut v);
    v
}

fn destination_id(input: &Value) -> Result<&str, ApiError> {
    string_field(input, "destinationId", 128)?
        .ok_or_else(|| ApiError::field("destinationId", "is required"))
}

fn found(app: &App, p: &Principal, id: &str) -> Result<DestinationRecord, ApiError> {
    app.store
        .event_store()
        .destination(&p.account, id)?
        .ok_or_else(|| ApiError::not_found(&format!("destination {id} does not exist")))
}

/// `POST /vigil/v1/destinations/create`.
pub fn create(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(
        input,
        &[
            "name",
            "type",
            "eventPattern",
            "webhook",
            "nats",
            "securityHub",
        ],
    )?;
    let name =
        string_field(input, "name", 128)?.ok_or_else(|| ApiError::field("name", "is required"))?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(ApiError::field(
            "name",
            "may hold letters, digits, `-`, `_` and `.` only",
        ));
    }
    let kind = string_field(input, "type", 32)?
        .ok_or_else(|| ApiError::field("type", "is required (WEBHOOK, NATS or SECURITY_HUB)"))?;
    let pattern = pattern_of(input)?;
    let (dest, secret) = Destination::from_request(kind, input)
        .map_err(|e| ApiError::field(&e.field, &e.message))?;
    let generated = if dest.signs() && secret.is_none() {
        Some(vigil_store::keys::random_hex(32)?)
    } else {
        None
    };
    let rec = app.store.event_store().create_destination(
        &p.account,
        &NewDestination {
            name: name.to_owned(),
            kind: dest.kind().to_owned(),
            config: dest.to_stored(),
            pattern,
            secret: secret.or_else(|| generated.clone()),
        },
        OffsetDateTime::now_utc(),
    )?;
    app.events.wake.notify_waiters();
    let mut out = public(&rec);
    if let Some(s) = generated {
        // shown once
        out["signingSecret"] = json!(s);
    }
    Ok(out)
}

/// `POST /vigil/v1/destinations/list`.
pub fn list(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &[])?;
    let all = app.store.event_store().destinations(Some(&p.account))?;
    Ok(json!({"destinations": all.iter().map(public).collect::<Vec<_>>()}))
}

/// `POST /vigil/v1/destinations/get`.
pub fn get(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["destinationId"])?;
    let id = destination_id(input)?;
    let d = found(app, p, id)?;
    let mut out = public(&d);
    let depth: i64 = app
        .store
        .event_store()
        .delivery_stats()?
        .deliveries
        .iter()
        .filter(|(dest, _, state, _)| dest == id && state == "PENDING")
        .map(|x| x.3)
        .sum();
    out["pendingDeliveries"] = json!(depth);
    Ok(out)
}

/// `POST /vigil/v1/destinations/update`: `eventPattern` and/or `enabled`.
pub fn update(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["destinationId", "eventPattern", "enabled"])?;
    let id = destination_id(input)?;
    let pattern = match input.get("eventPattern") {
        None => None,
        Some(_) => Some(pattern_of(input)?),
    };
    let enabled = match input.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(ApiError::field("enabled", "must be true or false")),
    };
    let d = app.store.event_store().update_destination(
        &p.account,
        id,
        pattern.as_deref(),
        enabled,
        OffsetDateTime::now_utc(),
    )?;
    app.events.wake.notify_waiters();
    Ok(public(&d))
}

/// `POST /vigil/v1/destinations/delete`.
pub fn delete(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["destinationId"])?;
    let id = destination_id(input)?;
    app.store.event_store().delete_destination(&p.account, id)?;
    Ok(json!({"destinationId": id}))
}

/// `POST /vigil/v1/destinations/dead-letters/list`.
pub fn dead_letters(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["destinationId", "maxResults"])?;
    let id = string_field(input, "destinationId", 128)?;
    if let Some(id) = id {
        found(app, p, id)?;
    }
    let limit = max_results(input, 1000)?;
    let dead = app
        .store
        .event_store()
        .dead_letters(&p.account, id, limit)?;
    Ok(json!({"deadLetters": dead}))
}

/// `POST /vigil/v1/destinations/dead-letters/replay`: `eventIds`, or every dead letter of the
/// destination.
pub fn replay(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["destinationId", "eventIds"])?;
    let id = destination_id(input)?;
    let ids: Option<Vec<String>> = match input.get("eventIds") {
        None | Some(Value::Null) => None,
        Some(Value::Array(l)) if !l.is_empty() && l.len() <= 1000 => Some(
            l.iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        ApiError::field(&format!("eventIds[{i}]"), "must be a string")
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => {
            return Err(ApiError::field(
                "eventIds",
                "must be a list of 1 to 1000 event ids",
            ));
        }
    };
    let n = app.store.event_store().replay_dead(
        &p.account,
        id,
        ids.as_deref(),
        OffsetDateTime::now_utc(),
    )?;
    app.events.wake.notify_waiters();
    Ok(json!({"destinationId": id, "replayed": n}))
}

// --- delivery -------------------------------------------------------------------------------

/// Starts the supervisor: one worker per destination, started and stopped as destinations
/// come and go.
pub fn start(app: &Arc<App>) {
    let app = app.clone();
    tokio::spawn(async move {
        let mut workers: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
        loop {
            let a = app.clone();
            let listed =
                tokio::task::spawn_blocking(move || a.store.event_store().destinations(None)).await;
            match listed {
                Ok(Ok(dests)) => {
                    let ids: std::collections::HashSet<&str> =
                        dests.iter().map(|d| d.id.as_str()).collect();
                    workers.retain(|id, h| {
                        let keep = ids.contains(id.as_str()) && !h.is_finished();
                        if !keep {
                            h.abort();
                        }
                        keep
                    });
                    for d in dests {
                        if let std::collections::hash_map::Entry::Vacant(slot) =
                            workers.entry(d.id.clone())
                        {
                            slot.insert(tokio::spawn(worker(app.clone(), d.id, d.account)));
                        }
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot list event destinations"),
                Err(e) => tracing::warn!(error = %e, "listing event destinations failed"),
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), app.events.wake.notified()).await;
        }
    });
}

/// One destination's loop.
async fn worker(app: Arc<App>, id: String, account: String) {
    let mut sender: Option<(String, Box<dyn Sender>)> = None;
    loop {
        let a = app.clone();
        let (i, acc) = (id.clone(), account.clone());
        let s = sender.take();
        let r = tokio::task::spawn_blocking(move || cycle(&a, &i, &acc, s)).await;
        let busy = match r {
            Ok(Ok((s, busy))) => {
                sender = s;
                busy
            }
            Ok(Err(Stop)) => return,
            Err(e) => {
                tracing::warn!(destination = %id, error = %e, "event delivery cycle failed");
                false
            }
        };
        if !busy {
            let _ =
                tokio::time::timeout(app.events.settings.poll, app.events.wake.notified()).await;
        }
    }
}

/// The destination is gone: its worker stops.
struct Stop;

type Cached = Option<(String, Box<dyn Sender>)>;

/// Matches new events, sends one batch of due deliveries, records the outcomes. Answers the
/// sender (kept for its connections) and whether more work may be waiting.
fn cycle(app: &App, id: &str, account: &str, sender: Cached) -> Result<(Cached, bool), Stop> {
    let store = app.store.event_store();
    let settings = &app.events.settings;
    let rec = match store.destination(account, id) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(Stop),
        Err(e) => {
            tracing::warn!(destination = %id, error = %e, "cannot read destination");
            return Ok((sender, false));
        }
    };
    let mut busy = false;
    // 1. match what is new in the outbox
    match fan_out(app, &rec) {
        Ok(more) => busy |= more,
        Err(e) => tracing::warn!(destination = %id, error = %e, "matching events failed"),
    }
    if !rec.enabled {
        return Ok((sender, busy));
    }
    // 2. send what is due
    let now = OffsetDateTime::now_utc();
    let due = match store.due_deliveries(id, now, settings.batch) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(destination = %id, error = %e, "cannot read due deliveries");
            return Ok((sender, busy));
        }
    };
    if due.is_empty() {
        return Ok((sender, busy));
    }
    let fingerprint = format!("{}|{}", rec.kind, rec.config);
    let mut sender = match sender {
        Some((f, s)) if f == fingerprint => s,
        _ => {
            let dest = match Destination::from_stored(&rec.kind, &rec.config) {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(destination = %id, error = %e, "unusable destination");
                    return Ok((None, false));
                }
            };
            let secret = store.destination_secret(id).unwrap_or_else(|e| {
                tracing::error!(destination = %id, error = %e, "cannot unseal the signing secret");
                None
            });
            dest.sender(secret)
        }
    };
    let mut outcomes: Vec<(i64, Outcome)> = Vec::with_capacity(due.len());
    let mut bodies: Vec<(usize, &'static str, Vec<u8>)> = Vec::with_capacity(due.len());
    for (i, d) in due.iter().enumerate() {
        match envelope(&d.event) {
            Ok((kind, env)) => bodies.push((i, kind.as_str(), env.to_string().into_bytes())),
            Err(e) => outcomes.push((d.event.seq, Outcome::Dead { error: e })),
        }
    }
    let events: Vec<OutEvent<'_>> = bodies
        .iter()
        .map(|(i, kind, body)| OutEvent {
            id: &due[*i].event.id,
            detail_type: kind,
            body,
        })
        .collect();
    let results = sender.send_batch(&events);
    let done = OffsetDateTime::now_utc();
    let mut delivered = 0;
    for ((i, _, _), result) in bodies.iter().zip(results) {
        let d = &due[*i];
        match result {
            Ok(()) => {
                delivered += 1;
                let latency = parse_ts(&d.event.at)
                    .map(|t| (done - t).as_seconds_f64().max(0.0))
                    .unwrap_or(0.0);
                app.events.count(id, &rec.name, |s| {
                    s.ok += 1;
                    s.latency_sum += latency;
                    s.latency_count += 1;
                    if let Some(b) = LATENCY_BUCKETS.iter().position(|b| latency <= *b) {
                        s.latency_buckets[b] += 1;
                    }
                });
                outcomes.push((d.event.seq, Outcome::Delivered));
            }
            Err(error) => {
                let attempt = d.attempts + 1;
                let age = parse_ts(&d.created_at)
                    .map(|t| Duration::try_from(done - t).unwrap_or_default())
                    .unwrap_or_default();
                tracing::debug!(destination = %id, event = %d.event.id, attempt, %error, "event delivery failed");
                if settings.backoff.exhausted(attempt, age) {
                    tracing::warn!(destination = %id, event = %d.event.id, attempt, %error, "event dead-lettered");
                    app.events.count(id, &rec.name, |s| {
                        s.failed += 1;
                        s.dead += 1;
                    });
                    outcomes.push((d.event.seq, Outcome::Dead { error }));
                } else {
                    app.events.count(id, &rec.name, |s| s.failed += 1);
                    let wait = settings.backoff.delay(attempt, vigil_events::random_unit());
                    let next = done + time::Duration::try_from(wait).unwrap_or_default();
                    outcomes.push((
                        d.event.seq,
                        Outcome::Retry {
                            next_at: vigil_store::timestamp(next),
                            error,
                        },
                    ));
                }
            }
        }
    }
    if let Err(e) = store.record_outcomes(id, &outcomes, done) {
        // the events are sent again later: receivers dedupe by id
        tracing::warn!(destination = %id, error = %e, "cannot record delivery outcomes");
    }
    busy |= delivered > 0;
    Ok((Some((fingerprint, sender)), busy))
}

fn parse_ts(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Matches the account's outbox events after the destination's cursor (a bounded number per
/// cycle); answers whether more may be waiting.
fn fan_out(app: &App, rec: &DestinationRecord) -> Result<bool, String> {
    const CHUNK: usize = 2000;
    let store = app.store.event_store();
    let page = store
        .outbox_after(&rec.account, rec.cursor, CHUNK)
        .map_err(|e| e.to_string())?;
    let Some(last) = page.last else {
        return Ok(false);
    };
    let looked_at = (last - rec.cursor) as usize;
    let events = page.events;
    let pattern = Pattern::parse(&rec.pattern).map_err(|e| format!("stored pattern: {e}"))?;
    let mut matched = Vec::new();
    if rec.enabled {
        for ev in &events {
            match envelope(ev) {
                Ok((_, env)) if pattern.matches(&env) => matched.push((ev.seq, ev.subject.clone())),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(destination = %rec.id, error = %e, "unreadable event skipped")
                }
            }
        }
    }
    store
        .fan_out(&rec.id, &matched, last, OffsetDateTime::now_utc())
        .map_err(|e| e.to_string())?;
    Ok(looked_at >= CHUNK)
}

/// The `event-retention` job: prunes delivered deliveries and outbox rows nobody needs.
pub fn prune(app: &App) -> Result<Value, String> {
    let keep =
        time::Duration::try_from(app.events.settings.retention).map_err(|e| e.to_string())?;
    let (deliveries, outbox) = app
        .store
        .event_store()
        .prune_events(OffsetDateTime::now_utc() - keep)
        .map_err(|e| e.to_string())?;
    Ok(json!({"deliveriesPruned": deliveries, "outboxPruned": outbox}))
}

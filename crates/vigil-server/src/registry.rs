//! Registry integration: scan on push, catalog polling, rescan windows.
//!
//! A registry registered with `vigil admin add-registry` sends its notifications to
//! `POST /vigil/v1/registries/{name}/notifications` with the bearer token it was given: the
//! Docker distribution registry's envelope (`application/vnd.docker.distribution.events.v1+json`)
//! or Harbor's webhook payload (`PUSH_ARTIFACT`, `PULL_ARTIFACT`, `DELETE_ARTIFACT`). A push
//! queues the image (durably; the answer comes after the queue write); a pull records the
//! image's last use; a delete closes its findings. Registries without notifications are polled
//! (catalog, tags). The `registry-scan` job drains the queue: the image is pulled by digest into
//! the shared blob store (blobs verified; shared base layers downloaded once), inventoried with
//! the per-layer cache (shared base layers walked once), matched and recorded as an
//! `AWS_ECR_CONTAINER_IMAGE`. A failure is a coverage status with its reason, retried with
//! backoff. The `image-rescan-window` job stops monitoring images outside the account's rescan
//! duration (pushed within N days or pulled within M days), closing their findings; a pull
//! brings an image back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_registry::{BlobStore, Client, ClientOptions, Credentials, ImageLimits, media};
use vigil_store::registry::{ImageRecord, QueuedImage, RegistryRecord};

use crate::{ApiError, App, ops};

/// The largest notification body accepted (the registry sends small batches).
pub const MAX_NOTIFICATION_BODY: usize = 1 << 20;
/// The most events one notification may carry.
const MAX_EVENTS: usize = 1000;
/// Attempts before a failing image is left with its failure status until pushed again.
const MAX_ATTEMPTS: i64 = 5;
/// One `registry-scan` run stops taking new images after this long (the next run continues).
const RUN_BUDGET: std::time::Duration = std::time::Duration::from_secs(60);
/// Catalog polling bounds.
const MAX_REPOSITORIES: usize = 10_000;
const MAX_TAGS: usize = 1_000;

/// The state the registry integration keeps in the server.
pub struct Images {
    pub blobs: BlobStore,
    pub layer_cache: Arc<vigil_inventory::DiskLayerCache>,
    pub catalogers: vigil_inventory::Registry,
    /// `os/arch[/variant]` chosen from multi-platform images.
    pub platform: String,
    pub limits: ImageLimits,
    /// Bytes of blobs kept (least recently used beyond it are removed after a scan).
    pub max_blob_bytes: u64,
    /// Wakes the scan worker (a notification queued something).
    pub wake: tokio::sync::Notify,
    stats: Mutex<Stats>,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    images_scanned: u64,
    bytes_downloaded: u64,
    blobs_reused: u64,
}

impl Images {
    /// (images scanned, bytes downloaded, blobs reused) since the server started.
    pub fn totals(&self) -> (u64, u64, u64) {
        self.stats
            .lock()
            .map(|s| (s.images_scanned, s.bytes_downloaded, s.blobs_reused))
            .unwrap_or_default()
    }

    pub fn open(data_dir: &std::path::Path) -> Result<Images, String> {
        let blobs = BlobStore::open(&data_dir.join("registry-blobs")).map_err(|e| e.to_string())?;
        let layer_cache =
            vigil_inventory::DiskLayerCache::open(data_dir.join("layer-inventory"))
                .map_err(|e| format!("{}: {e}", data_dir.join("layer-inventory").display()))?;
        Ok(Images {
            blobs,
            layer_cache: Arc::new(layer_cache),
            catalogers: vigil_inventory::Registry::default(),
            platform: "linux/amd64".into(),
            limits: ImageLimits::default(),
            max_blob_bytes: 20 << 30,
            wake: tokio::sync::Notify::new(),
            stats: Mutex::new(Stats::default()),
        })
    }
}

/// `arn:vigil:ecr:REGION:ACCOUNT:repository/REGISTRY/REPOSITORY/sha256:…`: the resource id of
/// an image, in the shape of Inspector's ECR image ids (the registry's name where ECR has
/// none, as one Vigil follows many registries).
pub fn image_resource_id(reg: &RegistryRecord, repository: &str, digest: &str) -> String {
    format!(
        "arn:vigil:ecr:{}:{}:repository/{}/{repository}/{digest}",
        reg.region, reg.account, reg.name
    )
}

// --- notifications ----------------------------------------------------------------------------

/// One thing a registry told us.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Push {
        repository: String,
        digest: String,
        tag: Option<String>,
        at: String,
    },
    Pull {
        repository: String,
        digest: String,
        at: String,
    },
    Delete {
        repository: String,
        digest: String,
    },
}

fn store_time(t: OffsetDateTime) -> String {
    vigil_store::timestamp(t)
}

/// An RFC 3339 time (Docker's events carry nanoseconds and an offset), else now.
fn event_time(s: Option<&str>) -> String {
    s.and_then(|s| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
        .map(store_time)
        .unwrap_or_else(|| store_time(OffsetDateTime::now_utc()))
}

#[derive(Deserialize)]
struct DockerEnvelope {
    events: Vec<DockerEvent>,
}

#[derive(Deserialize)]
struct DockerEvent {
    action: String,
    timestamp: Option<String>,
    #[serde(default)]
    target: DockerTarget,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerTarget {
    media_type: Option<String>,
    digest: Option<String>,
    repository: Option<String>,
    tag: Option<String>,
}

#[derive(Deserialize)]
struct HarborPayload {
    #[serde(rename = "type")]
    kind: String,
    occur_at: Option<i64>,
    event_data: HarborData,
}

#[derive(Deserialize)]
struct HarborData {
    #[serde(default)]
    resources: Vec<HarborResource>,
    repository: HarborRepository,
}

#[derive(Deserialize)]
struct HarborResource {
    digest: Option<String>,
    tag: Option<String>,
}

#[derive(Deserialize)]
struct HarborRepository {
    repo_full_name: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

fn check_names(repository: &str, digest: &str, tag: Option<&str>, at: &str) -> Result<(), String> {
    if !vigil_registry::is_repository(repository) {
        return Err(format!("{at}: `{repository}` is not a repository name"));
    }
    if !vigil_registry::is_sha256_digest(digest) {
        return Err(format!("{at}: `{digest}` is not a sha256 digest"));
    }
    if let Some(t) = tag
        && !vigil_registry::is_tag(t)
    {
        return Err(format!("{at}: `{t}` is not a tag"));
    }
    Ok(())
}

/// The events of a notification body; events that are not about images (blob pushes, mounts)
/// are skipped and counted.
fn parse_events(body: &[u8]) -> Result<(Vec<Event>, usize), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let mut out = Vec::new();
    let mut skipped = 0;
    if v.get("events").is_some() {
        let env: DockerEnvelope = serde_json::from_value(v)
            .map_err(|e| format!("not a registry notification envelope: {e}"))?;
        if env.events.len() > MAX_EVENTS {
            return Err(format!(
                "{} events in one notification; at most {MAX_EVENTS}",
                env.events.len()
            ));
        }
        for (i, e) in env.events.into_iter().enumerate() {
            let at = format!("events[{i}]");
            let t = e.target;
            let is_manifest = t.media_type.as_deref().is_some_and(media::is_manifest);
            let (Some(repository), Some(digest)) = (t.repository, t.digest) else {
                skipped += 1;
                continue;
            };
            match e.action.as_str() {
                "push" if is_manifest => {
                    check_names(&repository, &digest, t.tag.as_deref(), &at)?;
                    out.push(Event::Push {
                        repository,
                        digest,
                        tag: t.tag,
                        at: event_time(e.timestamp.as_deref()),
                    });
                }
                "pull" if is_manifest => {
                    check_names(&repository, &digest, None, &at)?;
                    out.push(Event::Pull {
                        repository,
                        digest,
                        at: event_time(e.timestamp.as_deref()),
                    });
                }
                // a manifest delete names the digest (media type absent)
                "delete" if t.media_type.as_deref().is_none_or(media::is_manifest) => {
                    check_names(&repository, &digest, None, &at)?;
                    out.push(Event::Delete { repository, digest });
                }
                _ => skipped += 1,
            }
        }
    } else if v.get("event_data").is_some() {
        let h: HarborPayload =
            serde_json::from_value(v).map_err(|e| format!("not a Harbor webhook payload: {e}"))?;
        let repository = h
            .event_data
            .repository
            .repo_full_name
            .clone()
            .or_else(|| {
                let r = &h.event_data.repository;
                Some(format!(
                    "{}/{}",
                    r.namespace.as_deref()?,
                    r.name.as_deref()?
                ))
            })
            .ok_or("event_data.repository names no repository")?;
        let at = h
            .occur_at
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .map(store_time)
            .unwrap_or_else(|| store_time(OffsetDateTime::now_utc()));
        if h.event_data.resources.len() > MAX_EVENTS {
            return Err(format!("more than {MAX_EVENTS} resources in one event"));
        }
        for (i, r) in h.event_data.resources.into_iter().enumerate() {
            let path = format!("event_data.resources[{i}]");
            let Some(digest) = r.digest else {
                skipped += 1;
                continue;
            };
            let tag = r.tag.filter(|t| !t.is_empty());
            check_names(&repository, &digest, tag.as_deref(), &path)?;
            let repository = repository.clone();
            match h.kind.as_str() {
                "PUSH_ARTIFACT" => out.push(Event::Push {
                    repository,
                    digest,
                    tag,
                    at: at.clone(),
                }),
                "PULL_ARTIFACT" => out.push(Event::Pull {
                    repository,
                    digest,
                    at: at.clone(),
                }),
                "DELETE_ARTIFACT" => out.push(Event::Delete { repository, digest }),
                _ => skipped += 1,
            }
        }
    } else {
        return Err(
            "neither a registry notification envelope (`events`) nor a Harbor payload (`event_data`)"
                .into(),
        );
    }
    Ok((out, skipped))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Protocol {
        status: StatusCode::UNAUTHORIZED,
        code: "UnauthorizedException".into(),
        message: message.to_owned(),
    }
}

/// `POST /vigil/v1/registries/{name}/notifications`.
pub fn notification(
    app: &App,
    name: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<Value, ApiError> {
    if body.len() > MAX_NOTIFICATION_BODY {
        return Err(ApiError::too_large(&format!(
            "notification body exceeds {MAX_NOTIFICATION_BODY} bytes"
        )));
    }
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized("missing `Authorization: Bearer <token>`"))?;
    let store = app.store.registry_store();
    let reg = store
        .registry_for_token(name, token)?
        .ok_or_else(|| unauthorized(&format!("unknown registry `{name}` or wrong token")))?;
    let (events, skipped) = parse_events(body).map_err(|e| ApiError::validation(&e))?;
    let now = OffsetDateTime::now_utc();
    let (mut queued, mut pulls, mut deletes) = (0, 0, 0);
    for e in events {
        match e {
            Event::Push {
                repository,
                digest,
                tag,
                at,
            } => {
                let rid = image_resource_id(&reg, &repository, &digest);
                let moved = store.record_image(
                    &reg.name,
                    &repository,
                    &digest,
                    tag.as_deref(),
                    Some(&at),
                    &rid,
                )?;
                retag(app, &reg, &repository, &moved);
                match store.enqueue_image(
                    &reg.name,
                    &repository,
                    &digest,
                    tag.as_deref(),
                    "push",
                    now,
                ) {
                    Ok(true) => queued += 1,
                    Ok(false) => {}
                    Err(vigil_store::Error::Conflict(m)) => {
                        return Err(ApiError::Protocol {
                            status: StatusCode::TOO_MANY_REQUESTS,
                            code: "ThrottlingException".into(),
                            message: m,
                        });
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Event::Pull {
                repository,
                digest,
                at,
            } => {
                pulls += 1;
                if store.image_pulled(&reg.name, &repository, &digest, &at)?
                    && let Some(img) = store.image(&reg.name, &repository, &digest)?
                {
                    if img.state != "MONITORED" {
                        // pulled again: back inside the rescan window
                        let _ =
                            store.enqueue_image(&reg.name, &repository, &digest, None, "pull", now);
                        queued += 1;
                    } else {
                        refresh_details(app, &reg, &img);
                    }
                }
            }
            Event::Delete { repository, digest } => {
                deletes += 1;
                let rid = image_resource_id(&reg, &repository, &digest);
                match app
                    .store
                    .delete_resource(&reg.account, &reg.region, &rid, now)
                {
                    Ok(_) | Err(vigil_store::Error::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                store.remove_image(&reg.name, &repository, &digest)?;
            }
        }
    }
    if queued > 0 {
        app.images.wake.notify_one();
    }
    Ok(
        json!({"registry": reg.name, "queued": queued, "pulls": pulls, "deletes": deletes, "skipped": skipped}),
    )
}

// --- details --------------------------------------------------------------------------------

/// The image's `ResourceDetails`: the scan's `awsEcrContainerImage` (architecture, platform)
/// with what the registry knows (repository, tags, push and last-use times).
fn image_details(base: Option<&Value>, reg: &RegistryRecord, img: &ImageRecord) -> Value {
    let mut d = base
        .and_then(|b| b.get("awsEcrContainerImage"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    d["registry"] = json!(reg.name);
    d["repositoryName"] = json!(img.repository);
    d["imageHash"] = json!(img.digest);
    d["imageTags"] = json!(img.tags);
    if let Some(p) = &img.pushed_at {
        d["pushedAt"] = json!(p);
    }
    match &img.last_pulled_at {
        Some(p) => d["lastInUseAt"] = json!(p),
        None => {
            if let Some(o) = d.as_object_mut() {
                o.remove("lastInUseAt");
            }
        }
    }
    json!({"awsEcrContainerImage": d, "vigil": {"registryUrl": reg.url}})
}

/// Re-records an image's findings with its current details (tags moved, last use changed), from
/// its stored inventory, without pulling it again.
fn refresh_details(app: &App, reg: &RegistryRecord, img: &ImageRecord) {
    let result = (|| -> Result<(), ApiError> {
        let Some((record, bytes)) =
            app.store
                .resource_inventory(&reg.account, &reg.region, &img.resource_id)?
        else {
            return Ok(());
        };
        let details = image_details(record.details.as_ref(), reg, img);
        if record.details.as_ref() == Some(&details) {
            return Ok(());
        }
        let inventory = ops::stored_inventory(&bytes, &img.resource_id)
            .map_err(|e| ApiError::internal(&e.to_string()))?;
        ops::derive(
            app,
            &reg.account,
            &reg.region,
            &inventory,
            record.tags,
            Some(details),
            vigil_store::Origin::Reevaluation,
            None,
            None,
        )?;
        Ok(())
    })();
    if let Err(e) = result {
        tracing::warn!(image = %img.resource_id, "updating the image's details failed: {}", e.message());
    }
}

/// Images a pushed tag left: their findings show their remaining tags.
fn retag(app: &App, reg: &RegistryRecord, repository: &str, digests: &[String]) {
    for d in digests {
        if let Ok(Some(img)) = app.store.registry_store().image(&reg.name, repository, d) {
            refresh_details(app, reg, &img);
        }
    }
}

// --- the scan worker ----------------------------------------------------------------------------

/// Why an image could not be scanned, as a coverage reason; `retry`: worth trying again.
pub(crate) struct Failure {
    pub reason: &'static str,
    pub message: String,
    pub retry: bool,
}

fn internal_failure(message: String) -> Failure {
    Failure {
        reason: "INTERNAL_ERROR",
        message,
        retry: true,
    }
}

/// Pulls an image (by tag or digest) into the shared blob store: the server's platform and
/// image limits apply.
pub(crate) fn pull_image(
    app: &App,
    client: &mut Client,
    repository: &str,
    reference: &str,
) -> Result<vigil_registry::Pulled, Failure> {
    vigil_registry::pull(
        client,
        &app.images.blobs,
        repository,
        reference,
        &app.images.platform,
        &app.images.limits,
    )
    .map_err(failure)
}

/// Inventories an image [`pull_image`] brought into the blob store, as the resource `name`
/// with `tags`, with the per-layer inventory cache (layers walked before are not walked again).
pub(crate) fn inventory_image(
    app: &App,
    digest: &str,
    name: &str,
    tags: Vec<String>,
) -> Result<vigil_types::Inventory, Failure> {
    let images = &app.images;
    let platform: vigil_source::Platform = images
        .platform
        .parse()
        .map_err(|e: vigil_source::Error| internal_failure(e.to_string()))?;
    let opened =
        vigil_source::open_image_in_blob_store(images.blobs.root(), digest, name, tags, &platform)
            .map_err(|e| Failure {
                reason: "UNSUPPORTED_MEDIA_TYPE",
                message: e.to_string(),
                retry: false,
            })?;
    let opts = vigil_inventory::ScanOptions {
        threads: 1,
        layer_cache: Some(images.layer_cache.clone()),
        ..vigil_inventory::ScanOptions::default()
    };
    Ok(vigil_inventory::scan(
        opened,
        &images.catalogers,
        &opts,
        &vigil_source::Progress::default(),
    ))
}

/// Removes the least recently used blobs beyond the store's budget.
pub(crate) fn trim_blobs(app: &App) {
    let keep: std::collections::HashSet<String> = std::collections::HashSet::new();
    let removed = app.images.blobs.trim(app.images.max_blob_bytes, &keep);
    if removed > 0 {
        tracing::info!(bytes = removed, "blob store trimmed");
    }
}

fn failure(e: vigil_registry::Error) -> Failure {
    let message = e.to_string();
    match e {
        vigil_registry::Error::TooLarge(_) => Failure {
            reason: "IMAGE_SIZE_EXCEEDED",
            message,
            retry: false,
        },
        vigil_registry::Error::Invalid(_) => Failure {
            reason: "UNSUPPORTED_MEDIA_TYPE",
            message,
            retry: false,
        },
        vigil_registry::Error::Http { message: m, .. }
            if m.starts_with("HTTP 401") || m.starts_with("HTTP 403") =>
        {
            Failure {
                reason: "ACCESS_DENIED",
                message,
                retry: true,
            }
        }
        _ => Failure {
            reason: "INTERNAL_ERROR",
            message,
            retry: true,
        },
    }
}

fn client_for(reg: &RegistryRecord) -> Result<Client, vigil_registry::Error> {
    Client::new(
        &reg.url,
        &ClientOptions {
            credentials: reg.credentials.as_ref().map(|(u, p)| Credentials {
                username: u.clone(),
                password: p.clone(),
            }),
            allow_insecure_http: reg.insecure_http,
            ..ClientOptions::default()
        },
    )
}

/// Pulls, inventories, matches and records one queued image.
fn scan_image(app: &App, reg: &RegistryRecord, item: &QueuedImage) -> Result<Value, Failure> {
    let images = &app.images;
    let store = app.store.registry_store();
    let internal = internal_failure;
    let mut client = client_for(reg).map_err(failure)?;
    let pulled = pull_image(app, &mut client, &item.repository, &item.reference)?;
    let rid = image_resource_id(reg, &item.repository, &pulled.digest);
    store
        .record_image(
            &reg.name,
            &item.repository,
            &pulled.digest,
            item.tag.as_deref(),
            Some(&item.queued_at),
            &rid,
        )
        .map_err(|e| internal(e.to_string()))?;
    let img = store
        .image(&reg.name, &item.repository, &pulled.digest)
        .map_err(|e| internal(e.to_string()))?
        .ok_or_else(|| internal("image vanished while being scanned".into()))?;
    let tags: Vec<String> = img
        .tags
        .iter()
        .map(|t| format!("{}:{t}", item.repository))
        .collect();
    let (hits0, misses0) = (images.layer_cache.hits(), images.layer_cache.misses());
    let inventory = inventory_image(app, &pulled.digest, &rid, tags)?;
    let base = vigil_matcher::resource(
        &inventory,
        &vigil_matcher::MatchOptions {
            account: reg.account.clone(),
            region: reg.region.clone(),
            observed_at: store_time(OffsetDateTime::now_utc()),
            exposure: Default::default(),
        },
    )
    .details;
    let details = image_details(base.as_ref(), reg, &img);
    let (r, report, _) = ops::derive(
        app,
        &reg.account,
        &reg.region,
        &inventory,
        BTreeMap::new(),
        Some(details),
        vigil_store::Origin::Scan,
        None,
        None,
    )
    .map_err(|e| internal(e.message().to_owned()))?;
    store
        .set_image_state(&reg.name, &item.repository, &pulled.digest, "MONITORED")
        .map_err(|e| internal(e.to_string()))?;
    if let Ok(mut s) = images.stats.lock() {
        s.images_scanned += 1;
        s.bytes_downloaded += pulled.downloaded;
        s.blobs_reused += pulled.reused as u64;
    }
    Ok(json!({
        "resourceId": rid,
        "digest": pulled.digest,
        "packages": inventory.packages.len(),
        "findings": report.findings.len(),
        "new": r.new, "closed": r.closed,
        "bytesDownloaded": pulled.downloaded,
        "blobsReused": pulled.reused,
        "layerCacheHits": images.layer_cache.hits() - hits0,
        "layerCacheMisses": images.layer_cache.misses() - misses0,
    }))
}

/// The `registry-scan` job: scans queued images until the queue has nothing due (or the run's
/// time budget is spent).
pub fn drain(app: &App) -> Result<Value, String> {
    let store = app.store.registry_store();
    let started = std::time::Instant::now();
    let mut scanned = Vec::new();
    let mut failed = Vec::new();
    while started.elapsed() < RUN_BUDGET {
        let now = OffsetDateTime::now_utc();
        let Some(item) = store.next_queued_image(now).map_err(|e| e.to_string())? else {
            break;
        };
        let Some(reg) = store.registry(&item.registry).map_err(|e| e.to_string())? else {
            store.dequeue_image(item.id).map_err(|e| e.to_string())?;
            continue;
        };
        let t = std::time::Instant::now();
        match scan_image(app, &reg, &item) {
            Ok(mut v) => {
                v["seconds"] = json!(t.elapsed().as_secs_f64());
                tracing::info!(
                    image = %v["resourceId"],
                    findings = %v["findings"],
                    seconds = %v["seconds"],
                    bytes_downloaded = %v["bytesDownloaded"],
                    layer_cache_hits = %v["layerCacheHits"],
                    layer_cache_misses = %v["layerCacheMisses"],
                    "image scanned"
                );
                store.dequeue_image(item.id).map_err(|e| e.to_string())?;
                scanned.push(v);
            }
            Err(f) => {
                tracing::warn!(repository = %item.repository, reference = %item.reference, reason = f.reason, "image scan failed: {}", f.message);
                // the failure is visible in coverage (findings of an earlier scan stay)
                if vigil_registry::is_sha256_digest(&item.reference) {
                    let rid = image_resource_id(&reg, &item.repository, &item.reference);
                    let img = store
                        .image(&reg.name, &item.repository, &item.reference)
                        .ok()
                        .flatten();
                    let record = vigil_store::ResourceRecord {
                        kind: "AWS_ECR_CONTAINER_IMAGE".into(),
                        id: rid,
                        region: reg.region.clone(),
                        tags: BTreeMap::new(),
                        details: img.map(|i| {
                            let mut d = image_details(None, &reg, &i);
                            d["vigil"]["scanError"] = json!(f.message);
                            d
                        }),
                    };
                    store
                        .set_resource_status(&reg.account, &record, f.reason)
                        .map_err(|e| e.to_string())?;
                }
                if f.retry && item.attempts + 1 < MAX_ATTEMPTS {
                    let backoff = 15i64 << item.attempts.clamp(0, 8);
                    store
                        .retry_queued_image(
                            item.id,
                            &f.message,
                            OffsetDateTime::now_utc() + time::Duration::seconds(backoff),
                        )
                        .map_err(|e| e.to_string())?;
                } else {
                    store.dequeue_image(item.id).map_err(|e| e.to_string())?;
                }
                failed.push(json!({"repository": item.repository, "reference": item.reference, "reason": f.reason, "error": f.message}));
            }
        }
    }
    if !scanned.is_empty() {
        trim_blobs(app);
    }
    let stats = app
        .images
        .stats
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default();
    let queued = store.queued_images().map_err(|e| e.to_string())?;
    let out = json!({"scanned": scanned, "failed": failed, "queued": queued, "totals": stats});
    if failed.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "{} image(s) could not be scanned: {}",
            failed.len(),
            failed
                .iter()
                .map(|f| format!(
                    "{}@{}: {}",
                    f["repository"].as_str().unwrap_or(""),
                    f["reference"].as_str().unwrap_or(""),
                    f["error"].as_str().unwrap_or("")
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }
}

// --- catalog polling ----------------------------------------------------------------------------

/// The `registry-poll` job: lists every registry's repositories and tags and queues the images
/// Vigil does not follow yet (tags that moved follow their digest).
pub fn poll(app: &App) -> Result<Value, String> {
    let store = app.store.registry_store();
    let mut report = Vec::new();
    let mut errors = Vec::new();
    for reg in store.registries().map_err(|e| e.to_string())? {
        let mut queued = 0;
        let mut seen = 0;
        let result = (|| -> Result<(), String> {
            let mut client = client_for(&reg).map_err(|e| e.to_string())?;
            let repos = client
                .catalog(MAX_REPOSITORIES)
                .map_err(|e| e.to_string())?;
            for repo in repos {
                if !vigil_registry::is_repository(&repo) {
                    continue;
                }
                for tag in client.tags(&repo, MAX_TAGS).map_err(|e| e.to_string())? {
                    if !vigil_registry::is_tag(&tag) {
                        continue;
                    }
                    let Some(digest) =
                        client.resolve_tag(&repo, &tag).map_err(|e| e.to_string())?
                    else {
                        continue;
                    };
                    seen += 1;
                    match store
                        .image(&reg.name, &repo, &digest)
                        .map_err(|e| e.to_string())?
                    {
                        Some(img) if img.tags.contains(&tag) => {}
                        Some(_) => {
                            let rid = image_resource_id(&reg, &repo, &digest);
                            let moved = store
                                .record_image(&reg.name, &repo, &digest, Some(&tag), None, &rid)
                                .map_err(|e| e.to_string())?;
                            retag(app, &reg, &repo, &moved);
                            if let Ok(Some(img)) = store.image(&reg.name, &repo, &digest) {
                                refresh_details(app, &reg, &img);
                            }
                        }
                        None => {
                            let now = OffsetDateTime::now_utc();
                            let rid = image_resource_id(&reg, &repo, &digest);
                            let moved = store
                                .record_image(
                                    &reg.name,
                                    &repo,
                                    &digest,
                                    Some(&tag),
                                    Some(&store_time(now)),
                                    &rid,
                                )
                                .map_err(|e| e.to_string())?;
                            retag(app, &reg, &repo, &moved);
                            if store
                                .enqueue_image(&reg.name, &repo, &digest, Some(&tag), "poll", now)
                                .map_err(|e| e.to_string())?
                            {
                                queued += 1;
                            }
                        }
                    }
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            errors.push(format!("{}: {e}", reg.name));
        }
        report.push(json!({"registry": reg.name, "tags": seen, "queued": queued}));
    }
    if report.iter().any(|r| r["queued"].as_u64().unwrap_or(0) > 0) {
        app.images.wake.notify_one();
    }
    if errors.is_empty() {
        Ok(json!({"registries": report}))
    } else {
        Err(errors.join("; "))
    }
}

// --- rescan windows ---------------------------------------------------------------------------

/// `DAYS_30` -> 30; `LIFETIME` -> None.
fn days(v: &str) -> Option<i64> {
    v.strip_prefix("DAYS_").and_then(|d| d.parse().ok())
}

/// Whether an image is inside the account's rescan window at `now`: pushed within
/// `rescanDuration`, or pulled within `pullDateRescanDuration` (a never-pulled image only by its
/// push date).
fn eligible(config: &Value, img: &ImageRecord, now: OffsetDateTime) -> bool {
    let ecr = &config["ecr"];
    let push = ecr["rescanDuration"].as_str().unwrap_or("LIFETIME");
    let Some(push_days) = days(push) else {
        return true; // LIFETIME
    };
    let pull_days = days(ecr["pullDateRescanDuration"].as_str().unwrap_or("DAYS_90")).unwrap_or(90);
    let within = |at: &Option<String>, d: i64| {
        at.as_deref()
            .is_some_and(|at| at >= store_time(now - time::Duration::days(d)).as_str())
    };
    // an image whose push time is unknown is judged from when Vigil first saw it
    img.pushed_at.is_none()
        || within(&img.pushed_at, push_days)
        || within(&img.last_pulled_at, pull_days)
}

/// The `image-rescan-window` job: images that left their account's rescan window stop being
/// monitored (coverage `SCAN_ELIGIBILITY_EXPIRED`, findings CLOSED); images back inside it (the
/// configuration changed, or they were pulled) are queued for a scan.
pub fn rescan_window(app: &App) -> Result<Value, String> {
    rescan_window_at(app, OffsetDateTime::now_utc())
}

pub fn rescan_window_at(app: &App, now: OffsetDateTime) -> Result<Value, String> {
    let store = app.store.registry_store();
    let (mut expired, mut closed, mut resumed) = (0u64, 0u64, 0u64);
    for reg in store.registries().map_err(|e| e.to_string())? {
        let config = crate::account::regional_config(
            app.store
                .configuration(&reg.account)
                .map_err(|e| e.to_string())?,
            &reg.region,
        );
        for img in store.images(&reg.name).map_err(|e| e.to_string())? {
            let ok = eligible(&config, &img, now);
            if !ok && img.state == "MONITORED" {
                closed += store
                    .stop_monitoring(
                        &reg.account,
                        &reg.region,
                        &img.resource_id,
                        "SCAN_ELIGIBILITY_EXPIRED",
                        now,
                    )
                    .map_err(|e| e.to_string())?;
                store
                    .set_image_state(
                        &reg.name,
                        &img.repository,
                        &img.digest,
                        "SCAN_ELIGIBILITY_EXPIRED",
                    )
                    .map_err(|e| e.to_string())?;
                expired += 1;
            } else if ok && img.state != "MONITORED" {
                store
                    .enqueue_image(&reg.name, &img.repository, &img.digest, None, "rescan", now)
                    .map_err(|e| e.to_string())?;
                resumed += 1;
            }
        }
    }
    if resumed > 0 {
        app.images.wake.notify_one();
    }
    Ok(json!({"expired": expired, "findingsClosed": closed, "resumed": resumed}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_envelope() {
        let d = format!("sha256:{}", "a".repeat(64));
        let body = json!({"events": [
            {"id": "1", "timestamp": "2026-03-09T14:44:26.402973972-08:00", "action": "push",
             "target": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": d, "repository": "app/web", "tag": "1.0", "size": 10}},
            {"id": "2", "action": "push", "target": {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": d, "repository": "app/web"}},
            {"id": "3", "timestamp": "2026-03-10T00:00:00Z", "action": "pull",
             "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "repository": "app/web"}},
            {"id": "4", "action": "delete", "target": {"digest": d, "repository": "app/web"}},
        ]});
        let (events, skipped) = parse_events(body.to_string().as_bytes()).expect("parses");
        assert_eq!(skipped, 1);
        assert_eq!(
            events,
            vec![
                Event::Push {
                    repository: "app/web".into(),
                    digest: d.clone(),
                    tag: Some("1.0".into()),
                    at: "2026-03-09T22:44:26.402Z".into()
                },
                Event::Pull {
                    repository: "app/web".into(),
                    digest: d.clone(),
                    at: "2026-03-10T00:00:00.000Z".into()
                },
                Event::Delete {
                    repository: "app/web".into(),
                    digest: d
                },
            ]
        );
    }

    #[test]
    fn harbor_payload() {
        let d = format!("sha256:{}", "b".repeat(64));
        let body = json!({"type": "PUSH_ARTIFACT", "occur_at": 1_700_000_000, "operator": "admin",
            "event_data": {"resources": [{"digest": d, "tag": "latest", "resource_url": "h/library/app:latest"}],
                           "repository": {"name": "app", "namespace": "library", "repo_full_name": "library/app", "repo_type": "private"}}});
        let (events, _) = parse_events(body.to_string().as_bytes()).expect("parses");
        assert_eq!(
            events,
            vec![Event::Push {
                repository: "library/app".into(),
                digest: d,
                tag: Some("latest".into()),
                at: "2023-11-14T22:13:20.000Z".into()
            }]
        );
    }

    #[test]
    fn bad_notifications_name_the_problem() {
        for (body, want) in [
            ("[]", "neither"),
            ("{\"events\": 3}", "envelope"),
            (
                "{\"events\": [{\"action\": \"push\", \"target\": {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"sha256:12\", \"repository\": \"a\"}}]}",
                "events[0]: `sha256:12` is not a sha256 digest",
            ),
            (
                "{\"events\": [{\"action\": \"push\", \"target\": {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"sha256:1111111111111111111111111111111111111111111111111111111111111111\", \"repository\": \"../etc\"}}]}",
                "not a repository name",
            ),
        ] {
            let e = parse_events(body.as_bytes()).expect_err(body);
            assert!(e.contains(want), "{body}: {e}");
        }
    }

    #[test]
    fn rescan_windows() {
        let now = OffsetDateTime::now_utc();
        let at = |days: i64| Some(store_time(now - time::Duration::days(days)));
        let img = |pushed, pulled| ImageRecord {
            registry: "r".into(),
            repository: "a".into(),
            digest: "d".into(),
            tags: vec![],
            pushed_at: pushed,
            last_pulled_at: pulled,
            resource_id: "x".into(),
            state: "MONITORED".into(),
        };
        let lifetime = json!({});
        let d14 =
            json!({"ecr": {"rescanDuration": "DAYS_14", "pullDateRescanDuration": "DAYS_30"}});
        assert!(eligible(&lifetime, &img(at(400), None), now));
        assert!(eligible(&d14, &img(at(13), None), now));
        assert!(!eligible(&d14, &img(at(15), None), now));
        assert!(eligible(&d14, &img(at(100), at(29)), now));
        assert!(!eligible(&d14, &img(at(100), at(31)), now));
    }

    /// An image pushed long ago and never pulled leaves the 14-day window: coverage says
    /// SCAN_ELIGIBILITY_EXPIRED, its findings close with that reason, re-evaluations skip it;
    /// a pull brings it back (queued for a rescan).
    #[test]
    fn images_leave_and_reenter_the_rescan_window() {
        let dir = tempfile::tempdir().expect("tmp");
        let app = App::new(
            &dir.path().join("data"),
            dir.path().join("unused.db"),
            std::time::Duration::from_secs(3600),
        )
        .expect("app");
        let now = OffsetDateTime::now_utc();
        let reg = RegistryRecord {
            name: "r".into(),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            url: "https://registry.example".into(),
            insecure_http: false,
            credentials: Some(("u".into(), "p".into())),
            created_at: store_time(now),
        };
        let rs = app.store.registry_store();
        rs.add_registry(&reg, "tok").expect("add");
        assert!(rs.registry_for_token("r", "tok").expect("q").is_some());
        assert!(rs.registry_for_token("r", "other").expect("q").is_none());
        // credentials come back unsealed
        assert_eq!(
            rs.registry("r").expect("q").and_then(|r| r.credentials),
            Some(("u".into(), "p".into()))
        );
        let digest = format!("sha256:{}", "d".repeat(64));
        let rid = image_resource_id(&reg, "app", &digest);
        let old = store_time(now - time::Duration::days(30));
        rs.record_image(
            "r",
            "app",
            &digest,
            Some("1.0"),
            Some(&store_time(now)),
            &rid,
        )
        .expect("record");
        // a late notification with the earlier push time wins
        rs.record_image("r", "app", &digest, None, Some(&old), &rid)
            .expect("record");
        let finding = json!({
            "findingArn": "arn:f1", "type": "PACKAGE_VULNERABILITY", "severity": "HIGH",
            "title": "CVE-1", "status": "ACTIVE",
            "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-1"}
        });
        app.store
            .ingest(
                vigil_store::Submission {
                    account: &reg.account,
                    region: &reg.region,
                    resource: vigil_store::ResourceRecord {
                        kind: "AWS_ECR_CONTAINER_IMAGE".into(),
                        id: rid.clone(),
                        region: reg.region.clone(),
                        tags: Default::default(),
                        details: None,
                    },
                    inventory: b"{}",
                    findings: vec![finding],
                    now,
                    keys: vec![("PyPI".into(), "urllib3".into())],
                    origin: vigil_store::Origin::Scan,
                    scope: None,
                },
                &ops::criteria_matches,
            )
            .expect("ingest");
        let held = |app: &App| {
            app.store
                .resources_with_keys(&[("PyPI".into(), "urllib3".into())])
                .expect("keys")
                .len()
        };
        assert_eq!(held(&app), 1);

        // LIFETIME (the default): nothing expires
        let r = rescan_window_at(&app, now).expect("run");
        assert_eq!(r["expired"], 0);
        app.store
            .set_configuration(
                &reg.account,
                &json!({"ecr": {"rescanDuration": "DAYS_14", "pullDateRescanDuration": "DAYS_14"}}),
                now,
            )
            .expect("config");
        let r = rescan_window_at(&app, now).expect("run");
        assert_eq!(r, json!({"expired": 1, "findingsClosed": 1, "resumed": 0}));
        let res = app.store.resources(&reg.account, None).expect("resources");
        assert_eq!(
            res[0].scan_status.as_deref(),
            Some("SCAN_ELIGIBILITY_EXPIRED")
        );
        let h = app.store.history(&reg.account, "arn:f1").expect("history");
        assert_eq!(
            h.last().map(|t| (t.to.as_str(), t.reason.as_str())),
            Some(("CLOSED", "SCAN_ELIGIBILITY_EXPIRED"))
        );
        assert_eq!(held(&app), 0, "an expired image is not re-evaluated");
        // idempotent
        let r = rescan_window_at(&app, now).expect("run");
        assert_eq!(r["expired"], 0);

        // pulled today: back in the window, queued for a rescan
        assert!(
            rs.image_pulled("r", "app", &digest, &store_time(now))
                .expect("pull")
        );
        let r = rescan_window_at(&app, now).expect("run");
        assert_eq!(r["resumed"], 1);
        let q = rs.next_queued_image(now).expect("q").expect("queued");
        assert_eq!(
            (
                q.repository.as_str(),
                q.reference.as_str(),
                q.cause.as_str()
            ),
            ("app", digest.as_str(), "rescan")
        );
    }
}

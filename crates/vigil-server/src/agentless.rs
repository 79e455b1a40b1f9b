//! Hosts without an agent: a host's root filesystem, mounted on the server's machine (a disk
//! snapshot, an NFS or sshfs mount), registered with `POST /vigil/v1/hosts/agentless/register`
//! and inventoried by the `agentless-rescan` job on its interval, as a host: OS packages
//! everywhere, language packages only below the account's deep-inspection paths.
//!
//! The server only reads paths below the roots its operator allowed (`--agentless-root`): an
//! API caller cannot make it inventory the server's own filesystem or another tenant's mount.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_store::hosts::AgentlessRoot;

use crate::ops::{check_members, string_field};
use crate::{ApiError, App, Principal, ops};

/// The shortest and longest scan intervals accepted.
const MIN_INTERVAL: i64 = 60;
const MAX_INTERVAL: i64 = 30 * 86_400;
const DEFAULT_INTERVAL: i64 = 3600;
/// One run scans at most this many roots (the rest stay due for the next run).
const MAX_PER_RUN: usize = 64;

/// `root` resolved (symlinks followed), when it is a directory below one of `allowed`.
fn allowed_root(allowed: &[PathBuf], root: &str) -> Result<PathBuf, ApiError> {
    if allowed.is_empty() {
        return Err(ApiError::validation(
            "agentless scanning is off: the server was started without --agentless-root",
        ));
    }
    if !root.starts_with('/') {
        return Err(ApiError::field("rootPath", "must be an absolute path"));
    }
    let resolved = std::fs::canonicalize(root)
        .map_err(|e| ApiError::field("rootPath", &format!("`{root}`: {e}")))?;
    if !resolved.is_dir() {
        return Err(ApiError::field(
            "rootPath",
            &format!("`{root}` is not a directory"),
        ));
    }
    let inside = allowed
        .iter()
        .any(|a| std::fs::canonicalize(a).is_ok_and(|a| resolved.starts_with(&a) && resolved != a));
    if !inside {
        return Err(ApiError::field(
            "rootPath",
            &format!(
                "`{root}` is not below a root the server allows (--agentless-root {})",
                allowed
                    .iter()
                    .map(|a| a.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(resolved)
}

/// `POST /vigil/v1/hosts/agentless/register`: `{"resourceId", "rootPath",
/// "scanIntervalSeconds"?, "tags"?}`; the first scan is due at once.
pub fn register(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(
        input,
        &["resourceId", "rootPath", "scanIntervalSeconds", "tags"],
    )?;
    let id = string_field(input, "resourceId", 256)?
        .ok_or_else(|| ApiError::field("resourceId", "is required"))?;
    if id.is_empty() || id.chars().any(char::is_control) {
        return Err(ApiError::field("resourceId", "must be a non-empty name"));
    }
    let root = string_field(input, "rootPath", 4096)?
        .ok_or_else(|| ApiError::field("rootPath", "is required"))?;
    let resolved = allowed_root(&app.agentless_roots, root)?;
    let interval = match input.get("scanIntervalSeconds") {
        None | Some(Value::Null) => DEFAULT_INTERVAL,
        Some(v) => v
            .as_i64()
            .filter(|s| (MIN_INTERVAL..=MAX_INTERVAL).contains(s))
            .ok_or_else(|| {
                ApiError::field(
                    "scanIntervalSeconds",
                    &format!("must be an integer from {MIN_INTERVAL} to {MAX_INTERVAL}"),
                )
            })?,
    };
    let tags: BTreeMap<String, String> = match input.get("tags") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| ApiError::field("tags", "must map strings to strings"))?,
    };
    let r = AgentlessRoot {
        account: p.account.clone(),
        region: p.region.clone(),
        resource_id: id.to_owned(),
        root_path: resolved.display().to_string(),
        scan_interval_seconds: interval,
        tags,
        next_scan_at: vigil_store::timestamp(OffsetDateTime::now_utc()),
        last_scan_at: None,
        last_error: None,
    };
    app.store.host_store().register_root(&r)?;
    Ok(json!({"root": r}))
}

/// `POST /vigil/v1/hosts/agentless/list`: the caller's registered roots.
pub fn list(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &[])?;
    let roots: Vec<AgentlessRoot> = app
        .store
        .host_store()
        .roots(Some(&p.account))?
        .into_iter()
        .filter(|r| r.region == p.region)
        .collect();
    Ok(json!({"roots": roots}))
}

/// `POST /vigil/v1/hosts/agentless/deregister`: `{"resourceId"}`: no more scans (the findings
/// stay until the resource is deleted).
pub fn deregister(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["resourceId"])?;
    let id = string_field(input, "resourceId", 256)?
        .ok_or_else(|| ApiError::field("resourceId", "is required"))?;
    if !app
        .store
        .host_store()
        .deregister_root(&p.account, &p.region, id)?
    {
        return Err(ApiError::not_found(&format!(
            "no agentless root is registered as {id} in {}",
            p.region
        )));
    }
    Ok(json!({"resourceId": id}))
}

/// The account's deep-inspection paths in a region: `None` when deep inspection is
/// deactivated.
fn deep_paths(app: &App, account: &str, region: &str) -> Result<Option<Vec<String>>, String> {
    let c = crate::account::deep_inspection_in(app, account, region)
        .map_err(|e| e.message().to_owned())?;
    Ok((c.status != "DEACTIVATED").then_some(c.package_paths))
}

/// Inventories one root as a host and records the result.
fn scan_root(app: &App, r: &AgentlessRoot) -> Result<Value, String> {
    // the operator may have narrowed the allowed roots since it was registered
    let resolved =
        allowed_root(&app.agentless_roots, &r.root_path).map_err(|e| e.message().to_owned())?;
    let root = resolved
        .to_str()
        .ok_or_else(|| format!("`{}` is not UTF-8", resolved.display()))?;
    let source = vigil_source::open(
        vigil_source::TargetKind::Dir,
        root,
        &vigil_source::OpenOptions {
            host: Some(true),
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let mut opts = vigil_inventory::ScanOptions {
        threads: 1,
        ..Default::default()
    };
    match deep_paths(app, &r.account, &r.region)? {
        None => opts.deep_paths.clear(),
        Some(extra) => {
            for p in extra {
                if !opts.deep_paths.contains(&p) {
                    opts.deep_paths.push(p);
                }
            }
        }
    }
    let mut inventory = vigil_inventory::scan(
        source,
        &app.images.catalogers,
        &opts,
        &vigil_source::Progress::default(),
    );
    inventory.target.name = r.resource_id.clone();
    let platform = inventory
        .distro
        .as_ref()
        .map(|d| {
            format!(
                "{}_{}",
                d.id.to_uppercase(),
                d.version_id.clone().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let details = json!({
        "awsEc2Instance": {"platform": platform},
        "vigil": {"agentless": true, "rootPath": r.root_path},
    });
    let (ingest, report, _) = ops::derive(
        app,
        &r.account,
        &r.region,
        &inventory,
        r.tags.clone(),
        Some(details),
        vigil_store::Origin::Scan,
        None,
        None,
    )
    .map_err(|e| e.message().to_owned())?;
    Ok(json!({
        "resourceId": r.resource_id, "packages": inventory.packages.len(),
        "findings": report.findings.len(), "new": ingest.new, "closed": ingest.closed,
    }))
}

/// The `agentless-rescan` job: inventories every registered root whose interval has passed. A
/// root that cannot be read is a coverage status (NO_INVENTORY before its first scan,
/// STALE_INVENTORY after), never a silent gap.
pub fn rescan(app: &App) -> Result<Value, String> {
    let hosts = app.store.host_store();
    let due = hosts
        .due_roots(OffsetDateTime::now_utc())
        .map_err(|e| e.to_string())?;
    let mut scanned = Vec::new();
    let mut failed = Vec::new();
    for r in due.iter().take(MAX_PER_RUN) {
        let result = scan_root(app, r);
        let now = OffsetDateTime::now_utc();
        match result {
            Ok(v) => {
                hosts
                    .root_scanned(r, now, None)
                    .map_err(|e| e.to_string())?;
                scanned.push(v);
            }
            Err(e) => {
                tracing::warn!(resource = %r.resource_id, root = %r.root_path, "agentless scan failed: {e}");
                hosts
                    .root_scanned(r, now, Some(&e))
                    .map_err(|e| e.to_string())?;
                let reason = if r.last_scan_at.is_some() {
                    "STALE_INVENTORY"
                } else {
                    "NO_INVENTORY"
                };
                let record = vigil_store::ResourceRecord {
                    kind: "AWS_EC2_INSTANCE".into(),
                    id: r.resource_id.clone(),
                    region: r.region.clone(),
                    tags: r.tags.clone(),
                    details: None,
                };
                app.store
                    .registry_store()
                    .set_resource_status(&r.account, &record, reason)
                    .map_err(|e| e.to_string())?;
                failed.push(format!("{} ({}): {e}", r.resource_id, r.root_path));
            }
        }
    }
    let out = json!({"scanned": scanned, "due": due.len()});
    if failed.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "{} root(s) could not be scanned: {}",
            failed.len(),
            failed.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_must_be_below_an_allowed_root() {
        let dir = tempfile::tempdir().expect("tmp");
        let allowed = dir.path().join("mnt");
        let host = allowed.join("host1");
        std::fs::create_dir_all(&host).expect("dirs");
        let outside = dir.path().join("elsewhere");
        std::fs::create_dir_all(&outside).expect("dirs");
        std::os::unix::fs::symlink(&outside, allowed.join("escape")).expect("symlink");
        let a = vec![allowed.clone()];
        assert!(allowed_root(&a, &host.display().to_string()).is_ok());
        for bad in [
            outside.display().to_string(),
            allowed.join("escape").display().to_string(),
            format!("{}/../elsewhere", allowed.display()),
            allowed.display().to_string(),
            "relative/path".to_owned(),
            allowed.join("missing").display().to_string(),
        ] {
            assert!(allowed_root(&a, &bad).is_err(), "{bad}");
        }
        assert!(allowed_root(&[], &host.display().to_string()).is_err());
    }
}

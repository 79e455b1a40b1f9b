//! Re-evaluation when the advisory database changes, without rescanning anything.
//!
//! Every stored inventory was matched under a set of index keys (ecosystem, normalised
//! package name), kept by the store with the resource as its key set. The store also
//! keeps, per key, the digest of what the advisory database said about it when the findings
//! were derived ([`vigil_osv::Database::key_digests`]). When the database file changes
//! (`vigil db update` or `vigil db import` replaced it), the job compares the new digests with
//! the stored ones: only the keys whose records (or their KEV/NVD enrichment) changed, appeared
//! or disappeared matter, and only the resources holding one of them are re-matched from their
//! stored inventory. The lifecycle does the rest: new findings are created, findings whose
//! advisory was withdrawn or whose range no longer matches are CLOSED, with "advisory database
//! update" as the history reason. Of the resources holding a changed key, only the packages
//! whose verdicts differ between the previous database (kept open) and the new one are matched
//! again. The cost follows what changed, apart from one pass over the resources' compact key
//! sets and the decoding of the stored inventories that hold a changed key.
//!
//! The digests are saved only after every affected resource was re-derived, so a crash in the
//! middle re-runs the whole comparison at the next check.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};

use crate::App;
use crate::ops::{derive, stored_inventory};

/// The advisory database file's identity: a replaced or rewritten file differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileId {
    pub fn of(path: &std::path::Path) -> std::io::Result<FileId> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok(FileId {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// The job: checks whether the advisory database changed and, if so, re-derives the findings
/// of the resources it affects. Answers what it did.
pub fn run(app: &App) -> Result<Value, String> {
    let id = FileId::of(&app.advisory_db)
        .map_err(|e| format!("advisory database {}: {e}", app.advisory_db.display()))?;
    let seen = app.db_identity.lock().map_err(|_| "lock poisoned")?.clone();
    if seen.as_ref() == Some(&id) {
        return Ok(json!({"changed": false}));
    }
    let t = Instant::now();
    // two connections to the new file: one for scans, one kept as "the database the findings
    // were derived from" for the next comparison (a replaced file stays readable through it)
    let db = vigil_osv::Database::open(&app.advisory_db).map_err(|e| e.to_string())?;
    let kept = vigil_osv::Database::open(&app.advisory_db).map_err(|e| e.to_string())?;
    if FileId::of(&app.advisory_db).ok().as_ref() != Some(&id) {
        return Err(
            "the advisory database was replaced while it was being opened; the next run retries"
                .into(),
        );
    }
    let new = db.key_digests().map_err(|e| e.to_string())?;
    let digests_s = t.elapsed().as_secs_f64();
    let old = app.store.advisory_digests().map_err(|e| e.to_string())?;
    // from now on, scans match against the new database
    app.replace_db(db);
    let previous = app.evaluated_db.lock().map_err(|_| "lock poisoned")?.take();
    if old.is_empty() {
        // the first database this store sees: the baseline
        save(app, &new)?;
        *app.db_identity.lock().map_err(|_| "lock poisoned")? = Some(id);
        *app.evaluated_db.lock().map_err(|_| "lock poisoned")? = Some(kept);
        tracing::info!(keys = new.len(), "advisory database baseline recorded");
        return Ok(json!({"changed": true, "baseline": true, "keys": new.len()}));
    }
    let mut changed: Vec<(String, String)> = new
        .iter()
        .filter(|(k, d)| old.get(*k).is_none_or(|o| o.as_slice() != d.as_slice()))
        .map(|(k, _)| k.clone())
        .collect();
    changed.extend(old.keys().filter(|k| !new.contains_key(*k)).cloned());
    changed.sort();
    let changed_set: std::collections::HashSet<(String, String)> =
        changed.iter().cloned().collect();
    let resources = app
        .store
        .resources_with_keys(&changed)
        .map_err(|e| e.to_string())?;
    let (mut new_findings, mut closed, mut reopened, mut failed) = (0u64, 0u64, 0u64, 0u64);
    let mut errors = Vec::new();
    // where the time goes: reading stored inventories, decoding and comparing their changed
    // packages' verdicts, matching + storing
    let (mut t_load, mut t_decode, mut t_derive) = (0f64, 0f64, 0f64);
    // the same package on many resources is evaluated once
    let mut memo = vigil_matcher::Memo::default();
    let mut differs_memo: HashMap<String, bool> = HashMap::new();
    let mut unchanged = 0u64;
    for (account, region, rid) in &resources {
        let outcome = (|| -> Result<Option<vigil_store::IngestReport>, String> {
            let t0 = Instant::now();
            let Some((record, bytes)) = app
                .store
                .resource_inventory(account, region, rid)
                .map_err(|e| e.to_string())?
            else {
                return Ok(None); // deleted meanwhile
            };
            let t1 = Instant::now();
            t_load += (t1 - t0).as_secs_f64();
            let mut inventory = stored_inventory(&bytes, rid).map_err(|e| e.to_string())?;
            // only the packages under a changed key are matched again; findings on the
            // others stay as they are
            let distro = inventory.distro.clone();
            inventory.packages.retain(|p| {
                vigil_matcher::package_keys(p, distro.as_ref())
                    .iter()
                    .any(|k| changed_set.contains(k))
            });
            // and of those, only the ones whose verdicts differ between the database the
            // findings came from (when still open) and the new one
            if let Some(prev) = &previous {
                let mut keep = Vec::with_capacity(inventory.packages.len());
                for p in std::mem::take(&mut inventory.packages) {
                    let fp = format!(
                        "{:?}\n{}\n{}\n{:?}\n{:?}",
                        p.ecosystem, p.name, p.version, p.source, distro
                    );
                    let differs = match differs_memo.get(&fp) {
                        Some(d) => *d,
                        None => {
                            let d = vigil_matcher::verdict_digest(&p, distro.as_ref(), prev)
                                .map_err(|e| e.to_string())?
                                != vigil_matcher::verdict_digest(&p, distro.as_ref(), &kept)
                                    .map_err(|e| e.to_string())?;
                            differs_memo.insert(fp, d);
                            d
                        }
                    };
                    if differs {
                        keep.push(p);
                    }
                }
                inventory.packages = keep;
            }
            if inventory.packages.is_empty() {
                unchanged += 1;
                t_decode += t1.elapsed().as_secs_f64();
                return Ok(None);
            }
            let scope = inventory
                .packages
                .iter()
                .map(vigil_matcher::package_ref)
                .collect();
            let t2 = Instant::now();
            t_decode += (t2 - t1).as_secs_f64();
            let (r, _, _) = derive(
                app,
                account,
                region,
                &inventory,
                record.tags,
                record.details,
                vigil_store::Origin::Reevaluation,
                Some(scope),
                Some(&mut memo),
            )
            .map_err(|e| e.message().to_owned())?;
            t_derive += t2.elapsed().as_secs_f64();
            Ok(Some(r))
        })();
        match outcome {
            Ok(Some(r)) => {
                new_findings += r.new;
                closed += r.closed;
                reopened += r.reopened;
            }
            Ok(None) => {}
            Err(e) => {
                failed += 1;
                if errors.len() < 5 {
                    errors.push(format!("{account}/{region}/{rid}: {e}"));
                }
            }
        }
    }
    if failed > 0 {
        // keep the old digests and database: the next check tries again
        *app.evaluated_db.lock().map_err(|_| "lock poisoned")? = previous;
        return Err(format!(
            "{failed} of {} resources could not be re-evaluated: {}",
            resources.len(),
            errors.join("; ")
        ));
    }
    save(app, &new)?;
    *app.db_identity.lock().map_err(|_| "lock poisoned")? = Some(id);
    *app.evaluated_db.lock().map_err(|_| "lock poisoned")? = Some(kept);
    let seconds = t.elapsed().as_secs_f64();
    tracing::info!(
        keys_changed = changed.len(),
        resources = resources.len(),
        new = new_findings,
        closed,
        seconds,
        "findings re-evaluated after an advisory database update"
    );
    Ok(json!({
        "changed": true, "keys": new.len(), "keysChanged": changed.len(),
        "resourcesReevaluated": resources.len() as u64 - unchanged,
        "resourcesWithUnchangedVerdicts": unchanged,
        "comparedWithPreviousDatabase": previous.is_some(), "findingsNew": new_findings,
        "findingsClosed": closed, "findingsReopened": reopened,
        "digestSeconds": digests_s, "loadSeconds": t_load, "decodeSeconds": t_decode,
        "matchAndStoreSeconds": t_derive, "packagesEvaluated": memo.misses,
        "packagesRemembered": memo.hits, "seconds": seconds,
    }))
}

fn save(app: &App, digests: &HashMap<(String, String), [u8; 16]>) -> Result<(), String> {
    app.store
        .set_advisory_digests(&mut digests.iter().map(|(k, d)| (k.clone(), d.to_vec())))
        .map_err(|e| e.to_string())
}

//! Updating an advisory database from feeds: each feed is fetched conditionally (unchanged
//! feeds cost one request), the changed ones are imported into a new copy of the database in
//! one transaction, and the copy replaces the old file atomically. Used by `vigil db update`
//! and by the server's `feed-update` job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vigil_osv::db::FeedMeta;
use vigil_osv::{Database, Import};

use crate::http::{FeedState, Fetched};
use crate::{Error, Feed};

/// What an update did, feed by feed.
#[derive(Debug, Default)]
pub struct Report {
    /// One JSON object per feed: `feed`, `url`, `result` (`unchanged`, `updated`, `failed`),
    /// and for an update `bytes`, `resumedFrom`, `advisories`, `enrichments`, `problems`; for a
    /// failure `error`.
    pub feeds: Vec<Value>,
    /// `name: error` for each feed that failed (the others were still updated).
    pub failures: Vec<String>,
    pub seconds: f64,
}

/// Where downloads are kept between attempts (resumable): next to the database.
fn work_dir(db: &Path) -> Result<PathBuf, Error> {
    let parent = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    Ok(parent.join(".vigil-feeds"))
}

/// Previously imported feeds' validators, by source name.
fn prior_states(db: &Path) -> BTreeMap<String, FeedState> {
    let mut out = BTreeMap::new();
    if let Ok(d) = Database::open(db)
        && let Ok(st) = d.status()
    {
        for s in st.sources {
            out.insert(
                s.name.clone(),
                FeedState {
                    etag: s.etag.clone(),
                    last_modified: s.last_modified.clone(),
                    sha256: s.sha256.clone(),
                },
            );
        }
    }
    out
}

/// Updates the database at `db` from `feeds`.
pub fn update(db: &Path, feeds: &[Feed], allow_insecure: bool) -> Result<Report, Error> {
    let dir = work_dir(db)?;
    let agent = crate::http::agent();
    let prior = prior_states(db);
    let started = std::time::Instant::now();
    let mut report = Report::default();
    let mut ready = Vec::new();
    for f in feeds {
        let state = prior.get(&f.name).cloned().unwrap_or_default();
        match crate::http::fetch(&agent, &f.url, &dir, &f.name, &state, allow_insecure) {
            Ok(Fetched::Unchanged) => {
                tracing::info!(feed = %f.name, "unchanged");
                report
                    .feeds
                    .push(json!({"feed": f.name, "url": f.url, "result": "unchanged"}));
            }
            Ok(Fetched::Ready {
                path,
                state,
                bytes,
                resumed_from,
            }) => {
                tracing::info!(feed = %f.name, bytes, resumed_from, "downloaded");
                ready.push((f.clone(), path, state, bytes, resumed_from));
            }
            Err(e) => {
                tracing::error!(feed = %f.name, "{e}");
                report.feeds.push(json!({"feed": f.name, "url": f.url, "result": "failed", "error": e.to_string()}));
                report.failures.push(format!("{}: {e}", f.name));
            }
        }
    }
    if !ready.is_empty() {
        let mut im = Import::begin(db).map_err(|e| {
            Error::Invalid(format!("cannot open `{}` for import: {e}", db.display()))
        })?;
        for (f, path, state, bytes, resumed_from) in &ready {
            let meta = FeedMeta {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
                sha256: state.sha256.clone(),
            };
            match im.import_path(&f.name, "feed", path, &meta) {
                Ok(r) => report.feeds.push(json!({
                    "feed": f.name, "url": f.url, "result": "updated", "bytes": bytes,
                    "resumedFrom": resumed_from, "advisories": r.advisories,
                    "enrichments": r.enrichments, "problems": r.problems.len(),
                })),
                Err(e) => {
                    report.feeds.push(json!({"feed": f.name, "url": f.url, "result": "failed", "error": e.to_string()}));
                    report.failures.push(format!("{}: {e}", f.name));
                }
            }
        }
        im.commit()
            .map_err(|e| Error::Invalid(format!("cannot write `{}`: {e}", db.display())))?;
        // downloaded copies are not needed once imported
        for (f, path, ..) in &ready {
            if !f.url.starts_with("file://") {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

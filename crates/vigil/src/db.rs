//! `vigil db …`: import, update, status, search, push, keygen.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use vigil_cli::{DbArg, DbCommand, DbImportArgs, DbSearchArgs, DbStatusArgs, InfoFormat};
use vigil_osv::db::FeedMeta;
use vigil_osv::{Database, Import};

/// The database path: `--db`, else `$VIGIL_DB` (clap reads it), else the user's data directory.
pub fn db_path(arg: &DbArg) -> Result<PathBuf> {
    if let Some(p) = &arg.db {
        return Ok(p.clone());
    }
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            let home = std::env::var_os("HOME")
                .context("no --db given and neither XDG_DATA_HOME nor HOME is set")?;
            PathBuf::from(home).join(".local/share")
        }
    };
    Ok(base.join("vigil").join("vigil.db"))
}

pub fn run(cmd: DbCommand) -> Result<()> {
    match cmd {
        DbCommand::Import(a) => import(a),
        DbCommand::Status(a) => status(a),
        DbCommand::Search(a) => search(a),
        DbCommand::Update(a) => crate::feed::update(a),
        DbCommand::Push(a) => crate::feed::push(a),
        DbCommand::Keygen(a) => crate::feed::keygen(a),
    }
}

/// The source name a path is recorded under: its canonical path.
pub fn source_name(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_owned())
        .display()
        .to_string()
}

fn import(a: DbImportArgs) -> Result<()> {
    let path = db_path(&a.db)?;
    let started = std::time::Instant::now();
    let mut im = Import::begin(&path)
        .with_context(|| format!("cannot open `{}` for import", path.display()))?;
    let mut reports = Vec::new();
    for p in &a.paths {
        let r = im
            .import_path(&source_name(p), "file", p, &FeedMeta::default())
            .with_context(|| format!("cannot import `{}`", p.display()))?;
        reports.push(r);
    }
    let st = im.commit()?;
    let elapsed = started.elapsed();
    match a.format {
        InfoFormat::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"sources": reports, "status": st, "seconds": elapsed.as_secs_f64()})
                )?
            );
        }
        InfoFormat::Table => {
            for r in &reports {
                println!(
                    "{}: {} advisories, {} enrichment rows, {} problems (bad records skipped) [{}]",
                    r.name,
                    r.advisories,
                    r.enrichments,
                    r.skipped,
                    r.formats.join(", ")
                );
                let shown = if a.show_problems {
                    r.problems.len()
                } else {
                    r.problems.len().min(5)
                };
                for p in &r.problems[..shown] {
                    eprintln!(
                        "  problem: {}{}: {}",
                        p.location,
                        p.id.as_deref()
                            .map(|i| format!(" ({i})"))
                            .unwrap_or_default(),
                        p.message
                    );
                }
                if shown < r.problems.len() {
                    eprintln!(
                        "  … {} more (--show-problems lists them all)",
                        r.problems.len() - shown
                    );
                }
            }
            println!(
                "{}: {} advisories, {} packages, KEV {}, EPSS {}, NVD {} ({:.1} s)",
                path.display(),
                st.advisories,
                st.packages,
                st.kev,
                st.epss,
                st.nvd,
                elapsed.as_secs_f64()
            );
        }
    }
    Ok(())
}

fn status(a: DbStatusArgs) -> Result<()> {
    let path = db_path(&a.db)?;
    let db = Database::open(&path)?;
    let st = db.status()?;
    match a.format {
        InfoFormat::Json => println!("{}", serde_json::to_string_pretty(&st)?),
        InfoFormat::Table => {
            println!("database   {}", st.path);
            println!("schema     {}", st.schema_version);
            println!("built      {} by {}", st.built_at, st.built_by);
            println!(
                "advisories {} ({} withdrawn) covering {} packages",
                st.advisories, st.withdrawn, st.packages
            );
            println!("KEV        {} entries", st.kev);
            println!("EPSS       {} scores", st.epss);
            println!("NVD        {} CVEs", st.nvd);
            println!("ecosystems");
            for (e, n) in &st.ecosystems {
                println!("  {e:<24} {n}");
            }
            println!("sources");
            for s in &st.sources {
                println!(
                    "  {} [{}] {} advisories, {} enrichment rows, {} problems, imported {}{}",
                    s.name,
                    s.kind,
                    s.advisories,
                    s.enrichments,
                    s.skipped,
                    s.imported_at,
                    s.etag
                        .as_deref()
                        .map(|e| format!(", etag {e}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

fn search(a: DbSearchArgs) -> Result<()> {
    let path = db_path(&a.db)?;
    let db = Database::open(&path)?;
    let q = a.query.trim();
    if q.is_empty() {
        bail!("empty query");
    }
    let by_id = db.advisories_by_id(q)?;
    let packages = if by_id.is_empty() {
        db.packages_named(q)?
    } else {
        Vec::new()
    };
    let mut records = by_id.clone();
    for (eco, name, _) in &packages {
        records.extend(db.advisories_for(eco, name)?);
    }
    // CVEs mentioned, for KEV/EPSS.
    let mut cves: Vec<String> = records
        .iter()
        .flat_map(|r| r.advisory.cve_ids().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    if q.to_ascii_uppercase().starts_with("CVE-") {
        cves.push(q.to_ascii_uppercase());
    }
    cves.sort();
    cves.dedup();
    let mut enrich = Vec::new();
    for c in &cves {
        enrich.push(serde_json::json!({
            "cve": c,
            "kev": db.kev(c)?,
            "epss": db.epss(c)?.map(|e| serde_json::json!({"score": e.score, "percentile": e.percentile})),
            "nvd": db.nvd(c)?,
        }));
    }
    let known = !records.is_empty()
        || enrich
            .iter()
            .any(|e| !e["kev"].is_null() || !e["epss"].is_null() || !e["nvd"].is_null());
    match a.format {
        InfoFormat::Json => {
            let recs: Vec<_> = records.iter().map(|r| serde_json::json!({"source": r.source, "format": r.format, "record": r.advisory})).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"query": q, "known": known, "records": recs, "cves": enrich})
                )?
            );
        }
        InfoFormat::Table => {
            if !known {
                println!("{q}: not in the database ({})", path.display());
                std::process::exit(3);
            }
            for r in &records {
                let a = &r.advisory;
                println!(
                    "{}{}",
                    a.id,
                    if a.is_withdrawn() { " (WITHDRAWN)" } else { "" }
                );
                if !a.aliases.is_empty() {
                    println!("  aliases   {}", a.aliases.join(", "));
                }
                if let Some(s) = &a.summary {
                    println!("  summary   {s}");
                }
                println!("  source    {} [{}]", r.source, r.format);
                for s in &a.severity {
                    let scored = vigil_cvss::score(&s.score)
                        .map(|x| format!(" = {:.1} {}", x.base_score, x.rating.as_str()))
                        .unwrap_or_default();
                    println!("  severity  {} {}{scored}", s.kind, s.score);
                }
                for af in &a.affected {
                    let Some(p) = &af.package else { continue };
                    let mut what: Vec<String> = af
                        .ranges
                        .iter()
                        .map(vigil_matcher::evaluate::describe_range)
                        .collect();
                    if !af.versions.is_empty() {
                        what.push(format!("{} listed versions", af.versions.len()));
                    }
                    if let Some(s) = af.distro_status() {
                        what.push(format!("status {}", s.as_str()));
                    }
                    println!(
                        "  affects   {} {}: {}",
                        p.ecosystem,
                        p.name,
                        what.join("; ")
                    );
                }
            }
            for e in &enrich {
                let cve = e["cve"].as_str().unwrap_or("");
                let kev = match e["kev"].get("dateAdded").and_then(|d| d.as_str()) {
                    Some(d) => format!(
                        "KEV: exploited (added {d}, ransomware {})",
                        e["kev"]["knownRansomwareCampaignUse"]
                            .as_str()
                            .unwrap_or("?")
                    ),
                    None => "KEV: not listed".to_owned(),
                };
                let epss = match (
                    e["epss"]["score"].as_f64(),
                    e["epss"]["percentile"].as_f64(),
                ) {
                    (Some(s), Some(p)) => format!("EPSS {:.4} (percentile {:.1}%)", s, p * 100.0),
                    _ => "EPSS: no score".to_owned(),
                };
                println!("{cve}: {kev}; {epss}");
            }
        }
    }
    Ok(())
}

//! `vigil scan`: inventory a target, match it against the advisory database, report findings.

use anyhow::{Context, Result};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use vigil_cli::{ScanArgs, ScanFormat};
use vigil_osv::db::FeedMeta;
use vigil_osv::{Database, Import};

/// What the scan concluded, for the exit code.
pub enum Outcome {
    Pass,
    /// `--fail-on` matched.
    Fail,
}

/// Open the database, or import advisory files given in its place into a temporary one.
fn open_db(path: &Path) -> Result<(Database, Option<tempfile::TempDir>)> {
    let is_db = path.is_file() && {
        use std::io::Read;
        let mut magic = [0u8; 16];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && &magic == b"SQLite format 3\0"
    };
    if is_db || !path.exists() {
        let db = Database::open(path)
            .with_context(|| format!("cannot open the advisory database `{}`", path.display()))?;
        return Ok((db, None));
    }
    // Advisory files, a directory or a zip: build a throw-away database.
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let db_file = dir.path().join("advisories.db");
    let mut im = Import::begin(&db_file)?;
    let report = im.import_path(
        &crate::db::source_name(path),
        "file",
        path,
        &FeedMeta::default(),
    )?;
    for p in report.problems.iter().take(5) {
        tracing::warn!(location = %p.location, id = ?p.id, "skipped advisory: {}", p.message);
    }
    im.commit()?;
    Ok((Database::open(&db_file)?, Some(dir)))
}

pub fn run(args: ScanArgs) -> Result<Outcome> {
    if let Some(server) = &args.server {
        return submit(&args, server);
    }
    let db_path: PathBuf = crate::db::db_path(&args.db)?;
    let t0 = std::time::Instant::now();
    let (db, _tmp) = open_db(&db_path)?;
    let t_open = t0.elapsed();
    let t1 = std::time::Instant::now();
    let inventory = crate::sbom::inventory(&args.target)?;
    let t_inventory = t1.elapsed();
    let t2 = std::time::Instant::now();
    let opts = vigil_matcher::MatchOptions {
        observed_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        ..Default::default()
    };
    let mut report = vigil_matcher::match_inventory(&inventory, &db, &opts)?;
    let t_match = t2.elapsed();
    tracing::info!(
        open_ms = t_open.as_secs_f64() * 1e3,
        inventory_ms = t_inventory.as_secs_f64() * 1e3,
        match_ms = t_match.as_secs_f64() * 1e3,
        packages = report.stats.packages,
        records = report.stats.records_considered,
        findings = report.stats.findings,
        "scan timings"
    );
    for n in &inventory.notes {
        if n.level >= vigil_types::NoteLevel::Warning {
            report.notes.push(format!(
                "inventory: {}{}",
                n.path
                    .as_deref()
                    .map(|p| format!("{p}: "))
                    .unwrap_or_default(),
                n.message
            ));
        }
    }

    if let Some(id) = &args.explain {
        let text = explain(&report, id);
        crate::sbom::write_output(args.output.as_deref(), &text)?;
        return Ok(Outcome::Pass);
    }

    let wanted: Vec<&str> = args.severity.iter().map(|s| s.as_str()).collect();
    report.findings.retain(|f| {
        (wanted.is_empty() || wanted.contains(&f.severity.as_str()))
            && !(args.ignore_unfixed && f.fix_available == "NO")
    });
    let text = match args.format {
        ScanFormat::Json => vigil_export::to_json(&report.findings, &report.notes)?,
        ScanFormat::Sarif => vigil_export::to_sarif(&report.findings, &inventory)?,
        ScanFormat::CyclonedxVex => {
            vigil_export::to_cyclonedx_vex(&report.findings, &report.judgements, &inventory)?
        }
        ScanFormat::Openvex => {
            vigil_export::to_openvex(&report.findings, &report.judgements, &inventory)?
        }
        ScanFormat::Table => {
            let colour = args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none();
            vigil_export::to_table(&report.findings, &report.notes, colour)
        }
    };
    crate::sbom::write_output(args.output.as_deref(), &text)?;
    if let Some(threshold) = args.fail_on {
        let limit = vigil_matcher::severity::rank(threshold.as_str());
        if report
            .findings
            .iter()
            .any(|f| vigil_matcher::severity::rank(&f.severity) <= limit)
        {
            return Ok(Outcome::Fail);
        }
    }
    Ok(Outcome::Pass)
}

/// `vigil scan TARGET --server URL`: the inventory is taken here and submitted; the server
/// matches it and records the findings; the answer says what changed.
fn submit(args: &ScanArgs, server: &str) -> Result<Outcome> {
    let inventory = crate::sbom::inventory(&args.target)?;
    let sbom: serde_json::Value = serde_json::from_str(&vigil_sbom::to_cyclonedx(&inventory)?)?;
    let mut body = serde_json::json!({ "sbom": sbom });
    if let Some(id) = &args.resource_id {
        body["resourceId"] = serde_json::json!(id);
    }
    let answer = crate::server::post(server, "/vigil/v1/scans", &body)?;
    crate::sbom::write_output(
        args.output.as_deref(),
        &serde_json::to_string_pretty(&answer)?,
    )?;
    Ok(Outcome::Pass)
}

/// Every judgement involving `id` (finding or not), with the comparison that decided it.
fn explain(report: &vigil_matcher::Report, id: &str) -> String {
    use std::fmt::Write;
    let id_up = id.trim().to_ascii_uppercase();
    let matches = |ids: &[String]| ids.iter().any(|x| x.to_ascii_uppercase() == id_up);
    let mut out = String::new();
    let mut any = false;
    for f in &report.findings {
        let d = &f.package_vulnerability_details;
        let mut ids = f.vigil.aliases.clone();
        ids.push(d.vulnerability_id.clone());
        if !matches(&ids) {
            continue;
        }
        any = true;
        let p = &d.vulnerable_packages[0];
        let _ = writeln!(
            out,
            "FINDING {} on {} {} ({})",
            d.vulnerability_id,
            p.name,
            p.version,
            p.file_path.as_deref().unwrap_or("-")
        );
        let _ = writeln!(
            out,
            "  severity {} (score {}), fix available {}, fixed in {}",
            f.severity,
            f.inspector_score
                .map(|s| format!("{s:.1}"))
                .unwrap_or_else(|| "-".into()),
            f.fix_available,
            p.fixed_in_version.as_deref().unwrap_or("-")
        );
        let _ = writeln!(out, "  aliases {}", f.vigil.aliases.join(", "));
        for c in &d.cvss {
            let _ = writeln!(
                out,
                "  cvss {} {} = {:.1} (from {})",
                c.version, c.scoring_vector, c.base_score, c.source
            );
        }
        if let Some(k) = &f.vigil.kev {
            let _ = writeln!(
                out,
                "  KEV: {} added {} (due {}, ransomware {})",
                k.cve, k.date_added, k.due_date, k.known_ransomware_campaign_use
            );
        }
        if let Some(e) = &f.epss {
            let _ = writeln!(
                out,
                "  EPSS {:.4} (percentile {:.3})",
                e.score,
                f.vigil.epss_percentile.unwrap_or(0.0)
            );
        }
        for c in &f.vigil.context {
            let _ = writeln!(out, "  context: {c}");
        }
        for pr in &f.vigil.provenance {
            write_provenance(&mut out, pr);
        }
        let _ = writeln!(out, "  remediation: {}", f.remediation.recommendation.text);
    }
    for j in &report.judgements {
        if !matches(&j.ids) {
            continue;
        }
        any = true;
        let _ = writeln!(
            out,
            "{} {} {} ({})",
            j.provenance.verdict.to_uppercase(),
            j.package,
            j.version,
            j.ecosystem
        );
        write_provenance(&mut out, &j.provenance);
    }
    if !any {
        let _ = writeln!(
            out,
            "{id}: no package in this target was compared with a record of that id"
        );
    }
    out
}

fn write_provenance(out: &mut String, p: &vigil_matcher::finding::Provenance) {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "  record {} ({} feed, {}){}",
        p.record,
        p.feed,
        p.source,
        p.modified
            .as_deref()
            .map(|m| format!(" modified {m}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "    affected package {} {}; compared {} with {}",
        p.ecosystem, p.package, p.compared, p.comparator
    );
    for r in &p.ranges {
        let _ = writeln!(out, "    range {r}");
    }
    if let Some(s) = &p.distro_status {
        let _ = writeln!(out, "    distribution status {s}");
    }
    let _ = writeln!(out, "    verdict {}: {}", p.verdict, p.reason);
}

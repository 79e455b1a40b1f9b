//! `GET /metrics`: the server's state in Prometheus's text exposition format (version 0.0.4),
//! for scraping. Enabled with a bearer token (`vigil server --metrics-token-file FILE`); without
//! one the route answers 404.
//!
//! - `vigil_findings{account,status,severity,type}`: findings (gauge);
//! - `vigil_resources{account,type,scan_status}`: covered resources (gauge);
//! - `vigil_image_scan_queue_depth`: images waiting to be scanned (gauge);
//! - `vigil_job_runs_total{job}`, `vigil_job_failures_total{job}` (counters),
//!   `vigil_job_last_duration_seconds{job}`, `vigil_job_running{job}` (gauges);
//! - `vigil_registry_images_scanned_total`, `vigil_registry_bytes_downloaded_total`,
//!   `vigil_registry_blobs_reused_total`, `vigil_layer_cache_hits_total`,
//!   `vigil_layer_cache_misses_total` (counters).

use std::fmt::Write;

use crate::{ApiError, App};

/// Label values escaped as the format requires (backslash, double quote, newline).
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The exposition text.
pub fn render(app: &App) -> Result<String, ApiError> {
    let counts = app.store.counts()?;
    let mut out = String::new();
    family(
        &mut out,
        "vigil_findings",
        "gauge",
        "Findings by account, status, severity and type.",
    );
    for (account, status, severity, kind, n) in &counts.findings {
        let _ = writeln!(
            out,
            "vigil_findings{{account=\"{}\",status=\"{}\",severity=\"{}\",type=\"{}\"}} {n}",
            esc(account),
            esc(status),
            esc(severity),
            esc(kind)
        );
    }
    family(
        &mut out,
        "vigil_resources",
        "gauge",
        "Covered resources by account, type and scan status.",
    );
    for (account, kind, status, n) in &counts.resources {
        let _ = writeln!(
            out,
            "vigil_resources{{account=\"{}\",type=\"{}\",scan_status=\"{}\"}} {n}",
            esc(account),
            esc(kind),
            esc(status)
        );
    }
    family(
        &mut out,
        "vigil_image_scan_queue_depth",
        "gauge",
        "Images waiting to be scanned.",
    );
    let _ = writeln!(
        out,
        "vigil_image_scan_queue_depth {}",
        app.store.registry_store().queued_images()?
    );
    let jobs = app.jobs.list();
    for (name, kind, help) in [
        (
            "vigil_job_runs_total",
            "counter",
            "Runs of each background job.",
        ),
        (
            "vigil_job_failures_total",
            "counter",
            "Failed runs of each background job.",
        ),
        (
            "vigil_job_last_duration_seconds",
            "gauge",
            "How long each job's last run took.",
        ),
        ("vigil_job_running", "gauge", "1 while the job runs."),
    ] {
        family(&mut out, name, kind, help);
        for j in &jobs {
            let v = match name {
                "vigil_job_runs_total" => j.runs as f64,
                "vigil_job_failures_total" => j.failures as f64,
                "vigil_job_last_duration_seconds" => {
                    j.last_duration_ms.map_or(0.0, |ms| ms as f64 / 1000.0)
                }
                _ => f64::from(u8::from(j.state == "RUNNING")),
            };
            let _ = writeln!(out, "{name}{{job=\"{}\"}} {v}", esc(j.name));
        }
    }
    let (scanned, downloaded, reused) = app.images.totals();
    for (name, help, v) in [
        (
            "vigil_registry_images_scanned_total",
            "Registry images pulled and scanned.",
            scanned,
        ),
        (
            "vigil_registry_bytes_downloaded_total",
            "Bytes of blobs downloaded from registries.",
            downloaded,
        ),
        (
            "vigil_registry_blobs_reused_total",
            "Blobs found in the blob store instead of downloaded.",
            reused,
        ),
        (
            "vigil_layer_cache_hits_total",
            "Image layers whose inventory came from the layer cache.",
            app.images.layer_cache.hits(),
        ),
        (
            "vigil_layer_cache_misses_total",
            "Image layers walked.",
            app.images.layer_cache.misses(),
        ),
    ] {
        family(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {v}");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

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
//!   `vigil_layer_cache_misses_total` (counters);
//! - `vigil_event_outbox_depth` (gauge: outbox events some destination has not matched yet),
//!   `vigil_event_deliveries_pending{destination,name}` and
//!   `vigil_event_dead_letters{destination,name}` (gauges, from the store),
//!   `vigil_event_deliveries_total{destination,name,outcome="ok"|"failed"}` (counter, attempts
//!   since start), `vigil_event_delivery_latency_seconds{destination,name}` (histogram: from
//!   the change to its delivery).

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
    events(app, &mut out)?;
    Ok(out)
}

fn events(app: &App, out: &mut String) -> Result<(), ApiError> {
    let stats = app.store.event_store().delivery_stats()?;
    family(
        out,
        "vigil_event_outbox_depth",
        "gauge",
        "Outbox events not yet matched by every destination of their account.",
    );
    let _ = writeln!(out, "vigil_event_outbox_depth {}", stats.outbox_rows);
    for (metric, state, help) in [
        (
            "vigil_event_deliveries_pending",
            "PENDING",
            "Events waiting to be delivered (first attempt or retry), by destination.",
        ),
        (
            "vigil_event_dead_letters",
            "DEAD",
            "Events that ran out of attempts, by destination.",
        ),
    ] {
        family(out, metric, "gauge", help);
        for (id, name, st, n) in &stats.deliveries {
            if st == state {
                let _ = writeln!(
                    out,
                    "{metric}{{destination=\"{}\",name=\"{}\"}} {n}",
                    esc(id),
                    esc(name)
                );
            }
        }
    }
    let live = app.events.stats();
    family(
        out,
        "vigil_event_deliveries_total",
        "counter",
        "Delivery attempts since start, by destination and outcome.",
    );
    for (id, s) in &live {
        for (outcome, n) in [("ok", s.ok), ("failed", s.failed)] {
            let _ = writeln!(
                out,
                "vigil_event_deliveries_total{{destination=\"{}\",name=\"{}\",outcome=\"{outcome}\"}} {n}",
                esc(id),
                esc(&s.name)
            );
        }
    }
    family(
        out,
        "vigil_event_delivery_latency_seconds",
        "histogram",
        "Seconds from a change to the delivery of its event, by destination.",
    );
    for (id, s) in &live {
        let labels = format!("destination=\"{}\",name=\"{}\"", esc(id), esc(&s.name));
        let mut cumulative = 0;
        for (bound, n) in crate::events::latency_buckets()
            .iter()
            .zip(s.latency_buckets)
        {
            cumulative += n;
            let _ = writeln!(
                out,
                "vigil_event_delivery_latency_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "vigil_event_delivery_latency_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            s.latency_count
        );
        let _ = writeln!(
            out,
            "vigil_event_delivery_latency_seconds_sum{{{labels}}} {}",
            s.latency_sum
        );
        let _ = writeln!(
            out,
            "vigil_event_delivery_latency_seconds_count{{{labels}}} {}",
            s.latency_count
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

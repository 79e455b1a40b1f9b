//! `GET /metrics`: the Prometheus text a scraper reads, parsed by the reference parser
//! (`prometheus_client`'s), with the counts the API reports.

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;

fn get(url: &str, token: Option<&str>) -> (u16, String, String) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let mut req = agent.get(format!("{url}/metrics"));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let mut resp = req.call().expect("get");
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (
        status,
        ctype,
        resp.body_mut().read_to_string().unwrap_or_default(),
    )
}

#[test]
fn metrics_for_scrapers() {
    tools_present();
    let dir = tempfile::tempdir().expect("tmp");
    let token_file = dir.path().join("metrics.token");
    std::fs::write(&token_file, "s3cret-scrape\n").expect("token");
    let s = start_full(
        &[],
        &[(
            "VIGIL_METRICS_TOKEN_FILE",
            token_file.to_str().expect("utf-8"),
        )],
    );
    let sbom = demo_sbom(s.dir.path());
    let scanned = s.scan(&format!("sbom:{}", sbom.display()), "host-a");
    let n = scanned["new"].as_u64().expect("new");

    assert_eq!(get(&s.url, None).0, 401);
    assert_eq!(get(&s.url, Some("wrong")).0, 401);
    let (status, ctype, text) = get(&s.url, Some("s3cret-scrape"));
    assert_eq!(status, 200, "{text}");
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    // the reference parser reads it; sum the families
    let out = run_ok(
        Command::new("python3")
            .arg("-c")
            .arg(
                r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        out.setdefault(s.name, []).append({"labels": s.labels, "value": s.value})
print(json.dumps(out))
"#,
            )
            .arg({
                let p = dir.path().join("metrics.txt");
                std::fs::write(&p, &text).expect("write");
                p
            }),
    );
    let m: Value = serde_json::from_str(&out).expect("parsed");
    let active: f64 = m["vigil_findings"]
        .as_array()
        .expect("findings family")
        .iter()
        .filter(|s| s["labels"]["status"] == "ACTIVE" && s["labels"]["account"] == ACCOUNT)
        .filter_map(|s| s["value"].as_f64())
        .sum();
    assert_eq!(active as u64, n, "{text}");
    let resources = &m["vigil_resources"][0];
    assert_eq!(resources["value"], 1.0, "{text}");
    assert_eq!(resources["labels"]["scan_status"], "ACTIVE");
    assert_eq!(m["vigil_image_scan_queue_depth"][0]["value"], 0.0);
    // counters are exposed with their _total samples; every job has its series
    let jobs: Vec<&str> = m["vigil_job_runs_total"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|s| s["labels"]["job"].as_str())
        .collect();
    for j in [
        "advisory-reevaluation",
        "registry-scan",
        "suppression-expiry",
    ] {
        assert!(jobs.contains(&j), "{jobs:?}");
    }
    assert!(m["vigil_layer_cache_hits_total"].is_array(), "{text}");

    // a server without a token has no /metrics
    let plain = start();
    assert_eq!(get(&plain.url, Some("s3cret-scrape")).0, 404);
}

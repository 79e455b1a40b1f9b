//! Findings reports at scale: N resources × M findings ingested into the store (default
//! 1,000 × 100 = 100,000 findings), then a JSON and a CSV findings report of all of them
//! written by the report worker to a local export directory (and, with `VIGIL_BENCH_S3` set to
//! an S3 endpoint such as a `moto_server` with a bucket `bench`, to S3 too). Prints the time
//! and the peak RSS growth of each report (`/proc/self/clear_refs` resets the high-water mark
//! before it, `VmHWM` is read after it) and the object sizes.
//!
//!   cargo bench -p vigil-server --bench report_scale -- [RESOURCES] [PER_RESOURCE]
//!   (bench/report-scale.sh runs it)

use std::time::Instant;

use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_store::reports::{FINDINGS, ReportRecord};
use vigil_store::{ResourceRecord, Store, Submission};

const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";
const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNTRIAGED"];

/// A finding as realistic as findings_scale's.
fn finding(r: usize, i: usize) -> Value {
    let sev = SEVERITIES[(r * 7 + i) % SEVERITIES.len()];
    let pkg = format!("package-{}", i % 60);
    json!({
        "awsAccountId": ACCOUNT,
        "findingArn": format!("arn:vigil:inspector2:{REGION}:{ACCOUNT}:finding/{r:06}{i:04}"),
        "type": "PACKAGE_VULNERABILITY",
        "title": format!("CVE-2024-{:05} - {pkg}", (r * 31 + i * 17) % 40000),
        "description": "A realistic-length description of the vulnerability, as advisories carry one; it says what is wrong, where, and what an attacker can do with it.",
        "severity": sev,
        "fixAvailable": "YES",
        "exploitAvailable": if i % 13 == 0 { "YES" } else { "NO" },
        "inspectorScore": 5.0 + (i % 50) as f64 / 10.0,
        "epss": {"score": 0.001 * (i % 100) as f64},
        "packageVulnerabilityDetails": {
            "vulnerabilityId": format!("CVE-2024-{:05}", (r * 31 + i * 17) % 40000),
            "source": "NVD",
            "relatedVulnerabilities": [format!("GHSA-xxxx-{i:04}")],
            "cvss": [{"baseScore": 7.5, "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "source": "NVD", "version": "3.1"}],
            "vulnerablePackages": [{"name": pkg, "version": "1.2.3", "fixedInVersion": "1.2.4", "packageManager": "OS", "filePath": "/var/lib/dpkg/status"}]
        },
        "remediation": {"recommendation": {"text": format!("Upgrade {pkg} to 1.2.4 or later")}},
        "resources": [{"type": "AWS_EC2_INSTANCE", "id": format!("i-{r:08}"), "partition": "vigil", "region": REGION}],
        "vigil": {"aliases": [], "ecosystem": "deb", "fixedVersions": ["1.2.4"], "provenance": []}
    })
}

fn vm(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let resources = args.first().copied().unwrap_or(1_000);
    let per = args.get(1).copied().unwrap_or(100);
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    {
        let store = Store::open(&data).expect("store");
        store
            .create_key(ACCOUNT, OffsetDateTime::now_utc())
            .expect("key");
        let t = Instant::now();
        let no_rules = |_: &Value| vigil_store::Compiled::never();
        for r in 0..resources {
            let findings: Vec<Value> = (0..per).map(|i| finding(r, i)).collect();
            store
                .ingest(
                    Submission {
                        account: ACCOUNT,
                        region: REGION,
                        resource: ResourceRecord {
                            kind: "AWS_EC2_INSTANCE".into(),
                            id: format!("i-{r:08}"),
                            region: REGION.into(),
                            tags: Default::default(),
                            details: None,
                        },
                        inventory: b"{}",
                        findings,
                        now: OffsetDateTime::now_utc(),
                        keys: Vec::new(),
                        origin: vigil_store::Origin::Scan,
                        scope: None,
                    },
                    &no_rules,
                )
                .expect("ingest");
        }
        println!(
            "ingest: {} findings in {:.1} s",
            resources * per,
            t.elapsed().as_secs_f64()
        );
    }
    let exports = dir.path().join("exports");
    let mut targets = vec![("directory", None)];
    if let Ok(url) = std::env::var("VIGIL_BENCH_S3") {
        targets.push(("s3", Some(url)));
    }
    let mut n = 0u32;
    for (name, s3) in targets {
        let mut app = vigil_server::App::new(
            &data,
            dir.path().join("unused.db"),
            std::time::Duration::from_secs(3600),
        )
        .expect("app");
        app.reports.destination = match &s3 {
            None => vigil_server::export::Destination::Local {
                dir: exports.clone(),
            },
            Some(url) => vigil_server::export::Destination::S3(
                vigil_server::export::S3Client::new(vigil_server::export::S3Config {
                    endpoint: url.clone(),
                    region: REGION.into(),
                    credentials: vigil_sigv4::Credentials {
                        access_key_id: "testing".into(),
                        secret_access_key: "testing".into(),
                        session_token: None,
                    },
                    part_size: vigil_server::export::DEFAULT_PART_SIZE,
                }),
            ),
        };
        app.reports.destination.prepare().expect("prepare");
        for format in ["JSON", "CSV"] {
            n += 1;
            let id = format!("{n:08x}-0000-4000-8000-000000000000");
            let at = vigil_store::timestamp(OffsetDateTime::now_utc());
            let rec = ReportRecord {
                id: id.clone(),
                account: ACCOUNT.into(),
                region: REGION.into(),
                kind: FINDINGS.into(),
                format: format.into(),
                status: "IN_PROGRESS".into(),
                error_code: None,
                error_message: None,
                destination: json!({"bucketName": "bench", "kmsKeyArn": "k"}),
                criteria: None,
                objects: 0,
                created_at: at.clone(),
                updated_at: at,
            };
            app.store
                .report_store()
                .create_report(&rec, 1)
                .expect("create");
            let before = vm("VmRSS:");
            reset_peak();
            let t = Instant::now();
            vigil_server::reports::run(&app, rec);
            let secs = t.elapsed().as_secs_f64();
            let peak = vm("VmHWM:");
            let done = app
                .store
                .report_store()
                .report(ACCOUNT, &id)
                .expect("read")
                .expect("report");
            let size = if s3.is_none() {
                std::fs::metadata(
                    exports
                        .join("bench")
                        .join(format!("{id}.{}", format.to_ascii_lowercase())),
                )
                .map(|m| m.len())
                .unwrap_or(0)
            } else {
                0
            };
            println!(
                "{name} {format}: {} {} findings in {secs:.2} s ({:.0} findings/s), RSS before {} MB, peak during {} MB (+{} MB){}",
                done.status,
                resources * per,
                (resources * per) as f64 / secs,
                before / 1024,
                peak / 1024,
                peak.saturating_sub(before) / 1024,
                if size > 0 {
                    format!(", object {:.1} MB", size as f64 / 1e6)
                } else {
                    String::new()
                }
            );
        }
    }
}

//! Findings service at scale: N resources × M findings ingested into the store (default
//! 10,000 × 100 = 1,000,000 findings), then `ListFindings` over HTTP with SigV4, as the AWS CLI
//! sends it, filtered by severity + resource (the goal: p99 under 50 ms), plus an unfiltered
//! first page and a residual-criteria query for context.
//!
//!   cargo bench -p vigil-server --bench findings_scale -- [RESOURCES] [PER_RESOURCE] [REQUESTS]
//!   (bench/findings-scale.sh runs it)

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_store::{ResourceRecord, Store, Submission};

const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";
const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNTRIAGED"];

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

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let resources = args.first().copied().unwrap_or(10_000);
    let per = args.get(1).copied().unwrap_or(100);
    let requests = args.get(2).copied().unwrap_or(300);
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");

    // 1. ingest
    let (key, ingest_s) = {
        let store = Store::open(&data).expect("store");
        let key = store
            .create_key(ACCOUNT, OffsetDateTime::now_utc())
            .expect("key");
        // VIGIL_BENCH_DROP=index,trigger,...: what each costs at ingest (measurement only)
        if let Ok(drop) = std::env::var("VIGIL_BENCH_DROP") {
            let c = rusqlite::Connection::open(data.join("vigil.sqlite")).expect("db");
            for name in drop.split(',').filter(|n| !n.is_empty()) {
                let kind = if name.starts_with("finding_daily") || name.contains("_event_") {
                    "TRIGGER"
                } else {
                    "INDEX"
                };
                c.execute_batch(&format!("DROP {kind} {name}"))
                    .expect("drop");
            }
            println!("dropped: {drop}");
        }
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
                        // a realistic key set: the packages the findings are on
                        keys: (0..60)
                            .map(|i| ("Debian:12".to_owned(), format!("package-{i}")))
                            .collect(),
                        origin: vigil_store::Origin::Scan,
                        scope: None,
                    },
                    &no_rules,
                )
                .expect("ingest");
        }
        (key, t.elapsed().as_secs_f64())
    };
    let total = resources * per;
    println!(
        "ingest: {resources} inventories x {per} findings = {total} findings in {ingest_s:.1} s: {:.0} inventories/s, {:.0} findings/s (store level, one transaction per inventory)",
        resources as f64 / ingest_s,
        total as f64 / ingest_s
    );
    let size: u64 = std::fs::read_dir(&data)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!("store size on disk: {:.0} MB", size as f64 / 1e6);
    if std::env::var_os("VIGIL_BENCH_INGEST_ONLY").is_some() {
        return;
    }

    // 2. the server, in process, on loopback
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let config = vigil_server::Config::new(
        format!("127.0.0.1:{port}").parse().expect("addr"),
        data.clone(),
        dir.path().join("unused.db"),
    );
    rt.spawn(async move {
        let _ = vigil_server::serve(config).await;
    });
    std::thread::sleep(Duration::from_millis(300));
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let creds = vigil_sigv4::Credentials {
        access_key_id: key.access_key_id.clone(),
        secret_access_key: key.secret_access_key.clone(),
        session_token: None,
    };
    let call_at = |path: &str, body: &Value| -> (Duration, Value) {
        let bytes = body.to_string().into_bytes();
        let headers = vec![
            ("host".to_owned(), format!("127.0.0.1:{port}")),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        let t = Instant::now();
        let signed = vigil_sigv4::sign(
            &vigil_sigv4::Request {
                method: "POST",
                path,
                query: "",
                headers: &headers,
                body: &bytes,
            },
            &creds,
            REGION,
            "inspector2",
            OffsetDateTime::now_utc(),
        );
        let mut req = agent
            .post(format!("http://127.0.0.1:{port}{path}"))
            .header("content-type", "application/json");
        for (k, v) in &signed {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req.send(&bytes[..]).expect("request");
        let text = resp.body_mut().read_to_string().expect("body");
        let elapsed = t.elapsed();
        assert_eq!(resp.status().as_u16(), 200, "{text}");
        (elapsed, serde_json::from_str(&text).expect("json"))
    };
    let call = |body: &Value| call_at("/findings/list", body);
    let mut rng = 0x9e3779b97f4a7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut run = |name: &str, make: &mut dyn FnMut(u64) -> Value| {
        let mut times = Vec::with_capacity(requests);
        let mut returned = 0usize;
        for _ in 0..requests {
            let (d, v) = call(&make(next()));
            returned += v["findings"].as_array().map_or(0, Vec::len);
            times.push(d);
        }
        times.sort();
        println!(
            "{name}: {requests} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({:.1} findings per answer)",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            percentile(&times, 1.0),
            returned as f64 / requests as f64
        );
    };
    run("ListFindings severity=HIGH + resourceId", &mut |x| {
        json!({"filterCriteria": {
            "severity": [{"comparison": "EQUALS", "value": "HIGH"}],
            "resourceId": [{"comparison": "EQUALS", "value": format!("i-{:08}", x as usize % resources)}]
        }})
    });
    run(
        "ListFindings first page, no filter (100)",
        &mut |_| json!({"maxResults": 100}),
    );
    run(
        "ListFindings resourceId + title PREFIX (residual criteria)",
        &mut |x| {
            json!({"filterCriteria": {
                "resourceId": [{"comparison": "EQUALS", "value": format!("i-{:08}", x as usize % resources)}],
                "title": [{"comparison": "PREFIX", "value": "CVE-2024-1"}]
            }})
        },
    );

    // the console's findings page: its first page of 50 in Vigil-score order, as it asks for
    // it (unfiltered, ACTIVE only, one severity, one CVE), and its dashboard
    let by_score = json!({"field": "INSPECTOR_SCORE", "sortOrder": "DESC"});
    run(
        "console first page: all findings by Vigil score (50)",
        &mut |_| json!({"maxResults": 50, "sortCriteria": by_score}),
    );
    run(
        "console first page: ACTIVE by Vigil score (50)",
        &mut |_| {
            json!({"maxResults": 50, "sortCriteria": by_score,
               "filterCriteria": {"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]}})
        },
    );
    run(
        "console first page: ACTIVE + severity HIGH by Vigil score (50)",
        &mut |_| {
            json!({"maxResults": 50, "sortCriteria": by_score,
               "filterCriteria": {"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
                                  "severity": [{"comparison": "EQUALS", "value": "HIGH"}]}})
        },
    );
    run(
        "console first page: one CVE by Vigil score (50)",
        &mut |x| {
            json!({"maxResults": 50, "sortCriteria": by_score,
               "filterCriteria": {"vulnerabilityId": [{"comparison": "EQUALS",
                   "value": format!("CVE-2024-{:05}", x as usize % 40000)}]}})
        },
    );
    run(
        "console first page: ACTIVE + exploit available (residual) by Vigil score (50)",
        &mut |_| {
            json!({"maxResults": 50, "sortCriteria": by_score,
               "filterCriteria": {"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
                                  "exploitAvailable": [{"comparison": "EQUALS", "value": "YES"}]}})
        },
    );

    run(
        "console first page: sorted by EPSS (top-k over pages) (50)",
        &mut |_| json!({"maxResults": 50, "sortCriteria": {"field": "EPSS_SCORE", "sortOrder": "DESC"}}),
    );

    // the console's dashboard (counted in SQL) and a grouped view (ListFindingAggregations)
    let timed = |name: &str, path: &str, body: &Value, n: usize| {
        let mut times: Vec<Duration> = (0..n).map(|_| call_at(path, body).0).collect();
        times.sort();
        println!(
            "{name}: {n} requests, p50 {:.1} ms, max {:.1} ms",
            percentile(&times, 0.5),
            percentile(&times, 1.0)
        );
    };
    timed(
        "console dashboard (/vigil/v1/dashboard)",
        "/vigil/v1/dashboard",
        &json!({}),
        5,
    );
    timed(
        "console top 10 risks (/vigil/v1/findings/top-risks)",
        "/vigil/v1/findings/top-risks",
        &json!({"maxResults": 10}),
        5,
    );
    timed(
        "console grouped by vulnerability (ListFindingAggregations TITLE, 50)",
        "/findings/aggregation/list",
        &json!({"aggregationType": "TITLE", "maxResults": 50,
                "aggregationRequest": {"titleAggregation": {"sortBy": "CRITICAL", "sortOrder": "DESC"}}}),
        3,
    );

    // 3. suppression rules over the whole account: CreateFilter re-evaluates every non-closed
    // finding the rule can match, DeleteFilter those it suppressed (one transaction each)
    for (name, criteria) in [
        (
            "one package (1/60 of the findings)",
            json!({"vulnerablePackages": [{"name": {"comparison": "EQUALS", "value": "package-7"}}]}),
        ),
        (
            "severity HIGH (1/5 of the findings)",
            json!({"severity": [{"comparison": "EQUALS", "value": "HIGH"}]}),
        ),
    ] {
        let (created, v) = call_at(
            "/filters/create",
            &json!({"name": name, "action": "SUPPRESS", "filterCriteria": criteria}),
        );
        let arn = v["arn"].as_str().expect("filter arn").to_owned();
        let (_, page) = call(&json!({"filterCriteria": {
            "findingStatus": [{"comparison": "EQUALS", "value": "SUPPRESSED"}],
            "resourceId": [{"comparison": "EQUALS", "value": "i-00000007"}]}}));
        let (deleted, _) = call_at("/filters/delete", &json!({"arn": arn}));
        println!(
            "CreateFilter SUPPRESS {name}: {:.2} s; DeleteFilter: {:.2} s (resource i-00000007: {} suppressed)",
            created.as_secs_f64(),
            deleted.as_secs_f64(),
            page["findings"].as_array().map_or(0, Vec::len)
        );
    }
}

//! Harbor's pluggable scanner adapter API, with real parts: Debian's `docker-registry` on
//! loopback behind htpasswd basic auth, the demo image pushed with Debian's `skopeo`, and this
//! test acting as Harbor (metadata, scan request with the registry's authorization, report
//! polling) over HTTP with ureq.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{repo, run_ok, vigil};
use serde_json::{Value, json};

const TOKEN: &str = "harbor-test-token-0123456789";
const VULN_REPORT: &str = "application/vnd.security.vulnerability.report; version=1.1";
const HARBOR_REPORT: &str = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
const ERROR_TYPE: &str = "application/vnd.scanner.adapter.error+json; version=1.0";

/// Pushes an OCI layout with skopeo; answers the manifest digest.
fn push(layout: &Path, port: u16, reference: &str, creds: &str) -> String {
    assert!(
        Path::new("/usr/bin/skopeo").is_file(),
        "Debian's skopeo is needed (apt-get install skopeo; scripts/test.sh installs it)"
    );
    let dir = tempfile::tempdir().expect("tmp");
    let digest_file = dir.path().join("digest");
    run_ok(
        Command::new("skopeo")
            .args([
                "--insecure-policy",
                "copy",
                "-q",
                "--dest-tls-verify=false",
                "--dest-creds",
                creds,
                "--digestfile",
            ])
            .arg(&digest_file)
            .arg(format!("oci:{}", layout.display()))
            .arg(format!("docker://127.0.0.1:{port}/{reference}")),
    );
    std::fs::read_to_string(&digest_file)
        .expect("digest file")
        .trim()
        .to_owned()
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build(),
    )
}

struct Answer {
    status: u16,
    content_type: String,
    refresh_after: Option<String>,
    body: Value,
}

fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut r = r.expect("request");
    let header = |k: &str| {
        r.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let refresh_after = header("refresh-after");
    let text = r.body_mut().read_to_string().expect("body");
    Answer {
        status: r.status().as_u16(),
        content_type,
        refresh_after,
        body: if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
        },
    }
}

fn get(url: &str, token: Option<&str>, accept: Option<&str>) -> Answer {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(a) = accept {
        req = req.header("Accept", a);
    }
    answer(req.call())
}

fn post(url: &str, token: Option<&str>, body: &Value) -> Answer {
    let mut req = agent().post(url).header(
        "Content-Type",
        "application/vnd.scanner.adapter.scan.request+json; version=1.0",
    );
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    answer(req.send(body.to_string().as_bytes()))
}

/// Polls a report until it is no longer 302; checks every 302 carries `Refresh-After`.
fn poll(base: &str, id: &str, accept: &str) -> Answer {
    let start = Instant::now();
    loop {
        let a = get(
            &format!("{base}/api/v1/scan/{id}/report"),
            Some(TOKEN),
            Some(accept),
        );
        if a.status != 302 {
            return a;
        }
        let secs: u64 = a
            .refresh_after
            .as_deref()
            .and_then(|s| s.parse().ok())
            .expect("a 302 carries Refresh-After seconds");
        assert!(secs >= 1);
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "scan {id} still pending after 120 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `vigil scan` of the same image: the reference. Answers its findings.
fn cli_findings(layout: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_str(&run_ok(
        vigil()
            .args(["scan", "--format", "json", "--db"])
            .arg(repo().join("examples/advisories"))
            .arg(format!("oci-dir:{}", layout.display())),
    ))
    .expect("scan json");
    v["findings"].as_array().cloned().unwrap_or_default()
}

fn harbor_severity(s: &str) -> &'static str {
    match s {
        "CRITICAL" => "Critical",
        "HIGH" => "High",
        "MEDIUM" => "Medium",
        "LOW" => "Low",
        "INFORMATIONAL" => "Negligible",
        _ => "Unknown",
    }
}

fn scan_request(port: u16, authorization: Option<&str>, digest: &str) -> Value {
    let mut registry = json!({"url": format!("http://127.0.0.1:{port}")});
    if let Some(a) = authorization {
        registry["authorization"] = json!(a);
    }
    json!({
        "registry": registry,
        "artifact": {
            "repository": "demo/app",
            "digest": digest,
            "tag": "1.0",
            "mime_type": "application/vnd.oci.image.manifest.v1+json",
        },
    })
}

#[test]
fn harbor_scans_an_image_through_the_adapter_api() {
    let tmp = tempfile::tempdir().expect("tmp");
    let token_file = tmp.path().join("harbor-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("token file");
    let server = common::start_full(
        &[],
        &[(
            "VIGIL_HARBOR_TOKEN_FILE",
            token_file.to_str().expect("utf-8 path"),
        )],
    );
    let base = server.url.clone();
    let registry = common::start_docker_registry(None, Some(("robot", "s3cret")), None);
    let demo = repo().join("examples/demo-image");
    let digest = push(&demo, registry.port, "demo/app:1.0", "robot:s3cret");
    assert!(digest.starts_with("sha256:"), "{digest}");
    // `robot:s3cret`, base64
    let basic = "Basic cm9ib3Q6czNjcmV0".to_owned();

    // authentication: no token, a wrong token
    let metadata_url = format!("{base}/api/v1/metadata");
    for token in [None, Some("wrong")] {
        let a = get(&metadata_url, token, None);
        assert_eq!(a.status, 401, "{token:?}");
        assert_eq!(a.content_type, ERROR_TYPE);
        assert!(a.body["error"]["message"].is_string(), "{}", a.body);
    }

    // metadata
    let m = get(&metadata_url, Some(TOKEN), None);
    assert_eq!(m.status, 200, "{}", m.body);
    assert_eq!(
        m.content_type,
        "application/vnd.scanner.adapter.metadata+json; version=1.0"
    );
    assert_eq!(m.body["scanner"]["name"], "Vigil");
    assert_eq!(m.body["scanner"]["vendor"], "Vigil");
    assert!(m.body["scanner"]["version"].is_string());
    let cap = &m.body["capabilities"][0];
    assert_eq!(
        cap["consumes_mime_types"],
        json!([
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json"
        ])
    );
    assert_eq!(
        cap["produces_mime_types"],
        json!([VULN_REPORT, HARBOR_REPORT])
    );
    assert_eq!(
        m.body["properties"]["harbor.scanner-adapter/scanner-type"],
        "os-package-vulnerability"
    );
    assert!(
        m.body["properties"]["harbor.scanner-adapter/vulnerability-database-updated-at"]
            .is_string(),
        "{}",
        m.body
    );

    // bad requests name the member
    let scan_url = format!("{base}/api/v1/scan");
    let mut missing = scan_request(registry.port, Some(&basic), &digest);
    missing["artifact"]
        .as_object_mut()
        .map(|o| o.remove("digest"));
    let a = post(&scan_url, Some(TOKEN), &missing);
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.content_type, ERROR_TYPE);
    let message = a.body["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("artifact.digest"), "{message}");
    let mut index = scan_request(registry.port, Some(&basic), &digest);
    index["artifact"]["mime_type"] = json!("application/vnd.oci.image.index.v1+json");
    let a = post(&scan_url, Some(TOKEN), &index);
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("artifact.mime_type")),
        "{}",
        a.body
    );
    assert_eq!(
        post(
            &scan_url,
            None,
            &scan_request(registry.port, Some(&basic), &digest)
        )
        .status,
        401
    );
    let big = json!({"registry": {"url": "x".repeat(70 << 10)}});
    assert_eq!(post(&scan_url, Some(TOKEN), &big).status, 413);

    // the scan: 202 with an id, then 302 + Refresh-After until the report is ready
    let a = post(
        &scan_url,
        Some(TOKEN),
        &scan_request(registry.port, Some(&basic), &digest),
    );
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(
        a.content_type,
        "application/vnd.scanner.adapter.scan.response+json; version=1.0"
    );
    let id = a.body["id"].as_str().expect("id").to_owned();
    let report = poll(&base, &id, VULN_REPORT);
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(report.content_type, VULN_REPORT);
    let r = &report.body;
    assert!(r["generated_at"].is_string());
    assert_eq!(
        r["artifact"],
        json!({"repository": "demo/app", "digest": digest, "tag": "1.0",
               "mime_type": "application/vnd.oci.image.manifest.v1+json"})
    );
    assert_eq!(r["scanner"], m.body["scanner"]);

    // the same vulnerabilities `vigil scan` reports for the image (one item per
    // vulnerability, package and version)
    let cli = cli_findings(&demo);
    assert!(!cli.is_empty());
    let key = |id: &Value, pkg: &Value, version: &Value| {
        (
            id.as_str().unwrap_or("").to_owned(),
            pkg.as_str().unwrap_or("").to_owned(),
            version.as_str().unwrap_or("").to_owned(),
        )
    };
    let expected: BTreeSet<_> = cli
        .iter()
        .map(|f| {
            let d = &f["packageVulnerabilityDetails"];
            let p = &d["vulnerablePackages"][0];
            key(&d["vulnerabilityId"], &p["name"], &p["version"])
        })
        .collect();
    let vulns = r["vulnerabilities"].as_array().expect("vulnerabilities");
    let got: BTreeSet<_> = vulns
        .iter()
        .map(|v| key(&v["id"], &v["package"], &v["version"]))
        .collect();
    assert_eq!(got.len(), vulns.len(), "items are unique");
    assert_eq!(got, expected);
    // severities: each item's is the finding's on Harbor's scale; the report's is the highest
    for f in &cli {
        let d = &f["packageVulnerabilityDetails"];
        let p = &d["vulnerablePackages"][0];
        let item = vulns
            .iter()
            .find(|v| v["id"] == d["vulnerabilityId"] && v["package"] == p["name"])
            .expect("item");
        assert_eq!(
            item["severity"],
            harbor_severity(f["severity"].as_str().unwrap_or("")),
            "{item}"
        );
        assert_eq!(item["description"], f["description"]);
        match p["fixedInVersion"].as_str() {
            Some(v) if v != "NotAvailable" => assert_eq!(item["fix_version"], v),
            _ => assert!(item.get("fix_version").is_none(), "{item}"),
        }
        assert!(item["links"].is_array());
        if let Some(cvss) = f["inspectorScoreDetails"]["adjustedCvss"].as_object()
            && cvss["version"].as_str().is_some_and(|v| v.starts_with('3'))
        {
            assert_eq!(item["preferred_cvss"]["score_v3"], cvss["score"], "{item}");
            assert_eq!(
                item["preferred_cvss"]["vector_v3"], cvss["scoringVector"],
                "{item}"
            );
        }
        assert_eq!(
            item["vendor_attributes"]["vigil"]["severity"],
            f["severity"]
        );
        assert!(
            item["layer"]["digest"]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:")),
            "{item}"
        );
    }
    let rank = |s: &str| {
        ["Unknown", "Negligible", "Low", "Medium", "High", "Critical"]
            .iter()
            .position(|x| *x == s)
    };
    let highest = cli
        .iter()
        .map(|f| harbor_severity(f["severity"].as_str().unwrap_or("")))
        .max_by_key(|s| rank(s))
        .expect("a severity");
    assert_eq!(r["severity"], highest);
    // items come most severe first
    let ranks: Vec<_> = vulns
        .iter()
        .map(|v| rank(v["severity"].as_str().unwrap_or("")))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");

    // the same report under its other MIME type; an unsupported one is a bad request
    let other = get(
        &format!("{base}/api/v1/scan/{id}/report"),
        Some(TOKEN),
        Some(HARBOR_REPORT),
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.content_type, HARBOR_REPORT);
    assert_eq!(other.body, report.body);
    let a = get(
        &format!("{base}/api/v1/scan/{id}/report"),
        Some(TOKEN),
        Some("application/vnd.security.sbom.report+json; version=1.0"),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.content_type, ERROR_TYPE);

    // unknown scans
    let a = get(
        &format!("{base}/api/v1/scan/0123456789abcdef/report"),
        Some(TOKEN),
        Some(VULN_REPORT),
    );
    assert_eq!(a.status, 404);
    assert!(a.body["error"]["message"].is_string());

    // failed scans answer 500 with the reason: wrong registry credentials, a registry that is
    // down
    // `robot:wrong`
    let wrong = "Basic cm9ib3Q6d3Jvbmc=".to_owned();
    let down = common::free_port();
    for (request, want) in [
        (
            scan_request(registry.port, Some(&wrong), &digest),
            "rejected the credentials",
        ),
        (scan_request(registry.port, None, &digest), "HTTP 401"),
        (scan_request(down, Some(&basic), &digest), "request failed"),
    ] {
        let a = post(&scan_url, Some(TOKEN), &request);
        assert_eq!(a.status, 202, "{}", a.body);
        let id = a.body["id"].as_str().expect("id").to_owned();
        let failed = poll(&base, &id, VULN_REPORT);
        assert_eq!(failed.status, 500, "{}", failed.body);
        assert_eq!(failed.content_type, ERROR_TYPE);
        let message = failed.body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains("pulling demo/app@sha256:"), "{message}");
        assert!(message.contains(want), "{want}: {message}");
        assert!(
            !message.contains("s3cret") && !message.contains(&basic[6..]),
            "{message}"
        );
    }

    // at most two scans run at once, the others wait (302 + Refresh-After): two scans of a
    // registry that accepts connections and never answers hold both workers
    let silent = TcpListener::bind("127.0.0.1:0").expect("silent registry");
    let silent_port = silent.local_addr().expect("addr").port();
    for _ in 0..2 {
        let a = post(
            &scan_url,
            Some(TOKEN),
            &scan_request(silent_port, Some(&basic), &digest),
        );
        assert_eq!(a.status, 202, "{}", a.body);
    }
    let a = post(
        &scan_url,
        Some(TOKEN),
        &scan_request(registry.port, Some(&basic), &digest),
    );
    assert_eq!(a.status, 202, "{}", a.body);
    let waiting = a.body["id"].as_str().expect("id").to_owned();
    // (with a worker free it would be done by now; both are busy for the client's timeout)
    std::thread::sleep(Duration::from_secs(2));
    let a = get(
        &format!("{base}/api/v1/scan/{waiting}/report"),
        Some(TOKEN),
        Some(VULN_REPORT),
    );
    assert_eq!(a.status, 302, "{}", a.body);
    assert_eq!(a.refresh_after.as_deref(), Some("5"));
    drop(silent);

    // a server without a token has no adapter
    let plain = common::start();
    let a = get(&format!("{}/api/v1/metadata", plain.url), Some(TOKEN), None);
    assert_eq!(a.status, 404, "{}", a.body);
}

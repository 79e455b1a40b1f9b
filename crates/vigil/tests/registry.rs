//! Scan on push with real parts: Debian's `docker-registry` on loopback, configured (as a user
//! would, from `vigil admin add-registry`'s output) to notify the server; images pushed with
//! Debian's `skopeo`; findings read back with the AWS CLI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Server, repo, run_ok, vigil};
use serde_json::{Value, json};

fn skopeo() -> Command {
    assert!(
        Path::new("/usr/bin/skopeo").is_file(),
        "Debian's skopeo is needed (apt-get install skopeo; scripts/test.sh installs it)"
    );
    let mut c = Command::new("skopeo");
    c.arg("--insecure-policy");
    c
}

/// `skopeo copy oci:LAYOUT docker://127.0.0.1:PORT/REF`
fn push(layout: &Path, port: u16, reference: &str) {
    run_ok(
        skopeo()
            .args(["copy", "-q", "--dest-tls-verify=false"])
            .arg(format!("oci:{}", layout.display()))
            .arg(format!("docker://127.0.0.1:{port}/{reference}")),
    );
}

/// The demo image plus one layer that deletes urllib3 (its dist-info and the requirements
/// file naming it): the patched image.
fn patched_layout(dir: &Path) -> PathBuf {
    let out = dir.join("patched");
    let script = r#"
import gzip, hashlib, io, json, os, shutil, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
shutil.copytree(src, out)
blob = lambda d: os.path.join(out, "blobs", *d.split(":"))
index = json.load(open(os.path.join(out, "index.json")))
mdesc = index["manifests"][0]
manifest = json.load(open(blob(mdesc["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for p in ["usr/local/lib/python3.11/site-packages/.wh.urllib3-1.24.1.dist-info", "app/.wh.requirements.txt"]:
        i = tarfile.TarInfo(p); i.size = 0; i.mtime = 0
        t.addfile(i, io.BytesIO(b""))
raw = raw.getvalue()
gz = io.BytesIO()
with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
    g.write(raw)
gz = gz.getvalue()
sha = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
def put(b):
    open(blob(sha(b)), "wb").write(b)
    return sha(b)
put(gz)
config["rootfs"]["diff_ids"].append(sha(raw))
config.setdefault("history", []).append({"created_by": "remove urllib3"})
cb = json.dumps(config, sort_keys=True).encode()
manifest["config"] = {"mediaType": manifest["config"]["mediaType"], "digest": put(cb), "size": len(cb)}
manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(gz), "size": len(gz)})
mb = json.dumps(manifest, sort_keys=True).encode()
mdesc.update({"digest": put(mb), "size": len(mb)})
mdesc["annotations"] = {"org.opencontainers.image.ref.name": "patched"}
json.dump(index, open(os.path.join(out, "index.json"), "w"))
"#;
    run_ok(
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(repo().join("examples/demo-image"))
            .arg(&out),
    );
    out
}

/// How many findings `vigil scan` reports for an OCI layout (the reference for the server's).
fn cli_findings(layout: &Path) -> usize {
    let v: Value = serde_json::from_str(&run_ok(
        vigil()
            .args(["scan", "--format", "json", "--db"])
            .arg(repo().join("examples/advisories"))
            .arg(format!("oci-dir:{}", layout.display())),
    ))
    .expect("scan json");
    v["findings"].as_array().map_or(0, Vec::len)
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn findings_of(server: &Server, resource_id: &str) -> Vec<Value> {
    let criteria = json!({"resourceId": [{"comparison": "EQUALS", "value": resource_id}]});
    server.aws(&[
        "list-findings",
        "--filter-criteria",
        &criteria.to_string(),
        "--max-results",
        "100",
    ])["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn coverage(server: &Server) -> Vec<Value> {
    let criteria =
        json!({"resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}]});
    server.aws(&["list-coverage", "--filter-criteria", &criteria.to_string()])["coveredResources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn add_registry(server: &Server, name: &str, port: u16) -> Value {
    serde_json::from_str(&run_ok(
        vigil()
            .args(["admin", "add-registry", "--data-dir"])
            .arg(&server.data)
            .args([
                "--name",
                name,
                "--url",
                &format!("http://127.0.0.1:{port}"),
                "--server-url",
                &server.url,
                "--account",
                common::ACCOUNT,
            ]),
    ))
    .expect("add-registry json")
}

/// The digest a pushed tag resolves to, as skopeo sees it.
fn digest_of(port: u16, reference: &str) -> String {
    let v: Value = serde_json::from_str(&run_ok(
        skopeo()
            .args(["inspect", "--tls-verify=false"])
            .arg(format!("docker://127.0.0.1:{port}/{reference}")),
    ))
    .expect("inspect json");
    v["Digest"].as_str().expect("digest").to_owned()
}

fn job(server: &Server, name: &str) -> Value {
    server.native("/vigil/v1/jobs/run", &json!({"name": name}))
}

#[test]
fn push_to_a_registry_scans_without_a_manual_scan() {
    common::tools_present();
    let server = common::start();
    let port = common::free_port();
    let reg = add_registry(&server, "local", port);
    assert_eq!(reg["name"], "local");
    let url = reg["notificationUrl"].as_str().expect("url").to_owned();
    assert_eq!(
        url,
        format!("{}/vigil/v1/registries/local/notifications", server.url)
    );
    let token = reg["token"].as_str().expect("token").to_owned();
    assert_eq!(token.len(), 64);
    let registry = common::start_docker_registry(Some(port), None, Some((&url, &token)));

    // 1. push the demo image: findings appear with no scan run by anyone
    let demo = repo().join("examples/demo-image");
    push(&demo, registry.port, "demo/app:1.0");
    let old_digest = digest_of(registry.port, "demo/app:1.0");
    let old_id = format!(
        "arn:vigil:ecr:us-east-1:{}:repository/local/demo/app/{old_digest}",
        common::ACCOUNT
    );
    let old = wait_for("the pushed image's findings", 60, || {
        let f = findings_of(&server, &old_id);
        (!f.is_empty()).then_some(f)
    });
    // the same findings `vigil scan` reports for the image
    assert_eq!(old.len(), cli_findings(&demo), "{old:#?}");
    let res = &old[0]["resources"][0];
    assert_eq!(res["type"], "AWS_ECR_CONTAINER_IMAGE");
    let d = &res["details"]["awsEcrContainerImage"];
    assert_eq!(d["repositoryName"], "demo/app");
    assert_eq!(d["imageHash"], old_digest.as_str());
    assert_eq!(d["imageTags"], json!(["1.0"]));
    assert_eq!(d["registry"], "local");
    assert!(
        d["pushedAt"].is_number() || d["pushedAt"].is_string(),
        "{d}"
    );
    let cov = coverage(&server);
    assert_eq!(cov.len(), 1, "{cov:#?}");
    assert_eq!(cov[0]["scanStatus"]["statusCode"], "ACTIVE");
    assert_eq!(cov[0]["scanStatus"]["reason"], "SUCCESSFUL");
    assert_eq!(
        cov[0]["resourceMetadata"]["ecrRepository"]["name"],
        "demo/app"
    );

    // 2. a patched image (one more layer removing urllib3): its findings are fewer, the old
    //    image's stay; the shared layers were neither downloaded nor walked again
    let tmp = tempfile::tempdir().expect("tmp");
    let patched = patched_layout(tmp.path());
    push(&patched, registry.port, "demo/app:1.1");
    let new_digest = digest_of(registry.port, "demo/app:1.1");
    assert_ne!(new_digest, old_digest);
    let new_id = format!(
        "arn:vigil:ecr:us-east-1:{}:repository/local/demo/app/{new_digest}",
        common::ACCOUNT
    );
    let new = wait_for("the patched image's findings", 60, || {
        let f = findings_of(&server, &new_id);
        (!f.is_empty()).then_some(f)
    });
    let expected = cli_findings(&patched);
    assert!(expected < old.len());
    assert_eq!(new.len(), expected);
    assert!(new.iter().all(|f| {
        f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["name"] != "urllib3"
    }));
    let old_again = findings_of(&server, &old_id);
    assert_eq!(old_again.len(), old.len());
    assert!(old_again.iter().all(|f| f["status"] == "ACTIVE"));
    let jobs = server.native("/vigil/v1/jobs/list", &json!({}));
    let scan_job = jobs["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["name"] == "registry-scan")
        .expect("registry-scan job")
        .clone();
    let last = &scan_job["lastResult"]["scanned"];
    let patched_scan = last
        .as_array()
        .and_then(|a| a.iter().find(|s| s["digest"] == new_digest.as_str()))
        .unwrap_or_else(|| panic!("patched scan in {scan_job:#}"));
    // two of the three layers (and nothing else) came from the caches
    assert_eq!(patched_scan["layerCacheHits"], 2, "{patched_scan}");
    assert_eq!(patched_scan["layerCacheMisses"], 1, "{patched_scan}");
    assert!(
        patched_scan["blobsReused"].as_u64() >= Some(2),
        "{patched_scan}"
    );

    // 3. tags follow: pushing the patched image as 1.0 moves the tag off the old image
    push(&patched, registry.port, "demo/app:1.0");
    wait_for("the tag to move", 30, || {
        let f = findings_of(&server, &old_id);
        (f[0]["resources"][0]["details"]["awsEcrContainerImage"]["imageTags"] == json!([]))
            .then_some(())
    });
    let tags = &findings_of(&server, &new_id)[0]["resources"][0]["details"]["awsEcrContainerImage"]
        ["imageTags"];
    assert_eq!(tags, &json!(["1.0", "1.1"]));

    // 4. a pull is the image's last use
    digest_of(registry.port, "demo/app:1.1");
    wait_for("lastInUseAt", 30, || {
        coverage(&server)
            .into_iter()
            .find(|c| c["resourceId"] == new_id.as_str())
            .and_then(|c| c["resourceMetadata"]["ecrImage"]["lastInUseAt"].as_f64())
    });

    // 5. a registry that sends no notifications is polled: its tagged images appear under it
    //    (both tags name the patched image now; the old one is untagged)
    let polled = add_registry(&server, "polled", port);
    assert_eq!(polled["name"], "polled");
    let r = job(&server, "registry-poll");
    assert_eq!(
        r["result"]["registries"],
        json!([{"registry": "local", "tags": 2, "queued": 0}, {"registry": "polled", "tags": 2, "queued": 1}]),
        "{r:#}"
    );
    wait_for("the polled registry's images", 60, || {
        let n = coverage(&server)
            .iter()
            .filter(|c| {
                c["resourceId"]
                    .as_str()
                    .is_some_and(|id| id.contains(":repository/polled/"))
                    && c["scanStatus"]["reason"] == "SUCCESSFUL"
            })
            .count();
        (n == 1).then_some(())
    });
    let polled_new = new_id.replace("/local/", "/polled/");
    assert_eq!(findings_of(&server, &polled_new).len(), expected);

    // 6. deleting the old image from the registry closes its findings
    run_ok(
        skopeo()
            .args(["delete", "--tls-verify=false"])
            .arg(format!("docker://127.0.0.1:{port}/demo/app@{old_digest}")),
    );
    wait_for("the deleted image's findings to close", 30, || {
        findings_of(&server, &old_id)
            .iter()
            .all(|f| f["status"] == "CLOSED")
            .then_some(())
    });
}

/// Raw POST to the notification endpoint (no SigV4: the registry's bearer token).
fn notify(server: &Server, name: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let agent = ureq_agent();
    let mut req = agent
        .post(format!(
            "{}/vigil/v1/registries/{name}/notifications",
            server.url
        ))
        .header(
            "content-type",
            "application/vnd.docker.distribution.events.v1+json",
        );
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let mut resp = req.send(body).expect("post");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn ureq_agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    )
}

#[test]
fn notifications_are_authenticated_and_validated() {
    let server = common::start();
    let reg = add_registry(&server, "local", common::free_port());
    let token = reg["token"].as_str().expect("token");
    let d = format!("sha256:{}", "c".repeat(64));
    let push = json!({"events": [{"action": "push", "timestamp": "2026-01-01T00:00:00Z",
        "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "repository": "a/b", "tag": "x"}}]})
    .to_string();
    // no token, a wrong token, an unknown registry: 401 and nothing queued
    assert_eq!(notify(&server, "local", None, &push).0, 401);
    assert_eq!(notify(&server, "local", Some("nope"), &push).0, 401);
    assert_eq!(notify(&server, "other", Some(token), &push).0, 401);
    // malformed bodies: 400 naming the problem
    let (s, v) = notify(
        &server,
        "local",
        Some(token),
        "{\"events\": [{\"action\": 1}]}",
    );
    assert_eq!(s, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap_or("").contains("envelope"),
        "{v}"
    );
    let bad_repo = push.replace("a/b", "../../etc");
    let (s, v) = notify(&server, "local", Some(token), &bad_repo);
    assert_eq!(s, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("not a repository name"),
        "{v}"
    );
    let big = format!("{{\"events\": [], \"pad\": \"{}\"}}", "x".repeat(2 << 20));
    assert_eq!(notify(&server, "local", Some(token), &big).0, 413);
    // a flood of the same push queues the image once
    for _ in 0..20 {
        let (s, v) = notify(&server, "local", Some(token), &push);
        assert_eq!(s, 200, "{v}");
    }
    // the image cannot be pulled (no registry listens): a coverage status, never a silent gap
    let _ = job(&server, "registry-scan");
    let cov = wait_for("the failed image in coverage", 30, || {
        coverage(&server).into_iter().next()
    });
    assert_eq!(cov["scanStatus"]["statusCode"], "INACTIVE", "{cov}");
    assert_eq!(cov["scanStatus"]["reason"], "INTERNAL_ERROR", "{cov}");
    let jobs = server.native("/vigil/v1/jobs/list", &json!({}));
    let scan_job = jobs["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["name"] == "registry-scan")
        .expect("job")
        .clone();
    // the failure is counted; the image stays queued for a retry with backoff
    assert!(scan_job["failures"].as_u64() >= Some(1), "{scan_job:#}");
    assert_eq!(scan_job["lastResult"]["queued"], 1, "{scan_job:#}");
}

//! The findings service end to end, driven by the real AWS CLI and boto3 (PyPI `awscli`,
//! `boto3`; scripts/test.sh installs them): a server on the embedded store, the demo image
//! submitted with `vigil scan --server`, findings listed and filtered with
//! `aws inspector2 list-findings`, a suppression rule made with `aws inspector2 create-filter`,
//! a rescan with one package upgraded closing that package's findings, pagination and errors
//! through boto3.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

fn statuses(findings: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = findings["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                f["severity"].as_str().unwrap_or("").to_owned(),
                f["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn aws_cli_and_boto3_drive_the_findings_lifecycle() {
    tools_present();
    let s = start();
    // the demo image as an SBOM, and a copy in which `requests` was upgraded
    let work = tempfile::tempdir().expect("tmp");
    let sbom = demo_sbom(work.path());
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&sbom).expect("sbom")).expect("json");
    let mut upgraded = 0;
    for c in doc["components"].as_array_mut().expect("components") {
        if c["name"] == "requests" {
            c["version"] = json!("2.32.3");
            c["purl"] = json!("pkg:pypi/requests@2.32.3");
            upgraded += 1;
        }
    }
    assert!(upgraded > 0, "the demo image has requests");
    let sbom2 = work.path().join("demo-upgraded.cdx.json");
    std::fs::write(&sbom2, doc.to_string()).expect("write");

    // 1. submit the image: findings appear in the API
    let first = s.scan(&format!("sbom:{}", sbom.display()), "demo-host");
    assert!(first["new"].as_u64().expect("new") >= 10, "{first}");
    let all = s.aws(&["list-findings", "--max-results", "100"]);
    let n_all = all["findings"].as_array().expect("findings").len();
    assert_eq!(n_all as u64, first["new"].as_u64().expect("new"), "{first}");
    let f0 = &all["findings"][0];
    assert_eq!(f0["awsAccountId"], "111122223333");
    assert_eq!(f0["status"], "ACTIVE");
    // timestamps travel as epoch seconds (rest-json); botocore parses them, CLI v1 prints them
    assert!(
        f0["firstObservedAt"].as_f64().is_some_and(|t| t > 1.7e9),
        "{f0}"
    );
    assert!(
        f0.get("vigil").is_none(),
        "botocore keeps only the model's members"
    );

    // 2. filter by severity
    let high = s.aws(&[
        "list-findings",
        "--filter-criteria",
        r#"{"severity":[{"comparison":"EQUALS","value":"HIGH"}]}"#,
    ]);
    let highs = statuses(&high);
    assert!(
        !highs.is_empty() && highs.iter().all(|(_, sev, _)| sev == "HIGH"),
        "{highs:?}"
    );

    // 3. a suppression rule: matching findings become SUPPRESSED, now and for new scans
    let created = s.aws(&[
        "create-filter",
        "--name",
        "accept-urllib3",
        "--action",
        "SUPPRESS",
        "--reason",
        "accepted risk: internal tool",
        "--filter-criteria",
        r#"{"vulnerablePackages":[{"name":{"comparison":"EQUALS","value":"urllib3"}}]}"#,
    ]);
    let filter_arn = created["arn"].as_str().expect("arn").to_owned();
    let suppressed = s.aws(&[
        "list-findings",
        "--filter-criteria",
        r#"{"findingStatus":[{"comparison":"EQUALS","value":"SUPPRESSED"}]}"#,
    ]);
    let sup = statuses(&suppressed);
    assert!(
        !sup.is_empty()
            && sup
                .iter()
                .all(|(name, _, st)| name == "urllib3" && st == "SUPPRESSED"),
        "{sup:?}"
    );
    let filters = s.aws(&["list-filters"]);
    assert_eq!(
        filters["filters"][0]["reason"],
        "accepted risk: internal tool"
    );

    // 3b. rules see the lifecycle members too: a rule on firstObservedAt (a date range around
    // now) + severity suppresses every HIGH finding; deleting it restores them
    let dated = s.aws(&[
        "create-filter",
        "--name",
        "dated-high",
        "--action",
        "SUPPRESS",
        "--filter-criteria",
        r#"{"firstObservedAt":[{"startInclusive":946684800,"endInclusive":4102444800}],"severity":[{"comparison":"EQUALS","value":"HIGH"}]}"#,
    ]);
    let dated_arn = dated["arn"].as_str().expect("arn").to_owned();
    let high_now = statuses(&s.aws(&[
        "list-findings",
        "--filter-criteria",
        r#"{"severity":[{"comparison":"EQUALS","value":"HIGH"}]}"#,
    ]));
    assert!(
        high_now.len() == highs.len() && high_now.iter().all(|(_, _, st)| st == "SUPPRESSED"),
        "{high_now:?}"
    );
    s.aws(&["delete-filter", "--arn", &dated_arn]);
    let high_after = statuses(&s.aws(&[
        "list-findings",
        "--filter-criteria",
        r#"{"severity":[{"comparison":"EQUALS","value":"HIGH"}]}"#,
    ]));
    assert!(
        high_after
            .iter()
            .all(|(name, _, st)| (name == "urllib3") == (st == "SUPPRESSED")),
        "{high_after:?}"
    );

    // 4. a rescan with requests upgraded closes its findings; the rest stay as they were
    let second = s.scan(&format!("sbom:{}", sbom2.display()), "demo-host");
    assert!(second["closed"].as_u64().expect("closed") >= 1, "{second}");
    let closed = s.aws(&[
        "list-findings",
        "--filter-criteria",
        r#"{"findingStatus":[{"comparison":"EQUALS","value":"CLOSED"}]}"#,
    ]);
    let cl = statuses(&closed);
    assert!(
        !cl.is_empty()
            && cl
                .iter()
                .all(|(name, _, st)| name == "requests" && st == "CLOSED"),
        "{cl:?}"
    );

    // 5. boto3: pagination, deleting the rule, errors in the protocol's shape
    let out = s.python(
        r#"
import json, os, boto3, botocore
c = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"])
pages = list(c.get_paginator("list_findings").paginate(PaginationConfig={"PageSize": 3}))
seen = [f["findingArn"] for p in pages for f in p["findings"]]
errors = {}
for name, call in [
    ("unknown-op", lambda: c.get_encryption_key(scanType="ECR", resourceType="AWS_ECR_REPOSITORY")),
    ("bad-token", lambda: c.list_findings(nextToken="garbage")),
    ("bad-criteria", lambda: c.list_findings(filterCriteria={"severity": [{"comparison": "LIKE", "value": "HIGH"}]})),
    ("no-filter", lambda: c.delete_filter(arn="arn:aws:inspector2:us-east-1:111122223333:owner/111122223333/filter/nope")),
]:
    try:
        call()
        errors[name] = "no error"
    except botocore.exceptions.ClientError as e:
        errors[name] = e.response["Error"]["Code"]
bad = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"], aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x" * 40)
try:
    bad.list_findings()
    errors["unknown-key"] = "no error"
except botocore.exceptions.ClientError as e:
    errors["unknown-key"] = e.response["Error"]["Code"]
print(json.dumps({"pages": len(pages), "seen": len(seen), "unique": len(set(seen)), "errors": errors}))
"#,
    );
    assert_eq!(out["seen"], out["unique"], "{out}");
    assert_eq!(out["seen"].as_u64(), Some(n_all as u64), "{out}");
    assert!(out["pages"].as_u64().expect("pages") >= 2, "{out}");
    assert_eq!(
        out["errors"]["unknown-op"], "UnknownOperationException",
        "{out}"
    );
    assert_eq!(out["errors"]["bad-token"], "ValidationException", "{out}");
    assert_eq!(
        out["errors"]["bad-criteria"], "ValidationException",
        "{out}"
    );
    assert_eq!(
        out["errors"]["no-filter"], "ResourceNotFoundException",
        "{out}"
    );
    assert_eq!(
        out["errors"]["unknown-key"], "UnrecognizedClientException",
        "{out}"
    );

    s.aws(&["delete-filter", "--arn", &filter_arn]);
    let after = statuses(&s.aws(&["list-findings"]));
    assert!(
        after.iter().all(|(_, _, st)| st != "SUPPRESSED"),
        "{after:?}"
    );
    // 6. the resource is deleted (native endpoint): every open finding on it CLOSES, the
    // coverage forgets it, and a second delete is a ResourceNotFoundException
    let open_before = after.iter().filter(|(_, _, st)| st != "CLOSED").count();
    let out = s.python(
        r#"
import json, os, urllib.request, urllib.error, botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
creds = botocore.session.get_session().get_credentials()
def post(path, body):
    r = AWSRequest(method="POST", url=os.environ["VIGIL_URL"] + path, data=json.dumps(body).encode(),
                   headers={"content-type": "application/json"})
    SigV4Auth(creds, "inspector2", "us-east-1").add_auth(r)
    req = urllib.request.Request(r.url, data=r.body, headers=dict(r.headers.items()), method="POST")
    try:
        return json.load(urllib.request.urlopen(req))
    except urllib.error.HTTPError as e:
        return {"status": e.code, "type": e.headers.get("x-amzn-ErrorType")}
print(json.dumps({"deleted": post("/vigil/v1/resources/delete", {"resourceId": "demo-host"}),
                  "again": post("/vigil/v1/resources/delete", {"resourceId": "demo-host"})}))
"#,
    );
    assert_eq!(
        out["deleted"]["closed"].as_u64(),
        Some(open_before as u64),
        "{out}"
    );
    assert_eq!(out["again"]["status"], 404, "{out}");
    assert!(
        out["again"]["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("ResourceNotFoundException")),
        "{out}"
    );
    let gone = statuses(&s.aws(&["list-findings"]));
    assert!(
        gone.len() == after.len() && gone.iter().all(|(_, _, st)| st == "CLOSED"),
        "{gone:?}"
    );
    let coverage = s.aws(&["list-coverage"]);
    assert!(
        coverage["coveredResources"]
            .as_array()
            .is_some_and(|c| c.iter().all(|r| r["resourceId"] != "demo-host")),
        "{coverage}"
    );
    // keys never appear in the server's files in clear
    let needle = s.key["secretAccessKey"]
        .as_str()
        .expect("secret")
        .as_bytes()
        .to_vec();
    for entry in std::fs::read_dir(&s.data).expect("data dir").flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
            "{:?}",
            entry.path()
        );
    }
}

#[test]
fn kill_9_during_a_burst_loses_no_acknowledged_submission() {
    let mut s = start();
    let sbom = demo_sbom(s.dir.path());
    let target = format!("sbom:{}", sbom.display());
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, u64)>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for t in 0..4 {
        let (acked, stop, target, url, home) = (
            acked.clone(),
            stop.clone(),
            target.clone(),
            s.url.clone(),
            s.home.clone(),
        );
        workers.push(std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let id = format!("host-{t}-{i}");
                i += 1;
                let out = vigil()
                    .env("HOME", &home)
                    .env_remove("AWS_ACCESS_KEY_ID")
                    .env_remove("AWS_SECRET_ACCESS_KEY")
                    .env_remove("AWS_PROFILE")
                    .args(["scan", &target, "--server", &url, "--resource-id", &id])
                    .output()
                    .expect("run");
                if !out.status.success() {
                    break; // the server is gone
                }
                let v: Value = serde_json::from_slice(&out.stdout).expect("answer");
                acked
                    .lock()
                    .expect("lock")
                    .push((id, v["findings"].as_u64().expect("count")));
            }
        }));
    }
    // let some submissions land, then kill the server without warning
    for _ in 0..400 {
        if acked.lock().expect("lock").len() >= 8 {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    s.child.kill().expect("kill -9");
    let _ = s.child.wait();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in workers {
        w.join().expect("worker");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() >= 8,
        "only {} submissions acknowledged before the kill",
        acked.len()
    );

    // restart on the same data directory
    let db = s.dir.path().join("advisories.db");
    let (child, port) = spawn_server(&s.data, &db);
    s.child = child;
    s.url = format!("http://127.0.0.1:{port}");
    let out = s.python(
        r#"
import json, os, boto3, collections
c = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"])
arns, per = [], collections.Counter()
for page in c.get_paginator("list_findings").paginate(PaginationConfig={"PageSize": 100}):
    for f in page["findings"]:
        arns.append(f["findingArn"])
        per[f["resources"][0]["id"]] += 1
print(json.dumps({"total": len(arns), "unique": len(set(arns)), "per": per}))
"#,
    );
    assert_eq!(out["total"], out["unique"], "duplicated findings: {out}");
    let per = out["per"].as_object().expect("per resource");
    let full = acked[0].1;
    for (id, n) in &acked {
        assert_eq!(
            per.get(id).and_then(Value::as_u64),
            Some(*n),
            "acknowledged {id} lost findings: {out}"
        );
    }
    // a submission in flight at the kill is all or nothing
    for (id, n) in per {
        assert!(
            n.as_u64() == Some(full),
            "{id} has a partial set of findings: {n}"
        );
    }
    eprintln!(
        "kill -9: {} submissions acknowledged before the kill, {} resources after restart, {} findings, none lost or duplicated",
        acked.len(),
        per.len(),
        out["total"]
    );
}

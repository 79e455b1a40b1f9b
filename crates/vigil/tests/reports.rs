//! Findings reports and SBOM exports (CreateFindingsReport, CreateSbomExport, …) driven by the
//! AWS CLI and boto3 against a real `vigil server`, written to a real S3-compatible server
//! (moto's `moto_server` on loopback) or to the local export directory, read back and checked:
//! the report's findings are ListFindings' for the same filter, the CSV parses with Python's
//! csv module with Inspector's columns, every SBOM validates against its official schema.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const KMS: &str = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555";

/// A boto3 script against moto's S3 (`S3_URL`), its JSON output.
fn s3_python(moto: &Moto, script: &str, args: &[&str]) -> Value {
    let mut c = Command::new("python3");
    c.arg("-c")
        .arg(format!(
            "import boto3, json, os, sys\ns3 = boto3.client('s3', endpoint_url=os.environ['S3_URL'], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n{script}"
        ))
        .args(args)
        .env("S3_URL", &moto.url);
    serde_json::from_str(&run_ok(&mut c)).expect("python json")
}

/// Polls a report's status until it leaves IN_PROGRESS (60 s at most).
fn wait_report(s: &Server, op: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let st = s.aws(&[op, "--report-id", id]);
        if st["status"] != "IN_PROGRESS" {
            return st;
        }
        assert!(
            Instant::now() < deadline,
            "report {id} still in progress: {st}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every finding ListFindings answers for `criteria` (as the server sends them: raw JSON).
fn list_all(s: &Server, criteria: Option<&Value>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"maxResults": 100});
        if let Some(c) = criteria {
            body["filterCriteria"] = c.clone();
        }
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = s.native("/findings/list", &body);
        out.extend(
            page["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .cloned(),
        );
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return out,
        }
    }
}

fn arns(findings: &[Value]) -> Vec<String> {
    let mut a: Vec<String> = findings
        .iter()
        .map(|f| f["findingArn"].as_str().expect("arn").to_owned())
        .collect();
    a.sort();
    a
}

/// Scans the demo image's SBOM as each of `ids`.
fn scan_demo(s: &Server, ids: &[&str]) {
    let sbom = demo_sbom(s.dir.path());
    for id in ids {
        let r = s.scan(&format!("sbom:{}", sbom.display()), id);
        assert!(r["new"].as_u64().expect("new") >= 10, "{r}");
    }
}

fn validate_sbom(kind: &str, files: &[PathBuf]) {
    let out = run(Command::new("python3")
        .arg(repo().join("crates/vigil-sbom/tests/validate_schemas.py"))
        .arg(kind)
        .args(files));
    assert!(
        out.status.success(),
        "{kind} schema validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn columns() -> Vec<&'static str> {
    vigil_server::reports::CSV_COLUMNS.to_vec()
}

/// Parses CSV text with Python's csv module: its rows.
fn python_csv(path: &Path) -> Vec<Vec<String>> {
    let out = run_ok(Command::new("python3").arg("-c").arg(
        "import csv, json, sys\nwith open(sys.argv[1], newline='') as f:\n    print(json.dumps(list(csv.reader(f, strict=True))))",
    ).arg(path));
    serde_json::from_str(&out).expect("csv json")
}

#[test]
fn reports_and_sbom_exports_to_an_s3_compatible_server() {
    tools_present();
    let moto = start_moto(&[("S3_UPLOAD_PART_MIN_SIZE", "1024")]);
    s3_python(
        &moto,
        "s3.create_bucket(Bucket='vigil-reports'); print(json.dumps({}))",
        &[],
    );
    let creds = tempfile::tempdir().expect("tmp");
    let cred_file = creds.path().join("s3-credentials");
    std::fs::write(
        &cred_file,
        "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .expect("credentials");
    let s = start_full(
        &[],
        &[
            ("VIGIL_EXPORT_S3_ENDPOINT", moto.url.as_str()),
            (
                "VIGIL_EXPORT_S3_CREDENTIALS_FILE",
                cred_file.to_str().expect("utf8"),
            ),
            // 4 KiB parts: the JSON report below is a multipart upload
            ("VIGIL_EXPORT_S3_PART_SIZE", "4096"),
        ],
    );
    scan_demo(&s, &["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2"]);
    let dest = format!("bucketName=vigil-reports,keyPrefix=inspector/reports,kmsKeyArn={KMS}");

    // 1. a JSON findings report with a filter: exactly ListFindings' findings for it
    let criteria = json!({"severity": [{"comparison": "EQUALS", "value": "HIGH"},
                                        {"comparison": "EQUALS", "value": "CRITICAL"}],
                          "resourceId": [{"comparison": "PREFIX", "value": "i-0aaa"}]});
    let created = s.aws(&[
        "create-findings-report",
        "--report-format",
        "JSON",
        "--s3-destination",
        &dest,
        "--filter-criteria",
        &criteria.to_string(),
    ]);
    let id = created["reportId"].as_str().expect("reportId").to_owned();
    let st = wait_report(&s, "get-findings-report-status", &id);
    assert_eq!(st["status"], "SUCCEEDED", "{st}");
    assert_eq!(st["destination"]["bucketName"], "vigil-reports");
    assert_eq!(st["destination"]["keyPrefix"], "inspector/reports");
    assert_eq!(st["filterCriteria"]["severity"][1]["value"], "CRITICAL");
    let key = format!("inspector/reports/{id}.json");
    let got = s3_python(
        &moto,
        "o = s3.get_object(Bucket='vigil-reports', Key=sys.argv[1]); print(o['Body'].read().decode())",
        &[&key],
    );
    let want = list_all(&s, Some(&criteria));
    assert!(want.len() >= 2, "the filter keeps some findings");
    assert!(want.len() < list_all(&s, None).len(), "and drops others");
    assert_eq!(
        got["findings"].as_array().expect("findings"),
        &want,
        "the report holds ListFindings' findings, in the same shape"
    );
    // the object went up in parts, and no upload is left open
    let uploads = s3_python(
        &moto,
        "h = s3.head_object(Bucket='vigil-reports', Key=sys.argv[1])\nprint(json.dumps({'open': len(s3.list_multipart_uploads(Bucket='vigil-reports').get('Uploads', [])), 'size': h['ContentLength'], 'etag': h['ETag']}))",
        &[&key],
    );
    assert_eq!(uploads["open"], 0, "{uploads}");
    assert!(uploads["size"].as_u64().expect("size") > 4096, "{uploads}");
    // a multipart object's ETag ends in `-<number of parts>`
    assert!(
        uploads["etag"].as_str().expect("etag").contains('-'),
        "{uploads}"
    );

    // 2. a CSV report of every finding, through boto3 this time: Inspector's columns, one row
    //    per finding
    let csv_id = s.python(&format!(
        r#"
import boto3, json, os
c = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"], region_name="us-east-1")
r = c.create_findings_report(reportFormat="CSV", s3Destination={{"bucketName": "vigil-reports", "kmsKeyArn": "{KMS}"}})
print(json.dumps(r["reportId"]))
"#
    ));
    let csv_id = csv_id.as_str().expect("id").to_owned();
    let st = wait_report(&s, "get-findings-report-status", &csv_id);
    assert_eq!(st["status"], "SUCCEEDED", "{st}");
    let local = s.dir.path().join("report.csv");
    s3_python(
        &moto,
        "s3.download_file('vigil-reports', sys.argv[1], sys.argv[2]); print('{}')",
        &[&format!("{csv_id}.csv"), local.to_str().expect("utf8")],
    );
    let rows = python_csv(&local);
    assert_eq!(rows[0], columns(), "header row");
    let all = list_all(&s, None);
    assert_eq!(rows.len() - 1, all.len());
    let col = |name: &str| columns().iter().position(|c| *c == name).expect("column");
    let mut csv_arns: Vec<String> = rows[1..]
        .iter()
        .map(|r| r[col("Finding ARN")].clone())
        .collect();
    csv_arns.sort();
    assert_eq!(csv_arns, arns(&all));
    for r in &rows[1..] {
        assert_eq!(r.len(), columns().len());
        let f = all
            .iter()
            .find(|f| f["findingArn"] == r[col("Finding ARN")].as_str())
            .expect("finding");
        assert_eq!(
            r[col("Severity")],
            f["severity"].as_str().expect("severity")
        );
        assert_eq!(
            r[col("Vulnerability Id")],
            f["packageVulnerabilityDetails"]["vulnerabilityId"]
                .as_str()
                .expect("id")
        );
        assert_eq!(r[col("AWS Account Id")], ACCOUNT);
        assert!(r[col("Resource ID")].starts_with("i-0aaa"));
    }

    // 3. SBOM exports: CycloneDX for one resource, SPDX for both; each document validates
    let cdx = s.aws(&[
        "create-sbom-export",
        "--report-format",
        "CYCLONEDX_1_4",
        "--s3-destination",
        &format!("bucketName=vigil-reports,keyPrefix=sboms,kmsKeyArn={KMS}"),
        "--resource-filter-criteria",
        r#"{"resourceId":[{"comparison":"EQUALS","value":"i-0aaaaaaaaaaaaaaa1"}]}"#,
    ]);
    let cdx_id = cdx["reportId"].as_str().expect("id").to_owned();
    let st = wait_report(&s, "get-sbom-export", &cdx_id);
    assert_eq!(st["status"], "SUCCEEDED", "{st}");
    assert_eq!(st["format"], "CYCLONEDX_1_4");
    assert_eq!(st["s3Destination"]["keyPrefix"], "sboms");
    let spdx = s.aws(&[
        "create-sbom-export",
        "--report-format",
        "SPDX_2_3",
        "--s3-destination",
        &format!("bucketName=vigil-reports,keyPrefix=sboms,kmsKeyArn={KMS}"),
    ]);
    let spdx_id = spdx["reportId"].as_str().expect("id").to_owned();
    let st = wait_report(&s, "get-sbom-export", &spdx_id);
    assert_eq!(st["status"], "SUCCEEDED", "{st}");
    for (id, kind, n) in [(&cdx_id, "cyclonedx", 1), (&spdx_id, "spdx", 2)] {
        let out = s.dir.path().join(format!("sboms-{kind}"));
        std::fs::create_dir_all(&out).expect("dir");
        let keys = s3_python(
            &moto,
            "keys = [o['Key'] for o in s3.list_objects_v2(Bucket='vigil-reports', Prefix=sys.argv[1]).get('Contents', [])]\nfor k in keys: s3.download_file('vigil-reports', k, os.path.join(sys.argv[2], k.replace('/', '_')))\nprint(json.dumps(sorted(keys)))",
            &[
                &format!("sboms/SBOM_Export/{id}/"),
                out.to_str().expect("utf8"),
            ],
        );
        let keys: Vec<&str> = keys
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k.as_str().expect("key"))
            .collect();
        assert_eq!(keys.len(), n, "{keys:?}");
        assert!(
            keys.iter().all(
                |k| k.starts_with(&format!("sboms/SBOM_Export/{id}/{ACCOUNT}/"))
                    && k.ends_with(".json")
            ),
            "{keys:?}"
        );
        let files: Vec<PathBuf> = std::fs::read_dir(&out)
            .expect("read")
            .map(|e| e.expect("entry").path())
            .collect();
        validate_sbom(kind, &files);
        for f in &files {
            let doc: Value =
                serde_json::from_str(&std::fs::read_to_string(f).expect("read")).expect("json");
            if kind == "cyclonedx" {
                assert_eq!(
                    doc["specVersion"], "1.6",
                    "what vigil-sbom writes, said as it is"
                );
                assert!(doc["components"].as_array().expect("components").len() > 5);
            } else {
                assert_eq!(doc["spdxVersion"], "SPDX-2.3");
                assert!(doc["packages"].as_array().expect("packages").len() > 5);
            }
        }
    }
}

#[test]
fn local_directory_destination_limits_and_validation() {
    tools_present();
    let exports = tempfile::tempdir().expect("tmp");
    let s = start_full(
        &[],
        &[
            ("VIGIL_EXPORT_DIR", exports.path().to_str().expect("utf8")),
            ("VIGIL_SBOM_EXPORT_MAX_RESOURCES", "1"),
        ],
    );
    scan_demo(&s, &["host-1", "host-2"]);
    let dest = format!("bucketName=local-bucket,keyPrefix=a/b/,kmsKeyArn={KMS}");

    // a report to the directory: DIR/BUCKET/KEY, the same findings as ListFindings
    let id = s.aws(&[
        "create-findings-report",
        "--report-format",
        "JSON",
        "--s3-destination",
        &dest,
    ])["reportId"]
        .as_str()
        .expect("id")
        .to_owned();
    let st = wait_report(&s, "get-findings-report-status", &id);
    assert_eq!(st["status"], "SUCCEEDED", "{st}");
    let file = exports.path().join(format!("local-bucket/a/b/{id}.json"));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("report file")).expect("json");
    assert_eq!(
        doc["findings"].as_array().expect("findings"),
        &list_all(&s, None)
    );
    // without a reportId: the latest report
    let latest = s.aws(&["get-findings-report-status"]);
    assert_eq!(latest["reportId"], id.as_str());

    // IAM: a read-only principal may read a report's status, not create one
    let reader: Value = serde_json::from_str(&run_ok(
        vigil()
            .args([
                "admin",
                "create-principal",
                "--account",
                ACCOUNT,
                "--name",
                "reader",
                "--kind",
                "user",
                "--policy",
                "read-only",
                "--data-dir",
            ])
            .arg(&s.data),
    ))
    .expect("principal");
    let seen = s.python(&format!(
        r#"
import boto3, json, os
c = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"], region_name="us-east-1",
                 aws_access_key_id={key:?}, aws_secret_access_key={secret:?})
status = c.get_findings_report_status(reportId={id:?})["status"]
try:
    c.create_findings_report(reportFormat="JSON", s3Destination={{"bucketName": "local-bucket", "kmsKeyArn": "k"}})
    err = None
except c.exceptions.AccessDeniedException as e:
    err = e.response["Error"]["Message"]
print(json.dumps({{"status": status, "err": err}}))
"#,
        key = reader["accessKeyId"].as_str().expect("key"),
        secret = reader["secretAccessKey"].as_str().expect("secret"),
    ));
    assert_eq!(seen["status"], "SUCCEEDED", "{seen}");
    assert!(
        seen["err"]
            .as_str()
            .is_some_and(|m| m.contains("inspector2:CreateFindingsReport")),
        "{seen}"
    );

    // no matching finding: FAILED, NO_FINDINGS_FOUND, and no file
    let none = s.aws(&[
        "create-findings-report",
        "--report-format",
        "CSV",
        "--s3-destination",
        &dest,
        "--filter-criteria",
        r#"{"resourceId":[{"comparison":"EQUALS","value":"no-such-host"}]}"#,
    ])["reportId"]
        .as_str()
        .expect("id")
        .to_owned();
    let st = wait_report(&s, "get-findings-report-status", &none);
    assert_eq!(st["status"], "FAILED", "{st}");
    assert_eq!(st["errorCode"], "NO_FINDINGS_FOUND", "{st}");
    assert!(
        !exports
            .path()
            .join(format!("local-bucket/a/b/{none}.csv"))
            .exists()
    );

    // SBOM export: more resources than the limit is a validation error; one is fine
    let err = s.aws_err(&[
        "create-sbom-export",
        "--report-format",
        "SPDX_2_3",
        "--s3-destination",
        &dest,
    ]);
    assert!(
        err.contains("ValidationException") && err.contains("matches 2 resources"),
        "{err}"
    );
    let sbom = s.aws(&[
        "create-sbom-export",
        "--report-format",
        "CYCLONEDX_1_6",
        "--s3-destination",
        &dest,
        "--resource-filter-criteria",
        r#"{"resourceId":[{"comparison":"NOT_EQUALS","value":"host-1"}]}"#,
    ])["reportId"]
        .as_str()
        .expect("id")
        .to_owned();
    let st = wait_report(&s, "get-sbom-export", &sbom);
    assert_eq!(st["status"], "SUCCEEDED", "{st}");
    let dir = exports
        .path()
        .join(format!("local-bucket/a/b/SBOM_Export/{sbom}/{ACCOUNT}"));
    let files: Vec<PathBuf> = walk(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].to_string_lossy().contains("host-2"), "{files:?}");
    validate_sbom("cyclonedx", &files);

    // validation errors, with the field named
    let bad_bucket = format!("bucketName=..,kmsKeyArn={KMS}");
    let up_prefix = format!("bucketName=local-bucket,keyPrefix=../../etc,kmsKeyArn={KMS}");
    let dot_prefix = format!("bucketName=local-bucket,keyPrefix=x/./y,kmsKeyArn={KMS}");
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "create-findings-report",
                "--report-format",
                "XML",
                "--s3-destination",
                &dest,
            ],
            "reportFormat",
        ),
        (
            &[
                "create-findings-report",
                "--report-format",
                "JSON",
                "--s3-destination",
                &bad_bucket,
            ],
            "bucketName",
        ),
        (
            &[
                "create-findings-report",
                "--report-format",
                "JSON",
                "--s3-destination",
                &up_prefix,
            ],
            "keyPrefix",
        ),
        (
            &[
                "create-sbom-export",
                "--report-format",
                "SPDX_2_3",
                "--s3-destination",
                &dot_prefix,
            ],
            "keyPrefix",
        ),
        (
            &[
                "create-sbom-export",
                "--report-format",
                "SPDX_2_3",
                "--s3-destination",
                &dest,
                "--resource-filter-criteria",
                r#"{"resourceType":[{"comparison":"PREFIX","value":"AWS"}]}"#,
            ],
            "comparison",
        ),
        (
            &["get-sbom-export", "--report-id", "not-a-report-id"],
            "reportId",
        ),
    ];
    for (args, needle) in cases {
        let err = s.aws_err(args);
        assert!(
            err.contains("ValidationException") && err.contains(needle),
            "{args:?}: {err}"
        );
    }
    let unknown = "0123abcd-0000-4000-8000-00000000abcd";
    for op in [
        "get-findings-report-status",
        "cancel-findings-report",
        "get-sbom-export",
        "cancel-sbom-export",
    ] {
        let err = s.aws_err(&[op, "--report-id", unknown]);
        assert!(err.contains("ResourceNotFoundException"), "{op}: {err}");
    }
    // a finished report cannot be cancelled; a findings report id is not an SBOM export's
    let err = s.aws_err(&["cancel-findings-report", "--report-id", &id]);
    assert!(
        err.contains("ValidationException") && err.contains("not in progress"),
        "{err}"
    );
    let err = s.aws_err(&["get-sbom-export", "--report-id", &id]);
    assert!(err.contains("ResourceNotFoundException"), "{err}");
    // nothing was written outside the export directory, no temporary file is left
    assert!(
        !exports
            .path()
            .join("..")
            .join("etc")
            .join(format!("{id}.json"))
            .exists()
    );
    assert_eq!(walk(&exports.path().join(".vigil-tmp")).len(), 0);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// An S3-compatible endpoint that holds each PutObject until a release file exists, and logs
/// every request (`METHOD PATH` lines), to catch a report in the middle of its upload.
const HOLDING_S3: &str = r#"
import http.server, os, sys, time
log, release = sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def note(self):
        with open(log, "a") as f:
            f.write(f"{self.command} {self.path}\n")
    def answer(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"0"')
        self.end_headers()
        self.wfile.write(body)
    def do_HEAD(self):
        self.note(); self.answer(200)
    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.note()
        while not os.path.exists(release):
            time.sleep(0.05)
        self.answer(200)
    def do_DELETE(self):
        self.note(); self.answer(204)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"#;

struct Holding {
    child: Child,
}

impl Drop for Holding {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn s3_endpoint_down_fails_and_cancel_withdraws_the_object() {
    tools_present();
    // 1. nothing listens at the endpoint: FAILED with a clear message
    let dead = format!("http://127.0.0.1:{}", free_port());
    let s = start_full(
        &[],
        &[
            ("VIGIL_EXPORT_S3_ENDPOINT", dead.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    );
    scan_demo(&s, &["host-1"]);
    let dest = format!("bucketName=reports,kmsKeyArn={KMS}");
    let id = s.aws(&[
        "create-findings-report",
        "--report-format",
        "JSON",
        "--s3-destination",
        &dest,
    ])["reportId"]
        .as_str()
        .expect("id")
        .to_owned();
    let st = wait_report(&s, "get-findings-report-status", &id);
    assert_eq!(st["status"], "FAILED", "{st}");
    assert_eq!(st["errorCode"], "INTERNAL_ERROR", "{st}");
    let msg = st["errorMessage"].as_str().expect("message");
    assert!(
        msg.contains("cannot reach the S3 endpoint") && msg.contains(&dead),
        "{msg}"
    );
    drop(s);

    // 2. an endpoint that holds the upload: one report at a time per account; cancel makes it
    //    CANCELLED at once, and the object, once the upload returns, is deleted again
    let work = tempfile::tempdir().expect("tmp");
    let log = work.path().join("requests.log");
    let release = work.path().join("release");
    let port = free_port();
    let _holding = Holding {
        child: Command::new("python3")
            .arg("-c")
            .arg(HOLDING_S3)
            .arg(port.to_string())
            .arg(&log)
            .arg(&release)
            .spawn()
            .expect("python3"),
    };
    wait_for_port(port);
    let url = format!("http://127.0.0.1:{port}");
    let s = start_full(
        &[],
        &[
            ("VIGIL_EXPORT_S3_ENDPOINT", url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    );
    scan_demo(&s, &["host-1", "host-2"]);
    let id = s.aws(&[
        "create-findings-report",
        "--report-format",
        "CSV",
        "--s3-destination",
        &dest,
    ])["reportId"]
        .as_str()
        .expect("id")
        .to_owned();
    let put = format!("PUT /reports/{id}.csv");
    let logged = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("the upload to start", || logged().contains(&put));
    let err = s.aws_err(&[
        "create-findings-report",
        "--report-format",
        "JSON",
        "--s3-destination",
        &dest,
    ]);
    assert!(
        err.contains("ValidationException")
            && err.contains("Cannot have multiple reports in-progress"),
        "{err}"
    );
    assert_eq!(
        s.aws(&["cancel-findings-report", "--report-id", &id])["reportId"],
        id.as_str()
    );
    assert_eq!(
        s.aws(&["get-findings-report-status", "--report-id", &id])["status"],
        "CANCELLED"
    );
    std::fs::write(&release, "").expect("release");
    wait_for("the cancelled report's object to be deleted", || {
        logged().contains(&format!("DELETE /reports/{id}.csv"))
    });
    assert_eq!(
        s.aws(&["get-findings-report-status", "--report-id", &id])["status"],
        "CANCELLED"
    );
    // the slot is free again
    let next = s.aws(&[
        "create-findings-report",
        "--report-format",
        "JSON",
        "--s3-destination",
        &dest,
    ])["reportId"]
        .as_str()
        .expect("id")
        .to_owned();
    let st = wait_report(&s, "get-findings-report-status", &next);
    assert_eq!(st["status"], "SUCCEEDED", "{st}");
    assert!(!logged().contains(&format!("DELETE /reports/{next}.json")));

    // 3. an SBOM export cancelled while its first document uploads: it writes no second one,
    //    and the first is deleted once its upload returns
    std::fs::remove_file(&release).expect("hold uploads again");
    let sid = s.aws(&[
        "create-sbom-export",
        "--report-format",
        "SPDX_2_3",
        "--s3-destination",
        &dest,
    ])["reportId"]
        .as_str()
        .expect("id")
        .to_owned();
    let docs = format!("PUT /reports/SBOM_Export/{sid}/");
    wait_for("the first SBOM upload", || logged().contains(&docs));
    s.aws(&["cancel-sbom-export", "--report-id", &sid]);
    assert_eq!(
        s.aws(&["get-sbom-export", "--report-id", &sid])["status"],
        "CANCELLED"
    );
    std::fs::write(&release, "").expect("release");
    let deleted = format!("DELETE /reports/SBOM_Export/{sid}/");
    wait_for("the SBOM document to be deleted", || {
        logged().contains(&deleted)
    });
    let text = logged();
    let put: Vec<&str> = text.lines().filter(|l| l.starts_with(&docs)).collect();
    let del: Vec<&str> = text.lines().filter(|l| l.starts_with(&deleted)).collect();
    assert_eq!(put.len(), 1, "{text}");
    assert_eq!(del.len(), 1, "{text}");
    assert_eq!(
        put[0].trim_start_matches("PUT "),
        del[0].trim_start_matches("DELETE ")
    );
    assert_eq!(
        s.aws(&["get-sbom-export", "--report-id", &sid])["status"],
        "CANCELLED"
    );
}

#[test]
fn a_restart_fails_the_reports_in_progress() {
    tools_present();
    // a report held in its upload when the server is killed is FAILED after the restart
    let work = tempfile::tempdir().expect("tmp");
    let log = work.path().join("requests.log");
    let release = work.path().join("release");
    let port = free_port();
    let _holding = Holding {
        child: Command::new("python3")
            .arg("-c")
            .arg(HOLDING_S3)
            .arg(port.to_string())
            .arg(&log)
            .arg(&release)
            .spawn()
            .expect("python3"),
    };
    wait_for_port(port);
    let url = format!("http://127.0.0.1:{port}");
    let env = [
        ("VIGIL_EXPORT_S3_ENDPOINT", url.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let mut s = start_full(&[], &env);
    scan_demo(&s, &["host-1"]);
    let dest = format!("bucketName=reports,kmsKeyArn={KMS}");
    let id = s.aws(&[
        "create-findings-report",
        "--report-format",
        "JSON",
        "--s3-destination",
        &dest,
    ])["reportId"]
        .as_str()
        .expect("id")
        .to_owned();
    wait_for("the upload to start", || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains(&format!("PUT /reports/{id}.json"))
    });
    s.child.kill().expect("kill");
    s.child.wait().expect("wait");
    let (child, port) = spawn_server_env(&s.data, &s.dir.path().join("advisories.db"), &env);
    s.child = child;
    s.url = format!("http://127.0.0.1:{port}");
    let st = s.aws(&["get-findings-report-status", "--report-id", &id]);
    assert_eq!(st["status"], "FAILED", "{st}");
    assert!(
        st["errorMessage"]
            .as_str()
            .expect("message")
            .contains("restarted"),
        "{st}"
    );
}

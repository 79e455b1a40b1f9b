//! Function packages (Lambda-style): published through `POST /vigil/v1/functions/publish` or
//! from a watched directory, every version scanned; findings and coverage read back with the
//! AWS CLI. The zips are built here with Python's `zipfile`.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::{ACCOUNT, Server, make_zip, repo, run_ok, vigil};
use serde_json::{Value, json};

const REGION: &str = "us-east-1";

/// A SigV4-signed (botocore) POST of `body` to a native endpoint (through a file: a function
/// package is too big for an argument); answers the JSON, or `{"status", "type", "message"}`.
fn post_raw(server: &Server, path: &str, body: &[u8]) -> Value {
    server.native_raw(path, body)
}

fn post(server: &Server, path: &str, body: &Value) -> Value {
    post_raw(server, path, body.to_string().as_bytes())
}

fn findings_of(server: &Server, resource_id: &str, status: Option<&str>) -> Vec<Value> {
    let mut criteria = json!({"resourceId": [{"comparison": "EQUALS", "value": resource_id}]});
    if let Some(s) = status {
        criteria["findingStatus"] = json!([{"comparison": "EQUALS", "value": s}]);
    }
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

fn lambda_coverage(server: &Server) -> Vec<Value> {
    let criteria =
        json!({"resourceType": [{"comparison": "EQUALS", "value": "AWS_LAMBDA_FUNCTION"}]});
    server.aws(&["list-coverage", "--filter-criteria", &criteria.to_string()])["coveredResources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn package(f: &Value) -> &Value {
    &f["packageVulnerabilityDetails"]["vulnerablePackages"][0]
}

/// The finding's package name, lowercase (`Jinja2` is `jinja2`).
fn package_name(f: &Value) -> String {
    package(f)["name"]
        .as_str()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// (vulnerability id, package, file path) of findings.
fn identities(findings: &[Value]) -> BTreeSet<(String, String, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f["packageVulnerabilityDetails"]["vulnerabilityId"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                package(f)["name"].as_str().unwrap_or("").to_owned(),
                package(f)["filePath"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

const VULNERABLE_CODE: &[(&str, &str)] = &[
    ("app.py", "def handler(event, context):\n    return 1\n"),
    ("requirements.txt", "requests==2.19.0\nurllib3==1.24.1\n"),
];
const FIXED_CODE: &[(&str, &str)] = &[
    ("app.py", "def handler(event, context):\n    return 2\n"),
    ("requirements.txt", "requests==2.31.0\n"),
];
const LAYER: &[(&str, &str)] = &[(
    "python/lib/python3.11/site-packages/Jinja2-2.10.dist-info/METADATA",
    "Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\n",
)];

fn function_id(name: &str, version: u64) -> String {
    format!("arn:vigil:lambda:{REGION}:{ACCOUNT}:function:{name}:{version}")
}

fn layer_arn(name: &str, version: u64) -> String {
    format!("arn:vigil:lambda:{REGION}:{ACCOUNT}:layer:{name}:{version}")
}

#[test]
fn published_versions_are_scanned_with_their_layers() {
    common::tools_present();
    let server = common::start();
    let dir = server.dir.path().to_owned();
    let (code, _) = make_zip(&dir.join("code.zip"), VULNERABLE_CODE);
    let (layer, layer_sha) = make_zip(&dir.join("deps.zip"), LAYER);
    let body = json!({
        "functionName": "orders",
        "runtime": "python3.11",
        "handler": "app.handler",
        "tags": {"team": "payments"},
        "code": code,
        "layers": [{"name": "deps", "content": layer}],
    });

    // 1. publish: version 1, scanned at once
    let v1 = post(&server, "/vigil/v1/functions/publish", &body);
    assert_eq!(v1["version"], "1", "{v1}");
    assert_eq!(v1["created"], true);
    let v1_id = function_id("orders", 1);
    assert_eq!(v1["resourceId"], v1_id.as_str());
    assert_eq!(
        v1["functionArn"],
        format!("arn:vigil:lambda:{REGION}:{ACCOUNT}:function:orders")
    );
    assert_eq!(v1["layers"][0]["arn"], layer_arn("deps", 1).as_str());
    assert_eq!(v1["layers"][0]["sha256"], layer_sha.as_str());
    let total = v1["findings"]["total"].as_u64().expect("total");
    assert!(total >= 4, "{v1}");
    assert_eq!(v1["new"].as_u64(), Some(total));

    // 2. the findings name the function, its version and (for layer packages) the layer
    let found = findings_of(&server, &v1_id, None);
    assert_eq!(found.len() as u64, total);
    for f in &found {
        let r = &f["resources"][0];
        assert_eq!(r["type"], "AWS_LAMBDA_FUNCTION");
        assert_eq!(r["id"], v1_id.as_str());
        assert_eq!(r["tags"]["team"], "payments");
        let d = &r["details"]["awsLambdaFunction"];
        assert_eq!(d["functionName"], "orders");
        assert_eq!(d["version"], "1");
        assert_eq!(d["runtime"], "PYTHON_3_11");
        assert_eq!(d["packageType"], "Zip");
        assert_eq!(d["architectures"], json!(["X86_64"]));
        assert_eq!(d["layers"], json!([layer_arn("deps", 1)]));
        assert_eq!(d["codeSha256"], v1["codeSha256"]);
        assert_eq!(d["executionRoleArn"], "");
        assert!(
            d["lastModifiedAt"].is_number() || d["lastModifiedAt"].is_string(),
            "{d}"
        );
    }
    let names: BTreeSet<String> = found.iter().map(package_name).collect();
    assert!(
        names.contains("requests") && names.contains("urllib3") && names.contains("jinja2"),
        "{names:?}"
    );
    for f in &found {
        let p = package(f);
        if package_name(f) == "jinja2" {
            assert_eq!(p["sourceLambdaLayerArn"], layer_arn("deps", 1).as_str());
            assert_eq!(p["sourceLayerHash"], format!("sha256:{layer_sha}").as_str());
            assert!(
                p["filePath"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/opt/python/lib/python3.11/site-packages/")),
                "{p}"
            );
        } else {
            assert!(p.get("sourceLambdaLayerArn").is_none(), "{p}");
            assert!(p.get("sourceLayerHash").is_none(), "{p}");
            assert_eq!(p["filePath"], "/var/task/requirements.txt");
        }
    }

    // 3. the same findings as `vigil scan` of the package
    let scanned: Value = serde_json::from_str(&run_ok(
        vigil()
            .args(["scan", "--format", "json", "-q", "--db"])
            .arg(repo().join("examples/advisories"))
            .arg(format!("zip:{}", dir.join("code.zip").display()))
            .arg("--function-layer")
            .arg(dir.join("deps.zip")),
    ))
    .expect("scan json");
    let cli = scanned["findings"].as_array().cloned().unwrap_or_default();
    assert_eq!(identities(&cli), identities(&found));

    // 4. coverage shows the version with its Lambda metadata
    let cov = lambda_coverage(&server);
    assert_eq!(cov.len(), 1, "{cov:?}");
    assert_eq!(cov[0]["resourceId"], v1_id.as_str());
    assert_eq!(cov[0]["scanStatus"]["statusCode"], "ACTIVE");
    assert_eq!(cov[0]["scanStatus"]["reason"], "SUCCESSFUL");
    let meta = &cov[0]["resourceMetadata"]["lambdaFunction"];
    assert_eq!(meta["functionName"], "orders");
    assert_eq!(meta["runtime"], "PYTHON_3_11");
    assert_eq!(meta["layers"], json!([layer_arn("deps", 1)]));
    assert_eq!(meta["functionTags"], json!({"team": "payments"}));

    // aggregations by function and by layer
    let agg = server.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "AWS_LAMBDA_FUNCTION",
    ]);
    let f = &agg["responses"][0]["lambdaFunctionAggregation"];
    assert_eq!(f["functionName"], "orders", "{agg}");
    assert_eq!(f["resourceId"], v1_id.as_str());
    assert_eq!(f["runtime"], "PYTHON_3_11");
    let agg = server.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "LAMBDA_LAYER",
    ]);
    let layers: Vec<&Value> = agg["responses"]
        .as_array()
        .map(|r| r.iter().map(|x| &x["lambdaLayerAggregation"]).collect())
        .unwrap_or_default();
    assert!(
        layers
            .iter()
            .any(|l| l["layerArn"] == layer_arn("deps", 1).as_str()
                && l["functionName"] == "orders"
                && l["resourceId"] == v1_id.as_str()),
        "{agg}"
    );

    // 5. the same package again: no new version
    let again = post(&server, "/vigil/v1/functions/publish", &body);
    assert_eq!(again["version"], "1", "{again}");
    assert_eq!(again["created"], false);

    // 6. fixed code: version 2 with fewer findings; version 1's stay
    let (fixed, _) = make_zip(&dir.join("fixed.zip"), FIXED_CODE);
    let mut body2 = body.clone();
    body2["code"] = json!(fixed);
    let v2 = post(&server, "/vigil/v1/functions/publish", &body2);
    assert_eq!(v2["version"], "2", "{v2}");
    assert_eq!(v2["layers"][0]["arn"], layer_arn("deps", 1).as_str());
    let total2 = v2["findings"]["total"].as_u64().expect("total");
    assert!(total2 > 0 && total2 < total, "{v2}");
    let found2 = findings_of(&server, &function_id("orders", 2), None);
    assert!(found2.iter().all(|f| package_name(f) == "jinja2"));
    assert_eq!(
        findings_of(&server, &v1_id, Some("ACTIVE")).len() as u64,
        total
    );

    let listed = post(&server, "/vigil/v1/functions/list", &json!({}));
    let functions = listed["functions"].as_array().expect("functions");
    assert_eq!(functions.len(), 1, "{listed}");
    assert_eq!(functions[0]["functionName"], "orders");
    assert_eq!(functions[0]["latestVersion"], "2");
    let versions: Vec<&str> = functions[0]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert_eq!(versions, ["1", "2"]);
    assert_eq!(functions[0]["versions"][0]["handler"], "app.handler");
    assert_eq!(functions[0]["versions"][0]["runtime"], "python3.11");

    // 7. deleting version 1 closes its findings only
    let deleted = post(
        &server,
        "/vigil/v1/functions/delete",
        &json!({"functionName": "orders", "version": "1"}),
    );
    assert_eq!(deleted["deletedVersions"], json!(["1"]), "{deleted}");
    assert_eq!(deleted["closed"].as_u64(), Some(total));
    assert_eq!(
        findings_of(&server, &v1_id, Some("CLOSED")).len() as u64,
        total
    );
    assert_eq!(
        findings_of(&server, &function_id("orders", 2), Some("ACTIVE")).len() as u64,
        total2
    );
    let listed = post(&server, "/vigil/v1/functions/list", &json!({}));
    assert_eq!(
        listed["functions"][0]["versions"].as_array().map(Vec::len),
        Some(1)
    );
    let gone = post(
        &server,
        "/vigil/v1/functions/delete",
        &json!({"functionName": "orders", "version": 1}),
    );
    assert_eq!(gone["status"], 404, "{gone}");

    // 8. a deleted version's number is not given again
    let v3 = post(&server, "/vigil/v1/functions/publish", &body);
    assert_eq!(v3["version"], "3", "{v3}");
    let stale = post(
        &server,
        "/vigil/v1/functions/publish",
        &json!({"functionName": "orders", "runtime": "python3.12", "handler": "app.handler",
                "code": fixed, "version": "2"}),
    );
    assert_eq!(stale["status"], 409, "{stale}");
}

#[test]
fn bad_packages_are_refused_naming_the_member() {
    common::tools_present();
    let server = common::start();
    let dir = server.dir.path().to_owned();
    let (code, _) = make_zip(&dir.join("code.zip"), VULNERABLE_CODE);
    let (slip, _) = make_zip(
        &dir.join("slip.zip"),
        &[("../../etc/cron.d/evil", "* * * * * root true\n")],
    );
    let base = json!({"functionName": "f", "runtime": "python3.11", "handler": "app.handler", "code": code});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with("code", json!("not base64!")),
            "code: is not valid base64",
        ),
        (
            with("code", json!("bm90IGEgemlwIGF0IGFsbA==")),
            "code: is not a valid zip archive",
        ),
        (
            with("layers", json!([{"name": "deps", "content": slip}])),
            "layers[0].content: zip entry `../../etc/cron.d/evil` points outside the package",
        ),
        (with("code", json!(slip)), "code: zip entry"),
        (
            with("layers", json!([{"name": "deps", "content": "%%%"}])),
            "layers[0].content: is not valid base64",
        ),
        (
            with("layers", json!([{"name": "bad/name", "content": code}])),
            "layers[0].name",
        ),
        (
            with(
                "layers",
                json!(
                    (0..6)
                        .map(|i| json!({"name": format!("l{i}"), "content": code}))
                        .collect::<Vec<_>>()
                ),
            ),
            "layers: at most 5 layers",
        ),
        (
            with("functionName", json!("bad name")),
            "functionName: `bad name`",
        ),
        (with("runtime", json!("python 3")), "runtime: `python 3`"),
        (
            with("version", json!(0)),
            "version: must be a positive integer",
        ),
        (
            with("architectures", json!(["sparc"])),
            "architectures: `sparc`",
        ),
        (
            with("memorySize", json!(128)),
            "memorySize: is not a member",
        ),
        (
            {
                let mut b = base.clone();
                b.as_object_mut().map(|o| o.remove("handler"));
                b
            },
            "handler: is required",
        ),
    ];
    for (body, expected) in cases {
        let answer = post(&server, "/vigil/v1/functions/publish", &body);
        assert_eq!(answer["status"], 400, "{expected}: {answer}");
        assert_eq!(answer["type"], "ValidationException", "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(expected)),
            "expected `{expected}`: {answer}"
        );
    }
    // over 50 MiB of code: refused before decoding
    let big = format!(
        r#"{{"functionName":"big","runtime":"python3.11","handler":"a.b","code":"{}"}}"#,
        "A".repeat(70_000_000)
    );
    let answer = post_raw(&server, "/vigil/v1/functions/publish", big.as_bytes());
    assert_eq!(answer["status"], 400, "{answer}");
    assert!(
        answer["message"].as_str().is_some_and(
            |m| m.starts_with("code: is about 52500000 bytes, over the 52428800 byte limit")
        ),
        "{answer}"
    );
    // a package expanding beyond Lambda's 250 MB: refused from the zip's directory
    let out = run_ok(Command::new("python3").arg("-c").arg(
        r#"
import base64, io, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("blob.bin", "w", force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(251):
            f.write(chunk)
print(base64.b64encode(b.getvalue()).decode())
"#,
    ));
    let answer = post(
        &server,
        "/vigil/v1/functions/publish",
        &with("code", json!(out.trim())),
    );
    assert_eq!(answer["status"], 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("code: code and layers expand to 263192576 bytes")),
        "{answer}"
    );

    // nothing was stored
    let listed = post(&server, "/vigil/v1/functions/list", &json!({}));
    assert_eq!(listed["functions"], json!([]), "{listed}");
    assert!(lambda_coverage(&server).is_empty());
    assert_eq!(
        server.aws(&["list-findings"])["findings"],
        json!([]),
        "no findings"
    );
}

#[test]
fn layer_findings_keep_their_layer_through_a_reevaluation() {
    common::tools_present();
    let server = common::start();
    let dir = server.dir.path().to_owned();
    let (code, _) = make_zip(&dir.join("code.zip"), VULNERABLE_CODE);
    let (layer, _) = make_zip(&dir.join("deps.zip"), LAYER);
    let v1 = post(
        &server,
        "/vigil/v1/functions/publish",
        &json!({"functionName": "orders", "runtime": "python3.11", "handler": "app.handler",
                "code": code, "layers": [{"name": "deps", "content": layer}]}),
    );
    assert_eq!(v1["version"], "1", "{v1}");
    // a new advisory database: one more Jinja2 record
    let extra = dir.join("extra-advisories");
    std::fs::create_dir_all(&extra).expect("mkdir");
    std::fs::write(
        extra.join("VIGIL-TEST-2026-9.json"),
        json!({
            "schema_version": "1.6.0", "id": "VIGIL-TEST-2026-9",
            "modified": "2026-12-01T00:00:00Z", "published": "2026-12-01T00:00:00Z",
            "summary": "Test advisory: every Jinja2 release",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
        })
        .to_string(),
    )
    .expect("advisory");
    let fresh = dir.join("advisories-2.db");
    run_ok(
        vigil()
            .args(["db", "import", "--db"])
            .arg(&fresh)
            .arg(repo().join("examples/advisories"))
            .arg(&extra),
    );
    std::fs::rename(&fresh, dir.join("advisories.db")).expect("replace the database");
    let run = job(&server, "advisory-reevaluation");
    assert_eq!(run["result"]["resourcesReevaluated"], 1, "{run}");
    let found = findings_of(&server, &function_id("orders", 1), Some("ACTIVE"));
    let new: Vec<&Value> = found
        .iter()
        .filter(|f| f["packageVulnerabilityDetails"]["vulnerabilityId"] == "VIGIL-TEST-2026-9")
        .collect();
    assert_eq!(new.len(), 1, "{found:?}");
    assert_eq!(
        package(new[0])["sourceLambdaLayerArn"],
        layer_arn("deps", 1).as_str()
    );
    assert!(
        found
            .iter()
            .filter(|f| package_name(f) == "jinja2")
            .all(|f| package(f)["sourceLambdaLayerArn"] == layer_arn("deps", 1).as_str())
    );
    assert_eq!(
        found[0]["resources"][0]["details"]["awsLambdaFunction"]["version"],
        "1"
    );
}

fn job(server: &Server, name: &str) -> Value {
    post(server, "/vigil/v1/jobs/run", &json!({"name": name}))
}

fn last_error(server: &Server, name: &str) -> String {
    let jobs = post(server, "/vigil/v1/jobs/list", &json!({}));
    jobs["jobs"]
        .as_array()
        .and_then(|l| l.iter().find(|j| j["name"] == name))
        .and_then(|j| j["lastError"].as_str())
        .unwrap_or("")
        .to_owned()
}

#[test]
fn a_watched_directory_publishes_changed_packages() {
    common::tools_present();
    let watched = tempfile::tempdir().expect("tmp");
    let dir = watched.path().to_str().expect("utf8").to_owned();
    let server = common::start_full(
        &[],
        &[
            ("VIGIL_FUNCTIONS_DIR", dir.as_str()),
            ("VIGIL_FUNCTIONS_ACCOUNT", ACCOUNT),
            ("VIGIL_FUNCTIONS_INTERVAL", "3600"),
        ],
    );
    let jobs = post(&server, "/vigil/v1/jobs/list", &json!({}));
    assert!(
        jobs["jobs"]
            .as_array()
            .is_some_and(|l| l.iter().any(|j| j["name"] == "functions-watch")),
        "{jobs}"
    );

    // 1. a function directory appears: version 1, with its layer
    let f = watched.path().join("billing");
    std::fs::create_dir(&f).expect("mkdir");
    std::fs::write(
        f.join("function.json"),
        json!({"runtime": "python3.11", "handler": "app.handler", "layers": ["deps.zip"],
               "tags": {"team": "billing"}})
        .to_string(),
    )
    .expect("function.json");
    make_zip(&f.join("code.zip"), VULNERABLE_CODE);
    make_zip(&f.join("deps.zip"), LAYER);
    let run = job(&server, "functions-watch");
    let published = &run["result"]["published"];
    assert_eq!(published.as_array().map(Vec::len), Some(1), "{run}");
    assert_eq!(published[0]["version"], "1");
    let v1_id = function_id("billing", 1);
    let found = findings_of(&server, &v1_id, None);
    assert!(found.len() >= 4, "{found:?}");
    assert!(found.iter().any(|f| package_name(f) == "jinja2"
        && package(f)["sourceLambdaLayerArn"] == layer_arn("deps", 1).as_str()));
    assert!(
        found
            .iter()
            .all(|f| f["resources"][0]["tags"]["team"] == "billing")
    );

    // 2. unchanged: no new version
    let run = job(&server, "functions-watch");
    assert_eq!(run["result"]["published"], json!([]), "{run}");
    assert_eq!(
        run["result"]["unchanged"],
        json!([{"function": "billing", "version": "1"}])
    );

    // 3. the code changes: version 2
    make_zip(&f.join("code.zip"), FIXED_CODE);
    let run = job(&server, "functions-watch");
    assert_eq!(run["result"]["published"][0]["version"], "2", "{run}");
    let v2 = findings_of(&server, &function_id("billing", 2), None);
    assert!(!v2.is_empty() && v2.len() < found.len());
    assert_eq!(
        findings_of(&server, &v1_id, Some("ACTIVE")).len(),
        found.len()
    );

    // 4. a corrupt zip and a directory without function.json: the job fails naming them;
    //    coverage shows why; nothing is published
    std::fs::write(f.join("code.zip"), b"PK\x03\x04 truncated").expect("corrupt");
    std::fs::create_dir(watched.path().join("broken")).expect("mkdir");
    let run = job(&server, "functions-watch");
    assert_eq!(run["status"], 500, "{run}");
    let error = last_error(&server, "functions-watch");
    assert!(
        error.contains("billing: ") && error.contains("code.zip: is not a valid zip archive"),
        "{error}"
    );
    assert!(
        error.contains("broken: ") && error.contains("function.json: is missing"),
        "{error}"
    );
    let cov = lambda_coverage(&server);
    let status = |id: &str| {
        cov.iter()
            .find(|c| c["resourceId"] == id)
            .map(|c| c["scanStatus"].clone())
            .unwrap_or(Value::Null)
    };
    let billing_latest = format!("arn:vigil:lambda:{REGION}:{ACCOUNT}:function:billing:$LATEST");
    assert_eq!(
        status(&billing_latest),
        json!({"statusCode": "INACTIVE", "reason": "UNSUPPORTED_MEDIA_TYPE"}),
        "{cov:?}"
    );
    assert_eq!(
        status(&format!(
            "arn:vigil:lambda:{REGION}:{ACCOUNT}:function:broken:$LATEST"
        )),
        json!({"statusCode": "INACTIVE", "reason": "UNSUPPORTED_CONFIG_FILE"}),
        "{cov:?}"
    );
    assert_eq!(
        status(&function_id("billing", 2)),
        json!({"statusCode": "ACTIVE", "reason": "SUCCESSFUL"})
    );
    let listed = post(
        &server,
        "/vigil/v1/functions/list",
        &json!({"functionName": "billing"}),
    );
    assert_eq!(listed["functions"][0]["latestVersion"], "2", "{listed}");

    // 5. repaired: the package equals version 2 again, so nothing is published and the
    //    failure status goes
    std::fs::remove_dir(watched.path().join("broken")).expect("rmdir");
    make_zip(&f.join("code.zip"), FIXED_CODE);
    let run = job(&server, "functions-watch");
    assert_eq!(run["result"]["published"], json!([]), "{run}");
    assert_eq!(
        run["result"]["unchanged"],
        json!([{"function": "billing", "version": "2"}])
    );
    assert_eq!(status_of(&server, &billing_latest), Value::Null);
}

fn status_of(server: &Server, id: &str) -> Value {
    lambda_coverage(server)
        .iter()
        .find(|c| c["resourceId"] == id)
        .map(|c| c["scanStatus"].clone())
        .unwrap_or(Value::Null)
}

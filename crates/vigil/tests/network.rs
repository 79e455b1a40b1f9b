//! Network reachability through the server: the AWS CLI's `describe-*` JSON posted to
//! `/vigil/v1/network/analyze`, NETWORK_REACHABILITY findings read back with the AWS CLI,
//! their lifecycle (a removed rule closes its finding) beside the host's package findings.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{Server, demo_sbom, repo, start, tools_present};
use serde_json::{Value, json};

fn fixtures() -> BTreeMap<String, String> {
    let dir: PathBuf = repo().join("crates/vigil-network/testdata/aws/web-and-app");
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(&dir).expect("fixtures") {
        let p = e.expect("entry").path();
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        files.insert(name, std::fs::read_to_string(&p).expect("read"));
    }
    files
}

fn network_findings(s: &Server, status: &str) -> Vec<Value> {
    let criteria = json!({
        "findingType": [{"comparison": "EQUALS", "value": "NETWORK_REACHABILITY"}],
        "findingStatus": [{"comparison": "EQUALS", "value": status}],
    });
    s.aws(&[
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

#[test]
fn describe_json_in_reachability_findings_out() {
    tools_present();
    let s = start();
    // the web instance also has package findings (a scan of the demo image as that host)
    let work = tempfile::tempdir().expect("tmp");
    let sbom: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_sbom(work.path())).expect("sbom"))
            .expect("json");
    let scanned = s.native(
        "/vigil/v1/scans",
        &json!({"sbom": sbom, "resourceId": "i-0web0000000000001"}),
    );
    let packages = scanned["new"].as_u64().expect("new");
    assert!(packages > 0, "{scanned}");
    // and an app server the analysis will find unreachable (its only target group member is
    // unhealthy; it has no public address)
    s.native(
        "/vigil/v1/scans",
        &json!({"sbom": sbom, "resourceId": "i-0app0000000000002"}),
    );
    let urllib3_score = |host: &str| -> (f64, Vec<String>) {
        let criteria = json!({
            "resourceId": [{"comparison": "EQUALS", "value": host}],
            "vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-2023-43804"}],
        });
        let f =
            &s.aws(&["list-findings", "--filter-criteria", &criteria.to_string()])["findings"][0];
        let adjustments = f["inspectorScoreDetails"]["adjustedCvss"]["adjustments"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["metric"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        (f["inspectorScore"].as_f64().expect("score"), adjustments)
    };
    assert_eq!(urllib3_score("i-0app0000000000002"), (8.1, vec![]));

    let files = fixtures();
    let r = s.native(
        "/vigil/v1/network/analyze",
        &json!({"format": "aws", "files": files}),
    );
    assert_eq!(r["exposures"], 5, "{r:#}");
    assert_eq!(r["findings"]["new"], 5, "{r:#}");
    // the deliberately bad entries are reported, the rest analysed
    let problems = r["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["origin"] == "describe-buckets.json"),
        "{r:#}"
    );
    assert!(
        problems.iter().any(|p| p["origin"] == "truncated.json"),
        "{r:#}"
    );
    // the Vigil score follows the network: the unreachable host's network-vector findings are
    // re-scored as Adjacent (no rescan); the reachable web server's keep their score
    assert_eq!(r["rescoredHosts"], 2, "{r:#}");
    let (score, adjustments) = urllib3_score("i-0app0000000000002");
    // CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N/MAV:A = 7.3 (Red Hat's `cvss`: the same
    // as AV:A)
    assert_eq!((score, adjustments), (7.3, vec!["MAV".to_owned()]));
    assert_eq!(urllib3_score("i-0web0000000000001"), (8.1, vec![]));
    // top risks: the same CVE ranks higher on the internet-facing web server than on the
    // private app server, and each says why
    let top = s.native("/vigil/v1/findings/top-risks", &json!({"maxResults": 6}));
    let ranked = top["topRisks"].as_array().expect("top risks");
    assert_eq!(ranked.len(), 6, "{top:#}");
    assert_eq!(ranked[0]["resourceId"], "i-0web0000000000001", "{top:#}");
    assert_eq!(ranked[0]["score"], 8.1);
    let why0: Vec<&str> = ranked[0]["why"]
        .as_array()
        .expect("why")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(why0[0].starts_with("CVSS 3.1 base 8.1"), "{why0:?}");
    assert!(
        why0.iter().any(|w| w.starts_with("fix available: 1.26.17")),
        "{why0:?}"
    );
    let private = ranked
        .iter()
        .find(|r| r["resourceId"] == "i-0app0000000000002")
        .expect("the private host's finding ranks in the top 6");
    assert_eq!(private["score"], 7.3);
    assert!(
        private["why"].as_array().is_some_and(|w| w
            .iter()
            .any(|x| x.as_str().is_some_and(|x| x.contains("no internet path")))),
        "{private}"
    );
    let scores: Vec<f64> = ranked.iter().filter_map(|r| r["score"].as_f64()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(
        s.native("/vigil/v1/findings/top-risks", &json!({"maxResults": 0}))["status"],
        400
    );
    // aggregations sort by it too (Vigil's `VIGIL_SCORE` sortBy): by vulnerability, highest
    // score first
    let agg = s.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "TITLE",
        "--aggregation-request",
        r#"{"titleAggregation": {"sortBy": "VIGIL_SCORE", "sortOrder": "DESC"}}"#,
    ]);
    let titles: Vec<&str> = agg["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .filter_map(|r| r["titleAggregation"]["title"].as_str())
        .collect();
    assert_eq!(titles.first(), Some(&"CVE-2023-43804 - urllib3"), "{agg:#}");
    let raw = s.native(
        "/findings/aggregation/list",
        &json!({"aggregationType": "TITLE",
                "aggregationRequest": {"titleAggregation": {"sortBy": "VIGIL_SCORE", "sortOrder": "ASC"}}}),
    );
    let scores: Vec<f64> = raw["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| {
            r["titleAggregation"]["vigilMaxScore"]
                .as_f64()
                .unwrap_or(0.0)
        })
        .collect();
    assert!(
        scores.len() > 5 && scores.windows(2).all(|w| w[0] <= w[1]),
        "{scores:?}"
    );

    let open = network_findings(&s, "ACTIVE");
    assert_eq!(open.len(), 5);
    let ssh = open
        .iter()
        .find(|f| f["networkReachabilityDetails"]["openPortRange"]["begin"] == 22)
        .expect("the SSH finding");
    assert_eq!(ssh["severity"], "HIGH");
    assert_eq!(ssh["resources"][0]["id"], "i-0web0000000000001");
    assert_eq!(ssh["networkReachabilityDetails"]["protocol"], "TCP");
    let steps: Vec<&str> = ssh["networkReachabilityDetails"]["networkPath"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["componentType"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "AWS::EC2::InternetGateway",
            "AWS::EC2::NetworkAcl",
            "AWS::EC2::RouteTable",
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::NetworkInterface",
            "AWS::EC2::Instance"
        ]
    );
    // the exact sources (the office range, minus the half the ACL denies)
    assert!(
        ssh["description"]
            .as_str()
            .is_some_and(|d| d.contains("(sources: 203.0.113.0/25)")),
        "{ssh}"
    );
    // the inspector2 filter criteria apply to them (portRange, networkProtocol)
    let criteria = json!({"portRange": [{"beginInclusive": 0, "endInclusive": 1023}],
                          "networkProtocol": [{"comparison": "EQUALS", "value": "TCP"}]});
    let low = s.aws(&["list-findings", "--filter-criteria", &criteria.to_string()]);
    assert_eq!(low["findings"].as_array().map(Vec::len), Some(2), "{low}");

    // the same input again: nothing new, nothing closed
    let again = s.native(
        "/vigil/v1/network/analyze",
        &json!({"format": "aws", "files": fixtures()}),
    );
    assert_eq!(
        again["findings"],
        json!({"open": 5, "new": 0, "reopened": 0, "closed": 0})
    );

    // the SSH rule removed: its finding closes; the host's package findings are untouched
    let mut files = fixtures();
    let sg = files
        .get_mut("describe-security-groups.json")
        .expect("security groups");
    let mut v: Value = serde_json::from_str(sg).expect("json");
    let perms = v["SecurityGroups"][0]["IpPermissions"]
        .as_array_mut()
        .expect("permissions");
    perms.retain(|p| p["FromPort"] != 22);
    *sg = v.to_string();
    let r = s.native(
        "/vigil/v1/network/analyze",
        &json!({"format": "aws", "files": files}),
    );
    assert_eq!(r["findings"]["closed"], 1, "{r:#}");
    let closed = network_findings(&s, "CLOSED");
    assert_eq!(closed.len(), 1);
    assert_eq!(
        closed[0]["networkReachabilityDetails"]["openPortRange"]["begin"],
        22
    );
    let criteria = json!({
        "findingType": [{"comparison": "EQUALS", "value": "PACKAGE_VULNERABILITY"}],
        "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
        "resourceId": [{"comparison": "EQUALS", "value": "i-0web0000000000001"}],
    });
    let pkg = s.aws(&[
        "list-findings",
        "--filter-criteria",
        &criteria.to_string(),
        "--max-results",
        "100",
    ]);
    assert_eq!(
        pkg["findings"].as_array().map(|a| a.len() as u64),
        Some(packages)
    );
    // and a rescan of the host leaves the network findings alone
    let rescanned = s.native(
        "/vigil/v1/scans",
        &json!({"sbom": sbom, "resourceId": "i-0web0000000000001"}),
    );
    assert_eq!(rescanned["closed"], 0, "{rescanned}");
    assert_eq!(network_findings(&s, "ACTIVE").len(), 4);

    // the YAML model works the same way; bad requests name the member
    let yaml = std::fs::read_to_string(repo().join("crates/vigil-network/testdata/example.yaml"))
        .expect("example");
    let r = s.native(
        "/vigil/v1/network/analyze",
        &json!({"format": "yaml", "model": yaml}),
    );
    assert!(r["exposures"].as_u64() > Some(0), "{r:#}");
    for bad in [
        json!({"format": "gcp"}),
        json!({"format": "aws"}),
        json!({"format": "aws", "files": {}}),
        json!({"format": "yaml", "model": "networks: [1"}),
        json!({"format": "yaml", "model": "x", "extra": 1}),
    ] {
        let r = s.native("/vigil/v1/network/analyze", &bad);
        assert_eq!(r["status"], 400, "{bad}: {r}");
    }
}

/// `vigil network analyze`: locally (table and JSON, what was ignored on stderr) and through a
/// server.
#[test]
fn the_cli_analyses_files_locally_and_through_a_server() {
    let dir = repo().join("crates/vigil-network/testdata/aws/web-and-app");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let out = common::run(
        common::vigil()
            .args(["network", "analyze", "--format", "json"])
            .args(&files),
    );
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["exposures"].as_array().map(Vec::len), Some(5), "{v:#}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ignored: describe-buckets.json"),
        "{stderr}"
    );
    let table = common::run_ok(
        common::vigil()
            .args(["network", "analyze", "--yaml"])
            .arg(repo().join("examples/network/two-hosts.yaml")),
    );
    assert!(
        table.starts_with("2 hosts, 1 exposures, 0 problems"),
        "{table}"
    );
    assert!(
        table.contains("igw-demo > acl-open > rtb-public > sg-web > eni-web-1 > web-1"),
        "{table}"
    );
    // a missing file and --yaml with two files are clear errors
    let bad = common::run(common::vigil().args(["network", "analyze", "/nonexistent.json"]));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent.json"));
    let bad = common::run(
        common::vigil()
            .args(["network", "analyze", "--yaml"])
            .args(&files[..2]),
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("exactly one file"));

    // through a server: the findings are recorded
    tools_present();
    let s = start();
    let mut c = common::vigil();
    s.env(&mut c);
    c.args(["network", "analyze", "--server", &s.url])
        .args(&files);
    let answer: Value = serde_json::from_str(&common::run_ok(&mut c)).expect("answer");
    assert_eq!(answer["exposures"], 5, "{answer:#}");
    assert_eq!(network_findings(&s, "ACTIVE").len(), 5);
}

/// The Vigil score's exposed-service adjustment: a host whose agent reports that a process
/// running the vulnerable package listens on a port the network analysis finds reachable gets
/// +0.5 on that package's findings, with the reason.
#[test]
fn a_vulnerable_package_behind_an_exposed_port_is_raised() {
    tools_present();
    let s = start();
    let work = tempfile::tempdir().expect("tmp");
    let root = work.path().join("root");
    let site = root.join("usr/local/lib/python3.11/site-packages/urllib3-1.24.1.dist-info");
    std::fs::create_dir_all(&site).expect("site");
    std::fs::create_dir_all(root.join("etc")).expect("etc");
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )
    .expect("os-release");
    std::fs::write(
        site.join("METADATA"),
        "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n",
    )
    .expect("metadata");
    let sbom_path = work.path().join("host.cdx.json");
    common::run_ok(
        common::vigil()
            .args(["sbom", "--format", "cyclonedx", "-q", "-o"])
            .arg(&sbom_path)
            .arg(&root),
    );
    let sbom: Value =
        serde_json::from_str(&std::fs::read_to_string(&sbom_path).expect("sbom")).expect("json");
    let submit = |listening: Value| {
        s.native(
            "/vigil/v1/scans",
            &json!({"sbom": sbom, "resourceId": "web-1",
                    "host": {"hostname": "web-1", "listening": listening}}),
        )
    };
    let r = submit(json!([
        {"protocol": "tcp", "address": "0.0.0.0", "port": 443, "process": "gunicorn", "packages": ["urllib3"]},
        {"protocol": "tcp", "address": "127.0.0.1", "port": 8125, "process": "statsd", "packages": ["urllib3"]},
    ]));
    assert!(r["new"].as_u64() > Some(0), "{r}");
    let score = || -> (f64, Vec<String>) {
        let criteria = json!({
            "resourceId": [{"comparison": "EQUALS", "value": "web-1"}],
            "vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-2023-43804"}],
        });
        let f =
            &s.aws(&["list-findings", "--filter-criteria", &criteria.to_string()])["findings"][0];
        let reasons = f["inspectorScoreDetails"]["adjustedCvss"]["adjustments"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["reason"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        (f["inspectorScore"].as_f64().expect("score"), reasons)
    };
    assert_eq!(score(), (8.1, vec![]));
    let yaml =
        std::fs::read_to_string(repo().join("examples/network/two-hosts.yaml")).expect("example");
    let r = s.native(
        "/vigil/v1/network/analyze",
        &json!({"format": "yaml", "model": yaml}),
    );
    assert_eq!(r["rescoredHosts"], 1, "{r:#}");
    assert_eq!(
        score(),
        (
            8.6,
            vec![
                "gunicorn runs urllib3 and listens on TCP 443, which the internet reaches (+0.5)"
                    .to_owned()
            ]
        )
    );
    // the process moved to a port the internet does not reach: the next inventory drops it
    submit(json!([
        {"protocol": "tcp", "address": "0.0.0.0", "port": 9443, "process": "gunicorn", "packages": ["urllib3"]},
    ]));
    assert_eq!(score(), (8.1, vec![]));
    // packages must be package names
    let bad =
        submit(json!([{"protocol": "tcp", "address": "0.0.0.0", "port": 1, "packages": ["a b"]}]));
    assert_eq!(bad["status"], 400, "{bad}");
}

//! Findings exported as ASFF (Security Hub) and OCSF (Vulnerability Finding 2002) through
//! `POST /vigil/v1/findings/export`, for a mix of findings: packages on an EC2 host, an ECR
//! image and a Lambda function, NETWORK_REACHABILITY, CLOSED and SUPPRESSED findings. Every
//! exported finding is validated: ASFF with botocore's securityhub model (BatchImportFindings'
//! `AwsSecurityFinding`, plus enums and patterns), OCSF with the class's JSON Schema generated
//! by ocsf-json-schema (see `tests/validate_formats.py`).

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::{Server, demo_sbom, make_zip, network_fixtures, start, tools_present};
use serde_json::{Value, json};

/// Validates `docs` with `validate_formats.py KIND`; answers its report.
fn validate(s: &Server, kind: &str, docs: &Value) -> Value {
    let file = s.dir.path().join(format!("{kind}.json"));
    std::fs::write(&file, docs.to_string()).expect("write");
    let out = Command::new("python3")
        .arg(format!(
            "{}/tests/validate_formats.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg(kind)
        .arg(&file)
        .output()
        .expect("python3");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "validator output: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "{kind} invalid: {report:#}");
    report
}

/// Every page of an export.
fn export_all(s: &Server, format: &str, criteria: Option<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let mut body = json!({"format": format, "maxResults": 40});
        if let Some(c) = &criteria {
            body["filterCriteria"] = c.clone();
        }
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = s.native("/vigil/v1/findings/export", &body);
        assert_eq!(page["format"], format, "{page}");
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
    panic!("export pages do not end");
}

#[test]
fn a_mix_of_findings_exports_as_valid_asff_and_ocsf() {
    tools_present();
    let s = start();
    let work = tempfile::tempdir().expect("tmp");
    let sbom: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_sbom(work.path())).expect("sbom"))
            .expect("json");

    // an ECR image: the demo image's SBOM as it is
    let image = s.native(
        "/vigil/v1/scans",
        &json!({"sbom": sbom, "resourceId": "sha256:1111111111111111111111111111111111111111111111111111111111111111"}),
    );
    assert_eq!(image["resourceType"], "AWS_ECR_CONTAINER_IMAGE", "{image}");
    // an EC2 host: the same packages without the image facts, sent with host facts
    let mut host_sbom = sbom.clone();
    if let Some(props) = host_sbom
        .pointer_mut("/metadata/component/properties")
        .and_then(Value::as_array_mut)
    {
        props.retain(|p| !p["name"].as_str().unwrap_or("").starts_with("vigil:image:"));
    }
    let host = s.native(
        "/vigil/v1/scans",
        &json!({"sbom": host_sbom, "resourceId": "i-0web0000000000001",
                "host": {"hostname": "web-1", "ipV4Addresses": ["10.0.1.10"]}}),
    );
    assert_eq!(host["resourceType"], "AWS_EC2_INSTANCE", "{host}");
    // a Lambda function
    let (code, _) = make_zip(
        &work.path().join("code.zip"),
        &[
            ("app.py", "def handler(event, context):\n    return 1\n"),
            ("requirements.txt", "requests==2.19.0\nurllib3==1.24.1\n"),
        ],
    );
    let (layer, _) = make_zip(
        &work.path().join("layer.zip"),
        &[(
            "python/lib/python3.11/site-packages/Jinja2-2.10.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\n",
        )],
    );
    let function = s.native(
        "/vigil/v1/functions/publish",
        &json!({"functionName": "orders", "runtime": "python3.11", "handler": "app.handler",
                "tags": {"team": "payments"}, "code": code,
                "layers": [{"name": "deps", "content": layer}]}),
    );
    assert!(
        function["findings"]["total"].as_u64().expect("total") > 0,
        "{function}"
    );
    // NETWORK_REACHABILITY findings from a network analysis
    let net = s.native(
        "/vigil/v1/network/analyze",
        &json!({"format": "aws", "files": network_fixtures()}),
    );
    assert!(net["findings"]["new"].as_u64().expect("new") > 0, "{net}");
    // SUPPRESSED: a rule with a reason; CLOSED: the host upgrades requests
    s.aws(&[
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
    for c in host_sbom["components"].as_array_mut().expect("components") {
        if c["name"] == "requests" {
            c["version"] = json!("2.32.3");
            c["purl"] = json!("pkg:pypi/requests@2.32.3");
        }
    }
    let rescan = s.native(
        "/vigil/v1/scans",
        &json!({"sbom": host_sbom, "resourceId": "i-0web0000000000001",
                "host": {"hostname": "web-1", "ipV4Addresses": ["10.0.1.10"]}}),
    );
    assert!(rescan["closed"].as_u64().expect("closed") > 0, "{rescan}");

    let total = s.aws(&["list-findings", "--max-results", "100"]);
    let mut n = total["findings"].as_array().expect("findings").len();
    let mut token = total["nextToken"].as_str().map(str::to_owned);
    while let Some(t) = token {
        let page = s.aws(&["list-findings", "--max-results", "100", "--next-token", &t]);
        n += page["findings"].as_array().expect("findings").len();
        token = page["nextToken"].as_str().map(str::to_owned);
    }

    // ASFF: every finding, valid for BatchImportFindings, every kind present
    let asff = export_all(&s, "ASFF", None);
    assert_eq!(asff.len(), n, "one ASFF finding per finding");
    let report = validate(&s, "asff", &Value::Array(asff.clone()));
    assert_eq!(report["valid"], n as u64, "{report}");
    let resource_types: BTreeSet<&str> = asff
        .iter()
        .filter_map(|f| f["Resources"][0]["Type"].as_str())
        .collect();
    for t in [
        "AwsEc2Instance",
        "AwsEcrContainerImage",
        "AwsLambdaFunction",
    ] {
        assert!(
            resource_types.contains(t),
            "{t} missing: {resource_types:?}"
        );
    }
    let network: Vec<&Value> = asff
        .iter()
        .filter(|f| {
            f["Types"][0]
                == "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"
        })
        .collect();
    assert!(!network.is_empty());
    assert!(
        network
            .iter()
            .all(|f| f.get("Vulnerabilities").is_none() && f["NetworkPath"].is_array())
    );
    let closed: Vec<&Value> = asff
        .iter()
        .filter(|f| f["RecordState"] == "ARCHIVED")
        .collect();
    assert!(
        !closed.is_empty() && closed.iter().all(|f| f["Workflow"]["Status"] == "RESOLVED"),
        "CLOSED findings are archived"
    );
    let suppressed: Vec<&Value> = asff
        .iter()
        .filter(|f| f["Workflow"]["Status"] == "SUPPRESSED")
        .collect();
    assert!(!suppressed.is_empty());
    for f in &suppressed {
        assert_eq!(f["RecordState"], "ACTIVE");
        assert_eq!(
            f["ProductFields"]["vigil/SuppressionReason"],
            "accepted risk: internal tool"
        );
        assert!(
            f["Note"]["Text"]
                .as_str()
                .is_some_and(|t| t.contains("accepted risk")),
            "{f}"
        );
        assert_eq!(
            f["Vulnerabilities"][0]["VulnerablePackages"][0]["Name"],
            "urllib3"
        );
    }
    // what is claimed: Vigil's product in the caller's account, never Amazon Inspector
    for f in &asff {
        assert_eq!(f["CompanyName"], "Vigil");
        assert_eq!(
            f["ProductArn"],
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
        );
        assert!(
            f["ProductFields"]
                .get("aws/inspector/ProductVersion")
                .is_none()
        );
        assert!(
            f["Resources"][0].get("Partition").is_none(),
            "partition vigil is not AWS's"
        );
    }
    // the package vulnerability as Inspector sends it: CVE type, CVSS, EPSS, fix availability
    let pkg = asff
        .iter()
        .find(|f| {
            f["Resources"][0]["Type"] == "AwsEcrContainerImage"
                && f["Vulnerabilities"][0]["Cvss"].is_array()
        })
        .expect("an image finding with CVSS");
    assert_eq!(
        pkg["Types"][0],
        "Software and Configuration Checks/Vulnerabilities/CVE"
    );
    assert!(pkg["Vulnerabilities"][0]["FixAvailable"].is_string());
    assert_eq!(
        pkg["Resources"][0]["Details"]["AwsEcrContainerImage"]["ImageDigest"],
        "sha256:1111111111111111111111111111111111111111111111111111111111111111"
    );
    let lambda = asff
        .iter()
        .find(|f| f["Resources"][0]["Type"] == "AwsLambdaFunction")
        .expect("lambda");
    assert_eq!(
        lambda["Resources"][0]["Details"]["AwsLambdaFunction"]["FunctionName"],
        "orders"
    );
    assert_eq!(lambda["Resources"][0]["Tags"]["team"], "payments");
    assert!(
        lambda["Resources"][0]["Details"]["AwsLambdaFunction"]["Layers"][0]["Arn"]
            .as_str()
            .is_some_and(|a| a.contains(":layer:deps:")),
        "{lambda}"
    );
    // a package of the layer names the layer it came from
    assert!(
        asff.iter().any(
            |f| f["Vulnerabilities"][0]["VulnerablePackages"][0]["SourceLayerArn"]
                .as_str()
                .is_some_and(|a| a.contains(":layer:deps:"))
        ),
        "no finding names its Lambda layer"
    );

    // OCSF: every finding, valid against the class schema
    let ocsf = export_all(&s, "OCSF", None);
    assert_eq!(ocsf.len(), n);
    let report = validate(&s, "ocsf", &Value::Array(ocsf.clone()));
    assert_eq!(report["valid"], n as u64, "{report}");
    let statuses: BTreeSet<u64> = ocsf
        .iter()
        .filter_map(|e| e["status_id"].as_u64())
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from([1, 3, 4]),
        "new, suppressed and resolved"
    );
    assert!(
        ocsf.iter()
            .all(|e| e["class_uid"] == 2002 && e["category_uid"] == 2)
    );
    assert!(ocsf.iter().any(|e| {
        e["vulnerabilities"][0]["cve"]["uid"]
            .as_str()
            .is_some_and(|c| c.starts_with("CVE-"))
            && e["vulnerabilities"][0]["affected_packages"][0]["purl"].is_string()
    }));

    // filters narrow the export as they narrow ListFindings
    let criteria = json!({"findingStatus": [{"comparison": "EQUALS", "value": "SUPPRESSED"}]});
    let only = export_all(&s, "OCSF", Some(criteria));
    assert_eq!(only.len(), suppressed.len());
    assert!(only.iter().all(|e| e["status_id"] == 3));

    // bad requests
    for body in [
        json!({"format": "CEF"}),
        json!({}),
        json!({"format": "ASFF", "maxResults": 0}),
        json!({"format": "ASFF", "nextToken": "bogus"}),
        json!({"format": "ASFF", "sortCriteria": {}}),
    ] {
        let r = s.native("/vigil/v1/findings/export", &body);
        assert_eq!(r["status"], 400, "{body}: {r}");
        assert_eq!(r["type"], "ValidationException", "{body}: {r}");
    }
}

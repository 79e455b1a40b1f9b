//! Account status, configuration, vulnerability search and `inspector-scan` ScanSbom end to
//! end, driven by the real AWS CLI and boto3: enablement per resource type (own account only),
//! ECR/EC2 configuration, `search-vulnerabilities` over the bundled advisories (plus one GHSA
//! record carrying the CVSS vector, to show records with the same alias merge), and
//! `scan-sbom` of the demo image's CycloneDX SBOM.

mod common;

use common::*;
use serde_json::{Value, json};

const GHSA: &str = r#"{
  "schema_version": "1.6.0",
  "id": "GHSA-x84v-xcm2-53pg",
  "aliases": ["CVE-2018-18074"],
  "summary": "Insufficiently Protected Credentials in Requests",
  "details": "The Requests package through 2.19.1 before 2018-09-14 for Python sends an HTTP Authorization header to an http URI upon receiving a same-hostname https-to-http redirect.",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
  "affected": [{
    "package": {"ecosystem": "PyPI", "name": "requests"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}]
  }],
  "references": [
    {"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2018-18074"},
    {"type": "PACKAGE", "url": "https://github.com/psf/requests"}
  ],
  "database_specific": {"cwe_ids": ["CWE-522"], "severity": "HIGH", "github_reviewed": true},
  "published": "2018-10-29T19:06:46Z",
  "modified": "2023-08-29T22:11:07Z"
}"#;

fn resource_status(v: &Value, key: &str) -> String {
    v["accounts"][0]["resourceState"][key]["status"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn account_status_and_configuration_through_the_aws_cli_and_boto3() {
    tools_present();
    let s = start_with(&[("GHSA-x84v-xcm2-53pg.json", GHSA)]);

    // a new account scans EC2, ECR and Lambda
    let st = s.aws(&["batch-get-account-status"]);
    assert_eq!(st["accounts"][0]["accountId"], ACCOUNT, "{st}");
    assert_eq!(st["accounts"][0]["state"]["status"], "ENABLED", "{st}");
    assert_eq!(resource_status(&st, "ec2"), "ENABLED");
    assert_eq!(resource_status(&st, "ecr"), "ENABLED");
    assert_eq!(resource_status(&st, "lambda"), "ENABLED");
    assert_eq!(resource_status(&st, "lambdaCode"), "DISABLED");
    assert_eq!(resource_status(&st, "codeRepository"), "DISABLED");

    // disable ECR, then enable it again with Lambda code
    let d = s.aws(&["disable", "--resource-types", "ECR"]);
    assert_eq!(d["accounts"][0]["accountId"], ACCOUNT, "{d}");
    assert_eq!(d["accounts"][0]["status"], "ENABLED", "{d}");
    assert_eq!(d["accounts"][0]["resourceStatus"]["ecr"], "DISABLED", "{d}");
    assert_eq!(d["accounts"][0]["resourceStatus"]["ec2"], "ENABLED", "{d}");
    assert_eq!(
        resource_status(&s.aws(&["batch-get-account-status"]), "ecr"),
        "DISABLED"
    );
    let e = s.aws(&["enable", "--resource-types", "ECR", "LAMBDA_CODE"]);
    assert_eq!(e["accounts"][0]["resourceStatus"]["ecr"], "ENABLED", "{e}");
    assert_eq!(
        e["accounts"][0]["resourceStatus"]["lambdaCode"], "ENABLED",
        "{e}"
    );
    assert_eq!(e["failedAccounts"], json!([]), "{e}");
    let st = s.aws(&["batch-get-account-status"]);
    assert_eq!(resource_status(&st, "ecr"), "ENABLED");
    assert_eq!(resource_status(&st, "lambdaCode"), "ENABLED");

    // another account is refused, per account
    let st = s.aws(&[
        "batch-get-account-status",
        "--account-ids",
        ACCOUNT,
        "444455556666",
    ]);
    assert_eq!(
        st["accounts"].as_array().expect("accounts").len(),
        1,
        "{st}"
    );
    assert_eq!(st["failedAccounts"][0]["accountId"], "444455556666", "{st}");
    assert_eq!(
        st["failedAccounts"][0]["errorCode"], "ACCESS_DENIED",
        "{st}"
    );
    let e = s.aws(&[
        "enable",
        "--account-ids",
        "444455556666",
        "--resource-types",
        "EC2",
    ]);
    assert_eq!(e["accounts"], json!([]), "{e}");
    assert_eq!(e["failedAccounts"][0]["errorCode"], "ACCESS_DENIED", "{e}");

    // disabling without resource types disables the account
    let d = s.aws(&["disable"]);
    assert_eq!(d["accounts"][0]["status"], "DISABLED", "{d}");
    let st = s.aws(&["batch-get-account-status"]);
    assert_eq!(st["accounts"][0]["state"]["status"], "DISABLED", "{st}");
    assert_eq!(resource_status(&st, "ec2"), "DISABLED");
    s.aws(&["enable", "--resource-types", "EC2", "ECR", "LAMBDA"]);

    // configuration: defaults, then updates
    let c = s.aws(&["get-configuration"]);
    let r = &c["ecrConfiguration"]["rescanDurationState"];
    assert_eq!(r["rescanDuration"], "LIFETIME", "{c}");
    assert_eq!(r["status"], "SUCCESS", "{c}");
    assert_eq!(
        c["ec2Configuration"]["scanModeState"]["scanMode"], "EC2_SSM_AGENT_BASED",
        "{c}"
    );
    let u = s.aws(&[
        "update-configuration",
        "--ecr-configuration",
        "rescanDuration=DAYS_30",
    ]);
    assert!(u.is_null() || u == json!({}), "{u}");
    s.aws(&[
        "update-configuration",
        "--ec2-configuration",
        "scanMode=EC2_HYBRID",
    ]);
    let c = s.aws(&["get-configuration"]);
    let r = &c["ecrConfiguration"]["rescanDurationState"];
    assert_eq!(r["rescanDuration"], "DAYS_30", "{c}");
    assert!(!r["updatedAt"].is_null(), "{c}");
    assert_eq!(
        c["ec2Configuration"]["scanModeState"]["scanMode"], "EC2_HYBRID",
        "{c}"
    );

    // the same through boto3, with the errors
    let out = s.python(
        r#"
import json, os, boto3, botocore
c = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"], region_name="us-east-1")
out = {}
out["status"] = c.batch_get_account_status()["accounts"][0]["resourceState"]["ecr"]["status"]
c.update_configuration(ecrConfiguration={"rescanDuration": "DAYS_90", "pullDateRescanDuration": "DAYS_14", "pullDateRescanMode": "LAST_IN_USE_AT"})
r = c.get_configuration()["ecrConfiguration"]["rescanDurationState"]
out["rescan"] = [r["rescanDuration"], r["pullDateRescanDuration"], r["pullDateRescanMode"], r["updatedAt"].year > 2000]
def err(f, **kw):
    try:
        f(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response["Error"]["Code"], e.response["Error"]["Message"]]
out["bad_type"] = err(c.enable, resourceTypes=["S3"])
out["bad_duration"] = err(c.update_configuration, ecrConfiguration={"rescanDuration": "DAYS_7"})
out["bad_account"] = err(c.batch_get_account_status, accountIds=["12345678901x"])
print(json.dumps(out))
"#,
    );
    assert_eq!(out["status"], "ENABLED", "{out}");
    assert_eq!(
        out["rescan"],
        json!(["DAYS_90", "DAYS_14", "LAST_IN_USE_AT", true]),
        "{out}"
    );
    for k in ["bad_type", "bad_duration", "bad_account"] {
        assert_eq!(out[k][0], "ValidationException", "{k}: {out}");
    }
    assert!(
        out["bad_duration"][1]
            .as_str()
            .is_some_and(|m| m.contains("ecrConfiguration.rescanDuration")),
        "{out}"
    );
    drop(s);
}

#[test]
fn search_vulnerabilities_merges_the_advisory_database() {
    tools_present();
    let s = start_with(&[("GHSA-x84v-xcm2-53pg.json", GHSA)]);
    let v = s.aws(&[
        "search-vulnerabilities",
        "--filter-criteria",
        "vulnerabilityIds=CVE-2018-18074",
    ]);
    let list = v["vulnerabilities"].as_array().expect("vulnerabilities");
    assert_eq!(list.len(), 1, "{v}");
    let x = &list[0];
    assert_eq!(x["id"], "CVE-2018-18074", "{x}");
    assert_eq!(x["source"], "NVD", "{x}");
    assert_eq!(
        x["sourceUrl"],
        "https://nvd.nist.gov/vuln/detail/CVE-2018-18074"
    );
    // the GHSA record's vector, scored by Vigil
    assert_eq!(x["cvss3"]["baseScore"], json!(7.5), "{x}");
    assert_eq!(
        x["cvss3"]["scoringVector"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
    );
    assert_eq!(x["vendorSeverity"], "HIGH", "{x}");
    assert_eq!(x["cwes"], json!(["CWE-522"]), "{x}");
    // both records: the PyPI advisory and GitHub's
    let related: Vec<&str> = x["relatedVulnerabilities"]
        .as_array()
        .expect("related")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(related.contains(&"PYSEC-2018-28"), "{x}");
    assert!(related.contains(&"GHSA-x84v-xcm2-53pg"), "{x}");
    assert!(
        x["description"]
            .as_str()
            .is_some_and(|d| d.contains("Authorization header")),
        "{x}"
    );
    let refs = x["referenceUrls"].as_array().expect("refs");
    assert!(
        refs.contains(&json!("https://github.com/requests/requests/pull/4718")),
        "{x}"
    );
    assert_eq!(x["detectionPlatforms"], json!(["PyPI"]), "{x}");
    assert!(
        x["epss"]["score"].as_f64().is_some_and(|e| e > 0.0),
        "bundled EPSS: {x}"
    );
    assert!(!x["vendorCreatedAt"].is_null(), "{x}");
    assert!(!x["vendorUpdatedAt"].is_null(), "{x}");

    // an id the database does not know: an empty list
    let none = s.aws(&[
        "search-vulnerabilities",
        "--filter-criteria",
        "vulnerabilityIds=CVE-2099-0001",
    ]);
    assert_eq!(none["vulnerabilities"], json!([]), "{none}");

    // boto3: timestamps parse; one id at most; a non-CVE id the database knows
    let out = s.python(
        r#"
import json, os, boto3, botocore
c = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"], region_name="us-east-1")
v = c.search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["cve-2018-18074"]})["vulnerabilities"][0]
out = {"id": v["id"], "year": v["vendorCreatedAt"].year, "score": v["cvss3"]["baseScore"]}
out["pysec"] = c.search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["PYSEC-2018-28"]})["vulnerabilities"][0]["id"]
try:
    c.search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["CVE-2018-18074", "CVE-2018-1000"]})
    out["two"] = None
except botocore.exceptions.ClientError as e:
    out["two"] = e.response["Error"]["Code"]
try:
    c.search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["CVE-2018-18074"], "cveIds": []})
    out["unknown"] = None
except (botocore.exceptions.ClientError, botocore.exceptions.ParamValidationError) as e:
    out["unknown"] = type(e).__name__
print(json.dumps(out))
"#,
    );
    assert_eq!(out["id"], "CVE-2018-18074", "{out}");
    assert_eq!(out["year"], 2018, "{out}");
    assert_eq!(out["score"], json!(7.5), "{out}");
    assert_eq!(out["pysec"], "PYSEC-2018-28", "{out}");
    assert_eq!(out["two"], "ValidationException", "{out}");
    assert!(!out["unknown"].is_null(), "{out}");
    drop(s);
}

#[test]
fn scan_sbom_reports_the_demo_images_vulnerabilities() {
    tools_present();
    let s = start_with(&[("GHSA-x84v-xcm2-53pg.json", GHSA)]);
    let sbom = demo_sbom(s.dir.path());
    // the AWS CLI sends what Inspector accepts: CycloneDX 1.5
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&sbom).expect("sbom")).expect("json");
    doc["specVersion"] = json!("1.5");
    // requests 2.19.0 is installed once and declared once: two components
    let requests_refs: Vec<String> = doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter(|c| c["name"] == "requests" && c["version"] == "2.19.0")
        .filter_map(|c| c["bom-ref"].as_str().map(str::to_owned))
        .collect();
    assert!(
        !requests_refs.is_empty(),
        "requests components with bom-refs"
    );
    let sbom15 = s.dir.path().join("demo.cdx15.json");
    std::fs::write(&sbom15, doc.to_string()).expect("write");
    let arg = format!("file://{}", sbom15.display());

    let out = s.aws_service(
        "inspector-scan",
        &[
            "scan-sbom",
            "--sbom",
            &arg,
            "--output-format",
            "CYCLONE_DX_1_5",
        ],
    );
    let report = &out["sbom"];
    assert_eq!(report["bomFormat"], "CycloneDX", "{report}");
    assert_eq!(
        report["components"], doc["components"],
        "the input SBOM comes back"
    );
    let vulns = report["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities");
    assert!(vulns.len() >= 5, "{}", vulns.len());
    let v = vulns
        .iter()
        .find(|v| v["id"] == "CVE-2018-18074")
        .expect("CVE-2018-18074 reported");
    let affects: Vec<Value> = requests_refs.iter().map(|r| json!({"ref": r})).collect();
    assert_eq!(v["affects"], json!(affects), "{v}");
    assert_eq!(v["source"]["name"], "NVD", "{v}");
    let rating = &v["ratings"][0];
    assert_eq!(rating["score"], json!(7.5), "{v}");
    assert_eq!(rating["severity"], "high", "{v}");
    assert_eq!(rating["method"], "CVSSv31", "{v}");
    let props = v["properties"].as_array().expect("properties");
    for r in &requests_refs {
        assert!(
            props.contains(&json!({
                "name": format!("amazon:inspector:sbom_scanner:fixed_version:{r}"),
                "value": "2.20.0"
            })),
            "{v}"
        );
    }
    let refs: Vec<&Value> = v["references"]
        .as_array()
        .expect("references")
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert!(refs.contains(&&json!("GHSA-x84v-xcm2-53pg")), "{v}");
    let meta: Vec<&Value> = report["metadata"]["properties"]
        .as_array()
        .expect("metadata properties")
        .iter()
        .filter(|p| {
            p["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("amazon:inspector:sbom_scanner:"))
        })
        .collect();
    assert_eq!(meta.len(), 4, "{meta:?}");
    // every affects ref names a component of the input
    let refs_in: Vec<&str> = doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    for v in vulns {
        for a in v["affects"].as_array().expect("affects") {
            assert!(
                refs_in.contains(&a["ref"].as_str().unwrap_or("")),
                "{a} is not a component"
            );
        }
    }

    // boto3, INSPECTOR format, and the errors
    let out = s.python(&format!(
        r#"
import json, os, boto3, botocore
c = boto3.client("inspector-scan", endpoint_url=os.environ["VIGIL_URL"], region_name="us-east-1")
doc = json.load(open({path:?}))
r = c.scan_sbom(sbom=doc, outputFormat="INSPECTOR")["sbom"]
v = [x for x in r["vulnerabilities"] if x["id"] == "CVE-2018-18074"][0]
out = {{"status": r["status"], "severity": v["severity"], "fixed": v["affects"][0].get("fixedInVersion"),
       "name": v["affects"][0].get("name"), "version": v["affects"][0].get("version"),
       "spec": r["sbom"]["specVersion"]}}
def err(**kw):
    try:
        c.scan_sbom(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
out["spdx"] = err(sbom={{"spdxVersion": "SPDX-2.3"}})
out["old"] = err(sbom={{"bomFormat": "CycloneDX", "specVersion": "1.2", "components": []}})
out["format"] = err(sbom=doc, outputFormat="SPDX")
print(json.dumps(out))
"#,
        path = sbom15.display().to_string()
    ));
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["severity"], "HIGH", "{out}");
    assert_eq!(out["fixed"], "2.20.0", "{out}");
    assert_eq!(out["name"], "requests", "{out}");
    assert_eq!(out["version"], "2.19.0", "{out}");
    assert_eq!(out["spec"], "1.5", "{out}");
    for k in ["spdx", "old", "format"] {
        assert_eq!(out[k], "ValidationException", "{k}: {out}");
    }

    // the scan stored nothing: no findings, no resources
    let f = s.aws(&["list-findings"]);
    assert_eq!(f["findings"], json!([]), "{f}");
    drop(s);
}

//! Security Hub as a push target: a SECURITY_HUB destination turns finding events into ASFF
//! findings and sends them with BatchImportFindings (SigV4-signed) to a Security Hub endpoint
//! — moto's, on loopback — where boto3 reads them back; later changes (suppression, closing)
//! update the same findings there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// boto3's Security Hub against moto: every finding imported for the account.
fn hub_findings(s: &Server, moto: &Moto) -> Vec<Value> {
    let out = s.python(&format!(
        r#"
import json, boto3
hub = boto3.client("securityhub", endpoint_url={url:?}, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
found, token = [], None
while True:
    page = hub.get_findings(MaxResults=100, **({{"NextToken": token}} if token else {{}}))
    found += page["Findings"]
    token = page.get("NextToken")
    if not token:
        break
print(json.dumps(found, default=str))
"#,
        url = moto.url
    ));
    out.as_array().expect("findings").clone()
}

fn wait_until(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn finding_events_reach_security_hub_as_asff() {
    tools_present();
    let moto = start_moto(&[]);
    let s = start_full(
        &[],
        &[
            ("VIGIL_EVENT_RETRY_BASE_MS", "50"),
            ("VIGIL_EVENT_RETRY_CAP", "1"),
        ],
    );
    // bad settings are refused with the field named
    let bad = s.native(
        "/vigil/v1/destinations/create",
        &json!({"name": "hub", "type": "SECURITY_HUB", "eventPattern": {"source": ["aws.inspector2"]},
                "securityHub": {"endpoint": "http://securityhub.example.com", "region": "us-east-1",
                                "accessKeyId": "testing", "secretAccessKey": "testing"}}),
    );
    assert_eq!(bad["type"], "ValidationException", "{bad}");
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains("securityHub.endpoint"),
        "{bad}"
    );
    let created = s.native(
        "/vigil/v1/destinations/create",
        &json!({"name": "hub", "type": "SECURITY_HUB",
                "eventPattern": {"detail-type": ["Inspector2 Finding"]},
                "securityHub": {"endpoint": moto.url, "region": "us-east-1",
                                "accessKeyId": "testing", "secretAccessKey": "testing"}}),
    );
    assert_eq!(created["type"], "SECURITY_HUB", "{created}");
    // the secret access key is kept sealed and never shown again
    assert!(
        !created.to_string().contains("secretAccessKey"),
        "{created}"
    );
    let listed = s.native("/vigil/v1/destinations/list", &json!({}));
    assert!(!listed.to_string().contains("secretAccessKey"), "{listed}");

    let sbom = demo_sbom(s.dir.path());
    s.scan(&sbom.display().to_string(), "i-0123456789abcdef0");
    let ours = s.aws(&["list-findings", "--max-results", "100"])["findings"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!ours.is_empty());
    wait_until(60, "every finding in Security Hub", || {
        hub_findings(&s, &moto).len() == ours.len()
    });
    let hub = hub_findings(&s, &moto);
    let by_id = |id: &str| hub.iter().find(|f| f["Id"] == id).cloned();
    for f in &ours {
        let arn = f["findingArn"].as_str().unwrap();
        let h = by_id(arn).unwrap_or_else(|| panic!("{arn} not in Security Hub"));
        assert_eq!(h["SchemaVersion"], "2018-10-08");
        assert_eq!(h["AwsAccountId"], ACCOUNT);
        assert_eq!(
            h["ProductArn"],
            format!("arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default")
        );
        let label = match f["severity"].as_str().unwrap() {
            "UNTRIAGED" => "INFORMATIONAL",
            other => other,
        };
        assert_eq!(h["Severity"]["Label"], label, "{arn}");
        assert_eq!(h["Workflow"]["Status"], "NEW");
        assert_eq!(h["RecordState"], "ACTIVE");
        assert_eq!(
            h["Vulnerabilities"][0]["Id"],
            f["packageVulnerabilityDetails"]["vulnerabilityId"]
        );
    }

    // a suppression rule reaches Security Hub as workflow SUPPRESSED
    let target = ours[0]["findingArn"].as_str().unwrap().to_owned();
    let vuln = ours[0]["packageVulnerabilityDetails"]["vulnerabilityId"]
        .as_str()
        .unwrap()
        .to_owned();
    s.aws(&[
        "create-filter",
        "--name",
        "accepted",
        "--action",
        "SUPPRESS",
        "--reason",
        "accepted risk",
        "--filter-criteria",
        &format!(r#"{{"vulnerabilityId":[{{"comparison":"EQUALS","value":"{vuln}"}}]}}"#),
    ]);
    wait_until(60, "the suppression in Security Hub", || {
        hub_findings(&s, &moto)
            .iter()
            .any(|h| h["Id"] == target.as_str() && h["Workflow"]["Status"] == "SUPPRESSED")
    });
    // deleting the resource closes its findings: ARCHIVED / RESOLVED there
    s.native(
        "/vigil/v1/resources/delete",
        &json!({"resourceId": "i-0123456789abcdef0"}),
    );
    wait_until(60, "closed findings archived in Security Hub", || {
        let hub = hub_findings(&s, &moto);
        hub.len() == ours.len()
            && hub
                .iter()
                .all(|h| h["RecordState"] == "ARCHIVED" && h["Workflow"]["Status"] == "RESOLVED")
    });
    // nothing is stuck: no dead letters
    let dead = s.native(
        "/vigil/v1/destinations/dead-letters/list",
        &json!({"destinationId": created["destinationId"]}),
    );
    assert_eq!(
        dead["deadLetters"].as_array().map(Vec::len),
        Some(0),
        "{dead}"
    );
}

//! Principals, identity policies and the audit trail, against a real server with
//! SigV4-signed requests (botocore signs them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

fn filter(name: &str) -> Value {
    json!({"name": name, "action": "NONE", "filterCriteria": {"severity": [{"comparison": "EQUALS", "value": "HIGH"}]}})
}

#[test]
fn policies_decide_and_every_change_and_refusal_is_audited() {
    tools_present();
    let server = start();
    let root = server.key.clone();
    let reader = create_principal(
        &server,
        ACCOUNT,
        "reader",
        "user",
        &["--policy", "read-only"],
    );
    let policy = server.dir.path().join("no-delete.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Action":["inspector2:*"],"Resource":"*"},
             {"Sid":"NoDeletes","Effect":"Deny","Action":"inspector2:Delete*","Resource":"*"},
             {"Sid":"TaggedByTeam","Effect":"Deny","Action":"inspector2:CreateFilter","Resource":"*",
              "Condition":{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}}]}"#,
    )
    .unwrap();
    let editor = create_principal(
        &server,
        ACCOUNT,
        "editor",
        "role",
        &["--policy", &format!("@{}", policy.display())],
    );
    let agent = create_principal(
        &server,
        ACCOUNT,
        "host-agent",
        "agent",
        &["--region", "us-east-1"],
    );
    assert_eq!(agent["kind"], "AGENT");

    // bad principals are refused before anything is stored
    let mut c = vigil();
    c.args([
        "admin",
        "create-principal",
        "--name",
        "x",
        "--kind",
        "user",
        "--policy",
        "admin",
        "--data-dir",
    ])
    .arg(&server.data);
    let out = run(&mut c);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no built-in policy `admin`"));

    let sbom = demo_sbom(server.dir.path());
    let sbom_text = std::fs::read_to_string(&sbom).unwrap();
    let scan = json!({"resourceId": "i-0123456789abcdef0", "sbom": serde_json::from_str::<Value>(&sbom_text).unwrap()});
    let r = signed_calls(
        &server,
        &[
            (&reader, "us-east-1", "/findings/list", json!({})),
            (&reader, "us-east-1", "/filters/create", filter("by-reader")),
            (&editor, "us-east-1", "/filters/create", filter("by-editor")),
            (&editor, "us-east-1", "/filters/list", json!({})),
            (&agent, "eu-west-1", "/vigil/v1/scans", scan.clone()),
            (&agent, "us-east-1", "/vigil/v1/scans", scan.clone()),
            (&agent, "us-east-1", "/findings/list", json!({})),
        ],
    );
    assert!(r[0]["findings"].is_array(), "reader reads: {}", r[0]);
    assert_eq!(r[1]["status"], 403, "{}", r[1]);
    assert_eq!(r[1]["type"], "AccessDeniedException");
    assert_eq!(
        r[1]["message"],
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/reader is not authorized to perform: inspector2:CreateFilter on resource: * because no identity-based policy allows the inspector2:CreateFilter action"
        )
    );
    let editor_filter = r[2]["arn"].as_str().expect("editor creates").to_owned();
    // a condition on the request's tags: only the `team` tag may be set
    let mut tagged = filter("tagged");
    tagged["tags"] = json!({"team": "payments", "owner": "x"});
    let mut team_only = filter("team-only");
    team_only["tags"] = json!({"team": "payments"});
    let t = signed_calls(
        &server,
        &[
            (&editor, "us-east-1", "/filters/create", tagged),
            (&editor, "us-east-1", "/filters/create", team_only),
        ],
    );
    assert_eq!(t[0]["type"], "AccessDeniedException", "{}", t[0]);
    assert!(t[1]["arn"].is_string(), "{}", t[1]);
    assert_eq!(r[3]["filters"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        r[4]["type"], "AccessDeniedException",
        "agent out of its region: {}",
        r[4]
    );
    assert!(
        r[4]["message"]
            .as_str()
            .unwrap()
            .contains("scoped to us-east-1")
    );
    assert!(
        r[5]["findings"].as_u64().is_some() || r[5].get("resourceId").is_some(),
        "agent scans: {}",
        r[5]
    );
    assert_eq!(
        r[6]["type"], "AccessDeniedException",
        "agents do not read findings"
    );

    let r = signed_calls(
        &server,
        &[(
            &editor,
            "us-east-1",
            "/filters/delete",
            json!({"arn": editor_filter}),
        )],
    );
    assert_eq!(r[0]["type"], "AccessDeniedException");
    assert!(
        r[0]["message"]
            .as_str()
            .unwrap()
            .contains("with an explicit deny")
    );

    // console passwords come from the environment or stdin, never the command line
    let out = set_password_cmd(&server, ACCOUNT, "reader", "short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("12 to 256 characters"));
    let out = set_password_cmd(&server, ACCOUNT, "reader", "a long enough passphrase");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"passwordSet\":true"));

    // rotation: an inactive key is unknown
    let mut c = vigil();
    c.args([
        "admin",
        "set-key-status",
        "--account",
        ACCOUNT,
        "--status",
        "Inactive",
        "--access-key-id",
    ])
    .arg(reader["accessKeyId"].as_str().unwrap())
    .arg("--data-dir")
    .arg(&server.data);
    run_ok(&mut c);
    let r = signed_calls(
        &server,
        &[(&reader, "us-east-1", "/findings/list", json!({}))],
    );
    assert_eq!(r[0]["type"], "UnrecognizedClientException");

    // the audit trail: changes and refusals, never reads, in CloudTrail's shape
    let r = signed_calls(
        &server,
        &[(
            &root,
            "us-east-1",
            "/vigil/v1/audit/lookup",
            json!({"MaxResults": 50}),
        )],
    );
    let events = r[0]["Events"].as_array().expect("events").clone();
    let names: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e["EventName"].as_str().unwrap(), e["Username"].as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("DeleteFilter", Some("editor")),
            ("CreateFilter", Some("editor")),
            ("CreateFilter", Some("editor")),
            ("ListFindings", Some("host-agent")),
            ("SubmitScan", Some("host-agent")),
            ("SubmitScan", Some("host-agent")),
            ("CreateFilter", Some("editor")),
            ("CreateFilter", Some("reader")),
        ],
        "{events:#?}"
    );
    let record = |i: usize| -> Value {
        serde_json::from_str(events[i]["CloudTrailEvent"].as_str().unwrap()).unwrap()
    };
    let denied = record(7);
    assert_eq!(denied["errorCode"], "AccessDeniedException");
    assert_eq!(denied["userIdentity"]["type"], "IAMUser");
    assert_eq!(
        denied["userIdentity"]["arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/reader")
    );
    assert_eq!(denied["eventSource"], "inspector2.amazonaws.com");
    assert_eq!(denied["sourceIPAddress"], "127.0.0.1");
    assert_eq!(denied["userAgent"], "vigil-test/1");
    assert_eq!(denied["requestParameters"]["name"], "by-reader");
    assert_eq!(denied["readOnly"], false);
    let created = record(6);
    assert!(created["errorCode"].is_null());
    assert_eq!(created["responseElements"]["arn"], editor_filter.as_str());
    assert_eq!(created["userIdentity"]["type"], "AssumedRole");
    let scanned = record(5);
    // a large request is summarised, not copied
    assert!(scanned["requestParameters"]["bodyBytes"].as_u64().unwrap() > 16 << 10);
    assert_eq!(scanned["eventSource"], "vigil.local");

    // lookups filter and page
    let r = signed_calls(
        &server,
        &[
            (
                &root,
                "us-east-1",
                "/vigil/v1/audit/lookup",
                json!({"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "editor"}]}),
            ),
            (
                &root,
                "us-east-1",
                "/vigil/v1/audit/lookup",
                json!({"MaxResults": 5}),
            ),
            (
                &root,
                "us-east-1",
                "/vigil/v1/audit/lookup",
                json!({"LookupAttributes": [{"AttributeKey": "Colour", "AttributeValue": "x"}]}),
            ),
        ],
    );
    assert_eq!(r[0]["Events"].as_array().map(Vec::len), Some(4));
    assert_eq!(r[1]["Events"].as_array().map(Vec::len), Some(5));
    let token = r[1]["NextToken"].as_str().expect("a next page").to_owned();
    assert_eq!(r[2]["type"], "ValidationException");
    let r = signed_calls(
        &server,
        &[(
            &root,
            "us-east-1",
            "/vigil/v1/audit/lookup",
            json!({"MaxResults": 5, "NextToken": token}),
        )],
    );
    assert_eq!(r[0]["Events"].as_array().map(Vec::len), Some(3));
    assert!(r[0].get("NextToken").is_none());

    // the CloudTrail log file export, oldest first
    let mut c = vigil();
    c.args(["admin", "audit-export", "--account", ACCOUNT, "--data-dir"])
        .arg(&server.data);
    let log: Value = serde_json::from_str(&run_ok(&mut c)).unwrap();
    let records = log["Records"].as_array().unwrap();
    assert_eq!(
        records.len(),
        8,
        "the eight above: reads, lookups and unauthenticated calls are not recorded"
    );
    assert_eq!(records[0]["eventName"], "CreateFilter");
    assert!(
        records
            .iter()
            .all(|r| r["eventVersion"] == "1.09" && r["recipientAccountId"] == ACCOUNT)
    );
}

#[test]
fn usage_totals_meter_scans_with_list_prices() {
    tools_present();
    let server = start();
    let sbom = demo_sbom(server.dir.path());
    let sbom = sbom.display().to_string();
    // the demo SBOM is an image's: two images, the first scanned twice
    let first = server.scan(&sbom, "demo/app:1");
    assert_eq!(first["resourceType"], "AWS_ECR_CONTAINER_IMAGE", "{first}");
    server.scan(&sbom, "demo/app:1");
    server.scan(&sbom, "demo/app:2");
    let usage = server.aws(&["list-usage-totals"]);
    let totals = usage["totals"].as_array().expect("totals");
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0]["accountId"], ACCOUNT);
    let of = |kind: &str| -> Value {
        totals[0]["usage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["type"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind}: {usage}"))
    };
    assert_eq!(of("ECR_INITIAL_SCAN")["total"], 2.0);
    assert_eq!(of("ECR_INITIAL_SCAN")["estimatedMonthlyCost"], 0.18);
    assert_eq!(of("ECR_INITIAL_SCAN")["currency"], "USD");
    assert_eq!(of("ECR_RESCAN")["total"], 1.0);
    assert_eq!(of("ECR_RESCAN")["estimatedMonthlyCost"], 0.01);
    assert_eq!(of("EC2_INSTANCE_HOURS")["total"], 0.0);
    assert_eq!(of("LAMBDA_FUNCTION_HOURS")["total"], 0.0);
    // another account's usage is not the caller's to read
    let err = server.aws_err(&["list-usage-totals", "--account-ids", "444455556666"]);
    assert!(err.contains("AccessDeniedException"), "{err}");
    let err = server.aws_err(&["list-usage-totals", "--account-ids", "12"]);
    assert!(err.contains("ValidationException"), "{err}");
}

//! The organization walkthrough with the AWS CLI: the management account delegates an
//! administrator, who sets auto-enable, associates an existing account, sees a new account
//! enrolled on its own, manages members' scanning; members cannot escalate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

const MANAGEMENT: &str = "111111111111";
const ADMIN: &str = "222222222222";
const MEMBER: &str = "333333333333";
const NEWCOMER: &str = "444444444444";

/// Creates a key for `account` and adds it to the CLI's credentials as profile `account`.
fn profile(server: &Server, account: &str) -> Value {
    let key: Value = serde_json::from_str(&run_ok(
        vigil()
            .args(["admin", "create-key", "--account", account, "--data-dir"])
            .arg(&server.data),
    ))
    .unwrap();
    let path = server.home.join(".aws/credentials");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "[{account}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key["accessKeyId"].as_str().unwrap(),
        key["secretAccessKey"].as_str().unwrap()
    ));
    std::fs::write(&path, text).unwrap();
    key
}

/// `vigil scan SBOM --server` with an account's key.
fn scan_as(server: &Server, key: &Value, sbom: &std::path::Path, id: &str) {
    let mut c = vigil();
    server.env(&mut c);
    c.env("AWS_ACCESS_KEY_ID", key["accessKeyId"].as_str().unwrap())
        .env(
            "AWS_SECRET_ACCESS_KEY",
            key["secretAccessKey"].as_str().unwrap(),
        )
        .env("AWS_REGION", "us-east-1")
        .arg("scan")
        .arg(sbom)
        .args(["--server", &server.url, "--resource-id", id]);
    run_ok(&mut c);
}

/// The accounts of the findings `account` sees (optionally filtered by awsAccountId).
fn finding_accounts(server: &Server, account: &str, filter: Option<&str>) -> Vec<String> {
    let mut args = vec!["list-findings", "--max-results", "100"];
    let criteria;
    if let Some(f) = filter {
        criteria =
            format!("{{\"awsAccountId\":[{{\"comparison\":\"EQUALS\",\"value\":\"{f}\"}}]}}");
        args.extend(["--filter-criteria", &criteria]);
    }
    let r = aws_as(server, account, &args);
    let mut out: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["awsAccountId"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn aws_as(server: &Server, account: &str, args: &[&str]) -> Value {
    let mut all = vec!["--profile", account, "--region", "us-east-1"];
    all.extend_from_slice(args);
    server.aws(&all)
}

fn aws_err_as(server: &Server, account: &str, args: &[&str]) -> String {
    let mut all = vec!["--profile", account, "--region", "us-east-1"];
    all.extend_from_slice(args);
    server.aws_err(&all)
}

#[test]
fn delegate_auto_enable_associate_and_no_escalation() {
    tools_present();
    let server = start_full(
        &[],
        &[("VIGIL_ORGANIZATION_MANAGEMENT_ACCOUNT", MANAGEMENT)],
    );
    let mut keys = std::collections::BTreeMap::new();
    for a in [MANAGEMENT, ADMIN, MEMBER] {
        keys.insert(a, profile(&server, a));
    }
    // only the management account delegates
    let err = aws_err_as(
        &server,
        MEMBER,
        &[
            "enable-delegated-admin-account",
            "--delegated-admin-account-id",
            MEMBER,
        ],
    );
    assert!(err.contains("AccessDeniedException"), "{err}");
    let r = aws_as(
        &server,
        MANAGEMENT,
        &[
            "enable-delegated-admin-account",
            "--delegated-admin-account-id",
            ADMIN,
        ],
    );
    assert_eq!(r["delegatedAdminAccountId"], ADMIN);
    let err = aws_err_as(
        &server,
        MANAGEMENT,
        &[
            "enable-delegated-admin-account",
            "--delegated-admin-account-id",
            MEMBER,
        ],
    );
    assert!(err.contains("ConflictException"), "{err}");
    let r = aws_as(&server, MANAGEMENT, &["list-delegated-admin-accounts"]);
    assert_eq!(r["delegatedAdminAccounts"][0]["accountId"], ADMIN);
    let r = aws_as(&server, ADMIN, &["get-delegated-admin-account"]);
    assert_eq!(r["delegatedAdmin"]["relationshipStatus"], "ENABLED");
    assert!(
        aws_err_as(&server, MEMBER, &["get-delegated-admin-account"])
            .contains("AccessDeniedException")
    );

    // the administrator sets auto-enable and associates an existing account
    let r = aws_as(
        &server,
        ADMIN,
        &[
            "update-organization-configuration",
            "--auto-enable",
            "ec2=true,ecr=true,lambda=false",
        ],
    );
    assert_eq!(r["autoEnable"]["ec2"], true);
    assert_eq!(r["autoEnable"]["lambda"], false);
    let r = aws_as(&server, ADMIN, &["describe-organization-configuration"]);
    assert_eq!(r["autoEnable"]["ecr"], true);
    assert_eq!(r["maxAccountLimitReached"], false);
    let r = aws_as(&server, ADMIN, &["list-members", "--no-only-associated"]);
    let all: Vec<(&str, &str)> = r["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["accountId"].as_str().unwrap(),
                m["relationshipStatus"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(all.contains(&(MEMBER, "CREATED")), "{all:?}");
    aws_as(
        &server,
        ADMIN,
        &["associate-member", "--account-id", MEMBER],
    );

    // a new account is enrolled as it is created, with the auto-enabled scan types
    keys.insert(NEWCOMER, profile(&server, NEWCOMER));
    let r = aws_as(&server, ADMIN, &["get-member", "--account-id", NEWCOMER]);
    assert_eq!(r["member"]["relationshipStatus"], "ENABLED");
    assert_eq!(r["member"]["delegatedAdminAccountId"], ADMIN);
    let r = aws_as(&server, ADMIN, &["list-members"]);
    let associated: Vec<&str> = r["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(associated, [MEMBER, NEWCOMER]);
    let r = aws_as(
        &server,
        ADMIN,
        &[
            "batch-get-account-status",
            "--account-ids",
            MEMBER,
            NEWCOMER,
        ],
    );
    let newcomer = r["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["accountId"] == NEWCOMER)
        .cloned()
        .unwrap();
    assert_eq!(newcomer["resourceState"]["ec2"]["status"], "ENABLED");
    assert_eq!(newcomer["resourceState"]["lambda"]["status"], "DISABLED");
    assert_eq!(r["failedAccounts"].as_array().map(Vec::len), Some(0));

    // the administrator manages its members' scanning
    let r = aws_as(
        &server,
        ADMIN,
        &[
            "enable",
            "--account-ids",
            NEWCOMER,
            "--resource-types",
            "LAMBDA",
        ],
    );
    assert_eq!(r["accounts"][0]["resourceStatus"]["lambda"], "ENABLED");
    // enablement is per region (the SigV4 scope's): eu-west-1 keeps the auto-enabled set
    let r = server.aws(&[
        "--profile",
        ADMIN,
        "--region",
        "eu-west-1",
        "batch-get-account-status",
        "--account-ids",
        NEWCOMER,
    ]);
    assert_eq!(
        r["accounts"][0]["resourceState"]["lambda"]["status"], "DISABLED",
        "{r}"
    );
    assert_eq!(
        r["accounts"][0]["resourceState"]["ec2"]["status"], "ENABLED",
        "{r}"
    );

    // organization package paths reach the members' hosts beside their own
    aws_as(
        &server,
        ADMIN,
        &[
            "update-org-ec2-deep-inspection-configuration",
            "--org-package-paths",
            "/opt/corp/lib",
        ],
    );
    aws_as(
        &server,
        NEWCOMER,
        &[
            "update-ec2-deep-inspection-configuration",
            "--package-paths",
            "/srv/app/lib",
        ],
    );
    let r = aws_as(
        &server,
        NEWCOMER,
        &["get-ec2-deep-inspection-configuration"],
    );
    assert_eq!(r["orgPackagePaths"], serde_json::json!(["/opt/corp/lib"]));
    assert_eq!(r["packagePaths"], serde_json::json!(["/srv/app/lib"]));
    assert!(
        aws_err_as(
            &server,
            NEWCOMER,
            &[
                "update-org-ec2-deep-inspection-configuration",
                "--org-package-paths",
                "/x"
            ]
        )
        .contains("AccessDeniedException")
    );

    // the administrator switches a member's deep inspection off; an outsider's is not its to touch
    let r = aws_as(
        &server,
        ADMIN,
        &[
            "batch-update-member-ec2-deep-inspection-status",
            "--account-ids",
            &format!("accountId={NEWCOMER},activateDeepInspection=false"),
            "accountId=999999999999,activateDeepInspection=false",
        ],
    );
    assert_eq!(r["accountIds"][0]["status"], "DEACTIVATED", "{r}");
    assert_eq!(r["failedAccountIds"][0]["accountId"], "999999999999");
    let r = aws_as(
        &server,
        ADMIN,
        &[
            "batch-get-member-ec2-deep-inspection-status",
            "--account-ids",
            NEWCOMER,
        ],
    );
    assert_eq!(r["accountIds"][0]["status"], "DEACTIVATED", "{r}");
    assert_eq!(
        aws_as(
            &server,
            NEWCOMER,
            &["get-ec2-deep-inspection-configuration"]
        )["status"],
        "DEACTIVATED"
    );
    assert!(
        aws_err_as(
            &server,
            NEWCOMER,
            &["batch-get-member-ec2-deep-inspection-status"]
        )
        .contains("AccessDeniedException")
    );

    // configuration is per region: eu-west-1 has neither path, nor us-east-1's rescan duration
    let r = server.aws(&[
        "--profile",
        NEWCOMER,
        "--region",
        "eu-west-1",
        "get-ec2-deep-inspection-configuration",
    ]);
    assert_eq!(r["packagePaths"], serde_json::json!([]), "{r}");
    assert_eq!(r["orgPackagePaths"], serde_json::json!([]), "{r}");
    aws_as(
        &server,
        NEWCOMER,
        &[
            "update-configuration",
            "--ecr-configuration",
            "rescanDuration=DAYS_14",
        ],
    );
    let here = aws_as(&server, NEWCOMER, &["get-configuration"]);
    assert_eq!(
        here["ecrConfiguration"]["rescanDurationState"]["rescanDuration"],
        "DAYS_14"
    );
    let there = server.aws(&[
        "--profile",
        NEWCOMER,
        "--region",
        "eu-west-1",
        "get-configuration",
    ]);
    assert_eq!(
        there["ecrConfiguration"]["rescanDurationState"]["rescanDuration"], "LIFETIME",
        "{there}"
    );

    // the administrator sees its members' findings and coverage; members only their own
    let sbom = demo_sbom(server.dir.path());
    for a in [ADMIN, MEMBER, NEWCOMER] {
        scan_as(&server, &keys[a], &sbom, &format!("app-of-{a}:1"));
    }
    assert_eq!(
        finding_accounts(&server, ADMIN, None),
        [ADMIN, MEMBER, NEWCOMER]
    );
    assert_eq!(finding_accounts(&server, ADMIN, Some(NEWCOMER)), [NEWCOMER]);
    assert_eq!(finding_accounts(&server, MEMBER, None), [MEMBER]);
    // a filter naming another account is no way in
    assert!(finding_accounts(&server, MEMBER, Some(NEWCOMER)).is_empty());
    let r = aws_as(&server, ADMIN, &["list-coverage"]);
    let mut covered: Vec<&str> = r["coveredResources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["accountId"].as_str().unwrap())
        .collect();
    covered.sort();
    assert_eq!(covered, [ADMIN, MEMBER, NEWCOMER]);
    let r = aws_as(&server, MEMBER, &["list-coverage"]);
    assert_eq!(r["coveredResources"].as_array().map(Vec::len), Some(1));
    // and its SBOM exports and findings reports cover them too (to the local export directory)
    let kms = "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-0000-0000-000000000000";
    let dest = format!("bucketName=org-exports,keyPrefix=sboms,kmsKeyArn={kms}");
    let id = aws_as(
        &server,
        ADMIN,
        &[
            "create-sbom-export",
            "--report-format",
            "SPDX_2_3",
            "--s3-destination",
            &dest,
        ],
    )["reportId"]
        .as_str()
        .unwrap()
        .to_owned();
    let dest = format!("bucketName=org-exports,keyPrefix=findings,kmsKeyArn={kms}");
    let fid = aws_as(
        &server,
        ADMIN,
        &[
            "create-findings-report",
            "--report-format",
            "JSON",
            "--s3-destination",
            &dest,
        ],
    )["reportId"]
        .as_str()
        .unwrap()
        .to_owned();
    for (op, id) in [
        ("get-sbom-export", &id),
        ("get-findings-report-status", &fid),
    ] {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let st = aws_as(&server, ADMIN, &[op, "--report-id", id]);
            if st["status"] != "IN_PROGRESS" {
                assert_eq!(st["status"], "SUCCEEDED", "{st}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{st}");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    let exported = server
        .data
        .join(format!("exports/org-exports/sboms/SBOM_Export/{id}"));
    let mut accounts: Vec<String> = std::fs::read_dir(&exported)
        .unwrap_or_else(|e| panic!("{}: {e}", exported.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    accounts.sort();
    assert_eq!(accounts, [ADMIN, MEMBER, NEWCOMER]);
    let report: Value = serde_json::from_slice(
        &std::fs::read(
            server
                .data
                .join(format!("exports/org-exports/findings/{fid}.json")),
        )
        .unwrap(),
    )
    .unwrap();
    let mut in_report: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["awsAccountId"].as_str().unwrap())
        .collect();
    in_report.sort();
    in_report.dedup();
    assert_eq!(in_report, [ADMIN, MEMBER, NEWCOMER]);

    // ARNs of other accounts' resources in a request are refused, and the refusal audited
    let admin_filter = aws_as(
        &server,
        ADMIN,
        &[
            "create-filter",
            "--name",
            "mine",
            "--action",
            "NONE",
            "--filter-criteria",
            "{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"HIGH\"}]}",
        ],
    );
    let admin_filter = admin_filter["arn"].as_str().unwrap().to_owned();
    let err = aws_err_as(&server, MEMBER, &["delete-filter", "--arn", &admin_filter]);
    assert!(
        err.contains("AccessDeniedException")
            && err.contains(&format!("belongs to account {ADMIN}")),
        "{err}"
    );
    let arn_of = |account: &str| -> String {
        aws_as(&server, account, &["list-findings", "--max-results", "1"])["findings"][0]["findingArn"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (member_finding, admin_finding) = (arn_of(MEMBER), arn_of(ADMIN));
    let r = aws_as(
        &server,
        ADMIN,
        &[
            "batch-get-finding-details",
            "--finding-arns",
            &member_finding,
        ],
    );
    assert_eq!(r["findingDetails"].as_array().map(Vec::len), Some(1), "{r}");
    let err = aws_err_as(
        &server,
        MEMBER,
        &[
            "batch-get-finding-details",
            "--finding-arns",
            &admin_finding,
        ],
    );
    assert!(err.contains("AccessDeniedException"), "{err}");
    let audit = signed_calls(
        &server,
        &[(
            &keys[MEMBER],
            "us-east-1",
            "/vigil/v1/audit/lookup",
            serde_json::json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "DeleteFilter"}]}),
        )],
    )
    .remove(0);
    let record: Value =
        serde_json::from_str(audit["Events"][0]["CloudTrailEvent"].as_str().unwrap()).unwrap();
    assert_eq!(record["errorCode"], "AccessDeniedException");
    assert_eq!(record["requestParameters"]["arn"], admin_filter.as_str());

    // members cannot escalate or reach each other
    assert!(
        aws_err_as(
            &server,
            MEMBER,
            &["associate-member", "--account-id", NEWCOMER]
        )
        .contains("AccessDeniedException")
    );
    assert!(aws_err_as(&server, MEMBER, &["list-members"]).contains("AccessDeniedException"));
    assert!(
        aws_err_as(
            &server,
            MEMBER,
            &[
                "update-organization-configuration",
                "--auto-enable",
                "ec2=false,ecr=false"
            ]
        )
        .contains("AccessDeniedException")
    );
    let r = aws_as(&server, MEMBER, &["disable", "--account-ids", NEWCOMER]);
    assert_eq!(r["accounts"].as_array().map(Vec::len), Some(0));
    assert_eq!(r["failedAccounts"][0]["errorCode"], "ACCESS_DENIED");
    let r = aws_as(
        &server,
        MEMBER,
        &["batch-get-account-status", "--account-ids", NEWCOMER],
    );
    assert_eq!(r["failedAccounts"][0]["accountId"], NEWCOMER);

    // a disassociated member is the administrator's no more
    aws_as(
        &server,
        ADMIN,
        &["disassociate-member", "--account-id", MEMBER],
    );
    let r = aws_as(
        &server,
        ADMIN,
        &["batch-get-account-status", "--account-ids", MEMBER],
    );
    assert_eq!(r["failedAccounts"][0]["errorCode"], "ACCESS_DENIED");
    let r = aws_as(&server, ADMIN, &["get-member", "--account-id", MEMBER]);
    assert_eq!(r["member"]["relationshipStatus"], "REMOVED");
    // and its data stays its own
    assert_eq!(finding_accounts(&server, ADMIN, None), [ADMIN, NEWCOMER]);
    assert_eq!(finding_accounts(&server, MEMBER, None), [MEMBER]);
    let r = aws_as(&server, MEMBER, &["get-ec2-deep-inspection-configuration"]);
    assert_eq!(r["orgPackagePaths"], serde_json::json!([]));
    // and the administrator steps down: nobody manages anyone
    aws_as(
        &server,
        MANAGEMENT,
        &[
            "disable-delegated-admin-account",
            "--delegated-admin-account-id",
            ADMIN,
        ],
    );
    assert!(aws_err_as(&server, ADMIN, &["list-members"]).contains("AccessDeniedException"));
    let r = aws_as(&server, MANAGEMENT, &["get-delegated-admin-account"]);
    assert!(r.get("delegatedAdmin").is_none(), "{r}");
}

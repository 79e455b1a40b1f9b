//! The authorisation matrix: every signed operation the server has x every kind of caller
//! (the organization's management account, its delegated administrator, a member, an
//! account of no one's, full-access, read-only and agent principals, an agent of another
//! region, an unsigned caller), against the real server with requests signed by botocore. The expectations are written
//! out here, not derived from the policies, so a policy or table change that widens or
//! narrows access fails this test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};
use vigil_server::access::OPERATIONS;

/// What the built-in read-only policy grants.
const READ_ONLY_ALLOWED: &[&str] = &[
    "ListFindings",
    "ListFilters",
    "ListCoverage",
    "ListCoverageStatistics",
    "ListFindingAggregations",
    "BatchGetFindingDetails",
    "BatchGetAccountStatus",
    "GetConfiguration",
    "SearchVulnerabilities",
    "GetEc2DeepInspectionConfiguration",
    "GetFindingHistory",
    "ListTopRisks",
    "GetDashboard",
    "ListFunctions",
    "ListJobs",
    "ListAgentlessHosts",
    "ExportFindings",
    "ExportVex",
    "GetFindingsReportStatus",
    "GetSbomExport",
    "ListDestinations",
    "GetDestination",
    "ListDeadLetters",
    "ListUsageTotals",
    "GetResourceSbom",
    "GetDelegatedAdminAccount",
    "ListDelegatedAdminAccounts",
    "ListMembers",
    "GetMember",
    "DescribeOrganizationConfiguration",
    "BatchGetMemberEc2DeepInspectionStatus",
    "ListAccessKeys",
    "ListPrincipals",
];

/// Read-only operations the read-only policy does not grant, on purpose: scanning an SBOM
/// (inspector-scan) and reading the audit trail are separate permissions.
const READ_ONLY_WITHHELD: &[&str] = &["ScanSbom", "LookupAuditEvents"];

/// What a host agent's policy grants (in its own region only).
const AGENT_ALLOWED: &[&str] = &[
    "SubmitScan",
    "AgentHeartbeat",
    "GetEc2DeepInspectionConfiguration",
];

const ADMIN: &str = "222222222222";
const MEMBER: &str = "333333333333";
const OUTSIDER: &str = "444444444444";

/// Operations only the organization's management account may call.
const MANAGEMENT_ONLY: &[&str] = &[
    "EnableDelegatedAdminAccount",
    "DisableDelegatedAdminAccount",
    "ListDelegatedAdminAccounts",
];

/// Operations only the delegated administrator may call.
const ADMIN_ONLY: &[&str] = &[
    "AssociateMember",
    "DisassociateMember",
    "ListMembers",
    "GetMember",
    "UpdateOrganizationConfiguration",
    "DescribeOrganizationConfiguration",
    "UpdateOrgEc2DeepInspectionConfiguration",
    "BatchGetMemberEc2DeepInspectionStatus",
    "BatchUpdateMemberEc2DeepInspectionStatus",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Management,
    Admin,
    /// A member or an account of no one's: neither runs the organization.
    Member,
}

/// Signed calls `(key, path, body)` in us-east-1.
fn signed(server: &Server, calls: &[(&Value, &str, Value)]) -> Vec<Value> {
    let calls: Vec<(&Value, &str, &str, Value)> = calls
        .iter()
        .map(|(k, path, body)| (*k, "us-east-1", *path, body.clone()))
        .collect();
    signed_calls(server, &calls)
}

#[test]
fn every_operation_for_every_kind_of_caller() {
    tools_present();
    // the default key's account runs the organization; ADMIN is its delegated administrator
    // with MEMBER associated; OUTSIDER belongs to no one
    let server = start_full(&[], &[("VIGIL_ORGANIZATION_MANAGEMENT_ACCOUNT", ACCOUNT)]);
    let key = |account: &str| -> Value {
        serde_json::from_str(&run_ok(
            vigil()
                .args(["admin", "create-key", "--account", account, "--data-dir"])
                .arg(&server.data),
        ))
        .unwrap()
    };
    let admin = key(ADMIN);
    let member = key(MEMBER);
    let outsider = key(OUTSIDER);
    let setup = signed(
        &server,
        &[
            (
                &server.key,
                "/delegatedadminaccounts/enable",
                json!({"delegatedAdminAccountId": ADMIN}),
            ),
            (&admin, "/members/associate", json!({"accountId": MEMBER})),
        ],
    );
    assert!(setup.iter().all(|r| r.get("status").is_none()), "{setup:?}");
    // (caller kind, its account's role in the organization, key, region): the principals
    // without an account of their own here live in the management account
    let callers: Vec<(&str, Role, Value, &str)> = vec![
        (
            "management",
            Role::Management,
            server.key.clone(),
            "us-east-1",
        ),
        ("delegated-admin", Role::Admin, admin.clone(), "us-east-1"),
        ("member", Role::Member, member, "us-east-1"),
        ("outsider", Role::Member, outsider, "us-east-1"),
        (
            "full-access",
            Role::Management,
            create_principal(
                &server,
                ACCOUNT,
                "admin",
                "user",
                &["--policy", "full-access"],
            ),
            "us-east-1",
        ),
        (
            "read-only",
            Role::Admin,
            create_principal(
                &server,
                ADMIN,
                "auditor",
                "role",
                &["--policy", "read-only"],
            ),
            "us-east-1",
        ),
        (
            "agent",
            Role::Management,
            create_principal(
                &server,
                ACCOUNT,
                "agent-1",
                "agent",
                &["--region", "us-east-1"],
            ),
            "us-east-1",
        ),
        (
            "agent-elsewhere",
            Role::Management,
            create_principal(
                &server,
                ACCOUNT,
                "agent-2",
                "agent",
                &["--region", "eu-west-1"],
            ),
            "us-east-1",
        ),
        ("unsigned", Role::Member, json!(null), "us-east-1"),
    ];
    // every read-only operation is granted or withheld on purpose
    for (_, op) in OPERATIONS {
        if op.read_only {
            assert!(
                READ_ONLY_ALLOWED.contains(&op.name) || READ_ONLY_WITHHELD.contains(&op.name),
                "read-only operation {} is neither granted to nor withheld from read-only callers",
                op.name
            );
        }
    }
    let plan: Vec<Value> = callers
        .iter()
        .flat_map(|(kind, _, key, region)| {
            OPERATIONS.iter().map(move |(path, op)| {
                // ScanSbom is signed for its own service
                let service = if op.service == "inspector-scan" { "inspector-scan" } else { "inspector2" };
                json!({"kind": kind, "op": op.name, "path": path, "region": region, "service": service,
                       "key": key["accessKeyId"], "secret": key["secretAccessKey"]})
            })
        })
        .collect();
    let file = server.dir.path().join("matrix.json");
    std::fs::write(&file, serde_json::to_string(&plan).unwrap()).unwrap();
    let answers = server.python(&format!(
        r#"
import json, os, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
out = []
for c in json.load(open({file:?})):
    r = AWSRequest(method="POST", url=os.environ["VIGIL_URL"] + c["path"], data=b"{{}}",
                   headers={{"content-type": "application/json"}})
    if c["key"]:
        SigV4Auth(Credentials(c["key"], c["secret"]), c["service"], c["region"]).add_auth(r)
    req = urllib.request.Request(r.url, data=r.body, headers=dict(r.headers.items()), method="POST")
    try:
        urllib.request.urlopen(req, timeout=60).read()
        out.append([c["kind"], c["op"], 200, None])
    except urllib.error.HTTPError as e:
        out.append([c["kind"], c["op"], e.code, e.headers.get("x-amzn-ErrorType")])
print(json.dumps(out))
"#,
        file = file.display().to_string()
    ));
    let mut failures = Vec::new();
    let names: BTreeSet<&str> = OPERATIONS.iter().map(|(_, o)| o.name).collect();
    for a in answers.as_array().expect("answers") {
        let (kind, op, status, kind_of_error) = (
            a[0].as_str().unwrap(),
            a[1].as_str().unwrap(),
            a[2].as_u64().unwrap(),
            a[3].as_str(),
        );
        assert!(names.contains(op));
        let denied = status == 403;
        let role = callers.iter().find(|c| c.0 == kind).map(|c| c.1).unwrap();
        let policy_allows = match kind {
            "management" | "delegated-admin" | "member" | "outsider" | "full-access" => true,
            "read-only" => READ_ONLY_ALLOWED.contains(&op),
            "agent" => AGENT_ALLOWED.contains(&op),
            _ => false,
        };
        let org_allows = if MANAGEMENT_ONLY.contains(&op) {
            role == Role::Management
        } else if ADMIN_ONLY.contains(&op) {
            role == Role::Admin
        } else if op == "GetDelegatedAdminAccount" {
            role == Role::Management || role == Role::Admin
        } else {
            true
        };
        let expected_denied = !(policy_allows && org_allows);
        // a server error is never an answer, whoever asks
        if status >= 500 {
            failures.push(format!("{kind} {op}: HTTP {status} {kind_of_error:?}"));
        } else if denied != expected_denied {
            failures.push(format!(
                "{kind} {op}: expected {}, got HTTP {status} {kind_of_error:?}",
                if expected_denied { "denied" } else { "allowed" }
            ));
        } else if denied {
            let want = if kind == "unsigned" {
                "MissingAuthenticationTokenException"
            } else {
                "AccessDeniedException"
            };
            if kind_of_error != Some(want) {
                failures.push(format!(
                    "{kind} {op}: denied with {kind_of_error:?}, not {want}"
                ));
            }
        }
    }
    assert_eq!(
        answers.as_array().map(Vec::len),
        Some(callers.len() * OPERATIONS.len())
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The target-account dimension: each of the administrator, its member and an outsider acts
/// on its own account, the member's and the outsider's, through every member of a request that
/// names an account (accountIds, accountId, a finding or filter ARN, an awsAccountId filter).
/// Reads reach the accounts the caller manages, changes only those it may change; nothing of
/// another tenant ever comes back.
#[test]
fn cross_account_targets() {
    tools_present();
    let server = start_full(&[], &[("VIGIL_ORGANIZATION_MANAGEMENT_ACCOUNT", ACCOUNT)]);
    let key = |account: &str| -> Value {
        serde_json::from_str(&run_ok(
            vigil()
                .args(["admin", "create-key", "--account", account, "--data-dir"])
                .arg(&server.data),
        ))
        .unwrap()
    };
    let keys: Vec<(&str, Value)> = vec![
        (ADMIN, key(ADMIN)),
        (MEMBER, key(MEMBER)),
        (OUTSIDER, key(OUTSIDER)),
    ];
    let k = |a: &str| {
        keys.iter()
            .find(|(x, _)| *x == a)
            .map(|(_, k)| k.clone())
            .unwrap()
    };
    signed(
        &server,
        &[
            (
                &server.key,
                "/delegatedadminaccounts/enable",
                json!({"delegatedAdminAccountId": ADMIN}),
            ),
            (
                &k(ADMIN),
                "/members/associate",
                json!({"accountId": MEMBER}),
            ),
        ],
    );
    // each account: a scanned image (findings) and a filter
    let sbom: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_sbom(server.dir.path())).unwrap())
            .unwrap();
    let mut arns = std::collections::BTreeMap::new();
    for (a, key) in &keys {
        let r = signed(
            &server,
            &[
                (
                    key,
                    "/vigil/v1/scans",
                    json!({"resourceId": format!("app-{a}:1"), "sbom": sbom}),
                ),
                (
                    key,
                    "/filters/create",
                    json!({"name": "f", "action": "NONE",
                    "filterCriteria": {"severity": [{"comparison": "EQUALS", "value": "HIGH"}]}}),
                ),
                (key, "/findings/list", json!({"maxResults": 1})),
            ],
        );
        let filter = r[1]["arn"].as_str().expect("filter").to_owned();
        let finding = r[2]["findings"][0]["findingArn"]
            .as_str()
            .expect("finding")
            .to_owned();
        arns.insert(*a, (filter, finding));
    }
    let manages =
        |caller: &str, target: &str| caller == target || (caller == ADMIN && target == MEMBER);
    let mut failures = Vec::new();
    for (caller, ckey) in &keys {
        for target in [ADMIN, MEMBER, OUTSIDER] {
            let (filter, finding) = arns[target].clone();
            let r = signed(
                &server,
                &[
                    (ckey, "/status/batch/get", json!({"accountIds": [target]})),
                    (
                        ckey,
                        "/enable",
                        json!({"accountIds": [target], "resourceTypes": ["LAMBDA_CODE"]}),
                    ),
                    (ckey, "/usage/list", json!({"accountIds": [target]})),
                    (
                        ckey,
                        "/findings/details/batch/get",
                        json!({"findingArns": [finding]}),
                    ),
                    (
                        ckey,
                        "/findings/list",
                        json!({"filterCriteria": {"awsAccountId": [{"comparison": "EQUALS", "value": target}]}}),
                    ),
                    (ckey, "/members/get", json!({"accountId": target})),
                    (ckey, "/filters/delete", json!({"arn": filter})),
                ],
            );
            let may_read = manages(caller, target);
            let mut check = |what: &str, ok: bool, got: &Value| {
                if !ok {
                    failures.push(format!("{caller} -> {target}: {what}: {got}"));
                }
            };
            check(
                "BatchGetAccountStatus",
                (r[0]["accounts"].as_array().map(Vec::len) == Some(1)) == may_read
                    && (r[0]["failedAccounts"].as_array().map(Vec::len)
                        == Some(usize::from(!may_read))),
                &r[0],
            );
            check(
                "Enable",
                (r[1]["accounts"].as_array().map(Vec::len) == Some(1)) == may_read,
                &r[1],
            );
            check(
                "ListUsageTotals",
                (r[2].get("totals").is_some()) == may_read
                    && (may_read || r[2]["type"] == "AccessDeniedException"),
                &r[2],
            );
            check(
                "BatchGetFindingDetails",
                if may_read {
                    r[3]["findingDetails"].as_array().map(Vec::len) == Some(1)
                } else {
                    r[3]["type"] == "AccessDeniedException"
                },
                &r[3],
            );
            let seen: Vec<&str> = r[4]["findings"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|x| x["awsAccountId"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            check(
                "ListFindings by awsAccountId",
                if may_read {
                    !seen.is_empty() && seen.iter().all(|a| *a == target)
                } else {
                    seen.is_empty()
                },
                &json!(seen),
            );
            check(
                "GetMember",
                if *caller == ADMIN {
                    r[5]["member"]["accountId"] == target
                        || (target == ADMIN && r[5]["type"] == "ResourceNotFoundException")
                } else {
                    r[5]["type"] == "AccessDeniedException"
                },
                &r[5],
            );
            // filters change only in their own account, whoever manages it
            check(
                "DeleteFilter",
                if *caller == target {
                    r[6].get("status").is_none()
                } else {
                    r[6]["type"] == "AccessDeniedException"
                },
                &r[6],
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

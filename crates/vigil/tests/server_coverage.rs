//! Coverage, aggregations and finding details end to end, driven by the real AWS CLI and boto3
//! (PyPI `awscli`, `boto3`): the demo image submitted twice under different resource ids, then
//! `aws inspector2 list-coverage`, `list-coverage-statistics`, `list-finding-aggregations` and
//! `batch-get-finding-details`, and boto3's paginators, checked against `list-findings`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use common::*;
use serde_json::Value;

fn severity_counts(findings: &[Value]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f["severity"].as_str().unwrap_or("").to_owned())
            .or_default() += 1;
    }
    m
}

#[test]
fn coverage_aggregations_and_details_through_aws_cli_and_boto3() {
    let ok = Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("aws")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the AWS CLI and boto3 are needed: python3 -m pip install awscli boto3"
    );
    let s = start();
    let work = tempfile::tempdir().expect("tmp");
    let sbom = demo_sbom(work.path());
    let target = format!("sbom:{}", sbom.display());
    let a = s.scan(&target, "demo-image-a");
    let b = s.scan(&target, "demo-image-b");
    assert!(a["new"].as_u64().expect("new") >= 10, "{a}");
    assert_eq!(a["new"], b["new"], "{a} {b}");
    let kind = a["resourceType"].as_str().expect("type").to_owned();

    let all = s.aws(&["list-findings", "--max-results", "100"]);
    let findings = all["findings"].as_array().expect("findings").clone();
    assert_eq!(
        findings.len() as u64,
        a["new"].as_u64().expect("new") * 2,
        "{a}"
    );
    let sev = severity_counts(&findings);

    // 1. ListCoverage: both resources, scanned, ACTIVE/SUCCESSFUL
    let cov = s.aws(&["list-coverage"]);
    let covered = cov["coveredResources"].as_array().expect("covered");
    assert_eq!(covered.len(), 2, "{cov}");
    let ids: BTreeSet<&str> = covered
        .iter()
        .map(|r| r["resourceId"].as_str().expect("id"))
        .collect();
    assert!(
        ids.iter().any(|i| i.contains("demo-image-a"))
            && ids.iter().any(|i| i.contains("demo-image-b")),
        "{cov}"
    );
    for r in covered {
        assert_eq!(r["accountId"], "111122223333", "{r}");
        assert_eq!(r["resourceType"], kind.as_str(), "{r}");
        assert_eq!(r["scanType"], "PACKAGE", "{r}");
        assert_eq!(r["scanStatus"]["statusCode"], "ACTIVE", "{r}");
        assert_eq!(r["scanStatus"]["reason"], "SUCCESSFUL", "{r}");
        assert!(r.get("lastScannedAt").is_some(), "{r}");
    }
    let one_id = covered[0]["resourceId"].as_str().expect("id").to_owned();
    let filtered = s.aws(&[
        "list-coverage",
        "--filter-criteria",
        &format!(r#"{{"resourceId":[{{"comparison":"EQUALS","value":"{one_id}"}}]}}"#),
    ]);
    assert_eq!(
        filtered["coveredResources"].as_array().map(Vec::len),
        Some(1),
        "{filtered}"
    );
    let none = s.aws(&[
        "list-coverage",
        "--filter-criteria",
        r#"{"scanStatusCode":[{"comparison":"EQUALS","value":"INACTIVE"}]}"#,
    ]);
    assert_eq!(
        none["coveredResources"].as_array().map(Vec::len),
        Some(0),
        "{none}"
    );
    let err = s.aws_err(&[
        "list-coverage",
        "--filter-criteria",
        r#"{"resourceId":[{"comparison":"PREFIX","value":"demo"}]}"#,
    ]);
    assert!(
        err.contains("ValidationException") && err.contains("comparison"),
        "{err}"
    );

    // 2. ListCoverageStatistics
    let stats = s.aws(&["list-coverage-statistics", "--group-by", "RESOURCE_TYPE"]);
    assert_eq!(stats["totalCounts"], 2, "{stats}");
    assert_eq!(
        stats["countsByGroup"][0]["groupKey"],
        kind.as_str(),
        "{stats}"
    );
    assert_eq!(stats["countsByGroup"][0]["count"], 2, "{stats}");
    let stats = s.aws(&[
        "list-coverage-statistics",
        "--group-by",
        "SCAN_STATUS_REASON",
    ]);
    assert_eq!(
        stats["countsByGroup"][0]["groupKey"], "SUCCESSFUL",
        "{stats}"
    );

    // 3. ListFindingAggregations
    let acct = s.aws(&["list-finding-aggregations", "--aggregation-type", "ACCOUNT"]);
    let acct0 = &acct["responses"][0]["accountAggregation"];
    assert_eq!(acct0["accountId"], "111122223333", "{acct}");
    assert_eq!(acct0["severityCounts"]["all"], findings.len(), "{acct}");
    for (k, name) in [
        ("critical", "CRITICAL"),
        ("high", "HIGH"),
        ("medium", "MEDIUM"),
    ] {
        assert_eq!(
            acct0["severityCounts"][k].as_u64(),
            Some(sev.get(name).copied().unwrap_or(0)),
            "{k}: {acct} {sev:?}"
        );
    }
    let ft = s.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "FINDING_TYPE",
        "--aggregation-request",
        r#"{"findingTypeAggregation":{"findingType":"PACKAGE_VULNERABILITY"}}"#,
    ]);
    assert_eq!(
        ft["responses"][0]["findingTypeAggregation"]["severityCounts"]["all"],
        findings.len(),
        "{ft}"
    );

    let pkgs = s.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "PACKAGE",
        "--aggregation-request",
        r#"{"packageAggregation":{"sortBy":"ALL","sortOrder":"DESC"}}"#,
    ]);
    let mut per_pkg: BTreeMap<String, u64> = BTreeMap::new();
    for f in &findings {
        let names: BTreeSet<&str> = f["packageVulnerabilityDetails"]["vulnerablePackages"]
            .as_array()
            .expect("packages")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for n in names {
            *per_pkg.entry(n.to_owned()).or_default() += 1;
        }
    }
    let got: BTreeMap<String, u64> = pkgs["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| {
            (
                r["packageAggregation"]["packageName"]
                    .as_str()
                    .expect("name")
                    .to_owned(),
                r["packageAggregation"]["severityCounts"]["all"]
                    .as_u64()
                    .expect("all"),
            )
        })
        .collect();
    assert_eq!(got, per_pkg, "{pkgs}");
    let alls: Vec<u64> = pkgs["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| {
            r["packageAggregation"]["severityCounts"]["all"]
                .as_u64()
                .unwrap_or(0)
        })
        .collect();
    assert!(
        alls.windows(2).all(|w| w[0] >= w[1]),
        "sorted by ALL: {alls:?}"
    );
    assert!(per_pkg.contains_key("requests"), "{per_pkg:?}");
    let req_only = s.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "PACKAGE",
        "--aggregation-request",
        r#"{"packageAggregation":{"packageNames":[{"comparison":"EQUALS","value":"requests"}]}}"#,
    ]);
    let rs = req_only["responses"].as_array().expect("responses");
    assert_eq!(rs.len(), 1, "{req_only}");
    assert_eq!(rs[0]["packageAggregation"]["packageName"], "requests");
    assert_eq!(
        rs[0]["packageAggregation"]["severityCounts"]["all"].as_u64(),
        per_pkg.get("requests").copied()
    );

    let titles = s.aws(&["list-finding-aggregations", "--aggregation-type", "TITLE"]);
    let title_rows = titles["responses"].as_array().expect("responses");
    let distinct_titles: BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["title"].as_str())
        .collect();
    let row_titles: BTreeSet<&str> = title_rows
        .iter()
        .filter_map(|r| r["titleAggregation"]["title"].as_str())
        .collect();
    assert_eq!(row_titles, distinct_titles, "{titles}");
    // each finding is in one title group; each title is seen on both images
    let total: u64 = title_rows
        .iter()
        .map(|r| {
            r["titleAggregation"]["severityCounts"]["all"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(total, findings.len() as u64, "{titles}");
    assert!(
        title_rows
            .iter()
            .all(|r| r["titleAggregation"]["severityCounts"]["all"]
                .as_u64()
                .unwrap_or(1)
                % 2
                == 0),
        "{titles}"
    );

    // per-resource aggregations: the type matching the demo image's resource type
    let (agg_type, member, id_field) = match kind.as_str() {
        "AWS_ECR_CONTAINER_IMAGE" => (
            "AWS_ECR_CONTAINER",
            "awsEcrContainerAggregation",
            "resourceId",
        ),
        "AWS_LAMBDA_FUNCTION" => (
            "AWS_LAMBDA_FUNCTION",
            "lambdaFunctionAggregation",
            "resourceId",
        ),
        _ => ("AWS_EC2_INSTANCE", "ec2InstanceAggregation", "instanceId"),
    };
    let per_res = s.aws(&["list-finding-aggregations", "--aggregation-type", agg_type]);
    let rows = per_res["responses"].as_array().expect("responses");
    assert_eq!(rows.len(), 2, "{per_res}");
    for r in rows {
        let r = &r[member];
        assert!(ids.contains(r[id_field].as_str().expect("id")), "{r}");
        assert_eq!(
            r["severityCounts"]["all"].as_u64(),
            a["findings"].as_u64(),
            "{r}"
        );
    }
    // the other per-resource types have nothing to aggregate
    for other in [
        "AWS_EC2_INSTANCE",
        "AWS_LAMBDA_FUNCTION",
        "AWS_ECR_CONTAINER",
    ] {
        if other != agg_type {
            let v = s.aws(&["list-finding-aggregations", "--aggregation-type", other]);
            assert_eq!(v["responses"].as_array().map(Vec::len), Some(0), "{v}");
        }
    }
    let repos = s.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "REPOSITORY",
    ]);
    if let Some(r0) = repos["responses"].as_array().and_then(|r| r.first()) {
        assert_eq!(r0["repositoryAggregation"]["affectedImages"], 2, "{repos}");
    }
    let err = s.aws_err(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "PACKAGE",
        "--aggregation-request",
        r#"{"titleAggregation":{}}"#,
    ]);
    assert!(err.contains("ValidationException"), "{err}");

    // 4. BatchGetFindingDetails
    let kev = findings
        .iter()
        .find(|f| f["exploitAvailable"] == "YES")
        .unwrap_or(&findings[0]);
    let arn = kev["findingArn"].as_str().expect("arn").to_owned();
    let missing =
        "arn:aws:inspector2:us-east-1:111122223333:finding/0123456789abcdef0123456789abcdef";
    let details = s.aws(&["batch-get-finding-details", "--finding-arns", &arn, missing]);
    let d = &details["findingDetails"][0];
    assert_eq!(d["findingArn"], arn.as_str(), "{details}");
    assert_eq!(
        d["referenceUrls"], kev["packageVulnerabilityDetails"]["referenceUrls"],
        "{details}"
    );
    if let Some(epss) = kev["epss"]["score"].as_f64() {
        assert_eq!(d["epssScore"].as_f64(), Some(epss), "{details}");
    }
    if kev["exploitAvailable"] == "YES" {
        assert!(d["cisaData"]["dateAdded"].is_number(), "{details}");
    }
    assert_eq!(details["errors"][0]["findingArn"], missing, "{details}");
    assert_eq!(
        details["errors"][0]["errorCode"], "FINDING_DETAILS_NOT_FOUND",
        "{details}"
    );

    // 5. boto3: paginators, parsed without errors (botocore would raise on a bad shape)
    let out = s.python(
        r#"
import json, os, boto3, botocore
c = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"])
cov = [r["resourceId"] for p in c.get_paginator("list_coverage").paginate(PaginationConfig={"PageSize": 1}) for r in p["coveredResources"]]
cov_pages = len(list(c.get_paginator("list_coverage").paginate(PaginationConfig={"PageSize": 1})))
pages = list(c.get_paginator("list_finding_aggregations").paginate(aggregationType="PACKAGE", PaginationConfig={"PageSize": 2}))
pkgs = [r["packageAggregation"]["packageName"] for p in pages for r in p["responses"]]
stats = c.get_paginator("list_coverage_statistics").paginate(groupBy="SCAN_STATUS_CODE").build_full_result()
first = c.list_coverage()["coveredResources"][0]
d = c.batch_get_finding_details(findingArns=[os.environ["ARN"]])["findingDetails"][0]
errors = {}
for name, call in [
    ("max-results", lambda: c.list_coverage(maxResults=201)),
    ("bad-token", lambda: c.list_finding_aggregations(aggregationType="ACCOUNT", nextToken="garbage")),
    ("bad-group", lambda: c.list_coverage_statistics(groupBy="NOPE")),
]:
    try:
        call()
        errors[name] = "no error"
    except botocore.exceptions.ParamValidationError:
        errors[name] = "client-side"
    except botocore.exceptions.ClientError as e:
        errors[name] = e.response["Error"]["Code"]
print(json.dumps({
    "coverage": cov, "coverage_pages": cov_pages, "pages": len(pages), "packages": pkgs,
    "stats": stats["countsByGroup"], "total": stats["totalCounts"],
    "lastScannedAt": type(first["lastScannedAt"]).__name__,
    "cisa": type(d.get("cisaData", {}).get("dateAdded")).__name__,
    "errors": errors,
}))
"#
        .replace("os.environ[\"ARN\"]", &format!("{arn:?}"))
        .as_str(),
    );
    assert_eq!(out["coverage"].as_array().map(Vec::len), Some(2), "{out}");
    assert_eq!(out["coverage_pages"], 2, "{out}");
    let pk: Vec<&str> = out["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(pk.len(), per_pkg.len(), "{out}");
    assert_eq!(
        pk.iter().copied().collect::<BTreeSet<_>>(),
        per_pkg.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "{out}"
    );
    assert!(out["pages"].as_u64().expect("pages") >= 2, "{out}");
    assert_eq!(out["total"], 2, "{out}");
    assert_eq!(out["stats"][0]["groupKey"], "ACTIVE", "{out}");
    assert_eq!(out["lastScannedAt"], "datetime", "{out}");
    if kev["exploitAvailable"] == "YES" {
        assert_eq!(out["cisa"], "datetime", "{out}");
    }
    assert_eq!(out["errors"]["max-results"], "ValidationException", "{out}");
    assert_eq!(out["errors"]["bad-token"], "ValidationException", "{out}");
    assert_eq!(out["errors"]["bad-group"], "ValidationException", "{out}");
    eprintln!(
        "coverage: {kind} x2, {} findings, {} packages, repositories {}, detail {}",
        findings.len(),
        per_pkg.len(),
        repos["responses"],
        details["findingDetails"][0]
    );
}

/// Inspector's exclusion tag: a host tagged `InspectorEc2Exclusion` is not scanned (coverage
/// INACTIVE/EXCLUDED_BY_TAG, its findings CLOSED, re-evaluations skip it); without the tag its
/// next inventory counts again and the findings reopen.
#[test]
fn an_exclusion_tag_stops_scanning_and_closes_findings() {
    use serde_json::json;
    tools_present();
    let s = start();
    let work = tempfile::tempdir().expect("tmp");
    let sbom: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_sbom(work.path())).expect("sbom"))
            .expect("json");
    let submit = |tags: Value| {
        s.native(
            "/vigil/v1/scans",
            &json!({"sbom": sbom, "resourceId": "i-0aaaaaaaaaaaaaaaa", "tags": tags}),
        )
    };
    let statuses = || -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for f in s.aws(&["list-findings", "--max-results", "100"])["findings"]
            .as_array()
            .expect("findings")
        {
            *m.entry(f["status"].as_str().unwrap_or("").to_owned())
                .or_default() += 1;
        }
        m
    };
    let first = submit(json!({"team": "web"}));
    let n = first["new"].as_u64().expect("new");
    assert!(n > 0, "{first}");
    assert_eq!(statuses(), BTreeMap::from([("ACTIVE".to_owned(), n)]));

    let excluded = submit(json!({"team": "web", "InspectorEc2Exclusion": "true"}));
    assert_eq!(excluded["closed"], n, "{excluded}");
    assert_eq!(excluded["findings"], 0, "{excluded}");
    assert_eq!(statuses(), BTreeMap::from([("CLOSED".to_owned(), n)]));
    let cov = s.aws(&["list-coverage"])["coveredResources"][0].clone();
    assert_eq!(cov["scanStatus"]["statusCode"], "INACTIVE", "{cov}");
    assert_eq!(cov["scanStatus"]["reason"], "EXCLUDED_BY_TAG", "{cov}");
    let arn = s.aws(&["list-findings", "--max-results", "1"])["findings"][0]["findingArn"]
        .as_str()
        .expect("arn")
        .to_owned();
    let h = s.native("/vigil/v1/findings/history", &json!({"findingArn": arn}));
    assert_eq!(
        h["transitions"]
            .as_array()
            .and_then(|t| t.last())
            .map(|t| t["reason"].clone()),
        Some(json!("EXCLUDED_BY_TAG")),
        "{h}"
    );

    let back = submit(json!({"team": "web"}));
    assert_eq!(back["reopened"], n, "{back}");
    assert_eq!(statuses(), BTreeMap::from([("ACTIVE".to_owned(), n)]));
    let cov = s.aws(&["list-coverage"])["coveredResources"][0].clone();
    assert_eq!(cov["scanStatus"]["reason"], "SUCCESSFUL", "{cov}");
}

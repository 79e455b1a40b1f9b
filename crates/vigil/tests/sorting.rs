//! The findings' fast paths against the general ones. ListFindings' sortCriteria against an
//! independent oracle: every SortField in both orders,
//! paged 7 at a time through boto3 (some fields sort in SQL, the others in a bounded top-k
//! over pages of the store), compared with the whole unsorted list sorted in Python by
//! Inspector's rules (the field's first value, missing values last in either order, severity
//! by rank, ties by findingArn), with and without residual criteria. ListFindingAggregations by
//! TITLE counted from the store's index against the same request with a filter that keeps
//! every finding (which tallies the findings one by one).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;

/// A server with an image, a host with the same packages and a network's reachability
/// findings, some of them suppressed.
fn fleet() -> Server {
    tools_present();
    let s = start();
    let sbom = demo_sbom(s.dir.path());
    // an image, a host with the same packages, a network's reachability findings
    s.scan(&sbom.display().to_string(), "i-0123456789abcdef0");
    scan_demo_as_host(&s, &sbom);
    let net = s.native(
        "/vigil/v1/network/analyze",
        &json!({"format": "aws", "files": network_fixtures()}),
    );
    assert!(net["findings"]["new"].as_u64().unwrap() > 0, "{net}");
    // some SUPPRESSED findings, so that status varies too
    s.aws(&[
        "create-filter",
        "--name",
        "accept-urllib3",
        "--action",
        "SUPPRESS",
        "--filter-criteria",
        r#"{"vulnerablePackages":[{"name":{"comparison":"EQUALS","value":"urllib3"}}]}"#,
    ]);
    s
}

#[test]
fn title_groups_from_the_index_equal_the_tally() {
    let s = fleet();
    let fast = s.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "TITLE",
        "--aggregation-request",
        r#"{"titleAggregation":{"sortBy":"ALL","sortOrder":"DESC"}}"#,
    ]);
    // a filter every title passes takes the general path
    let slow = s.aws(&[
        "list-finding-aggregations",
        "--aggregation-type",
        "TITLE",
        "--aggregation-request",
        r#"{"titleAggregation":{"sortBy":"ALL","sortOrder":"DESC","titles":[{"comparison":"NOT_EQUALS","value":"no such title"}]}}"#,
    ]);
    let groups = fast["responses"].as_array().unwrap();
    assert!(groups.len() > 5, "{fast}");
    assert_eq!(fast["responses"], slow["responses"], "{fast}\n{slow}");
    // network findings have titles but no vulnerability id
    assert!(
        groups
            .iter()
            .any(|g| g["titleAggregation"].get("vulnerabilityId").is_none())
    );
    for sort in ["CRITICAL", "HIGH", "VIGIL_SCORE"] {
        let req = format!(r#"{{"titleAggregation":{{"sortBy":"{sort}","sortOrder":"ASC"}}}}"#);
        let req_slow = format!(
            r#"{{"titleAggregation":{{"sortBy":"{sort}","sortOrder":"ASC","titles":[{{"comparison":"NOT_EQUALS","value":"x"}}]}}}}"#
        );
        let a = s.aws(&[
            "list-finding-aggregations",
            "--aggregation-type",
            "TITLE",
            "--aggregation-request",
            &req,
        ]);
        let b = s.aws(&[
            "list-finding-aggregations",
            "--aggregation-type",
            "TITLE",
            "--aggregation-request",
            &req_slow,
        ]);
        assert_eq!(a["responses"], b["responses"], "{sort}");
    }
}

#[test]
fn every_sort_field_pages_as_the_oracle_sorts() {
    let s = fleet();

    let out = s.python(
        r#"
import boto3, datetime, json, os
c = boto3.client("inspector2", endpoint_url=os.environ["VIGIL_URL"], region_name="us-east-1")
FIELDS = {
  "AWS_ACCOUNT_ID": ("awsAccountId",), "FINDING_TYPE": ("type",), "SEVERITY": ("severity",),
  "FIRST_OBSERVED_AT": ("firstObservedAt",), "LAST_OBSERVED_AT": ("lastObservedAt",),
  "FINDING_STATUS": ("status",), "RESOURCE_TYPE": ("resources", "type"),
  "ECR_IMAGE_PUSHED_AT": ("resources", "details", "awsEcrContainerImage", "pushedAt"),
  "ECR_IMAGE_REPOSITORY_NAME": ("resources", "details", "awsEcrContainerImage", "repositoryName"),
  "ECR_IMAGE_REGISTRY": ("resources", "details", "awsEcrContainerImage", "registry"),
  "NETWORK_PROTOCOL": ("networkReachabilityDetails", "protocol"),
  "COMPONENT_TYPE": ("networkReachabilityDetails", "networkPath", "steps", "componentType"),
  "VULNERABILITY_ID": ("packageVulnerabilityDetails", "vulnerabilityId"),
  "VULNERABILITY_SOURCE": ("packageVulnerabilityDetails", "source"),
  "INSPECTOR_SCORE": ("inspectorScore",), "VENDOR_SEVERITY": ("packageVulnerabilityDetails", "vendorSeverity"),
  "EPSS_SCORE": ("epss", "score"),
}
RANK = {"UNTRIAGED": 0, "INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
def first(v, path):
    for p in path:
        if isinstance(v, list):
            v = v[0] if v else None
        if not isinstance(v, dict) or p not in v:
            return None
        v = v[p]
    if isinstance(v, list):
        v = v[0] if v else None
    return v
def key(field, f):
    v = first(f, FIELDS[field])
    if v is None:
        return None
    if field == "SEVERITY":
        return (RANK.get(v, -1), v)
    return v
def pages(**kw):
    out, token = [], None
    while True:
        args = dict(kw, maxResults=7)
        if token: args["nextToken"] = token
        r = c.list_findings(**args)
        out += r["findings"]
        token = r.get("nextToken")
        if not token: return out
residuals = [None, {"title": [{"comparison": "PREFIX", "value": "CVE-20"}]}]
everything = {json.dumps(r): pages(**({"filterCriteria": r} if r else {})) for r in residuals}
bad, compared = [], 0
for field in FIELDS:
    for order in ["ASC", "DESC"]:
        for r in residuals:
            base = everything[json.dumps(r)]
            have = [(key(field, f), f) for f in base if key(field, f) is not None]
            missing = sorted((f for f in base if key(field, f) is None), key=lambda f: f["findingArn"])
            have.sort(key=lambda kf: kf[1]["findingArn"])
            have.sort(key=lambda kf: kf[0], reverse=(order == "DESC"))
            want = [f["findingArn"] for _, f in have] + [f["findingArn"] for f in missing]
            kw = {"sortCriteria": {"field": field, "sortOrder": order}}
            if r: kw["filterCriteria"] = r
            got = [f["findingArn"] for f in pages(**kw)]
            compared += len(got)
            if got != want:
                bad.append([field, order, bool(r), got[:5], want[:5]])
print(json.dumps({"bad": bad, "compared": compared, "total": len(everything["null"]),
                  "statuses": sorted({f["status"] for f in everything["null"]}),
                  "types": sorted({f["type"] for f in everything["null"]})}))
"#,
    );
    assert_eq!(out["bad"], json!([]), "{out}");
    assert!(out["total"].as_u64().unwrap() > 40, "{out}");
    assert_eq!(out["statuses"], json!(["ACTIVE", "SUPPRESSED"]), "{out}");
    assert_eq!(
        out["types"],
        json!(["NETWORK_REACHABILITY", "PACKAGE_VULNERABILITY"]),
        "{out}"
    );
    assert!(out["compared"].as_u64().unwrap() > 2000, "{out}");
}

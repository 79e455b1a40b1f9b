//! FilterCriteria matching against realistic inspector2 findings.
#![allow(clippy::unwrap_used)]

mod common;

use common::{all_findings, code, ecr, log4j, network};
use serde_json::{Value, json};
use vigil_api::criteria::{CriterionKind, FILTER_CRITERIA_FIELDS};
use vigil_api::{FilterCriteria, json as vjson};

/// Parses and validates criteria (panics with the error on failure).
fn crit(v: Value) -> FilterCriteria {
    FilterCriteria::from_json(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// Labels of the fixtures the criteria match, in fixture order.
fn hits(v: Value) -> Vec<&'static str> {
    let c = crit(v);
    let labels = ["ecr", "log4j", "net", "code"];
    all_findings()
        .iter()
        .zip(labels)
        .filter(|(f, _)| c.matches(f))
        .map(|(_, l)| l)
        .collect()
}

fn eq(v: &str) -> Value {
    json!({"comparison": "EQUALS", "value": v})
}
fn prefix(v: &str) -> Value {
    json!({"comparison": "PREFIX", "value": v})
}
fn ne(v: &str) -> Value {
    json!({"comparison": "NOT_EQUALS", "value": v})
}

/// A CODE_REPOSITORY finding and a Lambda package finding with a layer, for
/// the members the four fixtures do not carry.
fn extra_findings() -> Vec<Value> {
    vec![
        json!({
            "awsAccountId": "123456789012",
            "findingArn": "arn:aws:inspector2:us-east-1:123456789012:finding/00000000000000000000000000000001",
            "type": "CODE_VULNERABILITY",
            "severity": "HIGH",
            "status": "ACTIVE",
            "firstObservedAt": "2024-03-01T00:00:00Z",
            "lastObservedAt": "2024-03-01T00:00:00Z",
            "description": "Hardcoded credentials.",
            "remediation": {"recommendation": {"text": "Use a secrets manager."}},
            "resources": [{
                "type": "CODE_REPOSITORY",
                "id": "github/acme/payments",
                "details": {"codeRepository": {
                    "projectName": "acme/payments",
                    "providerType": "GITHUB",
                    "integrationArn": "arn:aws:inspector2:us-east-1:123456789012:codesecurity-integration/0123abcd-0123-abcd-0123-0123456789ab"
                }}
            }]
        }),
        json!({
            "awsAccountId": "123456789012",
            "findingArn": "arn:aws:inspector2:us-east-1:123456789012:finding/00000000000000000000000000000002",
            "type": "PACKAGE_VULNERABILITY",
            "severity": "MEDIUM",
            "status": "ACTIVE",
            "firstObservedAt": "2024-03-01T00:00:00Z",
            "lastObservedAt": "2024-03-01T00:00:00Z",
            "description": "ReDoS in a layer dependency.",
            "remediation": {"recommendation": {"text": "Upgrade."}},
            "packageVulnerabilityDetails": {
                "vulnerabilityId": "GHSA-abcd-efgh-ijkl",
                "source": "GITHUB",
                "vulnerablePackages": [{
                    "name": "requests", "version": "2.25.0", "packageManager": "PYTHONPKG",
                    "sourceLambdaLayerArn": "arn:aws:lambda:us-east-1:123456789012:layer:deps:3",
                    "filePath": "python/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA"
                }]
            },
            "resources": [{
                "type": "AWS_LAMBDA_FUNCTION",
                "id": "arn:aws:lambda:us-east-1:123456789012:function:fetcher:$LATEST",
                "details": {"awsLambdaFunction": {
                    "functionName": "fetcher", "runtime": "PYTHON_3_11", "codeSha256": "abc=",
                    "version": "$LATEST",
                    "executionRoleArn": "arn:aws:iam::123456789012:role/fetcher",
                    "layers": ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"]
                }}
            }]
        }),
    ]
}

// ---------------------------------------------------------------- basics

#[test]
fn empty_criteria_match_everything() {
    assert_eq!(hits(json!({})), ["ecr", "log4j", "net", "code"]);
    assert!(crit(json!({})).is_empty());
}

#[test]
fn cli_round_trip_severity_and_epoch_date() {
    // As `aws inspector2 list-findings --filter-criteria ...` sends it.
    let body = r#"{"severity":[{"comparison":"EQUALS","value":"HIGH"}],"firstObservedAt":[{"startInclusive":1700000000}]}"#;
    let v: Value = serde_json::from_str(body).unwrap();
    let c = FilterCriteria::from_json(&v).unwrap();
    assert!(c.validate().is_ok());
    assert_eq!(c.severity.as_ref().unwrap()[0].value, "HIGH");
    let start = c.first_observed_at.as_ref().unwrap()[0]
        .start_inclusive
        .unwrap();
    assert_eq!(start.to_rfc3339(), "2023-11-14T22:13:20Z");
    // Serialises back to the same wire JSON.
    assert_eq!(c.to_json(), v);
    // Plain serde (deny_unknown_fields) agrees.
    let direct: FilterCriteria = serde_json::from_value(v).unwrap();
    assert_eq!(direct, c);
    assert!(c.matches(&ecr()));
    assert!(!c.matches(&log4j()));
}

// ------------------------------------------------ string comparison rules

#[test]
fn equals_single() {
    assert_eq!(hits(json!({"severity": [eq("HIGH")]})), ["ecr"]);
    assert_eq!(hits(json!({"severity": [eq("LOW")]})), ["code"]);
}

#[test]
fn equals_is_case_sensitive_and_exact() {
    assert!(hits(json!({"severity": [eq("high")]})).is_empty());
    assert!(hits(json!({"severity": [eq("HIG")]})).is_empty());
}

#[test]
fn equals_entries_are_ored() {
    assert_eq!(
        hits(json!({"severity": [eq("HIGH"), eq("CRITICAL")]})),
        ["ecr", "log4j"]
    );
}

#[test]
fn prefix_single_and_ored_with_equals() {
    assert_eq!(
        hits(json!({"findingArn": [prefix("arn:aws:inspector2:eu-west-1:")]})),
        ["net", "code"]
    );
    assert_eq!(
        hits(
            json!({"title": [prefix("CVE-2021-"), eq("Port 22 is reachable from an Internet Gateway - TCP")]})
        ),
        ["log4j", "net"]
    );
    // A prefix equal to the whole value matches.
    assert_eq!(hits(json!({"severity": [prefix("MEDIUM")]})), ["net"]);
}

#[test]
fn not_equals_entries_are_anded() {
    assert_eq!(
        hits(json!({"severity": [ne("LOW"), ne("MEDIUM")]})),
        ["ecr", "log4j"]
    );
    assert_eq!(
        hits(json!({"severity": [ne("LOW")]})),
        ["ecr", "log4j", "net"]
    );
}

#[test]
fn positives_ored_then_anded_with_negatives() {
    // (PREFIX "CVE-") AND NOT_EQUALS <ecr title>
    assert_eq!(
        hits(json!({"title": [prefix("CVE-"), ne("CVE-2023-0286 - openssl, libssl1.1")]})),
        ["log4j"]
    );
    // (EQUALS HIGH OR EQUALS CRITICAL) AND NOT_EQUALS CRITICAL
    assert_eq!(
        hits(json!({"severity": [eq("HIGH"), eq("CRITICAL"), ne("CRITICAL")]})),
        ["ecr"]
    );
    // Contradiction: nothing.
    assert!(hits(json!({"severity": [eq("HIGH"), ne("HIGH")]})).is_empty());
}

#[test]
fn different_criteria_are_anded() {
    assert_eq!(
        hits(json!({"awsAccountId": [eq("123456789012")], "findingStatus": [eq("ACTIVE")]})),
        ["ecr"]
    );
    assert!(
        hits(json!({"severity": [eq("HIGH")], "awsAccountId": [eq("210987654321")]})).is_empty()
    );
    assert_eq!(
        hits(json!({
            "findingType": [eq("PACKAGE_VULNERABILITY")],
            "resourceType": [eq("AWS_EC2_INSTANCE")],
            "exploitAvailable": [eq("YES")]
        })),
        ["log4j"]
    );
}

#[test]
fn not_equals_on_absent_field_holds() {
    // Only the ECR finding has a repository; everything else is "not payments/api".
    assert_eq!(
        hits(json!({"ecrImageRepositoryName": [ne("payments/api")]})),
        ["log4j", "net", "code"]
    );
    // ...while EQUALS / PREFIX need the field.
    assert_eq!(
        hits(json!({"ecrImageRepositoryName": [prefix("payments/")]})),
        ["ecr"]
    );
    assert_eq!(
        hits(json!({"fixAvailable": [ne("NO")]})),
        ["ecr", "log4j", "net", "code"]
    );
    assert_eq!(
        hits(json!({"fixAvailable": [eq("YES"), eq("PARTIAL")]})),
        ["ecr", "log4j"]
    );
}

#[test]
fn array_fields_match_any_element() {
    assert_eq!(hits(json!({"ecrImageTags": [eq("v1.4.2")]})), ["ecr"]);
    assert_eq!(hits(json!({"ecrImageTags": [eq("latest")]})), ["ecr"]);
    assert_eq!(hits(json!({"ecrImageTags": [prefix("v1.")]})), ["ecr"]);
    // NOT_EQUALS on a list: holds only if no element equals.
    assert_eq!(
        hits(json!({"ecrImageTags": [ne("latest")]})),
        ["log4j", "net", "code"]
    );
    assert_eq!(
        hits(json!({"relatedVulnerabilities": [eq("GHSA-jfh8-c2jp-5v3q")]})),
        ["log4j"]
    );
    assert_eq!(
        hits(json!({"codeVulnerabilityDetectorTags": [eq("injection")]})),
        ["code"]
    );
    assert_eq!(
        hits(json!({"componentType": [eq("AWS::EC2::InternetGateway")]})),
        ["net"]
    );
    assert_eq!(hits(json!({"componentId": [prefix("sg-")]})), ["net"]);
}

#[test]
fn any_resource_matches() {
    let mut two = ecr();
    let ec2_resource = log4j()["resources"][0].clone();
    two["resources"].as_array_mut().unwrap().push(ec2_resource);
    for (criteria, expected) in [
        (json!({"resourceType": [eq("AWS_EC2_INSTANCE")]}), true),
        (
            json!({"resourceType": [eq("AWS_ECR_CONTAINER_IMAGE")]}),
            true,
        ),
        (json!({"resourceType": [ne("AWS_EC2_INSTANCE")]}), false),
        (json!({"resourceId": [eq("i-0123456789abcdef0")]}), true),
        (
            json!({"resourceTags": [{"comparison": "EQUALS", "key": "Name"}]}),
            true,
        ),
        (
            json!({"ec2InstanceVpcId": [eq("vpc-0a1b2c3d4e5f67890")]}),
            true,
        ),
    ] {
        assert_eq!(crit(criteria.clone()).matches(&two), expected, "{criteria}");
    }
}

#[test]
fn finding_level_string_members() {
    assert_eq!(
        hits(json!({"findingType": [eq("NETWORK_REACHABILITY")]})),
        ["net"]
    );
    assert_eq!(
        hits(json!({"findingStatus": [eq("ACTIVE")]})),
        ["ecr", "net"]
    );
    assert_eq!(hits(json!({"findingStatus": [eq("CLOSED")]})), ["code"]);
    assert_eq!(
        hits(json!({"awsAccountId": [eq("123456789012")]})),
        ["ecr", "log4j", "code"]
    );
    assert_eq!(hits(json!({"exploitAvailable": [eq("NO")]})), ["ecr"]);
    assert_eq!(hits(json!({"title": [prefix("CWE-117")]})), ["code"]);
}

#[test]
fn resource_detail_members() {
    assert_eq!(
        hits(json!({"resourceType": [eq("AWS_EC2_INSTANCE")]})),
        ["log4j", "net"]
    );
    assert_eq!(
        hits(json!({"resourceId": [prefix("arn:aws:lambda:")]})),
        ["code"]
    );
    assert_eq!(
        hits(json!({"ec2InstanceImageId": [eq("ami-0abcdef1234567890")]})),
        ["log4j"]
    );
    assert_eq!(
        hits(json!({"ec2InstanceVpcId": [prefix("vpc-0f")]})),
        ["net"]
    );
    assert_eq!(
        hits(json!({"ec2InstanceSubnetId": [eq("subnet-0123456789abcdef0")]})),
        ["log4j"]
    );
    assert_eq!(
        hits(json!({"ecrImageArchitecture": [eq("amd64")]})),
        ["ecr"]
    );
    assert_eq!(
        hits(json!({"ecrImageRegistry": [eq("123456789012")]})),
        ["ecr"]
    );
    assert_eq!(
        hits(
            json!({"ecrImageHash": [eq("sha256:5f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4")]})
        ),
        ["ecr"]
    );
    assert_eq!(
        hits(json!({"lambdaFunctionName": [eq("orders-handler")]})),
        ["code"]
    );
    assert_eq!(
        hits(
            json!({"lambdaFunctionLayers": [prefix("arn:aws:lambda:eu-west-1:123456789012:layer:common-utils:")]})
        ),
        ["code"]
    );
    assert_eq!(
        hits(json!({"lambdaFunctionRuntime": [eq("PYTHON_3_11")]})),
        ["code"]
    );
    assert_eq!(
        hits(
            json!({"lambdaFunctionExecutionRoleArn": [eq("arn:aws:iam::123456789012:role/orders-handler-role")]})
        ),
        ["code"]
    );
    assert_eq!(
        hits(json!({"codeVulnerabilityDetectorName": [eq("Log injection")]})),
        ["code"]
    );
    assert_eq!(
        hits(json!({"codeVulnerabilityFilePath": [eq("src/orders/handler.py")]})),
        ["code"]
    );
}

#[test]
fn vulnerability_members() {
    assert_eq!(
        hits(json!({"vulnerabilityId": [eq("CVE-2021-44228")]})),
        ["log4j"]
    );
    assert_eq!(
        hits(json!({"vulnerabilityId": [prefix("CVE-2023-")]})),
        ["ecr"]
    );
    assert_eq!(
        hits(json!({"vulnerabilitySource": [eq("DEBIAN_CVE")]})),
        ["ecr"]
    );
    assert_eq!(hits(json!({"vendorSeverity": [eq("CRITICAL")]})), ["log4j"]);
    assert_eq!(hits(json!({"networkProtocol": [eq("TCP")]})), ["net"]);
    assert!(hits(json!({"networkProtocol": [eq("UDP")]})).is_empty());
}

#[test]
fn code_repository_members() {
    let extra = extra_findings();
    let c = crit(json!({"codeRepositoryProjectName": [eq("acme/payments")]}));
    assert!(c.matches(&extra[0]) && !c.matches(&extra[1]));
    let c = crit(json!({"codeRepositoryProviderType": [eq("GITHUB")]}));
    assert!(c.matches(&extra[0]));
    assert!(all_findings().iter().all(|f| !c.matches(f)));
}

// ------------------------------------------------------------------ dates

#[test]
fn dates_as_epoch_numbers() {
    // firstObservedAt: log4j 2023-06-01, ecr 2024-01-10, code 2024-02-01 (epoch), net 2024-02-15.
    assert_eq!(
        hits(json!({"firstObservedAt": [{"startInclusive": 1704067200}]})),
        ["ecr", "net", "code"]
    );
    assert_eq!(
        hits(json!({"firstObservedAt": [{"endInclusive": 1704067200}]})),
        ["log4j"]
    );
    assert_eq!(
        hits(
            json!({"firstObservedAt": [{"startInclusive": 1704067200, "endInclusive": 1706745600}]})
        ),
        ["ecr", "code"]
    );
}

#[test]
fn dates_as_iso_strings() {
    assert_eq!(
        hits(json!({"firstObservedAt": [{"startInclusive": "2024-01-01T00:00:00Z"}]})),
        ["ecr", "net", "code"]
    );
    assert_eq!(
        hits(
            json!({"firstObservedAt": [{"startInclusive": "2024-01-01T01:00:00+01:00", "endInclusive": "2024-02-01"}]})
        ),
        ["ecr", "code"]
    );
}

#[test]
fn date_bounds_are_inclusive_to_the_nanosecond() {
    // ecr firstObservedAt is 2024-01-10T08:15:30.123Z = 1704874530.123.
    assert_eq!(
        hits(
            json!({"firstObservedAt": [{"startInclusive": 1704874530.123, "endInclusive": 1704874530.123}]})
        ),
        ["ecr"]
    );
    assert!(
        hits(
            json!({"firstObservedAt": [{"startInclusive": 1704874530, "endInclusive": 1704874530}]})
        )
        .is_empty()
    );
    assert_eq!(
        hits(
            json!({"firstObservedAt": [{"endInclusive": "2024-01-10T08:15:30.123Z", "startInclusive": "2024-01-10T08:15:30.123Z"}]})
        ),
        ["ecr"]
    );
    // code lastObservedAt is the epoch number 1708421400.5.
    assert_eq!(
        hits(
            json!({"lastObservedAt": [{"startInclusive": "2024-02-20T09:30:00.5Z", "endInclusive": 1708421400.5}]})
        ),
        ["code"]
    );
}

#[test]
fn date_ranges_are_ored() {
    assert_eq!(
        hits(json!({"firstObservedAt": [
            {"endInclusive": "2023-12-31T23:59:59Z"},
            {"startInclusive": "2024-02-10T00:00:00Z"}
        ]})),
        ["log4j", "net"]
    );
}

#[test]
fn resource_date_members() {
    assert_eq!(
        hits(json!({"ecrImagePushedAt": [{"startInclusive": "2024-01-01T00:00:00Z"}]})),
        ["ecr"]
    );
    assert_eq!(
        hits(json!({"ecrImageLastInUseAt": [{"startInclusive": 1709251200}]})),
        ["ecr"]
    );
    assert_eq!(
        hits(json!({"lambdaFunctionLastModifiedAt": [{"endInclusive": "2024-02-20T09:30:00Z"}]})),
        ["code"]
    );
    assert_eq!(
        hits(json!({"updatedAt": [{"startInclusive": "2024-03-03T00:00:00Z"}]})),
        ["log4j", "net"]
    );
    // A date criterion never matches a finding without the date.
    assert!(!crit(json!({"updatedAt": [{}]})).matches(&json!({"severity": "HIGH"})));
}

// ---------------------------------------------------------------- numbers

#[test]
fn number_ranges() {
    assert_eq!(
        hits(json!({"inspectorScore": [{"lowerInclusive": 7.0}]})),
        ["ecr", "log4j"]
    );
    assert_eq!(
        hits(json!({"inspectorScore": [{"lowerInclusive": 7.4, "upperInclusive": 7.4}]})),
        ["ecr"]
    );
    assert_eq!(
        hits(json!({"inspectorScore": [{"upperInclusive": 9.9}]})),
        ["ecr"]
    );
    // ORed ranges.
    assert_eq!(
        hits(json!({"inspectorScore": [{"upperInclusive": 5}, {"lowerInclusive": 9}]})),
        ["log4j"]
    );
    assert_eq!(
        hits(json!({"epssScore": [{"lowerInclusive": 0.5}]})),
        ["log4j"]
    );
    assert_eq!(
        hits(json!({"epssScore": [{"lowerInclusive": 0, "upperInclusive": 1}]})),
        ["ecr", "log4j"]
    );
    assert_eq!(
        hits(json!({"ecrImageInUseCount": [{"lowerInclusive": 1}]})),
        ["ecr"]
    );
    assert!(hits(json!({"ecrImageInUseCount": [{"lowerInclusive": 4}]})).is_empty());
}

// ------------------------------------------------------------------- maps

#[test]
fn map_filters_on_resource_tags() {
    let tag = |k: &str, v: Option<&str>| match v {
        Some(v) => json!({"comparison": "EQUALS", "key": k, "value": v}),
        None => json!({"comparison": "EQUALS", "key": k}),
    };
    assert_eq!(
        hits(json!({"resourceTags": [tag("env", Some("prod"))]})),
        ["ecr", "net", "code"]
    );
    // Key only: any value.
    assert_eq!(
        hits(json!({"resourceTags": [tag("env", None)]})),
        ["ecr", "log4j", "net", "code"]
    );
    assert_eq!(
        hits(json!({"resourceTags": [tag("Name", Some("legacy-batch"))]})),
        ["log4j"]
    );
    // Keys and values are case-sensitive.
    assert!(hits(json!({"resourceTags": [tag("ENV", None)]})).is_empty());
    assert!(hits(json!({"resourceTags": [tag("env", Some("Prod"))]})).is_empty());
    // A value must belong to the key.
    assert!(hits(json!({"resourceTags": [tag("team", Some("prod"))]})).is_empty());
    // Entries are ORed.
    assert_eq!(
        hits(json!({"resourceTags": [tag("env", Some("staging")), tag("owner", Some("ops"))]})),
        ["log4j", "net"]
    );
    // Empty value matches only an empty tag value.
    let mut f = ecr();
    f["resources"][0]["tags"]["scratch"] = json!("");
    assert!(crit(json!({"resourceTags": [tag("scratch", Some(""))]})).matches(&f));
    assert!(!crit(json!({"resourceTags": [tag("env", Some(""))]})).matches(&f));
}

// --------------------------------------------------------------- packages

#[test]
fn package_filter_single_member() {
    let pkg = |f: Value| json!({"vulnerablePackages": [f]});
    assert_eq!(hits(pkg(json!({"name": eq("openssl")}))), ["ecr"]);
    assert_eq!(hits(pkg(json!({"name": eq("libssl1.1")}))), ["ecr"]);
    assert_eq!(
        hits(pkg(json!({"name": prefix("org.apache.logging.")}))),
        ["log4j"]
    );
    assert_eq!(hits(pkg(json!({"version": eq("2.10.0")}))), ["log4j"]);
    assert_eq!(hits(pkg(json!({"release": eq("0+deb11u3")}))), ["ecr"]);
    assert_eq!(hits(pkg(json!({"architecture": eq("amd64")}))), ["ecr"]);
    assert_eq!(
        hits(pkg(
            json!({"sourceLayerHash": eq("sha256:3c7b0e9f2a41d8e6b5c4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2")})
        )),
        ["ecr"]
    );
    assert_eq!(
        hits(pkg(json!({"filePath": prefix("/opt/legacy/")}))),
        ["log4j"]
    );
    assert_eq!(
        hits(pkg(
            json!({"epoch": {"lowerInclusive": 0, "upperInclusive": 0}})
        )),
        ["ecr"]
    );
}

#[test]
fn package_filter_all_members_on_one_package() {
    let pkg = |f: Value| json!({"vulnerablePackages": [f]});
    // Every sub-filter holds on libssl1.1.
    assert_eq!(
        hits(pkg(json!({
            "name": eq("libssl1.1"), "version": eq("1.1.1n"), "release": eq("0+deb11u3"),
            "architecture": eq("amd64"), "epoch": {"upperInclusive": 0}
        }))),
        ["ecr"]
    );
    // name from one jar and filePath from the other: no single package has both.
    assert!(
        hits(pkg(json!({
            "name": eq("org.apache.logging.log4j:log4j-core"),
            "version": eq("2.10.0"),
            "filePath": prefix("/opt/app/")
        })))
        .is_empty()
    );
    assert_eq!(
        hits(pkg(
            json!({"version": eq("2.10.0"), "filePath": prefix("/opt/legacy/")})
        )),
        ["log4j"]
    );
    // NOT_EQUALS inside a package filter: some package whose name is not openssl.
    assert_eq!(hits(pkg(json!({"name": ne("openssl")}))), ["ecr", "log4j"]);
    // NOT_EQUALS on a member the packages lack holds; EQUALS does not.
    assert_eq!(
        hits(pkg(
            json!({"name": prefix("org.apache."), "architecture": ne("amd64")})
        )),
        ["log4j"]
    );
    assert!(
        hits(pkg(
            json!({"name": prefix("org.apache."), "epoch": {"lowerInclusive": 0}})
        ))
        .is_empty()
    );
    // Package filters in a list are ORed.
    assert_eq!(
        hits(json!({"vulnerablePackages": [{"name": eq("openssl")}, {"version": eq("2.14.1")}]})),
        ["ecr", "log4j"]
    );
    // A package criterion never matches a finding without packages.
    assert!(
        hits(pkg(json!({"name": ne("nothing")})))
            .iter()
            .all(|l| *l != "net" && *l != "code")
    );
}

#[test]
fn package_filter_lambda_layer() {
    let extra = extra_findings();
    let c = crit(json!({"vulnerablePackages": [{
        "sourceLambdaLayerArn": prefix("arn:aws:lambda:us-east-1:123456789012:layer:deps:"),
        "name": eq("requests")
    }]}));
    assert!(c.matches(&extra[1]));
    assert!(all_findings().iter().all(|f| !c.matches(f)));
}

#[test]
fn package_architecture_falls_back_to_architecture_member() {
    let f = json!({"packageVulnerabilityDetails": {"vulnerablePackages": [
        {"name": "zlib", "version": "1.2.11", "architecture": "aarch64"}
    ]}});
    assert!(crit(json!({"vulnerablePackages": [{"architecture": eq("aarch64")}]})).matches(&f));
}

// ------------------------------------------------------------- port range

#[test]
fn port_range_filters() {
    let pr = |b: Option<i64>, e: Option<i64>| {
        let mut m = serde_json::Map::new();
        if let Some(b) = b {
            m.insert("beginInclusive".into(), json!(b));
        }
        if let Some(e) = e {
            m.insert("endInclusive".into(), json!(e));
        }
        json!({"portRange": [Value::Object(m)]})
    };
    assert_eq!(hits(pr(Some(22), Some(22))), ["net"]);
    assert_eq!(hits(pr(Some(0), Some(1024))), ["net"]);
    assert_eq!(hits(pr(Some(22), None)), ["net"]);
    assert!(hits(pr(Some(23), None)).is_empty());
    assert!(hits(pr(Some(0), Some(21))).is_empty());
    // The open range must lie within the filter.
    let mut wide = network();
    wide["networkReachabilityDetails"]["openPortRange"] = json!({"begin": 0, "end": 65535});
    assert!(!crit(pr(Some(22), Some(22))).matches(&wide));
    assert!(crit(pr(Some(0), Some(65535))).matches(&wide));
    // ORed entries.
    assert_eq!(
        hits(
            json!({"portRange": [{"beginInclusive": 80, "endInclusive": 80}, {"beginInclusive": 22, "endInclusive": 22}]})
        ),
        ["net"]
    );
}

// --------------------------------------------- every member reaches data

/// For every FilterCriteria member, a criterion built from a value actually
/// present in some fixture matches that fixture: the mapping table points at
/// real members of the Finding shape.
#[test]
fn every_member_path_reaches_fixture_data() {
    let mut findings = all_findings();
    findings.extend(extra_findings());
    for spec in FILTER_CRITERIA_FIELDS {
        let (finding, values) = findings
            .iter()
            .find_map(|f| {
                let vals = vjson::collect(f, spec.finding_path);
                (!vals.is_empty()).then_some((f, vals))
            })
            .unwrap_or_else(|| {
                panic!(
                    "no fixture has data for {} ({})",
                    spec.member, spec.finding_path
                )
            });
        let v = values[0];
        let entry = match spec.kind {
            CriterionKind::String => eq(&vjson::scalar_string(v).unwrap()),
            CriterionKind::Date => json!({"startInclusive": v, "endInclusive": v}),
            CriterionKind::Number => json!({"lowerInclusive": v, "upperInclusive": v}),
            CriterionKind::Map => {
                let (k, val) = v.as_object().unwrap().iter().next().unwrap();
                json!({"comparison": "EQUALS", "key": k, "value": val})
            }
            CriterionKind::PortRange => {
                json!({"beginInclusive": v["begin"], "endInclusive": v["end"]})
            }
            CriterionKind::Package => json!({"name": eq(v["name"].as_str().unwrap())}),
        };
        let c = crit(json!({ spec.member: [entry] }));
        assert!(
            c.matches(finding),
            "{} did not match its own value {v}",
            spec.member
        );
        assert_eq!(c.set_members().len(), 1, "{}", spec.member);
        assert_eq!(c.set_members()[0].0, spec.member);
    }
}

#[test]
fn code_finding_uses_epoch_number_timestamps() {
    // The Lambda fixture stores firstObservedAt as a JSON number.
    assert!(code()["firstObservedAt"].is_number());
    assert_eq!(
        hits(
            json!({"firstObservedAt": [{"startInclusive": "2024-02-01T00:00:00Z", "endInclusive": "2024-02-01T00:00:00Z"}]})
        ),
        ["code"]
    );
}

//! SortCriteria ordering over finding JSON.
#![allow(clippy::unwrap_used)]

mod common;

use common::{all_findings, arn_tail};
use serde_json::{Value, json};
use std::cmp::Ordering;
use vigil_api::{SORT_FIELDS, SortCriteria, SortField, SortOrder};

/// Short labels of the fixtures in sorted order.
fn order(field: &str, dir: &str) -> Vec<&'static str> {
    let sc: SortCriteria =
        serde_json::from_value(json!({"field": field, "sortOrder": dir})).unwrap();
    sc.validate_at("sortCriteria").unwrap();
    let mut findings = all_findings();
    sc.sort(&mut findings);
    findings.iter().map(label).collect()
}

fn label(f: &Value) -> &'static str {
    match arn_tail(f).as_str() {
        "0a1b2c" => "ecr",
        "f0e1d2" => "log4j",
        "123456" => "net",
        "abcdef" => "code",
        other => panic!("unknown fixture {other}"),
    }
}

#[test]
fn severity_sorts_by_rank() {
    assert_eq!(order("SEVERITY", "DESC"), ["log4j", "ecr", "net", "code"]);
    assert_eq!(order("SEVERITY", "ASC"), ["code", "net", "ecr", "log4j"]);
}

#[test]
fn severity_rank_includes_untriaged_and_informational() {
    let sc = SortCriteria::new(SortField::Severity, SortOrder::Asc);
    let mut v: Vec<Value> = ["CRITICAL", "INFORMATIONAL", "UNTRIAGED", "LOW"]
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"severity": s, "findingArn": format!("arn:{i}")}))
        .collect();
    sc.sort(&mut v);
    let got: Vec<&str> = v.iter().map(|f| f["severity"].as_str().unwrap()).collect();
    assert_eq!(got, ["UNTRIAGED", "INFORMATIONAL", "LOW", "CRITICAL"]);
}

#[test]
fn numbers_sort_numerically_and_missing_values_go_last() {
    // net and code have no inspectorScore: last in both orders, by findingArn.
    assert_eq!(
        order("INSPECTOR_SCORE", "DESC"),
        ["log4j", "ecr", "code", "net"]
    );
    assert_eq!(
        order("INSPECTOR_SCORE", "ASC"),
        ["ecr", "log4j", "code", "net"]
    );
    assert_eq!(order("EPSS_SCORE", "DESC"), ["log4j", "ecr", "code", "net"]);
    // 10 > 9.5 numerically although "10" < "9.5" as text.
    let sc = SortCriteria::new(SortField::InspectorScore, SortOrder::Desc);
    assert_eq!(
        sc.compare(
            &json!({"inspectorScore": 10}),
            &json!({"inspectorScore": 9.5})
        ),
        Ordering::Less
    );
}

#[test]
fn dates_sort_chronologically_across_iso_and_epoch() {
    // code stores epoch numbers, the others ISO strings.
    assert_eq!(
        order("FIRST_OBSERVED_AT", "ASC"),
        ["log4j", "ecr", "code", "net"]
    );
    assert_eq!(
        order("LAST_OBSERVED_AT", "DESC"),
        ["net", "log4j", "ecr", "code"]
    );
}

#[test]
fn text_fields_and_arn_tie_break() {
    // Three findings share account 123456789012: ties broken by findingArn ascending
    // (eu-west-1 < us-east-1), also when sorting DESC.
    assert_eq!(
        order("AWS_ACCOUNT_ID", "ASC"),
        ["code", "ecr", "log4j", "net"]
    );
    assert_eq!(
        order("AWS_ACCOUNT_ID", "DESC"),
        ["net", "code", "ecr", "log4j"]
    );
    assert_eq!(
        order("FINDING_TYPE", "ASC"),
        ["code", "net", "ecr", "log4j"]
    );
    assert_eq!(
        order("RESOURCE_TYPE", "ASC"),
        ["net", "log4j", "ecr", "code"]
    );
    assert_eq!(
        order("FINDING_STATUS", "ASC"),
        ["net", "ecr", "code", "log4j"]
    );
    assert_eq!(
        order("VENDOR_SEVERITY", "ASC"),
        ["log4j", "ecr", "code", "net"]
    );
    assert_eq!(
        order("VULNERABILITY_ID", "DESC"),
        ["ecr", "log4j", "code", "net"]
    );
    assert_eq!(
        order("COMPONENT_TYPE", "ASC"),
        ["net", "code", "ecr", "log4j"]
    );
    assert_eq!(
        order("NETWORK_PROTOCOL", "DESC"),
        ["net", "code", "ecr", "log4j"]
    );
    // findingArn order is code < net < ecr < log4j.
    assert_eq!(
        order("ECR_IMAGE_REPOSITORY_NAME", "DESC"),
        ["ecr", "code", "net", "log4j"]
    );
    assert_eq!(
        order("ECR_IMAGE_PUSHED_AT", "ASC"),
        ["ecr", "code", "net", "log4j"]
    );
}

#[test]
fn every_sort_field_gives_a_consistent_total_order() {
    let findings = all_findings();
    for spec in SORT_FIELDS {
        for dir in ["ASC", "DESC"] {
            let sc: SortCriteria =
                serde_json::from_value(json!({"field": spec.field, "sortOrder": dir})).unwrap();
            for a in &findings {
                assert_eq!(sc.compare(a, a), Ordering::Equal);
                for b in &findings {
                    assert_eq!(
                        sc.compare(a, b),
                        sc.compare(b, a).reverse(),
                        "{} {dir} is not antisymmetric",
                        spec.field
                    );
                }
            }
            let sorted = order(spec.field, dir);
            let mut sorted_labels = sorted.clone();
            sorted_labels.sort_unstable();
            assert_eq!(sorted_labels, ["code", "ecr", "log4j", "net"]);
        }
    }
}

#[test]
fn every_sort_field_reaches_fixture_data() {
    let findings = all_findings();
    for spec in SORT_FIELDS {
        assert!(
            findings
                .iter()
                .any(|f| vigil_api::json::first(f, spec.finding_path).is_some()),
            "no fixture carries {} ({})",
            spec.field,
            spec.finding_path
        );
    }
}

#[test]
fn unknown_sort_values_fail_validation() {
    let sc: SortCriteria =
        serde_json::from_value(json!({"field": "TITLE", "sortOrder": "DOWN"})).unwrap();
    let e = sc.validate_at("sortCriteria").unwrap_err();
    assert!(e.has_field("sortCriteria.field"));
    assert!(e.has_field("sortCriteria.sortOrder"));
    assert!(e.fields[0].message.contains("EPSS_SCORE"));
    assert!(
        serde_json::from_value::<SortCriteria>(
            json!({"field": "SEVERITY", "sortOrder": "ASC", "x": 1})
        )
        .is_err()
    );
}

//! Parsing and validation failures name the offending member.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use vigil_api::{
    ApiError, CreateFilterRequest, ErrorCode, FilterCriteria, ListFindingsRequest, NumberFilter,
    SortCriteria, StringFilter, UpdateFilterRequest, ValidationError, ValidationReason,
};

fn err(v: Value) -> ValidationError {
    match FilterCriteria::from_json(&v) {
        Ok(c) => panic!("{v} was accepted: {c:?}"),
        Err(e) => e,
    }
}

fn assert_field(e: &ValidationError, name: &str) {
    assert!(
        e.has_field(name),
        "expected a field error named {name}, got {:?}",
        e.fields
    );
}

fn eq(v: &str) -> Value {
    json!({"comparison": "EQUALS", "value": v})
}

// ------------------------------------------------------------ unknown members

#[test]
fn unknown_criteria_member_is_rejected() {
    let v = json!({"severity": [eq("HIGH")], "sevirity": [eq("HIGH")]});
    let e = err(v.clone());
    assert_eq!(e.reason, ValidationReason::CannotParse);
    assert_field(&e, "filterCriteria.sevirity");
    assert_eq!(e.fields.len(), 1);
    // Plain serde agrees (deny_unknown_fields).
    assert!(serde_json::from_value::<FilterCriteria>(v).is_err());
}

#[test]
fn unknown_member_inside_filters_is_rejected() {
    let e = err(
        json!({"severity": [{"comparison": "EQUALS", "value": "HIGH", "caseInsensitive": true}]}),
    );
    assert_field(&e, "filterCriteria.severity[0].caseInsensitive");
    let e = err(json!({"firstObservedAt": [{"start": 1}]}));
    assert_field(&e, "filterCriteria.firstObservedAt[0].start");
    let e = err(json!({"inspectorScore": [{"min": 1}]}));
    assert_field(&e, "filterCriteria.inspectorScore[0].min");
    let e = err(json!({"portRange": [{"begin": 1}]}));
    assert_field(&e, "filterCriteria.portRange[0].begin");
    let e = err(json!({"resourceTags": [{"comparison": "EQUALS", "key": "k", "val": "v"}]}));
    assert_field(&e, "filterCriteria.resourceTags[0].val");
    let e = err(json!({"vulnerablePackages": [{"nam": eq("openssl")}]}));
    assert_field(&e, "filterCriteria.vulnerablePackages[0].nam");
    let e = err(
        json!({"vulnerablePackages": [{"name": {"comparison": "EQUALS", "value": "x", "y": 1}}]}),
    );
    assert_field(&e, "filterCriteria.vulnerablePackages[0].name.y");
    for e in [
        err(json!({"sevirity": []})),
        err(json!({"vulnerablePackages": [{"arch": eq("x86_64")}]})),
    ] {
        assert_eq!(e.reason, ValidationReason::CannotParse);
    }
}

// ---------------------------------------------------------- missing / types

#[test]
fn missing_required_members() {
    let e = err(json!({"severity": [{"comparison": "EQUALS"}]}));
    assert_field(&e, "filterCriteria.severity[0].value");
    let e = err(json!({"severity": [{"value": "HIGH"}]}));
    assert_field(&e, "filterCriteria.severity[0].comparison");
    let e = err(json!({"resourceTags": [{"comparison": "EQUALS"}]}));
    assert_field(&e, "filterCriteria.resourceTags[0].key");
    let e = err(json!({"vulnerablePackages": [{"name": {"value": "openssl"}}]}));
    assert_field(&e, "filterCriteria.vulnerablePackages[0].name.comparison");
    assert_eq!(e.reason, ValidationReason::CannotParse);
}

#[test]
fn wrong_json_types() {
    let e = err(json!({"severity": {"comparison": "EQUALS", "value": "HIGH"}}));
    assert_field(&e, "filterCriteria.severity");
    let e = err(json!({"severity": [{"comparison": "EQUALS", "value": 5}]}));
    assert_field(&e, "filterCriteria.severity[0]");
    let e = err(json!({"severity": ["HIGH"]}));
    assert_field(&e, "filterCriteria.severity[0]");
    let e = err(json!({"inspectorScore": [{"lowerInclusive": "high"}]}));
    assert_field(&e, "filterCriteria.inspectorScore[0]");
    let e = err(json!({"portRange": [{"beginInclusive": 22.5}]}));
    assert_field(&e, "filterCriteria.portRange[0]");
    let e = err(json!({"firstObservedAt": [{"startInclusive": "yesterday"}]}));
    assert_field(&e, "filterCriteria.firstObservedAt[0]");
    assert!(e.to_string().contains("invalid timestamp"), "{e}");
    let e = err(json!([{"severity": []}]));
    assert_field(&e, "filterCriteria");
    let e = err(json!("severity=HIGH"));
    assert_eq!(e.reason, ValidationReason::CannotParse);
}

#[test]
fn null_members_are_absent() {
    let c = FilterCriteria::from_json(&json!({"severity": null, "title": [eq("x")]})).unwrap();
    assert!(c.severity.is_none());
    assert!(c.title.is_some());
}

// ------------------------------------------------------------------- enums

#[test]
fn string_comparison_enum() {
    for ok in ["EQUALS", "PREFIX", "NOT_EQUALS"] {
        FilterCriteria::from_json(&json!({"severity": [{"comparison": ok, "value": "HIGH"}]}))
            .unwrap();
    }
    for bad in ["LIKE", "equals", "CONTAINS", "NOT_CONTAINS", ""] {
        let e = err(json!({"severity": [eq("HIGH"), {"comparison": bad, "value": "HIGH"}]}));
        assert_eq!(e.reason, ValidationReason::FieldValidationFailed);
        assert_field(&e, "filterCriteria.severity[1].comparison");
        let msg = &e.fields[0].message;
        assert!(msg.contains("[EQUALS, PREFIX, NOT_EQUALS]"), "{msg}");
        assert!(msg.contains(&format!("'{bad}'")), "{msg}");
    }
}

#[test]
fn map_comparison_enum() {
    let e = err(json!({"resourceTags": [{"comparison": "PREFIX", "key": "env"}]}));
    assert_field(&e, "filterCriteria.resourceTags[0].comparison");
    assert!(e.fields[0].message.contains("[EQUALS]"));
}

#[test]
fn package_sub_filter_enum() {
    let e = err(json!({"vulnerablePackages": [{"name": {"comparison": "LIKE", "value": "x"}}]}));
    assert_field(&e, "filterCriteria.vulnerablePackages[0].name.comparison");
}

// ------------------------------------------------------------ list lengths

#[test]
fn list_must_have_one_to_ten_entries() {
    let e = err(json!({"severity": []}));
    assert_field(&e, "filterCriteria.severity");
    assert!(e.fields[0].message.contains("greater than or equal to 1"));

    let ten: Vec<Value> = (0..10).map(|i| eq(&format!("v{i}"))).collect();
    FilterCriteria::from_json(&json!({"title": ten})).unwrap();
    let eleven: Vec<Value> = (0..11).map(|i| eq(&format!("v{i}"))).collect();
    let e = err(json!({"title": eleven}));
    assert_field(&e, "filterCriteria.title");
    assert!(e.fields[0].message.contains("less than or equal to 10"));

    let dates: Vec<Value> = (0..11).map(|i| json!({"startInclusive": i})).collect();
    assert_field(
        &err(json!({"updatedAt": dates})),
        "filterCriteria.updatedAt",
    );
    let pkgs: Vec<Value> = (0..11).map(|_| json!({"name": eq("x")})).collect();
    assert_field(
        &err(json!({"vulnerablePackages": pkgs})),
        "filterCriteria.vulnerablePackages",
    );
    assert_field(
        &err(json!({"resourceTags": []})),
        "filterCriteria.resourceTags",
    );
    assert_field(&err(json!({"portRange": []})), "filterCriteria.portRange");
    assert_field(&err(json!({"epssScore": []})), "filterCriteria.epssScore");
}

// --------------------------------------------------------- string lengths

#[test]
fn string_filter_value_length() {
    let e = err(json!({"title": [eq("")]}));
    assert_field(&e, "filterCriteria.title[0].value");
    FilterCriteria::from_json(&json!({"title": [eq(&"x".repeat(1024))]})).unwrap();
    // Length counts characters, not bytes.
    FilterCriteria::from_json(&json!({"title": [eq(&"é".repeat(1024))]})).unwrap();
    let e = err(json!({"title": [eq(&"x".repeat(1025))]}));
    assert_field(&e, "filterCriteria.title[0].value");
    assert!(e.fields[0].message.contains("less than or equal to 1024"));
}

#[test]
fn map_filter_lengths() {
    let tag = |k: &str, v: &str| json!({"resourceTags": [{"comparison": "EQUALS", "key": k, "value": v}]});
    assert_field(&err(tag("", "v")), "filterCriteria.resourceTags[0].key");
    assert_field(
        &err(tag(&"k".repeat(129), "v")),
        "filterCriteria.resourceTags[0].key",
    );
    assert_field(
        &err(tag("k", &"v".repeat(257))),
        "filterCriteria.resourceTags[0].value",
    );
    FilterCriteria::from_json(&tag(&"k".repeat(128), &"v".repeat(256))).unwrap();
    FilterCriteria::from_json(&tag("k", "")).unwrap();
}

// ------------------------------------------------------------------ ranges

#[test]
fn port_range_bounds() {
    let e = err(json!({"portRange": [{"beginInclusive": 0, "endInclusive": 70000}]}));
    assert_field(&e, "filterCriteria.portRange[0].endInclusive");
    let e = err(json!({"portRange": [{"beginInclusive": -1}]}));
    assert_field(&e, "filterCriteria.portRange[0].beginInclusive");
    let e = err(json!({"portRange": [{"beginInclusive": 443, "endInclusive": 80}]}));
    assert_field(&e, "filterCriteria.portRange[0]");
    FilterCriteria::from_json(
        &json!({"portRange": [{"beginInclusive": 0, "endInclusive": 65535}]}),
    )
    .unwrap();
}

#[test]
fn inverted_date_and_number_ranges() {
    let e = err(
        json!({"firstObservedAt": [{"startInclusive": 1700000001, "endInclusive": 1700000000}]}),
    );
    assert_field(&e, "filterCriteria.firstObservedAt[0]");
    let e = err(
        json!({"lastObservedAt": [{"startInclusive": "2024-02-01T00:00:00Z", "endInclusive": "2024-01-01T00:00:00Z"}]}),
    );
    assert_field(&e, "filterCriteria.lastObservedAt[0]");
    let e = err(json!({"inspectorScore": [{"lowerInclusive": 9, "upperInclusive": 1}]}));
    assert_field(&e, "filterCriteria.inspectorScore[0]");
    let e =
        err(json!({"vulnerablePackages": [{"epoch": {"lowerInclusive": 2, "upperInclusive": 1}}]}));
    assert_field(&e, "filterCriteria.vulnerablePackages[0].epoch");
    // Equal bounds are fine.
    FilterCriteria::from_json(
        &json!({"firstObservedAt": [{"startInclusive": 1, "endInclusive": 1}]}),
    )
    .unwrap();
}

#[test]
fn non_finite_numbers_built_in_rust_are_rejected() {
    let c = FilterCriteria {
        epss_score: Some(vec![NumberFilter {
            lower_inclusive: Some(f64::NAN),
            upper_inclusive: None,
        }]),
        ..Default::default()
    };
    assert!(
        c.validate()
            .unwrap_err()
            .has_field("filterCriteria.epssScore[0].lowerInclusive")
    );
}

// -------------------------------------------------------- error reporting

#[test]
fn all_violations_are_reported() {
    let e = err(json!({
        "severity": [{"comparison": "LIKE", "value": ""}],
        "resourceTags": [{"comparison": "EQUALS", "key": ""}],
        "portRange": [{"beginInclusive": 70000}]
    }));
    for name in [
        "filterCriteria.severity[0].comparison",
        "filterCriteria.severity[0].value",
        "filterCriteria.resourceTags[0].key",
        "filterCriteria.portRange[0].beginInclusive",
    ] {
        assert_field(&e, name);
    }
    assert_eq!(e.fields.len(), 4);
    assert!(
        e.to_string().starts_with("4 validation errors detected: "),
        "{e}"
    );
}

#[test]
fn validate_at_uses_the_given_prefix() {
    let c = FilterCriteria {
        severity: Some(vec![StringFilter::new("BOGUS".parse().unwrap(), "HIGH")]),
        ..Default::default()
    };
    assert!(
        c.validate_at("criteria")
            .unwrap_err()
            .has_field("criteria.severity[0].comparison")
    );
    assert!(
        c.validate()
            .unwrap_err()
            .has_field("filterCriteria.severity[0].comparison")
    );
}

#[test]
fn validation_error_becomes_validation_exception() {
    let e = err(json!({"severity": [{"comparison": "LIKE", "value": "HIGH"}]}));
    let api = ApiError::from(e);
    assert_eq!(api.code, ErrorCode::ValidationException);
    assert_eq!(api.http_status, 400);
    let body = api.to_json();
    assert_eq!(body["reason"], "FIELD_VALIDATION_FAILED");
    assert_eq!(
        body["fields"][0]["name"],
        "filterCriteria.severity[0].comparison"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("1 validation error detected: filterCriteria.severity[0].comparison: ")
    );

    let api = ApiError::from(err(json!({"bogus": []})));
    assert_eq!(api.to_json()["reason"], "CANNOT_PARSE");
}

// ---------------------------------------------------------------- requests

#[test]
fn create_filter_request_as_the_cli_sends_it() {
    let body = json!({
        "action": "SUPPRESS",
        "name": "ignore-staging-log4j",
        "description": "Accepted risk",
        "reason": "Legacy batch host is isolated",
        "filterCriteria": {
            "resourceTags": [{"comparison": "EQUALS", "key": "env", "value": "staging"}],
            "vulnerabilityId": [eq("CVE-2021-44228")]
        },
        "tags": {"owner": "secops"}
    });
    let r = CreateFilterRequest::from_json(&body).unwrap();
    assert_eq!(r.action.as_str(), "SUPPRESS");
    assert_eq!(serde_json::to_value(&r).unwrap(), body);
}

#[test]
fn create_filter_request_failures() {
    let base = json!({"action": "NONE", "name": "n", "filterCriteria": {"severity": [eq("HIGH")]}});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        CreateFilterRequest::from_json(&b).unwrap_err()
    };
    assert!(with("action", json!("DELETE")).has_field("action"));
    assert!(with("name", json!("")).has_field("name"));
    assert!(with("name", json!("n".repeat(129))).has_field("name"));
    assert!(with("description", json!("d".repeat(513))).has_field("description"));
    assert!(with("reason", json!("")).has_field("reason"));
    assert!(with("tags", json!({"": "v"})).has_field("tags."));
    assert!(with("colour", json!("red")).has_field("colour"));
    let e = with(
        "filterCriteria",
        json!({"severity": [{"comparison": "LIKE", "value": "HIGH"}]}),
    );
    assert!(e.has_field("filterCriteria.severity[0].comparison"));
    let e = with("filterCriteria", json!({"sevrity": [eq("HIGH")]}));
    assert!(e.has_field("filterCriteria.sevrity"));
    assert_eq!(e.reason, ValidationReason::CannotParse);

    let e = CreateFilterRequest::from_json(&json!({"action": "NONE"})).unwrap_err();
    assert!(e.has_field("name") && e.has_field("filterCriteria"), "{e}");
}

#[test]
fn update_filter_request() {
    let r = UpdateFilterRequest::from_json(&json!({
        "filterArn": "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/filter/abcd",
        "action": "NONE"
    }))
    .unwrap();
    assert!(r.filter_criteria.is_none());
    assert!(
        UpdateFilterRequest::from_json(&json!({"action": "NONE"}))
            .unwrap_err()
            .has_field("filterArn")
    );
}

#[test]
fn list_findings_request() {
    let r = ListFindingsRequest::from_json(&json!({})).unwrap();
    assert!(r.filter_criteria.is_none() && r.sort_criteria.is_none());
    let r = ListFindingsRequest::from_json(&json!({
        "maxResults": 100, "nextToken": "abc",
        "filterCriteria": {"severity": [eq("HIGH")]},
        "sortCriteria": {"field": "INSPECTOR_SCORE", "sortOrder": "DESC"}
    }))
    .unwrap();
    assert_eq!(
        r.sort_criteria.unwrap(),
        SortCriteria::new(
            vigil_api::SortField::InspectorScore,
            vigil_api::SortOrder::Desc
        )
    );
    for (k, v, field) in [
        ("maxResults", json!(0), "maxResults"),
        ("maxResults", json!(101), "maxResults"),
        (
            "sortCriteria",
            json!({"field": "TITLE", "sortOrder": "ASC"}),
            "sortCriteria.field",
        ),
        (
            "sortCriteria",
            json!({"field": "SEVERITY", "sortOrder": "UP"}),
            "sortCriteria.sortOrder",
        ),
        (
            "sortCriteria",
            json!({"field": "SEVERITY"}),
            "sortCriteria.sortOrder",
        ),
        (
            "sortCriteria",
            json!({"field": "SEVERITY", "sortOrder": "ASC", "x": 1}),
            "sortCriteria.x",
        ),
        (
            "filterCriteria",
            json!({"title": []}),
            "filterCriteria.title",
        ),
        ("pageSize", json!(5), "pageSize"),
    ] {
        let e = ListFindingsRequest::from_json(&json!({ k: v })).unwrap_err();
        assert!(e.has_field(field), "{k}={v}: {e}");
    }
    let e = SortCriteria::from_json_at(&json!({"field": "SEVERITY"}), "sortCriteria").unwrap_err();
    assert!(e.has_field("sortCriteria.sortOrder"), "{e}");
}

//! Checks the crate against the botocore inspector2 model, so that no member
//! of the model is silently ignored and the fixtures are real `Finding`s.
//!
//! The model is read from the installed botocore (gzip JSON) when available,
//! else from the committed snapshot `testdata/inspector2-model-shapes.json`
//! (regenerate with `python3 testdata/dump_model_shapes.py`).
#![allow(clippy::unwrap_used)]

mod common;

use common::{enum_values, members, model_shapes};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use vigil_api::criteria::{self, CriterionKind};
use vigil_api::requests;
use vigil_api::sort::SortKeyKind;
use vigil_api::*;

fn set(v: impl IntoIterator<Item = impl Into<String>>) -> BTreeSet<String> {
    v.into_iter().map(Into::into).collect()
}

/// A value of `shape` with every member set (lists of one, maps of one).
fn example(shapes: &Value, shape: &str) -> Value {
    let s = &shapes[shape];
    match s["type"].as_str().unwrap() {
        "structure" => Value::Object(
            s["members"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, m)| (k.clone(), example(shapes, m["shape"].as_str().unwrap())))
                .collect(),
        ),
        "list" => json!([example(shapes, s["member"]["shape"].as_str().unwrap())]),
        "map" => json!({"k": example(shapes, s["value"]["shape"].as_str().unwrap())}),
        "string" => match s.get("enum") {
            Some(e) => e[0].clone(),
            None => json!("v"),
        },
        "timestamp" => json!(1704164645),
        "integer" | "long" => json!(22),
        "double" | "float" => json!(1.5),
        "boolean" => json!(true),
        other => panic!("unhandled shape type {other}"),
    }
}

/// `example` parses into `T` and serialises back unchanged: every member is
/// read and written, under the model's name.
fn assert_round_trip<T: DeserializeOwned + Serialize>(shapes: &Value, shape: &str) -> T {
    let ex = example(shapes, shape);
    let parsed: T = serde_json::from_value(ex.clone()).unwrap_or_else(|e| panic!("{shape}: {e}"));
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        ex,
        "{shape} does not round-trip"
    );
    parsed
}

/// Removing a required member fails to parse; removing an optional one does not.
fn assert_required<T: DeserializeOwned>(shapes: &Value, shape: &str) {
    let ex = example(shapes, shape);
    let required: BTreeSet<String> = shapes[shape]["required"]
        .as_array()
        .map(|r| r.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    for member in members(shapes, shape) {
        let mut v = ex.clone();
        v.as_object_mut().unwrap().remove(&member);
        let ok = serde_json::from_value::<T>(v).is_ok();
        assert_eq!(
            ok,
            !required.contains(&member),
            "{shape}.{member}: required = {}",
            required.contains(&member)
        );
    }
    // And an unknown member is rejected.
    let mut v = ex;
    v.as_object_mut()
        .unwrap()
        .insert("notAMember".into(), json!(1));
    assert!(
        serde_json::from_value::<T>(v).is_err(),
        "{shape} ignores unknown members"
    );
}

// ------------------------------------------------------------ FilterCriteria

#[test]
fn filter_criteria_members_are_all_mapped() {
    let shapes = model_shapes();
    let model = set(members(&shapes, "FilterCriteria"));
    let table = set(criteria::FILTER_CRITERIA_FIELDS.iter().map(|s| s.member));
    assert_eq!(table, model, "mapping table vs model FilterCriteria");
    assert_eq!(
        criteria::FILTER_CRITERIA_FIELDS.len(),
        model.len(),
        "duplicate rows"
    );
    for spec in criteria::FILTER_CRITERIA_FIELDS {
        assert_eq!(
            shapes["FilterCriteria"]["members"][spec.member]["shape"],
            spec.kind.model_shape(),
            "{}",
            spec.member
        );
    }
}

#[test]
fn every_filter_criteria_member_parses_into_its_own_row() {
    let shapes = model_shapes();
    for member in members(&shapes, "FilterCriteria") {
        let list_shape = shapes["FilterCriteria"]["members"][&member]["shape"]
            .as_str()
            .unwrap();
        let v = json!({ member.clone(): example(&shapes, list_shape) });
        let c = FilterCriteria::from_json(&v).unwrap_or_else(|e| panic!("{member}: {e}"));
        let set_members: Vec<&str> = c.set_members().iter().map(|(m, _)| *m).collect();
        assert_eq!(set_members, [member.as_str()]);
        assert_eq!(c.to_json(), v, "{member}");
    }
}

#[test]
fn full_filter_criteria_round_trips_and_validates() {
    let shapes = model_shapes();
    let c: FilterCriteria = assert_round_trip(&shapes, "FilterCriteria");
    c.validate().unwrap();
    assert_eq!(
        c.set_members().len(),
        members(&shapes, "FilterCriteria").len()
    );
    assert_required::<FilterCriteria>(&shapes, "FilterCriteria");
}

#[test]
fn filter_shapes_round_trip_with_model_required_members() {
    let shapes = model_shapes();
    assert_round_trip::<StringFilter>(&shapes, "StringFilter");
    assert_round_trip::<DateFilter>(&shapes, "DateFilter");
    assert_round_trip::<NumberFilter>(&shapes, "NumberFilter");
    assert_round_trip::<PortRangeFilter>(&shapes, "PortRangeFilter");
    assert_round_trip::<MapFilter>(&shapes, "MapFilter");
    assert_round_trip::<PackageFilter>(&shapes, "PackageFilter");
    assert_round_trip::<SortCriteria>(&shapes, "SortCriteria");
    assert_required::<StringFilter>(&shapes, "StringFilter");
    assert_required::<DateFilter>(&shapes, "DateFilter");
    assert_required::<NumberFilter>(&shapes, "NumberFilter");
    assert_required::<PortRangeFilter>(&shapes, "PortRangeFilter");
    assert_required::<MapFilter>(&shapes, "MapFilter");
    assert_required::<PackageFilter>(&shapes, "PackageFilter");
    assert_required::<SortCriteria>(&shapes, "SortCriteria");
}

#[test]
fn request_shapes_round_trip() {
    let shapes = model_shapes();
    for shape in [
        "CreateFilterRequest",
        "UpdateFilterRequest",
        "ListFindingsRequest",
    ] {
        let ex = example(&shapes, shape);
        let back = match shape {
            "CreateFilterRequest" => {
                serde_json::to_value(CreateFilterRequest::from_json(&ex).unwrap())
            }
            "UpdateFilterRequest" => {
                serde_json::to_value(UpdateFilterRequest::from_json(&ex).unwrap())
            }
            _ => serde_json::to_value(ListFindingsRequest::from_json(&ex).unwrap()),
        }
        .unwrap();
        assert_eq!(back, ex, "{shape}");
    }
    assert_required::<CreateFilterRequest>(&shapes, "CreateFilterRequest");
    assert_required::<UpdateFilterRequest>(&shapes, "UpdateFilterRequest");
    assert_required::<ListFindingsRequest>(&shapes, "ListFindingsRequest");
    let f: Filter = assert_round_trip(&shapes, "Filter");
    assert!(
        !f.suppresses(),
        "example action is the first enum value, NONE"
    );
    assert_required::<Filter>(&shapes, "Filter");
}

#[test]
fn package_filter_members_are_all_mapped() {
    let shapes = model_shapes();
    let model = set(members(&shapes, "PackageFilter"));
    let table = set(criteria::PACKAGE_FILTER_FIELDS.iter().map(|s| s.member));
    assert_eq!(table, model);
    let package_members = set(members(&shapes, "VulnerablePackage"));
    for spec in criteria::PACKAGE_FILTER_FIELDS {
        let sub_shape = shapes["PackageFilter"]["members"][spec.member]["shape"]
            .as_str()
            .unwrap();
        assert_eq!(
            spec.is_number,
            sub_shape == "NumberFilter",
            "{}",
            spec.member
        );
        let target = spec.package_members[0];
        assert!(
            package_members.contains(target),
            "VulnerablePackage has no {target}"
        );
        let target_shape = shapes["VulnerablePackage"]["members"][target]["shape"]
            .as_str()
            .unwrap();
        let t = shapes[target_shape]["type"].as_str().unwrap();
        let want = if spec.is_number { "integer" } else { "string" };
        assert_eq!(t, want, "{}", spec.member);
    }
}

// --------------------------------------------------------------- enums

#[test]
fn enums_match_the_model() {
    let shapes = model_shapes();
    assert_eq!(
        StringComparison::VALUES,
        enum_values(&shapes, "StringComparison")
    );
    assert_eq!(MapComparison::VALUES, enum_values(&shapes, "MapComparison"));
    assert_eq!(SortField::VALUES, enum_values(&shapes, "SortField"));
    assert_eq!(SortOrder::VALUES, enum_values(&shapes, "SortOrder"));
    assert_eq!(FilterAction::VALUES, enum_values(&shapes, "FilterAction"));
    let reasons: Vec<String> = [
        ValidationReason::CannotParse,
        ValidationReason::FieldValidationFailed,
        ValidationReason::Other,
    ]
    .iter()
    .map(|r| r.as_str().to_string())
    .collect();
    assert_eq!(reasons, enum_values(&shapes, "ValidationExceptionReason"));
    for v in StringComparison::VALUES {
        assert!(StringComparison::parse(v).is_known());
    }
    assert!(!StringComparison::parse("equals").is_known());
}

#[test]
fn sort_fields_are_all_mapped() {
    let shapes = model_shapes();
    let model = enum_values(&shapes, "SortField");
    let table: Vec<&str> = SORT_FIELDS.iter().map(|s| s.field).collect();
    assert_eq!(table, model);
    for v in &model {
        assert!(SortField::parse(v).spec().is_some(), "{v}");
    }
}

// ------------------------------------------------------------- constraints

fn bound(shapes: &Value, shape: &str, key: &str) -> i64 {
    shapes[shape][key]
        .as_i64()
        .unwrap_or_else(|| panic!("{shape}.{key}"))
}

#[test]
fn constraint_constants_match_the_model() {
    let shapes = model_shapes();
    for kind in [
        CriterionKind::String,
        CriterionKind::Date,
        CriterionKind::Number,
        CriterionKind::Map,
        CriterionKind::PortRange,
        CriterionKind::Package,
    ] {
        assert_eq!(
            bound(&shapes, kind.model_shape(), "min"),
            criteria::FILTER_LIST_MIN as i64
        );
        assert_eq!(
            bound(&shapes, kind.model_shape(), "max"),
            criteria::FILTER_LIST_MAX as i64
        );
    }
    assert_eq!(
        shapes["StringFilter"]["members"]["value"]["shape"],
        "StringInput"
    );
    assert_eq!(bound(&shapes, "StringInput", "min"), 1);
    assert_eq!(
        bound(&shapes, "StringInput", "max"),
        criteria::STRING_INPUT_MAX as i64
    );
    assert_eq!(shapes["MapFilter"]["members"]["key"]["shape"], "MapKey");
    assert_eq!(shapes["MapFilter"]["members"]["value"]["shape"], "MapValue");
    assert_eq!(bound(&shapes, "MapKey", "min"), 1);
    assert_eq!(
        bound(&shapes, "MapKey", "max"),
        criteria::MAP_KEY_MAX as i64
    );
    assert_eq!(bound(&shapes, "MapValue", "min"), 0);
    assert_eq!(
        bound(&shapes, "MapValue", "max"),
        criteria::MAP_VALUE_MAX as i64
    );
    assert_eq!(bound(&shapes, "Port", "min"), 0);
    assert_eq!(bound(&shapes, "Port", "max"), criteria::PORT_MAX);
    assert_eq!(
        bound(&shapes, "FilterName", "max"),
        requests::FILTER_NAME_MAX as i64
    );
    assert_eq!(
        bound(&shapes, "FilterDescription", "max"),
        requests::FILTER_TEXT_MAX as i64
    );
    assert_eq!(
        bound(&shapes, "FilterReason", "max"),
        requests::FILTER_TEXT_MAX as i64
    );
    assert_eq!(
        bound(&shapes, "FilterArn", "max"),
        requests::FILTER_ARN_MAX as i64
    );
    assert_eq!(bound(&shapes, "ListFindingsMaxResults", "min"), 1);
    assert_eq!(
        bound(&shapes, "ListFindingsMaxResults", "max"),
        requests::LIST_FINDINGS_MAX_RESULTS
    );
    assert_eq!(
        bound(&shapes, "NextToken", "max"),
        requests::NEXT_TOKEN_MAX as i64
    );
}

// ------------------------------------------------- paths exist in Finding

/// Walks `path` through the model from `Finding`; returns the leaf shape.
/// Asserts that `[]` marks exactly the list-valued segments.
fn resolve(shapes: &Value, path: &str) -> String {
    let mut shape = "Finding".to_string();
    for segment in path.split('.') {
        let (name, marked) = match segment.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (segment, false),
        };
        let member = &shapes[&shape]["members"][name];
        assert!(member.is_object(), "{path}: {shape} has no member {name}");
        shape = member["shape"].as_str().unwrap().to_string();
        let is_list = shapes[&shape]["type"] == "list";
        assert_eq!(
            marked, is_list,
            "{path}: `[]` marker on {name} (list = {is_list})"
        );
        if is_list {
            shape = shapes[&shape]["member"]["shape"]
                .as_str()
                .unwrap()
                .to_string();
        }
    }
    shape
}

#[test]
fn criteria_paths_exist_in_the_finding_shape() {
    let shapes = model_shapes();
    for spec in criteria::FILTER_CRITERIA_FIELDS {
        let leaf = resolve(&shapes, spec.finding_path);
        let t = shapes[&leaf]["type"].as_str().unwrap();
        let ok = match spec.kind {
            CriterionKind::String => t == "string",
            CriterionKind::Date => t == "timestamp",
            CriterionKind::Number => matches!(t, "double" | "long" | "integer"),
            CriterionKind::Map => t == "map",
            CriterionKind::PortRange => leaf == "PortRange",
            CriterionKind::Package => leaf == "VulnerablePackage",
        };
        assert!(
            ok,
            "{} -> {} ({leaf}: {t}) does not fit {:?}",
            spec.member, spec.finding_path, spec.kind
        );
    }
}

#[test]
fn sort_paths_exist_in_the_finding_shape() {
    let shapes = model_shapes();
    for spec in SORT_FIELDS {
        let leaf = resolve(&shapes, spec.finding_path);
        let t = shapes[&leaf]["type"].as_str().unwrap();
        let ok = match spec.kind {
            SortKeyKind::Text | SortKeyKind::Severity => t == "string",
            SortKeyKind::Number => t == "double",
            SortKeyKind::Timestamp => t == "timestamp",
        };
        assert!(ok, "{} -> {} ({leaf}: {t})", spec.field, spec.finding_path);
    }
    assert_eq!(
        shapes["Finding"]["members"]["severity"]["shape"], "Severity",
        "SEVERITY sorts by the Severity enum"
    );
    let severities = enum_values(&shapes, "Severity");
    for s in &severities {
        assert!(
            vigil_api::sort::severity_rank(s).is_some(),
            "{s} has no rank"
        );
    }
}

// -------------------------------------------- fixtures are real Findings

fn conform(shapes: &Value, shape: &str, v: &Value, path: &str, errs: &mut Vec<String>) {
    let s = &shapes[shape];
    let min = s["min"].as_f64();
    let max = s["max"].as_f64();
    match s["type"].as_str().unwrap() {
        "structure" => {
            let Some(obj) = v.as_object() else {
                return errs.push(format!("{path}: not an object"));
            };
            let ms = s["members"].as_object().unwrap();
            for (k, x) in obj {
                match ms.get(k) {
                    None => errs.push(format!("{path}.{k}: not a member of {shape}")),
                    Some(m) => conform(
                        shapes,
                        m["shape"].as_str().unwrap(),
                        x,
                        &format!("{path}.{k}"),
                        errs,
                    ),
                }
            }
            for r in s["required"].as_array().into_iter().flatten() {
                if !obj.contains_key(r.as_str().unwrap()) {
                    errs.push(format!("{path}: missing required {r}"));
                }
            }
        }
        "list" => {
            let Some(items) = v.as_array() else {
                return errs.push(format!("{path}: not a list"));
            };
            let n = items.len() as f64;
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                errs.push(format!("{path}: {n} items outside {min:?}..{max:?}"));
            }
            for (i, x) in items.iter().enumerate() {
                conform(
                    shapes,
                    s["member"]["shape"].as_str().unwrap(),
                    x,
                    &format!("{path}[{i}]"),
                    errs,
                );
            }
        }
        "map" => match v.as_object() {
            None => errs.push(format!("{path}: not a map")),
            Some(obj) => {
                for (k, x) in obj {
                    conform(
                        shapes,
                        s["key"]["shape"].as_str().unwrap(),
                        &json!(k),
                        &format!("{path}.<key>"),
                        errs,
                    );
                    conform(
                        shapes,
                        s["value"]["shape"].as_str().unwrap(),
                        x,
                        &format!("{path}.{k}"),
                        errs,
                    );
                }
            }
        },
        "string" => match v.as_str() {
            None => errs.push(format!("{path}: not a string")),
            Some(text) => {
                let n = text.chars().count() as f64;
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    errs.push(format!("{path}: length {n} outside {min:?}..{max:?}"));
                }
                if let Some(e) = s["enum"].as_array()
                    && !e.iter().any(|x| x == v)
                {
                    errs.push(format!("{path}: {text} not in {shape}"));
                }
            }
        },
        "timestamp" => {
            if Timestamp::from_json(v).is_none() {
                errs.push(format!("{path}: not a timestamp"));
            }
        }
        "integer" | "long" => {
            if !v.is_i64() {
                errs.push(format!("{path}: not an integer"));
            }
        }
        "double" | "float" => match v.as_f64() {
            None => errs.push(format!("{path}: not a number")),
            Some(x) => {
                if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
                    errs.push(format!("{path}: {x} outside {min:?}..{max:?}"));
                }
            }
        },
        "boolean" => {
            if !v.is_boolean() {
                errs.push(format!("{path}: not a boolean"));
            }
        }
        other => errs.push(format!("{path}: unhandled type {other}")),
    }
}

#[test]
fn fixtures_conform_to_the_finding_shape() {
    let shapes = model_shapes();
    for (name, f) in ["ecr", "log4j", "network", "code"]
        .iter()
        .zip(common::all_findings())
    {
        let mut errs = Vec::new();
        conform(&shapes, "Finding", &f, name, &mut errs);
        assert!(errs.is_empty(), "{errs:#?}");
    }
}

// --------------------------------------------------- snapshot vs botocore

fn strip_docs(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "documentation")
                .map(|(k, x)| (k.clone(), strip_docs(x)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_docs).collect()),
        other => other.clone(),
    }
}

#[test]
fn snapshot_matches_installed_botocore() {
    let Some(live) = common::live_model() else {
        eprintln!("skipping: botocore model not installed");
        return;
    };
    let snapshot = common::load_json("inspector2-model-shapes.json");
    assert_eq!(snapshot["metadata"], live["metadata"]);
    for (name, shape) in snapshot["shapes"].as_object().unwrap() {
        assert_eq!(
            &strip_docs(&live["shapes"][name]),
            shape,
            "snapshot shape {name} differs from botocore; rerun testdata/dump_model_shapes.py"
        );
    }
}

// ------------------------------------------ what the AWS CLI really sends

fn botocore_serialize(operation: &str, spec: &Value) -> Value {
    let mut child = Command::new("python3")
        .arg(common::testdata("botocore_harness.py"))
        .args(["serialize", operation])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// botocore serialises a ListFindings call with every FilterCriteria member
/// (datetimes and all); the body parses, validates, and sets every member.
#[test]
fn botocore_list_findings_body_with_every_member() {
    if !common::have_botocore() {
        eprintln!("skipping: python3 with botocore not available");
        return;
    }
    let body = botocore_serialize(
        "ListFindings",
        &json!({
            "full_filter_criteria": true,
            "params": {"maxResults": 25, "sortCriteria": {"field": "EPSS_SCORE", "sortOrder": "DESC"}}
        }),
    );
    // Timestamps went over the wire as epoch seconds.
    assert!(
        body["filterCriteria"]["firstObservedAt"][0]["startInclusive"].is_number(),
        "{body}"
    );
    let req = ListFindingsRequest::from_json(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    let c = req.filter_criteria.unwrap();
    let shapes = model_shapes();
    assert_eq!(
        c.set_members().len(),
        members(&shapes, "FilterCriteria").len()
    );
    assert_eq!(c.to_json(), body["filterCriteria"]);
    assert_eq!(req.sort_criteria.unwrap().field, SortField::EpssScore);
}

#[test]
fn botocore_create_filter_body() {
    if !common::have_botocore() {
        eprintln!("skipping: python3 with botocore not available");
        return;
    }
    let body = botocore_serialize(
        "CreateFilter",
        &json!({"params": {
            "action": "SUPPRESS",
            "name": "old-criticals",
            "filterCriteria": {
                "severity": [{"comparison": "EQUALS", "value": "CRITICAL"}],
                "firstObservedAt": [{"endInclusive": "2024-01-01T00:00:00Z"}],
                "vulnerablePackages": [{"name": {"comparison": "PREFIX", "value": "org.apache.logging."}}]
            }
        }}),
    );
    assert_eq!(
        body["filterCriteria"]["firstObservedAt"][0]["endInclusive"],
        1704067200
    );
    let req = CreateFilterRequest::from_json(&body).unwrap();
    assert!(req.filter_criteria.matches(&common::log4j()));
    assert!(!req.filter_criteria.matches(&common::ecr()));
}

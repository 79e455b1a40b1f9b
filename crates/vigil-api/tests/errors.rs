//! The inspector2 error shapes: body, headers, and what botocore makes of them.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use vigil_api::{ApiError, ErrorCode, FieldError, ValidationReason};

fn sample(code: ErrorCode) -> ApiError {
    match code {
        ErrorCode::ValidationException => ApiError::validation(
            ValidationReason::FieldValidationFailed,
            "1 validation error detected: filterCriteria.severity[0].comparison: bad",
            vec![FieldError::new(
                "filterCriteria.severity[0].comparison",
                "bad",
            )],
        ),
        ErrorCode::AccessDeniedException => ApiError::access_denied("no"),
        ErrorCode::ResourceNotFoundException => ApiError::resource_not_found("no such filter"),
        ErrorCode::ConflictException => ApiError::conflict("busy", "arn:filter/1", "FILTER"),
        ErrorCode::ThrottlingException => ApiError::throttling("slow down", Some(7)),
        ErrorCode::InternalServerException => ApiError {
            retry_after_seconds: Some(2),
            ..ApiError::internal("oops")
        },
        ErrorCode::BadRequestException => ApiError::bad_request("bad tags"),
        ErrorCode::ServiceQuotaExceededException => {
            ApiError::service_quota_exceeded("too many filters", "123456789012")
        }
    }
}

#[test]
fn codes_and_statuses_match_the_model() {
    let shapes = common::model_shapes();
    let mut model_exceptions: Vec<String> = shapes
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| s["exception"] == json!(true))
        .map(|(k, _)| k.clone())
        .collect();
    model_exceptions.sort();
    let mut ours: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    ours.sort();
    assert_eq!(ours, model_exceptions);
    for code in ErrorCode::ALL {
        let shape = &shapes[code.as_str()];
        assert_eq!(
            shape["error"]["httpStatusCode"].as_u64().unwrap(),
            u64::from(code.http_status()),
            "{code}"
        );
        assert_eq!(
            code.is_sender_fault(),
            shape["error"]["senderFault"] == json!(true),
            "{code}"
        );
        assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        let header_member = shape["members"]
            .as_object()
            .unwrap()
            .values()
            .any(|m| m["locationName"] == "Retry-After");
        assert_eq!(code.has_retry_after(), header_member, "{code}");
    }
}

#[test]
fn bodies_carry_exactly_the_modeled_members() {
    let shapes = common::model_shapes();
    for code in ErrorCode::ALL {
        let err = sample(code);
        assert_eq!(err.http_status, code.http_status());
        let body = err.to_json();
        let shape = &shapes[code.as_str()];
        let members = shape["members"].as_object().unwrap();
        for key in body.as_object().unwrap().keys() {
            assert!(
                key == "__type" || members.contains_key(key),
                "{code}: {key} not modeled"
            );
        }
        for required in shape["required"].as_array().unwrap() {
            let name = required.as_str().unwrap();
            if members[name].get("location").is_none() {
                assert!(body.get(name).is_some(), "{code}: required {name} missing");
            }
        }
        assert_eq!(body["__type"], code.as_str());
        // Header-bound members stay out of the body.
        assert!(body.get("retryAfterSeconds").is_none());
    }
}

#[test]
fn validation_exception_body() {
    let body = sample(ErrorCode::ValidationException).to_json();
    assert_eq!(
        body,
        json!({
            "__type": "ValidationException",
            "message": "1 validation error detected: filterCriteria.severity[0].comparison: bad",
            "reason": "FIELD_VALIDATION_FAILED",
            "fields": [{"name": "filterCriteria.severity[0].comparison", "message": "bad"}]
        })
    );
    // reason is required by the model: defaults to OTHER.
    let bare = ApiError::new(ErrorCode::ValidationException, "x").to_json();
    assert_eq!(bare["reason"], "OTHER");
    assert!(bare.get("fields").is_none());
}

#[test]
fn headers() {
    let h = sample(ErrorCode::ThrottlingException).headers();
    assert!(h.contains(&("x-amzn-ErrorType", "ThrottlingException".to_string())));
    assert!(h.contains(&("Content-Type", "application/json".to_string())));
    assert!(h.contains(&("Retry-After", "7".to_string())));
    // Retry-After only where the shape models it.
    let mut denied = ApiError::access_denied("no");
    denied.retry_after_seconds = Some(5);
    assert!(denied.headers().iter().all(|(k, _)| *k != "Retry-After"));
    assert_eq!(sample(ErrorCode::ValidationException).headers().len(), 2);
}

#[test]
fn display() {
    assert_eq!(
        ApiError::resource_not_found("no such filter").to_string(),
        "ResourceNotFoundException: no such filter"
    );
}

fn harness(args: &[&str], input: &Value) -> Value {
    let mut child = Command::new("python3")
        .arg(common::testdata("botocore_harness.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every error, as the server would send it, parsed by a real botocore
/// client: the right modeled exception class, code, message, status and
/// modeled members.
#[test]
fn botocore_client_parses_every_error() {
    if !common::have_botocore() {
        eprintln!("skipping: python3 with botocore not available");
        return;
    }
    for code in ErrorCode::ALL {
        let err = sample(code);
        let headers: serde_json::Map<String, Value> = err
            .headers()
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect();
        let parsed = harness(
            &["parse-error"],
            &json!({"status": err.http_status, "headers": headers, "body": err.to_body()}),
        );
        assert_eq!(parsed["exception"], code.as_str(), "{parsed}");
        let r = &parsed["response"];
        assert_eq!(r["Error"]["Code"], code.as_str());
        assert_eq!(r["Error"]["Message"], err.message.as_str());
        assert_eq!(r["message"], err.message.as_str());
        assert_eq!(r["HTTPStatusCode"], err.http_status);
        match code {
            ErrorCode::ValidationException => {
                assert_eq!(r["reason"], "FIELD_VALIDATION_FAILED");
                assert_eq!(
                    r["fields"][0]["name"],
                    "filterCriteria.severity[0].comparison"
                );
                assert_eq!(r["fields"][0]["message"], "bad");
            }
            ErrorCode::ConflictException => {
                assert_eq!(r["resourceId"], "arn:filter/1");
                assert_eq!(r["resourceType"], "FILTER");
            }
            ErrorCode::ServiceQuotaExceededException => {
                assert_eq!(r["resourceId"], "123456789012");
            }
            ErrorCode::ThrottlingException => assert_eq!(r["retryAfterSeconds"], 7),
            ErrorCode::InternalServerException => assert_eq!(r["retryAfterSeconds"], 2),
            _ => {}
        }
    }
}

/// The body alone (no `x-amzn-ErrorType` header, e.g. behind a proxy that
/// drops it) still identifies the error through `__type`.
#[test]
fn botocore_uses_type_member_without_header() {
    if !common::have_botocore() {
        eprintln!("skipping: python3 with botocore not available");
        return;
    }
    let err = ApiError::resource_not_found("gone");
    let parsed = harness(
        &["parse-error"],
        &json!({"status": 404, "headers": {"Content-Type": "application/json"}, "body": err.to_body()}),
    );
    assert_eq!(parsed["exception"], "ResourceNotFoundException");
}

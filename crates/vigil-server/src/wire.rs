//! What goes on the wire: the protocol's error shape and inspector2's timestamp encoding.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answer. Errors the inspector2 model defines are [`vigil_api::error::ApiError`]s
/// (their JSON shape and status come from the model); authentication failures and unknown
/// operations are protocol-level errors the model does not list.
#[derive(Debug, Clone)]
pub enum ApiError {
    Model(vigil_api::error::ApiError),
    Protocol {
        status: StatusCode,
        code: String,
        message: String,
    },
}

use vigil_api::error::{ApiError as ModelError, FieldError, ValidationReason};

impl ApiError {
    /// The error's message.
    pub fn message(&self) -> &str {
        match self {
            ApiError::Model(m) => &m.message,
            ApiError::Protocol { message, .. } => message,
        }
    }
    /// The error's code (`ValidationException`, `AccessDeniedException`, ...).
    pub fn code(&self) -> &str {
        match self {
            ApiError::Model(m) => m.code.as_str(),
            ApiError::Protocol { code, .. } => code,
        }
    }
    /// The caller may not do this (403, inspector2's AccessDeniedException).
    pub fn access_denied(message: &str) -> ApiError {
        ApiError::Model(ModelError::new(
            vigil_api::error::ErrorCode::AccessDeniedException,
            message,
        ))
    }
    pub fn validation(message: &str) -> ApiError {
        ApiError::Model(ModelError::validation(
            ValidationReason::Other,
            message,
            Vec::new(),
        ))
    }
    pub fn field(name: &str, message: &str) -> ApiError {
        ApiError::Model(ModelError::validation(
            ValidationReason::FieldValidationFailed,
            format!("{name}: {message}"),
            vec![FieldError::new(name, message)],
        ))
    }
    pub fn too_large(message: &str) -> ApiError {
        let mut e = ModelError::validation(ValidationReason::Other, message, Vec::new());
        e.http_status = StatusCode::PAYLOAD_TOO_LARGE.as_u16();
        ApiError::Model(e)
    }
    pub fn not_found(message: &str) -> ApiError {
        ApiError::Model(ModelError::resource_not_found(message))
    }
    pub fn conflict(message: &str, resource_id: &str, resource_type: &str) -> ApiError {
        ApiError::Model(ModelError::conflict(message, resource_id, resource_type))
    }
    pub fn internal(message: &str) -> ApiError {
        ApiError::Model(ModelError::internal(message))
    }
    /// Authentication failures: AWS answers 403 with the SigV4 error code.
    pub fn auth(code: &str, message: &str) -> ApiError {
        ApiError::Protocol {
            status: StatusCode::FORBIDDEN,
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }
    pub fn unknown_operation(message: &str) -> ApiError {
        ApiError::Protocol {
            status: StatusCode::NOT_FOUND,
            code: "UnknownOperationException".into(),
            message: message.to_owned(),
        }
    }
}

impl From<vigil_api::error::ValidationError> for ApiError {
    fn from(e: vigil_api::error::ValidationError) -> ApiError {
        ApiError::Model(e.into())
    }
}

impl From<vigil_store::Error> for ApiError {
    fn from(e: vigil_store::Error) -> ApiError {
        match e {
            vigil_store::Error::NotFound(m) => ApiError::not_found(&m),
            vigil_store::Error::Conflict(m) => ApiError::conflict(&m, "", "FILTER"),
            vigil_store::Error::Invalid(m) => ApiError::validation(&m),
            other => ApiError::internal(&other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body, headers) = match self {
            ApiError::Model(e) => (
                StatusCode::from_u16(e.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                e.to_body(),
                e.headers(),
            ),
            ApiError::Protocol {
                status,
                code,
                message,
            } => (
                status,
                json!({"__type": code, "message": message}).to_string(),
                vec![
                    ("Content-Type", "application/json".to_owned()),
                    ("x-amzn-ErrorType", code),
                ],
            ),
        };
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = status;
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (
                axum::http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                r.headers_mut().insert(k, v);
            }
        }
        r
    }
}

/// inspector2 timestamps travel as epoch seconds (the rest-json default); the store keeps
/// RFC 3339 text. Converts every timestamp member of a Finding (and Filter) in place.
pub fn timestamps_to_epoch(v: &mut Value) {
    const KEYS: &[&str] = &[
        "firstObservedAt",
        "lastObservedAt",
        "updatedAt",
        "createdAt",
        "lastKnownExploitAt",
        "pushedAt",
        "lastInUseAt",
        "vendorCreatedAt",
        "vendorUpdatedAt",
        "launchedAt",
        "lastModifiedAt",
    ];
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                if KEYS.contains(&k.as_str())
                    && let Some(s) = child.as_str()
                {
                    if let Ok(t) = time::OffsetDateTime::parse(
                        s,
                        &time::format_description::well_known::Rfc3339,
                    ) {
                        let secs = t.unix_timestamp() as f64 + f64::from(t.millisecond()) / 1000.0;
                        *child = json!(secs);
                    } else if s.is_empty() {
                        *child = Value::Null;
                    }
                } else {
                    timestamps_to_epoch(child);
                }
            }
            o.retain(|_, v| !v.is_null());
        }
        Value::Array(a) => a.iter_mut().for_each(timestamps_to_epoch),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_become_epoch_seconds() {
        let mut v = json!({"firstObservedAt": "2026-12-01T10:00:00.500Z", "resources": [{"details": {"awsEcrContainerImage": {"pushedAt": "1970-01-01T00:00:10Z"}}}], "title": "x", "exploitabilityDetails": {"lastKnownExploitAt": ""}});
        timestamps_to_epoch(&mut v);
        assert_eq!(v["firstObservedAt"], json!(1_796_119_200.5));
        assert_eq!(
            v["resources"][0]["details"]["awsEcrContainerImage"]["pushedAt"],
            json!(10.0)
        );
        assert_eq!(v["title"], "x");
        assert!(
            v["exploitabilityDetails"]
                .get("lastKnownExploitAt")
                .is_none()
        );
    }
}

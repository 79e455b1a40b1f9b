//! The inspector2 error shapes and how they go over the wire.
//!
//! inspector2 is a `rest-json` service. botocore (and the other AWS SDKs)
//! decide *which* error they received from, in order of precedence:
//!
//! 1. the `x-amzn-ErrorType` response header (`RestJSONParser._inject_error_code`),
//! 2. a `code` / `Code` member of the JSON body,
//! 3. the `__type` member of the JSON body (`BaseJSONParser._do_error_parse`),
//!    falling back to the HTTP status code.
//!
//! Any `:`-suffix and `namespace#` prefix are stripped from the code. The
//! message is read from `message` (or `Message`). Once the code names a modeled
//! exception, the body is parsed against that exception's shape, so the
//! modeled members (`reason` and `fields` for `ValidationException`,
//! `resourceId`/`resourceType` for `ConflictException`, ...) must use the
//! model's member names. `retryAfterSeconds` is bound to the `Retry-After`
//! header, not the body.
//!
//! [`ApiError::to_json`] therefore writes `__type` and `message` plus the
//! modeled members, and [`ApiError::headers`] returns `x-amzn-ErrorType`,
//! `Content-Type` and (when set) `Retry-After`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// One entry of `ValidationException.fields` (`ValidationExceptionField`):
/// the path of the offending input member and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Path of the member, e.g. `filterCriteria.severity[0].comparison`.
    pub name: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error for `name`.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            message: message.into(),
        }
    }
}

/// `ValidationExceptionReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidationReason {
    /// The request body (or a member of it) could not be parsed into the
    /// model's shape: bad JSON, wrong JSON type, missing required or unknown member.
    CannotParse,
    /// The request parsed but a member violates a model constraint
    /// (length, range, enum value, ...).
    FieldValidationFailed,
    /// Anything else.
    Other,
}

impl ValidationReason {
    /// The wire value (`CANNOT_PARSE`, `FIELD_VALIDATION_FAILED`, `OTHER`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CannotParse => "CANNOT_PARSE",
            Self::FieldValidationFailed => "FIELD_VALIDATION_FAILED",
            Self::Other => "OTHER",
        }
    }
}

/// A failed validation: becomes a `ValidationException` through
/// `ApiError::from`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// Why validation failed.
    pub reason: ValidationReason,
    /// Every offending member (never empty when produced by this crate).
    pub fields: Vec<FieldError>,
}

impl ValidationError {
    /// A validation error with a single field.
    pub fn single(
        reason: ValidationReason,
        name: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            reason,
            fields: vec![FieldError::new(name, message)],
        }
    }

    /// Whether some field error has exactly this name.
    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.fields.len();
        if n == 0 {
            return f.write_str("Validation failed");
        }
        write!(
            f,
            "{n} validation error{} detected: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", field.name, field.message)?;
        }
        Ok(())
    }
}

/// Accumulates field errors so that one response reports all of them.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    pub(crate) fields: Vec<FieldError>,
}

impl Errors {
    pub(crate) fn push(&mut self, name: impl Into<String>, message: impl Into<String>) {
        self.fields.push(FieldError::new(name, message));
    }

    pub(crate) fn into_result(self, reason: ValidationReason) -> Result<(), ValidationError> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                reason,
                fields: self.fields,
            })
        }
    }
}

/// The inspector2 exception shapes (every `"exception": true` shape of the
/// `inspector2` 2020-06-08 model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// 400. Members: `message`, `reason`, `fields`.
    ValidationException,
    /// 403. Members: `message`.
    AccessDeniedException,
    /// 404. Members: `message`.
    ResourceNotFoundException,
    /// 409. Members: `message`, `resourceId`, `resourceType`.
    ConflictException,
    /// 429. Members: `message`, `retryAfterSeconds` (header `Retry-After`).
    ThrottlingException,
    /// 500. Members: `message`, `retryAfterSeconds` (header `Retry-After`).
    InternalServerException,
    /// 400. Members: `message`.
    BadRequestException,
    /// 402 (sic, per the model). Members: `message`, `resourceId`.
    ServiceQuotaExceededException,
}

impl ErrorCode {
    /// Every code, in model order.
    pub const ALL: [ErrorCode; 8] = [
        Self::ValidationException,
        Self::AccessDeniedException,
        Self::ResourceNotFoundException,
        Self::ConflictException,
        Self::ThrottlingException,
        Self::InternalServerException,
        Self::BadRequestException,
        Self::ServiceQuotaExceededException,
    ];

    /// The shape name, which is also the wire error code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationException => "ValidationException",
            Self::AccessDeniedException => "AccessDeniedException",
            Self::ResourceNotFoundException => "ResourceNotFoundException",
            Self::ConflictException => "ConflictException",
            Self::ThrottlingException => "ThrottlingException",
            Self::InternalServerException => "InternalServerException",
            Self::BadRequestException => "BadRequestException",
            Self::ServiceQuotaExceededException => "ServiceQuotaExceededException",
        }
    }

    /// The model's `error.httpStatusCode`.
    pub fn http_status(self) -> u16 {
        match self {
            Self::ValidationException | Self::BadRequestException => 400,
            Self::ServiceQuotaExceededException => 402,
            Self::AccessDeniedException => 403,
            Self::ResourceNotFoundException => 404,
            Self::ConflictException => 409,
            Self::ThrottlingException => 429,
            Self::InternalServerException => 500,
        }
    }

    /// Whether the model marks the error as the caller's fault (`senderFault`)
    /// rather than a server `fault`.
    pub fn is_sender_fault(self) -> bool {
        !matches!(self, Self::InternalServerException)
    }

    /// Whether the error shape has a `retryAfterSeconds` (`Retry-After`) member.
    pub fn has_retry_after(self) -> bool {
        matches!(
            self,
            Self::ThrottlingException | Self::InternalServerException
        )
    }

    /// Looks a code up by shape name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An inspector2 error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Which exception shape.
    pub code: ErrorCode,
    /// `message` (required by every exception shape).
    pub message: String,
    /// HTTP status to answer with; [`ErrorCode::http_status`] unless overridden.
    pub http_status: u16,
    /// `ValidationException.reason` (required for that shape; defaults to
    /// `OTHER` in [`to_json`](Self::to_json) when unset).
    pub reason: Option<ValidationReason>,
    /// `ValidationException.fields`.
    pub fields: Vec<FieldError>,
    /// `ConflictException.resourceId` / `ServiceQuotaExceededException.resourceId`.
    pub resource_id: Option<String>,
    /// `ConflictException.resourceType`.
    pub resource_type: Option<String>,
    /// `retryAfterSeconds`, sent as the `Retry-After` header (throttling and
    /// internal errors only).
    pub retry_after_seconds: Option<u32>,
}

impl ApiError {
    /// An error of `code` with the model's status code and no extra members.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            http_status: code.http_status(),
            reason: None,
            fields: Vec::new(),
            resource_id: None,
            resource_type: None,
            retry_after_seconds: None,
        }
    }

    /// `ValidationException`.
    pub fn validation(
        reason: ValidationReason,
        message: impl Into<String>,
        fields: Vec<FieldError>,
    ) -> Self {
        Self {
            reason: Some(reason),
            fields,
            ..Self::new(ErrorCode::ValidationException, message)
        }
    }

    /// `AccessDeniedException`.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccessDeniedException, message)
    }

    /// `ResourceNotFoundException`.
    pub fn resource_not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceNotFoundException, message)
    }

    /// `ConflictException` (both resource members are required by the model).
    pub fn conflict(
        message: impl Into<String>,
        resource_id: impl Into<String>,
        resource_type: impl Into<String>,
    ) -> Self {
        Self {
            resource_id: Some(resource_id.into()),
            resource_type: Some(resource_type.into()),
            ..Self::new(ErrorCode::ConflictException, message)
        }
    }

    /// `ThrottlingException`.
    pub fn throttling(message: impl Into<String>, retry_after_seconds: Option<u32>) -> Self {
        Self {
            retry_after_seconds,
            ..Self::new(ErrorCode::ThrottlingException, message)
        }
    }

    /// `InternalServerException`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalServerException, message)
    }

    /// `BadRequestException`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequestException, message)
    }

    /// `ServiceQuotaExceededException` (`resourceId` is required by the model).
    pub fn service_quota_exceeded(
        message: impl Into<String>,
        resource_id: impl Into<String>,
    ) -> Self {
        Self {
            resource_id: Some(resource_id.into()),
            ..Self::new(ErrorCode::ServiceQuotaExceededException, message)
        }
    }

    /// The JSON body: `__type`, `message` and the members the code's shape
    /// models (nothing that shape does not have).
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("__type".into(), Value::from(self.code.as_str()));
        body.insert("message".into(), Value::from(self.message.as_str()));
        match self.code {
            ErrorCode::ValidationException => {
                let reason = self.reason.unwrap_or(ValidationReason::Other);
                body.insert("reason".into(), Value::from(reason.as_str()));
                if !self.fields.is_empty() {
                    let fields = self
                        .fields
                        .iter()
                        .map(|f| {
                            let mut m = Map::new();
                            m.insert("name".into(), Value::from(f.name.as_str()));
                            m.insert("message".into(), Value::from(f.message.as_str()));
                            Value::Object(m)
                        })
                        .collect();
                    body.insert("fields".into(), Value::Array(fields));
                }
            }
            ErrorCode::ConflictException => {
                body.insert(
                    "resourceId".into(),
                    Value::from(self.resource_id.as_deref().unwrap_or_default()),
                );
                body.insert(
                    "resourceType".into(),
                    Value::from(self.resource_type.as_deref().unwrap_or_default()),
                );
            }
            ErrorCode::ServiceQuotaExceededException => {
                body.insert(
                    "resourceId".into(),
                    Value::from(self.resource_id.as_deref().unwrap_or_default()),
                );
            }
            ErrorCode::AccessDeniedException
            | ErrorCode::ResourceNotFoundException
            | ErrorCode::ThrottlingException
            | ErrorCode::InternalServerException
            | ErrorCode::BadRequestException => {}
        }
        Value::Object(body)
    }

    /// [`to_json`](Self::to_json) serialised.
    pub fn to_body(&self) -> String {
        self.to_json().to_string()
    }

    /// Response headers to set besides the request id (the server adds
    /// `x-amzn-RequestId` itself): `Content-Type`, `x-amzn-ErrorType` and,
    /// for shapes that model it and when set, `Retry-After`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Content-Type", "application/json".to_string()),
            ("x-amzn-ErrorType", self.code.as_str().to_string()),
        ];
        if let Some(secs) = self
            .retry_after_seconds
            .filter(|_| self.code.has_retry_after())
        {
            headers.push(("Retry-After", secs.to_string()));
        }
        headers
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        let message = err.to_string();
        ApiError::validation(err.reason, message, err.fields)
    }
}

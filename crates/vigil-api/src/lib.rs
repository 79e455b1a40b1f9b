//! The inspector2 API model Vigil serves.
//!
//! * [`criteria`]: `FilterCriteria` (parsing with member paths, validation
//!   against the model's constraints, and matching against finding JSON),
//! * [`sort`]: `SortCriteria` and a comparator over finding JSON,
//! * [`requests`]: the request/resource shapes that carry them
//!   (`CreateFilterRequest`, `UpdateFilterRequest`, `ListFindingsRequest`, `Filter`),
//! * [`error`]: the inspector2 error shapes and their rest-json encoding.
//!
//! Findings are handled as `serde_json::Value`s in the inspector2 `Finding`
//! shape (member names as in the model; timestamps as ISO-8601 strings or
//! epoch seconds).
//!
//! ```
//! use serde_json::json;
//! use vigil_api::{ApiError, FilterCriteria, SortCriteria};
//!
//! // As `aws inspector2 list-findings --filter-criteria ...` sends it.
//! let body = json!({
//!     "severity": [{"comparison": "EQUALS", "value": "HIGH"}],
//!     "firstObservedAt": [{"startInclusive": 1700000000}]
//! });
//! let criteria = FilterCriteria::from_json(&body).map_err(ApiError::from)?;
//! let finding = json!({
//!     "severity": "HIGH",
//!     "firstObservedAt": "2024-01-10T08:15:30Z",
//!     "findingArn": "arn:aws:inspector2:us-east-1:123456789012:finding/0a1b2c3d4e5f60718293a4b5c6d7e8f9"
//! });
//! assert!(criteria.matches(&finding));
//!
//! // A bad comparison becomes a ValidationException naming the member.
//! let bad = json!({"severity": [{"comparison": "LIKE", "value": "HIGH"}]});
//! let err = ApiError::from(FilterCriteria::from_json(&bad).unwrap_err());
//! assert_eq!(err.to_json()["fields"][0]["name"], "filterCriteria.severity[0].comparison");
//! assert!(err.headers().contains(&("x-amzn-ErrorType", "ValidationException".to_string())));
//!
//! let sort: SortCriteria = serde_json::from_value(json!({"field": "SEVERITY", "sortOrder": "DESC"}))?;
//! let mut findings = vec![finding];
//! sort.sort(&mut findings);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod model_enum;

pub mod criteria;
pub mod error;
pub mod json;
pub mod requests;
pub mod sort;
pub mod timestamp;

pub use criteria::{
    Criterion, CriterionKind, CriterionSpec, DateFilter, FILTER_CRITERIA_FIELDS, FilterCriteria,
    MapComparison, MapFilter, NumberFilter, PACKAGE_FILTER_FIELDS, PackageFilter, PortRangeFilter,
    StringComparison, StringFilter,
};
pub use error::{ApiError, ErrorCode, FieldError, ValidationError, ValidationReason};
pub use requests::{
    CreateFilterRequest, Filter, FilterAction, ListFindingsRequest, UpdateFilterRequest,
};
pub use sort::{SORT_FIELDS, SortCriteria, SortField, SortOrder};
pub use timestamp::Timestamp;

//! `SortCriteria` and ordering of finding JSON.
//!
//! Ordering rules:
//! * `SEVERITY` sorts by rank (UNTRIAGED < INFORMATIONAL < LOW < MEDIUM <
//!   HIGH < CRITICAL; unrecognised values below UNTRIAGED, by text);
//! * date fields by instant (ISO-8601 strings or epoch seconds);
//! * `INSPECTOR_SCORE`, `EPSS_SCORE` numerically;
//! * everything else by string (byte order; `VENDOR_SEVERITY` is free text
//!   and so sorts alphabetically);
//! * a finding lacking the field sorts after all findings that have it, in
//!   both orders;
//! * ties are broken by `findingArn` ascending, so pages are stable.
//!
//! For multi-valued fields (resources, network path steps) the first value is
//! the sort key.

use crate::error::{Errors, ValidationError, ValidationReason};
use crate::json;
use crate::model_enum::model_enum;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;

model_enum! {
    /// `SortField`.
    SortField {
        /// `awsAccountId`
        AwsAccountId = "AWS_ACCOUNT_ID",
        /// `type`
        FindingType = "FINDING_TYPE",
        /// `severity`
        Severity = "SEVERITY",
        /// `firstObservedAt`
        FirstObservedAt = "FIRST_OBSERVED_AT",
        /// `lastObservedAt`
        LastObservedAt = "LAST_OBSERVED_AT",
        /// `status`
        FindingStatus = "FINDING_STATUS",
        /// `resources[].type`
        ResourceType = "RESOURCE_TYPE",
        /// `resources[].details.awsEcrContainerImage.pushedAt`
        EcrImagePushedAt = "ECR_IMAGE_PUSHED_AT",
        /// `resources[].details.awsEcrContainerImage.repositoryName`
        EcrImageRepositoryName = "ECR_IMAGE_REPOSITORY_NAME",
        /// `resources[].details.awsEcrContainerImage.registry`
        EcrImageRegistry = "ECR_IMAGE_REGISTRY",
        /// `networkReachabilityDetails.protocol`
        NetworkProtocol = "NETWORK_PROTOCOL",
        /// `networkReachabilityDetails.networkPath.steps[].componentType`
        ComponentType = "COMPONENT_TYPE",
        /// `packageVulnerabilityDetails.vulnerabilityId`
        VulnerabilityId = "VULNERABILITY_ID",
        /// `packageVulnerabilityDetails.source`
        VulnerabilitySource = "VULNERABILITY_SOURCE",
        /// `inspectorScore`
        InspectorScore = "INSPECTOR_SCORE",
        /// `packageVulnerabilityDetails.vendorSeverity`
        VendorSeverity = "VENDOR_SEVERITY",
        /// `epss.score`
        EpssScore = "EPSS_SCORE",
    }
}

model_enum! {
    /// `SortOrder`.
    SortOrder {
        /// Ascending.
        Asc = "ASC",
        /// Descending.
        Desc = "DESC",
    }
}

/// How a sort key compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKeyKind {
    /// Byte-wise string order.
    Text,
    /// Numeric order.
    Number,
    /// Chronological order.
    Timestamp,
    /// Inspector severity rank.
    Severity,
}

/// One row of the `SortField` → `Finding` mapping.
pub struct SortFieldSpec {
    /// The `SortField` value.
    pub field: &'static str,
    /// Where the key lives in a `Finding` (first value at the path).
    pub finding_path: &'static str,
    /// How keys compare.
    pub kind: SortKeyKind,
}

/// Every `SortField` value, the `Finding` member it sorts by, and how.
#[rustfmt::skip]
pub static SORT_FIELDS: &[SortFieldSpec] = &[
    // Owning account ID.
    SortFieldSpec { field: "AWS_ACCOUNT_ID", finding_path: "awsAccountId", kind: SortKeyKind::Text },
    // Finding type (`type`).
    SortFieldSpec { field: "FINDING_TYPE", finding_path: "type", kind: SortKeyKind::Text },
    // Inspector severity, by rank rather than alphabetically.
    SortFieldSpec { field: "SEVERITY", finding_path: "severity", kind: SortKeyKind::Severity },
    // First observation time.
    SortFieldSpec { field: "FIRST_OBSERVED_AT", finding_path: "firstObservedAt", kind: SortKeyKind::Timestamp },
    // Last observation time.
    SortFieldSpec { field: "LAST_OBSERVED_AT", finding_path: "lastObservedAt", kind: SortKeyKind::Timestamp },
    // Finding status (`status`).
    SortFieldSpec { field: "FINDING_STATUS", finding_path: "status", kind: SortKeyKind::Text },
    // Type of the (first) affected resource.
    SortFieldSpec { field: "RESOURCE_TYPE", finding_path: "resources[].type", kind: SortKeyKind::Text },
    // Push time of the affected ECR image.
    SortFieldSpec { field: "ECR_IMAGE_PUSHED_AT", finding_path: "resources[].details.awsEcrContainerImage.pushedAt", kind: SortKeyKind::Timestamp },
    // Repository of the affected ECR image.
    SortFieldSpec { field: "ECR_IMAGE_REPOSITORY_NAME", finding_path: "resources[].details.awsEcrContainerImage.repositoryName", kind: SortKeyKind::Text },
    // Registry of the affected ECR image.
    SortFieldSpec { field: "ECR_IMAGE_REGISTRY", finding_path: "resources[].details.awsEcrContainerImage.registry", kind: SortKeyKind::Text },
    // Protocol of a network reachability finding.
    SortFieldSpec { field: "NETWORK_PROTOCOL", finding_path: "networkReachabilityDetails.protocol", kind: SortKeyKind::Text },
    // Type of the first component on the network path.
    SortFieldSpec { field: "COMPONENT_TYPE", finding_path: "networkReachabilityDetails.networkPath.steps[].componentType", kind: SortKeyKind::Text },
    // Vulnerability ID (CVE, GHSA, ...).
    SortFieldSpec { field: "VULNERABILITY_ID", finding_path: "packageVulnerabilityDetails.vulnerabilityId", kind: SortKeyKind::Text },
    // Vulnerability data source.
    SortFieldSpec { field: "VULNERABILITY_SOURCE", finding_path: "packageVulnerabilityDetails.source", kind: SortKeyKind::Text },
    // Inspector score.
    SortFieldSpec { field: "INSPECTOR_SCORE", finding_path: "inspectorScore", kind: SortKeyKind::Number },
    // Vendor severity (free text, alphabetical).
    SortFieldSpec { field: "VENDOR_SEVERITY", finding_path: "packageVulnerabilityDetails.vendorSeverity", kind: SortKeyKind::Text },
    // EPSS score.
    SortFieldSpec { field: "EPSS_SCORE", finding_path: "epss.score", kind: SortKeyKind::Number },
];

impl SortField {
    /// This field's row of [`SORT_FIELDS`] (`None` for `Unknown`).
    pub fn spec(&self) -> Option<&'static SortFieldSpec> {
        SORT_FIELDS.iter().find(|s| s.field == self.as_str())
    }
}

/// `SortCriteria` (both members required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SortCriteria {
    /// `field`: `SortField`.
    pub field: SortField,
    /// `sortOrder`: `SortOrder`.
    pub sort_order: SortOrder,
}

/// Rank of an inspector2 `Severity` value.
pub fn severity_rank(severity: &str) -> Option<u8> {
    Some(match severity {
        "UNTRIAGED" => 0,
        "INFORMATIONAL" => 1,
        "LOW" => 2,
        "MEDIUM" => 3,
        "HIGH" => 4,
        "CRITICAL" => 5,
        _ => return None,
    })
}

/// A comparable sort key.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Text(String),
    Number(f64),
    Time(Timestamp),
    /// (rank, text): unrecognised severities get rank -1.
    Severity(i16, String),
}

impl Key {
    fn cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            (Key::Number(a), Key::Number(b)) => a.total_cmp(b),
            (Key::Time(a), Key::Time(b)) => a.cmp(b),
            (Key::Severity(ra, ta), Key::Severity(rb, tb)) => ra.cmp(rb).then_with(|| ta.cmp(tb)),
            // Keys of one field always share a variant.
            _ => Ordering::Equal,
        }
    }
}

impl SortCriteria {
    /// A criteria for `field` in `order`.
    pub fn new(field: SortField, sort_order: SortOrder) -> Self {
        Self { field, sort_order }
    }

    /// Parses and validates `SortCriteria` JSON, naming members under `path`
    /// (requests use `sortCriteria`).
    pub fn from_json_at(value: &Value, path: &str) -> Result<Self, ValidationError> {
        let criteria = Self::parse_at(value, path)?;
        criteria.validate_at(path)?;
        Ok(criteria)
    }

    /// Parses without checking enum values (`CANNOT_PARSE` on failure; a
    /// missing or unknown member is named, e.g. `sortCriteria.sortOrder`).
    pub fn parse_at(value: &Value, path: &str) -> Result<Self, ValidationError> {
        Self::deserialize(value).map_err(|e| {
            let msg = e.to_string();
            let name = ["missing field `", "unknown field `"]
                .iter()
                .find_map(|p| msg.strip_prefix(p))
                .and_then(|rest| rest.split('`').next())
                .map_or_else(|| path.to_string(), |f| format!("{path}.{f}"));
            ValidationError::single(ValidationReason::CannotParse, name, msg)
        })
    }

    /// Checks `field` and `sortOrder` against the model's enums.
    pub fn validate_at(&self, path: &str) -> Result<(), ValidationError> {
        let mut errs = Errors::default();
        if !self.field.is_known() {
            errs.push(
                format!("{path}.field"),
                self.field.enum_constraint_message(),
            );
        }
        if !self.sort_order.is_known() {
            errs.push(
                format!("{path}.sortOrder"),
                self.sort_order.enum_constraint_message(),
            );
        }
        errs.into_result(ValidationReason::FieldValidationFailed)
    }

    fn key(&self, finding: &Value) -> Option<Key> {
        let spec = self.field.spec()?;
        let v = json::first(finding, spec.finding_path)?;
        match spec.kind {
            SortKeyKind::Text => json::scalar_string(v).map(Key::Text),
            SortKeyKind::Number => json::number(v).map(Key::Number),
            SortKeyKind::Timestamp => Timestamp::from_json(v).map(Key::Time),
            SortKeyKind::Severity => json::scalar_string(v).map(|s| {
                let rank = severity_rank(&s).map_or(-1, i16::from);
                Key::Severity(rank, s)
            }),
        }
    }

    /// Orders two findings: by the field in `sortOrder` (missing values last
    /// in either order), then by `findingArn` ascending.
    pub fn compare(&self, a: &Value, b: &Value) -> Ordering {
        let primary = match (self.key(a), self.key(b)) {
            (Some(ka), Some(kb)) => {
                let o = ka.cmp(&kb);
                if matches!(self.sort_order, SortOrder::Desc) {
                    o.reverse()
                } else {
                    o
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        primary.then_with(|| {
            let arn = |f: &Value| {
                f.get("findingArn")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            arn(a).cmp(&arn(b))
        })
    }

    /// Sorts findings in place with [`compare`](Self::compare).
    pub fn sort(&self, findings: &mut [Value]) {
        findings.sort_by(|a, b| self.compare(a, b));
    }
}

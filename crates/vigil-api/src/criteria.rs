//! `FilterCriteria`: the model's filter shapes, their validation, and matching
//! against findings in the inspector2 `Finding` JSON shape.
//!
//! # Matching semantics
//!
//! * Across criteria (different `FilterCriteria` members): AND.
//! * Within one `StringFilterList`: the `EQUALS`/`PREFIX` entries are ORed
//!   (at least one must hold, if there are any) and every `NOT_EQUALS` entry
//!   must hold (AND).
//! * A finding field can have several values (one per resource, per image tag,
//!   per network path step, ...). `EQUALS`/`PREFIX` hold when *any* value
//!   matches. `NOT_EQUALS x` holds when *no* value equals `x`; in particular it
//!   holds when the finding has no value for the field at all (an EC2 finding
//!   is "not in ECR repository `x`").
//! * Date, number, port-range and map filter lists: ORed; an entry holds when
//!   some value of the field lies in its range (both bounds inclusive, a missing
//!   bound is open) or, for maps, some resource's tags contain `key` (with
//!   `value`, when given). A finding without the field does not match.
//! * `portRange`: the finding's `openPortRange` must lie within
//!   `[beginInclusive, endInclusive]` (`begin >= beginInclusive` and
//!   `end <= endInclusive`).
//! * `vulnerablePackages`: ORed; an entry holds when *one* vulnerable package
//!   satisfies *all* of the entry's sub-filters (a sub-filter on a member the
//!   package lacks fails, except `NOT_EQUALS`, which holds).
//!
//! Strings compare case-sensitively, as inspector2 does.

use crate::error::{Errors, ValidationError, ValidationReason};
use crate::json;
use crate::model_enum::model_enum;
use crate::timestamp::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `StringFilterList` / `DateFilterList` / ... bounds: `min: 1`, `max: 10`.
pub const FILTER_LIST_MIN: usize = 1;
/// See [`FILTER_LIST_MIN`].
pub const FILTER_LIST_MAX: usize = 10;
/// `StringInput`: `min: 1`, `max: 1024`.
pub const STRING_INPUT_MAX: usize = 1024;
/// `MapKey`: `min: 1`, `max: 128`.
pub const MAP_KEY_MAX: usize = 128;
/// `MapValue`: `min: 0`, `max: 256`.
pub const MAP_VALUE_MAX: usize = 256;
/// `Port`: `min: 0`, `max: 65535`.
pub const PORT_MAX: i64 = 65535;

model_enum! {
    /// `StringComparison`.
    StringComparison {
        /// The value equals the filter value.
        Equals = "EQUALS",
        /// The value starts with the filter value.
        Prefix = "PREFIX",
        /// The value does not equal the filter value.
        NotEquals = "NOT_EQUALS",
    }
}

model_enum! {
    /// `MapComparison`.
    MapComparison {
        /// The map has the key (with the value, when given).
        Equals = "EQUALS",
    }
}

/// `StringFilter` (both members required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StringFilter {
    /// `comparison`: `StringComparison`.
    pub comparison: StringComparison,
    /// `value`: `StringInput` (1..=1024 characters).
    pub value: String,
}

impl StringFilter {
    /// A filter with `comparison` and `value`.
    pub fn new(comparison: StringComparison, value: impl Into<String>) -> Self {
        Self {
            comparison,
            value: value.into(),
        }
    }

    /// `EQUALS value`.
    pub fn equals(value: impl Into<String>) -> Self {
        Self::new(StringComparison::Equals, value)
    }

    /// `PREFIX value`.
    pub fn prefix(value: impl Into<String>) -> Self {
        Self::new(StringComparison::Prefix, value)
    }

    /// `NOT_EQUALS value`.
    pub fn not_equals(value: impl Into<String>) -> Self {
        Self::new(StringComparison::NotEquals, value)
    }

    /// Whether a single present value satisfies this filter.
    pub fn test(&self, candidate: &str) -> bool {
        match &self.comparison {
            StringComparison::Equals => candidate == self.value,
            StringComparison::Prefix => candidate.starts_with(self.value.as_str()),
            StringComparison::NotEquals => candidate != self.value,
            StringComparison::Unknown(_) => false,
        }
    }

    /// Whether the filter holds for a field with the values `candidates`
    /// (none when the finding lacks the field): `EQUALS`/`PREFIX` need some
    /// value to match, `NOT_EQUALS` needs no value to equal.
    pub fn test_all(&self, candidates: &[String]) -> bool {
        match &self.comparison {
            StringComparison::NotEquals => candidates.iter().all(|c| *c != self.value),
            StringComparison::Equals | StringComparison::Prefix => {
                candidates.iter().any(|c| self.test(c))
            }
            StringComparison::Unknown(_) => false,
        }
    }

    fn validate(&self, path: &str, errs: &mut Errors) {
        if !self.comparison.is_known() {
            errs.push(
                format!("{path}.comparison"),
                self.comparison.enum_constraint_message(),
            );
        }
        check_len(
            &self.value,
            1,
            STRING_INPUT_MAX,
            &format!("{path}.value"),
            errs,
        );
    }
}

/// `DateFilter`: an inclusive time range; either bound may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DateFilter {
    /// `startInclusive`: epoch seconds (number) or ISO-8601 string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_inclusive: Option<Timestamp>,
    /// `endInclusive`: epoch seconds (number) or ISO-8601 string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_inclusive: Option<Timestamp>,
}

impl DateFilter {
    /// Whether `at` lies in the range.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start_inclusive.is_none_or(|s| at >= s) && self.end_inclusive.is_none_or(|e| at <= e)
    }

    fn validate(&self, path: &str, errs: &mut Errors) {
        if let (Some(s), Some(e)) = (self.start_inclusive, self.end_inclusive)
            && s > e
        {
            errs.push(
                path,
                format!("startInclusive ({s}) must not be after endInclusive ({e})"),
            );
        }
    }
}

/// `NumberFilter`: an inclusive numeric range; either bound may be absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NumberFilter {
    /// `upperInclusive`: `Double`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_inclusive: Option<f64>,
    /// `lowerInclusive`: `Double`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_inclusive: Option<f64>,
}

impl NumberFilter {
    /// Whether `x` lies in the range.
    pub fn contains(&self, x: f64) -> bool {
        self.lower_inclusive.is_none_or(|l| x >= l) && self.upper_inclusive.is_none_or(|u| x <= u)
    }

    fn validate(&self, path: &str, errs: &mut Errors) {
        for (name, bound) in [
            ("lowerInclusive", self.lower_inclusive),
            ("upperInclusive", self.upper_inclusive),
        ] {
            if bound.is_some_and(|b| !b.is_finite()) {
                errs.push(format!("{path}.{name}"), "Member must be a finite number");
            }
        }
        if let (Some(l), Some(u)) = (self.lower_inclusive, self.upper_inclusive)
            && l > u
        {
            errs.push(
                path,
                format!("lowerInclusive ({l}) must not be greater than upperInclusive ({u})"),
            );
        }
    }
}

/// `PortRangeFilter`: an inclusive port range; either bound may be absent.
///
/// The bounds are kept as `i64` so that an out-of-range port is a validation
/// error naming the member rather than a parse error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortRangeFilter {
    /// `beginInclusive`: `Port` (0..=65535).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub begin_inclusive: Option<i64>,
    /// `endInclusive`: `Port` (0..=65535).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_inclusive: Option<i64>,
}

impl PortRangeFilter {
    /// Whether the open port range `[begin, end]` lies within this filter.
    pub fn contains_range(&self, begin: i64, end: i64) -> bool {
        self.begin_inclusive.is_none_or(|b| begin >= b)
            && self.end_inclusive.is_none_or(|e| end <= e)
    }

    fn validate(&self, path: &str, errs: &mut Errors) {
        for (name, bound) in [
            ("beginInclusive", self.begin_inclusive),
            ("endInclusive", self.end_inclusive),
        ] {
            if let Some(p) = bound
                && !(0..=PORT_MAX).contains(&p)
            {
                errs.push(
                    format!("{path}.{name}"),
                    format!(
                        "Value '{p}' failed to satisfy constraint: Member must have value between 0 and {PORT_MAX}"
                    ),
                );
            }
        }
        if let (Some(b), Some(e)) = (self.begin_inclusive, self.end_inclusive)
            && b > e
        {
            errs.push(
                path,
                format!("beginInclusive ({b}) must not be greater than endInclusive ({e})"),
            );
        }
    }
}

/// `MapFilter` (`comparison` and `key` required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MapFilter {
    /// `comparison`: `MapComparison` (only `EQUALS`).
    pub comparison: MapComparison,
    /// `key`: `MapKey` (1..=128 characters).
    pub key: String,
    /// `value`: `MapValue` (0..=256 characters). Absent: any value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl MapFilter {
    /// `EQUALS key[=value]`.
    pub fn equals(key: impl Into<String>, value: Option<&str>) -> Self {
        Self {
            comparison: MapComparison::Equals,
            key: key.into(),
            value: value.map(str::to_string),
        }
    }

    /// Whether a tag map (JSON object of strings) satisfies this filter.
    pub fn test(&self, map: &Value) -> bool {
        if !matches!(self.comparison, MapComparison::Equals) {
            return false;
        }
        match map.get(&self.key) {
            None => false,
            Some(v) => match &self.value {
                None => true,
                Some(want) => json::scalar_string(v).is_some_and(|have| have == *want),
            },
        }
    }

    fn validate(&self, path: &str, errs: &mut Errors) {
        if !self.comparison.is_known() {
            errs.push(
                format!("{path}.comparison"),
                self.comparison.enum_constraint_message(),
            );
        }
        check_len(&self.key, 1, MAP_KEY_MAX, &format!("{path}.key"), errs);
        if let Some(v) = &self.value {
            check_len(v, 0, MAP_VALUE_MAX, &format!("{path}.value"), errs);
        }
    }
}

/// `PackageFilter`: sub-filters on one vulnerable package; all given ones must
/// hold for the same package.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PackageFilter {
    /// `name` → `VulnerablePackage.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<StringFilter>,
    /// `version` → `VulnerablePackage.version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<StringFilter>,
    /// `epoch` (a `NumberFilter`) → `VulnerablePackage.epoch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<NumberFilter>,
    /// `release` → `VulnerablePackage.release`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<StringFilter>,
    /// `architecture` → `VulnerablePackage.arch` (sic: the finding member is `arch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<StringFilter>,
    /// `sourceLayerHash` → `VulnerablePackage.sourceLayerHash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_layer_hash: Option<StringFilter>,
    /// `sourceLambdaLayerArn` → `VulnerablePackage.sourceLambdaLayerArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_lambda_layer_arn: Option<StringFilter>,
    /// `filePath` → `VulnerablePackage.filePath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<StringFilter>,
}

/// A `PackageFilter` member: a string or a number sub-filter.
#[derive(Debug, Clone, Copy)]
pub enum PackageSubFilter<'a> {
    /// A `StringFilter` member.
    String(&'a StringFilter),
    /// A `NumberFilter` member (`epoch`).
    Number(&'a NumberFilter),
}

/// One `PackageFilter` member and the `VulnerablePackage` member(s) it tests.
pub struct PackageFieldSpec {
    /// `PackageFilter` member name.
    pub member: &'static str,
    /// `VulnerablePackage` members read, first present wins.
    pub package_members: &'static [&'static str],
    /// Whether the sub-filter is a `NumberFilter` (else a `StringFilter`).
    pub is_number: bool,
    get: for<'a> fn(&'a PackageFilter) -> Option<PackageSubFilter<'a>>,
}

impl PackageFieldSpec {
    /// The sub-filter this entry reads from `filter`, if set.
    pub fn get<'a>(&self, filter: &'a PackageFilter) -> Option<PackageSubFilter<'a>> {
        (self.get)(filter)
    }
}

/// `PackageFilter` member → `VulnerablePackage` member.
pub static PACKAGE_FILTER_FIELDS: &[PackageFieldSpec] = &[
    // Package name, e.g. `openssl`.
    PackageFieldSpec {
        member: "name",
        package_members: &["name"],
        is_number: false,
        get: |f| f.name.as_ref().map(PackageSubFilter::String),
    },
    // Installed (vulnerable) version, e.g. `1.1.1k`.
    PackageFieldSpec {
        member: "version",
        package_members: &["version"],
        is_number: false,
        get: |f| f.version.as_ref().map(PackageSubFilter::String),
    },
    // RPM/DEB epoch (an integer), tested with a NumberFilter.
    PackageFieldSpec {
        member: "epoch",
        package_members: &["epoch"],
        is_number: true,
        get: |f| f.epoch.as_ref().map(PackageSubFilter::Number),
    },
    // Package release, e.g. `1.amzn2.0.1`.
    PackageFieldSpec {
        member: "release",
        package_members: &["release"],
        is_number: false,
        get: |f| f.release.as_ref().map(PackageSubFilter::String),
    },
    // Package architecture: the finding's member is `arch`; `architecture` is
    // accepted as a fallback for hand-written findings.
    PackageFieldSpec {
        member: "architecture",
        package_members: &["arch", "architecture"],
        is_number: false,
        get: |f| f.architecture.as_ref().map(PackageSubFilter::String),
    },
    // Digest of the container image layer that introduced the package.
    PackageFieldSpec {
        member: "sourceLayerHash",
        package_members: &["sourceLayerHash"],
        is_number: false,
        get: |f| f.source_layer_hash.as_ref().map(PackageSubFilter::String),
    },
    // ARN of the Lambda layer that introduced the package.
    PackageFieldSpec {
        member: "sourceLambdaLayerArn",
        package_members: &["sourceLambdaLayerArn"],
        is_number: false,
        get: |f| {
            f.source_lambda_layer_arn
                .as_ref()
                .map(PackageSubFilter::String)
        },
    },
    // Path of the file (lock file, jar, binary) the package was found in.
    PackageFieldSpec {
        member: "filePath",
        package_members: &["filePath"],
        is_number: false,
        get: |f| f.file_path.as_ref().map(PackageSubFilter::String),
    },
];

impl PackageFilter {
    /// Whether one vulnerable package (a `VulnerablePackage` JSON object)
    /// satisfies every sub-filter that is set.
    pub fn test(&self, package: &Value) -> bool {
        PACKAGE_FILTER_FIELDS.iter().all(|spec| {
            let value = spec
                .package_members
                .iter()
                .find_map(|m| package.get(*m).filter(|v| !v.is_null()));
            match spec.get(self) {
                None => true,
                Some(PackageSubFilter::String(f)) => {
                    let values: Vec<String> =
                        value.and_then(json::scalar_string).into_iter().collect();
                    f.test_all(&values)
                }
                Some(PackageSubFilter::Number(f)) => {
                    value.and_then(json::number).is_some_and(|x| f.contains(x))
                }
            }
        })
    }

    /// Whether no sub-filter is set.
    pub fn is_empty(&self) -> bool {
        PACKAGE_FILTER_FIELDS.iter().all(|s| s.get(self).is_none())
    }

    fn validate(&self, path: &str, errs: &mut Errors) {
        for spec in PACKAGE_FILTER_FIELDS {
            let sub = format!("{path}.{}", spec.member);
            match spec.get(self) {
                None => {}
                Some(PackageSubFilter::String(f)) => f.validate(&sub, errs),
                Some(PackageSubFilter::Number(f)) => f.validate(&sub, errs),
            }
        }
    }
}

/// `FilterCriteria`. Every member is an optional list (1..=10 entries).
/// Unknown members are rejected.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FilterCriteria {
    /// `findingArn`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_arn: Option<Vec<StringFilter>>,
    /// `awsAccountId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_account_id: Option<Vec<StringFilter>>,
    /// `findingType`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_type: Option<Vec<StringFilter>>,
    /// `severity`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Vec<StringFilter>>,
    /// `firstObservedAt`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_observed_at: Option<Vec<DateFilter>>,
    /// `lastObservedAt`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_observed_at: Option<Vec<DateFilter>>,
    /// `updatedAt`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Vec<DateFilter>>,
    /// `findingStatus`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_status: Option<Vec<StringFilter>>,
    /// `title`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<StringFilter>>,
    /// `inspectorScore`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspector_score: Option<Vec<NumberFilter>>,
    /// `resourceType`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<Vec<StringFilter>>,
    /// `resourceId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<Vec<StringFilter>>,
    /// `resourceTags`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_tags: Option<Vec<MapFilter>>,
    /// `ec2InstanceImageId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2_instance_image_id: Option<Vec<StringFilter>>,
    /// `ec2InstanceVpcId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2_instance_vpc_id: Option<Vec<StringFilter>>,
    /// `ec2InstanceSubnetId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2_instance_subnet_id: Option<Vec<StringFilter>>,
    /// `ecrImagePushedAt`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_pushed_at: Option<Vec<DateFilter>>,
    /// `ecrImageArchitecture`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_architecture: Option<Vec<StringFilter>>,
    /// `ecrImageRegistry`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_registry: Option<Vec<StringFilter>>,
    /// `ecrImageRepositoryName`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_repository_name: Option<Vec<StringFilter>>,
    /// `ecrImageTags`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_tags: Option<Vec<StringFilter>>,
    /// `ecrImageHash`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_hash: Option<Vec<StringFilter>>,
    /// `ecrImageLastInUseAt`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_last_in_use_at: Option<Vec<DateFilter>>,
    /// `ecrImageInUseCount`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_in_use_count: Option<Vec<NumberFilter>>,
    /// `portRange`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<Vec<PortRangeFilter>>,
    /// `networkProtocol`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_protocol: Option<Vec<StringFilter>>,
    /// `componentId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<Vec<StringFilter>>,
    /// `componentType`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<Vec<StringFilter>>,
    /// `vulnerabilityId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability_id: Option<Vec<StringFilter>>,
    /// `vulnerabilitySource`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability_source: Option<Vec<StringFilter>>,
    /// `vendorSeverity`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<Vec<StringFilter>>,
    /// `vulnerablePackages`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerable_packages: Option<Vec<PackageFilter>>,
    /// `relatedVulnerabilities`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_vulnerabilities: Option<Vec<StringFilter>>,
    /// `fixAvailable`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_available: Option<Vec<StringFilter>>,
    /// `lambdaFunctionName`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_function_name: Option<Vec<StringFilter>>,
    /// `lambdaFunctionLayers`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_function_layers: Option<Vec<StringFilter>>,
    /// `lambdaFunctionRuntime`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_function_runtime: Option<Vec<StringFilter>>,
    /// `lambdaFunctionLastModifiedAt`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_function_last_modified_at: Option<Vec<DateFilter>>,
    /// `lambdaFunctionExecutionRoleArn`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_function_execution_role_arn: Option<Vec<StringFilter>>,
    /// `exploitAvailable`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploit_available: Option<Vec<StringFilter>>,
    /// `codeVulnerabilityDetectorName`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_vulnerability_detector_name: Option<Vec<StringFilter>>,
    /// `codeVulnerabilityDetectorTags`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_vulnerability_detector_tags: Option<Vec<StringFilter>>,
    /// `codeVulnerabilityFilePath`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_vulnerability_file_path: Option<Vec<StringFilter>>,
    /// `epssScore`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss_score: Option<Vec<NumberFilter>>,
    /// `codeRepositoryProjectName`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_repository_project_name: Option<Vec<StringFilter>>,
    /// `codeRepositoryProviderType`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_repository_provider_type: Option<Vec<StringFilter>>,
}

/// The filter-list shape of a `FilterCriteria` member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CriterionKind {
    /// `StringFilterList`
    String,
    /// `DateFilterList`
    Date,
    /// `NumberFilterList`
    Number,
    /// `MapFilterList`
    Map,
    /// `PortRangeFilterList`
    PortRange,
    /// `PackageFilterList`
    Package,
}

impl CriterionKind {
    /// The model's list shape name.
    pub fn model_shape(self) -> &'static str {
        match self {
            Self::String => "StringFilterList",
            Self::Date => "DateFilterList",
            Self::Number => "NumberFilterList",
            Self::Map => "MapFilterList",
            Self::PortRange => "PortRangeFilterList",
            Self::Package => "PackageFilterList",
        }
    }
}

/// The filter list of one `FilterCriteria` member.
#[derive(Debug, Clone, Copy)]
pub enum Criterion<'a> {
    /// `StringFilterList`
    String(&'a [StringFilter]),
    /// `DateFilterList`
    Date(&'a [DateFilter]),
    /// `NumberFilterList`
    Number(&'a [NumberFilter]),
    /// `MapFilterList`
    Map(&'a [MapFilter]),
    /// `PortRangeFilterList`
    PortRange(&'a [PortRangeFilter]),
    /// `PackageFilterList`
    Package(&'a [PackageFilter]),
}

impl Criterion<'_> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            Self::String(l) => l.len(),
            Self::Date(l) => l.len(),
            Self::Number(l) => l.len(),
            Self::Map(l) => l.len(),
            Self::PortRange(l) => l.len(),
            Self::Package(l) => l.len(),
        }
    }

    /// Whether the list is empty (invalid per the model's `min: 1`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The list's kind.
    pub fn kind(&self) -> CriterionKind {
        match self {
            Self::String(_) => CriterionKind::String,
            Self::Date(_) => CriterionKind::Date,
            Self::Number(_) => CriterionKind::Number,
            Self::Map(_) => CriterionKind::Map,
            Self::PortRange(_) => CriterionKind::PortRange,
            Self::Package(_) => CriterionKind::Package,
        }
    }

    /// Whether the list holds for `values`, the finding's values at the
    /// member's path (see the module docs for the rules).
    pub fn matches_values(&self, values: &[&Value]) -> bool {
        match self {
            Self::String(filters) => {
                let strings: Vec<String> = values
                    .iter()
                    .filter_map(|v| json::scalar_string(v))
                    .collect();
                let mut positives = filters
                    .iter()
                    .filter(|f| !matches!(f.comparison, StringComparison::NotEquals))
                    .peekable();
                let positive_ok =
                    positives.peek().is_none() || positives.any(|f| f.test_all(&strings));
                let negative_ok = filters
                    .iter()
                    .filter(|f| matches!(f.comparison, StringComparison::NotEquals))
                    .all(|f| f.test_all(&strings));
                positive_ok && negative_ok
            }
            Self::Date(filters) => {
                let stamps: Vec<Timestamp> = values
                    .iter()
                    .filter_map(|v| Timestamp::from_json(v))
                    .collect();
                filters
                    .iter()
                    .any(|f| stamps.iter().any(|t| f.contains(*t)))
            }
            Self::Number(filters) => {
                let numbers: Vec<f64> = values.iter().filter_map(|v| json::number(v)).collect();
                filters
                    .iter()
                    .any(|f| numbers.iter().any(|x| f.contains(*x)))
            }
            Self::Map(filters) => filters
                .iter()
                .any(|f| values.iter().any(|m| m.is_object() && f.test(m))),
            Self::PortRange(filters) => {
                let ranges: Vec<(i64, i64)> = values
                    .iter()
                    .filter_map(|r| {
                        let begin = r.get("begin").and_then(Value::as_i64)?;
                        let end = r.get("end").and_then(Value::as_i64)?;
                        Some((begin, end))
                    })
                    .collect();
                filters
                    .iter()
                    .any(|f| ranges.iter().any(|(b, e)| f.contains_range(*b, *e)))
            }
            Self::Package(filters) => filters
                .iter()
                .any(|f| values.iter().any(|p| p.is_object() && f.test(p))),
        }
    }
}

/// One row of the `FilterCriteria` → `Finding` mapping.
pub struct CriterionSpec {
    /// `FilterCriteria` member name, as in the model.
    pub member: &'static str,
    /// The member's list shape.
    pub kind: CriterionKind,
    /// Where the value lives in a `Finding` (see [`json::collect`]).
    pub finding_path: &'static str,
    get: for<'a> fn(&'a FilterCriteria) -> Option<Criterion<'a>>,
}

impl CriterionSpec {
    /// The filter list this member has in `criteria`, if set.
    pub fn get<'a>(&self, criteria: &'a FilterCriteria) -> Option<Criterion<'a>> {
        (self.get)(criteria)
    }
}

/// Builds a [`CriterionSpec`]: `spec!("member", field, Kind, "finding.path")`.
macro_rules! spec {
    ($member:literal, $field:ident, $kind:ident, $path:literal) => {
        CriterionSpec {
            member: $member,
            kind: CriterionKind::$kind,
            finding_path: $path,
            get: |c| c.$field.as_deref().map(Criterion::$kind),
        }
    };
}

/// Every `FilterCriteria` member, the kind of filter list it takes, and the
/// `Finding` member(s) it is evaluated against. Paths are dotted member names
/// of the model's `Finding` shape; `[]` marks a list whose elements are each
/// tested (any element may match).
#[rustfmt::skip]
pub static FILTER_CRITERIA_FIELDS: &[CriterionSpec] = &[
    // The finding's ARN (`arn:aws:inspector2:<region>:<account>:finding/<id>`).
    spec!("findingArn", finding_arn, String, "findingArn"),
    // Account that owns the affected resource.
    spec!("awsAccountId", aws_account_id, String, "awsAccountId"),
    // NETWORK_REACHABILITY | PACKAGE_VULNERABILITY | CODE_VULNERABILITY (member `type`).
    spec!("findingType", finding_type, String, "type"),
    // Inspector severity: INFORMATIONAL | LOW | MEDIUM | HIGH | CRITICAL | UNTRIAGED.
    spec!("severity", severity, String, "severity"),
    // When the finding was first observed.
    spec!("firstObservedAt", first_observed_at, Date, "firstObservedAt"),
    // When the finding was last observed.
    spec!("lastObservedAt", last_observed_at, Date, "lastObservedAt"),
    // When the finding was last updated.
    spec!("updatedAt", updated_at, Date, "updatedAt"),
    // ACTIVE | SUPPRESSED | CLOSED (member `status`).
    spec!("findingStatus", finding_status, String, "status"),
    // The finding title (usually "<CVE> - <package>[, <package>...]").
    spec!("title", title, String, "title"),
    // Inspector's (environment-adjusted) score.
    spec!("inspectorScore", inspector_score, Number, "inspectorScore"),
    // Type of any affected resource: AWS_EC2_INSTANCE, AWS_ECR_CONTAINER_IMAGE, ...
    spec!("resourceType", resource_type, String, "resources[].type"),
    // ID of any affected resource (instance ID, image ARN, function ARN, ...).
    spec!("resourceId", resource_id, String, "resources[].id"),
    // Tags of any affected resource (a map: key, optionally value).
    spec!("resourceTags", resource_tags, Map, "resources[].tags"),
    // AMI of an affected EC2 instance.
    spec!("ec2InstanceImageId", ec2_instance_image_id, String, "resources[].details.awsEc2Instance.imageId"),
    // VPC of an affected EC2 instance.
    spec!("ec2InstanceVpcId", ec2_instance_vpc_id, String, "resources[].details.awsEc2Instance.vpcId"),
    // Subnet of an affected EC2 instance.
    spec!("ec2InstanceSubnetId", ec2_instance_subnet_id, String, "resources[].details.awsEc2Instance.subnetId"),
    // When an affected ECR image was pushed.
    spec!("ecrImagePushedAt", ecr_image_pushed_at, Date, "resources[].details.awsEcrContainerImage.pushedAt"),
    // Architecture of an affected ECR image (e.g. amd64, arm64).
    spec!("ecrImageArchitecture", ecr_image_architecture, String, "resources[].details.awsEcrContainerImage.architecture"),
    // Registry (account ID) of an affected ECR image.
    spec!("ecrImageRegistry", ecr_image_registry, String, "resources[].details.awsEcrContainerImage.registry"),
    // Repository name of an affected ECR image.
    spec!("ecrImageRepositoryName", ecr_image_repository_name, String, "resources[].details.awsEcrContainerImage.repositoryName"),
    // Any tag of an affected ECR image (`imageTags` is a list).
    spec!("ecrImageTags", ecr_image_tags, String, "resources[].details.awsEcrContainerImage.imageTags[]"),
    // Digest (`sha256:...`) of an affected ECR image.
    spec!("ecrImageHash", ecr_image_hash, String, "resources[].details.awsEcrContainerImage.imageHash"),
    // When an affected ECR image was last used by an ECS task or EKS pod.
    spec!("ecrImageLastInUseAt", ecr_image_last_in_use_at, Date, "resources[].details.awsEcrContainerImage.lastInUseAt"),
    // Number of ECS tasks / EKS pods using an affected ECR image.
    spec!("ecrImageInUseCount", ecr_image_in_use_count, Number, "resources[].details.awsEcrContainerImage.inUseCount"),
    // Open port range of a network reachability finding ({begin, end}).
    spec!("portRange", port_range, PortRange, "networkReachabilityDetails.openPortRange"),
    // Protocol of a network reachability finding: TCP | UDP.
    spec!("networkProtocol", network_protocol, String, "networkReachabilityDetails.protocol"),
    // ID of any component (IGW, ENI, security group, ...) on the network path.
    spec!("componentId", component_id, String, "networkReachabilityDetails.networkPath.steps[].componentId"),
    // Type of any component on the network path (e.g. AWS::EC2::InternetGateway).
    spec!("componentType", component_type, String, "networkReachabilityDetails.networkPath.steps[].componentType"),
    // Vulnerability ID (CVE, GHSA, ALAS, ...) of a package vulnerability finding.
    spec!("vulnerabilityId", vulnerability_id, String, "packageVulnerabilityDetails.vulnerabilityId"),
    // Source of the vulnerability data (NVD, ALAS, GITHUB, ...).
    spec!("vulnerabilitySource", vulnerability_source, String, "packageVulnerabilityDetails.source"),
    // Severity assigned by the vendor/source (free text, e.g. HIGH, Important).
    spec!("vendorSeverity", vendor_severity, String, "packageVulnerabilityDetails.vendorSeverity"),
    // Any vulnerable package, matched on all sub-filters of one PackageFilter.
    spec!("vulnerablePackages", vulnerable_packages, Package, "packageVulnerabilityDetails.vulnerablePackages[]"),
    // Any related vulnerability ID (list).
    spec!("relatedVulnerabilities", related_vulnerabilities, String, "packageVulnerabilityDetails.relatedVulnerabilities[]"),
    // Whether upgrading fixes it: YES | NO | PARTIAL.
    spec!("fixAvailable", fix_available, String, "fixAvailable"),
    // Name of an affected Lambda function.
    spec!("lambdaFunctionName", lambda_function_name, String, "resources[].details.awsLambdaFunction.functionName"),
    // Any layer ARN of an affected Lambda function (list).
    spec!("lambdaFunctionLayers", lambda_function_layers, String, "resources[].details.awsLambdaFunction.layers[]"),
    // Runtime of an affected Lambda function (e.g. PYTHON_3_11).
    spec!("lambdaFunctionRuntime", lambda_function_runtime, String, "resources[].details.awsLambdaFunction.runtime"),
    // When an affected Lambda function's configuration was last modified.
    spec!("lambdaFunctionLastModifiedAt", lambda_function_last_modified_at, Date, "resources[].details.awsLambdaFunction.lastModifiedAt"),
    // Execution role of an affected Lambda function.
    spec!("lambdaFunctionExecutionRoleArn", lambda_function_execution_role_arn, String, "resources[].details.awsLambdaFunction.executionRoleArn"),
    // Whether a public exploit is known: YES | NO.
    spec!("exploitAvailable", exploit_available, String, "exploitAvailable"),
    // Detector (CodeGuru rule) name of a code vulnerability finding.
    spec!("codeVulnerabilityDetectorName", code_vulnerability_detector_name, String, "codeVulnerabilityDetails.detectorName"),
    // Any detector tag of a code vulnerability finding (list).
    spec!("codeVulnerabilityDetectorTags", code_vulnerability_detector_tags, String, "codeVulnerabilityDetails.detectorTags[]"),
    // Path of the file containing a code vulnerability (CodeFilePath.filePath).
    spec!("codeVulnerabilityFilePath", code_vulnerability_file_path, String, "codeVulnerabilityDetails.filePath.filePath"),
    // EPSS probability (0..1) of the vulnerability.
    spec!("epssScore", epss_score, Number, "epss.score"),
    // Project name of an affected code repository.
    spec!("codeRepositoryProjectName", code_repository_project_name, String, "resources[].details.codeRepository.projectName"),
    // Provider of an affected code repository: GITHUB | GITLAB_SELF_MANAGED.
    spec!("codeRepositoryProviderType", code_repository_provider_type, String, "resources[].details.codeRepository.providerType"),
];

/// The mapping row for a `FilterCriteria` member name.
pub fn criterion_spec(member: &str) -> Option<&'static CriterionSpec> {
    FILTER_CRITERIA_FIELDS.iter().find(|s| s.member == member)
}

impl FilterCriteria {
    /// The member path used in request validation messages.
    pub const DEFAULT_PATH: &'static str = "filterCriteria";

    /// Parses and validates criteria from request JSON, naming members under
    /// `filterCriteria`. See [`from_json_at`](Self::from_json_at).
    pub fn from_json(value: &Value) -> Result<Self, ValidationError> {
        Self::from_json_at(value, Self::DEFAULT_PATH)
    }

    /// Parses ([`parse_at`](Self::parse_at)) then validates
    /// ([`validate_at`](Self::validate_at)), naming members under `path`.
    pub fn from_json_at(value: &Value, path: &str) -> Result<Self, ValidationError> {
        let criteria = Self::parse_at(value, path)?;
        criteria.validate_at(path)?;
        Ok(criteria)
    }

    /// Parses criteria from JSON without checking constraints. Failures are a
    /// `CANNOT_PARSE` validation error with one entry per offending member:
    /// unknown members (at any level), wrong JSON types, missing required
    /// members. Enum values outside the model parse (as `Unknown`) and are
    /// left to [`validate_at`](Self::validate_at).
    pub fn parse_at(value: &Value, path: &str) -> Result<Self, ValidationError> {
        let Some(object) = value.as_object() else {
            return Err(ValidationError::single(
                ValidationReason::CannotParse,
                path,
                format!(
                    "Expected a FilterCriteria structure (JSON object), got {}",
                    type_name(value)
                ),
            ));
        };
        let mut errs = Errors::default();
        for (key, member_value) in object {
            let member_path = format!("{path}.{key}");
            let Some(spec) = criterion_spec(key) else {
                errs.push(
                    member_path,
                    format!("Unknown member '{key}' of FilterCriteria"),
                );
                continue;
            };
            if member_value.is_null() {
                continue;
            }
            let Some(items) = member_value.as_array() else {
                errs.push(
                    member_path,
                    format!(
                        "Expected a {} (JSON array), got {}",
                        spec.kind.model_shape(),
                        type_name(member_value)
                    ),
                );
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{member_path}[{i}]");
                match spec.kind {
                    CriterionKind::String => {
                        check_parse::<StringFilter>(item, &item_path, &mut errs)
                    }
                    CriterionKind::Date => check_parse::<DateFilter>(item, &item_path, &mut errs),
                    CriterionKind::Number => {
                        check_parse::<NumberFilter>(item, &item_path, &mut errs)
                    }
                    CriterionKind::Map => check_parse::<MapFilter>(item, &item_path, &mut errs),
                    CriterionKind::PortRange => {
                        check_parse::<PortRangeFilter>(item, &item_path, &mut errs)
                    }
                    CriterionKind::Package => check_package_parse(item, &item_path, &mut errs),
                }
            }
        }
        errs.into_result(ValidationReason::CannotParse)?;
        Self::deserialize(value).map_err(|e| {
            ValidationError::single(ValidationReason::CannotParse, path, e.to_string())
        })
    }

    /// Validates against the model's constraints, naming members under
    /// `filterCriteria`.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.validate_at(Self::DEFAULT_PATH)
    }

    /// Validates against the model's constraints, naming members under `path`
    /// (e.g. `criteria` for a stored `Filter`). Checks: every list has 1..=10
    /// entries; `comparison` values are in `StringComparison`/`MapComparison`;
    /// `StringFilter.value` has 1..=1024 characters, `MapFilter.key` 1..=128,
    /// `MapFilter.value` 0..=256; ports are in 0..=65535; ranges are not
    /// inverted (start ≤ end, lower ≤ upper, begin ≤ end); numbers are finite.
    /// All violations are reported (`FIELD_VALIDATION_FAILED`).
    pub fn validate_at(&self, path: &str) -> Result<(), ValidationError> {
        let mut errs = Errors::default();
        for spec in FILTER_CRITERIA_FIELDS {
            let Some(criterion) = spec.get(self) else {
                continue;
            };
            let member_path = format!("{path}.{}", spec.member);
            let n = criterion.len();
            if n < FILTER_LIST_MIN {
                errs.push(
                    &member_path,
                    format!("Member must have length greater than or equal to {FILTER_LIST_MIN}"),
                );
            } else if n > FILTER_LIST_MAX {
                errs.push(
                    &member_path,
                    format!(
                        "Member must have length less than or equal to {FILTER_LIST_MAX} (got {n})"
                    ),
                );
            }
            let item = |i: usize| format!("{member_path}[{i}]");
            match criterion {
                Criterion::String(l) => l
                    .iter()
                    .enumerate()
                    .for_each(|(i, f)| f.validate(&item(i), &mut errs)),
                Criterion::Date(l) => l
                    .iter()
                    .enumerate()
                    .for_each(|(i, f)| f.validate(&item(i), &mut errs)),
                Criterion::Number(l) => l
                    .iter()
                    .enumerate()
                    .for_each(|(i, f)| f.validate(&item(i), &mut errs)),
                Criterion::Map(l) => l
                    .iter()
                    .enumerate()
                    .for_each(|(i, f)| f.validate(&item(i), &mut errs)),
                Criterion::PortRange(l) => l
                    .iter()
                    .enumerate()
                    .for_each(|(i, f)| f.validate(&item(i), &mut errs)),
                Criterion::Package(l) => l
                    .iter()
                    .enumerate()
                    .for_each(|(i, f)| f.validate(&item(i), &mut errs)),
            }
        }
        errs.into_result(ValidationReason::FieldValidationFailed)
    }

    /// A cheap pre-test for stores that keep findings as compact JSON text (as
    /// `serde_json::to_string` writes it): strings of which a finding's text
    /// must contain at least one for these criteria to be able to match it, or
    /// `None` when no such set can be told. Taken from one member whose finding
    /// values are always JSON strings and whose list has `EQUALS`/`PREFIX`
    /// entries (one of them must hold): `EQUALS v` needs the string `"v"`,
    /// `PREFIX v` a string starting `"v`. A finding without any needle is
    /// skipped unparsed; one with a needle still goes through [`matches`].
    ///
    /// [`matches`]: Self::matches
    pub fn needles(&self) -> Option<Vec<String>> {
        fn quoted(f: &StringFilter) -> Option<String> {
            let q = serde_json::to_string(&f.value).ok()?;
            match f.comparison {
                StringComparison::Equals => Some(q),
                // without the closing quote
                StringComparison::Prefix => Some(q[..q.len() - 1].to_owned()),
                _ => None,
            }
        }
        fn of(list: &[StringFilter]) -> Option<Vec<String>> {
            let positives: Vec<&StringFilter> = list
                .iter()
                .filter(|f| !matches!(f.comparison, StringComparison::NotEquals))
                .collect();
            if positives.is_empty() {
                return None;
            }
            positives.into_iter().map(quoted).collect()
        }
        // Rarest first: the fewer findings carry a needle, the more are skipped.
        let lists = [
            &self.vulnerability_id,
            &self.finding_arn,
            &self.resource_id,
            &self.title,
            &self.ecr_image_hash,
            &self.ecr_image_repository_name,
            &self.lambda_function_name,
        ];
        if let Some(n) = lists.into_iter().flatten().find_map(|l| of(l)) {
            return Some(n);
        }
        // Every package filter (they are ORed) must name its package.
        if let Some(packages) = &self.vulnerable_packages
            && !packages.is_empty()
            && let Some(n) = packages
                .iter()
                .map(|p| p.name.as_ref().and_then(|f| of(std::slice::from_ref(f))))
                .collect::<Option<Vec<Vec<String>>>>()
        {
            return Some(n.concat());
        }
        if let Some(n) = [
            &self.severity,
            &self.finding_type,
            &self.resource_type,
            &self.aws_account_id,
        ]
        .into_iter()
        .flatten()
        .find_map(|l| of(l))
        {
            return Some(n);
        }
        // YES/NO members: their values alone say little, so the needle names the member too
        // (compact JSON writes `"exploitAvailable":"YES"`).
        for (member, list) in [
            ("exploitAvailable", &self.exploit_available),
            ("fixAvailable", &self.fix_available),
        ] {
            if let Some(values) = list.as_deref().and_then(of) {
                return Some(
                    values
                        .into_iter()
                        .map(|v| format!("\"{member}\":{v}"))
                        .collect(),
                );
            }
        }
        None
    }

    /// Whether `finding` (inspector2 `Finding` JSON) satisfies every set
    /// criterion. Empty criteria match everything.
    pub fn matches(&self, finding: &Value) -> bool {
        FILTER_CRITERIA_FIELDS
            .iter()
            .all(|spec| match spec.get(self) {
                None => true,
                Some(criterion) => {
                    criterion.matches_values(&json::collect(finding, spec.finding_path))
                }
            })
    }

    /// The members that are set, with their lists, in model order.
    pub fn set_members(&self) -> Vec<(&'static str, Criterion<'_>)> {
        FILTER_CRITERIA_FIELDS
            .iter()
            .filter_map(|spec| spec.get(self).map(|c| (spec.member, c)))
            .collect()
    }

    /// Whether no member is set.
    pub fn is_empty(&self) -> bool {
        FILTER_CRITERIA_FIELDS.iter().all(|s| s.get(self).is_none())
    }

    /// Serialises back to the wire JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A string member's length constraint (the model's `min`/`max`), in characters.
pub(crate) fn check_len(s: &str, min: usize, max: usize, path: &str, errs: &mut Errors) {
    let n = s.chars().count();
    if n < min {
        errs.push(
            path,
            format!("Member must have length greater than or equal to {min}"),
        );
    } else if n > max {
        errs.push(
            path,
            format!("Member must have length less than or equal to {max} (got {n})"),
        );
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Tries to deserialise `item` as `T`; on failure records the serde message
/// under `path`, moved down to the member when serde names it.
fn check_parse<T: DeserializeOwned>(item: &Value, path: &str, errs: &mut Errors) {
    if let Err(e) = T::deserialize(item) {
        let msg = e.to_string();
        let (path, msg) = refine(path, msg);
        errs.push(path, msg);
    }
}

/// `PackageFilter` items: check each sub-filter on its own so that errors
/// name e.g. `filterCriteria.vulnerablePackages[0].name.comparison`.
fn check_package_parse(item: &Value, path: &str, errs: &mut Errors) {
    let Some(object) = item.as_object() else {
        errs.push(
            path,
            format!(
                "Expected a PackageFilter structure (JSON object), got {}",
                type_name(item)
            ),
        );
        return;
    };
    for (key, sub) in object {
        let sub_path = format!("{path}.{key}");
        match PACKAGE_FILTER_FIELDS.iter().find(|s| s.member == key) {
            None => errs.push(sub_path, format!("Unknown member '{key}' of PackageFilter")),
            Some(_) if sub.is_null() => {}
            Some(spec) if spec.is_number => check_parse::<NumberFilter>(sub, &sub_path, errs),
            Some(_) => check_parse::<StringFilter>(sub, &sub_path, errs),
        }
    }
}

/// `missing field `x`` / `unknown field `x`, ...` → path `.x`.
fn refine(path: &str, msg: String) -> (String, String) {
    for (prefix, what) in [
        ("missing field `", "Member is required"),
        ("unknown field `", "Unknown member"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some(end) = rest.find('`')
        {
            let field = &rest[..end];
            return (format!("{path}.{field}"), format!("{what} ({msg})"));
        }
    }
    (path.to_string(), msg)
}

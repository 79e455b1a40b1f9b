//! Coverage and aggregations: inspector2 `ListCoverage`, `ListCoverageStatistics`,
//! `ListFindingAggregations` and `BatchGetFindingDetails`, answered from the store's
//! resources and findings (shapes, enums and limits as in botocore's service model).
//!
//! - Coverage: every resource the caller's account has in the signing region is a
//!   `CoveredResource` with scan type PACKAGE (CODE for code repositories). A resource with a
//!   recorded scan is ACTIVE/SUCCESSFUL; one the store knows but never scanned is
//!   ACTIVE/PENDING_INITIAL_SCAN; any other stored scan status is INACTIVE with that reason.
//! - Aggregations run over the caller's ACTIVE findings (as Inspector does), honouring the
//!   per-type request's filters, `sortBy` and `sortOrder` (default CRITICAL, DESC).
//! - Finding details come from the stored finding: EPSS, CISA KEV (as `cisaData` and an
//!   evidence), the last known exploit, and the reference URLs.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use vigil_api::criteria::{Criterion, DateFilter, MapFilter, NumberFilter, StringFilter};
use vigil_api::json::collect;
use vigil_api::timestamp::Timestamp;
use vigil_store::{FindingQuery, StoredResource};

use crate::ops::{check_members, max_results, page_token, read_token};
use crate::{ApiError, App, Principal};

/// `CountsList` holds at most five groups per page.
const STATISTICS_PAGE: usize = 5;

/// `ScanStatusReason` values: a stored scan status that is one of these is reported as is.
const SCAN_STATUS_REASONS: &[&str] = &[
    "PENDING_INITIAL_SCAN",
    "ACCESS_DENIED",
    "INTERNAL_ERROR",
    "UNMANAGED_EC2_INSTANCE",
    "UNSUPPORTED_OS",
    "SCAN_ELIGIBILITY_EXPIRED",
    "RESOURCE_TERMINATED",
    "SUCCESSFUL",
    "NO_RESOURCES_FOUND",
    "IMAGE_SIZE_EXCEEDED",
    "SCAN_FREQUENCY_MANUAL",
    "SCAN_FREQUENCY_SCAN_ON_PUSH",
    "EC2_INSTANCE_STOPPED",
    "PENDING_DISABLE",
    "NO_INVENTORY",
    "STALE_INVENTORY",
    "EXCLUDED_BY_TAG",
    "UNSUPPORTED_RUNTIME",
    "UNSUPPORTED_MEDIA_TYPE",
    "UNSUPPORTED_CONFIG_FILE",
    "DEEP_INSPECTION_PACKAGE_COLLECTION_LIMIT_EXCEEDED",
    "DEEP_INSPECTION_DAILY_SSM_INVENTORY_LIMIT_EXCEEDED",
    "DEEP_INSPECTION_COLLECTION_TIME_LIMIT_EXCEEDED",
    "DEEP_INSPECTION_NO_INVENTORY",
    "AGENTLESS_INSTANCE_STORAGE_LIMIT_EXCEEDED",
    "AGENTLESS_INSTANCE_COLLECTION_TIME_LIMIT_EXCEEDED",
    "PENDING_REVIVAL_SCAN",
    "INTEGRATION_CONNECTION_LOST",
    "ACCESS_DENIED_TO_ENCRYPTION_KEY",
    "UNSUPPORTED_LANGUAGE",
    "NO_SCAN_CONFIGURATION_ASSOCIATED",
    "SCAN_IN_PROGRESS",
    "IMAGE_ARCHIVED",
    "UNSUPPORTED_CODE_ARTIFACTS",
];

// --- filter lists ------------------------------------------------------------------------------

/// The model's filter-list length limits (`min: 1`, `max: 10`).
const LIST_MAX: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Map,
    Date,
    Num,
}

/// One parsed filter list.
#[derive(Debug, Clone)]
enum Filters {
    Str(Vec<StringFilter>),
    Map(Vec<MapFilter>),
    Date(Vec<DateFilter>),
    Num(Vec<NumberFilter>),
}

impl Filters {
    /// Whether the list holds for `values` (the filter-language rules of `FilterCriteria`:
    /// EQUALS entries are alternatives, NOT_EQUALS entries must all hold).
    fn matches(&self, values: &[&Value]) -> bool {
        match self {
            Filters::Str(l) => Criterion::String(l).matches_values(values),
            Filters::Map(l) => Criterion::Map(l).matches_values(values),
            Filters::Date(l) => Criterion::Date(l).matches_values(values),
            Filters::Num(l) => Criterion::Number(l).matches_values(values),
        }
    }
}

fn list<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, ApiError> {
    let l = v
        .as_array()
        .ok_or_else(|| ApiError::field(path, "must be a list"))?;
    if l.is_empty() || l.len() > LIST_MAX {
        return Err(ApiError::field(
            path,
            &format!("must have 1 to {LIST_MAX} entries"),
        ));
    }
    Ok(l)
}

fn item<T: DeserializeOwned>(v: &Value, path: &str) -> Result<T, ApiError> {
    serde_json::from_value(v.clone()).map_err(|e| ApiError::field(path, &e.to_string()))
}

fn chars_within(s: &str, min: usize, max: usize, path: &str) -> Result<(), ApiError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(ApiError::field(
            path,
            &format!("must be {min} to {max} characters"),
        ));
    }
    Ok(())
}

/// A `StringFilterList` (comparisons `allowed`: the coverage shapes know no PREFIX).
fn string_filters(v: &Value, path: &str, allowed: &[&str]) -> Result<Vec<StringFilter>, ApiError> {
    let mut out = Vec::new();
    for (i, x) in list(v, path)?.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let f: StringFilter = item(x, &p)?;
        if !allowed.contains(&f.comparison.as_str()) {
            return Err(ApiError::field(
                &format!("{p}.comparison"),
                &format!("must be one of {}", allowed.join(", ")),
            ));
        }
        chars_within(&f.value, 1, 1024, &format!("{p}.value"))?;
        out.push(f);
    }
    Ok(out)
}

/// A `MapFilterList` (`value_min`: 1 for `CoverageMapFilter`, 0 for `MapFilter`).
fn map_filters(v: &Value, path: &str, value_min: usize) -> Result<Vec<MapFilter>, ApiError> {
    let mut out = Vec::new();
    for (i, x) in list(v, path)?.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let f: MapFilter = item(x, &p)?;
        if !f.comparison.is_known() {
            return Err(ApiError::field(
                &format!("{p}.comparison"),
                "must be EQUALS",
            ));
        }
        chars_within(&f.key, 1, 128, &format!("{p}.key"))?;
        if let Some(val) = &f.value {
            chars_within(val, value_min, 256, &format!("{p}.value"))?;
        }
        out.push(f);
    }
    Ok(out)
}

fn date_filters(v: &Value, path: &str) -> Result<Vec<DateFilter>, ApiError> {
    let mut out = Vec::new();
    for (i, x) in list(v, path)?.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let f: DateFilter = item(x, &p)?;
        if let (Some(s), Some(e)) = (f.start_inclusive, f.end_inclusive)
            && s > e
        {
            return Err(ApiError::field(
                &p,
                "startInclusive must not be after endInclusive",
            ));
        }
        out.push(f);
    }
    Ok(out)
}

fn number_filters(v: &Value, path: &str) -> Result<Vec<NumberFilter>, ApiError> {
    let mut out = Vec::new();
    for (i, x) in list(v, path)?.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let f: NumberFilter = item(x, &p)?;
        if let (Some(l), Some(u)) = (f.lower_inclusive, f.upper_inclusive)
            && l > u
        {
            return Err(ApiError::field(
                &p,
                "lowerInclusive must not be greater than upperInclusive",
            ));
        }
        out.push(f);
    }
    Ok(out)
}

/// Parses one filter list of `kind`; `coverage` selects the Coverage* shapes' constraints.
fn filters(v: &Value, path: &str, kind: Kind, coverage: bool) -> Result<Filters, ApiError> {
    Ok(match kind {
        Kind::Str if coverage => Filters::Str(string_filters(v, path, &["EQUALS", "NOT_EQUALS"])?),
        Kind::Str => Filters::Str(string_filters(
            v,
            path,
            &["EQUALS", "PREFIX", "NOT_EQUALS"],
        )?),
        Kind::Map => Filters::Map(map_filters(v, path, usize::from(coverage))?),
        Kind::Date => Filters::Date(date_filters(v, path)?),
        Kind::Num => Filters::Num(number_filters(v, path)?),
    })
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| ApiError::field(path, "must be a structure (JSON object)"))
}

// --- coverage ------------------------------------------------------------------------------------

/// `CoverageFilterCriteria`: member, list kind, and where the value sits in a `CoveredResource`.
const COVERAGE_FIELDS: &[(&str, Kind, &str)] = &[
    ("scanStatusCode", Kind::Str, "scanStatus.statusCode"),
    ("scanStatusReason", Kind::Str, "scanStatus.reason"),
    ("accountId", Kind::Str, "accountId"),
    ("resourceId", Kind::Str, "resourceId"),
    ("resourceType", Kind::Str, "resourceType"),
    ("scanType", Kind::Str, "scanType"),
    (
        "ecrRepositoryName",
        Kind::Str,
        "resourceMetadata.ecrRepository.name",
    ),
    (
        "ecrImageTags",
        Kind::Str,
        "resourceMetadata.ecrImage.tags[]",
    ),
    ("ec2InstanceTags", Kind::Map, "resourceMetadata.ec2.tags"),
    (
        "lambdaFunctionName",
        Kind::Str,
        "resourceMetadata.lambdaFunction.functionName",
    ),
    (
        "lambdaFunctionTags",
        Kind::Map,
        "resourceMetadata.lambdaFunction.functionTags",
    ),
    (
        "lambdaFunctionRuntime",
        Kind::Str,
        "resourceMetadata.lambdaFunction.runtime",
    ),
    ("lastScannedAt", Kind::Date, "lastScannedAt"),
    ("scanMode", Kind::Str, "scanMode"),
    (
        "imagePulledAt",
        Kind::Date,
        "resourceMetadata.ecrImage.imagePulledAt",
    ),
    (
        "ecrImageLastInUseAt",
        Kind::Date,
        "resourceMetadata.ecrImage.lastInUseAt",
    ),
    (
        "ecrImageInUseCount",
        Kind::Num,
        "resourceMetadata.ecrImage.inUseCount",
    ),
    (
        "codeRepositoryProjectName",
        Kind::Str,
        "resourceMetadata.codeRepository.projectName",
    ),
    (
        "codeRepositoryProviderType",
        Kind::Str,
        "resourceMetadata.codeRepository.providerType",
    ),
    (
        "codeRepositoryProviderTypeVisibility",
        Kind::Str,
        "resourceMetadata.codeRepository.providerTypeVisibility",
    ),
    (
        "lastScannedCommitId",
        Kind::Str,
        "resourceMetadata.codeRepository.lastScannedCommitId",
    ),
];

/// Parsed `CoverageFilterCriteria`: (path in the `CoveredResource`, filters); all must hold.
#[derive(Debug, Default)]
struct CoverageCriteria(Vec<(&'static str, Filters)>);

impl CoverageCriteria {
    fn parse(v: Option<&Value>, path: &str) -> Result<CoverageCriteria, ApiError> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(CoverageCriteria::default());
        };
        let mut out = Vec::new();
        for (k, member) in object(v, path)? {
            let p = format!("{path}.{k}");
            let Some((_, kind, at)) = COVERAGE_FIELDS.iter().find(|(m, _, _)| m == k) else {
                return Err(ApiError::field(
                    &p,
                    "is not a member of CoverageFilterCriteria",
                ));
            };
            if member.is_null() {
                continue;
            }
            out.push((*at, filters(member, &p, *kind, true)?));
        }
        Ok(CoverageCriteria(out))
    }

    fn matches(&self, resource: &Value) -> bool {
        self.0
            .iter()
            .all(|(at, f)| f.matches(&collect(resource, at)))
    }
}

/// An RFC 3339 (or any ISO-8601) time as epoch seconds on the wire.
fn epoch(v: Option<&Value>) -> Option<Value> {
    v.and_then(Timestamp::from_json).map(|t| t.to_json())
}

fn text(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Inserts `v` under `k` unless it is null.
fn put(o: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v.filter(|v| !v.is_null()) {
        o.insert(k.to_owned(), v);
    }
}

fn ec2_platform(p: &str) -> &'static str {
    let p = p.to_ascii_uppercase();
    if p.contains("WINDOWS") {
        "WINDOWS"
    } else if p.contains("MAC") {
        "MACOS"
    } else if p.is_empty() {
        "UNKNOWN"
    } else {
        "LINUX"
    }
}

/// A stored resource as a `CoveredResource` (timestamps as epoch seconds). `unmanaged_before`
/// is the store timestamp before which an agent-managed host's last heartbeat makes it
/// unmanaged.
fn covered(r: &StoredResource, unmanaged_before: &str) -> Value {
    let rec = &r.resource;
    let details = rec.details.as_ref();
    let tags = json!(rec.tags);
    let mut meta = Map::new();
    match rec.kind.as_str() {
        "AWS_ECR_CONTAINER_IMAGE" => {
            let d = details.and_then(|d| d.get("awsEcrContainerImage"));
            let mut image = Map::new();
            put(
                &mut image,
                "tags",
                Some(
                    d.and_then(|d| d.get("imageTags"))
                        .cloned()
                        .unwrap_or_else(|| json!([])),
                ),
            );
            put(
                &mut image,
                "imagePulledAt",
                epoch(d.and_then(|d| d.get("imagePulledAt"))),
            );
            put(
                &mut image,
                "lastInUseAt",
                epoch(d.and_then(|d| d.get("lastInUseAt"))),
            );
            put(
                &mut image,
                "inUseCount",
                d.and_then(|d| d.get("inUseCount"))
                    .and_then(Value::as_i64)
                    .map(Value::from),
            );
            // Vigil's own members (the console shows them): when the image was pushed, its
            // digest
            put(
                &mut image,
                "vigilPushedAt",
                epoch(d.and_then(|d| d.get("pushedAt"))),
            );
            put(
                &mut image,
                "vigilImageHash",
                d.and_then(|d| d.get("imageHash"))
                    .filter(|h| h.is_string())
                    .cloned(),
            );
            meta.insert("ecrImage".into(), Value::Object(image));
            if let Some(name) = text(d.and_then(|d| d.get("repositoryName"))) {
                meta.insert("ecrRepository".into(), json!({"name": name}));
            }
        }
        "AWS_EC2_INSTANCE" => {
            let d = details.and_then(|d| d.get("awsEc2Instance"));
            let mut ec2 = Map::new();
            ec2.insert("tags".into(), tags.clone());
            put(
                &mut ec2,
                "amiId",
                text(d.and_then(|d| d.get("imageId"))).map(Value::from),
            );
            put(
                &mut ec2,
                "platform",
                text(d.and_then(|d| d.get("platform"))).map(|p| json!(ec2_platform(p))),
            );
            meta.insert("ec2".into(), Value::Object(ec2));
        }
        "AWS_LAMBDA_FUNCTION" => {
            let d = details.and_then(|d| d.get("awsLambdaFunction"));
            let mut f = Map::new();
            f.insert("functionTags".into(), tags.clone());
            let name = text(d.and_then(|d| d.get("functionName")))
                .or_else(|| rec.id.rsplit(':').find(|s| !s.is_empty()))
                .unwrap_or(&rec.id);
            f.insert("functionName".into(), json!(name));
            put(
                &mut f,
                "runtime",
                text(d.and_then(|d| d.get("runtime"))).map(Value::from),
            );
            if let Some(layers) = d.and_then(|d| d.get("layers")).and_then(Value::as_array) {
                f.insert(
                    "layers".into(),
                    json!(layers.iter().take(5).collect::<Vec<_>>()),
                );
            }
            meta.insert("lambdaFunction".into(), Value::Object(f));
        }
        "CODE_REPOSITORY" => {
            if let Some(d) = details.and_then(|d| d.get("codeRepository")) {
                let mut c = Map::new();
                for k in [
                    "projectName",
                    "integrationArn",
                    "providerType",
                    "providerTypeVisibility",
                    "lastScannedCommitId",
                ] {
                    put(&mut c, k, text(d.get(k)).map(Value::from));
                }
                meta.insert("codeRepository".into(), Value::Object(c));
            }
        }
        _ => {}
    }
    // An agent-managed host (one that sent heartbeats): silent for too long is unmanaged; an
    // inventory whose OS could not be identified (no platform) is an unsupported OS.
    let agent_state = r.heartbeat_at.as_deref().and_then(|beat| {
        let platform = details
            .and_then(|d| d.pointer("/awsEc2Instance/platform"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if beat < unmanaged_before {
            Some(("INACTIVE", "UNMANAGED_EC2_INSTANCE"))
        } else if platform.is_empty() {
            Some(("INACTIVE", "UNSUPPORTED_OS"))
        } else {
            None
        }
    });
    let (code, reason) = match (r.scan_status.as_deref(), r.scanned_at.as_deref()) {
        _ if agent_state.is_some() => agent_state.unwrap_or_default(),
        // never scanned because the scan failed (an image that could not be pulled)
        (Some(s), None) if s != "ACTIVE" => (
            "INACTIVE",
            SCAN_STATUS_REASONS
                .iter()
                .find(|r| **r == s)
                .copied()
                .unwrap_or("INTERNAL_ERROR"),
        ),
        (_, None) => ("ACTIVE", "PENDING_INITIAL_SCAN"),
        (Some("ACTIVE") | None, Some(_)) => ("ACTIVE", "SUCCESSFUL"),
        (Some(s), Some(_)) => (
            "INACTIVE",
            SCAN_STATUS_REASONS
                .iter()
                .find(|r| **r == s)
                .copied()
                .unwrap_or("NO_INVENTORY"),
        ),
    };
    let scan_type = if rec.kind == "CODE_REPOSITORY" {
        "CODE"
    } else {
        "PACKAGE"
    };
    let mut out = Map::new();
    out.insert("resourceType".into(), json!(rec.kind));
    out.insert("resourceId".into(), json!(rec.id));
    out.insert("accountId".into(), json!(r.account));
    out.insert("scanType".into(), json!(scan_type));
    out.insert(
        "scanStatus".into(),
        json!({"statusCode": code, "reason": reason}),
    );
    out.insert("resourceMetadata".into(), Value::Object(meta));
    put(
        &mut out,
        "lastScannedAt",
        epoch(r.scanned_at.as_ref().map(|s| json!(s)).as_ref()),
    );
    if rec.kind == "AWS_EC2_INSTANCE" {
        // A host with `vigil agent` is agent-based (the closest inspector2 mode, though the
        // agent is Vigil's, not SSM); a submitted SBOM alone is agentless
        let mode = if r.heartbeat_at.is_some() {
            "EC2_SSM_AGENT_BASED"
        } else {
            "EC2_AGENTLESS"
        };
        out.insert("scanMode".into(), json!(mode));
    }
    Value::Object(out)
}

/// The caller's covered resources in the signing region that `criteria` matches, in id order.
fn covered_resources(
    app: &App,
    p: &Principal,
    criteria: &CoverageCriteria,
) -> Result<Vec<Value>, ApiError> {
    let cutoff = vigil_store::timestamp(time::OffsetDateTime::now_utc() - app.unmanaged_after);
    // the caller's resources, and its members' when it is the delegated administrator
    let mut out = Vec::new();
    for account in std::iter::once(p.account.clone()).chain(crate::org::member_accounts(app, p)?) {
        out.extend(
            app.store
                .resources(&account, Some(&p.region))?
                .iter()
                .map(|r| covered(r, &cutoff))
                .filter(|r| criteria.matches(r)),
        );
    }
    Ok(out)
}

pub fn list_coverage(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["filterCriteria", "maxResults", "nextToken"])?;
    let criteria = CoverageCriteria::parse(input.get("filterCriteria"), "filterCriteria")?;
    let limit = max_results(input, 200)?;
    let key = format!(
        "coverage|{}",
        input
            .get("filterCriteria")
            .map(Value::to_string)
            .unwrap_or_default()
    );
    let offset = read_token(input, &key)?;
    let all = covered_resources(app, p, &criteria)?;
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    let mut out = json!({ "coveredResources": page });
    if offset + limit < total {
        out["nextToken"] = json!(page_token(offset + limit, &key));
    }
    Ok(out)
}

/// `GroupKey` values and where the grouped value sits in a `CoveredResource`.
const GROUP_KEYS: &[(&str, &str)] = &[
    ("SCAN_STATUS_CODE", "scanStatus.statusCode"),
    ("SCAN_STATUS_REASON", "scanStatus.reason"),
    ("ACCOUNT_ID", "accountId"),
    ("RESOURCE_TYPE", "resourceType"),
    ("ECR_REPOSITORY_NAME", "resourceMetadata.ecrRepository.name"),
];

pub fn list_coverage_statistics(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    check_members(input, &["filterCriteria", "groupBy", "nextToken"])?;
    let criteria = CoverageCriteria::parse(input.get("filterCriteria"), "filterCriteria")?;
    let group = match input.get("groupBy") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(|g| GROUP_KEYS.iter().find(|(k, _)| *k == g))
                .ok_or_else(|| {
                    ApiError::field(
                        "groupBy",
                        &format!(
                            "must be one of {}",
                            GROUP_KEYS
                                .iter()
                                .map(|(k, _)| *k)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?,
        ),
    };
    let key = format!(
        "statistics|{}|{}",
        input
            .get("filterCriteria")
            .map(Value::to_string)
            .unwrap_or_default(),
        group.map(|(k, _)| *k).unwrap_or_default()
    );
    let offset = read_token(input, &key)?;
    let all = covered_resources(app, p, &criteria)?;
    let mut out = json!({ "totalCounts": all.len() });
    if let Some((_, at)) = group {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for r in &all {
            let values: BTreeSet<String> = collect(r, at)
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            for v in values {
                *counts.entry(v).or_default() += 1;
            }
        }
        let mut groups: Vec<(String, u64)> = counts.into_iter().collect();
        groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total = groups.len();
        let page: Vec<Value> = groups
            .into_iter()
            .skip(offset)
            .take(STATISTICS_PAGE)
            .map(|(k, n)| json!({"groupKey": k, "count": n}))
            .collect();
        if !page.is_empty() {
            out["countsByGroup"] = json!(page);
        }
        if offset + STATISTICS_PAGE < total {
            out["nextToken"] = json!(page_token(offset + STATISTICS_PAGE, &key));
        }
    }
    Ok(out)
}

// --- finding aggregations ------------------------------------------------------------------------

/// One aggregation type: its request/response union member, the request's filter members
/// (request member, response field they filter, kind), finding-level enum members, and the
/// `sortBy` values.
struct AggSpec {
    kind: &'static str,
    member: &'static str,
    filters: &'static [(&'static str, &'static str, Kind)],
    /// `findingType`/`resourceType` members filtering the findings themselves.
    finding_level: bool,
    sort_by: &'static [&'static str],
}

/// Vigil's extension to every aggregation's `sortBy`: the highest Vigil score in the group.
const VIGIL_SCORE_SORT: &str = "VIGIL_SCORE";

const SEVERITY_SORTS: &[&str] = &["CRITICAL", "HIGH", "ALL", VIGIL_SCORE_SORT];

const AGGREGATIONS: &[AggSpec] = &[
    AggSpec {
        kind: "ACCOUNT",
        member: "accountAggregation",
        filters: &[],
        finding_level: true,
        sort_by: SEVERITY_SORTS,
    },
    AggSpec {
        kind: "FINDING_TYPE",
        member: "findingTypeAggregation",
        filters: &[],
        finding_level: true,
        sort_by: SEVERITY_SORTS,
    },
    AggSpec {
        kind: "PACKAGE",
        member: "packageAggregation",
        filters: &[("packageNames", "packageName", Kind::Str)],
        finding_level: false,
        sort_by: SEVERITY_SORTS,
    },
    AggSpec {
        kind: "TITLE",
        member: "titleAggregation",
        filters: &[
            ("titles", "title", Kind::Str),
            ("vulnerabilityIds", "vulnerabilityId", Kind::Str),
        ],
        finding_level: true,
        sort_by: SEVERITY_SORTS,
    },
    AggSpec {
        kind: "REPOSITORY",
        member: "repositoryAggregation",
        filters: &[("repositories", "repository", Kind::Str)],
        finding_level: false,
        sort_by: &[
            "CRITICAL",
            "HIGH",
            "ALL",
            "AFFECTED_IMAGES",
            VIGIL_SCORE_SORT,
        ],
    },
    AggSpec {
        kind: "AMI",
        member: "amiAggregation",
        filters: &[("amis", "ami", Kind::Str)],
        finding_level: false,
        sort_by: &[
            "CRITICAL",
            "HIGH",
            "ALL",
            "AFFECTED_INSTANCES",
            VIGIL_SCORE_SORT,
        ],
    },
    AggSpec {
        kind: "AWS_EC2_INSTANCE",
        member: "ec2InstanceAggregation",
        filters: &[
            ("amis", "ami", Kind::Str),
            ("operatingSystems", "operatingSystem", Kind::Str),
            ("instanceIds", "instanceId", Kind::Str),
            ("instanceTags", "instanceTags", Kind::Map),
        ],
        finding_level: false,
        sort_by: &[
            "NETWORK_FINDINGS",
            "CRITICAL",
            "HIGH",
            "ALL",
            VIGIL_SCORE_SORT,
        ],
    },
    AggSpec {
        kind: "AWS_ECR_CONTAINER",
        member: "awsEcrContainerAggregation",
        filters: &[
            ("resourceIds", "resourceId", Kind::Str),
            ("imageShas", "imageSha", Kind::Str),
            ("repositories", "repository", Kind::Str),
            ("architectures", "architecture", Kind::Str),
            ("imageTags", "imageTags", Kind::Str),
            ("lastInUseAt", "lastInUseAt", Kind::Date),
            ("inUseCount", "inUseCount", Kind::Num),
        ],
        finding_level: false,
        sort_by: SEVERITY_SORTS,
    },
    AggSpec {
        kind: "IMAGE_LAYER",
        member: "imageLayerAggregation",
        filters: &[
            ("repositories", "repository", Kind::Str),
            ("resourceIds", "resourceId", Kind::Str),
            ("layerHashes", "layerHash", Kind::Str),
        ],
        finding_level: false,
        sort_by: SEVERITY_SORTS,
    },
    AggSpec {
        kind: "AWS_LAMBDA_FUNCTION",
        member: "lambdaFunctionAggregation",
        filters: &[
            ("resourceIds", "resourceId", Kind::Str),
            ("functionNames", "functionName", Kind::Str),
            ("runtimes", "runtime", Kind::Str),
            ("functionTags", "lambdaTags", Kind::Map),
        ],
        finding_level: false,
        sort_by: SEVERITY_SORTS,
    },
    AggSpec {
        kind: "LAMBDA_LAYER",
        member: "lambdaLayerAggregation",
        filters: &[
            ("functionNames", "functionName", Kind::Str),
            ("resourceIds", "resourceId", Kind::Str),
            ("layerArns", "layerArn", Kind::Str),
        ],
        finding_level: false,
        sort_by: SEVERITY_SORTS,
    },
    AggSpec {
        kind: "CODE_REPOSITORY",
        member: "codeRepositoryAggregation",
        filters: &[
            ("projectNames", "projectNames", Kind::Str),
            ("providerTypes", "providerType", Kind::Str),
            ("resourceIds", "resourceId", Kind::Str),
        ],
        finding_level: false,
        sort_by: SEVERITY_SORTS,
    },
];

const AGGREGATION_FINDING_TYPES: &[&str] = &[
    "NETWORK_REACHABILITY",
    "PACKAGE_VULNERABILITY",
    "CODE_VULNERABILITY",
];
const AGGREGATION_RESOURCE_TYPES: &[&str] = &[
    "AWS_EC2_INSTANCE",
    "AWS_ECR_CONTAINER_IMAGE",
    "AWS_LAMBDA_FUNCTION",
    "CODE_REPOSITORY",
];

/// A parsed aggregation request.
struct AggRequest {
    spec: &'static AggSpec,
    /// (response field, filters)
    filters: Vec<(&'static str, Filters)>,
    finding_type: Option<String>,
    resource_type: Option<String>,
    sort_by: &'static str,
    descending: bool,
}

fn enum_member(
    o: &Map<String, Value>,
    name: &str,
    path: &str,
    allowed: &[&'static str],
) -> Result<Option<&'static str>, ApiError> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(|s| allowed.iter().find(|a| **a == s).copied())
            .map(Some)
            .ok_or_else(|| {
                ApiError::field(
                    &format!("{path}.{name}"),
                    &format!("must be one of {}", allowed.join(", ")),
                )
            }),
    }
}

impl AggRequest {
    fn parse(input: &Value) -> Result<AggRequest, ApiError> {
        let kind = input
            .get("aggregationType")
            .filter(|v| !v.is_null())
            .ok_or_else(|| ApiError::field("aggregationType", "is required"))?;
        let spec = kind
            .as_str()
            .and_then(|k| AGGREGATIONS.iter().find(|s| s.kind == k))
            .ok_or_else(|| {
                ApiError::field(
                    "aggregationType",
                    &format!(
                        "must be one of {}",
                        AGGREGATIONS
                            .iter()
                            .map(|s| s.kind)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        let mut req = AggRequest {
            spec,
            filters: Vec::new(),
            finding_type: None,
            resource_type: None,
            sort_by: "CRITICAL",
            descending: true,
        };
        let Some(union) = input.get("aggregationRequest").filter(|v| !v.is_null()) else {
            return Ok(req);
        };
        let union = object(union, "aggregationRequest")?;
        let set: Vec<(&String, &Value)> = union.iter().filter(|(_, v)| !v.is_null()).collect();
        let body = match set.as_slice() {
            [] => return Ok(req),
            [(name, body)] if name.as_str() == spec.member => *body,
            [(name, _)] => {
                return Err(ApiError::field(
                    &format!("aggregationRequest.{name}"),
                    &format!(
                        "does not match aggregationType {} (expected {})",
                        spec.kind, spec.member
                    ),
                ));
            }
            _ => {
                return Err(ApiError::field(
                    "aggregationRequest",
                    "must set exactly one member",
                ));
            }
        };
        let path = format!("aggregationRequest.{}", spec.member);
        let o = object(body, &path)?;
        for (k, v) in o {
            let p = format!("{path}.{k}");
            if v.is_null() {
                continue;
            }
            if let Some((_, field, kind)) = spec.filters.iter().find(|(m, _, _)| m == k) {
                req.filters.push((field, filters(v, &p, *kind, false)?));
            } else {
                let known = ["sortBy", "sortOrder"].contains(&k.as_str())
                    || (spec.finding_level
                        && ["findingType", "resourceType"].contains(&k.as_str()));
                if !known {
                    return Err(ApiError::field(
                        &p,
                        "is not a member of this aggregation request",
                    ));
                }
            }
        }
        if spec.finding_level {
            req.finding_type =
                enum_member(o, "findingType", &path, AGGREGATION_FINDING_TYPES)?.map(str::to_owned);
            req.resource_type = enum_member(o, "resourceType", &path, AGGREGATION_RESOURCE_TYPES)?
                .map(str::to_owned);
        }
        if let Some(s) = enum_member(o, "sortBy", &path, spec.sort_by)? {
            req.sort_by = s;
        }
        if let Some(s) = enum_member(o, "sortOrder", &path, &["ASC", "DESC"])? {
            req.descending = s == "DESC";
        }
        Ok(req)
    }

    /// Whether a finding passes the finding-level members.
    fn keeps(&self, f: &Value) -> bool {
        self.finding_type
            .as_deref()
            .is_none_or(|t| f.get("type").and_then(Value::as_str) == Some(t))
            && self.resource_type.as_deref().is_none_or(|t| {
                collect(f, "resources[].type")
                    .iter()
                    .any(|v| v.as_str() == Some(t))
            })
    }
}

/// One group a finding belongs to: its key and the response fields that describe it.
struct Group {
    key: String,
    fields: Map<String, Value>,
    /// The resource behind it (for affectedImages / affectedInstances).
    resource: Option<String>,
}

fn fields(pairs: &[(&str, Option<Value>)]) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in pairs {
        put(&mut m, k, v.clone());
    }
    m
}

fn s(v: Option<&Value>) -> Option<Value> {
    text(v).map(Value::from)
}

/// The groups of `kind` a finding belongs to.
fn groups_of(kind: &str, f: &Value) -> Vec<Group> {
    let account = f
        .get("awsAccountId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let acct = Some(json!(account));
    let resources: Vec<&Value> = collect(f, "resources[]");
    let of_type = |t: &str| -> Vec<&Value> {
        resources
            .iter()
            .copied()
            .filter(|r| r.get("type").and_then(Value::as_str) == Some(t))
            .collect()
    };
    let id = |r: &Value| {
        r.get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let distinct = |path: &str| -> BTreeSet<String> {
        collect(f, path)
            .into_iter()
            .filter_map(|v| text(Some(v)).map(str::to_owned))
            .collect()
    };
    match kind {
        "ACCOUNT" | "FINDING_TYPE" => vec![Group {
            key: account.clone(),
            fields: fields(&[("accountId", acct)]),
            resource: None,
        }],
        "PACKAGE" => distinct("packageVulnerabilityDetails.vulnerablePackages[].name")
            .into_iter()
            .map(|name| Group {
                key: format!("{account}|{name}"),
                fields: fields(&[
                    ("packageName", Some(json!(name))),
                    ("accountId", acct.clone()),
                ]),
                resource: None,
            })
            .collect(),
        "TITLE" => {
            let Some(title) = text(f.get("title")) else {
                return Vec::new();
            };
            let vuln = text(f.pointer("/packageVulnerabilityDetails/vulnerabilityId"));
            vec![Group {
                key: format!("{account}|{title}|{}", vuln.unwrap_or_default()),
                fields: fields(&[
                    ("title", Some(json!(title))),
                    ("vulnerabilityId", vuln.map(Value::from)),
                    ("accountId", acct),
                ]),
                resource: None,
            }]
        }
        "REPOSITORY" => of_type("AWS_ECR_CONTAINER_IMAGE")
            .into_iter()
            .filter_map(|r| {
                let repo = text(r.pointer("/details/awsEcrContainerImage/repositoryName"))?;
                Some(Group {
                    key: format!("{account}|{repo}"),
                    fields: fields(&[
                        ("repository", Some(json!(repo))),
                        ("accountId", acct.clone()),
                    ]),
                    resource: Some(id(r)),
                })
            })
            .collect(),
        "AWS_ECR_CONTAINER" => of_type("AWS_ECR_CONTAINER_IMAGE")
            .into_iter()
            .map(|r| {
                let d = r.pointer("/details/awsEcrContainerImage");
                let get = |k: &str| d.and_then(|d| d.get(k));
                Group {
                    key: format!("{account}|{}", id(r)),
                    fields: fields(&[
                        ("resourceId", Some(json!(id(r)))),
                        ("imageSha", s(get("imageHash"))),
                        ("repository", s(get("repositoryName"))),
                        ("architecture", s(get("architecture"))),
                        (
                            "imageTags",
                            get("imageTags").filter(|t| t.is_array()).cloned(),
                        ),
                        ("accountId", acct.clone()),
                        ("lastInUseAt", epoch(get("lastInUseAt"))),
                        (
                            "inUseCount",
                            get("inUseCount").and_then(Value::as_i64).map(Value::from),
                        ),
                    ]),
                    resource: Some(id(r)),
                }
            })
            .collect(),
        "IMAGE_LAYER" => {
            let layers =
                distinct("packageVulnerabilityDetails.vulnerablePackages[].sourceLayerHash");
            let mut out = Vec::new();
            for r in of_type("AWS_ECR_CONTAINER_IMAGE") {
                let repo =
                    text(r.pointer("/details/awsEcrContainerImage/repositoryName")).unwrap_or("-");
                for l in &layers {
                    out.push(Group {
                        key: format!("{account}|{}|{l}", id(r)),
                        fields: fields(&[
                            ("repository", Some(json!(repo))),
                            ("resourceId", Some(json!(id(r)))),
                            ("layerHash", Some(json!(l))),
                            ("accountId", acct.clone()),
                        ]),
                        resource: Some(id(r)),
                    });
                }
            }
            out
        }
        "AWS_EC2_INSTANCE" => of_type("AWS_EC2_INSTANCE")
            .into_iter()
            .map(|r| {
                let d = r.pointer("/details/awsEc2Instance");
                let get = |k: &str| d.and_then(|d| d.get(k));
                Group {
                    key: format!("{account}|{}", id(r)),
                    fields: fields(&[
                        ("instanceId", Some(json!(id(r)))),
                        ("ami", s(get("imageId"))),
                        ("operatingSystem", s(get("platform"))),
                        (
                            "instanceTags",
                            Some(r.get("tags").cloned().unwrap_or_else(|| json!({}))),
                        ),
                        ("accountId", acct.clone()),
                    ]),
                    resource: Some(id(r)),
                }
            })
            .collect(),
        "AMI" => of_type("AWS_EC2_INSTANCE")
            .into_iter()
            .filter_map(|r| {
                let ami = text(r.pointer("/details/awsEc2Instance/imageId"))?;
                Some(Group {
                    key: format!("{account}|{ami}"),
                    fields: fields(&[("ami", Some(json!(ami))), ("accountId", acct.clone())]),
                    resource: Some(id(r)),
                })
            })
            .collect(),
        "AWS_LAMBDA_FUNCTION" => of_type("AWS_LAMBDA_FUNCTION")
            .into_iter()
            .map(|r| {
                let d = r.pointer("/details/awsLambdaFunction");
                let get = |k: &str| d.and_then(|d| d.get(k));
                let rid = id(r);
                let name = text(get("functionName"))
                    .map(str::to_owned)
                    .or_else(|| rid.rsplit(':').find(|s| !s.is_empty()).map(str::to_owned))
                    .unwrap_or_else(|| rid.clone());
                Group {
                    key: format!("{account}|{rid}"),
                    fields: fields(&[
                        ("resourceId", Some(json!(rid))),
                        ("functionName", Some(json!(name))),
                        ("runtime", s(get("runtime"))),
                        (
                            "lambdaTags",
                            Some(r.get("tags").cloned().unwrap_or_else(|| json!({}))),
                        ),
                        ("accountId", acct.clone()),
                        ("lastModifiedAt", epoch(get("lastModifiedAt"))),
                    ]),
                    resource: Some(rid),
                }
            })
            .collect(),
        "LAMBDA_LAYER" => {
            let layers =
                distinct("packageVulnerabilityDetails.vulnerablePackages[].sourceLambdaLayerArn");
            let mut out = Vec::new();
            for r in of_type("AWS_LAMBDA_FUNCTION") {
                let rid = id(r);
                let name = text(r.pointer("/details/awsLambdaFunction/functionName"))
                    .unwrap_or(&rid)
                    .to_owned();
                for l in &layers {
                    out.push(Group {
                        key: format!("{account}|{rid}|{l}"),
                        fields: fields(&[
                            ("functionName", Some(json!(name))),
                            ("resourceId", Some(json!(rid))),
                            ("layerArn", Some(json!(l))),
                            ("accountId", acct.clone()),
                        ]),
                        resource: Some(rid.clone()),
                    });
                }
            }
            out
        }
        "CODE_REPOSITORY" => of_type("CODE_REPOSITORY")
            .into_iter()
            .map(|r| {
                let d = r.pointer("/details/codeRepository");
                let get = |k: &str| d.and_then(|d| d.get(k));
                Group {
                    key: format!("{account}|{}", id(r)),
                    fields: fields(&[
                        (
                            "projectNames",
                            Some(s(get("projectName")).unwrap_or_else(|| json!(id(r)))),
                        ),
                        ("providerType", s(get("providerType"))),
                        ("accountId", acct.clone()),
                        ("resourceId", Some(json!(id(r)))),
                    ]),
                    resource: Some(id(r)),
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A group's running totals.
#[derive(Default)]
struct Tally {
    fields: Map<String, Value>,
    all: u64,
    critical: u64,
    high: u64,
    medium: u64,
    exploit: u64,
    fix: u64,
    network: u64,
    resources: BTreeSet<String>,
    /// The highest Vigil score (`inspectorScore`) in the group, in tenths.
    max_score: u64,
}

impl Tally {
    fn metric(&self, sort_by: &str) -> u64 {
        match sort_by {
            "HIGH" => self.high,
            "ALL" => self.all,
            "AFFECTED_IMAGES" | "AFFECTED_INSTANCES" => self.resources.len() as u64,
            "NETWORK_FINDINGS" => self.network,
            VIGIL_SCORE_SORT => self.max_score,
            _ => self.critical,
        }
    }

    fn response(mut self, kind: &str) -> Value {
        self.fields.insert(
            "severityCounts".into(),
            json!({"all": self.all, "critical": self.critical, "high": self.high, "medium": self.medium}),
        );
        let extra: &[(&str, u64)] = match kind {
            "ACCOUNT" | "FINDING_TYPE" => &[
                ("exploitAvailableCount", self.exploit),
                ("fixAvailableCount", self.fix),
            ],
            "CODE_REPOSITORY" => &[
                ("exploitAvailableActiveFindingsCount", self.exploit),
                ("fixAvailableActiveFindingsCount", self.fix),
            ],
            "REPOSITORY" => &[("affectedImages", self.resources.len() as u64)],
            "AMI" => &[("affectedInstances", self.resources.len() as u64)],
            "AWS_EC2_INSTANCE" => &[("networkFindings", self.network)],
            _ => &[],
        };
        for (k, n) in extra {
            self.fields.insert((*k).to_owned(), json!(n));
        }
        // Vigil's own member (clients built from the inspector2 model ignore it)
        if self.max_score > 0 {
            self.fields
                .insert("vigilMaxScore".into(), json!(self.max_score as f64 / 10.0));
        }
        Value::Object(self.fields)
    }
}

/// Adds one finding to the groups it belongs to.
fn tally(req: &AggRequest, tallies: &mut BTreeMap<String, Tally>, f: &Value) {
    let severity = f.get("severity").and_then(Value::as_str).unwrap_or("");
    let yes = |k: &str| f.get(k).and_then(Value::as_str) == Some("YES");
    let mut seen = BTreeSet::new();
    for g in groups_of(req.spec.kind, f) {
        let fields = Value::Object(g.fields);
        if !req
            .filters
            .iter()
            .all(|(field, fl)| fl.matches(&collect(&fields, field)))
        {
            continue;
        }
        if !seen.insert(g.key.clone()) {
            continue;
        }
        let t = tallies.entry(g.key).or_default();
        if let Value::Object(m) = fields
            && t.fields.is_empty()
        {
            t.fields = m;
        }
        t.all += 1;
        match severity {
            "CRITICAL" => t.critical += 1,
            "HIGH" => t.high += 1,
            "MEDIUM" => t.medium += 1,
            _ => {}
        }
        if yes("exploitAvailable") {
            t.exploit += 1;
        }
        if matches!(
            f.get("fixAvailable").and_then(Value::as_str),
            Some("YES" | "PARTIAL")
        ) {
            t.fix += 1;
        }
        if f.get("type").and_then(Value::as_str) == Some("NETWORK_REACHABILITY") {
            t.network += 1;
        }
        if let Some(r) = g.resource {
            t.resources.insert(r);
        }
        if let Some(score) = f.get("inspectorScore").and_then(Value::as_f64) {
            t.max_score = t.max_score.max((score * 10.0).round().max(0.0) as u64);
        }
    }
}

pub fn list_finding_aggregations(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    check_members(
        input,
        &[
            "aggregationType",
            "aggregationRequest",
            "accountIds",
            "maxResults",
            "nextToken",
        ],
    )?;
    let req = AggRequest::parse(input)?;
    let accounts = match input.get("accountIds") {
        None | Some(Value::Null) => None,
        Some(v) => Some(filters(v, "accountIds", Kind::Str, false)?),
    };
    let limit = max_results(input, 100)?;
    let key = format!(
        "aggregations|{}|{}|{}",
        req.spec.kind,
        input
            .get("accountIds")
            .map(Value::to_string)
            .unwrap_or_default(),
        input
            .get("aggregationRequest")
            .map(Value::to_string)
            .unwrap_or_default()
    );
    let offset = read_token(input, &key)?;
    let q = FindingQuery {
        account: p.account.clone(),
        member_accounts: crate::org::member_accounts(app, p)?,
        region: Some(p.region.clone()),
        statuses: vec!["ACTIVE".into()],
        ..Default::default()
    };
    // The account's open findings are read in pages of bounded size (keyset order), each
    // tallied and dropped: memory holds the groups, not the findings. By title without any
    // filter, the store counts them from an index instead.
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let by_index = req.spec.kind == "TITLE"
        && req.filters.is_empty()
        && req.finding_type.is_none()
        && req.resource_type.is_none()
        && accounts.is_none();
    if by_index {
        let scope = vigil_store::dashboard::Scope {
            account: q.account.clone(),
            member_accounts: q.member_accounts.clone(),
            region: p.region.clone(),
        };
        for t in app.store.open_by_title(&scope)? {
            let vuln = t.vulnerability_id.filter(|v| !v.is_empty());
            let key = format!(
                "{}|{}|{}",
                t.account,
                t.title,
                vuln.as_deref().unwrap_or("")
            );
            tallies.insert(
                key,
                Tally {
                    fields: fields(&[
                        ("title", Some(json!(t.title))),
                        ("vulnerabilityId", vuln.map(Value::from)),
                        ("accountId", Some(json!(t.account))),
                    ]),
                    all: t.all,
                    critical: t.critical,
                    high: t.high,
                    medium: t.medium,
                    max_score: t
                        .max_score
                        .map_or(0, |s| (s * 10.0).round().max(0.0) as u64),
                    ..Default::default()
                },
            );
        }
    }
    if !by_index {
        crate::ops::walk_findings(app, &q, |page| {
            for f in page.iter().filter(|f| {
                req.keeps(f)
                    && accounts
                        .as_ref()
                        .is_none_or(|a| a.matches(&collect(f, "awsAccountId")))
            }) {
                tally(&req, &mut tallies, f);
            }
            true
        })?;
    }
    let mut rows: Vec<(String, Tally)> = tallies.into_iter().collect();
    rows.sort_by(|(ka, a), (kb, b)| {
        let by = a.metric(req.sort_by).cmp(&b.metric(req.sort_by));
        let by = if req.descending { by.reverse() } else { by };
        by.then_with(|| {
            // ties: more severe first, then by key
            b.critical
                .cmp(&a.critical)
                .then_with(|| b.high.cmp(&a.high))
                .then_with(|| b.all.cmp(&a.all))
        })
        .then_with(|| ka.cmp(kb))
    });
    let total = rows.len();
    let responses: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(_, t)| {
            let mut m = Map::new();
            m.insert(req.spec.member.to_owned(), t.response(req.spec.kind));
            Value::Object(m)
        })
        .collect();
    let mut out = json!({"aggregationType": req.spec.kind, "responses": responses});
    if offset + limit < total {
        out["nextToken"] = json!(page_token(offset + limit, &key));
    }
    Ok(out)
}

// --- finding details ------------------------------------------------------------------------------

fn detail_error(arn: &str, code: &str, message: &str) -> Value {
    json!({"findingArn": arn, "errorCode": code, "errorMessage": message})
}

/// A stored finding as a `FindingDetail`.
fn finding_detail(arn: &str, f: &Value) -> Value {
    let mut d = Map::new();
    d.insert("findingArn".into(), json!(arn));
    if let Some(kev) = f.pointer("/vigil/kev") {
        let mut cisa = Map::new();
        put(&mut cisa, "dateAdded", epoch(kev.get("dateAdded")));
        put(&mut cisa, "dateDue", epoch(kev.get("dueDate")));
        put(&mut cisa, "action", s(kev.get("requiredAction")));
        d.insert("cisaData".into(), Value::Object(cisa));
        let mut detail = format!(
            "{} is in the CISA Known Exploited Vulnerabilities catalog",
            text(kev.get("cve")).unwrap_or("the vulnerability")
        );
        if let Some(added) = text(kev.get("dateAdded")) {
            detail.push_str(&format!(" (added {added})"));
        }
        if let Some(r) = text(kev.get("knownRansomwareCampaignUse")) {
            detail.push_str(&format!("; known ransomware campaign use: {r}"));
        }
        d.insert(
            "evidences".into(),
            json!([{"evidenceRule": "CISA_KEV", "evidenceDetail": detail}]),
        );
    } else {
        d.insert("evidences".into(), json!([]));
    }
    put(
        &mut d,
        "epssScore",
        f.pointer("/epss/score")
            .and_then(Value::as_f64)
            .map(Value::from),
    );
    if let Some(last) = epoch(f.pointer("/exploitabilityDetails/lastKnownExploitAt")) {
        d.insert("exploitObserved".into(), json!({"lastSeen": last}));
    }
    let urls: Vec<Value> = f
        .pointer("/packageVulnerabilityDetails/referenceUrls")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter(|u| u.is_string())
                .take(100)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    d.insert("referenceUrls".into(), json!(urls));
    d.insert("tools".into(), json!([]));
    d.insert("ttps".into(), json!([]));
    d.insert("cwes".into(), json!([]));
    Value::Object(d)
}

pub fn batch_get_finding_details(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    check_members(input, &["findingArns"])?;
    let arns = input
        .get("findingArns")
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::field("findingArns", "is required"))?
        .as_array()
        .ok_or_else(|| ApiError::field("findingArns", "must be a list of strings"))?;
    if arns.is_empty() || arns.len() > 10 {
        return Err(ApiError::field("findingArns", "must have 1 to 10 entries"));
    }
    let mut wanted: Vec<&str> = Vec::new();
    for (i, a) in arns.iter().enumerate() {
        let a = a
            .as_str()
            .ok_or_else(|| ApiError::field(&format!("findingArns[{i}]"), "must be a string"))?;
        chars_within(a, 1, 100, &format!("findingArns[{i}]"))?;
        if !wanted.contains(&a) {
            wanted.push(a);
        }
    }
    let valid =
        |a: &str| a.starts_with("arn:") && a.contains(":inspector2:") && a.contains(":finding/");
    let q = FindingQuery {
        account: p.account.clone(),
        member_accounts: crate::org::member_accounts(app, p)?,
        region: Some(p.region.clone()),
        arns: wanted
            .iter()
            .filter(|a| valid(a))
            .map(|a| (*a).to_owned())
            .collect(),
        ..Default::default()
    };
    let found: BTreeMap<String, Value> = if q.arns.is_empty() {
        BTreeMap::new()
    } else {
        app.store
            .findings(&q, &|_| true)?
            .into_iter()
            .filter_map(|f| {
                let arn = f.get("findingArn")?.as_str()?.to_owned();
                Some((arn, f))
            })
            .collect()
    };
    let mut details = Vec::new();
    let mut errors = Vec::new();
    for a in wanted {
        if !valid(a) {
            errors.push(detail_error(a, "INVALID_INPUT", "is not a finding ARN"));
        } else if let Some(f) = found.get(a) {
            details.push(finding_detail(a, f));
        } else {
            errors.push(detail_error(
                a,
                "FINDING_DETAILS_NOT_FOUND",
                "no such finding in this account and region",
            ));
        }
    }
    Ok(json!({"findingDetails": details, "errors": errors}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_criteria_match_covered_resources() {
        let r = StoredResource {
            account: "111122223333".into(),
            resource: vigil_store::ResourceRecord {
                kind: "AWS_ECR_CONTAINER_IMAGE".into(),
                id: "sha256:abc".into(),
                region: "us-east-1".into(),
                tags: Default::default(),
                details: Some(
                    json!({"awsEcrContainerImage": {"repositoryName": "demo", "imageTags": ["1.0"]}}),
                ),
            },
            scanned_at: Some("2026-01-02T03:04:05.000Z".into()),
            scan_status: Some("ACTIVE".into()),
            heartbeat_at: None,
        };
        let c = covered(&r, "");
        assert_eq!(c["scanStatus"]["reason"], "SUCCESSFUL");
        assert_eq!(c["lastScannedAt"], json!(1_767_323_045));
        assert_eq!(c["resourceMetadata"]["ecrRepository"]["name"], "demo");
        let yes = json!({"ecrImageTags": [{"comparison": "EQUALS", "value": "1.0"}],
            "lastScannedAt": [{"startInclusive": 1_767_000_000}]});
        assert!(
            CoverageCriteria::parse(Some(&yes), "filterCriteria")
                .map(|c| c.matches(&covered(&r, "")))
                .unwrap_or(false)
        );
        let no = json!({"resourceType": [{"comparison": "NOT_EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}]});
        assert!(
            !CoverageCriteria::parse(Some(&no), "filterCriteria")
                .map(|c| c.matches(&covered(&r, "")))
                .unwrap_or(true)
        );
        let prefix = json!({"resourceId": [{"comparison": "PREFIX", "value": "sha"}]});
        assert!(CoverageCriteria::parse(Some(&prefix), "filterCriteria").is_err());
        let unknown = json!({"severity": []});
        assert!(CoverageCriteria::parse(Some(&unknown), "filterCriteria").is_err());
    }

    #[test]
    fn agent_hosts_are_unmanaged_when_heartbeats_stop_and_unsupported_without_an_os() {
        let host = |platform: &str, beat: Option<&str>| StoredResource {
            account: "111122223333".into(),
            resource: vigil_store::ResourceRecord {
                kind: "AWS_EC2_INSTANCE".into(),
                id: "i-0123456789abcdef0".into(),
                region: "us-east-1".into(),
                tags: Default::default(),
                details: Some(json!({"awsEc2Instance": {"platform": platform}})),
            },
            scanned_at: Some("2026-01-02T03:04:05.000Z".into()),
            scan_status: Some("ACTIVE".into()),
            heartbeat_at: beat.map(str::to_owned),
        };
        let status = |r: &StoredResource, cutoff: &str| {
            let c = covered(r, cutoff);
            (
                c["scanStatus"]["statusCode"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                c["scanStatus"]["reason"].as_str().unwrap_or("").to_owned(),
                c["scanMode"].as_str().unwrap_or("").to_owned(),
            )
        };
        let fresh = host("DEBIAN_12", Some("2026-01-02T03:04:05.000Z"));
        assert_eq!(
            status(&fresh, "2026-01-02T03:00:00.000Z"),
            (
                "ACTIVE".into(),
                "SUCCESSFUL".into(),
                "EC2_SSM_AGENT_BASED".into()
            )
        );
        assert_eq!(
            status(&fresh, "2026-01-02T03:10:00.000Z"),
            (
                "INACTIVE".into(),
                "UNMANAGED_EC2_INSTANCE".into(),
                "EC2_SSM_AGENT_BASED".into()
            )
        );
        let no_os = host("", Some("2026-01-02T03:04:05.000Z"));
        assert_eq!(
            status(&no_os, "2026-01-02T03:00:00.000Z").1,
            "UNSUPPORTED_OS"
        );
        // no heartbeat ever: a plain submission keeps its scan status, however old
        let plain = host("", None);
        assert_eq!(
            status(&plain, "2099-01-01T00:00:00.000Z"),
            ("ACTIVE".into(), "SUCCESSFUL".into(), "EC2_AGENTLESS".into())
        );
    }

    fn ecr_finding(severity: &str, package: &str) -> Value {
        json!({
            "awsAccountId": "111122223333", "severity": severity, "type": "PACKAGE_VULNERABILITY",
            "title": format!("CVE-1 - {package}"), "exploitAvailable": "YES", "fixAvailable": "YES",
            "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-1",
                "vulnerablePackages": [{"name": package, "sourceLayerHash": "sha256:l1"}],
                "referenceUrls": ["https://example.com/a"]},
            "resources": [{"type": "AWS_ECR_CONTAINER_IMAGE", "id": "sha256:img",
                "details": {"awsEcrContainerImage": {"repositoryName": "demo", "imageHash": "sha256:img",
                    "architecture": "amd64", "imageTags": ["1.0"]}}}],
            "vigil": {"kev": {"cve": "CVE-1", "dateAdded": "2024-01-02", "dueDate": "2024-01-23",
                "knownRansomwareCampaignUse": "Unknown", "requiredAction": "Apply updates."}},
            "epss": {"score": 0.5},
        })
    }

    #[test]
    fn image_findings_group_by_repository_container_and_layer() {
        let f = ecr_finding("CRITICAL", "openssl");
        let repo = groups_of("REPOSITORY", &f);
        assert_eq!(repo.len(), 1);
        assert_eq!(repo[0].fields["repository"], "demo");
        assert_eq!(repo[0].resource.as_deref(), Some("sha256:img"));
        let image = groups_of("AWS_ECR_CONTAINER", &f);
        assert_eq!(image[0].fields["imageSha"], "sha256:img");
        assert_eq!(image[0].fields["imageTags"], json!(["1.0"]));
        let layer = groups_of("IMAGE_LAYER", &f);
        assert_eq!(layer[0].fields["layerHash"], "sha256:l1");
        assert!(groups_of("AWS_EC2_INSTANCE", &f).is_empty());
        let req = AggRequest::parse(&json!({"aggregationType": "REPOSITORY",
            "aggregationRequest": {"repositoryAggregation": {"sortBy": "AFFECTED_IMAGES",
                "repositories": [{"comparison": "PREFIX", "value": "de"}]}}}));
        assert!(req.is_ok_and(|r| r.sort_by == "AFFECTED_IMAGES" && r.filters.len() == 1));
        let wrong = AggRequest::parse(&json!({"aggregationType": "PACKAGE",
            "aggregationRequest": {"packageAggregation": {"sortBy": "AFFECTED_IMAGES"}}}));
        assert!(wrong.is_err());
    }

    #[test]
    fn details_carry_kev_epss_and_references() {
        let d = finding_detail("arn:x", &ecr_finding("HIGH", "openssl"));
        assert_eq!(d["cisaData"]["dateAdded"], json!(1_704_153_600));
        assert_eq!(d["cisaData"]["dateDue"], json!(1_705_968_000));
        assert_eq!(d["cisaData"]["action"], "Apply updates.");
        assert_eq!(d["epssScore"], json!(0.5));
        assert_eq!(d["referenceUrls"], json!(["https://example.com/a"]));
        assert_eq!(d["evidences"][0]["evidenceRule"], "CISA_KEV");
    }
}

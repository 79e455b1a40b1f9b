//! Account status and configuration (`Enable`, `Disable`, `BatchGetAccountStatus`,
//! `GetConfiguration`, `UpdateConfiguration`), the vulnerability database
//! (`SearchVulnerabilities`) and the `inspector-scan` service's `ScanSbom`.
//!
//! Shapes follow botocore's inspector2 (2020-06-08) and inspector-scan (2023-08-08) models.
//!
//! - Enablement is per account and resource type (EC2, ECR, LAMBDA, LAMBDA_CODE,
//!   CODE_REPOSITORY), kept in the store. A new account scans EC2, ECR and LAMBDA (the types
//!   Vigil can scan from an SBOM or host inventory); LAMBDA_CODE and CODE_REPOSITORY are opt-in,
//!   as in Amazon Inspector. Changes take effect at once, so statuses are ENABLED or DISABLED,
//!   never the transitional ENABLING/DISABLING. The account's own status is ENABLED while any
//!   resource type is. A caller acts on its own account only: other account ids are answered in
//!   `failedAccounts` with `ACCESS_DENIED` (delegated administration is not implemented).
//! - Configuration: ECR rescan durations and the EC2 scan mode are recorded per account and
//!   reported with status SUCCESS (defaults: LIFETIME, pull date DAYS_90 / LAST_PULL_DATE,
//!   EC2_SSM_AGENT_BASED).
//! - EC2 deep inspection (`GetEc2DeepInspectionConfiguration`,
//!   `UpdateEc2DeepInspectionConfiguration`): per account, ACTIVATED with no custom paths until
//!   changed; `vigil agent` reads it and searches the custom paths besides the default ones
//!   (none at all when DEACTIVATED).
//! - `SearchVulnerabilities` answers from the advisory database, merging every record that has
//!   the id as id or alias with NVD, KEV and EPSS enrichment; an unknown id answers an empty
//!   list. Beyond the model's `CVE-…` pattern, other ids the database knows (GHSA, PYSEC, …) are
//!   accepted; their answer has no `source` (the model's only value is NVD).
//! - `ScanSbom` matches a CycloneDX 1.4–1.6 SBOM against the advisory database without storing
//!   anything.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::ops::{check_members, string_field};
use crate::{ApiError, App, Principal};

const STATUS_KEYS: [(&str, &str); 5] = [
    ("EC2", "ec2"),
    ("ECR", "ecr"),
    ("LAMBDA", "lambda"),
    ("LAMBDA_CODE", "lambdaCode"),
    ("CODE_REPOSITORY", "codeRepository"),
];

const RESCAN_DURATIONS: &[&str] = &[
    "LIFETIME", "DAYS_30", "DAYS_180", "DAYS_14", "DAYS_60", "DAYS_90",
];
const PULL_DATE_DURATIONS: &[&str] = &["DAYS_14", "DAYS_30", "DAYS_60", "DAYS_90", "DAYS_180"];
const PULL_DATE_MODES: &[&str] = &["LAST_PULL_DATE", "LAST_IN_USE_AT"];
const SCAN_MODES: &[&str] = &["EC2_SSM_AGENT_BASED", "EC2_HYBRID"];
const OUTPUT_FORMATS: &[&str] = &["CYCLONE_DX_1_5", "INSPECTOR", "INSPECTOR_ALT"];
/// The most components `ScanSbom` accepts (Amazon's documented limit).
const MAX_SBOM_COMPONENTS: usize = 5000;
const SCANNER: &str = "amazon:inspector:sbom_scanner";

// --- input helpers ---------------------------------------------------------------------------

/// Unknown members of a nested structure, named by their path (`ecrConfiguration.x`).
fn check_nested(v: &Value, path: &str, allowed: &[&str]) -> Result<(), ApiError> {
    let Some(o) = v.as_object() else {
        return Err(ApiError::field(path, "must be a structure"));
    };
    for k in o.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::field(
                &format!("{path}.{k}"),
                "is not a member of this structure",
            ));
        }
    }
    Ok(())
}

fn enum_member(
    v: &Value,
    name: &str,
    path: &str,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::field(
            path,
            &format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

fn string_list(
    input: &Value,
    name: &str,
    min: usize,
    max: usize,
) -> Result<Option<Vec<String>>, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => {
            if a.len() < min || a.len() > max {
                return Err(ApiError::field(
                    name,
                    &format!("must have {min} to {max} members"),
                ));
            }
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| ApiError::field(name, "must be a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        }
        Some(_) => Err(ApiError::field(name, "must be a list of strings")),
    }
}

fn account_ids(input: &Value) -> Result<Vec<String>, ApiError> {
    let ids = string_list(input, "accountIds", 0, 100)?.unwrap_or_default();
    for id in &ids {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::field(
                "accountIds",
                "must be 12-digit account ids",
            ));
        }
    }
    let mut seen = BTreeSet::new();
    Ok(ids.into_iter().filter(|i| seen.insert(i.clone())).collect())
}

fn resource_types(input: &Value, min: usize) -> Result<Option<Vec<&'static str>>, ApiError> {
    let Some(list) = string_list(input, "resourceTypes", min, 5)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for t in list {
        let Some((known, _)) = STATUS_KEYS.iter().find(|(k, _)| *k == t) else {
            return Err(ApiError::field(
                "resourceTypes",
                "members must be EC2, ECR, LAMBDA, LAMBDA_CODE or CODE_REPOSITORY",
            ));
        };
        if !out.contains(known) {
            out.push(*known);
        }
    }
    Ok(Some(out))
}

/// An RFC 3339 time or a `YYYY-MM-DD` date as epoch seconds (inspector2's timestamp encoding).
fn epoch(s: &str) -> Option<Value> {
    let rfc = time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(s, &rfc) {
        return Some(json!(
            t.unix_timestamp() as f64 + f64::from(t.millisecond()) / 1000.0
        ));
    }
    let date = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.get(..10)?, &date).ok()?;
    Some(json!(d.midnight().assume_utc().unix_timestamp() as f64))
}

// --- enablement ------------------------------------------------------------------------------

fn resource_status(types: &[(String, String)]) -> Value {
    let mut o = Map::new();
    for (t, s) in types {
        if let Some((_, key)) = STATUS_KEYS.iter().find(|(k, _)| k == t) {
            o.insert((*key).to_owned(), json!(s));
        }
    }
    Value::Object(o)
}

fn account_status(types: &[(String, String)]) -> &'static str {
    if types.iter().any(|(_, s)| s == "ENABLED") {
        "ENABLED"
    } else {
        "DISABLED"
    }
}

fn denied(id: &str, p: &Principal) -> Value {
    json!({
        "accountId": id,
        "errorCode": "ACCESS_DENIED",
        "errorMessage": format!(
            "account {} may act only on its own account and, as the delegated administrator, its associated members; {id} is neither", p.account
        ),
    })
}

/// Splits the requested accounts (none: the caller's own) into those the caller manages
/// (itself; its associated members when it is the delegated administrator) and the refused
/// rest.
fn targets(
    app: &App,
    ids: &[String],
    p: &Principal,
) -> Result<(Vec<String>, Vec<Value>), ApiError> {
    if ids.is_empty() {
        return Ok((vec![p.account.clone()], Vec::new()));
    }
    let managed = app.store.org_store().managed_accounts(&p.account)?;
    let (ok, refused): (Vec<String>, Vec<String>) =
        ids.iter().cloned().partition(|i| managed.contains(i));
    Ok((ok, refused.iter().map(|i| denied(i, p)).collect()))
}

fn change(
    app: &App,
    p: &Principal,
    ids: &[String],
    types: &[&str],
    status: &str,
) -> Result<Value, ApiError> {
    let (ok, failed) = targets(app, ids, p)?;
    let mut accounts = Vec::new();
    let now = OffsetDateTime::now_utc();
    for account in &ok {
        let state = app
            .store
            .set_scan_types(account, &p.region, types, status, now)?;
        accounts.push(json!({
            "accountId": account,
            "status": account_status(&state),
            "resourceStatus": resource_status(&state),
        }));
    }
    Ok(json!({"accounts": accounts, "failedAccounts": failed}))
}

pub fn enable(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["accountIds", "resourceTypes", "clientToken"])?;
    let ids = account_ids(input)?;
    let types =
        resource_types(input, 1)?.ok_or_else(|| ApiError::field("resourceTypes", "is required"))?;
    // Enabling is idempotent, so the client token needs no bookkeeping.
    string_field(input, "clientToken", 64)?;
    change(app, p, &ids, &types, "ENABLED")
}

pub fn disable(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["accountIds", "resourceTypes"])?;
    let ids = account_ids(input)?;
    // no resource types: every type (Inspector's "disable for the account")
    let types = match resource_types(input, 0)? {
        Some(t) if !t.is_empty() => t,
        _ => STATUS_KEYS.iter().map(|(k, _)| *k).collect(),
    };
    change(app, p, &ids, &types, "DISABLED")
}

pub fn batch_get_account_status(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    check_members(input, &["accountIds"])?;
    let ids = account_ids(input)?;
    let (ok, failed) = targets(app, &ids, p)?;
    let mut accounts = Vec::new();
    for account in &ok {
        let types = app.store.scan_types(account, &p.region)?;
        let mut rs = Map::new();
        for (t, s) in &types {
            if let Some((_, key)) = STATUS_KEYS.iter().find(|(k, _)| k == t) {
                rs.insert((*key).to_owned(), json!({"status": s}));
            }
        }
        accounts.push(json!({
            "accountId": account,
            "state": {"status": account_status(&types)},
            "resourceState": rs,
        }));
    }
    Ok(json!({"accounts": accounts, "failedAccounts": failed}))
}

// --- EC2 deep inspection ---------------------------------------------------------------------

/// `Path`: `(?:/(?:\.[-\w]+|[-\w]+(?:\.[-\w]+)?))+/?`, 1 to 512 characters.
fn valid_package_path(p: &str) -> bool {
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let Some(rest) = p.strip_prefix('/') else {
        return false;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    (1..=512).contains(&p.len())
        && rest.split('/').all(|c| match c.strip_prefix('.') {
            Some(hidden) => word(hidden),
            None => match c.split_once('.') {
                Some((a, b)) => word(a) && word(b),
                None => word(c),
            },
        })
}

/// An account's configuration in a region (configuration is per region, as in Inspector):
/// the region's own (`regions.REGION` of the stored JSON), else the account-wide one that
/// stores kept before configuration was per region.
pub(crate) fn regional_config(stored: Option<Value>, region: &str) -> Value {
    let stored = stored.unwrap_or(json!({}));
    match stored.get("regions").and_then(|r| r.get(region)) {
        Some(v) if v.is_object() => v.clone(),
        _ => {
            let mut v = stored;
            if let Some(o) = v.as_object_mut() {
                o.remove("regions");
            }
            if v.is_object() { v } else { json!({}) }
        }
    }
}

/// Writes an account's configuration for one region (other regions' are kept).
fn save_regional_config(
    app: &App,
    account: &str,
    region: &str,
    config: Value,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let mut stored = app.store.configuration(account)?.unwrap_or(json!({}));
    if !stored.is_object() {
        stored = json!({});
    }
    if !stored["regions"].is_object() {
        stored["regions"] = json!({});
    }
    stored["regions"][region] = config;
    app.store.set_configuration(account, &stored, now)?;
    Ok(())
}

/// The deep-inspection configuration of an account in a region: the region's own, else the
/// account-wide one of earlier stores, else the default: activated, no custom paths (the
/// agent always searches the default paths, `/usr/lib`, `/usr/lib64`, `/usr/local/lib`,
/// `/usr/local/lib64`).
pub(crate) fn deep_inspection_in(
    app: &App,
    account: &str,
    region: &str,
) -> Result<vigil_store::DeepInspection, ApiError> {
    let regional = regional_config(app.store.configuration(account)?, region);
    if let Some(d) = regional.get("deepInspection").filter(|d| d.is_object()) {
        return Ok(vigil_store::DeepInspection {
            status: d["status"].as_str().unwrap_or("ACTIVATED").to_owned(),
            package_paths: d["packagePaths"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(app
        .store
        .deep_inspection(account)?
        .unwrap_or_else(|| vigil_store::DeepInspection {
            status: "ACTIVATED".into(),
            package_paths: Vec::new(),
        }))
}

fn deep_inspection_of(app: &App, p: &Principal) -> Result<vigil_store::DeepInspection, ApiError> {
    deep_inspection_in(app, &p.account, &p.region)
}

fn deep_inspection_answer(c: &vigil_store::DeepInspection, org_paths: Vec<String>) -> Value {
    json!({"packagePaths": c.package_paths, "orgPackagePaths": org_paths, "status": c.status})
}

/// The organization's custom paths that apply to an account: its delegated administrator's
/// (for the administrator itself and its associated members), else none. Hosts search them
/// besides the account's own 5 (Inspector merges the two lists the same way).
fn org_package_paths(app: &App, account: &str, region: &str) -> Result<Vec<String>, ApiError> {
    let Some((admin, _)) = app.store.org_store().delegated_admin()? else {
        return Ok(Vec::new());
    };
    if !app
        .store
        .org_store()
        .managed_accounts(&admin)?
        .iter()
        .any(|a| a == account)
    {
        return Ok(Vec::new());
    }
    let stored = regional_config(app.store.configuration(&admin)?, region);
    Ok(stored["orgPackagePaths"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// `GetEc2DeepInspectionConfiguration`.
pub fn get_deep_inspection(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &[])?;
    Ok(deep_inspection_answer(
        &deep_inspection_of(app, p)?,
        org_package_paths(app, &p.account, &p.region)?,
    ))
}

/// Up to 5 custom package paths (`packagePaths` or `orgPackagePaths`), validated.
fn package_paths(field: &str, v: &Value) -> Result<Vec<String>, ApiError> {
    let Value::Array(list) = v else {
        return Err(ApiError::field(field, "must be a list of paths"));
    };
    if list.len() > 5 {
        return Err(ApiError::field(field, "holds at most 5 paths"));
    }
    let mut paths: Vec<String> = Vec::new();
    for (i, v) in list.iter().enumerate() {
        match v.as_str() {
            Some(s) if valid_package_path(s) => {
                if !paths.iter().any(|x| x == s) {
                    paths.push(s.to_owned());
                }
            }
            _ => {
                return Err(ApiError::field(
                    &format!("{field}[{i}]"),
                    "must be an absolute path of 1 to 512 characters (letters, digits, `_`, `-`, `.`)",
                ));
            }
        }
    }
    Ok(paths)
}

/// The accounts a delegated administrator may act on for members' deep inspection (itself and
/// its associated members); AccessDenied for anyone else.
fn admin_scope(app: &App, p: &Principal, what: &str) -> Result<Vec<String>, ApiError> {
    let is_admin = app
        .store
        .org_store()
        .delegated_admin()?
        .is_some_and(|(a, _)| a == p.account);
    if !is_admin {
        return Err(ApiError::access_denied(&format!(
            "only the organization's delegated administrator may {what}; {} is not it",
            p.account
        )));
    }
    Ok(app.store.org_store().managed_accounts(&p.account)?)
}

fn not_managed(account: &str) -> Value {
    json!({"accountId": account, "ec2ScanStatus": "DISABLED",
           "errorMessage": format!("account {account} is not an associated member")})
}

/// `BatchGetMemberEc2DeepInspectionStatus`: the administrator's members' deep inspection
/// status in the request's region.
pub fn batch_get_member_deep_inspection(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    let managed = admin_scope(app, p, "read members' deep inspection status")?;
    check_members(input, &["accountIds"])?;
    let ids = account_ids(input)?;
    let ids = if ids.is_empty() { managed.clone() } else { ids };
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for id in &ids {
        if managed.contains(id) {
            let c = deep_inspection_in(app, id, &p.region)?;
            ok.push(json!({"accountId": id, "status": c.status}));
        } else {
            failed.push(not_managed(id));
        }
    }
    Ok(json!({"accountIds": ok, "failedAccountIds": failed}))
}

/// `BatchUpdateMemberEc2DeepInspectionStatus`: activates or deactivates deep inspection for
/// members (in the request's region).
pub fn batch_update_member_deep_inspection(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    let managed = admin_scope(app, p, "change members' deep inspection status")?;
    check_members(input, &["accountIds"])?;
    let list = input
        .get("accountIds")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty() && a.len() <= 100)
        .ok_or_else(|| ApiError::field("accountIds", "must list 1 to 100 accounts"))?;
    let mut wanted = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let id = item
            .get("accountId")
            .and_then(Value::as_str)
            .filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                ApiError::field(
                    &format!("accountIds[{i}].accountId"),
                    "must be a 12-digit account id",
                )
            })?;
        let on = item
            .get("activateDeepInspection")
            .and_then(Value::as_bool)
            .ok_or_else(|| {
                ApiError::field(
                    &format!("accountIds[{i}].activateDeepInspection"),
                    "must be a boolean",
                )
            })?;
        wanted.push((id.to_owned(), on));
    }
    let now = OffsetDateTime::now_utc();
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for (id, on) in wanted {
        if !managed.contains(&id) {
            failed.push(not_managed(&id));
            continue;
        }
        let mut c = deep_inspection_in(app, &id, &p.region)?;
        c.status = if on { "ACTIVATED" } else { "DEACTIVATED" }.into();
        let mut stored = regional_config(app.store.configuration(&id)?, &p.region);
        stored["deepInspection"] = json!({"status": c.status, "packagePaths": c.package_paths});
        save_regional_config(app, &id, &p.region, stored, now)?;
        ok.push(json!({"accountId": id, "status": c.status}));
    }
    Ok(json!({"accountIds": ok, "failedAccountIds": failed}))
}

/// `UpdateOrgEc2DeepInspectionConfiguration`: the delegated administrator's 5 organization
/// paths, searched on its own and its members' hosts.
pub fn update_org_deep_inspection(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    let is_admin = app
        .store
        .org_store()
        .delegated_admin()?
        .is_some_and(|(a, _)| a == p.account);
    if !is_admin {
        return Err(ApiError::access_denied(&format!(
            "only the organization's delegated administrator may set organization package paths; {} is not it",
            p.account
        )));
    }
    check_members(input, &["orgPackagePaths"])?;
    let paths = package_paths(
        "orgPackagePaths",
        input
            .get("orgPackagePaths")
            .ok_or_else(|| ApiError::field("orgPackagePaths", "is required"))?,
    )?;
    let mut stored = regional_config(app.store.configuration(&p.account)?, &p.region);
    stored["orgPackagePaths"] = json!(paths);
    save_regional_config(
        app,
        &p.account,
        &p.region,
        stored,
        OffsetDateTime::now_utc(),
    )?;
    Ok(json!({}))
}

/// `UpdateEc2DeepInspectionConfiguration`: `packagePaths` (0 to 5 paths) replaces the
/// account's custom paths; `activateDeepInspection` switches deep inspection on or off.
pub fn update_deep_inspection(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["activateDeepInspection", "packagePaths"])?;
    let mut c = deep_inspection_of(app, p)?;
    match input.get("activateDeepInspection") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(on)) => {
            c.status = if *on { "ACTIVATED" } else { "DEACTIVATED" }.into();
        }
        Some(_) => {
            return Err(ApiError::field(
                "activateDeepInspection",
                "must be a boolean",
            ));
        }
    }
    match input.get("packagePaths") {
        None | Some(Value::Null) => {}
        Some(v) => c.package_paths = package_paths("packagePaths", v)?,
    }
    let mut stored = regional_config(app.store.configuration(&p.account)?, &p.region);
    stored["deepInspection"] = json!({"status": c.status, "packagePaths": c.package_paths});
    save_regional_config(
        app,
        &p.account,
        &p.region,
        stored,
        OffsetDateTime::now_utc(),
    )?;
    Ok(deep_inspection_answer(
        &c,
        org_package_paths(app, &p.account, &p.region)?,
    ))
}

// --- configuration ---------------------------------------------------------------------------

pub fn get_configuration(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &[])?;
    let stored = regional_config(app.store.configuration(&p.account)?, &p.region);
    let ecr = &stored["ecr"];
    let s = |v: &Value, k: &str, d: &str| v.get(k).and_then(Value::as_str).unwrap_or(d).to_owned();
    let mut rescan = json!({
        "rescanDuration": s(ecr, "rescanDuration", "LIFETIME"),
        "status": "SUCCESS",
        "pullDateRescanDuration": s(ecr, "pullDateRescanDuration", "DAYS_90"),
        "pullDateRescanMode": s(ecr, "pullDateRescanMode", "LAST_PULL_DATE"),
    });
    if let Some(at) = ecr.get("updatedAt").and_then(Value::as_str).and_then(epoch) {
        rescan["updatedAt"] = at;
    }
    Ok(json!({
        "ecrConfiguration": {"rescanDurationState": rescan},
        "ec2Configuration": {"scanModeState": {
            "scanMode": s(&stored["ec2"], "scanMode", "EC2_SSM_AGENT_BASED"),
            "scanModeStatus": "SUCCESS",
        }},
    }))
}

pub fn update_configuration(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["ecrConfiguration", "ec2Configuration"])?;
    let mut stored = regional_config(app.store.configuration(&p.account)?, &p.region);
    let now = OffsetDateTime::now_utc();
    let at = vigil_store::timestamp(now);
    let mut changed = false;
    if let Some(ecr) = input.get("ecrConfiguration").filter(|v| !v.is_null()) {
        let path = "ecrConfiguration";
        check_nested(
            ecr,
            path,
            &[
                "rescanDuration",
                "pullDateRescanDuration",
                "pullDateRescanMode",
            ],
        )?;
        let d = enum_member(
            ecr,
            "rescanDuration",
            "ecrConfiguration.rescanDuration",
            RESCAN_DURATIONS,
        )?
        .ok_or_else(|| ApiError::field("ecrConfiguration.rescanDuration", "is required"))?;
        let pd = enum_member(
            ecr,
            "pullDateRescanDuration",
            "ecrConfiguration.pullDateRescanDuration",
            PULL_DATE_DURATIONS,
        )?;
        let pm = enum_member(
            ecr,
            "pullDateRescanMode",
            "ecrConfiguration.pullDateRescanMode",
            PULL_DATE_MODES,
        )?;
        let mut e = stored
            .get("ecr")
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or(json!({}));
        e["rescanDuration"] = json!(d);
        if let Some(pd) = pd {
            e["pullDateRescanDuration"] = json!(pd);
        }
        if let Some(pm) = pm {
            e["pullDateRescanMode"] = json!(pm);
        }
        e["updatedAt"] = json!(at);
        stored["ecr"] = e;
        changed = true;
    }
    if let Some(ec2) = input.get("ec2Configuration").filter(|v| !v.is_null()) {
        check_nested(ec2, "ec2Configuration", &["scanMode"])?;
        let m = enum_member(ec2, "scanMode", "ec2Configuration.scanMode", SCAN_MODES)?
            .ok_or_else(|| ApiError::field("ec2Configuration.scanMode", "is required"))?;
        stored["ec2"] = json!({"scanMode": m, "updatedAt": at});
        changed = true;
    }
    if changed {
        save_regional_config(app, &p.account, &p.region, stored, now)?;
    }
    Ok(json!({}))
}

// --- SearchVulnerabilities -------------------------------------------------------------------

pub fn search_vulnerabilities(app: &App, _p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["filterCriteria", "nextToken"])?;
    let criteria = input
        .get("filterCriteria")
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::field("filterCriteria", "is required"))?;
    check_nested(criteria, "filterCriteria", &["vulnerabilityIds"])?;
    let ids = string_list(criteria, "vulnerabilityIds", 1, 1)
        .map_err(|_| {
            ApiError::field(
                "filterCriteria.vulnerabilityIds",
                "must be a list of exactly one vulnerability id",
            )
        })?
        .ok_or_else(|| ApiError::field("filterCriteria.vulnerabilityIds", "is required"))?;
    let id = ids.first().map(|s| s.trim()).unwrap_or_default();
    if id.is_empty() {
        return Err(ApiError::field(
            "filterCriteria.vulnerabilityIds",
            "must not be empty",
        ));
    }
    // The answer is at most one vulnerability, so no token is ever issued.
    // (an empty token is the first page)
    if let Some(t) = input.get("nextToken").filter(|v| !v.is_null())
        && !t.as_str().is_some_and(str::is_empty)
    {
        return Err(ApiError::field(
            "nextToken",
            "is not a token this query returned",
        ));
    }
    let found = app.with_db(|db| {
        vulnerability(db, id).map_err(|e| ApiError::internal(&format!("advisory database: {e}")))
    })?;
    Ok(json!({"vulnerabilities": found.into_iter().collect::<Vec<_>>()}))
}

/// Everything the database says about `id`, in the inspector2 `Vulnerability` shape.
fn vulnerability(db: &vigil_osv::Database, id: &str) -> Result<Option<Value>, vigil_osv::Error> {
    let is_cve = id.to_ascii_uppercase().starts_with("CVE-");
    let id = if is_cve {
        id.to_ascii_uppercase()
    } else {
        id.to_owned()
    };
    let all = db.advisories_by_id(&id)?;
    let live: Vec<_> = all
        .iter()
        .filter(|r| !r.advisory.is_withdrawn())
        .cloned()
        .collect();
    let records = if live.is_empty() { all } else { live };
    // the CVE the enrichment feeds are keyed by
    let cve = if is_cve {
        Some(id.clone())
    } else {
        records
            .iter()
            .flat_map(|r| r.advisory.cve_ids().map(str::to_owned).collect::<Vec<_>>())
            .min()
    };
    let (nvd, kev, epss) = match &cve {
        Some(c) => (db.nvd(c)?, db.kev(c)?, db.epss(c)?),
        None => (None, None, None),
    };
    if records.is_empty() && nvd.is_none() && kev.is_none() && epss.is_none() {
        return Ok(None);
    }
    let mut v = json!({"id": id});
    if is_cve {
        v["source"] = json!("NVD");
        v["sourceUrl"] = json!(format!("https://nvd.nist.gov/vuln/detail/{id}"));
    } else if let Some(u) = records
        .iter()
        .flat_map(|r| r.advisory.references.iter())
        .find(|r| r.kind == "ADVISORY")
    {
        v["sourceUrl"] = json!(u.url);
    }
    let description = nvd
        .as_ref()
        .and_then(|n| n.description.clone())
        .or_else(|| records.iter().find_map(|r| r.advisory.details.clone()))
        .or_else(|| records.iter().find_map(|r| r.advisory.summary.clone()));
    if let Some(d) = description {
        v["description"] = json!(d);
    }
    // CVSS: every vector of every record and NVD, scored by Vigil's calculator
    let blank = vigil_osv::Affected {
        package: None,
        severity: Vec::new(),
        ranges: Vec::new(),
        versions: Vec::new(),
        ecosystem_specific: None,
        database_specific: None,
    };
    let mut items = Vec::new();
    for r in &records {
        items.push((&r.advisory, &blank, r.advisory.id.as_str()));
        for a in &r.advisory.affected {
            items.push((&r.advisory, a, r.advisory.id.as_str()));
        }
    }
    let nvd_vectors: Vec<(String, String, String)> = nvd
        .as_ref()
        .map(|n| {
            n.vectors
                .iter()
                .map(|(k, vec, _)| (k.clone(), vec.clone(), "NVD".to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut problems = Vec::new();
    let scores = vigil_matcher::severity::cvss_scores(&items, &nvd_vectors, &mut problems);
    for (member, versions) in [
        ("cvss2", &["2.0"][..]),
        ("cvss3", &["3.1", "3.0"][..]),
        ("cvss4", &["4.0"][..]),
    ] {
        let pick = versions.iter().find_map(|ver| {
            scores
                .iter()
                .filter(|s| s.version == *ver)
                .min_by_key(|s| usize::from(s.source != "NVD"))
        });
        if let Some(s) = pick {
            v[member] = json!({"baseScore": s.base_score, "scoringVector": s.scoring_vector});
        }
    }
    let severity = records
        .iter()
        .find_map(|r| vigil_matcher::severity::vendor_severity(&r.advisory))
        .or_else(|| {
            vigil_matcher::severity::best(&scores)
                .map(|s| vigil_matcher::severity::rating(&s.version, s.base_score).to_owned())
        });
    if let Some(s) = severity {
        v["vendorSeverity"] = json!(s);
    }
    let mut cwes = BTreeSet::new();
    let mut related = BTreeSet::new();
    let mut refs: Vec<String> = Vec::new();
    let mut platforms = BTreeSet::new();
    for r in &records {
        let a = &r.advisory;
        if let Some(list) = a
            .database_specific
            .as_ref()
            .and_then(|d| d.get("cwe_ids"))
            .and_then(Value::as_array)
        {
            cwes.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        related.insert(a.id.clone());
        related.extend(a.aliases.iter().cloned());
        related.extend(a.related.iter().cloned());
        for u in &a.references {
            if !refs.contains(&u.url) {
                refs.push(u.url.clone());
            }
        }
        for af in &a.affected {
            if let Some(p) = &af.package {
                platforms.insert(vigil_osv::ecosystem::base(&p.ecosystem).to_owned());
            }
        }
    }
    related.retain(|r| !r.eq_ignore_ascii_case(&id));
    if !cwes.is_empty() {
        v["cwes"] = json!(cwes);
    }
    if !related.is_empty() {
        v["relatedVulnerabilities"] = json!(related.into_iter().take(100).collect::<Vec<_>>());
    }
    if !refs.is_empty() {
        refs.truncate(100);
        v["referenceUrls"] = json!(refs);
    }
    if !platforms.is_empty() {
        v["detectionPlatforms"] = json!(platforms.into_iter().take(100).collect::<Vec<_>>());
    }
    let created = nvd.as_ref().and_then(|n| n.published.clone()).or_else(|| {
        records
            .iter()
            .filter_map(|r| r.advisory.published.clone())
            .min()
    });
    if let Some(t) = created.as_deref().and_then(epoch) {
        v["vendorCreatedAt"] = t;
    }
    let updated = records
        .iter()
        .filter_map(|r| r.advisory.modified.clone())
        .filter(|m| !m.starts_with("0001"))
        .max();
    if let Some(t) = updated.as_deref().and_then(epoch) {
        v["vendorUpdatedAt"] = t;
    }
    if let Some(k) = &kev {
        let mut c = json!({});
        if let Some(t) = epoch(&k.date_added) {
            c["dateAdded"] = t.clone();
            v["exploitObserved"] = json!({"firstSeen": t});
        }
        if let Some(t) = epoch(&k.due_date) {
            c["dateDue"] = t;
        }
        if !k.required_action.is_empty() {
            c["action"] = json!(k.required_action);
        }
        v["cisaData"] = c;
    }
    if let Some(e) = &epss {
        v["epss"] = json!({"score": e.score});
    }
    Ok(Some(v))
}

// --- ScanSbom ------------------------------------------------------------------------------

/// The components of a CycloneDX document, nested ones included, in document order.
fn components(doc: &Value) -> Vec<&Value> {
    fn walk<'a>(list: Option<&'a Value>, out: &mut Vec<&'a Value>, depth: usize) {
        let Some(list) = list.and_then(Value::as_array) else {
            return;
        };
        for c in list {
            out.push(c);
            if depth < 64 {
                walk(c.get("components"), out, depth + 1);
            }
        }
    }
    let mut out = Vec::new();
    walk(doc.get("components"), &mut out, 0);
    out
}

fn purl_base(p: &str) -> String {
    let end = p.find(['?', '#']).unwrap_or(p.len());
    p[..end].to_ascii_lowercase()
}

/// Finds the input components a finding is about: by purl, by purl without qualifiers, then
/// by name and version. A package listed more than once (found at several locations) is every
/// one of its components.
struct RefIndex {
    by_purl: BTreeMap<String, Vec<String>>,
    by_base: BTreeMap<String, Vec<String>>,
    by_name: BTreeMap<(String, String), Vec<String>>,
}

impl RefIndex {
    fn new(doc: &Value) -> RefIndex {
        let mut ix = RefIndex {
            by_purl: BTreeMap::new(),
            by_base: BTreeMap::new(),
            by_name: BTreeMap::new(),
        };
        for c in components(doc) {
            let s = |k: &str| c.get(k).and_then(Value::as_str);
            let Some(r) = s("bom-ref") else { continue };
            if let Some(p) = s("purl") {
                ix.by_purl
                    .entry(p.to_owned())
                    .or_default()
                    .push(r.to_owned());
                ix.by_base
                    .entry(purl_base(p))
                    .or_default()
                    .push(r.to_owned());
            }
            if let (Some(n), Some(v)) = (s("name"), s("version")) {
                ix.by_name
                    .entry((n.to_owned(), v.to_owned()))
                    .or_default()
                    .push(r.to_owned());
            }
        }
        ix
    }

    fn find(&self, f: &vigil_matcher::finding::Finding) -> Vec<String> {
        let purl = &f.vigil.purl;
        let pkg = f.package_vulnerability_details.vulnerable_packages.first();
        let (name, version) = pkg
            .map(|p| (p.name.clone(), p.version.clone()))
            .unwrap_or_default();
        self.by_purl
            .get(purl)
            .or_else(|| self.by_base.get(&purl_base(purl)))
            .or_else(|| self.by_name.get(&(name.clone(), version.clone())))
            .cloned()
            .unwrap_or_else(|| {
                vec![if purl.is_empty() {
                    format!("{name}@{version}")
                } else {
                    purl.clone()
                }]
            })
    }
}

fn cdx_severity(s: &str) -> &'static str {
    match s {
        "CRITICAL" => "critical",
        "HIGH" => "high",
        "MEDIUM" => "medium",
        "LOW" => "low",
        "INFORMATIONAL" => "info",
        _ => "unknown",
    }
}

fn cvss_method(version: &str) -> &'static str {
    match version {
        "2.0" => "CVSSv2",
        "3.0" => "CVSSv3",
        "4.0" => "CVSSv4",
        _ => "CVSSv31",
    }
}

fn source_of(id: &str) -> (String, Option<String>) {
    let up = id.to_ascii_uppercase();
    if up.starts_with("CVE-") {
        (
            "NVD".into(),
            Some(format!("https://nvd.nist.gov/vuln/detail/{up}")),
        )
    } else if up.starts_with("GHSA-") {
        (
            "GITHUB".into(),
            Some(format!("https://github.com/advisories/{id}")),
        )
    } else {
        let prefix = id.split('-').next().unwrap_or(id);
        (
            prefix.to_owned(),
            Some(format!("https://osv.dev/vulnerability/{id}")),
        )
    }
}

/// One vulnerability of the report: every finding with that id, across components.
struct Grouped<'a> {
    findings: Vec<&'a vigil_matcher::finding::Finding>,
    /// The affected components: bom-ref, fixed version, index of a finding about it.
    refs: Vec<(String, Option<String>, usize)>,
}

pub fn scan_sbom(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["sbom", "outputFormat"])?;
    let sbom = input
        .get("sbom")
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::field("sbom", "is required"))?;
    if !sbom.is_object() {
        return Err(ApiError::field("sbom", "must be a CycloneDX JSON document"));
    }
    let format = match input.get("outputFormat") {
        None | Some(Value::Null) => "CYCLONE_DX_1_5".to_owned(),
        Some(Value::String(s)) if OUTPUT_FORMATS.contains(&s.as_str()) => s.clone(),
        Some(_) => {
            return Err(ApiError::field(
                "outputFormat",
                "must be CYCLONE_DX_1_5, INSPECTOR or INSPECTOR_ALT",
            ));
        }
    };
    if sbom.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Err(ApiError::field("sbom", "bomFormat must be CycloneDX"));
    }
    let spec = sbom
        .get("specVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !matches!(spec, "1.4" | "1.5" | "1.6") {
        return Err(ApiError::field(
            "sbom",
            &format!("specVersion `{spec}` is not supported (CycloneDX 1.4 to 1.6)"),
        ));
    }
    let count = components(sbom).len();
    if count > MAX_SBOM_COMPONENTS {
        return Err(ApiError::field(
            "sbom",
            &format!("has {count} components; at most {MAX_SBOM_COMPONENTS} are accepted"),
        ));
    }
    let bytes = serde_json::to_vec(sbom).map_err(|e| ApiError::internal(&e.to_string()))?;
    let inventory =
        vigil_sbom::decode(&bytes, "sbom").map_err(|e| ApiError::field("sbom", &e.to_string()))?;
    let opts = vigil_matcher::MatchOptions {
        account: p.account.clone(),
        region: p.region.clone(),
        observed_at: vigil_store::timestamp(OffsetDateTime::now_utc()),
        exposure: Default::default(),
    };
    let report = app.with_db(|db| {
        vigil_matcher::match_inventory(&inventory, db, &opts)
            .map_err(|e| ApiError::internal(&format!("matching failed: {e}")))
    })?;
    let ix = RefIndex::new(sbom);
    let mut groups: BTreeMap<String, Grouped<'_>> = BTreeMap::new();
    for f in &report.findings {
        let id = f.package_vulnerability_details.vulnerability_id.clone();
        let refs = ix.find(f);
        let fixed = f
            .package_vulnerability_details
            .vulnerable_packages
            .first()
            .and_then(|p| p.fixed_in_version.clone())
            .filter(|v| v != "NotAvailable" && !v.is_empty());
        let g = groups.entry(id).or_insert_with(|| Grouped {
            findings: Vec::new(),
            refs: Vec::new(),
        });
        g.findings.push(f);
        for r in refs {
            if !g.refs.iter().any(|(x, _, _)| *x == r) {
                g.refs.push((r, fixed.clone(), g.findings.len() - 1));
            }
        }
    }
    // most severe first, then by id
    let mut ordered: Vec<(&String, &Grouped<'_>)> = groups.iter().collect();
    ordered.sort_by_key(|(id, g)| {
        (
            g.findings
                .iter()
                .map(|f| vigil_matcher::severity::rank(&f.severity))
                .min()
                .unwrap_or(usize::MAX),
            (*id).clone(),
        )
    });
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (_, g) in &ordered {
        if let Some(f) = g.findings.first() {
            *counts.entry(cdx_severity(&f.severity)).or_default() += 1;
        }
    }
    let out = if format == "CYCLONE_DX_1_5" {
        cyclonedx_report(sbom, &ordered, &counts)
    } else {
        inspector_report(sbom, &ordered, &counts, &report.notes)
    };
    Ok(json!({"sbom": out}))
}

fn cyclonedx_report(
    sbom: &Value,
    ordered: &[(&String, &Grouped<'_>)],
    counts: &BTreeMap<&'static str, usize>,
) -> Value {
    let mut vulns = Vec::new();
    for (n, (id, g)) in ordered.iter().enumerate() {
        let Some(f) = g.findings.first() else {
            continue;
        };
        let d = &f.package_vulnerability_details;
        let (source, url) = source_of(id);
        let mut src = json!({"name": source});
        if let Some(u) = d.source_url.clone().or(url) {
            src["url"] = json!(u);
        }
        let mut ratings: Vec<Value> = d
            .cvss
            .iter()
            .map(|c| {
                json!({
                    "source": {"name": c.source},
                    "score": c.base_score,
                    "severity": cdx_severity(vigil_matcher::severity::rating(&c.version, c.base_score)),
                    "method": cvss_method(&c.version),
                    "vector": c.scoring_vector,
                })
            })
            .collect();
        if ratings.is_empty() {
            ratings.push(json!({"source": {"name": d.source}, "severity": cdx_severity(&f.severity), "method": "other"}));
        }
        let mut related: BTreeSet<String> = d.related_vulnerabilities.iter().cloned().collect();
        related.extend(f.vigil.aliases.iter().cloned());
        related.remove(*id);
        let references: Vec<Value> = related
            .iter()
            .map(|r| {
                let (name, url) = source_of(r);
                let mut s = json!({"name": name});
                if let Some(u) = url {
                    s["url"] = json!(u);
                }
                json!({"id": r, "source": s})
            })
            .collect();
        let mut props = vec![json!({
            "name": format!("{SCANNER}:exploit_available"),
            "value": (f.exploit_available == "YES").to_string(),
        })];
        for (r, fixed, _) in &g.refs {
            if let Some(v) = fixed {
                props.push(json!({"name": format!("{SCANNER}:fixed_version:{r}"), "value": v}));
            }
        }
        if let Some(k) = &f.vigil.kev {
            props.push(
                json!({"name": format!("{SCANNER}:cisa_kev_date_added"), "value": k.date_added}),
            );
            props
                .push(json!({"name": format!("{SCANNER}:cisa_kev_date_due"), "value": k.due_date}));
        }
        let mut v = json!({
            "bom-ref": format!("vuln-{}", n + 1),
            "id": id,
            "source": src,
            "ratings": ratings,
            "description": f.description,
            "affects": g.refs.iter().map(|(r, _, _)| json!({"ref": r})).collect::<Vec<_>>(),
            "properties": props,
        });
        if !references.is_empty() {
            v["references"] = json!(references);
        }
        if !d.reference_urls.is_empty() {
            v["advisories"] = json!(
                d.reference_urls
                    .iter()
                    .map(|u| json!({"url": u}))
                    .collect::<Vec<_>>()
            );
        }
        if let Some(t) = &d.vendor_created_at {
            v["published"] = json!(t);
        }
        if let Some(t) = &d.vendor_updated_at {
            v["updated"] = json!(t);
        }
        let rec = &f.remediation.recommendation.text;
        if !rec.is_empty() {
            v["recommendation"] = json!(rec);
        }
        vulns.push(v);
    }
    let mut doc = sbom.clone();
    let meta = doc
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})));
    if let Some(meta) = meta.filter(|m| m.is_object()) {
        let mut props: Vec<Value> = meta
            .get("properties")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        props.retain(|p| {
            !p.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.starts_with(SCANNER))
        });
        for level in ["critical", "high", "medium", "low"] {
            props.push(json!({
                "name": format!("{SCANNER}:{level}_vulnerabilities"),
                "value": counts.get(level).copied().unwrap_or(0).to_string(),
            }));
        }
        meta["properties"] = json!(props);
    }
    doc["vulnerabilities"] = json!(vulns);
    doc
}

/// The INSPECTOR format: a JSON report rather than a CycloneDX document: scan status, notes,
/// the SBOM's identity and one entry per vulnerability in inspector2's
/// `packageVulnerabilityDetails` vocabulary with the components (by bom-ref) it affects.
fn inspector_report(
    sbom: &Value,
    ordered: &[(&String, &Grouped<'_>)],
    counts: &BTreeMap<&'static str, usize>,
    notes: &[String],
) -> Value {
    let mut vulns = Vec::new();
    for (id, g) in ordered {
        let Some(f) = g.findings.first() else {
            continue;
        };
        let d = &f.package_vulnerability_details;
        let mut affects = Vec::new();
        for (r, fixed, i) in &g.refs {
            let pkg = g
                .findings
                .get(*i)
                .and_then(|x| x.package_vulnerability_details.vulnerable_packages.first());
            let mut a = json!({"bomRef": r});
            if let Some(p) = pkg {
                a["name"] = json!(p.name);
                a["version"] = json!(p.version);
            }
            if let Some(p) = pkg {
                a["packageManager"] = json!(p.package_manager);
            }
            if let Some(v) = fixed {
                a["fixedInVersion"] = json!(v);
            }
            affects.push(a);
        }
        let packages: Vec<Value> = g
            .findings
            .iter()
            .filter_map(|x| x.package_vulnerability_details.vulnerable_packages.first())
            .map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
            .collect();
        let mut v = json!({
            "id": id,
            "severity": f.severity,
            "description": f.description,
            "source": d.source,
            "cvss": d.cvss,
            "relatedVulnerabilities": d.related_vulnerabilities,
            "referenceUrls": d.reference_urls,
            "fixAvailable": f.fix_available,
            "exploitAvailable": f.exploit_available,
            "affects": affects,
            "vulnerablePackages": packages,
        });
        if let Some(s) = f.inspector_score {
            v["inspectorScore"] = json!(s);
        }
        if let Some(u) = &d.source_url {
            v["sourceUrl"] = json!(u);
        }
        if let Some(s) = &d.vendor_severity {
            v["vendorSeverity"] = json!(s);
        }
        if let Some(t) = &d.vendor_created_at {
            v["vendorCreatedAt"] = json!(t);
        }
        if let Some(t) = &d.vendor_updated_at {
            v["vendorUpdatedAt"] = json!(t);
        }
        if let Some(e) = &f.epss {
            v["epss"] = json!({"score": e.score});
        }
        if let Some(k) = &f.vigil.kev {
            v["cisaData"] = json!({"dateAdded": k.date_added, "dateDue": k.due_date, "action": k.required_action});
        }
        vulns.push(v);
    }
    let mut head = Map::new();
    for k in [
        "bomFormat",
        "specVersion",
        "serialNumber",
        "version",
        "metadata",
    ] {
        if let Some(x) = sbom.get(k) {
            head.insert(k.to_owned(), x.clone());
        }
    }
    json!({
        "status": "SUCCEEDED",
        "messages": notes.iter().map(|n| json!({"type": "INFO", "text": n})).collect::<Vec<_>>(),
        "sbom": Value::Object(head),
        "summary": {
            "components": components(sbom).len(),
            "vulnerabilities": ordered.len(),
            "critical": counts.get("critical").copied().unwrap_or(0),
            "high": counts.get("high").copied().unwrap_or(0),
            "medium": counts.get("medium").copied().unwrap_or(0),
            "low": counts.get("low").copied().unwrap_or(0),
        },
        "vulnerabilities": vulns,
    })
}

#[cfg(test)]
mod tests {
    use super::valid_package_path;

    #[test]
    fn package_paths_follow_the_model_pattern() {
        for ok in ["/srv/app", "/opt/.venv/", "/usr/lib/python3.11", "/a-b/c_d"] {
            assert!(valid_package_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/",
            "relative/path",
            "/a//b",
            "/a b",
            "/a.b.c",
            "/x/../y",
            "/..",
        ] {
            assert!(!valid_package_path(bad), "{bad}");
        }
    }
}

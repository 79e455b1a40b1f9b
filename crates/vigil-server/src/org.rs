//! The organization's operations (inspector2 shapes): the management account (named by
//! `vigil server --organization-management-account`) designates the delegated administrator;
//! the administrator associates members and sets auto-enable. Every check of who may do what
//! is here, against the caller's signed account, never against an account id in the body.

use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_store::org::AutoEnable;

use crate::ops::check_members;
use crate::{ApiError, App, Principal};

fn account_id(input: &Value, field: &str) -> Result<String, ApiError> {
    let id = input
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::field(field, "is required"))?;
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::field(field, "must be a 12-digit account id"));
    }
    Ok(id.to_owned())
}

fn require_management(app: &App, p: &Principal, what: &str) -> Result<(), ApiError> {
    match &app.organization_management_account {
        Some(m) if *m == p.account => Ok(()),
        Some(m) => Err(ApiError::access_denied(&format!(
            "only the organization's management account ({m}) may {what}; {} is not it",
            p.account
        ))),
        None => Err(ApiError::access_denied(&format!(
            "this server has no organization (start it with --organization-management-account) so no account may {what}"
        ))),
    }
}

/// The caller, if it is the delegated administrator; else AccessDenied.
fn require_admin(app: &App, p: &Principal, what: &str) -> Result<(), ApiError> {
    match app.store.org_store().delegated_admin()? {
        Some((a, _)) if a == p.account => Ok(()),
        _ => Err(ApiError::access_denied(&format!(
            "only the organization's delegated administrator may {what}; {} is not it",
            p.account
        ))),
    }
}

/// The accounts besides the caller's own whose data it sees: its associated members when it
/// is the delegated administrator, else none.
pub fn member_accounts(app: &App, p: &Principal) -> Result<Vec<String>, ApiError> {
    let mut all = app.store.org_store().managed_accounts(&p.account)?;
    all.retain(|a| *a != p.account);
    Ok(all)
}

fn epoch(ts: &str) -> Value {
    OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .map(|t| json!(t.unix_timestamp()))
        .unwrap_or(Value::Null)
}

fn member_json(m: &vigil_store::org::OrgMember) -> Value {
    json!({
        "accountId": m.account_id,
        "relationshipStatus": m.relationship_status,
        "delegatedAdminAccountId": m.delegated_admin_account_id,
        "updatedAt": epoch(&m.updated_at),
    })
}

pub fn enable_delegated_admin(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    require_management(app, p, "enable a delegated administrator")?;
    check_members(input, &["delegatedAdminAccountId", "clientToken"])?;
    let admin = account_id(input, "delegatedAdminAccountId")?;
    app.store
        .org_store()
        .enable_delegated_admin(&admin, OffsetDateTime::now_utc())
        .map_err(|e| match e {
            vigil_store::Error::Conflict(m) => ApiError::conflict(&m, &admin, "ACCOUNT"),
            e => e.into(),
        })?;
    Ok(json!({"delegatedAdminAccountId": admin}))
}

pub fn disable_delegated_admin(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    require_management(app, p, "disable the delegated administrator")?;
    check_members(input, &["delegatedAdminAccountId"])?;
    let admin = account_id(input, "delegatedAdminAccountId")?;
    app.store
        .org_store()
        .disable_delegated_admin(&admin, OffsetDateTime::now_utc())?;
    Ok(json!({"delegatedAdminAccountId": admin}))
}

pub fn get_delegated_admin(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &[])?;
    let admin = app.store.org_store().delegated_admin()?;
    // the management account and the administrator itself may ask
    let is_management = app.organization_management_account.as_deref() == Some(p.account.as_str());
    let is_admin = admin.as_ref().is_some_and(|(a, _)| *a == p.account);
    if !is_management && !is_admin {
        return Err(ApiError::access_denied(&format!(
            "account {} is neither the organization's management account nor its delegated administrator",
            p.account
        )));
    }
    Ok(match admin {
        Some((a, _)) => {
            json!({"delegatedAdmin": {"accountId": a, "relationshipStatus": "ENABLED"}})
        }
        None => json!({}),
    })
}

pub fn list_delegated_admins(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    require_management(app, p, "list delegated administrators")?;
    check_members(input, &["maxResults", "nextToken"])?;
    crate::ops::max_results(input, 5)?;
    if input.get("nextToken").is_some() {
        return Err(ApiError::field(
            "nextToken",
            "is not a token this query returned",
        ));
    }
    let list: Vec<Value> = app
        .store
        .org_store()
        .delegated_admin()?
        .into_iter()
        .map(|(a, _)| json!({"accountId": a, "status": "ENABLED"}))
        .collect();
    Ok(json!({"delegatedAdminAccounts": list}))
}

pub fn associate_member(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    require_admin(app, p, "associate members")?;
    check_members(input, &["accountId"])?;
    let account = account_id(input, "accountId")?;
    app.store
        .org_store()
        .associate(&p.account, &account, OffsetDateTime::now_utc())?;
    Ok(json!({"accountId": account}))
}

pub fn disassociate_member(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    require_admin(app, p, "disassociate members")?;
    check_members(input, &["accountId"])?;
    let account = account_id(input, "accountId")?;
    app.store
        .org_store()
        .disassociate(&p.account, &account, OffsetDateTime::now_utc())?;
    Ok(json!({"accountId": account}))
}

pub fn list_members(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    require_admin(app, p, "list members")?;
    check_members(input, &["onlyAssociated", "maxResults", "nextToken"])?;
    let only = match input.get("onlyAssociated") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::field("onlyAssociated", "must be a boolean")),
    };
    let max = crate::ops::max_results(input, 50)?;
    let query = format!("members:{only}");
    let offset = crate::ops::read_token(input, &query)?;
    let all = app.store.org_store().members(&p.account, only)?;
    let page: Vec<Value> = all.iter().skip(offset).take(max).map(member_json).collect();
    let mut out = json!({"members": page});
    if offset + max < all.len() {
        out["nextToken"] = Value::String(crate::ops::page_token(offset + max, &query));
    }
    Ok(out)
}

pub fn get_member(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    require_admin(app, p, "read members")?;
    check_members(input, &["accountId"])?;
    let account = account_id(input, "accountId")?;
    match app.store.org_store().member(&p.account, &account)? {
        Some(m) => Ok(json!({"member": member_json(&m)})),
        None => Err(ApiError::not_found(&format!(
            "account {account} is not an account of this organization"
        ))),
    }
}

fn auto_enable(input: &Value) -> Result<AutoEnable, ApiError> {
    let a = input
        .get("autoEnable")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::field("autoEnable", "is required"))?;
    for k in a.keys() {
        if !["ec2", "ecr", "lambda", "lambdaCode", "codeRepository"].contains(&k.as_str()) {
            return Err(ApiError::field(
                &format!("autoEnable.{k}"),
                "is not a member of AutoEnable",
            ));
        }
    }
    let flag = |k: &str, required: bool| -> Result<bool, ApiError> {
        match a.get(k) {
            Some(Value::Bool(b)) => Ok(*b),
            None if !required => Ok(false),
            None => Err(ApiError::field(&format!("autoEnable.{k}"), "is required")),
            Some(_) => Err(ApiError::field(
                &format!("autoEnable.{k}"),
                "must be a boolean",
            )),
        }
    };
    Ok(AutoEnable {
        ec2: flag("ec2", true)?,
        ecr: flag("ecr", true)?,
        lambda: flag("lambda", false)?,
        lambda_code: flag("lambdaCode", false)?,
        code_repository: flag("codeRepository", false)?,
    })
}

pub fn update_organization_configuration(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    require_admin(app, p, "update the organization configuration")?;
    check_members(input, &["autoEnable"])?;
    let a = auto_enable(input)?;
    let org = app.store.org_store();
    org.set_auto_enable(&p.account, &a, OffsetDateTime::now_utc())?;
    Ok(json!({"autoEnable": org.auto_enable(&p.account)?}))
}

pub fn describe_organization_configuration(
    app: &App,
    p: &Principal,
    input: &Value,
) -> Result<Value, ApiError> {
    require_admin(app, p, "describe the organization configuration")?;
    check_members(input, &[])?;
    Ok(json!({
        "autoEnable": app.store.org_store().auto_enable(&p.account)?,
        "maxAccountLimitReached": false,
    }))
}

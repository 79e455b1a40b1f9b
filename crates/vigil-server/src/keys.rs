//! Access keys and principals of the caller's account (`/vigil/v1/keys/...`,
//! `/vigil/v1/principals/list`), in IAM's shapes where IAM has them (ListAccessKeys,
//! CreateAccessKey, UpdateAccessKey, ListUsers), for the console's settings page.
//!
//! - `keys/list` answers every key of the account with its principal (`null`: the account's
//!   root key), status and creation time; never a secret.
//! - `keys/create` `{"principal"?}` makes a key for the named principal, or, without one, for
//!   the caller itself (as IAM's CreateAccessKey without `UserName`: a root caller gets a root
//!   key, a principal a key of its own, so that no principal can mint itself a root key). The
//!   secret is in this answer only (the audit record hides it).
//! - `keys/update` `{"accessKeyId", "status"}` makes a key Active or Inactive. A caller may not
//!   deactivate the key it signs the request with (it would lock itself out mid-call); a
//!   console session signed in with a password has no key, so nothing is refused for it.
//! - Only the root (a root key, or a console session signed in with one) changes a root key's
//!   status, as in AWS, where IAM users cannot touch the root user's keys.
//! - A key of another account is unknown (ResourceNotFoundException), never "denied", so that
//!   key ids of other tenants cannot be probed.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::ops::{check_members, string_field};
use crate::{ApiError, App, Principal};

/// RFC 3339 text as epoch seconds (inspector2's timestamp encoding), or `null`.
fn epoch(ts: &str) -> Value {
    OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .map(|t| json!(t.unix_timestamp() as f64 + f64::from(t.millisecond()) / 1000.0))
        .unwrap_or(Value::Null)
}

/// An access key id as IAM writes them (`[\w]+`, 16 to 128 characters).
fn access_key_id(input: &Value) -> Result<&str, ApiError> {
    let id = string_field(input, "accessKeyId", 128)?
        .ok_or_else(|| ApiError::field("accessKeyId", "is required"))?;
    if id.len() < 16 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ApiError::field(
            "accessKeyId",
            "must be 16 to 128 letters, digits or `_`",
        ));
    }
    Ok(id)
}

/// `POST /vigil/v1/keys/list` (`vigil:ListAccessKeys`).
pub fn list(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &[])?;
    let keys = app.store.access_store().keys(&p.account)?;
    let list: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "accessKeyId": k.access_key_id,
                "principal": k.principal,
                "status": k.status,
                "createdAt": epoch(&k.created_at),
            })
        })
        .collect();
    Ok(json!({"accessKeys": list}))
}

/// `POST /vigil/v1/keys/create` (`vigil:CreateAccessKey`): the secret is shown once.
pub fn create(
    app: &App,
    p: &Principal,
    caller: &crate::access::Caller,
    input: &Value,
) -> Result<Value, ApiError> {
    check_members(input, &["principal"])?;
    let named = string_field(input, "principal", 64)?;
    // without a name: the caller's own identity, as IAM does
    let principal = named
        .map(str::to_owned)
        .or_else(|| caller.principal.as_ref().map(|r| r.name.clone()));
    let now = OffsetDateTime::now_utc();
    let key = match &principal {
        Some(name) => {
            vigil_store::access::validate_principal_name(name)
                .map_err(|e| ApiError::field("principal", &e.to_string()))?;
            app.store
                .access_store()
                .create_principal_key(&p.account, name, now)
                .map_err(|e| match e {
                    vigil_store::Error::NotFound(_) => ApiError::not_found(&format!(
                        "principal `{name}` does not exist in account {}",
                        p.account
                    )),
                    e => e.into(),
                })?
        }
        None => app.store.create_key(&p.account, now)?,
    };
    tracing::info!(account = %p.account, principal = ?principal, access_key_id = %key.access_key_id, "access key created");
    Ok(json!({
        "accessKeyId": key.access_key_id,
        "secretAccessKey": key.secret_access_key,
        "principal": principal,
        "status": "Active",
    }))
}

/// `POST /vigil/v1/keys/update` (`vigil:UpdateAccessKey`): Active or Inactive.
pub fn update(
    app: &App,
    p: &Principal,
    caller: &crate::access::Caller,
    input: &Value,
) -> Result<Value, ApiError> {
    check_members(input, &["accessKeyId", "status"])?;
    let id = access_key_id(input)?;
    let status = match string_field(input, "status", 16)? {
        Some(s @ ("Active" | "Inactive")) => s,
        Some(_) => return Err(ApiError::field("status", "must be Active or Inactive")),
        None => return Err(ApiError::field("status", "is required")),
    };
    if status == "Inactive" && id == p.access_key_id {
        return Err(ApiError::validation(&format!(
            "access key {id} signs this request: a caller cannot deactivate the key it is using (sign with another key of the account)"
        )));
    }
    let store = app.store.access_store();
    let unknown = || {
        ApiError::not_found(&format!(
            "the access key {id} does not exist in account {}",
            p.account
        ))
    };
    let target = store
        .keys(&p.account)?
        .into_iter()
        .find(|k| k.access_key_id == id)
        .ok_or_else(unknown)?;
    // as in AWS, the root's keys are the root's own business
    if target.principal.is_none() && caller.principal.is_some() {
        return Err(ApiError::access_denied(&format!(
            "User: {} is not authorized to perform: vigil:UpdateAccessKey on access key {id}: it is the account's root key, which only the root may change",
            caller.arn(p)
        )));
    }
    store
        .set_key_status(&p.account, id, status)
        .map_err(|e| match e {
            vigil_store::Error::NotFound(_) => ApiError::not_found(&format!(
                "the access key {id} does not exist in account {}",
                p.account
            )),
            e => e.into(),
        })?;
    tracing::info!(account = %p.account, access_key_id = %id, %status, "access key status changed");
    Ok(json!({}))
}

/// `POST /vigil/v1/principals/list` (`vigil:ListPrincipals`).
pub fn principals(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &[])?;
    let list: Vec<Value> = app
        .store
        .access_store()
        .principals(&p.account)?
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "kind": r.kind,
                "region": r.region,
                "policies": r.policies,
                "createdAt": epoch(&r.created_at),
            })
        })
        .collect();
    Ok(json!({"principals": list}))
}

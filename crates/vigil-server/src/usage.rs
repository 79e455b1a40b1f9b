//! `ListUsageTotals` (`POST /usage/list`): the month's metered usage per account (see
//! [`vigil_store::usage`]) with a cost estimate at Amazon Inspector's us-east-1 list prices, so
//! that a team can compare what the same coverage would cost there.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{ApiError, App, Principal};

/// Amazon Inspector's us-east-1 list prices (USD) per unit of each usage type: per instance
/// month (730 hours) for EC2 and Lambda, per image scan for ECR.
pub const LIST_PRICES: [(&str, f64); 4] = [
    ("EC2_INSTANCE_HOURS", 1.258 / 730.0),
    ("ECR_INITIAL_SCAN", 0.09),
    ("ECR_RESCAN", 0.01),
    ("LAMBDA_FUNCTION_HOURS", 0.30 / 730.0),
];

/// At most this many accounts in one request (inspector2's limit).
const MAX_ACCOUNTS: usize = 7000;

pub fn list_usage_totals(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    crate::ops::check_members(input, &["accountIds", "maxResults", "nextToken"])?;
    let max = crate::ops::max_results(input, 500)?;
    let offset = crate::ops::read_token(input, "usage")?;
    let accounts: Vec<String> = match input.get("accountIds") {
        None | Some(Value::Null) => vec![p.account.clone()],
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_ACCOUNTS => a
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .filter(|s| {
                        s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) || *s == p.account
                    })
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ApiError::field(
                            &format!("accountIds[{i}]"),
                            "must be a 12-digit account id",
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::field(
                "accountIds",
                &format!("must be a list of 1 to {MAX_ACCOUNTS} account ids"),
            ));
        }
    };
    // an account sees its own usage, a delegated administrator its members' too
    let managed = app.store.org_store().managed_accounts(&p.account)?;
    if let Some(other) = accounts.iter().find(|a| !managed.contains(a)) {
        return Err(ApiError::access_denied(&format!(
            "account {} may not read the usage of account {other}",
            p.account
        )));
    }
    let now = OffsetDateTime::now_utc();
    let month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let totals = app
        .store
        .usage_totals(&accounts, &month, now)
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    let mut by_account: Vec<Value> = Vec::new();
    for account in &accounts {
        let usage: Vec<Value> = totals
            .iter()
            .filter(|t| t.account == *account)
            .map(|t| {
                let price = LIST_PRICES
                    .iter()
                    .find(|(k, _)| *k == t.kind)
                    .map_or(0.0, |(_, p)| *p);
                json!({
                    "type": t.kind,
                    "total": t.total,
                    "estimatedMonthlyCost": (t.total * price * 100.0).round() / 100.0,
                    "currency": "USD",
                })
            })
            .collect();
        by_account.push(json!({"accountId": account, "usage": usage}));
    }
    let page: Vec<Value> = by_account.into_iter().skip(offset).take(max).collect();
    let mut out = json!({"totals": page});
    if offset + max < accounts.len() {
        out["nextToken"] = Value::String(crate::ops::page_token(offset + max, "usage"));
    }
    Ok(out)
}

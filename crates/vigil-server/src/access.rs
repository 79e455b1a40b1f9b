//! Who may call what, and the record of what was called.
//!
//! Every signed operation has an IAM action name (`inspector2:ListFindings`,
//! `inspector-scan:ScanSbom`, `vigil:SubmitScan`, ...) in [`OPERATIONS`]. A request is
//! authorised by its key's principal's identity policies ([`vigil_iam`]: explicit deny wins,
//! then allow, else implicit deny); an account's root key (a key without a principal) may do
//! everything in its own account; an agent principal may act only in its region. A refusal
//! answers `AccessDeniedException` with IAM's message shape.
//!
//! Every mutating call, and every refused call, is appended to the audit trail as a
//! CloudTrail event (`eventVersion`, `userIdentity`, `eventTime`, `eventSource`, `eventName`,
//! `awsRegion`, `sourceIPAddress`, `userAgent`, `requestParameters`, `responseElements`,
//! `errorCode`, `errorMessage`, `requestID`, `eventID`, `readOnly`, `eventType`,
//! `managementEvent`, `recipientAccountId`, `eventCategory`). Request members that look like
//! secrets are replaced by CloudTrail's `HIDDEN_DUE_TO_SECURITY_REASONS`; large request and
//! response bodies are summarised. Agent heartbeats are telemetry, not management events, and
//! are recorded only when refused.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use vigil_iam::{Context, Decision, Policy, Request};
use vigil_store::access::{AuditQuery, AuditRecord, PrincipalRecord};

use crate::{ApiError, App, Principal};

/// A signed operation: its action name and whether it only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub name: &'static str,
    /// The IAM service prefix (`inspector2`, `inspector-scan`, `vigil`).
    pub service: &'static str,
    pub read_only: bool,
    /// Recorded in the audit trail when it succeeds (mutating management calls).
    pub audited: bool,
}

impl Operation {
    pub fn action(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }

    /// CloudTrail's `eventSource`.
    pub fn event_source(&self) -> String {
        match self.service {
            "vigil" => "vigil.local".to_owned(),
            s => format!("{s}.amazonaws.com"),
        }
    }
}

const fn op(name: &'static str, service: &'static str, read_only: bool) -> Operation {
    Operation {
        name,
        service,
        read_only,
        audited: !read_only,
    }
}

const I: &str = "inspector2";
const V: &str = "vigil";

/// Every signed operation by its path (all are POSTs).
pub const OPERATIONS: &[(&str, Operation)] = &[
    ("/findings/list", op("ListFindings", I, true)),
    ("/filters/create", op("CreateFilter", I, false)),
    ("/filters/update", op("UpdateFilter", I, false)),
    ("/filters/delete", op("DeleteFilter", I, false)),
    ("/filters/list", op("ListFilters", I, true)),
    ("/coverage/list", op("ListCoverage", I, true)),
    (
        "/coverage/statistics/list",
        op("ListCoverageStatistics", I, true),
    ),
    (
        "/findings/aggregation/list",
        op("ListFindingAggregations", I, true),
    ),
    (
        "/findings/details/batch/get",
        op("BatchGetFindingDetails", I, true),
    ),
    ("/enable", op("Enable", I, false)),
    ("/disable", op("Disable", I, false)),
    ("/status/batch/get", op("BatchGetAccountStatus", I, true)),
    ("/configuration/get", op("GetConfiguration", I, true)),
    ("/configuration/update", op("UpdateConfiguration", I, false)),
    (
        "/vulnerabilities/search",
        op("SearchVulnerabilities", I, true),
    ),
    (
        "/ec2deepinspectionconfiguration/get",
        op("GetEc2DeepInspectionConfiguration", I, true),
    ),
    (
        "/ec2deepinspectionconfiguration/update",
        op("UpdateEc2DeepInspectionConfiguration", I, false),
    ),
    ("/scan/sbom", op("ScanSbom", "inspector-scan", true)),
    ("/reporting/create", op("CreateFindingsReport", I, false)),
    (
        "/reporting/status/get",
        op("GetFindingsReportStatus", I, true),
    ),
    ("/reporting/cancel", op("CancelFindingsReport", I, false)),
    ("/sbomexport/create", op("CreateSbomExport", I, false)),
    ("/sbomexport/get", op("GetSbomExport", I, true)),
    ("/sbomexport/cancel", op("CancelSbomExport", I, false)),
    ("/vigil/v1/scans", op("SubmitScan", V, false)),
    (
        "/vigil/v1/findings/history",
        op("GetFindingHistory", V, true),
    ),
    ("/vigil/v1/findings/top-risks", op("ListTopRisks", V, true)),
    ("/vigil/v1/dashboard", op("GetDashboard", V, true)),
    ("/vigil/v1/resources/delete", op("DeleteResource", V, false)),
    ("/vigil/v1/resources/sbom", op("GetResourceSbom", V, true)),
    (
        "/vigil/v1/functions/publish",
        op("PublishFunction", V, false),
    ),
    ("/vigil/v1/functions/list", op("ListFunctions", V, true)),
    ("/vigil/v1/functions/delete", op("DeleteFunction", V, false)),
    ("/vigil/v1/jobs/list", op("ListJobs", V, true)),
    ("/vigil/v1/jobs/run", op("RunJob", V, false)),
    (
        "/vigil/v1/agents/heartbeat",
        Operation {
            name: "AgentHeartbeat",
            service: V,
            read_only: false,
            audited: false,
        },
    ),
    ("/vigil/v1/network/analyze", op("AnalyzeNetwork", V, false)),
    (
        "/vigil/v1/hosts/agentless/register",
        op("RegisterAgentlessHost", V, false),
    ),
    (
        "/vigil/v1/hosts/agentless/list",
        op("ListAgentlessHosts", V, true),
    ),
    (
        "/vigil/v1/hosts/agentless/deregister",
        op("DeregisterAgentlessHost", V, false),
    ),
    ("/vigil/v1/audit/lookup", op("LookupAuditEvents", V, true)),
    ("/vigil/v1/keys/list", op("ListAccessKeys", V, true)),
    ("/vigil/v1/keys/create", op("CreateAccessKey", V, false)),
    ("/vigil/v1/keys/update", op("UpdateAccessKey", V, false)),
    ("/vigil/v1/principals/list", op("ListPrincipals", V, true)),
    (
        "/vigil/v1/destinations/create",
        op("CreateDestination", V, false),
    ),
    (
        "/vigil/v1/destinations/list",
        op("ListDestinations", V, true),
    ),
    ("/vigil/v1/destinations/get", op("GetDestination", V, true)),
    (
        "/vigil/v1/destinations/update",
        op("UpdateDestination", V, false),
    ),
    (
        "/vigil/v1/destinations/delete",
        op("DeleteDestination", V, false),
    ),
    (
        "/vigil/v1/destinations/dead-letters/list",
        op("ListDeadLetters", V, true),
    ),
    (
        "/vigil/v1/destinations/dead-letters/replay",
        op("ReplayDeadLetters", V, false),
    ),
    ("/usage/list", op("ListUsageTotals", I, true)),
    (
        "/delegatedadminaccounts/enable",
        op("EnableDelegatedAdminAccount", I, false),
    ),
    (
        "/delegatedadminaccounts/disable",
        op("DisableDelegatedAdminAccount", I, false),
    ),
    (
        "/delegatedadminaccounts/get",
        op("GetDelegatedAdminAccount", I, true),
    ),
    (
        "/delegatedadminaccounts/list",
        op("ListDelegatedAdminAccounts", I, true),
    ),
    (
        "/ec2deepinspectionstatus/member/batch/get",
        op("BatchGetMemberEc2DeepInspectionStatus", I, true),
    ),
    (
        "/ec2deepinspectionstatus/member/batch/update",
        op("BatchUpdateMemberEc2DeepInspectionStatus", I, false),
    ),
    (
        "/ec2deepinspectionconfiguration/org/update",
        op("UpdateOrgEc2DeepInspectionConfiguration", I, false),
    ),
    ("/members/associate", op("AssociateMember", I, false)),
    ("/members/disassociate", op("DisassociateMember", I, false)),
    ("/members/list", op("ListMembers", I, true)),
    ("/members/get", op("GetMember", I, true)),
    (
        "/organizationconfiguration/update",
        op("UpdateOrganizationConfiguration", I, false),
    ),
    (
        "/organizationconfiguration/describe",
        op("DescribeOrganizationConfiguration", I, true),
    ),
    ("/vigil/v1/findings/export", op("ExportFindings", V, true)),
    ("/vigil/v1/vex/export", op("ExportVex", V, true)),
    ("/vigil/v1/vex/import", op("ImportVex", V, false)),
];

/// The operation at a path.
pub fn operation(method: &str, path: &str) -> Option<Operation> {
    if method != "POST" {
        return None;
    }
    OPERATIONS.iter().find(|(p, _)| *p == path).map(|(_, o)| *o)
}

/// The built-in policy documents by name (`builtin:NAME` in a principal's policy list).
pub fn builtin_policy(name: &str) -> Option<&'static str> {
    match name {
        "read-only" => Some(vigil_iam::builtin::READ_ONLY),
        "full-access" => Some(vigil_iam::builtin::FULL_ACCESS),
        "agent" => Some(AGENT_POLICY),
        _ => None,
    }
}

/// What a host agent needs: submit its inventory, send heartbeats, read its deep-inspection
/// paths.
pub const AGENT_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "HostAgent",
    "Effect": "Allow",
    "Action": ["vigil:SubmitScan", "vigil:AgentHeartbeat",
               "inspector2:GetEc2DeepInspectionConfiguration"],
    "Resource": "*"
  }]
}"#;

/// Parses a principal's policy list (documents or `builtin:NAME`); the error names the entry.
pub fn parse_policies(list: &[String]) -> Result<Vec<Policy>, String> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let text = match p.strip_prefix("builtin:") {
                Some(name) => builtin_policy(name).ok_or_else(|| {
                    format!(
                        "policies[{i}]: no built-in policy `{name}` (read-only, full-access, agent)"
                    )
                })?,
                None => p.as_str(),
            };
            Policy::parse(text).map_err(|e| format!("policies[{i}]: {e}"))
        })
        .collect()
}

/// The caller behind a key, beyond its account and region.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `None`: the account's root key.
    pub principal: Option<PrincipalRecord>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Caller {
    /// CloudTrail's `userIdentity`.
    fn user_identity(&self, p: &Principal) -> Value {
        match &self.principal {
            None => json!({
                "type": "Root",
                "principalId": p.account,
                "arn": format!("arn:aws:iam::{}:root", p.account),
                "accountId": p.account,
                "accessKeyId": p.access_key_id,
            }),
            Some(r) if r.kind == "USER" => json!({
                "type": "IAMUser",
                "principalId": format!("{}:{}", p.account, r.name),
                "arn": self.arn(p),
                "accountId": p.account,
                "accessKeyId": p.access_key_id,
                "userName": r.name,
            }),
            Some(r) => json!({
                "type": "AssumedRole",
                "principalId": format!("{}:{}", p.account, r.name),
                "arn": self.arn(p),
                "accountId": p.account,
                "accessKeyId": p.access_key_id,
                "sessionContext": {"sessionIssuer": {
                    "type": "Role",
                    "arn": format!("arn:aws:iam::{}:role/{}", p.account, r.name),
                    "accountId": p.account,
                    "userName": r.name,
                }},
            }),
        }
    }

    /// The caller's ARN, as IAM names it in messages.
    pub fn arn(&self, p: &Principal) -> String {
        match &self.principal {
            None => format!("arn:aws:iam::{}:root", p.account),
            Some(r) if r.kind == "USER" => format!("arn:aws:iam::{}:user/{}", p.account, r.name),
            Some(r) if r.kind == "AGENT" => {
                format!(
                    "arn:aws:sts::{}:assumed-role/{}/vigil-agent",
                    p.account, r.name
                )
            }
            Some(r) => format!("arn:aws:sts::{}:assumed-role/{}/vigil", p.account, r.name),
        }
    }

    fn username(&self) -> Option<String> {
        self.principal.as_ref().map(|r| r.name.clone())
    }
}

/// May the caller perform the operation? Root keys may do everything in their account; a
/// principal's policies decide otherwise.
pub fn authorize(
    p: &Principal,
    caller: &Caller,
    op: &Operation,
    refs: &BodyRefs,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let Some(record) = &caller.principal else {
        return Ok(());
    };
    let action = op.action();
    let arn = caller.arn(p);
    if let Some(region) = &record.region
        && *region != p.region
    {
        return Err(denied(&format!(
            "User: {arn} is not authorized to perform: {action} in region {}: its credentials are scoped to {region}",
            p.region
        )));
    }
    let policies = parse_policies(&record.policies).map_err(|e| {
        // a stored policy that no longer parses grants nothing
        tracing::warn!(principal = %record.name, account = %p.account, error = %e, "unreadable policy");
        denied(&format!(
            "User: {arn} is not authorized to perform: {action}: its policies cannot be read"
        ))
    })?;
    let mut ctx = Context::new()
        .with("aws:PrincipalAccount", &p.account)
        .with("aws:PrincipalArn", &arn)
        .with("aws:PrincipalType", &record.kind)
        .with("aws:username", &record.name)
        .with("aws:RequestedRegion", &p.region)
        .with("aws:ResourceAccount", &p.account)
        .with("aws:SecureTransport", "false")
        .with("aws:CurrentTime", &vigil_store::timestamp(now))
        .with("aws:EpochTime", &now.unix_timestamp().to_string());
    if let Some(ip) = &caller.source_ip {
        ctx.set("aws:SourceIp", ip);
    }
    // the tags a request sets (CreateFilter, TagResource): aws:RequestTag/KEY and aws:TagKeys
    if let Some(Value::Object(tags)) = &refs.tags {
        for (k, v) in tags {
            if let Some(v) = v.as_str() {
                ctx.set(&format!("aws:RequestTag/{k}"), v);
            }
        }
        ctx.set_all("aws:TagKeys", tags.keys().cloned().collect());
    }
    let refs: Vec<&Policy> = policies.iter().collect();
    match vigil_iam::evaluate(
        &refs,
        &Request {
            action: &action,
            resource: "*",
            context: &ctx,
        },
    ) {
        Decision::Allow(_) => Ok(()),
        Decision::ExplicitDeny(_) => Err(denied(&format!(
            "User: {arn} is not authorized to perform: {action} on resource: * with an explicit deny in an identity-based policy"
        ))),
        Decision::ImplicitDeny => Err(denied(&format!(
            "User: {arn} is not authorized to perform: {action} on resource: * because no identity-based policy allows the {action} action"
        ))),
    }
}

/// What authorisation reads of a request body: the tags it sets and the ARNs it names
/// (members `arn`, `filterArn`, `findingArn`, `findingArns`, `resourceArn`, `reportArn`). Read
/// once per request, without building the body's JSON tree (a scan submission carries
/// megabytes of SBOM that the operation decodes itself): every other member is skipped.
#[derive(Debug, Default, serde::Deserialize)]
pub struct BodyRefs {
    #[serde(default)]
    tags: Option<Value>,
    #[serde(default)]
    arn: Option<Value>,
    #[serde(default, rename = "filterArn")]
    filter_arn: Option<Value>,
    #[serde(default, rename = "findingArn")]
    finding_arn: Option<Value>,
    #[serde(default, rename = "findingArns")]
    finding_arns: Option<Value>,
    #[serde(default, rename = "resourceArn")]
    resource_arn: Option<Value>,
    #[serde(default, rename = "reportArn")]
    report_arn: Option<Value>,
}

impl BodyRefs {
    /// Reads a body (anything but a JSON object reads as nothing: the operation answers it).
    /// A body the quick read refuses (a member given twice) is read whole, as the operation
    /// will read it (the last value wins), so that no spelling slips past the checks.
    pub fn read(body: &[u8]) -> BodyRefs {
        if let Ok(r) = serde_json::from_slice::<BodyRefs>(body) {
            return r;
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(o)) => BodyRefs {
                tags: o.get("tags").cloned(),
                arn: o.get("arn").cloned(),
                filter_arn: o.get("filterArn").cloned(),
                finding_arn: o.get("findingArn").cloned(),
                finding_arns: o.get("findingArns").cloned(),
                resource_arn: o.get("resourceArn").cloned(),
                report_arn: o.get("reportArn").cloned(),
            },
            _ => BodyRefs::default(),
        }
    }

    fn arns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for v in [
            &self.arn,
            &self.filter_arn,
            &self.finding_arn,
            &self.finding_arns,
            &self.resource_arn,
            &self.report_arn,
        ]
        .into_iter()
        .flatten()
        {
            match v {
                Value::String(a) => out.push(a.as_str()),
                Value::Array(list) => out.extend(list.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
        out
    }
}

/// Refuses a request whose body names another account's resource by ARN (a filter, a
/// finding): reads may reach the accounts the caller manages (a delegated administrator's
/// members), changes only the caller's own. The refusal is an AccessDeniedException (and so
/// audited), not a "not found" that would let a caller probe other accounts.
pub fn check_body_arns(
    p: &Principal,
    caller: &Caller,
    op: &Operation,
    refs: &BodyRefs,
    managed: &dyn Fn() -> Vec<String>,
) -> Result<(), ApiError> {
    let foreign: Vec<&str> = refs
        .arns()
        .into_iter()
        .filter(|a| a.starts_with("arn:"))
        .filter(|a| a.split(':').nth(4).is_some_and(|acct| acct != p.account))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    let allowed = if op.read_only {
        managed()
    } else {
        vec![p.account.clone()]
    };
    for a in foreign {
        let account = a.split(':').nth(4).unwrap_or("");
        if !allowed.iter().any(|x| x == account) {
            return Err(denied(&format!(
                "User: {} is not authorized to perform: {} on resource: {a}: it belongs to account {account}",
                caller.arn(p),
                op.action()
            )));
        }
    }
    Ok(())
}

fn denied(message: &str) -> ApiError {
    ApiError::access_denied(message)
}

/// The largest request or response body kept whole in an audit record.
const MAX_AUDITED_BODY: usize = 16 << 10;

/// Replaces secret-looking members (and summarises large bodies).
fn redact(v: &Value, raw_len: usize) -> Value {
    if raw_len > MAX_AUDITED_BODY {
        let members: Vec<&String> = v
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        return json!({"bodyBytes": raw_len, "members": members});
    }
    fn walk(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut out = Map::new();
                for (k, x) in o {
                    let lk = k.to_ascii_lowercase();
                    let secret = [
                        "secret",
                        "password",
                        "token",
                        "credential",
                        "authorization",
                        "privatekey",
                    ]
                    .iter()
                    .any(|s| lk.contains(s));
                    out.insert(
                        k.clone(),
                        if secret && !x.is_null() {
                            Value::String("HIDDEN_DUE_TO_SECURITY_REASONS".into())
                        } else {
                            walk(x)
                        },
                    );
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(walk).collect()),
            x => x.clone(),
        }
    }
    walk(v)
}

/// Appends an audit record for a call (its outcome: the response or the error).
pub fn record(
    app: &App,
    p: &Principal,
    caller: &Caller,
    op: &Operation,
    body: &[u8],
    outcome: &Result<Value, ApiError>,
    now: OffsetDateTime,
) {
    let request: Value = if body.is_empty() {
        Value::Null
    } else if body.len() > MAX_AUDITED_BODY {
        // summarised: its size and top-level members, read without building the tree (a
        // scan submission is megabytes of SBOM)
        match serde_json::from_slice::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(
            body,
        ) {
            Ok(members) => {
                json!({"bodyBytes": body.len(), "members": members.keys().collect::<Vec<_>>()})
            }
            Err(_) => json!({"bodyBytes": body.len(), "json": false}),
        }
    } else {
        serde_json::from_slice(body)
            .map(|v| redact(&v, body.len()))
            .unwrap_or_else(|_| json!({"bodyBytes": body.len(), "json": false}))
    };
    let (response, error_code, error_message) = match outcome {
        Ok(v) => {
            let len = v.to_string().len();
            (redact(v, len), None, None)
        }
        Err(e) => (
            Value::Null,
            Some(e.code().to_owned()),
            Some(e.message().to_owned()),
        ),
    };
    let event_id = uuid::Uuid::new_v4().to_string();
    let at = vigil_store::timestamp(now);
    let event_time = format!("{}Z", &at[..19]);
    let record = json!({
        "eventVersion": "1.09",
        "userIdentity": caller.user_identity(p),
        "eventTime": event_time,
        "eventSource": op.event_source(),
        "eventName": op.name,
        "awsRegion": p.region,
        "sourceIPAddress": caller.source_ip,
        "userAgent": caller.user_agent,
        "requestParameters": request,
        "responseElements": response,
        "errorCode": error_code,
        "errorMessage": error_message,
        "requestID": uuid::Uuid::new_v4().to_string(),
        "eventID": event_id,
        "readOnly": op.read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": p.account,
        "eventCategory": "Management",
    });
    let r = AuditRecord {
        event_id,
        at,
        account: p.account.clone(),
        region: p.region.clone(),
        event_name: op.name.to_owned(),
        event_source: op.event_source(),
        read_only: op.read_only,
        access_key_id: Some(p.access_key_id.clone()),
        username: caller.username(),
        error_code,
        record,
    };
    if let Err(e) = app.store.access_store().append_audit(&r) {
        // the call already happened; losing its record must at least be loud
        tracing::error!(error = %e, event = %op.name, account = %p.account, "audit record not written");
    }
}

/// `POST /vigil/v1/audit/lookup`: CloudTrail's LookupEvents over the caller's account.
pub fn lookup(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    crate::ops::check_members(
        input,
        &[
            "LookupAttributes",
            "StartTime",
            "EndTime",
            "MaxResults",
            "NextToken",
        ],
    )?;
    let mut q = AuditQuery {
        account: p.account.clone(),
        limit: 50,
        ..Default::default()
    };
    if let Some(m) = input.get("MaxResults") {
        let n = m
            .as_u64()
            .filter(|n| (1..=50).contains(n))
            .ok_or_else(|| ApiError::field("MaxResults", "must be a number from 1 to 50"))?;
        q.limit = n as usize;
    }
    let time = |k: &str| -> Result<Option<String>, ApiError> {
        match input.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let t = match v {
                    Value::Number(n) => n
                        .as_f64()
                        .and_then(|s| OffsetDateTime::from_unix_timestamp(s as i64).ok()),
                    Value::String(s) => {
                        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                            .ok()
                    }
                    _ => None,
                };
                t.map(|t| Some(vigil_store::timestamp(t))).ok_or_else(|| {
                    ApiError::field(k, "must be epoch seconds or an RFC 3339 timestamp")
                })
            }
        }
    };
    q.start = time("StartTime")?;
    q.end = time("EndTime")?;
    if let Some(attrs) = input.get("LookupAttributes") {
        let list = attrs.as_array().filter(|a| a.len() <= 1).ok_or_else(|| {
            ApiError::field(
                "LookupAttributes",
                "must be a list of at most one attribute",
            )
        })?;
        for a in list {
            let key = a.get("AttributeKey").and_then(Value::as_str).unwrap_or("");
            let value = a
                .get("AttributeValue")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty() && v.len() <= 2000)
                .ok_or_else(|| {
                    ApiError::field(
                        "LookupAttributes[0].AttributeValue",
                        "must be a non-empty string",
                    )
                })?
                .to_owned();
            match key {
                "EventName" => q.event_name = Some(value),
                "Username" => q.username = Some(value),
                "AccessKeyId" => q.access_key_id = Some(value),
                "EventId" => q.event_id = Some(value),
                "ReadOnly" => {
                    q.read_only = Some(match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(ApiError::field(
                                "LookupAttributes[0].AttributeValue",
                                "ReadOnly takes true or false",
                            ));
                        }
                    })
                }
                _ => {
                    return Err(ApiError::field(
                        "LookupAttributes[0].AttributeKey",
                        "must be EventName, Username, AccessKeyId, EventId or ReadOnly",
                    ));
                }
            }
        }
    }
    if let Some(t) = input.get("NextToken") {
        let seq = t
            .as_str()
            .and_then(|s| s.strip_prefix("seq:"))
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| ApiError::field("NextToken", "is not a token this server issued"))?;
        q.before_seq = Some(seq);
    }
    let rows = app
        .store
        .access_store()
        .audit(&q)
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    let next = (rows.len() == q.limit)
        .then(|| rows.last().map(|(seq, _)| format!("seq:{seq}")))
        .flatten();
    let events: Vec<Value> = rows
        .into_iter()
        .map(|(_, r)| {
            let epoch =
                OffsetDateTime::parse(&r.at, &time::format_description::well_known::Rfc3339)
                    .map(|t| t.unix_timestamp())
                    .unwrap_or(0);
            json!({
                "EventId": r.event_id,
                "EventName": r.event_name,
                "ReadOnly": r.read_only.to_string(),
                "AccessKeyId": r.access_key_id,
                "EventTime": epoch,
                "EventSource": r.event_source,
                "Username": r.username,
                "Resources": [],
                "CloudTrailEvent": r.record.to_string(),
            })
        })
        .collect();
    let mut out = json!({"Events": events});
    if let Some(n) = next {
        out["NextToken"] = Value::String(n);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_one_path_and_a_distinct_name() {
        let mut names = std::collections::HashSet::new();
        let mut paths = std::collections::HashSet::new();
        for (path, op) in OPERATIONS {
            assert!(paths.insert(*path), "{path} twice");
            assert!(names.insert(op.action()), "{} twice", op.action());
            assert!(
                op.name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
            );
        }
        assert_eq!(
            operation("POST", "/filters/create").map(|o| o.action()),
            Some("inspector2:CreateFilter".to_owned())
        );
        assert!(operation("GET", "/filters/create").is_none());
    }

    #[test]
    fn body_references_are_read_whatever_else_the_body_holds() {
        let r = BodyRefs::read(
            br#"{"tags": ["not", "a map"], "arn": "arn:aws:inspector2:r:1:f", "x": {"y": 1}}"#,
        );
        assert_eq!(r.arns(), ["arn:aws:inspector2:r:1:f"]);
        let r = BodyRefs::read(
            br#"{"arn": "arn:own", "findingArns": ["a", "b"], "arn": "arn:aws:x:r:2:y"}"#,
        );
        assert_eq!(r.arns(), ["arn:aws:x:r:2:y", "a", "b"]);
        let r = BodyRefs::read(br#"{"tags": {"team": "a"}}"#);
        assert!(matches!(r.tags, Some(Value::Object(_))));
        assert!(BodyRefs::read(b"[1]").arns().is_empty());
        assert!(BodyRefs::read(b"not json").arns().is_empty());
    }

    #[test]
    fn built_in_policies_parse_and_secrets_are_hidden() {
        for name in ["read-only", "full-access", "agent"] {
            assert!(
                parse_policies(&[format!("builtin:{name}")]).is_ok(),
                "{name}"
            );
        }
        let e = parse_policies(&["builtin:admin".into()]).err();
        assert_eq!(
            e.as_deref(),
            Some("policies[0]: no built-in policy `admin` (read-only, full-access, agent)")
        );
        let v = json!({"name": "hook", "webhook": {"url": "http://x", "secret": "s3cr3t"},
                       "list": [{"Password": "p"}], "tokenCount": null});
        let r = redact(&v, 10);
        assert_eq!(r["webhook"]["secret"], "HIDDEN_DUE_TO_SECURITY_REASONS");
        assert_eq!(r["list"][0]["Password"], "HIDDEN_DUE_TO_SECURITY_REASONS");
        assert_eq!(r["webhook"]["url"], "http://x");
        assert!(r["tokenCount"].is_null());
        let big = redact(&v, MAX_AUDITED_BODY + 1);
        assert_eq!(big["bodyBytes"], MAX_AUDITED_BODY + 1);
    }
}

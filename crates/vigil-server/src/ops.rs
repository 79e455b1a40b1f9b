//! The operations: inspector2 shapes in and out (botocore's service model), Vigil's own
//! operations under `/vigil/v1/`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use vigil_api::criteria::FilterCriteria;
use vigil_store::{FilterSpec, FindingQuery, ResourceRecord, Submission};

use crate::wire::timestamps_to_epoch;
use crate::{ApiError, App, Principal};

/// Vigil's extension to inspector2 filters: a suppression rule's expiry travels as this tag.
pub const EXPIRES_TAG: &str = "vigil:expiresAt";

pub(crate) fn parse_criteria(
    v: Option<&Value>,
    field: &str,
) -> Result<Option<FilterCriteria>, ApiError> {
    let Some(v) = v else { return Ok(None) };
    let c: FilterCriteria =
        serde_json::from_value(v.clone()).map_err(|e| ApiError::field(field, &e.to_string()))?;
    c.validate()
        .map_err(|e| ApiError::field(field, &e.to_string()))?;
    Ok(Some(c))
}

/// Parsed criteria as the store's matcher: their needles on the stored text, then the test.
pub(crate) fn compiled(c: FilterCriteria) -> vigil_store::Compiled {
    vigil_store::Compiled {
        needles: c.needles(),
        test: Box::new(move |finding| c.matches(finding)),
    }
}

/// The store's matcher: a stored filter's criteria against a finding.
pub fn criteria_matches(criteria: &Value) -> vigil_store::Compiled {
    match serde_json::from_value::<FilterCriteria>(criteria.clone()) {
        Ok(c) => compiled(c),
        // stored criteria were validated when the filter was made; unreadable ones match nothing
        Err(_) => vigil_store::Compiled::never(),
    }
}

pub(crate) fn string_field<'a>(
    input: &'a Value,
    name: &str,
    max: usize,
) -> Result<Option<&'a str>, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(Some(s)),
        Some(Value::String(_)) => Err(ApiError::field(
            name,
            &format!("must be 1 to {max} characters"),
        )),
        Some(_) => Err(ApiError::field(name, "must be a string")),
    }
}

pub(crate) fn check_members(input: &Value, allowed: &[&str]) -> Result<(), ApiError> {
    if let Some(o) = input.as_object() {
        for k in o.keys() {
            if !allowed.contains(&k.as_str()) {
                return Err(ApiError::field(
                    k,
                    "is not a member of this operation's input",
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn max_results(input: &Value, max: u64) -> Result<usize, ApiError> {
    match input.get("maxResults") {
        None | Some(Value::Null) => Ok(max as usize),
        Some(v) => match v.as_u64() {
            Some(n) if (1..=max).contains(&n) => Ok(n as usize),
            _ => Err(ApiError::field(
                "maxResults",
                &format!("must be an integer from 1 to {max}"),
            )),
        },
    }
}

/// Page tokens: the offset into the ordered result plus a digest of the query that made it,
/// so a token is refused with a different query.
pub(crate) fn page_token(offset: usize, query: &str) -> String {
    let digest = Sha256::digest(query.as_bytes());
    let mut b = (offset as u64).to_be_bytes().to_vec();
    b.extend_from_slice(&digest[..8]);
    URL_SAFE_NO_PAD.encode(b)
}

pub(crate) fn read_token(input: &Value, query: &str) -> Result<usize, ApiError> {
    let Some(t) = input.get("nextToken").and_then(Value::as_str) else {
        return Ok(0);
    };
    let bad = || ApiError::field("nextToken", "is not a token this query returned");
    let b = URL_SAFE_NO_PAD.decode(t).map_err(|_| bad())?;
    if b.len() != 16 {
        return Err(bad());
    }
    let digest = Sha256::digest(query.as_bytes());
    if b[8..] != digest[..8] {
        return Err(bad());
    }
    let mut off = [0u8; 8];
    off.copy_from_slice(&b[..8]);
    Ok(u64::from_be_bytes(off) as usize)
}

/// Equality lists the store can apply with its indexes: only when every entry of the
/// criterion is EQUALS (other comparisons are left to the full matcher).
pub(crate) fn equals_values(criteria: Option<&Value>, key: &str) -> Vec<String> {
    let Some(list) = criteria.and_then(|c| c.get(key)).and_then(Value::as_array) else {
        return Vec::new();
    };
    if list.iter().all(|f| f["comparison"] == "EQUALS") {
        list.iter()
            .filter_map(|f| f["value"].as_str().map(str::to_owned))
            .collect()
    } else {
        Vec::new()
    }
}

/// Findings read per store page by [`walk_findings`].
const FINDINGS_PAGE: usize = 1000;

/// Walks the query's findings in ARN order, a page of bounded size at a time (keyset
/// pagination: each page costs the same), until `visit` answers false or none are left.
pub(crate) fn walk_findings(
    app: &App,
    q: &FindingQuery,
    mut visit: impl FnMut(Vec<Value>) -> bool,
) -> Result<(), ApiError> {
    let mut after: Option<String> = None;
    loop {
        let page = app
            .store
            .report_store()
            .findings_page(q, after.as_deref(), FINDINGS_PAGE)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last
            .get("findingArn")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let done = page.len() < FINDINGS_PAGE;
        if !visit(page) || done {
            return Ok(());
        }
    }
}

pub fn list_findings(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(
        input,
        &["filterCriteria", "maxResults", "nextToken", "sortCriteria"],
    )?;
    let criteria = parse_criteria(input.get("filterCriteria"), "filterCriteria")?;
    let sort = match input.get("sortCriteria") {
        None | Some(Value::Null) => None,
        Some(v) => Some(vigil_api::sort::SortCriteria::from_json_at(
            v,
            "sortCriteria",
        )?),
    };
    let limit = max_results(input, 100)?;
    let query_key = format!(
        "{}|{}",
        input
            .get("filterCriteria")
            .map(Value::to_string)
            .unwrap_or_default(),
        input
            .get("sortCriteria")
            .map(Value::to_string)
            .unwrap_or_default()
    );
    let offset = read_token(input, &query_key)?;
    let raw = input.get("filterCriteria");
    let mut q = FindingQuery {
        account: p.account.clone(),
        member_accounts: crate::org::member_accounts(app, p)?,
        region: Some(p.region.clone()),
        page: None,
        statuses: equals_values(raw, "findingStatus"),
        severities: equals_values(raw, "severity"),
        resource_ids: equals_values(raw, "resourceId"),
        arns: equals_values(raw, "findingArn"),
        vulnerability_ids: Vec::new(),
    };
    // When the store's indexes answer the whole query (only EQUALS lists of the indexed
    // members, default order), the page itself is read in SQL; otherwise the residual
    // criteria and the sort run over the pre-filtered rows.
    let indexed = ["findingStatus", "severity", "resourceId", "findingArn"];
    let exact = sort.is_none()
        && raw.and_then(Value::as_object).is_none_or(|m| {
            m.iter().all(|(k, v)| {
                indexed.contains(&k.as_str())
                    && v.as_array()
                        .is_some_and(|l| l.iter().all(|f| f["comparison"] == "EQUALS"))
            })
        });
    // A sort the store can run in SQL (Vigil score, severity, timestamps, status,
    // vulnerability id) reads rows in that order and stops once the page is full; the
    // residual criteria are applied to each row as it is read.
    let ordered = sort.as_ref().and_then(|s| {
        vigil_store::FindingOrder::for_field(s.field.as_str())
            .map(|o| (o, matches!(s.sort_order, vigil_api::sort::SortOrder::Desc)))
    });
    let mut found = if exact {
        q.page = Some((offset, limit + 1));
        app.store.findings(&q, &|_| true)?
    } else if let Some((order, descending)) = ordered {
        q.vulnerability_ids = equals_values(raw, "vulnerabilityId");
        let keep = criteria.clone().map(compiled);
        let (mut page, more) =
            app.store
                .findings_ordered(&q, order, descending, keep.as_ref(), offset, limit)?;
        if more {
            // one more than the page says "more follow", as below
            page.push(Value::Null);
        }
        page
    } else {
        // Any other sort (or residual criteria in ARN order): the findings are read in pages
        // of bounded size and only the best `offset + limit + 1` kept, so memory holds a page
        // and the answer, never the account; in ARN order the walk stops once it has them.
        let want = offset.saturating_add(limit).saturating_add(1);
        let order = |a: &Value, b: &Value| match &sort {
            Some(s) => s.compare(a, b).then_with(|| arn(a).cmp(arn(b))),
            None => arn(a).cmp(arn(b)),
        };
        let mut best: Vec<Value> = Vec::new();
        walk_findings(app, &q, |page| {
            best.extend(
                page.into_iter()
                    .filter(|f| criteria.as_ref().is_none_or(|c| c.matches(f))),
            );
            if best.len() >= want.max(FINDINGS_PAGE) * 2 {
                best.sort_by(order);
                best.truncate(want);
            }
            sort.is_some() || best.len() < want
        })?;
        best.sort_by(order);
        best.truncate(want);
        best.into_iter().skip(offset).collect()
    };
    let more = found.len() > limit;
    found.truncate(limit);
    for f in &mut found {
        timestamps_to_epoch(f);
    }
    let mut out = json!({"findings": found});
    if more {
        out["nextToken"] = json!(page_token(offset + limit, &query_key));
    }
    Ok(out)
}

fn arn(v: &Value) -> &str {
    v.get("findingArn").and_then(Value::as_str).unwrap_or("")
}

fn action(input: &Value) -> Result<Option<String>, ApiError> {
    match string_field(input, "action", 16)? {
        None => Ok(None),
        Some(a @ ("NONE" | "SUPPRESS")) => Ok(Some(a.to_owned())),
        Some(_) => Err(ApiError::field("action", "must be NONE or SUPPRESS")),
    }
}

fn tags(input: &Value) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    match input.get("tags") {
        None | Some(Value::Null) => Ok(Default::default()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| ApiError::field("tags", "must map strings to strings")),
    }
}

fn expiry(tags: &std::collections::BTreeMap<String, String>) -> Result<Option<String>, ApiError> {
    let Some(t) = tags.get(EXPIRES_TAG) else {
        return Ok(None);
    };
    let at =
        OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).map_err(|_| {
            ApiError::field("tags", &format!("`{EXPIRES_TAG}` must be an RFC 3339 time"))
        })?;
    Ok(Some(vigil_store::timestamp(at)))
}

pub fn create_filter(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(
        input,
        &[
            "action",
            "description",
            "filterCriteria",
            "name",
            "reason",
            "tags",
        ],
    )?;
    let name =
        string_field(input, "name", 128)?.ok_or_else(|| ApiError::field("name", "is required"))?;
    let action = action(input)?.ok_or_else(|| ApiError::field("action", "is required"))?;
    if parse_criteria(input.get("filterCriteria"), "filterCriteria")?.is_none() {
        return Err(ApiError::field("filterCriteria", "is required"));
    }
    let tags = tags(input)?;
    let spec = FilterSpec {
        name: name.to_owned(),
        action,
        criteria: input["filterCriteria"].clone(),
        description: string_field(input, "description", 512)?.map(str::to_owned),
        reason: string_field(input, "reason", 512)?.map(str::to_owned),
        expires_at: expiry(&tags)?,
        tags,
    };
    let arn = app.store.create_filter(
        &p.account,
        &p.region,
        spec,
        OffsetDateTime::now_utc(),
        &criteria_matches,
    )?;
    Ok(json!({"arn": arn}))
}

pub fn update_filter(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(
        input,
        &[
            "action",
            "description",
            "filterArn",
            "filterCriteria",
            "name",
            "reason",
        ],
    )?;
    let arn = string_field(input, "filterArn", 128)?
        .ok_or_else(|| ApiError::field("filterArn", "is required"))?;
    let action = action(input)?;
    let criteria = parse_criteria(input.get("filterCriteria"), "filterCriteria")?
        .map(|_| input["filterCriteria"].clone());
    let name = string_field(input, "name", 128)?.map(str::to_owned);
    let description = string_field(input, "description", 512)?.map(str::to_owned);
    let reason = string_field(input, "reason", 512)?.map(str::to_owned);
    let f = app.store.update_filter(
        &p.account,
        arn,
        &|f| {
            if let Some(a) = &action {
                f.action = a.clone();
            }
            if let Some(c) = &criteria {
                f.criteria = c.clone();
            }
            if let Some(n) = &name {
                f.name = n.clone();
            }
            if description.is_some() {
                f.description = description.clone();
            }
            if reason.is_some() {
                f.reason = reason.clone();
            }
        },
        OffsetDateTime::now_utc(),
        &criteria_matches,
    )?;
    Ok(json!({"arn": f.arn}))
}

pub fn delete_filter(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["arn"])?;
    let arn =
        string_field(input, "arn", 128)?.ok_or_else(|| ApiError::field("arn", "is required"))?;
    app.store.delete_filter(
        &p.account,
        arn,
        OffsetDateTime::now_utc(),
        &criteria_matches,
    )?;
    Ok(json!({"arn": arn}))
}

pub fn list_filters(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["action", "arns", "maxResults", "nextToken"])?;
    let action = action(input)?;
    let arns: Vec<String> = match input.get("arns") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| ApiError::field("arns", "must be a list of strings"))?,
    };
    let limit = max_results(input, 100)?;
    let key = format!("{action:?}|{arns:?}");
    let offset = read_token(input, &key)?;
    // Vigil's extension: how many findings each suppression rule suppresses now (clients of
    // the inspector2 model drop the member)
    let counts = app.store.suppressed_counts(&p.account)?;
    let all: Vec<Value> = app
        .store
        .filters(&p.account)?
        .into_iter()
        .filter(|f| action.as_ref().is_none_or(|a| &f.action == a))
        .filter(|f| arns.is_empty() || arns.contains(&f.arn))
        .map(|f| {
            let mut v = json!({
                "action": f.action, "arn": f.arn, "createdAt": f.created_at, "criteria": f.criteria,
                "name": f.name, "ownerId": f.owner_id, "updatedAt": f.updated_at, "tags": f.tags,
            });
            if let Some(d) = f.description {
                v["description"] = json!(d);
            }
            if let Some(r) = f.reason {
                v["reason"] = json!(r);
            }
            if f.action == "SUPPRESS" {
                v["vigilSuppressedFindings"] = json!(counts.get(&f.arn).copied().unwrap_or(0));
            }
            timestamps_to_epoch(&mut v);
            v
        })
        .collect();
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    let mut out = json!({"filters": page});
    if offset + limit < total {
        out["nextToken"] = json!(page_token(offset + limit, &key));
    }
    Ok(out)
}

/// Facts `vigil agent` reports about its host (the `host` member of a scan submission).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HostFacts {
    hostname: Option<String>,
    machine_id: Option<String>,
    kernel: Option<String>,
    os: Option<HostOs>,
    #[serde(default)]
    ip_v4_addresses: Vec<String>,
    #[serde(default)]
    ip_v6_addresses: Vec<String>,
    /// The host's listening sockets as sent; [`HostFacts::parse`] checks them into `sockets`.
    #[serde(default)]
    listening: Option<Value>,
    #[serde(skip)]
    sockets: Option<Vec<Value>>,
}

#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HostOs {
    id: Option<String>,
    version_id: Option<String>,
    pretty_name: Option<String>,
}

impl HostFacts {
    fn parse(v: &Value) -> Result<HostFacts, ApiError> {
        let mut h: HostFacts = serde_json::from_value(v.clone())
            .map_err(|e| ApiError::field("host", &e.to_string()))?;
        let too_long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > 1024);
        if too_long(&h.hostname) || too_long(&h.machine_id) || too_long(&h.kernel) {
            return Err(ApiError::field(
                "host",
                "members are at most 1024 characters",
            ));
        }
        for a in &h.ip_v4_addresses {
            if a.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(ApiError::field(
                    "host.ipV4Addresses",
                    &format!("`{a}` is not an IPv4 address"),
                ));
            }
        }
        for a in &h.ip_v6_addresses {
            if a.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(ApiError::field(
                    "host.ipV6Addresses",
                    &format!("`{a}` is not an IPv6 address"),
                ));
            }
        }
        if h.ip_v4_addresses.len() > 64 || h.ip_v6_addresses.len() > 64 {
            return Err(ApiError::field(
                "host",
                "at most 64 addresses of each family",
            ));
        }
        h.sockets = match h.listening.take() {
            None | Some(Value::Null) => None,
            Some(l) => Some(parse_listening(&l, "host.listening")?),
        };
        Ok(h)
    }

    /// `ResourceDetails` of the host: `awsEc2Instance` (platform from the inventory's
    /// distribution, empty when it could not be identified; the addresses) and Vigil's own
    /// `vigil` member with what inspector2 has no place for (hostname, machine id, OS, kernel,
    /// and the listening sockets when the agent sent them).
    fn details(self, platform: String) -> Value {
        let mut details = json!({
            "awsEc2Instance": {
                "platform": platform,
                "ipV4Addresses": self.ip_v4_addresses,
                "ipV6Addresses": self.ip_v6_addresses,
            },
            "vigil": {
                "hostname": self.hostname,
                "machineId": self.machine_id,
                "kernel": self.kernel,
                "os": self.os,
                "agent": true,
            },
        });
        if let Some(l) = self.sockets {
            details["vigil"][LISTENING] = Value::Array(l);
        }
        details
    }
}

/// The member of a host's `vigil` details holding its listening sockets.
pub(crate) const LISTENING: &str = "listening";
/// The most listening sockets a host reports.
pub(crate) const MAX_LISTENING: usize = 4096;

/// A host agent's listening sockets (`[{"protocol": "tcp"|"udp", "address": IPv4, "port":
/// 1-65535, "process"?: ≤ 256 characters}]`, at most [`MAX_LISTENING`]), normalised for
/// storage; errors name the member (`host.listening[3].port`).
pub(crate) fn parse_listening(v: &Value, member: &str) -> Result<Vec<Value>, ApiError> {
    let Some(list) = v.as_array() else {
        return Err(ApiError::field(member, "must be a list of sockets"));
    };
    if list.len() > MAX_LISTENING {
        return Err(ApiError::field(
            member,
            &format!("at most {MAX_LISTENING} sockets"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let at = |k: &str| format!("{member}[{i}].{k}");
        let Some(o) = s.as_object() else {
            return Err(ApiError::field(
                &format!("{member}[{i}]"),
                "must be an object with protocol, address, port and process",
            ));
        };
        if let Some(k) = o
            .keys()
            .find(|k| !["protocol", "address", "port", "process", "packages"].contains(&k.as_str()))
        {
            return Err(ApiError::field(&at(k), "is not a member of a socket"));
        }
        let protocol = match o.get("protocol").and_then(Value::as_str) {
            Some(p @ ("tcp" | "udp")) => p,
            _ => return Err(ApiError::field(&at("protocol"), "must be `tcp` or `udp`")),
        };
        let address = o
            .get("address")
            .and_then(Value::as_str)
            .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok())
            .ok_or_else(|| ApiError::field(&at("address"), "must be an IPv4 address"))?;
        let port = o
            .get("port")
            .and_then(Value::as_u64)
            .filter(|p| (1..=65535).contains(p))
            .ok_or_else(|| ApiError::field(&at("port"), "must be an integer from 1 to 65535"))?;
        let mut socket =
            json!({"protocol": protocol, "address": address.to_string(), "port": port});
        match o.get("process") {
            None | Some(Value::Null) => {}
            Some(Value::String(p)) if !p.is_empty() && p.chars().count() <= 256 => {
                socket["process"] = json!(p);
            }
            Some(_) => {
                return Err(ApiError::field(
                    &at("process"),
                    "must be a string of 1 to 256 characters",
                ));
            }
        }
        // the installed packages the owning process runs (its executable and libraries)
        match o.get("packages") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list))
                if list.len() <= 64
                    && list.iter().all(|p| {
                        p.as_str().is_some_and(|p| {
                            !p.is_empty()
                                && p.len() <= 256
                                && p.bytes()
                                    .all(|b| b.is_ascii_alphanumeric() || b"+-._:~".contains(&b))
                        })
                    }) =>
            {
                socket["packages"] = Value::Array(list.clone());
            }
            Some(_) => {
                return Err(ApiError::field(
                    &at("packages"),
                    "must be a list of at most 64 package names",
                ));
            }
        }
        out.push(socket);
    }
    Ok(out)
}

/// `POST /vigil/v1/scans`: `{"sbom": <CycloneDX or SPDX JSON of the target>, "resourceId"?,
/// "tags"?, "host"?}`. With `host` (facts sent by `vigil agent`), the resource is an
/// agent-managed EC2 instance: the facts land in its details and the submission counts as a
/// heartbeat. Matches the inventory against the server's advisory database and records the
/// result (the finding lifecycle), answering what changed.
pub fn submit_scan(app: &App, p: &Principal, body: &[u8]) -> Result<Value, ApiError> {
    // The SBOM is decoded straight from the request bytes (it is most of the body): only the
    // other members go through `Value`.
    let members: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
        serde_json::from_slice(body).map_err(|e| {
            ApiError::validation(&format!("request body is not a valid JSON object: {e}"))
        })?;
    let mut input = serde_json::Map::new();
    let mut sbom = None;
    for (k, raw) in members {
        match k.as_str() {
            "sbom" => sbom = Some(raw),
            "resourceId" | "tags" | "host" => {
                let v: Value = serde_json::from_str(raw.get())
                    .map_err(|e| ApiError::field(&k, &e.to_string()))?;
                input.insert(k, v);
            }
            _ => {
                return Err(ApiError::field(
                    &k,
                    "is not a member of this operation's input",
                ));
            }
        }
    }
    let input = Value::Object(input);
    let sbom = sbom.ok_or_else(|| ApiError::field("sbom", "is required"))?;
    let bytes = sbom.get().as_bytes();
    let resource_id = string_field(&input, "resourceId", 1024)?;
    let inventory =
        inventory_of(bytes, resource_id).map_err(|e| ApiError::field("sbom", &e.to_string()))?;
    let host = match input.get("host") {
        None | Some(Value::Null) => None,
        Some(v) => Some(HostFacts::parse(v)?),
    };
    let now = OffsetDateTime::now_utc();
    let details = match host {
        None => None,
        Some(h) => {
            let kind = vigil_matcher::resource(
                &inventory,
                &vigil_matcher::MatchOptions {
                    account: p.account.clone(),
                    region: p.region.clone(),
                    observed_at: vigil_store::timestamp(now),
                    exposure: Default::default(),
                },
            )
            .kind;
            if kind != "AWS_EC2_INSTANCE" {
                return Err(ApiError::field(
                    "host",
                    "is only for a host's inventory (a directory, not an image or a function)",
                ));
            }
            let platform = inventory
                .distro
                .as_ref()
                .map(|d| {
                    format!(
                        "{}_{}",
                        d.id.to_uppercase(),
                        d.version_id.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            Some(h.details(platform))
        }
    };
    let agent = details.is_some();
    let (r, report, kind) = derive(
        app,
        &p.account,
        &p.region,
        &inventory,
        tags(&input)?,
        details,
        vigil_store::Origin::Scan,
        None,
        None,
    )?;
    if agent {
        app.store
            .heartbeat(&p.account, &p.region, &r.resource_id, now)?;
    }
    Ok(json!({
        "resourceId": r.resource_id, "resourceType": kind, "findings": report.findings.len(),
        "new": r.new, "updated": r.updated, "reopened": r.reopened, "closed": r.closed,
        "active": r.active, "suppressed": r.suppressed, "notes": report.notes,
    }))
}

/// A stored or submitted inventory (CycloneDX or SPDX JSON), under `resource_id` when given
/// (an image's digest too).
pub(crate) fn inventory_of(
    bytes: &[u8],
    resource_id: Option<&str>,
) -> Result<vigil_types::Inventory, vigil_sbom::Error> {
    let mut inventory = vigil_sbom::decode(bytes, "sbom")?;
    rename(&mut inventory, resource_id);
    Ok(inventory)
}

/// A stored inventory: Vigil's own JSON, or (stored by earlier versions) the submitted SBOM.
/// `POST /vigil/v1/resources/sbom {"resourceId", "format"?: "CYCLONEDX"|"SPDX"}`: a
/// resource's SBOM (CycloneDX 1.6 or SPDX 2.3) from its stored inventory, in the caller's
/// account and region.
pub fn resource_sbom(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["resourceId", "format"])?;
    let id = string_field(input, "resourceId", 1024)?
        .ok_or_else(|| ApiError::field("resourceId", "is required"))?;
    let format = string_field(input, "format", 16)?.unwrap_or("CYCLONEDX");
    if format != "CYCLONEDX" && format != "SPDX" {
        return Err(ApiError::field("format", "must be CYCLONEDX or SPDX"));
    }
    let Some((_, bytes)) = app.store.resource_inventory(&p.account, &p.region, id)? else {
        return Err(ApiError::not_found(&format!(
            "resource {id} has no stored inventory in {}",
            p.region
        )));
    };
    let inventory = stored_inventory(&bytes, id)
        .map_err(|e| ApiError::internal(&format!("stored inventory of `{id}`: {e}")))?;
    let text = if format == "SPDX" {
        vigil_sbom::to_spdx(&inventory)
    } else {
        vigil_sbom::to_cyclonedx(&inventory)
    }
    .map_err(|e| ApiError::internal(&format!("SBOM of `{id}`: {e}")))?;
    let document: Value = serde_json::from_str(&text)
        .map_err(|e| ApiError::internal(&format!("SBOM of `{id}`: {e}")))?;
    Ok(json!({"resourceId": id, "format": format, "document": document}))
}

pub(crate) fn stored_inventory(
    bytes: &[u8],
    resource_id: &str,
) -> Result<vigil_types::Inventory, vigil_sbom::Error> {
    match serde_json::from_slice::<vigil_types::Inventory>(bytes) {
        Ok(mut inventory) => {
            rename(&mut inventory, Some(resource_id));
            Ok(inventory)
        }
        Err(_) => inventory_of(bytes, Some(resource_id)),
    }
}

fn rename(inventory: &mut vigil_types::Inventory, resource_id: Option<&str>) {
    if let Some(id) = resource_id {
        inventory.target.name = id.to_owned();
        // a registry image keeps its digest (its resource id is the registry's ARN)
        if inventory.target.kind == vigil_source::REGISTRY_KIND {
            return;
        }
        if let Some(img) = inventory.target.image.as_mut() {
            img.manifest_digest = Some(id.to_owned());
        }
    }
}

/// Resource tags that exclude a resource from scanning: Inspector's EC2 exclusion tag (any
/// value), and Vigil's own for any resource type.
pub const EXCLUSION_TAGS: [&str; 2] = ["InspectorEc2Exclusion", "vigil:exclude"];

/// Matches an inventory against the advisory database and records the result (the finding
/// lifecycle): for a scan, or for a re-evaluation of the stored inventory (of the packages in
/// `scope` only, when given). `details` replaces the resource details derived from the
/// inventory (a host's facts from its agent, a stored resource's details). `memo` remembers
/// record evaluations across calls against the same database (a re-evaluation run).
#[allow(clippy::too_many_arguments)] // one call per origin; a parameter struct would only rename them
pub(crate) fn derive(
    app: &App,
    account: &str,
    region: &str,
    inventory: &vigil_types::Inventory,
    tags: std::collections::BTreeMap<String, String>,
    details: Option<Value>,
    origin: vigil_store::Origin,
    scope: Option<std::collections::HashSet<String>>,
    memo: Option<&mut vigil_matcher::Memo>,
) -> Result<(vigil_store::IngestReport, vigil_matcher::Report, String), ApiError> {
    let now = OffsetDateTime::now_utc();
    let mut opts = vigil_matcher::MatchOptions {
        account: account.to_owned(),
        region: region.to_owned(),
        observed_at: vigil_store::timestamp(now),
        exposure: Default::default(),
    };
    // what the account's last network analysis says of the resource (the Vigil score)
    opts.exposure = crate::network::exposure(
        app,
        account,
        region,
        &vigil_matcher::resource(inventory, &opts).id,
        details.as_ref().and_then(|d| d.pointer("/vigil/listening")),
    )?;
    // An exclusion tag: the resource is not scanned; its coverage says why and its open
    // findings close (removing the tag makes the next inventory count again)
    if let Some(tag) = EXCLUSION_TAGS.iter().find(|t| tags.contains_key(**t)) {
        let mut resource = vigil_matcher::resource(inventory, &opts);
        resource.tags = tags;
        if let Some(d) = details {
            resource.details = Some(d);
        }
        let record = ResourceRecord {
            kind: resource.kind.clone(),
            id: resource.id.clone(),
            region: region.to_owned(),
            tags: resource.tags.clone(),
            details: resource.details.clone(),
        };
        app.store
            .registry_store()
            .set_resource_status(account, &record, "EXCLUDED_BY_TAG")?;
        let closed = app.store.registry_store().stop_monitoring(
            account,
            region,
            &record.id,
            "EXCLUDED_BY_TAG",
            now,
        )?;
        tracing::info!(resource = %record.id, tag, closed, "resource excluded by tag");
        let report = vigil_matcher::Report {
            notes: vec![format!("excluded from scanning by its `{tag}` tag")],
            ..Default::default()
        };
        return Ok((
            vigil_store::IngestReport {
                resource_id: record.id,
                closed,
                ..Default::default()
            },
            report,
            resource.kind,
        ));
    }
    // A scan matched against a database that a re-evaluation replaced meanwhile is matched
    // again before it is stored, so that the re-evaluation cannot miss it.
    let mut memo = memo;
    let mut attempts = 0;
    let report = loop {
        let generation = app.db_generation();
        let report = app.with_db(|db| {
            vigil_matcher::match_inventory_with(inventory, db, &opts, memo.as_deref_mut())
                .map_err(|e| ApiError::internal(&format!("matching failed: {e}")))
        })?;
        attempts += 1;
        if app.db_generation() == generation || attempts >= 3 {
            break report;
        }
    };
    let mut resource = vigil_matcher::resource(inventory, &opts);
    resource.tags = tags;
    if let Some(d) = details {
        resource.details = Some(d);
    }
    // a host's listening sockets stay with the resource: they change apart from its packages
    let mut shown = serde_json::to_value(&resource).unwrap_or(Value::Null);
    if let Some(v) = shown
        .pointer_mut("/details/vigil")
        .and_then(Value::as_object_mut)
    {
        v.remove(LISTENING);
    }
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
            v["resources"] = json!([shown]);
            if resource.kind == "AWS_LAMBDA_FUNCTION" {
                crate::functions::annotate_layer(&mut v, resource.details.as_ref());
            }
            v
        })
        .collect();
    let record = ResourceRecord {
        kind: resource.kind.clone(),
        id: resource.id.clone(),
        region: region.to_owned(),
        tags: resource.tags.clone(),
        details: resource.details.clone(),
    };
    // the inventory is kept in Vigil's own JSON (what a re-evaluation reads back, several
    // times faster than decoding an SBOM); a re-evaluation does not store it again
    let stored = match origin {
        vigil_store::Origin::Scan => serde_json::to_vec(inventory)
            .map_err(|e| ApiError::internal(&format!("encoding the inventory: {e}")))?,
        vigil_store::Origin::Reevaluation | vigil_store::Origin::NetworkAnalysis => Vec::new(),
    };
    let r = app.store.ingest(
        Submission {
            account,
            region,
            resource: record,
            inventory: &stored,
            findings,
            now,
            keys: report.keys.iter().cloned().collect(),
            origin,
            scope,
        },
        &criteria_matches,
    )?;
    Ok((r, report, resource.kind))
}

/// `POST /vigil/v1/findings/history`: `{"findingArn": …}` -> its lifecycle transitions.
pub fn finding_history(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["findingArn"])?;
    let arn = string_field(input, "findingArn", 1024)?
        .ok_or_else(|| ApiError::field("findingArn", "is required"))?;
    let h = app.store.history(&p.account, arn)?;
    if h.is_empty() {
        return Err(ApiError::not_found(&format!(
            "finding {arn} does not exist"
        )));
    }
    Ok(json!({"findingArn": arn, "transitions": h}))
}

/// `POST /vigil/v1/resources/delete`: `{"resourceId": …}` -> the resource is gone (host
/// terminated, image deleted, function removed): its open findings are CLOSED.
pub fn delete_resource(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["resourceId"])?;
    let id = string_field(input, "resourceId", 1024)?
        .ok_or_else(|| ApiError::field("resourceId", "is required"))?;
    let closed = app
        .store
        .delete_resource(&p.account, &p.region, id, OffsetDateTime::now_utc())?;
    Ok(json!({"resourceId": id, "closed": closed}))
}

/// `POST /vigil/v1/agents/heartbeat`: `{"resourceId": …, "listening"?: [socket…]}` -> the
/// time recorded. A host whose heartbeats stop is reported unmanaged by `ListCoverage` (see
/// [`crate::UNMANAGED_AFTER_WINDOWS`]). `listening` (sent when the host's listening sockets
/// changed; see [`parse_listening`]) replaces the sockets stored with the host.
pub fn agent_heartbeat(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["resourceId", "listening"])?;
    let id = string_field(input, "resourceId", 1024)?
        .ok_or_else(|| ApiError::field("resourceId", "is required"))?;
    let listening = match input.get("listening") {
        None | Some(Value::Null) => None,
        Some(l) => Some(parse_listening(l, "listening")?),
    };
    let at = app
        .store
        .heartbeat(&p.account, &p.region, id, OffsetDateTime::now_utc())?;
    let mut out = json!({
        "resourceId": id,
        "heartbeatAt": at,
        "unmanagedAfterSeconds": app.unmanaged_after.whole_seconds(),
    });
    if let Some(l) = listening {
        out["listening"] = json!(l.len());
        app.store
            .host_store()
            .set_listening(&p.account, &p.region, id, &Value::Array(l))?;
    }
    Ok(out)
}

/// Re-applies expiring suppression rules for every account.
pub fn expire_rules(app: &App) {
    let Ok(accounts) = app.store.accounts() else {
        return;
    };
    for a in accounts {
        match app
            .store
            .expire_rules(&a, OffsetDateTime::now_utc(), &criteria_matches)
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(account = %a, findings = n, "suppression rules expired"),
            Err(e) => tracing::warn!(account = %a, "re-applying suppression rules failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member_of(e: ApiError) -> String {
        format!("{e:?}")
    }

    #[test]
    fn listening_sockets_are_checked_and_normalised() {
        let ok = parse_listening(
            &json!([
                {"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"},
                {"protocol": "udp", "address": "127.0.0.53", "port": 53, "process": null},
            ]),
            "listening",
        )
        .expect("valid");
        assert_eq!(
            ok,
            vec![
                json!({"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"}),
                json!({"protocol": "udp", "address": "127.0.0.53", "port": 53}),
            ]
        );
        assert_eq!(
            parse_listening(&json!([]), "listening").expect("empty"),
            Vec::<Value>::new()
        );
        let long = "p".repeat(257);
        for (bad, member) in [
            (json!({"protocol": "tcp"}), "host.listening"),
            (json!([1]), "host.listening[0]"),
            (
                json!([{"protocol": "sctp", "address": "0.0.0.0", "port": 1}]),
                "host.listening[0].protocol",
            ),
            (
                json!([{"protocol": "TCP", "address": "0.0.0.0", "port": 1}]),
                "host.listening[0].protocol",
            ),
            (
                json!([{"protocol": "tcp", "address": "::", "port": 1}]),
                "host.listening[0].address",
            ),
            (
                json!([{"protocol": "tcp", "port": 1}]),
                "host.listening[0].address",
            ),
            (
                json!([{"protocol": "tcp", "address": "0.0.0.0", "port": 0}]),
                "host.listening[0].port",
            ),
            (
                json!([{"protocol": "tcp", "address": "0.0.0.0", "port": 65536}]),
                "host.listening[0].port",
            ),
            (
                json!([{"protocol": "tcp", "address": "0.0.0.0", "port": "22"}]),
                "host.listening[0].port",
            ),
            (
                json!([{"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": long}]),
                "host.listening[0].process",
            ),
            (
                json!([{"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": ""}]),
                "host.listening[0].process",
            ),
            (
                json!([{"protocol": "tcp", "address": "0.0.0.0", "port": 22, "pid": 1}]),
                "host.listening[0].pid",
            ),
        ] {
            let e = member_of(parse_listening(&bad, "host.listening").expect_err("invalid"));
            assert!(e.contains(&format!("\"{member}\"")), "{bad}: {e}");
        }
        let many: Vec<Value> = (0..=MAX_LISTENING)
            .map(|i| json!({"protocol": "tcp", "address": "0.0.0.0", "port": i % 65535 + 1}))
            .collect();
        assert!(parse_listening(&Value::Array(many), "listening").is_err());
    }

    #[test]
    fn host_facts_carry_their_sockets_into_the_details() {
        let h = HostFacts::parse(&json!({
            "hostname": "web-1",
            "listening": [{"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"}],
        }))
        .expect("facts");
        let d = h.details("DEBIAN_12".into());
        assert_eq!(d["vigil"]["listening"][0]["process"], "sshd", "{d}");
        assert_eq!(d["vigil"]["hostname"], "web-1");
        // an agent that does not report sockets: no member
        let d = HostFacts::parse(&json!({"hostname": "web-1"}))
            .expect("facts")
            .details(String::new());
        assert!(d["vigil"].get("listening").is_none(), "{d}");
        assert!(HostFacts::parse(&json!({"listening": [{"protocol": "tcp"}]})).is_err());
    }
}

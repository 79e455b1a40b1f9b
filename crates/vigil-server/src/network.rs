//! `POST /vigil/v1/network/analyze`: the network as users describe it (the AWS CLI's
//! `describe-*` JSON, or Vigil's YAML model) in; NETWORK_REACHABILITY findings out, one per
//! host, protocol and port range the internet can reach, with the exact path of components.
//!
//! The findings follow their own lifecycle beside the package findings of the same hosts
//! (`Origin::NetworkAnalysis`): a later analysis that no longer finds an exposure (the rule was
//! removed) closes its finding; a host the new analysis no longer has gets its network findings
//! closed too. What the importer ignored, and why, is in the answer's `problems`; the rest is
//! analysed.
//!
//! The listening sockets host agents report (stored with each host; see
//! [`crate::ops::parse_listening`]) are added to the model's `listening` for every model host
//! whose id is the agent's resource id in the caller's account and region, beside the sockets
//! the model itself lists (an identical entry is not added twice). An exposure's finding then
//! says which process listens on the port, or that none is known to.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use vigil_network::model::{Listening, Protocol};
use vigil_network::{Exposure, Model, Problem};

use crate::ops::check_members;
use crate::{ApiError, App, Principal};

/// At most this many input files, and this many problems in an answer.
const MAX_FILES: usize = 64;
const MAX_PROBLEMS: usize = 1000;

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Icmp => "ICMP",
        Protocol::All => "ALL",
    }
}

/// The model from the request: `{"format": "aws", "files": {"NAME": <JSON the CLI printed>}}`
/// or `{"format": "yaml", "model": "<YAML text>"}`.
fn read_model(input: &Value) -> Result<(Model, Vec<Problem>), ApiError> {
    check_members(input, &["format", "files", "model"])?;
    match input.get("format").and_then(Value::as_str) {
        Some("aws") => {
            let files = input
                .get("files")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    ApiError::field(
                        "files",
                        "must map file names to the JSON the AWS CLI printed",
                    )
                })?;
            if files.is_empty() || files.len() > MAX_FILES {
                return Err(ApiError::field(
                    "files",
                    &format!("must hold 1 to {MAX_FILES} files"),
                ));
            }
            let bytes: Vec<(String, Vec<u8>)> = files
                .iter()
                .map(|(name, v)| match v {
                    // a file's text, as read from disk
                    Value::String(text) => (name.clone(), text.as_bytes().to_vec()),
                    other => (name.clone(), other.to_string().into_bytes()),
                })
                .collect();
            let refs: Vec<(&str, &[u8])> = bytes
                .iter()
                .map(|(n, b)| (n.as_str(), b.as_slice()))
                .collect();
            Ok(vigil_network::aws::import(&refs))
        }
        Some("yaml") => {
            let text = input
                .get("model")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::field("model", "must be the YAML model's text"))?;
            vigil_network::yaml::parse(text, "model")
                .map_err(|e| ApiError::field("model", &e.to_string()))
        }
        _ => Err(ApiError::field("format", "must be `aws` or `yaml`")),
    }
}

/// A stable id for an exposure: the same host, interface, public address (a balancer has one
/// per subnet: each is its own path), protocol, range and balancer give the same finding (a
/// changed range is a new finding; the old one closes).
fn finding_arn(p: &Principal, e: &Exposure) -> String {
    let identity = format!(
        "network\n{}\n{}\n{}\n{}\n{}-{}\n{}",
        e.host,
        e.interface,
        e.public_ip,
        protocol_name(e.protocol),
        e.ports.from,
        e.ports.to,
        e.via_load_balancer
            .as_ref()
            .map(|(lb, port)| format!("{lb}:{port}"))
            .unwrap_or_default()
    );
    let hash: String = Sha256::digest(identity.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "arn:vigil:inspector2:{}:{}:finding/{hash}",
        p.region, p.account
    )
}

fn resource(p: &Principal, host: &str, model: &Model) -> Value {
    let ips: Vec<String> = model
        .hosts
        .iter()
        .filter(|h| h.id == host)
        .flat_map(|h| h.interfaces.iter())
        .map(|i| i.private_ip.to_string())
        .collect();
    let tags = model
        .hosts
        .iter()
        .find(|h| h.id == host)
        .map(|h| h.tags.clone())
        .unwrap_or_default();
    json!({
        "type": "AWS_EC2_INSTANCE", "id": host, "partition": "vigil", "region": p.region,
        "tags": tags,
        "details": {"awsEc2Instance": {"ipV4Addresses": ips}},
    })
}

/// The inspector2 `Finding` of an exposure.
fn finding(p: &Principal, e: &Exposure, model: &Model) -> Value {
    let ports = if e.ports.from == e.ports.to {
        format!("Port {}", e.ports.from)
    } else {
        format!("Port range {} - {}", e.ports.from, e.ports.to)
    };
    let via = match &e.via_load_balancer {
        Some((lb, port)) => format!(" through load balancer {lb} (listener port {port})"),
        None => String::new(),
    };
    let title = format!("{ports} is reachable from an Internet Gateway{via}");
    let sources: Vec<String> = e.sources.iter().map(ToString::to_string).collect();
    let listening = if e.listening.is_empty() {
        "No process is known to listen there.".to_owned()
    } else {
        let names: Vec<String> = e
            .listening
            .iter()
            .map(|l| {
                format!(
                    "{} on {}:{}",
                    l.process.as_deref().unwrap_or("a process"),
                    l.address,
                    l.port
                )
            })
            .collect();
        format!("Listening: {}.", names.join(", "))
    };
    let description = format!(
        "On {}, network interface {} ({}) accepts {} {} from the internet{via} (sources: {}). {listening}",
        e.host,
        e.interface,
        e.public_ip,
        protocol_name(e.protocol),
        ports.to_lowercase(),
        if sources.len() > 8 {
            format!(
                "{} and {} more ranges",
                sources[..8].join(", "),
                sources.len() - 8
            )
        } else {
            sources.join(", ")
        }
    );
    let steps: Vec<Value> = e
        .path
        .iter()
        .map(|s| json!({"componentId": s.component_id, "componentType": s.component_type}))
        .collect();
    json!({
        "awsAccountId": p.account,
        "findingArn": finding_arn(p, e),
        "type": vigil_network::analysis::FINDING_TYPE,
        "title": title,
        "description": description,
        "severity": e.severity,
        "status": "ACTIVE",
        "networkReachabilityDetails": {
            "networkPath": {"steps": steps},
            "openPortRange": {"begin": e.ports.from, "end": e.ports.to},
            "protocol": protocol_name(e.protocol),
        },
        "remediation": {"recommendation": {"text": "Restrict access: remove or narrow the security group and network ACL rules on the path, or remove the public address (or the load balancer listener) if the port need not face the internet."}},
        "resources": [resource(p, &e.host, model)],
        "vigil": {
            "aliases": [],
            "packageRef": format!("network:{}", e.interface),
            "publicIp": e.public_ip.to_string(),
            "interface": e.interface,
            "sources": sources,
            "listening": e.listening,
            "viaLoadBalancer": e.via_load_balancer.as_ref().map(|(lb, port)| json!({"id": lb, "listenerPort": port})),
        },
    })
}

/// The last analysis of an account and region, parsed once for the many scans and
/// re-evaluations that read it (see [`exposure`]).
#[derive(Debug, Default)]
pub struct Analyzed {
    at: String,
    hosts: BTreeSet<String>,
    reachable: BTreeSet<String>,
    /// host -> its reachable (protocol, first port, last port)s
    exposed: BTreeMap<String, Vec<(String, u64, u64)>>,
}

impl Analyzed {
    fn parse(hosts: Vec<String>, summary: &Value, at: String) -> Analyzed {
        let strings = |v: &Value| -> BTreeSet<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h.as_str().map(str::to_owned))
                .collect()
        };
        let exposed = summary["exposed"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(h, ranges)| {
                let ranges = ranges
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| {
                        Some((r[0].as_str()?.to_owned(), r[1].as_u64()?, r[2].as_u64()?))
                    })
                    .collect();
                (h.clone(), ranges)
            })
            .collect();
        Analyzed {
            at,
            hosts: hosts.into_iter().collect(),
            reachable: strings(&summary["reachable"]),
            exposed,
        }
    }
}

/// Analyses by (account, region), as [`App::network`] caches them: loaded from the store on
/// first use, replaced by each analysis this server runs (the only writer).
pub type AnalysisCache =
    std::sync::Mutex<BTreeMap<(String, String), Option<std::sync::Arc<Analyzed>>>>;

fn analyzed(
    app: &App,
    account: &str,
    region: &str,
) -> Result<Option<std::sync::Arc<Analyzed>>, ApiError> {
    let key = (account.to_owned(), region.to_owned());
    if let Ok(cache) = app.network.lock()
        && let Some(a) = cache.get(&key)
    {
        return Ok(a.clone());
    }
    let loaded = app
        .store
        .host_store()
        .network_analysis(account, region)?
        .map(|(hosts, summary, at)| std::sync::Arc::new(Analyzed::parse(hosts, &summary, at)));
    if let Ok(mut cache) = app.network.lock() {
        cache.insert(key, loaded.clone());
    }
    Ok(loaded)
}

/// What the account's last network analysis in `region` says of `resource_id`: reachable from
/// the internet (it had an exposure), not reachable (analysed without one), or not analysed;
/// and which of its listening services (`listening`: the host's sockets as its details carry
/// them, with the packages their processes run) sit on a port the internet reaches.
pub fn exposure(
    app: &App,
    account: &str,
    region: &str,
    resource_id: &str,
    listening: Option<&Value>,
) -> Result<vigil_matcher::risk::Exposure, ApiError> {
    let Some(a) = analyzed(app, account, region)? else {
        return Ok(Default::default());
    };
    if !a.hosts.contains(resource_id) {
        return Ok(Default::default());
    }
    let ranges = a.exposed.get(resource_id).map_or(&[][..], Vec::as_slice);
    let mut services = Vec::new();
    for s in listening
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|_| !ranges.is_empty())
    {
        let packages: Vec<String> = s["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect();
        let loopback = s["address"]
            .as_str()
            .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok())
            .is_none_or(|a| a.is_loopback());
        let (Some(proto), Some(port)) = (s["protocol"].as_str(), s["port"].as_u64()) else {
            continue;
        };
        let proto = proto.to_ascii_uppercase();
        if packages.is_empty() || loopback {
            continue;
        }
        if ranges
            .iter()
            .any(|(p, from, to)| *p == proto && (*from..=*to).contains(&port))
        {
            services.push(vigil_matcher::risk::Service {
                protocol: proto,
                port: port as u16,
                process: s["process"].as_str().map(str::to_owned),
                packages,
            });
        }
    }
    Ok(vigil_matcher::risk::Exposure {
        internet_reachable: Some(a.reachable.contains(resource_id)),
        analyzed_at: Some(a.at.clone()),
        services,
    })
}

/// Hosts whose reachability an analysis changed get their package findings re-scored from their
/// stored inventories (no rescan): the Vigil score's reachability adjustment follows the
/// network. Answers how many hosts were re-scored.
fn rescore(app: &App, p: &Principal, hosts: &BTreeSet<String>) -> Result<u64, ApiError> {
    let mut n = 0;
    for host in hosts {
        let Some((record, bytes)) = app.store.resource_inventory(&p.account, &p.region, host)?
        else {
            continue; // known to the network only: no packages
        };
        if bytes.is_empty() {
            continue;
        }
        let inventory = crate::ops::stored_inventory(&bytes, host)
            .map_err(|e| ApiError::internal(&e.to_string()))?;
        crate::ops::derive(
            app,
            &p.account,
            &p.region,
            &inventory,
            record.tags,
            record.details,
            vigil_store::Origin::Reevaluation,
            None,
            None,
        )?;
        n += 1;
    }
    Ok(n)
}

/// Adds the sockets agents reported for the model's hosts to `model.listening`; answers how
/// many were added. Stored entries that do not read as sockets are skipped.
fn add_agent_sockets(model: &mut Model, stored: Vec<(String, Value)>) -> usize {
    let hosts: BTreeSet<&str> = model.hosts.iter().map(|h| h.id.as_str()).collect();
    let mut added = Vec::new();
    for (host, sockets) in stored {
        if !hosts.contains(host.as_str()) {
            continue;
        }
        let Value::Array(sockets) = sockets else {
            continue;
        };
        for s in sockets {
            let mut s = s;
            s["host"] = json!(host);
            let Ok(l) = serde_json::from_value::<Listening>(s) else {
                continue;
            };
            let known = model.listening.iter().chain(&added).any(|m: &Listening| {
                m.host == l.host
                    && m.protocol == l.protocol
                    && m.port == l.port
                    && m.address == l.address
            });
            if !known {
                added.push(l);
            }
        }
    }
    let n = added.len();
    model.listening.extend(added);
    n
}

/// `POST /vigil/v1/network/analyze`.
pub fn analyze(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    let (mut model, mut problems) = read_model(input)?;
    let stored = app.store.host_store().listening(&p.account, &p.region)?;
    let from_agents = add_agent_sockets(&mut model, stored);
    let analysis = vigil_network::analyze(&model);
    problems.extend(analysis.problems.iter().cloned());
    let now = OffsetDateTime::now_utc();
    // findings per host; every host of the model gets a submission (none: its findings close)
    let mut by_host: BTreeMap<String, Vec<Value>> = model
        .hosts
        .iter()
        .map(|h| (h.id.clone(), Vec::new()))
        .collect();
    for e in &analysis.exposures {
        by_host
            .entry(e.host.clone())
            .or_default()
            .push(finding(p, e, &model));
    }
    let hosts = app.store.host_store();
    let before = hosts.network_analysis(&p.account, &p.region)?;
    let previous: BTreeSet<String> = before
        .as_ref()
        .map(|(h, _, _)| h.iter().cloned().collect())
        .unwrap_or_default();
    // each host's reachability before and after (None: not analysed)
    let reach_before = |h: &str| -> Option<bool> {
        let (hs, summary, _) = before.as_ref()?;
        hs.iter().any(|x| x == h).then(|| {
            summary["reachable"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == h))
        })
    };
    let reachable: BTreeSet<String> = analysis.exposures.iter().map(|e| e.host.clone()).collect();
    for gone in previous {
        by_host.entry(gone).or_default();
    }
    let (mut new, mut closed, mut reopened, mut open) = (0u64, 0u64, 0u64, 0u64);
    for (host, findings) in &by_host {
        let record = vigil_store::ResourceRecord {
            kind: "AWS_EC2_INSTANCE".into(),
            id: host.clone(),
            region: p.region.clone(),
            tags: model
                .hosts
                .iter()
                .find(|h| &h.id == host)
                .map(|h| h.tags.clone())
                .unwrap_or_default(),
            details: None,
        };
        open += findings.len() as u64;
        let r = app.store.ingest(
            vigil_store::Submission {
                account: &p.account,
                region: &p.region,
                resource: record,
                inventory: b"",
                findings: findings.clone(),
                now,
                keys: Vec::new(),
                origin: vigil_store::Origin::NetworkAnalysis,
                scope: None,
            },
            &crate::ops::criteria_matches,
        )?;
        new += r.new;
        closed += r.closed;
        reopened += r.reopened;
    }
    let analyzed: Vec<String> = model.hosts.iter().map(|h| h.id.clone()).collect();
    // each host's reachable (protocol, port range)s: the Vigil score's exposed services
    let mut exposed: BTreeMap<String, BTreeSet<(String, u16, u16)>> = BTreeMap::new();
    for e in &analysis.exposures {
        exposed.entry(e.host.clone()).or_default().insert((
            protocol_name(e.protocol).to_owned(),
            e.ports.from,
            e.ports.to,
        ));
    }
    let exposed: BTreeMap<String, Vec<Value>> = exposed
        .into_iter()
        .map(|(h, r)| (h, r.into_iter().map(|(p, a, b)| json!([p, a, b])).collect()))
        .collect();
    let shown: Vec<Value> = problems
        .iter()
        .take(MAX_PROBLEMS)
        .map(|pr| json!({"origin": pr.origin, "path": pr.path, "message": pr.message}))
        .collect();
    let summary = json!({
        "hosts": analyzed.len(),
        "exposures": analysis.exposures.len(),
        "problems": problems.len(),
        "reachable": reachable,
        "exposed": exposed,
        "listeningFromAgents": from_agents,
    });
    hosts.set_network_analysis(&p.account, &p.region, &analyzed, &summary, now)?;
    // the cache drops the old analysis (reloaded, stamped as stored, on next use)
    if let Ok(mut cache) = app.network.lock() {
        cache.remove(&(p.account.clone(), p.region.clone()));
    }
    // re-score the package findings of the hosts whose reachability or exposed ports changed
    let exposed_before = |h: &str| -> Value {
        before
            .as_ref()
            .map(|(_, summary, _)| summary["exposed"][h].clone())
            .unwrap_or(Value::Null)
    };
    let changed: BTreeSet<String> = by_host
        .keys()
        .filter(|h| {
            let after = analyzed
                .iter()
                .any(|x| x == *h)
                .then(|| reachable.contains(*h));
            let exposed_after = exposed.get(*h).map(|v| json!(v)).unwrap_or(Value::Null);
            reach_before(h) != after || exposed_before(h) != exposed_after
        })
        .cloned()
        .collect();
    let rescored = rescore(app, p, &changed)?;
    Ok(json!({
        "hosts": analyzed.len(),
        "exposures": analysis.exposures.len(),
        "findings": {"open": open, "new": new, "reopened": reopened, "closed": closed},
        "listeningFromAgents": from_agents,
        "problems": shown,
        "problemCount": problems.len(),
        "rescoredHosts": rescored,
    }))
}

/// `POST /vigil/v1/findings/top-risks`: `{"maxResults"? (1–100, default 10), "filterCriteria"?}`
/// -> the open findings to fix first across the caller's fleet, and why: highest Vigil score
/// (`inspectorScore`) first; ties go to findings exploited in the wild (KEV), then to those with
/// a fix available (actionable now), then to the higher EPSS probability. Each answer names the
/// resource, the package, the score with its base and every adjustment's reason, and the fix.
pub fn top_risks(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["maxResults", "filterCriteria"])?;
    let n = match input.get("maxResults") {
        None | Some(Value::Null) => 10,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| ApiError::field("maxResults", "must be an integer from 1 to 100"))?
            as usize,
    };
    // the caller's criteria, restricted to open findings (ACTIVE), highest score first; ties
    // at the page's edge are resolved within the page of 100
    let mut criteria = input
        .get("filterCriteria")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !criteria.is_object() {
        return Err(ApiError::field("filterCriteria", "must be an object"));
    }
    criteria["findingStatus"] = json!([{"comparison": "EQUALS", "value": "ACTIVE"}]);
    let page = crate::ops::list_findings(
        app,
        p,
        &json!({
            "filterCriteria": criteria,
            "sortCriteria": {"field": "INSPECTOR_SCORE", "sortOrder": "DESC"},
            "maxResults": 100,
        }),
    )?;
    let mut findings: Vec<Value> = page["findings"].as_array().cloned().unwrap_or_default();
    let key = |f: &Value| {
        (
            -(f["inspectorScore"].as_f64().unwrap_or(-1.0) * 10.0).round() as i64,
            f["exploitAvailable"] != "YES",
            f["fixAvailable"] != "YES",
            -(f["epss"]["score"].as_f64().unwrap_or(0.0) * 1e6) as i64,
        )
    };
    findings.sort_by_key(key);
    let top: Vec<Value> = findings
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, f)| {
            let adjusted = &f["inspectorScoreDetails"]["adjustedCvss"];
            let base = f["packageVulnerabilityDetails"]["cvss"]
                .as_array()
                .and_then(|c| {
                    c.iter().find(|c| {
                        c["source"] == adjusted["cvssSource"] && c["version"] == adjusted["version"]
                    })
                })
                .cloned();
            let package = &f["packageVulnerabilityDetails"]["vulnerablePackages"][0];
            let mut why: Vec<String> = Vec::new();
            if let Some(b) = &base {
                why.push(format!(
                    "CVSS {} base {} ({}, {})",
                    b["version"].as_str().unwrap_or(""),
                    b["baseScore"],
                    b["scoringVector"].as_str().unwrap_or(""),
                    b["source"].as_str().unwrap_or("")
                ));
            }
            for a in adjusted["adjustments"].as_array().into_iter().flatten() {
                if let Some(r) = a["reason"].as_str() {
                    why.push(r.to_owned());
                }
            }
            if f["fixAvailable"] == "YES" {
                why.push(format!(
                    "fix available: {}",
                    package["fixedInVersion"]
                        .as_str()
                        .unwrap_or("see remediation")
                ));
            } else {
                why.push("no fixed version yet".into());
            }
            json!({
                "rank": i + 1,
                "findingArn": f["findingArn"],
                "title": f["title"],
                "severity": f["severity"],
                "score": f["inspectorScore"],
                "resourceId": f["resources"][0]["id"],
                "resourceType": f["resources"][0]["type"],
                "package": package["name"],
                "version": package["version"],
                "fixedInVersion": package["fixedInVersion"],
                "exploitAvailable": f["exploitAvailable"],
                "epss": f["epss"]["score"],
                "why": why,
                "remediation": f["remediation"]["recommendation"]["text"],
            })
        })
        .collect();
    Ok(json!({"topRisks": top}))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One public host; its security group opens TCP 22, 8080 and 9000 to the internet.
    const PUBLIC_HOST: &str = "
networks: [{ id: vpc-1, cidrs: [10.0.0.0/16] }]
gateways: [{ id: igw-1, kind: internet, network: vpc-1 }]
route_tables:
  - id: rtb-1
    network: vpc-1
    routes: [{ destination: 0.0.0.0/0, target: { kind: internet_gateway, id: igw-1 } }]
acls:
  - id: acl-1
    network: vpc-1
    inbound: [{ number: 100, action: allow, protocol: all, ports: { from: 0, to: 65535 }, cidr: 0.0.0.0/0 }]
    outbound: [{ number: 100, action: allow, protocol: all, ports: { from: 0, to: 65535 }, cidr: 0.0.0.0/0 }]
subnets: [{ id: subnet-1, network: vpc-1, cidr: 10.0.1.0/24, route_table: rtb-1, acl: acl-1 }]
security_groups:
  - id: sg-1
    network: vpc-1
    inbound:
      - { protocol: tcp, ports: { from: 22, to: 22 }, peers: [{ kind: cidr, value: 0.0.0.0/0 }] }
      - { protocol: tcp, ports: { from: 8080, to: 8080 }, peers: [{ kind: cidr, value: 0.0.0.0/0 }] }
      - { protocol: tcp, ports: { from: 9000, to: 9000 }, peers: [{ kind: cidr, value: 0.0.0.0/0 }] }
hosts:
  - id: i-a
    interfaces:
      - { id: eni-a, subnet: subnet-1, private_ip: 10.0.1.10, public_ip: 198.51.100.10, security_groups: [sg-1] }
listening:
  - { host: i-a, protocol: tcp, port: 22, address: 0.0.0.0, process: sshd-from-yaml }
";

    #[test]
    fn agent_sockets_join_the_model_and_name_the_process() {
        let (mut model, problems) = vigil_network::yaml::parse(PUBLIC_HOST, "model").expect("yaml");
        assert_eq!(problems, Vec::new());
        let stored = vec![
            (
                "i-a".to_owned(),
                json!([
                    // the model already says so: kept as the model has it
                    {"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"},
                    {"protocol": "tcp", "address": "10.0.1.10", "port": 8080, "process": "java"},
                    // loopback: added, but no exposure counts it
                    {"protocol": "tcp", "address": "127.0.0.1", "port": 9000, "process": "redis-server"},
                    {"protocol": "udp", "address": "0.0.0.0", "port": 9000},
                    {"protocol": "sctp", "address": "0.0.0.0", "port": 1},
                ]),
            ),
            (
                "i-not-in-model".to_owned(),
                json!([{"protocol": "tcp", "address": "0.0.0.0", "port": 22}]),
            ),
            ("i-a".to_owned(), json!({"not": "a list"})),
        ];
        assert_eq!(add_agent_sockets(&mut model, stored), 3);
        assert_eq!(model.listening.len(), 4);
        let analysis = vigil_network::analyze(&model);
        let p = Principal {
            account: "111122223333".into(),
            region: "us-east-1".into(),
            access_key_id: "AKID".into(),
        };
        let by_port = |port: u16| {
            let e = analysis
                .exposures
                .iter()
                .find(|e| e.ports.contains(port))
                .unwrap_or_else(|| panic!("no exposure of port {port}: {analysis:?}"));
            finding(&p, e, &model)
        };
        let ssh = by_port(22);
        assert!(
            ssh["description"]
                .as_str()
                .is_some_and(|d| d.ends_with("Listening: sshd-from-yaml on 0.0.0.0:22.")),
            "{ssh}"
        );
        let app = by_port(8080);
        assert!(
            app["description"]
                .as_str()
                .is_some_and(|d| d.ends_with("Listening: java on 10.0.1.10:8080.")),
            "{app}"
        );
        assert_eq!(app["vigil"]["listening"][0]["process"], "java", "{app}");
        assert_eq!(app["vigil"]["listening"][0]["host"], "i-a", "{app}");
        // only loopback (and UDP) there: nothing listens where the internet arrives
        let other = by_port(9000);
        assert!(
            other["description"]
                .as_str()
                .is_some_and(|d| d.ends_with("No process is known to listen there.")),
            "{other}"
        );
        assert_eq!(other["vigil"]["listening"], json!([]));
    }
}

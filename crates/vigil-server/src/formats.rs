//! Findings in other formats, and VEX both ways:
//!
//! * `POST /vigil/v1/findings/export` `{format: "ASFF"|"OCSF", filterCriteria?, maxResults?,
//!   nextToken?}` -> `{format, findings: [...], nextToken?}`: a `ListFindings` page (same
//!   filters, page size and tokens) mapped by [`vigil_export::asff`] or [`vigil_export::ocsf`].
//! * `POST /vigil/v1/vex/export` `{format: "OPENVEX"|"CYCLONEDX", filterCriteria?, author?}` ->
//!   `{format, statements, document}`: the SUPPRESSED package-vulnerability findings (matching
//!   the criteria) as `not_affected` statements, one per (vulnerability, suppression rule),
//!   products the resources with the packages as subcomponents; the rule's reason is the
//!   impact statement, and a rule imported from VEX keeps its justification.
//! * `POST /vigil/v1/vex/import` `{document, format?, reason?, dryRun?}` -> the suppression
//!   rules (filters with action SUPPRESS) made from the document's not-affected statements:
//!   one per (vulnerability, product, component), named `vex:<vulnerability>:<digest>` so that
//!   importing the same document again changes nothing; statements that suppress nothing
//!   (affected, fixed, under investigation) are listed as ignored with the reason. One
//!   transaction: a document with any unreadable statement creates nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use vigil_export::vex::{
    self, Component, ExportStatement, Justification, Product, Purl, ResourceScope, Statement,
    VexFormat,
};
use vigil_store::{FilterSpec, FindingQuery};

use crate::ops::{check_members, criteria_matches, parse_criteria, string_field};
use crate::{ApiError, App, Principal};

/// The largest VEX document imported (as JSON text).
pub const MAX_VEX_DOCUMENT: usize = 8 << 20;
/// The most rules one import makes.
pub const MAX_VEX_RULES: usize = 1000;
/// The most suppressed findings one VEX export reads.
pub const MAX_VEX_FINDINGS: usize = 50_000;

/// Tags a rule imported from VEX carries (what an export writes back).
pub const TAG_FORMAT: &str = "vigil:vexFormat";
pub const TAG_STATUS: &str = "vigil:vexStatus";
pub const TAG_JUSTIFICATION: &str = "vigil:vexJustification";
pub const TAG_VULNERABILITY: &str = "vigil:vexVulnerability";
pub const TAG_PRODUCT: &str = "vigil:vexProduct";
pub const TAG_COMPONENT: &str = "vigil:vexComponent";

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut o: String = s.chars().take(max.saturating_sub(3)).collect();
        o.push_str("...");
        o
    }
}

/// `POST /vigil/v1/findings/export`.
pub fn export_findings(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(
        input,
        &["format", "filterCriteria", "maxResults", "nextToken"],
    )?;
    let format = string_field(input, "format", 16)?
        .ok_or_else(|| ApiError::field("format", "is required (ASFF or OCSF)"))?;
    if !["ASFF", "OCSF"].contains(&format) {
        return Err(ApiError::field("format", "must be ASFF or OCSF"));
    }
    let mut list = input.clone();
    if let Some(o) = list.as_object_mut() {
        o.remove("format");
    }
    let page = crate::ops::list_findings(app, p, &list)?;
    let asff = vigil_export::asff::AsffContext::default();
    let ocsf = vigil_export::ocsf::OcsfContext::default();
    let findings: Vec<Value> = page["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| match format {
            "ASFF" => vigil_export::asff::from_finding(f, &asff),
            _ => vigil_export::ocsf::from_finding(f, &ocsf),
        })
        .collect();
    let mut out = json!({"format": format, "findings": findings});
    if let Some(t) = page.get("nextToken") {
        out["nextToken"] = t.clone();
    }
    Ok(out)
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// `POST /vigil/v1/vex/export`.
pub fn vex_export(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["format", "filterCriteria", "author"])?;
    let format = match string_field(input, "format", 16)? {
        Some("OPENVEX") => VexFormat::OpenVex,
        Some("CYCLONEDX") => VexFormat::CycloneDx,
        Some(_) => return Err(ApiError::field("format", "must be OPENVEX or CYCLONEDX")),
        None => {
            return Err(ApiError::field(
                "format",
                "is required (OPENVEX or CYCLONEDX)",
            ));
        }
    };
    let author = string_field(input, "author", 256)?
        .map(str::to_owned)
        .unwrap_or_else(|| format!("Vigil (account {})", p.account));
    let criteria = parse_criteria(input.get("filterCriteria"), "filterCriteria")?;
    let q = FindingQuery {
        account: p.account.clone(),
        region: Some(p.region.clone()),
        statuses: vec!["SUPPRESSED".into()],
        ..Default::default()
    };
    let count = std::cell::Cell::new(0usize);
    let findings = app.store.findings(&q, &|f| {
        let keep = f.get("type").and_then(Value::as_str) == Some("PACKAGE_VULNERABILITY")
            && criteria.as_ref().is_none_or(|c| c.matches(f));
        if keep {
            count.set(count.get() + 1);
        }
        keep && count.get() <= MAX_VEX_FINDINGS
    })?;
    if count.get() > MAX_VEX_FINDINGS {
        return Err(ApiError::field(
            "filterCriteria",
            &format!(
                "{} suppressed findings match, more than the {MAX_VEX_FINDINGS} one export carries: narrow the criteria",
                count.get()
            ),
        ));
    }
    let rules: HashMap<String, vigil_store::FilterRecord> = app
        .store
        .filters(&p.account)?
        .into_iter()
        .map(|f| (f.arn.clone(), f))
        .collect();
    struct Group {
        aliases: BTreeSet<String>,
        /// resource id -> component key -> component
        products: BTreeMap<String, BTreeMap<String, Component>>,
        timestamp: String,
        rule: String,
        reason: Option<String>,
    }
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for f in &findings {
        let Some(vuln) = text(f, "/packageVulnerabilityDetails/vulnerabilityId") else {
            continue;
        };
        let rule = text(f, "/vigil/suppression/filterArn").unwrap_or("");
        let g = groups
            .entry((vuln.to_owned(), rule.to_owned()))
            .or_insert_with(|| Group {
                aliases: BTreeSet::new(),
                products: BTreeMap::new(),
                timestamp: String::new(),
                rule: rule.to_owned(),
                reason: text(f, "/vigil/suppression/reason").map(str::to_owned),
            });
        for a in f
            .pointer("/vigil/aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                f.pointer("/packageVulnerabilityDetails/relatedVulnerabilities")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            )
            .filter_map(Value::as_str)
        {
            if a != vuln && !a.is_empty() {
                g.aliases.insert(a.to_owned());
            }
        }
        let updated = text(f, "/updatedAt").unwrap_or("");
        if updated > g.timestamp.as_str() {
            g.timestamp = updated.to_owned();
        }
        let resource = text(f, "/resources/0/id").unwrap_or("unknown").to_owned();
        let pkg = f
            .pointer("/packageVulnerabilityDetails/vulnerablePackages/0")
            .unwrap_or(&Value::Null);
        let component = Component {
            purl: text(f, "/vigil/purl").map(str::to_owned),
            name: text(pkg, "/name").map(str::to_owned),
            version: text(pkg, "/version").map(str::to_owned),
        };
        let key = component
            .purl
            .clone()
            .or_else(|| component.name.clone())
            .unwrap_or_default();
        g.products
            .entry(resource)
            .or_default()
            .insert(key, component);
    }
    let statements: Vec<ExportStatement> = groups
        .into_iter()
        .map(|((vuln, _), g)| {
            let rule = rules.get(&g.rule);
            let justification = rule.and_then(|r| {
                let format = VexFormat::from_name(r.tags.get(TAG_FORMAT)?)?;
                Some(Justification {
                    format,
                    label: r.tags.get(TAG_JUSTIFICATION)?.clone(),
                })
            });
            let detail = rule
                .and_then(|r| r.reason.clone())
                .or(g.reason)
                .or_else(|| rule.map(|r| format!("suppressed by rule `{}`", r.name)));
            ExportStatement {
                status: vex::ExportStatus::NotAffected,
                vulnerability: vuln,
                aliases: g.aliases.into_iter().collect(),
                products: g
                    .products
                    .into_iter()
                    .map(|(id, components)| Product {
                        id,
                        purl: None,
                        components: components.into_values().collect(),
                    })
                    .collect(),
                justification,
                detail,
                timestamp: if g.timestamp.is_empty() {
                    vigil_store::timestamp(OffsetDateTime::now_utc())
                } else {
                    g.timestamp
                },
            }
        })
        .collect();
    let document = match format {
        VexFormat::OpenVex => vex::to_openvex(&statements, &author),
        _ => vex::to_cyclonedx(&statements),
    };
    Ok(json!({"format": format.name(), "statements": statements.len(), "document": document}))
}

/// Does finding `f` concern vulnerability `v` (its id, an alias, a related id)?
fn concerns(f: &Value, ids: &BTreeSet<String>) -> bool {
    if text(f, "/packageVulnerabilityDetails/vulnerabilityId").is_some_and(|v| ids.contains(v)) {
        return true;
    }
    f.pointer("/vigil/aliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            f.pointer("/packageVulnerabilityDetails/relatedVulnerabilities")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
        .filter_map(Value::as_str)
        .any(|a| ids.contains(a))
}

/// Is finding `f` on `component`?
fn on_component(f: &Value, c: &Component) -> bool {
    let pkg = f
        .pointer("/packageVulnerabilityDetails/vulnerablePackages/0")
        .unwrap_or(&Value::Null);
    if let Some(want) = c.purl.as_deref().and_then(Purl::parse) {
        let Some(have) = text(f, "/vigil/purl").and_then(Purl::parse) else {
            return false;
        };
        return have.base().eq_ignore_ascii_case(&want.base())
            && want.version.as_ref().is_none_or(|v| {
                have.version.as_ref() == Some(v) || text(pkg, "/version") == Some(v)
            });
    }
    c.name
        .as_deref()
        .is_some_and(|n| text(pkg, "/name") == Some(n))
        && c.version
            .as_deref()
            .is_none_or(|v| text(pkg, "/version") == Some(v))
}

fn in_scope(f: &Value, scope: Option<&ResourceScope>) -> bool {
    let resources = f.get("resources").and_then(Value::as_array);
    match scope {
        None => true,
        Some(ResourceScope::ResourceId(id)) => resources
            .into_iter()
            .flatten()
            .any(|r| text(r, "/id") == Some(id.as_str())),
        Some(ResourceScope::ImageDigest(d)) => resources
            .into_iter()
            .flatten()
            .any(|r| text(r, "/details/awsEcrContainerImage/imageHash") == Some(d.as_str())),
    }
}

fn equals(v: &str) -> Value {
    json!({"comparison": "EQUALS", "value": v})
}

/// One rule to make, and where it came from.
struct Planned {
    spec: FilterSpec,
    statement: String,
    vulnerability: String,
    product: String,
    component: Option<String>,
}

fn plan(
    format: VexFormat,
    doc_id: Option<&str>,
    s: &Statement,
    product: &Product,
    component: Option<&Component>,
    findings: &[&Value],
    reason: Option<&str>,
) -> Result<Planned, ApiError> {
    let scope = product.resource_scope();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    ids.insert(s.vulnerability.clone());
    ids.extend(s.aliases.iter().cloned());
    // the findings the statement is about now: their ids and package names make the criteria
    // (the document may say CVE-… where a finding is a GHSA with that alias)
    let matched: Vec<&Value> = findings
        .iter()
        .copied()
        .filter(|f| concerns(f, &ids))
        .filter(|f| component.is_none_or(|c| on_component(f, c)))
        .filter(|f| in_scope(f, scope.as_ref()))
        .collect();
    let mut vuln_ids: BTreeSet<String> = BTreeSet::new();
    vuln_ids.insert(s.vulnerability.clone());
    for f in &matched {
        if let Some(v) = text(f, "/packageVulnerabilityDetails/vulnerabilityId") {
            vuln_ids.insert(v.to_owned());
        }
    }
    let mut criteria = serde_json::Map::new();
    criteria.insert(
        "vulnerabilityId".into(),
        Value::Array(vuln_ids.iter().take(10).map(|v| equals(v)).collect()),
    );
    if let Some(c) = component {
        let mut packages: BTreeSet<(String, Option<String>)> = matched
            .iter()
            .filter_map(|f| {
                let p = f.pointer("/packageVulnerabilityDetails/vulnerablePackages/0")?;
                Some((
                    text(p, "/name")?.to_owned(),
                    text(p, "/version").map(str::to_owned),
                ))
            })
            .collect();
        if packages.is_empty() {
            let Some(name) = c.name.clone() else {
                return Err(ApiError::field(
                    &s.location,
                    "a product names no package (no purl or name)",
                ));
            };
            packages.insert((name, c.version.clone()));
        }
        let list: Vec<Value> = packages
            .iter()
            .take(10)
            .map(|(n, v)| {
                let mut o = json!({"name": equals(n)});
                if let Some(v) = v {
                    o["version"] = equals(v);
                }
                o
            })
            .collect();
        criteria.insert("vulnerablePackages".into(), Value::Array(list));
    }
    match &scope {
        Some(ResourceScope::ResourceId(id)) => {
            criteria.insert("resourceId".into(), json!([equals(id)]));
        }
        Some(ResourceScope::ImageDigest(d)) => {
            criteria.insert("ecrImageHash".into(), json!([equals(d)]));
        }
        None => {}
    }
    let criteria = Value::Object(criteria);
    parse_criteria(Some(&criteria), &s.location)?;
    let component_key = component
        .and_then(|c| c.purl.clone().or_else(|| c.name.clone()))
        .unwrap_or_default();
    let digest =
        Sha256::digest(format!("{}\0{}\0{component_key}", s.vulnerability, product.id).as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("vex:{}:{hex}", clip(&s.vulnerability, 100));
    let mut tags = BTreeMap::new();
    tags.insert(TAG_FORMAT.to_owned(), format.name().to_owned());
    tags.insert(TAG_STATUS.to_owned(), clip(&s.status, 256));
    tags.insert(TAG_VULNERABILITY.to_owned(), clip(&s.vulnerability, 256));
    tags.insert(TAG_PRODUCT.to_owned(), clip(&product.id, 256));
    if !component_key.is_empty() {
        tags.insert(TAG_COMPONENT.to_owned(), clip(&component_key, 256));
    }
    if let Some(j) = &s.justification {
        tags.insert(TAG_JUSTIFICATION.to_owned(), j.label.clone());
    }
    let why = s
        .detail
        .clone()
        .or_else(|| reason.map(str::to_owned))
        .unwrap_or_else(|| match &s.justification {
            Some(j) => format!("VEX ({}): {}", format.name(), j.label),
            None => format!("VEX ({}): {}", format.name(), s.status),
        });
    let description = format!(
        "Imported from {} VEX{} ({})",
        format.name(),
        doc_id.map(|d| format!(" document {d}")).unwrap_or_default(),
        s.location
    );
    Ok(Planned {
        spec: FilterSpec {
            name,
            action: "SUPPRESS".into(),
            criteria,
            description: Some(clip(&description, 512)),
            reason: Some(clip(&why, 512)),
            expires_at: None,
            tags,
        },
        statement: s.location.clone(),
        vulnerability: s.vulnerability.clone(),
        product: product.id.clone(),
        component: Some(component_key).filter(|k| !k.is_empty()),
    })
}

/// Why a statement suppresses nothing.
fn ignored_reason(format: VexFormat, status: &str) -> String {
    match (format, status) {
        (_, "fixed" | "resolved" | "resolved_with_pedigree" | "first_fixed") => format!(
            "status `{status}`: not a suppression (the finding closes when a scan sees the fixed version)"
        ),
        (_, "affected" | "exploitable" | "known_affected" | "first_affected" | "last_affected") => {
            format!("status `{status}`: the product is affected, nothing to suppress")
        }
        (_, "") => {
            "no status (a CycloneDX vulnerability without `analysis.state`): not a VEX statement"
                .to_owned()
        }
        _ => format!("status `{status}`: not a not-affected judgement, nothing to suppress"),
    }
}

/// `POST /vigil/v1/vex/import`.
pub fn vex_import(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    check_members(input, &["document", "format", "reason", "dryRun"])?;
    let format = match string_field(input, "format", 16)? {
        None => None,
        Some(f) => Some(
            VexFormat::from_name(f)
                .ok_or_else(|| ApiError::field("format", "must be OPENVEX, CYCLONEDX or CSAF"))?,
        ),
    };
    let reason = string_field(input, "reason", 512)?;
    let dry_run = match input.get("dryRun") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::field("dryRun", "must be a boolean")),
    };
    let parsed: Value;
    let doc = match input.get("document") {
        None | Some(Value::Null) => return Err(ApiError::field("document", "is required")),
        Some(Value::String(s)) => {
            if s.len() > MAX_VEX_DOCUMENT {
                return Err(ApiError::field(
                    "document",
                    &format!("exceeds {MAX_VEX_DOCUMENT} bytes"),
                ));
            }
            parsed = serde_json::from_str(s)
                .map_err(|e| ApiError::field("document", &format!("is not valid JSON: {e}")))?;
            &parsed
        }
        Some(v @ Value::Object(_)) => {
            if v.to_string().len() > MAX_VEX_DOCUMENT {
                return Err(ApiError::field(
                    "document",
                    &format!("exceeds {MAX_VEX_DOCUMENT} bytes"),
                ));
            }
            v
        }
        Some(_) => {
            return Err(ApiError::field(
                "document",
                "must be a JSON object or a string holding one",
            ));
        }
    };
    let (format, statements) =
        vex::parse(doc, format).map_err(|e| ApiError::field(&e.location, &e.message))?;
    let doc_id = doc
        .get("@id")
        .or_else(|| doc.get("serialNumber"))
        .or_else(|| doc.pointer("/document/tracking/id"))
        .and_then(Value::as_str);
    // the account's findings on the statements' vulnerabilities, to resolve packages and ids
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for s in statements.iter().filter(|s| s.not_affected) {
        ids.insert(s.vulnerability.clone());
        ids.extend(s.aliases.iter().cloned());
    }
    let findings = if ids.is_empty() {
        Vec::new()
    } else {
        let q = FindingQuery {
            account: p.account.clone(),
            region: Some(p.region.clone()),
            ..Default::default()
        };
        app.store.findings(&q, &|f| concerns(f, &ids))?
    };
    // findings by every id they are known by, so that each statement looks at its own
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        let mut known: BTreeSet<&str> = BTreeSet::new();
        known.extend(text(f, "/packageVulnerabilityDetails/vulnerabilityId"));
        for list in [
            "/vigil/aliases",
            "/packageVulnerabilityDetails/relatedVulnerabilities",
        ] {
            known.extend(
                f.pointer(list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            );
        }
        for k in known {
            by_id.entry(k).or_default().push(i);
        }
    }
    let mut planned: Vec<Planned> = Vec::new();
    let mut ignored = Vec::new();
    let mut names = BTreeSet::new();
    for s in &statements {
        if !s.not_affected {
            ignored.push(json!({
                "statement": s.location, "vulnerabilityId": s.vulnerability, "status": s.status,
                "reason": ignored_reason(format, &s.status),
            }));
            continue;
        }
        let mut candidates: Vec<usize> = std::iter::once(&s.vulnerability)
            .chain(&s.aliases)
            .filter_map(|id| by_id.get(id.as_str()))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let candidates: Vec<&Value> = candidates.iter().map(|&i| &findings[i]).collect();
        for product in &s.products {
            let own;
            let components: Vec<Option<&Component>> = if !product.components.is_empty() {
                product.components.iter().map(Some).collect()
            } else if product.resource_scope().is_some() {
                vec![None]
            } else {
                own = Component::from_id(product.purl.as_deref().unwrap_or(&product.id));
                vec![Some(&own)]
            };
            for c in components {
                let plan = plan(format, doc_id, s, product, c, &candidates, reason)?;
                // the same (vulnerability, product, component) twice is one rule
                if names.insert(plan.spec.name.clone()) {
                    planned.push(plan);
                }
                if planned.len() > MAX_VEX_RULES {
                    return Err(ApiError::field(
                        "document",
                        &format!(
                            "would make more than {MAX_VEX_RULES} suppression rules; split it"
                        ),
                    ));
                }
            }
        }
    }
    let outcomes: Vec<(Option<String>, vigil_store::Upsert)> = if dry_run {
        let existing: HashMap<String, vigil_store::FilterRecord> = app
            .store
            .filters(&p.account)?
            .into_iter()
            .map(|f| (f.name.clone(), f))
            .collect();
        planned
            .iter()
            .map(|pl| match existing.get(&pl.spec.name) {
                None => (None, vigil_store::Upsert::Created),
                Some(f) => {
                    let same = f.action == pl.spec.action
                        && f.criteria == pl.spec.criteria
                        && f.description == pl.spec.description
                        && f.reason == pl.spec.reason
                        && f.expires_at == pl.spec.expires_at
                        && f.tags == pl.spec.tags;
                    (
                        Some(f.arn.clone()),
                        if same {
                            vigil_store::Upsert::Unchanged
                        } else {
                            vigil_store::Upsert::Updated
                        },
                    )
                }
            })
            .collect()
    } else {
        app.store
            .upsert_filters(
                &p.account,
                &p.region,
                planned.iter().map(|pl| pl.spec.clone()).collect(),
                OffsetDateTime::now_utc(),
                &criteria_matches,
            )?
            .into_iter()
            .map(|(arn, o)| (Some(arn), o))
            .collect()
    };
    let rules: Vec<Value> = planned
        .iter()
        .zip(outcomes)
        .map(|(pl, (arn, outcome))| {
            let mut r = json!({
                "name": pl.spec.name, "outcome": outcome, "statement": pl.statement,
                "vulnerabilityId": pl.vulnerability, "product": pl.product,
                "filterCriteria": pl.spec.criteria, "reason": pl.spec.reason,
            });
            if let Some(a) = arn {
                r["arn"] = json!(a);
            }
            if let Some(c) = &pl.component {
                r["component"] = json!(c);
            }
            r
        })
        .collect();
    tracing::info!(account = %p.account, format = format.name(), rules = rules.len(), ignored = ignored.len(), dry_run, "VEX document imported");
    Ok(json!({
        "format": format.name(), "dryRun": dry_run, "rules": rules, "ignored": ignored,
    }))
}

//! Renderers of findings. Every format carries the same findings; JSON is the inspector2
//! `Finding` shape (`{"findings": [...]}`), the others are views of it.

pub mod asff;
pub mod ocsf;
mod time_value;
pub mod vex;

use serde_json::{Value, json};
use vigil_matcher::finding::Finding;
use vigil_matcher::severity::{SEVERITIES, rank};
use vigil_types::Inventory;

/// `{"findings": [...]}` with each finding in inspector2's shape plus `vigil`.
pub fn to_json(findings: &[Finding], notes: &[String]) -> Result<String, serde_json::Error> {
    let mut doc = json!({ "findings": findings });
    if !notes.is_empty() {
        doc["notes"] = json!(notes);
    }
    serde_json::to_string_pretty(&doc)
}

fn sarif_level(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" | "HIGH" => "error",
        "MEDIUM" => "warning",
        _ => "note",
    }
}

/// SARIF 2.1.0: one rule per vulnerability, one result per finding, located at the file that
/// declares the package (relative URI) with the package as a logical location.
pub fn to_sarif(findings: &[Finding], inv: &Inventory) -> Result<String, serde_json::Error> {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_index = std::collections::HashMap::new();
    let mut results = Vec::new();
    for f in findings {
        let d = &f.package_vulnerability_details;
        let id = &d.vulnerability_id;
        let idx = *rule_index.entry(id.clone()).or_insert_with(|| {
            let score = f.inspector_score.map(|s| format!("{s:.1}"));
            let mut props = json!({
                "tags": ["vulnerability", "security", f.severity],
            });
            if let Some(s) = &score {
                props["security-severity"] = json!(s);
            }
            let short = f.title.clone();
            rules.push(json!({
                "id": id,
                "name": id.replace(['-', ':', '.'], "_"),
                "shortDescription": { "text": short },
                "fullDescription": { "text": f.description },
                "helpUri": d.source_url.clone().or_else(|| d.reference_urls.first().cloned()).unwrap_or_else(|| format!("https://osv.dev/vulnerability/{id}")),
                "help": { "text": f.remediation.recommendation.text },
                "defaultConfiguration": { "level": sarif_level(&f.severity) },
                "properties": props,
            }));
            rules.len() - 1
        });
        let pkg = &d.vulnerable_packages[0];
        let uri = pkg
            .file_path
            .as_deref()
            .unwrap_or("/")
            .trim_start_matches('/')
            .to_owned();
        let uri = if uri.is_empty() { ".".to_owned() } else { uri };
        results.push(json!({
            "ruleId": id,
            "ruleIndex": idx,
            "level": sarif_level(&f.severity),
            "message": { "text": format!(
                "{} {} is affected by {} ({}). {}",
                pkg.name, pkg.version, id, f.severity, f.remediation.recommendation.text
            )},
            "locations": [{
                "physicalLocation": { "artifactLocation": { "uri": uri } },
                "logicalLocations": [{ "name": format!("{}@{}", pkg.name, pkg.version), "kind": "package" }],
            }],
            "partialFingerprints": { "vigilFinding/v1": f.finding_arn.rsplit('/').next().unwrap_or("") },
            "properties": {
                "severity": f.severity,
                "fixAvailable": f.fix_available,
                "fixedInVersion": pkg.fixed_in_version,
                "purl": f.vigil.purl,
                "aliases": f.vigil.aliases,
            },
        }));
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vigil",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/vigil",
                "rules": rules,
            }},
            "results": results,
            "properties": { "target": inv.target.name },
        }],
    });
    serde_json::to_string_pretty(&doc)
}

/// CycloneDX 1.6 VEX: the vulnerabilities with `affects` pointing at the packages (by purl), the
/// analysis state `exploitable` for findings (`resolved` when only a fixed version is known is
/// not claimed: Vigil reports what is installed) and `not_affected` with a justification for
/// records that a distribution marks not affected.
pub fn to_cyclonedx_vex(
    findings: &[Finding],
    judgements: &[vigil_matcher::Judgement],
    inv: &Inventory,
) -> Result<String, serde_json::Error> {
    let mut vulns: Vec<Value> = Vec::new();
    let mut components: Vec<Value> = Vec::new();
    let mut seen_refs = std::collections::BTreeSet::new();
    let mut component = |purl: &str, name: &str, version: &str| -> String {
        let r = if purl.is_empty() {
            format!("{name}@{version}")
        } else {
            purl.to_owned()
        };
        if seen_refs.insert(r.clone()) {
            let mut c = json!({"type": "library", "bom-ref": r, "name": name, "version": version});
            if !purl.is_empty() {
                c["purl"] = json!(purl);
            }
            components.push(c);
        }
        r
    };
    for f in findings {
        let d = &f.package_vulnerability_details;
        let pkg = &d.vulnerable_packages[0];
        let r = component(&f.vigil.purl, &pkg.name, &pkg.version);
        let ratings: Vec<Value> = d
            .cvss
            .iter()
            .map(|c| {
                json!({
                    "source": { "name": c.source },
                    "score": c.base_score,
                    "severity": vigil_matcher::severity::rating(&c.version, c.base_score).to_lowercase().replace("informational", "info"),
                    "method": match c.version.as_str() { "2.0" => "CVSSv2", "3.0" => "CVSSv3", "4.0" => "CVSSv4", _ => "CVSSv31" },
                    "vector": c.scoring_vector,
                })
            })
            .collect();
        let mut v = json!({
            "id": d.vulnerability_id,
            "source": { "name": d.source },
            "references": d.related_vulnerabilities.iter().map(|id| json!({"id": id, "source": {"name": "vigil"}})).collect::<Vec<_>>(),
            "ratings": ratings,
            "description": f.description,
            "recommendation": f.remediation.recommendation.text,
            "analysis": {
                "state": "exploitable",
                "detail": f.vigil.provenance.iter().map(|p| format!("{}: {}", p.record, p.reason)).collect::<Vec<_>>().join("; "),
            },
            "affects": [{ "ref": r, "versions": [{ "version": pkg.version, "status": "affected" }] }],
        });
        if pkg
            .fixed_in_version
            .as_deref()
            .is_some_and(|x| x != "NotAvailable")
        {
            v["analysis"]["response"] = json!(["update"]);
        }
        vulns.push(v);
    }
    for j in judgements
        .iter()
        .filter(|j| j.provenance.verdict == "not-affected" && j.provenance.distro_status.is_some())
    {
        let r = component("", &j.package, &j.version);
        vulns.push(vex::cyclonedx_not_affected(
            &j.provenance.record,
            Some(&j.provenance.feed),
            Some("code_not_present"),
            Some(&j.provenance.reason),
            vec![
                json!({ "ref": r, "versions": [{ "version": j.version, "status": "unaffected" }] }),
            ],
        ));
    }
    // The same vulnerability on the same component found at several locations (an installed
    // distribution and the manifest declaring it) is one VEX statement.
    let mut seen_statements = std::collections::BTreeSet::new();
    vulns.retain(|v| seen_statements.insert(v.to_string()));
    let doc = vex::cyclonedx_document(
        Some(
            json!({ "type": if inv.target.image.is_some() { "container" } else { "application" }, "name": inv.target.name, "bom-ref": "target" }),
        ),
        components,
        vulns,
    );
    serde_json::to_string_pretty(&doc)
}

/// OpenVEX 0.2.0 of a scan: `affected` for each (vulnerability, package) found, with the
/// recommendation as action statement, and `not_affected` (`vulnerable_code_not_present`, the
/// record's reason as impact statement) for packages a distribution's record marks not
/// affected. Products are the packages, by purl (packages without one are left out: OpenVEX
/// names products by IRI).
pub fn to_openvex(
    findings: &[Finding],
    judgements: &[vigil_matcher::Judgement],
    inv: &Inventory,
) -> Result<String, serde_json::Error> {
    use vex::{ExportStatement, ExportStatus, Justification, Product, VexFormat};
    let now = time_value::now_rfc3339();
    let product = |purl: &str| Product {
        id: purl.to_owned(),
        purl: Some(purl.to_owned()),
        components: Vec::new(),
    };
    let mut statements = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in findings {
        let d = &f.package_vulnerability_details;
        let purl = f.vigil.purl.as_str();
        if purl.is_empty() || !seen.insert((d.vulnerability_id.clone(), purl.to_owned())) {
            continue;
        }
        let mut aliases: Vec<String> = d
            .related_vulnerabilities
            .iter()
            .chain(&f.vigil.aliases)
            .filter(|a| **a != d.vulnerability_id)
            .cloned()
            .collect();
        aliases.sort();
        aliases.dedup();
        statements.push(ExportStatement {
            status: ExportStatus::Affected {
                action: f.remediation.recommendation.text.clone(),
            },
            vulnerability: d.vulnerability_id.clone(),
            aliases,
            products: vec![product(purl)],
            justification: None,
            detail: None,
            timestamp: now.clone(),
        });
    }
    for j in judgements
        .iter()
        .filter(|j| j.provenance.verdict == "not-affected" && j.provenance.distro_status.is_some())
    {
        let Some(purl) = inv
            .packages
            .iter()
            .find(|p| p.name == j.package && p.version == j.version && !p.purl.is_empty())
            .map(|p| p.purl.clone())
        else {
            continue;
        };
        if !seen.insert((j.provenance.record.clone(), purl.clone())) {
            continue;
        }
        statements.push(ExportStatement {
            status: ExportStatus::NotAffected,
            vulnerability: j.provenance.record.clone(),
            aliases: j
                .ids
                .iter()
                .filter(|i| **i != j.provenance.record)
                .cloned()
                .collect(),
            products: vec![product(&purl)],
            justification: Some(Justification {
                format: VexFormat::OpenVex,
                label: "vulnerable_code_not_present".into(),
            }),
            detail: Some(j.provenance.reason.clone()),
            timestamp: now.clone(),
        });
    }
    let doc = vex::to_openvex(&statements, &format!("Vigil scan of {}", inv.target.name));
    serde_json::to_string_pretty(&doc)
}

/// A table grouped by severity; ANSI colour when `colour`.
pub fn to_table(findings: &[Finding], notes: &[String], colour: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let paint = |sev: &str, text: &str| -> String {
        if !colour {
            return text.to_owned();
        }
        let code = match sev {
            "CRITICAL" => "1;31",
            "HIGH" => "31",
            "MEDIUM" => "33",
            "LOW" => "34",
            _ => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    };
    let counts: Vec<(String, usize)> = SEVERITIES
        .iter()
        .map(|s| {
            (
                s.to_string(),
                findings.iter().filter(|f| f.severity == *s).count(),
            )
        })
        .collect();
    let total = findings.len();
    let summary: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| paint(s, &format!("{s} {n}")))
        .collect();
    let _ = writeln!(
        out,
        "{total} findings{}{}",
        if summary.is_empty() { "" } else { ": " },
        summary.join(", ")
    );
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| rank(&f.severity));
    let mut current = "";
    for f in sorted {
        if f.severity != current {
            current = &f.severity;
            let _ = writeln!(out, "\n{}", paint(current, current));
            let _ = writeln!(
                out,
                "  {:<22} {:<28} {:<24} {:<24} {:<5} PATH",
                "VULNERABILITY", "PACKAGE", "INSTALLED", "FIXED", "SCORE"
            );
        }
        let d = &f.package_vulnerability_details;
        let p = &d.vulnerable_packages[0];
        let fixed = p.fixed_in_version.as_deref().unwrap_or("");
        let fixed = if fixed == "NotAvailable" { "-" } else { fixed };
        let mut flags = String::new();
        if f.exploit_available == "YES" {
            flags.push_str(" [KEV]");
        }
        let _ = writeln!(
            out,
            "  {:<22} {:<28} {:<24} {:<24} {:<5} {}{}",
            d.vulnerability_id,
            p.name,
            p.version,
            fixed,
            f.inspector_score
                .map(|s| format!("{s:.1}"))
                .unwrap_or_else(|| "-".into()),
            p.file_path.as_deref().unwrap_or(""),
            flags
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for n in notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

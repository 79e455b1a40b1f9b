//! The Node.js security working group's ecosystem advisories (`vuln/npm/<id>.json`):
//! `module_name`, `vulnerable_versions` as a node-semver range, `cves`, `cvss_vector`.
//! Records become `NSWG-ECO-<id>` (the working group's own identifiers) with one SEMVER range
//! per interval of the range. Node.js core records (`vuln/core/*.json`) describe the runtime,
//! which is not an npm package, and are skipped.

use serde::Deserialize;
use serde_json::{Value, json};
use vigil_version::constraint::npm_range;

use super::{intervals_to_ranges, problem};
use crate::Error;
use crate::import::Problem;
use crate::model::{Advisory, Affected, PackageId, RangeType, Reference, Severity};

#[derive(Deserialize)]
struct Record {
    id: Option<Value>,
    created_at: Option<String>,
    updated_at: Option<String>,
    publish_date: Option<String>,
    title: Option<String>,
    module_name: Option<String>,
    #[serde(default)]
    cves: Option<Vec<String>>,
    vulnerable_versions: Option<String>,
    patched_versions: Option<String>,
    overview: Option<String>,
    recommendation: Option<String>,
    #[serde(default)]
    references: Option<Vec<String>>,
    cvss_vector: Option<String>,
}

fn rfc3339(d: &Option<String>) -> Option<String> {
    let d = d.as_deref()?.trim();
    if d.len() == 10 {
        Some(format!("{d}T00:00:00Z"))
    } else {
        Some(d.to_owned())
    }
}

pub fn parse(
    location: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::Record(format!("`{location}`: invalid JSON: {e}")))?;
    if value.get("module_name").is_none() {
        if value.get("vulnerable").is_some() || location.ends_with("/index.json") {
            return Ok(Vec::new()); // Node.js core (runtime) record
        }
        return Err(Error::Record(format!(
            "`{location}`: not a Node.js security WG record (no `module_name`)"
        )));
    }
    let r: Record =
        serde_json::from_value(value).map_err(|e| Error::Record(format!("`{location}`: {e}")))?;
    let num = match &r.id {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => return Err(Error::Record(format!("`{location}`: record has no `id`"))),
    };
    let id = format!("NSWG-ECO-{num}");
    let Some(module) = r
        .module_name
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    else {
        return Err(Error::Record(format!("{id}: empty `module_name`")));
    };
    let Some(vulnerable) = r.vulnerable_versions.as_deref() else {
        problems.push(problem(
            location,
            Some(&id),
            "no `vulnerable_versions`; skipped",
        ));
        return Ok(Vec::new());
    };
    let intervals = match npm_range(vulnerable) {
        Ok(i) => i,
        Err(e) => {
            problems.push(problem(location, Some(&id), format!("{e}; skipped")));
            return Ok(Vec::new());
        }
    };
    let mut severity = Vec::new();
    if let Some(v) = r
        .cvss_vector
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        match vigil_cvss::score(v) {
            Ok(s) => severity.push(Severity {
                kind: match s.version {
                    vigil_cvss::CvssVersion::V2 => "CVSS_V2",
                    vigil_cvss::CvssVersion::V4_0 => "CVSS_V4",
                    _ => "CVSS_V3",
                }
                .into(),
                score: s.vector,
            }),
            Err(e) => problems.push(problem(
                location,
                Some(&id),
                format!("{e}; severity dropped"),
            )),
        }
    }
    let details = [r.overview.as_deref(), r.recommendation.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut references: Vec<Reference> = r
        .references
        .iter()
        .flatten()
        .filter(|u| u.starts_with("http"))
        .map(|u| Reference {
            kind: "WEB".into(),
            url: u.clone(),
        })
        .collect();
    references.insert(
        0,
        Reference {
            kind: "ADVISORY".into(),
            url: format!("https://github.com/nodejs/security-wg/blob/main/vuln/npm/{num}.json"),
        },
    );
    Ok(vec![Advisory {
        schema_version: Some("1.6.0".into()),
        id,
        modified: rfc3339(&r.updated_at).or_else(|| rfc3339(&r.created_at)),
        published: rfc3339(&r.publish_date).or_else(|| rfc3339(&r.created_at)),
        withdrawn: None,
        aliases: r
            .cves
            .iter()
            .flatten()
            .filter(|c| c.starts_with("CVE-"))
            .cloned()
            .collect(),
        upstream: Vec::new(),
        related: Vec::new(),
        summary: r.title.clone(),
        details: Some(details).filter(|d| !d.is_empty()),
        severity,
        affected: vec![Affected {
            package: Some(PackageId {
                ecosystem: "npm".into(),
                name: module.to_owned(),
                purl: Some(format!("pkg:npm/{}", module.replace('@', "%40"))),
            }),
            severity: Vec::new(),
            ranges: intervals_to_ranges(RangeType::Semver, &intervals),
            versions: Vec::new(),
            ecosystem_specific: None,
            database_specific: Some(json!({
                "vulnerable_versions": vulnerable,
                "patched_versions": r.patched_versions,
            })),
        }],
        references,
        credits: None,
        database_specific: Some(json!({"source": "nodejs-security-wg"})),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;

    #[test]
    fn converts_a_record() {
        let rec = br#"{"id": 7, "created_at": "2015-10-17", "title": "ReDoS", "module_name": "ms",
            "cves": ["CVE-2015-8315"], "vulnerable_versions": "<=0.7.0 || >=1.0.0 <1.0.1",
            "patched_versions": ">0.7.0", "cvss_vector": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}"#;
        let mut problems = Vec::new();
        let advs = parse("vuln/npm/7.json", rec, &mut problems).expect("parse");
        assert!(problems.is_empty(), "{problems:?}");
        let a = &advs[0];
        assert_eq!(a.id, "NSWG-ECO-7");
        assert_eq!(a.aliases, vec!["CVE-2015-8315"]);
        assert_eq!(a.severity[0].kind, "CVSS_V3");
        let r = &a.affected[0].ranges;
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0].events,
            vec![
                Event::Introduced("0".into()),
                Event::LastAffected("0.7.0".into())
            ]
        );
        assert_eq!(
            r[1].events,
            vec![
                Event::Introduced("1.0.0".into()),
                Event::Fixed("1.0.1".into())
            ]
        );
    }

    #[test]
    fn core_records_are_skipped_and_bad_ranges_reported() {
        let mut problems = Vec::new();
        let core = br#"{"cve": ["CVE-1"], "vulnerable": "8.x", "patched": "^8.1.4"}"#;
        assert!(
            parse("vuln/core/1.json", core, &mut problems)
                .expect("core")
                .is_empty()
        );
        let bad = br#"{"id": 9, "module_name": "x", "vulnerable_versions": "<=a.b"}"#;
        assert!(
            parse("vuln/npm/9.json", bad, &mut problems)
                .expect("bad")
                .is_empty()
        );
        assert_eq!(problems.len(), 1);
        assert!(parse("x.json", b"{", &mut problems).is_err());
    }
}

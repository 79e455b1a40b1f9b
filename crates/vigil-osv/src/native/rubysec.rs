//! ruby-advisory-db (`gems/<gem>/<id>.yml`): `gem`, `cve`, `ghsa`, `patched_versions` and
//! `unaffected_versions` as RubyGems requirements. A version is vulnerable unless it satisfies
//! one of them, so the ranges are the complement of their union. `rubies/` records (Ruby
//! interpreters, not gems) are skipped. `cvss_v*` are scores without vectors: the highest
//! version's score gives the record's rating as `database_specific.severity`.

use serde::Deserialize;
use serde_json::{Value, json};
use vigil_version::Scheme;
use vigil_version::constraint::gem_requirement;

use super::{complement, intervals_to_ranges, problem};
use crate::Error;
use crate::import::Problem;
use crate::model::{Advisory, Affected, PackageId, RangeType, Reference};

#[derive(Deserialize)]
struct Record {
    gem: Option<String>,
    engine: Option<String>,
    cve: Option<Value>,
    ghsa: Option<Value>,
    osvdb: Option<Value>,
    url: Option<String>,
    title: Option<String>,
    date: Option<Value>,
    description: Option<String>,
    cvss_v2: Option<f64>,
    cvss_v3: Option<f64>,
    cvss_v4: Option<f64>,
    #[serde(default)]
    patched_versions: Option<Vec<String>>,
    #[serde(default)]
    unaffected_versions: Option<Vec<String>>,
}

fn scalar(v: &Option<Value>) -> Option<String> {
    match v.as_ref()? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn parse(
    location: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    let r: Record = serde_yaml_ng::from_slice(bytes)
        .map_err(|e| Error::Record(format!("`{location}`: invalid RubySec YAML: {e}")))?;
    if r.gem.is_none() && r.engine.is_some() {
        return Ok(Vec::new()); // a Ruby interpreter, not a gem
    }
    let Some(gem) = r.gem.as_deref().map(str::trim).filter(|g| !g.is_empty()) else {
        return Err(Error::Record(format!("`{location}`: no `gem`")));
    };
    let stem = super::file_stem(location);
    let id = format!("RUBYSEC-{gem}-{stem}");
    let mut covered = Vec::new();
    for req in r
        .patched_versions
        .iter()
        .flatten()
        .chain(r.unaffected_versions.iter().flatten())
    {
        match gem_requirement(req) {
            Ok(i) => covered.extend(i),
            Err(e) => {
                problems.push(problem(location, Some(&id), format!("{e}; record skipped")));
                return Ok(Vec::new());
            }
        }
    }
    let vulnerable = match complement(Scheme::RubyGems, &covered) {
        Ok(v) => v,
        Err(e) => {
            problems.push(problem(location, Some(&id), format!("{e}; record skipped")));
            return Ok(Vec::new());
        }
    };
    let mut aliases = Vec::new();
    if let Some(c) = scalar(&r.cve) {
        aliases.push(if c.starts_with("CVE-") {
            c
        } else {
            format!("CVE-{c}")
        });
    }
    if let Some(g) = scalar(&r.ghsa) {
        aliases.push(if g.starts_with("GHSA-") {
            g
        } else {
            format!("GHSA-{g}")
        });
    }
    if let Some(o) = scalar(&r.osvdb) {
        aliases.push(format!("OSVDB-{o}"));
    }
    let score = r.cvss_v4.or(r.cvss_v3);
    let rating = match (score, r.cvss_v2) {
        (Some(s), _) => Some(vigil_cvss::rating_for(vigil_cvss::CvssVersion::V3_1, s)),
        (None, Some(s)) => Some(vigil_cvss::rating_for(vigil_cvss::CvssVersion::V2, s)),
        _ => None,
    };
    let published = scalar(&r.date).map(|d| {
        if d.len() == 10 {
            format!("{d}T00:00:00Z")
        } else {
            d
        }
    });
    let mut db = json!({"source": "rubysec", "cvss_v2": r.cvss_v2, "cvss_v3": r.cvss_v3, "cvss_v4": r.cvss_v4});
    if let (Some(rt), Some(obj)) = (rating, db.as_object_mut()) {
        obj.insert("severity".into(), json!(rt.as_str()));
    }
    Ok(vec![Advisory {
        schema_version: Some("1.6.0".into()),
        id,
        modified: published.clone(),
        published,
        withdrawn: None,
        aliases,
        upstream: Vec::new(),
        related: Vec::new(),
        summary: r.title.map(|t| t.trim().to_owned()),
        details: r.description.map(|d| d.trim().to_owned()),
        severity: Vec::new(),
        affected: vec![Affected {
            package: Some(PackageId {
                ecosystem: "RubyGems".into(),
                name: gem.to_owned(),
                purl: Some(format!("pkg:gem/{gem}")),
            }),
            severity: Vec::new(),
            ranges: intervals_to_ranges(RangeType::Ecosystem, &vulnerable),
            versions: Vec::new(),
            ecosystem_specific: None,
            database_specific: Some(json!({
                "patched_versions": r.patched_versions,
                "unaffected_versions": r.unaffected_versions,
            })),
        }],
        references: r
            .url
            .into_iter()
            .map(|url| Reference {
                kind: "ADVISORY".into(),
                url,
            })
            .collect(),
        credits: None,
        database_specific: Some(db),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_patched_and_unaffected() {
        let y = b"---\ngem: actionpack\ncve: 2020-8164\nghsa: xp5h-f8jf-rc8q\nurl: https://x\ntitle: t\ndate: 2020-05-18\ndescription: d\ncvss_v3: 7.5\npatched_versions:\n  - \"~> 5.2.4, >= 5.2.4.3\"\n  - \">= 6.0.3.1\"\nunaffected_versions:\n  - \"< 4.0.0\"\n";
        let mut problems = Vec::new();
        let a = parse("gems/actionpack/CVE-2020-8164.yml", y, &mut problems).expect("parse");
        assert!(problems.is_empty(), "{problems:?}");
        let a = &a[0];
        assert_eq!(a.id, "RUBYSEC-actionpack-CVE-2020-8164");
        assert_eq!(a.aliases, vec!["CVE-2020-8164", "GHSA-xp5h-f8jf-rc8q"]);
        assert_eq!(a.affected[0].ranges.len(), 2);
        assert_eq!(
            a.database_specific.as_ref().expect("db")["severity"],
            "HIGH"
        );
        let ruby = b"---\nengine: ruby\ncve: 2020-1\n";
        assert!(
            parse("rubies/ruby/x.yml", ruby, &mut problems)
                .expect("engine")
                .is_empty()
        );
    }
}

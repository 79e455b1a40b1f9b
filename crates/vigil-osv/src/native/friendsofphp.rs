//! FriendsOfPHP security advisories (`<vendor>/<package>/<name>.yaml`): `reference:
//! composer://vendor/package`, `branches: {name: {versions: [constraint, ...]}}` where each
//! branch's list is an AND of Composer constraints and the package is vulnerable if any branch
//! matches. Ranges keep Composer's normalised bounds (`2.0.5.0-dev`), which the Composer
//! comparator orders exactly as Composer does.

use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use vigil_version::constraint::composer_constraint;

use super::{intervals_to_ranges, problem};
use crate::Error;
use crate::import::Problem;
use crate::model::{Advisory, Affected, PackageId, RangeType, Reference};

#[derive(Deserialize)]
struct Record {
    title: Option<String>,
    link: Option<String>,
    cve: Option<String>,
    reference: Option<String>,
    #[serde(default)]
    branches: BTreeMap<String, Branch>,
}

#[derive(Deserialize)]
struct Branch {
    #[serde(default)]
    versions: Option<Vec<String>>,
}

pub fn parse(
    location: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    let r: Record = serde_yaml_ng::from_slice(bytes)
        .map_err(|e| Error::Record(format!("`{location}`: invalid FriendsOfPHP YAML: {e}")))?;
    let Some(package) = r
        .reference
        .as_deref()
        .and_then(|s| s.trim().strip_prefix("composer://"))
        .filter(|p| p.contains('/'))
    else {
        return Err(Error::Record(format!(
            "`{location}`: `reference` is not `composer://vendor/package`"
        )));
    };
    let stem = super::file_stem(location);
    let id = format!("FRIENDSOFPHP-{}-{stem}", package.replace('/', "-"));
    let mut intervals = Vec::new();
    for (name, b) in &r.branches {
        let Some(versions) = b.versions.as_ref().filter(|v| !v.is_empty()) else {
            problems.push(problem(
                location,
                Some(&id),
                format!("branch `{name}` has no versions; ignored"),
            ));
            continue;
        };
        match composer_constraint(&versions.join(",")) {
            Ok(i) => intervals.extend(i),
            Err(e) => problems.push(problem(
                location,
                Some(&id),
                format!("branch `{name}`: {e}"),
            )),
        }
    }
    if intervals.is_empty() {
        problems.push(problem(location, Some(&id), "no usable branch; skipped"));
        return Ok(Vec::new());
    }
    let cve = r
        .cve
        .as_deref()
        .map(str::trim)
        .filter(|c| c.starts_with("CVE-"))
        .map(str::to_owned);
    Ok(vec![Advisory {
        schema_version: Some("1.6.0".into()),
        id,
        modified: None,
        published: None,
        withdrawn: None,
        aliases: cve.into_iter().collect(),
        upstream: Vec::new(),
        related: Vec::new(),
        summary: r.title.map(|t| t.trim().to_owned()),
        details: None,
        severity: Vec::new(),
        affected: vec![Affected {
            package: Some(PackageId {
                ecosystem: "Packagist".into(),
                name: package.to_owned(),
                purl: Some(format!("pkg:composer/{package}")),
            }),
            severity: Vec::new(),
            ranges: intervals_to_ranges(RangeType::Ecosystem, &intervals),
            versions: Vec::new(),
            ecosystem_specific: None,
            database_specific: Some(
                json!({"branches": r.branches.iter().map(|(k, b)| (k.clone(), b.versions.clone())).collect::<BTreeMap<_, _>>()}),
            ),
        }],
        references: r
            .link
            .into_iter()
            .map(|url| Reference {
                kind: "ADVISORY".into(),
                url,
            })
            .collect(),
        credits: None,
        database_specific: Some(json!({"source": "friendsofphp"})),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_branches() {
        let y = b"title: XSS\nlink: https://x\ncve: CVE-2016-4855\nbranches:\n  master:\n    time: 2016-08-28 23:50:00\n    versions: ['>=5.0.0', '<5.20.6']\n  4.x:\n    time: ~\n    versions: ['<4.9']\nreference: composer://adodb/adodb-php\n";
        let mut problems = Vec::new();
        let a = parse("adodb/adodb-php/CVE-2016-4855.yaml", y, &mut problems).expect("parse");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(a[0].id, "FRIENDSOFPHP-adodb-adodb-php-CVE-2016-4855");
        assert_eq!(a[0].aliases, vec!["CVE-2016-4855"]);
        assert_eq!(a[0].affected[0].ranges.len(), 2);
        let bad = b"title: x\nreference: nothing\n";
        assert!(parse("x.yaml", bad, &mut problems).is_err());
    }
}

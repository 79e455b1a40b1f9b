//! Alpine secdb (`vX.Y/main.json` from secdb.alpinelinux.org, or the legacy YAML with the same
//! structure): `distroversion`, `packages: [{pkg: {name, secfixes: {"<apk version>": [CVE…]}}}]`.
//! A package (by origin name) is affected by a CVE when its version is lower than the secfix
//! version that lists it; secfix version `0` means the release was never affected. One advisory
//! per identifier and file (`ALPINE-CVE-…`), with one `affected[]` per package.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;
use vigil_version::Scheme;

use super::problem;
use crate::Error;
use crate::import::Problem;
use crate::model::{Advisory, Affected, Event, PackageId, Range, RangeType, Reference};

#[derive(Deserialize)]
struct Secdb {
    distroversion: Option<String>,
    reponame: Option<String>,
    #[serde(default)]
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    pkg: Option<Pkg>,
}

#[derive(Deserialize)]
struct Pkg {
    name: Option<String>,
    #[serde(default)]
    secfixes: serde_yaml_ng::Mapping,
}

fn key_text(v: &serde_yaml_ng::Value) -> Option<String> {
    match v {
        serde_yaml_ng::Value::String(s) => Some(s.clone()),
        serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn parse(
    location: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    let db: Secdb = serde_yaml_ng::from_slice(bytes)
        .map_err(|e| Error::Record(format!("`{location}`: invalid Alpine secdb: {e}")))?;
    let Some(release) = db
        .distroversion
        .as_deref()
        .map(str::trim)
        .filter(|r| r.starts_with('v'))
    else {
        return Err(Error::Record(format!(
            "`{location}`: `distroversion` missing or not `vX.Y`"
        )));
    };
    let ecosystem = format!("Alpine:{release}");
    // id -> (package -> fixed versions)
    let mut by_id: BTreeMap<String, Vec<Affected>> = BTreeMap::new();
    for entry in &db.packages {
        let Some(pkg) = &entry.pkg else { continue };
        let Some(name) = pkg.name.as_deref().filter(|n| !n.is_empty()) else {
            problems.push(problem(location, None, "package entry without a name"));
            continue;
        };
        for (ver, ids) in &pkg.secfixes {
            let Some(ver) = key_text(ver) else {
                problems.push(problem(
                    location,
                    None,
                    format!("{name}: non-text secfix version"),
                ));
                continue;
            };
            let never = ver == "0";
            if !never && let Err(e) = Scheme::Apk.parse(&ver) {
                problems.push(problem(location, None, format!("{name}: {e}")));
                continue;
            }
            let ids: Vec<&serde_yaml_ng::Value> = match ids {
                serde_yaml_ng::Value::Sequence(seq) => seq.iter().collect(),
                serde_yaml_ng::Value::Null => Vec::new(),
                other => vec![other],
            };
            for id_value in ids {
                let Some(text) = key_text(id_value) else {
                    continue;
                };
                for id in text.split_whitespace().filter(|t| t.contains('-')) {
                    let (ranges, status) = if never {
                        (Vec::new(), "not-affected")
                    } else {
                        (
                            vec![Range {
                                kind: RangeType::Ecosystem,
                                repo: None,
                                events: vec![
                                    Event::Introduced("0".into()),
                                    Event::Fixed(ver.clone()),
                                ],
                                database_specific: None,
                            }],
                            "fixed",
                        )
                    };
                    by_id.entry(id.to_owned()).or_default().push(Affected {
                        package: Some(PackageId {
                            ecosystem: ecosystem.clone(),
                            name: name.to_owned(),
                            purl: None,
                        }),
                        severity: Vec::new(),
                        ranges,
                        versions: Vec::new(),
                        ecosystem_specific: None,
                        database_specific: Some(json!({"distro_status": status})),
                    });
                }
            }
        }
    }
    Ok(by_id
        .into_iter()
        .map(|(id, affected)| Advisory {
            schema_version: Some("1.6.0".into()),
            id: format!("ALPINE-{id}"),
            modified: None,
            published: None,
            withdrawn: None,
            aliases: vec![id.clone()],
            upstream: Vec::new(),
            related: Vec::new(),
            summary: None,
            details: None,
            severity: Vec::new(),
            affected,
            references: vec![Reference {
                kind: "ADVISORY".into(),
                url: format!("https://security.alpinelinux.org/vuln/{id}"),
            }],
            credits: None,
            database_specific: Some(json!({"source": "alpine-secdb", "repo": db.reponame})),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_secfixes() {
        let y = b"---\ndistroversion: v3.11\nreponame: main\npackages:\n  - pkg:\n      name: ansible\n      secfixes:\n        2.9.3-r0:\n          - CVE-2019-14904\n          - CVE-2019-14905\n        0:\n          - CVE-2019-0001\n  - pkg:\n      name: bad\n      secfixes:\n        not_a_version!:\n          - CVE-2019-0002\n";
        let mut problems = Vec::new();
        let a = parse("v3.11/main.yaml", y, &mut problems).expect("parse");
        assert_eq!(a.len(), 3, "{a:?}");
        assert_eq!(a[0].id, "ALPINE-CVE-2019-0001");
        assert_eq!(
            a[0].affected[0].distro_status(),
            Some(crate::model::DistroStatus::NotAffected)
        );
        assert_eq!(
            a[1].affected[0].package.as_ref().expect("p").ecosystem,
            "Alpine:v3.11"
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        let json = br#"{"distroversion":"v3.19","reponame":"main","packages":[{"pkg":{"name":"openssl","secfixes":{"3.1.4-r1":["CVE-2023-5678"]}}}]}"#;
        let a = parse("v3.19/main.json", json, &mut problems).expect("json");
        assert_eq!(
            a[0].affected[0].ranges[0].events[1],
            Event::Fixed("3.1.4-r1".into())
        );
    }
}

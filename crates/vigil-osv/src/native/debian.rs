//! Debian security tracker lists: `data/DSA/list` and `data/DLA/list` (one block per advisory)
//! and `data/CVE/list` (one block per CVE).
//!
//! Each `[codename] - source-package version` line becomes one OSV `affected[]` entry for
//! `Debian:<release number>` and the **source** package, fixed in that source version; status
//! words (`<not-affected>`, `<unfixed>`, `<no-dsa>`, `<ignored>`, `<postponed>`,
//! `<end-of-life>`) become `database_specific.distro_status` (with the parenthesised note as
//! `distro_status_note`). Lines for unstable (`- pkg version` without a release) are kept for
//! the `CVE/list` under `Debian:unstable`, which no installed release matches.

use serde_json::json;
use vigil_version::Scheme;

use super::problem;
use crate::Error;
use crate::import::Problem;
use crate::model::{Advisory, Affected, Event, PackageId, Range, RangeType, Reference};

/// Debian codenames and their release numbers (as OSV's `Debian:N` ecosystems spell them).
const RELEASES: [(&str, &str); 19] = [
    ("buzz", "1.1"),
    ("rex", "1.2"),
    ("bo", "1.3"),
    ("hamm", "2.0"),
    ("slink", "2.1"),
    ("potato", "2.2"),
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4"),
    ("lenny", "5"),
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
];

fn release_number(codename: &str) -> Option<&'static str> {
    RELEASES
        .iter()
        .find(|(c, _)| *c == codename)
        .map(|(_, n)| *n)
}

fn month(m: &str) -> Option<u8> {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    months.iter().position(|x| *x == m).map(|i| i as u8 + 1)
}

/// `[29 Mar 2023]` -> `2023-03-29T00:00:00Z`
fn date(s: &str) -> Option<String> {
    let mut it = s.split_whitespace();
    let d: u8 = it.next()?.parse().ok()?;
    let m = month(it.next()?)?;
    let y: u16 = it.next()?.parse().ok()?;
    Some(format!("{y:04}-{m:02}-{d:02}T00:00:00Z"))
}

/// One package line: `[bullseye] - xorg-server 2:1.20.11-1+deb11u6` or
/// `[buster] - foo <not-affected> (Vulnerable code not present)` or (CVE list) `- foo 1.2-1`.
struct PackageLine {
    release: Option<String>,
    package: String,
    /// A fixed version, or a `<status>` word.
    value: Option<String>,
    note: Option<String>,
}

fn package_line(line: &str) -> Option<PackageLine> {
    let t = line.trim();
    let (release, rest) = if let Some(r) = t.strip_prefix('[') {
        let (rel, rest) = r.split_once(']')?;
        (Some(rel.trim().to_owned()), rest.trim_start())
    } else {
        (None, t)
    };
    let rest = rest.strip_prefix("- ")?;
    let (main, note) = match rest.find(" (") {
        Some(i) => (
            &rest[..i],
            Some(rest[i + 2..].trim_end_matches(')').trim().to_owned()),
        ),
        None => (rest, None),
    };
    let mut words = main.split_whitespace();
    let package = words.next()?.to_owned();
    let value = words.next().map(str::to_owned);
    Some(PackageLine {
        release,
        package,
        value,
        note,
    })
}

fn status_word(v: &str) -> Option<&'static str> {
    Some(match v {
        "<not-affected>" => "not-affected",
        "<unfixed>" => "unfixed",
        "<no-dsa>" => "no-dsa",
        "<ignored>" => "ignored",
        "<postponed>" => "postponed",
        "<end-of-life>" => "end-of-life",
        _ => return None,
    })
}

/// Turns a package line into an `affected[]` entry, or a problem.
fn affected_for(l: &PackageLine) -> Result<Option<Affected>, String> {
    let ecosystem = match &l.release {
        Some(r) => match release_number(r) {
            Some(n) => format!("Debian:{n}"),
            None => return Err(format!("unknown Debian release `[{r}]`")),
        },
        None => "Debian:unstable".to_owned(),
    };
    let package = PackageId {
        ecosystem,
        name: l.package.clone(),
        purl: None,
    };
    let value = l.value.as_deref().unwrap_or("");
    let mut db = serde_json::Map::new();
    let mut ranges = Vec::new();
    if let Some(status) = status_word(value) {
        db.insert("distro_status".into(), json!(status));
        if status != "not-affected" {
            ranges.push(Range {
                kind: RangeType::Ecosystem,
                repo: None,
                events: vec![Event::Introduced("0".into())],
                database_specific: None,
            });
        }
    } else if value.starts_with('<') {
        // <removed>, <undetermined>, <itp>: nothing to match
        return Ok(None);
    } else if value.is_empty() {
        return Err(format!("`{}`: no version or status", l.package));
    } else {
        Scheme::Dpkg
            .parse(value)
            .map_err(|e| format!("`{}`: {e}", l.package))?;
        db.insert("distro_status".into(), json!("fixed"));
        let mut events = vec![Event::Introduced("0".into())];
        // version 0 means "never affected in this release" in the tracker's syntax
        if value == "0" {
            db.insert("distro_status".into(), json!("not-affected"));
            events.clear();
        } else {
            events.push(Event::Fixed(value.to_owned()));
        }
        if !events.is_empty() {
            ranges.push(Range {
                kind: RangeType::Ecosystem,
                repo: None,
                events,
                database_specific: None,
            });
        }
    }
    if let Some(n) = &l.note {
        db.insert("distro_status_note".into(), json!(n));
    }
    Ok(Some(Affected {
        package: Some(package),
        severity: Vec::new(),
        ranges,
        versions: Vec::new(),
        ecosystem_specific: None,
        database_specific: Some(serde_json::Value::Object(db)),
    }))
}

/// Adds one package line's `affected[]` entry to `adv`, or reports why it cannot.
fn add_package_line(
    adv: &mut Advisory,
    t: &str,
    location: &str,
    line: usize,
    problems: &mut Vec<Problem>,
) {
    match package_line(t) {
        Some(l) => match affected_for(&l) {
            Ok(Some(a)) => adv.affected.push(a),
            Ok(None) => {}
            Err(m) => problems.push(problem(location, Some(&adv.id), m)),
        },
        None => problems.push(problem(
            location,
            Some(&adv.id),
            format!("line {line}: unreadable package line `{t}`"),
        )),
    }
}

fn text(location: &str, bytes: &[u8]) -> Result<String, Error> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| Error::Input(format!("`{location}`: not UTF-8 text: {e}")))
}

/// `data/DSA/list` and `data/DLA/list`.
pub fn parse_advisory_list(
    location: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    let text = text(location, bytes)?;
    let mut out: Vec<Advisory> = Vec::new();
    let mut current: Option<Advisory> = None;
    let mut saw_header = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            // header: [29 Mar 2023] DSA-5380-1 xorg-server - security update
            if let Some(a) = current.take() {
                out.push(a);
            }
            let Some(rest) = line.strip_prefix('[') else {
                problems.push(problem(
                    location,
                    None,
                    format!("line {}: expected an advisory header, got `{line}`", n + 1),
                ));
                continue;
            };
            let Some((d, rest)) = rest.split_once(']') else {
                problems.push(problem(
                    location,
                    None,
                    format!("line {}: unclosed date", n + 1),
                ));
                continue;
            };
            let rest = rest.trim();
            let (id, title) = rest.split_once(' ').unwrap_or((rest, ""));
            if !(id.starts_with("DSA-") || id.starts_with("DLA-") || id.starts_with("DTSA-")) {
                problems.push(problem(
                    location,
                    None,
                    format!("line {}: `{id}` is not a DSA/DLA id", n + 1),
                ));
                continue;
            }
            saw_header = true;
            let published = date(d);
            if published.is_none() {
                problems.push(problem(location, Some(id), format!("bad date `[{d}]`")));
            }
            let url = format!("https://security-tracker.debian.org/tracker/{id}");
            current = Some(Advisory {
                schema_version: Some("1.6.0".into()),
                id: id.to_owned(),
                modified: published.clone(),
                published,
                withdrawn: None,
                aliases: Vec::new(),
                upstream: Vec::new(),
                related: Vec::new(),
                summary: Some(title.trim().to_owned()).filter(|s| !s.is_empty()),
                details: None,
                severity: Vec::new(),
                affected: Vec::new(),
                references: vec![Reference {
                    kind: "ADVISORY".into(),
                    url,
                }],
                credits: None,
                database_specific: Some(json!({"source": "debian-security-tracker"})),
            });
            continue;
        }
        let Some(adv) = current.as_mut() else {
            continue;
        };
        let t = line.trim();
        if let Some(ids) = t.strip_prefix('{') {
            for cve in ids.trim_end_matches('}').split_whitespace() {
                if cve.starts_with("CVE-") && !adv.related.iter().any(|c| c == cve) {
                    adv.related.push(cve.to_owned());
                }
            }
        } else if t.starts_with('[') {
            add_package_line(adv, t, location, n + 1, problems);
        }
        // NOTE: lines and anything else are commentary
    }
    if let Some(a) = current.take() {
        out.push(a);
    }
    if !saw_header && !text.trim().is_empty() {
        return Err(Error::Input(format!(
            "`{location}`: no DSA/DLA advisory headers found"
        )));
    }
    // advisories with no release line at all (very old ones) say nothing matchable
    out.retain(|a| !a.affected.is_empty());
    Ok(out)
}

/// `data/CVE/list`.
pub fn parse_cve_list(
    location: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    let text = text(location, bytes)?;
    let mut out: Vec<Advisory> = Vec::new();
    let mut current: Option<Advisory> = None;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            if let Some(a) = current.take() {
                out.push(a);
            }
            // CVE-2023-1234 (description ...)
            let (id, rest) = line.split_once(' ').unwrap_or((line, ""));
            if !id.starts_with("CVE-") {
                problems.push(problem(
                    location,
                    None,
                    format!("line {}: expected a CVE id, got `{id}`", n + 1),
                ));
                continue;
            }
            let desc = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .map(str::to_owned);
            current = Some(Advisory {
                schema_version: Some("1.6.0".into()),
                id: format!("DEBIAN-{id}"),
                modified: None,
                published: None,
                withdrawn: None,
                aliases: vec![id.to_owned()],
                upstream: Vec::new(),
                related: Vec::new(),
                summary: desc,
                details: None,
                severity: Vec::new(),
                affected: Vec::new(),
                references: vec![Reference {
                    kind: "ADVISORY".into(),
                    url: format!("https://security-tracker.debian.org/tracker/{id}"),
                }],
                credits: None,
                database_specific: Some(json!({"source": "debian-security-tracker"})),
            });
            continue;
        }
        let Some(adv) = current.as_mut() else {
            continue;
        };
        let t = line.trim();
        if t.starts_with('[') || t.starts_with("- ") {
            add_package_line(adv, t, location, n + 1, problems);
        } else if let Some(ids) = t.strip_prefix('{') {
            for id in ids.trim_end_matches('}').split_whitespace() {
                adv.related.push(id.to_owned());
            }
        }
    }
    if let Some(a) = current.take() {
        out.push(a);
    }
    out.retain(|a| !a.affected.is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSA: &str = "[29 Mar 2023] DSA-5380-1 xorg-server - security update
\t{CVE-2023-1393}
\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6
[28 Mar 2023] DSA-5379-1 dino-im - security update
\t{CVE-2023-28686 CVE-2023-28687}
\t[bullseye] - dino-im 0.2.0-3+deb11u1
\t[buster] - dino-im <not-affected> (Vulnerable code introduced later)
\tNOTE: commentary
[27 Mar 2023] DSA-5378-1 junk - security update
\t[hamster] - junk 1.0
\t[bullseye] - junk 1.0-
";

    #[test]
    fn parses_dsa_blocks() {
        let mut problems = Vec::new();
        let advs = parse_advisory_list("DSA/list", DSA.as_bytes(), &mut problems).expect("parse");
        assert_eq!(advs.len(), 2, "{advs:?}");
        let a = &advs[0];
        assert_eq!(a.id, "DSA-5380-1");
        assert_eq!(a.published.as_deref(), Some("2023-03-29T00:00:00Z"));
        assert_eq!(a.related, vec!["CVE-2023-1393"]);
        let aff = &a.affected[0];
        let pkg = aff.package.as_ref().expect("pkg");
        assert_eq!(
            (pkg.ecosystem.as_str(), pkg.name.as_str()),
            ("Debian:11", "xorg-server")
        );
        assert_eq!(
            aff.ranges[0].events,
            vec![
                Event::Introduced("0".into()),
                Event::Fixed("2:1.20.11-1+deb11u6".into())
            ]
        );
        let b = &advs[1];
        assert_eq!(b.affected.len(), 2);
        assert_eq!(
            b.affected[1].distro_status(),
            Some(crate::model::DistroStatus::NotAffected)
        );
        assert_eq!(
            b.affected[1].distro_status_note(),
            Some("Vulnerable code introduced later")
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("hamster"));
        assert!(problems[1].message.contains("revision"), "{problems:?}");
    }

    #[test]
    fn parses_cve_list() {
        let list = "CVE-2023-0001 (Heap overflow in foo ...)
\t- foo 1.2-3 (bug #1)
\t[bookworm] - foo <no-dsa> (Minor issue)
\t[bullseye] - foo 1.1-1+deb11u1
CVE-2023-0002
\tRESERVED
";
        let mut problems = Vec::new();
        let advs = parse_cve_list("CVE/list", list.as_bytes(), &mut problems).expect("parse");
        assert_eq!(advs.len(), 1);
        assert_eq!(advs[0].aliases, vec!["CVE-2023-0001"]);
        assert_eq!(advs[0].affected.len(), 3);
        assert_eq!(
            advs[0].affected[1].distro_status(),
            Some(crate::model::DistroStatus::NoDsa)
        );
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn non_list_input_is_an_error() {
        let mut problems = Vec::new();
        assert!(parse_advisory_list("x", b"hello\nworld\n", &mut problems).is_err());
    }
}

//! Native advisory formats against their own reference implementations: every RubySec, Node.js
//! security WG and FriendsOfPHP record is imported (constraints turned into OSV ranges) and
//! evaluated by Vigil's matcher for versions around every bound the record mentions; the same
//! versions are judged from the record's original constraint strings by Ruby's
//! `Gem::Requirement`, node `semver.satisfies` (`includePrerelease`) and composer/semver's
//! `Semver::satisfies`. Verdicts must agree exactly.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vigil_matcher::evaluate::{Verdict, evaluate};
use vigil_osv::Advisory;
use vigil_version::Scheme;

fn vulndata() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");
    assert!(
        p.join("MANIFEST.md").is_file(),
        "this test needs the shared advisory data at {} (../shared/vulndata next to the repository)",
        p.display()
    );
    p
}

fn entries(zip: &Path, suffixes: &[&str]) -> Vec<(String, Vec<u8>)> {
    let f = std::fs::File::open(zip).expect("zip");
    let mut z = zip::ZipArchive::new(f).expect("zip archive");
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).expect("entry");
        let name = e.name().to_owned();
        if e.is_file() && suffixes.iter().any(|s| name.ends_with(s)) {
            let mut b = Vec::new();
            e.read_to_end(&mut b).expect("read");
            out.push((name, b));
        }
    }
    out
}

/// Version-like tokens in constraint text, plus neighbours on both sides of each.
fn candidates(texts: &[String], semver_only: bool) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for t in texts {
        for tok in t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')) {
            let tok = tok.trim_matches(['.', '-']);
            if !tok.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            let nums: Vec<u64> = tok
                .split(['.', '-'])
                .map_while(|p| p.parse::<u64>().ok())
                .collect();
            out.insert(tok.to_owned());
            let (a, b, c) = (
                nums.first().copied().unwrap_or(0),
                nums.get(1).copied().unwrap_or(0),
                nums.get(2).copied().unwrap_or(0),
            );
            let mut near = vec![
                format!("{a}.{b}.{c}"),
                format!("{a}.{b}.{}", c + 1),
                format!("{a}.{}.0", b + 1),
                format!("{}.0.0", a + 1),
                format!("{a}.{b}.{c}-alpha.1"),
                format!("{a}.{b}.{}-beta", c + 1),
                format!("{a}.{}.0-rc.1", b + 1),
            ];
            if c > 0 {
                near.push(format!("{a}.{b}.{}", c - 1));
            }
            if b > 0 {
                near.push(format!("{a}.{}.99", b - 1));
            }
            if !semver_only {
                near.push(format!("{tok}.1"));
                near.push(format!("{a}.{b}"));
                near.push(format!("{a}.{b}.{c}.1"));
            }
            out.extend(near);
        }
    }
    out.into_iter().collect()
}

/// Runs a line-oriented reference process: one JSON request per line, one JSON array back.
fn reference(cmd: &mut Command, requests: &[serde_json::Value]) -> Vec<Vec<serde_json::Value>> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (scripts/test.sh installs ruby, php-cli, php-composer-semver and node semver)"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child.stdout.take().expect("stdout");
    let mut out = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        out.push(serde_json::from_str::<Vec<serde_json::Value>>(&line).expect("reference json"));
    }
    writer.join().expect("join").expect("write");
    assert!(child.wait().expect("wait").success(), "{cmd:?} failed");
    assert_eq!(out.len(), requests.len(), "{cmd:?}: one answer per record");
    out
}

struct Tally {
    records: usize,
    pairs: usize,
    disagreements: Vec<String>,
}

fn compare(
    scheme: Scheme,
    advisories: &[(Advisory, Vec<String>)],
    answers: &[Vec<serde_json::Value>],
) -> Tally {
    let mut t = Tally {
        records: advisories.len(),
        pairs: 0,
        disagreements: Vec::new(),
    };
    for ((adv, versions), ans) in advisories.iter().zip(answers) {
        let affected = &adv.affected[0];
        for (v, want) in versions.iter().zip(ans) {
            let Some(want) = want.as_bool() else {
                continue; // the reference rejects this version text
            };
            if scheme.parse(v).is_err() {
                t.disagreements.push(format!(
                    "{}: `{v}` accepted by the reference, not by Vigil",
                    adv.id
                ));
                continue;
            }
            t.pairs += 1;
            let got = evaluate(affected, scheme, v).verdict == Verdict::Affected;
            if got != want {
                t.disagreements.push(format!(
                    "{} {v}: vigil {got}, reference {want} ({:?})",
                    adv.id, affected.database_specific
                ));
            }
        }
    }
    t
}

fn report(name: &str, t: &Tally) {
    eprintln!(
        "native {name}: {} records, {} (record, version) pairs, {} disagreements",
        t.records,
        t.pairs,
        t.disagreements.len()
    );
    assert!(
        t.disagreements.is_empty(),
        "{name}: {} disagreements:\n{}",
        t.disagreements.len(),
        t.disagreements[..t.disagreements.len().min(25)].join("\n")
    );
    assert!(
        t.pairs > 1000,
        "{name}: too few pairs compared ({})",
        t.pairs
    );
}

#[test]
fn rubysec_ranges_agree_with_gem_requirement() {
    let zip = vulndata().join("native/rubygems-rubysec/ruby-advisory-db.zip");
    let mut advs = Vec::new();
    let mut requests = Vec::new();
    for (name, bytes) in entries(&zip, &[".yml"]) {
        if !(name.starts_with("gems/") || name.contains("/gems/")) {
            continue;
        }
        let mut problems = Vec::new();
        let parsed = vigil_osv::native::rubysec::parse(&name, &bytes, &mut problems)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(problems.is_empty(), "{name}: {problems:?}");
        for a in parsed {
            let db = a.affected[0].database_specific.clone().unwrap_or_default();
            let list = |k: &str| -> Vec<String> {
                db[k]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (patched, unaffected) = (list("patched_versions"), list("unaffected_versions"));
            let texts: Vec<String> = patched.iter().chain(&unaffected).cloned().collect();
            let mut versions = candidates(&texts, false);
            versions.extend(["0.0.1".to_owned(), "999.0".to_owned()]);
            requests.push(serde_json::json!({"patched": patched, "unaffected": unaffected, "versions": versions}));
            advs.push((a, versions));
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/native_ref/gem.rb");
    let answers = reference(Command::new("ruby").arg(script), &requests);
    report("rubysec", &compare(Scheme::RubyGems, &advs, &answers));
}

#[test]
fn nodejs_wg_ranges_agree_with_node_semver() {
    let zip = vulndata().join("native/npm-nodejs-security-wg/vuln.zip");
    let mut advs = Vec::new();
    let mut requests = Vec::new();
    for (name, bytes) in entries(&zip, &[".json"]) {
        if !name.contains("/npm/") {
            continue;
        }
        let mut problems = Vec::new();
        let Ok(parsed) = vigil_osv::native::nodejs::parse(&name, &bytes, &mut problems) else {
            continue;
        };
        for a in parsed {
            let range =
                a.affected[0].database_specific.as_ref().expect("db")["vulnerable_versions"]
                    .as_str()
                    .expect("range")
                    .to_owned();
            let mut versions = candidates(std::slice::from_ref(&range), true);
            versions.extend(["0.0.1".to_owned(), "999.0.0".to_owned()]);
            requests.push(serde_json::json!({"range": range, "versions": versions}));
            advs.push((a, versions));
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/native_ref/npm.js");
    let answers = reference(Command::new("node").arg(script), &requests);
    report("nodejs-wg", &compare(Scheme::NpmSemver, &advs, &answers));
}

#[test]
fn friendsofphp_ranges_agree_with_composer_semver() {
    let zip = vulndata().join("native/packagist-friendsofphp/security-advisories.zip");
    let mut advs = Vec::new();
    let mut requests = Vec::new();
    for (name, bytes) in entries(&zip, &[".yaml", ".yml"]) {
        let mut problems = Vec::new();
        let Ok(parsed) = vigil_osv::native::friendsofphp::parse(&name, &bytes, &mut problems)
        else {
            continue;
        };
        for a in parsed {
            let db = a.affected[0].database_specific.clone().unwrap_or_default();
            let branches: Vec<Vec<String>> = db["branches"]
                .as_object()
                .map(|m| {
                    m.values()
                        .filter_map(|v| v.as_array())
                        .map(|l| {
                            l.iter()
                                .filter_map(|s| s.as_str().map(str::to_owned))
                                .collect()
                        })
                        .filter(|l: &Vec<String>| !l.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let texts: Vec<String> = branches.iter().flatten().cloned().collect();
            let mut versions = candidates(&texts, false);
            versions.extend(["0.0.1".to_owned(), "999.0.0".to_owned()]);
            requests.push(serde_json::json!({"branches": branches, "versions": versions}));
            advs.push((a, versions));
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/native_ref/composer.php");
    let answers = reference(Command::new("php").arg(script), &requests);
    report("friendsofphp", &compare(Scheme::Composer, &advs, &answers));
}

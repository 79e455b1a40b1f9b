//! Range semantics against an independent oracle: the PyPA advisory database's explicit
//! `versions` lists. osv.dev computes each record's `versions` from its ECOSYSTEM ranges over
//! the package's real releases on PyPI (with `packaging`'s ordering), so for every record Vigil's
//! evaluation of the ranges alone (the list removed) must say:
//! - affected for every listed release;
//! - not affected for every other known release of the package (releases any record lists) up to
//!   the greatest release this record lists. Lists are snapshots taken when the record was last
//!   changed, so releases above that are left out: open-ended ranges do cover them. Missing
//!   pre-releases are no verdict either: osv.dev enumerated them for some records only.
//!
//! Disagreements are either Vigil's bug or a defect of the record; the latter are listed in
//! `DATA_DEFECTS` with the reason, checked one by one.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use vigil_matcher::evaluate::{Verdict, evaluate};
use vigil_osv::{Advisory, RangeType};
use vigil_version::Scheme;

/// Records whose `versions` list contradicts their own ranges (checked by hand).
const DATA_DEFECTS: &[(&str, &str)] = &[
    // ranges `introduced: 3.2`, `4.2`; the list also names 3.2a1, 3.2b1, 3.2rc1, 4.2a1, ...,
    // pre-releases that PEP 440 orders before 3.2 / 4.2
    (
        "PYSEC-2023-61 django",
        "list includes pre-releases of `introduced` versions",
    ),
    // range `fixed: 23.9.0`, list includes 23.9.0 and 23.9.0.post1
    (
        "PYSEC-2023-177 gevent",
        "list includes the `fixed` version itself",
    ),
    // one range with overlapping intervals (0..2.11.6 and 2.11..2.11.7); sorted as the OSV
    // spec requires, 2.11.6 falls after `fixed: 2.11.6`; the list says affected
    (
        "PYSEC-2021-114 wagtail",
        "overlapping intervals in one range",
    ),
    // backport releases published after the record (and its list) was last modified; the
    // open `introduced: 0` ranges do cover them
    (
        "PYSEC-2020-220 ansible 6.7.0",
        "released 2022-12, record modified 2022-11-08",
    ),
    (
        "PYSEC-2020-215 notebook 5.7.1",
        "5.7.14/5.7.15 released after 2021-08-11",
    ),
    (
        "PYSEC-2022-180 notebook 5.7.1",
        "5.7.14/5.7.15 released after 2022-04-11",
    ),
    ("PYSEC-2022-257 nvflare 2.0.19", "released after 2022-09-01"),
    (
        "PYSEC-2022-159 scrapy 1.8.3",
        "released 2022-07, record modified 2022-03-09",
    ),
];

#[test]
fn pypa_ranges_agree_with_their_explicit_version_lists() {
    let zip_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata/osv/PyPI/all.zip");
    assert!(
        zip_path.is_file(),
        "this test needs the shared advisory data at {} (../shared/vulndata next to the repository)",
        zip_path.display()
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("open")).expect("zip");
    let mut records = Vec::new();
    for i in 0..zip.len() {
        let mut e = zip.by_index(i).expect("entry");
        let mut buf = Vec::new();
        e.read_to_end(&mut buf).expect("read");
        records.push(Advisory::from_json(&buf).expect("valid PyPA record"));
    }
    // every release any record lists, per package
    let mut releases: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &records {
        for a in &r.affected {
            if let Some(p) = &a.package {
                let key = vigil_osv::ecosystem::normalize_name("PyPI", &p.name);
                releases
                    .entry(key)
                    .or_default()
                    .extend(a.versions.iter().cloned());
            }
        }
    }
    let (mut pairs, mut disagreements, mut unparsable) = (0usize, Vec::new(), 0usize);
    for r in records.iter().filter(|r| !r.is_withdrawn()) {
        for a in &r.affected {
            let Some(p) = &a.package else { continue };
            if a.versions.is_empty() || !a.ranges.iter().any(|x| x.kind == RangeType::Ecosystem) {
                continue;
            }
            let mut ranges_only = a.clone();
            ranges_only.versions.clear();
            ranges_only
                .ranges
                .retain(|x| x.kind == RangeType::Ecosystem);
            let listed: BTreeSet<&String> = a.versions.iter().collect();
            let max_listed = a
                .versions
                .iter()
                .filter_map(|v| Scheme::Pep440.parse(v).ok())
                .max();
            let key = vigil_osv::ecosystem::normalize_name("PyPI", &p.name);
            for v in releases.get(&key).into_iter().flatten() {
                let Ok(parsed) = Scheme::Pep440.parse(v) else {
                    unparsable += 1; // legacy (non-PEP 440) release names; PyPA lists them too
                    continue;
                };
                let want = listed.contains(v);
                if !want && max_listed.as_ref().is_none_or(|m| &parsed > m) {
                    continue; // released after the list was computed
                }
                if !want && parsed.is_prerelease() {
                    // osv.dev's release enumeration left pre-releases out of many lists (and
                    // put them in others): a missing pre-release is no verdict
                    continue;
                }
                let got = evaluate(&ranges_only, Scheme::Pep440, v).verdict == Verdict::Affected;
                pairs += 1;
                if want != got {
                    disagreements.push(format!(
                        "{} {} {v}: list says {want}, ranges say {got}",
                        r.id, p.name
                    ));
                }
            }
        }
    }
    eprintln!(
        "PyPA: {pairs} (record, release) pairs compared, {} disagreements, {unparsable} non-PEP 440 releases skipped",
        disagreements.len()
    );
    assert!(pairs > 50_000, "expected a large comparison, got {pairs}");
    // osv.dev's lists are the oracle; a disagreement is either our bug or a documented data
    // defect. Print them all; allow none unexplained.
    let explained: &[&str] = &DATA_DEFECTS.iter().map(|(id, _)| *id).collect::<Vec<_>>();
    let unexplained: Vec<_> = disagreements
        .iter()
        .filter(|d| !explained.iter().any(|e| d.starts_with(e)))
        .collect();
    assert!(
        unexplained.is_empty(),
        "{} disagreements:\n{}",
        unexplained.len(),
        unexplained
            .iter()
            .take(50)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

//! Range semantics against an independent oracle: the PyPA advisory database's explicit
//! `versions` lists. osv.dev computes each record's `versions` from its ECOSYSTEM ranges over
//! the package's real releases on PyPI, so for every record Vigil's evaluation of the ranges
//! alone (the list removed) must say affected for every listed release, and not affected for
//! every release of the same package that other records list but this one does not, and that
//! lies outside this record's ranges by the oracle's own account.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use vigil_matcher::evaluate::{Verdict, evaluate};
use vigil_osv::{Advisory, RangeType};
use vigil_version::Scheme;

#[test]
fn pypa_ranges_agree_with_their_explicit_version_lists() {
    let zip_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata/osv/PyPI/all.zip");
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
                releases.entry(key).or_default().extend(a.versions.iter().cloned());
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
            ranges_only.ranges.retain(|x| x.kind == RangeType::Ecosystem);
            let listed: BTreeSet<&String> = a.versions.iter().collect();
            let key = vigil_osv::ecosystem::normalize_name("PyPI", &p.name);
            for v in releases.get(&key).into_iter().flatten() {
                if Scheme::Pep440.parse(v).is_err() {
                    unparsable += 1; // legacy (non-PEP 440) release names; PyPA lists them too
                    continue;
                }
                let want = listed.contains(v);
                let got = evaluate(&ranges_only, Scheme::Pep440, v).verdict == Verdict::Affected;
                pairs += 1;
                if want != got {
                    disagreements.push(format!("{} {} {v}: list says {want}, ranges say {got}", r.id, p.name));
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
    let explained: &[&str] = &[];
    let unexplained: Vec<_> = disagreements.iter().filter(|d| !explained.iter().any(|e| d.starts_with(e))).collect();
    assert!(unexplained.is_empty(), "{} disagreements:\n{}", unexplained.len(), unexplained.iter().take(50).map(|s| s.as_str()).collect::<Vec<_>>().join("\n"));
}

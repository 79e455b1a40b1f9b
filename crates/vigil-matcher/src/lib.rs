//! From an inventory and the advisory database to findings.
//!
//! For every package: choose the records that apply ([`target`]), evaluate each record's
//! `affected[]` entry with the ecosystem's comparator ([`evaluate`]), merge the records that
//! describe the same vulnerability (ids and aliases; distribution advisories that bundle several
//! CVEs are split per CVE), and build one finding per vulnerability, package and location, with
//! CVSS, KEV, EPSS, the fix and the exact upgrade command. Every record considered leaves a
//! [`Provenance`](finding::Provenance) entry, affected or not, so `--explain` can show why.

pub mod evaluate;
pub mod finding;
pub mod remediation;
pub mod risk;
pub mod severity;
pub mod target;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use vigil_osv::{Advisory, Affected, Database, StoredAdvisory};
use vigil_types::{Distro, Ecosystem, Inventory, Package, PackageKind};

use evaluate::{Evaluation, Verdict};
use finding::*;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] vigil_osv::Error),
}

/// Identity of the scan, stamped on findings.
#[derive(Debug, Clone)]
pub struct MatchOptions {
    pub account: String,
    pub region: String,
    /// RFC 3339 time of the scan.
    pub observed_at: String,
    /// What is known about the resource's exposure (its internet reachability), for the
    /// Vigil score ([`risk`]).
    pub exposure: risk::Exposure,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            account: "000000000000".into(),
            region: "local".into(),
            observed_at: String::new(),
            exposure: risk::Exposure::default(),
        }
    }
}

/// A record that was considered for a package and judged not affected or not evaluable.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Judgement {
    pub package: String,
    pub version: String,
    pub ecosystem: String,
    pub ids: Vec<String>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub packages: usize,
    pub packages_evaluated: usize,
    /// Language packages installed by an OS package, left to the distribution's records.
    pub owned_by_os_package: usize,
    pub records_considered: usize,
    pub withdrawn_skipped: usize,
    pub findings: usize,
    pub not_affected: usize,
    pub not_evaluable: usize,
}

/// Everything a match produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub judgements: Vec<Judgement>,
    /// Packages or ecosystems that could not be evaluated, and why.
    pub notes: Vec<String>,
    pub stats: Stats,
    /// Every index key (ecosystem, normalised name) the inventory was looked up under, with
    /// advisories or not: a store keeps them so that an advisory database update re-matches
    /// exactly the inventories holding a package it changed.
    #[serde(skip)]
    pub keys: BTreeSet<(String, String)>,
}

/// One record's affected verdict for a package.
#[derive(Clone)]
struct Unit {
    stored: Arc<StoredAdvisory>,
    affected: Affected,
    eval: Evaluation,
    /// Ids that identify the vulnerability for merging.
    link: Vec<String>,
    /// Ids that are related but do not identify it (a bundle advisory's own id).
    related: Vec<String>,
    cves: Vec<String>,
}

fn is_distro_feed(adv: &Advisory, format: &str) -> bool {
    format.starts_with("debian")
        || format == "alpine-secdb"
        || adv.affected.iter().any(|a| {
            a.package.as_ref().is_some_and(|p| {
                matches!(
                    vigil_osv::ecosystem::base(&p.ecosystem),
                    "Debian"
                        | "Ubuntu"
                        | "Alpine"
                        | "AlmaLinux"
                        | "Rocky Linux"
                        | "Red Hat"
                        | "SUSE"
                        | "openSUSE"
                        | "Mageia"
                )
            })
        })
}

fn record_cves(adv: &Advisory, distro: bool) -> Vec<String> {
    let mut out: Vec<String> = adv.cve_ids().map(str::to_owned).collect();
    if distro {
        // Distribution errata (ALSA, RHSA) list the CVEs they fix under `related`.
        out.extend(
            adv.related
                .iter()
                .filter(|r| r.starts_with("CVE-"))
                .cloned(),
        );
    }
    out.sort();
    out.dedup();
    out
}

/// Match an inventory against the database.
/// Record evaluations remembered across inventories matched against one database: a fleet
/// holds the same package (same name, version and distribution) on many resources, and its
/// verdicts depend on nothing else. Findings are still built per resource. Only valid with the
/// database it was filled from.
#[derive(Default)]
pub struct Memo {
    packages: HashMap<String, Memoized>,
    pub hits: usize,
    pub misses: usize,
}

#[derive(Clone)]
struct Memoized {
    units: Vec<Unit>,
    judgements: Vec<Judgement>,
    records_considered: usize,
    withdrawn_skipped: usize,
    not_affected: usize,
    not_evaluable: usize,
}

/// A digest of everything `pkg`'s findings are built from in `db`: every record that affects
/// it (the record itself, the verdict with its fixed versions, the ids it merges under) and the
/// KEV and NVD enrichment of its CVEs, and their EPSS bucket ([`vigil_osv::epss_bucket`]). Equal
/// digests under two databases mean the package's findings score the same under both (an EPSS
/// value that moves within its bucket aside, as in [`vigil_osv::Database::key_digests`]),
/// so a re-evaluation can leave it alone. `None` for a package that is not matched at all.
pub fn verdict_digest(
    pkg: &Package,
    distro: Option<&Distro>,
    db: &Database,
) -> Result<Option<[u8; 32]>, Error> {
    if pkg.owner.is_some() && !pkg.ecosystem.is_os() {
        return Ok(None);
    }
    let Ok(q) = target::query(pkg, distro) else {
        return Ok(None);
    };
    if q.scheme.parse(&q.version).is_err() {
        return Ok(None);
    }
    let units = evaluate_package(pkg, &q, db)?.units;
    let mut parts: Vec<String> = Vec::with_capacity(units.len());
    for u in &units {
        let mut part = serde_json::to_string(&(
            &u.stored.advisory,
            &u.stored.format,
            &u.affected,
            &u.eval,
            &u.link,
            &u.related,
            &u.cves,
        ))
        .unwrap_or_default();
        for cve in &u.cves {
            part.push_str(&serde_json::to_string(&db.kev(cve)?).unwrap_or_default());
            part.push_str(&serde_json::to_string(&db.nvd(cve)?).unwrap_or_default());
            // EPSS by its side of the Vigil score's thresholds
            if let Some(e) = db.epss(cve)? {
                part.push_str(&format!("epss{}", vigil_osv::epss_bucket(e.score)));
            }
        }
        parts.push(part);
    }
    parts.sort();
    let mut h = Sha256::new();
    for p in &parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    Ok(Some(h.finalize().into()))
}

/// Every record under the package's keys, evaluated for its version: the affected units
/// findings are built from, the negative judgements, and the counts.
fn evaluate_package(pkg: &Package, q: &target::Query, db: &Database) -> Result<Memoized, Error> {
    let mut local = Report::default();
    let mut seen = BTreeSet::new();
    let mut units = Vec::new();
    for eco in &q.ecosystems {
        for name in &q.names {
            let key = vigil_osv::ecosystem::index_key(eco, name);
            for stored in db.advisories_for(eco, name)? {
                if !seen.insert((stored.source.clone(), stored.advisory.id.clone())) {
                    continue;
                }
                local.stats.records_considered += 1;
                if stored.advisory.is_withdrawn() {
                    local.stats.withdrawn_skipped += 1;
                    continue;
                }
                evaluate_record(&stored, &key, q, pkg, &mut units, &mut local);
            }
        }
    }
    Ok(Memoized {
        units,
        judgements: local.judgements,
        records_considered: local.stats.records_considered,
        withdrawn_skipped: local.stats.withdrawn_skipped,
        not_affected: local.stats.not_affected,
        not_evaluable: local.stats.not_evaluable,
    })
}

/// A package's reference in findings (`vigil.packageRef`): its ecosystem and name.
pub fn package_ref(pkg: &Package) -> String {
    format!("{}/{}", pkg.ecosystem.as_str(), pkg.name)
}

/// The index keys (ecosystem, normalised name) [`match_inventory`] looks `pkg` up under in
/// the inventory's distribution; none for a language package an OS package installed (its
/// owner is matched instead) or one that cannot be matched.
pub fn package_keys(pkg: &Package, distro: Option<&Distro>) -> Vec<(String, String)> {
    if pkg.owner.is_some() && !pkg.ecosystem.is_os() {
        return Vec::new();
    }
    let Ok(q) = target::query(pkg, distro) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for eco in &q.ecosystems {
        for name in &q.names {
            out.push(vigil_osv::ecosystem::index_key(eco, name));
        }
    }
    out
}

pub fn match_inventory(
    inv: &Inventory,
    db: &Database,
    opts: &MatchOptions,
) -> Result<Report, Error> {
    match_inventory_with(inv, db, opts, None)
}

/// [`match_inventory`], remembering record evaluations in `memo` (see [`Memo`]).
pub fn match_inventory_with(
    inv: &Inventory,
    db: &Database,
    opts: &MatchOptions,
    mut memo: Option<&mut Memo>,
) -> Result<Report, Error> {
    let mut report = Report::default();
    report.stats.packages = inv.packages.len();
    let mut notes = BTreeSet::new();
    let image = inv.target.image.is_some();
    let res = resource(inv, opts);
    for pkg in &inv.packages {
        if let Some(owner) = &pkg.owner
            && !pkg.ecosystem.is_os()
        {
            // Installed by an OS package (Debian's python3-django, ...): the distribution
            // patches it without changing the upstream version, so upstream records would be
            // false positives; its owner is matched with the distribution's records instead.
            report.stats.owned_by_os_package += 1;
            tracing::debug!(package = %pkg.name, owner = %owner.name, "matched through its OS package");
            continue;
        }
        let q = match target::query(pkg, inv.distro.as_ref()) {
            Ok(q) => q,
            Err(target::Unmatched(msg)) => {
                notes.insert(msg);
                continue;
            }
        };
        if let Err(e) = q.scheme.parse(&q.version) {
            notes.insert(format!(
                "{} {} at {}: installed version is not a valid {} version ({e}); not evaluated",
                pkg.name,
                q.version,
                pkg.locations
                    .first()
                    .map(|l| l.path.as_str())
                    .unwrap_or("?"),
                q.scheme.name()
            ));
            continue;
        }
        report.stats.packages_evaluated += 1;
        for eco in &q.ecosystems {
            for name in &q.names {
                report
                    .keys
                    .insert(vigil_osv::ecosystem::index_key(eco, name));
            }
        }
        // everything the verdicts depend on (only worth building with a memo)
        let fingerprint = if memo.is_none() {
            String::new()
        } else {
            format!(
                "{:?}\n{:?}\n{}\n{:?}\n{}\n{}\n{}",
                q.ecosystems,
                q.names,
                q.version,
                q.scheme,
                pkg.name,
                pkg.version,
                pkg.ecosystem.as_str()
            )
        };
        let remembered = memo
            .as_deref()
            .and_then(|m| m.packages.get(&fingerprint))
            .cloned();
        let evaluated = match remembered {
            Some(m) => {
                if let Some(memo) = memo.as_deref_mut() {
                    memo.hits += 1;
                }
                m
            }
            None => {
                let m = evaluate_package(pkg, &q, db)?;
                if let Some(memo) = memo.as_deref_mut() {
                    memo.misses += 1;
                    memo.packages.insert(fingerprint, m.clone());
                }
                m
            }
        };
        report.stats.records_considered += evaluated.records_considered;
        report.stats.withdrawn_skipped += evaluated.withdrawn_skipped;
        report.stats.not_affected += evaluated.not_affected;
        report.stats.not_evaluable += evaluated.not_evaluable;
        report.judgements.extend(evaluated.judgements);
        build_findings(pkg, &q, evaluated.units, db, opts, image, &res, &mut report)?;
    }
    report.notes = notes.into_iter().collect();
    report.findings.sort_by(|a, b| {
        severity::rank(&a.severity)
            .cmp(&severity::rank(&b.severity))
            .then_with(|| {
                b.inspector_score
                    .unwrap_or(0.0)
                    .total_cmp(&a.inspector_score.unwrap_or(0.0))
            })
            .then_with(|| {
                a.package_vulnerability_details
                    .vulnerability_id
                    .cmp(&b.package_vulnerability_details.vulnerability_id)
            })
            .then_with(|| {
                let (pa, pb) = (
                    &a.package_vulnerability_details.vulnerable_packages[0],
                    &b.package_vulnerability_details.vulnerable_packages[0],
                );
                (&pa.name, &pa.file_path).cmp(&(&pb.name, &pb.file_path))
            })
            .then_with(|| a.finding_arn.cmp(&b.finding_arn))
    });
    report.stats.findings = report.findings.len();
    Ok(report)
}

fn provenance(
    stored: &StoredAdvisory,
    af: &Affected,
    q: &target::Query,
    eval: &Evaluation,
) -> Provenance {
    let (ecosystem, package) = af
        .package
        .as_ref()
        .map(|p| (p.ecosystem.clone(), p.name.clone()))
        .unwrap_or_default();
    Provenance {
        record: stored.advisory.id.clone(),
        source: stored.source.clone(),
        feed: stored.format.clone(),
        modified: stored.advisory.modified.clone(),
        ecosystem,
        package,
        compared: q.compared_as.clone(),
        comparator: q.scheme.name().to_owned(),
        ranges: eval.ranges.clone(),
        distro_status: eval.distro_status.map(|s| s.as_str().to_owned()),
        verdict: match eval.verdict {
            Verdict::Affected => "affected",
            Verdict::NotAffected => "not-affected",
            Verdict::NotEvaluable => "not-evaluable",
        }
        .to_owned(),
        reason: eval.reason.clone(),
    }
}

fn evaluate_record(
    stored: &Arc<StoredAdvisory>,
    key: &(String, String),
    q: &target::Query,
    pkg: &Package,
    units: &mut Vec<Unit>,
    report: &mut Report,
) {
    let adv = &stored.advisory;
    // All affected[] entries for this package; the first affected verdict wins, otherwise the
    // most informative negative one is kept.
    let mut best: Option<(Affected, Evaluation)> = None;
    for af in &adv.affected {
        let Some(p) = &af.package else { continue };
        if vigil_osv::ecosystem::index_key(&p.ecosystem, &p.name) != *key {
            continue;
        }
        let eval = evaluate::evaluate(af, q.scheme, &q.version);
        let better = match (&best, eval.verdict) {
            (None, _) => true,
            (Some((_, b)), Verdict::Affected) => b.verdict != Verdict::Affected,
            (Some((_, b)), Verdict::NotAffected) => b.verdict == Verdict::NotEvaluable,
            _ => false,
        };
        if better {
            best = Some((af.clone(), eval));
        }
    }
    let Some((affected, eval)) = best else { return };
    let distro = is_distro_feed(adv, &stored.format);
    let cves = record_cves(adv, distro);
    if eval.verdict != Verdict::Affected {
        match eval.verdict {
            Verdict::NotAffected => report.stats.not_affected += 1,
            _ => report.stats.not_evaluable += 1,
        }
        let mut ids: Vec<String> = std::iter::once(adv.id.clone())
            .chain(adv.aliases.iter().cloned())
            .chain(cves.iter().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        report.judgements.push(Judgement {
            package: pkg.name.clone(),
            version: pkg.version.clone(),
            ecosystem: pkg.ecosystem.as_str().to_owned(),
            ids,
            provenance: provenance(stored, &affected, q, &eval),
        });
        return;
    }
    if distro && cves.len() >= 2 {
        for cve in &cves {
            units.push(Unit {
                stored: stored.clone(),
                affected: affected.clone(),
                eval: eval.clone(),
                link: vec![cve.clone()],
                related: vec![adv.id.clone()],
                cves: vec![cve.clone()],
            });
        }
    } else {
        let mut link: Vec<String> = std::iter::once(adv.id.clone())
            .chain(adv.aliases.iter().cloned())
            .chain(adv.upstream.iter().cloned())
            .chain(cves.iter().cloned())
            .collect();
        link.sort();
        link.dedup();
        units.push(Unit {
            stored: stored.clone(),
            affected,
            eval,
            link,
            related: Vec::new(),
            cves,
        });
    }
}

/// Union-find over the units' link ids.
fn clusters(units: &[Unit]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..units.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        for id in &u.link {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a] = b;
                    }
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..units.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

/// How much a record is preferred as the finding's primary source (lower is better).
fn preference(u: &Unit, os: bool) -> (u8, String) {
    let id = &u.stored.advisory.id;
    let rank = if os || id.starts_with("GHSA-") {
        0
    } else if id.starts_with("CVE-") {
        2
    } else {
        1
    };
    (rank, id.clone())
}

fn source_label(u: &Unit) -> String {
    let id = &u.stored.advisory.id;
    let prefix = id.split(['-', ':']).next().unwrap_or("");
    match (u.stored.format.as_str(), prefix) {
        (f, _) if f.starts_with("debian") => "DEBIAN_SECURITY_TRACKER",
        ("alpine-secdb", _) => "ALPINE_SECDB",
        ("rubysec", _) => "RUBYSEC",
        ("friendsofphp", _) => "FRIENDSOFPHP",
        ("nodejs-wg", _) => "NODEJS_SECURITY_WG",
        (_, "GHSA") => "GITHUB",
        (_, "PYSEC") => "PYPA",
        (_, "RUSTSEC") => "RUSTSEC",
        (_, "GO") => "GO_VULNDB",
        (_, "ALSA" | "ALBA" | "ALEA") => "ALMALINUX",
        (_, "BIT") => "BITNAMI",
        (_, "OSV") => "OSS_FUZZ",
        (_, "CVE") => "NVD",
        _ => "OSV",
    }
    .to_owned()
}

fn package_manager(pkg: &Package) -> &'static str {
    match (pkg.ecosystem, pkg.cataloger.as_str()) {
        (Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk, _) => "OS",
        (Ecosystem::PyPi, "python-requirements" | "python-uv-lock") => "PIP",
        (Ecosystem::PyPi, "python-poetry-lock") => "POETRY",
        (Ecosystem::PyPi, "python-pipfile-lock") => "PIPENV",
        (Ecosystem::PyPi, _) => "PYTHONPKG",
        (Ecosystem::Npm, "javascript-yarn-lock") => "YARN",
        (Ecosystem::Npm, "javascript-package-lock" | "javascript-pnpm-lock") => "NPM",
        (Ecosystem::Npm, _) => "NODEPKG",
        (Ecosystem::Cargo, _) => "CARGO",
        (Ecosystem::Go, "go-mod") => "GOMOD",
        (Ecosystem::Go, _) => "GOBINARY",
        (Ecosystem::Maven, _) => "JAR",
        (Ecosystem::RubyGems, "ruby-gemfile-lock") => "BUNDLER",
        (Ecosystem::RubyGems, _) => "GEMSPEC",
        (Ecosystem::Packagist, _) => "COMPOSER",
        (Ecosystem::NuGet, "dotnet-deps-json") => "DOTNET_CORE",
        (Ecosystem::NuGet, _) => "NUGET",
    }
}

/// rpm `epoch:version-release` into its parts.
fn rpm_parts(v: &str) -> (Option<i64>, String, Option<String>) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) => (e.parse().ok(), r),
        _ => (None, v),
    };
    match rest.rsplit_once('-') {
        Some((ver, rel)) => (
            Some(epoch.unwrap_or(0)),
            ver.to_owned(),
            Some(rel.to_owned()),
        ),
        None => (Some(epoch.unwrap_or(0)), rest.to_owned(), None),
    }
}

/// The resource a scan of `inv` is about (the one its findings name).
pub fn resource(inv: &Inventory, opts: &MatchOptions) -> Resource {
    let t = &inv.target;
    let (kind, id, details) = if let Some(img) = &t.image {
        let hash = img
            .manifest_digest
            .clone()
            .unwrap_or_else(|| img.config_digest.clone());
        let (repo, tags): (String, Vec<String>) = {
            let mut repo = String::new();
            let mut tags = Vec::new();
            for tag in &img.tags {
                match tag
                    .rsplit_once(':')
                    .filter(|(r, _)| !r.is_empty() && !r.ends_with('/'))
                {
                    Some((r, tg)) => {
                        repo = r.to_owned();
                        tags.push(tg.to_owned());
                    }
                    None => tags.push(tag.clone()),
                }
            }
            (repo, tags)
        };
        let details = serde_json::json!({"awsEcrContainerImage": {
            "architecture": img.architecture,
            "imageHash": hash,
            "imageTags": tags,
            "platform": inv.distro.as_ref().map(|d| format!("{}_{}", d.id.to_uppercase(), d.version_id.clone().unwrap_or_default())).unwrap_or_default(),
            "repositoryName": repo,
            "pushedAt": img.created,
        }});
        // an image followed in a registry is named by the registry (its ARN), not its digest:
        // the same digest pushed to two repositories is two resources
        let id = if t.kind == "registry" {
            t.name.clone()
        } else {
            hash
        };
        ("AWS_ECR_CONTAINER_IMAGE", id, Some(details))
    } else if t.kind == "zip" {
        ("AWS_LAMBDA_FUNCTION", t.name.clone(), None)
    } else {
        ("AWS_EC2_INSTANCE", t.name.clone(), None)
    };
    Resource {
        kind: kind.to_owned(),
        id,
        partition: "vigil".to_owned(),
        region: opts.region.clone(),
        tags: Default::default(),
        details,
    }
}

#[allow(clippy::too_many_arguments)]
fn build_findings(
    pkg: &Package,
    q: &target::Query,
    units: Vec<Unit>,
    db: &Database,
    opts: &MatchOptions,
    image: bool,
    res: &Resource,
    report: &mut Report,
) -> Result<(), Error> {
    if units.is_empty() {
        return Ok(());
    }
    let os = pkg.ecosystem.is_os();
    for group in clusters(&units) {
        let mut members: Vec<&Unit> = group.iter().map(|&i| &units[i]).collect();
        members.sort_by_key(|u| preference(u, os));
        let primary = members[0];
        let mut cves: Vec<String> = members
            .iter()
            .flat_map(|u| u.cves.iter().cloned())
            .collect();
        cves.sort();
        cves.dedup();
        let mut ids: Vec<String> = members
            .iter()
            .flat_map(|u| u.link.iter().chain(&u.related).cloned())
            .collect();
        ids.sort();
        ids.dedup();
        let vulnerability_id = if cves.len() == 1 {
            cves[0].clone()
        } else {
            primary.stored.advisory.id.clone()
        };
        let related: Vec<String> = ids
            .iter()
            .filter(|i| **i != vulnerability_id)
            .cloned()
            .collect();

        // Fix: the primary record's, else any record's.
        let mut fixed_versions: Vec<String> = members
            .iter()
            .filter_map(|u| u.eval.fixed.clone())
            .collect();
        fixed_versions.dedup();
        let fixed = primary
            .eval
            .fixed
            .clone()
            .or_else(|| fixed_versions.first().cloned());
        let any_unfixed = members.iter().any(|u| u.eval.fixed.is_none());
        let fix_available = match (&fixed, any_unfixed) {
            (None, _) => "NO",
            (Some(_), true) if members.len() > 1 && primary.eval.fixed.is_none() => "PARTIAL",
            _ => "YES",
        };
        let last_affected = primary.eval.last_affected.clone();

        // Severity and scores.
        let mut problems = Vec::new();
        let items: Vec<(&Advisory, &Affected, &str)> = members
            .iter()
            .map(|u| {
                (
                    &u.stored.advisory,
                    &u.affected,
                    u.stored.advisory.id.as_str(),
                )
            })
            .collect();
        let mut nvd_vectors = Vec::new();
        let mut description = None;
        for cve in &cves {
            if let Some(n) = db.nvd(cve)? {
                nvd_vectors.extend(
                    n.vectors
                        .iter()
                        .map(|(k, v, s)| (k.clone(), v.clone(), format!("NVD ({s})"))),
                );
                if description.is_none() {
                    description = n.description.clone();
                }
            }
        }
        let cvss = severity::cvss_scores(&items, &nvd_vectors, &mut problems);
        for p in problems {
            report
                .notes
                .push(format!("{vulnerability_id}: bad CVSS vector skipped: {p}"));
        }
        let vendor = members
            .iter()
            .find_map(|u| severity::vendor_severity(&u.stored.advisory));
        let best = severity::best(&cvss);
        let informational = members
            .iter()
            .all(|u| severity::is_informational(&u.stored.advisory));
        let sev = if informational {
            "INFORMATIONAL".to_owned()
        } else if os && vendor.is_some() {
            vendor.clone().unwrap_or_default()
        } else if let Some(b) = best {
            severity::rating(&b.version, b.base_score).to_owned()
        } else {
            vendor.clone().unwrap_or_else(|| "UNTRIAGED".to_owned())
        };

        // KEV and EPSS over every CVE of the cluster.
        let mut kev = None;
        let mut epss: Option<(f64, f64)> = None;
        for cve in &cves {
            if kev.is_none()
                && let Some(k) = db.kev(cve)?
            {
                kev = Some(KevInfo {
                    cve: k.cve_id.clone(),
                    date_added: k.date_added.clone(),
                    due_date: k.due_date.clone(),
                    known_ransomware_campaign_use: k.known_ransomware_campaign_use.clone(),
                    required_action: k.required_action.clone(),
                });
            }
            if let Some(e) = db.epss(cve)?
                && epss.is_none_or(|(s, _)| e.score > s)
            {
                epss = Some((e.score, e.percentile));
            }
        }

        let adv = &primary.stored.advisory;
        let description = adv
            .details
            .clone()
            .filter(|d| !d.trim().is_empty())
            .or_else(|| adv.summary.clone())
            .or(description)
            .unwrap_or_else(|| format!("{vulnerability_id} affects {}", pkg.name));
        let mut references: Vec<String> = members
            .iter()
            .flat_map(|u| u.stored.advisory.references.iter().map(|r| r.url.clone()))
            .collect();
        references.sort();
        references.dedup();
        let source_url = adv
            .references
            .iter()
            .find(|r| r.kind == "ADVISORY")
            .map(|r| r.url.clone());
        let mut context = Vec::new();
        if image && target::is_kernel(pkg) {
            context.push(
                "kernel package inside a container image: containers run on their host's kernel, so this concerns hosts booted from this image's kernel, not the containers' running kernel".to_owned(),
            );
        }
        if pkg.kind == PackageKind::Declared {
            context
                .push("declared by a lockfile or manifest (not necessarily installed)".to_owned());
        }
        if let Some(s) = primary.eval.distro_status
            && s != vigil_osv::DistroStatus::Fixed
        {
            context.push(format!(
                "distribution status: {}{}",
                s.as_str(),
                primary
                    .affected
                    .distro_status_note()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ));
        }
        // the Vigil score: the base adjusted to the resource's exposure and to exploitation
        let adjusted = best.map(|b| {
            risk::adjust(
                &b.version,
                &b.scoring_vector,
                b.base_score,
                &opts.exposure,
                &pkg.name,
                kev.as_ref().map(|k| k.date_added.as_str()),
                epss,
            )
        });
        let score = adjusted.as_ref().map(|a| a.score);
        let sev = match &adjusted {
            Some(a) if !a.adjustments.is_empty() && sev != "INFORMATIONAL" => {
                risk::rating(a.score).to_owned()
            }
            _ => sev,
        };
        let provenance: Vec<Provenance> = members
            .iter()
            .map(|u| provenance(&u.stored, &u.affected, q, &u.eval))
            .collect();
        let remediation_text = remediation::text(pkg, fixed.as_deref(), last_affected.as_deref());
        let locations: Vec<_> = if pkg.locations.is_empty() {
            vec![None]
        } else {
            pkg.locations.iter().map(Some).collect()
        };
        for loc in locations {
            let (epoch, version, release) = if pkg.ecosystem == Ecosystem::Rpm {
                rpm_parts(&pkg.version)
            } else {
                (None, pkg.version.clone(), None)
            };
            let path = loc.map(|l| l.path.clone());
            let layer = loc.and_then(|l| l.layer.as_ref());
            let identity = format!(
                "{}\n{}\n{}\n{}\n{}",
                res.id,
                vulnerability_id,
                pkg.ecosystem.as_str(),
                pkg.name,
                path.as_deref().unwrap_or("")
            );
            let hash = hex(&Sha256::digest(identity.as_bytes()))[..32].to_owned();
            report.findings.push(Finding {
                aws_account_id: opts.account.clone(),
                finding_arn: format!(
                    "arn:vigil:inspector2:{}:{}:finding/{hash}",
                    opts.region, opts.account
                ),
                kind: "PACKAGE_VULNERABILITY".into(),
                title: format!("{vulnerability_id} - {}", pkg.name),
                description: description.clone(),
                severity: sev.clone(),
                status: "ACTIVE".into(),
                first_observed_at: opts.observed_at.clone(),
                last_observed_at: opts.observed_at.clone(),
                updated_at: opts.observed_at.clone(),
                fix_available: fix_available.into(),
                exploit_available: if kev.is_some() { "YES" } else { "NO" }.into(),
                exploitability_details: kev.as_ref().map(|k| ExploitabilityDetails {
                    last_known_exploit_at: k.date_added.clone(),
                }),
                epss: epss.map(|(s, _)| Epss { score: s }),
                inspector_score: score,
                inspector_score_details: best.zip(adjusted.as_ref()).map(|(b, a)| {
                    InspectorScoreDetails {
                        adjusted_cvss: AdjustedCvss {
                            adjustments: a.adjustments.clone(),
                            cvss_source: b.source.clone(),
                            score: a.score,
                            score_source: b.source.clone(),
                            scoring_vector: a.vector.clone(),
                            version: b.version.clone(),
                        },
                    }
                }),
                package_vulnerability_details: PackageVulnerabilityDetails {
                    vulnerability_id: vulnerability_id.clone(),
                    related_vulnerabilities: related.clone(),
                    source: source_label(primary),
                    source_url: source_url.clone(),
                    cvss: cvss.clone(),
                    reference_urls: references.clone(),
                    vendor_severity: vendor.clone(),
                    vendor_created_at: adv.published.clone(),
                    vendor_updated_at: adv.modified.clone(),
                    vulnerable_packages: vec![VulnerablePackage {
                        name: pkg.name.clone(),
                        version,
                        epoch,
                        release,
                        arch: pkg.arch.clone(),
                        package_manager: package_manager(pkg).into(),
                        file_path: path.clone(),
                        fixed_in_version: Some(
                            fixed.clone().unwrap_or_else(|| "NotAvailable".into()),
                        ),
                        remediation: fixed.as_deref().map(|f| remediation::command(pkg, f)),
                        source_layer_hash: layer.map(|l| l.digest.clone()),
                    }],
                },
                remediation: Remediation {
                    recommendation: Recommendation {
                        text: remediation_text.clone(),
                        url: source_url.clone(),
                    },
                },
                resources: vec![res.clone()],
                vigil: VigilDetails {
                    aliases: ids.clone(),
                    package_ref: package_ref(pkg),
                    ecosystem: pkg.ecosystem.as_str().into(),
                    purl: pkg.purl.clone(),
                    fixed_versions: fixed_versions.clone(),
                    layer_index: layer.map(|l| l.index),
                    epss_percentile: epss.map(|(_, p)| p),
                    kev: kev.clone(),
                    context: context.clone(),
                    provenance: provenance.clone(),
                },
            });
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

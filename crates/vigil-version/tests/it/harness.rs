//! Runs a reference implementation once per scheme in batch (the protocol is described in
//! `tests/oracles/README.md`) and compares its answers with `Scheme::parse`/`Scheme::compare`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vigil_version::Scheme;

/// One request to an oracle.
pub enum Req {
    /// Is this version valid?
    V(String),
    /// Compare two versions.
    C(String, String),
}

/// A documented disagreement between Vigil and the reference on one pair (either order).
pub struct Known {
    pub a: &'static str,
    pub b: &'static str,
    pub reason: &'static str,
}

pub fn oracles_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracles")
}

fn hex(s: &str) -> String {
    let mut out = String::with_capacity(1 + 2 * s.len());
    out.push('x');
    for b in s.bytes() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Fails the test, naming what to install, unless `program args...` runs and exits 0.
pub fn require(program: &str, args: &[&str], install: &str) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "reference tool check `{program} {}` failed ({}): {}\ninstall it with: {install}",
            args.join(" "),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!("reference tool `{program}` cannot run ({e})\ninstall it with: {install}"),
    }
}

/// Fails the test, naming what to install, unless `path` exists.
pub fn require_path(path: &Path, install: &str) {
    assert!(
        path.exists(),
        "reference file {} is missing\ninstall it with: {install}",
        path.display()
    );
}

/// Runs `cmd <request file>` once and returns one answer line per request.
pub fn ask(mut cmd: Command, reqs: &[Req]) -> Vec<String> {
    if reqs.is_empty() {
        return Vec::new();
    }
    let mut input = String::new();
    for r in reqs {
        match r {
            Req::V(v) => writeln!(input, "V {}", hex(v)),
            Req::C(a, b) => writeln!(input, "C {} {}", hex(a), hex(b)),
        }
        .expect("write to string");
    }
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), input).expect("write requests");
    cmd.arg(file.path());
    let shown = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run oracle {shown}: {e}"));
    assert!(
        out.status.success(),
        "oracle {shown} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<String> = String::from_utf8(out.stdout)
        .expect("oracle output is UTF-8")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        answers.len(),
        reqs.len(),
        "oracle {shown} answered {} of {} requests; stderr:\n{}",
        answers.len(),
        reqs.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    answers
}

/// The answer a composite oracle gives for a request it chose not to send to any reference
/// (counted as not compared).
pub const SKIP: &str = "skip";

pub fn ordering(answer: &str) -> Option<Ordering> {
    match answer {
        "-1" => Some(Ordering::Less),
        "0" => Some(Ordering::Equal),
        "1" => Some(Ordering::Greater),
        "invalid" | SKIP => None,
        other => panic!("unexpected oracle answer {other:?}"),
    }
}

fn sym(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

/// Explains a parse-acceptance difference: `(version, we accept it, the oracle's answer)` to
/// `Some(reason)` for a documented, deliberate difference, `None` for a bug.
pub type ParseDiff<'a> = &'a dyn Fn(&str, bool, &str) -> Option<&'static str>;

pub struct Diff<'a> {
    pub scheme: Scheme,
    /// Versions whose acceptance is compared (pair members are added).
    pub versions: Vec<String>,
    /// Pairs whose ordering is compared (pairs of `known` are added).
    pub pairs: Vec<(String, String)>,
    pub known: &'a [Known],
    pub parse_diff: ParseDiff<'a>,
    /// What to hand the reference for one of our version strings (Go adds the `v`).
    pub to_ref: &'a dyn Fn(&str) -> String,
    /// The test fails if fewer pairs are actually compared (both sides valid for both).
    pub min_pairs: usize,
}

pub struct Outcome {
    pub compared: usize,
    pub failures: Vec<String>,
}

impl Diff<'_> {
    /// Asks the oracle (one batch), compares, prints the summary lines and panics on any
    /// unexplained difference.
    pub fn run(self, oracle: impl FnOnce(&[Req]) -> Vec<String>) -> Outcome {
        let outcome = self.evaluate(oracle);
        if !outcome.failures.is_empty() {
            let mut msg = format!(
                "differential {}: {} problems\n",
                self.scheme,
                outcome.failures.len()
            );
            for f in outcome.failures.iter().take(60) {
                msg.push_str("  ");
                msg.push_str(f);
                msg.push('\n');
            }
            if outcome.failures.len() > 60 {
                let _ = writeln!(msg, "  ... and {} more", outcome.failures.len() - 60);
            }
            panic!("{msg}");
        }
        outcome
    }

    fn evaluate(&self, oracle: impl FnOnce(&[Req]) -> Vec<String>) -> Outcome {
        let scheme = self.scheme;
        let mut pairs = self.pairs.clone();
        let mut seen: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (a, b) in &self.pairs {
            seen.insert((a.as_str(), b.as_str()));
            seen.insert((b.as_str(), a.as_str()));
        }
        for k in self.known {
            if !seen.contains(&(k.a, k.b)) {
                pairs.push((k.a.to_owned(), k.b.to_owned()));
            }
        }
        let mut versions: BTreeSet<String> = self.versions.iter().cloned().collect();
        for (a, b) in &pairs {
            versions.insert(a.clone());
            versions.insert(b.clone());
        }
        let versions: Vec<String> = versions.into_iter().collect();
        let mut reqs: Vec<Req> = versions.iter().map(|v| Req::V((self.to_ref)(v))).collect();
        reqs.extend(
            pairs
                .iter()
                .map(|(a, b)| Req::C((self.to_ref)(a), (self.to_ref)(b))),
        );
        let answers = oracle(&reqs);
        assert_eq!(answers.len(), reqs.len(), "oracle answered every request");
        let (v_answers, c_answers) = answers.split_at(versions.len());

        let mut failures = Vec::new();

        // parse acceptance
        let mut explained: BTreeMap<(bool, &'static str), usize> = BTreeMap::new();
        let (mut we_only, mut ref_only) = (0usize, 0usize);
        for (v, ans) in versions.iter().zip(v_answers) {
            if ans == SKIP {
                continue;
            }
            let ours = scheme.parse(v).is_ok();
            let theirs = ans.starts_with("ok");
            if ours == theirs {
                continue;
            }
            if ours {
                we_only += 1;
            } else {
                ref_only += 1;
            }
            match (self.parse_diff)(v, ours, ans) {
                Some(reason) => *explained.entry((ours, reason)).or_default() += 1,
                None => failures.push(format!(
                    "parse {v:?}: we {}, the reference {} ({ans})",
                    if ours { "accept" } else { "reject" },
                    if theirs { "accepts" } else { "rejects" },
                )),
            }
        }

        // ordering
        let known: BTreeMap<(&str, &str), &Known> = self
            .known
            .iter()
            .flat_map(|k| [((k.a, k.b), k), ((k.b, k.a), k)])
            .collect();
        let mut hit_known: BTreeSet<(&str, &str)> = BTreeSet::new();
        let (mut compared, mut disagreements, mut known_count) = (0usize, 0usize, 0usize);
        for ((a, b), ans) in pairs.iter().zip(c_answers) {
            let Some(theirs) = ordering(ans) else {
                continue;
            };
            let (Ok(va), Ok(vb)) = (scheme.parse(a), scheme.parse(b)) else {
                continue;
            };
            compared += 1;
            let ours = va.cmp(&vb);
            if vb.cmp(&va) != ours.reverse() {
                failures.push(format!("{a:?} vs {b:?}: our ordering is not antisymmetric"));
            }
            if ours == theirs {
                continue;
            }
            disagreements += 1;
            if let Some(k) = known.get(&(a.as_str(), b.as_str())) {
                known_count += 1;
                hit_known.insert((k.a, k.b));
                continue;
            }
            failures.push(format!(
                "{a:?} {} {b:?} for the reference, {} for us",
                sym(theirs),
                sym(ours)
            ));
        }
        for k in self.known {
            if !hit_known.contains(&(k.a, k.b)) {
                failures.push(format!(
                    "KNOWN entry {:?} vs {:?} ({}) no longer disagrees: remove it",
                    k.a, k.b, k.reason
                ));
            }
        }
        if compared < self.min_pairs {
            failures.push(format!(
                "only {compared} pairs were compared, the test wants at least {}",
                self.min_pairs
            ));
        }

        eprintln!(
            "differential {scheme}: {compared} pairs, {disagreements} disagreements ({known_count} known)"
        );
        let mut line = format!(
            "acceptance {scheme}: {} versions; accepted only by us: {we_only}; accepted only by the reference: {ref_only}",
            versions.len()
        );
        for ((ours, reason), n) in &explained {
            let _ = write!(
                line,
                "\n    {n} {} by us only: {reason}",
                if *ours { "accepted" } else { "rejected" }
            );
        }
        eprintln!("{line}");
        Outcome { compared, failures }
    }
}

//! OSV range evaluation, exactly as the OSV schema specifies it
//! (<https://ossf.github.io/osv-schema/#evaluation>), with one comparator per ecosystem.
//!
//! For each `SEMVER`/`ECOSYSTEM` range the events are sorted by version (`introduced: "0"`
//! first; ties keep the record's order) and walked: `introduced` at or below the installed
//! version makes it vulnerable, `fixed` at or below makes it not vulnerable, `last_affected`
//! strictly below makes it not vulnerable, and `limit` at or below ends the range. An explicit
//! `versions` list entry equal to the installed version also means affected. `GIT` ranges need
//! a commit, which an installed package does not carry: they are reported as not evaluable,
//! never guessed. An event version the comparator cannot parse makes that range not evaluable
//! (and says which event), rather than being compared as a string.

use std::cmp::Ordering;

use serde::Serialize;
use vigil_osv::{Affected, DistroStatus, Event, Range, RangeType};
use vigil_version::{Scheme, Version};

/// The outcome of evaluating one `affected[]` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Affected,
    NotAffected,
    NotEvaluable,
}

/// The outcome with its reasons.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// Why, in words: the comparison or status that decided it.
    pub reason: String,
    /// The ranges as evaluated (`ECOSYSTEM: introduced 0, fixed 1.2.3`).
    pub ranges: Vec<String>,
    /// The version that fixes the installed one (the first `fixed` above it in the range that
    /// matched), when there is one.
    pub fixed: Option<String>,
    /// Set when the matching range ends with `last_affected` and no fix is known.
    pub last_affected: Option<String>,
    /// The distribution's status, when the record gives one.
    pub distro_status: Option<DistroStatus>,
}

/// The scheme a range of this type is compared with, for a package whose ecosystem uses
/// `ecosystem_scheme`.
pub fn range_scheme(kind: RangeType, ecosystem_scheme: Scheme) -> Scheme {
    match kind {
        RangeType::Semver => match ecosystem_scheme {
            Scheme::Go | Scheme::NpmSemver => ecosystem_scheme,
            _ => Scheme::Semver,
        },
        _ => ecosystem_scheme,
    }
}

pub fn describe_range(r: &Range) -> String {
    let kind = match r.kind {
        RangeType::Semver => "SEMVER",
        RangeType::Ecosystem => "ECOSYSTEM",
        RangeType::Git => "GIT",
    };
    let events: Vec<String> = r
        .events
        .iter()
        .map(|e| format!("{} {}", e.key(), e.version()))
        .collect();
    format!("{kind}: {}", events.join(", "))
}

/// Evaluate one `affected[]` entry for an installed version.
pub fn evaluate(affected: &Affected, scheme: Scheme, installed: &str) -> Evaluation {
    let ranges: Vec<String> = affected.ranges.iter().map(describe_range).collect();
    let status = affected.distro_status();
    let note = affected
        .distro_status_note()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let base = |verdict, reason: String| Evaluation {
        verdict,
        reason,
        ranges: ranges.clone(),
        fixed: None,
        last_affected: None,
        distro_status: status,
    };
    match status {
        Some(DistroStatus::NotAffected) => {
            return base(
                Verdict::NotAffected,
                format!("the distribution marks this package not affected{note}"),
            );
        }
        Some(
            s @ (DistroStatus::Unfixed
            | DistroStatus::WillNotFix
            | DistroStatus::Postponed
            | DistroStatus::NoDsa
            | DistroStatus::EndOfLife),
        ) => {
            // Affected with no fix; a range may still bound it from below (introduced).
            let mut e = base(
                Verdict::Affected,
                format!(
                    "the distribution's status is `{}`{note}: no fixed version",
                    s.as_str()
                ),
            );
            for r in affected.ranges.iter().filter(|r| r.kind != RangeType::Git) {
                let rs = range_scheme(r.kind, scheme);
                let below = match (introduced_floor(r, rs), rs.parse(installed)) {
                    (Some(floor), Ok(iv)) => iv < floor,
                    _ => false,
                };
                if below {
                    e.verdict = Verdict::NotAffected;
                    e.reason = format!(
                        "{installed} is below the range's `introduced` ({})",
                        describe_range(r)
                    );
                }
            }
            return e;
        }
        Some(DistroStatus::Fixed) | None => {}
    }

    let mut not_evaluable: Vec<String> = Vec::new();
    let mut evaluated_any = false;
    for r in &affected.ranges {
        if r.kind == RangeType::Git {
            not_evaluable.push(format!(
                "GIT range on `{}` needs a commit, which the installed package does not record",
                r.repo.as_deref().unwrap_or("?")
            ));
            continue;
        }
        let rs = range_scheme(r.kind, scheme);
        let iv = match rs.parse(installed) {
            Ok(v) => v,
            Err(e) => {
                not_evaluable.push(format!(
                    "installed version `{installed}` is not a valid {} version: {e}",
                    rs.name()
                ));
                continue;
            }
        };
        match walk(r, rs, &iv) {
            Err(msg) => not_evaluable.push(msg),
            Ok(w) => {
                evaluated_any = true;
                if w.vulnerable {
                    let why = match (&w.fixed, &w.last_affected) {
                        (Some(f), _) => format!(
                            "{installed} is in [{}, fixed {f}) by {}",
                            w.introduced,
                            rs.name()
                        ),
                        (None, Some(l)) => format!(
                            "{installed} is in [{}, last_affected {l}] by {}",
                            w.introduced,
                            rs.name()
                        ),
                        (None, None) => format!(
                            "{installed} is at or above introduced {} with no fix, by {}",
                            w.introduced,
                            rs.name()
                        ),
                    };
                    let mut e = base(Verdict::Affected, why);
                    e.fixed = w.fixed;
                    e.last_affected = w.last_affected;
                    return e;
                }
            }
        }
    }
    if !affected.versions.is_empty() {
        let listed = match scheme.parse(installed) {
            Ok(iv) => affected.versions.iter().any(|v| match scheme.parse(v) {
                Ok(pv) => pv == iv,
                Err(_) => v == installed,
            }),
            Err(_) => affected.versions.iter().any(|v| v == installed),
        };
        evaluated_any = true;
        if listed {
            return base(
                Verdict::Affected,
                format!("{installed} is listed in the record's explicit `versions`"),
            );
        }
    }
    if evaluated_any {
        let why = if affected.ranges.is_empty() {
            format!(
                "{installed} is not among the record's {} listed versions",
                affected.versions.len()
            )
        } else {
            format!("{installed} is outside every range ({})", scheme.name())
        };
        base(Verdict::NotAffected, why)
    } else if not_evaluable.is_empty() {
        base(
            Verdict::NotEvaluable,
            "the record gives neither ranges nor versions for this package".into(),
        )
    } else {
        base(Verdict::NotEvaluable, not_evaluable.join("; "))
    }
}

fn introduced_floor(r: &Range, scheme: Scheme) -> Option<Version> {
    r.events.iter().find_map(|e| match e {
        Event::Introduced(v) if v != "0" => scheme.parse(v).ok(),
        _ => None,
    })
}

struct Walk {
    vulnerable: bool,
    introduced: String,
    fixed: Option<String>,
    last_affected: Option<String>,
}

fn walk(r: &Range, scheme: Scheme, installed: &Version) -> Result<Walk, String> {
    // Parse every event; `introduced: "0"` is below everything.
    let mut events: Vec<(Option<Version>, &Event)> = Vec::with_capacity(r.events.len());
    for e in &r.events {
        let v = e.version();
        if matches!(e, Event::Introduced(_)) && v == "0" {
            events.push((None, e));
            continue;
        }
        match scheme.parse(v) {
            Ok(pv) => events.push((Some(pv), e)),
            Err(err) => {
                return Err(format!(
                    "range event `{}: {v}` is not a valid {} version: {err}",
                    e.key(),
                    scheme.name()
                ));
            }
        }
    }
    events.sort_by(|a, b| match (&a.0, &b.0) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    });
    // Vigil's importers mark ranges whose lower bound is exclusive (a native feed's `> 1.0`,
    // which OSV events cannot express).
    let exclusive = r
        .database_specific
        .as_ref()
        .and_then(|d| d.get("introduced_exclusive"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let mut vulnerable = false;
    let mut introduced = String::new();
    let mut limited = false;
    for (v, e) in &events {
        match e {
            Event::Introduced(s) => {
                if v.as_ref()
                    .is_none_or(|v| installed > v || (!exclusive && installed == v))
                {
                    vulnerable = true;
                    introduced = s.clone();
                }
            }
            Event::Fixed(_) => {
                if v.as_ref().is_some_and(|v| installed >= v) {
                    vulnerable = false;
                }
            }
            Event::LastAffected(_) => {
                if v.as_ref().is_some_and(|v| installed > v) {
                    vulnerable = false;
                }
            }
            Event::Limit(_) => {
                if v.as_ref().is_some_and(|v| installed >= v) {
                    limited = true;
                }
            }
        }
    }
    if limited {
        vulnerable = false;
    }
    let mut fixed = None;
    let mut last_affected = None;
    if vulnerable {
        // The end of the interval holding the installed version: the first fixed or
        // last_affected event above it.
        for (v, e) in &events {
            let Some(v) = v else { continue };
            match e {
                Event::Fixed(s) if v > installed => {
                    fixed = Some(s.clone());
                    break;
                }
                Event::LastAffected(s) if v >= installed => {
                    last_affected = Some(s.clone());
                    break;
                }
                _ => {}
            }
        }
    }
    Ok(Walk {
        vulnerable,
        introduced: if introduced.is_empty() {
            "0".into()
        } else {
            introduced
        },
        fixed,
        last_affected,
    })
}

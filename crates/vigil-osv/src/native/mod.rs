//! Importers for advisory feeds that are not OSV: each turns its native records into OSV
//! [`Advisory`](crate::model::Advisory) values, reporting bad records as
//! [`Problem`](crate::import::Problem)s and skipping them.
//!
//! Native range syntaxes (npm ranges, RubyGems requirements, Composer constraints) are parsed
//! by `vigil_version::constraint` into unions of intervals; [`intervals_to_ranges`] writes each
//! interval as one OSV range. OSV has no exclusive lower bound: where a feed implies one
//! (`> 1.0`, or the complement of `<= 1.0`), the range carries
//! `database_specific.introduced_exclusive = true`, which Vigil's matcher honours.

use serde_json::json;
use vigil_version::Scheme;
use vigil_version::constraint::{Bound, Interval};

use crate::import::Problem;
use crate::model::{Event, Range, RangeType};

pub mod alpine;
pub mod debian;
pub mod friendsofphp;
pub mod nodejs;
pub mod rubysec;

pub(crate) fn problem(location: &str, id: Option<&str>, message: impl Into<String>) -> Problem {
    Problem {
        location: location.to_owned(),
        id: id.map(str::to_owned),
        message: message.into(),
    }
}

/// A record file's name without directory and YAML extension (`gems/rack/CVE-1.yml` -> `CVE-1`).
pub(crate) fn file_stem(location: &str) -> &str {
    location
        .rsplit(['/', '!'])
        .next()
        .unwrap_or(location)
        .trim_end_matches(".yml")
        .trim_end_matches(".yaml")
}

/// One OSV range per interval.
pub(crate) fn intervals_to_ranges(kind: RangeType, intervals: &[Interval]) -> Vec<Range> {
    intervals
        .iter()
        .map(|i| {
            let mut events = Vec::new();
            let mut exclusive = false;
            match &i.lower {
                None => events.push(Event::Introduced("0".into())),
                Some(Bound { version, inclusive }) => {
                    exclusive = !inclusive;
                    events.push(Event::Introduced(version.clone()));
                }
            }
            match &i.upper {
                None => {}
                Some(Bound {
                    version,
                    inclusive: false,
                }) => events.push(Event::Fixed(version.clone())),
                Some(Bound {
                    version,
                    inclusive: true,
                }) => events.push(Event::LastAffected(version.clone())),
            }
            Range {
                kind,
                repo: None,
                events,
                database_specific: exclusive.then(|| json!({"introduced_exclusive": true})),
            }
        })
        .collect()
}

/// The complement of a union of intervals (the versions in none of them), sorted.
pub(crate) fn complement(
    scheme: Scheme,
    intervals: &[Interval],
) -> Result<Vec<Interval>, vigil_version::Error> {
    use std::cmp::Ordering;
    // sort by lower bound (unbounded first; inclusive before exclusive at the same version)
    let mut items: Vec<Interval> = intervals.to_vec();
    let mut err = None;
    items.sort_by(|a, b| match (&a.lower, &b.lower) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => match scheme.compare(&x.version, &y.version) {
            Ok(Ordering::Equal) => y.inclusive.cmp(&x.inclusive),
            Ok(o) => o,
            Err(e) => {
                err = Some(e);
                Ordering::Equal
            }
        },
    });
    if let Some(e) = err {
        return Err(e);
    }
    let mut out = Vec::new();
    // `cursor`: everything below it (per its inclusivity) is covered so far; None = nothing yet
    let mut covered_to: Option<Option<Bound>> = None; // Some(None) = covered to +inf
    let mut gap_start: Option<Bound> = None; // start of the current uncovered stretch (None = -inf)
    for i in &items {
        // does this interval start after the covered region (leaving a gap)?
        let starts_after = match (&covered_to, &i.lower) {
            (Some(None), _) => false,
            (None, None) => false,
            (None, Some(_)) => true,
            (Some(Some(_)), None) => false,
            (Some(Some(c)), Some(l)) => match scheme.compare(&c.version, &l.version)? {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => !c.inclusive && !l.inclusive,
            },
        };
        if starts_after {
            let upper = i.lower.as_ref().map(|l| Bound {
                version: l.version.clone(),
                inclusive: !l.inclusive,
            });
            out.push(Interval {
                lower: gap_start.take(),
                upper,
            });
        }
        // extend the covered region
        covered_to = Some(match (&covered_to, &i.upper) {
            (Some(None), _) | (_, None) => None,
            (None, Some(u)) => Some(u.clone()),
            (Some(Some(c)), Some(u)) => Some(match scheme.compare(&c.version, &u.version)? {
                Ordering::Less => u.clone(),
                Ordering::Greater => c.clone(),
                Ordering::Equal => Bound {
                    version: c.version.clone(),
                    inclusive: c.inclusive || u.inclusive,
                },
            }),
        });
        gap_start = match &covered_to {
            Some(Some(c)) => Some(Bound {
                version: c.version.clone(),
                inclusive: !c.inclusive,
            }),
            _ => None,
        };
    }
    match covered_to {
        None => out.push(Interval::default()),
        Some(None) => {}
        Some(Some(_)) => out.push(Interval {
            lower: gap_start,
            upper: None,
        }),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_version::constraint::gem_requirement;

    #[test]
    fn complement_of_patched_versions() {
        let mut patched = gem_requirement("~> 5.2.4, >= 5.2.4.3").expect("a");
        patched.extend(gem_requirement(">= 6.0.3.1").expect("b"));
        let vulnerable = complement(Scheme::RubyGems, &patched).expect("complement");
        let sat = |v: &str| {
            vigil_version::constraint::satisfies(
                Scheme::RubyGems,
                &vulnerable,
                &Scheme::RubyGems.parse(v).expect("v"),
            )
            .expect("sat")
        };
        assert!(sat("5.2.4.2"));
        assert!(!sat("5.2.4.3"));
        assert!(!sat("5.2.9"));
        assert!(sat("6.0.0"));
        assert!(sat("5.3.0.beta1"));
        assert!(!sat("6.0.3.1"));
        assert!(!sat("7.0"));
        let ranges = intervals_to_ranges(RangeType::Ecosystem, &vulnerable);
        assert_eq!(ranges.len(), 2);
    }

    #[test]
    fn complement_of_nothing_is_everything() {
        let all = complement(Scheme::RubyGems, &[]).expect("c");
        assert_eq!(all, vec![Interval::default()]);
        let le = gem_requirement("<= 1.0").expect("le");
        let c = complement(Scheme::RubyGems, &le).expect("c");
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].lower,
            Some(Bound {
                version: "1.0".into(),
                inclusive: false
            })
        );
        let r = intervals_to_ranges(RangeType::Ecosystem, &c);
        assert!(r[0].database_specific.is_some());
    }
}

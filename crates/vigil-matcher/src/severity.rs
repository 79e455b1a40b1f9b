//! CVSS scores and severity.
//!
//! A finding's CVSS list holds every vector the records (and NVD, where imported) give, each
//! scored by Vigil's calculator (`vigil-cvss`) rather than trusting a feed's number. Severity:
//! for OS packages the distribution's own rating (its errata severity) when it has one, because
//! the distribution rates the package as it ships it; otherwise the best CVSS (v3.1/v3.0, then
//! v4.0, then v2) rating; otherwise the feed's word (GHSA `database_specific.severity`);
//! otherwise `UNTRIAGED`. A CVSS score of 0 rates `INFORMATIONAL`, as do informational records
//! (RustSec `unmaintained`/`unsound` notices).

use vigil_osv::{Advisory, Affected};

use crate::finding::CvssScore;

/// Scores from the records' severity entries. Unparsable vectors are skipped and returned as
/// problems.
pub fn cvss_scores(
    items: &[(&Advisory, &Affected, &str)],
    nvd: &[(String, String, String)],
    problems: &mut Vec<String>,
) -> Vec<CvssScore> {
    let mut out: Vec<CvssScore> = Vec::new();
    let mut push =
        |vector: &str, source: &str, problems: &mut Vec<String>| match vigil_cvss::score(vector) {
            Ok(s) => {
                if !out
                    .iter()
                    .any(|c| c.scoring_vector == s.vector && c.source == source)
                {
                    out.push(CvssScore {
                        base_score: s.base_score,
                        scoring_vector: s.vector,
                        source: source.to_owned(),
                        version: s.version.to_string(),
                    });
                }
            }
            Err(e) => problems.push(format!("{source}: {e}")),
        };
    for (adv, aff, source) in items {
        for s in adv.severity.iter().chain(&aff.severity) {
            if s.kind.starts_with("CVSS_") {
                push(&s.score, source, problems);
            }
        }
    }
    for (_kind, vector, source) in nvd {
        push(vector, source, problems);
    }
    out
}

/// The preferred CVSS score (v3.x, then v4.0, then v2).
pub fn best(scores: &[CvssScore]) -> Option<&CvssScore> {
    let rank = |v: &str| match v {
        "3.1" => 0,
        "3.0" => 1,
        "4.0" => 2,
        _ => 3,
    };
    scores.iter().min_by_key(|s| rank(&s.version))
}

pub fn rating(version: &str, score: f64) -> &'static str {
    if score <= 0.0 {
        return "INFORMATIONAL";
    }
    if version.starts_with('2') {
        return if score >= 7.0 {
            "HIGH"
        } else if score >= 4.0 {
            "MEDIUM"
        } else {
            "LOW"
        };
    }
    if score >= 9.0 {
        "CRITICAL"
    } else if score >= 7.0 {
        "HIGH"
    } else if score >= 4.0 {
        "MEDIUM"
    } else {
        "LOW"
    }
}

/// The vendor's severity word, normalised to inspector2's vocabulary.
pub fn vendor_severity(adv: &Advisory) -> Option<String> {
    // GHSA and OSV feeds that copy it.
    if let Some(s) = adv
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
    {
        return normalise_word(s);
    }
    // RHEL-family errata put it first in the summary: `Important: openssl security update`.
    let summary = adv.summary.as_deref()?;
    let (word, _) = summary.split_once(':')?;
    match word.trim() {
        "Critical" | "Important" | "Moderate" | "Low" => normalise_word(word.trim()),
        _ => None,
    }
}

fn normalise_word(s: &str) -> Option<String> {
    Some(
        match s.trim().to_ascii_uppercase().as_str() {
            "CRITICAL" => "CRITICAL",
            "HIGH" | "IMPORTANT" => "HIGH",
            "MEDIUM" | "MODERATE" => "MEDIUM",
            "LOW" | "NEGLIGIBLE" | "UNIMPORTANT" => "LOW",
            "NONE" | "INFORMATIONAL" => "INFORMATIONAL",
            _ => return None,
        }
        .to_owned(),
    )
}

/// Whether the record is an informational notice rather than a vulnerability.
/// RustSec puts `informational` (`unmaintained`, `unsound`, `notice`) in each
/// `affected[].database_specific`; other feeds at the top level.
pub fn is_informational(adv: &Advisory) -> bool {
    let flag = |d: Option<&serde_json::Value>| {
        d.and_then(|d| d.get("informational"))
            .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    };
    flag(adv.database_specific.as_ref())
        || (!adv.affected.is_empty()
            && adv
                .affected
                .iter()
                .all(|a| flag(a.database_specific.as_ref())))
}

/// Inspector's severities in order, most severe first.
pub const SEVERITIES: [&str; 6] = [
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNTRIAGED",
];

/// Position in [`SEVERITIES`] (0 = most severe).
pub fn rank(severity: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(SEVERITIES.len())
}

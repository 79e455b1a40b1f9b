//! CVSS base scores from vectors: v2.0, v3.0, v3.1 and v4.0.
//!
//! Parsing and the scoring equations come from the `cvss` crate (RustSec's implementation of
//! FIRST's specifications, including the v4.0 macro-vector lookup tables); this crate gives
//! Vigil one entry point that accepts every vector spelling found in advisory feeds (bare and
//! parenthesised v2 vectors, `CVSS:3.x/`, `CVSS:4.0/`), a normalised vector, the qualitative
//! rating of the version's own scale, and errors that say which vector failed and why.
//! `tests/it` checks the scores against FIRST's published examples and, differentially, against
//! Red Hat's independent Python implementation (`cvss` on PyPI).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V3_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "4.0")]
    V4_0,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Qualitative severity rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Rating {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "NONE",
            Rating::Low => "LOW",
            Rating::Medium => "MEDIUM",
            Rating::High => "HIGH",
            Rating::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub version: CvssVersion,
    /// The vector as parsed and re-serialised (v2 without parentheses).
    pub vector: String,
    pub base_score: f64,
    pub rating: Rating,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("CVSS vector `{vector}` is invalid: {reason}")]
    Invalid { vector: String, reason: String },
}

/// The rating scale of each version: v3.x and v4.0 share FIRST's scale (None 0.0, Low 0.1–3.9,
/// Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0); v2 has no Critical (NVD's scale: Low
/// 0.0–3.9, Medium 4.0–6.9, High 7.0–10.0).
pub fn rating_for(version: CvssVersion, base_score: f64) -> Rating {
    match version {
        CvssVersion::V2 => {
            if base_score >= 7.0 {
                Rating::High
            } else if base_score >= 4.0 {
                Rating::Medium
            } else {
                Rating::Low
            }
        }
        _ => {
            if base_score >= 9.0 {
                Rating::Critical
            } else if base_score >= 7.0 {
                Rating::High
            } else if base_score >= 4.0 {
                Rating::Medium
            } else if base_score > 0.0 {
                Rating::Low
            } else {
                Rating::None
            }
        }
    }
}

/// Parses a vector and computes its base score.
pub fn score(vector: &str) -> Result<Score, Error> {
    let invalid = |reason: String| Error::Invalid {
        vector: vector.to_owned(),
        reason,
    };
    let mut v = vector.trim();
    if let Some(inner) = v.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        v = inner.trim();
    }
    if v.is_empty() {
        return Err(invalid("empty".into()));
    }
    let v2 = !v.starts_with("CVSS:");
    let required: &[&str] = if v2 {
        &["AV", "AC", "Au", "C", "I", "A"]
    } else if v.starts_with("CVSS:4.0/") {
        &[
            "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
        ]
    } else {
        &["AV", "AC", "PR", "UI", "S", "C", "I", "A"]
    };
    let keys: Vec<&str> = v.split('/').filter_map(|c| c.split(':').next()).collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|m| !keys.contains(m))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "missing base metric(s) {}",
            missing.join(", ")
        )));
    }
    if v2 {
        let parsed = cvss::v2::Vector::from_str(v).map_err(|e| invalid(e.to_string()))?;
        let base = parsed.score().value();
        return Ok(Score {
            version: CvssVersion::V2,
            vector: parsed.to_string(),
            base_score: base,
            rating: rating_for(CvssVersion::V2, base),
        });
    }
    let parsed = cvss::Cvss::from_str(v).map_err(|e| invalid(e.to_string()))?;
    let version = match &parsed {
        cvss::Cvss::CvssV30(_) => CvssVersion::V3_0,
        cvss::Cvss::CvssV31(_) => CvssVersion::V3_1,
        cvss::Cvss::CvssV40(_) => CvssVersion::V4_0,
        _ => return Err(invalid("unsupported CVSS version".into())),
    };
    let base = parsed.score();
    if !(0.0..=10.0).contains(&base) {
        return Err(invalid(format!("score {base} out of range")));
    }
    Ok(Score {
        version,
        vector: parsed.to_string(),
        base_score: base,
        rating: rating_for(version, base),
    })
}

/// The score of a vector with environmental (and, for v4.0, threat) metrics: v3.x's
/// environmental score, v4.0's score over every metric group present. v2 vectors have no
/// environmental metrics here; their base score is answered.
pub fn environmental(vector: &str) -> Result<f64, Error> {
    let invalid = |reason: String| Error::Invalid {
        vector: vector.to_owned(),
        reason,
    };
    let v = vector.trim();
    if !v.starts_with("CVSS:") {
        return score(v).map(|s| s.base_score);
    }
    // the base metrics must be complete, as for a base score
    score(v)?;
    match cvss::Cvss::from_str(v).map_err(|e| invalid(e.to_string()))? {
        cvss::Cvss::CvssV30(x) | cvss::Cvss::CvssV31(x) => Ok(x.environmental_score().value()),
        other @ cvss::Cvss::CvssV40(_) => Ok(other.score()),
        _ => Err(invalid("unsupported CVSS version".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_each_version() {
        let s = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("v3.1");
        assert_eq!(
            (s.version, s.base_score, s.rating),
            (CvssVersion::V3_1, 9.8, Rating::Critical)
        );
        let s = score("(AV:N/AC:L/Au:N/C:P/I:P/A:P)").expect("v2");
        assert_eq!(
            (s.version, s.base_score, s.rating),
            (CvssVersion::V2, 7.5, Rating::High)
        );
        assert_eq!(s.vector, "AV:N/AC:L/Au:N/C:P/I:P/A:P");
        let s =
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").expect("v4");
        assert_eq!(
            (s.version, s.base_score, s.rating),
            (CvssVersion::V4_0, 9.3, Rating::Critical)
        );
    }

    #[test]
    fn rejects_bad_vectors_with_the_vector_in_the_message() {
        for bad in [
            "",
            "CVSS:3.1/AV:X",
            "CVSS:9.9/AV:N",
            "garbage",
            "CVSS:3.1/AV:N/AC:L",
        ] {
            let e = score(bad).expect_err(bad);
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn rating_scales() {
        assert_eq!(rating_for(CvssVersion::V2, 10.0), Rating::High);
        assert_eq!(rating_for(CvssVersion::V3_1, 0.0), Rating::None);
        assert_eq!(rating_for(CvssVersion::V4_0, 0.1), Rating::Low);
    }
}

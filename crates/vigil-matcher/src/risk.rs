//! The Vigil score: a finding's CVSS base score adjusted to what is known about the resource
//! and the vulnerability in the wild, every adjustment recorded with its reason (Inspector's
//! `inspectorScoreDetails.adjustedCvss`). The formula is stable; changing it is a breaking
//! change.
//!
//! 1. **Base**: the preferred CVSS vector's base score (v3.1, v3.0, v4.0, then v2; see
//!    [`crate::severity::best`]). No vector: no score, and nothing below applies.
//! 2. **Reachability** (environmental): when the vector's attack vector is Network (`AV:N`) and
//!    a network reachability analysis covers the resource and found no internet path to it, the
//!    score is the CVSS *environmental* score with the attack vector modified to Adjacent
//!    (`MAV:A`; v3.x and v4.0 by FIRST's equations, v2 by its `AV:A` base equation).
//!    An analysis that found a path, or no analysis, leaves it.
//! 3. **Exposed service**: the package runs in a process that listens on a port the internet
//!    reaches (the host agent attributes each listening process's executable and mapped
//!    libraries to their packages; the network analysis says which ports are reachable):
//!    **+0.5**.
//! 4. **Exploitation**: listed in CISA's Known Exploited Vulnerabilities catalogue: **+1.0**.
//!    Otherwise by EPSS (the probability of exploitation in the next 30 days): ≥ 0.5: **+0.5**;
//!    < 0.01: **−0.5**; between: no change. No EPSS: no change.
//! 5. The result is clamped to 0.0–10.0 (a positive score never drops below 0.1) and rounded to
//!    one decimal.
//!
//! **Severity** follows the adjusted score (CRITICAL ≥ 9.0, HIGH ≥ 7.0, MEDIUM ≥ 4.0, LOW >
//! 0) when at least one adjustment applied; without adjustments the finding keeps its
//! severity (the distribution's rating for OS packages, else the CVSS rating).
//!
//! Fix availability does not move the score (it changes what to do, not the risk): "top risks"
//! use it to break ties.

use crate::finding::CvssAdjustment;

/// What is known about the resource's exposure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposure {
    /// `Some(false)`: a network analysis covers the resource and found no internet path;
    /// `Some(true)`: it found one; `None`: not analysed.
    pub internet_reachable: Option<bool>,
    /// When that analysis ran (for the adjustment's reason).
    pub analyzed_at: Option<String>,
    /// Listening services the internet reaches, with the packages their processes run.
    pub services: Vec<Service>,
}

/// A process listening on a port the internet reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// `TCP` or `UDP`.
    pub protocol: String,
    pub port: u16,
    pub process: Option<String>,
    /// The packages the process runs (its executable's and its libraries').
    pub packages: Vec<String>,
}

/// The adjusted score.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjusted {
    pub score: f64,
    /// The vector scored (the base vector with the environmental metrics applied).
    pub vector: String,
    pub adjustments: Vec<CvssAdjustment>,
}

/// `base_vector` with `MAV:A` when its attack vector is Network (v2: `AV:N` becomes `AV:A`);
/// `None` when the attack vector is not Network.
fn adjacent(base_vector: &str, version: &str) -> Option<String> {
    let parts: Vec<&str> = base_vector.split('/').collect();
    if !parts.contains(&"AV:N") {
        return None;
    }
    if version.starts_with('2') {
        return Some(
            parts
                .iter()
                .map(|p| if *p == "AV:N" { "AV:A" } else { p })
                .collect::<Vec<_>>()
                .join("/"),
        );
    }
    let kept: Vec<&str> = parts
        .into_iter()
        .filter(|p| !p.starts_with("MAV:"))
        .collect();
    Some(format!("{}/MAV:A", kept.join("/")))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The Vigil score of a finding whose preferred CVSS score is (`version`, `vector`, `base`).
pub fn adjust(
    version: &str,
    vector: &str,
    base: f64,
    exposure: &Exposure,
    package: &str,
    kev_added: Option<&str>,
    epss: Option<(f64, f64)>,
) -> Adjusted {
    let mut score = base;
    let mut scored = vector.to_owned();
    let mut adjustments = Vec::new();
    if exposure.internet_reachable == Some(false)
        && let Some(v) = adjacent(vector, version)
        && let Some(s) = environmental(&v)
    {
        adjustments.push(CvssAdjustment {
            metric: "MAV".into(),
            reason: format!(
                "no internet path to the resource (network reachability analysis{}): attack vector Network scored as Adjacent, {base:.1} -> {s:.1}",
                exposure
                    .analyzed_at
                    .as_deref()
                    .map(|t| format!(" of {t}"))
                    .unwrap_or_default()
            ),
        });
        score = s;
        scored = v;
    }
    if let Some(svc) = exposure
        .services
        .iter()
        .find(|s| s.packages.iter().any(|p| p == package))
    {
        score += 0.5;
        adjustments.push(CvssAdjustment {
            metric: "LISTEN".into(),
            reason: format!(
                "{} runs {package} and listens on {} {}, which the internet reaches (+0.5)",
                svc.process.as_deref().unwrap_or("a process"),
                svc.protocol,
                svc.port
            ),
        });
    }
    if let Some(added) = kev_added {
        score += 1.0;
        adjustments.push(CvssAdjustment {
            metric: "KEV".into(),
            reason: format!(
                "exploited in the wild: listed in CISA's Known Exploited Vulnerabilities catalogue since {added} (+1.0)"
            ),
        });
    } else if let Some((p, pct)) = epss {
        if p >= vigil_osv::EPSS_THRESHOLDS.1 {
            score += 0.5;
            adjustments.push(CvssAdjustment {
                metric: "EPSS".into(),
                reason: format!(
                    "EPSS {:.1}% chance of exploitation in 30 days (percentile {:.0}) is 50% or more (+0.5)",
                    p * 100.0,
                    pct * 100.0
                ),
            });
        } else if p < vigil_osv::EPSS_THRESHOLDS.0 {
            score -= 0.5;
            adjustments.push(CvssAdjustment {
                metric: "EPSS".into(),
                reason: format!(
                    "EPSS {:.2}% chance of exploitation in 30 days (percentile {:.0}) is under 1% (-0.5)",
                    p * 100.0,
                    pct * 100.0
                ),
            });
        }
    }
    let mut score = round1(score.clamp(0.0, 10.0));
    if base > 0.0 && score < 0.1 {
        score = 0.1;
    }
    Adjusted {
        score,
        vector: scored,
        adjustments,
    }
}

/// The environmental score of a vector with modified metrics (v3.x, v4.0; FIRST's equations,
/// tested against Red Hat's implementation in `vigil-cvss`), or the base score of a v2 vector
/// (which carries the modified base metric itself).
fn environmental(vector: &str) -> Option<f64> {
    vigil_cvss::environmental(vector).ok()
}

/// The qualitative rating of a Vigil score.
pub fn rating(score: f64) -> &'static str {
    if score <= 0.0 {
        "INFORMATIONAL"
    } else if score >= 9.0 {
        "CRITICAL"
    } else if score >= 7.0 {
        "HIGH"
    } else if score >= 4.0 {
        "MEDIUM"
    } else {
        "LOW"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V31: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

    #[test]
    fn unreachable_network_vectors_score_as_adjacent() {
        let closed = Exposure {
            internet_reachable: Some(false),
            analyzed_at: Some("2026-12-01T00:00:00Z".into()),
            ..Exposure::default()
        };
        let a = adjust("3.1", V31, 9.8, &closed, "pkg", None, None);
        // FIRST's calculator: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAV:A = 8.8
        assert_eq!(a.score, 8.8);
        assert_eq!(a.vector, format!("{V31}/MAV:A"));
        assert_eq!(a.adjustments[0].metric, "MAV");
        assert!(a.adjustments[0].reason.contains("2026-12-01"));
        // reachable or unknown: unchanged
        for e in [
            Exposure {
                internet_reachable: Some(true),
                ..Exposure::default()
            },
            Exposure::default(),
        ] {
            let a = adjust("3.1", V31, 9.8, &e, "pkg", None, None);
            assert_eq!((a.score, a.adjustments.len()), (9.8, 0));
        }
        // a local attack vector is not about the network
        let local = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H";
        let a = adjust("3.1", local, 7.8, &closed, "pkg", None, None);
        assert_eq!((a.score, a.adjustments.len()), (7.8, 0));
        // v4.0: CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MAV:A = 9.2
        // (FIRST's v4.0 calculator; the base is 9.3)
        let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        let a = adjust("4.0", v4, 9.3, &closed, "pkg", None, None);
        assert!(a.score < 9.3, "{a:?}");
        // v2: AV:A in the base equation: (AV:A/AC:L/Au:N/C:P/I:P/A:P) = 5.8
        let a = adjust(
            "2.0",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            7.5,
            &closed,
            "pkg",
            None,
            None,
        );
        assert_eq!(a.score, 5.8);
    }

    #[test]
    fn exploitation_moves_the_score() {
        let none = Exposure::default();
        let a = adjust(
            "3.1",
            V31,
            9.8,
            &none,
            "pkg",
            Some("2023-10-10"),
            Some((0.002, 0.3)),
        );
        assert_eq!(a.score, 10.0, "capped");
        assert_eq!(a.adjustments.len(), 1, "KEV wins over EPSS");
        let a = adjust("3.1", V31, 7.5, &none, "pkg", None, Some((0.62, 0.99)));
        assert_eq!(a.score, 8.0);
        let a = adjust("3.1", V31, 7.5, &none, "pkg", None, Some((0.004, 0.2)));
        assert_eq!(a.score, 7.0);
        let a = adjust("3.1", V31, 7.5, &none, "pkg", None, Some((0.05, 0.9)));
        assert_eq!((a.score, a.adjustments.len()), (7.5, 0));
        let a = adjust("3.1", V31, 0.3, &none, "pkg", None, Some((0.001, 0.1)));
        assert_eq!(a.score, 0.1, "a positive score stays positive");
        assert_eq!(rating(8.8), "HIGH");
        assert_eq!(rating(9.0), "CRITICAL");
        assert_eq!(rating(0.1), "LOW");
    }

    #[test]
    fn a_vulnerable_package_in_an_exposed_service_is_raised() {
        let e = Exposure {
            internet_reachable: Some(true),
            analyzed_at: None,
            services: vec![Service {
                protocol: "TCP".into(),
                port: 443,
                process: Some("nginx".into()),
                packages: vec!["libssl3".into(), "nginx-core".into()],
            }],
        };
        let a = adjust("3.1", V31, 7.5, &e, "libssl3", None, None);
        assert_eq!(a.score, 8.0);
        assert_eq!(a.adjustments[0].metric, "LISTEN");
        assert!(
            a.adjustments[0]
                .reason
                .starts_with("nginx runs libssl3 and listens on TCP 443")
        );
        let a = adjust("3.1", V31, 7.5, &e, "zlib1g", None, None);
        assert_eq!((a.score, a.adjustments.len()), (7.5, 0));
    }
}

//! Version parsing and ordering, one scheme per ecosystem.
//!
//! Every ecosystem Vigil matches has its own rules for what a version is and how two versions
//! order. Comparing versions with the wrong rules is the most common cause of false positives and
//! false negatives in vulnerability scanners, so each scheme here follows its reference
//! implementation exactly and is tested against it differentially (see `tests/it`):
//!
//! | scheme | ecosystems | reference |
//! |---|---|---|
//! | [`Scheme::Dpkg`] | Debian, Ubuntu | `dpkg --compare-versions` |
//! | [`Scheme::Rpm`] | AlmaLinux, Rocky, RHEL, openSUSE | rpm's `rpmvercmp` (release compared as `rpmverOverlap` does) |
//! | [`Scheme::Apk`] | Alpine | apk-tools `version.c` |
//! | [`Scheme::Pep440`] | PyPI | Python `packaging` (via `pep440_rs`) |
//! | [`Scheme::NpmSemver`] | npm | node `semver` |
//! | [`Scheme::Semver`] | crates.io, Bitnami | the `semver` crate Cargo uses |
//! | [`Scheme::Go`] | Go modules | `golang.org/x/mod/semver` |
//! | [`Scheme::Maven`] | Maven | maven-artifact `ComparableVersion` |
//! | [`Scheme::RubyGems`] | RubyGems | `Gem::Version` |
//! | [`Scheme::NuGet`] | NuGet | NuGet.Versioning `NuGetVersion` |
//! | [`Scheme::Composer`] | Packagist | composer/semver (`VersionParser::normalize` + `version_compare`) |
//!
//! [`constraint`] parses the native range syntaxes of advisory feeds that are not OSV (npm ranges,
//! RubyGems requirements, Composer constraints) into unions of intervals.

use std::cmp::Ordering;
use std::fmt;

mod apk;
mod composer;
pub mod constraint;
mod dpkg;
mod maven;
mod nuget;
mod pep440;
mod rpm;
mod rubygems;
mod semverish;

/// A version scheme: the syntax and ordering rules of one family of ecosystems.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    Dpkg,
    Rpm,
    Apk,
    Pep440,
    NpmSemver,
    /// SemVer 2.0 as the `semver` crate implements it (crates.io, Bitnami).
    Semver,
    Go,
    Maven,
    RubyGems,
    NuGet,
    Composer,
}

impl Scheme {
    pub const ALL: [Scheme; 11] = [
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Pep440,
        Scheme::NpmSemver,
        Scheme::Semver,
        Scheme::Go,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Composer,
    ];

    /// Short stable name, used in provenance ("comparator used").
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Pep440 => "pep440",
            Scheme::NpmSemver => "node-semver",
            Scheme::Semver => "semver",
            Scheme::Go => "go",
            Scheme::Maven => "maven",
            Scheme::RubyGems => "rubygems",
            Scheme::NuGet => "nuget",
            Scheme::Composer => "composer",
        }
    }

    /// The scheme of an OSV `affected[].package.ecosystem` value, e.g. `Debian:12` or `PyPI`.
    /// `None` for ecosystems Vigil cannot order (e.g. `GIT`, `OSS-Fuzz`, unknown names).
    pub fn for_osv_ecosystem(osv: &str) -> Option<Scheme> {
        let base = osv.split(':').next().unwrap_or(osv).trim();
        Some(match base {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "AlmaLinux" | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" | "Mageia"
            | "openEuler" | "Photon OS" | "Azure Linux" | "Oracle Linux" | "Amazon Linux" => {
                Scheme::Rpm
            }
            "Alpine" | "Wolfi" | "Chainguard" | "Alpaquita" => Scheme::Apk,
            "PyPI" => Scheme::Pep440,
            "npm" => Scheme::NpmSemver,
            "crates.io" | "Bitnami" | "Hex" | "Pub" | "SwiftURL" => Scheme::Semver,
            "Go" => Scheme::Go,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "NuGet" => Scheme::NuGet,
            "Packagist" => Scheme::Composer,
            _ => return None,
        })
    }

    /// Parses `s` as a version of this scheme.
    pub fn parse(self, s: &str) -> Result<Version, Error> {
        let repr = match self {
            Scheme::Dpkg => Repr::Dpkg(dpkg::DpkgVersion::parse(s).map_err(|m| err(self, s, m))?),
            Scheme::Rpm => Repr::Rpm(rpm::RpmVersion::parse(s).map_err(|m| err(self, s, m))?),
            Scheme::Apk => Repr::Apk(apk::validate(s).map_err(|m| err(self, s, m))?),
            Scheme::Pep440 => Repr::Pep440(pep440::parse(s).map_err(|m| err(self, s, m))?),
            Scheme::NpmSemver => {
                Repr::Semverish(semverish::parse_npm(s).map_err(|m| err(self, s, m))?)
            }
            Scheme::Semver => Repr::Semver(semverish::parse_cargo(s).map_err(|m| err(self, s, m))?),
            Scheme::Go => Repr::Semverish(semverish::parse_go(s).map_err(|m| err(self, s, m))?),
            Scheme::Maven => Repr::Maven(maven::parse(s).map_err(|m| err(self, s, m))?),
            Scheme::RubyGems => {
                Repr::Gem(rubygems::GemVersion::parse(s).map_err(|m| err(self, s, m))?)
            }
            Scheme::NuGet => {
                Repr::NuGet(nuget::NuGetVersion::parse(s).map_err(|m| err(self, s, m))?)
            }
            Scheme::Composer => {
                Repr::Composer(composer::normalize(s).map_err(|m| err(self, s, m))?)
            }
        };
        Ok(Version {
            scheme: self,
            text: s.to_owned(),
            repr,
        })
    }

    /// Compares two version strings under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, Error> {
        Ok(self.parse(a)?.cmp(&self.parse(b)?))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A version that could not be parsed, with the scheme and the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("`{text}` is not a valid {scheme} version: {reason}")]
    Invalid {
        scheme: Scheme,
        text: String,
        reason: String,
    },
    #[error("`{text}` is not a valid {syntax} constraint: {reason}")]
    Constraint {
        syntax: &'static str,
        text: String,
        reason: String,
    },
}

fn err(scheme: Scheme, text: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        scheme,
        text: text.to_owned(),
        reason: reason.into(),
    }
}

#[derive(Clone, Debug)]
enum Repr {
    Dpkg(dpkg::DpkgVersion),
    Rpm(rpm::RpmVersion),
    Apk(String),
    Pep440(pep440_rs::Version),
    Semverish(semverish::SemVer),
    Semver(semver::Version),
    Maven(maven::ListItem),
    Gem(rubygems::GemVersion),
    NuGet(nuget::NuGetVersion),
    Composer(String),
}

/// A parsed version. Ordering is defined within one scheme; versions of different schemes
/// order by scheme first (a total order, but not a meaningful one).
#[derive(Clone, Debug)]
pub struct Version {
    scheme: Scheme,
    text: String,
    repr: Repr,
}

impl Version {
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The text this version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is a pre-release under its scheme's own definition (PEP 440 pre/dev
    /// releases, SemVer pre-release identifiers, RubyGems letters, Maven alpha/beta/milestone/rc/
    /// snapshot qualifiers, Composer non-stable stabilities, apk `_alpha`/`_beta`/`_pre`/`_rc`,
    /// dpkg/rpm `~`).
    pub fn is_prerelease(&self) -> bool {
        match &self.repr {
            Repr::Dpkg(_) | Repr::Rpm(_) => self.text.contains('~'),
            Repr::Apk(s) => apk::is_prerelease(s),
            Repr::Pep440(v) => v.any_prerelease(),
            Repr::Semverish(v) => !v.pre.is_empty(),
            Repr::Semver(v) => !v.pre.is_empty(),
            Repr::Maven(l) => maven::is_prerelease(l),
            Repr::Gem(g) => g.is_prerelease(),
            Repr::NuGet(n) => !n.release.is_empty(),
            Repr::Composer(c) => composer::is_prerelease(c),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.repr, &other.repr) {
            (Repr::Dpkg(a), Repr::Dpkg(b)) => a.cmp(b),
            (Repr::Rpm(a), Repr::Rpm(b)) => rpm::cmp_evr(a, b),
            (Repr::Apk(a), Repr::Apk(b)) => apk::compare(a, b),
            (Repr::Pep440(a), Repr::Pep440(b)) => a.cmp(b),
            (Repr::Semverish(a), Repr::Semverish(b)) => a.cmp(b),
            (Repr::Semver(a), Repr::Semver(b)) => a.cmp_precedence(b),
            (Repr::Maven(a), Repr::Maven(b)) => maven::compare_lists(a, b),
            (Repr::Gem(a), Repr::Gem(b)) => a.cmp(b),
            (Repr::NuGet(a), Repr::NuGet(b)) => a.cmp(b),
            (Repr::Composer(a), Repr::Composer(b)) => composer::version_compare(a, b),
            _ => self.scheme.cmp(&other.scheme),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_ecosystems_map_to_schemes() {
        assert_eq!(Scheme::for_osv_ecosystem("Debian:12"), Some(Scheme::Dpkg));
        assert_eq!(
            Scheme::for_osv_ecosystem("Ubuntu:22.04:LTS"),
            Some(Scheme::Dpkg)
        );
        assert_eq!(Scheme::for_osv_ecosystem("AlmaLinux:9"), Some(Scheme::Rpm));
        assert_eq!(
            Scheme::for_osv_ecosystem("Rocky Linux:9"),
            Some(Scheme::Rpm)
        );
        assert_eq!(Scheme::for_osv_ecosystem("Alpine:v3.18"), Some(Scheme::Apk));
        assert_eq!(Scheme::for_osv_ecosystem("PyPI"), Some(Scheme::Pep440));
        assert_eq!(Scheme::for_osv_ecosystem("npm"), Some(Scheme::NpmSemver));
        assert_eq!(Scheme::for_osv_ecosystem("crates.io"), Some(Scheme::Semver));
        assert_eq!(
            Scheme::for_osv_ecosystem("Packagist"),
            Some(Scheme::Composer)
        );
        assert_eq!(Scheme::for_osv_ecosystem("GIT"), None);
        assert_eq!(Scheme::for_osv_ecosystem("OSS-Fuzz"), None);
    }

    #[test]
    fn errors_name_scheme_and_text() {
        let e = Scheme::Dpkg.parse("1:").expect_err("empty upstream");
        let msg = e.to_string();
        assert!(msg.contains("dpkg") && msg.contains("`1:`"), "{msg}");
    }

    #[test]
    fn versions_of_different_schemes_do_not_compare_equal() {
        let a = Scheme::Dpkg.parse("1.0").expect("dpkg");
        let b = Scheme::Rpm.parse("1.0").expect("rpm");
        assert_ne!(a, b);
    }
}

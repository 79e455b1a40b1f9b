//! Differential tests of `vigil-version` against each ecosystem's reference implementation.
//!
//! For every scheme with an installable reference, version pairs are built from real version
//! strings (harvested from `../shared/vulndata`, see `corpus`) and hand-written generators (edge
//! cases, random versions, mutations of real versions; see `sampling` and each scheme's module). The
//! reference runs once per scheme in batch (`tests/oracles/`, protocol in its README) and must
//! agree on every pair, except pairs in the scheme's explicit `KNOWN` list (each with a reason).
//! Parse acceptance is compared too: every difference must be explained by the scheme's module.
//!
//! | scheme | reference |
//! |---|---|
//! | Dpkg | Perl `Dpkg::Version` + the `dpkg --compare-versions` binary |
//! | Rpm | `rpm.ver` / `rpm.labelCompare` (python3-rpm) |
//! | Pep440 | Python `packaging` 24.2 |
//! | NpmSemver | node `semver` 7.7.2 |
//! | Semver | node `semver` 7.7.2 on strict SemVer (same precedence rules as the `semver` crate) |
//! | Go | `golang.org/x/mod/semver` |
//! | Maven | maven-artifact `ComparableVersion` (Debian's maven 3.8) |
//! | RubyGems | `Gem::Version` |
//! | Composer | composer/semver `VersionParser::normalize` + `Comparator` |
//! | NuGet, Apk | **not differential**: hand-made vectors (no reference installable here) |
//!
//! A missing reference tool fails the test with the command that installs it. Each test prints
//! `differential <scheme>: <pairs> pairs, <disagreements> disagreements (<known> known)`.

mod corpus;
mod harness;
mod sampling;

mod apk;
mod composer;
mod dpkg;
mod go;
mod maven;
mod npm_semver;
mod nuget;
mod pep440;
mod rpm;
mod rubygems;
mod semver;
mod semver_common;

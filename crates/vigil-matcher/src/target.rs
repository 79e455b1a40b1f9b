//! Which advisory records apply to an inventory package, and which version they are compared
//! with.
//!
//! - Debian and Ubuntu: the distribution's records for the detected release, by **source**
//!   package name and **source** version (a DSA names `openssl`, not `libssl3`; a binNMU's
//!   binary version `1.2-3+b1` is built from source `1.2-3`).
//! - Alpine: the release's records (`Alpine:v3.18`) by origin package.
//! - RPM distributions: the distribution's records (`AlmaLinux:9`, `Rocky Linux:9`) by binary
//!   package name, which is how their errata list packages, then by source rpm name.
//! - Language packages: their ecosystem's records by normalised name.

use vigil_types::{Distro, Ecosystem, Package};
use vigil_version::Scheme;

/// How to look a package up.
#[derive(Debug, Clone)]
pub struct Query {
    /// OSV ecosystems to look in, most specific first.
    pub ecosystems: Vec<String>,
    /// Names to look up (the first is the primary one).
    pub names: Vec<String>,
    /// The version compared with the records' ranges.
    pub version: String,
    /// What the comparison is made on, in words (`source package openssl 3.0.11-1`).
    pub compared_as: String,
    pub scheme: Scheme,
}

/// Why a package cannot be matched.
#[derive(Debug, Clone)]
pub struct Unmatched(pub String);

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

pub fn osv_ecosystem(e: Ecosystem) -> Option<&'static str> {
    Some(match e {
        Ecosystem::PyPi => "PyPI",
        Ecosystem::Npm => "npm",
        Ecosystem::Cargo => "crates.io",
        Ecosystem::Go => "Go",
        Ecosystem::Maven => "Maven",
        Ecosystem::RubyGems => "RubyGems",
        Ecosystem::Packagist => "Packagist",
        Ecosystem::NuGet => "NuGet",
        Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk => return None,
    })
}

/// The distribution's OSV ecosystems for its release (`Debian:12`), or why there are none.
pub fn distro_ecosystems(
    eco: Ecosystem,
    distro: Option<&Distro>,
) -> Result<Vec<String>, Unmatched> {
    let Some(d) = distro else {
        return Err(Unmatched(format!(
            "{} packages found but the distribution is unknown (no os-release): distribution records cannot be chosen",
            eco.as_str()
        )));
    };
    let version = d.version_id.as_deref().unwrap_or("");
    let id = d.id.as_str();
    let out = match (eco, id) {
        (Ecosystem::Deb, "debian") if !version.is_empty() => {
            vec![format!("Debian:{}", major(version))]
        }
        (Ecosystem::Deb, "ubuntu") if !version.is_empty() => {
            vec![format!("Ubuntu:{version}:LTS"), format!("Ubuntu:{version}")]
        }
        (Ecosystem::Apk, "alpine") if !version.is_empty() => {
            vec![format!("Alpine:v{}", major_minor(version))]
        }
        (Ecosystem::Rpm, "almalinux") if !version.is_empty() => {
            vec![format!("AlmaLinux:{}", major(version))]
        }
        (Ecosystem::Rpm, "rocky") if !version.is_empty() => {
            vec![format!("Rocky Linux:{}", major(version))]
        }
        _ => {
            return Err(Unmatched(format!(
                "no vulnerability source covers {} {} ({} packages are not evaluated)",
                id,
                if version.is_empty() {
                    "(no VERSION_ID)"
                } else {
                    version
                },
                eco.as_str()
            )));
        }
    };
    Ok(out)
}

pub fn query(pkg: &Package, distro: Option<&Distro>) -> Result<Query, Unmatched> {
    match pkg.ecosystem {
        Ecosystem::Deb => {
            let ecosystems = distro_ecosystems(pkg.ecosystem, distro)?;
            let (name, version) = match &pkg.source {
                Some(s) => (
                    s.name.clone(),
                    if s.version.is_empty() {
                        pkg.version.clone()
                    } else {
                        s.version.clone()
                    },
                ),
                None => (pkg.name.clone(), pkg.version.clone()),
            };
            Ok(Query {
                ecosystems,
                compared_as: format!("source package {name} {version}"),
                names: vec![name],
                version,
                scheme: Scheme::Dpkg,
            })
        }
        Ecosystem::Apk => {
            let ecosystems = distro_ecosystems(pkg.ecosystem, distro)?;
            let name = pkg
                .source
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_else(|| pkg.name.clone());
            Ok(Query {
                ecosystems,
                compared_as: format!("origin package {name} {}", pkg.version),
                names: vec![name],
                version: pkg.version.clone(),
                scheme: Scheme::Apk,
            })
        }
        Ecosystem::Rpm => {
            let ecosystems = distro_ecosystems(pkg.ecosystem, distro)?;
            let mut names = vec![pkg.name.clone()];
            if let Some(s) = &pkg.source
                && s.name != pkg.name
            {
                names.push(s.name.clone());
            }
            Ok(Query {
                ecosystems,
                compared_as: format!("package {} {}", pkg.name, pkg.version),
                names,
                version: pkg.version.clone(),
                scheme: Scheme::Rpm,
            })
        }
        e => {
            let Some(osv) = osv_ecosystem(e) else {
                return Err(Unmatched(format!(
                    "no advisory ecosystem for {}",
                    e.as_str()
                )));
            };
            let scheme = Scheme::for_osv_ecosystem(osv)
                .ok_or_else(|| Unmatched(format!("no version scheme for {osv}")))?;
            Ok(Query {
                ecosystems: vec![osv.to_owned()],
                compared_as: format!("{} {}", pkg.name, pkg.version),
                names: vec![pkg.name.clone()],
                version: pkg.version.clone(),
                scheme,
            })
        }
    }
}

/// Whether this is a kernel package (which in a container image is not a running kernel).
pub fn is_kernel(pkg: &Package) -> bool {
    let src = pkg
        .source
        .as_ref()
        .map(|s| s.name.as_str())
        .unwrap_or(pkg.name.as_str());
    match pkg.ecosystem {
        Ecosystem::Deb => {
            src == "linux"
                || src.starts_with("linux-signed")
                || pkg.name.starts_with("linux-image-")
        }
        Ecosystem::Rpm => {
            pkg.name == "kernel"
                || pkg.name.starts_with("kernel-") && !pkg.name.starts_with("kernel-headers")
        }
        Ecosystem::Apk => {
            src.starts_with("linux-")
                && (src.ends_with("-lts") || src.ends_with("-virt") || src == "linux-edge")
        }
        _ => false,
    }
}

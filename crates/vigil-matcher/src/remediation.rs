//! The exact upgrade, in the ecosystem's own command.

use vigil_types::{Ecosystem, Package};

/// The command (or instruction) that upgrades `pkg` to `fixed`.
pub fn command(pkg: &Package, fixed: &str) -> String {
    let name = &pkg.name;
    match pkg.ecosystem {
        Ecosystem::Deb => {
            // The record's fixed version is the source version. A binary built from it carries
            // the same version, except after a binNMU (`+bN`): then pinning the source version
            // would name a binary that does not exist, so let apt choose the newest one.
            let binary_is_source_version = pkg
                .source
                .as_ref()
                .is_none_or(|s| s.version.is_empty() || s.version == pkg.version);
            if binary_is_source_version {
                format!("apt-get install --only-upgrade {name}={fixed}")
            } else {
                format!(
                    "apt-get install --only-upgrade {name} (built from source version {fixed} or later)"
                )
            }
        }
        Ecosystem::Rpm => format!("dnf upgrade {name}-{}", strip_epoch(fixed)),
        Ecosystem::Apk => format!("apk add --upgrade '{name}>={fixed}'"),
        Ecosystem::PyPi => format!("pip install '{name}>={fixed}'"),
        Ecosystem::Npm => format!("npm install {name}@{fixed}"),
        Ecosystem::Cargo => format!("cargo update -p {name} --precise {fixed}"),
        Ecosystem::Go if name == "stdlib" || name == "toolchain" => {
            format!("rebuild with Go {} or later", fixed.trim_start_matches('v'))
        }
        Ecosystem::Go => format!("go get {name}@v{}", fixed.trim_start_matches('v')),
        Ecosystem::Maven => format!(
            "upgrade {name} to {fixed} (set the dependency version in pom.xml or build.gradle)"
        ),
        Ecosystem::RubyGems => {
            format!("bundle update {name} (to {fixed} or later; pin `gem '{name}', '>= {fixed}'`)")
        }
        Ecosystem::Packagist => format!("composer require '{name}:^{fixed}'"),
        Ecosystem::NuGet => format!("dotnet add package {name} --version {fixed}"),
    }
}

fn strip_epoch(v: &str) -> &str {
    match v.split_once(':') {
        Some((e, rest)) if e.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => v,
    }
}

/// The recommendation text of a finding.
pub fn text(pkg: &Package, fixed: Option<&str>, last_affected: Option<&str>) -> String {
    match (fixed, last_affected) {
        (Some(f), _) => format!("Upgrade {} to {f} or later: {}", pkg.name, command(pkg, f)),
        (None, Some(l)) => format!(
            "No fixed version is published; versions up to {l} are affected. Upgrade {} past {l} if a newer release exists, or remove it.",
            pkg.name
        ),
        (None, None) => format!("No fixed version of {} is available yet.", pkg.name),
    }
}

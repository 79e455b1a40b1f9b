//! Package URLs for packages, following the purl specification's type definitions
//! (<https://github.com/package-url/purl-spec/blob/master/PURL-TYPES.rst>).

use crate::{Distro, Ecosystem, Package};
use packageurl::PackageUrl;

/// Build the purl of a package. `distro` qualifies OS packages (`distro=debian-12`).
pub fn package_url(pkg: &Package, distro: Option<&Distro>) -> String {
    let (ty, namespace, name, version): (&str, Option<String>, String, String) = match pkg.ecosystem
    {
        Ecosystem::Deb => (
            "deb",
            Some(distro_namespace(distro, "debian")),
            pkg.name.clone(),
            pkg.version.clone(),
        ),
        Ecosystem::Rpm => (
            "rpm",
            Some(distro_namespace(distro, "redhat")),
            pkg.name.clone(),
            // purl rpm versions carry no epoch; the epoch is a qualifier
            strip_epoch(&pkg.version).to_owned(),
        ),
        Ecosystem::Apk => (
            "apk",
            Some(distro_namespace(distro, "alpine")),
            pkg.name.to_ascii_lowercase(),
            pkg.version.clone(),
        ),
        Ecosystem::PyPi => ("pypi", None, normalize_pypi(&pkg.name), pkg.version.clone()),
        Ecosystem::Npm => match pkg.name.split_once('/') {
            Some((scope, n)) if scope.starts_with('@') => (
                "npm",
                Some(scope.to_owned()),
                n.to_owned(),
                pkg.version.clone(),
            ),
            _ => ("npm", None, pkg.name.clone(), pkg.version.clone()),
        },
        Ecosystem::Cargo => ("cargo", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Go => match pkg.name.rsplit_once('/') {
            Some((ns, n)) => (
                "golang",
                Some(ns.to_owned()),
                n.to_owned(),
                pkg.version.clone(),
            ),
            None => ("golang", None, pkg.name.clone(), pkg.version.clone()),
        },
        Ecosystem::Maven => match pkg.name.split_once(':') {
            Some((g, a)) => (
                "maven",
                Some(g.to_owned()),
                a.to_owned(),
                pkg.version.clone(),
            ),
            None => ("maven", None, pkg.name.clone(), pkg.version.clone()),
        },
        Ecosystem::RubyGems => ("gem", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Packagist => match pkg.name.split_once('/') {
            Some((v, n)) => (
                "composer",
                Some(v.to_owned()),
                n.to_owned(),
                pkg.version.clone(),
            ),
            None => ("composer", None, pkg.name.clone(), pkg.version.clone()),
        },
        Ecosystem::NuGet => ("nuget", None, pkg.name.clone(), pkg.version.clone()),
    };
    let Ok(mut purl) = PackageUrl::new(ty, name.as_str()) else {
        return String::new();
    };
    if let Some(ns) = namespace.as_deref().filter(|ns| !ns.is_empty()) {
        // namespaces with characters the library rejects are still encoded as-is by it
        if purl.with_namespace(ns).is_err() {
            return String::new();
        }
    }
    if !version.is_empty() {
        let _ = purl.with_version(version.as_str());
    }
    if let Some(arch) = pkg.arch.as_deref().filter(|a| !a.is_empty()) {
        let _ = purl.add_qualifier("arch", arch);
    }
    if pkg.ecosystem == Ecosystem::Rpm
        && let Some(epoch) = epoch_of(&pkg.version)
    {
        let _ = purl.add_qualifier("epoch", epoch);
    }
    if pkg.ecosystem.is_os()
        && let Some(d) = distro
    {
        let q = match &d.version_id {
            Some(v) => format!("{}-{}", d.id, v),
            None => d.id.clone(),
        };
        let _ = purl.add_qualifier("distro", q);
    }
    if pkg.ecosystem.is_os()
        && let Some(src) = &pkg.source
        && src.name != pkg.name
    {
        let upstream = if pkg.ecosystem == Ecosystem::Rpm {
            src.name.clone()
        } else {
            format!("{}@{}", src.name, src.version)
        };
        let _ = purl.add_qualifier("upstream", upstream);
    }
    purl.to_string()
}

fn distro_namespace(distro: Option<&Distro>, default: &str) -> String {
    distro
        .map(|d| d.id.to_ascii_lowercase())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn epoch_of(version: &str) -> Option<&str> {
    let (epoch, _) = version.split_once(':')?;
    (!epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit())).then_some(epoch)
}

fn strip_epoch(version: &str) -> &str {
    match epoch_of(version) {
        Some(e) => &version[e.len() + 1..],
        None => version,
    }
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become `-`.
pub fn normalize_pypi(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distro(id: &str, v: &str) -> Distro {
        Distro {
            id: id.into(),
            version_id: Some(v.into()),
            ..Default::default()
        }
    }

    #[test]
    fn deb_purl_has_arch_distro_and_upstream() {
        let mut p = Package::new(Ecosystem::Deb, "libssl3", "3.0.11-1~deb12u2", "dpkg");
        p.arch = Some("amd64".into());
        p.source = Some(crate::SourcePackage {
            name: "openssl".into(),
            version: "3.0.11-1~deb12u2".into(),
        });
        assert_eq!(
            package_url(&p, Some(&distro("debian", "12"))),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl%403.0.11-1~deb12u2"
        );
    }

    #[test]
    fn rpm_purl_moves_epoch_to_qualifier() {
        let mut p = Package::new(Ecosystem::Rpm, "openssl-libs", "1:3.0.7-24.el9", "rpm");
        p.arch = Some("x86_64".into());
        assert_eq!(
            package_url(&p, Some(&distro("rhel", "9.3"))),
            "pkg:rpm/rhel/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1"
        );
    }

    #[test]
    fn language_purls() {
        let p = Package::new(Ecosystem::Npm, "@babel/core", "7.0.0", "x");
        assert_eq!(package_url(&p, None), "pkg:npm/%40babel/core@7.0.0");
        let p = Package::new(Ecosystem::PyPi, "Django_Rest.Framework", "3.1", "x");
        assert_eq!(package_url(&p, None), "pkg:pypi/django-rest-framework@3.1");
        let p = Package::new(Ecosystem::Go, "github.com/gin-gonic/gin", "v1.9.0", "x");
        assert_eq!(
            package_url(&p, None),
            "pkg:golang/github.com/gin-gonic/gin@v1.9.0"
        );
        let p = Package::new(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "x",
        );
        assert_eq!(
            package_url(&p, None),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
    }

    #[test]
    fn pep503() {
        assert_eq!(normalize_pypi("Foo__Bar..baz"), "foo-bar-baz");
    }
}

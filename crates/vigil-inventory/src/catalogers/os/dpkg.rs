//! dpkg: `/var/lib/dpkg/status`, distroless `status.d/` files, and `info/*.list` file lists.

use crate::cataloger::{
    CatalogError, Cataloger, FileInput, OwnedFiles, PackageLicenses, Sink, Tags, file_name,
};
use crate::catalogers::{field, language_metadata_path, rfc822_paragraphs};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, OwnerRef, Package, SourcePackage};

pub struct DpkgStatus;

const NAME: &str = "dpkg-status";

impl Cataloger for DpkgStatus {
    fn name(&self) -> &'static str {
        NAME
    }
    fn tags(&self) -> Tags {
        Tags {
            os: true,
            installed: true,
        }
    }
    fn roots(&self) -> Option<&'static [&'static str]> {
        Some(&["/var/lib/dpkg"])
    }
    fn wants(&self, path: &str, _meta: &EntryMeta) -> bool {
        path == "/var/lib/dpkg/status"
            || path
                .strip_prefix("/var/lib/dpkg/status.d/")
                .is_some_and(|n| !n.contains('/') && !n.ends_with(".md5sums"))
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_status(&text, out) {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a dpkg status file into installed packages.
pub fn parse_status(text: &str, out: &mut Sink) -> Vec<Package> {
    let mut pkgs = Vec::new();
    for para in rfc822_paragraphs(text) {
        let Some(name) = field(&para, "Package") else {
            out.warn("a paragraph without a `Package` field was skipped");
            continue;
        };
        // status.d files carry no Status field: they only list installed packages
        if let Some(status) = field(&para, "Status")
            && status.split_whitespace().nth(2) != Some("installed")
        {
            continue;
        }
        let Some(version) = field(&para, "Version") else {
            out.warn(format!("package `{name}` has no `Version`: skipped"));
            continue;
        };
        let mut p = Package::new(Ecosystem::Deb, name, version, NAME);
        p.arch = field(&para, "Architecture").map(str::to_owned);
        let (src_name, src_version) = match field(&para, "Source") {
            Some(s) => match s.split_once('(') {
                Some((n, v)) => (
                    n.trim().to_owned(),
                    v.trim_end_matches(')').trim().to_owned(),
                ),
                None => (s.trim().to_owned(), version.to_owned()),
            },
            None => (name.to_owned(), version.to_owned()),
        };
        p.source = Some(SourcePackage {
            name: src_name,
            version: src_version,
        });
        pkgs.push(p);
    }
    pkgs
}

/// `/var/lib/dpkg/info/<pkg>[:<arch>].list`: which files a package installed.
pub struct DpkgFileList;

impl Cataloger for DpkgFileList {
    fn name(&self) -> &'static str {
        "dpkg-file-list"
    }
    fn tags(&self) -> Tags {
        Tags {
            os: true,
            installed: true,
        }
    }
    fn roots(&self) -> Option<&'static [&'static str]> {
        Some(&["/var/lib/dpkg/info"])
    }
    fn wants(&self, path: &str, _meta: &EntryMeta) -> bool {
        path.strip_prefix("/var/lib/dpkg/info/")
            .is_some_and(|n| !n.contains('/') && n.ends_with(".list"))
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let stem = file_name(file.path).trim_end_matches(".list");
        let name = stem.split_once(':').map_or(stem, |(n, _)| n);
        let text = file.read_string()?;
        let paths: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| language_metadata_path(l))
            .map(str::to_owned)
            .collect();
        out.owns(OwnedFiles {
            owner: OwnerRef {
                ecosystem: Ecosystem::Deb,
                name: name.to_owned(),
            },
            paths,
        });
        Ok(())
    }
}

/// `/usr/share/doc/<pkg>/copyright`: licences of a Debian package (DEP-5 `License:` fields,
/// or references to `/usr/share/common-licenses/<name>` in free-form files).
pub struct DpkgCopyright;

impl Cataloger for DpkgCopyright {
    fn name(&self) -> &'static str {
        "dpkg-copyright"
    }
    fn tags(&self) -> Tags {
        Tags {
            os: true,
            installed: true,
        }
    }
    fn roots(&self) -> Option<&'static [&'static str]> {
        Some(&["/usr/share/doc"])
    }
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        meta.size < (4 << 20)
            && path
                .strip_prefix("/usr/share/doc/")
                .and_then(|rest| rest.strip_suffix("/copyright"))
                .is_some_and(|pkg| !pkg.is_empty() && !pkg.contains('/'))
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let Some(pkg) = file
            .path
            .strip_prefix("/usr/share/doc/")
            .and_then(|r| r.strip_suffix("/copyright"))
        else {
            return Ok(());
        };
        let pkg = pkg.to_owned();
        let text = file.read_string()?;
        out.licenses_for(PackageLicenses {
            package: OwnerRef {
                ecosystem: Ecosystem::Deb,
                name: pkg,
            },
            licenses: parse_copyright(&text),
        });
        Ok(())
    }
}

/// Licence names in a Debian copyright file, in first-seen order, without duplicates.
pub fn parse_copyright(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |l: &str| {
        let l = l.trim().trim_end_matches(['.', ',', ';', ')', '\'', '"']);
        if !l.is_empty() && l.len() < 80 && !out.iter().any(|x| x == l) {
            out.push(l.to_owned());
        }
    };
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("License:") {
            add(v);
        }
        let mut rest = line;
        while let Some(i) = rest.find("/usr/share/common-licenses/") {
            rest = &rest[i + "/usr/share/common-licenses/".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '_'))
                .collect();
            add(&name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn copyright_licences() {
        let dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n\nFiles: debian/*\nLicense: GPL-2+\n\nLicense: GPL-2+\n On Debian systems see /usr/share/common-licenses/GPL-2.\n";
        assert_eq!(
            super::parse_copyright(dep5),
            vec!["GPL-2+".to_owned(), "GPL-2".to_owned()]
        );
        let free = "This is free software; see /usr/share/common-licenses/Artistic and\n/usr/share/common-licenses/GPL-1.\n";
        assert_eq!(
            super::parse_copyright(free),
            vec!["Artistic".to_owned(), "GPL-1".to_owned()]
        );
    }

    use super::*;

    #[test]
    fn status_with_source_and_removed_packages() {
        let text = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2+b1\nDescription: x\n multi-line\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n";
        let mut sink = Sink::default();
        let pkgs = parse_status(text, &mut sink);
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[0].name, "libssl3");
        assert_eq!(
            pkgs[0].source,
            Some(SourcePackage {
                name: "openssl".into(),
                version: "3.0.11-1~deb12u2".into()
            })
        );
        assert_eq!(
            pkgs[1].source.as_ref().map(|s| s.name.as_str()),
            Some("bash")
        );
    }
}

//! apk: `/lib/apk/db/installed` (Alpine, Wolfi, Chimera).

use crate::cataloger::{CatalogError, Cataloger, FileInput, OwnedFiles, Sink, Tags};
use crate::catalogers::language_metadata_path;
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, OwnerRef, Package, SourcePackage};

pub struct ApkInstalled;

const NAME: &str = "apk-installed";

impl Cataloger for ApkInstalled {
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
        Some(&["/lib/apk/db", "/usr/lib/apk/db"])
    }
    fn wants(&self, path: &str, _meta: &EntryMeta) -> bool {
        path == "/lib/apk/db/installed" || path == "/usr/lib/apk/db/installed"
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        parse_installed(&text, out);
        Ok(())
    }
}

/// Parse the apk installed database (`P:` name, `V:` version, `A:` arch, `o:` origin,
/// `L:` licence, `F:` directory, `R:` file in the last directory).
pub fn parse_installed(text: &str, out: &mut Sink) {
    let mut cur = Entry::default();
    for line in text.lines().chain(std::iter::once("")) {
        if line.is_empty() {
            cur.flush(out);
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k {
            "P" => cur.name = Some(v.to_owned()),
            "V" => cur.version = Some(v.to_owned()),
            "A" => cur.arch = Some(v.to_owned()),
            "o" => cur.origin = Some(v.to_owned()),
            "L" => cur.license = Some(v.to_owned()),
            "F" => cur.dir = v.to_owned(),
            "R" => {
                let path = format!("/{}/{v}", cur.dir.trim_matches('/'));
                let path = path.replace("//", "/");
                if language_metadata_path(&path) {
                    cur.files.push(path);
                }
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
    license: Option<String>,
    dir: String,
    files: Vec<String>,
}

impl Entry {
    fn flush(&mut self, out: &mut Sink) {
        let e = std::mem::take(self);
        let (Some(name), Some(version)) = (e.name, e.version) else {
            if e.arch.is_some() || e.origin.is_some() {
                out.warn("an entry without `P:` or `V:` was skipped");
            }
            return;
        };
        let mut p = Package::new(Ecosystem::Apk, &name, &version, NAME);
        p.arch = e.arch;
        p.source = Some(SourcePackage {
            name: e.origin.unwrap_or_else(|| name.clone()),
            version: version.clone(),
        });
        p.licenses = e.license.into_iter().collect();
        out.owns(OwnedFiles {
            owner: OwnerRef {
                ecosystem: Ecosystem::Apk,
                name,
            },
            paths: e.files,
        });
        out.package(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_and_origin() {
        let db = "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\nF:usr/lib\nR:libcrypto.so.3\n\nP:py3-six\nV:1.16.0-r4\nA:noarch\no:py3-six\nF:usr/lib/python3.11/site-packages/six-1.16.0.dist-info\nR:METADATA\nR:RECORD\n";
        let mut sink = Sink::default();
        parse_installed(db, &mut sink);
        let p = sink.packages();
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].source.as_ref().map(|s| s.name.as_str()),
            Some("openssl")
        );
        assert_eq!(p[0].licenses, vec!["Apache-2.0".to_owned()]);
        assert_eq!(
            sink.owned()[0].paths,
            vec!["/usr/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA".to_owned()]
        );
    }
}

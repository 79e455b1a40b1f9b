//! The one explicit list of catalogers.

use crate::Cataloger;
use crate::catalogers as c;
use vigil_source::EntryMeta;

/// The catalogers a scan runs, in a fixed order.
pub struct Registry {
    pub(crate) catalogers: Vec<Box<dyn Cataloger>>,
}

impl Default for Registry {
    fn default() -> Self {
        let catalogers: Vec<Box<dyn Cataloger>> = vec![
            // operating system
            Box::new(c::os::release::OsRelease),
            Box::new(c::os::dpkg::DpkgStatus),
            Box::new(c::os::dpkg::DpkgFileList),
            Box::new(c::os::dpkg::DpkgCopyright),
            Box::new(c::os::apk::ApkInstalled),
            Box::new(c::os::rpm::RpmSqlite),
            Box::new(c::os::rpm::RpmBdb),
            Box::new(c::os::rpm::RpmNdb),
            // languages
            Box::new(c::python::installed::PythonInstalled),
            Box::new(c::python::requirements::Requirements),
            Box::new(c::javascript::package_json::PackageJson),
            Box::new(c::javascript::package_lock::PackageLock),
            Box::new(c::javascript::yarn_lock::YarnLock),
            Box::new(c::javascript::pnpm_lock::PnpmLock),
            Box::new(c::python::poetry_lock::PoetryLock),
            Box::new(c::python::pipfile_lock::PipfileLock),
            Box::new(c::python::uv_lock::UvLock),
            Box::new(c::rust::cargo_lock::CargoLock),
            Box::new(c::go::go_mod::GoMod),
            Box::new(c::binary::go_buildinfo::GoBinary),
            Box::new(c::java::archive::JavaArchive),
            Box::new(c::binary::cargo_auditable::RustAuditBinary),
            Box::new(c::ruby::gemspec::GemSpec),
            Box::new(c::ruby::gemfile_lock::GemfileLock),
            Box::new(c::php::composer::ComposerLock),
            Box::new(c::php::composer::ComposerInstalled),
            Box::new(c::dotnet::deps_json::DepsJson),
            Box::new(c::dotnet::packages_lock::PackagesLock),
        ];
        Registry { catalogers }
    }
}

impl Registry {
    /// A registry with exactly these catalogers (tests).
    pub fn with(catalogers: Vec<Box<dyn Cataloger>>) -> Registry {
        Registry { catalogers }
    }

    pub fn catalogers(&self) -> impl Iterator<Item = &dyn Cataloger> {
        self.catalogers.iter().map(|c| c.as_ref())
    }

    /// Indexes of catalogers wanting this file.
    pub(crate) fn wanting(
        &self,
        path: &str,
        meta: &EntryMeta,
        language_ok: bool,
        declared_ok: bool,
        out: &mut Vec<usize>,
    ) {
        out.clear();
        for (i, c) in self.catalogers.iter().enumerate() {
            if eligible(c.as_ref(), path, meta, language_ok, declared_ok) {
                out.push(i);
            }
        }
    }

    /// Whether any cataloger wants this file.
    pub(crate) fn wants_any(
        &self,
        path: &str,
        meta: &EntryMeta,
        language_ok: bool,
        declared_ok: bool,
    ) -> bool {
        self.catalogers
            .iter()
            .any(|c| eligible(c.as_ref(), path, meta, language_ok, declared_ok))
    }
}

/// The one rule deciding whether a cataloger sees a file: language catalogers only where
/// language packages are searched (host deep-inspection paths), declared-kind catalogers
/// only outside installed-package trees, and then the cataloger's own `wants`.
pub(crate) fn eligible(
    c: &dyn Cataloger,
    path: &str,
    meta: &EntryMeta,
    language_ok: bool,
    declared_ok: bool,
) -> bool {
    let t = c.tags();
    (language_ok || t.os) && (t.installed || declared_ok) && c.wants(path, meta)
}

use std::io::Read;
use vigil_source::EntryMeta;
use vigil_types::{Distro, NoteLevel, OwnerRef, Package};

/// Why a cataloger could not read a file. The scan goes on; this becomes a note.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Parse(String),
}

impl CatalogError {
    pub fn parse(msg: impl Into<String>) -> CatalogError {
        CatalogError::Parse(msg.into())
    }
}

/// Where a cataloger runs and what it reports.
#[derive(Debug, Clone, Copy)]
pub struct Tags {
    /// Reads an operating-system package database (not limited by host deep-inspection paths).
    pub os: bool,
    /// Reports installed packages (as opposed to ones declared by a manifest or lockfile).
    pub installed: bool,
}

/// A file handed to a cataloger.
pub struct FileInput<'a> {
    pub path: &'a str,
    pub meta: EntryMeta,
    pub(crate) reader: &'a mut dyn Read,
}

impl<'a> FileInput<'a> {
    /// A file from bytes already in memory (used for nested archives and in tests).
    pub fn from_reader(path: &'a str, meta: EntryMeta, reader: &'a mut dyn Read) -> FileInput<'a> {
        FileInput { path, meta, reader }
    }

    /// Read the whole file (already capped by the scan's size limit).
    pub fn read_all(&mut self) -> Result<Vec<u8>, CatalogError> {
        let mut buf = Vec::with_capacity(self.meta.size.min(64 << 20) as usize);
        self.reader.read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// Read the whole file as UTF-8 (invalid sequences replaced).
    pub fn read_string(&mut self) -> Result<String, CatalogError> {
        let bytes = self.read_all()?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// Stream the file.
    pub fn reader(&mut self) -> &mut dyn Read {
        self.reader
    }
}

/// Files that an OS package owns (from dpkg `.list` files, rpm headers, apk `R:` lines).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OwnedFiles {
    pub owner: OwnerRef,
    pub paths: Vec<String>,
}

/// Licences of a package stated in a file apart from its database entry (Debian's
/// `/usr/share/doc/<pkg>/copyright`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageLicenses {
    pub package: OwnerRef,
    pub licenses: Vec<String>,
}

/// What a cataloger found in one file.
#[derive(Debug, Default)]
pub struct Sink {
    pub(crate) packages: Vec<Package>,
    pub(crate) distro: Option<Distro>,
    pub(crate) owned: Vec<OwnedFiles>,
    pub(crate) licenses: Vec<PackageLicenses>,
    pub(crate) notes: Vec<(NoteLevel, String)>,
}

impl Sink {
    /// A package; its location defaults to the file being cataloged.
    pub fn package(&mut self, p: Package) {
        self.packages.push(p);
    }
    /// The distribution described by this file.
    pub fn distro(&mut self, d: Distro) {
        self.distro = Some(d);
    }
    /// Files owned by an OS package (only paths language catalogers might report are kept).
    pub fn owns(&mut self, owned: OwnedFiles) {
        if !owned.paths.is_empty() {
            self.owned.push(owned);
        }
    }
    /// Licences of a package described elsewhere (applied when its own entry states none).
    pub fn licenses_for(&mut self, licenses: PackageLicenses) {
        if !licenses.licenses.is_empty() {
            self.licenses.push(licenses);
        }
    }
    /// A problem with part of the file that did not stop the rest of it being read.
    pub fn warn(&mut self, msg: impl Into<String>) {
        self.notes.push((NoteLevel::Warning, msg.into()));
    }
    /// The packages found so far (tests, and catalogers that post-process).
    pub fn packages(&self) -> &[Package] {
        &self.packages
    }
    /// Take the packages out (nested catalogers).
    pub fn take_packages(&mut self) -> Vec<Package> {
        std::mem::take(&mut self.packages)
    }
    pub fn distro_found(&self) -> Option<&Distro> {
        self.distro.as_ref()
    }
    pub fn owned(&self) -> &[OwnedFiles] {
        &self.owned
    }
    pub fn licenses_found(&self) -> &[PackageLicenses] {
        &self.licenses
    }
    pub fn notes(&self) -> &[(NoteLevel, String)] {
        &self.notes
    }
}

/// One package format reader. Keep `catalog` pure: bytes in, packages out.
pub trait Cataloger: Send + Sync {
    /// Stable kebab-case name (`dpkg-status`, `python-installed`).
    fn name(&self) -> &'static str;
    /// Bump when the output for the same input changes.
    fn version(&self) -> u32 {
        1
    }
    fn tags(&self) -> Tags;
    /// Directories outside which this cataloger never wants a file (`None`: anywhere). Lets a
    /// host scan skip whole subtrees.
    fn roots(&self) -> Option<&'static [&'static str]> {
        None
    }
    /// Whether this file is wanted: cheap, from the path and size only.
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool;
    /// Read the packages (and facts) in one file.
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError>;
}

/// The file name of a path (after the last `/`).
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

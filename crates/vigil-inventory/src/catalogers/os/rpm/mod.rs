//! rpm package databases: sqlite `rpmdb.sqlite` (rpm >= 4.16: Fedora 33+, RHEL 9, Amazon
//! Linux 2023), Berkeley DB `Packages` (RHEL/CentOS 7 and 8, Amazon Linux 2) and ndb
//! `Packages.db` (SUSE). All three store the same header blobs ([`header`]).
//!
//! Versions are `epoch:version-release`, without the epoch when it is missing or 0 (rpm
//! compares both as 0). `gpg-pubkey` entries (imported signing keys, not packages) are skipped.

pub mod bdb;
pub mod header;
pub mod ndb;

use crate::cataloger::{CatalogError, Cataloger, FileInput, OwnedFiles, Sink, Tags};
use crate::catalogers::language_metadata_path;
use header::{Header, read_files, read_info};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, OwnerRef, Package, SourcePackage};

const ROOTS: &[&str] = &["/var/lib/rpm", "/usr/lib/sysimage/rpm", "/usr/share/rpm"];

const fn os_tags() -> Tags {
    Tags {
        os: true,
        installed: true,
    }
}

fn in_rpm_dir(path: &str, file: &str) -> bool {
    ROOTS.iter().any(|root| {
        path.strip_prefix(root)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| rest == file)
    })
}

/// Turn one stored header into a package (and the language files it owns).
/// `what` names the record in messages (`header 12`).
pub fn emit_header(blob: &[u8], what: &str, cataloger: &str, out: &mut Sink) {
    let h = match Header::parse(blob) {
        Ok(h) => h,
        Err(e) => {
            out.warn(format!("{what}: {e}"));
            return;
        }
    };
    let info = match read_info(&h) {
        Ok(i) => i,
        Err(e) => {
            out.warn(format!("{what}: {e}"));
            return;
        }
    };
    if info.name == "gpg-pubkey" {
        return;
    }
    let mut p = Package::new(Ecosystem::Rpm, &info.name, info.evr(), cataloger);
    p.arch = info.arch.clone();
    p.source = info
        .source()
        .map(|(name, version)| SourcePackage { name, version });
    p.licenses = info.license.clone().into_iter().collect();
    if let Some(label) = &info.modularity_label {
        p.metadata
            .insert("modularitylabel".to_owned(), label.clone());
    }
    match read_files(&h) {
        Ok(files) => out.owns(OwnedFiles {
            owner: OwnerRef {
                ecosystem: Ecosystem::Rpm,
                name: info.name.clone(),
            },
            paths: files
                .into_iter()
                .filter(|f| language_metadata_path(f))
                .collect(),
        }),
        Err(e) => out.warn(format!("{what} (`{}`): file list: {e}", info.name)),
    }
    out.package(p);
}

/// `rpmdb.sqlite`: table `Packages(hnum, blob)`.
pub struct RpmSqlite;

const SQLITE_NAME: &str = "rpm-sqlite";

impl Cataloger for RpmSqlite {
    fn name(&self) -> &'static str {
        SQLITE_NAME
    }
    fn tags(&self) -> Tags {
        os_tags()
    }
    fn roots(&self) -> Option<&'static [&'static str]> {
        Some(ROOTS)
    }
    fn wants(&self, path: &str, _meta: &EntryMeta) -> bool {
        in_rpm_dir(path, "rpmdb.sqlite")
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        sqlite_headers(bytes, |hnum, blob| {
            emit_header(blob, &format!("header {hnum}"), SQLITE_NAME, out);
        })
    }
}

/// Call `f(hnum, blob)` for every row of the `Packages` table of an rpm sqlite database.
///
/// sqlite needs a file, so the bytes go to a temporary file that is removed afterwards. rpm
/// leaves its database in WAL mode; only the main file is at hand here (a `-wal` file next to
/// it holds transactions not yet checkpointed, which a layer scan does not see), so the copy
/// is switched to rollback-journal mode (header bytes 18 and 19) and opened immutable.
pub fn sqlite_headers(
    mut bytes: Vec<u8>,
    mut f: impl FnMut(i64, &[u8]),
) -> Result<(), CatalogError> {
    if bytes.len() < 100 || !bytes.starts_with(b"SQLite format 3\0") {
        return Err(CatalogError::parse("not an sqlite database"));
    }
    if bytes[18] == 2 && bytes[19] == 2 {
        bytes[18] = 1;
        bytes[19] = 1;
    }
    let mut tmp = tempfile::Builder::new()
        .prefix("vigil-rpmdb-")
        .suffix(".sqlite")
        .tempfile()?;
    std::io::Write::write_all(&mut tmp, &bytes)?;
    drop(bytes);
    let path = tmp.path().to_string_lossy().into_owned();
    let uri = format!("file:{}?immutable=1", uri_escape(&path));
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
        | rusqlite::OpenFlags::SQLITE_OPEN_URI
        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let sql = |e: rusqlite::Error| CatalogError::parse(format!("sqlite: {e}"));
    let conn = rusqlite::Connection::open_with_flags(&uri, flags).map_err(sql)?;
    {
        let mut stmt = conn
            .prepare("SELECT hnum, blob FROM Packages")
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let hnum: i64 = row.get(0).map_err(sql)?;
            match row.get_ref(1).map_err(sql)? {
                rusqlite::types::ValueRef::Blob(b) => f(hnum, b),
                other => {
                    return Err(CatalogError::parse(format!(
                        "sqlite: header {hnum} is a {:?}, not a blob",
                        other.data_type()
                    )));
                }
            }
        }
    }
    drop(conn);
    tmp.close()?;
    Ok(())
}

/// Escape a path for an sqlite `file:` URI.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'?' | b'#' | b'%' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

/// Berkeley DB hash `Packages`.
pub struct RpmBdb;

const BDB_NAME: &str = "rpm-bdb";

impl Cataloger for RpmBdb {
    fn name(&self) -> &'static str {
        BDB_NAME
    }
    fn tags(&self) -> Tags {
        os_tags()
    }
    fn roots(&self) -> Option<&'static [&'static str]> {
        Some(ROOTS)
    }
    fn wants(&self, path: &str, _meta: &EntryMeta) -> bool {
        in_rpm_dir(path, "Packages")
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for bdb::Record { key, value } in bdb::hash_entries(&bytes)? {
            // key 0 holds rpm's next header number, not a header
            if key.iter().all(|&b| b == 0) {
                continue;
            }
            let what = match <[u8; 4]>::try_from(key.as_slice()) {
                Ok(k) => format!(
                    "header {}",
                    u32::from_le_bytes(k).min(u32::from_be_bytes(k))
                ),
                Err(_) => "a header".to_owned(),
            };
            emit_header(&value, &what, BDB_NAME, out);
        }
        Ok(())
    }
}

/// ndb `Packages.db`.
pub struct RpmNdb;

const NDB_NAME: &str = "rpm-ndb";

impl Cataloger for RpmNdb {
    fn name(&self) -> &'static str {
        NDB_NAME
    }
    fn tags(&self) -> Tags {
        os_tags()
    }
    fn roots(&self) -> Option<&'static [&'static str]> {
        Some(ROOTS)
    }
    fn wants(&self, path: &str, _meta: &EntryMeta) -> bool {
        in_rpm_dir(path, "Packages.db")
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for b in ndb::blobs(&bytes)? {
            match b.blob {
                Ok(blob) => emit_header(blob, &format!("header {}", b.pkgidx), NDB_NAME, out),
                Err(e) => out.warn(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

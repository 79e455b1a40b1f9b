//! Zip archives: function packages (AWS Lambda deployment zips and layer zips), and the
//! bounded zip reader that catalogers reuse for jars and wheels.

use crate::{EntryKind, EntryMeta, Error, Layer, Limits, Progress, Visitor, normalize};
use std::fs::File;
use std::io::{Read, Seek};
use std::path::PathBuf;
use vigil_types::{LayerRef, NoteLevel};

/// A zip mounted at a directory of the virtual root (`/var/task`, `/opt`, or `/`).
pub(crate) struct ZipLayer {
    file: PathBuf,
    mount: &'static str,
    len: u64,
    layer: LayerRef,
}

impl ZipLayer {
    pub(crate) fn new(file: PathBuf, mount: &'static str, index: usize) -> Result<ZipLayer, Error> {
        let len = std::fs::metadata(&file)
            .map_err(|e| Error::io(&file, e))?
            .len();
        let layer = LayerRef {
            index,
            digest: format!("zip:{}", file.display()),
            diff_id: None,
        };
        Ok(ZipLayer {
            file,
            mount,
            len,
            layer,
        })
    }
}

impl Layer for ZipLayer {
    fn layer_ref(&self) -> Option<&LayerRef> {
        Some(&self.layer)
    }

    fn size_hint(&self) -> u64 {
        self.len
    }

    fn walk(
        &self,
        visitor: &mut dyn Visitor,
        limits: &Limits,
        progress: &Progress,
    ) -> Result<(), Error> {
        let f = File::open(&self.file).map_err(|e| Error::io(&self.file, e))?;
        let mut mounted = Mounted {
            inner: visitor,
            mount: self.mount,
        };
        walk_zip(f, &mut mounted, limits).map_err(|message| Error::Zip {
            path: self.file.display().to_string(),
            message,
        })?;
        progress.add(self.len);
        Ok(())
    }
}

/// Prefixes every path with the mount point.
struct Mounted<'a> {
    inner: &'a mut dyn Visitor,
    mount: &'static str,
}

impl Mounted<'_> {
    fn full(&self, p: &str) -> String {
        if self.mount == "/" {
            p.to_owned()
        } else {
            format!("{}{}", self.mount, p)
        }
    }
}

impl Visitor for Mounted<'_> {
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        self.inner.wants(&self.full(path), meta)
    }
    fn file(&mut self, path: &str, meta: &EntryMeta, reader: &mut dyn Read) {
        let p = self.full(path);
        self.inner.file(&p, meta, reader);
    }
    fn symlink(&mut self, path: &str, target: &str) {
        let p = self.full(path);
        self.inner.symlink(&p, target);
    }
    fn note(&mut self, level: NoteLevel, path: Option<&str>, message: String) {
        let p = path.map(|p| self.full(p));
        self.inner.note(level, p.as_deref(), message);
    }
}

/// Stream a zip archive's entries to the visitor, enforcing the zip-bomb limits.
///
/// Entries whose declared size or compression ratio is over the limits are skipped with a
/// note; an entry that inflates past its declared size is cut at the declared size (the reader
/// never yields more), so a lying header cannot exhaust memory. Returns an error only when
/// the archive itself cannot be read.
pub fn walk_zip<R: Read + Seek>(
    reader: R,
    visitor: &mut dyn Visitor,
    limits: &Limits,
) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| e.to_string())?;
    if archive.len() > limits.zip_max_entries {
        return Err(format!(
            "{} entries, over the limit of {}",
            archive.len(),
            limits.zip_max_entries
        ));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                visitor.note(
                    NoteLevel::Warning,
                    None,
                    format!("zip entry #{i} unreadable: {e}"),
                );
                continue;
            }
        };
        let raw_name = entry.name().to_owned();
        let Some(path) = normalize(&raw_name) else {
            visitor.note(
                NoteLevel::Warning,
                Some(&raw_name),
                format!("zip entry `{raw_name}` escapes the root: skipped"),
            );
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        let mode = entry.unix_mode().unwrap_or(0o644);
        let size = entry.size();
        if entry.is_symlink() {
            let mut t = String::new();
            if (&mut entry).take(4096).read_to_string(&mut t).is_ok() {
                visitor.symlink(&path, &t);
            }
            continue;
        }
        let meta = EntryMeta {
            kind: EntryKind::File,
            size,
            mode: mode & 0o7777,
        };
        if !visitor.wants(&path, &meta) {
            continue;
        }
        let compressed = entry.compressed_size().max(1);
        if size > limits.zip_max_entry_size {
            visitor.note(
                NoteLevel::Warning,
                Some(&path),
                format!(
                    "zip entry declares {size} bytes, over the {} byte limit: skipped",
                    limits.zip_max_entry_size
                ),
            );
            continue;
        }
        if size > (1 << 20) && size / compressed > limits.zip_max_ratio {
            visitor.note(
                NoteLevel::Warning,
                Some(&path),
                format!(
                    "zip entry expands {}x ({compressed} -> {size} bytes), over the {}x limit: skipped as a likely zip bomb",
                    size / compressed,
                    limits.zip_max_ratio
                ),
            );
            continue;
        }
        total = total.saturating_add(size);
        if total > limits.zip_max_total_size {
            return Err(format!(
                "archive expands to more than {} bytes: stopped as a likely zip bomb",
                limits.zip_max_total_size
            ));
        }
        let cap = size.min(limits.max_file_size);
        let mut limited = (&mut entry).take(cap);
        visitor.file(&path, &meta, &mut limited);
    }
    Ok(())
}

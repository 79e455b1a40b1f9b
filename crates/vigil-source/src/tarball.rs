//! Tar streams: a whole tar file (plain, gzip or zstd) or a layer blob inside another file.

use crate::{
    CountingReader, EntryKind, EntryMeta, Error, Layer, Limits, Progress, Visitor, decompress,
    normalize,
};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use vigil_types::{LayerRef, NoteLevel};

/// A tar stream stored in `file` at `offset..offset+len` (the whole file for a tar target).
pub(crate) struct TarLayer {
    file: PathBuf,
    offset: u64,
    len: u64,
    layer: Option<LayerRef>,
    /// A human name for messages: the layer digest or the file.
    name: String,
}

impl TarLayer {
    pub(crate) fn whole_file(file: PathBuf, len: u64) -> TarLayer {
        let name = file.display().to_string();
        TarLayer {
            file,
            offset: 0,
            len,
            layer: None,
            name,
        }
    }

    pub(crate) fn blob(file: PathBuf, offset: u64, len: u64, layer: LayerRef) -> TarLayer {
        TarLayer {
            file,
            offset,
            len,
            name: layer.digest.clone(),
            layer: Some(layer),
        }
    }

    fn corrupt(&self, message: impl std::fmt::Display) -> Error {
        Error::Layer {
            layer: self.name.clone(),
            message: message.to_string(),
        }
    }
}

impl Layer for TarLayer {
    fn layer_ref(&self) -> Option<&LayerRef> {
        self.layer.as_ref()
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
        self.walk_inner(visitor, limits, progress, false)
            .map(|_| ())
    }

    fn walk_and_digest(
        &self,
        visitor: &mut dyn Visitor,
        limits: &Limits,
        progress: &Progress,
    ) -> Result<Option<String>, Error> {
        self.walk_inner(visitor, limits, progress, true)
    }
}

/// Most bytes read after a tar archive's end-of-archive marker to finish its digest (tar
/// writers pad to a record of at most a few KiB; more than this is not a plain layer).
const MAX_TRAILER: u64 = 16 << 20;

impl TarLayer {
    fn walk_inner(
        &self,
        visitor: &mut dyn Visitor,
        limits: &Limits,
        progress: &Progress,
        digest: bool,
    ) -> Result<Option<String>, Error> {
        let mut f = File::open(&self.file).map_err(|e| Error::io(&self.file, e))?;
        if self.offset > 0 {
            f.seek(SeekFrom::Start(self.offset))
                .map_err(|e| Error::io(&self.file, e))?;
        }
        let raw = CountingReader {
            inner: f.take(self.len),
            progress: progress.clone(),
        };
        let stream = decompress(BufReader::with_capacity(256 << 10, raw))
            .map_err(|e| self.corrupt(format_args!("cannot start decompressing: {e}")))?;
        if !digest {
            walk_tar(stream, visitor, limits).map_err(|m| self.corrupt(m))?;
            return Ok(None);
        }
        let mut hashed = HashingReader {
            inner: stream,
            hasher: Sha256::new(),
        };
        walk_tar(&mut hashed, visitor, limits).map_err(|m| self.corrupt(m))?;
        // the digest covers the whole stream, padding after the end-of-archive marker included
        let rest = std::io::copy(
            &mut (&mut hashed).take(MAX_TRAILER + 1),
            &mut std::io::sink(),
        );
        match rest {
            Ok(n) if n <= MAX_TRAILER => {}
            Ok(_) => {
                tracing::debug!(
                    layer = self.name,
                    "more than {MAX_TRAILER} bytes after the end of the tar archive: no digest"
                );
                return Ok(None);
            }
            Err(e) => {
                tracing::debug!(
                    layer = self.name,
                    "cannot read past the end of the tar archive: {e}: no digest"
                );
                return Ok(None);
            }
        }
        let mut hex = String::with_capacity(7 + 64);
        hex.push_str("sha256:");
        for b in hashed.hasher.finalize() {
            use std::fmt::Write;
            let _ = write!(hex, "{b:02x}");
        }
        Ok(Some(hex))
    }
}

/// Hashes what is read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Stream a tar archive's entries to the visitor. Returns a message when the archive is
/// corrupt or truncated; entries before the damage have been visited.
pub(crate) fn walk_tar(
    stream: impl Read,
    visitor: &mut dyn Visitor,
    limits: &Limits,
) -> Result<(), String> {
    let mut archive = tar::Archive::new(stream);
    let entries = archive
        .entries()
        .map_err(|e| format!("cannot read tar entries: {e}"))?;
    let mut last_path = String::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| describe_tar_error(&e, &last_path))?;
        let raw_path = match entry.path() {
            Ok(p) => p.to_string_lossy().into_owned(),
            Err(e) => {
                visitor.note(
                    NoteLevel::Warning,
                    None,
                    format!("tar entry after `{last_path}` has an unreadable path: {e}"),
                );
                continue;
            }
        };
        let Some(path) = normalize(&raw_path) else {
            visitor.note(
                NoteLevel::Warning,
                Some(&raw_path),
                format!("tar entry `{raw_path}` escapes the root: skipped"),
            );
            continue;
        };
        last_path.clone_from(&path);
        let header = entry.header();
        let mode = header.mode().unwrap_or(0);
        let size = entry.size();
        let ty = header.entry_type();

        // whiteouts
        if let Some((dir, name)) = path.rsplit_once('/')
            && let Some(deleted) = name.strip_prefix(".wh.")
        {
            let dir = if dir.is_empty() { "/" } else { dir };
            if deleted == ".wh..opq" {
                visitor.opaque(dir);
            } else if !deleted.is_empty() {
                let target = if dir == "/" {
                    format!("/{deleted}")
                } else {
                    format!("{dir}/{deleted}")
                };
                visitor.whiteout(&target);
            }
            continue;
        }

        let kind = match ty {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                EntryKind::File
            }
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => EntryKind::Hardlink,
            _ => EntryKind::Other,
        };
        let meta = EntryMeta { kind, size, mode };
        match kind {
            EntryKind::File if visitor.wants(&path, &meta) => {
                if size > limits.max_file_size {
                    visitor.note(
                        NoteLevel::Warning,
                        Some(&path),
                        format!(
                            "file is {size} bytes, over the {} byte limit: only its start was read",
                            limits.max_file_size
                        ),
                    );
                }
                let mut limited = (&mut entry).take(limits.max_file_size);
                let mut guard = ErrorGuard {
                    inner: &mut limited,
                    error: None,
                };
                visitor.file(&path, &meta, &mut guard);
                if let Some(e) = guard.error {
                    return Err(format!("reading `{path}`: {e}"));
                }
            }
            EntryKind::Symlink => {
                if let Ok(Some(t)) = entry.link_name() {
                    visitor.symlink(&path, &t.to_string_lossy());
                }
            }
            EntryKind::Hardlink => {
                if let Ok(Some(t)) = entry.link_name() {
                    match normalize(&t.to_string_lossy()) {
                        Some(target) if target != path => visitor.hardlink(&path, &target),
                        Some(_) => visitor.note(
                            NoteLevel::Warning,
                            Some(&path),
                            "hard link to itself: skipped".to_owned(),
                        ),
                        None => visitor.note(
                            NoteLevel::Warning,
                            Some(&path),
                            format!(
                                "hard link target `{}` escapes the root: skipped",
                                t.display()
                            ),
                        ),
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn describe_tar_error(e: &std::io::Error, last_path: &str) -> String {
    if last_path.is_empty() {
        format!("cannot read the first tar entry: {e}")
    } else {
        format!("tar stream broken after entry `{last_path}`: {e}")
    }
}

/// Remembers a read error so that a stream failure is told apart from a parser's own error.
pub(crate) struct ErrorGuard<'a> {
    pub inner: &'a mut dyn Read,
    pub error: Option<std::io::Error>,
}

impl Read for ErrorGuard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) => {
                let copy = std::io::Error::new(e.kind(), e.to_string());
                self.error = Some(e);
                Err(copy)
            }
        }
    }
}

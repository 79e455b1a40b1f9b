//! A directory tree read in place: a mounted root filesystem, a host's `/`, a checkout.

use crate::{EntryKind, EntryMeta, Error, Layer, Limits, Progress, Visitor, resolve_in_root};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use vigil_types::{LayerRef, NoteLevel};

/// Directories of a live host that hold no packages and must not be walked.
const VIRTUAL_FS: &[&str] = &["/proc", "/sys", "/dev", "/run"];

/// Most symlinks followed when resolving one wanted path.
const MAX_SYMLINK_HOPS: usize = 40;

pub(crate) struct DirLayer {
    root: PathBuf,
}

impl DirLayer {
    pub(crate) fn new(root: PathBuf) -> DirLayer {
        DirLayer { root }
    }

    fn host_path(&self, vpath: &str) -> PathBuf {
        self.root.join(vpath.trim_start_matches('/'))
    }

    /// Follow a symlink inside the root (chroot semantics) to a regular file.
    fn resolve_file(&self, vpath: &str) -> Result<(String, std::fs::Metadata), String> {
        let mut current = vpath.to_owned();
        for _ in 0..MAX_SYMLINK_HOPS {
            let host = self.host_path(&current);
            let meta = std::fs::symlink_metadata(&host).map_err(|e| e.to_string())?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&host).map_err(|e| e.to_string())?;
                current = resolve_in_root(&current, &target.to_string_lossy());
                // intermediate components may be symlinks too: canonicalise them inside the root
                current = self.resolve_parents(&current)?;
                continue;
            }
            if meta.is_file() {
                return Ok((current, meta));
            }
            return Err("not a regular file".to_owned());
        }
        Err(format!("more than {MAX_SYMLINK_HOPS} symlinks (a loop?)"))
    }

    /// Resolve symlinks in the directory components of `vpath`, without leaving the root.
    fn resolve_parents(&self, vpath: &str) -> Result<String, String> {
        let mut resolved = String::new();
        let comps: Vec<&str> = vpath.split('/').filter(|c| !c.is_empty()).collect();
        let mut hops = 0;
        for (i, comp) in comps.iter().enumerate() {
            let candidate = format!("{resolved}/{comp}");
            if i + 1 == comps.len() {
                resolved = candidate;
                break;
            }
            let host = self.host_path(&candidate);
            match std::fs::symlink_metadata(&host) {
                Ok(m) if m.file_type().is_symlink() => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(format!("more than {MAX_SYMLINK_HOPS} symlinks (a loop?)"));
                    }
                    let target = std::fs::read_link(&host).map_err(|e| e.to_string())?;
                    let t = resolve_in_root(&candidate, &target.to_string_lossy());
                    resolved = self.resolve_parents(&t)?;
                    if resolved == "/" {
                        resolved.clear();
                    }
                }
                _ => resolved = candidate,
            }
        }
        Ok(if resolved.is_empty() {
            "/".into()
        } else {
            resolved
        })
    }
}

impl Layer for DirLayer {
    fn layer_ref(&self) -> Option<&LayerRef> {
        None
    }

    fn size_hint(&self) -> u64 {
        0
    }

    fn walk(
        &self,
        visitor: &mut dyn Visitor,
        limits: &Limits,
        progress: &Progress,
    ) -> Result<(), Error> {
        let is_host_root = self.root == Path::new("/");
        let mut stack: Vec<String> = vec!["/".to_owned()];
        while let Some(vdir) = stack.pop() {
            let hdir = self.host_path(&vdir);
            let rd = match std::fs::read_dir(&hdir) {
                Ok(rd) => rd,
                Err(e) => {
                    let level = if e.kind() == std::io::ErrorKind::PermissionDenied {
                        tracing::debug!(path = %vdir, "permission denied");
                        NoteLevel::Info
                    } else {
                        NoteLevel::Warning
                    };
                    visitor.note(level, Some(&vdir), format!("cannot list directory: {e}"));
                    continue;
                }
            };
            let mut names: Vec<std::ffi::OsString> = Vec::new();
            for ent in rd {
                match ent {
                    Ok(ent) => names.push(ent.file_name()),
                    Err(e) => visitor.note(
                        NoteLevel::Warning,
                        Some(&vdir),
                        format!("cannot list directory: {e}"),
                    ),
                }
            }
            names.sort();
            let mut subdirs = Vec::new();
            for name in names {
                let name = name.to_string_lossy();
                let vpath = if vdir == "/" {
                    format!("/{name}")
                } else {
                    format!("{vdir}/{name}")
                };
                let hpath = hdir.join(&*name);
                let meta = match std::fs::symlink_metadata(&hpath) {
                    Ok(m) => m,
                    Err(e) => {
                        visitor.note(
                            NoteLevel::Warning,
                            Some(&vpath),
                            format!("cannot stat: {e}"),
                        );
                        continue;
                    }
                };
                progress.add(1);
                let ft = meta.file_type();
                if ft.is_dir() {
                    if is_host_root && VIRTUAL_FS.contains(&vpath.as_str()) {
                        continue;
                    }
                    if !visitor.wants_dir(&vpath) {
                        continue;
                    }
                    subdirs.push(vpath);
                } else if ft.is_file() {
                    let em = EntryMeta {
                        kind: EntryKind::File,
                        size: meta.len(),
                        mode: meta.permissions().mode() & 0o7777,
                    };
                    if visitor.wants(&vpath, &em) {
                        read_file(visitor, &vpath, &hpath, &em, limits);
                    }
                } else if ft.is_symlink() {
                    let target = std::fs::read_link(&hpath)
                        .map(|t| t.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    visitor.symlink(&vpath, &target);
                    // a symlinked file at a wanted path is read through the root, never outside it
                    let probe = EntryMeta {
                        kind: EntryKind::File,
                        size: 0,
                        mode: 0,
                    };
                    if visitor.wants(&vpath, &probe) {
                        match self.resolve_file(&vpath) {
                            Ok((real, m)) => {
                                let em = EntryMeta {
                                    kind: EntryKind::File,
                                    size: m.len(),
                                    mode: m.mode() & 0o7777,
                                };
                                if visitor.wants(&vpath, &em) {
                                    let hreal = self.host_path(&real);
                                    read_file(visitor, &vpath, &hreal, &em, limits);
                                }
                            }
                            Err(e) => {
                                tracing::debug!(path = %vpath, error = %e, "unresolvable symlink")
                            }
                        }
                    }
                }
            }
            // depth-first, in name order
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(())
    }
}

fn read_file(
    visitor: &mut dyn Visitor,
    vpath: &str,
    hpath: &Path,
    meta: &EntryMeta,
    limits: &Limits,
) {
    match std::fs::File::open(hpath) {
        Ok(f) => {
            if meta.size > limits.max_file_size {
                visitor.note(
                    NoteLevel::Warning,
                    Some(vpath),
                    format!(
                        "file is {} bytes, over the {} byte limit: only its start was read",
                        meta.size, limits.max_file_size
                    ),
                );
            }
            let mut r = std::io::BufReader::with_capacity(64 << 10, f).take(limits.max_file_size);
            visitor.file(vpath, meta, &mut r);
        }
        Err(e) => visitor.note(NoteLevel::Warning, Some(vpath), format!("cannot open: {e}")),
    }
}

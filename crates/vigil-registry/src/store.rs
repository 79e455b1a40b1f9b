//! A content-addressed blob directory shared by every pulled image.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{Client, Error, is_sha256_digest};

/// `root/blobs/sha256/<hex>`: the blob tree of an OCI image layout, without an index (many
/// images share it). Blobs only appear complete and verified (download to `root/tmp`, then
/// rename), so a crash mid-download leaves at most a temporary file, removed on next open.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn open(root: &Path) -> Result<BlobStore, Error> {
        for d in [root.join("blobs/sha256"), root.join("tmp")] {
            std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
        }
        // leftovers of interrupted downloads
        if let Ok(rd) = std::fs::read_dir(root.join("tmp")) {
            for e in rd.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(BlobStore {
            root: root.to_path_buf(),
        })
    }

    /// The directory `vigil_source::open_image_in_blob_store` reads.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a blob lives (whether or not it is there yet).
    pub fn path(&self, digest: &str) -> Result<PathBuf, Error> {
        if !is_sha256_digest(digest) {
            return Err(Error::Invalid(format!("`{digest}` is not a sha256 digest")));
        }
        Ok(self.root.join("blobs/sha256").join(&digest[7..]))
    }

    pub fn contains(&self, digest: &str) -> bool {
        self.path(digest).is_ok_and(|p| p.is_file())
    }

    /// Stores bytes already verified to have `digest` (a manifest fetched by the client).
    pub fn put_bytes(&self, digest: &str, bytes: &[u8]) -> Result<(), Error> {
        let dest = self.path(digest)?;
        if dest.is_file() {
            return Ok(());
        }
        let tmp_dir = self.root.join("tmp");
        let mut tmp =
            tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| Error::io(&tmp_dir, e))?;
        std::io::Write::write_all(&mut tmp, bytes).map_err(|e| Error::io(tmp.path(), e))?;
        tmp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
        Ok(())
    }

    /// Downloads a blob unless it is already here; answers the bytes downloaded (0 when it was
    /// cached). Marks the blob used (its modification time), for [`BlobStore::trim`].
    pub fn fetch(
        &self,
        client: &mut Client,
        repo: &str,
        digest: &str,
        size: Option<u64>,
        max: u64,
    ) -> Result<u64, Error> {
        let dest = self.path(digest)?;
        if dest.is_file() {
            if let Ok(f) = std::fs::File::options().append(true).open(&dest) {
                let _ = f.set_modified(SystemTime::now());
            }
            return Ok(0);
        }
        let tmp_dir = self.root.join("tmp");
        let tmp = tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| Error::io(&tmp_dir, e))?;
        let n = client.get_blob(repo, digest, size, max, tmp.path())?;
        tmp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
        Ok(n)
    }

    /// Removes the least recently used blobs until the store holds at most `max_bytes`
    /// (blobs in `keep` are never removed). Answers the bytes removed.
    pub fn trim(&self, max_bytes: u64, keep: &std::collections::HashSet<String>) -> u64 {
        let dir = self.root.join("blobs/sha256");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return 0;
        };
        let mut blobs: Vec<(SystemTime, u64, PathBuf, String)> = rd
            .flatten()
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                let name = e.file_name().to_string_lossy().into_owned();
                Some((
                    m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    m.len(),
                    e.path(),
                    format!("sha256:{name}"),
                ))
            })
            .collect();
        let mut total: u64 = blobs.iter().map(|b| b.1).sum();
        blobs.sort();
        let mut removed = 0;
        for (_, len, path, digest) in blobs {
            if total <= max_bytes {
                break;
            }
            if keep.contains(&digest) {
                continue;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
                removed += len;
            }
        }
        removed
    }
}

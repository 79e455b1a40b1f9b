//! A cache of per-layer walk results keyed by layer content, so that images sharing a base
//! layer walk it once.
//!
//! What one image layer yields depends only on its content, the catalogers and the limits (an
//! image is never a host), so [`crate::scan`] looks each layer up under a key made of those
//! (see `engine::LayerKeys`) before walking it, and stores what it walked afterwards. Only
//! layers read to the end whose content matches their `diff_id` are stored: a truncated layer,
//! or an image config claiming another layer's `diff_id`, never is.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Stores serialised layer results by key. Implementations must be safe to share between
/// concurrent scans; a failure to store is logged, never an error of the scan.
pub trait LayerCache: Send + Sync {
    /// The bytes stored under `key`, if any.
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Store `bytes` under `key`, replacing what was there.
    fn put(&self, key: &str, bytes: &[u8]);
    /// The bytes [`LayerCache::get`] just returned for `key` could not be used (they do not
    /// deserialise): drop the entry. Does nothing by default.
    fn discard(&self, _key: &str) {}
}

/// Most bytes one entry may decompress to; more is treated as a corrupt entry.
const MAX_ENTRY: u64 = 1 << 30;

/// A [`LayerCache`] in a directory: one zstd-compressed file `<key>.json.zst` per entry,
/// written to a temporary file in the same directory and renamed into place, so that readers
/// never see half an entry. Entries that cannot be read are misses and are removed.
#[derive(Debug)]
pub struct DiskLayerCache {
    dir: PathBuf,
    hits: AtomicU64,
    misses: AtomicU64,
    stores: AtomicU64,
}

impl DiskLayerCache {
    /// Use (and create if needed) the directory `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<DiskLayerCache> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(DiskLayerCache {
            dir,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            stores: AtomicU64::new(0),
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Lookups that returned a usable entry.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that found no usable entry.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// Entries written.
    pub fn stores(&self) -> u64 {
        self.stores.load(Ordering::Relaxed)
    }

    /// The file of the entry `key`; `None` for a key that is not a plain file name part.
    pub fn entry_path(&self, key: &str) -> Option<PathBuf> {
        let ok = !key.is_empty()
            && key.len() <= 128
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| self.dir.join(format!("{key}.json.zst")))
    }

    fn remove_corrupt(&self, path: &Path, why: &dyn std::fmt::Display) {
        tracing::warn!(
            path = %path.display(),
            "unusable layer cache entry removed: {why}"
        );
        if let Err(e) = std::fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), "cannot remove layer cache entry: {e}");
        }
    }

    fn write_entry(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".layer-")
            .suffix(".part")
            .tempfile_in(&self.dir)?;
        zstd::stream::copy_encode(bytes, tmp.as_file_mut(), 3)?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

fn read_entry(file: File) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(file)?
        .take(MAX_ENTRY + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_ENTRY {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("decompresses to more than {MAX_ENTRY} bytes"),
        ));
    }
    Ok(out)
}

impl LayerCache for DiskLayerCache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let Some(path) = self.entry_path(key) else {
            tracing::warn!(key, "layer cache key is not a file name: not looked up");
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), "cannot open layer cache entry: {e}");
                }
                self.misses.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        match read_entry(file) {
            Ok(bytes) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(bytes)
            }
            Err(e) => {
                self.remove_corrupt(&path, &format_args!("cannot decompress: {e}"));
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    fn put(&self, key: &str, bytes: &[u8]) {
        let Some(path) = self.entry_path(key) else {
            tracing::warn!(key, "layer cache key is not a file name: not stored");
            return;
        };
        match self.write_entry(&path, bytes) {
            Ok(()) => {
                self.stores.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot store layer cache entry: {e}");
            }
        }
    }

    /// Removes the entry and counts the lookup that returned it as a miss instead of a hit.
    fn discard(&self, key: &str) {
        if let Some(path) = self.entry_path(key) {
            self.remove_corrupt(&path, &"cannot deserialise");
        }
        let _ = self
            .hits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| h.checked_sub(1));
        self.misses.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_bad_ones_are_misses() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = DiskLayerCache::open(dir.path().join("c")).expect("open");
        assert_eq!(cache.get("abc"), None);
        cache.put("abc", b"{\"x\":1}");
        assert_eq!(cache.get("abc").as_deref(), Some(&b"{\"x\":1}"[..]));
        assert_eq!((cache.hits(), cache.misses(), cache.stores()), (1, 1, 1));
        // no temporary file is left behind
        let names: Vec<String> = std::fs::read_dir(cache.dir())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["abc.json.zst".to_owned()]);

        let path = cache.entry_path("abc").expect("path");
        std::fs::write(&path, b"garbage").expect("write");
        assert_eq!(cache.get("abc"), None);
        assert!(!path.exists());
        assert_eq!((cache.hits(), cache.misses()), (1, 2));

        cache.put("abc", b"not what the reader expects");
        assert!(cache.get("abc").is_some());
        cache.discard("abc");
        assert!(!path.exists());
        assert_eq!((cache.hits(), cache.misses()), (1, 3));

        // keys never name other files
        assert_eq!(cache.entry_path("../x"), None);
        cache.put("../x", b"{}");
        assert_eq!(cache.get("../x"), None);
        assert_eq!(cache.stores(), 2);
    }
}

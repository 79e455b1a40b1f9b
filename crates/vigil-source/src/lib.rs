//! Scan targets as read-only layers of files, streamed once.
//!
//! A target (a directory, a tar archive, a container image, a function package) is opened
//! into an [`OpenedSource`]: facts about the target plus an ordered list of [`Layer`]s
//! (bottom first). Walking a layer streams its entries to a [`Visitor`], which decides from the
//! path and size alone whether it wants a file's content. Nothing is extracted to disk; each layer
//! blob is read exactly once; file content is read only when wanted and never beyond
//! [`Limits::max_file_size`].
//!
//! Squashing layers (whiteouts, opaque directories) is the visitor's job: a layer reports
//! [`Visitor::whiteout`] and [`Visitor::opaque`] events in its own coordinates, which keeps layers
//! independent so that they can be walked in parallel.

mod dir;
mod error;
mod image;
mod path;
mod tarball;
pub mod ziparchive;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use error::Error;
pub use image::Platform;
pub use path::{normalize, resolve_in_root};
use vigil_types::{LayerRef, TargetInfo};

/// The kind of a filesystem entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Other,
}

/// Metadata of one entry, as the visitor sees it.
#[derive(Debug, Clone, Copy)]
pub struct EntryMeta {
    pub kind: EntryKind,
    pub size: u64,
    /// Unix permission bits (`0o755`), 0 when unknown.
    pub mode: u32,
}

impl EntryMeta {
    /// Whether any execute bit is set.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// Receives the entries of one layer.
///
/// Paths are normalised absolute paths (`/usr/lib/os-release`); entries that would escape
/// the root are never passed on (they are reported through [`Visitor::note`]).
pub trait Visitor {
    /// Whether the content of this regular file is wanted.
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool;
    /// Whether anything below this directory can be wanted. Sources that can skip a subtree
    /// (directories) ask before descending; streamed archives cannot skip and never ask.
    fn wants_dir(&self, _dir: &str) -> bool {
        true
    }
    /// The content of a wanted file. `reader` yields at most `limits.max_file_size` bytes;
    /// [`Visitor::note`] has already been told when the file was cut short.
    fn file(&mut self, path: &str, meta: &EntryMeta, reader: &mut dyn Read);
    /// A symbolic link (target as stored, not resolved).
    fn symlink(&mut self, _path: &str, _target: &str) {}
    /// A hard link to an earlier entry of the same layer (target normalised).
    fn hardlink(&mut self, _path: &str, _target: &str) {}
    /// `path` and everything below it is deleted from lower layers (`.wh.<name>`).
    fn whiteout(&mut self, _path: &str) {}
    /// Everything below directory `dir` is deleted from lower layers (`.wh..wh..opq`).
    fn opaque(&mut self, _dir: &str) {}
    /// Something was skipped or could not be read.
    fn note(&mut self, level: vigil_types::NoteLevel, path: Option<&str>, message: String);
}

/// Resource limits that keep hostile input bounded.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most bytes of one wanted file handed to a visitor.
    pub max_file_size: u64,
    /// Most uncompressed bytes of one zip entry.
    pub zip_max_entry_size: u64,
    /// Most uncompressed bytes of a whole zip archive (nested archives included).
    pub zip_max_total_size: u64,
    /// Highest uncompressed/compressed ratio of a zip entry before it is treated as a bomb.
    pub zip_max_ratio: u64,
    /// Most entries in one zip archive.
    pub zip_max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 256 << 20,
            zip_max_entry_size: 512 << 20,
            zip_max_total_size: 4 << 30,
            zip_max_ratio: 200,
            zip_max_entries: 1_000_000,
        }
    }
}

/// Counts bytes read from the target's underlying files, for progress reporting.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// One layer of a target: a directory tree, a tar stream or a zip archive.
pub trait Layer: Send + Sync {
    /// The image layer this is, for container images.
    fn layer_ref(&self) -> Option<&LayerRef>;
    /// Bytes this layer will read from disk (for progress), when known.
    fn size_hint(&self) -> u64;
    /// Stream every entry to the visitor. An `Err` means the layer could not be read to the
    /// end (corrupt or truncated); entries already visited stay valid.
    fn walk(
        &self,
        visitor: &mut dyn Visitor,
        limits: &Limits,
        progress: &Progress,
    ) -> Result<(), Error>;
    /// Walk like [`Layer::walk`], then read the layer to its end and return the digest of its
    /// content (`sha256:<hex>` of the uncompressed tar stream, which is what an image config's
    /// `rootfs.diff_ids` lists), so that a caller can check the layer is the one its
    /// [`LayerRef::diff_id`] claims. `Ok(None)` when the layer cannot tell (not a tar stream,
    /// or too much data after the end of the archive); the visitor sees the same as with
    /// [`Layer::walk`] either way.
    fn walk_and_digest(
        &self,
        visitor: &mut dyn Visitor,
        limits: &Limits,
        progress: &Progress,
    ) -> Result<Option<String>, Error> {
        self.walk(visitor, limits, progress).map(|()| None)
    }
}

/// A target opened for scanning.
pub struct OpenedSource {
    pub target: TargetInfo,
    /// Layers bottom first; a directory, tar archive or SBOM-less zip has one.
    pub layers: Vec<Box<dyn Layer>>,
    /// Whether language packages are searched only below the deep-inspection paths (a host).
    pub host: bool,
}

/// The kind of target, from a `kind:` prefix or detected from the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Dir,
    Tar,
    OciDir,
    OciArchive,
    DockerArchive,
    Zip,
    Sbom,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Dir => "dir",
            TargetKind::Tar => "tar",
            TargetKind::OciDir => "oci-dir",
            TargetKind::OciArchive => "oci-archive",
            TargetKind::DockerArchive => "docker-archive",
            TargetKind::Zip => "zip",
            TargetKind::Sbom => "sbom",
        }
    }

    fn from_prefix(p: &str) -> Option<TargetKind> {
        Some(match p {
            "dir" => TargetKind::Dir,
            "tar" => TargetKind::Tar,
            "oci-dir" => TargetKind::OciDir,
            "oci-archive" => TargetKind::OciArchive,
            "docker-archive" => TargetKind::DockerArchive,
            "zip" => TargetKind::Zip,
            "sbom" => TargetKind::Sbom,
            _ => return None,
        })
    }
}

/// Split `kind:path` into its parts, detecting the kind from the path when there is no prefix.
pub fn parse_target(spec: &str) -> Result<(TargetKind, String), Error> {
    if let Some((prefix, rest)) = spec.split_once(':')
        && let Some(kind) = TargetKind::from_prefix(prefix)
    {
        return Ok((kind, rest.to_owned()));
    }
    Ok((detect(Path::new(spec))?, spec.to_owned()))
}

/// Detect the kind of target at `path` from what is there.
pub fn detect(path: &Path) -> Result<TargetKind, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        if path.join("oci-layout").is_file() && path.join("index.json").is_file() {
            return Ok(TargetKind::OciDir);
        }
        return Ok(TargetKind::Dir);
    }
    let mut head = [0u8; 512];
    let n = read_head(path, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(TargetKind::Zip);
    }
    if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Ok(TargetKind::Tar);
    }
    let trimmed = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &head[i..]);
    if let Some(t) = trimmed
        && t.first() == Some(&b'{')
    {
        return Ok(TargetKind::Sbom);
    }
    if n >= 262 && &head[257..262] == b"ustar" {
        return image::classify_tar(path);
    }
    Err(Error::UnknownTarget {
        path: path.display().to_string(),
    })
}

fn read_head(path: &Path, buf: &mut [u8]) -> Result<usize, Error> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(n)
}

/// Options for opening a target.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Platform to pick from a multi-platform image index (default linux/amd64).
    pub platform: Option<Platform>,
    /// Treat a directory as a host root (deep-inspection paths only for language packages).
    /// `None` means: a host when the directory is `/`.
    pub host: Option<bool>,
    /// Extra zips mounted at `/opt` for a function package (Lambda layers).
    pub function_layers: Vec<std::path::PathBuf>,
}

/// Open a target of a known kind. SBOM targets are not layers; callers decode them instead.
pub fn open(kind: TargetKind, path: &str, opts: &OpenOptions) -> Result<OpenedSource, Error> {
    let p = Path::new(path);
    let target = |image| TargetInfo {
        kind: kind.as_str().to_owned(),
        name: path.to_owned(),
        image,
    };
    match kind {
        TargetKind::Dir => {
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
            if !meta.is_dir() {
                return Err(Error::NotADirectory {
                    path: path.to_owned(),
                });
            }
            let root = std::fs::canonicalize(p).map_err(|e| Error::io(p, e))?;
            let host = opts.host.unwrap_or(root == Path::new("/"));
            Ok(OpenedSource {
                target: target(None),
                layers: vec![Box::new(dir::DirLayer::new(root))],
                host,
            })
        }
        TargetKind::Tar => {
            let size = std::fs::metadata(p).map_err(|e| Error::io(p, e))?.len();
            Ok(OpenedSource {
                target: target(None),
                layers: vec![Box::new(tarball::TarLayer::whole_file(
                    p.to_path_buf(),
                    size,
                ))],
                host: opts.host.unwrap_or(false),
            })
        }
        TargetKind::OciDir | TargetKind::OciArchive | TargetKind::DockerArchive => {
            let platform = opts.platform.clone().unwrap_or_default();
            let img = image::open(kind, p, &platform)?;
            Ok(OpenedSource {
                target: target(Some(img.info)),
                layers: img.layers,
                host: false,
            })
        }
        TargetKind::Zip => {
            let mut layers: Vec<Box<dyn Layer>> = Vec::new();
            for (i, l) in opts.function_layers.iter().enumerate() {
                layers.push(Box::new(ziparchive::ZipLayer::new(l.clone(), "/opt", i)?));
            }
            layers.push(Box::new(ziparchive::ZipLayer::new(
                p.to_path_buf(),
                if opts.function_layers.is_empty() {
                    "/"
                } else {
                    "/var/task"
                },
                opts.function_layers.len(),
            )?));
            Ok(OpenedSource {
                target: target(None),
                layers,
                host: false,
            })
        }
        TargetKind::Sbom => Err(Error::NotLayered {
            path: path.to_owned(),
        }),
    }
}

/// The [`TargetInfo::kind`] of an image opened from a blob store
/// ([`open_image_in_blob_store`]).
pub const REGISTRY_KIND: &str = "registry";

/// Open the image `manifest_digest` names in a blob store shared by many images: `root` holds
/// blobs at `blobs/<alg>/<hex>` like an OCI layout, but has no `index.json` (a registry puller
/// fills it).
///
/// `manifest_digest` names an image manifest (OCI or Docker v2) or an index / manifest list,
/// from which `platform`'s manifest is picked as for an OCI layout. The target is of kind
/// [`REGISTRY_KIND`], named `name`; its image info records `manifest_digest` (as asked for,
/// even when it names an index) and `tags`. A blob that is not in the store is
/// [`Error::MissingBlob`].
pub fn open_image_in_blob_store(
    root: &Path,
    manifest_digest: &str,
    name: &str,
    tags: Vec<String>,
    platform: &Platform,
) -> Result<OpenedSource, Error> {
    let img = image::open_blob_store(root, manifest_digest, tags, platform)?;
    Ok(OpenedSource {
        target: TargetInfo {
            kind: REGISTRY_KIND.to_owned(),
            name: name.to_owned(),
            image: Some(img.info),
        },
        layers: img.layers,
        host: false,
    })
}

/// A reader that counts bytes into [`Progress`].
pub(crate) struct CountingReader<R> {
    pub inner: R,
    pub progress: Progress,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

/// Wraps a decompressed stream: detects gzip and zstd by magic bytes.
pub(crate) fn decompress<'a, R: Read + 'a>(
    mut r: std::io::BufReader<R>,
) -> std::io::Result<Box<dyn Read + 'a>> {
    use std::io::BufRead;
    // The tar reader asks for 512-byte headers and small files: decompressing into such small
    // buffers makes the inflater shuffle its window on every call (measured: half the time in
    // memmove). A large buffer after the decoder lets it produce big chunks.
    const OUT_BUF: usize = 1 << 20;
    let head = r.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let d = flate2::bufread::MultiGzDecoder::new(r);
        Ok(Box::new(std::io::BufReader::with_capacity(OUT_BUF, d)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let d = zstd::stream::read::Decoder::with_buffer(r)?;
        Ok(Box::new(std::io::BufReader::with_capacity(OUT_BUF, d)))
    } else {
        Ok(Box::new(r))
    }
}

//! Container images: OCI image layout directories, OCI archives and `docker save` archives.
//!
//! Only the small JSON documents (index, manifest, config) are read up front; layer blobs are
//! streamed later, once each, straight from where they lie (a file in `blobs/`, or a byte range
//! of the archive).

use crate::tarball::TarLayer;
use crate::{Error, Layer, TargetKind};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use vigil_types::{HistoryEntry, ImageInfo, LayerRef};

/// Largest JSON document (index, manifest, config) read from an image.
const MAX_JSON: u64 = 16 << 20;

const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// An `os/architecture[/variant]` platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Platform, Error> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: (*os).into(),
                architecture: (*arch).into(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform {
                    os: (*os).into(),
                    architecture: (*arch).into(),
                    variant: Some((*variant).into()),
                })
            }
            _ => Err(Error::BadPlatform(s.to_owned())),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    fn matches(&self, p: &PlatformJson) -> bool {
        p.os == self.os
            && p.architecture == self.architecture
            && match (&self.variant, &p.variant) {
                (Some(w), Some(v)) => w == v,
                (Some(w), None) => self.architecture == "arm64" && w == "v8",
                (None, _) => true,
            }
    }
}

#[derive(Debug, Deserialize, Clone)]
struct PlatformJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    platform: Option<PlatformJson>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct IndexJson {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestJson {
    #[serde(default)]
    media_type: Option<String>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

#[derive(Debug, Deserialize)]
struct ConfigJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    config: Option<ContainerConfig>,
    #[serde(default)]
    history: Vec<HistoryJson>,
    rootfs: Option<RootFs>,
}

#[derive(Debug, Deserialize, Default)]
struct ContainerConfig {
    #[serde(rename = "Env", default)]
    env: Option<Vec<String>>,
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
struct HistoryJson {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}

#[derive(Debug, Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// Where the files of an image live.
enum Store {
    /// An OCI layout directory.
    Dir(PathBuf),
    /// A tar archive; entries by normalised relative path -> (data offset, size).
    Archive {
        file: PathBuf,
        entries: HashMap<String, (u64, u64)>,
    },
}

/// Why a document or layer could not be had from a [`Store`].
enum StoreError {
    /// A blob of a blob directory is not there.
    Missing {
        what: String,
        digest: String,
    },
    Other(String),
}

impl From<String> for StoreError {
    fn from(m: String) -> StoreError {
        StoreError::Other(m)
    }
}

impl StoreError {
    /// A missing blob when `rel` names one (`blobs/<alg>/<hex>`), otherwise `message`.
    fn open_failed(rel: &str, what: &str, e: &std::io::Error, message: String) -> StoreError {
        match digest_from_path(rel) {
            Some(digest)
                if e.kind() == std::io::ErrorKind::NotFound && rel.starts_with("blobs/") =>
            {
                StoreError::Missing {
                    what: what.to_owned(),
                    digest,
                }
            }
            _ => StoreError::Other(message),
        }
    }

    fn into_error(self, path: &Path) -> Error {
        match self {
            StoreError::Missing { what, digest } => Error::MissingBlob {
                path: path.display().to_string(),
                what,
                digest,
            },
            StoreError::Other(m) => Error::image(path, m),
        }
    }
}

impl Store {
    fn read_small(&self, rel: &str, what: &str) -> Result<Vec<u8>, StoreError> {
        match self {
            Store::Dir(root) => {
                let p = root.join(rel);
                let f = File::open(&p).map_err(|e| {
                    StoreError::open_failed(
                        rel,
                        what,
                        &e,
                        format!("cannot open {what} `{rel}`: {e}"),
                    )
                })?;
                let mut buf = Vec::new();
                f.take(MAX_JSON + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| format!("cannot read {what} `{rel}`: {e}"))?;
                if buf.len() as u64 > MAX_JSON {
                    return Err(format!("{what} `{rel}` is larger than {MAX_JSON} bytes").into());
                }
                Ok(buf)
            }
            Store::Archive { file, entries } => {
                let &(off, size) = entries
                    .get(rel)
                    .ok_or_else(|| format!("{what} `{rel}` is missing from the archive"))?;
                if size > MAX_JSON {
                    return Err(format!("{what} `{rel}` is larger than {MAX_JSON} bytes").into());
                }
                let mut f = File::open(file).map_err(|e| e.to_string())?;
                f.seek(SeekFrom::Start(off)).map_err(|e| e.to_string())?;
                let mut buf = Vec::with_capacity(size as usize);
                f.take(size)
                    .read_to_end(&mut buf)
                    .map_err(|e| format!("cannot read {what} `{rel}`: {e}"))?;
                if (buf.len() as u64) < size {
                    return Err(format!("{what} `{rel}` is truncated").into());
                }
                Ok(buf)
            }
        }
    }

    fn layer(&self, rel: &str, layer: LayerRef) -> Result<Box<dyn Layer>, StoreError> {
        match self {
            Store::Dir(root) => {
                let p = root.join(rel);
                let len = std::fs::metadata(&p)
                    .map_err(|e| {
                        StoreError::open_failed(
                            rel,
                            "layer",
                            &e,
                            format!("layer blob `{rel}`: {e}"),
                        )
                    })?
                    .len();
                Ok(Box::new(TarLayer::blob(p, 0, len, layer)))
            }
            Store::Archive { file, entries } => {
                let &(off, size) = entries
                    .get(rel)
                    .ok_or_else(|| format!("layer `{rel}` is missing from the archive"))?;
                Ok(Box::new(TarLayer::blob(file.clone(), off, size, layer)))
            }
        }
    }
}

fn blob_path(digest: &str) -> Result<String, String> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| format!("malformed digest `{digest}`"))?;
    let ok_alg = !alg.is_empty()
        && alg
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
    let ok_hex = !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !ok_alg || !ok_hex {
        return Err(format!("malformed digest `{digest}`"));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

/// Index a tar archive's entries (headers only; contents are skipped by seeking).
fn index_archive(path: &Path) -> Result<HashMap<String, (u64, u64)>, Error> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut ar = tar::Archive::new(f);
    let mut map = HashMap::new();
    let entries = ar
        .entries_with_seek()
        .map_err(|e| Error::image(path, format!("not a tar archive: {e}")))?;
    for e in entries {
        let e = e.map_err(|e| Error::image(path, format!("corrupt tar archive: {e}")))?;
        if e.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let p = e
            .path()
            .map_err(|err| Error::image(path, format!("bad entry path: {err}")))?;
        let Some(norm) = crate::normalize(&p.to_string_lossy()) else {
            continue;
        };
        map.insert(
            norm.trim_start_matches('/').to_owned(),
            (e.raw_file_position(), e.size()),
        );
    }
    Ok(map)
}

/// Decide whether a plain tar file is a docker archive, an OCI archive or a root filesystem.
pub(crate) fn classify_tar(path: &Path) -> Result<TargetKind, Error> {
    let entries = index_archive(path)?;
    if entries.contains_key("manifest.json") {
        Ok(TargetKind::DockerArchive)
    } else if entries.contains_key("oci-layout") && entries.contains_key("index.json") {
        Ok(TargetKind::OciArchive)
    } else {
        Ok(TargetKind::Tar)
    }
}

pub(crate) struct OpenedImage {
    pub info: ImageInfo,
    pub layers: Vec<Box<dyn Layer>>,
}

pub(crate) fn open(
    kind: TargetKind,
    path: &Path,
    platform: &Platform,
) -> Result<OpenedImage, Error> {
    let store = match kind {
        TargetKind::OciDir => Store::Dir(path.to_path_buf()),
        _ => Store::Archive {
            file: path.to_path_buf(),
            entries: index_archive(path)?,
        },
    };
    let err = |m: String| Error::image(path, m);
    match kind {
        TargetKind::DockerArchive => open_docker(&store, path),
        _ => {
            let index: IndexJson = parse_json(
                &store
                    .read_small("index.json", "image index")
                    .map_err(|e| e.into_error(path))?,
                "index.json",
            )
            .map_err(err)?;
            let (manifest_desc, tags, manifest) =
                select_manifest(&store, &index.manifests, platform, path, 0)?;
            from_manifest(
                &store,
                path,
                &manifest_desc.digest,
                &manifest,
                manifest_desc.digest.clone(),
                tags,
                platform,
            )
        }
    }
}

/// Open the image `manifest_digest` names in a directory of blobs (`blobs/<alg>/<hex>`, as in
/// an OCI layout but without `index.json`). An index or manifest list is resolved to the
/// platform's manifest as for an OCI layout; the info records `manifest_digest` as asked for.
pub(crate) fn open_blob_store(
    root: &Path,
    manifest_digest: &str,
    tags: Vec<String>,
    platform: &Platform,
) -> Result<OpenedImage, Error> {
    let store = Store::Dir(root.to_path_buf());
    // a descriptor without platform: select_manifest reads it and descends if it is an index
    let top = Descriptor {
        media_type: String::new(),
        digest: manifest_digest.to_owned(),
        platform: None,
        annotations: BTreeMap::new(),
    };
    let (manifest_desc, _annotated, manifest) =
        select_manifest(&store, std::slice::from_ref(&top), platform, root, 0)?;
    from_manifest(
        &store,
        root,
        &manifest_desc.digest,
        &manifest,
        manifest_digest.to_owned(),
        tags,
        platform,
    )
}

/// The image one selected manifest (`selected`, for messages) describes; `recorded` is the
/// manifest digest the image info carries.
fn from_manifest(
    store: &Store,
    path: &Path,
    selected: &str,
    manifest: &ManifestJson,
    recorded: String,
    tags: Vec<String>,
    platform: &Platform,
) -> Result<OpenedImage, Error> {
    let err = |m: String| Error::image(path, m);
    let config_desc = manifest
        .config
        .as_ref()
        .ok_or_else(|| err(format!("manifest `{selected}` has no config")))?;
    let layer_paths: Vec<(String, String)> = manifest
        .layers
        .iter()
        .map(|l| Ok((blob_path(&l.digest)?, l.digest.clone())))
        .collect::<Result<_, String>>()
        .map_err(err)?;
    build(
        store,
        path,
        &blob_path(&config_desc.digest).map_err(err)?,
        Some(config_desc.digest.clone()),
        Some(recorded),
        tags,
        &layer_paths,
        platform,
    )
}

fn open_docker(store: &Store, path: &Path) -> Result<OpenedImage, Error> {
    let err = |m: String| Error::image(path, m);
    let entries: Vec<DockerManifestEntry> = parse_json(
        &store
            .read_small("manifest.json", "manifest")
            .map_err(|e| e.into_error(path))?,
        "manifest.json",
    )
    .map_err(err)?;
    let Some(entry) = entries.into_iter().next() else {
        return Err(err("manifest.json lists no image".into()));
    };
    let config_path = crate::normalize(&entry.config).ok_or_else(|| {
        err(format!(
            "config path `{}` escapes the archive",
            entry.config
        ))
    })?;
    let config_path = config_path.trim_start_matches('/').to_owned();
    let config_digest = digest_from_path(&config_path);
    let mut layer_paths = Vec::new();
    for l in &entry.layers {
        let p = crate::normalize(l)
            .ok_or_else(|| err(format!("layer path `{l}` escapes the archive")))?;
        let p = p.trim_start_matches('/').to_owned();
        let digest = digest_from_path(&p).unwrap_or_default();
        layer_paths.push((p, digest));
    }
    build(
        store,
        path,
        &config_path,
        config_digest,
        None,
        entry.repo_tags.unwrap_or_default(),
        &layer_paths,
        &Platform::default(),
    )
}

/// `blobs/sha256/<hex>` -> `sha256:<hex>`; legacy `<id>.json` -> `sha256:<id>`.
fn digest_from_path(p: &str) -> Option<String> {
    if let Some(rest) = p.strip_prefix("blobs/")
        && let Some((alg, hex)) = rest.split_once('/')
    {
        return Some(format!("{alg}:{hex}"));
    }
    let stem = p.strip_suffix(".json")?;
    (stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("sha256:{stem}"))
}

#[allow(clippy::too_many_arguments)]
fn build(
    store: &Store,
    path: &Path,
    config_rel: &str,
    config_digest: Option<String>,
    manifest_digest: Option<String>,
    tags: Vec<String>,
    layer_paths: &[(String, String)],
    platform: &Platform,
) -> Result<OpenedImage, Error> {
    let err = |m: String| Error::image(path, m);
    let config: ConfigJson = parse_json(
        &store
            .read_small(config_rel, "image config")
            .map_err(|e| e.into_error(path))?,
        config_rel,
    )
    .map_err(err)?;
    let _ = platform;
    let diff_ids = config.rootfs.map(|r| r.diff_ids).unwrap_or_default();
    if !diff_ids.is_empty() && diff_ids.len() != layer_paths.len() {
        return Err(err(format!(
            "the manifest lists {} layers but the config has {} diff_ids",
            layer_paths.len(),
            diff_ids.len()
        )));
    }
    let mut layers: Vec<Box<dyn Layer>> = Vec::new();
    let mut refs = Vec::new();
    for (i, (rel, digest)) in layer_paths.iter().enumerate() {
        let diff_id = diff_ids.get(i).cloned();
        let digest = if digest.is_empty() {
            // legacy docker archives store layers uncompressed: the blob digest is the diff id
            diff_id.clone().unwrap_or_else(|| rel.clone())
        } else {
            digest.clone()
        };
        let lref = LayerRef {
            index: i,
            digest,
            diff_id,
        };
        refs.push(lref.clone());
        layers.push(store.layer(rel, lref).map_err(|e| e.into_error(path))?);
    }
    let cc = config.config.unwrap_or_default();
    let info = ImageInfo {
        manifest_digest,
        config_digest: config_digest.unwrap_or_default(),
        tags,
        os: config.os,
        architecture: config.architecture,
        variant: config.variant,
        created: config.created,
        env: cc.env.unwrap_or_default(),
        labels: cc.labels.unwrap_or_default(),
        history: config
            .history
            .into_iter()
            .map(|h| HistoryEntry {
                created: h.created,
                created_by: h.created_by,
                empty_layer: h.empty_layer,
            })
            .collect(),
        layers: refs,
    };
    Ok(OpenedImage { info, layers })
}

fn is_index(media_type: &str) -> bool {
    media_type == MT_OCI_INDEX || media_type == MT_DOCKER_LIST
}

/// Walk index.json (and nested indexes) down to one image manifest for the platform.
fn select_manifest(
    store: &Store,
    manifests: &[Descriptor],
    platform: &Platform,
    path: &Path,
    depth: usize,
) -> Result<(Descriptor, Vec<String>, ManifestJson), Error> {
    let err = |m: String| Error::image(path, m);
    if depth > 4 {
        return Err(err("image indexes nested more than 4 deep".into()));
    }
    let mut candidates: Vec<(Descriptor, Vec<String>)> = Vec::new();
    let mut available = Vec::new();
    for d in manifests {
        let tag = d
            .annotations
            .get("org.opencontainers.image.ref.name")
            .or_else(|| d.annotations.get("io.containerd.image.name"))
            .cloned();
        // buildkit attestation manifests
        if d.annotations.contains_key("vnd.docker.reference.type") {
            continue;
        }
        if is_index(&d.media_type) {
            let bytes = store
                .read_small(&blob_path(&d.digest).map_err(err)?, "image index")
                .map_err(|e| e.into_error(path))?;
            let nested: ManifestJson = parse_json(&bytes, &d.digest).map_err(err)?;
            let inner = nested.manifests.unwrap_or_default();
            let (desc, mut tags, m) = select_manifest(store, &inner, platform, path, depth + 1)?;
            tags.extend(tag);
            return Ok((desc, tags, m));
        }
        if let Some(p) = &d.platform {
            available.push(format!(
                "{}/{}{}",
                p.os,
                p.architecture,
                p.variant
                    .as_deref()
                    .map(|v| format!("/{v}"))
                    .unwrap_or_default()
            ));
            if p.os == "unknown" || !platform.matches(p) {
                continue;
            }
        }
        candidates.push((d.clone(), tag.into_iter().collect()));
    }
    // a manifest that is itself an index (media type only known after reading) is handled above;
    // here the first candidate wins
    let mut it = candidates.into_iter();
    match it.next() {
        Some((d, tags)) => {
            // Also check a manifest read without platform info is not an index.
            let bytes = store
                .read_small(&blob_path(&d.digest).map_err(err)?, "manifest")
                .map_err(|e| e.into_error(path))?;
            let m: ManifestJson = parse_json(&bytes, &d.digest).map_err(err)?;
            if m.manifests.is_some() || m.media_type.as_deref().is_some_and(is_index) {
                let inner = m.manifests.unwrap_or_default();
                let (desc, mut more, m) =
                    select_manifest(store, &inner, platform, path, depth + 1)?;
                more.extend(tags);
                return Ok((desc, more, m));
            }
            Ok((d, tags, m))
        }
        None => Err(Error::Platform {
            path: path.display().to_string(),
            wanted: platform.to_string(),
            available: if available.is_empty() {
                "none".into()
            } else {
                available.join(", ")
            },
        }),
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("malformed JSON in `{what}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_parsing() {
        let p: Platform = "linux/arm64/v8".parse().expect("valid");
        assert_eq!(p.variant.as_deref(), Some("v8"));
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//".parse::<Platform>().is_err());
    }

    #[test]
    fn digests_are_validated() {
        assert_eq!(
            blob_path("sha256:abc123").as_deref(),
            Ok("blobs/sha256/abc123")
        );
        assert!(blob_path("sha256:../../etc").is_err());
        assert!(blob_path("nocolon").is_err());
    }
}

//! Pulling an image into a blob store.

use std::collections::HashSet;

use serde::Deserialize;

use crate::{BlobStore, Client, Error, is_sha256_digest, media};

/// Bounds on what one pull may cost.
#[derive(Debug, Clone)]
pub struct ImageLimits {
    pub max_layers: usize,
    /// The sum of the config and layer sizes the manifest declares.
    pub max_image_bytes: u64,
    /// Indexes nested in indexes, at most this deep.
    pub max_index_depth: usize,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_layers: 512,
            max_image_bytes: 16 << 30,
            max_index_depth: 3,
        }
    }
}

/// What a pull brought into the store.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The digest the reference resolved to (an index's, when the tag names an index): the
    /// image's identity.
    pub digest: String,
    pub media_type: String,
    /// The image manifest chosen (the platform's, for an index; else `digest`).
    pub manifest_digest: String,
    pub config_digest: String,
    /// Layer digests, bottom first.
    pub layers: Vec<String>,
    /// Bytes downloaded by this pull; blobs found in the store cost nothing.
    pub downloaded: u64,
    /// Blobs (config and layers) that were already in the store.
    pub reused: usize,
    /// `os/architecture[/variant]` of the chosen manifest, when the index said.
    pub platform: Option<String>,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    platform: Option<PlatformJson>,
}

#[derive(Deserialize, Clone)]
struct PlatformJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct IndexJson {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct ManifestJson {
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// Pulls `repo:reference` (a tag or a `sha256:` digest) into `store`: the manifest (and index),
/// the config and every layer not already there, each verified against its digest. For an
/// index, the manifest for `platform` (`os/arch[/variant]`, e.g. `linux/amd64`) is chosen.
pub fn pull(
    client: &mut Client,
    store: &BlobStore,
    repo: &str,
    reference: &str,
    platform: &str,
    limits: &ImageLimits,
) -> Result<Pulled, Error> {
    if !crate::is_repository(repo) {
        return Err(Error::Invalid(format!("`{repo}` is not a repository name")));
    }
    if !(is_sha256_digest(reference) || crate::is_tag(reference)) {
        return Err(Error::Invalid(format!(
            "`{reference}` is neither a tag nor a sha256 digest"
        )));
    }
    let mut want = platform.split('/');
    let (os, arch, variant) = (
        want.next().unwrap_or("linux"),
        want.next().unwrap_or("amd64"),
        want.next(),
    );
    let top = client.get_manifest(repo, reference)?;
    store.put_bytes(&top.digest, &top.bytes)?;
    let mut visited: HashSet<String> = HashSet::from([top.digest.clone()]);
    let mut current = top.clone();
    let mut chosen_platform = None;
    let mut depth = 0;
    while media::is_index(&current.media_type) {
        depth += 1;
        if depth > limits.max_index_depth {
            return Err(Error::Invalid(format!(
                "{repo}@{}: indexes nested more than {} deep",
                top.digest, limits.max_index_depth
            )));
        }
        let index: IndexJson = serde_json::from_slice(&current.bytes).map_err(|e| {
            Error::Invalid(format!(
                "{repo}@{}: index is malformed: {e}",
                current.digest
            ))
        })?;
        let matches = |p: &PlatformJson| {
            p.os == os
                && p.architecture == arch
                && variant.is_none_or(|v| p.variant.as_deref().is_none_or(|pv| pv == v))
        };
        let pick = index
            .manifests
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(matches))
            .or_else(|| {
                // a single-entry index without platform (artifact-style) is taken as is
                (index.manifests.len() == 1 && index.manifests[0].platform.is_none())
                    .then(|| &index.manifests[0])
            })
            .ok_or_else(|| {
                let have: Vec<String> = index
                    .manifests
                    .iter()
                    .filter_map(|d| d.platform.as_ref())
                    .map(|p| format!("{}/{}", p.os, p.architecture))
                    .collect();
                Error::Invalid(format!(
                    "{repo}@{}: no manifest for platform {platform} (the index has {})",
                    current.digest,
                    if have.is_empty() {
                        "none with a platform".to_owned()
                    } else {
                        have.join(", ")
                    }
                ))
            })?;
        if !is_sha256_digest(&pick.digest) {
            return Err(Error::Invalid(format!(
                "{repo}@{}: malformed manifest digest `{}`",
                current.digest, pick.digest
            )));
        }
        if !visited.insert(pick.digest.clone()) {
            return Err(Error::Invalid(format!(
                "{repo}@{}: index refers back to {} (a manifest loop)",
                top.digest, pick.digest
            )));
        }
        if let Some(p) = &pick.platform {
            chosen_platform = Some(match &p.variant {
                Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            });
        }
        current = client.get_manifest(repo, &pick.digest)?;
        store.put_bytes(&current.digest, &current.bytes)?;
    }
    let manifest: ManifestJson = serde_json::from_slice(&current.bytes).map_err(|e| {
        Error::Invalid(format!(
            "{repo}@{}: manifest is malformed: {e}",
            current.digest
        ))
    })?;
    let config = manifest.config.ok_or_else(|| {
        Error::Invalid(format!("{repo}@{}: manifest has no config", current.digest))
    })?;
    if manifest.layers.len() > limits.max_layers {
        return Err(Error::TooLarge(format!(
            "{repo}@{}: {} layers, more than the limit of {}",
            current.digest,
            manifest.layers.len(),
            limits.max_layers
        )));
    }
    let declared: u64 = std::iter::once(&config)
        .chain(&manifest.layers)
        .map(|d| d.size.unwrap_or(0))
        .fold(0u64, u64::saturating_add);
    if declared > limits.max_image_bytes {
        return Err(Error::TooLarge(format!(
            "{repo}@{}: {declared} bytes, more than the limit of {}",
            current.digest, limits.max_image_bytes
        )));
    }
    let mut downloaded = 0u64;
    let mut reused = 0usize;
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for d in std::iter::once(&config).chain(&manifest.layers) {
        if !is_sha256_digest(&d.digest) {
            return Err(Error::Invalid(format!(
                "{repo}@{}: malformed blob digest `{}`",
                current.digest, d.digest
            )));
        }
        let remaining = limits.max_image_bytes.saturating_sub(downloaded);
        let n = store.fetch(client, repo, &d.digest, d.size, remaining)?;
        if n == 0 {
            reused += 1;
        }
        downloaded += n;
    }
    for l in &manifest.layers {
        layers.push(l.digest.clone());
    }
    Ok(Pulled {
        digest: top.digest,
        media_type: top.media_type,
        manifest_digest: current.digest,
        config_digest: config.digest,
        layers,
        downloaded,
        reused,
        platform: chosen_platform,
    })
}

//! Walk layers, run catalogers, squash, attribute, finish.

use crate::cache::LayerCache;
use crate::cataloger::{CatalogError, FileInput, OwnedFiles, PackageLicenses, Sink};
use crate::catalogers::os::release::pick_distro;
use crate::installed_tree::inside_installed_tree;
use crate::registry::Registry;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use vigil_source::{EntryMeta, Layer, Limits, OpenedSource, Progress, Visitor};
use vigil_types::{
    Distro, Inventory, LayerRef, Location, Note, NoteLevel, OwnerRef, Package, package_url,
};

/// How to scan.
#[derive(Clone)]
pub struct ScanOptions {
    pub limits: Limits,
    /// Where language packages are looked for on a host (absolute paths).
    pub deep_paths: Vec<String>,
    /// Worker threads for walking layers (0 = number of CPUs).
    pub threads: usize,
    /// Where the results of image layers are looked up before walking them, and stored after
    /// (by content: layers shared by several images are walked once). Not used for hosts.
    pub layer_cache: Option<Arc<dyn LayerCache>>,
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ScanOptions {
            limits,
            deep_paths,
            threads,
            layer_cache,
        } = self;
        f.debug_struct("ScanOptions")
            .field("limits", limits)
            .field("deep_paths", deep_paths)
            .field("threads", threads)
            .field("layer_cache", &layer_cache.as_ref().map(|_| ".."))
            .finish()
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            limits: Limits::default(),
            deep_paths: crate::DEFAULT_DEEP_PATHS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            threads: 0,
            layer_cache: None,
        }
    }
}

/// Version of the layer cache key and entry format. Bump when what a layer walk records
/// ([`LayerOutput`], [`FileResult`] and what they hold) changes shape or meaning.
const CACHE_FORMAT: u32 = 1;

/// Files wanted by several catalogers are buffered in memory up to this size, and spooled to
/// an anonymous temporary file (deleted when closed) above it, which keeps memory bounded.
const SPOOL_ABOVE: u64 = 8 << 20;

/// What one cataloger found in one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileResult {
    path: String,
    cataloger: usize,
    packages: Vec<Package>,
    distro: Option<Distro>,
    owned: Vec<OwnedFiles>,
    licenses: Vec<PackageLicenses>,
}

/// Everything one layer produced.
#[derive(Debug, Default, Serialize, Deserialize)]
struct LayerOutput {
    results: Vec<FileResult>,
    whiteouts: Vec<String>,
    opaques: Vec<String>,
    notes: Vec<Note>,
}

struct Collector<'a> {
    registry: &'a Registry,
    host: bool,
    deep_paths: &'a [String],
    layer_name: Option<String>,
    out: LayerOutput,
    by_path: HashMap<String, Vec<usize>>,
    scratch: Vec<usize>,
    /// Something failed for a reason outside the layer (a temporary file, an I/O error): the
    /// output is not what the layer alone yields and must not be cached.
    incomplete: bool,
}

impl Collector<'_> {
    /// Record a cataloger's error as a note on the file.
    fn catalog_failed(&mut self, name: &str, e: &CatalogError, sink: &mut Sink) {
        if matches!(e, CatalogError::Io(_)) {
            self.incomplete = true;
        }
        sink.notes
            .push((NoteLevel::Warning, format!("{name}: {e}")));
    }

    fn language_ok(&self, path: &str) -> bool {
        !self.host
            || self.deep_paths.iter().any(|d| {
                path.strip_prefix(d.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('/') || d.ends_with('/')
                })
            })
    }

    fn push(&mut self, path: &str, cataloger: usize, sink: Sink) {
        let Sink {
            packages,
            distro,
            owned,
            licenses,
            notes,
        } = sink;
        for (level, message) in notes {
            self.note(level, Some(path), message);
        }
        if packages.is_empty() && distro.is_none() && owned.is_empty() && licenses.is_empty() {
            return;
        }
        self.by_path
            .entry(path.to_owned())
            .or_default()
            .push(self.out.results.len());
        self.out.results.push(FileResult {
            path: path.to_owned(),
            cataloger,
            packages,
            distro,
            owned,
            licenses,
        });
    }
}

/// Whether `a` is `b` or below it, or above it (an ancestor directory).
fn related(dir: &str, root: &str) -> bool {
    fn under(a: &str, b: &str) -> bool {
        b == "/" || a == b || (a.starts_with(b) && a.as_bytes().get(b.len()) == Some(&b'/'))
    }
    under(dir, root) || under(root, dir)
}

impl Visitor for Collector<'_> {
    fn wants_dir(&self, dir: &str) -> bool {
        if !self.host {
            return true;
        }
        self.deep_paths.iter().any(|d| related(dir, d))
            || self.registry.catalogers.iter().any(|c| {
                c.tags().os
                    && match c.roots() {
                        None => true,
                        Some(roots) => roots.iter().any(|r| related(dir, r)),
                    }
            })
    }

    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        self.registry.wants_any(
            path,
            meta,
            self.language_ok(path),
            !inside_installed_tree(path),
        )
    }

    fn file(&mut self, path: &str, meta: &EntryMeta, reader: &mut dyn Read) {
        let lang = self.language_ok(path);
        let mut idx = std::mem::take(&mut self.scratch);
        self.registry
            .wanting(path, meta, lang, !inside_installed_tree(path), &mut idx);
        let registry = self.registry;
        if idx.len() == 1 {
            let c = &registry.catalogers[idx[0]];
            let mut sink = Sink::default();
            let mut input = FileInput {
                path,
                meta: *meta,
                reader,
            };
            let _span = tracing::debug_span!("catalog", cataloger = c.name(), path).entered();
            if let Err(e) = c.catalog(&mut input, &mut sink) {
                self.catalog_failed(c.name(), &e, &mut sink);
            }
            self.push(path, idx[0], sink);
        } else if idx.len() > 1 && meta.size > SPOOL_ABOVE {
            // several catalogers want a big file (an executable: Go build info and cargo
            // auditable data): spool it to an anonymous temporary file rather than memory
            let spooled = tempfile::tempfile().and_then(|mut f| {
                std::io::copy(reader, &mut f)?;
                Ok(f)
            });
            match spooled {
                Err(e) => {
                    self.incomplete = true;
                    self.note(NoteLevel::Warning, Some(path), format!("cannot read: {e}"));
                }
                Ok(mut f) => {
                    for &i in &idx {
                        let c = &registry.catalogers[i];
                        let mut sink = Sink::default();
                        if let Err(e) = std::io::Seek::rewind(&mut f) {
                            self.incomplete = true;
                            self.note(NoteLevel::Warning, Some(path), format!("cannot read: {e}"));
                            break;
                        }
                        let mut r = std::io::BufReader::with_capacity(64 << 10, &f);
                        let mut input = FileInput {
                            path,
                            meta: *meta,
                            reader: &mut r,
                        };
                        if let Err(e) = c.catalog(&mut input, &mut sink) {
                            self.catalog_failed(c.name(), &e, &mut sink);
                        }
                        self.push(path, i, sink);
                    }
                }
            }
        } else if idx.len() > 1 {
            let mut buf = Vec::new();
            if let Err(e) = reader.read_to_end(&mut buf) {
                self.incomplete = true;
                self.note(NoteLevel::Warning, Some(path), format!("cannot read: {e}"));
            } else {
                for &i in &idx {
                    let c = &registry.catalogers[i];
                    let mut sink = Sink::default();
                    let mut cursor = std::io::Cursor::new(&buf[..]);
                    let mut input = FileInput {
                        path,
                        meta: *meta,
                        reader: &mut cursor,
                    };
                    if let Err(e) = c.catalog(&mut input, &mut sink) {
                        self.catalog_failed(c.name(), &e, &mut sink);
                    }
                    self.push(path, i, sink);
                }
            }
        }
        self.scratch = idx;
    }

    fn hardlink(&mut self, path: &str, target: &str) {
        let Some(indices) = self.by_path.get(target).cloned() else {
            return;
        };
        for i in indices {
            let mut r = self.out.results[i].clone();
            r.path = path.to_owned();
            for p in &mut r.packages {
                p.locations.clear();
            }
            self.by_path
                .entry(path.to_owned())
                .or_default()
                .push(self.out.results.len());
            self.out.results.push(r);
        }
    }

    fn whiteout(&mut self, path: &str) {
        self.out.whiteouts.push(path.to_owned());
    }

    fn opaque(&mut self, dir: &str) {
        self.out.opaques.push(dir.to_owned());
    }

    fn note(&mut self, level: NoteLevel, path: Option<&str>, message: String) {
        match level {
            NoteLevel::Info => tracing::debug!(path, "{message}"),
            _ => tracing::warn!(path, layer = self.layer_name.as_deref(), "{message}"),
        }
        self.out.notes.push(Note {
            level,
            path: path.map(str::to_owned),
            layer: self.layer_name.clone(),
            message,
        });
    }
}

/// A walked layer and whether its output may be cached.
struct Walked {
    out: LayerOutput,
    /// The layer was read to its end and nothing failed for reasons outside it.
    complete: bool,
    /// The content digest of the layer, when asked for and the layer could tell.
    digest: Option<String>,
}

fn walk_layer(
    layer: &dyn Layer,
    registry: &Registry,
    host: bool,
    opts: &ScanOptions,
    progress: &Progress,
    with_digest: bool,
) -> Walked {
    let layer_name = layer.layer_ref().map(|l| l.digest.clone());
    let _span = tracing::info_span!("layer", layer = layer_name.as_deref()).entered();
    let mut c = Collector {
        registry,
        host,
        deep_paths: &opts.deep_paths,
        layer_name,
        out: LayerOutput::default(),
        by_path: HashMap::new(),
        scratch: Vec::new(),
        incomplete: false,
    };
    let walked = if with_digest {
        layer.walk_and_digest(&mut c, &opts.limits, progress)
    } else {
        layer.walk(&mut c, &opts.limits, progress).map(|()| None)
    };
    match walked {
        Ok(digest) => Walked {
            complete: !c.incomplete,
            out: c.out,
            digest,
        },
        Err(e) => {
            c.note(NoteLevel::Error, None, e.to_string());
            Walked {
                out: c.out,
                complete: false,
                digest: None,
            }
        }
    }
}

/// Cache keys of the layers of one scan: a hash over everything besides the layer's content
/// that a layer's output depends on, then the content digest.
struct LayerKeys {
    prefix: Sha256,
}

fn hash_field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

impl LayerKeys {
    /// Keys for image layers (never a host: deep-inspection paths play no part) walked by
    /// `registry` within `limits`.
    fn new(registry: &Registry, limits: &Limits) -> LayerKeys {
        let mut h = Sha256::new();
        hash_field(&mut h, b"vigil layer cache");
        hash_field(&mut h, &CACHE_FORMAT.to_le_bytes());
        hash_field(&mut h, env!("CARGO_PKG_VERSION").as_bytes());
        // result indexes refer to the registry's order
        hash_field(&mut h, &(registry.catalogers.len() as u64).to_le_bytes());
        for c in &registry.catalogers {
            let t = c.tags();
            hash_field(&mut h, c.name().as_bytes());
            hash_field(&mut h, &c.version().to_le_bytes());
            hash_field(&mut h, &[u8::from(t.os), u8::from(t.installed)]);
        }
        // destructured so that a new limit cannot be forgotten here
        let Limits {
            max_file_size,
            zip_max_entry_size,
            zip_max_total_size,
            zip_max_ratio,
            zip_max_entries,
        } = limits;
        for v in [
            *max_file_size,
            *zip_max_entry_size,
            *zip_max_total_size,
            *zip_max_ratio,
            *zip_max_entries as u64,
        ] {
            hash_field(&mut h, &v.to_le_bytes());
        }
        LayerKeys { prefix: h }
    }

    /// The key of a layer of this content digest (lowercase hex).
    fn key(&self, content: &str) -> String {
        let mut h = self.prefix.clone();
        hash_field(&mut h, content.as_bytes());
        let mut key = String::with_capacity(64);
        for b in h.finalize() {
            use std::fmt::Write;
            let _ = write!(key, "{b:02x}");
        }
        key
    }
}

/// The content digest a layer is cached by: its `diff_id` (the digest of its uncompressed
/// tar, which a walk can check), when it is a well-formed sha256 digest. Other layers (no
/// diff id, function zips, directories) are not cached.
fn content_digest(lref: &LayerRef) -> Option<&str> {
    let d = lref.diff_id.as_deref()?;
    let hex = d.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(d)
}

/// Walk a layer, or take its output from the cache.
fn cached_walk(
    layer: &dyn Layer,
    registry: &Registry,
    opts: &ScanOptions,
    progress: &Progress,
    cache: &dyn LayerCache,
    keys: &LayerKeys,
) -> LayerOutput {
    let Some(lref) = layer.layer_ref() else {
        return walk_layer(layer, registry, false, opts, progress, false).out;
    };
    let Some(content) = content_digest(lref) else {
        return walk_layer(layer, registry, false, opts, progress, false).out;
    };
    let key = keys.key(content);
    if let Some(bytes) = cache.get(&key) {
        match serde_json::from_slice::<LayerOutput>(&bytes) {
            Ok(mut out)
                if out
                    .results
                    .iter()
                    .all(|r| r.cataloger < registry.catalogers.len()) =>
            {
                tracing::debug!(layer = lref.digest, key, "layer output from the cache");
                // the same content may be stored under another blob digest (compressed
                // differently): notes name the layer being scanned
                for n in &mut out.notes {
                    n.layer = Some(lref.digest.clone());
                }
                progress.add(layer.size_hint());
                return out;
            }
            Ok(_) => {
                tracing::warn!(
                    layer = lref.digest,
                    key,
                    "cached layer output names unknown catalogers"
                );
                cache.discard(&key);
            }
            Err(e) => {
                tracing::warn!(
                    layer = lref.digest,
                    key,
                    "cached layer output does not deserialise: {e}"
                );
                cache.discard(&key);
            }
        }
    }
    let walked = walk_layer(layer, registry, false, opts, progress, true);
    if !walked.complete {
        tracing::debug!(layer = lref.digest, "layer not read completely: not cached");
    } else if walked.digest.is_none() {
        tracing::debug!(
            layer = lref.digest,
            "layer content digest unknown: not cached"
        );
    } else if walked.digest.as_deref() != Some(content) {
        tracing::warn!(
            layer = lref.digest,
            diff_id = content,
            read = walked.digest.as_deref(),
            "layer content does not match its diff id: not cached"
        );
    } else {
        match serde_json::to_vec(&walked.out) {
            Ok(bytes) => cache.put(&key, &bytes),
            Err(e) => tracing::warn!(layer = lref.digest, "cannot serialise layer output: {e}"),
        }
    }
    walked.out
}

/// Scan an opened target into an inventory.
///
/// With [`ScanOptions::layer_cache`] set, image layers (not hosts) with a sha256 `diff_id`
/// are looked up in the cache first; the inventory is the same as without the cache.
pub fn scan(
    source: OpenedSource,
    registry: &Registry,
    opts: &ScanOptions,
    progress: &Progress,
) -> Inventory {
    let OpenedSource {
        target,
        layers,
        host,
    } = source;
    let _span = tracing::info_span!("scan", target = %target.name).entered();
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(layers.len().max(1));
    let cache = opts
        .layer_cache
        .as_deref()
        .filter(|_| !host)
        .map(|c| (c, LayerKeys::new(registry, &opts.limits)));

    // walk layers in parallel; outputs keep layer order
    let outputs: Vec<Mutex<Option<LayerOutput>>> =
        layers.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    // biggest layers first keeps both cores busy to the end
    let mut order: Vec<usize> = (0..layers.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(layers[i].size_hint()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = order.get(k) else { break };
                    let layer = layers[i].as_ref();
                    let out = match &cache {
                        Some((c, keys)) => cached_walk(layer, registry, opts, progress, *c, keys),
                        None => walk_layer(layer, registry, host, opts, progress, false).out,
                    };
                    if let Ok(mut slot) = outputs[i].lock() {
                        *slot = Some(out);
                    }
                }
            });
        }
    });
    let outputs: Vec<LayerOutput> = outputs
        .into_iter()
        .map(|m| m.into_inner().ok().flatten().unwrap_or_default())
        .collect();
    let layer_refs: Vec<Option<LayerRef>> = layers.iter().map(|l| l.layer_ref().cloned()).collect();
    finish(target, outputs, &layer_refs, registry)
}

/// Identity of a package found in a file, for layer attribution.
type Ident = (String, usize, String, String, Option<String>);

fn ident(r: &FileResult, p: &Package) -> Ident {
    (
        r.path.clone(),
        r.cataloger,
        p.name.clone(),
        p.version.clone(),
        p.arch.clone(),
    )
}

fn remove_below(view: &mut BTreeMap<String, Vec<FileResult>>, dir: &str, include_self: bool) {
    let prefix = if dir == "/" {
        "/".to_owned()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = view
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        view.remove(&k);
    }
    if include_self {
        view.remove(dir);
    }
}

fn finish(
    target: vigil_types::TargetInfo,
    outputs: Vec<LayerOutput>,
    layer_refs: &[Option<LayerRef>],
    registry: &Registry,
) -> Inventory {
    let mut notes = Vec::new();
    let mut view: BTreeMap<String, Vec<FileResult>> = BTreeMap::new();
    // since[ident] = lowest layer from which the package has been present without interruption
    let mut since: HashMap<Ident, usize> = HashMap::new();
    for (li, out) in outputs.into_iter().enumerate() {
        for w in &out.whiteouts {
            remove_below(&mut view, w, true);
        }
        for o in &out.opaques {
            remove_below(&mut view, o, false);
        }
        let mut grouped: BTreeMap<String, Vec<FileResult>> = BTreeMap::new();
        for r in out.results {
            grouped.entry(r.path.clone()).or_default().push(r);
        }
        for (path, rs) in grouped {
            view.insert(path, rs);
        }
        notes.extend(out.notes);
        if layer_refs.len() > 1 {
            let mut present: HashMap<Ident, usize> = HashMap::with_capacity(since.len());
            for rs in view.values() {
                for r in rs {
                    for p in &r.packages {
                        let id = ident(r, p);
                        let first = since.get(&id).copied().unwrap_or(li);
                        present.insert(id, first);
                    }
                }
            }
            since = present;
        }
    }

    // distribution
    let distros: Vec<&Distro> = view
        .values()
        .flatten()
        .filter_map(|r| r.distro.as_ref())
        .collect();
    let distro = pick_distro(&distros);

    // OS ownership of language package files
    let mut owned: HashMap<&str, &OwnerRef> = HashMap::new();
    for r in view.values().flatten() {
        for o in &r.owned {
            for p in &o.paths {
                owned.insert(p.as_str(), &o.owner);
            }
        }
    }

    // licences stated apart from the package database (Debian copyright files)
    let mut extra_licenses: HashMap<&OwnerRef, &Vec<String>> = HashMap::new();
    for r in view.values().flatten() {
        for l in &r.licenses {
            extra_licenses.insert(&l.package, &l.licenses);
        }
    }

    let mut merged: BTreeMap<
        (
            vigil_types::Ecosystem,
            String,
            String,
            Option<String>,
            vigil_types::PackageKind,
        ),
        Package,
    > = BTreeMap::new();
    for r in view.values().flatten() {
        let os = registry.catalogers[r.cataloger].tags().os;
        for p in &r.packages {
            let layer_index = if layer_refs.len() > 1 {
                since.get(&ident(r, p)).copied()
            } else {
                Some(0)
            };
            let layer = layer_index.and_then(|i| layer_refs.get(i).cloned().flatten());
            let mut pkg = p.clone();
            if pkg.locations.is_empty() {
                pkg.locations.push(Location {
                    path: r.path.clone(),
                    layer: None,
                });
            }
            for l in &mut pkg.locations {
                if l.layer.is_none() {
                    l.layer.clone_from(&layer);
                }
            }
            if os && pkg.licenses.is_empty() {
                let key = OwnerRef {
                    ecosystem: pkg.ecosystem,
                    name: pkg.name.clone(),
                };
                if let Some(l) = extra_licenses.get(&key) {
                    pkg.licenses = (*l).clone();
                }
            }
            if !os && pkg.owner.is_none() {
                pkg.owner = pkg
                    .locations
                    .iter()
                    .find_map(|l| owned.get(l.path.as_str()).map(|o| (*o).clone()));
            }
            let key = (
                pkg.ecosystem,
                pkg.name.clone(),
                pkg.version.clone(),
                pkg.arch.clone(),
                pkg.kind,
            );
            match merged.get_mut(&key) {
                Some(existing) => {
                    for l in pkg.locations {
                        if !existing.locations.contains(&l) {
                            existing.locations.push(l);
                        }
                    }
                    if existing.owner.is_none() {
                        existing.owner = pkg.owner;
                    }
                    for lic in pkg.licenses {
                        if !existing.licenses.contains(&lic) {
                            existing.licenses.push(lic);
                        }
                    }
                }
                None => {
                    merged.insert(key, pkg);
                }
            }
        }
    }
    let mut packages: Vec<Package> = merged.into_values().collect();
    for p in &mut packages {
        p.locations.sort();
        p.purl = package_url(p, distro.as_ref());
    }
    Inventory {
        target,
        distro,
        packages,
        notes,
    }
}

//! Walk layers, run catalogers, squash, attribute, finish.

use crate::cataloger::{FileInput, OwnedFiles, PackageLicenses, Sink};
use crate::catalogers::os::release::pick_distro;
use crate::installed_tree::inside_installed_tree;
use crate::registry::Registry;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use vigil_source::{EntryMeta, Layer, Limits, OpenedSource, Progress, Visitor};
use vigil_types::{
    Distro, Inventory, LayerRef, Location, Note, NoteLevel, OwnerRef, Package, package_url,
};

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub limits: Limits,
    /// Where language packages are looked for on a host (absolute paths).
    pub deep_paths: Vec<String>,
    /// Worker threads for walking layers (0 = number of CPUs).
    pub threads: usize,
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
        }
    }
}

/// Files wanted by several catalogers are buffered in memory up to this size, and spooled to
/// an anonymous temporary file (deleted when closed) above it, which keeps memory bounded.
const SPOOL_ABOVE: u64 = 8 << 20;

/// What one cataloger found in one file.
#[derive(Debug, Clone)]
struct FileResult {
    path: String,
    cataloger: usize,
    packages: Vec<Package>,
    distro: Option<Distro>,
    owned: Vec<OwnedFiles>,
    licenses: Vec<PackageLicenses>,
}

/// Everything one layer produced.
#[derive(Debug, Default)]
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
}

impl Collector<'_> {
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
                sink.notes
                    .push((NoteLevel::Warning, format!("{}: {e}", c.name())));
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
                Err(e) => self.note(NoteLevel::Warning, Some(path), format!("cannot read: {e}")),
                Ok(mut f) => {
                    for &i in &idx {
                        let c = &registry.catalogers[i];
                        let mut sink = Sink::default();
                        if let Err(e) = std::io::Seek::rewind(&mut f) {
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
                            sink.notes
                                .push((NoteLevel::Warning, format!("{}: {e}", c.name())));
                        }
                        self.push(path, i, sink);
                    }
                }
            }
        } else if idx.len() > 1 {
            let mut buf = Vec::new();
            if let Err(e) = reader.read_to_end(&mut buf) {
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
                        sink.notes
                            .push((NoteLevel::Warning, format!("{}: {e}", c.name())));
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

fn walk_layer(
    layer: &dyn Layer,
    registry: &Registry,
    host: bool,
    opts: &ScanOptions,
    progress: &Progress,
) -> LayerOutput {
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
    };
    if let Err(e) = layer.walk(&mut c, &opts.limits, progress) {
        c.note(NoteLevel::Error, None, e.to_string());
    }
    c.out
}

/// Scan an opened target into an inventory.
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
                    let out = walk_layer(layers[i].as_ref(), registry, host, opts, progress);
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

//! The per-layer cache: a layer shared by several images is walked once, and a cached scan
//! gives exactly the inventory an uncached one gives.

use crate::imagebuilder::*;
use crate::images::{OS_RELEASE, three_layer_image};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vigil_inventory::{DiskLayerCache, LayerCache, Registry, ScanOptions, scan};
use vigil_source::{OpenOptions, Progress, TargetKind, open};
use vigil_types::{Inventory, NoteLevel};

const STATUS: &str = "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\n\nPackage: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n\n";

fn metadata(name: &str, version: &str) -> String {
    format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n\n")
}

/// A Debian base layer with a Python distribution, and an entry that is skipped with a note
/// naming the layer.
fn base_layer() -> Vec<E> {
    vec![
        file("/usr/lib/os-release", OS_RELEASE),
        file("/var/lib/dpkg/status", STATUS),
        E::File(
            "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
            metadata("requests", "2.31.0").into_bytes(),
        ),
        E::Raw("../../escape".into(), b"x".to_vec()),
    ]
}

fn app_layer() -> Vec<E> {
    vec![E::File(
        "/app/site/flask-3.0.0.dist-info/METADATA",
        metadata("flask", "3.0.0").into_bytes(),
    )]
}

/// Write an OCI layout of `img` under `root/name`.
fn layout(root: &Path, name: &str, img: &Image) -> (PathBuf, Built) {
    let built = img.build();
    let dir = root.join(name);
    write_dir(&dir, &oci_layout(&[(img, &built)], name));
    (dir, built)
}

fn scan_with(kind: TargetKind, path: &Path, cache: Option<&Arc<DiskLayerCache>>) -> Inventory {
    scan_progress(kind, path, cache, &Progress::default())
}

fn scan_progress(
    kind: TargetKind,
    path: &Path,
    cache: Option<&Arc<DiskLayerCache>>,
    progress: &Progress,
) -> Inventory {
    let src =
        open(kind, path.to_str().expect("utf8"), &OpenOptions::default()).expect("open image");
    let opts = ScanOptions {
        layer_cache: cache.map(|c| Arc::clone(c) as Arc<dyn LayerCache>),
        ..ScanOptions::default()
    };
    scan(src, &Registry::default(), &opts, progress)
}

fn json(inv: &Inventory) -> String {
    serde_json::to_string_pretty(inv).expect("serialise")
}

fn counts(c: &DiskLayerCache) -> (u64, u64, u64) {
    (c.hits(), c.misses(), c.stores())
}

/// The entries in the cache directory.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("ls cache")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

#[test]
fn warm_scan_equals_cold_scan_and_hits_every_layer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let img = three_layer_image();
    let (path, built) = layout(tmp.path(), "three", &img);
    let uncached = json(&scan_with(TargetKind::OciDir, &path, None));
    let cache_dir = tmp.path().join("cache");

    let cold_cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    let cold = json(&scan_with(TargetKind::OciDir, &path, Some(&cold_cache)));
    assert_eq!(counts(&cold_cache), (0, 3, 3));
    assert_eq!(cold, uncached);
    assert_eq!(entries(&cache_dir).len(), 3);

    // a new cache on the same directory: counters from zero, entries from disk
    let warm_cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    let progress = Progress::default();
    let warm = json(&scan_progress(
        TargetKind::OciDir,
        &path,
        Some(&warm_cache),
        &progress,
    ));
    assert_eq!(counts(&warm_cache), (3, 0, 0));
    assert_eq!(warm, uncached);
    // progress still reaches the size of every layer blob
    let blob_bytes: u64 = built
        .layer_digests
        .iter()
        .map(|d| {
            std::fs::metadata(path.join("blobs/sha256").join(&d[7..]))
                .expect("blob")
                .len()
        })
        .sum();
    assert_eq!(progress.get(), blob_bytes);
}

#[test]
fn same_layers_in_other_containers_and_compressions_are_hits() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = Arc::new(DiskLayerCache::open(tmp.path().join("cache")).expect("cache"));
    let mut img = Image::new(vec![base_layer(), app_layer()]);
    let (path, _) = layout(tmp.path(), "gzip", &img);
    let first = scan_with(TargetKind::OciDir, &path, Some(&cache));
    assert_eq!(counts(&cache), (0, 2, 2));
    // the base layer's note names its blob
    assert!(
        first
            .notes
            .iter()
            .any(|n| n.message.contains("escape") && n.layer.is_some()),
        "{:?}",
        first.notes
    );

    // the same tars compressed with zstd (other blob digests, same diff ids), and a docker
    // archive (uncompressed): every layer is a hit and the inventory names the right blobs
    img.compression = Compression::Zstd;
    let built = img.build();
    let archive = tmp.path().join("zstd.tar");
    write_tar(&archive, &oci_layout(&[(&img, &built)], "zstd"));
    let docker = tmp.path().join("docker.tar");
    write_tar(&docker, &docker_archive(&img));
    for (kind, p) in [
        (TargetKind::OciArchive, &archive),
        (TargetKind::DockerArchive, &docker),
    ] {
        let before = cache.hits();
        let cached = scan_with(kind, p, Some(&cache));
        assert_eq!(cache.hits() - before, 2, "{kind:?}");
        assert_eq!(json(&cached), json(&scan_with(kind, p, None)), "{kind:?}");
    }
    assert_eq!((cache.misses(), cache.stores()), (2, 2));
    let zstd = scan_with(TargetKind::OciArchive, &archive, None);
    let note = zstd
        .notes
        .iter()
        .find(|n| n.message.contains("escape"))
        .expect("note");
    assert_eq!(note.layer.as_deref(), Some(built.layer_digests[0].as_str()));
}

#[test]
fn shared_base_layer_is_walked_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = Arc::new(DiskLayerCache::open(tmp.path().join("cache")).expect("cache"));
    let (one, b1) = layout(tmp.path(), "one", &Image::new(vec![base_layer()]));
    let (two, b2) = layout(
        tmp.path(),
        "two",
        &Image::new(vec![base_layer(), app_layer()]),
    );
    assert_eq!(b1.diff_ids[0], b2.diff_ids[0]);

    let inv1 = scan_with(TargetKind::OciDir, &one, Some(&cache));
    assert_eq!(counts(&cache), (0, 1, 1));
    assert_eq!(
        json(&inv1),
        json(&scan_with(TargetKind::OciDir, &one, None))
    );

    let inv2 = scan_with(TargetKind::OciDir, &two, Some(&cache));
    // the base is a hit, only the app layer is walked
    assert_eq!(counts(&cache), (1, 2, 2));
    assert_eq!(
        json(&inv2),
        json(&scan_with(TargetKind::OciDir, &two, None))
    );
    let layer_of = |name: &str| {
        inv2.packages
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.locations[0].layer.as_ref())
            .map(|l| l.index)
    };
    assert_eq!(layer_of("libc6"), Some(0));
    assert_eq!(layer_of("requests"), Some(0));
    assert_eq!(layer_of("flask"), Some(1));
    assert_eq!(inv2.packages.len(), 4);
}

#[test]
fn corrupt_cache_entries_are_misses_and_removed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cache_dir = tmp.path().join("cache");
    let (path, _) = layout(tmp.path(), "one", &Image::new(vec![base_layer()]));
    let uncached = json(&scan_with(TargetKind::OciDir, &path, None));
    let cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    scan_with(TargetKind::OciDir, &path, Some(&cache));
    let listed = entries(&cache_dir);
    let [entry] = &listed[..] else {
        panic!("one entry expected: {listed:?}");
    };
    let entry = entry.clone();
    let key = entry
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".json.zst"))
        .expect("entry name")
        .to_owned();

    // not zstd at all: a miss, and the file is gone
    std::fs::write(&entry, b"\x28\xb5\x2f\xfd garbage").expect("corrupt");
    let cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    assert_eq!(cache.get(&key), None);
    assert!(!entry.exists());
    assert_eq!(counts(&cache), (0, 1, 0));

    // corrupt again, then scan: a miss, walked and stored afresh, same inventory
    std::fs::write(&entry, b"garbage").expect("corrupt");
    let cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    assert_eq!(
        json(&scan_with(TargetKind::OciDir, &path, Some(&cache))),
        uncached
    );
    assert_eq!(counts(&cache), (0, 1, 1));
    assert_ne!(std::fs::read(&entry).expect("re-stored"), b"garbage");

    // valid zstd of JSON that is not a layer output: a miss, removed, walked, stored
    std::fs::write(
        &entry,
        zstd::encode_all(&br#"{"results":42}"#[..], 3).expect("zstd"),
    )
    .expect("write");
    let cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    assert_eq!(
        json(&scan_with(TargetKind::OciDir, &path, Some(&cache))),
        uncached
    );
    assert_eq!(counts(&cache), (0, 1, 1));

    // a result naming a cataloger the registry does not have is unusable too
    let bytes = zstd::decode_all(&std::fs::read(&entry).expect("entry")[..]).expect("unzstd");
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    v["results"][0]["cataloger"] = serde_json::json!(10_000);
    std::fs::write(
        &entry,
        zstd::encode_all(&serde_json::to_vec(&v).expect("json")[..], 3).expect("zstd"),
    )
    .expect("write");
    let cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    assert_eq!(
        json(&scan_with(TargetKind::OciDir, &path, Some(&cache))),
        uncached
    );
    assert_eq!(counts(&cache), (0, 1, 1));

    // and the entry written last is good
    let cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    assert_eq!(
        json(&scan_with(TargetKind::OciDir, &path, Some(&cache))),
        uncached
    );
    assert_eq!(counts(&cache), (1, 0, 0));
}

#[test]
fn truncated_layers_are_not_stored() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cache_dir = tmp.path().join("cache");
    let cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));

    // a gzip layer cut short: the walk fails and reports it
    let img = Image::new(vec![
        base_layer(),
        vec![
            file("/app/site/a-1.dist-info/METADATA", &metadata("a", "1")),
            E::File("/app/big.bin", vec![7u8; 200_000]),
        ],
    ]);
    let mut built = img.build();
    let victim = built.layer_digests[1].clone();
    let blob = built
        .blobs
        .iter_mut()
        .find(|(p, _)| p.ends_with(&victim[7..]))
        .expect("blob");
    blob.1.truncate(blob.1.len() / 2);
    let path = tmp.path().join("gz");
    write_dir(&path, &oci_layout(&[(&img, &built)], "gz"));
    let uncached = scan_with(TargetKind::OciDir, &path, None);
    assert!(
        uncached
            .notes
            .iter()
            .any(|n| n.level == NoteLevel::Error && n.layer.as_deref() == Some(victim.as_str())),
        "{:?}",
        uncached.notes
    );
    let cached = scan_with(TargetKind::OciDir, &path, Some(&cache));
    assert_eq!(json(&cached), json(&uncached));
    // only the intact base layer was stored
    assert_eq!(counts(&cache), (0, 2, 1));
    assert_eq!(entries(&cache_dir).len(), 1);
    let again = scan_with(TargetKind::OciDir, &path, Some(&cache));
    assert_eq!(json(&again), json(&uncached));
    assert_eq!(counts(&cache), (1, 3, 1));

    // an uncompressed layer cut at an entry boundary reads without error (a tar may end
    // there), but its content is not what its diff id names: not stored either
    let first = file("/var/lib/dpkg/status", STATUS);
    let first_len = tar_bytes(std::slice::from_ref(&first)).len() - 1024; // minus end marker
    let mut plain = Image::new(vec![vec![
        first,
        E::File(
            "/usr/lib/python3/dist-packages/b-1.dist-info/METADATA",
            metadata("b", "1").into_bytes(),
        ),
    ]]);
    plain.compression = Compression::None;
    let mut built = plain.build();
    let victim = built.layer_digests[0].clone();
    let blob = built
        .blobs
        .iter_mut()
        .find(|(p, _)| p.ends_with(&victim[7..]))
        .expect("blob");
    blob.1.truncate(first_len);
    let path = tmp.path().join("plain");
    write_dir(&path, &oci_layout(&[(&plain, &built)], "plain"));
    let uncached = scan_with(TargetKind::OciDir, &path, None);
    assert!(uncached.notes.is_empty(), "{:?}", uncached.notes);
    assert_eq!(uncached.packages.len(), 2, "{:?}", uncached.packages);
    let stores = cache.stores();
    let cached = scan_with(TargetKind::OciDir, &path, Some(&cache));
    assert_eq!(json(&cached), json(&uncached));
    assert_eq!(cache.stores(), stores);
    assert_eq!(entries(&cache_dir).len(), 1);
}

/// Rewrite an image's config so that its first layer claims `diff_id`.
fn forge_first_diff_id(built: &mut Built, diff_id: &str) {
    let config_at = built
        .blobs
        .iter()
        .position(|(p, _)| p.ends_with(&built.config_digest[7..]))
        .expect("config");
    let config = String::from_utf8(built.blobs[config_at].1.clone()).expect("utf8");
    let config = config.replace(&built.diff_ids[0], diff_id);
    let config_digest = sha(config.as_bytes());
    built.blobs[config_at] = (
        format!("blobs/sha256/{}", &config_digest[7..]),
        config.into_bytes(),
    );
    let manifest_at = built
        .blobs
        .iter()
        .position(|(p, _)| p.ends_with(&built.manifest_digest[7..]))
        .expect("manifest");
    let manifest = String::from_utf8(built.blobs[manifest_at].1.clone()).expect("utf8");
    let manifest = manifest.replace(&built.config_digest, &config_digest);
    let manifest_digest = sha(manifest.as_bytes());
    built.manifest_size = manifest.len();
    built.blobs[manifest_at] = (
        format!("blobs/sha256/{}", &manifest_digest[7..]),
        manifest.into_bytes(),
    );
    built.config_digest = config_digest;
    built.manifest_digest = manifest_digest;
    built.diff_ids[0] = diff_id.to_owned();
}

#[test]
fn a_layer_claiming_another_layers_diff_id_does_not_poison_the_cache() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cache_dir = tmp.path().join("cache");
    let cache = Arc::new(DiskLayerCache::open(&cache_dir).expect("cache"));
    let genuine = Image::new(vec![base_layer()]);
    let (genuine_path, genuine_built) = layout(tmp.path(), "genuine", &genuine);

    // an image whose config says its (empty) layer is the genuine base
    let liar = Image::new(vec![vec![file("/etc/motd", "hello\n")]]);
    let mut built = liar.build();
    forge_first_diff_id(&mut built, &genuine_built.diff_ids[0]);
    let liar_path = tmp.path().join("liar");
    write_dir(&liar_path, &oci_layout(&[(&liar, &built)], "liar"));
    let inv = scan_with(TargetKind::OciDir, &liar_path, Some(&cache));
    assert!(inv.packages.is_empty());
    assert_eq!(counts(&cache), (0, 1, 0));
    assert!(entries(&cache_dir).is_empty());

    // the genuine image is walked, not served the liar's empty result
    let inv = scan_with(TargetKind::OciDir, &genuine_path, Some(&cache));
    assert_eq!(counts(&cache), (0, 2, 1));
    assert_eq!(
        json(&inv),
        json(&scan_with(TargetKind::OciDir, &genuine_path, None))
    );
    assert_eq!(inv.packages.len(), 3);
}

//! Images opened from a blob store shared by many images (`blobs/<alg>/<hex>`, no `index.json`).

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use vigil_source::{
    EntryMeta, Error, Layer, Limits, Platform, Progress, REGISTRY_KIND, Visitor,
    open_image_in_blob_store,
};
use vigil_types::NoteLevel;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

fn sha(data: &[u8]) -> String {
    let mut s = String::from("sha256:");
    for b in Sha256::digest(data) {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_size(text.len() as u64);
        b.append_data(&mut h, path.trim_start_matches('/'), text.as_bytes())
            .expect("append");
    }
    b.into_inner().expect("finish tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// A layer: its uncompressed tar and whether it is stored gzipped.
struct LayerSpec {
    tar: Vec<u8>,
    gzip: bool,
}

/// What was written for one image.
struct Written {
    manifest: String,
    manifest_len: usize,
    config: String,
    layers: Vec<String>,
    diff_ids: Vec<String>,
}

struct BlobStore {
    dir: tempfile::TempDir,
}

impl BlobStore {
    fn new() -> BlobStore {
        BlobStore {
            dir: tempfile::tempdir().expect("tmp"),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn blob_path(&self, digest: &str) -> std::path::PathBuf {
        let (alg, hex) = digest.split_once(':').expect("digest");
        self.root().join("blobs").join(alg).join(hex)
    }

    /// Store a blob; returns its digest.
    fn put(&self, data: &[u8]) -> String {
        let d = sha(data);
        let p = self.blob_path(&d);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, data).expect("write blob");
        d
    }

    fn remove(&self, digest: &str) {
        std::fs::remove_file(self.blob_path(digest)).expect("remove blob");
    }

    /// An image of these layers with an OCI (or Docker v2) manifest.
    fn image(&self, layers: &[LayerSpec], arch: &str, docker: bool) -> Written {
        let mut descs = Vec::new();
        let mut digests = Vec::new();
        let mut diff_ids = Vec::new();
        for l in layers {
            diff_ids.push(sha(&l.tar));
            let blob = if l.gzip { gzip(&l.tar) } else { l.tar.clone() };
            let d = self.put(&blob);
            let mt = match (docker, l.gzip) {
                (true, _) => "application/vnd.docker.image.rootfs.diff.tar.gzip",
                (false, true) => "application/vnd.oci.image.layer.v1.tar+gzip",
                (false, false) => "application/vnd.oci.image.layer.v1.tar",
            };
            descs.push(format!(
                r#"{{"mediaType":"{mt}","digest":"{d}","size":{}}}"#,
                blob.len()
            ));
            digests.push(d);
        }
        let config = format!(
            r#"{{"architecture":"{arch}","os":"linux","rootfs":{{"type":"layers","diff_ids":[{}]}},"config":{{"Env":["PATH=/usr/bin"]}}}}"#,
            diff_ids
                .iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        let config_digest = self.put(config.as_bytes());
        let (mt, config_mt) = if docker {
            (
                DOCKER_MANIFEST,
                "application/vnd.docker.container.image.v1+json",
            )
        } else {
            (OCI_MANIFEST, "application/vnd.oci.image.config.v1+json")
        };
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{mt}","config":{{"mediaType":"{config_mt}","digest":"{config_digest}","size":{}}},"layers":[{}]}}"#,
            config.len(),
            descs.join(",")
        );
        Written {
            manifest: self.put(manifest.as_bytes()),
            manifest_len: manifest.len(),
            config: config_digest,
            layers: digests,
            diff_ids,
        }
    }

    /// An index (or Docker manifest list) of these images; `platforms` as `os/arch[/variant]`.
    fn index(&self, images: &[(&Written, &str)], docker: bool) -> String {
        let (mt, child) = if docker {
            (DOCKER_LIST, DOCKER_MANIFEST)
        } else {
            (OCI_INDEX, OCI_MANIFEST)
        };
        let mut descs = Vec::new();
        for (w, platform) in images {
            let mut parts = platform.split('/');
            let os = parts.next().expect("os");
            let arch = parts.next().expect("arch");
            let variant = parts
                .next()
                .map(|v| format!(r#","variant":"{v}""#))
                .unwrap_or_default();
            descs.push(format!(
                r#"{{"mediaType":"{child}","digest":"{}","size":{},"platform":{{"os":"{os}","architecture":"{arch}"{variant}}}}}"#,
                w.manifest, w.manifest_len
            ));
        }
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{mt}","manifests":[{}]}}"#,
            descs.join(",")
        );
        self.put(index.as_bytes())
    }
}

/// Collects every file of a layer with its content.
#[derive(Default)]
struct Files(Vec<(String, String)>, Vec<String>);

impl Visitor for Files {
    fn wants(&self, _path: &str, _meta: &EntryMeta) -> bool {
        true
    }
    fn file(&mut self, path: &str, _meta: &EntryMeta, reader: &mut dyn Read) {
        let mut s = String::new();
        reader.read_to_string(&mut s).expect("utf8 content");
        self.0.push((path.to_owned(), s));
    }
    fn note(&mut self, _level: NoteLevel, _path: Option<&str>, message: String) {
        self.1.push(message);
    }
}

fn files_of(layer: &dyn Layer) -> Vec<(String, String)> {
    let mut v = Files::default();
    layer
        .walk(&mut v, &Limits::default(), &Progress::default())
        .expect("walk");
    assert!(v.1.is_empty(), "{:?}", v.1);
    v.0
}

fn pairs(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect()
}

const BASE: &[(&str, &str)] = &[
    ("/etc/os-release", "ID=debian\n"),
    ("/var/lib/dpkg/status", "Package: base-files\n"),
];
const APP: &[(&str, &str)] = &[("/app/requirements.txt", "flask==3.0.0\n")];

#[test]
fn image_manifest_opens_with_layers_diff_ids_and_tags() {
    let store = BlobStore::new();
    let w = store.image(
        &[
            LayerSpec {
                tar: tar_of(BASE),
                gzip: true,
            },
            LayerSpec {
                tar: tar_of(APP),
                gzip: false,
            },
        ],
        "amd64",
        false,
    );
    let tags = vec!["registry.example/app:1.0".to_owned()];
    let src = open_image_in_blob_store(
        store.root(),
        &w.manifest,
        "registry.example/app:1.0",
        tags.clone(),
        &Platform::default(),
    )
    .expect("open");
    assert_eq!(src.target.kind, REGISTRY_KIND);
    assert_eq!(src.target.kind, "registry");
    assert_eq!(src.target.name, "registry.example/app:1.0");
    assert!(!src.host);
    let info = src.target.image.as_ref().expect("image info");
    assert_eq!(info.manifest_digest.as_deref(), Some(w.manifest.as_str()));
    assert_eq!(info.config_digest, w.config);
    assert_eq!(info.tags, tags);
    assert_eq!(
        (info.os.as_str(), info.architecture.as_str()),
        ("linux", "amd64")
    );
    assert_eq!(info.env, vec!["PATH=/usr/bin".to_owned()]);
    assert_eq!(info.layers.len(), 2);
    assert_eq!(src.layers.len(), 2);
    for (i, (layer, lref)) in src.layers.iter().zip(&info.layers).enumerate() {
        assert_eq!(lref.index, i);
        assert_eq!(lref.digest, w.layers[i]);
        assert_eq!(lref.diff_id.as_deref(), Some(w.diff_ids[i].as_str()));
        assert_eq!(layer.layer_ref(), Some(lref));
    }
    assert_eq!(files_of(src.layers[0].as_ref()), pairs(BASE));
    assert_eq!(files_of(src.layers[1].as_ref()), pairs(APP));
    // the content digest a walk computes is the config's diff id, gzipped or not
    for (i, layer) in src.layers.iter().enumerate() {
        let mut v = Files::default();
        let d = layer
            .walk_and_digest(&mut v, &Limits::default(), &Progress::default())
            .expect("walk");
        assert_eq!(d.as_deref(), Some(w.diff_ids[i].as_str()));
        assert_eq!(v.0, files_of(layer.as_ref()));
    }
}

#[test]
fn docker_v2_manifest_opens() {
    let store = BlobStore::new();
    let w = store.image(
        &[LayerSpec {
            tar: tar_of(BASE),
            gzip: true,
        }],
        "amd64",
        true,
    );
    let src = open_image_in_blob_store(
        store.root(),
        &w.manifest,
        "docker.io/library/debian:12",
        Vec::new(),
        &Platform::default(),
    )
    .expect("open");
    let info = src.target.image.as_ref().expect("image info");
    assert_eq!(info.manifest_digest.as_deref(), Some(w.manifest.as_str()));
    assert!(info.tags.is_empty());
    assert_eq!(
        info.layers[0].diff_id.as_deref(),
        Some(w.diff_ids[0].as_str())
    );
    assert_eq!(files_of(src.layers[0].as_ref()), pairs(BASE));
}

#[test]
fn index_and_manifest_list_select_the_platform_manifest() {
    let store = BlobStore::new();
    let base = LayerSpec {
        tar: tar_of(BASE),
        gzip: true,
    };
    let amd64 = store.image(
        &[
            LayerSpec {
                tar: base.tar.clone(),
                gzip: true,
            },
            LayerSpec {
                tar: tar_of(APP),
                gzip: true,
            },
        ],
        "amd64",
        false,
    );
    let arm64 = store.image(&[base], "arm64", false);
    // the two images share their base layer blob
    assert_eq!(amd64.layers[0], arm64.layers[0]);
    for docker in [false, true] {
        let index = store.index(
            &[(&amd64, "linux/amd64"), (&arm64, "linux/arm64/v8")],
            docker,
        );
        let tags = vec!["app:multi".to_owned()];
        let platform: Platform = "linux/arm64/v8".parse().expect("platform");
        let src =
            open_image_in_blob_store(store.root(), &index, "app:multi", tags.clone(), &platform)
                .expect("open index");
        let info = src.target.image.as_ref().expect("image info");
        // the digest asked for, not the selected manifest's
        assert_eq!(info.manifest_digest.as_deref(), Some(index.as_str()));
        assert_eq!(info.config_digest, arm64.config);
        assert_eq!(info.architecture, "arm64");
        assert_eq!(info.tags, tags);
        assert_eq!(src.layers.len(), 1);
        assert_eq!(
            info.layers[0].diff_id.as_deref(),
            Some(arm64.diff_ids[0].as_str())
        );

        let src = open_image_in_blob_store(
            store.root(),
            &index,
            "app:multi",
            Vec::new(),
            &Platform::default(),
        )
        .expect("open index");
        let info = src.target.image.as_ref().expect("image info");
        assert_eq!(info.config_digest, amd64.config);
        assert_eq!(src.layers.len(), 2);
        assert_eq!(files_of(src.layers[1].as_ref()), pairs(APP));

        let s390x: Platform = "linux/s390x".parse().expect("platform");
        match open_image_in_blob_store(store.root(), &index, "app:multi", Vec::new(), &s390x) {
            Err(Error::Platform {
                wanted, available, ..
            }) => {
                assert_eq!(wanted, "linux/s390x");
                assert_eq!(available, "linux/amd64, linux/arm64/v8");
            }
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("no image for s390x expected"),
        }
    }
}

#[test]
fn missing_blobs_are_errors_naming_the_digest() {
    let store = BlobStore::new();
    let w = store.image(
        &[
            LayerSpec {
                tar: tar_of(BASE),
                gzip: true,
            },
            LayerSpec {
                tar: tar_of(APP),
                gzip: true,
            },
        ],
        "amd64",
        false,
    );
    let open = |digest: &str| {
        open_image_in_blob_store(
            store.root(),
            digest,
            "app",
            Vec::new(),
            &Platform::default(),
        )
    };
    let expect_missing =
        |r: Result<vigil_source::OpenedSource, Error>, what: &str, digest: &str| match r {
            Err(e @ Error::MissingBlob { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(digest), "{msg}");
                let Error::MissingBlob {
                    what: w, digest: d, ..
                } = e
                else {
                    unreachable!()
                };
                assert_eq!((w.as_str(), d.as_str()), (what, digest));
            }
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("`{digest}` is missing: open must fail"),
        };
    // a manifest never pulled
    let absent = sha(b"not stored");
    expect_missing(open(&absent), "manifest", &absent);
    // missing layer, config and manifest blobs, asked for directly and through an index
    let index = store.index(&[(&w, "linux/amd64")], false);
    store.remove(&w.layers[1]);
    expect_missing(open(&w.manifest), "layer", &w.layers[1]);
    expect_missing(open(&index), "layer", &w.layers[1]);
    store.remove(&w.config);
    expect_missing(open(&w.manifest), "image config", &w.config);
    store.remove(&w.manifest);
    expect_missing(open(&index), "manifest", &w.manifest);
    // a digest that is no digest is refused before touching the file system
    match open("sha256:../../etc/passwd") {
        Err(e) => assert!(e.to_string().contains("malformed digest"), "{e}"),
        Ok(_) => panic!("malformed digest accepted"),
    }
}

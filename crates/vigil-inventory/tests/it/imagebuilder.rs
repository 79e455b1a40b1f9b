//! Builds real container images (OCI layout, OCI archive, docker archive) from entry lists.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

#[derive(Clone)]
pub enum E {
    File(&'static str, Vec<u8>),
    Dir(&'static str),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
    /// A raw tar path written as-is (for hostile names).
    Raw(String, Vec<u8>),
}

pub fn file(path: &'static str, text: &str) -> E {
    E::File(path, text.as_bytes().to_vec())
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

pub fn tar_bytes(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(0);
        match e {
            E::File(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p.trim_start_matches('/'), &data[..])
                    .expect("append");
            }
            E::Raw(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                // bypass the builder's path checks: write the name bytes directly
                let name = p.as_bytes();
                h.as_old_mut().name[..name.len()].copy_from_slice(name);
                h.set_cksum();
                b.append(&h, &data[..]).expect("append raw");
            }
            E::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, p.trim_start_matches('/'), &[][..])
                    .expect("dir");
            }
            E::Symlink(p, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, p.trim_start_matches('/'), t)
                    .expect("symlink");
            }
            E::Hardlink(p, t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_size(0);
                b.append_link(&mut h, p.trim_start_matches('/'), t.trim_start_matches('/'))
                    .expect("hardlink");
            }
        }
    }
    b.into_inner().expect("finish tar")
}

fn compress(data: &[u8], c: Compression) -> Vec<u8> {
    match c {
        Compression::None => data.to_vec(),
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).expect("gz");
            e.finish().expect("gz")
        }
        Compression::Zstd => zstd::encode_all(data, 3).expect("zstd"),
    }
}

pub fn sha(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    let mut s = String::from("sha256:");
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub struct Image {
    pub layers: Vec<Vec<E>>,
    pub compression: Compression,
    pub os: &'static str,
    pub arch: &'static str,
}

pub struct Built {
    /// (path in layout, bytes)
    pub blobs: Vec<(String, Vec<u8>)>,
    pub manifest_digest: String,
    pub manifest_size: usize,
    pub config_digest: String,
    pub layer_digests: Vec<String>,
    pub diff_ids: Vec<String>,
}

impl Image {
    pub fn new(layers: Vec<Vec<E>>) -> Image {
        Image {
            layers,
            compression: Compression::Gzip,
            os: "linux",
            arch: "amd64",
        }
    }

    pub fn build(&self) -> Built {
        let mut blobs = Vec::new();
        let mut layer_descs = Vec::new();
        let mut diff_ids = Vec::new();
        let mut layer_digests = Vec::new();
        for l in &self.layers {
            let raw = tar_bytes(l);
            diff_ids.push(sha(&raw));
            let c = compress(&raw, self.compression);
            let d = sha(&c);
            let mt = match self.compression {
                Compression::None => "application/vnd.oci.image.layer.v1.tar",
                Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
                Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            };
            layer_descs.push(format!(
                r#"{{"mediaType":"{mt}","digest":"{d}","size":{}}}"#,
                c.len()
            ));
            layer_digests.push(d.clone());
            blobs.push((format!("blobs/sha256/{}", &d[7..]), c));
        }
        let history: Vec<String> = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, _)| {
                format!(
                    r#"{{"created":"2024-01-0{}T00:00:00Z","created_by":"RUN step {i}"}}"#,
                    i + 1
                )
            })
            .collect();
        let config = format!(
            r#"{{"architecture":"{}","os":"{}","created":"2024-01-02T03:04:05Z","config":{{"Env":["PATH=/usr/bin"],"Labels":{{"org.example":"demo"}}}},"rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{}]}}"#,
            self.arch,
            self.os,
            diff_ids
                .iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(","),
            history.join(",")
        );
        let config_digest = sha(config.as_bytes());
        blobs.push((
            format!("blobs/sha256/{}", &config_digest[7..]),
            config.into_bytes(),
        ));
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":1}},"layers":[{}]}}"#,
            layer_descs.join(",")
        );
        let manifest_digest = sha(manifest.as_bytes());
        let manifest_size = manifest.len();
        blobs.push((
            format!("blobs/sha256/{}", &manifest_digest[7..]),
            manifest.into_bytes(),
        ));
        Built {
            blobs,
            manifest_digest,
            manifest_size,
            config_digest,
            layer_digests,
            diff_ids,
        }
    }
}

/// An OCI layout whose index lists each built image with its platform.
pub fn oci_layout(images: &[(&Image, &Built)], tag: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = vec![(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    let mut descs = Vec::new();
    for (img, b) in images {
        files.extend(b.blobs.iter().cloned());
        descs.push(format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"platform":{{"os":"{}","architecture":"{}"}},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}"#,
            b.manifest_digest, b.manifest_size, img.os, img.arch
        ));
    }
    files.push((
        "index.json".into(),
        format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, descs.join(",")).into_bytes(),
    ));
    files
}

/// A legacy `docker save` archive (uncompressed `<n>/layer.tar`, `<config>.json`, manifest.json).
pub fn docker_archive(img: &Image) -> Vec<(String, Vec<u8>)> {
    let mut plain = Image::new(img.layers.clone());
    plain.compression = Compression::None;
    let b = plain.build();
    let mut files = Vec::new();
    let mut layer_paths = Vec::new();
    for (i, d) in b.layer_digests.iter().enumerate() {
        let blob = b
            .blobs
            .iter()
            .find(|(p, _)| p.ends_with(&d[7..]))
            .expect("layer blob")
            .1
            .clone();
        let p = format!("layer{i}/layer.tar");
        layer_paths.push(format!("\"{p}\""));
        files.push((p, blob));
    }
    let config = b
        .blobs
        .iter()
        .find(|(p, _)| p.ends_with(&b.config_digest[7..]))
        .expect("config")
        .1
        .clone();
    let cfg_name = format!("{}.json", &b.config_digest[7..]);
    files.push((cfg_name.clone(), config));
    files.push((
        "manifest.json".into(),
        format!(
            r#"[{{"Config":"{cfg_name}","RepoTags":["demo:latest"],"Layers":[{}]}}]"#,
            layer_paths.join(",")
        )
        .into_bytes(),
    ));
    files
}

pub fn write_dir(root: &Path, files: &[(String, Vec<u8>)]) {
    for (p, data) in files {
        let full = root.join(p);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, data).expect("write");
    }
}

pub fn write_tar(path: &Path, files: &[(String, Vec<u8>)]) {
    let entries: Vec<E> = files
        .iter()
        .map(|(p, d)| E::Raw(p.clone(), d.clone()))
        .collect();
    std::fs::write(path, tar_bytes(&entries)).expect("write tar");
}

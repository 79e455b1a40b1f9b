//! Walker and cataloger throughput over an in-memory image layer.
//!
//! `cargo bench -p vigil-inventory --bench walk`. The layer is a gzip tar of 20,000 small
//! files with a dpkg status of 500 packages and 200 Python distributions among them, so the
//! figures cover decompression, tar parsing, the `wants` filter of every cataloger and parsing.

use std::io::Write;
use vigil_inventory::{Registry, ScanOptions, scan};
use vigil_source::{OpenOptions, Progress, TargetKind, open};

fn main() {
    divan::main();
}

fn layer() -> (tempfile::TempDir, String) {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, data).expect("append");
    };
    let mut status = String::new();
    for i in 0..500 {
        status.push_str(&format!(
            "Package: pkg{i}\nStatus: install ok installed\nArchitecture: amd64\nSource: src{i} (1.{i}-1)\nVersion: 1.{i}-1+b1\nDescription: package {i}\n some long description line\n\n"
        ));
    }
    add("var/lib/dpkg/status", status.as_bytes());
    for i in 0..200 {
        let m = format!("Metadata-Version: 2.1\nName: py{i}\nVersion: {i}.0\nLicense: MIT\n\n");
        add(
            &format!("usr/lib/python3/dist-packages/py{i}-{i}.0.dist-info/METADATA"),
            m.as_bytes(),
        );
    }
    for i in 0..20_000 {
        add(&format!("usr/share/d{}/f{i}.txt", i % 100), &[b'x'; 200]);
    }
    let raw = b.into_inner().expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).expect("gz");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("layer.tar.gz");
    std::fs::write(&path, gz.finish().expect("gz")).expect("write");
    let p = path.to_str().expect("utf8").to_owned();
    (dir, p)
}

#[divan::bench(sample_count = 20)]
fn scan_layer(bencher: divan::Bencher) {
    let (_dir, path) = layer();
    let registry = Registry::default();
    bencher.bench_local(|| {
        let src = open(TargetKind::Tar, &path, &OpenOptions::default()).expect("open");
        let inv = scan(
            src,
            &registry,
            &ScanOptions::default(),
            &Progress::default(),
        );
        assert_eq!(inv.packages.len(), 700);
        inv
    });
}

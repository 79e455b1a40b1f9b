//! Hostile and broken input: a precise note naming the file or layer, no panic, the rest goes on.

use crate::imagebuilder::*;
use crate::images::{OS_RELEASE, inventory_of};
use std::io::Write;
use vigil_source::{OpenOptions, TargetKind, open};
use vigil_types::NoteLevel;

fn status(name: &str) -> String {
    format!("Package: {name}\nStatus: install ok installed\nVersion: 1.0\n\n")
}

#[test]
fn corrupt_layer_is_reported_and_other_layers_still_count() {
    let img = Image::new(vec![
        vec![file("/var/lib/dpkg/status", &status("good"))],
        vec![file(
            "/usr/lib/python3/dist-packages/z-1.dist-info/METADATA",
            "Name: z\nVersion: 1\n",
        )],
    ]);
    let mut built = img.build();
    // corrupt the second layer's gzip stream in the middle
    let victim = built.layer_digests[1].clone();
    let blob = built
        .blobs
        .iter_mut()
        .find(|(p, _)| p.ends_with(&victim[7..]))
        .expect("blob");
    let mid = blob.1.len() / 2;
    for b in &mut blob.1[mid..] {
        *b ^= 0x5a;
    }
    let dir = tempfile::tempdir().expect("tmp");
    write_dir(dir.path(), &oci_layout(&[(&img, &built)], "x"));
    let inv = inventory_of(
        TargetKind::OciDir,
        dir.path().to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    assert!(inv.packages.iter().any(|p| p.name == "good"));
    let err = inv
        .notes
        .iter()
        .find(|n| n.level == NoteLevel::Error)
        .expect("an error note");
    assert_eq!(err.layer.as_deref(), Some(victim.as_str()));
    assert!(err.message.contains(&victim), "{}", err.message);
}

#[test]
fn truncated_tar_keeps_entries_before_the_damage() {
    let mut entries = vec![file("/var/lib/dpkg/status", &status("early"))];
    entries.push(E::File("/big.bin", vec![7u8; 100_000]));
    let mut data = tar_bytes(&entries);
    data.truncate(data.len() - 60_000);
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.tar");
    std::fs::write(&path, data).expect("write");
    let inv = inventory_of(
        TargetKind::Tar,
        path.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    assert_eq!(inv.packages.len(), 1);
    // the truncation is inside an unwanted file: reading past it must still be reported
    let n = inv
        .notes
        .iter()
        .find(|n| n.level == NoteLevel::Error)
        .expect("truncation reported");
    assert!(n.message.contains("t.tar"), "{}", n.message);
}

#[test]
fn path_traversal_entries_are_skipped_and_named() {
    let entries = vec![
        E::Raw("../../etc/passwd".into(), b"root:x:0:0".to_vec()),
        E::Raw(
            "var/lib/dpkg/../../../../var/lib/dpkg/status".into(),
            status("evil").into_bytes(),
        ),
        file("/etc/os-release", OS_RELEASE),
        file("/var/lib/dpkg/status", &status("fine")),
    ];
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.tar");
    std::fs::write(&path, tar_bytes(&entries)).expect("write");
    let inv = inventory_of(
        TargetKind::Tar,
        path.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["fine"]);
    let escapes: Vec<_> = inv
        .notes
        .iter()
        .filter(|n| n.message.contains("escapes the root"))
        .collect();
    assert_eq!(escapes.len(), 2, "{:?}", inv.notes);
    assert!(escapes[0].message.contains("../../etc/passwd"));
}

#[test]
fn zip_bomb_entries_are_skipped() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("fn.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    // 64 MiB of zeros compresses ~1000x: over the ratio limit
    z.start_file("bomb-1.0.dist-info/METADATA", opts)
        .expect("start");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        z.write_all(&zeros).expect("write");
    }
    z.start_file("ok-1.0.dist-info/METADATA", opts)
        .expect("start");
    z.write_all(b"Name: ok\nVersion: 1.0\n").expect("write");
    z.finish().expect("finish");
    let inv = inventory_of(
        TargetKind::Zip,
        path.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    assert_eq!(
        inv.packages
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["ok"]
    );
    let n = inv
        .notes
        .iter()
        .find(|n| n.message.contains("zip bomb"))
        .expect("bomb noted");
    assert_eq!(n.path.as_deref(), Some("/bomb-1.0.dist-info/METADATA"));
}

#[test]
fn malformed_package_databases_are_notes_not_failures() {
    let entries = vec![
        E::File("/var/lib/dpkg/status", b"\xff\xfe garbage without fields\n\nPackage: ok\nStatus: install ok installed\nVersion: 2\n\nPackage: noversion\nStatus: install ok installed\n".to_vec()),
        file("/usr/lib/python3/dist-packages/broken-1.dist-info/METADATA", "this is not metadata"),
        file("/lib/apk/db/installed", "P:musl\nV:1.2.4-r2\n\nA:x86_64\n"),
    ];
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.tar");
    std::fs::write(&path, tar_bytes(&entries)).expect("write");
    let inv = inventory_of(
        TargetKind::Tar,
        path.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    let mut names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["musl", "ok"]);
    let paths: Vec<Option<&str>> = inv.notes.iter().map(|n| n.path.as_deref()).collect();
    assert!(
        paths.contains(&Some("/var/lib/dpkg/status")),
        "{:?}",
        inv.notes
    );
    assert!(paths.contains(&Some(
        "/usr/lib/python3/dist-packages/broken-1.dist-info/METADATA"
    )));
    assert!(paths.contains(&Some("/lib/apk/db/installed")));
}

#[test]
fn oversized_wanted_files_are_cut_and_noted() {
    let mut big = status("first").into_bytes();
    big.extend(std::iter::repeat_n(b'#', 2 << 20));
    let entries = vec![E::File("/var/lib/dpkg/status", big)];
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.tar");
    std::fs::write(&path, tar_bytes(&entries)).expect("write");
    let src = open(
        TargetKind::Tar,
        path.to_str().expect("utf8"),
        &OpenOptions::default(),
    )
    .expect("open");
    let mut opts = vigil_inventory::ScanOptions::default();
    opts.limits.max_file_size = 1 << 20;
    let inv = vigil_inventory::scan(
        src,
        &vigil_inventory::Registry::default(),
        &opts,
        &Default::default(),
    );
    assert_eq!(inv.packages.len(), 1);
    assert!(
        inv.notes
            .iter()
            .any(|n| n.message.contains("over the 1048576 byte limit"))
    );
}

#[test]
fn broken_images_give_precise_errors() {
    let img = Image::new(vec![vec![file("/etc/os-release", OS_RELEASE)]]);
    let built = img.build();
    let dir = tempfile::tempdir().expect("tmp");
    let mut files = oci_layout(&[(&img, &built)], "x");
    // drop the layer blob
    files.retain(|(p, _)| !p.ends_with(&built.layer_digests[0][7..]));
    write_dir(dir.path(), &files);
    let p = dir.path().to_str().expect("utf8");
    let e = open(TargetKind::OciDir, p, &OpenOptions::default())
        .err()
        .expect("missing blob");
    assert!(e.to_string().contains(&built.layer_digests[0][7..]), "{e}");
    std::fs::write(dir.path().join("index.json"), b"{ not json").expect("write");
    let e = open(TargetKind::OciDir, p, &OpenOptions::default())
        .err()
        .expect("bad index");
    assert!(e.to_string().contains("index.json"), "{e}");
    std::fs::write(
        dir.path().join("index.json"),
        br#"{"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../etc/passwd","size":1}]}"#,
    )
    .expect("write");
    let e = open(TargetKind::OciDir, p, &OpenOptions::default())
        .err()
        .expect("bad digest");
    assert!(e.to_string().contains("malformed digest"), "{e}");
}

#[test]
fn hard_link_cycles_and_self_links_end() {
    let entries = vec![
        E::Hardlink("/a", "/b"),
        E::Hardlink("/b", "/a"),
        E::Hardlink("/var/lib/dpkg/status", "/var/lib/dpkg/status"),
        file("/usr/lib/os-release", OS_RELEASE),
        E::Hardlink("/etc/os-release", "/usr/lib/os-release"),
    ];
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.tar");
    std::fs::write(&path, tar_bytes(&entries)).expect("write");
    let inv = inventory_of(
        TargetKind::Tar,
        path.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    assert!(inv.packages.is_empty());
    // the link to a wanted file carries its result: /etc/os-release now describes the distro
    assert_eq!(
        inv.distro.as_ref().map(|d| d.path.as_str()),
        Some("/usr/lib/os-release")
    );
    assert!(
        inv.notes
            .iter()
            .any(|n| n.message.contains("hard link to itself")),
        "{:?}",
        inv.notes
    );
}

#[test]
fn corrupt_zstd_layer_is_reported() {
    let entries = vec![
        file("/var/lib/dpkg/status", &status("first")),
        E::File(
            "/filler.bin",
            (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        file(
            "/usr/lib/python3/dist-packages/late-1.dist-info/METADATA",
            "Name: late\nVersion: 1\n",
        ),
    ];
    // with the frame checksum, as the zstd CLI and containerd write layers
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).expect("zstd");
    enc.include_checksum(true).expect("checksum flag");
    std::io::Write::write_all(&mut enc, &tar_bytes(&entries)).expect("compress");
    let mut data = enc.finish().expect("zstd");
    let n = data.len();
    for b in &mut data[n / 2..n / 2 + 64] {
        *b = !*b;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.tar.zst");
    std::fs::write(&path, data).expect("write");
    let inv = inventory_of(
        TargetKind::Tar,
        path.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    // zstd decodes whole blocks, so entries sharing a block with the damage may be lost too;
    // what must hold: the damage is reported against the file, and nothing after it is invented
    assert!(!inv.packages.iter().any(|p| p.name == "late"));
    let e = inv
        .notes
        .iter()
        .find(|n| n.level == NoteLevel::Error)
        .expect("error note");
    assert!(e.message.contains("t.tar.zst"), "{}", e.message);
}

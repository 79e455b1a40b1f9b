//! The dpkg catalogers on a real Debian 12 database, checked against `dpkg-query`.

use crate::images::inventory_of;
use std::path::Path;
use vigil_source::{OpenOptions, TargetKind};

#[test]
fn real_bookworm_status_matches_dpkg_query() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dpkg/bookworm");
    let root = tempfile::tempdir().expect("tmp");
    let dpkg = root.path().join("var/lib/dpkg");
    std::fs::create_dir_all(dpkg.join("info")).expect("mkdir");
    std::fs::copy(fixture.join("status"), dpkg.join("status")).expect("copy");
    for l in ["python3-six.list", "python3-yaml.list"] {
        std::fs::copy(fixture.join("info").join(l), dpkg.join("info").join(l)).expect("copy");
    }
    // the Python modules those lists own
    let six = root
        .path()
        .join("usr/lib/python3/dist-packages/six-1.16.0.egg-info");
    std::fs::create_dir_all(&six).expect("mkdir");
    std::fs::write(
        six.join("PKG-INFO"),
        "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
    )
    .expect("write");

    let inv = inventory_of(
        TargetKind::Dir,
        root.path().to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    let mut got: Vec<String> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == vigil_types::Ecosystem::Deb)
        .map(|p| {
            let src = p.source.as_ref().expect("source");
            format!(
                "{} {} {} {} {}",
                p.name,
                p.version,
                p.arch.as_deref().unwrap_or(""),
                src.name,
                src.version
            )
        })
        .collect();
    got.sort();
    let want: Vec<String> = std::fs::read_to_string(fixture.join("expected.txt"))
        .expect("expected")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(got, want);
    let six = inv.packages.iter().find(|p| p.name == "six").expect("six");
    assert_eq!(
        six.owner.as_ref().map(|o| o.name.as_str()),
        Some("python3-six")
    );
}

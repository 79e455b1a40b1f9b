use crate::imagebuilder::*;
use vigil_inventory::{Registry, ScanOptions, scan};
use vigil_source::{OpenOptions, Progress, TargetKind, open, parse_target};
use vigil_types::{Ecosystem, Inventory};

pub const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";

fn dpkg(pkgs: &[(&str, &str)]) -> String {
    pkgs.iter()
        .map(|(n, v)| {
            format!("Package: {n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {v}\nDescription: test\n\n")
        })
        .collect()
}

fn metadata(name: &str, version: &str) -> String {
    format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n\n")
}

pub fn inventory_of(kind: TargetKind, path: &str, opts: &OpenOptions) -> Inventory {
    let src = open(kind, path, opts).expect("open target");
    scan(
        src,
        &Registry::default(),
        &ScanOptions::default(),
        &Progress::default(),
    )
}

/// name -> (version, layer index)
fn table(inv: &Inventory) -> Vec<(String, String, Option<usize>)> {
    inv.packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.locations
                    .first()
                    .and_then(|l| l.layer.as_ref())
                    .map(|l| l.index),
            )
        })
        .collect()
}

pub fn three_layer_image() -> Image {
    let l0 = vec![
        E::Dir("/etc"),
        file("/usr/lib/os-release", OS_RELEASE),
        E::Symlink("/etc/os-release", "../usr/lib/os-release"),
        E::File(
            "/var/lib/dpkg/status",
            dpkg(&[("base-files", "12.4"), ("libc6", "2.36-9")]).into_bytes(),
        ),
        file(
            "/usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA",
            &metadata("foo", "1.0"),
        ),
        file(
            "/opt/app/site/x-1.0.dist-info/METADATA",
            &metadata("x", "1.0"),
        ),
        file(
            "/opt/app/site/keep-1.0.dist-info/METADATA",
            &metadata("keep", "1.0"),
        ),
    ];
    let l1 = vec![
        E::File(
            "/var/lib/dpkg/status",
            dpkg(&[
                ("base-files", "12.4"),
                ("libc6", "2.36-9"),
                ("curl", "7.88.1-10"),
            ])
            .into_bytes(),
        ),
        E::File(
            "/usr/lib/python3/dist-packages/.wh.foo-1.0.dist-info",
            Vec::new(),
        ),
        file(
            "/usr/lib/python3/dist-packages/bar-2.0.dist-info/METADATA",
            &metadata("bar", "2.0"),
        ),
        // hard link to a wanted file in the same layer
        E::Hardlink(
            "/srv/bar-2.0.dist-info/METADATA",
            "/usr/lib/python3/dist-packages/bar-2.0.dist-info/METADATA",
        ),
    ];
    let l2 = vec![
        E::File("/opt/app/site/.wh..wh..opq", Vec::new()),
        file(
            "/opt/app/site/y-3.0.dist-info/METADATA",
            &metadata("y", "3.0"),
        ),
        // upgrade libc6: its layer becomes this one
        E::File(
            "/var/lib/dpkg/status",
            dpkg(&[
                ("base-files", "12.4"),
                ("libc6", "2.36-9+deb12u4"),
                ("curl", "7.88.1-10"),
            ])
            .into_bytes(),
        ),
    ];
    Image::new(vec![l0, l1, l2])
}

fn expected() -> Vec<(String, String, Option<usize>)> {
    let mut v = vec![
        ("bar".to_owned(), "2.0".to_owned(), Some(1)),
        ("base-files".into(), "12.4".into(), Some(0)),
        ("curl".into(), "7.88.1-10".into(), Some(1)),
        ("libc6".into(), "2.36-9+deb12u4".into(), Some(2)),
        ("y".into(), "3.0".into(), Some(2)),
    ];
    v.sort();
    v
}

fn sorted(mut v: Vec<(String, String, Option<usize>)>) -> Vec<(String, String, Option<usize>)> {
    v.sort();
    v
}

#[test]
fn oci_layout_squashes_whiteouts_opaque_dirs_and_attributes_layers() {
    let img = three_layer_image();
    let built = img.build();
    let dir = tempfile::tempdir().expect("tmp");
    write_dir(dir.path(), &oci_layout(&[(&img, &built)], "demo:1"));
    let p = dir.path().to_str().expect("utf8");
    assert_eq!(parse_target(p).expect("detect").0, TargetKind::OciDir);
    let inv = inventory_of(TargetKind::OciDir, p, &OpenOptions::default());
    assert_eq!(sorted(table(&inv)), expected(), "notes: {:?}", inv.notes);
    // the whited-out and the opaque-hidden packages are gone; `keep` was below the opaque dir
    assert!(
        !inv.packages
            .iter()
            .any(|p| p.name == "foo" || p.name == "x" || p.name == "keep")
    );
    // the hard link added a second location to `bar`
    let bar = inv.packages.iter().find(|p| p.name == "bar").expect("bar");
    assert_eq!(bar.locations.len(), 2);
    // distro through /usr/lib/os-release (the /etc one is a symlink)
    let d = inv.distro.as_ref().expect("distro");
    assert_eq!(
        (d.id.as_str(), d.version_id.as_deref()),
        ("debian", Some("12"))
    );
    let curl = inv
        .packages
        .iter()
        .find(|p| p.name == "curl")
        .expect("curl");
    assert_eq!(
        curl.purl,
        "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12"
    );
    let layer = curl.locations[0].layer.as_ref().expect("layer");
    assert_eq!(layer.digest, built.layer_digests[1]);
    assert_eq!(layer.diff_id.as_deref(), Some(built.diff_ids[1].as_str()));
    // image config facts
    let info = inv.target.image.as_ref().expect("image info");
    assert_eq!(info.config_digest, built.config_digest);
    assert_eq!(
        info.manifest_digest.as_deref(),
        Some(built.manifest_digest.as_str())
    );
    assert_eq!(info.tags, vec!["demo:1".to_owned()]);
    assert_eq!(
        (info.os.as_str(), info.architecture.as_str()),
        ("linux", "amd64")
    );
    assert_eq!(info.created.as_deref(), Some("2024-01-02T03:04:05Z"));
    assert_eq!(info.env, vec!["PATH=/usr/bin".to_owned()]);
    assert_eq!(
        info.labels.get("org.example").map(String::as_str),
        Some("demo")
    );
    assert_eq!(info.history.len(), 3);
    assert_eq!(info.layers.len(), 3);
    assert!(inv.notes.is_empty(), "{:?}", inv.notes);
}

#[test]
fn every_image_container_and_compression_gives_the_same_inventory() {
    let dir = tempfile::tempdir().expect("tmp");
    for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let mut img = three_layer_image();
        img.compression = c;
        let built = img.build();
        let path = dir.path().join("oci.tar");
        write_tar(&path, &oci_layout(&[(&img, &built)], "demo:1"));
        let p = path.to_str().expect("utf8");
        assert_eq!(parse_target(p).expect("detect").0, TargetKind::OciArchive);
        let inv = inventory_of(TargetKind::OciArchive, p, &OpenOptions::default());
        assert_eq!(sorted(table(&inv)), expected());
    }
    let path = dir.path().join("docker.tar");
    write_tar(&path, &docker_archive(&three_layer_image()));
    let p = path.to_str().expect("utf8");
    assert_eq!(
        parse_target(p).expect("detect").0,
        TargetKind::DockerArchive
    );
    let inv = inventory_of(TargetKind::DockerArchive, p, &OpenOptions::default());
    assert_eq!(sorted(table(&inv)), expected());
    assert_eq!(
        inv.target.image.as_ref().map(|i| i.tags.clone()),
        Some(vec!["demo:latest".to_owned()])
    );
}

#[test]
fn multi_platform_index_picks_the_requested_platform() {
    let amd = Image::new(vec![vec![file(
        "/var/lib/dpkg/status",
        &dpkg(&[("only-amd64", "1")]),
    )]]);
    let mut arm = Image::new(vec![vec![file(
        "/var/lib/dpkg/status",
        &dpkg(&[("only-arm64", "1")]),
    )]]);
    arm.arch = "arm64";
    let (ba, bb) = (amd.build(), arm.build());
    let dir = tempfile::tempdir().expect("tmp");
    write_dir(
        dir.path(),
        &oci_layout(&[(&amd, &ba), (&arm, &bb)], "multi"),
    );
    let p = dir.path().to_str().expect("utf8");
    let names = |inv: &Inventory| {
        inv.packages
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    let inv = inventory_of(TargetKind::OciDir, p, &OpenOptions::default());
    assert_eq!(names(&inv), vec!["only-amd64"]);
    let opts = OpenOptions {
        platform: Some("linux/arm64".parse().expect("platform")),
        ..Default::default()
    };
    let inv = inventory_of(TargetKind::OciDir, p, &opts);
    assert_eq!(names(&inv), vec!["only-arm64"]);
    let opts = OpenOptions {
        platform: Some("linux/s390x".parse().expect("platform")),
        ..Default::default()
    };
    let err = open(TargetKind::OciDir, p, &opts)
        .err()
        .expect("no such platform");
    let msg = err.to_string();
    assert!(
        msg.contains("linux/s390x") && msg.contains("linux/arm64"),
        "{msg}"
    );
}

#[test]
fn plain_tar_rootfs_gzip_and_zstd() {
    let entries = vec![
        file("etc/os-release", OS_RELEASE),
        file(
            "var/lib/dpkg/status",
            &dpkg(&[("zlib1g", "1:1.2.13.dfsg-1")]),
        ),
    ];
    let dir = tempfile::tempdir().expect("tmp");
    for (name, data) in [
        ("root.tar", tar_bytes(&entries)),
        (
            "root.tar.zst",
            zstd::encode_all(&tar_bytes(&entries)[..], 1).expect("zstd"),
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, data).expect("write");
        let p = path.to_str().expect("utf8");
        assert_eq!(parse_target(p).expect("detect").0, TargetKind::Tar);
        let inv = inventory_of(TargetKind::Tar, p, &OpenOptions::default());
        assert_eq!(inv.packages.len(), 1);
        assert_eq!(inv.packages[0].version, "1:1.2.13.dfsg-1");
        assert_eq!(inv.packages[0].ecosystem, Ecosystem::Deb);
    }
}

#[test]
fn function_package_with_layer_zips() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tmp");
    let mk = |name: &str, files: &[(&str, String)]| {
        let path = dir.path().join(name);
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
        for (p, data) in files {
            z.start_file(*p, zip::write::SimpleFileOptions::default())
                .expect("start");
            z.write_all(data.as_bytes()).expect("write");
        }
        z.finish().expect("finish");
        path
    };
    let func = mk(
        "fn.zip",
        &[(
            "requests-2.19.0.dist-info/METADATA",
            metadata("requests", "2.19.0"),
        )],
    );
    let layer = mk(
        "layer.zip",
        &[(
            "python/urllib3-1.24.1.dist-info/METADATA",
            metadata("urllib3", "1.24.1"),
        )],
    );
    let opts = OpenOptions {
        function_layers: vec![layer],
        ..Default::default()
    };
    let inv = inventory_of(TargetKind::Zip, func.to_str().expect("utf8"), &opts);
    let mut got: Vec<(String, String)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.locations[0].path.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "requests".to_owned(),
                "/var/task/requests-2.19.0.dist-info/METADATA".to_owned()
            ),
            (
                "urllib3".to_owned(),
                "/opt/python/urllib3-1.24.1.dist-info/METADATA".to_owned()
            ),
        ]
    );
}

#[test]
fn directory_symlinks_stay_inside_the_root_and_loops_end() {
    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(
        outside.path().join("secret-status"),
        dpkg(&[("outside", "1")]),
    )
    .expect("write");
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    std::fs::create_dir_all(r.join("var/lib/dpkg")).expect("mkdir");
    std::fs::create_dir_all(r.join("usr/lib")).expect("mkdir");
    std::fs::create_dir_all(r.join("etc")).expect("mkdir");
    // an absolute symlink escaping the root must resolve inside the root (where nothing is)
    std::os::unix::fs::symlink(
        outside.path().join("secret-status"),
        r.join("var/lib/dpkg/status"),
    )
    .expect("symlink");
    // a loop
    std::os::unix::fs::symlink("os-release2", r.join("etc/os-release")).expect("symlink");
    std::os::unix::fs::symlink("os-release", r.join("etc/os-release2")).expect("symlink");
    std::fs::write(r.join("usr/lib/os-release"), OS_RELEASE).expect("write");
    let inv = inventory_of(
        TargetKind::Dir,
        r.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    assert!(
        inv.packages.is_empty(),
        "read outside the root: {:?}",
        inv.packages
    );
    assert_eq!(
        inv.distro.as_ref().map(|d| d.path.as_str()),
        Some("/usr/lib/os-release")
    );
}

#[test]
fn host_mode_limits_language_packages_to_deep_inspection_paths() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    for (p, n) in [
        ("usr/lib/python3/dist-packages/a-1.dist-info", "a"),
        ("home/user/venv/lib/b-1.dist-info", "b"),
        ("srv/custom/c-1.dist-info", "c"),
    ] {
        std::fs::create_dir_all(r.join(p)).expect("mkdir");
        std::fs::write(r.join(p).join("METADATA"), metadata(n, "1")).expect("write");
    }
    let names = |inv: Inventory| {
        let mut v: Vec<String> = inv.packages.into_iter().map(|p| p.name).collect();
        v.sort();
        v
    };
    let p = r.to_str().expect("utf8");
    assert_eq!(
        names(inventory_of(TargetKind::Dir, p, &OpenOptions::default())),
        vec!["a", "b", "c"]
    );
    let host = OpenOptions {
        host: Some(true),
        ..Default::default()
    };
    let src = open(TargetKind::Dir, p, &host).expect("open");
    let progress = Progress::default();
    let inv = scan(
        src,
        &Registry::default(),
        &ScanOptions::default(),
        &progress,
    );
    assert_eq!(names(inv), vec!["a"]);
    // subtrees no cataloger can want are not even listed: /home and /srv are skipped
    let whole = Progress::default();
    let src = open(TargetKind::Dir, p, &OpenOptions::default()).expect("open");
    let _ = scan(src, &Registry::default(), &ScanOptions::default(), &whole);
    assert!(
        progress.get() < whole.get(),
        "{} vs {}",
        progress.get(),
        whole.get()
    );
    let mut opts = ScanOptions::default();
    opts.deep_paths.push("/srv/custom".into());
    let src = open(TargetKind::Dir, p, &host).expect("open");
    let inv = scan(src, &Registry::default(), &opts, &Progress::default());
    assert_eq!(names(inv), vec!["a", "c"]);
}

#[test]
fn os_owned_language_packages_are_marked() {
    let img = Image::new(vec![vec![
        file("/etc/os-release", OS_RELEASE),
        file(
            "/var/lib/dpkg/status",
            &dpkg(&[("python3-six", "1.16.0-4")]),
        ),
        file(
            "/var/lib/dpkg/info/python3-six.list",
            "/.\n/usr\n/usr/lib/python3/dist-packages/six-1.16.0.egg-info\n/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO\n/usr/lib/python3/dist-packages/six.py\n",
        ),
        file(
            "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
            &metadata("six", "1.16.0"),
        ),
        file(
            "/usr/share/doc/python3-six/copyright",
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: Expat\n",
        ),
        file(
            "/usr/local/lib/python3.11/site-packages/pip-23.0.dist-info/METADATA",
            &metadata("pip", "23.0"),
        ),
    ]]);
    let b = img.build();
    let dir = tempfile::tempdir().expect("tmp");
    write_dir(dir.path(), &oci_layout(&[(&img, &b)], "x"));
    let inv = inventory_of(
        TargetKind::OciDir,
        dir.path().to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    let six = inv.packages.iter().find(|p| p.name == "six").expect("six");
    assert_eq!(
        six.owner.as_ref().map(|o| o.name.as_str()),
        Some("python3-six")
    );
    let deb = inv
        .packages
        .iter()
        .find(|p| p.name == "python3-six")
        .expect("deb");
    assert_eq!(deb.licenses, vec!["Expat".to_owned()]);
    let pip = inv.packages.iter().find(|p| p.name == "pip").expect("pip");
    assert!(pip.owner.is_none());
}

#[test]
fn lockfiles_inside_installed_packages_are_not_declarations() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    let req = "requests==2.19.0\n";
    for dir in [
        "app",
        "app/node_modules/somepkg",
        "usr/lib/python3/dist-packages/foo",
        "usr/share/nodejs/nanoid",
    ] {
        std::fs::create_dir_all(r.join(dir)).expect("mkdir");
        std::fs::write(r.join(dir).join("requirements.txt"), req).expect("write");
    }
    let inv = inventory_of(
        TargetKind::Dir,
        r.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    assert_eq!(inv.packages.len(), 1);
    let paths: Vec<&str> = inv.packages[0]
        .locations
        .iter()
        .map(|l| l.path.as_str())
        .collect();
    assert_eq!(paths, vec!["/app/requirements.txt"]);
}

#[test]
fn distroless_status_d_and_modern_docker_save_layout() {
    // Docker 25+ `docker save`: an OCI layout plus manifest.json naming blobs/sha256/<hex>
    let mut img = Image::new(vec![vec![
        file("/etc/os-release", OS_RELEASE),
        file(
            "/var/lib/dpkg/status.d/base",
            "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
        ),
        file(
            "/var/lib/dpkg/status.d/tzdata",
            "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
        ),
        file(
            "/var/lib/dpkg/status.d/tzdata.md5sums",
            "d41d8cd98f00b204e9800998ecf8427e  usr/x\n",
        ),
    ]]);
    img.compression = Compression::None;
    let b = img.build();
    let mut files = oci_layout(&[(&img, &b)], "distroless:nonroot");
    files.push((
        "manifest.json".into(),
        format!(
            r#"[{{"Config":"blobs/sha256/{}","RepoTags":["distroless:nonroot"],"Layers":["blobs/sha256/{}"]}}]"#,
            &b.config_digest[7..],
            &b.layer_digests[0][7..]
        )
        .into_bytes(),
    ));
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("saved.tar");
    write_tar(&path, &files);
    let p = path.to_str().expect("utf8");
    assert_eq!(
        parse_target(p).expect("detect").0,
        TargetKind::DockerArchive
    );
    let inv = inventory_of(TargetKind::DockerArchive, p, &OpenOptions::default());
    let mut got: Vec<(String, String)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.locations[0].path.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "base-files".to_owned(),
                "/var/lib/dpkg/status.d/base".to_owned()
            ),
            (
                "tzdata".to_owned(),
                "/var/lib/dpkg/status.d/tzdata".to_owned()
            ),
        ]
    );
    let info = inv.target.image.as_ref().expect("image");
    assert_eq!(info.config_digest, b.config_digest);
    assert_eq!(info.layers[0].digest, b.layer_digests[0]);
    assert!(inv.notes.is_empty(), "{:?}", inv.notes);
}

#[test]
fn go_binary_shipped_by_a_deb_is_marked_owned() {
    let bin = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/go/binary/vigilapp"),
    )
    .expect("go fixture binary");
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    std::fs::create_dir_all(r.join("usr/bin")).expect("mkdir");
    std::fs::create_dir_all(r.join("var/lib/dpkg/info")).expect("mkdir");
    let exe = r.join("usr/bin/vigilapp");
    std::fs::write(&exe, bin).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(
        r.join("var/lib/dpkg/status"),
        dpkg(&[("vigilapp", "1.0-1")]),
    )
    .expect("write");
    std::fs::write(
        r.join("var/lib/dpkg/info/vigilapp.list"),
        "/.\n/usr\n/usr/bin\n/usr/bin/vigilapp\n",
    )
    .expect("write");
    let inv = inventory_of(
        TargetKind::Dir,
        r.to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    let go: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Go)
        .collect();
    assert!(!go.is_empty(), "{:?}", inv.notes);
    assert!(
        go.iter()
            .all(|p| p.owner.as_ref().map(|o| o.name.as_str()) == Some("vigilapp"))
    );
}

#[test]
fn big_files_wanted_by_several_catalogers_are_spooled_not_buffered() {
    // the real Go fixture padded past the 8 MiB spool threshold: both binary catalogers want
    // it, so it goes through the temporary-file path and must still be read exactly
    let mut bin = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/go/binary/vigilapp"),
    )
    .expect("go fixture binary");
    let small = {
        let root = tempfile::tempdir().expect("tmp");
        let exe = root.path().join("app");
        std::fs::write(&exe, &bin).expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        inventory_of(
            TargetKind::Dir,
            root.path().to_str().expect("utf8"),
            &OpenOptions::default(),
        )
    };
    bin.resize(bin.len() + (9 << 20), 0);
    let root = tempfile::tempdir().expect("tmp");
    let exe = root.path().join("app");
    std::fs::write(&exe, &bin).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let big = inventory_of(
        TargetKind::Dir,
        root.path().to_str().expect("utf8"),
        &OpenOptions::default(),
    );
    let ids = |inv: &Inventory| {
        inv.packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect::<Vec<_>>()
    };
    assert!(!small.packages.is_empty());
    assert_eq!(ids(&big), ids(&small));
    assert!(
        !big.notes.iter().any(|n| n.message.contains("cannot read")),
        "{:?}",
        big.notes
    );
}

//! Fixture tests: the same rpm database in the three backends (testdata/rpm/README.md),
//! checked against what `rpm -qa --qf` printed for it.

use super::*;
use std::collections::BTreeMap;

fn fixture(rel: &str) -> Vec<u8> {
    let p = format!("{}/testdata/rpm/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).expect("fixture")
}

fn meta(size: usize) -> EntryMeta {
    EntryMeta {
        kind: vigil_source::EntryKind::File,
        size: size as u64,
        mode: 0o644,
    }
}

fn run(c: &dyn Cataloger, path: &str, bytes: &[u8]) -> (Result<(), CatalogError>, Sink) {
    let mut reader: &[u8] = bytes;
    let mut input = FileInput::from_reader(path, meta(bytes.len()), &mut reader);
    let mut sink = Sink::default();
    let r = c.catalog(&mut input, &mut sink);
    (r, sink)
}

/// One line of `expected-qa.txt`, as our package should report it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    name: String,
    version: String,
    arch: Option<String>,
    source_rpm: Option<String>,
    license: Vec<String>,
    label: Option<String>,
}

fn none(s: &str) -> Option<String> {
    (s != "(none)").then(|| s.to_owned())
}

/// rpm's `--qf` output, gpg-pubkey lines dropped (and counted).
fn expected() -> (Vec<Row>, usize) {
    let text = String::from_utf8(fixture("expected-qa.txt")).expect("utf-8");
    let mut rows = Vec::new();
    let mut keys = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 6, "{line}");
        if f[0] == "gpg-pubkey" {
            keys += 1;
            continue;
        }
        rows.push(Row {
            name: f[0].to_owned(),
            // rpm prints EPOCHNUM (0 when missing); we leave a zero epoch out
            version: f[1].strip_prefix("0:").unwrap_or(f[1]).to_owned(),
            arch: none(f[2]),
            source_rpm: none(f[3]),
            license: none(f[4]).into_iter().collect(),
            label: none(f[5]),
        });
    }
    rows.sort();
    (rows, keys)
}

fn rows(sink: &Sink) -> Vec<Row> {
    let mut out: Vec<Row> = sink
        .packages()
        .iter()
        .map(|p| {
            assert_eq!(p.ecosystem, Ecosystem::Rpm);
            // rebuild SOURCERPM from our source package: name-version-release.src.rpm
            let source_rpm = p.source.as_ref().map(|s| {
                let v = s
                    .version
                    .split_once(':')
                    .map_or(s.version.as_str(), |x| x.1);
                format!("{}-{v}.src.rpm", s.name)
            });
            Row {
                name: p.name.clone(),
                version: p.version.clone(),
                arch: p.arch.clone(),
                source_rpm,
                license: p.licenses.clone(),
                label: p.metadata.get("modularitylabel").cloned(),
            }
        })
        .collect();
    out.sort();
    out
}

fn check_backend(c: &dyn Cataloger, path: &str, rel: &str) -> Sink {
    let (r, sink) = run(c, path, &fixture(rel));
    r.expect("catalog");
    assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    let (want, keys) = expected();
    assert_eq!(keys, 1, "the fixture holds one gpg-pubkey entry");
    assert_eq!(want.len(), 5);
    assert_eq!(rows(&sink), want);
    // facts not visible in the --qf comparison
    let by_name: BTreeMap<&str, &Package> = sink
        .packages()
        .iter()
        .map(|p| (p.name.as_str(), p))
        .collect();
    let libs = by_name["vigil-epoch-libs"];
    assert_eq!(libs.version, "2:3.4.5-6.el9");
    let src = libs.source.as_ref().expect("source");
    assert_eq!(
        (src.name.as_str(), src.version.as_str()),
        ("vigil-epoch", "2:3.4.5-6.el9")
    );
    let demo = by_name["python3-vigil-demo"];
    assert_eq!(
        demo.source.as_ref().map(|s| s.name.as_str()),
        Some("vigil-demo")
    );
    assert_eq!(
        by_name["vigil-module"]
            .metadata
            .get("modularitylabel")
            .map(String::as_str),
        Some("nodejs:18:8090020231019152822:a75119d5")
    );
    assert!(!by_name.contains_key("gpg-pubkey"));
    assert!(sink.packages().iter().all(|p| p.cataloger == c.name()));
    sink
}

fn check_ownership(sink: &Sink) {
    let listed =
        String::from_utf8(fixture("expected-files-python3-vigil-demo.txt")).expect("utf-8");
    let want: Vec<String> = listed
        .lines()
        .filter(|l| language_metadata_path(l))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        want,
        vec!["/usr/lib/python3.11/site-packages/vigil_demo-0.1.0.dist-info/METADATA"]
    );
    // only the python package owns a language metadata file
    assert_eq!(sink.owned().len(), 1);
    let owned = &sink.owned()[0];
    assert_eq!(owned.owner.ecosystem, Ecosystem::Rpm);
    assert_eq!(owned.owner.name, "python3-vigil-demo");
    assert_eq!(owned.paths, want);
}

#[test]
fn sqlite_matches_rpm_qa() {
    let sink = check_backend(
        &RpmSqlite,
        "/var/lib/rpm/rpmdb.sqlite",
        "sqlite/rpmdb.sqlite",
    );
    check_ownership(&sink);
}

#[test]
fn bdb_little_endian_matches_rpm_qa() {
    let sink = check_backend(&RpmBdb, "/var/lib/rpm/Packages", "bdb-le/Packages");
    check_ownership(&sink);
}

#[test]
fn bdb_big_endian_small_pages_matches_rpm_qa() {
    let sink = check_backend(&RpmBdb, "/var/lib/rpm/Packages", "bdb-be/Packages");
    check_ownership(&sink);
}

#[test]
fn ndb_matches_rpm_qa() {
    let sink = check_backend(
        &RpmNdb,
        "/usr/lib/sysimage/rpm/Packages.db",
        "ndb/Packages.db",
    );
    check_ownership(&sink);
}

#[test]
fn wanted_paths() {
    let m = meta(10);
    assert!(RpmSqlite.wants("/var/lib/rpm/rpmdb.sqlite", &m));
    assert!(RpmSqlite.wants("/usr/lib/sysimage/rpm/rpmdb.sqlite", &m));
    assert!(!RpmSqlite.wants("/var/lib/rpm/rpmdb.sqlite-wal", &m));
    assert!(!RpmSqlite.wants("/home/x/var/lib/rpm/rpmdb.sqlite", &m));
    assert!(RpmBdb.wants("/var/lib/rpm/Packages", &m));
    assert!(!RpmBdb.wants("/var/lib/rpm/Packages.db", &m));
    assert!(!RpmBdb.wants("/var/lib/rpmPackages", &m));
    assert!(RpmNdb.wants("/usr/lib/sysimage/rpm/Packages.db", &m));
    assert!(RpmNdb.wants("/var/lib/rpm/Packages.db", &m));
    assert!(!RpmNdb.wants("/var/lib/rpm/Index.db", &m));
}

#[test]
fn hostile_sqlite_errors_cleanly() {
    let good = fixture("sqlite/rpmdb.sqlite");
    for len in [0, 50, 100, 512, 4096, good.len() / 2, good.len() - 1] {
        let (r, _) = run(&RpmSqlite, "/var/lib/rpm/rpmdb.sqlite", &good[..len]);
        // sqlite may read a prefix that still holds the Packages pages; it must not panic
        if len < 512 {
            assert!(r.is_err(), "{len}");
        }
    }
    let mut noise = good.clone();
    for (i, b) in noise.iter_mut().enumerate().skip(100) {
        *b = (i * 31 % 251) as u8;
    }
    let (r, _) = run(&RpmSqlite, "/var/lib/rpm/rpmdb.sqlite", &noise);
    assert!(r.is_err());
    let (r, _) = run(
        &RpmSqlite,
        "/var/lib/rpm/rpmdb.sqlite",
        b"random bytes, not sqlite",
    );
    assert_eq!(
        r.err().map(|e| e.to_string()).as_deref(),
        Some("not an sqlite database")
    );
}

/// First overflow page of the fixture (page type 7).
fn first_overflow_page(db: &[u8], pagesize: usize) -> usize {
    (1..db.len() / pagesize)
        .find(|&n| db[n * pagesize + 25] == 7)
        .expect("an overflow page")
}

#[test]
fn bdb_page_loop_terminates_with_an_error() {
    let mut db = fixture("bdb-be/Packages");
    let ps = 512;
    let n = first_overflow_page(&db, ps);
    // point the page's next_pgno at itself
    db[n * ps + 16..n * ps + 20].copy_from_slice(&(n as u32).to_be_bytes());
    let (r, _) = run(&RpmBdb, "/var/lib/rpm/Packages", &db);
    let msg = r.expect_err("error").to_string();
    assert!(msg.contains("reached twice"), "{msg}");
}

#[test]
fn hostile_bdb_and_ndb_never_panic() {
    for (c, path, rel) in [
        (
            &RpmBdb as &dyn Cataloger,
            "/var/lib/rpm/Packages",
            "bdb-le/Packages",
        ),
        (&RpmBdb, "/var/lib/rpm/Packages", "bdb-be/Packages"),
        (&RpmNdb, "/var/lib/rpm/Packages.db", "ndb/Packages.db"),
    ] {
        let good = fixture(rel);
        for len in (0..good.len()).step_by(97) {
            let _ = run(c, path, &good[..len]);
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200 {
            let mut b = good.clone();
            for _ in 0..16 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x as usize) % b.len();
                b[at] = (x >> 40) as u8;
            }
            let _ = run(c, path, &b);
        }
        let (r, _) = run(c, path, b"random bytes");
        assert!(r.is_err());
    }
}

#[test]
fn ndb_truncated_blob_is_a_warning() {
    let db = fixture("ndb/Packages.db");
    // cut inside the last blob: the slot table is intact, the last blob is out of range
    let (r, sink) = run(&RpmNdb, "/var/lib/rpm/Packages.db", &db[..db.len() - 100]);
    r.expect("slot table is readable");
    // the last blob is the gpg-pubkey imported last (skipped anyway): all 5 packages remain
    assert_eq!(sink.packages().len(), 5);
    assert_eq!(sink.notes().len(), 1);
    assert!(sink.notes()[0].1.contains("outside"), "{:?}", sink.notes());
}

#[test]
fn corrupt_header_in_a_good_database_is_a_warning() {
    let mut db = fixture("ndb/Packages.db");
    // first slot's blob: damage the header's index count (and fix nothing else), so the
    // adler32 check reports it
    let blkoff = u32::from_le_bytes([db[40], db[41], db[42], db[43]]) as usize;
    db[blkoff * 16 + 16] = 0xff;
    let (r, sink) = run(&RpmNdb, "/var/lib/rpm/Packages.db", &db);
    r.expect("database is readable");
    assert_eq!(sink.notes().len(), 1);
    assert!(sink.notes()[0].1.contains("adler32"), "{:?}", sink.notes());
}

#[test]
fn emit_header_reports_bad_blobs() {
    let mut sink = Sink::default();
    emit_header(&[0, 0, 0, 1, 0, 0, 0, 0], "header 7", "rpm-test", &mut sink);
    assert!(sink.packages().is_empty());
    assert!(
        sink.notes()[0].1.starts_with("header 7: "),
        "{:?}",
        sink.notes()
    );
    let blob = header::tests::sample();
    emit_header(&blob, "header 8", "rpm-test", &mut sink);
    let p = &sink.packages()[0];
    assert_eq!(
        (p.name.as_str(), p.version.as_str()),
        ("openssl-libs", "1:3.0.7-24.el9")
    );
    assert_eq!(sink.owned()[0].paths, vec!["/usr/lib/x.dist-info/METADATA"]);
}

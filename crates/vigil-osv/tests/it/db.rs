//! The advisory database: import of real feeds, atomic replacement, bad input.

use std::path::{Path, PathBuf};

use vigil_osv::db::FeedMeta;
use vigil_osv::{Database, Import};

fn vulndata() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");
    assert!(
        p.join("MANIFEST.md").is_file(),
        "this test needs the shared advisory data at {} (../shared/vulndata next to the repository)",
        p.display()
    );
    p
}

fn import(db: &Path, name: &str, path: &Path) -> vigil_osv::SourceReport {
    let mut im = Import::begin(db).expect("begin");
    let r = im
        .import_path(name, "file", path, &FeedMeta::default())
        .expect("import");
    im.commit().expect("commit");
    r
}

#[test]
fn imports_every_osv_export_with_exact_counts() {
    let data = vulndata();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("v.db");
    // record counts from the data set's MANIFEST.md; AlmaLinux publishes 43 errata under the
    // same id for several releases (5,680 files, 5,637 ids), merged into one advisory each
    for (zip, records) in [
        ("osv/Go/all.zip", 4291),
        ("osv/crates.io/all.zip", 1206),
        ("osv/PyPI/all.zip", 2661),
        ("osv/AlmaLinux/all.zip", 5637),
        ("osv/OSS-Fuzz/all.zip", 4021),
        ("osv/Bitnami/all.zip", 7444),
    ] {
        let r = import(&db, zip, &data.join(zip));
        assert_eq!(
            r.advisories + r.skipped,
            records,
            "{zip}: {:?}",
            &r.problems[..r.problems.len().min(5)]
        );
        assert!(
            r.skipped == 0,
            "{zip}: {} skipped: {:?}",
            r.skipped,
            &r.problems[..r.problems.len().min(5)]
        );
    }
    // the YAML originals of PyPA parse to the same records
    let r = import(
        &db,
        "pypa-yaml",
        &data.join("osv/PyPI/pypa-advisory-database-yaml.zip"),
    );
    assert_eq!(
        r.advisories,
        2661,
        "{:?}",
        &r.problems[..r.problems.len().min(5)]
    );
    let kev = import(&db, "kev", &data.join("kev"));
    assert_eq!(kev.enrichments, 1404);
    let epss = import(&db, "epss", &data.join("epss/epss_scores.csv.gz"));
    assert_eq!(epss.enrichments, 360_142);

    let d = Database::open(&db).expect("open");
    let st = d.status().expect("status");
    assert_eq!(st.advisories, 4291 + 1206 + 2661 * 2 + 5637 + 4021 + 7444);
    assert_eq!(st.kev, 1404);
    assert_eq!(st.epss, 360_142);
    // indexed by normalised name; aliases searchable
    let reqs = d.advisories_for("PyPI", "Requests").expect("q");
    assert!(
        reqs.iter().any(|a| a.advisory.id == "PYSEC-2018-28"),
        "requests records: {}",
        reqs.len()
    );
    let by_cve = d.advisories_by_id("cve-2018-18074").expect("q");
    assert!(by_cve.iter().any(|a| a.advisory.id == "PYSEC-2018-28"));
    let log4shell = d
        .kev("CVE-2021-44228")
        .expect("kev")
        .expect("log4shell is in KEV");
    assert_eq!(log4shell.date_added, "2021-12-10");
    let e = d.epss("CVE-2021-44228").expect("epss").expect("scored");
    assert!(e.score > 0.9 && e.percentile > 0.99, "{e:?}");
    assert!(
        !d.advisories_for("AlmaLinux:9", "openssl-libs")
            .expect("q")
            .is_empty()
    );
}

#[test]
fn reimport_replaces_a_source_and_failures_leave_the_old_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("v.db");
    let feed = dir.path().join("feed");
    std::fs::create_dir(&feed).expect("mkdir");
    let rec = |id: &str, name: &str| {
        format!(
            r#"{{"id":"{id}","affected":[{{"package":{{"ecosystem":"PyPI","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"2"}}]}}]}}]}}"#
        )
    };
    std::fs::write(feed.join("A-1.json"), rec("A-1", "alpha")).expect("w");
    std::fs::write(feed.join("A-2.json"), rec("A-2", "beta")).expect("w");
    // malformed records: reported with file and id, skipped; the import goes on
    std::fs::write(feed.join("bad.json"), "{not json").expect("w");
    std::fs::write(
        feed.join("B-1.json"),
        r#"{"id":"B-1","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}]}"#,
    )
    .expect("w");
    let r = import(&db, "feed", &feed);
    assert_eq!((r.advisories, r.skipped), (2, 2));
    assert!(
        r.problems
            .iter()
            .any(|p| p.location.ends_with("bad.json") && p.message.contains("bad JSON"))
    );
    assert!(
        r.problems
            .iter()
            .any(|p| p.id.as_deref() == Some("B-1") && p.message.contains("no `introduced`")),
        "{:?}",
        r.problems
    );

    std::fs::remove_file(feed.join("A-2.json")).expect("rm");
    import(&db, "feed", &feed);
    let d = Database::open(&db).expect("open");
    assert_eq!(
        d.status().expect("st").advisories,
        1,
        "re-import replaces the source's records"
    );
    assert!(d.advisories_for("PyPI", "beta").expect("q").is_empty());
    drop(d);

    // an import that fails midway (missing input) never touches the file
    let before = std::fs::read(&db).expect("read");
    let mut im = Import::begin(&db).expect("begin");
    assert!(
        im.import_path(
            "gone",
            "file",
            &dir.path().join("missing"),
            &FeedMeta::default()
        )
        .is_err()
    );
    drop(im);
    assert_eq!(std::fs::read(&db).expect("read"), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".vigil-db-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files cleaned up");

    // not a database
    std::fs::write(dir.path().join("junk.db"), b"hello").expect("w");
    let e = Database::open(&dir.path().join("junk.db"))
        .expect_err("junk")
        .to_string();
    assert!(e.contains("junk.db"), "{e}");
    assert!(
        Import::begin(&dir.path().join("junk.db")).is_err(),
        "import refuses to overwrite a non-database"
    );
}

#[test]
fn zip_bombs_and_garbage_zips_are_bounded() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let z = dir.path().join("bad.zip");
    std::fs::write(&z, b"PK\x03\x04garbage").expect("w");
    let mut problems = Vec::new();
    let e = vigil_osv::import::read_path(&z, &mut problems, &mut |_, _| {}).expect_err("bad zip");
    assert!(e.to_string().contains("bad.zip"), "{e}");
    // a highly compressible entry bigger than the document limit is refused, not read whole
    let bomb = dir.path().join("bomb.zip");
    {
        let f = std::fs::File::create(&bomb).expect("create");
        let mut w = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        w.start_file("big.json", opts).expect("start");
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..(vigil_osv::import::MAX_DOCUMENT >> 20) + 2 {
            w.write_all(&chunk).expect("write");
        }
        w.finish().expect("finish");
    }
    let mut problems = Vec::new();
    vigil_osv::import::read_path(&bomb, &mut problems, &mut |_, _| panic!("nothing parsed"))
        .expect("walk");
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("decompresses to more than")),
        "{problems:?}"
    );
}

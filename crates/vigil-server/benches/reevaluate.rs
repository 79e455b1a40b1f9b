//! Re-evaluation after advisory database updates, at fleet scale.
//!
//! A fleet of RESOURCES inventories generated from a real package set (POOL, a CycloneDX SBOM:
//! the bench image's): every host has the pool's OS packages, a random half of its PyPI
//! packages and a random 100 of its npm packages; one host in ten is a "Rust service" that
//! also has the pool's crates. The fleet is matched and stored against DB0; then the database
//! file is replaced by DB1 and DB2 in turn (bench/reevaluate.sh builds them: DB0 lacks the
//! newest PyPI and RustSec records, DB1 adds the RustSec ones, DB2 the PyPI ones too) and the
//! re-evaluation job runs after each: its time, keys changed and resources re-evaluated show
//! that the cost follows what changed, not the fleet.
//!
//!   cargo bench -p vigil-server --bench reevaluate -- POOL DB0 DB1 DB2 [RESOURCES=10000]

use std::time::Instant;

use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [pool, db0, db1, db2] = [0, 1, 2, 3].map(|i| {
        args.get(i).cloned().unwrap_or_else(|| {
            eprintln!("usage: reevaluate POOL DB0 DB1 DB2 [RESOURCES]");
            std::process::exit(2)
        })
    });
    let resources: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let pool: Value =
        serde_json::from_str(&std::fs::read_to_string(&pool).expect("pool sbom")).expect("json");
    let comps = pool["components"].as_array().cloned().unwrap_or_default();
    let kind = |c: &Value| {
        c["purl"]
            .as_str()
            .unwrap_or("")
            .split('/')
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let os: Vec<&Value> = comps.iter().filter(|c| kind(c) == "pkg:deb").collect();
    let pypi: Vec<&Value> = comps.iter().filter(|c| kind(c) == "pkg:pypi").collect();
    let npm: Vec<&Value> = comps.iter().filter(|c| kind(c) == "pkg:npm").collect();
    let cargo: Vec<&Value> = comps.iter().filter(|c| kind(c) == "pkg:cargo").collect();
    println!(
        "pool: {} OS, {} PyPI, {} npm, {} crates packages",
        os.len(),
        pypi.len(),
        npm.len(),
        cargo.len()
    );

    let dir = tempfile::tempdir().expect("tmp");
    let live = dir.path().join("advisories.db");
    std::fs::copy(&db0, &live).expect("db0");
    let app = vigil_server::App::new(
        &dir.path().join("data"),
        live.clone(),
        std::time::Duration::from_secs(3600),
    )
    .expect("app");
    let job = |label: &str| {
        let t = Instant::now();
        let r = app
            .jobs
            .run(&app, "advisory-reevaluation")
            .unwrap_or_else(|e| panic!("job: {}", e.message()));
        println!(
            "{label}: {:.2} s — {} keys changed of {}, {} resources hold one, {} re-matched ({} with unchanged verdicts), {} findings new, {} closed (digests {:.2} s, load {:.2} s, decode+compare {:.2} s, match+store {:.2} s)",
            t.elapsed().as_secs_f64(),
            r["keysChanged"],
            r["keys"],
            r["resourcesReevaluated"].as_u64().unwrap_or(0)
                + r["resourcesWithUnchangedVerdicts"].as_u64().unwrap_or(0),
            r["resourcesReevaluated"],
            r["resourcesWithUnchangedVerdicts"],
            r["findingsNew"],
            r["findingsClosed"],
            r["digestSeconds"].as_f64().unwrap_or(0.0),
            r["loadSeconds"].as_f64().unwrap_or(0.0),
            r["decodeSeconds"].as_f64().unwrap_or(0.0),
            r["matchAndStoreSeconds"].as_f64().unwrap_or(0.0)
        );
    };
    job("baseline (DB0)");

    let mut rng = 0x2545f4914f6cdd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let t = Instant::now();
    let mut findings = 0u64;
    let mut rust_hosts = 0;
    for i in 0..resources {
        let mut c: Vec<Value> = os.iter().map(|v| (*v).clone()).collect();
        c.extend(
            pypi.iter()
                .filter(|_| next() % 2 == 0)
                .map(|v| (*v).clone()),
        );
        for _ in 0..100.min(npm.len()) {
            c.push(npm[(next() as usize) % npm.len()].clone());
        }
        if i % 10 == 0 {
            rust_hosts += 1;
            c.extend(cargo.iter().map(|v| (*v).clone()));
        }
        let mut doc = pool.clone();
        doc["components"] = Value::Array(c);
        doc["dependencies"] = Value::Array(Vec::new());
        let bytes = serde_json::to_vec(&doc).expect("sbom");
        let r = app
            .submit_sbom("111122223333", "us-east-1", &bytes, &format!("i-{i:08x}"))
            .unwrap_or_else(|e| panic!("submit: {}", e.message()));
        findings += r.active + r.suppressed;
    }
    println!(
        "fleet: {resources} inventories ({rust_hosts} with crates), {findings} findings, stored in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    for (label, db) in [
        ("update 1 (DB1: newest RustSec records)", &db1),
        ("update 2 (DB2: newest PyPI records too)", &db2),
    ] {
        let tmp = dir.path().join("incoming.db");
        std::fs::copy(db, &tmp).expect("copy db");
        std::fs::rename(&tmp, &live).expect("replace db");
        job(label);
    }
    job("no change");
}

//! Event delivery throughput, and what the outbox costs ingest.
//!
//! 1. Ingest cost: the same R resources × P findings ingested into a store as migrated (with
//!    the outbox triggers) and into one whose event triggers were dropped (the store as it
//!    was before events), one transaction per inventory.
//! 2. Throughput: a `vigil server` in process with a webhook destination (a local HTTP/1.1
//!    receiver answering 200) and, when `nats-server` is installed, a NATS JetStream one; one
//!    suppression rule created over HTTP flips every finding to SUPPRESSED at once; the time
//!    until each destination holds every event gives events per second.
//!
//!   cargo bench -p vigil-server --bench events_throughput -- [RESOURCES=100] [PER=100]
//!   (bench/events-throughput.sh runs it)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;
use vigil_store::{ResourceRecord, Store, Submission};

const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";
const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNTRIAGED"];

fn finding(r: usize, i: usize) -> Value {
    let pkg = format!("package-{}", i % 60);
    json!({
        "findingArn": format!("arn:vigil:inspector2:{REGION}:{ACCOUNT}:finding/{r:06}{i:04}"),
        "type": "PACKAGE_VULNERABILITY",
        "title": format!("CVE-2024-{:05} - {pkg}", (r * 31 + i * 17) % 40000),
        "description": "A realistic-length description of the vulnerability, as advisories carry one; it says what is wrong, where, and what an attacker can do with it.",
        "severity": SEVERITIES[(r * 7 + i) % SEVERITIES.len()],
        "fixAvailable": "YES",
        "inspectorScore": 5.0 + (i % 50) as f64 / 10.0,
        "packageVulnerabilityDetails": {
            "vulnerabilityId": format!("CVE-2024-{:05}", (r * 31 + i * 17) % 40000),
            "source": "NVD",
            "vulnerablePackages": [{"name": pkg, "version": "1.2.3", "fixedInVersion": "1.2.4", "packageManager": "OS"}]
        },
        "resources": [{"type": "AWS_EC2_INSTANCE", "id": format!("i-{r:08}"), "partition": "vigil", "region": REGION}],
        "vigil": {"aliases": [], "ecosystem": "deb", "fixedVersions": ["1.2.4"], "provenance": []}
    })
}

fn ingest_all(store: &Store, resources: usize, per: usize) -> f64 {
    let no_rules = |_: &Value| vigil_store::Compiled::never();
    let t = Instant::now();
    for r in 0..resources {
        store
            .ingest(
                Submission {
                    account: ACCOUNT,
                    region: REGION,
                    resource: ResourceRecord {
                        kind: "AWS_EC2_INSTANCE".into(),
                        id: format!("i-{r:08}"),
                        region: REGION.into(),
                        tags: Default::default(),
                        details: None,
                    },
                    inventory: b"{}",
                    findings: (0..per).map(|i| finding(r, i)).collect(),
                    now: OffsetDateTime::now_utc(),
                    keys: Vec::new(),
                    origin: vigil_store::Origin::Scan,
                    scope: None,
                },
                &no_rules,
            )
            .expect("ingest");
    }
    t.elapsed().as_secs_f64()
}

/// A webhook receiver answering 200 to every POST; counts them.
fn receiver() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || serve(c, &count));
        }
    });
    (port, n)
}

fn serve(c: TcpStream, count: &AtomicUsize) {
    let mut w = c.try_clone().expect("clone");
    let mut r = BufReader::new(c);
    loop {
        let mut len = 0usize;
        let mut first = true;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if first {
                first = false;
                continue;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        count.fetch_add(1, Ordering::SeqCst);
        if w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let resources = args.first().copied().unwrap_or(100);
    let per = args.get(1).copied().unwrap_or(100);
    let total = resources * per;
    let dir = tempfile::tempdir().expect("tmp");

    // 1. ingest with and without the outbox triggers (best of 5 each, alternating)
    let (mut with, mut without) = (f64::MAX, f64::MAX);
    for round in 0..5 {
        let plain = dir.path().join(format!("plain-{round}"));
        {
            let s = Store::open(&plain).expect("store");
            drop(s);
            let c = rusqlite::Connection::open(plain.join("vigil.sqlite")).expect("sqlite");
            for t in [
                "findings_event_insert",
                "findings_event_update",
                "resources_event_insert",
                "resources_event_update",
                "resources_event_delete",
            ] {
                c.execute_batch(&format!("DROP TRIGGER {t}")).expect("drop");
            }
        }
        let s = Store::open(&plain).expect("store");
        without = without.min(ingest_all(&s, resources, per));
        let evented = dir.path().join(format!("events-{round}"));
        let s = Store::open(&evented).expect("store");
        with = with.min(ingest_all(&s, resources, per));
    }
    println!(
        "ingest {resources} inventories x {per} findings = {total} findings (best of 5): \
         without event triggers {without:.3} s ({:.0} findings/s), with them {with:.3} s ({:.0} findings/s): {:+.1}%",
        total as f64 / without,
        total as f64 / with,
        (with / without - 1.0) * 100.0
    );
    // the scan-completion rows are written by ingest itself (one per inventory): included above

    // 2. delivery throughput
    let data = dir.path().join("server");
    let store = Store::open(&data).expect("store");
    let key = store
        .create_key(ACCOUNT, OffsetDateTime::now_utc())
        .expect("key");
    ingest_all(&store, resources, per);
    drop(store);
    let (hook_port, received) = receiver();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let config = vigil_server::Config::new(
        format!("127.0.0.1:{port}").parse().expect("addr"),
        data.clone(),
        dir.path().join("unused.db"),
    );
    rt.spawn(async move {
        let _ = vigil_server::serve(config).await;
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let creds = vigil_sigv4::Credentials {
        access_key_id: key.access_key_id.clone(),
        secret_access_key: key.secret_access_key.clone(),
        session_token: None,
    };
    let call = |path: &str, body: &Value| -> Value {
        let bytes = body.to_string().into_bytes();
        let headers = vec![
            ("host".to_owned(), format!("127.0.0.1:{port}")),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        let signed = vigil_sigv4::sign(
            &vigil_sigv4::Request {
                method: "POST",
                path,
                query: "",
                headers: &headers,
                body: &bytes,
            },
            &creds,
            REGION,
            "inspector2",
            OffsetDateTime::now_utc(),
        );
        let mut req = agent
            .post(format!("http://127.0.0.1:{port}{path}"))
            .header("content-type", "application/json");
        for (k, v) in &signed {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req.send(&bytes[..]).expect("request");
        let text = resp.body_mut().read_to_string().expect("body");
        assert_eq!(resp.status().as_u16(), 200, "{text}");
        serde_json::from_str(&text).expect("json")
    };
    // NATS JetStream, when Debian's nats-server is there
    let nats = std::process::Command::new("nats-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        .then(|| {
            let nport = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("port")
                .port();
            let child = std::process::Command::new("nats-server")
                .args(["-js", "-a", "127.0.0.1", "-p", &nport.to_string(), "-sd"])
                .arg(dir.path().join("nats"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("nats-server");
            let url = format!("nats://127.0.0.1:{nport}");
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut client = loop {
                if let Ok(mut c) = vigil_events::nats::Client::connect(&url, Duration::from_secs(5))
                    && c.js_api(
                        "STREAM.CREATE.BENCH",
                        &json!({"name": "BENCH", "subjects": ["vigil.bench"], "storage": "file"}),
                        Duration::from_secs(5),
                    )
                    .is_ok()
                {
                    break c;
                }
                assert!(Instant::now() < deadline, "nats-server did not start");
                std::thread::sleep(Duration::from_millis(100));
            };
            let _ = client.js_api("STREAM.INFO.BENCH", &json!({}), Duration::from_secs(5));
            (child, url, client)
        });
    if let Some((_, url, _)) = &nats {
        call(
            "/vigil/v1/destinations/create",
            &json!({"name": "bench-nats", "type": "NATS",
                    "eventPattern": {"detail-type": ["Inspector2 Finding"]},
                    "nats": {"url": url, "subject": "vigil.bench", "stream": "BENCH"}}),
        );
    }
    call(
        "/vigil/v1/destinations/create",
        &json!({"name": "bench", "type": "WEBHOOK",
                "eventPattern": {"detail-type": ["Inspector2 Finding"]},
                "webhook": {"url": format!("http://127.0.0.1:{hook_port}/events")}}),
    );
    let t = Instant::now();
    call(
        "/filters/create",
        &json!({"name": "everything", "action": "SUPPRESS", "reason": "bench",
                "filterCriteria": {"findingType": [{"comparison": "EQUALS", "value": "PACKAGE_VULNERABILITY"}]}}),
    );
    let committed = t.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut nats_done: Option<f64> = None;
    let mut webhook_done: Option<f64> = None;
    let mut nats = nats;
    loop {
        if webhook_done.is_none() && received.load(Ordering::SeqCst) >= total {
            webhook_done = Some(t.elapsed().as_secs_f64());
        }
        if let Some((_, _, client)) = nats.as_mut()
            && nats_done.is_none()
        {
            let info = client
                .js_api("STREAM.INFO.BENCH", &json!({}), Duration::from_secs(5))
                .expect("stream info");
            if info["state"]["messages"].as_u64().unwrap_or(0) >= total as u64 {
                nats_done = Some(t.elapsed().as_secs_f64());
            }
        }
        if webhook_done.is_some() && (nats.is_none() || nats_done.is_some()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {total} events arrived at the webhook",
            received.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let all = webhook_done.unwrap_or_default();
    println!(
        "delivery: one suppression rule flipped {total} findings (rule committed in {committed:.2} s); \
         all {total} events at the webhook {all:.2} s after the request: {:.0} events/s end to end, \
         {:.0} events/s after the commit",
        total as f64 / all,
        total as f64 / (all - committed).max(1e-9)
    );
    if let Some(done) = nats_done {
        println!(
            "NATS JetStream (at the same time, same events): all {total} in the stream {done:.2} s after the request: \
             {:.0} events/s end to end, {:.0} events/s after the commit",
            total as f64 / done,
            total as f64 / (done - committed).max(1e-9)
        );
    }
    std::thread::sleep(Duration::from_millis(500));
    let extra = received.load(Ordering::SeqCst) - total;
    println!("duplicates at the webhook receiver: {extra}");
    if let Some((mut child, _, _)) = nats {
        let _ = child.kill();
        let _ = child.wait();
    }
}

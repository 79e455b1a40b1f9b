//! Finding events end to end: a real `vigil server`, webhook receivers written here (plain
//! HTTP/1.1 on 127.0.0.1, able to fail, hang or go down), Debian's `nats-server` with
//! JetStream, and the store's outbox (read with Python's sqlite3) as the list of what must
//! arrive.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// Fast retries for tests.
const FAST_RETRIES: &[(&str, &str)] = &[
    ("VIGIL_EVENT_RETRY_BASE_MS", "50"),
    ("VIGIL_EVENT_RETRY_CAP", "1"),
];

#[derive(Debug, Clone)]
struct Got {
    id: String,
    kind: String,
    content_type: String,
    signature: String,
    body: Vec<u8>,
    status: u16,
}

#[derive(Default)]
struct HookState {
    /// Requests still to answer 500.
    fail_first: AtomicUsize,
    /// Each request waits this long before answering.
    delay_ms: AtomicU64,
    up: AtomicBool,
    got: Mutex<Vec<Got>>,
}

/// A webhook receiver on 127.0.0.1 that can fail its first requests, answer slowly, and go
/// down (its port closed) and up again.
struct Hook {
    port: u16,
    state: Arc<HookState>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Hook {
    fn start(fail_first: usize) -> Hook {
        let mut h = Hook {
            port: free_port(),
            state: Arc::new(HookState::default()),
            accept: None,
        };
        h.state.fail_first.store(fail_first, Ordering::SeqCst);
        h.up();
        h
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn up(&mut self) {
        let listener = {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match TcpListener::bind(("127.0.0.1", self.port)) {
                    Ok(l) => break l,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(e) => panic!("cannot bind the webhook port again: {e}"),
                }
            }
        };
        self.state.up.store(true, Ordering::SeqCst);
        let state = self.state.clone();
        self.accept = Some(std::thread::spawn(move || {
            for conn in listener.incoming() {
                if !state.up.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let state = state.clone();
                std::thread::spawn(move || serve(conn, &state));
            }
        }));
    }

    fn down(&mut self) {
        self.state.up.store(false, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            t.join().expect("accept thread");
        }
    }

    fn got(&self) -> Vec<Got> {
        self.state.got.lock().expect("lock").clone()
    }

    /// Ids answered 2xx.
    fn delivered(&self) -> std::collections::HashSet<String> {
        self.got()
            .into_iter()
            .filter(|g| g.status == 200)
            .map(|g| g.id)
            .collect()
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.down();
    }
}

fn serve(conn: TcpStream, state: &HookState) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut w = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end().to_owned();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |k: &str| {
            headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let len: usize = header("content-length").parse().unwrap_or(0);
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        if !state.up.load(Ordering::SeqCst) {
            // down: the request gets no answer
            let _ = w.shutdown(std::net::Shutdown::Both);
            return;
        }
        let delay = state.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        let fail = state
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let status = if fail { 500 } else { 200 };
        state.got.lock().expect("lock").push(Got {
            id: header("x-vigil-event-id"),
            kind: header("x-vigil-event-type"),
            content_type: header("content-type"),
            signature: header("x-vigil-signature"),
            body,
            status,
        });
        let reason = if fail { "Internal Server Error" } else { "OK" };
        if w.write_all(
            format!("HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        )
        .is_err()
        {
            return;
        }
    }
}

/// The outbox, in order: (seq, id, kind, subject, status, severity).
type Row = (i64, String, String, String, Option<String>, Option<String>);

fn outbox(s: &Server) -> Vec<Row> {
    // event ids: the store's prefix and the sequence number (vigil_store::events::event_id)
    let out = run_ok(
        std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import sqlite3, json, sys\n\
                 c = sqlite3.connect(sys.argv[1])\n\
                 p = c.execute('SELECT prefix FROM event_ids').fetchone()[0]\n\
                 def eid(seq):\n\
                 \x20   s = format(seq, '015x')\n\
                 \x20   return p[0:8] + '-' + p[8:12] + '-4' + p[12:15] + '-8' + s[0:3] + '-' + s[3:15]\n\
                 rows = c.execute(\"SELECT seq, kind, subject, status, json_extract(body, '$.severity') FROM event_outbox ORDER BY seq\").fetchall()\n\
                 print(json.dumps([[r[0], eid(r[0])] + list(r[1:]) for r in rows]))",
            )
            .arg(s.data.join("vigil.sqlite")),
    );
    serde_json::from_str(&out).expect("outbox json")
}

/// Waits until `done` holds (or panics with `what` after `secs`).
fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The demo SBOM, and a copy in which `requests` was upgraded (its findings close).
fn sboms(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let sbom = demo_sbom(dir);
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&sbom).expect("sbom")).expect("json");
    for c in doc["components"].as_array_mut().expect("components") {
        if c["name"] == "requests" {
            c["version"] = json!("2.32.3");
            c["purl"] = json!("pkg:pypi/requests@2.32.3");
        }
    }
    let sbom2 = dir.join("demo-upgraded.cdx.json");
    std::fs::write(&sbom2, doc.to_string()).expect("write");
    (sbom, sbom2)
}

fn create_webhook(s: &Server, name: &str, url: &str, pattern: Value, extra: Value) -> Value {
    let mut webhook = json!({"url": url});
    if let Some(o) = extra.as_object() {
        for (k, v) in o {
            webhook[k] = v.clone();
        }
    }
    let d = s.native(
        "/vigil/v1/destinations/create",
        &json!({"name": name, "type": "WEBHOOK", "eventPattern": pattern, "webhook": webhook}),
    );
    assert!(d["destinationId"].is_string(), "{d}");
    d
}

fn restart(s: &mut Server) {
    let _ = s.child.kill();
    let _ = s.child.wait();
    let db = s.dir.path().join("advisories.db");
    let (child, port) = spawn_server_env(&s.data, &db, FAST_RETRIES);
    s.child = child;
    s.url = format!("http://127.0.0.1:{port}");
}

#[test]
fn webhook_gets_every_event_once_in_order_through_failures_and_a_restart() {
    tools_present();
    let mut s = start_full(&[], FAST_RETRIES);
    let work = tempfile::tempdir().expect("tmp");
    let (sbom, sbom2) = sboms(work.path());
    // fails its first 5 deliveries
    let mut hook = Hook::start(5);
    let d = create_webhook(&s, "all", &hook.url(), json!({}), json!({}));
    let secret = d["signingSecret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();
    let listed = s.native("/vigil/v1/destinations/list", &json!({}));
    assert_eq!(listed["destinations"][0]["name"], "all");
    assert!(
        listed["destinations"][0].get("signingSecret").is_none(),
        "{listed}"
    );
    assert_eq!(listed["destinations"][0]["webhook"]["hasSecret"], true);

    // 1. findings created
    let first = s.scan(&format!("sbom:{}", sbom.display()), "demo-host");
    assert!(first["new"].as_u64().expect("new") >= 10, "{first}");
    // 2. the receiver goes down; a changed SBOM (requests' findings close) queues events it
    //    cannot take; the server is killed (SIGKILL) and restarted with them pending
    wait_for(60, "the first scan's events", || {
        hook.delivered().len() == outbox(&s).len()
    });
    hook.down();
    let second = s.scan(&format!("sbom:{}", sbom2.display()), "demo-host");
    assert!(second["closed"].as_u64().expect("closed") >= 1, "{second}");
    std::thread::sleep(Duration::from_millis(500));
    let pending_at_kill = outbox(&s).len() - hook.delivered().len();
    assert!(pending_at_kill >= 2, "{pending_at_kill}");
    restart(&mut s);
    std::thread::sleep(Duration::from_millis(500));
    hook.up();
    // 4. a suppression rule (findings updated to SUPPRESSED), then the resource is deleted
    s.aws(&[
        "create-filter",
        "--name",
        "accept-urllib3",
        "--action",
        "SUPPRESS",
        "--reason",
        "accepted risk",
        "--filter-criteria",
        r#"{"vulnerablePackages":[{"name":{"comparison":"EQUALS","value":"urllib3"}}]}"#,
    ]);
    // the state of every finding before deletion, as ListFindings answers it
    let before_delete = s.native("/findings/list", &json!({"maxResults": 100}));
    let deleted = s.native(
        "/vigil/v1/resources/delete",
        &json!({"resourceId": "demo-host"}),
    );
    assert!(
        deleted["closed"].as_u64().expect("closed") >= 1,
        "{deleted}"
    );

    let expected: Vec<Row> = outbox(&s);
    assert!(expected.len() > 30, "{}", expected.len());
    let expected_ids: std::collections::HashSet<String> =
        expected.iter().map(|r| r.1.clone()).collect();
    wait_for(120, "every outbox event at the webhook", || {
        hook.delivered().is_superset(&expected_ids)
    });
    // nothing more is coming: the receiver's tally is final once the outbox is drained
    std::thread::sleep(Duration::from_millis(500));
    let got = hook.got();
    assert!(
        got.iter().filter(|g| g.status == 500).count() == 5,
        "the first 5 deliveries failed"
    );
    let ok: Vec<&Got> = got.iter().filter(|g| g.status == 200).collect();
    // exactly once after dedup by id; nothing that is not in the outbox
    let ids: std::collections::HashSet<&str> = ok.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids.len(), expected_ids.len());
    assert!(ids.iter().all(|i| expected_ids.contains(*i)));
    // per-finding (per-subject) order: outbox order
    let seq_of: std::collections::HashMap<&str, (i64, &str)> = expected
        .iter()
        .map(|r| (r.1.as_str(), (r.0, r.3.as_str())))
        .collect();
    let mut last: std::collections::HashMap<&str, i64> = Default::default();
    for g in &ok {
        let (seq, subject) = seq_of[g.id.as_str()];
        let prev = last.insert(subject, seq).unwrap_or(0);
        assert!(seq >= prev, "subject {subject}: event {seq} after {prev}");
    }
    // headers, signatures, envelopes
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for g in &ok {
        assert_eq!(g.content_type, "application/json");
        vigil_events::verify(secret.as_bytes(), &g.signature, &g.body, now, 300)
            .unwrap_or_else(|e| panic!("{e}: {}", g.signature));
        let v: Value = serde_json::from_slice(&g.body).expect("envelope json");
        assert_eq!(v["id"], g.id.as_str());
        assert_eq!(v["detail-type"], g.kind.as_str());
        assert_eq!(v["source"], "aws.inspector2");
        assert_eq!(v["version"], "0");
        assert_eq!(v["account"], ACCOUNT);
        assert_eq!(v["region"], "us-east-1");
        assert!(
            v["time"]
                .as_str()
                .is_some_and(|t| t.len() == 20 && t.ends_with('Z')),
            "{v}"
        );
        *kinds.entry(g.kind.clone()).or_default() += 1;
    }
    assert!(
        kinds.get("Inspector2 Finding").is_some_and(|n| *n > 20),
        "{kinds:?}"
    );
    assert_eq!(kinds.get("Inspector2 Scan"), Some(&2), "{kinds:?}");
    // coverage: the host appeared (ACTIVE) and was deleted (RESOURCE_TERMINATED)
    assert_eq!(kinds.get("Inspector2 Coverage"), Some(&2), "{kinds:?}");
    let envelopes: Vec<Value> = ok
        .iter()
        .map(|g| serde_json::from_slice(&g.body).expect("json"))
        .collect();
    let cov: Vec<&Value> = envelopes
        .iter()
        .filter(|v| v["detail-type"] == "Inspector2 Coverage")
        .collect();
    assert_eq!(
        cov[0]["detail"]["scanStatus"],
        json!({"reason": "SUCCESSFUL", "statusCodeValue": "ACTIVE"})
    );
    assert_eq!(
        cov[1]["detail"]["scanStatus"],
        json!({"reason": "RESOURCE_TERMINATED", "statusCodeValue": "INACTIVE"})
    );
    assert_eq!(cov[0]["resources"], json!(["demo-host"]));
    let scan = envelopes
        .iter()
        .find(|v| v["detail-type"] == "Inspector2 Scan")
        .expect("scan");
    assert_eq!(scan["detail"]["scan-status"], "INITIAL_SCAN_COMPLETE");
    assert_eq!(
        scan["detail"]["finding-severity-counts"]["TOTAL"].as_u64(),
        first["active"].as_u64(),
        "{scan}"
    );
    // every finding's lifecycle: created ACTIVE, requests' closed by the rescan, urllib3's
    // SUPPRESSED by the rule, all CLOSED by the deletion; the last event before the deletion
    // is what ListFindings answered then
    let mut by_arn: std::collections::BTreeMap<String, Vec<&Value>> = Default::default();
    for v in envelopes
        .iter()
        .filter(|v| v["detail-type"] == "Inspector2 Finding")
    {
        by_arn
            .entry(v["detail"]["findingArn"].as_str().expect("arn").to_owned())
            .or_default()
            .push(&v["detail"]);
    }
    let listed: Vec<&Value> = before_delete["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .collect();
    assert_eq!(listed.len(), by_arn.len());
    for f in listed {
        let arn = f["findingArn"].as_str().expect("arn");
        let evs = &by_arn[arn];
        assert_eq!(evs[0]["status"], "ACTIVE", "{arn}");
        assert_eq!(evs.last().expect("last")["status"], "CLOSED", "{arn}");
        // the last change before the deletion is what ListFindings answers, but for
        // lastObservedAt, which later rescans move on without an event
        let closed_before = f["status"] == "CLOSED";
        let mut before = evs[evs.len() - if closed_before { 1 } else { 2 }].clone();
        let mut now = f.clone();
        let seen_then = before["lastObservedAt"]
            .take()
            .as_f64()
            .expect("lastObservedAt");
        let seen_now = now["lastObservedAt"]
            .take()
            .as_f64()
            .expect("lastObservedAt");
        assert!(seen_then <= seen_now, "{arn}");
        assert_eq!(
            before, now,
            "{arn}: the event's detail is ListFindings' finding"
        );
        let package = f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["name"]
            .as_str()
            .unwrap_or_default();
        let statuses: Vec<&str> = evs
            .iter()
            .map(|e| e["status"].as_str().unwrap_or(""))
            .collect();
        match package {
            "requests" => assert_eq!(statuses, ["ACTIVE", "CLOSED"], "{arn}"),
            "urllib3" => assert_eq!(statuses, ["ACTIVE", "SUPPRESSED", "CLOSED"], "{arn}"),
            _ => assert_eq!(statuses, ["ACTIVE", "CLOSED"], "{arn}"),
        }
    }
    // the metrics saw it
    let m = s.native(
        "/vigil/v1/destinations/get",
        &json!({"destinationId": d["destinationId"]}),
    );
    assert_eq!(m["pendingDeliveries"], 0, "{m}");
}

#[test]
fn patterns_filter_and_malformed_ones_are_refused_with_the_field() {
    tools_present();
    let tokens = tempfile::tempdir().expect("tmp");
    let token_file = tokens.path().join("metrics.token");
    std::fs::write(&token_file, "scrape").expect("token");
    let mut env = FAST_RETRIES.to_vec();
    env.push((
        "VIGIL_METRICS_TOKEN_FILE",
        token_file.to_str().expect("utf-8"),
    ));
    let s = start_full(&[], &env);
    // refused at creation, naming the field
    let bad = s.native(
        "/vigil/v1/destinations/create",
        &json!({"name": "bad", "type": "WEBHOOK", "webhook": {"url": "http://127.0.0.1:9/x"},
                "eventPattern": {"detail": {"inspectorScore": [{"numeric": [">", "seven"]}]}}}),
    );
    assert_eq!(bad["status"], 400, "{bad}");
    assert_eq!(bad["type"], "ValidationException");
    assert_eq!(
        bad["message"],
        "eventPattern.detail.inspectorScore[0].numeric[1]: numeric range needs a number after its operator"
    );
    for (pattern, field) in [
        (
            json!({"detail": {"severity": "HIGH"}}),
            "eventPattern.detail.severity",
        ),
        (
            json!({"detail": {"severity": []}}),
            "eventPattern.detail.severity",
        ),
        (
            json!({"source": [{"prefixx": "aws"}]}),
            "eventPattern.source[0]",
        ),
        (json!("{not json"), "eventPattern"),
    ] {
        let r = s.native(
            "/vigil/v1/destinations/create",
            &json!({"name": "bad", "type": "WEBHOOK", "webhook": {"url": "http://127.0.0.1:9/x"}, "eventPattern": pattern}),
        );
        assert_eq!(r["status"], 400, "{r}");
        assert!(
            r["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("{field}:"))),
            "{pattern}: {r}"
        );
    }
    let r = s.native(
        "/vigil/v1/destinations/create",
        &json!({"name": "bad", "type": "WEBHOOK", "webhook": {"url": "http://example.com/x"}}),
    );
    assert!(
        r["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("webhook.url:")),
        "{r}"
    );

    // a pattern on severity gets only those findings
    let high = Hook::start(0);
    let all = Hook::start(0);
    create_webhook(
        &s,
        "high",
        &high.url(),
        json!({"detail-type": ["Inspector2 Finding"], "detail": {"severity": ["HIGH", "CRITICAL"]}}),
        json!({}),
    );
    create_webhook(
        &s,
        "all",
        &all.url(),
        json!({"source": ["aws.inspector2"]}),
        json!({}),
    );
    let work = tempfile::tempdir().expect("tmp");
    let (sbom, _) = sboms(work.path());
    s.scan(&format!("sbom:{}", sbom.display()), "demo-host");
    let rows = outbox(&s);
    let want: std::collections::HashSet<String> = rows
        .iter()
        .filter(|r| r.2 == "FINDING" && matches!(r.5.as_deref(), Some("HIGH" | "CRITICAL")))
        .map(|r| r.1.clone())
        .collect();
    let every: std::collections::HashSet<String> = rows.iter().map(|r| r.1.clone()).collect();
    assert!(!want.is_empty() && want.len() < every.len());
    wait_for(60, "both webhooks", || {
        high.delivered() == want && all.delivered() == every
    });
    for g in high.got() {
        let v: Value = serde_json::from_slice(&g.body).expect("json");
        assert!(
            matches!(v["detail"]["severity"].as_str(), Some("HIGH" | "CRITICAL")),
            "{v}"
        );
    }
    // the delivery metrics, read by Prometheus' reference parser
    let text = ureq::get(format!("{}/metrics", s.url))
        .header("authorization", "Bearer scrape")
        .call()
        .expect("metrics")
        .body_mut()
        .read_to_string()
        .expect("text");
    let file = tokens.path().join("metrics.txt");
    std::fs::write(&file, &text).expect("write");
    let parsed: Value = serde_json::from_str(&run_ok(
        std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import json, sys\n\
                 from prometheus_client.parser import text_string_to_metric_families\n\
                 out = {}\n\
                 for fam in text_string_to_metric_families(open(sys.argv[1]).read()):\n\
                 \x20   for x in fam.samples:\n\
                 \x20       out[x.name + json.dumps(x.labels, sort_keys=True)] = x.value\n\
                 print(json.dumps(out))",
            )
            .arg(&file),
    ))
    .expect("parsed");
    let sample = |name: &str, dest: &str, extra: &str| -> f64 {
        parsed
            .as_object()
            .expect("object")
            .iter()
            .find(|(k, _)| {
                k.starts_with(name)
                    && k.contains(&format!("\"name\": \"{dest}\""))
                    && k.contains(extra)
            })
            .and_then(|(_, v)| v.as_f64())
            .unwrap_or_else(|| panic!("no {name} for {dest} in {text}"))
    };
    assert_eq!(
        sample(
            "vigil_event_deliveries_total{",
            "high",
            "\"outcome\": \"ok\""
        ),
        want.len() as f64
    );
    assert_eq!(
        sample("vigil_event_delivery_latency_seconds_count{", "all", ""),
        every.len() as f64
    );
    assert_eq!(parsed["vigil_event_outbox_depth{}"], 0.0, "{text}");
}

#[test]
fn a_hanging_or_failing_destination_delays_neither_others_nor_scans() {
    tools_present();
    let s = start_full(&[], FAST_RETRIES);
    // one receiver hangs 3s per request (beyond the destination's 1s timeout), one answers 500
    let slow = Hook::start(0);
    slow.state.delay_ms.store(3000, Ordering::SeqCst);
    let failing = Hook::start(usize::MAX);
    let good = Hook::start(0);
    let slow_d = create_webhook(
        &s,
        "slow",
        &slow.url(),
        json!({}),
        json!({"timeoutSeconds": 1}),
    );
    create_webhook(&s, "failing", &failing.url(), json!({}), json!({}));
    create_webhook(&s, "good", &good.url(), json!({}), json!({}));
    let work = tempfile::tempdir().expect("tmp");
    let (sbom, sbom2) = sboms(work.path());
    let t = Instant::now();
    s.scan(&format!("sbom:{}", sbom.display()), "h1");
    s.scan(&format!("sbom:{}", sbom2.display()), "h1");
    s.scan(&format!("sbom:{}", sbom.display()), "h2");
    let scans = t.elapsed();
    // three scans of a small SBOM take seconds at most; a blocked delivery would add 3s per event
    assert!(scans < Duration::from_secs(20), "{scans:?}");
    let every: std::collections::HashSet<String> = outbox(&s).into_iter().map(|r| r.1).collect();
    assert!(every.len() > 50, "{}", every.len());
    wait_for(60, "the good webhook", || good.delivered() == every);
    // meanwhile the others have delivered (next to) nothing and still hold their events
    assert!(failing.delivered().is_empty());
    assert!(
        slow.delivered().len() < every.len() / 2,
        "{}",
        slow.delivered().len()
    );
    let g = s.native(
        "/vigil/v1/destinations/get",
        &json!({"destinationId": slow_d["destinationId"]}),
    );
    assert!(
        g["pendingDeliveries"].as_i64().is_some_and(|n| n > 0),
        "{g}"
    );
}

/// `nats-server -js` on a free loopback port, stopped on drop.
struct Nats {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_nats() -> Nats {
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let child = std::process::Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nats-server (Debian package nats-server) must be installed");
    wait_for(20, "nats-server", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Nats {
        child,
        port,
        _dir: dir,
    }
}

#[test]
fn nats_jetstream_receives_the_same_events_as_the_webhook() {
    tools_present();
    let nats = start_nats();
    let url = format!("nats://127.0.0.1:{}", nats.port);
    let mut c =
        vigil_events::nats::Client::connect(&url, Duration::from_secs(10)).expect("connect");
    let timeout = Duration::from_secs(10);
    // JetStream may take a moment to be ready after the port opens
    wait_for(20, "the stream", || {
        c.js_api(
            "STREAM.CREATE.VIGIL",
            &json!({"name": "VIGIL", "subjects": ["vigil.events"], "storage": "file", "duplicate_window": 120_000_000_000u64}),
            timeout,
        )
        .is_ok()
    });
    let s = start_full(&[], FAST_RETRIES);
    let hook = Hook::start(2);
    create_webhook(&s, "hook", &hook.url(), json!({}), json!({}));
    let n = s.native(
        "/vigil/v1/destinations/create",
        &json!({"name": "nats", "type": "NATS", "nats": {"url": url, "subject": "vigil.events", "stream": "VIGIL"}}),
    );
    assert_eq!(n["type"], "NATS", "{n}");
    let work = tempfile::tempdir().expect("tmp");
    let (sbom, sbom2) = sboms(work.path());
    s.scan(&format!("sbom:{}", sbom.display()), "demo-host");
    s.scan(&format!("sbom:{}", sbom2.display()), "demo-host");
    let every: std::collections::HashSet<String> = outbox(&s).into_iter().map(|r| r.1).collect();
    wait_for(60, "the webhook", || hook.delivered() == every);
    // the stream holds each event once (JetStream dedups by Nats-Msg-Id), in outbox order
    let mut in_stream = Vec::new();
    wait_for(60, "the stream", || {
        let info = c
            .js_api("STREAM.INFO.VIGIL", &json!({}), timeout)
            .expect("info");
        info["state"]["messages"].as_u64() == Some(every.len() as u64)
    });
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    for seq in 1..=every.len() {
        let m = c
            .js_api("STREAM.MSG.GET.VIGIL", &json!({"seq": seq}), timeout)
            .expect("msg");
        let data = b64
            .decode(m["message"]["data"].as_str().expect("data"))
            .expect("b64");
        let hdrs = String::from_utf8(
            b64.decode(m["message"]["hdrs"].as_str().expect("hdrs"))
                .expect("b64"),
        )
        .expect("utf8");
        let v: Value = serde_json::from_slice(&data).expect("envelope");
        let id = v["id"].as_str().expect("id").to_owned();
        assert!(hdrs.contains(&format!("Nats-Msg-Id: {id}")), "{hdrs}");
        in_stream.push(id);
    }
    let set: std::collections::HashSet<String> = in_stream.iter().cloned().collect();
    assert_eq!(set, hook.delivered());
    assert_eq!(in_stream.len(), set.len());
    // publishing an id again is a duplicate to JetStream: what a re-send after a crash does
    let again = c
        .publish_batch(
            "vigil.events",
            &[(in_stream[0].as_str(), b"{}".as_slice())],
            timeout,
        )
        .expect("publish");
    assert!(again[0].as_ref().is_ok_and(|a| a.duplicate), "{again:?}");
}

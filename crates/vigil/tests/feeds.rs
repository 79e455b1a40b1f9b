//! `vigil db update` against a loopback HTTP server serving real feed files (conditional
//! requests, an interrupted transfer resumed with Range/If-Range, file:// feeds), and
//! `vigil db push` / `vigil db update --from oci://…` against Debian's `docker-registry` on
//! loopback, with ed25519 signatures verified (and forgeries refused).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn vulndata() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");
    assert!(
        p.join("MANIFEST.md").is_file(),
        "this test needs the shared advisory data at {} (../shared/vulndata next to the repository)",
        p.display()
    );
    p
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run vigil");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tiny HTTP/1.1 file server with ETag, Last-Modified, conditional GET and Range/If-Range.
/// `cut`: `(path, n)` cuts the next full-body response for `path` after `n` bytes.
/// Served files: (path, body, etag).
type Files = Arc<Mutex<Vec<(String, Vec<u8>, String)>>>;

struct Server {
    port: u16,
    files: Files,
    cut: Arc<Mutex<Option<(String, usize)>>>,
    log: Arc<Mutex<Vec<String>>>,
}

const LAST_MODIFIED: &str = "Mon, 30 Nov 2026 12:00:00 GMT";

impl Server {
    fn start(files: Vec<(String, Vec<u8>)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let files = Arc::new(Mutex::new(
            files
                .into_iter()
                .map(|(p, b)| {
                    let etag = format!("\"{}-{}\"", b.len(), p.len());
                    (p, b, etag)
                })
                .collect(),
        ));
        let cut = Arc::new(Mutex::new(None));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (f2, c2, l2) = (files.clone(), cut.clone(), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = handle(stream, &f2, &c2, &l2);
            }
        });
        Server {
            port,
            files,
            cut,
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn replace(&self, path: &str, body: Vec<u8>) {
        let mut files = self.files.lock().expect("lock");
        for f in files.iter_mut() {
            if f.0 == path {
                f.2 = format!("\"v2-{}\"", body.len());
                f.1 = body.clone();
            }
        }
    }

    fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().expect("lock"))
    }
}

fn handle(
    stream: TcpStream,
    files: &Mutex<Vec<(String, Vec<u8>, String)>>,
    cut: &Mutex<Option<(String, usize)>>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request)? == 0 {
            return Ok(());
        }
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let h = |k: &str| headers.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let found = files
            .lock()
            .expect("lock")
            .iter()
            .find(|f| f.0 == path)
            .cloned();
        let Some((_, body, etag)) = found else {
            out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
            log.lock().expect("lock").push(format!("{path} 404"));
            continue;
        };
        let common = format!("ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n");
        if h("if-none-match").as_deref() == Some(etag.as_str()) {
            out.write_all(
                format!("HTTP/1.1 304 Not Modified\r\n{common}Content-Length: 0\r\n\r\n")
                    .as_bytes(),
            )?;
            log.lock().expect("lock").push(format!("{path} 304"));
            continue;
        }
        let range_start = h("range")
            .and_then(|r| r.strip_prefix("bytes=").map(str::to_owned))
            .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
            .filter(|_| h("if-range").is_none_or(|v| v == etag || v == LAST_MODIFIED));
        if let Some(start) = range_start.filter(|s| *s < body.len()) {
            let part = &body[start..];
            out.write_all(
                format!(
                    "HTTP/1.1 206 Partial Content\r\n{common}Content-Range: bytes {start}-{}/{}\r\nContent-Length: {}\r\n\r\n",
                    body.len() - 1,
                    body.len(),
                    part.len()
                )
                .as_bytes(),
            )?;
            out.write_all(part)?;
            log.lock()
                .expect("lock")
                .push(format!("{path} 206 from {start}"));
            continue;
        }
        out.write_all(
            format!(
                "HTTP/1.1 200 OK\r\n{common}Content-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )?;
        let cut_at = {
            let mut c = cut.lock().expect("lock");
            match c.as_ref() {
                Some((p, n)) if *p == path => {
                    let n = *n;
                    *c = None;
                    n
                }
                _ => 0,
            }
        };
        if cut_at > 0 && cut_at < body.len() {
            let cut = cut_at;
            out.write_all(&body[..cut])?;
            out.flush()?;
            log.lock()
                .expect("lock")
                .push(format!("{path} 200 cut at {cut}"));
            return Ok(()); // connection dropped mid-body
        }
        out.write_all(&body)?;
        log.lock().expect("lock").push(format!("{path} 200"));
    }
}

fn status_json(db: &Path) -> serde_json::Value {
    let (ok, out, err) = run(vigil()
        .args(["db", "status", "--format", "json", "--db"])
        .arg(db));
    assert!(ok, "{err}");
    serde_json::from_str(&out).expect("status json")
}

#[test]
fn update_fetches_conditionally_and_resumes_interrupted_downloads() {
    let data = vulndata();
    let kev = std::fs::read(data.join("kev/known_exploited_vulnerabilities.json")).expect("kev");
    let pypi = std::fs::read(data.join("osv/PyPI/all.zip")).expect("pypi");
    let crates = std::fs::read(data.join("osv/crates.io/all.zip")).expect("crates");
    let server = Server::start(vec![
        ("/kev.json".into(), kev),
        ("/PyPI/all.zip".into(), pypi.clone()),
    ]);
    let work = tempfile::tempdir().expect("tmp");
    let db = work.path().join("vigil.db");
    let feeds = work.path().join("feeds");
    std::fs::write(
        &feeds,
        format!(
            "# test feeds\nkev {}\nosv-pypi {}\n",
            server.url("/kev.json"),
            server.url("/PyPI/all.zip")
        ),
    )
    .expect("feeds");

    // 1. first update: the PyPI download is cut half-way; KEV lands, PyPI fails and is kept
    *server.cut.lock().expect("lock") = Some(("/PyPI/all.zip".into(), pypi.len() / 2));
    let (ok, out, err) = run(vigil()
        .args(["db", "update", "--feeds"])
        .arg(&feeds)
        .arg("--db")
        .arg(&db));
    assert!(!ok, "an interrupted feed must fail the update: {out}{err}");
    assert!(err.contains("osv-pypi") && err.contains("resumes"), "{err}");
    assert!(out.contains("kev: updated"), "{out}");
    let st = status_json(&db);
    assert_eq!(st["kev"], 1404, "{st}");
    assert_eq!(
        st["advisories"], 0,
        "nothing of the cut feed was imported: {st}"
    );
    server.take_log();

    // 2. second update: KEV unchanged (304), PyPI resumed from the cut with Range/If-Range
    let (ok, out, err) = run(vigil()
        .args(["db", "update", "--feeds"])
        .arg(&feeds)
        .arg("--db")
        .arg(&db));
    assert!(ok, "{out}{err}");
    let log = server.take_log();
    assert!(log.contains(&"/kev.json 304".to_string()), "{log:?}");
    assert!(
        log.contains(&format!("/PyPI/all.zip 206 from {}", pypi.len() / 2)),
        "{log:?}"
    );
    assert!(out.contains("resumed at byte"), "{out}");
    let st = status_json(&db);
    assert_eq!(st["advisories"], 2661, "{st}");
    let src = st["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["name"] == "osv-pypi")
        .expect("source")
        .clone();
    assert_eq!(src["kind"], "feed");
    assert!(
        src["etag"].is_string() && src["sha256"].is_string(),
        "{src}"
    );

    // 3. third update: both unchanged, one conditional request each, database untouched
    let before = std::fs::read(&db).expect("db");
    let (ok, out, err) = run(vigil()
        .args(["db", "update", "--feeds"])
        .arg(&feeds)
        .arg("--db")
        .arg(&db));
    assert!(ok, "{out}{err}");
    assert_eq!(
        server.take_log(),
        vec!["/kev.json 304", "/PyPI/all.zip 304"]
    );
    assert_eq!(std::fs::read(&db).expect("db"), before);

    // 4. the feed changes (now serving crates.io under the PyPI URL): replaced, not added
    server.replace("/PyPI/all.zip", crates);
    let (ok, out, err) = run(vigil()
        .args(["db", "update", "--feeds"])
        .arg(&feeds)
        .arg("--db")
        .arg(&db));
    assert!(ok, "{out}{err}");
    let st = status_json(&db);
    let ecos: Vec<String> = st["ecosystems"]
        .as_array()
        .expect("ecosystems")
        .iter()
        .map(|e| e[0].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        ecos.contains(&"crates.io".to_string()) && !ecos.contains(&"PyPI".to_string()),
        "{ecos:?}"
    );

    // 5. a missing feed is a clear error naming it; --from with a file:// URL works offline
    let (ok, _, err) = run(vigil()
        .args(["db", "update", "--from", &server.url("/nope.zip"), "--db"])
        .arg(&db));
    assert!(!ok && err.contains("404"), "{err}");
    let file_url = format!("file://{}", data.join("osv/PyPI/all.zip").display());
    let (ok, out, err) = run(vigil()
        .args(["db", "update", "--from", &file_url, "--db"])
        .arg(&db));
    assert!(ok && out.contains("updated"), "{out}{err}");
    let (ok, out, _) = run(vigil()
        .args(["db", "update", "--from", &file_url, "--db"])
        .arg(&db));
    assert!(ok && out.contains("unchanged"), "{out}");
    // plain HTTP off loopback is refused before any connection
    let (ok, _, err) = run(vigil()
        .args(["db", "update", "--from", "http://192.0.2.1/x.zip", "--db"])
        .arg(&db));
    assert!(!ok && err.contains("plain HTTP"), "{err}");
}

fn start_registry() -> common::DockerRegistry {
    common::start_docker_registry(None, None, None)
}

fn start_registry_with(user: Option<(&str, &str)>) -> common::DockerRegistry {
    common::start_docker_registry(None, user, None)
}

fn http_get(port: u16, path: &str, accept: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(buf.len());
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, buf[(head_end + 4).min(buf.len())..].to_vec())
}

/// `vigil db push TARGET --key KEY.key --db DB`
fn push(target: &str, key: &Path, db: &Path) -> (bool, String, String) {
    run(vigil()
        .args(["db", "push", target, "--key"])
        .arg(key.with_extension("key"))
        .arg("--db")
        .arg(db))
}

/// `vigil db update --from SOURCE --trusted-key KEY.pub --db DB`
fn pull(source: &str, key: &Path, db: &Path) -> (bool, String, String) {
    run(vigil()
        .args(["db", "update", "--from", source, "--trusted-key"])
        .arg(key.with_extension("pub"))
        .arg("--db")
        .arg(db))
}

#[test]
fn push_and_pull_a_signed_database_through_a_registry() {
    let data = vulndata();
    let reg = start_registry();
    let work = tempfile::tempdir().expect("tmp");
    let db = work.path().join("vigil.db");
    let (ok, _, err) = run(vigil()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(data.join("osv/crates.io/all.zip"))
        .arg(data.join("kev")));
    assert!(ok, "{err}");
    let key = work.path().join("signer");
    let (ok, out, err) = run(vigil().args(["db", "keygen", "--name"]).arg(&key));
    assert!(ok, "{out}{err}");
    // the key is not overwritten by a second keygen
    let (ok, _, err) = run(vigil().args(["db", "keygen", "--name"]).arg(&key));
    assert!(!ok && err.contains("must not exist"), "{err}");
    let target = format!("oci://127.0.0.1:{}/vigil/db:test", reg.port);
    let (ok, out, err) = push(&target, &key, &db);
    assert!(ok, "{out}{err}");

    // the registry holds a real OCI manifest with our artifact type and one zstd layer
    let (code, body) = http_get(
        reg.port,
        "/v2/vigil/db/manifests/test",
        "application/vnd.oci.image.manifest.v1+json",
    );
    assert_eq!(code, 200);
    let m: serde_json::Value = serde_json::from_slice(&body).expect("manifest");
    assert_eq!(m["artifactType"], "application/vnd.vigil.db.v1");
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.vigil.db.layer.v1.sqlite+zstd"
    );
    assert!(m["annotations"]["dev.vigil.db.signature"].is_string());

    // pull into a fresh location with the right key
    let pulled = work.path().join("mirror/vigil.db");
    let (ok, out, err) = pull(&target, &key, &pulled);
    assert!(ok, "{out}{err}");
    assert_eq!(
        status_json(&pulled)["advisories"],
        status_json(&db)["advisories"]
    );
    assert_eq!(status_json(&pulled)["kev"], 1404);

    // a different key, or no key at all, is refused and the existing database is untouched
    let other = work.path().join("other");
    run(vigil().args(["db", "keygen", "--name"]).arg(&other));
    let before = std::fs::read(&pulled).expect("db");
    let (ok, _, err) = pull(&target, &other, &pulled);
    assert!(!ok && err.contains("no trusted key"), "{err}");
    let (ok, _, err) = run(vigil()
        .args(["db", "update", "--from", &target, "--db"])
        .arg(&pulled)
        .env_remove("VIGIL_DB_TRUSTED_KEY"));
    assert!(!ok && err.contains("--trusted-key"), "{err}");
    // a database signed by the other key under the same tag is refused by the first key
    let (ok, _, err) = push(&target, &other, &db);
    assert!(ok, "{err}");
    let (ok, _, err) = pull(&target, &key, &pulled);
    assert!(!ok && err.contains("no trusted key"), "{err}");
    assert_eq!(std::fs::read(&pulled).expect("db"), before);
    // a validly signed but older database pushed later (a replay) does not roll data back
    let newer = work.path().join("newer.db");
    std::thread::sleep(Duration::from_millis(1100));
    let (ok, _, err) = run(vigil()
        .args(["db", "import", "--db"])
        .arg(&newer)
        .arg(data.join("osv/crates.io/all.zip")));
    assert!(ok, "{err}");
    let newer_tag = format!("oci://127.0.0.1:{}/vigil/db:newer", reg.port);
    let (ok, _, err) = push(&newer_tag, &key, &newer);
    assert!(ok, "{err}");
    let (ok, _, err) = pull(&newer_tag, &key, &pulled);
    assert!(ok, "{err}");
    let (ok, _, err) = push(&target, &key, &db);
    assert!(ok, "{err}");
    let current = std::fs::read(&pulled).expect("db");
    let (ok, _, err) = pull(&target, &key, &pulled);
    assert!(!ok && err.contains("refusing to roll back"), "{err}");
    assert_eq!(std::fs::read(&pulled).expect("db"), current);
    // a missing tag is a clear error
    let missing = format!("oci://127.0.0.1:{}/vigil/db:nope", reg.port);
    let (ok, _, err) = pull(&missing, &key, &pulled);
    assert!(!ok && err.contains("404"), "{err}");
}

#[test]
fn registry_basic_auth() {
    let data = vulndata();
    let reg = start_registry_with(Some(("alice", "s3cret")));
    let work = tempfile::tempdir().expect("tmp");
    let db = work.path().join("vigil.db");
    let (ok, _, err) = run(vigil()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(data.join("kev/known_exploited_vulnerabilities.json")));
    assert!(ok, "{err}");
    let key = work.path().join("k");
    run(vigil().args(["db", "keygen", "--name"]).arg(&key));
    let target = format!("oci://127.0.0.1:{}/vigil/db:auth", reg.port);
    let push = |user: Option<&str>, pass: Option<&str>| {
        let mut c = vigil();
        c.args(["db", "push", &target, "--key"])
            .arg(key.with_extension("key"))
            .arg("--db")
            .arg(&db)
            .env_remove("VIGIL_REGISTRY_USERNAME")
            .env_remove("VIGIL_REGISTRY_PASSWORD");
        if let (Some(u), Some(p)) = (user, pass) {
            c.env("VIGIL_REGISTRY_USERNAME", u)
                .env("VIGIL_REGISTRY_PASSWORD", p);
        }
        run(&mut c)
    };
    let (ok, _, err) = push(None, None);
    assert!(!ok && err.contains("VIGIL_REGISTRY_USERNAME"), "{err}");
    let (ok, _, err) = push(Some("alice"), Some("wrong"));
    assert!(!ok && err.contains("rejected the credentials"), "{err}");
    let (ok, out, err) = push(Some("alice"), Some("s3cret"));
    assert!(ok, "{out}{err}");
    let pulled = work.path().join("pulled.db");
    let (ok, out, err) = run(vigil()
        .args(["db", "update", "--from", &target, "--trusted-key"])
        .arg(key.with_extension("pub"))
        .arg("--db")
        .arg(&pulled)
        .env("VIGIL_REGISTRY_USERNAME", "alice")
        .env("VIGIL_REGISTRY_PASSWORD", "s3cret"));
    assert!(ok, "{out}{err}");
    assert_eq!(status_json(&pulled)["kev"], 1404);
}

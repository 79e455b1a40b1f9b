//! The client against a scripted registry on loopback: the bearer-token flow, basic auth,
//! mirrors, and registries that lie (wrong digests, truncated blobs, nested indexes, oversized
//! images). Each fake answers from a table of exact request lines.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use vigil_registry::{BlobStore, Client, ClientOptions, Credentials, Error, ImageLimits, pull};

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn ok(body: &[u8], content_type: &str) -> Reply {
    Reply {
        status: 200,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.to_vec(),
    }
}

/// A registry answering `routes[(method, path)]`; requests needing `auth` (an exact
/// Authorization header) get a 401 with `challenge` otherwise. Every request is logged.
struct Fake {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

fn serve(routes: HashMap<(String, String), Reply>, auth: Option<(String, String)>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let routes = routes.clone();
            let auth = auth.clone();
            let log = log2.clone();
            std::thread::spawn(move || handle(stream, &routes, auth.as_ref(), &log));
        }
    });
    Fake { port, log }
}

fn handle(
    stream: TcpStream,
    routes: &HashMap<(String, String), Reply>,
    auth: Option<&(String, String)>,
    log: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        if let Ok(mut l) = log.lock() {
            l.push(format!(
                "{method} {path} {}",
                headers.get("authorization").map_or("-", String::as_str)
            ));
        }
        let token_path = path.starts_with("/token");
        let reply = match auth {
            Some((want, challenge))
                if !token_path && headers.get("authorization") != Some(want) =>
            {
                Reply {
                    status: 401,
                    headers: vec![("WWW-Authenticate".into(), challenge.clone())],
                    body: b"{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".to_vec(),
                }
            }
            _ => routes
                .get(&(method.clone(), path.clone()))
                .cloned()
                .unwrap_or(Reply {
                    status: 404,
                    headers: vec![],
                    body: b"{\"errors\":[{\"code\":\"NOT_FOUND\"}]}".to_vec(),
                }),
        };
        let mut out = stream.try_clone().expect("clone");
        let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let body: &[u8] = if method == "HEAD" { &[] } else { &reply.body };
        // a truncated blob declares its full length and closes early
        let declared = reply
            .headers
            .iter()
            .find(|(k, _)| k == "X-Declared-Length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(reply.body.len());
        head.push_str(&format!("Content-Length: {declared}\r\n\r\n"));
        let _ = out.write_all(head.as_bytes());
        let _ = out.write_all(body);
        if declared != reply.body.len() {
            let _ = out.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

fn sha(b: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(b))
}

/// An image: config, one layer, an OCI manifest, and an index pointing at it.
struct Image {
    config: Vec<u8>,
    layer: Vec<u8>,
    manifest: Vec<u8>,
    index: Vec<u8>,
}

fn image() -> Image {
    let layer = b"not really a tar, the client does not care".to_vec();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&layer), "size": layer.len()}]
    }))
    .expect("json");
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(b"arm"), "size": 3, "platform": {"os": "linux", "architecture": "arm64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len(), "platform": {"os": "linux", "architecture": "amd64"}}
        ]
    }))
    .expect("json");
    Image {
        config,
        layer,
        manifest,
        index,
    }
}

fn routes(img: &Image, repo: &str) -> HashMap<(String, String), Reply> {
    let mut r = HashMap::new();
    let get = |p: String| ("GET".to_owned(), p);
    r.insert(
        get(format!("/v2/{repo}/manifests/1.0")),
        ok(&img.index, "application/vnd.oci.image.index.v1+json"),
    );
    r.insert(
        get(format!("/v2/{repo}/manifests/{}", sha(&img.index))),
        ok(&img.index, "application/vnd.oci.image.index.v1+json"),
    );
    r.insert(
        get(format!("/v2/{repo}/manifests/{}", sha(&img.manifest))),
        ok(&img.manifest, "application/vnd.oci.image.manifest.v1+json"),
    );
    r.insert(
        get(format!("/v2/{repo}/blobs/{}", sha(&img.config))),
        ok(&img.config, "application/octet-stream"),
    );
    r.insert(
        get(format!("/v2/{repo}/blobs/{}", sha(&img.layer))),
        ok(&img.layer, "application/octet-stream"),
    );
    r
}

fn client(port: u16, opts: ClientOptions) -> Client {
    Client::new(&format!("127.0.0.1:{port}"), &opts).expect("client")
}

#[test]
fn pulls_an_index_by_tag_into_the_store_and_reuses_blobs() {
    let img = image();
    let fake = serve(routes(&img, "app/web"), None);
    let dir = tempfile::tempdir().expect("tmp");
    let store = BlobStore::open(dir.path()).expect("store");
    let mut c = client(fake.port, ClientOptions::default());
    let p = pull(
        &mut c,
        &store,
        "app/web",
        "1.0",
        "linux/amd64",
        &ImageLimits::default(),
    )
    .expect("pull");
    assert_eq!(p.digest, sha(&img.index));
    assert_eq!(p.manifest_digest, sha(&img.manifest));
    assert_eq!(p.layers, vec![sha(&img.layer)]);
    assert_eq!(p.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(p.downloaded, (img.config.len() + img.layer.len()) as u64);
    assert_eq!(p.reused, 0);
    for b in [&img.index, &img.manifest, &img.config, &img.layer] {
        assert!(store.contains(&sha(b)));
    }
    // again: nothing downloaded but the manifests
    let p = pull(
        &mut c,
        &store,
        "app/web",
        "1.0",
        "linux/amd64",
        &ImageLimits::default(),
    )
    .expect("pull");
    assert_eq!((p.downloaded, p.reused), (0, 2));
    // a platform the index lacks
    let e = pull(
        &mut c,
        &store,
        "app/web",
        "1.0",
        "linux/s390x",
        &ImageLimits::default(),
    )
    .expect_err("no platform");
    assert!(
        e.to_string()
            .contains("no manifest for platform linux/s390x"),
        "{e}"
    );
    assert!(e.to_string().contains("linux/arm64, linux/amd64"), "{e}");
}

#[test]
fn bearer_token_flow_and_basic_credentials() {
    let img = image();
    // the token endpoint is on the fake itself (unauthenticated), as a realm elsewhere would be
    let mut r = routes(&img, "app/web");
    r.insert(
        (
            "GET".into(),
            "/token?service=fake&scope=repository:app/web:pull".into(),
        ),
        ok(br#"{"token":"t0k3n"}"#, "application/json"),
    );
    let fake = serve_with_realm(r);
    let dir = tempfile::tempdir().expect("tmp");
    let store = BlobStore::open(dir.path()).expect("store");
    let mut c = client(fake.port, ClientOptions::default());
    pull(
        &mut c,
        &store,
        "app/web",
        "1.0",
        "linux/amd64",
        &ImageLimits::default(),
    )
    .expect("pull with a token");
    let log = fake.log.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(
        log.iter()
            .any(|l| l.starts_with("GET /token?service=fake&scope=repository:app/web:pull")),
        "{log:#?}"
    );
    assert!(log.iter().any(|l| l.ends_with("Bearer t0k3n")), "{log:#?}");

    // basic auth: the configured credentials are sent; a registry asking for basic auth
    // without any is a clear error
    let want = "Basic dTpw".to_owned(); // u:p
    let basic = serve(
        routes(&img, "app/web"),
        Some((want, "Basic realm=\"fake\"".into())),
    );
    let dir2 = tempfile::tempdir().expect("tmp");
    let store2 = BlobStore::open(dir2.path()).expect("store");
    let mut anon = client(basic.port, ClientOptions::default());
    let e = pull(
        &mut anon,
        &store2,
        "app/web",
        "1.0",
        "linux/amd64",
        &ImageLimits::default(),
    )
    .expect_err("needs credentials");
    assert!(
        e.to_string().contains("no credentials are configured"),
        "{e}"
    );
    let mut authed = client(
        basic.port,
        ClientOptions {
            credentials: Some(Credentials {
                username: "u".into(),
                password: "p".into(),
            }),
            ..ClientOptions::default()
        },
    );
    pull(
        &mut authed,
        &store2,
        "app/web",
        "1.0",
        "linux/amd64",
        &ImageLimits::default(),
    )
    .expect("pull with basic auth");
}

/// A fake whose 401 challenge points at its own `/token` endpoint.
fn serve_with_realm(routes: HashMap<(String, String), Reply>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    let auth = (
        "Bearer t0k3n".to_owned(),
        format!(
            "Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\",scope=\"repository:app/web:pull\""
        ),
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let routes = routes.clone();
            let auth = auth.clone();
            let log = log2.clone();
            std::thread::spawn(move || handle(stream, &routes, Some(&auth), &log));
        }
    });
    Fake { port, log }
}

#[test]
fn lying_registries_are_caught() {
    let img = image();
    let dir = tempfile::tempdir().expect("tmp");
    let store = BlobStore::open(dir.path()).expect("store");
    let limits = ImageLimits::default();

    // a layer whose bytes are not its digest: refused, and nothing lands in the store
    let mut r = routes(&img, "a");
    r.insert(
        ("GET".into(), format!("/v2/a/blobs/{}", sha(&img.layer))),
        ok(
            b"evil bytes of the same length as the real layer!!",
            "application/octet-stream",
        ),
    );
    let fake = serve(r, None);
    let e = pull(
        &mut client(fake.port, ClientOptions::default()),
        &store,
        "a",
        "1.0",
        "linux/amd64",
        &limits,
    )
    .expect_err("wrong digest");
    assert!(e.to_string().contains("blob is larger"), "{e}");
    assert!(!store.contains(&sha(&img.layer)));

    // the same length, other bytes
    let mut evil = img.layer.clone();
    evil[0] ^= 1;
    let mut r = routes(&img, "a");
    r.insert(
        ("GET".into(), format!("/v2/a/blobs/{}", sha(&img.layer))),
        ok(&evil, "application/octet-stream"),
    );
    let fake = serve(r, None);
    let e = pull(
        &mut client(fake.port, ClientOptions::default()),
        &store,
        "a",
        "1.0",
        "linux/amd64",
        &limits,
    )
    .expect_err("wrong digest");
    assert!(e.to_string().contains("blob content has digest"), "{e}");
    assert!(!store.contains(&sha(&img.layer)));

    // a truncated layer (the connection closes early)
    let mut r = routes(&img, "a");
    let mut short = ok(&img.layer[..10], "application/octet-stream");
    short
        .headers
        .push(("X-Declared-Length".into(), img.layer.len().to_string()));
    r.insert(
        ("GET".into(), format!("/v2/a/blobs/{}", sha(&img.layer))),
        short,
    );
    let fake = serve(r, None);
    let e = pull(
        &mut client(fake.port, ClientOptions::default()),
        &store,
        "a",
        "1.0",
        "linux/amd64",
        &limits,
    )
    .expect_err("truncated");
    assert!(
        e.to_string().contains("download failed") || e.to_string().contains("truncated"),
        "{e}"
    );
    assert!(!store.contains(&sha(&img.layer)));

    // a manifest fetched by digest whose bytes are another document
    let mut r = routes(&img, "a");
    r.insert(
        (
            "GET".into(),
            format!("/v2/a/manifests/{}", sha(&img.manifest)),
        ),
        ok(&img.index, "application/vnd.oci.image.index.v1+json"),
    );
    let fake = serve(r, None);
    let e = pull(
        &mut client(fake.port, ClientOptions::default()),
        &store,
        "a",
        "1.0",
        "linux/amd64",
        &limits,
    )
    .expect_err("wrong manifest");
    assert!(e.to_string().contains("not the"), "{e}");

    // indexes nested beyond the limit
    let mut r = routes(&img, "a");
    let mut inner = img.index.clone();
    for _ in 0..4 {
        let outer = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(&inner), "size": inner.len(), "platform": {"os": "linux", "architecture": "amd64"}}]
        }))
        .expect("json");
        r.insert(
            ("GET".into(), format!("/v2/a/manifests/{}", sha(&inner))),
            ok(&inner, "application/vnd.oci.image.index.v1+json"),
        );
        inner = outer;
    }
    r.insert(
        ("GET".into(), "/v2/a/manifests/deep".into()),
        ok(&inner, "application/vnd.oci.image.index.v1+json"),
    );
    let fake = serve(r, None);
    let e = pull(
        &mut client(fake.port, ClientOptions::default()),
        &store,
        "a",
        "deep",
        "linux/amd64",
        &limits,
    )
    .expect_err("too deep");
    assert!(e.to_string().contains("nested more than 3 deep"), "{e}");

    // an image declared larger than the limit is refused before any download
    let fake = serve(routes(&img, "a"), None);
    let small = ImageLimits {
        max_image_bytes: 10,
        ..ImageLimits::default()
    };
    let e = pull(
        &mut client(fake.port, ClientOptions::default()),
        &store,
        "a",
        "1.0",
        "linux/amd64",
        &small,
    )
    .expect_err("too large");
    assert!(matches!(e, Error::TooLarge(_)), "{e}");
    let log = fake.log.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(!log.iter().any(|l| l.contains("/blobs/")), "{log:#?}");

    // names that are not names never reach the wire
    for (repo, reference) in [("../etc", "1.0"), ("a", "../../x"), ("A", "1.0")] {
        assert!(
            pull(
                &mut client(fake.port, ClientOptions::default()),
                &store,
                repo,
                reference,
                "linux/amd64",
                &limits
            )
            .is_err()
        );
    }
}

#[test]
fn mirrors_serve_content_by_digest_and_fall_back_to_the_registry() {
    let img = image();
    // the origin has everything; the mirror only the layer (and a wrong config)
    let origin = serve(routes(&img, "a"), None);
    let mut m = HashMap::new();
    m.insert(
        ("GET".into(), format!("/v2/a/blobs/{}", sha(&img.layer))),
        ok(&img.layer, "application/octet-stream"),
    );
    m.insert(
        ("GET".into(), format!("/v2/a/blobs/{}", sha(&img.config))),
        ok(b"{\"tampered\":true}", "application/octet-stream"),
    );
    let mirror = serve(m, None);
    let dir = tempfile::tempdir().expect("tmp");
    let store = BlobStore::open(dir.path()).expect("store");
    let mut c = Client::new(
        &format!("127.0.0.1:{}", origin.port),
        &ClientOptions {
            mirrors: vec![format!("127.0.0.1:{}", mirror.port)],
            ..ClientOptions::default()
        },
    )
    .expect("client");
    pull(
        &mut c,
        &store,
        "a",
        "1.0",
        "linux/amd64",
        &ImageLimits::default(),
    )
    .expect("pull");
    let origin_log = origin.log.lock().map(|l| l.clone()).unwrap_or_default();
    let mirror_log = mirror.log.lock().map(|l| l.clone()).unwrap_or_default();
    // the tag was resolved at the origin; the layer came from the mirror; the tampered config
    // was refused and fetched from the origin
    assert!(
        origin_log
            .iter()
            .any(|l| l.starts_with("GET /v2/a/manifests/1.0"))
    );
    assert!(!mirror_log.iter().any(|l| l.contains("/manifests/1.0")));
    assert!(mirror_log.iter().any(|l| l.contains(&sha(&img.layer))));
    assert!(!origin_log.iter().any(|l| l.contains(&sha(&img.layer))));
    assert!(origin_log.iter().any(|l| l.contains(&sha(&img.config))));
    let stored = std::fs::read(store.path(&sha(&img.config)).expect("path")).expect("config");
    assert_eq!(stored, img.config);
}

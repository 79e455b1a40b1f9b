//! Shared by the findings-service tests: a `vigil server` on a temporary data directory with
//! an access key for one account, an AWS profile for the real AWS CLI and boto3, and helpers
//! to drive them.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub const ACCOUNT: &str = "111122223333";

pub fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run")
}

pub fn run_ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts `vigil server` on a free loopback port and waits until it accepts connections.
pub fn spawn_server(data: &Path, db: &Path) -> (Child, u16) {
    spawn_server_env(data, db, &[])
}

/// [`spawn_server`] with extra environment variables for the server.
pub fn spawn_server_env(data: &Path, db: &Path, env: &[(&str, &str)]) -> (Child, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut child = vigil()
        .args([
            "server",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .arg("--db")
        .arg(db)
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start server");
    // the server prints one line when it listens
    let stderr = child.stderr.take().expect("stderr");
    let mut line = String::new();
    BufReader::new(stderr).read_line(&mut line).expect("read");
    assert!(line.contains("listening"), "{line}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// The bundled demo image as Vigil's CycloneDX SBOM, written in `dir`.
pub fn demo_sbom(dir: &Path) -> PathBuf {
    let sbom = dir.join("demo.cdx.json");
    run_ok(
        vigil()
            .args(["sbom", "--format", "cyclonedx", "-q", "-o"])
            .arg(&sbom)
            .arg(repo().join("examples/demo-image")),
    );
    sbom
}

/// Writes a zip of `files` (name, content) at `path`; answers its base64 and hex SHA-256.
pub fn make_zip(path: &Path, files: &[(&str, &str)]) -> (String, String) {
    let out = run_ok(
        Command::new("python3")
            .arg("-c")
            .arg(
                r#"
import base64, hashlib, json, sys, zipfile
# fixed entry times: the same files make the same zip
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, content in json.loads(sys.argv[2]):
        info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, content)
data = open(sys.argv[1], "rb").read()
print(json.dumps([base64.b64encode(data).decode(), hashlib.sha256(data).hexdigest()]))
"#,
            )
            .arg(path)
            .arg(json!(files).to_string()),
    );
    let v: Vec<String> = serde_json::from_str(&out).expect("zip json");
    (v[0].clone(), v[1].clone())
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub home: PathBuf,
    pub key: Value,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server over the bundled `examples/advisories`.
pub fn start() -> Server {
    start_with(&[])
}

/// A server over the bundled advisories plus extra advisory files `(file name, contents)`.
pub fn start_with(extra: &[(&str, &str)]) -> Server {
    start_full(extra, &[])
}

/// A server over the bundled advisories plus extra advisory files, with extra environment
/// variables for the server process (`VIGIL_AGENT_HEARTBEAT_WINDOW`, ...).
pub fn start_full(extra: &[(&str, &str)], env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let db = dir.path().join("advisories.db");
    let mut import = vigil();
    import
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(repo().join("examples/advisories"));
    if !extra.is_empty() {
        let extra_dir = dir.path().join("extra-advisories");
        std::fs::create_dir_all(&extra_dir).expect("extra dir");
        for (name, text) in extra {
            std::fs::write(extra_dir.join(name), text).expect("extra advisory");
        }
        import.arg(&extra_dir);
    }
    run_ok(&mut import);
    let key: Value = serde_json::from_str(&run_ok(
        vigil()
            .args(["admin", "create-key", "--account", ACCOUNT, "--data-dir"])
            .arg(&data),
    ))
    .expect("key json");
    let (child, port) = spawn_server_env(&data, &db, env);
    // an AWS profile for the CLI and boto3, in a home of its own
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".aws")).expect("aws dir");
    std::fs::write(
        home.join(".aws/credentials"),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            key["accessKeyId"].as_str().expect("id"),
            key["secretAccessKey"].as_str().expect("secret")
        ),
    )
    .expect("credentials");
    std::fs::write(
        home.join(".aws/config"),
        "[default]\nregion = us-east-1\noutput = json\n",
    )
    .expect("config");
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        dir,
        data,
        home,
        key,
    }
}

impl Server {
    pub fn env(&self, c: &mut Command) {
        c.env("HOME", &self.home)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION");
    }

    pub fn aws_cmd(&self, service: &str, args: &[&str]) -> Command {
        let mut c = Command::new("aws");
        self.env(&mut c);
        c.args([service, "--endpoint-url", &self.url]).args(args);
        c
    }

    pub fn aws_service(&self, service: &str, args: &[&str]) -> Value {
        let out = run_ok(&mut self.aws_cmd(service, args));
        if out.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&out).expect("aws json")
        }
    }

    /// `aws inspector2 ARGS` against the server, its JSON answer.
    pub fn aws(&self, args: &[&str]) -> Value {
        self.aws_service("inspector2", args)
    }

    /// Runs the CLI expecting failure; answers its stderr.
    pub fn aws_err(&self, args: &[&str]) -> String {
        let out = run(&mut self.aws_cmd("inspector2", args));
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `vigil scan TARGET --server URL --resource-id ID`, its JSON answer.
    pub fn scan(&self, target: &str, resource_id: &str) -> Value {
        let mut c = vigil();
        self.env(&mut c);
        c.args([
            "scan",
            target,
            "--server",
            &self.url,
            "--resource-id",
            resource_id,
        ]);
        serde_json::from_str(&run_ok(&mut c)).expect("scan answer")
    }

    /// A Python script (boto3) with `VIGIL_URL` set; its JSON output.
    pub fn python(&self, script: &str) -> Value {
        let mut c = Command::new("python3");
        self.env(&mut c);
        c.arg("-c").arg(script).env("VIGIL_URL", &self.url);
        serde_json::from_str(&run_ok(&mut c)).expect("python json")
    }

    /// A SigV4-signed (by botocore) POST of `body` to one of Vigil's native endpoints; answers
    /// the JSON, or `{"status": HTTP status, "type": error type, "message"}` for an error.
    pub fn native(&self, path: &str, body: &Value) -> Value {
        self.native_raw(path, body.to_string().as_bytes())
    }

    /// [`Server::native`] with a body of any size (passed through a file).
    pub fn native_raw(&self, path: &str, body: &[u8]) -> Value {
        self.native_as(&self.home, path, body)
    }

    /// [`Server::native_raw`] signed with the credentials of another home's AWS profile (another
    /// account's key).
    pub fn native_as(&self, home: &Path, path: &str, body: &[u8]) -> Value {
        let file = tempfile::NamedTempFile::new_in(self.dir.path()).expect("request file");
        std::fs::write(file.path(), body).expect("request body");
        let mut c = Command::new("python3");
        self.env(&mut c);
        c.env("HOME", home)
            .arg("-c")
            .arg(
                r#"
import json, os, sys, urllib.request, urllib.error, botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
creds = botocore.session.get_session().get_credentials()
data = open(sys.argv[2], "rb").read()
r = AWSRequest(method="POST", url=os.environ["VIGIL_URL"] + sys.argv[1], data=data,
               headers={"content-type": "application/json"})
SigV4Auth(creds, "inspector2", "us-east-1").add_auth(r)
req = urllib.request.Request(r.url, data=r.body, headers=dict(r.headers.items()), method="POST")
try:
    print(json.dumps(json.load(urllib.request.urlopen(req, timeout=600))))
except urllib.error.HTTPError as e:
    body = e.read()
    try:
        message = json.loads(body).get("message")
    except Exception:
        message = body.decode(errors="replace")
    print(json.dumps({"status": e.code, "type": e.headers.get("x-amzn-ErrorType"), "message": message}))
"#,
            )
            .arg(path)
            .arg(file.path())
            .env("VIGIL_URL", &self.url);
        serde_json::from_str(&run_ok(&mut c)).expect("native json")
    }

    /// A key for another account, and a home whose AWS profile uses it (for
    /// [`Server::native_as`]).
    pub fn second_account(&self, account: &str) -> PathBuf {
        let key: Value = serde_json::from_str(&run_ok(
            vigil()
                .args(["admin", "create-key", "--account", account, "--data-dir"])
                .arg(&self.data),
        ))
        .expect("key json");
        let home = self.dir.path().join(format!("home-{account}"));
        std::fs::create_dir_all(home.join(".aws")).expect("aws dir");
        std::fs::write(
            home.join(".aws/credentials"),
            format!(
                "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                key["accessKeyId"].as_str().expect("id"),
                key["secretAccessKey"].as_str().expect("secret")
            ),
        )
        .expect("credentials");
        std::fs::write(
            home.join(".aws/config"),
            "[default]\nregion = us-east-1\noutput = json\n",
        )
        .expect("config");
        home
    }
}

pub fn tools_present() {
    let aws = Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let boto = Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        aws && boto,
        "the AWS CLI and boto3 are needed: python3 -m pip install awscli boto3"
    );
}

/// Debian's `docker-registry` on 127.0.0.1, stopped (and its storage removed) on drop.
pub struct DockerRegistry {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// `docker-registry` on `port` (a free one when `None`); with `user`, behind htpasswd basic
/// auth (a bcrypt file made by `htpasswd -B`); with `notify`, sending its notifications to
/// (URL, bearer token).
pub fn start_docker_registry(
    port: Option<u16>,
    user: Option<(&str, &str)>,
    notify: Option<(&str, &str)>,
) -> DockerRegistry {
    let bin = "/usr/bin/docker-registry";
    assert!(
        Path::new(bin).is_file(),
        "Debian's docker-registry is needed (apt-get install docker-registry; scripts/test.sh installs it)"
    );
    let dir = tempfile::tempdir().expect("tmp");
    let port = port.unwrap_or_else(free_port);
    let mut auth = String::new();
    if let Some((u, p)) = user {
        let out = Command::new("htpasswd")
            .args(["-Bbn", u, p])
            .output()
            .expect("htpasswd (apt-get install apache2-utils; scripts/test.sh installs it)");
        assert!(out.status.success());
        let file = dir.path().join("htpasswd");
        std::fs::write(&file, &out.stdout).expect("htpasswd file");
        auth = format!(
            "auth:\n  htpasswd:\n    realm: vigil-test\n    path: {}\n",
            file.display()
        );
    }
    let notifications = match notify {
        None => String::new(),
        Some((url, token)) => format!(
            "notifications:\n  endpoints:\n    - name: vigil\n      url: {url}\n      headers:\n        Authorization: [\"Bearer {token}\"]\n      timeout: 5s\n      threshold: 10\n      backoff: 1s\n"
        ),
    };
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n{auth}http:\n  addr: 127.0.0.1:{port}\n{notifications}",
            dir.path().join("data").display()
        ),
    )
    .expect("config");
    let mut child = Command::new(bin)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start docker-registry");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return DockerRegistry {
                child,
                port,
                _dir: dir,
            };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("docker-registry did not start on 127.0.0.1:{port}");
}

/// `moto_server` (moto's AWS look-alike: S3, Security Hub, ...) on a free loopback port,
/// killed on drop.
pub struct Moto {
    pub child: Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `moto_server` with extra environment variables; waits until it listens.
pub fn start_moto(env: &[(&str, &str)]) -> Moto {
    let port = free_port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server (python3 -m pip install 'moto[server]==5.2.5'; scripts/test.sh installs it)");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    wait_for_port(port);
    moto
}

/// Waits (30 s at most) until something listens on a loopback port.
pub fn wait_for_port(port: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Signs (botocore, service inspector2, user agent `vigil-test/1`) and sends each call
/// `(key, region, path, body)`; answers each call's JSON, or `{"status", "type", "message"}`
/// for an error.
pub fn signed_calls(server: &Server, plan: &[(&Value, &str, &str, Value)]) -> Vec<Value> {
    let plan: Vec<Value> = plan
        .iter()
        .map(|(key, region, path, body)| {
            json!([
                key["accessKeyId"],
                key["secretAccessKey"],
                region,
                path,
                body.to_string()
            ])
        })
        .collect();
    let file = tempfile::NamedTempFile::new_in(server.dir.path()).expect("plan file");
    let file = file.into_temp_path();
    std::fs::write(&file, serde_json::to_string(&plan).expect("plan json")).expect("plan");
    let out = server.python(&format!(
        r#"
import json, os, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
out = []
for key, secret, region, path, body in json.load(open({plan:?})):
    r = AWSRequest(method="POST", url=os.environ["VIGIL_URL"] + path, data=body.encode(),
                   headers={{"content-type": "application/json", "user-agent": "vigil-test/1"}})
    SigV4Auth(Credentials(key, secret), "inspector2", region).add_auth(r)
    req = urllib.request.Request(r.url, data=r.body, headers=dict(r.headers.items()), method="POST")
    try:
        out.append(json.load(urllib.request.urlopen(req, timeout=60)))
    except urllib.error.HTTPError as e:
        b = json.loads(e.read() or b"{{}}")
        out.append({{"status": e.code, "type": e.headers.get("x-amzn-ErrorType"), "message": b.get("message")}})
print(json.dumps(out))
"#,
        plan = file.display().to_string()
    ));
    out.as_array().expect("answers").clone()
}

/// `vigil admin create-principal` in an account of the server's data directory: the principal
/// with its `accessKeyId` and `secretAccessKey`.
pub fn create_principal(
    server: &Server,
    account: &str,
    name: &str,
    kind: &str,
    extra: &[&str],
) -> Value {
    let mut c = vigil();
    c.args([
        "admin",
        "create-principal",
        "--account",
        account,
        "--name",
        name,
        "--kind",
        kind,
        "--data-dir",
    ])
    .arg(&server.data)
    .args(extra);
    serde_json::from_str(&run_ok(&mut c)).expect("principal json")
}

/// `vigil admin set-password` for a principal, the password passed in the environment (as a
/// user would: never on the command line); the command's output.
pub fn set_password_cmd(server: &Server, account: &str, name: &str, password: &str) -> Output {
    let mut c = vigil();
    c.args([
        "admin",
        "set-password",
        "--account",
        account,
        "--name",
        name,
        "--password-env",
        "PW",
        "--data-dir",
    ])
    .arg(&server.data)
    .env("PW", password);
    run(&mut c)
}

/// `playwright-core` from the test cache (`scripts/test.sh` installs it), or a clear failure.
pub fn node_modules() -> std::path::PathBuf {
    let cache = std::env::var_os("VIGIL_TEST_CACHE")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache/vigil-tests"))
        })
        .expect("HOME or VIGIL_TEST_CACHE");
    let m = cache.join("node_modules");
    assert!(
        m.join("playwright-core/package.json").is_file()
            && std::path::Path::new("/usr/bin/chromium").is_file(),
        "the browser test needs Debian's chromium and playwright-core in {}: run scripts/test.sh (apt-get install chromium; npm install --prefix {} playwright-core@1.64.1)",
        m.display(),
        cache.display()
    );
    m
}

/// The AWS network fixtures of `vigil-network` (a web and an app tier) as
/// `/vigil/v1/network/analyze` takes them: file name -> text.
pub fn network_fixtures() -> Value {
    let dir = repo().join("crates/vigil-network/testdata/aws/web-and-app");
    let mut files = serde_json::Map::new();
    for e in std::fs::read_dir(&dir).expect("fixtures") {
        let p = e.expect("entry").path();
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        files.insert(name, json!(std::fs::read_to_string(&p).expect("read")));
    }
    Value::Object(files)
}

/// Submits the demo image's SBOM without its image facts as the host `i-0web0000000000001`
/// (web-1, 10.0.1.10): an EC2 host with the image's packages. Answers the scan.
pub fn scan_demo_as_host(s: &Server, sbom: &Path) -> Value {
    let mut host_sbom: Value =
        serde_json::from_str(&std::fs::read_to_string(sbom).expect("sbom")).expect("sbom json");
    if let Some(props) = host_sbom
        .pointer_mut("/metadata/component/properties")
        .and_then(Value::as_array_mut)
    {
        props.retain(|p| !p["name"].as_str().unwrap_or("").starts_with("vigil:image:"));
    }
    let host = s.native(
        "/vigil/v1/scans",
        &json!({"sbom": host_sbom, "resourceId": "i-0web0000000000001",
                "host": {"hostname": "web-1", "ipV4Addresses": ["10.0.1.10"]}}),
    );
    assert_eq!(host["resourceType"], "AWS_EC2_INSTANCE", "{host}");
    host
}

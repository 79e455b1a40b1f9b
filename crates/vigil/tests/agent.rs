//! `vigil agent` against a real `vigil server`: registration, the inotify watch, finding
//! lifecycle on package changes, heartbeats and the unmanaged state, the deep-inspection
//! configuration through the real AWS CLI, `--once` and bad credentials.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const MACHINE_ID: &str = "0123456789abcdef0123456789abcdef";
const RESOURCE_ID: &str = "i-0123456789abcdef0";

/// Two bookworm entries of the Debian security tracker's `data/DSA/list`, cut by hand.
const DSA_BOOKWORM: &str = "[06 Dec 2023] DSA-5587-1 curl - security update
\t{CVE-2023-46218 CVE-2023-46219}
\t[bookworm] - curl 7.88.1-10+deb12u5
[24 Oct 2023] DSA-5532-1 openssl - security update
\t{CVE-2023-5363}
\t[bookworm] - openssl 3.0.11-1~deb12u2
";

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"
NAME=\"Debian GNU/Linux\"
VERSION_ID=\"12\"
VERSION=\"12 (bookworm)\"
VERSION_CODENAME=bookworm
ID=debian
";

/// Stanzas of the demo image's dpkg status (examples/demo-image) plus a vulnerable libcurl4.
const DPKG_BASE: &str = "Package: curl
Status: install ok installed
Priority: optional
Section: web
Architecture: amd64
Version: 7.88.1-10+deb12u15

Package: gzip
Essential: yes
Status: install ok installed
Priority: required
Section: utils
Architecture: amd64
Version: 1.12-1

Package: libcurl4
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Source: curl
Version: 7.88.1-10+deb12u4
";

/// An old libssl3, appended while the agent runs.
const DPKG_OLD_OPENSSL: &str = "
Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1
";

fn test_root(base: &Path) -> PathBuf {
    let root = base.join("root");
    std::fs::create_dir_all(root.join("etc")).expect("etc");
    std::fs::create_dir_all(root.join("var/lib/dpkg")).expect("dpkg");
    std::fs::write(root.join("etc/os-release"), OS_RELEASE).expect("os-release");
    std::fs::write(root.join("etc/machine-id"), format!("{MACHINE_ID}\n")).expect("machine-id");
    std::fs::write(root.join("etc/hostname"), "agent-test-host\n").expect("hostname");
    std::fs::write(root.join("var/lib/dpkg/status"), DPKG_BASE).expect("status");
    root
}

/// Polls `f` until it answers `Some`, failing after `secs`.
fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn findings_of(s: &common::Server, resource: &str) -> Vec<Value> {
    let criteria = format!(r#"{{"resourceId":[{{"comparison":"EQUALS","value":"{resource}"}}]}}"#);
    s.aws(&["list-findings", "--filter-criteria", &criteria])["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The status of the finding of `cve` on `resource`, if there is one.
fn status_of(s: &common::Server, resource: &str, cve: &str) -> Option<String> {
    findings_of(s, resource)
        .iter()
        .find(|f| f["packageVulnerabilityDetails"]["vulnerabilityId"] == cve)
        .and_then(|f| f["status"].as_str().map(str::to_owned))
}

fn coverage_of(s: &common::Server, resource: &str) -> Option<Value> {
    s.aws(&["list-coverage"])["coveredResources"]
        .as_array()?
        .iter()
        .find(|r| r["resourceId"] == resource)
        .cloned()
}

struct Agent {
    child: Child,
    log: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Agent {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// `vigil agent` with credentials in the environment (and an empty HOME: no profile).
fn agent_cmd(s: &common::Server, root: &Path, extra: &[&str]) -> Command {
    let mut c = common::vigil();
    s.env(&mut c);
    let home = s.dir.path().join("empty-home");
    std::fs::create_dir_all(&home).expect("home");
    c.env("HOME", &home)
        .env(
            "AWS_ACCESS_KEY_ID",
            s.key["accessKeyId"].as_str().expect("id"),
        )
        .env(
            "AWS_SECRET_ACCESS_KEY",
            s.key["secretAccessKey"].as_str().expect("secret"),
        )
        .env("AWS_REGION", "us-east-1")
        .args(["-vv", "agent", "--server", &s.url, "--root"])
        .arg(root)
        .args(extra);
    c
}

fn spawn_agent(s: &common::Server, root: &Path, extra: &[&str]) -> Agent {
    let log = s.dir.path().join("agent.log");
    let file = std::fs::File::create(&log).expect("log");
    let child = agent_cmd(s, root, extra)
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("start agent");
    Agent { child, log }
}

#[test]
fn agent_registers_watches_heartbeats_and_honours_deep_paths() {
    common::tools_present();
    let s = common::start_full(
        &[("DSA.list", DSA_BOOKWORM)],
        &[("VIGIL_AGENT_HEARTBEAT_WINDOW", "2")],
    );
    let root = test_root(s.dir.path());
    let agent = spawn_agent(
        &s,
        &root,
        &["--debounce", "300", "--heartbeat", "1", "--tag", "team=ops"],
    );

    // (a) registration: an EC2 instance with the host's facts and its findings
    let covered = wait_for(20, "the host in list-coverage", || {
        coverage_of(&s, RESOURCE_ID)
    });
    assert_eq!(covered["resourceType"], "AWS_EC2_INSTANCE", "{covered}");
    assert_eq!(covered["scanStatus"]["statusCode"], "ACTIVE", "{covered}");
    assert_eq!(covered["resourceMetadata"]["ec2"]["platform"], "LINUX");
    assert_eq!(covered["resourceMetadata"]["ec2"]["tags"]["team"], "ops");
    let curl = wait_for(20, "the libcurl4 finding", || {
        status_of(&s, RESOURCE_ID, "CVE-2023-46218")
    });
    assert_eq!(curl, "ACTIVE", "{}", agent.log());
    let findings = findings_of(&s, RESOURCE_ID);
    let res = &findings[0]["resources"][0];
    assert_eq!(res["type"], "AWS_EC2_INSTANCE");
    assert_eq!(res["details"]["awsEc2Instance"]["platform"], "DEBIAN_12");
    assert!(
        res["details"]["awsEc2Instance"]["ipV4Addresses"].is_array(),
        "{res}"
    );
    assert_eq!(status_of(&s, RESOURCE_ID, "CVE-2023-5363"), None);

    // (b) an old package appended to the dpkg status: a new finding within seconds
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(root.join("var/lib/dpkg/status"))
            .expect("open status");
        f.write_all(DPKG_OLD_OPENSSL.as_bytes())
            .expect("append stanza");
    }
    wait_for(20, "the libssl3 finding", || {
        (status_of(&s, RESOURCE_ID, "CVE-2023-5363").as_deref() == Some("ACTIVE")).then_some(())
    });

    // (c) the package removed again (dpkg's way: a new file renamed over the old one)
    let tmp = root.join("var/lib/dpkg/status-new");
    std::fs::write(&tmp, DPKG_BASE).expect("status-new");
    std::fs::rename(&tmp, root.join("var/lib/dpkg/status")).expect("rename");
    wait_for(20, "the libssl3 finding closed", || {
        (status_of(&s, RESOURCE_ID, "CVE-2023-5363").as_deref() == Some("CLOSED")).then_some(())
    });
    assert_eq!(
        status_of(&s, RESOURCE_ID, "CVE-2023-46218").as_deref(),
        Some("ACTIVE")
    );
    // the first inventory and one per change, not one per heartbeat
    let sent = agent.log().matches("inventory sent").count();
    assert!(
        (3..=5).contains(&sent),
        "{sent} inventories:\n{}",
        agent.log()
    );

    // (e) deep inspection: a custom path set through the real AWS CLI is searched
    let got = s.aws(&["get-ec2-deep-inspection-configuration"]);
    assert_eq!(got["status"], "ACTIVATED", "{got}");
    assert_eq!(got["packagePaths"], serde_json::json!([]));
    let site = root.join("srv/app/lib/python3.11/site-packages/requests-2.19.0.dist-info");
    std::fs::create_dir_all(&site).expect("site-packages");
    std::fs::write(
        site.join("METADATA"),
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n",
    )
    .expect("METADATA");
    // not a deep path yet: the agent does not look there
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(status_of(&s, RESOURCE_ID, "CVE-2018-18074"), None);
    let updated = s.aws(&[
        "update-ec2-deep-inspection-configuration",
        "--activate-deep-inspection",
        "--package-paths",
        "/srv/app",
    ]);
    assert_eq!(updated["packagePaths"], serde_json::json!(["/srv/app"]));
    let got = s.aws(&["get-ec2-deep-inspection-configuration"]);
    assert_eq!(
        got["packagePaths"],
        serde_json::json!(["/srv/app"]),
        "{got}"
    );
    assert_eq!(got["status"], "ACTIVATED");
    wait_for(20, "the PyPI finding under the deep path", || {
        findings_of(&s, RESOURCE_ID)
            .iter()
            .find(|f| f["packageVulnerabilityDetails"]["vulnerabilityId"] == "CVE-2018-18074")
            .map(|f| {
                assert_eq!(
                    f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["name"],
                    "requests"
                );
            })
    });
    let bad = s.aws_err(&[
        "update-ec2-deep-inspection-configuration",
        "--package-paths",
        "relative/path",
    ]);
    assert!(bad.contains("ValidationException"), "{bad}");
    assert!(
        coverage_of(&s, RESOURCE_ID).is_some_and(|c| c["scanStatus"]["statusCode"] == "ACTIVE"),
        "{}",
        agent.log()
    );

    // (d) the agent stops: after three heartbeat windows (2 s each here) the host is unmanaged
    drop(agent);
    wait_for(20, "the host unmanaged", || {
        coverage_of(&s, RESOURCE_ID).filter(|c| {
            c["scanStatus"]["statusCode"] == "INACTIVE"
                && c["scanStatus"]["reason"] == "UNMANAGED_EC2_INSTANCE"
        })
    });
}

#[test]
fn once_sends_one_inventory_and_exits_and_bad_credentials_fail_loudly() {
    common::tools_present();
    let s = common::start_with(&[("DSA.list", DSA_BOOKWORM)]);
    let root = test_root(s.dir.path());
    // --once, credentials from a credentials file (none in the environment)
    let creds = s.dir.path().join("agent-credentials");
    std::fs::write(
        &creds,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = us-east-1\n",
            s.key["accessKeyId"].as_str().expect("id"),
            s.key["secretAccessKey"].as_str().expect("secret")
        ),
    )
    .expect("credentials file");
    let mut once = common::vigil();
    s.env(&mut once);
    once.env("HOME", s.dir.path())
        .args(["agent", "--once", "--server", &s.url, "--root"])
        .arg(&root)
        .arg("--credentials-file")
        .arg(&creds)
        .args(["--resource-id", "once-host"]);
    let out = once.output().expect("run agent --once");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let covered = coverage_of(&s, "once-host").expect("once-host covered");
    assert_eq!(covered["resourceType"], "AWS_EC2_INSTANCE");
    assert_eq!(covered["scanStatus"]["statusCode"], "ACTIVE");
    assert_eq!(
        status_of(&s, "once-host", "CVE-2023-46218").as_deref(),
        Some("ACTIVE")
    );

    // an OS the inventory cannot identify: INACTIVE/UNSUPPORTED_OS
    let bare = s.dir.path().join("bare-root");
    std::fs::create_dir_all(bare.join("etc")).expect("bare etc");
    std::fs::write(bare.join("etc/hostname"), "bare-host\n").expect("bare hostname");
    let out = agent_cmd(&s, &bare, &["--once"])
        .output()
        .expect("run agent on a bare root");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bare_cov = coverage_of(&s, "bare-host").expect("bare-host covered");
    assert_eq!(
        bare_cov["scanStatus"]["statusCode"], "INACTIVE",
        "{bare_cov}"
    );
    assert_eq!(bare_cov["scanStatus"]["reason"], "UNSUPPORTED_OS");

    // bad credentials: a clear error and a non-zero exit, not a silent loop
    let mut bad = agent_cmd(&s, &root, &["--heartbeat", "1"]);
    bad.env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = bad.spawn().expect("start agent");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the agent with bad credentials did not exit");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    assert!(!status.success());
    assert!(err.contains("error:") && err.contains("403"), "{err}");
    // and none on the command line: there is no such option
    let out = common::vigil()
        .args(["agent", "--server", &s.url, "--secret-access-key", "x"])
        .output()
        .expect("run");
    assert!(!out.status.success());
}

/// Hosts without an agent: a root filesystem mounted below the server's `--agentless-root` is
/// registered and inventoried by the `agentless-rescan` job; paths elsewhere are refused; an
/// unreadable root is a coverage status.
#[test]
fn agentless_roots_are_inventoried_on_their_interval() {
    use serde_json::json;
    common::tools_present();
    let mnt = tempfile::tempdir().expect("mnt");
    let s = common::start_full(
        &[("DSA.list", DSA_BOOKWORM)],
        &[("VIGIL_AGENTLESS_ROOTS", mnt.path().to_str().expect("utf-8"))],
    );
    let root = test_root(mnt.path());
    let register = |id: &str, path: &Path, interval: Value| {
        s.native(
            "/vigil/v1/hosts/agentless/register",
            &json!({"resourceId": id, "rootPath": path, "scanIntervalSeconds": interval, "tags": {"team": "db"}}),
        )
    };
    let rescan = || s.native("/vigil/v1/jobs/run", &json!({"name": "agentless-rescan"}));
    let r = register("host-nfs-1", &root, json!(600));
    assert_eq!(r["root"]["scanIntervalSeconds"], 600, "{r}");

    // the first scan is due at once
    let r = rescan();
    assert_eq!(r["result"]["scanned"][0]["resourceId"], "host-nfs-1", "{r}");
    assert_eq!(
        status_of(&s, "host-nfs-1", "CVE-2023-46218").as_deref(),
        Some("ACTIVE")
    );
    let covered = coverage_of(&s, "host-nfs-1").expect("covered");
    assert_eq!(covered["scanMode"], "EC2_AGENTLESS", "{covered}");
    assert_eq!(covered["scanStatus"]["reason"], "SUCCESSFUL", "{covered}");
    assert_eq!(covered["resourceMetadata"]["ec2"]["platform"], "LINUX");
    assert_eq!(covered["resourceMetadata"]["ec2"]["tags"]["team"], "db");
    let listed = s.native("/vigil/v1/hosts/agentless/list", &json!({}));
    assert!(listed["roots"][0]["lastScanAt"].is_string(), "{listed}");

    // not due again before its interval: an installed package waits for the next scan
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(root.join("var/lib/dpkg/status"))
            .expect("open status");
        f.write_all(DPKG_OLD_OPENSSL.as_bytes()).expect("append");
    }
    let r = rescan();
    assert_eq!(r["result"]["scanned"], json!([]), "{r}");
    assert_eq!(status_of(&s, "host-nfs-1", "CVE-2023-5363"), None);
    // re-registering makes it due now
    register("host-nfs-1", &root, json!(600));
    rescan();
    assert_eq!(
        status_of(&s, "host-nfs-1", "CVE-2023-5363").as_deref(),
        Some("ACTIVE")
    );
    std::fs::write(root.join("var/lib/dpkg/status"), DPKG_BASE).expect("status");
    register("host-nfs-1", &root, json!(600));
    rescan();
    assert_eq!(
        status_of(&s, "host-nfs-1", "CVE-2023-5363").as_deref(),
        Some("CLOSED")
    );

    // refused: outside the allowed root, the allowed root itself, a missing path, intervals
    for (path, interval) in [
        (s.dir.path().to_path_buf(), json!(600)),
        (PathBuf::from("/etc"), json!(600)),
        (mnt.path().to_path_buf(), json!(600)),
        (mnt.path().join("missing"), json!(600)),
        (root.clone(), json!(5)),
        (root.clone(), json!("often")),
    ] {
        let r = register("host-bad", &path, interval.clone());
        assert_eq!(r["status"], 400, "{path:?} {interval}: {r}");
    }

    // a root that vanished before its first scan: NO_INVENTORY, and the job says why
    let gone = mnt.path().join("root2");
    std::fs::create_dir_all(gone.join("etc")).expect("root2");
    register("host-nfs-2", &gone, json!(600));
    std::fs::remove_dir_all(&gone).expect("rm root2");
    // (a failed run answers the job's error)
    let r = rescan();
    assert_eq!(r["status"], 500, "{r}");
    let jobs = s.native("/vigil/v1/jobs/list", &json!({}));
    let job = jobs["jobs"]
        .as_array()
        .and_then(|j| j.iter().find(|j| j["name"] == "agentless-rescan"))
        .expect("job")
        .clone();
    assert!(
        job["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("host-nfs-2")),
        "{job}"
    );
    let covered = coverage_of(&s, "host-nfs-2").expect("covered");
    assert_eq!(covered["scanStatus"]["statusCode"], "INACTIVE", "{covered}");
    assert_eq!(covered["scanStatus"]["reason"], "NO_INVENTORY", "{covered}");
    // deregistered: no more scans
    let r = s.native(
        "/vigil/v1/hosts/agentless/deregister",
        &json!({"resourceId": "host-nfs-2"}),
    );
    assert_eq!(r["resourceId"], "host-nfs-2", "{r}");
    let listed = s.native("/vigil/v1/hosts/agentless/list", &json!({}));
    assert_eq!(
        listed["roots"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
}

/// A public host whose security group opens TCP `ports` to the internet; the host is the
/// agent's resource. The model lists no sockets: they come from the agent.
fn public_host_model(ports: &[u16]) -> String {
    let rules: String = ports
        .iter()
        .map(|p| {
            format!(
                "      - {{ protocol: tcp, ports: {{ from: {p}, to: {p} }}, peers: [{{ kind: cidr, value: 0.0.0.0/0 }}] }}\n"
            )
        })
        .collect();
    format!(
        "networks: [{{ id: vpc-1, cidrs: [10.0.0.0/16] }}]
gateways: [{{ id: igw-1, kind: internet, network: vpc-1 }}]
route_tables:
  - id: rtb-1
    network: vpc-1
    routes: [{{ destination: 0.0.0.0/0, target: {{ kind: internet_gateway, id: igw-1 }} }}]
acls:
  - id: acl-1
    network: vpc-1
    inbound: [{{ number: 100, action: allow, protocol: all, ports: {{ from: 0, to: 65535 }}, cidr: 0.0.0.0/0 }}]
    outbound: [{{ number: 100, action: allow, protocol: all, ports: {{ from: 0, to: 65535 }}, cidr: 0.0.0.0/0 }}]
subnets: [{{ id: subnet-1, network: vpc-1, cidr: 10.0.1.0/24, route_table: rtb-1, acl: acl-1 }}]
security_groups:
  - id: sg-1
    network: vpc-1
    inbound:
{rules}hosts:
  - id: {RESOURCE_ID}
    interfaces:
      - {{ id: eni-1, subnet: subnet-1, private_ip: 10.0.1.10, public_ip: 198.51.100.10, security_groups: [sg-1] }}
"
    )
}

/// The agent host's findings as the server answers them (with Vigil's `vigil` members, which
/// the AWS CLI leaves out).
fn raw_findings_of(s: &common::Server) -> Vec<Value> {
    let criteria =
        serde_json::json!({"resourceId": [{"comparison": "EQUALS", "value": RESOURCE_ID}]});
    s.native(
        "/findings/list",
        &serde_json::json!({"filterCriteria": criteria, "maxResults": 100}),
    )["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The NETWORK_REACHABILITY finding of `port` on the agent's host, if any.
fn network_finding(s: &common::Server, port: u16) -> Option<Value> {
    raw_findings_of(s).into_iter().find(|f| {
        f["type"] == "NETWORK_REACHABILITY"
            && f["networkReachabilityDetails"]["openPortRange"]["begin"] == port
    })
}

/// The agent reports the machine's listening sockets with its first inventory and, when they
/// change, with a heartbeat; a network analysis of a model naming the agent's host then says
/// which process listens on each exposed port, and that none is known to on another.
#[test]
fn listening_sockets_reach_the_network_analysis() {
    use serde_json::json;
    use std::net::TcpListener;
    common::tools_present();
    let s = common::start_with(&[("DSA.list", DSA_BOOKWORM)]);
    let root = test_root(s.dir.path());
    // a LISTEN socket on every address, owned by this test process (the agent names it by
    // the process's `comm`: the test binary's name, cut to 15 bytes)
    let comm = std::fs::read_to_string("/proc/self/comm").expect("comm");
    let comm = comm.trim_end();
    let before = TcpListener::bind("0.0.0.0:0").expect("bind");
    let p1 = before.local_addr().expect("addr").port();
    // a port nobody listens on
    let p3 = loop {
        let p = TcpListener::bind("0.0.0.0:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        if p != p1 {
            break p;
        }
    };
    let agent = spawn_agent(&s, &root, &["--heartbeat", "1"]);
    // (bounded: registration takes a few seconds, the changed sockets one heartbeat more)
    wait_for(12, "the host in list-coverage", || {
        coverage_of(&s, RESOURCE_ID)
    });
    // a socket opened after registration: a heartbeat carries it
    let after = TcpListener::bind("0.0.0.0:0").expect("bind");
    let p2 = after.local_addr().expect("addr").port();
    assert_ne!(
        p2, p3,
        "the port meant to be closed was taken meanwhile; run again"
    );
    let model = public_host_model(&[p1, p2, p3]);
    let analyze = || {
        s.native(
            "/vigil/v1/network/analyze",
            &json!({"format": "yaml", "model": model}),
        )
    };
    let later = wait_for(12, "the socket opened later in an analysis", || {
        let r = analyze();
        assert_eq!(r["exposures"], 3, "{r}");
        network_finding(&s, p2).filter(|f| {
            f["description"]
                .as_str()
                .is_some_and(|d| d.contains(&format!(":{p2}")))
        })
    });
    assert!(
        later["description"]
            .as_str()
            .is_some_and(|d| d.ends_with(&format!("Listening: {comm} on 0.0.0.0:{p2}."))),
        "{later}\n{}",
        agent.log()
    );
    assert!(
        agent
            .log()
            .contains("heartbeat with changed listening sockets"),
        "{}",
        agent.log()
    );
    let first = network_finding(&s, p1).expect("finding of the first port");
    assert!(
        first["description"]
            .as_str()
            .is_some_and(|d| d.ends_with(&format!("Listening: {comm} on 0.0.0.0:{p1}."))),
        "{first}"
    );
    assert_eq!(
        first["vigil"]["listening"],
        json!([{"host": RESOURCE_ID, "protocol": "tcp", "port": p1, "address": "0.0.0.0", "process": comm}]),
        "{first}"
    );
    let closed = network_finding(&s, p3).expect("finding of the closed port");
    assert!(
        closed["description"]
            .as_str()
            .is_some_and(|d| d.ends_with("No process is known to listen there.")),
        "{closed}"
    );
    assert_eq!(closed["vigil"]["listening"], json!([]));
    // the package findings do not carry the sockets (they change apart from the packages)
    let curl = raw_findings_of(&s)
        .into_iter()
        .find(|f| f["packageVulnerabilityDetails"]["vulnerabilityId"] == "CVE-2023-46218")
        .expect("package finding");
    assert_eq!(curl["resources"][0]["details"]["vigil"]["agent"], true);
    assert!(
        curl["resources"][0]["details"]["vigil"]
            .get("listening")
            .is_none(),
        "{curl}"
    );
    // a heartbeat with a bad socket list is refused, naming the member
    let bad = s.native(
        "/vigil/v1/agents/heartbeat",
        &json!({"resourceId": RESOURCE_ID, "listening": [{"protocol": "tcp", "address": "0.0.0.0", "port": 0}]}),
    );
    assert_eq!(bad["status"], 400, "{bad}");
    drop((before, after));
}

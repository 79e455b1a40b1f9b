//! `vigil agent`: the host agent.
//!
//! It registers the host with a Vigil server by sending its first inventory with the host's
//! facts (hostname, machine id, OS, kernel, addresses), then watches the package databases
//! (dpkg, apk, rpm) and the account's deep-inspection paths with inotify. A change is debounced,
//! the inventory taken again and submitted; heartbeats go out every `--heartbeat` seconds, and
//! with each the deep-inspection configuration is read again. Only inventories leave the
//! host, never files.
//!
//! The host's listening sockets (TCP and UDP port, address, process; see [`listening`]) go with
//! every inventory, and are read again at every heartbeat: when they changed, the heartbeat
//! carries them. Like the addresses, they are the live machine's (its `/proc`), also with
//! `--root` (which only chooses the filesystem inventoried).
//!
//! Bad credentials or a server that refuses the agent stop it with an error at once; a server
//! that cannot be reached later on is retried at the next heartbeat.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};
use serde_json::{Value, json};
use vigil_cli::AgentArgs;
use vigil_inventory::{Registry, ScanOptions};
use vigil_source::{OpenOptions, Progress, TargetKind};
use vigil_types::Inventory;

use crate::server::{Creds, ServerError};

mod listening;

use listening::{Collector, Socket};

/// Where the listening sockets and their processes are read.
const PROC: &str = "/proc";

/// The most directories watched under the deep-inspection paths (each is one inotify watch).
const MAX_WATCHES: usize = 4096;
/// Events waiting between the inotify reader and the agent loop.
const EVENT_QUEUE: usize = 1024;

pub fn run(a: AgentArgs) -> Result<()> {
    let creds = load_credentials(a.credentials_file.as_deref())?;
    let root = a.root.clone();
    if !root.is_dir() {
        bail!("root `{}` is not a directory", root.display());
    }
    let facts = HostFacts::collect(&root);
    let resource_id = match a.resource_id.clone() {
        Some(id) => id,
        None => facts
            .default_resource_id()
            .context("cannot name this host: no machine id and no hostname; pass --resource-id")?,
    };
    let agent = Agent {
        creds,
        server: a.server.clone(),
        resource_id,
        tags: a.tags.iter().cloned().collect(),
        // the packages a listening process runs, by the root's dpkg file lists
        listening: std::cell::RefCell::new(Collector::with_dpkg_info(
            root.join("var/lib/dpkg/info"),
        )),
        facts,
        root,
    };
    // First contact: credentials and server are checked here, once, loudly.
    let mut deep = agent
        .deep_inspection()
        .context("cannot read the deep-inspection configuration from the server")?;
    let sent = agent
        .submit(&deep)
        .context("cannot send the first inventory")?;
    if a.once {
        return Ok(());
    }
    agent.watch_loop(
        &mut deep,
        sent,
        Duration::from_secs(a.heartbeat),
        Duration::from_millis(a.debounce),
    )
}

/// Credentials from `--credentials-file` (an INI file like `~/.aws/credentials`), else the
/// AWS-style environment and profile files.
fn load_credentials(file: Option<&Path>) -> Result<Creds> {
    let Some(file) = file else {
        return crate::server::credentials();
    };
    if !file.is_file() {
        bail!("credentials file `{}` does not exist", file.display());
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let section = crate::server::ini_section(&file.to_path_buf(), &profile);
    let get = |k: &str| section.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    let (Some(id), Some(secret)) = (get("aws_access_key_id"), get("aws_secret_access_key")) else {
        bail!(
            "credentials file `{}` has no aws_access_key_id and aws_secret_access_key in profile `{profile}`",
            file.display()
        );
    };
    let region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| get("region"))
        .unwrap_or_else(|| "us-east-1".into());
    Ok(Creds {
        creds: vigil_sigv4::Credentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: get("aws_session_token"),
        },
        region,
    })
}

/// What the agent tells the server about its host.
#[derive(Debug, Default)]
struct HostFacts {
    hostname: Option<String>,
    machine_id: Option<String>,
    os: BTreeMap<String, String>,
    kernel: Option<String>,
    ipv4: Vec<String>,
    ipv6: Vec<String>,
}

fn first_line(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

impl HostFacts {
    fn collect(root: &Path) -> HostFacts {
        let is_slash = root == Path::new("/");
        let hostname = first_line(&root.join("etc/hostname"))
            .or_else(|| first_line(Path::new("/proc/sys/kernel/hostname")));
        let machine_id = first_line(&root.join("etc/machine-id"))
            .filter(|m| m.len() >= 17 && m.chars().all(|c| c.is_ascii_hexdigit()));
        let os = ["etc/os-release", "usr/lib/os-release"]
            .iter()
            .find_map(|p| std::fs::read_to_string(root.join(p)).ok())
            .map(|t| parse_os_release(&t))
            .unwrap_or_default();
        // the running kernel says nothing about another root
        let kernel = is_slash
            .then(|| first_line(Path::new("/proc/sys/kernel/osrelease")))
            .flatten();
        // the addresses are those of the network the agent runs in
        let ipv4 = std::fs::read_to_string("/proc/net/fib_trie")
            .map(|t| local_ipv4(&t))
            .unwrap_or_default();
        let ipv6 = std::fs::read_to_string("/proc/net/if_inet6")
            .map(|t| global_ipv6(&t))
            .unwrap_or_default();
        HostFacts {
            hostname,
            machine_id,
            os,
            kernel,
            ipv4,
            ipv6,
        }
    }

    /// `i-` and the first 17 hex digits of the machine id (an EC2-like id), else the hostname.
    fn default_resource_id(&self) -> Option<String> {
        self.machine_id
            .as_ref()
            .map(|m| format!("i-{}", m[..17].to_ascii_lowercase()))
            .or_else(|| self.hostname.clone())
    }

    fn to_json(&self) -> Value {
        json!({
            "hostname": self.hostname,
            "machineId": self.machine_id,
            "kernel": self.kernel,
            "os": {
                "id": self.os.get("ID"),
                "versionId": self.os.get("VERSION_ID"),
                "prettyName": self.os.get("PRETTY_NAME"),
            },
            "ipV4Addresses": self.ipv4,
            "ipV6Addresses": self.ipv6,
        })
    }
}

fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.trim().split_once('='))
        .filter(|(k, _)| !k.starts_with('#'))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_owned(), v.to_owned())
        })
        .collect()
}

/// The host's own IPv4 addresses from `/proc/net/fib_trie`: an address line followed by a
/// `/32 host LOCAL` leaf. Loopback is left out.
fn local_ipv4(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last: Option<std::net::Ipv4Addr> = None;
    for line in text.lines() {
        let t = line.trim_start_matches([' ', '|', '+', '-']).trim();
        if let Ok(ip) = t.parse::<std::net::Ipv4Addr>() {
            last = Some(ip);
        } else if t.starts_with("/32 host LOCAL")
            && let Some(ip) = last
            && !ip.is_loopback()
            && !out.contains(&ip.to_string())
        {
            out.push(ip.to_string());
        }
    }
    out
}

/// IPv6 addresses from `/proc/net/if_inet6` (`addr ifindex plen scope flags name`): not on
/// `lo`, not loopback, not link-local.
fn global_ipv6(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 || f[5] == "lo" || f[0].len() != 32 {
            continue;
        }
        let Ok(n) = u128::from_str_radix(f[0], 16) else {
            continue;
        };
        let ip = std::net::Ipv6Addr::from(n);
        let link_local = ip.segments()[0] & 0xffc0 == 0xfe80;
        if !ip.is_loopback() && !link_local && !out.contains(&ip.to_string()) {
            out.push(ip.to_string());
        }
    }
    out
}

/// The account's deep-inspection setting: `None` when deactivated (no language packages on
/// the host), else the custom paths searched besides the default ones.
type DeepPaths = Option<Vec<String>>;

struct Agent {
    creds: Creds,
    server: String,
    root: PathBuf,
    resource_id: String,
    tags: BTreeMap<String, String>,
    facts: HostFacts,
    listening: std::cell::RefCell<Collector>,
}

/// A refusal that retrying will not mend: bad or revoked credentials.
fn is_fatal(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ServerError>()
        .is_some_and(|s| matches!(s.status, 401 | 403))
}

fn is_not_found(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ServerError>()
        .is_some_and(|s| s.status == 404)
}

impl Agent {
    fn post(&self, path: &str, body: &Value) -> Result<Value> {
        crate::server::post_with(&self.creds, &self.server, path, body)
    }

    /// The machine's listening sockets now.
    fn sockets(&self) -> Vec<Socket> {
        self.listening.borrow_mut().collect(Path::new(PROC))
    }

    fn deep_inspection(&self) -> Result<DeepPaths> {
        let v = self.post("/ec2deepinspectionconfiguration/get", &json!({}))?;
        if v["status"].as_str() == Some("DEACTIVATED") {
            return Ok(None);
        }
        let mut paths = Vec::new();
        for key in ["packagePaths", "orgPackagePaths"] {
            for p in v[key].as_array().into_iter().flatten() {
                if let Some(p) = p.as_str().and_then(vigil_source::normalize)
                    && !paths.contains(&p)
                {
                    paths.push(p);
                }
            }
        }
        Ok(Some(paths))
    }

    /// The root's inventory, as a host: language packages only under the deep paths.
    fn inventory(&self, deep: &DeepPaths) -> Result<Inventory> {
        let root = self
            .root
            .to_str()
            .with_context(|| format!("root `{}` is not UTF-8", self.root.display()))?;
        let opts = OpenOptions {
            platform: None,
            host: Some(true),
            function_layers: Vec::new(),
        };
        let source = vigil_source::open(TargetKind::Dir, root, &opts)
            .with_context(|| format!("cannot open root `{root}`"))?;
        let mut scan_opts = ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        };
        match deep {
            None => scan_opts.deep_paths.clear(),
            Some(extra) => {
                for p in extra {
                    if !scan_opts.deep_paths.contains(p) {
                        scan_opts.deep_paths.push(p.clone());
                    }
                }
            }
        }
        Ok(vigil_inventory::scan(
            source,
            &Registry::default(),
            &scan_opts,
            &Progress::default(),
        ))
    }

    /// Takes the inventory and submits it with the host's facts and listening sockets (this
    /// also counts as a heartbeat on the server); answers the sockets sent.
    fn submit(&self, deep: &DeepPaths) -> Result<Vec<Socket>> {
        let t0 = Instant::now();
        let inventory = self.inventory(deep)?;
        let packages = inventory.packages.len();
        let sbom: Value = serde_json::from_str(&vigil_sbom::to_cyclonedx(&inventory)?)
            .context("encoding the inventory")?;
        drop(inventory);
        let sockets = self.sockets();
        let mut host = self.facts.to_json();
        host["listening"] = listening::to_json(&sockets);
        let body = json!({
            "sbom": sbom,
            "resourceId": self.resource_id,
            "tags": self.tags,
            "host": host,
        });
        let answer = self.post("/vigil/v1/scans", &body)?;
        tracing::info!(
            resource = %self.resource_id,
            packages,
            listening = sockets.len(),
            findings = answer["findings"].as_u64().unwrap_or(0),
            new = answer["new"].as_u64().unwrap_or(0),
            closed = answer["closed"].as_u64().unwrap_or(0),
            ms = t0.elapsed().as_millis() as u64,
            "inventory sent"
        );
        Ok(sockets)
    }

    /// A heartbeat, with the listening sockets when they changed since the server last got
    /// them.
    fn heartbeat(&self, changed: Option<&[Socket]>) -> Result<()> {
        let mut body = json!({"resourceId": self.resource_id});
        if let Some(sockets) = changed {
            body["listening"] = listening::to_json(sockets);
        }
        self.post("/vigil/v1/agents/heartbeat", &body)?;
        match changed {
            Some(s) => tracing::info!(
                resource = %self.resource_id,
                listening = s.len(),
                "heartbeat with changed listening sockets"
            ),
            None => tracing::debug!(resource = %self.resource_id, "heartbeat"),
        }
        Ok(())
    }

    /// `sent`: the listening sockets the server last got (with the first inventory).
    fn watch_loop(
        &self,
        deep: &mut DeepPaths,
        mut sent: Vec<Socket>,
        beat: Duration,
        debounce: Duration,
    ) -> Result<()> {
        let mut inotify = Inotify::init().context("cannot start inotify")?;
        let mut watcher = Watcher::new(inotify.watches(), &self.root);
        watcher.refresh(deep);
        let (tx, rx) = mpsc::sync_channel::<RawEvent>(EVENT_QUEUE);
        std::thread::Builder::new()
            .name("vigil-inotify".into())
            .spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    let events = match inotify.read_events_blocking(&mut buf) {
                        Ok(e) => e,
                        Err(e) => {
                            tracing::error!("reading inotify events failed: {e}");
                            return;
                        }
                    };
                    for e in events {
                        let ev = RawEvent {
                            wd: e.wd.clone(),
                            mask: e.mask,
                            name: e.name.map(|n| n.to_os_string()),
                        };
                        if tx.send(ev).is_err() {
                            return;
                        }
                    }
                }
            })
            .context("cannot start the inotify reader")?;

        // A stream of changes delays the rescan by at most this long.
        let max_delay = debounce.saturating_mul(10).max(Duration::from_secs(5));
        let mut next_beat = Instant::now() + beat;
        let mut due: Option<Instant> = None;
        let mut first_change: Option<Instant> = None;
        loop {
            let now = Instant::now();
            let wake = due.map_or(next_beat, |d| d.min(next_beat));
            match rx.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(ev) => {
                    if watcher.handle(&ev) {
                        let now = Instant::now();
                        let first = *first_change.get_or_insert(now);
                        due = Some((now + debounce).min(first + max_delay));
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("the inotify reader stopped; see the log above")
                }
            }
            let now = Instant::now();
            if due.is_some_and(|d| now >= d) {
                due = None;
                first_change = None;
                match self.submit(deep) {
                    Ok(sockets) => sent = sockets,
                    Err(e) if is_fatal(&e) => return Err(e.context("the server refused the agent")),
                    Err(e) => {
                        tracing::warn!(
                            "sending the inventory failed (retried at the next heartbeat): {e:#}"
                        );
                        due = Some(next_beat);
                    }
                }
            }
            if now >= next_beat {
                next_beat = now + beat;
                let sockets = self.sockets();
                let changed = (sockets != sent).then_some(sockets.as_slice());
                match self.heartbeat(changed) {
                    Ok(()) => sent = sockets,
                    Err(e) if is_fatal(&e) => return Err(e.context("the server refused the agent")),
                    // the server no longer knows this host (deleted): register again
                    Err(e) if is_not_found(&e) => due = Some(now),
                    Err(e) => tracing::warn!("heartbeat failed: {e:#}"),
                }
                match self.deep_inspection() {
                    Ok(d) if d != *deep => {
                        tracing::info!(paths = ?d, "deep-inspection configuration changed");
                        *deep = d;
                        watcher.reset_deep();
                        due = Some(now);
                    }
                    Ok(_) => {}
                    Err(e) if is_fatal(&e) => return Err(e.context("the server refused the agent")),
                    Err(e) => {
                        tracing::warn!("reading the deep-inspection configuration failed: {e:#}")
                    }
                }
                // directories that did not exist before may have appeared
                if watcher.refresh(deep) {
                    due.get_or_insert(now + debounce);
                }
            }
        }
    }
}

struct RawEvent {
    wd: WatchDescriptor,
    mask: EventMask,
    name: Option<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `var/lib/dpkg`: only `status` matters (dpkg writes `status-new` and renames it).
    Dpkg,
    /// `lib/apk/db`: only `installed`.
    Apk,
    /// A package database directory where every file counts (`status.d`, `var/lib/rpm`).
    AnyFile,
    /// A directory under a deep-inspection path (recursive).
    Deep,
}

/// The package databases and the deep paths, as inotify watches of directories.
struct Watcher {
    watches: Watches,
    root: PathBuf,
    dirs: HashMap<WatchDescriptor, (PathBuf, Kind)>,
    watched: HashSet<PathBuf>,
    full_warned: bool,
}

const PACKAGE_DBS: &[(&str, Kind)] = &[
    ("var/lib/dpkg", Kind::Dpkg),
    ("var/lib/dpkg/status.d", Kind::AnyFile),
    ("lib/apk/db", Kind::Apk),
    ("var/lib/rpm", Kind::AnyFile),
    ("usr/lib/sysimage/rpm", Kind::AnyFile),
];

impl Watcher {
    fn new(watches: Watches, root: &Path) -> Watcher {
        Watcher {
            watches,
            root: root.to_path_buf(),
            dirs: HashMap::new(),
            watched: HashSet::new(),
            full_warned: false,
        }
    }

    fn mask(kind: Kind) -> WatchMask {
        let base = WatchMask::CLOSE_WRITE
            | WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::DONT_FOLLOW
            | WatchMask::ONLYDIR;
        match kind {
            // package databases may be written in place (rpm's sqlite)
            Kind::Deep => base,
            _ => base | WatchMask::MODIFY,
        }
    }

    /// Watches one directory; false when it could not be (missing, limit reached).
    fn add(&mut self, dir: &Path, kind: Kind) -> bool {
        if self.watched.contains(dir) {
            return false;
        }
        if self.dirs.len() >= MAX_WATCHES {
            if !self.full_warned {
                tracing::warn!(
                    limit = MAX_WATCHES,
                    "too many directories to watch; changes deeper in are seen at the next scan only"
                );
                self.full_warned = true;
            }
            return false;
        }
        match self.watches.add(dir, Self::mask(kind)) {
            Ok(wd) => {
                self.dirs.insert(wd, (dir.to_path_buf(), kind));
                self.watched.insert(dir.to_path_buf());
                true
            }
            Err(e) => {
                tracing::debug!(path = %dir.display(), "cannot watch: {e}");
                false
            }
        }
    }

    /// Watches `dir` and every directory below it (symbolic links not followed).
    fn add_tree(&mut self, dir: &Path) -> bool {
        let mut added = false;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            if self.dirs.len() >= MAX_WATCHES {
                break;
            }
            added |= self.add(&d, Kind::Deep);
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(e.path());
                }
            }
        }
        added
    }

    fn in_root(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    /// Adds watches for what exists now; true when something new is watched.
    fn refresh(&mut self, deep: &DeepPaths) -> bool {
        let mut added = false;
        for (p, kind) in PACKAGE_DBS {
            let dir = self.in_root(p);
            if dir.is_dir() {
                added |= self.add(&dir, *kind);
            }
        }
        let mut paths: Vec<String> = Vec::new();
        if let Some(extra) = deep {
            paths.extend(
                vigil_inventory::DEFAULT_DEEP_PATHS
                    .iter()
                    .map(|s| s.to_string()),
            );
            paths.extend(extra.iter().cloned());
        }
        for p in paths {
            let dir = self.in_root(&p);
            if dir.is_dir() && !self.watched.contains(&dir) {
                added |= self.add_tree(&dir);
            }
        }
        added
    }

    /// Drops the deep-path watches (the configuration changed); `refresh` adds the new ones.
    fn reset_deep(&mut self) {
        let deep: Vec<WatchDescriptor> = self
            .dirs
            .iter()
            .filter(|(_, (_, k))| *k == Kind::Deep)
            .map(|(wd, _)| wd.clone())
            .collect();
        for wd in deep {
            if let Some((p, _)) = self.dirs.remove(&wd) {
                self.watched.remove(&p);
            }
            let _ = self.watches.remove(wd);
        }
        self.full_warned = false;
    }

    /// Whether an event changes what the inventory would say.
    fn handle(&mut self, ev: &RawEvent) -> bool {
        if ev.mask.contains(EventMask::Q_OVERFLOW) {
            return true;
        }
        if ev.mask.contains(EventMask::IGNORED) {
            // the directory is gone (or unwatched): forget it, `refresh` may add it again
            if let Some((p, _)) = self.dirs.remove(&ev.wd) {
                self.watched.remove(&p);
            }
            return false;
        }
        let Some((dir, kind)) = self.dirs.get(&ev.wd).cloned() else {
            return false;
        };
        let name = ev.name.as_deref().and_then(|n| n.to_str()).unwrap_or("");
        match kind {
            Kind::Dpkg => name == "status",
            Kind::Apk => name == "installed",
            Kind::AnyFile => true,
            Kind::Deep => {
                if ev.mask.contains(EventMask::ISDIR)
                    && (ev.mask.contains(EventMask::CREATE)
                        || ev.mask.contains(EventMask::MOVED_TO))
                    && !name.is_empty()
                {
                    self.add_tree(&dir.join(name));
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fib_trie_gives_local_addresses_without_loopback() {
        let text = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 10.0.2.0/24 2 0 2\n        |-- 10.0.2.15\n           /32 host LOCAL\n        |-- 10.0.2.255\n           /32 link BROADCAST\n     +-- 127.0.0.0/8 2 0 2\n        |-- 127.0.0.1\n           /32 host LOCAL\nLocal:\n        |-- 10.0.2.15\n           /32 host LOCAL\n";
        assert_eq!(local_ipv4(text), vec!["10.0.2.15".to_owned()]);
    }

    #[test]
    fn if_inet6_skips_loopback_and_link_local() {
        let text = "00000000000000000000000000000001 01 80 10 80       lo\n\
                    fe800000000000000a0027fffe1234ab 02 40 20 80     eth0\n\
                    20010db8000000000000000000000042 02 40 00 80     eth0\n";
        assert_eq!(global_ipv6(text), vec!["2001:db8::42".to_owned()]);
    }

    #[test]
    fn os_release_and_resource_id() {
        let os = parse_os_release("ID=debian\nVERSION_ID=\"12\"\n# c\nPRETTY_NAME='Debian 12'\n");
        assert_eq!(os.get("ID").map(String::as_str), Some("debian"));
        assert_eq!(os.get("VERSION_ID").map(String::as_str), Some("12"));
        assert_eq!(os.get("PRETTY_NAME").map(String::as_str), Some("Debian 12"));
        let f = HostFacts {
            machine_id: Some("0123456789ABCDEF0123456789abcdef".into()),
            hostname: Some("web-1".into()),
            ..Default::default()
        };
        assert_eq!(
            f.default_resource_id().as_deref(),
            Some("i-0123456789abcdef0")
        );
        let g = HostFacts {
            hostname: Some("web-1".into()),
            ..Default::default()
        };
        assert_eq!(g.default_resource_id().as_deref(), Some("web-1"));
    }
}

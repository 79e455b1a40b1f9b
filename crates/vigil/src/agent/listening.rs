//! The host's listening sockets, read from `/proc`: what the network analysis needs to say
//! whether a process actually listens on a port the internet reaches.
//!
//! - TCP: `/proc/net/tcp` and `/proc/net/tcp6`, sockets in state `0A` (LISTEN).
//! - UDP: `/proc/net/udp` and `/proc/net/udp6`, unconnected sockets (state `07`, remote
//!   address and port zero).
//!
//! The network model is IPv4, so an IPv6 socket counts only when it also takes IPv4
//! traffic: the wildcard `::` (dual stack, reported as `0.0.0.0`) and IPv4-mapped addresses
//! (`::ffff:a.b.c.d`, reported as `a.b.c.d`); other IPv6 sockets are left out. Loopback sockets
//! (127.0.0.0/8) are reported with their address, which marks them: the analysis only counts
//! sockets on `0.0.0.0` or on the interface's private address.
//!
//! The owning process comes from the socket inode: `/proc/<pid>/fd/*` links read
//! `socket:[INODE]`, and `/proc/<pid>/comm` names the process (the lowest pid when several
//! share the socket). Processes the agent may not inspect (another user's, without privileges)
//! are skipped silently: their sockets are reported without a process. The walk is bounded
//! ([`MAX_PIDS`] processes, [`MAX_FDS`] descriptors), and a [`Collector`] remembers the owner
//! of each socket it saw: the walk happens only when new sockets appeared, which keeps a check
//! at every heartbeat cheap.
//!
//! The kernel prints each 32-bit word of an address in the host's byte order (little-endian
//! on x86 and ARM: `0100007F` is 127.0.0.1); ports are plain hexadecimal.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::path::Path;

use serde_json::{Value, json};

/// The most sockets reported (loopback ones are dropped first).
pub const MAX_SOCKETS: usize = 4096;
/// The most processes and file descriptors looked at to find the sockets' owners.
pub const MAX_PIDS: usize = 4096;
pub const MAX_FDS: usize = 65536;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// A socket the host listens on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Socket {
    pub protocol: Protocol,
    /// `0.0.0.0` for every address.
    pub address: Ipv4Addr,
    pub port: u16,
    /// The owning process's name (`comm`, at most 15 bytes), when it could be found.
    pub process: Option<String>,
    /// The installed packages the owning process runs: the one owning its executable and those
    /// owning the files it has mapped (shared libraries), by the dpkg file lists (empty: not
    /// known).
    pub packages: Vec<String>,
}

impl Socket {
    /// Reachable from this host only (127.0.0.0/8).
    pub fn is_loopback(&self) -> bool {
        self.address.is_loopback()
    }

    /// `{"protocol": "tcp"|"udp", "address", "port", "process"?}`.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "protocol": self.protocol.as_str(),
            "address": self.address.to_string(),
            "port": self.port,
        });
        if let Some(p) = &self.process {
            v["process"] = json!(p);
        }
        if !self.packages.is_empty() {
            v["packages"] = json!(self.packages);
        }
        v
    }
}

/// The sockets as the wire member `listening`.
pub fn to_json(sockets: &[Socket]) -> Value {
    Value::Array(sockets.iter().map(Socket::to_json).collect())
}

/// One line of a `/proc/net` table that is a listening socket.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    protocol: Protocol,
    address: Ipv4Addr,
    port: u16,
    inode: u64,
}

const TABLES: [(&str, Protocol, bool); 4] = [
    ("tcp", Protocol::Tcp, false),
    ("tcp6", Protocol::Tcp, true),
    ("udp", Protocol::Udp, false),
    ("udp6", Protocol::Udp, true),
];

/// TCP_LISTEN and TCP_CLOSE (an unconnected UDP socket) in `include/net/tcp_states.h`.
const LISTEN: u8 = 0x0A;
const UDP_UNCONNECTED: u8 = 0x07;

/// Reads the listening sockets, remembering their owners between calls.
#[derive(Debug, Default)]
pub struct Collector {
    /// Socket inode -> its process (`None`: not found), for the sockets of the last call.
    owners: HashMap<u64, Option<Owner>>,
    /// Where installed packages' file lists are (`<root>/var/lib/dpkg/info`); none: packages
    /// are not attributed.
    dpkg_info: Option<std::path::PathBuf>,
}

/// A socket's owning process: its name and the packages it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Owner {
    name: Option<String>,
    packages: Vec<String>,
}

impl Collector {
    /// A collector that attributes listening processes to the packages in `info`'s dpkg file
    /// lists.
    pub fn with_dpkg_info(info: std::path::PathBuf) -> Collector {
        Collector {
            dpkg_info: Some(info),
            ..Collector::default()
        }
    }

    /// The listening sockets of the machine (the network namespace the agent runs in), with
    /// their processes; sorted, without duplicates (a dual-stack daemon's `0.0.0.0` and `::`
    /// sockets are one), at most [`MAX_SOCKETS`].
    pub fn collect(&mut self, proc: &Path) -> Vec<Socket> {
        let mut entries = Vec::new();
        for (file, protocol, v6) in TABLES {
            let path = proc.join("net").join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => entries.extend(parse_table(&text, protocol, v6)),
                // no IPv6 in this kernel, a restricted /proc: nothing to report from it
                Err(e) => tracing::debug!(path = %path.display(), "cannot read: {e}"),
            }
        }
        let current: HashSet<u64> = entries
            .iter()
            .map(|e| e.inode)
            .filter(|&i| i != 0)
            .collect();
        let new: HashSet<u64> = current
            .iter()
            .filter(|i| !self.owners.contains_key(i))
            .copied()
            .collect();
        if !new.is_empty() {
            let mut found = owners(proc, &new);
            match &self.dpkg_info {
                Some(info) => attribute(info, &mut found),
                None => found.values_mut().for_each(|o| o.packages.clear()),
            }
            for i in new {
                self.owners.insert(i, found.remove(&i));
            }
        }
        self.owners.retain(|i, _| current.contains(i));
        let sockets = entries
            .into_iter()
            .map(|e| {
                let owner = self.owners.get(&e.inode).cloned().flatten();
                Socket {
                    protocol: e.protocol,
                    address: e.address,
                    port: e.port,
                    process: owner.as_ref().and_then(|o| o.name.clone()),
                    packages: owner.map(|o| o.packages).unwrap_or_default(),
                }
            })
            .collect();
        finish(sockets)
    }
}

/// Sorted (loopback last), without duplicates, at most [`MAX_SOCKETS`].
fn finish(mut out: Vec<Socket>) -> Vec<Socket> {
    out.sort_by(|a, b| {
        (
            a.is_loopback(),
            a.protocol,
            a.port,
            a.address,
            &a.process,
            &a.packages,
        )
            .cmp(&(
                b.is_loopback(),
                b.protocol,
                b.port,
                b.address,
                &b.process,
                &b.packages,
            ))
    });
    out.dedup();
    if out.len() > MAX_SOCKETS {
        tracing::warn!(
            sockets = out.len(),
            limit = MAX_SOCKETS,
            "too many listening sockets; the rest are not reported"
        );
        out.truncate(MAX_SOCKETS);
    }
    out
}

/// The listening sockets of one `/proc/net/{tcp,udp}{,6}` table (`v6`: 32-digit addresses).
/// Lines that do not parse are skipped.
fn parse_table(text: &str, protocol: Protocol, v6: bool) -> Vec<Entry> {
    let mut out = Vec::new();
    // the first line is the header
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
        if f.len() < 10 {
            continue;
        }
        let Ok(state) = u8::from_str_radix(f[3], 16) else {
            continue;
        };
        let listening = match protocol {
            Protocol::Tcp => state == LISTEN,
            Protocol::Udp => state == UDP_UNCONNECTED && is_zero_endpoint(f[2]),
        };
        if !listening {
            continue;
        }
        let Some((addr, port)) = f[1].split_once(':') else {
            continue;
        };
        let Ok(port) = u16::from_str_radix(port, 16) else {
            continue;
        };
        let address = if v6 { ipv6_as_ipv4(addr) } else { ipv4(addr) };
        let (Some(address), Ok(inode)) = (address, f[9].parse::<u64>()) else {
            continue;
        };
        if port == 0 {
            continue;
        }
        out.push(Entry {
            protocol,
            address,
            port,
            inode,
        });
    }
    out
}

/// `00000000:0000` (or the 32-digit IPv6 form): no remote end.
fn is_zero_endpoint(s: &str) -> bool {
    s.split_once(':').is_some_and(|(a, p)| {
        !a.is_empty()
            && a.bytes().all(|b| b == b'0')
            && !p.is_empty()
            && p.bytes().all(|b| b == b'0')
    })
}

/// One 8-digit word as the kernel printed it: the address bytes in memory order.
fn word(hex: &str) -> Option<[u8; 4]> {
    if hex.len() != 8 {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes)
}

fn ipv4(hex: &str) -> Option<Ipv4Addr> {
    word(hex).map(Ipv4Addr::from)
}

/// `::` as `0.0.0.0` and `::ffff:a.b.c.d` as `a.b.c.d`; `None` for any other IPv6 address.
fn ipv6_as_ipv4(hex: &str) -> Option<Ipv4Addr> {
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
        chunk.copy_from_slice(&word(&hex[i * 8..i * 8 + 8])?);
    }
    let ip = std::net::Ipv6Addr::from(bytes);
    if ip.is_unspecified() {
        return Some(Ipv4Addr::UNSPECIFIED);
    }
    ip.to_ipv4_mapped()
}

/// `socket:[12345]` -> 12345.
fn socket_inode(link: &Path) -> Option<u64> {
    link.to_str()?
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The process name owning each of `wanted` (socket inodes), from `/proc/<pid>/fd` and
/// `/proc/<pid>/comm`; the lowest pid wins. Unreadable processes are skipped.
fn owners(proc: &Path, wanted: &HashSet<u64>) -> HashMap<u64, Owner> {
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    let Ok(entries) = std::fs::read_dir(proc) else {
        return out;
    };
    let mut pids: Vec<u32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .take(MAX_PIDS)
        .collect();
    pids.sort_unstable();
    let mut fds = 0usize;
    'pids: for pid in pids {
        if out.len() == wanted.len() {
            break;
        }
        let dir = proc.join(pid.to_string());
        let Ok(links) = std::fs::read_dir(dir.join("fd")) else {
            continue;
        };
        let mut comm: Option<Owner> = None;
        for link in links.flatten() {
            if fds >= MAX_FDS {
                tracing::debug!(
                    limit = MAX_FDS,
                    "too many file descriptors; some sockets are reported without a process"
                );
                break 'pids;
            }
            fds += 1;
            let Some(inode) = std::fs::read_link(link.path())
                .ok()
                .and_then(|t| socket_inode(&t))
            else {
                continue;
            };
            if !wanted.contains(&inode) || out.contains_key(&inode) {
                continue;
            }
            let owner = comm.get_or_insert_with(|| Owner {
                name: process_name(&dir),
                // the files it runs, resolved to packages by `attribute`
                packages: process_files(&dir),
            });
            if owner.name.is_some() || !owner.packages.is_empty() {
                out.insert(inode, owner.clone());
            }
        }
    }
    out
}

/// The files a process runs: its executable and the files it maps (shared libraries), at most
/// 512, as absolute paths.
fn process_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    if let Ok(exe) = std::fs::read_link(dir.join("exe"))
        && let Some(e) = exe.to_str()
    {
        files.push(e.trim_end_matches(" (deleted)").to_owned());
    }
    if let Ok(maps) = std::fs::read_to_string(dir.join("maps")) {
        for line in maps.lines() {
            // address perms offset dev inode pathname
            if let Some(path) = line.split_whitespace().nth(5)
                && path.starts_with('/')
                && !files.iter().any(|f| f == path)
            {
                files.push(path.to_owned());
                if files.len() >= 512 {
                    break;
                }
            }
        }
    }
    files
}

/// Replaces each owner's files by the installed packages owning them, from the dpkg file
/// lists in `info` (`<package>[:<arch>].list`; merged-/usr aliases count). One pass over the
/// lists for every owner at once; at most 20,000 lists of at most 16 MB each are read.
fn attribute(info: &Path, owners: &mut HashMap<u64, Owner>) {
    let alias = |p: &str| -> Option<String> {
        match p.strip_prefix("/usr") {
            Some(rest) if rest.starts_with('/') => Some(rest.to_owned()),
            _ => Some(format!("/usr{p}")),
        }
    };
    let mut wanted: HashMap<String, Vec<u64>> = HashMap::new();
    for (inode, o) in owners.iter() {
        for f in &o.packages {
            for p in [Some(f.clone()), alias(f)].into_iter().flatten() {
                wanted.entry(p).or_default().push(*inode);
            }
        }
    }
    let mut found: HashMap<u64, Vec<String>> = HashMap::new();
    if let Ok(rd) = std::fs::read_dir(info) {
        for e in rd.flatten().take(20_000) {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".list") else {
                continue;
            };
            let package = stem.split(':').next().unwrap_or(stem).to_owned();
            if e.metadata().is_ok_and(|m| m.len() > 16 << 20) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(e.path()) else {
                continue;
            };
            for line in text.lines() {
                if let Some(inodes) = wanted.get(line) {
                    for i in inodes {
                        let list = found.entry(*i).or_default();
                        if !list.contains(&package) {
                            list.push(package.clone());
                        }
                    }
                }
            }
        }
    }
    for (inode, o) in owners.iter_mut() {
        let mut packages = found.remove(inode).unwrap_or_default();
        packages.sort();
        o.packages = packages;
    }
}

/// `/proc/<pid>/comm` without its newline (at most 256 characters).
fn process_name(dir: &Path) -> Option<String> {
    let bytes = std::fs::read(dir.join("comm")).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let name: String = text.trim_end_matches('\n').chars().take(256).collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines in the layout of Linux 6.1's /proc/net files (pointers shortened).
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18231 1 ffff8f0a41a3e8c0 100 0 0 10 0
   1: 3500007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 17002 1 ffff8f0a41a3e100 100 0 0 10 5
   2: 0A01000A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 20555 1 ffff8f0a41a3f000 100 0 0 10 0
   3: 0A01000A:0016 0B02A8C0:D431 01 00000000:00000000 02:0009F5A1 00000000     0        0 21877 4 ffff8f0a41a3c000 20 4 29 10 -1
   4: 0A01000A:C350 5DB8D822:01BB 06 00000000:00000000 03:000016A8 00000000     0        0 0 3 ffff8f0a41a3d000
";

    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18233 1 ffff8f0a4b2c0000 100 0 0 10 0
   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19020 1 ffff8f0a4b2c1000 100 0 0 10 0
   2: 0000000000000000FFFF00000A01000A:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 19500 1 ffff8f0a4b2c2000 100 0 0 10 0
   3: B80D0120000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19600 1 ffff8f0a4b2c3000 100 0 0 10 0
";

    const UDP: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 17001 2 ffff8f0a40b1a000 0
  456: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 16500 2 ffff8f0a40b1b000 0
  789: 0F02000A:A1B2 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 22000 2 ffff8f0a40b1c000 0
  790: 00000000:0000 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 22001 2 ffff8f0a40b1d000 0
";

    fn entry(protocol: Protocol, address: [u8; 4], port: u16, inode: u64) -> Entry {
        Entry {
            protocol,
            address: Ipv4Addr::from(address),
            port,
            inode,
        }
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn tcp_listen_sockets_only() {
        assert_eq!(
            parse_table(TCP, Protocol::Tcp, false),
            vec![
                entry(Protocol::Tcp, [0, 0, 0, 0], 22, 18231),
                entry(Protocol::Tcp, [127, 0, 0, 53], 53, 17002),
                entry(Protocol::Tcp, [10, 0, 1, 10], 8080, 20555),
            ]
        );
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn tcp6_wildcard_and_mapped_addresses_only() {
        // `::` is every address (dual stack); `::1` and 2001:db8::1 have no IPv4 meaning
        assert_eq!(
            parse_table(TCP6, Protocol::Tcp, true),
            vec![
                entry(Protocol::Tcp, [0, 0, 0, 0], 22, 18233),
                entry(Protocol::Tcp, [10, 0, 1, 10], 443, 19500),
            ]
        );
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn udp_unconnected_sockets_only() {
        assert_eq!(
            parse_table(UDP, Protocol::Udp, false),
            vec![
                entry(Protocol::Udp, [127, 0, 0, 53], 53, 17001),
                entry(Protocol::Udp, [0, 0, 0, 0], 68, 16500),
            ]
        );
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let text = "header\n 0: zz:0016 00000000:0000 0A 0 0 0 0 0 1\n 1: 00000000 00000000:0000 0A 0 0 0 0 0 1\n 2: 00000000:0016 00000000:0000 0A 0 0 0 0 0 x\n short line\n";
        assert_eq!(parse_table(text, Protocol::Tcp, false), Vec::new());
        assert_eq!(ipv6_as_ipv4("0000"), None);
        assert_eq!(socket_inode(Path::new("socket:[42]")), Some(42));
        assert_eq!(socket_inode(Path::new("pipe:[42]")), None);
        assert_eq!(socket_inode(Path::new("/dev/null")), None);
    }

    /// A fake `/proc`: the tables, two processes sharing the sshd socket (the lower pid
    /// names it), one whose fds cannot be read, and sockets without an owner.
    #[test]
    #[cfg(target_endian = "little")]
    fn collect_names_owners_and_merges_dual_stack() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("tmp");
        let proc = dir.path();
        std::fs::create_dir_all(proc.join("net")).expect("net");
        std::fs::write(proc.join("net/tcp"), TCP).expect("tcp");
        std::fs::write(proc.join("net/tcp6"), TCP6).expect("tcp6");
        std::fs::write(proc.join("net/udp"), UDP).expect("udp");
        // no udp6: a kernel without IPv6
        let process = |pid: u32, comm: &str, links: &[&str]| {
            let p = proc.join(pid.to_string());
            std::fs::create_dir_all(p.join("fd")).expect("fd");
            std::fs::write(p.join("comm"), format!("{comm}\n")).expect("comm");
            for (i, l) in links.iter().enumerate() {
                symlink(l, p.join("fd").join(i.to_string())).expect("link");
            }
        };
        process(
            612,
            "sshd",
            &["/dev/null", "socket:[18231]", "socket:[18233]"],
        );
        process(
            4001,
            "sshd-session",
            &["socket:[18231]", "pipe:[777]", "socket:[99999]"],
        );
        process(
            700,
            "systemd-resolve",
            &["socket:[17001]", "socket:[17002]", "anon_inode:[eventfd]"],
        );
        process(900, "java", &["socket:[20555]"]);
        // a process without an fd directory (exited, or not readable)
        std::fs::create_dir_all(proc.join("901")).expect("901");
        std::fs::write(proc.join("901/comm"), "nginx\n").expect("comm");
        std::fs::create_dir_all(proc.join("self")).expect("self");

        let mut collector = Collector::default();
        let got = collector.collect(proc);
        let show: Vec<String> = got
            .iter()
            .map(|s| {
                format!(
                    "{} {}:{} {}",
                    s.protocol.as_str(),
                    s.address,
                    s.port,
                    s.process.as_deref().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(
            show,
            vec![
                "tcp 0.0.0.0:22 sshd",
                "tcp 10.0.1.10:443 -",
                "tcp 10.0.1.10:8080 java",
                "udp 0.0.0.0:68 -",
                "tcp 127.0.0.53:53 systemd-resolve",
                "udp 127.0.0.53:53 systemd-resolve",
            ]
        );
        assert!(got[4].is_loopback() && !got[0].is_loopback());
        assert_eq!(
            to_json(&got[..2]),
            json!([
                {"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"},
                {"protocol": "tcp", "address": "10.0.1.10", "port": 443},
            ])
        );

        // the owners are remembered: a renamed process does not rename its known socket, and
        // only a new socket makes the collector look at the processes again
        std::fs::write(proc.join("612/comm"), "renamed\n").expect("comm");
        let mut tcp = TCP.to_owned();
        tcp.push_str("   5: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30001 1 ffff8f0a41a3a000 100 0 0 10 0\n");
        std::fs::write(proc.join("net/tcp"), tcp).expect("tcp");
        process(950, "nginx", &["socket:[30001]"]);
        let again = collector.collect(proc);
        assert_eq!(again[0].process.as_deref(), Some("sshd"), "{again:?}");
        assert_eq!(
            (again[1].port, again[1].process.as_deref()),
            (80, Some("nginx")),
            "{again:?}"
        );
        // a socket closed: forgotten; when it comes back its owner is read again
        std::fs::write(proc.join("net/tcp"), TCP).expect("tcp");
        assert_eq!(collector.collect(proc), got);
        assert!(!collector.owners.contains_key(&30001));

        // nothing at all: an empty list, no error
        assert_eq!(
            Collector::default().collect(&proc.join("missing")),
            Vec::new()
        );
    }

    /// A listening process's executable and mapped libraries resolve to their packages through
    /// the dpkg file lists (merged-/usr aliases included); unknown files resolve to nothing.
    #[test]
    fn processes_resolve_to_the_packages_they_run() {
        let dir = tempfile::tempdir().expect("tmp");
        let info = dir.path().join("var/lib/dpkg/info");
        std::fs::create_dir_all(&info).expect("info");
        std::fs::write(
            info.join("libssl3:amd64.list"),
            "/.\n/usr\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
        )
        .expect("list");
        std::fs::write(info.join("nginx-core.list"), "/usr/sbin/nginx\n").expect("list");
        std::fs::write(info.join("nginx-core.md5sums"), "/usr/sbin/nginx\n").expect("md5");
        let mut owners = HashMap::from([(
            7u64,
            Owner {
                name: Some("nginx".into()),
                packages: vec![
                    "/usr/sbin/nginx".into(),
                    // the process mapped the library through the /lib alias
                    "/lib/x86_64-linux-gnu/libssl.so.3".into(),
                    "/opt/custom/libfoo.so".into(),
                ],
            },
        )]);
        attribute(&info, &mut owners);
        assert_eq!(
            owners[&7].packages,
            vec!["libssl3".to_owned(), "nginx-core".to_owned()]
        );
        let s = Socket {
            protocol: Protocol::Tcp,
            address: Ipv4Addr::UNSPECIFIED,
            port: 443,
            process: Some("nginx".into()),
            packages: owners[&7].packages.clone(),
        };
        assert_eq!(s.to_json()["packages"], json!(["libssl3", "nginx-core"]));
    }
}

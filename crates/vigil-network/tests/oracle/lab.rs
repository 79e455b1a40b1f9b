//! Realising a [`Model`] as network namespaces, and probing it from the internet.
//!
//! [`Plan::new`] turns a model into namespaces, veth links, `ip` commands, nftables rulesets and
//! agent configurations without touching the system (so it can be read and unit-tested);
//! [`Lab::realise`] carries a plan out and [`Lab::probe`] asks the prober in `inet` to run
//! probes. See the crate-level documentation of this test (`tests/oracle/main.rs`) for the design.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ipnet::Ipv4Net;
use serde_json::{Value, json};
use vigil_network::model::{
    Acl, AclRule, Action, EPHEMERAL, GatewayKind, Interface, Model, Peer, PortRange, Protocol,
    RouteTarget, SgRule, Subnet,
};

/// The agent run in every namespace that needs a process (listeners, balancer proxy, prober).
const AGENT: &str = include_str!("agent.py");

/// Every namespace this harness creates is named `vgo<pid>-<lab>-<role>`.
pub const PREFIX: &str = "vgo";

/// The internet's client addresses, one in each of four public prefixes.
pub const DEFAULT_CLIENTS: [Ipv4Addr; 4] = [
    Ipv4Addr::new(198, 51, 100, 10),
    Ipv4Addr::new(203, 0, 113, 10),
    Ipv4Addr::new(192, 0, 2, 10),
    Ipv4Addr::new(8, 8, 8, 10),
];

/// Point-to-point links between namespaces are /30s from here.
const LINK_SPACE: Ipv4Net = Ipv4Net::new_assert(Ipv4Addr::new(169, 254, 0, 0), 16);

/// NAT gateways translate to addresses from here (the internet has no route back to them).
const NAT_SPACE: Ipv4Net = Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 16);

/// Route table numbers in a subnet router: the model's routes, then the network's layout.
const TABLE_MODEL: u32 = 100;
const TABLE_NETWORK: u32 = 200;

/// A harness failure, with the command, its output or the agent's log.
pub struct LabError(String);

impl fmt::Debug for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, LabError>;

fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(LabError(message.into()))
}

/// One question to the lab: does `source` (an internet client) reach `destination` (a public
/// address) on `protocol`/`port`?
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Probe {
    pub source: Ipv4Addr,
    pub destination: Ipv4Addr,
    pub protocol: Protocol,
    pub port: u16,
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} -> {}:{}",
            protocol_name(self.protocol),
            self.source,
            self.destination,
            self.port
        )
    }
}

/// What a probe found: reachable when something answered (a host's listener names its
/// interface, a balancer prefixes its id: `lb-1>eni-3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub reachable: bool,
    pub answer: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Addresses of the internet's clients (in the `inet` namespace).
    pub clients: Vec<Ipv4Addr>,
    /// Ports every host interface listens on (TCP and UDP); target ports are added.
    pub listen_ports: BTreeSet<u16>,
    /// How long a batch of probes waits for answers.
    pub timeout: Duration,
    /// How long a balancer waits for its targets (must be well below `timeout`).
    pub target_timeout: Duration,
}

impl LabOptions {
    /// The defaults, listening on the ports `probes` use.
    pub fn for_probes(probes: &[Probe]) -> LabOptions {
        LabOptions {
            clients: DEFAULT_CLIENTS.to_vec(),
            listen_ports: probes.iter().map(|p| p.port).collect(),
            timeout: Duration::from_millis(1000),
            target_timeout: Duration::from_millis(400),
        }
    }
}

pub fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Icmp => "icmp",
        Protocol::All => "all",
    }
}

/// The elementary intervals of the ephemeral range cut at every port-range boundary of
/// `rules`: a stateless rule list decides the same for every port of one interval, so one port
/// per interval is a complete set of witnesses for "some ephemeral port is allowed".
pub fn ephemeral_intervals<'a>(rules: impl IntoIterator<Item = &'a AclRule>) -> Vec<(u16, u16)> {
    let (lo, hi) = (u32::from(EPHEMERAL.from), u32::from(EPHEMERAL.to));
    let mut cuts = BTreeSet::from([lo]);
    for rule in rules {
        for cut in [u32::from(rule.ports.from), u32::from(rule.ports.to) + 1] {
            if lo < cut && cut <= hi {
                cuts.insert(cut);
            }
        }
    }
    let cuts: Vec<u32> = cuts.into_iter().collect();
    let mut out = Vec::with_capacity(cuts.len());
    for (i, &from) in cuts.iter().enumerate() {
        let to = cuts.get(i + 1).map_or(hi, |next| next - 1);
        // Both bounds lie in 1024..=65535.
        out.push((
            u16::try_from(from).unwrap_or(u16::MAX),
            u16::try_from(to).unwrap_or(u16::MAX),
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The plan

/// One namespace of a plan.
#[derive(Debug, Clone)]
pub struct NsPlan {
    pub name: String,
    /// Routers, gateways: `ip_forward=1`.
    pub forwarding: bool,
    /// `ip -batch` lines run inside it.
    pub ip: Vec<String>,
    /// An nftables ruleset (empty: none).
    pub nft: String,
}

/// Everything [`Lab::realise`] does, computed from the model alone.
#[derive(Debug, Clone)]
pub struct Plan {
    pub namespaces: Vec<NsPlan>,
    /// `ip -batch` lines run in the host namespace: veth pairs created directly inside two
    /// test namespaces (the host namespace never holds them).
    pub links: Vec<String>,
    /// (namespace index, agent configuration).
    pub agents: Vec<(usize, Value)>,
    /// The namespace of the prober.
    pub inet: usize,
    /// Client source ports to try for each public address (see [`ephemeral_intervals`]).
    pub witnesses: HashMap<Ipv4Addr, Vec<u16>>,
}

/// An interface of the model: a host's or a balancer's.
struct Iface<'m> {
    interface: &'m Interface,
    /// The balancer's id (none: a host interface).
    balancer: Option<&'m str>,
}

struct Planner {
    prefix: String,
    namespaces: Vec<NsPlan>,
    links: Vec<String>,
    next_link: u32,
}

impl Planner {
    fn namespace(&mut self, role: &str, forwarding: bool) -> usize {
        self.namespaces.push(NsPlan {
            name: format!("{}-{role}", self.prefix),
            forwarding,
            ip: vec!["link set lo up".to_string()],
            nft: String::new(),
        });
        self.namespaces.len() - 1
    }

    /// A veth pair between two namespaces, `a_if` in `a` and `b_if` in `b`, on its own /30;
    /// returns the two addresses.
    fn link(&mut self, a: usize, a_if: &str, b: usize, b_if: &str) -> Result<(Ipv4Addr, Ipv4Addr)> {
        let base = u32::from(LINK_SPACE.network()) + 4 * self.next_link;
        if !LINK_SPACE.contains(&Ipv4Addr::from(base + 3)) {
            return fail("too many links for 169.254.0.0/16");
        }
        self.next_link += 1;
        let (a_ip, b_ip) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
        self.links.push(format!(
            "link add {a_if} netns {} type veth peer name {b_if} netns {}",
            self.namespaces[a].name, self.namespaces[b].name
        ));
        for (ns, name, ip) in [(a, a_if, a_ip), (b, b_if, b_ip)] {
            let lines = &mut self.namespaces[ns].ip;
            lines.push(format!("address add {ip}/30 dev {name}"));
            lines.push(format!("link set {name} up"));
        }
        Ok((a_ip, b_ip))
    }

    fn ip(&mut self, ns: usize, line: String) {
        self.namespaces[ns].ip.push(line);
    }
}

fn subnet_of<'m>(model: &'m Model, id: &str) -> Option<&'m Subnet> {
    model.subnets.iter().find(|s| s.id == id)
}

fn acl_of<'m>(model: &'m Model, subnet: &Subnet) -> Option<&'m Acl> {
    model.acls.iter().find(|a| a.id == subnet.acl)
}

fn interfaces(model: &Model) -> Vec<Iface<'_>> {
    let hosts = model
        .hosts
        .iter()
        .flat_map(|h| &h.interfaces)
        .map(|i| Iface {
            interface: i,
            balancer: None,
        });
    let balancers = model.load_balancers.iter().flat_map(|lb| {
        lb.interfaces.iter().map(|i| Iface {
            interface: i,
            balancer: Some(lb.id.as_str()),
        })
    });
    hosts.chain(balancers).collect()
}

impl Plan {
    pub fn new(model: &Model, options: &LabOptions, prefix: &str) -> Result<Plan> {
        check_addresses(model, options)?;
        let mut p = Planner {
            prefix: prefix.to_string(),
            namespaces: Vec::new(),
            links: Vec::new(),
            next_link: 0,
        };
        let networks: BTreeSet<&str> = model.networks.iter().map(|n| n.id.as_str()).collect();

        // The internet and its clients.
        let inet = p.namespace("inet", false);
        for client in &options.clients {
            p.ip(inet, format!("address add {client}/32 dev lo"));
        }

        // Internet gateways attached to a network of the model (the first one per network:
        // a network has one), with their link to the internet.
        // network -> (namespace, its address on the link to the internet, the link's name in
        // `inet`)
        let mut igw_of_network: BTreeMap<&str, (usize, Ipv4Addr, String)> = BTreeMap::new();
        let mut igw_ids: BTreeMap<&str, &str> = BTreeMap::new(); // gateway -> network
        for (i, g) in model.gateways.iter().enumerate() {
            let Some(network) = g.network.as_deref() else {
                continue;
            };
            if g.kind != GatewayKind::Internet
                || !networks.contains(network)
                || igw_of_network.contains_key(network)
            {
                continue;
            }
            let ns = p.namespace(&format!("igw{i}"), true);
            let inet_dev = format!("g{i}");
            let (inet_side, igw_side) = p.link(inet, &inet_dev, ns, "i0")?;
            p.ip(
                ns,
                format!("route add default via {inet_side} dev i0 onlink"),
            );
            igw_of_network.insert(network, (ns, igw_side, inet_dev));
            igw_ids.insert(g.id.as_str(), network);
        }

        // NAT gateways: the internet sees their own address, never the client's target.
        let mut nat_ns: BTreeMap<&str, (usize, &str)> = BTreeMap::new(); // gateway -> (ns, network)
        let mut nat_count = 0u32;
        for (i, g) in model.gateways.iter().enumerate() {
            let Some(network) = g.network.as_deref() else {
                continue;
            };
            if g.kind != GatewayKind::Nat || !networks.contains(network) {
                continue;
            }
            let ns = p.namespace(&format!("nat{i}"), true);
            let (inet_side, _) = p.link(inet, &format!("n{i}"), ns, "i0")?;
            nat_count += 1;
            let public = Ipv4Addr::from(u32::from(NAT_SPACE.network()) + nat_count);
            p.ip(ns, format!("address add {public}/32 dev i0"));
            p.ip(
                ns,
                format!("route add default via {inet_side} dev i0 onlink"),
            );
            p.namespaces[ns].nft = format!(
                "table ip natgw {{\n\
                 \tchain forward {{ type filter hook forward priority filter; policy accept;\n\
                 \t\tct state invalid drop\n\
                 \t}}\n\
                 \tchain postrouting {{ type nat hook postrouting priority srcnat; policy accept;\n\
                 \t\toifname \"i0\" snat to {public}\n\
                 \t}}\n\
                 }}\n"
            );
            nat_ns.insert(g.id.as_str(), (ns, network));
        }

        // One router per subnet.
        let mut router: Vec<usize> = Vec::with_capacity(model.subnets.len());
        for (j, _) in model.subnets.iter().enumerate() {
            router.push(p.namespace(&format!("r{j}"), true));
        }
        // Its uplinks to the network's gateways...
        let mut igw_link: Vec<Option<Ipv4Addr>> = vec![None; model.subnets.len()];
        let mut nat_link: Vec<BTreeMap<&str, (String, Ipv4Addr)>> =
            vec![BTreeMap::new(); model.subnets.len()];
        for (j, subnet) in model.subnets.iter().enumerate() {
            let cidr = subnet.cidr.trunc();
            if let Some(&(ns, _, _)) = igw_of_network.get(subnet.network.as_str()) {
                let (igw_side, router_side) = p.link(ns, &format!("s{j}"), router[j], "ui0")?;
                p.ip(
                    ns,
                    format!("route add {cidr} via {router_side} dev s{j} onlink"),
                );
                igw_link[j] = Some(igw_side);
            }
            for (&gateway, &(ns, network)) in &nat_ns {
                if network != subnet.network {
                    continue;
                }
                let name = format!("un{ns}");
                let (nat_side, router_side) = p.link(ns, &format!("s{j}"), router[j], &name)?;
                p.ip(
                    ns,
                    format!("route add {cidr} via {router_side} dev s{j} onlink"),
                );
                nat_link[j].insert(gateway, (name, nat_side));
            }
        }
        // ... to the other subnets of its network (the `Local` route's destinations) ...
        for a in 0..model.subnets.len() {
            for b in a + 1..model.subnets.len() {
                let (sa, sb) = (&model.subnets[a], &model.subnets[b]);
                if sa.network != sb.network {
                    continue;
                }
                let (a_ip, b_ip) =
                    p.link(router[a], &format!("ur{b}"), router[b], &format!("ur{a}"))?;
                let (ca, cb) = (sa.cidr.trunc(), sb.cidr.trunc());
                p.ip(
                    router[a],
                    format!("route add {cb} via {b_ip} dev ur{b} onlink table {TABLE_NETWORK}"),
                );
                p.ip(
                    router[b],
                    format!("route add {ca} via {a_ip} dev ur{a} onlink table {TABLE_NETWORK}"),
                );
            }
        }

        // ... and down to its interfaces, one namespace each.
        let ifaces = interfaces(model);
        let mut iface_ns: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, iface) in ifaces.iter().enumerate() {
            let i = iface.interface;
            let Some(j) = model.subnets.iter().position(|s| s.id == i.subnet) else {
                continue;
            };
            let role = if iface.balancer.is_some() { "lb" } else { "h" };
            let ns = p.namespace(&format!("{role}{k}"), false);
            let (router_side, iface_side) = p.link(router[j], &format!("d{k}"), ns, "e0")?;
            let private = i.private_ip;
            p.ip(ns, format!("address add {private}/32 dev e0"));
            p.ip(
                ns,
                format!("route add default via {router_side} dev e0 onlink src {private}"),
            );
            p.ip(
                router[j],
                format!(
                    "route add {private}/32 via {iface_side} dev d{k} onlink table {TABLE_NETWORK}"
                ),
            );
            if iface.balancer.is_none() || !i.security_groups.is_empty() {
                p.namespaces[ns].nft = security_groups_ruleset(model, i);
            }
            iface_ns.insert(i.id.as_str(), ns);
        }

        // The routers' tables and ACLs.
        for (j, subnet) in model.subnets.iter().enumerate() {
            let r = router[j];
            let cidr = subnet.cidr.trunc();
            p.ip(
                r,
                format!("rule add pref 50 to {cidr} lookup {TABLE_NETWORK}"),
            );
            p.ip(r, format!("rule add pref 100 lookup {TABLE_MODEL}"));
            p.ip(r, format!("rule add pref 200 lookup {TABLE_NETWORK}"));
            let routes = model
                .route_tables
                .iter()
                .find(|t| t.id == subnet.route_table)
                .map_or(&[][..], |t| &t.routes[..]);
            let mut seen = BTreeSet::new();
            for route in routes {
                let dest = route.destination.trunc();
                if !seen.insert(dest) {
                    return fail(format!(
                        "route table `{}` has two routes for `{dest}`",
                        subnet.route_table
                    ));
                }
                let line = match &route.target {
                    RouteTarget::Local => format!("route add throw {dest}"),
                    RouteTarget::InternetGateway(g)
                        if igw_ids.get(g.as_str()) == Some(&subnet.network.as_str()) =>
                    {
                        match igw_link[j] {
                            Some(via) => format!("route add {dest} via {via} dev ui0 onlink"),
                            None => format!("route add blackhole {dest}"),
                        }
                    }
                    RouteTarget::NatGateway(g) => match nat_link[j].get(g.as_str()) {
                        Some((dev, via)) => format!("route add {dest} via {via} dev {dev} onlink"),
                        None => format!("route add blackhole {dest}"),
                    },
                    _ => format!("route add blackhole {dest}"),
                };
                p.ip(r, format!("{line} table {TABLE_MODEL}"));
            }
            p.namespaces[r].nft = acl_ruleset(acl_of(model, subnet));
        }

        // Public addresses: the internet routes each to the internet gateway attached to its
        // interface's network, which translates it 1:1 to the private address.
        let mut igw_nat: BTreeMap<usize, Vec<(Ipv4Addr, Ipv4Addr)>> = BTreeMap::new();
        let mut witnesses = HashMap::new();
        for iface in &ifaces {
            let i = iface.interface;
            let (Some(public), Some(subnet)) = (i.public_ip, subnet_of(model, &i.subnet)) else {
                continue;
            };
            let outbound = acl_of(model, subnet).map_or(&[][..], |a| &a.outbound[..]);
            let ports = ephemeral_intervals(outbound).iter().map(|r| r.0).collect();
            witnesses.insert(public, ports);
            let Some((igw, igw_side, inet_dev)) = igw_of_network.get(subnet.network.as_str())
            else {
                continue;
            };
            let route = format!("route add {public}/32 via {igw_side} dev {inet_dev} onlink");
            p.ip(inet, route);
            igw_nat
                .entry(*igw)
                .or_default()
                .push((public, i.private_ip));
        }
        for &(igw, _, _) in igw_of_network.values() {
            let mapping = igw_nat.get(&igw).map_or(&[][..], |m| &m[..]);
            p.namespaces[igw].nft = internet_gateway_ruleset(mapping);
        }

        // Agents: listeners in every host interface, proxies in balancers, the prober.
        let mut agents = vec![(inet, json!({ "role": "prober" }))];
        let all_acl_rules = model
            .acls
            .iter()
            .flat_map(|a| a.inbound.iter().chain(&a.outbound));
        let balancer_intervals = ephemeral_intervals(all_acl_rules);
        for iface in &ifaces {
            let i = iface.interface;
            let Some(&ns) = iface_ns.get(i.id.as_str()) else {
                continue;
            };
            match iface.balancer {
                None => {
                    let mut ports = options.listen_ports.clone();
                    ports.extend(target_ports(model, &i.id));
                    ports.remove(&0);
                    agents.push((ns, json!({ "role": "host", "name": i.id, "ports": ports })));
                }
                Some(lb) => {
                    let listeners = balancer_listeners(model, lb);
                    agents.push((
                        ns,
                        json!({
                            "role": "lb",
                            "name": lb,
                            "private_ip": i.private_ip.to_string(),
                            "listeners": listeners,
                            "intervals": balancer_intervals,
                            "target_timeout": options.target_timeout.as_secs_f64(),
                        }),
                    ));
                }
            }
        }

        Ok(Plan {
            namespaces: p.namespaces,
            links: p.links,
            agents,
            inet,
            witnesses,
        })
    }
}

/// The model must leave the harness's own address space alone.
fn check_addresses(model: &Model, options: &LabOptions) -> Result<()> {
    let reserved = [LINK_SPACE, NAT_SPACE];
    let mut used: Vec<(String, Ipv4Net)> = Vec::new();
    for n in &model.networks {
        for c in &n.cidrs {
            used.push((format!("network `{}`", n.id), *c));
        }
    }
    let mut publics = BTreeSet::new();
    for iface in interfaces(model) {
        let i = iface.interface;
        used.push((format!("interface `{}`", i.id), Ipv4Net::from(i.private_ip)));
        if let Some(public) = i.public_ip {
            if !publics.insert(public) {
                return fail(format!("public address `{public}` is used twice"));
            }
            used.push((format!("interface `{}`", i.id), Ipv4Net::from(public)));
        }
    }
    for (what, net) in &used {
        for r in reserved {
            if r.contains(net) || net.contains(&r) {
                return fail(format!(
                    "{what} uses `{net}`, which the oracle reserves (`{r}`)"
                ));
            }
        }
        for c in &options.clients {
            if net.contains(c) {
                return fail(format!("{what} uses `{net}`, which holds client `{c}`"));
            }
        }
    }
    Ok(())
}

fn target_ports(model: &Model, interface: &str) -> Vec<u16> {
    model
        .target_groups
        .iter()
        .flat_map(|g| &g.targets)
        .filter(|t| t.interface == interface)
        .map(|t| t.port)
        .collect()
}

/// The balancer's TCP and UDP listeners with their healthy targets' private addresses.
fn balancer_listeners(model: &Model, lb: &str) -> Vec<Value> {
    let Some(balancer) = model.load_balancers.iter().find(|b| b.id == lb) else {
        return Vec::new();
    };
    let private: HashMap<&str, Ipv4Addr> = model
        .hosts
        .iter()
        .flat_map(|h| &h.interfaces)
        .map(|i| (i.id.as_str(), i.private_ip))
        .collect();
    let mut out = Vec::new();
    for listener in &balancer.listeners {
        if !matches!(listener.protocol, Protocol::Tcp | Protocol::Udp) {
            continue;
        }
        let targets: Vec<Value> = model
            .target_groups
            .iter()
            .filter(|g| g.id == listener.target_group)
            .flat_map(|g| &g.targets)
            .filter(|t| t.healthy)
            .filter_map(|t| {
                let ip = private.get(t.interface.as_str())?;
                Some(json!([ip.to_string(), t.port]))
            })
            .collect();
        out.push(json!({
            "protocol": protocol_name(listener.protocol),
            "port": listener.port,
            "targets": targets,
        }));
    }
    out
}

/// The nftables match of a protocol and destination port range (ports are ignored for ICMP;
/// for all protocols they are matched on TCP and UDP unless the range is everything).
fn protocol_match(protocol: Protocol, ports: PortRange) -> String {
    let range = if ports == PortRange::ALL {
        String::new()
    } else if ports.from == ports.to {
        format!(" th dport {}", ports.from)
    } else {
        format!(" th dport {}-{}", ports.from, ports.to)
    };
    match protocol {
        Protocol::Tcp => format!("meta l4proto tcp{range}"),
        Protocol::Udp => format!("meta l4proto udp{range}"),
        Protocol::Icmp => "meta l4proto icmp".to_string(),
        Protocol::All if range.is_empty() => String::new(),
        Protocol::All => format!("meta l4proto {{ tcp, udp }}{range}"),
    }
}

/// A subnet router's ACL: stateless, first match by rule number, implicit deny. Packets from an
/// uplink (`u*`) to an interface (`d*`) enter the subnet; the reverse leave it.
fn acl_ruleset(acl: Option<&Acl>) -> String {
    let render = |rules: &[AclRule], field: &str| {
        let mut sorted: Vec<&AclRule> = rules.iter().collect();
        sorted.sort_by_key(|r| r.number);
        let mut out = String::new();
        for r in sorted {
            let verdict = match r.action {
                Action::Allow => "accept",
                Action::Deny => "drop",
            };
            out.push_str(&format!(
                "\t\tip {field} {} {} {verdict} comment \"rule {}\"\n",
                r.cidr.trunc(),
                protocol_match(r.protocol, r.ports),
                r.number
            ));
        }
        out
    };
    let (inbound, outbound) = match acl {
        Some(a) => (render(&a.inbound, "saddr"), render(&a.outbound, "daddr")),
        None => (String::new(), String::new()),
    };
    format!(
        "table ip acl {{\n\
         \tchain forward {{ type filter hook forward priority filter; policy accept;\n\
         \t\tiifname \"u*\" oifname \"d*\" jump inbound\n\
         \t\tiifname \"d*\" oifname \"u*\" jump outbound\n\
         \t}}\n\
         \tchain inbound {{\n{inbound}\t\tdrop\n\t}}\n\
         \tchain outbound {{\n{outbound}\t\tdrop\n\t}}\n\
         }}\n"
    )
}

/// The addresses a security-group peer stands for.
fn peer_cidrs(model: &Model, peer: &Peer) -> Vec<Ipv4Net> {
    match peer {
        Peer::Cidr(c) => vec![c.trunc()],
        Peer::PrefixList(id) => model
            .prefix_lists
            .iter()
            .filter(|l| &l.id == id)
            .flat_map(|l| l.cidrs.iter().map(Ipv4Net::trunc))
            .collect(),
        Peer::SecurityGroup(id) => interfaces(model)
            .iter()
            .filter(|i| i.interface.security_groups.contains(id))
            .map(|i| Ipv4Net::from(i.interface.private_ip))
            .collect(),
    }
}

/// An interface's security groups: stateful (replies pass), any rule of any group admits.
fn security_groups_ruleset(model: &Model, interface: &Interface) -> String {
    let mut input = String::new();
    let mut output = String::new();
    let groups = model
        .security_groups
        .iter()
        .filter(|g| interface.security_groups.contains(&g.id));
    for g in groups {
        let render = |rules: &[SgRule], field: &str, out: &mut String| {
            for rule in rules {
                for peer in &rule.peers {
                    for cidr in peer_cidrs(model, peer) {
                        out.push_str(&format!(
                            "\t\tip {field} {cidr} {} accept comment \"{}\"\n",
                            protocol_match(rule.protocol, rule.ports),
                            g.id
                        ));
                    }
                }
            }
        };
        render(&g.inbound, "saddr", &mut input);
        render(&g.outbound, "daddr", &mut output);
    }
    format!(
        "table ip sg {{\n\
         \tchain input {{ type filter hook input priority filter; policy drop;\n\
         \t\tct state established,related accept\n\
         \t\tiif \"lo\" accept\n{input}\t}}\n\
         \tchain output {{ type filter hook output priority filter; policy drop;\n\
         \t\tct state established,related accept\n\
         \t\toif \"lo\" accept\n{output}\t}}\n\
         }}\n"
    )
}

/// An internet gateway: stateless 1:1 translation between public and private addresses of the
/// interfaces of its network; nothing else crosses it.
fn internet_gateway_ruleset(mapping: &[(Ipv4Addr, Ipv4Addr)]) -> String {
    let mut inbound = String::new();
    let mut outbound = String::new();
    for (public, private) in mapping {
        inbound.push_str(&format!(
            "\t\tiifname \"i0\" ip daddr {public} ip daddr set {private} accept\n"
        ));
        outbound.push_str(&format!(
            "\t\toifname \"i0\" ip saddr {private} ip saddr set {public} accept\n"
        ));
    }
    format!(
        "table ip igw {{\n\
         \tchain prerouting {{ type filter hook prerouting priority raw; policy accept;\n\
         {inbound}\t}}\n\
         \tchain forward {{ type filter hook forward priority filter; policy accept;\n\
         \t\tiifname \"i0\" oifname \"i0\" drop\n\
         \t\tiifname != \"i0\" oifname != \"i0\" drop\n\
         \t}}\n\
         \tchain postrouting {{ type filter hook postrouting priority srcnat; policy accept;\n\
         {outbound}\t\toifname \"i0\" drop\n\
         \t}}\n\
         }}\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Carrying a plan out

/// A realised model: namespaces and agents, removed on drop (also when a test panics).
pub struct Lab {
    /// Every namespace this lab asked for, created or not (deletion tolerates absent ones).
    namespaces: Vec<String>,
    agents: Vec<Agent>,
    prober: Option<Agent>,
    witnesses: HashMap<Ipv4Addr, Vec<u16>>,
    options: LabOptions,
    dir: tempfile::TempDir,
    /// How long [`Lab::realise`] took.
    pub setup: Duration,
}

static LAB_SEQUENCE: AtomicU32 = AtomicU32::new(0);

impl Lab {
    pub fn realise(model: &Model, options: &LabOptions) -> Result<Lab> {
        let started = Instant::now();
        clean_stale_namespaces();
        let python = python()?;
        let prefix = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            LAB_SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let plan = Plan::new(model, options, &prefix)?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir()
            .map_err(|e| LabError(format!("cannot create a temporary directory: {e}")))?;
        let mut lab = Lab {
            namespaces: plan.namespaces.iter().map(|n| n.name.clone()).collect(),
            agents: Vec::new(),
            prober: None,
            witnesses: plan.witnesses.clone(),
            options: options.clone(),
            dir,
            setup: Duration::ZERO,
        };

        let adds: String = lab
            .namespaces
            .iter()
            .map(|n| format!("netns add {n}\n"))
            .collect();
        run("ip", &["-batch", "-"], Some(&adds)).map_err(|e| {
            LabError(format!(
                "cannot create network namespaces (the oracle needs root, or CAP_SYS_ADMIN and \
                 CAP_NET_ADMIN, and `ip netns`): {e}"
            ))
        })?;
        let links: String = plan.links.iter().map(|l| format!("{l}\n")).collect();
        run("ip", &["-batch", "-"], Some(&links))?;

        // Each namespace: sysctls, addresses and routes, then its ruleset.
        let mut setups = Vec::new();
        for ns in &plan.namespaces {
            let ip_path = lab.file(&format!("{}.ip", ns.name), &ns.ip.join("\n"))?;
            let mut script = String::from(
                "for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > \"$f\"; done\n",
            );
            if ns.forwarding {
                script.push_str("echo 1 > /proc/sys/net/ipv4/ip_forward\n");
            }
            script.push_str(&format!("ip -batch '{}'\n", ip_path.display()));
            if !ns.nft.is_empty() {
                let nft_path = lab.file(&format!("{}.nft", ns.name), &ns.nft)?;
                script.push_str(&format!("nft -f '{}'\n", nft_path.display()));
            }
            let script_path = lab.file(&format!("{}.sh", ns.name), &script)?;
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", &ns.name, "sh", "-e"])
                .arg(&script_path);
            setups.push((ns.name.clone(), cmd));
        }
        run_all(setups, 6)?;

        // Agents: start them all, then wait for each to be ready.
        let script_path = lab.file("agent.py", AGENT)?;
        for (ns, config) in &plan.agents {
            let name = &plan.namespaces[*ns].name;
            let log = lab.dir.path().join(format!("{name}.log"));
            let agent = Agent::spawn(&python, name, &script_path, config, log)?;
            if *ns == plan.inet {
                lab.prober = Some(agent);
            } else {
                lab.agents.push(agent);
            }
        }
        for agent in lab.agents.iter_mut().chain(lab.prober.as_mut()) {
            agent.wait_ready(Duration::from_secs(20))?;
        }
        lab.setup = started.elapsed();
        Ok(lab)
    }

    fn file(&self, name: &str, contents: &str) -> Result<PathBuf> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents)
            .map_err(|e| LabError(format!("cannot write `{}`: {e}", path.display())))?;
        Ok(path)
    }

    /// Runs `probes` concurrently with the lab's timeout.
    pub fn probe(&mut self, probes: &[Probe]) -> Result<Vec<Outcome>> {
        let timeout = self.options.timeout;
        self.probe_with_timeout(probes, timeout)
    }

    /// Runs `probes` concurrently: each from its client, once per ephemeral witness port of
    /// the destination; reachable when any attempt is answered within `timeout`.
    pub fn probe_with_timeout(
        &mut self,
        probes: &[Probe],
        timeout: Duration,
    ) -> Result<Vec<Outcome>> {
        let mut attempts = Vec::new();
        let mut owner = Vec::new();
        for (n, probe) in probes.iter().enumerate() {
            if !matches!(probe.protocol, Protocol::Tcp | Protocol::Udp) {
                return fail(format!("cannot probe {probe}: only TCP and UDP"));
            }
            let ports = self
                .witnesses
                .get(&probe.destination)
                .map_or(&[EPHEMERAL.from][..], |w| &w[..]);
            for &sport in ports {
                attempts.push(json!([
                    probe.source.to_string(),
                    sport,
                    probe.destination.to_string(),
                    protocol_name(probe.protocol),
                    probe.port
                ]));
                owner.push(n);
            }
        }
        let request = json!({ "timeout": timeout.as_secs_f64(), "attempts": attempts });
        let Some(prober) = self.prober.as_mut() else {
            return fail("the lab has no prober");
        };
        // Chunks of 1500 attempts each wait up to `timeout`.
        let chunks = u32::try_from(attempts.len() / 1500 + 1).unwrap_or(u32::MAX);
        let line = prober.request(
            &request.to_string(),
            timeout * chunks + Duration::from_secs(30),
        )?;
        let answers: Vec<Option<String>> = serde_json::from_str(&line)
            .map_err(|e| LabError(format!("the prober's answer is not JSON ({e}): {line}")))?;
        if answers.len() != attempts.len() {
            return fail(format!(
                "the prober answered {} attempts of {}",
                answers.len(),
                attempts.len()
            ));
        }
        let mut outcomes = vec![
            Outcome {
                reachable: false,
                answer: None
            };
            probes.len()
        ];
        for (n, answer) in owner.into_iter().zip(answers) {
            if let Some(answer) = answer {
                let outcome = &mut outcomes[n];
                outcome.reachable = true;
                outcome.answer.get_or_insert(answer);
            }
        }
        Ok(outcomes)
    }

    /// Probes, then probes again (alone, with three times the timeout) those expected
    /// reachable but not answered: a lost packet must not pass for a difference. (Only an
    /// answer makes a probe reachable, so the converse needs no second look.)
    pub fn probe_and_confirm(
        &mut self,
        probes: &[Probe],
        expected: &[bool],
    ) -> Result<Vec<Outcome>> {
        let mut outcomes = self.probe(probes)?;
        let again: Vec<usize> = (0..probes.len())
            .filter(|&n| expected[n] && !outcomes[n].reachable)
            .collect();
        if !again.is_empty() {
            let retry: Vec<Probe> = again.iter().map(|&n| probes[n]).collect();
            let timeout = self.options.timeout * 3;
            let second = self.probe_with_timeout(&retry, timeout)?;
            for (n, outcome) in again.into_iter().zip(second) {
                if outcome.reachable {
                    outcomes[n] = outcome;
                }
            }
        }
        Ok(outcomes)
    }

    /// The names of the lab's namespaces.
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.prober = None;
        self.agents.clear();
        delete_namespaces(&self.namespaces);
    }
}

fn delete_namespaces(names: &[String]) {
    if names.is_empty() {
        return;
    }
    let dels: String = names.iter().map(|n| format!("netns del {n}\n")).collect();
    // `-force`: go on past namespaces that were never created.
    if let Err(e) = run("ip", &["-force", "-batch", "-"], Some(&dels)) {
        let left: Vec<&String> = names
            .iter()
            .filter(|n| std::path::Path::new("/run/netns").join(n).exists())
            .collect();
        if !left.is_empty() {
            eprintln!("oracle: could not delete namespaces {left:?}: {e}");
        }
    }
}

/// Deletes namespaces left by earlier runs of this harness whose process is gone (a run killed
/// before its labs were dropped). Namespaces of live processes are left alone.
fn clean_stale_namespaces() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let Ok(list) = run("ip", &["netns", "list"], None) else {
            return;
        };
        let stale: Vec<String> = list
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| {
                let Some(rest) = name.strip_prefix(PREFIX) else {
                    return false;
                };
                let pid = rest.split('-').next().unwrap_or_default();
                pid.parse::<u32>().is_ok_and(|pid| {
                    pid != std::process::id()
                        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
                })
            })
            .map(str::to_string)
            .collect();
        if !stale.is_empty() {
            eprintln!("oracle: deleting {} stale namespaces", stale.len());
            delete_namespaces(&stale);
        }
    });
}

/// The Python interpreter itself (not a shim: `pyenv`'s costs half a second per start).
fn python() -> Result<String> {
    static PYTHON: OnceLock<std::result::Result<String, String>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            if let Ok(p) = std::env::var("VIGIL_ORACLE_PYTHON") {
                return Ok(p);
            }
            run(
                "python3",
                &["-c", "import sys; print(sys.executable)"],
                None,
            )
            .map(|out| out.trim().to_string())
            .map_err(|e| format!("the oracle needs python3: {e}"))
        })
        .clone()
        .map_err(LabError)
}

fn describe(program: &str, args: &[&str]) -> String {
    let mut s = program.to_string();
    for a in args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

/// Runs a command to completion; its stdout, or an error with its stderr.
fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| LabError(format!("cannot run `{}`: {e}", describe(program, args))))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let input = input.to_string();
        std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    }
    let out = child
        .wait_with_output()
        .map_err(|e| LabError(format!("`{}` failed: {e}", describe(program, args))))?;
    if !out.status.success() {
        return fail(format!(
            "`{}` failed ({}): {}{}",
            describe(program, args),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            stdin.map(|s| format!("\ninput:\n{s}")).unwrap_or_default()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs commands, `parallel` at a time; the first failure (with its output) is the error.
fn run_all(commands: Vec<(String, Command)>, parallel: usize) -> Result<()> {
    let mut pending = commands.into_iter();
    let mut running: Vec<(String, Child)> = Vec::new();
    let mut first_error = None;
    loop {
        while running.len() < parallel {
            let Some((label, mut cmd)) = pending.next() else {
                break;
            };
            match cmd
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
            {
                Ok(child) => running.push((label, child)),
                Err(e) => {
                    first_error.get_or_insert(format!("cannot set up `{label}`: {e}"));
                }
            }
        }
        if running.is_empty() {
            break;
        }
        let (label, child) = running.remove(0);
        match child.wait_with_output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                first_error.get_or_insert(format!(
                    "setting up namespace `{label}` failed ({}): {}{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout).trim(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Err(e) => {
                first_error.get_or_insert(format!("setting up namespace `{label}` failed: {e}"));
            }
        }
    }
    match first_error {
        Some(e) => Err(LabError(e)),
        None => Ok(()),
    }
}

/// A long-running agent process in a namespace, fed JSON lines on stdin.
struct Agent {
    namespace: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    log: PathBuf,
}

impl Agent {
    fn spawn(
        python: &str,
        namespace: &str,
        script: &std::path::Path,
        config: &Value,
        log: PathBuf,
    ) -> Result<Agent> {
        let log_file = std::fs::File::create(&log)
            .map_err(|e| LabError(format!("cannot create `{}`: {e}", log.display())))?;
        let mut child = Command::new("ip")
            .args(["netns", "exec", namespace, python, "-u"])
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| LabError(format!("cannot start the agent in `{namespace}`: {e}")))?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return fail(format!("the agent in `{namespace}` has no pipes"));
        };
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut agent = Agent {
            namespace: namespace.to_string(),
            child,
            stdin: None,
            lines,
            log,
        };
        writeln!(stdin, "{config}").map_err(|e| agent.error(&format!("cannot configure: {e}")))?;
        agent.stdin = Some(stdin);
        Ok(agent)
    }

    fn error(&self, what: &str) -> LabError {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        LabError(format!(
            "agent in `{}`: {what}; its log:\n{}",
            self.namespace,
            log.trim()
        ))
    }

    fn next_line(&mut self, timeout: Duration) -> Result<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(self.error("no answer in time")),
            Err(RecvTimeoutError::Disconnected) => Err(self.error("exited")),
        }
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let line = self.next_line(timeout)?;
        if line == "ready" {
            Ok(())
        } else {
            Err(self.error(&format!("said `{line}` instead of `ready`")))
        }
    }

    fn request(&mut self, line: &str, timeout: Duration) -> Result<String> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.error("stdin closed"));
        };
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|e| LabError(format!("agent in `{}`: {e}", self.namespace)))?;
        self.next_line(timeout)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stdin = None; // agents exit at end of input
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether an answer came from where the model says the probed address leads: a host
/// interface's public address is answered by that interface, a balancer's by a healthy target
/// of the listener on the probed protocol and port. `None`: consistent (or not answered).
pub fn answer_problem(model: &Model, probe: &Probe, outcome: &Outcome) -> Option<String> {
    let answer = outcome.answer.as_deref()?;
    let host = model
        .hosts
        .iter()
        .flat_map(|h| &h.interfaces)
        .find(|i| i.public_ip == Some(probe.destination));
    if let Some(i) = host {
        return (answer != i.id)
            .then(|| format!("{probe}: answered by `{answer}`, not by `{}`", i.id));
    }
    let balancer = model.load_balancers.iter().find(|lb| {
        lb.interfaces
            .iter()
            .any(|i| i.public_ip == Some(probe.destination))
    });
    let Some(lb) = balancer else {
        return Some(format!(
            "{probe}: answered by `{answer}` at no model address"
        ));
    };
    let healthy: BTreeSet<&str> = lb
        .listeners
        .iter()
        .filter(|l| l.protocol == probe.protocol && l.port == probe.port)
        .flat_map(|l| {
            model
                .target_groups
                .iter()
                .filter(move |g| g.id == l.target_group)
        })
        .flat_map(|g| &g.targets)
        .filter(|t| t.healthy)
        .map(|t| t.interface.as_str())
        .collect();
    match answer.split_once('>') {
        Some((who, target)) if who == lb.id && healthy.contains(target) => None,
        _ => Some(format!(
            "{probe}: answered by `{answer}`, not by `{}` through one of {healthy:?}",
            lb.id
        )),
    }
}

#[test]
fn ephemeral_intervals_cut_at_every_boundary() {
    let rule = |from, to| AclRule {
        number: 1,
        action: Action::Allow,
        protocol: Protocol::Tcp,
        ports: PortRange { from, to },
        cidr: LINK_SPACE,
    };
    assert_eq!(ephemeral_intervals(&[]), vec![(1024, 65535)]);
    assert_eq!(
        ephemeral_intervals(&[rule(80, 80), rule(32768, 65535), rule(65535, 65535)]),
        vec![(1024, 32767), (32768, 65534), (65535, 65535)]
    );
    assert_eq!(
        ephemeral_intervals(&[rule(0, 1024), rule(40000, 50000)]),
        vec![(1024, 1024), (1025, 39999), (40000, 50000), (50001, 65535)]
    );
}

#[test]
fn acl_rules_are_rendered_by_number() {
    let rule = |number, action| AclRule {
        number,
        action,
        protocol: Protocol::Udp,
        ports: PortRange { from: 53, to: 53 },
        cidr: Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 2, 0), 24),
    };
    let acl = Acl {
        id: "acl-1".to_string(),
        network: "net-1".to_string(),
        inbound: vec![rule(20, Action::Deny), rule(10, Action::Allow)],
        outbound: vec![],
    };
    let text = acl_ruleset(Some(&acl));
    let first = text.find("rule 10").expect("rule 10 is rendered");
    let second = text.find("rule 20").expect("rule 20 is rendered");
    assert!(first < second, "{text}");
    assert!(
        text.contains("ip saddr 192.0.2.0/24 meta l4proto udp th dport 53 accept"),
        "{text}"
    );
}

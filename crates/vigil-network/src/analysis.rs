//! Reachability from the internet: the exact per-probe predicate, and the exposures
//! (`NETWORK_REACHABILITY` findings) computed from it.
//!
//! # The predicate
//!
//! [`Analyzer::reachable`]`(source, destination, protocol, port)` says whether a TCP connection
//! (or a UDP request and its reply) from the internet address `source` to the public address
//! `destination` on `port` succeeds, under the semantics fixed in [`crate::model`]. It is
//! `false` when `protocol` is not TCP or UDP, when `source` is not an internet address (see
//! [`is_internet`]), and when no interface has the public address `destination`.
//!
//! **Host interface** `I` (in subnet `S` of network `N`, route table `T`, ACL `A`), all of:
//! 1. the route `T` chooses for `source` (longest prefix; the routes listed, plus an implicit
//!    `Local` route for each CIDR of `T`'s network that no listed route has as its exact
//!    destination, as AWS always has one) targets an internet gateway attached to `N`
//!    (the reply's route; the request arrives through that gateway);
//! 2. the first rule of `A`'s inbound rules (ascending `number`; ties keep the listed order)
//!    matching (protocol, `port`, `source`) allows;
//! 3. some port `q` in [`EPHEMERAL`] has the first rule of `A`'s outbound rules matching
//!    (protocol, `q`, `source`) allow (the reply);
//! 4. some inbound rule of some security group of `I` matches (protocol, `port`, `source`),
//!    where a peer matches by CIDR, by any CIDR of a prefix list, or when `source` is the
//!    private address of an interface (host or balancer) that is a member of the referenced
//!    group. A host interface without groups admits nothing.
//!
//! A rule's protocol matches when it is the probe's or `All`; its port range is taken as
//! written, also for `All` (importers write `0–65535` there). ICMP rules never match.
//!
//! **Balancer interface** `L` of an internet-facing balancer (internal ones are never reached):
//! steps 1–4 for `L` (a balancer interface without groups admits everything), and some listener
//! with the probe's protocol (or `All`) and `port` whose target group has a healthy target `t`
//! (host interface `H`, port `p`) such that, with the probe's protocol:
//! 5. `L` and `H` are in the same network, the route `L`'s table chooses for `H`'s private
//!    address is `Local`, and so is the route `H`'s table chooses for `L`'s private address;
//! 6. `L` has no groups, or some outbound rule of its groups matches (protocol, `p`, `H`'s
//!    private address);
//! 7. if `L` and `H` are in different subnets (the same subnet crosses no ACL): `L`'s ACL
//!    outbound and `H`'s ACL inbound allow (protocol, `p`) to/from the two private addresses,
//!    and some one port `q` in [`EPHEMERAL`] is allowed both by `H`'s ACL outbound (to `L`'s
//!    private address) and by `L`'s ACL inbound (from `H`'s private address): the reply
//!    crosses both with the same port;
//! 8. some inbound rule of `H`'s groups matches (protocol, `p`, `L`'s private address).
//!
//! Targets in another network (peering) are not followed.
//!
//! # Exposures
//!
//! [`analyze`] reports, per host interface with a public address and per protocol (TCP, UDP),
//! every maximal port range whose ports are reachable from the same non-empty set of internet
//! sources, with that set as merged CIDRs: for every port in `ports` and address in `sources`,
//! the predicate holds, and for no other source. It partitions the source space at every CIDR
//! boundary of the rules that can matter (the subnet's routes, its ACL's rules, the interface's
//! groups' peers, member addresses, the non-internet blocks) and the port space at every rule
//! port boundary, evaluates each cell once, and merges. Through a balancer, per balancer
//! interface with a public address, listener and healthy reachable target, one exposure names
//! the target host and interface, the balancer's public address, `ports` = the target port,
//! `via_load_balancer` = (balancer id, listener port) and the sources that reach the listener.
//!
//! Paths list the components in the order traffic meets them, naming only the groups (and the
//! gateway) that admit the traffic in at least one cell of the exposure:
//! `InternetGateway -> NetworkAcl -> RouteTable -> SecurityGroup… -> NetworkInterface ->
//! Instance`, and through a balancer `InternetGateway -> NetworkAcl (balancer's) -> RouteTable
//! (balancer's) -> SecurityGroup… (balancer's) -> LoadBalancer -> Listener -> TargetGroup ->
//! NetworkAcl (target's; only when in another subnet) -> SecurityGroup… (target's) ->
//! NetworkInterface -> Instance`. The `Instance` step is left out for hosts whose id is their
//! interface's id (interfaces that belong to no instance). The model has no listener ids: a
//! listener's component id is `<balancer id>/<tcp|udp|all>:<port>`.
//!
//! Severity ([`severity`]): `CRITICAL` for a range covering every port (`0–65535` or
//! `1–65535`); `HIGH` for a range containing a port of [`HIGH_PORTS`] (remote administration
//! and databases); `MEDIUM` for a range containing a well-known port (below 1024); `LOW`
//! otherwise. Through a balancer, the higher of the listener port's and the target port's.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::Ipv4Addr;

use ipnet::{Ipv4Net, Ipv4Subnets};
use serde::Serialize;

use crate::model::{
    Action, EPHEMERAL, GatewayKind, Listening, Model, PortRange, Protocol, RouteTarget, Scheme,
};
use crate::validate::Problem;

/// The finding type exposures become.
pub const FINDING_TYPE: &str = "NETWORK_REACHABILITY";

/// Component types of path steps (Amazon Inspector's names).
pub mod component {
    pub const INTERNET_GATEWAY: &str = "AWS::EC2::InternetGateway";
    pub const NETWORK_ACL: &str = "AWS::EC2::NetworkAcl";
    pub const ROUTE_TABLE: &str = "AWS::EC2::RouteTable";
    pub const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";
    pub const NETWORK_INTERFACE: &str = "AWS::EC2::NetworkInterface";
    pub const INSTANCE: &str = "AWS::EC2::Instance";
    pub const LOAD_BALANCER: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
    pub const LISTENER: &str = "AWS::ElasticLoadBalancingV2::Listener";
    pub const TARGET_GROUP: &str = "AWS::ElasticLoadBalancingV2::TargetGroup";
}

/// Address blocks that are not "the internet": this network, private (RFC 1918), shared
/// (RFC 6598), loopback, link-local, multicast and reserved. Documentation blocks count as
/// internet.
pub const NOT_INTERNET: [(Ipv4Addr, u8); 9] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];

/// Ports whose exposure is `HIGH`: remote administration (SSH, Telnet, RDP, VNC, WinRM, the
/// Docker API, Windows RPC/NetBIOS/SMB, rpcbind, NFS, the kubelet, etcd) and databases (MySQL,
/// PostgreSQL, SQL Server, Oracle, MongoDB, Redis, Elasticsearch, memcached, CouchDB,
/// Cassandra).
pub const HIGH_PORTS: [PortRange; 22] = [
    PortRange { from: 22, to: 23 },
    PortRange { from: 111, to: 111 },
    PortRange { from: 135, to: 135 },
    PortRange { from: 139, to: 139 },
    PortRange { from: 445, to: 445 },
    PortRange {
        from: 1433,
        to: 1433,
    },
    PortRange {
        from: 1521,
        to: 1521,
    },
    PortRange {
        from: 2049,
        to: 2049,
    },
    PortRange {
        from: 2375,
        to: 2376,
    },
    PortRange {
        from: 2379,
        to: 2380,
    },
    PortRange {
        from: 3306,
        to: 3306,
    },
    PortRange {
        from: 3389,
        to: 3389,
    },
    PortRange {
        from: 5432,
        to: 5432,
    },
    PortRange {
        from: 5900,
        to: 5900,
    },
    PortRange {
        from: 5984,
        to: 5984,
    },
    PortRange {
        from: 5985,
        to: 5986,
    },
    PortRange {
        from: 6379,
        to: 6379,
    },
    PortRange {
        from: 9042,
        to: 9042,
    },
    PortRange {
        from: 9200,
        to: 9300,
    },
    PortRange {
        from: 10250,
        to: 10250,
    },
    PortRange {
        from: 11211,
        to: 11211,
    },
    PortRange {
        from: 27017,
        to: 27017,
    },
];

/// Whether `a` is an internet address (outside [`NOT_INTERNET`]).
pub fn is_internet(a: Ipv4Addr) -> bool {
    !NOT_INTERNET
        .iter()
        .any(|&(net, len)| Ipv4Net::new_assert(net, len).contains(&a))
}

/// The severity of exposing `ports` (see the module doc).
pub fn severity(ports: PortRange) -> &'static str {
    ["LOW", "MEDIUM", "HIGH", "CRITICAL"][severity_rank(ports)]
}

fn severity_rank(ports: PortRange) -> usize {
    if ports.from <= 1 && ports.to == 65535 {
        3
    } else if HIGH_PORTS
        .iter()
        .any(|h| h.from <= ports.to && ports.from <= h.to)
    {
        2
    } else if ports.from < 1024 {
        1
    } else {
        0
    }
}

/// Lowercase protocol name, for messages and listener ids.
pub(crate) fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Icmp => "icmp",
        Protocol::All => "all",
    }
}

/// One component on the path from the internet to a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Step {
    pub component_id: String,
    pub component_type: &'static str,
}

impl Step {
    fn new(id: &str, component_type: &'static str) -> Step {
        Step {
            component_id: id.to_owned(),
            component_type,
        }
    }
}

/// A port range of a host the internet reaches (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exposure {
    pub host: String,
    pub interface: String,
    /// The address reached: the host interface's, or the balancer interface's.
    pub public_ip: Ipv4Addr,
    pub protocol: Protocol,
    /// On the host (through a balancer: the target port).
    pub ports: PortRange,
    /// Exactly the internet addresses that reach every port of `ports`, as merged CIDRs.
    pub sources: Vec<Ipv4Net>,
    pub path: Vec<Step>,
    /// `(balancer id, listener port)` when reached through a balancer.
    pub via_load_balancer: Option<(String, u16)>,
    /// Sockets of the host on `protocol` in `ports`, bound to every address or to the
    /// interface's private address.
    pub listening: Vec<Listening>,
    /// `CRITICAL`, `HIGH`, `MEDIUM` or `LOW` (see [`severity`]).
    pub severity: &'static str,
}

/// The exposures of a model, and what the analysis could not resolve.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    pub exposures: Vec<Exposure>,
    /// Dangling references met while indexing the model (a validated model has none); how each
    /// is treated is in its message.
    pub problems: Vec<Problem>,
}

/// Whether the probe succeeds (builds an [`Analyzer`]; build one yourself for many probes).
pub fn reachable(
    model: &Model,
    source: Ipv4Addr,
    destination: Ipv4Addr,
    protocol: Protocol,
    port: u16,
) -> bool {
    Analyzer::new(model).reachable(source, destination, protocol, port)
}

/// Every exposure of `model`.
pub fn analyze(model: &Model) -> Analysis {
    Analyzer::new(model).analyze()
}

// ---------------------------------------------------------------------------------------------
// The index.

#[derive(Debug, Clone, Copy)]
struct Cidr {
    net: u32,
    mask: u32,
}

impl Cidr {
    fn of(n: &Ipv4Net) -> Cidr {
        Cidr {
            net: u32::from(n.network()),
            mask: u32::from(n.netmask()),
        }
    }

    fn contains(self, a: u32) -> bool {
        a & self.mask == self.net
    }

    fn prefix(self) -> u32 {
        self.mask.count_ones()
    }

    /// `[first, last + 1)` as u64 cuts.
    fn cuts(self) -> [u64; 2] {
        let first = u64::from(self.net);
        [first, first + (u64::from(!self.mask) + 1)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    Local,
    /// A gateway, by index, of kind internet.
    InternetGateway(usize),
    Elsewhere,
}

#[derive(Debug)]
struct AclRuleIx {
    allow: bool,
    protocol: Protocol,
    ports: PortRange,
    cidr: Cidr,
}

#[derive(Debug, Default)]
struct AclIx {
    inbound: Vec<AclRuleIx>,
    outbound: Vec<AclRuleIx>,
}

#[derive(Debug)]
struct SgRuleIx {
    protocol: Protocol,
    ports: PortRange,
    cidrs: Vec<Cidr>,
    groups: Vec<usize>,
}

#[derive(Debug, Default)]
struct GroupIx {
    inbound: Vec<SgRuleIx>,
    outbound: Vec<SgRuleIx>,
}

#[derive(Debug, Clone, Copy)]
struct SubnetIx {
    network: usize,
    table: usize,
    acl: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Host(usize),
    Balancer(usize),
}

#[derive(Debug)]
struct InterfaceIx<'a> {
    id: &'a str,
    owner: Owner,
    subnet: Option<usize>,
    private: u32,
    public: Option<Ipv4Addr>,
    groups: Vec<usize>,
    /// A balancer interface that declares no groups admits everything.
    allow_all: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Inbound,
    Outbound,
}

/// The model, indexed once for many probes.
#[derive(Debug)]
pub struct Analyzer<'a> {
    model: &'a Model,
    /// Per gateway: the network index an internet gateway is attached to.
    internet_gateways: Vec<Option<usize>>,
    /// Per route table: routes, most specific first.
    tables: Vec<Vec<(Cidr, Hop)>>,
    acls: Vec<AclIx>,
    groups: Vec<GroupIx>,
    /// Per group: the sorted private addresses of its member interfaces.
    members: Vec<Vec<u32>>,
    subnets: Vec<Option<SubnetIx>>,
    interfaces: Vec<InterfaceIx<'a>>,
    by_public: HashMap<Ipv4Addr, usize>,
    /// Per target group: (host interface index, port, healthy).
    targets: Vec<Vec<(usize, u16, bool)>>,
    target_group_by_id: HashMap<&'a str, usize>,
    problems: Vec<Problem>,
}

fn note(problems: &mut Vec<Problem>, path: String, message: String) {
    problems.push(Problem {
        origin: "model".to_owned(),
        path,
        message,
    });
}

impl<'a> Analyzer<'a> {
    pub fn new(model: &'a Model) -> Analyzer<'a> {
        let mut problems = Vec::new();
        let p = &mut problems;

        fn index<'m, T>(items: &'m [T], id: impl Fn(&'m T) -> &'m str) -> HashMap<&'m str, usize> {
            let mut map = HashMap::new();
            for (i, t) in items.iter().enumerate() {
                map.entry(id(t)).or_insert(i);
            }
            map
        }
        let network_by_id = index(&model.networks, |n| n.id.as_str());
        let gateway_by_id = index(&model.gateways, |g| g.id.as_str());
        let table_by_id = index(&model.route_tables, |t| t.id.as_str());
        let acl_by_id = index(&model.acls, |a| a.id.as_str());
        let group_by_id = index(&model.security_groups, |g| g.id.as_str());
        let subnet_by_id = index(&model.subnets, |s| s.id.as_str());
        let prefix_by_id = index(&model.prefix_lists, |l| l.id.as_str());
        let target_group_by_id = index(&model.target_groups, |t| t.id.as_str());

        let internet_gateways = model
            .gateways
            .iter()
            .map(|g| match g.kind {
                GatewayKind::Internet => g
                    .network
                    .as_deref()
                    .and_then(|n| network_by_id.get(n).copied()),
                GatewayKind::Nat => None,
            })
            .collect();

        let tables = model
            .route_tables
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut routes: Vec<(Cidr, Hop)> = t
                    .routes
                    .iter()
                    .enumerate()
                    .map(|(j, r)| {
                        let hop = match &r.target {
                            RouteTarget::Local => Hop::Local,
                            RouteTarget::InternetGateway(g) => match gateway_by_id.get(g.as_str()) {
                                Some(&k) if model.gateways[k].kind == GatewayKind::Internet => {
                                    Hop::InternetGateway(k)
                                }
                                _ => {
                                    note(p, format!("route_tables[{i}].routes[{j}]"), format!("route to `{}` leads to `{g}`, which is not a defined internet gateway; it never leads to the internet", r.destination));
                                    Hop::Elsewhere
                                }
                            },
                            _ => Hop::Elsewhere,
                        };
                        (Cidr::of(&r.destination), hop)
                    })
                    .collect();
                if let Some(&n) = network_by_id.get(t.network.as_str()) {
                    for c in &model.networks[n].cidrs {
                        if !t.routes.iter().any(|r| r.destination.trunc() == c.trunc()) {
                            routes.push((Cidr::of(c), Hop::Local));
                        }
                    }
                }
                // Stable: equal prefixes keep the listed order (the first listed wins).
                routes.sort_by_key(|(c, _)| std::cmp::Reverse(c.prefix()));
                routes
            })
            .collect();

        let acl_rules = |rules: &[crate::model::AclRule]| {
            let mut sorted: Vec<&crate::model::AclRule> = rules.iter().collect();
            sorted.sort_by_key(|r| r.number);
            sorted
                .into_iter()
                .map(|r| AclRuleIx {
                    allow: r.action == Action::Allow,
                    protocol: r.protocol,
                    ports: r.ports,
                    cidr: Cidr::of(&r.cidr),
                })
                .collect()
        };
        let acls = model
            .acls
            .iter()
            .map(|a| AclIx {
                inbound: acl_rules(&a.inbound),
                outbound: acl_rules(&a.outbound),
            })
            .collect();

        let mut groups = Vec::new();
        for (i, g) in model.security_groups.iter().enumerate() {
            let mut rules = |direction: &str, rules: &[crate::model::SgRule]| {
                rules
                    .iter()
                    .enumerate()
                    .map(|(j, r)| {
                        let mut cidrs = Vec::new();
                        let mut refs = Vec::new();
                        for (k, peer) in r.peers.iter().enumerate() {
                            match peer {
                                crate::model::Peer::Cidr(c) => cidrs.push(Cidr::of(c)),
                                crate::model::Peer::PrefixList(l) => match prefix_by_id.get(l.as_str()) {
                                    Some(&x) => cidrs.extend(model.prefix_lists[x].cidrs.iter().map(Cidr::of)),
                                    None => note(p, format!("security_groups[{i}].{direction}[{j}].peers[{k}]"), format!("prefix list `{l}` is not defined; the peer matches nothing")),
                                },
                                crate::model::Peer::SecurityGroup(s) => match group_by_id.get(s.as_str()) {
                                    Some(&x) => refs.push(x),
                                    None => note(p, format!("security_groups[{i}].{direction}[{j}].peers[{k}]"), format!("security group `{s}` is not defined; the peer matches nothing")),
                                },
                            }
                        }
                        SgRuleIx {
                            protocol: r.protocol,
                            ports: r.ports,
                            cidrs,
                            groups: refs,
                        }
                    })
                    .collect::<Vec<_>>()
            };
            let inbound = rules("inbound", &g.inbound);
            let outbound = rules("outbound", &g.outbound);
            groups.push(GroupIx { inbound, outbound });
        }

        let subnets = model
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let network = network_by_id.get(s.network.as_str()).copied();
                let table = table_by_id.get(s.route_table.as_str()).copied();
                let acl = acl_by_id.get(s.acl.as_str()).copied();
                match (network, table, acl) {
                    (Some(network), Some(table), Some(acl)) => Some(SubnetIx { network, table, acl }),
                    _ => {
                        note(p, format!("subnets[{i}]"), format!("subnet `{}` refers to an undefined network, route table or ACL; nothing in it is reachable", s.id));
                        None
                    }
                }
            })
            .collect();

        let mut interfaces = Vec::new();
        let mut interface_paths = Vec::new();
        for (h, host) in model.hosts.iter().enumerate() {
            for (j, x) in host.interfaces.iter().enumerate() {
                interfaces.push((Owner::Host(h), x));
                interface_paths.push(format!("hosts[{h}].interfaces[{j}]"));
            }
        }
        for (b, lb) in model.load_balancers.iter().enumerate() {
            for (j, x) in lb.interfaces.iter().enumerate() {
                interfaces.push((Owner::Balancer(b), x));
                interface_paths.push(format!("load_balancers[{b}].interfaces[{j}]"));
            }
        }
        let mut members = vec![Vec::new(); model.security_groups.len()];
        let mut by_public = HashMap::new();
        let mut by_interface_id: HashMap<&str, usize> = HashMap::new();
        let interfaces: Vec<InterfaceIx> = interfaces
            .into_iter()
            .zip(interface_paths)
            .enumerate()
            .map(|(i, ((owner, x), path))| {
                let subnet = subnet_by_id.get(x.subnet.as_str()).copied();
                if subnet.is_none() {
                    note(p, path.clone(), format!("interface `{}` is in subnet `{}`, which is not defined; it is not reachable", x.id, x.subnet));
                }
                let mut gs = Vec::new();
                for g in &x.security_groups {
                    match group_by_id.get(g.as_str()) {
                        Some(&k) => {
                            gs.push(k);
                            members[k].push(u32::from(x.private_ip));
                        }
                        None => note(p, path.clone(), format!("interface `{}` refers to security group `{g}`, which is not defined; it admits nothing", x.id)),
                    }
                }
                if let Some(ip) = x.public_ip {
                    // The first interface with an address is the one reached (validation drops
                    // the later duplicates).
                    match by_public.entry(ip) {
                        Entry::Occupied(_) => note(p, path.clone(), format!("public address `{ip}` of interface `{}` is used by an earlier interface; that one is the one reached", x.id)),
                        Entry::Vacant(v) => {
                            v.insert(i);
                        }
                    }
                }
                by_interface_id.entry(x.id.as_str()).or_insert(i);
                InterfaceIx {
                    id: x.id.as_str(),
                    owner,
                    subnet,
                    private: u32::from(x.private_ip),
                    public: x.public_ip,
                    groups: gs,
                    allow_all: matches!(owner, Owner::Balancer(_)) && x.security_groups.is_empty(),
                }
            })
            .collect();
        for m in &mut members {
            m.sort_unstable();
            m.dedup();
        }

        let targets = model
            .target_groups
            .iter()
            .enumerate()
            .map(|(i, tg)| {
                tg.targets
                    .iter()
                    .enumerate()
                    .filter_map(|(j, t)| match by_interface_id.get(t.interface.as_str()) {
                        Some(&x) if matches!(interfaces[x].owner, Owner::Host(_)) => Some((x, t.port, t.healthy)),
                        _ => {
                            note(p, format!("target_groups[{i}].targets[{j}]"), format!("target `{}` is not a defined host interface; it gets no traffic", t.interface));
                            None
                        }
                    })
                    .collect()
            })
            .collect();

        for (b, lb) in model.load_balancers.iter().enumerate() {
            for (j, l) in lb.listeners.iter().enumerate() {
                if !target_group_by_id.contains_key(l.target_group.as_str()) {
                    note(
                        p,
                        format!("load_balancers[{b}].listeners[{j}]"),
                        format!(
                            "listener on port {} forwards to target group `{}`, which is not defined; it forwards nowhere",
                            l.port, l.target_group
                        ),
                    );
                }
            }
        }

        Analyzer {
            model,
            internet_gateways,
            tables,
            acls,
            groups,
            members,
            subnets,
            interfaces,
            by_public,
            targets,
            target_group_by_id,
            problems,
        }
    }

    /// Dangling references met while indexing (see [`Analysis::problems`]).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    // -----------------------------------------------------------------------------------------
    // The predicate's parts.

    fn lookup(&self, table: usize, addr: u32) -> Option<Hop> {
        self.tables[table]
            .iter()
            .find(|(c, _)| c.contains(addr))
            .map(|&(_, h)| h)
    }

    /// The internet gateway the reply to `addr` leaves through, if it is one attached to the
    /// subnet's network.
    fn reply_gateway(&self, s: SubnetIx, addr: u32) -> Option<usize> {
        match self.lookup(s.table, addr)? {
            Hop::InternetGateway(g) if self.internet_gateways[g] == Some(s.network) => Some(g),
            _ => None,
        }
    }

    fn subnet_of(&self, i: usize) -> Option<SubnetIx> {
        self.interfaces[i].subnet.and_then(|s| self.subnets[s])
    }

    /// Source-dependent, port-independent part for interface `i`: the reply route and the
    /// ACL's outbound rules on some ephemeral port. The gateway, when they pass.
    fn front_source(&self, i: usize, src: u32, protocol: Protocol) -> Option<usize> {
        let s = self.subnet_of(i)?;
        let g = self.reply_gateway(s, src)?;
        let back = acl_ports(&self.acls[s.acl].outbound, protocol, src, EPHEMERAL);
        (!back.is_empty()).then_some(g)
    }

    /// The ACL's inbound rules and the interface's groups; admitting groups go to `collect`.
    fn front_port(
        &self,
        i: usize,
        src: u32,
        protocol: Protocol,
        port: u16,
        collect: Option<&mut Vec<usize>>,
    ) -> bool {
        let Some(s) = self.subnet_of(i) else {
            return false;
        };
        acl_allows(&self.acls[s.acl].inbound, protocol, port, src)
            && self.sg_inbound(i, protocol, port, src, collect)
    }

    fn sg_inbound(
        &self,
        i: usize,
        protocol: Protocol,
        port: u16,
        peer: u32,
        collect: Option<&mut Vec<usize>>,
    ) -> bool {
        let x = &self.interfaces[i];
        x.allow_all || self.sg_match(&x.groups, Direction::Inbound, protocol, port, peer, collect)
    }

    fn sg_match(
        &self,
        groups: &[usize],
        direction: Direction,
        protocol: Protocol,
        port: u16,
        peer: u32,
        mut collect: Option<&mut Vec<usize>>,
    ) -> bool {
        let mut any = false;
        for &g in groups {
            let rules = match direction {
                Direction::Inbound => &self.groups[g].inbound,
                Direction::Outbound => &self.groups[g].outbound,
            };
            let hit = rules.iter().any(|r| {
                r.protocol.covers(protocol)
                    && r.ports.contains(port)
                    && (r.cidrs.iter().any(|c| c.contains(peer))
                        || r.groups
                            .iter()
                            .any(|&m| self.members[m].binary_search(&peer).is_ok()))
            });
            if hit {
                any = true;
                match collect.as_deref_mut() {
                    Some(out) => out.push(g),
                    None => return true,
                }
            }
        }
        any
    }

    /// The balancer interface `l` reaches host interface `t` on `port` (steps 5–8); the
    /// target's admitting groups go to `collect`.
    fn hop(
        &self,
        l: usize,
        t: usize,
        protocol: Protocol,
        port: u16,
        collect: Option<&mut Vec<usize>>,
    ) -> bool {
        let (Some(ls), Some(ts)) = (self.subnet_of(l), self.subnet_of(t)) else {
            return false;
        };
        let (li, ti) = (&self.interfaces[l], &self.interfaces[t]);
        if ls.network != ts.network
            || self.lookup(ls.table, ti.private) != Some(Hop::Local)
            || self.lookup(ts.table, li.private) != Some(Hop::Local)
        {
            return false;
        }
        if !li.allow_all
            && !self.sg_match(
                &li.groups,
                Direction::Outbound,
                protocol,
                port,
                ti.private,
                None,
            )
        {
            return false;
        }
        if li.subnet != ti.subnet {
            let (la, ta) = (&self.acls[ls.acl], &self.acls[ts.acl]);
            if !acl_allows(&la.outbound, protocol, port, ti.private)
                || !acl_allows(&ta.inbound, protocol, port, li.private)
            {
                return false;
            }
            let back_out = acl_ports(&ta.outbound, protocol, li.private, EPHEMERAL);
            let back_in = acl_ports(&la.inbound, protocol, ti.private, EPHEMERAL);
            if !intersects(&back_out, &back_in) {
                return false;
            }
        }
        self.sg_match(
            &ti.groups,
            Direction::Inbound,
            protocol,
            port,
            li.private,
            collect,
        )
    }

    fn listeners(
        &self,
        b: usize,
        protocol: Protocol,
        port: u16,
    ) -> impl Iterator<Item = &'a crate::model::Listener> + use<'a> {
        self.model.load_balancers[b]
            .listeners
            .iter()
            .filter(move |l| l.protocol.covers(protocol) && l.port == port)
    }

    fn group_targets(&self, target_group: &str) -> &[(usize, u16, bool)] {
        self.target_group_by_id
            .get(target_group)
            .map_or(&[], |&g| self.targets[g].as_slice())
    }

    /// See the module doc.
    pub fn reachable(
        &self,
        source: Ipv4Addr,
        destination: Ipv4Addr,
        protocol: Protocol,
        port: u16,
    ) -> bool {
        if !matches!(protocol, Protocol::Tcp | Protocol::Udp) || !is_internet(source) {
            return false;
        }
        let Some(&i) = self.by_public.get(&destination) else {
            return false;
        };
        let src = u32::from(source);
        match self.interfaces[i].owner {
            Owner::Host(_) => {
                self.front_source(i, src, protocol).is_some()
                    && self.front_port(i, src, protocol, port, None)
            }
            Owner::Balancer(b) => {
                self.model.load_balancers[b].scheme == Scheme::InternetFacing
                    && self.listeners(b, protocol, port).next().is_some()
                    && self.front_source(i, src, protocol).is_some()
                    && self.front_port(i, src, protocol, port, None)
                    && self.listeners(b, protocol, port).any(|l| {
                        self.group_targets(&l.target_group)
                            .iter()
                            .any(|&(t, p, healthy)| healthy && self.hop(i, t, protocol, p, None))
                    })
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Exposures.

    /// Source cuts for interface `i`: every boundary where a source-dependent decision can
    /// change.
    fn source_cuts(&self, i: usize, s: SubnetIx) -> Vec<u64> {
        let mut cuts = vec![0, 1 << 32];
        for &(net, len) in &NOT_INTERNET {
            cuts.extend(Cidr::of(&Ipv4Net::new_assert(net, len)).cuts());
        }
        for (c, _) in &self.tables[s.table] {
            cuts.extend(c.cuts());
        }
        let acl = &self.acls[s.acl];
        for r in acl.inbound.iter().chain(&acl.outbound) {
            cuts.extend(r.cidr.cuts());
        }
        for &g in &self.interfaces[i].groups {
            for r in &self.groups[g].inbound {
                for c in &r.cidrs {
                    cuts.extend(c.cuts());
                }
                for &m in &r.groups {
                    for &a in &self.members[m] {
                        cuts.extend([u64::from(a), u64::from(a) + 1]);
                    }
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        cuts
    }

    fn port_cuts(&self, i: usize, s: SubnetIx) -> Vec<u32> {
        let mut cuts = vec![0, 65536];
        let ports = self.acls[s.acl].inbound.iter().map(|r| r.ports).chain(
            self.interfaces[i]
                .groups
                .iter()
                .flat_map(|&g| self.groups[g].inbound.iter().map(|r| r.ports)),
        );
        for p in ports {
            if p.from <= p.to {
                cuts.extend([u32::from(p.from), u32::from(p.to) + 1]);
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        cuts
    }

    /// The internet source cells of interface `i` that pass the source-only checks:
    /// `(first, last, gateway)`.
    fn source_cells(&self, i: usize, s: SubnetIx, protocol: Protocol) -> Vec<(u32, u32, usize)> {
        let cuts = self.source_cuts(i, s);
        cuts.windows(2)
            .filter_map(|w| {
                // Cuts lie in 0..=2^32 and w[0] < w[1], so both fit.
                let first = u32::try_from(w[0]).ok()?;
                let last = u32::try_from(w[1] - 1).ok()?;
                if !is_internet(Ipv4Addr::from(first)) {
                    return None;
                }
                self.front_source(i, first, protocol)
                    .map(|g| (first, last, g))
            })
            .collect()
    }

    /// For a fixed port: the reachable source intervals, gateways and admitting groups.
    fn sources_at(
        &self,
        i: usize,
        cells: &[(u32, u32, usize)],
        protocol: Protocol,
        port: u16,
        scratch: &mut Vec<usize>,
    ) -> Reach {
        let mut reach = Reach::default();
        for &(first, last, g) in cells {
            scratch.clear();
            if self.front_port(i, first, protocol, port, Some(scratch)) {
                match reach.sources.last_mut() {
                    Some(prev) if u64::from(prev.1) + 1 == u64::from(first) => prev.1 = last,
                    _ => reach.sources.push((first, last)),
                }
                push_unique(&mut reach.gateways, g);
                for &x in scratch.iter() {
                    push_unique(&mut reach.groups, x);
                }
            }
        }
        reach
    }

    /// All exposures.
    pub fn analyze(&self) -> Analysis {
        let mut exposures = Vec::new();
        let mut scratch = Vec::new();
        for (i, x) in self.interfaces.iter().enumerate() {
            let (Some(public), Some(s)) = (x.public, self.subnet_of(i)) else {
                continue;
            };
            if self.by_public.get(&public) != Some(&i) {
                // Another interface has the address: that one is reached.
                continue;
            }
            match x.owner {
                Owner::Host(h) => {
                    for protocol in [Protocol::Tcp, Protocol::Udp] {
                        let cells = self.source_cells(i, s, protocol);
                        if cells.is_empty() {
                            continue;
                        }
                        let port_cuts = self.port_cuts(i, s);
                        let mut ranges: Vec<(PortRange, Reach)> = Vec::new();
                        for w in port_cuts.windows(2) {
                            let (Ok(from), Ok(to)) = (u16::try_from(w[0]), u16::try_from(w[1] - 1))
                            else {
                                continue;
                            };
                            let reach = self.sources_at(i, &cells, protocol, from, &mut scratch);
                            match ranges.last_mut() {
                                Some((r, prev))
                                    if u32::from(r.to) + 1 == u32::from(from)
                                        && prev.sources == reach.sources =>
                                {
                                    r.to = to;
                                    prev.absorb(&reach);
                                }
                                _ => ranges.push((PortRange { from, to }, reach)),
                            }
                        }
                        for (ports, reach) in ranges {
                            if reach.sources.is_empty() {
                                continue;
                            }
                            let mut path = self.front_path(&reach, s);
                            path.extend(self.host_path(i, h, &reach.groups_in_order(&x.groups)));
                            exposures.push(self.exposure(
                                i,
                                h,
                                public,
                                protocol,
                                ports,
                                &reach,
                                path,
                                None,
                                severity(ports),
                            ));
                        }
                    }
                }
                Owner::Balancer(b) => {
                    let lb = &self.model.load_balancers[b];
                    if lb.scheme != Scheme::InternetFacing {
                        continue;
                    }
                    for protocol in [Protocol::Tcp, Protocol::Udp] {
                        let mut ports: Vec<u16> = lb
                            .listeners
                            .iter()
                            .filter(|l| l.protocol.covers(protocol))
                            .map(|l| l.port)
                            .collect();
                        ports.sort_unstable();
                        ports.dedup();
                        if ports.is_empty() {
                            continue;
                        }
                        let cells = self.source_cells(i, s, protocol);
                        if cells.is_empty() {
                            continue;
                        }
                        for port in ports {
                            let reach = self.sources_at(i, &cells, protocol, port, &mut scratch);
                            if reach.sources.is_empty() {
                                continue;
                            }
                            let mut front = self.front_path(&reach, s);
                            front.extend(reach.groups_in_order(&x.groups).iter().map(|&g| {
                                Step::new(
                                    &self.model.security_groups[g].id,
                                    component::SECURITY_GROUP,
                                )
                            }));
                            front.push(Step::new(&lb.id, component::LOAD_BALANCER));
                            let mut done = Vec::new();
                            for l in self.listeners(b, protocol, port) {
                                for &(t, tport, healthy) in self.group_targets(&l.target_group) {
                                    if !healthy || done.contains(&(&l.target_group, t, tport)) {
                                        continue;
                                    }
                                    scratch.clear();
                                    if !self.hop(i, t, protocol, tport, Some(&mut scratch)) {
                                        continue;
                                    }
                                    done.push((&l.target_group, t, tport));
                                    let Owner::Host(h) = self.interfaces[t].owner else {
                                        continue;
                                    };
                                    let mut path = front.clone();
                                    path.push(Step {
                                        component_id: format!(
                                            "{}/{}:{}",
                                            lb.id,
                                            protocol_name(l.protocol),
                                            l.port
                                        ),
                                        component_type: component::LISTENER,
                                    });
                                    path.push(Step::new(&l.target_group, component::TARGET_GROUP));
                                    if let (Some(ts), true) =
                                        (self.subnet_of(t), self.interfaces[t].subnet != x.subnet)
                                    {
                                        path.push(Step::new(
                                            &self.model.acls[ts.acl].id,
                                            component::NETWORK_ACL,
                                        ));
                                    }
                                    let mut target_groups = Vec::new();
                                    for &g in self.interfaces[t].groups.iter() {
                                        if scratch.contains(&g) {
                                            push_unique(&mut target_groups, g);
                                        }
                                    }
                                    path.extend(self.host_path(t, h, &target_groups));
                                    let ports = PortRange::single(tport);
                                    let sev =
                                        ["LOW", "MEDIUM", "HIGH", "CRITICAL"][severity_rank(ports)
                                            .max(severity_rank(PortRange::single(port)))];
                                    exposures.push(self.exposure(
                                        t,
                                        h,
                                        public,
                                        protocol,
                                        ports,
                                        &reach,
                                        path,
                                        Some((lb.id.clone(), port)),
                                        sev,
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
        exposures.sort_by(|a, b| {
            (
                &a.host,
                &a.interface,
                a.public_ip,
                a.protocol,
                a.ports,
                &a.via_load_balancer,
            )
                .cmp(&(
                    &b.host,
                    &b.interface,
                    b.public_ip,
                    b.protocol,
                    b.ports,
                    &b.via_load_balancer,
                ))
        });
        Analysis {
            exposures,
            problems: self.problems.clone(),
        }
    }

    /// Gateway(s), ACL, route table of a subnet reached from the internet.
    fn front_path(&self, reach: &Reach, s: SubnetIx) -> Vec<Step> {
        let mut path: Vec<Step> = reach
            .gateways
            .iter()
            .map(|&g| Step::new(&self.model.gateways[g].id, component::INTERNET_GATEWAY))
            .collect();
        path.push(Step::new(
            &self.model.acls[s.acl].id,
            component::NETWORK_ACL,
        ));
        path.push(Step::new(
            &self.model.route_tables[s.table].id,
            component::ROUTE_TABLE,
        ));
        path
    }

    /// Admitting groups, interface, instance.
    fn host_path(&self, i: usize, h: usize, groups: &[usize]) -> Vec<Step> {
        let mut path: Vec<Step> = groups
            .iter()
            .map(|&g| Step::new(&self.model.security_groups[g].id, component::SECURITY_GROUP))
            .collect();
        let x = &self.interfaces[i];
        path.push(Step::new(x.id, component::NETWORK_INTERFACE));
        let host = &self.model.hosts[h];
        if host.id != x.id {
            path.push(Step::new(&host.id, component::INSTANCE));
        }
        path
    }

    #[allow(clippy::too_many_arguments)]
    fn exposure(
        &self,
        i: usize,
        h: usize,
        public_ip: Ipv4Addr,
        protocol: Protocol,
        ports: PortRange,
        reach: &Reach,
        path: Vec<Step>,
        via_load_balancer: Option<(String, u16)>,
        severity: &'static str,
    ) -> Exposure {
        let host = &self.model.hosts[h];
        let x = &self.interfaces[i];
        let private = Ipv4Addr::from(x.private);
        let listening = self
            .model
            .listening
            .iter()
            .filter(|l| {
                l.host == host.id
                    && (l.protocol == protocol || l.protocol == Protocol::All)
                    && ports.contains(l.port)
                    && (l.address == Ipv4Addr::UNSPECIFIED || l.address == private)
            })
            .cloned()
            .collect();
        Exposure {
            host: host.id.clone(),
            interface: x.id.to_owned(),
            public_ip,
            protocol,
            ports,
            sources: reach
                .sources
                .iter()
                .flat_map(|&(a, b)| Ipv4Subnets::new(Ipv4Addr::from(a), Ipv4Addr::from(b), 0))
                .collect(),
            path,
            via_load_balancer,
            listening,
            severity,
        }
    }
}

#[derive(Debug, Default)]
struct Reach {
    /// Merged, ascending, inclusive.
    sources: Vec<(u32, u32)>,
    gateways: Vec<usize>,
    groups: Vec<usize>,
}

impl Reach {
    fn absorb(&mut self, other: &Reach) {
        for &g in &other.gateways {
            push_unique(&mut self.gateways, g);
        }
        for &g in &other.groups {
            push_unique(&mut self.groups, g);
        }
    }

    /// The admitting groups in the interface's order.
    fn groups_in_order(&self, order: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        for &g in order {
            if self.groups.contains(&g) {
                push_unique(&mut out, g);
            }
        }
        out
    }
}

fn push_unique(v: &mut Vec<usize>, x: usize) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// First-match evaluation: does the first rule matching (protocol, port, addr) allow?
fn acl_allows(rules: &[AclRuleIx], protocol: Protocol, port: u16, addr: u32) -> bool {
    rules
        .iter()
        .find(|r| r.protocol.covers(protocol) && r.ports.contains(port) && r.cidr.contains(addr))
        .is_some_and(|r| r.allow)
}

/// The ports of `within` that the first-match rules allow for (protocol, addr), as ascending
/// inclusive intervals.
fn acl_ports(
    rules: &[AclRuleIx],
    protocol: Protocol,
    addr: u32,
    within: PortRange,
) -> Vec<(u16, u16)> {
    let mut undecided = vec![(within.from, within.to)];
    let mut allowed = Vec::new();
    for r in rules {
        if undecided.is_empty() {
            break;
        }
        if !r.protocol.covers(protocol) || !r.cidr.contains(addr) || r.ports.from > r.ports.to {
            continue;
        }
        let mut rest = Vec::new();
        for &(a, b) in &undecided {
            let (lo, hi) = (a.max(r.ports.from), b.min(r.ports.to));
            if lo > hi {
                rest.push((a, b));
                continue;
            }
            if r.allow {
                allowed.push((lo, hi));
            }
            if a < lo {
                rest.push((a, lo - 1));
            }
            if hi < b {
                rest.push((hi + 1, b));
            }
        }
        undecided = rest;
    }
    allowed.sort_unstable();
    allowed
}

fn intersects(a: &[(u16, u16)], b: &[(u16, u16)]) -> bool {
    a.iter()
        .any(|&(x, y)| b.iter().any(|&(u, v)| x.max(u) <= y.min(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(allow: bool, ports: (u16, u16)) -> AclRuleIx {
        AclRuleIx {
            allow,
            protocol: Protocol::Tcp,
            ports: PortRange {
                from: ports.0,
                to: ports.1,
            },
            cidr: Cidr { net: 0, mask: 0 },
        }
    }

    #[test]
    fn acl_ports_first_match() {
        let rules = [rule(false, (2000, 3000)), rule(true, (0, 65535))];
        assert_eq!(
            acl_ports(&rules, Protocol::Tcp, 1, EPHEMERAL),
            vec![(1024, 1999), (3001, 65535)]
        );
        let rules = [rule(true, (80, 80)), rule(false, (0, 65535))];
        assert!(acl_ports(&rules, Protocol::Tcp, 1, EPHEMERAL).is_empty());
        assert!(acl_ports(&rules, Protocol::Udp, 1, EPHEMERAL).is_empty());
    }

    #[test]
    fn severity_table() {
        assert_eq!(severity(PortRange::ALL), "CRITICAL");
        assert_eq!(severity(PortRange { from: 1, to: 65535 }), "CRITICAL");
        assert_eq!(severity(PortRange::single(22)), "HIGH");
        assert_eq!(
            severity(PortRange {
                from: 3000,
                to: 4000
            }),
            "HIGH"
        );
        assert_eq!(severity(PortRange::single(443)), "MEDIUM");
        assert_eq!(severity(PortRange::single(8080)), "LOW");
        assert_eq!(
            severity(PortRange {
                from: 9301,
                to: 10000
            }),
            "LOW"
        );
    }

    #[test]
    fn internet() {
        assert!(is_internet(Ipv4Addr::new(198, 51, 100, 7)));
        assert!(is_internet(Ipv4Addr::new(8, 8, 8, 8)));
        assert!(!is_internet(Ipv4Addr::new(10, 1, 2, 3)));
        assert!(!is_internet(Ipv4Addr::new(100, 127, 255, 255)));
        assert!(is_internet(Ipv4Addr::new(100, 128, 0, 0)));
        assert!(!is_internet(Ipv4Addr::new(255, 255, 255, 255)));
        assert!(!is_internet(Ipv4Addr::new(0, 1, 2, 3)));
    }
}

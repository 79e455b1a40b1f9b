//! Consistency checks shared by the AWS importer and the YAML reader.
//!
//! Every inconsistency is reported as a [`Problem`] and the offending entry is dropped (or, for
//! a route, neutralised), so that the rest of the model can still be analysed. The checks never
//! create reachability that the inconsistent entry would not have had: what is dropped is either
//! something the analysis could not use anyway, or an allowance.
//!
//! | entry | problem | what happens |
//! |---|---|---|
//! | any | an id defined twice (interfaces: across hosts and balancers) | the later one is ignored |
//! | gateway | attached to an undefined network | treated as detached |
//! | route table, ACL, security group | undefined network | ignored |
//! | route | to an undefined internet gateway, NAT gateway or interface, to a gateway of the other kind, or to an internet gateway attached to another network | treated as a blackhole (a route to a detached gateway is kept: it leads nowhere) |
//! | route | a destination listed twice in one table | the later one is ignored |
//! | ACL rule | `from > to`; a rule number used twice in one direction | the (later) rule is ignored |
//! | security-group rule | `from > to` | ignored |
//! | security-group peer | undefined group or prefix list | the peer is ignored (the rule too when no peer is left) |
//! | subnet | undefined network, route table or ACL; table or ACL of another network; CIDR outside the network's CIDRs; CIDR overlapping an earlier subnet of the network | ignored (with its interfaces) |
//! | interface | undefined subnet; private address outside the subnet | ignored |
//! | interface | undefined security group, or one of another network | the reference is ignored; a balancer interface that loses all its groups is ignored (a balancer without groups would allow everything) |
//! | interface | a public address already used by an earlier interface; a public address on an internal balancer | the address is ignored |
//! | listener | undefined target group; a protocol other than TCP/UDP/all | ignored |
//! | target | undefined host interface (or a balancer's); listed twice | ignored |
//! | listening socket | undefined host | ignored |
//!
//! The checks are idempotent: a validated model validates without problems.

use std::collections::{HashMap, HashSet};
use std::fmt;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::analysis::protocol_name;
use crate::model::{GatewayKind, Model, Peer, Protocol, RouteTarget, Scheme};

/// Something in the input that was ignored (or neutralised), and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Problem {
    /// The input the entry came from: a file name, or `model` for an in-memory model.
    pub origin: String,
    /// Where in that input: a JSON/YAML path such as `SecurityGroups[3].IpPermissions[0]`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}: {}: {}", self.origin, self.path, self.message)
        }
    }
}

/// Checks `model`, drops (or neutralises) inconsistent entries and says why; paths are the
/// model's own (`subnets[2]`, `security_groups[0].inbound[1].peers[0]`), origin `model`.
pub fn validate(model: &mut Model) -> Vec<Problem> {
    check(model)
        .into_iter()
        .map(|n| Problem {
            origin: "model".to_owned(),
            path: n.path(),
            message: n.message,
        })
        .collect()
}

/// A problem before it is located in an input: the model path, and the id of the closest
/// entry that has an id (so that importers can point at their own input instead).
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub collection: &'static str,
    pub index: usize,
    pub sub: String,
    pub owner: String,
    pub message: String,
}

impl Note {
    pub(crate) fn path(&self) -> String {
        format!("{}[{}]{}", self.collection, self.index, self.sub)
    }
}

struct Notes(Vec<Note>);

impl Notes {
    fn push(
        &mut self,
        collection: &'static str,
        index: usize,
        sub: impl Into<String>,
        owner: &str,
        message: String,
    ) {
        self.0.push(Note {
            collection,
            index,
            sub: sub.into(),
            owner: owner.to_owned(),
            message,
        });
    }
}

/// Keeps the items for which `keep(original index, item)` says so.
fn filter<T>(items: &mut Vec<T>, mut keep: impl FnMut(usize, &mut T) -> bool) {
    let old = std::mem::take(items);
    *items = old
        .into_iter()
        .enumerate()
        .filter_map(|(i, mut t)| keep(i, &mut t).then_some(t))
        .collect();
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

pub(crate) fn check(m: &mut Model) -> Vec<Note> {
    let mut notes = Notes(Vec::new());
    let n = &mut notes;

    // Networks.
    let mut seen = HashSet::new();
    filter(&mut m.networks, |i, net| {
        if seen.insert(net.id.clone()) {
            return true;
        }
        n.push(
            "networks",
            i,
            "",
            &net.id,
            format!(
                "network `{}` is defined twice; the later definition is ignored",
                net.id
            ),
        );
        false
    });
    let networks: HashMap<String, Vec<Ipv4Net>> = m
        .networks
        .iter()
        .map(|x| (x.id.clone(), x.cidrs.clone()))
        .collect();

    // Gateways.
    let mut seen = HashSet::new();
    filter(&mut m.gateways, |i, g| {
        if !seen.insert(g.id.clone()) {
            n.push(
                "gateways",
                i,
                "",
                &g.id,
                format!(
                    "gateway `{}` is defined twice; the later definition is ignored",
                    g.id
                ),
            );
            return false;
        }
        if let Some(net) = &g.network
            && !networks.contains_key(net)
        {
            n.push("gateways", i, ".network", &g.id, format!("gateway `{}` is attached to network `{net}`, which is not defined; treated as detached", g.id));
            g.network = None;
        }
        true
    });
    let gateways: HashMap<String, (GatewayKind, Option<String>)> = m
        .gateways
        .iter()
        .map(|g| (g.id.clone(), (g.kind, g.network.clone())))
        .collect();

    // Prefix lists.
    let mut seen = HashSet::new();
    filter(&mut m.prefix_lists, |i, p| {
        if seen.insert(p.id.clone()) {
            return true;
        }
        n.push(
            "prefix_lists",
            i,
            "",
            &p.id,
            format!(
                "prefix list `{}` is defined twice; the later definition is ignored",
                p.id
            ),
        );
        false
    });
    let prefix_lists: HashSet<String> = m.prefix_lists.iter().map(|p| p.id.clone()).collect();

    // Every interface id, for routes to interfaces (their own checks come later; a route to an
    // interface never leads to the internet either way).
    let all_interfaces: HashSet<String> = m
        .hosts
        .iter()
        .flat_map(|h| h.interfaces.iter())
        .chain(m.load_balancers.iter().flat_map(|b| b.interfaces.iter()))
        .map(|x| x.id.clone())
        .collect();

    // Route tables.
    let mut seen = HashSet::new();
    filter(&mut m.route_tables, |i, t| {
        if !seen.insert(t.id.clone()) {
            n.push(
                "route_tables",
                i,
                "",
                &t.id,
                format!(
                    "route table `{}` is defined twice; the later definition is ignored",
                    t.id
                ),
            );
            return false;
        }
        if !networks.contains_key(&t.network) {
            n.push(
                "route_tables",
                i,
                "",
                &t.id,
                format!(
                    "route table `{}` belongs to network `{}`, which is not defined; table ignored",
                    t.id, t.network
                ),
            );
            return false;
        }
        let mut destinations = HashSet::new();
        let table = t.id.clone();
        let network = t.network.clone();
        filter(&mut t.routes, |j, r| {
            let sub = format!(".routes[{j}]");
            if !destinations.insert(r.destination.trunc()) {
                n.push("route_tables", i, sub, &table, format!("route table `{table}` has a second route for `{}`; the later one is ignored", r.destination));
                return false;
            }
            let dangling = match &r.target {
                RouteTarget::InternetGateway(g) => match gateways.get(g) {
                    None => Some(format!("internet gateway `{g}`, which is not defined")),
                    Some((GatewayKind::Nat, _)) => {
                        Some(format!("internet gateway `{g}`, which is a NAT gateway"))
                    }
                    Some((GatewayKind::Internet, Some(attached))) if *attached != network => {
                        Some(format!(
                            "internet gateway `{g}`, which is attached to network `{attached}`, not to `{network}`"
                        ))
                    }
                    Some((GatewayKind::Internet, _)) => None,
                },
                RouteTarget::NatGateway(g) => match gateways.get(g) {
                    None => Some(format!("NAT gateway `{g}`, which is not defined")),
                    Some((GatewayKind::Internet, _)) => {
                        Some(format!("NAT gateway `{g}`, which is an internet gateway"))
                    }
                    Some((GatewayKind::Nat, _)) => None,
                },
                RouteTarget::Interface(x) if !all_interfaces.contains(x) => {
                    Some(format!("interface `{x}`, which is not defined"))
                }
                _ => None,
            };
            if let Some(what) = dangling {
                n.push(
                    "route_tables",
                    i,
                    sub,
                    &table,
                    format!(
                        "route to `{}` leads to {what}; treated as a blackhole",
                        r.destination
                    ),
                );
                r.target = RouteTarget::Blackhole;
            }
            true
        });
        true
    });
    let route_tables: HashMap<String, String> = m
        .route_tables
        .iter()
        .map(|t| (t.id.clone(), t.network.clone()))
        .collect();

    // ACLs.
    let mut seen = HashSet::new();
    filter(&mut m.acls, |i, a| {
        if !seen.insert(a.id.clone()) {
            n.push(
                "acls",
                i,
                "",
                &a.id,
                format!(
                    "ACL `{}` is defined twice; the later definition is ignored",
                    a.id
                ),
            );
            return false;
        }
        if !networks.contains_key(&a.network) {
            n.push(
                "acls",
                i,
                "",
                &a.id,
                format!(
                    "ACL `{}` belongs to network `{}`, which is not defined; ACL ignored",
                    a.id, a.network
                ),
            );
            return false;
        }
        let acl = a.id.clone();
        for (direction, rules) in [("inbound", &mut a.inbound), ("outbound", &mut a.outbound)] {
            let mut numbers = HashSet::new();
            filter(rules, |j, r| {
                let sub = format!(".{direction}[{j}]");
                if r.ports.from > r.ports.to {
                    n.push("acls", i, sub, &acl, format!("{direction} rule {} of ACL `{acl}` has port range {}-{} (from > to); rule ignored", r.number, r.ports.from, r.ports.to));
                    return false;
                }
                if !numbers.insert(r.number) {
                    n.push("acls", i, sub, &acl, format!("{direction} rule number {} of ACL `{acl}` is used twice; the later rule is ignored", r.number));
                    return false;
                }
                true
            });
        }
        true
    });
    let acls: HashMap<String, String> = m
        .acls
        .iter()
        .map(|a| (a.id.clone(), a.network.clone()))
        .collect();

    // Security groups: ids first, then their rules (which refer to each other).
    let mut seen = HashSet::new();
    let mut group_index = Vec::new();
    filter(&mut m.security_groups, |i, g| {
        if !seen.insert(g.id.clone()) {
            n.push(
                "security_groups",
                i,
                "",
                &g.id,
                format!(
                    "security group `{}` is defined twice; the later definition is ignored",
                    g.id
                ),
            );
            return false;
        }
        if !networks.contains_key(&g.network) {
            n.push("security_groups", i, "", &g.id, format!("security group `{}` belongs to network `{}`, which is not defined; group ignored", g.id, g.network));
            return false;
        }
        group_index.push(i);
        true
    });
    let groups: HashMap<String, String> = m
        .security_groups
        .iter()
        .map(|g| (g.id.clone(), g.network.clone()))
        .collect();
    for (g, &i) in m.security_groups.iter_mut().zip(&group_index) {
        let gid = g.id.clone();
        for (direction, rules) in [("inbound", &mut g.inbound), ("outbound", &mut g.outbound)] {
            filter(rules, |j, r| {
                let sub = format!(".{direction}[{j}]");
                if r.ports.from > r.ports.to {
                    n.push("security_groups", i, sub, &gid, format!("{direction} rule of security group `{gid}` has port range {}-{} (from > to); rule ignored", r.ports.from, r.ports.to));
                    return false;
                }
                let had_peers = !r.peers.is_empty();
                filter(&mut r.peers, |k, p| {
                    let sub = format!("{sub}.peers[{k}]");
                    match p {
                        Peer::SecurityGroup(x) if !groups.contains_key(x) => {
                            n.push("security_groups", i, sub, &gid, format!("{direction} rule of security group `{gid}` refers to security group `{x}`, which is not defined; peer ignored"));
                            false
                        }
                        Peer::PrefixList(x) if !prefix_lists.contains(x) => {
                            n.push("security_groups", i, sub, &gid, format!("{direction} rule of security group `{gid}` refers to prefix list `{x}`, which is not defined; peer ignored"));
                            false
                        }
                        _ => true,
                    }
                });
                if had_peers && r.peers.is_empty() {
                    n.push("security_groups", i, sub, &gid, format!("{direction} rule of security group `{gid}` has no peer left; rule ignored"));
                    return false;
                }
                true
            });
        }
    }

    // Subnets.
    let mut seen = HashSet::new();
    let mut kept: Vec<(String, Ipv4Net, String)> = Vec::new();
    filter(&mut m.subnets, |i, s| {
        if !seen.insert(s.id.clone()) {
            n.push(
                "subnets",
                i,
                "",
                &s.id,
                format!(
                    "subnet `{}` is defined twice; the later definition is ignored",
                    s.id
                ),
            );
            return false;
        }
        let Some(cidrs) = networks.get(&s.network) else {
            n.push(
                "subnets",
                i,
                "",
                &s.id,
                format!(
                    "subnet `{}` belongs to network `{}`, which is not defined; subnet ignored",
                    s.id, s.network
                ),
            );
            return false;
        };
        match route_tables.get(&s.route_table) {
            None => {
                n.push(
                    "subnets",
                    i,
                    "",
                    &s.id,
                    format!(
                        "subnet `{}` uses route table `{}`, which is not defined; subnet ignored",
                        s.id, s.route_table
                    ),
                );
                return false;
            }
            Some(net) if *net != s.network => {
                n.push("subnets", i, "", &s.id, format!("subnet `{}` of network `{}` uses route table `{}` of network `{net}`; subnet ignored", s.id, s.network, s.route_table));
                return false;
            }
            Some(_) => {}
        }
        match acls.get(&s.acl) {
            None => {
                n.push(
                    "subnets",
                    i,
                    "",
                    &s.id,
                    format!(
                        "subnet `{}` uses ACL `{}`, which is not defined; subnet ignored",
                        s.id, s.acl
                    ),
                );
                return false;
            }
            Some(net) if *net != s.network => {
                n.push("subnets", i, "", &s.id, format!("subnet `{}` of network `{}` uses ACL `{}` of network `{net}`; subnet ignored", s.id, s.network, s.acl));
                return false;
            }
            Some(_) => {}
        }
        if !cidrs.iter().any(|c| c.contains(&s.cidr)) {
            n.push(
                "subnets",
                i,
                "",
                &s.id,
                format!(
                    "subnet `{}` has CIDR `{}`, outside the CIDRs of network `{}`; subnet ignored",
                    s.id, s.cidr, s.network
                ),
            );
            return false;
        }
        if let Some((other, cidr, _)) = kept
            .iter()
            .find(|(_, c, net)| *net == s.network && overlaps(c, &s.cidr))
        {
            n.push("subnets", i, "", &s.id, format!("subnet `{}` (`{}`) overlaps subnet `{other}` (`{cidr}`) of network `{}`; subnet ignored", s.id, s.cidr, s.network));
            return false;
        }
        kept.push((s.id.clone(), s.cidr, s.network.clone()));
        true
    });
    let subnets: HashMap<String, (String, Ipv4Net)> = m
        .subnets
        .iter()
        .map(|s| (s.id.clone(), (s.network.clone(), s.cidr)))
        .collect();

    // Interfaces, of hosts and of balancers.
    let mut interface_ids = HashSet::new();
    let mut public_ips = HashSet::new();
    let mut host_interfaces = HashSet::new();
    let mut check_interface = |collection: &'static str,
                               i: usize,
                               j: usize,
                               x: &mut crate::model::Interface,
                               balancer: Option<Scheme>,
                               n: &mut Notes|
     -> bool {
        let sub = format!(".interfaces[{j}]");
        if !interface_ids.insert(x.id.clone()) {
            n.push(
                collection,
                i,
                sub,
                &x.id,
                format!(
                    "interface `{}` is defined twice; the later definition is ignored",
                    x.id
                ),
            );
            return false;
        }
        let Some((network, cidr)) = subnets.get(&x.subnet) else {
            n.push(collection, i, sub, &x.id, format!("interface `{}` is in subnet `{}`, which is not defined (or was ignored); interface ignored", x.id, x.subnet));
            return false;
        };
        if !cidr.contains(&x.private_ip) {
            n.push(collection, i, sub, &x.id, format!("interface `{}` has private address `{}`, outside its subnet `{}` (`{cidr}`); interface ignored", x.id, x.private_ip, x.subnet));
            return false;
        }
        let declared = !x.security_groups.is_empty();
        let id = x.id.clone();
        filter(&mut x.security_groups, |k, g| {
            match groups.get(g.as_str()) {
                None => {
                    n.push(collection, i, format!("{sub}.security_groups[{k}]"), &id, format!("interface `{id}` refers to security group `{g}`, which is not defined; reference ignored"));
                    false
                }
                Some(net) if net != network => {
                    n.push(collection, i, format!("{sub}.security_groups[{k}]"), &id, format!("interface `{id}` of network `{network}` refers to security group `{g}` of network `{net}`; reference ignored"));
                    false
                }
                Some(_) => true,
            }
        });
        if balancer.is_some() && declared && x.security_groups.is_empty() {
            n.push(collection, i, sub, &x.id, format!("balancer interface `{}` has none of its security groups left (a balancer without groups would admit everything); interface ignored", x.id));
            return false;
        }
        if let Some(ip) = x.public_ip {
            if balancer == Some(Scheme::Internal) {
                n.push(collection, i, format!("{sub}.public_ip"), &x.id, format!("interface `{}` of an internal balancer has public address `{ip}`; address ignored", x.id));
                x.public_ip = None;
            } else if !public_ips.insert(ip) {
                n.push(collection, i, format!("{sub}.public_ip"), &x.id, format!("public address `{ip}` of interface `{}` is already used by another interface; address ignored", x.id));
                x.public_ip = None;
            }
        }
        if balancer.is_none() {
            host_interfaces.insert(x.id.clone());
        }
        true
    };

    let mut seen = HashSet::new();
    filter(&mut m.hosts, |i, h| {
        if !seen.insert(h.id.clone()) {
            n.push(
                "hosts",
                i,
                "",
                &h.id,
                format!(
                    "host `{}` is defined twice; the later definition is ignored",
                    h.id
                ),
            );
            return false;
        }
        filter(&mut h.interfaces, |j, x| {
            check_interface("hosts", i, j, x, None, n)
        });
        true
    });
    let hosts: HashSet<String> = m.hosts.iter().map(|h| h.id.clone()).collect();

    // Target groups (before the listeners that name them).
    let mut seen = HashSet::new();
    let mut target_group_index = Vec::new();
    filter(&mut m.target_groups, |i, t| {
        if seen.insert(t.id.clone()) {
            target_group_index.push(i);
            return true;
        }
        n.push(
            "target_groups",
            i,
            "",
            &t.id,
            format!(
                "target group `{}` is defined twice; the later definition is ignored",
                t.id
            ),
        );
        false
    });
    let target_groups: HashSet<String> = m.target_groups.iter().map(|t| t.id.clone()).collect();

    let mut seen = HashSet::new();
    filter(&mut m.load_balancers, |i, b| {
        if !seen.insert(b.id.clone()) {
            n.push(
                "load_balancers",
                i,
                "",
                &b.id,
                format!(
                    "load balancer `{}` is defined twice; the later definition is ignored",
                    b.id
                ),
            );
            return false;
        }
        let scheme = b.scheme;
        filter(&mut b.interfaces, |j, x| {
            check_interface("load_balancers", i, j, x, Some(scheme), n)
        });
        let lb = b.id.clone();
        filter(&mut b.listeners, |j, l| {
            if !matches!(l.protocol, Protocol::Tcp | Protocol::Udp | Protocol::All) {
                n.push("load_balancers", i, format!(".listeners[{j}]"), &lb, format!("listener on port {} of balancer `{lb}` has protocol `{}`, which is not analysed; listener ignored", l.port, protocol_name(l.protocol)));
                return false;
            }
            if !target_groups.contains(&l.target_group) {
                n.push("load_balancers", i, format!(".listeners[{j}]"), &lb, format!("listener on port {} of balancer `{lb}` forwards to target group `{}`, which is not defined; listener ignored", l.port, l.target_group));
                return false;
            }
            true
        });
        true
    });

    for (t, &i) in m.target_groups.iter_mut().zip(&target_group_index) {
        let tg = t.id.clone();
        let mut seen = HashSet::new();
        filter(&mut t.targets, |j, x| {
            if !host_interfaces.contains(&x.interface) {
                n.push("target_groups", i, format!(".targets[{j}]"), &tg, format!("target `{}` of target group `{tg}` is not a host interface that is defined (or kept); target ignored", x.interface));
                return false;
            }
            if !seen.insert((x.interface.clone(), x.port)) {
                n.push("target_groups", i, format!(".targets[{j}]"), &tg, format!("target `{}` port {} is listed twice in target group `{tg}`; the later entry is ignored", x.interface, x.port));
                return false;
            }
            true
        });
    }

    filter(&mut m.listening, |i, l| {
        if hosts.contains(&l.host) {
            return true;
        }
        n.push(
            "listening",
            i,
            "",
            &l.host,
            format!(
                "listening socket {}/{} belongs to host `{}`, which is not defined; ignored",
                protocol_name(l.protocol),
                l.port,
                l.host
            ),
        );
        false
    });

    notes.0
}

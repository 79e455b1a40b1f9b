//! Random topologies, deterministic per seed, biased towards the cases where reachability is
//! decided by a detail: the gateway's attachment, a more specific route for one client prefix,
//! the order of ACL rules, the ephemeral ports allowed back, how a security group names its
//! peers, a balancer's unhealthy targets.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use vigil_network::model::{
    Acl, AclRule, Action, Gateway, GatewayKind, Host, Interface, Listener, LoadBalancer, Model,
    Network, Peer, PortRange, PrefixList, Protocol, Route, RouteTable, RouteTarget, Scheme,
    SecurityGroup, SgRule, Subnet, Target, TargetGroup,
};

use crate::lab::Probe;

/// splitmix64: tiny, fast, and good enough to pick topologies.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }
}

pub fn net(s: &str) -> Ipv4Net {
    s.parse()
        .unwrap_or_else(|e| panic!("`{s}` is not a CIDR in the generator's tables: {e}"))
}

/// CIDRs around the default clients (198.51.100.10, 203.0.113.10, 192.0.2.10, 8.8.8.10): some
/// hold one client, some several, some none.
const CLIENT_CIDRS: &[&str] = &[
    "0.0.0.0/0",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "192.0.2.0/24",
    "8.8.8.0/24",
    "192.0.0.0/8",
    "198.51.100.0/25",
    "203.0.113.128/25",
    "128.0.0.0/1",
    "0.0.0.0/1",
    "8.0.0.0/7",
];

/// More specific routes for client prefixes.
const CLIENT_ROUTES: &[&str] = &[
    "198.51.100.0/24",
    "203.0.113.0/24",
    "192.0.2.0/24",
    "8.8.8.0/24",
    "198.51.100.0/25",
    "203.0.113.128/25",
    "192.0.0.0/8",
    "8.0.0.0/8",
];

/// Destination port ranges of inbound rules.
const PORTS_IN: &[(u16, u16)] = &[
    (0, 65535),
    (22, 22),
    (80, 80),
    (443, 443),
    (53, 53),
    (0, 1023),
    (1024, 65535),
    (8000, 8100),
    (3000, 3999),
    (8080, 8080),
    (5353, 5353),
    (9000, 9000),
];

/// Port ranges of outbound ACL rules, which replies meet with the client's ephemeral port: all,
/// part or none of 1024–65535.
const PORTS_OUT: &[(u16, u16)] = &[
    (0, 65535),
    (1024, 65535),
    (32768, 65535),
    (49152, 65535),
    (40000, 50000),
    (80, 80),
    (443, 443),
    (0, 1023),
    (65535, 65535),
    (1024, 2048),
];

/// Balancer listeners and target ports.
const LISTENERS: &[(Protocol, u16)] = &[
    (Protocol::Tcp, 80),
    (Protocol::Tcp, 443),
    (Protocol::Udp, 53),
];
const TARGET_PORTS: &[u16] = &[8080, 80, 9000, 5353];

/// At most this many ports are probed per public address (each with both protocols, from every
/// client).
pub const MAX_PORTS: usize = 40;

fn ports((from, to): (u16, u16)) -> PortRange {
    PortRange { from, to }
}

fn client_cidr(rng: &mut Rng) -> Ipv4Net {
    net(rng.pick::<&str>(CLIENT_CIDRS))
}

fn protocol(rng: &mut Rng) -> Protocol {
    match rng.below(20) {
        0..=8 => Protocol::Tcp,
        9..=13 => Protocol::Udp,
        14 => Protocol::Icmp,
        _ => Protocol::All,
    }
}

fn acl_rules(rng: &mut Rng, count: usize, pool: &[(u16, u16)], inside: Ipv4Net) -> Vec<AclRule> {
    let mut numbers: Vec<u32> = (1..=18).map(|n| n * 10).collect();
    rng.shuffle(&mut numbers);
    let mut rules: Vec<AclRule> = numbers[..count]
        .iter()
        .map(|&number| {
            let protocol = protocol(rng);
            AclRule {
                number,
                action: if rng.chance(55) {
                    Action::Allow
                } else {
                    Action::Deny
                },
                protocol,
                ports: if protocol == Protocol::All {
                    PortRange::ALL
                } else {
                    ports(*rng.pick(pool))
                },
                cidr: if rng.chance(15) {
                    inside
                } else {
                    client_cidr(rng)
                },
            }
        })
        .collect();
    // Let balancers reach their targets now and then.
    if rng.chance(60) {
        let number = numbers[count];
        rules.push(AclRule {
            number,
            action: Action::Allow,
            protocol: Protocol::All,
            ports: PortRange::ALL,
            cidr: net("10.0.0.0/8"),
        });
    }
    // Often a catch-all at the end, so that the rules before it are exceptions.
    if rng.chance(65) {
        rules.extend(allow_all(190 + 10 * u32::from(rng.chance(50))));
    }
    // Numbers, not positions, order the rules.
    rng.shuffle(&mut rules);
    rules
}

fn allow_all(number: u32) -> Vec<AclRule> {
    vec![AclRule {
        number,
        action: Action::Allow,
        protocol: Protocol::All,
        ports: PortRange::ALL,
        cidr: net("0.0.0.0/0"),
    }]
}

fn acl(rng: &mut Rng, id: String, network: &str, inside: Ipv4Net) -> Acl {
    let inbound = if rng.chance(45) {
        allow_all(100)
    } else {
        let n = 1 + rng.below(4);
        acl_rules(rng, n, PORTS_IN, inside)
    };
    let outbound = if rng.chance(55) {
        allow_all(100)
    } else {
        let n = 1 + rng.below(3);
        acl_rules(rng, n, PORTS_OUT, inside)
    };
    Acl {
        id,
        network: network.to_string(),
        inbound,
        outbound,
    }
}

fn route_table(
    rng: &mut Rng,
    id: String,
    network: &str,
    inside: Ipv4Net,
    igw: &str,
    nat: Option<&str>,
) -> RouteTable {
    let to_igw = || RouteTarget::InternetGateway(igw.to_string());
    let mut routes = vec![Route {
        destination: inside,
        target: RouteTarget::Local,
    }];
    match rng.below(20) {
        0..=14 => routes.push(Route {
            destination: net("0.0.0.0/0"),
            target: to_igw(),
        }),
        15..=17 => {
            for half in ["0.0.0.0/1", "128.0.0.0/1"] {
                let target = if rng.chance(60) {
                    to_igw()
                } else {
                    RouteTarget::Blackhole
                };
                routes.push(Route {
                    destination: net(half),
                    target,
                });
            }
        }
        _ => {}
    }
    if rng.chance(45) {
        let destination = net(rng.pick::<&str>(CLIENT_ROUTES));
        let target = match rng.below(7) {
            0 | 1 => nat.map_or(RouteTarget::Blackhole, |n| {
                RouteTarget::NatGateway(n.to_string())
            }),
            2 | 3 => RouteTarget::Blackhole,
            4 | 5 => to_igw(),
            _ => rng
                .pick(&[
                    RouteTarget::Peering("pcx-1".to_string()),
                    RouteTarget::Other("tgw-1".to_string()),
                    RouteTarget::Interface("eni-appliance".to_string()),
                ])
                .clone(),
        };
        if routes.iter().all(|r| r.destination != destination) {
            routes.push(Route {
                destination,
                target,
            });
        }
    }
    // Longest prefix, not position, decides.
    rng.shuffle(&mut routes);
    RouteTable {
        id,
        network: network.to_string(),
        routes,
    }
}

fn sg_rule(rng: &mut Rng, groups: &[String], prefix_lists: &[String]) -> SgRule {
    let protocol = match rng.below(20) {
        0..=8 => Protocol::Tcp,
        9..=13 => Protocol::Udp,
        14..=18 => Protocol::All,
        _ => Protocol::Icmp,
    };
    let mut peers = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let peer = match rng.below(10) {
            0..=4 => Peer::Cidr(net("0.0.0.0/0")),
            5 | 6 => Peer::Cidr(client_cidr(rng)),
            7 if !prefix_lists.is_empty() => Peer::PrefixList(rng.pick(prefix_lists).clone()),
            8 => Peer::Cidr(net("10.0.0.0/8")),
            _ => Peer::SecurityGroup(rng.pick(groups).clone()),
        };
        peers.push(peer);
    }
    SgRule {
        protocol,
        ports: if protocol == Protocol::All {
            PortRange::ALL
        } else {
            ports(*rng.pick(PORTS_IN))
        },
        peers,
    }
}

fn allow_all_out() -> Vec<SgRule> {
    vec![SgRule {
        protocol: Protocol::All,
        ports: PortRange::ALL,
        peers: vec![Peer::Cidr(net("0.0.0.0/0"))],
    }]
}

fn addr(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

/// A random model: 1–2 networks of 1–3 subnets, their gateways, route tables, ACLs, security
/// groups and hosts, and maybe a load balancer. The same seed gives the same model.
pub fn generate(seed: u64) -> Model {
    let mut rng = Rng::new(seed);
    let mut m = Model::default();

    let prefix_lists: Vec<String> = (0..rng.below(3)).map(|k| format!("pl-{k}")).collect();
    for id in &prefix_lists {
        let cidrs = (0..1 + rng.below(2))
            .map(|_| client_cidr(&mut rng))
            .collect();
        m.prefix_lists.push(PrefixList {
            id: id.clone(),
            cidrs,
        });
    }

    let networks = 1 + rng.below(2);
    for n in 0..networks {
        let network = format!("net-{n}");
        let octet = u8::try_from(n).unwrap_or(u8::MAX);
        let inside = Ipv4Net::new_assert(addr(10, octet, 0, 0), 16);
        m.networks.push(Network {
            id: network.clone(),
            cidrs: vec![inside],
        });

        // The internet gateway: attached, detached, or missing (routes name it anyway).
        let igw = format!("igw-{n}");
        match rng.below(20) {
            0..=16 => m.gateways.push(Gateway {
                id: igw.clone(),
                kind: GatewayKind::Internet,
                network: Some(network.clone()),
            }),
            17 | 18 => m.gateways.push(Gateway {
                id: igw.clone(),
                kind: GatewayKind::Internet,
                network: None,
            }),
            _ => {}
        }
        let nat = rng.chance(50).then(|| format!("nat-{n}"));
        if let Some(id) = &nat {
            m.gateways.push(Gateway {
                id: id.clone(),
                kind: GatewayKind::Nat,
                network: Some(network.clone()),
            });
        }

        let tables: Vec<String> = (0..1 + rng.below(2))
            .map(|k| format!("rt-{n}-{k}"))
            .collect();
        for id in &tables {
            let t = route_table(&mut rng, id.clone(), &network, inside, &igw, nat.as_deref());
            m.route_tables.push(t);
        }
        let acls: Vec<String> = (0..1 + rng.below(2))
            .map(|k| format!("acl-{n}-{k}"))
            .collect();
        for id in &acls {
            let a = acl(&mut rng, id.clone(), &network, inside);
            m.acls.push(a);
        }
        let groups: Vec<String> = (0..1 + rng.below(3))
            .map(|k| format!("sg-{n}-{k}"))
            .collect();
        for id in &groups {
            let inbound = (0..1 + rng.below(3))
                .map(|_| sg_rule(&mut rng, &groups, &prefix_lists))
                .collect();
            m.security_groups.push(SecurityGroup {
                id: id.clone(),
                network: network.clone(),
                name: String::new(),
                inbound,
                outbound: allow_all_out(),
            });
        }

        let subnets = 1 + rng.below(3);
        for j in 1..=subnets {
            let octet_j = u8::try_from(j).unwrap_or(u8::MAX);
            m.subnets.push(Subnet {
                id: format!("subnet-{n}-{j}"),
                network: network.clone(),
                cidr: Ipv4Net::new_assert(addr(10, octet, octet_j, 0), 24),
                route_table: rng.pick(&tables).clone(),
                acl: rng.pick(&acls).clone(),
            });
        }

        let mut last_address = 10u8;
        let mut interface = |rng: &mut Rng, id: String, public: bool| {
            let j = 1 + rng.below(subnets);
            let octet_j = u8::try_from(j).unwrap_or(u8::MAX);
            last_address += 1;
            let security_groups = if rng.chance(7) {
                Vec::new()
            } else {
                let mut g = groups.clone();
                rng.shuffle(&mut g);
                g.truncate(1 + rng.below(2));
                g
            };
            Interface {
                id,
                subnet: format!("subnet-{n}-{j}"),
                private_ip: addr(10, octet, octet_j, last_address),
                public_ip: public.then(|| addr(54, octet, octet_j, last_address)),
                security_groups,
            }
        };
        for k in 0..1 + rng.below(3) {
            let public = rng.chance(75);
            let mut interfaces = vec![interface(&mut rng, format!("eni-{n}-{k}"), public)];
            if subnets > 1 && rng.chance(15) {
                let public = rng.chance(60);
                interfaces.push(interface(&mut rng, format!("eni-{n}-{k}-b"), public));
            }
            m.hosts.push(Host {
                id: format!("i-{n}-{k}"),
                interfaces,
                tags: Default::default(),
            });
        }
    }

    if rng.chance(70) {
        load_balancer(&mut rng, &mut m);
    }
    m
}

/// A balancer in one network: 1–2 interfaces, 1–2 listeners, 1–2 targets per group.
fn load_balancer(rng: &mut Rng, m: &mut Model) {
    let n = rng.below(m.networks.len());
    let network = m.networks[n].id.clone();
    let octet = u8::try_from(n).unwrap_or(u8::MAX);
    let subnets: Vec<Subnet> = m
        .subnets
        .iter()
        .filter(|s| s.network == network)
        .cloned()
        .collect();
    let candidates: Vec<String> = m
        .hosts
        .iter()
        .flat_map(|h| &h.interfaces)
        .filter(|i| subnets.iter().any(|s| s.id == i.subnet))
        .map(|i| i.id.clone())
        .collect();
    if candidates.is_empty() || subnets.is_empty() {
        return;
    }
    let scheme = if rng.chance(90) {
        Scheme::InternetFacing
    } else {
        Scheme::Internal
    };

    let mut listeners: Vec<(Protocol, u16)> = LISTENERS.to_vec();
    rng.shuffle(&mut listeners);
    listeners.truncate(1 + rng.below(2));
    let mut target_ports = Vec::new();
    for (k, &(protocol, _)) in listeners.iter().enumerate() {
        let mut chosen = candidates.clone();
        rng.shuffle(&mut chosen);
        chosen.truncate(1 + rng.below(2));
        let targets = chosen
            .into_iter()
            .map(|interface| {
                let port = *rng.pick(TARGET_PORTS);
                target_ports.push((protocol, port, interface.clone()));
                Target {
                    interface,
                    port,
                    healthy: rng.chance(75),
                }
            })
            .collect();
        m.target_groups.push(TargetGroup {
            id: format!("tg-{k}"),
            protocol,
            targets,
        });
    }

    // Its own security group (or none: everything is admitted).
    let group = rng.chance(65).then(|| "sg-lb".to_string());
    if let Some(id) = &group {
        let inbound = listeners
            .iter()
            .map(|&(protocol, port)| SgRule {
                protocol,
                ports: PortRange::single(port),
                peers: vec![Peer::Cidr(client_cidr(rng))],
            })
            .collect();
        let outbound = if rng.chance(60) {
            allow_all_out()
        } else {
            let &(protocol, port, _) = rng.pick(&target_ports);
            vec![SgRule {
                protocol,
                ports: PortRange::single(port),
                peers: vec![Peer::Cidr(net("10.0.0.0/8"))],
            }]
        };
        m.security_groups.push(SecurityGroup {
            id: id.clone(),
            network: network.clone(),
            name: String::new(),
            inbound,
            outbound,
        });
    }

    // The targets' groups admit the balancer (by group or by its subnets) more often than not.
    for (protocol, port, interface) in &target_ports {
        if !rng.chance(80) {
            continue;
        }
        let peer = match &group {
            Some(id) if rng.chance(60) => Peer::SecurityGroup(id.clone()),
            _ => Peer::Cidr(Ipv4Net::new_assert(addr(10, octet, 0, 0), 16)),
        };
        let first_group = m
            .hosts
            .iter()
            .flat_map(|h| &h.interfaces)
            .find(|i| &i.id == interface)
            .and_then(|i| i.security_groups.first().cloned());
        if let Some(g) = first_group
            && let Some(sg) = m.security_groups.iter_mut().find(|s| s.id == g)
        {
            sg.inbound.push(SgRule {
                protocol: *protocol,
                ports: PortRange::single(*port),
                peers: vec![peer],
            });
        }
    }

    let mut in_subnets = subnets.clone();
    rng.shuffle(&mut in_subnets);
    in_subnets.truncate(1 + rng.below(2));
    let interfaces = in_subnets
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let octet_j = s.cidr.network().octets()[2];
            let last = 200 + u8::try_from(k).unwrap_or(0);
            Interface {
                id: format!("eni-lb-{k}"),
                subnet: s.id.clone(),
                private_ip: addr(10, octet, octet_j, last),
                public_ip: (scheme == Scheme::InternetFacing)
                    .then(|| addr(54, octet, octet_j, last)),
                security_groups: group.iter().cloned().collect(),
            }
        })
        .collect();
    m.load_balancers.push(LoadBalancer {
        id: "lb-0".to_string(),
        scheme,
        interfaces,
        listeners: listeners
            .iter()
            .enumerate()
            .map(|(k, &(protocol, port))| Listener {
                protocol,
                port,
                target_group: format!("tg-{k}"),
            })
            .collect(),
    });
}

/// The probes for a model: from every client to every public address, TCP and UDP, on the
/// ports where the destination's rules change their mind (each range's bounds and their
/// neighbours: inbound ACL, security groups, listeners) plus a few random ones; at most
/// [`MAX_PORTS`] ports per address.
pub fn probes(model: &Model, clients: &[Ipv4Addr], seed: u64) -> Vec<Probe> {
    let mut rng = Rng::new(seed ^ 0x0bad_5eed);
    let mut out = Vec::new();
    let balancer_interfaces = model
        .load_balancers
        .iter()
        .flat_map(|lb| lb.interfaces.iter().map(move |i| (i, Some(lb))));
    let interfaces = model
        .hosts
        .iter()
        .flat_map(|h| h.interfaces.iter().map(|i| (i, None)))
        .chain(balancer_interfaces);
    for (interface, balancer) in interfaces {
        let Some(public) = interface.public_ip else {
            continue;
        };
        let mut ranges: Vec<PortRange> = Vec::new();
        if let Some(subnet) = model.subnets.iter().find(|s| s.id == interface.subnet)
            && let Some(acl) = model.acls.iter().find(|a| a.id == subnet.acl)
        {
            ranges.extend(acl.inbound.iter().map(|r| r.ports));
        }
        for g in &model.security_groups {
            if interface.security_groups.contains(&g.id) {
                ranges.extend(g.inbound.iter().map(|r| r.ports));
            }
        }
        let mut ports = BTreeSet::new();
        for r in ranges {
            if r == PortRange::ALL {
                continue;
            }
            for p in [
                r.from.saturating_sub(1),
                r.from,
                r.to,
                r.to.saturating_add(1),
            ] {
                ports.insert(p);
            }
        }
        let mut must = BTreeSet::new();
        if let Some(lb) = balancer {
            must.extend(lb.listeners.iter().map(|l| l.port));
        }
        for _ in 0..2 {
            ports.insert(1 + u16::try_from(rng.below(1023)).unwrap_or(0));
            ports.insert(1024 + u16::try_from(rng.below(64512)).unwrap_or(0));
        }
        ports.remove(&0);
        let mut ports: Vec<u16> = ports.difference(&must).copied().collect();
        rng.shuffle(&mut ports);
        ports.truncate(MAX_PORTS.saturating_sub(must.len()));
        ports.extend(must);
        ports.sort_unstable();
        for &source in clients {
            for protocol in [Protocol::Tcp, Protocol::Udp] {
                for &port in &ports {
                    out.push(Probe {
                        source,
                        destination: public,
                        protocol,
                        port,
                    });
                }
            }
        }
    }
    out
}

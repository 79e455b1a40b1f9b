//! Property: on random models, the exposures agree with the per-probe predicate on sampled
//! (source, destination, protocol, port) points, sources are internet addresses, and ranges are
//! maximal. Seeded (splitmix64), so failures reproduce; the seed is in the message.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use vigil_network::analysis::{Analyzer, NOT_INTERNET, is_internet};
use vigil_network::model::{
    Acl, AclRule, Action, EPHEMERAL, Gateway, GatewayKind, Host, Interface, Listener, LoadBalancer,
    Model, Network, Peer, PortRange, PrefixList, Protocol, Route, RouteTable, RouteTarget, Scheme,
    SecurityGroup, SgRule, Subnet, Target, TargetGroup,
};
use vigil_network::{Exposure, validate};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

/// Addresses where interesting things happen: internet, private, the public VPC range, and
/// the edges of the non-internet blocks.
const ANCHORS: [[u8; 4]; 14] = [
    [8, 8, 8, 0],
    [198, 51, 100, 0],
    [203, 0, 113, 0],
    [192, 0, 2, 0],
    [44, 0, 0, 0],
    [44, 0, 1, 0],
    [10, 0, 1, 0],
    [10, 0, 2, 0],
    [172, 16, 0, 0],
    [100, 64, 0, 0],
    [1, 0, 0, 0],
    [223, 255, 255, 0],
    [0, 0, 0, 0],
    [128, 0, 0, 0],
];
const PREFIXES: [u8; 13] = [0, 1, 2, 4, 8, 10, 12, 16, 20, 24, 25, 28, 32];
const PORTS: [u16; 14] = [
    0, 1, 22, 53, 80, 443, 1023, 1024, 2000, 3000, 8080, 32768, 65534, 65535,
];

fn random_cidr(r: &mut Rng) -> Ipv4Net {
    let base = if r.chance(85) {
        let a = r.pick(&ANCHORS);
        u32::from(Ipv4Addr::from(*a))
            | (u32::try_from(r.below(256)).unwrap_or(0) * u32::from(r.chance(30)))
    } else {
        u32::try_from(r.next() & 0xFFFF_FFFF).unwrap_or(0)
    };
    let len = *r.pick(&PREFIXES);
    Ipv4Net::new(Ipv4Addr::from(base), len).map_or_else(|_| Ipv4Net::default(), |n| n.trunc())
}

fn random_ports(r: &mut Rng) -> PortRange {
    if r.chance(20) {
        return PortRange::ALL;
    }
    let a = if r.chance(80) {
        *r.pick(&PORTS)
    } else {
        u16::try_from(r.below(65536)).unwrap_or(0)
    };
    let b = if r.chance(50) { a } else { *r.pick(&PORTS) };
    PortRange {
        from: a.min(b),
        to: a.max(b),
    }
}

fn random_protocol(r: &mut Rng) -> Protocol {
    *r.pick(&[
        Protocol::Tcp,
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::All,
        Protocol::Icmp,
    ])
}

fn acl_rules(r: &mut Rng, ephemeral: bool) -> Vec<AclRule> {
    let mut rules: Vec<AclRule> = (0..r.range(0, 4))
        .map(|_| AclRule {
            number: u32::try_from(r.range(1, 200)).unwrap_or(1),
            action: if r.chance(60) {
                Action::Allow
            } else {
                Action::Deny
            },
            protocol: random_protocol(r),
            ports: if ephemeral && r.chance(50) {
                *r.pick(&[
                    EPHEMERAL,
                    PortRange {
                        from: 1024,
                        to: 2000,
                    },
                    PortRange {
                        from: 3000,
                        to: 65535,
                    },
                    PortRange { from: 0, to: 1023 },
                ])
            } else {
                random_ports(r)
            },
            cidr: random_cidr(r),
        })
        .collect();
    if r.chance(85) {
        rules.push(AclRule {
            number: 300,
            action: Action::Allow,
            protocol: Protocol::All,
            ports: PortRange::ALL,
            cidr: Ipv4Net::default(),
        });
    }
    rules
}

fn random_model(seed: u64) -> Model {
    let mut r = Rng(seed);
    let mut m = Model::default();
    let networks: Vec<(String, Ipv4Net)> = if r.chance(40) {
        vec![
            (
                "vpc-0".to_owned(),
                "10.0.0.0/16".parse().unwrap_or_default(),
            ),
            (
                "vpc-1".to_owned(),
                "44.0.0.0/16".parse().unwrap_or_default(),
            ),
        ]
    } else {
        vec![(
            "vpc-0".to_owned(),
            "10.0.0.0/16".parse().unwrap_or_default(),
        )]
    };
    for (k, (id, cidr)) in networks.iter().enumerate() {
        m.networks.push(Network {
            id: id.clone(),
            cidrs: vec![*cidr],
        });
        m.gateways.push(Gateway {
            id: format!("igw-{k}"),
            kind: GatewayKind::Internet,
            network: if r.chance(90) { Some(id.clone()) } else { None },
        });
        m.gateways.push(Gateway {
            id: format!("nat-{k}"),
            kind: GatewayKind::Nat,
            network: Some(id.clone()),
        });
        for g in 0..3 {
            m.security_groups.push(SecurityGroup {
                id: format!("sg-{k}-{g}"),
                network: id.clone(),
                name: String::new(),
                inbound: Vec::new(),
                outbound: Vec::new(),
            });
        }
        for s in 0..r.range(1, 3) {
            let base = u32::from(cidr.network()) + (u32::try_from(s + 1).unwrap_or(1) << 8);
            let subnet_cidr = Ipv4Net::new(Ipv4Addr::from(base), 24).unwrap_or_default();
            let table = format!("rtb-{k}-{s}");
            let mut routes = vec![Route {
                destination: Ipv4Net::default(),
                target: match r.below(10) {
                    0 => RouteTarget::NatGateway(format!("nat-{k}")),
                    1 => RouteTarget::Blackhole,
                    _ => RouteTarget::InternetGateway(format!("igw-{k}")),
                },
            }];
            if r.chance(50) {
                routes.push(Route {
                    destination: *cidr,
                    target: RouteTarget::Local,
                });
            }
            for _ in 0..r.range(0, 3) {
                routes.push(Route {
                    destination: random_cidr(&mut r),
                    target: match r.below(6) {
                        0 => RouteTarget::NatGateway(format!("nat-{k}")),
                        1 => RouteTarget::Blackhole,
                        2 => RouteTarget::InternetGateway(format!("igw-{}", 1 - k.min(1))),
                        3 => RouteTarget::Local,
                        _ => RouteTarget::InternetGateway(format!("igw-{k}")),
                    },
                });
            }
            m.route_tables.push(RouteTable {
                id: table.clone(),
                network: id.clone(),
                routes,
            });
            let acl = format!("acl-{k}-{s}");
            m.acls.push(Acl {
                id: acl.clone(),
                network: id.clone(),
                inbound: acl_rules(&mut r, false),
                outbound: acl_rules(&mut r, true),
            });
            m.subnets.push(Subnet {
                id: format!("subnet-{k}-{s}"),
                network: id.clone(),
                cidr: subnet_cidr,
                route_table: table,
                acl: if r.chance(3) {
                    "acl-missing".to_owned()
                } else {
                    acl
                },
            });
        }
    }
    for p in 0..2 {
        m.prefix_lists.push(PrefixList {
            id: format!("pl-{p}"),
            cidrs: (0..r.range(1, 3)).map(|_| random_cidr(&mut r)).collect(),
        });
    }
    let group_ids: Vec<String> = m.security_groups.iter().map(|g| g.id.clone()).collect();
    for g in &mut m.security_groups {
        let rules = |r: &mut Rng, n: usize| -> Vec<SgRule> {
            (0..n)
                .map(|_| SgRule {
                    protocol: random_protocol(r),
                    ports: random_ports(r),
                    peers: (0..r.range(1, 2))
                        .map(|_| match r.below(10) {
                            0 | 1 => Peer::PrefixList(format!("pl-{}", r.below(3))),
                            2 | 3 => Peer::SecurityGroup(r.pick(&group_ids).clone()),
                            4..=6 => Peer::Cidr(Ipv4Net::default()),
                            _ => Peer::Cidr(random_cidr(r)),
                        })
                        .collect(),
                })
                .collect()
        };
        let n = r.range(1, 4);
        g.inbound = rules(&mut r, n);
        let n = r.range(0, 2);
        g.outbound = rules(&mut r, n);
    }
    let subnets: Vec<(String, String, Ipv4Net)> = m
        .subnets
        .iter()
        .map(|s| (s.id.clone(), s.network.clone(), s.cidr))
        .collect();
    let mut next_public = 10u8;
    let mut interface = |r: &mut Rng, id: String, public: bool| -> Interface {
        let (subnet, network, cidr) = r.pick(&subnets).clone();
        let k = network.trim_start_matches("vpc-").to_owned();
        next_public = next_public.wrapping_add(1);
        Interface {
            id,
            subnet,
            private_ip: Ipv4Addr::from(
                u32::from(cidr.network()) + u32::try_from(r.range(4, 250)).unwrap_or(4),
            ),
            public_ip: (public && r.chance(85)).then(|| Ipv4Addr::new(203, 0, 113, next_public)),
            security_groups: (0..r.range(0, 2))
                .map(|_| format!("sg-{k}-{}", r.below(3)))
                .collect(),
        }
    };
    for h in 0..r.range(1, 4) {
        let interfaces = (0..r.range(1, 2))
            .map(|j| interface(&mut r, format!("eni-{h}-{j}"), true))
            .collect();
        m.hosts.push(Host {
            id: format!("i-{h}"),
            interfaces,
            tags: Default::default(),
        });
    }
    let host_interfaces: Vec<String> = m
        .hosts
        .iter()
        .flat_map(|h| h.interfaces.iter().map(|x| x.id.clone()))
        .collect();
    for t in 0..2 {
        m.target_groups.push(TargetGroup {
            id: format!("tg-{t}"),
            protocol: Protocol::Tcp,
            targets: (0..r.range(1, 3))
                .map(|_| Target {
                    interface: if r.chance(5) {
                        "eni-missing".to_owned()
                    } else {
                        r.pick(&host_interfaces).clone()
                    },
                    port: *r.pick(&PORTS),
                    healthy: r.chance(75),
                })
                .collect(),
        });
    }
    for b in 0..r.range(0, 2) {
        let interfaces = (0..r.range(1, 2))
            .map(|j| interface(&mut r, format!("eni-lb-{b}-{j}"), true))
            .collect();
        m.load_balancers.push(LoadBalancer {
            id: format!("lb-{b}"),
            scheme: if r.chance(85) {
                Scheme::InternetFacing
            } else {
                Scheme::Internal
            },
            interfaces,
            listeners: (0..r.range(1, 3))
                .map(|_| Listener {
                    protocol: *r.pick(&[
                        Protocol::Tcp,
                        Protocol::Tcp,
                        Protocol::Udp,
                        Protocol::All,
                    ]),
                    port: *r.pick(&PORTS),
                    target_group: format!("tg-{}", r.below(2)),
                })
                .collect(),
        });
    }
    m
}

/// Every address at or next to a boundary the model mentions, plus random ones.
fn sample_sources(m: &Model, r: &mut Rng) -> Vec<Ipv4Addr> {
    let mut cidrs: Vec<Ipv4Net> = Vec::new();
    cidrs.extend(m.networks.iter().flat_map(|n| n.cidrs.iter().copied()));
    cidrs.extend(
        m.route_tables
            .iter()
            .flat_map(|t| t.routes.iter().map(|x| x.destination)),
    );
    cidrs.extend(
        m.acls
            .iter()
            .flat_map(|a| a.inbound.iter().chain(&a.outbound).map(|x| x.cidr)),
    );
    cidrs.extend(m.prefix_lists.iter().flat_map(|p| p.cidrs.iter().copied()));
    for g in &m.security_groups {
        for rule in g.inbound.iter().chain(&g.outbound) {
            for p in &rule.peers {
                if let Peer::Cidr(c) = p {
                    cidrs.push(*c);
                }
            }
        }
    }
    for x in m
        .hosts
        .iter()
        .flat_map(|h| &h.interfaces)
        .chain(m.load_balancers.iter().flat_map(|b| &b.interfaces))
    {
        cidrs.push(Ipv4Net::from(x.private_ip));
    }
    cidrs.extend(
        NOT_INTERNET
            .iter()
            .filter_map(|&(a, l)| Ipv4Net::new(a, l).ok()),
    );
    let mut out = HashSet::new();
    for c in cidrs {
        let (a, b) = (u32::from(c.network()), u32::from(c.broadcast()));
        for v in [
            a.wrapping_sub(1),
            a,
            a.wrapping_add(1),
            b.wrapping_sub(1),
            b,
            b.wrapping_add(1),
        ] {
            out.insert(Ipv4Addr::from(v));
        }
    }
    for _ in 0..50 {
        out.insert(Ipv4Addr::from(
            u32::try_from(r.next() & 0xFFFF_FFFF).unwrap_or(0),
        ));
    }
    let mut out: Vec<_> = out.into_iter().collect();
    out.sort();
    out
}

fn sample_ports(m: &Model) -> Vec<u16> {
    let mut out: HashSet<u16> = PORTS.iter().copied().collect();
    let mut add = |p: PortRange| {
        for v in [p.from.wrapping_sub(1), p.from, p.to, p.to.wrapping_add(1)] {
            out.insert(v);
        }
    };
    for a in &m.acls {
        a.inbound.iter().for_each(|x| add(x.ports));
    }
    for g in &m.security_groups {
        g.inbound.iter().for_each(|x| add(x.ports));
    }
    let mut out: Vec<_> = out.into_iter().collect();
    out.sort_unstable();
    out
}

fn predicted(
    exposures: &[Exposure],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: Protocol,
    port: u16,
) -> bool {
    exposures.iter().any(|e| {
        e.public_ip == dst
            && e.protocol == protocol
            && match &e.via_load_balancer {
                None => e.ports.contains(port),
                Some((_, listener)) => *listener == port,
            }
            && e.sources.iter().any(|c| c.contains(&src))
    })
}

fn check(m: &Model, seed: u64, r: &mut Rng) -> (usize, usize, usize) {
    let analyzer = Analyzer::new(m);
    let exposures = analyzer.analyze().exposures;
    // Structure: internet sources only; host ranges disjoint and maximal.
    for e in &exposures {
        assert!(!e.sources.is_empty(), "seed {seed}: {e:?}");
        for c in &e.sources {
            assert!(
                is_internet(c.network()) && is_internet(c.broadcast()),
                "seed {seed}: {c} in {e:?}"
            );
        }
    }
    let hosts: Vec<&Exposure> = exposures
        .iter()
        .filter(|e| e.via_load_balancer.is_none())
        .collect();
    for (i, a) in hosts.iter().enumerate() {
        for b in &hosts[i + 1..] {
            if a.interface == b.interface && a.protocol == b.protocol {
                assert!(
                    a.ports.to < b.ports.from || b.ports.to < a.ports.from,
                    "seed {seed}: overlapping {a:?} {b:?}"
                );
                let touching = u32::from(a.ports.to) + 1 == u32::from(b.ports.from)
                    || u32::from(b.ports.to) + 1 == u32::from(a.ports.from);
                assert!(
                    !touching || a.sources != b.sources,
                    "seed {seed}: not maximal {a:?} {b:?}"
                );
            }
        }
    }
    // Agreement with the predicate.
    let mut destinations: Vec<Ipv4Addr> = m
        .hosts
        .iter()
        .flat_map(|h| &h.interfaces)
        .chain(m.load_balancers.iter().flat_map(|b| &b.interfaces))
        .filter_map(|x| x.public_ip)
        .collect();
    destinations.push(Ipv4Addr::new(203, 0, 113, 250));
    let sources = sample_sources(m, r);
    let mut ports = sample_ports(m);
    ports.extend(
        m.load_balancers
            .iter()
            .flat_map(|b| b.listeners.iter().map(|l| l.port)),
    );
    let balancers: HashSet<Ipv4Addr> = m
        .load_balancers
        .iter()
        .flat_map(|b| &b.interfaces)
        .filter_map(|x| x.public_ip)
        .collect();
    let (mut probes, mut positive, mut through_balancers) = (0, 0, 0);
    for &dst in &destinations {
        for protocol in [Protocol::Tcp, Protocol::Udp] {
            let relevant: Vec<&Exposure> = exposures
                .iter()
                .filter(|e| e.public_ip == dst && e.protocol == protocol)
                .collect();
            for _ in 0..150 {
                // Half the probes at or next to the edges of what the exposures claim, half at
                // the model's boundaries.
                let (src, port) = if !relevant.is_empty() && r.chance(50) {
                    let e = *r.pick(&relevant);
                    let c = *r.pick(&e.sources);
                    let (a, b) = (u32::from(c.network()), u32::from(c.broadcast()));
                    let src =
                        *r.pick(&[a, b, a.wrapping_sub(1), b.wrapping_add(1), a + (b - a) / 2]);
                    let port = match &e.via_load_balancer {
                        Some((_, listener)) => *listener,
                        None => *r.pick(&[
                            e.ports.from,
                            e.ports.to,
                            e.ports.from.wrapping_sub(1),
                            e.ports.to.wrapping_add(1),
                        ]),
                    };
                    (Ipv4Addr::from(src), port)
                } else {
                    (*r.pick(&sources), *r.pick(&ports))
                };
                let truth = analyzer.reachable(src, dst, protocol, port);
                let claim = predicted(&exposures, src, dst, protocol, port);
                assert_eq!(
                    truth, claim,
                    "seed {seed}: {src} -> {dst} {protocol:?}/{port}: reachable {truth}, exposures say {claim}\n{exposures:#?}"
                );
                probes += 1;
                positive += usize::from(truth);
                through_balancers += usize::from(truth && balancers.contains(&dst));
            }
        }
    }
    (probes, positive, through_balancers)
}

#[test]
fn exposures_agree_with_the_predicate() {
    let (mut probes, mut positive, mut exposed_models, mut through_balancers) = (0, 0, 0, 0);
    for seed in 0..400u64 {
        let mut r = Rng(seed ^ 0x5EED);
        let m = random_model(seed);
        let (p, q, b) = check(&m, seed, &mut r);
        probes += p;
        positive += q;
        through_balancers += b;
        exposed_models += usize::from(q > 0);
        // The validated model as well (the one importers hand over).
        let mut v = m.clone();
        let _ = validate(&mut v);
        assert!(
            validate(&mut v.clone()).is_empty(),
            "seed {seed}: validation is not idempotent"
        );
        check(&v, seed, &mut r);
    }
    // The generator must exercise the positive side too.
    assert!(
        positive * 20 > probes,
        "only {positive} of {probes} probes reachable"
    );
    assert!(
        exposed_models > 100,
        "only {exposed_models} models with exposures"
    );
    assert!(
        through_balancers > 200,
        "only {through_balancers} probes reach through balancers"
    );
}

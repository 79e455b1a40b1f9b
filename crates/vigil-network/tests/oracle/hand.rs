//! Hand-written topologies with reachability worked out by hand from the model's documented
//! semantics, one topology per feature group. They check the oracle itself: if the namespaces
//! disagree with the hand, the realisation is wrong, not the analysis.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use vigil_network::model::{
    Acl, AclRule, Action, Gateway, GatewayKind, Host, Interface, Listener, LoadBalancer, Model,
    Network, Peer, PortRange, PrefixList, Protocol, Route, RouteTable, RouteTarget, Scheme,
    SecurityGroup, SgRule, Subnet, Target, TargetGroup,
};

use crate::generate::net;
use crate::lab::{DEFAULT_CLIENTS, Lab, LabOptions, Probe, answer_problem};

const A: Ipv4Addr = DEFAULT_CLIENTS[0]; // 198.51.100.10
const B: Ipv4Addr = DEFAULT_CLIENTS[1]; // 203.0.113.10
const C: Ipv4Addr = DEFAULT_CLIENTS[2]; // 192.0.2.10
const D: Ipv4Addr = DEFAULT_CLIENTS[3]; // 8.8.8.10

use Protocol::{All, Icmp, Tcp, Udp};

const ALLOW: Action = Action::Allow;
const DENY: Action = Action::Deny;

fn ip(s: &str) -> Ipv4Addr {
    s.parse()
        .unwrap_or_else(|e| panic!("`{s}` is not an address in a hand topology: {e}"))
}

fn range(from: u16, to: u16) -> PortRange {
    PortRange { from, to }
}

fn one(p: u16) -> PortRange {
    PortRange::single(p)
}

const ANY: PortRange = PortRange::ALL;

fn acl_rule(
    number: u32,
    action: Action,
    protocol: Protocol,
    ports: PortRange,
    cidr: &str,
) -> AclRule {
    AclRule {
        number,
        action,
        protocol,
        ports,
        cidr: net(cidr),
    }
}

fn sg_rule(protocol: Protocol, ports: PortRange, peers: &[&str]) -> SgRule {
    let peers = peers
        .iter()
        .map(|p| {
            if let Some(g) = p.strip_prefix("sg:") {
                Peer::SecurityGroup(g.to_string())
            } else if let Some(l) = p.strip_prefix("pl:") {
                Peer::PrefixList(l.to_string())
            } else {
                Peer::Cidr(net(p))
            }
        })
        .collect();
    SgRule {
        protocol,
        ports,
        peers,
    }
}

fn iface(
    id: &str,
    subnet: &str,
    private: &str,
    public: Option<&str>,
    groups: &[&str],
) -> Interface {
    Interface {
        id: id.to_string(),
        subnet: subnet.to_string(),
        private_ip: ip(private),
        public_ip: public.map(ip),
        security_groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

fn target(interface: &str, port: u16, healthy: bool) -> Target {
    Target {
        interface: interface.to_string(),
        port,
        healthy,
    }
}

/// A terse model builder.
#[derive(Default)]
struct Build(Model);

impl Build {
    fn network(mut self, id: &str, cidr: &str) -> Self {
        self.0.networks.push(Network {
            id: id.to_string(),
            cidrs: vec![net(cidr)],
        });
        self
    }

    fn gateway(mut self, id: &str, kind: GatewayKind, network: Option<&str>) -> Self {
        self.0.gateways.push(Gateway {
            id: id.to_string(),
            kind,
            network: network.map(str::to_string),
        });
        self
    }

    fn table(mut self, id: &str, network: &str, routes: &[(&str, RouteTarget)]) -> Self {
        self.0.route_tables.push(RouteTable {
            id: id.to_string(),
            network: network.to_string(),
            routes: routes
                .iter()
                .map(|(d, t)| Route {
                    destination: net(d),
                    target: t.clone(),
                })
                .collect(),
        });
        self
    }

    fn acl(
        mut self,
        id: &str,
        network: &str,
        inbound: Vec<AclRule>,
        outbound: Vec<AclRule>,
    ) -> Self {
        self.0.acls.push(Acl {
            id: id.to_string(),
            network: network.to_string(),
            inbound,
            outbound,
        });
        self
    }

    fn open_acl(self, id: &str, network: &str) -> Self {
        self.acl(
            id,
            network,
            vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")],
            vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")],
        )
    }

    fn subnet(mut self, id: &str, network: &str, cidr: &str, table: &str, acl: &str) -> Self {
        self.0.subnets.push(Subnet {
            id: id.to_string(),
            network: network.to_string(),
            cidr: net(cidr),
            route_table: table.to_string(),
            acl: acl.to_string(),
        });
        self
    }

    fn group(
        mut self,
        id: &str,
        network: &str,
        inbound: Vec<SgRule>,
        outbound: Vec<SgRule>,
    ) -> Self {
        self.0.security_groups.push(SecurityGroup {
            id: id.to_string(),
            network: network.to_string(),
            name: String::new(),
            inbound,
            outbound,
        });
        self
    }

    fn open_group(self, id: &str, network: &str) -> Self {
        self.group(
            id,
            network,
            vec![sg_rule(All, ANY, &["0.0.0.0/0"])],
            vec![sg_rule(All, ANY, &["0.0.0.0/0"])],
        )
    }

    fn prefix_list(mut self, id: &str, cidrs: &[&str]) -> Self {
        self.0.prefix_lists.push(PrefixList {
            id: id.to_string(),
            cidrs: cidrs.iter().map(|c| net(c)).collect(),
        });
        self
    }

    fn host(mut self, id: &str, interfaces: Vec<Interface>) -> Self {
        self.0.hosts.push(Host {
            id: id.to_string(),
            interfaces,
            tags: Default::default(),
        });
        self
    }

    fn balancer(
        mut self,
        id: &str,
        scheme: Scheme,
        interfaces: Vec<Interface>,
        listeners: &[(Protocol, u16, &str)],
    ) -> Self {
        self.0.load_balancers.push(LoadBalancer {
            id: id.to_string(),
            scheme,
            interfaces,
            listeners: listeners
                .iter()
                .map(|&(protocol, port, group)| Listener {
                    protocol,
                    port,
                    target_group: group.to_string(),
                })
                .collect(),
        });
        self
    }

    fn targets(mut self, id: &str, protocol: Protocol, targets: Vec<Target>) -> Self {
        self.0.target_groups.push(TargetGroup {
            id: id.to_string(),
            protocol,
            targets,
        });
        self
    }
}

fn igw(id: &str) -> RouteTarget {
    RouteTarget::InternetGateway(id.to_string())
}

/// A topology and the reachability of each probe, worked out by hand.
struct Case {
    name: &'static str,
    model: Model,
    expect: Vec<(Probe, bool)>,
}

fn expect(
    source: Ipv4Addr,
    protocol: Protocol,
    destination: &str,
    port: u16,
    reachable: bool,
) -> (Probe, bool) {
    (
        Probe {
            source,
            destination: ip(destination),
            protocol,
            port,
        },
        reachable,
    )
}

/// One public subnet (10.0.1.0/24, default route to an attached gateway, open ACL).
fn public_subnet() -> Build {
    Build::default()
        .network("net-1", "10.0.0.0/16")
        .gateway("igw-1", GatewayKind::Internet, Some("net-1"))
        .table(
            "rt-1",
            "net-1",
            &[
                ("10.0.0.0/16", RouteTarget::Local),
                ("0.0.0.0/0", igw("igw-1")),
            ],
        )
        .open_acl("acl-1", "net-1")
        .subnet("subnet-1", "net-1", "10.0.1.0/24", "rt-1", "acl-1")
}

fn security_groups() -> Case {
    let model = public_subnet()
        .prefix_list("pl-1", &["203.0.113.0/24"])
        .group(
            "sg-web",
            "net-1",
            vec![
                sg_rule(Tcp, one(22), &["198.51.100.0/24"]),
                sg_rule(Tcp, one(80), &["0.0.0.0/0"]),
                sg_rule(Udp, one(53), &["pl:pl-1"]),
                sg_rule(Tcp, range(8000, 8100), &["8.8.8.0/24", "192.0.2.0/24"]),
                sg_rule(Icmp, ANY, &["0.0.0.0/0"]),
            ],
            vec![],
        )
        .host(
            "web",
            vec![iface(
                "eni-web",
                "subnet-1",
                "10.0.1.10",
                Some("54.0.1.10"),
                &["sg-web"],
            )],
        )
        .host(
            "bare",
            vec![iface(
                "eni-bare",
                "subnet-1",
                "10.0.1.11",
                Some("54.0.1.11"),
                &[],
            )],
        )
        .host(
            "private",
            vec![iface(
                "eni-private",
                "subnet-1",
                "10.0.1.12",
                None,
                &["sg-web"],
            )],
        )
        .0;
    let w = "54.0.1.10";
    Case {
        name: "security groups: CIDR, prefix list, protocol, port range, no group",
        model,
        expect: vec![
            expect(A, Tcp, w, 22, true),
            expect(B, Tcp, w, 22, false),
            expect(A, Tcp, w, 21, false),
            expect(A, Tcp, w, 23, false),
            expect(D, Tcp, w, 80, true),
            expect(A, Udp, w, 80, false),
            expect(B, Udp, w, 53, true),
            expect(A, Udp, w, 53, false),
            expect(B, Tcp, w, 53, false),
            expect(D, Tcp, w, 8000, true),
            expect(C, Tcp, w, 8100, true),
            expect(C, Tcp, w, 8101, false),
            expect(D, Tcp, w, 7999, false),
            expect(A, Tcp, w, 8050, false),
            expect(D, Udp, w, 8050, false),
            // An ICMP rule admits no TCP.
            expect(A, Tcp, w, 1, false),
            // No security group: nothing is admitted.
            expect(A, Tcp, "54.0.1.11", 80, false),
            expect(B, Udp, "54.0.1.11", 53, false),
        ],
    }
}

fn gateways() -> Case {
    let local = |cidr: &'static str| (cidr, RouteTarget::Local);
    let model = Build::default()
        // Attached: reachable; a second subnet whose table has no way out: not.
        .network("net-a", "10.0.0.0/16")
        .gateway("igw-a", GatewayKind::Internet, Some("net-a"))
        .table(
            "rt-a1",
            "net-a",
            &[local("10.0.0.0/16"), ("0.0.0.0/0", igw("igw-a"))],
        )
        .table("rt-a2", "net-a", &[local("10.0.0.0/16")])
        .open_acl("acl-a", "net-a")
        .open_group("sg-a", "net-a")
        .subnet("subnet-a1", "net-a", "10.0.1.0/24", "rt-a1", "acl-a")
        .subnet("subnet-a2", "net-a", "10.0.2.0/24", "rt-a2", "acl-a")
        .host(
            "ha1",
            vec![iface(
                "eni-a1",
                "subnet-a1",
                "10.0.1.10",
                Some("54.0.1.10"),
                &["sg-a"],
            )],
        )
        .host(
            "ha2",
            vec![iface(
                "eni-a2",
                "subnet-a2",
                "10.0.2.10",
                Some("54.0.2.10"),
                &["sg-a"],
            )],
        )
        // Detached gateway.
        .network("net-b", "10.1.0.0/16")
        .gateway("igw-b", GatewayKind::Internet, None)
        .table(
            "rt-b",
            "net-b",
            &[local("10.1.0.0/16"), ("0.0.0.0/0", igw("igw-b"))],
        )
        .open_acl("acl-b", "net-b")
        .open_group("sg-b", "net-b")
        .subnet("subnet-b", "net-b", "10.1.1.0/24", "rt-b", "acl-b")
        .host(
            "hb",
            vec![iface(
                "eni-b",
                "subnet-b",
                "10.1.1.10",
                Some("54.1.1.10"),
                &["sg-b"],
            )],
        )
        // No gateway at all (the route names one that does not exist).
        .network("net-c", "10.2.0.0/16")
        .table(
            "rt-c",
            "net-c",
            &[local("10.2.0.0/16"), ("0.0.0.0/0", igw("igw-c"))],
        )
        .open_acl("acl-c", "net-c")
        .open_group("sg-c", "net-c")
        .subnet("subnet-c", "net-c", "10.2.1.0/24", "rt-c", "acl-c")
        .host(
            "hc",
            vec![iface(
                "eni-c",
                "subnet-c",
                "10.2.1.10",
                Some("54.2.1.10"),
                &["sg-c"],
            )],
        )
        // Its own gateway attached, but the table sends replies to another network's.
        .network("net-d", "10.3.0.0/16")
        .gateway("igw-d", GatewayKind::Internet, Some("net-d"))
        .table(
            "rt-d",
            "net-d",
            &[local("10.3.0.0/16"), ("0.0.0.0/0", igw("igw-a"))],
        )
        .open_acl("acl-d", "net-d")
        .open_group("sg-d", "net-d")
        .subnet("subnet-d", "net-d", "10.3.1.0/24", "rt-d", "acl-d")
        .host(
            "hd",
            vec![iface(
                "eni-d",
                "subnet-d",
                "10.3.1.10",
                Some("54.3.1.10"),
                &["sg-d"],
            )],
        )
        // Same private addresses as net-a, another gateway: the answer is from eni-e.
        .network("net-e", "10.0.0.0/16")
        .gateway("igw-e", GatewayKind::Internet, Some("net-e"))
        .table(
            "rt-e",
            "net-e",
            &[local("10.0.0.0/16"), ("0.0.0.0/0", igw("igw-e"))],
        )
        .open_acl("acl-e", "net-e")
        .open_group("sg-e", "net-e")
        .subnet("subnet-e", "net-e", "10.0.1.0/24", "rt-e", "acl-e")
        .host(
            "he",
            vec![iface(
                "eni-e",
                "subnet-e",
                "10.0.1.10",
                Some("54.4.1.10"),
                &["sg-e"],
            )],
        )
        .0;
    let mut expect_all = Vec::new();
    for (address, reachable) in [
        ("54.0.1.10", true),
        ("54.0.2.10", false),
        ("54.1.1.10", false),
        ("54.2.1.10", false),
        ("54.3.1.10", false),
        ("54.4.1.10", true),
    ] {
        expect_all.push(expect(A, Tcp, address, 80, reachable));
        expect_all.push(expect(C, Udp, address, 53, reachable));
        expect_all.push(expect(D, Tcp, address, 443, reachable));
    }
    Case {
        name: "gateways: attached, no way out, detached, missing, another network's, overlapping networks",
        model,
        expect: expect_all,
    }
}

fn routes() -> Case {
    let model = Build::default()
        .network("net-1", "10.0.0.0/16")
        .gateway("igw-1", GatewayKind::Internet, Some("net-1"))
        .gateway("nat-1", GatewayKind::Nat, Some("net-1"))
        // Written out of order: the longest prefix decides, not the position.
        .table(
            "rt-1",
            "net-1",
            &[
                ("8.8.8.0/24", igw("igw-1")),
                (
                    "203.0.113.0/24",
                    RouteTarget::NatGateway("nat-1".to_string()),
                ),
                ("10.0.0.0/16", RouteTarget::Local),
                ("192.0.2.0/24", RouteTarget::Blackhole),
                ("8.0.0.0/8", RouteTarget::Other("tgw-1".to_string())),
                ("0.0.0.0/0", igw("igw-1")),
            ],
        )
        .table(
            "rt-2",
            "net-1",
            &[
                ("10.0.0.0/16", RouteTarget::Local),
                ("0.0.0.0/1", igw("igw-1")),
                ("128.0.0.0/1", RouteTarget::Blackhole),
                ("198.51.100.0/25", igw("igw-1")),
            ],
        )
        .table(
            "rt-3",
            "net-1",
            &[
                ("203.0.113.128/25", igw("igw-1")),
                ("10.0.0.0/16", RouteTarget::Local),
                ("0.0.0.0/0", RouteTarget::Blackhole),
                ("192.0.0.0/8", igw("igw-1")),
            ],
        )
        .open_acl("acl-1", "net-1")
        .open_group("sg-1", "net-1")
        .subnet("subnet-1", "net-1", "10.0.1.0/24", "rt-1", "acl-1")
        .subnet("subnet-2", "net-1", "10.0.2.0/24", "rt-2", "acl-1")
        .subnet("subnet-3", "net-1", "10.0.3.0/24", "rt-3", "acl-1")
        .host(
            "h1",
            vec![iface(
                "eni-1",
                "subnet-1",
                "10.0.1.10",
                Some("54.0.1.10"),
                &["sg-1"],
            )],
        )
        .host(
            "h2",
            vec![iface(
                "eni-2",
                "subnet-2",
                "10.0.2.10",
                Some("54.0.2.10"),
                &["sg-1"],
            )],
        )
        .host(
            "h3",
            vec![iface(
                "eni-3",
                "subnet-3",
                "10.0.3.10",
                Some("54.0.3.10"),
                &["sg-1"],
            )],
        )
        .0;
    let mut e = Vec::new();
    // h1: B's replies go to the NAT gateway, C's into a blackhole; 8.8.8.0/24 beats 8/8.
    // h2: 0/1 and the /25 lead out; the rest of 128/1 is a blackhole.
    // h3: only 192/8 leads out; 203.0.113.128/25 does not hold B.
    for (address, reachable) in [
        ("54.0.1.10", [true, false, false, true]),
        ("54.0.2.10", [true, false, false, true]),
        ("54.0.3.10", [false, false, true, false]),
    ] {
        for (client, r) in [A, B, C, D].into_iter().zip(reachable) {
            e.push(expect(client, Tcp, address, 80, r));
            e.push(expect(client, Udp, address, 53, r));
        }
    }
    Case {
        name: "routes: longest prefix for the reply, NAT gateway, blackhole, other targets",
        model,
        expect: e,
    }
}

fn acl_inbound() -> Case {
    let model = Build::default()
        .network("net-1", "10.0.0.0/16")
        .gateway("igw-1", GatewayKind::Internet, Some("net-1"))
        .table(
            "rt-1",
            "net-1",
            &[
                ("10.0.0.0/16", RouteTarget::Local),
                ("0.0.0.0/0", igw("igw-1")),
            ],
        )
        .acl(
            "acl-1",
            "net-1",
            // Out of order on purpose: numbers decide.
            vec![
                acl_rule(120, ALLOW, Udp, one(53), "192.0.0.0/8"),
                acl_rule(100, DENY, Tcp, one(22), "198.51.100.0/24"),
                acl_rule(140, ALLOW, All, ANY, "8.0.0.0/7"),
                acl_rule(110, ALLOW, Tcp, range(0, 1023), "0.0.0.0/0"),
                acl_rule(130, DENY, All, ANY, "8.8.8.0/24"),
            ],
            vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")],
        )
        .subnet("subnet-1", "net-1", "10.0.1.0/24", "rt-1", "acl-1")
        .open_group("sg-1", "net-1")
        .host(
            "h1",
            vec![iface(
                "eni-1",
                "subnet-1",
                "10.0.1.10",
                Some("54.0.1.10"),
                &["sg-1"],
            )],
        )
        .0;
    let h = "54.0.1.10";
    Case {
        name: "ACL inbound: first match by number, implicit deny",
        model,
        expect: vec![
            expect(A, Tcp, h, 22, false), // 100 deny
            expect(B, Tcp, h, 22, true),  // 110
            expect(A, Tcp, h, 80, true),
            expect(A, Tcp, h, 1023, true),
            expect(A, Tcp, h, 1024, false), // nothing matches
            expect(C, Udp, h, 53, true),    // 120
            expect(A, Udp, h, 53, false),   // 198.51.100.10 is not in 192/8
            expect(D, Tcp, h, 80, true),    // 110 before 130
            expect(D, Tcp, h, 2000, false), // 130 before 140
            expect(D, Udp, h, 53, false),
            expect(C, Tcp, h, 5000, false),
            expect(C, Udp, h, 54, false),
        ],
    }
}

fn acl_outbound() -> Case {
    let all_in = || vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")];
    let model = Build::default()
        .network("net-1", "10.0.0.0/16")
        .gateway("igw-1", GatewayKind::Internet, Some("net-1"))
        .table(
            "rt-1",
            "net-1",
            &[
                ("10.0.0.0/16", RouteTarget::Local),
                ("0.0.0.0/0", igw("igw-1")),
            ],
        )
        // Only the server's port is allowed out: no reply reaches an ephemeral port.
        .acl(
            "acl-1",
            "net-1",
            all_in(),
            vec![acl_rule(100, ALLOW, Tcp, one(80), "0.0.0.0/0")],
        )
        // Part of the ephemeral range is enough; B is denied first.
        .acl(
            "acl-2",
            "net-1",
            all_in(),
            vec![
                acl_rule(300, ALLOW, Udp, range(1024, 65535), "0.0.0.0/0"),
                acl_rule(100, DENY, All, ANY, "203.0.113.0/24"),
                acl_rule(200, ALLOW, Tcp, range(49152, 65535), "0.0.0.0/0"),
            ],
        )
        // One port is enough: 65535 for TCP; UDP gets only non-ephemeral ports.
        .acl(
            "acl-3",
            "net-1",
            all_in(),
            vec![
                acl_rule(100, DENY, Tcp, range(1024, 65534), "0.0.0.0/0"),
                acl_rule(110, ALLOW, Tcp, ANY, "0.0.0.0/0"),
                acl_rule(120, DENY, Udp, ANY, "198.51.100.0/24"),
                acl_rule(130, ALLOW, Udp, range(0, 1023), "0.0.0.0/0"),
            ],
        )
        // Exactly 1024, and only for C.
        .acl(
            "acl-4",
            "net-1",
            all_in(),
            vec![acl_rule(100, ALLOW, Tcp, one(1024), "192.0.2.0/24")],
        )
        .open_group("sg-1", "net-1")
        .subnet("subnet-1", "net-1", "10.0.1.0/24", "rt-1", "acl-1")
        .subnet("subnet-2", "net-1", "10.0.2.0/24", "rt-1", "acl-2")
        .subnet("subnet-3", "net-1", "10.0.3.0/24", "rt-1", "acl-3")
        .subnet("subnet-4", "net-1", "10.0.4.0/24", "rt-1", "acl-4")
        .host(
            "h1",
            vec![iface(
                "eni-1",
                "subnet-1",
                "10.0.1.10",
                Some("54.0.1.10"),
                &["sg-1"],
            )],
        )
        .host(
            "h2",
            vec![iface(
                "eni-2",
                "subnet-2",
                "10.0.2.10",
                Some("54.0.2.10"),
                &["sg-1"],
            )],
        )
        .host(
            "h3",
            vec![iface(
                "eni-3",
                "subnet-3",
                "10.0.3.10",
                Some("54.0.3.10"),
                &["sg-1"],
            )],
        )
        .host(
            "h4",
            vec![iface(
                "eni-4",
                "subnet-4",
                "10.0.4.10",
                Some("54.0.4.10"),
                &["sg-1"],
            )],
        )
        .0;
    let (h1, h2, h3, h4) = ("54.0.1.10", "54.0.2.10", "54.0.3.10", "54.0.4.10");
    Case {
        name: "ACL outbound: replies to the client's ephemeral port",
        model,
        expect: vec![
            expect(A, Tcp, h1, 80, false),
            expect(A, Udp, h1, 53, false),
            expect(A, Tcp, h2, 80, true),
            expect(D, Tcp, h2, 80, true),
            expect(B, Tcp, h2, 80, false),
            expect(A, Udp, h2, 53, true),
            expect(B, Udp, h2, 53, false),
            expect(A, Tcp, h3, 80, true),
            expect(B, Tcp, h3, 80, true),
            expect(A, Udp, h3, 53, false),
            expect(B, Udp, h3, 53, false),
            expect(C, Tcp, h4, 80, true),
            expect(A, Tcp, h4, 80, false),
            expect(C, Udp, h4, 53, false),
        ],
    }
}

fn group_references() -> Case {
    let model = public_subnet()
        .prefix_list("pl-corp", &["198.51.100.0/24", "8.8.8.0/24"])
        .group(
            "sg-a",
            "net-1",
            vec![sg_rule(Tcp, one(443), &["pl:pl-corp"])],
            vec![],
        )
        .group(
            "sg-b",
            "net-1",
            vec![
                // Members of sg-a are interfaces: never an internet client.
                sg_rule(Tcp, range(8000, 8100), &["sg:sg-a"]),
                sg_rule(Udp, ANY, &["192.0.2.0/24"]),
            ],
            vec![],
        )
        // No outbound rules: replies pass anyway.
        .group(
            "sg-c",
            "net-1",
            vec![sg_rule(All, ANY, &["203.0.113.0/24"])],
            vec![],
        )
        .host(
            "h1",
            vec![iface(
                "eni-1",
                "subnet-1",
                "10.0.1.10",
                Some("54.0.1.10"),
                &["sg-a", "sg-b", "sg-c"],
            )],
        )
        .host(
            "h2",
            vec![iface(
                "eni-2",
                "subnet-1",
                "10.0.1.11",
                Some("54.0.1.11"),
                &["sg-a"],
            )],
        )
        .0;
    let (h1, h2) = ("54.0.1.10", "54.0.1.11");
    Case {
        name: "security groups: several per interface, prefix lists, group references, all protocols",
        model,
        expect: vec![
            expect(A, Tcp, h1, 443, true),
            expect(D, Tcp, h1, 443, true),
            expect(C, Tcp, h1, 443, false),
            expect(A, Tcp, h1, 8050, false),
            expect(C, Udp, h1, 5000, true),
            expect(C, Tcp, h1, 5000, false),
            expect(B, Tcp, h1, 1, true),
            expect(B, Udp, h1, 65535, true),
            expect(B, Tcp, h1, 443, true),
            expect(A, Udp, h1, 443, false),
            expect(A, Tcp, h2, 443, true),
            expect(B, Tcp, h2, 443, false),
            expect(B, Udp, h2, 53, false),
        ],
    }
}

fn balancer() -> Case {
    let model = public_subnet()
        // The targets' subnet has no way out: replies to the balancer stay local.
        .table(
            "rt-private",
            "net-1",
            &[("10.0.0.0/16", RouteTarget::Local)],
        )
        .subnet(
            "subnet-private",
            "net-1",
            "10.0.2.0/24",
            "rt-private",
            "acl-1",
        )
        .group(
            "sg-t1",
            "net-1",
            vec![sg_rule(Tcp, one(8080), &["10.0.1.0/24"])],
            vec![],
        )
        .group(
            "sg-t2",
            "net-1",
            vec![
                sg_rule(Tcp, one(8080), &["0.0.0.0/0"]),
                sg_rule(Tcp, one(8443), &["0.0.0.0/0"]),
                sg_rule(Udp, one(123), &["10.0.0.0/16"]),
            ],
            vec![],
        )
        .group(
            "sg-t3",
            "net-1",
            vec![sg_rule(Udp, one(5353), &["10.0.9.0/24"])],
            vec![],
        )
        .host(
            "t1",
            vec![iface(
                "eni-t1",
                "subnet-private",
                "10.0.2.10",
                None,
                &["sg-t1"],
            )],
        )
        .host(
            "t2",
            vec![iface(
                "eni-t2",
                "subnet-private",
                "10.0.2.11",
                None,
                &["sg-t2"],
            )],
        )
        .host(
            "t3",
            vec![iface(
                "eni-t3",
                "subnet-private",
                "10.0.2.12",
                None,
                &["sg-t3"],
            )],
        )
        .targets(
            "tg-web",
            Tcp,
            vec![target("eni-t1", 8080, true), target("eni-t2", 8080, false)],
        )
        .targets("tg-dns", Udp, vec![target("eni-t3", 5353, true)])
        .targets("tg-ntp", Udp, vec![target("eni-t2", 123, true)])
        .targets("tg-down", Tcp, vec![target("eni-t2", 8443, false)])
        .balancer(
            "lb-web",
            Scheme::InternetFacing,
            vec![iface(
                "eni-lb",
                "subnet-1",
                "10.0.1.100",
                Some("54.0.1.100"),
                &[],
            )],
            &[
                (Tcp, 80, "tg-web"),
                (Udp, 53, "tg-dns"),
                (Udp, 123, "tg-ntp"),
                (Tcp, 443, "tg-down"),
            ],
        )
        .0;
    let lb = "54.0.1.100";
    Case {
        name: "load balancer: listeners, healthy targets, the targets' security groups",
        model,
        expect: vec![
            expect(A, Tcp, lb, 80, true), // through eni-t1 only (eni-t2 is unhealthy)
            expect(D, Tcp, lb, 80, true),
            expect(A, Tcp, lb, 81, false), // no listener
            expect(A, Udp, lb, 80, false),
            expect(A, Udp, lb, 53, false), // eni-t3's group does not admit the balancer
            expect(B, Udp, lb, 123, true),
            expect(B, Tcp, lb, 123, false),
            expect(A, Tcp, lb, 443, false), // only an unhealthy target
            expect(A, Tcp, lb, 8080, false), // a target port, not a listener
        ],
    }
}

fn balancer_between_subnets() -> Case {
    let model = Build::default()
        .network("net-1", "10.0.0.0/16")
        .gateway("igw-1", GatewayKind::Internet, Some("net-1"))
        .table(
            "rt-1",
            "net-1",
            &[
                ("10.0.0.0/16", RouteTarget::Local),
                ("0.0.0.0/0", igw("igw-1")),
            ],
        )
        .acl(
            "acl-pub",
            "net-1",
            vec![
                acl_rule(100, ALLOW, Tcp, one(443), "0.0.0.0/0"),
                acl_rule(110, ALLOW, Tcp, one(8080), "0.0.0.0/0"),
                acl_rule(120, ALLOW, Tcp, one(9090), "0.0.0.0/0"),
                acl_rule(130, ALLOW, Tcp, one(5432), "0.0.0.0/0"),
                acl_rule(200, ALLOW, Tcp, range(1024, 65535), "10.0.0.0/16"),
            ],
            vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")],
        )
        .acl(
            "acl-app",
            "net-1",
            vec![
                acl_rule(100, ALLOW, Tcp, one(8443), "10.0.1.0/24"),
                acl_rule(110, ALLOW, Tcp, one(9443), "10.0.1.0/24"),
            ],
            vec![acl_rule(100, ALLOW, Tcp, range(1024, 65535), "10.0.1.0/24")],
        )
        .acl(
            "acl-db",
            "net-1",
            vec![
                acl_rule(100, DENY, All, ANY, "10.0.1.0/24"),
                acl_rule(200, ALLOW, All, ANY, "0.0.0.0/0"),
            ],
            vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")],
        )
        .subnet("subnet-pub", "net-1", "10.0.1.0/24", "rt-1", "acl-pub")
        .subnet("subnet-app", "net-1", "10.0.2.0/24", "rt-1", "acl-app")
        .subnet("subnet-db", "net-1", "10.0.3.0/24", "rt-1", "acl-db")
        .group(
            "sg-lb",
            "net-1",
            vec![
                sg_rule(Tcp, one(443), &["198.51.100.0/24"]),
                sg_rule(Tcp, one(8080), &["0.0.0.0/0"]),
                sg_rule(Tcp, one(9090), &["0.0.0.0/0"]),
                sg_rule(Tcp, one(5432), &["0.0.0.0/0"]),
            ],
            vec![
                sg_rule(Tcp, one(8443), &["10.0.0.0/16"]),
                sg_rule(Tcp, one(5432), &["10.0.3.0/24"]),
            ],
        )
        .group(
            "sg-app",
            "net-1",
            vec![
                sg_rule(Tcp, one(8443), &["sg:sg-lb"]),
                sg_rule(Tcp, one(9443), &["sg:sg-lb"]),
            ],
            vec![],
        )
        .group(
            "sg-db",
            "net-1",
            vec![sg_rule(Tcp, one(5432), &["10.0.0.0/16"])],
            vec![],
        )
        .host(
            "app",
            vec![iface(
                "eni-app",
                "subnet-app",
                "10.0.2.10",
                None,
                &["sg-app"],
            )],
        )
        .host(
            "db",
            vec![iface("eni-db", "subnet-db", "10.0.3.10", None, &["sg-db"])],
        )
        .targets("tg-app", Tcp, vec![target("eni-app", 8443, true)])
        .targets("tg-old", Tcp, vec![target("eni-app", 8443, false)])
        .targets("tg-admin", Tcp, vec![target("eni-app", 9443, true)])
        .targets("tg-db", Tcp, vec![target("eni-db", 5432, true)])
        .balancer(
            "lb-app",
            Scheme::InternetFacing,
            vec![iface(
                "eni-lb",
                "subnet-pub",
                "10.0.1.100",
                Some("54.0.1.100"),
                &["sg-lb"],
            )],
            &[
                (Tcp, 443, "tg-app"),
                (Tcp, 8080, "tg-old"),
                (Tcp, 9090, "tg-admin"),
                (Tcp, 5432, "tg-db"),
            ],
        )
        .0;
    let lb = "54.0.1.100";
    Case {
        name: "load balancer: its security group both ways, group references, ACLs between subnets",
        model,
        expect: vec![
            expect(A, Tcp, lb, 443, true),
            expect(B, Tcp, lb, 443, false),  // the balancer's group
            expect(A, Tcp, lb, 8080, false), // unhealthy target only
            expect(A, Tcp, lb, 9090, false), // the balancer's outbound rules omit 9443
            expect(A, Tcp, lb, 5432, false), // the db subnet's ACL denies the balancer's subnet
            expect(D, Tcp, lb, 444, false),
        ],
    }
}

fn balancer_ephemeral() -> Case {
    let from_inside = |n: u32, p: Protocol, r: PortRange| acl_rule(n, ALLOW, p, r, "10.0.0.0/16");
    let model = Build::default()
        .network("net-1", "10.0.0.0/16")
        .gateway("igw-1", GatewayKind::Internet, Some("net-1"))
        .table(
            "rt-1",
            "net-1",
            &[
                ("10.0.0.0/16", RouteTarget::Local),
                ("0.0.0.0/0", igw("igw-1")),
            ],
        )
        .acl(
            "acl-a",
            "net-1",
            vec![
                acl_rule(100, ALLOW, Tcp, one(80), "0.0.0.0/0"),
                acl_rule(110, ALLOW, Udp, one(53), "0.0.0.0/0"),
                from_inside(120, Tcp, range(35000, 65535)),
                from_inside(130, Udp, range(35000, 65535)),
            ],
            vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")],
        )
        .acl(
            "acl-b",
            "net-1",
            vec![
                acl_rule(100, ALLOW, Tcp, one(80), "0.0.0.0/0"),
                from_inside(120, Tcp, range(41000, 65535)),
            ],
            vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")],
        )
        .acl(
            "acl-t",
            "net-1",
            vec![acl_rule(100, ALLOW, All, ANY, "10.0.0.0/16")],
            vec![
                from_inside(100, Tcp, range(32768, 40000)),
                from_inside(110, Udp, range(32768, 40000)),
            ],
        )
        .subnet("subnet-a", "net-1", "10.0.1.0/24", "rt-1", "acl-a")
        .subnet("subnet-b", "net-1", "10.0.2.0/24", "rt-1", "acl-b")
        .subnet("subnet-t", "net-1", "10.0.3.0/24", "rt-1", "acl-t")
        .group(
            "sg-t",
            "net-1",
            vec![sg_rule(All, ANY, &["10.0.0.0/16"])],
            vec![],
        )
        .host(
            "t",
            vec![iface("eni-t", "subnet-t", "10.0.3.10", None, &["sg-t"])],
        )
        .targets("tg-1", Tcp, vec![target("eni-t", 8080, true)])
        .targets("tg-2", Udp, vec![target("eni-t", 5353, true)])
        .balancer(
            "lb-1",
            Scheme::InternetFacing,
            vec![iface(
                "eni-lb1",
                "subnet-a",
                "10.0.1.100",
                Some("54.0.1.100"),
                &[],
            )],
            &[(Tcp, 80, "tg-1"), (Udp, 53, "tg-2")],
        )
        .balancer(
            "lb-2",
            Scheme::InternetFacing,
            vec![iface(
                "eni-lb2",
                "subnet-b",
                "10.0.2.100",
                Some("54.0.2.100"),
                &[],
            )],
            &[(Tcp, 80, "tg-1")],
        )
        .0;
    Case {
        name: "load balancer: one source port must pass both subnets' ACLs",
        model,
        expect: vec![
            // 35000-40000 passes both.
            expect(A, Tcp, "54.0.1.100", 80, true),
            expect(A, Udp, "54.0.1.100", 53, true),
            // 41000-65535 and 32768-40000: each ACL alone allows some port, not the same one.
            expect(A, Tcp, "54.0.2.100", 80, false),
            expect(B, Tcp, "54.0.2.100", 80, false),
        ],
    }
}

fn same_subnet() -> Case {
    let model = Build::default()
        .network("net-1", "10.0.0.0/16")
        .gateway("igw-1", GatewayKind::Internet, Some("net-1"))
        .table(
            "rt-1",
            "net-1",
            &[
                ("10.0.0.0/16", RouteTarget::Local),
                ("0.0.0.0/0", igw("igw-1")),
            ],
        )
        .table("rt-2", "net-1", &[("10.0.0.0/16", RouteTarget::Local)])
        .acl(
            "acl-1",
            "net-1",
            vec![
                acl_rule(100, ALLOW, Tcp, one(80), "0.0.0.0/0"),
                acl_rule(110, ALLOW, Tcp, one(22), "198.51.100.0/24"),
            ],
            vec![acl_rule(100, ALLOW, All, ANY, "0.0.0.0/0")],
        )
        .open_acl("acl-2", "net-1")
        .subnet("subnet-1", "net-1", "10.0.1.0/24", "rt-1", "acl-1")
        .subnet("subnet-2", "net-1", "10.0.2.0/24", "rt-2", "acl-2")
        .open_group("sg-open", "net-1")
        .host(
            "multi",
            vec![
                iface(
                    "eni-m1",
                    "subnet-1",
                    "10.0.1.10",
                    Some("54.0.1.10"),
                    &["sg-open"],
                ),
                iface(
                    "eni-m2",
                    "subnet-2",
                    "10.0.2.10",
                    Some("54.0.2.10"),
                    &["sg-open"],
                ),
            ],
        )
        .targets("tg", Tcp, vec![target("eni-m1", 8080, true)])
        .balancer(
            "lb-same",
            Scheme::InternetFacing,
            vec![iface(
                "eni-lbs",
                "subnet-1",
                "10.0.1.100",
                Some("54.0.1.100"),
                &[],
            )],
            &[(Tcp, 80, "tg")],
        )
        .balancer(
            "lb-internal",
            Scheme::Internal,
            vec![iface("eni-lbi", "subnet-1", "10.0.1.101", None, &[])],
            &[(Tcp, 80, "tg")],
        )
        .0;
    Case {
        name: "a host with two interfaces; a balancer and its target in one subnet cross no ACL",
        model,
        expect: vec![
            expect(A, Tcp, "54.0.1.10", 80, true),
            expect(A, Tcp, "54.0.1.10", 22, true),
            expect(B, Tcp, "54.0.1.10", 22, false),
            expect(A, Tcp, "54.0.2.10", 80, false), // its subnet has no way out
            // acl-1 would deny 8080 from the balancer, but it is not crossed.
            expect(A, Tcp, "54.0.1.100", 80, true),
            expect(C, Tcp, "54.0.1.100", 80, true),
        ],
    }
}

fn cases() -> Vec<Case> {
    vec![
        security_groups(),
        gateways(),
        routes(),
        acl_inbound(),
        acl_outbound(),
        group_references(),
        balancer(),
        balancer_between_subnets(),
        balancer_ephemeral(),
        same_subnet(),
    ]
}

#[test]
fn oracle_matches_hand_computed_expectations() {
    let started = Instant::now();
    let mut failures = Vec::new();
    let (mut probes_run, mut setup, mut probing) = (0, Duration::ZERO, Duration::ZERO);
    for case in cases() {
        let (probes, expected): (Vec<Probe>, Vec<bool>) = case.expect.iter().copied().unzip();
        let options = LabOptions::for_probes(&probes);
        let mut lab = Lab::realise(&case.model, &options)
            .unwrap_or_else(|e| panic!("cannot realise `{}`: {e}", case.name));
        let t = Instant::now();
        let outcomes = lab
            .probe_and_confirm(&probes, &expected)
            .unwrap_or_else(|e| panic!("cannot probe `{}`: {e}", case.name));
        probing += t.elapsed();
        setup += lab.setup;
        probes_run += probes.len();
        for ((probe, want), got) in probes.iter().zip(&expected).zip(&outcomes) {
            if got.reachable != *want {
                failures.push(format!(
                    "{}: {probe}: expected {}, found {} (answer {:?})",
                    case.name,
                    if *want { "reachable" } else { "unreachable" },
                    if got.reachable {
                        "reachable"
                    } else {
                        "unreachable"
                    },
                    got.answer
                ));
            }
            if let Some(problem) = answer_problem(&case.model, probe, got) {
                failures.push(format!("{}: {problem}", case.name));
            }
        }
    }
    eprintln!(
        "hand topologies: {probes_run} probes, {:.1?} in all ({setup:.1?} setting up, {probing:.1?} probing)",
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lab_namespaces_are_deleted_when_a_test_panics() {
    let (tx, rx) = std::sync::mpsc::channel();
    let died = std::thread::spawn(move || {
        let model = public_subnet()
            .open_group("sg-1", "net-1")
            .host(
                "h1",
                vec![iface(
                    "eni-1",
                    "subnet-1",
                    "10.0.1.10",
                    Some("54.0.1.10"),
                    &["sg-1"],
                )],
            )
            .0;
        let lab = Lab::realise(&model, &LabOptions::for_probes(&[]))
            .unwrap_or_else(|e| panic!("cannot realise: {e}"));
        tx.send(lab.namespaces().to_vec())
            .expect("the test thread is waiting");
        panic!("a test failing while its lab is up (on purpose)");
    })
    .join();
    assert!(died.is_err(), "the thread should have panicked");
    let names = rx.recv().expect("the lab was realised before the panic");
    assert!(!names.is_empty());
    let left: Vec<&String> = names
        .iter()
        .filter(|n| std::path::Path::new("/run/netns").join(n).exists())
        .collect();
    assert!(left.is_empty(), "namespaces left behind: {left:?}");
}

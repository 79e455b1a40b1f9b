//! Small builders for hand-made models.

use std::net::Ipv4Addr;

use ipnet::{Ipv4Net, Ipv4Subnets};
use vigil_network::analysis::{NOT_INTERNET, is_internet};
use vigil_network::model::{
    Acl, AclRule, Action, Gateway, GatewayKind, Host, Interface, Listener, LoadBalancer, Model,
    Network, Peer, PortRange, Protocol, Route, RouteTable, RouteTarget, Scheme, SecurityGroup,
    SgRule, Subnet, Target, TargetGroup,
};

pub fn net(s: &str) -> Ipv4Net {
    s.parse().expect("test CIDR")
}

pub fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("test address")
}

pub fn ports(from: u16, to: u16) -> PortRange {
    PortRange { from, to }
}

pub fn acl_rule(
    number: u32,
    action: Action,
    protocol: Protocol,
    p: PortRange,
    cidr: &str,
) -> AclRule {
    AclRule {
        number,
        action,
        protocol,
        ports: p,
        cidr: net(cidr),
    }
}

pub fn open_acl(id: &str) -> Acl {
    Acl {
        id: id.to_owned(),
        network: "vpc-1".to_owned(),
        inbound: vec![acl_rule(
            100,
            Action::Allow,
            Protocol::All,
            PortRange::ALL,
            "0.0.0.0/0",
        )],
        outbound: vec![acl_rule(
            100,
            Action::Allow,
            Protocol::All,
            PortRange::ALL,
            "0.0.0.0/0",
        )],
    }
}

pub fn rule(protocol: Protocol, p: PortRange, peers: Vec<Peer>) -> SgRule {
    SgRule {
        protocol,
        ports: p,
        peers,
    }
}

pub fn cidr_peer(s: &str) -> Peer {
    Peer::Cidr(net(s))
}

pub fn group(id: &str, inbound: Vec<SgRule>, outbound: Vec<SgRule>) -> SecurityGroup {
    SecurityGroup {
        id: id.to_owned(),
        network: "vpc-1".to_owned(),
        name: String::new(),
        inbound,
        outbound,
    }
}

pub fn route(dest: &str, target: RouteTarget) -> Route {
    Route {
        destination: net(dest),
        target,
    }
}

pub fn igw(id: &str) -> RouteTarget {
    RouteTarget::InternetGateway(id.to_owned())
}

pub fn interface(
    id: &str,
    subnet: &str,
    private: &str,
    public: Option<&str>,
    groups: &[&str],
) -> Interface {
    Interface {
        id: id.to_owned(),
        subnet: subnet.to_owned(),
        private_ip: ip(private),
        public_ip: public.map(ip),
        security_groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// One VPC `10.0.0.0/16` with `igw-1` attached; the public subnet `subnet-pub` (`10.0.1.0/24`,
/// table `rtb-pub` with `0.0.0.0/0 -> igw-1`, ACL `acl-pub` open both ways); host `i-1` with
/// `eni-1` (`10.0.1.10`, public `198.51.100.10`) in group `sg-1` admitting TCP 22 from anywhere.
pub fn public_host() -> Model {
    Model {
        networks: vec![Network {
            id: "vpc-1".to_owned(),
            cidrs: vec![net("10.0.0.0/16")],
        }],
        subnets: vec![Subnet {
            id: "subnet-pub".to_owned(),
            network: "vpc-1".to_owned(),
            cidr: net("10.0.1.0/24"),
            route_table: "rtb-pub".to_owned(),
            acl: "acl-pub".to_owned(),
        }],
        route_tables: vec![RouteTable {
            id: "rtb-pub".to_owned(),
            network: "vpc-1".to_owned(),
            routes: vec![
                route("10.0.0.0/16", RouteTarget::Local),
                route("0.0.0.0/0", igw("igw-1")),
            ],
        }],
        gateways: vec![
            Gateway {
                id: "igw-1".to_owned(),
                kind: GatewayKind::Internet,
                network: Some("vpc-1".to_owned()),
            },
            Gateway {
                id: "nat-1".to_owned(),
                kind: GatewayKind::Nat,
                network: Some("vpc-1".to_owned()),
            },
        ],
        security_groups: vec![group(
            "sg-1",
            vec![rule(
                Protocol::Tcp,
                ports(22, 22),
                vec![cidr_peer("0.0.0.0/0")],
            )],
            vec![],
        )],
        acls: vec![open_acl("acl-pub")],
        hosts: vec![Host {
            id: "i-1".to_owned(),
            interfaces: vec![interface(
                "eni-1",
                "subnet-pub",
                "10.0.1.10",
                Some("198.51.100.10"),
                &["sg-1"],
            )],
            tags: Default::default(),
        }],
        ..Model::default()
    }
}

/// [`public_host`] plus: the private subnet `subnet-app` (`10.0.2.0/24`, table `rtb-app` with
/// `0.0.0.0/0 -> nat-1`, ACL `acl-app` open); host `i-app` with `eni-app` (`10.0.2.20`, no
/// public address) in `sg-app` (TCP 8080 from members of `sg-lb`); the internet-facing balancer
/// `lb-1` with `eni-lb` (`10.0.1.100`, public `198.51.100.100`) in `sg-lb` (TCP 443 in from
/// anywhere, TCP 8080 out to `10.0.0.0/16`), listener TCP 443 -> `tg-1` -> `eni-app`:8080.
pub fn behind_balancer() -> Model {
    let mut m = public_host();
    m.subnets.push(Subnet {
        id: "subnet-app".to_owned(),
        network: "vpc-1".to_owned(),
        cidr: net("10.0.2.0/24"),
        route_table: "rtb-app".to_owned(),
        acl: "acl-app".to_owned(),
    });
    m.route_tables.push(RouteTable {
        id: "rtb-app".to_owned(),
        network: "vpc-1".to_owned(),
        routes: vec![
            route("10.0.0.0/16", RouteTarget::Local),
            route("0.0.0.0/0", RouteTarget::NatGateway("nat-1".to_owned())),
        ],
    });
    m.acls.push(open_acl("acl-app"));
    m.security_groups.push(group(
        "sg-app",
        vec![rule(
            Protocol::Tcp,
            ports(8080, 8080),
            vec![Peer::SecurityGroup("sg-lb".to_owned())],
        )],
        vec![],
    ));
    m.security_groups.push(group(
        "sg-lb",
        vec![rule(
            Protocol::Tcp,
            ports(443, 443),
            vec![cidr_peer("0.0.0.0/0")],
        )],
        vec![rule(
            Protocol::Tcp,
            ports(8080, 8080),
            vec![cidr_peer("10.0.0.0/16")],
        )],
    ));
    m.hosts.push(Host {
        id: "i-app".to_owned(),
        interfaces: vec![interface(
            "eni-app",
            "subnet-app",
            "10.0.2.20",
            None,
            &["sg-app"],
        )],
        tags: Default::default(),
    });
    m.load_balancers.push(LoadBalancer {
        id: "lb-1".to_owned(),
        scheme: Scheme::InternetFacing,
        interfaces: vec![interface(
            "eni-lb",
            "subnet-pub",
            "10.0.1.100",
            Some("198.51.100.100"),
            &["sg-lb"],
        )],
        listeners: vec![Listener {
            protocol: Protocol::Tcp,
            port: 443,
            target_group: "tg-1".to_owned(),
        }],
    });
    m.target_groups.push(TargetGroup {
        id: "tg-1".to_owned(),
        protocol: Protocol::Tcp,
        targets: vec![Target {
            interface: "eni-app".to_owned(),
            port: 8080,
            healthy: true,
        }],
    });
    m
}

/// The internet minus `holes`, as merged CIDRs (what exposures list).
pub fn internet_minus(holes: &[&str]) -> Vec<Ipv4Net> {
    let mut out: Vec<(u64, u64)> = vec![(0, u64::from(u32::MAX))];
    let mut cut = |net: Ipv4Net| {
        let (a, b) = (
            u64::from(u32::from(net.network())),
            u64::from(u32::from(net.broadcast())),
        );
        let mut next = Vec::new();
        for &(x, y) in &out {
            if b < x || y < a {
                next.push((x, y));
                continue;
            }
            if x < a {
                next.push((x, a - 1));
            }
            if b < y {
                next.push((b + 1, y));
            }
        }
        out = next;
    };
    for &(n, len) in &NOT_INTERNET {
        cut(Ipv4Net::new(n, len).expect("prefix"));
    }
    for h in holes {
        cut(net(h));
    }
    let to_addr = |v: u64| Ipv4Addr::from(u32::try_from(v).expect("address"));
    out.into_iter()
        .flat_map(|(a, b)| Ipv4Subnets::new(to_addr(a), to_addr(b), 0))
        .collect()
}

pub fn internet() -> Vec<Ipv4Net> {
    internet_minus(&[])
}

/// A check that the helper is right about what it computes.
#[test]
fn internet_is_internet() {
    for c in internet() {
        assert!(
            is_internet(c.network()) && is_internet(c.broadcast()),
            "{c}"
        );
    }
}

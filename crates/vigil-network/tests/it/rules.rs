//! Hand-built topologies, one rule kind at a time.

use vigil_network::analysis::{Analyzer, analyze, component};
use vigil_network::model::{
    Action, GatewayKind, Listening, Model, Peer, PortRange, PrefixList, Protocol, RouteTarget,
    Scheme, Target,
};
use vigil_network::{Exposure, validate};

use crate::common::*;

const HOST: &str = "198.51.100.10";
const LB: &str = "198.51.100.100";

fn reach(m: &Model, src: &str, dst: &str, protocol: Protocol, port: u16) -> bool {
    Analyzer::new(m).reachable(ip(src), ip(dst), protocol, port)
}

fn exposures(m: &Model) -> Vec<Exposure> {
    let a = analyze(m);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    a.exposures
}

fn path(e: &Exposure) -> Vec<(&str, &str)> {
    e.path
        .iter()
        .map(|s| (s.component_id.as_str(), s.component_type))
        .collect()
}

fn only_host(m: &Model) -> Vec<Exposure> {
    exposures(m)
        .into_iter()
        .filter(|e| e.host == "i-1")
        .collect()
}

#[test]
fn fixtures_are_consistent() {
    for mut m in [public_host(), behind_balancer()] {
        assert!(validate(&mut m).is_empty());
    }
}

#[test]
fn public_ssh() {
    let m = public_host();
    assert!(reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(
        reach(&m, "198.51.100.77", HOST, Protocol::Tcp, 22),
        "documentation nets are internet"
    );
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 23));
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Udp, 22));
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Icmp, 22));
    assert!(
        !reach(&m, "10.9.9.9", HOST, Protocol::Tcp, 22),
        "not an internet source"
    );
    assert!(
        !reach(&m, "8.8.8.8", "10.0.1.10", Protocol::Tcp, 22),
        "a private destination"
    );
    let e = exposures(&m);
    assert_eq!(e.len(), 1);
    let e = &e[0];
    assert_eq!((e.host.as_str(), e.interface.as_str()), ("i-1", "eni-1"));
    assert_eq!(e.public_ip, ip(HOST));
    assert_eq!((e.protocol, e.ports), (Protocol::Tcp, ports(22, 22)));
    assert_eq!(e.sources, internet());
    assert_eq!(e.via_load_balancer, None);
    assert_eq!(e.severity, "HIGH");
    assert_eq!(
        path(e),
        vec![
            ("igw-1", component::INTERNET_GATEWAY),
            ("acl-pub", component::NETWORK_ACL),
            ("rtb-pub", component::ROUTE_TABLE),
            ("sg-1", component::SECURITY_GROUP),
            ("eni-1", component::NETWORK_INTERFACE),
            ("i-1", component::INSTANCE),
        ]
    );
}

#[test]
fn no_route_to_the_internet_gateway() {
    let mut m = public_host();
    m.route_tables[0].routes[1].target = RouteTarget::NatGateway("nat-1".to_owned());
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(exposures(&m).is_empty());

    // Only a more specific route leads to the gateway: only those clients get replies.
    m.route_tables[0]
        .routes
        .push(route("203.0.113.0/24", igw("igw-1")));
    assert!(reach(&m, "203.0.113.5", HOST, Protocol::Tcp, 22));
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    let e = exposures(&m);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].sources, vec![net("203.0.113.0/24")]);
}

#[test]
fn internet_gateway_detached_or_elsewhere() {
    let mut m = public_host();
    m.gateways[0].network = None;
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(exposures(&m).is_empty());
    m.gateways[0].network = Some("vpc-2".to_owned());
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    // A route naming a NAT gateway as if it were an internet gateway leads nowhere.
    let mut m = public_host();
    m.gateways[0].kind = GatewayKind::Nat;
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
}

#[test]
fn asymmetric_reply_route() {
    // Requests arrive through the gateway, but replies to 198.51.100.0/24 leave through the NAT
    // gateway (and to 192.0.2.0/24 into a blackhole): those connections fail.
    let mut m = public_host();
    m.route_tables[0].routes.push(route(
        "198.51.100.0/24",
        RouteTarget::NatGateway("nat-1".to_owned()),
    ));
    m.route_tables[0]
        .routes
        .push(route("192.0.2.0/24", RouteTarget::Blackhole));
    assert!(!reach(&m, "198.51.100.7", HOST, Protocol::Tcp, 22));
    assert!(!reach(&m, "192.0.2.7", HOST, Protocol::Tcp, 22));
    assert!(reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    let e = exposures(&m);
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].sources,
        internet_minus(&["198.51.100.0/24", "192.0.2.0/24"])
    );
}

#[test]
fn acl_first_match_by_number() {
    let mut m = public_host();
    m.security_groups[0].inbound.push(rule(
        Protocol::Tcp,
        ports(80, 80),
        vec![cidr_peer("0.0.0.0/0")],
    ));
    // Listed out of order: the number decides.
    m.acls[0].inbound = vec![
        acl_rule(
            200,
            Action::Allow,
            Protocol::All,
            PortRange::ALL,
            "0.0.0.0/0",
        ),
        acl_rule(100, Action::Deny, Protocol::Tcp, ports(22, 22), "0.0.0.0/0"),
    ];
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 80));
    let e = exposures(&m);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].ports, ports(80, 80));
    assert_eq!(e[0].severity, "MEDIUM");

    m.acls[0].inbound[1].number = 300;
    assert!(reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));

    // A deny for some sources.
    m.acls[0].inbound = vec![
        acl_rule(
            100,
            Action::Deny,
            Protocol::All,
            PortRange::ALL,
            "203.0.113.0/24",
        ),
        acl_rule(
            200,
            Action::Allow,
            Protocol::Tcp,
            PortRange::ALL,
            "0.0.0.0/0",
        ),
    ];
    assert!(!reach(&m, "203.0.113.9", HOST, Protocol::Tcp, 22));
    let e = exposures(&m);
    assert_eq!(e.len(), 2);
    assert!(
        e.iter()
            .all(|e| e.sources == internet_minus(&["203.0.113.0/24"]))
    );

    // Nothing matching denies.
    m.acls[0].inbound = vec![acl_rule(
        100,
        Action::Allow,
        Protocol::Udp,
        PortRange::ALL,
        "0.0.0.0/0",
    )];
    assert!(exposures(&m).is_empty());
}

#[test]
fn acl_ephemeral_outbound() {
    let mut m = public_host();
    // Replies go to the client's ephemeral port, not to 22.
    m.acls[0].outbound = vec![acl_rule(
        100,
        Action::Allow,
        Protocol::Tcp,
        ports(22, 22),
        "0.0.0.0/0",
    )];
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(exposures(&m).is_empty());
    // Some ephemeral port is enough.
    m.acls[0].outbound = vec![acl_rule(
        100,
        Action::Allow,
        Protocol::Tcp,
        ports(1024, 2000),
        "0.0.0.0/0",
    )];
    assert!(reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    m.acls[0].outbound = vec![acl_rule(
        100,
        Action::Allow,
        Protocol::Tcp,
        ports(0, 1023),
        "0.0.0.0/0",
    )];
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    // Per protocol.
    m.security_groups[0].inbound.push(rule(
        Protocol::Udp,
        ports(53, 53),
        vec![cidr_peer("0.0.0.0/0")],
    ));
    m.acls[0].outbound = vec![
        acl_rule(
            100,
            Action::Deny,
            Protocol::Tcp,
            PortRange::ALL,
            "0.0.0.0/0",
        ),
        acl_rule(
            200,
            Action::Allow,
            Protocol::All,
            PortRange::ALL,
            "0.0.0.0/0",
        ),
    ];
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(reach(&m, "8.8.8.8", HOST, Protocol::Udp, 53));
    let e = exposures(&m);
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].protocol, e[0].ports), (Protocol::Udp, ports(53, 53)));
    // Per client.
    m.acls[0].outbound = vec![
        acl_rule(
            100,
            Action::Deny,
            Protocol::All,
            PortRange::ALL,
            "8.0.0.0/8",
        ),
        acl_rule(
            200,
            Action::Allow,
            Protocol::All,
            PortRange::ALL,
            "0.0.0.0/0",
        ),
    ];
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(reach(&m, "9.9.9.9", HOST, Protocol::Tcp, 22));
    assert!(
        exposures(&m)
            .iter()
            .all(|e| e.sources == internet_minus(&["8.0.0.0/8"]))
    );
}

#[test]
fn security_group_by_cidr_and_prefix_list() {
    let mut m = public_host();
    m.security_groups[0].inbound = vec![rule(
        Protocol::Tcp,
        ports(22, 22),
        vec![
            cidr_peer("203.0.113.0/24"),
            cidr_peer("198.51.100.0/25"),
            cidr_peer("10.0.0.0/8"),
        ],
    )];
    assert!(reach(&m, "203.0.113.1", HOST, Protocol::Tcp, 22));
    assert!(!reach(&m, "198.51.100.200", HOST, Protocol::Tcp, 22));
    let e = exposures(&m);
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].sources,
        vec![net("198.51.100.0/25"), net("203.0.113.0/24")]
    );

    m.prefix_lists.push(PrefixList {
        id: "pl-1".to_owned(),
        cidrs: vec![net("192.0.2.0/24"), net("192.168.0.0/16")],
    });
    m.security_groups[0].inbound = vec![rule(
        Protocol::Tcp,
        ports(22, 22),
        vec![Peer::PrefixList("pl-1".to_owned())],
    )];
    assert!(reach(&m, "192.0.2.200", HOST, Protocol::Tcp, 22));
    assert!(!reach(&m, "203.0.113.1", HOST, Protocol::Tcp, 22));
    let e = exposures(&m);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].sources, vec![net("192.0.2.0/24")]);
    assert!(path(&e[0]).contains(&("sg-1", component::SECURITY_GROUP)));
}

#[test]
fn ranges_merge_and_split_by_sources() {
    let mut m = public_host();
    m.security_groups[0].inbound = vec![
        rule(
            Protocol::Tcp,
            ports(8000, 8100),
            vec![cidr_peer("0.0.0.0/0")],
        ),
        rule(
            Protocol::Tcp,
            ports(8101, 8200),
            vec![cidr_peer("0.0.0.0/0")],
        ),
        rule(
            Protocol::Tcp,
            ports(8201, 8300),
            vec![cidr_peer("203.0.113.0/24")],
        ),
    ];
    let e = exposures(&m);
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[0].ports, e[0].sources.clone()),
        (ports(8000, 8200), internet())
    );
    assert_eq!(
        (e[1].ports, e[1].sources.clone()),
        (ports(8201, 8300), vec![net("203.0.113.0/24")])
    );
    assert!(e.iter().all(|e| e.severity == "LOW"));

    m.security_groups[0].inbound = vec![rule(
        Protocol::All,
        PortRange::ALL,
        vec![cidr_peer("0.0.0.0/0")],
    )];
    let e = exposures(&m);
    assert_eq!(e.len(), 2);
    assert!(
        e.iter()
            .all(|e| e.ports == PortRange::ALL && e.severity == "CRITICAL")
    );
}

#[test]
fn every_admitting_group_is_named_once() {
    let mut m = public_host();
    m.security_groups.push(group(
        "sg-2",
        vec![
            rule(
                Protocol::Tcp,
                ports(22, 22),
                vec![cidr_peer("203.0.113.0/24")],
            ),
            rule(
                Protocol::Tcp,
                ports(20, 22),
                vec![cidr_peer("203.0.113.0/24")],
            ),
        ],
        vec![],
    ));
    m.hosts[0].interfaces[0]
        .security_groups
        .push("sg-2".to_owned());
    let e = exposures(&m);
    let ssh = e
        .iter()
        .find(|e| e.ports.contains(22))
        .expect("port 22 exposed");
    assert_eq!(ssh.ports, ports(22, 22));
    let groups: Vec<_> = path(ssh)
        .into_iter()
        .filter(|(_, t)| *t == component::SECURITY_GROUP)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(groups, ["sg-1", "sg-2"]);
    let other = e
        .iter()
        .find(|e| e.ports == ports(20, 21))
        .expect("20-21 exposed");
    assert_eq!(other.sources, vec![net("203.0.113.0/24")]);
    assert!(path(other).contains(&("sg-2", component::SECURITY_GROUP)));
    assert!(!path(other).contains(&("sg-1", component::SECURITY_GROUP)));
}

#[test]
fn public_address_missing() {
    let mut m = public_host();
    m.hosts[0].interfaces[0].public_ip = None;
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(!reach(&m, "8.8.8.8", "10.0.1.10", Protocol::Tcp, 22));
    assert!(exposures(&m).is_empty());
}

#[test]
fn host_without_groups_admits_nothing() {
    let mut m = public_host();
    m.hosts[0].interfaces[0].security_groups.clear();
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
}

#[test]
fn balancer_with_group_reference() {
    let m = behind_balancer();
    assert!(reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    assert!(
        !reach(&m, "8.8.8.8", LB, Protocol::Tcp, 8080),
        "no listener"
    );
    assert!(!reach(&m, "8.8.8.8", LB, Protocol::Udp, 443));
    let e: Vec<_> = exposures(&m)
        .into_iter()
        .filter(|e| e.host == "i-app")
        .collect();
    assert_eq!(e.len(), 1);
    let e = &e[0];
    assert_eq!(e.interface, "eni-app");
    assert_eq!(e.public_ip, ip(LB));
    assert_eq!((e.protocol, e.ports), (Protocol::Tcp, ports(8080, 8080)));
    assert_eq!(e.via_load_balancer, Some(("lb-1".to_owned(), 443)));
    assert_eq!(e.sources, internet());
    assert_eq!(e.severity, "MEDIUM", "the listener port's severity");
    assert_eq!(
        path(e),
        vec![
            ("igw-1", component::INTERNET_GATEWAY),
            ("acl-pub", component::NETWORK_ACL),
            ("rtb-pub", component::ROUTE_TABLE),
            ("sg-lb", component::SECURITY_GROUP),
            ("lb-1", component::LOAD_BALANCER),
            ("lb-1/tcp:443", component::LISTENER),
            ("tg-1", component::TARGET_GROUP),
            ("acl-app", component::NETWORK_ACL),
            ("sg-app", component::SECURITY_GROUP),
            ("eni-app", component::NETWORK_INTERFACE),
            ("i-app", component::INSTANCE),
        ]
    );

    // The target admits another group: the balancer is not a member.
    let mut m = behind_balancer();
    m.security_groups[1].inbound[0].peers = vec![Peer::SecurityGroup("sg-1".to_owned())];
    assert!(!reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    assert!(exposures(&m).iter().all(|e| e.host != "i-app"));

    // The balancer's group does not let it out to the target.
    let mut m = behind_balancer();
    m.security_groups[2].outbound.clear();
    assert!(!reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
}

#[test]
fn unhealthy_target_gets_nothing() {
    let mut m = behind_balancer();
    m.target_groups[0].targets[0].healthy = false;
    assert!(!reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    assert!(exposures(&m).iter().all(|e| e.host != "i-app"));
    // A second, healthy target on another port.
    m.target_groups[0].targets.push(Target {
        interface: "eni-app".to_owned(),
        port: 8080,
        healthy: true,
    });
    m.target_groups[0].targets[0].port = 9000;
    assert!(reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    let e: Vec<_> = exposures(&m)
        .into_iter()
        .filter(|e| e.host == "i-app")
        .collect();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].ports, ports(8080, 8080));
}

#[test]
fn balancer_without_groups_admits_all() {
    let mut m = behind_balancer();
    m.load_balancers[0].interfaces[0].security_groups.clear();
    // Not a member of sg-lb any more: the target must admit the balancer by address.
    assert!(!reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    m.security_groups[1].inbound[0].peers = vec![cidr_peer("10.0.1.0/24")];
    assert!(reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    let e: Vec<_> = exposures(&m)
        .into_iter()
        .filter(|e| e.host == "i-app")
        .collect();
    assert_eq!(e.len(), 1);
    let groups: Vec<_> = path(&e[0])
        .into_iter()
        .filter(|(_, t)| *t == component::SECURITY_GROUP)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(groups, ["sg-app"]);
}

#[test]
fn internal_balancer_is_not_reached() {
    let mut m = behind_balancer();
    m.load_balancers[0].scheme = Scheme::Internal;
    assert!(!reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    assert!(exposures(&m).iter().all(|e| e.host != "i-app"));
}

#[test]
fn balancer_hop_crosses_both_acls_with_one_ephemeral_port() {
    let mut m = behind_balancer();
    // The balancer's subnet admits replies from the app subnet only on 3000-65535 …
    m.acls[0].inbound = vec![
        acl_rule(
            50,
            Action::Allow,
            Protocol::Tcp,
            ports(3000, 65535),
            "10.0.2.0/24",
        ),
        acl_rule(
            60,
            Action::Deny,
            Protocol::All,
            PortRange::ALL,
            "10.0.2.0/24",
        ),
        acl_rule(
            100,
            Action::Allow,
            Protocol::All,
            PortRange::ALL,
            "0.0.0.0/0",
        ),
    ];
    // … and the app subnet lets replies out only on 1024-2000: no port satisfies both.
    m.acls[1].outbound = vec![acl_rule(
        100,
        Action::Allow,
        Protocol::Tcp,
        ports(1024, 2000),
        "0.0.0.0/0",
    )];
    assert!(!reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    m.acls[1].outbound = vec![acl_rule(
        100,
        Action::Allow,
        Protocol::Tcp,
        ports(1024, 5000),
        "0.0.0.0/0",
    )];
    assert!(reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    // The app subnet's inbound rules see the target port from the balancer's private address.
    m.acls[1].inbound = vec![acl_rule(
        100,
        Action::Deny,
        Protocol::Tcp,
        ports(8080, 8080),
        "10.0.1.100/32",
    )];
    assert!(!reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
}

#[test]
fn balancer_and_target_in_one_subnet_cross_no_acl() {
    let mut m = behind_balancer();
    m.hosts[1].interfaces[0].subnet = "subnet-pub".to_owned();
    m.hosts[1].interfaces[0].private_ip = ip("10.0.1.20");
    // The subnet's ACL denies everything internal; within the subnet it does not apply.
    m.acls[0].inbound.insert(
        0,
        acl_rule(
            10,
            Action::Deny,
            Protocol::All,
            PortRange::ALL,
            "10.0.0.0/8",
        ),
    );
    m.acls[0].outbound.insert(
        0,
        acl_rule(
            10,
            Action::Deny,
            Protocol::All,
            PortRange::ALL,
            "10.0.0.0/8",
        ),
    );
    assert!(reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    let e: Vec<_> = exposures(&m)
        .into_iter()
        .filter(|e| e.host == "i-app")
        .collect();
    assert_eq!(e.len(), 1);
    let acls: Vec<_> = path(&e[0])
        .into_iter()
        .filter(|(_, t)| *t == component::NETWORK_ACL)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(acls, ["acl-pub"]);
}

#[test]
fn listening_sockets() {
    let mut m = public_host();
    let sock = |protocol, port, address: &str, process: &str| Listening {
        host: "i-1".to_owned(),
        protocol,
        port,
        address: ip(address),
        process: Some(process.to_owned()),
    };
    m.listening = vec![
        sock(Protocol::Tcp, 22, "0.0.0.0", "sshd"),
        sock(Protocol::Tcp, 22, "10.0.1.10", "sshd-private"),
        sock(Protocol::Tcp, 22, "127.0.0.1", "loopback"),
        sock(Protocol::Udp, 22, "0.0.0.0", "udp"),
        sock(Protocol::Tcp, 80, "0.0.0.0", "other port"),
    ];
    let e = only_host(&m);
    let names: Vec<_> = e[0]
        .listening
        .iter()
        .filter_map(|l| l.process.as_deref())
        .collect();
    assert_eq!(names, ["sshd", "sshd-private"]);
}

#[test]
fn inconsistent_model_is_reported_and_the_rest_analysed() {
    let mut m = behind_balancer();
    // A subnet of a missing network, an overlapping subnet, and a host in each.
    let mut orphan = m.subnets[0].clone();
    orphan.id = "subnet-orphan".to_owned();
    orphan.network = "vpc-missing".to_owned();
    orphan.cidr = net("10.0.9.0/24");
    let mut overlap = m.subnets[0].clone();
    overlap.id = "subnet-overlap".to_owned();
    overlap.cidr = net("10.0.1.128/25");
    m.subnets.extend([orphan, overlap]);
    m.hosts[0].interfaces.push(interface(
        "eni-orphan",
        "subnet-orphan",
        "10.0.9.5",
        Some("198.51.100.11"),
        &["sg-1"],
    ));
    // A route to a missing gateway, a group peer and a target that dangle.
    m.route_tables[0]
        .routes
        .push(route("203.0.113.0/24", igw("igw-gone")));
    m.security_groups[0].inbound[0]
        .peers
        .push(Peer::SecurityGroup("sg-gone".to_owned()));
    m.target_groups[0].targets.push(Target {
        interface: "eni-gone".to_owned(),
        port: 80,
        healthy: true,
    });
    // A balancer interface whose only group is missing would otherwise admit everything.
    m.load_balancers[0].interfaces.push(interface(
        "eni-lb-b",
        "subnet-app",
        "10.0.2.100",
        Some("198.51.100.101"),
        &["sg-gone"],
    ));

    let problems = validate(&mut m);
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "route_tables[0].routes[2]",
            "security_groups[0].inbound[0].peers[1]",
            "subnets[2]",
            "subnets[3]",
            "hosts[0].interfaces[1]",
            "load_balancers[0].interfaces[1].security_groups[0]",
            "load_balancers[0].interfaces[1]",
            "target_groups[0].targets[1]",
        ],
        "{problems:#?}"
    );
    assert!(problems[0].message.contains("blackhole"));
    assert!(problems[3].message.contains("overlaps subnet `subnet-pub`"));
    assert!(problems.iter().all(|p| p.origin == "model"));
    assert!(validate(&mut m.clone()).is_empty(), "idempotent");
    // The rest is analysed as before; the route to the missing gateway is a blackhole.
    assert!(reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    assert!(!reach(&m, "203.0.113.1", HOST, Protocol::Tcp, 22));
    assert!(reach(&m, "8.8.8.8", LB, Protocol::Tcp, 443));
    assert!(!reach(&m, "8.8.8.8", "198.51.100.101", Protocol::Tcp, 443));
    assert_eq!(exposures(&m).len(), 2);
}

#[test]
fn unvalidated_dangling_references_are_reported_by_the_analysis() {
    let mut m = public_host();
    m.hosts[0].interfaces[0]
        .security_groups
        .push("sg-gone".to_owned());
    m.route_tables[0]
        .routes
        .push(route("203.0.113.0/24", igw("igw-gone")));
    let a = analyze(&m);
    assert_eq!(a.problems.len(), 2, "{:?}", a.problems);
    assert_eq!(a.exposures.len(), 1);
    assert_eq!(a.exposures[0].sources, internet_minus(&["203.0.113.0/24"]));
}

#[test]
fn route_to_a_gateway_of_another_network_is_a_blackhole() {
    let mut m = public_host();
    m.networks.push(vigil_network::model::Network {
        id: "vpc-2".to_owned(),
        cidrs: vec![net("10.1.0.0/16")],
    });
    m.gateways[0].network = Some("vpc-2".to_owned());
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
    let problems = validate(&mut m);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].message.contains("attached to network `vpc-2`"));
    assert_eq!(m.route_tables[0].routes[1].target, RouteTarget::Blackhole);
    assert!(validate(&mut m).is_empty(), "idempotent");
    // A detached gateway is a legitimate state: kept, and it leads nowhere.
    let mut m = public_host();
    m.gateways[0].network = None;
    assert!(validate(&mut m).is_empty());
    assert!(!reach(&m, "8.8.8.8", HOST, Protocol::Tcp, 22));
}

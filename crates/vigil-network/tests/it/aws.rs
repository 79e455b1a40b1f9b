//! The AWS importer on hand-written CLI output (`testdata/aws/`, see its README).

use std::path::Path;

use vigil_network::Problem;
use vigil_network::analysis::{analyze, component};
use vigil_network::aws;
use vigil_network::model::{Model, Protocol, RouteTarget, Scheme};

use crate::common::*;

fn case_files(case: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/aws")
        .join(case);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|e| {
            let path = e.expect("fixture entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            (name, std::fs::read(&path).expect("fixture file"))
        })
        .filter(|(name, _)| name.ends_with(".json"))
        .collect();
    files.sort();
    files
}

fn import(files: &[(String, Vec<u8>)]) -> (Model, Vec<Problem>) {
    let inputs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    aws::import(&inputs)
}

const ALB: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web-alb/5a1b2c3d4e5f6a7b";
const APP_TG: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app-tg/73e2d6bc24d8a067";

#[test]
fn web_and_app_problems_name_file_path_and_reason() {
    let (_, problems) = import(&case_files("web-and-app"));
    let expected: &[(&str, &str, &str)] = &[
        (
            "describe-buckets.json",
            "Buckets",
            "unknown top-level key `Buckets`",
        ),
        (
            "describe-buckets.json",
            "Owner",
            "unknown top-level key `Owner`",
        ),
        (
            "describe-instances.json",
            "Reservations[0].Instances[0].NetworkInterfaces[0].PrivateIpAddresses[1]",
            "secondary private address `10.20.1.11`",
        ),
        (
            "describe-instances.json",
            "Reservations[1].Instances[3]",
            "lists no `NetworkInterfaces`",
        ),
        (
            "describe-managed-prefix-lists.json",
            "PrefixLists[1]",
            "IPv6 entries are not analysed",
        ),
        (
            "describe-network-acls.json",
            "NetworkAcls[1].Entries[7]",
            "protocol `47`",
        ),
        (
            "describe-network-acls.json",
            "NetworkAcls[1].Entries[8]",
            "port range 500-400",
        ),
        (
            "describe-route-tables.json",
            "RouteTables[2].Associations[0]",
            "(ingress routing), which is not analysed",
        ),
        (
            "describe-security-groups.json",
            "SecurityGroups[3].IpPermissions[1]",
            "protocol `50`",
        ),
        (
            "describe-security-groups.json",
            "SecurityGroups[3].IpPermissions[2]",
            "port range 9000-8000",
        ),
        (
            "describe-security-groups.json",
            "SecurityGroups[3].IpPermissions[3].IpRanges[0]",
            "`10.0.0.300/8` is not an IPv4 CIDR",
        ),
        (
            "entries.pl-0office1234567890.json",
            "Entries[1]",
            "`not-a-cidr` is not an IPv4 CIDR",
        ),
        ("truncated.json", "", "not JSON"),
        (
            "describe-subnets.json",
            "Subnets[4]",
            "belongs to VPC `vpc-0ffffffffffffffff`, which is not in the input",
        ),
        (
            "describe-load-balancers.json",
            "LoadBalancers[2]",
            "gateway load balancer",
        ),
        (
            "describe-listeners.retired.json",
            "Listeners[0]",
            "which is not in the input",
        ),
        (
            "describe-network-interfaces.json",
            "NetworkInterfaces[5]",
            "belongs to a load balancer that is not in the input",
        ),
        (
            "target-health-thumbnails.json",
            "TargetHealthDescriptions[0]",
            "of type `lambda` is not analysed",
        ),
        (
            "target-health.app-tg.json",
            "TargetHealthDescriptions[2]",
            "target instance `i-0decommissioned01` is not in the input",
        ),
        // From the shared consistency checks, located in the inputs.
        (
            "describe-route-tables.json",
            "RouteTables[1]",
            "`igw-0deaddeaddeaddead`, which is not defined; treated as a blackhole",
        ),
        (
            "describe-security-groups.json",
            "SecurityGroups[2]",
            "refers to security group `sg-0bastion00000000d`, which is not defined",
        ),
        (
            "describe-security-groups.json",
            "SecurityGroups[2]",
            "has no peer left",
        ),
        (
            "describe-subnets.json",
            "Subnets[3]",
            "overlaps subnet `subnet-0aa11bb22cc33dd01`",
        ),
        (
            "describe-network-interfaces.json",
            "NetworkInterfaces[6]",
            "subnet `subnet-0ee11ee22ee33ee01`, which is not defined",
        ),
    ];
    for (p, (origin, path, text)) in problems.iter().zip(expected) {
        assert_eq!(
            (p.origin.as_str(), p.path.as_str()),
            (*origin, *path),
            "{p}"
        );
        assert!(p.message.contains(text), "{p}\nshould say: {text}");
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
}

#[test]
fn web_and_app_model() {
    let (m, _) = import(&case_files("web-and-app"));
    assert_eq!(m.networks.len(), 1);
    assert_eq!(m.networks[0].cidrs, vec![net("10.20.0.0/16")]);
    let subnet = |id: &str| {
        m.subnets
            .iter()
            .find(|s| s.id == id)
            .map(|s| (s.route_table.as_str(), s.acl.as_str()))
    };
    // Explicit associations, the main table, the default ACL.
    assert_eq!(
        subnet("subnet-0aa11bb22cc33dd01"),
        Some(("rtb-0public000000000b", "acl-0public000000000b"))
    );
    assert_eq!(
        subnet("subnet-0aa11bb22cc33dd02"),
        Some(("rtb-0public000000000b", "acl-0default00000000a"))
    );
    assert_eq!(
        subnet("subnet-0aa11bb22cc33dd11"),
        Some(("rtb-0main00000000000a", "acl-0default00000000a"))
    );
    assert_eq!(m.subnets.len(), 3);
    let public = m
        .route_tables
        .iter()
        .find(|t| t.id == "rtb-0public000000000b")
        .expect("public table");
    let targets: Vec<(String, &RouteTarget)> = public
        .routes
        .iter()
        .map(|r| (r.destination.to_string(), &r.target))
        .collect();
    assert_eq!(
        targets,
        [
            ("10.20.0.0/16".to_owned(), &RouteTarget::Local),
            (
                "0.0.0.0/0".to_owned(),
                &RouteTarget::InternetGateway("igw-0123456789abcdef0".to_owned())
            ),
            (
                "192.0.2.0/24".to_owned(),
                &RouteTarget::Peering("pcx-0123456789abcdef0".to_owned())
            ),
            ("198.51.100.0/24".to_owned(), &RouteTarget::Blackhole),
            (
                "52.218.0.0/17".to_owned(),
                &RouteTarget::Other("vpce-0123456789abcdef0".to_owned())
            ),
            (
                "3.5.64.0/21".to_owned(),
                &RouteTarget::Other("vpce-0123456789abcdef0".to_owned())
            ),
            ("100.100.0.0/16".to_owned(), &RouteTarget::Blackhole),
        ]
    );
    let hosts: Vec<(&str, Vec<&str>)> = m
        .hosts
        .iter()
        .map(|h| {
            (
                h.id.as_str(),
                h.interfaces.iter().map(|x| x.id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        hosts,
        [
            ("i-0web0000000000001", vec!["eni-0web0000000000001"]),
            ("i-0app0000000000001", vec!["eni-0app0000000000001"]),
            ("i-0app0000000000002", vec!["eni-0app0000000000002"]),
            ("eni-0rds000000000001", vec!["eni-0rds000000000001"]),
            ("i-0lost000000000001", vec![]),
        ]
    );
    assert_eq!(
        m.hosts[0].tags.get("Name").map(String::as_str),
        Some("web-1")
    );
    let alb = m
        .load_balancers
        .iter()
        .find(|b| b.id == ALB)
        .expect("the ALB");
    assert_eq!(alb.scheme, Scheme::InternetFacing);
    let interfaces: Vec<(&str, Option<String>)> = alb
        .interfaces
        .iter()
        .map(|x| (x.id.as_str(), x.public_ip.map(|a| a.to_string())))
        .collect();
    assert_eq!(
        interfaces,
        [
            ("eni-0alb000000000000a", Some("34.240.1.1".to_owned())),
            ("eni-0alb000000000000b", Some("34.240.1.2".to_owned()))
        ]
    );
    assert!(
        alb.interfaces
            .iter()
            .all(|x| x.security_groups == ["sg-0alb000000000000b"])
    );
    // The redirect listener forwards nowhere.
    assert_eq!(alb.listeners.len(), 1);
    assert_eq!(
        (alb.listeners[0].protocol, alb.listeners[0].port),
        (Protocol::Tcp, 443)
    );
    let nlb = m
        .load_balancers
        .iter()
        .find(|b| b.id.contains("internal-nlb"))
        .expect("the internal NLB");
    assert_eq!(
        nlb.interfaces[0].id,
        "internal-nlb/subnet-0aa11bb22cc33dd11"
    );
    assert_eq!(nlb.interfaces[0].public_ip, None);
    let tg = m
        .target_groups
        .iter()
        .find(|t| t.id == APP_TG)
        .expect("app-tg");
    let targets: Vec<(&str, u16, bool)> = tg
        .targets
        .iter()
        .map(|t| (t.interface.as_str(), t.port, t.healthy))
        .collect();
    assert_eq!(
        targets,
        [
            ("eni-0app0000000000001", 8080, true),
            ("eni-0app0000000000002", 8080, false)
        ]
    );
    let office = m
        .prefix_lists
        .iter()
        .find(|p| p.id == "pl-0office1234567890")
        .expect("office list");
    assert_eq!(office.cidrs, vec![net("203.0.113.0/25")]);
}

#[test]
fn web_and_app_exposures() {
    let (m, _) = import(&case_files("web-and-app"));
    let a = analyze(&m);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let summary: Vec<(&str, String, u16, Option<u16>, &str)> = a
        .exposures
        .iter()
        .map(|e| {
            (
                e.host.as_str(),
                e.public_ip.to_string(),
                e.ports.from,
                e.via_load_balancer.as_ref().map(|v| v.1),
                e.severity,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "eni-0rds000000000001",
                "34.240.9.9".to_owned(),
                3306,
                None,
                "HIGH"
            ),
            (
                "i-0app0000000000001",
                "34.240.1.1".to_owned(),
                8080,
                Some(443),
                "MEDIUM"
            ),
            (
                "i-0app0000000000001",
                "34.240.1.2".to_owned(),
                8080,
                Some(443),
                "MEDIUM"
            ),
            (
                "i-0web0000000000001",
                "52.30.10.10".to_owned(),
                22,
                None,
                "HIGH"
            ),
            (
                "i-0web0000000000001",
                "52.30.10.10".to_owned(),
                443,
                None,
                "MEDIUM"
            ),
        ]
    );
    assert!(
        a.exposures
            .iter()
            .all(|e| e.protocol == Protocol::Tcp && e.ports.from == e.ports.to)
    );
    // Replies to the peered, blackholed and endpoint-routed ranges do not reach the internet.
    let routed_away = internet_minus(&[
        "192.0.2.0/24",
        "198.51.100.0/24",
        "52.218.0.0/17",
        "3.5.64.0/21",
    ]);
    for i in [0, 1, 2, 4] {
        assert_eq!(a.exposures[i].sources, routed_away, "{:?}", a.exposures[i]);
    }
    // SSH: the office range, minus the half the ACL denies.
    assert_eq!(a.exposures[3].sources, vec![net("203.0.113.0/25")]);
    // An interface of no instance: the path ends at the interface.
    assert_eq!(
        a.exposures[0].path.last().map(|s| s.component_type),
        Some(component::NETWORK_INTERFACE)
    );
    let through: Vec<&str> = a.exposures[1]
        .path
        .iter()
        .map(|s| s.component_id.as_str())
        .collect();
    assert_eq!(
        through,
        [
            "igw-0123456789abcdef0",
            "acl-0public000000000b",
            "rtb-0public000000000b",
            "sg-0alb000000000000b",
            ALB,
            &format!("{ALB}/tcp:443"),
            APP_TG,
            "acl-0default00000000a",
            "sg-0app000000000000c",
            "eni-0app0000000000001",
            "i-0app0000000000001",
        ]
    );
}

#[test]
fn file_order_does_not_matter() {
    let files = case_files("web-and-app");
    let (forward, _) = import(&files);
    let mut reversed = files.clone();
    reversed.reverse();
    let (backward, problems) = import(&reversed);
    assert_eq!(analyze(&forward).exposures, analyze(&backward).exposures);
    assert_eq!(problems.len(), import(&files).1.len());
}

#[test]
fn minimal_network_balancer_without_vpcs_or_interfaces_listing() {
    let (m, problems) = import(&case_files("nlb-minimal"));
    assert!(problems.is_empty(), "{problems:#?}");
    // The network's CIDR comes from the local route; the subnet uses the main table and the
    // default ACL.
    assert_eq!(m.networks[0].cidrs, vec![net("172.31.0.0/16")]);
    assert_eq!(m.subnets[0].route_table, "rtb-0d00000000000001");
    assert_eq!(m.subnets[0].acl, "acl-0d00000000000001");
    // The balancer's interface comes from its addresses; without groups it admits everything.
    let lb = &m.load_balancers[0];
    assert_eq!(lb.interfaces[0].id, "api-nlb/subnet-0d1d2d3d4d5d6d7d8");
    assert!(lb.interfaces[0].security_groups.is_empty());
    assert_eq!(lb.listeners[1].protocol, Protocol::All, "TCP_UDP");
    // The ip target (file-name convention) maps to the instance's interface.
    assert_eq!(
        m.target_groups[1].targets[0].interface,
        "eni-0d00000000000001"
    );
    let a = analyze(&m);
    let summary: Vec<(u16, Option<u16>, &str, usize)> = a
        .exposures
        .iter()
        .map(|e| {
            (
                e.ports.from,
                e.via_load_balancer.as_ref().map(|v| v.1),
                e.severity,
                e.path.len(),
            )
        })
        .collect();
    // SSH directly; 443 -> 8443 through the balancer (no balancer group in the path); DNS is
    // not admitted by the instance's group.
    assert_eq!(
        summary,
        [(22, None, "HIGH", 6), (8443, Some(443), "MEDIUM", 9)]
    );
    assert!(a.exposures.iter().all(|e| e.sources == internet()));
}

#[test]
fn unidentified_inputs_are_problems() {
    let health = br#"{"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 80}, "TargetHealth": {"State": "healthy"}}]}"#;
    let entries = br#"{"Entries": [{"Cidr": "192.0.2.0/24"}]}"#;
    let (m, problems) = aws::import(&[
        ("health.json", health.as_slice()),
        ("entries.json", entries.as_slice()),
        ("list.json", b"[]".as_slice()),
        (
            "sgs.json",
            br#"{"SecurityGroups": {"GroupId": "sg-1"}}"#.as_slice(),
        ),
    ]);
    assert_eq!(m, Model::default());
    let got: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.origin.as_str(), p.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("list.json", ""),
            ("sgs.json", "SecurityGroups"),
            ("entries.json", "Entries"),
            ("health.json", "TargetHealthDescriptions"),
        ],
        "{problems:#?}"
    );
    assert!(problems[2].message.contains("`\"PrefixListId\"`"));
    assert!(problems[3].message.contains("`\"TargetGroupArn\"`"));
}

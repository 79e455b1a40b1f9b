//! The YAML model: the documented example, and forgiving reading of bad input.

use vigil_network::analysis::{analyze, component};
use vigil_network::model::{Model, PortRange, Protocol};
use vigil_network::{Error, yaml};

use crate::common::*;

const EXAMPLE: &str = include_str!("../../testdata/example.yaml");

#[test]
fn example_reads_cleanly_and_its_exposures_are_the_documented_ones() {
    let (model, problems) = yaml::parse(EXAMPLE, "example.yaml").expect("the example is YAML");
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(model.subnets.len(), 2);
    assert_eq!(model.route_tables[0].routes.len(), 2);
    let a = analyze(&model);
    assert!(a.problems.is_empty());
    let summary: Vec<_> = a
        .exposures
        .iter()
        .map(|e| {
            (
                e.host.as_str(),
                e.public_ip.to_string(),
                e.ports,
                e.via_load_balancer.clone(),
                e.severity,
            )
        })
        .collect();
    let p = |port| PortRange::single(port);
    assert_eq!(
        summary,
        [
            (
                "i-app",
                "198.51.100.100".to_owned(),
                p(8080),
                Some(("lb-front".to_owned(), 443)),
                "MEDIUM"
            ),
            ("i-web", "198.51.100.10".to_owned(), p(22), None, "HIGH"),
            ("i-web", "198.51.100.10".to_owned(), p(80), None, "MEDIUM"),
            ("i-web", "198.51.100.10".to_owned(), p(443), None, "MEDIUM"),
        ]
    );
    assert!(a.exposures.iter().all(|e| e.protocol == Protocol::Tcp));
    let not_denied = internet_minus(&["192.0.2.128/25"]);
    assert_eq!(a.exposures[0].sources, not_denied);
    // SSH: the office prefix list, minus what the ACL denies.
    assert_eq!(
        a.exposures[1].sources,
        vec![net("192.0.2.0/25"), net("203.0.113.0/25")]
    );
    assert_eq!(a.exposures[2].sources, not_denied);
    let process = |i: usize| -> Vec<&str> {
        a.exposures[i]
            .listening
            .iter()
            .filter_map(|l| l.process.as_deref())
            .collect()
    };
    assert_eq!(process(0), ["java"]);
    assert_eq!(process(1), ["sshd"]);
    assert_eq!(process(2), ["nginx"]);
    assert!(process(3).is_empty(), "nothing listens on 443");
    let types: Vec<_> = a.exposures[0]
        .path
        .iter()
        .map(|s| s.component_type)
        .collect();
    assert_eq!(
        types,
        [
            component::INTERNET_GATEWAY,
            component::NETWORK_ACL,
            component::ROUTE_TABLE,
            component::SECURITY_GROUP,
            component::LOAD_BALANCER,
            component::LISTENER,
            component::TARGET_GROUP,
            component::NETWORK_ACL,
            component::SECURITY_GROUP,
            component::NETWORK_INTERFACE,
            component::INSTANCE,
        ]
    );
}

#[test]
fn model_round_trips_through_yaml() {
    let (model, _) = yaml::parse(EXAMPLE, "example.yaml").expect("the example is YAML");
    let text = serde_yaml_ng::to_string(&model).expect("serializes");
    let (again, problems) = yaml::parse(&text, "again.yaml").expect("reads back");
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(again, model);
}

#[test]
fn bad_entries_are_reported_with_their_paths_and_the_rest_is_read() {
    let text = r#"
networks:
  - id: vpc-1
    cidrs: [10.0.0.0/16]
    colour: blue
subnets:
  - id: subnet-bad-cidr
    network: vpc-1
    cidr: 10.0.300.0/24
    route_table: rtb-1
    acl: acl-1
  - id: subnet-1
    network: vpc-1
    cidr: 10.0.1.0/24
    route_table: rtb-1
    acl: acl-1
  - id: subnet-2
    network: vpc-gone
    cidr: 10.0.2.0/24
    route_table: rtb-1
    acl: acl-1
  - id: subnet-3
    network: vpc-1
    cidr: 10.0.1.0/25
    route_table: rtb-1
    acl: acl-1
route_tables:
  - id: rtb-1
    network: vpc-1
    routes:
      - { destination: 0.0.0.0/0, target: { kind: internet_gateway, id: igw-gone } }
acls:
  - id: acl-1
    network: vpc-1
    inbound:
      - { number: 100, action: allow, protocol: tcp, ports: { from: 90, to: 80 }, cidr: 0.0.0.0/0 }
      - { number: 110, action: maybe, protocol: tcp, ports: { from: 0, to: 80 }, cidr: 0.0.0.0/0 }
    outbound: []
firewalls: []
"#;
    let (model, problems) = yaml::parse(text, "bad.yaml").expect("YAML");
    let found: Vec<(&str, bool)> = problems
        .iter()
        .map(|p| (p.path.as_str(), p.origin == "bad.yaml"))
        .collect();
    let paths: Vec<&str> = found.iter().map(|(p, _)| *p).collect();
    assert!(found.iter().all(|(_, o)| *o));
    assert_eq!(
        paths,
        [
            "networks[0].colour",
            "subnets[0]",
            "acls[0].inbound[1]",
            "firewalls",
            "route_tables[0].routes[0]",
            "acls[0].inbound[0]",
            "subnets[2]",
            "subnets[3]",
        ],
        "{problems:#?}"
    );
    assert!(
        problems[1]
            .message
            .contains("not a valid entry of `subnets`"),
        "{}",
        problems[1].message
    );
    assert!(
        problems[2].message.contains("maybe") || problems[2].message.contains("variant"),
        "{}",
        problems[2].message
    );
    // The ACL entry failed as a whole (its second rule is malformed), so subnet-1 loses its ACL
    // and is dropped too; what remains is consistent.
    let _ = model;
}

#[test]
fn dangling_ids_drop_entries_with_paths_as_written() {
    let text = r#"
networks:
  - { id: vpc-1, cidrs: [10.0.0.0/16] }
route_tables:
  - id: rtb-1
    network: vpc-1
    routes:
      - { destination: 0.0.0.0/0, target: { kind: internet_gateway, id: igw-1 } }
gateways:
  - { id: igw-1, kind: internet, network: vpc-1 }
acls:
  - { id: acl-1, network: vpc-1, inbound: [], outbound: [] }
subnets:
  - { id: subnet-0, network: vpc-1, cidr: 10.0.0.0/24, route_table: rtb-nope, acl: acl-1 }
  - { id: subnet-1, network: vpc-1, cidr: 10.0.1.0/24, route_table: rtb-1, acl: acl-1 }
security_groups:
  - id: sg-1
    network: vpc-1
    inbound:
      - { protocol: tcp, ports: { from: 22, to: 22 }, peers: [{ kind: security_group, value: sg-nope }] }
hosts:
  - id: i-1
    interfaces:
      - { id: eni-1, subnet: subnet-1, private_ip: 10.0.1.5, public_ip: 198.51.100.5, security_groups: [sg-1, sg-nope] }
      - { id: eni-2, subnet: subnet-0, private_ip: 10.0.0.5 }
listening:
  - { host: i-9, protocol: tcp, port: 22, address: 0.0.0.0 }
"#;
    let (model, problems) = yaml::parse(text, "dangling.yaml").expect("YAML");
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "security_groups[0].inbound[0].peers[0]",
            "security_groups[0].inbound[0]",
            "subnets[0]",
            "hosts[0].interfaces[0].security_groups[1]",
            "hosts[0].interfaces[1]",
            "listening[0]",
        ],
        "{problems:#?}"
    );
    assert_eq!(model.subnets.len(), 1);
    assert_eq!(model.hosts[0].interfaces.len(), 1);
    assert_eq!(model.hosts[0].interfaces[0].security_groups, ["sg-1"]);
    assert!(model.security_groups[0].inbound.is_empty());
}

#[test]
fn errors_only_for_what_is_not_a_model() {
    assert!(
        matches!(yaml::parse("a: [b", "broken.yaml"), Err(Error::Yaml { origin, .. }) if origin == "broken.yaml")
    );
    assert!(matches!(
        yaml::parse("- 1\n- 2\n", "list.yaml"),
        Err(Error::NotAMapping { .. })
    ));
    let (m, p) = yaml::parse("", "empty.yaml").expect("empty is an empty model");
    assert_eq!(m, Model::default());
    assert!(p.is_empty());
    let err = yaml::parse("a: [b", "broken.yaml")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.starts_with("`broken.yaml` is not valid YAML"), "{err}");
}

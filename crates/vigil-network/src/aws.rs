//! Reads what the AWS CLI prints (`--output json`) into the [`Model`].
//!
//! [`import`] takes any number of files in any order; each file is a JSON object whose
//! top-level keys say what it is (several keys in one object are fine, and several files of one
//! kind, such as pages, add up):
//!
//! | key | command |
//! |---|---|
//! | `Reservations` | `aws ec2 describe-instances` |
//! | `NetworkInterfaces` | `aws ec2 describe-network-interfaces` |
//! | `SecurityGroups` | `aws ec2 describe-security-groups` |
//! | `Subnets` | `aws ec2 describe-subnets` |
//! | `RouteTables` | `aws ec2 describe-route-tables` |
//! | `NetworkAcls` | `aws ec2 describe-network-acls` |
//! | `InternetGateways` | `aws ec2 describe-internet-gateways` |
//! | `NatGateways` | `aws ec2 describe-nat-gateways` |
//! | `VpcPeeringConnections` | `aws ec2 describe-vpc-peering-connections` |
//! | `Vpcs` | `aws ec2 describe-vpcs` (optional) |
//! | `PrefixLists` | `aws ec2 describe-prefix-lists` (with `Cidrs`) or `describe-managed-prefix-lists` |
//! | `Entries` | `aws ec2 get-managed-prefix-list-entries` (see below) |
//! | `LoadBalancers` | `aws elbv2 describe-load-balancers` |
//! | `Listeners` | `aws elbv2 describe-listeners` |
//! | `TargetGroups` | `aws elbv2 describe-target-groups` |
//! | `TargetHealthDescriptions` | `aws elbv2 describe-target-health` (see below) |
//!
//! `NextToken` and `NextMarker` are ignored; any other key is a [`Problem`].
//!
//! `describe-target-health` and `get-managed-prefix-list-entries` do not print which target
//! group or prefix list they describe. Say it either by adding the key to the object
//! (`{"TargetGroupArn": "arn:…", "TargetHealthDescriptions": […]}`,
//! `{"PrefixListId": "pl-…", "Entries": […]}`, e.g. with `jq`), or by the file name: its last
//! component without `.json` is the target group's name or the prefix list's id, alone or after
//! a dot (`target-health.web-tg.json`, `entries.pl-0123abcd.json`; neither a target group name
//! nor a prefix list id contains a dot).
//!
//! How the model is built:
//! - **Networks**: from `Vpcs` when given (associated CIDR blocks). Otherwise every VPC id
//!   mentioned becomes a network whose CIDRs are the destinations of the `local` routes of its
//!   route tables (else its subnets' CIDRs).
//! - **Subnets** take their explicitly associated route table and ACL, else the VPC's main
//!   table (`Associations[].Main`) and default ACL (`IsDefault`). Gateway (edge) route-table
//!   associations are not analysed (a problem says so).
//! - **Routes**: `GatewayId` `local` is local, `igw-…` an internet gateway, other gateway ids
//!   (`vgw-`, `vpce-`) are "other"; `NatGatewayId`, `VpcPeeringConnectionId`,
//!   `NetworkInterfaceId` as named; transit, local, carrier and core-network gateways are
//!   "other"; `State` `blackhole` is a blackhole. Routes to a prefix list are expanded to its
//!   CIDRs when the list is in the input.
//! - **Internet gateways** are attached to the VPC of an attachment in state `available` or
//!   `attached`.
//! - **Hosts**: each instance (not `terminated` or `shutting-down`) with its interfaces;
//!   `describe-network-interfaces` entries complete or override them (groups, public address).
//!   Interfaces of type `interface` (also `efa`, `efa-only`, `trunk`, `branch`, or no type)
//!   attached to no instance (RDS, ECS tasks, …) become a host named by the interface id.
//!   Only an interface's primary private address and its public address are analysed.
//! - **Load balancers** (application and network; gateway balancers are not analysed): their
//!   interfaces are the `describe-network-interfaces` entries whose `Description` is
//!   `ELB <the part of the balancer ARN after loadbalancer/>` (for example
//!   `ELB app/web/50dc6c495c0c9188`), which is how AWS labels them. Without such entries, a
//!   network balancer's `LoadBalancerAddresses` with both `IpAddress` and `PrivateIPv4Address`
//!   give an interface `<name>/<subnet id>`; otherwise the balancer is reported and not
//!   analysed. Its security groups are `SecurityGroups` of the balancer when present, else the
//!   interface's. Ids are ARNs.
//! - **Listeners** forward to the target groups of their `forward` default actions (including
//!   `ForwardConfig` groups with a non-zero weight); other actions forward nowhere (listener
//!   rules are not read). `HTTP`, `HTTPS`, `TLS`, `TCP` are TCP, `UDP` and `QUIC` UDP, `TCP_UDP`
//!   both.
//! - **Targets**: `instance` targets map to the instance's primary interface (lowest device
//!   index), `ip` targets to the host interface with that private address in the group's VPC;
//!   `lambda` and `alb` targets are not analysed. The port is the target's, else the group's. A
//!   target is healthy in state `healthy` or `unavailable` (health checks disabled: the balancer
//!   sends traffic); `initial`, `unhealthy`, `unused`, `draining` get nothing.
//! - **Rules**: protocols `-1`/`all`, `6`/`tcp`, `17`/`udp`, `1`/`icmp`; ICMPv6 and IPv6
//!   ranges are ignored (noted once); other protocol numbers are ignored with a problem (they
//!   never match TCP or UDP anyway). TCP and UDP rules need a valid port range.
//!
//! Then [`crate::validate()`]'s checks run; their problems point at the file and entry the
//! offending resource came from.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::Value;

use crate::Model;
use crate::model::{
    Acl, AclRule, Action, Gateway, GatewayKind, Host, Interface, Listener, LoadBalancer, Network,
    Peer, PortRange, PrefixList, Protocol, Route, RouteTable, RouteTarget, Scheme, SecurityGroup,
    SgRule, Subnet, Target, TargetGroup,
};
use crate::validate::{Problem, check};

/// Reads the files (`(name for messages, contents)`); the model of everything usable, and what
/// was ignored and why.
pub fn import(files: &[(&str, &[u8])]) -> (Model, Vec<Problem>) {
    let mut im = Importer::default();
    for (name, bytes) in files {
        im.file(name, bytes);
    }
    im.finish()
}

// ---------------------------------------------------------------------------------------------
// JSON access.

fn get<'v>(v: &'v Value, k: &str) -> Option<&'v Value> {
    v.get(k).filter(|x| !x.is_null())
}

fn text<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    get(v, k).and_then(Value::as_str)
}

fn list<'v>(v: &'v Value, k: &str) -> &'v [Value] {
    get(v, k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn int(v: &Value, k: &str) -> Option<i64> {
    get(v, k).and_then(|x| {
        x.as_i64()
            .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
    })
}

fn port(v: &Value, k: &str) -> Option<u16> {
    int(v, k).and_then(|p| u16::try_from(p).ok())
}

/// The last path component without `.json`.
fn stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".json").unwrap_or(base)
}

/// Whether a file stem names `id` (alone, or after a dot).
fn stem_names(stem: &str, id: &str) -> bool {
    stem == id
        || stem
            .strip_suffix(id)
            .is_some_and(|rest| rest.ends_with('.'))
}

// ---------------------------------------------------------------------------------------------
// Raw records.

#[derive(Debug)]
struct At {
    file: String,
    path: String,
}

#[derive(Debug)]
struct RawSubnet {
    id: String,
    vpc: String,
    cidr: Ipv4Net,
    at: At,
}

#[derive(Debug)]
enum Destination {
    Cidr(Ipv4Net),
    PrefixList(String),
}

#[derive(Debug)]
struct RawRoute {
    destination: Destination,
    target: RouteTarget,
    at: At,
}

#[derive(Debug)]
struct RawTable {
    id: String,
    vpc: String,
    routes: Vec<RawRoute>,
    main: bool,
    subnets: Vec<String>,
}

#[derive(Debug)]
struct RawAcl {
    acl: Acl,
    default: bool,
    subnets: Vec<String>,
}

#[derive(Debug, Clone)]
struct RawEni {
    id: String,
    subnet: Option<String>,
    vpc: Option<String>,
    private_ip: Option<Ipv4Addr>,
    public_ip: Option<Ipv4Addr>,
    groups: Vec<String>,
    instance: Option<String>,
    device_index: i64,
    kind: Option<String>,
    description: Option<String>,
    file: String,
    path: String,
}

#[derive(Debug)]
struct RawInstance {
    id: String,
    tags: std::collections::BTreeMap<String, String>,
}

#[derive(Debug)]
struct RawLb {
    arn: String,
    name: String,
    kind: String,
    scheme: Scheme,
    /// `(subnet, public, private)` from `LoadBalancerAddresses`.
    addresses: Vec<(String, Option<Ipv4Addr>, Option<Ipv4Addr>)>,
    groups: Option<Vec<String>>,
    at: At,
}

#[derive(Debug)]
struct RawListener {
    lb: String,
    protocol: Protocol,
    port: u16,
    target_groups: Vec<String>,
    at: At,
}

#[derive(Debug)]
struct RawTargetGroup {
    arn: String,
    name: String,
    protocol: Protocol,
    port: Option<u16>,
    vpc: Option<String>,
    kind: Option<String>,
}

#[derive(Debug)]
struct RawTarget {
    id: String,
    port: Option<u16>,
    state: String,
    path: String,
}

#[derive(Debug)]
struct RawHealth {
    group: Option<String>,
    file: String,
    targets: Vec<RawTarget>,
}

#[derive(Debug, Default)]
struct Importer {
    problems: Vec<Problem>,
    /// Where each resource id was read: the first definition.
    locations: HashMap<String, (String, String)>,
    ipv6_noted: bool,
    kinds: HashSet<&'static str>,
    vpcs: Vec<Network>,
    subnets: Vec<RawSubnet>,
    tables: Vec<RawTable>,
    acls: Vec<RawAcl>,
    gateways: Vec<Gateway>,
    peerings: HashSet<String>,
    groups: Vec<SecurityGroup>,
    prefix_lists: Vec<PrefixList>,
    /// Managed prefix lists (no CIDRs in the listing): `(id, file, path)`.
    managed_lists: Vec<(String, String, String)>,
    /// `get-managed-prefix-list-entries`: `(id if said, file, cidrs)`.
    list_entries: Vec<(Option<String>, String, Vec<Ipv4Net>)>,
    instances: Vec<RawInstance>,
    instance_enis: Vec<RawEni>,
    enis: Vec<RawEni>,
    lbs: Vec<RawLb>,
    listeners: Vec<RawListener>,
    target_groups: Vec<RawTargetGroup>,
    health: Vec<RawHealth>,
}

impl Importer {
    fn problem(&mut self, file: &str, path: impl Into<String>, message: String) {
        self.problems.push(Problem {
            origin: file.to_owned(),
            path: path.into(),
            message,
        });
    }

    fn locate(&mut self, id: &str, file: &str, path: &str) {
        self.locations
            .entry(id.to_owned())
            .or_insert_with(|| (file.to_owned(), path.to_owned()));
    }

    fn ipv6(&mut self, file: &str, path: &str) {
        if !self.ipv6_noted {
            self.ipv6_noted = true;
            self.problem(file, path, "IPv6 entries are not analysed (IPv4 only); this and every other IPv6 entry is ignored".to_owned());
        }
    }

    /// A required string field; a problem when missing.
    fn required<'v>(
        &mut self,
        v: &'v Value,
        key: &str,
        file: &str,
        path: &str,
        what: &str,
    ) -> Option<&'v str> {
        let found = text(v, key);
        if found.is_none() {
            self.problem(file, path, format!("{what} without `{key}`; ignored"));
        }
        found
    }

    fn cidr(&mut self, s: &str, file: &str, path: &str, what: &str) -> Option<Ipv4Net> {
        match s.parse::<Ipv4Net>() {
            Ok(c) => Some(c),
            Err(_) => {
                self.problem(
                    file,
                    path,
                    format!("{what} `{s}` is not an IPv4 CIDR; ignored"),
                );
                None
            }
        }
    }

    fn address(&mut self, s: &str, file: &str, path: &str, what: &str) -> Option<Ipv4Addr> {
        match s.parse::<Ipv4Addr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.problem(
                    file,
                    path,
                    format!("{what} `{s}` is not an IPv4 address; ignored"),
                );
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Files.

    fn file(&mut self, name: &str, bytes: &[u8]) {
        let root: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => {
                self.problem(name, "", format!("not JSON ({e}); file ignored"));
                return;
            }
        };
        let Value::Object(map) = &root else {
            self.problem(
                name,
                "",
                "the top level is not a JSON object (the AWS CLI prints one); file ignored"
                    .to_owned(),
            );
            return;
        };
        for (key, value) in map {
            let items = || value.as_array().map(Vec::as_slice);
            let kind: &'static str = match key.as_str() {
                "Reservations" => "Reservations",
                "NetworkInterfaces" => "NetworkInterfaces",
                "SecurityGroups" => "SecurityGroups",
                "Subnets" => "Subnets",
                "RouteTables" => "RouteTables",
                "NetworkAcls" => "NetworkAcls",
                "InternetGateways" => "InternetGateways",
                "NatGateways" => "NatGateways",
                "VpcPeeringConnections" => "VpcPeeringConnections",
                "Vpcs" => "Vpcs",
                "PrefixLists" => "PrefixLists",
                "Entries" => "Entries",
                "LoadBalancers" => "LoadBalancers",
                "Listeners" => "Listeners",
                "TargetGroups" => "TargetGroups",
                "TargetHealthDescriptions" => "TargetHealthDescriptions",
                "NextToken" | "NextMarker" => continue,
                "TargetGroupArn" if map.contains_key("TargetHealthDescriptions") => continue,
                "PrefixListId" if map.contains_key("Entries") => continue,
                other => {
                    self.problem(name, other, format!("unknown top-level key `{other}` (not the output of a supported describe command); ignored"));
                    continue;
                }
            };
            let Some(items) = items() else {
                self.problem(name, kind, format!("`{kind}` is not a list; ignored"));
                continue;
            };
            self.kinds.insert(kind);
            for (i, item) in items.iter().enumerate() {
                let path = format!("{kind}[{i}]");
                match kind {
                    "Reservations" => self.reservation(name, &path, item),
                    "NetworkInterfaces" => {
                        if let Some(e) = self.eni(name, &path, item, None) {
                            self.enis.push(e);
                        }
                    }
                    "SecurityGroups" => self.security_group(name, &path, item),
                    "Subnets" => self.subnet(name, &path, item),
                    "RouteTables" => self.route_table(name, &path, item),
                    "NetworkAcls" => self.network_acl(name, &path, item),
                    "InternetGateways" => self.internet_gateway(name, &path, item),
                    "NatGateways" => self.nat_gateway(name, &path, item),
                    "VpcPeeringConnections" => {
                        if let Some(id) = self.required(
                            item,
                            "VpcPeeringConnectionId",
                            name,
                            &path,
                            "peering connection",
                        ) {
                            self.peerings.insert(id.to_owned());
                        }
                    }
                    "Vpcs" => self.vpc(name, &path, item),
                    "PrefixLists" => self.prefix_list(name, &path, item),
                    "Entries" => {}
                    "LoadBalancers" => self.load_balancer(name, &path, item),
                    "Listeners" => self.listener(name, &path, item),
                    "TargetGroups" => self.target_group(name, &path, item),
                    _ => {}
                }
            }
            match kind {
                "Entries" => {
                    let id = text(&root, "PrefixListId").map(str::to_owned);
                    let mut cidrs = Vec::new();
                    for (i, e) in items.iter().enumerate() {
                        let path = format!("Entries[{i}]");
                        match text(e, "Cidr") {
                            Some(c) if c.contains(':') => self.ipv6(name, &path),
                            Some(c) => cidrs.extend(self.cidr(c, name, &path, "prefix list entry")),
                            None => self.problem(
                                name,
                                path,
                                "prefix list entry without `Cidr`; ignored".to_owned(),
                            ),
                        }
                    }
                    self.list_entries.push((id, name.to_owned(), cidrs));
                }
                "TargetHealthDescriptions" => {
                    let group = text(&root, "TargetGroupArn").map(str::to_owned);
                    let mut targets = Vec::new();
                    for (i, d) in items.iter().enumerate() {
                        let path = format!("TargetHealthDescriptions[{i}]");
                        let Some(target) = get(d, "Target") else {
                            self.problem(
                                name,
                                path,
                                "target health without `Target`; ignored".to_owned(),
                            );
                            continue;
                        };
                        let Some(id) = self.required(target, "Id", name, &path, "target") else {
                            continue;
                        };
                        let state = get(d, "TargetHealth")
                            .and_then(|h| text(h, "State"))
                            .unwrap_or("unknown");
                        targets.push(RawTarget {
                            id: id.to_owned(),
                            port: port(target, "Port"),
                            state: state.to_owned(),
                            path,
                        });
                    }
                    self.health.push(RawHealth {
                        group,
                        file: name.to_owned(),
                        targets,
                    });
                }
                _ => {}
            }
        }
    }

    fn vpc(&mut self, file: &str, path: &str, v: &Value) {
        let Some(id) = self.required(v, "VpcId", file, path, "VPC") else {
            return;
        };
        let mut cidrs = Vec::new();
        let associations = list(v, "CidrBlockAssociationSet");
        for (j, a) in associations.iter().enumerate() {
            let state = get(a, "CidrBlockState").and_then(|s| text(s, "State"));
            if state.is_some_and(|s| s != "associated") {
                continue;
            }
            if let Some(c) = text(a, "CidrBlock") {
                cidrs.extend(self.cidr(
                    c,
                    file,
                    &format!("{path}.CidrBlockAssociationSet[{j}]"),
                    "VPC CIDR",
                ));
            }
        }
        if associations.is_empty()
            && let Some(c) = text(v, "CidrBlock")
        {
            cidrs.extend(self.cidr(c, file, path, "VPC CIDR"));
        }
        if !list(v, "Ipv6CidrBlockAssociationSet").is_empty() {
            self.ipv6(file, &format!("{path}.Ipv6CidrBlockAssociationSet"));
        }
        self.locate(id, file, path);
        self.vpcs.push(Network {
            id: id.to_owned(),
            cidrs,
        });
    }

    fn subnet(&mut self, file: &str, path: &str, v: &Value) {
        let (Some(id), Some(vpc)) = (
            self.required(v, "SubnetId", file, path, "subnet"),
            self.required(v, "VpcId", file, path, "subnet"),
        ) else {
            return;
        };
        let cidr = match text(v, "CidrBlock") {
            Some(c) => self.cidr(c, file, path, &format!("CIDR of subnet `{id}`")),
            None => {
                if !list(v, "Ipv6CidrBlockAssociationSet").is_empty()
                    || get(v, "Ipv6Native").and_then(Value::as_bool) == Some(true)
                {
                    self.ipv6(file, path);
                } else {
                    self.problem(
                        file,
                        path,
                        format!("subnet `{id}` without `CidrBlock`; ignored"),
                    );
                }
                None
            }
        };
        let Some(cidr) = cidr else {
            return;
        };
        self.locate(id, file, path);
        self.subnets.push(RawSubnet {
            id: id.to_owned(),
            vpc: vpc.to_owned(),
            cidr,
            at: At {
                file: file.to_owned(),
                path: path.to_owned(),
            },
        });
    }

    fn route_table(&mut self, file: &str, path: &str, v: &Value) {
        let (Some(id), Some(vpc)) = (
            self.required(v, "RouteTableId", file, path, "route table"),
            self.required(v, "VpcId", file, path, "route table"),
        ) else {
            return;
        };
        let mut routes = Vec::new();
        for (j, r) in list(v, "Routes").iter().enumerate() {
            let rp = format!("{path}.Routes[{j}]");
            let destination = if let Some(c) = text(r, "DestinationCidrBlock") {
                match self.cidr(c, file, &rp, "route destination") {
                    Some(c) => Destination::Cidr(c),
                    None => continue,
                }
            } else if let Some(l) = text(r, "DestinationPrefixListId") {
                Destination::PrefixList(l.to_owned())
            } else if get(r, "DestinationIpv6CidrBlock").is_some() {
                self.ipv6(file, &rp);
                continue;
            } else {
                self.problem(
                    file,
                    rp,
                    format!("route of route table `{id}` without a destination; ignored"),
                );
                continue;
            };
            let target = if text(r, "State") == Some("blackhole") {
                RouteTarget::Blackhole
            } else if let Some(g) = text(r, "GatewayId") {
                if g == "local" {
                    RouteTarget::Local
                } else if g.starts_with("igw-") {
                    RouteTarget::InternetGateway(g.to_owned())
                } else {
                    RouteTarget::Other(g.to_owned())
                }
            } else if let Some(g) = text(r, "NatGatewayId") {
                RouteTarget::NatGateway(g.to_owned())
            } else if let Some(g) = text(r, "VpcPeeringConnectionId") {
                RouteTarget::Peering(g.to_owned())
            } else if let Some(g) = text(r, "NetworkInterfaceId") {
                RouteTarget::Interface(g.to_owned())
            } else if let Some(g) = [
                "TransitGatewayId",
                "InstanceId",
                "LocalGatewayId",
                "CarrierGatewayId",
                "CoreNetworkArn",
                "EgressOnlyInternetGatewayId",
                "OdbNetworkArn",
            ]
            .iter()
            .find_map(|k| text(r, k))
            {
                RouteTarget::Other(g.to_owned())
            } else {
                self.problem(
                    file,
                    rp,
                    format!("route of route table `{id}` without a target; ignored"),
                );
                continue;
            };
            routes.push(RawRoute {
                destination,
                target,
                at: At {
                    file: file.to_owned(),
                    path: rp,
                },
            });
        }
        let mut main = false;
        let mut subnets = Vec::new();
        for (j, a) in list(v, "Associations").iter().enumerate() {
            let state = get(a, "AssociationState").and_then(|s| text(s, "State"));
            if state.is_some_and(|s| s != "associated") {
                continue;
            }
            if get(a, "Main").and_then(Value::as_bool) == Some(true) {
                main = true;
            } else if let Some(s) = text(a, "SubnetId") {
                subnets.push(s.to_owned());
            } else if let Some(g) = text(a, "GatewayId") {
                self.problem(file, format!("{path}.Associations[{j}]"), format!("route table `{id}` is associated with gateway `{g}` (ingress routing), which is not analysed: inbound traffic is taken to go straight to the interface"));
            }
        }
        self.locate(id, file, path);
        self.tables.push(RawTable {
            id: id.to_owned(),
            vpc: vpc.to_owned(),
            routes,
            main,
            subnets,
        });
    }

    /// `-1`/`all`, `6`/`tcp`, `17`/`udp`, `1`/`icmp`; `None` (with a problem or the IPv6 note)
    /// otherwise.
    fn protocol(
        &mut self,
        p: Option<&Value>,
        file: &str,
        path: &str,
        what: &str,
    ) -> Option<Protocol> {
        let p = match p {
            Some(Value::String(s)) => s.to_ascii_lowercase(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                self.problem(file, path, format!("{what} without a protocol; ignored"));
                return None;
            }
        };
        match p.as_str() {
            "-1" | "all" => Some(Protocol::All),
            "6" | "tcp" => Some(Protocol::Tcp),
            "17" | "udp" => Some(Protocol::Udp),
            "1" | "icmp" => Some(Protocol::Icmp),
            "58" | "icmpv6" => {
                self.ipv6(file, path);
                None
            }
            other => {
                self.problem(file, path, format!("{what} has protocol `{other}`, which is not analysed (only TCP, UDP, ICMP and all); rule ignored"));
                None
            }
        }
    }

    fn port_range(
        &mut self,
        from: Option<i64>,
        to: Option<i64>,
        file: &str,
        path: &str,
        what: &str,
    ) -> Option<PortRange> {
        match (from, to) {
            (Some(f), Some(t)) => match (u16::try_from(f), u16::try_from(t)) {
                (Ok(from), Ok(to)) if from <= to => Some(PortRange { from, to }),
                _ => {
                    self.problem(file, path, format!("{what} has port range {f}-{t}, which is not a range of ports 0-65535; rule ignored"));
                    None
                }
            },
            _ => {
                self.problem(
                    file,
                    path,
                    format!("{what} is TCP or UDP without a port range; rule ignored"),
                );
                None
            }
        }
    }

    fn network_acl(&mut self, file: &str, path: &str, v: &Value) {
        let (Some(id), Some(vpc)) = (
            self.required(v, "NetworkAclId", file, path, "network ACL"),
            self.required(v, "VpcId", file, path, "network ACL"),
        ) else {
            return;
        };
        let mut acl = Acl {
            id: id.to_owned(),
            network: vpc.to_owned(),
            inbound: Vec::new(),
            outbound: Vec::new(),
        };
        for (j, e) in list(v, "Entries").iter().enumerate() {
            let ep = format!("{path}.Entries[{j}]");
            let what = format!("entry of network ACL `{id}`");
            let cidr = match text(e, "CidrBlock") {
                Some(c) => match self.cidr(c, file, &ep, "ACL entry CIDR") {
                    Some(c) => c,
                    None => continue,
                },
                None if get(e, "Ipv6CidrBlock").is_some() => {
                    self.ipv6(file, &ep);
                    continue;
                }
                None => {
                    self.problem(file, ep, format!("{what} without `CidrBlock`; ignored"));
                    continue;
                }
            };
            let Some(number) = int(e, "RuleNumber").and_then(|n| u32::try_from(n).ok()) else {
                self.problem(
                    file,
                    ep,
                    format!("{what} without a valid `RuleNumber`; ignored"),
                );
                continue;
            };
            let action = match text(e, "RuleAction") {
                Some("allow") => Action::Allow,
                Some("deny") => Action::Deny,
                other => {
                    self.problem(
                        file,
                        ep,
                        format!(
                            "{what} has `RuleAction` `{}`, not `allow` or `deny`; ignored",
                            other.unwrap_or("")
                        ),
                    );
                    continue;
                }
            };
            let Some(egress) = get(e, "Egress").and_then(Value::as_bool) else {
                self.problem(file, ep, format!("{what} without `Egress`; ignored"));
                continue;
            };
            let Some(protocol) = self.protocol(get(e, "Protocol"), file, &ep, &what) else {
                continue;
            };
            let ports = if matches!(protocol, Protocol::Tcp | Protocol::Udp) {
                let range = get(e, "PortRange");
                match self.port_range(
                    range.and_then(|r| int(r, "From")),
                    range.and_then(|r| int(r, "To")),
                    file,
                    &ep,
                    &what,
                ) {
                    Some(p) => p,
                    None => continue,
                }
            } else {
                PortRange::ALL
            };
            let rule = AclRule {
                number,
                action,
                protocol,
                ports,
                cidr,
            };
            if egress {
                acl.outbound.push(rule);
            } else {
                acl.inbound.push(rule);
            }
        }
        let subnets = list(v, "Associations")
            .iter()
            .filter_map(|a| text(a, "SubnetId").map(str::to_owned))
            .collect();
        self.locate(id, file, path);
        self.acls.push(RawAcl {
            acl,
            default: get(v, "IsDefault").and_then(Value::as_bool) == Some(true),
            subnets,
        });
    }

    fn internet_gateway(&mut self, file: &str, path: &str, v: &Value) {
        let Some(id) = self.required(v, "InternetGatewayId", file, path, "internet gateway") else {
            return;
        };
        let network = list(v, "Attachments")
            .iter()
            .find(|a| matches!(text(a, "State"), Some("available" | "attached")))
            .and_then(|a| text(a, "VpcId"))
            .map(str::to_owned);
        self.locate(id, file, path);
        self.gateways.push(Gateway {
            id: id.to_owned(),
            kind: GatewayKind::Internet,
            network,
        });
    }

    fn nat_gateway(&mut self, file: &str, path: &str, v: &Value) {
        let Some(id) = self.required(v, "NatGatewayId", file, path, "NAT gateway") else {
            return;
        };
        self.locate(id, file, path);
        self.gateways.push(Gateway {
            id: id.to_owned(),
            kind: GatewayKind::Nat,
            network: text(v, "VpcId").map(str::to_owned),
        });
    }

    fn sg_rules(
        &mut self,
        file: &str,
        path: &str,
        v: &Value,
        key: &str,
        group: &str,
    ) -> Vec<SgRule> {
        let mut rules = Vec::new();
        for (j, p) in list(v, key).iter().enumerate() {
            let rp = format!("{path}.{key}[{j}]");
            let what = format!("rule of security group `{group}`");
            let Some(protocol) = self.protocol(get(p, "IpProtocol"), file, &rp, &what) else {
                continue;
            };
            let ports = if matches!(protocol, Protocol::Tcp | Protocol::Udp) {
                match self.port_range(int(p, "FromPort"), int(p, "ToPort"), file, &rp, &what) {
                    Some(r) => r,
                    None => continue,
                }
            } else {
                PortRange::ALL
            };
            let mut peers = Vec::new();
            for (k, r) in list(p, "IpRanges").iter().enumerate() {
                if let Some(c) = text(r, "CidrIp") {
                    peers.extend(
                        self.cidr(
                            c,
                            file,
                            &format!("{rp}.IpRanges[{k}]"),
                            "security group rule CIDR",
                        )
                        .map(Peer::Cidr),
                    );
                }
            }
            if !list(p, "Ipv6Ranges").is_empty() {
                self.ipv6(file, &format!("{rp}.Ipv6Ranges"));
            }
            for l in list(p, "PrefixListIds") {
                if let Some(id) = text(l, "PrefixListId") {
                    peers.push(Peer::PrefixList(id.to_owned()));
                }
            }
            for (k, g) in list(p, "UserIdGroupPairs").iter().enumerate() {
                match text(g, "GroupId") {
                    Some(id) => peers.push(Peer::SecurityGroup(id.to_owned())),
                    None => self.problem(
                        file,
                        format!("{rp}.UserIdGroupPairs[{k}]"),
                        format!("{what} refers to a group without `GroupId`; peer ignored"),
                    ),
                }
            }
            if !peers.is_empty() {
                rules.push(SgRule {
                    protocol,
                    ports,
                    peers,
                });
            }
        }
        rules
    }

    fn security_group(&mut self, file: &str, path: &str, v: &Value) {
        let Some(id) = self.required(v, "GroupId", file, path, "security group") else {
            return;
        };
        let Some(vpc) = text(v, "VpcId") else {
            self.problem(
                file,
                path,
                format!("security group `{id}` has no `VpcId` (EC2-Classic); ignored"),
            );
            return;
        };
        let inbound = self.sg_rules(file, path, v, "IpPermissions", id);
        let outbound = self.sg_rules(file, path, v, "IpPermissionsEgress", id);
        self.locate(id, file, path);
        self.groups.push(SecurityGroup {
            id: id.to_owned(),
            network: vpc.to_owned(),
            name: text(v, "GroupName").unwrap_or_default().to_owned(),
            inbound,
            outbound,
        });
    }

    fn prefix_list(&mut self, file: &str, path: &str, v: &Value) {
        let Some(id) = self.required(v, "PrefixListId", file, path, "prefix list") else {
            return;
        };
        if let Some(cidrs) = get(v, "Cidrs").and_then(Value::as_array) {
            let mut out = Vec::new();
            for (j, c) in cidrs.iter().enumerate() {
                let cp = format!("{path}.Cidrs[{j}]");
                match c.as_str() {
                    Some(c) if c.contains(':') => self.ipv6(file, &cp),
                    Some(c) => out.extend(self.cidr(c, file, &cp, "prefix list CIDR")),
                    None => self.problem(
                        file,
                        cp,
                        "prefix list CIDR is not a string; ignored".to_owned(),
                    ),
                }
            }
            self.locate(id, file, path);
            self.prefix_lists.push(PrefixList {
                id: id.to_owned(),
                cidrs: out,
            });
        } else if text(v, "AddressFamily").is_some_and(|f| f.eq_ignore_ascii_case("ipv6")) {
            self.ipv6(file, path);
        } else {
            self.locate(id, file, path);
            self.managed_lists
                .push((id.to_owned(), file.to_owned(), path.to_owned()));
        }
    }

    fn reservation(&mut self, file: &str, path: &str, v: &Value) {
        for (k, inst) in list(v, "Instances").iter().enumerate() {
            let ip = format!("{path}.Instances[{k}]");
            let Some(id) = self.required(inst, "InstanceId", file, &ip, "instance") else {
                continue;
            };
            let state = get(inst, "State").and_then(|s| text(s, "Name"));
            if matches!(state, Some("terminated" | "shutting-down")) {
                continue;
            }
            let interfaces = list(inst, "NetworkInterfaces");
            if interfaces.is_empty() {
                self.problem(
                    file,
                    &ip,
                    format!("instance `{id}` lists no `NetworkInterfaces`; not analysed"),
                );
                continue;
            }
            for (j, e) in interfaces.iter().enumerate() {
                if let Some(e) =
                    self.eni(file, &format!("{ip}.NetworkInterfaces[{j}]"), e, Some(id))
                {
                    self.instance_enis.push(e);
                }
            }
            let tags = list(inst, "Tags")
                .iter()
                .filter_map(|t| {
                    Some((
                        text(t, "Key")?.to_owned(),
                        text(t, "Value").unwrap_or_default().to_owned(),
                    ))
                })
                .collect();
            self.locate(id, file, &ip);
            self.instances.push(RawInstance {
                id: id.to_owned(),
                tags,
            });
        }
    }

    fn eni(&mut self, file: &str, path: &str, v: &Value, instance: Option<&str>) -> Option<RawEni> {
        let id = self.required(v, "NetworkInterfaceId", file, path, "network interface")?;
        let private_ip = match text(v, "PrivateIpAddress") {
            Some(a) => self.address(a, file, path, &format!("private address of `{id}`")),
            None => None,
        };
        let public_ip = match get(v, "Association").and_then(|a| text(a, "PublicIp")) {
            Some(a) => self.address(a, file, path, &format!("public address of `{id}`")),
            None => None,
        };
        for (j, a) in list(v, "PrivateIpAddresses").iter().enumerate() {
            if get(a, "Primary").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            if let Some(p) = get(a, "Association").and_then(|x| text(x, "PublicIp")) {
                self.problem(file, format!("{path}.PrivateIpAddresses[{j}]"), format!("secondary private address `{}` of `{id}` has public address `{p}`; only primary addresses are analysed", text(a, "PrivateIpAddress").unwrap_or("?")));
            }
        }
        let attachment = get(v, "Attachment");
        let instance = instance.map(str::to_owned).or_else(|| {
            attachment
                .and_then(|a| text(a, "InstanceId"))
                .map(str::to_owned)
        });
        Some(RawEni {
            id: id.to_owned(),
            subnet: text(v, "SubnetId").map(str::to_owned),
            vpc: text(v, "VpcId").map(str::to_owned),
            private_ip,
            public_ip,
            groups: list(v, "Groups")
                .iter()
                .filter_map(|g| text(g, "GroupId").map(str::to_owned))
                .collect(),
            instance,
            device_index: attachment.and_then(|a| int(a, "DeviceIndex")).unwrap_or(0),
            kind: text(v, "InterfaceType").map(str::to_owned),
            description: text(v, "Description").map(str::to_owned),
            file: file.to_owned(),
            path: path.to_owned(),
        })
    }

    fn load_balancer(&mut self, file: &str, path: &str, v: &Value) {
        let Some(arn) = self.required(v, "LoadBalancerArn", file, path, "load balancer") else {
            return;
        };
        let kind = text(v, "Type").unwrap_or("application");
        let scheme = match text(v, "Scheme") {
            Some("internet-facing") => Scheme::InternetFacing,
            Some("internal") => Scheme::Internal,
            other => {
                self.problem(file, path, format!("load balancer `{arn}` has scheme `{}`, not `internet-facing` or `internal`; taken as internal", other.unwrap_or("")));
                Scheme::Internal
            }
        };
        let mut addresses = Vec::new();
        for (j, z) in list(v, "AvailabilityZones").iter().enumerate() {
            let Some(subnet) = text(z, "SubnetId") else {
                continue;
            };
            for (k, a) in list(z, "LoadBalancerAddresses").iter().enumerate() {
                let ap = format!("{path}.AvailabilityZones[{j}].LoadBalancerAddresses[{k}]");
                let public = match text(a, "IpAddress") {
                    Some(x) => self.address(x, file, &ap, "balancer address"),
                    None => None,
                };
                let private = match text(a, "PrivateIPv4Address") {
                    Some(x) => self.address(x, file, &ap, "balancer private address"),
                    None => None,
                };
                addresses.push((subnet.to_owned(), public, private));
            }
        }
        let groups = get(v, "SecurityGroups").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect()
        });
        self.locate(arn, file, path);
        self.lbs.push(RawLb {
            arn: arn.to_owned(),
            name: text(v, "LoadBalancerName").unwrap_or_default().to_owned(),
            kind: kind.to_owned(),
            scheme,
            addresses,
            groups,
            at: At {
                file: file.to_owned(),
                path: path.to_owned(),
            },
        });
    }

    fn elb_protocol(
        &mut self,
        p: Option<&str>,
        file: &str,
        path: &str,
        what: &str,
    ) -> Option<Protocol> {
        match p {
            Some("HTTP" | "HTTPS" | "TCP" | "TLS") => Some(Protocol::Tcp),
            Some("UDP" | "QUIC") => Some(Protocol::Udp),
            Some("TCP_UDP" | "TCP_QUIC") => Some(Protocol::All),
            other => {
                self.problem(
                    file,
                    path,
                    format!(
                        "{what} has protocol `{}`, which is not analysed; ignored",
                        other.unwrap_or("")
                    ),
                );
                None
            }
        }
    }

    fn listener(&mut self, file: &str, path: &str, v: &Value) {
        let Some(lb) = self.required(v, "LoadBalancerArn", file, path, "listener") else {
            return;
        };
        let Some(port) = port(v, "Port") else {
            self.problem(
                file,
                path,
                "listener without a valid `Port`; ignored".to_owned(),
            );
            return;
        };
        let Some(protocol) = self.elb_protocol(text(v, "Protocol"), file, path, "listener") else {
            return;
        };
        let mut target_groups = Vec::new();
        for a in list(v, "DefaultActions") {
            if text(a, "Type") != Some("forward") {
                continue;
            }
            let weighted = get(a, "ForwardConfig")
                .map(|f| list(f, "TargetGroups"))
                .unwrap_or_default();
            if weighted.is_empty() {
                target_groups.extend(text(a, "TargetGroupArn").map(str::to_owned));
            } else {
                for t in weighted {
                    if int(t, "Weight") != Some(0) {
                        target_groups.extend(text(t, "TargetGroupArn").map(str::to_owned));
                    }
                }
            }
        }
        target_groups.dedup();
        self.listeners.push(RawListener {
            lb: lb.to_owned(),
            protocol,
            port,
            target_groups,
            at: At {
                file: file.to_owned(),
                path: path.to_owned(),
            },
        });
    }

    fn target_group(&mut self, file: &str, path: &str, v: &Value) {
        let Some(arn) = self.required(v, "TargetGroupArn", file, path, "target group") else {
            return;
        };
        let protocol = match text(v, "Protocol") {
            None => Protocol::Tcp, // lambda groups have none
            p => match self.elb_protocol(p, file, path, &format!("target group `{arn}`")) {
                Some(p) => p,
                None => return,
            },
        };
        self.locate(arn, file, path);
        self.target_groups.push(RawTargetGroup {
            arn: arn.to_owned(),
            name: text(v, "TargetGroupName").unwrap_or_default().to_owned(),
            protocol,
            port: port(v, "Port"),
            vpc: text(v, "VpcId").map(str::to_owned),
            kind: text(v, "TargetType").map(str::to_owned),
        });
    }

    // -----------------------------------------------------------------------------------------
    // Assembly.

    fn finish(mut self) -> (Model, Vec<Problem>) {
        let mut model = Model::default();

        // Inputs that are missing altogether.
        for (kind, command) in [
            ("Subnets", "describe-subnets"),
            ("RouteTables", "describe-route-tables"),
            ("NetworkAcls", "describe-network-acls"),
            ("SecurityGroups", "describe-security-groups"),
            ("InternetGateways", "describe-internet-gateways"),
        ] {
            if !self.kinds.contains(kind)
                && (self.kinds.contains("Reservations") || self.kinds.contains("NetworkInterfaces"))
            {
                self.problem("(input)", "", format!("no `{command}` output among the inputs (`{kind}`); what depends on it cannot be analysed"));
            }
        }
        if !self.lbs.is_empty() && !self.target_groups.is_empty() && self.health.is_empty() {
            self.problem("(input)", "", "load balancers without any `describe-target-health` output: their target groups have no targets".to_owned());
        }

        // Prefix lists.
        let mut prefix_lists = std::mem::take(&mut self.prefix_lists);
        let entries = std::mem::take(&mut self.list_entries);
        let managed = std::mem::take(&mut self.managed_lists);
        let mut filled = HashSet::new();
        for (id, file, cidrs) in entries {
            let id = id.or_else(|| {
                let s = stem(&file);
                managed
                    .iter()
                    .map(|(m, _, _)| m)
                    .chain(prefix_lists.iter().map(|p| &p.id))
                    .find(|m| stem_names(s, m))
                    .cloned()
                    .or_else(|| {
                        let last = s.rsplit('.').next().unwrap_or(s);
                        last.starts_with("pl-").then(|| last.to_owned())
                    })
            });
            let Some(id) = id else {
                self.problem(&file, "Entries", "prefix list entries whose list is unknown (add `\"PrefixListId\"` to the object, or name the file `<anything>.<pl-id>.json`); ignored".to_owned());
                continue;
            };
            filled.insert(id.clone());
            match prefix_lists.iter_mut().find(|p| p.id == id) {
                Some(p) => p.cidrs.extend(cidrs),
                None => {
                    self.locate(&id, &file, "Entries");
                    prefix_lists.push(PrefixList { id, cidrs });
                }
            }
        }
        for (id, file, path) in &managed {
            if !filled.contains(id) {
                self.problem(file, path.as_str(), format!("managed prefix list `{id}` has no entries in the input (`get-managed-prefix-list-entries`); rules naming it match nothing"));
            }
        }
        let prefix_cidrs: HashMap<String, Vec<Ipv4Net>> = prefix_lists
            .iter()
            .map(|p| (p.id.clone(), p.cidrs.clone()))
            .collect();
        model.prefix_lists = prefix_lists;

        // Networks.
        if self.kinds.contains("Vpcs") {
            model.networks = std::mem::take(&mut self.vpcs);
        } else {
            let mut order: Vec<String> = Vec::new();
            let mut add = |v: &str| {
                if !order.iter().any(|o| o == v) {
                    order.push(v.to_owned());
                }
            };
            for s in &self.subnets {
                add(&s.vpc);
            }
            for t in &self.tables {
                add(&t.vpc);
            }
            for a in &self.acls {
                add(&a.acl.network);
            }
            for g in &self.groups {
                add(&g.network);
            }
            for g in &self.gateways {
                if let Some(n) = &g.network {
                    add(n);
                }
            }
            for e in self.instance_enis.iter().chain(&self.enis) {
                if let Some(n) = &e.vpc {
                    add(n);
                }
            }
            for vpc in order {
                let mut cidrs: Vec<Ipv4Net> = Vec::new();
                for t in self.tables.iter().filter(|t| t.vpc == vpc) {
                    for r in &t.routes {
                        if let (Destination::Cidr(c), RouteTarget::Local) =
                            (&r.destination, &r.target)
                            && !cidrs.contains(c)
                        {
                            cidrs.push(*c);
                        }
                    }
                }
                if cidrs.is_empty() {
                    cidrs = self
                        .subnets
                        .iter()
                        .filter(|s| s.vpc == vpc)
                        .map(|s| s.cidr)
                        .collect();
                }
                model.networks.push(Network { id: vpc, cidrs });
            }
        }

        model.gateways = std::mem::take(&mut self.gateways);

        // Route tables: main tables and explicit associations.
        let mut main_table: HashMap<String, String> = HashMap::new();
        let mut table_of: HashMap<String, String> = HashMap::new();
        let tables = std::mem::take(&mut self.tables);
        let peerings_given = self.kinds.contains("VpcPeeringConnections");
        for t in &tables {
            if t.main {
                main_table
                    .entry(t.vpc.clone())
                    .or_insert_with(|| t.id.clone());
            }
            for s in &t.subnets {
                table_of.entry(s.clone()).or_insert_with(|| t.id.clone());
            }
            let mut routes = Vec::new();
            for r in &t.routes {
                let mut target = r.target.clone();
                if let RouteTarget::Peering(p) = &target
                    && peerings_given
                    && !self.peerings.contains(p)
                {
                    self.problem(&r.at.file, r.at.path.as_str(), format!("route leads to peering connection `{p}`, which is not in the input; treated as a blackhole"));
                    target = RouteTarget::Blackhole;
                }
                match &r.destination {
                    Destination::Cidr(c) => routes.push(Route {
                        destination: *c,
                        target,
                    }),
                    Destination::PrefixList(l) => match prefix_cidrs.get(l) {
                        Some(cidrs) => routes.extend(cidrs.iter().map(|c| Route {
                            destination: *c,
                            target: target.clone(),
                        })),
                        None => self.problem(&r.at.file, r.at.path.as_str(), format!("route to prefix list `{l}`, whose CIDRs are not in the input; ignored")),
                    },
                }
            }
            model.route_tables.push(RouteTable {
                id: t.id.clone(),
                network: t.vpc.clone(),
                routes,
            });
        }

        // ACLs.
        let mut default_acl: HashMap<String, String> = HashMap::new();
        let mut acl_of: HashMap<String, String> = HashMap::new();
        for a in std::mem::take(&mut self.acls) {
            if a.default {
                default_acl
                    .entry(a.acl.network.clone())
                    .or_insert_with(|| a.acl.id.clone());
            }
            for s in &a.subnets {
                acl_of.entry(s.clone()).or_insert_with(|| a.acl.id.clone());
            }
            model.acls.push(a.acl);
        }

        // Subnets.
        let network_ids: HashSet<String> = model.networks.iter().map(|n| n.id.clone()).collect();
        for s in std::mem::take(&mut self.subnets) {
            if !network_ids.contains(&s.vpc) {
                self.problem(&s.at.file, s.at.path.as_str(), format!("subnet `{}` belongs to VPC `{}`, which is not in the input; subnet ignored", s.id, s.vpc));
                continue;
            }
            let table = table_of
                .get(&s.id)
                .or_else(|| main_table.get(&s.vpc))
                .cloned();
            let acl = acl_of
                .get(&s.id)
                .or_else(|| default_acl.get(&s.vpc))
                .cloned();
            let (Some(route_table), Some(acl)) = (table, acl) else {
                self.problem(&s.at.file, s.at.path.as_str(), format!("subnet `{}` has no route table or no network ACL in the input (neither an associated one nor the main/default one of `{}`); subnet ignored", s.id, s.vpc));
                continue;
            };
            model.subnets.push(Subnet {
                id: s.id,
                network: s.vpc,
                cidr: s.cidr,
                route_table,
                acl,
            });
        }

        model.security_groups = std::mem::take(&mut self.groups);

        // Interfaces: describe-network-interfaces completes describe-instances.
        let mut enis: Vec<RawEni> = Vec::new();
        for e in std::mem::take(&mut self.instance_enis) {
            if !enis.iter().any(|x| x.id == e.id) {
                enis.push(e);
            }
        }
        for e in std::mem::take(&mut self.enis) {
            // The interface listing is the more precise; its location wins.
            self.locations
                .insert(e.id.clone(), (e.file.clone(), e.path.clone()));
            match enis.iter_mut().find(|x| x.id == e.id) {
                Some(x) => {
                    let instance = x.instance.take();
                    *x = RawEni {
                        instance: e.instance.clone().or(instance),
                        ..e
                    };
                }
                None => enis.push(e),
            }
        }
        for e in &enis {
            self.locations
                .entry(e.id.clone())
                .or_insert_with(|| (e.file.clone(), e.path.clone()));
        }
        let mut taken = vec![false; enis.len()];
        let interface =
            |e: &RawEni, groups: Vec<String>, problems: &mut Vec<Problem>| -> Option<Interface> {
                let (Some(subnet), Some(private_ip)) = (&e.subnet, e.private_ip) else {
                    problems.push(Problem {
                    origin: e.file.clone(),
                    path: e.path.clone(),
                    message: format!(
                        "interface `{}` without `SubnetId` or an IPv4 `PrivateIpAddress`; ignored",
                        e.id
                    ),
                });
                    return None;
                };
                Some(Interface {
                    id: e.id.clone(),
                    subnet: subnet.clone(),
                    private_ip,
                    public_ip: e.public_ip,
                    security_groups: groups,
                })
            };

        // Load balancers.
        let lbs = std::mem::take(&mut self.lbs);
        for lb in &lbs {
            if lb.kind == "gateway" {
                self.problem(
                    &lb.at.file,
                    lb.at.path.as_str(),
                    format!("gateway load balancer `{}` is not analysed", lb.arn),
                );
                continue;
            }
            let suffix = lb
                .arn
                .split_once(":loadbalancer/")
                .map_or(lb.name.as_str(), |(_, s)| s);
            let label = format!("ELB {suffix}");
            let mut interfaces = Vec::new();
            for (k, e) in enis.iter().enumerate() {
                if e.description.as_deref() == Some(label.as_str()) {
                    taken[k] = true;
                    let groups = lb.groups.clone().unwrap_or_else(|| e.groups.clone());
                    interfaces.extend(interface(e, groups, &mut self.problems));
                }
            }
            if interfaces.is_empty() {
                for (subnet, public, private) in &lb.addresses {
                    if let Some(private_ip) = private {
                        interfaces.push(Interface {
                            id: format!("{}/{subnet}", lb.name),
                            subnet: subnet.clone(),
                            private_ip: *private_ip,
                            public_ip: *public,
                            security_groups: lb.groups.clone().unwrap_or_default(),
                        });
                    }
                }
                for x in &interfaces {
                    self.locations
                        .insert(x.id.clone(), (lb.at.file.clone(), lb.at.path.clone()));
                }
            }
            if interfaces.is_empty() {
                self.problem(&lb.at.file, lb.at.path.as_str(), format!("no network interface of load balancer `{}` in the input (`describe-network-interfaces` entries described `{label}`); balancer not analysed", lb.arn));
                continue;
            }
            let mut listeners = Vec::new();
            for l in self.listeners.iter().filter(|l| l.lb == lb.arn) {
                for tg in &l.target_groups {
                    listeners.push(Listener {
                        protocol: l.protocol,
                        port: l.port,
                        target_group: tg.clone(),
                    });
                }
            }
            model.load_balancers.push(LoadBalancer {
                id: lb.arn.clone(),
                scheme: lb.scheme,
                interfaces,
                listeners,
            });
        }
        let known_lbs: HashSet<&str> = lbs.iter().map(|b| b.arn.as_str()).collect();
        let orphans: Vec<(String, String, String)> = self
            .listeners
            .iter()
            .filter(|l| !known_lbs.contains(l.lb.as_str()))
            .map(|l| (l.at.file.clone(), l.at.path.clone(), l.lb.clone()))
            .collect();
        for (file, path, lb) in orphans {
            self.problem(
                &file,
                path,
                format!("listener of load balancer `{lb}`, which is not in the input; ignored"),
            );
        }

        // Hosts.
        let mut hosts: Vec<Host> = Vec::new();
        let mut seen_hosts: HashMap<String, usize> = HashMap::new();
        for inst in &self.instances {
            seen_hosts.entry(inst.id.clone()).or_insert_with(|| {
                hosts.push(Host {
                    id: inst.id.clone(),
                    interfaces: Vec::new(),
                    tags: inst.tags.clone(),
                });
                hosts.len() - 1
            });
        }
        let mut order: Vec<usize> = (0..enis.len()).collect();
        order.sort_by_key(|&k| enis[k].device_index);
        let mut primary: HashMap<String, String> = HashMap::new();
        for k in order {
            let e = &enis[k];
            if taken[k] {
                continue;
            }
            if e.description
                .as_deref()
                .is_some_and(|d| d.starts_with("ELB "))
                || e.kind.as_deref() == Some("network_load_balancer")
            {
                self.problem(&e.file, e.path.as_str(), format!("interface `{}` belongs to a load balancer that is not in the input; ignored", e.id));
                continue;
            }
            if !matches!(
                e.kind.as_deref(),
                None | Some("interface" | "efa" | "efa-only" | "trunk" | "branch")
            ) {
                continue;
            }
            let Some(x) = interface(e, e.groups.clone(), &mut self.problems) else {
                continue;
            };
            let owner = e.instance.clone().unwrap_or_else(|| e.id.clone());
            primary.entry(owner.clone()).or_insert_with(|| e.id.clone());
            let h = *seen_hosts.entry(owner.clone()).or_insert_with(|| {
                hosts.push(Host {
                    id: owner.clone(),
                    interfaces: Vec::new(),
                    tags: Default::default(),
                });
                hosts.len() - 1
            });
            hosts[h].interfaces.push(x);
        }

        // Target groups and their targets.
        let by_private: Vec<(String, Ipv4Addr, Option<String>)> = enis
            .iter()
            .zip(&taken)
            .filter(|(_, t)| !**t)
            .filter_map(|(e, _)| Some((e.id.clone(), e.private_ip?, e.vpc.clone())))
            .collect();
        let health = std::mem::take(&mut self.health);
        let mut targets: HashMap<String, Vec<Target>> = HashMap::new();
        for h in health {
            let group = h.group.clone().or_else(|| {
                let s = stem(&h.file);
                self.target_groups
                    .iter()
                    .filter(|t| !t.name.is_empty() && stem_names(s, &t.name))
                    .max_by_key(|t| t.name.len())
                    .map(|t| t.arn.clone())
            });
            let Some(group) = group else {
                self.problem(&h.file, "TargetHealthDescriptions", "target health whose target group is unknown (add `\"TargetGroupArn\"` to the object, or name the file `<anything>.<target group name>.json`); ignored".to_owned());
                continue;
            };
            let Some(tg) = self.target_groups.iter().find(|t| t.arn == group) else {
                self.problem(&h.file, "TargetHealthDescriptions", format!("target health of target group `{group}`, which is not in the input (`describe-target-groups`); ignored"));
                continue;
            };
            let mut found = Vec::new();
            let mut problems = Vec::new();
            for t in &h.targets {
                let kind = tg.kind.clone().unwrap_or_else(|| {
                    if t.id.starts_with("i-") {
                        "instance"
                    } else if t.id.parse::<Ipv4Addr>().is_ok() {
                        "ip"
                    } else {
                        "unknown"
                    }
                    .to_owned()
                });
                let interface = match kind.as_str() {
                    "instance" => match primary.get(&t.id) {
                        Some(x) => x.clone(),
                        None => {
                            problems.push((t.path.clone(), format!("target instance `{}` is not in the input (or has no usable interface); ignored", t.id)));
                            continue;
                        }
                    },
                    "ip" => {
                        let Ok(ip) = t.id.parse::<Ipv4Addr>() else {
                            problems.push((
                                t.path.clone(),
                                format!("ip target `{}` is not an IPv4 address; ignored", t.id),
                            ));
                            continue;
                        };
                        match by_private
                            .iter()
                            .find(|(_, a, vpc)| *a == ip && (tg.vpc.is_none() || *vpc == tg.vpc))
                        {
                            Some((x, _, _)) => x.clone(),
                            None => {
                                problems.push((t.path.clone(), format!("ip target `{ip}` is not the private address of an interface in the input; ignored")));
                                continue;
                            }
                        }
                    }
                    other => {
                        problems.push((
                            t.path.clone(),
                            format!(
                                "target `{}` of type `{other}` is not analysed; ignored",
                                t.id
                            ),
                        ));
                        continue;
                    }
                };
                let Some(target_port) = t.port.or(tg.port) else {
                    problems.push((
                        t.path.clone(),
                        format!(
                            "target `{}` has no port (neither its own nor the group's); ignored",
                            t.id
                        ),
                    ));
                    continue;
                };
                found.push(Target {
                    interface,
                    port: target_port,
                    healthy: matches!(t.state.as_str(), "healthy" | "unavailable"),
                });
            }
            for (path, message) in problems {
                self.problem(&h.file, path, message);
            }
            targets.entry(group).or_default().extend(found);
        }
        for tg in std::mem::take(&mut self.target_groups) {
            if model.target_groups.iter().any(|t| t.id == tg.arn) {
                self.problem(
                    "(input)",
                    "",
                    format!(
                        "target group `{}` is listed twice; the later entry is ignored",
                        tg.arn
                    ),
                );
                continue;
            }
            model.target_groups.push(TargetGroup {
                id: tg.arn.clone(),
                protocol: tg.protocol,
                targets: targets.remove(&tg.arn).unwrap_or_default(),
            });
        }
        model.hosts = hosts;

        // Consistency, located in the inputs.
        for n in check(&mut model) {
            let (origin, path) = match self.locations.get(&n.owner) {
                Some((file, path)) => (file.clone(), path.clone()),
                None => ("(import)".to_owned(), n.path()),
            };
            self.problems.push(Problem {
                origin,
                path,
                message: n.message,
            });
        }
        (model, self.problems)
    }
}

//! The provider-neutral network model the analysis works on.
//!
//! It is AWS's model with the names made generic, because that is the model most users
//! already describe their networks in: networks (VPCs) hold subnets; each subnet has one route
//! table and one stateless ACL; interfaces (ENIs) sit in a subnet, carry a private address, an
//! optional public one (1:1 NAT at the internet gateway) and stateful security groups; load
//! balancers in front of targets. The AWS `describe-*` JSON and the YAML model are both read
//! into this (see [`crate::aws`] and [`crate::yaml`]). IPv4 only.
//!
//! Semantics (what the analysis and the namespace oracle both implement):
//! - **Routes**: longest prefix match within a subnet's route table; `Local` covers the
//!   network's CIDRs. Traffic from the internet reaches a public address only through an
//!   internet gateway attached to the interface's network; the reply leaves through the route
//!   the subnet's table chooses for the client's address, which must be that gateway (else the
//!   connection fails: asymmetric routing).
//! - **ACLs** are stateless: rules in ascending `number`, the first whose protocol, port range
//!   and CIDR match decides; nothing matching means deny. Inbound rules see the packet entering
//!   the subnet (source = the client, port = the destination port); outbound rules see the reply
//!   leaving it (destination = the client, port = the client's ephemeral source port, taken as
//!   [`EPHEMERAL`]). A connection is possible when some ephemeral port is allowed back.
//! - **Security groups** are stateful allow lists on an interface: a packet is admitted when
//!   any inbound rule of any of the interface's groups matches (protocol, port, and source by
//!   CIDR, prefix list, or membership of the source interface in a referenced group); replies
//!   of admitted connections always pass.
//! - **Load balancers** (internet-facing) have interfaces in their subnets like hosts do
//!   (public addresses; their security groups; none means "allow all", as for a network load
//!   balancer without groups); a listener forwards to its target group's targets on the
//!   target port, from the balancer's private address in the subnet.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

/// The client ports a reply must be allowed back to (Linux's default ephemeral range is a
/// subset; AWS documents 1024–65535 for ACLs).
pub const EPHEMERAL: PortRange = PortRange {
    from: 1024,
    to: 65535,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    /// Every protocol (`-1` in AWS).
    All,
}

impl Protocol {
    /// Whether a rule for `self` covers traffic of `p` (`p` is TCP or UDP).
    pub fn covers(self, p: Protocol) -> bool {
        self == Protocol::All || self == p
    }
}

/// An inclusive port range; rules without ports (all traffic) use `0..=65535`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

impl PortRange {
    pub const ALL: PortRange = PortRange { from: 0, to: 65535 };

    pub fn single(p: u16) -> PortRange {
        PortRange { from: p, to: p }
    }

    pub fn contains(&self, p: u16) -> bool {
        self.from <= p && p <= self.to
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Allow,
    Deny,
}

/// A VPC: its address ranges (the `Local` route covers them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub id: String,
    pub cidrs: Vec<Ipv4Net>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub network: String,
    pub cidr: Ipv4Net,
    /// Its route table (the network's main table when the provider says none explicitly; the
    /// importers resolve that).
    pub route_table: String,
    /// Its ACL (likewise resolved to the network's default ACL).
    pub acl: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RouteTarget {
    /// Within the network.
    Local,
    InternetGateway(String),
    NatGateway(String),
    Peering(String),
    /// An interface (an appliance).
    Interface(String),
    /// Dropped.
    Blackhole,
    /// Something the analysis does not follow (transit gateways, VPN gateways, endpoints…):
    /// treated as not leading to the internet.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub destination: Ipv4Net,
    pub target: RouteTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    pub id: String,
    pub network: String,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    Internet,
    Nat,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gateway {
    pub id: String,
    pub kind: GatewayKind,
    /// The network an internet gateway is attached to (none: detached), or a NAT gateway's.
    pub network: Option<String>,
}

/// Where an inbound security-group rule admits traffic from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Peer {
    Cidr(Ipv4Net),
    /// Interfaces that are members of this group.
    SecurityGroup(String),
    PrefixList(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgRule {
    pub protocol: Protocol,
    pub ports: PortRange,
    pub peers: Vec<Peer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub network: String,
    #[serde(default)]
    pub name: String,
    pub inbound: Vec<SgRule>,
    /// Outbound rules (the analysis of inbound reachability needs them only for a load
    /// balancer's connection to its targets).
    #[serde(default)]
    pub outbound: Vec<SgRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixList {
    pub id: String,
    pub cidrs: Vec<Ipv4Net>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclRule {
    pub number: u32,
    pub action: Action,
    pub protocol: Protocol,
    pub ports: PortRange,
    pub cidr: Ipv4Net,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub id: String,
    pub network: String,
    pub inbound: Vec<AclRule>,
    pub outbound: Vec<AclRule>,
}

/// A network interface: of a host, or of a load balancer in one of its subnets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    pub id: String,
    pub subnet: String,
    pub private_ip: Ipv4Addr,
    #[serde(default)]
    pub public_ip: Option<Ipv4Addr>,
    #[serde(default)]
    pub security_groups: Vec<String>,
}

/// A host (an instance): the resource findings are about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// The resource id findings name (`i-…`, or the id an agent registered).
    pub id: String,
    pub interfaces: Vec<Interface>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    InternetFacing,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub protocol: Protocol,
    pub port: u16,
    pub target_group: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub id: String,
    pub scheme: Scheme,
    /// One interface per subnet the balancer is in (its nodes).
    pub interfaces: Vec<Interface>,
    pub listeners: Vec<Listener>,
}

/// A target: a host interface (by interface id) on a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub interface: String,
    pub port: u16,
    /// Unhealthy targets get no traffic.
    #[serde(default = "yes")]
    pub healthy: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroup {
    pub id: String,
    pub protocol: Protocol,
    pub targets: Vec<Target>,
}

/// A socket a host listens on (from the agent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listening {
    pub host: String,
    pub protocol: Protocol,
    pub port: u16,
    /// `0.0.0.0` for every address.
    pub address: Ipv4Addr,
    #[serde(default)]
    pub process: Option<String>,
}

/// A whole network, as imported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    #[serde(default)]
    pub networks: Vec<Network>,
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    #[serde(default)]
    pub route_tables: Vec<RouteTable>,
    #[serde(default)]
    pub gateways: Vec<Gateway>,
    #[serde(default)]
    pub security_groups: Vec<SecurityGroup>,
    #[serde(default)]
    pub prefix_lists: Vec<PrefixList>,
    #[serde(default)]
    pub acls: Vec<Acl>,
    #[serde(default)]
    pub hosts: Vec<Host>,
    #[serde(default)]
    pub load_balancers: Vec<LoadBalancer>,
    #[serde(default)]
    pub target_groups: Vec<TargetGroup>,
    #[serde(default)]
    pub listening: Vec<Listening>,
}

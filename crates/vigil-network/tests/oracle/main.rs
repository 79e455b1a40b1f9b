//! The namespace oracle: a [`Model`](vigil_network::Model) realised as Linux network namespaces,
//! probed from an "internet" namespace, so that what is actually reachable can be compared with
//! what the analysis predicts.
//!
//! Needs root (or `CAP_SYS_ADMIN` + `CAP_NET_ADMIN`), `ip` (iproute2), `nft` (nftables) and
//! `python3`. It touches only namespaces it creates, named `vgo<pid>-<lab>-<role>`; they are
//! deleted when a lab is dropped (also when a test panics), and namespaces of earlier runs
//! whose process is gone are deleted at start. Without the rights the tests fail, saying why.
//!
//! # Design
//!
//! ```text
//!                  inet   clients on lo: 198.51.100.10 203.0.113.10 192.0.2.10 8.8.8.10
//!                   |     one /32 route per public address, to its network's internet gateway
//!        g<i> +-----+-----+ n<i>
//!             |           |
//!           igw<i>      nat<i>         internet gateway: stateless 1:1 public <-> private
//!             |  \        |  \         NAT gateway: SNAT to its own 100.64.0.x
//!        s<j> |   \ s<k>  |   \
//!         ui0 |    \ ui0  | un<n>
//!            r<j> ---ur--- r<k>        one router per subnet (routers of a network meshed):
//!           /   \           \            ip rule 50: to the subnet's CIDR -> table 200
//!      d<x>/     \d<y>       \           ip rule 100: table 100 = the subnet's route table
//!         /       \                        (Local = `throw`, so LPM can fall to table 200)
//!      h<x>      lb<y>       ...         ip rule 200: table 200 = the network's layout
//!   e0: private/32             (its interfaces' /32s, the other subnets via their routers)
//!   nft: security groups       nft: the ACL, on packets between u* and d* links
//!   agent: listeners           agent (lb): proxy to healthy targets
//! ```
//!
//! - **inet** holds the clients. A public address is routed to the internet gateway attached
//!   to its interface's network; with no attached gateway it has no route.
//! - **igw<i>**: one per internet gateway attached to a network of the model, linked to the
//!   internet and to every router of its network. nftables rewrites, statelessly, the public
//!   destination of inbound packets to the private address, and the private source of
//!   outbound packets to the public one; anything else leaving towards the internet, or
//!   crossing between two subnets, is dropped. Detached gateways (and any second gateway of a
//!   network) get no namespace: routes to them are blackholes.
//! - **nat<i>**: one per NAT gateway, linked to the internet and to its network's routers;
//!   source NAT to its own address. A reply routed here reaches the client from the wrong
//!   address (or, for TCP, is an invalid packet and dropped): the asymmetric case.
//! - **r<j>**, a subnet's router. Table 100 holds the subnet's route table: routes to the
//!   attached internet gateway or the network's NAT gateways go to their links, `Local`
//!   routes are `throw` (the lookup goes on with the next rule, table 200, which knows where
//!   each subnet of the network is), every other target (blackhole, a detached
//!   or foreign gateway, peering, appliances, other) is a `blackhole`. Rule 50 delivers to the
//!   subnet's own interfaces whatever the table says (inbound traffic from a gateway is not
//!   routed by the subnet's table). The ACL is an nftables forward chain without conntrack:
//!   `u* -> d*` is inbound (source CIDR, destination port), `d* -> u*` outbound (destination
//!   CIDR, destination port = the client's port), rules by number, first match, then drop.
//!   Traffic between two interfaces of one subnet crosses no ACL.
//! - **h<x>**: one namespace per host interface (a host with two interfaces is two
//!   namespaces: replies leave by the interface they came in by). Its private address, a
//!   default route to its router, and its security groups: `ct state established,related
//!   accept`, one rule per (rule, peer address), then drop — both for input and output. A
//!   group peer stands for the private addresses of its member interfaces, a prefix list
//!   for its CIDRs. No group: nothing is admitted.
//! - **lb<y>**: one namespace per balancer interface, set up like a host interface (no
//!   groups: no rules, everything is admitted). Its agent is a small userspace proxy: a
//!   connection (or datagram) on a listener port is forwarded, from the balancer's private
//!   address, to every healthy target of the listener's group at once (cross-zone, from
//!   any balancer interface to targets in any subnet); the first answer is relayed. A
//!   proxy, not DNAT: with several targets, "some target answers" is what the analysis
//!   means, and DNAT would pick one.
//!
//! Links are veth pairs on /30s from 169.254.0.0/16 (never used by a model, checked).
//!
//! # Probes
//!
//! Every host interface listens on every probed port (TCP: it sends its interface id and waits
//! for the client to reset the connection; UDP: it answers its id), so a probe measures the
//! network only: it is reachable when an answer arrives within the timeout (a refused
//! connection is unreachable, as is a balancer that accepted but found no target). Probes run
//! concurrently from one prober in `inet`.
//!
//! Stateless ACLs make the client's source port matter: the model says a connection is possible
//! when *some* ephemeral port (1024–65535) is allowed back. The port ranges of the destination
//! subnet's outbound ACL cut the ephemeral range into intervals over which the ACL's decision is
//! constant, so a probe is tried from one source port per interval and is reachable when any
//! try is. The balancer proxy does the same for its own source port towards targets (intervals
//! cut by every ACL of the model).
//!
//! A probe answered is certainly reachable; one not answered might be a lost packet, so probes
//! expected reachable but not answered are probed again, alone and with a longer timeout.
//!
//! # Tests
//!
//! - `hand::oracle_matches_hand_computed_expectations`: hand-written topologies exercising every
//!   semantic feature, with reachability computed by hand.
//! - `random::*`: the topology generator (deterministic, valid, covering the features) and a
//!   smoke run of generated topologies with model-independent checks.
//! - `differential.rs.pending`: the generated topologies compared with
//!   `vigil_network::analysis::reachable`; enable it once the analysis is merged (rename to
//!   `differential.rs` and add `mod differential;` below).
//!
//! # Running
//!
//! `cargo test -p vigil-network --test oracle` (about 15 s in a debug build). Environment:
//! `VIGIL_ORACLE_SMOKE_SEEDS` (default 3) generated topologies for the smoke test,
//! `VIGIL_ORACLE_SEED` just one seed, `VIGIL_ORACLE_PYTHON` the interpreter for the agents
//! (default: the executable `python3` resolves to, since a shim can cost half a second per
//! start). Tests run in parallel; every lab has its own namespaces.

mod differential;
mod generate;
mod hand;
mod lab;
mod random;

//! The generator's own tests, and generated topologies realised with checks that hold whatever
//! the analysis says (the differential test against the analysis is `differential.rs.pending`).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use vigil_network::model::{Action, GatewayKind, Model, Peer, Protocol, RouteTarget, Scheme};

use crate::generate::{MAX_PORTS, generate, probes};
use crate::lab::{DEFAULT_CLIENTS, Lab, LabOptions, Plan, answer_problem};

/// Seeds from `VIGIL_ORACLE_SEED` (one seed) or `count` seeds from `start`.
pub fn seeds(count_var: &str, default: u64) -> Vec<u64> {
    if let Some(seed) = std::env::var("VIGIL_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return vec![seed];
    }
    let count = std::env::var(count_var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    (0..count).collect()
}

/// Dangling references the importers would never produce.
fn dangling(m: &Model) -> Vec<String> {
    fn ids<'a, T>(xs: &'a [T], id: impl Fn(&'a T) -> &'a str) -> BTreeSet<&'a str> {
        xs.iter().map(id).collect()
    }
    let networks = ids(&m.networks, |n| &n.id);
    let tables = ids(&m.route_tables, |t| &t.id);
    let acls = ids(&m.acls, |a| &a.id);
    let subnets = ids(&m.subnets, |s| &s.id);
    let groups = ids(&m.security_groups, |g| &g.id);
    let lists = ids(&m.prefix_lists, |l| &l.id);
    let target_groups = ids(&m.target_groups, |g| &g.id);
    let host_interfaces: BTreeSet<&str> = m
        .hosts
        .iter()
        .flat_map(|h| &h.interfaces)
        .map(|i| i.id.as_str())
        .collect();
    let mut out = Vec::new();
    for s in &m.subnets {
        for (what, id, known) in [
            ("network", &s.network, &networks),
            ("route table", &s.route_table, &tables),
            ("ACL", &s.acl, &acls),
        ] {
            if !known.contains(id.as_str()) {
                out.push(format!("subnet `{}`: {what} `{id}`", s.id));
            }
        }
    }
    let interfaces = m
        .hosts
        .iter()
        .flat_map(|h| &h.interfaces)
        .chain(m.load_balancers.iter().flat_map(|lb| &lb.interfaces));
    for i in interfaces {
        if !subnets.contains(i.subnet.as_str()) {
            out.push(format!("interface `{}`: subnet `{}`", i.id, i.subnet));
        }
        for g in &i.security_groups {
            if !groups.contains(g.as_str()) {
                out.push(format!("interface `{}`: group `{g}`", i.id));
            }
        }
    }
    for g in &m.security_groups {
        for peer in g.inbound.iter().chain(&g.outbound).flat_map(|r| &r.peers) {
            match peer {
                Peer::PrefixList(l) if !lists.contains(l.as_str()) => {
                    out.push(format!("group `{}`: prefix list `{l}`", g.id));
                }
                Peer::SecurityGroup(r) if !groups.contains(r.as_str()) => {
                    out.push(format!("group `{}`: group `{r}`", g.id));
                }
                _ => {}
            }
        }
    }
    for lb in &m.load_balancers {
        for l in &lb.listeners {
            if !target_groups.contains(l.target_group.as_str()) {
                out.push(format!("balancer `{}`: group `{}`", lb.id, l.target_group));
            }
        }
    }
    for t in m.target_groups.iter().flat_map(|g| &g.targets) {
        if !host_interfaces.contains(t.interface.as_str()) {
            out.push(format!("target `{}`", t.interface));
        }
    }
    out
}

#[test]
fn generator_is_deterministic_and_valid() {
    for seed in 0..300 {
        let a = generate(seed);
        let b = generate(seed);
        assert_eq!(a, b, "seed {seed}: two different models");
        let problems = dangling(&a);
        assert!(
            problems.is_empty(),
            "seed {seed}: dangling references: {problems:?}"
        );
        let p = probes(&a, &DEFAULT_CLIENTS, seed);
        let per_address = p.len() / DEFAULT_CLIENTS.len() / 2;
        let addresses: BTreeSet<_> = p.iter().map(|p| p.destination).collect();
        assert!(
            per_address <= MAX_PORTS * addresses.len(),
            "seed {seed}: {per_address} probes per client and protocol"
        );
        // The plan is pure: no namespace is needed to know the model can be realised.
        Plan::new(&a, &LabOptions::for_probes(&p), "plan")
            .unwrap_or_else(|e| panic!("seed {seed}: cannot plan: {e}"));
        let json = serde_json::to_string(&a).expect("models serialise");
        let back: Model = serde_json::from_str(&json).expect("models deserialise");
        assert_eq!(back, a, "seed {seed}: JSON round trip");
    }
    assert_ne!(generate(1), generate(2));
}

#[test]
fn generator_covers_the_features() {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for seed in 0..200 {
        let m = generate(seed);
        if m.networks.len() > 1 {
            seen.insert("two networks");
        }
        for g in &m.gateways {
            match (g.kind, &g.network) {
                (GatewayKind::Internet, Some(_)) => seen.insert("attached gateway"),
                (GatewayKind::Internet, None) => seen.insert("detached gateway"),
                (GatewayKind::Nat, _) => seen.insert("NAT gateway"),
            };
        }
        let gateways: BTreeSet<&str> = m.gateways.iter().map(|g| g.id.as_str()).collect();
        for r in m.route_tables.iter().flat_map(|t| &t.routes) {
            let prefix = r.destination.prefix_len();
            match &r.target {
                RouteTarget::NatGateway(_) => seen.insert("route to a NAT gateway"),
                RouteTarget::Blackhole => seen.insert("blackhole route"),
                RouteTarget::InternetGateway(g) if !gateways.contains(g.as_str()) => {
                    seen.insert("route to a missing gateway")
                }
                RouteTarget::InternetGateway(_) if prefix > 1 => {
                    seen.insert("specific route to the gateway")
                }
                RouteTarget::InternetGateway(_) if prefix == 1 => seen.insert("split default"),
                RouteTarget::Peering(_) | RouteTarget::Other(_) | RouteTarget::Interface(_) => {
                    seen.insert("route elsewhere")
                }
                _ => false,
            };
        }
        if m.route_tables
            .iter()
            .any(|t| t.routes.iter().all(|r| r.destination.prefix_len() > 1))
        {
            seen.insert("table without a way out");
        }
        for a in &m.acls {
            if a.inbound.iter().any(|r| r.action == Action::Deny) {
                seen.insert("ACL deny");
            }
            let sorted = a.inbound.windows(2).all(|w| w[0].number <= w[1].number);
            if !sorted {
                seen.insert("ACL rules out of order");
            }
            let intervals = crate::lab::ephemeral_intervals(&a.outbound);
            if intervals.len() > 1 {
                seen.insert("partial ephemeral outbound");
            }
            if a.outbound
                .iter()
                .all(|r| r.ports.to < 1024 || r.action == Action::Deny)
            {
                seen.insert("no ephemeral outbound");
            }
        }
        for r in m.security_groups.iter().flat_map(|g| &g.inbound) {
            for p in &r.peers {
                match p {
                    Peer::Cidr(_) => seen.insert("group rule by CIDR"),
                    Peer::PrefixList(_) => seen.insert("group rule by prefix list"),
                    Peer::SecurityGroup(_) => seen.insert("group rule by group"),
                };
            }
            if r.protocol == Protocol::All {
                seen.insert("group rule for all protocols");
            }
        }
        for i in m.hosts.iter().flat_map(|h| &h.interfaces) {
            seen.insert(if i.public_ip.is_some() {
                "public host"
            } else {
                "private host"
            });
            if i.security_groups.is_empty() {
                seen.insert("host without groups");
            }
        }
        if m.hosts.iter().any(|h| h.interfaces.len() > 1) {
            seen.insert("host with two interfaces");
        }
        for lb in &m.load_balancers {
            seen.insert(match lb.scheme {
                Scheme::InternetFacing => "internet-facing balancer",
                Scheme::Internal => "internal balancer",
            });
            if lb.interfaces.iter().all(|i| i.security_groups.is_empty()) {
                seen.insert("balancer without groups");
            }
            if lb.listeners.len() > 1 {
                seen.insert("two listeners");
            }
            if lb.listeners.iter().any(|l| l.protocol == Protocol::Udp) {
                seen.insert("UDP listener");
            }
        }
        for t in m.target_groups.iter().flat_map(|g| &g.targets) {
            seen.insert(if t.healthy {
                "healthy target"
            } else {
                "unhealthy target"
            });
        }
    }
    let wanted = [
        "two networks",
        "attached gateway",
        "detached gateway",
        "NAT gateway",
        "route to a NAT gateway",
        "blackhole route",
        "route to a missing gateway",
        "specific route to the gateway",
        "split default",
        "route elsewhere",
        "table without a way out",
        "ACL deny",
        "ACL rules out of order",
        "partial ephemeral outbound",
        "no ephemeral outbound",
        "group rule by CIDR",
        "group rule by prefix list",
        "group rule by group",
        "group rule for all protocols",
        "public host",
        "private host",
        "host without groups",
        "host with two interfaces",
        "internet-facing balancer",
        "internal balancer",
        "balancer without groups",
        "two listeners",
        "UDP listener",
        "healthy target",
        "unhealthy target",
    ];
    let missing: Vec<&str> = wanted.into_iter().filter(|w| !seen.contains(w)).collect();
    assert!(missing.is_empty(), "200 seeds never produced: {missing:?}");
}

/// Generated topologies realised and probed, with checks that need no analysis: every answer
/// comes from where the model says the address leads, and addresses of networks without an
/// attached internet gateway never answer. `VIGIL_ORACLE_SMOKE_SEEDS` (default 3) seeds.
#[test]
fn random_topologies_realise_and_answer() {
    let started = Instant::now();
    let mut failures = Vec::new();
    for seed in seeds("VIGIL_ORACLE_SMOKE_SEEDS", 3) {
        let model = generate(seed);
        let probes = probes(&model, &DEFAULT_CLIENTS, seed);
        let mut lab = Lab::realise(&model, &LabOptions::for_probes(&probes))
            .unwrap_or_else(|e| panic!("seed {seed}: cannot realise: {e}"));
        let t = Instant::now();
        let outcomes = lab
            .probe(&probes)
            .unwrap_or_else(|e| panic!("seed {seed}: cannot probe: {e}"));
        let probing = t.elapsed();
        let without_gateway: BTreeSet<_> = model
            .hosts
            .iter()
            .flat_map(|h| &h.interfaces)
            .chain(model.load_balancers.iter().flat_map(|lb| &lb.interfaces))
            .filter(|i| {
                let network = model
                    .subnets
                    .iter()
                    .find(|s| s.id == i.subnet)
                    .map(|s| s.network.as_str());
                !model
                    .gateways
                    .iter()
                    .any(|g| g.kind == GatewayKind::Internet && g.network.as_deref() == network)
            })
            .filter_map(|i| i.public_ip)
            .collect();
        for (probe, outcome) in probes.iter().zip(&outcomes) {
            if let Some(problem) = answer_problem(&model, probe, outcome) {
                failures.push(format!("seed {seed}: {problem}"));
            }
            if outcome.reachable && without_gateway.contains(&probe.destination) {
                failures.push(format!("seed {seed}: {probe} answered without a gateway"));
            }
        }
        let reachable = outcomes.iter().filter(|o| o.reachable).count();
        let balanced = outcomes
            .iter()
            .filter(|o| o.answer.as_deref().is_some_and(|a| a.contains('>')))
            .count();
        eprintln!(
            "seed {seed}: {} namespaces, {} probes ({reachable} reachable, {balanced} through a balancer), setup {:.1?}, probing {probing:.1?}",
            lab.namespaces().len(),
            probes.len(),
            lab.setup,
        );
        let t = Instant::now();
        drop(lab);
        let teardown: Duration = t.elapsed();
        eprintln!("seed {seed}: teardown {teardown:.1?}");
    }
    eprintln!("random topologies: {:.1?} in all", started.elapsed());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

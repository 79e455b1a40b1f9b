//! The differential test: generated topologies realised as namespaces and probed, compared
//! with `vigil_network::analysis::reachable`.
//!
//! Pending until the analysis is merged. To enable it: rename this file to `differential.rs`
//! and add `mod differential;` to `main.rs`.
//!
//! - `VIGIL_ORACLE_SEEDS`: how many seeds, from 0 (default 30, about a minute and a half in a
//!   debug build); `VIGIL_ORACLE_SEED`: just that one (to rerun a failure).
//! - `VIGIL_ORACLE_BUDGET_SECS` (default 240): no new seed is started after that long; how many
//!   ran is printed.
//!
//! A difference is reported with its seed, the model as JSON, and each differing probe with
//! what answered it in the namespaces (the interface, or `balancer>target`). Probes the analysis
//! calls reachable that found no answer are probed again with a longer timeout first.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use vigil_network::analysis::reachable;
use vigil_network::model::{Listening, Model, Protocol};

use crate::generate::{generate, probes};
use crate::lab::{DEFAULT_CLIENTS, Lab, LabOptions, answer_problem};
use crate::random::seeds;

/// The model as the analysis must see it: every host listens (on all addresses, TCP and UDP)
/// where the lab's agents do, so that "reachable" means the same on both sides.
fn with_listeners(model: &Model, options: &LabOptions) -> Model {
    let mut m = model.clone();
    for host in &model.hosts {
        let mut ports = options.listen_ports.clone();
        for i in &host.interfaces {
            let targets = model.target_groups.iter().flat_map(|g| &g.targets);
            ports.extend(targets.filter(|t| t.interface == i.id).map(|t| t.port));
        }
        ports.remove(&0);
        for port in ports {
            for protocol in [Protocol::Tcp, Protocol::Udp] {
                m.listening.push(Listening {
                    host: host.id.clone(),
                    protocol,
                    port,
                    address: Ipv4Addr::UNSPECIFIED,
                    process: Some("oracle-agent".to_string()),
                });
            }
        }
    }
    m
}

#[test]
fn random_topologies_match_the_analyser() {
    let budget = Duration::from_secs(
        std::env::var("VIGIL_ORACLE_BUDGET_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(240),
    );
    let started = Instant::now();
    let mut report = Vec::new();
    let (mut topologies, mut probes_run, mut reachable_count) = (0usize, 0usize, 0usize);
    for seed in seeds("VIGIL_ORACLE_SEEDS", 30) {
        if started.elapsed() > budget {
            eprintln!("oracle: time budget spent after {topologies} topologies");
            break;
        }
        let model = generate(seed);
        let probes = probes(&model, &DEFAULT_CLIENTS, seed);
        let options = LabOptions::for_probes(&probes);
        let analysed = with_listeners(&model, &options);
        let predicted: Vec<bool> = probes
            .iter()
            .map(|p| reachable(&analysed, p.source, p.destination, p.protocol, p.port))
            .collect();
        let mut lab = Lab::realise(&model, &options)
            .unwrap_or_else(|e| panic!("seed {seed}: cannot realise: {e}"));
        let outcomes = lab
            .probe_and_confirm(&probes, &predicted)
            .unwrap_or_else(|e| panic!("seed {seed}: cannot probe: {e}"));
        drop(lab);
        topologies += 1;
        probes_run += probes.len();
        reachable_count += outcomes.iter().filter(|o| o.reachable).count();

        let mut differences = Vec::new();
        for ((probe, &said), found) in probes.iter().zip(&predicted).zip(&outcomes) {
            if said != found.reachable {
                differences.push(format!(
                    "{probe}: the analysis says {}, the namespaces {}{}",
                    if said { "reachable" } else { "unreachable" },
                    if found.reachable {
                        "reached it"
                    } else {
                        "did not"
                    },
                    found
                        .answer
                        .as_deref()
                        .map(|a| format!(" (answered by `{a}`)"))
                        .unwrap_or_default(),
                ));
            }
            if let Some(problem) = answer_problem(&model, probe, found) {
                differences.push(format!("oracle inconsistency: {problem}"));
            }
        }
        if !differences.is_empty() {
            let json = serde_json::to_string_pretty(&model).expect("models serialise");
            report.push(format!(
                "seed {seed}: {} of {} probes differ:\n  {}\nmodel:\n{json}",
                differences.len(),
                probes.len(),
                differences.join("\n  ")
            ));
        }
    }
    eprintln!(
        "oracle: {topologies} topologies, {probes_run} probes ({reachable_count} reachable), {:.1?}",
        started.elapsed()
    );
    assert!(
        report.is_empty(),
        "{}\n\nrerun one seed with VIGIL_ORACLE_SEED=<seed>",
        report.join("\n\n")
    );
}

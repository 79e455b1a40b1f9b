//! `vigil network analyze`.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use vigil_cli::{InfoFormat, NetworkAnalyzeArgs, NetworkCommand};

/// The largest description file read.
const MAX_FILE: u64 = 256 << 20;

fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?
        .len();
    if len > MAX_FILE {
        bail!("`{}` is larger than {MAX_FILE} bytes", path.display());
    }
    std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
}

pub fn run(cmd: NetworkCommand) -> Result<()> {
    match cmd {
        NetworkCommand::Analyze(a) => analyze(a),
    }
}

fn analyze(a: NetworkAnalyzeArgs) -> Result<()> {
    if a.yaml && a.files.len() != 1 {
        bail!("--yaml takes exactly one file (the model)");
    }
    let files: Vec<(String, Vec<u8>)> = a
        .files
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string());
            Ok((name, read(p)?))
        })
        .collect::<Result<_>>()?;
    if let Some(server) = &a.server {
        let body = if a.yaml {
            json!({"format": "yaml", "model": String::from_utf8_lossy(&files[0].1)})
        } else {
            let mut m = serde_json::Map::new();
            for (name, bytes) in &files {
                m.insert(
                    name.clone(),
                    Value::String(String::from_utf8_lossy(bytes).into_owned()),
                );
            }
            json!({"format": "aws", "files": m})
        };
        let answer = crate::server::post(server, "/vigil/v1/network/analyze", &body)?;
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    let (model, mut problems) = if a.yaml {
        let text = String::from_utf8_lossy(&files[0].1);
        vigil_network::yaml::parse(&text, &files[0].0)?
    } else {
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        vigil_network::aws::import(&refs)
    };
    let analysis = vigil_network::analyze(&model);
    problems.extend(analysis.problems.iter().cloned());
    for p in &problems {
        eprintln!("ignored: {p}");
    }
    match a.format {
        InfoFormat::Json => {
            let exposures: Vec<Value> = analysis
                .exposures
                .iter()
                .map(|e| {
                    json!({
                        "host": e.host, "interface": e.interface, "publicIp": e.public_ip.to_string(),
                        "protocol": format!("{:?}", e.protocol).to_uppercase(),
                        "ports": {"from": e.ports.from, "to": e.ports.to},
                        "severity": e.severity,
                        "sources": e.sources.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "path": e.path.iter().map(|s| json!({"componentId": s.component_id, "componentType": s.component_type})).collect::<Vec<_>>(),
                        "viaLoadBalancer": e.via_load_balancer.as_ref().map(|(lb, port)| json!({"id": lb, "listenerPort": port})),
                        "listening": e.listening,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "hosts": model.hosts.len(),
                    "exposures": exposures,
                    "problems": problems.iter().map(|p| json!({"origin": p.origin, "path": p.path, "message": p.message})).collect::<Vec<_>>(),
                }))?
            );
        }
        InfoFormat::Table => {
            println!(
                "{} hosts, {} exposures, {} problems",
                model.hosts.len(),
                analysis.exposures.len(),
                problems.len()
            );
            if !analysis.exposures.is_empty() {
                println!(
                    "{:<9} {:<24} {:<16} {:<5} {:<11} {:<22} PATH",
                    "SEVERITY", "HOST", "ADDRESS", "PROTO", "PORTS", "SOURCES"
                );
            }
            for e in &analysis.exposures {
                let ports = if e.ports.from == e.ports.to {
                    e.ports.from.to_string()
                } else {
                    format!("{}-{}", e.ports.from, e.ports.to)
                };
                let sources = match e.sources.len() {
                    1 => e.sources[0].to_string(),
                    n => format!("{} (+{} more)", e.sources[0], n - 1),
                };
                let path: Vec<&str> = e.path.iter().map(|s| s.component_id.as_str()).collect();
                println!(
                    "{:<9} {:<24} {:<16} {:<5} {:<11} {:<22} {}",
                    e.severity,
                    e.host,
                    e.public_ip,
                    format!("{:?}", e.protocol).to_uppercase(),
                    ports,
                    sources,
                    path.join(" > ")
                );
            }
        }
    }
    Ok(())
}

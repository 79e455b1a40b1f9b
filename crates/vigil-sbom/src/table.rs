use vigil_types::Inventory;

/// A human table: one line per package, then a summary.
pub fn render_table(inv: &Inventory) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "NAME".into(),
        "VERSION".into(),
        "TYPE".into(),
        "LAYER".into(),
        "LOCATION".into(),
    ]];
    for p in &inv.packages {
        let loc = p.locations.first();
        let layer = loc
            .and_then(|l| l.layer.as_ref())
            .map(|l| {
                let short = l
                    .digest
                    .split_once(':')
                    .map_or(l.digest.as_str(), |(_, h)| h);
                format!("{}:{}", l.index, &short[..short.len().min(12)])
            })
            .unwrap_or_default();
        let mut path = loc.map(|l| l.path.clone()).unwrap_or_default();
        if p.locations.len() > 1 {
            path.push_str(&format!(" (+{})", p.locations.len() - 1));
        }
        let mut kind = p.ecosystem.as_str().to_owned();
        if p.owner.is_some() {
            kind.push('*');
        }
        if p.kind == vigil_types::PackageKind::Declared {
            kind.push_str(" (declared)");
        }
        rows.push([p.name.clone(), p.version.clone(), kind, layer, path]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        for (i, w) in widths.iter().enumerate() {
            out.push_str(&r[i]);
            out.push_str(&" ".repeat(w - r[i].chars().count() + 2));
        }
        out.push_str(&r[4]);
        out.push('\n');
    }
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in &inv.packages {
        *counts.entry(p.ecosystem.as_str()).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    out.push('\n');
    if let Some(d) = &inv.distro {
        out.push_str(&format!(
            "distro: {} {}\n",
            d.id,
            d.version_id.as_deref().unwrap_or("")
        ));
    }
    out.push_str(&format!(
        "{} packages ({})\n",
        inv.packages.len(),
        summary.join(", ")
    ));
    if inv.packages.iter().any(|p| p.owner.is_some()) {
        out.push_str("* installed by an OS package\n");
    }
    if inv
        .packages
        .iter()
        .any(|p| p.kind == vigil_types::PackageKind::Declared)
    {
        out.push_str("(declared): named by a lockfile or manifest, not seen installed\n");
    }
    let warnings = inv
        .notes
        .iter()
        .filter(|n| n.level != vigil_types::NoteLevel::Info)
        .count();
    if warnings > 0 {
        out.push_str(&format!(
            "{warnings} warnings (see --format json `notes`)\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_types::{Ecosystem, Package, TargetInfo};

    #[test]
    fn declared_and_owned_packages_are_marked() {
        let mut owned = Package::new(Ecosystem::PyPi, "six", "1.16.0", "t");
        owned.owner = Some(vigil_types::OwnerRef {
            ecosystem: Ecosystem::Deb,
            name: "python3-six".into(),
        });
        let inv = Inventory {
            target: TargetInfo {
                kind: "dir".into(),
                name: "/x".into(),
                image: None,
            },
            distro: None,
            packages: vec![
                Package::new(Ecosystem::PyPi, "requests", "2.19.0", "t").declared(),
                owned,
            ],
            notes: vec![],
        };
        let t = render_table(&inv);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[1].starts_with("requests") && lines[1].contains("pypi (declared)"),
            "{t}"
        );
        assert!(
            lines[2].starts_with("six") && lines[2].contains("pypi*"),
            "{t}"
        );
        assert!(t.contains("2 packages (pypi: 2)"), "{t}");
    }
}

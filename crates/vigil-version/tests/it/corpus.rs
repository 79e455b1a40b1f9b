//! Real version strings harvested from the offline vulnerability data set (`/work/shared/vulndata`,
//! see its MANIFEST.md): OSV `introduced`/`fixed`/`last_affected`/`limit` events and `versions`
//! lists, plus the versions inside the native advisory formats (Debian DSA/DLA lists, Alpine
//! secdb, rubysec, FriendsOfPHP, Node.js security WG). Each source is read once per test binary
//! and grouped into families (the versions of one package), in file order.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Versions of one package, de-duplicated, in the order they were found.
pub type Family = Vec<String>;

pub fn vulndata() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");
    assert!(
        p.join("MANIFEST.md").is_file(),
        "the vulnerability data set is missing at {} (expected ../shared/vulndata next to the \
         repository checkout)",
        p.display()
    );
    p
}

struct Families(BTreeMap<String, Family>);

impl Families {
    fn new() -> Self {
        Families(BTreeMap::new())
    }

    fn add(&mut self, package: &str, version: &str) {
        let v = version.trim();
        if v.is_empty() || v.len() > 200 {
            return;
        }
        let f = self.0.entry(package.to_owned()).or_default();
        if !f.iter().any(|x| x == v) {
            f.push(v.to_owned());
        }
    }

    fn done(self) -> Vec<Family> {
        self.0.into_values().filter(|f| !f.is_empty()).collect()
    }
}

/// Every entry of a zip archive whose name ends with `suffix`, as text.
fn zip_texts(rel: &str, suffix: &str, mut each: impl FnMut(&str, &str)) {
    let path = vulndata().join(rel);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("zip entry");
        let name = entry.name().to_owned();
        if !name.ends_with(suffix) {
            continue;
        }
        text.clear();
        if entry.read_to_string(&mut text).is_ok() {
            each(&name, &text);
        }
    }
}

/// OSV records in `osv/<dir>/all.zip` for ecosystems whose name (before any `:`) is `ecosystem`.
fn osv_families(dir: &str, ecosystem: &str) -> Vec<Family> {
    let mut fams = Families::new();
    zip_texts(&format!("osv/{dir}/all.zip"), ".json", |name, text| {
        let rec: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{dir}/{name}: {e}"));
        for aff in rec["affected"].as_array().into_iter().flatten() {
            let eco = aff["package"]["ecosystem"].as_str().unwrap_or("");
            if eco.split(':').next() != Some(ecosystem) {
                continue;
            }
            let pkg = format!("{eco}/{}", aff["package"]["name"].as_str().unwrap_or(""));
            for range in aff["ranges"].as_array().into_iter().flatten() {
                if range["type"].as_str() == Some("GIT") {
                    continue;
                }
                for ev in range["events"].as_array().into_iter().flatten() {
                    for key in ["introduced", "fixed", "last_affected", "limit"] {
                        if let Some(v) = ev[key].as_str() {
                            fams.add(&pkg, v);
                        }
                    }
                }
            }
            for v in aff["versions"].as_array().into_iter().flatten() {
                if let Some(v) = v.as_str() {
                    fams.add(&pkg, v);
                }
            }
        }
    });
    fams.done()
}

macro_rules! cached {
    ($(#[$m:meta])* $name:ident, $body:expr) => {
        $(#[$m])*
        pub fn $name() -> &'static [Family] {
            static CELL: OnceLock<Vec<Family>> = OnceLock::new();
            CELL.get_or_init(|| $body)
        }
    };
}

cached!(almalinux, osv_families("AlmaLinux", "AlmaLinux"));
cached!(pypi, osv_families("PyPI", "PyPI"));
cached!(go, osv_families("Go", "Go"));
cached!(crates_io, osv_families("crates.io", "crates.io"));
cached!(bitnami, osv_families("Bitnami", "Bitnami"));

cached!(
    /// Debian DSA/DLA lists: `\t[release] - source-package version`.
    debian, {
    let mut fams = Families::new();
    for list in ["DSA.list", "DLA.list"] {
        let path = vulndata().join("distro/debian-tracker").join(list);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix('[') else {
                continue;
            };
            let Some((_, rest)) = rest.split_once("] - ") else {
                continue;
            };
            let mut words = rest.split_whitespace();
            if let (Some(pkg), Some(ver)) = (words.next(), words.next())
                && !ver.starts_with('<')
            {
                fams.add(pkg, ver);
            }
        }
    }
    fams.done()
});

cached!(
    /// Alpine secdb (legacy YAML): the keys under `secfixes:`.
    alpine, {
    let mut fams = Families::new();
    let root = vulndata().join("distro/alpine-secdb-legacy");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flat_map(|d| std::fs::read_dir(d.expect("dir entry").path()).expect("release dir"))
        .map(|e| e.expect("file entry").path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("secdb yaml");
        let mut pkg = String::new();
        for line in text.lines() {
            let t = line.trim();
            if let Some(name) = t.strip_prefix("name:") {
                pkg = name.trim().to_owned();
            } else if line.starts_with("        ")
                && !line.starts_with("         ")
                && let Some(key) = t.strip_suffix(':')
            {
                fams.add(&pkg, key.trim_matches(['"', '\'']));
            }
        }
    }
    fams.done()
});

/// The version operands of a constraint list such as `">= 5.2.4.3"`, `'<2.0.5'`,
/// `~> 5.2.4, >= 5.2.4.3`, `<1.2.3 || >=2.0.0 <2.1.0`, `^8.1.4`.
pub fn constraint_operands(c: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in c.split([',', ' ', '|']) {
        let v = part
            .trim_matches(['"', '\'', '[', ']'])
            .trim_start_matches(['<', '>', '=', '~', '^', '!']);
        if v.is_empty() || !v.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        if matches!(v, "x" | "X" | "*" | "-" | "||") {
            continue;
        }
        out.push(v.to_owned());
    }
    out
}

cached!(
    /// rubysec: `patched_versions` / `unaffected_versions` requirement lists.
    rubysec, {
    let mut fams = Families::new();
    zip_texts(
        "native/rubygems-rubysec/ruby-advisory-db.zip",
        ".yml",
        |_, text| {
            let mut gem = String::new();
            let mut in_list = false;
            for line in text.lines() {
                if let Some(g) = line.strip_prefix("gem:").or(line.strip_prefix("engine:")) {
                    gem = g.trim().to_owned();
                }
                if line.starts_with("patched_versions:") || line.starts_with("unaffected_versions:")
                {
                    in_list = true;
                    continue;
                }
                if in_list {
                    match line.trim_start().strip_prefix("- ") {
                        Some(item) => {
                            for v in constraint_operands(item) {
                                fams.add(&gem, &v);
                            }
                        }
                        None => in_list = false,
                    }
                }
            }
        },
    );
    fams.done()
});

cached!(
    /// FriendsOfPHP security advisories: `versions: ['>=2.0.0', '<2.0.5']`.
    packagist, {
    let mut fams = Families::new();
    zip_texts(
        "native/packagist-friendsofphp/security-advisories.zip",
        ".yaml",
        |name, text| {
            let pkg = name.rsplit_once('/').map_or(name, |(d, _)| d);
            for line in text.lines() {
                if let Some(list) = line.trim_start().strip_prefix("versions:") {
                    for item in list.split(',') {
                        for v in constraint_operands(item) {
                            fams.add(pkg, &v);
                        }
                    }
                }
            }
        },
    );
    fams.done()
});

cached!(
    /// Node.js security WG: npm `vulnerable_versions`/`patched_versions`, core `vulnerable`/`patched`.
    npm_wg, {
    let mut fams = Families::new();
    zip_texts("native/npm-nodejs-security-wg/vuln.zip", ".json", |name, text| {
        let Ok(rec) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        let pkg = rec["module_name"].as_str().unwrap_or(if name.contains("core") {
            "node"
        } else {
            name
        });
        for key in ["vulnerable_versions", "patched_versions", "vulnerable", "patched"] {
            if let Some(c) = rec[key].as_str() {
                for v in constraint_operands(c) {
                    fams.add(pkg, &v);
                }
            }
        }
    });
    fams.done()
});

/// All distinct versions of the given families.
pub fn flatten(sets: &[&[Family]]) -> Vec<String> {
    let mut all: Vec<String> = sets
        .iter()
        .flat_map(|s| s.iter().flatten().cloned())
        .collect();
    all.sort();
    all.dedup();
    all
}

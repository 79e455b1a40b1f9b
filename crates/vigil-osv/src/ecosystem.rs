//! OSV ecosystem strings and package-name normalisation.
//!
//! The database indexes every `affected[]` entry under `(ecosystem, normalised name)`, and the
//! matcher looks packages up under the same key, so both sides use [`index_key`].
//!
//! Name rules (what each ecosystem's registry treats as the same package):
//! - PyPI: PEP 503 (`lowercase`, runs of `-`, `_`, `.` become one `-`).
//! - NuGet, Packagist: case-insensitive (lowercased).
//! - Maven: `groupId:artifactId`, lowercased (Maven Central forbids coordinates that differ only
//!   by case, and advisories are inconsistent in case).
//! - crates.io: lowercased with `_` as `-` (crates.io treats them as one name).
//! - everything else (npm, Go, RubyGems, distributions): exact.

/// The base of an OSV ecosystem string: `Debian:12` -> `Debian`, `Ubuntu:Pro:22.04:LTS` -> `Ubuntu`.
pub fn base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem)
}

/// The ecosystem as stored in the index. Release suffixes are kept (`Debian:12`, `Alpine:v3.18`,
/// `AlmaLinux:9`) because distribution records are per release; whitespace is trimmed.
pub fn index_ecosystem(ecosystem: &str) -> String {
    ecosystem.trim().to_owned()
}

/// The name as stored in the index, normalised by the ecosystem's rules (see the module docs).
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    let name = name.trim();
    match base(ecosystem) {
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.extend(c.to_lowercase());
                }
            }
            out
        }
        "NuGet" | "Packagist" | "Maven" => name.to_lowercase(),
        "crates.io" => name.to_lowercase().replace('_', "-"),
        _ => name.to_owned(),
    }
}

/// The `(ecosystem, name)` key under which an advisory's package is indexed.
pub fn index_key(ecosystem: &str, name: &str) -> (String, String) {
    (index_ecosystem(ecosystem), normalize_name(ecosystem, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_name("PyPI", "Django"), "django");
        assert_eq!(normalize_name("PyPI", "zope.interface"), "zope-interface");
        assert_eq!(normalize_name("PyPI", "A__b-._C"), "a-b-c");
    }

    #[test]
    fn case_rules() {
        assert_eq!(
            normalize_name("NuGet", "Newtonsoft.Json"),
            "newtonsoft.json"
        );
        assert_eq!(normalize_name("Maven", "org.Apache:Foo"), "org.apache:foo");
        assert_eq!(normalize_name("crates.io", "Serde_JSON"), "serde-json");
        assert_eq!(normalize_name("npm", "JSONStream"), "JSONStream");
        assert_eq!(normalize_name("Debian:12", "openssl"), "openssl");
        assert_eq!(base("Ubuntu:Pro:22.04:LTS"), "Ubuntu");
    }
}

//! Java archives (`.jar`, `.war`, `.ear`, Jenkins `.jpi`/`.hpi`, JBoss `.sar`, `.par`): the
//! Maven artifacts they contain, including those of archives nested in them.
//!
//! What identifies a package, in order:
//!
//! 1. every `META-INF/maven/<group>/<artifact>/pom.properties` (written by Maven for the
//!    artifact itself, and copied into shaded jars for every artifact shaded in): one package
//!    `groupId:artifactId` at `version` for each;
//! 2. when there is none, `META-INF/MANIFEST.MF`'s main section: the group is
//!    `Implementation-Vendor-Id`, or else `Bundle-SymbolicName`, when it looks like a group
//!    (dotted lower-case words); the artifact is `Implementation-Title` or `Bundle-Name` when
//!    it is a single word, else the name part of the file name; the version is
//!    `Implementation-Version`, `Bundle-Version` or the file name's;
//! 3. else the file name (`name-1.2.3.jar`: the version starts at the first `-` followed by a
//!    digit). An archive where no version is found at all gives a warning.
//!
//! `metadata["found_in"]` says which (`pom.properties`, `MANIFEST.MF`, `file name`).
//!
//! This differs from Syft, which always reports the archive itself from its file name and
//! manifest (the file name's version first, then `Implementation-Version`, ...) and then adds
//! one package per `pom.properties`, merging the one matching the file name into it. Here
//! `pom.properties` wins whenever there is one, because it is the only source of the
//! `groupId:artifactId` coordinates that Maven advisories name, and a renamed jar
//! (`app.jar`, `log4j.jar` in `/usr/share/java`) keeps its identity; the manifest and the file
//! name are guesses used only without it, so a shaded jar gives exactly one package per
//! artifact in it.
//!
//! Nested archives (`WEB-INF/lib/*.jar` in wars, `BOOT-INF/lib/*.jar` in Spring Boot jars,
//! modules of ears, any entry with one of the extensions above) are read in memory and
//! cataloged the same way, down to four levels of nesting. Their packages are located at
//! `<outer path>:<entry name>` (`/app/app.war:WEB-INF/lib/slf4j-api.jar`), further levels
//! appending `:<entry name>` again. Packages of the archive itself are left at its path.
//!
//! Hostile archives are bounded (more tightly than by `vigil_source::Limits`' zip fields,
//! which govern streamed zips: here every nested archive is held in memory while it is read,
//! so the ratio rule is the same but the sizes are smaller): an entry is read only if its
//! declared size is at most
//! 256 MiB, if entries over 1 MiB compress by at most 200 to 1, and if the total
//! uncompressed data read from one archive, nested ones included, stays within 1 GiB; at
//! most 100 000 entries are accepted in all; entries are read through `take(declared size)`
//! so that a lying size cannot inflate further. An entry that breaks a limit is skipped
//! with a warning. An archive that cannot be opened as a zip is an error for the file
//! itself and a warning for a nested one.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Location, Package};
use zip::ZipArchive;

pub struct JavaArchive;

const NAME: &str = "java-archive";

/// Java archives: libraries, web and enterprise applications, Jenkins plugins, JBoss service
/// and Java EE persistence archives.
const EXTENSIONS: [&str; 7] = [".jar", ".war", ".ear", ".jpi", ".hpi", ".sar", ".par"];

/// Largest `pom.properties` or manifest read.
const MAX_METADATA: u64 = 1 << 20;

/// Whether a file name has a Java archive extension.
pub(crate) fn is_java_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

impl Cataloger for JavaArchive {
    fn name(&self) -> &'static str {
        NAME
    }
    fn version(&self) -> u32 {
        2
    }
    fn tags(&self) -> Tags {
        Tags {
            os: false,
            installed: true,
        }
    }
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        meta.kind == vigil_source::EntryKind::File && is_java_archive(file_name(path))
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for p in read_java_archive(&bytes, file.path, Limits::default(), out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Limits on what is read from an archive and the archives nested in it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting read (the file itself is level 0).
    pub max_depth: u32,
    /// Largest declared uncompressed size of an entry read.
    pub max_entry: u64,
    /// Largest uncompressed/compressed ratio of an entry over `ratio_from` bytes.
    pub max_ratio: u64,
    pub ratio_from: u64,
    /// Most uncompressed bytes read in all.
    pub max_total: u64,
    /// Most entries in all the archives together.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 4,
            max_entry: 256 << 20,
            max_ratio: 200,
            ratio_from: 1 << 20,
            max_total: 1 << 30,
            max_entries: 100_000,
        }
    }
}

struct Budget {
    limits: Limits,
    total: u64,
    entries: u64,
}

/// Catalog an archive held in memory; `path` is its location.
pub fn read_java_archive(
    bytes: &[u8],
    path: &str,
    limits: Limits,
    out: &mut Sink,
) -> Result<Vec<Package>, CatalogError> {
    let mut budget = Budget {
        limits,
        total: 0,
        entries: 0,
    };
    let mut found = Vec::new();
    read_archive(
        bytes,
        path,
        file_name(path),
        0,
        &mut budget,
        &mut found,
        out,
    )?;
    Ok(found)
}

/// Read one archive (and its nested ones). `loc` is its location string; `depth` 0 is the
/// scanned file itself.
fn read_archive(
    bytes: &[u8],
    loc: &str,
    fname: &str,
    depth: u32,
    budget: &mut Budget,
    found: &mut Vec<Package>,
    out: &mut Sink,
) -> Result<(), CatalogError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| CatalogError::parse(format!("not a readable Java archive: {e}")))?;
    budget.entries = budget.entries.saturating_add(zip.len() as u64);
    if budget.entries > budget.limits.max_entries {
        return Err(CatalogError::parse(format!(
            "more than {} zip entries: not read",
            budget.limits.max_entries
        )));
    }
    let mut poms = Vec::new();
    let mut manifest = None;
    let mut nested = Vec::new();
    for i in 0..zip.len() {
        let Some(name) = zip.name_for_index(i) else {
            continue;
        };
        if is_pom_properties(name) {
            poms.push(i);
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest = Some(i);
        } else if !name.ends_with('/') && is_java_archive(name) {
            nested.push(i);
        }
    }
    // notes about the scanned file itself are attached to its path already
    let at = if depth > 0 {
        format!("{loc}: ")
    } else {
        String::new()
    };
    let location = (depth > 0).then(|| Location {
        path: loc.to_owned(),
        layer: None,
    });
    let mut mine: Vec<Package> = Vec::new();
    for i in poms {
        let data = match read_entry(&mut zip, i, MAX_METADATA, budget) {
            Ok(d) => d,
            Err(e) => {
                out.warn(format!("{at}{e}"));
                continue;
            }
        };
        let props = properties(&String::from_utf8_lossy(&data));
        let get = |k: &str| {
            props
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        match (get("groupId"), get("artifactId"), get("version")) {
            (Some(g), Some(a), Some(v)) => mine.push(
                Package::new(Ecosystem::Maven, format!("{g}:{a}"), v, NAME)
                    .with_meta("found_in", "pom.properties"),
            ),
            _ => {
                let name = zip.name_for_index(i).unwrap_or_default();
                out.warn(format!("{at}{name} lacks groupId, artifactId or version"));
            }
        }
    }
    if mine.is_empty() {
        let mf = match manifest.map(|i| read_entry(&mut zip, i, MAX_METADATA, budget)) {
            Some(Ok(d)) => Some(String::from_utf8_lossy(&d).into_owned()),
            Some(Err(e)) => {
                out.warn(format!("{at}{e}"));
                None
            }
            None => None,
        };
        match identify(mf.as_deref(), fname) {
            Some(p) => mine.push(p),
            None => out.warn(format!(
                "{at}no pom.properties, manifest version or versioned file name: no package"
            )),
        }
    }
    let mut seen = BTreeSet::new();
    for mut p in mine {
        if seen.insert((p.name.clone(), p.version.clone())) {
            if let Some(l) = &location {
                p.locations = vec![l.clone()];
            }
            found.push(p);
        }
    }
    for i in nested {
        let inner = zip.name_for_index(i).unwrap_or_default().to_owned();
        let inner_loc = format!("{loc}:{inner}");
        if depth >= budget.limits.max_depth {
            out.warn(format!(
                "{inner_loc}: nested more than {} archives deep: not read",
                budget.limits.max_depth
            ));
            continue;
        }
        let data = match read_entry(&mut zip, i, budget.limits.max_entry, budget) {
            Ok(d) => d,
            Err(e) => {
                out.warn(format!("{at}{e}"));
                continue;
            }
        };
        if let Err(e) = read_archive(
            &data,
            &inner_loc,
            file_name(&inner),
            depth + 1,
            budget,
            found,
            out,
        ) {
            out.warn(format!("{inner_loc}: {e}"));
        }
    }
    Ok(())
}

/// `META-INF/maven/<group>/<artifact>/pom.properties`.
fn is_pom_properties(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("META-INF/maven/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() == 3 && parts[2] == "pom.properties" && parts.iter().all(|p| !p.is_empty())
}

/// Read one entry within the limits.
fn read_entry(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    i: usize,
    cap: u64,
    budget: &mut Budget,
) -> Result<Vec<u8>, String> {
    let l = budget.limits;
    let mut f = zip.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
    let name = f.name().to_owned();
    let declared = f.size();
    let compressed = f.compressed_size();
    if declared > cap.min(l.max_entry) {
        return Err(format!(
            "{name}: declared size {declared} over the {} byte limit: not read",
            cap.min(l.max_entry)
        ));
    }
    if declared > l.ratio_from && (compressed == 0 || declared / compressed > l.max_ratio) {
        return Err(format!(
            "{name}: compressed {compressed} to {declared} bytes, over {}:1 (zip bomb?): not read",
            l.max_ratio
        ));
    }
    if budget.total.saturating_add(declared) > l.max_total {
        return Err(format!(
            "{name}: over the {} byte limit on data read from one archive: not read",
            l.max_total
        ));
    }
    let mut buf = Vec::with_capacity(declared.min(16 << 20) as usize);
    let res = (&mut f).take(declared).read_to_end(&mut buf);
    budget.total = budget.total.saturating_add(buf.len() as u64);
    res.map_err(|e| format!("{name}: {e}"))?;
    Ok(buf)
}

/// `key=value` / `key: value` lines of a Java properties file (comments skipped, escapes
/// and continuation lines not interpreted: Maven writes neither in `pom.properties`).
fn properties(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let at = line.find(['=', ':']).unwrap_or(line.len());
        let (k, v) = line.split_at(at);
        let v = v.get(1..).unwrap_or_default();
        out.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    out
}

/// The main section of a manifest, continuation lines joined (lines are wrapped at 72
/// bytes, possibly inside a header name).
fn manifest_main(text: &str) -> Vec<(String, String)> {
    let mut logical: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        match (line.strip_prefix(' '), logical.last_mut()) {
            (Some(cont), Some(last)) => last.push_str(cont),
            _ => logical.push(line.to_owned()),
        }
    }
    logical
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// Whether a string looks like a Maven group (`org.apache.commons`).
fn looks_like_group(s: &str) -> bool {
    s.contains('.')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        })
}

/// Whether a string can be an artifact id (one word).
fn looks_like_artifact(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `Some("3.12.0")`).
pub(crate) fn split_file_name(fname: &str) -> (&str, Option<&str>) {
    let stem = fname.rsplit_once('.').map_or(fname, |(s, _)| s);
    let b = stem.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return (&stem[..i], Some(&stem[i + 1..]));
        }
    }
    (stem, None)
}

/// The package of an archive without `pom.properties`, from its manifest and file name.
fn identify(manifest: Option<&str>, fname: &str) -> Option<Package> {
    let fields = manifest.map(manifest_main).unwrap_or_default();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let (file_artifact, file_version) = split_file_name(fname);
    let mf_version = get("Implementation-Version").or_else(|| get("Bundle-Version"));
    let mf_artifact = get("Implementation-Title")
        .filter(|t| looks_like_artifact(t))
        .or_else(|| get("Bundle-Name").filter(|t| looks_like_artifact(t)));
    let group = get("Implementation-Vendor-Id")
        .filter(|g| looks_like_group(g))
        .or_else(|| {
            get("Bundle-SymbolicName")
                .map(|s| s.split(';').next().unwrap_or_default().trim())
                .filter(|g| looks_like_group(g))
        });
    let version = mf_version.or(file_version)?;
    let artifact = mf_artifact.unwrap_or(file_artifact);
    if artifact.is_empty() {
        return None;
    }
    let from_manifest = mf_version.is_some() || mf_artifact.is_some() || group.is_some();
    let name = match group {
        Some(g) => format!("{g}:{artifact}"),
        None => artifact.to_owned(),
    };
    Some(
        Package::new(Ecosystem::Maven, name, version, NAME).with_meta(
            "found_in",
            if from_manifest {
                "MANIFEST.MF"
            } else {
                "file name"
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use vigil_source::EntryKind;

    fn fixture(rel: &str) -> Vec<u8> {
        let p = format!("{}/testdata/java/{rel}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {p}: {e}"))
    }

    fn run(path: &str, data: &[u8]) -> Result<Sink, CatalogError> {
        let meta = EntryMeta {
            kind: EntryKind::File,
            size: data.len() as u64,
            mode: 0o644,
        };
        let mut reader = data;
        let mut input = FileInput::from_reader(path, meta, &mut reader);
        let mut sink = Sink::default();
        JavaArchive.catalog(&mut input, &mut sink)?;
        Ok(sink)
    }

    /// `name@version` and location (empty: the file itself) of each package, sorted.
    fn found(sink: &Sink) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = sink
            .packages()
            .iter()
            .map(|p| {
                (
                    format!("{}@{}", p.name, p.version),
                    p.locations
                        .iter()
                        .map(|l| l.path.clone())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = v
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        v.sort();
        v
    }

    fn zip_of(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, deflate) in entries {
            let method = if *deflate {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .large_file(data.len() > u32::MAX as usize);
            w.start_file(*name, opts).expect("start");
            w.write_all(data).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    #[test]
    fn wanted_paths() {
        let meta = EntryMeta {
            kind: EntryKind::File,
            size: 100,
            mode: 0o644,
        };
        for p in [
            "/a/x.jar",
            "/a/x.WAR",
            "/a/x.ear",
            "/j/plugins/git.jpi",
            "/j/x.hpi",
            "/jboss/deploy/x.sar",
            "/a/x.par",
        ] {
            assert!(JavaArchive.wants(p, &meta), "{p}");
        }
        for p in ["/a/x.zip", "/a/jar", "/a/x.jar.sha1"] {
            assert!(!JavaArchive.wants(p, &meta), "{p}");
        }
    }

    /// Real Debian 12 jars (see `testdata/java/README.md`).
    #[test]
    fn debian_jars() {
        let cases = [
            (
                "slf4j-api.jar",
                "org.slf4j:slf4j-api@1.7.32",
                "pom.properties",
            ),
            (
                "slf4j-jdk14.jar",
                "org.slf4j:slf4j-jdk14@1.7.32",
                "pom.properties",
            ),
            // manifest only: Bundle-SymbolicName as group, Bundle-Name, Bundle-Version
            (
                "guice-servlet.jar",
                "com.google.inject.servlet:guice-servlet@4.2.3",
                "MANIFEST.MF",
            ),
            // manifest only: Bundle-SymbolicName and Bundle-Version, artifact from file name
            (
                "atinject-jsr330-api-1.0.jar",
                "javax.inject:atinject-jsr330-api@1.0.0",
                "MANIFEST.MF",
            ),
            // a manifest without any of the fields: the file name
            ("aopalliance-1.0.jar", "aopalliance@1.0", "file name"),
        ];
        for (file, id, from) in cases {
            let sink = run(&format!("/usr/share/java/{file}"), &fixture(file)).expect(file);
            assert_eq!(found(&sink), pairs(&[(id, "")]), "{file}");
            assert_eq!(sink.packages()[0].metadata["found_in"], from, "{file}");
            assert_eq!(sink.packages()[0].ecosystem, Ecosystem::Maven);
            assert!(sink.notes().is_empty(), "{file}: {:?}", sink.notes());
        }
    }

    #[test]
    fn war_with_nested_jars() {
        let sink = run("/srv/app.war", &fixture("webapp.war")).expect("war");
        assert_eq!(
            found(&sink),
            pairs(&[
                ("com.example:webapp@2.0.1", ""),
                (
                    "org.slf4j:slf4j-api@1.7.32",
                    "/srv/app.war:WEB-INF/lib/slf4j-api-1.7.32.jar"
                ),
                (
                    "aopalliance@1.0",
                    "/srv/app.war:WEB-INF/lib/aopalliance-1.0.jar"
                ),
            ])
        );
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    #[test]
    fn ear_two_levels_deep() {
        let sink = run("/srv/app.ear", &fixture("app.ear")).expect("ear");
        assert_eq!(
            found(&sink),
            pairs(&[
                ("com.example:app-ear@1.0", ""),
                ("com.example:webapp@2.0.1", "/srv/app.ear:webapp.war"),
                (
                    "org.slf4j:slf4j-api@1.7.32",
                    "/srv/app.ear:webapp.war:WEB-INF/lib/slf4j-api-1.7.32.jar"
                ),
                (
                    "aopalliance@1.0",
                    "/srv/app.ear:webapp.war:WEB-INF/lib/aopalliance-1.0.jar"
                ),
            ])
        );
        // one level less allowed: the jars in the war are not read
        let mut sink = Sink::default();
        let limits = Limits {
            max_depth: 1,
            ..Limits::default()
        };
        let pk = read_java_archive(&fixture("app.ear"), "/e.ear", limits, &mut sink).expect("ear");
        assert_eq!(pk.len(), 2);
        assert_eq!(sink.notes().len(), 2, "{:?}", sink.notes());
    }

    /// Archives nested six deep: levels 0 to 4 are read, the fifth nested one is not.
    #[test]
    fn nesting_stops_after_four_levels() {
        let pom = |n: usize| format!("groupId=g\nartifactId=l{n}\nversion=1.{n}\n");
        let mut jar = zip_of(&[(
            "META-INF/maven/g/l5/pom.properties",
            pom(5).as_bytes(),
            true,
        )]);
        for n in (0..5).rev() {
            let props = format!("META-INF/maven/g/l{n}/pom.properties");
            let nested = format!("lib/l{}.jar", n + 1);
            jar = zip_of(&[(&props, pom(n).as_bytes(), true), (&nested, &jar, false)]);
        }
        let sink = run("/d.jar", &jar).expect("deep");
        let deep = |n: usize| -> String {
            let mut p = "/d.jar".to_owned();
            for k in 1..=n {
                p.push_str(&format!(":lib/l{k}.jar"));
            }
            if n == 0 { String::new() } else { p }
        };
        let want: Vec<(String, String)> =
            (0..5).map(|n| (format!("g:l{n}@1.{n}"), deep(n))).collect();
        assert_eq!(
            found(&sink),
            pairs(
                &want
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect::<Vec<_>>()
            )
        );
        assert_eq!(sink.notes().len(), 1, "{:?}", sink.notes());
        assert_eq!(
            sink.notes()[0].1,
            format!("{}: nested more than 4 archives deep: not read", deep(5))
        );
    }

    #[test]
    fn spring_boot_fat_jar() {
        let sink = run("/app/boot.jar", &fixture("boot.jar")).expect("boot");
        assert_eq!(
            found(&sink),
            pairs(&[
                ("com.example:boot-demo@0.0.1-SNAPSHOT", ""),
                (
                    "org.slf4j:slf4j-api@1.7.32",
                    "/app/boot.jar:BOOT-INF/lib/slf4j-api-1.7.32.jar"
                ),
                (
                    "org.slf4j:slf4j-jdk14@1.7.32",
                    "/app/boot.jar:BOOT-INF/lib/slf4j-jdk14-1.7.32.jar"
                ),
            ])
        );
    }

    #[test]
    fn shaded_jar_reports_every_pom_properties() {
        let sink = run("/app/shaded.jar", &fixture("shaded.jar")).expect("shaded");
        assert_eq!(
            found(&sink),
            pairs(&[
                ("com.example:shaded-app@3.1.4", ""),
                ("com.google.code.gson:gson@2.8.9", ""),
            ])
        );
    }

    #[test]
    fn zip_bomb_is_skipped_with_a_warning() {
        let sink = run("/app/bomb.jar", &fixture("bomb.jar")).expect("bomb");
        assert_eq!(found(&sink), pairs(&[("com.example:bomb-carrier@1.0", "")]));
        assert_eq!(sink.notes().len(), 1, "{:?}", sink.notes());
        assert!(sink.notes()[0].1.contains("zip bomb"), "{:?}", sink.notes());
    }

    #[test]
    fn corrupt_jar_is_an_error() {
        let err = run("/app/corrupt.jar", &fixture("corrupt.jar")).expect_err("corrupt");
        assert!(matches!(err, CatalogError::Parse(_)), "{err}");
        assert!(run("/app/empty.jar", b"").is_err());
        // a corrupt nested jar is only a warning
        let outer = zip_of(&[
            ("WEB-INF/lib/broken-1.0.jar", b"PK\x03\x04garbage", false),
            (
                "META-INF/maven/g/a/pom.properties",
                b"groupId=g\nartifactId=a\nversion=1\n",
                true,
            ),
        ]);
        let sink = run("/o.war", &outer).expect("outer");
        assert_eq!(found(&sink), pairs(&[("g:a@1", "")]));
        assert_eq!(sink.notes().len(), 1);
    }

    #[test]
    fn limits_on_sizes_totals_and_entries() {
        let inner = zip_of(&[(
            "META-INF/maven/g/inner/pom.properties",
            b"groupId=g\nartifactId=inner\nversion=1\n",
            false,
        )]);
        let outer = zip_of(&[
            ("lib/inner-1.jar", &inner, false),
            ("lib/inner-2.jar", &inner, false),
            ("lib/inner-3.jar", &inner, false),
        ]);
        // everything fits
        let mut sink = Sink::default();
        let pk = read_java_archive(&outer, "/o-5.jar", Limits::default(), &mut sink).expect("o");
        assert_eq!(pk.len(), 4, "{pk:?}"); // three nested and the file name
        // the total budget runs out after the first nested jar
        let mut sink = Sink::default();
        let limits = Limits {
            max_total: inner.len() as u64 + 100,
            ..Limits::default()
        };
        let pk = read_java_archive(&outer, "/o-5.jar", limits, &mut sink).expect("o");
        assert_eq!(pk.len(), 2, "{pk:?}");
        assert_eq!(sink.notes().len(), 2, "{:?}", sink.notes());
        // entry size limit
        let mut sink = Sink::default();
        let limits = Limits {
            max_entry: 10,
            ..Limits::default()
        };
        let pk = read_java_archive(&outer, "/o-5.jar", limits, &mut sink).expect("o");
        assert_eq!(pk.len(), 1);
        assert!(sink.notes()[0].1.contains("declared size"));
        // entry count limit
        let mut sink = Sink::default();
        let limits = Limits {
            max_entries: 3,
            ..Limits::default()
        };
        let pk = read_java_archive(&outer, "/o-5.jar", limits, &mut sink).expect("o");
        assert_eq!(pk.len(), 1);
        assert_eq!(sink.notes().len(), 3);
        assert!(
            read_java_archive(
                &outer,
                "/o-5.jar",
                Limits {
                    max_entries: 2,
                    ..limits
                },
                &mut sink
            )
            .is_err()
        );
    }

    /// An entry whose central directory claims a size over the limit is not inflated.
    #[test]
    fn lying_declared_size() {
        let inner = zip_of(&[(
            "META-INF/maven/g/inner/pom.properties",
            b"groupId=g\nartifactId=inner\nversion=1\n",
            false,
        )]);
        let mut outer = zip_of(&[("lib/inner.jar", &inner, false)]);
        // patch the uncompressed size in the central directory entry (offset 24 of "PK\1\2")
        let cd = memchr::memmem::rfind(&outer, b"PK\x01\x02").expect("central directory");
        outer[cd + 24..cd + 28].copy_from_slice(&(300u32 << 20).to_le_bytes());
        let sink = run("/o.jar", &outer).expect("o");
        assert_eq!(found(&sink), pairs(&[]));
        assert!(
            sink.notes().iter().any(|n| n.1.contains("declared size")),
            "{:?}",
            sink.notes()
        );
        // claiming less than the real size: only that much is read, the nested jar fails
        let mut outer = zip_of(&[("lib/inner-1.0.jar", &inner, false)]);
        let cd = memchr::memmem::rfind(&outer, b"PK\x01\x02").expect("central directory");
        outer[cd + 24..cd + 28].copy_from_slice(&20u32.to_le_bytes());
        let sink = run("/o.jar", &outer).expect("o");
        assert!(sink.packages().is_empty());
        assert_eq!(sink.notes().len(), 2, "{:?}", sink.notes());
        assert!(
            sink.notes()[1]
                .1
                .starts_with("/o.jar:lib/inner-1.0.jar: not a readable Java archive"),
            "{:?}",
            sink.notes()
        );
    }

    #[test]
    fn names_and_manifests() {
        assert_eq!(
            split_file_name("commons-lang3-3.12.0.jar"),
            ("commons-lang3", Some("3.12.0"))
        );
        assert_eq!(
            split_file_name("guava-31.1-jre.jar"),
            ("guava", Some("31.1-jre"))
        );
        assert_eq!(split_file_name("app.jar"), ("app", None));
        let mf = "Manifest-Version: 1.0\r\nImplementation-Title: my-lib\r\nImplementation-Vers\r\n ion: 2.3\r\nImplementation-Vendor-Id: org.example\r\n\r\nName: x\r\nImplementation-Version: 9\r\n";
        let p = identify(Some(mf), "whatever.jar").expect("pkg");
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("org.example:my-lib", "2.3")
        );
        // a title with spaces and a vendor that is not a group
        let mf = "Implementation-Title: My Library\nImplementation-Vendor-Id: ACME Corp\nBundle-SymbolicName: org.acme.lib;singleton:=true\n";
        let p = identify(Some(mf), "mylib-1.0.jar").expect("pkg");
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("org.acme.lib:mylib", "1.0")
        );
        assert!(identify(Some("Manifest-Version: 1.0\n"), "app.jar").is_none());
        assert!(identify(None, "app.jar").is_none());
        // a pom.properties without version: a warning, then the file name
        let jar = zip_of(&[(
            "META-INF/maven/g/a/pom.properties",
            b"groupId=g\nartifactId=a\n",
            true,
        )]);
        let sink = run("/x/a-1.0.jar", &jar).expect("jar");
        assert_eq!(found(&sink), pairs(&[("a@1.0", "")]));
        assert_eq!(sink.notes().len(), 1);
    }
}

//! Rust binaries built with `cargo auditable`: the crates recorded in their `.dep-v0` ELF
//! section.
//!
//! `cargo auditable build` links a section named `.dep-v0` holding zlib-compressed JSON:
//! `{"packages":[{"name","version","source","kind","dependencies","root"}]}` (format of the
//! `auditable-serde` crate). The section is found by reading the ELF section headers and the
//! section name string table by hand (ELF32 and ELF64, either byte order), every offset and
//! size checked against the file. Only ELF is read (Mach-O and PE binaries carry the data in
//! differently named sections; not handled here). Files are held in memory whole, so ELF
//! files over 64 MiB are skipped with a warning; the JSON is inflated to at most 8 MiB.
//!
//! Reported: every package except those of `kind: "build"`. `auditable` marks as `build` the
//! crates used only while compiling (build-script dependencies and what only they pull in,
//! and proc-macros): their code is not in the binary, so advisories about them do not
//! describe what runs, and Cargo.lock-level tooling reports them already. Syft, Trivy and
//! osv-scalibr (by default) keep only `runtime` packages too. Packages whose
//! `source` is `local` (the crate being built and path dependencies) are local code, as in
//! the `Cargo.lock` cataloger, and are not reported; `git`, `registry` and other sources are
//! reported with `metadata["source"]`. The root package, when reported (for instance a binary
//! installed with `cargo install` from crates.io), gets `metadata["root"] = "true"`.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags};
use flate2::read::ZlibDecoder;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::io::Read;
use vigil_source::{EntryKind, EntryMeta};
use vigil_types::{Ecosystem, Package};

pub struct RustAuditBinary;

const NAME: &str = "rust-audit-binary";

/// Largest ELF file read.
const MAX_ELF: u64 = 64 << 20;
/// Largest inflated dependency list.
const MAX_JSON: u64 = 8 << 20;
/// Smallest file looked at (skips scripts and links; no ELF with sections is this small).
const MIN_SIZE: u64 = 1024;
/// The section name.
const SECTION: &[u8] = b".dep-v0";

impl Cataloger for RustAuditBinary {
    fn name(&self) -> &'static str {
        NAME
    }
    fn tags(&self) -> Tags {
        Tags {
            os: false,
            installed: true,
        }
    }
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        meta.kind == EntryKind::File
            && meta.size >= MIN_SIZE
            && (meta.is_executable() || path.contains("/bin/") || path.contains("/sbin/"))
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let mut head = [0u8; 4];
        let mut got = 0;
        let r = file.reader();
        while got < 4 {
            match r.read(&mut head[got..]) {
                Ok(0) => return Ok(()),
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        if &head != b"\x7fELF" {
            return Ok(());
        }
        if file.meta.size > MAX_ELF {
            out.warn(format!(
                "ELF file of {} bytes over the {MAX_ELF} byte limit: cargo auditable data not read",
                file.meta.size
            ));
            return Ok(());
        }
        let mut data = head.to_vec();
        file.reader().take(MAX_ELF).read_to_end(&mut data)?;
        if data.len() as u64 > MAX_ELF {
            out.warn(format!(
                "ELF file over the {MAX_ELF} byte limit: cargo auditable data not read"
            ));
            return Ok(());
        }
        let Some(section) = find_section(&data, SECTION)? else {
            return Ok(());
        };
        for p in parse_dep_v0(section, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Reads fixed-size integers at bounds-checked offsets in one byte order.
struct Elf<'a> {
    data: &'a [u8],
    le: bool,
    is64: bool,
}

impl<'a> Elf<'a> {
    fn bytes<const N: usize>(&self, at: u64) -> Result<[u8; N], CatalogError> {
        usize::try_from(at)
            .ok()
            .and_then(|at| self.data.get(at..at.checked_add(N)?))
            .and_then(|s| <[u8; N]>::try_from(s).ok())
            .ok_or_else(|| CatalogError::parse(format!("ELF: read past the end at offset {at}")))
    }
    fn u16(&self, at: u64) -> Result<u64, CatalogError> {
        let b = self.bytes::<2>(at)?;
        Ok(u64::from(if self.le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }))
    }
    fn u32(&self, at: u64) -> Result<u64, CatalogError> {
        let b = self.bytes::<4>(at)?;
        Ok(u64::from(if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }))
    }
    fn u64(&self, at: u64) -> Result<u64, CatalogError> {
        let b = self.bytes::<8>(at)?;
        Ok(if self.le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }
    /// A word: 4 bytes in ELF32, 8 in ELF64.
    fn word(&self, at: u64) -> Result<u64, CatalogError> {
        if self.is64 {
            self.u64(at)
        } else {
            self.u32(at)
        }
    }
    fn slice(&self, offset: u64, size: u64) -> Result<&'a [u8], CatalogError> {
        let data: &'a [u8] = self.data;
        usize::try_from(offset)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(o, s)| data.get(o..o.checked_add(s)?))
            .ok_or_else(|| {
                CatalogError::parse(format!(
                    "ELF: section at offset {offset} of {size} bytes is outside the file"
                ))
            })
    }
}

/// One section header: (name offset, type, file offset, size, link).
struct Shdr {
    name: u64,
    kind: u64,
    offset: u64,
    size: u64,
    link: u64,
}

/// The contents of the named section, if the ELF file has one.
pub fn find_section<'a>(data: &'a [u8], wanted: &[u8]) -> Result<Option<&'a [u8]>, CatalogError> {
    if data.len() < 16 || !data.starts_with(b"\x7fELF") {
        return Err(CatalogError::parse("not an ELF file"));
    }
    let is64 = match data[4] {
        1 => false,
        2 => true,
        c => return Err(CatalogError::parse(format!("ELF: unknown class {c}"))),
    };
    let le = match data[5] {
        1 => true,
        2 => false,
        d => return Err(CatalogError::parse(format!("ELF: unknown byte order {d}"))),
    };
    let elf = Elf { data, le, is64 };
    let (shoff, shentsize, mut shnum, mut shstrndx) = if is64 {
        (
            elf.u64(0x28)?,
            elf.u16(0x3a)?,
            elf.u16(0x3c)?,
            elf.u16(0x3e)?,
        )
    } else {
        (
            elf.u32(0x20)?,
            elf.u16(0x2e)?,
            elf.u16(0x30)?,
            elf.u16(0x32)?,
        )
    };
    if shoff == 0 {
        // no section headers (fully stripped with sstrip, or not linked)
        return Ok(None);
    }
    let min_ent = if is64 { 64 } else { 40 };
    if shentsize < min_ent {
        return Err(CatalogError::parse(format!(
            "ELF: section header size {shentsize} too small"
        )));
    }
    let shdr = |i: u64| -> Result<Shdr, CatalogError> {
        let at = i
            .checked_mul(shentsize)
            .and_then(|o| o.checked_add(shoff))
            .ok_or_else(|| CatalogError::parse("ELF: section header offset overflows"))?;
        let w = if is64 { 8 } else { 4 };
        Ok(Shdr {
            name: elf.u32(at)?,
            kind: elf.u32(at + 4)?,
            // sh_flags and sh_addr are one word each
            offset: elf.word(at + 8 + 2 * w)?,
            size: elf.word(at + 8 + 3 * w)?,
            link: elf.u32(at + 8 + 4 * w)?,
        })
    };
    // more than 0xff00 sections: the real count and string table index are in section 0
    if shnum == 0 {
        shnum = shdr(0)?.size;
    }
    if shstrndx == 0xffff {
        shstrndx = shdr(0)?.link;
    }
    let table_len = shnum.saturating_mul(shentsize);
    if shoff.saturating_add(table_len) > data.len() as u64 {
        return Err(CatalogError::parse(format!(
            "ELF: {shnum} section headers at offset {shoff} run past the end of the file"
        )));
    }
    if shstrndx >= shnum {
        return Err(CatalogError::parse(format!(
            "ELF: section name table index {shstrndx} out of range"
        )));
    }
    let strtab = shdr(shstrndx)?;
    let names = elf.slice(strtab.offset, strtab.size)?;
    for i in 0..shnum {
        let s = shdr(i)?;
        let Some(name) = usize::try_from(s.name).ok().and_then(|n| names.get(n..)) else {
            continue;
        };
        let name = name.split(|&b| b == 0).next().unwrap_or_default();
        if name == wanted {
            // SHT_NOBITS: no bytes in the file
            if s.kind == 8 {
                return Ok(None);
            }
            return elf.slice(s.offset, s.size).map(Some);
        }
    }
    Ok(None)
}

#[derive(Deserialize)]
struct VersionInfo {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    source: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

/// Inflate and read a `.dep-v0` section.
pub fn parse_dep_v0(section: &[u8], out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let mut json = Vec::new();
    ZlibDecoder::new(section)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| CatalogError::parse(format!(".dep-v0: cannot inflate: {e}")))?;
    if json.len() as u64 > MAX_JSON {
        return Err(CatalogError::parse(format!(
            ".dep-v0: dependency list inflates to over {MAX_JSON} bytes"
        )));
    }
    let info: VersionInfo = serde_json::from_slice(&json)
        .map_err(|e| CatalogError::parse(format!(".dep-v0: invalid dependency list: {e}")))?;
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for p in info.packages {
        if p.kind.as_deref() == Some("build") || p.source == "local" {
            continue;
        }
        if p.name.is_empty() || p.version.is_empty() {
            out.warn(".dep-v0: package without name or version");
            continue;
        }
        if !seen.insert((p.name.clone(), p.version.clone())) {
            continue;
        }
        let mut pkg = Package::new(Ecosystem::Cargo, p.name, p.version, NAME);
        if p.source != "crates.io" {
            pkg.metadata.insert("source".to_owned(), p.source);
        }
        if p.root {
            pkg.metadata.insert("root".to_owned(), "true".to_owned());
        }
        found.push(pkg);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    fn fixture(rel: &str) -> Vec<u8> {
        let p = format!("{}/testdata/rust/{rel}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {p}: {e}"))
    }

    fn run(data: &[u8]) -> Result<Sink, CatalogError> {
        let meta = EntryMeta {
            kind: EntryKind::File,
            size: data.len() as u64,
            mode: 0o755,
        };
        let mut reader = data;
        let mut input = FileInput::from_reader("/usr/local/bin/app", meta, &mut reader);
        let mut sink = Sink::default();
        RustAuditBinary.catalog(&mut input, &mut sink)?;
        Ok(sink)
    }

    fn ids(sink: &Sink) -> Vec<String> {
        let mut v: Vec<String> = sink
            .packages()
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        v.sort();
        v
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    /// A minimal ELF file with a null section, the named section and `.shstrtab`.
    fn elf(is64: bool, le: bool, name: &[u8], contents: &[u8]) -> Vec<u8> {
        let (ehsize, shentsize) = if is64 { (64usize, 64usize) } else { (52, 40) };
        let mut strtab = b"\0.shstrtab\0".to_vec();
        let name_off = strtab.len();
        strtab.extend_from_slice(name);
        strtab.push(0);
        let contents_off = ehsize;
        let strtab_off = contents_off + contents.len();
        let shoff = strtab_off + strtab.len();
        let mut d = vec![0u8; shoff + 3 * shentsize];
        d[..4].copy_from_slice(b"\x7fELF");
        d[4] = if is64 { 2 } else { 1 };
        d[5] = if le { 1 } else { 2 };
        d[6] = 1;
        let put = |d: &mut Vec<u8>, at: usize, v: u64, n: usize| {
            let b = if le { v.to_le_bytes() } else { v.to_be_bytes() };
            if le {
                d[at..at + n].copy_from_slice(&b[..n]);
            } else {
                d[at..at + n].copy_from_slice(&b[8 - n..]);
            }
        };
        if is64 {
            put(&mut d, 0x28, shoff as u64, 8);
            put(&mut d, 0x3a, shentsize as u64, 2);
            put(&mut d, 0x3c, 3, 2);
            put(&mut d, 0x3e, 2, 2);
        } else {
            put(&mut d, 0x20, shoff as u64, 4);
            put(&mut d, 0x2e, shentsize as u64, 2);
            put(&mut d, 0x30, 3, 2);
            put(&mut d, 0x32, 2, 2);
        }
        d[contents_off..contents_off + contents.len()].copy_from_slice(contents);
        d[strtab_off..strtab_off + strtab.len()].copy_from_slice(&strtab);
        let w = if is64 { 8 } else { 4 };
        let sections = [
            (
                name_off as u64,
                1u64,
                contents_off as u64,
                contents.len() as u64,
            ),
            (1, 3, strtab_off as u64, strtab.len() as u64),
        ];
        for (i, (n, t, o, s)) in sections.into_iter().enumerate() {
            let at = shoff + (i + 1) * shentsize;
            put(&mut d, at, n, 4);
            put(&mut d, at + 4, t, 4);
            put(&mut d, at + 8 + 2 * w, o, w);
            put(&mut d, at + 8 + 3 * w, s, w);
        }
        d
    }

    const JSON: &str = r#"{"packages":[
        {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2,3],"root":true},
        {"name":"itoa","version":"1.0.9","source":"crates.io"},
        {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
        {"name":"forked","version":"0.2.0","source":"git","kind":"runtime"},
        {"name":"itoa","version":"1.0.9","source":"crates.io"}
    ]}"#;

    #[test]
    fn wanted_paths() {
        let exe = EntryMeta {
            kind: EntryKind::File,
            size: 4096,
            mode: 0o755,
        };
        assert!(RustAuditBinary.wants("/opt/app", &exe));
        assert!(!RustAuditBinary.wants("/opt/app", &EntryMeta { mode: 0o644, ..exe }));
        assert!(RustAuditBinary.wants("/usr/bin/x", &EntryMeta { mode: 0o644, ..exe }));
        assert!(!RustAuditBinary.wants("/usr/bin/x", &EntryMeta { size: 200, ..exe }));
    }

    /// A real `cargo auditable` binary (see `testdata/rust/auditable/README.md`).
    #[test]
    fn real_auditable_binary() {
        let sink = run(&fixture("auditable/auditable-demo")).expect("catalog");
        let expected: Vec<String> = String::from_utf8(fixture("auditable/expected.txt"))
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(ids(&sink), expected);
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
        assert!(
            sink.packages()
                .iter()
                .all(|p| p.ecosystem == Ecosystem::Cargo && !p.metadata.contains_key("source"))
        );
    }

    #[test]
    fn all_elf_classes_and_byte_orders() {
        for is64 in [false, true] {
            for le in [false, true] {
                let data = elf(is64, le, b".dep-v0", &zlib(JSON.as_bytes()));
                let sink = run(&data).expect("catalog");
                assert_eq!(
                    ids(&sink),
                    ["forked@0.2.0", "itoa@1.0.9"],
                    "64: {is64}, le: {le}"
                );
                let forked = &sink.packages()[1];
                assert_eq!(forked.metadata["source"], "git");
            }
        }
    }

    #[test]
    fn no_section_or_not_elf() {
        let data = elf(true, true, b".data", b"whatever");
        let sink = run(&data).expect("catalog");
        assert!(sink.packages().is_empty() && sink.notes().is_empty());
        assert!(run(b"MZ\x90\0").expect("pe").packages().is_empty());
        assert!(run(b"\x7fEL").expect("short").packages().is_empty());
    }

    #[test]
    fn malformed_inputs_are_errors() {
        // bad compressed data, bad JSON
        assert!(run(&elf(true, true, b".dep-v0", b"not zlib")).is_err());
        assert!(run(&elf(true, true, b".dep-v0", &zlib(b"{\"packages\": 3}"))).is_err());
        // a zlib bomb: 9 MiB of spaces
        let bomb = zlib(&vec![b' '; 9 << 20]);
        let err = run(&elf(true, true, b".dep-v0", &bomb)).expect_err("bomb");
        assert!(err.to_string().contains("over"), "{err}");
        // truncated: the section headers are cut off
        let data = elf(true, true, b".dep-v0", &zlib(JSON.as_bytes()));
        for cut in [20, 70, data.len() - 10] {
            assert!(run(&data[..cut]).is_err(), "cut at {cut}");
        }
        // section offsets pointing outside the file
        let mut data = elf(false, true, b".dep-v0", &zlib(JSON.as_bytes()));
        let shoff = u32::from_le_bytes(data[0x20..0x24].try_into().expect("4")) as usize;
        data[shoff + 40 + 16..shoff + 40 + 20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(run(&data).is_err());
        // an absurd section count
        let mut data = elf(true, true, b".dep-v0", &zlib(JSON.as_bytes()));
        data[0x3c..0x3e].copy_from_slice(&0xfff0u16.to_le_bytes());
        assert!(run(&data).is_err());
    }
}

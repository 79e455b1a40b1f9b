//! Go binaries: the modules compiled into an executable, from the build information the Go
//! linker embeds (what `go version -m` prints).
//!
//! The build information is a blob that starts with the 14-byte magic `\xff Go buildinf:`
//! at a 16-byte aligned offset of the file (the start of the `.go.buildinfo` section, or of
//! the data segment). Its 32-byte header holds the magic, the pointer size (byte 14) and
//! flags (byte 15). From Go 1.18 on, flag bit `0x2` is set and two strings follow the header
//! inline, each prefixed by its length as an unsigned varint: the toolchain version
//! (`go1.21.5`) and the module information. Older binaries store two pointers instead, which
//! can only be followed by mapping virtual addresses through the program headers; those are
//! reported with a warning and no packages.
//!
//! The file is streamed in 64 KiB chunks and never held in memory whole: only ELF, Mach-O and
//! PE files are searched (by their first bytes), the magic is looked for with
//! `memchr::memmem`, and the last 31 bytes of a chunk are carried over so that a magic split
//! between two reads is still found. An aligned match whose pointer size is not 4 or 8 or
//! whose flags have unknown bits set is not the blob (the `go` command itself carries the
//! magic as a string constant after its real blob) and the search goes on.
//!
//! The module information is framed by 16-byte sentinels and holds tab-separated lines:
//! `path`, `mod` (the main module), `dep`, `=>` (the replacement of the preceding `dep`) and
//! `build key=value`. Reported:
//!
//! - each `dep`, or its replacement module at the replacement's version, with
//!   `metadata["replaces"] = "old@version"`. A dependency replaced by a local directory
//!   (`=> ../dir`) is not reported, as by the `go.mod` cataloger: what was compiled is local
//!   code, so advisories about the published version do not apply; the main module lists
//!   these in `metadata["local_replacements"]`;
//! - the main module, with its version as written (`(devel)` for a local build, as syft
//!   reports it), and `metadata["main"] = "true"` and the `GOOS`, `GOARCH`, `vcs.revision`,
//!   `vcs.time` and `-ldflags` build settings;
//! - `stdlib` at the toolchain version, since the standard library is compiled into every Go
//!   binary. The version is written as OSV's Go `stdlib` ranges are (semantic versions
//!   without a `v`, `"fixed": "1.21.5"`, `"introduced": "1.22.0-0"`), converting Go's release
//!   tags the way the Go vulnerability database does: `go1.21.5` → `1.21.5`, `go1.20` →
//!   `1.20.0`, `go1.21rc2` → `1.21.0-rc.2`, `go1.18beta1` → `1.18.0-beta.1`. A toolchain
//!   suffix after a space (`go1.22.1 X:boringcrypto`) is dropped; a development toolchain
//!   (`devel go1.23-abc`) gives a warning and no `stdlib`.
//!
//! Every package carries `metadata["go_toolchain"]` (`go1.21.5`). Module versions are kept as
//! Go writes them (`v1.2.3`), as by the `go.mod` cataloger.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags};
use memchr::memmem;
use std::io::Read;
use vigil_source::{EntryKind, EntryMeta};
use vigil_types::{Ecosystem, Package};

pub struct GoBinary;

const NAME: &str = "go-binary";

/// The build information magic.
pub(crate) const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Size of the build information header.
const HEADER: usize = 32;
/// Alignment of the build information in the file.
const ALIGN: u64 = 16;
/// Bytes read at a time.
const CHUNK: usize = 64 << 10;
/// Bytes carried over between chunks (enough for a split magic).
const KEEP: usize = 31;
/// Longest toolchain version string accepted.
const MAX_VERSION: u64 = 1024;
/// Longest module information accepted (a large Kubernetes binary has about 50 KiB).
const MAX_MODINFO: u64 = 8 << 20;
/// Smallest file looked at (the smallest Go binary is over a megabyte; this skips scripts).
const MIN_SIZE: u64 = 1024;

impl Cataloger for GoBinary {
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
        meta.kind == EntryKind::File
            && meta.size >= MIN_SIZE
            && (meta.is_executable() || path.contains("/bin/") || path.contains("/sbin/"))
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let Some(info) = scan(file.reader(), out)? else {
            return Ok(());
        };
        for p in packages(&info, out) {
            out.package(p);
        }
        Ok(())
    }
}

/// The raw build information of a Go 1.18+ binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBuildInfo {
    pub go_version: String,
    pub modinfo: String,
}

/// Whether the first bytes are those of an ELF, Mach-O (thin or fat) or PE file.
fn is_executable_format(head: &[u8]) -> bool {
    const MACHO: [[u8; 4]; 5] = [
        [0xfe, 0xed, 0xfa, 0xce],
        [0xfe, 0xed, 0xfa, 0xcf],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xcf, 0xfa, 0xed, 0xfe],
        [0xca, 0xfe, 0xba, 0xbe],
    ];
    head.starts_with(b"\x7fELF")
        || head.starts_with(b"MZ")
        || MACHO.iter().any(|m| head.starts_with(m))
}

enum Blob {
    Found(RawBuildInfo),
    /// Not a build information blob (a stray copy of the magic).
    Invalid,
    /// More bytes are needed to tell.
    NeedMore,
    /// A valid header without inline strings (Go before 1.18).
    PreGo118,
}

/// Read an unsigned varint: `Ok(None)` when the data ends inside it.
fn uvarint(data: &[u8]) -> Result<Option<(u64, usize)>, ()> {
    let mut x: u64 = 0;
    for (i, &b) in data.iter().enumerate() {
        if i >= 10 || (i == 9 && b > 1) {
            return Err(());
        }
        x |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((x, i + 1)));
        }
    }
    Ok(None)
}

/// Read one length-prefixed string starting at `data[at..]`: `Ok(None)` if more bytes are
/// needed, `Err(())` if it cannot be one.
fn inline_string(data: &[u8], at: usize, max: u64) -> Result<Option<(&[u8], usize)>, ()> {
    let rest = data.get(at..).unwrap_or_default();
    let Some((len, n)) = uvarint(rest)? else {
        return Ok(None);
    };
    if len > max {
        return Err(());
    }
    let len = len as usize;
    match rest.get(n..n + len) {
        Some(s) => Ok(Some((s, at + n + len))),
        None => Ok(None),
    }
}

/// Parse the blob starting at the magic.
fn parse_blob(data: &[u8]) -> Blob {
    if data.len() < HEADER {
        return Blob::NeedMore;
    }
    let (ptr_size, flags) = (data[14], data[15]);
    if (ptr_size != 4 && ptr_size != 8) || flags & !0x3 != 0 {
        return Blob::Invalid;
    }
    if flags & 0x2 == 0 {
        return Blob::PreGo118;
    }
    let (version, next) = match inline_string(data, HEADER, MAX_VERSION) {
        Ok(Some(v)) => v,
        Ok(None) => return Blob::NeedMore,
        Err(()) => return Blob::Invalid,
    };
    let Ok(version) = std::str::from_utf8(version) else {
        return Blob::Invalid;
    };
    if version.is_empty() || version.contains(['\n', '\0']) {
        return Blob::Invalid;
    }
    let modinfo = match inline_string(data, next, MAX_MODINFO) {
        Ok(Some((m, _))) => m,
        Ok(None) => return Blob::NeedMore,
        Err(()) => return Blob::Invalid,
    };
    // strip the sentinels as `debug/buildinfo` does
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[][..]
    };
    Blob::Found(RawBuildInfo {
        go_version: version.to_owned(),
        modinfo: String::from_utf8_lossy(modinfo).into_owned(),
    })
}

/// Append at most one read's worth of bytes (through `scratch`) to `buf`; returns how many
/// were read.
fn fill(r: &mut dyn Read, scratch: &mut [u8], buf: &mut Vec<u8>) -> Result<usize, CatalogError> {
    loop {
        match r.read(scratch) {
            Ok(n) => {
                buf.extend_from_slice(&scratch[..n.min(scratch.len())]);
                return Ok(n);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Stream a file looking for Go build information. `Ok(None)`: not a Go 1.18+ binary (a
/// warning is left for older ones).
pub fn scan(r: &mut dyn Read, out: &mut Sink) -> Result<Option<RawBuildInfo>, CatalogError> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + KEEP);
    let mut scratch = vec![0u8; CHUNK];
    let mut eof = false;
    while buf.len() < 4 {
        if fill(r, &mut scratch, &mut buf)? == 0 {
            eof = true;
            break;
        }
    }
    if !is_executable_format(&buf) {
        return Ok(None);
    }
    let finder = memmem::Finder::new(MAGIC);
    // file offset of buf[0]
    let mut base: u64 = 0;
    // where in buf to search next
    let mut from = 0usize;
    loop {
        while let Some(i) = finder.find(&buf[from..]) {
            let pos = from + i;
            from = pos + 1;
            if (base + pos as u64) % ALIGN != 0 {
                continue;
            }
            loop {
                match parse_blob(&buf[pos..]) {
                    Blob::Found(info) => return Ok(Some(info)),
                    Blob::Invalid => break,
                    Blob::PreGo118 => {
                        out.warn("Go binary built before Go 1.18: build info not read");
                        return Ok(None);
                    }
                    Blob::NeedMore => {
                        let blob_max = HEADER as u64 + 2 * 10 + MAX_VERSION + MAX_MODINFO;
                        if (buf.len() - pos) as u64 > blob_max {
                            break;
                        }
                        if eof || fill(r, &mut scratch, &mut buf)? == 0 {
                            return Err(CatalogError::parse(format!(
                                "Go build info at offset {} is truncated",
                                base + pos as u64
                            )));
                        }
                    }
                }
            }
        }
        if eof {
            return Ok(None);
        }
        let drop = buf.len().saturating_sub(KEEP);
        buf.drain(..drop);
        base += drop as u64;
        from = from.saturating_sub(drop);
        if fill(r, &mut scratch, &mut buf)? == 0 {
            eof = true;
        }
    }
}

/// The fields of a `mod`, `dep` or `=>` line after the keyword.
fn module_fields(rest: &str) -> (&str, &str) {
    let mut it = rest.split('\t');
    let path = it.next().unwrap_or_default();
    let version = it.next().unwrap_or_default();
    (path, version)
}

/// Whether a replacement path is a local directory.
fn is_local_path(p: &str) -> bool {
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.as_bytes().get(1) == Some(&b':')
        || p.starts_with(".\\")
        || p.starts_with("..\\")
}

/// The OSV (semantic) version of a Go release tag: `go1.21.5 X:boringcrypto` → `1.21.5`,
/// `go1.20` → `1.20.0`, `go1.21rc2` → `1.21.0-rc.2`; `None` for development toolchains.
/// A tag of another shape is returned without its `go` prefix.
pub(crate) fn stdlib_version(go_version: &str) -> Option<String> {
    let v = go_version.split_whitespace().next()?.strip_prefix("go")?;
    if !v.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let end = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (release, pre) = v.split_at(end);
    let parts: Vec<&str> = release.split('.').collect();
    let numeric = parts.len() <= 3 && parts.iter().all(|p| !p.is_empty());
    let pre = match ["rc", "beta", "alpha"]
        .iter()
        .find_map(|k| Some((*k, pre.strip_prefix(k)?)))
    {
        _ if pre.is_empty() => Some(String::new()),
        Some((kind, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("-{kind}.{n}"))
        }
        _ => None,
    };
    match (numeric, pre) {
        (true, Some(pre)) => {
            let mut out = parts.join(".");
            for _ in parts.len()..3 {
                out.push_str(".0");
            }
            Some(out + &pre)
        }
        _ => Some(v.to_owned()),
    }
}

/// The packages described by the build information.
pub fn packages(info: &RawBuildInfo, out: &mut Sink) -> Vec<Package> {
    let toolchain = info.go_version.as_str();
    let mut deps: Vec<Package> = Vec::new();
    let mut main: Option<Package> = None;
    let mut local: Vec<String> = Vec::new();
    // the last `dep` line, waiting for a possible `=>`: (path, version, package index)
    let mut last_dep: Option<(String, String, usize)> = None;
    let mut build: Vec<(String, String)> = Vec::new();
    for (i, line) in info.modinfo.lines().enumerate() {
        let lineno = i + 1;
        let line = line.trim_end_matches('\r');
        let Some((word, rest)) = line.split_once('\t') else {
            if !line.trim().is_empty() {
                out.warn(format!("Go build info line {lineno}: no tab"));
            }
            continue;
        };
        match word {
            "path" => {}
            "mod" => {
                let (path, version) = module_fields(rest);
                if path.is_empty() {
                    out.warn(format!("Go build info line {lineno}: empty module path"));
                    continue;
                }
                let version = if version.is_empty() {
                    "(devel)"
                } else {
                    version
                };
                main = Some(
                    Package::new(Ecosystem::Go, path, version, NAME)
                        .with_meta("main", "true")
                        .with_meta("go_toolchain", toolchain),
                );
                last_dep = None;
            }
            "dep" => {
                let (path, version) = module_fields(rest);
                if path.is_empty() || version.is_empty() {
                    out.warn(format!(
                        "Go build info line {lineno}: dependency without path or version"
                    ));
                    last_dep = None;
                    continue;
                }
                deps.push(
                    Package::new(Ecosystem::Go, path, version, NAME)
                        .with_meta("go_toolchain", toolchain),
                );
                last_dep = Some((path.to_owned(), version.to_owned(), deps.len() - 1));
            }
            "=>" => {
                let (path, version) = module_fields(rest);
                let Some((old_path, old_version, idx)) = last_dep.take() else {
                    out.warn(format!(
                        "Go build info line {lineno}: replacement without a dependency"
                    ));
                    continue;
                };
                if is_local_path(path) || version.is_empty() || version == "(devel)" {
                    local.push(format!("{old_path}@{old_version} => {path}"));
                    deps.remove(idx);
                    continue;
                }
                if let Some(p) = deps.get_mut(idx) {
                    p.name = path.to_owned();
                    p.version = version.to_owned();
                    p.metadata
                        .insert("replaces".to_owned(), format!("{old_path}@{old_version}"));
                }
            }
            "build" => {
                if let Some((k, v)) = rest.split_once('=') {
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(v);
                    build.push((k.to_owned(), v.to_owned()));
                }
            }
            other => {
                out.warn(format!(
                    "Go build info line {lineno}: unknown keyword `{other}`"
                ));
            }
        }
    }
    let mut found = deps;
    if let Some(mut m) = main {
        for (k, v) in build {
            if matches!(
                k.as_str(),
                "GOOS" | "GOARCH" | "vcs.revision" | "vcs.time" | "-ldflags"
            ) {
                m.metadata.insert(k, v);
            }
        }
        if !local.is_empty() {
            m.metadata
                .insert("local_replacements".to_owned(), local.join(", "));
        }
        found.push(m);
    }
    match stdlib_version(toolchain) {
        Some(v) => found.push(
            Package::new(Ecosystem::Go, "stdlib", v, NAME).with_meta("go_toolchain", toolchain),
        ),
        None => out.warn(format!(
            "Go toolchain version `{toolchain}` is not a release: stdlib not reported"
        )),
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Vec<u8> {
        let p = format!("{}/testdata/{rel}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {p}: {e}"))
    }

    fn run_reader(r: &mut dyn Read, size: u64) -> Result<Sink, CatalogError> {
        let meta = EntryMeta {
            kind: EntryKind::File,
            size,
            mode: 0o755,
        };
        let mut input = FileInput::from_reader("/usr/bin/app", meta, r);
        let mut sink = Sink::default();
        GoBinary.catalog(&mut input, &mut sink)?;
        Ok(sink)
    }

    fn run(data: &[u8]) -> Result<Sink, CatalogError> {
        let mut r = data;
        run_reader(&mut r, data.len() as u64)
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

    /// A reader handing out 1 to 7 bytes per call.
    struct Dribble<'a> {
        data: &'a [u8],
        n: usize,
    }
    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.n = self.n % 7 + 1;
            let k = self.n.min(buf.len()).min(self.data.len());
            buf[..k].copy_from_slice(&self.data[..k]);
            self.data = &self.data[k..];
            Ok(k)
        }
    }

    fn varint(mut x: usize, out: &mut Vec<u8>) {
        while x >= 0x80 {
            out.push((x as u8) | 0x80);
            x >>= 7;
        }
        out.push(x as u8);
    }

    /// An ELF-looking file with a Go 1.18+ blob at `offset` (a multiple of 16).
    fn synthetic(offset: usize, version: &str, modinfo: &str, flags: u8) -> Vec<u8> {
        let mut data = b"\x7fELF".to_vec();
        data.resize(offset, 0xaa);
        data.extend_from_slice(MAGIC);
        data.push(8);
        data.push(flags);
        data.resize(offset + HEADER, 0);
        varint(version.len(), &mut data);
        data.extend_from_slice(version.as_bytes());
        let framed = format!("0123456789abcdef{modinfo}\n0123456789abcdef");
        varint(framed.len(), &mut data);
        data.extend_from_slice(framed.as_bytes());
        data.extend_from_slice(&[0u8; 100]);
        data
    }

    const MODINFO: &str = "path\texample.com/x\nmod\texample.com/x\tv1.0.0\th1:abc=\ndep\tgolang.org/x/text\tv0.3.7\th1:def=\nbuild\tGOOS=linux\nbuild\t-ldflags=\"-s -w\"";

    #[test]
    fn wanted_paths() {
        let exe = EntryMeta {
            kind: EntryKind::File,
            size: 4096,
            mode: 0o755,
        };
        let plain = EntryMeta { mode: 0o644, ..exe };
        let tiny = EntryMeta { size: 100, ..exe };
        let dir = EntryMeta {
            kind: EntryKind::Dir,
            ..exe
        };
        assert!(GoBinary.wants("/opt/app/server", &exe));
        assert!(!GoBinary.wants("/opt/app/server", &plain));
        assert!(!GoBinary.wants("/opt/app/server", &tiny));
        assert!(GoBinary.wants("/usr/local/bin/tool", &plain));
        assert!(!GoBinary.wants("/usr/sbin/tool", &tiny));
        assert!(!GoBinary.wants("/usr/local/bin", &dir));
    }

    /// The real binary (see `testdata/go/binary/README.md`) gives what `go version -m`
    /// prints: the fork replacing `example.com/greet`, not the locally replaced
    /// `example.com/local`, the main module and the standard library.
    #[test]
    fn real_binary_matches_go_version_m() {
        let data = fixture("go/binary/vigilapp");
        let sink = run(&data).expect("catalog");
        assert_eq!(
            ids(&sink),
            [
                "example.com/color@v1.0.0",
                "example.com/greetfork@v1.1.0",
                "example.com/vigilapp@(devel)",
                "stdlib@1.19.8",
            ]
        );
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
        let get = |name: &str| {
            sink.packages()
                .iter()
                .find(|p| p.name == name)
                .expect("package")
        };
        let fork = get("example.com/greetfork");
        assert_eq!(fork.metadata["replaces"], "example.com/greet@v1.2.3");
        let main = get("example.com/vigilapp");
        assert_eq!(main.metadata["main"], "true");
        assert_eq!(main.metadata["GOOS"], "linux");
        assert_eq!(main.metadata["GOARCH"], "amd64");
        assert_eq!(
            main.metadata["vcs.revision"],
            "b010b94bcc468a37b19c1fb454b7120dc61a9f60"
        );
        assert_eq!(main.metadata["vcs.time"], "2024-01-02T03:04:05Z");
        // built with -ldflags="-s -w", but -trimpath builds do not record it
        assert!(!main.metadata.contains_key("-ldflags"));
        assert_eq!(
            main.metadata["local_replacements"],
            "example.com/local@v0.1.0 => ../dep"
        );
        assert!(!main.metadata.contains_key("vcs.modified"));
        assert!(
            sink.packages()
                .iter()
                .all(|p| p.metadata["go_toolchain"] == "go1.19.8"
                    && p.kind == vigil_types::PackageKind::Installed)
        );
        // the same, dribbled through a reader giving 1-7 bytes at a time
        let mut r = Dribble { data: &data, n: 0 };
        let slow = run_reader(&mut r, data.len() as u64).expect("catalog");
        assert_eq!(ids(&slow), ids(&sink));
    }

    /// The magic split across reads and chunk boundaries, at every alignment near a
    /// 64 KiB boundary.
    #[test]
    fn magic_across_chunk_boundaries() {
        let expected = [
            "example.com/x@v1.0.0",
            "golang.org/x/text@v0.3.7",
            "stdlib@1.21.5",
        ];
        for offset in [CHUNK - 16, CHUNK, CHUNK + 16, 2 * CHUNK - 32, 48] {
            let data = synthetic(offset, "go1.21.5", MODINFO, 0x2);
            let sink = run(&data).expect("catalog");
            assert_eq!(ids(&sink), expected, "offset {offset}");
            let main = sink
                .packages()
                .iter()
                .find(|p| p.name == "example.com/x")
                .expect("main");
            assert_eq!(main.metadata["-ldflags"], "-s -w");
            assert_eq!(main.metadata["GOOS"], "linux");
            let mut r = Dribble { data: &data, n: 0 };
            let sink = run_reader(&mut r, data.len() as u64).expect("catalog");
            assert_eq!(ids(&sink), expected, "dribbled, offset {offset}");
        }
        // a reader giving exactly the chunk boundary in the middle of the magic
        let data = synthetic(CHUNK - 16, "go1.21.5", MODINFO, 0x2);
        let (a, b) = data.split_at(CHUNK - 9);
        let mut r = a.chain(b);
        let sink = run_reader(&mut r, data.len() as u64).expect("catalog");
        assert_eq!(ids(&sink), expected);
    }

    #[test]
    fn misaligned_and_stray_magic_ignored() {
        // a stray magic (invalid pointer size) before the real blob, and one misaligned
        let mut data = synthetic(4096, "go1.20", "", 0x2);
        data[1024..1024 + 14].copy_from_slice(MAGIC);
        data[1024 + 14] = 0; // not a pointer size
        data[2049..2049 + 14].copy_from_slice(MAGIC);
        data[2049 + 14] = 8;
        data[2049 + 15] = 2;
        let sink = run(&data).expect("catalog");
        // empty modinfo (no sentinels): only the standard library
        assert_eq!(ids(&sink), ["stdlib@1.20.0"]);
    }

    #[test]
    fn truncated_blob_is_an_error() {
        let data = synthetic(4096, "go1.21.5", MODINFO, 0x2);
        for cut in [4096 + 20, 4096 + 33, 4096 + 45, data.len() - 120] {
            let err = run(&data[..cut]).expect_err("truncated");
            assert!(err.to_string().contains("truncated"), "{cut}: {err}");
        }
    }

    #[test]
    fn non_binaries_are_skipped() {
        // a script, text that contains the magic, an empty file
        let mut text = b"#!/bin/sh\n".to_vec();
        text.resize(64, b' ');
        text.extend_from_slice(MAGIC);
        text.extend_from_slice(&[8, 2, 0, 0]);
        text.resize(4096, b' ');
        assert!(run(&text).expect("catalog").packages().is_empty());
        assert!(run(b"").expect("catalog").packages().is_empty());
        assert!(run(b"\x7fEL").expect("catalog").packages().is_empty());
        // an ELF file without build information
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(200_000, 7);
        let sink = run(&elf).expect("catalog");
        assert!(sink.packages().is_empty() && sink.notes().is_empty());
    }

    #[test]
    fn pre_go118_warns() {
        let data = synthetic(4096, "go1.16", MODINFO, 0x0);
        let sink = run(&data).expect("catalog");
        assert!(sink.packages().is_empty());
        assert_eq!(
            sink.notes()[0].1,
            "Go binary built before Go 1.18: build info not read"
        );
    }

    #[test]
    fn hostile_lengths_are_bounded() {
        // a varint length far beyond the limit: not a blob, nothing allocated
        let mut data = b"\x7fELF".to_vec();
        data.resize(256, 0);
        data.extend_from_slice(MAGIC);
        data.extend_from_slice(&[8, 2]);
        data.resize(256 + HEADER, 0);
        data.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        data.resize(4096, 0);
        let sink = run(&data).expect("catalog");
        assert!(sink.packages().is_empty());
        // an over-long varint
        data[256 + HEADER + 9] = 0xff;
        data[256 + HEADER + 10] = 0xff;
        assert!(run(&data).expect("catalog").packages().is_empty());
    }

    #[test]
    fn modinfo_lines() {
        let info = RawBuildInfo {
            go_version: "go1.22.1 X:boringcrypto".into(),
            modinfo: "path\tcmd\nmod\tcmd\t\t\ndep\ta.io/x\tv1.0.0\th1:x=\n=>\tb.io/y\tv2.0.0\th1:y=\n\ndep\tc.io/z\n=>\tnowhere\tv1.0.0\nbogus line\nwhat\tever\n".into(),
        };
        let mut sink = Sink::default();
        let found = packages(&info, &mut sink);
        let mut got: Vec<String> = found
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        got.sort();
        assert_eq!(got, ["b.io/y@v2.0.0", "cmd@(devel)", "stdlib@1.22.1"]);
        assert_eq!(sink.notes().len(), 4, "{:?}", sink.notes());
        assert_eq!(stdlib_version("devel go1.23-abc"), None);
        assert_eq!(stdlib_version("go1.21.5").as_deref(), Some("1.21.5"));
        assert_eq!(stdlib_version("go1.20").as_deref(), Some("1.20.0"));
        assert_eq!(stdlib_version("go1").as_deref(), Some("1.0.0"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(
            stdlib_version("go1.18beta1 X:nocoverageredesign").as_deref(),
            Some("1.18.0-beta.1")
        );
        // unknown shapes are kept, without the prefix
        assert_eq!(
            stdlib_version("go1.21.5-ms1").as_deref(),
            Some("1.21.5-ms1")
        );
        assert_eq!(stdlib_version("go1.2.3.4").as_deref(), Some("1.2.3.4"));
    }
}

//! RPM header blobs as rpm stores them in its package databases.
//!
//! A stored header is the "header immutable region" layout
//! (<https://rpm-software-management.github.io/rpm/manual/format_header.html>), all integers
//! big-endian:
//!
//! ```text
//! il: u32   number of index entries
//! dl: u32   length of the data store
//! il x { tag: i32, type: u32, offset: i32, count: u32 }
//! dl bytes of data (strings NUL-terminated, integers aligned)
//! ```
//!
//! Only the tags the cataloger needs are decoded, and each one is bounds-checked against the
//! data store, so hostile blobs (offsets past the end, huge counts, unterminated strings) give
//! an error instead of a panic or a huge allocation.

use std::fmt;

pub const TAG_NAME: u32 = 1000;
pub const TAG_VERSION: u32 = 1001;
pub const TAG_RELEASE: u32 = 1002;
pub const TAG_EPOCH: u32 = 1003;
pub const TAG_LICENSE: u32 = 1014;
pub const TAG_ARCH: u32 = 1022;
pub const TAG_OLDFILENAMES: u32 = 1027;
pub const TAG_SOURCERPM: u32 = 1044;
pub const TAG_DIRINDEXES: u32 = 1116;
pub const TAG_BASENAMES: u32 = 1117;
pub const TAG_DIRNAMES: u32 = 1118;
pub const TAG_MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own limits (`hdrblobVerifyInfo`): at most 0xffff tags and 256 MiB of data.
const MAX_TAGS: u32 = 0xffff;
const MAX_DATA: u32 = 256 << 20;
/// Most elements read from one string array. The largest real packages list tens of thousands
/// of files; the cap keeps a hostile count of empty strings (one byte each) from building
/// hundreds of millions of `String`s.
const MAX_ARRAY: u32 = 1 << 20;

/// Why a header blob could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError(String);

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HeaderError {}

fn err<T>(msg: impl Into<String>) -> Result<T, HeaderError> {
    Err(HeaderError(msg.into()))
}

/// One index entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: u32,
}

/// A parsed (index-only) header: values are decoded on request.
#[derive(Debug)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    /// Read the index of a stored header blob.
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return err(format!(
                "header blob of {} bytes is shorter than its 8-byte preamble",
                blob.len()
            ));
        };
        if il == 0 || il > MAX_TAGS {
            return err(format!("header index count `{il}` is out of range"));
        }
        if dl > MAX_DATA {
            return err(format!("header data length `{dl}` is out of range"));
        }
        let index_end = 8 + 16 * il as usize;
        let data_end = index_end + dl as usize;
        if data_end > blob.len() {
            return err(format!(
                "header declares {il} index entries and {dl} data bytes ({data_end} bytes) \
                 but the blob has {} bytes",
                blob.len()
            ));
        }
        let data = &blob[index_end..data_end];
        let mut entries = Vec::with_capacity(il as usize);
        for i in 0..il as usize {
            let at = 8 + 16 * i;
            let (Some(tag), Some(ty), Some(offset), Some(count)) = (
                be32(blob, at),
                be32(blob, at + 4),
                be32(blob, at + 8),
                be32(blob, at + 12),
            ) else {
                return err(format!("header index entry {i} is truncated"));
            };
            // offsets are signed in rpm; a negative one (or past the data) is corrupt, except
            // for the region tags whose trailer rpm places at the end of the data
            if offset as i32 >= 0 && offset <= dl {
                entries.push(Entry {
                    tag,
                    ty,
                    offset: offset as usize,
                    count,
                });
            } else if is_wanted(tag) {
                return err(format!(
                    "tag {tag}: offset `{}` is outside the {dl}-byte data store",
                    offset as i32
                ));
            }
        }
        Ok(Header { entries, data })
    }

    fn entry(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().find(|e| e.tag == tag).copied()
    }

    /// A `STRING` (or the first string of an `I18NSTRING`/`STRING_ARRAY`) tag.
    pub fn string(&self, tag: u32) -> Result<Option<String>, HeaderError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        match e.ty {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {}
            ty => return err(format!("tag {tag}: expected a string, found type `{ty}`")),
        }
        if e.count == 0 {
            return err(format!("tag {tag}: string with count 0"));
        }
        let (s, _) = self.cstr(tag, e.offset)?;
        Ok(Some(s))
    }

    /// A `STRING_ARRAY` tag (every element, in order).
    pub fn strings(&self, tag: u32) -> Result<Vec<String>, HeaderError> {
        let Some(e) = self.entry(tag) else {
            return Ok(Vec::new());
        };
        if e.ty != TYPE_STRING_ARRAY {
            return err(format!(
                "tag {tag}: expected a string array, found type `{}`",
                e.ty
            ));
        }
        if e.count > MAX_ARRAY {
            return err(format!(
                "tag {tag}: string array count `{}` exceeds the limit of {MAX_ARRAY}",
                e.count
            ));
        }
        // each element takes at least one byte: never trust `count` for the allocation
        let room = self.data.len().saturating_sub(e.offset);
        if e.count as usize > room {
            return err(format!(
                "tag {tag}: {} strings cannot fit in the {room} bytes after offset {}",
                e.count, e.offset
            ));
        }
        let mut out = Vec::with_capacity(e.count as usize);
        let mut at = e.offset;
        for _ in 0..e.count {
            let (s, next) = self.cstr(tag, at)?;
            out.push(s);
            at = next;
        }
        Ok(out)
    }

    /// An `INT32` tag (every element).
    pub fn int32s(&self, tag: u32) -> Result<Vec<u32>, HeaderError> {
        let Some(e) = self.entry(tag) else {
            return Ok(Vec::new());
        };
        if e.ty != TYPE_INT32 {
            return err(format!("tag {tag}: expected int32, found type `{}`", e.ty));
        }
        let len = (e.count as usize).checked_mul(4);
        let end = len.and_then(|l| l.checked_add(e.offset));
        let Some(bytes) = end.and_then(|end| self.data.get(e.offset..end)) else {
            return err(format!(
                "tag {tag}: {} int32 values at offset {} overrun the {}-byte data store",
                e.count,
                e.offset,
                self.data.len()
            ));
        };
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The first value of an `INT32` tag.
    pub fn int32(&self, tag: u32) -> Result<Option<u32>, HeaderError> {
        Ok(self.int32s(tag)?.first().copied())
    }

    fn cstr(&self, tag: u32, at: usize) -> Result<(String, usize), HeaderError> {
        let rest = self.data.get(at..).unwrap_or_default();
        let Some(len) = memchr::memchr(0, rest) else {
            return err(format!(
                "tag {tag}: string at offset {at} is not NUL-terminated"
            ));
        };
        let s = String::from_utf8_lossy(&rest[..len]).into_owned();
        Ok((s, at + len + 1))
    }
}

fn is_wanted(tag: u32) -> bool {
    matches!(
        tag,
        TAG_NAME
            | TAG_VERSION
            | TAG_RELEASE
            | TAG_EPOCH
            | TAG_LICENSE
            | TAG_ARCH
            | TAG_OLDFILENAMES
            | TAG_SOURCERPM
            | TAG_DIRINDEXES
            | TAG_BASENAMES
            | TAG_DIRNAMES
            | TAG_MODULARITYLABEL
    )
}

/// The facts the cataloger reports about one installed rpm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmInfo {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub modularity_label: Option<String>,
}

impl RpmInfo {
    /// `epoch:version-release`, or `version-release` when the epoch is missing or zero
    /// (rpm compares a missing epoch as 0).
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) if e != 0 => format!("{e}:{}-{}", self.version, self.release),
            _ => format!("{}-{}", self.version, self.release),
        }
    }

    /// The source package name and version from `SOURCERPM`
    /// (`name-version-release.src.rpm`); the version carries the binary's epoch.
    pub fn source(&self) -> Option<(String, String)> {
        let srpm = self.source_rpm.as_deref()?;
        let stem = srpm
            .strip_suffix(".src.rpm")
            .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
        let (rest, release) = stem.rsplit_once('-')?;
        let (name, version) = rest.rsplit_once('-')?;
        if name.is_empty() || version.is_empty() || release.is_empty() {
            return None;
        }
        let version = match self.epoch {
            Some(e) if e != 0 => format!("{e}:{version}-{release}"),
            _ => format!("{version}-{release}"),
        };
        Some((name.to_owned(), version))
    }
}

/// Read the package facts from a header blob.
pub fn read_info(h: &Header<'_>) -> Result<RpmInfo, HeaderError> {
    let required = |tag: u32, what: &str| -> Result<String, HeaderError> {
        match h.string(tag)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => err(format!("header has no {what} (tag {tag})")),
        }
    };
    let name = required(TAG_NAME, "NAME")?;
    let version = required(TAG_VERSION, "VERSION")?;
    let release = required(TAG_RELEASE, "RELEASE")?;
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    Ok(RpmInfo {
        epoch: h.int32(TAG_EPOCH)?,
        arch: nonempty(h.string(TAG_ARCH)?),
        source_rpm: nonempty(h.string(TAG_SOURCERPM)?),
        license: nonempty(h.string(TAG_LICENSE)?),
        modularity_label: nonempty(h.string(TAG_MODULARITYLABEL)?),
        name,
        version,
        release,
    })
}

/// The files a package installed: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, or the
/// pre-rpm-4.0 `OLDFILENAMES` list.
pub fn read_files(h: &Header<'_>) -> Result<Vec<String>, HeaderError> {
    let basenames = h.strings(TAG_BASENAMES)?;
    if basenames.is_empty() {
        return h.strings(TAG_OLDFILENAMES);
    }
    let dirnames = h.strings(TAG_DIRNAMES)?;
    let indexes = h.int32s(TAG_DIRINDEXES)?;
    if indexes.len() != basenames.len() {
        return err(format!(
            "{} BASENAMES but {} DIRINDEXES",
            basenames.len(),
            indexes.len()
        ));
    }
    let mut out = Vec::with_capacity(basenames.len());
    for (base, idx) in basenames.iter().zip(indexes) {
        let Some(dir) = dirnames.get(idx as usize) else {
            return err(format!(
                "DIRINDEXES value `{idx}` is out of range ({} DIRNAMES)",
                dirnames.len()
            ));
        };
        out.push(format!("{dir}{base}"));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Build a header blob from (tag, type, value bytes, count) entries.
    pub(crate) fn build(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        for (tag, ty, bytes, count) in entries {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(bytes);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend_from_slice(&index);
        blob.extend_from_slice(&data);
        blob
    }

    pub(crate) fn s(v: &str) -> (u32, Vec<u8>, u32) {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        (TYPE_STRING, b, 1)
    }

    fn strs(v: &[&str]) -> (u32, Vec<u8>, u32) {
        let mut b = Vec::new();
        for x in v {
            b.extend_from_slice(x.as_bytes());
            b.push(0);
        }
        (TYPE_STRING_ARRAY, b, v.len() as u32)
    }

    fn ints(v: &[u32]) -> (u32, Vec<u8>, u32) {
        (
            TYPE_INT32,
            v.iter().flat_map(|x| x.to_be_bytes()).collect(),
            v.len() as u32,
        )
    }

    fn e(tag: u32, (ty, b, c): (u32, Vec<u8>, u32)) -> (u32, u32, Vec<u8>, u32) {
        (tag, ty, b, c)
    }

    pub(crate) fn sample() -> Vec<u8> {
        build(&[
            e(TAG_NAME, s("openssl-libs")),
            e(TAG_VERSION, s("3.0.7")),
            e(TAG_RELEASE, s("24.el9")),
            e(TAG_EPOCH, ints(&[1])),
            e(TAG_ARCH, s("x86_64")),
            e(TAG_SOURCERPM, s("openssl-3.0.7-24.el9.src.rpm")),
            e(TAG_LICENSE, s("ASL 2.0")),
            e(TAG_DIRINDEXES, ints(&[0, 1, 1])),
            e(TAG_BASENAMES, strs(&["libssl.so.3", "METADATA", "RECORD"])),
            e(
                TAG_DIRNAMES,
                strs(&["/usr/lib64/", "/usr/lib/x.dist-info/"]),
            ),
        ])
    }

    #[test]
    fn reads_info_and_files() {
        let blob = sample();
        let h = Header::parse(&blob).expect("parse");
        let info = read_info(&h).expect("info");
        assert_eq!(info.evr(), "1:3.0.7-24.el9");
        assert_eq!(info.arch.as_deref(), Some("x86_64"));
        assert_eq!(
            info.source(),
            Some(("openssl".to_owned(), "1:3.0.7-24.el9".to_owned()))
        );
        assert_eq!(info.license.as_deref(), Some("ASL 2.0"));
        assert_eq!(info.modularity_label, None);
        assert_eq!(
            read_files(&h).expect("files"),
            vec![
                "/usr/lib64/libssl.so.3",
                "/usr/lib/x.dist-info/METADATA",
                "/usr/lib/x.dist-info/RECORD"
            ]
        );
    }

    #[test]
    fn zero_epoch_and_odd_source_names() {
        let mut info = RpmInfo {
            name: "a".into(),
            version: "1".into(),
            release: "2".into(),
            epoch: Some(0),
            arch: None,
            source_rpm: Some("my-pkg-name-1.2-3.fc39.src.rpm".into()),
            license: None,
            modularity_label: None,
        };
        assert_eq!(info.evr(), "1-2");
        assert_eq!(
            info.source(),
            Some(("my-pkg-name".to_owned(), "1.2-3.fc39".to_owned()))
        );
        info.source_rpm = Some("broken.src.rpm".into());
        assert_eq!(info.source(), None);
        info.source_rpm = Some("(none)".into());
        assert_eq!(info.source(), None);
    }

    #[test]
    fn every_truncation_errors_cleanly() {
        let blob = sample();
        for len in 0..blob.len() {
            // must never panic; most truncations fail in parse, the rest in decoding
            if let Ok(h) = Header::parse(&blob[..len]) {
                let _ = read_info(&h);
                let _ = read_files(&h);
            }
        }
        assert!(Header::parse(&blob[..blob.len() - 1]).is_err());
        let msg = Header::parse(&blob[..20]).expect_err("error").to_string();
        assert!(msg.contains("but the blob has 20 bytes"), "{msg}");
    }

    #[test]
    fn hostile_counts_and_offsets() {
        // index count overflow
        let mut b = sample();
        b[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        let msg = Header::parse(&b).expect_err("error").to_string();
        assert!(msg.contains("index count"), "{msg}");
        // index count that does not fit in the blob
        let mut b = sample();
        b[0..4].copy_from_slice(&0xfff0u32.to_be_bytes());
        assert!(Header::parse(&b).is_err());
        // huge string-array count
        let mut b = build(&[e(TAG_NAME, s("n")), e(TAG_BASENAMES, strs(&["a", "b"]))]);
        let count_at = 8 + 16 + 12;
        b[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let h = Header::parse(&b).expect("index is fine");
        let msg = read_files(&h).expect_err("error").to_string();
        assert!(msg.contains("exceeds the limit"), "{msg}");
        // a count under the cap that the data cannot hold
        b[count_at..count_at + 4].copy_from_slice(&1000u32.to_be_bytes());
        let h = Header::parse(&b).expect("index is fine");
        let msg = read_files(&h).expect_err("error").to_string();
        assert!(msg.contains("cannot fit"), "{msg}");
        // string-array count over the cap, even when the data could hold it
        let many = vec![""; (MAX_ARRAY + 1) as usize];
        let b = build(&[e(TAG_BASENAMES, strs(&many))]);
        let h = Header::parse(&b).expect("index is fine");
        let msg = h.strings(TAG_BASENAMES).expect_err("error").to_string();
        assert!(msg.contains("exceeds the limit"), "{msg}");
        // huge int32 count
        let mut b = build(&[e(TAG_EPOCH, ints(&[1]))]);
        b[8 + 12..8 + 16].copy_from_slice(&0x4000_0001u32.to_be_bytes());
        let h = Header::parse(&b).expect("index is fine");
        assert!(h.int32(TAG_EPOCH).is_err());
        // offset past the data store
        let mut b = build(&[e(TAG_NAME, s("n"))]);
        b[8 + 8..8 + 12].copy_from_slice(&1000u32.to_be_bytes());
        let msg = Header::parse(&b).expect_err("error").to_string();
        assert!(msg.contains("outside"), "{msg}");
        // unterminated string
        let b = build(&[e(TAG_NAME, (TYPE_STRING, b"abc".to_vec(), 1))]);
        let h = Header::parse(&b).expect("index is fine");
        assert!(h.string(TAG_NAME).is_err());
        // wrong type
        let b = build(&[e(TAG_NAME, ints(&[7]))]);
        let h = Header::parse(&b).expect("index is fine");
        assert!(read_info(&h).is_err());
        // dir index out of range
        let b = build(&[
            e(TAG_DIRINDEXES, ints(&[5])),
            e(TAG_BASENAMES, strs(&["a"])),
            e(TAG_DIRNAMES, strs(&["/"])),
        ]);
        let h = Header::parse(&b).expect("index is fine");
        let msg = read_files(&h).expect_err("error").to_string();
        assert!(msg.contains("out of range"), "{msg}");
    }

    #[test]
    fn random_bytes_never_panic() {
        // xorshift: deterministic pseudo-random blobs, some with a plausible preamble
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..2000 {
            let mut b = Vec::new();
            let len = (round % 300) + 1;
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b.push(x as u8);
            }
            if round % 2 == 0 && b.len() >= 8 {
                b[0..4].copy_from_slice(&((round % 7) as u32 + 1).to_be_bytes());
                b[4..8].copy_from_slice(&((len as u32) / 2).to_be_bytes());
            }
            if let Ok(h) = Header::parse(&b) {
                let _ = read_info(&h);
                let _ = read_files(&h);
            }
        }
    }
}

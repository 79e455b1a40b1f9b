//! rpm's ndb `Packages.db` (SUSE since 15 SP3 / openSUSE Tumbleweed before sqlite).
//!
//! On-disk format (rpm `lib/backend/ndb/rpmpkg.c`), all integers little-endian:
//!
//! * The file starts with slot pages of 4096 bytes. The first 32 bytes of page 0 are the
//!   database header: `RpmP`, version 0, generation, number of slot pages, next index.
//! * The rest of the slot pages are 16-byte slots: `Slot`, package index, block offset, block
//!   count. Blocks are 16 bytes; a slot with offset 0 is free.
//! * A blob at `offset * 16` is `BlbS`, package index, timestamp, length, the header blob,
//!   zero padding, then a 12-byte tail: adler32 of everything before it, length, `BlbE`.

use crate::cataloger::CatalogError;

const PAGE: usize = 4096;
const BLK: usize = 16;
const HEAD: usize = 16;
const TAIL: usize = 12;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn parse_err<T>(msg: String) -> Result<T, CatalogError> {
    Err(CatalogError::parse(msg))
}

/// One stored header and the problems found with it.
pub struct NdbBlob<'a> {
    pub pkgidx: u32,
    pub blob: Result<&'a [u8], String>,
}

/// The header blobs of an ndb `Packages.db`, in slot order. A bad database header or slot
/// table is an error; a bad individual blob is reported in its entry.
pub fn blobs(db: &[u8]) -> Result<Vec<NdbBlob<'_>>, CatalogError> {
    if db.len() < 32 || &db[0..4] != b"RpmP" {
        return parse_err("ndb: missing `RpmP` magic".into());
    }
    let version = le32(db, 4);
    if version != 0 {
        return parse_err(format!("ndb: unsupported version `{version}`"));
    }
    let slotnpages = le32(db, 12) as usize;
    let slots_end = slotnpages.saturating_mul(PAGE);
    if slotnpages == 0 || slots_end > db.len() {
        return parse_err(format!(
            "ndb: {slotnpages} slot pages do not fit in {} bytes",
            db.len()
        ));
    }
    let mut out = Vec::new();
    for o in (32..slots_end).step_by(16) {
        if &db[o..o + 4] != b"Slot" {
            return parse_err(format!("ndb: slot at byte {o} has no `Slot` magic"));
        }
        let pkgidx = le32(db, o + 4);
        let blkoff = le32(db, o + 8) as usize;
        let blkcnt = le32(db, o + 12) as usize;
        if blkoff == 0 {
            continue;
        }
        out.push(NdbBlob {
            pkgidx,
            blob: blob(db, pkgidx, blkoff, blkcnt, slots_end),
        });
    }
    reject_overlaps(&mut out, db);
    Ok(out)
}

/// Blobs never share blocks in a real database. Slots pointing at the same (or overlapping)
/// blocks would make one header be parsed once per slot, so every blob but the first of an
/// overlapping group becomes an error: the work stays linear in the file size.
fn reject_overlaps(blobs: &mut [NdbBlob<'_>], db: &[u8]) {
    let base = db.as_ptr() as usize;
    let mut ranges: Vec<(usize, usize, usize)> = blobs
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let s = b.blob.as_ref().ok()?;
            let start = s.as_ptr() as usize - base;
            Some((start, start + s.len(), i))
        })
        .collect();
    ranges.sort_unstable();
    let mut end_so_far = 0;
    let mut owner = 0;
    for (start, end, i) in ranges {
        if start < end_so_far {
            blobs[i].blob = Err(format!(
                "ndb: package {}: blob overlaps the blob of package {}",
                blobs[i].pkgidx, blobs[owner].pkgidx
            ));
        } else {
            end_so_far = end;
            owner = i;
        }
    }
}

fn blob(
    db: &[u8],
    pkgidx: u32,
    blkoff: usize,
    blkcnt: usize,
    slots_end: usize,
) -> Result<&[u8], String> {
    let start = blkoff.saturating_mul(BLK);
    let end = blkoff
        .checked_add(blkcnt)
        .and_then(|e| e.checked_mul(BLK))
        .filter(|&e| e <= db.len() && start >= slots_end && e - start >= HEAD + TAIL);
    let Some(end) = end else {
        return Err(format!(
            "ndb: package {pkgidx}: blocks {blkoff}+{blkcnt} are outside the {}-byte file",
            db.len()
        ));
    };
    let b = &db[start..end];
    if &b[0..4] != b"BlbS" || le32(b, 4) != pkgidx {
        return Err(format!(
            "ndb: package {pkgidx}: no blob header at block {blkoff}"
        ));
    }
    let len = le32(b, 12) as usize;
    if (HEAD + len + TAIL).div_ceil(BLK) != blkcnt {
        return Err(format!(
            "ndb: package {pkgidx}: blob length {len} does not match {blkcnt} blocks"
        ));
    }
    let tail = &b[b.len() - TAIL..];
    if &tail[8..12] != b"BlbE" || le32(tail, 4) as usize != len {
        return Err(format!("ndb: package {pkgidx}: bad blob tail"));
    }
    if adler32(&b[..b.len() - TAIL]) != le32(tail, 0) {
        return Err(format!("ndb: package {pkgidx}: adler32 mismatch"));
    }
    Ok(&b[HEAD..HEAD + len])
}

/// Adler-32 (RFC 1950).
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(blobs: &[&[u8]]) -> Vec<u8> {
        let mut db = vec![0u8; PAGE];
        for o in (32..PAGE).step_by(16) {
            db[o..o + 4].copy_from_slice(b"Slot");
        }
        db[0..4].copy_from_slice(b"RpmP");
        db[12..16].copy_from_slice(&1u32.to_le_bytes());
        for (i, blob) in blobs.iter().enumerate() {
            let idx = i as u32 + 1;
            let blkoff = db.len() / BLK;
            let blkcnt = (HEAD + blob.len() + TAIL).div_ceil(BLK);
            let mut body = b"BlbS".to_vec();
            body.extend_from_slice(&idx.to_le_bytes());
            body.extend_from_slice(&0u32.to_le_bytes());
            body.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            body.extend_from_slice(blob);
            body.resize(blkcnt * BLK - TAIL, 0);
            let ad = adler32(&body);
            body.extend_from_slice(&ad.to_le_bytes());
            body.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            body.extend_from_slice(b"BlbE");
            let s = 32 + 16 * i;
            db[s + 4..s + 8].copy_from_slice(&idx.to_le_bytes());
            db[s + 8..s + 12].copy_from_slice(&(blkoff as u32).to_le_bytes());
            db[s + 12..s + 16].copy_from_slice(&(blkcnt as u32).to_le_bytes());
            db.extend_from_slice(&body);
        }
        db
    }

    #[test]
    fn adler32_matches_rfc_example() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn reads_blobs_and_reports_bad_ones() {
        let mut db = db_with(&[b"first blob", b"second"]);
        let got = blobs(&db).expect("read");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].blob.as_deref(), Ok(&b"first blob"[..]));
        assert_eq!(got[1].blob.as_deref(), Ok(&b"second"[..]));
        // corrupt one byte of the first blob
        db[PAGE + HEAD] ^= 0xff;
        let got = blobs(&db).expect("read");
        assert_eq!(
            got[0].blob.as_ref().err().map(String::as_str),
            Some("ndb: package 1: adler32 mismatch")
        );
        assert!(got[1].blob.is_ok());
    }

    #[test]
    fn hostile_slots_error() {
        let db = db_with(&[b"x"]);
        // slot pointing far past the file, and a huge block count
        for (off, cnt) in [(0x1000_0000u32, 3u32), (256, u32::MAX), (1, 3)] {
            let mut d = db.clone();
            d[40..44].copy_from_slice(&off.to_le_bytes());
            d[44..48].copy_from_slice(&cnt.to_le_bytes());
            let got = blobs(&d).expect("slot table is fine");
            assert!(got[0].blob.is_err());
        }
        // two slots pointing at the same blob: the second is an error
        let mut d = db_with(&[b"x", b"y"]);
        // second slot (bytes 48..64): package index 1, first slot's block offset and count
        let first = d[40..48].to_vec();
        d[52..56].copy_from_slice(&1u32.to_le_bytes());
        d[56..64].copy_from_slice(&first);
        let got = blobs(&d).expect("slot table is fine");
        assert_eq!(got[0].blob.as_deref(), Ok(&b"x"[..]));
        assert_eq!(
            got[1].blob.as_ref().err().map(String::as_str),
            Some("ndb: package 1: blob overlaps the blob of package 1")
        );
        // slot page count beyond the file
        let mut d = db.clone();
        d[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blobs(&d).is_err());
        // truncated file
        assert!(blobs(&db[..100]).is_err());
        for len in 0..db.len() {
            let _ = blobs(&db[..len]);
        }
    }
}

//! A minimal read-only walker of Berkeley DB hash databases (rpm's `Packages` up to rpm
//! 4.15: RHEL/CentOS 7 and 8, Amazon Linux 2, SLES 12/15 before ndb).
//!
//! On-disk format (Berkeley DB `dbinc/db_page.h`), every integer in the byte order recorded
//! by the metadata page's magic:
//!
//! * Page 0 is the hash metadata page: `magic` 0x061561 at offset 12, `pagesize` at 20,
//!   `encrypt_alg` at 24, page type 8 at 25, `metaflags` at 26, `last_pgno` at 32.
//! * Every page starts with a 26-byte header: `pgno` at 8, `next_pgno` at 16, `entries` (u16)
//!   at 20, `hf_offset` (u16) at 22, page type at 25.
//! * Hash pages (type 13, or 2 for unsorted pages of old versions) hold `entries` u16 item
//!   offsets right after the header; items alternate key, data. An item's first byte is its
//!   kind: 1 = inline bytes (up to the previous item's offset, or the page end for the first),
//!   3 = off-page (`pgno` at 4, total length at 8), 2/4 = duplicates (not used by rpm).
//! * Off-page values live in chains of overflow pages (type 7): `hf_offset` bytes of data
//!   after the header, continued on `next_pgno` until 0.
//!
//! The walker visits hash pages in file order (a freed page has type 0, so stale data is not
//! reported) and follows each overflow chain, marking every overflow page it reads: a page
//! seen twice (a loop, or two values sharing a chain) is an error, so the output can never be
//! larger than the file.

use crate::cataloger::CatalogError;

const HASH_MAGIC: u32 = 0x0006_1561;
const BTREE_MAGIC: u32 = 0x0005_3162;
const PAGE_HEADER: usize = 26;

const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;

const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;

const DBMETA_CHKSUM: u8 = 0x01;

#[derive(Clone, Copy)]
struct Order {
    big: bool,
}

impl Order {
    fn u32(self, b: &[u8], at: usize) -> u32 {
        let s = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        }
    }
    fn u16(self, b: &[u8], at: usize) -> u16 {
        let s = [b[at], b[at + 1]];
        if self.big {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        }
    }
}

fn parse_err<T>(msg: String) -> Result<T, CatalogError> {
    Err(CatalogError::parse(msg))
}

/// One key/value pair of a hash database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Every key/value pair of a Berkeley DB hash database, in page order.
pub fn hash_entries(db: &[u8]) -> Result<Vec<Record>, CatalogError> {
    if db.len() < 72 {
        return parse_err(format!(
            "berkeley db: {} bytes is shorter than a metadata page",
            db.len()
        ));
    }
    let order = match (
        Order { big: false }.u32(db, 12),
        Order { big: true }.u32(db, 12),
    ) {
        (HASH_MAGIC, _) => Order { big: false },
        (_, HASH_MAGIC) => Order { big: true },
        (BTREE_MAGIC, _) | (_, BTREE_MAGIC) => {
            return parse_err("berkeley db: a btree database, not the hash `Packages`".into());
        }
        (m, _) => return parse_err(format!("berkeley db: not a hash database (magic `{m:#x}`)")),
    };
    let pagesize = order.u32(db, 20) as usize;
    if !(512..=65536).contains(&pagesize) || !pagesize.is_power_of_two() {
        return parse_err(format!("berkeley db: invalid page size `{pagesize}`"));
    }
    if db[25] != P_HASHMETA {
        return parse_err(format!(
            "berkeley db: page 0 has type `{}`, not hash metadata",
            db[25]
        ));
    }
    if db[24] != 0 {
        return parse_err("berkeley db: encrypted databases are not supported".into());
    }
    if db[26] & DBMETA_CHKSUM != 0 {
        return parse_err(
            "berkeley db: checksummed pages are not supported (rpm never writes them)".into(),
        );
    }
    let last_pgno = order.u32(db, 32) as usize;
    let in_file = db.len() / pagesize;
    if last_pgno >= in_file {
        return parse_err(format!(
            "berkeley db: truncated: last page is {last_pgno} but the file holds {in_file} pages of {pagesize} bytes"
        ));
    }
    let npages = last_pgno + 1;
    let page = |n: usize| &db[n * pagesize..(n + 1) * pagesize];
    let mut overflow_seen = vec![false; npages];
    let mut out = Vec::new();
    for pgno in 1..npages {
        let p = page(pgno);
        if p[25] != P_HASH && p[25] != P_HASH_UNSORTED {
            continue;
        }
        let entries = order.u16(p, 20) as usize;
        let items_start = PAGE_HEADER + 2 * entries;
        if items_start > pagesize {
            return parse_err(format!(
                "berkeley db: page {pgno}: {entries} entries do not fit in the page"
            ));
        }
        if entries % 2 != 0 {
            return parse_err(format!(
                "berkeley db: page {pgno}: odd number of entries ({entries})"
            ));
        }
        let item = |i: usize| -> Result<&[u8], CatalogError> {
            let start = order.u16(p, PAGE_HEADER + 2 * i) as usize;
            let end = if i == 0 {
                pagesize
            } else {
                order.u16(p, PAGE_HEADER + 2 * (i - 1)) as usize
            };
            if start < items_start || start >= end || end > pagesize {
                return parse_err(format!(
                    "berkeley db: page {pgno}: item {i} spans {start}..{end}, outside the item area {items_start}..{pagesize}"
                ));
            }
            Ok(&p[start..end])
        };
        for i in (0..entries).step_by(2) {
            let key = value_of(
                item(i)?,
                pgno,
                order,
                pagesize,
                npages,
                &page,
                &mut overflow_seen,
            )?;
            let value = value_of(
                item(i + 1)?,
                pgno,
                order,
                pagesize,
                npages,
                &page,
                &mut overflow_seen,
            )?;
            out.push(Record { key, value });
        }
    }
    Ok(out)
}

fn value_of<'a>(
    item: &[u8],
    pgno: usize,
    order: Order,
    pagesize: usize,
    npages: usize,
    page: &impl Fn(usize) -> &'a [u8],
    seen: &mut [bool],
) -> Result<Vec<u8>, CatalogError> {
    match item[0] {
        H_KEYDATA => Ok(item[1..].to_vec()),
        H_OFFPAGE => {
            if item.len() < 12 {
                return parse_err(format!(
                    "berkeley db: page {pgno}: off-page item of {} bytes is too short",
                    item.len()
                ));
            }
            let mut next = order.u32(item, 4) as usize;
            let total = order.u32(item, 8) as usize;
            // the chain cannot hold more than the pages it may visit
            if total > npages * pagesize {
                return parse_err(format!(
                    "berkeley db: page {pgno}: off-page length `{total}` exceeds the file"
                ));
            }
            let mut value = Vec::with_capacity(total);
            while next != 0 {
                if next >= npages {
                    return parse_err(format!(
                        "berkeley db: overflow chain from page {pgno} points to page {next}, past the last page {}",
                        npages - 1
                    ));
                }
                if seen[next] {
                    return parse_err(format!(
                        "berkeley db: overflow page {next} is reached twice (a loop or a shared chain)"
                    ));
                }
                seen[next] = true;
                let p = page(next);
                if p[25] != P_OVERFLOW {
                    return parse_err(format!(
                        "berkeley db: overflow chain from page {pgno} reaches page {next} of type `{}`",
                        p[25]
                    ));
                }
                let len = order.u16(p, 22) as usize;
                let Some(chunk) = p.get(PAGE_HEADER..PAGE_HEADER + len) else {
                    return parse_err(format!(
                        "berkeley db: overflow page {next} declares {len} bytes in a {pagesize}-byte page"
                    ));
                };
                if value.len() + len > total {
                    return parse_err(format!(
                        "berkeley db: overflow chain from page {pgno} holds more than its declared {total} bytes"
                    ));
                }
                value.extend_from_slice(chunk);
                next = order.u32(p, 16) as usize;
            }
            if value.len() != total {
                return parse_err(format!(
                    "berkeley db: overflow chain from page {pgno} ends after {} of {total} bytes",
                    value.len()
                ));
            }
            Ok(value)
        }
        H_DUPLICATE | H_OFFDUP => parse_err(format!(
            "berkeley db: page {pgno}: duplicate items are not used by rpm"
        )),
        k => parse_err(format!("berkeley db: page {pgno}: unknown item kind `{k}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little hand-made database: metadata page, one hash page, overflow pages.
    fn tiny(big: bool) -> Vec<u8> {
        let ps = 512usize;
        let mut db = vec![0u8; ps * 4];
        let put32 = |db: &mut [u8], at: usize, v: u32| {
            let b = if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            db[at..at + 4].copy_from_slice(&b);
        };
        let put16 = |db: &mut [u8], at: usize, v: u16| {
            let b = if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            db[at..at + 2].copy_from_slice(&b);
        };
        put32(&mut db, 12, HASH_MAGIC);
        put32(&mut db, 20, ps as u32);
        db[25] = P_HASHMETA;
        put32(&mut db, 32, 3);
        // page 1: key "k" inline, value off-page on pages 2 -> 3
        let p = ps;
        db[p + 25] = P_HASH;
        put16(&mut db, p + 20, 2);
        // key item at end of page: [1, b'k']
        put16(&mut db, p + PAGE_HEADER, (ps - 2) as u16);
        db[p + ps - 2] = H_KEYDATA;
        db[p + ps - 1] = b'k';
        // value item: HOFFPAGE, 12 bytes
        let v = ps - 2 - 12;
        put16(&mut db, p + PAGE_HEADER + 2, v as u16);
        db[p + v] = H_OFFPAGE;
        put32(&mut db, p + v + 4, 2);
        put32(&mut db, p + v + 8, 600);
        // overflow pages
        for (n, len, next) in [(2usize, 480u16, 3u32), (3, 120, 0)] {
            let o = n * ps;
            db[o + 25] = P_OVERFLOW;
            put16(&mut db, o + 22, len);
            put32(&mut db, o + 16, next);
            for i in 0..len as usize {
                db[o + PAGE_HEADER + i] = (n * 7 + i) as u8;
            }
        }
        db
    }

    #[test]
    fn walks_both_byte_orders() {
        for big in [false, true] {
            let db = tiny(big);
            let got = hash_entries(&db).expect("walk");
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].key, b"k");
            assert_eq!(got[0].value.len(), 600);
            assert_eq!(got[0].value[0], 14);
            assert_eq!(got[0].value[480], 21);
        }
    }

    #[test]
    fn overflow_loop_terminates_with_an_error() {
        let mut db = tiny(false);
        // page 3 points back to page 2
        db[3 * 512 + 16..3 * 512 + 20].copy_from_slice(&2u32.to_le_bytes());
        let msg = hash_entries(&db).expect_err("error").to_string();
        assert!(msg.contains("reached twice"), "{msg}");
        // a self-loop
        let mut db = tiny(false);
        db[2 * 512 + 16..2 * 512 + 20].copy_from_slice(&2u32.to_le_bytes());
        assert!(hash_entries(&db).is_err());
    }

    #[test]
    fn hostile_pages_error() {
        // chain past the end
        let mut db = tiny(false);
        db[3 * 512 + 16..3 * 512 + 20].copy_from_slice(&99u32.to_le_bytes());
        assert!(hash_entries(&db).is_err());
        // overflow length larger than the page
        let mut db = tiny(false);
        db[2 * 512 + 22..2 * 512 + 24].copy_from_slice(&600u16.to_le_bytes());
        assert!(hash_entries(&db).is_err());
        // item offsets outside the page
        let mut db = tiny(false);
        db[512 + 26..512 + 28].copy_from_slice(&3u16.to_le_bytes());
        assert!(hash_entries(&db).is_err());
        // entry count larger than a page
        let mut db = tiny(false);
        db[512 + 20..512 + 22].copy_from_slice(&1000u16.to_le_bytes());
        assert!(hash_entries(&db).is_err());
        // last_pgno beyond the file
        let mut db = tiny(false);
        db[32..36].copy_from_slice(&1000u32.to_le_bytes());
        let msg = hash_entries(&db).expect_err("error").to_string();
        assert!(msg.contains("truncated"), "{msg}");
        // bad page size
        let mut db = tiny(false);
        db[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert!(hash_entries(&db).is_err());
        // declared length longer than the chain
        let mut db = tiny(false);
        db[512 + 512 - 14 + 8..512 + 512 - 14 + 12].copy_from_slice(&700u32.to_le_bytes());
        let msg = hash_entries(&db).expect_err("error").to_string();
        assert!(msg.contains("ends after"), "{msg}");
    }

    #[test]
    fn random_bytes_and_truncations_never_panic() {
        let db = tiny(true);
        for len in 0..db.len() {
            let _ = hash_entries(&db[..len]);
        }
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..300 {
            let mut b = tiny(x & 1 == 0);
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x as usize) % b.len();
                b[at] = (x >> 32) as u8;
            }
            let _ = hash_entries(&b);
        }
    }
}

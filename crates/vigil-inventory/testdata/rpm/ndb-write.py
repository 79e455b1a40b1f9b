"""Write an rpm ndb `Packages.db` holding the header blobs of an rpmdb.sqlite.

Layout (rpm lib/backend/ndb/rpmpkg.c, all integers little-endian):
  * slot page 0 starts with a 32-byte header: b"RpmP", version 0, generation,
    number of slot pages, next package index;
  * slot pages (4096 bytes) hold 16-byte slots: b"Slot", package index, block
    offset, block count (blocks are 16 bytes; offset 0 = free slot);
  * each blob: b"BlbS", package index, timestamp, length, the header blob, zero
    padding to the block size, then adler32 (of head+blob+padding), length, b"BlbE".
"""
import sqlite3
import struct
import sys
import zlib

PAGE, BLK = 4096, 16
rows = sqlite3.connect(sys.argv[1]).execute(
    "select hnum, blob from Packages order by hnum").fetchall()
slotnpages = 1
data = bytearray(slotnpages * PAGE)
# every slot carries the magic, used or not
for o in range(32, PAGE, 16):
    data[o:o + 4] = b"Slot"
blobs = bytearray()
blkoff = slotnpages * PAGE // BLK
slot = 2
for hnum, blob in rows:
    blob = bytes(blob)
    head = b"BlbS" + struct.pack("<III", hnum, 1700000000, len(blob))
    blkcnt = (16 + len(blob) + 12 + BLK - 1) // BLK
    pad = blkcnt * BLK - (16 + len(blob) + 12)
    body = head + blob + b"\0" * pad
    tail = struct.pack("<II", zlib.adler32(body), len(blob)) + b"BlbE"
    o = slot * 16
    data[o:o + 16] = b"Slot" + struct.pack("<III", hnum, blkoff, blkcnt)
    blobs += body + tail
    blkoff += blkcnt
    slot += 1
data[0:32] = b"RpmP" + struct.pack("<IIII", 0, len(rows) + 1, slotnpages,
                                   max(r[0] for r in rows) + 1) + b"\0" * 12
with open(sys.argv[2], "wb") as f:
    f.write(bytes(data) + bytes(blobs))

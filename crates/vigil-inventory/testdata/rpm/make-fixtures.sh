#!/bin/sh
# Regenerates the rpm database fixtures in this folder from the specs in specs/.
#
# Needs Debian's rpm 4.18 (`apt-get install rpm`), Berkeley DB 5.3 utilities
# (`apt-get install db-util`), gpg, sqlite3 and python3. Run from anywhere:
#     sh crates/vigil-inventory/testdata/rpm/make-fixtures.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000
export LC_ALL=C

# 1. build the packages
for spec in "$here"/specs/*.spec; do
    extra=""
    case "$spec" in
    *vigil-module.spec) extra="nodejs:18:8090020231019152822:a75119d5" ;;
    esac
    rpmbuild -bb --quiet \
        --define "_topdir $work/build" \
        --define "_buildhost vigil-fixtures" \
        --define "use_source_date_epoch_as_buildtime 1" \
        --define "_binary_payload w9.gzdio" \
        ${extra:+--define "modularitylabel $extra"} \
        "$spec" >/dev/null 2>&1 || { echo "rpmbuild failed: $spec" >&2; exit 1; }
done

# 2. the sqlite rpmdb (rpm's default backend): rpm itself writes it
db="$work/sqlite"
mkdir -p "$db"
rpm --dbpath "$db" --initdb
rpm --dbpath "$db" -i --nodeps --justdb --ignorearch --ignoreos \
    "$work"/build/RPMS/*/*.rpm
# a gpg-pubkey pseudo package, which the cataloger must skip
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Vigil Fixtures <fixtures@vigil.invalid>' rsa2048 sign never
gpg --batch --armor --export > "$work/key.asc"
rpm --dbpath "$db" --import "$work/key.asc"
# repack with 512-byte pages so that the fixture stays small (rpm left it in WAL mode
# with 4 KiB pages: 57 pages, mostly one-page index tables); WAL mode is kept
sqlite3 "$db/rpmdb.sqlite" 'PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM; PRAGMA journal_mode=WAL;' >/dev/null
mkdir -p "$here/sqlite"
cp "$db/rpmdb.sqlite" "$here/sqlite/rpmdb.sqlite"

qf='%{NAME}|%{EPOCHNUM}:%{VERSION}-%{RELEASE}|%{ARCH}|%{SOURCERPM}|%{LICENSE}|%{MODULARITYLABEL}\n'
rpm --dbpath "$db" -qa --qf "$qf" | sort > "$here/expected-qa.txt"
rpm --dbpath "$db" -ql python3-vigil-demo > "$here/expected-files-python3-vigil-demo.txt"

# 3. Berkeley DB hash `Packages` files holding the same header blobs, keyed by the
#    header number as rpm < 4.16 stored them (native-endian u32), plus rpm's key-0
#    record. db_load writes them; rpm's own bdb_ro backend then reads them back.
python3 - "$db/rpmdb.sqlite" "$work" <<'PY'
import sqlite3, struct, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("select hnum, blob from Packages order by hnum").fetchall()
for endian, name in (("<", "le"), (">", "be")):
    with open(f"{sys.argv[2]}/bdb-{name}.dump", "w") as f:
        f.write("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n")
        f.write(" " + struct.pack(endian + "I", 0).hex() + "\n")
        f.write(" " + struct.pack(endian + "I", max(r[0] for r in rows) + 1).hex() + "\n")
        for hnum, blob in rows:
            f.write(" " + struct.pack(endian + "I", hnum).hex() + "\n")
            f.write(" " + bytes(blob).hex() + "\n")
        f.write("DATA=END\n")
PY
for v in le:1234:4096 be:4321:512; do
    name=${v%%:*}; rest=${v#*:}; lorder=${rest%%:*}; pagesize=${rest#*:}
    mkdir -p "$work/bdb-$name" "$here/bdb-$name"
    db5.3_load -c db_lorder="$lorder" -c db_pagesize="$pagesize" \
        -f "$work/bdb-$name.dump" "$work/bdb-$name/Packages"
    # (rpm warns that the index databases are missing: only Packages is needed)
    rpm --dbpath "$work/bdb-$name" --define '_db_backend bdb_ro' -qa --qf "$qf" 2>/dev/null \
        | sort > "$work/bdb-$name.txt"
    cmp "$work/bdb-$name.txt" "$here/expected-qa.txt"
    cp "$work/bdb-$name/Packages" "$here/bdb-$name/Packages"
done

# 4. an ndb `Packages.db` (SUSE). Debian's rpm is built without ndb, so this one is
#    written by ndb-write.py from the rpm ndb on-disk format (lib/backend/ndb/rpmpkg.c).
mkdir -p "$here/ndb"
python3 "$here/ndb-write.py" "$db/rpmdb.sqlite" "$here/ndb/Packages.db"
ls -l "$here"/sqlite "$here"/bdb-le "$here"/bdb-be "$here"/ndb

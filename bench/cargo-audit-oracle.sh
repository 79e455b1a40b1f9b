#!/usr/bin/env bash
# Differential check of Rust matching against `cargo audit` (RustSec's own tool).
#
#   bash bench/cargo-audit-oracle.sh ADVISORY_DB_CHECKOUT [CARGO_LOCK]
#
# ADVISORY_DB_CHECKOUT: a checkout of github.com/rustsec/advisory-db (main branch) at the commit
# the OSV export in ../shared/vulndata/osv/crates.io was generated from (see its MANIFEST.md:
# bf5c0d245a92671908518d7e765914d437954ed6). cargo-audit must be on PATH (`cargo install
# cargo-audit --locked`). Runs offline (--no-fetch). CARGO_LOCK defaults to
# bench/cargo-audit/Cargo.lock (87 crates, old pins of smallvec, regex, chrono, tokio, hyper,
# h2, tar, openssl, serde_cbor, ansi_term, time; Cargo.toml.txt next to it made it).
#
# Compares the (crate, version, RUSTSEC id) triples: vulnerabilities, and informational
# warnings (unmaintained/unsound/notice), which Vigil reports with severity INFORMATIONAL.
# This needs a network fetch of advisory-db and a cargo-audit build, so it is a manual check,
# not part of the CI suite.
set -euo pipefail
cd "$(dirname "$0")/.."
ADB=${1:?advisory-db checkout}
LOCK=${2:-bench/cargo-audit/Cargo.lock}
VULNDATA=${VULNDATA:-$(cd .. && pwd)/shared/vulndata}
OUT=$(mktemp -d)
cargo build --release -q
V=target/release/vigil
$V db import --db "$OUT/rust.db" "$VULNDATA/osv/crates.io/all.zip" >/dev/null
cargo audit --version
# cargo audit exits 1 when it finds vulnerabilities
cargo audit --db "$ADB" --no-fetch --stale --json -f "$LOCK" > "$OUT/audit.json" || true
mkdir -p "$OUT/target" && cp "$LOCK" "$OUT/target/Cargo.lock"
$V scan "$OUT/target" --db "$OUT/rust.db" --format json -q -o "$OUT/vigil.json" || true
python3 - "$OUT/audit.json" "$OUT/vigil.json" <<'PY'
import json, sys
audit = json.load(open(sys.argv[1]))
vigil = json.load(open(sys.argv[2]))
def triple(a):
    return (a["package"]["name"], a["package"]["version"], a["advisory"]["id"])
want_v = {triple(a) for a in audit["vulnerabilities"]["list"]}
want_w = set()
for kind, items in audit.get("warnings", {}).items():
    for a in items:
        if a.get("advisory"):
            want_w.add(triple(a))
got_v, got_w = set(), set()
for f in vigil["findings"]:
    p = f["packageVulnerabilityDetails"]["vulnerablePackages"][0]
    ids = [f["packageVulnerabilityDetails"]["vulnerabilityId"]] + f["vigil"].get("aliases", [])
    for i in ids:
        if i.startswith("RUSTSEC-"):
            (got_w if f["severity"] == "INFORMATIONAL" else got_v).add((p["name"], p["version"], i))
def show(name, want, got):
    print(f"{name}: cargo audit {len(want)}, vigil {len(got)}, both {len(want & got)}")
    for x in sorted(want - got): print("  only cargo audit:", x)
    for x in sorted(got - want): print("  only vigil:", x)
show("vulnerabilities", want_v, got_v)
show("informational warnings", want_w, got_w)
sys.exit(0 if want_v == got_v and want_w == got_w else 1)
PY

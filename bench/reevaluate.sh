#!/usr/bin/env bash
# Re-evaluation after advisory database updates at fleet scale (crates/vigil-server/benches/
# reevaluate.rs): RESOURCES stored inventories generated from the bench image's package set,
# then two database updates built from ../shared/vulndata:
#   DB0: everything but the newest records (PyPI published since PYPI_CUT, RustSec since
#        RUST_CUT);  DB1: DB0 + those RustSec records;  DB2: DB1 + those PyPI records.
#
#   bash bench/reevaluate.sh [RESOURCES=10000] [WORK=/tmp/vigil-reeval-bench]
#
# The package pool is the bench image's SBOM (bench/build-image.sh, WORKDIR /work/bench), or
# POOL=FILE (any CycloneDX JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
W=${2:-/tmp/vigil-reeval-bench}
PYPI_CUT=${PYPI_CUT:-2024-04-01}
RUST_CUT=${RUST_CUT:-2026-02-01}
V=$PWD/target/release/vigil
cargo build --release -q
mkdir -p "$W"
POOL=${POOL:-$W/pool.cdx.json}
[ -f "$POOL" ] || $V sbom /work/bench/image --format cyclonedx -q -o "$POOL"
if [ ! -f "$W/db2.db" ]; then
  python3 - "$W" "$PYPI_CUT" "$RUST_CUT" <<'PY'
import json, os, shutil, sys, zipfile
w, pypi_cut, rust_cut = sys.argv[1:]
src = "../shared/vulndata"
def split(zpath, cut):
    old, new = [], []
    with zipfile.ZipFile(zpath) as z:
        for n in z.namelist():
            data = z.read(n)
            pub = (json.loads(data).get("published") or "")[:10]
            (new if pub >= cut else old).append((n, data))
    return old, new
pypi_old, pypi_new = split(f"{src}/osv/PyPI/all.zip", pypi_cut)
rust_old, rust_new = split(f"{src}/osv/crates.io/all.zip", rust_cut)
for name, pypi, rust in [("v0", pypi_old, rust_old), ("v1", pypi_old, rust_old + rust_new),
                         ("v2", pypi_old + pypi_new, rust_old + rust_new)]:
    d = f"{w}/{name}"
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(src, d, ignore=shutil.ignore_patterns("pypa-advisory-database-yaml.zip"))
    for path, recs in [("osv/PyPI/all.zip", pypi), ("osv/crates.io/all.zip", rust)]:
        with zipfile.ZipFile(f"{d}/{path}", "w", zipfile.ZIP_DEFLATED) as z:
            for n, data in recs:
                z.writestr(n, data)
print(f"held back: {len(pypi_new)} PyPI records (published >= {pypi_cut}), "
      f"{len(rust_new)} RustSec records (published >= {rust_cut})")
PY
  for i in 0 1 2; do $V db import --db "$W/db$i.db" "$W/v$i" >/dev/null; done
fi
cargo bench -q -p vigil-server --bench reevaluate -- "$POOL" "$W/db0.db" "$W/db1.db" "$W/db2.db" "$N"

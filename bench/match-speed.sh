#!/usr/bin/env bash
# Matching speed: open the full multi-ecosystem advisory database and match the benchmark
# image's inventory against it. Reports open and match times (from `vigil -v`'s timing line,
# warm page cache, median of RUNS) and the peak RSS of the whole `vigil scan` process.
#
#   bash bench/match-speed.sh [IMAGE]     (default /work/bench/image, built by bench/build-image.sh)
#
# The database is built once from ../shared/vulndata (every source in it). The inventory is
# read from a CycloneDX SBOM of the image, so the image walk is not part of the figure.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-/work/bench/image}
VULNDATA=${VULNDATA:-$(cd .. && pwd)/shared/vulndata}
OUT=${OUT:-/tmp/vigil-match-bench}
RUNS=${RUNS:-15}
mkdir -p "$OUT"
cargo build --release -q
V=target/release/vigil
if [ ! -f "$OUT/full.db" ]; then
  /usr/bin/time -f "import: %e s, %M KB peak" $V db import --db "$OUT/full.db" "$VULNDATA" >/dev/null
fi
$V db status --db "$OUT/full.db" | head -6
[ -f "$OUT/inv.cdx.json" ] || $V sbom "$IMAGE" -q --format cyclonedx -o "$OUT/inv.cdx.json"
$V scan "sbom:$OUT/inv.cdx.json" --db "$OUT/full.db" --format json -q -o /dev/null  # warm the cache
for i in $(seq "$RUNS"); do
  RUST_LOG=vigil=info /usr/bin/time -f "rss_kb=%M" $V scan "sbom:$OUT/inv.cdx.json" --db "$OUT/full.db" \
    --format json -q -o /dev/null 2>&1 | tr -d '\033' | grep -oE "open_ms=[0-9.]+|match_ms=[0-9.]+|packages=[0-9]+|findings=[0-9]+|rss_kb=[0-9]+" | tr '\n' ' '
  echo
done | python3 -c '
import sys, statistics
rows = [dict(kv.split("=") for kv in l.split()) for l in sys.stdin if l.strip()]
med = lambda k: statistics.median(float(r[k]) for r in rows)
first = rows[0]
print("packages %s, findings %s, runs %d" % (first["packages"], first["findings"], len(rows)))
print("open  median %.2f ms" % med("open_ms"))
print("match median %.2f ms" % med("match_ms"))
print("peak RSS (whole scan process incl. SBOM decode) median %.1f MB" % (med("rss_kb") / 1024))
'

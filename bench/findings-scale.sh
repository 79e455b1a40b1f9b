#!/usr/bin/env bash
# Findings service at scale: RESOURCES inventories x PER findings ingested into the store, then
# ListFindings over HTTP with SigV4 (severity + resource filter: goal p99 < 50 ms; an unfiltered
# first page; a residual-criteria query), REQUESTS requests each, on loopback.
#
#   bash bench/findings-scale.sh [RESOURCES=10000] [PER=100] [REQUESTS=300]
#
# Needs about 2.5 GB of free disk for the default 1,000,000 findings ($TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p vigil-server --bench findings_scale -- "${1:-10000}" "${2:-100}" "${3:-300}"

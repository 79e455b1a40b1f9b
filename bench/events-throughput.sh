#!/usr/bin/env bash
# Event delivery: RESOURCES x PER findings (default 100 x 100 = 10,000) change at once (one
# suppression rule flips them all); events per second delivered to a local webhook. Also the
# ingest cost of the outbox triggers (the same ingest with and without them).
#
#   bash bench/events-throughput.sh [RESOURCES=100] [PER=100]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p vigil-server --bench events_throughput -- "${1:-100}" "${2:-100}"

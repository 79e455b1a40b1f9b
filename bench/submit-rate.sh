#!/usr/bin/env bash
# End-to-end submission rate: `vigil scan sbom:FILE --server URL` against a local server with
# the full advisory database, COUNT submissions from PARALLEL clients, each under its own
# resource id. Includes the client process, SigV4, the SBOM decode, matching and the store
# transaction.
#
#   bash bench/submit-rate.sh [SBOM] [COUNT=200] [PARALLEL=4]
#
# A second phase measures the server alone: bench/submit-load.py sends COUNT pre-signed
# submissions over PARALLEL keep-alive connections (the client costs next to nothing).
#
# SBOM defaults to the bundled demo image's; the database is bench/match-speed.sh's
# (/tmp/vigil-match-bench/full.db, built from ../shared/vulndata).
set -euo pipefail
cd "$(dirname "$0")/.."
# VIGIL=path/to/vigil compares another build (A/B) without rebuilding.
if [ -z "${VIGIL:-}" ]; then cargo build --release -q; fi
V=${VIGIL:-$PWD/target/release/vigil}
DB=${DB:-/tmp/vigil-match-bench/full.db}
[ -f "$DB" ] || $V db import --db "$DB" ../shared/vulndata >/dev/null
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
SBOM=${1:-}
if [ -z "$SBOM" ]; then SBOM=$work/demo.cdx.json; $V sbom examples/demo-image --format cyclonedx -q -o "$SBOM"; fi
COUNT=${2:-200}; PARALLEL=${3:-4}
key=$($V admin create-key --data-dir "$work/data" --account 111122223333)
export AWS_ACCESS_KEY_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accessKeyId"])' "$key")
export AWS_SECRET_ACCESS_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secretAccessKey"])' "$key")
export AWS_REGION=us-east-1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$V server --listen 127.0.0.1:$port --data-dir "$work/data" --db "$DB" 2>/dev/null & server=$!
sleep 1
start=$(date +%s.%N)
seq 1 "$COUNT" | xargs -P "$PARALLEL" -I{} $V scan "sbom:$SBOM" --server http://127.0.0.1:$port --resource-id "host-{}" -o /dev/null
end=$(date +%s.%N)
# Server-side CPU (user + system clock ticks of the server process) per submission: the
# server's own capacity is cores / that, whatever the clients cost on the same machine.
read -r utime stime < <(awk '{print $14, $15}' /proc/$server/stat)
tick=$(getconf CLK_TCK)
python3 -c "import sys; n,u,s,t=map(float,sys.argv[1:]); c=(u+s)/t/n; print(f'server CPU {c*1000:.2f} ms per submission: capacity {1/c:.0f}/s per core')" "$COUNT" "$utime" "$stime" "$tick"
python3 -c "import sys; n=int(sys.argv[1]); t=float(sys.argv[3])-float(sys.argv[2]); print(f'{n} submissions in {t:.2f} s: {n/t:.1f} inventories/s end to end ({sys.argv[4]} clients, $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))[\"components\"]))" "$SBOM") components each)')" "$COUNT" "$start" "$end" "$PARALLEL"
python3 bench/submit-load.py http://127.0.0.1:$port "$SBOM" "$COUNT" "$PARALLEL"

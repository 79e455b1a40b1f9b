#!/usr/bin/env bash
# Findings reports at scale: RESOURCES inventories x PER findings ingested into a store, then a
# JSON and a CSV findings report of all of them written to a local export directory and to a
# moto_server S3 on loopback (started here, bucket `bench`); time and peak RSS growth of each.
#
#   bash bench/report-scale.sh [RESOURCES=1000] [PER=100]
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break; sleep 0.1; done
python3 -c "import boto3; boto3.client('s3', endpoint_url='http://127.0.0.1:$port', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing').create_bucket(Bucket='bench')"
VIGIL_BENCH_S3=http://127.0.0.1:$port cargo bench -q -p vigil-server --bench report_scale -- "${1:-1000}" "${2:-100}"

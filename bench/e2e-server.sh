#!/usr/bin/env bash
# The findings service end to end on a real Debian image, driven by the real AWS CLI:
#   1. start `vigil server` on the embedded store with the full advisory database;
#   2. `vigil scan IMAGE --server` the bench image (bench/build-image.sh: Debian bookworm +
#      old Python/npm packages + a Rust Cargo.lock);
#   3. `aws inspector2 list-findings` filtered by severity;
#   4. `aws inspector2 create-filter --action SUPPRESS` on Django: its findings become SUPPRESSED;
#   5. rescan the same resource from an image with one more layer that upgrades urllib3
#      1.24.1 -> 1.26.19 (a real OCI whiteout of the old dist-info): urllib3's findings CLOSE;
#   6. delete the filter: Django's findings are ACTIVE again.
# Every count is checked, and the script fails when one is off.
#
#   bash bench/e2e-server.sh [WORKDIR=/work/bench]
#
# Needs the AWS CLI (scripts/test.sh installs it), and for a first run root plus access to
# Debian's, PyPI's and npm's registries (the image is built once and kept in WORKDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-/work/bench}")
[ -f "$work/image/index.json" ] || bash bench/build-image.sh "$work"
# the rescan: one layer over the image's two that whiteouts urllib3 1.24.1 and installs 1.26.19
up=$work/layer3-urllib3
if [ ! -f "$work/image-urllib3/index.json" ]; then
  rm -rf "$up" && mkdir -p "$up/usr/local/lib/python3.11/dist-packages"
  python3 -m pip install -q --no-deps --target "$up/usr/local/lib/python3.11/dist-packages" urllib3==1.26.19
  : >"$up/usr/local/lib/python3.11/dist-packages/.wh.urllib3-1.24.1.dist-info"
  python3 bench/pack-oci.py "$work/image-urllib3" "$work/rootfs" "$work/layer2" "$up"
fi
cargo build --release -q
V=$PWD/target/release/vigil
DB=${DB:-/tmp/vigil-match-bench/full.db}
[ -f "$DB" ] || { mkdir -p "$(dirname "$DB")"; $V db import --db "$DB" ../shared/vulndata >/dev/null; }
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
key=$($V admin create-key --data-dir "$tmp/data" --account 111122223333)
export HOME=$tmp/home AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accessKeyId"])' "$key")
export AWS_SECRET_ACCESS_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secretAccessKey"])' "$key")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
$V server --listen 127.0.0.1:$port --data-dir "$tmp/data" --db "$DB" 2>"$tmp/server.log" & server=$!
for _ in $(seq 50); do curl -s -o /dev/null "$url" && break; sleep 0.1; done
aws() { command aws inspector2 --endpoint-url "$url" --output json "$@"; }
# count of findings matching CRITERIA (JSON), all pages (the CLI paginates itself)
count() { aws list-findings --filter-criteria "$1" --query 'length(findings)'; }
sev='"severity":[{"comparison":"EQUALS","value":"HIGH"}]'
django='"vulnerablePackages":[{"name":{"comparison":"EQUALS","value":"Django"}}]'
urllib3='"vulnerablePackages":[{"name":{"comparison":"EQUALS","value":"urllib3"}}]'
st() { echo "\"findingStatus\":[{\"comparison\":\"EQUALS\",\"value\":\"$1\"}]"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

echo "1. scan $work/image as resource bench-debian"
$V scan "$work/image" --server "$url" --resource-id bench-debian -q -o "$tmp/scan1.json"
total=$(count '{}'); active=$(count "{$(st ACTIVE)}")
echo "   $total findings, $active ACTIVE: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print({k: d[k] for k in ("new","active","suppressed","closed")})' "$tmp/scan1.json" 2>/dev/null || cat "$tmp/scan1.json" | head -c 300)"
[ "$total" -gt 0 ] && [ "$total" = "$active" ] || fail "expected every finding ACTIVE after the first scan"
high=$(count "{$sev}")
echo "2. aws inspector2 list-findings --filter-criteria '{$sev}': $high HIGH"
aws list-findings --filter-criteria "{$sev}" \
  --query 'findings[].[packageVulnerabilityDetails.vulnerabilityId, packageVulnerabilityDetails.vulnerablePackages[0].name, packageVulnerabilityDetails.vulnerablePackages[0].version]' --output text | sed 's/^/   /'
[ "$high" -gt 0 ] || fail "no HIGH findings"
nd=$(count "{$django}")
arn=$(aws create-filter --name accept-django --action SUPPRESS --reason "internal admin only" \
  --filter-criteria "{$django}" --query arn --output text)
sup=$(count "{$(st SUPPRESSED)}")
echo "3. create-filter SUPPRESS Django ($arn): $sup SUPPRESSED of $nd Django findings"
[ "$nd" -gt 0 ] && [ "$sup" = "$nd" ] || fail "suppressed $sup, Django findings $nd"
nu=$(count "{$urllib3}")
echo "4. rescan bench-debian from $work/image-urllib3 (urllib3 1.24.1 -> 1.26.19)"
$V scan "$work/image-urllib3" --server "$url" --resource-id bench-debian -q -o "$tmp/scan2.json"
closed=$(count "{$(st CLOSED)}")
closed_u=$(count "{$(st CLOSED),$urllib3}")
open_u=$(count "{$(st ACTIVE),$urllib3}")
echo "   $closed CLOSED ($closed_u of urllib3's $nu), $open_u urllib3 findings still ACTIVE (those 1.26.19 is still affected by)"
[ "$closed_u" -gt 0 ] && [ "$closed" = "$closed_u" ] || fail "the rescan closed $closed findings, $closed_u of urllib3"
[ "$(count "{$(st SUPPRESSED)}")" = "$nd" ] || fail "the rescan changed the suppressed set"
aws delete-filter --arn "$arn" >/dev/null
back=$(count "{$(st ACTIVE),$django}")
echo "5. delete-filter: $back Django findings ACTIVE again, $(count "{$(st SUPPRESSED)}") SUPPRESSED"
[ "$back" = "$nd" ] || fail "Django findings ACTIVE after deleting the rule: $back of $nd"
echo "OK"

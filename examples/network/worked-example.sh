#!/usr/bin/env bash
# The README's worked example: two hosts with the same CVE, one reachable from the internet,
# one private; their Vigil scores differ and each adjustment says why.
#   bash examples/network/worked-example.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q
V=$PWD/target/release/vigil
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
$V db import --db "$tmp/adv.db" examples/advisories >/dev/null
key=$($V admin create-key --data-dir "$tmp/data" --account 111122223333)
export AWS_ACCESS_KEY_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accessKeyId"])' "$key")
export AWS_SECRET_ACCESS_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secretAccessKey"])' "$key")
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 HOME=$tmp/home
mkdir -p "$HOME"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$V server --listen 127.0.0.1:$port --data-dir "$tmp/data" --db "$tmp/adv.db" 2>"$tmp/server.log" & server=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port" && break; sleep 0.1; done
url=http://127.0.0.1:$port
# the same image's packages on both hosts
for h in web-1 app-1; do
  $V scan examples/demo-image --server "$url" --resource-id "$h" -q -o /dev/null
done
post() {  # a SigV4-signed POST (botocore) to a Vigil endpoint
  python3 - "$url$1" "$2" <<'PY'
import json, sys, urllib.request, botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
r = AWSRequest(method="POST", url=sys.argv[1], data=sys.argv[2].encode(), headers={"content-type": "application/json"})
SigV4Auth(botocore.session.get_session().get_credentials(), "inspector2", "us-east-1").add_auth(r)
req = urllib.request.Request(r.url, data=r.body, headers=dict(r.headers.items()), method="POST")
print(urllib.request.urlopen(req).read().decode())
PY
}
model=$(python3 -c 'import json,sys; print(json.dumps({"format": "yaml", "model": open(sys.argv[1]).read()}))' examples/network/two-hosts.yaml)
echo "network analysis:"
post /vigil/v1/network/analyze "$model" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("  ", {k: d[k] for k in ("hosts","exposures","findings","rescoredHosts")})'
cat >"$tmp/show.py" <<'PY'
import json, sys
f = json.load(sys.stdin)["findings"][0]
a = f["inspectorScoreDetails"]["adjustedCvss"]
base = [c for c in f["packageVulnerabilityDetails"]["cvss"]
        if c["source"] == a["cvssSource"] and c["version"] == a["version"]][0]
print("  %s: %s %s (CVSS %s base %s; scored %s)" % (sys.argv[1], f["severity"], f["inspectorScore"],
      base["version"], base["baseScore"], a["scoringVector"]))
for x in a["adjustments"]:
    print("    %s: %s" % (x["metric"], x["reason"]))
if not a["adjustments"]:
    print("    no adjustment: the analysis found an internet path to the host")
PY
echo "CVE-2023-43804 (urllib3) on each host:"
for h in web-1 app-1; do
  aws inspector2 list-findings --endpoint-url "$url" --output json --filter-criteria \
    "{\"resourceId\":[{\"comparison\":\"EQUALS\",\"value\":\"$h\"}],\"vulnerabilityId\":[{\"comparison\":\"EQUALS\",\"value\":\"CVE-2023-43804\"}]}" \
    | python3 "$tmp/show.py" "$h"
done
echo "top risks:"
cat >"$tmp/top.py" <<'PY'
import json, sys
for r in json.load(sys.stdin)["topRisks"]:
    print("  %d. %s %s on %s: %s" % (r["rank"], r["score"], r["title"], r["resourceId"], "; ".join(r["why"])))
PY
post /vigil/v1/findings/top-risks '{"maxResults": 4}' | python3 "$tmp/top.py"

#!/usr/bin/env bash
# Scan on push, ten images on one base: what the blob store and the per-layer inventory cache
# save. The ten images are the bench image (bench/build-image.sh: Debian bookworm + old Python
# and npm packages, two layers) plus one small layer of their own each (an app file and a
# requirements.txt naming a different old package). Steps:
#   1. baseline: `vigil scan` of each image, one after another (no cache: every layer walked);
#   2. `docker-registry` on loopback notifying `vigil server` (the full advisory database);
#      `skopeo copy` pushes the ten images; the server pulls, inventories and matches each
#      with no manual scan. Timed from the first push until the tenth image is in coverage.
# Prints per-image server scan seconds, bytes downloaded, layer-cache hits/misses, and the
# ratios against the baseline.
#
#   bash bench/registry-scan.sh [WORKDIR=/work/bench] [N=10]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-/work/bench}")
n=${2:-10}
[ -f "$work/image/index.json" ] || bash bench/build-image.sh "$work"
command -v skopeo >/dev/null || { echo "needs skopeo (apt-get install skopeo)" >&2; exit 1; }
cargo build --release -q
V=$PWD/target/release/vigil
DB=${DB:-/tmp/vigil-match-bench/full.db}
[ -f "$DB" ] || { mkdir -p "$(dirname "$DB")"; $V db import --db "$DB" ../shared/vulndata >/dev/null; }
tmp=$(mktemp -d)
trap 'kill $server $registry 2>/dev/null || true; rm -rf "$tmp"' EXIT

# the ten images: the base's blobs shared, one small layer each
python3 - "$work/image" "$tmp/images" "$n" <<'EOF'
import gzip, hashlib, io, json, os, shutil, sys, tarfile
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
pkgs = ["urllib3==1.24.1", "requests==2.19.0", "Jinja2==2.10", "PyYAML==5.3.1", "Django==3.2.0",
        "Flask==0.12.2", "Pillow==8.0.0", "lxml==4.6.2", "cryptography==3.2", "paramiko==2.4.1"]
sha = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
for i in range(n):
    d = os.path.join(out, f"app{i}")
    os.makedirs(os.path.join(d, "blobs", "sha256"))
    for f in os.listdir(os.path.join(src, "blobs", "sha256")):
        os.link(os.path.join(src, "blobs", "sha256", f), os.path.join(d, "blobs", "sha256", f))
    shutil.copy(os.path.join(src, "oci-layout"), d)
    blob = lambda dg: os.path.join(d, "blobs", *dg.split(":"))
    index = json.load(open(os.path.join(src, "index.json")))
    m = index["manifests"][0]
    manifest = json.load(open(blob(m["digest"])))
    config = json.load(open(blob(manifest["config"]["digest"])))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data in [(f"srv/app{i}/requirements.txt", (pkgs[i % len(pkgs)] + "\n").encode()),
                           (f"srv/app{i}/main.py", f"print({i})\n".encode())]:
            ti = tarfile.TarInfo(path); ti.size = len(data); ti.mtime = 0
            t.addfile(ti, io.BytesIO(data))
    raw = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(raw)
    gz = gz.getvalue()
    def put(b):
        p = blob(sha(b))
        if not os.path.exists(p):
            open(p, "wb").write(b)
        return sha(b)
    put(gz)
    config["rootfs"]["diff_ids"].append(sha(raw))
    cb = json.dumps(config, sort_keys=True).encode()
    manifest["config"] = {"mediaType": manifest["config"]["mediaType"], "digest": put(cb), "size": len(cb)}
    manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(gz), "size": len(gz)})
    mb = json.dumps(manifest, sort_keys=True).encode()
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": manifest.get("mediaType", "application/vnd.oci.image.manifest.v1+json"),
               "digest": put(mb), "size": len(mb), "platform": {"os": "linux", "architecture": "amd64"}}]},
              open(os.path.join(d, "index.json"), "w"))
EOF
image_bytes=$(du -sb "$work/image/blobs" | cut -f1)
echo "base image: $(du -sh "$work/image/blobs" | cut -f1) of blobs, $n images"

echo "1. baseline: vigil scan of each image (no cache)"
t0=$(date +%s.%N)
for i in $(seq 0 $((n - 1))); do
  $V scan "$tmp/images/app$i" --db "$DB" -q --format json -o "$tmp/cli$i.json"
done
t1=$(date +%s.%N)
cli=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
echo "   $cli s for $n images"

free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sport=$(free); rport=$(free)
url=http://127.0.0.1:$sport
key=$($V admin create-key --data-dir "$tmp/data" --account 111122223333)
reg=$($V admin add-registry --data-dir "$tmp/data" --name bench --url "http://127.0.0.1:$rport" \
      --server-url "$url" --account 111122223333)
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$reg")
notify=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["notificationUrl"])' "$reg")
cat >"$tmp/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $tmp/registry
http:
  addr: 127.0.0.1:$rport
notifications:
  endpoints:
    - name: vigil
      url: $notify
      headers:
        Authorization: ["Bearer $token"]
      timeout: 5s
      threshold: 10
      backoff: 1s
EOF
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 & registry=$!
RUST_LOG=vigil_server=info $V server --listen 127.0.0.1:$sport --data-dir "$tmp/data" --db "$DB" 2>"$tmp/server.log" & server=$!
for _ in $(seq 100); do curl -s -o /dev/null "$url" && curl -s -o /dev/null "http://127.0.0.1:$rport/v2/" && break; sleep 0.1; done
export HOME=$tmp/home AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accessKeyId"])' "$key")
export AWS_SECRET_ACCESS_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secretAccessKey"])' "$key")

echo "2. push $n images to docker-registry; the server scans them on push"
t0=$(date +%s.%N)
for i in $(seq 0 $((n - 1))); do
  skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$tmp/images/app$i" \
    "docker://127.0.0.1:$rport/bench/app$i:1.0"
done
t_push=$(date +%s.%N)
for _ in $(seq 1200); do
  done_n=$(aws inspector2 list-coverage --endpoint-url "$url" --output json \
    --query "length(coveredResources[?scanStatus.reason=='SUCCESSFUL'])")
  [ "$done_n" = "$n" ] && break
  sleep 0.5
done
t1=$(date +%s.%N)
[ "$done_n" = "$n" ] || { echo "FAILED: only $done_n of $n images scanned"; tail -20 "$tmp/server.log"; exit 1; }
python3 - "$tmp" "$n" "$url" "$t0" "$t_push" "$t1" "$cli" "$image_bytes" <<'EOF'
import json, subprocess, sys
tmp, n, url, t0, tp, t1, cli, base_bytes = sys.argv[1], int(sys.argv[2]), sys.argv[3], *map(float, sys.argv[4:7]), float(sys.argv[7]), int(sys.argv[8])
out = subprocess.run(["python3", "-c", r'''
import json, os, sys, urllib.request, botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
creds = botocore.session.get_session().get_credentials()
r = AWSRequest(method="POST", url=sys.argv[1] + "/vigil/v1/jobs/list", data=b"{}", headers={"content-type": "application/json"})
SigV4Auth(creds, "inspector2", "us-east-1").add_auth(r)
req = urllib.request.Request(r.url, data=r.body, headers=dict(r.headers.items()), method="POST")
print(urllib.request.urlopen(req).read().decode())
''', url], capture_output=True, text=True, check=True).stdout
jobs = {j["name"]: j for j in json.loads(out)["jobs"]}
totals = jobs["registry-scan"]["lastResult"]["totals"]
cli_findings = sum(len(json.load(open(f"{tmp}/cli{i}.json"))["findings"]) for i in range(n))
print(f"   pushes took {tp - t0:.2f} s; all {n} images in coverage {t1 - t0:.2f} s after the first push")
print(f"   downloaded {totals['bytesDownloaded'] / 1e6:.1f} MB for {n} images whose blobs total {n * base_bytes / 1e6:.1f} MB "
      f"({totals['blobsReused']} blobs reused)")
print(f"   baseline (vigil scan, no cache) {cli:.2f} s; scan on push {t1 - t0:.2f} s end to end "
      f"(ratio {(t1 - t0) / cli:.2f}, pushes included)")
print(f"   CLI findings over the {n} images: {cli_findings}")
EOF
echo "   per image (server log):"
grep "image scanned" "$tmp/server.log" | grep -o 'seconds=[0-9.]* bytes_downloaded=[0-9]* layer_cache_hits=[0-9]* layer_cache_misses=[0-9]*' | sed 's/^/     /' || true
server_n=$(aws inspector2 list-findings --endpoint-url "$url" --output json --query 'length(findings)')
cli_n=$(python3 -c 'import json,sys; print(sum(len(json.load(open(f"{sys.argv[1]}/cli{i}.json"))["findings"]) for i in range(int(sys.argv[2]))))' "$tmp" "$n")
echo "   server findings: $server_n (vigil scan: $cli_n)"
[ "$server_n" = "$cli_n" ] || { echo "FAILED: the server's findings differ from vigil scan's"; exit 1; }

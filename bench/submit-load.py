"""Server-side submission throughput: COUNT pre-signed `POST /vigil/v1/scans` requests (one
resource id each, signed up front with botocore's SigV4 signer, valid for the server's 15-minute
clock-skew window), sent over THREADS keep-alive connections. The client does almost no work
while the clock runs, so the rate is the server's: SigV4 verification, SBOM decode, matching
and the store transaction.

    python3 bench/submit-load.py URL SBOM COUNT THREADS   (credentials from AWS_* variables)
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url, sbom_path, count, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sbom = json.load(open(sbom_path))
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
signer = SigV4Auth(creds, "inspector2", os.environ.get("AWS_REGION", "us-east-1"))
requests = []
for i in range(count):
    body = json.dumps({"sbom": sbom, "resourceId": f"load-{i}"}, separators=(",", ":")).encode()
    r = AWSRequest(method="POST", url=url + "/vigil/v1/scans", data=body,
                   headers={"content-type": "application/json"})
    signer.add_auth(r)
    requests.append((body, dict(r.headers.items())))

host = urllib.parse.urlparse(url).netloc
errors = []
latencies = []
lock = threading.Lock()


def worker(mine):
    conn = http.client.HTTPConnection(host, timeout=300)
    for body, headers in mine:
        t = time.perf_counter()
        conn.request("POST", "/vigil/v1/scans", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        with lock:
            latencies.append(time.perf_counter() - t)
            if resp.status != 200:
                errors.append(data[:200])


start = time.perf_counter()
ts = [threading.Thread(target=worker, args=(requests[k::threads],)) for k in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
elapsed = time.perf_counter() - start
if errors:
    sys.exit(f"{len(errors)} submissions failed, first: {errors[0]!r}")
latencies.sort()
p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
print(f"{count} pre-signed submissions over {threads} connections in {elapsed:.2f} s: "
      f"{count / elapsed:.1f} inventories/s at the server (latency p50 {p(0.5):.1f} ms, "
      f"p99 {p(0.99):.1f} ms; {len(sbom.get('components', []))} components each)")

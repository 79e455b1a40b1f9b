#!/usr/bin/env python3
"""Sign requests with the installed botocore, for tests/botocore.rs.

Reads a JSON list of jobs on stdin and writes a JSON list of results, one per
job, in the same order. Every job has a "kind":

* "sign": sign one request with botocore.auth.SigV4Auth (the signer the AWS
  CLI uses for inspector2). Fields: method, host, path, query (raw, no "?"),
  headers ([[name, value], ...]), body_hex, region, service, timestamp
  ("YYYYMMDDTHHMMSSZ"), access_key, secret_key, token (or null), and
  optionally payload_signing (false: botocore sends UNSIGNED-PAYLOAD).
* "presign": the same with botocore.auth.SigV4QueryAuth and "expires".
* "client": call an operation of a real botocore client (service, region,
  operation, params, timestamp and credentials as above, optionally
  endpoint_url) and capture the
  request it sends (before-send), answering it with an empty 200.

Each result has: method, path, query, headers (as sent, Host included),
body_hex, and for "sign"/"presign" canonical_request and string_to_sign.

The signing time is frozen by replacing botocore.auth.get_current_datetime,
which SigV4Auth.add_auth calls for the timestamp.
"""

import datetime
import json
import os
import sys
from unittest import mock
from urllib.parse import urlsplit

try:
    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import botocore.session
except ImportError as exc:  # pragma: no cover - reported by the Rust test
    sys.stderr.write(
        f"botocore is not importable ({exc}); install it with: "
        "python3 -m pip install botocore\n"
    )
    sys.exit(3)

# Never read the developer's AWS configuration or reach the metadata service.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(var, None)


def frozen(timestamp):
    """A patch making botocore sign at `timestamp` (YYYYMMDDTHHMMSSZ)."""
    when = datetime.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ")
    return mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: when)


def capturing(cls):
    class Capturing(cls):
        def canonical_request(self, request):
            self.captured_cr = super().canonical_request(request)
            return self.captured_cr

        def string_to_sign(self, request, canonical_request):
            self.captured_sts = super().string_to_sign(request, canonical_request)
            return self.captured_sts

    return Capturing


def with_host(url, headers):
    """The headers as an HTTP client sends them: Host is added from the URL."""
    out = [[k, v if isinstance(v, str) else v.decode("utf-8")] for k, v in headers]
    if not any(k.lower() == "host" for k, _ in out):
        out.insert(0, ["Host", botocore.auth._host_from_url(url)])
    return out


def describe(method, url, headers, body):
    parts = urlsplit(url)
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = body.read()
    return {
        "method": method,
        "path": parts.path,
        "query": parts.query,
        "headers": with_host(url, headers),
        "body_hex": body.hex(),
    }


def sign_job(job, presign):
    url = f"https://{job['host']}{job['path']}"
    if job["query"]:
        url += "?" + job["query"]
    body = bytes.fromhex(job["body_hex"])
    request = botocore.awsrequest.AWSRequest(
        method=job["method"], url=url, headers=None, data=body
    )
    # AWSRequest's header map keeps repeated names (like an HTTP message).
    for name, value in job["headers"]:
        request.headers[name] = value
    if not job.get("payload_signing", True):
        request.context["payload_signing_enabled"] = False
    creds = botocore.credentials.Credentials(
        job["access_key"], job["secret_key"], job.get("token")
    )
    if presign:
        signer = capturing(botocore.auth.SigV4QueryAuth)(
            creds, job["service"], job["region"], expires=job["expires"]
        )
    else:
        signer = capturing(botocore.auth.SigV4Auth)(creds, job["service"], job["region"])
    with frozen(job["timestamp"]):
        signer.add_auth(request)
    out = describe(request.method, request.url, list(request.headers.items()), request.body)
    out["canonical_request"] = signer.captured_cr
    out["string_to_sign"] = signer.captured_sts
    return out


def client_job(job):
    session = botocore.session.get_session()
    session.set_credentials(job["access_key"], job["secret_key"], job.get("token"))
    client = session.create_client(
        job["service"],
        region_name=job["region"],
        endpoint_url=job.get("endpoint_url"),
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )
    captured = {}

    def before_send(request, **_):
        captured.update(
            describe(request.method, request.url, list(request.headers.items()), request.body)
        )
        response = botocore.awsrequest.AWSResponse(request.url, 200, {}, None)
        response._content = b"{}"
        return response

    client.meta.events.register("before-send", before_send)
    with frozen(job["timestamp"]):
        getattr(client, job["operation"])(**job["params"])
    return captured


def main():
    jobs = json.load(sys.stdin)
    results = []
    for job in jobs:
        kind = job["kind"]
        if kind == "sign":
            results.append(sign_job(job, presign=False))
        elif kind == "presign":
            results.append(sign_job(job, presign=True))
        elif kind == "client":
            results.append(client_job(job))
        else:
            raise SystemExit(f"unknown job kind {kind!r}")
    json.dump({"botocore_version": botocore.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    import botocore.config  # noqa: E402  (after the environment is cleaned)

    main()

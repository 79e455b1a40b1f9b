#!/usr/bin/env python3
"""Drives a real botocore inspector2 client without network access.

Used by the vigil-api tests (skipped when botocore is not installed).

  serialize <Operation>   stdin: {"params": {...}, "full_filter_criteria": bool}
                          stdout: the JSON request body botocore would send
  parse-error             stdin: {"status": int, "headers": {...}, "body": str}
                          stdout: {"exception": <class name>, "response": {...}}

For `serialize`, "full_filter_criteria": true adds a `filterCriteria` with
every member the model defines (generated from the model), so that nothing
the CLI can send is missed. Timestamps may be given as ISO strings; they are
passed to botocore as datetimes, as the CLI does.
"""
import datetime
import json
import sys

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config


def client():
    session = botocore.session.get_session()
    return session.create_client(
        "inspector2",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"total_max_attempts": 1}),
    )


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **_kwargs):
        yield self._body


def example_value(model, shape, depth=0):
    """A valid example value for `shape` covering every member."""
    t = shape.type_name
    if t == "structure":
        return {name: example_value(model, member, depth + 1)
                for name, member in shape.members.items()}
    if t == "list":
        return [example_value(model, shape.member, depth + 1)]
    if t == "map":
        return {"k": example_value(model, shape.value, depth + 1)}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        return "v"
    if t == "timestamp":
        return datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    if t in ("integer", "long"):
        return 22
    if t in ("double", "float"):
        return 1.5
    if t == "boolean":
        return True
    raise ValueError("unhandled type " + t)


def to_datetimes(value):
    if isinstance(value, dict):
        return {k: to_datetimes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_datetimes(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def serialize(operation, spec):
    c = client()
    params = to_datetimes(spec.get("params", {}))
    if spec.get("full_filter_criteria"):
        model = c.meta.service_model
        params["filterCriteria"] = example_value(model, model.shape_for("FilterCriteria"))
    captured = {}

    def before_send(request, **_kwargs):
        captured["body"] = request.body
        return AWSResponse(request.url, 200, {"Content-Type": "application/json"}, _Raw(b"{}"))

    c.meta.events.register("before-send.inspector2", before_send)
    method = c.meta.method_to_api_mapping
    py_name = {v: k for k, v in method.items()}[operation]
    getattr(c, py_name)(**params)
    body = captured["body"]
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    sys.stdout.write(body or "{}")


def parse_error(spec):
    c = client()

    def before_send(request, **_kwargs):
        return AWSResponse(request.url, spec["status"], spec["headers"],
                           _Raw(spec["body"].encode("utf-8")))

    c.meta.events.register("before-send.inspector2", before_send)
    try:
        c.list_findings()
    except c.exceptions.ClientError as e:
        response = {k: v for k, v in e.response.items() if k != "ResponseMetadata"}
        response["HTTPStatusCode"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
        json.dump({"exception": type(e).__name__, "response": response}, sys.stdout,
                  default=str)
        return
    json.dump({"exception": None}, sys.stdout)


def main():
    spec = json.load(sys.stdin)
    if sys.argv[1] == "serialize":
        serialize(sys.argv[2], spec)
    elif sys.argv[1] == "parse-error":
        parse_error(spec)
    else:
        raise SystemExit("unknown mode " + sys.argv[1])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Validate SARIF files against the official SARIF 2.1.0 JSON schema (OASIS, rtm.5), offline.

    validate_sarif.py FILE...

The schema ships in the npm package @microsoft/jest-sarif@1.0.0-beta.0
(`lib/schemas/sarif-2.1.0-rtm.5.json`, the OASIS schema as published); scripts/test.sh unpacks
it to $VIGIL_TEST_CACHE (default ~/.cache/vigil-tests).
"""
import json, os, sys

CACHE = os.environ.get("VIGIL_TEST_CACHE", os.path.expanduser("~/.cache/vigil-tests"))
SCHEMA = os.path.join(CACHE, "sarif-2.1.0-rtm.5.json")
INSTALL = ("run: bash scripts/test.sh (or: cd $(mktemp -d) && npm pack @microsoft/jest-sarif@1.0.0-beta.0 "
           f"&& tar xzf *.tgz && cp package/lib/schemas/sarif-2.1.0-rtm.5.json {CACHE}/)")
try:
    import jsonschema
except ImportError as e:
    sys.exit(f"missing Python module ({e}); python3 -m pip install 'jsonschema[format]==4.26.0'")
if not os.path.isfile(SCHEMA):
    sys.exit(f"missing schema file {SCHEMA}; {INSTALL}")
schema = json.load(open(SCHEMA, encoding="utf-8"))
cls = jsonschema.validators.validator_for(schema)
validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
bad = 0
for path in sys.argv[1:]:
    doc = json.load(open(path, encoding="utf-8"))
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        bad += 1
        print(f"{path}: {'/'.join(map(str, err.absolute_path))}: {err.message}")
    # rules the schema cannot express: each result's ruleIndex points at its rule
    for run in doc.get("runs", []):
        rules = run["tool"]["driver"].get("rules", [])
        for i, r in enumerate(run.get("results", [])):
            idx = r.get("ruleIndex")
            if idx is not None and (idx >= len(rules) or rules[idx]["id"] != r.get("ruleId")):
                bad += 1
                print(f"{path}: runs/results/{i}: ruleIndex {idx} does not name rule {r.get('ruleId')}")
sys.exit(1 if bad else 0)

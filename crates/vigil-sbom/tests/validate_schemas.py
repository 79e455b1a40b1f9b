#!/usr/bin/env python3
"""Validate SBOM files against the official JSON schemas, offline, with format checks.

    validate_schemas.py cyclonedx FILE...
    validate_schemas.py spdx FILE...

Schemas come from PyPI packages (installed by scripts/test.sh):
- CycloneDX 1.6 (+ spdx.schema.json, jsf-0.82.schema.json): cyclonedx-python-lib 11.12.0,
  the CycloneDX project's own library (`cyclonedx/schema/_res/*.SNAPSHOT.schema.json`).
- SPDX 2.3: lib4sbom 0.10.4 (`lib4sbom/schemas/spdx/2.3-schema.json`, a copy of
  spdx-spec's `schemas/spdx-schema-2-3.json`).
Exit status 0 when every file is valid; otherwise each error is printed with its JSON path.
"""
import json, os, sys

try:
    import jsonschema
    from referencing import Registry, Resource
    import cyclonedx
    import lib4sbom
except ImportError as e:  # pragma: no cover
    sys.exit(f"missing Python module ({e}); run: python3 -m pip install 'jsonschema[format]==4.26.0' "
             "cyclonedx-python-lib==11.12.0 lib4sbom==0.10.4")


def load(p):
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def cyclonedx_validator():
    res = os.path.join(os.path.dirname(cyclonedx.__file__), "schema", "_res")
    bom = load(os.path.join(res, "bom-1.6.SNAPSHOT.schema.json"))
    base = "http://cyclonedx.org/schema/"
    spdx_ids = Resource.from_contents(load(os.path.join(res, "spdx.SNAPSHOT.schema.json")))
    jsf = Resource.from_contents(load(os.path.join(res, "jsf-0.82.SNAPSHOT.schema.json")))
    # the schema refers to its siblings by relative name (released or SNAPSHOT spelling)
    registry = Registry().with_resources(
        [(base + n, spdx_ids) for n in ("spdx.schema.json", "spdx.SNAPSHOT.schema.json")]
        + [(base + n, jsf) for n in ("jsf-0.82.schema.json", "jsf-0.82.SNAPSHOT.schema.json")]
    )
    cls = jsonschema.validators.validator_for(bom)
    return cls(bom, registry=registry, format_checker=cls.FORMAT_CHECKER)


def spdx_validator():
    p = os.path.join(os.path.dirname(lib4sbom.__file__), "schemas", "spdx", "2.3-schema.json")
    schema = load(p)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def main():
    kind, files = sys.argv[1], sys.argv[2:]
    v = cyclonedx_validator() if kind == "cyclonedx" else spdx_validator()
    bad = 0
    for f in files:
        errors = sorted(v.iter_errors(load(f)), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            print(f"{f}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}")
        if errors:
            bad += 1
        else:
            print(f"{f}: valid {kind}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

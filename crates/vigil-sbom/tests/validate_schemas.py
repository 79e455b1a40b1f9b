#!/usr/bin/env python3
"""Validate SBOM files against the official JSON schemas, offline, with format checks.

    validate_schemas.py cyclonedx FILE...
    validate_schemas.py spdx FILE...

Schemas come from PyPI packages (installed by scripts/test.sh):
- CycloneDX 1.6 (+ spdx.schema.json, jsf-0.82.schema.json): cyclonedx-python-lib 11.12.0,
  the CycloneDX project's own library (`cyclonedx/schema/_res/*.SNAPSHOT.schema.json`).
- SPDX 2.3: lib4sbom 0.10.4 (`lib4sbom/schemas/spdx/2.3-schema.json`, a copy of
  spdx-spec's `schemas/spdx-schema-2-3.json`).
Then checks spec rules the schemas cannot express (`spdx_rules`, `cyclonedx_rules`: ours).
Exit status 0 when every file is valid; otherwise each error is printed with its JSON path.
"""
import json, os, re, sys

INSTALL = ("run: python3 -m pip install 'jsonschema[format]==4.26.0' "
           "cyclonedx-python-lib==11.12.0 lib4sbom==0.10.4")

try:
    import jsonschema
    from referencing import Registry, Resource
    import cyclonedx
    import lib4sbom
except ImportError as e:  # pragma: no cover
    sys.exit(f"missing Python module ({e}); {INSTALL}")


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


# Rules of the specifications that the JSON schemas do not express (the SPDX 2.3 schema has no
# patterns or formats at all; CycloneDX cannot say that bom-refs are unique). Ours, not official.
SPDX_ID = re.compile(r"^SPDXRef-[A-Za-z0-9.-]+$")
SPDX_CREATED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LICENSE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.-]+")


def spdx_rules(doc):
    errors = []
    ids = [p.get("SPDXID", "") for p in doc.get("packages", [])]
    for i in ids:
        if not SPDX_ID.match(i):
            errors.append(f"SPDXID `{i}` is not SPDXRef-[A-Za-z0-9.-]+ (spec 7.2)")
    if len(set(ids)) != len(ids):
        errors.append("SPDXIDs are not unique")
    known = set(ids) | {doc.get("SPDXID")}
    for r in doc.get("relationships", []):
        for k in ("spdxElementId", "relatedSpdxElement"):
            if r.get(k) not in known:
                errors.append(f"relationship names unknown element `{r.get(k)}`")
    if not SPDX_CREATED.match(doc.get("creationInfo", {}).get("created", "")):
        errors.append("creationInfo.created is not YYYY-MM-DDThh:mm:ssZ (spec 6.9)")
    ns = doc.get("documentNamespace", "")
    if "#" in ns or "://" not in ns:
        errors.append(f"documentNamespace `{ns}` is not an absolute URI without `#` (spec 6.5)")
    declared = {e.get("licenseId") for e in doc.get("hasExtractedLicensingInfos", [])}
    for p in doc.get("packages", []):
        for field in ("licenseDeclared", "licenseConcluded"):
            for ref in LICENSE_REF.findall(p.get(field, "")):
                if ref not in declared:
                    errors.append(f"{p.get('SPDXID')}: `{ref}` has no hasExtractedLicensingInfos entry")
    return errors


def cyclonedx_rules(doc):
    errors = []
    refs = []
    def walk(cs):
        for c in cs:
            refs.append(c.get("bom-ref"))
            walk(c.get("components", []))
    root = doc.get("metadata", {}).get("component")
    if root:
        walk([root])
    walk(doc.get("components", []))
    present = [r for r in refs if r is not None]
    if len(set(present)) != len(present):
        errors.append("bom-refs are not unique")
    for d in doc.get("dependencies", []):
        for r in [d.get("ref")] + d.get("dependsOn", []):
            if r not in present:
                errors.append(f"dependency names unknown bom-ref `{r}`")
    return errors


def main():
    kind, files = sys.argv[1], sys.argv[2:]
    if kind not in ("cyclonedx", "spdx"):
        sys.exit(f"unknown kind `{kind}` (cyclonedx or spdx)")
    try:
        v = cyclonedx_validator() if kind == "cyclonedx" else spdx_validator()
    except FileNotFoundError as e:  # another package version, another layout
        sys.exit(f"missing schema file ({e.filename}); {INSTALL}")
    bad = 0
    for f in files:
        doc = load(f)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            print(f"{f}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}")
        rules = spdx_rules(doc) if kind == "spdx" else cyclonedx_rules(doc)
        for e in rules[:20]:
            print(f"{f}: spec rule: {e}")
        if errors or rules:
            bad += 1
        else:
            print(f"{f}: valid {kind}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

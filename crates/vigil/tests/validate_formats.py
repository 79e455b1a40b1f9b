#!/usr/bin/env python3
"""Validate exported findings and VEX documents against real references, offline.

    validate_formats.py asff FILE     # FILE: a JSON list of ASFF findings
    validate_formats.py ocsf FILE     # FILE: a JSON list of OCSF events
    validate_formats.py openvex FILE  # FILE: an OpenVEX document

- ASFF: botocore's securityhub service model, `AwsSecurityFinding` as BatchImportFindings takes
  it. botocore's ParamValidator checks types, required members, lengths and ranges; it does not
  check enums or patterns, so this script also walks the model and checks every string against
  its shape's `enum` and `pattern` (ASFF's NonEmptyString is `.*\\S.*`). Batches of 100, the
  operation's limit.
- OCSF: the JSON Schema of the Vulnerability Finding class (2002) of OCSF 1.4.0 with the
  `cloud` profile, generated offline by PyPI's ocsf-json-schema (which ships the OCSF schema
  exports), checked with jsonschema (draft 2020-12, `additionalProperties: false`).
- OpenVEX: vexipy (PyPI), pydantic models of the OpenVEX 0.2.0 specification; its warnings
  (e.g. an impact statement without a justification) are reported, not fatal.

Prints {"valid": N, "errors": [...], "warnings": [...]} and exits 1 when there are errors.
"""
import json, re, sys, warnings

INSTALL = ("run: python3 -m pip install boto3==1.43.11 'jsonschema[format]==4.26.0' "
           "ocsf-json-schema==1.2.0 vexipy==0.3.0")


def asff(findings):
    try:
        import botocore.session
        from botocore.validate import ParamValidator
    except ImportError as e:  # pragma: no cover
        sys.exit(f"missing Python module ({e}); {INSTALL}")
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    errors = []
    for start in range(0, len(findings), 100):
        report = ParamValidator().validate({"Findings": findings[start:start + 100]}, shape)
        if report.has_errors():
            errors.append(f"findings[{start}:{start + 100}]: {report.generate_report()}")

    def walk(value, s, path):
        t = s.type_name
        if t == "structure" and isinstance(value, dict):
            for k, v in value.items():
                if k in s.members:
                    walk(v, s.members[k], f"{path}.{k}")
        elif t == "list" and isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, s.member, f"{path}[{i}]")
        elif t == "map" and isinstance(value, dict):
            for k, v in value.items():
                walk(k, s.key, f"{path}<key {k}>")
                walk(v, s.value, f"{path}.{k}")
        elif t == "string" and isinstance(value, str):
            if s.enum and value not in s.enum:
                errors.append(f"{path}: `{value}` is not one of {s.enum}")
            pattern = s.metadata.get("pattern")
            if pattern and not re.fullmatch(pattern, value, re.S):
                errors.append(f"{path}: `{value}` does not match {pattern}")

    item = shape.members["Findings"].member
    for i, f in enumerate(findings):
        walk(f, item, f"Findings[{i}]")
    return errors, []


def ocsf(events):
    try:
        import jsonschema
        from ocsf_json_schema import get_ocsf_schema, get_packaged_versions, OcsfJsonSchemaEmbedded
    except ImportError as e:  # pragma: no cover
        sys.exit(f"missing Python module ({e}); {INSTALL}")
    errors = []
    validators = {}
    for i, e in enumerate(events):
        version = e.get("metadata", {}).get("version")
        profiles = tuple(e.get("metadata", {}).get("profiles", []))
        key = (version, profiles)
        if version not in get_packaged_versions():
            errors.append(f"events[{i}].metadata.version: `{version}` is not an OCSF version "
                          f"ocsf-json-schema ships ({sorted(get_packaged_versions())})")
            continue
        if key not in validators:
            schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version)).get_class_schema(
                "vulnerability_finding", list(profiles))
            cls = jsonschema.validators.validator_for(schema)
            validators[key] = cls(schema, format_checker=cls.FORMAT_CHECKER)
        for err in validators[key].iter_errors(e):
            errors.append(f"events[{i}]{''.join(f'[{p!r}]' for p in err.absolute_path)}: {err.message}")
        if e.get("class_uid") != 2002 or e.get("type_uid") != 200200 + e.get("activity_id", -1):
            errors.append(f"events[{i}]: class_uid/type_uid inconsistent")
    return errors, []


def openvex(doc):
    try:
        from vexipy import Document
    except ImportError as e:  # pragma: no cover
        sys.exit(f"missing Python module ({e}); {INSTALL}")
    errors = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            d = Document.model_validate(doc)
            if not d.statements:
                errors.append("no statements")
        except Exception as e:  # pydantic's ValidationError names each location
            errors.append(str(e))
    return errors, [str(w.message) for w in caught]


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    errors, warns = {"asff": asff, "ocsf": ocsf, "openvex": openvex}[kind](data)
    valid = (len(data) if isinstance(data, list) else 1) if not errors else 0
    print(json.dumps({"valid": valid, "errors": errors, "warnings": warns}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()

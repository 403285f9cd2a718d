#!/usr/bin/env python3
"""Validates documents Plinth writes with the tools their formats' maintainers publish:
SPDX 2.3 JSON with spdx-tools (PyPI spdx-tools), CycloneDX 1.6 JSON with
cyclonedx-python-lib's strict JSON validator, OpenVEX 0.2.0 against OpenVEX's JSON schema,
and Renovate custom datasource answers against the schema written from Renovate's own
(jsonschema, draft 2020-12). Prints each problem; exits 1 if any document has one.

Usage: validate-documents.py spdx|cyclonedx|openvex|renovate FILE...
       (the schemas are in Tests/PlinthServerTests/Fixtures/openvex/ and renovate/)
"""
import json
import os
import sys


def spdx(path):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = parse_file(path)
    return [m.validation_message for m in validate_full_spdx_document(document, "SPDX-2.3")]


def cyclonedx(path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    with open(path) as f:
        error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(f.read())
    return [] if error is None else [str(error)]


def openvex(path):
    return against("openvex/openvex_json_schema.json", path)


def renovate(path):
    return against("renovate/custom-datasource.schema.json", path)


def against(schema, path):
    import jsonschema

    schema_path = os.path.join(os.path.dirname(__file__), "..", "Tests", "PlinthServerTests", "Fixtures", schema)
    with open(schema_path) as f:
        schema = json.load(f)
    with open(path) as f:
        document = json.load(f)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("spdx", "cyclonedx", "openvex", "renovate"):
        print(__doc__, file=sys.stderr)
        return 2
    check = {"spdx": spdx, "cyclonedx": cyclonedx, "openvex": openvex, "renovate": renovate}[sys.argv[1]]
    failed = False
    for path in sys.argv[2:]:
        try:
            problems = check(path)
        except Exception as error:  # a document the parser refuses is invalid
            problems = [f"{type(error).__name__}: {error}"]
        for problem in problems:
            print(f"{path}: {problem}")
        failed = failed or bool(problems)
        if not problems:
            print(f"{path}: valid {sys.argv[1]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

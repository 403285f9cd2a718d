#!/usr/bin/env bash
# Installs the checkers the provenance tests run against Plinth's output, in
# .build/venv-documents, once, and prints the venv's python: the SBOM and VEX validators (PyPI
# spdx-tools, cyclonedx-python-lib with its JSON validation, jsonschema) and sigstore-python
# (PyPI sigstore, whose `sigstore verify identity` the keyless tests compare with); and for
# scripts/kyverno-policy.py, jmespath (Kyverno's JMESPath) and PyYAML; and prometheus_client, whose
# text parser the metrics test reads /metrics with.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/venv-documents
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import spdx_tools, cyclonedx.validation.json, jsonschema, sigstore, jmespath, yaml, prometheus_client' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'spdx-tools>=0.8.5,<0.9' 'cyclonedx-python-lib[json-validation]>=11,<12' 'jsonschema>=4.18,<5' 'sigstore==4.5.1' \
    'jmespath>=1.0,<2' 'PyYAML>=6,<7' 'prometheus_client>=0.20,<1' >&2
fi
echo "$PWD/$venv/bin/python"

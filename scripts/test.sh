#!/usr/bin/env bash
# The test suite: installs what it needs, fuzzes the REST API against its OpenAPI document
# with schemathesis, drives the pages in headless Chromium, runs libFuzzer over the parsers of
# untrusted input for a bounded time, then runs every Swift test (Swift
# Testing) twice: on SQLite, and on PostgreSQL (a throwaway server on 127.0.0.1, stopped after).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
swift build --build-tests
# The SBOM and VEX validators (PyPI) the provenance tests run, installed once.
scripts/document-validators.sh >/dev/null
scripts/api-fuzz.sh .build/debug/plinth
scripts/browser-test.sh .build/debug/plinth
# libFuzzer over every parser of untrusted input, a few seconds each (scripts/fuzz.sh 600 for a campaign).
scripts/fuzz.sh 5

echo "== Swift tests on SQLite"
swift test --skip-build --disable-xctest

pgdir=$(mktemp -d /tmp/plinth-test-pg.XXXXXX)
trap 'scripts/postgres.sh stop "$pgdir/data"; rm -rf "$pgdir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=$(PLINTH_PG_FAST=1 scripts/postgres.sh start "$pgdir/data" "$port")
echo "== Swift tests on PostgreSQL ($server)"
export PLINTH_TEST_STORE=postgres PLINTH_TEST_POSTGRES="${server%/plinth}/postgres" PLINTH_TEST_POSTGRES_CA="$pgdir/data/server.crt"
swift test --skip-build --disable-xctest --skip ReplicaTests
# Three plinth serve replicas time what they see of each other: alone on the machine.
echo "== Replicas on PostgreSQL"
swift test --skip-build --disable-xctest --filter ReplicaTests

#!/usr/bin/env bash
# The test suite: installs what it needs, fuzzes the REST API against its OpenAPI document
# with schemathesis, drives the pages in headless Chromium, then runs every Swift test (Swift Testing).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
swift build --build-tests
scripts/api-fuzz.sh .build/debug/plinth
scripts/browser-test.sh .build/debug/plinth
swift test --skip-build --disable-xctest

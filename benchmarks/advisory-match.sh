#!/usr/bin/env bash
# Benchmark: match 100,000 OSV advisories (the real records in Tests/PlinthCatalogTests/Fixtures/osv,
# replicated across 5,000 package names and their versions) against 50 images of 100 packages
# each, on a fresh on-disk SQLite database, through the same code as `plinth advisories list`.
# Reports the matching time (the import is timed apart) and the process's peak memory.
#
# Target (issue 5): under 2 s and under 300 MB.
#
# Usage: benchmarks/advisory-match.sh [ADVISORIES] [IMAGES] [PACKAGES_PER_IMAGE]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product plinth-advisory-bench >&2
.build/release/plinth-advisory-bench Tests/PlinthCatalogTests/Fixtures/osv "${1:-100000}" "${2:-50}" "${3:-100}"

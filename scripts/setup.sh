#!/usr/bin/env bash
# Installs what building and testing Plinth needs on Debian: SQLite headers for GRDB, zlib and zstd
# headers (ZIPFoundation for OSV exports; zstd layers) and curl; with --test also Python's venv module (API fuzzer), and the CNCF distribution
# registry, skopeo, htpasswd and openssl (real registries for the sync tests), and PostgreSQL
# (a throwaway server for the tests on the PostgreSQL store, scripts/postgres.sh).
# Swift itself must already be on PATH.
# Usage: scripts/setup.sh [--test]   (--test adds the tools the test suite uses)
set -euo pipefail

if ! command -v swift >/dev/null; then
  echo "setup: swift is not on PATH; install Swift 6.x first (https://swift.org/install)" >&2
  exit 2
fi

packages=(libsqlite3-dev zlib1g-dev libzstd-dev curl)
if [[ ${1:-} == --test ]]; then
  packages+=(python3-venv docker-registry skopeo apache2-utils openssl chromium chromium-driver postgresql zstd rpm umoci mmdebstrap)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

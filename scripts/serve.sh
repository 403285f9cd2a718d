#!/usr/bin/env bash
# Sets up, builds (release) and serves the seeded catalog on http://127.0.0.1:8080.
# Any arguments go to `plinth serve` (e.g. --port 9000, --db /var/lib/plinth/plinth.sqlite).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "serve: building plinth (release; the first build takes several minutes)" >&2
swift build -c release --product plinth
exec .build/release/plinth serve "$@"

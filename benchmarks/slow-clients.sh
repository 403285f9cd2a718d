#!/usr/bin/env bash
# Slow clients against `plinth serve`: COUNT connections each send half a request head and
# trickle one more byte a second (scripts/slow-clients.py), while wrk sends lookups at
# CONNECTIONS connections for their whole lifetime, in the same run.
#
# Target (issue 10): every slow client closed by the server after the idle timeout; wrk gets
# every lookup answered (no socket errors, no non-2xx answers).
#
# Usage: benchmarks/slow-clients.sh [-n COUNT] [-c CONNECTIONS] [-i IDLE_SECONDS] [-b debug|release]
# Prints the slow clients' report and wrk's; exits 1 when the target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."

count=2000 connections=32 idle=10 build=release
while getopts "n:c:i:b:" opt; do
  case $opt in
    n) count=$OPTARG ;;
    c) connections=$OPTARG ;;
    i) idle=$OPTARG ;;
    b) build=$OPTARG ;;
    *) echo "usage: $0 [-n COUNT] [-c CONNECTIONS] [-i IDLE_SECONDS] [-b debug|release]" >&2; exit 2 ;;
  esac
done

if ! command -v wrk >/dev/null; then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi
scripts/setup.sh
swift build -c "$build" --product plinth >&2
plinth=.build/$build/plinth
ulimit -n "$(( count * 2 + 1024 ))" 2>/dev/null || true

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$plinth" serve --port "$port" --db "$work/plinth.sqlite" --sync-interval 0 --idle-timeout "${idle}s" --log-level warning >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done

digest=sha256:f3034a6ec3c1205360777c4aae76234998866ad18806ae62b63a3f84ccad782b   # debian:bookworm-slim linux/amd64
python3 scripts/slow-clients.py --port "$port" --count "$count" --max-wait $(( idle * 3 + 10 )) >"$work/slow.json" &
slow=$!
sleep 1   # the slow clients are connected before wrk starts
echo "== wrk -c $connections for $(( idle + 2 ))s while $count slow clients are held =="
wrk -t 2 -c "$connections" -d "$(( idle + 2 ))s" --latency "http://127.0.0.1:$port/v1/digests/$digest" | tee "$work/wrk.txt"
wait "$slow"
echo "== slow clients =="
cat "$work/slow.json"

ok=1
python3 - "$work/slow.json" "$count" <<'PY' || ok=0
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert r["opened"] == n, f"only {r['opened']} of {n} slow clients connected"
assert r["closed_by_server"] == n and r["still_open"] == 0, f"{r['still_open']} slow clients still open"
PY
grep -q "Socket errors" "$work/wrk.txt" && { echo "wrk saw socket errors" >&2; ok=0; }
grep -q "Non-2xx" "$work/wrk.txt" && { echo "wrk saw non-2xx answers" >&2; ok=0; }
((ok)) && echo "target met: every slow client closed by the server; every lookup answered" || { echo "target missed" >&2; exit 1; }

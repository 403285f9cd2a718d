#!/usr/bin/env bash
# Benchmark: digest lookups of an Alpine platform manifest with `wrk`, first with no writes,
# then while a curator holds and releases a Debian tag 5 times a second (`PUT` and `DELETE
# /v1/images/debian-bookworm-slim/tags/bookworm-slim/hold`, alternately), against one
# release build of `plinth serve` on the seeded catalog, same machine, same run.
#
# Target (issues 12 and 17): under writes, at least 80% of the write-free rate (50% at 40
# writes a second: -w 40 -m 0.5) and p99 under 5 ms: a change forgets only the answers it
# touches.
#
# Usage: benchmarks/lookups-under-writes.sh [-d SECONDS] [-c CONNECTIONS] [-t THREADS] [-w WRITES_PER_SECOND] [-m MIN_RATIO]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20 connections=32 threads=2 rate=5 minimum=0.8
while getopts "d:c:t:w:m:" opt; do
  case $opt in
    d) duration=$OPTARG ;;
    c) connections=$OPTARG ;;
    t) threads=$OPTARG ;;
    w) rate=$OPTARG ;;
    m) minimum=$OPTARG ;;
    *) echo "usage: $0 [-d SECONDS] [-c CONNECTIONS] [-t THREADS] [-w WRITES_PER_SECOND] [-m MIN_RATIO]" >&2; exit 2 ;;
  esac
done

source benchmarks/common.sh
install_missing wrk:wrk
build_plinth
start_work

port=$(free_port)
base=http://127.0.0.1:$port
token=$("$plinth" token create --role curator --name bench --db "$work/plinth.sqlite" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
"$plinth" serve --port "$port" --db "$work/plinth.sqlite" --log-level warning --sync-interval 0 >"$work/plinth.log" 2>&1 &
pids+=($!)
alpine=$base/v1/digests/sha256:$(python3 -c '
import json
snapshot = json.load(open("seed-data/snapshots/alpine_3.22.json"))["snapshots"][0]
print(next(c["digest"] for c in snapshot["children"] if c["platform"] == "linux/amd64").split(":")[1])')
wait_for "$alpine"
echo 'wrk.headers["Accept"] = "application/json"' >"$work/json.lua"
earlier=sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241

writer() { # writes per second -> counts answers in $work/writes.txt until killed
  exec python3 benchmarks/curator-writes.py "$port" "$token" "$1" "$earlier" "$work/writes.txt"
}

wrk -t"$threads" -c"$connections" -d2s -s "$work/json.lua" "$alpine" >/dev/null  # warm-up
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/json.lua" "$alpine" >"$work/quiet.txt"
writer "$rate" &
writer_pid=$!
pids+=($writer_pid)
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/json.lua" "$alpine" >"$work/busy.txt"
kill "$writer_pid"
wait "$writer_pid" 2>/dev/null || true
read -r quiet_rps _ quiet_p99 quiet_err < <(wrk_summary "$work/quiet.txt")
read -r busy_rps _ busy_p99 busy_err < <(wrk_summary "$work/busy.txt")
writes=$(wc -l <"$work/writes.txt")
bad_writes=$(grep -vc '^20[04]$' "$work/writes.txt" || true)
ratio=$(python3 -c "print(f'{$busy_rps / $quiet_rps:.2f}')")

echo "load: wrk -t$threads -c$connections -d${duration}s on GET /v1/digests/{alpine 3.22 linux/amd64}, same machine, $(nproc) cores"
printf '%-28s %10s %10s %8s\n' run "req/s" "p99 ms" errors
printf '%-28s %10s %10s %8s\n' "no writes" "$quiet_rps" "$quiet_p99" "$quiet_err"
printf '%-28s %10s %10s %8s\n' "$rate writes/s (hold/release)" "$busy_rps" "$busy_p99" "$busy_err"
echo "writes: $writes sent, $bad_writes not answered 200/204; ratio under writes: ${ratio}"
percent=$(python3 -c "print(round($minimum * 100))")
if python3 -c "import sys; sys.exit(0 if $busy_rps >= $minimum * $quiet_rps and $busy_p99 < 5 and $busy_err == 0 and $quiet_err == 0 and $bad_writes == 0 else 1)"; then
  echo "target met: >= $percent% of the write-free rate, p99 < 5 ms, no errors"
else
  echo "target missed: need >= $percent% of the write-free rate, p99 < 5 ms, no errors" >&2
  exit 1
fi

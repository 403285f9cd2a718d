#!/usr/bin/env bash
# Benchmark: digest lookups (an Alpine platform manifest, GET /v1/digests/{digest}) with `wrk`
# against release builds of `plinth serve` on the seeded catalog, same machine, same run:
#   1. one server on SQLite;
#   2. one replica on PostgreSQL (a throwaway server on 127.0.0.1, durable settings);
#   3. three replicas on that PostgreSQL behind round-robin (wrk's Lua setup() gives each
#      thread its own replica);
# then, on each backend, the same lookups while a curator holds and releases a Debian tag
# 5 times a second on the replica measured (`PUT`/`DELETE …/tags/bookworm-slim/hold`).
#
# Target (issue 12): under writes, at least 80% of the write-free rate and p99 under 5 ms, on
# both backends.
#
# Usage: benchmarks/replicas.sh [-d SECONDS] [-c CONNECTIONS] [-w WRITES_PER_SECOND]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20 connections=32 rate=5
while getopts "d:c:w:" opt; do
  case $opt in
    d) duration=$OPTARG ;;
    c) connections=$OPTARG ;;
    w) rate=$OPTARG ;;
    *) echo "usage: $0 [-d SECONDS] [-c CONNECTIONS] [-w WRITES_PER_SECOND]" >&2; exit 2 ;;
  esac
done

source benchmarks/common.sh
install_missing wrk:wrk pg_ctlcluster:postgresql
build_plinth
start_work
# The servers, then PostgreSQL, then the work folder.
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true
      scripts/postgres.sh stop "$work/pg"; rm -rf "$work"' EXIT

pg=$(scripts/postgres.sh start "$work/pg" "$(free_port)")  # postgres://plinth@127.0.0.1:PORT/plinth
sqlite=$work/plinth.sqlite

token_for() { "$plinth" token create --role curator --name "bench-$RANDOM" --db "$1" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'; }
serve() { # db log -> $port
  port=$(free_port)
  "$plinth" serve --port "$port" --db "$1" --log-level warning --sync-interval 0 >"$work/$2.log" 2>&1 &
  pids+=($!)
}
sqlite_token=$(token_for "$sqlite")
pg_token=$(token_for "$pg")
serve "$sqlite" sqlite; s_port=$port
serve "$pg" replica-1; r1=$port
digest=sha256:$(python3 -c '
import json
snapshot = json.load(open("seed-data/snapshots/alpine_3.22.json"))["snapshots"][0]
print(next(c["digest"] for c in snapshot["children"] if c["platform"] == "linux/amd64").split(":")[1])')
wait_for "http://127.0.0.1:$s_port/v1/digests/$digest"
wait_for "http://127.0.0.1:$r1/v1/digests/$digest"  # replica 1 seeded the database; the others find it seeded
serve "$pg" replica-2; r2=$port
serve "$pg" replica-3; r3=$port
wait_for "http://127.0.0.1:$r2/v1/digests/$digest"
wait_for "http://127.0.0.1:$r3/v1/digests/$digest"

echo 'wrk.headers["Accept"] = "application/json"' >"$work/json.lua"
cat >"$work/round-robin.lua" <<LUA
-- Each wrk thread talks to its own replica: requests spread evenly over the three.
local ports = { $r1, $r2, $r3 }
local next = 0
function setup(thread)
  next = next + 1
  thread.addr = wrk.lookup("127.0.0.1", tostring(ports[(next - 1) % #ports + 1]))[1]
end
wrk.headers["Accept"] = "application/json"
LUA

earlier=sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241
writer() { # port token writes-per-second -> answers in $work/writes-PORT.txt until killed
  exec python3 benchmarks/curator-writes.py "$1" "$2" "$3" "$earlier" "$work/writes-$1.txt"
}

measure() { # name threads script port -> $work/NAME.txt
  wrk -t"$2" -c"$connections" -d2s -s "$3" "http://127.0.0.1:$4/v1/digests/$digest" >/dev/null  # warm-up
  wrk -t"$2" -c"$connections" -d"${duration}s" --latency -s "$3" "http://127.0.0.1:$4/v1/digests/$digest" >"$work/$1.txt"
}
under_writes() { # name port token
  writer "$2" "$3" "$rate" &
  local writer_pid=$!
  measure "$1" 2 "$work/json.lua" "$2"
  kill "$writer_pid"
  wait "$writer_pid" 2>/dev/null || true
}

measure sqlite 2 "$work/json.lua" "$s_port"
measure postgres 2 "$work/json.lua" "$r1"
measure postgres-3 3 "$work/round-robin.lua" "$r1"
under_writes sqlite-writes "$s_port" "$sqlite_token"
under_writes postgres-writes "$r1" "$pg_token"

echo "load: wrk -c$connections -d${duration}s on GET /v1/digests/{alpine 3.22 linux/amd64}, release builds, same machine, $(nproc) cores"
printf '%-40s %10s %8s %8s %8s\n' run "req/s" "p50 ms" "p99 ms" errors
declare -A rps p99 errors
for run in sqlite postgres postgres-3 sqlite-writes postgres-writes; do
  read -r r p50 p e < <(wrk_summary "$work/$run.txt")
  rps[$run]=$r p99[$run]=$p errors[$run]=$e
  case $run in
    sqlite) label="SQLite, one server" ;;
    postgres) label="PostgreSQL, one replica" ;;
    postgres-3) label="PostgreSQL, three replicas round-robin" ;;
    sqlite-writes) label="SQLite, $rate writes/s" ;;
    postgres-writes) label="PostgreSQL, one replica, $rate writes/s" ;;
  esac
  printf '%-40s %10s %8s %8s %8s\n' "$label" "$r" "$p50" "$p" "$e"
done
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "ratios: PostgreSQL/SQLite $(ratio "${rps[postgres]}" "${rps[sqlite]}"), three replicas/one $(ratio "${rps[postgres-3]}" "${rps[postgres]}"), under writes: SQLite $(ratio "${rps[sqlite-writes]}" "${rps[sqlite]}"), PostgreSQL $(ratio "${rps[postgres-writes]}" "${rps[postgres]}")"
bad=$(cat "$work"/writes-*.txt | grep -vc '^20[04]$' || true)
echo "writes: $(cat "$work"/writes-*.txt | wc -l) sent, $bad not answered 200/204"
ok=1
for backend in sqlite postgres; do
  python3 -c "import sys; sys.exit(0 if ${rps[$backend-writes]} >= 0.8 * ${rps[$backend]} and ${p99[$backend-writes]} < 5 and ${errors[$backend-writes]} == 0 else 1)" || ok=0
done
if [[ $ok == 1 && $bad == 0 ]]; then
  echo "target met on both backends: under writes >= 80% of the write-free rate, p99 < 5 ms, no errors"
else
  echo "target missed: need, on both backends, >= 80% of the write-free rate under writes, p99 < 5 ms, no errors" >&2
  exit 1
fi

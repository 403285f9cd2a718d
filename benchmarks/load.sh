#!/usr/bin/env bash
# Load: wrk at 64 connections for 60 s on digest lookups, then 60 s on the image list, while
# plinth serve syncs 200 tags of a local CNCF distribution registry every 5 s (a pusher moves
# 10 of them to a new manifest every 10 s, so passes find moves to record and judge) and a
# curator holds and releases a Debian tag 5 times a second. The server's RSS is sampled every
# second. Reports requests, socket errors, non-2xx answers, p50/p99, sync passes and their
# outcomes, writes and their answers, and RSS at the start and end of each phase and its peak.
#
# Target (issue 17): no errors, no 5xx, memory flat (the end of each phase within 10% of
# its start, after a warm-up).
#
# Usage: benchmarks/load.sh [-d SECONDS] [-c CONNECTIONS] [-w WRITES_PER_SECOND]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=60 connections=64 rate=5
while getopts "d:c:w:" opt; do
  case $opt in
    d) duration=$OPTARG ;;
    c) connections=$OPTARG ;;
    w) rate=$OPTARG ;;
    *) echo "usage: $0 [-d SECONDS] [-c CONNECTIONS] [-w WRITES_PER_SECOND]" >&2; exit 2 ;;
  esac
done

source benchmarks/common.sh
install_missing wrk:wrk docker-registry:docker-registry
build_plinth
start_work

# A registry with one image tagged 200 times, and a second manifest for the pusher to move tags to.
registry_port=$(free_port)
cat >"$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/storage}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:$registry_port}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$registry_port/v2/"
cat >"$work/push.py" <<'PY'
"""push.py PORT TAGS [MOVE_EVERY]: pushes two manifests, tags TAGS tags with the first; with
MOVE_EVERY, moves tags t0..t9 to the other manifest every MOVE_EVERY seconds, until killed."""
import gzip, hashlib, http.client, io, json, sys, tarfile, time
port, tags = int(sys.argv[1]), int(sys.argv[2])
move_every = float(sys.argv[3]) if len(sys.argv) > 3 else 0
conn = http.client.HTTPConnection("127.0.0.1", port)
def blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    conn.request("POST", "/v2/load/base/blobs/uploads/"); r = conn.getresponse(); r.read()
    location = r.getheader("Location"); sep = "&" if "?" in location else "?"
    conn.request("PUT", f"{location}{sep}digest={digest}", body=data, headers={"Content-Type": "application/octet-stream"})
    r = conn.getresponse(); r.read(); assert r.status == 201, r.status
    return {"digest": digest, "size": len(data)}
def manifest(n):
    # A real gzip'd tar layer with one file, so that sync reads it as it reads any image.
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        data = f"layer {n}\n".encode()
        info = tarfile.TarInfo("etc/load")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    config = blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "config": {"Env": [f"N={n}"]}}).encode())
    layer = blob(gzip.compress(tar, mtime=0))
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]}).encode()
def tag(body, name):
    conn.request("PUT", f"/v2/load/base/manifests/{name}", body=body, headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    r = conn.getresponse(); r.read(); assert r.status == 201, r.status
manifests = [manifest(0), manifest(1)]
if not move_every:
    for i in range(tags): tag(manifests[0], f"t{i}")
    sys.exit(0)
turn = 1
while True:
    time.sleep(move_every)
    for i in range(10): tag(manifests[turn], f"t{i}")
    turn = 1 - turn
PY
python3 "$work/push.py" "$registry_port" 200

# The seeded catalog and two entries of 100 tags each on that registry.
cp -r seed-data "$work/catalog"
for e in 0 1; do
  names=$(python3 -c "print(', '.join(f't{i}' for i in range($e * 100, ($e + 1) * 100)))")
  cat >"$work/catalog/load-$e.yaml" <<YAML
name: load-$e
title: Load entry $e
repository: 127.0.0.1:$registry_port/load/base
tags: [$names]
status: approved
os: {family: debian, version: "12"}
platforms: [linux/amd64]
workloads:
  - {workload: general, support: supported}
owner: load
rationale: load benchmark
approval: {policy: automatic, grace_days: 7}
YAML
done
db=$work/plinth.sqlite
"$plinth" apply "$work/catalog" --db "$db" >/dev/null
token=$("$plinth" token create --role curator --name load --db "$db" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

port=$(free_port)
base=http://127.0.0.1:$port
"$plinth" serve --port "$port" --db "$db" --log-level warning --sync-interval 5s --concurrency 8 --insecure-registry "127.0.0.1:$registry_port" >"$work/plinth.log" 2>&1 &
server_pid=$!
pids+=($server_pid)
alpine=$base/v1/digests/sha256:$(python3 -c '
import json
snapshot = json.load(open("seed-data/snapshots/alpine_3.22.json"))["snapshots"][0]
print(next(c["digest"] for c in snapshot["children"] if c["platform"] == "linux/amd64").split(":")[1])')
wait_for "$alpine"
list="$base/v1/images?limit=100"
echo 'wrk.headers["Accept"] = "application/json"' >"$work/json.lua"

# RSS every second, "seconds kB".
(start=$(date +%s); while kill -0 "$server_pid" 2>/dev/null; do
  echo "$(($(date +%s) - start)) $(awk '/VmRSS/ {print $2}' /proc/$server_pid/status)"; sleep 1; done) >"$work/rss.txt" &
pids+=($!)
python3 "$work/push.py" "$registry_port" 200 10 &
pids+=($!)
earlier=sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241
python3 benchmarks/curator-writes.py "$port" "$token" "$rate" "$earlier" "$work/writes.txt" &
pids+=($!)

threads=$((connections < 2 ? connections : 2))
phase() { # name url -> wrk report in $work/NAME.txt, RSS at its start and end in $work/NAME.rss
  wrk -t"$threads" -c"$connections" -d5s -s "$work/json.lua" "$2" >/dev/null  # warm-up
  local from; from=$(tail -n1 "$work/rss.txt" | cut -d' ' -f2)
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/json.lua" "$2" >"$work/$1.txt"
  echo "$from $(tail -n1 "$work/rss.txt" | cut -d' ' -f2)" >"$work/$1.rss"
}
phase lookups "$alpine"
phase lists "$list"

metrics=$(curl -fs "$base/metrics")
passes() { awk -v want="$1" '$1 ~ "^plinth_sync_passes_total" && $0 ~ want {s += $2} END {print s + 0}' <<<"$metrics"; }
tags() { awk -v want="$1" '$1 ~ "^plinth_sync_tags_total" && $0 ~ want {s += $2} END {print s + 0}' <<<"$metrics"; }
writes=$(wc -l <"$work/writes.txt")
bad_writes=$(grep -vc '^20[04]$' "$work/writes.txt" || true)
peak=$(sort -k2 -n "$work/rss.txt" | tail -n1 | cut -d' ' -f2)

echo "load: wrk -t$threads -c$connections -d${duration}s per phase, after a 5 s warm-up; same machine, $(nproc) cores"
echo "during both: sync every 5 s of 200 tags on distribution (10 moved every 10 s) and the seeded entries (their registries unreachable: failed tags); $rate curator writes/s"
printf '%-34s %9s %8s %8s %8s %8s %12s\n' phase requests "req/s" "p50 ms" "p99 ms" errors "RSS MB start→end"
ok=1
for name in lookups lists; do
  url=$alpine; [[ $name == lists ]] && url=$list
  requests=$(awk '/requests in/ {print $1}' "$work/$name.txt")
  read -r rps p50 p99 errors < <(wrk_summary "$work/$name.txt")
  read -r from to <"$work/$name.rss"
  printf '%-34s %9s %8s %8s %8s %8s %12s\n' "$name (${url#"$base"})" "$requests" "$rps" "$p50" "$p99" "$errors" "$((from / 1024))→$((to / 1024))"
  ((errors == 0)) || ok=0
  python3 -c "import sys; sys.exit(0 if $to <= 1.10 * $from else 1)" || ok=0
done
echo "peak RSS: $((peak / 1024)) MB over $(wc -l <"$work/rss.txt") samples"
echo "sync passes: $(passes ""); tags unchanged $(tags unchanged), moved $(tags moved), failed $(tags failed) (the seeded entries' registries are unreachable here)"
echo "curator writes: $writes sent, $bad_writes not answered 200/204"
((bad_writes == 0)) || ok=0
if ((ok)); then
  echo "target met: no errors, no 5xx, RSS at each phase's end within 10% of its start"
else
  echo "target missed: need no errors, no 5xx, RSS at each phase's end within 10% of its start" >&2
  exit 1
fi

#!/usr/bin/env bash
# Benchmark: Plinth at the seeded size and at the large size, against the ceilings of HTTP on
# this machine measured in the same run.
#
#   large   the seeded catalog plus 5,000 generated entries (benchmarks/large-catalog.py: 4 tags
#           each, a two-platform index per tag with 20 packages per platform manifest), their
#           history deepened to 50 runs a tag (benchmarks/large-history.py: 20,000 tags,
#           1,000,000 observations, 180,000 digests) and 100,000 OSV advisories imported with
#           `plinth advisories import` (benchmarks/large-advisories.py, matching the packages).
#   peers   CNCF distribution (docker-registry) answering GET /v2/<repo>/manifests/<digest>, and
#           nginx serving a static file of the same size as Plinth's lookup answer.
#
# For each size: start-up time (launch to /readyz), lookups of a platform digest, the first
# page of /v1/images (limit 100), the first page of /v1/matrix (50 cells a workload), POST /v1/check of one digest, the catalog page,
# and the server's resident memory (peak, sampled every second during the runs). wrk: lookups and
# checks at -c CONNECTIONS (default 64), lists, matrix and pages at -c 1 (their server time),
# each of those after one request timed on its own (the first after start-up, made before
# anything is kept in memory).
#
# Targets (issue 17, at the large size): lookups within 10% of the seeded rate, at least 20x
# distribution and at least 50% of nginx; /v1/images and the matrix under 20 ms p99; RSS under
# 300 MB.
#
# Usage: benchmarks/scale.sh [-d SECONDS] [-c CONNECTIONS] [-n ENTRIES] [-r RUNS_PER_TAG] [-a ADVISORIES]
# Prints one table and the verdict per target; exits 1 when one is missed.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10 connections=64 entries=5000 runs=50 advisories=100000
while getopts "d:c:n:r:a:" opt; do
  case $opt in
    d) duration=$OPTARG ;;
    c) connections=$OPTARG ;;
    n) entries=$OPTARG ;;
    r) runs=$OPTARG ;;
    a) advisories=$OPTARG ;;
    *) echo "usage: $0 [-d SECONDS] [-c CONNECTIONS] [-n ENTRIES] [-r RUNS_PER_TAG] [-a ADVISORIES]" >&2; exit 2 ;;
  esac
done

source benchmarks/common.sh
install_missing wrk:wrk nginx:nginx docker-registry:docker-registry
build_plinth
start_work
threads=2
digest=sha256:f3034a6ec3c1205360777c4aae76234998866ad18806ae62b63a3f84ccad782b  # debian:bookworm-slim linux/amd64
rows=()
row() { rows+=("$(printf '%-7s %-34s %10s %9s %9s %7s' "$@")"); }

measure() { # name url lua connections -> "rps p50 p99 errors" (after a warm-up)
  local t=$threads
  ((t > $4)) && t=$4
  wrk -t"$t" -c"$4" -d2s -s "$3" "$2" >/dev/null 2>&1
  wrk -t"$t" -c"$4" -d"${duration}s" --latency -s "$3" "$2" >"$work/$1.txt" 2>&1
  wrk_summary "$work/$1.txt"
}
echo 'wrk.headers["Accept"] = "application/json"' >"$work/json.lua"
echo 'wrk.headers["Accept"] = "text/html"' >"$work/html.lua"
cat >"$work/check.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"items": ["$digest"]}'
LUA

# Peers: the registry with a Docker v2 manifest, nginx with a static file of the answer's size.
registry_port=$(free_port)
cat >"$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/registry}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:$registry_port}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
registry=http://127.0.0.1:$registry_port
wait_for "$registry/v2/"
push_blob() {
  local file=$1 digest location
  digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
  location=$(curl -fsSi -X POST "$registry/v2/bench/base/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [[ $location == http* ]] || location=$registry$location
  curl -fs -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" "$location&digest=$digest" >/dev/null
  echo "$digest"
}
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}' >"$work/config.json"
head -c 65536 /dev/urandom | gzip -n >"$work/layer.tar.gz"
config_digest=$(push_blob "$work/config.json")
layer_digest=$(push_blob "$work/layer.tar.gz")
manifest_type=application/vnd.docker.distribution.manifest.v2+json
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%s,"digest":"%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%s,"digest":"%s"}]}' \
  "$manifest_type" "$(stat -c %s "$work/config.json")" "$config_digest" "$(stat -c %s "$work/layer.tar.gz")" "$layer_digest" >"$work/manifest.json"
manifest_digest=sha256:$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
curl -fs -X PUT -H "Content-Type: $manifest_type" --data-binary "@$work/manifest.json" "$registry/v2/bench/base/manifests/v1" >/dev/null
echo "wrk.headers[\"Accept\"] = \"$manifest_type\"" >"$work/registry.lua"

# Plinth: a server on a database, its start-up time, and a memory sampler.
start_plinth() { # db -> sets plinth_url, plinth_pid, startup_ms
  local port started
  port=$(free_port)
  started=$(date +%s%N)
  "$plinth" serve --port "$port" --db "$1" --log-level warning --sync-interval 0 --review-interval 0 >"$work/plinth.log" 2>&1 &
  plinth_pid=$!
  pids+=("$plinth_pid")
  plinth_url=http://127.0.0.1:$port
  for _ in $(seq 6000); do curl -fs -o /dev/null "$plinth_url/readyz" && break; sleep 0.01; done
  startup_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  (while kill -0 "$plinth_pid" 2>/dev/null; do ps -o rss= -p "$plinth_pid" >>"$work/rss-$plinth_pid" || true; sleep 1; done) &
  pids+=($!)
}
peak_mb() { sort -n "$work/rss-$1" | tail -1 | awk '{printf "%.0f", $1 / 1024}'; }

declare -A rate p99
bench_size() { # size db
  local size=$1
  start_plinth "$2"
  row "$size" "start-up (launch to /readyz)" "" "" "$startup_ms ms" ""
  curl -fs -o "$work/answer.json" "$plinth_url/v1/digests/$digest"
  for spec in "lookup|/v1/digests/$digest|json|$connections" "check|/v1/check|check|$connections" "images|/v1/images?limit=100|json|1" \
    "matrix|/v1/matrix|json|1" "page|/|html|1"; do
    IFS='|' read -r name path lua c <<<"$spec"
    if ((c == 1)); then  # the first answer after start-up, made before anything is kept
      cold=$(curl -fs -o /dev/null -w '%{time_total}' --max-time 120 -H "Accept: $([[ $lua == html ]] && echo text/html || echo application/json)" "$plinth_url$path")
      row "$size" "$name: first request after start-up" "" "" "$(python3 -c "print(f'{$cold * 1000:.0f} ms')")" ""
    fi
    read -r r p50 p dropped < <(measure "$size-$name" "$plinth_url$path" "$work/$lua.lua" "$c")
    rate[$size-$name]=$r p99[$size-$name]=$p
    row "$size" "$name ${path/$digest/{amd64 digest\}} (-c $c)" "$r" "$p50" "$p" "$dropped"
  done
  row "$size" "peak RSS during the runs" "" "" "$(peak_mb "$plinth_pid") MB" ""
  rss[$size]=$(peak_mb "$plinth_pid")
  kill "$plinth_pid"; wait "$plinth_pid" 2>/dev/null || true
}
declare -A rss

# The peers, measured between the two sizes.
"$plinth" apply seed-data --db "$work/seeded.sqlite" >/dev/null
bench_size seeded "$work/seeded.sqlite"
answer_bytes=$(stat -c %s "$work/answer.json")
mkdir -p "$work/www"
cp "$work/answer.json" "$work/www/answer.json"
chmod a+rx "$work" "$work/www" && chmod a+r "$work/www/answer.json"   # nginx's workers run unprivileged
nginx_port=$(free_port)
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$nginx_port; root $work/www; location / { default_type application/json; } }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")
wait_for "http://127.0.0.1:$nginx_port/answer.json"
read -r r p50 p dropped < <(measure registry "$registry/v2/bench/base/manifests/$manifest_digest" "$work/registry.lua" "$connections")
rate[registry]=$r
row peer "distribution GET manifest (-c $connections)" "$r" "$p50" "$p" "$dropped"
read -r r p50 p dropped < <(measure nginx "http://127.0.0.1:$nginx_port/answer.json" "$work/json.lua" "$connections")
rate[nginx]=$r
row peer "nginx static ${answer_bytes} B (-c $connections)" "$r" "$p50" "$p" "$dropped"
kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true

# The large catalog.
echo "scale: generating $entries entries, $runs runs a tag, $advisories advisories" >&2
python3 benchmarks/large-catalog.py --entries "$entries" --runs-per-tag 1 "$work/large" 2>/dev/null
cp "$work/seeded.sqlite" "$work/large.sqlite"
t0=$(date +%s%N)
"$plinth" apply "$work/large" --db "$work/large.sqlite" >/dev/null
row large "apply $entries entries (plinth apply)" "" "" "$(( ($(date +%s%N) - t0) / 1000000 )) ms" ""
python3 benchmarks/large-history.py "$work/large.sqlite" --runs-per-tag "$runs" 2>"$work/history.txt"
row large "history: $(cat "$work/history.txt")" "" "" "" ""
python3 benchmarks/large-advisories.py "$work/osv" --records "$advisories" >/dev/null
t0=$(date +%s%N)
python3 -c "import glob, json, sys; [json.load(open(f)) for f in glob.glob(sys.argv[1] + '/*.json')]" "$work/osv"
row large "peer: python json.load of the export" "" "" "$(( ($(date +%s%N) - t0) / 1000000 )) ms" ""
t0=$(date +%s%N)
/usr/bin/time -f "%M" -o "$work/import-rss" "$plinth" advisories import "$work/osv" --db "$work/large.sqlite" >"$work/import.txt" 2>/dev/null
row large "advisories import $advisories records" "" "" "$(( ($(date +%s%N) - t0) / 1000000 )) ms" "$(( $(cat "$work/import-rss") / 1024 ))MB"
row large "of which: $(grep '^graded' "$work/import.txt")" "" "" "" ""
bench_size large "$work/large.sqlite"

printf '%-7s %-34s %10s %9s %9s %7s\n' size measure "req/s" "p50 ms" "p99 ms" errors
printf '%s\n' "${rows[@]}"
echo "wrk -t$threads -d${duration}s; $(nproc) cores; plinth $(git rev-parse --short HEAD)"

missed=0
verdict() { if python3 -c "import sys; sys.exit(0 if $2 else 1)"; then echo "met:    $1"; else echo "MISSED: $1"; missed=1; fi; }
verdict "large lookups within 10% of seeded (${rate[large-lookup]} vs ${rate[seeded-lookup]} req/s)" "${rate[large-lookup]} >= 0.9 * ${rate[seeded-lookup]}"
verdict "large lookups >= 20x distribution (${rate[large-lookup]} vs ${rate[registry]})" "${rate[large-lookup]} >= 20 * ${rate[registry]}"
verdict "large lookups >= 50% of nginx (${rate[large-lookup]} vs ${rate[nginx]})" "${rate[large-lookup]} >= 0.5 * ${rate[nginx]}"
verdict "large /v1/images p99 < 20 ms (${p99[large-images]})" "${rate[large-images]} > 0 and ${p99[large-images]} < 20"
verdict "large /v1/matrix p99 < 20 ms (${p99[large-matrix]})" "${rate[large-matrix]} > 0 and ${p99[large-matrix]} < 20"
verdict "large peak RSS < 300 MB (${rss[large]} MB)" "${rss[large]} < 300"
exit $missed

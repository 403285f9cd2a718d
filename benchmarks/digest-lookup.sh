#!/usr/bin/env bash
# Benchmark: Plinth's `GET /v1/digests/{platform digest}` against the CNCF distribution
# registry answering `GET /v2/<repo>/manifests/<digest>` for a manifest of the same kind
# (a Docker v2 schema 2 platform manifest), on this machine, with the same wrk load, in
# the same run. Both servers run from temporary folders on 127.0.0.1 and are stopped at
# the end.
#
# Target (issue 2): Plinth at least 10x the registry's requests per second, no errors,
# p99 under 5 ms at 32 connections.
#
# Usage: benchmarks/digest-lookup.sh [-d SECONDS] [-c CONNECTIONS] [-t THREADS]
# Prints one block per server and a verdict; exits 1 when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20 connections=32 threads=2
while getopts "d:c:t:" opt; do
  case $opt in
    d) duration=$OPTARG ;;
    c) connections=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) echo "usage: $0 [-d SECONDS] [-c CONNECTIONS] [-t THREADS]" >&2; exit 2 ;;
  esac
done

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v docker-registry >/dev/null || need+=(docker-registry)
if ((${#need[@]})); then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/setup.sh
swift build -c release --product plinth >&2
plinth=.build/release/plinth

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -fs -o /dev/null "$@" && return 0; sleep 0.1; done; echo "timed out waiting for $*" >&2; exit 2; }

# The registry: our own config (the packaged one listens on every interface), access log
# off and log level error (logging costs it a quarter of its throughput), descriptor cache on.
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

# Push a Docker v2 platform manifest: a config blob and one layer, uploaded monolithically.
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
cat >"$work/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":$(stat -c %s "$work/config.json"),"digest":"$config_digest"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":$(stat -c %s "$work/layer.tar.gz"),"digest":"$layer_digest"}]}
JSON
manifest_type=application/vnd.docker.distribution.manifest.v2+json
manifest_digest=sha256:$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
curl -fs -X PUT -H "Content-Type: $manifest_type" --data-binary "@$work/manifest.json" "$registry/v2/bench/base/manifests/v1" >/dev/null
registry_url=$registry/v2/bench/base/manifests/$manifest_digest
[[ $(curl -fs -H "Accept: $manifest_type" "$registry_url" | sha256sum | cut -d' ' -f1) == "${manifest_digest#sha256:}" ]] \
  || { echo "registry does not serve the pushed manifest" >&2; exit 2; }

# Plinth, seeded, looking up debian:bookworm-slim's linux/amd64 manifest (a Docker v2 manifest too).
plinth_port=$(free_port)
"$plinth" serve --port "$plinth_port" --db "$work/plinth.sqlite" --log-level warning --sync-interval 0 >"$work/plinth.log" 2>&1 &
pids+=($!)
plinth_url=http://127.0.0.1:$plinth_port/v1/digests/sha256:f3034a6ec3c1205360777c4aae76234998866ad18806ae62b63a3f84ccad782b
wait_for "$plinth_url"

# Each client asks for what it wants, as a real one would.
echo "wrk.headers[\"Accept\"] = \"$manifest_type\"" >"$work/registry.lua"
echo 'wrk.headers["Accept"] = "application/json"' >"$work/plinth.lua"

run() { # name url -> wrk output in $work/name.txt
  wrk -t"$threads" -c"$connections" -d2s -s "$work/$1.lua" "$2" >/dev/null  # warm-up
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/$1.lua" "$2" >"$work/$1.txt"
}
run registry "$registry_url"
run plinth "$plinth_url"

summary() { # file -> "rps p99_ms errors"
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(non2xx.group(1)) if non2xx else 0
total = re.search(r"(\d+) requests in", text).group(1)
print(f"{rps:.0f} {p99:.3f} {errors} {total}")
PY
}
read -r reg_rps reg_p99 reg_err reg_total < <(summary "$work/registry.txt")
read -r pl_rps pl_p99 pl_err pl_total < <(summary "$work/plinth.txt")
ratio=$(python3 -c "print(f'{$pl_rps / $reg_rps:.1f}')")

echo "load: wrk -t$threads -c$connections -d${duration}s, same machine, $(nproc) cores"
printf '%-9s %10s %10s %8s %10s\n' server "req/s" "p99 ms" errors requests
printf '%-9s %10s %10s %8s %10s\n' registry "$reg_rps" "$reg_p99" "$reg_err" "$reg_total"
printf '%-9s %10s %10s %8s %10s\n' plinth "$pl_rps" "$pl_p99" "$pl_err" "$pl_total"
echo "ratio plinth/registry: ${ratio}x"
if python3 -c "import sys; sys.exit(0 if $pl_rps >= 10 * $reg_rps and $pl_err == 0 and $pl_p99 < 5 else 1)"; then
  echo "target met: >= 10x, no errors, p99 < 5 ms"
else
  echo "target missed: need >= 10x the registry, no errors, p99 < 5 ms" >&2
  exit 1
fi

#!/usr/bin/env bash
# Benchmark: `plinth sync` of 1,000 tracked tags on a local CNCF distribution registry with
# nothing changed, timed against `ab -i` sending 1,000 HEAD requests for a tag's manifest at
# the same concurrency, in the same run. Reports both times, the ratio and sync's peak memory.
#
# Target (issue 3): sync within 2x of ab's time.
#
# -l ENTRIES measures the same sync on a large store: the catalog first gets ENTRIES generated
# entries (benchmarks/large-catalog.py) with their history deepened to 50 runs a tag
# (benchmarks/large-history.py; 5,000 entries: 20,000 tags, 1,000,000 observations), then the
# benchmark's entries; only the benchmark's entries are synced (`--image`, repeated).
#
# Usage: benchmarks/sync-unchanged.sh [-n TAGS] [-c CONCURRENCY] [-l ENTRIES]
set -euo pipefail
cd "$(dirname "$0")/.."

tags=1000 concurrency=8 large=0
while getopts "n:c:l:" opt; do
  case $opt in
    n) tags=$OPTARG ;;
    c) concurrency=$OPTARG ;;
    l) large=$OPTARG ;;
    *) echo "usage: $0 [-n TAGS] [-c CONCURRENCY] [-l ENTRIES]" >&2; exit 2 ;;
  esac
done

need=()
command -v ab >/dev/null || need+=(apache2-utils)
command -v docker-registry >/dev/null || need+=(docker-registry)
[[ -x /usr/bin/time ]] || need+=(time)
if ((${#need[@]})); then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/setup.sh
swift build -c release --product plinth >&2
plinth=$PWD/.build/release/plinth

work=$(mktemp -d)
registry_pid=""
trap '[[ -n $registry_pid ]] && kill $registry_pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/storage}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done

# One image (config + layer + manifest) tagged $tags times, pushed over the registry API.
python3 - "$port" "$tags" <<'PY'
import gzip, hashlib, http.client, io, json, sys, tarfile
port, tags = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port)
def push_blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    conn.request("POST", "/v2/bench/base/blobs/uploads/"); r = conn.getresponse(); r.read()
    location = r.getheader("Location")
    sep = "&" if "?" in location else "?"
    conn.request("PUT", f"{location}{sep}digest={digest}", body=data, headers={"Content-Type": "application/octet-stream"})
    r = conn.getresponse(); r.read(); assert r.status == 201, r.status
    return {"digest": digest, "size": len(data)}
# A real gzip'd tar layer with one file: sync reads each new digest's layers.
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as archive:
    data = b"layer bytes for the sync benchmark\n"
    info = tarfile.TarInfo("etc/bench")
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))
tar = raw.getvalue()
config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}, "config": {}}).encode()
c = push_blob(config); l = push_blob(gzip.compress(tar, mtime=0))
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **c},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **l}]}).encode()
for i in range(tags):
    conn.request("PUT", f"/v2/bench/base/manifests/t{i}", body=manifest, headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    r = conn.getresponse(); r.read(); assert r.status == 201, r.status
PY

# The catalog: entries of 100 tags each.
mkdir -p "$work/catalog"
python3 - "$work/catalog" "$port" "$tags" <<'PY'
import sys
out, port, tags = sys.argv[1], sys.argv[2], int(sys.argv[3])
for e in range((tags + 99) // 100):
    names = ", ".join(f'"t{i}"' for i in range(e * 100, min(tags, (e + 1) * 100)))
    with open(f"{out}/bench-{e}.yaml", "w") as f:
        f.write(f"""name: bench-{e}
title: Benchmark entry {e}
repository: 127.0.0.1:{port}/bench/base
tags: [{names}]
status: approved
os: {{family: bench, version: "1"}}
platforms: [linux/amd64]
workloads:
  - {{workload: general, support: supported}}
owner: bench
rationale: sync benchmark
approval: {{policy: automatic, grace_days: 7}}
""")
PY
db=$work/plinth.sqlite
only=()
if ((large > 0)); then
  echo "sync-unchanged: a store of $large generated entries first" >&2
  python3 benchmarks/large-catalog.py --entries "$large" --runs-per-tag 1 "$work/large" 2>/dev/null
  "$plinth" apply "$work/large" --db "$db" >/dev/null
  python3 benchmarks/large-history.py "$db" --runs-per-tag 50 >&2
  # The generated entries stay in the catalog, unsynced (their registries are not reachable here).
  for file in "$work"/catalog/bench-*.yaml; do only+=(--image "$(basename "$file" .yaml)"); done
fi
"$plinth" apply "$work/catalog" --db "$db" >/dev/null
"$plinth" sync --db "$db" --concurrency "$concurrency" "${only[@]}" >/dev/null   # first pass: reads the new digests

/usr/bin/time -f "%e %M" -o "$work/time" "$plinth" sync --db "$db" --concurrency "$concurrency" "${only[@]}" --json >"$work/sync.json"
read -r sync_s sync_kb <"$work/time"
ab -i -n "$tags" -c "$concurrency" -H "Accept: application/vnd.oci.image.manifest.v1+json" \
  "http://127.0.0.1:$port/v2/bench/base/manifests/t0" >"$work/ab.txt" 2>&1
ab_s=$(awk '/Time taken for tests/ {print $5}' "$work/ab.txt")
ab_failed=$(awk '/Failed requests/ {print $3}' "$work/ab.txt")

echo "tags: $tags, concurrency: $concurrency, store: $( ((large > 0)) && echo "$large generated entries besides" || echo "these tags only"), same machine ($(nproc) cores)"
echo "plinth sync (nothing changed): ${sync_s}s, peak RSS $((sync_kb / 1024)) MiB, result $(cat "$work/sync.json")"
echo "ab -i ($tags HEAD):             ${ab_s}s, failed requests $ab_failed"
ratio=$(python3 -c "print(f'{$sync_s / $ab_s:.2f}')")
echo "ratio sync/ab: ${ratio}x"
python3 -c "import sys; sys.exit(0 if $sync_s <= 2 * $ab_s else 1)" && echo "target met: within 2x" || { echo "target missed: sync slower than 2x ab" >&2; exit 1; }

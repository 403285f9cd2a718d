#!/usr/bin/env bash
# libFuzzer over Plinth's parsers of untrusted input (Fuzz/: one binary, FUZZ_TARGET picks the
# parser): references, digests, Dockerfiles, catalog YAML, OSV records, manifests, tar streams,
# dpkg and apk databases, rpm headers and Berkeley DB / NDB files. Built with the fuzzer's
# instrumentation and AddressSanitizer into .build/fuzz (coverage on every module; libFuzzer
# linked into the fuzz binary alone, so the build's own tools stay ordinary programs). Each target
# starts from seeds taken from the repository's real inputs (Docker's reference cases, the seeded
# catalog files, OSV records, the dpkg, apk and rpm databases in the test fixtures) and runs
# SECONDS (default 60).
# A crash leaves its input in .build/fuzz/findings/<target>/ and fails the script.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (the tests run every target for a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(reference digest dockerfile catalog-yaml osv manifest tar dpkg apk rpm-header rpm-bdb rpm-ndb)
(cd Fuzz && swift build -c debug --scratch-path ../.build/fuzz -Xswiftc -sanitize=address \
  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp -Xswiftc -use-ld=lld >&2)
binary=.build/fuzz/debug/PlinthFuzz

# Seeds, one folder per target, from files in the repository.
python3 - .build/fuzz/seeds <<'PY'
import glob, io, json, os, sqlite3, sys, tarfile
out = sys.argv[1]
def put(target, name, data):
    os.makedirs(f"{out}/{target}", exist_ok=True)
    open(f"{out}/{target}/{name}", "wb").write(data if isinstance(data, bytes) else data.encode())
for n, line in enumerate(open("Tests/PlinthCoreTests/Fixtures/docker-references.tsv")):
    if not line.startswith("#") and line.strip():
        put("reference", f"r{n}", line.split("\t")[0])
for n, text in enumerate(["sha256:" + "ab" * 32, "sha512:" + "cd" * 64, "sha256:XYZ"]):
    put("digest", f"d{n}", text)
for n, text in enumerate(["FROM debian:bookworm-slim\nRUN true\n", "ARG TAG=1\nFROM --platform=$BUILDPLATFORM alpine:${TAG} AS build\nFROM build\n",
                          "# syntax=docker/dockerfile:1\nFROM scratch\nCOPY --from=busybox:1 /bin/sh /sh\n"]):
    put("dockerfile", f"f{n}", text)
for path in glob.glob("seed-data/*.yaml"):
    put("catalog-yaml", os.path.basename(path), open(path, "rb").read())
for path in glob.glob("Tests/PlinthCatalogTests/Fixtures/osv/*/*.json"):
    put("osv", os.path.basename(path), open(path, "rb").read())
platform = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "11" * 32, "size": 500,
            "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}
put("manifest", "index", json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [platform]}))
put("manifest", "manifest", json.dumps({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "22" * 32, "size": 2},
                                        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + "33" * 32, "size": 9}]}))
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for name, data in [("etc/os-release", b"ID=debian\n"), ("var/lib/dpkg/status", b"Package: a\nStatus: install ok installed\nVersion: 1\n\n"),
                       ("usr/bin/.wh.sh", b""), ("x" * 120, b"long name")]:
        info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
    link = tarfile.TarInfo("bin"); link.type = tarfile.SYMTYPE; link.linkname = "usr/bin"; tar.addfile(link)
put("tar", "layer.tar", buf.getvalue())
put("dpkg", "status", open("scripts/test-registries/pkgdb/ubuntu-18.04-dpkg-status", "rb").read()[:60000])
put("apk", "installed", open("scripts/test-registries/pkgdb/alpine-3.16-apk-installed", "rb").read()[:60000])
for path in glob.glob("scripts/test-registries/pkgdb/rpm/*/rpmdb.sqlite"):
    for n, (blob,) in enumerate(sqlite3.connect(path).execute("SELECT blob FROM Packages LIMIT 5")):
        put("rpm-header", f"{path.split('/')[-2]}-{n}", bytes(blob))
put("rpm-bdb", "Packages", open("scripts/test-registries/pkgdb/rpm/libuuid-el8/Packages", "rb").read())
put("rpm-ndb", "Packages.db", open("scripts/test-registries/pkgdb/rpm/sle15-bci/Packages.db", "rb").read())
PY
failed=0
for target in "${targets[@]}"; do
  corpus=.build/fuzz/corpus/$target findings=.build/fuzz/findings/$target
  mkdir -p "$corpus" "$findings"
  seeds=.build/fuzz/seeds/$target
  log=.build/fuzz/$target.log
  # The database formats are whole files of up to a few MB; the rest are small texts.
  max_len=65536
  [[ $target == rpm-bdb || $target == rpm-ndb ]] && max_len=2000000
  # -rss_limit_mb bounds memory per input; -timeout flags an input that takes over 10 s (a hang).
  if FUZZ_TARGET=$target "$binary" "$corpus" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    echo "$target: $runs inputs in ${seconds}s, no crash"
  else
    echo "$target: FAILED, see $log and $findings/" >&2
    tail -20 "$log" >&2
    failed=1
  fi
done
exit $failed

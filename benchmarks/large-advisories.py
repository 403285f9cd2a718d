#!/usr/bin/env python3
"""Write an OSV export at the large size, for the packages benchmarks/large-catalog.py installs.

Usage: benchmarks/large-advisories.py DIR [--records N] [--packages P]

Writes N OSV 1.6 records (default 100,000) as DIR/BENCH-NNNNNN.json, spread over the
ecosystems of the generated entries (Debian 12 and 13, Ubuntu 24.04, Alpine 3.22, Red Hat 9)
and over P package names (default 10,000: libbench0000 ... libbench9999, of which the
generated images install the first 20), so that each image matches about N * 20 / P records,
the order of what a real image with a few hundred packages matches in the real feeds. Each
record fixes its package at a version some images have and others not; severities cycle
through CVSS 3.1 vectors. Benchmark scale, not truth.
"""
import argparse
import json
import os

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--records", type=int, default=100_000)
ap.add_argument("--packages", type=int, default=10_000)
args = ap.parse_args()
os.makedirs(args.dir, exist_ok=True)

ECOSYSTEMS = [("Debian:12", "deb", "-1"), ("Debian:13", "deb", "-1"), ("Ubuntu:24.04", "deb", "-1"), ("Alpine:v3.22", "apk", "-r0"),
              ("Red Hat:enterprise_linux:9::baseos", "rpm", "-1.el9")]
VECTORS = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
           "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:N"]
for i in range(args.records):
    ecosystem, kind, suffix = ECOSYSTEMS[i % len(ECOSYSTEMS)]
    n = (i // len(ECOSYSTEMS)) % args.packages
    fixed = f"1.{(i * 7) % 17}.{i % 5}{suffix}"
    record = {
        "schema_version": "1.6.0",
        "id": f"BENCH-{i:06d}",
        "modified": f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}T00:00:00Z",
        "published": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00Z",
        "summary": f"Synthetic advisory {i} for libbench{n:04d}",
        "severity": [{"type": "CVSS_V3", "score": VECTORS[i % len(VECTORS)]}],
        "affected": [{"package": {"ecosystem": ecosystem, "name": f"libbench{n:04d}"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
    }
    with open(os.path.join(args.dir, f"BENCH-{i:06d}.json"), "w") as f:
        json.dump(record, f)
print(f"wrote {args.records} records over {args.packages} packages to {args.dir}")

#!/usr/bin/env python3
"""Deepen a generated catalog's tag history to the large size, in its SQLite database.

Usage: benchmarks/large-history.py DB [--runs-per-tag R]

For a database where `plinth apply` loaded benchmarks/large-catalog.py's entries (one run of
a two-platform index per tag, packages on its platform manifests), gives every tag R runs
in all: before the current run, R - 1 older runs alternating between two older indexes of the
tag (each with its two platform manifests, approved for the entry by the automatic policy), a
week apart. With 5,000 entries of 4 tags and R = 50: 20,000 tags, 1,000,000 observations and
180,000 digests. Rows are written as sync writes them (manifests, index children,
observations, approvals), in one transaction, and the store's version is moved so that every
cache starts again. Benchmark scale, not truth: digests are derived from names.
"""
import argparse
import datetime
import hashlib
import sqlite3
import sys

ap = argparse.ArgumentParser()
ap.add_argument("db")
ap.add_argument("--runs-per-tag", type=int, default=50)
args = ap.parse_args()
if args.runs_per_tag < 1:
    ap.error("--runs-per-tag must be at least 1")

PLATFORMS = ["linux/amd64", "linux/arm64/v8"]
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(*parts):
    return "sha256:" + hashlib.sha256("/".join(parts).encode()).hexdigest()


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


db = sqlite3.connect(args.db)
db.execute("PRAGMA foreign_keys = ON")
tags = db.execute(
    "SELECT t.image_name, t.repository, t.tag, min(o.first_seen) FROM image_tags t JOIN observations o ON o.repository = t.repository AND o.tag = t.tag "
    "WHERE t.image_name LIKE 'bench-%' GROUP BY t.image_name, t.repository, t.tag").fetchall()
if not tags:
    sys.exit(f"{args.db}: no bench-* entries with observations (apply benchmarks/large-catalog.py's output first)")
manifests, children, observations, approvals = [], [], [], []
for name, repository, tag, first in tags:
    current = datetime.datetime.strptime(first, "%Y-%m-%dT%H:%M:%S.%fZ")
    older = []
    for k in range(2):
        index = digest("history", name, tag, str(k))
        older.append(index)
        manifests.append((index, INDEX, None, stamp(current - datetime.timedelta(days=7 * args.runs_per_tag))))
        for position, platform in enumerate(PLATFORMS):
            child = digest("history", name, tag, str(k), platform)
            manifests.append((child, MANIFEST, None, stamp(current - datetime.timedelta(days=7 * args.runs_per_tag))))
            children.append((index, child, MANIFEST, platform, 0, position))
        approvals.append((name, index, "sync:automatic-policy", stamp(current - datetime.timedelta(days=7 * args.runs_per_tag)), f"{repository}:{tag} moved to this digest"))
    for r in range(args.runs_per_tag - 1):
        start = current - datetime.timedelta(days=7 * (args.runs_per_tag - 1 - r))
        end = start + datetime.timedelta(days=6, hours=23)
        observations.append((repository, tag, older[r % 2], stamp(start), stamp(end), "benchmarks/large-history.py"))

# The current runs move after the older ones, so that ids keep time order as sync leaves them.
current_runs = db.execute(
    "SELECT o.repository, o.tag, o.digest, o.first_seen, o.last_seen, o.source FROM observations o JOIN image_tags t ON o.repository = t.repository AND o.tag = t.tag "
    "WHERE t.image_name LIKE 'bench-%' ORDER BY o.id").fetchall()
with db:
    db.execute("DELETE FROM observations WHERE id IN (SELECT o.id FROM observations o JOIN image_tags t ON o.repository = t.repository AND o.tag = t.tag "
               "WHERE t.image_name LIKE 'bench-%')")
    db.executemany("INSERT OR IGNORE INTO manifests (digest, media_type, content, first_seen) VALUES (?, ?, ?, ?)", manifests)
    db.executemany(
        "INSERT OR IGNORE INTO index_children (index_digest, child_digest, media_type, platform, is_attestation, position) VALUES (?, ?, ?, ?, ?, ?)", children)
    observations.sort(key=lambda row: row[3])
    db.executemany("INSERT INTO observations (repository, tag, digest, first_seen, last_seen, source) VALUES (?, ?, ?, ?, ?, ?)", observations + current_runs)
    db.executemany("INSERT OR IGNORE INTO approvals (image_name, digest, approved_by, approved_at, reason) VALUES (?, ?, ?, ?, ?)", approvals)
    db.execute("UPDATE store_version SET version = version + 1")
db.execute("ANALYZE")
counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ["images", "image_tags", "manifests", "observations", "approvals", "packages"]}
print(", ".join(f"{v} {k}" for k, v in counts.items()), file=sys.stderr)

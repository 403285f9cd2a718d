#!/usr/bin/env python3
"""Crash safety: kill -9 Plinth at random moments, then check nothing was lost or half-done.

Usage: benchmarks/crash-safety.py [--kills N] [--seed S] [--plinth PATH] [--postgres URL]

Runs N rounds (default 20), each a workload killed with SIGKILL at a random moment:
  sync       `plinth serve` running a sync pass (POST /v1/sync) over 400 tags that all moved
             (each round pushes new manifests for every tag first);
  apply      `plinth apply` of 1,500 entries whose documents all changed since the last round;
  import     `plinth advisories import` of 20,000 OSV records, all modified since the last round;
  approvals  `plinth serve` taking a burst of curator writes (holds and releases of tags, each
             audited) from 4 concurrent clients.
After every kill: SQLite's `PRAGMA integrity_check` and `foreign_key_check`, `plinth audit
verify`, no half-applied change (every entry of an apply at one revision of the catalog, every
record of an import at one `modified`, each tag's hold as its last audited hold/release says),
and a `plinth sync` that completes with exit 0. Prints a line per round and a summary; exits 1
if any check failed.

With --postgres URL (a server Plinth may create a database on, e.g. the one
scripts/postgres.sh starts), the same rounds run on a fresh database there, created and
dropped by the script: Plinth is killed, PostgreSQL is not, so SQLite's two PRAGMA checks
have no counterpart (PostgreSQL enforces foreign keys at every commit); every other check is
the same, read with psql.

Needs docker-registry (CNCF distribution) and curl (and psql for --postgres); builds nothing
(give --plinth, default .build/release/plinth).
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--kills", type=int, default=20)
ap.add_argument("--seed", type=int, default=20261204)
ap.add_argument("--plinth", default=".build/release/plinth")
ap.add_argument("--postgres", metavar="URL", help="run on a fresh database on this PostgreSQL server")
args = ap.parse_args()
plinth = os.path.abspath(args.plinth)
rng = random.Random(args.seed)
work = tempfile.mkdtemp(prefix="plinth-crash-")
db = os.path.join(work, "plinth.sqlite")
processes = []
if args.postgres:
    server_url = args.postgres
    database = f"plinth_crash_{os.getpid()}"
    subprocess.run(["psql", "-X", "-q", "-d", server_url, "-c", f"CREATE DATABASE {database}"], check=True)
    db = server_url.rsplit("/", 1)[0] + "/" + database


def query(sql):
    """The rows of a query on the store's database, as tuples (of text, on PostgreSQL)."""
    if args.postgres:
        out = subprocess.run(["psql", "-X", "-At", "-F", "\x1f", "-d", db, "-c", sql], capture_output=True, text=True, check=True).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines()]
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def count(sql):
    return int(query(sql)[0][0])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(*argv, check=True):
    result = subprocess.run([plinth, *argv, "--db", db], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"plinth {' '.join(argv)} failed ({result.returncode}): {result.stderr}")
    return result


# A CNCF distribution registry, and 400 tags in 4 repositories whose manifests the rounds move.
registry_port = free_port()
with open(os.path.join(work, "registry.yml"), "w") as f:
    f.write(f"""version: 0.1
log: {{level: error, accesslog: {{disabled: true}}}}
storage:
  filesystem: {{rootdirectory: {work}/storage}}
http: {{addr: 127.0.0.1:{registry_port}}}
""")
registry = subprocess.Popen(["docker-registry", "serve", os.path.join(work, "registry.yml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
processes.append(registry)
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", registry_port), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.1)

REPOS = [f"crash/base{i}" for i in range(4)]
TAGS = [f"t{i}" for i in range(100)]
generation = [0]


def push_all():
    """Every tag of every repository to a manifest new to it (its config names the generation)."""
    generation[0] += 1
    conn = http.client.HTTPConnection("127.0.0.1", registry_port)

    def blob(repo, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        conn.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        r = conn.getresponse()
        r.read()
        if r.status == 200:
            return {"digest": digest, "size": len(data)}
        conn.request("POST", f"/v2/{repo}/blobs/uploads/")
        r = conn.getresponse()
        r.read()
        location = r.getheader("Location")
        conn.request("PUT", f"{location}{'&' if '?' in location else '?'}digest={digest}", body=data, headers={"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        r.read()
        assert r.status == 201, r.status
        return {"digest": digest, "size": len(data)}

    import gzip
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("etc/os-release")
        text = b'ID=crash\nVERSION_ID="1"\n'
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    layer_tar = buf.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)
    diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
    for repo in REPOS:
        layer_desc = blob(repo, layer)
        for tag in TAGS:
            config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                                 "config": {"Labels": {"generation": str(generation[0]), "tag": tag}}}).encode()
            c = blob(repo, config)
            manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **c},
                                   "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc}]}).encode()
            conn.request("PUT", f"/v2/{repo}/manifests/{tag}", body=manifest, headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
            r = conn.getresponse()
            r.read()
            assert r.status == 201, r.status


def write_sync_catalog():
    folder = os.path.join(work, "sync-catalog")
    os.makedirs(folder, exist_ok=True)
    for i, repo in enumerate(REPOS):
        with open(os.path.join(folder, f"crash-sync-{i}.yaml"), "w") as f:
            f.write(f"""name: crash-sync-{i}
title: Crash test {i}
repository: 127.0.0.1:{registry_port}/{repo}
tags: [{", ".join(TAGS)}]
status: approved
os: {{family: crash, version: "1"}}
platforms: [linux/amd64]
workloads: [{{workload: general, support: supported}}]
owner: crash
rationale: crash safety
approval: {{policy: automatic, grace_days: 7}}
""")
    return folder


def write_apply_catalog(revision):
    folder = os.path.join(work, f"apply-catalog-{revision % 2}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for i in range(1500):
        with open(os.path.join(folder, f"crash-apply-{i:04}.yaml"), "w") as f:
            f.write(f"""name: crash-apply-{i:04}
title: Applied entry {i}
repository: registry.example/crash/apply{i}
tags: ["1"]
status: retired
os: {{family: debian, version: "12"}}
platforms: [linux/amd64]
workloads: [{{workload: general, support: supported}}]
owner: crash
rationale: "revision {revision}"
approval: {{policy: manual, grace_days: 7}}
""")
    return folder


def write_osv(revision):
    folder = os.path.join(work, f"osv-{revision % 2}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    modified = f"2026-11-{1 + revision % 28:02}T00:00:{revision % 60:02}Z"
    for i in range(20000):
        record = {"schema_version": "1.6.0", "id": f"CRASH-{i:05}", "modified": modified, "published": "2026-01-01T00:00:00Z",
                  "summary": f"synthetic advisory {i}",
                  "affected": [{"package": {"ecosystem": "Debian:12", "name": f"pkg{i % 500}"},
                                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"1.{i}"}]}]}]}
        with open(os.path.join(folder, f"CRASH-{i:05}.json"), "w") as f:
            json.dump(record, f)
    return folder, modified


def serve():
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "a")
    process = subprocess.Popen([plinth, "serve", "--port", str(port), "--db", db, "--sync-interval", "0", "--log-level", "error",
                                "--insecure-registry", f"127.0.0.1:{registry_port}"], stdout=log, stderr=log)
    processes.append(process)
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("plinth serve did not become ready")


def checks(kind, expect):
    """The checks after a kill: returns the problems found."""
    problems = []
    if not args.postgres:
        integrity = query("PRAGMA integrity_check")
        if integrity != [("ok",)]:
            problems.append(f"integrity_check: {integrity[:3]}")
        fk = query("PRAGMA foreign_key_check")
        if fk:
            problems.append(f"foreign_key_check: {fk[:3]}")
    if kind == "apply":
        rationale = "document::json->>'rationale'" if args.postgres else "json_extract(document, '$.rationale')"
        revisions = {row[0] for row in query(f"SELECT {rationale} FROM images WHERE name LIKE 'crash-apply-%'")}
        n = count("SELECT count(*) FROM images WHERE name LIKE 'crash-apply-%'")
        if n not in (0, 1500) or len(revisions) > 1:
            problems.append(f"apply half-applied: {n} entries at revisions {sorted(revisions)[:4]}")
        expect["note"] = f"{n} entries, at {', '.join(sorted(revisions)) or 'none'}; this round wrote {expect['revision']}"
    if kind == "import":
        moments = {row[0] for row in query("SELECT modified FROM advisories WHERE id LIKE 'CRASH-%'")}
        n = count("SELECT count(*) FROM advisories WHERE id LIKE 'CRASH-%'")
        if n not in (0, 20000) or len(moments) > 1:
            problems.append(f"import half-applied: {n} records at {sorted(moments)[:4]}")
        expect["note"] = f"{n} records, modified {', '.join(sorted(moments)) or 'none'}; this round wrote {expect['revision']}"
    if kind == "approvals":
        # Each tag's hold is what its last audited hold or release says.
        last = {}
        for subject, action in query("SELECT subject, action FROM audit_events WHERE action IN ('tag.hold', 'tag.release') ORDER BY id"):
            last[subject] = action
        held = {f"{name}:{tag}" for name, tag in query("SELECT image_name, tag FROM holds")}
        for subject, action in last.items():
            if (action == "tag.hold") != (subject in held):
                problems.append(f"{subject}: last audited {action}, held={subject in held}")
    verify = run("audit", "verify", check=False)
    if verify.returncode != 0:
        problems.append(f"audit verify: {verify.stdout.strip()} {verify.stderr.strip()}")
    sync = subprocess.run([plinth, "sync", "--db", db, "--skip-packages", "--insecure-registry", f"127.0.0.1:{registry_port}", "--json"],
                          capture_output=True, text=True)
    if sync.returncode != 0:
        problems.append(f"next sync: exit {sync.returncode}: {sync.stderr.strip()[:200]}")
    else:
        summary = json.loads(sync.stdout)
        if summary["failed"]:
            problems.append(f"next sync: {summary['failed']} tags failed")
    return problems


def killed_after(process, low, high):
    delay = rng.uniform(low, high)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None  # finished before the kill
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return delay


try:
    run("apply", write_sync_catalog())
    token = run("token", "create", "--role", "admin", "--name", "crash").stdout.strip()
    push_all()
    run("sync", "--skip-packages", "--insecure-registry", f"127.0.0.1:{registry_port}")
    kinds = ["sync", "apply", "import", "approvals"]
    failures = 0
    tally = {k: {"rounds": 0, "killed": 0, "finished": 0} for k in kinds}
    started = time.monotonic()
    for round_ in range(1, args.kills + 1):
        kind = kinds[(round_ - 1) % len(kinds)]
        tally[kind]["rounds"] += 1
        note = ""
        if kind == "sync":
            push_all()
            server, port = serve()
            subprocess.Popen(["curl", "-s", "-o", "/dev/null", "-X", "POST", f"http://127.0.0.1:{port}/v1/sync", "-H", f"Authorization: Bearer {token}"])
            delay = killed_after(server, 0.3, 3.0)
            moved = count("SELECT count(*) FROM observations")
            note = f"observations now {moved}"
        elif kind == "apply":
            folder = write_apply_catalog(round_)
            process = subprocess.Popen([plinth, "apply", folder, "--db", db], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            delay = killed_after(process, 0.2, 4.0)
        elif kind == "import":
            folder, modified = write_osv(round_)
            process = subprocess.Popen([plinth, "advisories", "import", folder, "--db", db], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            delay = killed_after(process, 0.5, 8.0)
        else:
            server, port = serve()
            digests = {}
            for name, tag, digest in query(
                    "SELECT i.image_name, i.tag, (SELECT o.digest FROM observations o WHERE o.repository = i.repository AND o.tag = i.tag ORDER BY o.id DESC LIMIT 1) "
                    "FROM image_tags i WHERE i.image_name LIKE 'crash-sync-%' AND i.tag IN ('t0','t1','t2','t3','t4','t5')"):
                digests[(name, tag)] = digest
            writers = []
            for w in range(4):
                steps = []
                for (name, tag), digest in list(digests.items())[w::4]:
                    base = f"http://127.0.0.1:{port}/v1/images/{name}/tags/{tag}/hold"
                    steps.append(f"curl -s -o /dev/null -X PUT {base} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
                                 f"-d '{{\"digest\":\"{digest}\",\"reason\":\"burst {round_}\"}}'")
                    steps.append(f"curl -s -o /dev/null -X DELETE '{base}?reason=burst' -H 'Authorization: Bearer {token}'")
                writers.append(subprocess.Popen(["bash", "-c", "for i in $(seq 200); do " + "; ".join(steps) + "; done"]))
            delay = killed_after(server, 0.5, 3.0)
            for writer in writers:
                writer.kill()
                writer.wait()
            audited = count("SELECT count(*) FROM audit_events WHERE action IN ('tag.hold','tag.release')")
            note = f"{audited} holds and releases audited so far"
        if delay is None:
            tally[kind]["finished"] += 1
            moment = "finished before the kill"
        else:
            tally[kind]["killed"] += 1
            moment = f"killed at {delay:.2f}s"
        expect = {"revision": f"revision {round_}" if kind == "apply" else (modified if kind == "import" else "")}
        problems = checks(kind, expect)
        note = note or expect.get("note", "")
        failures += bool(problems)
        print(f"round {round_:2} {kind:9} {moment:24} {'ok' if not problems else 'PROBLEMS: ' + '; '.join(problems)}  {note}", flush=True)
    events = count("SELECT count(*) FROM audit_events")
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}: {args.kills} rounds in {time.monotonic() - started:.0f}s: " + ", ".join(
        f"{k} {v['killed']} killed/{v['finished']} finished" for k, v in tally.items()) + f"; {events} audit events verify; rounds with problems: {failures}")
    sys.exit(1 if failures else 0)
finally:
    for process in processes:
        if process.poll() is None:
            process.kill()
    shutil.rmtree(work, ignore_errors=True)
    if args.postgres:
        subprocess.run(["psql", "-X", "-q", "-d", server_url, "-c", f"DROP DATABASE IF EXISTS {database}"])

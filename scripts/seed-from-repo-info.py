#!/usr/bin/env python3
"""Builds seed-data/snapshots/*.json from image facts gathered from the public
repository docker-library/repo-info (one JSON file per image and tag, as produced
for this project: reference, index digest, platform children, attestation
manifests, the amd64 image's config facts and installed packages).

Usage: scripts/seed-from-repo-info.py IMAGES_DIR [OUT_DIR]

Each snapshot's `seen_at` is the amd64 image's creation time: the moment the tag
moved to that build. Where repo-info's history records an older build of the same
tag with its date, that earlier index digest is written too (no children or
packages are known for it), so that history starts with real lineage.
"""
import json
import pathlib
import sys

# Earlier builds of the same tag, as recorded in repo-info's history of
# repos/NAME/remote/TAG.md (commit named in each citation).
EARLIER = {
    "docker.io/library/debian:bookworm-slim": [
        ("sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241", "2026-08-03T00:00:00Z",
         "docker-library/repo-info@05f354f0a08a211fdfed2f21845d1fccd389921d repos/debian/remote/bookworm-slim.md"),
    ],
    "docker.io/library/debian:trixie-slim": [
        ("sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258", "2026-08-03T00:00:00Z",
         "docker-library/repo-info@05f354f0a08a211fdfed2f21845d1fccd389921d repos/debian/remote/trixie-slim.md"),
    ],
    "docker.io/library/amazonlinux:2023": [
        ("sha256:0c74e9fbba754003cfa179fd5cc65be7790d7248443276948704b8a858b298e5", "2026-07-18T00:00:00Z",
         "docker-library/repo-info@0f81a33b82ead2b069ad32db8928d018343d9fd6 repos/amazonlinux/remote/2023.md"),
    ],
}

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def iso(ts):
    # repo-info gives nanoseconds; the store keeps milliseconds.
    head, _, frac = ts.rstrip("Z").partition(".")
    return f"{head}.{(frac + '000')[:3]}Z"


def snapshot(data):
    ref = data["reference"]
    repository, tag = ref.rsplit(":", 1)
    src = data["source"]
    children = []
    for p in data["platforms"]:
        platform = f"{p['os']}/{p['architecture']}" + (f"/{p['variant']}" if p["variant"] else "")
        children.append({"digest": p["digest"], "media_type": p["manifest_media_type"], "platform": platform})
    for a in data["attestation_manifests"]:
        children.append({"digest": a["digest"], "media_type": OCI_MANIFEST, "platform": "unknown/unknown"})
    amd64 = data["amd64"]
    packages = {}
    if data["packages"]:
        packages[amd64["manifest_digest"]] = data["packages"]
    current = {
        "repository": repository,
        "tag": tag,
        "digest": data["index_digest"],
        "media_type": data["index_media_type"],
        "seen_at": iso(amd64["created"]),
        "source": f"{src['repo']}@{src['remote_commit']} {src['remote_path']}; packages {src['local_path']}@{src['local_commit']}",
        "children": children,
        "packages": packages,
    }
    earlier = [
        {"repository": repository, "tag": tag, "digest": digest, "media_type": OCI_INDEX, "seen_at": iso(seen),
         "source": citation, "children": [], "packages": {}}
        for digest, seen, citation in EARLIER.get(ref, [])
    ]
    return {
        "provenance": (
            f"Facts about {ref} from the public repository {src['repo']}. {src.get('note', '')}".strip()
        ),
        "snapshots": sorted(earlier, key=lambda s: s["seen_at"]) + [current],
    }


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = pathlib.Path(sys.argv[1])
    out = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "seed-data/snapshots")
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.json")):
        data = json.loads(path.read_text())
        (out / path.name).write_text(json.dumps(snapshot(data), indent=1, sort_keys=True) + "\n")
        print(f"wrote {out / path.name}")


main()

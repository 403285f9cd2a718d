#!/usr/bin/env python3
"""Writes the test fixture images as an OCI image layout, byte for byte the same on every
run: fixed file times, owners and modes in the tar layers, gzip with mtime 0 and no file
name, JSON with sorted keys and no spaces. Nothing is downloaded.

Usage: build-fixtures.py LAYOUT_DIR

Tags in the layout (org.opencontainers.image.ref.name):
  multi       OCI index of linux/amd64 and linux/arm64/v8
  amd64       OCI manifest, linux/amd64
  arm64       OCI manifest, linux/arm64/v8
  amd64-next  OCI manifest, linux/amd64, a later build (the digest a moving tag moves to)
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MTIME = 1700000000  # 2023-11-14T22:13:20Z
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)

    def put(self, data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + digest, "size": len(data)}


def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()  # tarfile writes the end-of-archive blocks on close
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0, filename="") as gz:
        gz.write(tar_bytes)
    return tar_bytes, packed.getvalue()


def image(layout, arch, variant, build):
    tar_bytes, gz_bytes = layer({
        "etc/os-release": b'ID=plinth-fixture\nVERSION_ID="1"\n',
        "etc/plinth-fixture": f"{arch} build {build}\n".encode(),
    })
    blob = layout.put(gz_bytes)
    config = {
        "architecture": arch,
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]},
    }
    if variant:
        config["variant"] = variant
    config_ref = layout.put(canonical(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **config_ref},
        "layers": [{"mediaType": OCI_LAYER, **blob}],
    }
    ref = layout.put(canonical(manifest))
    platform = {"architecture": arch, "os": "linux"}
    if variant:
        platform["variant"] = variant
    return {"mediaType": OCI_MANIFEST, **ref, "platform": platform}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    layout = Layout(sys.argv[1])
    amd64 = image(layout, "amd64", None, 1)
    arm64 = image(layout, "arm64", "v8", 1)
    amd64_next = image(layout, "amd64", None, 2)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd64, arm64]}
    index_ref = layout.put(canonical(index))

    def tagged(descriptor, name):
        d = {k: v for k, v in descriptor.items() if k != "platform"}
        d["annotations"] = {"org.opencontainers.image.ref.name": name}
        return d

    top = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            tagged({"mediaType": OCI_INDEX, **index_ref}, "multi"),
            tagged(amd64, "amd64"),
            tagged(arm64, "arm64"),
            tagged(amd64_next, "amd64-next"),
        ],
    }
    with open(os.path.join(layout.root, "index.json"), "wb") as f:
        f.write(canonical(top))
    with open(os.path.join(layout.root, "oci-layout"), "wb") as f:
        f.write(canonical({"imageLayoutVersion": "1.0.0"}))
    print(index_ref["digest"])


main()

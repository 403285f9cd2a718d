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
  debian-pkgs OCI manifest, linux/amd64, two layers: a gzip one with an old dpkg status, an apk
              database and os-release as a symlink to ../usr/lib/os-release; then a plain tar one
              that whites out the apk database and replaces var/lib/dpkg (opaque) with the real
              Ubuntu 18.04 status file in pkgdb/
  alpine-pkgs OCI manifest, linux/amd64, one gzip layer with Alpine 3.16's os-release and the real
              apk database in pkgdb/
  mariner-rpm OCI manifest, linux/amd64, one gzip layer with CBL-Mariner 2.0's os-release and its
              real SQLite rpm database (pkgdb/rpm/cbl-mariner-2.0) at var/lib/rpm/rpmdb.sqlite
  mariner-rpm-zstd  the same layer recompressed by the zstd tool (tar+zstd media type)
  el8-rpm     one gzip layer with a real Berkeley DB rpm database (pkgdb/rpm/libuuid-el8) at
              var/lib/rpm/Packages
  sle-rpm     one gzip layer with a real NDB rpm database (pkgdb/rpm/sle15-bci) at
              usr/lib/sysimage/rpm/Packages.db, var/lib/rpm a symlink to it as SUSE ships it
  rpmbuild-alma  one gzip layer with AlmaLinux 9.1's os-release and the rpm database made by
              Debian's rpm tools (pkgdb/rpm/rpmbuild-el9, make-rpmdb.sh) in usr/lib/sysimage/rpm
  rpmbuild-rocky the same database with Rocky Linux 9.1's os-release
  rpmbuild-ubi   the same database with Red Hat Enterprise Linux 9.2's os-release (as UBI 9.2 has it)
  app         an application image built on amd64 (its layers, then one more), no base annotations
  app-annotated  the same with org.opencontainers.image.base.digest/.name annotations
  app-spoofed    an application image built on amd64-next whose annotations claim amd64
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MTIME = 1700000000  # 2023-11-14T22:13:20Z
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
PKGDB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pkgdb")


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
            info.mtime = MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if isinstance(content, tuple):  # ("symlink", target)
                info.type = tarfile.SYMTYPE
                info.linkname = content[1]
                tar.addfile(info)
            else:
                info.size = len(content)
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


def zstd(data):
    """Compressed by the zstd tool itself (Debian package zstd); its output is the same on every run."""
    return subprocess.run(["zstd", "-q", "-19", "-c", "--no-progress"], input=data, stdout=subprocess.PIPE, check=True).stdout


def packaged_image(layout, layers):
    """An amd64 image of several layers: (files, compression) pairs, in order; compression is
    True (gzip), False (plain tar) or "zstd"."""
    descriptors, diff_ids = [], []
    for files, compressed in layers:
        tar_bytes, gz_bytes = layer(files)
        if compressed == "zstd":
            descriptors.append({"mediaType": OCI_LAYER_ZSTD, **layout.put(zstd(tar_bytes))})
        else:
            descriptors.append({"mediaType": OCI_LAYER if compressed else OCI_LAYER_TAR, **layout.put(gz_bytes if compressed else tar_bytes)})
        diff_ids.append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
    config = {
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_ref = layout.put(canonical(config))
    manifest = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **config_ref}, "layers": descriptors,
    }
    return {"mediaType": OCI_MANIFEST, **layout.put(canonical(manifest)), "platform": {"architecture": "amd64", "os": "linux"}}


def application(layout, base, annotated, claimed=None):
    """An image built on `base` (a manifest descriptor in the layout): its layers and one more;
    annotated, it claims `claimed` (default: `base`) as its base."""
    def blob(ref):
        with open(os.path.join(layout.root, "blobs", "sha256", ref["digest"].split(":")[1]), "rb") as f:
            return json.loads(f.read())
    base_manifest = blob(base)
    base_config = blob(base_manifest["config"])
    tar_bytes, gz_bytes = layer({"app/server": b"#!/bin/sh\necho serving\n"})
    config = dict(base_config)
    config["rootfs"] = {"type": "layers", "diff_ids": base_config["rootfs"]["diff_ids"] + ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]}
    config["config"] = {"Env": ["PATH=/usr/bin:/bin"], "Entrypoint": ["/app/server"]}
    manifest = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **layout.put(canonical(config))},
        "layers": base_manifest["layers"] + [{"mediaType": OCI_LAYER, **layout.put(gz_bytes)}],
    }
    if annotated:
        manifest["annotations"] = {
            "org.opencontainers.image.base.digest": (claimed or base)["digest"],
            "org.opencontainers.image.base.name": "fixtures/base:v1",
        }
    return {"mediaType": OCI_MANIFEST, **layout.put(canonical(manifest)), "platform": {"architecture": "amd64", "os": "linux"}}


def pkgdb(name):
    with open(os.path.join(PKGDB, name), "rb") as f:
        return f.read()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    layout = Layout(sys.argv[1])
    amd64 = image(layout, "amd64", None, 1)
    arm64 = image(layout, "arm64", "v8", 1)
    amd64_next = image(layout, "amd64", None, 2)
    status = pkgdb("ubuntu-18.04-dpkg-status")
    old_status = b"\n\n".join(status.split(b"\n\n")[:5]) + b"\n"
    debian_pkgs = packaged_image(layout, [
        ({
            "etc/os-release": ("symlink", "../usr/lib/os-release"),
            "usr/lib/os-release": b'NAME="Ubuntu"\nVERSION="18.04.6 LTS (Bionic Beaver)"\nID=ubuntu\nVERSION_ID="18.04"\nPRETTY_NAME="Ubuntu 18.04.6 LTS"\n',
            "var/lib/dpkg/status": old_status,
            "var/lib/dpkg/status-old": old_status,
            "lib/apk/db/installed": b"P:should-be-whited-out\nV:1.0-r0\n\n",
        }, True),
        ({
            "lib/apk/db/.wh.installed": b"",
            "var/lib/dpkg/.wh..wh..opq": b"",
            "var/lib/dpkg/status": status,
        }, False),
    ])
    alpine_pkgs = packaged_image(layout, [({
        "etc/os-release": b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.0\nPRETTY_NAME="Alpine Linux v3.16"\n',
        "lib/apk/db/installed": pkgdb("alpine-3.16-apk-installed"),
    }, True)])
    mariner_files = {
        "etc/os-release": b'NAME="Common Base Linux Mariner"\nVERSION="2.0.20230630"\nID=mariner\nVERSION_ID="2.0"\n',
        "var/lib/rpm/rpmdb.sqlite": pkgdb("rpm/cbl-mariner-2.0/rpmdb.sqlite"),
    }
    mariner_rpm = packaged_image(layout, [(mariner_files, True)])
    mariner_rpm_zstd = packaged_image(layout, [(mariner_files, "zstd")])
    el8_rpm = packaged_image(layout, [({
        "etc/os-release": b'NAME="AlmaLinux"\nVERSION="8.9 (Midnight Oncilla)"\nID="almalinux"\nVERSION_ID="8.9"\n',
        "var/lib/rpm/Packages": pkgdb("rpm/libuuid-el8/Packages"),
    }, True)])
    sle_rpm = packaged_image(layout, [({
        "etc/os-release": b'NAME="SLES"\nVERSION="15-SP5"\nID="sles"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\n',
        "usr/lib/sysimage/rpm/Packages.db": pkgdb("rpm/sle15-bci/Packages.db"),
        "var/lib/rpm": ("symlink", "../../usr/lib/sysimage/rpm"),
    }, True)])
    def rpmbuild_image(os_release):
        return packaged_image(layout, [({
            "etc/os-release": os_release,
            "usr/lib/sysimage/rpm/rpmdb.sqlite": pkgdb("rpm/rpmbuild-el9/rpmdb.sqlite"),
            "var/lib/rpm": ("symlink", "../../usr/lib/sysimage/rpm"),
        }, True)])
    rpmbuild_alma = rpmbuild_image(b'NAME="AlmaLinux"\nVERSION="9.1 (Lime Lynx)"\nID="almalinux"\nVERSION_ID="9.1"\n')
    rpmbuild_rocky = rpmbuild_image(b'NAME="Rocky Linux"\nVERSION="9.1 (Blue Onyx)"\nID="rocky"\nVERSION_ID="9.1"\n')
    rpmbuild_ubi = rpmbuild_image(b'NAME="Red Hat Enterprise Linux"\nVERSION="9.2 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.2"\n')
    app = application(layout, amd64, annotated=False)
    app_annotated = application(layout, amd64, annotated=True)
    app_spoofed = application(layout, amd64_next, annotated=True, claimed=amd64)
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
            tagged(debian_pkgs, "debian-pkgs"),
            tagged(alpine_pkgs, "alpine-pkgs"),
            tagged(mariner_rpm, "mariner-rpm"),
            tagged(mariner_rpm_zstd, "mariner-rpm-zstd"),
            tagged(el8_rpm, "el8-rpm"),
            tagged(sle_rpm, "sle-rpm"),
            tagged(rpmbuild_alma, "rpmbuild-alma"),
            tagged(rpmbuild_rocky, "rpmbuild-rocky"),
            tagged(rpmbuild_ubi, "rpmbuild-ubi"),
            tagged(app, "app"),
            tagged(app_annotated, "app-annotated"),
            tagged(app_spoofed, "app-spoofed"),
        ],
    }
    with open(os.path.join(layout.root, "index.json"), "wb") as f:
        f.write(canonical(top))
    with open(os.path.join(layout.root, "oci-layout"), "wb") as f:
        f.write(canonical({"imageLayoutVersion": "1.0.0"}))
    print(index_ref["digest"])


main()

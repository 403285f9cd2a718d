#!/usr/bin/env bash
# Builds three real images with tools nobody here wrote, for the surface report's tests:
#   minbase  a Debian 12 minbase root filesystem made by mmdebstrap (shells, apt, dpkg, and the
#            setuid su, passwd, mount, ... as dpkg installs them), one layer added by umoci;
#   purged   minbase plus a layer in which `dpkg --purge --force-remove-essential` removed
#            bash, dash and apt (umoci repack writes their absence as whiteouts);
#   static   a statically linked C program (gcc -static) alone on scratch, run as 65532:65532
#            with an entrypoint and an exposed port (umoci config).
# Each final image is also unpacked by umoci into DIR/rootfs/NAME, for find and ls to compare.
# Usage: scripts/test-registries/real-images.sh DIR   (DIR/oci is the OCI layout; reuses a
# finished DIR). Needs root (dpkg in a chroot, ownership kept), mmdebstrap, umoci, gcc, and apt
# access to deb.debian.org (PLINTH_DEBIAN_MIRROR overrides).
set -euo pipefail

dir=${1:?usage: real-images.sh DIR}
[[ -f $dir/done ]] && exit 0
for tool in mmdebstrap umoci gcc skopeo; do
  command -v "$tool" >/dev/null || { echo "real-images: $tool is not installed (scripts/setup.sh --test installs it)" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "real-images: needs root (dpkg --purge in a chroot, files owned as dpkg installs them)" >&2; exit 2; }

work=$(mktemp -d "${dir%/}.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mirror=${PLINTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

echo "real-images: mmdebstrap --variant=minbase bookworm" >&2
mmdebstrap --quiet --variant=minbase bookworm "$work/minbase.tar" "$mirror"
umoci init --layout "$work/oci"
umoci new --image "$work/oci:minbase"
umoci raw add-layer --image "$work/oci:minbase" "$work/minbase.tar"
rm "$work/minbase.tar"

echo "real-images: dpkg --purge --force-remove-essential bash dash apt" >&2
umoci unpack --image "$work/oci:minbase" "$work/bundle" >/dev/null
# dpkg exits non-zero once the shell its triggers need is gone; the packages are purged all the same.
chroot "$work/bundle/rootfs" dpkg --purge --force-remove-essential --force-depends apt bash dash >/dev/null 2>&1 || true
for gone in usr/bin/bash usr/bin/dash usr/bin/sh usr/bin/apt; do
  [[ ! -e $work/bundle/rootfs/$gone && ! -L $work/bundle/rootfs/$gone ]] || { echo "real-images: dpkg left /$gone" >&2; exit 1; }
done
umoci repack --image "$work/oci:purged" "$work/bundle"
rm -rf "$work/bundle"

echo "real-images: gcc -static, on scratch" >&2
printf '#include <stdio.h>\nint main(void) { puts("hello from a static binary"); return 0; }\n' > "$work/hello.c"
gcc -static -Os -o "$work/hello" "$work/hello.c"
umoci new --image "$work/oci:static"
umoci unpack --image "$work/oci:static" "$work/bundle" >/dev/null
install -m 0755 "$work/hello" "$work/bundle/rootfs/hello"
umoci repack --image "$work/oci:static" "$work/bundle"
rm -rf "$work/bundle"
umoci config --image "$work/oci:static" --config.user 65532:65532 --config.entrypoint /hello --config.exposedports 8080/tcp

for name in minbase purged static; do
  umoci unpack --image "$work/oci:$name" "$work/unpacked-$name" >/dev/null
  mkdir -p "$work/rootfs"
  mv "$work/unpacked-$name/rootfs" "$work/rootfs/$name"
  rm -rf "$work/unpacked-$name"
done
touch "$work/done"
rm -rf "$dir"
mv "$work" "$dir"
trap - EXIT
echo "real-images: built in $dir" >&2

#!/usr/bin/env bash
# Makes the rpmbuild-el9 rpm database with Debian's own rpm tools (Debian package rpm): empty
# packages built by rpmbuild with the names, epochs and versions (tildes and carets
# included) below, installed with `rpm -i --justdb --nodeps` into a new SQLite database
# (`rpm --initdb`), and the list `rpm -qa` prints of it written beside it as expected.tsv.
# The names are AlmaLinux 9 / Rocky 9 packages that the real OSV records in
# Tests/PlinthCatalogTests/Fixtures/osv name; one is from a module stream (nodejs:18); podman is
# named by Red Hat's RHSA-2024:8709 for RHEL 9.2 EUS, once below its fix and once at it.
# Usage: scripts/test-registries/make-rpmdb.sh   (writes pkgdb/rpm/rpmbuild-el9/)
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/pkgdb/rpm/rpmbuild-el9
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/db" "$out"

# name epoch version release source-name [modularity label]
packages=(
  "glibc - 2.34 60.el9 glibc"
  "glibc-common - 2.34 60.el9 glibc"
  "openssl-libs 1 3.0.1 41.el9_0 openssl"
  "xz-libs - 5.2.5 7.el9 xz"
  "tar 2 1.34 6.el9_1 tar"
  "libxml2 - 2.9.13 3.el9_1 libxml2"
  "java-11-openjdk-headless 1 11.0.24.0.8 2.el9 java-11-openjdk"
  "pam - 1.5.1 19.el9 pam"
  "sqlite-libs - 3.34.1 6.el9_1 sqlite"
  "nodejs 1 18.14.2 2.module+el9.1.0+14000+a1b2c3d4 nodejs nodejs:18:9010020230301:rhel9"
  "podman 2 4.4.1 20.el9_2 podman"
  "podman-remote 2 4.4.1 21.el9_2 podman"
  "plinth-tilde - 1.0~rc1 1.el9 plinth-tilde"
  "plinth-caret - 1.0^20230101git1 1.el9 plinth-caret"
)
rpm --initdb --dbpath "$work/db"
for line in "${packages[@]}"; do
  read -r name epoch version release source label <<<"$line"
  spec=$work/$name.spec
  {
    echo "Name: $source"
    [[ $epoch != - ]] && echo "Epoch: $epoch"
    echo "Version: $version"
    echo "Release: $release"
    echo "Summary: A fixture package"
    echo "License: MIT"
    echo "BuildArch: x86_64"
    [[ -n ${label:-} ]] && echo "%define modularitylabel $label"
    echo "%description"
    echo "A fixture package for Plinth's rpm database tests."
    if [[ $name != "$source" ]]; then
      echo "%package -n $name"
      echo "Summary: A fixture subpackage"
      echo "%description -n $name"
      echo "A fixture subpackage."
      echo "%files -n $name"
    else
      echo "%files"
    fi
  } >"$spec"
  rpmbuild --quiet -bb --define "_topdir $work/build" --define "_build_id_links none" "$spec" >/dev/null
done
rpm -i --justdb --nodeps --noscripts --ignorearch --ignoreos --dbpath "$work/db" "$work"/build/RPMS/*/*.rpm
cp "$work/db/rpmdb.sqlite" "$out/rpmdb.sqlite"
{
  echo "# rpm -qa of rpmdb.sqlite, printed by $(rpm --version) (Debian package rpm) with --dbpath; columns: name epoch version release arch sourcerpm"
  printf 'name\tepoch\tversion\trelease\tarch\tsourcerpm\n'
  rpm --dbpath "$work/db" -qa --qf '%{NAME}\t%|EPOCH?{%{EPOCH}}:{}|\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n' | sort
} >"$out/expected.tsv"
rpm --dbpath "$work/db" -qa --qf '%{NAME}\t%{MODULARITYLABEL}\n' | sort >"$out/modularity.tsv"
echo "wrote $out" >&2

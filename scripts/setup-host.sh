#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Prepare a Debian 12 machine (as root): packages, build, hugepages.
# Idempotent; used by demo.sh, run-tests.sh and CI.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
PKGS=(dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config gcc libzmq3-dev
	libprotobuf-c-dev protobuf-c-compiler libjansson-dev libcmocka-dev libmicrohttpd-dev python3
	iproute2 ethtool busybox-static cpio clang libclang-rt-14-dev protobuf-compiler
	python3-protobuf python3-zmq prometheus libvirt-daemon libvirt-daemon-driver-qemu
	libvirt-clients debhelper dpkg-dev fakeroot systemd file xz-utils qemu-system-x86 coreutils procps)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$TOP" ${MESON_ARGS:-}
fi
ninja -C "$BUILD"

# 2 MB hugepages for the daemon (the tests' VMs use memfd, not hugepages)
want=${HUGEPAGES:-1024}
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ "$(cat $nr)" -lt "$want" ]; then
	echo "$want" >"$nr"
fi
if ! mount | grep "on /dev/hugepages type hugetlbfs" >/dev/null; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages
fi
echo "setup: built in $BUILD; $(cat $nr) hugepages of 2 MB reserved"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build a tiny Linux guest for vhost-user tests: Debian's kernel (fetched
# with apt-get download, never installed) booted uncompressed through PVH,
# and a busybox initramfs carrying the virtio-net module chain and init.sh.
#   build-guest.sh CACHE_DIR   -> CACHE_DIR/{vmlinux,initramfs.cpio.gz}
# The kernel is fetched once; the initramfs is rebuilt every run (0.1 s).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:?cache dir}
mkdir -p "$CACHE"
cd "$CACHE"

# virtio-net chain of Debian's 6.1 kernel (all modules there), in load order
MODS="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/core/failover
drivers/net/net_failover drivers/net/virtio_net"
if [ ! -s vmlinux ] || [ ! -s modules/order ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
	if [ -z "$kpkg" ]; then # no package lists yet
		apt-get update -q >/dev/null
		kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
	fi
	[ -n "$kpkg" ] || { echo "cannot resolve linux-image-amd64" >&2; exit 1; }
	rm -rf kpkg modules ./*.deb && mkdir kpkg modules
	apt-get download "$kpkg" >/dev/null 2>&1 || apt-get download "$kpkg"
	dpkg-deb -x ./"${kpkg}"_*.deb kpkg
	kver=$(ls kpkg/lib/modules | head -1)
	for m in $MODS; do
		f=$(ls kpkg/lib/modules/"$kver"/kernel/"$m".ko* | head -1)
		case "$f" in
		*.xz) xz -dc "$f" >"modules/$(basename "$m").ko" ;;
		*) cp "$f" "modules/$(basename "$m").ko" ;;
		esac
	done
	echo "$MODS" | xargs -n1 basename >modules/order
	# the xz payload of the bzImage, uncompressed: skips 3 s of TCG decompression
	vmlinuz=$(ls kpkg/boot/vmlinuz-*)
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1)
	tail -c +$((off + 1)) "$vmlinuz" | xz -dc --single-stream >vmlinux.tmp 2>/dev/null || true
	[ -s vmlinux.tmp ] || { echo "could not extract vmlinux" >&2; exit 1; }
	mv vmlinux.tmp vmlinux
	rm -rf kpkg ./*.deb
fi

root=$CACHE/rootfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,www,etc,lib/modules}
cp /bin/busybox "$root/bin/busybox"
file -L /bin/busybox | grep -q 'statically linked' || { echo "need busybox-static" >&2; exit 1; }
cp modules/*.ko modules/order "$root/lib/modules/"
# ethtool (the host's, with the libraries it loads): tests change the
# guest's queue count at run time with ethtool -L, as an operator would
cp /usr/sbin/ethtool "$root/sbin/ethtool"
for lib in $(ldd /usr/sbin/ethtool | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
cp "$HERE/guest-init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >initramfs.cpio.gz
rm -rf "$root"

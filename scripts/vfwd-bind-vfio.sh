#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Bind PCI devices to a driver (default vfio-pci) for virtio-forwarder.
#   vfwd-bind-vfio.sh [--driver DRV] [--dry-run] ITEM...
# ITEM: DDDD:BB:SS.F | BB:SS.F (domain 0000) | NETDEV (all its VFs) |
#       NETDEV:N (its first N VFs, in VF order)
# Uses driver_override, so the device is bound to DRV and nothing else.
# SYSFS (default /sys) lets tests run it on a fake tree.
set -euo pipefail
SYSFS=${SYSFS:-/sys}
driver=vfio-pci
dry=0
while [ $# -gt 0 ]; do
	case "$1" in
	--driver) driver=$2; shift 2 ;;
	--dry-run) dry=1; shift ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--driver DRV] [--dry-run] ITEM..." >&2; exit 2; }

devices=()
for item in "$@"; do
	if [[ $item =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; then
		devices+=("${item,,}")
	elif [[ $item =~ ^[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; then
		devices+=("0000:${item,,}")
	else
		netdev=${item%%:*}
		count=""
		[ "$netdev" = "$item" ] || count=${item#*:}
		dir=$SYSFS/class/net/$netdev/device
		[ -d "$dir" ] || { echo "$item: no such network device" >&2; exit 1; }
		vfs=()
		for link in $(ls -d "$dir"/virtfn* 2>/dev/null | sort -V); do
			vfs+=("$(basename "$(readlink -f "$link")")")
		done
		[ ${#vfs[@]} -gt 0 ] || { echo "$netdev: has no VFs" >&2; exit 1; }
		[ -z "$count" ] || vfs=("${vfs[@]:0:$count}")
		devices+=("${vfs[@]}")
	fi
done

[ $dry = 1 ] || [ "$driver" != vfio-pci ] || [ "$SYSFS" != /sys ] || modprobe vfio-pci 2>/dev/null || true
for dev in "${devices[@]}"; do
	d=$SYSFS/bus/pci/devices/$dev
	[ -d "$d" ] || { echo "$dev: no such PCI device" >&2; exit 1; }
	cur=""
	[ -e "$d/driver" ] && cur=$(basename "$(readlink -f "$d/driver")")
	if [ "$cur" = "$driver" ]; then
		echo "$dev: already bound to $driver"
		continue
	fi
	echo "$dev: ${cur:-no driver} -> $driver"
	[ $dry = 0 ] || continue
	echo "$driver" >"$d/driver_override"
	[ -z "$cur" ] || echo "$dev" >"$d/driver/unbind"
	echo "$dev" >"$SYSFS/bus/pci/drivers_probe"
	echo >"$d/driver_override"
done

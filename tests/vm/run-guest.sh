#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Boot the test guest under QEMU (TCG) with one virtio-net NIC on a
# vhost-user socket.
#   run-guest.sh CACHE SOCKET client|server GUEST_IP/N PEER_IP BYTES PORT [HOLD]
# client: QEMU connects to SOCKET (the forwarder is the server);
# server: QEMU creates SOCKET and waits for the forwarder to connect.
# The guest's default program (guest-init.sh) pings PEER_IP, sends BYTES of
# TCP to PEER_IP:PORT, serves them over HTTP for HOLD s and powers off.
# Guest RAM is a shared memfd (vhost-user needs it). vectors=0: QEMU 7.2
# with TCG and vhost-user crashes with MSI-X. Console goes to stdout.
# QEMU replaces this script (exec): its PID is this script's PID, and it
# always writes PIDFILE, so a caller can end it by either.
#
# Options (environment, all optional):
#   PIDFILE=SOCKET%.sock.qemu.pid  QEMU's PID (lib.sh's cleanup ends every
#                      *.qemu.pid under the test's directory)
#   MEM=256 SMP=1      guest RAM (MiB, or with a unit: 262152K), vCPUs
#   QUEUES=1           virtio-net queue pairs (mq=on above 1; the guest uses
#                      min(QUEUES, SMP) of them)
#   MTU=               guest eth0 MTU (vmt_mtu)
#   MAC=52:54:00:99:00:02
#   OFFLOADS=off       negotiate no checksum/TSO/UFO offloads
#   NIC_OPTS=,k=v,...  more virtio-net-pci properties (e.g. ,mrg_rxbuf=off)
#   GUEST_ANNOUNCE=off the guest does not announce itself after a migration
#                      (QEMU then asks the backend for a RARP instead)
#   TCG_THREAD=multi   single: one TCG thread (migration tests: multi-threaded
#                      TCG corrupts migrated guests here, see TESTING.md)
#   GUEST_SCRIPT=file  busybox sh script the guest runs instead of the default
#                      program once eth0 is up (vmt_* variables exported);
#                      its exit status is the guest's result
#   INCOMING=URI       migration destination: -incoming URI (unix:PATH)
#   QMP=PATH           QMP monitor on a unix socket at PATH
#   RECONNECT=N        client mode: re-dial a restarted forwarder every N s
#   APPEND_EXTRA=...   more kernel command line (vmt_KEY=VALUE reach scripts)
#   QEMU_EXTRA=...     more QEMU arguments (word-split)
#   VIOMMU=1           q35 with an intel-iommu (device-iotlb, interrupt
#                      remapping, kernel-irqchip=split), the NIC behind a
#                      pcie-root-port with iommu_platform=on,ats=on (the
#                      backend must offer IOMMU support); guest iommu=pt
#                      (full translation loses the guest under TCG here)
set -euo pipefail
cache=$1 sock=$2 mode=$3 ip=$4 peer=$5 bytes=$6 port=$7 hold=${8:-10}
PIDFILE=${PIDFILE:-${sock%.sock}.qemu.pid}
QUEUES=${QUEUES:-1}

initrd=$cache/initramfs.cpio.gz
if [ -n "${GUEST_SCRIPT:-}" ]; then
	# a second, concatenated cpio adds /vmt-script.sh to the initramfs; it
	# lives next to the pid file (this script execs QEMU: no cleanup here)
	extra=${PIDFILE%.pid}.initrd
	rm -rf "$extra.d" && mkdir -p "$extra.d"
	cp "$GUEST_SCRIPT" "$extra.d/vmt-script.sh"
	(cd "$extra.d" && echo vmt-script.sh | cpio -o -H newc --quiet | gzip -1) >"$extra.d/x.gz"
	cat "$initrd" "$extra.d/x.gz" >"$extra.gz"
	rm -rf "$extra.d"
	initrd=$extra.gz
fi

chr="socket,id=chr0,path=$sock"
if [ "$mode" = server ]; then
	rm -f "$sock" # QEMU refuses to bind over a stale socket
	chr="$chr,server=on,wait=off"
elif [ -n "${RECONNECT:-}" ]; then
	chr="$chr,reconnect=$RECONNECT"
fi
dev="virtio-net-pci,netdev=net0,mac=${MAC:-52:54:00:99:00:02},romfile=,vectors=0"
[ "$QUEUES" -gt 1 ] && dev="$dev,mq=on"
[ "${OFFLOADS:-on}" = off ] &&
	dev="$dev,csum=off,guest_csum=off,gso=off,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off"
[ "${GUEST_ANNOUNCE:-on}" = off ] && dev="$dev,guest_announce=off"
machine=pc,memory-backend=mem0
viommu=()
if [ "${VIOMMU:-}" = 1 ]; then
	machine=q35,kernel-irqchip=split,memory-backend=mem0
	viommu=(-device intel-iommu,intremap=on,device-iotlb=on -device pcie-root-port,id=rp0,bus=pcie.0,chassis=1)
	dev="$dev,bus=rp0,iommu_platform=on,ats=on,disable-legacy=on"
fi
dev="$dev${NIC_OPTS:-}"

# no_timer_check: a loaded host makes TCG slow enough for the IO-APIC timer
# check to fail ("IO-APIC + timer doesn't work!", a panic at boot)
append="console=ttyS0 quiet panic=-1 no_timer_check vmt_ip=$ip vmt_peer=$peer vmt_bytes=$bytes vmt_port=$port vmt_hold=$hold"
[ -n "${MTU:-}" ] && append="$append vmt_mtu=$MTU"
[ -n "${APPEND_EXTRA:-}" ] && append="$append $APPEND_EXTRA"
[ "${VIOMMU:-}" = 1 ] && append="$append intel_iommu=on iommu=pt"
extra_args=()
[ -n "${INCOMING:-}" ] && extra_args+=(-incoming "$INCOMING")
[ -n "${QMP:-}" ] && extra_args+=(-qmp "unix:$QMP,server=on,wait=off")
# shellcheck disable=SC2206
[ -n "${QEMU_EXTRA:-}" ] && extra_args+=($QEMU_EXTRA)
mem=${MEM:-256}
case "$mem" in *[0-9]) mem=${mem}M ;; esac # a bare number is MiB; 262152K etc. as given
rm -f "$PIDFILE"
exec qemu-system-x86_64 -accel "tcg,thread=${TCG_THREAD:-multi}" -smp "${SMP:-1}" -m "$mem" \
	-object "memory-backend-memfd,id=mem0,size=$mem,share=on" -machine "$machine" "${viommu[@]}" \
	-nodefaults -no-user-config -display none -serial stdio -no-reboot -pidfile "$PIDFILE" \
	-kernel "$cache/vmlinux" -initrd "$initrd" -append "$append" \
	-chardev "$chr" -netdev "vhost-user,id=net0,chardev=chr0,queues=$QUEUES" \
	-device "$dev" "${extra_args[@]}" </dev/null

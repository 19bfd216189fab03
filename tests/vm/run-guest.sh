#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Boot the test guest under QEMU (TCG) with one virtio-net NIC on a
# vhost-user socket.
#   run-guest.sh CACHE SOCKET client|server GUEST_IP/N PEER_IP BYTES PORT [HOLD]
# client: QEMU connects to SOCKET (the forwarder is the server);
# server: QEMU creates SOCKET and waits for the forwarder to connect.
# Guest RAM is a shared memfd (vhost-user needs it). vectors=0: QEMU 7.2
# with TCG and vhost-user crashes with MSI-X. Console goes to stdout.
set -euo pipefail
cache=$1 sock=$2 mode=$3 ip=$4 peer=$5 bytes=$6 port=$7 hold=${8:-10}
chr="socket,id=chr0,path=$sock"
[ "$mode" = server ] && chr="$chr,server=on,wait=off"
exec qemu-system-x86_64 -accel tcg,thread=multi -smp 1 -m 256M \
	-object memory-backend-memfd,id=mem0,size=256M,share=on -machine pc,memory-backend=mem0 \
	-nodefaults -no-user-config -display none -serial stdio -no-reboot \
	-kernel "$cache/vmlinux" -initrd "$cache/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1 vmt_ip=$ip vmt_peer=$peer vmt_bytes=$bytes vmt_port=$port vmt_hold=$hold" \
	-chardev "$chr" -netdev vhost-user,id=net0,chardev=chr0,queues=1 \
	-device virtio-net-pci,netdev=net0,mac=52:54:00:99:00:02,romfile=,vectors=0 </dev/null

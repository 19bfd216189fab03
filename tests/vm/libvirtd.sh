#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Start libvirtd and virtlogd by hand (no systemd needed), for the libvirt
# test. Prints "started" if it started libvirtd (the caller then stops it
# with `libvirtd.sh stop`), "running" if one was already up.
# System changes (test machines only): creates the libvirt-qemu account
# (libvirt 9 needs it before reading qemu.conf) and writes a qemu.conf that
# runs QEMU as root without sVirt, cgroups or namespaces.
set -euo pipefail
if [ "${1:-}" = stop ]; then
	for p in /run/libvirtd.pid /run/virtlogd.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
	done
	exit 0
fi
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 ||
	useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
if ! grep -q 'virtio-forwarder tests' /etc/libvirt/qemu.conf 2>/dev/null; then
	[ -f /etc/libvirt/qemu.conf ] && cp /etc/libvirt/qemu.conf /etc/libvirt/qemu.conf.orig-vfwd
	cat >/etc/libvirt/qemu.conf <<'X'
# virtio-forwarder tests (tests/vm/libvirtd.sh): QEMU as root, since the
# vhost-user sockets are root-owned; no sVirt/cgroups/namespaces (no systemd)
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
X
fi
mkdir -p /var/log/libvirt /var/lib/libvirt /run/libvirt
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if alive /run/libvirtd.pid; then
	echo running
	exit 0
fi
alive /run/virtlogd.pid || virtlogd -d
libvirtd -d
for _ in $(seq 100); do
	virsh -c qemu:///system version >/dev/null 2>&1 && { echo started; exit 0; }
	sleep 0.2
done
echo "libvirtd did not come up" >&2
exit 1

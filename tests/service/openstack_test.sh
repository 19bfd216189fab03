#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# OpenStack's path: the Agilio os-vif plugin (vif_plug_agilio_ovs) runs
#   /usr/lib64/virtio-forwarder/virtioforwarder_port_control.py add_sock \
#       --pci-addr=<VF> --vhost-path=<socket>
# and later `remove_sock --vhost-path=<socket>`, with no endpoint option
# (the default ipc:///var/run/virtio-forwarder/port_control), against a
# daemon with dynamic sockets in vhost client mode (its Ansible template).
# This test installs into a DESTDIR and, in a private mount namespace,
# overlays the DESTDIR's /usr/lib64 and /usr/lib on the real ones and puts
# a tmpfs on /run, so the installed script runs by exactly that path and
# the daemon binds exactly the default endpoints, without touching the host.
#
# There is no PCI VF here. The most faithful stand-in is two calls:
# 1. the plugin's call exactly, with a PCI address that does not exist: it
#    must reach the daemon and come back with the daemon's probe-failure
#    reply (exit 1, status ERROR, the failing DPDK step), changing nothing;
#    remove_sock for it answers too (the plugin accepts exit 0 or 1);
# 2. the same call with the project's --device extension naming a DPDK
#    vdev (net_ring0, a loopback port) instead of --pci-addr: it must
#    succeed end to end: a virtio_user "VM" (vhost-user server, as QEMU is
#    with the plugin) gets connected, its packets cross the relay and come
#    back (its burst of 32 packets to the loopback VF, and the same 32
#    back to the VM), and the plugin's exact remove_sock detaches it.
# The rest of the path (what the daemon does with a PCI address that does
# probe) is the same code as any devargs (rte_dev_probe).
. "$(dirname "$0")/../integration/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" != inside ]; then
	meson setup "$WORK/b" "$TOP" --prefix=/usr >/dev/null
	ninja -C "$WORK/b" >/dev/null
	DESTDIR="$WORK/root" meson install -C "$WORK/b" --quiet >/dev/null
	[ -L "$WORK/root/usr/lib64/virtio-forwarder/virtioforwarder_port_control.py" ] ||
		fail "not installed: /usr/lib64/virtio-forwarder/virtioforwarder_port_control.py"
	R=$WORK/root TAG=$TAG unshare --mount --propagation private "$0" inside || exit 1
	log PASS
	exit 0
fi

# --- inside the private mount namespace
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t overlay overlay -o "lowerdir=$R/usr/lib64:/usr/lib64" /usr/lib64
mount -t overlay overlay -o "lowerdir=$R/usr/lib:/usr/lib" /usr/lib
PC=/usr/lib64/virtio-forwarder/virtioforwarder_port_control.py
STATS=/usr/lib64/virtio-forwarder/virtioforwarder_stats.py
P=$WORK/vm1.sock

# the plugin's daemon: dynamic sockets, vhost client, default endpoints
"$R/usr/bin/virtio-forwarder" -C 1 -M 0 -n -d -i -Z -z -p "$WORK" --state-dir "$WORK/state" --idle-interrupts \
	--idle-sleep-max-us=100 -- --no-huge -m 256 --file-prefix="${TAG}d" >"$WORK/d.log" 2>&1 &
daemon=$!
PIDS+=($daemon)
wait_for 20 grep -q "ready:" "$WORK/d.log" || fail "daemon did not get ready"
[ -S /var/run/virtio-forwarder/port_control ] || fail "no default port_control endpoint"

# 1. exactly the plugin's call; the VF does not exist (the daemon's reply
#    is the original's "VF attach failed": code 3)
rc=0
out=$("$PC" add_sock --pci-addr=0000:05:08.1 --vhost-path="$P" 2>&1) || rc=$?
log "add_sock --pci-addr: exit $rc: $(tr '\n' ' ' <<<"$out")"
[ $rc -eq 1 ] || fail "add_sock of a missing VF: exit $rc"
grep -q '^status: ERROR' <<<"$out" || fail "no daemon reply: $out"
# the original's code for "VF attach failed"; the daemon logs the step
grep -q '^error_code: 3$' <<<"$out" && grep -q '^error_code_source: "virtio_add_sock_dev_pair()"' <<<"$out" ||
	fail "not the attach-failure reply: $out"
grep 'rte_dev_probe' "$WORK/d.log" | grep -q '0000:05:08.1' || fail "daemon did not probe the address"
out=$("$STATS" --include-inactive --delay 0) || fail "stats"
grep -q "vhost_path\|pci_addr_str" <<<"$out" && fail "a failed add_sock left a relay: $out"
rc=0
out=$("$PC" remove_sock --vhost-path="$P" 2>&1) || rc=$?
log "remove_sock: exit $rc: $(tr '\n' ' ' <<<"$out")"
[ $rc -eq 0 ] || fail "remove_sock of nothing (already gone: OK): exit $rc: $out"

# 2. the same call with --device: end to end with a VM
"$PC" add_sock --device net_ring0 --vhost-path="$P" || fail "add_sock --device"
stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 1 --file-prefix="${TAG}vm" --no-huge -m 256 --no-pci \
	--vdev "net_virtio_user0,path=$P,queues=1,server=1" -- --forward-mode=rxonly --tx-first --total-num-mbufs=8192 \
	--auto-start --stats-period 1 >"$WORK/vm.log" 2>&1 &
PIDS+=($!)
relay_ok() {
	local s
	s=$("$STATS" --delay 0) || return 1
	grep -q "relay_0.vf_to_vm.internal_state=DPDK_READY" <<<"$s" &&
		grep -q "relay_0.vm_to_vf.internal_state=VIRTIO_READY" <<<"$s" &&
		[ "$(sed -n 's/^relay_0.vm_to_vf.cpu_[0-9]*.pkts_tx_to_vf=//p' <<<"$s")" = 32 ] &&
		[ "$(sed -n 's/^relay_0.vf_to_vm.cpu_[0-9]*.pkts_tx_to_vm=//p' <<<"$s")" = 32 ]
}
wait_for 20 relay_ok || fail "relay 0 not forwarding: $("$STATS" --delay 0 --include-inactive)"
out=$("$STATS" --delay 0)
log "relay 0: $(grep -E 'pkts_tx_to_v[fm]=' <<<"$out" | tr '\n' ' ')"
"$PC" query_pci --vhost-path="$P" | grep -qx net_ring0 || fail "query_pci"
"$PC" remove_sock --vhost-path="$P" || fail "remove_sock"
out=$("$STATS" --include-inactive --delay 0) || fail "stats"
grep -q "net_ring0" <<<"$out" && fail "remove_sock left the device: $out"
kill -TERM $daemon
rc=0
wait $daemon || rc=$?
[ $rc -eq 0 ] || fail "daemon exit $rc"

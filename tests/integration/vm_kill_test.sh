#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The VM vanishes (SIGKILL) in the middle of a flood through the relay; the
# daemon survives, the relay falls back to DPDK_ADDED, counters add up, a
# new VM on the same socket gets traffic again, and no mbuf is left behind.
. "$(dirname "$0")/lib.sh"

make_netns
start_daemon d -P net_tap0,iface=vf0=1
start_vm vm1 "$WORK/sock/virtio-forwarder1.sock"
setup_ips
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
ping_ok "$NS_VF" 10.99.0.2 3 || fail "first ping"

# bulk TCP both ways, kill the VM under it
X=$(dirname "$0")/tcp_xfer.py
ip netns exec "$NS_VM" python3 "$X" sink 9001 >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$NS_VF" python3 "$X" sink 9002 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
ip netns exec "$NS_VF" python3 "$X" send 10.99.0.2 9001 2000000000 >/dev/null 2>&1 &
f1=$!
ip netns exec "$NS_VM" python3 "$X" send 10.99.0.1 9002 2000000000 >/dev/null 2>&1 &
f2=$!
PIDS+=($f1 $f2)
sleep 3
kill -9 "$VM_PID_vm1"
wait "$VM_PID_vm1" 2>/dev/null || true
kill "$f1" "$f2" 2>/dev/null || true
wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_UNINIT || fail "vm not seen gone"
wait_stat d relay_1.vf_to_vm.internal_state DPDK_ADDED || fail "vf not back to ADDED"
kill -0 "$DAEMON_PID_d" || fail "daemon died"

for dir in vf_to_vm vm_to_vf; do
	if [ $dir = vf_to_vm ]; then f=vf t=vm; else f=vm t=vf; fi
	read -r rx tx qf nc inv <<<"$(daemon_stats d relay_1.$dir.pkts_rx_from_$f \
		relay_1.$dir.pkts_tx_to_$t relay_1.$dir.pkts_dropped_${t}_queue_full \
		relay_1.$dir.pkts_dropped_${t}_not_connected relay_1.$dir.pkts_dropped_invalid)"
	log "$dir: rx=$rx tx=$tx queue_full=$qf not_connected=$nc invalid=$inv"
	[ "$rx" -eq $((tx + qf + nc + inv)) ] || fail "$dir does not add up"
	[ "$rx" -gt 1000 ] || fail "$dir: flood did not cross"
done
[ "$(daemon_stat d mempool.mbufs_in_use)" -le 1100 ] ||
	fail "mbufs still held with the VM gone (VF RX ring holds ~1024)"

start_vm vm2 "$WORK/sock/virtio-forwarder1.sock"
ip netns exec "$NS_VM" ip addr add 10.99.0.2/24 dev vm0
ip netns exec "$NS_VM" ip link set vm0 up
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready again"
wait_for 20 ping_ok "$NS_VF" 10.99.0.2 1 || fail "no traffic with the new VM"
stop_vm vm2
stop_daemon d
grep -q "mbufs not returned" "$WORK/d.log" && fail "mbuf leak reported"
log PASS

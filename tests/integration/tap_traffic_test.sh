#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Server mode: a tap "VF" in one netns, a testpmd virtio_user "VM" bridged to
# a tap in another; ping and TCP both ways; the relay's counters equal what
# the kernel counted on the VF tap; clean SIGTERM; single instance.
. "$(dirname "$0")/lib.sh"

make_netns
DAEMON_EAL="" start_daemon d -P net_tap0,iface=vf0=1
[ -S "$WORK/sock/virtio-forwarder0.sock" ] || fail "static socket 0 missing"
[ -S "$WORK/sock/virtio-forwarder31.sock" ] || fail "static socket 31 missing"
[ "$(daemon_stat d relay_1.vf_to_vm.internal_state)" = DPDK_ADDED ] || fail "not DPDK_ADDED"

# a second instance with the same pid path must refuse
if ip netns exec "$NS_VF" "$DAEMON" -C 1 -n -p "$WORK/d" -V "$WORK/sock2" -- --no-huge -m 64 \
	--file-prefix="${TAG}x" >"$WORK/second.log" 2>&1; then
	fail "second instance started"
fi
grep -q "another instance is running" "$WORK/second.log" || fail "no lock message"

start_vm vm "$WORK/sock/virtio-forwarder1.sock"
setup_ips
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_READY 1 || fail "virtio not ready"

ping_ok "$NS_VF" 10.99.0.2 10 || fail "ping VF side -> VM side"
ping_ok "$NS_VM" 10.99.0.1 10 || fail "ping VM side -> VF side"
tcp_check "$NS_VF" "$NS_VM" 10.99.0.2 4000000
tcp_check "$NS_VM" "$NS_VF" 10.99.0.1 4000000

# counters: what the VF tap sent entered the relay, what it received left it
sleep 1
vf_tx=$(ifstat "$NS_VF" vf0 tx_packets)
vf_rx=$(ifstat "$NS_VF" vf0 rx_packets)
read -r rx_from_vf tx_to_vm drop_a drop_b tx_to_vf rx_from_vm drop_c drop_d drop_e <<<"$(
	daemon_stats d relay_1.vf_to_vm.pkts_rx_from_vf relay_1.vf_to_vm.pkts_tx_to_vm \
		relay_1.vf_to_vm.pkts_dropped_vm_queue_full relay_1.vf_to_vm.pkts_dropped_vm_not_connected \
		relay_1.vm_to_vf.pkts_tx_to_vf relay_1.vm_to_vf.pkts_rx_from_vm \
		relay_1.vm_to_vf.pkts_dropped_vf_queue_full relay_1.vm_to_vf.pkts_dropped_vf_not_connected \
		relay_1.vm_to_vf.pkts_dropped_invalid)"
log "vf tap tx=$vf_tx rx=$vf_rx; relay vf_to_vm rx=$rx_from_vf tx=$tx_to_vm drops=$drop_a+$drop_b;" \
	"vm_to_vf rx=$rx_from_vm tx=$tx_to_vf drops=$drop_c+$drop_d+$drop_e"
[ "$rx_from_vf" -eq "$vf_tx" ] || fail "relay rx_from_vf $rx_from_vf != tap tx $vf_tx"
[ "$tx_to_vf" -eq "$vf_rx" ] || fail "relay tx_to_vf $tx_to_vf != tap rx $vf_rx"
[ "$rx_from_vf" -eq $((tx_to_vm + drop_a + drop_b)) ] || fail "vf_to_vm does not add up"
[ "$rx_from_vm" -eq $((tx_to_vf + drop_c + drop_d + drop_e)) ] || fail "vm_to_vf does not add up"
[ "$rx_from_vf" -gt 2000 ] || fail "too few packets counted"

# power-aware polling (the default): the idle worker sleeps, and the first
# frames after idling wake it from either side (tap RX interrupt, guest kick)
sleep 0.5
s0=$(daemon_stat d worker_1.sleeps)
[ "$s0" -gt 0 ] || fail "idle worker never slept"
# every echo must come back: a lost wake-up loses one
ping_ok "$NS_VF" 10.99.0.2 3 | grep -q " 3 packets received" || fail "ping VF -> VM after idling"
ping_ok "$NS_VM" 10.99.0.1 3 | grep -q " 3 packets received" || fail "ping VM -> VF after idling"
s1=$(daemon_stat d worker_1.sleeps)
[ "$s1" -gt "$s0" ] || fail "worker did not sleep between pings ($s0 -> $s1)"
log "worker slept $s0 times by the idle check, $s1 after the pings"

# the VM leaves: relay goes back to ADDED, the VM side mbufs return
stop_vm vm
wait_stat d relay_1.vf_to_vm.internal_state DPDK_ADDED || fail "not back to DPDK_ADDED"
wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_UNINIT || fail "not back to VIRTIO_UNINIT"

stop_daemon d
[ ! -e "$WORK/d/virtio-forwarder.pid" ] || fail "pid file left"
[ ! -e "$WORK/sock/virtio-forwarder1.sock" ] || fail "socket left"
grep -q "mbufs not returned" "$WORK/d.log" && fail "mbuf leak reported"
log PASS

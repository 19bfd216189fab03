#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Every virtio ring layout and driver path a DPDK guest can pick keeps
# forwarding both ways (issue 16): a virtio_user testpmd "VM" restarted with
# split and packed rings, mergeable buffers or not, in-order, vectorized,
# on one relay whose "VF" is a tap (daemon with --enable-mrgbuf so that
# mergeable buffers can be negotiated). Each layout: pings both ways, the
# counters grow in both directions; at the end the counters add up and
# every mbuf comes back.
. "$(dirname "$0")/lib.sh"

COMBOS=(
	"split_mrg:"
	"split_inorder:,mrg_rxbuf=0,in_order=1"
	"split_vectorized:,mrg_rxbuf=0,in_order=1,vectorized=1"
	"packed_mrg:,packed_vq=1"
	"packed_inorder:,packed_vq=1,mrg_rxbuf=0,in_order=1"
	"packed_vectorized:,packed_vq=1,mrg_rxbuf=0,in_order=1,vectorized=1"
)

make_netns
start_daemon d -R -P net_tap0,iface=vf0=1
for combo in "${COMBOS[@]}"; do
	name=${combo%%:*}
	VM_DEVARGS=${combo#*:} start_vm vm "$WORK/sock/virtio-forwarder1.sock"
	setup_ips
	ip netns exec "$NS_VF" ip neigh flush all
	wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_READY 30 || fail "$name: virtio not ready"
	read -r a0 b0 <<<"$(daemon_stats d relay_1.vf_to_vm.pkts_tx_to_vm relay_1.vm_to_vf.pkts_tx_to_vf)"
	ping_ok "$NS_VF" 10.99.0.2 3 >/dev/null || fail "$name: ping VF side -> VM side"
	ping_ok "$NS_VM" 10.99.0.1 3 >/dev/null || fail "$name: ping VM side -> VF side"
	read -r a1 b1 <<<"$(daemon_stats d relay_1.vf_to_vm.pkts_tx_to_vm relay_1.vm_to_vf.pkts_tx_to_vf)"
	[ "$a1" -ge $((a0 + 6)) ] && [ "$b1" -ge $((b0 + 6)) ] ||
		fail "$name: forwarded vf_to_vm $((a1 - a0)), vm_to_vf $((b1 - b0))"
	log "ok $name (devargs '${combo#*:}'): vf_to_vm +$((a1 - a0)), vm_to_vf +$((b1 - b0))"
	stop_vm vm
	wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_UNINIT 20 || fail "$name: VM not gone"
done

read -r rx tx qf nc big rx2 tx2 qf2 nc2 inv2 big2 bad2 <<<"$(daemon_stats d \
	relay_1.vf_to_vm.pkts_rx_from_vf relay_1.vf_to_vm.pkts_tx_to_vm \
	relay_1.vf_to_vm.pkts_dropped_vm_queue_full relay_1.vf_to_vm.pkts_dropped_vm_not_connected \
	relay_1.vf_to_vm.pkts_dropped_too_big \
	relay_1.vm_to_vf.pkts_rx_from_vm relay_1.vm_to_vf.pkts_tx_to_vf \
	relay_1.vm_to_vf.pkts_dropped_vf_queue_full relay_1.vm_to_vf.pkts_dropped_vf_not_connected \
	relay_1.vm_to_vf.pkts_dropped_invalid relay_1.vm_to_vf.pkts_dropped_too_big \
	relay_1.vm_to_vf.pkts_dropped_bad_chain)"
log "vf_to_vm rx $rx tx $tx drops $qf+$nc+$big; vm_to_vf rx $rx2 tx $tx2 drops $qf2+$nc2+$inv2+$big2+$bad2"
[ "$rx" -eq $((tx + qf + nc + big)) ] || fail "vf_to_vm does not add up"
[ "$rx2" -eq $((tx2 + qf2 + nc2 + inv2 + big2 + bad2)) ] || fail "vm_to_vf does not add up"
stop_daemon d
grep -q "mbufs not returned" "$WORK/d.log" && fail "mbuf leak reported"
log PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Every virtio ring layout and driver path a DPDK guest can pick keeps
# forwarding both ways (issue 16): a virtio_user testpmd "VM" restarted with
# split and packed rings, mergeable buffers or not, in-order, vectorized,
# on one relay whose "VF" is a tap (daemon with --enable-mrgbuf so that
# mergeable buffers can be negotiated). Each layout: pings both ways, the
# counters grow in both directions; at the end the counters add up and
# every mbuf comes back. Each layout must also get the driver path it
# names: the virtio PMD says which Rx/Tx functions it picked at start
# (pmd.net.virtio.init at info). Packed-ring vectorized paths exist only
# with AVX512F/BW/VL and a 512-bit SIMD limit (EAL
# --force-max-simd-bitwidth=512); a CPU without them gets the standard
# packed paths, and the test expects those there.
. "$(dirname "$0")/lib.sh"

avx512=standard
grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo &&
	avx512=vectorized
# name:devargs:Rx path:Tx path (the PMD's words, "packed ring " left out).
# virtio_user's in_order defaults to 1, and in-order split rings take the
# in-order paths whatever else is set: the mergeable and vectorized split
# paths need in_order=0; the packed vectorized ones need in-order.
COMBOS=(
	"split_mrg:,in_order=0:mergeable buffer:standard"
	"split_standard:,mrg_rxbuf=0,in_order=0:standard:standard"
	"split_inorder_mrg::inorder:inorder"
	"split_inorder:,mrg_rxbuf=0,in_order=1:inorder:inorder"
	"split_vectorized:,mrg_rxbuf=0,in_order=0,vectorized=1:vectorized:standard"
	"packed_mrg:,packed_vq=1:mergeable buffer:standard"
	"packed_inorder:,packed_vq=1,mrg_rxbuf=0,in_order=1:standard:standard"
	"packed_vectorized:,packed_vq=1,mrg_rxbuf=0,in_order=1,vectorized=1:$avx512:$avx512"
)
export VM_EAL="--log-level=pmd.net.virtio.init:info --force-max-simd-bitwidth=512"

make_netns
start_daemon d -R -P net_tap0,iface=vf0=1
for combo in "${COMBOS[@]}"; do
	IFS=: read -r name devargs rx_path tx_path <<<"$combo"
	ring=
	[[ $name == packed* ]] && ring="packed ring "
	from=$(($(wc -l <"$WORK/vm.log" 2>/dev/null || echo 0) + 1))
	VM_DEVARGS=$devargs start_vm vm "$WORK/sock/virtio-forwarder1.sock"
	setup_ips
	ip netns exec "$NS_VF" ip neigh flush all
	wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_READY 30 || fail "$name: virtio not ready"
	read -r a0 b0 <<<"$(daemon_stats d relay_1.vf_to_vm.pkts_tx_to_vm relay_1.vm_to_vf.pkts_tx_to_vf)"
	ping_ok "$NS_VF" 10.99.0.2 3 >/dev/null || fail "$name: ping VF side -> VM side"
	ping_ok "$NS_VM" 10.99.0.1 3 >/dev/null || fail "$name: ping VM side -> VF side"
	read -r a1 b1 <<<"$(daemon_stats d relay_1.vf_to_vm.pkts_tx_to_vm relay_1.vm_to_vf.pkts_tx_to_vf)"
	[ "$a1" -ge $((a0 + 6)) ] && [ "$b1" -ge $((b0 + 6)) ] ||
		fail "$name: forwarded vf_to_vm $((a1 - a0)), vm_to_vf $((b1 - b0))"
	paths=$(tail -n +"$from" "$WORK/vm.log" | grep "virtio: using")
	grep -q "using ${ring}$rx_path Rx path" <<<"$paths" && grep -q "using ${ring}$tx_path Tx path" <<<"$paths" ||
		fail "$name: the guest driver did not take the ${ring}$rx_path Rx / $tx_path Tx paths: $paths"
	log "ok $name (devargs '$devargs', ${ring}$rx_path Rx, $tx_path Tx): vf_to_vm +$((a1 - a0))," \
		"vm_to_vf +$((b1 - b0))"
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

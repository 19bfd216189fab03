#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A real Linux guest (Debian kernel, virtio_net driver, default offloads:
# partial checksums) on relay 1's socket under QEMU/TCG, the VF a tap in a
# netns: the guest pings the netns, sends it TCP, and serves it a file over
# HTTP; digests must match on both ends and the relay's counters add up.
#   guest_test.sh server   daemon is the vhost-user server (QEMU client)
#   guest_test.sh client   daemon is the client (--vhostuser-client)
#   guest_test.sh pcap     server, and the VF is net_pcap on a veth: a VF
#                          without checksum offload, so the relay completes
#                          the guest's partial checksums in software
#   guest_test.sh jumbo    pcap, --enable-jumbo, MTU 9000 on both sides
#                          (net_pcap: 22.11's net_tap takes 1504 at most):
#                          8000-byte pings both ways and the TCP transfers;
#                          a frame over the MTU is dropped as too big
#   guest_test.sh jumbo_mrg  the same with --enable-mrgbuf
#   guest_test.sh tso      server, --enable-tso, tap VF: the guest's TSO
#                          frames are cut in software (librte_gso), so the
#                          relay sends the VF more frames than it took
#   guest_test.sh tso_pcap --enable-tso through net_pcap on a veth (no
#                          checksum offload either)
#   guest_test.sh mq       server, a guest of 2 vCPUs and 2 queue pairs
#   guest_test.sh iommu    server, --vhost-iommu, a q35 guest with an
#                          intel-iommu and its NIC iommu_platform=on (guest
#                          iommu=pt): librte_vhost translates every guest
#                          address through IOTLB entries QEMU sends it
. "$(dirname "$0")/../integration/lib.sh"
MODE=${1:-server}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$BUILD/vm-cache
BYTES=2000000
PORT=7000
"$HERE/build-guest.sh" "$CACHE"

make_netns
mkdir -p "$WORK/sock"
SOCK=$WORK/sock/virtio-forwarder1.sock
ip netns exec "$NS_VF" python3 "$HERE/../integration/tcp_xfer.py" sink $PORT >"$WORK/sink.out" 2>&1 &
PIDS+=($!)

GUEST_ENV=()
DFLAGS=()
case "$MODE" in
jumbo) DFLAGS=(-J); GUEST_ENV=(MTU=9000 APPEND_EXTRA=vmt_size=8000) ;;
jumbo_mrg) DFLAGS=(-J -R); GUEST_ENV=(MTU=9000 APPEND_EXTRA=vmt_size=8000) ;;
tso | tso_pcap) DFLAGS=(-T) ;;
mq) GUEST_ENV=(SMP=2 QUEUES=2 APPEND_EXTRA=vmt_toggle=1) ;;
iommu) DFLAGS=(--vhost-iommu); GUEST_ENV=(VIOMMU=1) ;;
esac
start_guest() {
	local qmode=$1
	env "${GUEST_ENV[@]}" timeout -k 5 240 "$HERE/run-guest.sh" "$CACHE" "$SOCK" "$qmode" 10.99.0.2/24 10.99.0.1 \
		$BYTES $PORT 5 >"$WORK/guest.log" 2>&1 &
	PIDS+=($!)
	GUEST_PID=$!
}

VF_IF=vf0
if [ "$MODE" = server ] || [ "$MODE" = tso ] || [ "$MODE" = mq ] || [ "$MODE" = iommu ]; then
	start_daemon d "${DFLAGS[@]}" -P net_tap0,iface=vf0=1
	start_guest client
elif [ "$MODE" = pcap ] || [ "$MODE" = tso_pcap ] || [ "$MODE" = jumbo ] ||
	[ "$MODE" = jumbo_mrg ]; then
	ip netns exec "$NS_VF" ip link add vf0 type veth peer name vfpeer
	ip netns exec "$NS_VF" ip link set vf0 up
	# the netns stack must send complete checksums and MTU-sized frames:
	# pcap on a veth sees frames before any offload would complete them
	ip netns exec "$NS_VF" ethtool -K vfpeer tx off tso off gso off >/dev/null
	VF_IF=vfpeer
	start_daemon d "${DFLAGS[@]}" -P net_pcap0,iface=vf0=1
	start_guest client
else
	start_guest server
	wait_for 30 test -S "$SOCK" || fail "QEMU did not create its socket"
	start_daemon d -i -P net_tap0,iface=vf0=1
fi
ip netns exec "$NS_VF" ip addr add 10.99.0.1/24 dev $VF_IF
case "$MODE" in jumbo*)
	ip netns exec "$NS_VF" ip link set vf0 mtu 9000
	ip netns exec "$NS_VF" ip link set $VF_IF mtu 9000 ;;
esac
ip netns exec "$NS_VF" ip link set $VF_IF up

if [ "$MODE" = pcap ] || [ "$MODE" = tso_pcap ]; then
	capa=$(sed -n 's/.*vf net_pcap0,iface=vf0 attached as port [0-9]* (.*tx offloads \(0x[0-9a-f]*\)).*/\1/p' "$WORK/d.log")
	[ -n "$capa" ] && [ $((capa & 0x8)) -eq 0 ] ||
		fail "pcap VF should offer no TCP checksum offload ($capa): software path not exercised"
fi
wait_for 120 grep -q "VMT SENT\|VMT RESULT" "$WORK/guest.log" || fail "guest did not send"
grep -q "VMT PING_OK" "$WORK/guest.log" || fail "guest ping failed"
grep "VMT " "$WORK/guest.log"
want=$(sed -n 's/.*VMT FILE \([0-9a-f]*\).*/\1/p' "$WORK/guest.log")
wait "${PIDS[0]}" || fail "tcp sink"
got=$(cut -d' ' -f2 "$WORK/sink.out")
[ -n "$want" ] && [ "$want" = "$got" ] || fail "guest -> netns TCP digest: guest $want, netns $got"
log "guest -> netns: $BYTES bytes of TCP, digest ok"

got=$(ip netns exec "$NS_VF" busybox wget -q -O - http://10.99.0.2/big | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "netns -> guest HTTP digest: guest $want, netns $got"
log "netns -> guest: $BYTES bytes over HTTP, digest ok"

mask_is() { [ "$(daemon_stat d relay_1.guest_rxq_enabled)" = "$1" ]; }
case "$MODE" in
mq)
	# the guest's ethtool -L: the relay follows its enabled RX queues
	wait_for 60 grep -q "VMT QUEUES 1" "$WORK/guest.log" || fail "guest did not go to 1 queue"
	wait_for 5 mask_is 0x1 || fail "relay did not see RX queue 1 disabled"
	ping_ok "$NS_VF" 10.99.0.2 3 >/dev/null || fail "ping with one guest queue"
	wait_for 30 grep -q "VMT QUEUES 2" "$WORK/guest.log" || fail "guest did not go back to 2"
	wait_for 5 mask_is 0x3 || fail "relay did not see RX queue 1 enabled again"
	ping_ok "$NS_VF" 10.99.0.2 3 >/dev/null || fail "ping with two guest queues"
	log "guest queues 2 -> 1 -> 2 (ethtool -L): followed, traffic through each"
	;;
jumbo*)
	ip netns exec "$NS_VF" busybox ping -c 3 -s 8000 10.99.0.2 >"$WORK/bigping.out" 2>&1 ||
		{ cat "$WORK/bigping.out"; fail "8000-byte ping VF side -> guest"; }
	log "8000-byte pings both ways: ok"
	# a frame over the relay's MTU (the VF side's MTU raised past it)
	ip netns exec "$NS_VF" ip link set vf0 mtu 9500
	ip netns exec "$NS_VF" ip link set $VF_IF mtu 9500
	ip netns exec "$NS_VF" busybox ping -c 2 -W 1 -s 9300 10.99.0.2 >/dev/null 2>&1 || true
	ip netns exec "$NS_VF" ip link set $VF_IF mtu 9000
	big=$(daemon_stat d relay_1.vf_to_vm.pkts_dropped_too_big)
	log "frames over the MTU dropped as too big: $big"
	[ "$big" -ge 2 ] || fail "oversized frames not counted as too big"
	;;
esac
wait "$GUEST_PID" || true
grep -q "VMT RESULT PASS" "$WORK/guest.log" || fail "guest did not pass"
wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_UNINIT 30 || fail "vm not gone after poweroff"
read -r rx tx inv full nc big nomb segd segs <<<"$(daemon_stats d relay_1.vm_to_vf.pkts_rx_from_vm \
	relay_1.vm_to_vf.pkts_tx_to_vf relay_1.vm_to_vf.pkts_dropped_invalid \
	relay_1.vm_to_vf.pkts_dropped_vf_queue_full relay_1.vm_to_vf.pkts_dropped_vf_not_connected \
	relay_1.vm_to_vf.pkts_dropped_too_big relay_1.vm_to_vf.pkts_dropped_no_mbuf \
	relay_1.vm_to_vf.pkts_segmented relay_1.vm_to_vf.pkts_segments)"
log "vm_to_vf: rx=$rx tx=$tx invalid=$inv full=$full nc=$nc too_big=$big no_mbuf=$nomb" \
	"segmented=$segd into $segs"
# the guest's 2 MB went through this relay: counted in bytes, since with TSO
# the guest hands over frames of up to 64 KB (CI saw 169 frames for 2 MB)
rxb=$(daemon_stat d relay_1.vm_to_vf.bytes_rx_from_vm)
[ "$rxb" -ge 2000000 ] && [ "$inv" -eq 0 ] || fail "vm_to_vf counters (bytes_rx_from_vm=$rxb)"
[ $((rx - segd + segs)) -eq $((tx + full + nc + big + nomb)) ] || fail "vm_to_vf does not add up"
case "$MODE" in iommu)
	read -r frx ftx fqf fnc fbig fiotlb <<<"$(daemon_stats d relay_1.vf_to_vm.pkts_rx_from_vf \
		relay_1.vf_to_vm.pkts_tx_to_vm relay_1.vf_to_vm.pkts_dropped_vm_queue_full \
		relay_1.vf_to_vm.pkts_dropped_vm_not_connected relay_1.vf_to_vm.pkts_dropped_too_big \
		relay_1.vf_to_vm.pkts_dropped_iotlb_miss)"
	log "vf_to_vm: rx=$frx tx=$ftx queue_full=$fqf nc=$fnc too_big=$fbig iotlb_miss=$fiotlb"
	[ "$frx" -eq $((ftx + fqf + fnc + fbig + fiotlb)) ] || fail "vf_to_vm does not add up"
	# the guest's virtio feature bits (bit 0 first): 33 is IOMMU_PLATFORM
	feats=$(sed -n 's/.*VMT NET_UP features=\([01]*\).*/\1/p' "$WORK/guest.log")
	[ "${feats:33:1}" = 1 ] || fail "guest did not negotiate VIRTIO_F_IOMMU_PLATFORM ($feats)"
	log "guest negotiated VIRTIO_F_IOMMU_PLATFORM" ;;
esac
case "$MODE" in tso*)
	[ "$segd" -gt 0 ] && [ "$tx" -gt "$rx" ] ||
		fail "no software TSO: sent $tx frames for $rx from the guest"
	log "TSO: $segd guest frames cut into $segs; the VF got $tx frames for $rx" ;;
esac
stop_daemon d
log PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Multiqueue with a virtio_user "VM" of 4 queue pairs (testpmd, interactive,
# rxonly) and a tap VF in a netns sending 64 UDP flows:
#  1. --vf-queues 1: the VF has one queue, so the relay spreads the flows
#     over the guest's RX queues by flow hash: at least 3 of 4 busy, every
#     packet of one flow on one queue; the VM leaves and the relay stops. (Run-time queue disabling is not driven here: DPDK's
#     virtio_user sends no vring disable on a port reconfiguration.)
#  2. default: the tap VF gets 4 queues (a multi-queue tun: the kernel picks
#     a queue per flow), the units run on two workers sharing CPU 1
#     (--lcores), both workers move packets and every counter adds up.
. "$(dirname "$0")/lib.sh"

make_netns
ip netns exec "$NS_VF" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 # no stray frames
SOCK=$WORK/sock/virtio-forwarder1.sock

# start_mq_vm NAME: testpmd on SOCK, 4 queue pairs, commands from a fifo
start_mq_vm() {
	local name=$1
	mkfifo "$WORK/$name.cmd"
	sleep 600 >"$WORK/$name.cmd" &
	PIDS+=($!)
	ip netns exec "$NS_VM" stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 1 \
		--file-prefix="${TAG}$name" --no-huge -m 256 --no-pci \
		--vdev "net_virtio_user0,path=$SOCK,queues=4" -- -i --rxq=4 --txq=4 \
		--forward-mode=rxonly --total-num-mbufs=8192 \
		<"$WORK/$name.cmd" >>"$WORK/$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	eval "VM_PID_$name=$pid"
	wait_for 20 grep -q "testpmd>" "$WORK/$name.log" || fail "vm $name did not start"
	vm_cmd "$name" start
	# forwarding (polling its RX queues) before any traffic is sent
	wait_for 20 grep -q "packet forwarding - ports=" "$WORK/$name.log" ||
		fail "vm $name did not start forwarding"
}
vm_cmd() { echo "$2" >"$WORK/$1.cmd"; }
# vm_queues NAME: "q0 q1 q2 q3" packets the guest received per RX queue
vm_queues() {
	local n before
	before=$(grep -c "rx_q3_good_packets:" "$WORK/$1.log" || true)
	vm_cmd "$1" "show port xstats 0"
	wait_for 5 xstats_more_than "$1" "$before" || fail "no xstats from vm $1"
	for q in 0 1 2 3; do
		n=$(grep "rx_q${q}_good_packets:" "$WORK/$1.log" | tail -1 | grep -o '[0-9]*$')
		printf '%s ' "${n:-0}"
	done
	echo
}
xstats_more_than() { [ "$(grep -c rx_q3_good_packets: "$WORK/$1.log")" -gt "$2" ]; }

# send FLOWS PER_FLOW [PORT0]: UDP flows from the VF's netns to the VM side
send() {
	ip netns exec "$NS_VF" python3 -c '
import socket, sys
flows, per, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for f in range(flows):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.99.0.1", base + f))
    for _ in range(per):
        s.sendto(b"x" * 64, ("10.99.0.2", 9))
    s.close()' "$1" "$2" "${3:-20000}"
}
setup_vf() {
	ip netns exec "$NS_VF" ip addr add 10.99.0.1/24 dev vf0
	ip netns exec "$NS_VF" ip link set vf0 up
	# rxonly answers no ARP
	ip netns exec "$NS_VF" ip neigh replace 10.99.0.2 lladdr 52:54:00:99:00:02 dev vf0
}
sub() { # sub "A B C D" "E F G H": per-queue differences
	local -a a b
	read -ra a <<<"$1"
	read -ra b <<<"$2"
	echo "$((b[0] - a[0])) $((b[1] - a[1])) $((b[2] - a[2])) $((b[3] - a[3]))"
}
busy_queues() { local n=0 v; for v in $1; do [ "$v" -gt 0 ] && n=$((n + 1)); done; echo $n; }

log "part 1: one VF queue, flows spread by hash"
start_daemon d --vf-queues 1 -P net_tap0,iface=vf0=1
start_mq_vm vm
setup_vf
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
[ "$(last_stat d relay_1.guest_queue_pairs)" = 4 ] || fail "guest queue pairs not 4"
[ "$(last_stat d relay_1.vf_queues)" = 1 ] || fail "vf queues not 1 (--vf-queues 1)"
q0=$(vm_queues vm)
send 64 20
q1=$(vm_queues vm)
d=$(sub "$q0" "$q1")
log "64 flows x 20: per guest RX queue $d"
[ "$(busy_queues "$d")" -ge 3 ] || fail "fewer than 3 of 4 queues busy: $d"
read -ra dd <<<"$d"
[ $((dd[0] + dd[1] + dd[2] + dd[3])) -eq 1280 ] || fail "guest received $d, not 1280"
for f in 0 1 2; do # one flow, one queue
	a=$(vm_queues vm)
	send 1 200 $((30000 + f))
	b=$(vm_queues vm)
	d=$(sub "$a" "$b")
	[ "$(busy_queues "$d")" -eq 1 ] && grep -qw 200 <<<"$d" || fail "flow $f spread: $d"
done
log "single flows: each on one queue"

read -r rx tx full nc big <<<"$(daemon_stats d relay_1.vf_to_vm.pkts_rx_from_vf \
	relay_1.vf_to_vm.pkts_tx_to_vm relay_1.vf_to_vm.pkts_dropped_vm_queue_full \
	relay_1.vf_to_vm.pkts_dropped_vm_not_connected relay_1.vf_to_vm.pkts_dropped_too_big)"
log "vf_to_vm rx=$rx tx=$tx full=$full nc=$nc too_big=$big"
[ "$rx" -eq $((tx + full + nc + big)) ] || fail "vf_to_vm does not add up"

# the VM goes away: the relay is back to DPDK_ADDED (VF stopped)
vm_cmd vm "quit"
stop_vm vm
wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_UNINIT || fail "vm not gone"
wait_stat d relay_1.vf_to_vm.internal_state DPDK_ADDED || fail "relay not back to DPDK_ADDED"
stop_daemon d
grep -q "mbufs not returned" "$WORK/d.log" && fail "mbuf leak reported"

log "part 2: a 4-queue tap VF, units on two workers"
DAEMON_ARGS="-C 1,2" DAEMON_EAL="--no-huge -m 256 --lcores 0@0,1@1,2@1" start_daemon d2 \
	-P net_tap0,iface=vf0=1
start_mq_vm vm2
setup_vf
wait_stat d2 relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
[ "$(last_stat d2 relay_1.vf_queues)" = 4 ] || fail "tap VF did not get 4 queues"
cpus=$(grep "stats relay_1.vf_to_vm.queue_[0-3].cpu=" "$WORK/d2.log" | tail -4 | sed 's/.*=//' | sort -u | xargs)
log "vf_to_vm units on cpus: $cpus"
[ "$cpus" = "1 2" ] || fail "vf_to_vm units not spread over workers 1 and 2: $cpus"
send 64 20
d=$(vm_queues vm2)
log "4 VF queues: guest RX queues $d"
read -r w1 w2 rx tx full nc big <<<"$(daemon_stats d2 worker_1.packets worker_2.packets \
	relay_1.vf_to_vm.pkts_rx_from_vf relay_1.vf_to_vm.pkts_tx_to_vm \
	relay_1.vf_to_vm.pkts_dropped_vm_queue_full relay_1.vf_to_vm.pkts_dropped_vm_not_connected \
	relay_1.vf_to_vm.pkts_dropped_too_big)"
qsum=0
for q in 0 1 2 3; do
	v=$(last_stat d2 "relay_1.vf_to_vm.queue_$q.pkts")
	qsum=$((qsum + v))
done
log "workers moved $w1 / $w2; vf_to_vm rx=$rx (units: $qsum) tx=$tx drops=$full+$nc+$big"
[ "$w1" -gt 0 ] && [ "$w2" -gt 0 ] || fail "a worker moved nothing"
[ "$rx" -eq "$qsum" ] || fail "per-queue counts do not add up to the direction's"
[ "$rx" -eq $((tx + full + nc + big)) ] || fail "vf_to_vm does not add up"
[ "$tx" -ge 1280 ] || fail "guest got $tx of 1280"
vm_cmd vm2 "quit"
stop_vm vm2
stop_daemon d2
grep -q "mbufs not returned" "$WORK/d2.log" && fail "mbuf leak reported"
log PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# An active-backup bond (mode 1) of two tap VFs, vf0 and vf1, bridged (br0,
# 10.99.0.1) in the VF netns; the "VM" (testpmd virtio_user bridged to vm0)
# sends a UDP probe every 10 ms to an echo on br0. The member carrying the
# traffic goes down (`ip link set vf0 down`): the echoes resume through the
# other; vf0 comes back, vf1 goes down: they resume through vf0. Prints the
# longest silence around each failover (timing is not asserted tightly:
# 2 shared CPUs; it must resume within a few seconds).
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

make_netns
CL=$BUILD/clients
mkdir -p "$WORK/ep"
PC=ipc://$WORK/ep/port_control
ST=ipc://$WORK/ep/stats
st() { "$CL/stats" --stats-ep "$ST" --delay 0 "$@"; }
now() { date +%s.%N; }

start_daemon d --zmq-port-control-ep="$PC" --zmq-stats-ep="$ST"
"$CL/port_control" --zmq_ep "$PC" add --virtio-id 1 --device net_tap0,iface=vf0 \
	--device net_tap1,iface=vf1 --name net_bonding0 --mode 1 || fail "bond not added"
start_vm vm "$WORK/sock/virtio-forwarder1.sock"
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
ip netns exec "$NS_VF" ip link add br0 type bridge
for m in vf0 vf1; do ip netns exec "$NS_VF" ip link set "$m" master br0; done
ip netns exec "$NS_VF" ip addr add 10.99.0.1/24 dev br0
ip netns exec "$NS_VF" ip link set br0 up
ip netns exec "$NS_VM" ip addr add 10.99.0.2/24 dev vm0
ip netns exec "$NS_VM" ip link set vm0 up
wait_for 10 ping_ok "$NS_VM" 10.99.0.1 1 || fail "no ping through the bond"
grep -q "^relay_1.vf.link=up$" <<<"$(st)" || fail "bond link not up in stats"

ip netns exec "$NS_VF" python3 "$HERE/udp_probe.py" echo 7777 &
PIDS+=($!)
ip netns exec "$NS_VM" python3 "$HERE/udp_probe.py" probe 10.99.0.1 7777 11 >"$WORK/echoes" &
probe=$!
PIDS+=("$probe")
sleep 2
t1=$(now)
log "vf0 down"
ip netns exec "$NS_VF" ip link set vf0 down
sleep 3
log "vf0 up"
ip netns exec "$NS_VF" ip link set vf0 up
sleep 1.5
t2=$(now)
log "vf1 down"
ip netns exec "$NS_VF" ip link set vf1 down
wait "$probe" || fail "probe failed"

# silence T: the longest gap between echoes from T-0.2 s to T+3 s, and
# whether echoes came in the last second of that window (resumed)
silence() {
	awk -v t="$1" '$1 >= t - 0.2 && $1 <= t + 3 {
			if (prev != "" && $1 - prev > gap) gap = $1 - prev
			prev = $1
			if ($1 > t + 2) late++
		}
		END { printf "%.3f %d\n", gap, late }' "$WORK/echoes"
}
read -r gap1 late1 <<<"$(silence "$t1")"
read -r gap2 late2 <<<"$(silence "$t2")"
log "echoes: $(wc -l <"$WORK/echoes"); failover vf0 -> vf1: ${gap1}s without echoes;" \
	"vf1 -> vf0: ${gap2}s"
[ "$late1" -gt 10 ] || fail "no traffic through vf1 after vf0 went down"
[ "$late2" -gt 10 ] || fail "no traffic through vf0 after vf1 went down"
[ "$(grep -c "carries the traffic" "$WORK/d.log")" -ge 2 ] || fail "failovers not logged"
grep "carries the traffic" "$WORK/d.log"

stop_vm vm
stop_daemon d
grep -q "mbufs not returned" "$WORK/d.log" && fail "mbuf leak reported"
log PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copy amplification (issue 16 item 5): a guest posts TX chains of 128
# descriptors of 64 KB that all alias one buffer, 8 MB claimed per frame.
# librte_vhost must drop them before copying (the daemon requires a linear
# buffer, at most ~64 KB) instead of copying 8 MB on the worker its
# neighbours share. Relay 0: the hostile guest (vhost_frontend.py), its "VF"
# an idle tap; relay 1: the neighbour, a tap "VF" and a testpmd virtio_user
# "VM" bridged to a tap, both relays on one worker. The neighbour's UDP round
# trip is measured with and without the hostile guest and printed (no
# timing is asserted); the chains must be counted as vm_to_vf
# pkts_dropped_bad_chain and in rx, relay 1 must keep forwarding, the daemon
# must live and every mbuf come back.
. "$(dirname "$0")/lib.sh"
FE_PY=$(dirname "$0")/vhost_frontend.py
CHAINS=${CHAINS:-8000}

make_netns
# as the issue found it: TSO on (big mbufs, ~900 of them hold a chain)
start_daemon d --enable-tso -P net_tap0,iface=vf0=1 -P net_tap1,iface=vf9=0
ip netns exec "$NS_VF" ip link set vf9 up
start_vm vm "$WORK/sock/virtio-forwarder1.sock"
setup_ips
wait_stat d relay_1.vm_to_vf.internal_state VIRTIO_READY 30 || fail "neighbour not ready"
ip netns exec "$NS_VM" python3 "$(dirname "$0")/udp_probe.py" echo 7777 &
PIDS+=($!)

# the hostile guest's front-end, driven over fifos
mkfifo "$WORK/fe.in" "$WORK/fe.out"
python3 "$FE_PY" "$WORK/sock/virtio-forwarder0.sock" <"$WORK/fe.in" >"$WORK/fe.out" 2>"$WORK/fe.log" &
PIDS+=($!)
exec {FE_W}>"$WORK/fe.in" {FE_R}<"$WORK/fe.out"
fe() {
	echo "$*" >&"$FE_W"
	read -r -t 10 -u "$FE_R" REPLY || fail "front-end: no reply to '$*'"
	[[ $REPLY == ok* ]] || fail "front-end: '$*': $REPLY"
	REPLY=${REPLY#ok}
	REPLY=${REPLY# }
}
fe connect
wait_stat d relay_0.vm_to_vf.internal_state VIRTIO_READY || fail "hostile guest not ready"

# rtt SECONDS: the neighbour's UDP round trips (one in flight, every 2 ms);
# prints "MEDIAN_US P90_US SENT ANSWERED"
rtt() {
	ip netns exec "$NS_VF" python3 - "$1" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.99.0.2", 7777))
s.settimeout(0.5)
end, sent, rtts = time.time() + float(sys.argv[1]), 0, []
while time.time() < end:
    t0 = time.perf_counter()
    s.send(sent.to_bytes(4, "big"))
    sent += 1
    try:
        while int.from_bytes(s.recv(64)[:4], "big") != sent - 1:
            pass
        rtts.append((time.perf_counter() - t0) * 1e6)
    except socket.timeout:
        pass
    time.sleep(0.002)
rtts.sort()
q = lambda f: rtts[min(len(rtts) - 1, int(f * len(rtts)))] if rtts else -1
print("%d %d %d %d" % (q(0.5), q(0.9), sent, len(rtts)))
EOF
}
rtt 1 >/dev/null # ARP, warm-up
read -r quiet_med quiet_p90 quiet_sent quiet_ans <<<"$(rtt 4)"
log "neighbour round trip, quiet: median ${quiet_med} us, p90 ${quiet_p90} us ($quiet_ans of $quiet_sent)"
[ "$quiet_ans" -gt 0 ] || fail "neighbour does not forward"

rx0=$(daemon_stat d relay_0.vm_to_vf.pkts_rx_from_vm)
fe hostile_chains "$CHAINS"
read -r hostile_med hostile_p90 hostile_sent hostile_ans <<<"$(rtt 4)"
fe hostile_state
log "hostile guest: $REPLY (posted completed active) during the measurement"
log "neighbour round trip, hostile guest posting 8 MB chains: median ${hostile_med} us," \
	"p90 ${hostile_p90} us ($hostile_ans of $hostile_sent)"
[ "$hostile_ans" -gt 0 ] || fail "neighbour stopped forwarding under the hostile guest"

# every chain comes back (consumed), then the counters
hostile_done() { fe hostile_state; [ "${REPLY##* }" = 0 ]; }
wait_for 40 hostile_done || fail "hostile chains not all consumed: $REPLY"
fe hostile_state
read -r posted completed _ <<<"$REPLY"
[ "$posted" -eq "$CHAINS" ] && [ "$completed" -eq "$CHAINS" ] || fail "posted/completed $REPLY"
read -r rx tx bad big qf nc inv <<<"$(daemon_stats d relay_0.vm_to_vf.pkts_rx_from_vm \
	relay_0.vm_to_vf.pkts_tx_to_vf relay_0.vm_to_vf.pkts_dropped_bad_chain \
	relay_0.vm_to_vf.pkts_dropped_too_big relay_0.vm_to_vf.pkts_dropped_vf_queue_full \
	relay_0.vm_to_vf.pkts_dropped_vf_not_connected relay_0.vm_to_vf.pkts_dropped_invalid)"
log "relay 0 vm_to_vf: rx $rx tx $tx bad_chain $bad too_big $big queue_full $qf not_connected $nc invalid $inv"
[ "$bad" -eq "$CHAINS" ] || fail "bad_chain $bad, expected $CHAINS"
[ $((rx - rx0)) -eq "$CHAINS" ] || fail "rx grew by $((rx - rx0)), expected $CHAINS"
[ "$rx" -eq $((tx + bad + big + qf + nc + inv)) ] || fail "relay 0 vm_to_vf does not add up"

# the hostile guest's ring works again with ordinary frames
fe send 10
fe_txdone() { fe tx; echo "${REPLY%% *}"; }
is_at_least() { [ "$("${@:2}")" -ge "$1" ]; }
wait_for 10 is_at_least $((CHAINS + 10)) fe_txdone || fail "ordinary frames after the chains not taken"
read -r after_med after_p90 after_sent after_ans <<<"$(rtt 2)"
log "neighbour round trip after: median ${after_med} us, p90 ${after_p90} us ($after_ans of $after_sent)"
[ "$after_ans" -gt 0 ] || fail "neighbour does not forward after"

fe quit
kill -0 "$DAEMON_PID_d" || fail "daemon died"
stop_vm vm
stop_daemon d
grep -q "mbufs not returned" "$WORK/d.log" && fail "mbuf leak reported"
echo "FIGURES hostile_copy: neighbour median/p90 round trip quiet ${quiet_med}/${quiet_p90} us," \
	"hostile ${hostile_med}/${hostile_p90} us, after ${after_med}/${after_p90} us"
log PASS

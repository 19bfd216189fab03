#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A VF's link in stats: a tap VF whose interface goes down and up again in
# its netns (`ip link set vf0 down/up`): flat stats (relay_1.vf.link,
# link_speed), JSON, the SIGUSR1 dump and the exporter's metrics follow it; frames the relay sends
# while it is down fail on the tap and show as the VF's own tx_errors
# (rte_eth_stats_get), and traffic resumes once it is up. (net_tap updates
# its link from netlink but raises no LSC event: the daemon's link watch
# reads it.)
. "$(dirname "$0")/lib.sh"

make_netns
CL=$BUILD/clients
mkdir -p "$WORK/ep"
ST=ipc://$WORK/ep/stats
st() { "$CL/stats" --stats-ep "$ST" --delay 0 "$@"; }
# flat_stat KEY: KEY's value from the stats client
flat_stat() { st | sed -n "s/^$1=//p"; }
# wait_flat KEY VALUE SECS: until the stats client shows KEY=VALUE;
# prints the seconds it took
wait_flat() {
	local t0 now
	t0=$(date +%s.%N)
	while :; do
		[ "$(flat_stat "$1")" = "$2" ] && break
		now=$(date +%s.%N)
		if awk -v a="$t0" -v b="$now" -v s="$3" 'BEGIN { exit !(b - a > s) }'; then
			log "$1=$(flat_stat "$1"), expected $2"
			return 1
		fi
		sleep 0.05
	done
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }'
}

start_daemon d -P net_tap0,iface=vf0=1 --zmq-stats-ep="$ST"
EXP_PORT=$((19000 + RANDOM % 1000))
"$CL/vfwd-exporter" --listen 127.0.0.1:$EXP_PORT --stats-ep "$ST" >"$WORK/exporter.log" 2>&1 &
PIDS+=($!)
metrics() {
	python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
		"http://127.0.0.1:$EXP_PORT/metrics"
}
# metric LINE: the exporter serves exactly LINE
metric() { grep -qxF "$1" <<<"$(metrics)"; }
start_vm vm "$WORK/sock/virtio-forwarder1.sock"
setup_ips
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
wait_for 10 ping_ok "$NS_VM" 10.99.0.1 1 || fail "no ping before the link change"

wait_flat relay_1.vf.link up 3 >/dev/null || fail "link not up at start"
[ "$(flat_stat relay_1.vf.link_speed)" = 10000 ] || fail "link speed: $(flat_stat relay_1.vf.link_speed)"
out=$(st)
for k in rx_missed rx_nombuf rx_errors tx_errors; do
	grep -q "^relay_1.vf.$k=[0-9]*$" <<<"$out" || fail "no relay_1.vf.$k line: $out"
done
grep -q '"link": "up"' <<<"$(st --output-format json)" || fail "link not in JSON"
tx_err0=$(flat_stat relay_1.vf.tx_errors)
wait_for 10 metric 'virtio_forwarder_vf_link_up{relay="1"} 1' || fail "metrics: link not up"
metric 'virtio_forwarder_vf_link_speed_bytes{relay="1"} 1250000000' || fail "metrics: speed"
metric 'virtio_forwarder_vf_removals_total{relay="1"} 0' || fail "metrics: removals"
grep -q '^virtio_forwarder_vf_tx_errors_total{relay="1"} [0-9]*$' <<<"$(metrics)" ||
	fail "metrics: no tx_errors"

log "vf0 down"
ip netns exec "$NS_VF" ip link set vf0 down
secs=$(wait_flat relay_1.vf.link down 3) || fail "link down not seen in stats"
log "stats showed link=down after ${secs}s"
[ "$(flat_stat relay_1.vf.link_speed)" = 0 ] || fail "a down link has a speed"
[ "$(daemon_stat d relay_1.vf.link)" = down ] || fail "SIGUSR1 dump: link not down"
grep -q '"link": "down"' <<<"$(st --output-format json)" || fail "JSON: link not down"
metric 'virtio_forwarder_vf_link_up{relay="1"} 0' || fail "metrics: link not down"
# what the relay sends the VF now fails on the down tap: the VF's own errors
ip netns exec "$NS_VM" busybox ping -c 3 -W 1 10.99.0.1 >/dev/null 2>&1 || true
tx_err1=$(flat_stat relay_1.vf.tx_errors)
log "vf tx_errors $tx_err0 -> $tx_err1 while the link was down"
[ "$tx_err1" -gt "$tx_err0" ] || fail "sends on the down VF not counted as its tx_errors"

log "vf0 up"
ip netns exec "$NS_VF" ip link set vf0 up
secs=$(wait_flat relay_1.vf.link up 3) || fail "link up not seen in stats"
log "stats showed link=up after ${secs}s"
[ "$(flat_stat relay_1.vf.link_speed)" = 10000 ] || fail "speed after link up"
wait_for 5 ping_ok "$NS_VM" 10.99.0.1 1 || fail "no traffic after the link came back"
grep -q "relay 1: vf link down" "$WORK/d.log" || fail "link down not logged"
grep -q "relay 1: vf link up" "$WORK/d.log" || fail "link up not logged"

stop_vm vm
stop_daemon d
grep -q "mbufs not returned" "$WORK/d.log" && fail "mbuf leak reported"
log PASS

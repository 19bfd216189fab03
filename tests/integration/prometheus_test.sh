#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Monitoring end to end: known traffic through a relay, the exporter serving
# the counters, a real Prometheus (Debian's package) scraping it every second,
# and its query API returning the relay's counters.
. "$(dirname "$0")/lib.sh"
CL=$BUILD/clients
PY=/usr/bin/python3
PROM=${PROMETHEUS:-/usr/bin/prometheus}
[ -x "$PROM" ] || fail "prometheus is not installed (apt-get install prometheus)"

make_netns
mkdir -p "$WORK/ep"
ST=ipc://$WORK/ep/stats
start_daemon d -P net_tap0,iface=vf0=1 --zmq-stats-ep="$ST"
start_vm vm "$WORK/sock/virtio-forwarder1.sock"
setup_ips
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"

EXP_PORT=$((19000 + RANDOM % 1000))
PROM_PORT=$((20000 + RANDOM % 1000))
"$CL/vfwd-exporter" --listen 127.0.0.1:$EXP_PORT --stats-ep "$ST" >"$WORK/exporter.log" 2>&1 &
PIDS+=($!)
get() { $PY -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
wait_for 10 get "http://127.0.0.1:$EXP_PORT/metrics" || fail "exporter does not answer"
get "http://127.0.0.1:$EXP_PORT/metrics" >"$WORK/metrics.txt"
grep -q '^virtio_forwarder_up 1$' "$WORK/metrics.txt" || fail "up != 1"
grep -q '^virtio_forwarder_relay_active{relay="1"} 1$' "$WORK/metrics.txt" ||
	fail "relay_active line: $(grep relay_active "$WORK/metrics.txt" | head -3)"
grep -q '^virtio_forwarder_relay_info{relay="1",socket=".*virtio-forwarder1.sock",vf="net_tap0,iface=vf0",numa_node="0"} 1$' \
	"$WORK/metrics.txt" || fail "relay_info line: $(grep relay_info "$WORK/metrics.txt" | head -3)"
grep -q '^# TYPE virtio_forwarder_rx_packets_total counter$' "$WORK/metrics.txt" || fail "no TYPE line"
grep -q '^virtio_forwarder_worker_busy_seconds_total{cpu="1"} [0-9.]*$' "$WORK/metrics.txt" ||
	fail "no worker metric: $(grep worker "$WORK/metrics.txt" | head -3)"
$PY -c 'import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=5)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 404 else 1)
sys.exit(1)' "http://127.0.0.1:$EXP_PORT/other" || fail "unknown path is not a 404"

cat >"$WORK/prom.yml" <<X
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: virtio-forwarder
    static_configs:
      - targets: ['127.0.0.1:$EXP_PORT']
X
"$PROM" --config.file="$WORK/prom.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address=127.0.0.1:$PROM_PORT >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
wait_for 60 get "http://127.0.0.1:$PROM_PORT/-/ready" || fail "prometheus not ready"

ping_ok "$NS_VF" 10.99.0.2 20 >/dev/null || fail "ping"
sleep 1
want=$(daemon_stat d relay_1.vm_to_vf.pkts_rx_from_vm)
[ "$want" -ge 20 ] || fail "traffic not counted"
query() {
	get "http://127.0.0.1:$PROM_PORT/api/v1/query?query=$1" |
		$PY -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}
q='virtio_forwarder_rx_packets_total%7Brelay%3D%221%22%2Cdirection%3D%22vm_to_vf%22%7D'
end=$((SECONDS + 30))
until [ "$(query "$q")" = "$want" ]; do
	[ $SECONDS -lt $end ] || fail "prometheus has $(query "$q"), the daemon counted $want"
	sleep 1
done
log "prometheus: rx_packets_total{relay=1,vm_to_vf} = $want, as the daemon counts"
q2='virtio_forwarder_relay_state%7Brelay%3D%221%22%2Cstate%3D%22DPDK_READY%22%7D'
[ "$(query "$q2")" = 1 ] || fail "state metric"
# the info metric joins the descriptive labels to any series by relay id
q3='virtio_forwarder_rx_packets_total%7Bdirection%3D%22vm_to_vf%22%7D+*+on(relay)+group_left(vf)+virtio_forwarder_relay_info%7Bvf%3D%22net_tap0%2Ciface%3Dvf0%22%7D'
[ "$(query "$q3")" = "$want" ] || fail "join with relay_info: $(query "$q3")"
# per queue unit, with a queue label (one queue pair here: queue 0 took all)
q4='virtio_forwarder_queue_rx_packets_total%7Brelay%3D%221%22%2Cdirection%3D%22vm_to_vf%22%2Cqueue%3D%220%22%7D'
[ "$(query "$q4")" = "$want" ] || fail "queue metric: $(query "$q4"), want $want"
stop_vm vm
stop_daemon d
wait_for 10 sh -c "'$PY' -c 'import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:$EXP_PORT/metrics\", timeout=5).read().decode())' | grep -q '^virtio_forwarder_up 0$'" ||
	fail "exporter must report up 0 without a daemon"
log PASS

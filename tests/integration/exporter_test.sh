#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The exporter under concurrent load: 20 scrapes at once while one client
# holds a connection open without sending and another stalls mid-request,
# all answered within 1 s (the issue's criterion; the hand-written server
# it replaces served one client at a time and held every scrape 2 s behind
# an idle connection), keep-alive, HEAD, 405 for other methods, and the
# naming conventions of the exposition (exporter_scrape.py does the HTTP).
. "$(dirname "$0")/lib.sh"
CL=$BUILD/clients
make_netns
mkdir -p "$WORK/ep"
ST=ipc://$WORK/ep/stats
start_daemon d -P net_null0=1 -P net_null1=4 --zmq-stats-ep="$ST"
PORT=$((21000 + RANDOM % 1000))
"$CL/vfwd-exporter" --listen 127.0.0.1:$PORT --stats-ep "$ST" >"$WORK/exporter.log" 2>&1 &
PIDS+=($!)
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" ||
	fail "exporter does not listen"
python3 "$(dirname "$0")/exporter_scrape.py" $PORT 20 1.0 || fail "concurrent scrapes"

python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	"http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt"
m=$WORK/metrics.txt
grep -q '^virtio_forwarder_relay_info{relay="4",socket=".*virtio-forwarder4.sock",vf="net_null1",numa_node="0"} 1$' "$m" ||
	fail "relay_info: $(grep relay_info "$m" | head -3)"
grep -q '^virtio_forwarder_relay_state{relay="1",direction="vf_to_vm",state="DPDK_ADDED"} 1$' "$m" ||
	fail "relay_state: $(grep relay_state "$m" | head -3)"
# only relay_info carries the descriptive labels
grep -v '^#' "$m" | grep -v '^virtio_forwarder_relay_info{' | grep -q 'socket=\|vf=' &&
	fail "descriptive labels outside relay_info: $(grep -v '^virtio_forwarder_relay_info' "$m" | grep 'vf=' | head -2)"
# counters end in _total, every family has HELP and TYPE
awk '/^# TYPE/ && $4 == "counter" && $3 !~ /_total$/ {print; bad=1} END {exit bad}' "$m" ||
	fail "a counter without _total"
for f in $(grep -v '^#' "$m" | sed 's/[{ ].*//' | sort -u); do
	grep -q "^# TYPE $f " "$m" && grep -q "^# HELP $f " "$m" || fail "no HELP/TYPE for $f"
done
log PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Our C clients against a mock server written with Google's protobuf: the
# request bytes must be the original clients' (reference Appendix A), and
# the printed output and exit codes the original's (§3.7).
. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CL=$BUILD/clients
PY=/usr/bin/python3
protoc --python_out="$WORK" -I "$TOP/api" "$TOP/api/virtioforwarder.proto"
EP=ipc://$WORK/mock

# mock KIND: (re)start the mock server with a reply kind
mock() {
	[ -n "${MOCK:-}" ] && { kill "$MOCK"; wait "$MOCK" 2>/dev/null || true; }
	: >"$WORK/req.log"
	$PY "$(dirname "$0")/mock_server.py" "$WORK" "$EP" "$WORK/req.log" "$1" &
	MOCK=$!
	PIDS+=("$MOCK")
	wait_for 10 grep -q ready "$WORK/req.log" || fail "mock did not start"
}
# run EXPECTED_RC EXPECTED_HEX CMD...: output in $OUT
run() {
	local rc=$1 hex=$2 got=0
	shift 2
	OUT=$("$@" 2>&1) || got=$?
	[ "$got" -eq "$rc" ] || fail "'$*' exited $got, expected $rc: $OUT"
	local sent
	sent=$(tail -1 "$WORK/req.log")
	[ -z "$hex" ] || [ "$sent" = "$hex" ] || fail "'$*' sent $sent, the original sends $hex"
}

mock port_ok
run 0 08001208080010051808200118012000 "$CL/port_control" add --virtio-id 1 --pci-addr 05:08.1 --zmq_ep "$EP"
[ -z "$OUT" ] || fail "success must print nothing: $OUT"
run 0 080018012000 "$CL/port_control" add --virtio-id 1 --zmq_ep "$EP"
run 0 0803120808001003180820002000 "$CL/port_control" remove_sock --pci-addr 03:08.0 --zmq_ep "$EP"
run 0 080420003a0b2f746d702f782e736f636b "$CL/port_control" query_pci --vhost-path /tmp/x.sock --zmq_ep "$EP"
bond=$(printf '%s' 08021208080010051808200112080800100518 0a2002 2001 2a0c 6e65745f626f6e64696e6730 3001 3a0b 2f746d702f782e736f636b)
run 0 "$bond" "$CL/port_control" add_sock --vhost-path /tmp/x.sock --pci-addr 0000:05:08.1 \
	--pci-addr 0000:05:0a.2 --name net_bonding0 --conditional --zmq_ep "$EP"
# our extension: --vhost-mode is field 100 (tag a0 06), after the original's fields
run 0 08021208080010051808200120003a0b2f746d702f782e736f636ba00601 "$CL/port_control" add_sock \
	--vhost-path /tmp/x.sock --pci-addr 05:08.1 --vhost-mode client --zmq_ep "$EP"
run 2 "" "$CL/port_control" add_sock --vhost-path /tmp/x.sock --pci-addr 05:08.1 --vhost-mode both \
	--zmq_ep "$EP"
mock port_query
run 0 "" "$CL/port_control" query_pci --vhost-path /tmp/x.sock --zmq_ep "$EP"
[ "$OUT" = "0000:05:08.1" ] || fail "query output: $OUT"
mock port_err8
run 1 "" "$CL/port_control" add --virtio-id 1 --pci-addr 05:08.1 --zmq_ep "$EP"
[ "$OUT" = "$(printf 'status: ERROR\nerror_code: 8\nerror_code_source: "virtio_forwarder_add_vf2()"\n')" ] ||
	fail "error output: $OUT"
mock port_bare
run 1 "" "$CL/port_control" add --virtio-id 1 --zmq_ep "$EP"
[ "$OUT" = "status: ERROR" ] || fail "bare error output: $OUT"

mock stats
run 0 10001800 "$CL/stats" --stats-ep "$EP" --delay 0
cat >"$WORK/want" <<'X'
relay_0.active=False
relay_0.vhost.vhost_socket_name=NONE
relay_0.vf_to_vm.active=False
relay_0.vf_to_vm.internal_state=DPDK_UNINIT
relay_0.vf_to_vm.pkt_rate_rx_from_vf=0.0
relay_0.vf_to_vm.byte_rate_rx_from_vf=0.0
relay_0.vf_to_vm.pkt_rate_tx_to_vm=0.0
relay_0.vf_to_vm.byte_rate_tx_to_vm=0.0
relay_0.vm_to_vf.active=False
relay_0.vm_to_vf.internal_state=VIRTIO_UNINIT
relay_0.vm_to_vf.pkt_rate_rx_from_vm=0.0
relay_0.vm_to_vf.byte_rate_rx_from_vm=0.0
relay_0.vm_to_vf.pkt_rate_tx_to_vf=0.0
relay_0.vm_to_vf.byte_rate_tx_to_vf=0.0
relay_1.active=True
relay_1.cpu.vf_to_vm=2
relay_1.cpu.vm_to_vf=1
relay_1.vf.pci_addr_str=0000:05:08.1
relay_1.vhost.vhost_socket_name=/tmp/virtio-forwarder/virtio-forwarder1.sock
relay_1.vf_to_vm.active=True
relay_1.vf_to_vm.internal_state=DPDK_READY
relay_1.vf_to_vm.cpu_2.pkts_rx_from_vf=100
relay_1.vf_to_vm.cpu_2.bytes_rx_from_vf=6400
relay_1.vf_to_vm.cpu_2.pkts_tx_to_vm=100
relay_1.vf_to_vm.cpu_2.bytes_tx_to_vm=6400
relay_1.vf_to_vm.cpu_2.pkt_rate_rx_from_vf=12.300000190734863
relay_1.vf_to_vm.cpu_2.byte_rate_rx_from_vf=0.0
relay_1.vf_to_vm.cpu_2.pkt_rate_tx_to_vm=0.0
relay_1.vf_to_vm.cpu_2.byte_rate_tx_to_vm=0.0
relay_1.vf_to_vm.cpu_2.pkts_dropped_vm_queue_full=0
relay_1.vf_to_vm.cpu_2.pkts_dropped_vm_not_connected=3
relay_1.vm_to_vf.active=True
relay_1.vm_to_vf.internal_state=VIRTIO_READY
relay_1.vm_to_vf.cpu_1.pkts_rx_from_vm=50
relay_1.vm_to_vf.cpu_1.bytes_rx_from_vm=3200
relay_1.vm_to_vf.cpu_1.pkts_tx_to_vf=50
relay_1.vm_to_vf.cpu_1.bytes_tx_to_vf=3200
relay_1.vm_to_vf.cpu_1.pkt_rate_rx_from_vm=0.0
relay_1.vm_to_vf.cpu_1.byte_rate_rx_from_vm=0.0
relay_1.vm_to_vf.cpu_1.pkt_rate_tx_to_vf=0.0
relay_1.vm_to_vf.cpu_1.byte_rate_tx_to_vf=0.0
relay_1.vm_to_vf.cpu_1.pkts_dropped_vf_queue_full=0
relay_1.vm_to_vf.cpu_1.pkts_dropped_vf_not_connected=0
relay_2.active=False
relay_2.cpu.vf_to_vm=1
relay_2.vf.pci_addr_str=0000:05:08.2
relay_2.vhost.vhost_socket_name=/tmp/virtio-forwarder/virtio-forwarder2.sock
relay_2.vf_to_vm.active=True
relay_2.vf_to_vm.internal_state=DPDK_ADDED
relay_2.vf_to_vm.cpu_1.pkts_rx_from_vf=0
relay_2.vf_to_vm.cpu_1.bytes_rx_from_vf=0
relay_2.vf_to_vm.cpu_1.pkts_tx_to_vm=0
relay_2.vf_to_vm.cpu_1.bytes_tx_to_vm=0
relay_2.vf_to_vm.cpu_1.pkt_rate_rx_from_vf=0.0
relay_2.vf_to_vm.cpu_1.byte_rate_rx_from_vf=0.0
relay_2.vf_to_vm.cpu_1.pkt_rate_tx_to_vm=0.0
relay_2.vf_to_vm.cpu_1.byte_rate_tx_to_vm=0.0
relay_2.vf_to_vm.cpu_1.pkts_dropped_vm_queue_full=0
relay_2.vf_to_vm.cpu_1.pkts_dropped_vm_not_connected=0
relay_2.vm_to_vf.active=False
relay_2.vm_to_vf.internal_state=VIRTIO_UNINIT
relay_2.vm_to_vf.pkt_rate_rx_from_vm=0.0
relay_2.vm_to_vf.byte_rate_rx_from_vm=0.0
relay_2.vm_to_vf.pkt_rate_tx_to_vf=0.0
relay_2.vm_to_vf.byte_rate_tx_to_vf=0.0
X
diff -u "$WORK/want" <(echo "$OUT") || fail "flat stats output differs from the original's"
run 0 100118c801 "$CL/stats" --stats-ep "$EP" --include-inactive
run 0 100018c801 "$CL/stats" --stats-ep "$EP" -z
grep -q "pkts_dropped_vm_queue_full" <<<"$OUT" && fail "-z printed a zero counter"
grep -q "relay_1.vf_to_vm.cpu_2.pkts_dropped_vm_not_connected=3" <<<"$OUT" || fail "-z hid a counter"
grep -q "relay_0.active=False" <<<"$OUT" || fail "-z hid a boolean"
grep -q "relay_2.vf_to_vm.cpu_1.pkt_rate_rx_from_vf=0.0" <<<"$OUT" || fail "-z hid a rate"
mock stats_ebadr
run 1 "" "$CL/stats" --stats-ep "$EP"
grep -q "^ERROR:stats:StatsResponse: EBADR$" <<<"$OUT" || fail "EBADR output: $OUT"

mock config
run 0 "" "$CL/config" --config-ep "$EP"
[ "$(tail -1 "$WORK/req.log")" = "" ] || fail "config request must be an empty frame"
[ "$OUT" = "$(printf 'status: OK\nrelay_cpu_map {\n  relay_number: 1\n  vf2virtio_cpu: 2\n  virtio2vf_cpu: 1\n}\n')" ] ||
	fail "config output: $OUT"

mock core
# no stats service here: the map after the update cannot be printed (exit 1)
run 1 "" "$CL/core_pinner" --sched-ep "$EP" --stats-ep ipc://$WORK/none --virtio-cpu 1:2,1
grep -qx 08001206080110011802 "$WORK/req.log" || fail "UPDATE bytes: $(cat "$WORK/req.log")"
grep -q "^Setting relay 1=2,1$" <<<"$OUT" || fail "pinner output: $OUT"
grep -q "^Scheduler response: OK$" <<<"$OUT" || fail "pinner output: $OUT"

mock port_ok
kill "$MOCK"
wait "$MOCK" 2>/dev/null || true
MOCK=
run 1 "" "$CL/port_control" add --virtio-id 1 --pci-addr 05:08.1 --zmq_ep "$EP"
grep -q "no answer" <<<"$OUT" || fail "no-daemon message: $OUT"
log PASS
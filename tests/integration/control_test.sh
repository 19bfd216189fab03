#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The ZeroMQ control plane through our C clients, every op and error path,
# against a daemon in dynamic-sockets mode with vdev "VFs"; then the same
# daemon checked by an independent Python client (Google protobuf + pyzmq)
# with the original clients' request bytes, garbage on every endpoint, and
# stats hammered while ports come and go.
. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CL=$BUILD/clients
PY=/usr/bin/python3

make_netns
mkdir -p "$WORK/ep"
PC=ipc://$WORK/ep/port_control
ST=ipc://$WORK/ep/stats
CF=ipc://$WORK/ep/config
CS=ipc://$WORK/ep/core_sched
start_daemon d -d -c 5:1 --zmq-port-control-ep="$PC" --zmq-stats-ep="$ST" \
	--zmq-config-ep="$CF" --zmq-core-sched-ep="$CS"

[ "$(stat -c %a "$WORK/ep/port_control")" = 660 ] || fail "ipc endpoint is not 0660"

# expect RC [OUTPUT_REGEX] -- CMD...: exit status and (part of) output
expect() {
	local rc=$1 pattern=$2 out got=0
	shift 3
	out=$("$@" 2>&1) || got=$?
	[ "$got" -eq "$rc" ] || fail "'$*' exited $got, expected $rc: $out"
	[ -z "$pattern" ] || grep -Eq "$pattern" <<<"$out" || fail "'$*' printed: $out"
}
pc() { "$CL/port_control" --zmq_ep "$PC" "$@"; }
st() { "$CL/stats" --stats-ep "$ST" --delay 0 "$@"; }

# ADD_SOCK takes the lowest free relay
expect 0 '^$' -- pc add_sock --device net_tap0,iface=vf0 --vhost-path "$WORK/vm1.sock"
[ -S "$WORK/vm1.sock" ] || fail "add_sock did not create the socket"
# the same add_sock again: OK, nothing changes (idempotent, conditional or not)
expect 0 '^$' -- pc add_sock --device net_tap0,iface=vf0 --vhost-path "$WORK/vm1.sock"
# the same path with another role: the original's error 1
expect 1 'error_code: 1$' -- pc add_sock --device net_tap0,iface=vf0 --vhost-path "$WORK/vm1.sock" \
	--vhost-mode client
expect 0 '^$' -- pc add_sock --device net_tap0,iface=vf0 --vhost-path "$WORK/vm1.sock" --conditional
expect 1 'error_code: -17' -- pc add_sock --device net_tap0,iface=vf0 --vhost-path "$WORK/other.sock"
expect 1 'error_code: -1$' -- pc add_sock --device net_tap7,iface=x7
expect 0 '^net_tap0,iface=vf0$' -- pc query_pci --vhost-path "$WORK/vm1.sock"
expect 1 'error_code: 2$' -- pc query_pci --vhost-path /nonexistent.sock
expect 1 'error_code_source: "virtio_query_pci\(\)"' -- pc query_pci --vhost-path /nonexistent.sock

# ADD / REMOVE by relay id
expect 1 'error_code: 8$' -- pc add --virtio-id 0 --device net_tap1,iface=vf1
expect 1 'error_code: 1$' -- pc add --virtio-id 40 --device net_tap1,iface=vf1
expect 1 'error_code: 2$' -- pc add --virtio-id 3 --pci-addr 0000:FF:1F.7
expect 1 'error_code: 2$' -- pc add --virtio-id 3 --device net_nosuchpmd0
expect 1 'status: ERROR' -- pc add --device net_tap1,iface=vf1
expect 2 '' -- pc add --virtio-id 3 --pci-addr 5:8.1
expect 0 '^$' -- pc add --virtio-id 3 --device net_tap1,iface=vf1
expect 0 '^$' -- pc add --virtio-id 3 --device NET_TAP1,iface=vf1 --conditional
expect 1 'error_code: 8$' -- pc add --virtio-id 3 --device net_tap1,iface=vf1
expect 0 'relay_3.vf_to_vm.internal_state=DPDK_ADDED' -- st --include-inactive
expect 0 'relay_3.vf.pci_addr_str=net_tap1,iface=vf1' -- st --include-inactive
expect 0 'relay_3.vf_to_vm.cpu_1.pkts_rx_from_vf=0' -- st --include-inactive
expect 1 'error_code: 3$' -- pc remove --virtio-id 3 --device net_tap9
expect 1 'error_code_source: "virtio_forwarder_remove_vf2\(\)"' -- pc remove --virtio-id 3 --device net_tap9
expect 0 '^$' -- pc remove --virtio-id 3 --device net_tap1,iface=vf1
expect 1 'error_code: 4$' -- pc remove --virtio-id 3 --device net_tap1,iface=vf1
expect 0 '^$' -- pc remove --virtio-id 3 --device net_tap1,iface=vf1 --conditional

# bonds of vdevs
expect 0 '^$' -- pc add --virtio-id 4 --device net_ring0 --device net_ring1 --name net_bonding0 --mode 1
expect 0 'relay_4.vf.pci_addr_str=net_bonding0' -- st --include-inactive
expect 1 'error_code: 3$' -- pc add --virtio-id 5 --device net_ring1 --device net_ring2 --name net_bonding1
expect 1 'error_code: 2$' -- pc add --virtio-id 5 --device net_ring2 --device net_ring3 --name bond_x
expect 1 'status: ERROR' -- pc add --virtio-id 5 --device net_ring2 --name net_bonding1
expect 0 '^$' -- pc remove --virtio-id 4 --name net_bonding0
expect 0 '^$' -- pc add --virtio-id 4 --device net_ring0 --device net_ring1 --name net_bonding0
expect 0 '^$' -- pc remove --virtio-id 4 --name net_bonding0

# a VM on the dynamic socket: relay 0 forwards; stats show it as active
start_vm vm "$WORK/vm1.sock"
setup_ips
wait_for 20 sh -c "'$CL/stats' --stats-ep '$ST' --delay 0 | grep -q 'relay_0.active=True'" ||
	fail "relay 0 not active"
ping_ok "$NS_VF" 10.99.0.2 5 || fail "ping through the dynamic relay"
out=$(st)
grep -q '^relay_0.cpu.vf_to_vm=1$' <<<"$out" || fail "no cpu line: $out"
grep -q '^relay_0.vm_to_vf.cpu_1.pkts_rx_from_vm=[1-9]' <<<"$out" || fail "no counters: $out"
# our extensions after the original's lines: per queue unit, the workers
grep -q '^relay_0.vm_to_vf.queue_0.pkts=[1-9]' <<<"$out" || fail "no queue lines: $out"
grep -q '^worker_1.packets=[1-9]' <<<"$out" || fail "no worker lines: $out"
[ "$(tail -1 <<<"$out" | cut -d. -f1)" = worker_1 ] || fail "worker lines not last"
grep -q '^relay_3' <<<"$out" && fail "inactive relay listed without --include-inactive"
st -z | grep 'pkts_dropped_vm_queue_full=0' >/dev/null && fail "-z kept a zero counter"
st -z | grep 'pkt_rate_rx_from_vf=' >/dev/null || fail "-z dropped a rate"
expect 0 '"vhost_socket_name": ".*vm1.sock"' -- st --output-format json
expect 0 '^ +internal_state: "DPDK_READY"' -- st --output-format protobuf

# core scheduler and config
expect 0 '== 01 ==' -- "$CL/core_pinner" --stats-ep "$ST" --sched-ep "$CS" --print-core-map
expect 0 'Scheduler response: OK' -- "$CL/core_pinner" --stats-ep "$ST" --sched-ep "$CS" --virtio-cpu 0:1,1
expect 1 'Scheduler response: ERROR' -- "$CL/core_pinner" --stats-ep "$ST" --sched-ep "$CS" --virtio-cpu 0:9,1
expect 0 'relay_number: 5' -- "$CL/config" --config-ep "$CF"
expect 0 '^CPU1: ' -- "$CL/monitor_load" --stats-ep "$ST" --sched-ep "$CS" --count 2 --poll-interval 0.1
ping_ok "$NS_VF" 10.99.0.2 2 || fail "traffic after core update"

# independent wire check, garbage, concurrency
protoc --python_out="$WORK" -I "$TOP/api" "$TOP/api/virtioforwarder.proto"
$PY "$(dirname "$0")/pyclient.py" "$WORK" golden "$PC" "$ST" "$CF" "$CS" || fail "golden"
$PY "$(dirname "$0")/pyclient.py" "$WORK" garbage "$PC" "$ST" "$CF" "$CS" || fail "garbage"
$PY "$(dirname "$0")/pyclient.py" "$WORK" hammer "$ST" 6 >"$WORK/h1.out" 2>&1 &
h1=$!
$PY "$(dirname "$0")/pyclient.py" "$WORK" hammer "$ST" 6 >"$WORK/h2.out" 2>&1 &
h2=$!
PIDS+=($h1 $h2)
for i in $(seq 10); do
	pc add --virtio-id 6 --device net_null$i >/dev/null || fail "add under stats load ($i)"
	pc remove --virtio-id 6 --device net_null$i >/dev/null || fail "remove under stats load ($i)"
done
wait $h1 || { cat "$WORK/h1.out"; fail "stats client 1"; }
wait $h2 || { cat "$WORK/h2.out"; fail "stats client 2"; }
cat "$WORK/h1.out" "$WORK/h2.out"
kill -0 "$DAEMON_PID_d" || fail "daemon died"

# remove_sock by path: socket gone, relay free again
expect 0 '^$' -- pc remove_sock --vhost-path "$WORK/vm1.sock"
[ -e "$WORK/vm1.sock" ] && fail "socket file left after remove_sock"
# removing it again: already gone, OK (idempotent; the original said 1)
expect 0 '^$' -- pc remove_sock --vhost-path "$WORK/vm1.sock"
expect 0 'relay_0.vf_to_vm.internal_state=DPDK_UNINIT' -- st --include-inactive
stop_vm vm
expect 0 '^$' -- pc add_sock --device net_tap2,iface=vf2 --vhost-path "$WORK/vm2.sock"
expect 0 '^$' -- pc remove_sock --device net_tap2,iface=vf2
[ "$(daemon_stat d mempool.mbufs_in_use)" = 0 ] || fail "mbufs in use with every relay empty"
[ "$(daemon_stat d mempool.mbufs_total)" = 0 ] || fail "pools left with every relay empty"
stop_daemon d
"$CL/stats" --stats-ep "$ST" --delay 0 >/dev/null 2>&1 && fail "stats answered with no daemon"
log PASS

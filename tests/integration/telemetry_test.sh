#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# DPDK's telemetry client on the daemon: dpdk-telemetry.py -f <file prefix>
# (commands on stdin, one JSON reply per line) lists the relays in use,
# shows a relay's states, CPUs, socket, VF and every counter (equal to the
# daemon's own SIGUSR1 dump), and the workers' counters; bad parameters
# get a null reply; and the handlers, on DPDK's telemetry thread, keep
# answering while the control thread adds and removes relays (they take
# the control lock).
. "$(dirname "$0")/lib.sh"
CL=$BUILD/clients
TELEMETRY=${TELEMETRY:-dpdk-telemetry.py}
make_netns
mkdir -p "$WORK/ep"
PC=ipc://$WORK/ep/port_control
start_daemon d -P net_tap0,iface=vf0=1 --zmq-port-control-ep="$PC"
start_vm vm "$WORK/sock/virtio-forwarder1.sock"
setup_ips
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
ping_ok "$NS_VF" 10.99.0.2 5 >/dev/null || fail "ping"

# tel CMD...: one JSON reply per command, from the daemon's file prefix
tel() { printf '%s\n' "$@" | "$TELEMETRY" -f "${TAG}d"; }
# field JSON KEY: a value of the reply's only command
field() {
	python3 -c 'import json, sys; r = json.loads(sys.argv[1]); v = list(r.values())[0]; print(json.dumps(v[sys.argv[2]]) if sys.argv[2] else json.dumps(v))' "$1" "$2"
}
out=$(tel /virtio_forwarder/relays) || fail "dpdk-telemetry.py failed"
log "relays: $out"
[ "$(field "$out" "")" = "[1]" ] || fail "relays: $out"

out=$(tel /virtio_forwarder/relay,1)
log "relay 1: $out"
[ "$(field "$out" dpdk_state)" = '"DPDK_READY"' ] || fail "dpdk_state: $out"
[ "$(field "$out" virtio_state)" = '"VIRTIO_READY"' ] || fail "virtio_state: $out"
[ "$(field "$out" active)" = 1 ] && [ "$(field "$out" vf_to_vm_cpu)" = 1 ] || fail "active/cpu: $out"
[ "$(field "$out" vf)" = '"net_tap0,iface=vf0"' ] || fail "vf: $out"
[ "$(field "$out" socket)" = "\"$WORK/sock/virtio-forwarder1.sock\"" ] || fail "socket: $out"
# every counter, as the daemon's own dump counts it (no traffic meanwhile)
out=$(tel /virtio_forwarder/relay,1)
dump_stats d
for dir in vf_to_vm vm_to_vf; do
	for k in pkts_rx bytes_rx pkts_tx bytes_tx pkts_dropped_invalid; do
		case $dir.$k in
		vf_to_vm.pkts_rx | vf_to_vm.bytes_rx) key=${k}_from_vf ;;
		vm_to_vf.pkts_rx | vm_to_vf.bytes_rx) key=${k}_from_vm ;;
		vf_to_vm.pkts_tx | vf_to_vm.bytes_tx) key=${k}_to_vm ;;
		vm_to_vf.pkts_tx | vm_to_vf.bytes_tx) key=${k}_to_vf ;;
		*) key=$k ;;
		esac
		want=$(last_stat d "relay_1.$dir.$key")
		got=$(field "$out" "${dir}_$k")
		[ "$got" = "$want" ] || fail "${dir}_$k: telemetry $got, dump $want"
	done
done
[ "$(field "$out" vm_to_vf_pkts_rx)" -ge 1 ] || fail "no traffic counted: $out"
for k in pkts_dropped_queue_full bytes_dropped_queue_full pkts_dropped_not_connected \
	bytes_dropped_not_connected; do
	field "$out" "vf_to_vm_$k" >/dev/null || fail "no vf_to_vm_$k"
done

out=$(tel /virtio_forwarder/workers)
log "workers: $out"
[ "$(field "$out" cpu)" = "[1]" ] || fail "worker cpus: $out"
python3 - "$out" <<'X' || fail "worker counters: $out"
import json, sys
w = list(json.loads(sys.argv[1]).values())[0]
for k in ("busy_cycles", "packets", "sleeps", "missed_wakeups", "tsc_hz"):
    assert len(w[k]) == 1, k
assert w["packets"][0] > 0 and w["tsc_hz"][0] > 0
X

# bad parameters: a null reply, nothing else changes
for bad in /virtio_forwarder/relay /virtio_forwarder/relay,x /virtio_forwarder/relay,99 \
	/virtio_forwarder/relay,-1 "/virtio_forwarder/relay,1x"; do
	out=$(tel "$bad")
	[ "$(field "$out" "")" = null ] || fail "$bad: $out"
done

# telemetry reads while the control thread changes relays
(for i in $(seq 15); do
	"$CL/port_control" --zmq_ep "$PC" add --virtio-id 2 --device net_ring0 || exit 1
	"$CL/port_control" --zmq_ep "$PC" remove --virtio-id 2 --device net_ring0 || exit 1
done) >"$WORK/churn.log" 2>&1 &
churn=$!
PIDS+=($churn)
# a client on the telemetry socket itself, as fast as it can, until the
# churn ends (dpdk-telemetry.py takes a second per start here)
n=$(python3 - "/var/run/dpdk/${TAG}d/dpdk_telemetry.v2" $churn <<'X'
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
greeting = json.loads(s.recv(1024))
size = greeting["max_output_len"]
rounds = 0
def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
while alive(int(sys.argv[2])):
    for cmd in ("/virtio_forwarder/relays", "/virtio_forwarder/relay,2",
                "/virtio_forwarder/workers"):
        s.send(cmd.encode())
        reply = json.loads(s.recv(size))
        assert cmd.split(",")[0] in reply, reply
    rounds += 1
print(rounds)
X
) || fail "telemetry failed during churn"
wait $churn || fail "add/remove churn: $(cat "$WORK/churn.log")"
log "$n telemetry rounds during 15 add/remove pairs"
[ "$n" -ge 10 ] || fail "too few telemetry rounds overlapped the churn"
[ "$(field "$(tel /virtio_forwarder/relays)" "")" = "[1]" ] || fail "relays after churn"
stop_vm vm
stop_daemon d
log PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The core scheduler balances queue units: a 4-queue tap VF (a multi-queue
# tun in a netns, the kernel picks a queue per flow) and a testpmd VM of 4
# queue pairs (rxonly) on relay 1, every unit pinned to worker 1 of two
# workers sharing CPU 1 (--lcores 0@0,1@1,2@1, -c 1:1,1), UDP flows spread
# over the VF's queues. One scheduler round must put VF->VM units on both
# workers, each unit keeps forwarding, a second round sends nothing. Then
# the original's whole-direction UPDATE (core_pinner) puts every unit on
# one worker again, and bad per-queue entries (a CPU that is not a worker,
# a queue twice, a queue >= 32, a frame missing a required field) are
# refused and change nothing. No timing is asserted.
. "$(dirname "$0")/lib.sh"
CL=$BUILD/clients
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3

make_netns
mkdir -p "$WORK/ep"
ST=ipc://$WORK/ep/stats
CS=ipc://$WORK/ep/core_sched
SOCK=$WORK/sock/virtio-forwarder1.sock

DAEMON_ARGS="-C 1,2" DAEMON_EAL="--no-huge -m 256 --lcores 0@0,1@1,2@1" start_daemon d \
	-c 1:1,1 -P net_tap0,iface=vf0=1 --zmq-stats-ep="$ST" --zmq-core-sched-ep="$CS"
# the VM polls its 4 RX queues on CPU 0 (main lcore 1 sleeps)
stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 1 --file-prefix="${TAG}vm" --no-huge -m 256 --no-pci \
	--vdev "net_virtio_user0,path=$SOCK,queues=4" -- --rxq=4 --txq=4 --forward-mode=rxonly \
	--auto-start --total-num-mbufs=8192 --stats-period 1 >"$WORK/vm.log" 2>&1 &
PIDS+=($!)
wait_for 60 grep -q "Port statistics" "$WORK/vm.log" || fail "VM testpmd did not start its ports"
ip netns exec "$NS_VF" ip addr add 10.99.0.1/24 dev vf0
ip netns exec "$NS_VF" ip link set vf0 up
ip netns exec "$NS_VF" ip neigh replace 10.99.0.2 lladdr 52:54:00:99:00:02 dev vf0 # no ARP from rxonly

st() { "$CL/stats" --stats-ep "$ST" --delay "${1:-300}" 2>&1; }
# qcpus STATS DIR: the workers of the direction's units, in queue order
qcpus() { sed -n "s/^relay_1\.$2\.queue_[0-9]*\.cpu=//p" <<<"$1" | xargs; }
qpkts() { sed -n "s/^relay_1\.vf_to_vm\.queue_$2\.pkts=//p" <<<"$1"; }
active() { grep -q '^relay_1.active=True$' <<<"$(st 0)"; }
# every VF->VM unit has received packets
all_receive() {
	local s q
	s=$(st 0)
	for q in 0 1 2 3; do [ "$(qpkts "$s" $q)" -gt 0 ] || return 1; done
}
wait_for 30 active || fail "relay not active"
s=$(st 0)
[ "$(sed -n 's/^relay_1.vf_queues=//p' <<<"$s")" = 4 ] || fail "tap VF did not get 4 queues"
[ "$(qcpus "$s" vf_to_vm)" = "1 1 1 1" ] || fail "vf_to_vm units not pinned: $(qcpus "$s" vf_to_vm)"

# 64 UDP flows in turn, ~6000 packets/s, until ended (at most 120 s)
ip netns exec "$NS_VF" "$PY" -c '
import socket, time
socks = []
for f in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.99.0.1", 20000 + f))
    socks.append(s)
end = time.time() + 120
while time.time() < end:
    for s in socks:
        s.sendto(b"x" * 64, ("10.99.0.2", 9))
    time.sleep(0.01)' &
SENDER=$!
PIDS+=($SENDER)
wait_for 20 all_receive ||
	fail "not every VF queue receives: $(st 0 | grep 'vf_to_vm.queue_')"

before=$(st)
echo "$before" | grep -E "queue_[0-9]\.(cpu|pkt_rate)" | sed 's/^/  before: /'
out=$("$CL/core_scheduler" --stats-ep "$ST" --sched-ep "$CS" --once --loglevel 7 2>&1) ||
	fail "scheduler: $out"
echo "$out" | sed 's/^/  scheduler: /'
grep -q "^updates=1$" <<<"$out" || fail "no update for units all on one worker"
after=$(st)
up=$(qcpus "$after" vf_to_vm)
log "vf_to_vm units on cpus: $up; vm_to_vf on $(qcpus "$after" vm_to_vf)"
[ "$(tr ' ' '\n' <<<"$up" | sort -u | xargs)" = "1 2" ] || fail "vf_to_vm units not on both workers: $up"
[ "$(sed -n 's/^relay_1.cpu.vf_to_vm=//p' <<<"$after")" = "${up%% *}" ] ||
	fail "relay_1.cpu.vf_to_vm is not unit 0's cpu"
sleep 1
later=$(st)
for q in 0 1 2 3; do
	[ "$(qpkts "$later" $q)" -gt "$(qpkts "$after" $q)" ] ||
		fail "vf_to_vm unit $q not forwarding after the move ($(qpkts "$after" $q) -> $(qpkts "$later" $q))"
done
out=$("$CL/core_scheduler" --stats-ep "$ST" --sched-ep "$CS" --once --loglevel 7 2>&1) ||
	fail "round 2: $out"
grep -q "^updates=0$" <<<"$out" || fail "second round moved again: $out"
[ "$(qcpus "$(st 0)" vf_to_vm)" = "$up" ] || fail "units moved without an update"

# the original's UPDATE (core_pinner R:A: both directions on A) moves whole directions
out=$("$CL/core_pinner" --stats-ep "$ST" --sched-ep "$CS" --virtio-cpu 1:2 2>&1) ||
	fail "core_pinner: $out"
s=$(st 0)
[ "$(qcpus "$s" vf_to_vm) / $(qcpus "$s" vm_to_vf)" = "2 2 2 2 / 2 2 2 2" ] ||
	fail "whole-direction update left units behind: $(qcpus "$s" vf_to_vm) / $(qcpus "$s" vm_to_vf)"

# bad per-queue entries: error 22 (a malformed frame: ERROR), nothing moves
protoc --python_out="$WORK" -I "$TOP/api" "$TOP/api/virtioforwarder.proto"
"$PY" - "$WORK" "$CS" <<'EOF' || fail "bad per-queue entries"
import sys
sys.path.insert(0, sys.argv[1])
import zmq
import virtioforwarder_pb2 as pb
ctx = zmq.Context()

def ask(req, partial=False):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    # 10 s: one full-suite run saw a reply (to the 4th bad entry, logged
    # as handled) not arrive within 4 s; not reproduced in 6 reruns
    s.setsockopt(zmq.RCVTIMEO, 10000)
    s.connect(sys.argv[2])
    s.send(req.SerializePartialToString() if partial else req.SerializeToString())
    r = pb.CoreSchedResponse()
    r.ParseFromString(s.recv())
    s.close()
    return r

def update(up=(), down=(), partial=False):
    req = pb.CoreSchedRequest(op=pb.CoreSchedRequest.UPDATE)
    m = req.relay_cpu_map.add(relay_number=1, vf2virtio_cpu=1, virtio2vf_cpu=1)
    for q, c in up:
        e = m.vf_to_vm_queue.add(queue=q)
        if c is not None:
            e.cpu = c
    for q, c in down:
        m.vm_to_vf_queue.add(queue=q, cpu=c)
    return ask(req, partial)

for name, kw in (("cpu 9", {"up": [(0, 9)]}), ("cpu -1", {"down": [(1, -1)]}),
                 ("queue twice", {"up": [(1, 1), (1, 2)]}), ("queue 32", {"up": [(32, 1)]})):
    r = update(**kw)
    assert r.status == pb.CoreSchedResponse.ERROR and r.error_code == 22, (name, r)
    print("%s: error %d (%s)" % (name, r.error_code, r.error_code_source))
r = update(up=[(0, None)], partial=True)  # QueueCPU without its cpu
assert r.status == pb.CoreSchedResponse.ERROR, r
print("no cpu: ERROR")
EOF
s=$(st 0)
[ "$(qcpus "$s" vf_to_vm) / $(qcpus "$s" vm_to_vf)" = "2 2 2 2 / 2 2 2 2" ] ||
	fail "a refused update moved units: $(qcpus "$s" vf_to_vm) / $(qcpus "$s" vm_to_vf)"
kill "$SENDER"
wait "$SENDER" 2>/dev/null || true
stop_daemon d
grep -q "mbufs not returned" "$WORK/d.log" && fail "mbuf leak reported"
log PASS

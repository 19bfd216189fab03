#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The core scheduler on oversubscribed lcores: two workers (lcores 1 and 2,
# both on CPU 1), two relays whose "VFs" are net_null sources flooding a
# testpmd VM, both pinned to worker 1. One scheduler round must move one
# relay's busy direction to worker 2, the relays keep forwarding, and a
# second round finds the load balanced. No timing is asserted.
. "$(dirname "$0")/lib.sh"
CL=$BUILD/clients

mkdir -p "$WORK/ep"
ST=ipc://$WORK/ep/stats
CS=ipc://$WORK/ep/core_sched
# no netns needed: the VFs are null devices
mkdir -p "$WORK/d"
"$DAEMON" -C 1,2 -n -p "$WORK/d" -V "$WORK/sock" --state-dir "$WORK/state" --zmq-stats-ep="$ST" --zmq-core-sched-ep="$CS" \
	-c 0:1 -c 1:1 -P net_null0,size=64=0 -P net_null1,size=64=1 -u -g --idle-sleep-max-us=100 \
	-- --no-huge -m 256 --lcores 0@0,1@1,2@1 --file-prefix="${TAG}d" >"$WORK/d.log" 2>&1 &
DAEMON_PID_d=$!
PIDS+=($DAEMON_PID_d)
wait_for 20 grep -q "ready:" "$WORK/d.log" || fail "daemon"
# the VM polls on CPU 0 (main lcore 1 sleeps), the workers share CPU 1
stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 1 --file-prefix="${TAG}vm" --no-huge -m 256 --no-pci \
	--vdev "net_virtio_user0,path=$WORK/sock/virtio-forwarder0.sock,queues=1" \
	--vdev "net_virtio_user1,path=$WORK/sock/virtio-forwarder1.sock,queues=1" \
	-- --forward-mode=rxonly --auto-start --total-num-mbufs=8192 --stats-period 1 \
	>"$WORK/vm.log" 2>&1 &
PIDS+=($!)
# stats of every relay, inactive ones too (so a failure shows their
# states), and the client's error, if any
st() { "$CL/stats" --stats-ep "$ST" --delay 300 --include-inactive 2>&1; }
# testpmd prints port statistics once its ports are started
wait_for 60 grep -q "Port statistics" "$WORK/vm.log" || fail "VM testpmd did not start its ports"
wait_for 30 sh -c "'$CL/stats' --stats-ep '$ST' --delay 0 | grep -q 'relay_1.active=True'" ||
	fail "relays not active"
before=$(st) || fail "stats request failed: $before"
echo "$before" | grep -E "cpu\.|pkt_rate_rx_from_vf" | sed 's/^/  before: /'
[ "$(echo "$before" | grep -c '^relay_[01].cpu.vf_to_vm=1$')" = 2 ] || fail "pins not applied"

out=$("$CL/core_scheduler" --stats-ep "$ST" --sched-ep "$CS" --once --loglevel 7 2>&1) ||
	fail "scheduler: $out"
echo "$out" | sed 's/^/  scheduler: /'
grep -q "^updates=1$" <<<"$out" || fail "no update for a skewed load"
after=$(st) || fail "stats request failed: $after"
echo "$after" | grep -E "cpu\.|pkt_rate_rx_from_vf" | sed 's/^/  after: /'
a=$(echo "$after" | sed -n 's/^relay_0.cpu.vf_to_vm=//p')
b=$(echo "$after" | sed -n 's/^relay_1.cpu.vf_to_vm=//p')
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || fail "busy directions still share a worker ($a, $b)"
sent() { sed -n "s/^relay_$2.vf_to_vm.cpu_[0-9]*.pkts_tx_to_vm=//p" <<<"$1"; }
sleep 1
later=$(st) || fail "stats request failed: $later"
for r in 0 1; do
	grep -q "^relay_$r.active=True$" <<<"$later" ||
		fail "relay $r stopped; stats: $(echo "$later" | grep -E 'active|state|cpu\.' | tr '\n' ' ')"
	[ "$(sent "$later" $r)" -gt "$(sent "$after" $r)" ] ||
		fail "relay $r not forwarding after the move ($(sent "$after" $r) -> $(sent "$later" $r))"
done
out=$("$CL/core_scheduler" --stats-ep "$ST" --sched-ep "$CS" --once 2>&1) || fail "round 2"
grep -q "^updates=0$" <<<"$out" || fail "second round moved again: $out"
kill -TERM "$DAEMON_PID_d"
wait "$DAEMON_PID_d" || fail "daemon exit"
log PASS

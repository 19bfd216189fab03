#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A connected guest driven to zero enabled queues (issue 9), which neither
# QEMU nor virtio_user does: a Python vhost-user front-end
# (vhost_frontend.py, one queue pair, its own split-ring driver) on relays 0
# and 1, whose "VFs" are net_null sources. With ring 0 (the only guest RX
# queue) disabled the relay stays active, nothing reaches the guest and the
# VF's frames count as pkts_dropped_vm_not_connected; enabled again, frames
# flow. Then the guest TX ring, both rings, malformed messages, a guest
# closing its socket mid-way. Relay 1 must carry on throughout, every mbuf
# must come back. No timing is asserted: every wait has a deadline.
. "$(dirname "$0")/lib.sh"
CL=$BUILD/clients
mkdir -p "$WORK/ep" "$WORK/d" "$WORK/sock"
ST=ipc://$WORK/ep/stats
SOCK0=$WORK/sock/virtio-forwarder0.sock
SOCK1=$WORK/sock/virtio-forwarder1.sock

CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); log "ok $CHECKS: $*"; }

# the daemon's worker on CPU 1; the front-ends poll every 5 ms
"$DAEMON" -C 1 -n -p "$WORK/d" -V "$WORK/sock" --state-dir "$WORK/state" --zmq-stats-ep="$ST" \
	-P net_null0,size=64=0 -P net_null1,size=64=1 -u -g --idle-interrupts --idle-sleep-max-us=100 \
	-- --no-huge -m 256 -l 0,1 --file-prefix="${TAG}d" >"$WORK/d.log" 2>&1 &
DAEMON_PID_d=$!
PIDS+=("$DAEMON_PID_d")
wait_for 20 grep -q "ready:" "$WORK/d.log" || fail "daemon did not get ready"

# ---- front-ends: one Python process per guest, commands over fifos ----
. "$(dirname "$0")/frontend_lib.sh"
fe_rx() { fe "$1" rx; echo "${REPLY%% *}"; }         # frames the guest received
fe_badlen() { fe "$1" rx; echo "${REPLY##* }"; }     # of a length other than 12 + 64
fe_txdone() { fe "$1" tx; echo "${REPLY%% *}"; }     # TX frames the back-end took

# ---- the daemon's view ----
st() { "$CL/stats" --stats-ep "$ST" --delay 0 --include-inactive 2>&1; }
# sum TEXT RELAY DIR KEY: a counter summed over the direction's cpu lines
sum() {
	awk -F= -v k="relay_$2.$3." -v c=".$4" 'index($1, k) == 1 && $1 ~ /\.cpu_[0-9]+\./ &&
		substr($1, length($1) - length(c) + 1) == c { s += $2 } END { print s + 0 }' <<<"$1"
}
stat() { local t; t=$(st) || fail "stats: $t"; sum "$t" "$@"; }
flag() { local t; t=$(st) || fail "stats: $t"; sed -n "s/^relay_$1\\.$2=//p" <<<"$t"; }
gt() { [ "$("${@:2}")" -gt "$1" ]; } # gt N CMD...: CMD prints more than N
is() { [ "$("${@:2}")" = "$1" ]; }   # is VALUE CMD...
# wait_grow SECS N CMD...: until CMD prints more than N
wait_grow() { local s=$1; shift; wait_for "$s" gt "$@"; }

# vf_to_vm adds up from one response: rx - tx - drops is what stashes hold
# (RELAY_STASH = 256 per unit, one unit per VF queue); exact with EXACT=1
adds_up() { # adds_up RELAY
	local t rx tx qf nc inv big units held
	t=$(st) || fail "stats: $t"
	rx=$(sum "$t" "$1" vf_to_vm pkts_rx_from_vf)
	tx=$(sum "$t" "$1" vf_to_vm pkts_tx_to_vm)
	qf=$(sum "$t" "$1" vf_to_vm pkts_dropped_vm_queue_full)
	nc=$(sum "$t" "$1" vf_to_vm pkts_dropped_vm_not_connected)
	inv=$(sed -n "s/^relay_$1\\.vf_to_vm\\.pkts_dropped_invalid=//p" <<<"$t")
	big=$(sed -n "s/^relay_$1\\.vf_to_vm\\.pkts_dropped_too_big=//p" <<<"$t")
	units=$(sed -n "s/^relay_$1\\.vf_queues=//p" <<<"$t")
	held=$((rx - tx - qf - nc - inv - big))
	log "relay $1 vf_to_vm: rx=$rx tx=$tx queue_full=$qf not_connected=$nc held=$held"
	if [ "${EXACT:-0}" = 1 ]; then
		[ "$held" -eq 0 ] || fail "relay $1: rx != tx + drops ($held)"
	else
		[ "$held" -ge 0 ] && [ "$held" -le $((256 * ${units:-1})) ] ||
			fail "relay $1: rx - tx - drops = $held"
	fi
}
mbufs() { daemon_stat d mempool.mbufs_in_use; }
dump_is() { [ "$(daemon_stat d "relay_$1.$2")" = "$3" ]; } # dump_is RELAY KEY VALUE
relay_waiting() { # the relay is back to waiting for a guest, its VF stopped
	local t
	t=$(st) || return 1
	grep -qx "relay_$1.active=False" <<<"$t" &&
		grep -qx "relay_$1.vm_to_vf.internal_state=VIRTIO_UNINIT" <<<"$t" &&
		grep -qx "relay_$1.vf_to_vm.internal_state=DPDK_ADDED" <<<"$t"
}
relay_active() { is True flag "$1" active; }

baseline=$(mbufs)
log "mbufs in use with no guest: $baseline"
relay_waiting 0 && relay_waiting 1 || fail "relays not waiting at start"
ok "relays 0 and 1 wait for a guest"

# ---- 1. both rings enabled: frames reach the guest ----
start_fe a "$SOCK0"
start_fe b "$SOCK1"
fe a connect
fe b connect
wait_for 20 relay_active 0 || fail "relay 0 not active"
wait_for 20 relay_active 1 || fail "relay 1 not active"
wait_for 10 dump_is 0 guest_rxq_enabled 0x1 || fail "relay 0: rx mask not 0x1"
ok "front-ends connected, relays active, relay 0 rx mask 0x1"
wait_grow 20 1000 fe_rx a || fail "guest a receives nothing"
wait_grow 20 1000 fe_rx b || fail "guest b receives nothing"
[ "$(fe_badlen a)" = 0 ] || fail "guest a: frames of a wrong length"
ok "both guests receive, every frame 12 + 64 bytes"
got=$(fe_rx a) # first: the guest may reap more after the stats are read
tx=$(stat 0 vf_to_vm pkts_tx_to_vm)
[ "$tx" -ge "$got" ] || fail "pkts_tx_to_vm $tx < $got frames the guest received"
ok "relay 0 pkts_tx_to_vm=$tx covers the $got frames the guest reaped"
fe a send 32
wait_for 10 is 32 fe_txdone a || fail "guest TX not taken"
wait_for 10 is 32 stat 0 vm_to_vf pkts_tx_to_vf || fail "guest TX not counted to the VF"
ok "32 guest TX frames sent to the VF"
adds_up 0
ok "relay 0 adds up"

# ---- 2. the only RX queue disabled ----
fe a enable 0 0
[ "$REPLY" = ack=0 ] || fail "disable ring 0: $REPLY"
wait_for 10 dump_is 0 guest_rxq_enabled 0x0 || fail "relay 0: rx mask not 0x0"
ok "ring 0 disabled, relay 0 rx mask 0x0"
nc0=$(stat 0 vf_to_vm pkts_dropped_vm_not_connected)
wait_grow 10 "$nc0" stat 0 vf_to_vm pkts_dropped_vm_not_connected || fail "no not_connected drops"
# the worker has seen the mask: from here nothing may reach the guest
tx1=$(stat 0 vf_to_vm pkts_tx_to_vm)
rx1=$(fe_rx a)
nc1=$(stat 0 vf_to_vm pkts_dropped_vm_not_connected)
b1=$(fe_rx b)
wait_grow 10 $((nc1 + 100000)) stat 0 vf_to_vm pkts_dropped_vm_not_connected ||
	fail "not_connected does not keep growing"
wait_grow 20 $((b1 + 1000)) fe_rx b || fail "relay 1 stuck while relay 0 has no RX queue"
tx2=$(stat 0 vf_to_vm pkts_tx_to_vm)
rx2=$(fe_rx a)
[ "$tx2" = "$tx1" ] || fail "pkts_tx_to_vm grew with no RX queue ($tx1 -> $tx2)"
[ "$rx2" = "$rx1" ] || fail "the guest received with ring 0 disabled ($rx1 -> $rx2)"
ok "no RX queue: pkts_tx_to_vm stays $tx1, the guest gets nothing"
ok "no RX queue: VF frames counted as pkts_dropped_vm_not_connected (> $((nc1 + 100000)))"
ok "relay 1 keeps forwarding meanwhile"
[ "$(flag 0 active)" = True ] || fail "relay 0 not active with ring 0 disabled"
ok "relay 0 still active"
fe a send 32
wait_for 10 is 64 fe_txdone a || fail "guest TX stuck with its RX queue disabled"
ok "guest TX still taken with its RX queue disabled"
adds_up 0
ok "relay 0 adds up with no RX queue"
m=$(mbufs)
[ "$m" -le $((baseline + 2 * 256 + 2 * 2 * 32)) ] || fail "$m mbufs in use with no RX queue"
ok "mbufs in use $m (two flooded relays)"

# ---- 3. enabled again ----
fe a enable 0 1
wait_for 10 dump_is 0 guest_rxq_enabled 0x1 || fail "relay 0: rx mask not back to 0x1"
wait_grow 20 $((rx2 + 1000)) fe_rx a || fail "nothing received after re-enabling ring 0"
[ "$(stat 0 vf_to_vm pkts_tx_to_vm)" -gt "$tx2" ] || fail "pkts_tx_to_vm did not grow again"
[ "$(fe_badlen a)" = 0 ] || fail "frames of a wrong length"
ok "ring 0 enabled again: frames flow to the guest"

# ---- 4. the guest TX ring disabled, then both ----
fe a enable 1 0
wait_for 10 dump_is 0 guest_txq_enabled 0x0 || fail "relay 0: tx mask not 0x0"
fv=$(stat 0 vm_to_vf pkts_rx_from_vm)
fe a send 32
r=$(fe_rx a)
# the worker makes many passes while 1000 frames reach the guest
wait_grow 20 $((r + 1000)) fe_rx a || fail "RX stopped with the TX ring disabled"
[ "$(fe_txdone a)" = 64 ] || fail "a disabled TX ring was read"
[ "$(stat 0 vm_to_vf pkts_rx_from_vm)" = "$fv" ] || fail "pkts_rx_from_vm grew with TX disabled"
ok "TX ring disabled: its frames wait, RX still flows"
fe a enable 1 1
wait_for 10 is 96 fe_txdone a || fail "TX frames not taken after re-enabling ring 1"
wait_for 10 is 96 stat 0 vm_to_vf pkts_tx_to_vf || fail "pkts_tx_to_vf not 96"
ok "TX ring enabled again: the 32 waiting frames go to the VF"
fe a enable 0 0
fe a enable 1 0
wait_for 10 dump_is 0 guest_rxq_enabled 0x0 || fail "rx mask not 0x0"
wait_for 10 dump_is 0 guest_txq_enabled 0x0 || fail "tx mask not 0x0"
nc1=$(stat 0 vf_to_vm pkts_dropped_vm_not_connected)
wait_grow 10 "$nc1" stat 0 vf_to_vm pkts_dropped_vm_not_connected || fail "no drops"
rx1=$(fe_rx a)
tx1=$(stat 0 vf_to_vm pkts_tx_to_vm)
fe a send 32
b1=$(fe_rx b)
wait_grow 10 $((nc1 + 100000)) stat 0 vf_to_vm pkts_dropped_vm_not_connected || fail "drops stopped"
wait_grow 20 $((b1 + 1000)) fe_rx b || fail "relay 1 stuck"
[ "$(fe_rx a)" = "$rx1" ] && [ "$(stat 0 vf_to_vm pkts_tx_to_vm)" = "$tx1" ] ||
	fail "frames reached a guest with no queue enabled"
[ "$(fe_txdone a)" = 96 ] || fail "a disabled TX ring was read"
[ "$(flag 0 active)" = True ] || fail "relay 0 not active with every ring disabled"
ok "every ring disabled: relay 0 active, drops counted, nothing moves, relay 1 forwards"
fe a enable 0 1
fe a enable 1 1
wait_grow 20 $((rx1 + 1000)) fe_rx a || fail "RX not back"
wait_for 10 is 128 fe_txdone a || fail "TX not back"
ok "both rings enabled again: RX and TX flow"

# ---- 5. malformed messages ----
fe a bad unknown_request
[ "$REPLY" = ack=1 ] || fail "unknown request: $REPLY"
ok "an unknown request is refused (ack 1), connection kept"
# rings 2..5 come into being unset: not ready, so no state change
fe a enable 5 1
log "SET_VRING_ENABLE 1 on ring 5 of a 1-pair device: $REPLY"
fe a bad addr_outside
log "SET_VRING_ADDR outside guest memory on ring 3: $REPLY"
fe a enable 3 1
# toggling ring 0 makes the relay count the guest's rings again
fe a enable 0 0
fe a enable 0 1
r=$(fe_rx a)
wait_grow 20 $((r + 1000)) fe_rx a || fail "relay 0 stopped after rings beyond the device's"
wait_grow 20 $(($(fe_rx b) + 1000)) fe_rx b || fail "relay 1 stopped"
fe a send 32
wait_for 10 is 160 fe_txdone a || fail "TX stopped after rings beyond the device's"
log "relay 0 now counts $(flag 0 guest_queue_pairs) guest queue pairs, $(flag 0 vf_queues) VF queues"
[ "$(flag 0 active)" = True ] || fail "relay 0 not active"
ok "enables and addresses of rings beyond the negotiated pair: relay 0 keeps forwarding"
adds_up 0
ok "relay 0 adds up"
# every RX descriptor outside guest memory: librte_vhost cannot map them
fe a poke_desc 0x10000000000
r=$(fe_rx a)
qf=$(stat 0 vf_to_vm pkts_dropped_vm_queue_full)
wait_grow 10 $((qf + 1000)) stat 0 vf_to_vm pkts_dropped_vm_queue_full ||
	fail "frames for unmappable buffers not dropped as queue_full"
r2=$(fe_rx a) # at most the 256 buffers used before the poke came after r
qf=$(stat 0 vf_to_vm pkts_dropped_vm_queue_full)
wait_grow 10 $((qf + 1000)) stat 0 vf_to_vm pkts_dropped_vm_queue_full || fail "queue_full stopped"
r3=$(fe_rx a)
[ "$r2" -le $((r + 256)) ] && [ "$r3" = "$r2" ] ||
	fail "frames received into unmappable buffers ($r -> $r2 -> $r3)"
ok "RX descriptors outside guest memory: frames dropped as queue_full"
fe a fix_desc
wait_grow 20 $((r3 + 1000)) fe_rx a || fail "RX not back after fixing the descriptors"
[ "$(fe_badlen a)" = 0 ] || fail "frames of a wrong length"
ok "descriptors fixed: frames flow again"
m=$(mbufs)
[ "$m" -le $((baseline + 4 * 256 + 4 * 2 * 32)) ] || fail "$m mbufs in use"
ok "mbufs in use $m"
# a ring index librte_vhost refuses: it hangs up
fe a bad vring_index_huge
[ "$REPLY" = closed ] || fail "ring 1000: $REPLY"
wait_for 10 relay_waiting 0 || fail "relay 0 not back to waiting after a refused ring index"
kill -0 "$DAEMON_PID_d" || fail "daemon died"
ok "SET_VRING_ENABLE on ring 1000: connection closed, relay 0 waits again"
# ENABLE before each ring's NUM/ADDR/KICK (allowed with PROTOCOL_FEATURES)
fe a connect enable_first
wait_for 20 relay_active 0 || fail "relay 0 not active after enable_first"
wait_grow 20 1000 fe_rx a || fail "nothing received after enable_first"
ok "rings enabled before their addresses: the relay forwards"
fe a bad short_payload
[ "$REPLY" = closed ] || fail "short payload: $REPLY"
wait_for 10 relay_waiting 0 || fail "relay 0 not back to waiting after a short message"
ok "a truncated message: connection closed, relay 0 waits again"

# ---- 6. a guest that closes its socket mid-way ----
fe a connect
wait_for 20 relay_active 0 || fail "relay 0 not active"
wait_grow 20 1000 fe_rx a || fail "nothing received"
fe a send 32
fe a close
wait_for 10 relay_waiting 0 || fail "relay 0 not back to waiting after the guest closed"
wait_grow 20 $(($(fe_rx b) + 1000)) fe_rx b || fail "relay 1 stuck after relay 0's guest left"
kill -0 "$DAEMON_PID_d" || fail "daemon died"
ok "the guest closed its socket under traffic: relay 0 waits again, relay 1 forwards"
fe a connect
wait_for 20 relay_active 0 || fail "relay 0 not active after reconnecting"
wait_grow 20 1000 fe_rx a || fail "nothing received after reconnecting"
ok "a new guest on relay 0 receives"
fe a enable 0 0
wait_for 10 dump_is 0 guest_rxq_enabled 0x0 || fail "rx mask not 0x0"
fe a close # gone with no queue enabled
fe b close
wait_for 10 relay_waiting 0 || fail "relay 0 not waiting"
wait_for 10 relay_waiting 1 || fail "relay 1 not waiting"
ok "guests gone (one with no queue enabled): both relays wait"
EXACT=1 adds_up 0
EXACT=1 adds_up 1
ok "relays 0 and 1: rx = tx + drops exactly"
m=$(mbufs)
[ "$m" = "$baseline" ] || fail "$m mbufs in use, $baseline before any guest"
ok "every mbuf back ($m in use, as before any guest)"
fe a quit
fe b quit

kill -TERM "$DAEMON_PID_d"
wait "$DAEMON_PID_d" || fail "daemon exited with $?"
! grep -q "mbufs not returned" "$WORK/d.log" || fail "mbuf leak reported at exit"
ok "daemon exits 0, no mbuf reported missing"
log "PASS: $CHECKS checks"

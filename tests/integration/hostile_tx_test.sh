#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A hostile guest's TX (issue 16, items 1-3): crafted virtio-net headers and
# frames from vhost_frontend.py (txraw) on relay 0, whose "VF" is net_pcap
# writing every frame it is given to a file (rx from a veth of MTU 9000),
# daemon with --enable-tso --enable-mrgbuf --enable-jumbo. Relay 1 (VF
# net_null, a second front-end) is the neighbour that must keep forwarding.
# Cases: runts, over-MTU plain frames, TSO frames whose segments would be
# over the max frame (gso_size 12000, IHL 15 + doff 15 + gso_size 65535),
# an IP fragment flagged TSO, IHL or TCP data offset under 5, an MSS under
# 64, headers split over descriptors, big valid TSO frames, a 13-byte frame
# ahead of 30 good ones. After each: the daemon is alive, the counters add
# up (rx - segmented + segments = tx + drops) with the expected reason,
# the capture holds exactly tx frames, none under 14 bytes or over the max
# frame, and the neighbour forwards both ways. Then relay 2, whose VF is a
# tap with checksum offloads: the same checks before the PMD gets the
# guest's lengths (through rte_eth_tx_prepare).
# At the end every mbuf is back.
. "$(dirname "$0")/lib.sh"
CL=$BUILD/clients
mkdir -p "$WORK/ep" "$WORK/d" "$WORK/sock"
ST=ipc://$WORK/ep/stats
SOCK0=$WORK/sock/virtio-forwarder0.sock
SOCK1=$WORK/sock/virtio-forwarder1.sock
SOCK2=$WORK/sock/virtio-forwarder2.sock
CAP=$WORK/vf0.pcap
MAXF=9018 # --enable-jumbo: MTU 9000 + Ethernet header + one VLAN tag

CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); log "ok $CHECKS: $*"; }

make_netns
ip netns exec "$NS_VF" ip link add vf0 type veth peer name vfpeer
ip netns exec "$NS_VF" ip link set vf0 mtu 9000
ip netns exec "$NS_VF" ip link set vfpeer mtu 9000
ip netns exec "$NS_VF" ip link set vf0 up
ip netns exec "$NS_VF" ip link set vfpeer up
start_daemon d --zmq-stats-ep="$ST" --enable-tso --enable-mrgbuf --enable-jumbo \
	-P "net_pcap0,rx_iface=vf0,tx_pcap=$CAP=0" -P net_null1,size=64=1 -P net_tap2,iface=tvf2=2

# ---- front-ends (frontend_lib.sh: start_fe, fe) ----
. "$(dirname "$0")/frontend_lib.sh"
fe_rx() { fe "$1" rx; echo "${REPLY%% *}"; }
fe_txdone() { fe "$1" tx; echo "${REPLY%% *}"; }
fe_txposted() { fe "$1" tx; echo "${REPLY##* }"; }

# ---- the daemon's view: one stats response, relay 0's vm_to_vf ----
st() { "$CL/stats" --stats-ep "$ST" --delay 0 --include-inactive 2>&1; }
# val TEXT RELAY KEY: relay_R.vm_to_vf.KEY, or its sum over the cpu lines
val() {
	awk -F= -v k="relay_$2.vm_to_vf." -v c=".$3" -v whole="relay_$2.vm_to_vf.$3" '
		$1 == whole { w = $2; have = 1 }
		index($1, k) == 1 && $1 ~ /\.cpu_[0-9]+\./ && substr($1, length($1) - length(c) + 1) == c { s += $2 }
		END { print have ? w : s + 0 }' <<<"$1"
}
KEYS="pkts_rx_from_vm pkts_tx_to_vf pkts_segmented pkts_segments pkts_dropped_runt
	pkts_dropped_malformed pkts_dropped_too_big pkts_dropped_invalid pkts_dropped_vf_queue_full
	pkts_dropped_vf_not_connected pkts_dropped_no_mbuf pkts_dropped_bad_chain"
declare -A C P # counters now, and at the previous case's end
snap() {
	local t k
	t=$(st) || fail "stats: $t"
	for k in $KEYS; do C[$k]=$(val "$t" "$R" "$k"); done
}
d() { echo $((C[$1] - P[$1])); } # a counter's change in this case

# the capture: frame count, shortest, longest (Python, stdlib)
capture() {
	python3 - "$CAP" <<-'EOF'
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	n, lo, hi, off = 0, 1 << 30, 0, 24
	while off + 16 <= len(data):
	    incl, orig = struct.unpack_from("<II", data, off + 8)
	    if off + 16 + incl > len(data):
	        break
	    n, lo, hi = n + 1, min(lo, orig), max(hi, orig)
	    off += 16 + incl
	print(n, lo if n else 0, hi)
	EOF
}
cap_count() { local c; c=$(capture); echo "${c%% *}"; }

# ---- relay 1, the neighbour: frames both ways ----
nb_tx() { local t; t=$(st) && val "$t" 1 pkts_tx_to_vf; }
neighbour_ok() {
	local rx0 tx0
	rx0=$(fe_rx b)
	wait_for 10 test "$(fe_rx b)" -gt $((rx0 + 100)) || fail "neighbour receives nothing"
	tx0=$(nb_tx)
	fe b send 32
	wait_for 10 test "$(nb_tx)" -ge $((tx0 + 32)) || fail "neighbour's TX does not reach its VF"
}

# case NAME: after posting, wait until the guest's chains are consumed and
# the counters settle, then check them against EXPECT ("key=delta ...")
# R: the relay under test, FE its front-end
R=0 FE=a
declare -A POSTED=([a]=0 [c]=0)
post() { # post TXRAW-ARGS...: one txraw, counted
	fe "$FE" txraw "$@"
	POSTED[$FE]=$((POSTED[$FE] + ${9:-1}))
}
check_case() {
	local name=$1 expect=$2 e k want rx drops
	wait_for 10 is "${POSTED[$FE]}" fe_txdone "$FE" || fail "$name: the guest's chains not all consumed"
	wait_for 10 settled || fail "$name: counters do not settle"
	snap
	for e in $expect; do
		k=${e%%=*} want=${e#*=}
		[ "$(d "$k")" = "$want" ] || fail "$name: $k changed by $(d "$k"), want $want"
	done
	for k in pkts_dropped_vf_queue_full pkts_dropped_vf_not_connected pkts_dropped_no_mbuf \
		pkts_dropped_bad_chain; do
		[[ " $expect " == *" $k="* ]] || [ "$(d "$k")" = 0 ] || fail "$name: $k changed by $(d "$k")"
	done
	rx=$(d pkts_rx_from_vm)
	drops=$(($(d pkts_dropped_runt) + $(d pkts_dropped_malformed) + $(d pkts_dropped_too_big) +
		$(d pkts_dropped_invalid) + $(d pkts_dropped_vf_queue_full) +
		$(d pkts_dropped_vf_not_connected) + $(d pkts_dropped_no_mbuf) +
		$(d pkts_dropped_bad_chain)))
	[ $((rx - $(d pkts_segmented) + $(d pkts_segments))) = $(($(d pkts_tx_to_vf) + drops)) ] ||
		fail "$name: rx $rx - segmented + segments != tx $(d pkts_tx_to_vf) + drops $drops"
	local c n=- lo=- hi=-
	[ "$R" != 0 ] || wait_for 5 is "${C[pkts_tx_to_vf]}" cap_count || fail "$name: capture has $(cap_count) frames, tx ${C[pkts_tx_to_vf]}"
	[ "$R" != 0 ] || { c=$(capture); read -r n lo hi <<<"$c"; }
	[ "$R" != 0 ] || [ "$n" = 0 ] || { [ "$lo" -ge 14 ] && [ "$hi" -le $MAXF ]; } ||
		fail "$name: the VF got a frame of $lo or $hi bytes"
	kill -0 "$DAEMON_PID_d" || fail "$name: daemon died"
	neighbour_ok
	ok "$name: $(for k in $KEYS; do [ "$(d "$k")" = 0 ] || printf '%s+%s ' "${k#pkts_}" "$(d "$k")"; done)(capture: $n frames, $lo..$hi B)"
	for k in $KEYS; do P[$k]=${C[$k]}; done
}
settled() { # two responses 0.2 s apart agree on rx, tx and the drops
	local a b
	a=$(st | grep -E "^relay_$R\.vm_to_vf\..*(pkts_rx|pkts_tx|dropped|segment)" | sort)
	sleep 0.2
	b=$(st | grep -E "^relay_$R\.vm_to_vf\..*(pkts_rx|pkts_tx|dropped|segment)" | sort)
	[ "$a" = "$b" ]
}
is() { [ "$("${@:2}")" = "$1" ]; }

mbufs() { daemon_stat d mempool.mbufs_in_use; }
baseline=$(mbufs)
log "mbufs in use with no guest: $baseline"

start_fe a "$SOCK0"
start_fe b "$SOCK1"
fe a features 0x1801 # CSUM, HOST_TSO4, HOST_TSO6: the guest may flag offloads
fe a connect
fe b connect
flag_active() { local t; t=$(st) && sed -n "s/^relay_$1\\.active=//p" <<<"$t"; }
wait_for 20 is True flag_active 0 || fail "relay 0 not active"
wait_for 20 is True flag_active 1 || fail "relay 1 not active"
snap
for k in $KEYS; do P[$k]=${C[$k]}; done
neighbour_ok
ok "both front-ends connected, the neighbour forwards"

# virtio-net header fields: flags gso_type hdr_len gso_size csum_start csum_offset
NONE="0 0 0 0 0 0"
NEEDS_CSUM=1 TCPV4=1
tso() { echo "$NEEDS_CSUM $TCPV4 $1 $2 $3 16"; } # tso HDR_LEN GSO_SIZE CSUM_START

# ---- 1. good frames go through (the reference) ----
post $NONE raw:60 - 8
post $(tso 54 1448 34) tcp4:100 -  # a TSO frame that fits one segment
check_case "good frames" "pkts_tx_to_vf=9"

# ---- 2. runts: 1..13 bytes, and a frame of the header alone ----
for len in $(seq 1 13); do post $NONE raw:$len -; done
check_case "runts 1..13 B" "pkts_dropped_runt=13 pkts_tx_to_vf=0"
post $NONE raw:0 -
# librte_vhost consumes and drops it itself (nothing after the header):
# counted by the relay as bad_chain within 64 polls of the queue
check_case "0-byte frame" "pkts_tx_to_vf=0 pkts_dropped_bad_chain=1"

# ---- 3. over-MTU plain frames ----
post $NONE raw:9014 -              # untagged, MTU 9000: the longest
post $NONE tcp4:8960,vlan -        # tagged: 9018
post $NONE raw:9015 -
post $NONE tcp4:8961,vlan -        # tagged 9019
post $NONE raw:20000 -
check_case "over-MTU plain frames" "pkts_tx_to_vf=2 pkts_dropped_too_big=3"

# ---- 4. the TSO bypasses ----
post $(tso 54 12000 34) tcp4:36000 -                     # 12054-byte segments
post $(tso 54 1448 34) tcp4:20000,frag -                 # a fragment flagged TSO
post $NEEDS_CSUM $TCPV4 134 65535 74 16 tcp4:30000,ihl=15,doff=15 -
post $(tso 54 9000 34) tcp4:60000 -                      # 9054-byte segments
check_case "TSO bypasses" "pkts_dropped_too_big=3 pkts_dropped_malformed=1 pkts_tx_to_vf=0"
post $(tso 54 8960 34) tcp4:60000 -                      # 9014-byte segments: 7
post $(tso 54 1448 34) tcp4:60000 -                      # 42 segments
check_case "big valid TSO frames" "pkts_segmented=2 pkts_segments=49 pkts_tx_to_vf=49"

# ---- 5. bad L3/L4 lengths, an MSS under 64 ----
post $(tso 50 1448 30) tcp4:3000,ihl=4 -
post $(tso 50 1448 34) tcp4:3000,doff=4 -
post $(tso 54 1 34) tcp4:3000 -
post $(tso 54 63 34) tcp4:3000 -
check_case "IHL 4, doff 4, MSS 1 and 63" "pkts_dropped_malformed=4 pkts_tx_to_vf=0"

# ---- 6. headers split over descriptors ----
post $(tso 54 1448 34) tcp4:3000 12,10      # virtio header, then 10 bytes of Ethernet
post $(tso 54 1448 34) tcp4:3000 12,1,1,1   # one byte a descriptor
post $NONE raw:60 13,1
check_case "headers over several descriptors" "pkts_segmented=2 pkts_segments=6 pkts_tx_to_vf=7"

# ---- 7. a 13-byte frame ahead of 30 good ones ----
post $NONE raw:13 -
post $NONE raw:60 - 30
check_case "13 B then 30 good frames" "pkts_dropped_runt=1 pkts_tx_to_vf=30"

# ---- 8. a VF with offloads (net_tap: checksums): requests go to the PMD ----
# relay 2: what reaches the tap is checked the same way, then frames that
# keep a checksum request, and the software TSO segments (which ask the VF
# for their TCP checksum), go through rte_eth_tx_prepare (MTU 1504 here)
capa=$(sed -n 's/.*relay 2: vf net_tap2.*tx offloads \(0x[0-9a-f]*\).*/\1/p' "$WORK/d.log")
tmtu=$(sed -n 's/.*relay 2: vf net_tap2.*, mtu \([0-9]*\),.*/\1/p' "$WORK/d.log")
log "relay 2: tap VF tx offloads $capa, mtu $tmtu"
[ -n "$tmtu" ] || fail "relay 2: no VF MTU in the log"
ip netns exec "$NS_VF" ip link set tvf2 up
[ $((capa & 0x8)) != 0 ] || fail "the tap VF has no TCP checksum offload (tx offloads $capa): case 8 proves nothing"
start_fe c "$SOCK2"
fe c features 0x1801
fe c connect
wait_for 20 is True flag_active 2 || fail "relay 2 not active"
R=2 FE=c
k0=$(ifstat "$NS_VF" tvf2 rx_packets)
snap
for k in $KEYS; do P[$k]=${C[$k]}; done
post $NEEDS_CSUM 0 0 0 34 16 tcp4:100 -        # a checksum the tap completes
post $(tso 54 1448 34) tcp4:3000 -             # 3 segments
post $(tso 54 $((tmtu - 40)) 34) tcp4:3000 -   # MTU + 14-byte segments, the most: 3
post $(tso 54 $((tmtu - 39)) 34) tcp4:3000 -   # one more
post $(tso 54 12000 34) tcp4:36000 -
post $(tso 54 1448 34) tcp4:3000,frag -
post $(tso 50 1448 34) tcp4:3000,doff=4 -
post $(tso 54 8 34) tcp4:3000 -
post $NONE raw:13 -
post $NONE raw:$((tmtu + 15)) -
post $NONE raw:60 - 30
check_case "tap VF with checksum offloads" "pkts_tx_to_vf=37 pkts_segmented=2 pkts_segments=6 pkts_dropped_too_big=3 pkts_dropped_malformed=3 pkts_dropped_runt=1"
wait_for 5 is $((k0 + 37)) ifstat "$NS_VF" tvf2 rx_packets ||
	fail "the tap's kernel side got $(($(ifstat "$NS_VF" tvf2 rx_packets) - k0)) frames, not 37"
ok "the tap's kernel side got the 37 frames, $(ifstat "$NS_VF" tvf2 rx_errors) rx errors"
fe c close
R=0 FE=a

# ---- the end: guests gone, every mbuf back ----
fe a close
fe b close
wait_for 10 is False flag_active 0 || fail "relay 0 still active"
wait_for 10 is False flag_active 1 || fail "relay 1 still active"
wait_for 10 is False flag_active 2 || fail "relay 2 still active"
m=$(mbufs)
[ "$m" = "$baseline" ] || fail "$m mbufs in use, $baseline before any guest"
ok "every mbuf back ($m in use)"
fe a quit
fe b quit
stop_daemon d
! grep -q "mbufs not returned" "$WORK/d.log" || fail "mbuf leak reported at exit"
ok "daemon exits 0"
log "PASS: $CHECKS checks"

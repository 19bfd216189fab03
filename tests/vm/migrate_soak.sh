#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Migration soak: one real guest moved back and forth between two vhost-user
# sockets of one forwarder, up to MOVES times or until SOAK_SECS have passed,
# counting the moves after which the guest's kernel is broken. It measures;
# it is not a CI test (meson suite 'soak', never run by default).
#
# Per move: a destination QEMU with -incoming, QMP migrate (bounded 60 s),
# the destination must run, answer a ping from the netns within 5 s, the
# TCP echo stream (netns -> guest :7777, checked byte for byte) must have
# moved on since the move, and the guest console must hold none of
# 'BUG:', 'Oops', 'soft lockup', 'not a head', 'general protection',
# 'Kernel panic', 'list_del corruption'. The first move that fails ends the
# run (the guest is dead). Every QEMU is ended by its -pidfile.
#
# Environment:
#   FORWARDER=vfwd|testpmd  our daemon (server mode, relays 1 and 2) or
#                           dpdk-testpmd io-fwd with two net_vhost ports
#   MRGBUF=on|off           mergeable RX buffers: the daemon's -R, and the
#                           guest NIC's mrg_rxbuf (off: QEMU mrg_rxbuf=off,
#                           for testpmd, whose net_vhost always offers it)
#   RING=split|packed       QEMU packed=on for packed
#   MOVES=50 SOAK_SECS=240  bounds of one run (the shared lock: ~5 min)
#   RATE=300000             bytes/s of the echo stream
#   MEM=262152K             guest RAM (run-guest.sh); 256 (MiB) gives QEMU
#                           7.2's lost TCG writes (docs/live-migration.md)
#   TCG=single|multi        QEMU's TCG threading
#   VHOST_DEBUG=1           librte_vhost's config log at debug level (our
#                           daemon and testpmd): GET_VRING_BASE values etc.
#   TRAFFIC=off             no echo stream and no ping: the relay writes
#                           nothing into the guest, which instead keeps
#                           copying files in its tmpfs (a control for MEMCMP:
#                           pages that only the guest CPU wrote)
#   MEMCMP=1                the destination starts paused (-S); after each
#                           migration both guests' RAM is saved (pmemsave,
#                           source paused after its device stopped,
#                           destination before its device starts) and the
#                           4 KiB pages that differ are printed
#                           ("memcmp move K: N pages differ ..."): pages
#                           written and not sent, which a correct migration
#                           never leaves
# Last line: "SOAK fwd=F mrg=M ring=R moves=N crashed=0|1 reason=..." (moves
# counts the good ones). Exit 0 if no crash, 1 on a crash, 2 on a set-up
# failure (nothing measured).
. "$(dirname "$0")/../integration/lib.sh"
FWD=${FORWARDER:-vfwd}
MRG=${MRGBUF:-on}
RING=${RING:-split}
MOVES=${MOVES:-50}
SOAK_SECS=${SOAK_SECS:-240}
export MEM=${MEM:-262152K}
MEM_BYTES=$(mem_bytes "$MEM")
export RATE=${RATE:-300000}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$BUILD/vm-cache
PY=/usr/bin/python3
GUEST_IP=10.99.0.2
PEER_IP=10.99.0.1
MAC=52:54:00:99:00:02
moves=0
summary() { echo "SOAK fwd=$FWD mrg=$MRG ring=$RING mem=$MEM tcg=${TCG:-single} moves=$moves crashed=$1 reason=$2"; }
setup_fail() { summary 0 "setup: $*"; log "SETUP FAILED: $*"; exit 2; }
crash() {
	summary 1 "$*"
	grep -h -E -B2 -A12 "BUG:|Oops|soft lockup|not a head|general protection|Kernel panic|list_del" \
		"$WORK"/vm*.log | head -60 || true
	grep -h -i "mismatch\|maybe resent\|vring base" "$WORK"/fwd.log | tail -10 || true
	exit 1
}

"$HERE/build-guest.sh" "$CACHE"
make_netns
ns() { ip netns exec "$NS_VF" "$@"; }
mkdir -p "$WORK/sock"
SOCKS=("$WORK/sock/virtio-forwarder1.sock" "$WORK/sock/virtio-forwarder2.sock")
VF=(vf1 vf2)
DEV=(net_tap0,iface=vf1 net_tap1,iface=vf2)
NIC=,guest_announce=off
[ "$RING" = packed ] && NIC="$NIC,packed=on"
[ "$MRG" = off ] && NIC="$NIC,mrg_rxbuf=off"
DBG=()
churn=
[ "${TRAFFIC:-on}" = off ] && churn=vmt_churn=1
[ -n "${VHOST_DEBUG:-}" ] && DBG=(--log-level=lib.vhost.config:debug)

start_qemu() { # K SIDE [INCOMING]
	local extra=
	[ -n "${3:-}" ] && [ -n "${MEMCMP:-}" ] && extra=-S
	APPEND_EXTRA=$churn QEMU_EXTRA=$extra PIDFILE=$WORK/vm$1.qemu.pid QMP=$WORK/vm$1.qmp INCOMING=${3:-} TCG_THREAD=${TCG:-single} \
		MAC=$MAC NIC_OPTS=$NIC GUEST_SCRIPT=$HERE/migrate-guest.sh \
		"$HERE/run-guest.sh" "$CACHE" "${SOCKS[$2]}" client $GUEST_IP/24 $PEER_IP 0 0 0 \
		>"$WORK/vm$1.log" 2>&1 &
	PIDS+=($!)
}

if [ "$FWD" = testpmd ]; then
	# --stats-period: without it testpmd reads stdin and ends at its EOF.
	# ip netns exec execs: $! is testpmd itself, which cleanup must end
	# (it holds the test lock's fd)
	ip netns exec "$NS_VF" stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 1 --file-prefix="${TAG}t" --no-huge -m 512 \
		"${DBG[@]}" --no-pci --vdev "net_vhost0,iface=${SOCKS[0]}" --vdev "${DEV[0]}" \
		--vdev "net_vhost1,iface=${SOCKS[1]}" --vdev "${DEV[1]}" -- --forward-mode=io \
		--auto-start --total-num-mbufs=16384 --stats-period 60 >"$WORK/fwd.log" 2>&1 &
	PIDS+=($!)
	wait_for 30 test -S "${SOCKS[1]}" || setup_fail "testpmd did not create its sockets"
else
	R=()
	[ "$MRG" = on ] && R=(-R)
	DAEMON_EAL="--no-huge -m 256 ${DBG[*]}" start_daemon fwd "${R[@]}" -P "${DEV[0]}=1" -P "${DEV[1]}=2"
fi
ns ip link add br0 address 02:99:00:00:00:01 type bridge stp_state 0 forward_delay 0
ns ip addr add $PEER_IP/24 dev br0
ns ip link set br0 up
for i in 0 1; do
	wait_for 10 ns ip link show "${VF[$i]}" || setup_fail "no tap ${VF[$i]}"
	ns ip link set "${VF[$i]}" master br0
done
start_qemu 0 0
wait_for 90 grep -q "VMT ECHO_READY" "$WORK/vm0.log" || setup_fail "guest did not come up"
if [ -n "$churn" ]; then
	echo 1 >"$WORK/progress" # no stream
else
PROGRESS=$WORK/progress ip netns exec "$NS_VF" $PY "$HERE/echo_stream.py" connect $GUEST_IP 7777 \
	"$WORK/stop" "$WORK/gaps.txt" >"$WORK/stream.log" 2>&1 &
PIDS+=($!)
wait_for 30 test -s "$WORK/progress" || setup_fail "the echo stream did not start"
fi
log "guest up: $(grep -o 'features=[0-9]*' "$WORK/vm0.log"); fwd=$FWD mrg=$MRG ring=$RING"

t_end=$((SECONDS + SOAK_SECS))
src=0
k=0
while [ $k -lt "$MOVES" ] && [ $SECONDS -lt $t_end ]; do
	k=$((k + 1))
	dst=$((1 - src))
	rm -f "$WORK/vm$((k - 2)).log" # keep the last two consoles only
	start_qemu "$k" $dst "unix:$WORK/mig$k.sock"
	$PY "$HERE/qmp.py" "$WORK/vm$k.qmp" wait inmigrate 30 >/dev/null || setup_fail "move $k: destination not ready"
	res=$(timeout 90 $PY "$HERE/qmp.py" "$WORK/vm$((k - 1)).qmp" migrate "unix:$WORK/mig$k.sock") ||
		crash "move $k: migration failed: $res"
	if [ -n "${MEMCMP:-}" ]; then
		$PY "$HERE/qmp.py" "$WORK/vm$k.qmp" left inmigrate 10 || crash "move $k: destination did not load"
		$PY "$HERE/qmp.py" "$WORK/vm$((k - 1)).qmp" rings | sed "s/^/move $k source /" || true
		$PY "$HERE/qmp.py" "$WORK/vm$k.qmp" rings | sed "s/^/move $k destination /" || true
		$PY "$HERE/qmp.py" "$WORK/vm$((k - 1)).qmp" pmemsave "$WORK/src.mem" $MEM_BYTES
		$PY "$HERE/qmp.py" "$WORK/vm$k.qmp" pmemsave "$WORK/dst.mem" $MEM_BYTES
		$PY "$HERE/qmp.py" "$WORK/vm$k.qmp" cont
		$PY "$HERE/memcmp.py" "$WORK/src.mem" "$WORK/dst.mem" "$k"
		rm -f "$WORK/src.mem" "$WORK/dst.mem"
	fi
	$PY "$HERE/qmp.py" "$WORK/vm$k.qmp" wait running 10 >/dev/null || crash "move $k: destination not running"
	before=$(cat "$WORK/progress")
	timeout 10 $PY "$HERE/qmp.py" "$WORK/vm$((k - 1)).qmp" quit >/dev/null 2>&1 || true
	end_qemu "$WORK/vm$((k - 1)).qemu.pid"
	if [ -z "$churn" ]; then
		ns busybox ping -c 1 -w 5 -i 0.2 -q $GUEST_IP >/dev/null || crash "move $k: no ping reply within 5 s"
		# TCP may sit in retransmission back-off after the pause (several
		# seconds on a loaded host): slow is reported, only 30 s is a stall
		t0=$(date +%s)
		for _ in $(seq 150); do
			[ "$(cat "$WORK/progress")" -gt "$before" ] && break
			sleep 0.2
		done
		if [ "$(cat "$WORK/progress")" -le "$before" ]; then
			# the host's side of the stream: retransmissions, RTO, back-off
			ip netns exec "$NS_VF" ss -tino state established
			crash "move $k: the echo stream stalled (30 s)"
		fi
		late=$(($(date +%s) - t0))
		[ $late -lt 5 ] || echo "move $k: the echo stream moved on after $late s"
	else
		sleep 1
		kill -0 "$(cat "$WORK/vm$k.qemu.pid")" 2>/dev/null || crash "move $k: the destination QEMU ended"
	fi
	if grep -q -E "BUG:|Oops|soft lockup|not a head|general protection|Kernel panic|list_del" "$WORK/vm$k.log"; then
		crash "move $k: the guest kernel complained"
	fi
	moves=$k
	echo "move $k: $(echo "$res" | $PY -c 'import json,sys; m=json.load(sys.stdin); print(m["total_ms"], "ms, downtime", m["downtime_ms"], "ms")')"
	src=$dst
done
: >"$WORK/stop"
summary 0 none

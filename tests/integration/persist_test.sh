#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Dynamic ports survive a restart (issue 18). Two add_sock relays carry
# pings: A with the forwarder as vhost client (the VM, a virtio_user
# testpmd with server=1, owns the socket and stays up), B with the
# forwarder as server (its VM reconnects, as QEMU does, after the restart).
# The daemon is SIGKILLed and restarted: both relays come back from the
# state file and traffic resumes (time printed). Then: a restart with B's
# VF gone keeps A; a corrupt and a truncated state file are kept aside and
# the daemon starts; repeated add/remove answers; --no-persist; a remove
# on an add_sock relay keeps its socket, on its relay id, without the VF.
. "$(dirname "$0")/lib.sh"
CL=$BUILD/clients

make_netns
mkdir -p "$WORK/ep"
PCEP=ipc://$WORK/ep/port_control
STEP=ipc://$WORK/ep/stats
STATE=$WORK/state
SA=$WORK/vmA.sock
SB=$WORK/vmB.sock
pc() { "$CL/port_control" --zmq_ep "$PCEP" "$@"; }
st() { "$CL/stats" --stats-ep "$STEP" --delay 0 --include-inactive; }
expect() { # expect RC [OUTPUT_REGEX] -- CMD...
	local rc=$1 pattern=$2 out got=0
	shift 3
	out=$("$@" 2>&1) || got=$?
	[ "$got" -eq "$rc" ] || fail "'$*' exited $got, expected $rc: $out"
	[ -z "$pattern" ] || grep -Eq "$pattern" <<<"$out" || fail "'$*' printed: $out"
}
daemon() { # daemon NAME ARGS...: dynamic sockets, port control, the shared state dir
	local name=$1
	shift
	start_daemon "$name" -d --zmq-port-control-ep="$PCEP" --zmq-stats-ep="$STEP" \
		--state-dir "$STATE" "$@"
}
# vm NAME SOCK TAP [server]: a virtio_user testpmd io-forwarding to TAP in NS_VM
# (--stats-period: without it testpmd waits for a key on stdin and quits at EOF)
vm() {
	local name=$1 sock=$2 tap=$3 extra=""
	[ "${4:-}" = server ] && extra=",server=1"
	ip netns exec "$NS_VM" stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 1 --file-prefix="${TAG}$name" \
		--no-huge -m 256 --no-pci --vdev "net_virtio_user0,path=$sock,queues=1$extra" \
		--vdev "net_tap0,iface=$tap" -- --forward-mode=io --auto-start \
		--total-num-mbufs=8192 --stats-period 5 >>"$WORK/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "VM_PID_$name=$!"
}
ips() { # the VFs' taps are made by each daemon anew
	local t
	for t in a b; do
		local n=1
		[ $t = b ] && n=2
		if ip netns exec "$NS_VF" ip link show "vf$t" >/dev/null 2>&1; then
			ip netns exec "$NS_VF" ip addr add "10.98.$n.1/24" dev "vf$t" 2>/dev/null || true
			ip netns exec "$NS_VF" ip link set "vf$t" up
		fi
		if ip netns exec "$NS_VM" ip link show "vm$t" >/dev/null 2>&1; then
			ip netns exec "$NS_VM" ip addr add "10.98.$n.2/24" dev "vm$t" 2>/dev/null || true
			ip netns exec "$NS_VM" ip link set "vm$t" up
		fi
	done
}
pings() { ping_ok "$NS_VF" "$1" 1; }
now_ms() { date +%s%3N; }

# --- two dynamic relays carrying traffic
vm vma "$SA" vma server
wait_for 20 test -S "$SA" || fail "VM A did not make its socket"
daemon d1
expect 0 '^$' -- pc add_sock --device net_tap0,iface=vfa --vhost-path "$SA" --vhost-mode client
expect 0 '^$' -- pc add_sock --device net_tap1,iface=vfb --vhost-path "$SB" --vhost-mode server
[ -S "$SB" ] || fail "server socket B missing"
vm vmb "$SB" vmb
wait_for 30 ip netns exec "$NS_VM" ip link show vmb || fail "VM B: no tap"
wait_for 30 ip netns exec "$NS_VM" ip link show vma || fail "VM A: no tap"
ips
wait_for 30 pings 10.98.1.2 || fail "no traffic on relay A"
wait_for 30 pings 10.98.2.2 || fail "no traffic on relay B"
log "both relays carry traffic"

# --- idempotent calls (answers documented in README "Idempotent calls")
expect 0 '^$' -- pc add_sock --device net_tap0,iface=vfa --vhost-path "$SA" --vhost-mode client
expect 0 '^$' -- pc add_sock --device net_tap1,iface=vfb --vhost-path "$SB"
expect 1 'error_code: 1$' -- pc add_sock --device net_tap9,iface=vfz --vhost-path "$SB"
expect 0 '^$' -- pc remove_sock --vhost-path "$WORK/never.sock"
expect 0 '^$' -- pc remove_sock --vhost-path "$WORK/never.sock"
expect 0 '^$' -- pc add --virtio-id 7 --device net_null0
expect 1 'error_code: 8$' -- pc add --virtio-id 7 --device net_null0
expect 0 '^$' -- pc add --virtio-id 7 --device net_null0 --conditional
grep -q '"virtio_id": 7' "$STATE/state.json" || fail "ADD not recorded: $(cat "$STATE/state.json")"
expect 0 '^$' -- pc remove --virtio-id 7 --device net_null0
expect 1 'error_code: 4$' -- pc remove --virtio-id 7 --device net_null0
expect 0 '^$' -- pc remove --virtio-id 7 --device net_null0 --conditional
grep -q '"virtio_id": 7' "$STATE/state.json" && fail "REMOVE not recorded: $(cat "$STATE/state.json")"
n=$(grep -c '"op": "add_sock"' "$STATE/state.json")
[ "$n" = 2 ] || fail "state holds $n add_sock entries: $(cat "$STATE/state.json")"
grep -q '"vhost_mode": "client"' "$STATE/state.json" &&
	grep -q '"vhost_mode": "server"' "$STATE/state.json" ||
	fail "vhost modes not recorded: $(cat "$STATE/state.json")"
log "add/remove twice: answers as documented, state file follows"

# --- SIGKILL under traffic, restart
kill -KILL "$DAEMON_PID_d1"
wait "$DAEMON_PID_d1" 2>/dev/null || true
kill -TERM "$VM_PID_vmb" 2>/dev/null || true # its server is gone; it reconnects below
wait "$VM_PID_vmb" 2>/dev/null || true
t0=$(now_ms)
daemon d2
t_ready=$(now_ms)
grep -q "persist: replayed add_sock $SA" "$WORK/d2.log" || fail "A not replayed"
grep -q "persist: replayed add_sock $SB" "$WORK/d2.log" || fail "B not replayed"
vm vmb2 "$SB" vmb # the VM reconnects to the re-created server socket
wait_for 30 ip netns exec "$NS_VM" ip link show vmb || fail "VM B: no tap after restart"
ips
wait_for 30 pings 10.98.1.2 || fail "relay A: no traffic after restart"
t_a=$(now_ms)
wait_for 30 pings 10.98.2.2 || fail "relay B: no traffic after restart"
t_b=$(now_ms)
ips
ping_ok "$NS_VF" 10.98.1.2 3 || fail "relay A after restart"
ping_ok "$NS_VF" 10.98.2.2 3 || fail "relay B after restart"
log "FIGURE restart after SIGKILL: ready (both relays replayed) in $((t_ready - t0)) ms," \
	"relay A (client mode, VM kept) pings after $((t_a - t0)) ms," \
	"relay B (server mode, VM reconnected) after $((t_b - t0)) ms"

# --- a restart with B's VF gone: a non-tap link takes its name, the probe fails
kill -KILL "$DAEMON_PID_d2"
wait "$DAEMON_PID_d2" 2>/dev/null || true
ip netns exec "$NS_VF" ip link add vfb type veth peer name vfbpeer
daemon d3
grep -q "persist: skipped add_sock $SB" "$WORK/d3.log" || fail "the gone VF was not reported"
ips
wait_for 30 pings 10.98.1.2 || fail "relay A lost when B's VF was gone"
st | grep -q "vhost_socket_name=$SB" && fail "relay B came back without its VF"
grep -q "\"vhost_path\": \"$SB\"" "$STATE/state.json" || fail "B dropped from the state (kept for a later start)"
log "a gone VF is skipped, the other relay carries on"
stop_daemon d3
ip netns exec "$NS_VF" ip link del vfb
cp "$STATE/state.json" "$WORK/good.json"

# --- corrupt, then truncated state files
printf 'not json {{{' >"$STATE/state.json"
daemon d4
grep -q "corrupt or truncated" "$WORK/d4.log" || fail "no clear error for a corrupt file"
ls "$STATE"/state.json.corrupt-* >/dev/null 2>&1 || fail "corrupt file not kept aside"
[ -e "$STATE/state.json" ] && fail "corrupt file left in place"
st | grep -q "vhost_socket_name=/" && fail "relays from a corrupt file"
stop_daemon d4
rm -f "$STATE"/state.json.corrupt-*
head -c $(($(stat -c %s "$WORK/good.json") / 2)) "$WORK/good.json" >"$STATE/state.json"
daemon d5
grep -q "corrupt or truncated" "$WORK/d5.log" || fail "no clear error for a truncated file"
ls "$STATE"/state.json.corrupt-* >/dev/null 2>&1 || fail "truncated file not kept aside"
stop_daemon d5
log "corrupt and truncated state files: error, kept aside, daemon started"

# --- --no-persist: nothing replayed, nothing recorded
cp "$WORK/good.json" "$STATE/state.json"
daemon d6 --no-persist
grep -q "persist: replayed" "$WORK/d6.log" && fail "--no-persist replayed"
expect 0 '^$' -- pc add --virtio-id 9 --device net_null1
cmp -s "$WORK/good.json" "$STATE/state.json" || fail "--no-persist wrote the state file"
stop_daemon d6

# --- remove --virtio-id on an add_sock relay: across restarts the socket
# stays on its relay without that VF (the VF is free), and a VF added there
# later comes back with it; relay 0 is freed so "lowest free" would differ
STATE=$WORK/state2
SC=$WORK/vmC.sock
relay_of() { # relay_of PATH: the relay id whose socket is PATH
	st | awk -F= -v p="$1" '$1 ~ /[.]vhost_socket_name$/ && $2 == p {
		sub(/^relay_/, "", $1); sub(/[.].*/, "", $1); print $1 }'
}
daemon d7
expect 0 '^$' -- pc add_sock --device net_null3 --vhost-path "$WORK/first.sock"
expect 0 '^$' -- pc add_sock --device net_null4 --vhost-path "$SC" --vhost-mode server
k=$(relay_of "$SC")
[ "$k" = 1 ] || fail "socket C on relay '$k', expected 1"
expect 0 '^$' -- pc remove_sock --vhost-path "$WORK/first.sock"
expect 0 '^$' -- pc remove --virtio-id "$k" --device net_null4
expect 0 '^$' -- pc query_pci --vhost-path "$SC"
stop_daemon d7
daemon d8
[ "$(relay_of "$SC")" = "$k" ] || fail "socket C not back on relay $k: $(st)"
expect 0 '^$' -- pc query_pci --vhost-path "$SC" # no VF
grep -q "persist: replayed add_sock $SC device (none) on relay $k" "$WORK/d8.log" ||
	fail "C not replayed as a socket alone"
expect 0 '^$' -- pc add --virtio-id 9 --device net_null4 # the removed VF is free
expect 0 '^$' -- pc add --virtio-id "$k" --device net_null5
kill -KILL "$DAEMON_PID_d8"
wait "$DAEMON_PID_d8" 2>/dev/null || true
daemon d9
[ "$(relay_of "$SC")" = "$k" ] || fail "socket C not back on relay $k: $(st)"
expect 0 '^net_null5$' -- pc query_pci --vhost-path "$SC"
st | grep -x "relay_9.vf.pci_addr_str=net_null4" >/dev/null || fail "relay 9 lost net_null4: $(st)"
grep -q "persist: skipped" "$WORK/d9.log" && fail "a replay failed: $(grep skipped "$WORK/d9.log")"
stop_daemon d9
log "remove on an add_sock relay: socket kept on relay $k, the VF not put back, a new one kept"
log PASS

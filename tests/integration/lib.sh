#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Helpers for integration tests: a daemon whose "VF" is a net_tap in netns
# "<tag>a", and a "VM" (virtio_user testpmd) bridged by io forwarding to a
# tap in netns "<tag>b". Every process is started here, recorded by PID and
# ended by PID; every test has its own --file-prefix and directories.
set -euo pipefail
# with pipefail, `cmd | grep -q` fails when grep quits at the first match
# and cmd dies of SIGPIPE: match text with `grep -q PAT <<<"$text"`, or
# let grep read it all (`grep PAT >/dev/null`)

BUILD=${BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build" && pwd)}
DAEMON=$BUILD/src/virtio-forwarder
TESTPMD=${TESTPMD:-dpdk-testpmd}
TAG=${TAG:-vt$$x$RANDOM} # the PID alone can repeat a killed run's leftovers
WORK=$(mktemp -d /tmp/vfwd-$TAG.XXXXXX)
NS_VF=${TAG}a
NS_VM=${TAG}b
PIDS=()

log() { echo "[$(date +%T.%N | cut -c1-12)] $*"; }
fail() { log "FAIL: $*"; exit 1; }

# end_qemu PIDFILE: end the QEMU that wrote PIDFILE (run-guest.sh always
# writes one) and wait until it is gone. A leftover QEMU spins for its whole
# timeout and skews every later test on 2 CPUs; its wrapper may be gone.
end_qemu() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == qemu-system* ]] || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? f
	while IFS= read -r f; do end_qemu "$f"; done < <(find "$WORK" -name '*.qemu.pid' 2>/dev/null)
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	ip netns del "$NS_VF" 2>/dev/null || true
	ip netns del "$NS_VM" 2>/dev/null || true
	if [ $rc -ne 0 ]; then
		for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "==== $f"; tail -40 "$f"; }; done
	fi
	if [ -n "${KEEP_WORK:-}" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
	rm -rf /var/run/dpdk/"$TAG"* 2>/dev/null || true
	# a daemon on hugepages keeps its files for secondaries (dumpcap); EAL
	# leaves one page behind on exit, reclaimed only by the same prefix
	rm -f /dev/hugepages/"$TAG"*map_* 2>/dev/null || true
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

make_netns() {
	local ns
	for ns in "$NS_VF" "$NS_VM"; do
		ip netns del "$ns" 2>/dev/null || true # a killed earlier run's, same name
		ip netns add "$ns"
		ip netns exec "$ns" ip link set lo up
		# no IPv6 chatter: counters must add up to what the test sends
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
}

# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	local secs=$1; shift
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# start_daemon NAME ARGS...: virtio-forwarder in netns NS_VF, foreground,
# pid file and sockets under $WORK/NAME, recorded ports in $WORK/NAME.state
# (a later --state-dir in ARGS wins). Waits for "ready".
start_daemon() {
	local name=$1; shift
	mkdir -p "$WORK/$name"
	# DAEMON_EAL="" runs on hugepages (/dev/hugepages), as in production;
	# idle workers sleep unless DAEMON_IDLE="" (the daemon's default: they
	# spin, which starves a VM spinning on the same CPU here; the bench
	# runs the default)
	# shellcheck disable=SC2086
	ip netns exec "$NS_VF" "$DAEMON" -C 1 -M 0 -n -p "$WORK/$name" -V "$WORK/sock" \
		-H /dev/hugepages --state-dir "$WORK/$name.state" \
		${DAEMON_IDLE---idle-interrupts --idle-sleep-max-us=100} ${DAEMON_ARGS:-} "$@" \
		-- ${DAEMON_EAL---no-huge -m 256} --file-prefix="${TAG}d" \
		>>"$WORK/$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	eval "DAEMON_PID_$name=$pid"
	wait_for 20 grep -q "ready:" "$WORK/$name.log" || fail "daemon $name did not get ready"
}

# stop_daemon NAME: SIGTERM, expect exit 0
stop_daemon() {
	local name=$1 pidvar="DAEMON_PID_$1"
	local pid=${!pidvar}
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] || fail "daemon $name exited with $rc"
}

# dump_stats NAME: have the daemon write one SIGUSR1 dump, wait for its end
# (mempool.mbufs_total is the last line of a dump)
dump_stats() {
	local name=$1 pidvar="DAEMON_PID_$1"
	local n
	n=$(grep -c "stats mempool.mbufs_total" "$WORK/$name.log" || true)
	kill -USR1 "${!pidvar}"
	wait_for 5 dumps_more_than "$name" "$n" || fail "no stats dump"
}

# dumps_more_than NAME N: the log holds more than N complete dumps (a
# function, so wait_for counts afresh on every try)
dumps_more_than() {
	[ "$(grep -c 'stats mempool.mbufs_total' "$WORK/$1.log")" -gt "$2" ]
}

# last_stat NAME KEY: value of a counter in the latest dump
last_stat() {
	grep "stats $2=" "$WORK/$1.log" | tail -1 | sed 's/.*=//'
}

# daemon_stat NAME KEY: value of a counter from a fresh dump
daemon_stat() {
	dump_stats "$1"
	last_stat "$1" "$2"
}

# daemon_stats NAME KEY...: several counters, all from one fresh dump, so
# that sums over them hold while traffic still flows
daemon_stats() {
	local name=$1 key
	shift
	dump_stats "$name"
	for key in "$@"; do printf '%s ' "$(last_stat "$name" "$key")"; done
	echo
}

# start_vm NAME SOCK [server]: testpmd with virtio_user on SOCK, io-forwarded
# to tap "vm0" in netns NS_VM. VM_DEVARGS=,k=v,...: more virtio_user devargs
# (packed_vq=1, mrg_rxbuf=0, in_order=1, vectorized=1); VM_EAL: more EAL
# arguments.
start_vm() {
	local name=$1 sock=$2 server=${3:-}
	local extra=""
	[ "$server" = server ] && extra=",server=1"
	# shellcheck disable=SC2086 # VM_EAL: extra EAL words
	ip netns exec "$NS_VM" stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 1 --file-prefix="${TAG}$name" --no-huge \
		-m 256 ${VM_EAL:-} --no-pci --vdev "net_virtio_user0,path=$sock,queues=1$extra${VM_DEVARGS:-}" \
		--vdev net_tap0,iface=vm0 -- --forward-mode=io --auto-start \
		--total-num-mbufs=8192 --stats-period 1 >>"$WORK/$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	eval "VM_PID_$name=$pid"
	# a server=1 virtio_user blocks in its probe until the daemon connects
	[ "$server" = server ] || wait_vm_tap
}

wait_vm_tap() {
	wait_for 30 ip netns exec "$NS_VM" ip link show vm0 || fail "vm: no tap"
}

stop_vm() {
	local pidvar="VM_PID_$1"
	kill -TERM "${!pidvar}" 2>/dev/null || true
	wait "${!pidvar}" 2>/dev/null || true
}

# addresses: VF side 10.99.0.1, VM side 10.99.0.2
setup_ips() {
	ip netns exec "$NS_VF" ip addr add 10.99.0.1/24 dev vf0 2>/dev/null || true
	ip netns exec "$NS_VF" ip link set vf0 up
	ip netns exec "$NS_VM" ip addr add 10.99.0.2/24 dev vm0 2>/dev/null || true
	ip netns exec "$NS_VM" ip link set vm0 up
}

ping_ok() { # ping_ok NS DST COUNT
	ip netns exec "$1" busybox ping -c "$3" -W 2 "$2"
}

ifstat() { # ifstat NS DEV rx_packets|tx_packets
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# tcp_check FROM_NS TO_NS TO_IP BYTES: bulk TCP, digests must match
tcp_check() {
	local from=$1 to=$2 ip=$3 bytes=$4 port=$((20000 + RANDOM % 10000))
	local here
	here=$(dirname "${BASH_SOURCE[0]}")
	ip netns exec "$to" python3 "$here/tcp_xfer.py" sink $port >"$WORK/sink.out" 2>&1 &
	local sink=$!
	PIDS+=("$sink")
	sleep 0.5
	local sent
	sent=$(ip netns exec "$from" timeout 60 python3 "$here/tcp_xfer.py" send "$ip" $port "$bytes") ||
		fail "tcp send $from -> $to"
	wait "$sink" || fail "tcp sink"
	local got
	got=$(cat "$WORK/sink.out")
	[ "$sent" = "$got" ] || fail "tcp $from -> $to: sent '$sent', received '$got'"
	log "tcp $from -> $to: $bytes bytes, digest ok"
}

# wait_stat NAME KEY VALUE [SECS]: until the daemon reports KEY=VALUE
wait_stat() {
	local end=$((SECONDS + ${4:-20})) v
	while :; do
		v=$(daemon_stat "$1" "$2")
		[ "$v" = "$3" ] && return 0
		[ $SECONDS -lt $end ] || { log "$2=$v, expected $3"; return 1; }
		sleep 0.3
	done
}

# mem_bytes SIZE: a QEMU memory size (run-guest.sh's MEM: 262152K, 256M, or
# a bare number of MiB) in bytes, for pmemsave
mem_bytes() {
	case "$1" in
	*K) echo $((${1%K} << 10)) ;;
	*M) echo $((${1%M} << 20)) ;;
	*) echo $(($1 << 20)) ;;
	esac
}

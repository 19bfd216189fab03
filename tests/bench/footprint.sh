#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Hugepage footprint of our daemon with N relays whose VMs have Q queue pairs
# each: the daemon on hugepages, N net_null VFs, the VMs K testpmd processes, each
# port with queues=Q. The VMs' memory is theirs: the figure is the daemon's own hugetlb mappings
# (Shared_Hugetlb + Private_Hugetlb over /proc/PID/smaps), read once its
# relays are up and again once every VM is connected: other processes'
# hugepages (other benchmarks on the host) do not enter it.
# usage: footprint.sh DAEMON     env: RELAYS=32 QUEUES=4 VM_PROCS=4 OURS_ARGS
# prints: footprint relays=N queues=Q vms_connected=C mb_started=X mb_connected=Y
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tp.sh
. "$here/tp.sh"
DAEMON=${1:?daemon binary}
N=${RELAYS:-32}; Q=${QUEUES:-4}; K=${VM_PROCS:-4}
PER=$(((N + K - 1) / K)); K=$(((N + PER - 1) / PER))
TP_STATE=${TP_STATE:-/tmp/perfbench}/fp.$$
FP=pbfp$$
mkdir -p "$TP_STATE/fwd"
dpid=
cleanup() {
	for ((p = 0; p < K; p++)); do tp_stop "vm$p"; done
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		kill -TERM "$dpid"
		for ((i = 0; i < 100; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$dpid" 2>/dev/null && kill -KILL "$dpid"
	fi
	rm -f /dev/hugepages/"$FP"*map_* 2>/dev/null || true
	rm -rf "$TP_STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
hugemb() { awk '/^(Shared|Private)_Hugetlb:/ { k += $2 } END { printf "%d", k / 1024 }' "/proc/$1/smaps"; }
vfs=()
for ((i = 0; i < N; i++)); do vfs+=(-P "net_null$i,size=64,no-rx=1=$i"); done
# shellcheck disable=SC2086
"$DAEMON" -C 1 -M 0 -n -p "$TP_STATE/fwd" -V "$TP_STATE" -S vhost%u.sock --state-dir "$TP_STATE/fwd" "${vfs[@]}" -u -g \
	-H /dev/hugepages ${OURS_ARGS:-} -- --file-prefix "${FP}fwd" >"$TP_STATE/fwd/log" 2>&1 &
dpid=$!
for ((i = 0; i < 300; i++)); do
	grep -q "ready:" "$TP_STATE/fwd/log" && break
	kill -0 "$dpid" 2>/dev/null || { tail -20 "$TP_STATE/fwd/log" >&2; exit 1; }
	sleep 0.1
done
started=$(hugemb "$dpid")
for ((p = 0; p < K; p++)); do
	vd=()
	for ((i = p * PER; i < N && i < (p + 1) * PER; i++)); do
		vd+=(--vdev "net_virtio_user$i,path=$TP_STATE/vhost$i.sock,queues=$Q")
	done
	tp_start "vm$p" -l 0,1 --main-lcore 1 --file-prefix="${FP}vm$p" -m 256 --single-file-segments --no-pci \
		"${vd[@]}" -- -i --nb-cores=1 --rxq="$Q" --txq="$Q" --total-num-mbufs=32768 --forward-mode=rxonly
done
for ((p = 0; p < K; p++)); do tp_wait_log "vm$p" "testpmd>" 120 || exit 1; done
for ((i = 0; i < 300; i++)); do
	c=$(grep -c "vm connected" "$TP_STATE/fwd/log" || true)
	[ "$c" -ge "$N" ] && break
	sleep 0.1
done
sleep 1
qp=$(sed -n 's/.*relay 0: vm connected .*(vid [0-9]*, \([0-9]*\) queue pairs).*/\1/p' "$TP_STATE/fwd/log" | tail -1)
echo "footprint relays=$N queues=$Q vms_connected=$c relay0_queue_pairs=${qp:-NA}" \
	"mb_started=$started mb_connected=$(hugemb "$dpid")"

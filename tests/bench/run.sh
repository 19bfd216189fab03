#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The benchmark, in one run: virtio-forwarder against the relays a user would
# pick instead, dpdk-testpmd in io mode and Open vSwitch with DPDK (candidate
# "ovs": fwd-ovs.sh, a private ovsdb/vswitchd per run, a dpdkvhostuser port
# and a DPDK vdev port, two port-to-port flows, one PMD on the worker CPU),
# between the same two ports, same cores (main 0, one worker on 1), same
# traffic (a virtio_user testpmd "VM" on core 0; net_null or a net_ring loop
# as the VF), interleaved runs. Prints:
#  1. instructions per packet under callgrind (deterministic; the figure to
#     trust on this 2-vCPU VM), VM->VF and VF->VM, 64, 576 and 1518 B, with
#     ratios ours/testpmd and ours/ovs; where each candidate's instructions
#     go (callgrind's self cost per object: librte_vhost, the VF PMD,
#     mempool/ring, libc, ld.so, its own binary), and "own dir= pct=" lines:
#     our own binary's share of our instructions;
#  2. Mpps seen by the VM per mode and size, p50/p90 over 0.5 s windows,
#     and the worker's cycles per packet (ours: its own TSC counters;
#     testpmd: --record-core-cycles; ovs: NA), with the ratios;
#  3. per run: min/median/max of the run medians;
#  4. multiqueue (ours): instructions per packet of one relay with 1, 2 and 4
#     queue pairs on one worker and 2 on 2 oversubscribed workers ("mq"
#     lines), the VM's queues that carried packets, and the wall-clock of 2
#     queue pairs on 2 workers against 1 on 1 ("mqwall" lines);
#  5. relay count with external VMs: instructions/packet with 1 and 32 relays
#     on the worker (RTE_MAX_ETHPORTS is 32: one ethdev per VF, so 32 relays
#     take every port), the VMs in VM_PROCS testpmd processes, one busy (the
#     others connected and idle) or all busy; the hugepage footprint of 32
#     relays whose VMs have 4 queue pairs each (footprint.sh);
#  6. power-aware polling: idle CPU and latency percentiles (first frame
#     after idling, each leg; light load) for sleeping until woken,
#     spinning, and timed sleeps, with the platform's own wake-up cost
#     measured alongside.
# usage: tests/bench/run.sh            (REPS=8, ~2 h with OVS; installs OVS
#                                       through tests/bench/setup.sh if absent)
#        QUICK=1 tests/bench/run.sh    (1 rep, 1 s, no callgrind, no OVS: a smoke run)
# env: REPS, SECS, MODES ("loop f2v v2f"), SIZES ("64 1518"), CG=0, OUT,
#      BENCH_FWDS ("testpmd ovs ours"), CG_SIZES ("64 576 1518"), CG_SECS (10),
#      MQ=0 (skip 4), MQ_POINTS ("1:1 2:1 4:1 2:2" = queues:workers),
#      MQ_DIRS, MQ_REPS (wall-clock runs per point, default REPS), MQ_ARGS,
#      SCALE=0 (skip 5), SCALE_RELAYS ("1 32"), SCALE_BUSY, SCALE_DIRS,
#      VM_PROCS (4), FOOTPRINT=0, POWER=0 (skip 6)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
DAEMON=$BUILD/src/virtio-forwarder
[ -x "$DAEMON" ] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
if [ "${QUICK:-0}" = 1 ]; then
	export REPS=${REPS:-1} SECS=${SECS:-1} CG=${CG:-0} WARM=${WARM:-1}
	export MODES=${MODES:-"loop v2f f2v"} SIZES=${SIZES:-"64"}
	IDLE_SECS=2
	# one relay-count point, short: the path works, its figure is there
	export SCALE=${SCALE:-1} SCALE_RELAYS=${SCALE_RELAYS:-4} SCALE_DIRS=${SCALE_DIRS:-f2v}
	export SCALE_BUSY=${SCALE_BUSY:-all} CG_SECS=${CG_SECS:-2} VM_PROCS=${VM_PROCS:-2}
	# no OVS in the smoke run (CI has none: the bench's set-up installs it);
	# multiqueue and footprint: one short point each
	export BENCH_FWDS=${BENCH_FWDS:-"testpmd ours"}
	export MQ_POINTS=${MQ_POINTS:-"2:2"} MQ_DIRS=${MQ_DIRS:-v2f} MQ_REPS=${MQ_REPS:-1}
	export FOOTPRINT_RELAYS=${FOOTPRINT_RELAYS:-4}
fi
export BENCH_FWDS=${BENCH_FWDS:-"testpmd ovs ours"}
if [[ " $BENCH_FWDS " == *" ovs "* ]] && [ ! -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; then
	echo "bench: OVS-DPDK is a candidate and not installed: running tests/bench/setup.sh"
	"$HERE/setup.sh"
fi
export OUT=${OUT:-/tmp/perfbench/bench-$(date +%Y%m%d-%H%M%S).txt}
mkdir -p "$(dirname "$OUT")"
# our daemon under the harness's contract: one relay (relay 0 = vhost0.sock)
# whose VF is $VF_DEVARGS, main lcore 0, one worker on CPU 1
# (OURS_CPUS / OURS_EAL: the multiqueue points' workers and --lcores)
export FWD_CMD_ours="$DAEMON -C \${OURS_CPUS:-1} -M 0 -n -p \$(dirname \$VHOST_SOCK) -V \$(dirname \$VHOST_SOCK) \
 -S vhost%u.sock --state-dir \$(dirname \$VHOST_SOCK) -P \$VF_DEVARGS=0 \${EXTRA_VFS:-} -u -g -H /dev/hugepages \${OURS_ARGS:-} \
 -- --file-prefix \${FP}fwd -m 512 \$([ -n \"\${CG_RUN:-}\" ] && echo --no-huge) \${OURS_EAL:-}"
export OWN_RE_ours=virtio-forwarder OWN_RE_ours_sleep=virtio-forwarder FWD_USR1_ours=1 FWD_USR1_ours_sleep=1
# OVS-DPDK: fwd-ovs.sh sets up a private instance for the process about to
# exec (\$\$) and prints its ovs-vswitchd command line (valgrind runs it too)
export FWD_CMD_ovs="\$($HERE/fwd-ovs.sh cmdline \$\$)" OWN_RE_ovs=ovs-vswitchd
# BACKOFF=1: a third candidate, ours with sleeping idle workers, to see what
# the idle back-off costs at full load
export FWD_CMD_ours_sleep=${FWD_CMD_ours/'${OURS_ARGS:-}'/--idle-interrupts}
# ours is the reference of every ratio (ours/testpmd, ours/ovs)
[ "${BACKOFF:-0}" = 1 ] && BENCH_FWDS="$BENCH_FWDS ours_sleep"
export BENCH_REF=ours
export CG_SIZES=${CG_SIZES:-"64 576 1518"}
[ "${QUICK:-0}" = 1 ] && export CG_SIZES=64
REPS_DEF=${REPS:-8}
"$HERE/bench.sh"

echo
echo "== worker cycles per packet (lower is better; medians over runs; ovs: not read, NA)"
awk -v fw="$BENCH_FWDS" '/^cand=/ { delete kv; for (i = 1; i <= NF; i++) { split($i, a, "="); kv[a[1]] = a[2] }
	if (kv["fwd_cpp"] != "" && kv["fwd_cpp"] != "NA") { k = kv["dir"] " " kv["size"]; keys[k] = 1
		n[k, kv["cand"]]++; v[k, kv["cand"], n[k, kv["cand"]]] = kv["fwd_cpp"] + 0 } }
	function med(k, c,   i, j, t, m, b) { m = n[k, c]; if (!m) return 0
		for (i = 1; i <= m; i++) b[i] = v[k, c, i]
		for (i = 2; i <= m; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
		return b[int((m + 1) / 2)] }
	END { nf = split(fw, F, " "); printf "%-5s %5s", "#mode", "size"; for (i = 1; i <= nf; i++) printf " %10s", F[i]
		printf " %s\n", "testpmd/ours"
		for (k in keys) { split(k, s, " "); printf "%-5s %5s", s[1], s[2]
			for (i = 1; i <= nf; i++) { x = med(k, F[i]); printf " %10s", (x > 0 ? sprintf("%.1f", x) : "NA") }
			x = med(k, "testpmd"); o = med(k, "ours")
			printf " %s\n", (o > 0 && x > 0 ? sprintf("%.2f", x / o) : "NA") } }' \
	"$OUT" | sort -k1,1 -k2,2n | tee -a "$OUT.summary"

# kv KEY LINE: the value of KEY=... in a result line
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
# workers W: our daemon's -C and --lcores for W workers; CPU list for the
# workers' lcores 1..W (default: all on CPU 1, oversubscribed, as in
# tests/integration/scheduler_test.sh; the main lcore 0 stays on CPU 0)
workers_env() {
	local w=$1 cpus=${2:-} c lc=0@0 l
	OURS_CPUS=1; OURS_EAL=
	[ "$w" -gt 1 ] || return 0
	OURS_CPUS=$(seq -s, 1 "$w")
	for ((l = 1; l <= w; l++)); do
		c=1; [ -n "$cpus" ] && c=$(cut -d, -f"$l" <<<"$cpus")
		lc="$lc,$l@$c"
	done
	OURS_EAL="--lcores $lc"
}
# multiqueue: the daemon's option for the VF's queue count, once it has one
# (--vf-queues N); without it the VF keeps one queue pair and the figures
# show how many of the VM's queues are served (queues_used)
mq_args() {
	local a=${MQ_ARGS---idle-interrupts --idle-sleep-max-us 100}
	if "$DAEMON" --help 2>&1 | grep -q -- '--vf-queues'; then a="$a --vf-queues $1"; fi
	echo "$a"
}

if [ "${MQ:-${CG:-1}}" = 1 ] && command -v valgrind >/dev/null; then
	echo
	echo "== multiqueue: instructions per packet of one relay (ours, callgrind, 64 B)"
	echo "#  queues = the VM's queue pairs (virtio_user queues=n, testpmd --rxq/--txq n, multi-flow);"
	echo "#  workers = worker lcores (oversubscribed on CPU 1); queues_used = VM queues that carried packets;"
	echo "#  idle workers sleep (MQ_ARGS: $(mq_args 1)) so a worker with nothing to do adds no polling"
	for dir in ${MQ_DIRS:-v2f f2v}; do
		for pt in ${MQ_POINTS:-1:1 2:1 4:1 2:2}; do
			q=${pt%:*} w=${pt#*:}
			workers_env "$w"
			line=$(OURS_CPUS=$OURS_CPUS OURS_EAL=$OURS_EAL OURS_ARGS="$(mq_args "$q")" QUEUES=$q \
				FWD=cmd FWD_CMD="$FWD_CMD_ours" CG_TAG=ours_mq${q}w$w OWN_RE=virtio-forwarder \
				SECS=${CG_SECS:-10} timeout 600 "$HERE/cg.sh" "$dir" 64 2>/dev/null | tail -1)
			echo "mq dir=$dir queues=$q workers=$w ir_per_pkt=$(kv ir_per_pkt "$line") queues_used=$(kv queues_used "$line") pkts=$(kv pkts "$line") own_pct=$(kv own_pct "$line")" | tee -a "$OUT"
		done
	done
	awk '/^mq dir=/ { delete kv; for (i = 2; i <= NF; i++) { split($i, a, "="); kv[a[1]] = a[2] }
		k = kv["dir"]; if (kv["queues"] == 1 && kv["workers"] == 1) base[k] = kv["ir_per_pkt"]
		n++; d[n] = k; v[n] = kv["ir_per_pkt"]; row[n] = $0 }
		END { for (i = 1; i <= n; i++) printf "%s  vs 1 queue 1 worker: %s\n", row[i],
			(base[d[i]] > 0 && v[i] > 0) ? sprintf("%+.1f%%", (v[i] / base[d[i]] - 1) * 100) : "NA" }' \
		"$OUT" | tee -a "$OUT.summary"
fi
if [ "${MQ:-1}" = 1 ] && [ "${MQ_REPS:-$REPS_DEF}" -gt 0 ]; then
	echo
	echo "== multiqueue wall-clock: 2 queue pairs on 2 workers against 1 on 1 (ours, Mpps seen by the VM, 64 B)"
	# worker 2 on CPU 0 beside the VM (MQ_WALL_CPUS): with 2 vCPUs there is
	# no third CPU, so the VM shares one and the comparison is inconclusive
	ncpu=$(nproc)
	for ((r = 1; r <= ${MQ_REPS:-$REPS_DEF}; r++)); do
		for dir in ${MQ_DIRS:-v2f f2v}; do
			for pt in 1:1 2:2; do
				q=${pt%:*} w=${pt#*:}
				workers_env "$w" "${MQ_WALL_CPUS:-1,0}"
				# the VM at the daemon's own nice -20: a worker sharing the
				# VM's CPU otherwise takes ~99 % of it (0.1-0.3 Mpps measured)
				line=$(TP_PREFIX="nice -n -20" OURS_CPUS=$OURS_CPUS OURS_EAL=$OURS_EAL OURS_ARGS="$(mq_args "$q")" QUEUES=$q \
					FWD=cmd FWD_CMD="$FWD_CMD_ours" FWD_USR1=0 timeout 180 "$HERE/pvp.sh" "$dir" 64 2>/dev/null | tail -1)
				echo "mqwall rep=$r dir=$dir queues=$q workers=$w p50=$(kv p50 "$line") p90=$(kv p90 "$line") queues_used=$(kv queues_used "$line")" | tee -a "$OUT"
			done
		done
	done
	awk -v ncpu="$ncpu" '/^mqwall / { delete kv; for (i = 2; i <= NF; i++) { split($i, a, "="); kv[a[1]] = a[2] }
		k = kv["dir"] " " kv["queues"] " " kv["workers"]; if (kv["p90"] == "" || kv["p90"] == "NA") next
		n[k]++; x[k, n[k]] = kv["p90"] + 0; dirs[kv["dir"]] = 1 }
		function med(k,   i, j, t, m, b) { m = n[k]; if (!m) return 0
			for (i = 1; i <= m; i++) b[i] = x[k, i]
			for (i = 2; i <= m; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
			return b[int((m + 1) / 2)] }
		END { for (d in dirs) { one = med(d " 1 1"); two = med(d " 2 2")
			printf "mqwall %s median p90: 1q/1w %.2f (%dr)  2q/2w %.2f (%dr)  ratio %s%s\n", d, one, n[d " 1 1"], two, n[d " 2 2"],
				(one > 0 ? sprintf("%.2f", two / one) : "NA"),
				(ncpu < 4 ? "  (inconclusive: " ncpu " vCPUs, the VM shares a CPU with a worker)" : (n[d " 1 1"] < 7 ? "  (inconclusive: < 7 runs)" : "")) } }' \
		"$OUT" | sort | tee -a "$OUT.summary"
fi

echo
echo "== relay count: instructions per packet on one worker with 1 and 32 relays, VMs in ${VM_PROCS:-4} other processes (callgrind)"
echo "#  one = relay 0 busy, the others connected and idle; all = every relay busy"
echo "#  (32 relays = 32 VF ethdevs = every port of Debian's DPDK, RTE_MAX_ETHPORTS 32)"
if [ "${SCALE:-${CG:-1}}" = 1 ] && command -v valgrind > /dev/null; then
	v=FWD_CMD_ours
	for dir in ${SCALE_DIRS:-f2v v2f}; do
		for n in ${SCALE_RELAYS:-1 32}; do
			for busy in ${SCALE_BUSY:-one all}; do
				[ "$n" = 1 ] && [ "$busy" = all ] && continue
				line=$(RELAYS=$n BUSY=$busy VM_PROCS=${VM_PROCS:-4} VM_MB=256 FWD=cmd FWD_CMD="${!v}" \
					CG_TAG=ours_r${n}$busy OWN_RE=virtio-forwarder SECS=${CG_SECS:-10} \
					timeout 900 "$HERE/cg.sh" "$dir" 64 2>/dev/null | tail -1)
				echo "scale $line" | tee -a "$OUT"
			done
		done
	done
	awk '/^scale / { delete kv; for (i = 2; i <= NF; i++) { split($i, a, "="); kv[a[1]] = a[2] }
		k = kv["dir"]; if (kv["relays"] == 1) base[k] = kv["ir_per_pkt"]
		row[++n] = sprintf("%-4s relays=%-3s busy=%-4s vm_procs=%-2s ir_per_pkt=%s", k, kv["relays"], kv["busy"], kv["vm_procs"], kv["ir_per_pkt"])
		d[n] = k; v[n] = kv["ir_per_pkt"] }
		END { for (i = 1; i <= n; i++) printf "%s  vs 1 relay: %s\n", row[i],
			(base[d[i]] > 0 && v[i] > 0) ? sprintf("%+.1f%%", (v[i] / base[d[i]] - 1) * 100) : "NA" }' \
		"$OUT" | tee -a "$OUT.summary"
fi
if [ "${FOOTPRINT:-1}" = 1 ]; then
	echo
	echo "== hugepage footprint: ${FOOTPRINT_RELAYS:-32} relays, VMs with 1 and 4 queue pairs (the daemon's own hugetlb mappings, MB)"
	for q in ${FOOTPRINT_QUEUES:-1 4}; do
		RELAYS=${FOOTPRINT_RELAYS:-32} QUEUES=$q VM_PROCS=${VM_PROCS:-4} OURS_ARGS="$(mq_args "$q")" \
			timeout 600 "$HERE/footprint.sh" "$DAEMON" 2>/dev/null | tail -1 | tee -a "$OUT" "$OUT.summary"
	done
fi

if [ "${POWER:-1}" = 1 ]; then
	echo
	echo "== power-aware polling (one relay; VM in-process; VF = tap with a kernel-side echo, or a ring)"
	for m in "tap interrupt" "tap spin" "ring interrupt+sleep:100" "ring spin"; do
		# shellcheck disable=SC2086
		"$BUILD/tests/latency_bench" $m "${IDLE_SECS:-10}" 2>/dev/null | tee -a "$OUT.summary"
	done
fi
echo "results: $OUT $OUT.summary"

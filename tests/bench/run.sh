#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The benchmark, in one run: virtio-forwarder against the relay a user would
# pick instead, dpdk-testpmd in io mode between the same two ports (net_vhost
# for testpmd, our own vhost for us), same cores (main 0, one worker on 1),
# same traffic (a virtio_user testpmd "VM" on core 0; net_null or a net_ring
# loop as the VF), interleaved runs. Prints:
#  1. instructions per packet under callgrind (deterministic; the figure to
#     trust on this 2-vCPU VM), VM->VF and VF->VM, 64 and 1518 B;
#  2. Mpps seen by the VM per mode and size, p50/p90 over 0.5 s windows,
#     and the worker's cycles per packet (ours: its own TSC counters;
#     testpmd: --record-core-cycles), with ratios ours/testpmd;
#  3. per run: min/median/max of the run medians;
#  4. relay count: instructions/packet with 1, 8 and 32 relays on the worker,
#     one busy (the others idle) or all busy;
#  5. power-aware polling: idle CPU and latency percentiles (first frame
#     after idling, each leg; light load) for sleeping until woken (the
#     default), spinning, and timed sleeps, with the platform's own wake-up
#     cost measured alongside.
# usage: tests/bench/run.sh            (REPS=8, ~30 min)
#        QUICK=1 tests/bench/run.sh    (1 rep, 1 s, no callgrind: a smoke run)
# env: REPS, SECS, MODES ("loop f2v v2f"), SIZES ("64 1518"), CG=0, OUT
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
	export SCALE_BUSY=${SCALE_BUSY:-all} CG_SECS=${CG_SECS:-2}
fi
export OUT=${OUT:-/tmp/perfbench/bench-$(date +%Y%m%d-%H%M%S).txt}
mkdir -p "$(dirname "$OUT")"
# our daemon under the harness's contract: one relay (relay 0 = vhost0.sock)
# whose VF is $VF_DEVARGS, main lcore 0, one worker on CPU 1
export FWD_CMD_ours="$DAEMON -C 1 -M 0 -n -p \$(dirname \$VHOST_SOCK) -V \$(dirname \$VHOST_SOCK) \
 -S vhost%u.sock -P \$VF_DEVARGS=0 \${EXTRA_VFS:-} -u -g -H /dev/hugepages \${OURS_ARGS:-} \
 -- --file-prefix \${FP}fwd -m 512 \$([ -n \"\${CG_RUN:-}\" ] && echo --no-huge)"
# BACKOFF=1: a third candidate, ours with sleeping idle workers, to see what
# the idle back-off costs at full load
export FWD_CMD_ours_sleep=${FWD_CMD_ours/'${OURS_ARGS:-}'/--idle-interrupts}
export BENCH_FWDS="testpmd ours"
[ "${BACKOFF:-0}" = 1 ] && BENCH_FWDS="$BENCH_FWDS ours_sleep"
export CG_SIZES=${CG_SIZES:-"64 576 1518"}
[ "${QUICK:-0}" = 1 ] && export CG_SIZES=64
"$HERE/bench.sh"

echo
echo "== worker cycles per packet (lower is better; medians over runs)"
awk '/^cand=/ { delete kv; for (i = 1; i <= NF; i++) { split($i, a, "="); kv[a[1]] = a[2] }
	if (kv["fwd_cpp"] != "" && kv["fwd_cpp"] != "NA") { k = kv["dir"] " " kv["size"]; keys[k] = 1
		n[k, kv["cand"]]++; v[k, kv["cand"], n[k, kv["cand"]]] = kv["fwd_cpp"] + 0 } }
	function med(k, c,   i, j, t, m, b) { m = n[k, c]; if (!m) return 0
		for (i = 1; i <= m; i++) b[i] = v[k, c, i]
		for (i = 2; i <= m; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
		return b[int((m + 1) / 2)] }
	END { printf "%-5s %5s %10s %10s %s\n", "#mode", "size", "testpmd", "ours", "testpmd/ours"
		for (k in keys) { split(k, s, " "); x = med(k, "testpmd"); o = med(k, "ours")
			printf "%-5s %5s %10.1f %10.1f %s\n", s[1], s[2], x, o, (o > 0 ? sprintf("%.2f", x / o) : "NA") } }' \
	"$OUT" | sort -k1,1 -k2,2n | tee -a "$OUT.summary"

echo
echo "== relay count: instructions per packet on one worker with 1, 8, 32 relays (callgrind)"
echo "#  one = relay 0 busy, the others connected and idle; all = every relay busy"
if [ "${SCALE:-${CG:-1}}" = 1 ] && command -v valgrind > /dev/null; then
	v=FWD_CMD_ours
	for dir in ${SCALE_DIRS:-f2v v2f}; do
		for n in ${SCALE_RELAYS:-1 8 32}; do
			for busy in ${SCALE_BUSY:-one all}; do
				[ "$n" = 1 ] && [ "$busy" = all ] && continue
				line=$(RELAYS=$n BUSY=$busy FWD=cmd FWD_CMD="${!v}" SECS=${CG_SECS:-10} \
					timeout 600 "$HERE/cg.sh" "$dir" 64 2>/dev/null | tail -1)
				echo "scale $line" | tee -a "$OUT"
			done
		done
	done
	awk '/^scale / { delete kv; for (i = 2; i <= NF; i++) { split($i, a, "="); kv[a[1]] = a[2] }
		k = kv["dir"]; if (kv["relays"] == 1) base[k] = kv["ir_per_pkt"]
		row[++n] = sprintf("%-4s relays=%-3s busy=%-4s ir_per_pkt=%s", k, kv["relays"], kv["busy"], kv["ir_per_pkt"])
		d[n] = k; v[n] = kv["ir_per_pkt"] }
		END { for (i = 1; i <= n; i++) printf "%s  vs 1 relay: %s\n", row[i],
			(base[d[i]] > 0 && v[i] > 0) ? sprintf("%+.1f%%", (v[i] / base[d[i]] - 1) * 100) : "NA" }' \
		"$OUT" | tee -a "$OUT.summary"
fi

echo
echo "== power-aware polling (one relay; VM in-process; VF = tap with a kernel-side echo, or a ring)"
for m in "tap interrupt" "tap spin" "ring interrupt+sleep:100" "ring spin"; do
	# shellcheck disable=SC2086
	"$BUILD/tests/latency_bench" $m "${IDLE_SECS:-10}" 2>/dev/null | tee -a "$OUT.summary"
done
echo "results: $OUT $OUT.summary"

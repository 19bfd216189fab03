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
#  3. power-aware polling: idle CPU and round-trip latency percentiles after
#     idling and under light load, with the back-off on and off.
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
fi
export OUT=${OUT:-/tmp/perfbench/bench-$(date +%Y%m%d-%H%M%S).txt}
mkdir -p "$(dirname "$OUT")"
# our daemon under the harness's contract: one relay (relay 0 = vhost0.sock)
# whose VF is $VF_DEVARGS, main lcore 0, one worker on CPU 1
export FWD_CMD_ours="$DAEMON -C 1 -M 0 -n -p \$(dirname \$VHOST_SOCK) -V \$(dirname \$VHOST_SOCK) \
 -S vhost%u.sock -P \$VF_DEVARGS=0 -u -g -H /dev/hugepages -- --file-prefix \${FP}fwd -m 512 \
 \$([ -n \"\${CG_RUN:-}\" ] && echo --no-huge)"
export BENCH_FWDS="testpmd ours"
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
echo "== power-aware polling (one relay, in-process VM and VF)"
for us in 100 0; do
	"$BUILD/tests/latency_bench" $us "${IDLE_SECS:-10}" 2>/dev/null | tee -a "$OUT.summary"
done
echo "results: $OUT $OUT.summary"

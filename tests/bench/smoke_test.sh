#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The benchmark runs and its figures are sane (no timing is asserted): a
# QUICK run of tests/bench/run.sh must give a non-zero rate and cycles per
# packet for both candidates in every mode (OVS is not a candidate there:
# the bench's own set-up installs it, CI has none), a multiqueue wall-clock
# point, the hugepage footprint, and the power figures.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp /tmp/vfwd-bench-smoke.XXXXXX)
trap 'rm -f "$OUT" "$OUT.summary"' EXIT
QUICK=1 OUT=$OUT "$HERE/run.sh" >"$OUT.log" 2>&1 || { tail -40 "$OUT.log"; exit 1; }
cat "$OUT.summary"
for cand in testpmd ours; do
	for mode in loop v2f f2v; do
		line=$(grep "^cand=$cand .* dir=$mode " "$OUT" || true)
		p50=$(sed -n 's/.* p50=\([0-9.]*\).*/\1/p' <<<"$line")
		cpp=$(sed -n 's/.* fwd_cpp=\([0-9.]*\).*/\1/p' <<<"$line")
		awk -v p="${p50:-0}" -v c="${cpp:-0}" 'BEGIN { exit !(p > 0.01 && c > 1) }' ||
			{ echo "FAIL: $cand $mode: p50=${p50:-none} cpp=${cpp:-none}"; rm -f "$OUT.log"; exit 1; }
	done
done
# relay count: 4 busy relays forwarded and their instructions were counted
line=$(grep "^scale .*relays=4 busy=all" "$OUT" || true)
pk=$(sed -n 's/.* pkts=\([0-9]*\).*/\1/p' <<<"$line")
ir=$(sed -n 's/.* ir_per_pkt=\([0-9.]*\).*/\1/p' <<<"$line")
awk -v p="${pk:-0}" -v i="${ir:-0}" 'BEGIN { exit !(p > 0 && i > 10) }' ||
	{ echo "FAIL: relay count point: pkts=${pk:-none} ir_per_pkt=${ir:-none}"; exit 1; }
# multiqueue wall-clock point and the hugepage footprint are there
grep -q "^mqwall rep=1 dir=v2f queues=2 workers=2 p50=[0-9.]* " "$OUT" ||
	{ echo "FAIL: no multiqueue wall-clock figure"; exit 1; }
mb=$(sed -n 's/^footprint relays=4 queues=4 vms_connected=4 .* mb_connected=\([0-9]*\).*/\1/p' "$OUT")
[ "${mb:-0}" -gt 0 ] || { echo "FAIL: no hugepage footprint for 4 relays"; exit 1; }
for m in "tap mode=interrupt" "tap mode=spin" "ring mode=interrupt+sleep:100"; do
	grep -q "vf=$m idle_cpu=" "$OUT.summary" || { echo "FAIL: no idle figure for $m"; exit 1; }
	grep -q "vf=$m light load .* p50=" "$OUT.summary" || { echo "FAIL: no latency for $m"; exit 1; }
done
grep -q "vf=tap mode=interrupt first frame after 20 ms idle, vf->vm: n=300 p50=" "$OUT.summary" ||
	{ echo "FAIL: no vf->vm wake-up figure"; exit 1; }
grep -q "^platform: wake .* p50=" "$OUT.summary" || { echo "FAIL: no platform figure"; exit 1; }
# sleeping until woken did sleep (a fact, not a timing)
n=$(sed -n 's/^vf=tap mode=interrupt worker sleeps during them: \([0-9]*\)/\1/p' "$OUT.summary")
[ "${n:-0}" -gt 0 ] || { echo "FAIL: the worker never slept"; exit 1; }
rm -f "$OUT.log"
echo PASS

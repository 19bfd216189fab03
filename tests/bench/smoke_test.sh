#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The benchmark runs and its figures are sane (no timing is asserted): a
# QUICK run of tests/bench/run.sh must give a non-zero rate and cycles per
# packet for both candidates in every mode, and the power figures.
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
grep -q "idle_sleep_max_us=100 idle_cpu=" "$OUT.summary" || { echo "FAIL: no idle figure"; exit 1; }
grep -q "light load .* p50=" "$OUT.summary" || { echo "FAIL: no latency figure"; exit 1; }
rm -f "$OUT.log"
echo PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Where a forwarder's instructions go: callgrind's self cost per function
# (callgrind_annotate --inclusive=no, every function: --threshold=100), summed
# per object file over the given profiles (every thread of one dump), then
# grouped: librte_vhost, the net_vhost PMD (testpmd's wrapper), the VF PMD
# (net_null/net_ring/...), mempool and ring, mbuf, ethdev, EAL, libc, ld.so
# (__tls_get_addr), the candidate's own binary, everything else.
# usage: objshare.sh OWN_BINARY_REGEX CALLGRIND_FILE...
# prints one line: <group>_pct=<x> ... (percent of the files' total) and
#   objs="<object>=<pct>,..." (the ten largest objects, for the record)
set -euo pipefail
own=${1:?own binary regex}
shift
for f in "$@"; do
	callgrind_annotate --inclusive=no --threshold=100 --auto=no "$f" 2>/dev/null || true
done | awk -v own="$own" '
	# "  215,865,915 (20.04%)  ???:0x33de0 [/usr/lib/.../librte_vhost.so.23.0]"
	/^ *[0-9,]+ +\([ 0-9.]+%\) / && !/PROGRAM TOTALS/ {
		n = $1; gsub(/,/, "", n)
		t = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", t)
		obj = ""
		if (match(t, / \[[^]]*\]$/)) { obj = substr(t, RSTART + 2, RLENGTH - 3); t = substr(t, 1, RSTART - 1) }
		fn = t; sub(/^[^:]*:/, "", fn)
		# code inlined from another source file is listed without its
		# object: it belongs to the object of the function it sits in
		if (obj != "") fobj[fn] = obj
		m++; L_n[m] = n; L_fn[m] = fn; L_obj[m] = obj; total += n
	}
	function group(o) {
		if (own != "" && o ~ own) return "own"
		if (o ~ /librte_vhost/) return "vhost"
		if (o ~ /librte_net_vhost/) return "net_vhost"
		if (o ~ /librte_net_/) return "vf_pmd"
		if (o ~ /librte_mempool|librte_ring/) return "mempool"
		if (o ~ /librte_mbuf/) return "mbuf"
		if (o ~ /librte_ethdev/) return "ethdev"
		if (o ~ /librte_eal|librte_telemetry|librte_kvargs/) return "eal"
		if (o ~ /\/libc\.so|\/libm\.so|libpthread/) return "libc"
		if (o ~ /\/ld-linux/) return "ldso"
		return "other"
	}
	END {
		for (i = 1; i <= m; i++) {
			o = L_obj[i]; if (o == "") o = (L_fn[i] in fobj) ? fobj[L_fn[i]] : "?"
			cost[o] += L_n[i]
		}
		if (total == 0) { print "own_pct=NA"; exit }
		split("own vhost net_vhost vf_pmd mempool mbuf ethdev eal libc ldso other", G, " ")
		for (o in cost) g[group(o)] += cost[o]
		line = ""
		for (i = 1; i <= 11; i++) line = line sprintf("%s_pct=%.1f ", G[i], 100 * g[G[i]] / total)
		# the largest objects (short names), selection by repeated max
		objs = ""
		for (k = 0; k < 10; k++) {
			best = ""; bv = -1
			for (o in cost) if (!(o in done) && cost[o] > bv) { bv = cost[o]; best = o }
			if (best == "" || bv <= 0) break
			done[best] = 1; nm = best; sub(/.*\//, "", nm)
			objs = objs (objs == "" ? "" : ",") sprintf("%s=%.1f", nm, 100 * bv / total)
		}
		print line "objs=\"" objs "\""
	}'

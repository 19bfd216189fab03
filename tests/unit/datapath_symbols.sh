#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The data path's rules, checked on its objects: every symbol they call
# from outside themselves must be in the allowlist (relay/datapath.allow),
# so an allocator, a logger or a lock cannot slip into the packet path.
# Usage: datapath_symbols.sh LIBRARY.a ALLOWLIST
set -euo pipefail
lib=$1 allow=$2
[ -s "$lib" ] || { echo "no library $lib"; exit 1; }
defined=$(nm --defined-only "$lib" | awk 'NF == 3 {print $3}' | sort -u)
# a sanitizer build's instrumentation is not the code's own doing
undefined=$(nm -u "$lib" | awk 'NF == 2 && $1 == "U" {print $2}' |
	grep -Ev '^__(asan|ubsan|sanitizer|lsan)_' | sort -u)
allowed=$(sed 's/#.*//' "$allow" | awk 'NF {print $1}' | sort -u)
calls=$(comm -23 <(echo "$undefined") <(echo "$defined"))
[ -n "$calls" ] || { echo "nm found no calls in $lib: wrong file?"; exit 1; }
bad=$(comm -23 <(echo "$calls") <(echo "$allowed"))
if [ -n "$bad" ]; then
	echo "the data path ($lib) calls what $allow does not allow:"
	for s in $bad; do
		echo "  $s, from $(nm -A -u "$lib" | awk -v s="$s" '$NF == s {print $1}' | tr '\n' ' ')"
	done
	exit 1
fi
# entries a build's flags make unused (hardening, sanitizers) are not stale
stale=$(comm -13 <(echo "$calls") <(echo "$allowed"))
[ -z "$stale" ] || echo "allowed but not called by this build: $(echo $stale)"
echo "data path: $(echo "$calls" | wc -l) outside symbols, all allowed"

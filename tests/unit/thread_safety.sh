#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# clang's thread-safety analysis over relay/: every field marked
# GUARDED_BY(lock) (relay/lock.h) is touched only with its lock held, every
# function marked REQUIRES(lock) is called with it. gcc builds the daemon;
# this compiles each file once more with clang, to check, not to link.
# Usage: thread_safety.sh SOURCE_ROOT
set -euo pipefail
top=$1
command -v clang >/dev/null || { echo "clang is needed (scripts/setup-host.sh installs it)"; exit 1; }
cflags=$(pkg-config --cflags libdpdk)
n=0
for f in "$top"/relay/*.c; do
	# shellcheck disable=SC2086
	clang -fsyntax-only -std=gnu11 -Wthread-safety -Werror -DALLOW_EXPERIMENTAL_API \
		-D_GNU_SOURCE $cflags -I"$top/relay" -I"$top/api" "$f"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no sources under $top/relay"; exit 1; }
grep -q GUARDED_BY "$top/relay/relay_int.h" || { echo "nothing is marked GUARDED_BY: the check checks nothing"; exit 1; }
echo "thread safety: $n files of relay/ checked"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Set the machine up and run the whole test suite (what CI runs): every
# suite on the normal build, then the unit, func and integration suites again on
# a build with AddressSanitizer and UndefinedBehaviorSanitizer (leaks and
# UB are fatal there). Needs root (network namespaces, taps, hugepages).
# Extra arguments go to both `meson test` runs (e.g. --suite unit);
# SANITIZERS=0 skips the second run.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
ASAN_BUILD=${ASAN_BUILD:-$TOP/build-asan}
"$TOP/scripts/setup-host.sh"
# tests keep their recorded ports in their own directories: a port recorded
# in the machine's state directory would come back with the next daemon
# started there (CI once failed on one left by an earlier run)
STATE_DIR=/var/lib/virtio-forwarder
state_was_there=0
[ ! -e "$STATE_DIR" ] || state_was_there=1
check_state_dir() {
	[ $state_was_there = 1 ] || [ ! -e "$STATE_DIR" ] ||
		{ echo "a test left $STATE_DIR behind:"; ls -la "$STATE_DIR"; exit 1; }
}
meson test -C "$BUILD" --print-errorlogs "$@"
check_state_dir
[ "${SANITIZERS:-1}" = 1 ] || exit 0

[ -f "$ASAN_BUILD/build.ninja" ] ||
	meson setup "$ASAN_BUILD" "$TOP" -Db_sanitize=address,undefined -Db_lundef=false
ninja -C "$ASAN_BUILD"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
suites=(--suite unit --suite func --suite integration)
[ $# -eq 0 ] || suites=("$@")
meson test -C "$ASAN_BUILD" --print-errorlogs "${suites[@]}"
check_state_dir

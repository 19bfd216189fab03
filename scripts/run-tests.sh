#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Set the machine up and run the whole test suite (unit, integration, vm).
# Needs root (network namespaces, taps, hugepages). Extra arguments go to
# `meson test` (e.g. --suite unit).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
"$TOP/scripts/setup-host.sh"
exec meson test -C "$BUILD" --print-errorlogs "$@"

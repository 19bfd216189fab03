#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ExecStart of vio4wd_core_scheduler.service: the VIO4WD_CORE_SCHED_*
# variables (blank: the scheduler's default) as options; unlike the
# original unit, --global-numa-opt is really passed.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vio4wd-common.sh"
args=()
[ -z "${VIRTIOFWD_ZMQ_STATS_EP:-}" ] || args+=(--stats-ep "$VIRTIOFWD_ZMQ_STATS_EP")
[ -z "${VIRTIOFWD_ZMQ_CORE_SCHED_EP:-}" ] || args+=(--sched-ep "$VIRTIOFWD_ZMQ_CORE_SCHED_EP")
[ -z "${VIO4WD_CORE_SCHED_SENSITIVITY:-}" ] || args+=(--sensitivity "$VIO4WD_CORE_SCHED_SENSITIVITY")
[ -z "${VIO4WD_CORE_SCHED_POLL_INTERVAL:-}" ] || args+=(--poll-interval "$VIO4WD_CORE_SCHED_POLL_INTERVAL")
[ -z "${VIO4WD_CORE_SCHED_LOG_LEVEL:-}" ] || args+=(--loglevel "$VIO4WD_CORE_SCHED_LOG_LEVEL")
! vfwd_yes "${VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT:-}" || args+=(--global-numa-opt)
exec "$HERE/core_scheduler" "${args[@]}"

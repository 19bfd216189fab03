#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ExecStopPost of virtio-forwarder.service: wait (up to 10 s) until the
# daemon's PID is gone, so a restart never meets the old EAL instance.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vio4wd-common.sh"
pidfile=${VIRTIOFWD_PID_DIR:-/var/run}/virtio-forwarder.pid
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile" 2>/dev/null || true)
[ -n "$pid" ] || exit 0
for _ in $(seq 50); do
	kill -0 "$pid" 2>/dev/null || exit 0
	sleep 0.2
done
echo "virtio-forwarder (pid $pid) did not exit within 10 s" >&2
exit 1

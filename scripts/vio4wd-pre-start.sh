#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ExecStartPre of virtio-forwarder.service: directories for the ipc control
# endpoints and the vhost sockets, optional vfio-pci binding, stale PID file.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vio4wd-common.sh"

owner=${VIRTIOFWD_SOCKET_OWNER:-}
group=${VIRTIOFWD_SOCKET_GROUP:-}
id -u "$owner" >/dev/null 2>&1 || owner=""
getent group "$group" >/dev/null 2>&1 || group=""

# ipc:///dir/name -> dir (a trailing "/" means the path is the directory)
for ep in "${VIRTIOFWD_ZMQ_CONFIG_EP:-}" "${VIRTIOFWD_ZMQ_PORT_CONTROL_EP:-}" \
	"${VIRTIOFWD_ZMQ_STATS_EP:-}" "${VIRTIOFWD_ZMQ_CORE_SCHED_EP:-}"; do
	case "$ep" in
	ipc://*/) dir=${ep#ipc://} ;;
	ipc://*) dir=$(dirname "${ep#ipc://}") ;;
	*) continue ;;
	esac
	install -d -m 0750 "$dir"
	[ -z "$group" ] || chgrp "$group" "$dir"
done

sockdir=${VIRTIOFWD_SOCKET_DIR:-/tmp}
if [ "$sockdir" != /tmp ]; then
	install -d -m 0775 "$sockdir"
	[ -z "$owner" ] || chown "$owner" "$sockdir"
	[ -z "$group" ] || chgrp "$group" "$sockdir"
fi

if [ -n "${VIRTIOFWD_BIND_VFIO_PCI:-}" ]; then
	# shellcheck disable=SC2068
	"$HERE/vfwd-bind-vfio.sh" ${VIRTIOFWD_BIND_VFIO_PCI[@]}
fi

# The daemon's own lock on its PID file (flock, held for its whole life)
# says whether it runs: a PID file nobody locks is stale. It is removed
# under that lock, so a daemon starting meanwhile either fails its own lock
# or creates a fresh file; a name check (/proc/PID/comm is cut to 15
# characters) would not tell.
pidfile=${VIRTIOFWD_PID_DIR:-/var/run}/virtio-forwarder.pid
if [ -f "$pidfile" ]; then
	rc=0
	flock --nonblock --conflict-exit-code 75 "$pidfile" rm -f "$pidfile" || rc=$?
	if [ $rc -eq 75 ]; then
		echo "virtio-forwarder already running (pid $(cat "$pidfile" 2>/dev/null)," \
			"$pidfile is locked)" >&2
		exit 1
	fi
	[ $rc -eq 0 ] || exit $rc
fi

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ExecStart of virtio-forwarder.service: turn the VIRTIOFWD_*/VIO4WD_*
# variables into daemon options (blank or unset: the daemon's default) and
# exec the daemon in the foreground, so systemd supervises it directly.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vio4wd-common.sh"

bin=${VIRTIOFWD_BINARY:-@BINDIR@/virtio-forwarder}
[ -n "${VIRTIOFWD_CPU_MASK:-}" ] || { echo "VIRTIOFWD_CPU_MASK not set" >&2; exit 1; }
args=(-C "$VIRTIOFWD_CPU_MASK")
# journald reads stdout; VIRTIOFWD_LOG_SYSLOG=y sends the log to syslog instead
if vfwd_yes "${VIRTIOFWD_LOG_SYSLOG:-}"; then args+=(--nodaemon=log_syslog); else args+=(--nodaemon); fi

opt() { # opt VALUE OPTION: add OPTION=VALUE when VALUE is not blank
	[ -z "$1" ] || args+=("$2=$1")
}
flag() { # flag VALUE OPTION: add OPTION when VALUE is yes
	! vfwd_yes "$1" || args+=("$2")
}
each() { # each VARNAME OPTION: one OPTION=x per element of a scalar or array
	local -n ref=$1 2>/dev/null || return 0
	local v
	[ -n "${ref+set}" ] || return 0
	for v in "${ref[@]}"; do
		# a scalar may hold several blank-separated entries
		for w in $v; do args+=("$2=$w"); done
	done
}

opt "${VIRTIOFWD_LOG_LEVEL:-}" --loglevel
opt "${VIRTIOFWD_MASTER_LCORE:-}" --master-lcore
opt "${VIRTIOFWD_PID_DIR:-}" --pid-path
opt "${VIRTIOFWD_HUGETLBFS_MOUNT_POINT:-}" --huge-dir
opt "${VIRTIOFWD_SOCKET_DIR:-}" --vhost-path
opt "${VIRTIOFWD_SOCKET_FNAME_PATTERN:-}" --vhost-socket
opt "${VIRTIOFWD_SOCKET_OWNER:-}" --vhost-username
opt "${VIRTIOFWD_SOCKET_GROUP:-}" --vhost-groupname
opt "${VIRTIOFWD_VFIO_VF_TOKEN:-}" --vfio-vf-token
opt "${VIRTIOFWD_OVSDB_SOCK_PATH:-}" --ovsdb-sock
opt "${VIRTIOFWD_IDLE_SLEEP_MAX_US:-}" --idle-sleep-max-us
opt "${VIRTIOFWD_VF_QUEUES:-}" --vf-queues
opt "${VIRTIOFWD_STATE_DIR:-}" --state-dir
flag "${VIRTIOFWD_IDLE_INTERRUPTS:-}" --idle-interrupts
flag "${VIRTIOFWD_JUMBO:-}" --enable-jumbo
flag "${VIRTIOFWD_MRGBUF:-}" --enable-mrgbuf
flag "${VIRTIOFWD_TSO:-}" --enable-tso
flag "${VIRTIOFWD_VHOST_IOMMU:-}" --vhost-iommu
flag "${VIRTIOFWD_DYNAMIC_SOCKETS:-}" --dynamic-sockets
flag "${VIRTIOFWD_CPU_NIC_SAME_NUMA:-}" --same-numa
flag "${VIRTIOFWD_VHOST_CLIENT:-}" --vhostuser-client
flag "${VIRTIOFWD_ZERO_COPY:-}" --zero-copy
flag "${VIRTIOFWD_IPC_PORT_CONTROL:-}" --ipc
flag "${VIRTIOFWD_NO_PERSIST:-}" --no-persist
opt "${VIRTIOFWD_ZMQ_CONFIG_EP:-}" --zmq-config-ep
opt "${VIRTIOFWD_ZMQ_PORT_CONTROL_EP:-}" --zmq-port-control-ep
opt "${VIRTIOFWD_ZMQ_STATS_EP:-}" --zmq-stats-ep
# as the original: the core scheduler endpoint only when enabled
if [ "${VIO4WD_CORE_SCHED_ENABLE:-}" = true ]; then
	opt "${VIRTIOFWD_ZMQ_CORE_SCHED_EP:-}" --zmq-core-sched-ep
fi
each VIRTIOFWD_STATIC_VFS --add-pci-vf
each VIRTIOFWD_CPU_PINS --virtio-cpu

# extra EAL arguments (ours): words after "--"
if [ -n "${VIRTIOFWD_EAL_ARGS:-}" ]; then
	# shellcheck disable=SC2206
	args+=(-- $VIRTIOFWD_EAL_ARGS)
fi
exec "$bin" "${args[@]}"

/* SPDX-License-Identifier: BSD-3-Clause */
/* Process plumbing: PID file lock, daemonizing, systemd notification. */
#ifndef VFWD_DAEMON_H
#define VFWD_DAEMON_H

/* Create and lock <dir>/virtio-forwarder.pid; -EBUSY if another instance
 * holds it. The lock lives as long as the process. */
int daemon_pidfile_lock(const char *dir);
void daemon_pidfile_remove(void);
/* sd_notify(3) protocol: a datagram to $NOTIFY_SOCKET, if set. */
void daemon_notify(const char *state);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread's event loop: the ZeroMQ services plus whatever file
 * descriptors the daemon adds (signals, relay events). */
#ifndef VFWD_CONTROL_H
#define VFWD_CONTROL_H

#include <stdbool.h>
#include <sys/types.h>

#include "svc.h"

/* Bind the services whose endpoint is non-NULL. ipc endpoint files get
 * mode 0660 and group gid ((gid_t)-1: the process group). 0 or -errno. */
int control_open(const char *const ep[SVC_COUNT], gid_t gid);

struct control_fd {
	int fd;
	bool (*ready)(void *arg); /* false: leave control_run */
	void *arg;
};

/* The control lock. relay.h's functions are the control thread's; another
 * thread that reads relay state (DPDK's telemetry thread: src/telemetry.c)
 * takes this lock around its relay_*() calls. control_run holds it while
 * it handles a request, a relay event or a signal (not while it waits),
 * so such a reader sees the relays between two operations, never inside
 * one. Never held by a worker or the vhost thread. */
void control_lock(void);
void control_unlock(void);

/* Serve requests and the fds until a callback returns false; the fds'
 * callbacks and the services run under the control lock. */
void control_run(const struct control_fd *fds, unsigned n);
void control_close(void);

/* endpoint.c */
int endpoint_bind(void *sock, const char *ep, gid_t gid);

#endif

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

/* Serve requests and the fds until a callback returns false. */
void control_run(const struct control_fd *fds, unsigned n);
void control_close(void);

/* endpoint.c */
int endpoint_bind(void *sock, const char *ep, gid_t gid);

#endif

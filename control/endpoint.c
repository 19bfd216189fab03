/* SPDX-License-Identifier: BSD-3-Clause */
/* Binding an endpoint; ipc socket files are made 0660 (owner and group
 * only) right after bind. The umask is process-wide and EAL threads run
 * meanwhile, so it is left alone: until the chmod the file has the
 * process umask's mode, and connecting needs write permission, which the
 * usual umask (022, systemd's default) gives nobody but the owner. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "clog.h"
#include "control.h"

int endpoint_bind(void *sock, const char *ep, gid_t gid)
{
	const char *path = strncmp(ep, "ipc://", 6) == 0 ? ep + 6 : NULL;
	if (path != NULL && path[0] == '/') {
		char *copy = strdup(path);
		if (copy == NULL)
			return -ENOMEM;
		char *dir = dirname(copy);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			ctl_log(CLOG_WARNING, "control: mkdir %s: %s", dir, strerror(errno));
		free(copy);
	}
	if (zmq_bind(sock, ep) < 0) {
		int err = errno;
		ctl_log(CLOG_ERR, "control: bind %s: %s", ep, zmq_strerror(err));
		return -err;
	}
	if (path != NULL && chmod(path, 0660) < 0) {
		int err = errno;
		ctl_log(CLOG_ERR, "control: chmod %s: %s", path, strerror(err));
		zmq_unbind(sock, ep);
		return -err;
	}
	if (path != NULL && gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
		ctl_log(CLOG_WARNING, "control: chown %s: %s", path, strerror(errno));
	return 0;
}

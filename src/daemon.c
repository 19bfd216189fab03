/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char *pidfile_path;
static int pidfile_fd = -1;

int daemon_pidfile_lock(const char *dir)
{
	if (asprintf(&pidfile_path, "%s/virtio-forwarder.pid", dir) < 0)
		return -ENOMEM;
	pidfile_fd = open(pidfile_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pidfile_fd < 0)
		return -errno;
	/* flock, not lockf: the service's pre-start asks the same lock
	 * (flock(1)) whether a daemon runs */
	if (flock(pidfile_fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		close(pidfile_fd);
		pidfile_fd = -1;
		free(pidfile_path);
		pidfile_path = NULL;
		return err == EWOULDBLOCK ? -EBUSY : -err;
	}
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(pidfile_fd, 0) < 0 || write(pidfile_fd, buf, len) != len)
		return -errno;
	return 0;
}

void daemon_pidfile_remove(void)
{
	if (pidfile_path != NULL)
		unlink(pidfile_path);
	if (pidfile_fd >= 0)
		close(pidfile_fd);
	free(pidfile_path);
	pidfile_path = NULL;
	pidfile_fd = -1;
}

void daemon_notify(const char *state)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	if (sock == NULL || (sock[0] != '/' && sock[0] != '@'))
		return;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(sock);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, sock, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

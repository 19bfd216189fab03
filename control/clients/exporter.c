/* SPDX-License-Identifier: BSD-3-Clause */
/* vfwd-exporter: serves the relays' counters to Prometheus over HTTP
 * (GET /metrics), asking the daemon's stats service at every scrape. A
 * separate small process, so the daemon itself speaks no HTTP.
 *   vfwd-exporter [--listen HOST:PORT] [--stats-ep EP] */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client.h"
#include "prom.h"

static int listen_on(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host))
		return -1;
	memcpy(host, hostport, colon - hostport);
	host[colon - hostport] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE}, *ai;
	char *h = host[0] == '[' ? host + 1 : host;
	if (h != host)
		h[strlen(h) - 1] = '\0';
	if (getaddrinfo(h[0] ? h : NULL, colon + 1, &hints, &ai) != 0)
		return -1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
		"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		status, type, len);
	if (write(fd, head, (size_t)n) == n && len > 0)
		(void)!write(fd, body, len);
}

static void serve(int fd, const char *ep)
{
	char req[4096];
	size_t got = 0;
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < sizeof(req) - 1) {
		ssize_t n = read(fd, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	if (strncmp(req, "GET /metrics ", 13) != 0 && strncmp(req, "GET /metrics?", 13) != 0) {
		const char *msg = "virtio-forwarder exporter: see /metrics\n";
		respond(fd, "404 Not Found", "text/plain", msg, strlen(msg));
		return;
	}
	Virtioforwarder__StatsRequest sreq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	sreq.has_include_inactive = true;
	sreq.include_inactive = true;
	uint8_t buf[16], *rep = NULL;
	size_t rep_len, len = protobuf_c_message_pack(&sreq.base, buf);
	Virtioforwarder__StatsResponse *r = NULL;
	if (client_request(ep, buf, len, 2000, &rep, &rep_len) == 0)
		r = virtioforwarder__stats_response__unpack(NULL, rep_len, rep);
	free(rep);
	char *body = NULL;
	size_t body_len = 0;
	FILE *f = open_memstream(&body, &body_len);
	prom_write(f, r);
	fclose(f);
	respond(fd, "200 OK", "text/plain; version=0.0.4", body, body_len);
	free(body);
	if (r != NULL)
		virtioforwarder__stats_response__free_unpacked(r, NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"stats-ep", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *addr = "127.0.0.1:9477", *ep = EP_DIR "stats";
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'l')
			addr = optarg;
		else if (opt == 's')
			ep = optarg;
		else {
			fprintf(stderr, "usage: vfwd-exporter [--listen HOST:PORT] [--stats-ep EP]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	int lfd = listen_on(addr);
	if (lfd < 0) {
		fprintf(stderr, "vfwd-exporter: cannot listen on %s: %s\n", addr, strerror(errno));
		return 1;
	}
	fprintf(stderr, "vfwd-exporter: serving %s on http://%s/metrics\n", ep, addr);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("vfwd-exporter: accept");
			return 1;
		}
		serve(fd, ep);
		close(fd);
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* vfwd-exporter: serves the relays' counters to Prometheus over HTTP
 * (GET or HEAD /metrics), asking the daemon's stats service at every
 * scrape. A separate small process, so the daemon itself speaks no HTTP.
 * libmicrohttpd serves each connection on its own thread: scrapes run
 * concurrently, keep-alive works, and a client that connects and sends
 * nothing (or sends slowly) holds only its own thread, until the idle
 * timeout closes it.
 *   vfwd-exporter [--listen HOST:PORT] [--stats-ep EP] */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cli.h"
#include "client.h"
#include "prom.h"

#define STATS_TIMEOUT_MS 2000 /* the daemon's answer; under Prometheus' 10 s */
#define IDLE_TIMEOUT_S 10     /* a connection with no request for this long is closed */
#define MAX_CONNECTIONS 64    /* one thread each */

static int listen_on(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(host, hostport, colon - hostport);
	host[colon - hostport] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE}, *ai;
	char *h = host[0] == '[' ? host + 1 : host;
	if (h != host)
		h[strlen(h) - 1] = '\0';
	if (getaddrinfo(h[0] ? h : NULL, colon + 1, &hints, &ai) != 0) {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		errno = err;
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* The exposition text of one scrape (malloc'd), or NULL. */
static char *scrape(const char *ep, size_t *len)
{
	Virtioforwarder__StatsRequest sreq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	sreq.has_include_inactive = true;
	sreq.include_inactive = true;
	uint8_t buf[16], *rep = NULL;
	size_t rep_len, req_len = protobuf_c_message_pack(&sreq.base, buf);
	Virtioforwarder__StatsResponse *r = NULL;
	if (client_request(ep, buf, req_len, STATS_TIMEOUT_MS, &rep, &rep_len) == 0)
		r = virtioforwarder__stats_response__unpack(NULL, rep_len, rep);
	free(rep);
	char *body = NULL;
	FILE *f = open_memstream(&body, len);
	if (f != NULL) {
		prom_write(f, r);
		if (fclose(f) != 0) {
			free(body);
			body = NULL;
		}
	}
	if (r != NULL)
		virtioforwarder__stats_response__free_unpacked(r, NULL);
	return body;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text,
	const char *allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* libmicrohttpd's request handler, on the connection's own thread. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_size,
	void **req_cls)
{
	(void)version, (void)upload;
	static int seen; /* marks a request whose headers were seen */
	const char *ep = cls;
	/* answer only once the whole request is read: a response queued in
	 * the first call (headers only) makes libmicrohttpd close the
	 * connection, which would end keep-alive */
	if (*req_cls == NULL) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (*upload_size != 0) { /* a body: read and ignore it */
		*upload_size = 0;
		return MHD_YES;
	}
	bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD /metrics\n", "GET, HEAD");
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "virtio-forwarder exporter: see /metrics\n",
			NULL);
	/* HEAD asks the daemon too: its Content-Length is the GET's */
	size_t len = 0;
	char *body = scrape(ep, &len);
	if (body == NULL)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, body,
		free);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1:9477", *ep = EP_DIR "stats";
	const struct cli_opt opts[] = {
		CLI_STR("listen", &addr),
		CLI_STR("stats-ep", &ep),
		CLI_END,
	};
	static const char usage[] = "usage: vfwd-exporter [--listen HOST:PORT] [--stats-ep EP]\n";
	int operand = cli_parse(argc, argv, opts, usage);
	if (operand < 0)
		return 2;
	if (operand < argc) {
		fprintf(stderr, "vfwd-exporter: unexpected argument %s\n", argv[operand]);
		return 2;
	}
	/* every thread (libmicrohttpd's included) inherits this mask: the
	 * main thread alone takes the stop signals */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	int lfd = listen_on(addr);
	if (lfd < 0) {
		fprintf(stderr, "vfwd-exporter: cannot listen on %s: %s\n", addr, strerror(errno));
		return 1;
	}
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, (void *)ep,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
		MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "vfwd-exporter: cannot start the HTTP server on %s\n", addr);
		close(lfd);
		return 1;
	}
	fprintf(stderr, "vfwd-exporter: serving %s on http://%s/metrics\n", ep, addr);
	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "vfwd-exporter: signal %d, stopping\n", sig);
	MHD_stop_daemon(d);
	close(lfd);
	return 0;
}

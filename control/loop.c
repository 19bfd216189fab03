/* SPDX-License-Identifier: BSD-3-Clause */
/* One event loop for the control thread. Services are ROUTER sockets:
 * to a REQ client (every original client) a ROUTER is a REP, one frame in,
 * one frame out, but it lets a stats request with a delay wait for its
 * window while other requests on any service are answered. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "clog.h"
#include "control.h"
#include "persist.h"

#define MAX_ENVELOPE 8      /* routing frames we keep for a reply */
#define MAX_PENDING 256     /* delayed stats requests in flight */
#define MAX_WIRE_MSG (1 << 20) /* libzmq drops peers sending more */

static const char *const svc_names[SVC_COUNT] = {"config", "port_control", "stats", "core_sched"};

static void *zctx;
static void *socks[SVC_COUNT];

struct envelope {
	zmq_msg_t frames[MAX_ENVELOPE];
	unsigned n;
};

struct pending {
	struct envelope env;
	struct stats_pending *stats;
	uint64_t deadline_ms;
};

static struct pending *pendings[MAX_PENDING];

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int control_open(const char *const ep[SVC_COUNT], gid_t gid)
{
	zctx = zmq_ctx_new();
	if (zctx == NULL)
		return -ENOMEM;
	for (int s = 0; s < SVC_COUNT; s++) {
		if (ep[s] == NULL)
			continue;
		socks[s] = zmq_socket(zctx, ZMQ_ROUTER);
		int linger = 1000, zero = 0;
		int64_t max = MAX_WIRE_MSG;
		zmq_setsockopt(socks[s], ZMQ_LINGER, &linger, sizeof(linger));
		zmq_setsockopt(socks[s], ZMQ_SNDTIMEO, &zero, sizeof(zero));
		zmq_setsockopt(socks[s], ZMQ_MAXMSGSIZE, &max, sizeof(max));
		int mandatory = 1; /* an unroutable reply is an error we log */
		zmq_setsockopt(socks[s], ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory));
		int ret = endpoint_bind(socks[s], ep[s], gid);
		if (ret < 0)
			return ret;
		ctl_log(CLOG_INFO, "control: %s service on %s", svc_names[s], ep[s]);
	}
	return 0;
}

static void envelope_close(struct envelope *e)
{
	for (unsigned i = 0; i < e->n; i++)
		zmq_msg_close(&e->frames[i]);
	e->n = 0;
}

/* A reply that cannot go (the client left: EHOSTUNREACH, since the sockets
 * are ROUTER_MANDATORY; its queue full: EAGAIN) is logged, not dropped
 * silently, and the frames zmq did not take are freed. */
static void send_reply(enum svc_kind kind, struct envelope *e, struct buf *reply)
{
	void *sock = socks[kind];
	int rc = 0;
	unsigned sent = 0;
	while (sent < e->n && rc >= 0)
		if ((rc = zmq_msg_send(&e->frames[sent], sock, ZMQ_SNDMORE | ZMQ_DONTWAIT)) >= 0)
			sent++;
	for (unsigned i = sent; i < e->n; i++)
		zmq_msg_close(&e->frames[i]);
	e->n = 0;
	/* once the first frame is queued, zmq queues the rest with it */
	if (rc >= 0)
		rc = zmq_send(sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	if (rc >= 0)
		rc = zmq_send(sock, reply->data != NULL ? reply->data : (uint8_t *)"", reply->len,
			ZMQ_DONTWAIT);
	if (rc < 0)
		ctl_log(CLOG_WARNING, "control: %s: reply not sent: %s", svc_names[kind],
			zmq_strerror(zmq_errno()));
	free(reply->data);
	reply->data = NULL;
}

static bool more(void *sock)
{
	int m = 0;
	size_t len = sizeof(m);
	zmq_getsockopt(sock, ZMQ_RCVMORE, &m, &len);
	return m != 0;
}

static void drain(void *sock)
{
	zmq_msg_t junk;
	zmq_msg_init(&junk);
	while (more(sock) && zmq_msg_recv(&junk, sock, 0) >= 0)
		;
	zmq_msg_close(&junk);
}

static void add_pending(struct pending *p)
{
	for (unsigned i = 0; i < MAX_PENDING; i++)
		if (pendings[i] == NULL) {
			pendings[i] = p;
			return;
		}
	/* full: answer now, over the window elapsed so far */
	struct buf reply = {0};
	svc_stats_finish(p->stats, &reply);
	send_reply(SVC_STATS, &p->env, &reply);
	free(p);
}

/* Take one request off a ROUTER socket and answer or park it. */
static void serve_one(enum svc_kind kind)
{
	void *sock = socks[kind];
	struct envelope env = {.n = 0};
	zmq_msg_t body;

	/* routing frames up to the empty delimiter a REQ client puts */
	for (;;) {
		zmq_msg_t f;
		zmq_msg_init(&f);
		if (zmq_msg_recv(&f, sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&f);
			envelope_close(&env);
			return;
		}
		if (zmq_msg_size(&f) == 0 && env.n > 0) {
			zmq_msg_close(&f);
			break;
		}
		if (env.n == MAX_ENVELOPE || !more(sock)) {
			/* not a REQ peer: nothing we can answer */
			ctl_log(CLOG_WARNING, "control: %s: message without a REQ envelope dropped",
				svc_names[kind]);
			zmq_msg_close(&f);
			drain(sock);
			envelope_close(&env);
			return;
		}
		env.frames[env.n++] = f;
	}
	zmq_msg_init(&body);
	bool ok = more(sock) && zmq_msg_recv(&body, sock, 0) >= 0;
	bool extra = ok && more(sock);
	drain(sock);

	struct buf reply = {0};
	size_t len = ok ? zmq_msg_size(&body) : 0;
	const uint8_t *data = zmq_msg_data(&body);
	if (!ok || extra || len > SVC_MAX_REQUEST) {
		ctl_log(CLOG_WARNING, "control: %s: %s request rejected", svc_names[kind],
			!ok ? "empty" : extra ? "multi-frame" : "oversized");
		svc_error_reply(kind, &reply);
	} else if (kind == SVC_STATS) {
		unsigned delay;
		struct stats_pending *sp = svc_stats_start(data, len, &delay, &reply);
		if (sp != NULL) {
			struct pending *p = malloc(sizeof(*p));
			if (p == NULL) {
				svc_stats_finish(sp, &reply);
			} else {
				p->env = env;
				p->stats = sp;
				p->deadline_ms = now_ms() + delay;
				zmq_msg_close(&body);
				add_pending(p);
				return;
			}
		}
	} else if (kind == SVC_PORT) {
		svc_port_handle(data, len, &reply);
		persist_note(kind, data, len, &reply); /* recorded before the client hears OK */
	} else if (kind == SVC_CONFIG) {
		svc_config_handle(data, len, &reply);
	} else {
		svc_core_handle(data, len, &reply);
		persist_note(kind, data, len, &reply);
	}
	zmq_msg_close(&body);
	send_reply(kind, &env, &reply);
}

static int next_timeout_ms(void)
{
	uint64_t now = now_ms(), first = UINT64_MAX;
	for (unsigned i = 0; i < MAX_PENDING; i++)
		if (pendings[i] != NULL && pendings[i]->deadline_ms < first)
			first = pendings[i]->deadline_ms;
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

static void finish_due(void)
{
	uint64_t now = now_ms();
	for (unsigned i = 0; i < MAX_PENDING; i++) {
		struct pending *p = pendings[i];
		if (p == NULL || p->deadline_ms > now)
			continue;
		struct buf reply = {0};
		svc_stats_finish(p->stats, &reply);
		send_reply(SVC_STATS, &p->env, &reply);
		free(p);
		pendings[i] = NULL;
	}
}

void control_run(const struct control_fd *fds, unsigned n)
{
	zmq_pollitem_t items[SVC_COUNT + 16];
	int kinds[SVC_COUNT];
	unsigned n_items = 0, n_socks = 0;

	for (int s = 0; s < SVC_COUNT; s++)
		if (socks[s] != NULL) {
			items[n_items] = (zmq_pollitem_t){.socket = socks[s], .events = ZMQ_POLLIN};
			kinds[n_items++] = s;
		}
	n_socks = n_items;
	for (unsigned i = 0; i < n && i < 16; i++)
		items[n_items++] = (zmq_pollitem_t){.fd = fds[i].fd, .events = ZMQ_POLLIN};
	for (;;) {
		int ret = zmq_poll(items, (int)n_items, next_timeout_ms());
		if (ret < 0 && zmq_errno() != EINTR) {
			ctl_log(CLOG_ERR, "control: zmq_poll: %s", zmq_strerror(zmq_errno()));
			return;
		}
		control_lock();
		for (unsigned i = n_socks; i < n_items && ret > 0; i++)
			if ((items[i].revents & ZMQ_POLLIN) && !fds[i - n_socks].ready(fds[i - n_socks].arg)) {
				control_unlock();
				return;
			}
		for (unsigned i = 0; i < n_socks && ret > 0; i++) {
			/* ROUTER readiness is edge-like: take all that is queued */
			int events = 0;
			size_t len = sizeof(events);
			while (zmq_getsockopt(items[i].socket, ZMQ_EVENTS, &events, &len) == 0 &&
				(events & ZMQ_POLLIN))
				serve_one((enum svc_kind)kinds[i]);
		}
		finish_due();
		control_unlock();
	}
}

void control_close(void)
{
	for (unsigned i = 0; i < MAX_PENDING; i++)
		if (pendings[i] != NULL) {
			struct buf reply = {0};
			svc_stats_finish(pendings[i]->stats, &reply);
			send_reply(SVC_STATS, &pendings[i]->env, &reply);
			free(pendings[i]);
			pendings[i] = NULL;
		}
	for (int s = 0; s < SVC_COUNT; s++)
		if (socks[s] != NULL) {
			zmq_close(socks[s]);
			socks[s] = NULL;
		}
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	zctx = NULL;
}

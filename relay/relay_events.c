/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay event ring (relay_events.h): an rte_ring of many producers and
 * one consumer, and an eventfd that wakes the control loop. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ring.h>

#include "relay.h"
#include "relay_events.h"
#include "relay_log.h"

static RTE_LOG_REGISTER(logtype, vfwd.relay, INFO);

/* control: init/fini and the one consumer; producers: the vhost thread,
 * the interrupt thread, workers (relay_events.h) */
static struct rte_ring *events;
static int event_fd = -1; /* producers: w (wake); control: r (relay_event_next) */

int relay_events_init(void)
{
	events = rte_ring_create_elem("vfwd_events", sizeof(struct relay_event), 1024,
		SOCKET_ID_ANY, RING_F_SC_DEQ);
	event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return events == NULL || event_fd < 0 ? -ENOMEM : 0;
}

void relay_events_fini(void)
{
	if (event_fd >= 0)
		close(event_fd);
	event_fd = -1;
	rte_ring_free(events);
	events = NULL;
}

void relay_post_event(enum relay_event_type type, unsigned relay_id, uint64_t seq)
{
	struct relay_event ev = {.type = type, .relay_id = relay_id, .seq = seq};
	if (rte_ring_mp_enqueue_elem(events, &ev, sizeof(ev)) < 0)
		LOG(CRIT, "relay %u: event ring full, event %u lost", relay_id, type);
	uint64_t one = 1;
	if (write(event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		LOG(ERR, "relay event fd: %s", strerror(errno));
}

int relay_event_fd(void)
{
	return event_fd;
}

bool relay_event_next(struct relay_event *ev)
{
	if (rte_ring_empty(events)) {
		/* consumed the wake-up only once the ring is seen empty: an
		 * event posted after this read writes the fd again */
		uint64_t n;
		if (read(event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			LOG(ERR, "relay event fd: %s", strerror(errno));
	}
	return rte_ring_sc_dequeue_elem(events, ev, sizeof(*ev)) == 0;
}

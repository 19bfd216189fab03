/* SPDX-License-Identifier: BSD-3-Clause */
/* Guest TX queues that refuse their entries. A chain librte_vhost will not
 * take (a descriptor loop, an address outside guest memory, a bad indirect
 * table) is never consumed: every dequeue walks it again and returns
 * nothing, which on a big ring costs the worker milliseconds a poll. Such a
 * queue is backed off (exponentially, up to RELAY_STALL_MAX_US), counted
 * once per stall as stalled_queue, and reported to the control thread,
 * which logs it. Worker code, called only off the fast path (after an
 * empty dequeue, or for a slot already suspect). */
#include <string.h>

#include <rte_cycles.h>
#include <rte_vhost.h>

#include "datapath.h"
#include "relay_events.h"
#include "relay_int.h"

#define COUNT(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

static uint64_t tsc_after_us(uint32_t us)
{
	return rte_rdtsc() + rte_get_tsc_hz() / 1000000 * us;
}

void stall_refused(struct relay_unit *u, int vid, uint16_t qid, uint16_t slot)
{
	struct txq_stall *s = &u->stall[slot];
	/* rte_vhost_avail_entries reads a split ring's avail index (on a
	 * packed ring it reads the event suppression area): packed rings are
	 * not followed. The ring layout is the one count_vhost_drops (fwd.c)
	 * took for this connection just before, on the same dequeue. An empty
	 * queue is a healthy one (also ends a backoff). */
	if (!u->chains_split || rte_vhost_avail_entries(vid, qid) == 0) {
		if (u->stall_suspect & (1u << slot)) /* else nothing to clear */
			stall_moved(u, slot);
		return;
	}
	u->stall_suspect |= 1u << slot;
	if (s->backoff_us == 0) {
		if (++s->refused < RELAY_STALL_POLLS)
			return;
		s->backoff_us = RELAY_STALL_MIN_US;
		COUNT(u->c.stalled_queue, 1);
		/* the control thread logs it: a worker does not */
		relay_post_event(EV_VM_STALL, u->relay_id, qid);
	} else {
		s->backoff_us = RTE_MIN(2 * s->backoff_us, (uint32_t)RELAY_STALL_MAX_US);
	}
	s->retry_tsc = tsc_after_us(s->backoff_us);
}

bool stall_skip(struct relay_unit *u, uint16_t slot)
{
	const struct txq_stall *s = &u->stall[slot];
	return s->backoff_us > 0 && (int64_t)(rte_rdtsc() - s->retry_tsc) < 0;
}

void stall_moved(struct relay_unit *u, uint16_t slot)
{
	u->stall_suspect &= ~(1u << slot);
	u->stall[slot] = (struct txq_stall){0};
}

void stall_reset(struct relay_unit *u)
{
	u->stall_suspect = 0;
	memset(u->stall, 0, sizeof(u->stall));
}

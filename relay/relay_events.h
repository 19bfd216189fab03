/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay event ring: what other threads tell the control thread.
 * Producers: vm.c's callbacks on the vhost thread, vf_events.c's on the
 * interrupt thread, workers (stall.c: EV_VM_STALL, once per stall). The
 * one consumer: the control thread, in relay_process_events (relay.c)
 * when the event fd wakes its loop. */
#ifndef VFWD_RELAY_EVENTS_H
#define VFWD_RELAY_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

/* EV_VF_*: relay_id unused, seq names the port (see vf_events.c) */
enum relay_event_type {
	EV_VM_NEW,
	EV_VM_DESTROY,
	EV_VM_QUEUES,
	EV_VM_STALL, /* a worker backed off a guest TX queue (seq: the vring) */
	EV_VF_LSC,   /* RTE_ETH_EVENT_INTR_LSC */
	EV_VF_RESET, /* RTE_ETH_EVENT_INTR_RESET */
	EV_VF_RMV,   /* RTE_ETH_EVENT_INTR_RMV */
	EV_VF_WATCH, /* the link watch's tick */
};

struct relay_event {
	uint32_t type; /* enum relay_event_type */
	uint32_t relay_id;
	uint64_t seq;
};

int relay_events_init(void);
void relay_events_fini(void);
/* Any thread. */
void relay_post_event(enum relay_event_type type, unsigned relay_id, uint64_t seq);
/* Control thread: the next event, false when none waits. */
bool relay_event_next(struct relay_event *ev);

#endif

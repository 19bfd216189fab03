/* SPDX-License-Identifier: BSD-3-Clause */
/* What worker.c (control side: plans, launch, placement) and worker_loop.c
 * (the poll loop, data path) share: a worker and its plan. */
#ifndef VFWD_WORKER_LOOP_H
#define VFWD_WORKER_LOOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "idle.h"
#include "place.h"
#include "relay_int.h"

/* A worker's plan: immutable once published, but for the scratch room
 * (active, quiet) in which the one worker polling it keeps its own split
 * of dirs[]; made by the control thread, so the loop never allocates. */
struct worker_plan {
	uint64_t gen; /* tells plans apart (a freed plan's address comes back) */
	unsigned n;
	struct relay_unit **active, **quiet; /* worker: rw; n entries each */
	struct relay_unit *dirs[];
};

struct worker {
	/* worker: w, control: r (single writer, relaxed) */
	uint64_t busy_cycles; /* TSC cycles of passes that moved packets */
	uint64_t packets;     /* packets those passes received */
	uint64_t sleeps;      /* times it went to sleep for want of work */
	uint64_t missed_wakeups; /* watchdog polls that found packets */
	/* worker: rw; control: sets it up before launch, frees it after stop;
	 * any thread wakes it (idle_wake: control on a plan change or stop,
	 * control and vhost thread through worker_fds_changed); see idle.h */
	struct idle_wait idle;
	/* control: w before launch; worker: r */
	unsigned lcore;
	struct rte_rcu_qsbr *qsbr;
	bool use_interrupts;
	_Atomic(struct worker_plan *) plan; /* control: w (store-release), worker: r (acquire) */
	_Atomic bool stop;                  /* control: w, worker: r (relaxed) */
	struct place_worker place; /* control only */
} __rte_cache_aligned; /* one worker's counters never share a line with the next one's plan */

/* The lcore's main function (rte_eal_remote_launch), arg a struct worker. */
int worker_main(void *arg);

#endif

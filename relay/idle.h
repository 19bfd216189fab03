/* SPDX-License-Identifier: BSD-3-Clause */
/* How an idle worker waits (idle.c). */
#ifndef VFWD_IDLE_H
#define VFWD_IDLE_H

#include <stdbool.h>
#include <stdint.h>
#include "relay_int.h"

/* One worker's (struct worker.idle); made by the control thread before
 * the worker starts (idle_init), freed after it stopped (idle_fini). */
struct idle_wait {
	int epfd;    /* worker: rw (the epoll set it sleeps on) */
	int wake_fd; /* eventfd: any thread writes to it (idle_wake), the worker reads */
	/* worker: rw; what the epoll set was built for */
	uint64_t set_plan_gen, set_epoch;
	/* control: w before launch; worker: r. Longest timed sleep; 0: never
	 * a timed one */
	unsigned sleep_max_us;
};
enum idle_decision {
	IDLE_STAY_AWAKE,  /* keep polling */
	IDLE_TIMED,       /* sleep, but some direction needs a timed poll */
	IDLE_UNTIL_WOKEN, /* every direction will wake us */
};
int idle_init(struct idle_wait *iw);
void idle_fini(struct idle_wait *iw);
/* Any thread: end iw's sleep (plan changed, stopping). */
void idle_wake(struct idle_wait *iw);
/* Any thread: fds of VMs or VFs changed; returns the new epoch. */
uint64_t idle_epoch_bump(void);
/* Worker, online: arm the notifications of dirs, or say why not. The
 * caller polls *recheck_passes more times (every queue once) before
 * idle_sleep, and disarms after it. */
enum idle_decision idle_arm(struct idle_wait *iw, struct relay_unit *const *dirs, unsigned n,
	uint64_t plan_gen, bool use_interrupts, unsigned *recheck_passes);
void idle_disarm(struct relay_unit *const *dirs, unsigned n);
/* Control thread, before publishing d: a direction starts disarmed. */
void idle_disarm_dir(const struct relay_unit *d);
/* Worker, offline: sleep until woken or timeout_us;
 * returns 0 after a timeout, else IDLE_WOKE_* bits. */
#define IDLE_WOKE_EVENT 1u
unsigned idle_sleep(struct idle_wait *iw, unsigned timeout_us);

#endif

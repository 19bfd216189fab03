/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker's poll loop (data path): every pass polls the queue units of
 * its plan; with nothing to do it sleeps until a guest kicks, a VF
 * interrupts or its plan changes (idle.c), offline for RCU meanwhile. No
 * allocation, no logging, no lock (checked: tests/unit/datapath_symbols.sh). */
#include <sys/prctl.h>

#include <rte_cycles.h>

#include "datapath.h"
#include "worker_loop.h"

/* A worker polls on for this long after its last packet before it arms
 * notifications and sleeps: a wake-up costs tens of microseconds (85 us
 * here, a VM), so traffic with shorter gaps is better served spinning. */
#define IDLE_SPIN_US 100
/* Even a worker every direction of which can wake it polls this often: a
 * lost notification costs at most this much delay, and shows up in the
 * missed_wakeups counter instead of as a stalled relay. */
#define IDLE_WATCHDOG_US 10000

static unsigned next_backoff(unsigned us, unsigned max)
{
	return us * 2 < max ? us * 2 : max;
}

/* The worker's own split of its plan, kept in the plan's scratch room:
 * units that moved packets lately (polled every pass) and quiet ones (one
 * per pass while busy). */
struct poll_lists {
	uint64_t gen; /* plan the lists were made from */
	unsigned n_active, n_quiet, cursor;
	struct relay_unit **active, **quiet;
};

static void poll_lists_build(struct poll_lists *l, const struct worker_plan *p)
{
	l->active = p->active;
	l->quiet = p->quiet;
	l->n_active = l->n_quiet = l->cursor = 0;
	for (unsigned i = 0; i < p->n; i++) {
		struct relay_unit *d = p->dirs[i];
		if (d->idle_passes >= RELAY_IDLE_PASSES)
			l->quiet[l->n_quiet++] = d;
		else
			l->active[l->n_active++] = d;
	}
	l->gen = p->gen;
}

static inline unsigned poll_dir(struct relay_unit *d)
{
	return d->kind == DIR_VF_TO_VM ? fwd_vf_to_vm(d) : fwd_vm_to_vf(d);
}

/* One pass: every active direction, then one quiet direction (busy) or all
 * of them (idle). Directions change list as they fall quiet or wake up. */
static unsigned poll_pass(struct poll_lists *l, bool busy)
{
	unsigned moved = 0;
	for (unsigned i = 0; i < l->n_active;) {
		struct relay_unit *d = l->active[i];
		unsigned n = poll_dir(d);
		moved += n;
		if (n > 0) {
			d->idle_passes = 0;
			i++;
		} else if (++d->idle_passes >= RELAY_IDLE_PASSES) {
			l->quiet[l->n_quiet++] = d;
			l->active[i] = l->active[--l->n_active];
		} else {
			i++;
		}
	}
	unsigned first = busy ? l->cursor : 0, count = busy ? 1 : l->n_quiet;
	for (unsigned k = 0; k < count && l->n_quiet > 0; k++) {
		unsigned i = (first + k) % l->n_quiet;
		struct relay_unit *d = l->quiet[i];
		unsigned n = poll_dir(d);
		if (n == 0)
			continue;
		moved += n;
		d->idle_passes = 0;
		l->active[l->n_active++] = d;
		l->quiet[i] = l->quiet[--l->n_quiet];
	}
	if (busy && l->n_quiet > 0)
		l->cursor = (l->cursor + 1) % l->n_quiet;
	return moved;
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	const uint64_t us = rte_get_tsc_hz() / 1000000;
	uint64_t quiet_since = rte_rdtsc(); /* TSC of the last pass that moved packets */
	unsigned sleep_us = 1;
	bool busy = false;
	enum idle_decision armed = IDLE_STAY_AWAKE;
	uint64_t armed_gen = 0;
	bool watchdog_woke = false; /* the sleep just ended by the watchdog */
	unsigned recheck = 0;       /* empty armed passes still due before sleeping */
	struct poll_lists lists = {.gen = UINT64_MAX};

	prctl(PR_SET_TIMERSLACK, 1000UL); /* wake within ~1 µs of the deadline */
	rte_rcu_qsbr_thread_register(w->qsbr, w->lcore);
	rte_rcu_qsbr_thread_online(w->qsbr, w->lcore);
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		const struct worker_plan *p = atomic_load_explicit(&w->plan, memory_order_acquire);
		if (unlikely(p->gen != lists.gen))
			poll_lists_build(&lists, p);
		uint64_t t0 = rte_rdtsc();
		unsigned moved = poll_pass(&lists, busy);
		busy = moved > 0;
		/* packets found right after a watchdog wake-up waited for it */
		bool late = watchdog_woke;
		watchdog_woke = false;
		if (likely(moved > 0)) {
			__atomic_store_n(&w->busy_cycles, w->busy_cycles + (rte_rdtsc() - t0),
				__ATOMIC_RELAXED);
			__atomic_store_n(&w->packets, w->packets + moved, __ATOMIC_RELAXED);
			quiet_since = t0;
			sleep_us = 1;
			if (unlikely(armed != IDLE_STAY_AWAKE)) {
				idle_disarm(p->dirs, p->n);
				armed = IDLE_STAY_AWAKE;
			}
			if (unlikely(late)) /* packets waited for the watchdog */
				__atomic_store_n(&w->missed_wakeups, w->missed_wakeups + 1,
					__ATOMIC_RELAXED);
		} else if (armed != IDLE_STAY_AWAKE && armed_gen == p->gen && --recheck > 0) {
			/* armed, and not every queue polled since */
		} else if (armed != IDLE_STAY_AWAKE && armed_gen == p->gen) {
			/* armed, and the passes since (with notifications on)
			 * found nothing: nothing can arrive unannounced */
			__atomic_store_n(&w->sleeps, w->sleeps + 1, __ATOMIC_RELAXED);
			rte_rcu_qsbr_thread_offline(w->qsbr, w->lcore);
			unsigned woke = idle_sleep(&w->idle,
				armed == IDLE_TIMED ? sleep_us : IDLE_WATCHDOG_US);
			watchdog_woke = woke == 0 && armed == IDLE_UNTIL_WOKEN;
			rte_rcu_qsbr_thread_online(w->qsbr, w->lcore);
			p = atomic_load_explicit(&w->plan, memory_order_acquire);
			idle_disarm(p->dirs, p->n);
			armed = IDLE_STAY_AWAKE;
			sleep_us = woke ? 1 : next_backoff(sleep_us, w->idle.sleep_max_us);
			/* after a timeout, sleep again at the next empty pass */
			quiet_since = rte_rdtsc();
			if (woke == 0)
				quiet_since -= IDLE_SPIN_US * us;
		} else if (unlikely(armed != IDLE_STAY_AWAKE)) {
			idle_disarm(p->dirs, p->n); /* the plan changed under us */
			armed = IDLE_STAY_AWAKE;
		} else if ((int64_t)(t0 - quiet_since) >= (int64_t)(IDLE_SPIN_US * us)) {
			/* if it may not sleep now, it asks again after another spin */
			quiet_since = t0;
			armed = idle_arm(&w->idle, p->dirs, p->n, p->gen, w->use_interrupts, &recheck);
			armed_gen = p->gen;
		}
		rte_rcu_qsbr_quiescent(w->qsbr, w->lcore);
	}
	rte_rcu_qsbr_thread_offline(w->qsbr, w->lcore);
	rte_rcu_qsbr_thread_unregister(w->qsbr, w->lcore);
	return 0;
}

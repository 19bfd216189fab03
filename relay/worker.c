/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores. Each polls the relay directions of its plan, an immutable
 * array published by pointer swap; a replaced plan is freed after an RCU
 * (QSBR) grace period, so the packet path takes no lock. A worker with
 * nothing to do sleeps until a guest kicks, a VF interrupts or its plan
 * changes (idle.c), offline for RCU meanwhile. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "log.h"
#include "place.h"
#include "relay_int.h"

#define LOG_TYPE vfwd_logtype_worker
/* A worker polls on for this long after its last packet before it arms
 * notifications and sleeps: a wake-up costs tens of microseconds (85 us
 * here, a VM), so traffic with shorter gaps is better served spinning. */
#define IDLE_SPIN_US 100
/* Even a worker every direction of which can wake it polls this often: a
 * lost notification costs at most this much delay, and shows up in the
 * missed_wakeups counter instead of as a stalled relay. */
#define IDLE_WATCHDOG_US 10000

struct worker_plan {
	uint64_t gen; /* tells plans apart (a freed plan's address comes back) */
	unsigned n;
	struct relay_unit *dirs[];
};

struct worker {
	/* worker: w, control: r (single writer, relaxed) */
	uint64_t busy_cycles; /* TSC cycles of passes that moved packets */
	uint64_t packets;     /* packets those passes received */
	uint64_t sleeps;      /* times it went to sleep for want of work */
	uint64_t missed_wakeups; /* watchdog polls that found packets */
	struct idle_wait idle;
	unsigned lcore;
	_Atomic(struct worker_plan *) plan; /* control: w, worker: r */
	_Atomic bool stop;
	struct place_worker place; /* control only */
} __rte_cache_aligned; /* one worker's counters never share a line with the next one's plan */

static struct worker workers[RTE_MAX_LCORE];
/* relay.h's public bound (the stats service sizes arrays by it) is this build's */
_Static_assert(RELAY_MAX_WORKERS == RTE_MAX_LCORE, "RELAY_MAX_WORKERS must be RTE_MAX_LCORE");
static unsigned n_workers;
static struct rte_rcu_qsbr *qsbr;
static bool use_interrupts;
static uint64_t plan_gen; /* control only */

static void nap(unsigned us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};
	nanosleep(&ts, NULL);
}

static unsigned next_backoff(unsigned us, unsigned max)
{
	return us * 2 < max ? us * 2 : max;
}

/* The worker's own split of its plan: directions that moved packets
 * lately (polled every pass) and quiet ones (one per pass while busy). */
struct poll_lists {
	uint64_t gen; /* plan the lists were made from */
	unsigned n_active, n_quiet, cursor, cap;
	struct relay_unit **active, **quiet;
};

static void poll_lists_build(struct poll_lists *l, const struct worker_plan *p)
{
	if (p->n > l->cap) {
		/* rare (plan changes only); on failure poll nothing and retry
		 * next pass */
		struct relay_unit **a = realloc(l->active, p->n * sizeof(*a));
		if (a != NULL)
			l->active = a;
		struct relay_unit **q = realloc(l->quiet, p->n * sizeof(*q));
		if (q != NULL)
			l->quiet = q;
		if (a == NULL || q == NULL) {
			l->n_active = l->n_quiet = 0; /* never poll a stale split */
			return;
		}
		l->cap = p->n;
	}
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

static int worker_main(void *arg)
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
	rte_rcu_qsbr_thread_register(qsbr, w->lcore);
	rte_rcu_qsbr_thread_online(qsbr, w->lcore);
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
			if (unlikely(late)) {
				__atomic_store_n(&w->missed_wakeups, w->missed_wakeups + 1,
					__ATOMIC_RELAXED);
				LOG(DEBUG, "worker %u: %u packets waited for the watchdog",
					w->lcore, moved);
			}
		} else if (armed != IDLE_STAY_AWAKE && armed_gen == p->gen && --recheck > 0) {
			/* armed, and not every queue polled since */
		} else if (armed != IDLE_STAY_AWAKE && armed_gen == p->gen) {
			/* armed, and the passes since (with notifications on)
			 * found nothing: nothing can arrive unannounced */
			__atomic_store_n(&w->sleeps, w->sleeps + 1, __ATOMIC_RELAXED);
			rte_rcu_qsbr_thread_offline(qsbr, w->lcore);
			unsigned woke = idle_sleep(&w->idle,
				armed == IDLE_TIMED ? sleep_us : IDLE_WATCHDOG_US);
			watchdog_woke = woke == 0 && armed == IDLE_UNTIL_WOKEN;
			rte_rcu_qsbr_thread_online(qsbr, w->lcore);
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
			armed = idle_arm(&w->idle, p->dirs, p->n, p->gen, use_interrupts, &recheck);
			armed_gen = p->gen;
		}
		rte_rcu_qsbr_quiescent(qsbr, w->lcore);
	}
	rte_rcu_qsbr_thread_offline(qsbr, w->lcore);
	rte_rcu_qsbr_thread_unregister(qsbr, w->lcore);
	free(lists.active);
	free(lists.quiet);
	return 0;
}

int worker_init(const struct relay_params *p)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	qsbr = rte_zmalloc("vfwd_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, RTE_MAX_LCORE) < 0)
		return -ENOMEM;
	use_interrupts = p->idle_interrupts;
	for (unsigned cpu = 0; cpu < p->n_cpus; cpu++) {
		if (!p->worker_cpus[cpu])
			continue;
		if (cpu >= RTE_MAX_LCORE || !rte_lcore_is_enabled(cpu) ||
			cpu == rte_get_main_lcore()) {
			LOG(ERR, "worker %u: not an enabled worker lcore", cpu);
			return -EINVAL;
		}
		struct worker *w = &workers[n_workers++];
		w->lcore = cpu;
		w->place.cpu = (int)cpu;
		w->place.numa = (int)rte_lcore_to_socket_id(cpu);
		if (idle_init(&w->idle) < 0)
			return -errno;
		w->idle.sleep_max_us = p->idle_sleep_max_us;
		struct worker_plan *empty = calloc(1, sizeof(*empty));
		if (empty == NULL)
			return -ENOMEM;
		atomic_store(&w->plan, empty);
	}
	if (n_workers == 0)
		return -EINVAL;
	for (unsigned i = 0; i < n_workers; i++) {
		int ret = rte_eal_remote_launch(worker_main, &workers[i], workers[i].lcore);
		if (ret < 0) {
			LOG(ERR, "worker %u: rte_eal_remote_launch: %s", workers[i].lcore,
				rte_strerror(-ret));
			return ret;
		}
		LOG(INFO, "worker %u: started on node %d", workers[i].lcore, workers[i].place.numa);
	}
	return 0;
}

void worker_fini(void)
{
	for (unsigned i = 0; i < n_workers; i++) {
		atomic_store(&workers[i].stop, true);
		idle_wake(&workers[i].idle);
	}
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; i < n_workers; i++) {
		free(atomic_load(&workers[i].plan));
		idle_fini(&workers[i].idle);
	}
	n_workers = 0;
	rte_free(qsbr);
	qsbr = NULL;
}

void worker_synchronize(void)
{
	if (qsbr != NULL)
		rte_rcu_qsbr_synchronize(qsbr, RTE_QSBR_THRID_INVALID);
}

static struct worker *by_cpu(int cpu)
{
	for (unsigned i = 0; i < n_workers; i++)
		if ((int)workers[i].lcore == cpu)
			return &workers[i];
	return NULL;
}

static unsigned weight(const struct relay_unit *d)
{
	return d->kind == DIR_VF_TO_VM ? PLACE_WEIGHT_VF_TO_VM : PLACE_WEIGHT_VM_TO_VF;
}

/* Swap in a plan with dir added (add) or removed; wait out old readers. */
static int replace_plan(struct worker *w, struct relay_unit *d, bool add)
{
	struct worker_plan *old = atomic_load(&w->plan);
	struct worker_plan *p = malloc(sizeof(*p) + sizeof(p->dirs[0]) * (old->n + 1));
	if (p == NULL)
		return -ENOMEM;
	p->n = 0;
	p->gen = ++plan_gen;
	for (unsigned i = 0; i < old->n; i++)
		if (old->dirs[i] != d)
			p->dirs[p->n++] = old->dirs[i];
	if (add)
		p->dirs[p->n++] = d;
	atomic_store_explicit(&w->plan, p, memory_order_release);
	idle_wake(&w->idle); /* a sleeping worker takes the new plan */
	worker_synchronize();
	free(old);
	return 0;
}

int worker_choose(int cpu, int numa)
{
	if (cpu >= 0)
		return by_cpu(cpu) != NULL ? cpu : -EINVAL;
	struct place_worker pw[RTE_MAX_LCORE];
	for (unsigned i = 0; i < n_workers; i++)
		pw[i] = workers[i].place;
	int i = place_pick(pw, n_workers, numa);
	return i >= 0 ? (int)workers[i].lcore : -EINVAL;
}

int worker_publish(struct relay_unit *d, int cpu, int numa)
{
	cpu = worker_choose(cpu, numa);
	struct worker *w = cpu >= 0 ? by_cpu(cpu) : NULL;
	if (w == NULL)
		return -EINVAL;
	idle_disarm_dir(d); /* an earlier worker may have left it armed */
	int ret = replace_plan(w, d, true);
	if (ret < 0)
		return ret;
	d->cpu = (int)w->lcore;
	w->place.score += weight(d);
	return d->cpu;
}

void worker_unpublish(struct relay_unit *d)
{
	struct worker *w = by_cpu(d->cpu);
	if (w == NULL)
		return;
	/* without memory for a new plan, retry: the direction must go */
	while (replace_plan(w, d, false) < 0)
		nap(1000);
	w->place.score -= weight(d);
	d->cpu = -1;
}

bool worker_exists(int cpu)
{
	return by_cpu(cpu) != NULL;
}

unsigned worker_cpus(unsigned *cpus, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < n_workers && n < max; i++)
		cpus[n++] = workers[i].lcore;
	/* workers[] follows CPU order (worker_init walks the CPU set) */
	return n;
}

int worker_load(unsigned cpu, struct relay_worker_stats *s)
{
	struct worker *w = by_cpu((int)cpu);
	if (w == NULL)
		return -EINVAL;
	s->busy_cycles = __atomic_load_n(&w->busy_cycles, __ATOMIC_RELAXED);
	s->packets = __atomic_load_n(&w->packets, __ATOMIC_RELAXED);
	s->sleeps = __atomic_load_n(&w->sleeps, __ATOMIC_RELAXED);
	s->missed_wakeups = __atomic_load_n(&w->missed_wakeups, __ATOMIC_RELAXED);
	return 0;
}

/* Any thread: VM or VF fds changed; sleeping workers rebuild their sets. */
void worker_fds_changed(void)
{
	idle_epoch_bump();
	for (unsigned i = 0; i < n_workers; i++)
		idle_wake(&workers[i].idle);
}

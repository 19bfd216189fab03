/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores, the control side: launch and stop them, build and publish
 * their plans (the units each polls; worker_loop.c polls them). A plan is
 * an immutable array published by pointer swap; a replaced plan is freed
 * after an RCU (QSBR) grace period, so the packet path takes no lock. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "relay_log.h"
#include "worker_loop.h"
#include "idle.h"
#include "worker.h"

static RTE_LOG_REGISTER(logtype, vfwd.worker, INFO);
static struct worker workers[RTE_MAX_LCORE];
/* relay.h's public bound (the stats service sizes arrays by it) is this build's */
_Static_assert(RELAY_MAX_WORKERS == RTE_MAX_LCORE, "RELAY_MAX_WORKERS must be RTE_MAX_LCORE");
static unsigned n_workers;
static struct rte_rcu_qsbr *qsbr;
static uint64_t plan_gen; /* control only */

static void nap(unsigned us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};
	nanosleep(&ts, NULL);
}

/* A plan of room for n units, with the worker's scratch lists after them. */
static struct worker_plan *plan_alloc(unsigned n)
{
	struct worker_plan *p = malloc(sizeof(*p) + sizeof(p->dirs[0]) * 3 * n);
	if (p == NULL)
		return NULL;
	p->gen = ++plan_gen;
	p->n = 0;
	p->active = p->dirs + n;
	p->quiet = p->dirs + 2 * n;
	return p;
}

int worker_init(const struct relay_params *p)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	qsbr = rte_zmalloc("vfwd_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, RTE_MAX_LCORE) < 0)
		return -ENOMEM;
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
		w->qsbr = qsbr;
		w->use_interrupts = p->idle_interrupts;
		w->place.cpu = (int)cpu;
		w->place.numa = (int)rte_lcore_to_socket_id(cpu);
		if (idle_init(&w->idle) < 0)
			return -errno;
		w->idle.sleep_max_us = p->idle_sleep_max_us;
		struct worker_plan *empty = plan_alloc(0);
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
	struct worker_plan *p = plan_alloc(old->n + 1);
	if (p == NULL)
		return -ENOMEM;
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

/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores. Each polls the relay directions of its plan, an immutable
 * array published by pointer swap; a replaced plan is freed after an RCU
 * (QSBR) grace period, so the packet path takes no lock. A worker with
 * nothing to do backs off into short sleeps, offline for RCU meanwhile. */
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
/* empty passes before the first sleep: about a microsecond of spinning */
#define IDLE_SPIN_PASSES 256

struct worker_plan {
	unsigned n;
	struct relay_dir *dirs[];
};

struct worker {
	/* worker: w, control: r (single writer, relaxed) */
	uint64_t busy_cycles; /* TSC cycles of passes that moved packets */
	uint64_t packets;     /* packets those passes received */
	unsigned lcore;
	_Atomic(struct worker_plan *) plan; /* control: w, worker: r */
	_Atomic bool stop;
	struct place_worker place; /* control only */
};

static struct worker workers[RTE_MAX_LCORE];
static unsigned n_workers;
static struct rte_rcu_qsbr *qsbr;
static unsigned idle_sleep_max_us;

static void idle_sleep(unsigned us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};
	nanosleep(&ts, NULL);
}

static int worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned idle = 0, sleep_us = 1;
	bool busy = false;

	prctl(PR_SET_TIMERSLACK, 1000UL); /* wake within ~1 µs of the deadline */
	rte_rcu_qsbr_thread_register(qsbr, w->lcore);
	rte_rcu_qsbr_thread_online(qsbr, w->lcore);
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		const struct worker_plan *p = atomic_load_explicit(&w->plan, memory_order_acquire);
		uint64_t t0 = rte_rdtsc();
		unsigned moved = 0;
		for (unsigned i = 0; i < p->n; i++) {
			struct relay_dir *d = p->dirs[i];
			if (busy && d->poll_skip > 0) {
				d->poll_skip--;
				continue;
			}
			unsigned n = d->kind == DIR_VF_TO_VM ? fwd_vf_to_vm(d) : fwd_vm_to_vf(d);
			moved += n;
			if (n > 0)
				d->idle_passes = 0;
			else if (d->idle_passes < RELAY_IDLE_PASSES)
				d->idle_passes++;
			else
				d->poll_skip = RELAY_IDLE_SKIP;
		}
		busy = moved > 0;
		rte_rcu_qsbr_quiescent(qsbr, w->lcore);
		if (likely(moved > 0)) {
			__atomic_store_n(&w->busy_cycles, w->busy_cycles + (rte_rdtsc() - t0),
				__ATOMIC_RELAXED);
			__atomic_store_n(&w->packets, w->packets + moved, __ATOMIC_RELAXED);
			idle = 0;
			sleep_us = 1;
			continue;
		}
		if (++idle < IDLE_SPIN_PASSES || idle_sleep_max_us == 0)
			continue;
		rte_rcu_qsbr_thread_offline(qsbr, w->lcore);
		idle_sleep(sleep_us);
		rte_rcu_qsbr_thread_online(qsbr, w->lcore);
		if (sleep_us < idle_sleep_max_us)
			sleep_us = sleep_us * 2 < idle_sleep_max_us ? sleep_us * 2 : idle_sleep_max_us;
	}
	rte_rcu_qsbr_thread_offline(qsbr, w->lcore);
	rte_rcu_qsbr_thread_unregister(qsbr, w->lcore);
	return 0;
}

int worker_init(const struct relay_params *p)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	qsbr = rte_zmalloc("vfwd_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, RTE_MAX_LCORE) < 0)
		return -ENOMEM;
	idle_sleep_max_us = p->idle_sleep_max_us;
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
	for (unsigned i = 0; i < n_workers; i++)
		atomic_store(&workers[i].stop, true);
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; i < n_workers; i++)
		free(atomic_load(&workers[i].plan));
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

static unsigned weight(const struct relay_dir *d)
{
	return d->kind == DIR_VF_TO_VM ? PLACE_WEIGHT_VF_TO_VM : PLACE_WEIGHT_VM_TO_VF;
}

/* Swap in a plan with dir added (add) or removed; wait out old readers. */
static int replace_plan(struct worker *w, struct relay_dir *d, bool add)
{
	struct worker_plan *old = atomic_load(&w->plan);
	struct worker_plan *p = malloc(sizeof(*p) + sizeof(p->dirs[0]) * (old->n + 1));
	if (p == NULL)
		return -ENOMEM;
	p->n = 0;
	for (unsigned i = 0; i < old->n; i++)
		if (old->dirs[i] != d)
			p->dirs[p->n++] = old->dirs[i];
	if (add)
		p->dirs[p->n++] = d;
	atomic_store_explicit(&w->plan, p, memory_order_release);
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

int worker_publish(struct relay_dir *d, int cpu, int numa)
{
	cpu = worker_choose(cpu, numa);
	struct worker *w = cpu >= 0 ? by_cpu(cpu) : NULL;
	if (w == NULL)
		return -EINVAL;
	int ret = replace_plan(w, d, true);
	if (ret < 0)
		return ret;
	d->cpu = (int)w->lcore;
	w->place.score += weight(d);
	return d->cpu;
}

void worker_unpublish(struct relay_dir *d)
{
	struct worker *w = by_cpu(d->cpu);
	if (w == NULL)
		return;
	/* without memory for a new plan, retry: the direction must go */
	while (replace_plan(w, d, false) < 0)
		idle_sleep(1000);
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

int worker_load(unsigned cpu, uint64_t *busy_cycles, uint64_t *packets)
{
	struct worker *w = by_cpu((int)cpu);
	if (w == NULL)
		return -EINVAL;
	*busy_cycles = __atomic_load_n(&w->busy_cycles, __ATOMIC_RELAXED);
	*packets = __atomic_load_n(&w->packets, __ATOMIC_RELAXED);
	return 0;
}

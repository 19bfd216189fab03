/* SPDX-License-Identifier: BSD-3-Clause */
#include "sched.h"

#include <math.h>
#include <stdlib.h>

double sched_load_vm_to_vf(double rx_pps, double tx_pps, double rx_bps, double tx_bps)
{
	return 0.082 * (rx_pps + tx_pps) / 2 / 1e6 + 9.3e-5 * (rx_bps + tx_bps) / 2 / 1e6;
}

double sched_load_vf_to_vm(double rx_pps, double tx_pps, double rx_bps, double tx_bps)
{
	return 0.0795 * (rx_pps + tx_pps) / 2 / 1e6 + 8.2e-5 * (rx_bps + tx_bps) / 2 / 1e6;
}

double sched_cv(const double *loads, unsigned n)
{
	double sum = 0, sq = 0;
	for (unsigned i = 0; i < n; i++)
		sum += loads[i];
	if (n == 0 || sum <= 0)
		return 0;
	double mean = sum / n;
	for (unsigned i = 0; i < n; i++)
		sq += (loads[i] - mean) * (loads[i] - mean);
	return sqrt(sq / n) / mean;
}

/* units the scheduler sees in direction d: 1 for a direction taken whole */
static unsigned units_of(const struct sched_relay *r, int d)
{
	return r->n_units[d] > 1 && r->n_units[d] <= SCHED_MAX_UNITS ? r->n_units[d] : 1;
}

double sched_unit_load(const struct sched_relay *r, int d, unsigned q)
{
	unsigned n = units_of(r, d);
	if (n == 1)
		return r->load[d];
	double sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += r->unit_pps[d][i] > 0 ? r->unit_pps[d][i] : 0;
	if (sum <= 0)
		return r->load[d] / n;
	return r->unit_pps[d][q] > 0 ? r->load[d] * r->unit_pps[d][q] / sum : 0;
}

/* one thing to place: a queue unit, or a direction of one */
struct item {
	unsigned relay, unit, seq;
	int dir;
	double load;
};

/* heaviest first; equal loads in the order they were listed */
static int by_load_desc(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->load != y->load)
		return x->load < y->load ? 1 : -1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int worker_index(const int *cpus, unsigned n, int cpu)
{
	for (unsigned i = 0; i < n; i++)
		if (cpus[i] == cpu)
			return (int)i;
	return -1;
}

static void plan_clear(struct sched_plan *p)
{
	for (int d = 0; d < 2; d++) {
		p->cpu[d] = -1;
		for (unsigned q = 0; q < SCHED_MAX_UNITS; q++)
			p->unit_cpu[d][q] = -1;
	}
}

static void plan_set(struct sched_plan *p, const struct sched_relay *r, const struct item *it,
	int cpu)
{
	if (units_of(r, it->dir) > 1)
		p->unit_cpu[it->dir][it->unit] = cpu;
	if (it->unit == 0)
		p->cpu[it->dir] = cpu;
}

/* The group's items into items[] (returns how many), their current loads
 * per worker into now[]; *outside when one sits on a CPU outside the group. */
static unsigned collect(const struct sched_relay *r, unsigned n, int node, const int *cpus,
	unsigned n_cpus, struct item *items, double *now, bool *outside)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (node >= 0 && r[i].node != node)
			continue;
		for (int d = 0; d < 2; d++) {
			unsigned units = units_of(&r[i], d);
			for (unsigned q = 0; q < units; q++) {
				double load = sched_unit_load(&r[i], d, q);
				items[k] = (struct item){i, q, k, d, load};
				k++;
				int w = worker_index(cpus, n_cpus,
					units > 1 ? r[i].unit_cpu[d][q] : r[i].cpu[d]);
				if (w < 0)
					*outside = true; /* any plan is better */
				else
					now[w] += load;
			}
		}
	}
	return k;
}

bool sched_balance(const struct sched_relay *r, unsigned n, int node, const int *cpus,
	unsigned n_cpus, double sensitivity, struct sched_plan *plan, double *cv_now,
	double *cv_new)
{
	struct item *items = calloc(2 * (size_t)n * SCHED_MAX_UNITS + 1, sizeof(*items));
	double *now = calloc(n_cpus + 1, sizeof(double)), *next = calloc(n_cpus + 1, sizeof(double));
	bool outside = false, move = false;

	*cv_now = *cv_new = 0;
	for (unsigned i = 0; i < n; i++)
		plan_clear(&plan[i]);
	if (items == NULL || now == NULL || next == NULL || n_cpus == 0)
		goto out;
	unsigned k = collect(r, n, node, cpus, n_cpus, items, now, &outside);
	double total = 0;
	for (unsigned j = 0; j < k; j++)
		total += items[j].load;
	if (k == 0 || total <= 0)
		goto out;
	qsort(items, k, sizeof(*items), by_load_desc);
	for (unsigned j = 0; j < k; j++) {
		unsigned best = 0;
		for (unsigned w = 1; w < n_cpus; w++)
			if (next[w] < next[best])
				best = w;
		next[best] += items[j].load;
		plan_set(&plan[items[j].relay], &r[items[j].relay], &items[j], cpus[best]);
	}
	*cv_now = outside ? INFINITY : sched_cv(now, n_cpus);
	*cv_new = sched_cv(next, n_cpus);
	move = *cv_new + sensitivity < *cv_now;
out:
	free(items);
	free(now);
	free(next);
	return move;
}

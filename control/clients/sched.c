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

struct item {
	unsigned relay;
	int dir;
	double load;
};

static int by_load_desc(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return x->load < y->load ? 1 : x->load > y->load ? -1 : 0;
}

static int worker_index(const int *cpus, unsigned n, int cpu)
{
	for (unsigned i = 0; i < n; i++)
		if (cpus[i] == cpu)
			return (int)i;
	return -1;
}

bool sched_balance(const struct sched_relay *r, unsigned n, int node, const int *cpus,
	unsigned n_cpus, double sensitivity, int (*new_cpu)[2], double *cv_now, double *cv_new)
{
	struct item *items = calloc(2 * n + 1, sizeof(*items));
	double *now = calloc(n_cpus + 1, sizeof(double)), *next = calloc(n_cpus + 1, sizeof(double));
	unsigned k = 0;
	bool outside = false, move = false;
	double total = 0;

	*cv_now = *cv_new = 0;
	for (unsigned i = 0; i < n; i++)
		new_cpu[i][0] = new_cpu[i][1] = -1;
	if (items == NULL || now == NULL || next == NULL || n_cpus == 0)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		if (node >= 0 && r[i].node != node)
			continue;
		for (int d = 0; d < 2; d++) {
			items[k++] = (struct item){i, d, r[i].load[d]};
			total += r[i].load[d];
			int w = worker_index(cpus, n_cpus, r[i].cpu[d]);
			if (w < 0)
				outside = true; /* a current CPU outside the group: any plan is better */
			else
				now[w] += r[i].load[d];
		}
	}
	if (k == 0 || total <= 0)
		goto out;
	qsort(items, k, sizeof(*items), by_load_desc);
	for (unsigned j = 0; j < k; j++) {
		unsigned best = 0;
		for (unsigned w = 1; w < n_cpus; w++)
			if (next[w] < next[best])
				best = w;
		next[best] += items[j].load;
		new_cpu[items[j].relay][items[j].dir] = cpus[best];
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

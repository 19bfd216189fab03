/* SPDX-License-Identifier: BSD-3-Clause */
/* The original core scheduler's balancing rule (reference §5.2), pure so
 * it is unit-tested: per relay direction a load from its rates, per group
 * of workers (a NUMA node, or all) longest-processing-time-first onto the
 * least-loaded worker, and a move only when the coefficient of variation of
 * the workers' loads improves by more than the sensitivity. */
#ifndef VFWD_SCHED_H
#define VFWD_SCHED_H

#include <stdbool.h>

struct sched_relay {
	int id;
	int node;             /* NUMA node of its memory (stats socket_id) */
	int cpu[2];           /* current worker: [0] VF->VM, [1] VM->VF */
	double load[2];       /* cores, from sched_load_* */
};

/* the original's load model, in cores, from a direction's rates (pps, B/s) */
double sched_load_vm_to_vf(double rx_pps, double tx_pps, double rx_bps, double tx_bps);
double sched_load_vf_to_vm(double rx_pps, double tx_pps, double rx_bps, double tx_bps);

/* coefficient of variation (population stddev / mean) of n loads; 0 if
 * the mean is 0 */
double sched_cv(const double *loads, unsigned n);

/* Balance the relays whose node is `node` (any node when node < 0) over
 * the workers cpus[0..n_cpus). On true, new_cpu[i][dir] holds the new
 * mapping for every relay of the group (others keep -1) and the caller
 * should send it; *cv_now and *cv_new say why. */
bool sched_balance(const struct sched_relay *r, unsigned n, int node, const int *cpus,
	unsigned n_cpus, double sensitivity, int (*new_cpu)[2], double *cv_now, double *cv_new);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* The original core scheduler's balancing rule (reference §5.2), pure so
 * it is unit-tested: per relay direction a load from its rates, split over
 * the direction's queue units by their packet rates; per group of workers
 * (a NUMA node, or all) the items (units, or whole directions of one unit)
 * longest-processing-time-first onto the least-loaded worker, and a move
 * only when the coefficient of variation of the workers' loads improves by
 * more than the sensitivity. */
#ifndef VFWD_SCHED_H
#define VFWD_SCHED_H

#include <stdbool.h>

/* Queue units a direction can have (the daemon's RELAY_MAX_QUEUES). */
#define SCHED_MAX_UNITS 32

struct sched_relay {
	int id;
	int node;       /* NUMA node of its memory (stats socket_id) */
	int cpu[2];     /* current worker of each direction (its unit 0): [0] VF->VM, [1] VM->VF */
	double load[2]; /* cores, from sched_load_* */
	/* the direction's queue units (stats RelayQueue): n_units[d] <= 1 (one
	 * unit, or a daemon without per-unit rates) makes it one item on cpu[d] */
	unsigned n_units[2];
	int unit_cpu[2][SCHED_MAX_UNITS];    /* current worker of unit q */
	double unit_pps[2][SCHED_MAX_UNITS]; /* its packet rate: its share of load[d] */
};

/* Where sched_balance puts a relay: cpu[d] the direction's worker (that of
 * its unit 0), unit_cpu[d][q] each unit's when n_units[d] > 1. -1: the
 * relay is not in the group. */
struct sched_plan {
	int cpu[2];
	int unit_cpu[2][SCHED_MAX_UNITS];
};

/* the original's load model, in cores, from a direction's rates (pps, B/s) */
double sched_load_vm_to_vf(double rx_pps, double tx_pps, double rx_bps, double tx_bps);
double sched_load_vf_to_vm(double rx_pps, double tx_pps, double rx_bps, double tx_bps);

/* Unit q's part of direction d's load: by its share of the direction's
 * packets, evenly if none moved. */
double sched_unit_load(const struct sched_relay *r, int d, unsigned q);

/* coefficient of variation (population stddev / mean) of n loads; 0 if
 * the mean is 0 */
double sched_cv(const double *loads, unsigned n);

/* Balance the relays whose node is `node` (any node when node < 0) over
 * the workers cpus[0..n_cpus). On true, plan[i] holds the new placement
 * of every relay of the group (others keep -1) and the caller should send
 * it; *cv_now and *cv_new say why. */
bool sched_balance(const struct sched_relay *r, unsigned n, int node, const int *cpus,
	unsigned n_cpus, double sensitivity, struct sched_plan *plan, double *cv_now,
	double *cv_new);

#endif

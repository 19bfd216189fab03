/* SPDX-License-Identifier: BSD-3-Clause */
/* Choice of a worker for a relay direction (pure, unit-tested). */
#ifndef VFWD_PLACE_H
#define VFWD_PLACE_H

/* The original's weights: a VF->VM direction costs ~20% more than VM->VF. */
#define PLACE_WEIGHT_VF_TO_VM 12
#define PLACE_WEIGHT_VM_TO_VF 10

struct place_worker {
	int cpu;
	int numa;
	unsigned score; /* sum of the weights of the directions it serves */
};

/* Index of the worker with the lowest score, among those on node numa if
 * any is there (numa < 0: any node); ties go to the lowest CPU id.
 * -1 if n == 0. */
int place_pick(const struct place_worker *w, unsigned n, int numa);

#endif

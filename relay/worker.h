/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores, the control side (worker.c): start and stop them, publish
 * queue units to their plans, read their load. */
#ifndef VFWD_WORKER_H
#define VFWD_WORKER_H

#include "relay_int.h"

int worker_init(const struct relay_params *p);
void worker_fini(void);
/* Publish dir on cpu (or the least-loaded worker if cpu < 0); returns the
 * cpu used. Returns after no worker can still see an old plan. */
int worker_publish(struct relay_unit *d, int cpu, int numa);
bool worker_exists(int cpu);
/* The worker worker_publish would use, without publishing. */
int worker_choose(int cpu, int numa);
unsigned worker_cpus(unsigned *cpus, unsigned max);
int worker_load(unsigned cpu, struct relay_worker_stats *s);
/* Any thread: VM or VF fds changed; sleeping workers rebuild their sets. */
void worker_fds_changed(void);
/* Remove dir from its worker; on return no worker touches it. */
void worker_unpublish(struct relay_unit *d);
/* Wait until every worker has passed a quiescent state. */
void worker_synchronize(void);

#endif

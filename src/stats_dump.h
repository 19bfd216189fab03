/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFWD_STATS_DUMP_H
#define VFWD_STATS_DUMP_H

#include <stdio.h>

/* Write every relay that has a VF, a VM or a socket as flat
 * relay_N.<dir>.<counter>=value lines (the stats client's key names). */
void stats_dump(FILE *out);

#endif

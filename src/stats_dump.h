/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFWD_STATS_DUMP_H
#define VFWD_STATS_DUMP_H

#include <stdbool.h>
#include <stdio.h>

#include "relay.h"

/* Write every relay that has a VF, a VM or a socket as flat
 * relay_N.<dir>.<counter>=value lines (the stats client's key names). */
void stats_dump(FILE *out);
/* Whether a relay is in use: a VF, a VM, or counted traffic (what the
 * dump and the telemetry relay list show). */
bool stats_relay_used(const struct relay_info *ri);

#endif

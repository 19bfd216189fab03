/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFWD_PROM_H
#define VFWD_PROM_H

#include <stdbool.h>
#include <stdio.h>

#include "virtioforwarder.pb-c.h"

/* Prometheus text exposition (format 0.0.4) of a stats reply: every
 * relay's state and counters, labelled by relay id, socket, VF and
 * direction. r NULL: the daemon did not answer (virtio_forwarder_up 0). */
void prom_write(FILE *out, const Virtioforwarder__StatsResponse *r);

#endif

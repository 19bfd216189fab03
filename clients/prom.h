/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFWD_PROM_H
#define VFWD_PROM_H

#include <stdbool.h>
#include <stdio.h>

#include "virtioforwarder.pb-c.h"

/* Prometheus text exposition (format 0.0.4) of a stats reply: every
 * relay's state and counters, labelled by relay id and direction, and a
 * virtio_forwarder_relay_info metric with the socket, VF and NUMA node of
 * each relay. r NULL: the daemon did not answer (virtio_forwarder_up 0). */
void prom_write(FILE *out, const Virtioforwarder__StatsResponse *r);

#endif

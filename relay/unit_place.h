/* SPDX-License-Identifier: BSD-3-Clause */
/* Where a relay's queue units run (control thread): published to workers
 * (each on its pin, or the least loaded worker, so a relay's units
 * spread), taken off them, and moved between them by core_sched. */
#ifndef VFWD_UNIT_PLACE_H
#define VFWD_UNIT_PLACE_H

#include "relay_int.h"

/* The command line's direction pins (--virtio-cpu), by relay id. */
void units_init_pins(const struct relay_params *p);
/* Where unit q of a direction goes when placed: its own pin, else its
 * direction's, else -1 (the least loaded worker). */
int unit_pin(const struct relay *r, enum relay_dir_kind kind, unsigned q);
/* Put units 0 .. n-1 of a direction on workers. */
int units_publish(struct relay *r, enum relay_dir_kind kind, uint16_t n, int numa);
/* Take every unit of a direction off its worker; their stashes are
 * flushed (counted as not connected). On return no worker sees them. */
void units_unpublish(struct relay *r, enum relay_dir_kind kind);
/* VM->VF units again, as many as the VF's queues (or the guest's pairs
 * while no VF forwards). */
int units_republish_vm_to_vf(struct relay *r);

#endif

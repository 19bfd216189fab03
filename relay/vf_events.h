/* SPDX-License-Identifier: BSD-3-Clause */
/* A VF's ethdev events and link state (vf_events.c): ethdev events (link,
 * reset, removal) of VFs and bond members arrive as relay events; a link
 * watch serves PMDs that change their link without an LSC event (net_tap).
 * This file tells which port an event is about; relay.c decides what the
 * relay does. Control thread unless said otherwise. */
#ifndef VFWD_VF_EVENTS_H
#define VFWD_VF_EVENTS_H

#include "relay_events.h"
#include "relay_int.h"

int vf_events_init(void);
void vf_events_fini(void);
/* r's VF (and a bond's members) became r->port_id / went: events posted
 * for the port before are dropped from now on */
void vf_events_attached(struct relay *r);
void vf_events_detached(struct relay *r);
/* The port an EV_VF_LSC/RESET/RMV event names, false if it is about a
 * device no relay holds any more. */
bool vf_events_port(uint64_t seq, uint16_t *port);
/* Read r's VF link (a bond's: up while a member is) into r, logging
 * changes unless quiet; an active-backup bond whose current member is
 * down fails over to one that is up. */
void vf_events_link_refresh(struct relay *r, bool quiet);
/* A bond member was removed: forget its link, drop its pending events. */
void vf_events_member_gone(uint16_t member);
/* the VF's link and its own counters into info */
void vf_events_info(const struct relay *r, struct relay_info *info);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* The VF half: probe, configure, start, stop and remove an ethdev or a
 * bond (vf.c). Control thread. */
#ifndef VFWD_VF_H
#define VFWD_VF_H

#include "relay_int.h"

int vf_probe(const char *devargs, uint16_t *port, struct relay_fault *f);
/* What vf_configure is asked for and what it did. */
struct vf_setup {
	uint16_t queues;     /* in: queue pairs wanted; out: configured */
	uint16_t max_queues; /* out: most the VF can have */
	uint16_t mtu;        /* out: the MTU the VF took */
	uint64_t tx_capa;    /* out: TX offloads in hardware */
};
int vf_configure(uint16_t port, struct rte_mempool *mp, struct vf_setup *vs,
	struct relay_fault *f);
/* rx_intr: set to whether the RX queue can interrupt (idle.c) */
int vf_start(uint16_t port, bool *rx_intr, struct relay_fault *f);
void vf_stop(uint16_t port);
void vf_remove(uint16_t port);
/* as vf_remove, and a bond's members with it */
void vf_remove_any(uint16_t port);
int vf_bond_create(const char *name, unsigned mode, const char *const *members, unsigned n,
	uint16_t *port, struct relay_fault *f);
int vf_socket(uint16_t port);
/* Queue pairs the VF can have (at most RELAY_MAX_QUEUES). */
uint16_t vf_max_queues(uint16_t port);
/* A bond's members into m[RTE_MAX_ETHPORTS]; 0 if port is no bond. */
int vf_bond_members(uint16_t port, uint16_t *m);
/* rte_eth_dev_reset of a stopped port (a PMD without one: 0, configure
 * it again all the same); < 0 on failure (logged). */
int vf_reset(uint16_t port);
/* Take a member out of a stopped bond and remove its device; returns the
 * members left. */
int vf_bond_member_remove(uint16_t bond, uint16_t member);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* mbuf pools: made per relay and for software TSO (pool.c). */
#ifndef VFWD_POOL_H
#define VFWD_POOL_H

#include "relay_int.h"

/* A relay's pool, sized for queues VF queue pairs. */
struct rte_mempool *pool_get(unsigned relay_id, int socket, unsigned queues);
/* Descriptors per queue when total are shared by queues queues. */
unsigned pool_ring_size(unsigned total, unsigned queues);
/* The MTU the relay's pools and VFs are made for. */
unsigned relay_mtu(void);
/* The header and indirect pools of software TSO; 0 or -ENOMEM. */
int pool_gso_get(struct rte_mempool **direct, struct rte_mempool **indirect);
void pool_gso_fini(void);
void pool_put(struct rte_mempool *mp);
void pool_usage(unsigned *in_use, unsigned *capacity);


/* ---- a relay's pool (control thread) ---- */
/* Give r a pool for queues VF queue pairs on socket if it has none. */
int relay_pool_ensure(struct relay *r, int socket, uint16_t queues);
/* Before the stopped VF takes more queues than the pool is sized for:
 * a bigger pool replaces it. VM->VF units (which dequeue into the pool)
 * must be off their workers; the VF's reconfiguration gives the old
 * pool's mbufs back and the caller frees it then. Returns the old pool,
 * or NULL when none could be made (the relay keeps its queue count). */
struct rte_mempool *relay_pool_grow(struct relay *r, uint16_t queues);
/* Give the pool back once neither a VF nor a VM holds the relay. */
void relay_pool_release_if_unused(struct relay *r);
/* The software TSO pools, made the first time a VF without TSO meets
 * --enable-tso. */
void relay_gso_prepare(struct relay *r);

#endif

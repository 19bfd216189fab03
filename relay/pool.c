/* SPDX-License-Identifier: BSD-3-Clause */
/* One mbuf pool per relay, on the NUMA node of whichever half came first,
 * sized for what one relay can hold at once: a full VF RX ring, a full VF
 * TX ring, two stashes, two bursts in flight and the per-lcore caches
 * (64: more than a burst, so a burst freed after one allocated stays in
 * the cache instead of a trip to the ring; 32 cost 4.6 % of VM->VF).
 * A pool is freed only when every mbuf is back; a pool that is not full
 * when its relay goes away is a leak, reported and kept. */
#include <stdio.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "log.h"
#include "relay_int.h"

#define LOG_TYPE vfwd_logtype_relay
#define POOL_CACHE 64
#define MAX_POOLS (2 * RTE_MAX_ETHPORTS)

/* every pool ever made and not freed, for pool_usage() */
static struct rte_mempool *live[MAX_POOLS];
static unsigned generation;

static unsigned pool_size(void)
{
	return RELAY_RX_DESC + RELAY_TX_DESC + 4 * RELAY_BURST +
		(rte_lcore_count() + 1) * POOL_CACHE * 3 / 2;
}

static uint16_t data_room(void)
{
	/* MTU + L2 overhead (14 + 2 VLAN tags) + headroom + VF RX offset, as
	 * the original, so that one VF frame fits one mbuf */
	unsigned mtu = relay_cfg.enable_jumbo || relay_cfg.enable_tso ? 9000 : 2100;
	return (uint16_t)(mtu + 22 + RTE_PKTMBUF_HEADROOM + 32);
}

struct rte_mempool *pool_get(unsigned relay_id, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;
	snprintf(name, sizeof(name), "vfwd_%u_%u", relay_id, generation++);
	mp = rte_pktmbuf_pool_create(name, pool_size(), POOL_CACHE, 0, data_room(), socket);
	if (mp == NULL && socket != SOCKET_ID_ANY) {
		LOG(WARNING, "relay %u: no pool memory on node %d, trying any node", relay_id,
			socket);
		mp = rte_pktmbuf_pool_create(name, pool_size(), POOL_CACHE, 0, data_room(),
			SOCKET_ID_ANY);
	}
	if (mp == NULL) {
		LOG(ERR, "relay %u: rte_pktmbuf_pool_create: %s", relay_id,
			rte_strerror(rte_errno));
		return NULL;
	}
	for (unsigned i = 0; i < MAX_POOLS; i++)
		if (live[i] == NULL) {
			live[i] = mp;
			break;
		}
	LOG(DEBUG, "relay %u: pool %s: %u mbufs of %u bytes on node %d", relay_id, name,
		mp->size, data_room(), mp->socket_id);
	return mp;
}

void pool_put(struct rte_mempool *mp)
{
	if (mp == NULL)
		return;
	if (!rte_mempool_full(mp)) {
		LOG(ERR, "pool %s: %u of %u mbufs not returned; keeping it", mp->name,
			mp->size - rte_mempool_avail_count(mp), mp->size);
		return;
	}
	for (unsigned i = 0; i < MAX_POOLS; i++)
		if (live[i] == mp)
			live[i] = NULL;
	rte_mempool_free(mp);
}

void pool_usage(unsigned *in_use, unsigned *capacity)
{
	*in_use = *capacity = 0;
	for (unsigned i = 0; i < MAX_POOLS; i++)
		if (live[i] != NULL) {
			*capacity += live[i]->size;
			*in_use += live[i]->size - rte_mempool_avail_count(live[i]);
		}
}

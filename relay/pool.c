/* SPDX-License-Identifier: BSD-3-Clause */
/* One mbuf pool per relay, on the NUMA node of whichever half came first,
 * sized for what one relay can hold at once: a full VF RX ring, a full VF
 * TX ring, two stashes, two bursts in flight and the per-lcore caches
 * (64: more than a burst, so a burst freed after one allocated stays in
 * the cache instead of a trip to the ring; 32 cost 4.6 % of VM->VF).
 * A pool is freed only when every mbuf is back; a pool that is not full
 * when its relay goes away is a leak, reported and kept. */
#include <errno.h>
#include <stdio.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "relay_log.h"
#include "pool.h"

static RTE_LOG_REGISTER(logtype, vfwd.relay, INFO);
#define POOL_CACHE 64
#define MAX_POOLS (2 * RTE_MAX_ETHPORTS + 2)

/* every pool ever made and not freed, for pool_usage() */
static struct rte_mempool *live[MAX_POOLS];
static unsigned generation;
static void remember(struct rte_mempool *mp);

unsigned pool_ring_size(unsigned total, unsigned queues)
{
	unsigned per = total / (queues ? queues : 1);
	return per < RELAY_MIN_DESC ? RELAY_MIN_DESC : per;
}

/* For a relay of queues VF queue pairs: its VF rings, per unit a burst in
 * flight and a stash each way, and the lcore caches. */
static unsigned pool_size(unsigned queues)
{
	unsigned per_queue = pool_ring_size(RELAY_RX_DESC, queues) +
		pool_ring_size(RELAY_TX_DESC, queues) + 4 * RELAY_BURST;
	/* TSO: a burst of guest frames waiting to be cut, 8 mbufs each */
	if (relay_cfg.enable_tso)
		per_queue += RELAY_BURST * 8;
	return queues * per_queue + (rte_lcore_count() + 1) * POOL_CACHE * 3 / 2;
}

static uint16_t data_room(void)
{
	/* MTU + L2 overhead (14 + 2 VLAN tags) + headroom + VF RX offset, as
	 * the original, so that one VF frame fits one mbuf; with TSO big
	 * mbufs too, so a guest's 64 KB frame takes 8 mbufs, not 30 */
	unsigned mtu = relay_cfg.enable_tso ? 9000 : relay_mtu();
	return (uint16_t)(mtu + 22 + RTE_PKTMBUF_HEADROOM + 32);
}

unsigned relay_mtu(void)
{
	return relay_cfg.enable_jumbo ? 9000 : 2100;
}

struct rte_mempool *pool_get(unsigned relay_id, int socket, unsigned queues)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;
	snprintf(name, sizeof(name), "vfwd_%u_%u", relay_id, generation++);
	mp = rte_pktmbuf_pool_create(name, pool_size(queues), POOL_CACHE, 0, data_room(), socket);
	if (mp == NULL && socket != SOCKET_ID_ANY) {
		LOG(WARNING, "relay %u: no pool memory on node %d, trying any node", relay_id,
			socket);
		mp = rte_pktmbuf_pool_create(name, pool_size(queues), POOL_CACHE, 0, data_room(),
			SOCKET_ID_ANY);
	}
	if (mp == NULL) {
		LOG(ERR, "relay %u: rte_pktmbuf_pool_create: %s", relay_id,
			rte_strerror(rte_errno));
		return NULL;
	}
	remember(mp);
	LOG(DEBUG, "relay %u: pool %s: %u mbufs of %u bytes on node %d for %u queues", relay_id,
		name, mp->size, data_room(), mp->socket_id, queues);
	return mp;
}

/* Software TSO (librte_gso) makes each segment of a header mbuf and an
 * indirect one pointing into the guest's frame: small mbufs from pools
 * of their own, shared by every relay. Running out drops the frame,
 * counted as no_mbuf. Control thread only. */
#define GSO_POOL_SIZE 16383
#define GSO_HEADER_ROOM 256 /* L2 + IPv4 + TCP headers with options */
static struct rte_mempool *gso_direct, *gso_indirect;

static void remember(struct rte_mempool *mp)
{
	for (unsigned i = 0; i < MAX_POOLS; i++)
		if (live[i] == NULL) {
			live[i] = mp;
			return;
		}
}

int pool_gso_get(struct rte_mempool **direct, struct rte_mempool **indirect)
{
	if (gso_direct == NULL) {
		gso_direct = rte_pktmbuf_pool_create("vfwd_gso_hdr", GSO_POOL_SIZE, POOL_CACHE, 0,
			RTE_PKTMBUF_HEADROOM + GSO_HEADER_ROOM, SOCKET_ID_ANY);
		if (gso_direct != NULL)
			remember(gso_direct);
	}
	if (gso_indirect == NULL) {
		gso_indirect = rte_pktmbuf_pool_create("vfwd_gso_ind", GSO_POOL_SIZE, POOL_CACHE, 0,
			0, SOCKET_ID_ANY);
		if (gso_indirect != NULL)
			remember(gso_indirect);
	}
	if (gso_direct == NULL || gso_indirect == NULL) {
		LOG(ERR, "gso pools: rte_pktmbuf_pool_create: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	*direct = gso_direct;
	*indirect = gso_indirect;
	return 0;
}

void pool_gso_fini(void)
{
	struct rte_mempool **pools[] = {&gso_direct, &gso_indirect};
	for (unsigned i = 0; i < 2; i++)
		if (*pools[i] != NULL && rte_mempool_full(*pools[i])) {
			pool_put(*pools[i]);
			*pools[i] = NULL;
		}
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

/* ---- a relay's pools (control thread) ---- */

static void relay_pool_set(struct relay *r, struct rte_mempool *mp, uint16_t queues)
{
	r->pool = mp;
	r->pool_queues = mp != NULL ? queues : 0;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		r->vm_to_vf[q].pool = mp;
}

int relay_pool_ensure(struct relay *r, int socket, uint16_t queues)
{
	if (r->pool == NULL)
		relay_pool_set(r, pool_get(r->id, socket, queues), queues);
	return r->pool != NULL ? 0 : -ENOMEM;
}

struct rte_mempool *relay_pool_grow(struct relay *r, uint16_t queues)
{
	struct rte_mempool *mp = pool_get(r->id, r->pool->socket_id, queues);
	if (mp == NULL)
		return NULL;
	struct rte_mempool *old = r->pool;
	relay_pool_set(r, mp, queues);
	return old;
}

void relay_pool_release_if_unused(struct relay *r)
{
	if (r->dpdk_state != DPDK_UNINIT || r->virtio_state != VIRTIO_UNINIT)
		return;
	pool_put(r->pool);
	relay_pool_set(r, NULL, 0);
}

/* The software TSO pools, made the first time a VF without TSO meets
 * --enable-tso. */
void relay_gso_prepare(struct relay *r)
{
	r->gso_ready = false;
	if (!relay_cfg.enable_tso || (r->vf_tx_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO))
		return;
	if (pool_gso_get(&r->gso_direct, &r->gso_indirect) == 0)
		r->gso_ready = true;
	else
		LOG(ERR, "relay %u: no software TSO: guest TSO frames will be dropped", r->id);
}

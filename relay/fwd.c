/* SPDX-License-Identifier: BSD-3-Clause */
/* The packet path: one pass of a relay's queue unit. No locks, no logging,
 * no allocation; counters have a single writer (this worker). */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_vhost.h>
#include <linux/virtio_config.h>

#include "relay_int.h"
#include "datapath.h"

/* Single-writer counter update that a reader may load concurrently. */
#define COUNT(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

static inline uint64_t sum_bytes(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
#pragma GCC unroll 4
	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	return bytes;
}

static inline void drop(struct rte_mbuf **pkts, uint16_t n, uint64_t *pkts_ctr,
	uint64_t *bytes_ctr)
{
	if (n == 0)
		return;
	COUNT(*bytes_ctr, sum_bytes(pkts, n));
	COUNT(*pkts_ctr, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

static inline void drop_not_connected(struct relay_unit *u, struct rte_mbuf **pkts, uint16_t n)
{
	drop(pkts, n, &u->c.pkts_dropped_not_connected, &u->c.bytes_dropped_not_connected);
}

static inline void drop_queue_full(struct relay_unit *u, struct rte_mbuf **pkts, uint16_t n)
{
	drop(pkts, n, &u->c.pkts_dropped_queue_full, &u->c.bytes_dropped_queue_full);
}

static inline uint64_t stash_deadline(void)
{
	return rte_rdtsc() + rte_get_tsc_hz() / 1000000 * RELAY_STASH_MAX_US;
}

static inline void stash_clear(struct relay_unit *u)
{
	u->stash_head = u->stash_n = 0;
}

static inline void stash_fill(struct relay_unit *u, struct rte_mbuf **pkts, uint16_t n)
{
	rte_memcpy(u->stash, pkts, sizeof(pkts[0]) * n);
	u->stash_head = 0;
	u->stash_n = n;
	u->stash_deadline = stash_deadline();
}

/* VF->VM with --vhost-iommu (vm.c enables librte_vhost's ring statistics
 * then): did librte_vhost miss IOTLB entries of the guest's RX rings since
 * the last expired stash? Then the guest's IOMMU, not a full ring, kept
 * the stash from draining. Only when a stash expires: not per packet. */
#define VHOST_STATS_MAX 64
static bool iotlb_missed(struct relay_unit *u, int vid)
{
	struct rte_vhost_stat_name names[VHOST_STATS_MAX];
	struct rte_vhost_stat st[VHOST_STATS_MAX];
	uint64_t misses = 0;
	for (uint8_t i = 0; i < u->n_rxq; i++) {
		uint16_t qid = (uint16_t)(2 * u->rxq[i]);
		int n = rte_vhost_vring_stats_get_names(vid, qid, names, VHOST_STATS_MAX);
		if (n <= 0 || n > VHOST_STATS_MAX || rte_vhost_vring_stats_get(vid, qid, st, n) != n)
			continue;
		for (int k = 0; k < n; k++)
			if (st[k].id < (uint64_t)n && strstr(names[st[k].id].name, "iotlb_misses"))
				misses += st[k].value;
	}
	if (u->iotlb_vid != vid) {
		u->iotlb_vid = vid;
		u->iotlb_misses_seen = 0;
	}
	bool grew = misses > u->iotlb_misses_seen;
	u->iotlb_misses_seen = misses;
	return grew;
}

/* A stash that could not drain in time: whose fault (vid >= 0: VF->VM). */
static void drop_expired(struct relay_unit *u, int vid, struct rte_mbuf **pkts, uint16_t n)
{
	if (vid >= 0 && relay_cfg.vhost_iommu && iotlb_missed(u, vid)) {
		COUNT(u->c.pkts_dropped_iotlb_miss, n);
		rte_pktmbuf_free_bulk(pkts, n);
	} else
		drop_queue_full(u, pkts, n);
}

/* sent packets left the stash; true if it is empty now. A stash that has
 * not drained for RELAY_STASH_MAX_US is dropped (true as well). vid: the
 * guest of a VF->VM unit, -1 for VM->VF. */
static inline bool stash_advance(struct relay_unit *u, uint16_t sent, int vid)
{
	u->stash_head += sent;
	u->stash_n -= sent;
	if (u->stash_n == 0) {
		stash_clear(u);
		return true;
	}
	if (sent > 0)
		u->stash_deadline = stash_deadline();
	else if (unlikely((int64_t)(rte_rdtsc() - u->stash_deadline) >= 0)) {
		drop_expired(u, vid, u->stash + u->stash_head, u->stash_n);
		stash_clear(u);
		return true;
	}
	return false;
}

/* Frames longer than the unit lets through are dropped as too big;
 * the others are compacted to the front. Returns how many remain. */
static uint16_t drop_too_big(struct relay_unit *u, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t ok = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (rte_pktmbuf_pkt_len(pkts[i]) <= u->max_frame)
			pkts[ok++] = pkts[i];
		else {
			COUNT(u->c.pkts_dropped_too_big, 1);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return ok;
}

/* VM->VF slow path: frames unfit for the VF (tx_check.c) are dropped
 * under their reason, the others compacted to the front; returns how
 * many remain. */
static uint16_t drop_unfit(struct relay_unit *u, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t ok = 0;
	for (uint16_t i = 0; i < n; i++) {
		enum tx_verdict v = tx_check_frame(u, pkts[i]);
		if (likely(v == TX_OK)) {
			pkts[ok++] = pkts[i];
		} else {
			tx_count_drop(u, v);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return ok;
}

/* Frames with offload requests for the VF itself: the PMD's own checks and
 * fix-ups (rte_eth_tx_prepare: a function-pointer test on PMDs without
 * them). A frame it refuses is dropped as malformed, the rest go on. */
static uint16_t vf_prepare(struct relay_unit *u, int port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t done = 0;
	while (done < n) {
		done += rte_eth_tx_prepare((uint16_t)port, u->queue, pkts + done, n - done);
		if (done == n)
			break;
		COUNT(u->c.pkts_dropped_malformed, 1);
		rte_pktmbuf_free(pkts[done]);
		n--;
		memmove(pkts + done, pkts + done + 1, sizeof(pkts[0]) * (n - done));
	}
	return n;
}

/* ---- VF -> VM ---- */

/* vhost copies, so every sent mbuf is freed here; returns how many. */
static inline uint16_t enqueue(struct relay_unit *u, int vid, uint16_t rxq, struct rte_mbuf **pkts,
	uint16_t n, uint64_t bytes)
{
	uint16_t sent = rte_vhost_enqueue_burst(vid, 2 * rxq, pkts, n);
	if (sent > 0) {
		COUNT(u->c.bytes_tx, sent == n ? bytes : sum_bytes(pkts, sent));
		COUNT(u->c.pkts_tx, sent);
		rte_pktmbuf_free_bulk(pkts, sent);
	}
	return sent;
}

/* The guest enabled or disabled RX queues: list the enabled ones. */
static void rxq_rebuild(struct relay_unit *u, uint32_t mask)
{
	u->n_rxq = 0;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if (mask & (1u << q))
			u->rxq[u->n_rxq++] = (uint8_t)q;
	u->rxq_seen = mask;
}

/* Spread a burst over the guest's enabled RX queues by flow hash, one
 * enqueue per queue; the order within a queue (so within a flow) is kept.
 * Returns how many were sent; the unsent end up at pkts[sent .. n). */
static uint16_t spread(struct relay_unit *u, int vid, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *sorted[RELAY_BURST], *unsent[RELAY_BURST];
	uint8_t qi[RELAY_BURST];
	uint16_t start[RELAY_MAX_QUEUES + 1] = {0};
	uint16_t sent = 0, n_unsent = 0;

	for (uint16_t i = 0; i < n; i++) {
		qi[i] = (uint8_t)(((uint64_t)flow_hash(pkts[i]) * u->n_rxq) >> 32);
		start[qi[i] + 1]++;
	}
	for (unsigned q = 0; q < u->n_rxq; q++)
		start[q + 1] += start[q];
	uint16_t fill[RELAY_MAX_QUEUES];
	memcpy(fill, start, sizeof(fill[0]) * u->n_rxq);
	for (uint16_t i = 0; i < n; i++)
		sorted[fill[qi[i]]++] = pkts[i];
	for (unsigned q = 0; q < u->n_rxq; q++) {
		uint16_t cnt = start[q + 1] - start[q];
		if (cnt == 0)
			continue;
		struct rte_mbuf **grp = sorted + start[q];
		uint16_t s = enqueue(u, vid, u->rxq[q], grp, cnt, sum_bytes(grp, cnt));
		sent += s;
		for (uint16_t k = s; k < cnt; k++)
			unsent[n_unsent++] = grp[k];
	}
	rte_memcpy(pkts + sent, unsent, sizeof(unsent[0]) * n_unsent);
	return sent;
}

/* Returns how many were sent; the unsent stay at pkts[sent .. n). */
static inline uint16_t to_vm(struct relay_unit *u, int vid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t bytes)
{
	if (likely(u->n_rxq == 1))
		return enqueue(u, vid, u->rxq[0], pkts, n, bytes);
	if (u->n_rxq == u->n_units) /* queue for queue: the VF spread the flows */
		return enqueue(u, vid, u->rxq[u->queue], pkts, n, bytes);
	return spread(u, vid, pkts, n);
}

unsigned fwd_vf_to_vm(struct relay_unit *u)
{
	struct rte_mbuf *pkts[RELAY_BURST];
	int vid = atomic_load_explicit(&u->vid, memory_order_acquire);
	int port = atomic_load_explicit(&u->vf_port, memory_order_acquire);
	uint32_t mask = atomic_load_explicit(&u->gq->rx_enabled, memory_order_relaxed);
	if (unlikely(mask != u->rxq_seen))
		rxq_rebuild(u, mask);
	/* no guest, or a guest with every RX queue disabled: nobody takes them */
	bool no_taker = vid < 0 || u->n_rxq == 0;

	/* Packets the guest had no room for: retry them before taking more. */
	if (unlikely(u->stash_n > 0)) {
		struct rte_mbuf **st = u->stash + u->stash_head;
		if (no_taker) {
			drop_not_connected(u, st, u->stash_n);
			stash_clear(u);
		} else {
			uint16_t sent = to_vm(u, vid, st, u->stash_n, sum_bytes(st, u->stash_n));
			if (!stash_advance(u, sent, vid))
				return sent;
		}
	}
	if (unlikely(port < 0))
		return 0;
	uint16_t n = rte_eth_rx_burst(port, u->queue, pkts, RELAY_BURST);
	if (n == 0)
		return 0;
	uint64_t bytes = 0;
	uint32_t max_len = 0;
#pragma GCC unroll 4
	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
		bytes += len;
		max_len = RTE_MAX(max_len, len);
	}
	COUNT(u->c.bytes_rx, bytes);
	COUNT(u->c.pkts_rx, n);
	if (unlikely(no_taker)) {
		drop_not_connected(u, pkts, n);
		return n;
	}
	uint16_t ok = n;
	if (unlikely(max_len > u->max_frame)) {
		ok = drop_too_big(u, pkts, n);
		bytes = sum_bytes(pkts, ok);
	}
	uint16_t sent = to_vm(u, vid, pkts, ok, bytes);
	if (unlikely(sent < ok))
		stash_fill(u, pkts + sent, ok - sent);
	return n;
}

/* ---- VM -> VF ---- */

/* Sent mbufs may be freed by the PMD at once: callers count their bytes
 * before the burst and subtract the unsent ones. */
static inline uint16_t to_vf(struct relay_unit *u, int port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = rte_eth_tx_burst(port, u->queue, pkts, n);
	COUNT(u->c.pkts_tx, sent);
	return sent;
}

/* Send pkts (all ready for the VF); the unsent wait in the (empty) stash. */
static inline void send_or_stash(struct relay_unit *u, int port, struct rte_mbuf **pkts,
	uint16_t n, uint64_t bytes)
{
	uint16_t sent = to_vf(u, port, pkts, n);
	if (likely(sent == n)) {
		COUNT(u->c.bytes_tx, bytes);
	} else {
		uint64_t unsent_bytes = sum_bytes(pkts + sent, n - sent);
		COUNT(u->c.bytes_tx, bytes - unsent_bytes);
		stash_fill(u, pkts + sent, n - sent);
	}
}

/* Software TSO: segment the pending frames into the stash's room and
 * send; what the VF does not take waits in the stash, frames not reached
 * stay pending. Returns the frames taken from pending. */
static unsigned send_pending(struct relay_unit *u, int port)
{
	struct rte_mbuf *out[RELAY_STASH];
	uint16_t k = 0;
	unsigned taken = 0;
	while (u->pend_n > 0) {
		struct rte_mbuf *m = u->pend[u->pend_head];
		int segs = 1;
		if (k >= RELAY_STASH)
			break; /* next pass, with the room the VF frees */
		if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
			if (k + offload_gso_estimate(m) > RELAY_STASH)
				break;
			segs = offload_segment(u, m, out + k, (uint16_t)(RELAY_STASH - k));
		} else {
			out[k] = m;
		}
		u->pend_head++;
		u->pend_n--;
		taken++;
		k += segs > 0 ? segs : 0;
	}
	if (u->pend_n == 0)
		u->pend_head = 0;
	if (k > 0 && u->tx_offload_capa != 0) /* the segments ask the VF for checksums */
		k = vf_prepare(u, port, out, k);
	if (k > 0)
		send_or_stash(u, port, out, k, sum_bytes(out, k));
	return taken;
}

/* With a linear buffer required (vm.c), librte_vhost consumes a guest TX
 * chain it cannot fit (over the ~64 KB it may allocate, or nothing after
 * the virtio-net header) and returns no mbuf for it: such drops show as
 * chains consumed but not returned. A split ring's consumed count is
 * last_avail_idx, which only grows: adding up what each burst returned
 * and comparing every RELAY_CHAIN_CHECK polls of a queue finds every drop
 * (a little later) for one library call per 64 polls, not per poll. Packed
 * rings count descriptors, not chains: not counted. */
static void count_vhost_drops(struct relay_unit *u, int vid, uint16_t q, uint16_t n)
{
	uint32_t bit = 1u << q;
	uint16_t avail, used;
	if (unlikely(u->chains_vid != vid)) {
		uint64_t f = 0;
		rte_vhost_get_negotiated_features(vid, &f);
		u->chains_vid = vid;
		u->chains_split = !(f & (1ULL << VIRTIO_F_RING_PACKED));
		u->chains_known = 0;
	}
	if (!u->chains_split)
		return;
	u->avail_seen[q] += n;
	if (likely(++u->chains_polls[q] < RELAY_CHAIN_CHECK && (u->chains_known & bit)))
		return;
	unsigned polls = u->chains_polls[q];
	u->chains_polls[q] = 0;
	if (rte_vhost_get_vring_base(vid, 2 * q + 1, &avail, &used) < 0)
		return;
	/* returned can exceed consumed by one (a RARP librte_vhost adds after
	 * a migration); a poll consumes at most a burst */
	int16_t d = (int16_t)(uint16_t)(avail - u->avail_seen[q]);
	if ((u->chains_known & bit) && d > 0 && (unsigned)d <= polls * RELAY_BURST) {
		COUNT(u->c.pkts_rx, (uint64_t)d);
		COUNT(u->c.pkts_dropped_bad_chain, (uint64_t)d);
	}
	u->chains_known |= bit;
	u->avail_seen[q] = avail;
}

unsigned fwd_vm_to_vf(struct relay_unit *u)
{
	struct rte_mbuf *pkts[RELAY_BURST];
	int vid = atomic_load_explicit(&u->vid, memory_order_acquire);
	int port = atomic_load_explicit(&u->vf_port, memory_order_acquire);

	if (unlikely(u->stash_n > 0)) {
		struct rte_mbuf **st = u->stash + u->stash_head;
		if (port < 0) {
			drop_not_connected(u, st, u->stash_n);
			stash_clear(u);
		} else {
			uint64_t bytes = sum_bytes(st, u->stash_n);
			uint16_t sent = to_vf(u, port, st, u->stash_n);
			COUNT(u->c.bytes_tx, bytes - sum_bytes(st + sent, u->stash_n - sent));
			if (!stash_advance(u, sent, -1))
				return sent;
		}
	}
	if (unlikely(u->pend_n > 0)) {
		if (port >= 0)
			return send_pending(u, port);
		drop_not_connected(u, u->pend + u->pend_head, u->pend_n);
		u->pend_head = u->pend_n = 0;
	}
	if (unlikely(vid < 0)) {
		u->chains_vid = -1; /* a vid is reused by the next connection */
		return 0;
	}
	/* one guest TX ring per pass, round robin over this unit's share */
	uint16_t slot = u->next_queue;
	uint16_t q = (uint16_t)(u->queue + slot * u->n_units);
	if (unlikely(u->guest_pairs > u->n_units)) {
		u->next_queue++;
		if (u->queue + u->next_queue * u->n_units >= u->guest_pairs)
			u->next_queue = 0;
	}
	/* a queue whose head chain librte_vhost refuses is polled rarely */
	if (unlikely(u->stall_suspect & (1u << slot)) && stall_skip(u, slot))
		return 0;
	uint16_t n = rte_vhost_dequeue_burst(vid, 2 * q + 1, u->pool, pkts, RELAY_BURST);
	count_vhost_drops(u, vid, q, n);
	if (n == 0) {
		stall_refused(u, vid, (uint16_t)(2 * q + 1), slot);
		return 0;
	}
	if (unlikely(u->stall_suspect))
		stall_moved(u, slot);
	/* the burst's summary: its bytes, how far its frames reach over the
	 * minimum and its offload requests (our only per-packet work on this
	 * path, so kept to three fields). len - RELAY_MIN_FRAME wraps for a
	 * runt, so its maximum bounds the burst both ways at the cost of one
	 * subtraction; a burst in range without requests is sent as it is. */
	uint64_t bytes = 0, ol = 0;
	uint32_t max_over_min = 0;
#pragma GCC unroll 4
	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
		bytes += len;
		max_over_min = RTE_MAX(max_over_min, len - RELAY_MIN_FRAME);
		ol |= pkts[i]->ol_flags;
	}
	COUNT(u->c.bytes_rx, bytes);
	COUNT(u->c.pkts_rx, n);
	if (unlikely(port < 0)) {
		drop_not_connected(u, pkts, n);
		return n;
	}
	uint16_t ok = n;
	/* untagged frames: the max frame less the VLAN tag it has room for */
	if (unlikely(max_over_min > u->max_frame - RTE_VLAN_HLEN - RELAY_MIN_FRAME ||
		    (ol & GUEST_REQUESTS))) {
		/* every frame checked: length, and the headers an offload
		 * request describes (TSO: each segment's length) */
		ok = drop_unfit(u, pkts, n);
		bool segment = false;
		if (offload_needs_help(pkts, ok, ol, u->tx_offload_capa))
			ok = offload_prepare(u, pkts, ok, &segment);
		if (segment) {
			rte_memcpy(u->pend, pkts, sizeof(pkts[0]) * ok);
			u->pend_head = 0;
			u->pend_n = ok;
			send_pending(u, port);
			return n;
		}
		if ((ol & GUEST_REQUESTS) && u->tx_offload_capa != 0)
			ok = vf_prepare(u, port, pkts, ok);
		if (ok < n)
			bytes = sum_bytes(pkts, ok);
	}
	send_or_stash(u, port, pkts, ok, bytes);
	return n;
}

void fwd_flush_stash(struct relay_unit *u)
{
	drop_not_connected(u, u->stash + u->stash_head, u->stash_n);
	stash_clear(u);
	drop_not_connected(u, u->pend + u->pend_head, u->pend_n);
	u->pend_head = u->pend_n = 0;
}

void fwd_drain_vf(struct relay_unit *u, uint16_t port)
{
	struct rte_mbuf *pkts[RELAY_BURST];
	uint16_t n;
	/* bounded: a VF still receiving at line rate must not hold us here */
	for (unsigned i = 0; i < RELAY_RX_DESC / RELAY_BURST * 2; i++) {
		if ((n = rte_eth_rx_burst(port, u->queue, pkts, RELAY_BURST)) == 0)
			break;
		COUNT(u->c.bytes_rx, sum_bytes(pkts, n));
		COUNT(u->c.pkts_rx, n);
		drop_not_connected(u, pkts, n);
	}
}

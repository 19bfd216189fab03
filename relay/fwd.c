/* SPDX-License-Identifier: BSD-3-Clause */
/* The packet path: one pass of a relay direction. No locks, no logging, no
 * allocation; counters have a single writer (this worker). */
#include <rte_ethdev.h>
#include <rte_vhost.h>

#include "relay_int.h"

/* Single-writer counter update that a reader may load concurrently. */
#define COUNT(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

static inline uint64_t sum_bytes(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
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

static inline void drop_not_connected(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n)
{
	drop(pkts, n, &d->c.pkts_dropped_not_connected, &d->c.bytes_dropped_not_connected);
}

static inline void drop_queue_full(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n)
{
	drop(pkts, n, &d->c.pkts_dropped_queue_full, &d->c.bytes_dropped_queue_full);
}

static inline uint64_t stash_deadline(void)
{
	return rte_rdtsc() + rte_get_tsc_hz() / 1000000 * RELAY_STASH_MAX_US;
}

static inline void stash_clear(struct relay_dir *d)
{
	d->stash_head = d->stash_n = 0;
}

static inline void stash_fill(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n)
{
	rte_memcpy(d->stash, pkts, sizeof(pkts[0]) * n);
	d->stash_head = 0;
	d->stash_n = n;
	d->stash_deadline = stash_deadline();
}

/* sent packets left the stash; true if it is empty now. A stash that has
 * not drained for RELAY_STASH_MAX_US is dropped (true as well). */
static inline bool stash_advance(struct relay_dir *d, uint16_t sent)
{
	d->stash_head += sent;
	d->stash_n -= sent;
	if (d->stash_n == 0) {
		stash_clear(d);
		return true;
	}
	if (sent > 0)
		d->stash_deadline = stash_deadline();
	else if (unlikely((int64_t)(rte_rdtsc() - d->stash_deadline) >= 0)) {
		drop_queue_full(d, d->stash + d->stash_head, d->stash_n);
		stash_clear(d);
		return true;
	}
	return false;
}

/* Enqueue to guest RX queue 0; vhost copies, so every sent mbuf is freed
 * here. Returns how many were sent. */
static inline uint16_t to_vm(struct relay_dir *d, int vid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t bytes)
{
	uint16_t sent = rte_vhost_enqueue_burst(vid, 0, pkts, n);
	if (sent > 0) {
		COUNT(d->c.bytes_tx, sent == n ? bytes : sum_bytes(pkts, sent));
		COUNT(d->c.pkts_tx, sent);
		rte_pktmbuf_free_bulk(pkts, sent);
	}
	return sent;
}

unsigned fwd_vf_to_vm(struct relay_dir *d)
{
	struct rte_mbuf *pkts[RELAY_BURST];
	int vid = atomic_load_explicit(&d->vid, memory_order_acquire);
	int port = atomic_load_explicit(&d->vf_port, memory_order_relaxed);

	/* Packets the guest had no room for: retry them before taking more. */
	if (unlikely(d->stash_n > 0)) {
		struct rte_mbuf **st = d->stash + d->stash_head;
		if (vid < 0) {
			drop_not_connected(d, st, d->stash_n);
			stash_clear(d);
		} else {
			uint16_t sent = to_vm(d, vid, st, d->stash_n, sum_bytes(st, d->stash_n));
			if (!stash_advance(d, sent))
				return sent;
		}
	}
	if (unlikely(port < 0))
		return 0;
	uint16_t n = rte_eth_rx_burst(port, 0, pkts, RELAY_BURST);
	if (n == 0)
		return 0;
	uint64_t bytes = sum_bytes(pkts, n);
	COUNT(d->c.bytes_rx, bytes);
	COUNT(d->c.pkts_rx, n);
	if (unlikely(vid < 0)) {
		drop_not_connected(d, pkts, n);
		return n;
	}
	uint16_t sent = to_vm(d, vid, pkts, n, bytes);
	if (unlikely(sent < n))
		stash_fill(d, pkts + sent, n - sent);
	return n;
}

/* Sent mbufs may be freed by the PMD at once: callers count their bytes
 * before the burst and subtract the unsent ones. */
static inline uint16_t to_vf(struct relay_dir *d, int port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);
	COUNT(d->c.pkts_tx, sent);
	return sent;
}

unsigned fwd_vm_to_vf(struct relay_dir *d)
{
	struct rte_mbuf *pkts[RELAY_BURST];
	int vid = atomic_load_explicit(&d->vid, memory_order_acquire);
	int port = atomic_load_explicit(&d->vf_port, memory_order_acquire);

	if (unlikely(d->stash_n > 0)) {
		struct rte_mbuf **st = d->stash + d->stash_head;
		if (port < 0) {
			drop_not_connected(d, st, d->stash_n);
			stash_clear(d);
		} else {
			uint64_t bytes = sum_bytes(st, d->stash_n);
			uint16_t sent = to_vf(d, port, st, d->stash_n);
			COUNT(d->c.bytes_tx, bytes - sum_bytes(st + sent, d->stash_n - sent));
			if (!stash_advance(d, sent))
				return sent;
		}
	}
	if (unlikely(vid < 0))
		return 0;
	/* one guest TX ring per pass, round robin over the queue pairs */
	uint16_t q = d->next_queue;
	if (unlikely(d->n_queue_pairs > 1))
		d->next_queue = (uint16_t)((q + 1) % d->n_queue_pairs);
	uint16_t n = rte_vhost_dequeue_burst(vid, 2 * q + 1, d->pool, pkts, RELAY_BURST);
	if (n == 0)
		return 0;
	uint64_t bytes = 0, ol = 0;
	uint32_t l4_kinds = 0;
	for (uint16_t i = 0; i < n; i++) {
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
		ol |= pkts[i]->ol_flags;
		l4_kinds |= offload_l4_kind(pkts[i]->ol_flags);
	}
	COUNT(d->c.bytes_rx, bytes);
	COUNT(d->c.pkts_rx, n);
	if (unlikely(port < 0)) {
		drop_not_connected(d, pkts, n);
		return n;
	}
	uint16_t ok = n;
	if (unlikely(offload_needs_help(ol, l4_kinds, d->tx_offload_capa))) {
		ok = offload_prepare(d, pkts, n);
		if (ok < n)
			bytes = sum_bytes(pkts, ok);
	}
	uint16_t sent = to_vf(d, port, pkts, ok);
	if (likely(sent == ok)) {
		COUNT(d->c.bytes_tx, bytes);
	} else {
		uint64_t unsent_bytes = sum_bytes(pkts + sent, ok - sent);
		COUNT(d->c.bytes_tx, bytes - unsent_bytes);
		stash_fill(d, pkts + sent, ok - sent);
	}
	return n;
}

void fwd_flush_stash(struct relay_dir *d)
{
	drop_not_connected(d, d->stash + d->stash_head, d->stash_n);
	stash_clear(d);
}

void fwd_drain_vf(struct relay_dir *d, uint16_t port)
{
	struct rte_mbuf *pkts[RELAY_BURST];
	uint16_t n;
	/* bounded: a VF still receiving at line rate must not hold us here */
	for (unsigned i = 0; i < RELAY_RX_DESC / RELAY_BURST * 2; i++) {
		if ((n = rte_eth_rx_burst(port, 0, pkts, RELAY_BURST)) == 0)
			break;
		COUNT(d->c.bytes_rx, sum_bytes(pkts, n));
		COUNT(d->c.pkts_rx, n);
		drop_not_connected(d, pkts, n);
	}
}

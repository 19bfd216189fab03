/* SPDX-License-Identifier: BSD-3-Clause */
/* Guest offload requests on the VM->VF path. vhost (legacy offload flags)
 * turns the virtio-net header into TX offload flags: a partial L4 checksum
 * (the field holds the pseudo-header sum) or a TSO request. A VF that has
 * the offload gets the packet as is; otherwise the checksum is completed
 * here, the way the virtio spec defines it, which needs no header parsing
 * and covers IPv4 and IPv6 alike. */
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "relay_int.h"

uint64_t offload_needed_capa(uint64_t ol)
{
	uint64_t capa = 0;
	if (ol & RTE_MBUF_F_TX_TCP_SEG)
		capa |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
	if (ol & RTE_MBUF_F_TX_UDP_SEG)
		capa |= RTE_ETH_TX_OFFLOAD_UDP_TSO;
	switch (ol & RTE_MBUF_F_TX_L4_MASK) {
	case RTE_MBUF_F_TX_TCP_CKSUM:
		capa |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		break;
	case RTE_MBUF_F_TX_UDP_CKSUM:
		capa |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		break;
	case RTE_MBUF_F_TX_SCTP_CKSUM:
		capa |= RTE_ETH_TX_OFFLOAD_SCTP_CKSUM;
		break;
	default:
		break;
	}
	return capa;
}

/* Ones' complement sum of len bytes from off, over the segment chain.
 * rte_raw_cksum_mbuf() of DPDK 22.11 truncates a segment's unreduced sum
 * before swapping it after an odd-length segment, so do it per segment. */
static uint16_t sum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint32_t sum = 0, done = 0;
	for (; m != NULL && len > 0; m = m->next) {
		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		uint32_t n = RTE_MIN((uint32_t)m->data_len - off, len);
		uint16_t part = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const void *, off), n);
		/* a part starting at an odd offset has its bytes the other way */
		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
		len -= n;
		off = 0;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Complete a partial TCP/UDP checksum in software; false if impossible. */
static bool sw_checksum(struct rte_mbuf *m)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint32_t start = m->l2_len + m->l3_len;
	uint32_t field;

	if (m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))
		return false; /* segmentation needs a VF with TSO */
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM)
		field = start + 16;
	else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM)
		field = start + 6;
	else
		return false; /* SCTP's CRC32c is not a ones' complement sum */
	if (field + 2 > rte_pktmbuf_data_len(m) || start >= rte_pktmbuf_pkt_len(m))
		return false;
	uint16_t csum = (uint16_t)~sum_chain(m, start, rte_pktmbuf_pkt_len(m) - start);
	if (csum == 0 && l4 == RTE_MBUF_F_TX_UDP_CKSUM)
		csum = 0xffff; /* UDP: 0 means "no checksum" */
	*rte_pktmbuf_mtod_offset(m, uint16_t *, field) = csum;
	m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	return true;
}

_Static_assert(RTE_MBUF_F_TX_L4_MASK == 3ULL << OFFLOAD_L4_SHIFT, "L4 request field moved");

uint16_t offload_prepare(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t ok = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t req = m->ol_flags & GUEST_REQUESTS;
		if (likely(req == 0 || (offload_needed_capa(req) & ~d->tx_offload_capa) == 0) ||
			sw_checksum(m)) {
			pkts[ok++] = m;
			continue;
		}
		__atomic_store_n(&d->c.pkts_dropped_invalid, d->c.pkts_dropped_invalid + 1,
			__ATOMIC_RELAXED);
		rte_pktmbuf_free(m);
	}
	return ok;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* Guest offload requests on the VM->VF path. vhost (legacy offload flags)
 * turns the virtio-net header into TX offload flags: a partial L4 checksum
 * (the field holds the pseudo-header sum) or a TSO request. A VF that has
 * the offload gets the packet as is; otherwise the checksum is completed
 * here, the way the virtio spec defines it, which needs no header parsing
 * and covers IPv4 and IPv6 alike. */
#include <errno.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "relay_int.h"
#include "datapath.h"

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

uint64_t offload_l4_capa(struct rte_mbuf *const *pkts, uint16_t n, uint64_t ol, uint64_t vf_capa)
{
	const uint64_t all = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
		RTE_ETH_TX_OFFLOAD_SCTP_CKSUM;
	if ((ol & RTE_MBUF_F_TX_L4_MASK) != RTE_MBUF_F_TX_UDP_CKSUM || (vf_capa & all) == all)
		return offload_needed_capa(ol & RTE_MBUF_F_TX_L4_MASK);
	uint64_t need = 0;
	for (uint16_t i = 0; i < n; i++)
		need |= offload_needed_capa(pkts[i]->ol_flags & RTE_MBUF_F_TX_L4_MASK);
	return need;
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

/* offload_l4_capa relies on the 2-bit code: TCP 1, SCTP 2, UDP 3 */
_Static_assert((RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_SCTP_CKSUM) == RTE_MBUF_F_TX_UDP_CKSUM,
	"L4 request codes changed");

static inline void count(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, *ctr + n, __ATOMIC_RELAXED);
}

/* Whether librte_gso (22.11: TCP over IPv4) can cut m into the stash. */
static bool can_segment(const struct rte_mbuf *m)
{
	return (m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4)) ==
		(RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4) &&
		m->tso_segsz > 0 && m->l2_len + m->l3_len + m->l4_len < rte_pktmbuf_data_len(m) &&
		offload_gso_estimate(m) <= RELAY_STASH;
}

uint16_t offload_prepare(struct relay_unit *u, struct rte_mbuf **pkts, uint16_t n, bool *segment)
{
	uint16_t ok = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t req = m->ol_flags & GUEST_REQUESTS;
		if (likely(req == 0 || (offload_needed_capa(req) & ~u->tx_offload_capa) == 0)) {
			pkts[ok++] = m;
		} else if (req & RTE_MBUF_F_TX_TCP_SEG) {
			/* a VF without TSO: segmented here, checksums with it */
			if (!u->sw_gso || !can_segment(m))
				goto invalid;
			*segment = true;
			pkts[ok++] = m;
		} else if (!(req & RTE_MBUF_F_TX_UDP_SEG) && sw_checksum(m)) {
			pkts[ok++] = m;
		} else {
			goto invalid;
		}
		continue;
invalid:
		count(&u->c.pkts_dropped_invalid, 1);
		rte_pktmbuf_free(m);
	}
	return ok;
}

unsigned offload_gso_estimate(const struct rte_mbuf *m)
{
	uint32_t hdr = m->l2_len + m->l3_len + m->l4_len;
	if (m->tso_segsz == 0 || rte_pktmbuf_pkt_len(m) <= hdr)
		return 1;
	return (rte_pktmbuf_pkt_len(m) - hdr + m->tso_segsz - 1) / m->tso_segsz;
}

/* A TCP/IPv4 segment cut by librte_gso, whose checksums it left alone:
 * the VF computes what it can, the rest is done here. */
static void segment_checksums(const struct relay_unit *u, struct rte_mbuf *s, uint8_t l2,
	uint16_t l3, uint8_t l4)
{
	s->l2_len = l2;
	s->l3_len = l3;
	s->l4_len = l4;
	s->ol_flags = (s->ol_flags & ~(RTE_MBUF_F_TX_OFFLOAD_MASK)) | RTE_MBUF_F_TX_IPV4 |
		RTE_MBUF_F_TX_TCP_CKSUM;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(s, struct rte_ipv4_hdr *, l2);
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(s, struct rte_tcp_hdr *, l2 + l3);
	ip->hdr_checksum = 0;
	if (u->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		s->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* the pseudo-header sum, with this segment's length */
	th->cksum = rte_ipv4_phdr_cksum(ip, 0);
	if (!(u->tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM))
		sw_checksum(s);
}

int offload_segment(struct relay_unit *u, struct rte_mbuf *m, struct rte_mbuf **out,
	uint16_t room)
{
	uint8_t l2 = (uint8_t)m->l2_len, l4 = (uint8_t)m->l4_len;
	uint16_t l3 = (uint16_t)m->l3_len;
	/* tx_check_frame bounded this by the max frame: no 16-bit wrap, and
	 * a frame that "fits" (returned whole) is no longer than a segment */
	u->gso.gso_size = (uint16_t)(l2 + l3 + l4 + m->tso_segsz);
	int n = rte_gso_segment(m, &u->gso, out, room);
	if (n < 0) {
		count(n == -ENOMEM ? &u->c.pkts_dropped_no_mbuf : &u->c.pkts_dropped_invalid, 1);
		rte_pktmbuf_free(m);
		return 0;
	}
	if (n == 0) { /* it fits one segment as it is */
		m->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
		out[0] = m;
		n = 1;
	} else {
		rte_pktmbuf_free(m); /* the segments hold references to its data */
		/* librte_gso (22.11) copies the frame's ol_flags to each header
		 * segment, a direct mbuf of its own pool: a frame in an external
		 * buffer (vhost EXTBUF) would make it look attached, and freeing
		 * it would release a buffer it does not have */
		for (int i = 0; i < n; i++)
			out[i]->ol_flags &= ~(RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT);
		count(&u->c.pkts_segmented, 1);
		count(&u->c.pkts_segments, (uint64_t)n);
	}
	for (int i = 0; i < n; i++)
		segment_checksums(u, out[i], l2, l3, l4);
	return n;
}

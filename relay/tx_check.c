/* SPDX-License-Identifier: BSD-3-Clause */
/* What a guest frame must be before the VF sees it (VM->VF slow path).
 * The guest is untrusted: librte_vhost turns its virtio-net header into
 * l2/l3/l4 lengths, tso_segsz and offload flags with few checks (an IHL or
 * TCP data offset under 5, any gso_size, fragments flagged TSO), and a real
 * VF that gets such a descriptor, a runt or an over-MTU frame may raise
 * malicious-driver detection and be disabled. Everything checked here is
 * in the first segment, where librte_vhost parsed it. */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "datapath.h"

static inline bool has_room(const struct rte_mbuf *m, uint32_t end)
{
	return end <= rte_pktmbuf_data_len(m);
}

/* The L2 and L3 headers m's offload request describes: lengths that match
 * the bytes, an IPv4 or IPv6 header; its L4 protocol in *proto. */
static bool l3_ok(const struct rte_mbuf *m, uint8_t *proto)
{
	uint32_t l2 = m->l2_len, l3 = m->l3_len;
	uint16_t type_off = RTE_ETHER_HDR_LEN - 2;

	if (!has_room(m, l2))
		return false;
	if (l2 == RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN) {
		const rte_be16_t *tpid = rte_pktmbuf_mtod_offset(m, const rte_be16_t *, type_off);
		if (*tpid != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
			return false;
		type_off += RTE_VLAN_HLEN;
	} else if (l2 != RTE_ETHER_HDR_LEN) {
		return false;
	}
	if (!has_room(m, l2 + l3))
		return false;
	rte_be16_t type = *rte_pktmbuf_mtod_offset(m, const rte_be16_t *, type_off);
	if (m->ol_flags & RTE_MBUF_F_TX_IPV4) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
			const struct rte_ipv4_hdr *, l2);
		if (type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || l3 < sizeof(*ip) ||
			(ip->version_ihl >> 4) != 4 || l3 != rte_ipv4_hdr_len(ip))
			return false;
		/* a fragment has no L4 header to offload on (and cannot be cut) */
		if (ip->fragment_offset &
			rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			return false;
		*proto = ip->next_proto_id;
		return true;
	}
	if (m->ol_flags & RTE_MBUF_F_TX_IPV6) {
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m,
			const struct rte_ipv6_hdr *, l2);
		if (type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) || l3 != sizeof(*ip) ||
			(rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
			return false;
		*proto = ip->proto;
		return true;
	}
	return false;
}

/* A TSO request: the segments the VF (or librte_gso) makes must each be
 * a frame the relay lets through. */
static enum tx_verdict seg_check(const struct relay_unit *u, const struct rte_mbuf *m,
	uint8_t proto)
{
	uint32_t l2 = m->l2_len, l4 = m->l4_len;
	uint32_t hdr = l2 + m->l3_len + l4;

	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		const struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m,
			const struct rte_tcp_hdr *, l2 + m->l3_len);
		if (proto != IPPROTO_TCP || l4 < sizeof(*th) || !has_room(m, hdr) ||
			l4 != (uint32_t)(th->data_off >> 4) * 4)
			return TX_MALFORMED;
	} else if (proto != IPPROTO_UDP || l4 != sizeof(struct rte_udp_hdr) || !has_room(m, hdr)) {
		return TX_MALFORMED;
	}
	if (m->tso_segsz < RELAY_TSO_MIN_SEG || rte_pktmbuf_pkt_len(m) <= hdr)
		return TX_MALFORMED;
	/* each segment (tagged as the frame is), and an IP datagram's 16-bit
	 * total length */
	if (hdr + m->tso_segsz > tx_max_frame(u, m) || rte_pktmbuf_pkt_len(m) - l2 > UINT16_MAX)
		return TX_TOO_BIG;
	return TX_OK;
}

enum tx_verdict tx_check_frame(const struct relay_unit *u, const struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint64_t req = m->ol_flags & GUEST_REQUESTS;
	uint8_t proto = 0;

	if (len < RELAY_MIN_FRAME)
		return TX_RUNT;
	if (req == 0)
		return len <= tx_max_frame(u, m) ? TX_OK : TX_TOO_BIG;
	if (!l3_ok(m, &proto))
		return TX_MALFORMED;
	if (req & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))
		return seg_check(u, m, proto);
	/* a checksum request: its L4 header and field in the first segment */
	uint32_t l4_off = m->l2_len + m->l3_len;
	switch (req & RTE_MBUF_F_TX_L4_MASK) {
	case RTE_MBUF_F_TX_TCP_CKSUM:
		if (proto != IPPROTO_TCP || !has_room(m, l4_off + sizeof(struct rte_tcp_hdr)))
			return TX_MALFORMED;
		break;
	case RTE_MBUF_F_TX_UDP_CKSUM:
		if (proto != IPPROTO_UDP || !has_room(m, l4_off + sizeof(struct rte_udp_hdr)))
			return TX_MALFORMED;
		break;
	default: /* SCTP: its CRC field ends at byte 12 */
		if (proto != IPPROTO_SCTP || !has_room(m, l4_off + 12))
			return TX_MALFORMED;
		break;
	}
	return len <= tx_max_frame(u, m) ? TX_OK : TX_TOO_BIG;
}

void tx_count_drop(struct relay_unit *u, enum tx_verdict v)
{
	uint64_t *ctr = v == TX_RUNT ? &u->c.pkts_dropped_runt :
		v == TX_TOO_BIG ? &u->c.pkts_dropped_too_big : &u->c.pkts_dropped_malformed;
	__atomic_store_n(ctr, *ctr + 1, __ATOMIC_RELAXED);
}

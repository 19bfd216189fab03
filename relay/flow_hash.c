/* SPDX-License-Identifier: BSD-3-Clause */
/* Which guest RX queue a frame from the VF goes to: one flow, one queue.
 * The VF's own RSS hash when it delivers one; otherwise a hash of the
 * flow's addresses and ports as rte_net_get_ptype finds them (VLAN tags
 * and IPv6 extension headers walked), of addresses only for fragments, so
 * every fragment of a datagram lands with its first, and of the MACs and
 * ethertype for anything that is not IP. */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_net.h>

#include "relay_int.h"
#include "datapath.h"

#define FLOW_HASH_SEED 0x5646574Du /* any constant: flows need only stay put */

uint32_t flow_hash(const struct rte_mbuf *m)
{
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return m->hash.rss;
	struct rte_net_hdr_lens hl;
	uint32_t ptype = rte_net_get_ptype(m, &hl,
		RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
	uint32_t key[9]; /* IPv6 addresses and ports at most */
	unsigned words;
	const void *p;
	if (RTE_ETH_IS_IPV4_HDR(ptype)) {
		struct rte_ipv4_hdr buf;
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_read(m, hl.l2_len, sizeof(buf), &buf);
		if (ip == NULL)
			goto l2;
		key[0] = ip->src_addr;
		key[1] = ip->dst_addr;
		words = 2;
	} else if (RTE_ETH_IS_IPV6_HDR(ptype)) {
		struct rte_ipv6_hdr buf;
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_read(m, hl.l2_len, sizeof(buf), &buf);
		if (ip == NULL)
			goto l2;
		memcpy(&key[0], ip->src_addr, 16);
		memcpy(&key[4], ip->dst_addr, 16);
		words = 8;
	} else {
		goto l2;
	}
	uint32_t l4 = ptype & RTE_PTYPE_L4_MASK;
	if (l4 == RTE_PTYPE_L4_TCP || l4 == RTE_PTYPE_L4_UDP || l4 == RTE_PTYPE_L4_SCTP) {
		uint32_t ports;
		/* source and destination port: the first 4 bytes of all three */
		if ((p = rte_pktmbuf_read(m, hl.l2_len + hl.l3_len, 4, &ports)) != NULL)
			memcpy(&key[words++], p, 4);
	}
	return rte_jhash_32b(key, words, FLOW_HASH_SEED);
l2: {
	uint32_t eth[4] = {0};
	/* destination and source MACs and the ethertype: 14 bytes */
	if ((p = rte_pktmbuf_read(m, 0, RTE_ETHER_HDR_LEN, eth)) == NULL)
		return 0;
	if (p != eth)
		memcpy(eth, p, RTE_ETHER_HDR_LEN);
	return rte_jhash_32b(eth, 4, FLOW_HASH_SEED);
}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* offload.c on real mbufs: a guest's partial TCP/UDP checksums (IPv4 and
 * IPv6, one or two segments) completed in software for a VF without the
 * offload, left alone for a VF with it; TSO to a VF without TSO dropped and
 * counted unless software TSO is on, then cut by librte_gso with correct
 * checksums (IPv6 TSO, which 22.11's librte_gso lacks, dropped and counted); the per-burst shortcut never skips a packet that needs help. */
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "inproc.h"
#include "datapath.h"

static struct rte_mempool *mp;

/* eth + IPv4/IPv6 + TCP/UDP + payload, L4 checksum field = pseudo-header
 * sum as a virtio guest leaves it, flags as vhost sets them */
static struct rte_mbuf *partial(bool v6, uint8_t proto, uint16_t payload, bool split)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint16_t l4 = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);
	uint16_t len = 14 + l3 + l4 + payload;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);
	memset(p, 0, len);
	p[12] = v6 ? 0x86 : 0x08, p[13] = v6 ? 0xdd : 0x00;
	void *ip = p + 14;
	if (v6) {
		struct rte_ipv6_hdr *h = ip;
		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16(l4 + payload);
		h->proto = proto;
		h->hop_limits = 64;
		for (int i = 0; i < 16; i++)
			h->src_addr[i] = (uint8_t)i, h->dst_addr[i] = (uint8_t)(0xf0 + i);
	} else {
		struct rte_ipv4_hdr *h = ip;
		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16(l3 + l4 + payload);
		h->time_to_live = 64;
		h->next_proto_id = proto;
		h->src_addr = rte_cpu_to_be_32(0x0a000001);
		h->dst_addr = rte_cpu_to_be_32(0x0a000002);
		h->hdr_checksum = rte_ipv4_cksum(h);
	}
	uint8_t *l4p = p + 14 + l3;
	for (uint16_t i = 0; i < payload; i++)
		l4p[l4 + i] = (uint8_t)(i * 7 + 3);
	uint64_t flags = v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4;
	uint16_t phdr = v6 ? rte_ipv6_phdr_cksum(ip, flags) : rte_ipv4_phdr_cksum(ip, flags);
	if (proto == IPPROTO_TCP) {
		((struct rte_tcp_hdr *)l4p)->data_off = 0x50;
		((struct rte_tcp_hdr *)l4p)->cksum = phdr;
		flags |= RTE_MBUF_F_TX_TCP_CKSUM;
	} else {
		((struct rte_udp_hdr *)l4p)->dgram_len = rte_cpu_to_be_16(l4 + payload);
		((struct rte_udp_hdr *)l4p)->dgram_cksum = phdr;
		flags |= RTE_MBUF_F_TX_UDP_CKSUM;
	}
	m->ol_flags = flags;
	m->l2_len = 14;
	m->l3_len = l3;
	if (split) { /* move the second half of the payload to a second segment */
		uint16_t tail = payload / 2;
		struct rte_mbuf *s = rte_pktmbuf_alloc(mp);
		memcpy(rte_pktmbuf_append(s, tail), p + len - tail, tail);
		rte_pktmbuf_trim(m, tail);
		CHECK(rte_pktmbuf_chain(m, s) == 0, "chain");
	}
	return m;
}

static bool l4_ok(struct rte_mbuf *m)
{
	struct rte_mbuf *lin = m;
	if (m->nb_segs > 1) { /* verify on a flat copy */
		lin = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
		CHECK(lin != NULL && rte_pktmbuf_linearize(lin) == 0, "linearize");
	}
	void *ip = rte_pktmbuf_mtod_offset(lin, void *, 14);
	uint8_t *l4 = rte_pktmbuf_mtod_offset(lin, uint8_t *, 14 + lin->l3_len);
	int bad = m->l3_len == sizeof(struct rte_ipv6_hdr) ? rte_ipv6_udptcp_cksum_verify(ip, l4) :
							      rte_ipv4_udptcp_cksum_verify(ip, l4);
	if (lin != m)
		rte_pktmbuf_free(lin);
	return bad == 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	inproc_eal(argv[0], "0@0", "256");
	mp = rte_pktmbuf_pool_create("offload", 1023, 0, 0, 2048 + 128, SOCKET_ID_ANY);
	CHECK(mp != NULL, "pool");
	struct relay_unit d;
	bool seg = false;
	memset(&d, 0, sizeof(d));

	/* a VF without checksum offload: software completes every kind */
	struct rte_mbuf *pk[8];
	unsigned n = 0;
	for (int v6 = 0; v6 < 2; v6++)
		for (int tcp = 0; tcp < 2; tcp++)
			for (int split = 0; split < 2; split++)
				pk[n++] = partial(v6, tcp ? IPPROTO_TCP : IPPROTO_UDP, 301, split);
	for (unsigned i = 0; i < n; i++)
		CHECK(!l4_ok(pk[i]), "packet %u already valid: the test proves nothing", i);
	CHECK(offload_prepare(&d, pk, (uint16_t)n, &seg) == n, "software checksum refused a packet");
	for (unsigned i = 0; i < n; i++) {
		CHECK(l4_ok(pk[i]), "packet %u: wrong checksum after software completion", i);
		CHECK((pk[i]->ol_flags & RTE_MBUF_F_TX_L4_MASK) == 0, "flag left for the VF");
	}
	rte_pktmbuf_free_bulk(pk, n);

	/* a VF with the offload: the packet goes as the guest made it */
	d.tx_offload_capa = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	pk[0] = partial(false, IPPROTO_TCP, 100, false);
	uint16_t before = *rte_pktmbuf_mtod_offset(pk[0], uint16_t *, 14 + 20 + 16);
	CHECK(offload_prepare(&d, pk, 1, &seg) == 1, "hardware path refused");
	CHECK(*rte_pktmbuf_mtod_offset(pk[0], uint16_t *, 14 + 20 + 16) == before, "touched");
	CHECK(pk[0]->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM, "request lost");
	rte_pktmbuf_free(pk[0]);

	/* TSO to a VF without TSO: dropped, counted, never sent malformed */
	pk[0] = partial(false, IPPROTO_TCP, 1000, false);
	pk[1] = partial(false, IPPROTO_UDP, 10, false);
	pk[0]->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	pk[0]->tso_segsz = 200;
	d.tx_offload_capa = 0;
	CHECK(offload_prepare(&d, pk, 2, &seg) == 1, "TSO packet not dropped");
	CHECK(d.c.pkts_dropped_invalid == 1, "drop not counted");
	CHECK(l4_ok(pk[0]), "the UDP packet moved to the front, completed");
	rte_pktmbuf_free(pk[0]);
	CHECK(!seg, "segmentation asked for without software TSO");

	/* software TSO (librte_gso): TCP/IPv4 cut into MSS-sized segments
	 * with both checksums right, whichever of them the VF computes */
	struct rte_mempool *hdr = rte_pktmbuf_pool_create("gso_hdr", 255, 0, 0, 128 + 256,
		SOCKET_ID_ANY);
	struct rte_mempool *ind = rte_pktmbuf_pool_create("gso_ind", 255, 0, 0, 0, SOCKET_ID_ANY);
	CHECK(hdr != NULL && ind != NULL, "gso pools");
	d.sw_gso = true;
	d.gso = (struct rte_gso_ctx){.direct_pool = hdr, .indirect_pool = ind,
		.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO};
	uint64_t capas[] = {0, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM};
	for (unsigned c = 0; c < 2; c++) {
		d.tx_offload_capa = capas[c];
		pk[0] = partial(false, IPPROTO_TCP, 1000, c == 1);
		pk[0]->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
		pk[0]->l4_len = sizeof(struct rte_tcp_hdr);
		pk[0]->tso_segsz = 200;
		pk[1] = partial(true, IPPROTO_TCP, 1000, false); /* IPv6: 22.11's gso has none */
		pk[1]->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
		pk[1]->l4_len = sizeof(struct rte_tcp_hdr);
		pk[1]->tso_segsz = 200;
		seg = false;
		uint64_t inv = d.c.pkts_dropped_invalid;
		CHECK(offload_prepare(&d, pk, 2, &seg) == 1 && seg, "IPv4 TSO not kept for segmenting");
		CHECK(d.c.pkts_dropped_invalid == inv + 1, "IPv6 TSO drop not counted");
		CHECK(offload_gso_estimate(pk[0]) == 5, "estimate %u", offload_gso_estimate(pk[0]));
		struct rte_mbuf *out[16];
		int ns = offload_segment(&d, pk[0], out, 16);
		CHECK(ns == 5, "%d segments, want 5", ns);
		uint32_t payload = 0;
		for (int i = 0; i < ns; i++) {
			struct rte_mbuf *sg = out[i];
			CHECK(!(sg->ol_flags & RTE_MBUF_F_TX_TCP_SEG), "segment still TSO");
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(sg, struct rte_ipv4_hdr *, 14);
			payload += rte_pktmbuf_pkt_len(sg) - 14 - 20 - 20;
			CHECK(rte_pktmbuf_pkt_len(sg) <= 14 + 20 + 20 + 200, "segment too long");
			if (c == 0) {
				CHECK(rte_raw_cksum(ip, 20) == 0xffff, "segment %d: IP checksum", i);
				CHECK(l4_ok(sg), "segment %d: TCP checksum", i);
			} else {
				CHECK((sg->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM)) ==
					(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM),
					"segment %d: offload requests for the VF", i);
			}
		}
		CHECK(payload == 1000, "segments carry %u payload bytes, want 1000", payload);
		CHECK(d.c.pkts_segmented == c + 1 && d.c.pkts_segments == 5 * (c + 1),
			"segmentation counters %lu/%lu", d.c.pkts_segmented, d.c.pkts_segments);
		rte_pktmbuf_free_bulk(out, (unsigned)ns);
	}
	CHECK(rte_mempool_full(hdr) && rte_mempool_full(ind), "gso mbuf leak");

	/* the burst shortcut: TCP + SCTP requests OR to the UDP code, so such
	 * a burst is looked at packet by packet */
	uint64_t tcp = RTE_MBUF_F_TX_TCP_CKSUM, sctp = RTE_MBUF_F_TX_SCTP_CKSUM;
	uint64_t capa_udp_sctp = RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_SCTP_CKSUM;
	struct rte_mbuf *two[2];
	CHECK(rte_pktmbuf_alloc_bulk(mp, two, 2) == 0, "alloc");
	two[0]->ol_flags = tcp;
	two[1]->ol_flags = sctp;
	CHECK(offload_needs_help(two, 2, tcp | sctp, capa_udp_sctp), "missed the TCP request");
	two[0]->ol_flags = sctp;
	CHECK(!offload_needs_help(two, 2, sctp, capa_udp_sctp), "help for SCTP the VF has");
	CHECK(!offload_needs_help(two, 1, tcp, RTE_ETH_TX_OFFLOAD_TCP_CKSUM),
		"help for a VF that has the offload");
	CHECK(offload_needs_help(two, 1, tcp, capa_udp_sctp), "missed TCP without TCP capa");
	two[0]->ol_flags = two[1]->ol_flags = 0;
	CHECK(!offload_needs_help(two, 2, 0, 0), "help with no request");
	rte_pktmbuf_free_bulk(two, 2);
	CHECK(rte_mempool_full(mp), "mbuf leak");
	printf("PASS\n");
	return 0;
}

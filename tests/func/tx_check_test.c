/* SPDX-License-Identifier: BSD-3-Clause */
/* tx_check.c on real mbufs: what a guest frame must be before the VF, for
 * the cases the hostile_tx integration test cannot make through a guest
 * (IPv6, UDP segmentation, SCTP, a VLAN tag whose TPID is not 0x8100,
 * headers beyond the first segment, lengths librte_vhost would not set). */
#include <string.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "inproc.h"
#include "datapath.h"

static struct rte_mempool *mp;

/* Ethernet (+ VLAN) + IPv4/IPv6 + L4 + payload, lengths and flags as
 * librte_vhost sets them for a request req */
static struct rte_mbuf *frame(bool vlan, bool v6, uint8_t proto, uint32_t payload, uint64_t req)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t l2 = vlan ? 18 : 14, l3 = v6 ? 40 : 20;
	uint16_t l4 = proto == IPPROTO_TCP ? 20 : proto == IPPROTO_UDP ? 8 : 12;
	uint32_t len = l2 + l3 + l4 + payload;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	CHECK(p != NULL, "append %u", len);
	memset(p, 0, len);
	if (vlan)
		p[12] = 0x81, p[13] = 0x00;
	p[l2 - 2] = v6 ? 0x86 : 0x08, p[l2 - 1] = v6 ? 0xdd : 0x00;
	if (v6) {
		struct rte_ipv6_hdr *h = (void *)(p + l2);
		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->proto = proto;
	} else {
		struct rte_ipv4_hdr *h = (void *)(p + l2);
		h->version_ihl = 0x45;
		h->next_proto_id = proto;
	}
	if (proto == IPPROTO_TCP)
		((struct rte_tcp_hdr *)(p + l2 + l3))->data_off = 0x50;
	m->l2_len = l2;
	m->l3_len = l3;
	m->l4_len = l4;
	m->ol_flags = req | (req ? (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) : 0);
	return m;
}

static enum tx_verdict verdict(const struct relay_unit *u, struct rte_mbuf *m)
{
	enum tx_verdict v = tx_check_frame(u, m);
	rte_pktmbuf_free(m);
	return v;
}

int main(int argc, char **argv)
{
	(void)argc;
	inproc_eal(argv[0], "0@0", "256");
	mp = rte_pktmbuf_pool_create("txcheck", 255, 0, 0, 2048 + 128, SOCKET_ID_ANY);
	CHECK(mp != NULL, "pool");
	struct relay_unit u;
	memset(&u, 0, sizeof(u));
	u.max_frame = 1518;
	const uint64_t TSO = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM;
	struct rte_mbuf *m;

	/* plain frames: 14 .. 1514 untagged, 1518 tagged */
	CHECK(verdict(&u, frame(false, false, IPPROTO_UDP, 1514 - 42, 0)) == TX_OK, "1514 untagged");
	CHECK(verdict(&u, frame(false, false, IPPROTO_UDP, 1515 - 42, 0)) == TX_TOO_BIG, "1515");
	CHECK(verdict(&u, frame(true, false, IPPROTO_UDP, 1518 - 46, 0)) == TX_OK, "1518 tagged");
	CHECK(verdict(&u, frame(true, false, IPPROTO_UDP, 1519 - 46, 0)) == TX_TOO_BIG, "1519 tagged");
	m = frame(false, false, IPPROTO_UDP, 0, 0);
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - 13);
	CHECK(verdict(&u, m) == TX_RUNT, "13 bytes");
	/* TSO: IPv6 and VLAN fine; each segment bounded; MSS floor */
	m = frame(true, true, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1518 - 18 - 40 - 20;
	CHECK(verdict(&u, m) == TX_OK, "IPv6 TSO over VLAN, segments of 1518");
	m = frame(true, true, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1518 - 18 - 40 - 20 + 1;
	CHECK(verdict(&u, m) == TX_TOO_BIG, "segments of 1519");
	m = frame(false, true, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1514 - 14 - 40 - 20;
	CHECK(verdict(&u, m) == TX_OK, "IPv6 TSO, segments of 1514");
	m = frame(false, true, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1514 - 14 - 40 - 20 + 1;
	CHECK(verdict(&u, m) == TX_TOO_BIG, "untagged segments of 1515");
	m = frame(false, false, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 63;
	CHECK(verdict(&u, m) == TX_MALFORMED, "MSS 63");
	m = frame(false, false, IPPROTO_TCP, 0, TSO);
	m->tso_segsz = 1000;
	CHECK(verdict(&u, m) == TX_MALFORMED, "TSO without payload");
	m = frame(false, false, IPPROTO_UDP, 1800, TSO);
	m->tso_segsz = 1000;
	CHECK(verdict(&u, m) == TX_MALFORMED, "TCP TSO on a UDP datagram");
	m = frame(false, false, IPPROTO_UDP, 1800, RTE_MBUF_F_TX_UDP_SEG);
	m->tso_segsz = 1000;
	CHECK(verdict(&u, m) == TX_OK, "UDP segmentation");
	m = frame(false, false, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1000;
	m->l4_len = 24; /* the header says 20 */
	CHECK(verdict(&u, m) == TX_MALFORMED, "l4_len not doff * 4");
	m = frame(false, false, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1000;
	m->l3_len = 24; /* IHL says 20 */
	CHECK(verdict(&u, m) == TX_MALFORMED, "l3_len not IHL * 4");
	m = frame(false, false, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1000;
	m->l2_len = 16;
	CHECK(verdict(&u, m) == TX_MALFORMED, "l2_len 16");
	m = frame(false, false, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1000;
	m->l2_len = 18; /* no VLAN TPID there */
	CHECK(verdict(&u, m) == TX_MALFORMED, "l2_len 18 untagged");
	m = frame(false, false, IPPROTO_TCP, 1800, TSO);
	m->tso_segsz = 1000;
	m->ol_flags &= ~RTE_MBUF_F_TX_IPV4;
	CHECK(verdict(&u, m) == TX_MALFORMED, "neither IPv4 nor IPv6");
	/* headers beyond the first segment */
	m = frame(false, false, IPPROTO_TCP, 100, TSO);
	m->tso_segsz = 64;
	struct rte_mbuf *tail = rte_pktmbuf_alloc(mp);
	uint16_t cut = (uint16_t)(rte_pktmbuf_pkt_len(m) - 40);
	memcpy(rte_pktmbuf_append(tail, cut), rte_pktmbuf_mtod_offset(m, void *, 40), cut);
	rte_pktmbuf_trim(m, cut);
	CHECK(rte_pktmbuf_chain(m, tail) == 0, "chain");
	CHECK(verdict(&u, m) == TX_MALFORMED, "TCP header in the second segment");
	/* checksum requests: protocol and a fragment */
	CHECK(verdict(&u, frame(false, true, IPPROTO_UDP, 100, RTE_MBUF_F_TX_UDP_CKSUM)) == TX_OK,
		"IPv6 UDP checksum");
	CHECK(verdict(&u, frame(false, false, IPPROTO_SCTP, 100, RTE_MBUF_F_TX_SCTP_CKSUM)) == TX_OK,
		"SCTP checksum");
	CHECK(verdict(&u, frame(false, false, IPPROTO_UDP, 100, RTE_MBUF_F_TX_TCP_CKSUM)) ==
		TX_MALFORMED, "TCP checksum on UDP");
	m = frame(false, false, IPPROTO_UDP, 100, RTE_MBUF_F_TX_UDP_CKSUM);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->fragment_offset =
		rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	CHECK(verdict(&u, m) == TX_MALFORMED, "checksum on a fragment");
	CHECK(verdict(&u, frame(false, false, IPPROTO_UDP, 1515 - 42, RTE_MBUF_F_TX_UDP_CKSUM)) ==
		TX_TOO_BIG, "checksum request on 1515 bytes");
	CHECK(rte_mempool_full(mp), "mbufs not returned");
	printf("tx_check: all checks passed\n");
	rte_eal_cleanup();
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* The data path's entry points (fwd.c, offload.c, flow_hash.c): what a
 * worker runs per pass, and the control side's calls on unpublished units. */
#ifndef VFWD_DATAPATH_H
#define VFWD_DATAPATH_H

#include "relay_int.h"

/* flow_hash.c: the flow hash that picks a guest RX queue */
uint32_t flow_hash(const struct rte_mbuf *m);

/* fwd.c: one pass over a queue unit; returns packets moved */
unsigned fwd_vf_to_vm(struct relay_unit *d);
unsigned fwd_vm_to_vf(struct relay_unit *d);
/* Free stashed mbufs of an unpublished direction, counted as not connected. */
void fwd_flush_stash(struct relay_unit *d);
/* Receive and drop (as not connected) what waits in the VF's RX queue of
 * an unpublished VF->VM direction, so a stopped port holds no packets. */
void fwd_drain_vf(struct relay_unit *d, uint16_t port);

/* offload.c: complete in software the checksums the guest asked for and
 * the VF cannot do; TSO frames for a VF without TSO stay for
 * offload_segment (*segment set). Packets that cannot be sent are freed and
 * counted as invalid; the others are compacted to the front. Returns their
 * number. */
uint16_t offload_prepare(struct relay_unit *u, struct rte_mbuf **pkts, uint16_t n,
	bool *segment);
/* How many segments TSO frame m makes. */
unsigned offload_gso_estimate(const struct rte_mbuf *m);
/* Cut TSO frame m into out[0 .. room) (librte_gso) with their checksums
 * done; m is consumed. Returns the segments made, 0 if m was dropped
 * (counted). */
int offload_segment(struct relay_unit *u, struct rte_mbuf *m, struct rte_mbuf **out,
	uint16_t room);
#define GUEST_REQUESTS (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)
/* tx_check.c: a guest frame's fitness for the VF (VM->VF slow path) */
/* The shortest frame a VF is given: an Ethernet header. Intel VFs (i40e,
 * ice, iavf) need 17 bytes; their PMDs' tx_prepare refuses shorter ones on
 * the offload path, plain frames of 14-16 bytes are not refused here. */
#define RELAY_MIN_FRAME RTE_ETHER_HDR_LEN
/* The smallest TSO segment payload accepted (Intel NICs refuse an MSS
 * under 64; Linux never sends under 88) */
#define RELAY_TSO_MIN_SEG 64
enum tx_verdict { TX_OK, TX_RUNT, TX_TOO_BIG, TX_MALFORMED };
/* The longest frame m may be: the unit's max frame has room for one VLAN
 * tag, which an untagged frame may not use (a VF with MTU 9000 takes 9014
 * untagged bytes, a veth refuses 9015). */
static inline uint32_t tx_max_frame(const struct relay_unit *u, const struct rte_mbuf *m)
{
	if (rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN &&
		*rte_pktmbuf_mtod_offset(m, const rte_be16_t *, RTE_ETHER_HDR_LEN - 2) ==
			rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		return u->max_frame;
	return u->max_frame - RTE_VLAN_HLEN;
}
/* TX_OK, or why m must not reach the VF: under RELAY_MIN_FRAME, over the
 * max frame (whole, or a TSO segment), an offload request whose lengths do
 * not match the headers (not in the first segment, IHL or TCP data offset
 * under 5, an IP fragment, an MSS under RELAY_TSO_MIN_SEG). */
enum tx_verdict tx_check_frame(const struct relay_unit *u, const struct rte_mbuf *m);
/* Count a drop under its verdict's reason. */
void tx_count_drop(struct relay_unit *u, enum tx_verdict v);
/* VF capabilities (RTE_ETH_TX_OFFLOAD_*) the requests in ol need */
uint64_t offload_needed_capa(uint64_t ol);
/* VF capabilities the L4 checksum requests of pkts[0..n) need, given ol,
 * the OR of their ol_flags, which has an L4 request. The request is a
 * 2-bit code and TCP | SCTP ORs to the UDP code: only then, and only for a
 * VF without all three checksums, are the packets looked at one by one. */
uint64_t offload_l4_capa(struct rte_mbuf *const *pkts, uint16_t n, uint64_t ol, uint64_t vf_capa);

/* Whether a burst (ol: the OR of its ol_flags) asks for an offload the VF
 * lacks. Kept out of the per-packet summary loop: checked per burst. */
static inline bool offload_needs_help(struct rte_mbuf *const *pkts, uint16_t n, uint64_t ol,
	uint64_t vf_capa)
{
	if (likely((ol & GUEST_REQUESTS) == 0))
		return false;
	uint64_t need = offload_needed_capa(ol & ~RTE_MBUF_F_TX_L4_MASK);
	if (ol & RTE_MBUF_F_TX_L4_MASK)
		need |= offload_l4_capa(pkts, n, ol, vf_capa);
	return (need & ~vf_capa) != 0;
}

/* stall.c: guest TX queues that refuse their entries (worker, cold path) */
/* Dequeue of guest vring qid (slot of u) gave nothing: if it has entries,
 * count a refusal, and back it off after RELAY_STALL_POLLS in a row. */
void stall_refused(struct relay_unit *u, int vid, uint16_t qid, uint16_t slot);
/* A slot with stall_suspect set: true while it is backed off (skip it). */
bool stall_skip(struct relay_unit *u, uint16_t slot);
/* The slot moved packets again: it is healthy. */
void stall_moved(struct relay_unit *u, uint16_t slot);
/* Control thread, unpublished unit: forget every stall. */
void stall_reset(struct relay_unit *u);

#endif

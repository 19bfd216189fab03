/* SPDX-License-Identifier: BSD-3-Clause */
/* Every counter of a relay direction, one line each (VPP's foreach_*_error
 * lists): the struct relay_counters field; its name for vf_to_vm and for
 * vm_to_vf, which is the StatsResponse protobuf field and the SIGUSR1 dump
 * key (the original's names where it had the counter); its Prometheus
 * family (virtio_forwarder_<family>_total) and reason label (NULL: none);
 * and the family's help text. A new counter is one line here plus its
 * proto fields (numbered from 100). Plain C: control/ and the clients
 * include it too. */
#ifndef VFWD_COUNTERS_H
#define VFWD_COUNTERS_H

#define RELAY_DROP_PKTS_HELP "packets dropped by a relay direction, by reason"
#define RELAY_DROP_BYTES_HELP "bytes dropped by a relay direction, by reason"

#define RELAY_COUNTERS(X)                                                                         \
	X(pkts_rx, pkts_rx_from_vf, pkts_rx_from_vm, "rx_packets", NULL,                          \
		"packets received by a relay direction")                                          \
	X(bytes_rx, bytes_rx_from_vf, bytes_rx_from_vm, "rx_bytes", NULL,                         \
		"bytes received by a relay direction")                                            \
	X(pkts_tx, pkts_tx_to_vm, pkts_tx_to_vf, "tx_packets", NULL,                              \
		"packets sent by a relay direction")                                              \
	X(bytes_tx, bytes_tx_to_vm, bytes_tx_to_vf, "tx_bytes", NULL,                             \
		"bytes sent by a relay direction")                                                \
	X(pkts_dropped_queue_full, pkts_dropped_vm_queue_full, pkts_dropped_vf_queue_full,        \
		"dropped_packets", "queue_full", RELAY_DROP_PKTS_HELP)                            \
	X(bytes_dropped_queue_full, bytes_dropped_vm_queue_full, bytes_dropped_vf_queue_full,     \
		"dropped_bytes", "queue_full", RELAY_DROP_BYTES_HELP)                             \
	X(pkts_dropped_not_connected, pkts_dropped_vm_not_connected,                              \
		pkts_dropped_vf_not_connected, "dropped_packets", "not_connected",                \
		RELAY_DROP_PKTS_HELP)                                                             \
	X(bytes_dropped_not_connected, bytes_dropped_vm_not_connected,                            \
		bytes_dropped_vf_not_connected, "dropped_bytes", "not_connected",                 \
		RELAY_DROP_BYTES_HELP)                                                            \
	/* an offload request nothing can honour */                                               \
	X(pkts_dropped_invalid, pkts_dropped_invalid, pkts_dropped_invalid, "dropped_packets",    \
		"invalid", RELAY_DROP_PKTS_HELP)                                                  \
	/* over the relay's MTU, the VF's, or the guest's buffers */                              \
	X(pkts_dropped_too_big, pkts_dropped_too_big, pkts_dropped_too_big, "dropped_packets",    \
		"too_big", RELAY_DROP_PKTS_HELP)                                                  \
	/* VM->VF: a guest TX chain librte_vhost consumed and dropped without */ \
	/* copying: longer than the linear buffer it may allocate, or nothing */ \
	/* after the virtio-net header (split rings only) */                      \
	X(pkts_dropped_bad_chain, pkts_dropped_bad_chain, pkts_dropped_bad_chain,                 \
		"dropped_packets", "bad_chain", RELAY_DROP_PKTS_HELP)                             \
	/* VF->VM with --vhost-iommu: a stash dropped after librte_vhost missed */ \
	/* IOTLB entries of the guest's RX rings (not answered in time) */         \
	X(pkts_dropped_iotlb_miss, pkts_dropped_iotlb_miss, pkts_dropped_iotlb_miss,              \
		"dropped_packets", "iotlb_miss", RELAY_DROP_PKTS_HELP)                            \
	/* software segmentation ran out of mbufs */                                              \
	X(pkts_dropped_no_mbuf, pkts_dropped_no_mbuf, pkts_dropped_no_mbuf, "dropped_packets",    \
		"no_mbuf", RELAY_DROP_PKTS_HELP)                                                  \
	/* VM->VF: under 14 bytes (no Ethernet header) */                                          \
	X(pkts_dropped_runt, pkts_dropped_runt, pkts_dropped_runt, "dropped_packets", "runt",     \
		RELAY_DROP_PKTS_HELP)                                                             \
	/* VM->VF: offload request with headers inconsistent with the frame */                  \
	X(pkts_dropped_malformed, pkts_dropped_malformed, pkts_dropped_malformed,                 \
		"dropped_packets", "malformed", RELAY_DROP_PKTS_HELP)                             \
	/* VM->VF: rx - segmented + segments = tx + drops */                                      \
	X(pkts_segmented, pkts_segmented, pkts_segmented, "segmented_packets", NULL,              \
		"guest TSO frames a relay direction cut in software")                             \
	X(pkts_segments, pkts_segments, pkts_segments, "segments_packets", NULL,                  \
		"segments those frames became")                                                   \
	/* VM->VF: a guest TX queue refused its entries and was backed off */                     \
	X(stalled_queue, stalled_queue, stalled_queue, "stalled_queue_events", NULL,              \
		"times a guest TX queue showed entries librte_vhost refused and was backed off")

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal structures of the data plane, shared by relay/ files only.
 *
 * Who owns a field shared between threads is said next to it, here and in
 * the files that keep such fields (worker_loop.h, idle.h, relay_events.c,
 * vf_events.c; src/log.c and src/log_limit.c for the log's). The threads:
 * "control" (the control thread), "vhost thread" (librte_vhost's
 * callbacks, vm.c), "worker" (the lcore whose plan holds the unit),
 * "interrupt thread" (ethdev callbacks and alarms, vf_events.c). "w"
 * writes, "r" only reads, "rw" both; "control only": no other thread
 * touches it. A unit is *unpublished* while no worker's plan holds it
 * (cpu < 0): before worker_publish, or once worker_unpublish returned,
 * after an RCU grace period no worker can still see it. "control: rw
 * while unpublished; worker: r" is a plain field the control thread writes
 * only then, which a worker sees through the plan's store-release. A field
 * marked GUARDED_BY(lock) is checked by clang (lock.h). */
#ifndef VFWD_RELAY_INT_H
#define VFWD_RELAY_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_gso.h>
#include <rte_mempool.h>

#include "lock.h"
#include "relay.h"

#define RELAY_BURST 32
/* VF ring sizes: per queue, these divided by the queue count, at least
 * RELAY_MIN_DESC, so a relay's rings hold about as many mbufs however many
 * queues it has */
#define RELAY_RX_DESC 1024
#define RELAY_TX_DESC 1024
#define RELAY_MIN_DESC 256
/* Room for the segments of software TSO (librte_gso): a VM->VF unit's
 * stash holds what the VF has not taken yet, up to this many mbufs */
#define RELAY_STASH 256
/* A TSO frame whose segments would not fit the stash is not segmented
 * (an MSS under 64 KB / RELAY_STASH: counted invalid) */
/* A direction that received nothing for RELAY_IDLE_PASSES passes is
 * "quiet": a busy worker polls one quiet direction per pass, in turn, so
 * idle relays cost a busy one little; an idle worker polls everything. */
#define RELAY_IDLE_PASSES 256
/* A stash that cannot drain for this long (a stuck guest or VF) is dropped
 * and counted as queue full; until then it back-pressures the source, as a
 * NIC ring would. Time, not passes: a guest vCPU or a VM process loses its
 * CPU for milliseconds, however fast the worker polls. */
#define RELAY_STASH_MAX_US 10000
/* A guest TX queue that shows entries librte_vhost takes none of (a chain
 * it refuses stays at the head for ever and is walked again on each poll)
 * this many polls in a row is backed off: polled again after
 * RELAY_STALL_MIN_US, then twice as long each time it still refuses, up to
 * RELAY_STALL_MAX_US; it is polled normally again once it moves (stall.c) */
#define RELAY_STALL_POLLS 4
#define RELAY_STALL_MIN_US 1000
#define RELAY_STALL_MAX_US 128000
/* VM->VF: polls of a guest TX queue between two looks at how many chains
 * librte_vhost consumed (the chains it dropped itself are counted then) */
#define RELAY_CHAIN_CHECK 64

/* The guest's RX queues a VF->VM unit may fill: bit q set while the guest
 * has RX queue q (vring 2q) enabled. One per relay, read by its units. */
/* the enabled-queue masks are 32-bit: one bit per queue pair */
_Static_assert(RELAY_MAX_QUEUES <= 32, "queue masks hold RELAY_MAX_QUEUES bits");

struct guest_queues {
	/* vhost thread: w, registry lock held, store-release (vring_state_changed
	 * sets bits, destroy_device clears them); workers: r (relaxed, once
	 * per pass); control: r (stats, relaxed) */
	_Atomic uint32_t rx_enabled;
} __rte_cache_aligned;

/* One queue unit of a relay direction: what a worker polls. VF->VM unit q
 * receives from VF RX queue q and spreads over the guest's enabled RX
 * queues (by flow hash, or queue for queue when both have as many);
 * VM->VF unit q dequeues guest TX queues q, q + n_units, ... and sends on
 * VF TX queue q. The first cache lines are the worker's. */
struct relay_unit {
	/* worker: r (acquire); written store-release by one thread at a time */
	_Atomic int vid;     /* vhost device, -1: VM not connected. w: vhost thread
			      * (destroy_device), control (vm_take_vid); both hold
			      * the registry lock */
	_Atomic int vf_port; /* VF ethdev, -1: VF not ready. w: control */
	/* control: rw while unpublished; worker: r */
	enum relay_dir_kind kind;
	uint16_t queue;         /* VF queue, and first guest queue (VM->VF) */
	uint16_t n_units;       /* units of this direction (= VF queues) */
	uint16_t guest_pairs;   /* guest queue pairs (VM->VF polls q, q + n_units, ...) */
	uint32_t max_frame;     /* longest frame the relay's MTU allows (L2, no CRC) */
	struct rte_mempool *pool; /* VM->VF: where dequeued mbufs come from */
	uint64_t tx_offload_capa; /* VM->VF: what the VF does in hardware */
	bool sw_gso;              /* VM->VF: the VF lacks TSO: segment here (gso) */
	struct rte_gso_ctx gso;   /* VM->VF; the exception: the worker writes gso_size per frame */
	const struct guest_queues *gq; /* VF->VM: the guest's enabled RX queues */
	bool vf_rx_intr;          /* VF->VM: the VF's RX queue can interrupt */
	/* worker: rw; control: rw while unpublished */
	uint16_t next_queue;          /* VM->VF: guest TX queue of the next pass */
	uint16_t stash_head, stash_n; /* stash[head .. head + n) waits */
	uint16_t idle_passes;         /* passes in a row that received nothing */
	uint32_t rxq_seen;            /* VF->VM: gq->rx_enabled that rxq[] was built from */
	uint8_t n_rxq;                /* VF->VM: enabled guest RX queues, and which */
	uint8_t rxq[RELAY_MAX_QUEUES];
	uint64_t stash_deadline;      /* TSC: drop the stash if nothing drains by then */
	uint32_t stall_suspect;       /* VM->VF: bit slot: guest TX queue slot (next_queue)
				       * refused entries lately, or is backed off (stall.c) */
	/* VM->VF, split rings: per guest queue, the TX chains librte_vhost
	 * consumed as of the last look plus those returned since, and the
	 * polls since that look (bit q of chains_known: valid for device
	 * chains_vid); to count the chains it drops itself (fwd.c) */
	int chains_vid;
	bool chains_split;
	uint32_t chains_known;
	uint16_t avail_seen[RELAY_MAX_QUEUES];
	uint8_t chains_polls[RELAY_MAX_QUEUES];
	/* VF->VM with --vhost-iommu: librte_vhost's IOTLB misses on the guest's
	 * RX rings at the last expired stash, for device iotlb_vid */
	int iotlb_vid;
	uint64_t iotlb_misses_seen;
	struct relay_counters c; /* worker: the one writer (relaxed stores,
				  * 64-bit aligned); control: rw while
				  * unpublished, else r (relaxed: a pass old,
				  * never torn) */
	/* VM->VF with software TSO: dequeued frames not segmented yet */
	uint16_t pend_head, pend_n;
	struct rte_mbuf *pend[RELAY_BURST];
	struct rte_mbuf *stash[RELAY_STASH]; /* packets the other side had no room for */
	/* VM->VF, per guest TX queue slot (next_queue): its stall (stall.c) */
	struct txq_stall {
		uint64_t retry_tsc;  /* backed off until then */
		uint32_t backoff_us; /* 0: not backed off */
		uint16_t refused;    /* polls in a row with entries and nothing taken */
	} stall[RELAY_MAX_QUEUES];
	/* control only */
	int cpu;         /* worker lcore, -1: unpublished */
	int planned_cpu; /* VF->VM of a stopped VF: where it will run (stats) */
	int pin_cpu;     /* where a core_sched UPDATE put this unit alone; -1: the
			  * direction's pin (or the least loaded worker) */
	unsigned relay_id; /* control: w at init (init_unit); worker: r
			    * (stall.c names the relay of an EV_VM_STALL) */
} __rte_cache_aligned;

/* the registry lock: a relay's socket and connection fields, shared by
 * the control and vhost threads (GUARDED_BY in struct relay) */
extern struct vfwd_mutex relay_registry_lock;

struct relay {
	/* units 0 .. n_queues - 1 of each direction are in use */
	struct relay_unit vf_to_vm[RELAY_MAX_QUEUES], vm_to_vf[RELAY_MAX_QUEUES];
	struct guest_queues gq;
	/* control only */
	unsigned id;
	enum relay_dpdk_state dpdk_state;
	enum relay_virtio_state virtio_state;
	char *vf_name;   /* devargs as given */
	uint16_t port_id;
	uint16_t vf_max_queues;  /* what the VF can have (RX and TX) */
	uint16_t vf_queues;      /* VF queue pairs configured now */
	uint16_t n_queues;       /* units published per direction (VM->VF: while VM ready) */
	uint16_t guest_pairs;    /* queue pairs of the connected VM */
	uint16_t pool_queues;    /* VF queue pairs the pool is sized for */
	uint16_t vf_mtu;         /* MTU the VF took */
	uint64_t vf_tx_capa;     /* TX offloads the VF does in hardware */
	uint32_t guest_max_frame; /* longest frame the guest's RX buffers take */
	uint64_t conn_seq_seen;  /* conn_seq of the VM the control thread took */
	/* conn_seq_seen + 1 of the connection whose stall was logged; the
	 * control thread's only, though workers report stalls (EV_VM_STALL) */
	uint64_t stall_logged_seq;
	bool vf_link_up;         /* the VF's link as last seen (vf_events.c) */
	uint32_t vf_link_speed;  /* Mbps, 0: down or unknown */
	uint64_t vf_resets;      /* RESET events handled; kept across VFs */
	uint64_t vf_removals;    /* VFs or bond members gone by RMV; kept across VFs */
	bool gso_ready;          /* software TSO pools are there */
	struct rte_mempool *gso_direct, *gso_indirect;
	struct rte_mempool *pool;
	int vid;         /* control's copy of the connected device */
	/* registry lock: shared with the vhost thread */
	/* control: w with the lock held, r without; vhost thread: r locked */
	char *socket_path;
	/* the socket's vhost-user role; control only (written with socket_path) */
	bool socket_client;
	/* control and vhost thread: rw, lock held (clang checks it) */
	int pending_vid GUARDED_BY(relay_registry_lock); /* last new_device not yet destroyed, -1 */
	uint64_t conn_seq GUARDED_BY(relay_registry_lock);
	/* device the enabled masks below belong to */
	int queues_vid GUARDED_BY(relay_registry_lock);
	/* bit q: guest TX queue q enabled (stats) */
	uint32_t guest_txq_enabled GUARDED_BY(relay_registry_lock);
};

/* Lookups in the relay table, which relay.c keeps. Relay id, NULL if out
 * of range (control thread). With the registry lock held, for the vhost
 * callbacks (vm.c) and the control thread: the relay whose vhost-user
 * socket is path, and the relay whose device is vid (the last new_device
 * not destroyed yet); NULL if none. */
struct relay *relay_by_id(unsigned id);
struct relay *relay_by_socket(const char *path) REQUIRES(relay_registry_lock);
struct relay *relay_by_pending_vid(int vid) REQUIRES(relay_registry_lock);

extern struct relay_params relay_cfg;

#endif

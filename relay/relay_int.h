/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal structures of the data plane, shared by relay/ files only. */
#ifndef VFWD_RELAY_INT_H
#define VFWD_RELAY_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_gso.h>
#include <rte_mempool.h>

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

/* The guest's RX queues a VF->VM unit may fill: bit q set while the guest
 * has RX queue q (vring 2q) enabled. One per relay, read by its units. */
/* the enabled-queue masks are 32-bit: one bit per queue pair */
_Static_assert(RELAY_MAX_QUEUES <= 32, "queue masks hold RELAY_MAX_QUEUES bits");

struct guest_queues {
	/* vhost thread: w (vring_state_changed, new/destroy_device); workers: r */
	_Atomic uint32_t rx_enabled;
} __rte_cache_aligned;

/* One queue unit of a relay direction: what a worker polls. VF->VM unit q
 * receives from VF RX queue q and spreads over the guest's enabled RX
 * queues (by flow hash, or queue for queue when both have as many);
 * VM->VF unit q dequeues guest TX queues q, q + n_units, ... and sends on
 * VF TX queue q. The first cache lines are the worker's. */
struct relay_unit {
	/* worker: ro; vhost thread/control: rw (store-release) */
	_Atomic int vid;     /* vhost device, -1: VM not connected */
	_Atomic int vf_port; /* VF ethdev, -1: VF not ready */
	/* worker: ro; control: rw while unpublished */
	enum relay_dir_kind kind;
	uint16_t queue;         /* VF queue, and first guest queue (VM->VF) */
	uint16_t n_units;       /* units of this direction (= VF queues) */
	uint16_t guest_pairs;   /* guest queue pairs (VM->VF polls q, q + n_units, ...) */
	uint32_t max_frame;     /* longest frame the relay's MTU allows (L2, no CRC) */
	struct rte_mempool *pool; /* VM->VF: where dequeued mbufs come from */
	uint64_t tx_offload_capa; /* VM->VF: what the VF does in hardware */
	bool sw_gso;              /* VM->VF: the VF lacks TSO: segment here (gso) */
	struct rte_gso_ctx gso;   /* VM->VF: its gso_size is set per packet */
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
	struct relay_counters c;
	/* VM->VF with software TSO: dequeued frames not segmented yet */
	uint16_t pend_head, pend_n;
	struct rte_mbuf *pend[RELAY_BURST];
	struct rte_mbuf *stash[RELAY_STASH]; /* packets the other side had no room for */
	/* control only */
	int cpu;         /* worker lcore, -1: unpublished */
	int planned_cpu; /* VF->VM of a stopped VF: where it will run (stats) */
	int pin_cpu;     /* where a core_sched UPDATE put this unit alone; -1: the
			  * direction's pin (or the least loaded worker) */
	unsigned relay_id;
} __rte_cache_aligned;

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
	bool vf_link_up;         /* the VF's link as last seen (vf_events.c) */
	uint32_t vf_link_speed;  /* Mbps, 0: down or unknown */
	uint64_t vf_resets;      /* RESET events handled; kept across VFs */
	uint64_t vf_removals;    /* VFs or bond members gone by RMV; kept across VFs */
	bool gso_ready;          /* software TSO pools are there */
	struct rte_mempool *gso_direct, *gso_indirect;
	struct rte_mempool *pool;
	int vid;         /* control's copy of the connected device */
	/* registry lock: shared with the vhost thread */
	char *socket_path;
	int pending_vid; /* last new_device not yet destroyed, -1 */
	uint64_t conn_seq;
	int queues_vid;            /* device the enabled masks below belong to */
	uint32_t guest_txq_enabled; /* bit q: guest TX queue q enabled (stats) */
};

extern struct relay relays[];
extern pthread_mutex_t relay_registry_lock;
extern struct relay_params relay_cfg;

/* worker.c */
int worker_init(const struct relay_params *p);
void worker_fini(void);
/* Publish dir on cpu (or the least-loaded worker if cpu < 0); returns the
 * cpu used. Returns after no worker can still see an old plan. */
int worker_publish(struct relay_unit *d, int cpu, int numa);
bool worker_exists(int cpu);
/* The worker worker_publish would use, without publishing. */
int worker_choose(int cpu, int numa);
unsigned worker_cpus(unsigned *cpus, unsigned max);
int worker_load(unsigned cpu, struct relay_worker_stats *s);
/* Any thread: VM or VF fds changed; sleeping workers rebuild their sets. */
void worker_fds_changed(void);
/* Remove dir from its worker; on return no worker touches it. */
void worker_unpublish(struct relay_unit *d);
/* Wait until every worker has passed a quiescent state. */
void worker_synchronize(void);

/* idle.c: how an idle worker waits (see there) */
struct idle_wait {
	int epfd, wake_fd;
	uint64_t set_plan_gen, set_epoch; /* what the epoll set was built for */
	unsigned sleep_max_us; /* longest timed sleep; 0: never a timed one */
};
enum idle_decision {
	IDLE_STAY_AWAKE,  /* keep polling */
	IDLE_TIMED,       /* sleep, but some direction needs a timed poll */
	IDLE_UNTIL_WOKEN, /* every direction will wake us */
};
int idle_init(struct idle_wait *iw);
void idle_fini(struct idle_wait *iw);
/* Any thread: end iw's sleep (plan changed, stopping). */
void idle_wake(struct idle_wait *iw);
/* Any thread: fds of VMs or VFs changed; returns the new epoch. */
uint64_t idle_epoch_bump(void);
/* Worker, online: arm the notifications of dirs, or say why not. The
 * caller polls *recheck_passes more times (every queue once) before
 * idle_sleep, and disarms after it. */
enum idle_decision idle_arm(struct idle_wait *iw, struct relay_unit *const *dirs, unsigned n,
	uint64_t plan_gen, bool use_interrupts, unsigned *recheck_passes);
void idle_disarm(struct relay_unit *const *dirs, unsigned n);
/* Control thread, before publishing d: a direction starts disarmed. */
void idle_disarm_dir(const struct relay_unit *d);
/* Worker, offline: sleep until woken or timeout_us;
 * returns 0 after a timeout, else IDLE_WOKE_* bits. */
#define IDLE_WOKE_EVENT 1u
unsigned idle_sleep(struct idle_wait *iw, unsigned timeout_us);

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

/* pool.c */
/* A relay's pool, sized for queues VF queue pairs. */
struct rte_mempool *pool_get(unsigned relay_id, int socket, unsigned queues);
/* Descriptors per queue when total are shared by queues queues. */
unsigned pool_ring_size(unsigned total, unsigned queues);
/* The MTU the relay's pools and VFs are made for. */
unsigned relay_mtu(void);
/* The header and indirect pools of software TSO; 0 or -ENOMEM. */
int pool_gso_get(struct rte_mempool **direct, struct rte_mempool **indirect);
void pool_gso_fini(void);
void pool_put(struct rte_mempool *mp);
void pool_usage(unsigned *in_use, unsigned *capacity);

/* vf.c */
int vf_probe(const char *devargs, uint16_t *port, struct relay_fault *f);
/* What vf_configure is asked for and what it did. */
struct vf_setup {
	uint16_t queues;     /* in: queue pairs wanted; out: configured */
	uint16_t max_queues; /* out: most the VF can have */
	uint16_t mtu;        /* out: the MTU the VF took */
	uint64_t tx_capa;    /* out: TX offloads in hardware */
};
int vf_configure(uint16_t port, struct rte_mempool *mp, struct vf_setup *vs,
	struct relay_fault *f);
/* rx_intr: set to whether the RX queue can interrupt (idle.c) */
int vf_start(uint16_t port, bool *rx_intr, struct relay_fault *f);
void vf_stop(uint16_t port);
void vf_remove(uint16_t port);
/* as vf_remove, and a bond's members with it */
void vf_remove_any(uint16_t port);
int vf_bond_create(const char *name, unsigned mode, const char *const *members, unsigned n,
	uint16_t *port, struct relay_fault *f);
int vf_socket(uint16_t port);
/* Queue pairs the VF can have (at most RELAY_MAX_QUEUES). */
uint16_t vf_max_queues(uint16_t port);

/* vm.c */
int vm_register(const char *path, struct relay_fault *f);
int vm_unregister(const char *path);
/* Take the device new_device published if connection seq is still current. */
bool vm_take_vid(struct relay *r, uint64_t seq);

/* relay.c: posted by vm.c callbacks from the vhost thread, and by
 * vf_events.c's from the interrupt thread (EV_VF_*: relay_id unused, seq
 * names the port, see vf_events.c) */
enum relay_event_type {
	EV_VM_NEW,
	EV_VM_DESTROY,
	EV_VM_QUEUES,
	EV_VF_LSC,   /* RTE_ETH_EVENT_INTR_LSC */
	EV_VF_RESET, /* RTE_ETH_EVENT_INTR_RESET */
	EV_VF_RMV,   /* RTE_ETH_EVENT_INTR_RMV */
	EV_VF_WATCH, /* the link watch's tick */
};
void relay_post_event(enum relay_event_type type, unsigned relay_id, uint64_t seq);
/* For vf_events.c: READY -> ADDED (port stopped, units withdrawn), and
 * back to READY if the VM is there; -EIO if it did not start. */
void relay_vf_pause(struct relay *r);
int relay_vf_resume(struct relay *r);

/* vf_events.c: ethdev events (link, reset, removal) of VFs and bond
 * members, and a link watch for PMDs that change their link without an
 * LSC event (net_tap). Control thread unless said otherwise. */
int vf_events_init(void);
void vf_events_fini(void);
/* r's VF (and a bond's members) became r->port_id / went: events posted
 * for the port before are dropped from now on */
void vf_events_attached(struct relay *r);
void vf_events_detached(struct relay *r);
void vf_events_handle(enum relay_event_type type, uint64_t seq);
/* the VF's link and its own counters into info */
void vf_events_info(const struct relay *r, struct relay_info *info);

#endif

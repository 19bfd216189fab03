/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal structures of the data plane, shared by relay/ files only. */
#ifndef VFWD_RELAY_INT_H
#define VFWD_RELAY_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "relay.h"

#define RELAY_BURST 32
#define RELAY_RX_DESC 1024
#define RELAY_TX_DESC 1024
/* A direction that received nothing for RELAY_IDLE_PASSES passes is
 * "quiet": a busy worker polls one quiet direction per pass, in turn, so
 * idle relays cost a busy one little; an idle worker polls everything. */
#define RELAY_IDLE_PASSES 256
/* A stash that cannot drain for this long (a stuck guest or VF) is dropped
 * and counted as queue full; until then it back-pressures the source, as a
 * NIC ring would. Time, not passes: a guest vCPU or a VM process loses its
 * CPU for milliseconds, however fast the worker polls. */
#define RELAY_STASH_MAX_US 10000

enum relay_dir_kind { DIR_VF_TO_VM, DIR_VM_TO_VF };

/* One direction of a relay. The first cache line is the worker's. */
struct relay_dir {
	/* worker: ro; vhost thread/control: rw (store-release) */
	_Atomic int vid;     /* vhost device, -1: VM not connected */
	_Atomic int vf_port; /* VF ethdev, -1: VF not ready */
	/* worker: ro; control: rw while unpublished */
	enum relay_dir_kind kind;
	uint16_t n_queue_pairs; /* guest queue pairs (VM->VF polls each TX ring) */
	struct rte_mempool *pool; /* VM->VF: where dequeued mbufs come from */
	uint64_t tx_offload_capa; /* VM->VF: what the VF does in hardware */
	bool vf_rx_intr;          /* VF->VM: the VF's RX queue can interrupt */
	/* worker: rw; control: rw while unpublished */
	uint16_t next_queue;
	uint16_t stash_head, stash_n; /* stash[head .. head + n) waits */
	uint16_t idle_passes;         /* passes in a row that received nothing */
	uint64_t stash_deadline;      /* TSC: drop the stash if nothing drains by then */
	struct relay_counters c;
	struct rte_mbuf *stash[RELAY_BURST]; /* packets the other side had no room for */
	/* control only */
	int cpu;         /* worker lcore, -1: unpublished */
	int planned_cpu; /* VF->VM of a stopped VF: where it will run (stats) */
	unsigned relay_id;
} __rte_cache_aligned;

struct relay {
	struct relay_dir vf_to_vm, vm_to_vf;
	/* control only */
	unsigned id;
	enum relay_dpdk_state dpdk_state;
	enum relay_virtio_state virtio_state;
	char *vf_name;   /* devargs as given */
	uint16_t port_id;
	struct rte_mempool *pool;
	int vid;         /* control's copy of the connected device */
	/* registry lock: shared with the vhost thread */
	char *socket_path;
	int pending_vid; /* last new_device not yet destroyed, -1 */
	uint64_t conn_seq;
};

extern struct relay relays[];
extern pthread_mutex_t relay_registry_lock;
extern struct relay_params relay_cfg;

/* worker.c */
int worker_init(const struct relay_params *p);
void worker_fini(void);
/* Publish dir on cpu (or the least-loaded worker if cpu < 0); returns the
 * cpu used. Returns after no worker can still see an old plan. */
int worker_publish(struct relay_dir *d, int cpu, int numa);
bool worker_exists(int cpu);
/* The worker worker_publish would use, without publishing. */
int worker_choose(int cpu, int numa);
unsigned worker_cpus(unsigned *cpus, unsigned max);
int worker_load(unsigned cpu, struct relay_worker_stats *s);
/* Any thread: VM or VF fds changed; sleeping workers rebuild their sets. */
void worker_fds_changed(void);
/* Remove dir from its worker; on return no worker touches it. */
void worker_unpublish(struct relay_dir *d);
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
enum idle_decision idle_arm(struct idle_wait *iw, struct relay_dir *const *dirs, unsigned n,
	uint64_t plan_gen, bool use_interrupts, unsigned *recheck_passes);
void idle_disarm(struct relay_dir *const *dirs, unsigned n);
/* Control thread, before publishing d: a direction starts disarmed. */
void idle_disarm_dir(const struct relay_dir *d);
/* Worker, offline: sleep until woken or timeout_us;
 * returns 0 after a timeout, else IDLE_WOKE_* bits. */
#define IDLE_WOKE_EVENT 1u
unsigned idle_sleep(struct idle_wait *iw, unsigned timeout_us);

/* fwd.c: one pass over a direction; returns packets moved */
unsigned fwd_vf_to_vm(struct relay_dir *d);
unsigned fwd_vm_to_vf(struct relay_dir *d);
/* Free stashed mbufs of an unpublished direction, counted as not connected. */
void fwd_flush_stash(struct relay_dir *d);
/* Receive and drop (as not connected) what waits in the VF's RX queue of
 * an unpublished VF->VM direction, so a stopped port holds no packets. */
void fwd_drain_vf(struct relay_dir *d, uint16_t port);

/* offload.c: complete in software the checksums the guest asked for and
 * the VF cannot do. Packets that cannot be sent are freed and counted as
 * invalid; the others are compacted to the front. Returns their number. */
uint16_t offload_prepare(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n);
#define GUEST_REQUESTS (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)
/* VF capabilities (RTE_ETH_TX_OFFLOAD_*) the requests in ol need */
uint64_t offload_needed_capa(uint64_t ol);
/* Per-burst summary for offload_needs_help: the OR of the ol_flags and a
 * bit per L4 checksum kind seen (the L4 request is a 2-bit code, so the OR
 * alone could name a kind no packet asked for). */
#define OFFLOAD_L4_SHIFT 52 /* RTE_MBUF_F_TX_L4_MASK is 3ULL << 52 */
static inline uint32_t offload_l4_kind(uint64_t ol)
{
	return 1u << ((ol & RTE_MBUF_F_TX_L4_MASK) >> OFFLOAD_L4_SHIFT);
}

static inline bool offload_needs_help(uint64_t ol, uint32_t l4_kinds, uint64_t vf_capa)
{
	if ((ol & GUEST_REQUESTS) == 0)
		return false;
	uint64_t need = offload_needed_capa(ol & ~RTE_MBUF_F_TX_L4_MASK);
	if (l4_kinds & offload_l4_kind(RTE_MBUF_F_TX_TCP_CKSUM))
		need |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	if (l4_kinds & offload_l4_kind(RTE_MBUF_F_TX_UDP_CKSUM))
		need |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (l4_kinds & offload_l4_kind(RTE_MBUF_F_TX_SCTP_CKSUM))
		need |= RTE_ETH_TX_OFFLOAD_SCTP_CKSUM;
	return (need & ~vf_capa) != 0;
}

/* pool.c */
struct rte_mempool *pool_get(unsigned relay_id, int socket);
void pool_put(struct rte_mempool *mp);
void pool_usage(unsigned *in_use, unsigned *capacity);

/* vf.c */
int vf_probe(const char *devargs, uint16_t *port, struct relay_fault *f);
int vf_configure(uint16_t port, struct rte_mempool *mp, uint64_t *tx_capa,
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

/* vm.c */
int vm_register(const char *path, struct relay_fault *f);
int vm_unregister(const char *path);
/* Take the device new_device published if connection seq is still current. */
bool vm_take_vid(struct relay *r, uint64_t seq);

/* relay.c: posted by vm.c callbacks from the vhost thread */
enum relay_event_type { EV_VM_NEW, EV_VM_DESTROY };
void relay_post_event(enum relay_event_type type, unsigned relay_id, uint64_t seq);

#endif

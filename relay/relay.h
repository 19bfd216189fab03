/* SPDX-License-Identifier: BSD-3-Clause */
/* The data plane as the control side sees it: plain C types, no rte_*.
 * Every function here runs on the control thread only. */
#ifndef VFWD_RELAY_H
#define VFWD_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "counters.h"

enum relay_dpdk_state {
	DPDK_UNINIT,
	DPDK_ADDED,  /* port probed and configured, stopped: no VM */
	DPDK_READY,  /* port started, forwarding */
	DPDK_REMOVING1,
	DPDK_REMOVING2,
};

enum relay_virtio_state {
	VIRTIO_UNINIT,
	VIRTIO_READY,
	VIRTIO_REMOVING1,
	VIRTIO_REMOVING2,
};

const char *relay_dpdk_state_str(enum relay_dpdk_state s);
const char *relay_virtio_state_str(enum relay_virtio_state s);

/* Queue pairs a relay can have (guest queue pairs, VF queues). */
#define RELAY_MAX_QUEUES 32

/* A relay's two directions; arrays of two are indexed by it. */
enum relay_dir_kind { DIR_VF_TO_VM, DIR_VM_TO_VF };

/* Counters of one queue unit, or summed over a direction's units; one
 * writer at a time (its worker, or the control thread while the unit is
 * not published). Fields from the one list in counters.h. */
struct relay_counters {
#define RELAY_COUNTER_FIELD(field, up, down, family, reason, help) uint64_t field;
	RELAY_COUNTERS(RELAY_COUNTER_FIELD)
#undef RELAY_COUNTER_FIELD
};

/* One queue unit of a direction: who polls it and what it moved. */
struct relay_queue_info {
	int cpu; /* worker lcore, -1: not placed */
	uint64_t pkts_rx, bytes_rx;
};

struct relay_info {
	unsigned id;
	enum relay_dpdk_state dpdk_state;
	enum relay_virtio_state virtio_state;
	bool active; /* both halves READY */
	int vf_to_vm_cpu; /* -1: not placed */
	int vm_to_vf_cpu;
	const char *vf_name;     /* devargs as given, NULL if none */
	const char *socket_path; /* NULL if none */
	bool socket_client;      /* the socket's vhost-user role is client */
	uint32_t socket_id;      /* mempool NUMA node, UINT32_MAX if none */
	struct relay_counters vf_to_vm, vm_to_vf; /* sums over the units */
	/* per queue unit: VF RX queue q (vf_to_vm), VF TX queue q (vm_to_vf) */
	unsigned n_vf_to_vm_queues, n_vm_to_vf_queues; /* units placed now */
	struct relay_queue_info vf_to_vm_q[RELAY_MAX_QUEUES], vm_to_vf_q[RELAY_MAX_QUEUES];
	unsigned vf_queues; /* VF queue pairs configured, 0 if no VF */
	unsigned guest_queue_pairs; /* negotiated by the VM, 0 if none */
	uint32_t guest_rxq_enabled; /* bit q: guest RX queue q enabled */
	uint32_t guest_txq_enabled;
	/* the VF's link and its own counters (rte_eth_stats_get), while a VF
	 * is attached (vf_name != NULL); a bond's are its members' sums */
	bool vf_link_up;
	uint32_t vf_link_speed; /* Mbps, 0: down or unknown */
	uint64_t vf_rx_missed, vf_rx_nombuf, vf_rx_errors, vf_tx_errors;
	/* events handled for this relay, kept across VF changes */
	uint64_t vf_resets;   /* RESET: port reset, reconfigured, restarted */
	uint64_t vf_removals; /* RMV: the VF (or a bond member) detached */
	/* DPDK log lines about this relay's socket (librte_vhost's) that the
	 * log rate limit suppressed (src/log_limit.c), kept across guests */
	uint64_t log_suppressed;
};

struct relay_params {
	const bool *worker_cpus; /* [n_cpus] */
	unsigned n_cpus;
	const int *pin_vf_to_vm; /* [relay id] CPU or -1 */
	const int *pin_vm_to_vf;
	bool vhost_client;
	bool enable_jumbo, enable_mrgbuf, enable_tso;
	unsigned vf_queues; /* most VF queue pairs per relay; 0: as many as guest and VF have */
	uid_t socket_uid; /* (uid_t)-1: keep */
	gid_t socket_gid;
	unsigned idle_sleep_max_us;
	bool idle_interrupts; /* idle workers sleep until a kick or interrupt */
	/* log lines suppressed for a relay's socket (the daemon's log rate
	 * limit, src/log_limit.c); NULL: none counted */
	uint64_t (*log_suppressed)(const char *socket_path);
	bool vhost_iommu;     /* offer VIRTIO_F_IOMMU_PLATFORM (vIOMMU guests) */
};

/* Why an operation failed: the step that did, for the control plane's
 * wire error codes (control/errcodes.c) and for logs (relay_step_str). */
#define RELAY_STEPS(X) \
	X(STEP_NONE, "none") \
	X(STEP_RELAY_ID, "relay id") \
	X(STEP_RELAY_BUSY, "relay busy") \
	X(STEP_NO_VF, "no vf") \
	X(STEP_VF_MISMATCH, "vf mismatch") \
	X(STEP_NO_SOCKET, "no socket") \
	X(STEP_RELAY_HAS_SOCKET, "relay has a socket") \
	X(STEP_SOCKET_IN_USE, "socket in use") \
	X(STEP_NO_WORKER, "no worker") \
	X(STEP_NO_MEMORY, "strdup") \
	X(STEP_PROBE, "rte_dev_probe") \
	X(STEP_PORT_LOOKUP, "rte_eth_dev_get_port_by_name") \
	X(STEP_DEV_INFO, "rte_eth_dev_info_get") \
	X(STEP_CONFIGURE, "rte_eth_dev_configure") \
	X(STEP_TX_QUEUE_SETUP, "rte_eth_tx_queue_setup") \
	X(STEP_RX_QUEUE_SETUP, "rte_eth_rx_queue_setup") \
	X(STEP_START, "rte_eth_dev_start") \
	X(STEP_POOL_CREATE, "rte_pktmbuf_pool_create") \
	X(STEP_BOND_CREATE, "rte_eth_bond_create") \
	X(STEP_BOND_MEMBER_ADD, "rte_eth_bond_slave_add") \
	X(STEP_BOND_MEMBER_BUSY, "member busy") \
	X(STEP_BOND_MEMBER, "member") \
	X(STEP_VHOST_REGISTER, "rte_vhost_driver_register") \
	X(STEP_VHOST_START, "rte_vhost_driver_start") \
	X(STEP_VHOST_UNREGISTER, "rte_vhost_driver_unregister")

enum relay_step {
#define RELAY_STEP_ENUM(name, str) name,
	RELAY_STEPS(RELAY_STEP_ENUM)
#undef RELAY_STEP_ENUM
};
const char *relay_step_str(enum relay_step s);

struct relay_fault {
	enum relay_step step;
};

int relay_init(const struct relay_params *p);
/* Tear everything down: VMs, VFs, sockets, workers. */
void relay_fini(void);
unsigned relay_max(void);

/* VF half. devargs: PCI address or any rte_dev_probe string.
 * conditional: succeed without action if this VF is already on the relay.
 * Returns 0 or -errno: -EINVAL bad id, -EBUSY relay holds another VF,
 * -ENODEV probe failed, -ENOSPC no free ethdev port (RTE_MAX_ETHPORTS),
 * -EIO configure/start failed. */
int relay_attach_vf(unsigned id, const char *devargs, bool conditional, struct relay_fault *f);
/* A DPDK bond (name must start with "net_bonding") of n member devices
 * (PCI addresses or devargs), as the relay's VF. -EEXIST: a member is
 * already in use; -EINVAL: bad name or mode; others as relay_attach_vf. */
int relay_attach_bond(unsigned id, const char *name, unsigned mode, const char *const *members,
	unsigned n, bool conditional, struct relay_fault *f);
/* devargs: the VF or bond name expected on the relay (NULL: any).
 * -ENOENT: no VF (and not conditional); -EXDEV: relay holds another device. */
int relay_detach_vf(unsigned id, const char *devargs, bool conditional, struct relay_fault *f);

/* Move the relay's directions (every queue unit of each) to other workers
 * (cpu < 0: leave it). A
 * direction that is not active only records the choice for when it is.
 * -EINVAL: bad relay or a CPU that is not a worker. No packet is lost: the
 * direction's stash moves with it and the VF/guest rings hold the rest. */
int relay_move(unsigned id, int vf_to_vm_cpu, int vm_to_vf_cpu);
/* Where relay_move_units puts one direction's queue units. */
struct relay_dir_cpus {
	int cpu; /* every unit, and those placed later, to this worker; -1: leave them */
	int queue_cpu[RELAY_MAX_QUEUES]; /* then unit q to this one; -1: as cpu says */
};
/* A direction moved as a whole to cpu (-1: left where it is), no unit alone. */
static inline void relay_dir_cpus_whole(struct relay_dir_cpus *c, int cpu)
{
	c->cpu = cpu;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		c->queue_cpu[q] = -1;
}
/* relay_move with a CPU per queue unit: dirs[DIR_VF_TO_VM], dirs[DIR_VM_TO_VF].
 * A direction's cpu forgets earlier per-unit choices; each unit moves at
 * most once, to where both together say. A unit the relay does not have
 * now (an inactive direction, or a queue beyond its current count) only
 * records the choice for when it is placed. Everything is checked before
 * anything moves: -EINVAL for a bad relay or a CPU that is not a worker. */
int relay_move_units(unsigned id, const struct relay_dir_cpus dirs[2]);
/* Most worker lcores (RTE_MAX_LCORE of Debian's DPDK build). */
#define RELAY_MAX_WORKERS 128
/* Worker CPUs, ascending; returns how many. */
unsigned relay_worker_cpus(unsigned *cpus, unsigned max);
/* A worker's own counters. */
struct relay_worker_stats {
	uint64_t busy_cycles; /* TSC cycles spent in passes that moved packets */
	uint64_t packets;     /* the packets those passes received */
	uint64_t sleeps;      /* times it slept for want of work */
	uint64_t missed_wakeups; /* sleeps its watchdog ended with packets waiting */
	uint64_t tsc_hz;
};
/* -EINVAL if no such worker. */
int relay_worker_load(unsigned cpu, struct relay_worker_stats *s);

/* vhost-user socket of a relay, in the daemon's mode (--vhost-client). */
int relay_add_socket(unsigned id, const char *path, struct relay_fault *f);
/* The vhost-user role of one socket: the daemon listens (server) or dials
 * the VM's socket (client). */
enum relay_vhost_mode { RELAY_VHOST_DEFAULT, RELAY_VHOST_SERVER, RELAY_VHOST_CLIENT };
int relay_add_socket_mode(unsigned id, const char *path, enum relay_vhost_mode mode,
	struct relay_fault *f);
int relay_remove_socket(unsigned id, struct relay_fault *f);

int relay_get_info(unsigned id, struct relay_info *info);

/* Readable when the vhost or interrupt threads posted relay events;
 * relay_process_events() then applies them on the control thread. */
int relay_event_fd(void);
void relay_process_events(void);

/* Free mbufs of all relay pools, and their capacity (for leak checks). */
void relay_pool_usage(unsigned *in_use, unsigned *capacity);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* Relay slots and their state machine. Everything here runs on the control
 * thread, one operation at a time; workers only see directions published
 * to their plans, and vhost callbacks only touch the registry fields. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_vhost.h>

#include "log.h"
#include "relay_int.h"

#define LOG_TYPE vfwd_logtype_relay

struct relay relays[RTE_MAX_ETHPORTS];
pthread_mutex_t relay_registry_lock = PTHREAD_MUTEX_INITIALIZER;
struct relay_params relay_cfg;
static int pin_vf_to_vm[RTE_MAX_ETHPORTS], pin_vm_to_vf[RTE_MAX_ETHPORTS];

struct relay_event {
	uint32_t type;
	uint32_t relay_id;
	uint64_t seq;
};

static struct rte_ring *events;
static int event_fd = -1;

unsigned relay_max(void)
{
	return RTE_MAX_ETHPORTS;
}

static void init_unit(struct relay *r, struct relay_unit *u, enum relay_dir_kind kind,
	uint16_t queue)
{
	memset(u, 0, sizeof(*u));
	u->kind = kind;
	u->queue = queue;
	u->n_units = 1;
	u->relay_id = r->id;
	u->cpu = u->planned_cpu = u->pin_cpu = -1;
	u->gq = &r->gq;
	u->max_frame = UINT32_MAX;
	atomic_init(&u->vid, -1);
	atomic_init(&u->vf_port, -1);
	u->chains_vid = -1;
	u->iotlb_vid = -1;
}

int relay_init(const struct relay_params *p)
{
	relay_cfg = *p;
	for (unsigned i = 0; i < RTE_MAX_ETHPORTS; i++) {
		struct relay *r = &relays[i];
		memset(r, 0, sizeof(*r));
		r->id = i;
		r->vid = r->pending_vid = r->queues_vid = -1;
		atomic_init(&r->gq.rx_enabled, 0);
		for (uint16_t q = 0; q < RELAY_MAX_QUEUES; q++) {
			init_unit(r, &r->vf_to_vm[q], DIR_VF_TO_VM, q);
			init_unit(r, &r->vm_to_vf[q], DIR_VM_TO_VF, q);
		}
		pin_vf_to_vm[i] = p->pin_vf_to_vm ? p->pin_vf_to_vm[i] : -1;
		pin_vm_to_vf[i] = p->pin_vm_to_vf ? p->pin_vm_to_vf[i] : -1;
	}
	relay_cfg.pin_vf_to_vm = pin_vf_to_vm;
	relay_cfg.pin_vm_to_vf = pin_vm_to_vf;
	events = rte_ring_create_elem("vfwd_events", sizeof(struct relay_event), 1024,
		SOCKET_ID_ANY, RING_F_SC_DEQ);
	event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (events == NULL || event_fd < 0)
		return -ENOMEM;
	int ret = worker_init(&relay_cfg);
	return ret < 0 ? ret : vf_events_init();
}

void relay_post_event(enum relay_event_type type, unsigned relay_id, uint64_t seq)
{
	struct relay_event ev = {.type = type, .relay_id = relay_id, .seq = seq};
	if (rte_ring_mp_enqueue_elem(events, &ev, sizeof(ev)) < 0)
		LOG(CRIT, "relay %u: event ring full, event %u lost", relay_id, type);
	uint64_t one = 1;
	if (write(event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		LOG(ERR, "relay event fd: %s", strerror(errno));
}

int relay_event_fd(void)
{
	return event_fd;
}

static int fault(struct relay_fault *f, enum relay_step step, int ret)
{
	if (f != NULL)
		f->step = step;
	return ret;
}

/* VF queue pairs the relay wants: one per guest queue pair (or as many as
 * the VF has while no VM is there), within the VF's, the option's and
 * the pool's limits. */
static uint16_t wanted_queues(const struct relay *r)
{
	unsigned n = r->guest_pairs > 0 ? r->guest_pairs : RELAY_MAX_QUEUES;
	if (r->vf_max_queues > 0)
		n = RTE_MIN(n, r->vf_max_queues);
	if (relay_cfg.vf_queues > 0)
		n = RTE_MIN(n, relay_cfg.vf_queues);
	return (uint16_t)RTE_MAX(n, 1u);
}

static void unpublish_units(struct relay *r, enum relay_dir_kind kind);

static void set_pool(struct relay *r, struct rte_mempool *mp, uint16_t queues)
{
	r->pool = mp;
	r->pool_queues = mp != NULL ? queues : 0;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		r->vm_to_vf[q].pool = mp;
}

static int ensure_pool(struct relay *r, int socket)
{
	if (r->pool == NULL) {
		/* sized for the queues known now: the VM's, or one while only
		 * the VF is there; start_forwarding grows it when needed */
		uint16_t queues = r->guest_pairs > 0 ? wanted_queues(r) : 1;
		set_pool(r, pool_get(r->id, socket, queues), queues);
	}
	return r->pool != NULL ? 0 : -ENOMEM;
}

/* Before the stopped VF takes more queues than the pool is sized for:
 * a bigger pool replaces it. VM->VF units (which dequeue into the pool)
 * are off their workers meanwhile; the VF's reconfiguration gives the old
 * pool's mbufs back and the caller frees it then. Returns the old pool,
 * or NULL when none could be made (the relay keeps its queue count). */
static struct rte_mempool *grow_pool(struct relay *r, uint16_t queues)
{
	struct rte_mempool *mp = pool_get(r->id, r->pool->socket_id, queues);
	if (mp == NULL)
		return NULL;
	unpublish_units(r, DIR_VM_TO_VF);
	struct rte_mempool *old = r->pool;
	set_pool(r, mp, queues);
	return old;
}

static void release_pool_if_unused(struct relay *r)
{
	if (r->dpdk_state != DPDK_UNINIT || r->virtio_state != VIRTIO_UNINIT)
		return;
	pool_put(r->pool);
	set_pool(r, NULL, 0);
}

static void set_vf_port(struct relay *r, int port)
{
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++) {
		atomic_store_explicit(&r->vf_to_vm[q].vf_port, port, memory_order_release);
		atomic_store_explicit(&r->vm_to_vf[q].vf_port, port, memory_order_release);
	}
	worker_fds_changed();
}

static struct relay_unit *units_of(struct relay *r, enum relay_dir_kind kind)
{
	return kind == DIR_VF_TO_VM ? r->vf_to_vm : r->vm_to_vf;
}

static int *pin_of(const struct relay *r, enum relay_dir_kind kind)
{
	return kind == DIR_VF_TO_VM ? &pin_vf_to_vm[r->id] : &pin_vm_to_vf[r->id];
}

/* Where unit q goes when placed: its own pin, else its direction's (-1:
 * the least loaded worker). */
static int unit_pin(const struct relay *r, enum relay_dir_kind kind, unsigned q)
{
	const struct relay_unit *u = kind == DIR_VF_TO_VM ? &r->vf_to_vm[q] : &r->vm_to_vf[q];
	return u->pin_cpu >= 0 ? u->pin_cpu : *pin_of(r, kind);
}

/* Longest frame a VF of this MTU carries: one VLAN tag allowed. */
static uint32_t frame_of_mtu(unsigned mtu)
{
	return mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
}

/* Take every unit of a direction off its worker; their stashes are
 * flushed (counted as not connected). On return no worker sees them. */
static void unpublish_units(struct relay *r, enum relay_dir_kind kind)
{
	struct relay_unit *u = units_of(r, kind);
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if (u[q].cpu >= 0) {
			worker_unpublish(&u[q]);
			fwd_flush_stash(&u[q]);
		}
}

/* Put units 0 .. n-1 of a direction on workers: the pinned CPU, or each
 * on the least loaded worker, so a relay's units spread over them. */
static int publish_units(struct relay *r, enum relay_dir_kind kind, uint16_t n, int numa)
{
	struct relay_unit *u = units_of(r, kind);
	for (uint16_t q = 0; q < n; q++) {
		u[q].n_units = n;
		u[q].guest_pairs = r->guest_pairs > 0 ? r->guest_pairs : 1;
		u[q].next_queue = 0;
		/* VF->VM: what the relay is made for (the VF delivered it) and
		 * the guest's buffers hold; VM->VF: what the VF takes as well
		 * (net_tap of 22.11 takes 1504 at most and would refuse more) */
		if (kind == DIR_VF_TO_VM) {
			u[q].max_frame = RTE_MIN(frame_of_mtu(relay_mtu()), r->guest_max_frame);
		} else {
			u[q].max_frame = frame_of_mtu(RTE_MIN(relay_mtu(), (unsigned)r->vf_mtu));
			u[q].tx_offload_capa = r->vf_tx_capa;
			u[q].sw_gso = relay_cfg.enable_tso &&
				!(r->vf_tx_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) && r->gso_ready;
			u[q].gso.direct_pool = r->gso_direct;
			u[q].gso.indirect_pool = r->gso_indirect;
			u[q].gso.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO;
			u[q].gso.flag = 0; /* IP ids count up, as the guest's own would */
		}
		int cpu = worker_publish(&u[q], unit_pin(r, kind, q), numa);
		if (cpu < 0) {
			LOG(ERR, "relay %u: no worker for %s queue %u", r->id,
				kind == DIR_VF_TO_VM ? "vf_to_vm" : "vm_to_vf", q);
			unpublish_units(r, kind);
			return cpu;
		}
	}
	return 0;
}

static int vm_numa(const struct relay *r)
{
	return r->vid >= 0 ? rte_vhost_get_numa_node(r->vid) : -1;
}

/* VM->VF units follow the VF's queue count; without a VF, one unit per
 * guest queue pair drops (as not connected) what the guest sends. */
static int republish_vm_to_vf(struct relay *r)
{
	uint16_t n = r->dpdk_state == DPDK_READY ? r->vf_queues :
						   (uint16_t)RTE_MAX(r->guest_pairs, (uint16_t)1);
	unpublish_units(r, DIR_VM_TO_VF);
	return publish_units(r, DIR_VM_TO_VF, n, vm_numa(r));
}

/* The software TSO pools, made the first time a VF without TSO meets
 * --enable-tso. */
static void prepare_gso(struct relay *r)
{
	r->gso_ready = false;
	if (!relay_cfg.enable_tso || (r->vf_tx_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO))
		return;
	if (pool_gso_get(&r->gso_direct, &r->gso_indirect) == 0)
		r->gso_ready = true;
	else
		LOG(ERR, "relay %u: no software TSO: guest TSO frames will be dropped", r->id);
}

/* ADDED + VM READY -> READY: give the VF as many queues as the guest's
 * pairs (within limits), start it and let the units use it. */
static int start_forwarding(struct relay *r, struct relay_fault *f)
{
	uint16_t want = wanted_queues(r);
	struct rte_mempool *old_pool = NULL;
	if (want > r->pool_queues && (old_pool = grow_pool(r, want)) == NULL) {
		LOG(WARNING, "relay %u: no memory for %u queues; %u", r->id, want, r->pool_queues);
		want = r->pool_queues;
	}
	if (want != r->vf_queues || old_pool != NULL) {
		struct vf_setup vs = {.queues = want};
		int ret = vf_configure(r->port_id, r->pool, &vs, f);
		pool_put(old_pool); /* its mbufs are back from the VF's rings */
		if (ret < 0) {
			r->vf_queues = 0; /* half configured: configure again next time */
			LOG(ERR, "relay %u: vf does not take %u queues; stays DPDK_ADDED", r->id,
				want);
			return -EIO;
		}
		r->vf_queues = vs.queues;
		r->vf_mtu = vs.mtu;
		r->vf_tx_capa = vs.tx_capa;
	}
	bool rx_intr = false;
	if (vf_start(r->port_id, &rx_intr, f) < 0) {
		LOG(WARNING, "relay %u: vf did not start; stays DPDK_ADDED", r->id);
		return -EIO;
	}
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		r->vf_to_vm[q].vf_rx_intr = rx_intr;
	prepare_gso(r);
	/* VM->VF units placed without a VF (one per guest pair) must not see
	 * the port: they would send on queues it does not have */
	unpublish_units(r, DIR_VM_TO_VF);
	set_vf_port(r, r->port_id);
	r->dpdk_state = DPDK_READY;
	if (publish_units(r, DIR_VF_TO_VM, r->vf_queues, vf_socket(r->port_id)) < 0 ||
		republish_vm_to_vf(r) < 0) {
		unpublish_units(r, DIR_VF_TO_VM);
		r->dpdk_state = DPDK_ADDED;
		set_vf_port(r, -1);
		republish_vm_to_vf(r);
		vf_stop(r->port_id);
		return fault(f, STEP_NO_WORKER, -EIO);
	}
	LOG(INFO, "relay %u: forwarding, %u queue pairs (vf_to_vm queue 0 on cpu %d, vm_to_vf "
		"queue 0 on cpu %d)", r->id, r->vf_queues, r->vf_to_vm[0].cpu, r->vm_to_vf[0].cpu);
	return 0;
}

/* READY -> ADDED: withdraw the port from every unit, then stop it. */
static void stop_forwarding(struct relay *r)
{
	set_vf_port(r, -1);
	unpublish_units(r, DIR_VF_TO_VM); /* also the grace period for vm_to_vf */
	for (uint16_t q = 0; q < r->vf_queues; q++)
		fwd_drain_vf(&r->vf_to_vm[q], r->port_id);
	vf_stop(r->port_id);
	r->dpdk_state = DPDK_ADDED;
}

void relay_vf_pause(struct relay *r)
{
	if (r->dpdk_state == DPDK_READY)
		stop_forwarding(r);
}

int relay_vf_resume(struct relay *r)
{
	if (r->dpdk_state != DPDK_ADDED || r->virtio_state != VIRTIO_READY)
		return 0;
	if (start_forwarding(r, NULL) == 0)
		return 0;
	republish_vm_to_vf(r); /* one unit per guest queue, dropping */
	return -EIO;
}

/* The common tail of attaching a VF or a bond already probed as port. */
static int attach_port(struct relay *r, uint16_t port, const char *name, struct relay_fault *f)
{
	r->vf_max_queues = vf_max_queues(port);
	if (ensure_pool(r, vf_socket(port)) < 0) {
		vf_remove_any(port);
		return fault(f, STEP_POOL_CREATE, -ENOMEM);
	}
	/* as many queues as the pool holds now: start_forwarding grows both */
	struct vf_setup vs = {.queues = RTE_MIN(wanted_queues(r), r->pool_queues)};
	int ret = vf_configure(port, r->pool, &vs, f);
	if (ret < 0 || (r->vf_name = strdup(name)) == NULL) {
		vf_remove_any(port);
		r->vf_max_queues = 0;
		release_pool_if_unused(r);
		return ret < 0 ? -EIO : fault(f, STEP_NO_MEMORY, -ENOMEM);
	}
	r->port_id = port;
	r->vf_queues = vs.queues;
	r->vf_mtu = vs.mtu;
	r->vf_tx_capa = vs.tx_capa;
	r->dpdk_state = DPDK_ADDED;
	vf_events_attached(r);
	r->vf_to_vm[0].planned_cpu = worker_choose(unit_pin(r, DIR_VF_TO_VM, 0), vf_socket(port));
	LOG(INFO, "relay %u: vf %s attached as port %u (%u of %u queues, mtu %u, tx offloads "
		"0x%" PRIx64 ")", r->id, name, port, vs.queues, vs.max_queues, vs.mtu, vs.tx_capa);
	if (r->virtio_state == VIRTIO_READY && start_forwarding(r, f) < 0) {
		/* the ADD fails as a whole: the VF goes again */
		vf_events_detached(r);
		vf_remove_any(port);
		free(r->vf_name);
		r->vf_name = NULL;
		r->dpdk_state = DPDK_UNINIT;
		r->vf_queues = r->vf_max_queues = 0;
		r->vf_tx_capa = 0;
		republish_vm_to_vf(r); /* the guest's TX rings are drained again */
		return -EIO;
	}
	if (r->virtio_state == VIRTIO_READY)
		LOG(INFO, "relay %u: vf %s forwarding", r->id, name);
	return 0;
}

/* Checks shared by attach_vf and attach_bond: 1 when already done. */
static int attach_check(unsigned id, const char *name, bool conditional, struct relay_fault *f)
{
	if (id >= relay_max())
		return fault(f, STEP_RELAY_ID, -EINVAL);
	struct relay *r = &relays[id];
	if (r->dpdk_state != DPDK_UNINIT) {
		if (conditional && strcasecmp(r->vf_name, name) == 0)
			return 1;
		LOG(ERR, "relay %u: already holds vf %s", id, r->vf_name);
		return fault(f, STEP_RELAY_BUSY, -EBUSY);
	}
	return 0;
}

int relay_attach_vf(unsigned id, const char *devargs, bool conditional, struct relay_fault *f)
{
	int ret = attach_check(id, devargs, conditional, f);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	uint16_t port;
	if ((ret = vf_probe(devargs, &port, f)) < 0)
		return ret;
	return attach_port(&relays[id], port, devargs, f);
}

int relay_attach_bond(unsigned id, const char *name, unsigned mode, const char *const *members,
	unsigned n, bool conditional, struct relay_fault *f)
{
	int ret = attach_check(id, name, conditional, f);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	uint16_t port;
	if ((ret = vf_bond_create(name, mode, members, n, &port, f)) < 0)
		return ret;
	return attach_port(&relays[id], port, name, f);
}

int relay_detach_vf(unsigned id, const char *devargs, bool conditional, struct relay_fault *f)
{
	if (id >= relay_max())
		return fault(f, STEP_RELAY_ID, -EINVAL);
	struct relay *r = &relays[id];
	if (r->dpdk_state == DPDK_UNINIT)
		return conditional ? 0 : fault(f, STEP_NO_VF, -ENOENT);
	if (devargs != NULL && strcasecmp(r->vf_name, devargs) != 0)
		return fault(f, STEP_VF_MISMATCH, -EXDEV);
	if (r->dpdk_state == DPDK_READY)
		stop_forwarding(r);
	vf_events_detached(r);
	vf_remove_any(r->port_id);
	LOG(INFO, "relay %u: vf %s detached", id, r->vf_name);
	free(r->vf_name);
	r->vf_name = NULL;
	r->vf_tx_capa = 0;
	r->vf_queues = r->vf_max_queues = 0;
	r->dpdk_state = DPDK_UNINIT;
	if (r->virtio_state == VIRTIO_READY)
		republish_vm_to_vf(r); /* one unit per guest queue, dropping */
	release_pool_if_unused(r);
	return 0;
}

/* Longest frame the guest's receive buffers hold: any with mergeable
 * buffers or big-packet guests (GUEST_TSO/UFO make Linux post 64 KB
 * buffers), else what a small-buffer guest posts (Linux: 1518 bytes). */
static uint32_t guest_max_frame(int vid)
{
	uint64_t f = 0;
	if (rte_vhost_get_negotiated_features(vid, &f) < 0)
		return UINT32_MAX;
	if (f & ((1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
		(1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_UFO)))
		return UINT32_MAX;
	return RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN + RTE_VLAN_HLEN;
}

static void vm_up(struct relay *r, uint64_t seq)
{
	if (r->virtio_state == VIRTIO_READY || !vm_take_vid(r, seq))
		return; /* already gone again: a later event follows */
	int numa = rte_vhost_get_numa_node(r->vid);
	unsigned pairs = rte_vhost_get_vring_num(r->vid) / 2;
	r->guest_pairs = (uint16_t)RTE_MIN(RTE_MAX(pairs, 1u), (unsigned)RELAY_MAX_QUEUES);
	r->guest_max_frame = guest_max_frame(r->vid);
	if (ensure_pool(r, numa) < 0) {
		LOG(ERR, "relay %u: no pool for the vm; not forwarding", r->id);
		return;
	}
	r->virtio_state = VIRTIO_READY;
	if (r->dpdk_state == DPDK_ADDED) {
		if (start_forwarding(r, NULL) < 0 && republish_vm_to_vf(r) < 0)
			goto no_worker;
	} else if (republish_vm_to_vf(r) < 0) {
		goto no_worker;
	}
	return;
no_worker:
	LOG(ERR, "relay %u: no worker for vm_to_vf", r->id);
	r->virtio_state = VIRTIO_UNINIT;
}

static void vm_down(struct relay *r)
{
	if (r->virtio_state != VIRTIO_READY)
		return;
	if (r->dpdk_state == DPDK_READY)
		stop_forwarding(r);
	unpublish_units(r, DIR_VM_TO_VF);
	r->vid = -1;
	r->guest_pairs = 0;
	r->virtio_state = VIRTIO_UNINIT;
	release_pool_if_unused(r);
}

/* The guest's queue count changed after it connected (its rings came
 * one by one): give the relay as many units and VF queues again. */
static void vm_queues(struct relay *r, uint64_t seq)
{
	if (r->virtio_state != VIRTIO_READY || r->vid < 0 || seq != r->conn_seq_seen)
		return;
	/* the device may be destroyed meanwhile (its event still queued):
	 * read its rings only while the registry says it is current */
	pthread_mutex_lock(&relay_registry_lock);
	bool current = r->conn_seq == seq && r->pending_vid == r->vid;
	unsigned rings = current ? rte_vhost_get_vring_num(r->vid) : 0;
	pthread_mutex_unlock(&relay_registry_lock);
	if (!current)
		return;
	uint16_t pairs = (uint16_t)RTE_MIN(RTE_MAX(rings / 2, 1u), (unsigned)RELAY_MAX_QUEUES);
	if (pairs == r->guest_pairs)
		return;
	LOG(INFO, "relay %u: guest now has %u queue pairs (was %u)", r->id, pairs, r->guest_pairs);
	r->guest_pairs = pairs;
	if (r->dpdk_state == DPDK_READY) {
		stop_forwarding(r);
		if (start_forwarding(r, NULL) == 0)
			return;
	}
	republish_vm_to_vf(r);
}

void relay_process_events(void)
{
	struct relay_event ev;
	uint64_t n;
	if (read(event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		LOG(ERR, "relay event fd: %s", strerror(errno));
	while (rte_ring_sc_dequeue_elem(events, &ev, sizeof(ev)) == 0) {
		if (ev.type >= EV_VF_LSC) {
			vf_events_handle(ev.type, ev.seq);
			continue;
		}
		if (ev.relay_id >= relay_max())
			continue;
		struct relay *r = &relays[ev.relay_id];
		if (ev.type == EV_VM_NEW)
			vm_up(r, ev.seq);
		else if (ev.type == EV_VM_QUEUES)
			vm_queues(r, ev.seq);
		else
			vm_down(r);
	}
}

int relay_add_socket(unsigned id, const char *path, struct relay_fault *f)
{
	if (id >= relay_max())
		return fault(f, STEP_RELAY_ID, -EINVAL);
	struct relay *r = &relays[id];
	if (r->socket_path != NULL)
		return fault(f, STEP_RELAY_HAS_SOCKET, -EBUSY);
	char *copy = strdup(path);
	if (copy == NULL)
		return fault(f, STEP_NO_MEMORY, -ENOMEM);
	pthread_mutex_lock(&relay_registry_lock);
	for (unsigned i = 0; i < relay_max(); i++)
		if (relays[i].socket_path != NULL && strcmp(relays[i].socket_path, path) == 0) {
			pthread_mutex_unlock(&relay_registry_lock);
			free(copy);
			return fault(f, STEP_SOCKET_IN_USE, -EEXIST);
		}
	r->socket_path = copy; /* before registering: new_device looks it up */
	pthread_mutex_unlock(&relay_registry_lock);
	struct relay_fault vf = {0};
	int ret = vm_register(path, &vf);
	if (ret < 0) {
		pthread_mutex_lock(&relay_registry_lock);
		r->socket_path = NULL;
		pthread_mutex_unlock(&relay_registry_lock);
		free(copy);
		return fault(f, vf.step, ret);
	}
	return 0;
}

int relay_remove_socket(unsigned id, struct relay_fault *f)
{
	if (id >= relay_max())
		return fault(f, STEP_RELAY_ID, -EINVAL);
	struct relay *r = &relays[id];
	if (r->socket_path == NULL)
		return fault(f, STEP_NO_SOCKET, -ENOENT);
	/* a connected VM is destroyed synchronously here: apply that now */
	int ret = vm_unregister(r->socket_path);
	relay_process_events();
	pthread_mutex_lock(&relay_registry_lock);
	char *path = r->socket_path;
	r->socket_path = NULL;
	pthread_mutex_unlock(&relay_registry_lock);
	free(path);
	return ret < 0 ? fault(f, STEP_VHOST_UNREGISTER, -EIO) : 0;
}

/* Move a placed unit to cpu (an unplaced one waits for its next placement).
 * The stash and counters travel with it; meanwhile the VF RX ring or the
 * guest TX ring holds what arrives. */
static int move_unit(struct relay *r, struct relay_unit *u, int cpu)
{
	if (u->cpu < 0 || u->cpu == cpu)
		return 0;
	worker_unpublish(u);
	if (worker_publish(u, cpu, -1) >= 0)
		return 0;
	/* no plan memory there: anywhere, rather than not polled */
	if (worker_publish(u, -1, -1) < 0) {
		LOG(ERR, "relay %u: queue %u of a direction lost its worker", r->id, u->queue);
		fwd_flush_stash(u);
	}
	return -EIO;
}

/* Record a direction's new pins, then move each unit they name once, to
 * where the direction's CPU and its own say together. */
static int move_dir(struct relay *r, enum relay_dir_kind kind, const struct relay_dir_cpus *c)
{
	struct relay_unit *u = units_of(r, kind);
	if (c->cpu >= 0) {
		/* the whole direction, later units too, as the original's
		 * clients expect: earlier per-unit choices are forgotten */
		*pin_of(r, kind) = c->cpu;
		for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
			u[q].pin_cpu = -1;
	}
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if (c->queue_cpu[q] >= 0)
			u[q].pin_cpu = c->queue_cpu[q];
	if (kind == DIR_VF_TO_VM && (c->cpu >= 0 || c->queue_cpu[0] >= 0))
		u[0].planned_cpu = unit_pin(r, kind, 0); /* stats' cpu of a stopped VF */
	int ret = 0;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if ((c->cpu >= 0 || c->queue_cpu[q] >= 0) &&
			move_unit(r, &u[q], unit_pin(r, kind, q)) < 0)
			ret = -EIO;
	return ret;
}

static bool dir_cpus_valid(const struct relay_dir_cpus *c)
{
	if (c->cpu >= 0 && !worker_exists(c->cpu))
		return false;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if (c->queue_cpu[q] >= 0 && !worker_exists(c->queue_cpu[q]))
			return false;
	return true;
}

/* "1,2,1,2": the workers of a direction's placed units, for the log */
static const char *unit_cpus_str(const struct relay_unit *u, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned q = 0; q < RELAY_MAX_QUEUES && len < size; q++)
		if (u[q].cpu >= 0)
			len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? "," : "",
				u[q].cpu);
	return buf;
}

int relay_move_units(unsigned id, const struct relay_dir_cpus dirs[2])
{
	if (id >= relay_max() || !dir_cpus_valid(&dirs[DIR_VF_TO_VM]) ||
		!dir_cpus_valid(&dirs[DIR_VM_TO_VF]))
		return -EINVAL;
	struct relay *r = &relays[id];
	int ret = move_dir(r, DIR_VF_TO_VM, &dirs[DIR_VF_TO_VM]);
	int ret2 = move_dir(r, DIR_VM_TO_VF, &dirs[DIR_VM_TO_VF]);
	char up[4 * RELAY_MAX_QUEUES + 1], down[4 * RELAY_MAX_QUEUES + 1];
	if (ret == 0 && ret2 == 0)
		LOG(INFO, "relay %u: moved; vf_to_vm units on cpus [%s], vm_to_vf on [%s]", id,
			unit_cpus_str(r->vf_to_vm, up, sizeof(up)),
			unit_cpus_str(r->vm_to_vf, down, sizeof(down)));
	return ret < 0 ? ret : ret2;
}

int relay_move(unsigned id, int vf_to_vm_cpu, int vm_to_vf_cpu)
{
	struct relay_dir_cpus dirs[2];
	relay_dir_cpus_whole(&dirs[DIR_VF_TO_VM], vf_to_vm_cpu);
	relay_dir_cpus_whole(&dirs[DIR_VM_TO_VF], vm_to_vf_cpu);
	return relay_move_units(id, dirs);
}

unsigned relay_worker_cpus(unsigned *cpus, unsigned max)
{
	return worker_cpus(cpus, max);
}

int relay_worker_load(unsigned cpu, struct relay_worker_stats *s)
{
	s->tsc_hz = rte_get_tsc_hz();
	return worker_load(cpu, s);
}

/* Add a unit's counters, read while its worker may write them. */
static void add_counters(struct relay_counters *dst, const struct relay_counters *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

static void units_info(const struct relay_unit *u, struct relay_counters *sum,
	struct relay_queue_info *qi, unsigned *n)
{
	*n = 0;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++) {
		add_counters(sum, &u[q].c);
		qi[q].cpu = u[q].cpu;
		/* a unit's counters outlive its placement: rates over a window
		 * in which it was placed again stay right */
		qi[q].pkts_rx = __atomic_load_n(&u[q].c.pkts_rx, __ATOMIC_RELAXED);
		qi[q].bytes_rx = __atomic_load_n(&u[q].c.bytes_rx, __ATOMIC_RELAXED);
		if (u[q].cpu >= 0)
			*n = q + 1;
	}
}

int relay_get_info(unsigned id, struct relay_info *info)
{
	if (id >= relay_max())
		return -EINVAL;
	const struct relay *r = &relays[id];
	memset(info, 0, sizeof(*info));
	info->id = id;
	info->dpdk_state = r->dpdk_state;
	info->virtio_state = r->virtio_state;
	info->active = r->dpdk_state == DPDK_READY && r->virtio_state == VIRTIO_READY;
	info->vf_to_vm_cpu = r->vf_to_vm[0].cpu >= 0 ? r->vf_to_vm[0].cpu :
		r->dpdk_state != DPDK_UNINIT ? r->vf_to_vm[0].planned_cpu : -1;
	info->vm_to_vf_cpu = r->vm_to_vf[0].cpu;
	info->vf_name = r->vf_name;
	info->socket_path = r->socket_path;
	info->socket_id = r->pool != NULL && r->pool->socket_id >= 0 ? (uint32_t)r->pool->socket_id :
									   UINT32_MAX;
	units_info(r->vf_to_vm, &info->vf_to_vm, info->vf_to_vm_q, &info->n_vf_to_vm_queues);
	units_info(r->vm_to_vf, &info->vm_to_vf, info->vm_to_vf_q, &info->n_vm_to_vf_queues);
	info->vf_queues = r->dpdk_state != DPDK_UNINIT ? r->vf_queues : 0;
	info->guest_queue_pairs = r->virtio_state == VIRTIO_READY ? r->guest_pairs : 0;
	info->guest_rxq_enabled = atomic_load_explicit(&r->gq.rx_enabled, memory_order_relaxed);
	pthread_mutex_lock(&relay_registry_lock);
	info->guest_txq_enabled = r->guest_txq_enabled;
	pthread_mutex_unlock(&relay_registry_lock);
	vf_events_info(r, info);
	return 0;
}

void relay_pool_usage(unsigned *in_use, unsigned *capacity)
{
	pool_usage(in_use, capacity);
}

void relay_fini(void)
{
	for (unsigned i = 0; i < relay_max(); i++) {
		if (relays[i].socket_path != NULL)
			relay_remove_socket(i, NULL);
		vm_down(&relays[i]); /* a VM whose socket is gone */
		relay_detach_vf(i, NULL, true, NULL);
	}
	vf_events_fini();
	worker_fini();
	pool_gso_fini();
	unsigned in_use, cap;
	pool_usage(&in_use, &cap);
	if (in_use > 0)
		LOG(ERR, "%u mbufs not returned to the pools at exit", in_use);
	if (event_fd >= 0)
		close(event_fd);
	event_fd = -1;
	rte_ring_free(events);
	events = NULL;
}

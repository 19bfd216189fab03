/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay table and its state machine: a relay's VF half (DPDK_*) and
 * VM half (VIRTIO_*), what moves them (the API of relay.h, and the events
 * other threads post), and the one place that takes a forwarding relay
 * down for a change and brings it back (reconfigure). Everything here runs
 * on the control thread, one operation at a time; workers only see units
 * published to their plans (unit_place.c), vhost callbacks only the
 * registry fields (vm.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_vhost.h>

#include "datapath.h"
#include "pool.h"
#include "relay_events.h"
#include "relay_int.h"
#include "relay_log.h"
#include "unit_place.h"
#include "vf.h"
#include "vf_events.h"
#include "vm.h"
#include "worker.h"

static RTE_LOG_REGISTER(logtype, vfwd.relay, INFO);

static struct relay relays[RTE_MAX_ETHPORTS];
struct vfwd_mutex relay_registry_lock = VFWD_MUTEX_INITIALIZER;
struct relay_params relay_cfg;

unsigned relay_max(void)
{
	return RTE_MAX_ETHPORTS;
}

struct relay *relay_by_id(unsigned id)
{
	return id < relay_max() ? &relays[id] : NULL;
}

struct relay *relay_by_socket(const char *path)
{
	for (unsigned i = 0; i < relay_max(); i++)
		if (relays[i].socket_path != NULL && strcmp(relays[i].socket_path, path) == 0)
			return &relays[i];
	return NULL;
}

struct relay *relay_by_pending_vid(int vid)
{
	if (vid < 0)
		return NULL; /* -1 is "no device", not a device */
	for (unsigned i = 0; i < relay_max(); i++)
		if (relays[i].pending_vid == vid)
			return &relays[i];
	return NULL;
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
		r->vid = -1;
		vfwd_lock(&relay_registry_lock); /* no vhost thread yet; says who guards them */
		r->pending_vid = r->queues_vid = -1;
		vfwd_unlock(&relay_registry_lock);
		atomic_init(&r->gq.rx_enabled, 0);
		for (uint16_t q = 0; q < RELAY_MAX_QUEUES; q++) {
			init_unit(r, &r->vf_to_vm[q], DIR_VF_TO_VM, q);
			init_unit(r, &r->vm_to_vf[q], DIR_VM_TO_VF, q);
		}
	}
	units_init_pins(p);
	relay_cfg.pin_vf_to_vm = relay_cfg.pin_vm_to_vf = NULL; /* unit_place.c keeps them */
	int ret = relay_events_init();
	if (ret < 0)
		return ret;
	ret = worker_init(&relay_cfg);
	return ret < 0 ? ret : vf_events_init();
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

static void set_vf_port(struct relay *r, int port)
{
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++) {
		atomic_store_explicit(&r->vf_to_vm[q].vf_port, port, memory_order_release);
		atomic_store_explicit(&r->vm_to_vf[q].vf_port, port, memory_order_release);
	}
	worker_fds_changed();
}

/* ADDED + VM READY -> READY: give the VF as many queues as the guest's
 * pairs (within limits), start it and let the units use it. */
static int start_forwarding(struct relay *r, struct relay_fault *f)
{
	uint16_t want = wanted_queues(r);
	struct rte_mempool *old_pool = NULL;
	if (want > r->pool_queues) {
		/* VM->VF units dequeue into the pool: off their workers first
		 * (published again below) */
		units_unpublish(r, DIR_VM_TO_VF);
		old_pool = relay_pool_grow(r, want);
	}
	if (want > r->pool_queues && old_pool == NULL) {
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
	relay_gso_prepare(r);
	/* VM->VF units placed without a VF (one per guest pair) must not see
	 * the port: they would send on queues it does not have */
	units_unpublish(r, DIR_VM_TO_VF);
	set_vf_port(r, r->port_id);
	r->dpdk_state = DPDK_READY;
	if (units_publish(r, DIR_VF_TO_VM, r->vf_queues, vf_socket(r->port_id)) < 0 ||
		units_republish_vm_to_vf(r) < 0) {
		units_unpublish(r, DIR_VF_TO_VM);
		r->dpdk_state = DPDK_ADDED;
		set_vf_port(r, -1);
		units_republish_vm_to_vf(r);
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
	units_unpublish(r, DIR_VF_TO_VM); /* also the grace period for vm_to_vf */
	for (uint16_t q = 0; q < r->vf_queues; q++)
		fwd_drain_vf(&r->vf_to_vm[q], r->port_id);
	vf_stop(r->port_id);
	r->dpdk_state = DPDK_ADDED;
}

/* The one place a relay is taken down for a change and brought back
 * (OVS's "reconfigure"): a forwarding relay stops; change (if any) is
 * applied to port; then the relay forwards again if both halves are there
 * (its VF gets as many queues as the guest has pairs meanwhile), else its
 * VM->VF units are placed again for what is left. A change that fails
 * leaves the VF stopped (DPDK_ADDED): what the guest sends is dropped as
 * not connected until the VF is removed and added again. */
static void reconfigure(struct relay *r, int (*change)(struct relay *, uint16_t), uint16_t port,
	const char *why)
{
	if (r->dpdk_state == DPDK_READY)
		stop_forwarding(r);
	if (change != NULL && change(r, port) < 0) {
		/* the VF went with the change, or stays stopped (logged) */
		if (r->dpdk_state != DPDK_UNINIT)
			vf_events_link_refresh(r, false);
		return;
	}
	if (r->dpdk_state == DPDK_ADDED && r->virtio_state == VIRTIO_READY) {
		if (start_forwarding(r, NULL) == 0) {
			LOG(INFO, "relay %u: forwarding again after %s", r->id, why);
		} else {
			LOG(ERR, "relay %u: vf did not start after %s", r->id, why);
			units_republish_vm_to_vf(r); /* one unit per guest queue, dropping */
		}
	} else if (r->virtio_state == VIRTIO_READY) {
		units_republish_vm_to_vf(r);
	}
	if (r->dpdk_state != DPDK_UNINIT)
		vf_events_link_refresh(r, false);
}

/* The relay whose VF is port, or whose bond has port as a member. */
static struct relay *relay_of_port(uint16_t port, bool *member)
{
	uint16_t m[RTE_MAX_ETHPORTS];
	for (unsigned i = 0; i < relay_max(); i++) {
		struct relay *r = &relays[i];
		if (r->dpdk_state == DPDK_UNINIT)
			continue;
		*member = false;
		if (r->port_id == port)
			return r;
		int n = vf_bond_members(r->port_id, m);
		*member = true;
		for (int k = 0; k < n; k++)
			if (m[k] == port)
				return r;
	}
	return NULL;
}

/* The common tail of attaching a VF or a bond already probed as port. */
static int attach_port(struct relay *r, uint16_t port, const char *name, struct relay_fault *f)
{
	r->vf_max_queues = vf_max_queues(port);
	/* sized for the queues known now: the VM's, or one while only the
	 * VF is there; start_forwarding grows it when needed */
	uint16_t pool_queues = r->guest_pairs > 0 ? wanted_queues(r) : 1;
	if (relay_pool_ensure(r, vf_socket(port), pool_queues) < 0) {
		vf_remove_any(port);
		return fault(f, STEP_POOL_CREATE, -ENOMEM);
	}
	/* as many queues as the pool holds now: start_forwarding grows both */
	struct vf_setup vs = {.queues = RTE_MIN(wanted_queues(r), r->pool_queues)};
	int ret = vf_configure(port, r->pool, &vs, f);
	if (ret < 0 || (r->vf_name = strdup(name)) == NULL) {
		vf_remove_any(port);
		r->vf_max_queues = 0;
		relay_pool_release_if_unused(r);
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
		units_republish_vm_to_vf(r); /* the guest's TX rings are drained again */
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
		units_republish_vm_to_vf(r); /* one unit per guest queue, dropping */
	relay_pool_release_if_unused(r);
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
	if (relay_pool_ensure(r, numa, wanted_queues(r)) < 0) {
		LOG(ERR, "relay %u: no pool for the vm; not forwarding", r->id);
		return;
	}
	r->virtio_state = VIRTIO_READY;
	if (r->dpdk_state == DPDK_ADDED) {
		if (start_forwarding(r, NULL) < 0 && units_republish_vm_to_vf(r) < 0)
			goto no_worker;
	} else if (units_republish_vm_to_vf(r) < 0) {
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
	units_unpublish(r, DIR_VM_TO_VF);
	r->vid = -1;
	r->guest_pairs = 0;
	r->virtio_state = VIRTIO_UNINIT;
	relay_pool_release_if_unused(r);
}

/* The guest's queue count changed after it connected (its rings came
 * one by one): give the relay as many units and VF queues again. */
static void vm_queues(struct relay *r, uint64_t seq)
{
	if (r->virtio_state != VIRTIO_READY || r->vid < 0 || seq != r->conn_seq_seen)
		return;
	/* the device may be destroyed meanwhile (its event still queued):
	 * read its rings only while the registry says it is current */
	vfwd_lock(&relay_registry_lock);
	bool current = r->conn_seq == seq && r->pending_vid == r->vid;
	unsigned rings = current ? rte_vhost_get_vring_num(r->vid) : 0;
	vfwd_unlock(&relay_registry_lock);
	if (!current)
		return;
	uint16_t pairs = (uint16_t)RTE_MIN(RTE_MAX(rings / 2, 1u), (unsigned)RELAY_MAX_QUEUES);
	if (pairs == r->guest_pairs)
		return;
	LOG(INFO, "relay %u: guest now has %u queue pairs (was %u)", r->id, pairs, r->guest_pairs);
	r->guest_pairs = pairs;
	reconfigure(r, NULL, 0, "the guest's queue change");
}

/* RESET of the VF: reset the stopped port, configure it as before. */
static int reset_vf(struct relay *r, uint16_t port)
{
	LOG(WARNING, "relay %u: vf %s asks for a reset: resetting it", r->id, r->vf_name);
	struct vf_setup vs = {.queues = r->vf_queues};
	if (vf_reset(port) < 0 || vf_configure(port, r->pool, &vs, NULL) < 0) {
		LOG(ERR, "relay %u: vf not configured after its reset; stays DPDK_ADDED (REMOVE "
			"and ADD it again)", r->id);
		return -EIO;
	}
	r->vf_queues = vs.queues;
	r->vf_mtu = vs.mtu;
	r->vf_tx_capa = vs.tx_capa;
	return 0;
}

/* RESET of a bond member: the bond configures its members again when it
 * starts. */
static int reset_member(struct relay *r, uint16_t member)
{
	LOG(WARNING, "relay %u: bond member port %u asks for a reset: restarting the bond", r->id,
		member);
	vf_reset(member);
	return 0;
}

/* RMV of a bond member: out of the bond, which carries on with the rest;
 * the last one gone takes the bond with it (-ENODEV). */
static int remove_member(struct relay *r, uint16_t member)
{
	int left = vf_bond_member_remove(r->port_id, member);
	vf_events_member_gone(member);
	if (left == 0) {
		LOG(WARNING, "relay %u: last member of bond %s removed by its device: detaching "
			"the bond", r->id, r->vf_name);
		relay_detach_vf(r->id, NULL, true, NULL);
		return -ENODEV;
	}
	LOG(WARNING, "relay %u: bond member port %u removed by its device; %d left", r->id, member,
		left);
	return 0;
}

/* An ethdev event of a relay's VF or bond member (vf_events.c says which
 * port; stale events are dropped there). */
static void vf_event(enum relay_event_type type, uint64_t seq)
{
	if (type == EV_VF_WATCH) {
		for (unsigned i = 0; i < relay_max(); i++)
			if (relays[i].dpdk_state != DPDK_UNINIT)
				vf_events_link_refresh(&relays[i], false);
		return;
	}
	uint16_t port;
	bool member;
	struct relay *r;
	if (!vf_events_port(seq, &port) || (r = relay_of_port(port, &member)) == NULL)
		return; /* not ours (a member being probed, a test's VM port) */
	if (type == EV_VF_LSC) {
		vf_events_link_refresh(r, false);
	} else if (type == EV_VF_RESET) {
		r->vf_resets++;
		reconfigure(r, member ? reset_member : reset_vf, port, "its reset");
	} else if (type == EV_VF_RMV) {
		r->vf_removals++;
		if (member) {
			reconfigure(r, remove_member, port, "a member's removal");
		} else {
			LOG(WARNING, "relay %u: vf %s removed by its device: detaching it", r->id,
				r->vf_name);
			relay_detach_vf(r->id, NULL, true, NULL);
		}
	}
}

/* A worker backed off guest vring qid (stall.c): said once per guest
 * connection, as a hostile guest could stall and unstall at will; the
 * stalled_queue counter has every one. */
static void vm_stalled(struct relay *r, unsigned qid)
{
	if (r->stall_logged_seq == r->conn_seq_seen + 1)
		return;
	r->stall_logged_seq = r->conn_seq_seen + 1;
	LOG(WARNING,
		"relay %u: guest TX queue %u keeps entries the vhost library refuses "
		"(a malformed descriptor chain): retried after %u ms, doubling up to %u ms "
		"while it refuses; counted in vm_to_vf.stalled_queue, said once per guest "
		"connection", r->id, qid / 2, RELAY_STALL_MIN_US / 1000, RELAY_STALL_MAX_US / 1000);
}

void relay_process_events(void)
{
	struct relay_event ev;
	while (relay_event_next(&ev)) {
		if (ev.type >= EV_VF_LSC) {
			vf_event(ev.type, ev.seq);
			continue;
		}
		if (ev.relay_id >= relay_max())
			continue;
		struct relay *r = &relays[ev.relay_id];
		if (ev.type == EV_VM_NEW)
			vm_up(r, ev.seq);
		else if (ev.type == EV_VM_QUEUES)
			vm_queues(r, ev.seq);
		else if (ev.type == EV_VM_STALL)
			vm_stalled(r, (unsigned)ev.seq);
		else
			vm_down(r);
	}
}

int relay_add_socket(unsigned id, const char *path, struct relay_fault *f)
{
	return relay_add_socket_mode(id, path, RELAY_VHOST_DEFAULT, f);
}

int relay_add_socket_mode(unsigned id, const char *path, enum relay_vhost_mode mode,
	struct relay_fault *f)
{
	bool client = mode == RELAY_VHOST_DEFAULT ? relay_cfg.vhost_client : mode == RELAY_VHOST_CLIENT;
	if (id >= relay_max())
		return fault(f, STEP_RELAY_ID, -EINVAL);
	struct relay *r = &relays[id];
	if (r->socket_path != NULL)
		return fault(f, STEP_RELAY_HAS_SOCKET, -EBUSY);
	char *copy = strdup(path);
	if (copy == NULL)
		return fault(f, STEP_NO_MEMORY, -ENOMEM);
	vfwd_lock(&relay_registry_lock);
	if (relay_by_socket(path) != NULL) {
		vfwd_unlock(&relay_registry_lock);
		free(copy);
		return fault(f, STEP_SOCKET_IN_USE, -EEXIST);
	}
	r->socket_path = copy; /* before registering: new_device looks it up */
	r->socket_client = client;
	vfwd_unlock(&relay_registry_lock);
	struct relay_fault vf = {0};
	int ret = vm_register(path, client, &vf);
	if (ret < 0) {
		vfwd_lock(&relay_registry_lock);
		r->socket_path = NULL;
		vfwd_unlock(&relay_registry_lock);
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
	int ret = vm_unregister(r->socket_path, r->socket_client);
	relay_process_events();
	vfwd_lock(&relay_registry_lock);
	char *path = r->socket_path;
	r->socket_path = NULL;
	vfwd_unlock(&relay_registry_lock);
	free(path);
	return ret < 0 ? fault(f, STEP_VHOST_UNREGISTER, -EIO) : 0;
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
	relay_events_fini();
}

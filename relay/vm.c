/* SPDX-License-Identifier: BSD-3-Clause */
/* The VM half: vhost-user sockets and the callbacks librte_vhost runs on
 * its own thread. Callbacks do only what must be synchronous (publish or
 * withdraw the device id) and post the rest to the control thread. */
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <rte_vhost.h>

#include "relay_log.h"
#include "relay_int.h"
#include "relay_events.h"
#include "vm.h"
#include "worker.h"

static RTE_LOG_REGISTER(logtype, vfwd.vm, INFO);

static void set_vid(struct relay *r, int vid)
{
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++) {
		atomic_store_explicit(&r->vf_to_vm[q].vid, vid, memory_order_release);
		atomic_store_explicit(&r->vm_to_vf[q].vid, vid, memory_order_release);
	}
	worker_fds_changed();
}

/* The guest's rings are gone (or belong to an older connection). Registry
 * lock held. */
static void forget_queues(struct relay *r) REQUIRES(relay_registry_lock)
{
	atomic_store_explicit(&r->gq.rx_enabled, 0, memory_order_release);
	r->guest_txq_enabled = 0;
	r->queues_vid = -1;
}

static int new_device(int vid)
{
	char path[PATH_MAX];
	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return -1;
	/* poll mode: the guest need not kick us */
	for (uint16_t q = 0; q < rte_vhost_get_vring_num(vid); q++)
		rte_vhost_enable_guest_notification(vid, q, 0);

	vfwd_lock(&relay_registry_lock);
	struct relay *r = relay_by_socket(path);
	if (r == NULL || r->pending_vid >= 0) {
		vfwd_unlock(&relay_registry_lock);
		LOG(ERR, "vm %s: %s", path,
			r == NULL ? "no relay owns this socket" : "relay already has a VM; refused");
		return -1;
	}
	uint16_t pairs = rte_vhost_get_vring_num(vid) / 2;
	r->pending_vid = vid;
	uint64_t seq = ++r->conn_seq;
	unsigned id = r->id;
	vfwd_unlock(&relay_registry_lock);
	LOG(INFO, "relay %u: vm connected on %s (vid %d, %u queue pairs)", id, path, vid,
		pairs);
	relay_post_event(EV_VM_NEW, id, seq);
	return 0;
}

static void destroy_device(int vid)
{
	vfwd_lock(&relay_registry_lock);
	struct relay *r = relay_by_pending_vid(vid);
	if (r == NULL) {
		vfwd_unlock(&relay_registry_lock);
		return;
	}
	r->pending_vid = -1;
	set_vid(r, -1);
	forget_queues(r);
	uint64_t seq = ++r->conn_seq;
	unsigned id = r->id;
	vfwd_unlock(&relay_registry_lock);
	/* librte_vhost frees the rings when we return: no worker may still
	 * be inside a burst that loaded the old id */
	worker_synchronize();
	vm_log_rings(vid);
	LOG(INFO, "relay %u: vm disconnected (vid %d)", id, vid);
	relay_post_event(EV_VM_DESTROY, id, seq);
}

/* A guest (re)enabled or disabled a ring (ethtool -L in the guest, or its
 * rings coming up one by one), or replaced its kick fd. VF->VM units read
 * the RX mask at their next pass; the control thread checks whether the
 * number of queue pairs changed; sleeping workers listen to new fds. */
static int vring_state_changed(int vid, uint16_t queue_id, int enable)
{
	char path[PATH_MAX];
	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return 0;
	vfwd_lock(&relay_registry_lock);
	struct relay *r = relay_by_socket(path);
	/* a second device on the socket (refused by new_device) must not
	 * touch the connected one's queues */
	if (r == NULL || queue_id / 2 >= RELAY_MAX_QUEUES ||
		(r->pending_vid >= 0 && r->pending_vid != vid)) {
		vfwd_unlock(&relay_registry_lock);
		return 0;
	}
	if (r->queues_vid != vid) { /* rings of a new connection */
		forget_queues(r);
		r->queues_vid = vid;
	}
	uint32_t bit = 1u << (queue_id / 2);
	if (queue_id % 2 == 0) { /* guest RX: where we enqueue */
		uint32_t m = atomic_load_explicit(&r->gq.rx_enabled, memory_order_relaxed);
		atomic_store_explicit(&r->gq.rx_enabled, enable ? m | bit : m & ~bit,
			memory_order_release);
	} else {
		r->guest_txq_enabled = enable ? r->guest_txq_enabled | bit :
						r->guest_txq_enabled & ~bit;
	}
	uint64_t seq = r->conn_seq;
	unsigned id = r->id;
	bool connected = r->pending_vid == vid;
	vfwd_unlock(&relay_registry_lock);
	LOG(DEBUG, "relay %u: vring %u %s", id, queue_id, enable ? "enabled" : "disabled");
	if (connected)
		relay_post_event(EV_VM_QUEUES, id, seq);
	worker_fds_changed();
	return 0;
}

static const struct rte_vhost_device_ops vm_ops = {
	.new_device = new_device,
	.destroy_device = destroy_device,
	.vring_state_changed = vring_state_changed,
};

/* Store the vid published by new_device into the relay, if that device is
 * still the current one. Called by relay.c on the control thread. */
bool vm_take_vid(struct relay *r, uint64_t seq)
{
	bool current;
	vfwd_lock(&relay_registry_lock);
	current = r->conn_seq == seq && r->pending_vid >= 0;
	if (current) {
		r->vid = r->pending_vid;
		r->conn_seq_seen = seq;
		set_vid(r, r->vid);
	}
	vfwd_unlock(&relay_registry_lock);
	return current;
}

int vm_register(const char *path, bool client, struct relay_fault *f)
{
	uint64_t flags = client ? RTE_VHOST_USER_CLIENT : 0;
	/* A guest TX frame lands in one mbuf, or (TSO) one buffer librte_vhost
	 * allocates to its size, at most ~64 KB: a longer chain (a guest can
	 * claim megabytes by aliasing one buffer) is dropped before any copy
	 * instead of copied whole on the worker. Without TSO a frame over the
	 * mbuf's room is over the MTU anyway: no allocation on the data path. */
	flags |= RTE_VHOST_USER_LINEARBUF_SUPPORT;
	if (relay_cfg.enable_tso)
		flags |= RTE_VHOST_USER_EXTBUF_SUPPORT;
	/* vIOMMU guests; the per-ring statistics tell an IOTLB miss from a
	 * full ring when a stash to the guest expires (fwd.c) */
	if (relay_cfg.vhost_iommu)
		flags |= RTE_VHOST_USER_IOMMU_SUPPORT | RTE_VHOST_USER_NET_STATS_ENABLE;
	uint64_t off = (1ULL << VIRTIO_NET_F_CTRL_RX);
	struct stat st;
	int ret;

	f->step = STEP_VHOST_REGISTER;
	if (!client && lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			LOG(ERR, "vm %s: exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path); /* stale socket of an earlier run */
	}
	if (!relay_cfg.enable_mrgbuf)
		off |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	/* IPv6 TSO is not offered: a VF without TSO would need software
	 * segmentation librte_gso (22.11) does not have, and the VF is not
	 * known when the guest negotiates; the guest segments IPv6 itself */
	off |= (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_UFO);
	if (!relay_cfg.enable_tso)
		off |= 1ULL << VIRTIO_NET_F_HOST_TSO4;
	if ((ret = rte_vhost_driver_register(path, flags)) < 0) {
		LOG(ERR, "vm %s: rte_vhost_driver_register failed", path);
		return -EIO;
	}
	if (rte_vhost_driver_disable_features(path, off) < 0 ||
		rte_vhost_driver_callback_register(path, &vm_ops) < 0) {
		rte_vhost_driver_unregister(path);
		return -EIO;
	}
	if (rte_vhost_driver_start(path) < 0) {
		f->step = STEP_VHOST_START;
		LOG(ERR, "vm %s: rte_vhost_driver_start failed", path);
		rte_vhost_driver_unregister(path);
		return -EIO;
	}
	if (!client &&
		(relay_cfg.socket_uid != (uid_t)-1 || relay_cfg.socket_gid != (gid_t)-1) &&
		chown(path, relay_cfg.socket_uid, relay_cfg.socket_gid) < 0)
		LOG(WARNING, "vm %s: chown: %s", path, strerror(errno));
	LOG(INFO, "vm %s: registered (%s mode)", path, client ? "client" : "server");
	return 0;
}

int vm_unregister(const char *path, bool client)
{
	int ret = rte_vhost_driver_unregister(path);
	if (ret < 0)
		LOG(WARNING, "vm %s: rte_vhost_driver_unregister failed", path);
	if (!client)
		unlink(path);
	return ret;
}

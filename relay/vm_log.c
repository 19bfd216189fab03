/* SPDX-License-Identifier: BSD-3-Clause */
/* Dirty-logging the ring areas librte_vhost 22.11 writes without logging
 * them where they are, so that a live migration carries their last state.
 *
 * Packed rings: the device writes used descriptors back into the
 * descriptor ring, and librte_vhost logs each such write at QEMU's
 * log_guest_addr (the device event area of a packed ring) plus the
 * descriptor's offset, i.e. on other pages: the descriptor ring's own
 * pages are never logged. When the guest CPU did not write such a page
 * again after the device, the destination gets it without the device's
 * last write-backs, its driver waits for descriptors the device already
 * completed, and the guest's NIC stops (measured: docs/live-migration.md).
 * Both ring layouts: rte_vhost_enable_guest_notification (an idle worker
 * asking for kicks) writes the used ring's flags / avail_event, or the
 * device event area, without logging.
 *
 * QEMU stops the device (GET_VRING_BASE, where librte_vhost calls
 * destroy_device) and then syncs the log one last time before the last
 * RAM pass: marking these areas dirty here, on the vhost thread (the one
 * that also handles SET_LOG_BASE, so the log cannot be remapped under
 * us) and after the workers left the device, sends their final contents.
 * rte_vhost_log_write does nothing unless QEMU is logging. */
#include <stdlib.h>

#include <rte_vhost.h>

#include "relay_log.h"
#include "vm.h"

static RTE_LOG_REGISTER(logtype, vfwd.vm, INFO);

/* guest physical address of len bytes at hva, 0 if no one region has them */
static uint64_t gpa_of(const struct rte_vhost_memory *mem, const void *hva, uint64_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)hva;
	for (uint32_t i = 0; i < mem->nregions; i++) {
		const struct rte_vhost_mem_region *r = &mem->regions[i];
		if (a >= r->host_user_addr && a + len <= r->host_user_addr + r->size)
			return r->guest_phys_addr + (a - r->host_user_addr);
	}
	return 0;
}

static void log_area(int vid, const struct rte_vhost_memory *mem, const void *hva, uint64_t len)
{
	uint64_t gpa = hva != NULL ? gpa_of(mem, hva, len) : 0;
	if (gpa != 0)
		rte_vhost_log_write(vid, gpa, len);
}

void vm_log_rings(int vid)
{
	uint64_t features;
	struct rte_vhost_memory *mem = NULL;
	if (rte_vhost_get_negotiated_features(vid, &features) < 0 ||
		!(features & (1ULL << VHOST_F_LOG_ALL)))
		return; /* not migrating */
	if (rte_vhost_get_mem_table(vid, &mem) < 0)
		return;
	bool packed = features & (1ULL << VIRTIO_F_RING_PACKED);
	unsigned logged = 0;
	for (uint16_t q = 0; q < rte_vhost_get_vring_num(vid); q++) {
		struct rte_vhost_vring vr;
		if (rte_vhost_get_vhost_vring(vid, q, &vr) < 0 || vr.size == 0)
			continue;
		if (packed) {
			log_area(vid, mem, vr.desc_packed, sizeof(struct vring_packed_desc) * vr.size);
			log_area(vid, mem, vr.device_event, sizeof(struct vring_packed_desc_event));
		} else {
			/* flags, idx, ring[size], avail_event */
			log_area(vid, mem, vr.used,
				sizeof(struct vring_used) + sizeof(struct vring_used_elem) * vr.size +
					sizeof(uint16_t));
		}
		logged++;
	}
	free(mem);
	LOG(DEBUG, "vid %d: %u %s rings marked dirty for the migration's last pass", vid, logged,
		packed ? "packed" : "split");
}

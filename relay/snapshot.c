/* SPDX-License-Identifier: BSD-3-Clause */
/* What relay.h's readers see of the data plane: a relay's state, counters
 * (summed over its units while their workers write them), queues and VF
 * events, and the workers' load. Control thread (or the telemetry thread
 * under the control lock). */
#include <string.h>

#include <rte_cycles.h>

#include "pool.h"
#include "relay_int.h"
#include "vf_events.h"
#include "worker.h"

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
	const struct relay *r = relay_by_id(id);
	if (r == NULL)
		return -EINVAL;
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
	info->socket_client = r->socket_path != NULL && r->socket_client;
	info->socket_id = r->pool != NULL && r->pool->socket_id >= 0 ? (uint32_t)r->pool->socket_id :
									   UINT32_MAX;
	units_info(r->vf_to_vm, &info->vf_to_vm, info->vf_to_vm_q, &info->n_vf_to_vm_queues);
	units_info(r->vm_to_vf, &info->vm_to_vf, info->vm_to_vf_q, &info->n_vm_to_vf_queues);
	info->vf_queues = r->dpdk_state != DPDK_UNINIT ? r->vf_queues : 0;
	info->guest_queue_pairs = r->virtio_state == VIRTIO_READY ? r->guest_pairs : 0;
	info->guest_rxq_enabled = atomic_load_explicit(&r->gq.rx_enabled, memory_order_relaxed);
	vfwd_lock(&relay_registry_lock);
	info->guest_txq_enabled = r->guest_txq_enabled;
	vfwd_unlock(&relay_registry_lock);
	vf_events_info(r, info);
	if (relay_cfg.log_suppressed != NULL && r->socket_path != NULL)
		info->log_suppressed = relay_cfg.log_suppressed(r->socket_path);
	return 0;
}

void relay_pool_usage(unsigned *in_use, unsigned *capacity)
{
	pool_usage(in_use, capacity);
}

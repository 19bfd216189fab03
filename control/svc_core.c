/* SPDX-License-Identifier: BSD-3-Clause */
/* core_sched service (reference §3.6): list the worker CPUs, move relay
 * directions between them, and (extension) single queue units. Unlike the
 * original, UPDATE checks every entry (relay id, CPUs in the worker set,
 * queues) before moving anything. */
#include <stdlib.h>

#include "clog.h"
#include "errcodes.h"
#include "svc.h"
#include "virtioforwarder.pb-c.h"

typedef Virtioforwarder__CoreSchedResponse Response;
typedef Virtioforwarder__CoreSchedRequest__RelayCPU RelayCPU;

static void reply_error(struct buf *reply, int code, const char *source)
{
	Response resp = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__INIT;
	resp.status = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__ERROR;
	resp.has_error_code = true;
	resp.error_code = code;
	resp.error_code_source = (char *)source;
	svc_pack(&resp.base, reply);
}

static bool is_worker(int cpu, const unsigned *cpus, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if ((int)cpus[i] == cpu)
			return true;
	return false;
}

/* One direction's per-queue CPUs (extension) into c; false for a queue out
 * of range or listed twice, or a CPU that is not a worker. */
static bool queue_cpus(Virtioforwarder__QueueCPU *const *list, size_t n, const unsigned *cpus,
	unsigned n_cpus, struct relay_dir_cpus *c)
{
	for (size_t i = 0; i < n; i++) {
		const Virtioforwarder__QueueCPU *e = list[i];
		if (e->queue >= RELAY_MAX_QUEUES || c->queue_cpu[e->queue] >= 0 ||
			!is_worker(e->cpu, cpus, n_cpus)) {
			ctl_log(CLOG_WARNING, "core_sched: bad queue entry %u cpu %d%s", e->queue,
				e->cpu, e->queue < RELAY_MAX_QUEUES && c->queue_cpu[e->queue] >= 0 ?
					" (queue listed twice)" : "");
			return false;
		}
		c->queue_cpu[e->queue] = e->cpu;
	}
	return true;
}

/* An entry as relay_move_units takes it; false if any part is bad. */
static bool placement(const RelayCPU *m, const unsigned *cpus, unsigned n,
	struct relay_dir_cpus dirs[2])
{
	relay_dir_cpus_whole(&dirs[DIR_VF_TO_VM], m->vf2virtio_cpu);
	relay_dir_cpus_whole(&dirs[DIR_VM_TO_VF], m->virtio2vf_cpu);
	if (m->relay_number < 0 || (unsigned)m->relay_number >= relay_max() ||
		!is_worker(m->vf2virtio_cpu, cpus, n) || !is_worker(m->virtio2vf_cpu, cpus, n)) {
		ctl_log(CLOG_WARNING, "core_sched: bad entry relay %d cpus %d,%d", m->relay_number,
			m->vf2virtio_cpu, m->virtio2vf_cpu);
		return false;
	}
	return queue_cpus(m->vf_to_vm_queue, m->n_vf_to_vm_queue, cpus, n, &dirs[DIR_VF_TO_VM]) &&
		queue_cpus(m->vm_to_vf_queue, m->n_vm_to_vf_queue, cpus, n, &dirs[DIR_VM_TO_VF]);
}

static void update(const Virtioforwarder__CoreSchedRequest *r, const unsigned *cpus, unsigned n,
	struct buf *reply)
{
	struct relay_dir_cpus dirs[2];
	if (r->n_relay_cpu_map == 0)
		return reply_error(reply, 22, SRC_MIGRATE);
	for (size_t i = 0; i < r->n_relay_cpu_map; i++)
		if (!placement(r->relay_cpu_map[i], cpus, n, dirs))
			return reply_error(reply, 22, SRC_MIGRATE);
	for (size_t i = 0; i < r->n_relay_cpu_map; i++) {
		placement(r->relay_cpu_map[i], cpus, n, dirs);
		int ret = relay_move_units((unsigned)r->relay_cpu_map[i]->relay_number, dirs);
		if (ret < 0)
			return reply_error(reply, -ret, SRC_MIGRATE);
	}
	Response resp = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__INIT;
	resp.status = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK;
	svc_pack(&resp.base, reply);
}

void svc_core_handle(const uint8_t *req, size_t len, struct buf *reply)
{
	Virtioforwarder__CoreSchedRequest *r =
		virtioforwarder__core_sched_request__unpack(NULL, len, req);
	if (r == NULL) {
		ctl_log(CLOG_WARNING, "core_sched: unparseable request (%zu bytes)", len);
		return svc_error_reply(SVC_CORE, reply);
	}
	unsigned cpus[1024];
	unsigned n = relay_worker_cpus(cpus, 1024);
	switch (r->op) {
	case VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES: {
		if (n == 0) {
			reply_error(reply, 1, SRC_WORKERS);
			break;
		}
		Response resp = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__INIT;
		uint32_t list[1024];
		for (unsigned i = 0; i < n; i++)
			list[i] = cpus[i];
		resp.status = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK;
		resp.n_eal_cores = n;
		resp.eal_cores = list;
		svc_pack(&resp.base, reply);
		break;
	}
	case VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE:
		update(r, cpus, n, reply);
		break;
	default:
		svc_error_reply(SVC_CORE, reply);
		break;
	}
	virtioforwarder__core_sched_request__free_unpacked(r, NULL);
}

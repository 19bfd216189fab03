/* SPDX-License-Identifier: BSD-3-Clause */
/* core_sched service (reference §3.6): list the worker CPUs, move relay
 * directions between them. Unlike the original, UPDATE checks every entry
 * (relay id, CPUs in the worker set) before moving anything. */
#include <stdlib.h>

#include "clog.h"
#include "errcodes.h"
#include "svc.h"
#include "virtioforwarder.pb-c.h"

typedef Virtioforwarder__CoreSchedResponse Response;

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

static void update(const Virtioforwarder__CoreSchedRequest *r, const unsigned *cpus, unsigned n,
	struct buf *reply)
{
	if (r->n_relay_cpu_map == 0)
		return reply_error(reply, 22, SRC_MIGRATE);
	for (size_t i = 0; i < r->n_relay_cpu_map; i++) {
		const Virtioforwarder__CoreSchedRequest__RelayCPU *m = r->relay_cpu_map[i];
		if (m->relay_number < 0 || (unsigned)m->relay_number >= relay_max() ||
			!is_worker(m->vf2virtio_cpu, cpus, n) || !is_worker(m->virtio2vf_cpu, cpus, n)) {
			ctl_log(CLOG_WARNING, "core_sched: bad entry relay %d cpus %d,%d",
				m->relay_number, m->vf2virtio_cpu, m->virtio2vf_cpu);
			return reply_error(reply, 22, SRC_MIGRATE);
		}
	}
	for (size_t i = 0; i < r->n_relay_cpu_map; i++) {
		const Virtioforwarder__CoreSchedRequest__RelayCPU *m = r->relay_cpu_map[i];
		int ret = relay_move((unsigned)m->relay_number, m->vf2virtio_cpu, m->virtio2vf_cpu);
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

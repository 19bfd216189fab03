/* SPDX-License-Identifier: BSD-3-Clause */
/* stats service (reference §3.4): field presence per state as the
 * original, rates over the request's own delay window from two snapshots
 * kept in the request (no shared global snapshot: concurrent clients
 * cannot disturb each other's rates). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clog.h"
#include "svc.h"
#include "virtioforwarder.pb-c.h"

typedef Virtioforwarder__RelayState RelayState;

/* One relay's counters at the start of the window, [DIR_VF_TO_VM] and
 * [DIR_VM_TO_VF]: the directions' and each queue unit's. */
struct relay_snapshot {
	struct relay_counters dir[2];
	struct relay_queue_info q[2][RELAY_MAX_QUEUES];
};

struct stats_pending {
	Virtioforwarder__StatsRequest *req;
	bool include_inactive;
	unsigned delay_ms;
	struct timespec t0;
	struct relay_snapshot before[]; /* [relay] */
};

/* everything one RelayState points to, freed in one go */
struct relay_msg {
	RelayState rs;
	Virtioforwarder__RelayState__CPU cpu;
	Virtioforwarder__RelayState__VHOST vhost;
	Virtioforwarder__RelayState__VF vf;
	Virtioforwarder__RelayState__VFtoVM up;
	Virtioforwarder__RelayState__VMtoVF down;
	Virtioforwarder__RelayQueue up_q[RELAY_MAX_QUEUES], down_q[RELAY_MAX_QUEUES];
	Virtioforwarder__RelayQueue *up_qp[RELAY_MAX_QUEUES], *down_qp[RELAY_MAX_QUEUES];
};

static float rate(uint64_t now, uint64_t before, double secs)
{
	return secs > 0 && now >= before ? (float)((double)(now - before) / secs) : 0.0f;
}

#define SET(msg, field, value) ((msg)->has_##field = true, (msg)->field = (value))

/* The per-unit entries of a direction (extension field), their rates from
 * the window's first snapshot b. */
static size_t queues(Virtioforwarder__RelayQueue *q, Virtioforwarder__RelayQueue **qp,
	const struct relay_queue_info *qi, unsigned n, const struct relay_queue_info *b,
	double secs)
{
	for (unsigned i = 0; i < n; i++) {
		virtioforwarder__relay_queue__init(&q[i]);
		q[i].queue = i;
		q[i].cpu = qi[i].cpu;
		q[i].pkts = qi[i].pkts_rx;
		SET(&q[i], pkt_rate, rate(qi[i].pkts_rx, b[i].pkts_rx, secs));
		SET(&q[i], byte_rate, rate(qi[i].bytes_rx, b[i].bytes_rx, secs));
		qp[i] = &q[i];
	}
	return n;
}

static void reply_status(struct buf *reply, Virtioforwarder__StatsResponse__Status status)
{
	Virtioforwarder__StatsResponse r = VIRTIOFORWARDER__STATS_RESPONSE__INIT;
	r.status = status;
	svc_pack(&r.base, reply);
}

static void fill(struct relay_msg *m, const struct relay_info *ri, const struct relay_snapshot *snap,
	double secs)
{
	const struct relay_counters *b = snap->dir;
	const struct relay_counters *u = &ri->vf_to_vm, *d = &ri->vm_to_vf;
	bool vf_active = ri->dpdk_state == DPDK_ADDED || ri->dpdk_state == DPDK_READY;
	bool vm_active = ri->virtio_state == VIRTIO_READY;

	virtioforwarder__relay_state__init(&m->rs);
	virtioforwarder__relay_state__cpu__init(&m->cpu);
	virtioforwarder__relay_state__vhost__init(&m->vhost);
	virtioforwarder__relay_state__vf__init(&m->vf);
	virtioforwarder__relay_state__vfto_vm__init(&m->up);
	virtioforwarder__relay_state__vmto_vf__init(&m->down);
	m->rs.id = ri->id;
	m->rs.active = ri->active;
	m->rs.socket_id = ri->socket_id;
	m->rs.vhost = &m->vhost;
	m->vhost.vhost_socket_name = (char *)(ri->socket_path != NULL ? ri->socket_path : "NONE");
	m->rs.vf_to_vm = &m->up;
	m->rs.vm_to_vf = &m->down;

	m->up.active = vf_active;
	m->up.internal_state = (char *)relay_dpdk_state_str(ri->dpdk_state);
	if (vf_active) {
#define SET_UP(field, up_name, down_name, family, reason, help) SET(&m->up, up_name, u->field);
		RELAY_COUNTERS(SET_UP)
#undef SET_UP
		m->up.pkt_rate_rx_from_vf = rate(u->pkts_rx, b[0].pkts_rx, secs);
		m->up.byte_rate_rx_from_vf = rate(u->bytes_rx, b[0].bytes_rx, secs);
		m->up.pkt_rate_tx_to_vm = rate(u->pkts_tx, b[0].pkts_tx, secs);
		m->up.byte_rate_tx_to_vm = rate(u->bytes_tx, b[0].bytes_tx, secs);
		m->up.n_queue = queues(m->up_q, m->up_qp, ri->vf_to_vm_q, ri->n_vf_to_vm_queues,
			snap->q[DIR_VF_TO_VM], secs);
		m->up.queue = m->up_qp;
		SET(&m->rs, vf_queues, ri->vf_queues);
		m->vf.pci_addr_str = (char *)ri->vf_name;
		m->vf.link = (char *)(ri->vf_link_up ? "up" : "down");
		SET(&m->vf, link_speed, ri->vf_link_speed);
		SET(&m->vf, rx_missed, ri->vf_rx_missed);
		SET(&m->vf, rx_nombuf, ri->vf_rx_nombuf);
		SET(&m->vf, rx_errors, ri->vf_rx_errors);
		SET(&m->vf, tx_errors, ri->vf_tx_errors);
		m->rs.vf = &m->vf;
		if (ri->vf_to_vm_cpu >= 0)
			SET(&m->cpu, vf_to_vm, ri->vf_to_vm_cpu);
	}
	m->down.active = vm_active;
	m->down.internal_state = (char *)relay_virtio_state_str(ri->virtio_state);
	if (vm_active) {
#define SET_DOWN(field, up_name, down_name, family, reason, help) \
	SET(&m->down, down_name, d->field);
		RELAY_COUNTERS(SET_DOWN)
#undef SET_DOWN
		m->down.pkt_rate_rx_from_vm = rate(d->pkts_rx, b[1].pkts_rx, secs);
		m->down.byte_rate_rx_from_vm = rate(d->bytes_rx, b[1].bytes_rx, secs);
		m->down.pkt_rate_tx_to_vf = rate(d->pkts_tx, b[1].pkts_tx, secs);
		m->down.byte_rate_tx_to_vf = rate(d->bytes_tx, b[1].bytes_tx, secs);
		m->down.n_queue = queues(m->down_q, m->down_qp, ri->vm_to_vf_q,
			ri->n_vm_to_vf_queues, snap->q[DIR_VM_TO_VF], secs);
		m->down.queue = m->down_qp;
		SET(&m->rs, guest_queue_pairs, ri->guest_queue_pairs);
		if (ri->vm_to_vf_cpu >= 0)
			SET(&m->cpu, vm_to_vf, ri->vm_to_vf_cpu);
	}
	SET(&m->rs, vf_resets, ri->vf_resets);
	SET(&m->rs, vf_removals, ri->vf_removals);
	SET(&m->rs, log_suppressed, ri->log_suppressed);
	if (m->cpu.has_vf_to_vm || m->cpu.has_vm_to_vf)
		m->rs.cpu = &m->cpu;
}

struct stats_pending *svc_stats_start(const uint8_t *req, size_t len, unsigned *delay_ms,
	struct buf *reply)
{
	Virtioforwarder__StatsRequest *r = virtioforwarder__stats_request__unpack(NULL, len, req);
	if (r == NULL) {
		ctl_log(CLOG_WARNING, "stats: unparseable request (%zu bytes)", len);
		reply_status(reply, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR);
		return NULL;
	}
	if (r->n_relay > relay_max()) {
		virtioforwarder__stats_request__free_unpacked(r, NULL);
		reply_status(reply, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__E2BIG);
		return NULL;
	}
	struct stats_pending *p = calloc(1, sizeof(*p) + sizeof(p->before[0]) * relay_max());
	if (p == NULL) {
		virtioforwarder__stats_request__free_unpacked(r, NULL);
		reply_status(reply, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__ENOMEM);
		return NULL;
	}
	p->req = r;
	p->include_inactive = r->has_include_inactive ? r->include_inactive : true;
	/* a window longer than a minute keeps a client waiting past any timeout */
	p->delay_ms = r->has_delay ? (r->delay < 60000 ? r->delay : 60000) : 0;
	for (unsigned id = 0; id < relay_max(); id++) {
		struct relay_info ri;
		relay_get_info(id, &ri);
		struct relay_snapshot *b = &p->before[id];
		b->dir[DIR_VF_TO_VM] = ri.vf_to_vm;
		b->dir[DIR_VM_TO_VF] = ri.vm_to_vf;
		memcpy(b->q[DIR_VF_TO_VM], ri.vf_to_vm_q, sizeof(ri.vf_to_vm_q));
		memcpy(b->q[DIR_VM_TO_VF], ri.vm_to_vf_q, sizeof(ri.vm_to_vf_q));
	}
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	*delay_ms = p->delay_ms;
	if (p->delay_ms > 0)
		return p;
	svc_stats_finish(p, reply);
	return NULL;
}

void svc_stats_finish(struct stats_pending *p, struct buf *reply)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* delay 0: no window, rates are 0 rather than noise */
	double secs = p->delay_ms == 0 ? 0 :
					 (double)(t1.tv_sec - p->t0.tv_sec) +
			(double)(t1.tv_nsec - p->t0.tv_nsec) / 1e9;
	size_t n_ids = p->req->n_relay > 0 ? p->req->n_relay : relay_max();
	struct relay_msg *msgs = calloc(n_ids ? n_ids : 1, sizeof(*msgs));
	RelayState **list = calloc(n_ids ? n_ids : 1, sizeof(*list));
	Virtioforwarder__StatsResponse resp = VIRTIOFORWARDER__STATS_RESPONSE__INIT;

	if (msgs == NULL || list == NULL) {
		reply_status(reply, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__ENOMEM);
		goto out;
	}
	resp.status = VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK;
	resp.relay = list;
	for (size_t i = 0; i < n_ids; i++) {
		unsigned id = p->req->n_relay > 0 ? p->req->relay[i] : (unsigned)i;
		struct relay_info ri;
		if (id >= relay_max() || relay_get_info(id, &ri) < 0)
			continue; /* as the original: silently skipped */
		if (!p->include_inactive && !ri.active)
			continue;
		fill(&msgs[resp.n_relay], &ri, &p->before[id], secs);
		list[resp.n_relay] = &msgs[resp.n_relay].rs;
		resp.n_relay++;
	}
	/* the workers' own counters (extension) */
	unsigned cpus[RELAY_MAX_WORKERS];
	unsigned n_cpus = relay_worker_cpus(cpus, RELAY_MAX_WORKERS);
	Virtioforwarder__WorkerStats ws[RELAY_MAX_WORKERS], *wp[RELAY_MAX_WORKERS];
	for (unsigned i = 0; i < n_cpus; i++) {
		struct relay_worker_stats st;
		if (relay_worker_load(cpus[i], &st) < 0)
			continue;
		virtioforwarder__worker_stats__init(&ws[resp.n_worker]);
		ws[resp.n_worker].cpu = cpus[i];
		ws[resp.n_worker].busy_cycles = st.busy_cycles;
		ws[resp.n_worker].packets = st.packets;
		ws[resp.n_worker].sleeps = st.sleeps;
		ws[resp.n_worker].missed_wakeups = st.missed_wakeups;
		ws[resp.n_worker].tsc_hz = st.tsc_hz;
		wp[resp.n_worker] = &ws[resp.n_worker];
		resp.n_worker++;
	}
	resp.worker = wp;
	svc_pack(&resp.base, reply);
out:
	free(msgs);
	free(list);
	virtioforwarder__stats_request__free_unpacked(p->req, NULL);
	free(p);
}

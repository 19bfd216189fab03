/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus text exposition of a stats reply, by Prometheus' naming
 * conventions: counters end in _total, sizes are bytes, and the labels
 * that describe a relay (socket, VF, NUMA node) live on one
 * virtio_forwarder_relay_info metric only; every other metric carries the
 * relay id (and direction, reason, state) to join it with. */
#include "prom.h"

#include "counters.h"

#include <stddef.h>
#include <string.h>

typedef Virtioforwarder__RelayState__VFtoVM vf_to_vm_msg;
typedef Virtioforwarder__RelayState__VMtoVF vm_to_vf_msg;

/* One counter of both directions: the metric family it belongs to, its
 * reason label (NULL: none) and where the value and its has_ flag sit in
 * each direction's message. A family's entries are written together. */
struct prom_counter {
	const char *family, *help, *reason;
	size_t vf_to_vm, vm_to_vf, has_vf_to_vm, has_vm_to_vf;
};
#define PROM_COUNTER(family, help, reason, a, b)                                        \
	{"virtio_forwarder_" family "_total", help, reason, offsetof(vf_to_vm_msg, a),      \
		offsetof(vm_to_vf_msg, b), offsetof(vf_to_vm_msg, has_##a),                 \
		offsetof(vm_to_vf_msg, has_##b)}

/* every counter of api/counters.h */
static const struct prom_counter counters[] = {
#define PROM_ENTRY(field, up, down, fam, reason, help) PROM_COUNTER(fam, help, reason, up, down),
	RELAY_COUNTERS(PROM_ENTRY)
#undef PROM_ENTRY
};

typedef Virtioforwarder__RelayState__VF vf_msg;

/* A metric of the VF message (present while the relay holds a VF): its
 * value and has_ flag, and the factor to base units. */
struct prom_vf_metric {
	const char *name, *type, *help;
	size_t off, has;
	bool u64;
	uint64_t scale;
};
#define PROM_VF(name, type, help, field, u64, scale)                                      \
	{"virtio_forwarder_vf_" name, type, help, offsetof(vf_msg, field),                 \
		offsetof(vf_msg, has_##field), u64, scale}

/* the VF's link (besides link_up, from the link string) and own counters */
static const struct prom_vf_metric vf_metrics[] = {
	PROM_VF("link_speed_bytes", "gauge",
		"speed of the VF's link in bytes per second, 0 if down or unknown", link_speed,
		false, 125000),
	PROM_VF("rx_missed_packets_total", "counter",
		"packets the VF dropped for want of room in its RX queue (imissed)", rx_missed,
		true, 1),
	PROM_VF("rx_nombuf_total", "counter",
		"RX mbuf allocation failures of the VF (rx_nombuf)", rx_nombuf, true, 1),
	PROM_VF("rx_errors_total", "counter", "erroneous packets the VF received (ierrors)",
		rx_errors, true, 1),
	PROM_VF("tx_errors_total", "counter", "packets the VF failed to send (oerrors)",
		tx_errors, true, 1),
};

/* label values escape \, " and newline */
static void label(FILE *out, const char *name, const char *v, bool comma)
{
	fprintf(out, "%s%s=\"", comma ? "," : "", name);
	for (; v != NULL && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
	fputc('"', out);
}

/* name{relay="id"[,direction=...][,extra=...]} */
static void sample(FILE *out, const char *name, const Virtioforwarder__RelayState *rs,
	const char *dir, const char *extra_name, const char *extra)
{
	fprintf(out, "%s{relay=\"%u\"", name, rs->id);
	if (dir != NULL)
		label(out, "direction", dir, true);
	if (extra_name != NULL)
		label(out, extra_name, extra, true);
	fputs("} ", out);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const dir_names[2] = {"vf_to_vm", "vm_to_vf"};

static void write_info(FILE *out, const Virtioforwarder__StatsResponse *r)
{
	family(out, "virtio_forwarder_relay_info", "gauge",
		"1 for every relay reported, labelled with what describes it");
	for (size_t i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		char node[16] = "";
		if (rs->socket_id != UINT32_MAX)
			snprintf(node, sizeof(node), "%u", rs->socket_id);
		fprintf(out, "virtio_forwarder_relay_info{relay=\"%u\"", rs->id);
		label(out, "socket", rs->vhost ? rs->vhost->vhost_socket_name : "NONE", true);
		label(out, "vf", rs->vf && rs->vf->pci_addr_str ? rs->vf->pci_addr_str : "", true);
		label(out, "numa_node", node, true);
		fputs("} 1\n", out);
	}
}

static void write_states(FILE *out, const Virtioforwarder__StatsResponse *r)
{
	family(out, "virtio_forwarder_relay_active", "gauge",
		"1 if both halves of the relay are ready");
	for (size_t i = 0; i < r->n_relay; i++) {
		sample(out, "virtio_forwarder_relay_active", r->relay[i], NULL, NULL, NULL);
		fprintf(out, "%d\n", r->relay[i]->active ? 1 : 0);
	}
	family(out, "virtio_forwarder_relay_state", "gauge",
		"1 for the current state of each half");
	for (size_t i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		const char *st[2] = {rs->vf_to_vm ? rs->vf_to_vm->internal_state : "",
			rs->vm_to_vf ? rs->vm_to_vf->internal_state : ""};
		for (int k = 0; k < 2; k++) {
			sample(out, "virtio_forwarder_relay_state", rs, dir_names[k], "state", st[k]);
			fputs("1\n", out);
		}
	}
	family(out, "virtio_forwarder_relay_cpu", "gauge",
		"worker CPU serving a relay direction");
	for (size_t i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		if (rs->cpu == NULL)
			continue;
		bool has[2] = {rs->cpu->has_vf_to_vm, rs->cpu->has_vm_to_vf};
		int cpu[2] = {rs->cpu->vf_to_vm, rs->cpu->vm_to_vf};
		for (int k = 0; k < 2; k++)
			if (has[k]) {
				sample(out, "virtio_forwarder_relay_cpu", rs, dir_names[k], NULL, NULL);
				fprintf(out, "%d\n", cpu[k]);
			}
	}
}

static void write_counter(FILE *out, const struct prom_counter *c,
	const Virtioforwarder__StatsResponse *r)
{
	for (size_t i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		const char *msg[2] = {(const char *)rs->vf_to_vm, (const char *)rs->vm_to_vf};
		size_t off[2] = {c->vf_to_vm, c->vm_to_vf};
		size_t has[2] = {c->has_vf_to_vm, c->has_vm_to_vf};
		for (int k = 0; k < 2; k++) {
			/* present only while the direction is active */
			if (msg[k] == NULL || !*(const protobuf_c_boolean *)(msg[k] + has[k]))
				continue;
			uint64_t v;
			memcpy(&v, msg[k] + off[k], sizeof(v));
			sample(out, c->family, rs, dir_names[k], c->reason ? "reason" : NULL, c->reason);
			fprintf(out, "%llu\n", (unsigned long long)v);
		}
	}
}

static void write_vf(FILE *out, const Virtioforwarder__StatsResponse *r)
{
	family(out, "virtio_forwarder_vf_link_up", "gauge",
		"1 if the relay's VF has link, 0 if not (relays with a VF only)");
	for (size_t i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		if (rs->vf == NULL || rs->vf->link == NULL)
			continue;
		sample(out, "virtio_forwarder_vf_link_up", rs, NULL, NULL, NULL);
		fprintf(out, "%d\n", strcmp(rs->vf->link, "up") == 0);
	}
	for (size_t k = 0; k < sizeof(vf_metrics) / sizeof(vf_metrics[0]); k++) {
		const struct prom_vf_metric *vm = &vf_metrics[k];
		family(out, vm->name, vm->type, vm->help);
		for (size_t i = 0; i < r->n_relay; i++) {
			const Virtioforwarder__RelayState *rs = r->relay[i];
			const char *msg = (const char *)rs->vf;
			if (msg == NULL || !*(const protobuf_c_boolean *)(msg + vm->has))
				continue;
			uint64_t v = 0;
			uint32_t v32;
			if (vm->u64) {
				memcpy(&v, msg + vm->off, sizeof(v));
			} else {
				memcpy(&v32, msg + vm->off, sizeof(v32));
				v = v32;
			}
			sample(out, vm->name, rs, NULL, NULL, NULL);
			fprintf(out, "%llu\n", (unsigned long long)(v * vm->scale));
		}
	}
	/* events handled per relay, whether or not it holds a VF now */
	static const struct {
		const char *name, *help;
		size_t off, has;
	} events[] = {
		{"virtio_forwarder_vf_resets_total", "VF reset events handled by a relay",
			offsetof(Virtioforwarder__RelayState, vf_resets),
			offsetof(Virtioforwarder__RelayState, has_vf_resets)},
		{"virtio_forwarder_vf_removals_total",
			"VFs or bond members a relay lost by their device's removal event",
			offsetof(Virtioforwarder__RelayState, vf_removals),
			offsetof(Virtioforwarder__RelayState, has_vf_removals)},
		{"virtio_forwarder_log_suppressed_total",
			"DPDK log lines about a relay's socket that the log rate limit suppressed",
			offsetof(Virtioforwarder__RelayState, log_suppressed),
			offsetof(Virtioforwarder__RelayState, has_log_suppressed)},
	};
	for (size_t k = 0; k < sizeof(events) / sizeof(events[0]); k++) {
		family(out, events[k].name, "counter", events[k].help);
		for (size_t i = 0; i < r->n_relay; i++) {
			const char *msg = (const char *)r->relay[i];
			if (!*(const protobuf_c_boolean *)(msg + events[k].has))
				continue;
			uint64_t v;
			memcpy(&v, msg + events[k].off, sizeof(v));
			sample(out, events[k].name, r->relay[i], NULL, NULL, NULL);
			fprintf(out, "%llu\n", (unsigned long long)v);
		}
	}
}

/* Per queue unit of each direction: the packets it took in and its worker,
 * labelled with the queue (VF RX queue q for vf_to_vm, TX queue q for
 * vm_to_vf). */
static void write_queues(FILE *out, const Virtioforwarder__StatsResponse *r)
{
	static const char *const names[2] = {"virtio_forwarder_queue_rx_packets_total",
		"virtio_forwarder_queue_cpu"};
	static const char *const types[2] = {"counter", "gauge"};
	static const char *const helps[2] = {"packets a queue unit of a relay direction received",
		"worker CPU polling a queue unit of a relay direction"};
	for (int m = 0; m < 2; m++) {
		family(out, names[m], types[m], helps[m]);
		for (size_t i = 0; i < r->n_relay; i++) {
			const Virtioforwarder__RelayState *rs = r->relay[i];
			Virtioforwarder__RelayQueue **q[2] = {
				rs->vf_to_vm ? rs->vf_to_vm->queue : NULL,
				rs->vm_to_vf ? rs->vm_to_vf->queue : NULL};
			size_t n[2] = {rs->vf_to_vm ? rs->vf_to_vm->n_queue : 0,
				rs->vm_to_vf ? rs->vm_to_vf->n_queue : 0};
			for (int k = 0; k < 2; k++)
				for (size_t j = 0; j < n[k]; j++) {
					char qs[16];
					snprintf(qs, sizeof(qs), "%u", q[k][j]->queue);
					sample(out, names[m], rs, dir_names[k], "queue", qs);
					if (m == 0)
						fprintf(out, "%llu\n", (unsigned long long)q[k][j]->pkts);
					else
						fprintf(out, "%d\n", q[k][j]->cpu);
				}
		}
	}
}

/* The workers' own counters: busy time in seconds (TSC cycles / rate) and
 * counts, labelled with the worker's CPU. */
static void write_workers(FILE *out, const Virtioforwarder__StatsResponse *r)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
		bool tsc_seconds; /* TSC cycles, written as seconds */
	} m[] = {
		{"virtio_forwarder_worker_busy_seconds_total", "counter",
			"time a worker spent in passes that moved packets",
			offsetof(Virtioforwarder__WorkerStats, busy_cycles), true},
		{"virtio_forwarder_worker_packets_total", "counter",
			"packets received by a worker's busy passes",
			offsetof(Virtioforwarder__WorkerStats, packets), false},
		{"virtio_forwarder_worker_sleeps_total", "counter",
			"times a worker slept for want of work",
			offsetof(Virtioforwarder__WorkerStats, sleeps), false},
		{"virtio_forwarder_worker_missed_wakeups_total", "counter",
			"sleeps a worker's watchdog ended with packets waiting",
			offsetof(Virtioforwarder__WorkerStats, missed_wakeups), false},
	};
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		family(out, m[k].name, m[k].type, m[k].help);
		for (size_t i = 0; i < r->n_worker; i++) {
			const Virtioforwarder__WorkerStats *w = r->worker[i];
			uint64_t v;
			memcpy(&v, (const char *)w + m[k].off, sizeof(v));
			fprintf(out, "%s{cpu=\"%u\"} ", m[k].name, w->cpu);
			if (m[k].tsc_seconds)
				fprintf(out, "%.6f\n", w->tsc_hz ? (double)v / (double)w->tsc_hz : 0.0);
			else
				fprintf(out, "%llu\n", (unsigned long long)v);
		}
	}
}

void prom_write(FILE *out, const Virtioforwarder__StatsResponse *r)
{
	family(out, "virtio_forwarder_up", "gauge", "1 if the daemon answered the stats request");
	bool up = r != NULL && r->status == VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK;
	fprintf(out, "virtio_forwarder_up %d\n", up);
	if (!up)
		return;
	write_info(out, r);
	write_states(out, r);
	/* each family once, at its first entry, with all of its entries */
	size_t n = sizeof(counters) / sizeof(counters[0]);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(counters[j].family, counters[i].family) == 0;
		if (seen)
			continue;
		family(out, counters[i].family, "counter", counters[i].help);
		for (size_t k = i; k < n; k++)
			if (strcmp(counters[k].family, counters[i].family) == 0)
				write_counter(out, &counters[k], r);
	}
	write_queues(out, r);
	write_vf(out, r);
	write_workers(out, r);
}

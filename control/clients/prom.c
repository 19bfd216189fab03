/* SPDX-License-Identifier: BSD-3-Clause */
#include "prom.h"

#include <string.h>

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

static void labels(FILE *out, const Virtioforwarder__RelayState *rs, const char *dir,
	const char *extra_name, const char *extra)
{
	char id[16];
	snprintf(id, sizeof(id), "%u", rs->id);
	fputc('{', out);
	label(out, "relay", id, false);
	label(out, "socket", rs->vhost ? rs->vhost->vhost_socket_name : "NONE", true);
	label(out, "vf", rs->vf && rs->vf->pci_addr_str ? rs->vf->pci_addr_str : "", true);
	if (dir != NULL)
		label(out, "direction", dir, true);
	if (extra_name != NULL)
		label(out, extra_name, extra, true);
	fputc('}', out);
}

struct metric {
	const char *name, *help, *type;
};

static const struct metric metrics[] = {
	{"virtio_forwarder_relay_active", "1 if both halves of the relay are ready", "gauge"},
	{"virtio_forwarder_relay_state", "1 for the current state of each half", "gauge"},
	{"virtio_forwarder_relay_cpu", "worker CPU serving a relay direction", "gauge"},
	{"virtio_forwarder_rx_packets_total", "packets received by a relay direction", "counter"},
	{"virtio_forwarder_rx_bytes_total", "bytes received by a relay direction", "counter"},
	{"virtio_forwarder_tx_packets_total", "packets sent by a relay direction", "counter"},
	{"virtio_forwarder_tx_bytes_total", "bytes sent by a relay direction", "counter"},
	{"virtio_forwarder_dropped_packets_total", "packets dropped, by reason", "counter"},
	{"virtio_forwarder_dropped_bytes_total", "bytes dropped, by reason", "counter"},
};

/* the counters of one direction, present only while it is active */
struct dir_view {
	const char *name;
	bool has;
	uint64_t rx_p, rx_b, tx_p, tx_b, full_p, full_b, nc_p, nc_b;
};

static void views(const Virtioforwarder__RelayState *rs, struct dir_view v[2])
{
	const Virtioforwarder__RelayState__VFtoVM *u = rs->vf_to_vm;
	const Virtioforwarder__RelayState__VMtoVF *d = rs->vm_to_vf;
	v[0] = (struct dir_view){"vf_to_vm", u && u->has_pkts_rx_from_vf, u ? u->pkts_rx_from_vf : 0,
		u ? u->bytes_rx_from_vf : 0, u ? u->pkts_tx_to_vm : 0, u ? u->bytes_tx_to_vm : 0,
		u ? u->pkts_dropped_vm_queue_full : 0, u ? u->bytes_dropped_vm_queue_full : 0,
		u ? u->pkts_dropped_vm_not_connected : 0, u ? u->bytes_dropped_vm_not_connected : 0};
	v[1] = (struct dir_view){"vm_to_vf", d && d->has_pkts_rx_from_vm, d ? d->pkts_rx_from_vm : 0,
		d ? d->bytes_rx_from_vm : 0, d ? d->pkts_tx_to_vf : 0, d ? d->bytes_tx_to_vf : 0,
		d ? d->pkts_dropped_vf_queue_full : 0, d ? d->bytes_dropped_vf_queue_full : 0,
		d ? d->pkts_dropped_vf_not_connected : 0, d ? d->bytes_dropped_vf_not_connected : 0};
}

static void write_metric(FILE *out, unsigned m, const Virtioforwarder__StatsResponse *r)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", metrics[m].name, metrics[m].help,
		metrics[m].name, metrics[m].type);
	for (size_t i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		struct dir_view v[2];
		views(rs, v);
		if (m == 0) {
			fputs(metrics[m].name, out);
			labels(out, rs, NULL, NULL, NULL);
			fprintf(out, " %d\n", rs->active ? 1 : 0);
			continue;
		}
		if (m == 1) {
			const char *st[2] = {rs->vf_to_vm ? rs->vf_to_vm->internal_state : "",
				rs->vm_to_vf ? rs->vm_to_vf->internal_state : ""};
			for (int k = 0; k < 2; k++) {
				fputs(metrics[m].name, out);
				labels(out, rs, v[k].name, "state", st[k]);
				fputs(" 1\n", out);
			}
			continue;
		}
		if (m == 2) {
			bool has[2] = {rs->cpu && rs->cpu->has_vf_to_vm, rs->cpu && rs->cpu->has_vm_to_vf};
			int cpu[2] = {rs->cpu ? rs->cpu->vf_to_vm : 0, rs->cpu ? rs->cpu->vm_to_vf : 0};
			for (int k = 0; k < 2; k++)
				if (has[k]) {
					fputs(metrics[m].name, out);
					labels(out, rs, v[k].name, NULL, NULL);
					fprintf(out, " %d\n", cpu[k]);
				}
			continue;
		}
		for (int k = 0; k < 2; k++) {
			if (!v[k].has)
				continue;
			uint64_t val[] = {0, 0, 0, v[k].rx_p, v[k].rx_b, v[k].tx_p, v[k].tx_b};
			if (m < 7) {
				fputs(metrics[m].name, out);
				labels(out, rs, v[k].name, NULL, NULL);
				fprintf(out, " %llu\n", (unsigned long long)val[m]);
				continue;
			}
			uint64_t full = m == 7 ? v[k].full_p : v[k].full_b;
			uint64_t nc = m == 7 ? v[k].nc_p : v[k].nc_b;
			fputs(metrics[m].name, out);
			labels(out, rs, v[k].name, "reason", "queue_full");
			fprintf(out, " %llu\n", (unsigned long long)full);
			fputs(metrics[m].name, out);
			labels(out, rs, v[k].name, "reason", "not_connected");
			fprintf(out, " %llu\n", (unsigned long long)nc);
		}
	}
}

void prom_write(FILE *out, const Virtioforwarder__StatsResponse *r)
{
	fprintf(out, "# HELP virtio_forwarder_up 1 if the daemon answered the stats request\n"
		     "# TYPE virtio_forwarder_up gauge\nvirtio_forwarder_up %d\n",
		r != NULL && r->status == VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK);
	if (r == NULL || r->status != VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK)
		return;
	for (unsigned m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++)
		write_metric(out, m, r);
}

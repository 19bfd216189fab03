/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter dump on SIGUSR1, for operators without the stats service. */
#include "stats_dump.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "log.h"
#include "relay.h"

/* name (vf_to_vm's, vm_to_vf's) and place of every counter (counters.h) */
static const struct {
	const char *name[2];
	size_t off;
} counters[] = {
#define DUMP_COUNTER(field, up, down, family, reason, help)                                       \
	{{#up, #down}, offsetof(struct relay_counters, field)},
	RELAY_COUNTERS(DUMP_COUNTER)
#undef DUMP_COUNTER
};

/* side 0: vf_to_vm, 1: vm_to_vf */
static void dir_lines(FILE *out, unsigned id, const char *dir, int side,
	const struct relay_counters *c)
{
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t v;
		memcpy(&v, (const char *)c + counters[i].off, sizeof(v));
		fprintf(out, "relay_%u.%s.%s=%" PRIu64 "\n", id, dir, counters[i].name[side], v);
	}
}

static void queue_lines(FILE *out, unsigned id, const char *dir, const struct relay_queue_info *q,
	unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "relay_%u.%s.queue_%u.cpu=%d\nrelay_%u.%s.queue_%u.pkts=%" PRIu64 "\n",
			id, dir, i, q[i].cpu, id, dir, i, q[i].pkts_rx);
}

static void vf_lines(FILE *out, unsigned id, const struct relay_info *ri)
{
	fprintf(out, "relay_%u.vf.pci_addr_str=%s\n", id, ri->vf_name);
	fprintf(out, "relay_%u.vf.link=%s\nrelay_%u.vf.link_speed=%u\n", id,
		ri->vf_link_up ? "up" : "down", id, ri->vf_link_speed);
	fprintf(out, "relay_%u.vf.rx_missed=%" PRIu64 "\nrelay_%u.vf.rx_nombuf=%" PRIu64 "\n", id,
		ri->vf_rx_missed, id, ri->vf_rx_nombuf);
	fprintf(out, "relay_%u.vf.rx_errors=%" PRIu64 "\nrelay_%u.vf.tx_errors=%" PRIu64 "\n", id,
		ri->vf_rx_errors, id, ri->vf_tx_errors);
}

bool stats_relay_used(const struct relay_info *ri)
{
	return ri->vf_name != NULL || ri->virtio_state != VIRTIO_UNINIT ||
		ri->vf_to_vm.pkts_rx != 0 || ri->vm_to_vf.pkts_rx != 0;
}

void stats_dump(FILE *out)
{
	for (unsigned id = 0; id < relay_max(); id++) {
		struct relay_info ri;
		if (relay_get_info(id, &ri) < 0)
			continue;
		if (!stats_relay_used(&ri))
			continue;
		fprintf(out, "relay_%u.active=%s\n", id, ri.active ? "True" : "False");
		if (ri.vf_to_vm_cpu >= 0)
			fprintf(out, "relay_%u.cpu.vf_to_vm=%d\n", id, ri.vf_to_vm_cpu);
		if (ri.vm_to_vf_cpu >= 0)
			fprintf(out, "relay_%u.cpu.vm_to_vf=%d\n", id, ri.vm_to_vf_cpu);
		if (ri.vf_name != NULL)
			vf_lines(out, id, &ri);
		fprintf(out, "relay_%u.vhost.vhost_socket_name=%s\n", id,
			ri.socket_path ? ri.socket_path : "NONE");
		fprintf(out, "relay_%u.vf_to_vm.internal_state=%s\n", id,
			relay_dpdk_state_str(ri.dpdk_state));
		dir_lines(out, id, "vf_to_vm", 0, &ri.vf_to_vm);
		fprintf(out, "relay_%u.vm_to_vf.internal_state=%s\n", id,
			relay_virtio_state_str(ri.virtio_state));
		dir_lines(out, id, "vm_to_vf", 1, &ri.vm_to_vf);
		fprintf(out, "relay_%u.vf_queues=%u\nrelay_%u.guest_queue_pairs=%u\n", id,
			ri.vf_queues, id, ri.guest_queue_pairs);
		fprintf(out, "relay_%u.guest_rxq_enabled=0x%x\nrelay_%u.guest_txq_enabled=0x%x\n",
			id, ri.guest_rxq_enabled, id, ri.guest_txq_enabled);
		fprintf(out, "relay_%u.vf_resets=%" PRIu64 "\nrelay_%u.vf_removals=%" PRIu64 "\n", id,
			ri.vf_resets, id, ri.vf_removals);
		fprintf(out, "relay_%u.log_suppressed=%" PRIu64 "\n", id, ri.log_suppressed);
		queue_lines(out, id, "vf_to_vm", ri.vf_to_vm_q, ri.n_vf_to_vm_queues);
		queue_lines(out, id, "vm_to_vf", ri.vm_to_vf_q, ri.n_vm_to_vf_queues);
	}
	/* every DPDK line the rate limit held back, a relay's or not */
	fprintf(out, "log_suppressed=%" PRIu64 "\n", log_suppressed_total());
	unsigned cpus[128];
	unsigned n = relay_worker_cpus(cpus, 128);
	for (unsigned i = 0; i < n; i++) {
		struct relay_worker_stats ws;
		if (relay_worker_load(cpus[i], &ws) < 0)
			continue;
		fprintf(out, "worker_%u.busy_cycles=%" PRIu64 "\nworker_%u.packets=%" PRIu64 "\n",
			cpus[i], ws.busy_cycles, cpus[i], ws.packets);
		fprintf(out, "worker_%u.cycles_per_packet=%.1f\nworker_%u.tsc_hz=%" PRIu64 "\n",
			cpus[i], ws.packets ? (double)ws.busy_cycles / (double)ws.packets : 0.0,
			cpus[i], ws.tsc_hz);
		fprintf(out, "worker_%u.sleeps=%" PRIu64 "\nworker_%u.missed_wakeups=%" PRIu64 "\n",
			cpus[i], ws.sleeps, cpus[i], ws.missed_wakeups);
	}
	unsigned in_use, cap;
	relay_pool_usage(&in_use, &cap);
	fprintf(out, "mempool.mbufs_in_use=%u\nmempool.mbufs_total=%u\n", in_use, cap);
	fflush(out);
}

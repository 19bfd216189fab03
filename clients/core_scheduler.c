/* SPDX-License-Identifier: BSD-3-Clause */
/* core_scheduler: the original's load balancer (vio4wd_core_scheduler.py,
 * reference §5.2) in C. Every poll interval it reads the active relays'
 * rates (stats, 200 ms window), computes the load of every relay direction,
 * splits it over the direction's queue units by their packet rates (our
 * daemon's extension; without it a direction is one item, as in the
 * original) and, per NUMA node (or over all workers with --global-numa-opt),
 * moves units between workers with core_sched UPDATE (direction CPUs plus,
 * for directions of several units, per-queue CPUs) when that lowers the
 * spread of the workers' loads by more than --sensitivity. The daemon
 * moves them without losing packets.
 *   core_scheduler [--stats-ep EP] [--sched-ep EP] [--poll-interval S]
 *                  [--sensitivity X] [--global-numa-opt] [--loglevel N] [--once] */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "sched.h"
#include "virtioforwarder.pb-c.h"

#define MAX_WORKERS 1024

static int loglevel = 6;

static void say(int level, const char *fmt, ...)
{
	if (level > loglevel)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "<%d>core_scheduler: ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* NUMA node of a CPU from sysfs ("nodeN" entry), 0 if unknown */
static int cpu_node(int cpu)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
	DIR *d = opendir(path);
	int node = 0;
	if (d == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (strncmp(e->d_name, "node", 4) == 0 && e->d_name[4] >= '0' && e->d_name[4] <= '9')
			node = atoi(e->d_name + 4);
	closedir(d);
	return node;
}

/* The per-queue list of a direction of several units (extension). */
static size_t queue_list(const struct sched_relay *r, const struct sched_plan *p, int d,
	Virtioforwarder__QueueCPU *q, Virtioforwarder__QueueCPU **qp)
{
	if (r->n_units[d] <= 1)
		return 0;
	for (unsigned u = 0; u < r->n_units[d]; u++) {
		virtioforwarder__queue_cpu__init(&q[u]);
		q[u].queue = u;
		q[u].cpu = p->unit_cpu[d][u];
		qp[u] = &q[u];
		if (r->unit_cpu[d][u] != q[u].cpu)
			say(7, "relay %d: %s queue %u %d -> %d", r->id, d ? "vm_to_vf" : "vf_to_vm",
				u, r->unit_cpu[d][u], q[u].cpu);
	}
	return r->n_units[d];
}

/* what one relay's entry carries */
struct relay_entry {
	Virtioforwarder__CoreSchedRequest__RelayCPU map;
	Virtioforwarder__QueueCPU q[2][SCHED_MAX_UNITS], *qp[2][SCHED_MAX_UNITS];
};

static int update(const char *sched_ep, const struct sched_relay *r, unsigned n,
	const struct sched_plan *plan)
{
	Virtioforwarder__CoreSchedRequest req = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	struct relay_entry *e = calloc(n + 1, sizeof(*e));
	Virtioforwarder__CoreSchedRequest__RelayCPU **ptrs = calloc(n + 1, sizeof(*ptrs));
	if (e == NULL || ptrs == NULL) {
		free(e);
		free(ptrs);
		return -1;
	}
	req.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
	req.relay_cpu_map = ptrs;
	for (unsigned i = 0; i < n; i++) {
		if (plan[i].cpu[0] < 0)
			continue;
		Virtioforwarder__CoreSchedRequest__RelayCPU *m = &e[i].map;
		virtioforwarder__core_sched_request__relay_cpu__init(m);
		m->relay_number = r[i].id;
		m->vf2virtio_cpu = plan[i].cpu[0];
		m->virtio2vf_cpu = plan[i].cpu[1];
		m->n_vf_to_vm_queue = queue_list(&r[i], &plan[i], 0, e[i].q[0], e[i].qp[0]);
		m->vf_to_vm_queue = e[i].qp[0];
		m->n_vm_to_vf_queue = queue_list(&r[i], &plan[i], 1, e[i].q[1], e[i].qp[1]);
		m->vm_to_vf_queue = e[i].qp[1];
		ptrs[req.n_relay_cpu_map++] = m;
		say(7, "relay %d: vf_to_vm %d -> %d, vm_to_vf %d -> %d", r[i].id, r[i].cpu[0],
			plan[i].cpu[0], r[i].cpu[1], plan[i].cpu[1]);
	}
	Virtioforwarder__CoreSchedResponse *resp = client_ask("core_scheduler", sched_ep, &req.base,
		&virtioforwarder__core_sched_response__descriptor, 2000);
	int ret = -1;
	if (resp != NULL) {
		bool ok = resp->status == VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK;
		say(ok ? 6 : 3, "update of %zu relays: %s", req.n_relay_cpu_map, ok ? "OK" : "ERROR");
		virtioforwarder__core_sched_response__free_unpacked(resp, NULL);
		ret = ok ? 0 : -1;
	}
	free(e);
	free(ptrs);
	return ret;
}

static bool usable_rate(double x)
{
	return isfinite(x) && x >= 0;
}

/* A direction's queue units from its stats (RelayQueue entries 0..n-1
 * with rates, each on a worker). False for a list of several units that
 * is not that (a unit between workers, a rate that is no number): the
 * relay then sits this round out, rather than being balanced as one item,
 * which would gather its units on one worker. */
static bool read_units(struct sched_relay *r, int d, Virtioforwarder__RelayQueue *const *q,
	size_t n)
{
	r->n_units[d] = 0;
	if (n <= 1)
		return true;
	if (n > SCHED_MAX_UNITS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (q[i]->queue != i || !q[i]->has_pkt_rate || q[i]->cpu < 0 ||
			!usable_rate(q[i]->pkt_rate))
			return false;
	for (size_t i = 0; i < n; i++) {
		r->unit_cpu[d][i] = q[i]->cpu;
		r->unit_pps[d][i] = q[i]->pkt_rate;
	}
	r->n_units[d] = (unsigned)n;
	return true;
}

/* one balancing round; returns how many updates were sent, -1 on error */
static int round_once(const char *stats_ep, const char *sched_ep, const int *cpus,
	const int *nodes, unsigned n_cpus, double sensitivity, bool global)
{
	Virtioforwarder__StatsRequest sreq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	sreq.has_include_inactive = sreq.has_delay = true;
	sreq.delay = 200;
	Virtioforwarder__StatsResponse *st = client_ask("core_scheduler", stats_ep, &sreq.base,
		&virtioforwarder__stats_response__descriptor, 2200);
	if (st == NULL)
		return -1;
	unsigned n = 0;
	struct sched_relay *r = calloc(st->n_relay + 1, sizeof(*r));
	struct sched_plan *plan = calloc(st->n_relay + 1, sizeof(*plan));
	if (r == NULL || plan == NULL) {
		free(r);
		free(plan);
		virtioforwarder__stats_response__free_unpacked(st, NULL);
		return -1;
	}
	for (size_t i = 0; i < st->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = st->relay[i];
		if (rs->cpu == NULL || !rs->cpu->has_vf_to_vm || !rs->cpu->has_vm_to_vf)
			continue;
		const Virtioforwarder__RelayState__VFtoVM *u = rs->vf_to_vm;
		const Virtioforwarder__RelayState__VMtoVF *d = rs->vm_to_vf;
		r[n] = (struct sched_relay){
			.id = (int)rs->id,
			.node = rs->socket_id == UINT32_MAX ? -1 : (int)rs->socket_id,
			.cpu = {rs->cpu->vf_to_vm, rs->cpu->vm_to_vf},
			.load = {sched_load_vf_to_vm(u->pkt_rate_rx_from_vf, u->pkt_rate_tx_to_vm,
					 u->byte_rate_rx_from_vf, u->byte_rate_tx_to_vm),
				sched_load_vm_to_vf(d->pkt_rate_rx_from_vm, d->pkt_rate_tx_to_vf,
					d->byte_rate_rx_from_vm, d->byte_rate_tx_to_vf)},
		};
		if (!usable_rate(r[n].load[0]) || !usable_rate(r[n].load[1]) ||
			!read_units(&r[n], 0, u->queue, u->n_queue) ||
			!read_units(&r[n], 1, d->queue, d->n_queue)) {
			say(7, "relay %d: unusable rates or queue list, left where it is this round",
				r[n].id);
			continue;
		}
		n++;
	}
	int sent = 0;
	int seen[MAX_WORKERS];
	unsigned n_seen = 0;
	for (unsigned g = 0; g < n_cpus && sent >= 0; g++) {
		int node = global ? -1 : nodes[g];
		bool done = false;
		for (unsigned s = 0; s < n_seen; s++)
			done |= seen[s] == node;
		if (done)
			continue;
		seen[n_seen++] = node;
		int group[MAX_WORKERS];
		unsigned ng = 0;
		for (unsigned c = 0; c < n_cpus; c++)
			if (global || nodes[c] == node)
				group[ng++] = cpus[c];
		double cv_now, cv_new;
		if (sched_balance(r, n, node, group, ng, sensitivity, plan, &cv_now, &cv_new)) {
			say(6, "node %d: imbalance %.3f -> %.3f, moving", node, cv_now, cv_new);
			sent = update(sched_ep, r, n, plan) < 0 ? -1 : sent + 1;
		} else {
			say(7, "node %d: still sufficiently balanced (%.3f)", node, cv_now);
		}
		if (global)
			break;
	}
	for (unsigned i = 0; i < n && !global; i++)
		if (r[i].node < 0 || r[i].node != cpu_node(r[i].cpu[0]))
			say(7, "relay %d: memory on node %d", r[i].id, r[i].node);
	free(r);
	free(plan);
	virtioforwarder__stats_response__free_unpacked(st, NULL);
	return sent;
}

int main(int argc, char **argv)
{
	const char *stats_ep = EP_DIR "stats", *sched_ep = EP_DIR "core_sched";
	double interval = 5, sensitivity = 0.25;
	bool global = false, once = false;
	const struct cli_opt opts[] = {
		CLI_STR("stats-ep", &stats_ep),
		CLI_STR("sched-ep", &sched_ep),
		CLI_DOUBLE("poll-interval", &interval),
		CLI_DOUBLE("sensitivity", &sensitivity),
		CLI_FLAG("global-numa-opt", &global),
		CLI_INT("loglevel", &loglevel),
		CLI_FLAG("once", &once),
		CLI_END,
	};
	static const char usage[] = "usage: core_scheduler [--stats-ep EP] [--sched-ep EP] "
				    "[--poll-interval S] [--sensitivity X] [--global-numa-opt] "
				    "[--loglevel N] [--once]\n";
	if (cli_parse(argc, argv, opts, usage) < 0)
		return 2;
	if (interval <= 0 || sensitivity < 0)
		return fprintf(stderr, "core_scheduler: bad interval or sensitivity\n"), 2;
	/* the worker set, retried until the daemon answers (as the original) */
	Virtioforwarder__CoreSchedResponse *cores = NULL;
	for (;;) {
		Virtioforwarder__CoreSchedRequest creq = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
		creq.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
		cores = client_ask("core_scheduler", sched_ep, &creq.base,
			&virtioforwarder__core_sched_response__descriptor, 2000);
		if (cores != NULL && cores->n_eal_cores > 0)
			break;
		if (once)
			return 1;
		sleep(1);
	}
	int cpus[MAX_WORKERS], nodes[MAX_WORKERS];
	unsigned n_cpus = 0;
	for (size_t i = 0; i < cores->n_eal_cores && n_cpus < MAX_WORKERS; i++) {
		cpus[n_cpus] = (int)cores->eal_cores[i];
		nodes[n_cpus] = cpu_node(cpus[n_cpus]);
		n_cpus++;
	}
	virtioforwarder__core_sched_response__free_unpacked(cores, NULL);
	say(6, "balancing %u workers every %.1f s (sensitivity %.2f, %s)", n_cpus, interval,
		sensitivity, global ? "all nodes together" : "per NUMA node");
	for (;;) {
		int ret = round_once(stats_ep, sched_ep, cpus, nodes, n_cpus, sensitivity, global);
		if (once) {
			printf("updates=%d\n", ret);
			return ret < 0 ? 1 : 0;
		}
		usleep((useconds_t)(interval * 1e6));
	}
}

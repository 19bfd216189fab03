/* SPDX-License-Identifier: BSD-3-Clause */
/* core_pinner: show which worker serves which relay direction, and move
 * relays, as the original virtioforwarder_core_pinner.py. Note its order:
 * --virtio-cpu R:A,B puts VM->VF on A and VF->VM on B (the reverse of the
 * daemon's --virtio-cpu); R:A puts both on A. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "virtioforwarder.pb-c.h"

#define MAX_PINS 64

static const char *stats_ep = EP_DIR "stats", *sched_ep = EP_DIR "core_sched";
/* the moves asked for (--virtio-cpu), in order */
static Virtioforwarder__CoreSchedRequest__RelayCPU pins[MAX_PINS], *pin_ptrs[MAX_PINS];
static size_t n_pins;

static void *ask(const char *ep, const ProtobufCMessage *m, const ProtobufCMessageDescriptor *rd)
{
	return client_ask("core_pinner", ep, m, rd, 2000);
}

static int print_map(void)
{
	Virtioforwarder__CoreSchedRequest creq = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	creq.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
	Virtioforwarder__CoreSchedResponse *cores =
		ask(sched_ep, &creq.base, &virtioforwarder__core_sched_response__descriptor);
	Virtioforwarder__StatsRequest sreq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	sreq.has_include_inactive = true;
	sreq.include_inactive = false;
	Virtioforwarder__StatsResponse *st =
		ask(stats_ep, &sreq.base, &virtioforwarder__stats_response__descriptor);
	if (cores == NULL || st == NULL) {
		if (cores != NULL)
			virtioforwarder__core_sched_response__free_unpacked(cores, NULL);
		if (st != NULL)
			virtioforwarder__stats_response__free_unpacked(st, NULL);
		return 1;
	}
	printf("Worker cores affinities:\n");
	for (size_t c = 0; c < cores->n_eal_cores; c++) {
		int cpu = (int)cores->eal_cores[c];
		printf("%s\n== %02d ==\n%-6s %-6s\n", "=================", cpu, "VM2VF", "VF2VM");
		for (size_t i = 0; i < st->n_relay; i++) {
			const Virtioforwarder__RelayState *rs = st->relay[i];
			bool down = rs->cpu && rs->cpu->has_vm_to_vf && rs->cpu->vm_to_vf == cpu;
			bool up = rs->cpu && rs->cpu->has_vf_to_vm && rs->cpu->vf_to_vm == cpu;
			if (!down && !up)
				continue;
			char a[12] = "", b[12] = "";
			if (down)
				snprintf(a, sizeof(a), "%u", rs->id);
			if (up)
				snprintf(b, sizeof(b), "%u", rs->id);
			printf("%-6s %-6s\n", a, b);
		}
	}
	printf("=================\n");
	virtioforwarder__core_sched_response__free_unpacked(cores, NULL);
	virtioforwarder__stats_response__free_unpacked(st, NULL);
	return 0;
}

/* --virtio-cpu R:A[,B] */
static int add_pin(const char *arg)
{
	int r, a, b, n = 0;
	int k = sscanf(arg, "%d:%d,%d%n", &r, &a, &b, &n);
	if (k == 2 && sscanf(arg, "%d:%d%n", &r, &a, &n) == 2)
		b = a;
	if (k < 2 || (size_t)n != strlen(arg) || n_pins == MAX_PINS) {
		fprintf(stderr, "core_pinner: invalid --virtio-cpu '%s' (R:A[,B])\n", arg);
		return -1;
	}
	Virtioforwarder__CoreSchedRequest__RelayCPU *m = &pins[n_pins];
	virtioforwarder__core_sched_request__relay_cpu__init(m);
	m->relay_number = r;
	m->virtio2vf_cpu = a;
	m->vf2virtio_cpu = b;
	pin_ptrs[n_pins++] = m;
	printf("Setting relay %d=%d,%d\n", r, a, b);
	return 0;
}

int main(int argc, char **argv)
{
	bool print = false;
	const struct cli_opt opts[] = {
		CLI_STR("stats-ep", &stats_ep),
		CLI_STR("sched-ep", &sched_ep),
		CLI_CALL("virtio-cpu", add_pin),
		CLI_FLAG("print-core-map", &print),
		CLI_END,
	};
	static const char usage[] = "usage: core_pinner [--stats-ep EP] [--sched-ep EP] "
				    "[--virtio-cpu R:A[,B]]... [--print-core-map]\n";
	if (cli_parse(argc, argv, opts, usage) < 0)
		return 2;
	if (n_pins > 0) {
		Virtioforwarder__CoreSchedRequest req = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
		req.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
		req.relay_cpu_map = pin_ptrs;
		req.n_relay_cpu_map = n_pins;
		Virtioforwarder__CoreSchedResponse *r =
			ask(sched_ep, &req.base, &virtioforwarder__core_sched_response__descriptor);
		if (r == NULL)
			return 1;
		bool ok = r->status == VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK;
		printf("Scheduler response: %s\n", ok ? "OK" : "ERROR");
		virtioforwarder__core_sched_response__free_unpacked(r, NULL);
		printf("New worker core mapping:\n");
		int ret = print_map();
		return ok ? ret : 1;
	}
	if (print || argc == 1)
		return print_map();
	return 0;
}

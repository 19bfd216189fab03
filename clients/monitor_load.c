/* SPDX-License-Identifier: BSD-3-Clause */
/* monitor_load: a load bar per worker CPU every poll interval, from the
 * stats rates and the original scheduler's load model (a relay at 15 Mpps
 * and 50 Gb/s both ways is 60 characters), as virtioforwarder_monitor_load.py.
 * --count N stops after N screens (for scripts and tests). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "sched.h"
#include "virtioforwarder.pb-c.h"

#define MAX_CPUS 1024

/* the original scheduler's per-direction load model (sched.c), in cores */
static double load_vm_to_vf(const Virtioforwarder__RelayState__VMtoVF *d)
{
	return sched_load_vm_to_vf(d->pkt_rate_rx_from_vm, d->pkt_rate_tx_to_vf,
		d->byte_rate_rx_from_vm, d->byte_rate_tx_to_vf);
}

static double load_vf_to_vm(const Virtioforwarder__RelayState__VFtoVM *u)
{
	return sched_load_vf_to_vm(u->pkt_rate_rx_from_vf, u->pkt_rate_tx_to_vm,
		u->byte_rate_rx_from_vf, u->byte_rate_tx_to_vm);
}

static void *ask(const char *ep, const ProtobufCMessage *m, const ProtobufCMessageDescriptor *rd,
	int timeout)
{
	return client_ask("monitor_load", ep, m, rd, timeout);
}

int main(int argc, char **argv)
{
	const char *stats_ep = EP_DIR "stats", *sched_ep = EP_DIR "core_sched";
	double interval = 2;
	long count = -1;
	const struct cli_opt opts[] = {
		CLI_STR("stats-ep", &stats_ep),
		CLI_STR("sched-ep", &sched_ep),
		CLI_DOUBLE("poll-interval", &interval),
		CLI_LONG("count", &count),
		CLI_END,
	};
	static const char usage[] = "usage: monitor_load [--stats-ep EP] [--sched-ep EP] "
				    "[--poll-interval S] [--count N]\n";
	if (cli_parse(argc, argv, opts, usage) < 0)
		return 2;
	Virtioforwarder__CoreSchedRequest creq = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	creq.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
	Virtioforwarder__CoreSchedResponse *cores =
		ask(sched_ep, &creq.base, &virtioforwarder__core_sched_response__descriptor, 2000);
	if (cores == NULL || cores->n_eal_cores == 0)
		return 1;
	/* full scale: one relay at 15 Mpps and 50 Gb/s in both directions */
	double full = sched_load_vm_to_vf(15e6, 15e6, 6.25e9, 6.25e9) +
		sched_load_vf_to_vm(15e6, 15e6, 6.25e9, 6.25e9);
	for (long n = 0; count < 0 || n < count; n++) {
		Virtioforwarder__StatsRequest sreq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
		sreq.has_include_inactive = sreq.has_delay = true;
		sreq.delay = 200;
		Virtioforwarder__StatsResponse *st =
			ask(stats_ep, &sreq.base, &virtioforwarder__stats_response__descriptor, 2200);
		if (st == NULL)
			return 1;
		double load[MAX_CPUS] = {0};
		for (size_t i = 0; i < st->n_relay; i++) {
			const Virtioforwarder__RelayState *rs = st->relay[i];
			if (rs->cpu && rs->cpu->has_vm_to_vf && rs->cpu->vm_to_vf < MAX_CPUS &&
				rs->cpu->vm_to_vf >= 0)
				load[rs->cpu->vm_to_vf] += load_vm_to_vf(rs->vm_to_vf);
			if (rs->cpu && rs->cpu->has_vf_to_vm && rs->cpu->vf_to_vm < MAX_CPUS &&
				rs->cpu->vf_to_vm >= 0)
				load[rs->cpu->vf_to_vm] += load_vf_to_vm(rs->vf_to_vm);
		}
		if (isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);
		printf("CPU loads\n");
		for (size_t c = 0; c < cores->n_eal_cores; c++) {
			unsigned cpu = cores->eal_cores[c];
			int bar = cpu < MAX_CPUS ? (int)(load[cpu] / full * 60 + 0.5) : 0;
			printf("CPU%u: %.*s\n", cpu, bar > 200 ? 200 : bar,
				"------------------------------------------------------------"
				"------------------------------------------------------------"
				"------------------------------------------------------------"
				"--------------------");
		}
		fflush(stdout);
		virtioforwarder__stats_response__free_unpacked(st, NULL);
		if (count < 0 || n + 1 < count)
			usleep((useconds_t)(interval * 1e6));
	}
	virtioforwarder__core_sched_response__free_unpacked(cores, NULL);
	return 0;
}

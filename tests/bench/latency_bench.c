/* SPDX-License-Identifier: BSD-3-Clause */
/* Power-aware polling, measured: one relay on one worker (lcore 1), a
 * virtio_user VM and a net_ring VF (loopback) in this process, so a packet
 * the VM sends crosses the relay twice (VM->VF, VF->VM) and comes back.
 *   latency_bench IDLE_SLEEP_MAX_US [IDLE_SECONDS]
 * Prints the CPU the process burns while no packet moves (the worker is
 * nearly all of it), and round-trip latency percentiles: the first packet
 * after 20 ms of idling (the worker is in its deepest sleep), and packets
 * every 100 µs (light load). No assertion on timing: figures only. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "inproc.h"
#include "relay.h"

#define RELAY 0
#define SAMPLES 300

static struct inproc_vm vm;

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		ru.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* one packet out, poll until it is back; microseconds */
static double round_trip(uint32_t seq)
{
	struct rte_mbuf *m = inproc_pkt(vm.pool, seq), *pkts[32];
	uint64_t t0 = rte_rdtsc();
	CHECK(rte_eth_tx_burst(vm.port, 0, &m, 1) == 1, "tx");
	for (;;) {
		uint16_t n = rte_eth_rx_burst(vm.port, 0, pkts, 32);
		uint32_t got = UINT32_MAX;
		for (uint16_t i = 0; i < n; i++)
			inproc_pkt_ok(pkts[i], &got);
		rte_pktmbuf_free_bulk(pkts, n);
		if (got == seq)
			break;
		CHECK(rte_rdtsc() - t0 < rte_get_tsc_hz(), "packet %u lost", seq);
	}
	return (double)(rte_rdtsc() - t0) * 1e6 / (double)rte_get_tsc_hz();
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp);
	printf("%s: n=%u p50=%.1fus p90=%.1fus p99=%.1fus max=%.1fus\n", what, n, v[n / 2],
		v[n * 9 / 10], v[n * 99 / 100], v[n - 1]);
}

int main(int argc, char **argv)
{
	unsigned sleep_max = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
	double idle_secs = argc > 2 ? atof(argv[2]) : 10;
	inproc_eal(argv[0], "0@0,1@1", "512");

	bool workers[2] = {false, true};
	struct relay_params p = {.worker_cpus = workers, .n_cpus = 2, .socket_uid = (uid_t)-1,
		.socket_gid = (gid_t)-1, .idle_sleep_max_us = sleep_max};
	CHECK(relay_init(&p) == 0, "relay_init");
	char sock[128];
	snprintf(sock, sizeof(sock), "/tmp/latbench%d.sock", (int)getpid());
	inproc_vm_init(&vm, sock, 0, 4095);
	struct relay_fault f;
	CHECK(relay_add_socket(RELAY, sock, &f) == 0, "socket");
	CHECK(relay_attach_vf(RELAY, "net_ring0", false, &f) == 0, "vf");
	inproc_vm_connect(&vm);
	struct relay_info ri;
	for (int i = 0; i < 5000; i++) {
		relay_process_events();
		relay_get_info(RELAY, &ri);
		if (ri.active)
			break;
		usleep(1000);
	}
	CHECK(ri.active, "relay not active");

	/* idle: the worker's share of a core while nothing moves */
	usleep(200000);
	double c0 = cpu_seconds(), t0 = now();
	usleep((useconds_t)(idle_secs * 1e6));
	double idle_cpu = (cpu_seconds() - c0) / (now() - t0) * 100;
	printf("idle_sleep_max_us=%u idle_cpu=%.2f%% of one core over %.0f s\n", sleep_max, idle_cpu,
		idle_secs);

	double v[SAMPLES];
	for (unsigned i = 0; i < SAMPLES; i++) {
		usleep(20000);
		v[i] = round_trip(i);
	}
	report("first packet after 20 ms idle, round trip", v, SAMPLES);
	for (unsigned i = 0; i < SAMPLES; i++) {
		double t = now();
		v[i] = round_trip(1000 + i);
		while (now() - t < 100e-6)
			;
	}
	report("light load (one packet per 100 us), round trip", v, SAMPLES);

	inproc_vm_disconnect(&vm);
	relay_fini();
	rte_eal_cleanup();
	unlink(sock);
	return 0;
}

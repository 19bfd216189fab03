/* SPDX-License-Identifier: BSD-3-Clause */
/* How a busy relay's cost grows with idle relays on the same worker. N
 * relays (VF = net_ring loopback, VM = virtio_user, all in this process,
 * all connected), traffic on relay 0 only: 256 packets kept in flight in a
 * closed loop that this thread reflects. Prints the worker's own cycles per
 * packet (TSC cycles of passes that moved packets / packets) and the loop
 * rate, for each N given.
 *   scale_bench SECONDS N...      e.g. scale_bench 3 1 8 32 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "inproc.h"
#include "relay.h"

#define MAX_RELAYS 32
#define IN_FLIGHT 256

static struct inproc_vm vms[MAX_RELAYS];
static char socks[MAX_RELAYS][64];

static void wait_active(unsigned id)
{
	struct relay_info ri;
	for (int i = 0; i < 10000; i++) {
		relay_process_events();
		relay_get_info(id, &ri);
		if (ri.active)
			return;
		usleep(1000);
	}
	CHECK(0, "relay %u not active", id);
}

static void add_relay(unsigned id)
{
	struct relay_fault f;
	char vf[32];
	snprintf(socks[id], sizeof(socks[id]), "/tmp/scale%d_%u.sock", (int)getpid(), id);
	snprintf(vf, sizeof(vf), "net_ring%u", id);
	inproc_vm_init(&vms[id], socks[id], id, 1023);
	CHECK(relay_add_socket(id, socks[id], &f) == 0, "socket %u", id);
	CHECK(relay_attach_vf(id, vf, false, &f) == 0, "vf %u", id);
	inproc_vm_connect(&vms[id]);
	wait_active(id);
}

static void measure(unsigned n_relays, double secs)
{
	struct rte_mbuf *pkts[64];
	uint64_t b0, p0, b1, p1, hz;
	unsigned back = 0;
	/* load the loop */
	for (unsigned i = 0; i < IN_FLIGHT; i++) {
		struct rte_mbuf *m = inproc_pkt(vms[0].pool, i);
		CHECK(rte_eth_tx_burst(vms[0].port, 0, &m, 1) == 1, "inject");
	}
	usleep(100000);
	relay_worker_load(1, &b0, &p0, &hz);
	uint64_t t0 = rte_rdtsc(), end = t0 + (uint64_t)(secs * (double)rte_get_tsc_hz());
	while (rte_rdtsc() < end) {
		uint16_t n = rte_eth_rx_burst(vms[0].port, 0, pkts, 64);
		uint16_t t = rte_eth_tx_burst(vms[0].port, 0, pkts, n);
		rte_pktmbuf_free_bulk(pkts + t, n - t);
		back += n;
	}
	double dt = (double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz();
	relay_worker_load(1, &b1, &p1, &hz);
	printf("relays=%u worker_cycles_per_packet=%.1f loop_mpps=%.3f\n", n_relays,
		p1 > p0 ? (double)(b1 - b0) / (double)(p1 - p0) : 0.0, back / dt / 1e6);
	fflush(stdout);
	/* drain what is still in flight */
	for (int i = 0; i < 200; i++) {
		uint16_t n = rte_eth_rx_burst(vms[0].port, 0, pkts, 64);
		rte_pktmbuf_free_bulk(pkts, n);
		usleep(n ? 0 : 1000);
	}
}

int main(int argc, char **argv)
{
	CHECK(argc >= 3, "usage: scale_bench SECONDS N...");
	double secs = atof(argv[1]);
	inproc_eal(argv[0], "0@0,1@1", "1536");
	bool workers[2] = {false, true};
	struct relay_params p = {.worker_cpus = workers, .n_cpus = 2, .socket_uid = (uid_t)-1,
		.socket_gid = (gid_t)-1, .idle_sleep_max_us = 0};
	CHECK(relay_init(&p) == 0, "relay_init");
	unsigned have = 0;
	for (int a = 2; a < argc; a++) {
		unsigned n = (unsigned)atoi(argv[a]);
		CHECK(n >= 1 && n <= MAX_RELAYS, "N in 1..32");
		while (have < n)
			add_relay(have++);
		measure(n, secs);
	}
	for (unsigned i = 0; i < have; i++)
		inproc_vm_disconnect(&vms[i]);
	relay_fini();
	rte_eal_cleanup();
	for (unsigned i = 0; i < have; i++)
		unlink(socks[i]);
	return 0;
}

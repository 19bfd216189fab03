/* SPDX-License-Identifier: BSD-3-Clause */
/* Power-aware polling, measured: one relay on one worker (lcore 1), a
 * virtio_user VM in this process, and a VF that sends each frame back:
 *   ring: net_ring loopback (cannot interrupt: the worker needs timed polls)
 *   tap:  net_tap; an AF_PACKET socket on the kernel side of the tap, polled
 *         by the same thread as the VM, echoes each frame (RX interrupts:
 *         the tap's fd). Also timed: each leg alone after idling.
 * so a frame the VM sends crosses the relay twice (VM->VF, VF->VM).
 *   latency_bench ring|tap interrupt|spin|sleep:N|interrupt+sleep:N [IDLE_SECONDS]
 * interrupt = --idle-interrupts; spin = the daemon's default;
 * sleep:N = --idle-sleep-max-us=N.
 * Prints the CPU the process burns while no frame moves (the worker is
 * nearly all of it; from getrusage, as /proc has it), and round-trip
 * percentiles: the first frame after 20 ms of idling (the worker asleep,
 * if it sleeps), and frames every 100 us (light load). Figures only. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
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

static int wire_fd = -1; /* tap only: the kernel side, an AF_PACKET socket */

static double us_since(uint64_t t0)
{
	return (double)(rte_rdtsc() - t0) * 1e6 / (double)rte_get_tsc_hz();
}

static void lost(uint32_t seq, const char *where)
{
	struct relay_info ri;
	struct relay_worker_stats ws;
	relay_get_info(RELAY, &ri);
	relay_worker_load(1, &ws);
	CHECK(false,
		"frame %u lost (%s): vm_to_vf rx %" PRIu64 " tx %" PRIu64 ", vf_to_vm rx %" PRIu64
		" tx %" PRIu64 ", worker sleeps %" PRIu64,
		seq, where, ri.vm_to_vf.pkts_rx, ri.vm_to_vf.pkts_tx, ri.vf_to_vm.pkts_rx,
		ri.vf_to_vm.pkts_tx, ws.sleeps);
}

/* Frame seq from the VM, if it is in its RX queue now. */
static bool vm_received(uint32_t seq)
{
	struct rte_mbuf *pkts[32];
	uint16_t n = rte_eth_rx_burst(vm.port, 0, pkts, 32);
	bool got = false;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t s = UINT32_MAX;
		if (inproc_pkt_ok(pkts[i], &s) && s == seq)
			got = true;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return got;
}

/* A test frame from the wire, if one is there now; echoed back. */
static bool wire_echoed(void)
{
	unsigned char buf[2048];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(wire_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n != INPROC_PKT_LEN || from.sll_pkttype == PACKET_OUTGOING || buf[12] != 0x88 ||
		buf[13] != 0xb5)
		return false;
	CHECK(send(wire_fd, buf, (size_t)n, 0) == n, "echo send");
	return true;
}

/* VM -> relay -> VF (-> the wire echoes it, tap) -> relay -> VM, one
 * thread polling every end. Returns the round trip in us; *out_us gets
 * the VM->VF leg (tap only). */
static double round_trip(uint32_t seq, double *out_us)
{
	struct rte_mbuf *m = inproc_pkt(vm.pool, seq);
	bool echoed = wire_fd < 0;
	uint64_t t0 = rte_rdtsc();
	CHECK(rte_eth_tx_burst(vm.port, 0, &m, 1) == 1, "tx");
	for (;;) {
		if (!echoed && wire_echoed()) {
			echoed = true;
			*out_us = us_since(t0);
		}
		if (vm_received(seq))
			return us_since(t0);
		if (us_since(t0) > 1e6)
			lost(seq, echoed ? "on the way back" : "on the way out");
	}
}

/* tap: a frame from the wire to the VM (the worker asleep, if it sleeps) */
static double wire_to_vm(uint32_t seq)
{
	struct rte_mbuf *m = inproc_pkt(vm.pool, seq);
	unsigned char buf[INPROC_PKT_LEN];
	memcpy(buf, rte_pktmbuf_mtod(m, void *), INPROC_PKT_LEN);
	rte_pktmbuf_free(m);
	uint64_t t0 = rte_rdtsc();
	CHECK(send(wire_fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf), "wire send");
	while (!vm_received(seq))
		if (us_since(t0) > 1e6)
			lost(seq, "wire to vm");
	return us_since(t0);
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

static int open_wire(const char *ifname)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	CHECK(fd >= 0, "AF_PACKET socket (root?)");
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)if_nametoindex(ifname)};
	CHECK(sll.sll_ifindex > 0, "no interface %s", ifname);
	CHECK(bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == 0, "bind %s", ifname);
	return fd;
}

/* The platform's part: how long waking a thread asleep in epoll on the
 * worker's CPU takes (an eventfd write 20 ms after it fell asleep), with
 * no DPDK in the way. Sleeping workers cannot beat this. */
static atomic_uint_least64_t woke_at;
static int cal_efd, cal_epfd;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *cal_sleeper(void *arg)
{
	(void)arg;
	for (;;) {
		struct epoll_event ev;
		uint64_t v;
		if (epoll_wait(cal_epfd, &ev, 1, -1) == 1 && read(cal_efd, &v, sizeof(v)) > 0) {
			if (v == 2)
				return NULL;
			atomic_store(&woke_at, mono_ns());
		}
	}
}

static void platform_wake(void)
{
	cpu_set_t one;
	pthread_t t;
	double v[100];
	cal_efd = eventfd(0, EFD_NONBLOCK);
	cal_epfd = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	CHECK(cal_efd >= 0 && cal_epfd >= 0 && epoll_ctl(cal_epfd, EPOLL_CTL_ADD, cal_efd, &ev) == 0,
		"eventfd/epoll");
	CHECK(pthread_create(&t, NULL, cal_sleeper, NULL) == 0, "thread");
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	pthread_setaffinity_np(t, sizeof(one), &one);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	for (unsigned i = 0; i < 100; i++) {
		usleep(20000);
		atomic_store(&woke_at, 0);
		uint64_t one_ = 1, t0 = mono_ns();
		CHECK(write(cal_efd, &one_, sizeof(one_)) == sizeof(one_), "write");
		while (atomic_load(&woke_at) == 0)
			;
		v[i] = (double)(atomic_load(&woke_at) - t0) / 1e3;
	}
	uint64_t two = 2;
	CHECK(write(cal_efd, &two, sizeof(two)) == sizeof(two), "write");
	pthread_join(t, NULL);
	close(cal_efd);
	close(cal_epfd);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &one);
	pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	report("platform: wake a thread asleep in epoll on cpu 1 (eventfd, 20 ms idle)", v, 100);
}

static uint64_t worker_sleeps(void)
{
	struct relay_worker_stats ws;
	CHECK(relay_worker_load(1, &ws) == 0, "worker stats");
	return ws.sleeps;
}

int main(int argc, char **argv)
{
	CHECK(argc >= 3, "usage: latency_bench ring|tap interrupt|spin|sleep:N [IDLE_SECONDS]");
	const char *vf = argv[1], *mode = argv[2];
	double idle_secs = argc > 3 ? atof(argv[3]) : 10;
	bool tap = strcmp(vf, "tap") == 0;
	CHECK(tap || strcmp(vf, "ring") == 0, "VF must be ring or tap");
	const char *colon = strchr(mode, ':');
	unsigned sleep_max = colon != NULL ? (unsigned)atoi(colon + 1) : 0;
	bool interrupts = strncmp(mode, "interrupt", 9) == 0;
	CHECK(interrupts || strcmp(mode, "spin") == 0 || strncmp(mode, "sleep:", 6) == 0,
		"bad mode %s", mode);
	if (interrupts)
		platform_wake();
	inproc_eal(argv[0], "0@0,1@1", "512");

	bool workers[2] = {false, true};
	struct relay_params p = {.worker_cpus = workers, .n_cpus = 2, .socket_uid = (uid_t)-1,
		.socket_gid = (gid_t)-1, .idle_sleep_max_us = sleep_max,
		.idle_interrupts = interrupts};
	CHECK(relay_init(&p) == 0, "relay_init");
	char sock[128], ifname[IFNAMSIZ], devargs[64];
	snprintf(sock, sizeof(sock), "/tmp/latbench%d.sock", (int)getpid());
	snprintf(ifname, sizeof(ifname), "vtl%d", (int)getpid());
	snprintf(devargs, sizeof(devargs), tap ? "net_tap_lat,iface=%s" : "net_ring0", ifname);
	inproc_vm_init(&vm, sock, 0, 4095);
	struct relay_fault f;
	CHECK(relay_add_socket(RELAY, sock, &f) == 0, "socket");
	CHECK(relay_attach_vf(RELAY, devargs, false, &f) == 0, "vf %s", devargs);
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
	if (tap) {
		char path[128];
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
		FILE *fp = fopen(path, "w"); /* no router solicitations on the wire */
		if (fp != NULL)
			fputs("1", fp), fclose(fp);
		wire_fd = open_wire(ifname);
	}

	/* idle: the process's share of a core while nothing moves */
	usleep(200000);
	double c0 = cpu_seconds(), t0 = now();
	usleep((useconds_t)(idle_secs * 1e6));
	double idle_cpu = (cpu_seconds() - c0) / (now() - t0) * 100;
	printf("vf=%s mode=%s idle_cpu=%.2f%% of one core over %.0f s\n", vf, mode, idle_cpu,
		idle_secs);

	double v[SAMPLES], out[SAMPLES];
	char what[160];
	uint64_t s0 = worker_sleeps();
	for (unsigned i = 0; i < SAMPLES; i++) {
		usleep(20000);
		v[i] = round_trip(i, &out[i]);
	}
	snprintf(what, sizeof(what), "vf=%s mode=%s first frame after 20 ms idle, round trip", vf,
		mode);
	report(what, v, SAMPLES);
	if (tap) {
		snprintf(what, sizeof(what), "vf=%s mode=%s first frame after 20 ms idle, vm->vf", vf,
			mode);
		report(what, out, SAMPLES);
		for (unsigned i = 0; i < SAMPLES; i++) {
			usleep(20000);
			v[i] = wire_to_vm(2000 + i);
		}
		snprintf(what, sizeof(what), "vf=%s mode=%s first frame after 20 ms idle, vf->vm", vf,
			mode);
		report(what, v, SAMPLES);
	}
	printf("vf=%s mode=%s worker sleeps during them: %" PRIu64 "\n", vf, mode,
		worker_sleeps() - s0);
	for (unsigned i = 0; i < SAMPLES; i++) {
		double t = now();
		v[i] = round_trip(1000 + i, &out[i]);
		while (now() - t < 100e-6)
			;
	}
	snprintf(what, sizeof(what), "vf=%s mode=%s light load (a frame per 100 us), round trip",
		vf, mode);
	report(what, v, SAMPLES);
	fflush(stdout);
	if (wire_fd >= 0)
		close(wire_fd);
	inproc_vm_disconnect(&vm);
	relay_fini();
	rte_eal_cleanup();
	unlink(sock);
	return 0;
}

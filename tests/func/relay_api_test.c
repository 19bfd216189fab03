/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay API end to end in one process, on the real vhost-user backend:
 * a virtio_user port is the VM, a net_ring port (its TX loops back to its
 * RX) is the VF, so every packet the VM sends crosses the relay twice and
 * comes back. Checks: payloads intact, counters add up (rx = tx + drops),
 * VF detach/attach and VM disconnect/reconnect under traffic, and every
 * mbuf back in its pool once the relay is empty. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_cycles.h>

#include "inproc.h"
#include "relay.h"

#define RELAY 3
#define PKT_LEN INPROC_PKT_LEN

static struct inproc_vm vm;
static char sock_path[128];
static uint32_t next_seq;

static void pump_events_ms(unsigned ms)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
	while (rte_get_timer_cycles() < end) {
		relay_process_events();
		usleep(1000);
	}
}

static bool wait_state(enum relay_dpdk_state ds, enum relay_virtio_state vs)
{
	return inproc_wait_state(RELAY, ds, vs);
}

static void vm_connect(void)
{
	inproc_vm_connect(&vm);
}

static void vm_disconnect(void)
{
	inproc_vm_disconnect(&vm);
}

/* Send n packets from the VM in bursts, collecting what comes back;
 * between bursts call hook (may be NULL) once at burst number at. */
static unsigned traffic(unsigned n, unsigned at, void (*hook)(void))
{
	unsigned sent = 0, got = 0, burst_no = 0;
	/* done when all is sent and nothing came back for a second: workers
	 * share a CPU here, so a time bound, not a count of empty polls */
	uint64_t last_rx = rte_get_timer_cycles(), second = rte_get_timer_hz();
	while (vm.up && (sent < n || rte_get_timer_cycles() - last_rx < second)) {
		if (sent < n) {
			/* a full VM TX ring takes fewer: count only what went */
			sent += inproc_vm_send(&vm, n - sent, &next_seq);
			if (hook != NULL && ++burst_no == at)
				hook();
		}
		if (!vm.up)
			break;
		unsigned r = inproc_vm_receive(&vm);
		got += r;
		if (r > 0)
			last_rx = rte_get_timer_cycles();
		usleep(r ? 0 : 50);
		relay_process_events();
	}
	return got;
}

static void check_sums(const char *when)
{
	struct relay_info ri;
	relay_get_info(RELAY, &ri);
	const struct relay_counters *a = &ri.vm_to_vf, *b = &ri.vf_to_vm;
	printf("%s: vm_to_vf rx=%lu tx=%lu full=%lu nc=%lu inv=%lu; vf_to_vm rx=%lu tx=%lu full=%lu "
	       "nc=%lu\n",
		when, a->pkts_rx, a->pkts_tx, a->pkts_dropped_queue_full,
		a->pkts_dropped_not_connected, a->pkts_dropped_invalid, b->pkts_rx, b->pkts_tx,
		b->pkts_dropped_queue_full, b->pkts_dropped_not_connected);
	CHECK(a->pkts_rx ==
			a->pkts_tx + a->pkts_dropped_queue_full + a->pkts_dropped_not_connected +
				a->pkts_dropped_invalid,
		"vm_to_vf does not add up (%s)", when);
	CHECK(b->pkts_rx == b->pkts_tx + b->pkts_dropped_queue_full + b->pkts_dropped_not_connected,
		"vf_to_vm does not add up (%s)", when);
	CHECK(a->bytes_rx == a->bytes_tx + a->bytes_dropped_queue_full +
				     a->bytes_dropped_not_connected +
				     a->pkts_dropped_invalid * PKT_LEN,
		"vm_to_vf bytes (%s)", when);
}

static void move_to_1(void)
{
	CHECK(relay_move(RELAY, 1, 1) == 0, "move to 1");
}

static void move_to_2(void)
{
	/* the directions split across the two workers */
	CHECK(relay_move(RELAY, 2, 1) == 0, "move to 2");
	CHECK(relay_move(RELAY, -1, 2) == 0, "move vm_to_vf to 2");
}

/* relay_move_units' placement with every unit left where it is */
static void no_moves(struct relay_dir_cpus d[2])
{
	for (int k = 0; k < 2; k++)
		relay_dir_cpus_whole(&d[k], -1);
}

/* unit 0 of each direction alone to worker 2; queue 5, which the relay
 * does not have, is only recorded */
static void move_units_to_2(void)
{
	struct relay_dir_cpus d[2];
	no_moves(d);
	d[DIR_VF_TO_VM].queue_cpu[0] = d[DIR_VM_TO_VF].queue_cpu[0] = 2;
	d[DIR_VF_TO_VM].queue_cpu[5] = 1;
	CHECK(relay_move_units(RELAY, d) == 0, "move units to 2");
}

static void detach_vf(void)
{
	struct relay_fault f = {0};
	CHECK(relay_detach_vf(RELAY, "net_ring0", false, &f) == 0, "detach under traffic");
}

int main(int argc, char **argv)
{
	(void)argc;
	/* two workers (lcores 1 and 2) on one CPU: the machine has two; idle
	 * workers sleep as in the daemon (guest kicks wake them; the ring VFs
	 * cannot interrupt, so 50 us timed polls) */
	inproc_eal(argv[0], "0@0,1@1,2@1", "512");
	CHECK(rte_lcore_count() == 3, "need 3 lcores");

	bool workers[3] = {false, true, true};
	struct relay_params p = {.worker_cpus = workers, .n_cpus = 3, .socket_uid = (uid_t)-1,
		.socket_gid = (gid_t)-1, .idle_sleep_max_us = 50, .idle_interrupts = true};
	CHECK(relay_init(&p) == 0, "relay_init");
	snprintf(sock_path, sizeof(sock_path), "/tmp/relayapi%d.sock", (int)getpid());
	inproc_vm_init(&vm, sock_path, 0, 4095);
	struct relay_fault f = {0};
	CHECK(relay_add_socket(RELAY, sock_path, &f) == 0, "add socket");
	CHECK(relay_add_socket(RELAY + 1, sock_path, &f) == -EEXIST, "same path twice");
	CHECK(relay_attach_vf(99, "net_ring0", false, &f) == -EINVAL, "bad relay id");
	CHECK(relay_attach_vf(RELAY, "net_nosuchdriver0", false, &f) == -ENODEV, "bad device");
	CHECK(relay_detach_vf(RELAY, NULL, false, &f) == -ENOENT, "detach nothing");
	CHECK(relay_detach_vf(RELAY, NULL, true, &f) == 0, "conditional detach nothing");

	/* VF first: ADDED (stopped) until the VM comes */
	CHECK(relay_attach_vf(RELAY, "net_ring0", false, &f) == 0, "attach");
	CHECK(relay_attach_vf(RELAY, "net_ring0", true, &f) == 0, "conditional re-attach");
	CHECK(relay_attach_vf(RELAY, "net_ring1", false, &f) == -EBUSY, "busy relay");
	CHECK(relay_detach_vf(RELAY, "net_ring1", false, &f) == -EXDEV, "wrong device");
	CHECK(wait_state(DPDK_ADDED, VIRTIO_UNINIT), "added");

	vm_connect();
	CHECK(wait_state(DPDK_READY, VIRTIO_READY), "ready");
	struct relay_info ri;
	unsigned got = traffic(2000, 0, NULL);
	relay_get_info(RELAY, &ri);
	printf("round trip: sent 2000, got %u (vm_to_vf rx %" PRIu64 " tx %" PRIu64
	       " queue_full %" PRIu64 ", vf_to_vm rx %" PRIu64 " tx %" PRIu64 " queue_full %" PRIu64
	       ")\n",
		got, ri.vm_to_vf.pkts_rx, ri.vm_to_vf.pkts_tx, ri.vm_to_vf.pkts_dropped_queue_full,
		ri.vf_to_vm.pkts_rx, ri.vf_to_vm.pkts_tx, ri.vf_to_vm.pkts_dropped_queue_full);
	CHECK(got == 2000, "lossless round trip at low rate: %u", got);
	check_sums("steady");

	/* directions moved between workers under traffic: nothing lost */
	for (int round = 0; round < 6; round++) {
		got = traffic(2000, 10 + round, round % 2 ? move_to_1 : move_to_2);
		CHECK(got == 2000, "moving round %d lost packets: %u of 2000", round, got);
	}
	relay_get_info(RELAY, &ri);
	CHECK(ri.vf_to_vm_cpu == 1 && ri.vm_to_vf_cpu == 1, "cpus after moves %d,%d",
		ri.vf_to_vm_cpu, ri.vm_to_vf_cpu);
	/* single units moved under traffic: nothing lost either */
	got = traffic(2000, 10, move_units_to_2);
	CHECK(got == 2000, "moving units lost packets: %u of 2000", got);
	relay_get_info(RELAY, &ri);
	CHECK(ri.vf_to_vm_cpu == 2 && ri.vm_to_vf_cpu == 2, "cpus after unit moves %d,%d",
		ri.vf_to_vm_cpu, ri.vm_to_vf_cpu);
	struct relay_dir_cpus d[2];
	no_moves(d);
	d[DIR_VF_TO_VM].cpu = 1;
	d[DIR_VM_TO_VF].queue_cpu[3] = 3;
	CHECK(relay_move_units(RELAY, d) == -EINVAL, "moved a unit to a CPU that is no worker");
	relay_get_info(RELAY, &ri);
	CHECK(ri.vf_to_vm_cpu == 2, "a refused move moved vf_to_vm to %d", ri.vf_to_vm_cpu);
	CHECK(relay_move(RELAY, 1, 1) == 0, "whole directions back to 1");
	CHECK(relay_move(RELAY, 3, 1) == -EINVAL, "moved to a CPU that is no worker");
	CHECK(relay_move(99, 1, 1) == -EINVAL, "moved a relay that does not exist");
	check_sums("after moves");

	/* VF removed under traffic: VM->VF drops as not connected */
	got = traffic(4000, 20, detach_vf);
	CHECK(wait_state(DPDK_UNINIT, VIRTIO_READY), "vf gone, vm stays");
	pump_events_ms(100);
	check_sums("vf removed under traffic");
	relay_get_info(RELAY, &ri);
	CHECK(ri.vm_to_vf.pkts_dropped_not_connected > 0, "no not-connected drops counted");

	/* VF back: traffic resumes */
	CHECK(relay_attach_vf(RELAY, "net_ring0", false, &f) == 0, "re-attach");
	CHECK(wait_state(DPDK_READY, VIRTIO_READY), "ready again");
	got = traffic(1000, 0, NULL);
	CHECK(got == 1000, "after re-attach: %u", got);

	/* VM leaves under traffic, then comes back */
	got = traffic(2000, 10, vm_disconnect);
	CHECK(wait_state(DPDK_ADDED, VIRTIO_UNINIT), "vm gone");
	check_sums("vm removed under traffic");
	vm_connect();
	CHECK(wait_state(DPDK_READY, VIRTIO_READY), "vm back");
	got = traffic(1000, 0, NULL);
	CHECK(got == 1000, "after reconnect: %u", got);
	check_sums("after reconnect");

	/* counters survive across VF and VM changes: cumulative per relay */
	relay_get_info(RELAY, &ri);
	CHECK(ri.vm_to_vf.pkts_rx >= 2000 + 1000 + 1000, "counters were reset");

	/* the ethdev limit of the build is reported, not hit blindly: fill every
	 * other relay with a null VF until no port is left */
	int full = 0;
	for (unsigned id = 0; id < relay_max() && full == 0; id++) {
		char dev[32];
		snprintf(dev, sizeof(dev), "net_null%u", id);
		if (id == RELAY)
			continue;
		int ret = relay_attach_vf(id, dev, false, &f);
		CHECK(ret == 0 || ret == -ENOSPC, "relay %u: %d", id, ret);
		full = ret == -ENOSPC;
	}
	CHECK(full, "never reached the ethdev limit");
	for (unsigned id = 0; id < relay_max(); id++)
		if (id != RELAY)
			relay_detach_vf(id, NULL, true, &f);

	/* empty the relay: every mbuf must be back, every pool freed */
	vm_disconnect();
	CHECK(wait_state(DPDK_ADDED, VIRTIO_UNINIT), "vm gone again");
	CHECK(relay_detach_vf(RELAY, NULL, false, &f) == 0, "final detach");
	CHECK(relay_remove_socket(RELAY, &f) == 0, "remove socket");
	CHECK(access(sock_path, F_OK) != 0, "socket file left");
	unsigned in_use, cap;
	relay_pool_usage(&in_use, &cap);
	printf("relay pools after removal: %u in use, %u capacity\n", in_use, cap);
	CHECK(in_use == 0 && cap == 0, "relay pool not freed (%u in use)", in_use);
	CHECK(rte_mempool_full(vm.pool), "vm pool leaked %u",
		vm.pool->size - rte_mempool_avail_count(vm.pool));
	relay_fini();
	rte_mempool_free(vm.pool);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}

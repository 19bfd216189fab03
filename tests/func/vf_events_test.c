/* SPDX-License-Identifier: BSD-3-Clause */
/* VF events in one process: a net_ring VF (its TX loops back to its RX)
 * and a virtio_user VM on the relay's socket, as relay_api_test. Events
 * are injected as a PMD raises them (rte_eth_dev_callback_process, on
 * this thread, which is the control thread here): the callbacks only
 * post, and relay_process_events acts. Checks: RESET leaves the relay
 * forwarding again (counted); LSC records the link; RMV detaches the VF
 * (counted, every mbuf back); a bond member's RESET and RMV leave the bond
 * forwarding on the other member, the last member's RMV detaches it (the
 * members are net_null sinks: net_ring takes no MAC, which the bonding PMD
 * sets on its members, so the bond counts what reaches the VF). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eth_bond.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "inproc.h"
#include "relay.h"

/* ethdev_driver.h (not installed by Debian): what a PMD calls to raise an
 * event, and how it finds its device */
struct rte_eth_dev;
struct rte_eth_dev *rte_eth_dev_allocated(const char *name);
int rte_eth_dev_callback_process(struct rte_eth_dev *dev, enum rte_eth_event_type event,
	void *ret_param);

#define RELAY 2

static struct inproc_vm vm;
static uint32_t next_seq;

static void raise_event(const char *dev_name, enum rte_eth_event_type type)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(dev_name);
	CHECK(dev != NULL, "no ethdev %s", dev_name);
	rte_eth_dev_callback_process(dev, type, NULL);
}

static void pump_events_ms(unsigned ms)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
	while (rte_get_timer_cycles() < end) {
		relay_process_events();
		usleep(1000);
	}
}

static struct relay_info info(void)
{
	struct relay_info ri;
	relay_get_info(RELAY, &ri);
	return ri;
}

static bool wait_state(enum relay_dpdk_state ds, enum relay_virtio_state vs)
{
	struct relay_info ri;
	for (int i = 0; i < 5000; i++) {
		relay_process_events();
		ri = info();
		if (ri.dpdk_state == ds && ri.virtio_state == vs)
			return true;
		usleep(1000);
	}
	fprintf(stderr, "state %s/%s\n", relay_dpdk_state_str(ri.dpdk_state),
		relay_virtio_state_str(ri.virtio_state));
	return false;
}

/* n packets from the VM; returns how many came back intact */
static unsigned traffic(unsigned n)
{
	unsigned sent = 0, got = 0;
	uint64_t last_rx = rte_get_timer_cycles(), second = rte_get_timer_hz();
	while (sent < n || rte_get_timer_cycles() - last_rx < second) {
		if (sent < n)
			sent += inproc_vm_send(&vm, n - sent, &next_seq);
		unsigned r = inproc_vm_receive(&vm);
		got += r;
		if (r > 0)
			last_rx = rte_get_timer_cycles();
		usleep(r ? 0 : 50);
		relay_process_events();
	}
	return got;
}

/* n packets from the VM; returns how many the relay sent to the VF */
static uint64_t sent_to_vf(unsigned n)
{
	uint64_t before = info().vm_to_vf.pkts_tx;
	for (unsigned sent = 0; sent < n;) {
		sent += inproc_vm_send(&vm, n - sent, &next_seq);
		usleep(200);
	}
	pump_events_ms(300);
	return info().vm_to_vf.pkts_tx - before;
}

static void check_mbufs_back(const char *when)
{
	unsigned in_use, cap;
	pump_events_ms(50); /* workers finish the pass they are in */
	relay_pool_usage(&in_use, &cap);
	printf("%s: relay pools %u in use of %u\n", when, in_use, cap);
	CHECK(in_use == 0, "%s: %u mbufs not back", when, in_use);
}

/* the port id of the ethdev named name */
static uint16_t port_of(const char *name)
{
	uint16_t p;
	CHECK(rte_eth_dev_get_port_by_name(name, &p) == 0, "no port %s", name);
	return p;
}

static void single_vf(void)
{
	struct relay_fault f = {0};
	CHECK(relay_attach_vf(RELAY, "net_ring0", false, &f) == 0, "attach");
	CHECK(wait_state(DPDK_READY, VIRTIO_READY), "ready");
	CHECK(traffic(500) == 500, "before any event");
	struct relay_info ri = info();
	CHECK(ri.vf_link_up && ri.vf_link_speed == 10000, "link at start: %d, %u Mbps",
		ri.vf_link_up, ri.vf_link_speed);
	CHECK(ri.vf_resets == 0 && ri.vf_removals == 0, "events counted before any");

	/* RESET: posted by the callback, handled on the control thread */
	raise_event("net_ring0", RTE_ETH_EVENT_INTR_RESET);
	CHECK(info().vf_resets == 0, "reset handled in the callback, not the control thread");
	relay_process_events();
	ri = info();
	CHECK(ri.vf_resets == 1, "reset not counted: %" PRIu64, ri.vf_resets);
	CHECK(wait_state(DPDK_READY, VIRTIO_READY), "not forwarding after the reset");
	unsigned got = traffic(500);
	printf("after RESET: 500 sent, %u back\n", got);
	CHECK(got == 500, "after the reset: %u of 500", got);

	/* LSC: the PMD's link goes down, then up again */
	uint16_t port = port_of("net_ring0");
	CHECK(rte_eth_dev_set_link_down(port) == 0, "set link down");
	raise_event("net_ring0", RTE_ETH_EVENT_INTR_LSC);
	relay_process_events();
	CHECK(!info().vf_link_up && info().vf_link_speed == 0, "link down not seen");
	CHECK(rte_eth_dev_set_link_up(port) == 0, "set link up");
	raise_event("net_ring0", RTE_ETH_EVENT_INTR_LSC);
	relay_process_events();
	CHECK(info().vf_link_up && info().vf_link_speed == 10000, "link up not seen");

	/* RMV: detached as a REMOVE would; the VM stays, every mbuf is back */
	raise_event("net_ring0", RTE_ETH_EVENT_INTR_RMV);
	relay_process_events();
	ri = info();
	CHECK(ri.dpdk_state == DPDK_UNINIT && ri.virtio_state == VIRTIO_READY,
		"after RMV: %s/%s", relay_dpdk_state_str(ri.dpdk_state),
		relay_virtio_state_str(ri.virtio_state));
	CHECK(ri.vf_removals == 1 && ri.vf_name == NULL, "removal not counted");
	CHECK(rte_eth_dev_get_port_by_name("net_ring0", &port) != 0, "removed VF still an ethdev");
	traffic(200); /* dropped as not connected */
	check_mbufs_back("after RMV");
	/* an event for a port no relay holds (the VM's): ignored */
	raise_event(vm.name, RTE_ETH_EVENT_INTR_RMV);
	relay_process_events();
	CHECK(info().vf_removals == 1 && vm.up, "an event for no relay's port acted on");
}

static void bond(void)
{
	struct relay_fault f = {0};
	const char *members[] = {"net_null1,no-rx=1", "net_null2,no-rx=1"};
	CHECK(relay_attach_bond(RELAY, "net_bonding0", 1, members, 2, false, &f) == 0,
		"attach bond: %s", relay_step_str(f.step));
	CHECK(wait_state(DPDK_READY, VIRTIO_READY), "bond ready");
	CHECK(sent_to_vf(500) == 500, "through the bond");
	uint16_t bond = port_of("net_bonding0");

	/* a member asks for a reset: the bond is restarted and forwards */
	raise_event("net_null1", RTE_ETH_EVENT_INTR_RESET);
	relay_process_events();
	CHECK(info().vf_resets == 2, "member reset not counted");
	CHECK(wait_state(DPDK_READY, VIRTIO_READY), "bond not forwarding after a member's reset");
	/* the restarted bond's link comes up by its own polling of the members
	 * (no LSC from net_null); until then active-backup sends nothing, as a
	 * real bond would while its link renegotiates (seen on a loaded host) */
	for (unsigned ms = 0; !info().vf_link_up && ms < 3000; ms += 10)
		pump_events_ms(10);
	CHECK(info().vf_link_up, "bond link not up after a member's reset");
	CHECK(sent_to_vf(500) == 500, "after a member's reset");

	/* the member carrying the traffic is removed: the other takes over */
	int primary = rte_eth_bond_primary_get(bond);
	char name[RTE_ETH_NAME_MAX_LEN];
	CHECK(primary >= 0 && rte_eth_dev_get_name_by_port((uint16_t)primary, name) == 0,
		"no primary");
	printf("removing bond member %s (port %d, primary)\n", name, primary);
	raise_event(name, RTE_ETH_EVENT_INTR_RMV);
	relay_process_events();
	struct relay_info ri = info();
	uint16_t left[4];
	CHECK(ri.vf_removals == 2, "member removal not counted");
	CHECK(ri.dpdk_state == DPDK_READY, "bond stopped after losing one member of two");
	CHECK(rte_eth_bond_slaves_get(bond, left, 4) == 1, "member still in the bond");
	uint64_t got = sent_to_vf(500);
	printf("after a member's RMV: 500 sent, %" PRIu64 " to the VF\n", got);
	CHECK(got == 500, "through the remaining member: %" PRIu64 " of 500", got);

	/* the last member goes: the bond is detached */
	CHECK(rte_eth_dev_get_name_by_port(left[0], name) == 0, "member name");
	raise_event(name, RTE_ETH_EVENT_INTR_RMV);
	relay_process_events();
	ri = info();
	CHECK(ri.dpdk_state == DPDK_UNINIT && ri.vf_removals == 3, "last member: %s, %" PRIu64,
		relay_dpdk_state_str(ri.dpdk_state), ri.vf_removals);
	CHECK(rte_eth_dev_get_port_by_name("net_bonding0", &bond) != 0, "bond still there");
	check_mbufs_back("after the bond's last member");
}

int main(int argc, char **argv)
{
	(void)argc;
	inproc_eal(argv[0], "0@0,1@1", "512");
	bool workers[2] = {false, true};
	struct relay_params p = {.worker_cpus = workers, .n_cpus = 2, .socket_uid = (uid_t)-1,
		.socket_gid = (gid_t)-1, .idle_sleep_max_us = 50, .idle_interrupts = true};
	CHECK(relay_init(&p) == 0, "relay_init");
	char sock_path[128];
	snprintf(sock_path, sizeof(sock_path), "/tmp/vfevents%d.sock", (int)getpid());
	inproc_vm_init(&vm, sock_path, 0, 4095);
	struct relay_fault f = {0};
	CHECK(relay_add_socket(RELAY, sock_path, &f) == 0, "add socket");
	inproc_vm_connect(&vm);
	CHECK(wait_state(DPDK_UNINIT, VIRTIO_READY), "vm");

	single_vf();
	bond();

	inproc_vm_disconnect(&vm);
	CHECK(wait_state(DPDK_UNINIT, VIRTIO_UNINIT), "vm gone");
	CHECK(relay_remove_socket(RELAY, &f) == 0, "remove socket");
	unsigned in_use, cap;
	relay_pool_usage(&in_use, &cap);
	CHECK(in_use == 0 && cap == 0, "relay pool not freed (%u in use)", in_use);
	relay_fini();
	CHECK(rte_mempool_full(vm.pool), "vm pool leaked");
	rte_mempool_free(vm.pool);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}

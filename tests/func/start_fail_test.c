/* SPDX-License-Identifier: BSD-3-Clause */
/* An ADD on a relay whose VM is connected, when the VF does not start:
 * the attach fails as a whole (-EIO, step STEP_START, wire code 1), the
 * relay is left without a VF and every mbuf is back; the next ADD, with a
 * VF that starts, forwards. rte_eth_dev_start is wrapped at link time
 * (-Wl,--wrap) so that it fails on demand. Before the fix the failure was
 * swallowed: the ADD answered OK and the relay stayed DPDK_ADDED. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "inproc.h"
#include "relay.h"

#define RELAY 2

static bool fail_start;
int __real_rte_eth_dev_start(uint16_t port_id);
int __wrap_rte_eth_dev_start(uint16_t port_id);
int __wrap_rte_eth_dev_start(uint16_t port_id)
{
	return fail_start ? -EIO : __real_rte_eth_dev_start(port_id);
}

static bool wait_state(enum relay_dpdk_state ds, enum relay_virtio_state vs)
{
	return inproc_wait_state(RELAY, ds, vs);
}

int main(int argc, char **argv)
{
	(void)argc;
	inproc_eal(argv[0], "0@0,1@1", "256");
	bool workers[2] = {false, true};
	struct relay_params p = {.worker_cpus = workers, .n_cpus = 2, .socket_uid = (uid_t)-1,
		.socket_gid = (gid_t)-1, .idle_sleep_max_us = 50, .idle_interrupts = true};
	CHECK(relay_init(&p) == 0, "relay_init");
	char sock[128];
	snprintf(sock, sizeof(sock), "/tmp/startfail%d.sock", (int)getpid());
	struct inproc_vm vm;
	inproc_vm_init(&vm, sock, 0, 1023);
	struct relay_fault f = {0};
	CHECK(relay_add_socket(RELAY, sock, &f) == 0, "add socket");
	inproc_vm_connect(&vm);
	CHECK(wait_state(DPDK_UNINIT, VIRTIO_READY), "vm ready");

	fail_start = true;
	int ret = relay_attach_vf(RELAY, "net_ring0", false, &f);
	CHECK(ret == -EIO, "attach with a VF that does not start returned %d", ret);
	CHECK(f.step == STEP_START, "step %s, want rte_eth_dev_start", relay_step_str(f.step));
	CHECK(wait_state(DPDK_UNINIT, VIRTIO_READY), "relay kept the VF that did not start");

	fail_start = false;
	CHECK(relay_attach_vf(RELAY, "net_ring1", false, &f) == 0, "attach after the failure");
	CHECK(wait_state(DPDK_READY, VIRTIO_READY), "forwarding");

	inproc_vm_disconnect(&vm);
	CHECK(wait_state(DPDK_ADDED, VIRTIO_UNINIT), "vm gone");
	CHECK(relay_detach_vf(RELAY, NULL, false, &f) == 0, "detach");
	CHECK(relay_remove_socket(RELAY, &f) == 0, "remove socket");
	unsigned in_use, cap;
	relay_pool_usage(&in_use, &cap);
	CHECK(in_use == 0, "%u mbufs not back", in_use);
	relay_fini();
	printf("PASS\n");
	return 0;
}

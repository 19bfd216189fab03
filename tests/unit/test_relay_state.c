/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay state machine (relay/relay.c) alone: every module it drives
 * (vf.c, vm.c, unit_place.c, pool.c, vf_events.c, the event ring, the
 * workers) is replaced here by a fake that records what it was asked, so
 * the transitions and the order of their steps are checked without a
 * device, a VM or a worker: attach, a VM arriving with several queue
 * pairs, a guest changing its queue count, a VF that does not start, VF
 * and bond member resets and removals, detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "datapath.h"
#include "pool.h"
#include "relay_events.h"
#include "relay_int.h"
#include "unit_place.h"
#include "vf.h"
#include "vf_events.h"
#include "vm.h"
#include "worker.h"

/* ---- what the fakes were asked, in order ---- */
static char calls[4096];

static void called(const char *fmt, ...)
{
	size_t len = strlen(calls);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(calls + len, sizeof(calls) - len, fmt, ap);
	va_end(ap);
	strncat(calls, " ", sizeof(calls) - strlen(calls) - 1);
}

/* ---- fake devices ---- */
static uint16_t fake_vf_max_queues = 4;
static int fake_start_fails;
static uint16_t fake_members[4];
static int fake_n_members;
static struct rte_mempool fake_pool;

int vf_probe(const char *devargs, uint16_t *port, struct relay_fault *f)
{
	(void)f;
	called("probe(%s)", devargs);
	*port = 7;
	return 0;
}

int vf_configure(uint16_t port, struct rte_mempool *mp, struct vf_setup *vs, struct relay_fault *f)
{
	(void)mp, (void)f;
	called("configure(%u,%u)", port, vs->queues);
	vs->max_queues = fake_vf_max_queues;
	vs->mtu = 1500;
	vs->tx_capa = 0;
	return 0;
}

int vf_start(uint16_t port, bool *rx_intr, struct relay_fault *f)
{
	(void)f;
	called("start(%u)", port);
	*rx_intr = false;
	return fake_start_fails ? -EIO : 0;
}

void vf_stop(uint16_t port)
{
	called("stop(%u)", port);
}

void vf_remove(uint16_t port)
{
	called("remove(%u)", port);
}

void vf_remove_any(uint16_t port)
{
	called("remove_any(%u)", port);
}

int vf_bond_create(const char *name, unsigned mode, const char *const *members, unsigned n,
	uint16_t *port, struct relay_fault *f)
{
	(void)mode, (void)members, (void)f;
	called("bond(%s,%u)", name, n);
	*port = 9;
	fake_n_members = 2;
	fake_members[0] = 10;
	fake_members[1] = 11;
	return 0;
}

int vf_socket(uint16_t port)
{
	(void)port;
	return 0;
}

uint16_t vf_max_queues(uint16_t port)
{
	(void)port;
	return fake_vf_max_queues;
}

int vf_bond_members(uint16_t port, uint16_t *m)
{
	if (port != 9)
		return 0;
	memcpy(m, fake_members, sizeof(m[0]) * (size_t)fake_n_members);
	return fake_n_members;
}

int vf_reset(uint16_t port)
{
	called("reset(%u)", port);
	return 0;
}

int vf_bond_member_remove(uint16_t bond, uint16_t member)
{
	called("member_remove(%u,%u)", bond, member);
	for (int k = 0; k < fake_n_members; k++)
		if (fake_members[k] == member)
			fake_members[k] = fake_members[--fake_n_members];
	return fake_n_members;
}

/* ---- fake VM half: one guest, its queue pairs set by the test ---- */
static unsigned fake_guest_rings = 2;

int vm_register(const char *path, bool client, struct relay_fault *f)
{
	(void)f;
	(void)client;
	called("register(%s)", path);
	return 0;
}

int vm_unregister(const char *path, bool client)
{
	(void)client;
	called("unregister(%s)", path);
	return 0;
}

bool vm_take_vid(struct relay *r, uint64_t seq)
{
	r->vid = 3;
	r->conn_seq_seen = seq;
	return true;
}

int rte_vhost_get_numa_node(int vid)
{
	(void)vid;
	return 0;
}

uint16_t rte_vhost_get_vring_num(int vid)
{
	(void)vid;
	return (uint16_t)fake_guest_rings;
}

int rte_vhost_get_negotiated_features(int vid, uint64_t *features)
{
	(void)vid;
	*features = 0;
	return 0;
}

/* ---- fake placement, pools, workers ---- */
static unsigned published[2]; /* units published per direction */

void units_init_pins(const struct relay_params *p)
{
	(void)p;
}

int unit_pin(const struct relay *r, enum relay_dir_kind kind, unsigned q)
{
	(void)r, (void)kind, (void)q;
	return -1;
}

int units_publish(struct relay *r, enum relay_dir_kind kind, uint16_t n, int numa)
{
	(void)r, (void)numa;
	called("publish(%s,%u)", kind == DIR_VF_TO_VM ? "up" : "down", n);
	published[kind] = n;
	return 0;
}

void units_unpublish(struct relay *r, enum relay_dir_kind kind)
{
	(void)r;
	if (published[kind] > 0)
		called("unpublish(%s)", kind == DIR_VF_TO_VM ? "up" : "down");
	published[kind] = 0;
}

int units_republish_vm_to_vf(struct relay *r)
{
	uint16_t n = r->dpdk_state == DPDK_READY ? r->vf_queues :
						   (uint16_t)RTE_MAX(r->guest_pairs, (uint16_t)1);
	units_unpublish(r, DIR_VM_TO_VF);
	return units_publish(r, DIR_VM_TO_VF, n, 0);
}

static void fake_pool_set(struct relay *r, struct rte_mempool *mp, uint16_t queues)
{
	r->pool = mp;
	r->pool_queues = mp != NULL ? queues : 0;
}

int relay_pool_ensure(struct relay *r, int socket, uint16_t queues)
{
	(void)socket;
	if (r->pool == NULL) {
		called("pool(%u)", queues);
		fake_pool_set(r, &fake_pool, queues);
	}
	return 0;
}

struct rte_mempool *relay_pool_grow(struct relay *r, uint16_t queues)
{
	called("grow(%u)", queues);
	fake_pool_set(r, &fake_pool, queues);
	return &fake_pool;
}

void relay_pool_release_if_unused(struct relay *r)
{
	if (r->dpdk_state == DPDK_UNINIT && r->virtio_state == VIRTIO_UNINIT && r->pool != NULL) {
		called("pool_release");
		fake_pool_set(r, NULL, 0);
	}
}

void relay_gso_prepare(struct relay *r)
{
	(void)r;
}

void pool_put(struct rte_mempool *mp)
{
	(void)mp;
}

void pool_gso_fini(void)
{
}

void pool_usage(unsigned *in_use, unsigned *capacity)
{
	*in_use = *capacity = 0;
}

int worker_init(const struct relay_params *p)
{
	(void)p;
	return 0;
}

void worker_fini(void)
{
}

int worker_choose(int cpu, int numa)
{
	(void)numa;
	return cpu >= 0 ? cpu : 1;
}

void worker_fds_changed(void)
{
}

void fwd_drain_vf(struct relay_unit *u, uint16_t port)
{
	(void)u, (void)port;
}

/* ---- fake VF events and event ring ---- */
static struct relay_event queue[8];
static unsigned q_head, q_n;

int relay_events_init(void)
{
	return 0;
}

void relay_events_fini(void)
{
}

void relay_post_event(enum relay_event_type type, unsigned relay_id, uint64_t seq)
{
	queue[(q_head + q_n++) % 8] = (struct relay_event){type, relay_id, seq};
}

bool relay_event_next(struct relay_event *ev)
{
	if (q_n == 0)
		return false;
	*ev = queue[q_head++ % 8];
	q_n--;
	return true;
}

int vf_events_init(void)
{
	return 0;
}

void vf_events_fini(void)
{
}

void vf_events_attached(struct relay *r)
{
	(void)r;
}

void vf_events_detached(struct relay *r)
{
	(void)r;
}

bool vf_events_port(uint64_t seq, uint16_t *port)
{
	*port = (uint16_t)seq;
	return true;
}

void vf_events_link_refresh(struct relay *r, bool quiet)
{
	(void)r, (void)quiet;
}

void vf_events_member_gone(uint16_t member)
{
	called("member_gone(%u)", member);
}

void vf_events_info(const struct relay *r, struct relay_info *info)
{
	(void)r, (void)info;
}

/* ---- the tests ---- */

static int setup(void **state)
{
	(void)state;
	struct relay_params p = {.n_cpus = 0};
	fake_vf_max_queues = 4;
	fake_start_fails = 0;
	fake_guest_rings = 2;
	published[0] = published[1] = 0;
	q_head = q_n = 0;
	assert_int_equal(relay_init(&p), 0);
	calls[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	relay_fini();
	return 0;
}

static struct relay *relay1(void)
{
	return relay_by_id(1);
}

static void vm_connects(void)
{
	relay_post_event(EV_VM_NEW, 1, 1);
	relay_process_events();
}

static void test_attach_then_vm(void **state)
{
	(void)state;
	struct relay_fault f = {0};
	assert_int_equal(relay_attach_vf(1, "net_x", true, &f), 0);
	assert_int_equal(relay1()->dpdk_state, DPDK_ADDED);
	/* no VM: a pool for one queue, the VF configured for what it holds */
	assert_string_equal(calls, "probe(net_x) pool(1) configure(7,1) ");
	calls[0] = '\0';
	fake_guest_rings = 4; /* two queue pairs */
	vm_connects();
	assert_int_equal(relay1()->virtio_state, VIRTIO_READY);
	assert_int_equal(relay1()->dpdk_state, DPDK_READY);
	/* the pool and the VF grow to the guest's pairs (no VM->VF unit is
	 * out yet to take off), then both directions are published */
	assert_string_equal(calls, "grow(2) configure(7,2) start(7) publish(up,2) "
				   "publish(down,2) ");
	assert_int_equal(relay1()->vf_queues, 2);
}

static void test_guest_queue_change_reconfigures(void **state)
{
	(void)state;
	struct relay_fault f = {0};
	fake_guest_rings = 2;
	assert_int_equal(relay_attach_vf(1, "net_x", true, &f), 0);
	vm_connects();
	calls[0] = '\0';
	fake_guest_rings = 6;
	relay_post_event(EV_VM_QUEUES, 1, relay1()->conn_seq_seen);
	/* vm_queues reads the rings under the registry lock, which checks the
	 * device is still current: make it so */
	vfwd_lock(&relay_registry_lock);
	relay1()->conn_seq = relay1()->conn_seq_seen;
	relay1()->pending_vid = relay1()->vid;
	vfwd_unlock(&relay_registry_lock);
	relay_process_events();
	assert_int_equal(relay1()->guest_pairs, 3);
	assert_int_equal(relay1()->dpdk_state, DPDK_READY);
	assert_string_equal(calls, "unpublish(up) stop(7) unpublish(down) grow(3) configure(7,3) "
				   "start(7) publish(up,3) publish(down,3) ");
}

static void test_vf_that_does_not_start(void **state)
{
	(void)state;
	struct relay_fault f = {0};
	assert_int_equal(relay_attach_vf(1, "net_x", true, &f), 0);
	fake_start_fails = 1;
	calls[0] = '\0';
	vm_connects();
	/* the VM is there, the VF is not forwarding: what the guest sends is
	 * taken by one VM->VF unit per guest pair and dropped */
	assert_int_equal(relay1()->virtio_state, VIRTIO_READY);
	assert_int_equal(relay1()->dpdk_state, DPDK_ADDED);
	assert_int_equal(published[DIR_VF_TO_VM], 0);
	assert_int_equal(published[DIR_VM_TO_VF], 1);
}

static void test_vf_reset(void **state)
{
	(void)state;
	struct relay_fault f = {0};
	assert_int_equal(relay_attach_vf(1, "net_x", true, &f), 0);
	vm_connects();
	calls[0] = '\0';
	relay_post_event(EV_VF_RESET, 0, 7);
	relay_process_events();
	assert_int_equal(relay1()->vf_resets, 1);
	assert_int_equal(relay1()->dpdk_state, DPDK_READY);
	/* stopped before the reset, configured as before, started again */
	assert_string_equal(calls, "unpublish(up) stop(7) reset(7) configure(7,1) start(7) "
				   "unpublish(down) publish(up,1) publish(down,1) ");
}

static void test_bond_member_removed(void **state)
{
	(void)state;
	struct relay_fault f = {0};
	const char *m[] = {"net_a", "net_b"};
	assert_int_equal(relay_attach_bond(1, "net_bonding0", 1, m, 2, true, &f), 0);
	vm_connects();
	calls[0] = '\0';
	relay_post_event(EV_VF_RMV, 0, 10);
	relay_process_events();
	assert_int_equal(relay1()->vf_removals, 1);
	assert_int_equal(relay1()->dpdk_state, DPDK_READY);
	assert_non_null(strstr(calls, "member_remove(9,10) member_gone(10)"));
	assert_non_null(strstr(calls, "start(9)"));
	/* the last member gone takes the bond with it */
	calls[0] = '\0';
	relay_post_event(EV_VF_RMV, 0, 11);
	relay_process_events();
	assert_int_equal(relay1()->vf_removals, 2);
	assert_int_equal(relay1()->dpdk_state, DPDK_UNINIT);
	assert_null(relay1()->vf_name);
	assert_null(strstr(calls, "start(9)"));
	/* the VM stays; its VM->VF units drop what it sends */
	assert_int_equal(relay1()->virtio_state, VIRTIO_READY);
	assert_int_equal(published[DIR_VM_TO_VF], 1);
}

static void test_vf_removed_and_detach(void **state)
{
	(void)state;
	struct relay_fault f = {0};
	assert_int_equal(relay_attach_vf(1, "net_x", true, &f), 0);
	/* a second ADD of another device to the busy relay changes nothing */
	assert_int_equal(relay_attach_vf(1, "net_y", true, &f), -EBUSY);
	assert_string_equal(relay1()->vf_name, "net_x");
	relay_post_event(EV_VF_RMV, 0, 7);
	relay_process_events();
	assert_int_equal(relay1()->dpdk_state, DPDK_UNINIT);
	assert_int_equal(relay1()->vf_removals, 1);
	assert_non_null(strstr(calls, "pool_release"));
	/* an event about a port no relay holds is ignored */
	calls[0] = '\0';
	relay_post_event(EV_VF_RESET, 0, 8);
	relay_process_events();
	assert_string_equal(calls, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_then_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_queue_change_reconfigures, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_vf_that_does_not_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bond_member_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_removed_and_detach, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* The four control services as the wire sees them, over the fake data
 * plane (tests/common/fake_relay.c): requests in, replies decoded, and
 * what a request changed (or did not) read back through relay.h. The
 * bash integration tests cover the same services over ZeroMQ and a real
 * daemon; these pin the semantics down one case at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_relay.h"
#include "svc.h"
#include "virtioforwarder.pb-c.h"

typedef Virtioforwarder__PortControlRequest PortReq;
typedef Virtioforwarder__PortControlResponse PortResp;

static const struct svc_pin pins[] = {{5, 1, 1}};

static int setup(void **state)
{
	(void)state;
	struct svc_config c = {.dynamic_sockets = true, .pins = pins, .n_pins = 1};
	svc_init(&c);
	fake_relay_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_relay_reset();
	return 0;
}

/* ---- port_control ---- */

static PortResp *port_call(const PortReq *r)
{
	uint8_t req[1024];
	size_t len = protobuf_c_message_pack(&r->base, req);
	struct buf reply = {0};
	svc_port_handle(req, len, &reply);
	PortResp *resp = virtioforwarder__port_control_response__unpack(NULL, reply.len, reply.data);
	free(reply.data);
	assert_non_null(resp);
	return resp;
}

/* ADD of devargs dev to relay id; returns the error code, 0 on OK */
static int port_op(Virtioforwarder__PortControlRequest__Op op, int id, const char *dev,
	const char *path)
{
	PortReq r = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	char *devs[1] = {(char *)dev};
	r.op = op;
	if (id >= 0) {
		r.has_virtio_id = true;
		r.virtio_id = (uint32_t)id;
	}
	if (dev != NULL) {
		r.n_devargs = 1;
		r.devargs = devs;
	}
	r.vhost_path = (char *)path;
	PortResp *resp = port_call(&r);
	int code = resp->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK ? 0 :
		resp->has_error_code ? resp->error_code : -9999;
	if (code != 0)
		assert_non_null(resp->error_code_source);
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
	return code;
}

static const char *vf_of(unsigned id)
{
	struct relay_info ri;
	assert_int_equal(relay_get_info(id, &ri), 0);
	return ri.vf_name;
}

static void test_port_add_remove(void **state)
{
	(void)state;
	assert_int_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD, 3,
		"net_tap0,iface=x", NULL), 0);
	assert_string_equal(vf_of(3), "net_tap0,iface=x");
	/* conditional (the default): the same device again is OK */
	assert_int_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD, 3,
		"net_tap0,iface=x", NULL), 0);
	/* another device on a busy relay is refused and changes nothing */
	assert_int_not_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD, 3,
		"net_tap1,iface=y", NULL), 0);
	assert_string_equal(vf_of(3), "net_tap0,iface=x");
	/* a device that does not probe: an error, relay 4 stays empty */
	assert_int_not_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD, 4,
		"bogus_dev", NULL), 0);
	assert_null(vf_of(4));
	assert_int_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE, 3,
		"net_tap0,iface=x", NULL), 0);
	assert_null(vf_of(3));
}

static void test_port_validation(void **state)
{
	(void)state;
	/* ADD without virtio_id */
	assert_int_not_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD, -1,
		"net_tap0", NULL), 0);
	/* a relative socket path */
	assert_int_not_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK, -1,
		"net_tap0", "relative.sock"), 0);
	/* QUERY_PCI without a path */
	assert_int_not_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI, -1,
		NULL, NULL), 0);
	/* a PCI address out of range */
	PortReq r = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	Virtioforwarder__PciAddress a = VIRTIOFORWARDER__PCI_ADDRESS__INIT;
	Virtioforwarder__PciAddress *ap = &a;
	a.slot = 0x20;
	r.op = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD;
	r.has_virtio_id = true;
	r.virtio_id = 1;
	r.n_pci_addrs = 1;
	r.pci_addrs = &ap;
	PortResp *resp = port_call(&r);
	assert_int_equal(resp->status, VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__ERROR);
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
	for (unsigned id = 0; id < relay_max(); id++)
		assert_null(vf_of(id));
}

static void test_port_malformed(void **state)
{
	(void)state;
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0x07, 0x12};
	struct buf reply = {0};
	svc_port_handle(junk, sizeof(junk), &reply);
	PortResp *resp = virtioforwarder__port_control_response__unpack(NULL, reply.len, reply.data);
	free(reply.data);
	assert_non_null(resp);
	assert_int_equal(resp->status, VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__ERROR);
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
}

static void test_port_query_pci(void **state)
{
	(void)state;
	assert_int_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK, -1,
		"net_tap0", "/tmp/q.sock"), 0);
	PortReq r = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	r.op = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI;
	r.vhost_path = "/tmp/q.sock";
	PortResp *resp = port_call(&r);
	assert_int_equal(resp->status, VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK);
	assert_non_null(resp->query_string);
	assert_non_null(strstr(resp->query_string, "net_tap0"));
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
}

/* ---- config ---- */

static void test_config_pins(void **state)
{
	(void)state;
	Virtioforwarder__ConfigRequest r = VIRTIOFORWARDER__CONFIG_REQUEST__INIT;
	uint8_t req[16];
	size_t len = protobuf_c_message_pack(&r.base, req);
	struct buf reply = {0};
	svc_config_handle(req, len, &reply);
	Virtioforwarder__ConfigResponse *resp =
		virtioforwarder__config_response__unpack(NULL, reply.len, reply.data);
	free(reply.data);
	assert_non_null(resp);
	assert_int_equal(resp->status, VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK);
	assert_int_equal(resp->n_relay_cpu_map, 1);
	assert_int_equal(resp->relay_cpu_map[0]->relay_number, 5);
	virtioforwarder__config_response__free_unpacked(resp, NULL);
}

/* ---- core_sched ---- */

static Virtioforwarder__CoreSchedResponse *core_call(const Virtioforwarder__CoreSchedRequest *r)
{
	uint8_t req[1024];
	size_t len = protobuf_c_message_pack(&r->base, req);
	struct buf reply = {0};
	svc_core_handle(req, len, &reply);
	Virtioforwarder__CoreSchedResponse *resp =
		virtioforwarder__core_sched_response__unpack(NULL, reply.len, reply.data);
	free(reply.data);
	assert_non_null(resp);
	return resp;
}

static void test_core_get_and_update(void **state)
{
	(void)state;
	Virtioforwarder__CoreSchedRequest r = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	r.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
	Virtioforwarder__CoreSchedResponse *resp = core_call(&r);
	assert_int_equal(resp->status, VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK);
	assert_int_equal(resp->n_eal_cores, 1);
	assert_int_equal(resp->eal_cores[0], 1);
	virtioforwarder__core_sched_response__free_unpacked(resp, NULL);

	/* a CPU that is no worker: error 22 */
	Virtioforwarder__CoreSchedRequest__RelayCPU m =
		VIRTIOFORWARDER__CORE_SCHED_REQUEST__RELAY_CPU__INIT;
	Virtioforwarder__CoreSchedRequest__RelayCPU *mp = &m;
	m.relay_number = 0;
	m.vf2virtio_cpu = 1;
	m.virtio2vf_cpu = 7;
	r.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
	r.n_relay_cpu_map = 1;
	r.relay_cpu_map = &mp;
	resp = core_call(&r);
	assert_int_equal(resp->status, VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__ERROR);
	assert_int_equal(resp->error_code, 22);
	virtioforwarder__core_sched_response__free_unpacked(resp, NULL);

	m.virtio2vf_cpu = 1;
	resp = core_call(&r);
	assert_int_equal(resp->status, VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK);
	virtioforwarder__core_sched_response__free_unpacked(resp, NULL);
}

/* ---- stats ---- */

static Virtioforwarder__StatsResponse *stats_call(const uint8_t *req, size_t len)
{
	struct buf reply = {0};
	unsigned delay_ms = 0;
	struct stats_pending *p = svc_stats_start(req, len, &delay_ms, &reply);
	if (p != NULL)
		svc_stats_finish(p, &reply);
	Virtioforwarder__StatsResponse *resp =
		virtioforwarder__stats_response__unpack(NULL, reply.len, reply.data);
	free(reply.data);
	assert_non_null(resp);
	return resp;
}

static void test_stats(void **state)
{
	(void)state;
	assert_int_equal(port_op(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD, 2, "net_ring0",
		NULL), 0);
	fake_relay_connect_vm(2, true);
	Virtioforwarder__StatsRequest r = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	uint32_t ids[] = {2};
	r.n_relay = 1;
	r.relay = ids;
	r.has_delay = true;
	r.delay = 10; /* a window: the pending path */
	uint8_t req[64];
	size_t len = protobuf_c_message_pack(&r.base, req);
	Virtioforwarder__StatsResponse *resp = stats_call(req, len);
	assert_int_equal(resp->status, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK);
	assert_int_equal(resp->n_relay, 1);
	assert_int_equal(resp->relay[0]->id, 2);
	assert_true(resp->relay[0]->active);
	assert_int_equal(resp->relay[0]->vm_to_vf->pkts_rx_from_vm, 10);
	virtioforwarder__stats_response__free_unpacked(resp, NULL);

	/* more relays asked for than exist: E2BIG */
	uint32_t many[33] = {0};
	r.n_relay = 33;
	r.relay = many;
	len = protobuf_c_message_pack(&r.base, req);
	uint8_t big[256];
	len = protobuf_c_message_pack(&r.base, big);
	resp = stats_call(big, len);
	assert_int_equal(resp->status, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__E2BIG);
	virtioforwarder__stats_response__free_unpacked(resp, NULL);

	static const uint8_t junk[] = {0x0a, 0xff};
	resp = stats_call(junk, sizeof(junk));
	assert_int_equal(resp->status, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR);
	virtioforwarder__stats_response__free_unpacked(resp, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_port_add_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_query_pci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_pins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_get_and_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

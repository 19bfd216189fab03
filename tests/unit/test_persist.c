/* SPDX-License-Identifier: BSD-3-Clause */
/* The state file (control/state_file.c: JSON both ways, every malformed
 * case refused) and recording/replaying (control/persist.c) through the
 * real port_control and core_sched handlers over the in-memory data plane
 * of tests/fuzz/fake_relay.c: no DPDK, no root. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "persist.h"
#include "state_file.h"
#include "svc.h"
#include "virtioforwarder.pb-c.h"

void fake_relay_reset(void);

typedef Virtioforwarder__PortControlRequest Request;

static struct state_entry sock_entry(const char *path, const char *dev, enum state_vhost_mode m)
{
	struct state_entry e;
	memset(&e, 0, sizeof(e));
	e.op = STATE_ADD_SOCK;
	e.vhost_path = strdup(path);
	e.devices[0] = strdup(dev);
	e.n_devices = 1;
	e.mode = -1;
	e.vhost_mode = m;
	return e;
}

static void round_trip(void **unused)
{
	(void)unused;
	struct state s, back;
	char why[200];
	state_init(&s);
	struct state_entry e = sock_entry("/run/a.sock", "0000:05:08.1", STATE_VHOST_CLIENT);
	e.at_relay = true;
	e.virtio_id = 4;
	assert_int_equal(state_put(&s, &e), 0);
	struct state_entry b;
	memset(&b, 0, sizeof(b));
	b.op = STATE_ADD;
	b.virtio_id = 3;
	b.devices[0] = strdup("net_tap0,iface=x");
	b.devices[1] = strdup("net_tap1,iface=y");
	b.n_devices = 2;
	b.name = strdup("net_bonding0");
	b.mode = 4;
	b.vhost_mode = STATE_VHOST_DEFAULT;
	assert_int_equal(state_put(&s, &b), 0);
	struct state_entry c = sock_entry("/run/c.sock", "x", STATE_VHOST_DEFAULT);
	state_clear_devices(&c); /* a socket whose VF was removed, at no relay yet */
	assert_int_equal(state_put(&s, &c), 0);
	struct state_pin p = {.relay = 3, .vf_to_vm_cpu = 1, .vm_to_vf_cpu = 2, .n_vf_to_vm_q = 1,
		.vf_to_vm_q = {{2, 5}}};
	assert_int_equal(state_put_pin(&s, &p), 0);

	char *text = state_to_json(&s);
	assert_non_null(text);
	assert_int_equal(state_from_json(text, strlen(text), &back, why, sizeof(why)), 0);
	assert_int_equal(back.n_entries, 3);
	assert_int_equal(back.entries[0].op, STATE_ADD_SOCK);
	assert_string_equal(back.entries[0].vhost_path, "/run/a.sock");
	assert_int_equal(back.entries[0].vhost_mode, STATE_VHOST_CLIENT);
	assert_true(back.entries[0].at_relay);
	assert_int_equal(back.entries[0].virtio_id, 4);
	assert_false(back.entries[2].at_relay);
	assert_int_equal(back.entries[2].n_devices, 0);
	assert_int_equal(back.entries[1].op, STATE_ADD);
	assert_int_equal(back.entries[1].virtio_id, 3);
	assert_int_equal(back.entries[1].n_devices, 2);
	assert_string_equal(back.entries[1].devices[1], "net_tap1,iface=y");
	assert_string_equal(back.entries[1].name, "net_bonding0");
	assert_int_equal(back.entries[1].mode, 4);
	assert_int_equal(back.n_pins, 1);
	assert_int_equal(back.pins[0].vm_to_vf_cpu, 2);
	assert_int_equal(back.pins[0].n_vf_to_vm_q, 1);
	assert_int_equal(back.pins[0].vf_to_vm_q[0].cpu, 5);
	/* the same text again: writing is deterministic */
	char *again = state_to_json(&back);
	assert_string_equal(text, again);

	/* every strict prefix is refused: a truncated file is never half-read */
	for (size_t n = 0; n < strlen(text) - 1; n++) {
		struct state t;
		assert_int_equal(state_from_json(text, n, &t, why, sizeof(why)), -22);
		assert_true(why[0] != '\0');
	}
	free(text);
	free(again);
	state_free(&s);
	state_free(&back);
}

static void refused(void **unused)
{
	(void)unused;
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"version\": 3, \"ports\": [], \"pins\": []}",
		"{\"version\": 0, \"ports\": [], \"pins\": []}",
		/* no devices: only a version 2 add_sock */
		"{\"version\": 1, \"ports\": [{\"op\": \"add_sock\", \"vhost_path\": \"/a\", "
		"\"devices\": []}], \"pins\": []}",
		"{\"version\": 2, \"ports\": [{\"op\": \"add\", \"virtio_id\": 1, \"devices\": []}], "
		"\"pins\": []}",
		"{\"version\": 2, \"ports\": [{\"op\": \"add_sock\", \"vhost_path\": \"/a\", "
		"\"virtio_id\": -1, \"devices\": []}], \"pins\": []}",
		"{\"version\": 1, \"ports\": {}, \"pins\": []}",
		"{\"version\": 1, \"ports\": [{\"op\": \"add\", \"devices\": [\"a\"]}], \"pins\": []}",
		"{\"version\": 1, \"ports\": [{\"op\": \"add\", \"virtio_id\": 1, \"devices\": []}], "
		"\"pins\": []}",
		"{\"version\": 1, \"ports\": [{\"op\": \"add_sock\", \"vhost_path\": \"rel\", "
		"\"devices\": [\"a\"]}], \"pins\": []}",
		"{\"version\": 1, \"ports\": [{\"op\": \"add_sock\", \"vhost_path\": \"/a\", "
		"\"devices\": [\"a\"], \"vhost_mode\": \"both\"}], \"pins\": []}",
		"{\"version\": 1, \"ports\": [{\"op\": \"nuke\", \"devices\": [\"a\"]}], \"pins\": []}",
		"{\"version\": 1, \"ports\": [], \"pins\": [{\"relay\": 1}]}",
		"{\"version\": 1, \"version\": 1, \"ports\": [], \"pins\": []}",
		"{\"version\": 1, \"ports\": [{\"op\": \"add\", \"virtio_id\": 1, \"devices\": [\"a\"], "
		"\"mode\": 9}], \"pins\": []}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct state s;
		char why[200] = "";
		if (state_from_json(bad[i], strlen(bad[i]), &s, why, sizeof(why)) != -22)
			fail_msg("accepted: %s", bad[i]);
		assert_true(why[0] != '\0');
	}
}

static void keys(void **unused)
{
	(void)unused;
	struct state s;
	state_init(&s);
	struct state_entry a = sock_entry("/a", "net_x", STATE_VHOST_DEFAULT);
	struct state_entry a2 = sock_entry("/a", "net_y", STATE_VHOST_SERVER);
	struct state_entry b = sock_entry("/b", "net_z", STATE_VHOST_DEFAULT);
	state_put(&s, &a);
	state_put(&s, &b);
	state_put(&s, &a2); /* same path: replaced in place */
	assert_int_equal(s.n_entries, 2);
	assert_string_equal(s.entries[0].devices[0], "net_y");
	assert_int_equal(state_drop_device(&s, "NET_Z"), 1);
	assert_int_equal(state_drop_sock_path(&s, "/nowhere"), 0);
	assert_int_equal(state_drop_sock_path(&s, "/a"), 1);
	assert_int_equal(s.n_entries, 0);
	state_free(&s);
}

/* --- persist.c over the fake data plane */

static char dir[64];

static void ask_port(const Request *r, bool want_ok)
{
	uint8_t buf[1024];
	size_t len = protobuf_c_message_pack(&r->base, buf);
	struct buf reply = {0};
	svc_port_handle(buf, len, &reply);
	persist_note(SVC_PORT, buf, len, &reply);
	Virtioforwarder__PortControlResponse *resp =
		virtioforwarder__port_control_response__unpack(NULL, reply.len, reply.data);
	assert_non_null(resp);
	if ((resp->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK) != want_ok)
		fail_msg("op %d relay %d path %s: error %d, expected %s", (int)r->op,
			r->has_virtio_id ? (int)r->virtio_id : -1, r->vhost_path ? r->vhost_path : "-",
			resp->error_code, want_ok ? "OK" : "an error");
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
	free(reply.data);
}

static Request sock_req(int op, const char *path, char **dev)
{
	Request r = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	r.op = op;
	r.vhost_path = (char *)path;
	r.n_devargs = dev != NULL ? 1 : 0;
	r.devargs = dev;
	r.has_conditional = true; /* false, as the original client sends */
	return r;
}

static int count_corrupt(void)
{
	int n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		n += strncmp(e->d_name, "state.json.corrupt-", 19) == 0;
	if (d != NULL)
		closedir(d);
	return n;
}

static void record_and_replay(void **unused)
{
	(void)unused;
	char *dev_a[] = {"net_tap0,iface=a"}, *dev_b[] = {"net_tap1,iface=b"};
	struct svc_config sc = {.dynamic_sockets = true};
	struct relay_info ri;
	svc_init(&sc);
	fake_relay_reset();
	assert_int_equal(persist_open(dir), 0);

	Request a = sock_req(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK, "/t/a.sock", dev_a);
	a.has_vhost_mode = true;
	a.vhost_mode = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__CLIENT;
	ask_port(&a, true);
	ask_port(&a, true); /* the same again: OK, nothing changes */
	a.vhost_mode = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__SERVER;
	ask_port(&a, false); /* the same path in the other role: error 1 */
	Request b = sock_req(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK, "/t/b.sock", dev_b);
	ask_port(&b, true);
	Request rm = sock_req(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE_SOCK, "/t/b.sock", NULL);
	ask_port(&rm, true);
	ask_port(&rm, true); /* already gone: OK */
	ask_port(&b, true);  /* and back */
	Request bad = sock_req(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK, "/t/c.sock",
		(char *[]){"gone0"});
	ask_port(&bad, false); /* a failed request is not recorded */

	/* a restart: nothing in the data plane, the file read anew */
	persist_close();
	fake_relay_reset();
	assert_int_equal(persist_open(dir), 0);
	assert_int_equal(persist_replay(), 2);
	assert_int_equal(relay_get_info(0, &ri), 0);
	assert_string_equal(ri.socket_path, "/t/a.sock");
	assert_true(ri.socket_client);
	assert_string_equal(ri.vf_name, "net_tap0,iface=a");
	assert_int_equal(relay_get_info(1, &ri), 0);
	assert_string_equal(ri.socket_path, "/t/b.sock");
	assert_false(ri.socket_client);
	assert_int_equal(relay_get_info(2, &ri), 0);
	assert_null(ri.socket_path);

	/* a device that is gone at the next start: skipped, the other kept
	 * on its relay */
	persist_close();
	fake_relay_reset();
	struct relay_fault f;
	relay_attach_vf(5, "net_tap0,iface=a", false, &f); /* A's device busy elsewhere */
	assert_int_equal(persist_open(dir), 0);
	assert_int_equal(persist_replay(), 1);
	assert_int_equal(relay_get_info(0, &ri), 0);
	assert_null(ri.socket_path);
	assert_int_equal(relay_get_info(1, &ri), 0);
	assert_string_equal(ri.socket_path, "/t/b.sock");
	persist_close();

	/* a corrupt file: kept aside, nothing replayed */
	char path[128];
	snprintf(path, sizeof(path), "%s/state.json", dir);
	FILE *fp = fopen(path, "w");
	fputs("{\"version\": 1, \"ports\": [", fp);
	fclose(fp);
	fake_relay_reset();
	assert_int_equal(persist_open(dir), 0);
	assert_int_equal(persist_replay(), 0);
	assert_int_equal(count_corrupt(), 1);
	assert_int_equal(access(path, F_OK), -1);
	persist_close();
}

/* --- after REMOVE on an add_sock relay (issue 18's follow-up): each
 * restart rebuilds every relay as it was, on the same id */

#define P "/t/p.sock"

static char *dev_d[] = {"net_tap3,iface=d"}, *dev_d2[] = {"net_tap4,iface=d2"};

static unsigned restart(void)
{
	persist_close();
	fake_relay_reset();
	assert_int_equal(persist_open(dir), 0);
	return persist_replay();
}

/* QUERY_PCI's answer, NULL for an error reply (caller frees) */
static char *query(const char *path)
{
	Request r = sock_req(VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI, path, NULL);
	uint8_t buf[512];
	struct buf reply = {0};
	svc_port_handle(buf, protobuf_c_message_pack(&r.base, buf), &reply);
	Virtioforwarder__PortControlResponse *resp =
		virtioforwarder__port_control_response__unpack(NULL, reply.len, reply.data);
	char *out = resp != NULL && resp->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK ?
		strdup(resp->query_string ? resp->query_string : "") : NULL;
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
	free(reply.data);
	return out;
}

static void assert_query(const char *path, const char *want)
{
	char *got = query(path);
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

static int relay_of(const char *dev)
{
	struct relay_info ri;
	for (unsigned id = 0; id < relay_max(); id++)
		if (relay_get_info(id, &ri) == 0 && ri.vf_name != NULL && strcmp(ri.vf_name, dev) == 0)
			return (int)id;
	return -1;
}

static void port_op(int op, int id, const char *path, char **dev, bool want_ok)
{
	Request r = sock_req(op, path, dev);
	r.has_virtio_id = id >= 0;
	r.virtio_id = id >= 0 ? (uint32_t)id : 0;
	ask_port(&r, want_ok);
}

#define ADD VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD
#define REMOVE VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE
#define ADD_SOCK VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK
#define REMOVE_SOCK VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE_SOCK

/* A: add_sock(P, D) lands on relay 1 (relay 0 freed after, so the lowest
 * free relay at a replay would be the wrong one); remove(1, D) */
static void start_a(void)
{
	char path[128];
	struct svc_config sc = {.dynamic_sockets = true};
	svc_init(&sc);
	persist_close();
	snprintf(path, sizeof(path), "%s/state.json", dir);
	unlink(path);
	fake_relay_reset();
	assert_int_equal(persist_open(dir), 0);
	port_op(ADD_SOCK, -1, "/t/first.sock", (char *[]){"net_tap5,iface=f"}, true);
	Request r = sock_req(ADD_SOCK, P, dev_d);
	r.has_vhost_mode = true;
	r.vhost_mode = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__CLIENT;
	ask_port(&r, true);
	assert_int_equal(relay_of(dev_d[0]), 1);
	port_op(REMOVE_SOCK, -1, "/t/first.sock", NULL, true);
	port_op(REMOVE, 1, NULL, dev_d, true);
	Request again = sock_req(REMOVE, NULL, dev_d);
	again.has_virtio_id = true;
	again.virtio_id = 1;
	again.conditional = false;
	ask_port(&again, false); /* error 4: nothing noted */
	port_op(REMOVE, 1, NULL, dev_d, true); /* conditional: OK, nothing changes */
	assert_query(P, "");
}

static void socket_stays_after_remove(void **unused)
{
	(void)unused;
	struct relay_info ri;
	start_a();
	assert_int_equal(restart(), 1);
	assert_int_equal(relay_get_info(1, &ri), 0);
	assert_string_equal(ri.socket_path, P);
	assert_true(ri.socket_client);
	assert_null(ri.vf_name);
	assert_query(P, "");
	assert_int_equal(relay_of(dev_d[0]), -1); /* D is not put back */
	assert_int_equal(relay_get_info(0, &ri), 0);
	assert_null(ri.socket_path);
	/* D handed to another relay: no conflict at the next start either */
	port_op(ADD, 6, NULL, dev_d, true);
	assert_int_equal(restart(), 2);
	assert_query(P, "");
	assert_int_equal(relay_of(dev_d[0]), 6);
	/* the wire still wants a device for add_sock: -1 as before */
	port_op(ADD_SOCK, -1, "/t/nodev.sock", NULL, false);
	persist_close();
}

static void new_vf_next_to_socket(void **unused)
{
	(void)unused;
	struct relay_info ri;
	start_a();
	port_op(ADD, 1, NULL, dev_d2, true);
	assert_query(P, dev_d2[0]);
	for (int i = 0; i < 2; i++) { /* and a restart of a restart */
		assert_int_equal(restart(), 1);
		assert_int_equal(relay_get_info(1, &ri), 0);
		assert_string_equal(ri.socket_path, P);
		assert_true(ri.socket_client);
		assert_string_equal(ri.vf_name, dev_d2[0]);
		assert_int_equal(relay_of(dev_d[0]), -1);
	}
	/* that VF goes the same way: the socket stays, alone */
	port_op(REMOVE, 1, NULL, dev_d2, true);
	assert_int_equal(restart(), 1);
	assert_query(P, "");
	assert_int_equal(relay_of(dev_d2[0]), -1);
	/* remove_sock by the device an ADD put there takes the whole port */
	port_op(ADD, 1, NULL, dev_d2, true);
	port_op(REMOVE_SOCK, -1, NULL, dev_d2, true);
	assert_int_equal(restart(), 0);
	assert_query(P, NULL);
	persist_close();
}

static void socket_removed_after_remove(void **unused)
{
	(void)unused;
	start_a();
	port_op(REMOVE_SOCK, -1, P, NULL, true);
	assert_int_equal(restart(), 0);
	assert_query(P, NULL);
	assert_int_equal(relay_of(dev_d[0]), -1);
	persist_close();
}

/* D: what did not change: remove_sock by device, an ADD relay removed by
 * remove_sock, a relay that is taken at the start, version 1 files */
static void unchanged(void **unused)
{
	(void)unused;
	struct relay_info ri;
	struct relay_fault f;
	start_a();
	port_op(REMOVE_SOCK, -1, P, NULL, true);
	port_op(ADD_SOCK, -1, "/t/q.sock", dev_d2, true); /* relay 0 */
	port_op(ADD_SOCK, -1, P, dev_d, true);             /* relay 1 */
	port_op(REMOVE_SOCK, -1, NULL, dev_d2, true);
	port_op(ADD, 3, NULL, dev_d2, true);
	port_op(REMOVE_SOCK, -1, NULL, dev_d2, true); /* the VF of an ADD: gone too */
	assert_int_equal(restart(), 1);
	assert_int_equal(relay_of(dev_d[0]), 1);
	assert_int_equal(relay_of(dev_d2[0]), -1);
	assert_query("/t/q.sock", NULL);

	/* relay 1 taken (static configuration) at the next start: P on another */
	persist_close();
	fake_relay_reset();
	relay_attach_vf(1, "net_static", false, &f);
	assert_int_equal(persist_open(dir), 0);
	assert_int_equal(persist_replay(), 1);
	assert_int_equal(relay_of(dev_d[0]), 0);
	assert_query(P, dev_d[0]);

	/* D busy at a start: P's relay goes to a new socket, P still comes
	 * back later (on a free relay) */
	persist_close();
	fake_relay_reset();
	relay_attach_vf(7, dev_d[0], false, &f);
	assert_int_equal(persist_open(dir), 0);
	assert_int_equal(persist_replay(), 0);
	port_op(ADD_SOCK, -1, "/t/r.sock", dev_d2, true); /* relay 0 */
	port_op(ADD_SOCK, -1, "/t/s.sock", (char *[]){"net_tap6,iface=s"}, true); /* relay 1 */
	assert_int_equal(restart(), 3);
	assert_int_equal(relay_of(dev_d2[0]), 0);
	assert_int_equal(relay_of("net_tap6,iface=s"), 1);
	assert_int_equal(relay_of(dev_d[0]), 2);
	persist_close();

	/* a version 1 file: add_sock on the lowest free relay after the ADDs */
	char path[128];
	snprintf(path, sizeof(path), "%s/state.json", dir);
	FILE *fp = fopen(path, "w");
	fputs("{\"version\": 1, \"ports\": [{\"op\": \"add_sock\", \"vhost_path\": \"" P "\", "
	      "\"devices\": [\"net_tap3,iface=d\"], \"vhost_mode\": \"client\"}, {\"op\": \"add\", "
	      "\"virtio_id\": 0, \"devices\": [\"net_tap4,iface=d2\"]}], \"pins\": []}\n", fp);
	fclose(fp);
	assert_int_equal(restart(), 2);
	assert_int_equal(relay_of(dev_d2[0]), 0);
	assert_int_equal(relay_get_info(1, &ri), 0);
	assert_string_equal(ri.socket_path, P);
	assert_true(ri.socket_client);
	/* the first change records where it is: a REMOVE keeps the socket */
	port_op(REMOVE, 1, NULL, dev_d, true);
	port_op(REMOVE, 0, NULL, dev_d2, true);
	assert_int_equal(restart(), 1);
	assert_int_equal(relay_get_info(1, &ri), 0);
	assert_string_equal(ri.socket_path, P);
	assert_null(ri.vf_name);
	persist_close();
	assert_int_equal(count_corrupt(), 1); /* record_and_replay's, no other */
}

static void ask_core(int relay, int cpu)
{
	Virtioforwarder__CoreSchedRequest r = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__CoreSchedRequest__RelayCPU m =
		VIRTIOFORWARDER__CORE_SCHED_REQUEST__RELAY_CPU__INIT;
	Virtioforwarder__CoreSchedRequest__RelayCPU *mp = &m;
	uint8_t buf[256];
	struct buf reply = {0};
	r.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
	r.n_relay_cpu_map = 1;
	r.relay_cpu_map = &mp;
	m.relay_number = relay;
	m.vf2virtio_cpu = m.virtio2vf_cpu = cpu;
	size_t len = protobuf_c_message_pack(&r.base, buf);
	svc_core_handle(buf, len, &reply);
	persist_note(SVC_CORE, buf, len, &reply);
	free(reply.data);
}

/* core_sched pins come back, but not over a --virtio-cpu pin */
static void pins(void **unused)
{
	(void)unused;
	struct svc_pin cmdline = {.relay_id = 3, .vf_to_vm_cpu = 1, .vm_to_vf_cpu = 1};
	struct svc_config sc = {.dynamic_sockets = true, .pins = &cmdline, .n_pins = 1};
	char path[128];
	svc_init(&sc);
	fake_relay_reset();
	snprintf(path, sizeof(path), "%s/state.json", dir);
	unlink(path); /* no ports from the tests before */
	assert_int_equal(persist_open(dir), 0);
	ask_core(0, 1);
	ask_core(3, 1);
	ask_core(4, 7); /* CPU 7 is no worker: refused, not recorded */
	persist_close();
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char text[4096];
	size_t n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_non_null(strstr(text, "\"relay\": 0"));
	assert_non_null(strstr(text, "\"relay\": 3"));
	assert_null(strstr(text, "\"relay\": 4"));
	assert_int_equal(persist_open(dir), 0);
	assert_int_equal(persist_replay(), 1); /* relay 0's; relay 3 keeps its --virtio-cpu */
	persist_close();
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vfwd-test-persist.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refused),
		cmocka_unit_test(keys),
		cmocka_unit_test(record_and_replay),
		cmocka_unit_test(socket_stays_after_remove),
		cmocka_unit_test(new_vf_next_to_socket),
		cmocka_unit_test(socket_removed_after_remove),
		cmocka_unit_test(unchanged),
		cmocka_unit_test(pins),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}

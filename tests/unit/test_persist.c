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
	struct state_pin p = {.relay = 3, .vf_to_vm_cpu = 1, .vm_to_vf_cpu = 2, .n_vf_to_vm_q = 1,
		.vf_to_vm_q = {{2, 5}}};
	assert_int_equal(state_put_pin(&s, &p), 0);

	char *text = state_to_json(&s);
	assert_non_null(text);
	assert_int_equal(state_from_json(text, strlen(text), &back, why, sizeof(why)), 0);
	assert_int_equal(back.n_entries, 2);
	assert_int_equal(back.entries[0].op, STATE_ADD_SOCK);
	assert_string_equal(back.entries[0].vhost_path, "/run/a.sock");
	assert_int_equal(back.entries[0].vhost_mode, STATE_VHOST_CLIENT);
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
		"{\"version\": 2, \"ports\": [], \"pins\": []}",
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
	assert_int_equal(state_drop_sock_device(&s, "NET_Z"), 1);
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
	assert_int_equal(resp->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK, want_ok);
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

	/* a device that is gone at the next start: skipped, the other kept */
	persist_close();
	fake_relay_reset();
	struct relay_fault f;
	relay_attach_vf(5, "net_tap0,iface=a", false, &f); /* A's device busy elsewhere */
	assert_int_equal(persist_open(dir), 0);
	assert_int_equal(persist_replay(), 1);
	assert_int_equal(relay_get_info(0, &ri), 0);
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
	assert_int_equal(persist_open(dir), 0);
	ask_core(0, 1);
	ask_core(3, 1);
	ask_core(4, 7); /* CPU 7 is no worker: refused, not recorded */
	persist_close();
	snprintf(path, sizeof(path), "%s/state.json", dir);
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
		cmocka_unit_test(pins),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}

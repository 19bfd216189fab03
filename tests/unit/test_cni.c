/* SPDX-License-Identifier: BSD-3-Clause */
/* virtio-forwarder-cni's pure parts: config and environment checks, the
 * VF's sources, socket and device-info paths, the result and error JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cni.h"

/* a fake environment: NAME=VALUE pairs */
static const char *const *fake_env;

static const char *getenv_fake(const char *name)
{
	size_t n = strlen(name);
	for (const char *const *e = fake_env; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static int parse(const char *text, struct cni_req *req, struct cni_error *err, ...)
{
	static const char *env[16];
	va_list ap;
	va_start(ap, err);
	size_t n = 0;
	for (const char *s; n < 15 && (s = va_arg(ap, const char *)) != NULL;)
		env[n++] = s;
	va_end(ap);
	env[n] = NULL;
	fake_env = env;
	return cni_parse(text, getenv_fake, req, err);
}

#define ADD_ENV "CNI_COMMAND=ADD", "CNI_CONTAINERID=0123456789abcdef", "CNI_IFNAME=net1", \
	"CNI_NETNS=/var/run/netns/p"

static void test_defaults_and_device_id(void **state)
{
	(void)state;
	struct cni_req req;
	struct cni_error err;
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\","
			       "\"deviceID\":\"0000:03:02.1\"}", &req, &err, ADD_ENV, NULL), 0);
	assert_string_equal(req.socket_dir, DEFAULT_SOCKET_DIR);
	assert_string_equal(req.pod_socket_dir, DEFAULT_SOCKET_DIR);
	assert_string_equal(req.endpoint, DEFAULT_ENDPOINT);
	assert_string_equal(req.device_id, "0000:03:02.1");
	assert_false(req.forwarder_client);
	assert_int_equal(req.timeout_ms, DEFAULT_TIMEOUT_MS);
	cni_req_free(&req);
	/* runtimeConfig.deviceID, and the device-info file Multus names */
	assert_int_equal(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\","
			       "\"runtimeConfig\":{\"deviceID\":\"0000:03:02.2\","
			       "\"CNIDeviceInfoFile\":\"/x/y.json\"}}", &req, &err, ADD_ENV, NULL), 0);
	assert_string_equal(req.device_id, "0000:03:02.2");
	char path[256];
	assert_int_equal(cni_devinfo_path(&req, path, sizeof(path)), 0);
	assert_string_equal(path, "/x/y.json");
	cni_req_free(&req);
}

static void test_pcidevice_variable(void **state)
{
	(void)state;
	char var[64];
	cni_pcidevice_var("intel.com/sriov_a", var, sizeof(var));
	assert_string_equal(var, "PCIDEVICE_INTEL_COM_SRIOV_A");
	struct cni_req req;
	struct cni_error err;
	assert_int_equal(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\","
			       "\"resourceName\":\"intel.com/sriov_a\"}", &req, &err, ADD_ENV,
			       "PCIDEVICE_INTEL_COM_SRIOV_A=0000:03:02.1,0000:03:02.2", NULL), 0);
	assert_null(req.device_id);
	assert_string_equal(req.device_list, "0000:03:02.1,0000:03:02.2");
	cni_req_free(&req);
}

/* each bad input gets its CNI code */
static void test_error_codes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *cmd, *cid, *ifname;
		int code;
	} cases[] = {
		{"{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"type\":\"t\"}", "ADD", "c", "e", CNI_ERR_VERSION},
		{"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\"}", "STATUS", NULL, NULL, CNI_ERR_VERSION},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\"}", "NOPE", "c", "e", CNI_ERR_ENV},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\"}", "ADD", NULL, "e", CNI_ERR_ENV},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\"}", "ADD", "../x", "e", CNI_ERR_ENV},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\"}", "ADD", "c", "a/b", CNI_ERR_ENV},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\"}", "ADD", "c", "waytoolonganame0", CNI_ERR_ENV},
		{"{\"cniVersion\":", "ADD", "c", "e", CNI_ERR_DECODE},
		{"[1]", "ADD", "c", "e", CNI_ERR_DECODE},
		{"{\"name\":\"n\",\"type\":\"t\"}", "ADD", "c", "e", CNI_ERR_CONFIG},
		{"{\"cniVersion\":\"1.1.0\",\"type\":\"t\"}", "ADD", "c", "e", CNI_ERR_CONFIG},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\",\"vhostMode\":\"x\"}", "ADD", "c", "e", CNI_ERR_CONFIG},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\",\"timeoutMs\":0}", "ADD", "c", "e", CNI_ERR_CONFIG},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\",\"socketDir\":\"rel\"}", "ADD", "c", "e", CNI_ERR_CONFIG},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\",\"deviceID\":7}", "ADD", "c", "e", CNI_ERR_CONFIG},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\",\"prevResult\":[]}", "ADD", "c", "e", CNI_ERR_CONFIG},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[64], cid[64], ifn[64];
		snprintf(cmd, sizeof(cmd), "CNI_COMMAND=%s", cases[i].cmd);
		snprintf(cid, sizeof(cid), "CNI_CONTAINERID=%s", cases[i].cid ? cases[i].cid : "");
		snprintf(ifn, sizeof(ifn), "CNI_IFNAME=%s", cases[i].ifname ? cases[i].ifname : "");
		struct cni_req req;
		struct cni_error err;
		int ret = parse(cases[i].text, &req, &err, cmd, cases[i].cid ? cid : "X=1",
			cases[i].ifname ? ifn : "Y=1", "CNI_NETNS=/n", NULL);
		if (ret != -1 || err.code != cases[i].code)
			fail_msg("case %zu: ret %d code %d, expected code %d", i, ret, err.code, cases[i].code);
		cni_req_free(&req);
	}
	/* DEL needs no netns (it may be gone) */
	struct cni_req req;
	struct cni_error err;
	assert_int_equal(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\"}", &req, &err,
				 "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=e", NULL), 0);
	cni_req_free(&req);
}

static void test_paths(void **state)
{
	(void)state;
	char out[200];
	assert_int_equal(cni_socket_path("/run/s", "0123456789abcdef", "net1", out, sizeof(out)), 0);
	assert_string_equal(out, "/run/s/0123456789ab-net1");
	char dir[120];
	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	assert_int_equal(cni_socket_path(dir, "c", "e", out, sizeof(out)), -1); /* > sun_path */
	assert_true(cni_is_pci("0000:03:02.1"));
	assert_true(cni_is_pci("0000:AF:1f.7"));
	assert_false(cni_is_pci("03:02.1"));
	assert_false(cni_is_pci("net_tap0,iface=vf0"));
	assert_true(cni_version_cmp("0.4.0", "1.0.0") < 0);
	assert_true(cni_version_cmp("1.1.0", "1.1.0") == 0);
	assert_true(cni_version_cmp("1.10.0", "1.2.0") > 0);
}

static void test_result_passes_prev_result(void **state)
{
	(void)state;
	struct cni_req req;
	struct cni_error err;
	assert_int_equal(parse("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"t\","
			       "\"deviceID\":\"0000:03:02.1\",\"prevResult\":{\"cniVersion\":\"0.4.0\","
			       "\"interfaces\":[{\"name\":\"eth0\"}],\"ips\":[{\"version\":\"4\","
			       "\"address\":\"10.0.0.2/24\",\"interface\":0}]}}", &req, &err, ADD_ENV, NULL), 0);
	json_t *r = cni_result(&req, "/s/0123456789ab-net1");
	assert_string_equal(json_string_value(json_object_get(r, "cniVersion")), "0.4.0");
	json_t *ifs = json_object_get(r, "interfaces");
	assert_int_equal(json_array_size(ifs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ifs, 0), "name")), "eth0");
	json_t *ours = json_array_get(ifs, 1);
	assert_string_equal(json_string_value(json_object_get(ours, "name")), "net1");
	assert_string_equal(json_string_value(json_object_get(ours, "socketPath")), "/s/0123456789ab-net1");
	assert_string_equal(json_string_value(json_object_get(ours, "pciID")), "0000:03:02.1");
	assert_string_equal(json_string_value(json_object_get(ours, "sandbox")), "/var/run/netns/p");
	assert_int_equal(json_array_size(json_object_get(r, "ips")), 1);
	/* the config's prevResult is untouched (a deep copy was extended) */
	assert_int_equal(json_array_size(json_object_get(req.prev_result, "interfaces")), 1);
	json_decref(r);

	/* device-info: the pod's mode and the socket as the pod sees it */
	json_t *d = cni_devinfo_json(&req, "/s/0123456789ab-net1");
	char *text = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"type\":\"vhost-user\",\"version\":\"1.1.0\",\"vhost-user\":"
				  "{\"mode\":\"client\",\"path\":\"" DEFAULT_SOCKET_DIR "/0123456789ab-net1\"}}");
	free(text);
	json_decref(d);
	char path[256];
	assert_int_equal(cni_devinfo_path(&req, path, sizeof(path)), 0);
	assert_string_equal(path, DEFAULT_DEVINFO_DIR "/cni/n-0123456789abcdef-net1-device.json");
	cni_req_free(&req);

	struct cni_error e = {0};
	cni_set_error(&e, CNI_ERR_TRY_AGAIN, "down", "after %d ms", 5);
	json_t *ej = cni_error_json("9.9.9", &e);
	text = json_dumps(ej, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"cniVersion\":\"1.1.0\",\"code\":11,\"details\":\"after 5 ms\","
				  "\"msg\":\"down\"}");
	free(text);
	json_decref(ej);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_device_id),
		cmocka_unit_test(test_pcidevice_variable),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_result_passes_prev_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

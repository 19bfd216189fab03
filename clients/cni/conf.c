/* SPDX-License-Identifier: BSD-3-Clause */
/* The CNI_* environment and the network config on stdin, checked into a
 * struct cni_req. Pure: the environment comes through a callback so the
 * unit test can feed its own. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <jansson.h>

#include "cni.h"

static const char *const supported[] = {CNI_SUPPORTED_VERSIONS};

void cni_set_error(struct cni_error *err, int code, const char *msg, const char *fmt, ...)
{
	err->code = code;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	err->details[0] = '\0';
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->details, sizeof(err->details), fmt, ap);
		va_end(ap);
	}
}

int cni_version_cmp(const char *a, const char *b)
{
	unsigned va[3] = {0}, vb[3] = {0};
	sscanf(a, "%u.%u.%u", &va[0], &va[1], &va[2]);
	sscanf(b, "%u.%u.%u", &vb[0], &vb[1], &vb[2]);
	for (int i = 0; i < 3; i++)
		if (va[i] != vb[i])
			return va[i] < vb[i] ? -1 : 1;
	return 0;
}

bool cni_version_supported(const char *v)
{
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (strcmp(v, supported[i]) == 0)
			return true;
	return false;
}

void cni_pcidevice_var(const char *resource, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "PCIDEVICE_");
	for (; *resource && n + 1 < len; resource++)
		out[n++] = isalnum((unsigned char)*resource) ? (char)toupper((unsigned char)*resource) : '_';
	out[n < len ? n : len - 1] = '\0';
}

int cni_socket_path(const char *dir, const char *container_id, const char *ifname, char *out,
	size_t len)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	int n = snprintf(out, len, "%s/%.12s-%s", dir, container_id, ifname);
	return n < 0 || (size_t)n >= len || (size_t)n >= max ? -1 : 0;
}

bool cni_is_pci(const char *s)
{
	/* DDDD:BB:SS.F, hex digits */
	static const char shape[] = "xxxx:xx:xx.x";
	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	return true;
}

/* a container ID: letters, digits, '_', '.', '-', not starting with '.' or '-' */
static bool good_container_id(const char *s)
{
	if (*s == '\0' || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

/* a Linux interface name, also safe as a file name part */
static bool good_ifname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) || !isprint((unsigned char)*s))
			return false;
	return true;
}

static const struct {
	const char *name;
	enum cni_verb verb;
} verbs[] = {
	{"ADD", CNI_ADD}, {"DEL", CNI_DEL}, {"CHECK", CNI_CHECK},
	{"STATUS", CNI_STATUS}, {"GC", CNI_GC}, {"VERSION", CNI_VERSION},
};

/* an optional string key: its value, def when absent, NULL (and err)
 * when it is not a non-empty string */
static const char *opt_string(json_t *o, const char *key, const char *def, struct cni_error *err)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return def;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "\"%s\" must be a non-empty string", key);
		return NULL;
	}
	return json_string_value(v);
}

static int parse_options(struct cni_req *req, cni_getenv_fn env, struct cni_error *err)
{
	json_t *c = req->conf;
	const char *mode;
	if ((req->name = opt_string(c, "name", NULL, err)) == NULL ||
		opt_string(c, "type", NULL, err) == NULL) {
		if (err->code == 0)
			cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "\"name\" and \"type\" are required");
		return -1;
	}
	if (strchr(req->name, '/') != NULL || req->name[0] == '.') {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "bad network name \"%s\"", req->name);
		return -1;
	}
	if ((req->socket_dir = opt_string(c, "socketDir", DEFAULT_SOCKET_DIR, err)) == NULL ||
		(req->pod_socket_dir = opt_string(c, "podSocketDir", req->socket_dir, err)) == NULL ||
		(req->state_dir = opt_string(c, "stateDir", DEFAULT_STATE_DIR, err)) == NULL ||
		(req->devinfo_dir = opt_string(c, "deviceInfoDir", DEFAULT_DEVINFO_DIR, err)) == NULL ||
		(req->endpoint = opt_string(c, "controlEndpoint", DEFAULT_ENDPOINT, err)) == NULL ||
		(mode = opt_string(c, "vhostMode", "server", err)) == NULL)
		return -1;
	if (req->socket_dir[0] != '/' || req->state_dir[0] != '/' || req->devinfo_dir[0] != '/') {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config",
			"socketDir, stateDir and deviceInfoDir must be absolute paths");
		return -1;
	}
	if (strcmp(mode, "server") != 0 && strcmp(mode, "client") != 0) {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config",
			"\"vhostMode\" is \"server\" or \"client\" (the forwarder's side), not \"%s\"", mode);
		return -1;
	}
	req->forwarder_client = strcmp(mode, "client") == 0;
	json_t *t = json_object_get(c, "timeoutMs");
	req->timeout_ms = DEFAULT_TIMEOUT_MS;
	if (t != NULL) {
		if (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > 60000) {
			cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "\"timeoutMs\" is 1..60000");
			return -1;
		}
		req->timeout_ms = (int)json_integer_value(t);
	}

	/* the VF: Multus puts the device plugin's choice in "deviceID" */
	json_t *rc = json_object_get(c, "runtimeConfig");
	if (rc != NULL && !json_is_object(rc)) {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "\"runtimeConfig\" must be an object");
		return -1;
	}
	if ((req->device_id = opt_string(c, "deviceID", NULL, err)) == NULL && err->code != 0)
		return -1;
	if (req->device_id == NULL && rc != NULL &&
		(req->device_id = opt_string(rc, "deviceID", NULL, err)) == NULL && err->code != 0)
		return -1;
	if (rc != NULL && (req->devinfo_file = opt_string(rc, "CNIDeviceInfoFile", NULL, err)) == NULL &&
		err->code != 0)
		return -1;
	const char *resource = opt_string(c, "resourceName", NULL, err);
	if (resource == NULL && err->code != 0)
		return -1;
	if (req->device_id == NULL && resource != NULL) {
		cni_pcidevice_var(resource, req->device_var, sizeof(req->device_var));
		req->device_list = env(req->device_var);
	}
	json_t *prev = json_object_get(c, "prevResult");
	if (prev != NULL && !json_is_null(prev)) {
		if (!json_is_object(prev)) {
			cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "\"prevResult\" must be an object");
			return -1;
		}
		req->prev_result = prev;
	}
	return 0;
}

static int parse_env(struct cni_req *req, cni_getenv_fn env, struct cni_error *err)
{
	req->container_id = env("CNI_CONTAINERID");
	req->ifname = env("CNI_IFNAME");
	req->netns = env("CNI_NETNS");
	if (req->netns != NULL && req->netns[0] == '\0')
		req->netns = NULL;
	if (req->verb != CNI_ADD && req->verb != CNI_DEL && req->verb != CNI_CHECK)
		return 0;
	if (req->container_id == NULL || !good_container_id(req->container_id)) {
		cni_set_error(err, CNI_ERR_ENV, "invalid CNI_CONTAINERID", "CNI_CONTAINERID=%s",
			req->container_id ? req->container_id : "(unset)");
		return -1;
	}
	if (req->ifname == NULL || !good_ifname(req->ifname)) {
		cni_set_error(err, CNI_ERR_ENV, "invalid CNI_IFNAME", "CNI_IFNAME=%s",
			req->ifname ? req->ifname : "(unset)");
		return -1;
	}
	/* DEL may come after the namespace is gone */
	if (req->verb != CNI_DEL && req->netns == NULL) {
		cni_set_error(err, CNI_ERR_ENV, "CNI_NETNS is required", NULL);
		return -1;
	}
	return 0;
}

int cni_parse(const char *text, cni_getenv_fn env, struct cni_req *req, struct cni_error *err)
{
	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	const char *cmd = env("CNI_COMMAND");
	size_t i;
	for (i = 0; cmd != NULL && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(cmd, verbs[i].name) == 0)
			break;
	if (cmd == NULL || i == sizeof(verbs) / sizeof(verbs[0])) {
		cni_set_error(err, CNI_ERR_ENV, "invalid CNI_COMMAND", "CNI_COMMAND=%s", cmd ? cmd : "(unset)");
		return -1;
	}
	req->verb = verbs[i].verb;
	json_error_t jerr;
	req->conf = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (req->verb == CNI_VERSION)
		return 0; /* answers whatever it was given */
	if (req->conf == NULL || !json_is_object(req->conf)) {
		cni_set_error(err, CNI_ERR_DECODE, "failed to decode the network config",
			"%s (line %d)", req->conf ? "not a JSON object" : jerr.text, jerr.line);
		return -1;
	}
	json_t *v = json_object_get(req->conf, "cniVersion");
	if (!json_is_string(v)) {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "\"cniVersion\" is required");
		return -1;
	}
	req->version = json_string_value(v);
	if (!cni_version_supported(req->version)) {
		cni_set_error(err, CNI_ERR_VERSION, "incompatible CNI version",
			"config version %s; supported: 0.4.0, 1.0.0, 1.1.0", req->version);
		return -1;
	}
	if ((req->verb == CNI_STATUS || req->verb == CNI_GC) &&
		cni_version_cmp(req->version, "1.1.0") < 0) {
		cni_set_error(err, CNI_ERR_VERSION, "incompatible CNI version", "%s needs cniVersion 1.1.0",
			cmd);
		return -1;
	}
	if (parse_env(req, env, err) < 0 || parse_options(req, env, err) < 0)
		return -1;
	return 0;
}

void cni_req_free(struct cni_req *req)
{
	json_decref(req->conf);
	req->conf = NULL;
}

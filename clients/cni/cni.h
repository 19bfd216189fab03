/* SPDX-License-Identifier: BSD-3-Clause */
/* virtio-forwarder-cni: a CNI plugin (spec 0.4.0, 1.0.0, 1.1.0) that gives a
 * pod a vhost-user socket relayed by virtio-forwarder to the VF the SR-IOV
 * device plugin allocated. This header is what the plugin's files share:
 * the request (config + environment), the CNI error codes, and the JSON
 * it writes. conf.c and out.c are pure (unit-tested); state.c touches the
 * plugin's state dir, fwd.c talks to the daemon. */
#ifndef VFWD_CNI_H
#define VFWD_CNI_H

#include <stdbool.h>
#include <stddef.h>

typedef struct json_t json_t;

/* CNI spec error codes (1-99 are the spec's, 100+ this plugin's own) */
enum cni_code {
	CNI_ERR_VERSION = 1,          /* incompatible CNI version */
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3, /* CHECK of an attachment never added */
	CNI_ERR_ENV = 4,              /* invalid or missing CNI_* variables */
	CNI_ERR_IO = 5,               /* state dir, socket dir, device-info file */
	CNI_ERR_DECODE = 6,           /* stdin is not JSON */
	CNI_ERR_CONFIG = 7,           /* invalid network config */
	CNI_ERR_TRY_AGAIN = 11,       /* the forwarder does not answer */
	CNI_ERR_UNAVAILABLE = 50,     /* STATUS: the forwarder is down */
	CNI_ERR_SOCKET_GONE = 100,    /* CHECK: the vhost-user socket is gone */
	CNI_ERR_RELAY_GONE = 101,     /* CHECK: the forwarder has no such relay */
	CNI_ERR_REFUSED = 102,        /* the forwarder refused the request */
	CNI_ERR_PREV_RESULT = 103,    /* CHECK: prevResult lacks this interface */
};

enum cni_verb { CNI_ADD, CNI_DEL, CNI_CHECK, CNI_STATUS, CNI_GC, CNI_VERSION };

#define CNI_SUPPORTED_VERSIONS "0.4.0", "1.0.0", "1.1.0"
#define CNI_LATEST_VERSION "1.1.0"

#define DEFAULT_SOCKET_DIR "/var/run/virtio-forwarder/cni"
#define DEFAULT_STATE_DIR "/var/lib/cni/virtio-forwarder"
#define DEFAULT_DEVINFO_DIR "/var/run/k8s.cni.cncf.io/devinfo"
#define DEFAULT_ENDPOINT "ipc:///var/run/virtio-forwarder/port_control"
#define DEFAULT_TIMEOUT_MS 2000

/* An error to report: code, msg and details (static or owned strings in
 * buf). */
struct cni_error {
	int code;
	char msg[256];
	char details[512];
};

/* One invocation: the CNI_* environment and the network config, checked.
 * Strings point into conf (the parsed stdin) or the environment. */
struct cni_req {
	enum cni_verb verb;
	json_t *conf;            /* the whole stdin (owned) */
	const char *version;     /* cniVersion of the config */
	const char *name;        /* network name */
	const char *container_id, *ifname, *netns; /* NULL when absent */
	/* plugin options (config keys of the same name) */
	const char *socket_dir;      /* "socketDir": where sockets are made */
	const char *pod_socket_dir;  /* "podSocketDir": same dir seen in the pod */
	const char *state_dir;       /* "stateDir": the plugin's own records */
	const char *devinfo_dir;     /* "deviceInfoDir": device-info base dir */
	const char *endpoint;        /* "controlEndpoint": port_control */
	bool forwarder_client;       /* "vhostMode": "client": the forwarder dials */
	int timeout_ms;              /* "timeoutMs" */
	/* the VF: "deviceID" (Multus), runtimeConfig.deviceID, or the device
	 * plugin's PCIDEVICE_<RESOURCE> variable; NULL until chosen */
	const char *device_id;
	const char *device_list;     /* PCIDEVICE_*: comma-separated candidates */
	char device_var[128];        /* that variable's name, for messages */
	char device_buf[256];        /* the one taken from device_list */
	const char *devinfo_file;    /* runtimeConfig.CNIDeviceInfoFile, or NULL */
	json_t *prev_result;         /* borrowed from conf, or NULL */
};

/* conf.c (pure: environment passed in as getenv-like callback) */
typedef const char *(*cni_getenv_fn)(const char *name);
/* Parse stdin text and the environment into req. 0, or -1 with err set.
 * VERSION needs only the text; it may be empty. */
int cni_parse(const char *stdin_text, cni_getenv_fn env, struct cni_req *req,
	struct cni_error *err);
void cni_req_free(struct cni_req *req);
bool cni_version_supported(const char *v);
/* compare "a.b.c" versions: <0, 0, >0 */
int cni_version_cmp(const char *a, const char *b);
/* The device plugin's variable for a resource: PCIDEVICE_ + the name
 * upper-cased with every non-alphanumeric character an underscore
 * ("intel.com/sriov_a" -> "PCIDEVICE_INTEL_COM_SRIOV_A"). */
void cni_pcidevice_var(const char *resource, char *out, size_t len);
/* "<dir>/<containerID[:12]>-<ifname>"; -1 if it does not fit a unix socket */
int cni_socket_path(const char *dir, const char *container_id, const char *ifname, char *out,
	size_t len);
/* true for DDDD:BB:SS.F (a PCI address); anything else is devargs */
bool cni_is_pci(const char *device_id);

/* out.c (pure) */
json_t *cni_result(const struct cni_req *req, const char *socket_path);
json_t *cni_error_json(const char *version, const struct cni_error *err);
json_t *cni_version_json(void);
/* device-info spec v1.1.0, type vhost-user; mode is the POD's side */
json_t *cni_devinfo_json(const struct cni_req *req, const char *socket_path);
/* the device-info file: runtimeConfig.CNIDeviceInfoFile, else
 * <deviceInfoDir>/cni/<name>-<containerID>-<ifname>-device.json */
int cni_devinfo_path(const struct cni_req *req, char *out, size_t len);
void cni_set_error(struct cni_error *err, int code, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* What the plugin prints and writes, as JSON: the ADD result (prevResult
 * passed through, our interface appended), CNI errors, the VERSION
 * answer, the device-info file. Pure. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cni.h"

json_t *cni_result(const struct cni_req *req, const char *socket_path)
{
	json_t *r = req->prev_result != NULL ? json_deep_copy(req->prev_result) : json_object();
	json_object_set_new(r, "cniVersion", json_string(req->version));
	json_t *ifs = json_object_get(r, "interfaces");
	if (!json_is_array(ifs)) {
		ifs = json_array();
		json_object_set_new(r, "interfaces", ifs);
	}
	/* socketPath and pciID: the interface fields of spec 1.1.0 (older
	 * readers ignore them); no kernel netdev, so no mac */
	json_t *itf = json_pack("{s:s, s:s, s:s}", "name", req->ifname, "socketPath", socket_path,
		"pciID", req->device_id);
	if (req->netns != NULL)
		json_object_set_new(itf, "sandbox", json_string(req->netns));
	json_array_append_new(ifs, itf);
	if (json_object_get(r, "dns") == NULL)
		json_object_set_new(r, "dns", json_object());
	return r;
}

json_t *cni_error_json(const char *version, const struct cni_error *err)
{
	json_t *e = json_pack("{s:s, s:i, s:s}", "cniVersion",
		version != NULL && cni_version_supported(version) ? version : CNI_LATEST_VERSION,
		"code", err->code, "msg", err->msg);
	if (err->details[0] != '\0')
		json_object_set_new(e, "details", json_string(err->details));
	return e;
}

json_t *cni_version_json(void)
{
	return json_pack("{s:s, s:[s,s,s]}", "cniVersion", CNI_LATEST_VERSION, "supportedVersions",
		CNI_SUPPORTED_VERSIONS);
}

json_t *cni_devinfo_json(const struct cni_req *req, const char *socket_path)
{
	const char *base = strrchr(socket_path, '/');
	char pod_path[4096];
	snprintf(pod_path, sizeof(pod_path), "%s%s", req->pod_socket_dir, base != NULL ? base : "/");
	/* the mode is the pod's: a forwarder serving the socket makes the
	 * pod's virtio_user its client, and the other way round */
	return json_pack("{s:s, s:s, s:{s:s, s:s}}", "type", "vhost-user", "version", "1.1.0",
		"vhost-user", "mode", req->forwarder_client ? "server" : "client", "path", pod_path);
}

int cni_devinfo_path(const struct cni_req *req, char *out, size_t len)
{
	int n;
	if (req->devinfo_file != NULL)
		n = snprintf(out, len, "%s", req->devinfo_file);
	else
		n = snprintf(out, len, "%s/cni/%s-%s-%s-device.json", req->devinfo_dir, req->name,
			req->container_id, req->ifname);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "fwd.h"
#include "virtioforwarder.pb-c.h"

#define PROG "virtio-forwarder-cni"

typedef Virtioforwarder__PortControlRequest Request;
typedef Virtioforwarder__PortControlResponse Response;

/* the error codes port_control answers with (control/svc_port.c, from
 * the original): remove_sock 1 and query_pci ENOENT mean "no such socket" */
#define REMOVE_SOCK_ABSENT 1
#define QUERY_PCI_ABSENT 2
#define ADD_SOCK_PATH_TAKEN 1
#define ADD_SOCK_VF_TAKEN (-17)
#define ADD_SOCK_NO_RELAY 2

static Response *ask(const struct cni_req *req, Request *r)
{
	return client_ask(PROG, req->endpoint, &r->base, &virtioforwarder__port_control_response__descriptor,
		req->timeout_ms);
}

static bool ok(const Response *resp)
{
	return resp->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK;
}

static void down(const struct cni_req *req, struct cni_error *err)
{
	cni_set_error(err, CNI_ERR_TRY_AGAIN, "virtio-forwarder does not answer",
		"no reply from %s within %d ms", req->endpoint, req->timeout_ms);
}

bool fwd_same_device(const char *a, const char *b)
{
	/* the daemon reports PCI addresses as DDDD:BB:SS.F, lower case */
	return strcasecmp(a, b) == 0;
}

/* One request: FWD_OK, FWD_DOWN (err set) or FWD_REFUSED with the
 * daemon's error code in *code. */
static enum fwd_result call(const struct cni_req *req, Request *r, struct cni_error *err,
	int *code)
{
	Response *resp = ask(req, r);
	if (resp == NULL) {
		down(req, err);
		return FWD_DOWN;
	}
	bool done = ok(resp);
	*code = resp->has_error_code ? resp->error_code : 0;
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
	return done ? FWD_OK : FWD_REFUSED;
}

enum fwd_result fwd_add_sock(const struct cni_req *req, const char *path, const char *device_id,
	struct cni_error *err)
{
	Request r = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	Virtioforwarder__PciAddress addr = VIRTIOFORWARDER__PCI_ADDRESS__INIT, *addrs[1] = {&addr};
	char *devargs[1] = {(char *)device_id};
	r.op = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK;
	r.vhost_path = (char *)path;
	r.has_conditional = true; /* the same socket with the same VF: OK */
	r.conditional = true;
	/* the socket's vhost-user role, whatever the daemon's global mode */
	r.has_vhost_mode = true;
	r.vhost_mode = req->forwarder_client ?
		VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__CLIENT :
		VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__SERVER;
	if (cni_is_pci(device_id)) {
		client_parse_pci(device_id, &addr.domain, &addr.bus, &addr.slot, &addr.function);
		r.pci_addrs = addrs;
		r.n_pci_addrs = 1;
	} else {
		r.devargs = devargs;
		r.n_devargs = 1;
	}
	int code;
	enum fwd_result res = call(req, &r, err, &code);
	if (res != FWD_REFUSED)
		return res;
	if (code == ADD_SOCK_PATH_TAKEN) {
		/* taken by us already (a daemon without conditional add_sock)? */
		char dev[256];
		if (fwd_query(req, path, dev, sizeof(dev)) == FWD_OK && fwd_same_device(dev, device_id))
			return FWD_OK;
		cni_set_error(err, CNI_ERR_REFUSED, "virtio-forwarder refused the socket",
			"%s is already relayed to another device", path);
	} else if (code == ADD_SOCK_VF_TAKEN) {
		cni_set_error(err, CNI_ERR_REFUSED, "virtio-forwarder refused the device",
			"%s is already relayed to another socket", device_id);
	} else if (code == ADD_SOCK_NO_RELAY) {
		cni_set_error(err, CNI_ERR_REFUSED, "virtio-forwarder has no free relay",
			"add_sock %s: every relay is taken (or the daemon runs without dynamic sockets)", path);
	} else {
		cni_set_error(err, CNI_ERR_REFUSED, "virtio-forwarder refused the socket",
			"add_sock %s with %s: error %d (see the daemon's log)", path, device_id, code);
	}
	return FWD_REFUSED;
}

enum fwd_result fwd_remove_sock(const struct cni_req *req, const char *path, struct cni_error *err)
{
	Request r = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	r.op = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE_SOCK;
	r.vhost_path = (char *)path;
	r.has_conditional = true;
	r.conditional = true;
	int code;
	enum fwd_result res = call(req, &r, err, &code);
	if (res != FWD_REFUSED)
		return res;
	if (code == REMOVE_SOCK_ABSENT)
		return FWD_ABSENT;
	cni_set_error(err, CNI_ERR_REFUSED, "virtio-forwarder refused to remove the socket",
		"remove_sock %s: error %d (see the daemon's log)", path, code);
	return FWD_REFUSED;
}

enum fwd_result fwd_query(const struct cni_req *req, const char *path, char *dev, size_t len)
{
	Request r = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	r.op = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI;
	r.vhost_path = (char *)path;
	Response *resp = ask(req, &r);
	if (resp == NULL)
		return FWD_DOWN;
	enum fwd_result ret = ok(resp) ? FWD_OK :
		resp->has_error_code && resp->error_code == QUERY_PCI_ABSENT ? FWD_ABSENT : FWD_REFUSED;
	if (dev != NULL && len > 0)
		snprintf(dev, len, "%s", ret == FWD_OK && resp->query_string ? resp->query_string : "");
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
	return ret;
}

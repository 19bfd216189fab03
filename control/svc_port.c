/* SPDX-License-Identifier: BSD-3-Clause */
/* port_control service: ADD, REMOVE, ADD_SOCK, REMOVE_SOCK, QUERY_PCI with
 * the original's validation, conditional semantics and error codes
 * (reference §3.3). Devices are PCI addresses (normalized, compared
 * case-insensitively) or, our extension, devargs strings. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "clog.h"
#include "errcodes.h"
#include "pciaddr.h"
#include "svc.h"
#include "virtioforwarder.pb-c.h"

#define MAX_MEMBERS 8 /* the original's MAX_NUM_BOND_SLAVES */
#define DEV_LEN 256

typedef Virtioforwarder__PortControlRequest Request;
typedef Virtioforwarder__PortControlResponse Response;

extern struct svc_config svc_cfg;

static int last_relay = -1; /* svc_port_last_relay */
static bool replay_on;
static int replay_relay = -1;

void svc_port_replay(bool on, int relay)
{
	replay_on = on;
	replay_relay = on ? relay : -1;
}

int svc_port_last_relay(void)
{
	return last_relay;
}

struct port_req {
	const Request *r;
	char members[MAX_MEMBERS][DEV_LEN];
	const char *member_ptrs[MAX_MEMBERS];
	unsigned n;
	bool conditional;
	const char *device; /* the single member or the bond name, NULL if none */
};

static void reply_error(struct buf *reply, int code, const char *source)
{
	Response resp = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__INIT;
	resp.status = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__ERROR;
	resp.has_error_code = true;
	resp.error_code = code;
	resp.error_code_source = (char *)source;
	svc_pack(&resp.base, reply);
}

static void reply_ok(struct buf *reply, const char *query)
{
	Response resp = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__INIT;
	resp.status = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK;
	resp.query_string = (char *)query;
	svc_pack(&resp.base, reply);
}

static int add_member(struct port_req *q, const char *dev)
{
	if (q->n == MAX_MEMBERS || dev[0] == '\0' ||
		pciaddr_normalize(dev, q->members[q->n], DEV_LEN) < 0)
		return -EINVAL;
	q->member_ptrs[q->n] = q->members[q->n];
	q->n++;
	return 0;
}

/* The original's rules, plus bounds the original did not check. */
static const char *validate(struct port_req *q)
{
	const Request *r = q->r;
	for (size_t i = 0; i < r->n_pci_addrs; i++) {
		const Virtioforwarder__PciAddress *a = r->pci_addrs[i];
		char s[32];
		if (a->domain > 0xffff || a->bus > 0xff || a->slot > 0x1f || a->function > 7)
			return "PCI address out of range";
		snprintf(s, sizeof(s), "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->function);
		if (add_member(q, s) < 0)
			return "too many devices";
	}
	for (size_t i = 0; i < r->n_devargs; i++)
		if (strlen(r->devargs[i]) >= DEV_LEN || add_member(q, r->devargs[i]) < 0)
			return "bad or too many devargs";
	bool adding = r->op == VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD ||
		r->op == VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK;
	if (r->name != NULL && (r->name[0] == '\0' || strlen(r->name) >= DEV_LEN))
		return "bad bond name";
	if (r->name != NULL && adding && q->n < 2)
		return "a bond needs at least two devices";
	if (r->name == NULL && q->n > 1)
		return "several devices need a bond name";
	if ((r->op == VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD ||
		    r->op == VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE) &&
		!r->has_virtio_id)
		return "virtio_id is required";
	if (r->op == VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI && r->vhost_path == NULL)
		return "vhost_path is required";
	if (r->vhost_path != NULL &&
		(r->vhost_path[0] != '/' || strlen(r->vhost_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)))
		return "vhost_path must be an absolute path that fits a unix socket";
	if (r->has_mode && r->mode > 6)
		return "bond mode must be 0..6";
	if (r->has_vhost_mode &&
		r->vhost_mode != VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__SERVER &&
		r->vhost_mode != VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__CLIENT)
		return "vhost_mode must be SERVER or CLIENT";
	q->conditional = r->has_conditional ? r->conditional : true;
	q->device = r->name != NULL ? r->name : (q->n == 1 ? q->members[0] : NULL);
	return NULL;
}

static int attach(const struct port_req *q, unsigned id, struct relay_fault *f)
{
	if (q->n == 1)
		return relay_attach_vf(id, q->members[0], q->conditional, f);
	return relay_attach_bond(id, q->r->name, q->r->has_mode ? q->r->mode : 1, q->member_ptrs,
		q->n, q->conditional, f);
}

static void op_add(const struct port_req *q, struct buf *reply)
{
	struct relay_fault f = {0};
	if (q->n == 0)
		return reply_error(reply, EINVAL, SRC_VALIDATE);
	int ret = attach(q, q->r->virtio_id, &f);
	if (ret == 0) {
		last_relay = (int)q->r->virtio_id;
		return reply_ok(reply, NULL);
	}
	if (q->n == 1)
		return reply_error(reply, errcode_add_vf(ret, f.step), SRC_ADD_VF);
	reply_error(reply, errcode_bond_add(ret, f.step), SRC_BOND_ADD);
}

static void op_remove(const struct port_req *q, struct buf *reply)
{
	struct relay_fault f = {0};
	const char *dev = q->device != NULL ? q->device : "";
	int ret = relay_detach_vf(q->r->virtio_id, dev, q->conditional, &f);
	if (ret == 0) {
		last_relay = (int)q->r->virtio_id;
		return reply_ok(reply, NULL);
	}
	reply_error(reply, errcode_remove_vf(ret), SRC_REMOVE_VF);
}

/* relay owning a socket path, or -1 */
static int relay_by_socket(const char *path)
{
	struct relay_info ri;
	for (unsigned id = 0; id < relay_max(); id++)
		if (relay_get_info(id, &ri) == 0 && ri.socket_path != NULL &&
			strcmp(ri.socket_path, path) == 0)
			return (int)id;
	return -1;
}

static int relay_by_device(const char *dev)
{
	struct relay_info ri;
	for (unsigned id = 0; id < relay_max(); id++)
		if (relay_get_info(id, &ri) == 0 && ri.vf_name != NULL &&
			strcasecmp(ri.vf_name, dev) == 0)
			return (int)id;
	return -1;
}

static bool relay_free(unsigned id)
{
	struct relay_info ri;
	return relay_get_info(id, &ri) == 0 && ri.socket_path == NULL && ri.vf_name == NULL &&
		ri.virtio_state == VIRTIO_UNINIT;
}

static void op_add_sock(const struct port_req *q, struct buf *reply)
{
	const Request *r = q->r;
	struct relay_fault f = {0};
	struct relay_info ri;

	/* no device: only a replayed socket whose VF a REMOVE took */
	if (r->vhost_path == NULL || (q->n == 0 && !replay_on))
		return reply_error(reply, -1, SRC_ADD_SOCK);
	enum relay_vhost_mode mode = !r->has_vhost_mode ? RELAY_VHOST_DEFAULT :
		r->vhost_mode == VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__CLIENT ?
		RELAY_VHOST_CLIENT : RELAY_VHOST_SERVER;
	int owner = relay_by_socket(r->vhost_path);
	if (owner >= 0) {
		relay_get_info((unsigned)owner, &ri);
		/* the same request again (an orchestrator's retry, a replay) is a
		 * success that changes nothing, conditional or not; the same
		 * path with another device or role is the original's error 1 */
		bool same_mode = mode == RELAY_VHOST_DEFAULT ||
			ri.socket_client == (mode == RELAY_VHOST_CLIENT);
		bool same_dev = ri.vf_name == NULL || q->device == NULL ?
			ri.vf_name == q->device : strcasecmp(ri.vf_name, q->device) == 0;
		if (same_dev && same_mode) {
			last_relay = owner;
			return reply_ok(reply, NULL);
		}
		return reply_error(reply, 1, SRC_ADD_SOCK);
	}
	if (q->device != NULL && relay_by_device(q->device) >= 0)
		return reply_error(reply, -EEXIST, SRC_ADD_SOCK);
	int id = -1;
	if (replay_relay >= 0) /* a replay: the relay it had, not the lowest free */
		id = relay_free((unsigned)replay_relay) ? replay_relay : -1;
	for (unsigned i = 0; replay_relay < 0 && i < relay_max() && id < 0; i++)
		if (relay_free(i))
			id = (int)i;
	if (id < 0) {
		ctl_log(CLOG_WARNING, "add_sock %s: no free relay%s", r->vhost_path,
			svc_cfg.dynamic_sockets ? "" : " (static sockets: use ADD)");
		return reply_error(reply, 2, SRC_ADD_SOCK);
	}
	int ret = q->n > 0 ? attach(q, (unsigned)id, &f) : 0;
	if (ret < 0)
		return reply_error(reply, ret == -EEXIST ? -EEXIST : (q->n == 1 ? 3 : 4), SRC_ADD_SOCK);
	if (relay_add_socket_mode((unsigned)id, r->vhost_path, mode, &f) < 0) {
		relay_detach_vf((unsigned)id, NULL, true, NULL);
		return reply_error(reply, 5, SRC_ADD_SOCK);
	}
	ctl_log(CLOG_INFO, "relay %d: socket %s with vf %s", id, r->vhost_path,
		q->device != NULL ? q->device : "(none)");
	last_relay = id;
	reply_ok(reply, NULL);
}

static void op_remove_sock(const struct port_req *q, struct buf *reply)
{
	const Request *r = q->r;
	struct relay_info ri;
	int id;

	if (r->vhost_path == NULL && q->device == NULL)
		return reply_error(reply, -1, SRC_REMOVE_SOCK);
	id = r->vhost_path != NULL ? relay_by_socket(r->vhost_path) : relay_by_device(q->device);
	if (id < 0) {
		/* already gone: what the caller wants is true (the original
		 * answered error 1; orchestrators retry removals) */
		ctl_log(CLOG_INFO, "remove_sock %s: nothing to remove",
			r->vhost_path != NULL ? r->vhost_path : q->device);
		return reply_ok(reply, NULL);
	}
	relay_get_info((unsigned)id, &ri);
	if (q->device != NULL && (ri.vf_name == NULL || strcasecmp(ri.vf_name, q->device) != 0))
		return reply_error(reply, 2, SRC_REMOVE_SOCK);
	if (ri.socket_path != NULL && relay_remove_socket((unsigned)id, NULL) < 0)
		return reply_error(reply, 3, SRC_REMOVE_SOCK);
	if (ri.vf_name != NULL && relay_detach_vf((unsigned)id, NULL, true, NULL) < 0)
		return reply_error(reply, 4, SRC_REMOVE_SOCK);
	last_relay = id;
	reply_ok(reply, NULL);
}

static void op_query_pci(const struct port_req *q, struct buf *reply)
{
	struct relay_info ri;
	int id = relay_by_socket(q->r->vhost_path);
	if (id < 0)
		return reply_error(reply, ENOENT, SRC_QUERY_PCI);
	relay_get_info((unsigned)id, &ri);
	reply_ok(reply, ri.vf_name != NULL ? ri.vf_name : "");
}

void svc_port_handle(const uint8_t *req, size_t len, struct buf *reply)
{
	last_relay = -1;
	Request *r = virtioforwarder__port_control_request__unpack(NULL, len, req);
	if (r == NULL) {
		ctl_log(CLOG_WARNING, "port_control: unparseable request (%zu bytes)", len);
		return svc_error_reply(SVC_PORT, reply);
	}
	struct port_req q = {.r = r};
	const char *why = validate(&q);
	if (why != NULL) {
		ctl_log(CLOG_WARNING, "port_control: invalid request: %s", why);
		reply_error(reply, EINVAL, SRC_VALIDATE);
		goto out;
	}
	ctl_log(CLOG_INFO, "port_control: op %d relay %d device %s path %s%s", (int)r->op,
		r->has_virtio_id ? (int)r->virtio_id : -1, q.device ? q.device : "-",
		r->vhost_path ? r->vhost_path : "-", q.conditional ? " (conditional)" : "");
	switch (r->op) {
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD:
		op_add(&q, reply);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE:
		op_remove(&q, reply);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK:
		op_add_sock(&q, reply);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE_SOCK:
		op_remove_sock(&q, reply);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI:
		op_query_pci(&q, reply);
		break;
	default:
		ctl_log(CLOG_ERR, "port_control: unknown op %d", (int)r->op);
		svc_error_reply(SVC_PORT, reply);
		break;
	}
out:
	virtioforwarder__port_control_request__free_unpacked(r, NULL);
}

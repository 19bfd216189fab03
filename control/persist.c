/* SPDX-License-Identifier: BSD-3-Clause */
/* Recording and replaying dynamic ports (persist.h). The services stay
 * bytes in, bytes out: this module reads the same request and reply bytes
 * after the fact, and replays by building requests for the same handlers,
 * so a replayed port passes exactly the validation a wire request does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clog.h"
#include "pciaddr.h"
#include "persist.h"
#include "state_file.h"
#include "virtioforwarder.pb-c.h"

#define STATE_NAME "state.json"
#define MAX_STATE_BYTES (4 << 20)

typedef Virtioforwarder__PortControlRequest PortRequest;

extern struct svc_config svc_cfg; /* svc_common.c: the --virtio-cpu pins */

static struct state state;
static char *state_dir;    /* NULL: persistence off */
static char *last_written; /* the file's text now, to skip rewrites */
static bool replaying;     /* replayed requests are in the state already */

/* dir and its parents, like mkdir -p */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	struct stat st;
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", state_dir, name);
}

/* write, fsync, rename over the old file, fsync the directory: after a
 * crash at any point the file is the old one or the new one, whole */
static int write_atomically(const char *text)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	path_of(tmp, sizeof(tmp), STATE_NAME ".tmp");
	path_of(final, sizeof(final), STATE_NAME);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;
			close(fd);
			unlink(tmp);
			return err;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		int err = -errno;
		unlink(tmp);
		return err;
	}
	if (rename(tmp, final) < 0) {
		int err = -errno;
		unlink(tmp);
		return err;
	}
	int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static void save(void)
{
	char *text = state_to_json(&state);
	if (text == NULL) {
		ctl_log(CLOG_ERR, "persist: out of memory: state not saved");
		return;
	}
	if (last_written != NULL && strcmp(text, last_written) == 0) {
		free(text);
		return;
	}
	int ret = write_atomically(text);
	if (ret < 0) {
		ctl_log(CLOG_ERR, "persist: %s/" STATE_NAME ": %s: this change is lost at a restart",
			state_dir, strerror(-ret));
		free(text);
		return;
	}
	free(last_written);
	last_written = text;
}

/* Move a file we cannot read aside, where an operator finds it. */
static void quarantine(const char *why)
{
	char from[PATH_MAX], to[PATH_MAX], name[64];
	snprintf(name, sizeof(name), STATE_NAME ".corrupt-%lld", (long long)time(NULL));
	path_of(from, sizeof(from), STATE_NAME);
	path_of(to, sizeof(to), name);
	int moved = rename(from, to);
	ctl_log(CLOG_ERR, "persist: %s: %s; %s %s; starting with the static configuration only",
		from, why, moved == 0 ? "kept aside as" : "could not move it to", to);
}

static char *read_file(const char *path, size_t *len, int *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*err = -errno;
		return NULL;
	}
	char *buf = malloc(MAX_STATE_BYTES + 1);
	*len = buf != NULL ? fread(buf, 1, MAX_STATE_BYTES + 1, f) : 0;
	*err = buf == NULL ? -ENOMEM : ferror(f) ? -EIO : *len > MAX_STATE_BYTES ? -EFBIG : 0;
	fclose(f);
	if (*err < 0) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

int persist_open(const char *dir)
{
	int ret = make_dirs(dir);
	if (ret < 0) {
		ctl_log(CLOG_ERR, "persist: state directory %s: %s: dynamic ports will not survive "
			"a restart", dir, strerror(-ret));
		return ret;
	}
	state_dir = strdup(dir);
	if (state_dir == NULL)
		return -ENOMEM;
	state_init(&state);
	char path[PATH_MAX], why[256];
	size_t len;
	path_of(path, sizeof(path), STATE_NAME);
	char *text = read_file(path, &len, &ret);
	if (text == NULL) {
		if (ret == -ENOENT)
			ctl_log(CLOG_INFO, "persist: no %s yet: nothing to replay", path);
		else if (ret == -EFBIG)
			quarantine("larger than any state this daemon writes");
		else
			ctl_log(CLOG_ERR, "persist: %s: %s: nothing replayed", path, strerror(-ret));
		return 0;
	}
	if (state_from_json(text, len, &state, why, sizeof(why)) < 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "corrupt or truncated (%s)", why);
		quarantine(msg);
		free(text);
		return 0;
	}
	ctl_log(CLOG_INFO, "persist: %s: %u ports, %u pins to replay", path, state.n_entries,
		state.n_pins);
	free(text);
	return 0;
}

/* --- recording */

static bool reply_ok(enum svc_kind kind, const struct buf *reply)
{
	bool ok = false;
	if (kind == SVC_PORT) {
		Virtioforwarder__PortControlResponse *r =
			virtioforwarder__port_control_response__unpack(NULL, reply->len, reply->data);
		ok = r != NULL && r->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK;
		virtioforwarder__port_control_response__free_unpacked(r, NULL);
	} else if (kind == SVC_CORE) {
		Virtioforwarder__CoreSchedResponse *r =
			virtioforwarder__core_sched_response__unpack(NULL, reply->len, reply->data);
		ok = r != NULL && r->status == VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK;
		virtioforwarder__core_sched_response__free_unpacked(r, NULL);
	}
	return ok;
}

/* The request's devices, spelled as svc_port compares them. */
static int entry_devices(const PortRequest *r, struct state_entry *e)
{
	char dev[256], norm[256];
	for (size_t i = 0; i < r->n_pci_addrs + r->n_devargs; i++) {
		if (e->n_devices == STATE_MAX_DEVICES)
			return -E2BIG;
		if (i < r->n_pci_addrs) {
			const Virtioforwarder__PciAddress *a = r->pci_addrs[i];
			snprintf(dev, sizeof(dev), "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot,
				a->function);
		} else {
			snprintf(dev, sizeof(dev), "%s", r->devargs[i - r->n_pci_addrs]);
		}
		if (pciaddr_normalize(dev, norm, sizeof(norm)) < 0 ||
			(e->devices[e->n_devices] = strdup(norm)) == NULL)
			return -ENOMEM;
		e->n_devices++;
	}
	if (r->name != NULL && (e->name = strdup(r->name)) == NULL)
		return -ENOMEM;
	e->mode = r->has_mode ? (int)r->mode : -1;
	return 0;
}

/* The role the relay's socket got: the VM's end of it keeps its own role
 * whatever --vhostuser-client says at the next start, and a repeated
 * add_sock without a mode must not change the record. */
static enum state_vhost_mode socket_role(unsigned relay)
{
	struct relay_info ri;
	if (relay_get_info(relay, &ri) < 0 || ri.socket_path == NULL)
		return STATE_VHOST_DEFAULT;
	return ri.socket_client ? STATE_VHOST_CLIENT : STATE_VHOST_SERVER;
}

/* The recorded socket on relay id now, as that relay's one entry; NULL if
 * the relay has no socket (or a static one). */
static struct state_entry *live_sock(unsigned id)
{
	struct relay_info ri;
	if (relay_get_info(id, &ri) < 0 || ri.socket_path == NULL ||
		state_find_sock(&state, ri.socket_path) == NULL)
		return NULL;
	state_vacate(&state, id, ri.socket_path);
	struct state_entry *e = state_find_sock(&state, ri.socket_path);
	e->virtio_id = id;
	e->at_relay = true;
	return e;
}

/* Each change is recorded as what its relay is now, so a restart rebuilds
 * that relay as it is, whichever requests made it so. */
static int note_add(const PortRequest *r, unsigned id)
{
	struct state_entry *sock = live_sock(id);
	if (sock != NULL) { /* a VF next to a recorded socket: replayed with it */
		state_clear_devices(sock);
		return entry_devices(r, sock);
	}
	struct state_entry e;
	memset(&e, 0, sizeof(e));
	e.op = STATE_ADD;
	e.virtio_id = id;
	e.at_relay = true;
	e.vhost_mode = STATE_VHOST_DEFAULT;
	state_vacate(&state, id, NULL);
	if (entry_devices(r, &e) < 0) {
		state_clear_devices(&e);
		return -ENOMEM;
	}
	return state_put(&state, &e);
}

static int note_add_sock(const PortRequest *r, unsigned id)
{
	struct state_entry e;
	memset(&e, 0, sizeof(e));
	e.op = STATE_ADD_SOCK;
	e.virtio_id = id;
	e.at_relay = true;
	e.vhost_mode = socket_role(id);
	state_vacate(&state, id, r->vhost_path);
	if ((e.vhost_path = strdup(r->vhost_path)) == NULL || entry_devices(r, &e) < 0) {
		state_clear_devices(&e);
		free(e.vhost_path);
		return -ENOMEM;
	}
	return state_put(&state, &e);
}

/* REMOVE: the relay's socket, if it has one, stays without a VF */
static void note_remove(unsigned id)
{
	state_drop_add(&state, id);
	struct state_entry *sock = live_sock(id);
	if (sock != NULL)
		state_clear_devices(sock);
}

/* REMOVE_SOCK took the relay's socket and VF (id >= 0), or found nothing;
 * either way nothing of the port it names comes back */
static void note_remove_sock(const PortRequest *r, int id)
{
	if (id >= 0)
		state_drop_add(&state, (unsigned)id); /* a static socket's ADDed VF */
	if (r->vhost_path != NULL) {
		state_drop_sock_path(&state, r->vhost_path);
		return;
	}
	struct state_entry e;
	memset(&e, 0, sizeof(e));
	if (entry_devices(r, &e) == 0 && state_entry_device(&e) != NULL)
		state_drop_device(&state, state_entry_device(&e));
	state_clear_devices(&e);
}

static void note_port(const PortRequest *r)
{
	int id = svc_port_last_relay(), ret = 0;
	switch (r->op) {
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD:
		ret = note_add(r, r->virtio_id);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK:
		ret = id >= 0 ? note_add_sock(r, (unsigned)id) : -EINVAL;
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE:
		note_remove(r->virtio_id);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE_SOCK:
		note_remove_sock(r, id);
		break;
	default:
		return;
	}
	if (ret < 0)
		ctl_log(CLOG_ERR, "persist: cannot record this port: it is lost at a restart");
	save();
}

static void note_core(const Virtioforwarder__CoreSchedRequest *r)
{
	if (r->op != VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE)
		return;
	for (size_t i = 0; i < r->n_relay_cpu_map; i++) {
		const Virtioforwarder__CoreSchedRequest__RelayCPU *m = r->relay_cpu_map[i];
		struct state_pin p = {.relay = m->relay_number, .vf_to_vm_cpu = m->vf2virtio_cpu,
			.vm_to_vf_cpu = m->virtio2vf_cpu};
		for (size_t q = 0; q < m->n_vf_to_vm_queue && q < STATE_MAX_QUEUES; q++)
			p.vf_to_vm_q[p.n_vf_to_vm_q++] = (struct state_queue_cpu){
				m->vf_to_vm_queue[q]->queue, m->vf_to_vm_queue[q]->cpu};
		for (size_t q = 0; q < m->n_vm_to_vf_queue && q < STATE_MAX_QUEUES; q++)
			p.vm_to_vf_q[p.n_vm_to_vf_q++] = (struct state_queue_cpu){
				m->vm_to_vf_queue[q]->queue, m->vm_to_vf_queue[q]->cpu};
		if (state_put_pin(&state, &p) < 0)
			ctl_log(CLOG_ERR, "persist: no room for relay %d's pin", p.relay);
	}
	save();
}

void persist_note(enum svc_kind kind, const uint8_t *req, size_t len, const struct buf *reply)
{
	if (state_dir == NULL || replaying || !reply_ok(kind, reply))
		return;
	if (kind == SVC_PORT) {
		PortRequest *r = virtioforwarder__port_control_request__unpack(NULL, len, req);
		if (r != NULL)
			note_port(r);
		virtioforwarder__port_control_request__free_unpacked(r, NULL);
	} else {
		Virtioforwarder__CoreSchedRequest *r =
			virtioforwarder__core_sched_request__unpack(NULL, len, req);
		if (r != NULL)
			note_core(r);
		virtioforwarder__core_sched_request__free_unpacked(r, NULL);
	}
}

/* --- replaying */

/* why: a reply's "error N from SOURCE" for the log; *code: N */
static bool replay_one(enum svc_kind kind, const ProtobufCMessage *m, char *why, size_t wl,
	int *code)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *req = malloc(len + 1);
	struct buf reply = {0};
	if (req == NULL) {
		snprintf(why, wl, "out of memory");
		return false;
	}
	protobuf_c_message_pack(m, req);
	if (kind == SVC_PORT)
		svc_port_handle(req, len, &reply);
	else
		svc_core_handle(req, len, &reply);
	free(req);
	bool ok = reply_ok(kind, &reply);
	if (!ok && kind == SVC_PORT) {
		Virtioforwarder__PortControlResponse *r =
			virtioforwarder__port_control_response__unpack(NULL, reply.len, reply.data);
		*code = r != NULL ? r->error_code : 0;
		snprintf(why, wl, "error %d from %s", *code,
			r != NULL && r->error_code_source ? r->error_code_source : "?");
		virtioforwarder__port_control_response__free_unpacked(r, NULL);
	} else if (!ok) {
		snprintf(why, wl, "refused by core_sched");
	}
	free(reply.data);
	return ok;
}

/* at: the relay an add_sock must take, -1: the lowest free */
static bool replay_entry(const struct state_entry *e, int at, char *why, size_t wl, int *code)
{
	PortRequest r = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	r.op = e->op == STATE_ADD ? VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD :
				    VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK;
	/* conditional: the same device already there (static config, an
	 * earlier entry) is a success; another device there wins */
	r.has_conditional = true;
	r.conditional = true;
	if (e->op == STATE_ADD) {
		r.has_virtio_id = true;
		r.virtio_id = e->virtio_id;
	}
	r.vhost_path = e->vhost_path;
	r.n_devargs = e->n_devices; /* normalized PCI addresses validate as devargs do */
	r.devargs = (char **)e->devices;
	r.name = e->name;
	r.has_mode = e->mode >= 0;
	r.mode = e->mode >= 0 ? (uint32_t)e->mode : 0;
	r.has_vhost_mode = e->vhost_mode != STATE_VHOST_DEFAULT;
	r.vhost_mode = e->vhost_mode == STATE_VHOST_CLIENT ?
		VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__CLIENT :
		VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__SERVER;
	svc_port_replay(true, at);
	bool ok = replay_one(SVC_PORT, &r.base, why, wl, code);
	svc_port_replay(false, -1);
	return ok;
}

static bool replay_pin(const struct state_pin *p, char *why, size_t wl)
{
	Virtioforwarder__CoreSchedRequest r = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__CoreSchedRequest__RelayCPU m =
		VIRTIOFORWARDER__CORE_SCHED_REQUEST__RELAY_CPU__INIT;
	Virtioforwarder__CoreSchedRequest__RelayCPU *mp = &m;
	Virtioforwarder__QueueCPU qa[STATE_MAX_QUEUES], qb[STATE_MAX_QUEUES];
	Virtioforwarder__QueueCPU *pa[STATE_MAX_QUEUES], *pb[STATE_MAX_QUEUES];
	r.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
	r.n_relay_cpu_map = 1;
	r.relay_cpu_map = &mp;
	m.relay_number = p->relay;
	m.vf2virtio_cpu = p->vf_to_vm_cpu;
	m.virtio2vf_cpu = p->vm_to_vf_cpu;
	for (unsigned i = 0; i < p->n_vf_to_vm_q; i++) {
		virtioforwarder__queue_cpu__init(&qa[i]);
		qa[i].queue = p->vf_to_vm_q[i].queue;
		qa[i].cpu = p->vf_to_vm_q[i].cpu;
		pa[i] = &qa[i];
	}
	for (unsigned i = 0; i < p->n_vm_to_vf_q; i++) {
		virtioforwarder__queue_cpu__init(&qb[i]);
		qb[i].queue = p->vm_to_vf_q[i].queue;
		qb[i].cpu = p->vm_to_vf_q[i].cpu;
		pb[i] = &qb[i];
	}
	m.n_vf_to_vm_queue = p->n_vf_to_vm_q;
	m.vf_to_vm_queue = pa;
	m.n_vm_to_vf_queue = p->n_vm_to_vf_q;
	m.vm_to_vf_queue = pb;
	int code;
	return replay_one(SVC_CORE, &r.base, why, wl, &code);
}

/* static configuration wins: a relay --virtio-cpu pins keeps that pin */
static bool static_pin(int relay)
{
	for (unsigned i = 0; i < svc_cfg.n_pins; i++)
		if (svc_cfg.pins[i].relay_id == relay)
			return true;
	return false;
}

unsigned persist_replay(void)
{
	unsigned ok = 0;
	char why[160];
	bool later[STATE_MAX_ENTRIES];
	if (state_dir == NULL)
		return 0;
	replaying = true;
	/* ports at their relays first; then sockets without one (version 1
	 * files, a relay static config took) on the lowest free relays left */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < state.n_entries; i++) {
			const struct state_entry *e = &state.entries[i];
			const char *dev = state_entry_device(e);
			char what[320];
			int code = 0;
			if (pass == 0)
				later[i] = !e->at_relay;
			if (later[i] != (pass == 1))
				continue;
			if (e->op == STATE_ADD)
				snprintf(what, sizeof(what), "add relay %u device %s", e->virtio_id,
					dev ? dev : "?");
			else
				snprintf(what, sizeof(what), "add_sock %s device %s", e->vhost_path,
					e->n_devices == 0 ? "(none)" : dev ? dev : "?");
			if (replay_entry(e, pass == 0 ? (int)e->virtio_id : -1, why, sizeof(why), &code)) {
				ctl_log(CLOG_INFO, "persist: replayed %s on relay %d", what,
					svc_port_last_relay());
				ok++;
			} else if (pass == 0 && e->op == STATE_ADD_SOCK && code == 2) {
				ctl_log(CLOG_WARNING, "persist: %s: relay %u is taken, another one follows",
					what, e->virtio_id);
				later[i] = true;
			} else {
				/* kept in the file: tried again at the next start */
				ctl_log(CLOG_ERR, "persist: skipped %s: %s (a device that is gone, or "
					"static configuration holding the relay)", what, why);
			}
		}
	for (unsigned i = 0; i < state.n_pins; i++)
		if (static_pin(state.pins[i].relay))
			ctl_log(CLOG_INFO, "persist: relay %d: --virtio-cpu pin kept, recorded pin "
				"skipped", state.pins[i].relay);
		else if (replay_pin(&state.pins[i], why, sizeof(why)))
			ok++;
		else
			ctl_log(CLOG_WARNING, "persist: relay %d: pin %d,%d not restored: %s",
				state.pins[i].relay, state.pins[i].vf_to_vm_cpu,
				state.pins[i].vm_to_vf_cpu, why);
	replaying = false;
	return ok;
}

void persist_close(void)
{
	state_free(&state);
	free(state_dir);
	free(last_written);
	state_dir = NULL;
	last_written = NULL;
}

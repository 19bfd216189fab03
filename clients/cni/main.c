/* SPDX-License-Identifier: BSD-3-Clause */
/* virtio-forwarder-cni: the CNI verbs. ADD relays the device plugin's VF to
 * a new vhost-user socket <socketDir>/<containerID[:12]>-<ifname> and
 * writes the device-info file; DEL undoes it, best-effort and idempotent;
 * CHECK looks at the socket and the relay; STATUS asks whether the
 * forwarder answers; GC removes this network's attachments the runtime no
 * longer lists. Output and errors as the CNI spec says (stdout, JSON). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cni.h"
#include "fwd.h"
#include "state.h"

#define LOG(...) fprintf(stderr, "virtio-forwarder-cni: " __VA_ARGS__)

static char *read_all(FILE *f)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		len += fread(buf + len, 1, cap - len - 1, f);
		if (feof(f) || ferror(f))
			break;
		if (len + 1 == cap) {
			char *n = realloc(buf, cap *= 2);
			if (n == NULL)
				free(buf);
			buf = n;
		}
	}
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

static void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(j);
}

static void remove_devinfo(const char *path)
{
	if (path != NULL && unlink(path) < 0 && errno != ENOENT)
		LOG("cannot remove %s: %s\n", path, strerror(errno));
}

/* PCIDEVICE_* may list several VFs: take the first no attachment of this
 * network holds */
struct pick {
	const struct cni_req *req;
	const char *candidate;
	size_t len;
};

/* another attachment holds the candidate (a repeated ADD keeps its own) */
static int holds(const struct cni_record *rec, void *arg)
{
	const struct pick *p = arg;
	if (strcmp(rec->container_id, p->req->container_id) == 0 &&
		strcmp(rec->ifname, p->req->ifname) == 0)
		return 0;
	return rec->device_id != NULL && !rec->pending_removal && strlen(rec->device_id) == p->len &&
		strncasecmp(rec->device_id, p->candidate, p->len) == 0;
}

static int choose_device(struct cni_req *req, struct cni_error *err)
{
	char *buf = req->device_buf;
	size_t len = sizeof(req->device_buf);
	if (req->device_id != NULL)
		return 0;
	if (req->device_list == NULL || req->device_list[0] == '\0') {
		cni_set_error(err, CNI_ERR_CONFIG, "no VF for this attachment",
			req->device_var[0] ? "neither \"deviceID\" (Multus) nor %s is set" :
					     "set \"deviceID\" (Multus does) or \"resourceName\"%s",
			req->device_var);
		return -1;
	}
	const char *first = NULL, *s = req->device_list;
	size_t first_len = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		struct pick p = {req, s, n};
		if (n > 0 && first == NULL) {
			first = s;
			first_len = n;
		}
		if (n > 0 && state_foreach(req, holds, &p) == 0) {
			first = s;
			first_len = n;
			break;
		}
		s += n + (s[n] == ',');
	}
	if (first == NULL || first_len >= len) {
		cni_set_error(err, CNI_ERR_CONFIG, "no VF for this attachment", "%s=%s", req->device_var,
			req->device_list);
		return -1;
	}
	memcpy(buf, first, first_len);
	buf[first_len] = '\0';
	req->device_id = buf;
	return 0;
}

static int socket_path(const struct cni_req *req, char *out, size_t len, struct cni_error *err)
{
	if (cni_socket_path(req->socket_dir, req->container_id, req->ifname, out, len) < 0) {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config",
			"socketDir %s is too long for a unix socket path", req->socket_dir);
		return -1;
	}
	return 0;
}

static int cmd_add(struct cni_req *req, struct cni_error *err)
{
	char sock[PATH_MAX], devinfo[PATH_MAX], dir[PATH_MAX];
	int ret;
	if (choose_device(req, err) < 0 || socket_path(req, sock, sizeof(sock), err) < 0)
		return -1;
	if (cni_devinfo_path(req, devinfo, sizeof(devinfo)) < 0) {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "device-info path too long");
		return -1;
	}
	if ((ret = mkdir_p(req->socket_dir)) < 0) {
		cni_set_error(err, CNI_ERR_IO, "cannot create the socket dir", "%s: %s", req->socket_dir,
			strerror(-ret));
		return -1;
	}
	/* the record first: a failure below leaves something DEL can find;
	 * a failed repeat of a done ADD keeps the record it found */
	struct cni_record old;
	bool had = state_load(req, req->container_id, req->ifname, &old) == 1;
	if (had) {
		had = !old.pending_removal;
		json_decref(old.json);
	}
	if (!had && state_save(req, sock, devinfo, false, err) < 0)
		return -1;
	if (fwd_add_sock(req, sock, req->device_id, err) != FWD_OK) {
		if (!had)
			state_remove(req, req->container_id, req->ifname);
		return -1;
	}
	if (had && state_save(req, sock, devinfo, false, err) < 0)
		return -1;
	json_t *info = cni_devinfo_json(req, sock);
	char *text = json_dumps(info, JSON_INDENT(2));
	json_decref(info);
	snprintf(dir, sizeof(dir), "%s", devinfo);
	*strrchr(dir, '/') = '\0';
	ret = mkdir_p(dir);
	if (ret == 0)
		ret = text != NULL ? write_atomic(devinfo, text) : -ENOMEM;
	free(text);
	if (ret < 0) {
		cni_set_error(err, CNI_ERR_IO, "cannot write the device-info file", "%s: %s", devinfo,
			strerror(-ret));
		struct cni_error ignored;
		fwd_remove_sock(req, sock, &ignored);
		state_remove(req, req->container_id, req->ifname);
		return -1;
	}
	print_json(cni_result(req, sock));
	return 0;
}

/* undo one attachment; FWD_DOWN leaves a pending record for GC */
static enum fwd_result undo(struct cni_req *req, const char *sock, const char *devinfo,
	const char *cid, const char *ifname)
{
	struct cni_error err = {0};
	enum fwd_result r = fwd_remove_sock(req, sock, &err);
	if (r == FWD_OK || r == FWD_ABSENT) {
		remove_devinfo(devinfo);
		state_remove(req, cid, ifname);
		return r;
	}
	LOG("%s: %s (%s)\n", sock, err.msg, err.details);
	return r;
}

static int cmd_del(struct cni_req *req, struct cni_error *err)
{
	char sock[PATH_MAX], devinfo[PATH_MAX];
	struct cni_record rec;
	int have = state_load(req, req->container_id, req->ifname, &rec);
	if (have) {
		snprintf(sock, sizeof(sock), "%s", rec.socket_path);
		if (rec.devinfo_file != NULL)
			snprintf(devinfo, sizeof(devinfo), "%s", rec.devinfo_file);
		else
			cni_devinfo_path(req, devinfo, sizeof(devinfo));
		json_decref(rec.json);
	} else {
		if (socket_path(req, sock, sizeof(sock), err) < 0)
			return -1;
		cni_devinfo_path(req, devinfo, sizeof(devinfo));
	}
	if (undo(req, sock, devinfo, req->container_id, req->ifname) >= 0)
		return 0;
	/* best-effort: the pod goes; the relay goes when GC finds the
	 * forwarder again (a record marked for removal) */
	remove_devinfo(devinfo);
	if (!req->forwarder_client)
		unlink(sock); /* a stale server socket: nobody listens */
	if (state_save(req, sock, devinfo, true, err) < 0)
		LOG("%s: %s\n", err->msg, err->details);
	memset(err, 0, sizeof(*err));
	return 0;
}

/* CHECK: prevResult names our interface and socket */
static bool prev_has(const struct cni_req *req, const char *sock)
{
	json_t *ifs = json_object_get(req->prev_result, "interfaces"), *itf;
	size_t i;
	json_array_foreach(ifs, i, itf) {
		const char *name = json_string_value(json_object_get(itf, "name"));
		const char *path = json_string_value(json_object_get(itf, "socketPath"));
		if (name != NULL && strcmp(name, req->ifname) == 0 && path != NULL && strcmp(path, sock) == 0)
			return true;
	}
	return false;
}

static int cmd_check(struct cni_req *req, struct cni_error *err)
{
	struct cni_record rec;
	char sock[PATH_MAX], dev[256], want[256];
	struct stat st;
	if (!state_load(req, req->container_id, req->ifname, &rec)) {
		cni_set_error(err, CNI_ERR_UNKNOWN_CONTAINER, "no such attachment", "%s %s",
			req->container_id, req->ifname);
		return -1;
	}
	snprintf(sock, sizeof(sock), "%s", rec.socket_path);
	snprintf(want, sizeof(want), "%s", rec.device_id ? rec.device_id : "");
	bool pending = rec.pending_removal;
	json_decref(rec.json);
	if (pending) {
		cni_set_error(err, CNI_ERR_UNKNOWN_CONTAINER, "attachment was deleted", "%s", sock);
		return -1;
	}
	if (req->prev_result != NULL && !prev_has(req, sock)) {
		cni_set_error(err, CNI_ERR_PREV_RESULT, "prevResult lacks this interface",
			"no interface %s with socketPath %s", req->ifname, sock);
		return -1;
	}
	switch (fwd_query(req, sock, dev, sizeof(dev))) {
	case FWD_OK:
		if (want[0] != '\0' && !fwd_same_device(dev, want)) {
			cni_set_error(err, CNI_ERR_RELAY_GONE, "the socket is relayed to another device",
				"%s: %s, expected %s", sock, dev, want);
			return -1;
		}
		/* in client mode the pod serves the socket: it exists while the
		 * pod runs, not ours to check */
		if (!req->forwarder_client && (stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))) {
			cni_set_error(err, CNI_ERR_SOCKET_GONE, "the vhost-user socket is gone", "%s", sock);
			return -1;
		}
		return 0;
	case FWD_DOWN:
		cni_set_error(err, CNI_ERR_TRY_AGAIN, "virtio-forwarder does not answer", "%s", req->endpoint);
		return -1;
	default:
		cni_set_error(err, CNI_ERR_RELAY_GONE, "virtio-forwarder has no relay for the socket", "%s",
			sock);
		return -1;
	}
}

static int cmd_status(struct cni_req *req, struct cni_error *err)
{
	/* any answer, even "no such socket", means the control plane is up */
	if (fwd_query(req, "/", NULL, 0) == FWD_DOWN) {
		cni_set_error(err, CNI_ERR_UNAVAILABLE, "virtio-forwarder is not available",
			"no reply from %s within %d ms", req->endpoint, req->timeout_ms);
		return -1;
	}
	return 0;
}

struct gc {
	struct cni_req *req;
	json_t *valid;
	int down;
};

static int gc_one(const struct cni_record *rec, void *arg)
{
	struct gc *g = arg;
	json_t *a;
	size_t i;
	json_array_foreach(g->valid, i, a) {
		const char *cid = json_string_value(json_object_get(a, "containerID"));
		const char *ifn = json_string_value(json_object_get(a, "ifname"));
		if (cid != NULL && ifn != NULL && strcmp(cid, rec->container_id) == 0 &&
			strcmp(ifn, rec->ifname) == 0)
			return 0;
	}
	LOG("gc: %s %s (%s)\n", rec->container_id, rec->ifname, rec->socket_path);
	if (undo(g->req, rec->socket_path, rec->devinfo_file, rec->container_id, rec->ifname) == FWD_DOWN)
		g->down++;
	return 0;
}

static int cmd_gc(struct cni_req *req, struct cni_error *err)
{
	json_t *valid = json_object_get(req->conf, "cni.dev/valid-attachments");
	if (!json_is_array(valid)) {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config",
			"GC needs \"cni.dev/valid-attachments\" (an array)");
		return -1;
	}
	struct gc g = {req, valid, 0};
	state_foreach(req, gc_one, &g);
	if (g.down > 0) {
		cni_set_error(err, CNI_ERR_TRY_AGAIN, "virtio-forwarder does not answer",
			"%d attachment(s) kept for the next GC", g.down);
		return -1;
	}
	return 0;
}

/* one invocation at a time per node: choosing among PCIDEVICE_* VFs and
 * record updates must not interleave (held until exit) */
static int lock_state(const struct cni_req *req, struct cni_error *err)
{
	char path[PATH_MAX];
	int ret = mkdir_p(req->state_dir);
	if (ret == 0 && snprintf(path, sizeof(path), "%s/.lock", req->state_dir) >= (int)sizeof(path))
		ret = -ENAMETOOLONG;
	int fd = ret == 0 ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (fd < 0 && ret == 0)
		ret = -errno;
	if (fd >= 0 && flock(fd, LOCK_EX) < 0)
		ret = -errno;
	if (ret < 0) {
		cni_set_error(err, CNI_ERR_IO, "cannot lock the state dir", "%s: %s", req->state_dir,
			strerror(-ret));
		return -1;
	}
	return 0;
}

static const char *env(const char *name)
{
	return getenv(name);
}

int main(void)
{
	struct cni_req req;
	struct cni_error err;
	char *text = read_all(stdin);
	int ret = cni_parse(text != NULL ? text : "", env, &req, &err);
	free(text);
	if (ret == 0 && req.verb != CNI_VERSION && req.verb != CNI_STATUS)
		ret = lock_state(&req, &err);
	if (ret == 0) {
		switch (req.verb) {
		case CNI_ADD: ret = cmd_add(&req, &err); break;
		case CNI_DEL: ret = cmd_del(&req, &err); break;
		case CNI_CHECK: ret = cmd_check(&req, &err); break;
		case CNI_STATUS: ret = cmd_status(&req, &err); break;
		case CNI_GC: ret = cmd_gc(&req, &err); break;
		case CNI_VERSION: print_json(cni_version_json()); break;
		}
	}
	if (ret < 0) {
		print_json(cni_error_json(req.version, &err));
		LOG("%s: %s\n", err.msg, err.details);
	}
	cni_req_free(&req);
	return ret < 0 ? 1 : 0;
}

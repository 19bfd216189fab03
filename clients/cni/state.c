/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "state.h"

int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (c == '\0')
				return 0;
		}
	}
}

int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return -e;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return -e;
	}
	return 0;
}

static int record_dir(const struct cni_req *req, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", req->state_dir, req->name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int record_path(const struct cni_req *req, const char *cid, const char *ifname, char *out,
	size_t len)
{
	int n = snprintf(out, len, "%s/%s/%s-%s.json", req->state_dir, req->name, cid, ifname);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int state_save(const struct cni_req *req, const char *socket_path, const char *devinfo_file,
	bool pending_removal, struct cni_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int ret;
	if (record_dir(req, dir, sizeof(dir)) < 0 ||
		record_path(req, req->container_id, req->ifname, path, sizeof(path)) < 0) {
		cni_set_error(err, CNI_ERR_CONFIG, "invalid network config", "stateDir path too long");
		return -1;
	}
	if ((ret = mkdir_p(dir)) < 0) {
		cni_set_error(err, CNI_ERR_IO, "cannot create the state dir", "%s: %s", dir, strerror(-ret));
		return -1;
	}
	json_t *r = json_pack("{s:s, s:s, s:s, s:b}", "containerID", req->container_id, "ifname",
		req->ifname, "socketPath", socket_path, "pendingRemoval", pending_removal);
	if (req->device_id != NULL)
		json_object_set_new(r, "deviceID", json_string(req->device_id));
	if (devinfo_file != NULL)
		json_object_set_new(r, "deviceInfoFile", json_string(devinfo_file));
	if (req->netns != NULL)
		json_object_set_new(r, "netns", json_string(req->netns));
	char *text = json_dumps(r, JSON_INDENT(1));
	json_decref(r);
	ret = text != NULL ? write_atomic(path, text) : -ENOMEM;
	free(text);
	if (ret < 0) {
		cni_set_error(err, CNI_ERR_IO, "cannot write the attachment record", "%s: %s", path,
			strerror(-ret));
		return -1;
	}
	return 0;
}

static int record_from_json(json_t *j, struct cni_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->json = j;
	rec->container_id = json_string_value(json_object_get(j, "containerID"));
	rec->ifname = json_string_value(json_object_get(j, "ifname"));
	rec->socket_path = json_string_value(json_object_get(j, "socketPath"));
	rec->device_id = json_string_value(json_object_get(j, "deviceID"));
	rec->devinfo_file = json_string_value(json_object_get(j, "deviceInfoFile"));
	rec->pending_removal = json_is_true(json_object_get(j, "pendingRemoval"));
	return rec->container_id != NULL && rec->ifname != NULL && rec->socket_path != NULL ? 0 : -1;
}

int state_load(const struct cni_req *req, const char *cid, const char *ifname,
	struct cni_record *rec)
{
	char path[PATH_MAX];
	if (record_path(req, cid, ifname, path, sizeof(path)) < 0)
		return 0;
	json_t *j = json_load_file(path, 0, NULL);
	if (j == NULL)
		return 0;
	if (record_from_json(j, rec) < 0) {
		fprintf(stderr, "virtio-forwarder-cni: ignoring malformed record %s\n", path);
		json_decref(j);
		return 0;
	}
	return 1;
}

void state_remove(const struct cni_req *req, const char *cid, const char *ifname)
{
	char path[PATH_MAX];
	if (record_path(req, cid, ifname, path, sizeof(path)) == 0)
		unlink(path);
}

int state_foreach(const struct cni_req *req, state_cb cb, void *arg)
{
	char dir[PATH_MAX], path[PATH_MAX];
	if (record_dir(req, dir, sizeof(dir)) < 0)
		return 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	struct dirent *e;
	int ret = 0;
	while (ret == 0 && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		json_t *j = json_load_file(path, 0, NULL);
		struct cni_record rec;
		if (j != NULL && record_from_json(j, &rec) == 0)
			ret = cb(&rec, arg);
		json_decref(j);
	}
	closedir(d);
	return ret;
}

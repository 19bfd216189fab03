/* SPDX-License-Identifier: BSD-3-Clause */
/* The plugin's own records, one JSON file per attachment under
 * <stateDir>/<network name>/<containerID>-<ifname>.json, so that DEL, CHECK
 * and GC work without prevResult. Written atomically (temp, fsync, rename). */
#ifndef VFWD_CNI_STATE_H
#define VFWD_CNI_STATE_H

#include "cni.h"

/* a record's fields (strings owned by the json it came from) */
struct cni_record {
	json_t *json;
	const char *container_id, *ifname, *socket_path, *device_id, *devinfo_file;
	bool pending_removal; /* DEL found the forwarder down: GC retries */
};

/* mkdir -p with mode 0755; 0 or -errno */
int mkdir_p(const char *path);
/* write text to path atomically (mode 0644); 0 or -errno */
int write_atomic(const char *path, const char *text);

int state_save(const struct cni_req *req, const char *socket_path, const char *devinfo_file,
	bool pending_removal, struct cni_error *err);
/* 1 found, 0 none; rec->json must be json_decref'ed when found */
int state_load(const struct cni_req *req, const char *container_id, const char *ifname,
	struct cni_record *rec);
void state_remove(const struct cni_req *req, const char *container_id, const char *ifname);
/* call cb for every record of this network; stops at a non-zero return */
typedef int (*state_cb)(const struct cni_record *rec, void *arg);
int state_foreach(const struct cni_req *req, state_cb cb, void *arg);

#endif

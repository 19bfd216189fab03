/* SPDX-License-Identifier: BSD-3-Clause */
/* The plugin's requests to virtio-forwarder's port_control service
 * (PortControlRequest ADD_SOCK / REMOVE_SOCK / QUERY_PCI over ZeroMQ REQ,
 * through the C clients' client_ask). "Already there" and "absent" answers
 * count as success here, so the plugin works whether or not the daemon's
 * own calls are idempotent. */
#ifndef VFWD_CNI_FWD_H
#define VFWD_CNI_FWD_H

#include "cni.h"

enum fwd_result {
	FWD_OK = 0,
	FWD_ABSENT = 1,     /* remove/query: no relay has that socket */
	FWD_DOWN = -1,      /* no (parseable) answer */
	FWD_REFUSED = -2,   /* an error answer; err says which */
};

/* relay device_id (PCI address or devargs) to a socket at path */
enum fwd_result fwd_add_sock(const struct cni_req *req, const char *path, const char *device_id,
	struct cni_error *err);
enum fwd_result fwd_remove_sock(const struct cni_req *req, const char *path, struct cni_error *err);
/* the device relayed to path (in dev, as the daemon names it) */
enum fwd_result fwd_query(const struct cni_req *req, const char *path, char *dev, size_t len);
/* the same device, as the daemon normalises names (PCI case-insensitive) */
bool fwd_same_device(const char *a, const char *b);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* The VM half: vhost-user sockets and librte_vhost's callbacks (vm.c), the
 * migration log of their rings (vm_log.c). */
#ifndef VFWD_VM_H
#define VFWD_VM_H

#include "relay_int.h"

int vm_register(const char *path, bool client, struct relay_fault *f);
int vm_unregister(const char *path, bool client);
/* Take the device new_device published if connection seq is still current. */
bool vm_take_vid(struct relay *r, uint64_t seq);
/* A device stopped (destroy_device), workers gone: mark its ring areas
 * dirty for a migration's last pass (vm_log.c; vhost thread only). */
void vm_log_rings(int vid);

#endif

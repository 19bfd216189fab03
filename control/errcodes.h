/* SPDX-License-Identifier: BSD-3-Clause */
/* The original's error codes and error_code_source strings: the only
 * place where wire error numbers exist. */
#ifndef VFWD_ERRCODES_H
#define VFWD_ERRCODES_H

#include "relay.h"

#define SRC_ADD_VF "virtio_forwarder_add_vf2()"
#define SRC_BOND_ADD "virtio_forwarder_bond_add()"
#define SRC_REMOVE_VF "virtio_forwarder_remove_vf2()"
#define SRC_ADD_SOCK "virtio_add_sock_dev_pair()"
#define SRC_REMOVE_SOCK "virtio_remove_sock_dev_pair()"
#define SRC_QUERY_PCI "virtio_query_pci()"
#define SRC_MIGRATE "migrate_relay_cpus()"
#define SRC_WORKERS "worker core request"
#define SRC_VALIDATE "request validation"

/* err: a relay_* return value (-errno), step: its relay_fault step */
int errcode_add_vf(int err, enum relay_step step);
int errcode_bond_add(int err, enum relay_step step);
int errcode_remove_vf(int err);

#endif

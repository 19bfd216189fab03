/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFWD_EAL_ARGS_H
#define VFWD_EAL_ARGS_H

#include "options.h"

struct eal_args {
	int argc;
	char **argv; /* argc entries plus a NULL */
};

/* Turn the daemon configuration into an EAL argv (pure: no DPDK calls).
 * Returns 0 or -ENOMEM. */
int eal_args_build(const struct vfwd_config *cfg, struct eal_args *out);
void eal_args_free(struct eal_args *a);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_version.h>

#include "options.h"

const char *options_dpdk_version(void)
{
	return rte_version();
}

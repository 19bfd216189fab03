/* SPDX-License-Identifier: BSD-3-Clause */
#include "errcodes.h"

#include <errno.h>
#include <string.h>

static int step_is(const char *step, const char *name)
{
	return step != NULL && strcmp(step, name) == 0;
}

int errcode_add_vf(int err, const char *step)
{
	switch (err) {
	case -EINVAL:
		return 1; /* relay id out of range */
	case -EBUSY:
		return 8; /* relay already has a port */
	case -ENODEV:
	case -EEXIST:
	case -ENOSPC: /* no free ethdev port */
		return 2; /* probe failed */
	case -ENOMEM:
		return -1; /* mempool */
	default:
		break;
	}
	if (step_is(step, "rte_eth_dev_configure"))
		return 4;
	if (step_is(step, "rte_eth_tx_queue_setup"))
		return 6;
	if (step_is(step, "rte_eth_rx_queue_setup"))
		return 5;
	if (step_is(step, "rte_eth_dev_start"))
		return 1;
	return err; /* e.g. a negative DPDK code from rte_eth_dev_info_get */
}

int errcode_bond_add(int err, const char *step)
{
	switch (err) {
	case -EINVAL:
		return step_is(step, "relay id") ? 1 : 2;
	case -EBUSY:
		return 8;
	case -EEXIST:
		return 3; /* a member is already an ethdev */
	case -ENODEV:
		return 5; /* member init failed */
	case -ENOMEM:
		return -1;
	case -EIO:
		if (step_is(step, "rte_eth_bond_create"))
			return 2;
		if (step_is(step, "rte_eth_dev_start"))
			return 6;
		return 4;
	default:
		return err;
	}
}

int errcode_remove_vf(int err)
{
	switch (err) {
	case -EINVAL:
		return 1;
	case -EXDEV:
		return 3; /* relay holds another device */
	case -ENOENT:
		return 4; /* no device and not conditional */
	default:
		return 2;
	}
}

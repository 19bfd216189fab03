/* SPDX-License-Identifier: BSD-3-Clause */
#include "errcodes.h"

#include <errno.h>
#include <string.h>


int errcode_add_vf(int err, enum relay_step step)
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
	if (step == STEP_CONFIGURE)
		return 4;
	if (step == STEP_TX_QUEUE_SETUP)
		return 6;
	if (step == STEP_RX_QUEUE_SETUP)
		return 5;
	if (step == STEP_START)
		return 1;
	return err; /* e.g. a negative DPDK code from rte_eth_dev_info_get */
}

int errcode_bond_add(int err, enum relay_step step)
{
	switch (err) {
	case -EINVAL:
		return step == STEP_RELAY_ID ? 1 : 2;
	case -EBUSY:
		return 8;
	case -EEXIST:
		return 3; /* a member is already an ethdev */
	case -ENODEV:
		return 5; /* member init failed */
	case -ENOMEM:
		return -1;
	case -EIO:
		if (step == STEP_BOND_CREATE)
			return 2;
		if (step == STEP_START)
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

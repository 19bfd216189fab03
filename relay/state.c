/* SPDX-License-Identifier: BSD-3-Clause */
/* The state strings the stats service reports, exactly the original's. */
#include <stdio.h>

#include "relay.h"

const char *relay_dpdk_state_str(enum relay_dpdk_state s)
{
	static const char *const names[] = {"DPDK_UNINIT", "DPDK_ADDED", "DPDK_READY",
		"DPDK_REMOVING1", "DPDK_REMOVING2"};
	static _Thread_local char other[16];
	if ((unsigned)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	snprintf(other, sizeof(other), "0x%x", (unsigned)s);
	return other;
}

const char *relay_virtio_state_str(enum relay_virtio_state s)
{
	static const char *const names[] = {"VIRTIO_UNINIT", "VIRTIO_READY", "VIRTIO_REMOVING1",
		"VIRTIO_REMOVING2"};
	static _Thread_local char other[16];
	if ((unsigned)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	snprintf(other, sizeof(other), "0x%x", (unsigned)s);
	return other;
}

const char *relay_step_str(enum relay_step s)
{
#define RELAY_STEP_NAME(name, str) [name] = str,
	static const char *const names[] = {RELAY_STEPS(RELAY_STEP_NAME)};
#undef RELAY_STEP_NAME
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

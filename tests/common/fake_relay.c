/* SPDX-License-Identifier: BSD-3-Clause */
/* An in-memory data plane behind relay.h, so the control services can be
 * fuzzed (and unit-tested) without DPDK: devices whose name starts with
 * "net_" or a PCI address of domain 0000 probe; everything else fails. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fake_relay.h"
#include "relay.h"

#define N 32

static struct fake {
	char *vf, *sock;
	bool vm, client;
	int cpu_a, cpu_b;
	struct relay_counters up, down;
} relays[N];

void fake_relay_reset(void)
{
	for (int i = 0; i < N; i++) {
		free(relays[i].vf);
		free(relays[i].sock);
		memset(&relays[i], 0, sizeof(relays[i]));
		relays[i].cpu_a = relays[i].cpu_b = -1;
	}
}

void fake_relay_connect_vm(unsigned id, bool up)
{
	relays[id].vm = up;
	relays[id].down.pkts_rx += 10;
	relays[id].up.pkts_rx += 7;
}

unsigned relay_max(void)
{
	return N;
}

static bool in_use(const char *dev)
{
	for (int i = 0; i < N; i++)
		if (relays[i].vf != NULL && strcasecmp(relays[i].vf, dev) == 0)
			return true;
	return false;
}

static bool probes(const char *dev)
{
	return strncmp(dev, "net_", 4) == 0 || strncmp(dev, "0000:", 5) == 0;
}

int relay_attach_vf(unsigned id, const char *devargs, bool conditional, struct relay_fault *f)
{
	f->step = STEP_RELAY_ID;
	if (id >= N)
		return -EINVAL;
	if (relays[id].vf != NULL) {
		if (conditional && strcasecmp(relays[id].vf, devargs) == 0)
			return 0;
		f->step = STEP_RELAY_BUSY;
		return -EBUSY;
	}
	f->step = STEP_PROBE;
	if (in_use(devargs))
		return -EEXIST;
	if (!probes(devargs))
		return -ENODEV;
	relays[id].vf = strdup(devargs);
	relays[id].cpu_a = 1;
	return 0;
}

int relay_attach_bond(unsigned id, const char *name, unsigned mode, const char *const *members,
	unsigned n, bool conditional, struct relay_fault *f)
{
	if (strncmp(name, "net_bonding", 11) != 0 || mode > 6) {
		f->step = STEP_BOND_CREATE;
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++)
		if (in_use(members[i]) || !probes(members[i])) {
			f->step = STEP_BOND_MEMBER;
			return in_use(members[i]) ? -EEXIST : -ENODEV;
		}
	return relay_attach_vf(id, name, conditional, f);
}

int relay_detach_vf(unsigned id, const char *devargs, bool conditional, struct relay_fault *f)
{
	(void)f;
	if (id >= N)
		return -EINVAL;
	if (relays[id].vf == NULL)
		return conditional ? 0 : -ENOENT;
	if (devargs != NULL && strcasecmp(relays[id].vf, devargs) != 0)
		return -EXDEV;
	free(relays[id].vf);
	relays[id].vf = NULL;
	relays[id].cpu_a = -1;
	return 0;
}

int relay_add_socket_mode(unsigned id, const char *path, enum relay_vhost_mode mode,
	struct relay_fault *f)
{
	(void)f;
	if (id >= N || relays[id].sock != NULL)
		return -EBUSY;
	relays[id].sock = strdup(path);
	relays[id].client = mode == RELAY_VHOST_CLIENT;
	return 0;
}

int relay_add_socket(unsigned id, const char *path, struct relay_fault *f)
{
	return relay_add_socket_mode(id, path, RELAY_VHOST_DEFAULT, f);
}

int relay_remove_socket(unsigned id, struct relay_fault *f)
{
	(void)f;
	if (id >= N || relays[id].sock == NULL)
		return -ENOENT;
	free(relays[id].sock);
	relays[id].sock = NULL;
	relays[id].vm = false;
	return 0;
}

int relay_get_info(unsigned id, struct relay_info *ri)
{
	if (id >= N)
		return -EINVAL;
	const struct fake *r = &relays[id];
	memset(ri, 0, sizeof(*ri));
	ri->id = id;
	ri->dpdk_state = r->vf == NULL ? DPDK_UNINIT : r->vm ? DPDK_READY : DPDK_ADDED;
	ri->virtio_state = r->vm ? VIRTIO_READY : VIRTIO_UNINIT;
	ri->active = r->vf != NULL && r->vm;
	ri->vf_to_vm_cpu = r->cpu_a;
	ri->vm_to_vf_cpu = r->vm ? 1 : -1;
	ri->vf_name = r->vf;
	ri->socket_path = r->sock;
	ri->socket_client = r->client;
	ri->socket_id = r->vf != NULL || r->vm ? 0 : UINT32_MAX;
	ri->vf_to_vm = r->up;
	ri->vm_to_vf = r->down;
	return 0;
}

int relay_move(unsigned id, int a, int b)
{
	if (id >= N || a > 1 || b > 1 || a < -1 || b < -1)
		return -EINVAL;
	return 0;
}

int relay_move_units(unsigned id, const struct relay_dir_cpus dirs[2])
{
	for (unsigned d = 0; d < 2; d++)
		for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
			if (dirs[d].queue_cpu[q] > 1 || dirs[d].queue_cpu[q] < -1)
				return -EINVAL;
	return relay_move(id, dirs[0].cpu, dirs[1].cpu);
}

unsigned relay_worker_cpus(unsigned *cpus, unsigned max)
{
	if (max == 0)
		return 0;
	cpus[0] = 1;
	return 1;
}

int relay_worker_load(unsigned cpu, struct relay_worker_stats *s)
{
	*s = (struct relay_worker_stats){.tsc_hz = 1};
	return cpu == 1 ? 0 : -EINVAL;
}

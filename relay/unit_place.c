/* SPDX-License-Identifier: BSD-3-Clause */
/* Where a relay's queue units run (unit_place.h). Control thread only. */
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_vhost.h>

#include "relay_log.h"
#include "unit_place.h"
#include "worker.h"
#include "datapath.h"
#include "pool.h"

static RTE_LOG_REGISTER(logtype, vfwd.relay, INFO);

/* each direction's pin by relay id (--virtio-cpu, core_sched UPDATE); -1: none */
static int pin_vf_to_vm[RTE_MAX_ETHPORTS], pin_vm_to_vf[RTE_MAX_ETHPORTS];

void units_init_pins(const struct relay_params *p)
{
	for (unsigned i = 0; i < RTE_MAX_ETHPORTS; i++) {
		pin_vf_to_vm[i] = p->pin_vf_to_vm ? p->pin_vf_to_vm[i] : -1;
		pin_vm_to_vf[i] = p->pin_vm_to_vf ? p->pin_vm_to_vf[i] : -1;
	}
}

static struct relay_unit *units_of(struct relay *r, enum relay_dir_kind kind)
{
	return kind == DIR_VF_TO_VM ? r->vf_to_vm : r->vm_to_vf;
}

static int *pin_of(const struct relay *r, enum relay_dir_kind kind)
{
	return kind == DIR_VF_TO_VM ? &pin_vf_to_vm[r->id] : &pin_vm_to_vf[r->id];
}

/* Where unit q goes when placed: its own pin, else its direction's (-1:
 * the least loaded worker). */
int unit_pin(const struct relay *r, enum relay_dir_kind kind, unsigned q)
{
	const struct relay_unit *u = kind == DIR_VF_TO_VM ? &r->vf_to_vm[q] : &r->vm_to_vf[q];
	return u->pin_cpu >= 0 ? u->pin_cpu : *pin_of(r, kind);
}

/* Longest frame a VF of this MTU carries: one VLAN tag allowed. */
static uint32_t frame_of_mtu(unsigned mtu)
{
	return mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
}

/* Take every unit of a direction off its worker; their stashes are
 * flushed (counted as not connected). On return no worker sees them. */
void units_unpublish(struct relay *r, enum relay_dir_kind kind)
{
	struct relay_unit *u = units_of(r, kind);
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if (u[q].cpu >= 0) {
			worker_unpublish(&u[q]);
			fwd_flush_stash(&u[q]);
		}
}

/* Put units 0 .. n-1 of a direction on workers: the pinned CPU, or each
 * on the least loaded worker, so a relay's units spread over them. */
int units_publish(struct relay *r, enum relay_dir_kind kind, uint16_t n, int numa)
{
	struct relay_unit *u = units_of(r, kind);
	for (uint16_t q = 0; q < n; q++) {
		u[q].n_units = n;
		u[q].guest_pairs = r->guest_pairs > 0 ? r->guest_pairs : 1;
		u[q].next_queue = 0;
		stall_reset(&u[q]);
		/* VF->VM: what the relay is made for (the VF delivered it) and
		 * the guest's buffers hold; VM->VF: what the VF takes as well
		 * (net_tap of 22.11 takes 1504 at most and would refuse more) */
		if (kind == DIR_VF_TO_VM) {
			u[q].max_frame = RTE_MIN(frame_of_mtu(relay_mtu()), r->guest_max_frame);
		} else {
			u[q].max_frame = frame_of_mtu(RTE_MIN(relay_mtu(), (unsigned)r->vf_mtu));
			u[q].tx_offload_capa = r->vf_tx_capa;
			u[q].sw_gso = relay_cfg.enable_tso &&
				!(r->vf_tx_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) && r->gso_ready;
			u[q].gso.direct_pool = r->gso_direct;
			u[q].gso.indirect_pool = r->gso_indirect;
			u[q].gso.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO;
			u[q].gso.flag = 0; /* IP ids count up, as the guest's own would */
		}
		int cpu = worker_publish(&u[q], unit_pin(r, kind, q), numa);
		if (cpu < 0) {
			LOG(ERR, "relay %u: no worker for %s queue %u", r->id,
				kind == DIR_VF_TO_VM ? "vf_to_vm" : "vm_to_vf", q);
			units_unpublish(r, kind);
			return cpu;
		}
	}
	return 0;
}

static int vm_numa(const struct relay *r)
{
	return r->vid >= 0 ? rte_vhost_get_numa_node(r->vid) : -1;
}

/* VM->VF units follow the VF's queue count; without a VF, one unit per
 * guest queue pair drops (as not connected) what the guest sends. */
int units_republish_vm_to_vf(struct relay *r)
{
	uint16_t n = r->dpdk_state == DPDK_READY ? r->vf_queues :
						   (uint16_t)RTE_MAX(r->guest_pairs, (uint16_t)1);
	units_unpublish(r, DIR_VM_TO_VF);
	return units_publish(r, DIR_VM_TO_VF, n, vm_numa(r));
}

/* Move a placed unit to cpu (an unplaced one waits for its next placement).
 * The stash and counters travel with it; meanwhile the VF RX ring or the
 * guest TX ring holds what arrives. */
static int move_unit(struct relay *r, struct relay_unit *u, int cpu)
{
	if (u->cpu < 0 || u->cpu == cpu)
		return 0;
	worker_unpublish(u);
	if (worker_publish(u, cpu, -1) >= 0)
		return 0;
	/* no plan memory there: anywhere, rather than not polled */
	if (worker_publish(u, -1, -1) < 0) {
		LOG(ERR, "relay %u: queue %u of a direction lost its worker", r->id, u->queue);
		fwd_flush_stash(u);
	}
	return -EIO;
}

/* Record a direction's new pins, then move each unit they name once, to
 * where the direction's CPU and its own say together. */
static int move_dir(struct relay *r, enum relay_dir_kind kind, const struct relay_dir_cpus *c)
{
	struct relay_unit *u = units_of(r, kind);
	if (c->cpu >= 0) {
		/* the whole direction, later units too, as the original's
		 * clients expect: earlier per-unit choices are forgotten */
		*pin_of(r, kind) = c->cpu;
		for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
			u[q].pin_cpu = -1;
	}
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if (c->queue_cpu[q] >= 0)
			u[q].pin_cpu = c->queue_cpu[q];
	if (kind == DIR_VF_TO_VM && (c->cpu >= 0 || c->queue_cpu[0] >= 0))
		u[0].planned_cpu = unit_pin(r, kind, 0); /* stats' cpu of a stopped VF */
	int ret = 0;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if ((c->cpu >= 0 || c->queue_cpu[q] >= 0) &&
			move_unit(r, &u[q], unit_pin(r, kind, q)) < 0)
			ret = -EIO;
	return ret;
}

static bool dir_cpus_valid(const struct relay_dir_cpus *c)
{
	if (c->cpu >= 0 && !worker_exists(c->cpu))
		return false;
	for (unsigned q = 0; q < RELAY_MAX_QUEUES; q++)
		if (c->queue_cpu[q] >= 0 && !worker_exists(c->queue_cpu[q]))
			return false;
	return true;
}

/* "1,2,1,2": the workers of a direction's placed units, for the log */
static const char *unit_cpus_str(const struct relay_unit *u, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned q = 0; q < RELAY_MAX_QUEUES && len < size; q++)
		if (u[q].cpu >= 0)
			len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? "," : "",
				u[q].cpu);
	return buf;
}

int relay_move_units(unsigned id, const struct relay_dir_cpus dirs[2])
{
	struct relay *r = relay_by_id(id);
	if (r == NULL || !dir_cpus_valid(&dirs[DIR_VF_TO_VM]) ||
		!dir_cpus_valid(&dirs[DIR_VM_TO_VF]))
		return -EINVAL;
	int ret = move_dir(r, DIR_VF_TO_VM, &dirs[DIR_VF_TO_VM]);
	int ret2 = move_dir(r, DIR_VM_TO_VF, &dirs[DIR_VM_TO_VF]);
	char up[4 * RELAY_MAX_QUEUES + 1], down[4 * RELAY_MAX_QUEUES + 1];
	if (ret == 0 && ret2 == 0)
		LOG(INFO, "relay %u: moved; vf_to_vm units on cpus [%s], vm_to_vf on [%s]", id,
			unit_cpus_str(r->vf_to_vm, up, sizeof(up)),
			unit_cpus_str(r->vm_to_vf, down, sizeof(down)));
	return ret < 0 ? ret : ret2;
}

int relay_move(unsigned id, int vf_to_vm_cpu, int vm_to_vf_cpu)
{
	struct relay_dir_cpus dirs[2];
	relay_dir_cpus_whole(&dirs[DIR_VF_TO_VM], vf_to_vm_cpu);
	relay_dir_cpus_whole(&dirs[DIR_VM_TO_VF], vm_to_vf_cpu);
	return relay_move_units(id, dirs);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* Our rte_telemetry commands. Their handlers run on DPDK's telemetry
 * thread while relay.h is the control thread's: each handler reads the
 * relays under the control lock (control.h), which the control thread
 * holds while it handles anything, so it sees them between operations. */
#include "telemetry.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "control.h"
#include "relay.h"
#include "stats_dump.h"

/* control lock: false once the relays are being torn down */
static bool relays_up;

/* Every counter of a direction, by the name it has in the output; a new
 * counter of struct relay_counters is one line here. */
static const struct {
	const char *name;
	size_t off;
} dir_counters[] = {
#define DIR_COUNTER(f, up, down, family, reason, help) {#f, offsetof(struct relay_counters, f)},
	RELAY_COUNTERS(DIR_COUNTER)
#undef DIR_COUNTER
};

/* The same for a worker's counters. */
static const struct {
	const char *name;
	size_t off;
} worker_counters[] = {
#define WORKER_COUNTER(f) {#f, offsetof(struct relay_worker_stats, f)}
	WORKER_COUNTER(busy_cycles),
	WORKER_COUNTER(packets),
	WORKER_COUNTER(sleeps),
	WORKER_COUNTER(missed_wakeups),
	WORKER_COUNTER(tsc_hz),
#undef WORKER_COUNTER
};

static uint64_t field_u64(const void *base, size_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

static int on_relays(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	control_lock();
	for (unsigned id = 0; relays_up && id < relay_max(); id++) {
		struct relay_info ri;
		if (relay_get_info(id, &ri) == 0 && stats_relay_used(&ri))
			rte_tel_data_add_array_int(d, (int)id);
	}
	control_unlock();
	return 0;
}

static bool parse_id(const char *params, unsigned *id)
{
	char *end;
	if (params == NULL || *params < '0' || *params > '9')
		return false;
	errno = 0;
	unsigned long v = strtoul(params, &end, 10);
	if (errno != 0 || *end != '\0' || v > 0xffffffffUL)
		return false;
	*id = (unsigned)v;
	return true;
}

static void add_string(struct rte_tel_data *d, const char *name, const char *v)
{
	/* longer values do not fit a telemetry string: cut, never fail */
	char buf[RTE_TEL_MAX_STRING_LEN];
	snprintf(buf, sizeof(buf), "%s", v != NULL ? v : "");
	rte_tel_data_add_dict_string(d, name, buf);
}

static void add_dir(struct rte_tel_data *d, const char *dir, const struct relay_counters *c)
{
	for (size_t i = 0; i < sizeof(dir_counters) / sizeof(dir_counters[0]); i++) {
		char name[RTE_TEL_MAX_STRING_LEN];
		snprintf(name, sizeof(name), "%s_%s", dir, dir_counters[i].name);
		rte_tel_data_add_dict_u64(d, name, field_u64(c, dir_counters[i].off));
	}
}

/* /virtio_forwarder/relay,<id>: a flat dict (a 22.11 dict holds no dicts) */
static int on_relay(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	unsigned id;
	struct relay_info ri;
	if (!parse_id(params, &id))
		return -EINVAL;
	control_lock();
	int ret = relays_up ? relay_get_info(id, &ri) : -ENODEV;
	if (ret == 0) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_int(d, "id", (int)ri.id);
		rte_tel_data_add_dict_int(d, "active", ri.active);
		add_string(d, "dpdk_state", relay_dpdk_state_str(ri.dpdk_state));
		add_string(d, "virtio_state", relay_virtio_state_str(ri.virtio_state));
		rte_tel_data_add_dict_int(d, "vf_to_vm_cpu", ri.vf_to_vm_cpu);
		rte_tel_data_add_dict_int(d, "vm_to_vf_cpu", ri.vm_to_vf_cpu);
		add_string(d, "vf", ri.vf_name);
		add_string(d, "socket", ri.socket_path);
		rte_tel_data_add_dict_int(d, "numa_node",
			ri.socket_id == UINT32_MAX ? -1 : (int)ri.socket_id);
		add_string(d, "vf_link", ri.vf_name == NULL ? "" : ri.vf_link_up ? "up" : "down");
		rte_tel_data_add_dict_u64(d, "vf_link_speed", ri.vf_link_speed);
		rte_tel_data_add_dict_u64(d, "vf_rx_missed", ri.vf_rx_missed);
		rte_tel_data_add_dict_u64(d, "vf_rx_nombuf", ri.vf_rx_nombuf);
		rte_tel_data_add_dict_u64(d, "vf_rx_errors", ri.vf_rx_errors);
		rte_tel_data_add_dict_u64(d, "vf_tx_errors", ri.vf_tx_errors);
		rte_tel_data_add_dict_u64(d, "vf_resets", ri.vf_resets);
		rte_tel_data_add_dict_u64(d, "vf_removals", ri.vf_removals);
		rte_tel_data_add_dict_u64(d, "log_suppressed", ri.log_suppressed);
		add_dir(d, "vf_to_vm", &ri.vf_to_vm);
		add_dir(d, "vm_to_vf", &ri.vm_to_vf);
	}
	control_unlock();
	return ret < 0 ? -EINVAL : 0;
}

/* /virtio_forwarder/workers: columns, "cpu" and one array per counter */
static int on_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	enum { N_WC = sizeof(worker_counters) / sizeof(worker_counters[0]) };
	struct rte_tel_data *cpus = rte_tel_data_alloc(), *cols[N_WC] = {NULL};
	bool ok = cpus != NULL;
	for (unsigned k = 0; k < N_WC; k++)
		ok = ok && (cols[k] = rte_tel_data_alloc()) != NULL;
	if (!ok) {
		rte_tel_data_free(cpus);
		for (unsigned k = 0; k < N_WC; k++)
			rte_tel_data_free(cols[k]);
		return -ENOMEM;
	}
	rte_tel_data_start_array(cpus, RTE_TEL_INT_VAL);
	for (unsigned k = 0; k < N_WC; k++)
		rte_tel_data_start_array(cols[k], RTE_TEL_U64_VAL);
	unsigned list[RTE_TEL_MAX_ARRAY_ENTRIES];
	control_lock();
	unsigned n = relays_up ? relay_worker_cpus(list, RTE_TEL_MAX_ARRAY_ENTRIES) : 0;
	for (unsigned i = 0; i < n; i++) {
		struct relay_worker_stats ws;
		if (relay_worker_load(list[i], &ws) < 0)
			continue;
		rte_tel_data_add_array_int(cpus, (int)list[i]);
		for (unsigned k = 0; k < N_WC; k++)
			rte_tel_data_add_array_u64(cols[k], field_u64(&ws, worker_counters[k].off));
	}
	control_unlock();
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_container(d, "cpu", cpus, 0);
	for (unsigned k = 0; k < N_WC; k++)
		rte_tel_data_add_dict_container(d, worker_counters[k].name, cols[k], 0);
	return 0;
}

int telemetry_start(void)
{
	static bool registered; /* commands cannot be unregistered */
	control_lock();
	relays_up = true;
	control_unlock();
	if (registered)
		return 0;
	int ret = rte_telemetry_register_cmd("/virtio_forwarder/relays", on_relays,
		"Ids of the relays in use (a VF, a VM or traffic). Takes no parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/virtio_forwarder/relay", on_relay,
			"States, CPUs, socket, VF and counters of a relay. Parameters: int relay_id");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/virtio_forwarder/workers", on_workers,
			"Worker CPUs and their load counters, one array per counter. Takes no parameters");
	registered = ret == 0;
	return ret;
}

void telemetry_stop(void)
{
	control_lock();
	relays_up = false;
	control_unlock();
}

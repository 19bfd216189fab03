/* SPDX-License-Identifier: BSD-3-Clause */
/* Command line of the daemon: the original's options, parsed without DPDK. */
#ifndef VFWD_OPTIONS_H
#define VFWD_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#define VFWD_MAX_CPUS 128  /* RTE_MAX_LCORE of Debian's DPDK build */
#define VFWD_MAX_RELAYS 32 /* = RTE_MAX_ETHPORTS (Debian's DPDK): static assert in main.c */

struct vfwd_static_vf {
	char *devargs; /* PCI address or vdev devargs, as typed */
	unsigned relay_id;
};

struct vfwd_cpu_pin {
	unsigned relay_id;
	int vf_to_vm_cpu;
	int vm_to_vf_cpu;
};

struct vfwd_config {
	bool worker_cpus[VFWD_MAX_CPUS];
	unsigned n_worker_cpus;
	unsigned main_lcore;
	bool daemonize;
	bool log_syslog;
	int loglevel; /* syslog scale 0..7 */
	char *pid_path;
	char *huge_dir;
	char *zmq_config_ep; /* NULL: service off */
	char *zmq_port_control_ep;
	char *zmq_stats_ep;
	char *zmq_core_sched_ep;
	char *vhost_user;  /* NULL: keep the process user */
	char *vhost_group; /* NULL: keep the process group */
	bool vhost_user_default;  /* not given: missing user only warns */
	bool vhost_group_default;
	char *vhost_path;
	char *vhost_socket; /* pattern with one %u */
	struct vfwd_cpu_pin pins[VFWD_MAX_RELAYS];
	unsigned n_pins;
	bool enable_jumbo;
	bool enable_mrgbuf;
	bool enable_tso;
	struct vfwd_static_vf static_vfs[VFWD_MAX_RELAYS];
	unsigned n_static_vfs;
	char *vfio_vf_token; /* NULL: none */
	bool vhost_client;
	bool dynamic_sockets;
	bool same_numa;
	unsigned idle_sleep_max_us; /* 0: never a timed sleep */
	bool idle_interrupts;       /* sleep until a guest kick or VF interrupt */
	bool vhost_iommu;           /* vhost-user IOMMU support (vIOMMU guests) */
	unsigned vf_queues;         /* most VF queue pairs per relay; 0: no limit */
	char *state_dir;            /* dynamic ports recorded here (state.json) */
	bool no_persist;            /* record and replay nothing */
	char **extra_eal_args;      /* words after "--", passed to EAL last */
	int n_extra_eal_args;
};

enum options_result {
	OPTIONS_RUN = 0,
	OPTIONS_EXIT_OK = 1,  /* --version or --help printed */
	OPTIONS_EXIT_ERR = 2, /* message and usage printed */
};

/* Parse argv into cfg (zeroed first). Messages go to out/err. */
enum options_result options_parse(struct vfwd_config *cfg, int argc, char **argv, FILE *out,
	FILE *err);
void options_free(struct vfwd_config *cfg);

/* Pieces exposed for unit tests. Return 0 or -EINVAL. */
int options_parse_cpu_list(const char *s, bool cpus[VFWD_MAX_CPUS], unsigned *n);
int options_parse_pin(const char *s, struct vfwd_config *cfg);
int options_parse_static_vf(const char *s, struct vfwd_static_vf *vf);
int options_check_socket_pattern(const char *pattern);

/* Static socket path of relay id: "<vhost_path>/<pattern % id>". Caller frees. */
char *options_socket_path(const struct vfwd_config *cfg, unsigned relay_id);

/* "DPDK 22.11.x": provided by eal.c, stubbed in unit tests. */
const char *options_dpdk_version(void);

#endif

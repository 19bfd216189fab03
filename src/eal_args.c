/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL argv from the daemon options, as the original builds it, except that
 * memory is not preallocated with --socket-mem: DPDK's dynamic memory mode
 * reserves hugepages only as mempools need them. */
#include "eal_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool extra_has(const struct vfwd_config *cfg, const char *opt)
{
	size_t len = strlen(opt);
	for (int i = 0; i < cfg->n_extra_eal_args; i++) {
		const char *a = cfg->extra_eal_args[i];
		if (strncmp(a, opt, len) == 0 && (a[len] == '\0' || a[len] == '='))
			return true;
	}
	return false;
}

static int push(struct eal_args *a, const char *s)
{
	char **argv = realloc(a->argv, sizeof(char *) * (a->argc + 2));
	if (argv == NULL)
		return -ENOMEM;
	a->argv = argv;
	a->argv[a->argc] = strdup(s);
	if (a->argv[a->argc] == NULL)
		return -ENOMEM;
	a->argv[++a->argc] = NULL;
	return 0;
}

/* "0x..." mask of the workers and the main lcore, any number of CPUs. */
static void core_mask(const struct vfwd_config *cfg, char *buf, size_t size)
{
	int top = (int)cfg->main_lcore;
	for (int c = 0; c < VFWD_MAX_CPUS; c++)
		if (cfg->worker_cpus[c] && c > top)
			top = c;
	size_t pos = 0;
	buf[pos++] = '0';
	buf[pos++] = 'x';
	for (int nib = top / 4; nib >= 0 && pos + 1 < size; nib--) {
		int v = 0;
		for (int b = 0; b < 4; b++) {
			int c = nib * 4 + b;
			if (c < VFWD_MAX_CPUS && (cfg->worker_cpus[c] || (unsigned)c == cfg->main_lcore))
				v |= 1 << b;
		}
		buf[pos++] = "0123456789abcdef"[v];
	}
	buf[pos] = '\0';
}

int eal_args_build(const struct vfwd_config *cfg, struct eal_args *a)
{
	char num[64], mask[VFWD_MAX_CPUS / 4 + 4];
	int ret = 0;
	bool own_memory = !extra_has(cfg, "--no-huge") && !extra_has(cfg, "--in-memory");

	memset(a, 0, sizeof(*a));
#define PUSH(s)                                                                                    \
	do {                                                                                       \
		if ((ret = push(a, (s))) < 0)                                                      \
			goto fail;                                                                 \
	} while (0)
	PUSH("virtio-forwarder");
	if (!extra_has(cfg, "--lcores") && !extra_has(cfg, "-l")) {
		snprintf(num, sizeof(num), "%u", cfg->main_lcore);
		PUSH("--main-lcore");
		PUSH(num);
		core_mask(cfg, mask, sizeof(mask));
		PUSH("-c");
		PUSH(mask);
	}
	snprintf(num, sizeof(num), "%d", cfg->loglevel + 1); /* RTE_LOG_EMERG is 1 */
	PUSH("--log-level");
	PUSH(num);
	if (own_memory) {
		/* no --huge-unlink: secondary processes (dpdk-dumpcap,
		 * dpdk-proc-info) map the primary's hugepage files; EAL
		 * removes a dead instance's files of the same prefix at start */
		PUSH("--huge-dir");
		PUSH(cfg->huge_dir);
	}
	if (!extra_has(cfg, "--file-prefix")) {
		PUSH("--file-prefix");
		PUSH("virtio-forwarder_");
	}
	if (cfg->vfio_vf_token != NULL) {
		PUSH("--vfio-vf-token");
		PUSH(cfg->vfio_vf_token);
	}
	if (!extra_has(cfg, "--no-pci") && !extra_has(cfg, "-a")) {
		/* scan the PCI bus (hotplug needs it) but probe nothing at start */
		PUSH("-a");
		PUSH("ffff:ff:ff.f");
	}
	PUSH("-n");
	PUSH("4");
	if (cfg->log_syslog) {
		PUSH("--syslog");
		PUSH("local0");
	}
	for (int i = 0; i < cfg->n_extra_eal_args; i++)
		PUSH(cfg->extra_eal_args[i]);
#undef PUSH
	return 0;
fail:
	eal_args_free(a);
	return ret;
}

void eal_args_free(struct eal_args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

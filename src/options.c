/* SPDX-License-Identifier: BSD-3-Clause */
/* getopt_long table of the original daemon (same long/short forms and
 * defaults) plus a few extensions; no DPDK here so it is unit-testable. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pciaddr.h"
#include "vfwd_version.h"

#define DEFAULT_EP_DIR "ipc:///var/run/virtio-forwarder/"

enum { OPT_IDLE_SLEEP = 256, OPT_IDLE_INTR, OPT_VF_QUEUES, OPT_STATE_DIR, OPT_NO_PERSIST,
	OPT_VHOST_IOMMU, OPT_HELP };

static const struct option long_opts[] = {
	{"cpus", required_argument, NULL, 'C'},
	{"master-lcore", required_argument, NULL, 'M'},
	{"nodaemon", optional_argument, NULL, 'n'},
	{"loglevel", required_argument, NULL, 'l'},
	{"pid-path", required_argument, NULL, 'p'},
	{"huge-dir", required_argument, NULL, 'H'},
	{"ovsdb-sock", required_argument, NULL, 'O'},
	{"zmq-config-ep", optional_argument, NULL, 'Y'},
	{"zmq-port-control-ep", optional_argument, NULL, 'Z'},
	{"zmq-stats-ep", optional_argument, NULL, 'z'},
	{"zmq-core-sched-ep", optional_argument, NULL, 's'},
	{"ipc", no_argument, NULL, 'I'},
	{"vhost-username", optional_argument, NULL, 'u'},
	{"vhost-groupname", optional_argument, NULL, 'g'},
	{"vhost-path", required_argument, NULL, 'V'},
	{"vhost-socket", required_argument, NULL, 'S'},
	{"virtio-cpu", required_argument, NULL, 'c'},
	{"enable-jumbo", no_argument, NULL, 'J'},
	{"enable-mrgbuf", no_argument, NULL, 'R'},
	{"add-pci-vf", required_argument, NULL, 'P'},
	{"vfio-vf-token", required_argument, NULL, 't'},
	{"vhostuser-client", no_argument, NULL, 'i'},
	{"zero-copy", no_argument, NULL, '0'},
	{"enable-tso", no_argument, NULL, 'T'},
	{"dynamic-sockets", no_argument, NULL, 'd'},
	{"same-numa", no_argument, NULL, 'a'},
	{"version", no_argument, NULL, 'v'},
	{"idle-sleep-max-us", required_argument, NULL, OPT_IDLE_SLEEP},
	{"idle-interrupts", no_argument, NULL, OPT_IDLE_INTR},
	{"vf-queues", required_argument, NULL, OPT_VF_QUEUES},
	{"state-dir", required_argument, NULL, OPT_STATE_DIR},
	{"no-persist", no_argument, NULL, OPT_NO_PERSIST},
	{"vhost-iommu", no_argument, NULL, OPT_VHOST_IOMMU},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static const char short_opts[] = "+:C:M:n::l:p:H:O:Y::Z::z::s::Iu::g::V:S:c:JRP:t:i0Tdav";

static const char usage_text[] =
	"Usage: virtio-forwarder -C CPUS [options] [-- EAL options]\n"
	"Forwards packets between SR-IOV VFs serviced by DPDK and a VirtIO backend\n"
	"(vhost-user sockets of QEMU/KVM virtual machines).\n\n"
	"  -C, --cpus=LIST              worker CPUs: comma list (1,2) or hex mask (0x6); mandatory\n"
	"  -M, --master-lcore=CPU       EAL main lcore, not a worker (default 0)\n"
	"  -n, --nodaemon[=log_syslog]  stay in the foreground; log to stdout, or to syslog\n"
	"  -l, --loglevel=0..7          log threshold, syslog scale (default 6)\n"
	"  -p, --pid-path=DIR           directory of virtio-forwarder.pid (default /var/run)\n"
	"  -H, --huge-dir=DIR           hugetlbfs mount point (default /mnt/huge)\n"
	"  -Y, --zmq-config-ep[=EP]     enable the config service\n"
	"  -Z, --zmq-port-control-ep[=EP] enable the port control service\n"
	"  -z, --zmq-stats-ep[=EP]      enable the stats service\n"
	"  -s, --zmq-core-sched-ep[=EP] enable the core scheduler (and stats) service\n"
	"                               (EP default ipc:///var/run/virtio-forwarder/<name>)\n"
	"  -u, --vhost-username[=USER]  owner of vhost sockets (default libvirt-qemu;\n"
	"                               no value: keep the process user)\n"
	"  -g, --vhost-groupname[=GRP]  group of vhost sockets (default kvm)\n"
	"  -V, --vhost-path=DIR         directory of static sockets (default /tmp)\n"
	"  -S, --vhost-socket=PATTERN   static socket name, one %u (default virtio-forwarder%u.sock)\n"
	"  -c, --virtio-cpu=ID:CPU[,CPU] pin relay ID: first CPU VF->VM, second VM->VF;\n"
	"                               ';'-separated, repeatable\n"
	"  -J, --enable-jumbo           9000-byte MTU\n"
	"  -R, --enable-mrgbuf          offer mergeable RX buffers to guests\n"
	"  -T, --enable-tso             offer TSO to guests\n"
	"  -P, --add-pci-vf=DEV=ID      attach DEV (PCI address or vdev devargs) to relay ID\n"
	"                               at start-up; repeatable\n"
	"  -t, --vfio-vf-token=UUID     VFIO VF token ('0': the default UUID)\n"
	"  -i, --vhostuser-client       vhost-user client mode (QEMU is the server)\n"
	"  -d, --dynamic-sockets        no static sockets; add them with ADD_SOCK\n"
	"  -a, --same-numa              no memory on NUMA nodes without workers\n"
	"      --idle-interrupts        idle workers sleep until a guest kick or a VF RX\n"
	"                               interrupt (default: they spin, as the original)\n"
	"      --idle-sleep-max-us=N    idle workers whose VFs cannot interrupt sleep up\n"
	"                               to N us between polls (default 0: they spin)\n"
	"      --vf-queues=N            at most N queue pairs per VF (default 0: one per\n"
	"                               guest queue pair, as many as the VF has)\n"
	"      --state-dir=DIR          where dynamic ports are recorded to survive a restart\n"
	"                               (default /var/lib/virtio-forwarder)\n"
	"      --no-persist             record nothing, replay nothing at start\n"
	"      --vhost-iommu            offer IOMMU support to guests (vIOMMU, QEMU\n"
	"                               iommu_platform=on); costs a lock and a translation\n"
	"                               lookup per buffer for guests that use it\n"
	"  -v, --version                print the version and exit\n"
	"  -O, --ovsdb-sock, -I, --ipc, -0, --zero-copy: legacy, accepted and ignored\n";

static char *default_ep(const char *name)
{
	size_t len = strlen(DEFAULT_EP_DIR) + strlen(name) + 1;
	char *ep = malloc(len);
	if (ep != NULL)
		snprintf(ep, len, "%s%s", DEFAULT_EP_DIR, name);
	return ep;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int options_parse_cpu_list(const char *s, bool cpus[VFWD_MAX_CPUS], unsigned *n)
{
	memset(cpus, 0, sizeof(bool) * VFWD_MAX_CPUS);
	*n = 0;
	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0) {
		const char *hex = s + 2;
		size_t len = strlen(hex);
		if (len == 0)
			return -EINVAL;
		for (size_t i = 0; i < len; i++) {
			char c = hex[len - 1 - i];
			if (!isxdigit((unsigned char)c))
				return -EINVAL;
			int nib = isdigit((unsigned char)c) ? c - '0' : tolower(c) - 'a' + 10;
			for (int b = 0; b < 4; b++) {
				if (!(nib & (1 << b)))
					continue;
				size_t cpu = i * 4 + b;
				if (cpu >= VFWD_MAX_CPUS)
					return -EINVAL;
				cpus[cpu] = true;
			}
		}
	} else {
		char *copy = strdup(s), *save = NULL;
		if (copy == NULL)
			return -ENOMEM;
		int ret = 0;
		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			unsigned long cpu;
			if (parse_uint(tok, VFWD_MAX_CPUS - 1, &cpu) < 0) {
				ret = -EINVAL;
				break;
			}
			cpus[cpu] = true;
		}
		/* "1,,2" and a trailing comma are typos, not empty entries */
		if (ret == 0 && (s[strlen(s) - 1] == ',' || strstr(s, ",,") || s[0] == ','))
			ret = -EINVAL;
		free(copy);
		if (ret < 0)
			return ret;
	}
	for (unsigned i = 0; i < VFWD_MAX_CPUS; i++)
		*n += cpus[i];
	return *n > 0 ? 0 : -EINVAL;
}

/* One "<id>:<cpu>[,<cpu>]" item. */
static int parse_one_pin(const char *item, struct vfwd_cpu_pin *pin)
{
	char buf[64];
	unsigned long id, a, b;
	if (strlen(item) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, item);
	char *colon = strchr(buf, ':');
	if (colon == NULL)
		return -EINVAL;
	*colon = '\0';
	char *cpus = colon + 1, *comma = strchr(cpus, ',');
	if (comma != NULL)
		*comma = '\0';
	if (parse_uint(buf, VFWD_MAX_RELAYS - 1, &id) < 0 ||
		parse_uint(cpus, VFWD_MAX_CPUS - 1, &a) < 0)
		return -EINVAL;
	b = a;
	if (comma != NULL && parse_uint(comma + 1, VFWD_MAX_CPUS - 1, &b) < 0)
		return -EINVAL;
	pin->relay_id = id;
	pin->vf_to_vm_cpu = (int)a;
	pin->vm_to_vf_cpu = (int)b;
	return 0;
}

int options_parse_pin(const char *s, struct vfwd_config *cfg)
{
	char *copy = strdup(s), *save = NULL;
	int ret = 0, items = 0;
	if (copy == NULL)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		struct vfwd_cpu_pin pin;
		if (parse_one_pin(tok, &pin) < 0) {
			ret = -EINVAL;
			break;
		}
		unsigned i;
		for (i = 0; i < cfg->n_pins && cfg->pins[i].relay_id != pin.relay_id; i++)
			;
		if (i == cfg->n_pins) {
			if (cfg->n_pins == VFWD_MAX_RELAYS) {
				ret = -EINVAL;
				break;
			}
			cfg->n_pins++;
		}
		cfg->pins[i] = pin; /* a later pin of the same relay wins */
		items++;
	}
	free(copy);
	return ret < 0 ? ret : (items > 0 ? 0 : -EINVAL);
}

int options_parse_static_vf(const char *s, struct vfwd_static_vf *vf)
{
	/* devargs may hold '=' (net_tap0,iface=x): the id follows the last one */
	const char *eq = strrchr(s, '=');
	unsigned long id;
	if (eq == NULL || eq == s || parse_uint(eq + 1, VFWD_MAX_RELAYS - 1, &id) < 0)
		return -EINVAL;
	char *dev = strndup(s, eq - s);
	size_t size = (size_t)(eq - s) + 8; /* "05:08.1" gains "0000:" */
	if (dev == NULL || (vf->devargs = malloc(size)) == NULL) {
		free(dev);
		return -ENOMEM;
	}
	/* one spelling for PCI addresses, whatever the user typed */
	pciaddr_normalize(dev, vf->devargs, size);
	free(dev);
	vf->relay_id = id;
	return 0;
}

int options_check_socket_pattern(const char *p)
{
	const char *pct = strstr(p, "%u");
	if (pct == NULL || strstr(pct + 2, "%") != NULL || strchr(p, '/') != NULL)
		return -EINVAL;
	for (const char *q = p; q < pct; q++)
		if (*q == '%')
			return -EINVAL;
	if (isdigit((unsigned char)pct[2]))
		return -EINVAL; /* "x%u1" would make relay 1 and 11 collide */
	return 0;
}

char *options_socket_path(const struct vfwd_config *cfg, unsigned relay_id)
{
	const char *pct = strstr(cfg->vhost_socket, "%u");
	char *path = NULL;
	if (pct == NULL)
		return NULL;
	if (asprintf(&path, "%s/%.*s%u%s", cfg->vhost_path, (int)(pct - cfg->vhost_socket),
		    cfg->vhost_socket, relay_id, pct + 2) < 0)
		return NULL;
	return path;
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? strdup(src) : NULL;
}

static void defaults(struct vfwd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->daemonize = true;
	cfg->log_syslog = true;
	cfg->loglevel = 6;
	set_str(&cfg->pid_path, "/var/run");
	set_str(&cfg->huge_dir, "/mnt/huge");
	set_str(&cfg->vhost_user, "libvirt-qemu");
	set_str(&cfg->vhost_group, "kvm");
	cfg->vhost_user_default = cfg->vhost_group_default = true;
	set_str(&cfg->vhost_path, "/tmp");
	set_str(&cfg->state_dir, "/var/lib/virtio-forwarder");
	set_str(&cfg->vhost_socket, "virtio-forwarder%u.sock");
	/* sleeping is opt-in: timed sleeps meet neither < 5 % idle CPU nor a
	 * < 100 us first packet, and sleeping until a kick or an interrupt
	 * meets the first but not the second on our test host, where waking
	 * a thread alone takes ~85 us (tests/bench/latency_bench) */
	cfg->idle_sleep_max_us = 0;
	cfg->idle_interrupts = false;
}

void options_free(struct vfwd_config *cfg)
{
	char **strs[] = {&cfg->pid_path, &cfg->huge_dir, &cfg->zmq_config_ep,
		&cfg->zmq_port_control_ep, &cfg->zmq_stats_ep, &cfg->zmq_core_sched_ep,
		&cfg->vhost_user, &cfg->vhost_group, &cfg->vhost_path, &cfg->vhost_socket,
		&cfg->vfio_vf_token, &cfg->state_dir};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	for (unsigned i = 0; i < cfg->n_static_vfs; i++)
		free(cfg->static_vfs[i].devargs);
	for (int i = 0; i < cfg->n_extra_eal_args; i++)
		free(cfg->extra_eal_args[i]);
	free(cfg->extra_eal_args);
	cfg->extra_eal_args = NULL;
	cfg->n_static_vfs = 0;
	cfg->n_extra_eal_args = 0;
}

static enum options_result fail(FILE *err, const char *fmt, const char *arg)
{
	fprintf(err, "virtio-forwarder: ");
	fprintf(err, fmt, arg ? arg : "");
	fprintf(err, "\n\n%s", usage_text);
	return OPTIONS_EXIT_ERR;
}

/* Validation that needs the whole command line. */
static enum options_result check(struct vfwd_config *cfg, FILE *err)
{
	if (cfg->main_lcore < VFWD_MAX_CPUS && cfg->worker_cpus[cfg->main_lcore])
		return fail(err, "the master lcore must not be one of --cpus", NULL);
	for (unsigned i = 0; i < cfg->n_pins; i++) {
		const struct vfwd_cpu_pin *p = &cfg->pins[i];
		if (!cfg->worker_cpus[p->vf_to_vm_cpu] || !cfg->worker_cpus[p->vm_to_vf_cpu])
			return fail(err, "--virtio-cpu: every pinned CPU must be one of --cpus", NULL);
	}
	for (unsigned i = 0; i < cfg->n_static_vfs; i++)
		for (unsigned j = 0; j < i; j++)
			if (cfg->static_vfs[i].relay_id == cfg->static_vfs[j].relay_id)
				return fail(err, "--add-pci-vf: relay %s given twice",
					cfg->static_vfs[i].devargs);
	return OPTIONS_RUN;
}

enum options_result options_parse(struct vfwd_config *cfg, int argc, char **argv, FILE *out,
	FILE *err)
{
	bool have_cpus = false;
	unsigned long v;

	defaults(cfg);
	optind = 0; /* full reset, also of getopt's internal state */
	opterr = 0;
	for (;;) {
		int opt = getopt_long(argc, argv, short_opts, long_opts, NULL);
		if (opt == -1)
			break;
		switch (opt) {
		case 'C':
			if (options_parse_cpu_list(optarg, cfg->worker_cpus, &cfg->n_worker_cpus) < 0)
				return fail(err, "invalid --cpus '%s'", optarg);
			have_cpus = true;
			break;
		case 'M':
			if (parse_uint(optarg, VFWD_MAX_CPUS - 1, &v) < 0)
				return fail(err, "invalid --master-lcore '%s'", optarg);
			cfg->main_lcore = v;
			break;
		case 'n':
			cfg->daemonize = false;
			if (optarg == NULL)
				cfg->log_syslog = false;
			else if (strcmp(optarg, "log_syslog") != 0)
				return fail(err, "invalid --nodaemon value '%s' (only log_syslog)", optarg);
			break;
		case 'l':
			if (parse_uint(optarg, 7, &v) < 0)
				return fail(err, "invalid --loglevel '%s' (0..7)", optarg);
			cfg->loglevel = (int)v;
			break;
		case 'p':
			set_str(&cfg->pid_path, optarg);
			break;
		case 'H':
			set_str(&cfg->huge_dir, optarg);
			break;
		case 'Y':
			free(cfg->zmq_config_ep);
			cfg->zmq_config_ep = optarg ? strdup(optarg) : default_ep("config");
			break;
		case 'Z':
			free(cfg->zmq_port_control_ep);
			cfg->zmq_port_control_ep = optarg ? strdup(optarg) : default_ep("port_control");
			break;
		case 'z':
			free(cfg->zmq_stats_ep);
			cfg->zmq_stats_ep = optarg ? strdup(optarg) : default_ep("stats");
			break;
		case 's':
			free(cfg->zmq_core_sched_ep);
			cfg->zmq_core_sched_ep = optarg ? strdup(optarg) : default_ep("core_sched");
			break;
		case 'u':
			set_str(&cfg->vhost_user, optarg);
			cfg->vhost_user_default = false;
			break;
		case 'g':
			set_str(&cfg->vhost_group, optarg);
			cfg->vhost_group_default = false;
			break;
		case 'V':
			if (*optarg == '\0')
				return fail(err, "empty --vhost-path", NULL);
			set_str(&cfg->vhost_path, optarg);
			break;
		case 'S':
			if (options_check_socket_pattern(optarg) < 0)
				return fail(err,
					"invalid --vhost-socket '%s': one %%u, no '/', no digit after %%u",
					optarg);
			set_str(&cfg->vhost_socket, optarg);
			break;
		case 'c':
			if (options_parse_pin(optarg, cfg) < 0)
				return fail(err, "invalid --virtio-cpu '%s' (ID:CPU[,CPU][;...])", optarg);
			break;
		case 'J':
			cfg->enable_jumbo = true;
			break;
		case 'R':
			cfg->enable_mrgbuf = true;
			break;
		case 'T':
			cfg->enable_tso = true;
			break;
		case 'P':
			if (cfg->n_static_vfs == VFWD_MAX_RELAYS)
				return fail(err, "too many --add-pci-vf (at most one per relay)", NULL);
			if (options_parse_static_vf(optarg, &cfg->static_vfs[cfg->n_static_vfs]) < 0)
				return fail(err, "invalid --add-pci-vf '%s' (DEVICE=RELAY_ID)", optarg);
			cfg->n_static_vfs++;
			break;
		case 't':
			if (*optarg == '\0')
				set_str(&cfg->vfio_vf_token, NULL);
			else if (strcmp(optarg, "0") == 0)
				set_str(&cfg->vfio_vf_token, "14d63f20-8445-11ea-8900-1f9ce7d5650d");
			else
				set_str(&cfg->vfio_vf_token, optarg);
			break;
		case 'i':
			cfg->vhost_client = true;
			break;
		case 'd':
			cfg->dynamic_sockets = true;
			break;
		case 'a':
			cfg->same_numa = true;
			break;
		case 'O':
		case 'I':
		case '0':
			fprintf(err, "virtio-forwarder: warning: option -%c is a dropped legacy feature "
				     "(OVSDB monitor, file IPC, zero-copy); ignored\n", opt);
			break;
		case OPT_IDLE_SLEEP:
			if (parse_uint(optarg, 1000000, &v) < 0)
				return fail(err, "invalid --idle-sleep-max-us '%s'", optarg);
			cfg->idle_sleep_max_us = v;
			break;
		case OPT_IDLE_INTR:
			cfg->idle_interrupts = true;
			break;
		case OPT_VHOST_IOMMU:
			cfg->vhost_iommu = true;
			break;
		case OPT_VF_QUEUES:
			if (parse_uint(optarg, 32, &v) < 0)
				return fail(err, "invalid --vf-queues '%s' (0..32)", optarg);
			cfg->vf_queues = v;
			break;
		case OPT_STATE_DIR:
			if (optarg[0] != '/')
				return fail(err, "--state-dir '%s' must be an absolute path", optarg);
			set_str(&cfg->state_dir, optarg);
			break;
		case OPT_NO_PERSIST:
			cfg->no_persist = true;
			break;
		case 'v':
			fprintf(out, "Virtio-forwarder version %s-%s (%s)\n", VFWD_VERSION, VFWD_GIT_REV,
				options_dpdk_version());
			return OPTIONS_EXIT_OK;
		case OPT_HELP:
			fputs(usage_text, out);
			return OPTIONS_EXIT_OK;
		case ':':
			return fail(err, "option '%s' needs a value", argv[optind - 1]);
		default:
			return fail(err, "unknown option '%s'", argv[optind - 1]);
		}
	}
	/* Words after "--" are extra EAL arguments; any other word is a mistake. */
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail(err, "unexpected argument '%s'", argv[optind]);
		cfg->n_extra_eal_args = argc - optind;
		cfg->extra_eal_args = calloc(cfg->n_extra_eal_args, sizeof(char *));
		for (int i = 0; i < cfg->n_extra_eal_args; i++)
			cfg->extra_eal_args[i] = strdup(argv[optind + i]);
	}
	if (!have_cpus)
		return fail(err, "--cpus is mandatory", NULL);
	return check(cfg, err);
}

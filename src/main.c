/* SPDX-License-Identifier: BSD-3-Clause */
/* virtio-forwarder: start-up and shutdown order, and the control loop. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_pdump.h>

#include "clog.h"
#include "control.h"
#include "daemon.h"
#include "eal_args.h"
#include "log.h"
#include "options.h"
#include "persist.h"
#include "relay.h"
#include "stats_dump.h"
#include "telemetry.h"

static RTE_LOG_REGISTER(logtype, vfwd.main, INFO);
/* the control plane's lines (ctl_log, control/ has no DPDK) */
static RTE_LOG_REGISTER(logtype_control, vfwd.control, INFO);
#define LOG(level, fmt, ...) rte_log(RTE_LOG_##level, logtype, fmt "\n", ##__VA_ARGS__)

/* Owner of the sockets: a missing default account only warns (it is the
 * Debian libvirt name and may not exist), a missing explicit one is fatal. */
static int resolve_owner(const struct vfwd_config *cfg, uid_t *uid, gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (cfg->vhost_user != NULL) {
		struct passwd *pw = getpwnam(cfg->vhost_user);
		if (pw != NULL)
			*uid = pw->pw_uid;
		else if (!cfg->vhost_user_default)
			return fprintf(stderr, "virtio-forwarder: unknown user '%s'\n", cfg->vhost_user),
			       -1;
	}
	if (cfg->vhost_group != NULL) {
		struct group *gr = getgrnam(cfg->vhost_group);
		if (gr != NULL)
			*gid = gr->gr_gid;
		else if (!cfg->vhost_group_default)
			return fprintf(stderr, "virtio-forwarder: unknown group '%s'\n",
				       cfg->vhost_group),
			       -1;
	}
	return 0;
}

static void log_stats(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return;
	stats_dump(f);
	fclose(f);
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		LOG(NOTICE, "stats %s", line);
	free(buf);
}

/* options.c (no DPDK) bounds relay ids by VFWD_MAX_RELAYS; the data plane
 * sizes its arrays, and reads our pin arrays, by RTE_MAX_ETHPORTS. */
_Static_assert(VFWD_MAX_RELAYS == RTE_MAX_ETHPORTS,
	"VFWD_MAX_RELAYS (src/options.h) must equal this DPDK build's RTE_MAX_ETHPORTS");

static int start_relays(const struct vfwd_config *cfg, uid_t uid, gid_t gid)
{
	int pin_a[VFWD_MAX_RELAYS], pin_b[VFWD_MAX_RELAYS];
	for (unsigned i = 0; i < VFWD_MAX_RELAYS; i++)
		pin_a[i] = pin_b[i] = -1;
	for (unsigned i = 0; i < cfg->n_pins; i++) {
		pin_a[cfg->pins[i].relay_id] = cfg->pins[i].vf_to_vm_cpu;
		pin_b[cfg->pins[i].relay_id] = cfg->pins[i].vm_to_vf_cpu;
	}
	struct relay_params p = {
		.worker_cpus = cfg->worker_cpus,
		.n_cpus = VFWD_MAX_CPUS,
		.pin_vf_to_vm = pin_a,
		.pin_vm_to_vf = pin_b,
		.vhost_client = cfg->vhost_client,
		.enable_jumbo = cfg->enable_jumbo,
		.enable_mrgbuf = cfg->enable_mrgbuf,
		.enable_tso = cfg->enable_tso,
		.socket_uid = uid,
		.socket_gid = gid,
		.idle_sleep_max_us = cfg->idle_sleep_max_us,
		.idle_interrupts = cfg->idle_interrupts,
		.log_suppressed = log_suppressed_for,
		.vhost_iommu = cfg->vhost_iommu,
		.vf_queues = cfg->vf_queues,
	};
	int ret = relay_init(&p);
	if (ret < 0) {
		LOG(ERR, "relay_init: %s", strerror(-ret));
		return ret;
	}
	if (!cfg->dynamic_sockets) {
		for (unsigned id = 0; id < relay_max(); id++) {
			char *path = options_socket_path(cfg, id);
			struct relay_fault f = {0};
			ret = path ? relay_add_socket(id, path, &f) : -ENOMEM;
			free(path);
			if (ret < 0) {
				LOG(ERR, "relay %u: static socket: %s failed", id, relay_step_str(f.step));
				return ret;
			}
		}
	}
	for (unsigned i = 0; i < cfg->n_static_vfs; i++) {
		const struct vfwd_static_vf *vf = &cfg->static_vfs[i];
		struct relay_fault f = {0};
		ret = relay_attach_vf(vf->relay_id, vf->devargs, false, &f);
		if (ret < 0) {
			LOG(ERR, "relay %u: --add-pci-vf %s: %s failed: %s", vf->relay_id, vf->devargs,
				relay_step_str(f.step), strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static bool on_relay_event(void *arg)
{
	(void)arg;
	relay_process_events();
	return true;
}

static bool on_signal(void *arg)
{
	struct signalfd_siginfo si;
	if (read(*(int *)arg, &si, sizeof(si)) != sizeof(si))
		return true;
	if (si.ssi_signo == SIGUSR1) {
		log_stats();
		return true;
	}
	LOG(NOTICE, "signal %u: shutting down", si.ssi_signo);
	return false;
}

static void control_log_to_rte(int level, const char *fmt, va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	rte_log((uint32_t)level + 1, logtype_control, "%s\n", line);
}

/* The ZeroMQ services; the core scheduler needs the stats service too. */
static int open_control(struct vfwd_config *cfg, gid_t gid, struct svc_pin *pins)
{
	const char *ep[SVC_COUNT] = {
		[SVC_CONFIG] = cfg->zmq_config_ep,
		[SVC_PORT] = cfg->zmq_port_control_ep,
		[SVC_STATS] = cfg->zmq_stats_ep,
		[SVC_CORE] = cfg->zmq_core_sched_ep,
	};
	if (ep[SVC_CORE] != NULL && ep[SVC_STATS] == NULL)
		ep[SVC_STATS] = "ipc:///var/run/virtio-forwarder/stats";
	for (unsigned i = 0; i < cfg->n_pins; i++)
		pins[i] = (struct svc_pin){cfg->pins[i].relay_id, cfg->pins[i].vf_to_vm_cpu,
			cfg->pins[i].vm_to_vf_cpu};
	struct svc_config sc = {.dynamic_sockets = cfg->dynamic_sockets, .pins = pins,
		.n_pins = cfg->n_pins};
	svc_init(&sc);
	ctl_log_set(control_log_to_rte);
	return control_open(ep, gid);
}

int main(int argc, char **argv)
{
	struct vfwd_config cfg;
	sigset_t sigs;
	uid_t uid;
	gid_t gid;

	/* blocked before any thread exists, so only the signalfd sees them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	switch (options_parse(&cfg, argc, argv, stdout, stderr)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_EXIT_ERR:
		return 1;
	case OPTIONS_RUN:
		break;
	}
	if (resolve_owner(&cfg, &uid, &gid) < 0)
		return 1;
	struct stat st;
	if (stat(cfg.pid_path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "virtio-forwarder: --pid-path %s is not a directory\n", cfg.pid_path);
		return 1;
	}
	if (!cfg.dynamic_sockets && stat(cfg.vhost_path, &st) < 0) {
		if (mkdir(cfg.vhost_path, 0755) < 0 ||
			(chown(cfg.vhost_path, uid, gid) < 0 && errno != EPERM)) {
			fprintf(stderr, "virtio-forwarder: --vhost-path %s: %s\n", cfg.vhost_path,
				strerror(errno));
			return 1;
		}
	}
	if (cfg.daemonize && daemon(0, 0) < 0) {
		perror("virtio-forwarder: daemon");
		return 1;
	}
	int ret = daemon_pidfile_lock(cfg.pid_path);
	if (ret < 0) {
		fprintf(stderr, "virtio-forwarder: %s/virtio-forwarder.pid: %s\n", cfg.pid_path,
			ret == -EBUSY ? "another instance is running" : strerror(-ret));
		return 1;
	}
	prctl(PR_SET_NAME, "virtio-forwarder");
	if (setpriority(PRIO_PROCESS, 0, -20) < 0)
		fprintf(stderr, "virtio-forwarder: warning: nice -20: %s\n", strerror(errno));
	log_open(cfg.log_syslog);

	struct eal_args ea;
	if (eal_args_build(&cfg, &ea) < 0) {
		daemon_pidfile_remove();
		return 1;
	}
	for (int i = 0; i < ea.argc; i++)
		LOG(INFO, "eal arg %d: %s", i, ea.argv[i]);
	/* rte_eal_init permutes argv: give it a copy of the pointers */
	char **eal_argv = calloc(ea.argc + 1, sizeof(char *));
	memcpy(eal_argv, ea.argv, sizeof(char *) * ea.argc);
	if (rte_eal_init(ea.argc, eal_argv) < 0) {
		LOG(ERR, "rte_eal_init: %s", rte_strerror(rte_errno));
		daemon_pidfile_remove();
		return 1;
	}
	/* dpdk-dumpcap (a secondary process) asks us to mirror a port's
	 * packets into its ring */
	if (rte_pdump_init() < 0)
		LOG(WARNING, "rte_pdump_init: %s: dpdk-dumpcap cannot attach", rte_strerror(rte_errno));
	int status = 0;
	struct svc_pin pins[VFWD_MAX_RELAYS];
	int sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sig_fd < 0 || start_relays(&cfg, uid, gid) < 0 || open_control(&cfg, gid, pins) < 0) {
		status = 1;
	} else {
		struct control_fd fds[] = {
			{.fd = sig_fd, .ready = on_signal, .arg = &sig_fd},
			{.fd = relay_event_fd(), .ready = on_relay_event},
		};
		/* dynamic ports of the last run, after static config (which wins)
		 * and before READY=1: an orchestrator that waits for readiness
		 * finds its ports there */
		if (!cfg.no_persist && persist_open(cfg.state_dir) == 0) {
			control_lock();
			unsigned n = persist_replay();
			control_unlock();
			LOG(NOTICE, "persist: %u recorded ports and pins restored from %s", n,
				cfg.state_dir);
		} else if (cfg.no_persist) {
			LOG(INFO, "persist: off (--no-persist): dynamic ports last until exit");
		}
		if (telemetry_start() < 0)
			LOG(WARNING, "telemetry: cannot register the /virtio_forwarder commands");
		LOG(NOTICE, "ready: %u relays, %u workers", relay_max(), cfg.n_worker_cpus);
		daemon_notify("READY=1\nSTATUS=forwarding");
		control_run(fds, 2);
		daemon_notify("STOPPING=1");
	}
	telemetry_stop(); /* before anything tears relays down */
	control_close();
	persist_close();
	rte_pdump_uninit();
	relay_fini();
	rte_eal_cleanup();
	daemon_pidfile_remove();
	eal_args_free(&ea);
	free(eal_argv);
	options_free(&cfg);
	if (sig_fd >= 0)
		close(sig_fd);
	log_close();
	return status;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

const char *options_dpdk_version(void)
{
	return "DPDK 22.11.0";
}

/* parse a NULL-terminated word list; out/err go to memory */
static enum options_result parse(struct vfwd_config *cfg, char **out, char **err, ...)
{
	char *argv[64] = {"virtio-forwarder"};
	int argc = 1;
	va_list ap;
	va_start(ap, err);
	for (char *a; (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	size_t ol, el;
	FILE *o = open_memstream(out, &ol), *e = open_memstream(err, &el);
	enum options_result r = options_parse(cfg, argc, argv, o, e);
	fclose(o);
	fclose(e);
	return r;
}

static void test_defaults(void **state)
{
	(void)state;
	struct vfwd_config c;
	char *o, *e;
	assert_int_equal(parse(&c, &o, &e, "-C", "1,2", NULL), OPTIONS_RUN);
	assert_int_equal(c.n_worker_cpus, 2);
	assert_true(c.worker_cpus[1] && c.worker_cpus[2] && !c.worker_cpus[0]);
	assert_int_equal(c.main_lcore, 0);
	assert_true(c.daemonize && c.log_syslog);
	assert_int_equal(c.loglevel, 6);
	assert_string_equal(c.pid_path, "/var/run");
	assert_string_equal(c.huge_dir, "/mnt/huge");
	assert_string_equal(c.vhost_path, "/tmp");
	assert_string_equal(c.vhost_socket, "virtio-forwarder%u.sock");
	assert_string_equal(c.vhost_user, "libvirt-qemu");
	assert_string_equal(c.vhost_group, "kvm");
	assert_null(c.zmq_stats_ep);
	assert_null(c.vfio_vf_token);
	assert_false(c.vhost_client || c.dynamic_sockets || c.enable_jumbo || c.enable_tso);
	/* idle workers spin, as the original's; sleeping is opt-in */
	assert_false(c.idle_interrupts);
	assert_false(c.vhost_iommu);
	assert_int_equal(c.idle_sleep_max_us, 0);
	/* dynamic ports are kept across restarts by default */
	assert_string_equal(c.state_dir, "/var/lib/virtio-forwarder");
	assert_false(c.no_persist);
	char *p = options_socket_path(&c, 7);
	assert_string_equal(p, "/tmp/virtio-forwarder7.sock");
	free(p);
	options_free(&c);
	free(o);
	free(e);
}

static void test_all_long_options(void **state)
{
	(void)state;
	struct vfwd_config c;
	char *o, *e;
	assert_int_equal(parse(&c, &o, &e, "--cpus=0x6", "--master-lcore=3", "--nodaemon",
				 "--loglevel=7", "--pid-path=/run", "--huge-dir=/dev/hugepages",
				 "--zmq-config-ep", "--zmq-port-control-ep=tcp://127.0.0.1:5555",
				 "--zmq-stats-ep", "--zmq-core-sched-ep", "--vhost-username",
				 "--vhost-groupname=qemu", "--vhost-path=/var/run/vf",
				 "--vhost-socket=vio%u", "--virtio-cpu=1:1,2;2:2", "--virtio-cpu=5:1",
				 "--enable-jumbo", "--enable-mrgbuf", "--enable-tso",
				 "--add-pci-vf=0000:05:08.1=4", "--add-pci-vf=net_tap0,iface=x=6",
				 "--vfio-vf-token=0", "--vhostuser-client", "--dynamic-sockets",
				 "--same-numa", "--idle-interrupts", "--idle-sleep-max-us=250",
				 "--state-dir=/srv/vfwd", "--no-persist", "--vhost-iommu", NULL),
		OPTIONS_RUN);
	assert_string_equal(c.state_dir, "/srv/vfwd");
	assert_true(c.no_persist);
	assert_true(c.idle_interrupts);
	assert_true(c.vhost_iommu);
	assert_int_equal(c.idle_sleep_max_us, 250);
	assert_true(c.worker_cpus[1] && c.worker_cpus[2] && c.n_worker_cpus == 2);
	assert_int_equal(c.main_lcore, 3);
	assert_false(c.daemonize);
	assert_false(c.log_syslog);
	assert_int_equal(c.loglevel, 7);
	assert_string_equal(c.zmq_config_ep, "ipc:///var/run/virtio-forwarder/config");
	assert_string_equal(c.zmq_port_control_ep, "tcp://127.0.0.1:5555");
	assert_string_equal(c.zmq_stats_ep, "ipc:///var/run/virtio-forwarder/stats");
	assert_string_equal(c.zmq_core_sched_ep, "ipc:///var/run/virtio-forwarder/core_sched");
	assert_null(c.vhost_user); /* given without value: keep the process user */
	assert_string_equal(c.vhost_group, "qemu");
	assert_int_equal(c.n_pins, 3);
	assert_int_equal(c.pins[0].relay_id, 1);
	assert_int_equal(c.pins[0].vf_to_vm_cpu, 1);
	assert_int_equal(c.pins[0].vm_to_vf_cpu, 2);
	assert_int_equal(c.pins[1].vf_to_vm_cpu, 2);
	assert_int_equal(c.pins[1].vm_to_vf_cpu, 2); /* one CPU serves both */
	assert_int_equal(c.n_static_vfs, 2);
	assert_string_equal(c.static_vfs[0].devargs, "0000:05:08.1");
	assert_int_equal(c.static_vfs[0].relay_id, 4);
	assert_string_equal(c.static_vfs[1].devargs, "net_tap0,iface=x");
	assert_int_equal(c.static_vfs[1].relay_id, 6);
	assert_string_equal(c.vfio_vf_token, "14d63f20-8445-11ea-8900-1f9ce7d5650d");
	assert_true(c.vhost_client && c.dynamic_sockets && c.same_numa);
	assert_true(c.enable_jumbo && c.enable_mrgbuf && c.enable_tso);
	char *p = options_socket_path(&c, 12);
	assert_string_equal(p, "/var/run/vf/vio12");
	free(p);
	options_free(&c);
	free(o);
	free(e);
}

static void test_short_options_and_extra_eal(void **state)
{
	(void)state;
	struct vfwd_config c;
	char *o, *e;
	assert_int_equal(parse(&c, &o, &e, "-C", "1", "-nlog_syslog", "-l", "3", "-ufoo", "-i",
				 "-d", "-J", "-P", "01:00.0=2", "--", "--no-huge", "-m", "64", NULL),
		OPTIONS_RUN);
	assert_false(c.daemonize);
	assert_true(c.log_syslog);
	assert_int_equal(c.loglevel, 3);
	assert_string_equal(c.vhost_user, "foo");
	assert_int_equal(c.n_extra_eal_args, 3);
	assert_string_equal(c.extra_eal_args[0], "--no-huge");
	options_free(&c);
	free(o);
	free(e);
}

static void test_legacy_ignored(void **state)
{
	(void)state;
	struct vfwd_config c;
	char *o, *e;
	assert_int_equal(parse(&c, &o, &e, "-C", "1", "--ipc", "-O", "/x", "--zero-copy", NULL),
		OPTIONS_RUN);
	assert_non_null(strstr(e, "ignored"));
	options_free(&c);
	free(o);
	free(e);
}

static void test_version(void **state)
{
	(void)state;
	struct vfwd_config c;
	char *o, *e;
	assert_int_equal(parse(&c, &o, &e, "--version", NULL), OPTIONS_EXIT_OK);
	assert_true(strncmp(o, "Virtio-forwarder version ", 25) == 0);
	assert_non_null(strstr(o, "(DPDK 22.11.0)\n"));
	options_free(&c);
	free(o);
	free(e);
}

static void expect_error(const char *what, ...)
{
	char *argv[32] = {"virtio-forwarder"};
	int argc = 1;
	va_list ap;
	va_start(ap, what);
	for (char *a; (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	char *o, *e;
	size_t ol, el;
	FILE *of = open_memstream(&o, &ol), *ef = open_memstream(&e, &el);
	struct vfwd_config c;
	enum options_result r = options_parse(&c, argc, argv, of, ef);
	fclose(of);
	fclose(ef);
	if (r != OPTIONS_EXIT_ERR || strstr(e, "Usage:") == NULL)
		fail_msg("%s: accepted or no usage text (stderr: %s)", what, e);
	options_free(&c);
	free(o);
	free(e);
}

static void test_bad_input(void **state)
{
	(void)state;
	expect_error("no --cpus", "-n", NULL);
	expect_error("bad cpu list", "-C", "1,x", NULL);
	expect_error("empty item", "-C", "1,,2", NULL);
	expect_error("cpu out of range", "-C", "1,4096", NULL);
	expect_error("bad mask", "-C", "0xzz", NULL);
	expect_error("master among workers", "-C", "0,1", NULL);
	expect_error("loglevel", "-C", "1", "-l", "8", NULL);
	expect_error("nodaemon value", "-C", "1", "--nodaemon=file", NULL);
	expect_error("pattern without %u", "-C", "1", "-S", "vio.sock", NULL);
	expect_error("pattern with /", "-C", "1", "-S", "a/%u", NULL);
	expect_error("digit after %u", "-C", "1", "-S", "x%u1", NULL);
	expect_error("two %", "-C", "1", "-S", "%s%u", NULL);
	expect_error("pin outside workers", "-C", "1", "-c", "1:2", NULL);
	expect_error("pin relay id", "-C", "1", "-c", "32:1", NULL);
	expect_error("pin syntax", "-C", "1", "-c", "1-1", NULL);
	expect_error("static vf without id", "-C", "1", "-P", "0000:01:00.0", NULL);
	expect_error("static vf id", "-C", "1", "-P", "0000:01:00.0=32", NULL);
	expect_error("static vf twice", "-C", "1", "-P", "a=1", "-P", "b=1", NULL);
	expect_error("unknown option", "-C", "1", "--frobnicate", NULL);
	expect_error("missing value", "-C", NULL);
	expect_error("stray word", "-C", "1", "extra", NULL);
	expect_error("idle sleep", "-C", "1", "--idle-sleep-max-us=-1", NULL);
	expect_error("relative state dir", "-C", "1", "--state-dir=state", NULL);
	expect_error("state dir without value", "-C", "1", "--state-dir", NULL);
}

static void test_cpu_list(void **state)
{
	(void)state;
	bool cpus[VFWD_MAX_CPUS];
	unsigned n;
	assert_int_equal(options_parse_cpu_list("0x80000000000000000000000000000001", cpus, &n), 0);
	assert_true(cpus[0] && cpus[127] && n == 2);
	assert_int_equal(options_parse_cpu_list("0x0", cpus, &n), -EINVAL);
	assert_int_equal(options_parse_cpu_list("100,3", cpus, &n), 0);
	assert_true(cpus[100] && cpus[3] && n == 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_long_options),
		cmocka_unit_test(test_short_options_and_extra_eal),
		cmocka_unit_test(test_legacy_ignored),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_cpu_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

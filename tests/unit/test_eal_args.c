/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eal_args.h"

const char *options_dpdk_version(void)
{
	return "DPDK 22.11.0";
}

static char *join(const struct eal_args *a)
{
	static char buf[2048];
	buf[0] = '\0';
	for (int i = 0; i < a->argc; i++) {
		strcat(buf, a->argv[i]);
		if (i + 1 < a->argc)
			strcat(buf, " ");
	}
	assert_null(a->argv[a->argc]);
	return buf;
}

static void build(char **argv, int argc, struct eal_args *a)
{
	struct vfwd_config c;
	assert_int_equal(options_parse(&c, argc, argv, stdout, stderr), OPTIONS_RUN);
	assert_int_equal(eal_args_build(&c, a), 0);
	options_free(&c);
}

static void test_default_argv(void **state)
{
	(void)state;
	char *argv[] = {"vf", "-C", "1,2", "-H", "/dev/hugepages"};
	struct eal_args a;
	build(argv, 5, &a);
	assert_string_equal(join(&a),
		"virtio-forwarder --main-lcore 0 -c 0x7 --log-level 7 --huge-dir /dev/hugepages "
		"--file-prefix virtio-forwarder_ -a ffff:ff:ff.f -n 4 --syslog local0");
	eal_args_free(&a);
}

static void test_token_mask_and_extra(void **state)
{
	(void)state;
	char *argv[] = {"vf", "-C", "0x30", "-M", "1", "-n", "-l", "3", "-t", "abc", "--",
		"--no-huge", "-m", "128", "--file-prefix=t1"};
	struct eal_args a;
	build(argv, 15, &a);
	assert_string_equal(join(&a),
		"virtio-forwarder --main-lcore 1 -c 0x32 --log-level 4 --vfio-vf-token abc "
		"-a ffff:ff:ff.f -n 4 --no-huge -m 128 --file-prefix=t1");
	eal_args_free(&a);
}

static void test_high_cpu_mask(void **state)
{
	(void)state;
	char *argv[] = {"vf", "-C", "127", "-n"};
	struct eal_args a;
	build(argv, 4, &a);
	assert_non_null(strstr(join(&a), "-c 0x80000000000000000000000000000001 "));
	eal_args_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_argv),
		cmocka_unit_test(test_token_mask_and_extra),
		cmocka_unit_test(test_high_cpu_mask),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* The balancing rule of the core scheduler on synthetic loads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sched.h"

static void test_load_model(void **state)
{
	(void)state;
	/* the original's coefficients: 1 Mpps of 64 B both ends */
	assert_true(fabs(sched_load_vm_to_vf(1e6, 1e6, 64e6, 64e6) - (0.082 + 9.3e-5 * 64)) < 1e-9);
	assert_true(fabs(sched_load_vf_to_vm(1e6, 1e6, 64e6, 64e6) - (0.0795 + 8.2e-5 * 64)) < 1e-9);
	double even[] = {1, 1, 1}, skew[] = {2, 0};
	assert_true(sched_cv(even, 3) == 0);
	assert_true(fabs(sched_cv(skew, 2) - 1.0) < 1e-9);
	assert_true(sched_cv(skew, 0) == 0);
}

static void test_spreads_skewed_load(void **state)
{
	(void)state;
	/* two busy relays, both directions on worker 1, worker 2 idle */
	struct sched_relay r[] = {
		{.id = 0, .node = 0, .cpu = {1, 1}, .load = {0.5, 0.0}},
		{.id = 1, .node = 0, .cpu = {1, 1}, .load = {0.4, 0.1}},
	};
	int cpus[] = {1, 2}, next[2][2];
	double now, new;
	assert_true(sched_balance(r, 2, 0, cpus, 2, 0.25, next, &now, &new));
	assert_true(now > new + 0.25);
	/* LPT: 0.5 -> w1, 0.4 -> w2, 0.1 -> w2, 0.0 -> w1 */
	assert_int_equal(next[0][0], 1);
	assert_int_equal(next[1][0], 2);
	assert_int_equal(next[1][1], 2);
	assert_int_equal(next[0][1], 1);
}

static void test_leaves_balanced_and_idle_alone(void **state)
{
	(void)state;
	struct sched_relay r[] = {
		{.id = 0, .node = 0, .cpu = {1, 1}, .load = {0.5, 0.1}},
		{.id = 1, .node = 0, .cpu = {2, 2}, .load = {0.4, 0.1}},
	};
	int cpus[] = {1, 2}, next[2][2];
	double now, new;
	assert_false(sched_balance(r, 2, 0, cpus, 2, 0.25, next, &now, &new));
	r[0].load[0] = r[0].load[1] = r[1].load[0] = r[1].load[1] = 0;
	assert_false(sched_balance(r, 2, 0, cpus, 2, 0.0, next, &now, &new)); /* no load */
}

static void test_groups_by_node(void **state)
{
	(void)state;
	/* relay 1 lives on node 1: not part of node 0's plan */
	struct sched_relay r[] = {
		{.id = 0, .node = 0, .cpu = {1, 1}, .load = {0.5, 0.5}},
		{.id = 1, .node = 1, .cpu = {9, 9}, .load = {0.9, 0.9}},
	};
	int cpus[] = {1, 2}, next[2][2];
	double now, new;
	assert_true(sched_balance(r, 2, 0, cpus, 2, 0.25, next, &now, &new));
	assert_int_equal(next[1][0], -1);
	assert_int_equal(next[1][1], -1);
	assert_true(next[0][0] != next[0][1]);
	/* a relay on a CPU outside the group is always re-placed */
	r[0].cpu[0] = 7;
	r[0].load[1] = 0;
	assert_true(sched_balance(r, 2, 0, cpus, 2, 10.0, next, &now, &new));
	assert_true(isinf(now));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_model),
		cmocka_unit_test(test_spreads_skewed_load),
		cmocka_unit_test(test_leaves_balanced_and_idle_alone),
		cmocka_unit_test(test_groups_by_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

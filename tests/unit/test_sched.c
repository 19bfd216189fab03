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
	int cpus[] = {1, 2};
	struct sched_plan next[2];
	double now, new;
	assert_true(sched_balance(r, 2, 0, cpus, 2, 0.25, next, &now, &new));
	assert_true(now > new + 0.25);
	/* LPT: 0.5 -> w1, 0.4 -> w2, 0.1 -> w2, 0.0 -> w1 */
	assert_int_equal(next[0].cpu[0], 1);
	assert_int_equal(next[1].cpu[0], 2);
	assert_int_equal(next[1].cpu[1], 2);
	assert_int_equal(next[0].cpu[1], 1);
}

static void test_leaves_balanced_and_idle_alone(void **state)
{
	(void)state;
	struct sched_relay r[] = {
		{.id = 0, .node = 0, .cpu = {1, 1}, .load = {0.5, 0.1}},
		{.id = 1, .node = 0, .cpu = {2, 2}, .load = {0.4, 0.1}},
	};
	int cpus[] = {1, 2};
	struct sched_plan next[2];
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
	int cpus[] = {1, 2};
	struct sched_plan next[2];
	double now, new;
	assert_true(sched_balance(r, 2, 0, cpus, 2, 0.25, next, &now, &new));
	assert_int_equal(next[1].cpu[0], -1);
	assert_int_equal(next[1].cpu[1], -1);
	assert_true(next[0].cpu[0] != next[0].cpu[1]);
	/* a relay on a CPU outside the group is always re-placed */
	r[0].cpu[0] = 7;
	r[0].load[1] = 0;
	assert_true(sched_balance(r, 2, 0, cpus, 2, 10.0, next, &now, &new));
	assert_true(isinf(now));
}

/* a direction whose units all sit on one worker */
static void units_on(struct sched_relay *r, int d, unsigned n, int cpu, const double *pps)
{
	r->n_units[d] = n;
	for (unsigned q = 0; q < n; q++) {
		r->unit_cpu[d][q] = cpu;
		r->unit_pps[d][q] = pps[q];
	}
}

static unsigned units_placed_on(const struct sched_plan *p, int d, unsigned n, int cpu)
{
	unsigned k = 0;
	for (unsigned q = 0; q < n; q++)
		k += p->unit_cpu[d][q] == cpu;
	return k;
}

static void test_unit_load_shares(void **state)
{
	(void)state;
	struct sched_relay r = {.load = {1.0, 0.5}, .cpu = {1, 1}};
	double pps[] = {300, 100, 0, 0};
	units_on(&r, 0, 4, 1, pps);
	assert_true(fabs(sched_unit_load(&r, 0, 0) - 0.75) < 1e-9);
	assert_true(fabs(sched_unit_load(&r, 0, 1) - 0.25) < 1e-9);
	assert_true(sched_unit_load(&r, 0, 2) == 0);
	/* nothing moved on any unit: an even split */
	double none[] = {0, 0};
	units_on(&r, 0, 2, 1, none);
	assert_true(fabs(sched_unit_load(&r, 0, 1) - 0.5) < 1e-9);
	/* a direction of one unit is one item with the whole load */
	assert_true(sched_unit_load(&r, 1, 0) == 0.5);
}

static void test_spreads_units_of_one_direction(void **state)
{
	(void)state;
	/* one relay, 4 equally busy VF->VM units on worker 1 of two, its
	 * VM->VF idle: 2 units on each worker */
	struct sched_relay r = {.id = 3, .node = 0, .cpu = {1, 1}, .load = {0.8, 0.0}};
	double pps[] = {1e5, 1e5, 1e5, 1e5}, idle[] = {0, 0, 0, 0};
	units_on(&r, 0, 4, 1, pps);
	units_on(&r, 1, 4, 1, idle);
	int cpus[] = {1, 2};
	struct sched_plan next;
	double now, new;
	assert_true(sched_balance(&r, 1, 0, cpus, 2, 0.25, &next, &now, &new));
	assert_true(fabs(now - 1.0) < 1e-9);
	assert_true(new < 1e-9);
	assert_int_equal(units_placed_on(&next, 0, 4, 1), 2);
	assert_int_equal(units_placed_on(&next, 0, 4, 2), 2);
	assert_int_equal(next.cpu[0], next.unit_cpu[0][0]); /* the direction's CPU: unit 0's */
	assert_int_equal(next.cpu[1], next.unit_cpu[1][0]);
	assert_int_equal(next.unit_cpu[0][4], -1); /* no such unit */
	/* once spread, it stays */
	for (unsigned q = 0; q < 4; q++)
		r.unit_cpu[0][q] = next.unit_cpu[0][q];
	r.cpu[0] = r.unit_cpu[0][0];
	assert_false(sched_balance(&r, 1, 0, cpus, 2, 0.25, &next, &now, &new));
	assert_true(now < 1e-9);
}

static void test_uneven_units(void **state)
{
	(void)state;
	/* LPT over 400, 300, 200, 100: 400 + 100 and 300 + 200 */
	struct sched_relay r = {.id = 0, .node = 0, .cpu = {1, 1}, .load = {1.0, 0.0}};
	double pps[] = {400, 300, 200, 100};
	units_on(&r, 0, 4, 1, pps);
	int cpus[] = {1, 2};
	struct sched_plan next;
	double now, new;
	assert_true(sched_balance(&r, 1, 0, cpus, 2, 0.25, &next, &now, &new));
	assert_int_equal(next.unit_cpu[0][0], 1);
	assert_int_equal(next.unit_cpu[0][1], 2);
	assert_int_equal(next.unit_cpu[0][2], 2);
	assert_int_equal(next.unit_cpu[0][3], 1);
	assert_true(new < 1e-9);
}

static void test_single_queue_relays_unchanged(void **state)
{
	(void)state;
	/* n_units 1 (a daemon's one RelayQueue entry) or 0 (a daemon without
	 * the extension): the same plan, with no per-unit CPUs */
	struct sched_relay a[] = {
		{.id = 0, .node = 0, .cpu = {1, 1}, .load = {0.5, 0.0}},
		{.id = 1, .node = 0, .cpu = {1, 1}, .load = {0.4, 0.1}},
	};
	struct sched_relay b[2];
	b[0] = a[0];
	b[1] = a[1];
	double pps[] = {5};
	for (unsigned i = 0; i < 2; i++)
		for (int d = 0; d < 2; d++)
			units_on(&b[i], d, 1, 1, pps);
	int cpus[] = {1, 2};
	struct sched_plan pa[2], pb[2];
	double now_a, new_a, now_b, new_b;
	assert_true(sched_balance(a, 2, 0, cpus, 2, 0.25, pa, &now_a, &new_a));
	assert_true(sched_balance(b, 2, 0, cpus, 2, 0.25, pb, &now_b, &new_b));
	assert_true(now_a == now_b && new_a == new_b);
	for (unsigned i = 0; i < 2; i++)
		for (int d = 0; d < 2; d++) {
			assert_int_equal(pa[i].cpu[d], pb[i].cpu[d]);
			assert_int_equal(pa[i].unit_cpu[d][0], -1);
			assert_int_equal(pb[i].unit_cpu[d][0], -1);
		}
}

static void test_units_and_whole_directions_together(void **state)
{
	(void)state;
	/* a single-queue relay busy on worker 2, a 2-unit relay on worker 1:
	 * LPT 0.6 (whole) -> w1, 0.3 -> w2, 0.3 -> w2 */
	struct sched_relay r[] = {
		{.id = 0, .node = 0, .cpu = {2, 2}, .load = {0.6, 0.0}},
		{.id = 1, .node = 0, .cpu = {1, 1}, .load = {0.6, 0.0}},
	};
	double pps[] = {10, 10}, idle[] = {0, 0};
	units_on(&r[1], 0, 2, 1, pps);
	units_on(&r[1], 1, 2, 1, idle);
	int cpus[] = {1, 2};
	struct sched_plan next[2];
	double now, new;
	/* balanced already (0.6 each): nothing to do */
	assert_false(sched_balance(r, 2, 0, cpus, 2, 0.25, next, &now, &new));
	/* both on worker 1: the whole direction stays whole, the units split */
	r[0].cpu[0] = r[0].cpu[1] = 1;
	assert_true(sched_balance(r, 2, 0, cpus, 2, 0.25, next, &now, &new));
	assert_int_equal(next[0].unit_cpu[0][0], -1);
	assert_int_equal(next[1].unit_cpu[0][0], next[1].unit_cpu[0][1]);
	assert_true(next[0].cpu[0] != next[1].unit_cpu[0][0]);
	assert_true(new < 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_model),
		cmocka_unit_test(test_spreads_skewed_load),
		cmocka_unit_test(test_leaves_balanced_and_idle_alone),
		cmocka_unit_test(test_groups_by_node),
		cmocka_unit_test(test_unit_load_shares),
		cmocka_unit_test(test_spreads_units_of_one_direction),
		cmocka_unit_test(test_uneven_units),
		cmocka_unit_test(test_single_queue_relays_unchanged),
		cmocka_unit_test(test_units_and_whole_directions_together),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "place.h"
#include "relay.h"

static void test_idlest_lowest_cpu(void **state)
{
	(void)state;
	struct place_worker w[] = {{.cpu = 3, .numa = 0}, {.cpu = 1, .numa = 0},
		{.cpu = 2, .numa = 0}};
	assert_int_equal(place_pick(w, 3, -1), 1); /* all zero: lowest cpu */
	w[1].score = PLACE_WEIGHT_VF_TO_VM;
	assert_int_equal(place_pick(w, 3, -1), 2);
	w[2].score = PLACE_WEIGHT_VM_TO_VF;
	assert_int_equal(place_pick(w, 3, 0), 0);
	w[0].score = PLACE_WEIGHT_VF_TO_VM + PLACE_WEIGHT_VM_TO_VF;
	assert_int_equal(place_pick(w, 3, 0), 2); /* 10 < 12 < 22 */
	assert_int_equal(place_pick(w, 0, 0), -1);
}

static void test_numa_preference(void **state)
{
	(void)state;
	struct place_worker w[] = {{.cpu = 1, .numa = 0, .score = 100},
		{.cpu = 9, .numa = 1, .score = 0}, {.cpu = 8, .numa = 1, .score = 50}};
	assert_int_equal(place_pick(w, 3, 0), 0);  /* busy, but on the right node */
	assert_int_equal(place_pick(w, 3, 1), 1);
	assert_int_equal(place_pick(w, 3, 7), 1);  /* no worker there: any node */
	assert_int_equal(place_pick(w, 3, -1), 1);
}

static void test_state_strings(void **state)
{
	(void)state;
	assert_string_equal(relay_dpdk_state_str(DPDK_UNINIT), "DPDK_UNINIT");
	assert_string_equal(relay_dpdk_state_str(DPDK_ADDED), "DPDK_ADDED");
	assert_string_equal(relay_dpdk_state_str(DPDK_READY), "DPDK_READY");
	assert_string_equal(relay_dpdk_state_str(DPDK_REMOVING1), "DPDK_REMOVING1");
	assert_string_equal(relay_dpdk_state_str(DPDK_REMOVING2), "DPDK_REMOVING2");
	assert_string_equal(relay_dpdk_state_str((enum relay_dpdk_state)9), "0x9");
	assert_string_equal(relay_virtio_state_str(VIRTIO_UNINIT), "VIRTIO_UNINIT");
	assert_string_equal(relay_virtio_state_str(VIRTIO_READY), "VIRTIO_READY");
	assert_string_equal(relay_virtio_state_str(VIRTIO_REMOVING1), "VIRTIO_REMOVING1");
	assert_string_equal(relay_virtio_state_str(VIRTIO_REMOVING2), "VIRTIO_REMOVING2");
	assert_string_equal(relay_virtio_state_str((enum relay_virtio_state)0x1f), "0x1f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idlest_lowest_cpu),
		cmocka_unit_test(test_numa_preference),
		cmocka_unit_test(test_state_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

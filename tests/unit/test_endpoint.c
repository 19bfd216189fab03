/* SPDX-License-Identifier: BSD-3-Clause */
/* endpoint_bind: ipc files end up 0660 and the process-wide umask is never
 * touched (EAL threads create files meanwhile). umask is wrapped at link
 * time (-Wl,--wrap=umask) to count every call endpoint.c makes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "control.h"

static unsigned umask_calls;
mode_t __real_umask(mode_t mask);
mode_t __wrap_umask(mode_t mask);
mode_t __wrap_umask(mode_t mask)
{
	umask_calls++;
	return __real_umask(mask);
}

struct fixture {
	void *ctx, *sock;
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vfwd-ep-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->ctx = zmq_ctx_new();
	f->sock = zmq_socket(f->ctx, ZMQ_ROUTER);
	__real_umask(022);
	umask_calls = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int linger = 0;
	zmq_setsockopt(f->sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(f->sock);
	zmq_ctx_term(f->ctx);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void ipc_file_is_0660_and_umask_untouched(void **state)
{
	struct fixture *f = *state;
	char ep[128];
	snprintf(ep, sizeof(ep), "ipc://%s/sub/stats", f->dir);
	assert_int_equal(endpoint_bind(f->sock, ep, (gid_t)-1), 0);
	struct stat st;
	assert_int_equal(stat(ep + 6, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(umask_calls, 0);
	assert_int_equal(__real_umask(022), 022); /* still the process's own */
}

static void group_is_set(void **state)
{
	struct fixture *f = *state;
	char ep[128];
	snprintf(ep, sizeof(ep), "ipc://%s/port_control", f->dir);
	gid_t gid = getgid() == 0 ? 1 : getgid(); /* root may give any group */
	assert_int_equal(endpoint_bind(f->sock, ep, gid), 0);
	struct stat st;
	assert_int_equal(stat(ep + 6, &st), 0);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(st.st_mode & 07777, 0660);
}

static void tcp_endpoint_binds(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(endpoint_bind(f->sock, "tcp://127.0.0.1:*", (gid_t)-1), 0);
	assert_int_equal(umask_calls, 0);
}

static void bad_endpoint_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	assert_true(endpoint_bind(f->sock, "nonsense://x", (gid_t)-1) < 0);
	char ep[128];
	snprintf(ep, sizeof(ep), "ipc://%s/missing/dir/deeper/ep", f->dir);
	assert_true(endpoint_bind(f->sock, ep, (gid_t)-1) < 0);
	assert_int_equal(umask_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ipc_file_is_0660_and_umask_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(group_is_set, setup, teardown),
		cmocka_unit_test_setup_teardown(tcp_endpoint_binds, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_endpoint_fails_cleanly, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

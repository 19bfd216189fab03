/* SPDX-License-Identifier: BSD-3-Clause */
/* An in-memory data plane behind relay.h (fake_relay.c), for the services'
 * unit tests and fuzzers. */
#ifndef VFWD_FAKE_RELAY_H
#define VFWD_FAKE_RELAY_H

#include <stdbool.h>

/* every relay empty: no VF, no socket, no VM */
void fake_relay_reset(void);
/* the VM of relay id connects (up) or goes; its counters move a little */
void fake_relay_connect_vm(unsigned id, bool up);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* Dynamic ports that survive a restart: accepted port_control and
 * core_sched requests are recorded in <state dir>/state.json, and replayed
 * through the same service handlers at the next start. Control thread only. */
#ifndef VFWD_PERSIST_H
#define VFWD_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "svc.h"

/* Load dir/state.json (dir created if missing). A file that does not parse
 * is logged, renamed state.json.corrupt-<unix time> and treated as empty.
 * 0, or -errno when the directory cannot be used (persistence is then off). */
int persist_open(const char *dir);
/* Re-issue the recorded requests (ADD/ADD_SOCK in the order they were
 * accepted, each on its recorded relay, then add_socks without one on the
 * lowest free relays, then pins) through svc_port_handle / svc_core_handle;
 * each failure is logged and the rest carry on. Returns how many succeeded. */
unsigned persist_replay(void);
/* After a service answered req with reply: record it if it was an accepted
 * change (no-op when persistence is off). */
void persist_note(enum svc_kind kind, const uint8_t *req, size_t len, const struct buf *reply);
void persist_close(void);

#endif

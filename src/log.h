/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemon's log output: where every rte_log line (DPDK's, relay/'s,
 * the control plane's) goes. Modules register their own log types where
 * they log (relay/relay_log.h); the daemon's own are vfwd.main and
 * vfwd.control (src/main.c). */
#ifndef VFWD_LOG_H
#define VFWD_LOG_H

#include <stdbool.h>

#include <rte_errno.h>
#include <rte_log.h>

/* Route DPDK's and our log lines to stdout (timestamped) or syslog. */
int log_open(bool to_syslog);

#endif

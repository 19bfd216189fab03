/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemon's log output: where every rte_log line (DPDK's, relay/'s,
 * the control plane's) goes. Modules register their own log types where
 * they log (relay/relay_log.h); the daemon's own are vfwd.main and
 * vfwd.control (src/main.c). */
#ifndef VFWD_LOG_H
#define VFWD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_errno.h>
#include <rte_log.h>

/* Route DPDK's and our log lines to stdout (timestamped) or syslog,
 * written by a thread of their own (a worker never waits on them), DPDK's
 * rate-limited (log_limit.c). */
int log_open(bool to_syslog);
/* Write what is queued and end the writer thread (at exit). */
void log_close(void);

/* log_limit.c: DPDK's lines (not the daemon's own types) pass a token
 * bucket per (log type, "(tag)" in the line: librte_vhost's socket path):
 * LOG_LIMIT_BURST lines at once (a guest connecting makes ~60 of
 * librte_vhost's), LOG_LIMIT_PER_SEC a second after that. */
#define LOG_LIMIT_BURST 200
#define LOG_LIMIT_PER_SEC 5
/* Under the log stream's lock: true if the line may be written; then
 * summary holds a line to write first ("N lines suppressed") or "". */
bool log_limit_admit(int type, const char *line, size_t len, char *summary, size_t cap);
/* Any thread: lines suppressed so far for a tag (a relay's socket path),
 * and in all. */
uint64_t log_suppressed_for(const char *tag);
uint64_t log_suppressed_total(void);

#endif

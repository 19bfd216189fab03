/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging from control/ without DPDK: the daemon routes it to rte_log
 * (logtype vfwd.control); tests and fuzzers get stderr. Levels are
 * syslog's (3 error, 4 warning, 6 info, 7 debug). */
#ifndef VFWD_CLOG_H
#define VFWD_CLOG_H

#include <stdarg.h>

typedef void (*ctl_log_fn)(int level, const char *fmt, va_list ap);
void ctl_log_set(ctl_log_fn fn);
void ctl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CLOG_ERR 3
#define CLOG_WARNING 4
#define CLOG_INFO 6
#define CLOG_DEBUG 7

#endif

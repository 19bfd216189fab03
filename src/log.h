/* SPDX-License-Identifier: BSD-3-Clause */
/* LOG(ERR, "relay %u: ...", id): one logtype per module over rte_log, so
 * EAL's --log-level=vfwd.vm:debug works. A file sets LOG_TYPE first. */
#ifndef VFWD_LOG_H
#define VFWD_LOG_H

#include <stdbool.h>

#include <rte_errno.h>
#include <rte_log.h>

extern int vfwd_logtype_main;
extern int vfwd_logtype_relay;
extern int vfwd_logtype_vf;
extern int vfwd_logtype_vm;
extern int vfwd_logtype_worker;
extern int vfwd_logtype_control;

#define LOG(level, fmt, ...) rte_log(RTE_LOG_##level, LOG_TYPE, fmt "\n", ##__VA_ARGS__)

/* Route DPDK's and our log lines to stdout (timestamped) or syslog. */
int log_open(bool to_syslog);

#endif

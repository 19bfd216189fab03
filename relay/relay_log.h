/* SPDX-License-Identifier: BSD-3-Clause */
/* LOG(ERR, "relay %u: ...", id) over rte_log. Each relay/ file registers
 * the log type it writes under, by its operator-facing name, so EAL's
 * --log-level=vfwd.vm:debug works:
 *     static RTE_LOG_REGISTER(logtype, vfwd.vm, INFO);
 * (files of one module share a name; rte_log gives them one type). */
#ifndef VFWD_RELAY_LOG_H
#define VFWD_RELAY_LOG_H

#include <rte_log.h>

#define LOG(level, fmt, ...) rte_log(RTE_LOG_##level, logtype, fmt "\n", ##__VA_ARGS__)

#endif

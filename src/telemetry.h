/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFWD_TELEMETRY_H
#define VFWD_TELEMETRY_H

/* rte_telemetry commands /virtio_forwarder/relays, /virtio_forwarder/relay,<id>
 * and /virtio_forwarder/workers (dpdk-telemetry.py -f <file prefix>).
 * Control thread: start once the relays are up, stop before they go. */
int telemetry_start(void);
void telemetry_stop(void);

#endif

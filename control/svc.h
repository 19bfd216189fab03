/* SPDX-License-Identifier: BSD-3-Clause */
/* The four services as functions from request bytes to reply bytes, so
 * unit tests and fuzzers call them without sockets. Every request gets
 * exactly one reply, whatever its bytes. */
#ifndef VFWD_SVC_H
#define VFWD_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

struct buf {
	uint8_t *data; /* malloc'ed; NULL with len 0 is a valid empty reply */
	size_t len;
};

/* Largest request any service accepts; larger ones get an error reply. */
#define SVC_MAX_REQUEST 65536

struct svc_pin {
	int relay_id, vf_to_vm_cpu, vm_to_vf_cpu;
};

struct svc_config {
	bool dynamic_sockets;
	const struct svc_pin *pins; /* command-line --virtio-cpu */
	unsigned n_pins;
};

void svc_init(const struct svc_config *c);

void svc_port_handle(const uint8_t *req, size_t len, struct buf *reply);
/* The relay the last svc_port_handle call changed or found as asked (an
 * ADD_SOCK's relay, say); -1: none (an error, nothing to remove). */
int svc_port_last_relay(void);
/* For control/persist.c's replay only: while on, ADD_SOCK takes relay
 * `relay` (error 2 if it is not free; -1: the lowest free) and may name no
 * device, to recreate a socket whose VF a REMOVE took: no wire request
 * makes one, and this keeps that replay under ADD_SOCK's checks. */
void svc_port_replay(bool on, int relay);
void svc_config_handle(const uint8_t *req, size_t len, struct buf *reply);
void svc_core_handle(const uint8_t *req, size_t len, struct buf *reply);

/* Stats: a request with a delay is answered later, from two snapshots. */
struct stats_pending;
/* Returns NULL with reply filled when the answer is immediate; else the
 * pending request and *delay_ms: call svc_stats_finish after that. */
struct stats_pending *svc_stats_start(const uint8_t *req, size_t len, unsigned *delay_ms,
	struct buf *reply);
void svc_stats_finish(struct stats_pending *p, struct buf *reply);
/* The error reply for a request no handler could look at (too big, bad
 * envelope), per service. */
enum svc_kind { SVC_CONFIG, SVC_PORT, SVC_STATS, SVC_CORE, SVC_COUNT };
void svc_error_reply(enum svc_kind kind, struct buf *reply);

/* pack any protobuf-c message into reply */
struct ProtobufCMessage;
void svc_pack(const struct ProtobufCMessage *m, struct buf *reply);

#endif

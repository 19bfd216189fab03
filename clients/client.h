/* SPDX-License-Identifier: BSD-3-Clause */
/* What the C clients share: one request/reply over ZMQ REQ, PCI address
 * parsing, and printing replies as the original Python clients did. */
#ifndef VFWD_CLIENT_H
#define VFWD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#define EP_DIR "ipc:///var/run/virtio-forwarder/"

/* Send req to ep, wait up to timeout_ms for the reply (malloc'ed).
 * 0, or -ETIMEDOUT when nobody answers, or -errno. */
int client_request(const char *ep, const uint8_t *req, size_t len, int timeout_ms,
	uint8_t **reply, size_t *reply_len);

/* "DDDD:BB:SS.F" or "BB:SS.F", hex; -1 if malformed. */
int client_parse_pci(const char *s, uint32_t *dom, uint32_t *bus, uint32_t *slot, uint32_t *fn);

/* Pack m, ask ep, unpack the reply as reply_type (free it with
 * protobuf_c_message_free_unpacked). NULL, with a message on stderr
 * prefixed by prog, when there is no answer or it does not parse. */
void *client_ask(const char *prog, const char *ep, const ProtobufCMessage *m,
	const ProtobufCMessageDescriptor *reply_type, int timeout_ms);

/* Call cb for every present field value of m (each element of a repeated
 * field, k its index), in field-number order. */
typedef void (*client_field_cb)(const ProtobufCFieldDescriptor *f, const void *value, size_t k,
	void *arg);
void client_foreach_field(const ProtobufCMessage *m, client_field_cb cb, void *arg);

/* protobuf text format, as Python's str(message) */
void client_print_text(FILE *out, const ProtobufCMessage *m, int indent);

/* Python's repr() of a double: shortest round-trip digits, "x.0" for
 * integral values. buf needs 32 bytes. */
const char *client_py_float(double v, char *buf);

/* json.c: m as a jansson object (new reference) */
typedef struct json_t json_t;
json_t *client_to_json(const ProtobufCMessage *m);

#endif

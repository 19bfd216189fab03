/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for one control service's request decoder and handler
 * (FUZZ_SVC = SVC_PORT, SVC_STATS, SVC_CONFIG or SVC_CORE), over the fake
 * data plane. Every input must produce exactly one reply that decodes as
 * the service's response type with every required field, and leak nothing. */
#include <assert.h>
#include <stdlib.h>

#include "svc.h"
#include "virtioforwarder.pb-c.h"

#include "fake_relay.h"

static const ProtobufCMessageDescriptor *const reply_type[SVC_COUNT] = {
	[SVC_CONFIG] = &virtioforwarder__config_response__descriptor,
	[SVC_PORT] = &virtioforwarder__port_control_response__descriptor,
	[SVC_STATS] = &virtioforwarder__stats_response__descriptor,
	[SVC_CORE] = &virtioforwarder__core_sched_response__descriptor,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct svc_pin pins[] = {{5, 1, 1}};
	struct svc_config c = {.dynamic_sockets = true, .pins = pins, .n_pins = 1};
	struct buf reply = {0};

	svc_init(&c);
	fake_relay_reset();
	/* some state for the handlers to look at */
	struct relay_fault f;
	relay_attach_vf(2, "net_tap0", false, &f);
	relay_add_socket(2, "/tmp/x.sock", &f);
	fake_relay_connect_vm(2, true);
	relay_attach_vf(7, "0000:05:08.1", false, &f);

	switch (FUZZ_SVC) {
	case SVC_PORT:
		svc_port_handle(data, size, &reply);
		break;
	case SVC_CONFIG:
		svc_config_handle(data, size, &reply);
		break;
	case SVC_CORE:
		svc_core_handle(data, size, &reply);
		break;
	default: {
		unsigned delay;
		struct stats_pending *p = svc_stats_start(data, size, &delay, &reply);
		if (p != NULL)
			svc_stats_finish(p, &reply);
		break;
	}
	}
	ProtobufCMessage *m = protobuf_c_message_unpack(reply_type[FUZZ_SVC], NULL, reply.len,
		reply.data);
	if (m == NULL)
		abort(); /* a reply the client cannot read */
	protobuf_c_message_free_unpacked(m, NULL);
	free(reply.data);
	fake_relay_reset();
	return 0;
}

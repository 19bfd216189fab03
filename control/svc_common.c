/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>

#include "svc.h"
#include "virtioforwarder.pb-c.h"

struct svc_config svc_cfg;

void svc_init(const struct svc_config *c)
{
	svc_cfg = *c;
}

void svc_pack(const ProtobufCMessage *m, struct buf *reply)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	reply->data = malloc(len > 0 ? len : 1);
	reply->len = reply->data != NULL ? protobuf_c_message_pack(m, reply->data) : 0;
}

void svc_error_reply(enum svc_kind kind, struct buf *reply)
{
	switch (kind) {
	case SVC_PORT: {
		Virtioforwarder__PortControlResponse r = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__INIT;
		r.status = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__ERROR;
		svc_pack(&r.base, reply);
		break;
	}
	case SVC_CORE: {
		Virtioforwarder__CoreSchedResponse r = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__INIT;
		r.status = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__ERROR;
		svc_pack(&r.base, reply);
		break;
	}
	case SVC_STATS: {
		Virtioforwarder__StatsResponse r = VIRTIOFORWARDER__STATS_RESPONSE__INIT;
		r.status = VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR;
		svc_pack(&r.base, reply);
		break;
	}
	default: {
		Virtioforwarder__ConfigResponse r = VIRTIOFORWARDER__CONFIG_RESPONSE__INIT;
		r.status = VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__EBADR;
		svc_pack(&r.base, reply);
		break;
	}
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* config service (reference §3.5): the command-line CPU pins. */
#include <stdlib.h>

#include "clog.h"
#include "svc.h"
#include "virtioforwarder.pb-c.h"

extern struct svc_config svc_cfg;

void svc_config_handle(const uint8_t *req, size_t len, struct buf *reply)
{
	Virtioforwarder__ConfigRequest *r = virtioforwarder__config_request__unpack(NULL, len, req);
	if (r == NULL) {
		ctl_log(CLOG_WARNING, "config: unparseable request (%zu bytes)", len);
		return svc_error_reply(SVC_CONFIG, reply);
	}
	virtioforwarder__config_request__free_unpacked(r, NULL);

	Virtioforwarder__ConfigResponse resp = VIRTIOFORWARDER__CONFIG_RESPONSE__INIT;
	Virtioforwarder__ConfigResponse__RelayCPU maps[svc_cfg.n_pins + 1];
	Virtioforwarder__ConfigResponse__RelayCPU *list[svc_cfg.n_pins + 1];
	resp.status = VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK;
	resp.relay_cpu_map = list;
	for (unsigned i = 0; i < svc_cfg.n_pins; i++) {
		virtioforwarder__config_response__relay_cpu__init(&maps[i]);
		maps[i].relay_number = svc_cfg.pins[i].relay_id;
		maps[i].vf2virtio_cpu = svc_cfg.pins[i].vf_to_vm_cpu;
		maps[i].virtio2vf_cpu = svc_cfg.pins[i].vm_to_vf_cpu;
		list[resp.n_relay_cpu_map++] = &maps[i];
	}
	svc_pack(&resp.base, reply);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* config: the daemon's command-line CPU pins, printed as the original
 * virtioforwarder_config.py does (protobuf text, then a blank line). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "virtioforwarder.pb-c.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config-ep", required_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	const char *ep = EP_DIR "config";
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'e') {
			fprintf(stderr, "usage: config [--config-ep EP]\n");
			return 2;
		}
		ep = optarg;
	}
	uint8_t *rep;
	size_t rep_len;
	/* an empty ConfigRequest is a zero-length frame */
	int ret = client_request(ep, (const uint8_t *)"", 0, 2000, &rep, &rep_len);
	if (ret < 0) {
		fprintf(stderr, "config: no answer from %s: %s\n", ep,
			ret == -ETIMEDOUT ? "timed out (is virtio-forwarder running?)" : strerror(-ret));
		return 1;
	}
	Virtioforwarder__ConfigResponse *r =
		virtioforwarder__config_response__unpack(NULL, rep_len, rep);
	free(rep);
	if (r == NULL) {
		fprintf(stderr, "config: malformed reply from %s\n", ep);
		return 1;
	}
	client_print_text(stdout, &r->base, 0);
	fputc('\n', stdout);
	int status = r->status == VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK ? 0 : 1;
	virtioforwarder__config_response__free_unpacked(r, NULL);
	return status;
}

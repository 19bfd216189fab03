/* SPDX-License-Identifier: BSD-3-Clause */
/* config: the daemon's command-line CPU pins, printed as the original
 * virtioforwarder_config.py does (protobuf text, then a blank line). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "virtioforwarder.pb-c.h"

int main(int argc, char **argv)
{
	const char *ep = EP_DIR "config";
	const struct cli_opt opts[] = {CLI_STR("config-ep", &ep), CLI_END};
	if (cli_parse(argc, argv, opts, "usage: config [--config-ep EP]\n") < 0)
		return 2;
	/* an empty ConfigRequest packs to a zero-length frame, as the original sends */
	Virtioforwarder__ConfigRequest req = VIRTIOFORWARDER__CONFIG_REQUEST__INIT;
	Virtioforwarder__ConfigResponse *r = client_ask("config", ep, &req.base,
		&virtioforwarder__config_response__descriptor, 2000);
	if (r == NULL)
		return 1;
	client_print_text(stdout, &r->base, 0);
	fputc('\n', stdout);
	int status = r->status == VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK ? 0 : 1;
	virtioforwarder__config_response__free_unpacked(r, NULL);
	return status;
}

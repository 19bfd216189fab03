/* SPDX-License-Identifier: BSD-3-Clause */
/* Long options from a table (cli.h), through getopt_long. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#define MAX_OPTS 16
#define FIRST_VAL 256 /* getopt_long's value for opts[i]: FIRST_VAL + i, no character */

int cli_parse(int argc, char **argv, const struct cli_opt *opts, const char *usage)
{
	struct option lo[MAX_OPTS + 1] = {{0}};
	for (int i = 0; opts[i].name != NULL; i++) {
		if (i == MAX_OPTS) {
			fputs("cli_parse: too many options\n", stderr);
			return -1;
		}
		lo[i] = (struct option){opts[i].name,
			opts[i].kind == CLI_K_FLAG ? no_argument : required_argument, NULL,
			FIRST_VAL + i};
	}
	int opt;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (opt < FIRST_VAL) { /* '?': getopt said what was wrong */
			fputs(usage, stderr);
			return -1;
		}
		const struct cli_opt *o = &opts[opt - FIRST_VAL];
		switch (o->kind) {
		case CLI_K_STRING:
			*o->str = optarg;
			break;
		case CLI_K_FLAG:
			*o->flag = true;
			break;
		case CLI_K_DOUBLE:
			*o->dbl = atof(optarg);
			break;
		case CLI_K_LONG:
			*o->lng = atol(optarg);
			break;
		case CLI_K_INT:
			*o->num = atoi(optarg);
			break;
		case CLI_K_CALL:
			if (o->call(optarg) < 0)
				return -1;
			break;
		}
	}
	return optind;
}

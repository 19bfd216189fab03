/* SPDX-License-Identifier: BSD-3-Clause */
/* The clients' long options that only store their argument (or hand it to
 * a function), declared once with where it goes, and parsed by getopt_long:
 * "--name value", "--name=value" and unique prefixes work as getopt's do.
 * port_control and stats check their arguments with messages of their own
 * (and take short options): they keep their own getopt loops. */
#ifndef VFWD_CLI_H
#define VFWD_CLI_H

#include <stdbool.h>

struct cli_opt {
	const char *name; /* the long option, without "--"; NULL ends the table */
	enum { CLI_K_STRING, CLI_K_FLAG, CLI_K_DOUBLE, CLI_K_LONG, CLI_K_INT, CLI_K_CALL } kind;
	union {
		const char **str; /* the argument itself */
		bool *flag;       /* set; the option takes no argument */
		double *dbl;      /* atof */
		long *lng;        /* atol */
		int *num;         /* atoi */
		int (*call)(const char *arg); /* < 0: stop, having said why */
	};
};
#define CLI_STR(n, p) {.name = (n), .kind = CLI_K_STRING, .str = (p)}
#define CLI_FLAG(n, p) {.name = (n), .kind = CLI_K_FLAG, .flag = (p)}
#define CLI_DOUBLE(n, p) {.name = (n), .kind = CLI_K_DOUBLE, .dbl = (p)}
#define CLI_LONG(n, p) {.name = (n), .kind = CLI_K_LONG, .lng = (p)}
#define CLI_INT(n, p) {.name = (n), .kind = CLI_K_INT, .num = (p)}
#define CLI_CALL(n, f) {.name = (n), .kind = CLI_K_CALL, .call = (f)}
#define CLI_END {.name = NULL}

/* Take argv's options as opts say, in their order. An option not in opts,
 * or one missing its argument: getopt's message, then usage, on stderr.
 * Returns the index in argv of the first operand, or -1: the program exits
 * with status 2. */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, const char *usage);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "log.h"

static bool log_to_syslog;
static bool log_to_journal; /* stdout is journald's: "<level>" prefixes carry priorities */
/* A message can reach the cookie in pieces; keep a line until its '\n'. */
static char line[4096];
static size_t line_len;

static const char level_char[] = "x!^*#-?.";

static void emit(const char *s, size_t len)
{
	int lvl = rte_log_cur_msg_loglevel() - 1; /* RTE_LOG_EMERG (1) -> LOG_EMERG (0) */
	if (lvl < 0 || lvl > 7)
		lvl = LOG_INFO;
	if (log_to_syslog) {
		syslog(lvl, "%.*s", (int)len, s);
		return;
	}
	if (log_to_journal) {
		fprintf(stdout, "<%d>%.*s\n", lvl, (int)len, s);
		fflush(stdout);
		return;
	}
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(ts, sizeof(ts), "%b %d %H:%M:%S", localtime_r(&now, &tm));
	fprintf(stdout, "%s %c %.*s\n", ts, level_char[lvl], (int)len, s);
	fflush(stdout);
}

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
	(void)c;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n' || line_len == sizeof(line)) {
			/* an overlong line is split, never dropped */
			emit(line, line_len);
			line_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		line[line_len++] = buf[i];
	}
	return size;
}

int log_open(bool to_syslog)
{
	static cookie_io_functions_t fns = {.write = cookie_write};
	log_to_syslog = to_syslog;
	log_to_journal = !to_syslog && getenv("JOURNAL_STREAM") != NULL;
	if (to_syslog)
		openlog("virtio-forwarder", LOG_PID | LOG_NDELAY, LOG_LOCAL0);
	FILE *f = fopencookie(NULL, "w", fns);
	if (f == NULL)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	return rte_openlog_stream(f);
}

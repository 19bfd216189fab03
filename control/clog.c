/* SPDX-License-Identifier: BSD-3-Clause */
#include "clog.h"

#include <stdio.h>

static void to_stderr(int level, const char *fmt, va_list ap)
{
	if (level > CLOG_WARNING)
		return;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static ctl_log_fn sink = to_stderr;

void ctl_log_set(ctl_log_fn fn)
{
	sink = fn != NULL ? fn : to_stderr;
}

void ctl_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sink(level, fmt, ap);
	va_end(ap);
}

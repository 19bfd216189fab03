/* SPDX-License-Identifier: BSD-3-Clause */
/* Rate limit of DPDK's log lines, so that a guest cannot set the host's
 * log volume (librte_vhost's data path says a line per bad frame): a token
 * bucket per (log type, relay), the relay told by the "(<socket path>)" its
 * lines carry, and a summary line ("N lines suppressed") when the bucket
 * lets a line through again, as the kernel's printk ratelimit does. Every
 * function but the readers runs under the log stream's lock (log.c). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define LIMIT_BUCKETS 64  /* (type, tag) pairs told apart; the rest share one */
#define TAG_MAX 108       /* a unix socket path */
#define SAMPLE_MAX 64     /* what the summary quotes of the first line suppressed */

/* Every field is read and written under the log stream's lock (by any
 * thread that logs) but used and suppressed, which readers on other
 * threads load without it. */
struct bucket {
	_Atomic bool used; /* store-release once type and tag are written */
	int type;
	char tag[TAG_MAX];
	uint64_t tokens_mill; /* tokens, in thousandths */
	uint64_t last_ms;     /* when tokens were last refilled */
	uint64_t pending;     /* suppressed since the last summary */
	char sample[SAMPLE_MAX];
	/* writer: the log stream (its lock); readers: relaxed loads, no lock
	 * (relay_get_info, the SIGUSR1 dump) */
	_Atomic uint64_t suppressed;
};

static struct bucket buckets[LIMIT_BUCKETS + 1]; /* the last: everything else */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "VHOST_DATA: (/run/x.sock) ..." -> "/run/x.sock"; "" if no such tag. */
static void line_tag(const char *line, size_t len, char *tag)
{
	tag[0] = '\0';
	const char *open = memchr(line, '(', len < 32 ? len : 32);
	if (open == NULL)
		return;
	const char *end = line + len;
	const char *close = memchr(open + 1, ')', (size_t)(end - open - 1));
	if (close == NULL || close - open - 1 >= TAG_MAX)
		return;
	memcpy(tag, open + 1, (size_t)(close - open - 1));
	tag[close - open - 1] = '\0';
}

static struct bucket *bucket_of(int type, const char *tag)
{
	for (unsigned i = 0; i < LIMIT_BUCKETS; i++) {
		struct bucket *b = &buckets[i];
		if (!atomic_load_explicit(&b->used, memory_order_relaxed)) {
			b->type = type;
			strcpy(b->tag, tag);
			b->tokens_mill = LOG_LIMIT_BURST * 1000;
			b->last_ms = now_ms();
			atomic_store_explicit(&b->used, true, memory_order_release);
			return b;
		}
		if (b->type == type && strcmp(b->tag, tag) == 0)
			return b;
	}
	struct bucket *b = &buckets[LIMIT_BUCKETS];
	if (!atomic_load_explicit(&b->used, memory_order_relaxed)) {
		b->type = -1;
		b->tokens_mill = LOG_LIMIT_BURST * 1000;
		b->last_ms = now_ms();
		atomic_store_explicit(&b->used, true, memory_order_release);
	}
	return b;
}

bool log_limit_admit(int type, const char *line, size_t len, char *summary, size_t cap)
{
	char tag[TAG_MAX];
	summary[0] = '\0';
	line_tag(line, len, tag);
	struct bucket *b = bucket_of(type, tag);
	uint64_t now = now_ms();
	b->tokens_mill += (now - b->last_ms) * LOG_LIMIT_PER_SEC;
	if (b->tokens_mill > LOG_LIMIT_BURST * 1000)
		b->tokens_mill = LOG_LIMIT_BURST * 1000;
	b->last_ms = now;
	if (b->tokens_mill < 1000) {
		if (b->pending++ == 0)
			snprintf(b->sample, sizeof(b->sample), "%.*s", (int)len, line);
		atomic_store_explicit(&b->suppressed, b->suppressed + 1, memory_order_relaxed);
		return false;
	}
	b->tokens_mill -= 1000;
	if (b->pending > 0) {
		snprintf(summary, cap,
			"log rate limit: %llu lines of log type %d%s%s suppressed, the first: \"%s\"",
			(unsigned long long)b->pending, type, tag[0] ? " from " : "", tag,
			b->sample);
		b->pending = 0;
	}
	return true;
}

uint64_t log_suppressed_for(const char *tag)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < LIMIT_BUCKETS && tag != NULL; i++) {
		const struct bucket *b = &buckets[i];
		if (!atomic_load_explicit(&b->used, memory_order_acquire))
			break;
		if (strcmp(b->tag, tag) == 0)
			sum += atomic_load_explicit(&b->suppressed, memory_order_relaxed);
	}
	return sum;
}

uint64_t log_suppressed_total(void)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i <= LIMIT_BUCKETS; i++)
		if (atomic_load_explicit(&buckets[i].used, memory_order_acquire))
			sum += atomic_load_explicit(&buckets[i].suppressed, memory_order_relaxed);
	return sum;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "log.h"

static bool log_to_syslog;
static bool log_to_journal; /* stdout is journald's: "<level>" prefixes carry priorities */
/* A message can reach the cookie in pieces; keep a line until its '\n'.
 * The cookie runs under the log stream's lock (vfprintf, fflush), so one
 * thread at a time fills it and produces into the queue below. */
#define LINE_MAX_LEN 512
static char line[LINE_MAX_LEN];
static size_t line_len;

static const char level_char[] = "x!^*#-?.";

/* Lines wait here for the writer thread: a worker (librte_vhost's data
 * path logs from it) must not wait on syslog or a full stdout pipe, nor
 * on the stream lock another thread holds while it waits. Slots are used
 * in order: a ring of QUEUE_LEN entries has at most QUEUE_LEN - 1 queued
 * plus the one being written, so 2 * QUEUE_LEN slots never collide. */
#define QUEUE_LEN 1024
struct queued_line {
	int level; /* syslog's */
	uint16_t len;
	char text[LINE_MAX_LEN];
};
/* slots, produced: the producer's (any thread that logs, under the
 * stream lock); a queued slot is read by the writer thread only */
static struct queued_line slots[2 * QUEUE_LEN];
static uint64_t produced;
/* SP/SC, slot pointers. Producer: any thread that logs, under the stream
 * lock; consumer: the writer thread ("vfwd-log") */
static struct rte_ring *queue;
static sem_t queue_sem;
static pthread_t writer;
static _Atomic bool writer_running, writer_stop;
static _Atomic uint64_t lost; /* lines the full queue refused */
static uint64_t lost_said;    /* producer: lost lines already reported */

static void emit(int lvl, const char *s, size_t len)
{
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

static void *writer_main(void *arg)
{
	(void)arg;
	for (;;) {
		void *p;
		while (rte_ring_sc_dequeue(queue, &p) == 0) {
			const struct queued_line *q = p;
			emit(q->level, q->text, q->len);
		}
		if (atomic_load(&writer_stop))
			return NULL;
		while (sem_wait(&queue_sem) < 0 && errno == EINTR)
			;
	}
}

/* Under the stream lock. */
static void put_line(int lvl, const char *s, size_t len)
{
	if (!atomic_load_explicit(&writer_running, memory_order_acquire)) {
		emit(lvl, s, len);
		return;
	}
	uint64_t n_lost = atomic_load_explicit(&lost, memory_order_relaxed);
	if (n_lost != lost_said && rte_ring_free_count(queue) > 1) {
		char note[96];
		int k = snprintf(note, sizeof(note), "log: %llu lines lost (the writer fell behind)",
			(unsigned long long)(n_lost - lost_said));
		lost_said = n_lost;
		put_line(LOG_WARNING, note, (size_t)k);
	}
	struct queued_line *q = &slots[produced % (2 * QUEUE_LEN)];
	q->level = lvl;
	q->len = (uint16_t)RTE_MIN(len, sizeof(q->text));
	memcpy(q->text, s, q->len);
	/* a worker never waits; another thread (control: a stats dump is
	 * thousands of lines) waits up to a second for the writer */
	unsigned lcore = rte_lcore_id();
	bool may_wait = lcore == LCORE_ID_ANY || lcore == rte_get_main_lcore();
	for (unsigned tries = 0; rte_ring_sp_enqueue(queue, q) < 0; tries++) {
		if (!may_wait || tries >= 10000) {
			atomic_fetch_add_explicit(&lost, 1, memory_order_relaxed);
			return;
		}
		sem_post(&queue_sem);
		nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
	}
	produced++;
	sem_post(&queue_sem);
}

/* The daemon's own log types (each file registers its own by these names;
 * registering a name again gives its id): never rate-limited. */
static const char *const own_names[] = {"vfwd.main", "vfwd.control", "vfwd.relay", "vfwd.vf",
	"vfwd.vm", "vfwd.worker"};
static int own_ids[RTE_DIM(own_names)];

static void own_types_init(void)
{
	for (unsigned i = 0; i < RTE_DIM(own_names); i++)
		own_ids[i] = rte_log_register(own_names[i]);
}

static bool own_type(int type)
{
	for (unsigned i = 0; i < RTE_DIM(own_names); i++)
		if (type == own_ids[i])
			return true;
	return false;
}

/* A whole line: DPDK's own (any type but ours) pass the rate limit first. */
static void line_done(const char *s, size_t len)
{
	int lvl = rte_log_cur_msg_loglevel() - 1; /* RTE_LOG_EMERG (1) -> LOG_EMERG (0) */
	if (lvl < 0 || lvl > 7)
		lvl = LOG_INFO;
	int type = rte_log_cur_msg_logtype();
	if (!own_type(type)) {
		char summary[256];
		if (!log_limit_admit(type, s, len, summary, sizeof(summary)))
			return;
		if (summary[0] != '\0')
			put_line(LOG_WARNING, summary, strlen(summary));
	}
	put_line(lvl, s, len);
}

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
	(void)c;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n' || line_len == sizeof(line)) {
			/* an overlong line is split, never dropped */
			line_done(line, line_len);
			line_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		line[line_len++] = buf[i];
	}
	return size;
}

/* The writer thread; without it (it failed to start) lines are written
 * by the thread that logs them. */
static void writer_start(void)
{
	size_t sz = rte_ring_get_memsize(QUEUE_LEN);
	queue = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	if (queue == NULL ||
		rte_ring_init(queue, "vfwd_log", QUEUE_LEN, RING_F_SP_ENQ | RING_F_SC_DEQ) < 0 ||
		sem_init(&queue_sem, 0, 0) < 0)
		return;
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0)
		return;
	pthread_setname_np(writer, "vfwd-log");
	atomic_store_explicit(&writer_running, true, memory_order_release);
	atexit(log_close); /* what is queued is written on every exit() path */
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
	own_types_init();
	writer_start();
	return rte_openlog_stream(f);
}

void log_close(void)
{
	if (!atomic_load(&writer_running))
		return;
	atomic_store(&writer_stop, true);
	sem_post(&queue_sem);
	pthread_join(writer, NULL); /* it writes what is queued first */
	atomic_store(&writer_running, false);
}

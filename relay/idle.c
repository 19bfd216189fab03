/* SPDX-License-Identifier: BSD-3-Clause */
/* How a worker with nothing to do waits. It asks its guests to kick on
 * their TX rings and its VFs to raise RX interrupts ("arming"), polls once
 * more (a packet may have come just before), then sleeps in epoll until a
 * kick, an interrupt, a plan change (its wake eventfd) or, when some VF
 * cannot interrupt, a back-off timeout. Awake, it disarms again: a polling
 * backend wants no kicks (each costs the guest an exit or a syscall).
 *
 * Kick and interrupt eventfds are edge-triggered and never read: each kick
 * or interrupt is a new edge, and a read could block forever if the
 * guest's side drained the eventfd first (QEMU does when the backend goes
 * away). An interrupt fd that is no eventfd is the queue itself (net_tap):
 * it is level-triggered, readable while frames wait, so a worker cannot
 * fall asleep over frames its PMD has not noticed yet (net_tap counts
 * arrivals in a SIGIO handler that may run after the wake-up). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <rte_atomic.h>
#include <rte_vhost.h>

#include "relay_log.h"
#include "relay_int.h"
#include "idle.h"

static RTE_LOG_REGISTER(logtype, vfwd.worker, INFO);

/* Changes that invalidate the fds of every worker's epoll set (a VM came
 * or went, a guest replaced a kick fd, a VF started or stopped). Control
 * and vhost thread: bump (idle_epoch_bump); workers: r. */
static _Atomic uint64_t idle_epoch;

enum { TAG_WAKE = 1, TAG_KICK, TAG_VF };

int idle_init(struct idle_wait *iw)
{
	iw->epfd = -1;
	iw->set_plan_gen = iw->set_epoch = UINT64_MAX;
	iw->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return iw->wake_fd >= 0 ? 0 : -errno;
}

void idle_fini(struct idle_wait *iw)
{
	if (iw->epfd >= 0)
		close(iw->epfd);
	if (iw->wake_fd >= 0)
		close(iw->wake_fd);
	iw->epfd = iw->wake_fd = -1;
}

void idle_wake(struct idle_wait *iw)
{
	uint64_t one = 1;
	if (iw->wake_fd >= 0 && write(iw->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		LOG(WARNING, "wake eventfd: %s", strerror(errno));
}

uint64_t idle_epoch_bump(void)
{
	return atomic_fetch_add(&idle_epoch, 1) + 1;
}

static bool is_eventfd(int fd)
{
	char link[64], target[32];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	return n > 0 && (target[n] = '\0', strcmp(target, "anon_inode:[eventfd]") == 0);
}

static void add_fd(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
	if (tag != TAG_VF || is_eventfd(fd))
		ev.events |= EPOLLET;
	if (fd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST)
		LOG(DEBUG, "epoll_ctl add fd %d: %s", fd, strerror(errno));
}

/* The fds that can end a sleep of dirs. Built again when the plan or the
 * epoch moved; closing the old epoll fd drops whatever went stale in it. */
static int build_set(struct idle_wait *iw, struct relay_unit *const *dirs, unsigned n,
	uint64_t plan_gen, uint64_t epoch)
{
	if (iw->epfd >= 0)
		close(iw->epfd);
	iw->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (iw->epfd < 0)
		return -errno;
	add_fd(iw->epfd, iw->wake_fd, TAG_WAKE);
	for (unsigned i = 0; i < n; i++) {
		const struct relay_unit *d = dirs[i];
		if (d->kind == DIR_VM_TO_VF) {
			int vid = atomic_load_explicit(&d->vid, memory_order_acquire);
			for (uint16_t q = d->queue; vid >= 0 && q < d->guest_pairs; q += d->n_units) {
				struct rte_vhost_vring vr;
				if (rte_vhost_get_vhost_vring(vid, 2 * q + 1, &vr) == 0)
					add_fd(iw->epfd, vr.kickfd, TAG_KICK);
			}
		} else if (d->vf_rx_intr) {
			int port = atomic_load_explicit(&d->vf_port, memory_order_acquire);
			if (port >= 0)
				add_fd(iw->epfd,
					rte_eth_dev_rx_intr_ctl_q_get_fd((uint16_t)port, d->queue),
					TAG_VF);
		}
	}
	iw->set_plan_gen = plan_gen;
	iw->set_epoch = epoch;
	return 0;
}

/* Ask for (on) or stop (off) the notifications of one direction. */
static void notify(const struct relay_unit *d, bool on)
{
	if (d->kind == DIR_VM_TO_VF) {
		int vid = atomic_load_explicit(&d->vid, memory_order_acquire);
		for (uint16_t q = d->queue; vid >= 0 && q < d->guest_pairs; q += d->n_units)
			rte_vhost_enable_guest_notification(vid, 2 * q + 1, on);
	} else if (d->vf_rx_intr) {
		int port = atomic_load_explicit(&d->vf_port, memory_order_acquire);
		if (port < 0)
			return;
		if (on)
			rte_eth_dev_rx_intr_enable((uint16_t)port, d->queue);
		else
			rte_eth_dev_rx_intr_disable((uint16_t)port, d->queue);
	}
}

void idle_disarm_dir(const struct relay_unit *d)
{
	notify(d, false);
}

enum idle_decision idle_arm(struct idle_wait *iw, struct relay_unit *const *dirs, unsigned n,
	uint64_t plan_gen, bool use_interrupts, unsigned *recheck_passes)
{
	bool timed = !use_interrupts;
	/* a pass polls one guest TX queue of a unit (fwd.c): seeing them
	 * all after arming takes as many passes as the most queues */
	*recheck_passes = 1;
	for (unsigned i = 0; i < n; i++) {
		const struct relay_unit *u = dirs[i];
		unsigned rings = u->guest_pairs > u->queue ?
			(u->guest_pairs - u->queue + u->n_units - 1) / u->n_units : 1;
		if (u->kind == DIR_VM_TO_VF && rings > *recheck_passes)
			*recheck_passes = rings;
		if (u->stash_n > 0 || u->pend_n > 0)
			return IDLE_STAY_AWAKE; /* a full peer: no notification covers it */
		if (dirs[i]->kind == DIR_VF_TO_VM && !dirs[i]->vf_rx_intr)
			timed = true;
	}
	if (timed && iw->sleep_max_us == 0)
		return IDLE_STAY_AWAKE; /* spinning is what the operator asked for */
	if (!use_interrupts) {
		/* only the wake fd: plan changes still end the sleep */
		if (iw->epfd < 0 && build_set(iw, NULL, 0, 0, 0) < 0)
			return IDLE_STAY_AWAKE;
		return IDLE_TIMED;
	}
	uint64_t epoch = atomic_load(&idle_epoch);
	if ((plan_gen != iw->set_plan_gen || epoch != iw->set_epoch) &&
		build_set(iw, dirs, n, plan_gen, epoch) < 0)
		return IDLE_STAY_AWAKE;
	for (unsigned i = 0; i < n; i++)
		notify(dirs[i], true);
	/* the guest writes its avail index, then reads our "kick me" flag;
	 * we wrote the flag and the caller's next poll reads the index: a
	 * store-load pair on both sides, so each needs a full fence */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	return timed ? IDLE_TIMED : IDLE_UNTIL_WOKEN;
}

void idle_disarm(struct relay_unit *const *dirs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		notify(dirs[i], false);
}

unsigned idle_sleep(struct idle_wait *iw, unsigned timeout_us)
{
	struct epoll_event ev[16];
	struct timespec ts = {.tv_sec = timeout_us / 1000000,
		.tv_nsec = (long)(timeout_us % 1000000) * 1000};
	/* epoll_pwait2 (Linux 5.11) takes microseconds; where it is missing
	 * (older kernels, valgrind) sleep whole milliseconds instead */
	static _Atomic bool no_pwait2;
	int n = -1;
	if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
		n = epoll_pwait2(iw->epfd, ev, 16, &ts, NULL);
		if (n < 0 && errno == ENOSYS)
			atomic_store(&no_pwait2, true);
	}
	if (atomic_load_explicit(&no_pwait2, memory_order_relaxed))
		n = epoll_wait(iw->epfd, ev, 16, (int)((timeout_us + 999) / 1000));
	unsigned woke = 0;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == TAG_WAKE) {
			uint64_t v;
			if (read(iw->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				LOG(WARNING, "wake eventfd: %s", strerror(errno));
		}
		woke |= IDLE_WOKE_EVENT;
	}
	if (n < 0 && errno == EINTR)
		woke |= IDLE_WOKE_EVENT; /* a signal: poll, then sleep again */
	return woke;
}

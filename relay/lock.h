/* SPDX-License-Identifier: BSD-3-Clause */
/* Locks whose use clang checks (-Wthread-safety; tests/unit/
 * thread_safety.sh compiles relay/ and control/ that way): a field marked
 * GUARDED_BY(lock) is read or written only with the lock held, a function
 * marked REQUIRES(lock) is called only with it. Under gcc the marks are
 * nothing. */
#ifndef VFWD_LOCK_H
#define VFWD_LOCK_H

#include <pthread.h>

#if defined(__clang__)
#define TSA(x) __attribute__((x))
#else
#define TSA(x)
#endif
#define CAPABILITY(name) TSA(capability(name))
#define GUARDED_BY(lock) TSA(guarded_by(lock))
#define REQUIRES(lock) TSA(requires_capability(lock))
#define ACQUIRE(lock) TSA(acquire_capability(lock))
#define RELEASE(lock) TSA(release_capability(lock))
#define NO_THREAD_SAFETY_ANALYSIS TSA(no_thread_safety_analysis)

/* a pthread mutex the analysis knows as a lock */
struct CAPABILITY("mutex") vfwd_mutex {
	pthread_mutex_t m;
};
#define VFWD_MUTEX_INITIALIZER {PTHREAD_MUTEX_INITIALIZER}

static inline void vfwd_lock(struct vfwd_mutex *l) ACQUIRE(*l) NO_THREAD_SAFETY_ANALYSIS
{
	pthread_mutex_lock(&l->m);
}

static inline void vfwd_unlock(struct vfwd_mutex *l) RELEASE(*l) NO_THREAD_SAFETY_ANALYSIS
{
	pthread_mutex_unlock(&l->m);
}

#endif

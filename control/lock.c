/* SPDX-License-Identifier: BSD-3-Clause */
/* The control lock (see control.h). */
#include <pthread.h>

#include "control.h"

static pthread_mutex_t control_mutex = PTHREAD_MUTEX_INITIALIZER;

void control_lock(void)
{
	pthread_mutex_lock(&control_mutex);
}

void control_unlock(void)
{
	pthread_mutex_unlock(&control_mutex);
}

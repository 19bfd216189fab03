/* SPDX-License-Identifier: BSD-3-Clause */
/* One-process stand-ins shared by the relay API test and the latency
 * bench: a virtio_user port as the VM (on the relay's vhost-user socket)
 * and numbered test frames. */
#ifndef VFWD_INPROC_H
#define VFWD_INPROC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_mbuf.h>

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

#define INPROC_PKT_LEN 128

struct inproc_vm {
	char name[32]; /* net_virtio_user<index> */
	char devargs[256];
	struct rte_mempool *pool;
	uint16_t port;
	bool up;
};

/* EAL with --no-huge, the given --lcores map and a per-process prefix. */
void inproc_eal(const char *prog, const char *lcores, const char *mem_mb);
/* VM number index (its own virtio_user device and pool of pool_size mbufs) */
void inproc_vm_init(struct inproc_vm *vm, const char *sock_path, unsigned index,
	unsigned pool_size);
void inproc_vm_connect(struct inproc_vm *vm);
void inproc_vm_disconnect(struct inproc_vm *vm);
struct rte_mbuf *inproc_pkt(struct rte_mempool *mp, uint32_t seq);
/* the frame's payload is intact; *seq gets its number */
bool inproc_pkt_ok(const struct rte_mbuf *m, uint32_t *seq);
/* One burst of up to min(n, 32) numbered frames from the VM; returns how
 * many its TX ring took (the rest are freed). */
unsigned inproc_vm_send(struct inproc_vm *vm, unsigned n, uint32_t *next_seq);
/* One RX burst of the VM: every frame must be intact (CHECK); returns how
 * many came. */
unsigned inproc_vm_receive(struct inproc_vm *vm);
/* Apply relay events for up to 5 s until relay id is in the states given
 * (enum relay_dpdk_state, enum relay_virtio_state); prints them if not. */
bool inproc_wait_state(unsigned id, int dpdk_state, int virtio_state);

#endif

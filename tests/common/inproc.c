/* SPDX-License-Identifier: BSD-3-Clause */
#include "inproc.h"
#include "relay.h"

#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

void inproc_eal(const char *prog, const char *lcores, const char *mem_mb)
{
	char prefix[64], lc[64], mem[16];
	snprintf(prefix, sizeof(prefix), "--file-prefix=inproc%d", (int)getpid());
	snprintf(lc, sizeof(lc), "%s", lcores);
	snprintf(mem, sizeof(mem), "%s", mem_mb);
	char *eal[] = {(char *)prog, "--no-huge", "-m", mem, "--no-pci", "--lcores", lc, prefix,
		"--log-level", getenv("INPROC_LOG") ? getenv("INPROC_LOG") : "5", NULL};
	CHECK(rte_eal_init(10, eal) >= 0, "eal");
}

void inproc_vm_init(struct inproc_vm *vm, const char *sock_path, unsigned index,
	unsigned pool_size)
{
	char pool[32];
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "net_virtio_user%u", index);
	snprintf(vm->devargs, sizeof(vm->devargs), "%s,path=%s,queues=1", vm->name, sock_path);
	snprintf(pool, sizeof(pool), "vm_pool%u", index);
	vm->pool = rte_pktmbuf_pool_create(pool, pool_size, 32, 0, 2048 + 128, SOCKET_ID_ANY);
	CHECK(vm->pool != NULL, "vm pool");
}

void inproc_vm_connect(struct inproc_vm *vm)
{
	CHECK(rte_dev_probe(vm->devargs) == 0, "probe %s", vm->devargs);
	CHECK(rte_eth_dev_get_port_by_name(vm->name, &vm->port) == 0, "port");
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	CHECK(rte_eth_dev_configure(vm->port, 1, 1, &conf) == 0, "configure");
	CHECK(rte_eth_rx_queue_setup(vm->port, 0, 256, SOCKET_ID_ANY, NULL, vm->pool) == 0, "rxq");
	CHECK(rte_eth_tx_queue_setup(vm->port, 0, 256, SOCKET_ID_ANY, NULL) == 0, "txq");
	CHECK(rte_eth_dev_start(vm->port) == 0, "start");
	vm->up = true;
}

void inproc_vm_disconnect(struct inproc_vm *vm)
{
	struct rte_eth_dev_info info;
	rte_eth_dev_info_get(vm->port, &info);
	rte_eth_dev_stop(vm->port);
	CHECK(rte_dev_remove(info.device) == 0, "remove vm");
	vm->up = false;
}

struct rte_mbuf *inproc_pkt(struct rte_mempool *mp, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	CHECK(m != NULL, "alloc");
	m->data_len = m->pkt_len = INPROC_PKT_LEN;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, INPROC_PKT_LEN);
	memset(p, 0xff, 6);         /* broadcast */
	p[12] = 0x88, p[13] = 0xb5; /* local experimental ethertype */
	memcpy(p + 14, &seq, sizeof(seq));
	for (int i = 18; i < INPROC_PKT_LEN; i++)
		p[i] = (uint8_t)(seq + i);
	return m;
}

bool inproc_pkt_ok(const struct rte_mbuf *m, uint32_t *seq)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	if (rte_pktmbuf_pkt_len(m) != INPROC_PKT_LEN)
		return false;
	memcpy(seq, p + 14, sizeof(*seq));
	for (int i = 18; i < INPROC_PKT_LEN; i++)
		if (p[i] != (uint8_t)(*seq + i))
			return false;
	return true;
}

unsigned inproc_vm_send(struct inproc_vm *vm, unsigned n, uint32_t *next_seq)
{
	struct rte_mbuf *pkts[32];
	unsigned k = n < 32 ? n : 32;
	for (unsigned i = 0; i < k; i++)
		pkts[i] = inproc_pkt(vm->pool, (*next_seq)++);
	uint16_t t = rte_eth_tx_burst(vm->port, 0, pkts, (uint16_t)k);
	rte_pktmbuf_free_bulk(pkts + t, k - t);
	return t;
}

unsigned inproc_vm_receive(struct inproc_vm *vm)
{
	struct rte_mbuf *pkts[32];
	uint32_t seq;
	uint16_t r = rte_eth_rx_burst(vm->port, 0, pkts, 32);
	for (uint16_t i = 0; i < r; i++)
		CHECK(inproc_pkt_ok(pkts[i], &seq), "corrupt packet");
	rte_pktmbuf_free_bulk(pkts, r);
	return r;
}

bool inproc_wait_state(unsigned id, int dpdk_state, int virtio_state)
{
	struct relay_info ri;
	for (int i = 0; i < 5000; i++) {
		relay_process_events();
		relay_get_info(id, &ri);
		if ((int)ri.dpdk_state == dpdk_state && (int)ri.virtio_state == virtio_state)
			return true;
		usleep(1000);
	}
	fprintf(stderr, "relay %u: state %s/%s\n", id, relay_dpdk_state_str(ri.dpdk_state),
		relay_virtio_state_str(ri.virtio_state));
	return false;
}

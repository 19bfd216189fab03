/* SPDX-License-Identifier: BSD-3-Clause */
/* The VF half: hotplug by PCI address or devargs, configure its queue
 * pairs on the relay's pool, start/stop, remove. */
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eth_bond.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "relay_log.h"
#include "pool.h"
#include "vf.h"

static RTE_LOG_REGISTER(logtype, vfwd.vf, INFO);

static bool is_bond(uint16_t port, char *name);

static int fault(struct relay_fault *f, enum relay_step step, int ret)
{
	if (f != NULL)
		f->step = step;
	return ret;
}

/* The port probed for devargs: the device name is what rte_dev_probe
 * reports for it (its PCI address, or the vdev name before the first ','). */
static int find_port(const char *devargs, uint16_t *port)
{
	struct rte_devargs da;
	uint16_t p;
	if (rte_devargs_parse(&da, devargs) < 0)
		return -EINVAL;
	rte_devargs_reset(&da);
	RTE_ETH_FOREACH_DEV(p) {
		struct rte_eth_dev_info info;
		if (rte_eth_dev_info_get(p, &info) == 0 && info.device != NULL &&
			strcmp(rte_dev_name(info.device), da.name) == 0) {
			*port = p;
			return 0;
		}
	}
	return -ENODEV;
}

int vf_probe(const char *devargs, uint16_t *port, struct relay_fault *f)
{
	if (find_port(devargs, port) == 0) {
		LOG(ERR, "vf %s: already an ethdev (port %u)", devargs, *port);
		return fault(f, STEP_PROBE, -EEXIST);
	}
	if (rte_eth_dev_count_total() >= RTE_MAX_ETHPORTS) {
		/* every relay, bond member and bond is an ethdev: the build's limit */
		LOG(ERR, "vf %s: no free ethdev port (this DPDK build allows %d)", devargs,
			RTE_MAX_ETHPORTS);
		return fault(f, STEP_PROBE, -ENOSPC);
	}
	int ret = rte_dev_probe(devargs);
	if (ret < 0) {
		LOG(ERR, "vf %s: rte_dev_probe: %s (is it bound to vfio-pci?)", devargs,
			rte_strerror(-ret));
		return fault(f, STEP_PROBE, -ENODEV);
	}
	if (find_port(devargs, port) < 0) {
		LOG(ERR, "vf %s: probed but no ethdev port found", devargs);
		return fault(f, STEP_PORT_LOOKUP, -ENODEV);
	}
	return 0;
}

int vf_configure(uint16_t port, struct rte_mempool *mp, struct vf_setup *vs, struct relay_fault *f)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int ret;

	if ((ret = rte_eth_dev_info_get(port, &info)) < 0)
		return fault(f, STEP_DEV_INFO, ret);
	vs->max_queues = RTE_MIN(RTE_MIN(info.max_rx_queues, info.max_tx_queues),
		(uint16_t)RELAY_MAX_QUEUES);
	if (vs->max_queues == 0)
		vs->max_queues = 1;
	uint16_t nq = RTE_MAX(RTE_MIN(vs->queues, vs->max_queues), 1);
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = info.rx_offload_capa &
		(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
			RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	if (nq > 1) {
		/* the VF spreads flows over its queues; with RSS_HASH it also
		 * hands us the hash that picks the guest queue (flow_hash.c) */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP);
		if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH;
	}
	uint64_t want_tx = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
		RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* net_tap (22.11) refuses TSO frames whose MSS plus headers exceed its
	 * MTU, which it caps at 1504: a 1500-MTU guest's full segments (1514)
	 * never pass. Its TSO is left unused; the relay segments (librte_gso) */
	bool tso_broken = info.driver_name != NULL && strcmp(info.driver_name, "net_tap") == 0;
	if (relay_cfg.enable_tso && !tso_broken)
		want_tx |= RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_UDP_TSO;
	conf.txmode.offloads = info.tx_offload_capa & want_tx;
	vs->tx_capa = conf.txmode.offloads;
	/* RX interrupts let an idle worker sleep (idle.c), asked for only when
	 * workers may sleep: a PMD may take another RX path or hold interrupt
	 * vectors for them. A PMD without them ignores the request, one that
	 * fails to start with it is retried without (vf_start). The bonding
	 * PMD has none. */
	char name[RTE_ETH_NAME_MAX_LEN];
	bool bond = is_bond(port, name);
	conf.intr_conf.rxq = relay_cfg.idle_interrupts && !bond;
	/* link changes as RTE_ETH_EVENT_INTR_LSC (vf_events.c) where the PMD
	 * raises them; the link watch covers the others. Not on a bond: it
	 * raises LSC anyway, and with lsc set its link reads stay cached from
	 * its members' last events (which net_tap members never raise). */
	conf.intr_conf.lsc = !bond && info.dev_flags != NULL &&
		(*info.dev_flags & RTE_ETH_DEV_INTR_LSC);

	if ((ret = rte_eth_dev_configure(port, nq, nq, &conf)) < 0) {
		LOG(ERR, "vf port %u: rte_eth_dev_configure %u queues: %s", port, nq,
			rte_strerror(-ret));
		return fault(f, STEP_CONFIGURE, ret);
	}
	uint32_t mtu = relay_mtu();
	/* stay within what the device can receive */
	if (mtu > info.max_mtu)
		mtu = info.max_mtu;
	if (info.max_rx_pktlen > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN &&
		mtu > info.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN)
		mtu = info.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
	ret = rte_eth_dev_set_mtu(port, (uint16_t)mtu);
	uint16_t cur;
	if (ret < 0 && ret != -ENOTSUP) {
		LOG(WARNING, "vf port %u: rte_eth_dev_set_mtu %u: %s", port, mtu,
			rte_strerror(-ret));
		if (rte_eth_dev_get_mtu(port, &cur) == 0 && cur > 0)
			mtu = cur;
	}
	/* a PMD without an MTU to set (net_pcap, net_ring) carries what it
	 * can receive: it still reports the default 1500, not its limit */
	vs->mtu = (uint16_t)mtu;
	uint16_t nb_rx = (uint16_t)pool_ring_size(RELAY_RX_DESC, nq);
	uint16_t nb_tx = (uint16_t)pool_ring_size(RELAY_TX_DESC, nq);
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rx, &nb_tx);
	int socket = rte_eth_dev_socket_id(port);
	for (uint16_t q = 0; q < nq; q++) {
		if ((ret = rte_eth_tx_queue_setup(port, q, nb_tx, socket, NULL)) < 0) {
			LOG(ERR, "vf port %u: rte_eth_tx_queue_setup %u: %s", port, q,
				rte_strerror(-ret));
			return fault(f, STEP_TX_QUEUE_SETUP, ret);
		}
		if ((ret = rte_eth_rx_queue_setup(port, q, nb_rx, socket, NULL, mp)) < 0) {
			LOG(ERR, "vf port %u: rte_eth_rx_queue_setup %u: %s", port, q,
				rte_strerror(-ret));
			return fault(f, STEP_RX_QUEUE_SETUP, ret);
		}
	}
	vs->queues = nq;
	ret = rte_eth_promiscuous_enable(port);
	if (ret < 0 && ret != -ENOTSUP)
		LOG(WARNING, "vf port %u: promiscuous mode: %s", port, rte_strerror(-ret));
	return 0;
}

/* Whether the started port's RX queues raise interrupts we can wait on:
 * each has an event fd, and unmasking works or needs no call (net_tap's
 * fd is the queue itself, always armed). */
static bool rx_intr_works(uint16_t port, uint16_t queues)
{
	for (uint16_t q = 0; q < queues; q++) {
		int en = rte_eth_dev_rx_intr_enable(port, q);
		if (en < 0 && en != -ENOTSUP)
			return false;
		bool ok = rte_eth_dev_rx_intr_ctl_q_get_fd(port, q) >= 0;
		if (en == 0)
			rte_eth_dev_rx_intr_disable(port, q);
		if (!ok)
			return false;
	}
	return true;
}

int vf_start(uint16_t port, bool *rx_intr, struct relay_fault *f)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int ret = rte_eth_dev_start(port);
	if (ret < 0 && rte_eth_dev_conf_get(port, &conf) == 0 &&
		(conf.intr_conf.rxq || conf.intr_conf.lsc) && rte_eth_dev_info_get(port, &info) == 0) {
		LOG(WARNING, "vf port %u: does not start with interrupts (%s); polling only "
			"(RX and link)", port, rte_strerror(-ret));
		conf.intr_conf.rxq = conf.intr_conf.lsc = 0;
		if (rte_eth_dev_configure(port, info.nb_rx_queues, info.nb_tx_queues, &conf) == 0)
			ret = rte_eth_dev_start(port);
	}
	if (ret < 0) {
		LOG(ERR, "vf port %u: rte_eth_dev_start: %s", port, rte_strerror(-ret));
		return fault(f, STEP_START, ret);
	}
	*rx_intr = rte_eth_dev_conf_get(port, &conf) == 0 && conf.intr_conf.rxq &&
		rte_eth_dev_info_get(port, &info) == 0 && rx_intr_works(port, info.nb_rx_queues);
	LOG(DEBUG, "vf port %u: started, rx interrupts %s", port, *rx_intr ? "yes" : "no");
	return 0;
}

void vf_stop(uint16_t port)
{
	int ret = rte_eth_dev_stop(port);
	if (ret < 0)
		LOG(WARNING, "vf port %u: rte_eth_dev_stop: %s", port, rte_strerror(-ret));
}

/* Stop, close and unplug; the port's queues give their mbufs back. */
void vf_remove(uint16_t port)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;
	if (rte_eth_dev_info_get(port, &info) == 0)
		dev = info.device;
	vf_stop(port);
	/* remove before close: close frees the data rte_dev_remove walks */
	int ret = dev != NULL ? rte_dev_remove(dev) : -ENODEV;
	if (ret < 0) {
		LOG(WARNING, "vf port %u: rte_dev_remove: %s; closing the port only", port,
			rte_strerror(-ret));
		rte_eth_dev_close(port);
	}
}

uint16_t vf_max_queues(uint16_t port)
{
	struct rte_eth_dev_info info;
	if (rte_eth_dev_info_get(port, &info) < 0)
		return 1;
	uint16_t n = RTE_MIN(RTE_MIN(info.max_rx_queues, info.max_tx_queues),
		(uint16_t)RELAY_MAX_QUEUES);
	return n > 0 ? n : 1;
}

int vf_socket(uint16_t port)
{
	return rte_eth_dev_socket_id(port);
}

/* name: RTE_ETH_NAME_MAX_LEN bytes, the bond's device name */
static bool is_bond(uint16_t port, char *name)
{
	struct rte_eth_dev_info info;
	if (rte_eth_dev_info_get(port, &info) < 0 || info.driver_name == NULL ||
		strcmp(info.driver_name, "net_bonding") != 0)
		return false;
	return rte_eth_dev_get_name_by_port(port, name) == 0;
}

void vf_remove_any(uint16_t port);

int vf_bond_create(const char *name, unsigned mode, const char *const *members, unsigned n,
	uint16_t *port, struct relay_fault *f)
{
	uint16_t member_ports[RTE_MAX_ETHPORTS];
	unsigned probed = 0;
	int ret;

	if (strncmp(name, "net_bonding", 11) != 0 || mode > 6) {
		LOG(ERR, "bond %s: name must start with net_bonding, mode be 0..6", name);
		return fault(f, STEP_BOND_CREATE, -EINVAL);
	}
	for (unsigned i = 0; i < n; i++)
		if (find_port(members[i], &member_ports[0]) == 0) {
			LOG(ERR, "bond %s: member %s is already an ethdev", name, members[i]);
			return fault(f, STEP_BOND_MEMBER_BUSY, -EEXIST);
		}
	ret = rte_eth_bond_create(name, (uint8_t)mode, (uint8_t)rte_socket_id());
	if (ret < 0) {
		LOG(ERR, "bond %s: rte_eth_bond_create: %s", name, rte_strerror(-ret));
		return fault(f, STEP_BOND_CREATE, -EIO);
	}
	*port = (uint16_t)ret;
	for (probed = 0; probed < n; probed++) {
		ret = vf_probe(members[probed], &member_ports[probed], f);
		if (ret == 0 && (ret = rte_eth_bond_slave_add(*port, member_ports[probed])) < 0) {
			LOG(ERR, "bond %s: rte_eth_bond_slave_add %s: %s", name, members[probed],
				rte_strerror(-ret));
			vf_remove(member_ports[probed]);
			fault(f, STEP_BOND_MEMBER_ADD, 0);
		}
		if (ret < 0)
			break;
	}
	if (probed < n) {
		vf_remove_any(*port); /* takes the members added so far with it */
		return -ENODEV;
	}
	LOG(INFO, "bond %s: port %u, mode %u, %u members", name, *port, mode, n);
	return 0;
}

/* A bond's members go with it. */
void vf_remove_any(uint16_t port)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t members[RTE_MAX_ETHPORTS];
	if (!is_bond(port, name)) {
		vf_remove(port);
		return;
	}
	vf_stop(port);
	int n = rte_eth_bond_slaves_get(port, members, RTE_MAX_ETHPORTS);
	for (int i = 0; i < n; i++) {
		rte_eth_bond_slave_remove(port, members[i]);
		vf_remove(members[i]);
	}
	int ret = rte_eth_bond_free(name);
	if (ret < 0)
		LOG(WARNING, "bond %s: rte_eth_bond_free: %s", name, rte_strerror(-ret));
}

int vf_bond_members(uint16_t port, uint16_t *m)
{
	int n = rte_eth_bond_slaves_get(port, m, RTE_MAX_ETHPORTS);
	return n > 0 ? n : 0;
}

int vf_reset(uint16_t port)
{
	int ret = rte_eth_dev_reset(port);
	if (ret == -ENOTSUP)
		LOG(INFO, "vf port %u has no reset operation: configured again only", port);
	else if (ret < 0)
		LOG(ERR, "vf port %u: rte_eth_dev_reset: %s", port, rte_strerror(-ret));
	return ret == -ENOTSUP ? 0 : ret;
}

int vf_bond_member_remove(uint16_t bond, uint16_t member)
{
	uint16_t m[RTE_MAX_ETHPORTS];
	int ret = rte_eth_bond_slave_remove(bond, member);
	if (ret < 0)
		LOG(ERR, "bond port %u: rte_eth_bond_slave_remove port %u: %s", bond, member,
			rte_strerror(-ret));
	vf_remove(member);
	int left = vf_bond_members(bond, m);
	if (left == 0)
		return 0;
	/* the bonding PMD (22.11) moves the current member off a removed
	 * primary but keeps the primary's port id, and then refuses to start
	 * ("no primary"): name the current member primary */
	int cur = rte_eth_bond_primary_get(bond);
	if (cur >= 0 && rte_eth_bond_primary_set(bond, (uint16_t)cur) != 0)
		LOG(ERR, "bond port %u: rte_eth_bond_primary_set port %d failed", bond, cur);
	return left;
}

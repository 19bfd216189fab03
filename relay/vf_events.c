/* SPDX-License-Identifier: BSD-3-Clause */
/* A VF's ethdev events: link changes (LSC), resets (INTR_RESET) and
 * removals (INTR_RMV), of a relay's VF or of a bond's members. The
 * callbacks run on DPDK's interrupt thread and only post an event
 * (relay_post_event); the control thread (relay.c) asks vf_events_port
 * which port an event is about, and acts on the relay holding it. This
 * file also keeps the link state relays report.
 *
 * A link watch (an EAL alarm every VF_WATCH_MS posting EV_VF_WATCH) reads
 * the links too: net_tap (22.11 and later) updates its link from netlink
 * but raises no LSC event, so neither we nor the bonding PMD would hear
 * it. In an active-backup bond whose current member is down, the watch
 * moves the traffic to a member that is up, as the bonding PMD does itself
 * on a member's LSC event. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_eth_bond.h>
#include <rte_ethdev.h>

#include "relay_log.h"
#include "vf.h"
#include "vf_events.h"

static RTE_LOG_REGISTER(logtype, vfwd.vf, INFO);

#define VF_WATCH_MS 100

/* An event names its port and the generation the port had when it was
 * posted: control thread: w (atomic, at attach and detach); interrupt
 * thread: r (acquire, in the ethdev callbacks). One posted for an earlier
 * device on the same port id is dropped. */
static _Atomic uint32_t port_gen[RTE_MAX_ETHPORTS];
/* relays holding a VF; control: w, alarm (interrupt thread): r */
static _Atomic unsigned n_watched;
/* control: w; alarm: r. false: the watch stops re-arming */
static _Atomic bool watching;
/* control only: a bond member's link as last seen */
static bool member_up[RTE_MAX_ETHPORTS];

static const enum rte_eth_event_type handled[] = {
	RTE_ETH_EVENT_INTR_LSC, RTE_ETH_EVENT_INTR_RESET, RTE_ETH_EVENT_INTR_RMV};

#define SEQ_PORT(seq) ((uint16_t)((seq) & 0xffff))
#define SEQ_GEN(seq) ((uint32_t)((seq) >> 16))

/* interrupt thread */
static int on_eth_event(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret_param)
{
	(void)arg, (void)ret_param;
	if (port >= RTE_MAX_ETHPORTS)
		return 0;
	enum relay_event_type ev = type == RTE_ETH_EVENT_INTR_LSC ? EV_VF_LSC :
		type == RTE_ETH_EVENT_INTR_RESET		    ? EV_VF_RESET :
								      EV_VF_RMV;
	uint64_t gen = atomic_load_explicit(&port_gen[port], memory_order_acquire);
	relay_post_event(ev, 0, gen << 16 | port);
	return 0;
}

/* interrupt thread (EAL alarm) */
static void on_watch_tick(void *arg)
{
	(void)arg;
	if (!atomic_load_explicit(&watching, memory_order_acquire))
		return;
	if (atomic_load_explicit(&n_watched, memory_order_relaxed) > 0)
		relay_post_event(EV_VF_WATCH, 0, 0);
	if (rte_eal_alarm_set(VF_WATCH_MS * 1000, on_watch_tick, NULL) < 0)
		LOG(ERR, "vf link watch: rte_eal_alarm_set failed; links are read on events only");
}

static void read_link(uint16_t port, bool *up, uint32_t *speed)
{
	struct rte_eth_link l;
	memset(&l, 0, sizeof(l));
	*up = rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP;
	*speed = *up && l.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN ? l.link_speed : 0;
}

/* Active-backup: the member carrying the traffic is down and another is
 * up: move the traffic there (public API: the bonding PMD's own switch
 * runs only on LSC events) and give the new member promiscuous mode, as
 * the relay set it on the bond. */
static void failover(struct relay *r, const uint16_t *m, int n)
{
	if (r->dpdk_state != DPDK_READY ||
		rte_eth_bond_mode_get(r->port_id) != BONDING_MODE_ACTIVE_BACKUP)
		return;
	int cur = rte_eth_bond_primary_get(r->port_id);
	if (cur < 0 || cur >= RTE_MAX_ETHPORTS || member_up[cur])
		return;
	for (int k = 0; k < n; k++) {
		if (!member_up[m[k]])
			continue;
		if (rte_eth_bond_primary_set(r->port_id, m[k]) != 0) {
			LOG(ERR, "relay %u: rte_eth_bond_primary_set port %u failed", r->id, m[k]);
			return;
		}
		int ret = rte_eth_promiscuous_enable(m[k]);
		if (ret < 0 && ret != -ENOTSUP)
			LOG(WARNING, "relay %u: bond member port %u: promiscuous mode: %s", r->id,
				m[k], rte_strerror(-ret));
		LOG(WARNING, "relay %u: bond member port %d is down: port %u carries the traffic",
			r->id, cur, m[k]);
		return;
	}
}

/* Read the VF's link (a bond's: up while a member is); log changes
 * unless quiet. A bond's members are checked for failover. */
void vf_events_link_refresh(struct relay *r, bool quiet)
{
	bool up;
	uint32_t speed;
	uint16_t m[RTE_MAX_ETHPORTS];
	read_link(r->port_id, &up, &speed);
	int n = vf_bond_members(r->port_id, m);
	if (n > 0) {
		bool any = false;
		for (int k = 0; k < n; k++) {
			bool mu;
			uint32_t ms;
			read_link(m[k], &mu, &ms);
			if (mu != member_up[m[k]] && !quiet)
				LOG(INFO, "relay %u: bond member port %u link %s", r->id, m[k],
					mu ? "up" : "down");
			member_up[m[k]] = mu;
			any = any || mu;
		}
		failover(r, m, n);
		up = up && any;
		speed = up ? speed : 0;
	}
	if (!quiet && up && !r->vf_link_up)
		LOG(INFO, "relay %u: vf link up, %u Mbps", r->id, speed);
	else if (!quiet && !up && r->vf_link_up)
		LOG(WARNING, "relay %u: vf link down", r->id);
	if (!quiet && up && r->vf_link_up && speed != r->vf_link_speed)
		LOG(INFO, "relay %u: vf link speed %u Mbps", r->id, speed);
	r->vf_link_up = up;
	r->vf_link_speed = speed;
}

static void bump_gens(const struct relay *r)
{
	uint16_t m[RTE_MAX_ETHPORTS];
	int n = vf_bond_members(r->port_id, m);
	atomic_fetch_add_explicit(&port_gen[r->port_id], 1, memory_order_release);
	for (int k = 0; k < n; k++)
		atomic_fetch_add_explicit(&port_gen[m[k]], 1, memory_order_release);
}

void vf_events_attached(struct relay *r)
{
	bump_gens(r);
	atomic_fetch_add_explicit(&n_watched, 1, memory_order_relaxed);
	vf_events_link_refresh(r, true);
}

void vf_events_detached(struct relay *r)
{
	uint16_t m[RTE_MAX_ETHPORTS];
	int n = vf_bond_members(r->port_id, m);
	for (int k = 0; k < n; k++)
		member_up[m[k]] = false;
	bump_gens(r);
	atomic_fetch_sub_explicit(&n_watched, 1, memory_order_relaxed);
	r->vf_link_up = false;
	r->vf_link_speed = 0;
}

bool vf_events_port(uint64_t seq, uint16_t *port)
{
	*port = SEQ_PORT(seq);
	return *port < RTE_MAX_ETHPORTS &&
		SEQ_GEN(seq) == atomic_load_explicit(&port_gen[*port], memory_order_relaxed);
}

void vf_events_member_gone(uint16_t member)
{
	member_up[member] = false;
	atomic_fetch_add_explicit(&port_gen[member], 1, memory_order_release);
}

void vf_events_info(const struct relay *r, struct relay_info *info)
{
	info->vf_resets = r->vf_resets;
	info->vf_removals = r->vf_removals;
	if (r->dpdk_state == DPDK_UNINIT)
		return;
	info->vf_link_up = r->vf_link_up;
	info->vf_link_speed = r->vf_link_speed;
	struct rte_eth_stats st;
	if (rte_eth_stats_get(r->port_id, &st) == 0) {
		info->vf_rx_missed = st.imissed;
		info->vf_rx_nombuf = st.rx_nombuf;
		info->vf_rx_errors = st.ierrors;
		info->vf_tx_errors = st.oerrors;
	}
}

int vf_events_init(void)
{
	for (unsigned i = 0; i < RTE_DIM(handled); i++) {
		int ret = rte_eth_dev_callback_register(RTE_ETH_ALL, handled[i], on_eth_event, NULL);
		if (ret < 0) {
			LOG(ERR, "rte_eth_dev_callback_register event %d: %s", handled[i],
				rte_strerror(-ret));
			return ret;
		}
	}
	atomic_store_explicit(&watching, true, memory_order_release);
	int ret = rte_eal_alarm_set(VF_WATCH_MS * 1000, on_watch_tick, NULL);
	if (ret < 0)
		LOG(ERR, "vf link watch: rte_eal_alarm_set: %s", rte_strerror(-ret));
	return ret;
}

void vf_events_fini(void)
{
	atomic_store_explicit(&watching, false, memory_order_release);
	rte_eal_alarm_cancel(on_watch_tick, (void *)-1); /* waits for a running tick */
	for (unsigned i = 0; i < RTE_DIM(handled); i++)
		while (rte_eth_dev_callback_unregister(RTE_ETH_ALL, handled[i], on_eth_event,
			       NULL) == -EAGAIN)
			rte_delay_ms(1); /* the callback is running */
}

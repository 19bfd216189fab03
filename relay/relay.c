/* SPDX-License-Identifier: BSD-3-Clause */
/* Relay slots and their state machine. Everything here runs on the control
 * thread, one operation at a time; workers only see directions published
 * to their plans, and vhost callbacks only touch the registry fields. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_vhost.h>

#include "log.h"
#include "relay_int.h"

#define LOG_TYPE vfwd_logtype_relay

struct relay relays[RTE_MAX_ETHPORTS];
pthread_mutex_t relay_registry_lock = PTHREAD_MUTEX_INITIALIZER;
struct relay_params relay_cfg;
static int pin_vf_to_vm[RTE_MAX_ETHPORTS], pin_vm_to_vf[RTE_MAX_ETHPORTS];

struct relay_event {
	uint32_t type;
	uint32_t relay_id;
	uint64_t seq;
};

static struct rte_ring *events;
static int event_fd = -1;

unsigned relay_max(void)
{
	return RTE_MAX_ETHPORTS;
}

static void init_dir(struct relay_dir *d, enum relay_dir_kind kind, unsigned id)
{
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->relay_id = id;
	d->cpu = -1;
	atomic_init(&d->vid, -1);
	atomic_init(&d->vf_port, -1);
}

int relay_init(const struct relay_params *p)
{
	relay_cfg = *p;
	for (unsigned i = 0; i < RTE_MAX_ETHPORTS; i++) {
		struct relay *r = &relays[i];
		memset(r, 0, sizeof(*r));
		r->id = i;
		r->vid = r->pending_vid = -1;
		init_dir(&r->vf_to_vm, DIR_VF_TO_VM, i);
		init_dir(&r->vm_to_vf, DIR_VM_TO_VF, i);
		pin_vf_to_vm[i] = p->pin_vf_to_vm ? p->pin_vf_to_vm[i] : -1;
		pin_vm_to_vf[i] = p->pin_vm_to_vf ? p->pin_vm_to_vf[i] : -1;
	}
	relay_cfg.pin_vf_to_vm = pin_vf_to_vm;
	relay_cfg.pin_vm_to_vf = pin_vm_to_vf;
	events = rte_ring_create_elem("vfwd_events", sizeof(struct relay_event), 1024,
		SOCKET_ID_ANY, RING_F_SC_DEQ);
	event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (events == NULL || event_fd < 0)
		return -ENOMEM;
	return worker_init(&relay_cfg);
}

void relay_post_event(enum relay_event_type type, unsigned relay_id, uint64_t seq)
{
	struct relay_event ev = {.type = type, .relay_id = relay_id, .seq = seq};
	if (rte_ring_mp_enqueue_elem(events, &ev, sizeof(ev)) < 0)
		LOG(CRIT, "relay %u: event ring full, event %u lost", relay_id, type);
	uint64_t one = 1;
	if (write(event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		LOG(ERR, "relay event fd: %s", strerror(errno));
}

int relay_event_fd(void)
{
	return event_fd;
}

static int fault(struct relay_fault *f, const char *step, int ret)
{
	if (f != NULL)
		f->step = step;
	return ret;
}

static int ensure_pool(struct relay *r, int socket)
{
	if (r->pool == NULL) {
		r->pool = pool_get(r->id, socket);
		r->vm_to_vf.pool = r->pool;
	}
	return r->pool != NULL ? 0 : -ENOMEM;
}

static void release_pool_if_unused(struct relay *r)
{
	if (r->dpdk_state != DPDK_UNINIT || r->virtio_state != VIRTIO_UNINIT)
		return;
	pool_put(r->pool);
	r->pool = NULL;
	r->vm_to_vf.pool = NULL;
}

static void set_vf_port(struct relay *r, int port)
{
	atomic_store_explicit(&r->vf_to_vm.vf_port, port, memory_order_release);
	atomic_store_explicit(&r->vm_to_vf.vf_port, port, memory_order_release);
	worker_fds_changed();
}

/* ADDED + VM READY -> READY: start the port and let both directions use it. */
static void start_forwarding(struct relay *r)
{
	if (vf_start(r->port_id, &r->vf_to_vm.vf_rx_intr, NULL) < 0) {
		LOG(WARNING, "relay %u: vf did not start; stays DPDK_ADDED", r->id);
		return;
	}
	set_vf_port(r, r->port_id);
	int cpu = worker_publish(&r->vf_to_vm, pin_vf_to_vm[r->id], vf_socket(r->port_id));
	if (cpu < 0) {
		LOG(ERR, "relay %u: no worker for vf_to_vm", r->id);
		set_vf_port(r, -1);
		worker_synchronize();
		vf_stop(r->port_id);
		return;
	}
	r->dpdk_state = DPDK_READY;
	LOG(INFO, "relay %u: forwarding (vf_to_vm on cpu %d, vm_to_vf on cpu %d)", r->id, cpu,
		r->vm_to_vf.cpu);
}

/* READY -> ADDED: withdraw the port from both directions, then stop it. */
static void stop_forwarding(struct relay *r)
{
	set_vf_port(r, -1);
	worker_unpublish(&r->vf_to_vm); /* also the grace period for vm_to_vf */
	fwd_flush_stash(&r->vf_to_vm);
	fwd_drain_vf(&r->vf_to_vm, r->port_id);
	vf_stop(r->port_id);
	r->dpdk_state = DPDK_ADDED;
}

/* The common tail of attaching a VF or a bond already probed as port. */
static int attach_port(struct relay *r, uint16_t port, const char *name, struct relay_fault *f)
{
	if (ensure_pool(r, vf_socket(port)) < 0) {
		vf_remove_any(port);
		return fault(f, "rte_pktmbuf_pool_create", -ENOMEM);
	}
	uint64_t capa;
	int ret = vf_configure(port, r->pool, &capa, f);
	if (ret < 0 || (r->vf_name = strdup(name)) == NULL) {
		vf_remove_any(port);
		release_pool_if_unused(r);
		return ret < 0 ? -EIO : fault(f, "strdup", -ENOMEM);
	}
	r->port_id = port;
	r->vm_to_vf.tx_offload_capa = capa; /* published by the vf_port store */
	r->dpdk_state = DPDK_ADDED;
	r->vf_to_vm.planned_cpu = worker_choose(pin_vf_to_vm[r->id], vf_socket(port));
	LOG(INFO, "relay %u: vf %s attached as port %u (tx offloads 0x%" PRIx64 ")", r->id, name,
		port, capa);
	if (r->virtio_state == VIRTIO_READY)
		start_forwarding(r);
	return 0;
}

/* Checks shared by attach_vf and attach_bond: 1 when already done. */
static int attach_check(unsigned id, const char *name, bool conditional, struct relay_fault *f)
{
	if (id >= relay_max())
		return fault(f, "relay id", -EINVAL);
	struct relay *r = &relays[id];
	if (r->dpdk_state != DPDK_UNINIT) {
		if (conditional && strcasecmp(r->vf_name, name) == 0)
			return 1;
		LOG(ERR, "relay %u: already holds vf %s", id, r->vf_name);
		return fault(f, "relay busy", -EBUSY);
	}
	return 0;
}

int relay_attach_vf(unsigned id, const char *devargs, bool conditional, struct relay_fault *f)
{
	int ret = attach_check(id, devargs, conditional, f);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	uint16_t port;
	if ((ret = vf_probe(devargs, &port, f)) < 0)
		return ret;
	return attach_port(&relays[id], port, devargs, f);
}

int relay_attach_bond(unsigned id, const char *name, unsigned mode, const char *const *members,
	unsigned n, bool conditional, struct relay_fault *f)
{
	int ret = attach_check(id, name, conditional, f);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	uint16_t port;
	if ((ret = vf_bond_create(name, mode, members, n, &port, f)) < 0)
		return ret;
	return attach_port(&relays[id], port, name, f);
}

int relay_detach_vf(unsigned id, const char *devargs, bool conditional, struct relay_fault *f)
{
	if (id >= relay_max())
		return fault(f, "relay id", -EINVAL);
	struct relay *r = &relays[id];
	if (r->dpdk_state == DPDK_UNINIT)
		return conditional ? 0 : fault(f, "no vf", -ENOENT);
	if (devargs != NULL && strcasecmp(r->vf_name, devargs) != 0)
		return fault(f, "vf mismatch", -EXDEV);
	if (r->dpdk_state == DPDK_READY)
		stop_forwarding(r);
	vf_remove_any(r->port_id);
	LOG(INFO, "relay %u: vf %s detached", id, r->vf_name);
	free(r->vf_name);
	r->vf_name = NULL;
	r->vm_to_vf.tx_offload_capa = 0;
	r->dpdk_state = DPDK_UNINIT;
	release_pool_if_unused(r);
	return 0;
}

static void vm_up(struct relay *r, uint64_t seq)
{
	if (r->virtio_state == VIRTIO_READY || !vm_take_vid(r, seq))
		return; /* already gone again: a later event follows */
	int numa = rte_vhost_get_numa_node(r->vid);
	if (ensure_pool(r, numa) < 0) {
		LOG(ERR, "relay %u: no pool for the vm; not forwarding", r->id);
		return;
	}
	int cpu = worker_publish(&r->vm_to_vf, pin_vm_to_vf[r->id], numa);
	if (cpu < 0) {
		LOG(ERR, "relay %u: no worker for vm_to_vf", r->id);
		return;
	}
	r->virtio_state = VIRTIO_READY;
	if (r->dpdk_state == DPDK_ADDED)
		start_forwarding(r);
}

static void vm_down(struct relay *r)
{
	if (r->virtio_state != VIRTIO_READY)
		return;
	if (r->dpdk_state == DPDK_READY)
		stop_forwarding(r);
	worker_unpublish(&r->vm_to_vf);
	fwd_flush_stash(&r->vm_to_vf);
	r->vid = -1;
	r->virtio_state = VIRTIO_UNINIT;
	release_pool_if_unused(r);
}

void relay_process_events(void)
{
	struct relay_event ev;
	uint64_t n;
	if (read(event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		LOG(ERR, "relay event fd: %s", strerror(errno));
	while (rte_ring_sc_dequeue_elem(events, &ev, sizeof(ev)) == 0) {
		if (ev.relay_id >= relay_max())
			continue;
		struct relay *r = &relays[ev.relay_id];
		if (ev.type == EV_VM_NEW)
			vm_up(r, ev.seq);
		else
			vm_down(r);
	}
}

int relay_add_socket(unsigned id, const char *path, struct relay_fault *f)
{
	if (id >= relay_max())
		return fault(f, "relay id", -EINVAL);
	struct relay *r = &relays[id];
	if (r->socket_path != NULL)
		return fault(f, "relay has a socket", -EBUSY);
	char *copy = strdup(path);
	if (copy == NULL)
		return fault(f, "strdup", -ENOMEM);
	pthread_mutex_lock(&relay_registry_lock);
	for (unsigned i = 0; i < relay_max(); i++)
		if (relays[i].socket_path != NULL && strcmp(relays[i].socket_path, path) == 0) {
			pthread_mutex_unlock(&relay_registry_lock);
			free(copy);
			return fault(f, "socket in use", -EEXIST);
		}
	r->socket_path = copy; /* before registering: new_device looks it up */
	pthread_mutex_unlock(&relay_registry_lock);
	struct relay_fault vf = {0};
	int ret = vm_register(path, &vf);
	if (ret < 0) {
		pthread_mutex_lock(&relay_registry_lock);
		r->socket_path = NULL;
		pthread_mutex_unlock(&relay_registry_lock);
		free(copy);
		return fault(f, vf.step, ret);
	}
	return 0;
}

int relay_remove_socket(unsigned id, struct relay_fault *f)
{
	if (id >= relay_max())
		return fault(f, "relay id", -EINVAL);
	struct relay *r = &relays[id];
	if (r->socket_path == NULL)
		return fault(f, "no socket", -ENOENT);
	/* a connected VM is destroyed synchronously here: apply that now */
	int ret = vm_unregister(r->socket_path);
	relay_process_events();
	pthread_mutex_lock(&relay_registry_lock);
	char *path = r->socket_path;
	r->socket_path = NULL;
	pthread_mutex_unlock(&relay_registry_lock);
	free(path);
	return ret < 0 ? fault(f, "rte_vhost_driver_unregister", -EIO) : 0;
}

static int move_dir(struct relay_dir *d, int cpu, int *pin)
{
	if (cpu < 0)
		return 0;
	*pin = cpu; /* also where it goes when it next becomes active */
	if (d->cpu < 0 || d->cpu == cpu)
		return 0;
	/* the stash and counters travel with the direction; meanwhile the VF
	 * RX ring or the guest TX ring holds what arrives */
	worker_unpublish(d);
	return worker_publish(d, cpu, -1) < 0 ? -EIO : 0;
}

int relay_move(unsigned id, int vf_to_vm_cpu, int vm_to_vf_cpu)
{
	if (id >= relay_max() || (vf_to_vm_cpu >= 0 && !worker_exists(vf_to_vm_cpu)) ||
		(vm_to_vf_cpu >= 0 && !worker_exists(vm_to_vf_cpu)))
		return -EINVAL;
	struct relay *r = &relays[id];
	if (vf_to_vm_cpu >= 0)
		r->vf_to_vm.planned_cpu = vf_to_vm_cpu;
	int ret = move_dir(&r->vf_to_vm, vf_to_vm_cpu, &pin_vf_to_vm[id]);
	int ret2 = move_dir(&r->vm_to_vf, vm_to_vf_cpu, &pin_vm_to_vf[id]);
	if (ret == 0 && ret2 == 0)
		LOG(INFO, "relay %u: moved to cpus %d,%d", id, r->vf_to_vm.cpu, r->vm_to_vf.cpu);
	return ret < 0 ? ret : ret2;
}

unsigned relay_worker_cpus(unsigned *cpus, unsigned max)
{
	return worker_cpus(cpus, max);
}

int relay_worker_load(unsigned cpu, struct relay_worker_stats *s)
{
	s->tsc_hz = rte_get_tsc_hz();
	return worker_load(cpu, s);
}

static void load_counters(struct relay_counters *dst, const struct relay_counters *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

int relay_get_info(unsigned id, struct relay_info *info)
{
	if (id >= relay_max())
		return -EINVAL;
	const struct relay *r = &relays[id];
	memset(info, 0, sizeof(*info));
	info->id = id;
	info->dpdk_state = r->dpdk_state;
	info->virtio_state = r->virtio_state;
	info->active = r->dpdk_state == DPDK_READY && r->virtio_state == VIRTIO_READY;
	info->vf_to_vm_cpu = r->vf_to_vm.cpu >= 0 ? r->vf_to_vm.cpu :
		r->dpdk_state != DPDK_UNINIT ? r->vf_to_vm.planned_cpu : -1;
	info->vm_to_vf_cpu = r->vm_to_vf.cpu;
	info->vf_name = r->vf_name;
	info->socket_path = r->socket_path;
	info->socket_id = r->pool != NULL && r->pool->socket_id >= 0 ? (uint32_t)r->pool->socket_id :
									   UINT32_MAX;
	load_counters(&info->vf_to_vm, &r->vf_to_vm.c);
	load_counters(&info->vm_to_vf, &r->vm_to_vf.c);
	return 0;
}

void relay_pool_usage(unsigned *in_use, unsigned *capacity)
{
	pool_usage(in_use, capacity);
}

void relay_fini(void)
{
	for (unsigned i = 0; i < relay_max(); i++) {
		if (relays[i].socket_path != NULL)
			relay_remove_socket(i, NULL);
		vm_down(&relays[i]); /* a VM whose socket is gone */
		relay_detach_vf(i, NULL, true, NULL);
	}
	worker_fini();
	unsigned in_use, cap;
	pool_usage(&in_use, &cap);
	if (in_use > 0)
		LOG(ERR, "%u mbufs not returned to the pools at exit", in_use);
	if (event_fd >= 0)
		close(event_fd);
	event_fd = -1;
	rte_ring_free(events);
	events = NULL;
}

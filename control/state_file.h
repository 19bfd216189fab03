/* SPDX-License-Identifier: BSD-3-Clause */
/* The dynamic ports the daemon recreates at start: what accepted ADD and
 * ADD_SOCK requests asked for (until REMOVE / REMOVE_SOCK), and core
 * pins from core_sched UPDATE, as a versioned JSON text. Pure: no I/O,
 * no relay calls, so unit tests drive it alone. At most one entry is at
 * a relay: a socket's entry also carries the VF a later ADD put next to
 * it, and none after a REMOVE took it. */
#ifndef VFWD_STATE_FILE_H
#define VFWD_STATE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#define STATE_VERSION 2 /* 2: add_sock's relay id, add_sock without devices; 1 is read */
#define STATE_MAX_DEVICES 8   /* bond members, as port control allows */
#define STATE_MAX_ENTRIES 128 /* relays are 32; room for entries that failed a replay */
#define STATE_MAX_PINS 64
#define STATE_MAX_QUEUES 32

enum state_op { STATE_ADD, STATE_ADD_SOCK };
enum state_vhost_mode { STATE_VHOST_DEFAULT = -1, STATE_VHOST_SERVER = 0, STATE_VHOST_CLIENT = 1 };

struct state_entry {
	enum state_op op;
	unsigned virtio_id;  /* STATE_ADD: the key; STATE_ADD_SOCK: its relay if at_relay */
	bool at_relay;       /* always for STATE_ADD; false: the lowest free relay */
	char *vhost_path;    /* STATE_ADD_SOCK: the key */
	char *devices[STATE_MAX_DEVICES]; /* normalized PCI addresses or devargs;
					   * none: a socket whose VF was removed */
	unsigned n_devices;
	char *name;          /* bond name, NULL: one device */
	int mode;            /* bond mode, -1: not given */
	enum state_vhost_mode vhost_mode; /* STATE_ADD_SOCK */
};

struct state_queue_cpu {
	unsigned queue;
	int cpu;
};

/* One relay's entry of a core_sched UPDATE, as it was accepted. */
struct state_pin {
	int relay;
	int vf_to_vm_cpu, vm_to_vf_cpu;
	struct state_queue_cpu vf_to_vm_q[STATE_MAX_QUEUES], vm_to_vf_q[STATE_MAX_QUEUES];
	unsigned n_vf_to_vm_q, n_vm_to_vf_q;
};

struct state {
	struct state_entry entries[STATE_MAX_ENTRIES]; /* in the order they were accepted */
	unsigned n_entries;
	struct state_pin pins[STATE_MAX_PINS];
	unsigned n_pins;
};

void state_init(struct state *s);
void state_free(struct state *s);

/* The device an entry is known by: the bond name, else its one device. */
const char *state_entry_device(const struct state_entry *e);

/* Record e (taken over: s owns its strings afterwards), replacing the entry
 * with the same key (relay id for ADD, socket path for ADD_SOCK) in place.
 * -ENOSPC when full (e is freed). */
int state_put(struct state *s, struct state_entry *e);
/* The add_sock entry of path, NULL if none. */
struct state_entry *state_find_sock(struct state *s, const char *path);
/* Forget e's devices, name and mode (its socket stays). */
void state_clear_devices(struct state_entry *e);
/* Relay id is about to be recorded as what it is live, by an entry for
 * socket keep_path (NULL: an ADD): other entries at id failed a replay
 * and lost their relay: an ADD goes, a socket floats (at_relay false). */
void state_vacate(struct state *s, unsigned id, const char *keep_path);
/* Drop entries; each returns how many went. */
unsigned state_drop_add(struct state *s, unsigned virtio_id);
unsigned state_drop_sock_path(struct state *s, const char *path);
/* add and add_sock entries known by device (case-insensitive) */
unsigned state_drop_device(struct state *s, const char *device);
/* Record a pin, replacing the relay's earlier one. -ENOSPC when full. */
int state_put_pin(struct state *s, const struct state_pin *p);

/* The JSON text of s (malloc'ed, NULL when out of memory). */
char *state_to_json(const struct state *s);
/* Parse text into s (state_init'ed first). 0, or -EINVAL with why (a
 * sentence, at most why_len bytes) for anything but a whole, valid file
 * of a version we read. s holds nothing on error. */
int state_from_json(const char *text, size_t len, struct state *s, char *why, size_t why_len);

#endif

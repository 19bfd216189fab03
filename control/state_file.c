/* SPDX-License-Identifier: BSD-3-Clause */
/* The state file's in-memory form and its JSON text (jansson). Format:
 * {"version": 2,
 *  "ports": [{"op": "add_sock", "vhost_path": "/p.sock", "virtio_id": 0,
 *             "devices": ["0000:05:08.1"], "vhost_mode": "client"},
 *            {"op": "add_sock", "vhost_path": "/q.sock", "virtio_id": 1, "devices": []},
 *            {"op": "add", "virtio_id": 3, "devices": ["a", "b"], "name": "net_bonding0",
 *             "mode": 1}],
 *  "pins": [{"relay": 0, "vf_to_vm_cpu": 1, "vm_to_vf_cpu": 1,
 *            "vf_to_vm_queues": [{"queue": 1, "cpu": 2}], "vm_to_vf_queues": []}]}
 * Version 1 had no add_sock virtio_id (such an entry takes the lowest free
 * relay) and no add_sock without devices. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "state_file.h"

void state_init(struct state *s)
{
	memset(s, 0, sizeof(*s));
}

void state_clear_devices(struct state_entry *e)
{
	for (unsigned i = 0; i < e->n_devices; i++)
		free(e->devices[i]);
	free(e->name);
	e->n_devices = 0;
	e->name = NULL;
	e->mode = -1;
}

static void entry_free(struct state_entry *e)
{
	state_clear_devices(e);
	free(e->vhost_path);
	memset(e, 0, sizeof(*e));
}

void state_free(struct state *s)
{
	for (unsigned i = 0; i < s->n_entries; i++)
		entry_free(&s->entries[i]);
	state_init(s);
}

const char *state_entry_device(const struct state_entry *e)
{
	return e->name != NULL ? e->name : e->n_devices == 1 ? e->devices[0] : NULL;
}

static bool same_key(const struct state_entry *a, const struct state_entry *b)
{
	if (a->op != b->op)
		return false;
	if (a->op == STATE_ADD)
		return a->virtio_id == b->virtio_id;
	return a->vhost_path != NULL && b->vhost_path != NULL &&
		strcmp(a->vhost_path, b->vhost_path) == 0;
}

int state_put(struct state *s, struct state_entry *e)
{
	for (unsigned i = 0; i < s->n_entries; i++)
		if (same_key(&s->entries[i], e)) {
			entry_free(&s->entries[i]);
			s->entries[i] = *e;
			return 0;
		}
	if (s->n_entries == STATE_MAX_ENTRIES) {
		entry_free(e);
		return -ENOSPC;
	}
	s->entries[s->n_entries++] = *e;
	return 0;
}

/* drop the entries match() says, keeping the others' order */
static unsigned drop_if(struct state *s, bool (*match)(const struct state_entry *, const void *),
	const void *arg)
{
	unsigned kept = 0, n = s->n_entries;
	for (unsigned i = 0; i < n; i++) {
		if (match(&s->entries[i], arg))
			entry_free(&s->entries[i]);
		else
			s->entries[kept++] = s->entries[i];
	}
	s->n_entries = kept;
	return n - kept;
}

static bool is_add_of(const struct state_entry *e, const void *id)
{
	return e->op == STATE_ADD && e->virtio_id == *(const unsigned *)id;
}

static bool is_sock_at(const struct state_entry *e, const void *path)
{
	return e->op == STATE_ADD_SOCK && strcmp(e->vhost_path, path) == 0;
}

static bool is_of(const struct state_entry *e, const void *dev)
{
	const char *d = state_entry_device(e);
	return d != NULL && strcasecmp(d, dev) == 0;
}

struct state_entry *state_find_sock(struct state *s, const char *path)
{
	for (unsigned i = 0; i < s->n_entries; i++)
		if (is_sock_at(&s->entries[i], path))
			return &s->entries[i];
	return NULL;
}

void state_vacate(struct state *s, unsigned id, const char *keep_path)
{
	for (unsigned i = 0; i < s->n_entries; i++) {
		struct state_entry *e = &s->entries[i];
		if (e->op == STATE_ADD_SOCK && e->at_relay && e->virtio_id == id &&
			(keep_path == NULL || strcmp(e->vhost_path, keep_path) != 0))
			e->at_relay = false;
	}
	state_drop_add(s, id);
}

unsigned state_drop_add(struct state *s, unsigned virtio_id)
{
	return drop_if(s, is_add_of, &virtio_id);
}

unsigned state_drop_sock_path(struct state *s, const char *path)
{
	return drop_if(s, is_sock_at, path);
}

unsigned state_drop_device(struct state *s, const char *device)
{
	return drop_if(s, is_of, device);
}

int state_put_pin(struct state *s, const struct state_pin *p)
{
	for (unsigned i = 0; i < s->n_pins; i++)
		if (s->pins[i].relay == p->relay) {
			s->pins[i] = *p;
			return 0;
		}
	if (s->n_pins == STATE_MAX_PINS)
		return -ENOSPC;
	s->pins[s->n_pins++] = *p;
	return 0;
}

/* --- writing */

static json_t *queues_json(const struct state_queue_cpu *q, unsigned n)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:i,s:i}", "queue", (json_int_t)q[i].queue, "cpu",
			(json_int_t)q[i].cpu));
	return a;
}

static json_t *entry_json(const struct state_entry *e)
{
	json_t *o = json_object(), *devs = json_array();
	json_object_set_new(o, "op", json_string(e->op == STATE_ADD ? "add" : "add_sock"));
	if (e->op == STATE_ADD_SOCK)
		json_object_set_new(o, "vhost_path", json_string(e->vhost_path));
	if (e->op == STATE_ADD || e->at_relay)
		json_object_set_new(o, "virtio_id", json_integer(e->virtio_id));
	for (unsigned i = 0; i < e->n_devices; i++)
		json_array_append_new(devs, json_string(e->devices[i]));
	json_object_set_new(o, "devices", devs);
	if (e->name != NULL)
		json_object_set_new(o, "name", json_string(e->name));
	if (e->mode >= 0)
		json_object_set_new(o, "mode", json_integer(e->mode));
	if (e->op == STATE_ADD_SOCK && e->vhost_mode != STATE_VHOST_DEFAULT)
		json_object_set_new(o, "vhost_mode",
			json_string(e->vhost_mode == STATE_VHOST_CLIENT ? "client" : "server"));
	return o;
}

char *state_to_json(const struct state *s)
{
	json_t *root = json_object(), *ports = json_array(), *pins = json_array();
	json_object_set_new(root, "version", json_integer(STATE_VERSION));
	for (unsigned i = 0; i < s->n_entries; i++)
		json_array_append_new(ports, entry_json(&s->entries[i]));
	for (unsigned i = 0; i < s->n_pins; i++) {
		const struct state_pin *p = &s->pins[i];
		json_array_append_new(pins, json_pack("{s:i,s:i,s:i,s:o,s:o}", "relay",
			(json_int_t)p->relay, "vf_to_vm_cpu", (json_int_t)p->vf_to_vm_cpu,
			"vm_to_vf_cpu", (json_int_t)p->vm_to_vf_cpu, "vf_to_vm_queues",
			queues_json(p->vf_to_vm_q, p->n_vf_to_vm_q), "vm_to_vf_queues",
			queues_json(p->vm_to_vf_q, p->n_vm_to_vf_q)));
	}
	json_object_set_new(root, "ports", ports);
	json_object_set_new(root, "pins", pins);
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		return NULL;
	/* a newline at the end: a file cut short loses it, and cat reads well */
	size_t len = strlen(text);
	char *out = realloc(text, len + 2);
	if (out == NULL) {
		free(text);
		return NULL;
	}
	out[len] = '\n';
	out[len + 1] = '\0';
	return out;
}

/* --- reading: every field checked, any surprise is an error */

static int why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int int_field(json_t *o, const char *key, long min, long max, bool required, long *out)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL)
		return required ? -1 : 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return -1;
	*out = (long)json_integer_value(v);
	return 1;
}

static char *str_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) && json_string_length(v) > 0 ? strdup(json_string_value(v)) : NULL;
}

static int parse_entry(json_t *o, long version, struct state_entry *e, char *why, size_t wl,
	size_t idx)
{
	long v = -1;
	e->mode = -1;
	e->vhost_mode = STATE_VHOST_DEFAULT;
	const char *op = json_string_value(json_object_get(o, "op"));
	if (!json_is_object(o) || op == NULL)
		return why_set(why, wl, "ports[%zu]: not an object with an \"op\"", idx);
	if (strcmp(op, "add") == 0) {
		e->op = STATE_ADD;
		if (int_field(o, "virtio_id", 0, 65535, true, &v) < 0)
			return why_set(why, wl, "ports[%zu]: add needs a virtio_id", idx);
		e->virtio_id = (unsigned)v;
		e->at_relay = true;
	} else if (strcmp(op, "add_sock") == 0) {
		e->op = STATE_ADD_SOCK;
		int has_id = version >= 2 ? int_field(o, "virtio_id", 0, 65535, false, &v) : 0;
		if (has_id < 0)
			return why_set(why, wl, "ports[%zu]: virtio_id must be 0..65535", idx);
		e->at_relay = has_id > 0;
		e->virtio_id = has_id > 0 ? (unsigned)v : 0;
		e->vhost_path = str_field(o, "vhost_path");
		if (e->vhost_path == NULL || e->vhost_path[0] != '/')
			return why_set(why, wl, "ports[%zu]: add_sock needs an absolute vhost_path", idx);
		json_t *m = json_object_get(o, "vhost_mode");
		if (m != NULL) {
			const char *ms = json_string_value(m);
			if (ms != NULL && strcmp(ms, "server") == 0)
				e->vhost_mode = STATE_VHOST_SERVER;
			else if (ms != NULL && strcmp(ms, "client") == 0)
				e->vhost_mode = STATE_VHOST_CLIENT;
			else
				return why_set(why, wl, "ports[%zu]: vhost_mode is server or client", idx);
		}
	} else {
		return why_set(why, wl, "ports[%zu]: unknown op \"%s\"", idx, op);
	}
	/* a socket whose VF was removed has none (version 2) */
	size_t min = e->op == STATE_ADD_SOCK && version >= 2 ? 0 : 1;
	json_t *devs = json_object_get(o, "devices");
	if (!json_is_array(devs) || json_array_size(devs) < min ||
		json_array_size(devs) > STATE_MAX_DEVICES)
		return why_set(why, wl, "ports[%zu]: devices must list %zu..%d devices", idx, min,
			STATE_MAX_DEVICES);
	for (size_t i = 0; i < json_array_size(devs); i++) {
		json_t *d = json_array_get(devs, i);
		if (!json_is_string(d) || json_string_length(d) == 0 ||
			(e->devices[e->n_devices] = strdup(json_string_value(d))) == NULL)
			return why_set(why, wl, "ports[%zu]: devices[%zu] is not a name", idx, i);
		e->n_devices++;
	}
	if (json_object_get(o, "name") != NULL && (e->name = str_field(o, "name")) == NULL)
		return why_set(why, wl, "ports[%zu]: name is not a string", idx);
	if (int_field(o, "mode", 0, 6, false, &v) < 0)
		return why_set(why, wl, "ports[%zu]: mode must be 0..6", idx);
	e->mode = json_object_get(o, "mode") != NULL ? (int)v : -1;
	return 0;
}

static int parse_queues(json_t *a, struct state_queue_cpu *q, unsigned *n)
{
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > STATE_MAX_QUEUES)
		return -1;
	for (size_t i = 0; i < json_array_size(a); i++) {
		long queue, cpu;
		json_t *o = json_array_get(a, i);
		if (!json_is_object(o) || int_field(o, "queue", 0, STATE_MAX_QUEUES - 1, true, &queue) < 0 ||
			int_field(o, "cpu", 0, 65535, true, &cpu) < 0)
			return -1;
		q[i] = (struct state_queue_cpu){(unsigned)queue, (int)cpu};
	}
	*n = (unsigned)json_array_size(a);
	return 0;
}

static int parse_pin(json_t *o, struct state_pin *p)
{
	long relay, a, b;
	memset(p, 0, sizeof(*p));
	if (!json_is_object(o) || int_field(o, "relay", 0, 65535, true, &relay) < 0 ||
		int_field(o, "vf_to_vm_cpu", 0, 65535, true, &a) < 0 ||
		int_field(o, "vm_to_vf_cpu", 0, 65535, true, &b) < 0)
		return -1;
	p->relay = (int)relay;
	p->vf_to_vm_cpu = (int)a;
	p->vm_to_vf_cpu = (int)b;
	if (parse_queues(json_object_get(o, "vf_to_vm_queues"), p->vf_to_vm_q, &p->n_vf_to_vm_q) < 0 ||
		parse_queues(json_object_get(o, "vm_to_vf_queues"), p->vm_to_vf_q, &p->n_vm_to_vf_q) < 0)
		return -1;
	return 0;
}

static int parse_root(json_t *root, struct state *s, char *why, size_t wl)
{
	long version;
	if (!json_is_object(root))
		return why_set(why, wl, "not a JSON object");
	if (int_field(root, "version", 0, 1L << 30, true, &version) < 0)
		return why_set(why, wl, "no version");
	if (version < 1 || version > STATE_VERSION)
		return why_set(why, wl, "version %ld, this daemon reads 1..%d", version, STATE_VERSION);
	json_t *ports = json_object_get(root, "ports"), *pins = json_object_get(root, "pins");
	if (!json_is_array(ports) || json_array_size(ports) > STATE_MAX_ENTRIES)
		return why_set(why, wl, "\"ports\" must be a list of at most %d", STATE_MAX_ENTRIES);
	if (!json_is_array(pins) || json_array_size(pins) > STATE_MAX_PINS)
		return why_set(why, wl, "\"pins\" must be a list of at most %d", STATE_MAX_PINS);
	for (size_t i = 0; i < json_array_size(ports); i++) {
		struct state_entry e;
		memset(&e, 0, sizeof(e));
		int ret = parse_entry(json_array_get(ports, i), version, &e, why, wl, i);
		if (ret == 0)
			ret = state_put(s, &e);
		else
			entry_free(&e);
		if (ret < 0)
			return ret == -EINVAL ? ret : why_set(why, wl, "ports[%zu]: no room", i);
	}
	for (size_t i = 0; i < json_array_size(pins); i++) {
		struct state_pin p;
		if (parse_pin(json_array_get(pins, i), &p) < 0)
			return why_set(why, wl, "pins[%zu]: needs relay, vf_to_vm_cpu, vm_to_vf_cpu "
				"and valid queue lists", i);
		state_put_pin(s, &p);
	}
	return 0;
}

int state_from_json(const char *text, size_t len, struct state *s, char *why, size_t why_len)
{
	json_error_t jerr;
	state_init(s);
	if (len == 0)
		return why_set(why, why_len, "empty file");
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return why_set(why, why_len, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	int ret = parse_root(root, s, why, why_len);
	json_decref(root);
	if (ret < 0)
		state_free(s);
	return ret;
}

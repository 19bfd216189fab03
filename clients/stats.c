/* SPDX-License-Identifier: BSD-3-Clause */
/* stats: the relays' counters, states and rates, as the original
 * virtioforwarder_stats.py prints them (flat key=value lines), or as
 * protobuf text or JSON. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "counters.h"
#include "virtioforwarder.pb-c.h"

/* the original's line order within a direction */
static const char *const up_fields[] = {"pkts_rx_from_vf", "bytes_rx_from_vf", "pkts_tx_to_vm",
	"bytes_tx_to_vm", "pkt_rate_rx_from_vf", "byte_rate_rx_from_vf", "pkt_rate_tx_to_vm",
	"byte_rate_tx_to_vm", "pkts_dropped_vm_queue_full", "bytes_dropped_vm_queue_full",
	"pkts_dropped_vm_not_connected", "bytes_dropped_vm_not_connected", NULL};
static const char *const down_fields[] = {"pkts_rx_from_vm", "bytes_rx_from_vm", "pkts_tx_to_vf",
	"bytes_tx_to_vf", "pkt_rate_rx_from_vm", "byte_rate_rx_from_vm", "pkt_rate_tx_to_vf",
	"byte_rate_tx_to_vf", "pkts_dropped_vf_queue_full", "bytes_dropped_vf_queue_full",
	"pkts_dropped_vf_not_connected", "bytes_dropped_vf_not_connected", NULL};

/* our extension lines, after the original's */
/* every counter's name per direction (api/counters.h): those the
 * original did not have are printed after its lines */
static const char *const up_counters[] = {
#define UP_NAME(field, up, down, family, reason, help) #up,
	RELAY_COUNTERS(UP_NAME)
#undef UP_NAME
	NULL};
static const char *const down_counters[] = {
#define DOWN_NAME(field, up, down, family, reason, help) #down,
	RELAY_COUNTERS(DOWN_NAME)
#undef DOWN_NAME
	NULL};

static bool listed(const char *const *names, const char *name)
{
	for (unsigned i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* the VF's extension lines, after the original's pci_addr_str */
static const char *const vf_ext_fields[] = {"link", "link_speed", "rx_missed", "rx_nombuf",
	"rx_errors", "tx_errors", NULL};

static bool suppress_zero;

/* one "prefix.name=value" line if the field is present */
static void flat_field(const char *prefix, const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	const char *base = (const char *)m;
	if (f == NULL)
		return;
	const void *p = base + f->offset;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
		!*(const protobuf_c_boolean *)(base + f->quantifier_offset))
		return;
	char num[40];
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		printf("%s.%s=%s\n", prefix, name, *(const protobuf_c_boolean *)p ? "True" : "False");
		break;
	case PROTOBUF_C_TYPE_STRING:
		if (*(char *const *)p != NULL)
			printf("%s.%s=%s\n", prefix, name, *(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		printf("%s.%s=%s\n", prefix, name, client_py_float(*(const float *)p, num));
		break;
	case PROTOBUF_C_TYPE_UINT64:
		if (!suppress_zero || *(const uint64_t *)p != 0)
			printf("%s.%s=%llu\n", prefix, name, (unsigned long long)*(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT32:
		if (!suppress_zero || *(const int32_t *)p != 0)
			printf("%s.%s=%d\n", prefix, name, *(const int32_t *)p);
		break;
	default:
		if (!suppress_zero || *(const uint32_t *)p != 0)
			printf("%s.%s=%u\n", prefix, name, *(const uint32_t *)p);
		break;
	}
}

static void flat_direction(const char *relay, const char *dir, const ProtobufCMessage *m,
	const char *const *fields, bool has_cpu, int cpu)
{
	char prefix[96], counters[128];
	snprintf(prefix, sizeof(prefix), "%s.%s", relay, dir);
	flat_field(prefix, m, "active");
	flat_field(prefix, m, "internal_state");
	if (has_cpu)
		snprintf(counters, sizeof(counters), "%s.cpu_%d", prefix, cpu);
	else
		snprintf(counters, sizeof(counters), "%s", prefix);
	for (unsigned i = 0; fields[i] != NULL; i++)
		flat_field(counters, m, fields[i]);
	const char *const *all = fields == up_fields ? up_counters : down_counters;
	for (unsigned i = 0; all[i] != NULL; i++)
		if (!listed(fields, all[i]))
			flat_field(prefix, m, all[i]);
}

/* relay_N.<dir>.queue_Q.cpu=C, .pkts=P and (from a daemon that sends
 * them) .pkt_rate and .byte_rate, per queue unit */
static void flat_queues(const char *relay, const char *dir, Virtioforwarder__RelayQueue **q,
	size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "%s.%s.queue_%u", relay, dir, q[i]->queue);
		printf("%s.cpu=%d\n", prefix, q[i]->cpu);
		flat_field(prefix, &q[i]->base, "pkts");
		flat_field(prefix, &q[i]->base, "pkt_rate");
		flat_field(prefix, &q[i]->base, "byte_rate");
	}
}

/* worker_C.<counter>=V, our extension, after every relay's lines */
static void flat_workers(const Virtioforwarder__StatsResponse *r)
{
	static const char *const fields[] = {"busy_cycles", "packets", "sleeps", "missed_wakeups",
		"tsc_hz", NULL};
	for (size_t i = 0; i < r->n_worker; i++) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "worker_%u", r->worker[i]->cpu);
		for (unsigned k = 0; fields[k] != NULL; k++)
			flat_field(prefix, &r->worker[i]->base, fields[k]);
	}
}

static void print_flat(const Virtioforwarder__StatsResponse *r)
{
	for (size_t i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		char relay[32], sub[64];
		snprintf(relay, sizeof(relay), "relay_%u", rs->id);
		flat_field(relay, &rs->base, "active");
		if (rs->cpu != NULL) {
			snprintf(sub, sizeof(sub), "%s.cpu", relay);
			flat_field(sub, &rs->cpu->base, "vf_to_vm");
			flat_field(sub, &rs->cpu->base, "vm_to_vf");
		}
		if (rs->vf != NULL) {
			snprintf(sub, sizeof(sub), "%s.vf", relay);
			flat_field(sub, &rs->vf->base, "pci_addr_str");
		}
		if (rs->vhost != NULL) {
			snprintf(sub, sizeof(sub), "%s.vhost", relay);
			flat_field(sub, &rs->vhost->base, "vhost_socket_name");
		}
		bool up_cpu = rs->cpu != NULL && rs->cpu->has_vf_to_vm;
		bool down_cpu = rs->cpu != NULL && rs->cpu->has_vm_to_vf;
		if (rs->vf_to_vm != NULL)
			flat_direction(relay, "vf_to_vm", &rs->vf_to_vm->base, up_fields, up_cpu,
				up_cpu ? rs->cpu->vf_to_vm : 0);
		if (rs->vm_to_vf != NULL)
			flat_direction(relay, "vm_to_vf", &rs->vm_to_vf->base, down_fields, down_cpu,
				down_cpu ? rs->cpu->vm_to_vf : 0);
		flat_field(relay, &rs->base, "vf_queues");
		flat_field(relay, &rs->base, "guest_queue_pairs");
		if (rs->vf != NULL) {
			snprintf(sub, sizeof(sub), "%s.vf", relay);
			for (unsigned k = 0; vf_ext_fields[k] != NULL; k++)
				flat_field(sub, &rs->vf->base, vf_ext_fields[k]);
		}
		flat_field(relay, &rs->base, "vf_resets");
		flat_field(relay, &rs->base, "vf_removals");
		flat_field(relay, &rs->base, "log_suppressed");
		if (rs->vf_to_vm != NULL)
			flat_queues(relay, "vf_to_vm", rs->vf_to_vm->queue, rs->vf_to_vm->n_queue);
		if (rs->vm_to_vf != NULL)
			flat_queues(relay, "vm_to_vf", rs->vm_to_vf->queue, rs->vm_to_vf->n_queue);
	}
}

static int bad(const char *msg)
{
	fprintf(stderr,
		"stats: %s\nusage: stats [--stats-ep EP] [--include-inactive] [--delay MS] [-z]\n"
		"             [--output-format flat|protobuf|json]\n",
		msg);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"stats-ep", required_argument, NULL, 'e'},
		{"include-inactive", no_argument, NULL, 'i'},
		{"delay", required_argument, NULL, 'd'},
		{"suppress-zero", no_argument, NULL, 'z'},
		{"output-format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *ep = EP_DIR "stats", *format = "flat";
	Virtioforwarder__StatsRequest req = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	char *end;
	int opt;

	/* always explicit, as the original client */
	req.has_include_inactive = req.has_delay = true;
	req.include_inactive = false;
	req.delay = 200;
	while ((opt = getopt_long(argc, argv, "zh", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			ep = optarg;
			break;
		case 'i':
			req.include_inactive = true;
			break;
		case 'd':
			req.delay = (uint32_t)strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || optarg[0] == '-')
				return bad("invalid --delay");
			break;
		case 'z':
			suppress_zero = true;
			break;
		case 'f':
			format = optarg;
			if (strcmp(format, "flat") && strcmp(format, "protobuf") && strcmp(format, "json"))
				return bad("invalid --output-format");
			break;
		case 'h':
			return bad("help") == 2 ? 0 : 0;
		default:
			return bad("invalid option");
		}
	}
	if (optind != argc)
		return bad("unexpected argument");

	Virtioforwarder__StatsResponse *r = client_ask("stats", ep, &req.base,
		&virtioforwarder__stats_response__descriptor, 2000 + (int)req.delay);
	if (r == NULL)
		return 1;
	int status = 0;
	if (r->status != VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK) {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
			&virtioforwarder__stats_response__status__descriptor, (int)r->status);
		fprintf(stderr, "ERROR:%s:StatsResponse: %s\n", program_invocation_short_name,
			ev ? ev->name : "?");
		status = 1;
	} else if (strcmp(format, "flat") == 0) {
		print_flat(r);
		flat_workers(r);
	} else if (strcmp(format, "protobuf") == 0) {
		client_print_text(stdout, &r->base, 0);
	} else {
		json_t *j = client_to_json(&r->base);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		fputc('\n', stdout);
		json_decref(j);
	}
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	return status;
}

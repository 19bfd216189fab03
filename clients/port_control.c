/* SPDX-License-Identifier: BSD-3-Clause */
/* port_control OP [options]: add/remove VFs and sockets at run time, as
 * the original virtioforwarder_port_control.py (same flags, output and
 * exit codes), plus --device for devices that are not PCI addresses. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "virtioforwarder.pb-c.h"

#define MAX_DEVS 8
#define TIMEOUT_MS 2000

static const char usage[] =
	"usage: port_control {add,remove,add_sock,remove_sock,query_pci} [options]\n"
	"  --virtio-id N        relay id (add, remove)\n"
	"  --pci-addr ADDR      VF PCI address, DDDD:BB:SS.F or BB:SS.F; repeat for a bond\n"
	"  --device DEVARGS     a device that is not a PCI address (net_tap0,iface=vf0); repeatable\n"
	"  --vhost-path PATH    vhost-user socket (add_sock, remove_sock, query_pci)\n"
	"  --name NAME          bond name (net_bondingN), needed with several devices\n"
	"  --mode 0..6          bond mode (default 1, active-backup)\n"
	"  --vhost-mode MODE    add_sock: this socket's vhost-user role, server (the\n"
	"                       forwarder listens) or client (it dials the VM's socket);\n"
	"                       default: the daemon's --vhostuser-client setting\n"
	"  --conditional        succeed if already done (add) or nothing to do (remove)\n"
	"  --zmq_ep EP          port control endpoint (default " EP_DIR "port_control)\n";

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "port_control: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "", usage);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"virtio-id", required_argument, NULL, 'i'},
		{"pci-addr", required_argument, NULL, 'p'},
		{"device", required_argument, NULL, 'D'},
		{"vhost-path", required_argument, NULL, 'v'},
		{"name", required_argument, NULL, 'n'},
		{"mode", required_argument, NULL, 'm'},
		{"conditional", no_argument, NULL, 'c'},
		{"vhost-mode", required_argument, NULL, 'M'},
		{"zmq_ep", required_argument, NULL, 'z'},
		{"zmq-ep", required_argument, NULL, 'z'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	Virtioforwarder__PortControlRequest req = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	Virtioforwarder__PciAddress addrs[MAX_DEVS], *addr_ptrs[MAX_DEVS];
	char *devargs[MAX_DEVS];
	const char *ep = EP_DIR "port_control";
	char *end;
	int opt;

	req.has_conditional = true; /* always sent, false unless asked: as the original */
	req.conditional = false;
	req.pci_addrs = addr_ptrs;
	req.devargs = devargs;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			req.virtio_id = (uint32_t)strtoul(optarg, &end, 0);
			if (*optarg == '\0' || *end != '\0' || optarg[0] == '-')
				return bad("invalid --virtio-id", optarg);
			req.has_virtio_id = true;
			break;
		case 'p': {
			if (req.n_pci_addrs + req.n_devargs == MAX_DEVS)
				return bad("too many devices", NULL);
			Virtioforwarder__PciAddress *a = &addrs[req.n_pci_addrs];
			virtioforwarder__pci_address__init(a);
			if (client_parse_pci(optarg, &a->domain, &a->bus, &a->slot, &a->function) < 0)
				return bad("invalid --pci-addr (DDDD:BB:SS.F or BB:SS.F)", optarg);
			addr_ptrs[req.n_pci_addrs++] = a;
			break;
		}
		case 'D':
			if (req.n_pci_addrs + req.n_devargs == MAX_DEVS)
				return bad("too many devices", NULL);
			devargs[req.n_devargs++] = optarg;
			break;
		case 'v':
			req.vhost_path = optarg;
			break;
		case 'n':
			req.name = optarg;
			break;
		case 'm':
			req.mode = (uint32_t)strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || req.mode > 6)
				return bad("invalid --mode (0..6)", optarg);
			req.has_mode = true;
			break;
		case 'c':
			req.conditional = true;
			break;
		case 'M':
			if (strcmp(optarg, "server") == 0)
				req.vhost_mode = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__SERVER;
			else if (strcmp(optarg, "client") == 0)
				req.vhost_mode = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__VHOST_MODE__CLIENT;
			else
				return bad("invalid --vhost-mode (server or client)", optarg);
			req.has_vhost_mode = true;
			break;
		case 'z':
			ep = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return bad("invalid option", NULL);
		}
	}
	if (optind != argc - 1)
		return bad("one operation is needed", NULL);
	static const char *const ops[] = {"add", "remove", "add_sock", "remove_sock", "query_pci"};
	int op = -1;
	for (int i = 0; i < 5; i++)
		if (strcasecmp(argv[optind], ops[i]) == 0)
			op = i;
	if (op < 0)
		return bad("unknown operation", argv[optind]);
	req.op = (Virtioforwarder__PortControlRequest__Op)op;
	if (req.name != NULL && !req.has_mode) {
		req.has_mode = true; /* the original sends mode 1 with a name */
		req.mode = 1;
	}

	Virtioforwarder__PortControlResponse *r = client_ask("port_control", ep, &req.base,
		&virtioforwarder__port_control_response__descriptor, TIMEOUT_MS);
	if (r == NULL)
		return 1;
	int status = 0;
	if (r->status != VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK) {
		client_print_text(stdout, &r->base, 0);
		fputc('\n', stdout);
		status = 1;
	} else if (r->query_string != NULL && r->query_string[0] != '\0') {
		printf("%s\n", r->query_string);
	}
	virtioforwarder__port_control_response__free_unpacked(r, NULL);
	return status;
}

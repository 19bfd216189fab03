#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A REP server that records each request's bytes (hex, one per line) and
answers with a canned reply built with Google's protobuf, so our C clients
are checked against the original's wire bytes and outputs, not against our
daemon.  mock_server.py PB2_DIR EP LOG REPLY_KIND"""
import sys
sys.path.insert(0, sys.argv[1])
import zmq
import virtioforwarder_pb2 as pb

ep, log, kind = sys.argv[2], sys.argv[3], sys.argv[4]

def stats_reply():
    # reference Appendix A: relay 0 untouched, relay 1 active on CPUs 2/1,
    # relay 2 with a VF and no VM
    r = pb.StatsResponse(status=pb.StatsResponse.OK)
    def dirs(rs, up_active, up_state, down_active, down_state):
        rs.vf_to_vm.active, rs.vf_to_vm.internal_state = up_active, up_state
        rs.vm_to_vf.active, rs.vm_to_vf.internal_state = down_active, down_state
        for d, names in ((rs.vf_to_vm, ("pkt_rate_rx_from_vf", "byte_rate_rx_from_vf",
                                          "pkt_rate_tx_to_vm", "byte_rate_tx_to_vm")),
                         (rs.vm_to_vf, ("pkt_rate_rx_from_vm", "byte_rate_rx_from_vm",
                                          "pkt_rate_tx_to_vf", "byte_rate_tx_to_vf"))):
            for n in names:
                setattr(d, n, 0.0)
    r0 = r.relay.add(id=0, active=False, socket_id=4294967295)
    r0.vhost.vhost_socket_name = "NONE"
    dirs(r0, False, "DPDK_UNINIT", False, "VIRTIO_UNINIT")
    r1 = r.relay.add(id=1, active=True, socket_id=0)
    r1.cpu.vf_to_vm, r1.cpu.vm_to_vf = 2, 1
    r1.vf.pci_addr_str = "0000:05:08.1"
    r1.vhost.vhost_socket_name = "/tmp/virtio-forwarder/virtio-forwarder1.sock"
    dirs(r1, True, "DPDK_READY", True, "VIRTIO_READY")
    u = r1.vf_to_vm
    u.pkts_rx_from_vf, u.bytes_rx_from_vf, u.pkts_tx_to_vm, u.bytes_tx_to_vm = 100, 6400, 100, 6400
    u.pkt_rate_rx_from_vf = 12.3
    u.pkts_dropped_vm_queue_full, u.pkts_dropped_vm_not_connected = 0, 3
    d = r1.vm_to_vf
    d.pkts_rx_from_vm, d.bytes_rx_from_vm, d.pkts_tx_to_vf, d.bytes_tx_to_vf = 50, 3200, 50, 3200
    d.pkts_dropped_vf_queue_full, d.pkts_dropped_vf_not_connected = 0, 0
    r2 = r.relay.add(id=2, active=False, socket_id=0)
    r2.cpu.vf_to_vm = 1
    r2.vf.pci_addr_str = "0000:05:08.2"
    r2.vhost.vhost_socket_name = "/tmp/virtio-forwarder/virtio-forwarder2.sock"
    dirs(r2, True, "DPDK_ADDED", False, "VIRTIO_UNINIT")
    u = r2.vf_to_vm
    u.pkts_rx_from_vf = u.bytes_rx_from_vf = u.pkts_tx_to_vm = u.bytes_tx_to_vm = 0
    u.pkts_dropped_vm_queue_full = u.pkts_dropped_vm_not_connected = 0
    return r

def reply(raw):
    if kind == "port_ok":
        return pb.PortControlResponse(status=pb.PortControlResponse.OK)
    if kind == "port_query":
        return pb.PortControlResponse(status=pb.PortControlResponse.OK, query_string="0000:05:08.1")
    if kind == "port_err8":
        return pb.PortControlResponse(status=pb.PortControlResponse.ERROR, error_code=8,
                                      error_code_source="virtio_forwarder_add_vf2()")
    if kind == "port_bare":
        return pb.PortControlResponse(status=pb.PortControlResponse.ERROR)
    if kind == "stats":
        return stats_reply()
    if kind == "stats_ebadr":
        return pb.StatsResponse(status=pb.StatsResponse.EBADR)
    if kind == "config":
        r = pb.ConfigResponse(status=pb.ConfigResponse.OK)
        m = r.relay_cpu_map.add(relay_number=1, vf2virtio_cpu=2, virtio2vf_cpu=1)
        return r
    if kind == "core":
        req = pb.CoreSchedRequest()
        req.ParseFromString(raw)
        return pb.CoreSchedResponse(status=pb.CoreSchedResponse.OK, eal_cores=[1, 2])
    raise SystemExit("unknown reply kind " + kind)

ctx = zmq.Context()
s = ctx.socket(zmq.REP)
s.bind(ep)
with open(log, "a", buffering=1) as f:
    print("ready", file=f)
    while True:
        raw = s.recv()
        print(raw.hex(), file=f)
        s.send(reply(raw).SerializeToString())

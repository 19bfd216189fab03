#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Log the announcements that arrive on this netns's interfaces: RARP
(what librte_vhost sends for a guest on QEMU's request) and gratuitous ARP
(what a guest sends itself), one line each: "TIME IFNAME rarp|garp SRC_MAC".
Frames this host sends out are left out. Runs until SIGTERM.
  announce_sniff.py LOG
One ETH_P_ALL socket, since only those see frames on a bridge's ports (the
bridge takes them before protocol sockets would); a classic BPF filter in
the kernel keeps everything but ARP and RARP away."""
import ctypes, signal, socket, struct, sys, time

ETH_P_ALL, ETH_P_ARP, ETH_P_RARP = 0x0003, 0x0806, 0x8035
SO_ATTACH_FILTER = 26
FILTER = [  # (code, jt, jf, k)
    (0x28, 0, 0, 12),          # ldh [12]          ethertype
    (0x15, 2, 0, ETH_P_RARP),  # jeq RARP -> keep
    (0x15, 1, 0, ETH_P_ARP),   # jeq ARP  -> keep
    (0x06, 0, 0, 0),           # ret 0             drop
    (0x06, 0, 0, 0xFFFF),      # ret 65535         keep
]


def kind(frame):
    proto = struct.unpack("!H", frame[12:14])[0]
    if proto == ETH_P_RARP:
        return "rarp"
    # ARP over Ethernet/IPv4 whose sender and target addresses are equal
    if proto == ETH_P_ARP and len(frame) >= 42 and frame[28:32] == frame[38:42]:
        return "garp"
    return None


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    prog = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in FILTER))
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER,
                 struct.pack("HL", len(FILTER), ctypes.addressof(prog)))
    with open(sys.argv[1], "w") as log:
        while True:
            frame, addr = s.recvfrom(2048)
            # addr: (ifname, proto, pkttype, hatype, hwaddr)
            k = kind(frame)
            if addr[2] == socket.PACKET_OUTGOING or k is None:
                continue
            mac = ":".join(f"{b:02x}" for b in frame[6:12])
            log.write(f"{time.time():.3f} {addr[0]} {k} {mac}\n")
            log.flush()


main()

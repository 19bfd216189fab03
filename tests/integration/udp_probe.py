#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""UDP echo, to measure how long a path is broken.
  udp_probe.py echo PORT                 echo every datagram back (forever)
  udp_probe.py probe HOST PORT SECONDS   send a numbered datagram every 10 ms
                                         for SECONDS; print the wall-clock time
                                         of every echo received, one a line"""
import socket, sys, time

def main():
    if sys.argv[1] == "echo":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[2])))
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)
    host, port, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.001)
    end, seq, next_send = time.time() + secs, 0, 0.0
    while time.time() < end:
        now = time.time()
        if now >= next_send:
            s.sendto(seq.to_bytes(4, "big"), (host, port))
            seq += 1
            next_send = now + 0.01
        try:
            s.recv(2048)
            print("%.4f" % time.time(), flush=True)
        except socket.timeout:
            pass

main()

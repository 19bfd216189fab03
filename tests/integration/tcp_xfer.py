#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TCP bulk transfer with an end-to-end digest.
  tcp_xfer.py sink PORT            accept one connection, print "<bytes> <sha256>"
  tcp_xfer.py send HOST PORT BYTES send BYTES pseudo-random bytes, print the same
Both sides print the digest so the caller compares them."""
import hashlib, random, socket, sys

def main():
    if sys.argv[1] == "sink":
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("0.0.0.0", int(sys.argv[2])))
        srv.listen(1)
        srv.settimeout(60)
        conn, _ = srv.accept()
        conn.settimeout(60)
        h, n = hashlib.sha256(), 0
        while True:
            b = conn.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
        print(n, h.hexdigest(), flush=True)
    else:
        host, port, total = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        rnd = random.Random(42)
        s = socket.create_connection((host, port), timeout=60)
        h, sent = hashlib.sha256(), 0
        while sent < total:
            chunk = rnd.randbytes(min(65536, total - sent))
            s.sendall(chunk)
            h.update(chunk)
            sent += len(chunk)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # wait for the sink to close
        print(sent, h.hexdigest(), flush=True)

main()

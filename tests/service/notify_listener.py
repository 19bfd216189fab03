#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Play systemd's part of sd_notify: bind a datagram socket and write each
message received to a file, one line per assignment, with a sequence
number.  notify_listener.py SOCKET_PATH OUT_FILE"""
import socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    print("LISTENING", file=f)
    n = 0
    while True:
        msg = s.recv(4096).decode()
        n += 1
        for line in msg.split("\n"):
            if line:
                print("%d %s" % (n, line), file=f)

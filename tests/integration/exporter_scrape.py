#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Concurrent scrapes of vfwd-exporter while one client holds a connection
open without sending and another sends half a request line and stops.
Every scrape must be answered within LIMIT seconds of the common start
(the issue's acceptance criterion: 1 s), keep-alive must carry a second
request (HEAD: headers only, the GET's length) on the same connection,
and the idle and slow clients must still be served afterwards.
usage: exporter_scrape.py PORT [N] [LIMIT]"""
import http.client
import socket
import statistics
import sys
import threading
import time

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
LIMIT = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
errors = []


def fail(msg):
    errors.append(msg)


idle = socket.create_connection((HOST, PORT))  # connects, never sends (yet)
slow = socket.create_connection((HOST, PORT))
slow.sendall(b"GET /metr")  # half a request line, then nothing
time.sleep(0.3)  # both are the server's before the scrapes start

start = threading.Barrier(N + 1)
t0 = [0.0]
latency = [None] * N


def scrape(i):
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    c.connect()
    start.wait()
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        body = r.read()
        latency[i] = time.monotonic() - t0[0]
        if r.status != 200 or b"\nvirtio_forwarder_up 1\n" not in body:
            fail(f"scrape {i}: status {r.status}, body {body[:200]!r}")
            return
        sock = c.sock
        c.request("HEAD", "/metrics")
        r = c.getresponse()
        head_body = r.read()
        length = int(r.getheader("Content-Length", "-1"))
        if r.status != 200 or head_body != b"" or length != len(body):
            fail(f"HEAD {i}: status {r.status}, length {length} (GET {len(body)}), body {head_body[:80]!r}")
        if c.sock is None or c.sock is not sock:
            fail(f"scrape {i}: connection not kept alive")
    except Exception as e:  # noqa: BLE001 - any failure is the test's
        fail(f"scrape {i}: {e!r}")
    finally:
        c.close()


threads = [threading.Thread(target=scrape, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
t0[0] = time.monotonic()
start.wait()
for t in threads:
    t.join(15)

done = [x for x in latency if x is not None]
if len(done) != N:
    fail(f"{N - len(done)} of {N} scrapes not answered")
if done:
    print(f"{len(done)} concurrent scrapes: median {statistics.median(done) * 1000:.1f} ms, "
          f"max {max(done) * 1000:.1f} ms (limit {LIMIT * 1000:.0f} ms)")
    if max(done) > LIMIT:
        fail(f"slowest scrape took {max(done):.3f} s > {LIMIT} s")


def answer_on(sock, what):
    try:
        sock.settimeout(5)
        sock.sendall(what)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
        return got.split(b"\r\n", 1)[0]
    except OSError as e:
        return repr(e).encode()


line = answer_on(idle, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
if not line.startswith(b"HTTP/1.1 200"):
    fail(f"idle client, then a request: {line!r}")
line = answer_on(slow, b"ics HTTP/1.1\r\nHost: x\r\n\r\n")
if not line.startswith(b"HTTP/1.1 200"):
    fail(f"slow client, rest of its request: {line!r}")

c = http.client.HTTPConnection(HOST, PORT, timeout=5)
c.request("POST", "/metrics", body=b"x")
r = c.getresponse()
r.read()
if r.status != 405 or "GET" not in (r.getheader("Allow") or ""):
    fail(f"POST: {r.status} Allow={r.getheader('Allow')}")
c.close()

for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)

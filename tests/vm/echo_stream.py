#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TCP stream through an echo: pseudo-random bytes out at RATE bytes/s,
the echo checked byte for byte against the same generator as it comes back.
  echo_stream.py connect HOST PORT STOPFILE GAPLOG   (we dial the echo server)
  echo_stream.py listen PORT STOPFILE GAPLOG         (the echoer dials us)
It sends until STOPFILE exists, then half-closes and reads the echo to EOF.
GAPLOG gets one line "START SECONDS" per pause of more than 20 ms between
received chunks (a stall). Prints "sent N echoed N longest_gap_ms G" and
exits 0 only if every byte came back, in order and intact.
Env: RATE (bytes/s, default 1000000), SECS (bound on the whole run, 300),
PROGRESS (a file that always holds the count of bytes echoed so far)."""
import os, random, socket, sys, threading, time

RATE = int(os.environ.get("RATE", "1000000"))
LIMIT = float(os.environ.get("SECS", "300"))
CHUNK = 8192
SEED = 20240610


def open_conn(argv):
    if argv[1] == "connect":
        end = time.time() + 30
        while True:
            try:
                return socket.create_connection((argv[2], int(argv[3])), timeout=5), argv[4:]
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.2)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", int(argv[2])))
    srv.listen(1)
    srv.settimeout(60)
    conn, _ = srv.accept()
    srv.close()
    return conn, argv[3:]


def main():
    conn, (stopfile, gaplog) = open_conn(sys.argv)
    conn.settimeout(LIMIT)
    deadline = time.time() + LIMIT
    sent = [0]

    def sender():
        gen = random.Random(SEED)
        t0 = time.time()
        while not os.path.exists(stopfile) and time.time() < deadline:
            conn.sendall(gen.randbytes(CHUNK))
            sent[0] += CHUNK
            ahead = sent[0] / RATE - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
        conn.shutdown(socket.SHUT_WR)

    th = threading.Thread(target=sender, daemon=True)
    th.start()
    want = random.Random(SEED)
    got, longest, bad = 0, 0.0, None
    last = time.time()
    progress = os.environ.get("PROGRESS")
    with open(gaplog, "w") as log:
        while True:
            try:
                b = conn.recv(65536)
            except socket.timeout:
                bad = "timed out"
                break
            now = time.time()
            if now - last > 0.02:
                log.write(f"{last:.3f} {now - last:.3f}\n")
                log.flush()
            longest = max(longest, now - last)
            last = now
            if not b:
                break
            if want.randbytes(len(b)) != b:
                bad = f"echo differs in bytes {got}..{got + len(b)}"
                break
            got += len(b)
            if progress:
                with open(progress + ".tmp", "w") as p:
                    p.write(f"{got}\n")
                os.replace(progress + ".tmp", progress)
    th.join(5)
    print(f"sent {sent[0]} echoed {got} longest_gap_ms {longest * 1000:.0f}", flush=True)
    if bad or got != sent[0]:
        sys.exit(f"echo_stream: {bad or 'echo short'}")


main()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A tiny QMP client (QEMU's JSON monitor on a unix socket).
  qmp.py SOCK wait [STATUS] [SECS]  wait for the monitor (and for that run state)
  qmp.py SOCK migrate URI         migrate, poll until done; print one JSON line
                                  {"start","end","status","total_ms","downtime_ms",
                                   "setup_ms","ram_mb"}; exit 1 unless completed
  qmp.py SOCK quit                end QEMU
  qmp.py SOCK left STATUS [SECS]  wait until the run state is no longer STATUS
  qmp.py SOCK pmemsave FILE BYTES guest physical memory [0, BYTES) to FILE
  qmp.py SOCK cont                resume a paused guest (-S)
  qmp.py SOCK rings               per virtqueue of the first virtio device:
                                  "vq N desc=GPA avail=GPA used=GPA
                                   last_avail=I used_idx=I" (x-query-virtio)
Every wait is bounded (30 s unless told); errors exit 1 with a message."""
import json, socket, sys, time


class Qmp:
    def __init__(self, path, secs=30.0):
        end = time.time() + secs
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.time() > end:
                    sys.exit(f"qmp: no monitor at {path}")
                time.sleep(0.05)
        # QEMU greets only once its main loop runs (after vhost-user connects)
        self.s.settimeout(max(1.0, end - time.time()))
        self.f = self.s.makefile("rb")
        self.read()  # greeting
        self.s.settimeout(30)
        self.cmd("qmp_capabilities")

    def read(self):
        line = self.f.readline()
        if not line:
            sys.exit("qmp: monitor closed")
        return json.loads(line)

    def cmd(self, name, **args):
        self.s.sendall(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        while True:
            msg = self.read()
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                sys.exit(f"qmp: {name}: {msg['error'].get('desc')}")
            # an event ({"event": ...}): not ours


def main():
    path, op = sys.argv[1], sys.argv[2]
    if op == "wait":
        want = sys.argv[3] if len(sys.argv) > 3 else None
        secs = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
        end = time.time() + secs
        q = Qmp(path, secs)
        while want is not None and q.cmd("query-status")["status"] != want:
            if time.time() > end:
                sys.exit(f"qmp: not {want} after {secs} s")
            time.sleep(0.02)
    elif op == "migrate":
        q = Qmp(path)
        start = time.time()
        q.cmd("migrate", uri=sys.argv[3])
        while True:
            m = q.cmd("query-migrate")
            if m.get("status") in ("completed", "failed", "cancelled"):
                break
            if time.time() > start + 60:
                sys.exit("qmp: migration still running after 60 s")
            time.sleep(0.01)
        end = time.time()
        print(json.dumps({"start": start, "end": end, "status": m["status"],
                          "total_ms": m.get("total-time"), "downtime_ms": m.get("downtime"),
                          "setup_ms": m.get("setup-time"),
                          "ram_mb": round(m.get("ram", {}).get("transferred", 0) / 2**20, 1),
                          "error": m.get("error-desc")}), flush=True)
        sys.exit(0 if m["status"] == "completed" else 1)
    elif op == "left":
        secs = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
        end = time.time() + secs
        q = Qmp(path, secs)
        while q.cmd("query-status")["status"] == sys.argv[3]:
            if time.time() > end:
                sys.exit(f"qmp: still {sys.argv[3]} after {secs} s")
            time.sleep(0.02)
    elif op == "pmemsave":
        Qmp(path).cmd("pmemsave", val=0, size=int(sys.argv[4]), filename=sys.argv[3])
    elif op == "rings":
        q = Qmp(path)
        dev = q.cmd("x-query-virtio")[0]["path"]
        for n in range(2):
            st = q.cmd("x-query-virtio-queue-status", path=dev, queue=n)
            print(f"vq {n} desc=0x{st['vring-desc']:x} avail=0x{st['vring-avail']:x} "
                  f"used=0x{st['vring-used']:x} last_avail={st['last-avail-idx']} "
                  f"used_idx={st['used-idx']}", flush=True)
    elif op == "ringidx":  # live split-ring indexes, read from guest RAM
        import struct, tempfile
        q = Qmp(path)
        dev = q.cmd("x-query-virtio")[0]["path"]
        out = []
        for n in range(2):
            st = q.cmd("x-query-virtio-queue-status", path=dev, queue=n)
            idx = []
            for area in ("vring-avail", "vring-used"):
                with tempfile.NamedTemporaryFile() as f:
                    q.cmd("pmemsave", val=st[area], size=4, filename=f.name)
                    idx.append(struct.unpack("<HH", f.read(4)))
            out.append(f"vq {n} avail flags={idx[0][0]} idx={idx[0][1]} "
                       f"used flags={idx[1][0]} idx={idx[1][1]}")
        print("; ".join(out), flush=True)
    elif op == "cont":
        Qmp(path).cmd("cont")
    elif op == "quit":
        q = Qmp(path)
        q.s.sendall(b'{"execute": "quit"}\n')
    else:
        sys.exit(f"qmp: unknown op {op}")


main()

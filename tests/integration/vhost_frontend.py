#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A minimal vhost-user front-end (the part QEMU plays) for one virtio-net
queue pair, driven line by line on stdin; it answers each command with one
line on stdout. Guest memory is one memfd region at guest physical address 0;
the guest RX ring (ring 0) is kept full of 2 KB buffers and reaped every few
ms, the guest TX ring (ring 1) sends 60-byte frames on request.

It exists to do what neither QEMU nor DPDK's virtio_user does: disable the
only RX queue of a running device (SET_VRING_ENABLE 0 on ring 0) and carry
on, and send the back-end malformed messages.

Commands (reply "ok ..." or "err ..."):
  connect [enable_first]  the whole handshake; enable_first sends
                          SET_VRING_ENABLE before each ring's addresses
  enable RING 0|1         SET_VRING_ENABLE (any ring index), acked
  rx                      "ok RECEIVED BAD_LEN" (frames reaped, those of a
                          length other than 12 + 64)
  state                   RX ring: "ok AVAIL_IDX USED_IDX REAPED"
  send N                  post N frames on the TX ring and kick it
  tx                      "ok COMPLETED POSTED"
  bad KIND                a malformed message (Frontend.bad); "ok ack=A"
                          or "ok closed" when the back-end hung up
  poke_desc ADDR          point every RX descriptor at ADDR (outside
                          guest memory)
  fix_desc                undo poke_desc
  close                   close the socket (the guest goes away)
  (crafted TX, issue 16; see the CraftedTx block)
  features HEX            virtio-net feature bits to ask for as well at the
                          next connect, if the back-end offers them
                          (e.g. 0x1801: CSUM, HOST_TSO4, HOST_TSO6)
  txraw FLAGS GSO_TYPE HDR_LEN GSO_SIZE CSUM_START CSUM_OFFSET FRAME SPLIT [COUNT]
                          post COUNT (1) chains of this virtio-net header
                          and frame on the TX ring and kick it; FRAME:
                          raw:N (N bytes of an Ethernet/IPv4 frame, N may
                          be under 14), hex:BYTES, or
                          tcp4:PAYLOAD[,ihl=N][,doff=N][,frag][,vlan][,len=N]
                          (Ethernet, IPv4, TCP, PAYLOAD bytes; len cuts or
                          pads the whole); SPLIT: "-" one descriptor, or
                          comma-separated lengths of the first descriptors
                          (header included), the rest in a last one
  quit

Hostile TX chains (issue 16: log volume, stalled queues; see the block
"hostile guest" below). VFE_QSIZE in the environment sets both rings' size
(default 256, up to 32768; descriptors share 256 buffers):
  offload                 negotiate CSUM and HOST_TSO4 at the next connect
                          (when offered), so headers' GSO fields are read
  gso_bad N               send N TCP/IPv4 frames whose header has an
                          unsupported gso_type, in ring-sized batches, each
                          waited for; "ok SENT"
  chain KIND              post one chain the back-end must refuse at the
                          TX ring's head and kick: loop, oob_addr,
                          zero_len_loop, indirect_short, indirect_loop,
                          indirect_oob; "ok HEAD"
  txring                  TX ring: "ok AVAIL_IDX USED_IDX"

Copy amplification (issue 16 item 5; its own block below):
  hostile_chains N        rewrite the TX ring as 2 chains of 128 descriptors
                          of 64 KB each, all aliasing one 64 KB buffer (8 MB
                          claimed per frame), and keep re-posting them as
                          the back-end completes them until N were posted
  hostile_state           "ok POSTED COMPLETED ACTIVE" (ACTIVE 1 until the
                          last chain came back and the ring was restored)
"""
import ctypes
import mmap
import os
import select
import socket
import struct
import sys
import time

# vhost-user requests
GET_FEATURES, SET_FEATURES, SET_OWNER = 1, 2, 3
SET_MEM_TABLE = 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE = 8, 9, 10
SET_VRING_KICK, SET_VRING_CALL = 12, 13
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES = 15, 16
SET_VRING_ENABLE = 18

F_VERSION = 0x1
F_REPLY = 0x4
F_NEED_REPLY = 0x8

VIRTIO_F_VERSION_1 = 1 << 32
VHOST_USER_F_PROTOCOL_FEATURES = 1 << 30
PROTOCOL_F_REPLY_ACK = 1 << 3

VRING_DESC_F_WRITE = 2
VRING_AVAIL_F_NO_INTERRUPT = 1
VRING_USED_F_NO_NOTIFY = 1

QSIZE = int(os.environ.get("VFE_QSIZE", "256"))
NBUF = min(QSIZE, 256)  # buffers per ring; descriptor i uses buffer i % NBUF
BUF = 2048
HDR = 12  # virtio_net_hdr_mrg_rxbuf: VERSION_1 is negotiated


def _ring_layout(base):
    desc = base
    avail = desc + 16 * QSIZE
    used = (avail + 6 + 2 * QSIZE + 0xFFF) & ~0xFFF
    end = (used + 6 + 8 * QSIZE + 0xFFF) & ~0xFFF
    return (desc, avail, used), end


# layout of the region (guest physical = offset)
_r0, _end0 = _ring_layout(0)
_r1, _end1 = _ring_layout(_end0)
RINGS = [_r0, _r1]  # desc, avail, used
RX_BUFS = (_end1 + 0xFFFF) & ~0xFFFF
TX_BUFS = RX_BUFS + NBUF * BUF
SCRATCH = TX_BUFS + NBUF * BUF  # 64 KB for crafted indirect tables
ALIAS = SCRATCH + 0x10000  # 64 KB: the one buffer hostile chains alias (class Hostile)
# crafted TX frames (class CraftedTx): 6 MB from the next 2 MB boundary
CRAFT_BASE = ((ALIAS + 0x10000) + (2 << 20) - 1) & ~((2 << 20) - 1)
MEM_SIZE = CRAFT_BASE + (6 << 20)
FRAME = bytes.fromhex("ffffffffffff020000000001" "0800") + bytes(46)  # 60 bytes


class Closed(Exception):
    pass


# ---- crafted TX chains (issue 16: a hostile guest's TX) ----
# Frames live in guest memory from CRAFT_BASE on (a bump allocator that
# wraps: callers wait for completions between cases); a chain borrows free
# TX descriptors, which get their default buffer back when it completes.
VRING_DESC_F_NEXT = 1


def craft_frame(spec):
    """Frame bytes from a FRAME spec (see the module's doc)."""
    kind, _, arg = spec.partition(":")
    if kind == "hex":
        return bytes.fromhex(arg)
    if kind == "raw":
        n = int(arg)
        f = FRAME + bytes(max(0, n - len(FRAME)))
        return f[:n]
    if kind != "tcp4":
        raise RuntimeError("unknown frame kind " + kind)
    parts = arg.split(",")
    payload = int(parts[0])
    opt = {"ihl": 5, "doff": 5}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        opt[k] = int(v) if v else 1
    ihl, doff = opt["ihl"], opt["doff"]
    l2 = bytes.fromhex("02000000000102000000000b")
    if opt.get("vlan"):
        l2 += bytes.fromhex("81000064")
    l2 += bytes.fromhex("0800")
    l3len, l4len = max(ihl, 5) * 4, max(doff, 5) * 4
    frag = 0x2000 if opt.get("frag") else 0  # MF
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, min(0xFFFF, l3len + l4len + payload), 1,
                     frag, 64, 6, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    ip += bytes(l3len - 20)
    tcp = struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, doff << 4, 0x18, 65535, 0, 0) + bytes(l4len - 20)
    f = l2 + ip + tcp + bytes((i * 7 + 3) & 0xFF for i in range(payload))
    if "len" in opt:
        f = (f + bytes(max(0, opt["len"] - len(f))))[:opt["len"]]
    return f


class CraftedTx:
    craft_off = 0
    want_features = 0
    keep_tx_descs = False  # class Hostile rewrote the TX descriptors

    def tx_release(self, head):
        """A completed TX chain: its descriptors back to their default buffers
        (unless class Hostile owns the ring's descriptors meanwhile)."""
        if self.keep_tx_descs:
            self.tx_free.append(head)
            return
        d, _, _ = RINGS[1]
        for i in self.tx_chains.pop(head, [head]):
            struct.pack_into("<QIHH", self.mem, d + 16 * i, TX_BUFS + i % NBUF * BUF, HDR + len(FRAME), 0, 0)
            self.tx_free.append(i)

    def craft_alloc(self, n):
        if n > MEM_SIZE - CRAFT_BASE:
            raise RuntimeError("frame of %d bytes does not fit guest memory" % n)
        if CRAFT_BASE + self.craft_off + n > MEM_SIZE:
            self.craft_off = 0
        addr = CRAFT_BASE + self.craft_off
        self.craft_off = (self.craft_off + n + 63) & ~63
        return addr

    def txraw(self, args):
        flags, gso_type, hdr_len, gso_size, cstart, coff = (int(a, 0) for a in args[:6])
        frame, split = craft_frame(args[6]), args[7]
        count = int(args[8]) if len(args) > 8 else 1
        buf = struct.pack("<BBHHHHH", flags, gso_type, hdr_len, gso_size, cstart, coff, 1) + frame
        addr = self.craft_alloc(len(buf))
        self.mem[addr:addr + len(buf)] = buf
        lens = [] if split == "-" else [int(x) for x in split.split(",")]
        if sum(lens) > len(buf):
            raise RuntimeError("split %s longer than the %d bytes" % (split, len(buf)))
        if sum(lens) < len(buf) or not lens:
            lens.append(len(buf) - sum(lens))
        if count * len(lens) > len(self.tx_free):
            raise RuntimeError("only %d TX descriptors free" % len(self.tx_free))
        d, a, u = RINGS[1]
        for _ in range(count):
            descs = [self.tx_free.pop() for _ in lens]
            off = addr
            for k, (i, n) in enumerate(zip(descs, lens)):
                last = k == len(descs) - 1
                struct.pack_into("<QIHH", self.mem, d + 16 * i, off, n,
                                 0 if last else VRING_DESC_F_NEXT, 0 if last else descs[k + 1])
                off += n
            self.tx_chains[descs[0]] = descs
            self.put16(a + 4 + 2 * (self.tx_avail % QSIZE), descs[0])
            self.tx_avail = (self.tx_avail + 1) & 0xFFFF
        self.put16(a + 2, self.tx_avail)
        self.tx_posted += count
        if not self.u16(u) & VRING_USED_F_NO_NOTIFY:
            os.write(self.tx_kick, struct.pack("<Q", 1))
        return "%d" % len(frame)
# ---- end of crafted TX chains ----


class Frontend(CraftedTx):
    def __init__(self, path):
        self.path = path
        self.sock = None
        self.mem = None
        self.fd = -1
        self.fds = []
        self.extra_features = 0  # "offload" (hostile block) sets it
        self.reset_counters()

    def reset_counters(self):
        self.received = self.bad_len = 0
        self.tx_posted = self.tx_done = 0

    # ---- the socket ----
    def send(self, req, payload=b"", fds=(), need_reply=False, raw_size=None):
        flags = F_VERSION | (F_NEED_REPLY if need_reply else 0)
        size = len(payload) if raw_size is None else raw_size
        msg = struct.pack("<III", req, flags, size) + payload
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("%di" % len(fds), *fds))] if fds else []
        self.sock.sendmsg([msg], anc)

    def recv_reply(self, req):
        hdr = self._recv_exact(12)
        r, flags, size = struct.unpack("<III", hdr)
        body = self._recv_exact(size) if size else b""
        if r != req or not flags & F_REPLY:
            raise RuntimeError("reply %d flags %#x to request %d" % (r, flags, req))
        return body

    def _recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise Closed()
            data += chunk
        return data

    def get_u64(self, req):
        self.send(req)
        return struct.unpack("<Q", self.recv_reply(req)[:8])[0]

    def call(self, req, payload=b"", fds=()):
        """Send with NEED_REPLY (REPLY_ACK negotiated); returns the ack (0 ok)."""
        self.send(req, payload, fds, need_reply=self.acks)
        if not self.acks:
            return 0
        return struct.unpack("<Q", self.recv_reply(req)[:8])[0]

    def must(self, req, payload=b"", fds=()):
        ack = self.call(req, payload, fds)
        if ack != 0:
            raise RuntimeError("request %d refused (ack %d)" % (req, ack))

    # ---- guest memory ----
    # What the back-end reads or writes while we run is loaded and stored
    # whole (one 2- or 8-byte access through ctypes): struct.pack_into
    # stores byte by byte, and a torn avail idx or descriptor address is a
    # different, valid one to the back-end (seen: a frame written over the
    # descriptor table through an address that was 0 for a moment).
    def u16(self, off):
        return ctypes.c_uint16.from_address(self.base + off).value

    def put16(self, off, v):
        ctypes.c_uint16.from_address(self.base + off).value = v & 0xFFFF

    def put64(self, off, v):
        ctypes.c_uint64.from_address(self.base + off).value = v

    def setup_memory(self):
        self.fd = os.memfd_create("vfwd-guest")
        os.ftruncate(self.fd, MEM_SIZE)
        self.mem = mmap.mmap(self.fd, MEM_SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self.anchor = ctypes.c_char.from_buffer(self.mem)
        self.base = ctypes.addressof(self.anchor)
        # RX ring: every descriptor a device-writable buffer, all posted
        d, a, _ = RINGS[0]
        for i in range(QSIZE):
            struct.pack_into("<QIHH", self.mem, d + 16 * i, RX_BUFS + i % NBUF * BUF, BUF, VRING_DESC_F_WRITE, 0)
            self.put16(a + 4 + 2 * i, i)
        self.put16(a, VRING_AVAIL_F_NO_INTERRUPT)
        self.rx_avail = QSIZE
        self.put16(a + 2, self.rx_avail)
        self.rx_used = 0
        # TX ring: descriptor i always points at buffer i, posted on demand
        d, a, _ = RINGS[1]
        for i in range(NBUF):
            self.mem[TX_BUFS + i * BUF:TX_BUFS + i * BUF + HDR + len(FRAME)] = bytes(HDR) + FRAME
        for i in range(QSIZE):
            struct.pack_into("<QIHH", self.mem, d + 16 * i, TX_BUFS + i % NBUF * BUF, HDR + len(FRAME), 0, 0)
        self.put16(a, VRING_AVAIL_F_NO_INTERRUPT)
        self.tx_avail = self.tx_used = 0
        self.tx_free = list(range(QSIZE))
        self.tx_chains = {}

    def ring_msgs(self, ring, enable_first):
        desc, avail, used = RINGS[ring]
        if enable_first:
            self.must(SET_VRING_ENABLE, struct.pack("<II", ring, 1))
        self.must(SET_VRING_NUM, struct.pack("<II", ring, QSIZE))
        self.must(SET_VRING_ADDR, struct.pack("<IIQQQQ", ring, 0, self.base + desc,
                                              self.base + used, self.base + avail, 0))
        self.must(SET_VRING_BASE, struct.pack("<II", ring, 0))
        kick, call = os.eventfd(0, os.EFD_NONBLOCK), os.eventfd(0, os.EFD_NONBLOCK)
        self.fds += [kick, call]
        if ring == 1:
            self.tx_kick = kick
        self.must(SET_VRING_KICK, struct.pack("<Q", ring), [kick])
        self.must(SET_VRING_CALL, struct.pack("<Q", ring), [call])

    def connect(self, enable_first=False):
        self.close()
        self.reset_counters()
        self.setup_memory()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.path)
        self.acks = False
        feats = self.get_u64(GET_FEATURES)
        for f in (VIRTIO_F_VERSION_1, VHOST_USER_F_PROTOCOL_FEATURES):
            if not feats & f:
                raise RuntimeError("back-end lacks feature %#x" % f)
        self.send(SET_OWNER)
        proto = self.get_u64(GET_PROTOCOL_FEATURES)
        self.send(SET_PROTOCOL_FEATURES, struct.pack("<Q", proto & PROTOCOL_F_REPLY_ACK))
        self.acks = bool(proto & PROTOCOL_F_REPLY_ACK)
        self.must(SET_FEATURES, struct.pack("<Q", VIRTIO_F_VERSION_1 | VHOST_USER_F_PROTOCOL_FEATURES |
                                            (feats & (self.extra_features | self.want_features))))
        self.must(SET_MEM_TABLE, struct.pack("<II", 1, 0) + struct.pack("<QQQQ", 0, MEM_SIZE, self.base, 0),
                  [self.fd])
        for ring in (0, 1):
            self.ring_msgs(ring, enable_first)
        for ring in (0, 1):
            if not enable_first:
                self.must(SET_VRING_ENABLE, struct.pack("<II", ring, 1))
        return "acks" if self.acks else "no-acks"

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        if self.mem is not None:
            del self.anchor
            self.mem.close()
            os.close(self.fd)
            self.mem = None

    # ---- the split-ring driver ----
    def reap(self):
        if self.mem is None:
            return
        _, a, u = RINGS[0]
        idx = self.u16(u + 2)
        n = 0
        while self.rx_used != idx:
            ident, length = struct.unpack_from("<II", self.mem, u + 4 + 8 * (self.rx_used % QSIZE))
            self.rx_used = (self.rx_used + 1) & 0xFFFF
            self.received += 1
            if length != HDR + 64:
                self.bad_len += 1
            self.put16(a + 4 + 2 * (self.rx_avail % QSIZE), ident)
            self.rx_avail = (self.rx_avail + 1) & 0xFFFF
            n += 1
        if n:
            self.put16(a + 2, self.rx_avail)  # x86: stores are not reordered
        _, a, u = RINGS[1]
        idx = self.u16(u + 2)
        while self.tx_used != idx:
            ident = struct.unpack_from("<I", self.mem, u + 4 + 8 * (self.tx_used % QSIZE))[0]
            self.tx_used = (self.tx_used + 1) & 0xFFFF
            self.tx_release(ident)
            self.tx_done += 1

    def send_frames(self, n):
        _, a, u = RINGS[1]
        if n > len(self.tx_free):
            raise RuntimeError("only %d TX buffers free" % len(self.tx_free))
        for _ in range(n):
            self.put16(a + 4 + 2 * (self.tx_avail % QSIZE), self.tx_free.pop())
            self.tx_avail = (self.tx_avail + 1) & 0xFFFF
        self.put16(a + 2, self.tx_avail)
        self.tx_posted += n
        if not self.u16(u) & VRING_USED_F_NO_NOTIFY:
            os.write(self.tx_kick, struct.pack("<Q", 1))

    # ---- malformed input ----
    def bad(self, kind):
        try:
            if kind == "unknown_request":
                self.send(99, struct.pack("<Q", 0), need_reply=True)
            elif kind == "vring_index_huge":
                self.send(SET_VRING_ENABLE, struct.pack("<II", 1000, 1), need_reply=True)
            elif kind == "addr_outside":  # ring 3, addresses not in the region
                self.send(SET_VRING_ADDR, struct.pack("<IIQQQQ", 3, 0, 1 << 40, 1 << 40, 1 << 40, 0),
                          need_reply=True)
            elif kind == "short_payload":  # claims 8 bytes, sends 4, then closes
                self.send(SET_VRING_ENABLE, struct.pack("<I", 0), raw_size=8)
                self.sock.shutdown(socket.SHUT_WR)
            else:
                raise RuntimeError("unknown kind " + kind)
            body = self._recv_exact(12)
            size = struct.unpack("<III", body)[2]
            ack = struct.unpack("<Q", self._recv_exact(size)[:8])[0]
            return "ack=%d" % ack
        except (Closed, ConnectionResetError, BrokenPipeError):
            self.close()
            return "closed"

    def poke_desc(self, addr):
        """Every RX descriptor points at addr (outside guest memory)."""
        d, _, _ = RINGS[0]
        for i in range(QSIZE):
            self.put64(d + 16 * i, addr)

    def fix_desc(self):
        d, _, _ = RINGS[0]
        for i in range(QSIZE):
            self.put64(d + 16 * i, RX_BUFS + i % NBUF * BUF)

    # ---- hostile guest (issue 16, items 4 and 6) ----
    # What a malicious guest's TX ring may hold: headers librte_vhost logs
    # about, and chains it refuses and leaves at the ring's head for ever.
    def send_gso_bad(self, n):
        """n TCP/IPv4 frames with gso_type 5 (none such) in their header."""
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, bytes([10, 0, 0, 1]),
                         bytes([10, 0, 0, 2]))
        tcp = struct.pack("!HHIIBBHHH", 1234, 80, 0, 0, 0x50, 0x10, 1024, 0, 0)
        frame = bytes.fromhex("020000000002" "020000000001" "0800") + ip + tcp
        # flags 0, gso_type 5 (none such), hdr_len, gso_size (librte_vhost
        # looks at the type only with a size), csum_start/offset, num_buffers
        hdr = struct.pack("<BBHHHHH", 0, 5, 54, 1400, 0, 0, 0)
        for i in range(NBUF):
            off = TX_BUFS + i * BUF
            self.mem[off:off + HDR + len(frame)] = hdr + frame
        d, _, _ = RINGS[1]
        for i in range(QSIZE):
            struct.pack_into("<I", self.mem, d + 16 * i + 8, HDR + len(frame))
        sent = 0
        while sent < n:
            k = min(n - sent, len(self.tx_free), 128)
            self.send_frames(k)
            sent += k
            deadline = time.time() + 10
            while self.tx_done < self.tx_posted:
                if time.time() > deadline:
                    raise RuntimeError("back-end took %d of %d" % (self.tx_done, self.tx_posted))
                time.sleep(0.0005)
                self.reap()
        return "%d" % sent

    def post_chain(self, kind):
        """One chain the back-end must refuse, at the TX ring's next slot."""
        d, a, u = RINGS[1]
        if len(self.tx_free) < 2:
            raise RuntimeError("no free TX descriptors")
        i, j = self.tx_free.pop(), self.tx_free.pop()
        NEXT, INDIRECT = 1, 4
        desc = lambda k, addr, ln, fl, nx: struct.pack_into("<QIHH", self.mem, d + 16 * k, addr, ln, fl, nx)
        ind = lambda k, addr, ln, fl, nx: struct.pack_into("<QIHH", self.mem, SCRATCH + 16 * k, addr, ln, fl, nx)
        buf = TX_BUFS + (i % NBUF) * BUF
        if kind == "loop":  # i -> j -> i -> ...
            desc(i, buf, HDR + 60, NEXT, j)
            desc(j, buf, 60, NEXT, i)
        elif kind == "oob_addr":  # a buffer far outside guest memory
            desc(i, 1 << 40, HDR + 60, 0, 0)
        elif kind == "zero_len_loop":  # nothing mapped: walked to the ring's size
            desc(i, buf, 0, NEXT, j)
            desc(j, buf, 0, NEXT, i)
        elif kind == "indirect_short":  # a table shorter than one descriptor
            ind(0, buf, HDR + 60, 0, 0)
            desc(i, SCRATCH, 8, INDIRECT, 0)
        elif kind == "indirect_loop":  # a table whose entries loop
            ind(0, buf, HDR + 60, NEXT, 1)
            ind(1, buf, 60, NEXT, 0)
            desc(i, SCRATCH, 32, INDIRECT, 0)
        elif kind == "indirect_oob":  # a table outside guest memory
            desc(i, 1 << 40, 32, INDIRECT, 0)
        else:
            raise RuntimeError("unknown chain " + kind)
        self.put16(a + 4 + 2 * (self.tx_avail % QSIZE), i)
        self.tx_avail = (self.tx_avail + 1) & 0xFFFF
        self.put16(a + 2, self.tx_avail)
        self.tx_posted += 1
        os.write(self.tx_kick, struct.pack("<Q", 1))
        return "%d" % i


def hostile_command(fe, cmd, args):
    """The hostile-guest commands; None if cmd is not one of them."""
    if cmd == "offload":
        fe.extra_features = (1 << 0) | (1 << 11)  # VIRTIO_NET_F_CSUM, HOST_TSO4
        return ""
    if cmd == "gso_bad":
        return fe.send_gso_bad(int(args[0]))
    if cmd == "chain":
        return fe.post_chain(args[0])
    if cmd == "txring":
        _, a, u = RINGS[1]
        return "%d %d" % (fe.u16(a + 2), fe.u16(u + 2))
    return None


# ---- copy amplification: aliased huge TX chains (issue 16 item 5) ----
CHAIN = QSIZE // 2     # descriptors per chain: two chains fill the ring
CHAIN_DESC = 64 << 10  # each claims 64 KB of the one buffer at ALIAS
assert TX_BUFS + NBUF * BUF <= ALIAS and ALIAS + CHAIN_DESC <= MEM_SIZE


class Hostile:
    def __init__(self, fe):
        self.fe = fe
        self.active = False
        self.left = self.posted = self.done0 = 0

    def start(self, n):
        fe = self.fe
        if self.active or len(fe.tx_free) != QSIZE:
            raise RuntimeError("TX ring busy")
        d, _, _ = RINGS[1]
        fe.mem[ALIAS:ALIAS + HDR + len(FRAME)] = bytes(HDR) + FRAME
        for i in range(QSIZE):
            last = i % CHAIN == CHAIN - 1
            struct.pack_into("<QIHH", fe.mem, d + 16 * i, ALIAS, CHAIN_DESC,
                             0 if last else 1, 0 if last else i + 1)  # 1: VRING_DESC_F_NEXT
        fe.tx_free = [0, CHAIN]
        fe.keep_tx_descs = True
        self.active, self.left, self.posted, self.done0 = True, n, 0, fe.tx_done
        self.tick()

    def tick(self):
        fe = self.fe
        if not self.active:
            return
        _, a, u = RINGS[1]
        heads = [h for h in fe.tx_free if h % CHAIN == 0]
        k = 0
        while heads and self.left > 0:
            h = heads.pop()
            fe.tx_free.remove(h)
            fe.put16(a + 4 + 2 * (fe.tx_avail % QSIZE), h)
            fe.tx_avail = (fe.tx_avail + 1) & 0xFFFF
            self.left -= 1
            k += 1
        if k:
            fe.put16(a + 2, fe.tx_avail)
            fe.tx_posted += k
            self.posted += k
            if not fe.u16(u) & VRING_USED_F_NO_NOTIFY:
                os.write(fe.tx_kick, struct.pack("<Q", 1))
        if self.left == 0 and len(fe.tx_free) == 2:  # all back: the ring as it was
            d, _, _ = RINGS[1]
            for i in range(QSIZE):
                struct.pack_into("<QIHH", fe.mem, d + 16 * i, TX_BUFS + (i % NBUF) * BUF,
                                 HDR + len(FRAME), 0, 0)
            fe.tx_free = list(range(QSIZE))
            fe.keep_tx_descs = False
            self.active = False

    def command(self, cmd, args):
        if cmd == "hostile_chains":
            self.start(int(args[0]))
            return ""
        return "%d %d %d" % (self.posted, self.fe.tx_done - self.done0, int(self.active))


HOSTILE_COMMANDS = ("hostile_chains", "hostile_state")


def main():
    fe = Frontend(sys.argv[1])
    hostile = Hostile(fe)
    out = sys.stdout
    while True:
        # re-post hostile chains every ms, the normal driver every 5 ms
        ready, _, _ = select.select([sys.stdin], [], [], 0.001 if hostile.active else 0.005)
        fe.reap()
        hostile.tick()
        if not ready:
            continue
        line = sys.stdin.readline()
        if not line:
            break
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], words[1:]
        try:
            if cmd == "connect":
                reply = fe.connect(enable_first=args[:1] == ["enable_first"])
            elif cmd == "enable":
                reply = "ack=%d" % fe.call(SET_VRING_ENABLE, struct.pack("<II", int(args[0]), int(args[1])))
            elif cmd == "rx":
                reply = "%d %d" % (fe.received, fe.bad_len)
            elif cmd == "send":
                fe.send_frames(int(args[0]))
                reply = ""
            elif cmd == "state":  # RX ring: avail idx, used idx, reaped
                _, a, u = RINGS[0]
                reply = "%d %d %d" % (fe.u16(a + 2), fe.u16(u + 2), fe.rx_used)
            elif cmd == "tx":
                reply = "%d %d" % (fe.tx_done, fe.tx_posted)
            elif cmd == "bad":
                reply = fe.bad(args[0])
            elif cmd == "poke_desc":
                fe.poke_desc(int(args[0], 0))
                reply = ""
            elif cmd == "fix_desc":
                fe.fix_desc()
                reply = ""
            elif cmd == "features":  # crafted TX (CraftedTx)
                fe.want_features = int(args[0], 0)
                reply = ""
            elif cmd == "txraw":  # crafted TX (CraftedTx): frame length
                reply = fe.txraw(args)
            elif cmd == "close":
                fe.close()
                reply = ""
            elif cmd in HOSTILE_COMMANDS:
                reply = hostile.command(cmd, args)
            elif cmd == "quit":
                fe.close()
                print("ok", file=out, flush=True)
                break
            else:
                reply = hostile_command(fe, cmd, args)
                if reply is None:
                    raise RuntimeError("unknown command " + cmd)
            print(("ok " + reply).strip(), file=out, flush=True)
        except Exception as e:  # the test reads the reason
            print("err %s: %s" % (type(e).__name__, e), file=out, flush=True)


if __name__ == "__main__":
    main()

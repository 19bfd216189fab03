#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare two dumps of a guest's RAM (QMP pmemsave of the migration source,
paused after its device stopped, and of the destination, paused before its
device starts): a correct migration leaves them equal.
  memcmp.py SRC DST MOVE
Prints "memcmp move MOVE: N pages differ" then, for the first pages, where
and which bytes (source -> destination) and the source's bytes around the
first difference. Exit 0 always (the caller decides)."""
import sys

a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
P = 4096
pages = [i // P for i in range(0, min(len(a), len(b)), P) if a[i:i + P] != b[i:i + P]]
print(f"memcmp move {sys.argv[3]}: {len(pages)} pages differ", flush=True)
for p in pages[:8]:
    o = p * P
    d = [i for i in range(P) if a[o + i] != b[o + i]]
    s = o + (d[0] & ~15)
    print(f"  gpa 0x{o:x}: {len(d)} bytes, " +
          " ".join(f"+0x{i:x}:{a[o + i]:02x}->{b[o + i]:02x}" for i in d[:6]) +
          f"; source at 0x{s:x}: {a[s:s + 32].hex()}", flush=True)

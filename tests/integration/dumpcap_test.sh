#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# dpdk-dumpcap on a running relay: the daemon runs on hugepages (as in
# production; a secondary process maps the primary's hugepage files) with
# rte_pdump; dpdk-dumpcap attaches by the daemon's file prefix and captures
# the tap VF's traffic while pings cross the relay to a testpmd "VM". The
# pcap must hold every echo request (VF RX) and every reply (VF TX), whole.
. "$(dirname "$0")/lib.sh"
DUMPCAP=${DUMPCAP:-dpdk-dumpcap}
COUNT=10
make_netns
DAEMON_EAL="" start_daemon d -P net_tap0,iface=vf0=1
start_vm vm "$WORK/sock/virtio-forwarder1.sock"
setup_ips
wait_stat d relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
ping_ok "$NS_VF" 10.99.0.2 1 >/dev/null || fail "no path through the relay"

stdbuf -oL -eL "$DUMPCAP" --file-prefix="${TAG}d" -i net_tap0 -f icmp -P -w "$WORK/cap.pcap" \
	-c $((2 * COUNT)) >"$WORK/dumpcap.log" 2>&1 &
cap=$!
PIDS+=($cap)
wait_for 20 grep -q "^Capturing on" "$WORK/dumpcap.log" || fail "dumpcap did not attach"
ping_ok "$NS_VF" 10.99.0.2 $COUNT >/dev/null || fail "ping during capture"
for _ in $(seq 100); do kill -0 $cap 2>/dev/null || break; sleep 0.1; done
kill -0 $cap 2>/dev/null && fail "dumpcap still waiting for packets: $(cat "$WORK/dumpcap.log")"
rc=0
wait $cap || rc=$?
[ $rc -eq 0 ] || fail "dumpcap exit $rc"
cat "$WORK/dumpcap.log"

python3 - "$WORK/cap.pcap" $COUNT <<'X' || fail "capture does not hold the pings"
import struct, sys
data = open(sys.argv[1], "rb").read()
count = int(sys.argv[2])
magic, = struct.unpack("<I", data[:4])
assert magic in (0xa1b2c3d4, 0xa1b23c4d), f"not a pcap: {magic:#x}"
link = struct.unpack("<I", data[20:24])[0]
assert link == 1, f"linktype {link}"
pos, req, rep = 24, set(), set()
while pos + 16 <= len(data):
    _, _, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
    frame = data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
    assert incl == orig, "frame cut"
    if frame[12:14] != b"\x08\x00" or frame[23] != 1:
        continue
    ihl = (frame[14] & 15) * 4
    src, dst = frame[26:30], frame[30:34]
    icmp = frame[14 + ihl:]
    typ, seq = icmp[0], struct.unpack(">H", icmp[6:8])[0]
    if typ == 8 and src == bytes([10, 99, 0, 1]) and dst == bytes([10, 99, 0, 2]):
        req.add(seq)
    elif typ == 0 and src == bytes([10, 99, 0, 2]) and dst == bytes([10, 99, 0, 1]):
        rep.add(seq)
print(f"captured echo requests {sorted(req)}, replies {sorted(rep)}")
assert len(req) == count and req == rep, "requests and replies differ"
X
stop_vm vm
stop_daemon d
log PASS

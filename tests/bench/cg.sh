#!/bin/bash
# From the project's shared perf harness (perf/), kept as measured there;
# tests/bench/run.sh drives it for virtio-forwarder.
# Instructions per forwarded packet, counted by valgrind --tool=callgrind on
# the forwarder only (the VM side runs natively). Deterministic to ~1%: under
# valgrind the forwarder is ~20x slower than its peer, so every burst it polls
# is full (v2f: the VM keeps the vring full; f2v: null always returns 32), and
# the count does not depend on the other core, the host or vCPU placement.
#
# Window: valgrind starts with --instr-atstart=no; callgrind_control -i on ...
# SECS ... callgrind_control -d (dump no. 1), -i off;
# packets = VM-side counter delta over the same window (any forwarder works).
#
# usage: cg.sh DIR SIZE       DIR = v2f | f2v
# env: SECS=10, FWD=testpmd|cmd, FWD_CMD (as in pvp.sh: exec'd with
#      VHOST_SOCK, VF_DEVARGS, FP exported; must not need a tty),
#      CG_OUT=/tmp/perfbench/cg (profiles)
#      RELAYS=N (FWD=cmd only; virtio-forwarder addition): N relays on the
#      one worker, relay i on socket vhost<i>.sock with VF net_null<i>
#      (FWD_CMD also gets EXTRA_VFS="-P dev=1 ..."); the VM process gets N
#      virtio_user ports. BUSY=one: only relay 0 carries traffic, the others
#      are connected and idle (a VF with nothing to receive, a VM port the VM
#      does not poll); BUSY=all: every relay carries the same traffic.
# prints: dir= size= fwd= pkts= ir= ir_per_pkt= top=<profile of the hottest thread>
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tp.sh"
dir=${1:?v2f|f2v}; size=${2:?SIZE}
SECS=${SECS:-10}
TP_STATE=${TP_STATE:-/tmp/perfbench}/run.$$   # private: runs never share state
FWD=${FWD:-testpmd}
OUT=${CG_OUT:-/tmp/perfbench/cg}/$FWD-$dir-$size
SOCK=$TP_STATE/vhost0.sock   # our daemon names relay 0 vhost0.sock
export FP=pbcg$$
mkdir -p "$OUT"; rm -f "$OUT"/callgrind.out* "$SOCK"
cleanup() { tp_stop vm; tp_stop fwd; rm -f /dev/hugepages/${FP}*map_* "$SOCK"; rm -rf "$TP_STATE"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
case $dir in
  v2f) vfargs="size=$size,no-rx=1"; vmmode=txonly; col=TX-packets ;;
  f2v) vfargs="size=$size"; vmmode=rxonly; col=RX-packets ;;
  *) echo "DIR must be v2f or f2v" >&2; exit 2 ;;
esac
vfdev="net_null0,$vfargs"
RELAYS=${RELAYS:-1}; BUSY=${BUSY:-one}
EXTRA_VFS=; vm_vdevs=(--vdev "net_virtio_user0,path=$SOCK,queues=1")
for ((i = 1; i < RELAYS; i++)); do
  if [ "$BUSY" = all ]; then a=$vfargs; else a="size=$size,no-rx=1"; fi
  EXTRA_VFS="$EXTRA_VFS -P net_null$i,$a=$i"
  vm_vdevs+=(--vdev "net_virtio_user$i,path=$TP_STATE/vhost$i.sock,queues=1")
done
export EXTRA_VFS
VG="valgrind --tool=callgrind --separate-threads=yes --instr-atstart=no --callgrind-out-file=$OUT/callgrind.out.%p"
if [ "$FWD" = testpmd ]; then
  # --no-huge: the forwarder's own mbufs need no sharing
  TP_PREFIX=$VG tp_start fwd -l 0,1 --file-prefix=${FP}fwd --no-huge -m 512 --no-pci \
    --vdev "net_vhost0,iface=$SOCK,queues=1" --vdev "$vfdev" -- -i \
    --forward-mode=io --nb-cores=1 --total-num-mbufs=16384
  tp_wait_log fwd 'testpmd>' 300 || exit 1
else
  export VHOST_SOCK=$SOCK VF_DEVARGS=$vfdev CG_RUN=1   # CG_RUN: run without hugepages
  d=$TP_STATE/fwd; mkdir -p "$d"; rm -f "$d/in" "$d/holder"
  bash -c "exec $VG $FWD_CMD" > "$d/log" 2>&1 & echo $! > "$d/pid"
fi
for i in $(seq 600); do [ -S "$SOCK" ] && break; tp_alive fwd || break; sleep 0.1; done
tp_alive fwd || { echo "forwarder died" >&2; tail -20 "$TP_STATE/fwd/log" >&2; exit 1; }
vgpid=$(cat "$TP_STATE/fwd/pid")
for ((i = 1; i < RELAYS; i++)); do   # every relay's socket is up before the VM connects
  for j in $(seq 600); do [ -S "$TP_STATE/vhost$i.sock" ] && break; sleep 0.1; done
done
tp_start vm -l 0,1 --main-lcore 1 --file-prefix=${FP}vm -m 512 --single-file-segments \
  --no-pci "${vm_vdevs[@]}" -- -i --nb-cores=1 --total-num-mbufs=65536 \
  --port-topology=loop --forward-mode=$vmmode --txpkts=$size
tp_wait_log vm 'testpmd>' $((60 + 30 * RELAYS)) || exit 1   # valgrind: slow vhost-user set-up
# one busy relay: the VM polls (and sends on) port 0 only
[ "$RELAYS" -gt 1 ] && [ "$BUSY" = one ] && tp_cmd vm 'set portlist 0' 0.5 > /dev/null
sleep $((2 + RELAYS / 4))
tp_cmd vm start 0.5 > /dev/null
[ "$FWD" = testpmd ] && tp_cmd fwd start 1 > /dev/null
sleep 4
# the VM counters are read right after instrumentation is on and right before
# the dump; callgrind_control itself takes ~0.1-0.3 s each way (timed below)
vlog=$TP_STATE/vm/log
ta=$(date +%s.%N); callgrind_control -i on "$vgpid" > /dev/null 2>&1; tb=$(date +%s.%N)
n0=$(wc -c < "$vlog"); echo 'show port stats all' > "$TP_STATE/vm/in"
sleep "$SECS"
echo 'show port stats all' > "$TP_STATE/vm/in"
tc=$(date +%s.%N); callgrind_control -d "$vgpid" > /dev/null 2>&1; td=$(date +%s.%N)
callgrind_control -i off "$vgpid" > /dev/null 2>&1
sleep 0.5
blk=$(tail -c +$((n0 + 1)) "$vlog")
c0=$(awk '/NIC statistics for port 0/{n++} n==1' <<< "$blk")
c1=$(awk '/NIC statistics for port 0/{n++} n==2' <<< "$blk")
pk=0
for ((i = 0; i < RELAYS; i++)); do
  pk=$(( pk + $(port_counter "$c1" $i $col) - $(port_counter "$c0" $i $col) ))
done
skew=$(echo "$tb - $ta + $td - $tc" | bc)
sleep 1
tp_stop vm; tp_stop fwd
# sum Ir over every thread of the dump (the fwd lcore dominates)
ir=0; best=0; bf=
for f in "$OUT"/callgrind.out.*.1-*; do   # the files of dump no. 1 = the window
  v=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$f" | head -1)
  [ -n "$v" ] || continue
  ir=$((ir + v)); [ "$v" -gt "$best" ] && { best=$v; bf=$f; }
done
[ -n "$bf" ] && callgrind_annotate --inclusive=no "$bf" 2>/dev/null | sed -n '/file:function/,$p' | head -25 > "$OUT/top.txt"
echo "dir=$dir size=$size fwd=$FWD relays=$RELAYS busy=$BUSY secs=$SECS pkts=$pk ir=$ir ir_per_pkt=$(echo "scale=1; $ir / ($pk + (0 == $pk))" | bc) ctl_s=$(printf %.2f "$skew") top=$OUT/top.txt"

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
#      VM_PROCS=K: the relays' VMs are K testpmd processes (relay i's port in
#      process i / ceil(N/K)); BUSY=one starts only process 0.
#      VM_MB=512: each VM process's hugepage memory (-m; 256 gives 32768 mbufs
#      instead of 65536: the relay-count points use it for 1 relay and N alike)
#      QUEUES=Q: the VM's ports have Q queue pairs (queues=Q, --rxq/--txq Q,
#      txonly with --txonly-multi-flow so that flows differ); the VF's queue
#      count is the forwarder's choice. Prints queues_used= (the VM's queues
#      that carried packets in the measured direction, from its xstats).
#      CG_TAG: name of the profile directory (default $FWD); OWN_RE: regex of
#      the forwarder's own binary for the per-object shares (objshare.sh)
# prints: dir= size= fwd= pkts= ir= ir_per_pkt= top=<profile of the hottest thread>
#      and <group>_pct= shares of the instructions per object group
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tp.sh"
dir=${1:?v2f|f2v}; size=${2:?SIZE}
SECS=${SECS:-10}
TP_STATE=${TP_STATE:-/tmp/perfbench}/run.$$   # private: runs never share state
FWD=${FWD:-testpmd}
OUT=${CG_OUT:-/tmp/perfbench/cg}/${CG_TAG:-$FWD}-$dir-$size
SOCK=$TP_STATE/vhost0.sock   # our daemon names relay 0 vhost0.sock
export FP=pbcg$$
mkdir -p "$OUT"; rm -f "$OUT"/callgrind.out* "$SOCK"
cleanup() { for ((p = 0; p < ${VM_PROCS:-1}; p++)); do tp_stop "$(vmname $p)"; done; tp_stop fwd; rm -f /dev/hugepages/${FP}*map_* "$SOCK"; rm -rf "$TP_STATE"; }
vmname() { if [ "$1" = 0 ]; then echo vm; else echo "vm$1"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
case $dir in
  v2f) vfargs="size=$size,no-rx=1"; vmmode=txonly; col=TX-packets ;;
  f2v) vfargs="size=$size"; vmmode=rxonly; col=RX-packets ;;
  *) echo "DIR must be v2f or f2v" >&2; exit 2 ;;
esac
vfdev="net_null0,$vfargs"
RELAYS=${RELAYS:-1}; BUSY=${BUSY:-one}; Q=${QUEUES:-1}
# the VM's rings: 4096 descriptors (not virtio_user's 256) hold ~8 ms of the
# forwarder's work under valgrind, so a VM that waits a few ms for its CPU on
# a loaded host still finds them full/drained (256: testpmd 640-860 instead
# of 393 instructions per packet at load 8-10; 4096: 393 at load 8)
CG_QSIZE=${CG_QSIZE:-4096}
K=${VM_PROCS:-1}; [ "$K" -gt "$RELAYS" ] && K=$RELAYS
PER=$(( (RELAYS + K - 1) / K ))   # ports per VM process
K=$(( (RELAYS + PER - 1) / PER ))
EXTRA_VFS=
declare -a vm_vdevs
for ((i = 0; i < RELAYS; i++)); do
  if [ "$i" -gt 0 ]; then
    if [ "$BUSY" = all ]; then a=$vfargs; else a="size=$size,no-rx=1"; fi
    EXTRA_VFS="$EXTRA_VFS -P net_null$i,$a=$i"
  fi
  p=$((i / PER))
  vm_vdevs[p]="${vm_vdevs[p]:-} --vdev net_virtio_user$i,path=$TP_STATE/vhost$i.sock,queues=$Q,queue_size=$CG_QSIZE"
done
export EXTRA_VFS
# CG_FWD_NICE: run the forwarder that much nicer than its VM (default 0: a
# starved forwarder answers callgrind_control late, 17 s measured at load 9,
# which blurs the packet count of the window)
VG="nice -n ${CG_FWD_NICE:-0} valgrind --tool=callgrind --fair-sched=${CG_FAIR:-yes} --separate-threads=yes --instr-atstart=no --callgrind-out-file=$OUT/callgrind.out.%p"
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
# the VM(s): forwarding lcore 0, main lcore 1 (sleeps)
VM_MB=${VM_MB:-512}
# every RX (and TX) ring of a VM process's PER ports holds CG_QSIZE mbufs
# from port start: a pool smaller than that starves the VM (32 relays, 8
# ports of 4096 descriptors per process: 32768 mbufs left none to refill,
# the VM took 4096 packets and stopped, and the point measured 0 packets)
nmb=$((VM_MB * 128)); need=$((PER * Q * CG_QSIZE * 2 + 8192))
[ "$nmb" -lt "$need" ] && nmb=$need
mb=$((nmb * 5 / 2048 + 64)); [ "$VM_MB" -lt "$mb" ] && VM_MB=$mb   # ~2.5 KB per mbuf
vmmem=(-m "$VM_MB" --single-file-segments)
mq=(); [ -n "${QUEUES:-}" ] && mq=(--rxq="$Q" --txq="$Q" --txonly-multi-flow)
mq+=(--rxd="$CG_QSIZE" --txd="$CG_QSIZE")
for ((p = 0; p < K; p++)); do
  # shellcheck disable=SC2086
  tp_start "$(vmname $p)" -l 0,1 --main-lcore 1 --file-prefix=${FP}vm$p "${vmmem[@]}" \
    --no-pci ${vm_vdevs[p]} -- -i --nb-cores=1 --total-num-mbufs=$nmb \
    --port-topology=loop --forward-mode=$vmmode --txpkts=$size "${mq[@]}"
done
for ((p = 0; p < K; p++)); do   # valgrind: slow vhost-user set-up
  tp_wait_log "$(vmname $p)" 'testpmd>' $((60 + 30 * PER)) || exit 1
done
# one busy relay: the VM polls (and sends on) port 0 only
[ "$RELAYS" -gt 1 ] && [ "$BUSY" = one ] && tp_cmd vm 'set portlist 0' 0.5 > /dev/null
sleep $((2 + RELAYS / 4))
for ((p = 0; p < K; p++)); do
  [ "$p" -gt 0 ] && [ "$BUSY" = one ] && break   # the other processes' ports stay idle
  tp_cmd "$(vmname $p)" start 0.5 > /dev/null
done
[ "$FWD" = testpmd ] && tp_cmd fwd start 1 > /dev/null
sleep 4
# instructions count from callgrind_control -i on to -d, each of which takes
# ~0.1-0.3 s to act (seconds on a loaded host; timed as ctl_s). The VM
# counters are read just before and just after each: packets = the mean of
# the inner (after on .. before dump) and outer (before on .. after dump)
# counts, so the count matches the instructions' window, whenever within
# each call it takes effect (under valgrind the forwarder's rate is steady)
declare -a n0
show() { for ((p = 0; p < K; p++)); do echo 'show port stats all' > "$TP_STATE/$(vmname $p)/in"; done; }
for ((p = 0; p < K; p++)); do n0[p]=$(wc -c < "$TP_STATE/$(vmname $p)/log"); done
show; sleep 0.05
ta=$(date +%s.%N); callgrind_control -i on "$vgpid" > /dev/null 2>&1; tb=$(date +%s.%N)
show
sleep "$SECS"
show; sleep 0.05
tc=$(date +%s.%N); callgrind_control -d "$vgpid" > /dev/null 2>&1; td=$(date +%s.%N)
show
callgrind_control -i off "$vgpid" > /dev/null 2>&1
sleep 0.5
inner=0; outer=0
for ((p = 0; p < K; p++)); do
  blk=$(tail -c +$((n0[p] + 1)) "$TP_STATE/$(vmname $p)/log")
  for ((s = 1; s <= 4; s++)); do
    c[s]=$(awk -v s=$s '/NIC statistics for port 0/{n++} n==s' <<< "$blk")
  done
  for ((i = p * PER; i < RELAYS && i < (p + 1) * PER; i++)); do
    j=$((i - p * PER))
    inner=$(( inner + $(port_counter "${c[3]}" $j $col) - $(port_counter "${c[2]}" $j $col) ))
    outer=$(( outer + $(port_counter "${c[4]}" $j $col) - $(port_counter "${c[1]}" $j $col) ))
  done
done
pk=$(( (inner + outer) / 2 ))
# queues of relay 0's VM port that carried packets in this direction
qused=NA
if [ -n "${QUEUES:-}" ]; then
  case $dir in v2f) qre='^ *tx_q[0-9]+_good_packets:' ;; *) qre='^ *rx_q[0-9]+_good_packets:' ;; esac
  qused=$(tp_cmd vm 'show port xstats 0' 0.5 | grep -E "$qre" | awk '$2 > 0 {n++} END {print n + 0}')
fi
skew=$(echo "$tb - $ta + $td - $tc" | bc)
sleep 1
for ((p = 0; p < K; p++)); do tp_stop "$(vmname $p)"; done; tp_stop fwd
# sum Ir over every thread of the dump (the fwd lcore dominates)
ir=0; best=0; bf=
for f in "$OUT"/callgrind.out.*.1-*; do   # the files of dump no. 1 = the window
  v=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$f" | head -1)
  [ -n "$v" ] || continue
  ir=$((ir + v)); [ "$v" -gt "$best" ] && { best=$v; bf=$f; }
done
[ -n "$bf" ] && callgrind_annotate --inclusive=no "$bf" 2>/dev/null | sed -n '/file:function/,$p' | head -25 > "$OUT/top.txt"
# per-object shares over every thread of the window (same total as ir)
case $FWD in testpmd) own=${OWN_RE:-dpdk-testpmd} ;; *) own=${OWN_RE:-virtio-forwarder} ;; esac
share=$("$here/objshare.sh" "$own" "$OUT"/callgrind.out.*.1-* 2>/dev/null || echo own_pct=NA)
# load1: the host's load at the end; a starved VM (a loaded host) leaves the
# forwarder polling empty rings, which adds instructions: compare testpmd with
# its reference figures (400 / 537 at 64 B) before trusting a loaded run
load1=$(cut -d" " -f1 /proc/loadavg)
echo "dir=$dir size=$size fwd=$FWD load1=$load1 relays=$RELAYS busy=$BUSY vm_procs=$K queues=$Q queues_used=$qused secs=$SECS pkts=$pk pkts_inner=$inner pkts_outer=$outer ir=$ir ir_per_pkt=$(echo "scale=1; $ir / ($pk + (0 == $pk))" | bc) ctl_s=$(printf %.2f "$skew") top=$OUT/top.txt $share"

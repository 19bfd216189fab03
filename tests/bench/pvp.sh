#!/bin/bash
# From the project's shared perf harness (perf/), kept as measured there;
# tests/bench/run.sh drives it for virtio-forwarder.
# PVP-style micro benchmark on 2 cores, no NIC:
#   "VM" (virtio_user in a testpmd process, core 0)
#      <-> vhost-user socket <-> FORWARDER (core 1) <-> "VF" stand-in
#
# usage: pvp.sh DIR SIZE [VF]
#   DIR  v2f  VM -> VF   (VM testpmd txonly;  VF = null sink)
#        f2v  VF -> VM   (VF = null source;   VM testpmd rxonly)
#        bi   both       (VF = null source+sink; VM testpmd flowgen: rx+drop, tx)
#        loop both, closed loop: VF = net_ring loopback in the forwarder,
#             VM testpmd io (reflects), LOOP_BURSTS bursts of 32 injected by
#             the VM; every packet crosses the forwarder once each way per lap.
#   SIZE frame length in bytes (64 .. 1518)
#   VF   null (default; in-process, no third poller) | memif (a third testpmd
#        process on the VF side, shares a core: shows contention)
# env: SECS=5 (measured: 2*SECS windows of 0.5 s), WARM=2, FWD=testpmd|cmd, FWD_CMD (when
#      FWD=cmd: a command exec'd with VHOST_SOCK, VF_DEVARGS, FP exported; see
#      bench.sh for the contract), TP_STATE (parent dir), VERBOSE=1,
#      FWD_USR1=1 (FWD=cmd: SIGUSR1 after the windows; our daemon then logs
#      its worker's cycles per packet; other forwarders may die of it),
#      QUEUES=Q (the VM's port with Q queue pairs: queues=Q, --rxq/--txq Q,
#      txonly/flowgen with --txonly-multi-flow; the VF's queues are the
#      forwarder's choice; prints queues_used=, the VM's queues that carried
#      packets in the measured direction)
# prints one line: p10/p50/p90 of the 0.5 s window rates in Mpps seen by the VM
#      (v2f: VM tx accepted; f2v: VM rx; bi/loop: VM rx+tx), rates=all windows,
#      fwd_cpp = forwarder busy cycles per packet from testpmd
#      --record-core-cycles when FWD=testpmd)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tp.sh"
dir=${1:?usage: pvp.sh v2f|f2v|bi|loop SIZE [null|memif]}
size=${2:?SIZE}
vf=${3:-null}
SECS=${SECS:-5}; WARM=${WARM:-2}
TP_STATE=${TP_STATE:-/tmp/perfbench}/run.$$   # private: runs never share state
SOCK=$TP_STATE/vhost0.sock
MSOCK=$TP_STATE/memif0.sock
LOOP_BURSTS=${LOOP_BURSTS:-16}
mkdir -p "$TP_STATE"
FP=${FP:-pb$$}   # file-prefix base: our own hugepage files only

cleanup() {
  tp_stop vm; tp_stop gen; tp_stop fwd
  rm -f /dev/hugepages/${FP}*map_* 2>/dev/null
  rm -f "$SOCK" "$MSOCK"; rm -rf "$TP_STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the VF stand-in as seen by the forwarder, and its peer (if any)
case "$vf:$dir" in
  null:v2f)  vfdev="net_null0,size=$size,no-rx=1" ;;
  null:f2v|null:bi) vfdev="net_null0,size=$size" ;;
  null:loop|ring:loop) vfdev="net_ring0" ;;
  memif:*)   vfdev="net_memif0,role=client,socket=$MSOCK,id=0" ;;
  *) echo "bad VF/DIR" >&2; exit 2 ;;
esac
case $dir in
  v2f) vmmode=txonly ;; f2v) vmmode=rxonly ;; bi) vmmode=flowgen ;; loop) vmmode=io ;;
esac

rm -f "$SOCK" "$MSOCK"
# ---- VF-side generator (memif only): shares core 0 with the VM poller
if [ "$vf" = memif ]; then
  case $dir in v2f) gmode=rxonly ;; f2v) gmode=txonly ;; *) gmode=flowgen ;; esac
  tp_start gen -l 0,1 --main-lcore 1 --file-prefix=${FP}gen -m 256 --no-pci \
    --vdev "net_memif0,role=server,socket=$MSOCK,id=0" -- -i --nb-cores=1 \
    --port-topology=loop --forward-mode=$gmode --txpkts=$size
  tp_wait_log gen 'testpmd>' 30 || exit 1
fi

# ---- the forwarder under test: lcore 1 polls, main lcore 0 sleeps
fwd_ports() { echo "port0=vhost(iface=$SOCK) port1=$vfdev"; }
case ${FWD:-testpmd} in
  testpmd)
    tp_start fwd -l 0,1 --file-prefix=${FP}fwd -m 512 --no-pci \
      --vdev "net_vhost0,iface=$SOCK,queues=1" --vdev "$vfdev" -- -i \
      --forward-mode=io --nb-cores=1 --record-core-cycles --record-burst-stats
    tp_wait_log fwd 'testpmd>' 30 || exit 1
    ;;
  cmd)
    # FWD_CMD gets VHOST_SOCK, VF_DEVARGS, FP exported
    export VHOST_SOCK=$SOCK VF_DEVARGS=$vfdev FP
    d=$TP_STATE/fwd; mkdir -p "$d"; rm -f "$d/in" "$d/holder"
    bash -c "exec $FWD_CMD" > "$d/log" 2>&1 & echo $! > "$d/pid"
    for i in $(seq 300); do [ -S "$SOCK" ] && break; tp_alive fwd || break; sleep 0.1; done
    tp_alive fwd || { echo "forwarder died:" >&2; tail -20 "$d/log" >&2; exit 1; }
    ;;
esac
for i in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done

# ---- the VM: virtio_user, forwarding lcore 0, main lcore 1 (sleeps)
Q=${QUEUES:-1}; mq=(); [ -n "${QUEUES:-}" ] && mq=(--rxq="$Q" --txq="$Q" --txonly-multi-flow)
tp_start vm -l 0,1 --main-lcore 1 --file-prefix=${FP}vm -m 512 --single-file-segments \
  --no-pci --vdev "net_virtio_user0,path=$SOCK,queues=$Q,queue_size=${QSIZE:-256}" -- -i \
  --nb-cores=1 --port-topology=loop --forward-mode=$vmmode --txpkts=$size \
  --record-burst-stats "${mq[@]}"
tp_wait_log vm 'testpmd>' 30 || exit 1
sleep 0.5

[ "${FWD:-testpmd}" = testpmd ] && tp_cmd fwd start 0.2 > /dev/null
[ "$vf" = memif ] && tp_cmd gen start 0.2 > /dev/null
if [ "$dir" = loop ]; then tp_cmd vm "start tx_first $LOOP_BURSTS" 0.2 > /dev/null
else tp_cmd vm start 0.2 > /dev/null; fi
sleep "$WARM"

# ---- measurement: N windows of 0.5 s, rates from the VM side (forwarder-
# agnostic; testpmd computes Rx-pps/Tx-pps between consecutive 'show port
# stats' with the TSC), plus the forwarder's own counters when it is testpmd
isft() { [ "${FWD:-testpmd}" = testpmd ]; }
isft && tp_cmd fwd 'clear fwd stats all' 0.05 > /dev/null
nwin=$(( SECS * 2 ))
vlog=$TP_STATE/vm/log
n0=$(wc -c < "$vlog")
echo 'show port stats all' > "$TP_STATE/vm/in"; sleep 0.5
isft && f0=$(tp_cmd fwd 'show port stats all' 0.01)
t0=$(date +%s.%N)
for ((w = 0; w < nwin; w++)); do echo 'show port stats all' > "$TP_STATE/vm/in"; sleep 0.5; done
t1=$(date +%s.%N)
isft && { f1=$(tp_cmd fwd 'show port stats all' 0.3); fs=$(tp_cmd fwd 'show fwd stats all' 0.3); }
sleep 0.2
# window rates (skip the first 'show', whose rate covers the warm-up)
win=$(tail -c +$((n0 + 1)) "$vlog" | awk '/Rx-pps:/{r=$2} /Tx-pps:/{n++; if (n > 1) print r, $2}')
[ "${VERBOSE:-0}" = 1 ] && { echo "$win"; echo "$f1"; echo "$fs"; }
case $dir in v2f) col=2 ;; f2v) col=1 ;; *) col=3 ;; esac   # 3 = rx+tx
rates=$(awk -v c=$col '{v = (c == 3) ? $1 + $2 : $c; printf "%.3f\n", v / 1e6}' <<< "$win" | sort -n)
stat() { awk -v q=$1 '{a[NR]=$1} END {if (!NR) {print "NA"; exit} i=int(q*(NR-1)+0.5)+1; print a[i]}' <<< "$rates"; }
out="dir=$dir size=$size vf=$vf fwd=${FWD:-testpmd} windows=$(wc -l <<< "$rates")"
out="$out p10=$(stat 0.1) p50=$(stat 0.5) p90=$(stat 0.9)"
out="$out rates=\"$(tr '\n' ' ' <<< "$rates" | sed 's/ $//')\""
if isft; then
  d() { echo $(( $(port_counter "$2" "$3" "$4") - $(port_counter "$1" "$3" "$4") )); }
  dt=$(echo "$t1 - $t0" | bc -l)
  to_vm=$(d "$f0" "$f1" 0 TX-packets); to_vf=$(d "$f0" "$f1" 1 TX-packets)
  fmpps=$(echo "($to_vm + $to_vf) / $dt / 1000000" | bc -l | xargs printf %.3f)
  cpp=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' <<< "$fs" | tail -1)
  drop=$(awk '/Accumulated/{a=1} a && /TX-dropped/{print $4; exit}' <<< "$fs")
  out="$out fwd_out_mpps=$fmpps fwd_cpp=${cpp:-NA} fwd_txdrop=${drop:-NA}"
fi
if [ -n "${QUEUES:-}" ]; then
  case $dir in v2f) qre='^ *tx_q[0-9]+_good_packets:' ;; f2v) qre='^ *rx_q[0-9]+_good_packets:' ;; *) qre='^ *[rt]x_q[0-9]+_good_packets:' ;; esac
  out="$out queues=$Q queues_used=$(tp_cmd vm 'show port xstats 0' 0.5 | grep -E "$qre" | awk '$2 > 0 {n++} END {print n + 0}')"
fi
if [ "${FWD:-testpmd}" = cmd ] && [ "${FWD_USR1:-0}" = 1 ] && tp_alive fwd; then
  # virtio-forwarder: its worker's own cost counters (SIGUSR1 dump)
  kill -USR1 "$(cat "$TP_STATE/fwd/pid")"; sleep 0.5
  cpp=$(sed -n 's/.*worker_1.cycles_per_packet=\([0-9.]*\).*/\1/p' "$TP_STATE/fwd/log" | tail -1)
  out="$out fwd_cpp=${cpp:-NA}"
fi
echo "$out"

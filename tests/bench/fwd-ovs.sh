#!/bin/bash
# From the project's shared perf harness (perf/), kept as measured there
# (set -uo, like its siblings: many probes here are expected to fail);
# tests/bench/run.sh runs it as the candidate "ovs".
# fwd-ovs.sh: Open vSwitch with DPDK (Debian 12 openvswitch-switch-dpdk, OVS 3.1
# on DPDK 22.11) as the forwarder under test of the shared perf harness (perf/)
# (pvp.sh / cg.sh / bench.sh, FWD=cmd). One relay:
#   vhost-user SERVER socket $VHOST_SOCK  <->  OVS br0 (netdev datapath)  <->  VF = $VF_DEVARGS
#   main thread + all non-PMD threads on CPU 0, ONE PMD thread on CPU 1
#   (dpdk-lcore-mask=0x1, pmd-cpu-mask=0x2), OpenFlow: in_port=vhu0 -> vf0, in_port=vf0 -> vhu0.
# Everything lives in a private instance directory $OVSB_BASE/run/i<PID> (own
# conf.db, ovsdb-server, unix sockets, logs); ovs-vswitchd runs in a private
# network namespace (unshare -n), so the two persistent tap devices the netdev
# datapath creates ("ovs-netdev", "br0") vanish with the process; syslog is off.
#
# Subcommands
#   start        foreground: set up, then exec ovs-vswitchd (same PID; SIGINT/SIGTERM
#                stop it). For pvp.sh/bench.sh without callgrind:
#                  FWD=cmd FWD_CMD='./fwd-ovs.sh start' ./pvp.sh v2f 64
#   cmdline PID  set up for process PID (the harness's "bash -c" that is about to
#                exec) and print the ovs-vswitchd command line. Works for pvp.sh AND
#                cg.sh (valgrind then runs ovs-vswitchd itself), hence for bench.sh:
#                  FWD_CMD='$(./fwd-ovs.sh cmdline $$)'   (single quotes!)
#   stop [ID]    stop instance ID (the PID, see `list`) or all live instances (SIGTERM,
#                then the instance's watcher removes ovsdb-server and its directory)
#   list         live instances
#   show [ID]    pmd-stats-show, pmd-perf-show, pmd-rxq-show, flows, port stats
# Env in: VHOST_SOCK, VF_DEVARGS, FP (as exported by pvp.sh/cg.sh)
#   OVSB_BASE=/tmp/ovsbench   OVSB_SOCKMEM=512 (MB, hugepages; callgrind: --no-huge -m 512)
#   OVSB_OC="key=val ..."     extra Open_vSwitch other_config (e.g. "smc-enable=true
#                             emc-insert-inv-prob=1")
#   OVSB_FLOWS=file           OpenFlow rules instead of the two in_port rules
#   OVSB_STATS=1              sample pmd-stats-show every OVSB_STATS_S=1 s (native runs
#                             only) and append one line per run to $OVSB_BASE/stats.log
#   OVSB_VG=auto|0|1          running under valgrind? auto = look for "valgrind" in the
#                             command line of PID (cmdline mode)
#   OVSB_KEEP=0               1: keep the instance directory (logs, samples) after exit
set -uo pipefail
BASE=${OVSB_BASE:-/tmp/ovsbench}
VSWITCHD=${OVSB_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
STATS_LOG=$BASE/stats.log
self=$(readlink -f "$0")

die() { echo "fwd-ovs.sh: $*" >&2; exit 1; }
starttime() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
# alive PID STARTTIME: the process exists, is not a zombie, and is the same one
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] || return 1
  [ "${st%% *}" != Z ] || return 1
  [ -z "${2:-}" ] || [ "$(awk '{print $20}' <<< "$st")" = "$2" ]
}
ovsenv() { export OVS_RUNDIR=$1 OVS_DBDIR=$1 OVS_LOGDIR=$1 OVS_SYSCONFDIR=$1; }

# ---------------------------------------------------------------- set-up
# setup HPID: private ovsdb + config + watcher; prints the ovs-vswitchd command
setup() {
  local hpid=$1 D vg mode sockmem extra i VS oc nrxq=
  : "${VHOST_SOCK:?VHOST_SOCK not set}" "${VF_DEVARGS:?VF_DEVARGS not set}"
  local fp=${FP:-ovsb$hpid}
  D=$BASE/run/i$hpid
  rm -rf "$D"; mkdir -p "$D" || die "cannot create $D"
  ovsenv "$D"
  vg=${OVSB_VG:-auto}
  if [ "$vg" = auto ]; then
    vg=0; tr '\0' ' ' < "/proc/$hpid/cmdline" 2>/dev/null | grep -q valgrind && vg=1
  fi
  case $VF_DEVARGS in
    *no-rx=1*) mode=v2f ;; net_null*) mode=f2v ;; net_ring*) mode=loop ;; *) mode=other ;;
  esac
  # net_ring0 (loopback): queue i's tx ring is rx ring i. OVS gives its PMD
  # static tx queue 1 (queue 0 belongs to the non-PMD main thread), so the
  # PMD must poll rx queue 1 as well, or the loop leaks into an unpolled ring.
  case $VF_DEVARGS in net_ring*) nrxq=2 ;; esac
  if [ "$vg" = 1 ]; then
    # under valgrind: no hugepages for OVS' own mbufs (as cg.sh does for testpmd);
    # --legacy-mem stops OVS from adding --in-memory, which --no-huge rejects
    extra="--file-prefix=${fp}fwd --no-pci --no-huge --legacy-mem -m ${OVSB_SOCKMEM:-512}"; sockmem=
  else
    extra="--file-prefix=${fp}fwd --no-pci"; sockmem=${OVSB_SOCKMEM:-512}
  fi
  {
    echo "hpid=$hpid"; echo "hstart=$(starttime "$hpid")"; echo "mode=$mode"; echo "vg=$vg"
    echo "vhost_sock=$VHOST_SOCK"; echo "vf_devargs=$VF_DEVARGS"; echo "fp=$fp"
  } > "$D/info"
  ovsdb-tool create "$D/conf.db" "$SCHEMA" || die "ovsdb-tool create failed"
  taskset -c 0 ovsdb-server "$D/conf.db" --remote="punix:$D/db.sock" \
    --pidfile="$D/ovsdb-server.pid" --unixctl="$D/ovsdb-server.ctl" \
    --log-file="$D/ovsdb-server.log" -vsyslog:off -vconsole:off \
    < /dev/null > "$D/ovsdb-server.out" 2>&1 &
  echo $! > "$D/ovsdb.pid"
  for ((i = 0; i < 100; i++)); do [ -S "$D/db.sock" ] && break; sleep 0.05; done
  [ -S "$D/db.sock" ] || die "ovsdb-server did not start: $(tail -3 "$D/ovsdb-server.out")"
  VS="ovs-vsctl --db=unix:$D/db.sock --no-wait --timeout=20"
  oc=(other_config:dpdk-init=true other_config:dpdk-lcore-mask=0x1
      other_config:pmd-cpu-mask=0x2 "other_config:dpdk-extra=\"$extra\"")
  [ -n "$sockmem" ] && oc+=("other_config:dpdk-socket-mem=$sockmem")
  # under valgrind the default shared mempool (262144 mbufs, halved on ENOMEM)
  # takes ~50 s to populate and then fails with ENOBUFS in 512 MB; per-port
  # pools are sized from the queues (~22k mbufs each), like cg.sh's testpmd
  # --total-num-mbufs=16384. Same code path per packet.
  [ "$vg" = 1 ] && oc+=("other_config:per-port-memory=true")
  for i in ${OVSB_OC:-}; do oc+=("other_config:$i"); done
  # shellcheck disable=SC2086
  $VS init -- set Open_vSwitch . "${oc[@]}" \
    -- add-br br0 -- set Bridge br0 datapath_type=netdev fail_mode=secure \
    -- add-port br0 vhu0 -- set Interface vhu0 type=dpdkvhostuser ofport_request=1 \
    -- add-port br0 vf0 -- set Interface vf0 type=dpdk ofport_request=2 \
       "options:dpdk-devargs=\"$VF_DEVARGS\"" ${nrxq:+options:n_rxq=$nrxq} \
    > "$D/vsctl.out" 2>&1 || die "ovs-vsctl failed: $(cat "$D/vsctl.out")"
  # CPU 0 for ovs-vswitchd's main and helper threads (inherited over exec);
  # the PMD thread pins itself to CPU 1 (pmd-cpu-mask)
  taskset -pc 0 "$hpid" > /dev/null
  # the watcher: installs flows, publishes the socket, samples stats, cleans up
  OVSB_D=$D OVSB_HPID=$hpid setsid "$self" _watch < /dev/null > "$D/watch.log" 2>&1 &
  # command line: SIGINT back to default (a background job of a script starts
  # with SIGINT ignored, and OVS keeps ignored signals ignored), private netns
  local cmd="/usr/bin/env --default-signal=INT OVS_RUNDIR=$D OVS_DBDIR=$D OVS_LOGDIR=$D OVS_SYSCONFDIR=$D"
  cmd="$cmd /usr/bin/unshare --net -- $VSWITCHD unix:$D/db.sock --pidfile=$D/ovs-vswitchd.pid"
  cmd="$cmd --unixctl=$D/ovs-vswitchd.ctl --log-file=$D/ovs-vswitchd.log -vsyslog:off -vconsole:warn"
  # under valgrind: follow env -> unshare -> ovs-vswitchd (same PID)
  [ "$vg" = 1 ] && cmd="--trace-children=yes $cmd"
  echo "$cmd"
}

# ---------------------------------------------------------------- watcher
watch() {
  local D=$OVSB_D hpid=$OVSB_HPID hstart mode vg i ok=0 flows
  . <(grep -E '^(hstart|mode|vg|vhost_sock)=' "$D/info")
  ovsenv "$D"
  taskset -pc 0 $$ > /dev/null
  local A="ovs-appctl -t $D/ovs-vswitchd.ctl" T=$(( vg == 1 ? 600 : 60 ))
  echo "watch: hpid=$hpid mode=$mode vg=$vg"
  # 1. wait for the bridge (OpenFlow mgmt socket) and the vhost-user socket
  for ((i = 0; i < T * 10; i++)); do
    alive "$hpid" "$hstart" || { echo "watch: $hpid not alive ($(cat /proc/$hpid/stat 2>&1)) hstart=$hstart"; break; }
    [ -S "$D/br0.mgmt" ] && [ -S "$D/vhu0" ] && { ok=1; break; }
    sleep 0.1
  done
  if [ $ok = 1 ]; then
    # 2. flows (fail_mode=secure: nothing is forwarded before this)
    flows=${OVSB_FLOWS:-}
    if [ -z "$flows" ]; then
      flows=$D/flows.txt
      printf '%s\n' 'in_port=vhu0,actions=output:vf0' 'in_port=vf0,actions=output:vhu0' > "$flows"
    fi
    # fail_mode=secure: the table starts empty (no NORMAL flow), so one
    # add-flows does it (each OpenFlow round trip takes seconds under valgrind,
    # where the busy PMD thread holds valgrind's big lock most of the time)
    timeout 120 ovs-ofctl add-flows br0 "$flows" || ok=0
    [ "$vg" = 1 ] || timeout 60 ovs-ofctl dump-flows br0
    err=$(ovs-vsctl --db=unix:$D/db.sock --timeout=20 get Interface vf0 error)
    echo "watch: vf0 error: $err"
    [ "$err" = "[]" ] || ok=0
    if [ $ok = 1 ]; then
      # 3. publish the socket where the harness expects it (it waits for -S)
      ln -sfn "$D/vhu0" "$vhost_sock"
      echo "watch: published $vhost_sock -> $D/vhu0 at $(date +%s.%N)"
    else
      # make the harness see "forwarder died" instead of measuring nothing
      echo "watch: set-up failed (flows or vf0), stopping ovs-vswitchd $hpid"
      kill -TERM "$hpid"
    fi
  else
    echo "watch: ovs-vswitchd never came up (or died)"
    alive "$hpid" "$hstart" && kill -TERM "$hpid"
  fi
  # 4. stats sampling (native runs only: under valgrind cycles mean nothing)
  local S=$D/samples
  : > "$S"
  while alive "$hpid" "$hstart"; do
    if [ $ok = 1 ] && [ "$vg" = 0 ] && [ "${OVSB_STATS:-1}" = 1 ]; then
      t=$(date +%s.%N)
      $A dpif-netdev/pmd-stats-show 2> /dev/null | awk -v t="$t" '
        /^pmd thread/ { p = 1 } /^main thread/ { p = 0 }
        p && /packets received:/ { r = $3 } p && /idle cycles:/ { id = $3 }
        p && /processing cycles:/ { pc = $3 } p && /simple match hits:/ { sm = $4 }
        p && /emc hits:/ { em = $3 } p && /smc hits:/ { sc = $3 } p && /megaflow hits:/ { mf = $3 }
        END { if (r != "") print t, r, pc, id, sm, em, sc, mf }' >> "$S"
      sleep "${OVSB_STATS_S:-1}"
    else
      sleep 0.2
    fi
  done
  echo "watch: ovs-vswitchd $hpid gone at $(date +%s.%N)"
  # 5. per-run summary over the VM-connected part, minus 3 s of start-up
  if [ -s "$S" ]; then
    local ta tr
    ta=$(grep -m1 "vHost Device '$D/vhu0' has been added" "$D/ovs-vswitchd.log" | cut -d'|' -f1)
    tr=$(grep "vHost Device '$D/vhu0' has been removed" "$D/ovs-vswitchd.log" | tail -1 | cut -d'|' -f1)
    ta=$([ -n "$ta" ] && date -d "$ta" +%s.%N || echo 0)
    tr=$([ -n "$tr" ] && date -d "$tr" +%s.%N || echo 9e9)
    awk -v ta="$ta" -v tr="$tr" -v mode="$mode" -v id="$hpid" -v vf="$(grep ^vf_devargs= "$D/info" | cut -d= -f2-)" '
      $1 >= ta + 3 && $1 <= tr { n++; if (n == 1) { t0 = $1; r0 = $2; p0 = $3; i0 = $4; s0 = $5; e0 = $6; m0 = $8 }
        t1 = $1; r1 = $2; p1 = $3; i1 = $4; s1 = $5; e1 = $6; m1 = $8 }
      END { if (n < 2 || r1 == r0) { printf "ovs-stats id=%s mode=%s samples=%d (no window)\n", id, mode, n; exit }
        dr = r1 - r0; dt = t1 - t0
        printf "ovs-stats ts=%s id=%s mode=%s vf=%s win_s=%.1f pmd_rx_mpps=%.3f proc_cyc_per_pkt=%.1f total_cyc_per_pkt=%.1f busy_pct=%.1f simple=%.3f emc=%.3f megaflow=%.3f\n",
          strftime("%FT%T", t0), id, mode, vf, dt, dr / dt / 1e6, (p1 - p0) / dr, (p1 - p0 + i1 - i0) / dr,
          100 * (p1 - p0) / (p1 - p0 + i1 - i0 + (p1 == p0 && i1 == i0)), (s1 - s0) / dr, (e1 - e0) / dr, (m1 - m0) / dr }' \
      "$S" | tee -a "$STATS_LOG"
  fi
  # 6. clean up: ovsdb-server (by its recorded PID), our socket link, our files
  local op; op=$(cat "$D/ovsdb.pid" 2>/dev/null)
  if [ -n "$op" ] && kill -0 "$op" 2> /dev/null; then
    kill -TERM "$op"
    for ((i = 0; i < 30; i++)); do kill -0 "$op" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$op" 2> /dev/null && kill -KILL "$op"
  fi
  [ "$(readlink "$vhost_sock" 2> /dev/null)" = "$D/vhu0" ] && rm -f "$vhost_sock"
  fp=$(grep ^fp= "$D/info" | cut -d= -f2)
  [ -n "$fp" ] && rm -f /dev/hugepages/"${fp}"fwd*map_* 2> /dev/null
  [ -n "$fp" ] && [ -d "/var/run/dpdk/${fp}fwd" ] && rm -rf "/var/run/dpdk/${fp}fwd"
  if [ "${OVSB_KEEP:-0}" = 1 ]; then echo "watch: kept $D"
  else mkdir -p "$BASE/logs"; cp "$D/ovs-vswitchd.log" "$BASE/logs/i$hpid.vswitchd.log" 2>/dev/null
    cp "$D/watch.log" "$BASE/logs/i$hpid.watch.log" 2>/dev/null; rm -rf "$D"; fi
}

# ---------------------------------------------------------------- manual helpers
instances() {
  local d hpid hstart
  for d in "$BASE"/run/i*; do
    [ -f "$d/info" ] || continue
    hpid=$(grep ^hpid= "$d/info" | cut -d= -f2); hstart=$(grep ^hstart= "$d/info" | cut -d= -f2)
    alive "$hpid" "$hstart" && echo "$hpid $d"
  done
}
pick() {  # pick [ID] -> dir of the instance (the only live one if no ID)
  if [ -n "${1:-}" ]; then echo "$BASE/run/i$1"; else instances | awk 'NR == 1 {print $2}'; fi
}

case ${1:-} in
  start)
    case $(readlink "/proc/$$/exe") in *valgrind*)
      die "under valgrind (cg.sh) use FWD_CMD='\$(./fwd-ovs.sh cmdline \$\$)'" ;; esac
    cmd=$(setup $$) || exit 1
    # shellcheck disable=SC2086
    exec $cmd ;;
  cmdline)
    [ -n "${2:-}" ] || die "usage: cmdline PID  (use \$\$ inside FWD_CMD)"
    setup "$2" ;;
  _watch) watch ;;
  list) instances ;;
  stop)
    found=0
    while read -r hpid d; do
      [ -n "${2:-}" ] && [ "$hpid" != "$2" ] && continue
      found=1; echo "stopping ovs-vswitchd $hpid ($d)"; kill -TERM "$hpid"
      for ((i = 0; i < 100; i++)); do alive "$hpid" || break; sleep 0.1; done
      alive "$hpid" && { echo "  SIGKILL $hpid"; kill -KILL "$hpid"; }
    done < <(instances)
    [ $found = 1 ] || echo "no live instance" ;;
  show)
    d=$(pick "${2:-}"); [ -d "$d" ] || die "no instance"
    ovsenv "$d"; A="ovs-appctl -t $d/ovs-vswitchd.ctl"
    $A dpif-netdev/pmd-stats-show; $A dpif-netdev/pmd-perf-show; $A dpif-netdev/pmd-rxq-show
    ovs-ofctl dump-flows br0; $A dpctl/dump-flows -m; $A dpctl/show -s ;;
  *) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 2 ;;
esac

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job, end to end on one machine (as root): sets the machine up,
# starts virtio-forwarder on hugepages with relay 1 joining a tap "VF" (in
# netns <tag>a, 10.99.0.1) to a virtio_user "VM" (testpmd, bridged to
# netns <tag>b, 10.99.0.2), sends ping and TCP both ways through the relay,
# prints the relay's counters and the daemon's hugepage footprint, and
# stops everything it started.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
"$TOP/scripts/setup-host.sh"
export BUILD=${BUILD:-$TOP/build} TAG=vfdemo DAEMON_EAL=""
. "$TOP/tests/integration/lib.sh"

free_before=$(awk '/HugePages_Free/{print $2}' /proc/meminfo)
make_netns
start_daemon demo -P net_tap0,iface=vf0=1
start_vm vm "$WORK/sock/virtio-forwarder1.sock"
setup_ips
wait_stat demo relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay 1 not ready"
free_now=$(awk '/HugePages_Free/{print $2}' /proc/meminfo)
log "relay 1 is forwarding; daemon hugepages in use: $(((free_before - free_now) * 2)) MB"

log "ping VF side -> VM side"
ping_ok "$NS_VF" 10.99.0.2 5
log "ping VM side -> VF side"
ping_ok "$NS_VM" 10.99.0.1 5
tcp_check "$NS_VF" "$NS_VM" 10.99.0.2 20000000
tcp_check "$NS_VM" "$NS_VF" 10.99.0.1 20000000

log "relay counters (SIGUSR1 dump):"
daemon_stat demo relay_1.active >/dev/null
awk '/stats (relay_1|mempool)/{sub(/.*stats /, "  "); print}' "$WORK/demo.log" | tail -27
stop_vm vm
stop_daemon demo
log "demo done: daemon stopped cleanly"

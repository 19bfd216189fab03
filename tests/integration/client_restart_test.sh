#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# vhost client mode: the VM (testpmd virtio_user, server=1) owns the socket;
# traffic crosses, the daemon is restarted under the running VM and traffic
# resumes on its own.
. "$(dirname "$0")/lib.sh"

make_netns
mkdir -p "$WORK/sock"
start_vm vm "$WORK/sock/virtio-forwarder1.sock" server
wait_for 10 test -S "$WORK/sock/virtio-forwarder1.sock" || fail "vm socket missing"
start_daemon d1 -i -P net_tap0,iface=vf0=1
wait_vm_tap
setup_ips
wait_stat d1 relay_1.vf_to_vm.internal_state DPDK_READY || fail "relay not ready"
ping_ok "$NS_VF" 10.99.0.2 5 || fail "ping before restart"
tcp_check "$NS_VM" "$NS_VF" 10.99.0.1 2000000

stop_daemon d1
[ -S "$WORK/sock/virtio-forwarder1.sock" ] || fail "client mode must leave the VM's socket alone"
ping_ok "$NS_VF" 10.99.0.2 1 && fail "ping crossed with no daemon"

start_daemon d2 -i -P net_tap0,iface=vf0=1
setup_ips # the tap is new
wait_stat d2 relay_1.vf_to_vm.internal_state DPDK_READY 30 || fail "relay not ready after restart"
wait_for 20 ping_ok "$NS_VF" 10.99.0.2 1 || fail "traffic did not resume"
ping_ok "$NS_VF" 10.99.0.2 5 || fail "ping after restart"
tcp_check "$NS_VF" "$NS_VM" 10.99.0.2 2000000
stop_daemon d2
log PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The Debian package: built from a copy of the tree with dpkg-buildpackage,
# installed with dpkg, and the installed service started the way systemd
# would (installed start script, installed config variables) and queried
# through the original's client name. Removed again at the end if it was
# not installed before.
. "$(dirname "$0")/../integration/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$WORK/pkg/src"
tar -C "$TOP" --exclude=./build --exclude=./.git --exclude='./obj-*' -cf - . |
	tar -C "$WORK/pkg/src" -xf -
(cd "$WORK/pkg/src" && dpkg-buildpackage -us -uc -b) >"$WORK/pkg/build.log" 2>&1 ||
	{ tail -30 "$WORK/pkg/build.log"; fail "dpkg-buildpackage"; }
deb=$(ls "$WORK"/pkg/virtio-forwarder_*_amd64.deb)
log "built $(basename "$deb")"

was_installed=0
dpkg-query -W -f='${Status}' virtio-forwarder 2>/dev/null | grep -q "ok installed" && was_installed=1
dpkg -i "$deb" >"$WORK/pkg/install.log" 2>&1 || { cat "$WORK/pkg/install.log"; fail "dpkg -i"; }
[ $was_installed = 1 ] || trap 'rc=$?; dpkg --purge virtio-forwarder >/dev/null 2>&1; (exit $rc); cleanup' EXIT

/usr/bin/virtio-forwarder --version | grep -q "^Virtio-forwarder version 2" || fail "--version"
dpkg -L virtio-forwarder | grep -x /etc/default/virtioforwarder >/dev/null || fail "config not shipped"
grep -qx /etc/default/virtioforwarder /var/lib/dpkg/info/virtio-forwarder.conffiles ||
	fail "config is not a conffile"
out=$(systemd-analyze verify /lib/systemd/system/virtio-forwarder.service 2>&1) || fail "verify: $out"
[ -z "$out" ] || fail "verify warns: $out"

# the installed service, as systemd starts it
mkdir -p "$WORK/run"
cat >"$WORK/cfg" <<X
. /etc/default/virtioforwarder
VIRTIOFWD_PID_DIR=$WORK/run
VIRTIOFWD_SOCKET_DIR=$WORK/sock
VIRTIOFWD_ZMQ_STATS_EP=ipc://$WORK/ep/stats
VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc://$WORK/ep/port_control
VIRTIOFWD_ZMQ_CONFIG_EP=ipc://$WORK/ep/config
VIRTIOFWD_ZMQ_CORE_SCHED_EP=ipc://$WORK/ep/core_sched
VIRTIOFWD_VHOST_CLIENT=
VIRTIOFWD_STATE_DIR=$WORK/state
VIRTIOFWD_IDLE_SLEEP_MAX_US=100
VIRTIOFWD_EAL_ARGS="--no-huge -m 256 --file-prefix=${TAG}pkg"
X
VIRTIOFWD_CONFIG=$WORK/cfg /usr/lib/virtio-forwarder/vio4wd-pre-start.sh || fail "pre-start"
VIRTIOFWD_CONFIG=$WORK/cfg /usr/lib/virtio-forwarder/vio4wd-start.sh >"$WORK/svc.log" 2>&1 &
svc=$!
PIDS+=($svc)
wait_for 30 grep -q "ready:" "$WORK/svc.log" || fail "installed service did not start"
/usr/lib/virtio-forwarder/virtioforwarder_port_control.py add --virtio-id 2 \
	--device net_null0 --zmq_ep "ipc://$WORK/ep/port_control" || fail "port_control alias"
/usr/lib/virtio-forwarder/virtioforwarder_stats.py --stats-ep "ipc://$WORK/ep/stats" \
	--include-inactive --delay 0 | grep "relay_2.vf.pci_addr_str=net_null0" >/dev/null || fail "stats alias"
# the path OpenStack's Agilio os-vif plugin hard-codes (openstack_test runs it)
[ "$(readlink -f /usr/lib64/virtio-forwarder/virtioforwarder_port_control.py)" = \
	/usr/lib/virtio-forwarder/port_control ] || fail "no /usr/lib64/virtio-forwarder alias"
[ -S "$WORK/sock/virtio-forwarder2.sock" ] || fail "static sockets of the shipped config"
# the CNI plugin where container runtimes look for plugins, answering
[ "$(readlink -f /opt/cni/bin/virtio-forwarder-cni)" = /usr/lib/virtio-forwarder/virtio-forwarder-cni ] ||
	fail "no /opt/cni/bin/virtio-forwarder-cni"
echo '{"cniVersion":"1.1.0"}' | CNI_COMMAND=VERSION /opt/cni/bin/virtio-forwarder-cni |
	grep '"1.1.0"' >/dev/null || fail "CNI VERSION"
echo "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"virtio-forwarder-cni\",
	\"controlEndpoint\":\"ipc://$WORK/ep/port_control\"}" |
	CNI_COMMAND=STATUS /opt/cni/bin/virtio-forwarder-cni || fail "CNI STATUS against the service"
kill -TERM $svc
rc=0
wait $svc || rc=$?
[ $rc = 0 ] || fail "exit $rc"
VIRTIOFWD_CONFIG=$WORK/cfg /usr/lib/virtio-forwarder/vio4wd-post-stop.sh || fail "post-stop"
# the port added above was recorded where the config says, not in the
# machine's /var/lib/virtio-forwarder (a test must not leave ports there)
grep -q '"net_null0"' "$WORK/state/state.json" || fail "dynamic port not recorded in VIRTIOFWD_STATE_DIR"
if [ $was_installed = 0 ]; then
	# a purge takes the recorded ports with it (postrm)
	mkdir -p /var/lib/virtio-forwarder
	cp "$WORK/state/state.json" /var/lib/virtio-forwarder/
	dpkg --purge virtio-forwarder >"$WORK/pkg/purge.log" 2>&1 || { cat "$WORK/pkg/purge.log"; fail "purge"; }
	[ ! -e /var/lib/virtio-forwarder ] || fail "purge left /var/lib/virtio-forwarder"
fi
log PASS

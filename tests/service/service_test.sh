#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The service as systemd runs it, without a running systemd: a DESTDIR
# install, `systemd-analyze verify` of the unit, the start script turning
# /etc/default/virtioforwarder variables (scalars, arrays, blanks) into
# options, pre-start directories and vfio binding on a fake sysfs, and the
# daemon started through the start script with this test playing systemd's
# notify socket: READY=1 only once the control endpoints answer, STATUS=,
# STOPPING=1 and exit 0 on SIGTERM.
. "$(dirname "$0")/../integration/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3

# --- install into a DESTDIR, with prefix /usr as a package would
meson setup "$WORK/b" "$TOP" --prefix=/usr >/dev/null
ninja -C "$WORK/b" >/dev/null
DESTDIR="$WORK/root" meson install -C "$WORK/b" --quiet >/dev/null
R=$WORK/root
for f in usr/bin/virtio-forwarder etc/default/virtioforwarder \
	lib/systemd/system/virtio-forwarder.service lib/systemd/system/virtio-forwarder-exporter.service \
	usr/lib/virtio-forwarder/vio4wd-start.sh usr/lib/virtio-forwarder/vio4wd-pre-start.sh \
	usr/lib/virtio-forwarder/vio4wd-post-stop.sh usr/lib/virtio-forwarder/vfwd-bind-vfio.sh \
	usr/lib/virtio-forwarder/port_control usr/lib/virtio-forwarder/virtioforwarder_port_control.py \
	usr/lib/virtio-forwarder/stats usr/lib/virtio-forwarder/virtioforwarder_stats.py \
	usr/lib/virtio-forwarder/config usr/lib/virtio-forwarder/core_pinner \
	usr/lib/virtio-forwarder/monitor_load usr/lib/virtio-forwarder/vfwd-exporter \
	usr/lib/virtio-forwarder/core_scheduler usr/lib/virtio-forwarder/vio4wd_core_scheduler.py \
	lib/systemd/system/vio4wd_core_scheduler.service \
	usr/share/doc/virtio-forwarder/README.md usr/share/doc/virtio-forwarder/docs/HACKING.md usr/share/doc/virtio-forwarder/examples/vhostuser-client.xml; do
	[ -e "$R/$f" ] || fail "not installed: /$f"
done
grep -q "^VIRTIOFWD_BINARY=/usr/bin/virtio-forwarder$" "$R/etc/default/virtioforwarder" ||
	fail "config does not name the installed binary"
log "DESTDIR install: ok"

# --- the unit passes systemd-analyze verify (paths rebased into DESTDIR)
mkdir -p "$WORK/units"
for u in virtio-forwarder virtio-forwarder-exporter vio4wd_core_scheduler; do
	sed "s|/usr/lib/virtio-forwarder|$R/usr/lib/virtio-forwarder|g" \
		"$R/lib/systemd/system/$u.service" >"$WORK/units/$u.service"
done
out=$(systemd-analyze verify "$WORK/units/virtio-forwarder.service" \
	"$WORK/units/vio4wd_core_scheduler.service" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
grep -q "^Type=notify$" "$WORK/units/virtio-forwarder.service" || fail "not Type=notify"
grep -q "^Before=.*nova-compute.service" "$WORK/units/virtio-forwarder.service" &&
	grep -q "^Before=.*libvirtd.service" "$WORK/units/virtio-forwarder.service" ||
	fail "not ordered before nova-compute and libvirtd"
grep -q "^StateDirectory=virtio-forwarder$" "$WORK/units/virtio-forwarder.service" ||
	fail "no StateDirectory for the state file"
log "systemd-analyze verify: ok"

# --- every variable becomes the right option
cat >"$WORK/stub.sh" <<'X'
#!/bin/bash
printf '%s\n' "$@" >"$STUB_OUT"
X
chmod +x "$WORK/stub.sh"
cat >"$WORK/cfg1" <<X
VIRTIOFWD_CPU_MASK=1,2
VIRTIOFWD_LOG_LEVEL=7
VIRTIOFWD_IPC_PORT_CONTROL=
VIRTIOFWD_JUMBO=y
VIRTIOFWD_MRGBUF=yes
VIRTIOFWD_TSO=
VIRTIOFWD_VHOST_IOMMU=y
VIRTIOFWD_SOCKET_OWNER=
VIRTIOFWD_SOCKET_GROUP=qemu
VIRTIOFWD_HUGETLBFS_MOUNT_POINT=/dev/hugepages
VIRTIOFWD_STATIC_VFS=(0000:05:08.1=1 "net_tap0,iface=vf0=2")
VIRTIOFWD_CPU_PINS="1:1,2 2:2"
VIRTIOFWD_PID_DIR=/run
VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///var/run/virtio-forwarder/port_control
VIRTIOFWD_ZMQ_STATS_EP=
VIRTIOFWD_ZMQ_CORE_SCHED_EP=ipc:///var/run/virtio-forwarder/core_sched
VIO4WD_CORE_SCHED_ENABLE=false
VIRTIOFWD_SOCKET_DIR=/tmp/virtio-forwarder
VIRTIOFWD_VHOST_CLIENT=y
VIRTIOFWD_DYNAMIC_SOCKETS=
VIRTIOFWD_VFIO_VF_TOKEN=0
VIRTIOFWD_IDLE_INTERRUPTS=y
VIRTIOFWD_IDLE_SLEEP_MAX_US=50
VIRTIOFWD_STATE_DIR=/var/lib/vfwd-state
VIRTIOFWD_NO_PERSIST=y
VIRTIOFWD_BINARY=$WORK/stub.sh
X
VIRTIOFWD_CONFIG=$WORK/cfg1 STUB_OUT=$WORK/argv "$R/usr/lib/virtio-forwarder/vio4wd-start.sh" ||
	fail "start script failed"
cat >"$WORK/want" <<'X'
-C
1,2
--nodaemon
--loglevel=7
--pid-path=/run
--huge-dir=/dev/hugepages
--vhost-path=/tmp/virtio-forwarder
--vhost-groupname=qemu
--vfio-vf-token=0
--idle-sleep-max-us=50
--state-dir=/var/lib/vfwd-state
--idle-interrupts
--enable-jumbo
--enable-mrgbuf
--vhost-iommu
--vhostuser-client
--no-persist
--zmq-port-control-ep=ipc:///var/run/virtio-forwarder/port_control
--add-pci-vf=0000:05:08.1=1
--add-pci-vf=net_tap0,iface=vf0=2
--virtio-cpu=1:1,2
--virtio-cpu=2:2
X
diff -u "$WORK/want" "$WORK/argv" || fail "start script options differ"
echo "VIRTIOFWD_CPU_MASK=" >"$WORK/cfg2"
VIRTIOFWD_CONFIG=$WORK/cfg2 "$R/usr/lib/virtio-forwarder/vio4wd-start.sh" 2>"$WORK/err" &&
	fail "started without VIRTIOFWD_CPU_MASK"
grep -q "VIRTIOFWD_CPU_MASK not set" "$WORK/err" || fail "no message for a missing CPU mask"
log "start script options: ok"

# --- pre-start: endpoint and socket directories, vfio binding (fake sysfs)
S=$WORK/sys
mkdir -p "$S/bus/pci/drivers/ixgbevf" "$S/bus/pci/drivers/vfio-pci" "$S/class/net/pf0/device"
for dev in 0000:05:08.1 0000:05:08.2 0000:05:08.3; do
	mkdir -p "$S/bus/pci/devices/$dev"
	: >"$S/bus/pci/devices/$dev/driver_override"
	ln -s ../../drivers/ixgbevf "$S/bus/pci/devices/$dev/driver"
done
: >"$S/bus/pci/drivers/ixgbevf/unbind"
: >"$S/bus/pci/drivers_probe"
ln -s ../../../../bus/pci/devices/0000:05:08.2 "$S/class/net/pf0/device/virtfn0"
ln -s ../../../../bus/pci/devices/0000:05:08.3 "$S/class/net/pf0/device/virtfn1"
cat >"$WORK/cfg3" <<X
VIRTIOFWD_ZMQ_STATS_EP=ipc://$WORK/epdir/stats
VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc://$WORK/epdir2/
VIRTIOFWD_SOCKET_DIR=$WORK/sockdir
VIRTIOFWD_PID_DIR=$WORK
VIRTIOFWD_BIND_VFIO_PCI=(05:08.1 pf0:1)
X
echo 999999 >"$WORK/virtio-forwarder.pid"
VIRTIOFWD_CONFIG=$WORK/cfg3 SYSFS=$S "$R/usr/lib/virtio-forwarder/vio4wd-pre-start.sh" \
	>"$WORK/pre.out" 2>&1 || { cat "$WORK/pre.out"; fail "pre-start failed"; }
[ "$(stat -c %a "$WORK/epdir")" = 750 ] && [ -d "$WORK/epdir2" ] || fail "endpoint dirs"
[ -d "$WORK/sockdir" ] || fail "socket dir"
[ ! -e "$WORK/virtio-forwarder.pid" ] || fail "stale pid file kept"
# sysfs files are written, not appended: the last device is what remains
grep -qx "0000:05:08.2" "$S/bus/pci/drivers/ixgbevf/unbind" || fail "not unbound"
grep -qx "0000:05:08.2" "$S/bus/pci/drivers_probe" || fail "pf0's first VF not probed"
grep -q "0000:05:08.1: ixgbevf -> vfio-pci" "$WORK/pre.out" || fail "05:08.1 not bound"
grep -q "0000:05:08.2: ixgbevf -> vfio-pci" "$WORK/pre.out" || fail "pf0:1 not bound"
grep -q "0000:05:08.3" "$WORK/pre.out" && fail "pf0:1 bound more than one VF"
log "pre-start and vfio binding: ok"

# --- the real daemon through the start script, this test as systemd
mkdir -p "$WORK/run" "$WORK/ep"
cat >"$WORK/cfg4" <<X
VIRTIOFWD_CPU_MASK=1
VIRTIOFWD_PID_DIR=$WORK/run
VIRTIOFWD_SOCKET_DIR=$WORK/sock
VIRTIOFWD_SOCKET_OWNER=root
VIRTIOFWD_SOCKET_GROUP=root
VIRTIOFWD_HUGETLBFS_MOUNT_POINT=/dev/hugepages
VIRTIOFWD_ZMQ_STATS_EP=ipc://$WORK/ep/stats
VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc://$WORK/ep/port_control
VIRTIOFWD_ZMQ_CORE_SCHED_EP=ipc://$WORK/ep/core_sched
VIO4WD_CORE_SCHED_ENABLE=true
VIRTIOFWD_STATIC_VFS=(net_null0=1)
VIRTIOFWD_IDLE_SLEEP_MAX_US=100
VIRTIOFWD_EAL_ARGS="--no-huge -m 256 --file-prefix=${TAG}svc"
VIRTIOFWD_BINARY=$BUILD/src/virtio-forwarder
VIRTIOFWD_STATE_DIR=$WORK/state
X
$PY "$(dirname "$0")/notify_listener.py" "$WORK/notify.sock" "$WORK/notify.log" &
PIDS+=($!)
wait_for 10 grep -q LISTENING "$WORK/notify.log" || fail "notify listener"
# JOURNAL_STREAM: stdout is journald's, so lines carry "<priority>" prefixes
VIRTIOFWD_CONFIG=$WORK/cfg4 NOTIFY_SOCKET=$WORK/notify.sock JOURNAL_STREAM=8:12345 \
	"$R/usr/lib/virtio-forwarder/vio4wd-start.sh" >"$WORK/svc.log" 2>&1 &
svc=$!
PIDS+=($svc)
wait_for 30 grep -q "READY=1" "$WORK/notify.log" || fail "no READY=1"
# ready means the control plane answers and the static VF is attached
out=$("$BUILD/clients/stats" --stats-ep "ipc://$WORK/ep/stats" --delay 0 --include-inactive) ||
	fail "stats did not answer right after READY=1"
grep -q "relay_1.vf_to_vm.internal_state=DPDK_ADDED" <<<"$out" || fail "static VF not up at READY"
grep -q "STATUS=" "$WORK/notify.log" || fail "no STATUS= line"
[ "$(cat "$WORK/run/virtio-forwarder.pid")" = "$svc" ] || fail "the start script must exec the daemon"
grep -q "^<5>ready: " "$WORK/svc.log" || fail "no journald priority prefix: $(head -3 "$WORK/svc.log")"
# pre-start of a second start must leave the running daemon's PID file
# alone (its comm, "virtio-forwarde", is cut to 15 characters)
VIRTIOFWD_CONFIG=$WORK/cfg4 "$R/usr/lib/virtio-forwarder/vio4wd-pre-start.sh" >"$WORK/pre2.out" 2>&1 &&
	fail "pre-start succeeded while the daemon runs"
grep -q "already running (pid $svc" "$WORK/pre2.out" || fail "pre-start: $(cat "$WORK/pre2.out")"
[ "$(cat "$WORK/run/virtio-forwarder.pid" 2>/dev/null)" = "$svc" ] ||
	fail "pre-start removed the running daemon's PID file"
# and the daemon's lock still keeps a second instance out
"$BUILD/src/virtio-forwarder" -C 1 -n --pid-path "$WORK/run" -d -- --no-huge -m 64 \
	--file-prefix="${TAG}svc2" >"$WORK/second.log" 2>&1 && fail "a second daemon started"
grep -q "another instance is running" "$WORK/second.log" || fail "second daemon: $(cat "$WORK/second.log")"
log "pre-start leaves a running daemon alone: ok"
kill -TERM "$svc"
rc=0
wait "$svc" || rc=$?
[ $rc -eq 0 ] || fail "SIGTERM: exit $rc"
wait_for 5 grep -q "STOPPING=1" "$WORK/notify.log" || fail "no STOPPING=1"
[ ! -e "$WORK/run/virtio-forwarder.pid" ] || fail "pid file left"
[ -z "$(ls "$WORK/sock")" ] || fail "sockets left: $(ls "$WORK/sock")"
VIRTIOFWD_CONFIG=$WORK/cfg4 "$R/usr/lib/virtio-forwarder/vio4wd-post-stop.sh" || fail "post-stop"
cat "$WORK/notify.log"
log PASS

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# libvirt as operators use it: the README's example domain
# (scripts/examples/vhostuser-<mode>.xml: <interface type='vhostuser'>,
# hugepage memory shared, <driver queues='2'/>) defined and started with
# virsh (libvirtd started by this test, domain type qemu under TCG), its
# disk replaced by the test kernel; the guest exchanges traffic with the
# netns behind the relay's VF.
#   libvirt_test.sh client|server   (the example's socket mode)
. "$(dirname "$0")/../integration/lib.sh"
MODE=${1:-client}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=$BUILD/vm-cache
V="virsh -q -c qemu:///system"
NAME=vfwd-$TAG
"$HERE/build-guest.sh" "$CACHE"
state=$("$HERE/libvirtd.sh")
lv_cleanup() {
	$V destroy "$NAME" >/dev/null 2>&1 || true
	$V undefine "$NAME" >/dev/null 2>&1 || true
	[ "$state" != started ] || "$HERE/libvirtd.sh" stop || true
}
# the domain (and a libvirtd we started) go first, then lib.sh's cleanup
trap 'rc=$?; lv_cleanup; (exit $rc); cleanup' EXIT
make_netns
mkdir -p "$WORK/sock"
SOCK=$WORK/sock/virtio-forwarder1.sock

# the example, as shipped, with only the name, the socket path, the disk
# (-> the test kernel) and the console (-> a file) changed
console=$WORK/console.log
cmdline="console=ttyS0 quiet panic=-1 vmt_ip=10.99.0.2/24 vmt_peer=10.99.0.1 vmt_bytes=1000000 vmt_port=7000 vmt_hold=5"
/usr/bin/python3 - "$TOP/scripts/examples/vhostuser-$MODE.xml" "$WORK/domain.xml" <<X
import re, sys
s = open(sys.argv[1]).read()
s = s.replace("<name>vm1</name>", "<name>$NAME</name>")
s = s.replace("<domain type='kvm'", "<domain type='qemu'")  # no usable KVM here
s = s.replace("/tmp/virtio-forwarder/virtio-forwarder1.sock", "$SOCK")
s = s.replace("<memory unit='MiB'>1024</memory>", "<memory unit='MiB'>256</memory>")
s = s.replace("<vcpu>2</vcpu>", "<vcpu>1</vcpu>")
s = s.replace("<boot dev='hd'/>", "<kernel>$CACHE/vmlinux</kernel><initrd>$CACHE/initramfs.cpio.gz</initrd><cmdline>$cmdline</cmdline>")
s = re.sub(r"<disk .*?</disk>", "", s, flags=re.S)
s = s.replace("<serial type='pty'><target port='0'/></serial>",
              "<serial type='file'><source path='$console'/><target port='0'/></serial>")
s = s.replace("<features><acpi/></features>", "<features><acpi/></features><on_poweroff>destroy</on_poweroff>")
open(sys.argv[2], "w").write(s)
X
ip netns exec "$NS_VF" /usr/bin/python3 "$HERE/../integration/tcp_xfer.py" sink 7000 \
	>"$WORK/sink.out" 2>&1 &
SINK=$!
PIDS+=($SINK)

if [ "$MODE" = client ]; then
	start_daemon d -P net_tap0,iface=vf0=1
	$V define "$WORK/domain.xml" >/dev/null || fail "virsh define"
	$V start "$NAME" >/dev/null || fail "virsh start"
else
	$V define "$WORK/domain.xml" >/dev/null || fail "virsh define"
	# QEMU (and so virsh start) waits for the forwarder to connect
	$V start "$NAME" >"$WORK/virsh-start.log" 2>&1 &
	starter=$!
	wait_for 30 test -S "$SOCK" || fail "QEMU did not create the socket"
	start_daemon d -i -P net_tap0,iface=vf0=1
	wait "$starter" || fail "virsh start: $(cat "$WORK/virsh-start.log")"
fi
ip netns exec "$NS_VF" ip addr add 10.99.0.1/24 dev vf0
ip netns exec "$NS_VF" ip link set vf0 up

wait_for 120 grep -aq "VMT SENT\|VMT RESULT" "$console" || { cat "$console"; fail "guest did not send"; }
grep -a "^VMT" "$console"
grep -aq "VMT PING_OK" "$console" || fail "guest ping through libvirt failed"
want=$(sed -n 's/.*VMT FILE \([0-9a-f]*\).*/\1/p' "$console")
wait "$SINK" || fail "tcp sink"
[ "$(cut -d' ' -f2 "$WORK/sink.out")" = "$want" ] || fail "guest -> netns digest"
got=$(ip netns exec "$NS_VF" busybox wget -q -O - http://10.99.0.2/big | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "netns -> guest digest"
log "libvirt ($MODE mode): ping, TCP and HTTP through the relay"
for _ in $(seq 100); do
	[ "$($V domstate "$NAME" 2>/dev/null)" = "shut off" ] && break
	sleep 0.2
done
stop_daemon d
log PASS

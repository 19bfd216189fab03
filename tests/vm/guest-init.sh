#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
# /init of the test guest. Kernel command line: vmt_ip=A/N vmt_peer=B
# vmt_bytes=N vmt_port=P. It pings the peer, sends N bytes of TCP to
# peer:P (printing their sha256), serves /www/big (N bytes, sha256 printed)
# over HTTP for vmt_hold seconds, then prints VMT RESULT PASS|FAIL and
# powers off. Lines of interest start with "VMT ".
# vmt_mtu=M sets eth0's MTU. If /vmt-script.sh exists (run-guest.sh
# GUEST_SCRIPT), it runs instead of that program once eth0 is up, with the
# vmt_* variables exported; its exit status decides PASS or FAIL.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
for kv in $(cat /proc/cmdline); do
	case "$kv" in vmt_*=*) eval "${kv%%=*}=\${kv#*=}" && export "${kv%%=*}" ;; esac
done
result() {
	echo "VMT RESULT $1"
	sync
	poweroff -f
}
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko; done
i=0
while [ ! -d /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -d /sys/class/net/eth0 ] || result FAIL
ip link set lo up
[ -z "${vmt_mtu:-}" ] || ip link set eth0 mtu "$vmt_mtu"
ip link set eth0 up
ip addr add "$vmt_ip" dev eth0
echo "VMT NET_UP features=$(cat /sys/bus/virtio/devices/*/features | head -1)"
if [ -f /vmt-script.sh ]; then
	if sh /vmt-script.sh; then result PASS; else result FAIL; fi
fi

i=0
until ping -c 1 -W 1 "$vmt_peer" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 60 ] || { echo "VMT NO_REPLY"; result FAIL; }
done
ping -c 5 -i 0.2 "$vmt_peer" >/tmp/ping.out 2>&1 || { cat /tmp/ping.out; result FAIL; }
echo "VMT PING_OK $(tail -1 /tmp/ping.out)"

dd if=/dev/urandom of=/www/big bs=1000 count=$((vmt_bytes / 1000)) 2>/dev/null
echo "VMT FILE $(sha256sum /www/big | cut -d' ' -f1)"
httpd -p 80 -h /www
echo "VMT SERVING"
# guest -> host: the sink closes after reading to EOF (nc half-closes on EOF)
nc "$vmt_peer" "$vmt_port" </www/big || { echo "VMT SEND_FAILED"; result FAIL; }
echo "VMT SENT"
sleep "${vmt_hold:-10}"
result PASS

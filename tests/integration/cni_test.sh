#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# virtio-forwarder-cni driven as a container runtime drives it (CNI_*
# variables, the network config on stdin) against a daemon in
# dynamic-sockets mode whose "VFs" are net_tap devargs in netns <tag>a;
# the pod is netns <tag>b. Every verb in every supported version: ADD
# (chained, prevResult passed through, twice), CHECK and its failures,
# DEL (twice, without prevResult, with the daemon down), GC, STATUS (50
# with the daemon down), VERSION, the error codes; and a virtio_user
# testpmd in the pod netns pinging through the VF on the returned socket,
# with the forwarder serving it and (vhost client mode) the pod serving it.
. "$(dirname "$0")/lib.sh"
CNI=$BUILD/clients/cni/virtio-forwarder-cni
PCL=$BUILD/clients/port_control
PY=/usr/bin/python3

make_netns
mkdir -p "$WORK/ep"
PC=ipc://$WORK/ep/port_control
NETNS=/var/run/netns/$NS_VM
SOCKDIR=$WORK/cni-sock
STATEDIR=$WORK/cni-state
DEVINFO=$WORK/devinfo
start_daemon d -d --zmq-port-control-ep="$PC"

# conf VERSION [EXTRA_JSON_MEMBERS]: a network config for the plugin
conf() {
	echo "{\"cniVersion\":\"$1\",\"name\":\"vfwd-net\",\"type\":\"virtio-forwarder-cni\"," \
		"\"socketDir\":\"$SOCKDIR\",\"podSocketDir\":\"/var/run/vfwd\",\"stateDir\":\"$STATEDIR\"," \
		"\"deviceInfoDir\":\"$DEVINFO\",\"controlEndpoint\":\"$PC\",\"timeoutMs\":500${2:+,$2}}"
}

# cni VERB CONTAINERID IFNAME CONFIG [VAR=VALUE...]: OUT and RC set
cni() {
	local verb=$1 cid=$2 ifname=$3 config=$4
	shift 4
	RC=0
	OUT=$(env CNI_COMMAND="$verb" CNI_CONTAINERID="$cid" CNI_IFNAME="$ifname" CNI_NETNS="$NETNS" \
		CNI_PATH="$(dirname "$CNI")" "$@" "$CNI" <<<"$config" 2>>"$WORK/cni.log") || RC=$?
}

# jget EXPR: a Python expression over j, the JSON in OUT
jget() { $PY -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$OUT"; }

expect_ok() {
	[ "$RC" -eq 0 ] || fail "$1: exit $RC: $OUT"
}
# expect_code CODE WHAT: a CNI error of that code on stdout, exit != 0
expect_code() {
	# exit 1 exactly: a sanitizer's report exits otherwise
	[ "$RC" -eq 1 ] || fail "$2: exit $RC, expected 1 with error $1: $OUT"
	local code
	code=$(jget 'j["code"]') || fail "$2: no error JSON: $OUT"
	[ "$code" = "$1" ] || fail "$2: error $code, expected $1: $OUT"
	[ -n "$(jget 'j["msg"]')" ] || fail "$2: no msg"
}
query() { "$PCL" --zmq_ep "$PC" query_pci --vhost-path "$1"; }

# VERSION
cni VERSION "" "" '{"cniVersion":"0.4.0"}'
expect_ok VERSION
[ "$(jget '",".join(j["supportedVersions"])')" = "0.4.0,1.0.0,1.1.0" ] || fail "VERSION: $OUT"

# errors: version, environment, config
cni ADD c1 net1 "$(conf 0.3.1 '"deviceID":"net_tap9"')"
expect_code 1 "version 0.3.1"
cni ADD "" net1 "$(conf 1.1.0 '"deviceID":"net_tap9"')"
expect_code 4 "no CNI_CONTAINERID"
cni ADD c1 "a/b" "$(conf 1.1.0 '"deviceID":"net_tap9"')"
expect_code 4 "bad CNI_IFNAME"
cni BOGUS c1 net1 "$(conf 1.1.0)"
expect_code 4 "bad CNI_COMMAND"
cni ADD c1 net1 '{"cniVersion": "1.1.0", '
expect_code 6 "truncated JSON"
cni ADD c1 net1 "$(conf 1.1.0 '"vhostMode":"sideways","deviceID":"net_tap9"')"
expect_code 7 "bad vhostMode"
cni ADD c1 net1 "$(conf 1.1.0)"
expect_code 7 "no VF"
cni STATUS "" "" "$(conf 1.0.0)"
expect_code 1 "STATUS in 1.0.0"
cni GC "" "" "$(conf 1.0.0 '"cni.dev/valid-attachments":[]')"
expect_code 1 "GC in 1.0.0"
# the device plugin's variable names the VF: a PCI address the daemon
# cannot probe here, refused, and nothing recorded
cni ADD c1 net1 "$(conf 1.1.0 '"resourceName":"example.com/vf_pool"')" \
	PCIDEVICE_EXAMPLE_COM_VF_POOL=0000:ff:1f.7
expect_code 102 "unprobeable PCIDEVICE VF"
[ -z "$(ls "$STATEDIR/vfwd-net" 2>/dev/null)" ] || fail "a refused ADD left a record"
# a variable listing several VFs: each attachment takes one no other holds
# (net_null devargs have no comma, so they stand in for PCI addresses)
pool=$(conf 1.1.0 '"resourceName":"example.com/vf_pool"')
for a in p0000000000a:net_null10 p0000000000b:net_null11 p0000000000a:net_null10; do
	cni ADD "${a%%:*}" net1 "$pool" PCIDEVICE_EXAMPLE_COM_VF_POOL=net_null10,net_null11
	expect_ok "ADD ${a%%:*} from the pool"
	[ "$(jget 'j["interfaces"][0]["pciID"]')" = "${a#*:}" ] || fail "ADD ${a%%:*} took: $OUT"
done
for c in p0000000000a p0000000000b; do
	cni DEL "$c" net1 "$pool"
	expect_ok "DEL $c"
done

cni STATUS "" "" "$(conf 1.1.0)"
expect_ok "STATUS with the daemon up"
[ -z "$OUT" ] || fail "STATUS printed: $OUT"

# ADD in every version, chained after a plugin that made eth0
i=0
for v in 1.1.0 1.0.0 0.4.0; do
	cid=$(printf 'c%011d' $i)0123456789abcdef
	dev="net_tap$i,iface=vf$i"
	ipver=""
	[ "$v" = 0.4.0 ] && ipver='"version":"4",'
	prev="{\"cniVersion\":\"$v\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"$NETNS\"}],\"ips\":[{$ipver\"address\":\"10.1.0.5/24\",\"interface\":0}]}"
	config=$(conf "$v" "\"deviceID\":\"$dev\",\"prevResult\":$prev")
	cni ADD "$cid" net1 "$config"
	expect_ok "ADD $v"
	sock="$SOCKDIR/${cid:0:12}-net1"
	[ "$(jget 'j["cniVersion"]')" = "$v" ] || fail "ADD $v: result version: $OUT"
	[ "$(jget 'j["interfaces"][0]["name"]')" = eth0 ] || fail "ADD $v: prevResult lost: $OUT"
	[ "$(jget 'j["ips"][0]["address"]')" = 10.1.0.5/24 ] || fail "ADD $v: ips lost: $OUT"
	[ "$(jget 'j["interfaces"][1]["socketPath"]')" = "$sock" ] || fail "ADD $v: socketPath: $OUT"
	[ "$(jget 'j["interfaces"][1]["pciID"]')" = "$dev" ] || fail "ADD $v: pciID: $OUT"
	[ "$(jget 'j["interfaces"][1]["name"]')" = net1 ] || fail "ADD $v: name: $OUT"
	[ -S "$sock" ] || fail "ADD $v: no socket $sock"
	[ "$(query "$sock")" = "$dev" ] || fail "ADD $v: the daemon relays $(query "$sock")"
	info=$DEVINFO/cni/vfwd-net-$cid-net1-device.json
	OUT=$(cat "$info") || fail "ADD $v: no device-info file"
	[ "$(jget 'j["type"], j["version"], j["vhost-user"]["mode"], j["vhost-user"]["path"]')" = \
		"vhost-user 1.1.0 client /var/run/vfwd/${cid:0:12}-net1" ] || fail "device-info: $OUT"
	result=$OUT
	cni ADD "$cid" net1 "$config"
	expect_ok "ADD $v again"
	# CHECK with the ADD's result as prevResult, and without
	cni ADD "$cid" net1 "$config" # the result to check against
	cni CHECK "$cid" net1 "$(conf "$v" "\"deviceID\":\"$dev\",\"prevResult\":$OUT")"
	expect_ok "CHECK $v"
	[ -z "$OUT" ] || fail "CHECK printed: $OUT"
	cni CHECK "$cid" net1 "$(conf "$v")"
	expect_ok "CHECK $v without prevResult"
	cni CHECK "$cid" net1 "$(conf "$v" "\"prevResult\":$prev")"
	expect_code 103 "CHECK $v with a prevResult lacking the interface"
	eval "CID_$i=$cid SOCK_$i=$sock INFO_$i=$info"
	: "$result"
	i=$((i + 1))
done
cni CHECK nosuchcontainer net1 "$(conf 1.1.0)"
expect_code 3 "CHECK of an unknown attachment"

# a pod's DPDK app on the 1.1.0 socket, pinging through the VF (vf0)
start_vm pod "$SOCK_0"
setup_ips
wait_for 20 ping_ok "$NS_VF" 10.99.0.2 1 || fail "no traffic through the CNI socket"
ping_ok "$NS_VF" 10.99.0.2 5 || fail "ping VF side -> pod"
ping_ok "$NS_VM" 10.99.0.1 5 || fail "ping pod -> VF side"
log "traffic through $SOCK_0"
stop_vm pod

# CHECK fails when the socket or the relay is gone
rm -f "$SOCK_2"
cni CHECK "$CID_2" net1 "$(conf 0.4.0)"
expect_code 100 "CHECK with the socket removed"
"$PCL" --zmq_ep "$PC" remove_sock --vhost-path "$SOCK_1" || fail "remove_sock behind the plugin"
$PY -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$SOCK_1"
cni CHECK "$CID_1" net1 "$(conf 1.0.0)"
expect_code 101 "CHECK with the relay removed"
rm -f "$SOCK_1"

# DEL: everything goes, twice, without prevResult (relay 1 already gone)
for i in 0 1 2; do
	eval "cid=\$CID_$i sock=\$SOCK_$i info=\$INFO_$i"
	v=$(sed -n "$((i + 1))p" <<<$'1.1.0\n1.0.0\n0.4.0')
	cni DEL "$cid" net1 "$(conf "$v")"
	expect_ok "DEL $v"
	[ -z "$OUT" ] || fail "DEL printed: $OUT"
	[ ! -e "$sock" ] || fail "DEL $v: socket left"
	[ ! -e "$info" ] || fail "DEL $v: device-info file left"
	[ ! -e "$STATEDIR/vfwd-net/$cid-net1.json" ] || fail "DEL $v: record left"
	query "$sock" >/dev/null && fail "DEL $v: the daemon still relays $sock"
	cni DEL "$cid" net1 "$(conf "$v")"
	expect_ok "DEL $v again"
	[ ! -e "$STATEDIR/vfwd-net/$cid-net1.json" ] || fail "DEL $v again: left a record"
	cni CHECK "$cid" net1 "$(conf "$v")"
	expect_code 3 "CHECK $v after DEL"
done
# the VFs are free again: a new attachment may take vf0
cni ADD gc00000000a1 net1 "$(conf 1.1.0 '"deviceID":"net_tap0,iface=vf0"')"
expect_ok "ADD after DEL"

# GC: attachments not in cni.dev/valid-attachments go, the others stay
cni ADD gc00000000b2 net2 "$(conf 1.1.0 '"deviceID":"net_tap1,iface=vf1"')"
expect_ok "ADD b2"
cni GC "" "" "$(conf 1.1.0 '"cni.dev/valid-attachments":[{"containerID":"gc00000000a1","ifname":"net1"}]')"
expect_ok GC
query "$SOCKDIR/gc00000000b2-net2" >/dev/null && fail "GC left the relay of b2"
[ ! -e "$STATEDIR/vfwd-net/gc00000000b2-net2.json" ] || fail "GC left b2's record"
[ "$(query "$SOCKDIR/gc00000000a1-net1")" = "net_tap0,iface=vf0" ] || fail "GC removed a1"
cni CHECK gc00000000a1 net1 "$(conf 1.1.0)"
expect_ok "CHECK a1 after GC"

# the daemon down: STATUS 50, ADD 11, CHECK 11, DEL succeeds (twice, and
# for an attachment never made) and leaves a record GC finishes later
stop_daemon d
cni STATUS "" "" "$(conf 1.1.0)"
expect_code 50 "STATUS with the daemon down"
cni ADD gc00000000c3 net1 "$(conf 1.1.0 '"deviceID":"net_tap2,iface=vf2"')"
expect_code 11 "ADD with the daemon down"
[ ! -e "$STATEDIR/vfwd-net/gc00000000c3-net1.json" ] || fail "a failed ADD left a record"
cni ADD gc00000000a1 net1 "$(conf 1.1.0 '"deviceID":"net_tap0,iface=vf0"')"
expect_code 11 "a repeated ADD with the daemon down"
[ -e "$STATEDIR/vfwd-net/gc00000000a1-net1.json" ] || fail "a failed repeated ADD lost the record"
cni CHECK gc00000000a1 net1 "$(conf 1.1.0)"
expect_code 11 "CHECK with the daemon down"
cni DEL gc00000000a1 net1 "$(conf 1.1.0)"
expect_ok "DEL with the daemon down"
cni DEL gc00000000a1 net1 "$(conf 1.1.0)"
expect_ok "DEL with the daemon down, again"
cni DEL neveradded net1 "$(conf 1.1.0)"
expect_ok "DEL of an attachment never made, daemon down"
cni GC "" "" "$(conf 1.1.0 '"cni.dev/valid-attachments":[]')"
expect_code 11 "GC with the daemon down"
# restarted in vhost client mode: the pod's virtio_user serves the socket
start_daemon d2 -i -d --zmq-port-control-ep="$PC"
cni STATUS "" "" "$(conf 1.1.0)"
expect_ok "STATUS after restart"
cni GC "" "" "$(conf 1.1.0 '"cni.dev/valid-attachments":[]')"
expect_ok "GC after restart"
[ -z "$(ls "$STATEDIR/vfwd-net")" ] || fail "GC left records: $(ls "$STATEDIR/vfwd-net")"

client=$(conf 1.1.0 '"vhostMode":"client","deviceID":"net_tap0,iface=vf0"')
cni ADD cl00000000d4 net1 "$client"
expect_ok "ADD, forwarder in client mode"
sock=$SOCKDIR/cl00000000d4-net1
OUT=$(cat "$DEVINFO/cni/vfwd-net-cl00000000d4-net1-device.json")
[ "$(jget 'j["vhost-user"]["mode"]')" = server ] || fail "client mode device-info: $OUT"
cni CHECK cl00000000d4 net1 "$client"
expect_ok "CHECK in client mode, before the pod serves the socket"
start_vm pod2 "$sock" server
wait_vm_tap
setup_ips
wait_for 20 ping_ok "$NS_VF" 10.99.0.2 1 || fail "no traffic with the pod serving the socket"
ping_ok "$NS_VM" 10.99.0.1 3 || fail "ping pod -> VF side, client mode"
log "traffic through $sock, the pod serving it"
stop_vm pod2
cni DEL cl00000000d4 net1 "$client"
expect_ok "DEL in client mode"
query "$sock" >/dev/null && fail "DEL in client mode left the relay"
[ -z "$(ls "$STATEDIR/vfwd-net")" ] || fail "records left: $(ls "$STATEDIR/vfwd-net")"
stop_daemon d2
! grep -E "Sanitizer|runtime error" "$WORK/cni.log" || fail "the plugin's sanitizers reported"
log PASS

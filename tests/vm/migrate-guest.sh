# SPDX-License-Identifier: BSD-3-Clause
# GUEST_SCRIPT of migrate_test.sh (busybox sh, in the guest): echo both TCP
# streams back, one the host dials (:7777), one the guest dials
# (vmt_peer:7001); wait for the test's "done" (a connection to :7999), then
# print eth0's counters for the test to hold against the relays'.
nc -ll -p 7777 -e /bin/cat &
# vmt_churn=1 (migrate_soak.sh TRAFFIC=off): the guest CPU keeps rewriting
# memory, so a migration has pages that only the guest CPU dirties
if [ "${vmt_churn:-0}" = 1 ]; then
	(while :; do cp -r /lib /tmp/churn && rm -rf /tmp/churn; done) &
fi
(
	i=0
	until nc "$vmt_peer" 7001 -e /bin/cat; do
		i=$((i + 1))
		[ $i -lt 150 ] || exit 1
		sleep 0.2
	done
) &
echo "VMT ECHO_READY"
nc -l -p 7999 </dev/null >/dev/null
sleep 1 # the last segments and FINs of that connection
s=/sys/class/net/eth0/statistics
echo "VMT STATS rx_packets=$(cat $s/rx_packets) tx_packets=$(cat $s/tx_packets) rx_dropped=$(cat $s/rx_dropped)"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The benchmark's own set-up (root, Debian 12): what tests/bench/run.sh needs
# beyond what scripts/setup-host.sh installs for the build and the tests.
# OVS-DPDK (openvswitch-switch-dpdk: OVS 3.1 on DPDK 22.11) is a candidate
# of the benchmark only, so it is installed here and never by the tests' set-up
# (CI smoke-runs the bench without it). Idempotent.
set -euo pipefail
PKGS=(openvswitch-switch-dpdk valgrind bc)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench setup: installing ${missing[*]}"
	# the bench runs private OVS instances; the package's system service must
	# not start (its vswitchd would be one more process on a 2-CPU host), so
	# deny service starts for the install unless a policy already exists
	pol=/usr/sbin/policy-rc.d
	if [ ! -e "$pol" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$pol"
		chmod +x "$pol"
		trap 'rm -f "$pol"' EXIT
	fi
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# the DPDK build of ovs-vswitchd (fwd-ovs.sh runs this binary directly)
[ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ] ||
	{ echo "bench setup: no /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk" >&2; exit 1; }
echo "bench setup: $(/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk --version | head -1)"

# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the service scripts: reads the configuration as bash (so the
# array variables work) from VIRTIOFWD_CONFIG, default /etc/default/virtioforwarder.
VIRTIOFWD_CONFIG=${VIRTIOFWD_CONFIG:-/etc/default/virtioforwarder}
if [ -r "$VIRTIOFWD_CONFIG" ]; then
	# shellcheck disable=SC1090
	. "$VIRTIOFWD_CONFIG"
fi
# "y", "yes", "true", "1" (any case) mean yes
vfwd_yes() {
	case "${1,,}" in y | yes | true | 1 | on) return 0 ;; *) return 1 ;; esac
}

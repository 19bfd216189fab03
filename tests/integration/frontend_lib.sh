# SPDX-License-Identifier: BSD-3-Clause
# Sourced by tests that drive tests/integration/vhost_frontend.py: one
# Python process per guest, commands over fifos. Needs WORK, PIDS and fail
# (lib.sh sets them).
FE_PY=$(dirname "${BASH_SOURCE[0]}")/vhost_frontend.py
declare -A FE_W FE_R
start_fe() { # start_fe NAME SOCK
	mkfifo "$WORK/$1.in" "$WORK/$1.out"
	python3 "$FE_PY" "$2" <"$WORK/$1.in" >"$WORK/$1.out" 2>"$WORK/fe_$1.log" &
	PIDS+=($!)
	local w r
	exec {w}>"$WORK/$1.in" {r}<"$WORK/$1.out"
	FE_W[$1]=$w
	FE_R[$1]=$r
}
# fe NAME CMD...: one command, its reply in REPLY (without "ok"); a reply
# "err ..." or none within 10 s fails the test
fe() {
	local name=$1
	shift
	echo "$*" >&"${FE_W[$name]}"
	read -r -t 10 -u "${FE_R[$name]}" REPLY || fail "front-end $name: no reply to '${*:0:80}'"
	[[ $REPLY == ok* ]] || fail "front-end $name: '${*:0:80}': $REPLY"
	REPLY=${REPLY#ok}
	REPLY=${REPLY# }
}

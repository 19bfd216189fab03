# Sourced helper: run dpdk-testpmd instances in the background, driven through
# From the project's shared perf harness (perf/), kept as measured there;
# tests/bench/run.sh drives it for virtio-forwarder.
# a FIFO on stdin, and read their counters. Only PIDs recorded here are ever
# signalled.
#   tp_start NAME ARGS...        start "dpdk-testpmd ARGS..." (stdin = fifo)
#   tp_cmd NAME 'cmd' [WAIT]     send a command, print the output it produced
#   tp_stop NAME                 quit (SIGTERM after 5 s, SIGKILL after 10 s)
#   tp_wait_log NAME REGEX [S]   wait until the log matches REGEX
# State: $TP_STATE/NAME/{in,log,pid,holder}

TP_STATE=${TP_STATE:-/tmp/perfbench}
TP_BIN=${TP_BIN:-dpdk-testpmd}

tp_start() {
  local name=$1; shift
  local d=$TP_STATE/$name
  mkdir -p "$d"
  rm -f "$d/in"; mkfifo "$d/in"
  sleep 1000000 > "$d/in" & echo $! > "$d/holder"
  # shellcheck disable=SC2086
  stdbuf -oL -eL ${TP_PREFIX:-} "$TP_BIN" "$@" < "$d/in" > "$d/log" 2>&1 &
  echo $! > "$d/pid"
}

tp_alive() { [ -f "$TP_STATE/$1/pid" ] && kill -0 "$(cat "$TP_STATE/$1/pid")" 2>/dev/null; }

tp_wait_log() {
  local name=$1 re=$2 t=${3:-20} i
  for ((i = 0; i < t * 10; i++)); do
    grep -qE "$re" "$TP_STATE/$name/log" && return 0
    tp_alive "$name" || { echo "tp $name died:" >&2; tail -20 "$TP_STATE/$name/log" >&2; return 1; }
    sleep 0.1
  done
  echo "tp $name: timeout waiting for /$re/" >&2; tail -20 "$TP_STATE/$name/log" >&2
  return 1
}

# tp_cmd NAME CMD [WAIT]: output of CMD (new log bytes after WAIT seconds)
tp_cmd() {
  local d=$TP_STATE/$1 n
  n=$(wc -c < "$d/log")
  echo "$2" > "$d/in"
  sleep "${3:-0.3}"
  tail -c +$((n + 1)) "$d/log"
}

tp_stop() {
  local d=$TP_STATE/$1 pid i
  [ -f "$d/pid" ] || return 0
  pid=$(cat "$d/pid")
  if kill -0 "$pid" 2>/dev/null; then
    if [ -p "$d/in" ]; then timeout 2 bash -c "echo quit > '$d/in'" 2>/dev/null || true
    else kill -INT "$pid" 2>/dev/null; fi
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$d/pid"
  if [ -f "$d/holder" ]; then kill "$(cat "$d/holder")" 2>/dev/null || true; rm -f "$d/holder"; fi
  return 0
}

# port_counters LOGTEXT PORT FIELD -> number (from 'show port stats all')
port_counter() {
  awk -v p="$2" -v f="$3" '
    /NIC statistics for port/ { cur = $0; sub(/.*port +/, "", cur); sub(/ .*/, "", cur) }
    cur == p { for (i = 1; i <= NF; i++) if ($i == f":") { print $(i+1); exit } }' <<< "$1"
}

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build one libFuzzer binary per control service, and one for the state
# file reader (clang, with ASan and UBSan), and run each for FUZZ_SECONDS
# from the committed seed corpus.
#   run.sh BUILD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${1:?build dir}
SECS=${FUZZ_SECONDS:-20}
OUT=$BUILD/fuzz
mkdir -p "$OUT"
protoc-c --proto_path="$TOP/api" --c_out="$OUT" "$TOP/api/virtioforwarder.proto"
SRCS=("$TOP"/control/svc_*.c "$TOP/control/errcodes.c" "$TOP/control/clog.c"
	"$TOP/relay/pciaddr.c" "$TOP/relay/state.c" "$OUT/virtioforwarder.pb-c.c" "$TOP/tests/common/fake_relay.c")
for svc in port stats config core; do
	def=SVC_$(echo $svc | tr a-z A-Z)
	clang -g -O1 -D_GNU_SOURCE -DFUZZ_SVC=$def -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I"$TOP/control" -I"$TOP/relay" -I"$TOP/api" -I"$TOP/tests/common" -I"$OUT" \
		"$HERE/fuzz_svc.c" "${SRCS[@]}" -lprotobuf-c -o "$OUT/fuzz_$svc"
	work=$(mktemp -d "$OUT/corpus_$svc.XXXXXX")
	cp "$HERE/corpus/$svc"/* "$work/"
	echo "fuzz_$svc: $SECS s from $(ls "$work" | wc -l) seeds"
	"$OUT/fuzz_$svc" -max_total_time="$SECS" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
		-print_final_stats=1 "$work" 2>"$OUT/fuzz_$svc.log" ||
		{ tail -60 "$OUT/fuzz_$svc.log"; exit 1; }
	grep -E "^stat::number_of_executed_units|^Done" "$OUT/fuzz_$svc.log" || true
	rm -rf "$work"
done
# the state file reader (control/state_file.c, jansson)
clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$TOP/control" "$HERE/fuzz_state.c" "$TOP/control/state_file.c" -ljansson -o "$OUT/fuzz_state"
work=$(mktemp -d "$OUT/corpus_state.XXXXXX")
cp "$HERE/corpus/state"/* "$work/"
echo "fuzz_state: $SECS s from $(ls "$work" | wc -l) seeds"
"$OUT/fuzz_state" -max_total_time="$SECS" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
	-print_final_stats=1 "$work" 2>"$OUT/fuzz_state.log" || { tail -60 "$OUT/fuzz_state.log"; exit 1; }
grep -E "^stat::number_of_executed_units|^Done" "$OUT/fuzz_state.log" || true
rm -rf "$work"

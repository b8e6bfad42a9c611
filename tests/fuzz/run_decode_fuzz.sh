#!/usr/bin/env bash
# Runs the libFuzzer harness of the trace decoder and the packet disassemblers for a fixed time:
# run_decode_fuzz.sh <build-dir> <seconds>
# (after `cmake --preset fuzz` and `cmake --build --preset fuzz`). Starts from the checked-in seeds
# (tests/fuzz/decode_seeds); new inputs go to a scratch corpus under the build dir, never into the
# source tree. Exits non-zero on any finding and prints the reproducer's path.
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 <build-dir> <seconds>" >&2
  exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
fuzzer=$build/tests/fuzz/decode_fuzzer
seeds=$here/decode_seeds
work=$build/tests/fuzz/decode_run
if [[ ! -x $fuzzer ]]; then
  echo "run_decode_fuzz: $fuzzer not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
  exit 2
fi

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
log=$work/fuzz.log

set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$fuzzer" "$work/corpus" "$seeds" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
  >"$log" 2>&1
rc=$?
set -e

grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" || true
findings=$(find "$work/artifacts" -type f | sort)
if ((rc != 0)) || [[ -n $findings ]]; then
  tail -n 60 "$log" >&2
  echo "run_decode_fuzz: FINDING (fuzzer exit $rc). Reproducers:" >&2
  for f in $findings; do echo "  $f   (rerun: $fuzzer $f)" >&2; done
  exit 1
fi
echo "run_decode_fuzz: ${seconds}s, no finding (log: $log)"

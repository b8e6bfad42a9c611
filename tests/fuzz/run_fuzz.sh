#!/usr/bin/env bash
# Runs one libFuzzer harness of the `fuzz` preset for a fixed time:
#   run_fuzz.sh <name> <build-dir> <seconds>      name: elf | trace | decode
# (CI: bash tests/fuzz/run_fuzz.sh elf build/fuzz 60, after `cmake --preset fuzz` and
# `cmake --build --preset fuzz`). Seeds: the checked-in tests/fuzz/<name>_seeds, else the corpus the
# fuzz build made (<build>/tests/fuzz/<name>_seeds); a dictionary tests/fuzz/<name>.dict is used
# when present. New inputs go to a scratch corpus under the build dir, never into the source tree.
# Exits non-zero on any finding (crash, sanitizer report, leak, timeout, OOM) and prints the
# reproducers' paths.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 <elf|trace|decode> <build-dir> <seconds>" >&2
  exit 2
fi
name=$1
build=$2
seconds=$3
here=$(cd "$(dirname "$0")" && pwd)
tag="fuzz $name"
fuzzer=$build/tests/fuzz/${name}_fuzzer
seeds=$here/${name}_seeds
[[ -d $seeds ]] || seeds=$build/tests/fuzz/${name}_seeds
work=$build/tests/fuzz/${name}_run
if [[ ! -x $fuzzer ]]; then
  echo "$tag: $fuzzer not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
  exit 2
fi
if [[ -z $(ls -A "$seeds" 2>/dev/null) ]]; then
  echo "$tag: no seeds in $seeds; fuzzing from an empty corpus" >&2
  mkdir -p "$seeds"
fi
dict=()
[[ -f $here/$name.dict ]] && dict=(-dict="$here/$name.dict")

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
log=$work/fuzz.log

# The first corpus dir receives new inputs; the seed dir is only read.
set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$fuzzer" "$work/corpus" "$seeds" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  "${dict[@]}" -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
  >"$log" 2>&1
rc=$?
set -e

grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" || true
findings=$(find "$work/artifacts" -type f | sort)
if ((rc != 0)) || [[ -n $findings ]]; then
  tail -n 60 "$log" >&2
  echo "$tag: FINDING (fuzzer exit $rc). Reproducers:" >&2
  for f in $findings; do echo "  $f   (rerun: $fuzzer $f)" >&2; done
  exit 1
fi
echo "$tag: ${seconds}s, no finding (log: $log)"

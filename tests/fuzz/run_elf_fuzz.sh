#!/usr/bin/env bash
# Runs the ELF reader's libFuzzer harness for a fixed time: run_elf_fuzz.sh <build-dir> <seconds>
# (CI: bash tests/fuzz/run_elf_fuzz.sh build/fuzz 60, after `cmake --preset fuzz` and
# `cmake --build --preset fuzz`). Starts from the seed corpus the fuzz build compiled; new inputs
# go to a scratch corpus under the build dir, never into the source tree. Exits non-zero on any
# finding (crash, sanitizer report, leak, timeout, OOM) and prints the reproducer's path.
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 <build-dir> <seconds>" >&2
  exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
fuzzer=$build/tests/fuzz/elf_fuzzer
seeds=$build/tests/fuzz/elf_seeds
work=$build/tests/fuzz/elf_run
if [[ ! -x $fuzzer ]]; then
  echo "run_elf_fuzz: $fuzzer not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
  exit 2
fi
if [[ -z $(ls -A "$seeds" 2>/dev/null) ]]; then
  echo "run_elf_fuzz: no seeds in $seeds; fuzzing from an empty corpus" >&2
  mkdir -p "$seeds"
fi

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
log=$work/fuzz.log

# The first corpus dir receives new inputs; the seed dir is only read.
set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$fuzzer" "$work/corpus" "$seeds" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -dict="$here/elf.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
  >"$log" 2>&1
rc=$?
set -e

grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" || true
findings=$(find "$work/artifacts" -type f | sort)
if ((rc != 0)) || [[ -n $findings ]]; then
  tail -n 60 "$log" >&2
  echo "run_elf_fuzz: FINDING (fuzzer exit $rc). Reproducers:" >&2
  for f in $findings; do echo "  $f   (rerun: $fuzzer $f)" >&2; done
  exit 1
fi
echo "run_elf_fuzz: ${seconds}s, no finding (log: $log)"

#!/bin/sh
# ns per AMDKFD_IOC_GET_VERSION on the preloaded simulator: bare, under librawgpu_sniff.so, and
# under strace -f -e trace=ioctl, with the cost each adds. Usage: bench/sniff_overhead.sh [BUILD_DIR]
set -eu
B=${1:-build/release}
BENCH=$B/bench/rawgpu_bench_sniff_overhead
SIM=$B/tools/preload/librawgpu_sim.so
SNIFF=$B/tools/sniff/librawgpu_sniff.so
for f in "$BENCH" "$SIM" "$SNIFF"; do
  [ -e "$f" ] || { echo "missing $f (build rawgpu_bench_sniff_overhead rawgpu_sim_preload rawgpu_sniff)" >&2; exit 2; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ns() {  # the benchmark's time per iteration in ns, from its JSON output
  sed -n 's/.*"real_time": *\([0-9.e+]*\).*/\1/p' "$1" | head -n 1
}
LD_PRELOAD="$SIM" "$BENCH" --benchmark_format=json > "$TMP/bare.json"
LD_PRELOAD="$SNIFF $SIM" RAWGPU_SNIFF_OUT="$TMP/t.rgtrace" RAWGPU_SNIFF_SNAPSHOTS=0 \
  "$BENCH" --benchmark_format=json > "$TMP/sniff.json"
LD_PRELOAD="$SNIFF $SIM" RAWGPU_SNIFF_OUT="$TMP/z.rgtrace" RAWGPU_SNIFF_SNAPSHOTS=0 RAWGPU_SNIFF_ZSTD=1 \
  "$BENCH" --benchmark_format=json > "$TMP/zstd.json"
bare=$(ns "$TMP/bare.json")
line() {  # label ns
  awk -v l="$1" -v v="$2" -v b="$bare" 'BEGIN { printf "%-14s %10.1f ns/ioctl  (+%.1f ns)\n", l, v, v - b }'
}
line "bare:" "$bare"
line "sniffed:" "$(ns "$TMP/sniff.json")"
line "sniffed zstd:" "$(ns "$TMP/zstd.json")"
if command -v strace > /dev/null 2>&1; then
  LD_PRELOAD="$SIM" strace -f -e trace=ioctl -o /dev/null "$BENCH" --benchmark_format=json \
    > "$TMP/strace.json"
  line "strace:" "$(ns "$TMP/strace.json")"
else
  echo "strace: not installed (scripts/setup.sh installs it)"
fi

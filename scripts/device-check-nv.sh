#!/usr/bin/env bash
# The NVIDIA real-hardware check (run on the machine with the GPU, from the repository root, with
# build/device-nv carried over from scripts/device-pack-nv.sh). Writes everything to $OUT:
#   env.txt              driver version, nodes, GPU facts
#   nv_device_test.xml   the NVIDIA test suite against nv:0 (and the simulator, for comparison)
#   demo.json            rawgpu demo --device nv:0 --json
#   bench.json           rawgpu's CPU cost per launch on nv:0 (Google Benchmark)
#   cuda.json            the same launches through cuLaunchKernel (libcuda)
#   summary.txt          the launch-overhead ratio and pass/fail of each step
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/rawgpu-device-check}
P=build/device-nv
mkdir -p "$OUT"
export LD_LIBRARY_PATH="$PWD/$P/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export RAWGPU_KERNEL_DIR="$PWD/$P/kernels"
S="$OUT/summary.txt"
: >"$S"
step() { echo "$1: $2" | tee -a "$S"; }

{
  cat /proc/driver/nvidia/version 2>&1
  ls -l /dev/nvidia* 2>&1
  for g in /proc/driver/nvidia/gpus/*; do cat "$g/information" 2>&1; done
  nvidia-smi -q 2>&1 | head -60
  "$P/bin/rawgpu" info --json 2>&1
} >"$OUT/env.txt"

timeout 300 "$P/bin/nv_device_test" --gtest_output="xml:$OUT/nv_device_test.xml" >"$OUT/nv_device_test.log" 2>&1
step nv_device_test "exit $? ($(grep -c '\[       OK \]' "$OUT/nv_device_test.log") ok, $(grep -c '\[  FAILED  \]' "$OUT/nv_device_test.log") failed lines)"

timeout 120 "$P/bin/rawgpu" demo --device nv:0 --json >"$OUT/demo.json" 2>"$OUT/demo.err"
step demo "exit $?"

RAWGPU_BENCH_DEVICE=nv:0 timeout 180 "$P/bin/rawgpu_bench_nv_dispatch" --benchmark_format=json \
  --benchmark_repetitions=3 >"$OUT/bench.json" 2>"$OUT/bench.err"
step bench "exit $?"

ARCH=$(grep -o '"arch": *"sm_[0-9]*"' "$OUT/demo.json" | head -1 | grep -o 'sm_[0-9]*')
ARCH=${ARCH:-sm_90}
if command -v nvcc >/dev/null && nvcc -O2 -o "$OUT/cuda_launch_compare" "$P/cuda_launch_compare.cpp" -lcuda \
    2>"$OUT/cuda_build.err"; then
  timeout 120 "$OUT/cuda_launch_compare" "$P/kernels/basic_$ARCH.cubin" >"$OUT/cuda.json" 2>"$OUT/cuda.err"
  step cuda_compare "exit $?"
else
  step cuda_compare "could not build (see cuda_build.err)"
fi

python3 - "$OUT" >>"$S" 2>&1 <<'PY'
import json, sys, os
out = sys.argv[1]
def load(n):
    try:
        return json.load(open(os.path.join(out, n)))
    except Exception as e:
        return None
b, c = load("bench.json"), load("cuda.json")
ours = {}
if b:
    for r in b.get("benchmarks", []):
        if r.get("aggregate_name") == "median":
            ours[r["run_name"]] = r["cpu_time"] if "batch" not in r["run_name"] else r.get("ns_per_dispatch", r["cpu_time"] / 1000)
print("rawgpu medians (ns):", ours)
print("cuda:", c)
if c and ours:
    s = ours.get("BM_exec_submit"); t = ours.get("BM_batch_1000")
    if s: print("single launch: rawgpu %.0f ns vs cuLaunchKernel %.0f ns -> ratio %.2f" % (s, c["cuLaunchKernel_single_ns"], c["cuLaunchKernel_single_ns"] / s))
    if t: print("batched launch: rawgpu %.0f ns vs cuLaunchKernel %.0f ns -> ratio %.2f" % (t, c["cuLaunchKernel_batch1000_ns"], c["cuLaunchKernel_batch1000_ns"] / t))
PY
cat "$S"

#!/usr/bin/env bash
# Builds the NVIDIA real-hardware check here and packs it into build/device-nv: the binaries, the
# shared libraries they need that a bare machine may lack, the built kernels, and the CUDA
# comparison source. scripts/device-check-nv.sh runs it on the machine with the GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >/dev/null
B=build/release
P=build/device-nv
rm -rf "$P"
mkdir -p "$P/bin" "$P/lib" "$P/kernels"
cp "$B/tools/rawgpu" "$B/tests/nv/nv_device_test" "$B/bench/rawgpu_bench_nv_dispatch" "$P/bin/"
cp -L "$B"/librawgpu.so* "$P/lib/" 2>/dev/null || true
cp "$B"/kernels/*.cubin "$B"/kernels/sim_basic_sm_*.co "$P/kernels/" 2>/dev/null || true
cp bench/cuda_launch_compare.cpp "$P/"
# Every non-glibc library the binaries load (libstdc++ too: the other machine's may be older).
for f in "$P"/bin/*; do
  ldd "$f" | awk '/=> \//{print $3}'
done | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libcuda.so*) ;;
    *) cp -L "$lib" "$P/lib/" ;;
  esac
done
du -sh "$P"

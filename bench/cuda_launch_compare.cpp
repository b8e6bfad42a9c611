// The same launches through the CUDA driver API, for the launch-overhead ratio of
// scripts/device-check-nv.sh: CPU ns per cuLaunchKernel of the empty kernel, single (launch +
// synchronize) and in a batch of 1000, on the same cubin rawgpu runs. Built there with
//   nvcc -O2 -o cuda_launch_compare bench/cuda_launch_compare.cpp -lcuda
// (it links libcuda, which rawgpu itself never does). Prints one JSON object.
#include <cuda.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

namespace {

#define CHECK(x)                                                     \
  do {                                                               \
    CUresult r_ = (x);                                               \
    if (r_ != CUDA_SUCCESS) {                                        \
      const char* n_ = nullptr;                                      \
      cuGetErrorName(r_, &n_);                                       \
      std::fprintf(stderr, "%s: %s\n", #x, n_ ? n_ : "?");           \
      return 1;                                                      \
    }                                                                \
  } while (0)

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cuda_launch_compare <basic_sm_NN.cubin>\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<char> cubin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (cubin.empty()) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  CHECK(cuInit(0));
  CUdevice dev;
  CHECK(cuDeviceGet(&dev, 0));
  CUcontext ctx;
  CHECK(cuDevicePrimaryCtxRetain(&ctx, dev));
  CHECK(cuCtxSetCurrent(ctx));
  CUmodule mod;
  CHECK(cuModuleLoadData(&mod, cubin.data()));
  CUfunction empty;
  CHECK(cuModuleGetFunction(&empty, mod, "empty"));
  using Clock = std::chrono::steady_clock;
  // Warm up.
  for (int i = 0; i < 100; ++i) CHECK(cuLaunchKernel(empty, 1, 1, 1, 64, 1, 1, 0, nullptr, nullptr, nullptr));
  CHECK(cuCtxSynchronize());
  std::vector<double> single, batch;
  for (int rep = 0; rep < 200; ++rep) {
    const auto t = Clock::now();
    CHECK(cuLaunchKernel(empty, 1, 1, 1, 64, 1, 1, 0, nullptr, nullptr, nullptr));
    single.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t).count());
    CHECK(cuCtxSynchronize());
  }
  for (int rep = 0; rep < 20; ++rep) {
    const auto t = Clock::now();
    for (int i = 0; i < 1000; ++i)
      CHECK(cuLaunchKernel(empty, 1, 1, 1, 64, 1, 1, 0, nullptr, nullptr, nullptr));
    batch.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t).count() / 1000);
    CHECK(cuCtxSynchronize());
  }
  // Round trip: launch + synchronize.
  std::vector<double> rt;
  for (int rep = 0; rep < 200; ++rep) {
    const auto t = Clock::now();
    CHECK(cuLaunchKernel(empty, 1, 1, 1, 64, 1, 1, 0, nullptr, nullptr, nullptr));
    CHECK(cuCtxSynchronize());
    rt.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t).count());
  }
  int drv = 0;
  cuDriverGetVersion(&drv);
  std::printf("{\"cuda_driver_version\": %d, \"cuLaunchKernel_single_ns\": %.0f, "
              "\"cuLaunchKernel_batch1000_ns\": %.0f, \"launch_sync_round_trip_ns\": %.0f}\n",
              drv, median(single), median(batch), median(rt));
  cuModuleUnload(mod);
  cuDevicePrimaryCtxRelease(dev);
  return 0;
}

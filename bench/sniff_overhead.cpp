// The cost of one cheap ioctl on a driver fd: AMDKFD_IOC_GET_VERSION on /dev/kfd in a tight loop.
// Run it bare (librawgpu_sim.so preloaded, or a real KFD), under librawgpu_sniff.so and under
// strace to see what each adds per call: bench/sniff_overhead.sh does all three.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kfd/abi.h"

namespace {

void BM_KfdGetVersion(benchmark::State& state) {
  const int fd = ::open("/dev/kfd", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    state.SkipWithError("cannot open /dev/kfd (preload librawgpu_sim.so or run on an AMD GPU)");
    return;
  }
  kfd_ioctl_get_version_args v{};
  for (auto _ : state) {
    const int r = ::ioctl(fd, AMDKFD_IOC_GET_VERSION, &v);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  ::close(fd);
}
BENCHMARK(BM_KfdGetVersion)->MinTime(0.5);

}  // namespace

BENCHMARK_MAIN();

// CPU cost of the dispatch hot path on the NVIDIA and Qualcomm backends: on the simulated GPU
// named by RAWGPU_BENCH_DEFAULT_DEVICE (sim-nv:0 for rawgpu_bench_nv_dispatch, sim-qcom:0 for
// rawgpu_bench_qcom_dispatch; the simulator's own work runs on its engine thread and the timer is
// paused while the queue drains), or on a real GPU with RAWGPU_BENCH_DEVICE=nv:0 / qcom:0
// (scripts/device-check-nv.sh does that on the H200). On Qualcomm, submit() is an ioctl
// (IOCTL_KGSL_GPU_COMMAND): KGSL has no user-mode doorbell.
//   rawgpu_bench_nv_dispatch --benchmark_filter=.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "devices/registry.h"

using namespace rawgpu;
using namespace std::chrono_literals;

namespace {

struct Rig {
  std::unique_ptr<queues::Device> dev;
  std::unique_ptr<queues::Program> empty;
  std::unique_ptr<queues::ComputeQueue> q;
  std::unique_ptr<queues::Signal> sig;
  uint64_t value = 0;

  Rig() {
    const char* name = std::getenv("RAWGPU_BENCH_DEVICE");
    auto d = rawgpu::open(name && *name ? name : RAWGPU_BENCH_DEFAULT_DEVICE);
    if (!d) fail(d.error().message());
    dev = std::move(d).value();
    const auto& p = dev->properties();
    const char* kd = std::getenv("RAWGPU_KERNEL_DIR");
    const std::string dir = kd && *kd ? kd : RAWGPU_KERNEL_DIR;
    std::ifstream in(p.simulated ? dir + "/sim_basic_" + p.arch + ".co" : dir + "/basic_" + p.arch + ".cubin",
                     std::ios::binary);  // real Adreno kernels are not built (no compiler)
    std::vector<uint8_t> co((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto e = dev->load(co, "empty");
    if (!e) fail(e.error().message());
    empty = std::move(e).value();
    auto qq = dev->create_compute_queue({.ring_bytes = 1 << 16});
    if (!qq) fail(qq.error().message());
    q = std::move(qq).value();
    sig = dev->create_signal(0).value();
  }
  static void fail(const std::string& m) {
    std::fprintf(stderr, "bench setup: %s\n", m.c_str());
    std::exit(1);
  }
  void drain() {
    if (!q->signal(*sig, ++value).ok() || !q->submit().ok() || !sig->wait(value, 60s).ok())
      fail("drain failed");
  }
};

void BM_exec_submit(benchmark::State& state) {
  Rig r;
  queues::KernelArgs none;
  int n = 0;
  for (auto _ : state) {
    if (!r.q->exec(*r.empty, none, {1}, {64}).ok() || !r.q->submit().ok()) state.SkipWithError("exec");
    if (++n % 256 == 0) {
      state.PauseTiming();
      r.drain();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_batch_1000(benchmark::State& state) {
  Rig r;
  queues::KernelArgs none;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i)
      if (!r.q->exec(*r.empty, none, {1}, {64}).ok()) state.SkipWithError("exec");
    if (!r.q->submit().ok()) state.SkipWithError("submit");
    state.PauseTiming();
    r.drain();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.counters["ns_per_dispatch"] = benchmark::Counter(
      static_cast<double>(state.iterations() * 1000), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_signal_round_trip(benchmark::State& state) {
  Rig r;
  for (auto _ : state) {
    ++r.value;
    if (!r.q->signal(*r.sig, r.value).ok() || !r.q->submit().ok() || !r.sig->wait(r.value, 10s).ok())
      state.SkipWithError("round trip");
  }
}

}  // namespace

BENCHMARK(BM_exec_submit);
BENCHMARK(BM_batch_1000);
BENCHMARK(BM_signal_round_trip)->UseRealTime();

BENCHMARK_MAIN();

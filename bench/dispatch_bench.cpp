// CPU cost of the dispatch hot path on the simulated AMD GPU (the simulator's own work runs on
// its command-processor thread and is excluded: the timer is paused while the queue drains).
//   rawgpu_bench_dispatch --benchmark_filter=.   (see the README's "Benchmarks")
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

  explicit Rig(const char* format) {
    auto d = rawgpu::open("sim-amd:0");
    if (!d) fail(d.error().message());
    dev = std::move(d).value();
    std::ifstream in(std::string(RAWGPU_KERNEL_DIR) + "/sim_basic_" + dev->properties().arch + ".co",
                     std::ios::binary);
    std::vector<uint8_t> co((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto p = dev->load(co, "empty");
    if (!p) fail(p.error().message());
    empty = std::move(p).value();
    auto qq = dev->create_compute_queue({.format = format, .ring_bytes = 1 << 20});
    if (!qq) fail(qq.error().message());
    q = std::move(qq).value();
    sig = dev->create_signal(0).value();
  }
  static void fail(const std::string& m) {
    std::fprintf(stderr, "bench setup: %s\n", m.c_str());
    std::exit(1);
  }
  // Lets the simulated GPU catch up (outside the timed region).
  void drain() {
    if (!q->signal(*sig, ++value).ok() || !q->submit().ok() || !sig->wait(value, 60s).ok())
      fail("drain failed");
  }
};

void exec_submit(benchmark::State& state, const char* format) {
  Rig r(format);
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

void batch_1000(benchmark::State& state, const char* format) {
  Rig r(format);
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

// A 64-bit signal written by the GPU and seen by the CPU: enqueue, submit, wait (all timed,
// including the simulated command processor's latency).
void signal_round_trip(benchmark::State& state, const char* format) {
  Rig r(format);
  for (auto _ : state) {
    ++r.value;
    if (!r.q->signal(*r.sig, r.value).ok() || !r.q->submit().ok() || !r.sig->wait(r.value, 10s).ok())
      state.SkipWithError("round trip");
  }
}

}  // namespace

BENCHMARK_CAPTURE(exec_submit, pm4, "pm4");
BENCHMARK_CAPTURE(exec_submit, aql, "aql");
BENCHMARK_CAPTURE(batch_1000, pm4, "pm4");
BENCHMARK_CAPTURE(batch_1000, aql, "aql");
BENCHMARK_CAPTURE(signal_round_trip, pm4, "pm4")->UseRealTime();
BENCHMARK_CAPTURE(signal_round_trip, aql, "aql")->UseRealTime();

BENCHMARK_MAIN();

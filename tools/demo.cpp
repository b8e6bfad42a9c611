// rawgpu demo: the main job. Runs real work on one device (default: the first real GPU, else the
// simulated AMD GPU) and prints per-check numbers: a copy round trip, saxpy, and a burst of empty
// dispatches. Exit status 0 only if every check verified.
#include "tools/demo.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/sys.h"
#include "devices/registry.h"
#include "tools/embedded.h"

namespace rawgpu::tools {
namespace {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using queues::MemoryKind;


struct DemoOptions {
  std::string device;
  bool json = false;
  uint64_t copy_mib = 64;
  uint32_t saxpy_n = 16u << 20;
  uint32_t dispatches = 1000;
  uint32_t timeout_ms = 30000;
};

// How long any one wait may take before the check fails with the stuck queue's state.
std::chrono::milliseconds kWait{30000};

struct Check {
  std::string name;
  bool ok = false;
  std::string error;
  json numbers = json::object();
  std::string summary;  // one line for the table
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

#define DEMO_TRY(expr)                                  \
  do {                                                  \
    auto&& demo_r_ = (expr);                            \
    if (!demo_r_.ok()) {                                \
      c.error = demo_r_.error().message();              \
      return c;                                         \
    }                                                   \
  } while (0)
#define DEMO_ASSIGN(var, expr)                          \
  auto var##_r = (expr);                                \
  if (!var##_r.ok()) {                                  \
    c.error = var##_r.error().message();                \
    return c;                                           \
  }                                                     \
  auto var = std::move(var##_r).value()

// (a) host -> device -> device -> host, verified, with GB/s per leg.
Check copy_round_trip(queues::Device& dev, uint64_t mib) {
  Check c{.name = "copy_round_trip"};
  const uint64_t n = mib << 20;
  DEMO_ASSIGN(h1, dev.alloc(n, MemoryKind::kHost));
  DEMO_ASSIGN(d1, dev.alloc(n, MemoryKind::kDevice));
  DEMO_ASSIGN(d2, dev.alloc(n, MemoryKind::kDevice));
  DEMO_ASSIGN(h2, dev.alloc(n, MemoryKind::kHost));
  DEMO_ASSIGN(q, dev.create_copy_queue());
  DEMO_ASSIGN(sig, dev.create_signal(0));
  auto* src = static_cast<uint32_t*>(h1->cpu_ptr());
  for (uint64_t i = 0; i < n / 4; ++i) src[i] = static_cast<uint32_t>(i * 2654435761u);
  std::memset(h2->cpu_ptr(), 0, n);
  struct Leg {
    const char* name;
    queues::Buffer* dst;
    queues::Buffer* src;
  } legs[] = {{"host_to_device", d1.get(), h1.get()},
              {"device_to_device", d2.get(), d1.get()},
              {"device_to_host", h2.get(), d2.get()}};
  uint64_t v = 0;
  std::string summary;
  for (const Leg& leg : legs) {
    const auto t = Clock::now();
    DEMO_TRY(q->copy(*leg.dst, 0, *leg.src, 0, n));
    DEMO_TRY(q->signal(*sig, ++v));
    DEMO_TRY(q->submit());
    DEMO_TRY(sig->wait(v, kWait));
    const double gbps = static_cast<double>(n) / seconds_since(t) / 1e9;
    c.numbers[std::string(leg.name) + "_gbps"] = std::round(gbps * 100) / 100;
    summary += std::string(summary.empty() ? "" : ", ") + leg.name + " " + fmt("%.2f GB/s", gbps);
  }
  c.numbers["bytes"] = n;
  const bool same = std::memcmp(h1->cpu_ptr(), h2->cpu_ptr(), n) == 0;
  c.numbers["verified"] = same;
  c.ok = same;
  if (!same) c.error = "the data that came back differs from what was sent";
  c.summary = std::to_string(mib) + " MiB: " + summary;
  return c;
}

// (b) y = a*x + y on n floats, verified element by element.
Check saxpy(queues::Device& dev, queues::Program& prog, uint32_t n) {
  Check c{.name = "saxpy"};
  const uint64_t bytes = uint64_t{n} * 4;
  DEMO_ASSIGN(x, dev.alloc(bytes, MemoryKind::kDeviceMapped));
  DEMO_ASSIGN(y, dev.alloc(bytes, MemoryKind::kDeviceMapped));
  DEMO_ASSIGN(q, dev.create_compute_queue());
  DEMO_ASSIGN(t0, dev.create_signal(0));
  DEMO_ASSIGN(t1, dev.create_signal(0));
  auto* xs = static_cast<float*>(x->cpu_ptr());
  auto* ys = static_cast<float*>(y->cpu_ptr());
  for (uint32_t i = 0; i < n; ++i) {
    xs[i] = static_cast<float>(i % 1000) * 0.5f;
    ys[i] = static_cast<float>(i % 7);
  }
  const float a = 2.5f;
  queues::KernelArgs args;
  args.ptr(*y).ptr(*x).f32(a).u32(n);
  const uint32_t block = 256;
  const auto t = Clock::now();
  DEMO_TRY(q->timestamp(*t0));
  DEMO_TRY(q->exec(prog, args, {(n + block - 1) / block}, {block}));
  DEMO_TRY(q->timestamp(*t1));
  DEMO_TRY(q->signal(*t1, 1));
  DEMO_TRY(q->submit());
  DEMO_TRY(t1->wait(1, kWait));
  const double wall = seconds_since(t);
  uint64_t bad = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const float want = a * (static_cast<float>(i % 1000) * 0.5f) + static_cast<float>(i % 7);
    if (ys[i] != want) ++bad;
  }
  const double gpu_ms = static_cast<double>(t1->timestamp_ns() - t0->timestamp_ns()) / 1e6;
  c.numbers["elements"] = n;
  c.numbers["kernel_ms"] = std::round(gpu_ms * 1000) / 1000;
  c.numbers["wall_ms"] = std::round(wall * 1e6) / 1000;
  c.numbers["gbps"] = std::round(static_cast<double>(3 * bytes) / (gpu_ms > 0 ? gpu_ms / 1e3 : wall) / 1e7) / 100;
  c.numbers["mismatches"] = bad;
  c.ok = bad == 0;
  if (bad) c.error = std::to_string(bad) + " of " + std::to_string(n) + " results are wrong";
  c.summary = std::to_string(n) + " floats: kernel " + fmt("%.3f ms", gpu_ms) + ", wall " +
              fmt("%.3f ms", wall * 1e3) + ", " + std::to_string(bad) + " mismatches";
  return c;
}

// (c) back-to-back empty dispatches: CPU cost per dispatch and time to the last signal.
Check dispatches(queues::Device& dev, queues::Program& prog, uint32_t count) {
  Check c{.name = "empty_dispatches"};
  DEMO_ASSIGN(q, dev.create_compute_queue());
  DEMO_ASSIGN(done, dev.create_signal(0));
  queues::KernelArgs none;
  const auto t0 = Clock::now();
  for (uint32_t i = 0; i < count; ++i) DEMO_TRY(q->exec(prog, none, {1}, {1}));
  DEMO_TRY(q->signal(*done, 1));
  DEMO_TRY(q->submit());
  const double enqueue = seconds_since(t0);
  DEMO_TRY(done->wait(1, kWait));
  const double total = seconds_since(t0);
  c.numbers["dispatches"] = count;
  c.numbers["cpu_ns_per_dispatch"] = std::round(enqueue * 1e9 / count);
  c.numbers["time_to_last_signal_us"] = std::round(total * 1e6);
  c.ok = done->value() == 1;
  c.summary = std::to_string(count) + " dispatches: " + fmt("%.0f ns", enqueue * 1e9 / count) +
              " CPU each, last signal after " + fmt("%.0f us", total * 1e6);
  return c;
}

int run_demo(const DemoOptions& o) {
  std::string name = o.device.empty() ? devices::default_device_name(core::host_sys()) : o.device;
  if (name.empty()) name = "sim-amd:0";
  auto opened = rawgpu::open(name);
  if (!opened) {
    std::cerr << "rawgpu demo: " << opened.error().message() << "\n";
    return 2;
  }
  queues::Device& dev = **opened;
  const queues::DeviceProperties& p = dev.properties();
  std::vector<Check> checks;
  checks.push_back(copy_round_trip(dev, o.copy_mib));

  auto co = builtin_kernels(p.arch, p.simulated);
  std::unique_ptr<queues::Program> sax, empty;
  std::string load_error;
  if (co.empty()) {
    load_error = "no built-in kernels for " + p.arch + (p.simulated ? " (simulated)" : "") +
                 " in this build (real AMDGPU kernels need clang with the amdgcn target, real "
                 "cubins nvcc; real Adreno kernels come from the Qualcomm compiler, which is not "
                 "redistributable)";
  } else {
    auto s = dev.load(co, "saxpy");
    auto e = dev.load(co, "empty");
    if (!s) load_error = s.error().message();
    else if (!e) load_error = e.error().message();
    else {
      sax = std::move(s).value();
      empty = std::move(e).value();
    }
  }
  if (sax) {
    checks.push_back(saxpy(dev, *sax, o.saxpy_n));
    checks.push_back(dispatches(dev, *empty, o.dispatches));
  } else {
    checks.push_back(Check{.name = "saxpy", .error = load_error});
    checks.push_back(Check{.name = "empty_dispatches", .error = load_error});
  }

  bool all = true;
  for (const Check& c : checks) all = all && c.ok;
  if (o.json) {
    json out;
    out["schema"] = "rawgpu-demo/1";
    out["device"] = {{"name", p.name.str()},    {"backend", p.backend},
                     {"arch", p.arch},          {"marketing_name", p.marketing_name},
                     {"memory_bytes", p.memory_bytes}, {"compute_units", p.compute_units},
                     {"simulated", p.simulated}};
    json arr = json::array();
    for (const Check& c : checks) {
      json j;
      j["name"] = c.name;
      j["ok"] = c.ok;
      for (auto it = c.numbers.begin(); it != c.numbers.end(); ++it) j[it.key()] = it.value();
      if (!c.error.empty()) j["error"] = c.error;
      arr.push_back(j);
    }
    out["checks"] = arr;
    out["ok"] = all;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "rawgpu demo on " << p.name.str() << ": " << p.arch
              << (p.marketing_name.empty() ? "" : " (" + p.marketing_name + ")") << ", "
              << p.compute_units << " CUs, " << (p.memory_bytes >> 30) << " GiB"
              << (p.simulated ? ", simulated" : "") << "\n\n";
    std::printf("%-18s %-5s %s\n", "check", "ok", "numbers");
    for (const Check& c : checks)
      std::printf("%-18s %-5s %s\n", c.name.c_str(), c.ok ? "yes" : "NO",
                  c.ok ? c.summary.c_str() : c.error.c_str());
    std::cout << "\n" << (all ? "all checks passed" : "some checks FAILED") << "\n";
  }
  return all ? 0 : 1;
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto opts = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "Run real work on a device (copy round trip, saxpy, dispatch burst) and print numbers");
  cmd->add_option("--device", opts->device,
                  "device to use (default: $RAWGPU_DEVICE, else the first real GPU, else sim-amd:0)");
  cmd->add_flag("--json", opts->json, "print one JSON object with one entry per check");
  cmd->add_option("--copy-mib", opts->copy_mib, "size of the copy round trip in MiB")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--saxpy-n", opts->saxpy_n, "saxpy elements")->check(CLI::Range(1u, 1u << 28));
  cmd->add_option("--dispatches", opts->dispatches, "empty dispatches in the burst")
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--timeout-ms", opts->timeout_ms, "longest wait for the GPU, per step")
      ->check(CLI::Range(1u, 3600000u));
  cmd->callback([opts]() {
    kWait = std::chrono::milliseconds(opts->timeout_ms);
    int rc = run_demo(*opts);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace rawgpu::tools

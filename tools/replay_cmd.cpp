// rawgpu replay TRACE [--device D] [--keep-going] [--check-wait MS] [--quiet]: re-issues a
// recorded trace on a fresh simulated device (or the host's GPU) and compares every return value
// and every checked memory snapshot with the recording (tools/trace/replay.h).
// Exit status: 0 identical, 1 a divergence or an error (unreadable or corrupt trace, no device).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "tools/trace/replay.h"
#include "tools/trace_commands.h"

namespace rawgpu::tools {
namespace {

struct ReplayCmdOptions {
  std::string trace;
  std::string device;
  bool keep_going = false;
  bool quiet = false;
  uint32_t check_wait_ms = 5000;
};

int run_replay(const ReplayCmdOptions& o) {
  trace::ReplayOptions ro;
  ro.keep_going = o.keep_going;
  ro.check_wait = std::chrono::milliseconds(o.check_wait_ms);
  if (!o.quiet) ro.log = [](const std::string& line) { std::cerr << line << "\n"; };
  std::string device = o.device;
  if (device.empty()) {
    auto k = trace::main_driver(o.trace);
    if (!k) {
      std::cerr << "rawgpu replay: " << k.error().message() << "\n";
      return 1;
    }
    device = trace::default_sim_device(*k);
    if (device.empty()) {
      std::cerr << "rawgpu replay: " << o.trace
                << " opens no known driver; name the target with --device\n";
      return 1;
    }
  }
  if (!o.quiet) std::cerr << "replaying " << o.trace << " on " << device << "\n";
  auto stats = trace::replay_file(o.trace, device, ro);
  if (!stats) {
    std::cerr << "rawgpu replay: " << stats.error().message() << "\n";
    return 1;
  }
  std::cout << stats->summary() << "\n";
  if (!stats->divergences.empty()) std::cout << stats->divergences.front().text() << "\n";
  if (stats->truncated) std::cout << "note: the trace ends in a torn record (the process was killed?)\n";
  if (stats->skipped) std::cout << "note: " << stats->skipped << " records were not replayable here\n";
  std::cout.flush();
  return stats->divergences.empty() && std::cout ? 0 : 1;
}

}  // namespace

void add_replay_command(CLI::App& app) {
  auto opts = std::make_shared<ReplayCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Re-issue a recorded trace (fds, handles, GPU addresses and mappings remapped) and report "
      "the first call whose return value or memory differs from the recording");
  cmd->add_option("trace", opts->trace, "trace file written by `rawgpu sniff`")->required();
  cmd->add_option("--device,-d", opts->device,
                  "target: sim-amd:N, sim-nv:N, sim-qcom:N (a fresh simulated machine) or a real "
                  "device (amd:0, nv:0, qcom:0); default: the simulated device of the trace's driver");
  cmd->add_flag("--keep-going", opts->keep_going, "go on after a divergence and report them all");
  cmd->add_option("--check-wait", opts->check_wait_ms,
                  "milliseconds to wait for memory to match a checked snapshot (default 5000)");
  cmd->add_flag("--quiet,-q", opts->quiet, "print only the summary");
  cmd->callback([opts]() {
    int rc = run_replay(*opts);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace rawgpu::tools

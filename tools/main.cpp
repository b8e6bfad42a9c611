// The `rawgpu` command: one binary, one subcommand per job (DESIGN.md, tools/).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "core/log.h"
#include "tools/demo.h"
#include "tools/info.h"
#include "tools/trace_commands.h"

#ifndef RAWGPU_VERSION
#define RAWGPU_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  CLI::App app{"rawgpu: a user-space GPU driver and runtime over KFD, NVIDIA RM/UVM and KGSL"};
  app.set_version_flag("--version", std::string("rawgpu ") + RAWGPU_VERSION);
  int debug = -1;
  app.add_option("--debug", debug, "log verbosity 0..4 (default: $RAWGPU_DEBUG, else 0)")
      ->check(CLI::Range(0, 4));
  app.require_subcommand(1);
  app.parse_complete_callback([&] {
    if (debug >= 0) rawgpu::core::set_debug_level(debug);
  });
  rawgpu::tools::add_info_command(app);
  rawgpu::tools::add_demo_command(app);
  rawgpu::tools::add_sniff_command(app);
  rawgpu::tools::add_decode_command(app);
  rawgpu::tools::add_replay_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}

// rawgpu sniff: placeholder until the command lands.
#include <CLI/CLI.hpp>

#include "tools/trace_commands.h"

namespace rawgpu::tools {

void add_sniff_command(CLI::App& app) { (void)app; }

}  // namespace rawgpu::tools

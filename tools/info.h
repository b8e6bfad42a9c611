// rawgpu info: GPUs, driver nodes, driver versions and KFD topology of this machine.
#pragma once

namespace CLI {
class App;
}

namespace rawgpu::tools {

// Registers the `info` subcommand (and its --json flag) on `app`.
void add_info_command(CLI::App& app);

}  // namespace rawgpu::tools

// rawgpu demo: the main job (copy round trip, saxpy, dispatch burst on one device).
#pragma once

namespace CLI {
class App;
}

namespace rawgpu::tools {

// Registers the `demo` subcommand on `app`.
void add_demo_command(CLI::App& app);

}  // namespace rawgpu::tools

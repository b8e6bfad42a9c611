// rawgpu sniff / decode / replay: the ioctl-level capture, decode and replay commands (issue 6).
#pragma once

namespace CLI {
class App;
}

namespace rawgpu::tools {

// `rawgpu sniff -o TRACE -- CMD ARGS` (tools/sniff_cmd.cpp).
void add_sniff_command(CLI::App& app);
// `rawgpu decode TRACE [--json] [--grep PATTERN]` (tools/decode_cmd.cpp).
void add_decode_command(CLI::App& app);
// `rawgpu replay TRACE [--device D]` (tools/replay_cmd.cpp).
void add_replay_command(CLI::App& app);

}  // namespace rawgpu::tools

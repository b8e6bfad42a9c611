// rawgpu decode TRACE [--json] [--grep PATTERN]: every record of a trace named and printed
// (tools/trace/decode.h). Exit status: 0 when the trace was read to its end (a torn tail is a
// warning), 1 on corruption (everything before it printed, then the error naming the offset),
// 2 on a usage error.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "tools/trace/decode.h"
#include "tools/trace_commands.h"

namespace rawgpu::tools {
namespace {

struct DecodeCmdOptions {
  std::string trace;
  trace::DecodeFileOptions file;
  bool no_packets = false;
};

int run_decode(const DecodeCmdOptions& o) {
  trace::DecodeFileOptions opts = o.file;
  opts.decode.packets = !o.no_packets;
  trace::DecodeStats stats;
  core::Result<trace::DecodeStats> r = trace::decode_file(o.trace, opts, std::cout, &stats);
  std::cout.flush();
  if (r.ok()) stats = *r;
  if (stats.truncated)
    std::fprintf(stderr,
                 "rawgpu decode: warning: %s ends inside a record (torn tail: the writer was "
                 "killed?); every complete record before it was decoded\n",
                 o.trace.c_str());
  std::fprintf(stderr, "%s\n", trace::summary_line(stats).c_str());
  if (!r.ok()) {
    std::fprintf(stderr, "rawgpu decode: %s: %s\n", o.trace.c_str(),
                 r.error().message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void add_decode_command(CLI::App& app) {
  auto o = std::make_shared<DecodeCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "decode", "Print every record of a trace (rawgpu sniff) decoded: ioctls by name with their "
                "fields, command streams packet by packet");
  cmd->add_option("trace", o->trace, "the trace file")->required();
  cmd->add_flag("--json", o->file.json,
                "one JSON object per record and line: index, offset, t_ns, tid, type, name, "
                "summary, details, unknown, fields");
  cmd->add_option("--grep", o->file.grep,
                  "print only records whose text (summary or any detail line) contains PATTERN "
                  "(plain substring, case-sensitive); the summary still counts every record");
  cmd->add_option("--gfx", o->file.decode.amd_gfx,
                  "AMD GFX generation for PM4/SDMA packets (not recorded in traces)")
      ->check(CLI::IsMember({9u, 10u, 11u, 12u}))
      ->default_val(11u);
  cmd->add_option("--adreno", o->file.decode.adreno, "Adreno generation for PM4 packets: 6 or 7")
      ->check(CLI::IsMember({6u, 7u}))
      ->default_val(6u);
  cmd->add_option("--nv-branch", o->file.decode.nv_branch,
                  "NVIDIA driver branch for versioned layouts (default: from the trace's "
                  "NV_ESC_CHECK_VERSION_STR, else the newest)");
  cmd->add_flag("--no-packets", o->no_packets, "do not decode submissions packet by packet");
  cmd->add_option("--max-detail-lines", o->file.decode.max_detail_lines,
                  "detail lines per record before the rest is counted")
      ->check(CLI::Range(1u, 1u << 24));
  cmd->callback([o]() {
    const int rc = run_decode(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace rawgpu::tools

#include "tools/info.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/sys.h"
#include "devices/discover.h"
#include "kfd/topology.h"

namespace rawgpu::tools {

namespace {

// ordered_json keeps the documented field order in the output.
using json = nlohmann::ordered_json;

// The JSON output's shape, documented field by field in docs/info-json.md. Bump the number when
// a field changes meaning or type; adding a field keeps it.
constexpr const char* kInfoSchema = "rawgpu-info/1";

constexpr const char* kNoGpuSentence =
    "No GPU found: no AMD, NVIDIA or Qualcomm GPU on the PCI bus and no GPU driver nodes "
    "(/dev/kfd, /dev/nvidia*, /dev/kgsl-3d0).";

struct InfoOptions {
  bool json = false;
  devices::Paths paths;
};

std::string hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

std::string errno_text(int err) {
  return std::string(core::errno_name(err)) + " (" + std::strerror(err) + ")";
}

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  return buf;
}

// Whether anything says there is a GPU rawgpu could drive.
bool gpu_found(const devices::Discovery& d) {
  if (!d.gpus.empty() || d.nvidia || d.kgsl) return true;
  if (d.kfd && !d.kfd->gpus().empty()) return true;
  for (const devices::DriverNode& n : d.nodes)
    if (n.kind != "render") return true;  // kfd, nvidiactl, nvidia-uvm, nvidia<N>, kgsl
  return false;
}

json null_if_empty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json pci_json(const devices::PciGpu& g) {
  json subsystem = nullptr;
  if (g.subsys_vendor_id != 0 || g.subsys_device_id != 0)
    subsystem = hex(g.subsys_vendor_id, 4) + ":" + hex(g.subsys_device_id, 4);
  return {
      {"address", g.address},
      {"vendor_id", hex(g.vendor_id, 4)},
      {"device_id", hex(g.device_id, 4)},
      {"vendor", null_if_empty(g.vendor_name)},
      {"name", null_if_empty(g.device_name)},
      {"class", hex(g.class_code, 6)},
      {"class_name", null_if_empty(g.class_name)},
      {"revision", hex(g.revision, 2)},
      {"subsystem", subsystem},
      {"driver", null_if_empty(g.driver)},
  };
}

json kfd_node_json(const kfd::Node& n) {
  json props = json::object();
  for (const auto& [k, v] : n.props) props[k] = v;
  return {
      {"index", n.index},
      {"gpu_id", n.gpu_id},
      {"name", n.name},
      {"gfx_target_version", n.gfx_target_version()},
      {"gfx", null_if_empty(n.gfx_name())},
      {"compute_units", n.compute_units()},
      {"simd_count", n.prop("simd_count")},
      {"num_xcc", n.num_xcc()},
      {"wave_front_size", n.wave_front_size()},
      {"drm_render_minor", n.drm_render_minor()},
      {"vram_bytes", n.vram_bytes()},
      {"properties", std::move(props)},
  };
}

json to_json(const devices::Discovery& d) {
  json j = json::object();
  j["schema"] = kInfoSchema;
  j["gpu_found"] = gpu_found(d);
  j["gpus"] = json::array();
  for (const auto& g : d.gpus) j["gpus"].push_back(pci_json(g));
  j["other_display"] = json::array();
  for (const auto& g : d.other_display) j["other_display"].push_back(pci_json(g));
  j["driver_nodes"] = json::array();
  for (const auto& n : d.nodes)
    j["driver_nodes"].push_back(
        {{"path", n.path},
         {"kind", n.kind},
         {"can_open", n.can_open},
         {"error", n.can_open ? json(nullptr) : json(errno_text(n.open_errno))}});
  j["nvidia_driver"] = nullptr;
  if (d.nvidia)
    j["nvidia_driver"] = {{"version", d.nvidia->version},
                          {"open_kernel_module", d.nvidia->open_kernel_module},
                          {"banner", d.nvidia->banner}};
  j["kfd"] = nullptr;
  if (d.kfd) {
    json nodes = json::array();
    for (const auto& n : d.kfd->nodes) nodes.push_back(kfd_node_json(n));
    json skipped = json::array();
    for (const auto& s : d.kfd->skipped)
      skipped.push_back({{"index", s.index}, {"error", s.reason}});
    json render = json::array();
    for (const auto& r : d.kfd_render_nodes)
      render.push_back({{"node", r.node}, {"pci", r.pci.str()}, {"path", r.render.path},
                        {"minor", r.render.minor}, {"source", r.render.source}});
    j["kfd"] = {{"generation_id", d.kfd->generation_id},
                {"nodes", std::move(nodes)},
                {"skipped", std::move(skipped)},
                {"render_nodes", std::move(render)}};
  }
  j["kgsl"] = nullptr;
  if (d.kgsl) j["kgsl"] = {{"gpu_model", d.kgsl->gpu_model}};
  j["devices"] = devices::real_device_names(d);
  j["warnings"] = d.warnings;
  return j;
}

std::string pci_line(const devices::PciGpu& g) {
  std::string name = g.vendor_name.empty() ? "unknown vendor" : g.vendor_name;
  name += " ";
  name += g.device_name.empty() ? "unknown device" : g.device_name;
  char ids[64];
  std::snprintf(ids, sizeof ids, " [%04x:%04x] rev %02x", g.vendor_id, g.device_id, g.revision);
  std::string line = "  " + g.address + "  " + name + ids;
  if (!g.class_name.empty()) line += ", " + g.class_name;
  line += ", driver " + (g.driver.empty() ? std::string("none") : g.driver);
  return line;
}

void print_human(const devices::Discovery& d, std::ostream& os) {
  bool found = gpu_found(d);
  if (!found) os << kNoGpuSentence << "\n";
  if (!d.gpus.empty()) {
    os << "GPUs\n";
    for (const auto& g : d.gpus) os << pci_line(g) << "\n";
  } else if (found) {
    os << "GPUs\n  none on the PCI bus\n";
  }
  if (!d.other_display.empty()) {
    os << "Other display controllers (not driven by rawgpu)\n";
    for (const auto& g : d.other_display) os << pci_line(g) << "\n";
  }
  if (!d.nodes.empty()) {
    os << "Driver nodes\n";
    size_t width = 0;
    for (const auto& n : d.nodes) width = std::max(width, n.path.size());
    for (const auto& n : d.nodes) {
      os << "  " << n.path << std::string(width - n.path.size() + 2, ' ') << n.kind
         << std::string(n.kind.size() < 12 ? 12 - n.kind.size() : 1, ' ')
         << (n.can_open ? std::string("can open") : "cannot open: " + errno_text(n.open_errno))
         << "\n";
    }
  } else if (found) {
    os << "Driver nodes\n  none\n";
  }
  if (d.nvidia) {
    os << "NVIDIA driver\n  " << d.nvidia->version
       << (d.nvidia->open_kernel_module ? " (open kernel module)" : " (proprietary kernel module)")
       << "\n";
  }
  if (d.kfd) {
    auto gpus = d.kfd->gpus();
    os << "KFD topology (generation " << d.kfd->generation_id << ", "
       << d.kfd->nodes.size() - gpus.size() << " CPU node(s), " << gpus.size() << " GPU node(s)";
    if (!d.kfd->skipped.empty()) os << ", " << d.kfd->skipped.size() << " not readable";
    os << ")\n";
    for (const kfd::Node* n : gpus) {
      std::string gfx = n->gfx_name().empty() ? std::string("gfx?") : n->gfx_name();
      os << "  node " << n->index << "  " << gfx << "  " << n->compute_units() << " CUs  "
         << gib(n->vram_bytes()) << " VRAM  renderD" << n->drm_render_minor() << "  num_xcc "
         << n->num_xcc() << "  wave" << n->wave_front_size() << "  gpu_id " << n->gpu_id << "\n";
    }
    for (const auto& r : d.kfd_render_nodes)
      os << "  node " << r.node << "  " << r.pci.str() << "  " << r.render.path << " (from "
         << r.render.source << ")\n";
    for (const kfd::SkippedNode& s : d.kfd->skipped) {
      os << "  node " << s.index << "  not readable: " << core::errno_name(s.err);
      if (s.err == EPERM) os << " (the device cgroup hides this GPU from this process)";
      os << "\n";
    }
  }
  if (d.kgsl) os << "Qualcomm KGSL\n  " << d.kgsl->gpu_model << "\n";
  if (found) {
    auto names = devices::real_device_names(d);
    os << "Devices rawgpu can open:";
    if (names.empty()) os << " none";
    for (const auto& n : names) os << " " << n;
    os << "\n";
  }
}

int run_info(const InfoOptions& opts) {
  devices::Discovery d = devices::discover(core::host_sys(), opts.paths);
  if (opts.json) {
    // Strings come from files (procfs banner, pci.ids, warnings quoting bad input) and need not
    // be UTF-8; replace bad bytes with U+FFFD instead of throwing.
    std::cout << to_json(d).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    print_human(d, std::cout);
    for (const auto& w : d.warnings) std::cerr << "warning: " << w << "\n";
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto opts = std::make_shared<InfoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "info",
      "List GPUs (libpci), GPU driver nodes, the NVIDIA driver version and the KFD "
      "topology of this machine");
  cmd->add_flag("--json", opts->json,
                "Print one JSON object (schema rawgpu-info/1, see docs/info-json.md)");
  // For tests: read a fake tree instead of the machine's.
  const char* kTesting = "Testing (read fake trees instead of this machine)";
  cmd->add_option("--sys-root", opts->paths.sys, "sysfs root instead of /sys")->group(kTesting);
  cmd->add_option("--dev-root", opts->paths.dev, "device-node directory instead of /dev")
      ->group(kTesting);
  cmd->add_option("--proc-root", opts->paths.proc, "procfs root instead of /proc")->group(kTesting);
  cmd->add_option("--pci-ids", opts->paths.pci_ids,
                  "PCI ID database instead of libpci's default (also disables udev hwdb names)")
      ->group(kTesting);
  cmd->callback([opts]() {
    int rc = run_info(*opts);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace rawgpu::tools

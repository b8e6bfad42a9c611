#include "kfd/topology.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include <xf86drm.h>

#include "core/log.h"

namespace rawgpu::kfd {

using core::Error;
using core::ErrorKind;
using core::Result;
using core::Sys;

namespace {

// generation_id is read before and after a scan; this many scans are tried before giving up.
constexpr int kMaxScans = 3;

// mem_banks heap_type values (kfd_topology.h HSA_MEM_HEAP_TYPE_*; shared/abi/amd-kfd.md §1.3).
constexpr uint64_t kHeapFbPublic = 1;
constexpr uint64_t kHeapFbPrivate = 2;

// A decimal directory name ("0", "12") as a number; nullopt for anything else.
std::optional<uint32_t> parse_index(std::string_view name) {
  if (name.empty() || name.size() > 9) return std::nullopt;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), v, 10);
  if (ec != std::errc{} || p != name.data() + name.size()) return std::nullopt;
  return v;
}

// A one-number sysfs file ("%u\n" in kfd_topology.c sysfs_show_32bit_val / _64bit_val).
Result<uint64_t> read_number(Sys& sys, const std::string& path) {
  auto text = core::read_trimmed(sys, path);
  if (!text) return std::move(text).error();
  const std::string& s = *text;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size())
    return Error::invalid(path, "expected an unsigned decimal number, got '" + s + "'");
  return v;
}

// Indices of the numeric entries of `dir`, ascending (10 after 9). ENOENT is an empty list
// when `missing_ok`.
Result<std::vector<uint32_t>> list_indices(Sys& sys, const std::string& dir, bool missing_ok) {
  auto names = sys.list_dir(dir);
  if (!names) {
    if (missing_ok && names.error().kind() == ErrorKind::kSys && names.error().err() == ENOENT)
      return std::vector<uint32_t>{};
    return std::move(names).error();
  }
  std::vector<uint32_t> out;
  for (const std::string& n : *names)
    if (auto i = parse_index(n)) out.push_back(*i);
  std::sort(out.begin(), out.end());
  return out;
}

Result<uint32_t> narrow_u32(const std::string& what, const std::string& key, uint64_t v) {
  if (v > std::numeric_limits<uint32_t>::max())
    return Error::invalid(what,
                          "value of '" + key + "' does not fit in 32 bits: " + std::to_string(v));
  return static_cast<uint32_t>(v);
}

Result<MemBank> read_mem_bank(Sys& sys, const std::string& dir) {
  const std::string path = dir + "/properties";
  RAWGPU_ASSIGN(std::string text, sys.read_file(path));
  RAWGPU_ASSIGN(auto kv, core::parse_key_values(text, path));
  MemBank b;
  bool have_heap = false, have_size = false;
  for (const auto& [key, value] : kv) {
    if (key == "heap_type") {
      RAWGPU_ASSIGN(b.heap_type, narrow_u32(path, key, value));
      have_heap = true;
    } else if (key == "size_in_bytes") {
      b.size_in_bytes = value;
      have_size = true;
    } else if (key == "flags") {
      RAWGPU_ASSIGN(b.flags, narrow_u32(path, key, value));
    } else if (key == "width") {
      RAWGPU_ASSIGN(b.width, narrow_u32(path, key, value));
    } else if (key == "mem_clk_max") {
      RAWGPU_ASSIGN(b.mem_clk_max, narrow_u32(path, key, value));
    }
    // Other keys (newer kernels) are ignored.
  }
  // mem_show always prints heap_type and size_in_bytes (kfd_topology.c).
  if (!have_heap) return Error::invalid(path, "no 'heap_type' line");
  if (!have_size) return Error::invalid(path, "no 'size_in_bytes' line");
  return b;
}

Result<Node> read_node(Sys& sys, const std::string& dir, uint32_t index) {
  Node n;
  n.index = index;
  RAWGPU_ASSIGN(uint64_t gpu_id, read_number(sys, dir + "/gpu_id"));
  RAWGPU_ASSIGN(n.gpu_id, narrow_u32(dir + "/gpu_id", "gpu_id", gpu_id));
  RAWGPU_ASSIGN(n.name, core::read_trimmed(sys, dir + "/name"));

  const std::string props_path = dir + "/properties";
  RAWGPU_ASSIGN(std::string text, sys.read_file(props_path));
  RAWGPU_ASSIGN(auto kv, core::parse_key_values(text, props_path));
  for (auto& [key, value] : kv) n.props[std::move(key)] = value;

  RAWGPU_ASSIGN(std::vector<uint32_t> banks,
                list_indices(sys, dir + "/mem_banks", /*missing_ok=*/true));
  for (uint32_t b : banks) {
    RAWGPU_ASSIGN(MemBank bank, read_mem_bank(sys, dir + "/mem_banks/" + std::to_string(b)));
    n.mem_banks.push_back(bank);
  }
  return n;
}

bool is_errno(const Error& e, int err) { return e.kind() == ErrorKind::kSys && e.err() == err; }

// One pass over the tree. Sets `changed` when generation_id moved or a node vanished under a
// topology change; the caller then scans again.
Result<Topology> scan_once(Sys& sys, const std::string& root, bool& changed) {
  changed = false;
  const std::string gen_path = root + "/generation_id";
  Topology t;
  RAWGPU_ASSIGN(t.generation_id, read_number(sys, gen_path));

  const std::string nodes_dir = root + "/nodes";
  RAWGPU_ASSIGN(std::vector<uint32_t> indices, list_indices(sys, nodes_dir, /*missing_ok=*/false));
  for (uint32_t i : indices) {
    auto node = read_node(sys, nodes_dir + "/" + std::to_string(i), i);
    if (node) {
      t.nodes.push_back(std::move(node).value());
      continue;
    }
    if (is_errno(node.error(), EPERM)) {
      t.skipped.push_back(
          {i, EPERM, node.error().message() + ": the device cgroup denies access to this GPU"});
      continue;
    }
    // A node that disappeared while the topology changed is a change, not an error.
    auto gen = read_number(sys, gen_path);
    if (gen && *gen != t.generation_id) {
      changed = true;
      return t;
    }
    return std::move(node).error();
  }

  RAWGPU_ASSIGN(uint64_t after, read_number(sys, gen_path));
  changed = after != t.generation_id;
  return t;
}

}  // namespace

uint64_t Node::prop(const std::string& key, uint64_t fallback) const {
  auto it = props.find(key);
  return it == props.end() ? fallback : it->second;
}

std::string Node::gfx_name() const { return gfx_name_of(gfx_target_version()); }

uint32_t Node::num_xcc() const {
  // node_show prints num_xcc only for GPU nodes and only on kernels with multi-XCC support.
  uint64_t v = prop("num_xcc", 1);
  return v == 0 ? 1 : static_cast<uint32_t>(v);
}

uint32_t Node::compute_units() const {
  uint64_t per_cu = prop("simd_per_cu");
  return per_cu == 0 ? 0 : static_cast<uint32_t>(prop("simd_count") / per_cu);
}

uint64_t Node::vram_bytes() const {
  uint64_t total = 0;
  for (const MemBank& b : mem_banks)
    if (b.heap_type == kHeapFbPublic || b.heap_type == kHeapFbPrivate) total += b.size_in_bytes;
  return total;
}

std::vector<const Node*> Topology::gpus() const {
  std::vector<const Node*> out;
  for (const Node& n : nodes)
    if (n.is_gpu()) out.push_back(&n);
  return out;
}

std::string gfx_name_of(uint32_t gfx_target_version) {
  if (gfx_target_version == 0) return {};
  // value = major*10000 + minor*100 + stepping; the name writes minor and stepping as one hex
  // digit each (shared/abi/amd-kfd.md §1.4; kfd_device.c gfx_target_version table).
  unsigned major = gfx_target_version / 10000;
  unsigned minor = (gfx_target_version / 100) % 100;
  unsigned stepping = gfx_target_version % 100;
  char buf[32];
  std::snprintf(buf, sizeof buf, "gfx%u%x%x", major, minor, stepping);
  return buf;
}

Result<Topology> read_topology(Sys& sys, const std::string& root) {
  for (int scan = 0; scan < kMaxScans; ++scan) {
    bool changed = false;
    auto t = scan_once(sys, root, changed);
    if (!t) return t;
    if (!changed) return t;
  }
  return Error::sys(root + "/generation_id", EAGAIN,
                    "the KFD topology changed during " + std::to_string(kMaxScans) +
                        " scans in a row (GPU hot-plug or driver reload?); try again");
}

// ---- render node ---------------------------------------------------------------------------

std::string PciLocation::str() const {
  char b[32];
  std::snprintf(b, sizeof b, "%04x:%02x:%02x.%x", domain, bus, device, function);
  return b;
}

PciLocation pci_location(const Node& node) {
  const auto loc = static_cast<uint32_t>(node.prop("location_id"));
  return {.domain = static_cast<uint32_t>(node.prop("domain")),
          .bus = (loc >> 8) & 0xFF,
          .device = (loc >> 3) & 0x1F,
          .function = loc & 0x7};
}

core::Result<RenderNode> find_render_node_libdrm(const PciLocation& loc) {
  const std::string op = "drmGetDevices2 (render node of PCI " + loc.str() + ")";
  const int n = drmGetDevices2(0, nullptr, 0);
  if (n <= 0) return core::Error::not_found(op, "libdrm lists no DRM devices (no /dev/dri?)");
  std::vector<drmDevicePtr> devs(static_cast<size_t>(n));
  const int got = drmGetDevices2(0, devs.data(), n);
  if (got < 0) return core::Error::sys(op, -got, "libdrm could not enumerate DRM devices");
  std::optional<RenderNode> found;
  for (int i = 0; i < got && !found; ++i) {
    const drmDevicePtr d = devs[static_cast<size_t>(i)];
    if (d->bustype != DRM_BUS_PCI || !d->businfo.pci || !(d->available_nodes & (1 << DRM_NODE_RENDER)))
      continue;
    const drmPciBusInfo& b = *d->businfo.pci;
    if (b.domain != loc.domain || b.bus != loc.bus || b.dev != loc.device || b.func != loc.function) continue;
    RenderNode r{.path = d->nodes[DRM_NODE_RENDER], .minor = 0, .source = "libdrm"};
    // The minor is the number after "renderD" (libdrm names nodes /dev/dri/renderD<minor>).
    const size_t at = r.path.rfind("renderD");
    const char* first = r.path.c_str() + (at == std::string::npos ? r.path.size() : at + 7);
    const char* last = r.path.c_str() + r.path.size();
    if (std::from_chars(first, last, r.minor).ec == std::errc{}) found = std::move(r);
  }
  drmFreeDevices(devs.data(), got);
  if (!found) return core::Error::not_found(op, "libdrm lists no render node for that PCI device");
  return *found;
}

core::Result<RenderNode> find_render_node(core::Sys& sys, const Node& node, const std::string& dev_root) {
  RenderNode topo{.path = dev_root + "/dri/renderD" + std::to_string(node.drm_render_minor()),
                  .minor = node.drm_render_minor(),
                  .source = "topology"};
  if (&sys != &core::host_sys() || dev_root != "/dev") return topo;
  const PciLocation loc = pci_location(node);
  core::Result<RenderNode> drm = find_render_node_libdrm(loc);
  if (!drm) {
    if (drm.error().kind() != core::ErrorKind::kNotFound) return std::move(drm).error();
    core::log_info(drm.error().message() + "; using the KFD topology's drm_render_minor " +
                   std::to_string(topo.minor));
    return topo;
  }
  if (drm->minor != topo.minor)
    return core::Error::invalid("render node of KFD node " + std::to_string(node.index) + " (PCI " + loc.str() + ")",
                                "libdrm says " + drm->path + " but the KFD topology's drm_render_minor is " +
                                    std::to_string(topo.minor) + " (" + topo.path + ")");
  return drm;
}

}  // namespace rawgpu::kfd

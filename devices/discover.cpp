#include "devices/discover.h"

#include <fcntl.h>

extern "C" {  // pci.h has no C++ guard of its own
#include <pci/pci.h>
}

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace rawgpu::devices {

using core::Error;
using core::ErrorKind;
using core::Result;
using core::Sys;

namespace {

// PCI base classes (PCI Code and ID Assignment Specification; pci.ids "C 03" and "C 12").
constexpr uint32_t kClassDisplay = 0x03;        // display controller (VGA, XGA, 3D, other)
constexpr uint32_t kClassAccelerator = 0x1200;  // processing accelerator (MI300X reports it)

bool is_absent(const Error& e) {
  return e.kind() == ErrorKind::kSys && (e.err() == ENOENT || e.err() == ENOTDIR);
}

// ---------------------------------------------------------------------------------------------
// libpci. Its default error handler prints and calls exit(1) (lib/init.c pci_generic_error), and
// the sysfs backend calls it for a missing <sysfs.path>/devices directory or an unparsable entry
// name in pci_scan_bus(), and for a missing mandatory file (vendor, device, class) in
// pci_fill_info() (lib/sysfs.c, libpci 3.9). So discover() lists <sysfs>/bus/pci/devices itself,
// through Sys (a machine without that directory simply has no PCI devices; junk entries are
// warnings), and hands libpci one function at a time with pci_get_dev(). The remaining fatal
// errors reach our handler, which longjmps back to pci_call(): the one call fails, the scan goes
// on. Nothing libpci allocated is lost on those paths (sysfs_get_string closes its fd before
// reporting; the pci_dev is freed by the caller).

struct PciTrap {
  std::jmp_buf env;
  char message[512] = {};
  std::vector<std::string>* warnings = nullptr;  // libpci warnings land here
};

thread_local PciTrap* t_pci_trap = nullptr;

// libpci ends some messages with a newline (lib/names-parse.c); drop trailing whitespace.
void trim_message(char* m) {
  size_t n = std::strlen(m);
  while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' ' || m[n - 1] == '\r')) m[--n] = '\0';
}

[[noreturn]] void on_pci_error(char* msg, ...) {
  PciTrap* trap = t_pci_trap;
  if (!trap) std::abort();  // every libpci call below runs with a trap installed
  va_list ap;
  va_start(ap, msg);
  std::vsnprintf(trap->message, sizeof trap->message, msg, ap);
  va_end(ap);
  trim_message(trap->message);
  std::longjmp(trap->env, 1);
}

void on_pci_warning(char* msg, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, msg);
  std::vsnprintf(buf, sizeof buf, msg, ap);
  va_end(ap);
  trim_message(buf);
  if (t_pci_trap && t_pci_trap->warnings)
    t_pci_trap->warnings->push_back(std::string("libpci: ") + buf);
}

void on_pci_debug(char*, ...) {}

// Runs fn(pacc, arg); false (with trap.message set) when libpci reported a fatal error. Between
// the setjmp and a longjmp lie only this frame, `fn` (captureless lambdas whose locals are
// trivially destructible) and libpci's C frames, as [csetjmp.syn] requires.
bool pci_call(PciTrap& trap, void (*fn)(pci_access*, void*), pci_access* pacc, void* arg) {
  if (setjmp(trap.env) != 0) return false;
  fn(pacc, arg);
  return true;
}

// Fields read per function: ids, class + prog-if + revision, subsystem ids.
constexpr int kPciFill = PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS;

struct PciNames {  // in/out of the guarded name lookup; trivially destructible
  int flags = 0;
  uint16_t vendor = 0, device = 0, cls = 0;
  char vendor_buf[256] = {}, device_buf[256] = {}, class_buf[256] = {};
  const char* vendor_name = nullptr;
  const char* device_name = nullptr;
  const char* class_name = nullptr;
};

struct PciAddress {
  unsigned domain = 0, bus = 0, slot = 0, func = 0;
};

// "0000:01:00.0" (sysfs names: "%04x:%02x:%02x.%d", domain may be longer on VMD systems).
std::optional<PciAddress> parse_pci_address(std::string_view s) {
  auto hex = [](std::string_view part, size_t min_len, size_t max_len, unsigned max,
                unsigned& out) {
    if (part.size() < min_len || part.size() > max_len) return false;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), out, 16);
    return ec == std::errc{} && p == part.data() + part.size() && out <= max;
  };
  size_t c1 = s.find(':');
  size_t c2 = c1 == std::string_view::npos ? c1 : s.find(':', c1 + 1);
  size_t dot = c2 == std::string_view::npos ? c2 : s.find('.', c2 + 1);
  if (dot == std::string_view::npos) return std::nullopt;
  PciAddress a;
  if (!hex(s.substr(0, c1), 4, 8, 0x7fffffff, a.domain) ||
      !hex(s.substr(c1 + 1, c2 - c1 - 1), 2, 2, 0xff, a.bus) ||
      !hex(s.substr(c2 + 1, dot - c2 - 1), 2, 2, 0x1f, a.slot) ||
      !hex(s.substr(dot + 1), 1, 1, 7, a.func))
    return std::nullopt;
  return a;
}

std::string basename_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class PciScan {
 public:
  PciScan(Sys& sys, const Paths& paths, Discovery& out)
      : sys_(sys), paths_(paths), out_(out), bus_dir_(paths.sys + "/bus/pci") {}

  void run() {
    auto entries = sys_.list_dir(bus_dir_ + "/devices");
    if (!entries) {
      // No PCI bus (or no sysfs) is a machine without PCI devices, not a failure.
      if (!is_absent(entries.error())) out_.warnings.push_back(entries.error().message());
      return;
    }
    std::vector<std::pair<std::string, PciAddress>> functions;
    for (const std::string& name : *entries) {
      if (auto a = parse_pci_address(name))
        functions.emplace_back(name, *a);
      else
        out_.warnings.push_back(bus_dir_ + "/devices/" + name +
                                ": not a PCI address (domain:bus:slot.func); skipped");
    }
    if (functions.empty()) return;

    trap_.warnings = &out_.warnings;
    PciTrap* outer = t_pci_trap;
    t_pci_trap = &trap_;
    pacc_ = pci_alloc();
    scan(functions);
    pci_cleanup(pacc_);
    pacc_ = nullptr;
    t_pci_trap = outer;
  }

 private:
  void scan(const std::vector<std::pair<std::string, PciAddress>>& functions) {
    pacc_->error = on_pci_error;
    pacc_->warning = on_pci_warning;
    pacc_->debug = on_pci_debug;
    // The sysfs backend only; with PCI_ACCESS_AUTO libpci would probe /proc/bus/pci and i386
    // ports too. Its sysfs.path parameter is the /sys/bus/pci directory (lib/sysfs.c).
    pacc_->method = PCI_ACCESS_SYS_BUS_PCI;
    // No ~/.pciids-cache and no DNS: pci_alloc() sets PCI_LOOKUP_CACHE when libpci was built
    // with DNS support (lib/init.c); PCI_LOOKUP_NETWORK is never set.
    pacc_->id_lookup_mode = 0;
    pacc_->numeric_ids = 0;
    lookup_flags_ = PCI_LOOKUP_NO_NUMBERS;
    sysfs_path_ = bus_dir_;
    pci_set_param(pacc_, const_cast<char*>("sysfs.path"), sysfs_path_.data());
    if (!paths_.pci_ids.empty()) {
      // An explicit database is the only source of names: no udev hwdb either.
      ids_path_ = paths_.pci_ids;
      pci_set_name_list_path(pacc_, ids_path_.data(), 0);
      lookup_flags_ |= PCI_LOOKUP_NO_HWDB;
    }
    if (!pci_call(
            trap_, [](pci_access* a, void*) { pci_init(a); }, pacc_, nullptr)) {
      out_.warnings.push_back(std::string("libpci: ") + trap_.message);
      return;
    }
    for (const auto& [name, addr] : functions) read_function(name, addr);
  }

  void read_function(const std::string& name, const PciAddress& addr) {
    pci_dev* dev = pci_get_dev(pacc_, static_cast<int>(addr.domain), static_cast<int>(addr.bus),
                               static_cast<int>(addr.slot), static_cast<int>(addr.func));
    bool ok = pci_call(
        trap_, [](pci_access*, void* d) { pci_fill_info(static_cast<pci_dev*>(d), kPciFill); },
        pacc_, dev);
    if (!ok) {
      out_.warnings.push_back("PCI " + name + ": libpci: " + trap_.message + "; skipped");
      pci_free_dev(dev);
      return;
    }
    PciGpu g;
    g.address = name;
    g.vendor_id = dev->vendor_id;
    g.device_id = dev->device_id;
    g.class_code = (static_cast<uint32_t>(dev->device_class) << 8) | dev->prog_if;
    g.revision = dev->rev_id;
    if (dev->known_fields & PCI_FILL_SUBSYS) {
      g.subsys_vendor_id = dev->subsys_vendor_id;
      g.subsys_device_id = dev->subsys_id;
    }
    pci_free_dev(dev);

    bool gpu = is_gpu_function(g.vendor_id, g.class_code);
    if (!gpu && (g.class_code >> 16) != kClassDisplay) return;
    lookup_names(g);
    g.driver = bound_driver(name);
    (gpu ? out_.gpus : out_.other_display).push_back(std::move(g));
  }

  void lookup_names(PciGpu& g) {
    if (!names_loaded_) load_names();
    PciNames n;
    n.flags = lookup_flags_;
    n.vendor = g.vendor_id;
    n.device = g.device_id;
    n.cls = static_cast<uint16_t>(g.class_code >> 8);
    bool ok = pci_call(
        trap_,
        [](pci_access* a, void* arg) {
          auto* p = static_cast<PciNames*>(arg);
          p->vendor_name = pci_lookup_name(a, p->vendor_buf, sizeof p->vendor_buf,
                                           PCI_LOOKUP_VENDOR | p->flags, p->vendor);
          p->device_name = pci_lookup_name(a, p->device_buf, sizeof p->device_buf,
                                           PCI_LOOKUP_DEVICE | p->flags, p->vendor, p->device);
          p->class_name = pci_lookup_name(a, p->class_buf, sizeof p->class_buf,
                                          PCI_LOOKUP_CLASS | p->flags, p->cls);
        },
        pacc_, &n);
    if (!ok) {
      out_.warnings.push_back("PCI " + g.address + ": libpci: " + trap_.message);
      return;
    }
    if (n.vendor_name) g.vendor_name = n.vendor_name;
    if (n.device_name) g.device_name = n.device_name;
    if (n.class_name) g.class_name = n.class_name;
  }

  // The PCI ID database is read once, when the first display/GPU function needs a name.
  void load_names() {
    names_loaded_ = true;
    int loaded = 0;
    bool ok = pci_call(
        trap_, [](pci_access* a, void* r) { *static_cast<int*>(r) = pci_load_name_list(a); }, pacc_,
        &loaded);
    std::string file = pacc_->id_file_name ? pacc_->id_file_name : "?";
    if (!ok) {
      // A malformed database: drop what was parsed and do not try again.
      out_.warnings.push_back(std::string("PCI ID database: libpci: ") + trap_.message +
                              "; device names unknown");
      pci_free_name_list(pacc_);
      pacc_->id_load_failed = 1;
    } else if (!loaded) {
      out_.warnings.push_back("PCI ID database " + file +
                              " could not be read; device names unknown");
    }
  }

  // Basename of the bound driver's link ("amdgpu", "nvidia"); "" when no driver is bound.
  std::string bound_driver(const std::string& name) {
    auto link = sys_.read_link(bus_dir_ + "/devices/" + name + "/driver");
    if (link) return basename_of(*link);
    if (!is_absent(link.error())) out_.warnings.push_back(link.error().message());
    return {};
  }

  Sys& sys_;
  const Paths& paths_;
  Discovery& out_;
  std::string bus_dir_;
  std::string sysfs_path_, ids_path_;  // libpci keeps pointers into these
  PciTrap trap_;
  pci_access* pacc_ = nullptr;
  int lookup_flags_ = 0;
  bool names_loaded_ = false;
};

// ---------------------------------------------------------------------------------------------
// Driver nodes.

struct NodePattern {
  std::string_view name;  // exact name, or prefix when numbered
  const char* kind;
  bool numbered;
};

// Listed in the order they are reported.
constexpr NodePattern kDevNodes[] = {
    {"kfd", "kfd", false},                // amdkfd (kfd_chardev.c)
    {"nvidiactl", "nvidiactl", false},    // NVIDIA control node (nv.c, minor 255)
    {"nvidia-uvm", "nvidia-uvm", false},  // NVIDIA unified memory (uvm.c)
    {"nvidia", "nvidia", true},           // NVIDIA per-GPU nodes nvidia<minor>
    {"kgsl-3d", "kgsl", true},            // Qualcomm Adreno (kgsl.c, kgsl-3d0)
};
constexpr NodePattern kDriNodes[] = {
    {"renderD", "render", true},  // DRM render nodes (drm_file.c, minors 128+)
};

int kind_rank(const std::string& kind) {
  static constexpr const char* kOrder[] = {"kfd",        "render", "nvidiactl",
                                           "nvidia-uvm", "nvidia", "kgsl"};
  for (int i = 0; i < static_cast<int>(std::size(kOrder)); ++i)
    if (kind == kOrder[i]) return i;
  return static_cast<int>(std::size(kOrder));
}

// The pattern `name` matches and its number (-1 for unnumbered ones).
std::optional<std::pair<const NodePattern*, int>> match_node(std::string_view name,
                                                             const NodePattern* begin,
                                                             const NodePattern* end) {
  for (const NodePattern* p = begin; p != end; ++p) {
    if (!p->numbered) {
      if (name == p->name) return std::make_pair(p, -1);
      continue;
    }
    if (!name.starts_with(p->name)) continue;
    std::string_view digits = name.substr(p->name.size());
    int n = 0;
    if (digits.empty() || digits.size() > 6) continue;
    auto [q, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n, 10);
    if (ec == std::errc{} && q == digits.data() + digits.size() && digits[0] != '+')
      return std::make_pair(p, n);
  }
  return std::nullopt;
}

void probe_nodes(Sys& sys, const std::string& dir, const NodePattern* begin, const NodePattern* end,
                 Discovery& out) {
  auto names = sys.list_dir(dir);
  if (!names) {
    if (!is_absent(names.error())) out.warnings.push_back(names.error().message());
    return;
  }
  for (const std::string& name : *names) {
    auto m = match_node(name, begin, end);
    if (!m) continue;
    DriverNode n;
    n.path = dir + "/" + name;
    n.kind = m->first->kind;
    n.number = m->second;
    int fd = sys.open(n.path.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd == -ENOENT) continue;  // vanished since the listing
    if (fd >= 0) {
      n.can_open = true;
      sys.close(fd);
    } else {
      n.open_errno = -fd;
    }
    out.nodes.push_back(std::move(n));
  }
}

// ---------------------------------------------------------------------------------------------

void read_nvidia(Sys& sys, const Paths& paths, Discovery& out) {
  const std::string path = paths.proc + "/driver/nvidia/version";
  auto text = sys.read_file(path, 64 * 1024);
  if (!text) {
    if (!is_absent(text.error())) out.warnings.push_back(text.error().message());
    return;
  }
  auto v = parse_nvidia_version(*text, path);
  if (!v) {
    out.warnings.push_back(v.error().message());
    return;
  }
  out.nvidia = std::move(v).value();
}

void read_kfd(Sys& sys, const Paths& paths, Discovery& out) {
  const std::string root = paths.sys + "/devices/virtual/kfd/kfd/topology";
  auto listing = sys.list_dir(root);
  if (!listing) {
    if (!is_absent(listing.error())) out.warnings.push_back(listing.error().message());
    return;
  }
  auto t = kfd::read_topology(sys, root);
  if (!t) {
    out.warnings.push_back("KFD topology: " + t.error().message());
    return;
  }
  for (const kfd::SkippedNode& s : t->skipped)
    out.warnings.push_back("KFD topology node " + std::to_string(s.index) +
                           " skipped: " + s.reason);
  out.kfd = std::move(t).value();
  for (const kfd::Node* g : out.kfd->gpus()) {
    auto r = kfd::find_render_node(sys, *g, paths.dev);
    if (!r) {
      out.warnings.push_back("KFD node " + std::to_string(g->index) + ": " + r.error().message());
      continue;
    }
    out.kfd_render_nodes.push_back({.node = g->index, .pci = kfd::pci_location(*g), .render = std::move(r).value()});
  }
}

void read_kgsl(Sys& sys, const Paths& paths, Discovery& out) {
  // adreno_sysfs.c: gpu_model, e.g. "Adreno630v2".
  const std::string path = paths.sys + "/class/kgsl/kgsl-3d0/gpu_model";
  auto model = core::read_trimmed(sys, path);
  if (!model) {
    if (!is_absent(model.error())) out.warnings.push_back(model.error().message());
    return;
  }
  if (model->empty()) {
    out.warnings.push_back(path + ": empty");
    return;
  }
  out.kgsl = KgslInfo{std::move(model).value()};
}

}  // namespace

bool is_gpu_function(uint16_t vendor_id, uint32_t class_code) {
  bool vendor = vendor_id == kPciVendorAmd || vendor_id == kPciVendorNvidia ||
                vendor_id == kPciVendorQualcomm || vendor_id == kPciVendorQualcommLegacy;
  return vendor && ((class_code >> 16) == kClassDisplay || (class_code >> 8) == kClassAccelerator);
}

Result<NvidiaDriver> parse_nvidia_version(std::string_view text, const std::string& what) {
  // nv-procfs.c prints "NVRM version: NVIDIA UNIX [Open Kernel Module for ]<arch> Kernel
  // Module  <version>  <build info>" as the first line, then "GCC version: ...".
  std::string_view line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  constexpr std::string_view kPrefix = "NVRM version:";
  if (!line.starts_with(kPrefix))
    return Error::invalid(
        what, "first line does not start with 'NVRM version:': '" + std::string(line) + "'");
  std::string_view rest = line.substr(kPrefix.size());
  std::string version;
  while (!rest.empty() && version.empty()) {
    size_t start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find_first_of(" \t");
    std::string_view tok = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    // "580.65.06", "535.104.05": digits and dots, starting and ending with a digit.
    bool digits_and_dots = tok.find_first_not_of("0123456789.") == std::string_view::npos;
    if (digits_and_dots && tok.find('.') != std::string_view::npos && tok.front() != '.' &&
        tok.back() != '.')
      version = tok;
  }
  if (version.empty())
    return Error::invalid(what, "no driver version number in '" + std::string(line) + "'");
  NvidiaDriver d;
  d.version = std::move(version);
  d.banner = std::string(line);
  d.open_kernel_module = line.find("Open Kernel Module") != std::string_view::npos;
  return d;
}

Discovery discover(Sys& sys, const Paths& paths) {
  Discovery d;
  PciScan(sys, paths, d).run();
  probe_nodes(sys, paths.dev, std::begin(kDevNodes), std::end(kDevNodes), d);
  probe_nodes(sys, paths.dev + "/dri", std::begin(kDriNodes), std::end(kDriNodes), d);
  std::stable_sort(d.nodes.begin(), d.nodes.end(), [](const DriverNode& a, const DriverNode& b) {
    int ra = kind_rank(a.kind), rb = kind_rank(b.kind);
    return ra != rb ? ra < rb : a.number < b.number;
  });
  read_nvidia(sys, paths, d);
  read_kfd(sys, paths, d);
  read_kgsl(sys, paths, d);
  return d;
}

std::vector<std::string> real_device_names(const Discovery& d) {
  std::vector<std::string> names;
  if (d.kfd) {
    size_t n = d.kfd->gpus().size();
    for (size_t i = 0; i < n; ++i) names.push_back("amd:" + std::to_string(i));
  }
  // d.nodes is sorted by kind, then number.
  for (const DriverNode& n : d.nodes)
    if (n.kind == "nvidia") names.push_back("nv:" + std::to_string(n.number));
  for (const DriverNode& n : d.nodes)
    if (n.kind == "kgsl") names.push_back("qcom:" + std::to_string(n.number));
  return names;
}

}  // namespace rawgpu::devices

// A simulated NVIDIA machine: one SimNvGpu per profile, the device nodes of nvidia.ko and
// nvidia-uvm.ko, and the procfs/sysfs files a real driver installs
// (kernel-open/nvidia/nv-procfs.c: /proc/driver/nvidia/version and gpus/<bus>/information).
#include <cstdio>

#include "nv_ioctl/ioctl.h"
#include "sim/nv/rm.h"

namespace rawgpu::sim::nv {

namespace {

std::string uuid_text(const uint8_t* u) {
  char b[48];
  std::snprintf(b, sizeof b,
                "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
                u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
                u[14], u[15]);
  return b;
}

}  // namespace

core::Result<std::unique_ptr<Machine>> Machine::create(const MachineOptions& options) {
  const std::string op = "sim-nv machine";
  if (options.profiles.empty()) return core::Error::invalid(op, "needs at least one GPU profile");
  RAWGPU_ASSIGN(rawgpu::nv::DriverVersion v,
                rawgpu::nv::parse_driver_version(options.driver_version, "driver_version"));
  RAWGPU_ASSIGN(rawgpu::nv::NvAbi abi, rawgpu::nv::select_abi(v));

  std::unique_ptr<Machine> m(new Machine());
  m->options_ = options;
  auto rm = std::make_shared<Rm>(m.get(), abi);
  RmAccess::rm(*m) = rm;

  for (size_t i = 0; i < options.profiles.size(); ++i) {
    const Profile* p = find_profile(options.profiles[i]);
    if (p == nullptr)
      return core::Error::unsupported(
          op, "no NVIDIA profile '" + options.profiles[i] + "' (have " + profile_names() + ")");
    auto g = std::make_unique<SimNvGpu>();
    g->profile = p;
    g->minor = static_cast<uint32_t>(i);
    g->pci_bus = 0x41 + static_cast<uint32_t>(i);
    g->gpu_id = 0x100 * g->pci_bus;
    // A deterministic UUID per (profile, slot): version-4 layout bits, the rest from a hash.
    uint64_t h = 1469598103934665603ull;
    for (char ch : p->name) h = (h ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
    h ^= i * 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < 16; ++k) {
      h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
      g->uuid[k] = static_cast<uint8_t>(h >> 56);
    }
    g->uuid[6] = static_cast<uint8_t>((g->uuid[6] & 0x0f) | 0x40);
    g->uuid[8] = static_cast<uint8_t>((g->uuid[8] & 0x3f) | 0x80);
    RAWGPU_ASSIGN(std::shared_ptr<Bo> usermode, Bo::create(0x10000, "nv usermode"));
    g->usermode = usermode;
    g->engines = std::make_unique<Engines>(*p, usermode);
    m->gpus_.push_back(std::move(g));
  }

  SimSys& sys = m->sys_;
  sys.add_node("/dev/nvidiactl", make_ctl_node(rm));
  sys.add_node("/dev/nvidia-uvm", make_uvm_node(rm));
  sys.add_node("/dev/nvidia-uvm-tools", make_uvm_node(rm));
  const std::string& ver = options.driver_version;
  sys.add_file(rawgpu::nv::kProcDriverVersionPath,
               "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  " + ver +
                   "  Release Build  (rawgpu-sim@localhost)  Thu Jan  1 00:00:00 UTC 2026\n"
                   "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n");
  sys.add_file("/sys/module/nvidia/version", ver + "\n");
  sys.add_file("/sys/module/nvidia_uvm/version", ver + "\n");
  for (const auto& g : m->gpus_) {
    sys.add_node(rawgpu::nv::gpu_node_path(g->minor), make_gpu_node(rm, g.get()));
    char bus[32];
    std::snprintf(bus, sizeof bus, "0000:%02x:00.0", g->pci_bus);
    char info[512];
    std::snprintf(info, sizeof info,
                  "Model: \t\t %s\nIRQ:   \t\t %u\nGPU UUID: \t %s\nVideo BIOS: \t ??.??.??.??.??\n"
                  "Bus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\n"
                  "Bus Location: \t %s\nDevice Minor: \t %u\nGPU Firmware: \t %s\n"
                  "GPU Excluded:\t No\n",
                  std::string(g->profile->marketing_name).c_str(), 130 + g->minor,
                  uuid_text(g->uuid).c_str(), bus, g->minor, ver.c_str());
    sys.add_file(std::string("/proc/driver/nvidia/gpus/") + bus + "/information", info);
    const std::string pci = std::string("/sys/bus/pci/devices/") + bus;
    char hexv[16];
    std::snprintf(hexv, sizeof hexv, "0x%04x\n", g->profile->pci_vendor);
    sys.add_file(pci + "/vendor", hexv);
    std::snprintf(hexv, sizeof hexv, "0x%04x\n", g->profile->pci_device);
    sys.add_file(pci + "/device", hexv);
    sys.add_file(pci + "/class", "0x030200\n");
    sys.add_link(pci + "/driver", "../../../../bus/pci/drivers/nvidia");
  }
  return m;
}

Machine::~Machine() {
  // Files still open close with sys_ (after rm_ is released here, the files' references keep
  // the driver state alive until then); the GPUs and their engines go last.
  rm_.reset();
}

std::vector<std::string> Machine::kernel_log() const {
  std::lock_guard lk(log_mu_);
  return log_;
}

void Machine::log(std::string line) {
  std::lock_guard lk(log_mu_);
  log_.push_back(std::move(line));
}

size_t Machine::rm_object_count() const {
  std::lock_guard lk(rm_->mu);
  return rm_->object_count();
}

size_t Machine::live_bo_count() const {
  std::lock_guard lk(rm_->mu);
  size_t n = 0;
  for (const auto& w : rm_->bos) n += w.expired() ? 0 : 1;
  return n;
}

std::shared_ptr<ChannelState> Machine::channel(uint32_t hClient, uint32_t hChannel) const {
  std::lock_guard lk(rm_->mu);
  auto it = rm_->clients.find(hClient);
  if (it == rm_->clients.end()) return nullptr;
  RmObject* o = rm_->object(it->second, hChannel);
  return o != nullptr && o->kind == Kind::kChannel ? o->channel->state : nullptr;
}

}  // namespace rawgpu::sim::nv

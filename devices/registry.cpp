#include "devices/registry.h"

#include <cstdlib>
#include <optional>
#include <sstream>

#include "kfd/device.h"
#include "nv_ioctl/device.h"
#include "qcom_kgsl/device.h"
#include "sim/amd/machine.h"
#include "sim/nv/machine.h"
#include "sim/qcom/machine.h"

namespace rawgpu {
namespace devices {
namespace {

std::string join(const std::vector<std::string>& v) {
  if (v.empty()) return "none";
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

const char* backend_title(core::Vendor v) {
  switch (v) {
    case core::Vendor::kAmd: return "AMD (KFD)";
    case core::Vendor::kNvidia: return "NVIDIA (RM + UVM)";
    case core::Vendor::kQualcomm: return "Qualcomm (KGSL)";
  }
  return "?";
}

// Errors of a backend's open name the device asked for: "open nv:0: open /dev/nvidiactl: …".
core::Result<std::unique_ptr<queues::Device>> named(core::Result<std::unique_ptr<queues::Device>> r,
                                                    const std::string& canonical) {
  if (r.ok()) return r;
  core::Error e = std::move(r).error();
  if (e.op().find(canonical) != std::string::npos) return e;
  return core::Error(e.kind(), "open " + canonical + ": " + e.op(), e.err(), e.status(),
                     e.status_name(), e.hint());
}

}  // namespace

// A comma-separated profile list from `env`, else `defaults`.
std::vector<std::string> profiles_from_env(const char* env_name, std::vector<std::string> defaults) {
  std::vector<std::string> out;
  if (const char* env = std::getenv(env_name); env && *env) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) out.push_back(item);
  }
  return out.empty() ? defaults : out;
}

// The simulated AMD machine: one GPU per profile, sim-amd:N is the Nth. RAWGPU_SIM_AMD
// ("gfx942,gfx1100") overrides the profiles.
std::vector<std::string> sim_amd_profiles() { return profiles_from_env("RAWGPU_SIM_AMD", {"gfx1100", "gfx942"}); }

// The simulated NVIDIA GPUs: sim-nv:N is the Nth profile of RAWGPU_SIM_NV ("GH100,GA102").
std::vector<std::string> sim_nv_profiles() { return profiles_from_env("RAWGPU_SIM_NV", {"GH100", "GA102"}); }

// The simulated Adrenos: sim-qcom:N is the Nth profile of RAWGPU_SIM_QCOM ("a630,a660").
std::vector<std::string> sim_qcom_profiles() { return profiles_from_env("RAWGPU_SIM_QCOM", {"a630", "a660"}); }

std::vector<std::string> simulated_devices() {
  std::vector<std::string> names;
  for (size_t i = 0; i < sim_amd_profiles().size(); ++i) names.push_back("sim-amd:" + std::to_string(i));
  for (size_t i = 0; i < sim_nv_profiles().size(); ++i) names.push_back("sim-nv:" + std::to_string(i));
  for (size_t i = 0; i < sim_qcom_profiles().size(); ++i) names.push_back("sim-qcom:" + std::to_string(i));
  return names;
}

std::vector<std::string> available(core::Sys& sys, const Paths& paths) {
  std::vector<std::string> names = real_device_names(discover(sys, paths));
  for (const std::string& n : simulated_devices()) names.push_back(n);
  return names;
}

std::string default_device_name(core::Sys& sys, const Paths& paths) {
  if (const char* env = std::getenv("RAWGPU_DEVICE"); env && *env) return env;
  std::vector<std::string> names = available(sys, paths);
  return names.empty() ? std::string() : names.front();
}

core::Result<SimMachine> open_sim_machine(std::string_view name) {
  auto parsed = core::parse_device_name(name);
  if (!parsed) {
    core::Error e = std::move(parsed).error();
    return core::Error::invalid("open simulated machine " + std::string(name),
                                e.hint() + "; simulated devices: " + join(simulated_devices()));
  }
  const std::string canonical = parsed->str();
  auto not_sim = [&](size_t count) -> std::optional<core::Error> {
    if (parsed->simulated && parsed->index < count) return std::nullopt;
    return core::Error::not_found("open simulated machine " + canonical,
                                  "not a simulated device; simulated devices: " +
                                      join(simulated_devices()));
  };
  SimMachine out;
  out.name = *parsed;
  if (parsed->vendor == core::Vendor::kAmd) {
    const std::vector<std::string> profiles = sim_amd_profiles();
    if (auto e = not_sim(profiles.size())) return std::move(*e);
    auto machine = sim::amd::Machine::create({.profiles = profiles});
    if (!machine) return std::move(machine).error();
    std::shared_ptr<sim::amd::Machine> m(std::move(machine).value());
    out.sys = &m->sys();
    out.keepalive = m;
    return out;
  }
  if (parsed->vendor == core::Vendor::kNvidia) {
    const std::vector<std::string> profiles = sim_nv_profiles();
    if (auto e = not_sim(profiles.size())) return std::move(*e);
    auto machine = sim::nv::Machine::create({.profiles = profiles});
    if (!machine) return std::move(machine).error();
    std::shared_ptr<sim::nv::Machine> m(std::move(machine).value());
    out.sys = &m->sys();
    out.keepalive = m;
    return out;
  }
  const std::vector<std::string> profiles = sim_qcom_profiles();
  if (auto e = not_sim(profiles.size())) return std::move(*e);
  auto machine = sim::qcom::Machine::create({.profiles = profiles});
  if (!machine) return std::move(machine).error();
  std::shared_ptr<sim::qcom::Machine> m(std::move(machine).value());
  out.sys = &m->sys();
  out.keepalive = m;
  return out;
}

core::Result<std::unique_ptr<queues::Device>> open(std::string_view name, core::Sys& sys,
                                                   const Paths& paths) {
  std::string chosen(name);
  if (chosen.empty()) chosen = default_device_name(sys, paths);
  const std::vector<std::string> present = available(sys, paths);
  if (chosen.empty())
    return core::Error::not_found("open device",
                                  "no GPU found and no simulated device is built in; devices "
                                  "available: none");
  auto parsed = core::parse_device_name(chosen);
  if (!parsed) {
    core::Error e = std::move(parsed).error();
    return core::Error::invalid("open " + chosen,
                                e.hint() + "; devices available: " + join(present));
  }
  const std::string canonical = parsed->str();
  bool exists = false;
  for (const auto& p : present) exists = exists || p == canonical;
  if (!exists)
    return core::Error::not_found(
        "open " + canonical,
        "no such device; devices available: " + join(present));
  // Backends register here as they are built (DESIGN.md: the registry is the only room that
  // knows every backend).
  if (parsed->vendor == core::Vendor::kAmd) {
    kfd::OpenOptions o;
    o.index = parsed->index;
    o.name = *parsed;
    if (!parsed->simulated) {
      o.sys_root = paths.sys;
      o.dev_root = paths.dev;
      o.simulated = core::sim_preloaded();  // librawgpu_sim.so serves the nodes: sim kernels
      return named(kfd::open_device(sys, o), canonical);
    }
    auto machine = sim::amd::Machine::create({.profiles = sim_amd_profiles()});
    if (!machine) return std::move(machine).error();
    std::shared_ptr<sim::amd::Machine> m(std::move(machine).value());
    o.simulated = true;
    o.keepalive = m;
    return named(kfd::open_device(m->sys(), o), canonical);
  }
  if (parsed->vendor == core::Vendor::kNvidia) {
    nv::OpenOptions o;
    o.index = parsed->index;
    o.name = *parsed;
    if (!parsed->simulated) {
      o.dev_root = paths.dev;
      o.simulated = core::sim_preloaded();
      return named(nv::open_device(sys, o), canonical);
    }
    // One simulated GPU per device: its machine holds just that profile.
    const std::string profile = sim_nv_profiles().at(parsed->index);
    auto machine = sim::nv::Machine::create({.profiles = {profile}});
    if (!machine) return std::move(machine).error();
    std::shared_ptr<sim::nv::Machine> m(std::move(machine).value());
    o.index = 0;
    o.simulated = true;
    o.keepalive = m;
    return named(nv::open_device(m->sys(), o), canonical);
  }
  if (parsed->vendor == core::Vendor::kQualcomm) {
    qcom::OpenOptions o;
    o.index = parsed->index;
    o.name = *parsed;
    if (!parsed->simulated) {
      o.dev_root = paths.dev;
      o.simulated = core::sim_preloaded();
      return named(qcom::open_device(sys, o), canonical);
    }
    const std::string profile = sim_qcom_profiles().at(parsed->index);
    auto machine = sim::qcom::Machine::create({.profiles = {profile}});
    if (!machine) return std::move(machine).error();
    std::shared_ptr<sim::qcom::Machine> m(std::move(machine).value());
    o.index = 0;
    o.simulated = true;
    o.keepalive = m;
    return named(qcom::open_device(m->sys(), o), canonical);
  }
  return core::Error::unsupported(
      "open " + canonical, std::string("this build of rawgpu has no ") +
                               backend_title(parsed->vendor) + (parsed->simulated ? " simulator" : " backend") +
                               " yet; devices available: " + join(present));
}

}  // namespace devices

core::Result<std::unique_ptr<queues::Device>> open(std::string_view name) {
  return devices::open(name, core::host_sys());
}

}  // namespace rawgpu

// rawgpu — the registry: the one place that turns a device name into a backend.
//
//   auto dev = rawgpu::open("sim-amd:0");   // or "amd:0", "nv:0", "qcom:0", "sim-nv:0", …
//   if (!dev) { std::cerr << dev.error().message() << "\n"; return 1; }
//
// The name is parsed by core::parse_device_name; the real devices present are found by
// devices::discover. A name that does not parse, a device that does not exist and a backend that
// is not built all fail with an error that lists the devices that do exist.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/device_name.h"
#include "core/error.h"
#include "core/sys.h"
#include "devices/discover.h"
#include "queues/device.h"

namespace rawgpu {

namespace devices {

// Names of every device that can be opened on this machine: the real ones present, then the
// simulated ones that are built in.
std::vector<std::string> available(core::Sys& sys, const Paths& paths = {});

// Simulated devices built into this library ("sim-amd:0", "sim-amd:1", …).
std::vector<std::string> simulated_devices();

// The device to open when no name is given: $RAWGPU_DEVICE if set, else the first available.
std::string default_device_name(core::Sys& sys, const Paths& paths = {});

// A fresh simulated machine behind a simulated device name ("sim-amd:0", "sim-nv:1", …), for
// tools that talk to the kernel interface themselves (`rawgpu replay`) instead of opening a
// backend. `sys` stays valid while `keepalive` lives. The machine holds every profile of its
// vendor (the device is its Nth GPU: /dev/nvidia<N>, /dev/kgsl-3d<N>, the Nth KFD node), as the
// preloaded simulator (librawgpu_sim.so) shows them. A name that is not a simulated device, or an
// index past the profile list, fails with an error that lists the simulated devices.
struct SimMachine {
  core::Sys* sys = nullptr;
  std::shared_ptr<void> keepalive;
  core::DeviceName name;
};
core::Result<SimMachine> open_sim_machine(std::string_view name);

// Opens `name` ("" = default_device_name) using `sys` for real devices.
core::Result<std::unique_ptr<queues::Device>> open(std::string_view name, core::Sys& sys,
                                                   const Paths& paths = {});

}  // namespace devices

// Opens a device by name on the host ("" = $RAWGPU_DEVICE or the first available device).
core::Result<std::unique_ptr<queues::Device>> open(std::string_view name = {});

}  // namespace rawgpu

// Uses the installed headers and library: parses a device name and tries to open it.
#include <cstdio>
#include <cstring>

#include "core/device_name.h"
#include "devices/registry.h"

int main() {
  auto n = rawgpu::core::parse_device_name("sim-nv:1");
  if (!n || n->str() != "sim-nv:1") return 2;
  auto bad = rawgpu::core::parse_device_name("gpu:0");
  if (bad) return 3;
  std::printf("consumer ok: %s\n", n->str().c_str());
  return 0;
}

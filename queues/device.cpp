#include "queues/device.h"

namespace rawgpu::queues {

const char* memory_kind_name(MemoryKind k) {
  switch (k) {
    case MemoryKind::kDevice: return "device";
    case MemoryKind::kDeviceMapped: return "device-mapped";
    case MemoryKind::kHost: return "host";
  }
  return "?";
}

}  // namespace rawgpu::queues

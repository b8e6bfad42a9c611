// TEMPORARY placeholder so the tree builds while the engines are written (replaced wholesale).
#include "sim/nv/engines.h"

#include <chrono>

namespace rawgpu::sim::nv {
struct Engines::Impl {};
Engines::Engines(const Profile&, std::shared_ptr<Bo>) : impl_(std::make_unique<Impl>()) {}
Engines::~Engines() = default;
void Engines::add(std::shared_ptr<ChannelState>) {}
void Engines::remove(const ChannelState*) {}
uint64_t Engines::methods_executed() const { return 0; }
uint64_t Engines::launches() const { return 0; }
uint64_t Engines::stray_doorbells() const { return 0; }
uint64_t gpu_time_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}
}  // namespace rawgpu::sim::nv

// TEMPORARY (removed once sim/amd/cp.cpp lands): weak placeholders so the tree links while the
// command processor is being written. The real definitions override these.
#include "sim/amd/cp.h"

namespace rawgpu::sim::amd {
struct CommandProcessor::Impl {};
__attribute__((weak)) uint64_t gpu_clock_now() { return 0; }
__attribute__((weak)) CommandProcessor::CommandProcessor(const Profile&, uint32_t) {}
__attribute__((weak)) CommandProcessor::~CommandProcessor() {}
__attribute__((weak)) void CommandProcessor::add(std::shared_ptr<QueueState>) {}
__attribute__((weak)) void CommandProcessor::remove(const QueueState*) {}
}  // namespace rawgpu::sim::amd

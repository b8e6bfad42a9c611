// rawgpu — host-native simulator kernels (sim/kernel_abi.h), shared by every simulated GPU:
// loading the host shared object a simulator code object carries, resolving a kernel's function,
// and the mem() callback that walks the simulated GPU page table.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "sim/gpu_memory.h"
#include "sim/kernel_abi.h"

namespace rawgpu::sim {

// dlopen()s the host shared object `so` (so_size bytes, kfd::sim_hash `hash`) through a memfd.
// Loaded objects are cached process-wide by (hash, size) and stay loaded until exit. An object
// whose bytes do not hash to `hash` (corrupted in GPU memory) is refused.
core::Result<void*> load_host_object(const uint8_t* so, uint32_t so_size, uint64_t hash);

// The kernel function `symbol` of a loaded host object; kInvalidInput naming it when missing.
core::Result<rg_sim_kernel_fn> host_kernel_function(void* handle, const std::string& symbol);

// What a kernel's mem() callback needs: the GPU page table, and the first fault it hit.
struct KernelCtx {
  const PageTable* vm = nullptr;
  bool faulted = false;
  GpuFault fault;
};

// rg_sim_workgroup::mem for a KernelCtx: a host pointer, or nullptr after recording the fault.
void* kernel_mem(void* ctx, uint64_t va, uint64_t bytes, uint32_t access);

// "GPU page fault at 0x1234 (write, no mapping)" — one wording for every simulated GPU.
std::string describe_gpu_fault(const GpuFault& f);

}  // namespace rawgpu::sim

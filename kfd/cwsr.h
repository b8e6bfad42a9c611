// rawgpu — the sizes CREATE_QUEUE demands for compute queues: the EOP buffer and the context
// save/restore (CWSR) area. The kernel checks them exactly (kfd_queue.c
// kfd_queue_ctx_save_restore_size; shared/abi/amd-kfd.md §4.4); the runtime computes them and
// the simulator enforces them, both from here.
#pragma once

#include <cstdint>

namespace rawgpu::kfd {

struct CwsrInputs {
  uint32_t gfx_target_version = 0;
  uint32_t simd_count = 0, simd_per_cu = 0, num_xcc = 1;
  uint32_t array_count = 0, simd_arrays_per_engine = 0;
  uint32_t lds_size_in_kb = 0;
};

struct CwsrSizes {
  uint32_t ctl_stack_size = 0;     // per XCC
  uint32_t cwsr_size = 0;          // per XCC (ctx_save_restore_size)
  uint32_t debug_memory_size = 0;  // per XCC
  uint32_t eop_buffer_size = 0;
  uint64_t bo_size = 0;            // ALIGN((cwsr + debug) * num_xcc, 4096)
};

CwsrSizes cwsr_sizes(const CwsrInputs& in);

}  // namespace rawgpu::kfd

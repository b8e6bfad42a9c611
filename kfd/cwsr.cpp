#include "kfd/cwsr.h"

#include <algorithm>

namespace rawgpu::kfd {
namespace {
uint32_t align_up(uint32_t x, uint32_t a) { return (x + a - 1) / a * a; }
}  // namespace

CwsrSizes cwsr_sizes(const CwsrInputs& in) {
  const uint32_t gfxv = in.gfx_target_version;
  const uint32_t xcc = in.num_xcc ? in.num_xcc : 1;
  const uint32_t cu = in.simd_per_cu ? in.simd_count / in.simd_per_cu / xcc : 0;
  uint32_t waves;
  if (gfxv < 100100) {
    const uint32_t se = in.simd_arrays_per_engine ? in.array_count / in.simd_arrays_per_engine : 0;
    waves = std::min(cu * 40, se * 512);
  } else {
    waves = cu * 32;
  }
  // VGPR bytes per CU by target (§4.4 table).
  uint32_t vgpr = 0x40000;
  switch (gfxv) {
    case 90008: case 90010: case 90402: case 90500: vgpr = 0x80000; break;
    case 110000: case 110001: case 110501: case 120000: case 120001: vgpr = 0x60000; break;
    default: break;
  }
  const uint32_t lds = gfxv == 90500 ? in.lds_size_in_kb << 10 : 0x10000;
  const uint32_t per_cu = vgpr + 0x4000 /*SGPR*/ + lds + 0x1000 /*HWREG*/;
  const uint32_t wg_data = align_up(cu * per_cu, 4096);
  uint32_t ctl = align_up(40 + waves * (gfxv >= 100100 ? 12 : 8) + 8, 4096);
  if (gfxv >= 100000 && gfxv < 110000) ctl = std::min(ctl, 0x7000u);
  CwsrSizes s;
  s.ctl_stack_size = ctl;
  s.cwsr_size = ctl + wg_data;
  s.debug_memory_size = align_up(waves * 32, 64);
  s.eop_buffer_size = gfxv == 80002 ? 0x8000 : 4096;
  s.bo_size = (uint64_t{s.cwsr_size + s.debug_memory_size} * xcc + 4095) & ~uint64_t{4095};
  return s;
}

}  // namespace rawgpu::kfd

// rawgpu — simulator code objects: host-native kernels (C files using sim/kernel_abi.h, built
// into a host shared object) packed into the container of a backend's real code objects, so
// the runtime loads them exactly as it loads real ones.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rawgpu::sim {

struct SimKernelArg {
  std::string type;  // "ptr", "u32", "i32", "f32", "u64", "i64", "f64"
  std::string name;
  uint32_t size = 0, align = 0;
  bool pointer = false;
};

struct SimKernelDecl {
  std::string name;         // "saxpy"
  std::string host_symbol;  // "rg_sim_kernel_saxpy"
  std::vector<SimKernelArg> args;
  uint32_t lds = 0;         // static group memory bytes
  uint32_t private_bytes = 0;  // private (scratch) bytes per work-item (`; private N`)
  uint32_t explicit_size = 0;  // bytes of the explicit arguments, C-struct layout
  std::vector<uint32_t> offsets;  // of each argument
};

// Parses one RG_SIM_KERNEL descriptor string: "saxpy(ptr x; ptr y; f32 a; u32 n; lds 1024)".
core::Result<SimKernelDecl> parse_sim_kernel_decl(std::string_view desc);
// Reads every descriptor from the .rawgpu_sim section of a host shared object and checks that
// its function is exported.
core::Result<std::vector<SimKernelDecl>> read_sim_kernels(std::span<const uint8_t> host_so);

// Packs a host shared object into an AMDHSA code object (v5, ET_DYN, EM_AMDGPU) for `gfx_target`
// ("gfx1100", "gfx942", …): kernel descriptors, metadata note, and a .text that carries the
// host object (kfd/hsaco.h, SimBlobHeader / SimEntryStub).
core::Result<std::vector<uint8_t>> pack_amd_sim_code_object(std::span<const uint8_t> host_so,
                                                           std::string_view gfx_target);

// Packs a host shared object into a simulator cubin for `sm` ("sm_86", "sm_90"; the SMs of
// nv_ioctl/cubin.h kSmFacts) in nvcc 13.0's layout, so nv::parse_cubin loads it like a real one
// (and flags it simulated): ET_EXEC, EM_CUDA, the SM in e_flags; per kernel a .text.<kernel>
// holding a SimNvEntryStub, .nv.info.<kernel> (EIATTR_KPARAM_INFO at the C-struct offsets of the
// RG_SIM_KERNEL arguments, EIATTR_CBANK_PARAM_SIZE, EIATTR_PARAM_CBANK at the SM's parameter
// offset, EIATTR_MAXREG_COUNT, EIATTR_NUM_BARRIERS when it declares lds), .nv.constant0.<kernel>
// (parameter offset + size bytes), .nv.shared.<kernel> when it declares lds (on sm_90 including
// the 1 KiB reserve, as nvcc does), and .rel[a].text.<kernel> with the R_CUDA_64 that points the
// stub at the host object; .nv.info holds EIATTR_REGCOUNT / _FRAME_SIZE / _MIN_STACK_SIZE.
core::Result<std::vector<uint8_t>> pack_nv_sim_code_object(std::span<const uint8_t> host_so,
                                                           std::string_view sm);

// Packs a host shared object into an Adreno simulator code object for `chip` ("a630", "a660"; the
// a6xx chips of qcom_kgsl/a6xx.h): per RG_SIM_KERNEL one library in the Qualcomm compiler's
// layout (qcom_kgsl/loader.h: register descriptor, image descriptor with the kernel name, private
// and local sizes and one type-0 argument record per argument at its C-struct offset / 4), whose
// image is a SimQcomEntryStub + SimQcomBlobHeader + the host object; libraries 256-byte aligned
// and chained by the stub's next_library. qcom::parse_qcom_program loads it and flags it
// simulated.
core::Result<std::vector<uint8_t>> pack_qcom_sim_code_object(std::span<const uint8_t> host_so,
                                                             std::string_view chip);

}  // namespace rawgpu::sim

// rawgpu — NVIDIA RM class ids: the one list, shared by the RM ABI (nv_ioctl/abi.h), the
// method/QMD descriptions (nv_ioctl/packets.h), the backend and the simulator.
#pragma once

#include <cstdint>

namespace rawgpu::nv {
// =============================================================================================
// 3. RM allocation classes (src/common/sdk/nvidia/inc/class/cl*.h @ 580; fact sheet §3.7,
// nvidia-hopper.md §3).

inline constexpr uint32_t NV01_ROOT = 0x0;
inline constexpr uint32_t NV01_ROOT_CLIENT = 0x41;  // what RM rewrites every root class to
inline constexpr uint32_t NV01_DEVICE_0 = 0x80;
inline constexpr uint32_t NV20_SUBDEVICE_0 = 0x2080;
inline constexpr uint32_t NV01_MEMORY_SYSTEM = 0x3E;      // a.k.a. NV1_MEMORY_SYSTEM
inline constexpr uint32_t NV01_MEMORY_LOCAL_USER = 0x40;  // a.k.a. NV1_MEMORY_USER (vidmem)
inline constexpr uint32_t NV01_MEMORY_VIRTUAL = 0x70;
inline constexpr uint32_t NV01_MEMORY_SYSTEM_OS_DESCRIPTOR = 0x71;
inline constexpr uint32_t NV01_EVENT_OS_EVENT = 0x79;
inline constexpr uint32_t NV50_MEMORY_VIRTUAL = 0x50A0;
inline constexpr uint32_t GT200_DEBUGGER = 0x83DE;
inline constexpr uint32_t FERMI_CONTEXT_SHARE_A = 0x9067;
inline constexpr uint32_t FERMI_VASPACE_A = 0x90F1;
inline constexpr uint32_t KEPLER_CHANNEL_GROUP_A = 0xA06C;
inline constexpr uint32_t MAXWELL_PROFILER_DEVICE = 0xB2CC;
// usermode (doorbell page)
inline constexpr uint32_t VOLTA_USERMODE_A = 0xC361;
inline constexpr uint32_t TURING_USERMODE_A = 0xC461;
inline constexpr uint32_t AMPERE_USERMODE_A = 0xC561;
inline constexpr uint32_t HOPPER_USERMODE_A = 0xC661;
inline constexpr uint32_t BLACKWELL_USERMODE_A = 0xC761;
// GPFIFO channels
inline constexpr uint32_t VOLTA_CHANNEL_GPFIFO_A = 0xC36F;
inline constexpr uint32_t TURING_CHANNEL_GPFIFO_A = 0xC46F;
inline constexpr uint32_t AMPERE_CHANNEL_GPFIFO_A = 0xC56F;
inline constexpr uint32_t HOPPER_CHANNEL_GPFIFO_A = 0xC86F;
inline constexpr uint32_t BLACKWELL_CHANNEL_GPFIFO_A = 0xC96F;
inline constexpr uint32_t BLACKWELL_CHANNEL_GPFIFO_B = 0xCA6F;
// compute
inline constexpr uint32_t TURING_COMPUTE_A = 0xC5C0;
inline constexpr uint32_t AMPERE_COMPUTE_A = 0xC6C0;
inline constexpr uint32_t AMPERE_COMPUTE_B = 0xC7C0;
inline constexpr uint32_t ADA_COMPUTE_A = 0xC9C0;
inline constexpr uint32_t HOPPER_COMPUTE_A = 0xCBC0;
inline constexpr uint32_t BLACKWELL_COMPUTE_A = 0xCDC0;
inline constexpr uint32_t BLACKWELL_COMPUTE_B = 0xCEC0;
// copy engines
inline constexpr uint32_t TURING_DMA_COPY_A = 0xC5B5;
inline constexpr uint32_t AMPERE_DMA_COPY_A = 0xC6B5;
inline constexpr uint32_t AMPERE_DMA_COPY_B = 0xC7B5;
inline constexpr uint32_t HOPPER_DMA_COPY_A = 0xC8B5;
inline constexpr uint32_t BLACKWELL_DMA_COPY_A = 0xC9B5;
inline constexpr uint32_t BLACKWELL_DMA_COPY_B = 0xCAB5;

}  // namespace rawgpu::nv

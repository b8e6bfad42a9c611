#include "sim/nv/profile.h"

#include "nv_ioctl/classes.h"

namespace rawgpu::sim::nv {
namespace {

using namespace rawgpu::nv;  // class ids

// GH100 class list: what RM reports on Hopper (fact sheet §3.7, nvidia-hopper.md §3: CBC0 is the
// only compute class; C86F and C56F channels; C8B5 copy; C661 and older usermode classes).
constexpr uint32_t kGh100Classes[] = {
    NV01_ROOT_CLIENT, NV01_DEVICE_0, NV20_SUBDEVICE_0, NV01_MEMORY_SYSTEM, NV01_MEMORY_LOCAL_USER,
    NV01_MEMORY_VIRTUAL, NV01_MEMORY_SYSTEM_OS_DESCRIPTOR, NV01_EVENT_OS_EVENT, NV50_MEMORY_VIRTUAL,
    GT200_DEBUGGER, FERMI_CONTEXT_SHARE_A, FERMI_VASPACE_A, KEPLER_CHANNEL_GROUP_A,
    VOLTA_USERMODE_A, TURING_USERMODE_A, AMPERE_USERMODE_A, HOPPER_USERMODE_A,
    AMPERE_CHANNEL_GPFIFO_A, HOPPER_CHANNEL_GPFIFO_A, HOPPER_COMPUTE_A, HOPPER_DMA_COPY_A};

// GA102 (Ampere GA10x): C56F channels, C7C0 compute (the only one: GA100's C6C0 is not on GA10x),
// C7B5 copy, C561 usermode (§3.7 row GA10x; nv_ioctl/abi.h kNvArchClasses).
constexpr uint32_t kGa102Classes[] = {
    NV01_ROOT_CLIENT, NV01_DEVICE_0, NV20_SUBDEVICE_0, NV01_MEMORY_SYSTEM, NV01_MEMORY_LOCAL_USER,
    NV01_MEMORY_VIRTUAL, NV01_MEMORY_SYSTEM_OS_DESCRIPTOR, NV01_EVENT_OS_EVENT, NV50_MEMORY_VIRTUAL,
    GT200_DEBUGGER, FERMI_CONTEXT_SHARE_A, FERMI_VASPACE_A, KEPLER_CHANNEL_GROUP_A,
    VOLTA_USERMODE_A, TURING_USERMODE_A, AMPERE_USERMODE_A, AMPERE_CHANNEL_GPFIFO_A,
    AMPERE_COMPUTE_B, AMPERE_DMA_COPY_B};

// H200 SXM: 132 SMs enabled of the GH100 die's 8 GPCs x 9 TPCs x 2 SMs; 64 warps per SM;
// 228 KiB shared carveout, 227 KiB per block (CUDA C++ Programming Guide, compute capability
// 9.0); 141 GB HBM3e. RTX 3090 (GA102): 82 SMs of 7 x 6 x 2, 48 warps per SM, 99 KiB per block
// (compute capability 8.6), 24 GiB.
constexpr Profile kProfiles[] = {
    {.name = "GH100",
     .marketing_name = "NVIDIA H200",
     .arch = "sm_90",
     .sm = 90,
     .sm_version = 0x900,
     .pci_device = 0x2335,
     .usermode_class = HOPPER_USERMODE_A,
     .gpfifo_class = HOPPER_CHANNEL_GPFIFO_A,
     .compute_class = HOPPER_COMPUTE_A,
     .copy_class = HOPPER_DMA_COPY_A,
     .classes = kGh100Classes,
     .qmd = QmdVersion::V04_00,
     .num_gpcs = 8,
     .tpc_per_gpc = 9,
     .sm_per_tpc = 2,
     .max_warps_per_sm = 64,
     .sm_count = 132,
     .vram_bytes = 143771ull << 20,
     .max_shared_per_block = 227 * 1024},
    {.name = "GA102",
     .marketing_name = "NVIDIA GeForce RTX 3090",
     .arch = "sm_86",
     .sm = 86,
     .sm_version = 0x806,
     .pci_device = 0x2204,
     .usermode_class = AMPERE_USERMODE_A,
     .gpfifo_class = AMPERE_CHANNEL_GPFIFO_A,
     .compute_class = AMPERE_COMPUTE_B,
     .copy_class = AMPERE_DMA_COPY_B,
     .classes = kGa102Classes,
     .qmd = QmdVersion::V03_00,
     .num_gpcs = 7,
     .tpc_per_gpc = 6,
     .sm_per_tpc = 2,
     .max_warps_per_sm = 48,
     .sm_count = 82,
     .vram_bytes = 24ull << 30,
     .max_shared_per_block = 99 * 1024},
};

}  // namespace

std::span<const Profile> profiles() { return kProfiles; }

const Profile* find_profile(std::string_view name) {
  for (const Profile& p : kProfiles)
    if (p.name == name) return &p;
  return nullptr;
}

std::string profile_names() {
  std::string s;
  for (const Profile& p : kProfiles) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

}  // namespace rawgpu::sim::nv

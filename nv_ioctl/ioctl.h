// rawgpu — typed NVIDIA ioctls over core::Sys, built from the rows of nv_ioctl/describe.h.
//
// Three layers:
//   call_into<NvIoctl::X>(sys, fd, args&) -> Status       (args filled in place, also on failure)
//   call<NvIoctl::X>(sys, fd, args)       -> Result<Args>
//       The argument type is the row's, so an escape's request is always _IOWR('F', nr,
//       sizeof(Args)) and a UVM request is its bare number; a struct of the wrong type does not
//       compile. After the ioctl returns 0, the row's in-band status (NVOSxx.status,
//       UVM rmStatus, os-event Status) is checked: anything but NV_OK is an error.
//   one convenience function per escape / UVM ioctl / RM call a runtime needs, with named
//       parameters (below).
//
// Errors (STYLE rule 10), built where the failure is seen:
//   - ioctl() failed: Error::sys(op, errno, hint) with the row's errno hint, e.g.
//     "NV_ESC_REGISTER_FD: EINVAL (Invalid argument): ctl_fd must be an open /dev/nvidiactl …";
//     when the struct also carries a non-zero status, it is kept beside the errno.
//   - ioctl() returned 0 but RM/UVM failed in-band: Error::driver(op, status, name, hint), e.g.
//     "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO: driver status NV_ERR_INVALID_ARGUMENT
//     (0x1f): an argument is wrong; …".
//   op is the row name, plus the command or class name for RM control/alloc
//   ("NV_ESC_RM_ALLOC FERMI_VASPACE_A"; an unknown id as hex).
//   - a params size that matches no layout of a known command/class: Error::invalid before any
//     ioctl is issued.
// At RAWGPU_DEBUG=4 every call is logged decoded (RM control/alloc with their params); nothing
// allocates unless logging is on or the call fails.
//
// Driver branches: the layouts that differ between 570, 575, 580, 590 and 610 (fact sheet
// shared/abi/nvidia.md §7.2) are chosen by NvAbi, decided once at open by detect_abi() /
// select_abi(); a branch rawgpu has no facts for is refused with an error naming it.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "core/ioctl_desc.h"
#include "core/sys.h"
#include "nv_ioctl/abi.h"
#include "nv_ioctl/describe.h"
#include "nv_ioctl/status.h"

namespace rawgpu::nv {

// ---------------------------------------------------------------------------------------------
// Device nodes (fact sheet §1.1).

inline constexpr const char* kNvidiactlPath = "/dev/nvidiactl";
inline constexpr const char* kNvidiaUvmPath = "/dev/nvidia-uvm";
// kernel-open/nvidia/nv-procfs.c; its first line names the version.
inline constexpr const char* kProcDriverVersionPath = "/proc/driver/nvidia/version";
// "/dev/nvidia<minor>" (nv_ioctl_card_info_t.minor_number).
std::string gpu_node_path(uint32_t minor);

// ---------------------------------------------------------------------------------------------
// Driver version and ABI selection (fact sheet §7).

struct DriverVersion {
  uint32_t major = 0;  // the branch: 570, 580, 610
  uint32_t minor = 0;
  uint32_t patch = 0;
  std::string text;  // as the driver spells it: "580.65.06"
};

// The first "MAJOR.MINOR[.PATCH]" token of `text`: a bare version string
// (NV_ESC_CHECK_VERSION_STR, NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2), or the
// "NVRM version: NVIDIA UNIX … Kernel Module  580.65.06  …" line of /proc/driver/nvidia/version.
// kInvalidInput naming `what` when there is none.
core::Result<DriverVersion> parse_driver_version(std::string_view text,
                                                 std::string_view what = "driver version");

// Driver branches rawgpu has layout facts for (§7.2; 575/590/595 differ from their neighbours
// only in the rows they supersede). Anything else is refused.
inline constexpr uint32_t kKnownBranches[] = {570, 575, 580, 590, 595, 610};

// The layouts to use with one driver. Each flag names the versioned type it selects.
struct NvAbi {
  DriverVersion version;
  uint32_t branch = 0;                       // version.major: find_versioned()'s argument
  bool gpfifo_schedule_v575 = false;         // NVA06C/NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575
  bool classlist_v2_v580 = false;            // NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580
  bool map_memory_dma_v580 = false;          // NVOS46_PARAMETERS_V580
  bool vaspace_v580 = false;                 // NV_VASPACE_ALLOCATION_PARAMETERS_V580
  bool uvm_free_v590 = false;                // UVM_FREE_PARAMS_V590
  bool uvm_unregister_channel_v590 = false;  // UVM_UNREGISTER_CHANNEL_PARAMS_V590
  bool channel_alloc_v610 = false;           // NV_CHANNEL_ALLOC_PARAMS_V610
  bool escape_sizes_checked = false;         // 595+: nvidia.ko checks every escape's size first
};

// The ABI of driver `v`, or kUnsupported naming the version when its branch is not in
// kKnownBranches, or when it is a 570 release older than 570.86.15 (360-byte
// NV_CHANNEL_ALLOC_PARAMS without tpcConfigID, a layout rawgpu does not describe).
core::Result<NvAbi> select_abi(const DriverVersion& v);

// ---------------------------------------------------------------------------------------------
// The typed layer.

// The error for `err` (positive errno) from the ioctl of row `id`, with the row's hint; `sub`
// names the RM command/class ("" for none).
core::Error ioctl_error(NvIoctl id, int err, std::string_view sub = {}, uint32_t sub_id = 0);

namespace detail {
// kControl/kAlloc: an NVOS54/NVOS21 call whose command/class is named and whose params are
// decoded; kClassName: only the class is named (NV_ESC_RM_ALLOC_MEMORY).
enum class SubKind : uint8_t { kNone, kControl, kAlloc, kClassName };
struct Call {
  NvIoctl id{};
  unsigned long request = 0;
  void* arg = nullptr;
  uint32_t size = 0;                  // bytes of *arg
  const uint32_t* status = nullptr;   // the in-band NV_STATUS inside *arg, if the row has one
  SubKind sub_kind = SubKind::kNone;  // RM control/alloc: name the command/class, decode params
  uint32_t sub_id = 0;
  const void* params = nullptr;
  uint32_t params_size = 0;
};
// Issues one ioctl through `sys`, logging it when core::log_ioctls(), and turns errno and
// in-band failures into errors.
core::Status issue(core::Sys& sys, int fd, const Call& call);
}  // namespace detail

template <NvIoctl Id>
using ArgsOf = typename NvIoctlRow<Id>::Args;

// Issues row `Id` with `args`, which the driver's outputs overwrite in place.
template <NvIoctl Id>
core::Status call_into(core::Sys& sys, int fd, ArgsOf<Id>& args) {
  using Row = NvIoctlRow<Id>;
  using Args = typename Row::Args;
  static_assert(std::is_trivially_copyable_v<Args> && std::is_standard_layout_v<Args>);
  detail::Call c;
  c.id = Id;
  c.request = Row::request;
  c.arg = args_size<Args> == 0 ? nullptr : static_cast<void*>(&args);
  c.size = args_size<Args>;
  c.status = Row::status(args);
  return detail::issue(sys, fd, c);
}

// Issues row `Id` with a copy of `args` and returns the struct as the driver left it.
//   Result<UVM_INITIALIZE_PARAMS> r = nv::call<NvIoctl::UVM_INITIALIZE>(sys, uvm_fd, {});
template <NvIoctl Id>
core::Result<ArgsOf<Id>> call(core::Sys& sys, int fd, ArgsOf<Id> args) {
  core::Status s = call_into<Id>(sys, fd, args);
  if (!s.ok()) return std::move(s).error();
  return args;
}

// ---------------------------------------------------------------------------------------------
// nvidia.ko escapes. `ctl_fd` is the process's /dev/nvidiactl fd; `gpu_fd` a /dev/nvidia<minor>
// fd registered with register_fd().

// NV_ESC_CARD_INFO with `max_entries` slots (tinygrad: 64). Returns the valid entries in slot
// order; the index among them is the device ordinal.
core::Result<std::vector<nv_ioctl_card_info_t>> card_info(core::Sys& sys, int ctl_fd,
                                                          uint32_t max_entries = 64);

// NV_ESC_REGISTER_FD on `gpu_fd`, naming `ctl_fd`: ioctls on gpu_fd then act with the control
// fd's clients. Required before NV_ESC_RM_ALLOC_MEMORY on it and (as tinygrad does) on every
// mapping fd of a GPU node.
core::Status register_fd(core::Sys& sys, int gpu_fd, int ctl_fd);

// NV_ESC_CHECK_VERSION_STR with `cmd` (NV_RM_API_VERSION_CMD_STRICT/RELAXED compare `version`
// with the kernel's; QUERY ignores it). Returns the struct as the kernel left it: reply, and for
// QUERY the kernel's version string. A mismatch is EINVAL, reported with the kernel's version.
core::Result<nv_ioctl_rm_api_version_t> check_version_str(core::Sys& sys, int ctl_fd, uint32_t cmd,
                                                          std::string_view version = {});

// The kernel module's version, by NV_ESC_CHECK_VERSION_STR QUERY (fact sheet §7.1; works before
// any RM client exists).
core::Result<DriverVersion> query_driver_version(core::Sys& sys, int ctl_fd);
// The version from /proc/driver/nvidia/version (through sys.read_file).
core::Result<DriverVersion> read_driver_version(core::Sys& sys);
// Detection at open: query_driver_version(), falling back to /proc/driver/nvidia/version when
// the escape fails, then select_abi(). Errors name both sources when both fail.
core::Result<NvAbi> detect_abi(core::Sys& sys, int ctl_fd);

// NV_ESC_ATTACH_GPUS_TO_FD with the gpu ids of NV_ESC_CARD_INFO (once per fd; CUDA does this,
// tinygrad does not).
core::Status attach_gpus_to_fd(core::Sys& sys, int ctl_fd, std::span<const uint32_t> gpu_ids);

// NV_ESC_ALLOC_OS_EVENT / NV_ESC_FREE_OS_EVENT: bind `event_fd` to (hClient, hDevice) so
// NV01_EVENT_OS_EVENT objects can signal it.
core::Status alloc_os_event(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hDevice,
                            int event_fd);
core::Status free_os_event(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hDevice,
                           int event_fd);

// ---------------------------------------------------------------------------------------------
// RM objects.

// A params struct passed by pointer + size (RM control/alloc). rm_params(p) makes one from any
// params struct of abi.h; {} means none (NULL, 0).
struct RmParams {
  void* ptr = nullptr;
  uint32_t size = 0;
};
template <typename T>
RmParams rm_params(T& p) {
  static_assert(std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>);
  return RmParams{&p, static_cast<uint32_t>(sizeof(T))};
}

// NV_ESC_RM_ALLOC (NVOS21) of class `hClass` under `hParent` in client `hRoot`. hObject 0 lets RM
// choose the handle; the client itself is hRoot = hParent = 0, hClass NV01_ROOT_CLIENT. Returns
// the new handle. For a class of rm_classes(), non-null params must have the size of one of its
// layouts (RM copies its own size, so a layout of another branch would be misread silently;
// choose the type by NvAbi).
core::Result<uint32_t> rm_alloc(core::Sys& sys, int ctl_fd, uint32_t hRoot, uint32_t hParent,
                                uint32_t hObject, uint32_t hClass, RmParams params = {});

// NV_ESC_RM_CONTROL `cmd` on `hObject`. For a command of rm_controls(), params.size must equal
// one of its layouts (RM requires the exact size). Params are filled in place.
core::Status rm_control(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hObject,
                        uint32_t cmd, RmParams params = {});

// NV_ESC_RM_FREE. Freeing the client frees everything under it.
core::Status rm_free(core::Sys& sys, int ctl_fd, uint32_t hRoot, uint32_t hParent,
                     uint32_t hObject);

// NV_ESC_RM_ALLOC_MEMORY (NVOS02 with fd) on a registered GPU fd: host memory as
// NV01_MEMORY_SYSTEM_OS_DESCRIPTOR with a caller-chosen handle (fact sheet §3.4). Returns the
// handle.
struct AllocMemoryArgs {
  uint32_t hRoot = 0;
  uint32_t hParent = 0;  // the device
  uint32_t hObject = 0;  // caller-chosen for OS descriptors
  uint32_t hClass = NV01_MEMORY_SYSTEM_OS_DESCRIPTOR;
  uint32_t flags = 0;    // NVOS02_FLAGS_*
  uint64_t pMemory = 0;  // host VA
  uint64_t limit = 0;    // size - 1
  int32_t fd = -1;       // mmap-context fd, for NV01_MEMORY_SYSTEM without NO_MAP only
};
core::Result<uint32_t> rm_alloc_memory(core::Sys& sys, int gpu_fd, const AllocMemoryArgs& a);

// NV_ESC_RM_MAP_MEMORY on ctl_fd: creates the mmap context of (hMemory, offset, length) on
// `map_fd`, which must be a fresh fd (one context per fd). Returns pLinearAddress, the kernel's
// cookie for rm_unmap_memory().
struct MapMemoryArgs {
  uint32_t hClient = 0;
  uint32_t hDevice = 0;  // device (tinygrad) or subdevice
  uint32_t hMemory = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t flags = 0;  // NVOS33_FLAGS_*
};
core::Result<uint64_t> rm_map_memory(core::Sys& sys, int ctl_fd, const MapMemoryArgs& m,
                                     int map_fd);
// NV_ESC_RM_UNMAP_MEMORY (NVOS34).
core::Status rm_unmap_memory(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hDevice,
                             uint32_t hMemory, uint64_t linear_address, uint32_t flags = 0);

// The CPU-mapping "dance" of fact sheet §1.6/§3.5, in one call:
//   1. open `node` (O_RDWR|O_CLOEXEC): a /dev/nvidia<minor> for video memory and USERMODE, a
//      /dev/nvidiactl for NV01_MEMORY_SYSTEM;
//   2. if register_node_fd: NV_ESC_REGISTER_FD{ctl_fd} on it (tinygrad does, for GPU nodes);
//   3. NV_ESC_RM_MAP_MEMORY on ctl_fd with that fd in the wrapper;
//   4. mmap(addr, length, prot, MAP_SHARED[|MAP_FIXED], fd, 0): the offset must be 0 and, on GPU
//      nodes, the length the mapped length;
//   5. close the fd (the mapping survives).
// On failure everything done so far is undone (the fd closed; after step 3, the RM mapping
// released with NV_ESC_RM_UNMAP_MEMORY) and the error names the failing step.
struct CpuMapRequest {
  std::string node;              // gpu_node_path(minor) or kNvidiactlPath
  bool register_node_fd = true;  // step 2
  MapMemoryArgs map;             // step 3
  void* addr = nullptr;          // step 4: hint, or the exact address with fixed
  bool fixed = false;
  int prot = PROT_READ | PROT_WRITE;
};
struct CpuMapping {
  void* addr = nullptr;
  uint64_t length = 0;
  uint64_t linear_address = 0;  // NVOS33.pLinearAddress
};
core::Result<CpuMapping> rm_map_to_cpu(core::Sys& sys, int ctl_fd, const CpuMapRequest& r);

// NV_ESC_RM_MAP_MEMORY_DMA: maps hMemory into the VA space / context DMA hDma, with the NVOS46
// layout of the driver (56 bytes before 580, 64 from 580). Returns dmaOffset (the GPU VA).
struct MapMemoryDmaArgs {
  uint32_t hClient = 0;
  uint32_t hDevice = 0;
  uint32_t hDma = 0;
  uint32_t hMemory = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t flags = 0;         // NVOS46_FLAGS_*
  uint32_t flags2 = 0;        // 580+ only; must be 0 on older drivers
  uint32_t kindOverride = 0;  // 580+ only; must be 0 on older drivers
  uint64_t dmaOffset = 0;     // IN with NVOS46_FLAGS_DMA_OFFSET_FIXED_TRUE
};
core::Result<uint64_t> rm_map_memory_dma(core::Sys& sys, int ctl_fd, const NvAbi& abi,
                                         const MapMemoryDmaArgs& m);
// NV_ESC_RM_UNMAP_MEMORY_DMA (NVOS47); size 0 unmaps the whole mapping.
core::Status rm_unmap_memory_dma(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hDevice,
                                 uint32_t hDma, uint32_t hMemory, uint64_t dmaOffset,
                                 uint64_t size = 0, uint32_t flags = 0);

// NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2 on the client: the version tinygrad reads
// (fact sheet §3.1 step 3).
core::Result<DriverVersion> get_build_version(core::Sys& sys, int ctl_fd, uint32_t hClient);

// ---------------------------------------------------------------------------------------------
// nvidia-uvm.ko. `uvm_fd` is the process's /dev/nvidia-uvm fd. Every call checks rmStatus.

// UVM_INITIALIZE: first on every UVM fd.
core::Status uvm_initialize(core::Sys& sys, int uvm_fd, uint64_t flags = 0);
// UVM_DEINITIALIZE.
core::Status uvm_deinitialize(core::Sys& sys, int uvm_fd);
// UVM_MM_INITIALIZE on a second UVM fd naming the first. NV_WARN_NOTHING_TO_DO counts as
// success; tinygrad ignores every failure here (callers may too).
core::Status uvm_mm_initialize(core::Sys& sys, int uvm_fd2, int uvm_fd);
// UVM_REGISTER_GPU. rm_ctrl_fd -1 and zero handles except for MIG partitions. Returns the
// struct (numaEnabled, numaNodeId).
core::Result<UVM_REGISTER_GPU_PARAMS> uvm_register_gpu(core::Sys& sys, int uvm_fd,
                                                       const NvProcessorUuid& uuid,
                                                       int rm_ctrl_fd = -1, uint32_t hClient = 0,
                                                       uint32_t hSmcPartRef = 0);
core::Status uvm_unregister_gpu(core::Sys& sys, int uvm_fd, const NvProcessorUuid& uuid);
// UVM_REGISTER_GPU_VASPACE: hVaSpace is a FERMI_VASPACE_A made with IS_EXTERNALLY_OWNED; UVM then
// owns its page tables (one per GPU).
core::Status uvm_register_gpu_vaspace(core::Sys& sys, int uvm_fd, const NvProcessorUuid& uuid,
                                      int rm_ctrl_fd, uint32_t hClient, uint32_t hVaSpace);
core::Status uvm_unregister_gpu_vaspace(core::Sys& sys, int uvm_fd, const NvProcessorUuid& uuid);
// UVM_REGISTER_CHANNEL: [base, base+length) is a VA range UVM may use for the channel's context
// buffers (tinygrad: 64 MiB).
core::Status uvm_register_channel(core::Sys& sys, int uvm_fd, const NvProcessorUuid& uuid,
                                  int rm_ctrl_fd, uint32_t hClient, uint32_t hChannel,
                                  uint64_t base, uint64_t length);
// UVM_UNREGISTER_CHANNEL with the driver's layout (gpuUuid dropped from 590).
core::Status uvm_unregister_channel(core::Sys& sys, int uvm_fd, const NvAbi& abi,
                                    const NvProcessorUuid& uuid, uint32_t hClient,
                                    uint32_t hChannel);
core::Status uvm_enable_peer_access(core::Sys& sys, int uvm_fd, const NvProcessorUuid& a,
                                    const NvProcessorUuid& b);
core::Status uvm_disable_peer_access(core::Sys& sys, int uvm_fd, const NvProcessorUuid& a,
                                     const NvProcessorUuid& b);
// UVM_CREATE_EXTERNAL_RANGE: 4 KiB-aligned base and length, no overlap with another range; no CPU
// mapping is made.
core::Status uvm_create_external_range(core::Sys& sys, int uvm_fd, uint64_t base, uint64_t length);
// UVM_MAP_EXTERNAL_ALLOCATION: maps RM memory hMemory at [base, base+length) on each GPU of
// `gpus` (at most UVM_MAX_GPUS_V2).
struct MapExternalArgs {
  uint64_t base = 0;
  uint64_t length = 0;
  uint64_t offset = 0;
  std::span<const UvmGpuMappingAttributes> gpus;
  int rm_ctrl_fd = -1;
  uint32_t hClient = 0;
  uint32_t hMemory = 0;
};
core::Status uvm_map_external_allocation(core::Sys& sys, int uvm_fd, const MapExternalArgs& m);
core::Status uvm_unmap_external(core::Sys& sys, int uvm_fd, uint64_t base, uint64_t length,
                                const NvProcessorUuid& uuid);
// UVM_FREE with the driver's layout (length dropped from 590; pass it anyway).
core::Status uvm_free(core::Sys& sys, int uvm_fd, const NvAbi& abi, uint64_t base, uint64_t length);

}  // namespace rawgpu::nv

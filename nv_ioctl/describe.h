// rawgpu — THE tables of the NVIDIA open kernel module (STYLE rules 1, 2, 12, 13):
//
//   nv_ioctls()    every ioctl rawgpu issues or decodes: the nvidia.ko escapes (_IOWR('F', nr,
//                  sizeof(args)) on /dev/nvidiactl and /dev/nvidia<minor>) and the nvidia-uvm.ko
//                  ioctls (a bare number, no size: IoctlEncoding::kRaw rows holding the size
//                  the kernel copies). One row per layout: RAWGPU_NV_IOCTLS below.
//   rm_controls()  the RM control commands (NV_ESC_RM_CONTROL's NVOS54.cmd): one row per command
//                  and params layout. RAWGPU_NV_RM_CONTROLS below.
//   rm_classes()   the RM allocation classes (NV_ESC_RM_ALLOC's hClass) and their allocation
//                  params. RAWGPU_NV_RM_CLASSES below.
//
// All three are core::IoctlTable, so core's printer (format_args/append_fields), lookup and
// self-check read them unchanged. In the two sub-command tables a row is a command or class, not
// an ioctl: `nr` holds the command/class id, `size` the params size (0 = no params), `encoding`
// is kRaw and `magic`/`dir` carry no meaning; `args_type` names the params struct.
//
// Driver branches (STYLE rule 4; fact sheet shared/abi/nvidia.md §7.2): a layout that changed
// gets a second row with the same name after the old one; `since` is the first driver branch
// (major version: 575, 580, 590, 610) that uses the new row, 0 for "every supported branch".
// The row for branch B is the last row of that id whose since <= B (find_versioned()).
// core::table_problems() would call two kRaw rows with one number a duplicate, so use
// nv_table_problems() on these tables: the same checks, with versioned rows allowed.
//
// How to add a row:
//   1. abi.h: the struct, headed "Mirrors <upstream file> <NAME> @ <branch>", with static_asserts
//      on its size and every offset; a changed layout is a new type with the suffix of the first
//      branch that has it (…_V580); the old type stays.
//   2. Here: one X(...) line in the right list, in number order; a versioned row goes right after
//      the row it supersedes and sets `.since = <branch>`. Never delete a row; mark it
//      `.deprecated = true`.
//   3. describe.cpp: the field list, member by member with the driver's names and directions
//      (IN = kIn, OUT = kOut), enum/flag names, and errno hints a user can act on.
//   4. tests/nv/ioctl_test.cpp: the row's request number/size (or id/size) in the expected lists,
//      checked against the fact sheet.
// Designated initializers follow core::IoctlDesc's member order:
//   fields, deprecated, since, elem_size, encoding, hints, printer, note, buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/ioctl_desc.h"
#include "nv_ioctl/abi.h"

namespace rawgpu::nv {

// One element of the NV_ESC_ATTACH_GPUS_TO_FD array (the kernel takes NvU32 gpu_id[N]; the name
// of this one-member struct is rawgpu's).
struct nv_ioctl_gpu_id_t {
  uint32_t gpu_id;
};
static_assert(sizeof(nv_ioctl_gpu_id_t) == 4 && offsetof(nv_ioctl_gpu_id_t, gpu_id) == 0);

// Bytes an argument/params type occupies (0 for "none").
template <typename T>
inline constexpr uint32_t args_size = sizeof(T);
template <>
inline constexpr uint32_t args_size<nv_no_args> = 0;

// ---------------------------------------------------------------------------------------------
// The ioctls. X(id, kind, number, args, status, ...IoctlDesc designated initializers from .fields)
//   kind    ESC (nvidia.ko escape, _IOWR('F', nr, size)) or UVM (nvidia-uvm.ko, bare number)
//   number  the driver's constant (abi.h); the row's name is its spelling
//   status  where the in-band result lives: status, Status, rmStatus, params_status
//           (wrapper.params.status) or none
// clang-format off
#define RAWGPU_NV_IOCTLS(X)                                                                        \
  X(RM_ALLOC_MEMORY, ESC, NV_ESC_RM_ALLOC_MEMORY, nv_ioctl_nvos02_parameters_with_fd,              \
    params_status, .fields = kNvos02WithFdFields, .hints = kRmAllocMemoryHints,                    \
    .note = "on /dev/nvidia<minor> registered with NV_ESC_REGISTER_FD, not on nvidiactl")          \
  X(RM_FREE, ESC, NV_ESC_RM_FREE, NVOS00_PARAMETERS, status, .fields = kNvos00Fields)              \
  X(RM_CONTROL, ESC, NV_ESC_RM_CONTROL, NVOS54_PARAMETERS, status, .fields = kNvos54Fields,        \
    .note = "params -> the command's params struct (rm_controls())",                              \
    .buffers = kRmControlBuffers)                                                                 \
  X(RM_ALLOC, ESC, NV_ESC_RM_ALLOC, NVOS21_PARAMETERS, status, .fields = kNvos21Fields,            \
    .note = "pAllocParms -> the class's params struct (rm_classes())",                            \
    .buffers = kRmAllocBuffers)                                                                   \
  X(RM_ALLOC_NVOS64, ESC, NV_ESC_RM_ALLOC, NVOS64_PARAMETERS, status, .fields = kNvos64Fields,     \
    .note = "48-byte form with pRightsRequested; the kernel tells it from NVOS21 by size",        \
    .buffers = kRmAllocNvos64Buffers)                                                             \
  X(RM_DUP_OBJECT, ESC, NV_ESC_RM_DUP_OBJECT, NVOS55_PARAMETERS, status, .fields = kNvos55Fields)  \
  X(RM_SHARE, ESC, NV_ESC_RM_SHARE, NVOS57_PARAMETERS, status, .fields = kNvos57Fields)            \
  X(RM_VID_HEAP_CONTROL, ESC, NV_ESC_RM_VID_HEAP_CONTROL, NVOS32_PARAMETERS, status,               \
    .fields = kNvos32Fields, .note = "data: NVOS32_ALLOC_SIZE for function ALLOC_SIZE (2)")        \
  X(RM_MAP_MEMORY, ESC, NV_ESC_RM_MAP_MEMORY, nv_ioctl_nvos33_parameters_with_fd, params_status,   \
    .fields = kNvos33WithFdFields,                                                                 \
    .note = "creates the mmap context on fd; then mmap(fd, offset 0); one context per fd")         \
  X(RM_UNMAP_MEMORY, ESC, NV_ESC_RM_UNMAP_MEMORY, NVOS34_PARAMETERS, status,                       \
    .fields = kNvos34Fields)                                                                       \
  X(RM_MAP_MEMORY_DMA, ESC, NV_ESC_RM_MAP_MEMORY_DMA, NVOS46_PARAMETERS, status,                   \
    .fields = kNvos46Fields, .hints = kMapMemoryDmaHints, .note = "56-byte layout of 570/575")     \
  X(RM_MAP_MEMORY_DMA_V580, ESC, NV_ESC_RM_MAP_MEMORY_DMA, NVOS46_PARAMETERS_V580, status,         \
    .fields = kNvos46V580Fields, .since = 580, .hints = kMapMemoryDmaHints,                        \
    .note = "64-byte layout from 580.65.06 (flags2, kindOverride)")                                \
  X(RM_UNMAP_MEMORY_DMA, ESC, NV_ESC_RM_UNMAP_MEMORY_DMA, NVOS47_PARAMETERS, status,               \
    .fields = kNvos47Fields)                                                                       \
  X(RM_UPDATE_DEVICE_MAPPING_INFO, ESC, NV_ESC_RM_UPDATE_DEVICE_MAPPING_INFO, NVOS56_PARAMETERS,   \
    status, .fields = kNvos56Fields)                                                               \
  X(CARD_INFO, ESC, NV_ESC_CARD_INFO, nv_ioctl_card_info_t, none, .fields = kCardInfoFields,       \
    .elem_size = sizeof(nv_ioctl_card_info_t), .hints = kCardInfoHints,                            \
    .printer = print_card_info, .note = "an array of N entries (tinygrad: 64); size = 72*N")       \
  X(REGISTER_FD, ESC, NV_ESC_REGISTER_FD, nv_ioctl_register_fd_t, none,                            \
    .fields = kRegisterFdFields, .hints = kRegisterFdHints,                                        \
    .note = "on a GPU fd, naming the nvidiactl fd; no status field (failure is -EINVAL)")          \
  X(ALLOC_OS_EVENT, ESC, NV_ESC_ALLOC_OS_EVENT, nv_ioctl_alloc_os_event_t, Status,                 \
    .fields = kAllocOsEventFields)                                                                 \
  X(FREE_OS_EVENT, ESC, NV_ESC_FREE_OS_EVENT, nv_ioctl_free_os_event_t, Status,                    \
    .fields = kFreeOsEventFields)                                                                  \
  X(STATUS_CODE, ESC, NV_ESC_STATUS_CODE, nv_ioctl_status_code_t, none,                            \
    .fields = kStatusCodeFields, .note = "status: the adapter's status, a result, not a failure")  \
  X(CHECK_VERSION_STR, ESC, NV_ESC_CHECK_VERSION_STR, nv_ioctl_rm_api_version_t, none,             \
    .fields = kRmApiVersionFields, .hints = kCheckVersionHints,                                    \
    .note = "QUERY copies the kernel's version string out; a mismatch is -EINVAL")                 \
  X(IOCTL_XFER_CMD, ESC, NV_ESC_IOCTL_XFER_CMD, nv_ioctl_xfer_t, none, .fields = kXferFields,      \
    .note = "carries an inner escape of up to 16384 bytes at ptr",                                \
    .buffers = kXferBuffers)                                                                      \
  X(ATTACH_GPUS_TO_FD, ESC, NV_ESC_ATTACH_GPUS_TO_FD, nv_ioctl_gpu_id_t, none,                     \
    .fields = kGpuIdFields, .elem_size = sizeof(nv_ioctl_gpu_id_t), .hints = kAttachGpusHints,     \
    .note = "NvU32 gpu_id[N]; once per fd; a zero entry is skipped")                               \
  X(QUERY_DEVICE_INTR, ESC, NV_ESC_QUERY_DEVICE_INTR, nv_ioctl_query_device_intr_t, none,          \
    .fields = kQueryDeviceIntrFields, .note = "GPU node only")                                     \
  X(SYS_PARAMS, ESC, NV_ESC_SYS_PARAMS, nv_ioctl_sys_params_t, none, .fields = kSysParamsFields,   \
    .hints = kSysParamsHints)                                                                      \
  X(NUMA_INFO, ESC, NV_ESC_NUMA_INFO, nv_ioctl_numa_info_t, none, .fields = kNumaInfoFields,       \
    .note = "GPU node only; NUMA-coherent platforms")                                              \
  X(SET_NUMA_STATUS, ESC, NV_ESC_SET_NUMA_STATUS, nv_ioctl_set_numa_status_t, none,                \
    .fields = kSetNumaStatusFields)                                                                \
  X(EXPORT_TO_DMABUF_FD, ESC, NV_ESC_EXPORT_TO_DMABUF_FD, nv_ioctl_export_to_dma_buf_fd_t, status, \
    .fields = kExportToDmabufFields, .note = "bAllowMmap was padding before 580")                  \
  X(WAIT_OPEN_COMPLETE, ESC, NV_ESC_WAIT_OPEN_COMPLETE, nv_ioctl_wait_open_complete_t, none,       \
    .fields = kWaitOpenCompleteFields)                                                             \
  X(UVM_REGISTER_GPU_VASPACE, UVM, UVM_REGISTER_GPU_VASPACE, UVM_REGISTER_GPU_VASPACE_PARAMS,      \
    rmStatus, .fields = kUvmRegisterGpuVaspaceFields, .hints = kUvmHints)                          \
  X(UVM_UNREGISTER_GPU_VASPACE, UVM, UVM_UNREGISTER_GPU_VASPACE,                                   \
    UVM_UNREGISTER_GPU_VASPACE_PARAMS, rmStatus, .fields = kUvmUnregisterGpuVaspaceFields,         \
    .hints = kUvmHints)                                                                            \
  X(UVM_REGISTER_CHANNEL, UVM, UVM_REGISTER_CHANNEL, UVM_REGISTER_CHANNEL_PARAMS, rmStatus,        \
    .fields = kUvmRegisterChannelFields, .hints = kUvmHints)                                       \
  X(UVM_UNREGISTER_CHANNEL, UVM, UVM_UNREGISTER_CHANNEL, UVM_UNREGISTER_CHANNEL_PARAMS, rmStatus,  \
    .fields = kUvmUnregisterChannelFields, .hints = kUvmHints, .note = "28-byte layout up to 580") \
  X(UVM_UNREGISTER_CHANNEL_V590, UVM, UVM_UNREGISTER_CHANNEL, UVM_UNREGISTER_CHANNEL_PARAMS_V590,  \
    rmStatus, .fields = kUvmUnregisterChannelV590Fields, .since = 590, .hints = kUvmHints,         \
    .note = "12-byte layout from 590.44.01 (gpuUuid removed)")                                     \
  X(UVM_ENABLE_PEER_ACCESS, UVM, UVM_ENABLE_PEER_ACCESS, UVM_ENABLE_PEER_ACCESS_PARAMS, rmStatus,  \
    .fields = kUvmEnablePeerAccessFields, .hints = kUvmHints)                                      \
  X(UVM_DISABLE_PEER_ACCESS, UVM, UVM_DISABLE_PEER_ACCESS, UVM_DISABLE_PEER_ACCESS_PARAMS,         \
    rmStatus, .fields = kUvmDisablePeerAccessFields, .hints = kUvmHints)                           \
  X(UVM_MAP_EXTERNAL_ALLOCATION, UVM, UVM_MAP_EXTERNAL_ALLOCATION,                                 \
    UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, rmStatus, .fields = kUvmMapExternalAllocationFields,       \
    .hints = kUvmHints, .printer = print_uvm_map_external_allocation)                              \
  X(UVM_FREE, UVM, UVM_FREE, UVM_FREE_PARAMS, rmStatus, .fields = kUvmFreeFields,                  \
    .hints = kUvmHints, .note = "24-byte layout up to 580")                                        \
  X(UVM_FREE_V590, UVM, UVM_FREE, UVM_FREE_PARAMS_V590, rmStatus, .fields = kUvmFreeV590Fields,    \
    .since = 590, .hints = kUvmHints,                                                              \
    .note = "16-byte layout from 590.44.01 (length removed: rmStatus at 8)")                       \
  X(UVM_REGISTER_GPU, UVM, UVM_REGISTER_GPU, UVM_REGISTER_GPU_PARAMS, rmStatus,                    \
    .fields = kUvmRegisterGpuFields, .hints = kUvmHints)                                           \
  X(UVM_UNREGISTER_GPU, UVM, UVM_UNREGISTER_GPU, UVM_UNREGISTER_GPU_PARAMS, rmStatus,              \
    .fields = kUvmUnregisterGpuFields, .hints = kUvmHints)                                         \
  X(UVM_UNMAP_EXTERNAL, UVM, UVM_UNMAP_EXTERNAL, UVM_UNMAP_EXTERNAL_PARAMS, rmStatus,              \
    .fields = kUvmUnmapExternalFields, .hints = kUvmHints)                                         \
  X(UVM_CREATE_EXTERNAL_RANGE, UVM, UVM_CREATE_EXTERNAL_RANGE, UVM_CREATE_EXTERNAL_RANGE_PARAMS,   \
    rmStatus, .fields = kUvmCreateExternalRangeFields, .hints = kUvmHints)                         \
  X(UVM_MM_INITIALIZE, UVM, UVM_MM_INITIALIZE, UVM_MM_INITIALIZE_PARAMS, rmStatus,                 \
    .fields = kUvmMmInitializeFields, .hints = kUvmHints,                                          \
    .note = "on a second UVM fd, naming the first; NV_WARN_NOTHING_TO_DO is not a failure")        \
  X(UVM_INITIALIZE, UVM, UVM_INITIALIZE, UVM_INITIALIZE_PARAMS, rmStatus,                          \
    .fields = kUvmInitializeFields, .hints = kUvmHints,                                            \
    .note = "must be the first ioctl on every UVM fd")                                             \
  X(UVM_DEINITIALIZE, UVM, UVM_DEINITIALIZE, nv_no_args, none, .hints = kUvmHints)
// clang-format on

// One id per row, in table order. The UVM ids are spelled like the UVM constants of abi.h
// (NvIoctl::UVM_FREE is the row of UVM_FREE); GCC's -Wshadow reports that, although scoped
// enumerators cannot hide anything.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
enum class NvIoctl : uint16_t {
#define RAWGPU_NV_ROW_ID(ID, ...) ID,
  RAWGPU_NV_IOCTLS(RAWGPU_NV_ROW_ID)
#undef RAWGPU_NV_ROW_ID
};
#pragma GCC diagnostic pop

#define RAWGPU_NV_ROW_COUNT(ID, ...) +1
inline constexpr size_t kNvIoctlCount = 0 RAWGPU_NV_IOCTLS(RAWGPU_NV_ROW_COUNT);
#undef RAWGPU_NV_ROW_COUNT

// The request a row issues (for ESC rows with an array argument: one element).
#define RAWGPU_NV_REQUEST_ESC(NR, ARGS) \
  core::ioc(core::IoctlDir::kReadWrite, NV_IOCTL_MAGIC, NR, args_size<ARGS>)
#define RAWGPU_NV_REQUEST_UVM(NR, ARGS) static_cast<unsigned long>(NR)
// Where the in-band result of an argument lives (a pointer into `a`, or nullptr).
#define RAWGPU_NV_STATUS_none(a) nullptr
#define RAWGPU_NV_STATUS_status(a) &(a).status
#define RAWGPU_NV_STATUS_Status(a) &(a).Status
#define RAWGPU_NV_STATUS_rmStatus(a) &(a).rmStatus
#define RAWGPU_NV_STATUS_params_status(a) &(a).params.status

// The compile-time row of an id: Args, request, and the in-band status field of an Args.
template <NvIoctl Id>
struct NvIoctlRow;

#define RAWGPU_NV_ROW_TRAIT(ID, KIND, NR, ARGS, STATUS, ...)                        \
  template <>                                                                       \
  struct NvIoctlRow<NvIoctl::ID> {                                                  \
    using Args = ARGS;                                                              \
    static constexpr NvIoctl id = NvIoctl::ID;                                      \
    static constexpr unsigned long request = RAWGPU_NV_REQUEST_##KIND(NR, ARGS);    \
    static constexpr const uint32_t* status([[maybe_unused]] const Args& a) {       \
      return RAWGPU_NV_STATUS_##STATUS(a);                                          \
    }                                                                               \
    static_assert(args_size<ARGS> <= core::kIocSizeMax || #KIND[0] == 'U',          \
                  "escape argument too large for _IOC; use NV_ESC_IOCTL_XFER_CMD"); \
  };
RAWGPU_NV_IOCTLS(RAWGPU_NV_ROW_TRAIT)
#undef RAWGPU_NV_ROW_TRAIT
#undef RAWGPU_NV_REQUEST_ESC
#undef RAWGPU_NV_REQUEST_UVM
#undef RAWGPU_NV_STATUS_none
#undef RAWGPU_NV_STATUS_status
#undef RAWGPU_NV_STATUS_Status
#undef RAWGPU_NV_STATUS_rmStatus
#undef RAWGPU_NV_STATUS_params_status

// The ioctl table, read by everyone (driver name "nvidia").
const core::IoctlTable& nv_ioctls();
// The row of an id. Never allocates.
const core::IoctlDesc& nv_ioctl(NvIoctl id);

// The row for a raw request. Escapes match on 'F' + nr + size as core::find_by_request does;
// UVM numbers carry no size, so among the layouts of one UVM ioctl the one for `branch` is
// returned (0: the newest). Allocation-free.
core::IoctlMatch find_nv_request(unsigned long request, uint32_t branch = 0);

// ---------------------------------------------------------------------------------------------
// RM control commands. X(cmd, params, ...IoctlDesc designated initializers from .fields)
// Sources: src/common/sdk/nvidia/inc/ctrl/ctrl*/ @ 580 and fact sheet §3.
// clang-format off
#define RAWGPU_NV_RM_CONTROLS(X)                                                                   \
  X(NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2, NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS,   \
    .fields = kBuildVersionV2Fields)                                                               \
  X(NV0000_CTRL_CMD_GPU_GET_ATTACHED_IDS, NV0000_CTRL_GPU_GET_ATTACHED_IDS_PARAMS,                 \
    .fields = kGetAttachedIdsFields, .note = "valid ids first, then 0xffffffff")                   \
  X(NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2, NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS,                     \
    .fields = kGetIdInfoV2Fields)                                                                  \
  X(NV0080_CTRL_CMD_GPU_GET_CLASSLIST, NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS,                       \
    .fields = kGetClasslistFields, .note = "classList -> uint32_t[numClasses]; NULL for the count",\
    .buffers = kGetClasslistBuffers)                                                              \
  X(NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2, NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS,                 \
    .fields = kGetClasslistV2Fields, .note = "classList[100] up to 575")                           \
  X(NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2, NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580,            \
    .fields = kGetClasslistV2V580Fields, .since = 580, .note = "classList[200] from 580")          \
  X(NV2080_CTRL_CMD_GPU_GET_GID_INFO, NV2080_CTRL_GPU_GET_GID_INFO_PARAMS,                         \
    .fields = kGetGidInfoFields, .note = "FORMAT_BINARY (2): data[0..16) is the GPU UUID")         \
  X(NV2080_CTRL_CMD_GR_GET_INFO, NV2080_CTRL_GR_GET_INFO_PARAMS, .fields = kGrGetInfoFields,       \
    .note = "grInfoList -> NV2080_CTRL_GR_INFO{index, data}[grInfoListSize]",                     \
    .buffers = kGrGetInfoBuffers)                                                                 \
  X(NV2080_CTRL_CMD_GR_GET_CTX_BUFFER_SIZE, NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS,             \
    .fields = kGrGetCtxBufferSizeFields)                                                           \
  X(NV2080_CTRL_CMD_FB_FLUSH_GPU_CACHE, NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS,                     \
    .fields = kFbFlushGpuCacheFields, .printer = print_nonzero_fields,                             \
    .note = "zero fields are not printed")                                                         \
  X(NV2080_CTRL_CMD_PERF_BOOST, NV2080_CTRL_PERF_BOOST_PARAMS, .fields = kPerfBoostFields)         \
  X(NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS,                           \
    .fields = kA06cScheduleFields, .note = "2 bytes up to 570")                                    \
  X(NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575,                      \
    .fields = kA06cScheduleV575Fields, .since = 575, .note = "3 bytes from 575.51.02")             \
  X(NVA06F_CTRL_CMD_GPFIFO_SCHEDULE, NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS,                           \
    .fields = kA06fScheduleFields, .note = "2 bytes up to 570")                                    \
  X(NVA06F_CTRL_CMD_GPFIFO_SCHEDULE, NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575,                      \
    .fields = kA06fScheduleV575Fields, .since = 575, .note = "3 bytes from 575.51.02")             \
  X(NVA06F_CTRL_CMD_BIND, NVA06F_CTRL_BIND_PARAMS, .fields = kA06fBindFields)                      \
  X(NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN,                                                  \
    NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS, .fields = kWorkSubmitTokenFields,         \
    .note = "preset 0xffffffff; any channel class")
// clang-format on

// ---------------------------------------------------------------------------------------------
// RM allocation classes. X(class, params, ...IoctlDesc designated initializers from .fields);
// params nv_no_args = the class takes none (pAllocParms NULL).
// Sources: src/common/sdk/nvidia/inc/class/cl*.h, nvos.h, alloc/alloc_channel.h @ 580 and fact
// sheet §3, §3.7; nvidia-hopper.md §3.
#define RAWGPU_NV_RM_GPFIFO_CLASS(X, CLASS)                                                \
  X(CLASS, NV_CHANNEL_ALLOC_PARAMS, .fields = kChannelAllocFields,                         \
    .printer = print_nonzero_fields, .note = "368 bytes up to 595; zero fields not shown") \
  X(CLASS, NV_CHANNEL_ALLOC_PARAMS_V610, .fields = kChannelAllocV610Fields, .since = 610,  \
    .printer = print_nonzero_fields, .note = "376 bytes from 610 (hHandleVASpace)")
// clang-format off
#define RAWGPU_NV_RM_CLASSES(X)                                                                    \
  X(NV01_ROOT, nv_no_args, .note = "rewritten to NV01_ROOT_CLIENT for user clients")               \
  X(NV01_MEMORY_SYSTEM, NV_MEMORY_ALLOCATION_PARAMS, .fields = kMemoryAllocationFields)            \
  X(NV01_MEMORY_LOCAL_USER, NV_MEMORY_ALLOCATION_PARAMS, .fields = kMemoryAllocationFields)        \
  X(NV01_ROOT_CLIENT, nv_no_args, .note = "the client: hRoot = hObjectParent = 0")                 \
  X(NV01_MEMORY_VIRTUAL, NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS,                                      \
    .fields = kMemoryVirtualAllocationFields)                                                      \
  X(NV01_MEMORY_SYSTEM_OS_DESCRIPTOR, nv_no_args,                                                  \
    .note = "through NV_ESC_RM_ALLOC_MEMORY (NVOS02), pMemory = the host pages")                   \
  X(NV01_EVENT_OS_EVENT, NV0005_ALLOC_PARAMETERS, .fields = kNv0005AllocFields)                    \
  X(NV01_DEVICE_0, NV0080_ALLOC_PARAMETERS, .fields = kNv0080AllocFields)                          \
  X(NV20_SUBDEVICE_0, NV2080_ALLOC_PARAMETERS, .fields = kNv2080AllocFields)                       \
  X(NV50_MEMORY_VIRTUAL, NV_MEMORY_ALLOCATION_PARAMS, .fields = kMemoryAllocationFields)           \
  X(GT200_DEBUGGER, NV83DE_ALLOC_PARAMETERS, .fields = kNv83deAllocFields)                         \
  X(FERMI_CONTEXT_SHARE_A, NV_CTXSHARE_ALLOCATION_PARAMETERS, .fields = kCtxshareAllocFields)      \
  X(FERMI_VASPACE_A, NV_VASPACE_ALLOCATION_PARAMETERS, .fields = kVaspaceAllocFields,              \
    .note = "48 bytes up to 575")                                                                  \
  X(FERMI_VASPACE_A, NV_VASPACE_ALLOCATION_PARAMETERS_V580, .fields = kVaspaceAllocV580Fields,     \
    .since = 580, .note = "56 bytes from 580.65.06 (pasid)")                                       \
  X(KEPLER_CHANNEL_GROUP_A, NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS,                                \
    .fields = kChannelGroupAllocFields)                                                            \
  X(MAXWELL_PROFILER_DEVICE, nv_no_args, .note = "params not described by rawgpu")                 \
  X(VOLTA_USERMODE_A, nv_no_args)                                                                  \
  RAWGPU_NV_RM_GPFIFO_CLASS(X, VOLTA_CHANNEL_GPFIFO_A)                                             \
  X(TURING_USERMODE_A, nv_no_args)                                                                 \
  RAWGPU_NV_RM_GPFIFO_CLASS(X, TURING_CHANNEL_GPFIFO_A)                                            \
  X(TURING_DMA_COPY_A, nv_no_args)                                                                 \
  X(TURING_COMPUTE_A, nv_no_args)                                                                  \
  X(AMPERE_USERMODE_A, nv_no_args)                                                                 \
  RAWGPU_NV_RM_GPFIFO_CLASS(X, AMPERE_CHANNEL_GPFIFO_A)                                            \
  X(AMPERE_DMA_COPY_A, nv_no_args)                                                                 \
  X(AMPERE_COMPUTE_A, nv_no_args)                                                                  \
  X(HOPPER_USERMODE_A, NV_HOPPER_USERMODE_A_PARAMS, .fields = kHopperUsermodeFields,               \
    .note = "params optional: NULL maps the BAR0 VF page")                                         \
  X(BLACKWELL_USERMODE_A, nv_no_args)                                                              \
  X(AMPERE_DMA_COPY_B, nv_no_args)                                                                 \
  X(AMPERE_COMPUTE_B, nv_no_args)                                                                  \
  RAWGPU_NV_RM_GPFIFO_CLASS(X, HOPPER_CHANNEL_GPFIFO_A)                                            \
  X(HOPPER_DMA_COPY_A, nv_no_args)                                                                 \
  RAWGPU_NV_RM_GPFIFO_CLASS(X, BLACKWELL_CHANNEL_GPFIFO_A)                                         \
  X(BLACKWELL_DMA_COPY_A, nv_no_args)                                                              \
  X(ADA_COMPUTE_A, nv_no_args)                                                                     \
  RAWGPU_NV_RM_GPFIFO_CLASS(X, BLACKWELL_CHANNEL_GPFIFO_B)                                         \
  X(BLACKWELL_DMA_COPY_B, nv_no_args)                                                              \
  X(HOPPER_COMPUTE_A, nv_no_args)                                                                  \
  X(BLACKWELL_COMPUTE_A, nv_no_args)                                                               \
  X(BLACKWELL_COMPUTE_B, nv_no_args)
// clang-format on

// The command and class tables (driver names "nvidia-rm-control", "nvidia-rm-class").
const core::IoctlTable& rm_controls();
const core::IoctlTable& rm_classes();

// The row of `id` in `table` for driver branch `branch` (the last row of that id with
// since <= branch; branch 0: the newest row of that id), or nullptr when the table has no row
// for the id or none old enough. For nv_ioctls() `id` is the escape nr or UVM number.
// Allocation-free.
const core::IoctlDesc* find_versioned(const core::IoctlTable& table, uint32_t id,
                                      uint32_t branch = 0);
// The row of `id` whose params size is `size` (RM control: NVOS54.paramsSize), or nullptr.
const core::IoctlDesc* find_sized(const core::IoctlTable& table, uint32_t id, uint32_t size);

// Names ("NV2080_CTRL_CMD_GR_GET_INFO", "FERMI_VASPACE_A"); "" when unknown. Never allocate.
std::string_view rm_control_name(uint32_t cmd);
std::string_view rm_class_name(uint32_t hClass);
// "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO", "NV_ESC_RM_ALLOC 0xbeef" (unknown id): the
// operation name that errors and logs use.
std::string rm_op_name(std::string_view escape, std::string_view sub_name, uint32_t id);

// Decoded RM calls, the escape with its command or class (STYLE rule 13):
//   "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO{hClient=0xc1d00001, hObject=0xcaf00003,
//    flags=0, params={grInfoListSize=5, grInfoList=0x7f0000001000, ...}}"
// `params` holds `n` captured bytes of the params struct (may be null/short: fields print as
// "?"); kOut prints status and the params' output fields. The params row is chosen by
// NVOS54.paramsSize for controls and by `branch` for classes (RM ignores NVOS21.paramsSize).
std::string format_rm_control(const NVOS54_PARAMETERS& p, const void* params, size_t n,
                              core::Phase phase);
std::string format_rm_alloc(const NVOS21_PARAMETERS& p, const void* params, size_t n,
                            core::Phase phase, uint32_t branch = 0);

// Self-check for tests and table authors: core::table_problems() per row (fields inside the
// struct, no overlap, unique names, numeric sizes, _IOC limits) plus: no two rows issue the same
// request unless one supersedes the other at a later branch (same name, increasing since), no
// two different names share an id. "" when sound.
std::string nv_table_problems(const core::IoctlTable& table);

// Symbolic names, for other decoders (method decoders, simulator messages).
std::span<const core::NamedValue> rm_control_names();   // NV????_CTRL_CMD_*
std::span<const core::NamedValue> rm_class_names();     // class ids
std::span<const core::NamedValue> engine_type_names();  // NV2080_ENGINE_TYPE_*

// Printers used by the rows (core::ArgPrinter).
void print_card_info(std::string& out, const core::IoctlDesc& desc, std::span<const uint8_t> bytes,
                     core::Phase phase);
void print_uvm_map_external_allocation(std::string& out, const core::IoctlDesc& desc,
                                       std::span<const uint8_t> bytes, core::Phase phase);
// Prints only the fields (of the phase) whose bytes are not all zero: for big, mostly-zero
// params such as NV_CHANNEL_ALLOC_PARAMS.
void print_nonzero_fields(std::string& out, const core::IoctlDesc& desc,
                          std::span<const uint8_t> bytes, core::Phase phase);

}  // namespace rawgpu::nv

// rawgpu — THE table of KFD ioctls (STYLE rules 1 and 2). Every KFD ioctl of
// include/uapi/linux/kfd_ioctl.h (up to KFD 1.19) is one row of RAWGPU_KFD_IOCTLS below: its id,
// the kernel's name, nr, _IOC direction, argument struct, and the rest of its description
// (fields, since-minor, deprecated mark, errno hints) as designated initializers of
// core::IoctlDesc. From this one list come:
//   - kfd_ioctls(): the core::IoctlTable read by the decoder, simulator and replayer;
//   - KfdIoctl: an id per row, in table order;
//   - IoctlRow<request>: the compile-time row of a request number (Args type, id), used by
//     kfd::call<AMDKFD_IOC_X>() so that the request is always _IOC(dir, 'K', nr, sizeof(Args)),
//   - a static_assert per row that this request equals the kernel's AMDKFD_IOC_<id> (the
//     header's macro, or abi.h's declaration where the 1.11 header lacks it).
//
// How to add a row (a new KFD ioctl or a changed layout):
//   1. abi.h: if the 1.11 header lacks the struct or it changed, declare it with the version
//      suffix of the minor that introduced it (…_v1NN), static_assert its size and every offset,
//      and declare AMDKFD_IOC_<ID> under #ifndef (kernel name) or AMDKFD_IOC_<ID>_V1NN.
//   2. Here: add X(ID, NAME, nr, dir, args, .fields = …, .since = …, .hints = …) in nr order;
//      a changed layout gets a second row with the same NAME after the old one (newest last).
//      Never delete a row; mark it `.deprecated = true`.
//   3. describe.cpp: the field list, member by member, with the kernel's member names and
//      directions (RAWGPU_KFD_FIELD), flag/enum names, and errno hints a user can act on.
//   4. tests/kfd/ioctl_test.cpp: the row's full code in the expected list (fact sheet §2.3).
// Designated initializers must follow core::IoctlDesc's member order:
//   fields, deprecated, since, elem_size, encoding, hints, printer, note, buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/ioctl_desc.h"
#include "kfd/abi.h"

namespace rawgpu::kfd {

// X(id, name, nr, dir, args, ...IoctlDesc designated initializers from .fields on)
// clang-format off
#define RAWGPU_KFD_IOCTLS(X)                                                                      \
  X(GET_VERSION, GET_VERSION, 0x01, kRead, kfd_ioctl_get_version_args,                            \
    .fields = kGetVersionFields)                                                                  \
  X(CREATE_QUEUE_V116, CREATE_QUEUE, 0x02, kReadWrite, kfd_ioctl_create_queue_args_v116,          \
    .fields = kCreateQueueV116Fields, .hints = kCreateQueueHints,                                 \
    .note = "88-byte layout of KFD 1.0-1.16; still accepted by newer kernels")                    \
  X(CREATE_QUEUE_V117, CREATE_QUEUE, 0x02, kReadWrite, kfd_ioctl_create_queue_args_v117,          \
    .fields = kCreateQueueV117Fields, .since = kMinorSdmaByEngId, .hints = kCreateQueueHints,     \
    .note = "96-byte layout of KFD 1.17+ (sdma_engine_id)")                                       \
  X(DESTROY_QUEUE, DESTROY_QUEUE, 0x03, kReadWrite, kfd_ioctl_destroy_queue_args,                 \
    .fields = kDestroyQueueFields, .hints = kQueueIdHints)                                        \
  X(SET_MEMORY_POLICY, SET_MEMORY_POLICY, 0x04, kWrite, kfd_ioctl_set_memory_policy_args_v118,    \
    .fields = kSetMemoryPolicyFields, .hints = kSetMemoryPolicyHints,                             \
    .note = "misc_process_flag was pad before KFD 1.18")                                          \
  X(GET_CLOCK_COUNTERS, GET_CLOCK_COUNTERS, 0x05, kReadWrite, kfd_ioctl_get_clock_counters_args,  \
    .fields = kGetClockCountersFields)                                                            \
  X(GET_PROCESS_APERTURES, GET_PROCESS_APERTURES, 0x06, kRead,                                    \
    kfd_ioctl_get_process_apertures_args,                                                         \
    .fields = kGetProcessAperturesFields, .deprecated = true,                                     \
    .note = "at most 7 GPUs; use AMDKFD_IOC_GET_PROCESS_APERTURES_NEW")                           \
  X(UPDATE_QUEUE, UPDATE_QUEUE, 0x07, kWrite, kfd_ioctl_update_queue_args,                        \
    .fields = kUpdateQueueFields, .hints = kUpdateQueueHints)                                     \
  X(CREATE_EVENT, CREATE_EVENT, 0x08, kReadWrite, kfd_ioctl_create_event_args,                    \
    .fields = kCreateEventFields, .hints = kCreateEventHints)                                     \
  X(DESTROY_EVENT, DESTROY_EVENT, 0x09, kWrite, kfd_ioctl_destroy_event_args,                     \
    .fields = kDestroyEventFields, .hints = kEventIdHints)                                        \
  X(SET_EVENT, SET_EVENT, 0x0A, kWrite, kfd_ioctl_set_event_args,                                 \
    .fields = kSetEventFields, .hints = kEventIdHints)                                            \
  X(RESET_EVENT, RESET_EVENT, 0x0B, kWrite, kfd_ioctl_reset_event_args,                           \
    .fields = kResetEventFields, .hints = kEventIdHints)                                          \
  X(WAIT_EVENTS, WAIT_EVENTS, 0x0C, kReadWrite, kfd_ioctl_wait_events_args,                       \
    .fields = kWaitEventsFields, .hints = kWaitEventsHints,                                       \
    .note = "events_ptr -> kfd_event_data_v114[num_events]",                                      \
    .buffers = kWaitEventsBuffers)                                                                \
  X(DBG_REGISTER_DEPRECATED, DBG_REGISTER_DEPRECATED, 0x0D, kWrite, kfd_ioctl_dbg_register_args,  \
    .fields = kDbgRegisterFields, .deprecated = true, .hints = kDbgDeprecatedHints)               \
  X(DBG_UNREGISTER_DEPRECATED, DBG_UNREGISTER_DEPRECATED, 0x0E, kWrite,                           \
    kfd_ioctl_dbg_unregister_args,                                                                \
    .fields = kDbgUnregisterFields, .deprecated = true, .hints = kDbgDeprecatedHints)             \
  X(DBG_ADDRESS_WATCH_DEPRECATED, DBG_ADDRESS_WATCH_DEPRECATED, 0x0F, kWrite,                     \
    kfd_ioctl_dbg_address_watch_args,                                                             \
    .fields = kDbgAddressWatchFields, .deprecated = true, .hints = kDbgDeprecatedHints,           \
    .buffers = kDbgContentBuffers)                                                                \
  X(DBG_WAVE_CONTROL_DEPRECATED, DBG_WAVE_CONTROL_DEPRECATED, 0x10, kWrite,                       \
    kfd_ioctl_dbg_wave_control_args,                                                              \
    .fields = kDbgWaveControlFields, .deprecated = true, .hints = kDbgDeprecatedHints,            \
    .buffers = kDbgContentBuffers)                                                                \
  X(SET_SCRATCH_BACKING_VA, SET_SCRATCH_BACKING_VA, 0x11, kReadWrite,                             \
    kfd_ioctl_set_scratch_backing_va_args,                                                        \
    .fields = kSetScratchBackingVaFields, .hints = kGpuIdHints)                                   \
  X(GET_TILE_CONFIG, GET_TILE_CONFIG, 0x12, kReadWrite, kfd_ioctl_get_tile_config_args,           \
    .fields = kGetTileConfigFields, .hints = kGpuIdHints,                                         \
    .buffers = kGetTileConfigBuffers)                                                             \
  X(SET_TRAP_HANDLER, SET_TRAP_HANDLER, 0x13, kWrite, kfd_ioctl_set_trap_handler_args,            \
    .fields = kSetTrapHandlerFields, .hints = kGpuIdHints)                                        \
  X(GET_PROCESS_APERTURES_NEW, GET_PROCESS_APERTURES_NEW, 0x14, kReadWrite,                       \
    kfd_ioctl_get_process_apertures_new_args,                                                     \
    .fields = kGetProcessAperturesNewFields,                                                      \
    .note = "kfd_process_device_apertures_ptr -> kfd_process_device_apertures[num_of_nodes]",     \
    .buffers = kGetProcessAperturesNewBuffers)                                                    \
  X(ACQUIRE_VM, ACQUIRE_VM, 0x15, kWrite, kfd_ioctl_acquire_vm_args,                              \
    .fields = kAcquireVmFields, .hints = kAcquireVmHints)                                         \
  X(ALLOC_MEMORY_OF_GPU, ALLOC_MEMORY_OF_GPU, 0x16, kReadWrite, kfd_ioctl_alloc_memory_of_gpu_args, \
    .fields = kAllocMemoryOfGpuFields, .hints = kAllocMemoryOfGpuHints)                           \
  X(FREE_MEMORY_OF_GPU, FREE_MEMORY_OF_GPU, 0x17, kWrite, kfd_ioctl_free_memory_of_gpu_args,      \
    .fields = kFreeMemoryOfGpuFields, .hints = kFreeMemoryOfGpuHints)                             \
  X(MAP_MEMORY_TO_GPU, MAP_MEMORY_TO_GPU, 0x18, kReadWrite, kfd_ioctl_map_memory_to_gpu_args,     \
    .fields = kMapMemoryToGpuFields, .hints = kMapMemoryToGpuHints,                               \
    .note = "device_ids_array_ptr -> uint32_t gpu_id[n_devices]",                                 \
    .buffers = kDeviceIdsBuffers)                                                                 \
  X(UNMAP_MEMORY_FROM_GPU, UNMAP_MEMORY_FROM_GPU, 0x19, kReadWrite,                               \
    kfd_ioctl_unmap_memory_from_gpu_args,                                                         \
    .fields = kUnmapMemoryFromGpuFields, .hints = kUnmapMemoryFromGpuHints,                       \
    .note = "device_ids_array_ptr -> uint32_t gpu_id[n_devices]",                                 \
    .buffers = kDeviceIdsBuffers)                                                                 \
  X(SET_CU_MASK, SET_CU_MASK, 0x1A, kWrite, kfd_ioctl_set_cu_mask_args,                           \
    .fields = kSetCuMaskFields, .hints = kSetCuMaskHints,                                         \
    .buffers = kSetCuMaskBuffers)                                                                 \
  X(GET_QUEUE_WAVE_STATE, GET_QUEUE_WAVE_STATE, 0x1B, kReadWrite,                                 \
    kfd_ioctl_get_queue_wave_state_args,                                                          \
    .fields = kGetQueueWaveStateFields, .hints = kQueueIdHints)                                   \
  X(GET_DMABUF_INFO, GET_DMABUF_INFO, 0x1C, kReadWrite, kfd_ioctl_get_dmabuf_info_args,           \
    .fields = kGetDmabufInfoFields,                                                               \
    .buffers = kGetDmabufInfoBuffers)                                                             \
  X(IMPORT_DMABUF, IMPORT_DMABUF, 0x1D, kReadWrite, kfd_ioctl_import_dmabuf_args,                 \
    .fields = kImportDmabufFields)                                                                \
  X(ALLOC_QUEUE_GWS, ALLOC_QUEUE_GWS, 0x1E, kReadWrite, kfd_ioctl_alloc_queue_gws_args,           \
    .fields = kAllocQueueGwsFields, .hints = kQueueIdHints)                                       \
  X(SMI_EVENTS, SMI_EVENTS, 0x1F, kReadWrite, kfd_ioctl_smi_events_args,                          \
    .fields = kSmiEventsFields, .since = kMinorSmiEvents, .hints = kGpuIdHints)                   \
  X(SVM, SVM, 0x20, kReadWrite, kfd_ioctl_svm_args,                                               \
    .fields = kSvmFields, .since = kMinorSvm, .elem_size = sizeof(kfd_ioctl_svm_attribute),       \
    .hints = kSvmHints, .note = "followed by kfd_ioctl_svm_attribute attrs[nattr]")               \
  X(SET_XNACK_MODE, SET_XNACK_MODE, 0x21, kReadWrite, kfd_ioctl_set_xnack_mode_args,              \
    .fields = kSetXnackModeFields, .hints = kSetXnackModeHints)                                   \
  X(CRIU_OP, CRIU_OP, 0x22, kReadWrite, kfd_ioctl_criu_args,                                      \
    .fields = kCriuOpFields, .since = kMinorCriu, .hints = kCriuOpHints,                          \
    .buffers = kCriuOpBuffers)                                                                    \
  X(AVAILABLE_MEMORY, AVAILABLE_MEMORY, 0x23, kReadWrite, kfd_ioctl_get_available_memory_args,    \
    .fields = kAvailableMemoryFields, .since = kMinorAvailableMemory, .hints = kGpuIdHints)       \
  X(EXPORT_DMABUF, EXPORT_DMABUF, 0x24, kReadWrite, kfd_ioctl_export_dmabuf_args_v112,            \
    .fields = kExportDmabufFields, .since = kMinorExportDmabuf)                                   \
  X(RUNTIME_ENABLE, RUNTIME_ENABLE, 0x25, kReadWrite, kfd_ioctl_runtime_enable_args_v113,         \
    .fields = kRuntimeEnableFields, .since = kMinorRuntimeEnable, .hints = kRuntimeEnableHints)   \
  X(DBG_TRAP, DBG_TRAP, 0x26, kReadWrite, kfd_ioctl_dbg_trap_args_v113,                           \
    .fields = kDbgTrapFields, .since = kMinorRuntimeEnable,                                       \
    .note = "debugger API; the per-op union is shown as op_args")                                 \
  X(CREATE_PROCESS, CREATE_PROCESS, 0x27, kNone, kfd_no_args,                                     \
    .since = kMinorCreateProcess, .note = "secondary KFD process for this fd (_IO, no argument)")
// clang-format on

// One id per row, in table order (the enumerators keep the kernel's spelling).
enum class KfdIoctl : uint16_t {
#define RAWGPU_KFD_ROW_ID(ID, ...) ID,
  RAWGPU_KFD_IOCTLS(RAWGPU_KFD_ROW_ID)
#undef RAWGPU_KFD_ROW_ID
};

#define RAWGPU_KFD_ROW_COUNT(ID, ...) +1
inline constexpr size_t kKfdIoctlCount = 0 RAWGPU_KFD_IOCTLS(RAWGPU_KFD_ROW_COUNT);
#undef RAWGPU_KFD_ROW_COUNT

// Bytes an argument type occupies in the request (0 for _IO ioctls).
template <typename T>
inline constexpr uint32_t args_size = sizeof(T);
template <>
inline constexpr uint32_t args_size<kfd_no_args> = 0;

// The table, read by everyone.
const core::IoctlTable& kfd_ioctls();
// The row of an id. Never allocates.
const core::IoctlDesc& kfd_ioctl(KfdIoctl id);

// The compile-time row of a request number. There is no row for a request whose size does not
// match a struct of the table: IoctlRow<that request> is an incomplete type.
template <unsigned long Request>
struct IoctlRow;

#define RAWGPU_KFD_ROW_TRAIT(ID, NAME, NR, DIR, ARGS, ...)                                \
  template <>                                                                             \
  struct IoctlRow<core::ioc(core::IoctlDir::DIR, kKfdIoctlMagic, NR, args_size<ARGS>)> {  \
    using Args = ARGS;                                                                    \
    static constexpr KfdIoctl id = KfdIoctl::ID;                                          \
    static constexpr unsigned long request =                                              \
        core::ioc(core::IoctlDir::DIR, kKfdIoctlMagic, NR, args_size<ARGS>);              \
    static_assert(args_size<ARGS> <= core::kIocSizeMax);                                  \
    static_assert(request == (AMDKFD_IOC_##ID), "row request differs from the kernel's"); \
  };
RAWGPU_KFD_IOCTLS(RAWGPU_KFD_ROW_TRAIT)
#undef RAWGPU_KFD_ROW_TRAIT

// Largest fixed argument of any row (GET_PROCESS_APERTURES, 400 bytes).
inline constexpr uint32_t kKfdMaxArgsSize = 400;
#define RAWGPU_KFD_ROW_MAX(ID, NAME, NR, DIR, ARGS, ...) \
  static_assert(args_size<ARGS> <= kKfdMaxArgsSize);
RAWGPU_KFD_IOCTLS(RAWGPU_KFD_ROW_MAX)
#undef RAWGPU_KFD_ROW_MAX

// Symbolic names used by the rows, for other decoders (packets, simulator messages).
std::span<const core::NamedValue> alloc_flag_names();   // KFD_IOC_ALLOC_MEM_FLAGS_*
std::span<const core::NamedValue> queue_type_names();   // KFD_IOC_QUEUE_TYPE_*
std::span<const core::NamedValue> event_type_names();   // KFD_IOC_EVENT_*
std::span<const core::NamedValue> wait_result_names();  // KFD_IOC_WAIT_RESULT_*

}  // namespace rawgpu::kfd

// The KFD ioctl table: field lists, symbolic names and errno hints of the rows in describe.h.
// Field names and directions follow include/uapi/linux/kfd_ioctl.h ("to KFD" = kIn, "from KFD" =
// kOut); where the header comment is wrong the fact sheet wins (shared/abi/amd-kfd.md §2.4: the
// create_queue rptr/wptr addresses are inputs). Errno meanings: drivers/gpu/drm/amd/amdkfd/
// kfd_chardev.c and the fact sheet §2.2-§2.4, §4.3, §5.
#include "kfd/describe.h"

#include <cerrno>
#include <iterator>

namespace rawgpu::kfd {
namespace {

using core::ArgField;
using core::ErrnoHint;
using core::NamedValue;

// One field of struct T: its member name, offset and size come from the struct itself.
// clang-format off
#define F(T, MEMBER, KIND, DIR, ...)                                                    \
  ArgField{#MEMBER, static_cast<uint32_t>(offsetof(T, MEMBER)),                         \
           static_cast<uint32_t>(sizeof(T::MEMBER)), core::ArgKind::KIND, core::ArgDir::DIR, \
           __VA_ARGS__}
// A named constant: the value of the kernel's macro/enumerator and its spelling.
#define N(X) NamedValue{static_cast<uint32_t>(X), #X}
// clang-format on

// ---------------------------------------------------------------------------------------------
// Symbolic names.

constexpr NamedValue kAllocFlagNames[] = {
    N(KFD_IOC_ALLOC_MEM_FLAGS_VRAM),          N(KFD_IOC_ALLOC_MEM_FLAGS_GTT),
    N(KFD_IOC_ALLOC_MEM_FLAGS_USERPTR),       N(KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL),
    N(KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP),    N(KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS),
    N(KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT),  N(KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED),
    N(KFD_IOC_ALLOC_MEM_FLAGS_COHERENT),      N(KFD_IOC_ALLOC_MEM_FLAGS_AQL_QUEUE_MEM),
    N(KFD_IOC_ALLOC_MEM_FLAGS_NO_SUBSTITUTE), N(KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC),
    N(KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE),    N(KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE),
};
constexpr std::string_view kAllocFlagPrefix = "KFD_IOC_ALLOC_MEM_FLAGS_";

constexpr NamedValue kQueueTypeNames[] = {
    N(KFD_IOC_QUEUE_TYPE_COMPUTE),        N(KFD_IOC_QUEUE_TYPE_SDMA),
    N(KFD_IOC_QUEUE_TYPE_COMPUTE_AQL),    N(KFD_IOC_QUEUE_TYPE_SDMA_XGMI),
    N(KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID),
};
constexpr std::string_view kQueueTypePrefix = "KFD_IOC_QUEUE_TYPE_";

constexpr NamedValue kEventTypeNames[] = {
    N(KFD_IOC_EVENT_SIGNAL),
    N(KFD_IOC_EVENT_NODECHANGE),
    N(KFD_IOC_EVENT_DEVICESTATECHANGE),
    N(KFD_IOC_EVENT_HW_EXCEPTION),
    N(KFD_IOC_EVENT_SYSTEM_EVENT),
    N(KFD_IOC_EVENT_DEBUG_EVENT),
    N(KFD_IOC_EVENT_PROFILE_EVENT),
    N(KFD_IOC_EVENT_QUEUE_EVENT),
    N(KFD_IOC_EVENT_MEMORY),
};
constexpr std::string_view kEventTypePrefix = "KFD_IOC_EVENT_";

constexpr NamedValue kWaitResultNames[] = {
    N(KFD_IOC_WAIT_RESULT_COMPLETE),
    N(KFD_IOC_WAIT_RESULT_TIMEOUT),
    N(KFD_IOC_WAIT_RESULT_FAIL),
};
constexpr std::string_view kWaitResultPrefix = "KFD_IOC_WAIT_RESULT_";

constexpr NamedValue kCachePolicyNames[] = {
    N(KFD_IOC_CACHE_POLICY_COHERENT),
    N(KFD_IOC_CACHE_POLICY_NONCOHERENT),
};
constexpr std::string_view kCachePolicyPrefix = "KFD_IOC_CACHE_POLICY_";

constexpr NamedValue kProcFlagNames[] = {N(KFD_PROC_FLAG_MFMA_HIGH_PRECISION)};
constexpr std::string_view kProcFlagPrefix = "KFD_PROC_FLAG_";

constexpr NamedValue kRuntimeEnableModeNames[] = {
    N(KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK),
    N(KFD_RUNTIME_ENABLE_MODE_TTMP_SAVE_MASK),
};
constexpr std::string_view kRuntimeEnableModePrefix = "KFD_RUNTIME_ENABLE_MODE_";

constexpr NamedValue kSvmOpNames[] = {N(KFD_IOCTL_SVM_OP_SET_ATTR), N(KFD_IOCTL_SVM_OP_GET_ATTR)};
constexpr std::string_view kSvmOpPrefix = "KFD_IOCTL_SVM_OP_";

constexpr NamedValue kCriuOpNames[] = {
    N(KFD_CRIU_OP_PROCESS_INFO), N(KFD_CRIU_OP_CHECKPOINT), N(KFD_CRIU_OP_UNPAUSE),
    N(KFD_CRIU_OP_RESTORE),      N(KFD_CRIU_OP_RESUME),
};
constexpr std::string_view kCriuOpPrefix = "KFD_CRIU_OP_";

// enum kfd_dbg_trap_operations, include/uapi/linux/kfd_ioctl.h KFD 1.13 (absent from 1.11).
constexpr NamedValue kDbgTrapOpNames[] = {
    {0, "KFD_IOC_DBG_TRAP_ENABLE"},
    {1, "KFD_IOC_DBG_TRAP_DISABLE"},
    {2, "KFD_IOC_DBG_TRAP_SEND_RUNTIME_EVENT"},
    {3, "KFD_IOC_DBG_TRAP_SET_EXCEPTIONS_ENABLED"},
    {4, "KFD_IOC_DBG_TRAP_SET_WAVE_LAUNCH_OVERRIDE"},
    {5, "KFD_IOC_DBG_TRAP_SET_WAVE_LAUNCH_MODE"},
    {6, "KFD_IOC_DBG_TRAP_SUSPEND_QUEUES"},
    {7, "KFD_IOC_DBG_TRAP_RESUME_QUEUES"},
    {8, "KFD_IOC_DBG_TRAP_SET_NODE_ADDRESS_WATCH"},
    {9, "KFD_IOC_DBG_TRAP_CLEAR_NODE_ADDRESS_WATCH"},
    {10, "KFD_IOC_DBG_TRAP_SET_FLAGS"},
    {11, "KFD_IOC_DBG_TRAP_QUERY_DEBUG_EVENT"},
    {12, "KFD_IOC_DBG_TRAP_QUERY_EXCEPTION_INFO"},
    {13, "KFD_IOC_DBG_TRAP_GET_QUEUE_SNAPSHOT"},
    {14, "KFD_IOC_DBG_TRAP_GET_DEVICE_SNAPSHOT"},
};
constexpr std::string_view kDbgTrapOpPrefix = "KFD_IOC_DBG_TRAP_";

// ---------------------------------------------------------------------------------------------
// Field lists, member by member.
// Roles (core::ArgRole, for the replayer): ids KFD hands out are kHandle in "kfd.mem" (buffer
// handles), "kfd.queue", "kfd.event"; offsets for a later mmap of /dev/kfd or the render node are
// kMmapOffset (ALLOC's mmap_offset is the user address instead for USERPTR: the replayer looks
// at flags). Ring, rptr/wptr, EOP, CWSR and va_addr are GPU addresses the process chose (equal to
// its CPU addresses) and are replayed unchanged.

constexpr ArgField kGetVersionFields[] = {
    F(kfd_ioctl_get_version_args, major_version, kUnsigned, kOut),
    F(kfd_ioctl_get_version_args, minor_version, kUnsigned, kOut),
};

#define RAWGPU_KFD_CREATE_QUEUE_FIELDS(T)                                               \
  F(T, ring_base_address, kHex, kIn), F(T, write_pointer_address, kHex, kIn),           \
      F(T, read_pointer_address, kHex, kIn),                                           \
      F(T, doorbell_offset, kHex, kOut, {}, {}, core::ArgRole::kMmapOffset),         \
      F(T, ring_size, kUnsigned, kIn), F(T, gpu_id, kUnsigned, kIn),                    \
      F(T, queue_type, kEnum, kIn, kQueueTypeNames, kQueueTypePrefix),                  \
      F(T, queue_percentage, kUnsigned, kIn), F(T, queue_priority, kUnsigned, kIn),     \
      F(T, queue_id, kUnsigned, kOut, {}, {}, core::ArgRole::kHandle, "kfd.queue"),                   \
      F(T, eop_buffer_address, kHex, kIn),             \
      F(T, eop_buffer_size, kUnsigned, kIn), F(T, ctx_save_restore_address, kHex, kIn), \
      F(T, ctx_save_restore_size, kUnsigned, kIn), F(T, ctl_stack_size, kUnsigned, kIn)
constexpr ArgField kCreateQueueV116Fields[] = {
    RAWGPU_KFD_CREATE_QUEUE_FIELDS(kfd_ioctl_create_queue_args_v116),
};
constexpr ArgField kCreateQueueV117Fields[] = {
    RAWGPU_KFD_CREATE_QUEUE_FIELDS(kfd_ioctl_create_queue_args_v117),
    F(kfd_ioctl_create_queue_args_v117, sdma_engine_id, kUnsigned, kIn),
    F(kfd_ioctl_create_queue_args_v117, pad, kPad, kIn),
};
#undef RAWGPU_KFD_CREATE_QUEUE_FIELDS

constexpr ArgField kDestroyQueueFields[] = {
    F(kfd_ioctl_destroy_queue_args, queue_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kfd.queue"),
    F(kfd_ioctl_destroy_queue_args, pad, kPad, kIn),
};

constexpr ArgField kSetMemoryPolicyFields[] = {
    F(kfd_ioctl_set_memory_policy_args_v118, alternate_aperture_base, kHex, kIn),
    F(kfd_ioctl_set_memory_policy_args_v118, alternate_aperture_size, kHex, kIn),
    F(kfd_ioctl_set_memory_policy_args_v118, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_set_memory_policy_args_v118, default_policy, kEnum, kIn, kCachePolicyNames,
      kCachePolicyPrefix),
    F(kfd_ioctl_set_memory_policy_args_v118, alternate_policy, kEnum, kIn, kCachePolicyNames,
      kCachePolicyPrefix),
    F(kfd_ioctl_set_memory_policy_args_v118, misc_process_flag, kFlags, kIn, kProcFlagNames,
      kProcFlagPrefix),
};

constexpr ArgField kGetClockCountersFields[] = {
    F(kfd_ioctl_get_clock_counters_args, gpu_clock_counter, kUnsigned, kOut),
    F(kfd_ioctl_get_clock_counters_args, cpu_clock_counter, kUnsigned, kOut),
    F(kfd_ioctl_get_clock_counters_args, system_clock_counter, kUnsigned, kOut),
    F(kfd_ioctl_get_clock_counters_args, system_clock_freq, kUnsigned, kOut),
    F(kfd_ioctl_get_clock_counters_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_get_clock_counters_args, pad, kPad, kIn),
};

constexpr ArgField kGetProcessAperturesFields[] = {
    F(kfd_ioctl_get_process_apertures_args, process_apertures, kBytes, kOut),
    F(kfd_ioctl_get_process_apertures_args, num_of_nodes, kUnsigned, kOut),
    F(kfd_ioctl_get_process_apertures_args, pad, kPad, kIn),
};

constexpr ArgField kUpdateQueueFields[] = {
    F(kfd_ioctl_update_queue_args, ring_base_address, kHex, kIn),
    F(kfd_ioctl_update_queue_args, queue_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kfd.queue"),
    F(kfd_ioctl_update_queue_args, ring_size, kUnsigned, kIn),
    F(kfd_ioctl_update_queue_args, queue_percentage, kUnsigned, kIn),
    F(kfd_ioctl_update_queue_args, queue_priority, kUnsigned, kIn),
};

constexpr ArgField kCreateEventFields[] = {
    // In: the BO handle of the user event page on the first call; out: the event page's
    // /dev/kfd mmap offset when the kernel allocated it.
    F(kfd_ioctl_create_event_args, event_page_offset, kHex, kInOut, {}, {}, core::ArgRole::kHandle, "kfd.mem"),
    F(kfd_ioctl_create_event_args, event_trigger_data, kUnsigned, kOut),
    F(kfd_ioctl_create_event_args, event_type, kEnum, kIn, kEventTypeNames, kEventTypePrefix),
    F(kfd_ioctl_create_event_args, auto_reset, kUnsigned, kIn),
    F(kfd_ioctl_create_event_args, node_id, kUnsigned, kIn),
    F(kfd_ioctl_create_event_args, event_id, kUnsigned, kOut, {}, {}, core::ArgRole::kHandle, "kfd.event"),
    F(kfd_ioctl_create_event_args, event_slot_index, kUnsigned, kOut),
};

constexpr ArgField kDestroyEventFields[] = {
    F(kfd_ioctl_destroy_event_args, event_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kfd.event"),
    F(kfd_ioctl_destroy_event_args, pad, kPad, kIn),
};
constexpr ArgField kSetEventFields[] = {
    F(kfd_ioctl_set_event_args, event_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kfd.event"),
    F(kfd_ioctl_set_event_args, pad, kPad, kIn),
};
constexpr ArgField kResetEventFields[] = {
    F(kfd_ioctl_reset_event_args, event_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kfd.event"),
    F(kfd_ioctl_reset_event_args, pad, kPad, kIn),
};

constexpr ArgField kWaitEventsFields[] = {
    F(kfd_ioctl_wait_events_args, events_ptr, kPtr, kIn),
    F(kfd_ioctl_wait_events_args, num_events, kUnsigned, kIn),
    F(kfd_ioctl_wait_events_args, wait_for_all, kUnsigned, kIn),
    F(kfd_ioctl_wait_events_args, timeout, kUnsigned, kIn),
    F(kfd_ioctl_wait_events_args, wait_result, kEnum, kOut, kWaitResultNames, kWaitResultPrefix),
};

constexpr ArgField kDbgRegisterFields[] = {
    F(kfd_ioctl_dbg_register_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_dbg_register_args, pad, kPad, kIn),
};
constexpr ArgField kDbgUnregisterFields[] = {
    F(kfd_ioctl_dbg_unregister_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_dbg_unregister_args, pad, kPad, kIn),
};
constexpr ArgField kDbgAddressWatchFields[] = {
    F(kfd_ioctl_dbg_address_watch_args, content_ptr, kPtr, kIn),
    F(kfd_ioctl_dbg_address_watch_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_dbg_address_watch_args, buf_size_in_bytes, kUnsigned, kIn),
};
constexpr ArgField kDbgWaveControlFields[] = {
    F(kfd_ioctl_dbg_wave_control_args, content_ptr, kPtr, kIn),
    F(kfd_ioctl_dbg_wave_control_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_dbg_wave_control_args, buf_size_in_bytes, kUnsigned, kIn),
};

constexpr ArgField kSetScratchBackingVaFields[] = {
    F(kfd_ioctl_set_scratch_backing_va_args, va_addr, kHex, kIn),
    F(kfd_ioctl_set_scratch_backing_va_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_set_scratch_backing_va_args, pad, kPad, kIn),
};

constexpr ArgField kGetTileConfigFields[] = {
    F(kfd_ioctl_get_tile_config_args, tile_config_ptr, kPtr, kIn),
    F(kfd_ioctl_get_tile_config_args, macro_tile_config_ptr, kPtr, kIn),
    F(kfd_ioctl_get_tile_config_args, num_tile_configs, kUnsigned, kInOut),
    F(kfd_ioctl_get_tile_config_args, num_macro_tile_configs, kUnsigned, kInOut),
    F(kfd_ioctl_get_tile_config_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_get_tile_config_args, gb_addr_config, kHex, kOut),
    F(kfd_ioctl_get_tile_config_args, num_banks, kUnsigned, kOut),
    F(kfd_ioctl_get_tile_config_args, num_ranks, kUnsigned, kOut),
};

constexpr ArgField kSetTrapHandlerFields[] = {
    F(kfd_ioctl_set_trap_handler_args, tba_addr, kHex, kIn),
    F(kfd_ioctl_set_trap_handler_args, tma_addr, kHex, kIn),
    F(kfd_ioctl_set_trap_handler_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_set_trap_handler_args, pad, kPad, kIn),
};

constexpr ArgField kGetProcessAperturesNewFields[] = {
    F(kfd_ioctl_get_process_apertures_new_args, kfd_process_device_apertures_ptr, kPtr, kIn),
    F(kfd_ioctl_get_process_apertures_new_args, num_of_nodes, kUnsigned, kInOut),
    F(kfd_ioctl_get_process_apertures_new_args, pad, kPad, kIn),
};

constexpr ArgField kAcquireVmFields[] = {
    F(kfd_ioctl_acquire_vm_args, drm_fd, kFd, kIn),
    F(kfd_ioctl_acquire_vm_args, gpu_id, kUnsigned, kIn),
};

constexpr ArgField kAllocMemoryOfGpuFields[] = {
    F(kfd_ioctl_alloc_memory_of_gpu_args, va_addr, kHex, kIn),
    F(kfd_ioctl_alloc_memory_of_gpu_args, size, kUnsigned, kIn),
    F(kfd_ioctl_alloc_memory_of_gpu_args, handle, kHex, kOut, {}, {}, core::ArgRole::kHandle, "kfd.mem"),
    // In: the CPU address for USERPTR; out: the render-node (or /dev/kfd) mmap offset.
    F(kfd_ioctl_alloc_memory_of_gpu_args, mmap_offset, kHex, kInOut, {}, {},
      core::ArgRole::kMmapOffset),
    F(kfd_ioctl_alloc_memory_of_gpu_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_alloc_memory_of_gpu_args, flags, kFlags, kIn, kAllocFlagNames, kAllocFlagPrefix),
};

constexpr ArgField kFreeMemoryOfGpuFields[] = {
    F(kfd_ioctl_free_memory_of_gpu_args, handle, kHex, kIn, {}, {}, core::ArgRole::kHandle, "kfd.mem"),
};

constexpr ArgField kMapMemoryToGpuFields[] = {
    F(kfd_ioctl_map_memory_to_gpu_args, handle, kHex, kIn, {}, {}, core::ArgRole::kHandle, "kfd.mem"),
    F(kfd_ioctl_map_memory_to_gpu_args, device_ids_array_ptr, kPtr, kIn),
    F(kfd_ioctl_map_memory_to_gpu_args, n_devices, kUnsigned, kIn),
    F(kfd_ioctl_map_memory_to_gpu_args, n_success, kUnsigned, kInOut),
};
constexpr ArgField kUnmapMemoryFromGpuFields[] = {
    F(kfd_ioctl_unmap_memory_from_gpu_args, handle, kHex, kIn, {}, {}, core::ArgRole::kHandle, "kfd.mem"),
    F(kfd_ioctl_unmap_memory_from_gpu_args, device_ids_array_ptr, kPtr, kIn),
    F(kfd_ioctl_unmap_memory_from_gpu_args, n_devices, kUnsigned, kIn),
    F(kfd_ioctl_unmap_memory_from_gpu_args, n_success, kUnsigned, kInOut),
};

constexpr ArgField kSetCuMaskFields[] = {
    F(kfd_ioctl_set_cu_mask_args, queue_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kfd.queue"),
    F(kfd_ioctl_set_cu_mask_args, num_cu_mask, kUnsigned, kIn),
    F(kfd_ioctl_set_cu_mask_args, cu_mask_ptr, kPtr, kIn),
};

constexpr ArgField kGetQueueWaveStateFields[] = {
    F(kfd_ioctl_get_queue_wave_state_args, ctl_stack_address, kHex, kIn),
    F(kfd_ioctl_get_queue_wave_state_args, ctl_stack_used_size, kUnsigned, kOut),
    F(kfd_ioctl_get_queue_wave_state_args, save_area_used_size, kUnsigned, kOut),
    F(kfd_ioctl_get_queue_wave_state_args, queue_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kfd.queue"),
    F(kfd_ioctl_get_queue_wave_state_args, pad, kPad, kIn),
};

constexpr ArgField kGetDmabufInfoFields[] = {
    F(kfd_ioctl_get_dmabuf_info_args, size, kUnsigned, kOut),
    F(kfd_ioctl_get_dmabuf_info_args, metadata_ptr, kPtr, kIn),
    F(kfd_ioctl_get_dmabuf_info_args, metadata_size, kUnsigned, kInOut),
    F(kfd_ioctl_get_dmabuf_info_args, gpu_id, kUnsigned, kOut),
    F(kfd_ioctl_get_dmabuf_info_args, flags, kFlags, kOut, kAllocFlagNames, kAllocFlagPrefix),
    F(kfd_ioctl_get_dmabuf_info_args, dmabuf_fd, kFd, kIn),
};

constexpr ArgField kImportDmabufFields[] = {
    F(kfd_ioctl_import_dmabuf_args, va_addr, kHex, kIn),
    F(kfd_ioctl_import_dmabuf_args, handle, kHex, kOut, {}, {}, core::ArgRole::kHandle, "kfd.mem"),
    F(kfd_ioctl_import_dmabuf_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_import_dmabuf_args, dmabuf_fd, kFd, kIn),
};

constexpr ArgField kAllocQueueGwsFields[] = {
    F(kfd_ioctl_alloc_queue_gws_args, queue_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kfd.queue"),
    F(kfd_ioctl_alloc_queue_gws_args, num_gws, kUnsigned, kIn),
    F(kfd_ioctl_alloc_queue_gws_args, first_gws, kUnsigned, kOut),
    F(kfd_ioctl_alloc_queue_gws_args, pad, kPad, kIn),
};

constexpr ArgField kSmiEventsFields[] = {
    F(kfd_ioctl_smi_events_args, gpuid, kUnsigned, kIn),
    F(kfd_ioctl_smi_events_args, anon_fd, kFd, kOut),
};

constexpr ArgField kSvmFields[] = {
    F(kfd_ioctl_svm_args, start_addr, kHex, kIn),
    F(kfd_ioctl_svm_args, size, kHex, kIn),
    F(kfd_ioctl_svm_args, op, kEnum, kIn, kSvmOpNames, kSvmOpPrefix),
    F(kfd_ioctl_svm_args, nattr, kUnsigned, kIn),
};

constexpr ArgField kSetXnackModeFields[] = {
    // In: < 0 queries, 0 disables, > 0 enables; out: the mode in effect.
    F(kfd_ioctl_set_xnack_mode_args, xnack_enabled, kSigned, kInOut),
};

constexpr ArgField kCriuOpFields[] = {
    F(kfd_ioctl_criu_args, devices, kPtr, kIn),
    F(kfd_ioctl_criu_args, bos, kPtr, kIn),
    F(kfd_ioctl_criu_args, priv_data, kPtr, kIn),
    F(kfd_ioctl_criu_args, priv_data_size, kUnsigned, kInOut),
    F(kfd_ioctl_criu_args, num_devices, kUnsigned, kInOut),
    F(kfd_ioctl_criu_args, num_bos, kUnsigned, kInOut),
    F(kfd_ioctl_criu_args, num_objects, kUnsigned, kInOut),
    F(kfd_ioctl_criu_args, pid, kUnsigned, kInOut),
    F(kfd_ioctl_criu_args, op, kEnum, kIn, kCriuOpNames, kCriuOpPrefix),
};

constexpr ArgField kAvailableMemoryFields[] = {
    F(kfd_ioctl_get_available_memory_args, available, kUnsigned, kOut),
    F(kfd_ioctl_get_available_memory_args, gpu_id, kUnsigned, kIn),
    F(kfd_ioctl_get_available_memory_args, pad, kPad, kIn),
};

constexpr ArgField kExportDmabufFields[] = {
    F(kfd_ioctl_export_dmabuf_args_v112, handle, kHex, kIn, {}, {}, core::ArgRole::kHandle, "kfd.mem"),
    F(kfd_ioctl_export_dmabuf_args_v112, flags, kHex, kIn),
    F(kfd_ioctl_export_dmabuf_args_v112, dmabuf_fd, kFd, kOut),
};

constexpr ArgField kRuntimeEnableFields[] = {
    F(kfd_ioctl_runtime_enable_args_v113, r_debug, kHex, kIn),
    F(kfd_ioctl_runtime_enable_args_v113, mode_mask, kFlags, kIn, kRuntimeEnableModeNames,
      kRuntimeEnableModePrefix),
    F(kfd_ioctl_runtime_enable_args_v113, capabilities_mask, kHex, kOut),
};

constexpr ArgField kDbgTrapFields[] = {
    F(kfd_ioctl_dbg_trap_args_v113, pid, kUnsigned, kIn),
    F(kfd_ioctl_dbg_trap_args_v113, op, kEnum, kIn, kDbgTrapOpNames, kDbgTrapOpPrefix),
    F(kfd_ioctl_dbg_trap_args_v113, op_args, kBytes, kInOut),
};

// ---------------------------------------------------------------------------------------------
// Nested user buffers (core::BufferRef): what the sniffer captures, the decoder prints and the
// replayer copies. Tags are unique per row; sizes as kfd_chardev.c copies them.

// kfd_event_data_v114, one WAIT_EVENTS entry (the union shown through its signal view).
constexpr ArgField kEventDataFields[] = {
    ArgField{"last_event_age", 0, 8, core::ArgKind::kUnsigned, core::ArgDir::kInOut},
    F(kfd_event_data_v114, kfd_event_data_ext, kPtr, kIn),
    F(kfd_event_data_v114, event_id, kUnsigned, kIn),
    F(kfd_event_data_v114, pad, kPad, kIn),
};
// One uint32_t gpu_id of a device-id array (MAP/UNMAP_MEMORY_TO_GPU).
constexpr ArgField kGpuIdElemFields[] = {
    ArgField{"gpu_id", 0, 4, core::ArgKind::kUnsigned, core::ArgDir::kIn},
};
constexpr ArgField kDeviceAperturesFields[] = {
    F(kfd_process_device_apertures, lds_base, kHex, kOut),
    F(kfd_process_device_apertures, lds_limit, kHex, kOut),
    F(kfd_process_device_apertures, scratch_base, kHex, kOut),
    F(kfd_process_device_apertures, scratch_limit, kHex, kOut),
    F(kfd_process_device_apertures, gpuvm_base, kHex, kOut),
    F(kfd_process_device_apertures, gpuvm_limit, kHex, kOut),
    F(kfd_process_device_apertures, gpu_id, kUnsigned, kOut),
    F(kfd_process_device_apertures, pad, kPad, kOut),
};
constexpr ArgField kTileConfigElemFields[] = {
    ArgField{"value", 0, 4, core::ArgKind::kHex, core::ArgDir::kOut},
};

// SET_CU_MASK copies num_cu_mask / 32 words (kfd_ioctl_set_cu_mask: cu_mask_size =
// sizeof(uint32_t) * (num_cu_mask / 32)).
uint64_t cu_mask_bytes(std::span<const uint8_t> arg, uint32_t /*version*/) {
  constexpr size_t at = offsetof(kfd_ioctl_set_cu_mask_args, num_cu_mask);
  if (arg.size() < at + 4) return 0;
  const uint32_t n = static_cast<uint32_t>(arg[at]) | static_cast<uint32_t>(arg[at + 1]) << 8 |
                     static_cast<uint32_t>(arg[at + 2]) << 16 |
                     static_cast<uint32_t>(arg[at + 3]) << 24;
  return static_cast<uint64_t>(n / 32) * 4;
}

constexpr core::BufferRef kWaitEventsBuffers[] = {
    {.tag = 1, .name = "events", .ptr_field = "events_ptr", .count_field = "num_events",
     .elem_size = sizeof(kfd_event_data_v114), .dir = core::ArgDir::kInOut,
     .elem_type = "kfd_event_data", .elem_fields = kEventDataFields},
};
constexpr core::BufferRef kDeviceIdsBuffers[] = {
    {.tag = 1, .name = "device_ids", .ptr_field = "device_ids_array_ptr",
     .count_field = "n_devices", .elem_size = 4, .dir = core::ArgDir::kIn,
     .elem_type = "uint32_t", .elem_fields = kGpuIdElemFields},
};
constexpr core::BufferRef kGetProcessAperturesNewBuffers[] = {
    {.tag = 1, .name = "apertures", .ptr_field = "kfd_process_device_apertures_ptr",
     .count_field = "num_of_nodes", .elem_size = sizeof(kfd_process_device_apertures),
     .dir = core::ArgDir::kOut, .elem_type = "kfd_process_device_apertures",
     .elem_fields = kDeviceAperturesFields},
};
constexpr core::BufferRef kGetDmabufInfoBuffers[] = {
    {.tag = 1, .name = "metadata", .ptr_field = "metadata_ptr", .count_field = "metadata_size",
     .elem_size = 1, .dir = core::ArgDir::kOut},
};
constexpr core::BufferRef kGetTileConfigBuffers[] = {
    {.tag = 1, .name = "tile_config", .ptr_field = "tile_config_ptr",
     .count_field = "num_tile_configs", .elem_size = 4, .dir = core::ArgDir::kOut,
     .elem_type = "uint32_t", .elem_fields = kTileConfigElemFields},
    {.tag = 2, .name = "macro_tile_config", .ptr_field = "macro_tile_config_ptr",
     .count_field = "num_macro_tile_configs", .elem_size = 4, .dir = core::ArgDir::kOut,
     .elem_type = "uint32_t", .elem_fields = kTileConfigElemFields},
};
constexpr core::BufferRef kSetCuMaskBuffers[] = {
    {.tag = 1, .name = "cu_mask", .ptr_field = "cu_mask_ptr", .dir = core::ArgDir::kIn,
     .elem_type = "uint32_t", .size_of = cu_mask_bytes},
};
constexpr core::BufferRef kDbgContentBuffers[] = {
    {.tag = 1, .name = "content", .ptr_field = "content_ptr", .count_field = "buf_size_in_bytes",
     .elem_size = 1, .dir = core::ArgDir::kIn},
};
// CRIU buckets: struct kfd_criu_device_bucket (16 bytes) and kfd_criu_bo_bucket (48 bytes) of
// include/uapi/linux/kfd_ioctl.h (KFD 1.8); priv_data is opaque to user space.
constexpr core::BufferRef kCriuOpBuffers[] = {
    {.tag = 1, .name = "devices", .ptr_field = "devices", .count_field = "num_devices",
     .elem_size = 16, .dir = core::ArgDir::kInOut, .elem_type = "kfd_criu_device_bucket"},
    {.tag = 2, .name = "bos", .ptr_field = "bos", .count_field = "num_bos", .elem_size = 48,
     .dir = core::ArgDir::kInOut, .elem_type = "kfd_criu_bo_bucket"},
    {.tag = 3, .name = "priv_data", .ptr_field = "priv_data", .count_field = "priv_data_size",
     .elem_size = 1, .dir = core::ArgDir::kInOut},
};

#undef F
#undef N

// ---------------------------------------------------------------------------------------------
// Errno hints: one sentence a user can act on. Row hints first, then kCommonHints.

constexpr ErrnoHint kCreateQueueHints[] = {
    {EINVAL,
     "check gpu_id, ring_size (a power of two), queue_percentage (<= 100), queue_priority "
     "(<= 15), sdma_engine_id, and that the ring, rptr/wptr page, EOP and CWSR buffers are "
     "mapped to this GPU with exactly the sizes the kernel expects (cwsr_size/ctl_stack_size "
     "from topology)"},
    {ESRCH, "this process has no VM on that GPU: call AMDKFD_IOC_ACQUIRE_VM first"},
    {kENOTSUPP,
     "ENOTSUPP (524): unknown queue type for this kernel (KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID "
     "needs KFD 1.17)"},
    {EFAULT, "a ring, rptr, wptr, EOP or CWSR address is not a valid user pointer"},
    {EBUSY, "no free doorbell or hardware queue slot; destroy unused queues"},
};
constexpr ErrnoHint kQueueIdHints[] = {
    {EINVAL, "unknown queue_id (already destroyed, or created through another /dev/kfd fd?)"},
};
constexpr ErrnoHint kUpdateQueueHints[] = {
    {EINVAL,
     "unknown queue_id, or ring_size not a power of two, queue_percentage > 100 or "
     "queue_priority > 15"},
    {EFAULT, "ring_base_address is not a valid user pointer"},
};
constexpr ErrnoHint kSetMemoryPolicyHints[] = {
    {EINVAL,
     "policies must be KFD_IOC_CACHE_POLICY_COHERENT or _NONCOHERENT, gpu_id must exist, and "
     "misc_process_flag needs KFD 1.18 (gfx9.5)"},
};
constexpr ErrnoHint kCreateEventHints[] = {
    {EINVAL,
     "bad event_type, or the event page was already set or is smaller than 32 KiB (pass the "
     "event page's alloc handle only on the first CREATE_EVENT)"},
    {ENOSPC, "all signal event slots are in use; destroy events you no longer need"},
    {ENOMEM, "the kernel could not allocate the event or its page"},
};
constexpr ErrnoHint kEventIdHints[] = {
    {EINVAL, "unknown event_id, or SET/RESET on an event that is not a signal event"},
};
constexpr ErrnoHint kWaitEventsHints[] = {
    {EINVAL, "an event_id in the array is unknown (destroyed?)"},
    {EFAULT, "events_ptr does not point to num_events readable kfd_event_data entries"},
};
constexpr ErrnoHint kDbgDeprecatedHints[] = {
    {EPERM, "deprecated debugger ioctl: every kernel refuses it; use AMDKFD_IOC_DBG_TRAP"},
};
constexpr ErrnoHint kGpuIdHints[] = {
    {EINVAL, "unknown gpu_id (see the topology's gpu_id files) or invalid argument"},
};
constexpr ErrnoHint kAcquireVmHints[] = {
    {EINVAL, "drm_fd is not an open amdgpu render node, or gpu_id is unknown"},
    {EBUSY,
     "the VM of this GPU was already acquired with another DRM file; pass the same render-node "
     "fd every time"},
};
constexpr ErrnoHint kAllocMemoryOfGpuHints[] = {
    {EINVAL,
     "check gpu_id/flags/size; PUBLIC|VRAM on a small-BAR GPU needs resizable BAR (enable "
     "Above 4G Decoding and Re-Size BAR in the firmware)"},
    {ENOMEM, "out of GPU memory; free buffers or allocate less"},
    {EADDRINUSE, "va_addr overlaps an SVM-registered range; choose another address"},
};
constexpr ErrnoHint kFreeMemoryOfGpuHints[] = {
    {EBUSY, "buffer still mapped; unmap first"},
    {EPERM, "this is the event page; it lives until the process closes /dev/kfd"},
    {EINVAL, "unknown handle (already freed?)"},
};
constexpr ErrnoHint kMapMemoryToGpuHints[] = {
    {EINVAL, "n_devices is 0, n_success > n_devices, or a gpu_id in the array is unknown"},
    {ENOMEM, "unknown handle (already freed?) or no memory for page tables"},
    {EFAULT, "device_ids_array_ptr does not point to n_devices readable gpu_ids"},
};
constexpr ErrnoHint kUnmapMemoryFromGpuHints[] = {
    {EINVAL, "the buffer is not mapped on that GPU, or a gpu_id in the array is unknown"},
    {EBUSY, "the buffer backs a live queue (ring, rptr/wptr, EOP or CWSR); destroy it first"},
    {EFAULT, "device_ids_array_ptr does not point to n_devices readable gpu_ids"},
};
constexpr ErrnoHint kSetCuMaskHints[] = {
    {EINVAL, "num_cu_mask must be a non-zero multiple of 32 (at most 1024), queue_id known"},
};
constexpr ErrnoHint kSvmHints[] = {
    {EINVAL, "start_addr and size must be page-aligned and non-zero; check the attributes"},
};
constexpr ErrnoHint kSetXnackModeHints[] = {
    {EBUSY, "queues exist; set the XNACK mode before creating queues"},
    {EPERM, "this GPU or kernel cannot switch XNACK mode"},
};
constexpr ErrnoHint kCriuOpHints[] = {
    {EACCES, "CRIU needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN"},
};
constexpr ErrnoHint kRuntimeEnableHints[] = {
    {EBUSY, "a runtime enable is already pending"},
    {EEXIST, "user queues already exist; call RUNTIME_ENABLE before CREATE_QUEUE"},
};

constexpr ErrnoHint kCommonHints[] = {
    {ENOTTY,
     "the running KFD does not know this ioctl (kernel older than the row's KFD version); "
     "check GET_VERSION"},
    {EBADF,
     "the /dev/kfd fd is closed or was opened by another process (after fork?); open "
     "/dev/kfd in each process"},
    {EFAULT, "an argument pointer is not valid user memory"},
    {EINTR, "interrupted by a signal; retry the call"},
    {ENODEV, "the GPU is gone or being reset"},
};

// ---------------------------------------------------------------------------------------------
// The table.

#define RAWGPU_KFD_ROW_DESC(ID, NAME, NR, DIR, ARGS, ...) \
  core::IoctlDesc{.name = "AMDKFD_IOC_" #NAME,            \
                  .args_type = #ARGS,                     \
                  .magic = kKfdIoctlMagic,                \
                  .nr = NR,                               \
                  .dir = core::IoctlDir::DIR,             \
                  .size = args_size<ARGS>,                \
                  __VA_ARGS__},
constexpr core::IoctlDesc kRows[] = {RAWGPU_KFD_IOCTLS(RAWGPU_KFD_ROW_DESC)};
#undef RAWGPU_KFD_ROW_DESC
static_assert(std::size(kRows) == kKfdIoctlCount);

// The enum and the array come from the same list; check the correspondence anyway.
#define RAWGPU_KFD_ROW_CHECK(ID, NAME, NR, DIR, ARGS, ...)             \
  static_assert(kRows[static_cast<size_t>(KfdIoctl::ID)].nr == (NR) && \
                kRows[static_cast<size_t>(KfdIoctl::ID)].size == args_size<ARGS>);
RAWGPU_KFD_IOCTLS(RAWGPU_KFD_ROW_CHECK)
#undef RAWGPU_KFD_ROW_CHECK

constexpr core::IoctlTable kTable{.driver = "kfd", .rows = kRows, .common_hints = kCommonHints};

}  // namespace

const core::IoctlTable& kfd_ioctls() { return kTable; }

const core::IoctlDesc& kfd_ioctl(KfdIoctl id) { return kRows[static_cast<size_t>(id)]; }

std::span<const core::NamedValue> alloc_flag_names() { return kAllocFlagNames; }
std::span<const core::NamedValue> queue_type_names() { return kQueueTypeNames; }
std::span<const core::NamedValue> event_type_names() { return kEventTypeNames; }
std::span<const core::NamedValue> wait_result_names() { return kWaitResultNames; }

}  // namespace rawgpu::kfd

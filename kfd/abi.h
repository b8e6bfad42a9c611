// rawgpu — AMD KFD ABI: the kernel's UAPI header, plus what it lacks, asserted against the
// published layouts (shared/abi/amd-kfd.md §2.3/§2.4, §3, §5).
//
// The argument structs come from <linux/kfd_ioctl.h>. The build machine's header (Debian
// linux-libc-dev 6.1) is KFD 1.11; later minors added fields, ioctls and flags. Those are declared
// here in rawgpu::kfd (STYLE rules 3 and 4):
//   - a changed layout becomes a new type with the version suffix of the minor that introduced it
//     (kfd_ioctl_create_queue_args_v117); the old layout stays, under its own versioned name;
//   - an ioctl or constant the header lacks gets the kernel's exact name, declared only when the
//     header does not already define it (#ifndef), so newer headers keep working. Use those names
//     unqualified (`AMDKFD_IOC_RUNTIME_ENABLE`, never `kfd::AMDKFD_IOC_RUNTIME_ENABLE`): with a
//     newer header they are the header's macros.
// Every struct declared here has static_asserts on its size and on every field offset.
//
// Debian ships linux/kfd_ioctl.h (linux-libc-dev) but not the <drm/drm.h> it includes: Debian's
// DRM UAPI headers live in libdrm-dev under /usr/include/libdrm. When <drm/drm.h> cannot be
// found, the block below mirrors the KFD 1.11 header instead (same global names, same layouts,
// the same static_asserts as the header path). With a <drm/drm.h> on the include path the real
// header is used.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ioctl_desc.h"

#if __has_include(<drm/drm.h>)
#include <linux/kfd_ioctl.h>
#define RAWGPU_KFD_UAPI_HEADER 1
#else
#define RAWGPU_KFD_UAPI_HEADER 0
#include <linux/ioctl.h>

// Mirrors include/uapi/linux/kfd_ioctl.h @ KFD 1.11 (Linux 6.1, Debian linux-libc-dev). Only
// fixed-width types; the layouts are asserted below, together with the header path's.
#define KFD_IOCTL_MAJOR_VERSION 1
#define KFD_IOCTL_MINOR_VERSION 11

struct kfd_ioctl_get_version_args {
  uint32_t major_version;
  uint32_t minor_version;
};

#define KFD_IOC_QUEUE_TYPE_COMPUTE 0x0
#define KFD_IOC_QUEUE_TYPE_SDMA 0x1
#define KFD_IOC_QUEUE_TYPE_COMPUTE_AQL 0x2
#define KFD_IOC_QUEUE_TYPE_SDMA_XGMI 0x3
#define KFD_MAX_QUEUE_PERCENTAGE 100
#define KFD_MAX_QUEUE_PRIORITY 15
#define KFD_MIN_QUEUE_RING_SIZE 1024

struct kfd_ioctl_create_queue_args {
  uint64_t ring_base_address;
  uint64_t write_pointer_address;
  uint64_t read_pointer_address;
  uint64_t doorbell_offset;
  uint32_t ring_size;
  uint32_t gpu_id;
  uint32_t queue_type;
  uint32_t queue_percentage;
  uint32_t queue_priority;
  uint32_t queue_id;
  uint64_t eop_buffer_address;
  uint64_t eop_buffer_size;
  uint64_t ctx_save_restore_address;
  uint32_t ctx_save_restore_size;
  uint32_t ctl_stack_size;
};
struct kfd_ioctl_destroy_queue_args {
  uint32_t queue_id;
  uint32_t pad;
};
struct kfd_ioctl_update_queue_args {
  uint64_t ring_base_address;
  uint32_t queue_id;
  uint32_t ring_size;
  uint32_t queue_percentage;
  uint32_t queue_priority;
};
struct kfd_ioctl_set_cu_mask_args {
  uint32_t queue_id;
  uint32_t num_cu_mask;
  uint64_t cu_mask_ptr;
};
struct kfd_ioctl_get_queue_wave_state_args {
  uint64_t ctl_stack_address;
  uint32_t ctl_stack_used_size;
  uint32_t save_area_used_size;
  uint32_t queue_id;
  uint32_t pad;
};
struct kfd_ioctl_get_available_memory_args {
  uint64_t available;
  uint32_t gpu_id;
  uint32_t pad;
};

#define KFD_IOC_CACHE_POLICY_COHERENT 0
#define KFD_IOC_CACHE_POLICY_NONCOHERENT 1

struct kfd_ioctl_set_memory_policy_args {
  uint64_t alternate_aperture_base;
  uint64_t alternate_aperture_size;
  uint32_t gpu_id;
  uint32_t default_policy;
  uint32_t alternate_policy;
  uint32_t pad;
};
struct kfd_ioctl_get_clock_counters_args {
  uint64_t gpu_clock_counter;
  uint64_t cpu_clock_counter;
  uint64_t system_clock_counter;
  uint64_t system_clock_freq;
  uint32_t gpu_id;
  uint32_t pad;
};
struct kfd_process_device_apertures {
  uint64_t lds_base;
  uint64_t lds_limit;
  uint64_t scratch_base;
  uint64_t scratch_limit;
  uint64_t gpuvm_base;
  uint64_t gpuvm_limit;
  uint32_t gpu_id;
  uint32_t pad;
};

#define NUM_OF_SUPPORTED_GPUS 7

struct kfd_ioctl_get_process_apertures_args {
  kfd_process_device_apertures process_apertures[NUM_OF_SUPPORTED_GPUS];
  uint32_t num_of_nodes;
  uint32_t pad;
};
struct kfd_ioctl_get_process_apertures_new_args {
  uint64_t kfd_process_device_apertures_ptr;
  uint32_t num_of_nodes;
  uint32_t pad;
};
struct kfd_ioctl_dbg_register_args {
  uint32_t gpu_id;
  uint32_t pad;
};
struct kfd_ioctl_dbg_unregister_args {
  uint32_t gpu_id;
  uint32_t pad;
};
struct kfd_ioctl_dbg_address_watch_args {
  uint64_t content_ptr;
  uint32_t gpu_id;
  uint32_t buf_size_in_bytes;
};
struct kfd_ioctl_dbg_wave_control_args {
  uint64_t content_ptr;
  uint32_t gpu_id;
  uint32_t buf_size_in_bytes;
};

#define KFD_INVALID_FD 0xffffffff
#define KFD_IOC_EVENT_SIGNAL 0
#define KFD_IOC_EVENT_NODECHANGE 1
#define KFD_IOC_EVENT_DEVICESTATECHANGE 2
#define KFD_IOC_EVENT_HW_EXCEPTION 3
#define KFD_IOC_EVENT_SYSTEM_EVENT 4
#define KFD_IOC_EVENT_DEBUG_EVENT 5
#define KFD_IOC_EVENT_PROFILE_EVENT 6
#define KFD_IOC_EVENT_QUEUE_EVENT 7
#define KFD_IOC_EVENT_MEMORY 8
#define KFD_IOC_WAIT_RESULT_COMPLETE 0
#define KFD_IOC_WAIT_RESULT_TIMEOUT 1
#define KFD_IOC_WAIT_RESULT_FAIL 2
#define KFD_SIGNAL_EVENT_LIMIT 4096
#define KFD_HW_EXCEPTION_WHOLE_GPU_RESET 0
#define KFD_HW_EXCEPTION_PER_ENGINE_RESET 1
#define KFD_HW_EXCEPTION_GPU_HANG 0
#define KFD_HW_EXCEPTION_ECC 1
#define KFD_MEM_ERR_NO_RAS 0
#define KFD_MEM_ERR_SRAM_ECC 1
#define KFD_MEM_ERR_POISON_CONSUMED 2
#define KFD_MEM_ERR_GPU_HANG 3

struct kfd_ioctl_create_event_args {
  uint64_t event_page_offset;
  uint32_t event_trigger_data;
  uint32_t event_type;
  uint32_t auto_reset;
  uint32_t node_id;
  uint32_t event_id;
  uint32_t event_slot_index;
};
struct kfd_ioctl_destroy_event_args {
  uint32_t event_id;
  uint32_t pad;
};
struct kfd_ioctl_set_event_args {
  uint32_t event_id;
  uint32_t pad;
};
struct kfd_ioctl_reset_event_args {
  uint32_t event_id;
  uint32_t pad;
};
struct kfd_memory_exception_failure {
  uint32_t NotPresent;
  uint32_t ReadOnly;
  uint32_t NoExecute;
  uint32_t imprecise;
};
struct kfd_hsa_memory_exception_data {
  kfd_memory_exception_failure failure;
  uint64_t va;
  uint32_t gpu_id;
  uint32_t ErrorType;
};
struct kfd_hsa_hw_exception_data {
  uint32_t reset_type;
  uint32_t reset_cause;
  uint32_t memory_lost;
  uint32_t gpu_id;
};
struct kfd_event_data {
  union {
    kfd_hsa_memory_exception_data memory_exception_data;
    kfd_hsa_hw_exception_data hw_exception_data;
  };
  uint64_t kfd_event_data_ext;
  uint32_t event_id;
  uint32_t pad;
};
struct kfd_ioctl_wait_events_args {
  uint64_t events_ptr;
  uint32_t num_events;
  uint32_t wait_for_all;
  uint32_t timeout;
  uint32_t wait_result;
};
struct kfd_ioctl_set_scratch_backing_va_args {
  uint64_t va_addr;
  uint32_t gpu_id;
  uint32_t pad;
};
struct kfd_ioctl_get_tile_config_args {
  uint64_t tile_config_ptr;
  uint64_t macro_tile_config_ptr;
  uint32_t num_tile_configs;
  uint32_t num_macro_tile_configs;
  uint32_t gpu_id;
  uint32_t gb_addr_config;
  uint32_t num_banks;
  uint32_t num_ranks;
};
struct kfd_ioctl_set_trap_handler_args {
  uint64_t tba_addr;
  uint64_t tma_addr;
  uint32_t gpu_id;
  uint32_t pad;
};
struct kfd_ioctl_acquire_vm_args {
  uint32_t drm_fd;
  uint32_t gpu_id;
};

#define KFD_IOC_ALLOC_MEM_FLAGS_VRAM (1 << 0)
#define KFD_IOC_ALLOC_MEM_FLAGS_GTT (1 << 1)
#define KFD_IOC_ALLOC_MEM_FLAGS_USERPTR (1 << 2)
#define KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL (1 << 3)
#define KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP (1 << 4)
#define KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE (1 << 31)
#define KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE (1 << 30)
#define KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC (1 << 29)
#define KFD_IOC_ALLOC_MEM_FLAGS_NO_SUBSTITUTE (1 << 28)
#define KFD_IOC_ALLOC_MEM_FLAGS_AQL_QUEUE_MEM (1 << 27)
#define KFD_IOC_ALLOC_MEM_FLAGS_COHERENT (1 << 26)
#define KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED (1 << 25)

struct kfd_ioctl_alloc_memory_of_gpu_args {
  uint64_t va_addr;
  uint64_t size;
  uint64_t handle;
  uint64_t mmap_offset;
  uint32_t gpu_id;
  uint32_t flags;
};
struct kfd_ioctl_free_memory_of_gpu_args {
  uint64_t handle;
};
struct kfd_ioctl_map_memory_to_gpu_args {
  uint64_t handle;
  uint64_t device_ids_array_ptr;
  uint32_t n_devices;
  uint32_t n_success;
};
struct kfd_ioctl_unmap_memory_from_gpu_args {
  uint64_t handle;
  uint64_t device_ids_array_ptr;
  uint32_t n_devices;
  uint32_t n_success;
};
struct kfd_ioctl_alloc_queue_gws_args {
  uint32_t queue_id;
  uint32_t num_gws;
  uint32_t first_gws;
  uint32_t pad;
};
struct kfd_ioctl_get_dmabuf_info_args {
  uint64_t size;
  uint64_t metadata_ptr;
  uint32_t metadata_size;
  uint32_t gpu_id;
  uint32_t flags;
  uint32_t dmabuf_fd;
};
struct kfd_ioctl_import_dmabuf_args {
  uint64_t va_addr;
  uint64_t handle;
  uint32_t gpu_id;
  uint32_t dmabuf_fd;
};
struct kfd_ioctl_smi_events_args {
  uint32_t gpuid;
  uint32_t anon_fd;
};

enum kfd_criu_op {
  KFD_CRIU_OP_PROCESS_INFO,
  KFD_CRIU_OP_CHECKPOINT,
  KFD_CRIU_OP_UNPAUSE,
  KFD_CRIU_OP_RESTORE,
  KFD_CRIU_OP_RESUME,
};
struct kfd_ioctl_criu_args {
  uint64_t devices;
  uint64_t bos;
  uint64_t priv_data;
  uint64_t priv_data_size;
  uint32_t num_devices;
  uint32_t num_bos;
  uint32_t num_objects;
  uint32_t pid;
  uint32_t op;
};

enum kfd_ioctl_svm_op { KFD_IOCTL_SVM_OP_SET_ATTR, KFD_IOCTL_SVM_OP_GET_ATTR };
struct kfd_ioctl_svm_attribute {
  uint32_t type;
  uint32_t value;
};
// The kernel's struct ends in a flexible array `kfd_ioctl_svm_attribute attrs[]` (not valid
// C++); the row describes it as trailing entries of 8 bytes.
struct kfd_ioctl_svm_args {
  uint64_t start_addr;
  uint64_t size;
  uint32_t op;
  uint32_t nattr;
};
struct kfd_ioctl_set_xnack_mode_args {
  int32_t xnack_enabled;
};

#define AMDKFD_IOCTL_BASE 'K'
#define AMDKFD_IO(nr) _IO(AMDKFD_IOCTL_BASE, nr)
#define AMDKFD_IOR(nr, type) _IOR(AMDKFD_IOCTL_BASE, nr, type)
#define AMDKFD_IOW(nr, type) _IOW(AMDKFD_IOCTL_BASE, nr, type)
#define AMDKFD_IOWR(nr, type) _IOWR(AMDKFD_IOCTL_BASE, nr, type)

#define AMDKFD_IOC_GET_VERSION AMDKFD_IOR(0x01, struct kfd_ioctl_get_version_args)
#define AMDKFD_IOC_CREATE_QUEUE AMDKFD_IOWR(0x02, struct kfd_ioctl_create_queue_args)
#define AMDKFD_IOC_DESTROY_QUEUE AMDKFD_IOWR(0x03, struct kfd_ioctl_destroy_queue_args)
#define AMDKFD_IOC_SET_MEMORY_POLICY AMDKFD_IOW(0x04, struct kfd_ioctl_set_memory_policy_args)
#define AMDKFD_IOC_GET_CLOCK_COUNTERS AMDKFD_IOWR(0x05, struct kfd_ioctl_get_clock_counters_args)
#define AMDKFD_IOC_GET_PROCESS_APERTURES \
  AMDKFD_IOR(0x06, struct kfd_ioctl_get_process_apertures_args)
#define AMDKFD_IOC_UPDATE_QUEUE AMDKFD_IOW(0x07, struct kfd_ioctl_update_queue_args)
#define AMDKFD_IOC_CREATE_EVENT AMDKFD_IOWR(0x08, struct kfd_ioctl_create_event_args)
#define AMDKFD_IOC_DESTROY_EVENT AMDKFD_IOW(0x09, struct kfd_ioctl_destroy_event_args)
#define AMDKFD_IOC_SET_EVENT AMDKFD_IOW(0x0A, struct kfd_ioctl_set_event_args)
#define AMDKFD_IOC_RESET_EVENT AMDKFD_IOW(0x0B, struct kfd_ioctl_reset_event_args)
#define AMDKFD_IOC_WAIT_EVENTS AMDKFD_IOWR(0x0C, struct kfd_ioctl_wait_events_args)
#define AMDKFD_IOC_DBG_REGISTER_DEPRECATED AMDKFD_IOW(0x0D, struct kfd_ioctl_dbg_register_args)
#define AMDKFD_IOC_DBG_UNREGISTER_DEPRECATED AMDKFD_IOW(0x0E, struct kfd_ioctl_dbg_unregister_args)
#define AMDKFD_IOC_DBG_ADDRESS_WATCH_DEPRECATED \
  AMDKFD_IOW(0x0F, struct kfd_ioctl_dbg_address_watch_args)
#define AMDKFD_IOC_DBG_WAVE_CONTROL_DEPRECATED \
  AMDKFD_IOW(0x10, struct kfd_ioctl_dbg_wave_control_args)
#define AMDKFD_IOC_SET_SCRATCH_BACKING_VA \
  AMDKFD_IOWR(0x11, struct kfd_ioctl_set_scratch_backing_va_args)
#define AMDKFD_IOC_GET_TILE_CONFIG AMDKFD_IOWR(0x12, struct kfd_ioctl_get_tile_config_args)
#define AMDKFD_IOC_SET_TRAP_HANDLER AMDKFD_IOW(0x13, struct kfd_ioctl_set_trap_handler_args)
#define AMDKFD_IOC_GET_PROCESS_APERTURES_NEW \
  AMDKFD_IOWR(0x14, struct kfd_ioctl_get_process_apertures_new_args)
#define AMDKFD_IOC_ACQUIRE_VM AMDKFD_IOW(0x15, struct kfd_ioctl_acquire_vm_args)
#define AMDKFD_IOC_ALLOC_MEMORY_OF_GPU AMDKFD_IOWR(0x16, struct kfd_ioctl_alloc_memory_of_gpu_args)
#define AMDKFD_IOC_FREE_MEMORY_OF_GPU AMDKFD_IOW(0x17, struct kfd_ioctl_free_memory_of_gpu_args)
#define AMDKFD_IOC_MAP_MEMORY_TO_GPU AMDKFD_IOWR(0x18, struct kfd_ioctl_map_memory_to_gpu_args)
#define AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU \
  AMDKFD_IOWR(0x19, struct kfd_ioctl_unmap_memory_from_gpu_args)
#define AMDKFD_IOC_SET_CU_MASK AMDKFD_IOW(0x1A, struct kfd_ioctl_set_cu_mask_args)
#define AMDKFD_IOC_GET_QUEUE_WAVE_STATE \
  AMDKFD_IOWR(0x1B, struct kfd_ioctl_get_queue_wave_state_args)
#define AMDKFD_IOC_GET_DMABUF_INFO AMDKFD_IOWR(0x1C, struct kfd_ioctl_get_dmabuf_info_args)
#define AMDKFD_IOC_IMPORT_DMABUF AMDKFD_IOWR(0x1D, struct kfd_ioctl_import_dmabuf_args)
#define AMDKFD_IOC_ALLOC_QUEUE_GWS AMDKFD_IOWR(0x1E, struct kfd_ioctl_alloc_queue_gws_args)
#define AMDKFD_IOC_SMI_EVENTS AMDKFD_IOWR(0x1F, struct kfd_ioctl_smi_events_args)
#define AMDKFD_IOC_SVM AMDKFD_IOWR(0x20, struct kfd_ioctl_svm_args)
#define AMDKFD_IOC_SET_XNACK_MODE AMDKFD_IOWR(0x21, struct kfd_ioctl_set_xnack_mode_args)
#define AMDKFD_IOC_CRIU_OP AMDKFD_IOWR(0x22, struct kfd_ioctl_criu_args)
#define AMDKFD_IOC_AVAILABLE_MEMORY AMDKFD_IOWR(0x23, struct kfd_ioctl_get_available_memory_args)
#define AMDKFD_COMMAND_START 0x01
#define AMDKFD_COMMAND_END 0x24
#endif  // __has_include(<drm/drm.h>)

#if !defined(KFD_IOCTL_MAJOR_VERSION) || KFD_IOCTL_MAJOR_VERSION != 1 || \
    KFD_IOCTL_MINOR_VERSION < 11
#error "rawgpu needs linux/kfd_ioctl.h KFD 1.11 or newer (linux-libc-dev for kernel 6.1+)"
#endif

namespace rawgpu::kfd {

// _IOC type of every KFD ioctl (include/uapi/linux/kfd_ioctl.h AMDKFD_IOCTL_BASE).
inline constexpr uint8_t kKfdIoctlMagic = 'K';
// KFD version of the header (or mirror) we compiled against, and which one it was.
inline constexpr uint32_t kHeaderMinor = KFD_IOCTL_MINOR_VERSION;
inline constexpr bool kUsesUapiHeader = RAWGPU_KFD_UAPI_HEADER != 0;

// GET_VERSION minors that changed the ABI (kfd_ioctl.h version changelog; fact sheet §2.1).
inline constexpr uint32_t kMinorSmiEvents = 3;
inline constexpr uint32_t kMinorSvm = 5;
inline constexpr uint32_t kMinorCriu = 7;
inline constexpr uint32_t kMinorAvailableMemory = 9;
inline constexpr uint32_t kMinorExportDmabuf = 12;
inline constexpr uint32_t kMinorRuntimeEnable = 13;    // debugger API: RUNTIME_ENABLE, DBG_TRAP
inline constexpr uint32_t kMinorEventAge = 14;         // signal_event_data.last_event_age
inline constexpr uint32_t kMinorContiguous = 16;       // KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS
inline constexpr uint32_t kMinorSdmaByEngId = 17;      // 96-byte create_queue + sdma_engine_id
inline constexpr uint32_t kMinorMiscProcessFlag = 18;  // set_memory_policy pad -> flag
inline constexpr uint32_t kMinorCreateProcess = 19;    // AMDKFD_IOC_CREATE_PROCESS

// Kernel-internal errno that KFD returns to user space for an unknown queue type
// (include/linux/errno.h ENOTSUPP; not ENOTSUP/EOPNOTSUPP = 95). Fact sheet §2.2.
inline constexpr int kENOTSUPP = 524;

// ---------------------------------------------------------------------------------------------
// Constants the 1.11 header lacks (kernel names; include/uapi/linux/kfd_ioctl.h at the minor
// given).

#ifndef KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID
inline constexpr uint32_t KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID = 0x4;  // KFD 1.17
#endif
#ifndef KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS
inline constexpr uint32_t KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS = 1u << 23;  // KFD 1.16
#endif
#ifndef KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT
inline constexpr uint32_t KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT = 1u << 24;  // KFD 1.14
#endif
#ifndef KFD_PROC_FLAG_MFMA_HIGH_PRECISION
inline constexpr uint32_t KFD_PROC_FLAG_MFMA_HIGH_PRECISION = 1u << 0;  // KFD 1.18, gfx9.5 only
#endif
#ifndef KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK
inline constexpr uint32_t KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK = 1;  // KFD 1.13
#endif
#ifndef KFD_RUNTIME_ENABLE_MODE_TTMP_SAVE_MASK
inline constexpr uint32_t KFD_RUNTIME_ENABLE_MODE_TTMP_SAVE_MASK = 2;  // KFD 1.13
#endif

// The header spells the high alloc flags as (1 << 31) etc. on int; these are the same bits as
// uint32_t so that ORing them never sign-extends.
inline constexpr uint32_t kAllocVram = KFD_IOC_ALLOC_MEM_FLAGS_VRAM;
inline constexpr uint32_t kAllocGtt = KFD_IOC_ALLOC_MEM_FLAGS_GTT;
inline constexpr uint32_t kAllocUserptr = KFD_IOC_ALLOC_MEM_FLAGS_USERPTR;
inline constexpr uint32_t kAllocDoorbell = KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL;
inline constexpr uint32_t kAllocMmioRemap = KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP;
inline constexpr uint32_t kAllocContiguous =
    static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS);
inline constexpr uint32_t kAllocExtCoherent =
    static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT);
inline constexpr uint32_t kAllocUncached = static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED);
inline constexpr uint32_t kAllocCoherent = static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_COHERENT);
inline constexpr uint32_t kAllocAqlQueueMem =
    static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_AQL_QUEUE_MEM);
inline constexpr uint32_t kAllocNoSubstitute =
    static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_NO_SUBSTITUTE);
inline constexpr uint32_t kAllocPublic = static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC);
inline constexpr uint32_t kAllocExecutable =
    static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE);
inline constexpr uint32_t kAllocWritable = static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE);
static_assert(kAllocVram == 1u << 0 && kAllocGtt == 1u << 1 && kAllocUserptr == 1u << 2 &&
              kAllocDoorbell == 1u << 3 && kAllocMmioRemap == 1u << 4);
static_assert(kAllocUncached == 1u << 25 && kAllocCoherent == 1u << 26 &&
              kAllocAqlQueueMem == 1u << 27 && kAllocNoSubstitute == 1u << 28 &&
              kAllocPublic == 1u << 29 && kAllocExecutable == 1u << 30 &&
              kAllocWritable == 1u << 31);

// Wait timeouts (drivers/gpu/drm/amd/amdkfd/kfd_priv.h KFD_EVENT_TIMEOUT_*), in ms.
inline constexpr uint32_t kWaitImmediate = 0;
inline constexpr uint32_t kWaitInfinite = 0xFFFFFFFFu;

// ---------------------------------------------------------------------------------------------
// Header structs: sizes per fact sheet §2.3 (include/uapi/linux/kfd_ioctl.h). Offsets of the
// structs rawgpu fills by hand per §2.4.

static_assert(sizeof(kfd_ioctl_get_version_args) == 8);
static_assert(sizeof(kfd_ioctl_destroy_queue_args) == 8);
static_assert(sizeof(kfd_ioctl_set_memory_policy_args) == 32);
static_assert(sizeof(kfd_ioctl_get_clock_counters_args) == 40);
static_assert(sizeof(kfd_process_device_apertures) == 56);
static_assert(sizeof(kfd_ioctl_get_process_apertures_args) == 400);
static_assert(sizeof(kfd_ioctl_update_queue_args) == 24);
static_assert(sizeof(kfd_ioctl_create_event_args) == 32);
static_assert(sizeof(kfd_ioctl_destroy_event_args) == 8);
static_assert(sizeof(kfd_ioctl_set_event_args) == 8);
static_assert(sizeof(kfd_ioctl_reset_event_args) == 8);
static_assert(sizeof(kfd_event_data) == 48);
static_assert(sizeof(kfd_ioctl_wait_events_args) == 24);
static_assert(sizeof(kfd_ioctl_dbg_register_args) == 8);
static_assert(sizeof(kfd_ioctl_dbg_unregister_args) == 8);
static_assert(sizeof(kfd_ioctl_dbg_address_watch_args) == 16);
static_assert(sizeof(kfd_ioctl_dbg_wave_control_args) == 16);
static_assert(sizeof(kfd_ioctl_set_scratch_backing_va_args) == 16);
static_assert(sizeof(kfd_ioctl_get_tile_config_args) == 40);
static_assert(sizeof(kfd_ioctl_set_trap_handler_args) == 24);
static_assert(sizeof(kfd_ioctl_get_process_apertures_new_args) == 16);
static_assert(sizeof(kfd_ioctl_acquire_vm_args) == 8);
static_assert(sizeof(kfd_ioctl_alloc_memory_of_gpu_args) == 40);
static_assert(sizeof(kfd_ioctl_free_memory_of_gpu_args) == 8);
static_assert(sizeof(kfd_ioctl_map_memory_to_gpu_args) == 24);
static_assert(sizeof(kfd_ioctl_unmap_memory_from_gpu_args) == 24);
static_assert(sizeof(kfd_ioctl_set_cu_mask_args) == 16);
static_assert(sizeof(kfd_ioctl_get_queue_wave_state_args) == 24);
static_assert(sizeof(kfd_ioctl_get_dmabuf_info_args) == 32);
static_assert(sizeof(kfd_ioctl_import_dmabuf_args) == 24);
static_assert(sizeof(kfd_ioctl_alloc_queue_gws_args) == 16);
static_assert(sizeof(kfd_ioctl_smi_events_args) == 8);
static_assert(sizeof(kfd_ioctl_svm_args) == 24 && sizeof(kfd_ioctl_svm_attribute) == 8);
static_assert(sizeof(kfd_ioctl_set_xnack_mode_args) == 4);
static_assert(sizeof(kfd_ioctl_criu_args) == 56);
static_assert(sizeof(kfd_ioctl_get_available_memory_args) == 16);

static_assert(offsetof(kfd_ioctl_get_version_args, minor_version) == 4);
static_assert(offsetof(kfd_ioctl_acquire_vm_args, drm_fd) == 0 &&
              offsetof(kfd_ioctl_acquire_vm_args, gpu_id) == 4);
static_assert(offsetof(kfd_ioctl_alloc_memory_of_gpu_args, va_addr) == 0 &&
              offsetof(kfd_ioctl_alloc_memory_of_gpu_args, size) == 8 &&
              offsetof(kfd_ioctl_alloc_memory_of_gpu_args, handle) == 16 &&
              offsetof(kfd_ioctl_alloc_memory_of_gpu_args, mmap_offset) == 24 &&
              offsetof(kfd_ioctl_alloc_memory_of_gpu_args, gpu_id) == 32 &&
              offsetof(kfd_ioctl_alloc_memory_of_gpu_args, flags) == 36);
static_assert(offsetof(kfd_ioctl_map_memory_to_gpu_args, handle) == 0 &&
              offsetof(kfd_ioctl_map_memory_to_gpu_args, device_ids_array_ptr) == 8 &&
              offsetof(kfd_ioctl_map_memory_to_gpu_args, n_devices) == 16 &&
              offsetof(kfd_ioctl_map_memory_to_gpu_args, n_success) == 20);
static_assert(offsetof(kfd_ioctl_unmap_memory_from_gpu_args, n_devices) == 16 &&
              offsetof(kfd_ioctl_unmap_memory_from_gpu_args, n_success) == 20);
static_assert(offsetof(kfd_ioctl_update_queue_args, ring_base_address) == 0 &&
              offsetof(kfd_ioctl_update_queue_args, queue_id) == 8 &&
              offsetof(kfd_ioctl_update_queue_args, ring_size) == 12 &&
              offsetof(kfd_ioctl_update_queue_args, queue_percentage) == 16 &&
              offsetof(kfd_ioctl_update_queue_args, queue_priority) == 20);
static_assert(offsetof(kfd_ioctl_get_clock_counters_args, gpu_clock_counter) == 0 &&
              offsetof(kfd_ioctl_get_clock_counters_args, cpu_clock_counter) == 8 &&
              offsetof(kfd_ioctl_get_clock_counters_args, system_clock_counter) == 16 &&
              offsetof(kfd_ioctl_get_clock_counters_args, system_clock_freq) == 24 &&
              offsetof(kfd_ioctl_get_clock_counters_args, gpu_id) == 32);
static_assert(offsetof(kfd_ioctl_get_process_apertures_new_args,
                       kfd_process_device_apertures_ptr) == 0 &&
              offsetof(kfd_ioctl_get_process_apertures_new_args, num_of_nodes) == 8);
static_assert(offsetof(kfd_process_device_apertures, lds_base) == 0 &&
              offsetof(kfd_process_device_apertures, lds_limit) == 8 &&
              offsetof(kfd_process_device_apertures, scratch_base) == 16 &&
              offsetof(kfd_process_device_apertures, scratch_limit) == 24 &&
              offsetof(kfd_process_device_apertures, gpuvm_base) == 32 &&
              offsetof(kfd_process_device_apertures, gpuvm_limit) == 40 &&
              offsetof(kfd_process_device_apertures, gpu_id) == 48);
static_assert(offsetof(kfd_ioctl_create_event_args, event_page_offset) == 0 &&
              offsetof(kfd_ioctl_create_event_args, event_trigger_data) == 8 &&
              offsetof(kfd_ioctl_create_event_args, event_type) == 12 &&
              offsetof(kfd_ioctl_create_event_args, auto_reset) == 16 &&
              offsetof(kfd_ioctl_create_event_args, node_id) == 20 &&
              offsetof(kfd_ioctl_create_event_args, event_id) == 24 &&
              offsetof(kfd_ioctl_create_event_args, event_slot_index) == 28);
static_assert(offsetof(kfd_ioctl_wait_events_args, events_ptr) == 0 &&
              offsetof(kfd_ioctl_wait_events_args, num_events) == 8 &&
              offsetof(kfd_ioctl_wait_events_args, wait_for_all) == 12 &&
              offsetof(kfd_ioctl_wait_events_args, timeout) == 16 &&
              offsetof(kfd_ioctl_wait_events_args, wait_result) == 20);
static_assert(offsetof(kfd_ioctl_get_available_memory_args, available) == 0 &&
              offsetof(kfd_ioctl_get_available_memory_args, gpu_id) == 8);
static_assert(offsetof(kfd_ioctl_set_scratch_backing_va_args, va_addr) == 0 &&
              offsetof(kfd_ioctl_set_scratch_backing_va_args, gpu_id) == 8);
static_assert(offsetof(kfd_hsa_memory_exception_data, va) == 16 &&
              offsetof(kfd_hsa_memory_exception_data, gpu_id) == 24 &&
              offsetof(kfd_hsa_memory_exception_data, ErrorType) == 28 &&
              sizeof(kfd_hsa_memory_exception_data) == 32 &&
              sizeof(kfd_hsa_hw_exception_data) == 16);

// ---------------------------------------------------------------------------------------------
// CREATE_QUEUE: 88 bytes up to KFD 1.16, 96 bytes from 1.17 (sdma_engine_id + pad appended).
// The kernel copies the caller's size and zero-fills the rest (kfd_chardev.c kfd_ioctl), so the
// 88-byte form still works on new kernels and the 96-byte form on old ones (§2.2); rawgpu issues
// the form the running driver reports.

#if KFD_IOCTL_MINOR_VERSION < 17
// The header's struct is the 88-byte form.
using kfd_ioctl_create_queue_args_v116 = ::kfd_ioctl_create_queue_args;
#else
// Mirrors include/uapi/linux/kfd_ioctl.h kfd_ioctl_create_queue_args @ KFD 1.16.
struct kfd_ioctl_create_queue_args_v116 {
  uint64_t ring_base_address;
  uint64_t write_pointer_address;
  uint64_t read_pointer_address;
  uint64_t doorbell_offset;
  uint32_t ring_size;
  uint32_t gpu_id;
  uint32_t queue_type;
  uint32_t queue_percentage;
  uint32_t queue_priority;
  uint32_t queue_id;
  uint64_t eop_buffer_address;
  uint64_t eop_buffer_size;
  uint64_t ctx_save_restore_address;
  uint32_t ctx_save_restore_size;
  uint32_t ctl_stack_size;
};
#endif
static_assert(sizeof(kfd_ioctl_create_queue_args_v116) == 88);
static_assert(offsetof(kfd_ioctl_create_queue_args_v116, ring_base_address) == 0 &&
              offsetof(kfd_ioctl_create_queue_args_v116, write_pointer_address) == 8 &&
              offsetof(kfd_ioctl_create_queue_args_v116, read_pointer_address) == 16 &&
              offsetof(kfd_ioctl_create_queue_args_v116, doorbell_offset) == 24 &&
              offsetof(kfd_ioctl_create_queue_args_v116, ring_size) == 32 &&
              offsetof(kfd_ioctl_create_queue_args_v116, gpu_id) == 36 &&
              offsetof(kfd_ioctl_create_queue_args_v116, queue_type) == 40 &&
              offsetof(kfd_ioctl_create_queue_args_v116, queue_percentage) == 44 &&
              offsetof(kfd_ioctl_create_queue_args_v116, queue_priority) == 48 &&
              offsetof(kfd_ioctl_create_queue_args_v116, queue_id) == 52 &&
              offsetof(kfd_ioctl_create_queue_args_v116, eop_buffer_address) == 56 &&
              offsetof(kfd_ioctl_create_queue_args_v116, eop_buffer_size) == 64 &&
              offsetof(kfd_ioctl_create_queue_args_v116, ctx_save_restore_address) == 72 &&
              offsetof(kfd_ioctl_create_queue_args_v116, ctx_save_restore_size) == 80 &&
              offsetof(kfd_ioctl_create_queue_args_v116, ctl_stack_size) == 84);

// Mirrors include/uapi/linux/kfd_ioctl.h kfd_ioctl_create_queue_args @ KFD 1.17.
struct kfd_ioctl_create_queue_args_v117 {
  uint64_t ring_base_address;         // to KFD
  uint64_t write_pointer_address;     // to KFD (header says "from KFD"; it is an input)
  uint64_t read_pointer_address;      // to KFD (likewise)
  uint64_t doorbell_offset;           // from KFD
  uint32_t ring_size;                 // to KFD
  uint32_t gpu_id;                    // to KFD
  uint32_t queue_type;                // to KFD
  uint32_t queue_percentage;          // to KFD
  uint32_t queue_priority;            // to KFD
  uint32_t queue_id;                  // from KFD
  uint64_t eop_buffer_address;        // to KFD
  uint64_t eop_buffer_size;           // to KFD
  uint64_t ctx_save_restore_address;  // to KFD
  uint32_t ctx_save_restore_size;     // to KFD
  uint32_t ctl_stack_size;            // to KFD
  uint32_t sdma_engine_id;            // to KFD, KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID only
  uint32_t pad;
};
static_assert(sizeof(kfd_ioctl_create_queue_args_v117) == 96);
static_assert(offsetof(kfd_ioctl_create_queue_args_v117, ring_base_address) == 0 &&
              offsetof(kfd_ioctl_create_queue_args_v117, write_pointer_address) == 8 &&
              offsetof(kfd_ioctl_create_queue_args_v117, read_pointer_address) == 16 &&
              offsetof(kfd_ioctl_create_queue_args_v117, doorbell_offset) == 24 &&
              offsetof(kfd_ioctl_create_queue_args_v117, ring_size) == 32 &&
              offsetof(kfd_ioctl_create_queue_args_v117, gpu_id) == 36 &&
              offsetof(kfd_ioctl_create_queue_args_v117, queue_type) == 40 &&
              offsetof(kfd_ioctl_create_queue_args_v117, queue_percentage) == 44 &&
              offsetof(kfd_ioctl_create_queue_args_v117, queue_priority) == 48 &&
              offsetof(kfd_ioctl_create_queue_args_v117, queue_id) == 52 &&
              offsetof(kfd_ioctl_create_queue_args_v117, eop_buffer_address) == 56 &&
              offsetof(kfd_ioctl_create_queue_args_v117, eop_buffer_size) == 64 &&
              offsetof(kfd_ioctl_create_queue_args_v117, ctx_save_restore_address) == 72 &&
              offsetof(kfd_ioctl_create_queue_args_v117, ctx_save_restore_size) == 80 &&
              offsetof(kfd_ioctl_create_queue_args_v117, ctl_stack_size) == 84 &&
              offsetof(kfd_ioctl_create_queue_args_v117, sdma_engine_id) == 88 &&
              offsetof(kfd_ioctl_create_queue_args_v117, pad) == 92);

// ---------------------------------------------------------------------------------------------
// SET_MEMORY_POLICY: same 32 bytes; KFD 1.18 turned the trailing pad into misc_process_flag.
// Mirrors include/uapi/linux/kfd_ioctl.h kfd_ioctl_set_memory_policy_args @ KFD 1.18.
struct kfd_ioctl_set_memory_policy_args_v118 {
  uint64_t alternate_aperture_base;  // to KFD
  uint64_t alternate_aperture_size;  // to KFD
  uint32_t gpu_id;                   // to KFD
  uint32_t default_policy;           // to KFD, KFD_IOC_CACHE_POLICY_*
  uint32_t alternate_policy;         // to KFD, KFD_IOC_CACHE_POLICY_*
  uint32_t misc_process_flag;        // to KFD, KFD_PROC_FLAG_* (must be 0 before 1.18)
};
static_assert(sizeof(kfd_ioctl_set_memory_policy_args_v118) == 32 &&
              sizeof(kfd_ioctl_set_memory_policy_args_v118) ==
                  sizeof(kfd_ioctl_set_memory_policy_args));
static_assert(offsetof(kfd_ioctl_set_memory_policy_args_v118, alternate_aperture_base) == 0 &&
              offsetof(kfd_ioctl_set_memory_policy_args_v118, alternate_aperture_size) == 8 &&
              offsetof(kfd_ioctl_set_memory_policy_args_v118, gpu_id) == 16 &&
              offsetof(kfd_ioctl_set_memory_policy_args_v118, default_policy) == 20 &&
              offsetof(kfd_ioctl_set_memory_policy_args_v118, alternate_policy) == 24 &&
              offsetof(kfd_ioctl_set_memory_policy_args_v118, misc_process_flag) == 28);

// ---------------------------------------------------------------------------------------------
// WAIT_EVENTS entries: KFD 1.14 added signal_event_data (last_event_age) to the union.
// Mirrors include/uapi/linux/kfd_ioctl.h kfd_hsa_signal_event_data / kfd_event_data @ KFD 1.14.
struct kfd_hsa_signal_event_data_v114 {
  uint64_t last_event_age;  // to and from KFD; 0 = do not use ages
};
static_assert(sizeof(kfd_hsa_signal_event_data_v114) == 8 &&
              offsetof(kfd_hsa_signal_event_data_v114, last_event_age) == 0);

struct kfd_event_data_v114 {
  union {
    kfd_hsa_memory_exception_data memory_exception_data;  // from KFD, MEMORY events
    kfd_hsa_hw_exception_data hw_exception_data;          // from KFD, HW_EXCEPTION events
    kfd_hsa_signal_event_data_v114 signal_event_data;     // to/from KFD, SIGNAL events
  };
  uint64_t kfd_event_data_ext;  // pointer to an extension structure (unused)
  uint32_t event_id;            // to KFD
  uint32_t pad;
};
static_assert(sizeof(kfd_event_data_v114) == 48 &&
              sizeof(kfd_event_data_v114) == sizeof(kfd_event_data));
static_assert(offsetof(kfd_event_data_v114, memory_exception_data) == 0 &&
              offsetof(kfd_event_data_v114, hw_exception_data) == 0 &&
              offsetof(kfd_event_data_v114, signal_event_data) == 0 &&
              offsetof(kfd_event_data_v114, kfd_event_data_ext) == 32 &&
              offsetof(kfd_event_data_v114, event_id) == 40 &&
              offsetof(kfd_event_data_v114, pad) == 44);

// ---------------------------------------------------------------------------------------------
// Ioctls after 1.11.

// Mirrors include/uapi/linux/kfd_ioctl.h kfd_ioctl_export_dmabuf_args @ KFD 1.12.
struct kfd_ioctl_export_dmabuf_args_v112 {
  uint64_t handle;     // to KFD
  uint32_t flags;      // to KFD (O_CLOEXEC/O_RDWR for the new fd)
  uint32_t dmabuf_fd;  // from KFD
};
static_assert(sizeof(kfd_ioctl_export_dmabuf_args_v112) == 16 &&
              offsetof(kfd_ioctl_export_dmabuf_args_v112, handle) == 0 &&
              offsetof(kfd_ioctl_export_dmabuf_args_v112, flags) == 8 &&
              offsetof(kfd_ioctl_export_dmabuf_args_v112, dmabuf_fd) == 12);

// Mirrors include/uapi/linux/kfd_ioctl.h kfd_ioctl_runtime_enable_args @ KFD 1.13.
struct kfd_ioctl_runtime_enable_args_v113 {
  uint64_t r_debug;            // to KFD: address of the runtime's r_debug (0 = none)
  uint32_t mode_mask;          // to KFD: KFD_RUNTIME_ENABLE_MODE_*
  uint32_t capabilities_mask;  // from KFD
};
static_assert(sizeof(kfd_ioctl_runtime_enable_args_v113) == 16 &&
              offsetof(kfd_ioctl_runtime_enable_args_v113, r_debug) == 0 &&
              offsetof(kfd_ioctl_runtime_enable_args_v113, mode_mask) == 8 &&
              offsetof(kfd_ioctl_runtime_enable_args_v113, capabilities_mask) == 12);

// Mirrors include/uapi/linux/kfd_ioctl.h kfd_ioctl_dbg_trap_args @ KFD 1.13. The kernel's
// 24-byte union of per-op structs (enable, suspend_queues, …) is kept as raw words: rawgpu never
// issues DBG_TRAP and only decodes it.
struct kfd_ioctl_dbg_trap_args_v113 {
  uint32_t pid;         // to KFD
  uint32_t op;          // to KFD, KFD_IOC_DBG_TRAP_*
  uint64_t op_args[3];  // the per-op union
};
static_assert(sizeof(kfd_ioctl_dbg_trap_args_v113) == 32 &&
              offsetof(kfd_ioctl_dbg_trap_args_v113, pid) == 0 &&
              offsetof(kfd_ioctl_dbg_trap_args_v113, op) == 4 &&
              offsetof(kfd_ioctl_dbg_trap_args_v113, op_args) == 8);

// An ioctl without an argument (_IO): AMDKFD_IOC_CREATE_PROCESS (KFD 1.19).
struct kfd_no_args {};

// ---------------------------------------------------------------------------------------------
// Request numbers the 1.11 header lacks, with the kernel's names (include/uapi/linux/
// kfd_ioctl.h at the minor given), and both CREATE_QUEUE layouts under versioned names.
// describe.h checks every row's request against these names.

inline constexpr unsigned long AMDKFD_IOC_CREATE_QUEUE_V116 = core::ioc(
    core::IoctlDir::kReadWrite, kKfdIoctlMagic, 0x02, sizeof(kfd_ioctl_create_queue_args_v116));
inline constexpr unsigned long AMDKFD_IOC_CREATE_QUEUE_V117 = core::ioc(
    core::IoctlDir::kReadWrite, kKfdIoctlMagic, 0x02, sizeof(kfd_ioctl_create_queue_args_v117));
#ifndef AMDKFD_IOC_EXPORT_DMABUF
inline constexpr unsigned long AMDKFD_IOC_EXPORT_DMABUF = core::ioc(
    core::IoctlDir::kReadWrite, kKfdIoctlMagic, 0x24, sizeof(kfd_ioctl_export_dmabuf_args_v112));
#endif
#ifndef AMDKFD_IOC_RUNTIME_ENABLE
inline constexpr unsigned long AMDKFD_IOC_RUNTIME_ENABLE = core::ioc(
    core::IoctlDir::kReadWrite, kKfdIoctlMagic, 0x25, sizeof(kfd_ioctl_runtime_enable_args_v113));
#endif
#ifndef AMDKFD_IOC_DBG_TRAP
inline constexpr unsigned long AMDKFD_IOC_DBG_TRAP = core::ioc(
    core::IoctlDir::kReadWrite, kKfdIoctlMagic, 0x26, sizeof(kfd_ioctl_dbg_trap_args_v113));
#endif
#ifndef AMDKFD_IOC_CREATE_PROCESS
inline constexpr unsigned long AMDKFD_IOC_CREATE_PROCESS =
    core::ioc(core::IoctlDir::kNone, kKfdIoctlMagic, 0x27, 0);
#endif
// The full codes of fact sheet §2.3.
static_assert(AMDKFD_IOC_CREATE_QUEUE_V116 == 0xC0584B02ul);
static_assert(AMDKFD_IOC_CREATE_QUEUE_V117 == 0xC0604B02ul);
static_assert(AMDKFD_IOC_EXPORT_DMABUF == 0xC0104B24ul);
static_assert(AMDKFD_IOC_RUNTIME_ENABLE == 0xC0104B25ul);
static_assert(AMDKFD_IOC_DBG_TRAP == 0xC0204B26ul);
static_assert(AMDKFD_IOC_CREATE_PROCESS == 0x4B27ul);

// ---------------------------------------------------------------------------------------------
// /dev/kfd mmap offsets (drivers/gpu/drm/amd/amdkfd/kfd_priv.h KFD_MMAP_*; fact sheet §3.3):
// bits 63:62 type, bits 61:46 gpu_id, bits 45:0 value. Kernel-private names, kept verbatim.

inline constexpr unsigned KFD_MMAP_TYPE_SHIFT = 62;
inline constexpr uint64_t KFD_MMAP_TYPE_MASK = 0x3ull << KFD_MMAP_TYPE_SHIFT;
inline constexpr uint64_t KFD_MMAP_TYPE_DOORBELL = 0x3ull << KFD_MMAP_TYPE_SHIFT;
inline constexpr uint64_t KFD_MMAP_TYPE_EVENTS = 0x2ull << KFD_MMAP_TYPE_SHIFT;
inline constexpr uint64_t KFD_MMAP_TYPE_RESERVED_MEM = 0x1ull << KFD_MMAP_TYPE_SHIFT;
inline constexpr uint64_t KFD_MMAP_TYPE_MMIO = 0x0ull << KFD_MMAP_TYPE_SHIFT;
inline constexpr unsigned KFD_MMAP_GPU_ID_SHIFT = 46;
inline constexpr uint64_t KFD_MMAP_GPU_ID_MASK = 0xFFFFull << KFD_MMAP_GPU_ID_SHIFT;
inline constexpr uint64_t KFD_MMAP_OFFSET_VALUE_MASK = (1ull << KFD_MMAP_GPU_ID_SHIFT) - 1;

// type | gpu_id<<46 | value. gpu_id keeps its low 16 bits, as the kernel's KFD_MMAP_GPU_ID().
constexpr uint64_t kfd_mmap_offset(uint64_t type, uint32_t gpu_id, uint64_t value = 0) {
  return (type & KFD_MMAP_TYPE_MASK) |
         ((static_cast<uint64_t>(gpu_id) << KFD_MMAP_GPU_ID_SHIFT) & KFD_MMAP_GPU_ID_MASK) |
         (value & KFD_MMAP_OFFSET_VALUE_MASK);
}
constexpr uint64_t kfd_mmap_type(uint64_t offset) { return offset & KFD_MMAP_TYPE_MASK; }
constexpr uint32_t kfd_mmap_gpu_id(uint64_t offset) {
  return static_cast<uint32_t>((offset & KFD_MMAP_GPU_ID_MASK) >> KFD_MMAP_GPU_ID_SHIFT);
}
constexpr uint64_t kfd_mmap_value(uint64_t offset) { return offset & KFD_MMAP_OFFSET_VALUE_MASK; }
static_assert(kfd_mmap_offset(KFD_MMAP_TYPE_DOORBELL, 0xBEEF, 0x18) == 0xEFBBC00000000018ull);
static_assert(kfd_mmap_gpu_id(0xEFBBC00000000018ull) == 0xBEEF);

// ---------------------------------------------------------------------------------------------
// Doorbells (fact sheet §3.4; kfd_doorbell.c, amdgpu_mes.c): per process per GPU a slice of
// 1024 doorbells, 8 bytes each on gfx9+ (SOC15) and MES parts -> 8 KiB, mapped once from /dev/kfd
// at (doorbell_offset & ~(slice-1)); a queue's doorbell is at (doorbell_offset & (slice-1)).
// gfx7/8 use 4-byte doorbells and a 4 KiB slice.
inline constexpr uint64_t kDoorbellSliceBytes = 8 * 1024;
inline constexpr uint64_t kDoorbellSliceBytesGfx8 = 4 * 1024;
constexpr uint64_t doorbell_slice_mmap_offset(uint64_t doorbell_offset,
                                              uint64_t slice = kDoorbellSliceBytes) {
  return doorbell_offset & ~(slice - 1);
}
constexpr uint64_t doorbell_offset_in_slice(uint64_t doorbell_offset,
                                            uint64_t slice = kDoorbellSliceBytes) {
  return doorbell_offset & (slice - 1);
}

// ---------------------------------------------------------------------------------------------
// Event page (fact sheet §5; kfd_events.c): KFD_SIGNAL_EVENT_LIMIT slots of 8 bytes = 32 KiB,
// each initialised to all-ones (unsignaled); the GPU signals a slot by writing anything else.
inline constexpr uint64_t kEventSlotBytes = 8;
inline constexpr uint64_t kEventPageBytes = KFD_SIGNAL_EVENT_LIMIT * kEventSlotBytes;
inline constexpr uint64_t kEventSlotUnsignaled = ~0ull;
static_assert(kEventPageBytes == 0x8000);

// MMIO-remap page (§3.5): exactly one 4 KiB page; HDP flush control registers at these bytes.
inline constexpr uint64_t kMmioRemapBytes = 4096;

// ---------------------------------------------------------------------------------------------
// amd_queue_t: the AQL queue descriptor the CP reads (fact sheet §4.6; layout of amd_queue_s in
// tinygrad autogen/hsa.py, 256 bytes). The runtime keeps it at the start of the pointer page:
// write_pointer_address = &write_dispatch_id and read_pointer_address = &read_dispatch_id, and
// the CP finds the descriptor as read pointer - read_dispatch_id_field_base_byte_offset.
struct amd_queue_t {
  // hsa_queue_t
  uint32_t type;
  uint32_t features;
  uint64_t base_address;
  uint64_t doorbell_signal;
  uint32_t size;
  uint32_t reserved1;
  uint64_t id;
  // AMD part
  uint32_t caps;
  uint32_t reserved2[3];
  uint64_t write_dispatch_id;
  uint32_t group_segment_aperture_base_hi;
  uint32_t private_segment_aperture_base_hi;
  uint32_t max_cu_id;
  uint32_t max_wave_id;
  uint64_t max_legacy_doorbell_dispatch_id_plus_1;
  uint32_t legacy_doorbell_lock;
  uint32_t reserved3[9];
  uint64_t read_dispatch_id;
  uint32_t read_dispatch_id_field_base_byte_offset;
  uint32_t compute_tmpring_size;
  uint32_t scratch_resource_descriptor[4];
  uint64_t scratch_backing_memory_location;
  uint64_t scratch_backing_memory_byte_size;
  uint32_t scratch_wave64_lane_byte_size;
  uint32_t queue_properties;
  uint32_t reserved4[2];
  uint64_t queue_inactive_signal;
  uint32_t reserved5[14];
};
static_assert(sizeof(amd_queue_t) == 256);
static_assert(offsetof(amd_queue_t, caps) == 40 && offsetof(amd_queue_t, write_dispatch_id) == 56 &&
              offsetof(amd_queue_t, group_segment_aperture_base_hi) == 64 &&
              offsetof(amd_queue_t, private_segment_aperture_base_hi) == 68 &&
              offsetof(amd_queue_t, max_cu_id) == 72 && offsetof(amd_queue_t, max_wave_id) == 76 &&
              offsetof(amd_queue_t, read_dispatch_id) == 128 &&
              offsetof(amd_queue_t, read_dispatch_id_field_base_byte_offset) == 136 &&
              offsetof(amd_queue_t, compute_tmpring_size) == 140 &&
              offsetof(amd_queue_t, scratch_resource_descriptor) == 144 &&
              offsetof(amd_queue_t, scratch_backing_memory_location) == 160 &&
              offsetof(amd_queue_t, scratch_backing_memory_byte_size) == 168 &&
              offsetof(amd_queue_t, scratch_wave64_lane_byte_size) == 176 &&
              offsetof(amd_queue_t, queue_properties) == 180 &&
              offsetof(amd_queue_t, queue_inactive_signal) == 192);
// queue_properties bits (fact sheet §4.6).
inline constexpr uint32_t AMD_QUEUE_PROPERTIES_ENABLE_TRAP_HANDLER = 1u << 0;
inline constexpr uint32_t AMD_QUEUE_PROPERTIES_IS_PTR64 = 1u << 1;
inline constexpr uint32_t AMD_QUEUE_PROPERTIES_ENABLE_PROFILING = 1u << 3;
inline constexpr uint32_t AMD_QUEUE_PROPERTIES_USE_SCRATCH_ONCE = 1u << 4;

}  // namespace rawgpu::kfd

// rawgpu — Qualcomm KGSL ABI: the argument structs, constants and request numbers of the
// /dev/kgsl-3d0 ioctls a compute runtime needs.
//
// No KGSL header is packaged, so every struct here is hand-written (STYLE rule 3) from the
// published layouts in shared/abi/qcom-kgsl.md §1.3 (cited as "sheet §x"), which mirror
// include/uapi/linux/msm_kgsl.h of the Qualcomm kernel tree (qualcomm-linux/kgsl, 2025; the sheet's
// tag K-uapi) and the KGSL 3.14-era copy tinygrad carries (tinygrad
// extra/qcom_gpu_driver/msm_kgsl.h; sheet tag TG-kgsl). The layouts below are identical in both.
// Member names are the kernel's; the types are LP64 (aarch64): `unsigned int` -> uint32_t,
// `int` -> int32_t, `unsigned long`/`size_t`/user pointers -> uint64_t, explicit pad fields where
// the compiler would pad. Every struct has static_asserts on its size and on every offset.
//
// Versions (STYLE rule 4): KGSL froze its version at 3.14 (KGSL_PROP_VERSION), so there is no
// number to select layouts by; the ioctls here have kept their layouts since they were added.
// Newer-kernel ioctls (timelines, GPU_AUX_COMMAND, fault reports; sheet §1.2) are not described
// yet. Request numbers are computed from the struct types (STYLE rule 2) and checked against the
// literal values sheet §1.2 quotes (cross-checked there against logcat dumps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/ioctl_desc.h"

namespace rawgpu::qcom {

#define RAWGPU_KGSL_SIZE(T, N)                                                   \
  static_assert(sizeof(T) == (N), #T ": size");                                  \
  static_assert(std::is_standard_layout_v<T> && std::is_trivially_copyable_v<T>, \
                #T ": must be a plain C struct")
#define RAWGPU_KGSL_OFF(T, F, O) static_assert(offsetof(T, F) == (O), #T "." #F ": offset")

// =============================================================================================
// Device node and ioctl encoding (sheet §1.1; msm_kgsl.h KGSL_IOC_TYPE).

inline constexpr const char* kKgslDevicePath = "/dev/kgsl-3d0";  // sheet §1.1, tinygrad ops_qcom.py
inline constexpr uint8_t KGSL_IOC_TYPE = 0x09;
// The kernel copies at most this many argument bytes (K kgsl_ioctl.c; sheet §1.1): larger → EINVAL.
inline constexpr uint32_t kKgslMaxArgsSize = 128;
// CPU mappings of GPU objects: mmap offset = id << 12 (K kgsl.c get_mmap_entry; tinygrad
// ops_qcom.py, sheet §1.7).
inline constexpr unsigned kKgslMmapIdShift = 12;

// KGSL version, frozen (msm_kgsl.h KGSL_VERSION_MAJOR/MINOR; sheet §1.4 VERSION).
inline constexpr uint32_t KGSL_VERSION_MAJOR = 3;
inline constexpr uint32_t KGSL_VERSION_MINOR = 14;

// =============================================================================================
// Context flags (msm_kgsl.h "context flags"; sheet §1.6 for what the kernel does with them).

inline constexpr uint32_t KGSL_CONTEXT_SAVE_GMEM = 0x00000001;      // dropped by the kernel
inline constexpr uint32_t KGSL_CONTEXT_NO_GMEM_ALLOC = 0x00000002;  // required
inline constexpr uint32_t KGSL_CONTEXT_SUBMIT_IB_LIST = 0x00000004;
inline constexpr uint32_t KGSL_CONTEXT_CTX_SWITCH = 0x00000008;
inline constexpr uint32_t KGSL_CONTEXT_PREAMBLE = 0x00000010;  // required (else EINVAL)
inline constexpr uint32_t KGSL_CONTEXT_TRASH_STATE = 0x00000020;
inline constexpr uint32_t KGSL_CONTEXT_PER_CONTEXT_TS = 0x00000040;  // forced on
inline constexpr uint32_t KGSL_CONTEXT_USER_GENERATED_TS = 0x00000080;
inline constexpr uint32_t KGSL_CONTEXT_END_OF_FRAME = 0x00000100;
inline constexpr uint32_t KGSL_CONTEXT_NO_FAULT_TOLERANCE = 0x00000200;
inline constexpr uint32_t KGSL_CONTEXT_SYNC = 0x00000400;
inline constexpr uint32_t KGSL_CONTEXT_PWR_CONSTRAINT = 0x00000800;
inline constexpr uint32_t KGSL_CONTEXT_PRIORITY_MASK = 0x0000F000;
inline constexpr unsigned KGSL_CONTEXT_PRIORITY_SHIFT = 12;
inline constexpr uint32_t KGSL_CONTEXT_PRIORITY_UNDEF = 0;  // the kernel forces 8 (sheet §1.6)
inline constexpr uint32_t KGSL_CONTEXT_IFH_NOP = 0x00010000;
inline constexpr uint32_t KGSL_CONTEXT_SECURE = 0x00020000;
inline constexpr uint32_t KGSL_CONTEXT_NO_SNAPSHOT = 0x00040000;
inline constexpr uint32_t KGSL_CONTEXT_SPARSE = 0x00080000;
inline constexpr uint32_t KGSL_CONTEXT_TYPE_MASK = 0x01F00000;
inline constexpr unsigned KGSL_CONTEXT_TYPE_SHIFT = 20;
inline constexpr uint32_t KGSL_CONTEXT_TYPE_ANY = 0;
inline constexpr uint32_t KGSL_CONTEXT_TYPE_GL = 1;
inline constexpr uint32_t KGSL_CONTEXT_TYPE_CL = 2;
inline constexpr uint32_t KGSL_CONTEXT_TYPE_C2D = 3;
inline constexpr uint32_t KGSL_CONTEXT_TYPE_RS = 4;
inline constexpr uint32_t KGSL_CONTEXT_TYPE_VK = 5;  // newer headers (sheet §1.6)
inline constexpr uint32_t KGSL_CONTEXT_PREEMPT_STYLE_MASK = 0x0E000000;
inline constexpr unsigned KGSL_CONTEXT_PREEMPT_STYLE_SHIFT = 25;
inline constexpr uint32_t KGSL_CONTEXT_PREEMPT_STYLE_DEFAULT = 0x0;
inline constexpr uint32_t KGSL_CONTEXT_PREEMPT_STYLE_RINGBUFFER = 0x1;
inline constexpr uint32_t KGSL_CONTEXT_PREEMPT_STYLE_FINEGRAIN = 0x2;
inline constexpr uint32_t KGSL_CONTEXT_INVALIDATE_ON_FAULT = 0x10000000;  // newer headers
inline constexpr uint32_t KGSL_CONTEXT_LPAC = 0x20000000;                 // newer headers
inline constexpr uint32_t KGSL_CONTEXT_FAULT_INFO = 0x40000000;           // newer headers
inline constexpr uint32_t KGSL_CONTEXT_INVALID = 0xFFFFFFFF;

constexpr uint32_t kgsl_context_priority(uint32_t prio) {
  return (prio << KGSL_CONTEXT_PRIORITY_SHIFT) & KGSL_CONTEXT_PRIORITY_MASK;
}
constexpr uint32_t kgsl_context_type(uint32_t type) {
  return (type << KGSL_CONTEXT_TYPE_SHIFT) & KGSL_CONTEXT_TYPE_MASK;
}
constexpr uint32_t kgsl_context_preempt_style(uint32_t style) {
  return (style << KGSL_CONTEXT_PREEMPT_STYLE_SHIFT) & KGSL_CONTEXT_PREEMPT_STYLE_MASK;
}
// tinygrad's compute context (ops_qcom.py; sheet §1.6): PREAMBLE | PWR_CONSTRAINT |
// NO_FAULT_TOLERANCE | NO_GMEM_ALLOC | priority 8 | PREEMPT_STYLE_FINEGRAIN.
inline constexpr uint32_t kTinygradContextFlags =
    KGSL_CONTEXT_PREAMBLE | KGSL_CONTEXT_PWR_CONSTRAINT | KGSL_CONTEXT_NO_FAULT_TOLERANCE |
    KGSL_CONTEXT_NO_GMEM_ALLOC | kgsl_context_priority(8) |
    kgsl_context_preempt_style(KGSL_CONTEXT_PREEMPT_STYLE_FINEGRAIN);
static_assert(kTinygradContextFlags == 0x04008A12);  // sheet §1.6
// Turnip's context (tu_knl_kgsl.cc; sheet §1.6): SAVE_GMEM | NO_GMEM_ALLOC | PREAMBLE.
static_assert((KGSL_CONTEXT_SAVE_GMEM | KGSL_CONTEXT_NO_GMEM_ALLOC | KGSL_CONTEXT_PREAMBLE) ==
              0x13);

// =============================================================================================
// Command batch, command object and sync point flags (msm_kgsl.h; sheet §1.8).

inline constexpr uint64_t KGSL_CMDBATCH_MEMLIST = 0x00000001;
inline constexpr uint64_t KGSL_CMDBATCH_MARKER = 0x00000002;
inline constexpr uint64_t KGSL_CMDBATCH_SUBMIT_IB_LIST = KGSL_CONTEXT_SUBMIT_IB_LIST;  // 0x004
inline constexpr uint64_t KGSL_CMDBATCH_CTX_SWITCH = KGSL_CONTEXT_CTX_SWITCH;          // 0x008
inline constexpr uint64_t KGSL_CMDBATCH_PROFILING = 0x00000010;
inline constexpr uint64_t KGSL_CMDBATCH_PROFILING_KTIME = 0x00000020;
inline constexpr uint64_t KGSL_CMDBATCH_END_OF_FRAME = KGSL_CONTEXT_END_OF_FRAME;      // 0x100
inline constexpr uint64_t KGSL_CMDBATCH_SYNC = KGSL_CONTEXT_SYNC;                      // 0x400
inline constexpr uint64_t KGSL_CMDBATCH_PWR_CONSTRAINT = KGSL_CONTEXT_PWR_CONSTRAINT;  // 0x800

inline constexpr uint32_t KGSL_CMDLIST_IB = 0x00000001;
inline constexpr uint32_t KGSL_CMDLIST_CTXTSWITCH_PREAMBLE = 0x00000002;
inline constexpr uint32_t KGSL_CMDLIST_IB_PREAMBLE = 0x00000004;
inline constexpr uint32_t KGSL_OBJLIST_MEMOBJ = 0x00000008;
inline constexpr uint32_t KGSL_OBJLIST_PROFILE = 0x00000010;

inline constexpr uint32_t KGSL_CMD_SYNCPOINT_TYPE_TIMESTAMP = 0;
inline constexpr uint32_t KGSL_CMD_SYNCPOINT_TYPE_FENCE = 1;
inline constexpr uint32_t KGSL_CMD_SYNCPOINT_TYPE_TIMELINE = 2;  // newer kernels (sheet §1.8)

// Kernel limits checked on GPU_COMMAND (KA adreno.c / K kgsl_drawobj.c; sheet §1.8).
inline constexpr uint32_t kKgslMaxCmds = 2000;         // numcmds, numobjs
inline constexpr uint32_t kKgslMaxSyncs = 32;          // numsyncs
inline constexpr uint32_t kKgslMaxIbDwords = 0xFFFFF;  // per IB, size / 4

// =============================================================================================
// Memory flags (msm_kgsl.h "Memory allocation flags"; sheet §1.7). 64-bit for GPUOBJ_*,
// truncated to 32 bits by the GPUMEM_* path.

inline constexpr uint64_t KGSL_MEMFLAGS_SECURE = 0x00000008ULL;
inline constexpr uint64_t KGSL_MEMFLAGS_USERMEM_MASK = 0x000000E0ULL;  // out only
inline constexpr unsigned KGSL_MEMFLAGS_USERMEM_SHIFT = 5;
inline constexpr uint64_t KGSL_MEMTYPE_MASK = 0x0000FF00ULL;
inline constexpr unsigned KGSL_MEMTYPE_SHIFT = 8;
inline constexpr uint64_t KGSL_MEMALIGN_MASK = 0x00FF0000ULL;
inline constexpr unsigned KGSL_MEMALIGN_SHIFT = 16;
inline constexpr uint64_t KGSL_MEMFLAGS_GPUREADONLY = 0x01000000ULL;
inline constexpr uint64_t KGSL_MEMFLAGS_GPUWRITEONLY = 0x02000000ULL;
inline constexpr uint64_t KGSL_CACHEMODE_MASK = 0x0C000000ULL;
inline constexpr unsigned KGSL_CACHEMODE_SHIFT = 26;
inline constexpr uint64_t KGSL_MEMFLAGS_USE_CPU_MAP = 0x10000000ULL;
inline constexpr uint64_t KGSL_MEMFLAGS_IOCOHERENT = 0x80000000ULL;  // newer headers (sheet §1.7)
inline constexpr uint64_t KGSL_MEMFLAGS_FORCE_32BIT = 0x100000000ULL;
inline constexpr uint64_t KGSL_MEMFLAGS_GUARD_PAGE = 0x200000000ULL;  // newer headers (sheet §1.7)

inline constexpr uint32_t KGSL_CACHEMODE_WRITECOMBINE = 0;
inline constexpr uint32_t KGSL_CACHEMODE_UNCACHED = 1;
inline constexpr uint32_t KGSL_CACHEMODE_WRITETHROUGH = 2;
inline constexpr uint32_t KGSL_CACHEMODE_WRITEBACK = 3;

// Memory type hints (debug only; msm_kgsl.h KGSL_MEMTYPE_*), the ones a compute runtime uses.
inline constexpr uint32_t KGSL_MEMTYPE_OBJECTANY = 0;
inline constexpr uint32_t KGSL_MEMTYPE_CL = 10;
inline constexpr uint32_t KGSL_MEMTYPE_CL_KERNEL_STACK = 15;
inline constexpr uint32_t KGSL_MEMTYPE_COMMAND = 16;
inline constexpr uint32_t KGSL_MEMTYPE_KERNEL = 255;

constexpr uint64_t kgsl_cachemode(uint32_t mode) {
  return (static_cast<uint64_t>(mode) << KGSL_CACHEMODE_SHIFT) & KGSL_CACHEMODE_MASK;
}
// Alignment hint as log2 bytes (min 12; the kernel caps at 25, sheet §1.7).
constexpr uint64_t kgsl_memalign(uint32_t log2_bytes) {
  return (static_cast<uint64_t>(log2_bytes) << KGSL_MEMALIGN_SHIFT) & KGSL_MEMALIGN_MASK;
}
constexpr uint64_t kgsl_memtype(uint32_t type) {
  return (static_cast<uint64_t>(type) << KGSL_MEMTYPE_SHIFT) & KGSL_MEMTYPE_MASK;
}
// tinygrad's buffers (ops_qcom.py; sheet §1.7): MEMALIGN(12) | USE_CPU_MAP.
static_assert((kgsl_memalign(12) | KGSL_MEMFLAGS_USE_CPU_MAP) == 0x100C0000);

// enum kgsl_user_mem_type (msm_kgsl.h)
inline constexpr uint32_t KGSL_USER_MEM_TYPE_PMEM = 0;
inline constexpr uint32_t KGSL_USER_MEM_TYPE_ASHMEM = 1;
inline constexpr uint32_t KGSL_USER_MEM_TYPE_ADDR = 2;
inline constexpr uint32_t KGSL_USER_MEM_TYPE_ION = 3;
inline constexpr uint32_t KGSL_USER_MEM_TYPE_DMABUF = 3;

// GPUOBJ_FREE (msm_kgsl.h; sheet §1.7)
inline constexpr uint64_t KGSL_GPUOBJ_FREE_ON_EVENT = 1;
inline constexpr uint32_t KGSL_GPU_EVENT_TIMESTAMP = 1;
inline constexpr uint32_t KGSL_GPU_EVENT_FENCE = 2;

// Cache operations of GPUMEM_SYNC_CACHE and GPUOBJ_SYNC (msm_kgsl.h KGSL_GPUMEM_CACHE_*)
inline constexpr uint32_t KGSL_GPUMEM_CACHE_CLEAN = 1u << 0;  // CPU -> GPU ("TO_GPU")
inline constexpr uint32_t KGSL_GPUMEM_CACHE_INV = 1u << 1;    // GPU -> CPU ("FROM_GPU")
inline constexpr uint32_t KGSL_GPUMEM_CACHE_FLUSH = KGSL_GPUMEM_CACHE_CLEAN | KGSL_GPUMEM_CACHE_INV;
inline constexpr uint32_t KGSL_GPUMEM_CACHE_RANGE = 1u << 31;  // use offset/length
inline constexpr uint32_t kKgslMaxSyncObjs = 128;  // GPUOBJ_SYNC count 1..128 (sheet §1.7)

// Metadata label length the kernel keeps (msm_kgsl.h KGSL_GPUOBJ_ALLOC_METADATA_MAX)
inline constexpr uint32_t KGSL_GPUOBJ_ALLOC_METADATA_MAX = 64;

// =============================================================================================
// Timestamps and events (msm_kgsl.h; sheet §1.9).

// enum kgsl_timestamp_type
inline constexpr uint32_t KGSL_TIMESTAMP_CONSUMED = 1;  // start of pipeline
inline constexpr uint32_t KGSL_TIMESTAMP_RETIRED = 2;   // end of pipeline
inline constexpr uint32_t KGSL_TIMESTAMP_QUEUED = 3;    // last assigned

inline constexpr int32_t KGSL_TIMESTAMP_EVENT_GENLOCK = 1;  // obsolete
inline constexpr int32_t KGSL_TIMESTAMP_EVENT_FENCE = 2;

// enum kgsl_ctx_reset_stat (KGSL_PROP_GPU_RESET_STAT)
inline constexpr uint32_t KGSL_CTX_STAT_NO_ERROR = 0;
inline constexpr uint32_t KGSL_CTX_STAT_GUILTY_CONTEXT_RESET_EXT = 1;
inline constexpr uint32_t KGSL_CTX_STAT_INNOCENT_CONTEXT_RESET_EXT = 2;
inline constexpr uint32_t KGSL_CTX_STAT_UNKNOWN_CONTEXT_RESET_EXT = 3;

// KGSL_FLAGS_* reported in kgsl_shadowprop.flags (msm_kgsl.h; sheet §1.4)
inline constexpr uint32_t KGSL_FLAGS_INITIALIZED = 0x00000004;
inline constexpr uint32_t KGSL_FLAGS_PER_CONTEXT_TIMESTAMPS = 0x00000200;

// =============================================================================================
// Properties (msm_kgsl.h KGSL_PROP_*; payloads and behaviour in sheet §1.4; newer ids from the
// 2025 header, where the sheet lists them).

inline constexpr uint32_t KGSL_PROP_DEVICE_INFO = 0x01;    // kgsl_devinfo
inline constexpr uint32_t KGSL_PROP_DEVICE_SHADOW = 0x02;  // kgsl_shadowprop
inline constexpr uint32_t KGSL_PROP_DEVICE_POWER = 0x03;
inline constexpr uint32_t KGSL_PROP_SHMEM = 0x04;
inline constexpr uint32_t KGSL_PROP_SHMEM_APERTURES = 0x05;
inline constexpr uint32_t KGSL_PROP_MMU_ENABLE = 0x06;  // int32_t
inline constexpr uint32_t KGSL_PROP_INTERRUPT_WAITS = 0x07;
inline constexpr uint32_t KGSL_PROP_VERSION = 0x08;         // kgsl_version (exact size)
inline constexpr uint32_t KGSL_PROP_GPU_RESET_STAT = 0x09;  // u32 in ctx id, out KGSL_CTX_STAT_*
inline constexpr uint32_t KGSL_PROP_PWRCTRL = 0x0E;
inline constexpr uint32_t KGSL_PROP_PWR_CONSTRAINT = 0x12;   // SETPROPERTY: kgsl_device_constraint
inline constexpr uint32_t KGSL_PROP_UCHE_GMEM_VADDR = 0x13;  // uint64_t
inline constexpr uint32_t KGSL_PROP_SP_GENERIC_MEM = 0x14;
inline constexpr uint32_t KGSL_PROP_UCODE_VERSION = 0x15;  // kgsl_ucode_version
inline constexpr uint32_t KGSL_PROP_GPMU_VERSION = 0x16;
inline constexpr uint32_t KGSL_PROP_HIGHEST_BANK_BIT = 0x17;  // uint32_t
inline constexpr uint32_t KGSL_PROP_DEVICE_BITNESS = 0x18;    // uint32_t: 48 or 32
inline constexpr uint32_t KGSL_PROP_DEVICE_QDSS_STM = 0x19;
inline constexpr uint32_t KGSL_PROP_MIN_ACCESS_LENGTH = 0x1A;
inline constexpr uint32_t KGSL_PROP_UBWC_MODE = 0x1B;  // uint32_t KGSL_UBWC_*
inline constexpr uint32_t KGSL_PROP_DEVICE_QTIMER = 0x20;
// 0x19..0x26 beyond the sheet's list: msm_kgsl.h of the Qualcomm tree (qualcomm-linux/kgsl).
inline constexpr uint32_t KGSL_PROP_SECURE_BUFFER_ALIGNMENT = 0x23;  // uint32_t bytes
inline constexpr uint32_t KGSL_PROP_SECURE_CTXT_SUPPORT = 0x24;
inline constexpr uint32_t KGSL_PROP_SPEED_BIN = 0x25;  // uint32_t
inline constexpr uint32_t KGSL_PROP_GAMING_BIN = 0x26;
inline constexpr uint32_t KGSL_PROP_QUERY_CAPABILITIES = 0x27;     // kgsl_capabilities
inline constexpr uint32_t KGSL_PROP_GPU_MODEL = 0x29;              // kgsl_gpu_model
inline constexpr uint32_t KGSL_PROP_VK_DEVICE_ID = 0x2A;           // uint32_t (2025 header)
inline constexpr uint32_t KGSL_PROP_IS_LPAC_ENABLED = 0x2B;        // uint32_t
inline constexpr uint32_t KGSL_PROP_GPU_VA64_SIZE = 0x2C;          // uint64_t (exact size)
inline constexpr uint32_t KGSL_PROP_IS_RAYTRACING_ENABLED = 0x2D;  // uint32_t

inline constexpr uint32_t KGSL_QUERY_CAPS_PROPERTIES = 1;  // kgsl_capabilities.querytype

// SETPROPERTY power constraint (msm_kgsl.h; sheet §1.5)
inline constexpr uint32_t KGSL_CONSTRAINT_NONE = 0;
inline constexpr uint32_t KGSL_CONSTRAINT_PWRLEVEL = 1;
inline constexpr uint32_t KGSL_CONSTRAINT_PWR_MIN = 0;
inline constexpr uint32_t KGSL_CONSTRAINT_PWR_MAX = 1;

// Performance counters (msm_kgsl.h; sheet §1.10)
inline constexpr uint32_t KGSL_PERFCOUNTER_GROUP_ALWAYSON = 0x1B;

// =============================================================================================
// Structs. Each mirrors the msm_kgsl.h struct of the same name (sheet §1.3).

// struct kgsl_devinfo — KGSL_PROP_DEVICE_INFO payload. gpu_id is left 0 by current kernels:
// decode chip_id (core[31:24] major[23:16] minor[15:8] patch[7:0]) instead (sheet §1.3).
struct kgsl_devinfo {
  uint32_t device_id;
  uint32_t chip_id;
  uint32_t mmu_enabled;
  uint32_t pad0;
  uint64_t gmem_gpubaseaddr;  // unsigned long
  uint32_t gpu_id;
  uint32_t pad1;
  uint64_t gmem_sizebytes;  // size_t
};
RAWGPU_KGSL_SIZE(kgsl_devinfo, 40);
RAWGPU_KGSL_OFF(kgsl_devinfo, device_id, 0);
RAWGPU_KGSL_OFF(kgsl_devinfo, chip_id, 4);
RAWGPU_KGSL_OFF(kgsl_devinfo, mmu_enabled, 8);
RAWGPU_KGSL_OFF(kgsl_devinfo, pad0, 12);
RAWGPU_KGSL_OFF(kgsl_devinfo, gmem_gpubaseaddr, 16);
RAWGPU_KGSL_OFF(kgsl_devinfo, gpu_id, 24);
RAWGPU_KGSL_OFF(kgsl_devinfo, pad1, 28);
RAWGPU_KGSL_OFF(kgsl_devinfo, gmem_sizebytes, 32);

// struct kgsl_devmemstore — one per context in the DEVICE_SHADOW mapping, at ctx * 40.
struct kgsl_devmemstore {
  uint32_t soptimestamp;
  uint32_t sbz;
  uint32_t eoptimestamp;
  uint32_t sbz2;
  uint32_t preempted;
  uint32_t sbz3;
  uint32_t ref_wait_ts;
  uint32_t sbz4;
  uint32_t current_context;
  uint32_t sbz5;
};
RAWGPU_KGSL_SIZE(kgsl_devmemstore, 40);
RAWGPU_KGSL_OFF(kgsl_devmemstore, soptimestamp, 0);
RAWGPU_KGSL_OFF(kgsl_devmemstore, sbz, 4);
RAWGPU_KGSL_OFF(kgsl_devmemstore, eoptimestamp, 8);
RAWGPU_KGSL_OFF(kgsl_devmemstore, sbz2, 12);
RAWGPU_KGSL_OFF(kgsl_devmemstore, preempted, 16);
RAWGPU_KGSL_OFF(kgsl_devmemstore, sbz3, 20);
RAWGPU_KGSL_OFF(kgsl_devmemstore, ref_wait_ts, 24);
RAWGPU_KGSL_OFF(kgsl_devmemstore, sbz4, 28);
RAWGPU_KGSL_OFF(kgsl_devmemstore, current_context, 32);
RAWGPU_KGSL_OFF(kgsl_devmemstore, sbz5, 36);

// struct kgsl_shadowprop — KGSL_PROP_DEVICE_SHADOW payload: gpuaddr is the memstore's mmap
// offset token, size its length.
struct kgsl_shadowprop {
  uint64_t gpuaddr;  // unsigned long
  uint64_t size;     // size_t
  uint32_t flags;    // KGSL_FLAGS_*
  uint32_t pad0;
};
RAWGPU_KGSL_SIZE(kgsl_shadowprop, 24);
RAWGPU_KGSL_OFF(kgsl_shadowprop, gpuaddr, 0);
RAWGPU_KGSL_OFF(kgsl_shadowprop, size, 8);
RAWGPU_KGSL_OFF(kgsl_shadowprop, flags, 16);
RAWGPU_KGSL_OFF(kgsl_shadowprop, pad0, 20);

// struct kgsl_version — KGSL_PROP_VERSION payload (sizebytes must be exactly 16).
struct kgsl_version {
  uint32_t drv_major;
  uint32_t drv_minor;
  uint32_t dev_major;
  uint32_t dev_minor;
};
RAWGPU_KGSL_SIZE(kgsl_version, 16);
RAWGPU_KGSL_OFF(kgsl_version, drv_major, 0);
RAWGPU_KGSL_OFF(kgsl_version, drv_minor, 4);
RAWGPU_KGSL_OFF(kgsl_version, dev_major, 8);
RAWGPU_KGSL_OFF(kgsl_version, dev_minor, 12);

// struct kgsl_ucode_version — KGSL_PROP_UCODE_VERSION payload.
struct kgsl_ucode_version {
  uint32_t pfp;
  uint32_t pm4;
};
RAWGPU_KGSL_SIZE(kgsl_ucode_version, 8);
RAWGPU_KGSL_OFF(kgsl_ucode_version, pfp, 0);
RAWGPU_KGSL_OFF(kgsl_ucode_version, pm4, 4);

// struct kgsl_gpu_model — KGSL_PROP_GPU_MODEL payload ("Adreno730v3"; 2025 header).
struct kgsl_gpu_model {
  char gpu_model[32];
};
RAWGPU_KGSL_SIZE(kgsl_gpu_model, 32);
RAWGPU_KGSL_OFF(kgsl_gpu_model, gpu_model, 0);

// struct kgsl_capabilities — KGSL_PROP_QUERY_CAPABILITIES payload (2025 header; sheet §1.4).
struct kgsl_capabilities {
  uint64_t data;  // user pointer to the answer (uint32_t property ids for querytype 1)
  uint64_t size;  // bytes at data; 0 asks for the needed size
  uint32_t querytype;
  uint32_t pad0;
};
RAWGPU_KGSL_SIZE(kgsl_capabilities, 24);
RAWGPU_KGSL_OFF(kgsl_capabilities, data, 0);
RAWGPU_KGSL_OFF(kgsl_capabilities, size, 8);
RAWGPU_KGSL_OFF(kgsl_capabilities, querytype, 16);
RAWGPU_KGSL_OFF(kgsl_capabilities, pad0, 20);

// struct kgsl_device_getproperty — IOCTL_KGSL_DEVICE_GETPROPERTY and IOCTL_KGSL_SETPROPERTY.
struct kgsl_device_getproperty {
  uint32_t type;  // KGSL_PROP_*
  uint32_t pad0;
  uint64_t value;      // void __user *: the payload
  uint64_t sizebytes;  // size_t: bytes at value
};
RAWGPU_KGSL_SIZE(kgsl_device_getproperty, 24);
RAWGPU_KGSL_OFF(kgsl_device_getproperty, type, 0);
RAWGPU_KGSL_OFF(kgsl_device_getproperty, pad0, 4);
RAWGPU_KGSL_OFF(kgsl_device_getproperty, value, 8);
RAWGPU_KGSL_OFF(kgsl_device_getproperty, sizebytes, 16);

// struct kgsl_device_constraint — SETPROPERTY KGSL_PROP_PWR_CONSTRAINT payload (sheet §1.5).
struct kgsl_device_constraint {
  uint32_t type;  // KGSL_CONSTRAINT_*
  uint32_t context_id;
  uint64_t data;  // void __user *: kgsl_device_constraint_pwrlevel for PWRLEVEL
  uint64_t size;  // size_t: must be 4 for PWRLEVEL
};
RAWGPU_KGSL_SIZE(kgsl_device_constraint, 24);
RAWGPU_KGSL_OFF(kgsl_device_constraint, type, 0);
RAWGPU_KGSL_OFF(kgsl_device_constraint, context_id, 4);
RAWGPU_KGSL_OFF(kgsl_device_constraint, data, 8);
RAWGPU_KGSL_OFF(kgsl_device_constraint, size, 16);

struct kgsl_device_constraint_pwrlevel {
  uint32_t level;  // KGSL_CONSTRAINT_PWR_MIN/MAX
};
RAWGPU_KGSL_SIZE(kgsl_device_constraint_pwrlevel, 4);
RAWGPU_KGSL_OFF(kgsl_device_constraint_pwrlevel, level, 0);

// struct kgsl_device_waittimestamp — IOCTL_KGSL_DEVICE_WAITTIMESTAMP (legacy: ENOTTY on K).
struct kgsl_device_waittimestamp {
  uint32_t timestamp;
  uint32_t timeout;
};
RAWGPU_KGSL_SIZE(kgsl_device_waittimestamp, 8);
RAWGPU_KGSL_OFF(kgsl_device_waittimestamp, timestamp, 0);
RAWGPU_KGSL_OFF(kgsl_device_waittimestamp, timeout, 4);

// struct kgsl_device_waittimestamp_ctxtid — timeout in ms; 0 (and 0xFFFFFFFF) wait forever.
struct kgsl_device_waittimestamp_ctxtid {
  uint32_t context_id;
  uint32_t timestamp;
  uint32_t timeout;
};
RAWGPU_KGSL_SIZE(kgsl_device_waittimestamp_ctxtid, 12);
RAWGPU_KGSL_OFF(kgsl_device_waittimestamp_ctxtid, context_id, 0);
RAWGPU_KGSL_OFF(kgsl_device_waittimestamp_ctxtid, timestamp, 4);
RAWGPU_KGSL_OFF(kgsl_device_waittimestamp_ctxtid, timeout, 8);

// struct kgsl_drawctxt_create — flags in; out: the flags the kernel accepted (sheet §1.3).
struct kgsl_drawctxt_create {
  uint32_t flags;
  uint32_t drawctxt_id;
};
RAWGPU_KGSL_SIZE(kgsl_drawctxt_create, 8);
RAWGPU_KGSL_OFF(kgsl_drawctxt_create, flags, 0);
RAWGPU_KGSL_OFF(kgsl_drawctxt_create, drawctxt_id, 4);

struct kgsl_drawctxt_destroy {
  uint32_t drawctxt_id;
};
RAWGPU_KGSL_SIZE(kgsl_drawctxt_destroy, 4);
RAWGPU_KGSL_OFF(kgsl_drawctxt_destroy, drawctxt_id, 0);

// struct kgsl_map_user_mem — IOCTL_KGSL_MAP_USER_MEM (memtype is an enum: 4 bytes).
struct kgsl_map_user_mem {
  int32_t fd;
  uint32_t pad0;
  uint64_t gpuaddr;  // unsigned long, out
  uint64_t len;      // size_t
  uint64_t offset;   // size_t, must be 0 for ADDR
  uint64_t hostptr;  // unsigned long
  uint32_t memtype;  // KGSL_USER_MEM_TYPE_*
  uint32_t flags;    // KGSL_MEMFLAGS_* (low 32 bits), in/out
};
RAWGPU_KGSL_SIZE(kgsl_map_user_mem, 48);
RAWGPU_KGSL_OFF(kgsl_map_user_mem, fd, 0);
RAWGPU_KGSL_OFF(kgsl_map_user_mem, pad0, 4);
RAWGPU_KGSL_OFF(kgsl_map_user_mem, gpuaddr, 8);
RAWGPU_KGSL_OFF(kgsl_map_user_mem, len, 16);
RAWGPU_KGSL_OFF(kgsl_map_user_mem, offset, 24);
RAWGPU_KGSL_OFF(kgsl_map_user_mem, hostptr, 32);
RAWGPU_KGSL_OFF(kgsl_map_user_mem, memtype, 40);
RAWGPU_KGSL_OFF(kgsl_map_user_mem, flags, 44);

// struct kgsl_cmdstream_readtimestamp_ctxtid — type is KGSL_TIMESTAMP_*.
struct kgsl_cmdstream_readtimestamp_ctxtid {
  uint32_t context_id;
  uint32_t type;
  uint32_t timestamp;  // out
};
RAWGPU_KGSL_SIZE(kgsl_cmdstream_readtimestamp_ctxtid, 12);
RAWGPU_KGSL_OFF(kgsl_cmdstream_readtimestamp_ctxtid, context_id, 0);
RAWGPU_KGSL_OFF(kgsl_cmdstream_readtimestamp_ctxtid, type, 4);
RAWGPU_KGSL_OFF(kgsl_cmdstream_readtimestamp_ctxtid, timestamp, 8);

// struct kgsl_sharedmem_free — frees by GPU address (MAP_USER_MEM objects).
struct kgsl_sharedmem_free {
  uint64_t gpuaddr;  // unsigned long
};
RAWGPU_KGSL_SIZE(kgsl_sharedmem_free, 8);
RAWGPU_KGSL_OFF(kgsl_sharedmem_free, gpuaddr, 0);

// struct kgsl_timestamp_event — IOCTL_KGSL_TIMESTAMP_EVENT; for type FENCE, priv points to a
// kgsl_timestamp_event_fence that receives the sync_file fd and len must be 4.
struct kgsl_timestamp_event {
  int32_t type;  // KGSL_TIMESTAMP_EVENT_*
  uint32_t timestamp;
  uint32_t context_id;
  uint32_t pad0;
  uint64_t priv;  // void __user *
  uint64_t len;   // size_t
};
RAWGPU_KGSL_SIZE(kgsl_timestamp_event, 32);
RAWGPU_KGSL_OFF(kgsl_timestamp_event, type, 0);
RAWGPU_KGSL_OFF(kgsl_timestamp_event, timestamp, 4);
RAWGPU_KGSL_OFF(kgsl_timestamp_event, context_id, 8);
RAWGPU_KGSL_OFF(kgsl_timestamp_event, pad0, 12);
RAWGPU_KGSL_OFF(kgsl_timestamp_event, priv, 16);
RAWGPU_KGSL_OFF(kgsl_timestamp_event, len, 24);

struct kgsl_timestamp_event_fence {
  int32_t fence_fd;  // out
};
RAWGPU_KGSL_SIZE(kgsl_timestamp_event_fence, 4);
RAWGPU_KGSL_OFF(kgsl_timestamp_event_fence, fence_fd, 0);

// struct kgsl_gpumem_alloc_id — the older allocation path turnip uses (32 flag bits only).
struct kgsl_gpumem_alloc_id {
  uint32_t id;        // out
  uint32_t flags;     // in/out
  uint64_t size;      // size_t, in/out
  uint64_t mmapsize;  // size_t, out
  uint64_t gpuaddr;   // unsigned long, out (0 with USE_CPU_MAP)
  uint64_t __pad[2];
};
RAWGPU_KGSL_SIZE(kgsl_gpumem_alloc_id, 48);
RAWGPU_KGSL_OFF(kgsl_gpumem_alloc_id, id, 0);
RAWGPU_KGSL_OFF(kgsl_gpumem_alloc_id, flags, 4);
RAWGPU_KGSL_OFF(kgsl_gpumem_alloc_id, size, 8);
RAWGPU_KGSL_OFF(kgsl_gpumem_alloc_id, mmapsize, 16);
RAWGPU_KGSL_OFF(kgsl_gpumem_alloc_id, gpuaddr, 24);
RAWGPU_KGSL_OFF(kgsl_gpumem_alloc_id, __pad, 32);

struct kgsl_gpumem_free_id {
  uint32_t id;
  uint32_t __pad;
};
RAWGPU_KGSL_SIZE(kgsl_gpumem_free_id, 8);
RAWGPU_KGSL_OFF(kgsl_gpumem_free_id, id, 0);
RAWGPU_KGSL_OFF(kgsl_gpumem_free_id, __pad, 4);

struct kgsl_gpumem_get_info {
  uint64_t gpuaddr;  // unsigned long, in/out
  uint32_t id;       // in/out
  uint32_t flags;
  uint64_t size;      // size_t
  uint64_t mmapsize;  // size_t
  uint64_t useraddr;  // unsigned long
  uint64_t __pad[4];
};
RAWGPU_KGSL_SIZE(kgsl_gpumem_get_info, 72);
RAWGPU_KGSL_OFF(kgsl_gpumem_get_info, gpuaddr, 0);
RAWGPU_KGSL_OFF(kgsl_gpumem_get_info, id, 8);
RAWGPU_KGSL_OFF(kgsl_gpumem_get_info, flags, 12);
RAWGPU_KGSL_OFF(kgsl_gpumem_get_info, size, 16);
RAWGPU_KGSL_OFF(kgsl_gpumem_get_info, mmapsize, 24);
RAWGPU_KGSL_OFF(kgsl_gpumem_get_info, useraddr, 32);
RAWGPU_KGSL_OFF(kgsl_gpumem_get_info, __pad, 40);

struct kgsl_gpumem_sync_cache {
  uint64_t gpuaddr;  // unsigned long
  uint32_t id;
  uint32_t op;      // KGSL_GPUMEM_CACHE_*
  uint64_t offset;  // size_t
  uint64_t length;  // size_t
};
RAWGPU_KGSL_SIZE(kgsl_gpumem_sync_cache, 32);
RAWGPU_KGSL_OFF(kgsl_gpumem_sync_cache, gpuaddr, 0);
RAWGPU_KGSL_OFF(kgsl_gpumem_sync_cache, id, 8);
RAWGPU_KGSL_OFF(kgsl_gpumem_sync_cache, op, 12);
RAWGPU_KGSL_OFF(kgsl_gpumem_sync_cache, offset, 16);
RAWGPU_KGSL_OFF(kgsl_gpumem_sync_cache, length, 24);

struct kgsl_perfcounter_get {
  uint32_t groupid;
  uint32_t countable;
  uint32_t offset;     // out: LO register dword offset
  uint32_t offset_hi;  // out
  uint32_t __pad;
};
RAWGPU_KGSL_SIZE(kgsl_perfcounter_get, 20);
RAWGPU_KGSL_OFF(kgsl_perfcounter_get, groupid, 0);
RAWGPU_KGSL_OFF(kgsl_perfcounter_get, countable, 4);
RAWGPU_KGSL_OFF(kgsl_perfcounter_get, offset, 8);
RAWGPU_KGSL_OFF(kgsl_perfcounter_get, offset_hi, 12);
RAWGPU_KGSL_OFF(kgsl_perfcounter_get, __pad, 16);

struct kgsl_perfcounter_put {
  uint32_t groupid;
  uint32_t countable;
  uint32_t __pad[2];
};
RAWGPU_KGSL_SIZE(kgsl_perfcounter_put, 16);
RAWGPU_KGSL_OFF(kgsl_perfcounter_put, groupid, 0);
RAWGPU_KGSL_OFF(kgsl_perfcounter_put, countable, 4);
RAWGPU_KGSL_OFF(kgsl_perfcounter_put, __pad, 8);

struct kgsl_perfcounter_read_group {
  uint32_t groupid;
  uint32_t countable;
  uint64_t value;  // unsigned long long, out
};
RAWGPU_KGSL_SIZE(kgsl_perfcounter_read_group, 16);
RAWGPU_KGSL_OFF(kgsl_perfcounter_read_group, groupid, 0);
RAWGPU_KGSL_OFF(kgsl_perfcounter_read_group, countable, 4);
RAWGPU_KGSL_OFF(kgsl_perfcounter_read_group, value, 8);

struct kgsl_perfcounter_read {
  uint64_t reads;  // kgsl_perfcounter_read_group __user *
  uint32_t count;
  uint32_t __pad[2];
  uint32_t pad0;
};
RAWGPU_KGSL_SIZE(kgsl_perfcounter_read, 24);
RAWGPU_KGSL_OFF(kgsl_perfcounter_read, reads, 0);
RAWGPU_KGSL_OFF(kgsl_perfcounter_read, count, 8);
RAWGPU_KGSL_OFF(kgsl_perfcounter_read, __pad, 12);
RAWGPU_KGSL_OFF(kgsl_perfcounter_read, pad0, 20);

// struct kgsl_gpuobj_alloc — no GPU address comes back: ask GPUOBJ_INFO (or, with USE_CPU_MAP,
// the address is the CPU address mmap picks).
struct kgsl_gpuobj_alloc {
  uint64_t size;      // in; out: page-aligned actual
  uint64_t flags;     // in; out: the flags actually applied
  uint64_t va_len;    // unused
  uint64_t mmapsize;  // out
  uint32_t id;        // out
  uint32_t metadata_len;
  uint64_t metadata;  // user pointer to a label (<= 64 chars kept)
};
RAWGPU_KGSL_SIZE(kgsl_gpuobj_alloc, 48);
RAWGPU_KGSL_OFF(kgsl_gpuobj_alloc, size, 0);
RAWGPU_KGSL_OFF(kgsl_gpuobj_alloc, flags, 8);
RAWGPU_KGSL_OFF(kgsl_gpuobj_alloc, va_len, 16);
RAWGPU_KGSL_OFF(kgsl_gpuobj_alloc, mmapsize, 24);
RAWGPU_KGSL_OFF(kgsl_gpuobj_alloc, id, 32);
RAWGPU_KGSL_OFF(kgsl_gpuobj_alloc, metadata_len, 36);
RAWGPU_KGSL_OFF(kgsl_gpuobj_alloc, metadata, 40);

// struct kgsl_gpuobj_free — with KGSL_GPUOBJ_FREE_ON_EVENT, priv points to a
// kgsl_gpu_event_timestamp (type TIMESTAMP) or kgsl_gpu_event_fence (type FENCE) of len bytes.
struct kgsl_gpuobj_free {
  uint64_t flags;
  uint64_t priv;
  uint32_t id;
  uint32_t type;  // KGSL_GPU_EVENT_*
  uint32_t len;
  uint32_t pad0;
};
RAWGPU_KGSL_SIZE(kgsl_gpuobj_free, 32);
RAWGPU_KGSL_OFF(kgsl_gpuobj_free, flags, 0);
RAWGPU_KGSL_OFF(kgsl_gpuobj_free, priv, 8);
RAWGPU_KGSL_OFF(kgsl_gpuobj_free, id, 16);
RAWGPU_KGSL_OFF(kgsl_gpuobj_free, type, 20);
RAWGPU_KGSL_OFF(kgsl_gpuobj_free, len, 24);
RAWGPU_KGSL_OFF(kgsl_gpuobj_free, pad0, 28);

struct kgsl_gpu_event_timestamp {
  uint32_t context_id;
  uint32_t timestamp;
};
RAWGPU_KGSL_SIZE(kgsl_gpu_event_timestamp, 8);
RAWGPU_KGSL_OFF(kgsl_gpu_event_timestamp, context_id, 0);
RAWGPU_KGSL_OFF(kgsl_gpu_event_timestamp, timestamp, 4);

struct kgsl_gpu_event_fence {
  int32_t fd;
};
RAWGPU_KGSL_SIZE(kgsl_gpu_event_fence, 4);
RAWGPU_KGSL_OFF(kgsl_gpu_event_fence, fd, 0);

// struct kgsl_gpuobj_info — id in, the rest out; va_addr is always 0 on K (sheet §1.3).
struct kgsl_gpuobj_info {
  uint64_t gpuaddr;
  uint64_t flags;
  uint64_t size;
  uint64_t va_len;  // = mmap size
  uint64_t va_addr;
  uint32_t id;
  uint32_t pad0;
};
RAWGPU_KGSL_SIZE(kgsl_gpuobj_info, 48);
RAWGPU_KGSL_OFF(kgsl_gpuobj_info, gpuaddr, 0);
RAWGPU_KGSL_OFF(kgsl_gpuobj_info, flags, 8);
RAWGPU_KGSL_OFF(kgsl_gpuobj_info, size, 16);
RAWGPU_KGSL_OFF(kgsl_gpuobj_info, va_len, 24);
RAWGPU_KGSL_OFF(kgsl_gpuobj_info, va_addr, 32);
RAWGPU_KGSL_OFF(kgsl_gpuobj_info, id, 40);
RAWGPU_KGSL_OFF(kgsl_gpuobj_info, pad0, 44);

// struct kgsl_gpuobj_import — priv points to kgsl_gpuobj_import_dma_buf (type DMABUF) or
// kgsl_gpuobj_import_useraddr (type ADDR).
struct kgsl_gpuobj_import {
  uint64_t priv;
  uint64_t priv_len;
  uint64_t flags;
  uint32_t type;  // KGSL_USER_MEM_TYPE_*
  uint32_t id;    // out
};
RAWGPU_KGSL_SIZE(kgsl_gpuobj_import, 32);
RAWGPU_KGSL_OFF(kgsl_gpuobj_import, priv, 0);
RAWGPU_KGSL_OFF(kgsl_gpuobj_import, priv_len, 8);
RAWGPU_KGSL_OFF(kgsl_gpuobj_import, flags, 16);
RAWGPU_KGSL_OFF(kgsl_gpuobj_import, type, 24);
RAWGPU_KGSL_OFF(kgsl_gpuobj_import, id, 28);

struct kgsl_gpuobj_import_dma_buf {
  int32_t fd;
};
RAWGPU_KGSL_SIZE(kgsl_gpuobj_import_dma_buf, 4);
RAWGPU_KGSL_OFF(kgsl_gpuobj_import_dma_buf, fd, 0);

struct kgsl_gpuobj_import_useraddr {
  uint64_t virtaddr;
};
RAWGPU_KGSL_SIZE(kgsl_gpuobj_import_useraddr, 8);
RAWGPU_KGSL_OFF(kgsl_gpuobj_import_useraddr, virtaddr, 0);

struct kgsl_gpuobj_sync_obj {
  uint64_t offset;
  uint64_t length;
  uint32_t id;
  uint32_t op;  // KGSL_GPUMEM_CACHE_*
};
RAWGPU_KGSL_SIZE(kgsl_gpuobj_sync_obj, 24);
RAWGPU_KGSL_OFF(kgsl_gpuobj_sync_obj, offset, 0);
RAWGPU_KGSL_OFF(kgsl_gpuobj_sync_obj, length, 8);
RAWGPU_KGSL_OFF(kgsl_gpuobj_sync_obj, id, 16);
RAWGPU_KGSL_OFF(kgsl_gpuobj_sync_obj, op, 20);

struct kgsl_gpuobj_sync {
  uint64_t objs;     // kgsl_gpuobj_sync_obj[count]
  uint32_t obj_len;  // sizeof(kgsl_gpuobj_sync_obj)
  uint32_t count;    // 1..128
};
RAWGPU_KGSL_SIZE(kgsl_gpuobj_sync, 16);
RAWGPU_KGSL_OFF(kgsl_gpuobj_sync, objs, 0);
RAWGPU_KGSL_OFF(kgsl_gpuobj_sync, obj_len, 8);
RAWGPU_KGSL_OFF(kgsl_gpuobj_sync, count, 12);

// struct kgsl_command_object — one IB (cmdlist) or one tracked buffer (objlist).
struct kgsl_command_object {
  uint64_t offset;
  uint64_t gpuaddr;
  uint64_t size;   // bytes
  uint32_t flags;  // KGSL_CMDLIST_* / KGSL_OBJLIST_*
  uint32_t id;
};
RAWGPU_KGSL_SIZE(kgsl_command_object, 32);
RAWGPU_KGSL_OFF(kgsl_command_object, offset, 0);
RAWGPU_KGSL_OFF(kgsl_command_object, gpuaddr, 8);
RAWGPU_KGSL_OFF(kgsl_command_object, size, 16);
RAWGPU_KGSL_OFF(kgsl_command_object, flags, 24);
RAWGPU_KGSL_OFF(kgsl_command_object, id, 28);

struct kgsl_command_syncpoint {
  uint64_t priv;  // kgsl_cmd_syncpoint_timestamp / kgsl_cmd_syncpoint_fence
  uint64_t size;
  uint32_t type;  // KGSL_CMD_SYNCPOINT_TYPE_*
  uint32_t pad0;
};
RAWGPU_KGSL_SIZE(kgsl_command_syncpoint, 24);
RAWGPU_KGSL_OFF(kgsl_command_syncpoint, priv, 0);
RAWGPU_KGSL_OFF(kgsl_command_syncpoint, size, 8);
RAWGPU_KGSL_OFF(kgsl_command_syncpoint, type, 16);
RAWGPU_KGSL_OFF(kgsl_command_syncpoint, pad0, 20);

struct kgsl_cmd_syncpoint_timestamp {
  uint32_t context_id;
  uint32_t timestamp;
};
RAWGPU_KGSL_SIZE(kgsl_cmd_syncpoint_timestamp, 8);
RAWGPU_KGSL_OFF(kgsl_cmd_syncpoint_timestamp, context_id, 0);
RAWGPU_KGSL_OFF(kgsl_cmd_syncpoint_timestamp, timestamp, 4);

struct kgsl_cmd_syncpoint_fence {
  int32_t fd;
};
RAWGPU_KGSL_SIZE(kgsl_cmd_syncpoint_fence, 4);
RAWGPU_KGSL_OFF(kgsl_cmd_syncpoint_fence, fd, 0);

// struct kgsl_gpu_command — IOCTL_KGSL_GPU_COMMAND. cmdsize/objsize/syncsize must be exactly
// 32/32/24: the kernel strides arrays by its own sizeof (sheet §1.8).
struct kgsl_gpu_command {
  uint64_t flags;  // KGSL_CMDBATCH_*
  uint64_t cmdlist;
  uint32_t cmdsize;
  uint32_t numcmds;
  uint64_t objlist;
  uint32_t objsize;
  uint32_t numobjs;
  uint64_t synclist;
  uint32_t syncsize;
  uint32_t numsyncs;
  uint32_t context_id;
  uint32_t timestamp;  // out (in with USER_GENERATED_TS)
};
RAWGPU_KGSL_SIZE(kgsl_gpu_command, 64);
RAWGPU_KGSL_OFF(kgsl_gpu_command, flags, 0);
RAWGPU_KGSL_OFF(kgsl_gpu_command, cmdlist, 8);
RAWGPU_KGSL_OFF(kgsl_gpu_command, cmdsize, 16);
RAWGPU_KGSL_OFF(kgsl_gpu_command, numcmds, 20);
RAWGPU_KGSL_OFF(kgsl_gpu_command, objlist, 24);
RAWGPU_KGSL_OFF(kgsl_gpu_command, objsize, 32);
RAWGPU_KGSL_OFF(kgsl_gpu_command, numobjs, 36);
RAWGPU_KGSL_OFF(kgsl_gpu_command, synclist, 40);
RAWGPU_KGSL_OFF(kgsl_gpu_command, syncsize, 48);
RAWGPU_KGSL_OFF(kgsl_gpu_command, numsyncs, 52);
RAWGPU_KGSL_OFF(kgsl_gpu_command, context_id, 56);
RAWGPU_KGSL_OFF(kgsl_gpu_command, timestamp, 60);

// struct kgsl_cmdbatch_profiling_buffer — filled by the kernel for KGSL_CMDBATCH_PROFILING.
struct kgsl_cmdbatch_profiling_buffer {
  uint64_t wall_clock_s;
  uint64_t wall_clock_ns;
  uint64_t gpu_ticks_queued;
  uint64_t gpu_ticks_submitted;
  uint64_t gpu_ticks_retired;
};
RAWGPU_KGSL_SIZE(kgsl_cmdbatch_profiling_buffer, 40);
RAWGPU_KGSL_OFF(kgsl_cmdbatch_profiling_buffer, wall_clock_s, 0);
RAWGPU_KGSL_OFF(kgsl_cmdbatch_profiling_buffer, wall_clock_ns, 8);
RAWGPU_KGSL_OFF(kgsl_cmdbatch_profiling_buffer, gpu_ticks_queued, 16);
RAWGPU_KGSL_OFF(kgsl_cmdbatch_profiling_buffer, gpu_ticks_submitted, 24);
RAWGPU_KGSL_OFF(kgsl_cmdbatch_profiling_buffer, gpu_ticks_retired, 32);

// =============================================================================================
// Request numbers: _IOC(dir, KGSL_IOC_TYPE, nr, sizeof(struct)), exactly as msm_kgsl.h builds
// them; each checked against the literal of sheet §1.2.

#define RAWGPU_KGSL_IOC(NAME, DIR, NR, T, LITERAL)                                         \
  inline constexpr unsigned long NAME =                                                    \
      core::ioc(core::IoctlDir::DIR, KGSL_IOC_TYPE, NR, static_cast<uint32_t>(sizeof(T))); \
  static_assert(NAME == (LITERAL), #NAME ": request differs from the fact sheet")

RAWGPU_KGSL_IOC(IOCTL_KGSL_DEVICE_GETPROPERTY, kReadWrite, 0x02, kgsl_device_getproperty,
                0xC0180902);
RAWGPU_KGSL_IOC(IOCTL_KGSL_DEVICE_WAITTIMESTAMP, kWrite, 0x06, kgsl_device_waittimestamp,
                0x40080906);  // from the struct; the sheet quotes no literal (legacy)
RAWGPU_KGSL_IOC(IOCTL_KGSL_DEVICE_WAITTIMESTAMP_CTXTID, kWrite, 0x07,
                kgsl_device_waittimestamp_ctxtid, 0x400C0907);
RAWGPU_KGSL_IOC(IOCTL_KGSL_DRAWCTXT_CREATE, kReadWrite, 0x13, kgsl_drawctxt_create, 0xC0080913);
RAWGPU_KGSL_IOC(IOCTL_KGSL_DRAWCTXT_DESTROY, kWrite, 0x14, kgsl_drawctxt_destroy, 0x40040914);
RAWGPU_KGSL_IOC(IOCTL_KGSL_MAP_USER_MEM, kReadWrite, 0x15, kgsl_map_user_mem, 0xC0300915);
RAWGPU_KGSL_IOC(IOCTL_KGSL_CMDSTREAM_READTIMESTAMP_CTXTID, kReadWrite, 0x16,
                kgsl_cmdstream_readtimestamp_ctxtid, 0xC00C0916);
RAWGPU_KGSL_IOC(IOCTL_KGSL_SHAREDMEM_FREE, kWrite, 0x21, kgsl_sharedmem_free, 0x40080921);
RAWGPU_KGSL_IOC(IOCTL_KGSL_SETPROPERTY, kWrite, 0x32, kgsl_device_getproperty, 0x40180932);
RAWGPU_KGSL_IOC(IOCTL_KGSL_TIMESTAMP_EVENT, kReadWrite, 0x33, kgsl_timestamp_event, 0xC0200933);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUMEM_ALLOC_ID, kReadWrite, 0x34, kgsl_gpumem_alloc_id, 0xC0300934);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUMEM_FREE_ID, kReadWrite, 0x35, kgsl_gpumem_free_id, 0xC0080935);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUMEM_GET_INFO, kReadWrite, 0x36, kgsl_gpumem_get_info, 0xC0480936);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUMEM_SYNC_CACHE, kWrite, 0x37, kgsl_gpumem_sync_cache, 0x40200937);
RAWGPU_KGSL_IOC(IOCTL_KGSL_PERFCOUNTER_GET, kReadWrite, 0x38, kgsl_perfcounter_get, 0xC0140938);
RAWGPU_KGSL_IOC(IOCTL_KGSL_PERFCOUNTER_PUT, kWrite, 0x39, kgsl_perfcounter_put, 0x40100939);
RAWGPU_KGSL_IOC(IOCTL_KGSL_PERFCOUNTER_READ, kReadWrite, 0x3B, kgsl_perfcounter_read, 0xC018093B);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUOBJ_ALLOC, kReadWrite, 0x45, kgsl_gpuobj_alloc, 0xC0300945);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUOBJ_FREE, kWrite, 0x46, kgsl_gpuobj_free, 0x40200946);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUOBJ_INFO, kReadWrite, 0x47, kgsl_gpuobj_info, 0xC0300947);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUOBJ_IMPORT, kReadWrite, 0x48, kgsl_gpuobj_import, 0xC0200948);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPUOBJ_SYNC, kWrite, 0x49, kgsl_gpuobj_sync, 0x40100949);
RAWGPU_KGSL_IOC(IOCTL_KGSL_GPU_COMMAND, kReadWrite, 0x4A, kgsl_gpu_command, 0xC040094A);

#undef RAWGPU_KGSL_IOC

}  // namespace rawgpu::qcom

// The KGSL ioctl table: field lists, symbolic names and errno hints of the rows in describe.h.
// Field names follow include/uapi/linux/msm_kgsl.h; directions follow its "output param" comments
// and shared/abi/qcom-kgsl.md §1.3 (what the kernel writes back). Errno meanings: K kgsl.c,
// kgsl_ioctl.c, kgsl_drawobj.c, kgsl_events.c and KA adreno*.c as summarised in sheet §1.4-§1.9
// and the cheat-sheet §1.11.
#include "qcom_kgsl/describe.h"

#include <cerrno>
#include <iterator>

namespace rawgpu::qcom {
namespace {

using core::ArgField;
using core::ErrnoHint;
using core::NamedValue;

// One field of struct T: its member name, offset and size come from the struct itself.
// clang-format off
#define F(T, MEMBER, KIND, DIR, ...)                                                         \
  ArgField{#MEMBER, static_cast<uint32_t>(offsetof(T, MEMBER)),                              \
           static_cast<uint32_t>(sizeof(T::MEMBER)), core::ArgKind::KIND, core::ArgDir::DIR, \
           __VA_ARGS__}
// A named constant: the value of abi.h's constant and its spelling.
#define N(X) NamedValue{static_cast<uint64_t>(X), #X}
// One value of a multi-bit field, listed from the highest value down so that append_flags takes
// the exact value before any of its subsets.
#define NPRIO(P) NamedValue{kgsl_context_priority(P), "KGSL_CONTEXT_PRIORITY(" #P ")"}
// MEMALIGN is listed for log2 alignments 1..31 (KGSL caps it at 25); a larger value of the 8-bit
// field may print split into two names.
#define NALIGN(A) NamedValue{kgsl_memalign(A), "KGSL_MEMALIGN(" #A ")"}
// clang-format on

// ---------------------------------------------------------------------------------------------
// Symbolic names.

constexpr NamedValue kContextFlagNames[] = {
    N(KGSL_CONTEXT_SAVE_GMEM),
    N(KGSL_CONTEXT_NO_GMEM_ALLOC),
    N(KGSL_CONTEXT_SUBMIT_IB_LIST),
    N(KGSL_CONTEXT_CTX_SWITCH),
    N(KGSL_CONTEXT_PREAMBLE),
    N(KGSL_CONTEXT_TRASH_STATE),
    N(KGSL_CONTEXT_PER_CONTEXT_TS),
    N(KGSL_CONTEXT_USER_GENERATED_TS),
    N(KGSL_CONTEXT_END_OF_FRAME),
    N(KGSL_CONTEXT_NO_FAULT_TOLERANCE),
    N(KGSL_CONTEXT_SYNC),
    N(KGSL_CONTEXT_PWR_CONSTRAINT),
    // clang-format off
    NPRIO(15), NPRIO(14), NPRIO(13), NPRIO(12), NPRIO(11), NPRIO(10), NPRIO(9), NPRIO(8),
    NPRIO(7), NPRIO(6), NPRIO(5), NPRIO(4), NPRIO(3), NPRIO(2), NPRIO(1),
    // clang-format on
    N(KGSL_CONTEXT_IFH_NOP),
    N(KGSL_CONTEXT_SECURE),
    N(KGSL_CONTEXT_NO_SNAPSHOT),
    N(KGSL_CONTEXT_SPARSE),
    // Context types 1..5; other values print as leftover bits.
    {kgsl_context_type(KGSL_CONTEXT_TYPE_VK), "KGSL_CONTEXT_TYPE_VK"},
    {kgsl_context_type(KGSL_CONTEXT_TYPE_RS), "KGSL_CONTEXT_TYPE_RS"},
    {kgsl_context_type(KGSL_CONTEXT_TYPE_C2D), "KGSL_CONTEXT_TYPE_C2D"},
    {kgsl_context_type(KGSL_CONTEXT_TYPE_CL), "KGSL_CONTEXT_TYPE_CL"},
    {kgsl_context_type(KGSL_CONTEXT_TYPE_GL), "KGSL_CONTEXT_TYPE_GL"},
    {kgsl_context_preempt_style(KGSL_CONTEXT_PREEMPT_STYLE_FINEGRAIN),
     "KGSL_CONTEXT_PREEMPT_STYLE_FINEGRAIN"},
    {kgsl_context_preempt_style(KGSL_CONTEXT_PREEMPT_STYLE_RINGBUFFER),
     "KGSL_CONTEXT_PREEMPT_STYLE_RINGBUFFER"},
    N(KGSL_CONTEXT_INVALIDATE_ON_FAULT),
    N(KGSL_CONTEXT_LPAC),
    N(KGSL_CONTEXT_FAULT_INFO),
};
constexpr std::string_view kContextFlagPrefix = "KGSL_CONTEXT_";

constexpr NamedValue kMemFlagNames[] = {
    N(KGSL_MEMFLAGS_SECURE),
    // clang-format off
    NALIGN(31), NALIGN(30), NALIGN(29), NALIGN(28), NALIGN(27), NALIGN(26), NALIGN(25),
    NALIGN(24), NALIGN(23), NALIGN(22), NALIGN(21), NALIGN(20), NALIGN(19), NALIGN(18),
    NALIGN(17), NALIGN(16), NALIGN(15), NALIGN(14), NALIGN(13), NALIGN(12), NALIGN(11),
    NALIGN(10), NALIGN(9), NALIGN(8), NALIGN(7), NALIGN(6), NALIGN(5), NALIGN(4), NALIGN(3),
    NALIGN(2), NALIGN(1),
    // clang-format on
    N(KGSL_MEMFLAGS_GPUREADONLY),
    N(KGSL_MEMFLAGS_GPUWRITEONLY),
    {kgsl_cachemode(KGSL_CACHEMODE_WRITEBACK), "KGSL_CACHEMODE_WRITEBACK"},
    {kgsl_cachemode(KGSL_CACHEMODE_WRITETHROUGH), "KGSL_CACHEMODE_WRITETHROUGH"},
    {kgsl_cachemode(KGSL_CACHEMODE_UNCACHED), "KGSL_CACHEMODE_UNCACHED"},
    N(KGSL_MEMFLAGS_USE_CPU_MAP),
    N(KGSL_MEMFLAGS_IOCOHERENT),
    N(KGSL_MEMFLAGS_FORCE_32BIT),
    N(KGSL_MEMFLAGS_GUARD_PAGE),
};
constexpr std::string_view kMemFlagPrefix = "KGSL_MEMFLAGS_";

constexpr NamedValue kPropertyNames[] = {
    N(KGSL_PROP_DEVICE_INFO),
    N(KGSL_PROP_DEVICE_SHADOW),
    N(KGSL_PROP_DEVICE_POWER),
    N(KGSL_PROP_SHMEM),
    N(KGSL_PROP_SHMEM_APERTURES),
    N(KGSL_PROP_MMU_ENABLE),
    N(KGSL_PROP_INTERRUPT_WAITS),
    N(KGSL_PROP_VERSION),
    N(KGSL_PROP_GPU_RESET_STAT),
    N(KGSL_PROP_PWRCTRL),
    N(KGSL_PROP_PWR_CONSTRAINT),
    N(KGSL_PROP_UCHE_GMEM_VADDR),
    N(KGSL_PROP_SP_GENERIC_MEM),
    N(KGSL_PROP_UCODE_VERSION),
    N(KGSL_PROP_GPMU_VERSION),
    N(KGSL_PROP_HIGHEST_BANK_BIT),
    N(KGSL_PROP_DEVICE_BITNESS),
    N(KGSL_PROP_DEVICE_QDSS_STM),
    N(KGSL_PROP_MIN_ACCESS_LENGTH),
    N(KGSL_PROP_UBWC_MODE),
    N(KGSL_PROP_DEVICE_QTIMER),
    N(KGSL_PROP_SECURE_BUFFER_ALIGNMENT),
    N(KGSL_PROP_SECURE_CTXT_SUPPORT),
    N(KGSL_PROP_SPEED_BIN),
    N(KGSL_PROP_GAMING_BIN),
    N(KGSL_PROP_QUERY_CAPABILITIES),
    N(KGSL_PROP_GPU_MODEL),
    N(KGSL_PROP_VK_DEVICE_ID),
    N(KGSL_PROP_IS_LPAC_ENABLED),
    N(KGSL_PROP_GPU_VA64_SIZE),
    N(KGSL_PROP_IS_RAYTRACING_ENABLED),
};
constexpr std::string_view kPropertyPrefix = "KGSL_PROP_";

constexpr NamedValue kCmdbatchFlagNames[] = {
    N(KGSL_CMDBATCH_MEMLIST),      N(KGSL_CMDBATCH_MARKER),    N(KGSL_CMDBATCH_SUBMIT_IB_LIST),
    N(KGSL_CMDBATCH_CTX_SWITCH),   N(KGSL_CMDBATCH_PROFILING), N(KGSL_CMDBATCH_PROFILING_KTIME),
    N(KGSL_CMDBATCH_END_OF_FRAME), N(KGSL_CMDBATCH_SYNC),      N(KGSL_CMDBATCH_PWR_CONSTRAINT),
};
constexpr std::string_view kCmdbatchFlagPrefix = "KGSL_CMDBATCH_";

constexpr NamedValue kCmdobjFlagNames[] = {
    N(KGSL_CMDLIST_IB),          N(KGSL_CMDLIST_CTXTSWITCH_PREAMBLE),
    N(KGSL_CMDLIST_IB_PREAMBLE), N(KGSL_OBJLIST_MEMOBJ),
    N(KGSL_OBJLIST_PROFILE),
};

constexpr NamedValue kTimestampTypeNames[] = {
    N(KGSL_TIMESTAMP_CONSUMED),
    N(KGSL_TIMESTAMP_RETIRED),
    N(KGSL_TIMESTAMP_QUEUED),
};
constexpr std::string_view kTimestampTypePrefix = "KGSL_TIMESTAMP_";

constexpr NamedValue kTimestampEventTypeNames[] = {
    N(KGSL_TIMESTAMP_EVENT_GENLOCK),
    N(KGSL_TIMESTAMP_EVENT_FENCE),
};
constexpr std::string_view kTimestampEventTypePrefix = "KGSL_TIMESTAMP_EVENT_";

constexpr NamedValue kUserMemTypeNames[] = {
    N(KGSL_USER_MEM_TYPE_PMEM),
    N(KGSL_USER_MEM_TYPE_ASHMEM),
    N(KGSL_USER_MEM_TYPE_ADDR),
    N(KGSL_USER_MEM_TYPE_DMABUF),
};
constexpr std::string_view kUserMemTypePrefix = "KGSL_USER_MEM_TYPE_";

constexpr NamedValue kGpuobjFreeFlagNames[] = {N(KGSL_GPUOBJ_FREE_ON_EVENT)};
constexpr std::string_view kGpuobjFreeFlagPrefix = "KGSL_GPUOBJ_FREE_";

constexpr NamedValue kGpuEventTypeNames[] = {
    N(KGSL_GPU_EVENT_TIMESTAMP),
    N(KGSL_GPU_EVENT_FENCE),
};
constexpr std::string_view kGpuEventTypePrefix = "KGSL_GPU_EVENT_";

constexpr NamedValue kCacheOpNames[] = {
    N(KGSL_GPUMEM_CACHE_CLEAN),
    N(KGSL_GPUMEM_CACHE_INV),
    N(KGSL_GPUMEM_CACHE_RANGE),
};
constexpr std::string_view kCacheOpPrefix = "KGSL_GPUMEM_CACHE_";

// ---------------------------------------------------------------------------------------------
// Field lists, member by member.
// Roles (core::ArgRole, for the replayer): object ids are kHandle "kgsl.mem", context ids
// "kgsl.ctx"; GPU addresses KGSL chose are kGpuAddr "kgsl.va"; timestamps stay as recorded.

constexpr ArgField kGetPropertyFields[] = {
    F(kgsl_device_getproperty, type, kEnum, kIn, kPropertyNames, kPropertyPrefix),
    F(kgsl_device_getproperty, pad0, kPad, kIn),
    F(kgsl_device_getproperty, value, kPtr, kIn),
    F(kgsl_device_getproperty, sizebytes, kUnsigned, kIn),
};
constexpr ArgField kSetPropertyFields[] = {
    F(kgsl_device_getproperty, type, kEnum, kIn, kPropertyNames, kPropertyPrefix),
    F(kgsl_device_getproperty, pad0, kPad, kIn),
    F(kgsl_device_getproperty, value, kPtr, kIn),
    F(kgsl_device_getproperty, sizebytes, kUnsigned, kIn),
};

constexpr ArgField kWaitTimestampFields[] = {
    F(kgsl_device_waittimestamp, timestamp, kUnsigned, kIn),
    F(kgsl_device_waittimestamp, timeout, kUnsigned, kIn),
};
constexpr ArgField kWaitTimestampCtxtidFields[] = {
    F(kgsl_device_waittimestamp_ctxtid, context_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.ctx"),
    F(kgsl_device_waittimestamp_ctxtid, timestamp, kUnsigned, kIn),
    F(kgsl_device_waittimestamp_ctxtid, timeout, kUnsigned, kIn),
};

constexpr ArgField kDrawctxtCreateFields[] = {
    F(kgsl_drawctxt_create, flags, kFlags, kInOut, kContextFlagNames, kContextFlagPrefix),
    F(kgsl_drawctxt_create, drawctxt_id, kUnsigned, kOut, {}, {}, core::ArgRole::kHandle, "kgsl.ctx"),
};
constexpr ArgField kDrawctxtDestroyFields[] = {
    F(kgsl_drawctxt_destroy, drawctxt_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.ctx"),
};

constexpr ArgField kMapUserMemFields[] = {
    F(kgsl_map_user_mem, fd, kFd, kIn),
    F(kgsl_map_user_mem, pad0, kPad, kIn),
    F(kgsl_map_user_mem, gpuaddr, kHex, kOut, {}, {}, core::ArgRole::kGpuAddr, "kgsl.va"),
    F(kgsl_map_user_mem, len, kHex, kIn),
    F(kgsl_map_user_mem, offset, kHex, kIn),
    F(kgsl_map_user_mem, hostptr, kPtr, kIn, {}, {}, core::ArgRole::kCpuAddr),
    F(kgsl_map_user_mem, memtype, kEnum, kIn, kUserMemTypeNames, kUserMemTypePrefix),
    F(kgsl_map_user_mem, flags, kFlags, kInOut, kMemFlagNames, kMemFlagPrefix),
};

constexpr ArgField kReadTimestampFields[] = {
    F(kgsl_cmdstream_readtimestamp_ctxtid, context_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.ctx"),
    F(kgsl_cmdstream_readtimestamp_ctxtid, type, kEnum, kIn, kTimestampTypeNames,
      kTimestampTypePrefix),
    F(kgsl_cmdstream_readtimestamp_ctxtid, timestamp, kUnsigned, kOut),
};

constexpr ArgField kSharedmemFreeFields[] = {
    F(kgsl_sharedmem_free, gpuaddr, kHex, kIn, {}, {}, core::ArgRole::kGpuAddr, "kgsl.va"),
};

constexpr ArgField kTimestampEventFields[] = {
    F(kgsl_timestamp_event, type, kEnum, kIn, kTimestampEventTypeNames, kTimestampEventTypePrefix),
    F(kgsl_timestamp_event, timestamp, kUnsigned, kIn),
    F(kgsl_timestamp_event, context_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.ctx"),
    F(kgsl_timestamp_event, pad0, kPad, kIn),
    F(kgsl_timestamp_event, priv, kPtr, kIn),
    F(kgsl_timestamp_event, len, kUnsigned, kIn),
};

constexpr ArgField kGpumemAllocIdFields[] = {
    F(kgsl_gpumem_alloc_id, id, kUnsigned, kOut, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
    F(kgsl_gpumem_alloc_id, flags, kFlags, kInOut, kMemFlagNames, kMemFlagPrefix),
    F(kgsl_gpumem_alloc_id, size, kHex, kInOut),
    F(kgsl_gpumem_alloc_id, mmapsize, kHex, kOut),
    F(kgsl_gpumem_alloc_id, gpuaddr, kHex, kOut, {}, {}, core::ArgRole::kGpuAddr, "kgsl.va"),
    // __pad[2] is not listed: a pad field must be a scalar (core::table_problems).
};
constexpr ArgField kGpumemFreeIdFields[] = {
    F(kgsl_gpumem_free_id, id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
    F(kgsl_gpumem_free_id, __pad, kPad, kIn),
};
constexpr ArgField kGpumemGetInfoFields[] = {
    F(kgsl_gpumem_get_info, gpuaddr, kHex, kInOut, {}, {}, core::ArgRole::kGpuAddr, "kgsl.va"),
    F(kgsl_gpumem_get_info, id, kUnsigned, kInOut, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
    F(kgsl_gpumem_get_info, flags, kFlags, kOut, kMemFlagNames, kMemFlagPrefix),
    F(kgsl_gpumem_get_info, size, kHex, kOut),
    F(kgsl_gpumem_get_info, mmapsize, kHex, kOut),
    F(kgsl_gpumem_get_info, useraddr, kPtr, kOut),
    // __pad[4] is not listed: a pad field must be a scalar (core::table_problems).
};
constexpr ArgField kGpumemSyncCacheFields[] = {
    F(kgsl_gpumem_sync_cache, gpuaddr, kHex, kIn, {}, {}, core::ArgRole::kGpuAddr, "kgsl.va"),
    F(kgsl_gpumem_sync_cache, id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
    F(kgsl_gpumem_sync_cache, op, kFlags, kIn, kCacheOpNames, kCacheOpPrefix),
    F(kgsl_gpumem_sync_cache, offset, kHex, kIn),
    F(kgsl_gpumem_sync_cache, length, kHex, kIn),
};

constexpr ArgField kPerfcounterGetFields[] = {
    F(kgsl_perfcounter_get, groupid, kHex, kIn), F(kgsl_perfcounter_get, countable, kUnsigned, kIn),
    F(kgsl_perfcounter_get, offset, kHex, kOut), F(kgsl_perfcounter_get, offset_hi, kHex, kOut),
    F(kgsl_perfcounter_get, __pad, kPad, kIn),
};
constexpr ArgField kPerfcounterPutFields[] = {
    F(kgsl_perfcounter_put, groupid, kHex, kIn),
    F(kgsl_perfcounter_put, countable, kUnsigned, kIn),
    F(kgsl_perfcounter_put, __pad, kPad, kIn),
};
constexpr ArgField kPerfcounterReadFields[] = {
    F(kgsl_perfcounter_read, reads, kPtr, kIn),
    F(kgsl_perfcounter_read, count, kUnsigned, kIn),
    F(kgsl_perfcounter_read, __pad, kPad, kIn),
    F(kgsl_perfcounter_read, pad0, kPad, kIn),
};

constexpr ArgField kGpuobjAllocFields[] = {
    F(kgsl_gpuobj_alloc, size, kHex, kInOut),
    F(kgsl_gpuobj_alloc, flags, kFlags, kInOut, kMemFlagNames, kMemFlagPrefix),
    F(kgsl_gpuobj_alloc, va_len, kHex, kIn),
    F(kgsl_gpuobj_alloc, mmapsize, kHex, kOut),
    F(kgsl_gpuobj_alloc, id, kUnsigned, kOut, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
    F(kgsl_gpuobj_alloc, metadata_len, kUnsigned, kIn),
    F(kgsl_gpuobj_alloc, metadata, kPtr, kIn),
};
constexpr ArgField kGpuobjFreeFields[] = {
    F(kgsl_gpuobj_free, flags, kFlags, kIn, kGpuobjFreeFlagNames, kGpuobjFreeFlagPrefix),
    F(kgsl_gpuobj_free, priv, kPtr, kIn),
    F(kgsl_gpuobj_free, id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
    F(kgsl_gpuobj_free, type, kEnum, kIn, kGpuEventTypeNames, kGpuEventTypePrefix),
    F(kgsl_gpuobj_free, len, kUnsigned, kIn),
    F(kgsl_gpuobj_free, pad0, kPad, kIn),
};
constexpr ArgField kGpuobjInfoFields[] = {
    F(kgsl_gpuobj_info, gpuaddr, kHex, kOut, {}, {}, core::ArgRole::kGpuAddr, "kgsl.va"),
    F(kgsl_gpuobj_info, flags, kFlags, kOut, kMemFlagNames, kMemFlagPrefix),
    F(kgsl_gpuobj_info, size, kHex, kOut),
    F(kgsl_gpuobj_info, va_len, kHex, kOut),
    F(kgsl_gpuobj_info, va_addr, kHex, kOut),
    F(kgsl_gpuobj_info, id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
    F(kgsl_gpuobj_info, pad0, kPad, kIn),
};
constexpr ArgField kGpuobjImportFields[] = {
    F(kgsl_gpuobj_import, priv, kPtr, kIn),
    F(kgsl_gpuobj_import, priv_len, kUnsigned, kIn),
    F(kgsl_gpuobj_import, flags, kFlags, kIn, kMemFlagNames, kMemFlagPrefix),
    F(kgsl_gpuobj_import, type, kEnum, kIn, kUserMemTypeNames, kUserMemTypePrefix),
    F(kgsl_gpuobj_import, id, kUnsigned, kOut, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
};
constexpr ArgField kGpuobjSyncFields[] = {
    F(kgsl_gpuobj_sync, objs, kPtr, kIn),
    F(kgsl_gpuobj_sync, obj_len, kUnsigned, kIn),
    F(kgsl_gpuobj_sync, count, kUnsigned, kIn),
};

constexpr ArgField kGpuCommandFields[] = {
    F(kgsl_gpu_command, flags, kFlags, kIn, kCmdbatchFlagNames, kCmdbatchFlagPrefix),
    F(kgsl_gpu_command, cmdlist, kPtr, kIn),
    F(kgsl_gpu_command, cmdsize, kUnsigned, kIn),
    F(kgsl_gpu_command, numcmds, kUnsigned, kIn),
    F(kgsl_gpu_command, objlist, kPtr, kIn),
    F(kgsl_gpu_command, objsize, kUnsigned, kIn),
    F(kgsl_gpu_command, numobjs, kUnsigned, kIn),
    F(kgsl_gpu_command, synclist, kPtr, kIn),
    F(kgsl_gpu_command, syncsize, kUnsigned, kIn),
    F(kgsl_gpu_command, numsyncs, kUnsigned, kIn),
    F(kgsl_gpu_command, context_id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.ctx"),
    // In only with KGSL_CONTEXT_USER_GENERATED_TS; always written back on success.
    F(kgsl_gpu_command, timestamp, kUnsigned, kInOut),
};

// ---------------------------------------------------------------------------------------------
// Nested user buffers (core::BufferRef): what the sniffer captures, the decoder prints and the
// replayer copies. Tags are unique per row. Element sizes come from the argument where KGSL
// takes them from it (cmdsize/objsize/syncsize, obj_len: kgsl_drawobj.c copies
// min(size, sizeof(struct)) per entry and steps by the caller's size).

constexpr NamedValue kSyncpointTypeNames[] = {
    N(KGSL_CMD_SYNCPOINT_TYPE_TIMESTAMP),
    N(KGSL_CMD_SYNCPOINT_TYPE_FENCE),
    N(KGSL_CMD_SYNCPOINT_TYPE_TIMELINE),
};
constexpr ArgField kCommandObjectFields[] = {
    F(kgsl_command_object, offset, kHex, kIn),
    F(kgsl_command_object, gpuaddr, kHex, kIn, {}, {}, core::ArgRole::kGpuAddr, "kgsl.va"),
    F(kgsl_command_object, size, kHex, kIn),
    F(kgsl_command_object, flags, kFlags, kIn, kCmdobjFlagNames, "KGSL_"),
    F(kgsl_command_object, id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
};
constexpr ArgField kCommandSyncpointFields[] = {
    F(kgsl_command_syncpoint, priv, kPtr, kIn),
    F(kgsl_command_syncpoint, size, kUnsigned, kIn),
    F(kgsl_command_syncpoint, type, kEnum, kIn, kSyncpointTypeNames, "KGSL_CMD_SYNCPOINT_TYPE_"),
    F(kgsl_command_syncpoint, pad0, kPad, kIn),
};
constexpr ArgField kGpuobjSyncObjFields[] = {
    F(kgsl_gpuobj_sync_obj, offset, kHex, kIn),
    F(kgsl_gpuobj_sync_obj, length, kHex, kIn),
    F(kgsl_gpuobj_sync_obj, id, kUnsigned, kIn, {}, {}, core::ArgRole::kHandle, "kgsl.mem"),
    F(kgsl_gpuobj_sync_obj, op, kFlags, kIn, kCacheOpNames, kCacheOpPrefix),
};
constexpr ArgField kPerfcounterReadGroupFields[] = {
    F(kgsl_perfcounter_read_group, groupid, kHex, kIn),
    F(kgsl_perfcounter_read_group, countable, kUnsigned, kIn),
    F(kgsl_perfcounter_read_group, value, kUnsigned, kOut),
};

constexpr core::BufferRef kPropertyBuffers[] = {
    {.tag = 1, .name = "value", .ptr_field = "value", .count_field = "sizebytes", .elem_size = 1,
     .dir = core::ArgDir::kInOut, .elem_type = "KGSL_PROP_* payload (type)"},
};
constexpr core::BufferRef kPrivBuffers[] = {
    {.tag = 1, .name = "priv", .ptr_field = "priv", .count_field = "len", .elem_size = 1,
     .dir = core::ArgDir::kInOut},
};
constexpr core::BufferRef kGpuobjImportBuffers[] = {
    {.tag = 1, .name = "priv", .ptr_field = "priv", .count_field = "priv_len", .elem_size = 1,
     .dir = core::ArgDir::kIn,
     .elem_type = "kgsl_gpuobj_import_dma_buf / kgsl_gpuobj_import_useraddr (type)"},
};
constexpr core::BufferRef kGpuobjAllocBuffers[] = {
    {.tag = 1, .name = "metadata", .ptr_field = "metadata", .count_field = "metadata_len",
     .elem_size = 1, .dir = core::ArgDir::kIn},
};
constexpr core::BufferRef kGpuobjSyncBuffers[] = {
    {.tag = 1, .name = "objs", .ptr_field = "objs", .count_field = "count",
     .elem_size_field = "obj_len", .dir = core::ArgDir::kIn, .elem_type = "kgsl_gpuobj_sync_obj",
     .elem_fields = kGpuobjSyncObjFields},
};
constexpr core::BufferRef kPerfcounterReadBuffers[] = {
    {.tag = 1, .name = "reads", .ptr_field = "reads", .count_field = "count",
     .elem_size = sizeof(kgsl_perfcounter_read_group), .dir = core::ArgDir::kInOut,
     .elem_type = "kgsl_perfcounter_read_group", .elem_fields = kPerfcounterReadGroupFields},
};
constexpr core::BufferRef kGpuCommandBuffers[] = {
    {.tag = 1, .name = "cmdlist", .ptr_field = "cmdlist", .count_field = "numcmds",
     .elem_size_field = "cmdsize", .dir = core::ArgDir::kIn, .elem_type = "kgsl_command_object",
     .elem_fields = kCommandObjectFields},
    {.tag = 2, .name = "objlist", .ptr_field = "objlist", .count_field = "numobjs",
     .elem_size_field = "objsize", .dir = core::ArgDir::kIn, .elem_type = "kgsl_command_object",
     .elem_fields = kCommandObjectFields},
    {.tag = 3, .name = "synclist", .ptr_field = "synclist", .count_field = "numsyncs",
     .elem_size_field = "syncsize", .dir = core::ArgDir::kIn,
     .elem_type = "kgsl_command_syncpoint", .elem_fields = kCommandSyncpointFields},
};

#undef F
#undef N
#undef NPRIO
#undef NALIGN

// ---------------------------------------------------------------------------------------------
// Errno hints: one sentence a user can act on (sheet §1.11). Row hints first, then kCommonHints.

constexpr ErrnoHint kGetPropertyHints[] = {
    {ENODEV, "this kernel does not know the KGSL_PROP_* type; treat the property as absent"},
    {EINVAL,
     "sizebytes must match the payload exactly for VERSION, GPU_RESET_STAT and GPU_VA64_SIZE, "
     "and GPU_RESET_STAT needs a context id of this fd"},
};
constexpr ErrnoHint kSetPropertyHints[] = {
    {EINVAL,
     "KGSL_PROP_PWR_CONSTRAINT needs sizebytes 24, a kgsl_device_constraint of size 4 and a "
     "level below the device's maximum, on a context of this fd"},
    {ENODEV, "this kernel cannot set that KGSL_PROP_* type"},
};
constexpr ErrnoHint kWaitTimestampHints[] = {
    {EINVAL,
     "the timestamp was never queued on this context (wait only on timestamps GPU_COMMAND "
     "returned) or the context id is not one of this fd's"},
    {ETIMEDOUT, "the GPU did not retire the timestamp in time; check for a hung or long kernel"},
    {EDEADLK, "the context was invalidated by a GPU fault; destroy and recreate it"},
    {EPROTO, "the GPU faulted since the last check (reported once); see the kernel log"},
    {ENOENT, "the context was destroyed while waiting"},
    {EINTR, "interrupted by a signal; retry with the time that is left"},
};
constexpr ErrnoHint kDrawctxtCreateHints[] = {
    {EINVAL,
     "KGSL_CONTEXT_PREAMBLE and KGSL_CONTEXT_NO_GMEM_ALLOC are required (KGSL has no legacy "
     "context switch)"},
    {ENOSPC, "more than 200 contexts in this process, or the device ran out of context slots"},
    {EOPNOTSUPP, "KGSL_CONTEXT_SECURE or KGSL_CONTEXT_LPAC is not supported on this device"},
    {ENOMEM, "the kernel could not allocate the context"},
};
constexpr ErrnoHint kDrawctxtDestroyHints[] = {
    {EINVAL, "unknown drawctxt_id (already destroyed, or created through another fd?)"},
};
constexpr ErrnoHint kMapUserMemHints[] = {
    {EFAULT,
     "part of the range is unmapped or already a KGSL mapping (then its address is already a "
     "GPU address)"},
    {EINVAL, "hostptr and len must be page-aligned, offset 0 and memtype KGSL_USER_MEM_TYPE_ADDR"},
    {ENOMEM, "out of memory or GPU address space"},
};
constexpr ErrnoHint kContextHints[] = {
    {EINVAL, "unknown context id or timestamp type (KGSL_TIMESTAMP_CONSUMED/RETIRED/QUEUED)"},
};
constexpr ErrnoHint kSharedmemFreeHints[] = {
    {EINVAL, "no object at that gpuaddr (already freed?)"},
    {EBUSY, "a free of this object is already pending"},
};
constexpr ErrnoHint kTimestampEventHints[] = {
    {EINVAL, "type must be KGSL_TIMESTAMP_EVENT_FENCE with len 4, on a context of this fd"},
    {EMFILE, "out of file descriptors for the fence"},
};
constexpr ErrnoHint kAllocHints[] = {
    {EINVAL, "size must be 1 byte .. 4 GiB"},
    {ENOMEM, "out of GPU memory or address space; free buffers or allocate less"},
    {EOPNOTSUPP, "KGSL_MEMFLAGS_SECURE is not supported on this device"},
};
constexpr ErrnoHint kFreeIdHints[] = {
    {EINVAL, "unknown object id (already freed, or allocated by another process?)"},
    {EBUSY, "a free of this object is already pending"},
};
constexpr ErrnoHint kUnknownObjectHints[] = {
    {EINVAL, "unknown object id or GPU address (already freed?)"},
};
constexpr ErrnoHint kSyncCacheHints[] = {
    {EINVAL, "bad cache op, unknown object, or count not in 1..128"},
    {ERANGE, "offset + length runs past the end of the object"},
};
constexpr ErrnoHint kPerfcounterHints[] = {
    {EINVAL, "unknown counter group or countable"},
    {EBUSY, "no free counter in that group"},
};
constexpr ErrnoHint kGpuobjFreeHints[] = {
    {EINVAL,
     "unknown object id, or a bad FREE_ON_EVENT description (type, len, or a negative fence "
     "fd)"},
    {EBUSY, "a free of this object is already pending"},
};
constexpr ErrnoHint kGpuobjImportHints[] = {
    {EINVAL, "bad import type, priv_len, or a dma-buf fd that is not a dma-buf"},
    {ENOMEM, "out of memory or GPU address space"},
};
constexpr ErrnoHint kGpuCommandHints[] = {
    {EINVAL,
     "check context_id, cmdsize/objsize/syncsize (32/32/24), counts (<= 2000 commands, <= 32 "
     "syncs), each IB's flags, size (non-zero, <= 0xFFFFF dwords) and 4-byte-aligned gpuaddr"},
    {EDEADLK, "the context was invalidated by a GPU fault; destroy and recreate it"},
    {EPROTO,
     "the GPU faulted since the last check; the command WAS queued but its timestamp was not "
     "returned: resynchronise with KGSL_TIMESTAMP_QUEUED"},
    {ENOENT, "the context was destroyed"},
    {ETIMEDOUT, "the context's queue stayed full for 10 s; wait before submitting more"},
    {ERANGE, "user-generated timestamps must increase"},
    {ENOMEM, "the kernel could not allocate the submission"},
};

constexpr ErrnoHint kCommonHints[] = {
    {ENOTTY, "the running KGSL does not know this ioctl (older or newer kernel)"},
    {EBADF, "the /dev/kgsl-3d0 fd is closed or belongs to another process"},
    {EFAULT, "an argument pointer is not valid user memory"},
    {EINTR, "interrupted by a signal; retry the call"},
    {EDEADLK, "the context was invalidated by a GPU fault; destroy and recreate it"},
    {EPROTO, "the GPU faulted since the last check (reported once)"},
    {ENOMEM, "the kernel is out of memory"},
};

// ---------------------------------------------------------------------------------------------
// The table.

#define RAWGPU_KGSL_ROW_DESC(ID, NR, DIR, ARGS, ...)           \
  core::IoctlDesc{.name = "IOCTL_KGSL_" #ID,                   \
                  .args_type = #ARGS,                          \
                  .magic = KGSL_IOC_TYPE,                      \
                  .nr = NR,                                    \
                  .dir = core::IoctlDir::DIR,                  \
                  .size = static_cast<uint32_t>(sizeof(ARGS)), \
                  __VA_ARGS__},
constexpr core::IoctlDesc kRows[] = {RAWGPU_KGSL_IOCTLS(RAWGPU_KGSL_ROW_DESC)};
#undef RAWGPU_KGSL_ROW_DESC
static_assert(std::size(kRows) == kKgslIoctlCount);

// The enum and the array come from the same list; check the correspondence anyway.
#define RAWGPU_KGSL_ROW_CHECK(ID, NR, DIR, ARGS, ...)                   \
  static_assert(kRows[static_cast<size_t>(KgslIoctl::ID)].nr == (NR) && \
                kRows[static_cast<size_t>(KgslIoctl::ID)].request() == IOCTL_KGSL_##ID);
RAWGPU_KGSL_IOCTLS(RAWGPU_KGSL_ROW_CHECK)
#undef RAWGPU_KGSL_ROW_CHECK

constexpr core::IoctlTable kTable{.driver = "kgsl", .rows = kRows, .common_hints = kCommonHints};

}  // namespace

const core::IoctlTable& kgsl_ioctls() { return kTable; }

const core::IoctlDesc& kgsl_ioctl(KgslIoctl id) { return kRows[static_cast<size_t>(id)]; }

core::IoctlMatch find_kgsl_ioctl(unsigned long request) {
  return core::find_by_request(kTable, request);
}

std::string_view name_of(unsigned long request) {
  const core::IoctlMatch m = core::find_by_request(kTable, request);
  return m.exact() ? m.desc->name : std::string_view{};
}

std::span<const core::NamedValue> context_flag_names() { return kContextFlagNames; }
std::span<const core::NamedValue> mem_flag_names() { return kMemFlagNames; }
std::span<const core::NamedValue> property_names() { return kPropertyNames; }
std::span<const core::NamedValue> cmdbatch_flag_names() { return kCmdbatchFlagNames; }
std::span<const core::NamedValue> cmdobj_flag_names() { return kCmdobjFlagNames; }
std::span<const core::NamedValue> timestamp_type_names() { return kTimestampTypeNames; }

}  // namespace rawgpu::qcom

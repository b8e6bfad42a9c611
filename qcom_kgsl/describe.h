// rawgpu — THE table of KGSL ioctls (STYLE rules 1 and 2). Every /dev/kgsl-3d0 ioctl rawgpu
// issues or decodes is one row of RAWGPU_KGSL_IOCTLS below: its id (the kernel's name without
// IOCTL_KGSL_), nr, _IOC direction, argument struct, and the rest of its description (fields,
// deprecated mark, errno hints, note) as designated initializers of core::IoctlDesc. From this
// one list come:
//   - kgsl_ioctls(): the core::IoctlTable read by the wrappers (qcom_kgsl/ioctl.*), the decoder,
//     the simulator and the replayer;
//   - KgslIoctl: an id per row, in table order;
//   - IoctlRow<request>: the compile-time row of a request number (Args type, id), used by
//     qcom::call<IOCTL_KGSL_X>() so that the request is always _IOC(dir, 0x09, nr, sizeof(Args));
//   - a static_assert per row that this request equals abi.h's IOCTL_KGSL_<ID> (itself asserted
//     against the literal numbers of shared/abi/qcom-kgsl.md §1.2).
//
// Kernel behaviour the simulator must copy (sheet §1.1): dispatch is by nr only, min(user,
// kernel) bytes are copied in and out, structs over 128 bytes are EINVAL, outputs are copied back
// only when the handler returns 0, unknown nr is ENOTTY.
//
// How to add a row (a new KGSL ioctl):
//   1. abi.h: the struct, mirrored from msm_kgsl.h with fixed-width types and explicit pads,
//      static_asserts on its size and every offset, and IOCTL_KGSL_<ID> via RAWGPU_KGSL_IOC with
//      the literal request number from a public source.
//   2. Here: X(ID, nr, dir, args, .fields = …, .hints = …) in nr order. Never delete a row; mark
//      it `.deprecated = true`. A changed layout gets a new row (and struct) after the old one.
//   3. describe.cpp: the field list, member by member, with the kernel's member names and
//      directions, flag/enum names, and errno hints a user can act on (sheet §1.11).
//   4. tests/qcom/ioctl_test.cpp: the row's full request number in the expected list.
//   5. docs/kgsl-ioctls.md: one line on what rawgpu uses it for and its errno meanings.
// Designated initializers must follow core::IoctlDesc's member order:
//   fields, deprecated, since, elem_size, encoding, hints, printer, note, buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/ioctl_desc.h"
#include "qcom_kgsl/abi.h"

namespace rawgpu::qcom {

// X(id, nr, dir, args, ...IoctlDesc designated initializers from .fields on)
// clang-format off
#define RAWGPU_KGSL_IOCTLS(X)                                                                     \
  X(DEVICE_GETPROPERTY, 0x02, kReadWrite, kgsl_device_getproperty,                                \
    .fields = kGetPropertyFields, .hints = kGetPropertyHints,                                     \
    .note = "value -> payload of sizebytes bytes, typed by KGSL_PROP_*",                          \
    .buffers = kPropertyBuffers)                                                                  \
  X(DEVICE_WAITTIMESTAMP, 0x06, kWrite, kgsl_device_waittimestamp,                                \
    .fields = kWaitTimestampFields, .deprecated = true,                                           \
    .note = "pre-context wait; current kernels answer ENOTTY")                                    \
  X(DEVICE_WAITTIMESTAMP_CTXTID, 0x07, kWrite, kgsl_device_waittimestamp_ctxtid,                  \
    .fields = kWaitTimestampCtxtidFields, .hints = kWaitTimestampHints,                           \
    .note = "timeout in ms; 0 and 0xFFFFFFFF wait forever")                                       \
  X(DRAWCTXT_CREATE, 0x13, kReadWrite, kgsl_drawctxt_create,                                      \
    .fields = kDrawctxtCreateFields, .hints = kDrawctxtCreateHints,                               \
    .note = "flags in; out: the flags the kernel accepted")                                       \
  X(DRAWCTXT_DESTROY, 0x14, kWrite, kgsl_drawctxt_destroy,                                        \
    .fields = kDrawctxtDestroyFields, .hints = kDrawctxtDestroyHints,                             \
    .note = "waits up to 30 s for the context's queued work")                                     \
  X(MAP_USER_MEM, 0x15, kReadWrite, kgsl_map_user_mem,                                            \
    .fields = kMapUserMemFields, .hints = kMapUserMemHints)                                       \
  X(CMDSTREAM_READTIMESTAMP_CTXTID, 0x16, kReadWrite, kgsl_cmdstream_readtimestamp_ctxtid,        \
    .fields = kReadTimestampFields, .hints = kContextHints)                                       \
  X(SHAREDMEM_FREE, 0x21, kWrite, kgsl_sharedmem_free,                                            \
    .fields = kSharedmemFreeFields, .hints = kSharedmemFreeHints)                                 \
  X(SETPROPERTY, 0x32, kWrite, kgsl_device_getproperty,                                           \
    .fields = kSetPropertyFields, .hints = kSetPropertyHints,                                     \
    .note = "same struct as DEVICE_GETPROPERTY; rawgpu sets KGSL_PROP_PWR_CONSTRAINT only",       \
    .buffers = kPropertyBuffers)                                                                  \
  X(TIMESTAMP_EVENT, 0x33, kReadWrite, kgsl_timestamp_event,                                      \
    .fields = kTimestampEventFields, .hints = kTimestampEventHints,                                \
    .note = "FENCE: priv -> int fence_fd (out), len 4",                                           \
    .buffers = kPrivBuffers)                                                                      \
  X(GPUMEM_ALLOC_ID, 0x34, kReadWrite, kgsl_gpumem_alloc_id,                                      \
    .fields = kGpumemAllocIdFields, .hints = kAllocHints)                                         \
  X(GPUMEM_FREE_ID, 0x35, kReadWrite, kgsl_gpumem_free_id,                                        \
    .fields = kGpumemFreeIdFields, .hints = kFreeIdHints)                                         \
  X(GPUMEM_GET_INFO, 0x36, kReadWrite, kgsl_gpumem_get_info,                                      \
    .fields = kGpumemGetInfoFields, .hints = kUnknownObjectHints)                                 \
  X(GPUMEM_SYNC_CACHE, 0x37, kWrite, kgsl_gpumem_sync_cache,                                      \
    .fields = kGpumemSyncCacheFields, .hints = kSyncCacheHints)                                   \
  X(PERFCOUNTER_GET, 0x38, kReadWrite, kgsl_perfcounter_get,                                      \
    .fields = kPerfcounterGetFields, .hints = kPerfcounterHints)                                   \
  X(PERFCOUNTER_PUT, 0x39, kWrite, kgsl_perfcounter_put,                                          \
    .fields = kPerfcounterPutFields, .hints = kPerfcounterHints)                                  \
  X(PERFCOUNTER_READ, 0x3B, kReadWrite, kgsl_perfcounter_read,                                    \
    .fields = kPerfcounterReadFields, .hints = kPerfcounterHints,                                 \
    .note = "reads -> kgsl_perfcounter_read_group[count]",                                        \
    .buffers = kPerfcounterReadBuffers)                                                           \
  X(GPUOBJ_ALLOC, 0x45, kReadWrite, kgsl_gpuobj_alloc,                                            \
    .fields = kGpuobjAllocFields, .hints = kAllocHints,                                           \
    .note = "unknown flag bits are dropped silently: compare the returned flags",                 \
    .buffers = kGpuobjAllocBuffers)                                                               \
  X(GPUOBJ_FREE, 0x46, kWrite, kgsl_gpuobj_free,                                                  \
    .fields = kGpuobjFreeFields, .hints = kGpuobjFreeHints,                                       \
    .note = "FREE_ON_EVENT: priv -> kgsl_gpu_event_timestamp or kgsl_gpu_event_fence",            \
    .buffers = kPrivBuffers)                                                                      \
  X(GPUOBJ_INFO, 0x47, kReadWrite, kgsl_gpuobj_info,                                              \
    .fields = kGpuobjInfoFields, .hints = kUnknownObjectHints)                                    \
  X(GPUOBJ_IMPORT, 0x48, kReadWrite, kgsl_gpuobj_import,                                          \
    .fields = kGpuobjImportFields, .hints = kGpuobjImportHints,                                   \
    .buffers = kGpuobjImportBuffers)                                                              \
  X(GPUOBJ_SYNC, 0x49, kWrite, kgsl_gpuobj_sync,                                                  \
    .fields = kGpuobjSyncFields, .hints = kSyncCacheHints,                                        \
    .note = "objs -> kgsl_gpuobj_sync_obj[count], obj_len 24",                                    \
    .buffers = kGpuobjSyncBuffers)                                                                \
  X(GPU_COMMAND, 0x4A, kReadWrite, kgsl_gpu_command,                                              \
    .fields = kGpuCommandFields, .hints = kGpuCommandHints,                                       \
    .note = "cmdlist/objlist -> kgsl_command_object (32), synclist -> kgsl_command_syncpoint (24)", \
    .buffers = kGpuCommandBuffers)
// clang-format on

// One id per row, in table order (the enumerators keep the kernel's spelling).
enum class KgslIoctl : uint16_t {
#define RAWGPU_KGSL_ROW_ID(ID, ...) ID,
  RAWGPU_KGSL_IOCTLS(RAWGPU_KGSL_ROW_ID)
#undef RAWGPU_KGSL_ROW_ID
};

#define RAWGPU_KGSL_ROW_COUNT(ID, ...) +1
inline constexpr size_t kKgslIoctlCount = 0 RAWGPU_KGSL_IOCTLS(RAWGPU_KGSL_ROW_COUNT);
#undef RAWGPU_KGSL_ROW_COUNT

// The table, read by everyone.
const core::IoctlTable& kgsl_ioctls();
// The row of an id. Never allocates.
const core::IoctlDesc& kgsl_ioctl(KgslIoctl id);

// The row a raw request number selects (by nr, as the kernel dispatches; size/direction
// mismatches are reported in the match, see core::find_by_request). Never allocates.
core::IoctlMatch find_kgsl_ioctl(unsigned long request);
// "IOCTL_KGSL_GPU_COMMAND" for a request that is exactly a row; "" otherwise. Never allocates.
std::string_view name_of(unsigned long request);

// The compile-time row of a request number. A request whose size does not match a struct of the
// table has no row: IoctlRow<that request> is an incomplete type.
template <unsigned long Request>
struct IoctlRow;

#define RAWGPU_KGSL_ROW_TRAIT(ID, NR, DIR, ARGS, ...)                                          \
  template <>                                                                                  \
  struct IoctlRow<core::ioc(core::IoctlDir::DIR, KGSL_IOC_TYPE, NR, sizeof(ARGS))> {           \
    using Args = ARGS;                                                                         \
    static constexpr KgslIoctl id = KgslIoctl::ID;                                             \
    static constexpr unsigned long request =                                                   \
        core::ioc(core::IoctlDir::DIR, KGSL_IOC_TYPE, NR, sizeof(ARGS));                       \
    static_assert(sizeof(ARGS) <= kKgslMaxArgsSize, "KGSL copies at most 128 argument bytes"); \
    static_assert(request == (IOCTL_KGSL_##ID), "row request differs from abi.h's");           \
  };
RAWGPU_KGSL_IOCTLS(RAWGPU_KGSL_ROW_TRAIT)
#undef RAWGPU_KGSL_ROW_TRAIT

// Symbolic names used by the rows, for other decoders (packets, simulator messages). Multi-bit
// fields appear as one entry per value ("KGSL_CONTEXT_PRIORITY(8)", "KGSL_MEMALIGN(12)").
std::span<const core::NamedValue> context_flag_names();    // KGSL_CONTEXT_*
std::span<const core::NamedValue> mem_flag_names();        // KGSL_MEMFLAGS_*, cache mode, align
std::span<const core::NamedValue> property_names();        // KGSL_PROP_*
std::span<const core::NamedValue> cmdbatch_flag_names();   // KGSL_CMDBATCH_*
std::span<const core::NamedValue> cmdobj_flag_names();     // KGSL_CMDLIST_* / KGSL_OBJLIST_*
std::span<const core::NamedValue> timestamp_type_names();  // KGSL_TIMESTAMP_*

}  // namespace rawgpu::qcom

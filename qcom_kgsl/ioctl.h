// rawgpu — typed KGSL ioctls over core::Sys, built from the rows of qcom_kgsl/describe.h.
//
// Two layers:
//   call<IOCTL_KGSL_X>(sys, fd, args)        -> Result<Args>  (args by value, returned filled)
//   call_into<IOCTL_KGSL_X>(sys, fd, args&)  -> Status        (args filled in place)
// The template argument is abi.h's request number; the argument type is the row's, so the
// request is always _IOC(dir, 0x09, nr, sizeof(Args)) and a struct of the wrong type does not
// compile. At RAWGPU_DEBUG=4 every call is logged decoded (inputs before, outputs after, changed
// in/out fields as "old => new"). Nothing allocates unless logging is on or the call fails.
// KGSL copies outputs back only when the ioctl succeeds (sheet §1.1): after a failure the
// argument struct holds what was sent.
//
// Errors (STYLE rule 10): a failed ioctl is Error::sys("IOCTL_KGSL_<NAME>", errno, hint) with the
// row's hint for that errno (describe.cpp), e.g. "IOCTL_KGSL_GPU_COMMAND: EDEADLK (Resource
// deadlock avoided): the context was invalidated by a GPU fault; destroy and recreate it".
// EINTR/EAGAIN are restarted by the host Sys; waits restart themselves with the time left.
//
// Then one convenience function per operation a runtime needs, with named parameters. `fd` is
// always the process's /dev/kgsl-3d0 descriptor. Contexts belong to the fd that created them;
// GPU objects belong to the process (sheet §1.1).
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "core/error.h"
#include "core/sys.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/describe.h"

namespace rawgpu::qcom {

// The error for `err` (positive errno) from the ioctl of row `id`, with the row's hint.
core::Error ioctl_error(KgslIoctl id, int err);

namespace detail {
// Issues one ioctl through `sys`, logging it when core::log_ioctls(). `once`: no restart on EINTR
// (Sys::ioctl_once), for waits that recompute their timeout.
core::Status issue(core::Sys& sys, int fd, KgslIoctl id, unsigned long request, void* arg,
                   uint32_t size, bool once = false);
}  // namespace detail

template <unsigned long Request>
using ArgsOf = typename IoctlRow<Request>::Args;

// Issues `Request` with `args`, which the driver's outputs overwrite in place.
template <unsigned long Request>
core::Status call_into(core::Sys& sys, int fd, ArgsOf<Request>& args, bool once = false) {
  using Row = IoctlRow<Request>;
  using Args = typename Row::Args;
  static_assert(std::is_trivially_copyable_v<Args> && std::is_standard_layout_v<Args>);
  static_assert(Row::request == Request);
  return detail::issue(sys, fd, Row::id, Row::request, &args, static_cast<uint32_t>(sizeof(Args)),
                       once);
}

// Issues `Request` with a copy of `args` and returns the struct as the driver left it.
//   Result<kgsl_drawctxt_create> c = qcom::call<IOCTL_KGSL_DRAWCTXT_CREATE>(sys, fd, {.flags = f});
template <unsigned long Request>
core::Result<ArgsOf<Request>> call(core::Sys& sys, int fd, ArgsOf<Request> args) {
  core::Status s = call_into<Request>(sys, fd, args);
  if (!s.ok()) return std::move(s).error();
  return args;
}

// ---------------------------------------------------------------------------------------------
// Device node and properties.

// open(path, O_RDWR | O_CLOEXEC). Returns the fd (the caller closes it with sys.close). Errors:
// "open /dev/kgsl-3d0" with ENOENT (no Adreno/KGSL on this machine) or EACCES (permissions).
core::Result<int> open_device_node(core::Sys& sys, const char* path = kKgslDevicePath);

// IOCTL_KGSL_DEVICE_GETPROPERTY of `type` into `size` bytes at `out` (sizebytes = size).
// Adreno-side properties copy min(size, payload) silently; VERSION, GPU_RESET_STAT and
// GPU_VA64_SIZE need the exact size (EINVAL). Unknown type: ENODEV.
core::Status get_property_into(core::Sys& sys, int fd, uint32_t type, void* out, uint32_t size);

// The property `type` as a T (sizebytes = sizeof(T)), e.g.
//   get_property<uint64_t>(sys, fd, KGSL_PROP_UCHE_GMEM_VADDR)
//   get_property<kgsl_version>(sys, fd, KGSL_PROP_VERSION)
template <typename T>
core::Result<T> get_property(core::Sys& sys, int fd, uint32_t type) {
  static_assert(std::is_trivially_copyable_v<T>);
  T value{};
  RAWGPU_TRY(get_property_into(sys, fd, type, &value, static_cast<uint32_t>(sizeof(T))));
  return value;
}

// KGSL_PROP_DEVICE_INFO. Decode chip_id with ChipId; gpu_id is 0 on current kernels.
core::Result<kgsl_devinfo> device_info(core::Sys& sys, int fd);

// kgsl_devinfo.chip_id split into its bytes (sheet §1.3; a740+ use opaque ids with 0x43 on top).
struct ChipId {
  uint8_t core = 0, major = 0, minor = 0, patch = 0;
  static constexpr ChipId from(uint32_t chip_id) {
    return {static_cast<uint8_t>(chip_id >> 24), static_cast<uint8_t>(chip_id >> 16),
            static_cast<uint8_t>(chip_id >> 8), static_cast<uint8_t>(chip_id)};
  }
};

// IOCTL_KGSL_SETPROPERTY KGSL_PROP_PWR_CONSTRAINT: a KGSL_CONSTRAINT_PWRLEVEL constraint of
// `level` (KGSL_CONSTRAINT_PWR_MAX pins the maximum clock) on context `ctx`. It takes effect on
// submissions from a context created with KGSL_CONTEXT_PWR_CONSTRAINT (sheet §1.5).
core::Status set_power_constraint(core::Sys& sys, int fd, uint32_t ctx,
                                  uint32_t level = KGSL_CONSTRAINT_PWR_MAX);

// ---------------------------------------------------------------------------------------------
// Contexts.

// Flags of a compute context: PREAMBLE | NO_GMEM_ALLOC (both required) | NO_FAULT_TOLERANCE
// (no 2 s long-kernel timeout; a fault invalidates the context) | PWR_CONSTRAINT | TYPE_CL |
// priority `prio` (0..15, lower is more urgent; 0 lets the kernel choose 8).
constexpr uint32_t compute_context_flags(uint32_t prio = 8) {
  return KGSL_CONTEXT_PREAMBLE | KGSL_CONTEXT_NO_GMEM_ALLOC | KGSL_CONTEXT_NO_FAULT_TOLERANCE |
         KGSL_CONTEXT_PWR_CONSTRAINT | kgsl_context_type(KGSL_CONTEXT_TYPE_CL) |
         kgsl_context_priority(prio);
}

struct Context {
  uint32_t id = 0;
  uint32_t flags = 0;  // as the kernel accepted them (bits it does not support are dropped)
};
// IOCTL_KGSL_DRAWCTXT_CREATE. The returned flags are the kernel's; if it dropped PREAMBLE or
// NO_GMEM_ALLOC the context is destroyed again and kUnsupported is returned naming the bits.
core::Result<Context> drawctxt_create(core::Sys& sys, int fd, uint32_t flags);
// IOCTL_KGSL_DRAWCTXT_DESTROY. May block (up to 30 s in the kernel) for queued work.
core::Status drawctxt_destroy(core::Sys& sys, int fd, uint32_t ctx);

// ---------------------------------------------------------------------------------------------
// GPU objects (sheet §1.7).

// Flags tinygrad and rawgpu use for CPU-visible buffers: page alignment, `cachemode`
// (KGSL_CACHEMODE_*), optionally SVM (USE_CPU_MAP: GPU address = CPU address chosen by mmap).
constexpr uint64_t buffer_flags(uint32_t cachemode = KGSL_CACHEMODE_WRITECOMBINE,
                                bool use_cpu_map = false, uint32_t align_log2 = 12) {
  return kgsl_memalign(align_log2) | kgsl_cachemode(cachemode) |
         (use_cpu_map ? KGSL_MEMFLAGS_USE_CPU_MAP : 0);
}

struct GpuObject {
  uint32_t id = 0;
  uint64_t size = 0;      // bytes, page-aligned by the kernel
  uint64_t flags = 0;     // KGSL_MEMFLAGS_* actually applied (compare with what you asked for)
  uint64_t mmapsize = 0;  // the length to mmap (exact for USE_CPU_MAP objects)
  uint64_t gpuaddr = 0;   // GPU VA from GPUOBJ_INFO; 0 for USE_CPU_MAP until mmap sets it
};
// IOCTL_KGSL_GPUOBJ_ALLOC of `size` bytes (1 .. 4 GiB) with `flags`, then IOCTL_KGSL_GPUOBJ_INFO
// for its GPU address. `label` (optional, <= 64 chars kept) names the object in kernel debugfs.
// If INFO fails the object is freed again and INFO's error returned. The caller owns the object:
// release it with gpuobj_free* (the process exit also frees it).
core::Result<GpuObject> gpuobj_alloc(core::Sys& sys, int fd, uint64_t size, uint64_t flags,
                                     std::string_view label = {});
// IOCTL_KGSL_GPUOBJ_INFO of `id`.
core::Result<kgsl_gpuobj_info> gpuobj_info(core::Sys& sys, int fd, uint32_t id);
// IOCTL_KGSL_GPUOBJ_FREE now. The GPU VA is unmapped at once: an IB still using it faults.
core::Status gpuobj_free(core::Sys& sys, int fd, uint32_t id);
// IOCTL_KGSL_GPUOBJ_FREE with KGSL_GPUOBJ_FREE_ON_EVENT: freed by the kernel once `timestamp`
// of context `ctx` retires (any context of the device). Returns at once.
core::Status gpuobj_free_on_timestamp(core::Sys& sys, int fd, uint32_t id, uint32_t ctx,
                                      uint32_t timestamp);
// The same, freed once sync_file `fence_fd` signals (the fd stays the caller's).
core::Status gpuobj_free_on_fence(core::Sys& sys, int fd, uint32_t id, int fence_fd);
// IOCTL_KGSL_GPUOBJ_SYNC of 1..128 ranges: op KGSL_GPUMEM_CACHE_CLEAN before the GPU reads
// CPU-written cached memory, _INV before the CPU reads GPU-written data, | _RANGE to use
// offset/length (else the whole object). A no-op for uncached/write-combined/IO-coherent objects.
core::Status gpuobj_sync(core::Sys& sys, int fd, std::span<const kgsl_gpuobj_sync_obj> objs);
core::Status gpuobj_sync(core::Sys& sys, int fd, uint32_t id, uint32_t op, uint64_t offset = 0,
                         uint64_t length = 0);

// The mmap offset of object `id` on the KGSL fd: id << 12 (sheet §1.7).
constexpr int64_t gpuobj_mmap_offset(uint32_t id) {
  return static_cast<int64_t>(uint64_t{id} << kKgslMmapIdShift);
}
// mmap(hint, length, prot, MAP_SHARED, fd, id << 12): the CPU mapping of a GPU object. `length`
// is the object's mmapsize (USE_CPU_MAP objects need exactly that: ERANGE otherwise). For a
// USE_CPU_MAP object the returned address is also its GPU address; such an object can be mapped
// once only (EBUSY). Unmap with sys.munmap after freeing the object (tinygrad's order) or at exit.
// Errors: "mmap IOCTL_KGSL_GPUOBJ id N" with EINVAL (unknown id), EBUSY, ERANGE, EPERM (secure),
// ENOMEM (no SVM range).
core::Result<void*> gpuobj_mmap(core::Sys& sys, int fd, uint32_t id, uint64_t length,
                                int prot = PROT_READ | PROT_WRITE, void* hint = nullptr);

// IOCTL_KGSL_MAP_USER_MEM of page-aligned host memory [hostptr, hostptr + len) (memtype ADDR):
// returns its GPU address. EFAULT means the range is (partly) a KGSL mapping already — then, for
// SVM memory, hostptr itself is the GPU address (tinygrad relies on this). Free with
// sharedmem_free(gpuaddr).
core::Result<uint64_t> map_user_mem(core::Sys& sys, int fd, uint64_t hostptr, uint64_t len,
                                    uint32_t flags = 0);
// IOCTL_KGSL_SHAREDMEM_FREE: frees the object at `gpuaddr` now.
core::Status sharedmem_free(core::Sys& sys, int fd, uint64_t gpuaddr);

// ---------------------------------------------------------------------------------------------
// Submission and timestamps (sheet §1.8, §1.9).

// One IB for the cmdlist: `size` bytes of PM4 at `gpuaddr` (4-byte aligned, <= 0xFFFFF dwords).
constexpr kgsl_command_object ib(uint64_t gpuaddr, uint64_t size, uint32_t id = 0,
                                 uint32_t flags = KGSL_CMDLIST_IB) {
  return kgsl_command_object{
      .offset = 0, .gpuaddr = gpuaddr, .size = size, .flags = flags, .id = id};
}

struct GpuCommand {
  uint32_t context_id = 0;
  std::span<const kgsl_command_object> cmds;      // KGSL_CMDLIST_* entries (<= 2000)
  std::span<const kgsl_command_object> objs;      // KGSL_OBJLIST_MEMOBJ entries (profiling)
  std::span<const kgsl_command_syncpoint> syncs;  // waits done by the kernel first (<= 32)
  uint64_t flags = 0;                             // KGSL_CMDBATCH_*
  uint32_t timestamp = 0;  // only for KGSL_CONTEXT_USER_GENERATED_TS contexts
};
// IOCTL_KGSL_GPU_COMMAND with the element sizes the kernel expects (32/32/24). Returns the
// context timestamp the kernel assigned (0 for a sync-only submission). Counts over the kernel's
// limits are refused before the call (kInvalidInput). EPROTO means the command WAS queued but its
// timestamp is unknown: read KGSL_TIMESTAMP_QUEUED. EDEADLK: recreate the context.
// Allocation-free on success.
core::Result<uint32_t> gpu_command(core::Sys& sys, int fd, const GpuCommand& cmd);
// The common case: `ibs` on context `ctx` with batch `flags`.
core::Result<uint32_t> gpu_command(core::Sys& sys, int fd, uint32_t ctx,
                                   std::span<const kgsl_command_object> ibs, uint64_t flags = 0);

// Wait forever (KGSL's own meaning of both 0 and 0xFFFFFFFF).
inline constexpr uint32_t kWaitForever = 0xFFFFFFFF;
// IOCTL_KGSL_DEVICE_WAITTIMESTAMP_CTXTID: sleeps until `timestamp` of context `ctx` retired, at
// most `timeout_ms` (kWaitForever: no limit). Because KGSL reads 0 as "forever", a timeout of 0
// is sent as 1 ms (use readtimestamp() to poll). An interrupted wait restarts with the time that
// is left (at least 1 ms). ETIMEDOUT when it expires; EINVAL for a timestamp never submitted.
core::Status waittimestamp_ctxtid(core::Sys& sys, int fd, uint32_t ctx, uint32_t timestamp,
                                  uint32_t timeout_ms);
// IOCTL_KGSL_CMDSTREAM_READTIMESTAMP_CTXTID: the context's KGSL_TIMESTAMP_RETIRED (default),
// _CONSUMED or _QUEUED timestamp. Non-blocking.
core::Result<uint32_t> readtimestamp(core::Sys& sys, int fd, uint32_t ctx,
                                     uint32_t type = KGSL_TIMESTAMP_RETIRED);
// IOCTL_KGSL_TIMESTAMP_EVENT of type FENCE: a sync_file fd that signals when `timestamp` of `ctx`
// retires (poll()-able; created without O_CLOEXEC). The caller owns the fd (sys.close it).
core::Result<int> timestamp_event(core::Sys& sys, int fd, uint32_t ctx, uint32_t timestamp);

// KGSL timestamps wrap at 2^32: a is at or after b (sheet §1.8; turnip's and the kernel's
// timestamp_cmp).
constexpr bool timestamp_reached(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) >= 0;
}

}  // namespace rawgpu::qcom

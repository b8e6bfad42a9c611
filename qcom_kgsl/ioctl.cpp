#include "qcom_kgsl/ioctl.h"

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/ioctl_desc.h"
#include "core/log.h"

namespace rawgpu::qcom {

core::Error ioctl_error(KgslIoctl id, int err) {
  const core::IoctlDesc& row = kgsl_ioctl(id);
  return core::Error::sys(std::string(row.name), err,
                          std::string(core::errno_hint(kgsl_ioctls(), row, err)));
}

namespace detail {

core::Status issue(core::Sys& sys, int fd, KgslIoctl id, unsigned long request, void* arg,
                   uint32_t size, bool once) {
  if (!core::log_ioctls()) [[likely]] {
    const int r = once ? sys.ioctl_once(fd, request, arg) : sys.ioctl(fd, request, arg);
    if (r < 0) return ioctl_error(id, -r);
    return {};
  }
  const core::IoctlDesc& row = kgsl_ioctl(id);
  uint8_t before[kKgslMaxArgsSize];
  std::memcpy(before, arg, size);
  core::log_trace("ioctl(" + std::to_string(fd) + ", " +
                  core::format_args(row, arg, size, core::Phase::kIn) + ")");
  const int r = once ? sys.ioctl_once(fd, request, arg) : sys.ioctl(fd, request, arg);
  std::string out = r < 0 ? std::string("-") + core::errno_name(-r) : std::to_string(r);
  out += ' ';
  out += core::format_args(row, before, arg, size);
  core::log_trace("  = " + out);
  if (r < 0) return ioctl_error(id, -r);
  return {};
}

}  // namespace detail

namespace {

// Required context flags: without them KGSL refuses the context or emulates a legacy mode
// (KA adreno_drawctxt.c; sheet §1.6).
constexpr uint32_t kRequiredContextFlags = KGSL_CONTEXT_PREAMBLE | KGSL_CONTEXT_NO_GMEM_ALLOC;
// KGSL reads a wait timeout of 0 as "forever"; the shortest real wait is 1 ms (sheet §6.1).
constexpr uint32_t kMinWaitMs = 1;

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

core::Result<int> open_device_node(core::Sys& sys, const char* path) {
  const int fd = sys.open(path, O_RDWR | O_CLOEXEC);
  if (fd >= 0) return fd;
  const int err = -fd;
  std::string hint;
  if (err == ENOENT)
    hint = "no KGSL device node: this machine has no Adreno GPU driven by msm_kgsl";
  else if (err == EACCES || err == EPERM)
    hint = "no permission to open the KGSL node; run as a user in its group (often 'graphics')";
  return core::Error::sys(std::string("open ") + path, err, std::move(hint));
}

core::Status get_property_into(core::Sys& sys, int fd, uint32_t type, void* out, uint32_t size) {
  kgsl_device_getproperty a{};
  a.type = type;
  a.value = reinterpret_cast<uintptr_t>(out);
  a.sizebytes = size;
  return call_into<IOCTL_KGSL_DEVICE_GETPROPERTY>(sys, fd, a);
}

core::Result<kgsl_devinfo> device_info(core::Sys& sys, int fd) {
  return get_property<kgsl_devinfo>(sys, fd, KGSL_PROP_DEVICE_INFO);
}

core::Status set_power_constraint(core::Sys& sys, int fd, uint32_t ctx, uint32_t level) {
  kgsl_device_constraint_pwrlevel pwr{};
  pwr.level = level;
  kgsl_device_constraint c{};
  c.type = KGSL_CONSTRAINT_PWRLEVEL;
  c.context_id = ctx;
  c.data = reinterpret_cast<uintptr_t>(&pwr);
  c.size = sizeof(pwr);
  kgsl_device_getproperty a{};
  a.type = KGSL_PROP_PWR_CONSTRAINT;
  a.value = reinterpret_cast<uintptr_t>(&c);
  a.sizebytes = sizeof(c);
  return call_into<IOCTL_KGSL_SETPROPERTY>(sys, fd, a);
}

core::Result<Context> drawctxt_create(core::Sys& sys, int fd, uint32_t flags) {
  kgsl_drawctxt_create a{};
  a.flags = flags;
  RAWGPU_TRY(call_into<IOCTL_KGSL_DRAWCTXT_CREATE>(sys, fd, a));
  const uint32_t lost = flags & kRequiredContextFlags & ~a.flags;
  if (lost != 0) {
    (void)drawctxt_destroy(sys, fd, a.drawctxt_id);
    std::string names;
    core::append_flags(names, lost, context_flag_names(), "KGSL_CONTEXT_");
    return core::Error::unsupported(
        "IOCTL_KGSL_DRAWCTXT_CREATE",
        "the kernel dropped " + names + " from the context flags; rawgpu needs them");
  }
  return Context{a.drawctxt_id, a.flags};
}

core::Status drawctxt_destroy(core::Sys& sys, int fd, uint32_t ctx) {
  kgsl_drawctxt_destroy a{};
  a.drawctxt_id = ctx;
  return call_into<IOCTL_KGSL_DRAWCTXT_DESTROY>(sys, fd, a);
}

core::Result<GpuObject> gpuobj_alloc(core::Sys& sys, int fd, uint64_t size, uint64_t flags,
                                     std::string_view label) {
  kgsl_gpuobj_alloc a{};
  a.size = size;
  a.flags = flags;
  if (!label.empty()) {
    a.metadata = reinterpret_cast<uintptr_t>(label.data());
    a.metadata_len = static_cast<uint32_t>(label.size() < KGSL_GPUOBJ_ALLOC_METADATA_MAX
                                               ? label.size()
                                               : KGSL_GPUOBJ_ALLOC_METADATA_MAX);
  }
  RAWGPU_TRY(call_into<IOCTL_KGSL_GPUOBJ_ALLOC>(sys, fd, a));
  core::Result<kgsl_gpuobj_info> info = gpuobj_info(sys, fd, a.id);
  if (!info.ok()) {
    (void)gpuobj_free(sys, fd, a.id);
    return std::move(info).error();
  }
  return GpuObject{a.id, a.size, a.flags, a.mmapsize, info->gpuaddr};
}

core::Result<kgsl_gpuobj_info> gpuobj_info(core::Sys& sys, int fd, uint32_t id) {
  kgsl_gpuobj_info a{};
  a.id = id;
  return call<IOCTL_KGSL_GPUOBJ_INFO>(sys, fd, a);
}

core::Status gpuobj_free(core::Sys& sys, int fd, uint32_t id) {
  kgsl_gpuobj_free a{};
  a.id = id;
  return call_into<IOCTL_KGSL_GPUOBJ_FREE>(sys, fd, a);
}

core::Status gpuobj_free_on_timestamp(core::Sys& sys, int fd, uint32_t id, uint32_t ctx,
                                      uint32_t timestamp) {
  kgsl_gpu_event_timestamp ev{};
  ev.context_id = ctx;
  ev.timestamp = timestamp;
  kgsl_gpuobj_free a{};
  a.flags = KGSL_GPUOBJ_FREE_ON_EVENT;
  a.priv = reinterpret_cast<uintptr_t>(&ev);
  a.id = id;
  a.type = KGSL_GPU_EVENT_TIMESTAMP;
  a.len = sizeof(ev);
  return call_into<IOCTL_KGSL_GPUOBJ_FREE>(sys, fd, a);
}

core::Status gpuobj_free_on_fence(core::Sys& sys, int fd, uint32_t id, int fence_fd) {
  kgsl_gpu_event_fence ev{};
  ev.fd = fence_fd;
  kgsl_gpuobj_free a{};
  a.flags = KGSL_GPUOBJ_FREE_ON_EVENT;
  a.priv = reinterpret_cast<uintptr_t>(&ev);
  a.id = id;
  a.type = KGSL_GPU_EVENT_FENCE;
  a.len = sizeof(ev);
  return call_into<IOCTL_KGSL_GPUOBJ_FREE>(sys, fd, a);
}

core::Status gpuobj_sync(core::Sys& sys, int fd, std::span<const kgsl_gpuobj_sync_obj> objs) {
  if (objs.empty() || objs.size() > kKgslMaxSyncObjs)
    return core::Error::invalid(
        "IOCTL_KGSL_GPUOBJ_SYNC",
        "between 1 and 128 objects per call; got " + std::to_string(objs.size()));
  kgsl_gpuobj_sync a{};
  a.objs = reinterpret_cast<uintptr_t>(objs.data());
  a.obj_len = sizeof(kgsl_gpuobj_sync_obj);
  a.count = static_cast<uint32_t>(objs.size());
  return call_into<IOCTL_KGSL_GPUOBJ_SYNC>(sys, fd, a);
}

core::Status gpuobj_sync(core::Sys& sys, int fd, uint32_t id, uint32_t op, uint64_t offset,
                         uint64_t length) {
  const kgsl_gpuobj_sync_obj obj{.offset = offset, .length = length, .id = id, .op = op};
  return gpuobj_sync(sys, fd, std::span<const kgsl_gpuobj_sync_obj>(&obj, 1));
}

core::Result<void*> gpuobj_mmap(core::Sys& sys, int fd, uint32_t id, uint64_t length, int prot,
                                void* hint) {
  const core::MapResult m =
      sys.mmap(hint, static_cast<size_t>(length), prot, MAP_SHARED, fd, gpuobj_mmap_offset(id));
  if (m.addr != nullptr) return m.addr;
  std::string h;
  switch (m.err) {
    case EINVAL: h = "unknown object id, or a misaligned MAP_FIXED address"; break;
    case EBUSY: h = "an SVM (USE_CPU_MAP) object can be mapped once only; reuse the mapping"; break;
    case ERANGE: h = "a USE_CPU_MAP object must be mapped with exactly its mmapsize"; break;
    case EPERM: h = "secure objects cannot be mapped on the CPU"; break;
    case ENOMEM: h = "no free SVM address range of the object's alignment"; break;
    default: break;
  }
  return core::Error::sys(
      "mmap IOCTL_KGSL_GPUOBJ id " + std::to_string(id) + " length " + hex(length), m.err,
      std::move(h));
}

core::Result<uint64_t> map_user_mem(core::Sys& sys, int fd, uint64_t hostptr, uint64_t len,
                                    uint32_t flags) {
  kgsl_map_user_mem a{};
  a.fd = -1;
  a.len = len;
  a.offset = 0;
  a.hostptr = hostptr;
  a.memtype = KGSL_USER_MEM_TYPE_ADDR;
  a.flags = flags;
  RAWGPU_TRY(call_into<IOCTL_KGSL_MAP_USER_MEM>(sys, fd, a));
  return a.gpuaddr;
}

core::Status sharedmem_free(core::Sys& sys, int fd, uint64_t gpuaddr) {
  kgsl_sharedmem_free a{};
  a.gpuaddr = gpuaddr;
  return call_into<IOCTL_KGSL_SHAREDMEM_FREE>(sys, fd, a);
}

core::Result<uint32_t> gpu_command(core::Sys& sys, int fd, const GpuCommand& cmd) {
  if (cmd.cmds.size() > kKgslMaxCmds || cmd.objs.size() > kKgslMaxCmds ||
      cmd.syncs.size() > kKgslMaxSyncs)
    return core::Error::invalid("IOCTL_KGSL_GPU_COMMAND",
                                "at most 2000 commands, 2000 objects and 32 sync points per "
                                "submission; split it");
  kgsl_gpu_command a{};
  a.flags = cmd.flags;
  a.cmdlist = reinterpret_cast<uintptr_t>(cmd.cmds.data());
  a.cmdsize = sizeof(kgsl_command_object);
  a.numcmds = static_cast<uint32_t>(cmd.cmds.size());
  a.objlist = reinterpret_cast<uintptr_t>(cmd.objs.data());
  a.objsize = sizeof(kgsl_command_object);
  a.numobjs = static_cast<uint32_t>(cmd.objs.size());
  a.synclist = reinterpret_cast<uintptr_t>(cmd.syncs.data());
  a.syncsize = sizeof(kgsl_command_syncpoint);
  a.numsyncs = static_cast<uint32_t>(cmd.syncs.size());
  a.context_id = cmd.context_id;
  a.timestamp = cmd.timestamp;
  RAWGPU_TRY(call_into<IOCTL_KGSL_GPU_COMMAND>(sys, fd, a));
  return a.timestamp;
}

core::Result<uint32_t> gpu_command(core::Sys& sys, int fd, uint32_t ctx,
                                   std::span<const kgsl_command_object> ibs, uint64_t flags) {
  GpuCommand c;
  c.context_id = ctx;
  c.cmds = ibs;
  c.flags = flags;
  return gpu_command(sys, fd, c);
}

core::Status waittimestamp_ctxtid(core::Sys& sys, int fd, uint32_t ctx, uint32_t timestamp,
                                  uint32_t timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout_ms == kWaitForever;
  kgsl_device_waittimestamp_ctxtid a{};
  a.context_id = ctx;
  a.timestamp = timestamp;
  a.timeout = forever ? kWaitForever : (timeout_ms < kMinWaitMs ? kMinWaitMs : timeout_ms);
  const Clock::time_point start = Clock::now();
  for (;;) {
    // Issued once: an interrupted wait comes back here to shorten its timeout (STYLE rule 8).
    core::Status s = call_into<IOCTL_KGSL_DEVICE_WAITTIMESTAMP_CTXTID>(sys, fd, a, /*once=*/true);
    if (s.ok() || s.error().err() != EINTR) return s;
    if (forever) continue;
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    const uint64_t spent = static_cast<uint64_t>(elapsed.count());
    // Never send 0 (forever); the last try waits the minimum and then times out for real.
    a.timeout =
        spent + kMinWaitMs >= timeout_ms ? kMinWaitMs : static_cast<uint32_t>(timeout_ms - spent);
  }
}

core::Result<uint32_t> readtimestamp(core::Sys& sys, int fd, uint32_t ctx, uint32_t type) {
  kgsl_cmdstream_readtimestamp_ctxtid a{};
  a.context_id = ctx;
  a.type = type;
  RAWGPU_TRY(call_into<IOCTL_KGSL_CMDSTREAM_READTIMESTAMP_CTXTID>(sys, fd, a));
  return a.timestamp;
}

core::Result<int> timestamp_event(core::Sys& sys, int fd, uint32_t ctx, uint32_t timestamp) {
  kgsl_timestamp_event_fence fence{};
  fence.fence_fd = -1;
  kgsl_timestamp_event a{};
  a.type = KGSL_TIMESTAMP_EVENT_FENCE;
  a.timestamp = timestamp;
  a.context_id = ctx;
  a.priv = reinterpret_cast<uintptr_t>(&fence);
  a.len = sizeof(fence);
  RAWGPU_TRY(call_into<IOCTL_KGSL_TIMESTAMP_EVENT>(sys, fd, a));
  if (fence.fence_fd < 0)
    return core::Error::internal("IOCTL_KGSL_TIMESTAMP_EVENT",
                                 "the driver reported success but returned no fence fd");
  return fence.fence_fd;
}

}  // namespace rawgpu::qcom

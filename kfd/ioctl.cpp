#include "kfd/ioctl.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "core/ioctl_desc.h"
#include "core/log.h"

namespace rawgpu::kfd {

core::Error ioctl_error(KfdIoctl id, int err) {
  const core::IoctlDesc& row = kfd_ioctl(id);
  return core::Error::sys(std::string(row.name), err,
                          std::string(core::errno_hint(kfd_ioctls(), row, err)));
}

namespace detail {

core::Status issue(core::Sys& sys, int fd, KfdIoctl id, unsigned long request, void* arg,
                   uint32_t size, bool once) {
  if (!core::log_ioctls()) [[likely]] {
    const int r = once ? sys.ioctl_once(fd, request, arg) : sys.ioctl(fd, request, arg);
    if (r < 0) return ioctl_error(id, -r);
    return {};
  }
  const core::IoctlDesc& row = kfd_ioctl(id);
  uint8_t before[kKfdMaxArgsSize];
  if (size != 0) std::memcpy(before, arg, size);
  core::log_trace("ioctl(" + std::to_string(fd) + ", " +
                  core::format_args(row, arg, size, core::Phase::kIn) + ")");
  const int r = once ? sys.ioctl_once(fd, request, arg) : sys.ioctl(fd, request, arg);
  std::string out = r < 0 ? std::string("-") + core::errno_name(-r) : std::to_string(r);
  out += ' ';
  out += core::format_args(row, size != 0 ? before : nullptr, arg, size);
  core::log_trace("  = " + out);
  if (r < 0) return ioctl_error(id, -r);
  return {};
}

}  // namespace detail

namespace {

// Resumptions of an interrupted map/unmap (each resumes at n_success).
constexpr int kMaxMapResumes = 16;
// Interrupted polls tolerated once a finite wait has no time left.
constexpr int kMaxFinalPolls = 8;

template <typename Args>
void fill_create_queue(Args& a, const CreateQueueArgs& q) {
  a.ring_base_address = q.ring_base_address;
  a.write_pointer_address = q.write_pointer_address;
  a.read_pointer_address = q.read_pointer_address;
  a.ring_size = q.ring_size;
  a.gpu_id = q.gpu_id;
  a.queue_type = q.queue_type;
  a.queue_percentage = q.queue_percentage;
  a.queue_priority = q.queue_priority;
  a.eop_buffer_address = q.eop_buffer_address;
  a.eop_buffer_size = q.eop_buffer_size;
  a.ctx_save_restore_address = q.ctx_save_restore_address;
  a.ctx_save_restore_size = q.ctx_save_restore_size;
  a.ctl_stack_size = q.ctl_stack_size;
}

// MAP/UNMAP: kfd_chardev.c kfd_ioctl_map_memory_to_gpu walks gpu_ids from n_success and, on
// failure, writes back how many leading GPUs it finished.
template <unsigned long Request>
core::Status map_or_unmap(core::Sys& sys, int fd, uint64_t handle,
                          std::span<const uint32_t> gpu_ids, const char* done_word) {
  const KfdIoctl id = IoctlRow<Request>::id;
  if (gpu_ids.empty())
    return core::Error::invalid(std::string(kfd_ioctl(id).name), "no gpu_ids given");
  ArgsOf<Request> a{};
  a.handle = handle;
  a.device_ids_array_ptr = reinterpret_cast<uintptr_t>(gpu_ids.data());
  a.n_devices = static_cast<uint32_t>(gpu_ids.size());
  a.n_success = 0;
  for (int attempt = 0;; ++attempt) {
    const uint32_t done_before = a.n_success;
    core::Status s = call_into<Request>(sys, fd, a);
    if (s.ok()) return s;
    const int err = s.error().err();
    // A driver that moved n_success backwards or past n_devices is not believed.
    if (a.n_success < done_before || a.n_success > a.n_devices) a.n_success = done_before;
    if ((err == EINTR || err == EAGAIN) && attempt < kMaxMapResumes) continue;
    const uint32_t done = a.n_success;
    const uint32_t failed = done < a.n_devices ? gpu_ids[done] : gpu_ids.back();
    std::string hint(s.error().hint());
    if (!hint.empty()) hint += "; ";
    hint += "gpu_id " + std::to_string(failed) + " failed after " + std::to_string(done) + " of " +
            std::to_string(a.n_devices) + " GPUs";
    if (done != 0) hint += std::string(", which stay ") + done_word;
    return core::Error::sys(std::string(kfd_ioctl(id).name), err, std::move(hint));
  }
}

}  // namespace

core::Result<KfdVersion> get_version(core::Sys& sys, int fd) {
  RAWGPU_ASSIGN(auto v, call<AMDKFD_IOC_GET_VERSION>(sys, fd, {}));
  if (v.major_version != KFD_IOCTL_MAJOR_VERSION)
    return core::Error::unsupported("AMDKFD_IOC_GET_VERSION",
                                    "KFD " + std::to_string(v.major_version) + "." +
                                        std::to_string(v.minor_version) +
                                        " is not supported; rawgpu speaks KFD 1.x");
  return KfdVersion{v.major_version, v.minor_version};
}

core::Result<std::vector<kfd_process_device_apertures>> get_process_apertures_new(core::Sys& sys,
                                                                                  int fd) {
  kfd_ioctl_get_process_apertures_new_args a{};
  RAWGPU_TRY(call_into<AMDKFD_IOC_GET_PROCESS_APERTURES_NEW>(sys, fd, a));
  const uint32_t count = a.num_of_nodes;
  std::vector<kfd_process_device_apertures> out(count);
  if (count == 0) return out;
  a.kfd_process_device_apertures_ptr = reinterpret_cast<uintptr_t>(out.data());
  a.num_of_nodes = count;
  RAWGPU_TRY(call_into<AMDKFD_IOC_GET_PROCESS_APERTURES_NEW>(sys, fd, a));
  if (a.num_of_nodes < count) out.resize(a.num_of_nodes);
  return out;
}

core::Status acquire_vm(core::Sys& sys, int fd, uint32_t gpu_id, int drm_fd) {
  kfd_ioctl_acquire_vm_args a{};
  a.drm_fd = static_cast<uint32_t>(drm_fd);
  a.gpu_id = gpu_id;
  return call_into<AMDKFD_IOC_ACQUIRE_VM>(sys, fd, a);
}

core::Result<Allocation> alloc_memory_of_gpu(core::Sys& sys, int fd, const AllocMemoryArgs& m) {
  kfd_ioctl_alloc_memory_of_gpu_args a{};
  a.va_addr = m.va_addr;
  a.size = m.size;
  a.mmap_offset = m.userptr;
  a.gpu_id = m.gpu_id;
  a.flags = m.flags;
  RAWGPU_TRY(call_into<AMDKFD_IOC_ALLOC_MEMORY_OF_GPU>(sys, fd, a));
  return Allocation{a.handle, a.mmap_offset};
}

core::Status free_memory_of_gpu(core::Sys& sys, int fd, uint64_t handle) {
  kfd_ioctl_free_memory_of_gpu_args a{};
  a.handle = handle;
  return call_into<AMDKFD_IOC_FREE_MEMORY_OF_GPU>(sys, fd, a);
}

core::Status map_memory_to_gpu(core::Sys& sys, int fd, uint64_t handle,
                               std::span<const uint32_t> gpu_ids) {
  return map_or_unmap<AMDKFD_IOC_MAP_MEMORY_TO_GPU>(sys, fd, handle, gpu_ids, "mapped");
}

core::Status unmap_memory_from_gpu(core::Sys& sys, int fd, uint64_t handle,
                                   std::span<const uint32_t> gpu_ids) {
  return map_or_unmap<AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU>(sys, fd, handle, gpu_ids, "unmapped");
}

core::Result<CreatedQueue> create_queue(core::Sys& sys, int fd, KfdVersion driver,
                                        const CreateQueueArgs& q) {
  if (driver.at_least(kMinorSdmaByEngId)) {
    kfd_ioctl_create_queue_args_v117 a{};
    fill_create_queue(a, q);
    a.sdma_engine_id = q.sdma_engine_id;
    RAWGPU_TRY(call_into<AMDKFD_IOC_CREATE_QUEUE_V117>(sys, fd, a));
    return CreatedQueue{a.queue_id, a.doorbell_offset};
  }
  if (q.queue_type == KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID || q.sdma_engine_id != 0)
    return core::Error::unsupported(
        "AMDKFD_IOC_CREATE_QUEUE",
        "KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID/sdma_engine_id need KFD 1.17; this driver is KFD " +
            std::to_string(driver.major) + "." + std::to_string(driver.minor) +
            " (use KFD_IOC_QUEUE_TYPE_SDMA)");
  kfd_ioctl_create_queue_args_v116 a{};
  fill_create_queue(a, q);
  RAWGPU_TRY(call_into<AMDKFD_IOC_CREATE_QUEUE_V116>(sys, fd, a));
  return CreatedQueue{a.queue_id, a.doorbell_offset};
}

core::Status destroy_queue(core::Sys& sys, int fd, uint32_t queue_id) {
  kfd_ioctl_destroy_queue_args a{};
  a.queue_id = queue_id;
  return call_into<AMDKFD_IOC_DESTROY_QUEUE>(sys, fd, a);
}

core::Status update_queue(core::Sys& sys, int fd, const UpdateQueueArgs& u) {
  kfd_ioctl_update_queue_args a{};
  a.ring_base_address = u.ring_base_address;
  a.queue_id = u.queue_id;
  a.ring_size = u.ring_size;
  a.queue_percentage = u.queue_percentage;
  a.queue_priority = u.queue_priority;
  return call_into<AMDKFD_IOC_UPDATE_QUEUE>(sys, fd, a);
}

core::Result<CreatedEvent> create_event(core::Sys& sys, int fd, const CreateEventArgs& e) {
  kfd_ioctl_create_event_args a{};
  a.event_page_offset = e.event_page_handle;
  a.event_type = e.event_type;
  a.auto_reset = e.auto_reset ? 1 : 0;
  a.node_id = e.node_id;
  RAWGPU_TRY(call_into<AMDKFD_IOC_CREATE_EVENT>(sys, fd, a));
  return CreatedEvent{a.event_id, a.event_slot_index, a.event_trigger_data, a.event_page_offset};
}

core::Status destroy_event(core::Sys& sys, int fd, uint32_t event_id) {
  kfd_ioctl_destroy_event_args a{};
  a.event_id = event_id;
  return call_into<AMDKFD_IOC_DESTROY_EVENT>(sys, fd, a);
}

core::Status set_event(core::Sys& sys, int fd, uint32_t event_id) {
  kfd_ioctl_set_event_args a{};
  a.event_id = event_id;
  return call_into<AMDKFD_IOC_SET_EVENT>(sys, fd, a);
}

core::Status reset_event(core::Sys& sys, int fd, uint32_t event_id) {
  kfd_ioctl_reset_event_args a{};
  a.event_id = event_id;
  return call_into<AMDKFD_IOC_RESET_EVENT>(sys, fd, a);
}

core::Result<uint32_t> wait_events(core::Sys& sys, int fd, std::span<kfd_event_data_v114> events,
                                   bool wait_for_all, uint32_t timeout_ms) {
  using Clock = std::chrono::steady_clock;
  kfd_ioctl_wait_events_args a{};
  a.events_ptr = reinterpret_cast<uintptr_t>(events.data());
  a.num_events = static_cast<uint32_t>(events.size());
  a.wait_for_all = wait_for_all ? 1 : 0;
  a.timeout = timeout_ms;
  const Clock::time_point start = Clock::now();
  int final_polls = 0;
  for (;;) {
    a.wait_result = 0;
    // Issued once: an interrupted wait comes back here to shorten its timeout.
    core::Status s = call_into<AMDKFD_IOC_WAIT_EVENTS>(sys, fd, a, /*once=*/true);
    if (s.ok()) return a.wait_result;
    if (s.error().err() != EINTR) return std::move(s).error();
    // Interrupted: restart with what is left of the caller's timeout (STYLE rule 8).
    if (timeout_ms == kWaitInfinite) continue;
    if (a.timeout == 0 && ++final_polls > kMaxFinalPolls) return std::move(s).error();
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    const uint64_t spent = static_cast<uint64_t>(elapsed.count());
    a.timeout = spent >= timeout_ms ? 0 : static_cast<uint32_t>(timeout_ms - spent);
  }
}

core::Result<kfd_ioctl_get_clock_counters_args> get_clock_counters(core::Sys& sys, int fd,
                                                                   uint32_t gpu_id) {
  kfd_ioctl_get_clock_counters_args a{};
  a.gpu_id = gpu_id;
  return call<AMDKFD_IOC_GET_CLOCK_COUNTERS>(sys, fd, a);
}

core::Result<int32_t> set_xnack_mode(core::Sys& sys, int fd, int32_t mode) {
  kfd_ioctl_set_xnack_mode_args a{};
  a.xnack_enabled = mode;
  RAWGPU_TRY(call_into<AMDKFD_IOC_SET_XNACK_MODE>(sys, fd, a));
  return a.xnack_enabled;
}

core::Result<uint64_t> available_memory(core::Sys& sys, int fd, uint32_t gpu_id) {
  kfd_ioctl_get_available_memory_args a{};
  a.gpu_id = gpu_id;
  RAWGPU_TRY(call_into<AMDKFD_IOC_AVAILABLE_MEMORY>(sys, fd, a));
  return static_cast<uint64_t>(a.available);
}

core::Result<uint32_t> runtime_enable(core::Sys& sys, int fd, uint64_t r_debug,
                                      uint32_t mode_mask) {
  kfd_ioctl_runtime_enable_args_v113 a{};
  a.r_debug = r_debug;
  a.mode_mask = mode_mask;
  RAWGPU_TRY(call_into<AMDKFD_IOC_RUNTIME_ENABLE>(sys, fd, a));
  return a.capabilities_mask;
}

core::Status set_memory_policy(core::Sys& sys, int fd, const SetMemoryPolicyArgs& p) {
  kfd_ioctl_set_memory_policy_args_v118 a{};
  a.alternate_aperture_base = p.alternate_aperture_base;
  a.alternate_aperture_size = p.alternate_aperture_size;
  a.gpu_id = p.gpu_id;
  a.default_policy = p.default_policy;
  a.alternate_policy = p.alternate_policy;
  a.misc_process_flag = p.misc_process_flag;
  return call_into<AMDKFD_IOC_SET_MEMORY_POLICY>(sys, fd, a);
}

core::Status set_scratch_backing_va(core::Sys& sys, int fd, uint32_t gpu_id, uint64_t va_addr) {
  kfd_ioctl_set_scratch_backing_va_args a{};
  a.va_addr = va_addr;
  a.gpu_id = gpu_id;
  return call_into<AMDKFD_IOC_SET_SCRATCH_BACKING_VA>(sys, fd, a);
}

}  // namespace rawgpu::kfd

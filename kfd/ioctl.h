// rawgpu — typed KFD ioctls over core::Sys, built from the rows of kfd/describe.h.
//
// Two layers:
//   call<AMDKFD_IOC_X>(sys, fd, args)        -> Result<Args>  (args by value, returned filled)
//   call_into<AMDKFD_IOC_X>(sys, fd, args&)  -> Status        (args filled in place, also on
//                                                              failure: partial-progress fields)
// The template argument is the kernel's request macro (or abi.h's name where the 1.11 header
// lacks it); the argument type is the row's, so the request is always _IOC(dir, 'K', nr,
// sizeof(Args)) and a struct of the wrong size does not compile. At RAWGPU_DEBUG=4 every call is
// logged decoded (inputs before, outputs after with changed in/out fields as "old => new").
// Nothing allocates unless logging is on or the call fails.
//
// Errors: a failed ioctl is Error::sys("AMDKFD_IOC_<NAME>", errno, hint) with the row's hint for
// that errno (describe.cpp), e.g. "AMDKFD_IOC_FREE_MEMORY_OF_GPU: EBUSY (Device or resource
// busy): buffer still mapped; unmap first". EINTR is returned as an error except by
// wait_events(), which restarts with the remaining time (the host Sys restarts the rest).
//
// Then one convenience function per ioctl a runtime needs, with named parameters.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "core/sys.h"
#include "kfd/abi.h"
#include "kfd/describe.h"

namespace rawgpu::kfd {

// The error for `err` (positive errno) from the ioctl of row `id`, with the row's hint.
core::Error ioctl_error(KfdIoctl id, int err);

namespace detail {
// Issues one ioctl through `sys`, logging it when core::log_ioctls(). `arg` may be null for _IO.
// `once`: no restart on EINTR (Sys::ioctl_once), for waits that recompute their timeout.
core::Status issue(core::Sys& sys, int fd, KfdIoctl id, unsigned long request, void* arg,
                   uint32_t size, bool once = false);
}  // namespace detail

template <unsigned long Request>
using ArgsOf = typename IoctlRow<Request>::Args;

// Issues `Request` with `args`, which the driver's outputs overwrite in place (also when the call
// fails, so partial-progress fields such as map's n_success stay readable).
template <unsigned long Request>
core::Status call_into(core::Sys& sys, int fd, ArgsOf<Request>& args, bool once = false) {
  using Row = IoctlRow<Request>;
  using Args = typename Row::Args;
  static_assert(std::is_trivially_copyable_v<Args> && std::is_standard_layout_v<Args>);
  static_assert(Row::request == Request);
  void* p = args_size<Args> == 0 ? nullptr : static_cast<void*>(&args);
  return detail::issue(sys, fd, Row::id, Row::request, p, args_size<Args>, once);
}

// Issues `Request` with a copy of `args` and returns the struct as the driver left it.
//   Result<kfd_ioctl_get_version_args> v = kfd::call<AMDKFD_IOC_GET_VERSION>(sys, fd, {});
template <unsigned long Request>
core::Result<ArgsOf<Request>> call(core::Sys& sys, int fd, ArgsOf<Request> args) {
  core::Status s = call_into<Request>(sys, fd, args);
  if (!s.ok()) return std::move(s).error();
  return args;
}

// ---------------------------------------------------------------------------------------------
// Convenience functions. `fd` is the process's /dev/kfd descriptor throughout.

struct KfdVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  bool at_least(uint32_t want_minor) const { return major > 1 || minor >= want_minor; }
};

// AMDKFD_IOC_GET_VERSION. A major version other than 1 is refused (kUnsupported, naming it).
core::Result<KfdVersion> get_version(core::Sys& sys, int fd);

// AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, twice: first with num_of_nodes = 0 for the count, then
// with an array of that many entries. One entry per GPU of the process (lds/scratch/gpuvm
// apertures and gpu_id).
core::Result<std::vector<kfd_process_device_apertures>> get_process_apertures_new(core::Sys& sys,
                                                                                  int fd);

// AMDKFD_IOC_ACQUIRE_VM: binds this process's VM on `gpu_id` to the render node `drm_fd`. Must
// precede allocations and queues on that GPU; later BO mmaps must use the same drm_fd.
core::Status acquire_vm(core::Sys& sys, int fd, uint32_t gpu_id, int drm_fd);

struct AllocMemoryArgs {
  uint32_t gpu_id = 0;
  uint64_t va_addr = 0;  // GPU VA chosen by the caller, inside the process's gpuvm aperture
  uint64_t size = 0;     // bytes; rounded up to a page by the kernel
  uint32_t flags = 0;    // KFD_IOC_ALLOC_MEM_FLAGS_* (kAlloc* in abi.h)
  uint64_t userptr = 0;  // USERPTR only: the CPU address to pin (sent as mmap_offset)
};
struct Allocation {
  uint64_t handle = 0;       // opaque BO handle for map/unmap/free
  uint64_t mmap_offset = 0;  // render-node mmap offset (MMIO_REMAP: /dev/kfd offset)
};
// AMDKFD_IOC_ALLOC_MEMORY_OF_GPU.
core::Result<Allocation> alloc_memory_of_gpu(core::Sys& sys, int fd, const AllocMemoryArgs& a);

// AMDKFD_IOC_FREE_MEMORY_OF_GPU. EBUSY while the buffer is still mapped on any GPU.
core::Status free_memory_of_gpu(core::Sys& sys, int fd, uint64_t handle);

// AMDKFD_IOC_MAP_MEMORY_TO_GPU / AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU of `handle` on every GPU in
// `gpu_ids` (the owner, or peers that did ACQUIRE_VM). The kernel reports in n_success how many
// leading GPUs it finished; after an interruption (EINTR/EAGAIN) the call is resumed from there
// (bounded retries). A hard failure names the GPU that failed and how many were done; those
// stay mapped (or unmapped) — undo them or retry.
core::Status map_memory_to_gpu(core::Sys& sys, int fd, uint64_t handle,
                               std::span<const uint32_t> gpu_ids);
core::Status unmap_memory_from_gpu(core::Sys& sys, int fd, uint64_t handle,
                                   std::span<const uint32_t> gpu_ids);

struct CreateQueueArgs {
  uint32_t gpu_id = 0;
  uint32_t queue_type = KFD_IOC_QUEUE_TYPE_COMPUTE_AQL;  // KFD_IOC_QUEUE_TYPE_*
  uint64_t ring_base_address = 0;
  uint32_t ring_size = 0;              // bytes, a power of two (>= KFD_MIN_QUEUE_RING_SIZE)
  uint64_t write_pointer_address = 0;  // u64 in a one-page BO mapped to this GPU
  uint64_t read_pointer_address = 0;   // u64 in a one-page BO mapped to this GPU
  uint32_t queue_percentage = KFD_MAX_QUEUE_PERCENTAGE;  // bits 7:0 percent, 15:8 pm4 xcc
  uint32_t queue_priority = 7;                           // 0..KFD_MAX_QUEUE_PRIORITY
  uint64_t eop_buffer_address = 0;                       // compute only
  uint64_t eop_buffer_size = 0;
  uint64_t ctx_save_restore_address = 0;  // compute only (CWSR)
  uint32_t ctx_save_restore_size = 0;
  uint32_t ctl_stack_size = 0;
  uint32_t sdma_engine_id = 0;  // KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID only (KFD >= 1.17)
};
struct CreatedQueue {
  uint32_t queue_id = 0;
  uint64_t doorbell_offset = 0;  // /dev/kfd mmap offset of the doorbell (see abi.h helpers)
};
// AMDKFD_IOC_CREATE_QUEUE in the layout the running driver uses: the 96-byte
// kfd_ioctl_create_queue_args_v117 when driver.minor >= 17, else the 88-byte form. SDMA_BY_ENG_ID
// or a non-zero sdma_engine_id on an older driver is refused before the call (kUnsupported).
core::Result<CreatedQueue> create_queue(core::Sys& sys, int fd, KfdVersion driver,
                                        const CreateQueueArgs& q);

// AMDKFD_IOC_DESTROY_QUEUE.
core::Status destroy_queue(core::Sys& sys, int fd, uint32_t queue_id);

struct UpdateQueueArgs {
  uint32_t queue_id = 0;
  uint64_t ring_base_address = 0;
  uint32_t ring_size = 0;
  uint32_t queue_percentage = KFD_MAX_QUEUE_PERCENTAGE;  // 0 deactivates the queue
  uint32_t queue_priority = 7;
};
// AMDKFD_IOC_UPDATE_QUEUE.
core::Status update_queue(core::Sys& sys, int fd, const UpdateQueueArgs& u);

struct CreateEventArgs {
  uint32_t event_type = KFD_IOC_EVENT_SIGNAL;  // KFD_IOC_EVENT_*
  bool auto_reset = false;
  uint32_t node_id = 0;            // topology node, for HW_EXCEPTION/MEMORY/… events
  uint64_t event_page_handle = 0;  // first CREATE_EVENT on a dGPU: the 32 KiB event page's
                                   // alloc handle; 0 afterwards
};
struct CreatedEvent {
  uint32_t event_id = 0;
  uint32_t event_slot_index = 0;    // signal events: the 8-byte slot in the event page
  uint32_t event_trigger_data = 0;  // signal events: the value/ctxid the GPU signals with
  uint64_t event_page_offset = 0;   // /dev/kfd mmap offset when the kernel owns the page
};
// AMDKFD_IOC_CREATE_EVENT.
core::Result<CreatedEvent> create_event(core::Sys& sys, int fd, const CreateEventArgs& e);
// AMDKFD_IOC_DESTROY_EVENT / SET_EVENT / RESET_EVENT (set/reset: signal events only).
core::Status destroy_event(core::Sys& sys, int fd, uint32_t event_id);
core::Status set_event(core::Sys& sys, int fd, uint32_t event_id);
core::Status reset_event(core::Sys& sys, int fd, uint32_t event_id);

// AMDKFD_IOC_WAIT_EVENTS on `events` (event_id set by the caller; on return the kernel fills the
// exception data of MEMORY/HW_EXCEPTION events and the age of SIGNAL events). `timeout_ms`:
// kWaitImmediate (0) polls, kWaitInfinite waits forever. Returns the wait_result as a value —
// KFD_IOC_WAIT_RESULT_COMPLETE, _TIMEOUT or _FAIL (an event was destroyed) — and errors only for
// failed calls. When the call is interrupted (EINTR) it is restarted with the time that is left;
// once none is left, one last poll decides. Allocation-free (the CPU-wait hot path).
core::Result<uint32_t> wait_events(core::Sys& sys, int fd, std::span<kfd_event_data_v114> events,
                                   bool wait_for_all, uint32_t timeout_ms);

// AMDKFD_IOC_GET_CLOCK_COUNTERS: GPU counter, CLOCK_MONOTONIC_RAW and BOOTTIME ns, and the
// system clock frequency. An unknown gpu_id gives a zero GPU counter, not an error.
core::Result<kfd_ioctl_get_clock_counters_args> get_clock_counters(core::Sys& sys, int fd,
                                                                   uint32_t gpu_id);

// AMDKFD_IOC_SET_XNACK_MODE: `mode` < 0 only queries, 0 disables, > 0 enables. Returns the mode
// in effect. EBUSY once queues exist.
core::Result<int32_t> set_xnack_mode(core::Sys& sys, int fd, int32_t mode);

// AMDKFD_IOC_AVAILABLE_MEMORY: bytes of VRAM this process can still allocate on `gpu_id`.
core::Result<uint64_t> available_memory(core::Sys& sys, int fd, uint32_t gpu_id);

// AMDKFD_IOC_RUNTIME_ENABLE (KFD >= 1.13): `mode_mask` 0 declares no debugger runtime (what a
// compute runtime without rocgdb support passes); returns capabilities_mask. Call it before
// creating queues.
core::Result<uint32_t> runtime_enable(core::Sys& sys, int fd, uint64_t r_debug = 0,
                                      uint32_t mode_mask = 0);

struct SetMemoryPolicyArgs {
  uint32_t gpu_id = 0;
  uint32_t default_policy = KFD_IOC_CACHE_POLICY_COHERENT;
  uint32_t alternate_policy = KFD_IOC_CACHE_POLICY_COHERENT;
  uint64_t alternate_aperture_base = 0;
  uint64_t alternate_aperture_size = 0;
  uint32_t misc_process_flag = 0;  // KFD_PROC_FLAG_* (KFD >= 1.18)
};
// AMDKFD_IOC_SET_MEMORY_POLICY (matters on gfx7/8 only).
core::Status set_memory_policy(core::Sys& sys, int fd, const SetMemoryPolicyArgs& p);

// AMDKFD_IOC_SET_SCRATCH_BACKING_VA: the GPU VA of this process's scratch backing on `gpu_id`.
core::Status set_scratch_backing_va(core::Sys& sys, int fd, uint32_t gpu_id, uint64_t va_addr);

}  // namespace rawgpu::kfd

// The NVIDIA backend (device.h). Bring-up: shared/abi/nvidia.md §3.1–§3.6 and nvidia-hopper.md §5;
// memory §3.4/§3.5; submission §4; QMDs §5 (encoded by nv_ioctl/packets.h); cubins §6
// (nv_ioctl/loader.h).
#include "nv_ioctl/device.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"
#include "memory/va_allocator.h"
#include "nv_ioctl/abi.h"
#include "nv_ioctl/classes.h"
#include "nv_ioctl/cubin.h"
#include "nv_ioctl/ioctl.h"
#include "nv_ioctl/loader.h"
#include "nv_ioctl/packets.h"

namespace rawgpu::nv {
namespace {

using core::Error;
using core::Result;
using core::Status;
using queues::MemoryKind;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kHugePage = 2ull << 20;
constexpr uint64_t kHugeThreshold = 8ull << 20;  // tinygrad: 2 MiB pages from 8 MiB (§3.4)
constexpr uint64_t kBigPage = 64 * 1024;         // the GPU MMU's big page on Pascal and later
constexpr uint64_t kBigThreshold = 256 * 1024;
constexpr uint32_t kSignalSlotBytes = 32;  // {value, -, timestamp payload, timestamp} (below)
constexpr uint64_t kSignalPoolBytes = 64 * 1024;
constexpr uint32_t kDefaultGpfifoEntries = 1024;
constexpr uint64_t kPushbufferBytes = 1ull << 20;
constexpr uint64_t kLaunchRingBytes = 4ull << 20;
constexpr uint64_t kNotifierBytes = kPage;  // NvNotification array (cuda_ioctl_sniffer: 4 KiB)
constexpr uint64_t kUvmChannelRegion = 64ull << 20;  // UVM_REGISTER_CHANNEL range (tinygrad)
constexpr auto kRingFullTimeout = std::chrono::seconds(10);
// Windows the compute class maps shared and local memory through (§3.2 step 28; the shared one
// 4 GiB aligned on Hopper, H§5 step 7). Outside our VA span.
constexpr uint64_t kLocalWindow = 0x7293'0000'0000ull;
constexpr uint64_t kSharedWindow = 0x7294'0000'0000ull;
// CUDA's minimum local memory per thread (tinygrad nv_ioctl.py, cuda_ioctl_sniffer: 0x640).
constexpr uint32_t kMinLocalPerThread = 0x640;
// NVOS32 attr / attr2 fields (fact sheet §3.4).
constexpr uint32_t kAttrPhysContiguous = 2u << 27, kAttrPhysNoncontiguous = 3u << 27;
constexpr uint32_t kAttrPageHuge = 3u << 23, kAttrPageBig = 2u << 23;  // NVOS32_ATTR_PAGE_SIZE
constexpr uint32_t kAttrLocationPci = 1u << 25;
constexpr uint32_t kAttr2ZbcPreferNo = 1u, kAttr2CacheableYes = 1u << 2, kAttr2CacheableNo = 2u << 2;
constexpr uint32_t kAttr2PageHuge2M = 1u << 20;
constexpr uint32_t kVidmemFlags = NVOS32_ALLOC_FLAGS_MAP_NOT_REQUIRED |
                                  NVOS32_ALLOC_FLAGS_MEMORY_HANDLE_PROVIDED |
                                  NVOS32_ALLOC_FLAGS_ALIGNMENT_FORCE |
                                  NVOS32_ALLOC_FLAGS_IGNORE_BANK_PLACEMENT |
                                  NVOS32_ALLOC_FLAGS_PERSISTENT_VIDMEM;  // 0x1C101
constexpr uint32_t kSysmemFlags = kVidmemFlags & ~NVOS32_ALLOC_FLAGS_PERSISTENT_VIDMEM;  // 0xC101
// OS descriptor flags tinygrad uses, the only ones RM accepts for user pages (§3.4).
constexpr uint32_t kOsDescFlags = NVOS02_FLAGS_PHYSICALITY_NONCONTIGUOUS |
                                  NVOS02_FLAGS_COHERENCY_CACHED | NVOS02_FLAGS_MAPPING_NO_MAP;
// NV2080_CTRL_PERF_BOOST flags: CUDA_YES | CUDA_PRIORITY_HIGH | BOOST_TO_MAX (§3.2 step 13).
constexpr uint32_t kPerfBoostFlags = 0x52;
// The error notifier entry RM writes on a channel error (NV_CHANNELGPFIFO_NOTIFICATION_TYPE_ERROR
// = 0; NvNotification {timeStamp u64, info32, info16, status}, clc36f.h / nvtypes.h).
constexpr uint32_t kNotifierInfo32 = 8, kNotifierInfo16 = 12, kNotifierStatus = 14;

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
constexpr uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

QmdVersion qmd_version_for(uint32_t compute_class) {
  if (is_blackwell_compute(compute_class)) return QmdVersion::V05_00;
  if (is_hopper_or_later_compute(compute_class)) return QmdVersion::V04_00;
  return QmdVersion::V03_00;
}

class NvDevice;
class NvQueue;

// ---------------------------------------------------------------------------------------------
// One RM memory object with its GPU mapping (UVM external range) and CPU view.
struct MemInfo {
  uint32_t handle = 0;
  uint64_t gpu_va = 0, size = 0;
  void* cpu = nullptr;
  bool rm_cpu_map = false;    // CPU view made by NV_ESC_RM_MAP_MEMORY + mmap
  uint64_t linear_address = 0;
  bool anon = false;          // CPU pages we mmapped (host memory behind an OS descriptor)
  bool user = false;          // caller's pages (map_host)
};

class NvBuffer final : public queues::Buffer {
 public:
  NvBuffer(NvDevice* dev, const MemInfo& m, MemoryKind kind)
      : Buffer(m.gpu_va, m.size, m.cpu, kind), dev_(dev), mem_(m) {}
  ~NvBuffer() override;
  const MemInfo& mem() const { return mem_; }

 private:
  NvDevice* dev_;
  MemInfo mem_;
};

class NvSignal final : public queues::Signal {
 public:
  // Slot layout: value @0 (64-bit release), timestamp release {payload @16, timestamp @24}.
  static constexpr uint32_t kTimestampRecord = 16, kTimestamp = 24;
  NvSignal(NvDevice* dev, uint32_t slot, uint8_t* cpu, uint64_t gpu)
      : dev_(dev), slot_(slot), cpu_(cpu), gpu_(gpu) {}
  ~NvSignal() override;
  uint64_t value() const override { return ref(0).load(std::memory_order_acquire); }
  void set(uint64_t v) override { ref(0).store(v, std::memory_order_release); }
  uint64_t timestamp_ns() const override { return ref(kTimestamp).load(std::memory_order_acquire); }
  Status wait(uint64_t target, std::chrono::milliseconds timeout) override;
  uint64_t gpu_addr() const override { return gpu_; }
  std::atomic<const NvQueue*> last_queue{nullptr};

 private:
  std::atomic_ref<uint64_t> ref(uint32_t off) const {
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(cpu_ + off));
  }
  NvDevice* dev_;
  uint32_t slot_;
  uint8_t* cpu_;
  uint64_t gpu_;
};

// A QMD member the launch path patches (grid, block, the cbuf0 address), compiled from its rows
// of the QMD table into per-dword pieces: qmd[word] = (qmd[word] & ~mask) | ((v >> src) << dst).
// The template holds 0 there (encode_qmd checked it at load).
struct QmdPatch {
  struct Piece {
    uint16_t word = 0;
    uint8_t dst = 0;  // bit in the word
    uint8_t src = 0;  // bit of the value (value_shift + the field's shift + bits already placed)
    uint32_t mask = 0;
  };
  std::array<Piece, 6> pieces{};
  uint32_t n = 0;
};

class NvProgram final : public queues::Program {
 public:
  const queues::ProgramInfo& info() const override { return info_; }
  const NvDevice* owner = nullptr;
  queues::ProgramInfo info_;
  CubinKernel kernel;
  std::unique_ptr<queues::Buffer> image;
  std::vector<uint32_t> qmd;  // the template
  QmdPatch grid[3], block[3], cbuf0;
  uint32_t cbuf0_bytes = 0;   // bound size (64-byte multiple)
  // Constant bank 0 as marshal_cbank0 builds it for a 1x1x1 launch with zero arguments: the
  // launch path copies it and patches the per-launch words (block/grid dims, grid id, args).
  std::vector<uint8_t> cbuf0_template;
  uint32_t qmd_bytes = 0;
  uint32_t local_per_thread = 0;
};

// ---------------------------------------------------------------------------------------------
class NvDevice final : public queues::Device {
 public:
  NvDevice(core::Sys& sys, const OpenOptions& o) : sys_(sys), opts_(o) {}
  ~NvDevice() override;
  Status init();

  const queues::DeviceProperties& properties() const override { return props_; }
  Result<std::unique_ptr<queues::Buffer>> alloc(uint64_t size, MemoryKind kind) override;
  Result<std::unique_ptr<queues::Buffer>> map_host(void* ptr, uint64_t size) override;
  Result<std::unique_ptr<queues::Program>> load(std::span<const uint8_t> code_object,
                                                std::string_view kernel) override;
  Result<std::unique_ptr<queues::ComputeQueue>> create_compute_queue(
      const queues::QueueOptions& options) override;
  Result<std::unique_ptr<queues::CopyQueue>> create_copy_queue(
      const queues::QueueOptions& options) override;
  Result<std::unique_ptr<queues::Signal>> create_signal(uint64_t initial) override;

  // Internal.
  enum class Placement : uint8_t { kVidmem, kSysmem, kHostPages };
  Result<std::unique_ptr<NvBuffer>> alloc_raw(uint64_t size, Placement where, bool cpu_map,
                                              bool contiguous, MemoryKind kind);
  void release(const MemInfo& m);
  Status map_gpu(const MemInfo& m);
  // Releases a half-built allocation when its constructor path fails.
  struct ReleaseOnError {
    NvDevice* d;
    MemInfo* m;
    bool armed = true;
    ~ReleaseOnError() {
      if (armed) d->release(*m);
    }
  };
  void release_signal(uint32_t slot);
  Result<uint64_t> alloc_va(uint64_t size) { return va_->alloc(size, kHugePage); }
  void free_va(uint64_t va) { (void)va_->free(va); }
  uint32_t new_handle() { return next_handle_.fetch_add(1); }
  // Checks every live channel's error notifier; the first error found, or ok.
  Status check_channels() const;
  void add_queue(NvQueue* q);
  void remove_queue(NvQueue* q);
  // Local memory for `per_thread` bytes: grows the shared buffer (init time, not hot path).
  Result<uint64_t> ensure_local_memory(uint32_t per_thread);

  core::Sys& sys() { return sys_; }
  const NvAbi& abi() const { return abi_; }
  int ctl_fd() const { return ctl_fd_; }
  int uvm_fd() const { return uvm_fd_; }
  uint32_t root() const { return root_; }
  uint32_t device() const { return device_; }
  uint32_t subdevice() const { return subdevice_; }
  uint32_t vaspace() const { return vaspace_; }
  uint32_t minor() const { return minor_; }
  const NvProcessorUuid& uuid() const { return uuid_; }
  const NvArchClasses& classes() const { return *arch_; }
  uint32_t gpfifo_class() const { return gpfifo_class_; }
  uint32_t compute_class() const { return compute_class_; }
  uint32_t copy_class() const { return copy_class_; }
  QmdVersion qmd_version() const { return qmd_version_; }
  uint32_t sm() const { return sm_; }
  uint32_t sm_count() const { return sm_count_; }
  uint32_t* doorbell() const { return doorbell_; }
  // dev_root + "/" + name: /dev/nvidiactl, /dev/nvidia<minor>, /dev/nvidia-uvm.
  std::string node_path(const std::string& name) const { return opts_.dev_root + "/" + name; }
  const std::string& label() const { return label_; }
  uint64_t local_memory_va() const { return local_mem_ ? local_mem_->gpu_addr() : 0; }
  uint64_t local_memory_per_tpc() const { return local_per_tpc_; }
  uint32_t local_per_thread() const { return local_per_thread_; }

 private:
  core::Sys& sys_;
  OpenOptions opts_;
  queues::DeviceProperties props_;
  std::string label_;
  NvAbi abi_;
  int ctl_fd_ = -1, uvm_fd_ = -1, uvm_fd2_ = -1, dev_fd_ = -1;
  uint32_t root_ = 0, device_ = 0, subdevice_ = 0, usermode_ = 0, vaspace_ = 0;
  uint32_t minor_ = 0, gpu_id_ = 0;
  bool uvm_gpu_registered_ = false, uvm_vaspace_registered_ = false;
  NvProcessorUuid uuid_{};
  const NvArchClasses* arch_ = nullptr;
  uint32_t gpfifo_class_ = 0, compute_class_ = 0, copy_class_ = 0, usermode_class_ = 0;
  QmdVersion qmd_version_ = QmdVersion::V03_00;
  uint32_t sm_ = 0, sm_count_ = 0, num_gpcs_ = 0, tpc_per_gpc_ = 0, sm_per_tpc_ = 0;
  uint32_t max_warps_ = 0;
  CpuMapping usermode_map_;
  uint32_t* doorbell_ = nullptr;
  // Handles we choose (MEMORY_HANDLE_PROVIDED, OS descriptors): away from the ranges RM hands out
  // itself (clients 0xc1d00000+, objects 0xcaf00000+: RS_UNIQUE_HANDLE_BASE, resserv).
  std::atomic<uint32_t> next_handle_{0x7a000000};
  std::unique_ptr<memory::VaAllocator> va_;
  std::unique_ptr<NvBuffer> signal_pool_;
  std::mutex signal_mu_;
  std::vector<uint32_t> free_signals_;
  mutable std::mutex queues_mu_;
  std::vector<NvQueue*> queues_;
  std::mutex local_mu_;
  std::unique_ptr<NvBuffer> local_mem_;
  uint64_t local_per_tpc_ = 0;
  uint32_t local_per_thread_ = 0;
};

// ---------------------------------------------------------------------------------------------
// One GPFIFO channel in its own channel group, and the pushbuffer ring it runs. Positions are
// monotonic: GPFIFO entries written/published/done, pushbuffer and launch-ring bytes.
class NvQueue {
 public:
  NvQueue(NvDevice* dev, std::string name, bool compute)
      : dev_(dev), name_(std::move(name)), compute_(compute) {}
  virtual ~NvQueue();
  Status init(uint32_t entries);

  std::string describe_state() const;
  // The channel's error notifier: ok, or the Xid RM wrote there.
  Status check_error() const;
  const std::string& queue_name() const { return name_; }

 protected:
  // Room for n dwords of pushbuffer; commit() after writing them.
  Result<uint32_t*> reserve(uint32_t n);
  void commit(uint32_t n) { pb_pos_ += n; }
  // Room for `bytes` (256-aligned) of the launch ring; returns CPU pointer and GPU address.
  Result<std::pair<uint8_t*, uint64_t>> reserve_launch(uint32_t bytes);
  Status publish();  // closes the open segment and rings the doorbell
  void ring_doorbell();  // publishes the entries written so far
  Status host_semaphore(const HostSemaphore& s);
  Status common_wait(queues::Signal& s, uint64_t value);
  // Blocks (bounded) until the GPU has consumed GPFIFO entries; refreshes done_.
  Status wait_progress(const char* what);

  uint32_t host_class() const { return dev_->gpfifo_class(); }
  NvDevice* dev_;
  std::string name_;
  bool compute_;

 private:
  Status close_segment();
  uint64_t refresh_done();
  uint64_t pb_done() const;
  uint64_t launch_done() const;

  // RM objects.
  uint32_t tsg_ = 0, ctxshare_ = 0, channel_ = 0, engine_ = 0;
  bool uvm_channel_ = false;
  uint64_t uvm_region_ = 0;  // the VA range UVM_REGISTER_CHANNEL got (one per channel)
  std::unique_ptr<NvBuffer> notifier_, gpfifo_, pb_, launch_;
  // Ring state.
  uint64_t* ring_ = nullptr;
  uint32_t entries_ = 0;
  void* userd_ = nullptr;
  uint32_t token_ = 0;
  uint64_t written_ = 0, published_ = 0, done_ = 0;
  std::vector<uint64_t> entry_pb_end_, entry_launch_end_;  // per ring slot, sized once
  uint32_t* pb_cpu_ = nullptr;
  uint64_t pb_gpu_ = 0, pb_dwords_ = 0, pb_pos_ = 0, seg_start_ = 0;
  uint64_t launch_pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
NvBuffer::~NvBuffer() { dev_->release(mem_); }
NvSignal::~NvSignal() { dev_->release_signal(slot_); }

Status NvSignal::wait(uint64_t target, std::chrono::milliseconds timeout) {
  if (value() >= target) return {};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  // Spin, then yield-spin for up to 1 ms (most waits on a busy queue end within microseconds, and
  // yielding lets a co-scheduled producer run), then back off to short sleeps: the driver has no
  // wait to sleep in without OS events. The channels' error notifiers are checked as we go.
  for (uint32_t i = 1;; ++i) {
    if (value() >= target) return {};
    if ((i & 63) == 0) {
      const auto spent = std::chrono::steady_clock::now() - start;
      if (spent > std::chrono::milliseconds(1) || spent > timeout) break;
      if ((i & 4095) == 0 && !dev_->check_channels().ok()) break;
      if (spent > std::chrono::microseconds(20)) std::this_thread::yield();
    }
  }
  auto nap = std::chrono::microseconds(10);
  for (uint32_t i = 0;; ++i) {
    if (value() >= target) return {};
    if ((i & 15) == 0) {
      Status s = dev_->check_channels();
      if (!s) {
        if (value() >= target) return {};
        Error e = std::move(s).error();
        const NvQueue* q = last_queue.load();
        return Error(e.kind(), e.op(), e.err(), e.status(), e.status_name(),
                     e.hint() + (q ? "; " + q->describe_state() : std::string()));
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(500));
  }
  const NvQueue* q = last_queue.load();
  return Error::timeout("wait for signal " + hex(gpu_) + " >= " + std::to_string(target),
                        "value is " + std::to_string(value()) + " after " +
                            std::to_string(timeout.count()) + " ms; " +
                            (q ? q->describe_state() : std::string("no queue has signalled it yet")));
}

// ---------------------------------------------------------------------------------------------
NvQueue::~NvQueue() {
  core::Sys& sys = dev_->sys();
  const int ctl = dev_->ctl_fd();
  dev_->remove_queue(this);
  if (uvm_channel_)
    (void)uvm_unregister_channel(sys, dev_->uvm_fd(), dev_->abi(), dev_->uuid(), dev_->root(), channel_);
  // Children first: engine object, channel, context share, then the group.
  const std::pair<uint32_t, uint32_t> objs[] = {
      {engine_, channel_}, {channel_, tsg_}, {ctxshare_, tsg_}, {tsg_, dev_->device()}};
  for (auto [h, parent] : objs)
    if (h) (void)rm_free(sys, ctl, dev_->root(), parent, h);
  if (uvm_region_) dev_->free_va(uvm_region_);
  launch_.reset();
  pb_.reset();
  gpfifo_.reset();
  notifier_.reset();
}

Status NvQueue::init(uint32_t entries) {
  core::Sys& sys = dev_->sys();
  const int ctl = dev_->ctl_fd();
  const uint32_t root = dev_->root();
  entries_ = entries;
  entry_pb_end_.assign(entries_, 0);
  entry_launch_end_.assign(entries_, 0);

  // Error notifier (sysmem, CPU-mapped so waits can read it), ring + USERD, pushbuffer.
  RAWGPU_ASSIGN(notifier_, dev_->alloc_raw(kNotifierBytes, NvDevice::Placement::kSysmem, true,
                                           false, MemoryKind::kHost));
  const uint64_t ring_bytes = round_up(uint64_t{entries_} * 8, kPage);
  RAWGPU_ASSIGN(gpfifo_, dev_->alloc_raw(ring_bytes + kPage, NvDevice::Placement::kVidmem, true,
                                         true, MemoryKind::kDeviceMapped));
  ring_ = static_cast<uint64_t*>(gpfifo_->cpu_ptr());
  userd_ = static_cast<uint8_t*>(gpfifo_->cpu_ptr()) + ring_bytes;
  std::memset(gpfifo_->cpu_ptr(), 0, ring_bytes + kUserdBytes);
  RAWGPU_ASSIGN(pb_, dev_->alloc_raw(kPushbufferBytes, NvDevice::Placement::kHostPages, true, false,
                                     MemoryKind::kHost));
  pb_cpu_ = static_cast<uint32_t*>(pb_->cpu_ptr());
  std::memset(pb_cpu_, 0, kPushbufferBytes);  // fault the pages in now, not on the hot path
  pb_gpu_ = pb_->gpu_addr();
  pb_dwords_ = kPushbufferBytes / 4;
  if (compute_) {
    RAWGPU_ASSIGN(launch_, dev_->alloc_raw(kLaunchRingBytes, NvDevice::Placement::kHostPages, true,
                                           false, MemoryKind::kHost));
    std::memset(launch_->cpu_ptr(), 0, kLaunchRingBytes);
  }

  // Channel group (TSG, engine type GRAPHICS as tinygrad for both channels, §3.2 step 19).
  NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS g{};
  g.engineType = NV2080_ENGINE_TYPE_GRAPHICS;
  RAWGPU_ASSIGN(tsg_, rm_alloc(sys, ctl, root, dev_->device(), 0, KEPLER_CHANNEL_GROUP_A, rm_params(g)));
  NV_CTXSHARE_ALLOCATION_PARAMETERS cs{};
  cs.hVASpace = dev_->vaspace();
  cs.flags = NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC;
  RAWGPU_ASSIGN(ctxshare_, rm_alloc(sys, ctl, root, tsg_, 0, FERMI_CONTEXT_SHARE_A, rm_params(cs)));

  // The channel (§3.6): ring at gpFifoOffset, USERD right after it in the same vidmem object.
  auto fill = [&](auto& p) {
    p.hObjectError = notifier_->mem().handle;
    p.gpFifoOffset = gpfifo_->gpu_addr();
    p.gpFifoEntries = entries_;
    p.hContextShare = ctxshare_;
    p.hUserdMemory[0] = gpfifo_->mem().handle;
    p.userdOffset[0] = ring_bytes;
  };
  const uint32_t chclass = dev_->gpfifo_class();
  if (dev_->abi().channel_alloc_v610) {
    NV_CHANNEL_ALLOC_PARAMS_V610 p{};
    fill(p);
    RAWGPU_ASSIGN(channel_, rm_alloc(sys, ctl, root, tsg_, 0, chclass, rm_params(p)));
  } else {
    NV_CHANNEL_ALLOC_PARAMS p{};
    fill(p);
    RAWGPU_ASSIGN(channel_, rm_alloc(sys, ctl, root, tsg_, 0, chclass, rm_params(p)));
  }
  const uint32_t engine_class = compute_ ? dev_->compute_class() : dev_->copy_class();
  RAWGPU_ASSIGN(engine_, rm_alloc(sys, ctl, root, channel_, 0, engine_class));
  NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS tok{0xFFFFFFFFu};
  RAWGPU_TRY(rm_control(sys, ctl, root, channel_, NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN,
                        rm_params(tok)));
  token_ = tok.workSubmitToken;
  // UVM owns the VA space: it needs a range for the channel's context buffers (§3.6).
  RAWGPU_ASSIGN(uvm_region_, dev_->alloc_va(kUvmChannelRegion));
  RAWGPU_TRY(uvm_register_channel(sys, dev_->uvm_fd(), dev_->uuid(), ctl, root, channel_,
                                  uvm_region_, kUvmChannelRegion));
  uvm_channel_ = true;
  if (dev_->abi().gpfifo_schedule_v575) {
    NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575 s{1, 0, 0};
    RAWGPU_TRY(rm_control(sys, ctl, root, tsg_, NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, rm_params(s)));
  } else {
    NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS s{1, 0};
    RAWGPU_TRY(rm_control(sys, ctl, root, tsg_, NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, rm_params(s)));
  }

  // Bind the engine on its subchannel; the compute channel also gets its memory windows and the
  // local memory buffer (§3.2 step 28-29, H§5 step 7).
  if (compute_) {
    RAWGPU_ASSIGN(uint32_t* p, reserve(2 + 3 + 3 + 3 + 4 + 2));
    Pushbuffer pb({p, 17});
    pb.append(encode_set_object(pb.free_space(), kSubchCompute, engine_class));
    pb.append(encode_address_pair(pb.free_space(), engine_class, kSubchCompute,
                                  NVC6C0_SET_SHADER_LOCAL_MEMORY_WINDOW_A, kLocalWindow));
    pb.append(encode_address_pair(pb.free_space(), engine_class, kSubchCompute,
                                  NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_A, kSharedWindow));
    pb.append(encode_address_pair(pb.free_space(), engine_class, kSubchCompute,
                                  NVC6C0_SET_SHADER_LOCAL_MEMORY_A, dev_->local_memory_va()));
    const uint64_t per_tpc = dev_->local_memory_per_tpc();
    pb.inc(kSubchCompute, NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A,
           {static_cast<uint32_t>(per_tpc >> 32), static_cast<uint32_t>(per_tpc), 0xFF});
    if (!pb.ok()) return core::to_error(pb.result());
    commit(pb.size());
  } else {
    RAWGPU_ASSIGN(uint32_t* p, reserve(2));
    const core::EncodeResult r = encode_set_object({p, 2}, kSubchCopy, engine_class);
    if (!r) return core::to_error(r);
    commit(r.dwords);
  }
  RAWGPU_TRY(publish());
  dev_->add_queue(this);
  return {};
}

uint64_t NvQueue::refresh_done() {
  const uint32_t get = read_gp_get(userd_);
  const uint64_t pending = (published_ % entries_ + entries_ - get % entries_) % entries_;
  const uint64_t d = published_ - pending;
  if (d > done_) done_ = d;
  return done_;
}

uint64_t NvQueue::pb_done() const { return done_ == 0 ? 0 : entry_pb_end_[(done_ - 1) % entries_]; }
uint64_t NvQueue::launch_done() const {
  return done_ == 0 ? 0 : entry_launch_end_[(done_ - 1) % entries_];
}

Status NvQueue::wait_progress(const char* what) {
  const uint64_t before = done_;
  if (refresh_done() > before) return {};
  // Hand over what is written (not the open segment: the caller may be closing it).
  ring_doorbell();
  if (published_ == done_)
    return Error::internal("queue " + name_ + ": " + what, "nothing submitted to wait for");
  const auto deadline = std::chrono::steady_clock::now() + kRingFullTimeout;
  while (refresh_done() == before) {
    RAWGPU_TRY(check_error());
    if (std::chrono::steady_clock::now() > deadline) {
      return Error::timeout(std::string("queue ") + name_ + ": " + what,
                            "the GPU consumed nothing for " +
                                std::to_string(kRingFullTimeout.count()) + " s; " + describe_state());
    }
    std::this_thread::yield();
  }
  return {};
}

Status NvQueue::close_segment() {
  if (pb_pos_ == seg_start_) return {};
  while (written_ - done_ >= entries_ - 1) RAWGPU_TRY(wait_progress("GPFIFO ring full"));
  const uint64_t va = pb_gpu_ + (seg_start_ % pb_dwords_) * 4;
  const uint64_t len = pb_pos_ - seg_start_;
  // GP_ENTRY (fact sheet §4.1): address bits 39:2, LEVEL SUBROUTINE, LENGTH in dwords.
  const uint64_t entry = (va & ~uint64_t{3}) | (len << 42) | (uint64_t{1} << 41);
  const uint64_t slot = written_ % entries_;
  ring_[slot] = entry;
  entry_pb_end_[slot] = pb_pos_;
  entry_launch_end_[slot] = launch_pos_;
  ++written_;
  seg_start_ = pb_pos_;
  return {};
}

Result<uint32_t*> NvQueue::reserve(uint32_t n) {
  if (n > pb_dwords_ / 4) return Error::invalid("queue " + name_, "command too large for the pushbuffer");
  // A segment that reached the end of the ring exactly ends there.
  if (pb_pos_ != seg_start_ && pb_pos_ % pb_dwords_ == 0) RAWGPU_TRY(close_segment());
  if (pb_pos_ % pb_dwords_ + n > pb_dwords_) {
    // A GPFIFO entry is contiguous: close the segment and continue at the start of the ring.
    RAWGPU_TRY(close_segment());
    pb_pos_ = round_up(pb_pos_, pb_dwords_);
    seg_start_ = pb_pos_;
  }
  while (pb_pos_ + n - pb_done() > pb_dwords_) {
    if (seg_start_ != pb_pos_ && pb_pos_ + n - pb_done() > pb_dwords_) RAWGPU_TRY(close_segment());
    RAWGPU_TRY(wait_progress("pushbuffer full"));
  }
  return pb_cpu_ + pb_pos_ % pb_dwords_;
}

Result<std::pair<uint8_t*, uint64_t>> NvQueue::reserve_launch(uint32_t bytes) {
  if (launch_pos_ % kLaunchRingBytes + bytes > kLaunchRingBytes)
    launch_pos_ = round_up(launch_pos_, kLaunchRingBytes);
  while (launch_pos_ + bytes - launch_done() > kLaunchRingBytes) {
    RAWGPU_TRY(close_segment());
    RAWGPU_TRY(wait_progress("launch ring full"));
  }
  const uint64_t off = launch_pos_ % kLaunchRingBytes;
  launch_pos_ += bytes;
  return std::make_pair(static_cast<uint8_t*>(launch_->cpu_ptr()) + off, launch_->gpu_addr() + off);
}

Status NvQueue::publish() {
  RAWGPU_TRY(close_segment());
  ring_doorbell();
  return {};
}

void NvQueue::ring_doorbell() {
  if (written_ == published_) return;
  publish_gp_put(userd_, dev_->doorbell(), static_cast<uint32_t>(written_ % entries_), token_);
  published_ = written_;
}

Status NvQueue::host_semaphore(const HostSemaphore& s) {
  const uint32_t n = host_semaphore_dwords(s);
  RAWGPU_ASSIGN(uint32_t* p, reserve(n));
  const core::EncodeResult r = encode_host_semaphore({p, n}, host_class(), s);
  if (!r) return core::to_error(r);
  commit(r.dwords);
  return {};
}

Status NvQueue::common_wait(queues::Signal& s, uint64_t value) {
  return host_semaphore(host_semaphore_acquire(s.gpu_addr(), value));
}

Status NvQueue::check_error() const {
  const auto* n = static_cast<const uint8_t*>(notifier_->cpu_ptr());
  const uint16_t status = std::atomic_ref<const uint16_t>(
                              *reinterpret_cast<const uint16_t*>(n + kNotifierStatus))
                              .load(std::memory_order_acquire);
  if (status == 0) return {};
  uint32_t xid;
  uint16_t info16;
  std::memcpy(&xid, n + kNotifierInfo32, 4);
  std::memcpy(&info16, n + kNotifierInfo16, 2);
  const char* what = xid == 31   ? " (MMU fault: a GPU page fault)"
                     : xid == 13 ? " (graphics engine exception)"
                     : xid == 43 ? " (channel stopped by the host interface)"
                                 : "";
  return Error::gpu_fault("queue " + name_,
                          "the driver stopped the channel: Xid " + std::to_string(xid) + what +
                              ", channel " + std::to_string(info16) +
                              "; the kernel log (dmesg, NVRM: Xid) has the faulting address; " +
                              describe_state());
}

std::string NvQueue::describe_state() const {
  const uint32_t get = read_gp_get(userd_);
  const uint32_t put = read_gp_put(userd_);
  std::string s = name_ + ": GP_GET " + std::to_string(get) + ", GP_PUT " + std::to_string(put) +
                  " of " + std::to_string(entries_) + " entries";
  if (get == put) return s + " (idle)";
  const uint64_t entry = ring_[get % entries_];
  s += "; GPFIFO[" + std::to_string(get) + "] = " + format_gpfifo_entry(entry);
  auto e = decode_gpfifo_entry(entry, get);
  if (!e) return s;
  const uint64_t off = e->address - pb_gpu_;
  if (e->address < pb_gpu_ || off + uint64_t{e->length} * 4 > kPushbufferBytes) return s;
  ChannelState st;
  st.host_class = host_class();
  st.subchannel_class[kSubchCompute] = dev_->compute_class();
  st.subchannel_class[kSubchCopy] = dev_->copy_class();
  std::string dis = disassemble_pushbuffer({pb_cpu_ + off / 4, e->length}, st);
  if (dis.size() > 3000) dis = dis.substr(0, 3000) + "\n  …";
  return s + ":\n" + dis;
}

// ---------------------------------------------------------------------------------------------
class NvComputeQueue final : public queues::ComputeQueue, public NvQueue {
 public:
  NvComputeQueue(NvDevice* dev, std::string name) : NvQueue(dev, std::move(name), true) {}
  Status exec(const queues::Program& program, const queues::KernelArgs& args, queues::Dim3 grid,
              queues::Dim3 block) override;
  Status signal(queues::Signal& s, uint64_t value) override {
    static_cast<NvSignal&>(s).last_queue.store(this, std::memory_order_relaxed);
    HostSemaphore h = host_semaphore_release(s.gpu_addr(), value, false);
    h.non_stall_interrupt = false;
    return host_semaphore(h);
  }
  Status wait(queues::Signal& s, uint64_t value) override { return common_wait(s, value); }
  Status timestamp(queues::Signal& s) override {
    HostSemaphore h = host_semaphore_release(s.gpu_addr() + NvSignal::kTimestampRecord, 0, true);
    h.non_stall_interrupt = false;
    return host_semaphore(h);
  }
  Status barrier() override;
  Status submit() override { return publish(); }
  const std::string& name() const override { return name_; }
  std::string describe() const override { return describe_state(); }
  Status prepare() {
    const core::EncodeResult r = encode_send_pcas(pcas_, dev_->compute_class(), 0, PcasAction::PREFETCH_SCHEDULE);
    if (!r) return core::to_error(r);
    return {};
  }

 private:
  std::array<uint32_t, 4> pcas_{};
};

inline void patch_qmd(uint32_t* qmd, const QmdPatch& p, uint64_t value) {
  for (uint32_t i = 0; i < p.n; ++i) {
    const QmdPatch::Piece& c = p.pieces[i];
    qmd[c.word] = (qmd[c.word] & ~c.mask) | ((static_cast<uint32_t>(value >> c.src) << c.dst) & c.mask);
  }
}

Status NvComputeQueue::exec(const queues::Program& program, const queues::KernelArgs& args,
                            queues::Dim3 grid, queues::Dim3 block) {
  const auto& p = static_cast<const NvProgram&>(program);
  if (p.owner != dev_) return Error::invalid("exec on " + name_, "the program was loaded on another device");
  if (args.overflowed()) return Error::invalid("exec " + p.info_.name, "kernel arguments exceed 4 KiB");
  if (grid.count() == 0 || block.count() == 0 || block.count() > p.info_.max_block_size ||
      block.x > 1024 || block.y > 1024 || block.z > 64 || grid.y > 0xFFFF || grid.z > 0xFFFF) {
    return Error::invalid("exec " + p.info_.name,
                          "grid " + std::to_string(grid.x) + "x" + std::to_string(grid.y) + "x" +
                              std::to_string(grid.z) + ", block " + std::to_string(block.x) + "x" +
                              std::to_string(block.y) + "x" + std::to_string(block.z) +
                              ": every dimension >= 1, at most " +
                              std::to_string(p.info_.max_block_size) +
                              " threads a block (64 in z), grid y/z < 65536");
  }
  const uint32_t cb_bytes = static_cast<uint32_t>(round_up(p.cbuf0_bytes, 256));
  RAWGPU_ASSIGN(auto chunk, reserve_launch(cb_bytes + static_cast<uint32_t>(round_up(p.qmd_bytes, 256))));
  auto [cpu, gpu] = chunk;
  // cbuf0: the template (driver words marshal_cbank0 wrote at load), then what changes per
  // launch. KernelArgs bytes are laid out like the C struct of the signature, as KPARAM_INFO is.
  if (args.size() != p.kernel.explicit_args_size) {
    return Error::invalid("exec " + p.info_.name,
                          "the kernel takes " + std::to_string(p.kernel.explicit_args_size) +
                              " bytes of arguments, got " + std::to_string(args.size()));
  }
  std::memcpy(cpu, p.cbuf0_template.data(), p.cbuf0_template.size());
  const uint32_t dims[6] = {block.x, block.y, block.z, grid.x, grid.y, grid.z};
  std::memcpy(cpu + kCbank0BlockDim, dims, sizeof dims);
  std::memcpy(cpu + kCbank0GridId, &gpu, sizeof gpu);  // a unique id per launch
  if (args.size()) std::memcpy(cpu + p.kernel.param_offset, args.bytes().data(), args.size());
  auto* qmd = reinterpret_cast<uint32_t*>(cpu + cb_bytes);
  std::memcpy(qmd, p.qmd.data(), p.qmd_bytes);
  patch_qmd(qmd, p.grid[0], grid.x);
  patch_qmd(qmd, p.grid[1], grid.y);
  patch_qmd(qmd, p.grid[2], grid.z);
  patch_qmd(qmd, p.block[0], block.x);
  patch_qmd(qmd, p.block[1], block.y);
  patch_qmd(qmd, p.block[2], block.z);
  patch_qmd(qmd, p.cbuf0, gpu);
  RAWGPU_ASSIGN(uint32_t* pb, reserve(4));
  // SEND_PCAS_A + SEND_SIGNALING_PCAS2_B, encoded once at queue creation (pcas_); only the QMD
  // address word changes (256-byte aligned and below 2^40: launch-ring chunks are).
  pb[0] = pcas_[0];
  pb[1] = static_cast<uint32_t>((gpu + cb_bytes) >> 8);
  pb[2] = pcas_[2];
  pb[3] = pcas_[3];
  commit(4);
  return {};
}

// Later launches start after earlier ones finished, with their writes visible: the host waits
// for idle (WFI), then the shader caches are invalidated (tinygrad's memory barrier, 0x1011).
Status NvComputeQueue::barrier() {
  RAWGPU_ASSIGN(uint32_t* p, reserve(4));
  Pushbuffer pb({p, 4});
  pb.append(encode_method(pb.free_space(), host_class(), kSubchHost, NVC56F_WFI, 0));
  pb.append(encode_method(pb.free_space(), dev_->compute_class(), kSubchCompute,
                          NVC6C0_INVALIDATE_SHADER_CACHES_NO_WFI, 0x1011));
  if (!pb.ok()) return core::to_error(pb.result());
  commit(pb.size());
  return {};
}

// ---------------------------------------------------------------------------------------------
class NvCopyQueue final : public queues::CopyQueue, public NvQueue {
 public:
  NvCopyQueue(NvDevice* dev, std::string name) : NvQueue(dev, std::move(name), false) {}
  Status copy(const queues::Buffer& dst, uint64_t dst_offset, const queues::Buffer& src,
              uint64_t src_offset, uint64_t n) override;
  Status signal(queues::Signal& s, uint64_t value) override {
    static_cast<NvSignal&>(s).last_queue.store(this, std::memory_order_relaxed);
    if (!copy_has_64bit_semaphore()) {
      // AMPERE_DMA_COPY_A has no SET_SEMAPHORE_PAYLOAD_UPPER: a host release after idle instead.
      HostSemaphore h = host_semaphore_release(s.gpu_addr(), value, false);
      h.non_stall_interrupt = false;
      return host_semaphore(h);
    }
    return copy_semaphore({s.gpu_addr(), value, false, true});
  }
  Status wait(queues::Signal& s, uint64_t value) override { return common_wait(s, value); }
  Status timestamp(queues::Signal& s) override {
    return copy_semaphore({s.gpu_addr() + NvSignal::kTimestampRecord, 0, true, copy_has_64bit_semaphore()});
  }
  // LAUNCH_DMA NON_PIPELINED waits for the previous transfer: copies run in order.
  Status barrier() override { return {}; }
  Status submit() override { return publish(); }
  const std::string& name() const override { return name_; }
  std::string describe() const override { return describe_state(); }

 private:
  bool copy_has_64bit_semaphore() const { return dev_->copy_class() != AMPERE_DMA_COPY_A; }
  Status copy_semaphore(const CopySemaphore& s) {
    const uint32_t n = copy_semaphore_dwords(s);
    RAWGPU_ASSIGN(uint32_t* p, reserve(n));
    const core::EncodeResult r = encode_copy_semaphore({p, n}, dev_->copy_class(), s);
    if (!r) return core::to_error(r);
    commit(r.dwords);
    return {};
  }
};

Status NvCopyQueue::copy(const queues::Buffer& dst, uint64_t dst_offset, const queues::Buffer& src,
                         uint64_t src_offset, uint64_t n) {
  if (dst_offset > dst.size() || n > dst.size() - dst_offset || src_offset > src.size() ||
      n > src.size() - src_offset) {
    return Error::invalid("copy on " + name_,
                          "range outside a buffer: dst " + std::to_string(dst_offset) + "+" +
                              std::to_string(n) + " of " + std::to_string(dst.size()) + ", src " +
                              std::to_string(src_offset) + "+" + std::to_string(n) + " of " +
                              std::to_string(src.size()));
  }
  if (n == 0) return {};
  const auto dwords = static_cast<uint32_t>(copy_dwords(n));
  RAWGPU_ASSIGN(uint32_t* p, reserve(dwords));
  const core::EncodeResult r = encode_copy({p, dwords}, dev_->copy_class(),
                                           dst.gpu_addr() + dst_offset, src.gpu_addr() + src_offset, n);
  if (!r) return core::to_error(r);
  commit(r.dwords);
  return {};
}

// ---------------------------------------------------------------------------------------------
NvDevice::~NvDevice() {
  signal_pool_.reset();
  local_mem_.reset();
  if (usermode_map_.addr) {
    sys_.munmap(usermode_map_.addr, usermode_map_.length);
    (void)rm_unmap_memory(sys_, ctl_fd_, root_, device_, usermode_, usermode_map_.linear_address);
  }
  if (uvm_vaspace_registered_) (void)uvm_unregister_gpu_vaspace(sys_, uvm_fd_, uuid_);
  if (uvm_gpu_registered_) (void)uvm_unregister_gpu(sys_, uvm_fd_, uuid_);
  if (root_) (void)rm_free(sys_, ctl_fd_, root_, root_, root_);  // frees the whole tree
  va_.reset();
  for (int fd : {dev_fd_, uvm_fd2_, uvm_fd_, ctl_fd_})
    if (fd >= 0) sys_.close(fd);
}

Status NvDevice::init() {
  const std::string ctl_path = node_path("nvidiactl"), uvm_path = node_path("nvidia-uvm");
  int fd = sys_.open(ctl_path.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0)
    return Error::sys("open " + ctl_path, -fd,
                      -fd == ENOENT ? "is nvidia.ko (the open kernel module) loaded?" : "");
  ctl_fd_ = fd;
  RAWGPU_ASSIGN(abi_, detect_abi(sys_, ctl_fd_));
  fd = sys_.open(uvm_path.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0)
    return Error::sys("open " + uvm_path, -fd,
                      -fd == ENOENT ? "is nvidia-uvm.ko loaded? (modprobe nvidia-uvm)" : "");
  uvm_fd_ = fd;
  fd = sys_.open(uvm_path.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return Error::sys("open " + uvm_path + " (second fd)", -fd);
  uvm_fd2_ = fd;

  // §3.1: client, UVM, card list.
  RAWGPU_ASSIGN(root_, rm_alloc(sys_, ctl_fd_, 0, 0, 0, NV01_ROOT_CLIENT));
  RAWGPU_TRY(uvm_initialize(sys_, uvm_fd_));
  (void)uvm_mm_initialize(sys_, uvm_fd2_, uvm_fd_);  // tinygrad ignores its failures too
  RAWGPU_ASSIGN(auto cards, card_info(sys_, ctl_fd_));
  // nv:N is /dev/nvidia<N> (how discovery names it), else the Nth card.
  const nv_ioctl_card_info_t* picked = nullptr;
  for (const auto& c : cards)
    if (c.minor_number == opts_.index) picked = &c;
  if (!picked && opts_.index < cards.size()) picked = &cards[opts_.index];
  if (!picked) {
    return Error::not_found("open " + opts_.name.str(),
                            "the driver lists " + std::to_string(cards.size()) + " GPU(s)");
  }
  const nv_ioctl_card_info_t card = *picked;
  minor_ = card.minor_number;
  gpu_id_ = card.gpu_id;

  // §3.2.
  const std::string node = node_path("nvidia" + std::to_string(minor_));
  fd = sys_.open(node.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return Error::sys("open " + node, -fd);
  dev_fd_ = fd;
  RAWGPU_TRY(register_fd(sys_, dev_fd_, ctl_fd_));
  NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS id{};
  id.gpuId = gpu_id_;
  RAWGPU_TRY(rm_control(sys_, ctl_fd_, root_, root_, NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2, rm_params(id)));
  NV0080_ALLOC_PARAMETERS d{};
  d.deviceId = id.deviceInstance;
  d.hClientShare = root_;
  d.vaMode = 0;  // OPTIONAL_MULTIPLE_VASPACES (tinygrad)
  RAWGPU_ASSIGN(device_, rm_alloc(sys_, ctl_fd_, root_, root_, 0, NV01_DEVICE_0, rm_params(d)));
  NV2080_ALLOC_PARAMETERS sd{};
  RAWGPU_ASSIGN(subdevice_, rm_alloc(sys_, ctl_fd_, root_, device_, 0, NV20_SUBDEVICE_0, rm_params(sd)));

  // Classes (§3.7): the architecture is the row whose compute class the GPU lists.
  NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS cl{};
  RAWGPU_TRY(rm_control(sys_, ctl_fd_, root_, device_, NV0080_CTRL_CMD_GPU_GET_CLASSLIST, rm_params(cl)));
  std::vector<uint32_t> classes(cl.numClasses);
  cl.classList = reinterpret_cast<uint64_t>(classes.data());
  RAWGPU_TRY(rm_control(sys_, ctl_fd_, root_, device_, NV0080_CTRL_CMD_GPU_GET_CLASSLIST, rm_params(cl)));
  classes.resize(std::min<size_t>(classes.size(), cl.numClasses));
  arch_ = find_arch_by_class_list(classes);
  if (!arch_) {
    return Error::unsupported("open " + opts_.name.str(),
                              "the GPU offers no compute class rawgpu knows (Turing, Ampere, Ada, "
                              "Hopper, Blackwell)");
  }
  if (arch_->arch == NvArch::kTuring) {
    return Error::unsupported("open " + opts_.name.str(),
                              "Turing (TURING_COMPUTE_A) launches with QMD V02_02, which rawgpu does "
                              "not describe; Ampere and later are supported");
  }
  compute_class_ = arch_->compute;
  gpfifo_class_ = first_present(arch_->gpfifo, classes);
  copy_class_ = first_present(arch_->copy, classes);
  usermode_class_ = first_present(arch_->usermode, classes);
  if (!gpfifo_class_ || !copy_class_ || !usermode_class_) {
    return Error::unsupported("open " + opts_.name.str(),
                              std::string("the class list of this ") + std::string(arch_->name) +
                                  " GPU lacks its channel, copy or usermode class");
  }
  qmd_version_ = qmd_version_for(compute_class_);

  // Usermode page: the doorbell (§3.2 step 12).
  RAWGPU_ASSIGN(usermode_, rm_alloc(sys_, ctl_fd_, root_, subdevice_, 0, usermode_class_));
  CpuMapRequest um;
  um.node = node;
  um.map = {root_, device_, usermode_, 0, kUsermodeBytes, 0};
  RAWGPU_ASSIGN(usermode_map_, rm_map_to_cpu(sys_, ctl_fd_, um));
  doorbell_ = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(usermode_map_.addr) +
                                          NVC361_NOTIFY_CHANNEL_PENDING);
  NV2080_CTRL_PERF_BOOST_PARAMS boost{kPerfBoostFlags, 0xFFFFFFFFu};
  if (Status s = rm_control(sys_, ctl_fd_, root_, subdevice_, NV2080_CTRL_CMD_PERF_BOOST, rm_params(boost)); !s)
    core::log_debug("PERF_BOOST refused (optional): " + s.error().message());

  // VA space owned by UVM (§3.2 step 14-17).
  constexpr uint32_t kVaFlags = NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING |
                                NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED;
  if (abi_.vaspace_v580) {
    NV_VASPACE_ALLOCATION_PARAMETERS_V580 v{};
    v.flags = kVaFlags;
    v.vaSize = 0x1FFFFFB000000ull;
    v.vaBase = 0x1000;
    RAWGPU_ASSIGN(vaspace_, rm_alloc(sys_, ctl_fd_, root_, device_, 0, FERMI_VASPACE_A, rm_params(v)));
  } else {
    NV_VASPACE_ALLOCATION_PARAMETERS v{};
    v.flags = kVaFlags;
    v.vaSize = 0x1FFFFFB000000ull;
    v.vaBase = 0x1000;
    RAWGPU_ASSIGN(vaspace_, rm_alloc(sys_, ctl_fd_, root_, device_, 0, FERMI_VASPACE_A, rm_params(v)));
  }
  NV2080_CTRL_GPU_GET_GID_INFO_PARAMS gid{};
  gid.flags = NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY;
  gid.length = 16;
  RAWGPU_TRY(rm_control(sys_, ctl_fd_, root_, subdevice_, NV2080_CTRL_CMD_GPU_GET_GID_INFO, rm_params(gid)));
  std::memcpy(uuid_.uuid, gid.data, 16);
  RAWGPU_TRY(uvm_register_gpu(sys_, uvm_fd_, uuid_));
  uvm_gpu_registered_ = true;
  RAWGPU_TRY(uvm_register_gpu_vaspace(sys_, uvm_fd_, uuid_, ctl_fd_, root_, vaspace_));
  uvm_vaspace_registered_ = true;

  // GR facts (§3.2 step 26).
  std::array<NV2080_CTRL_GR_INFO, 5> info{{{NV2080_CTRL_GR_INFO_INDEX_SM_VERSION, 0},
                                           {NV2080_CTRL_GR_INFO_INDEX_MAX_WARPS_PER_SM, 0},
                                           {NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS, 0},
                                           {NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC, 0},
                                           {NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC, 0}}};
  NV2080_CTRL_GR_GET_INFO_PARAMS gr{};
  gr.grInfoListSize = static_cast<uint32_t>(info.size());
  gr.grInfoList = reinterpret_cast<uint64_t>(info.data());
  RAWGPU_TRY(rm_control(sys_, ctl_fd_, root_, subdevice_, NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gr)));
  sm_ = sm_from_gr_sm_version(info[0].data);
  max_warps_ = info[1].data;
  num_gpcs_ = info[2].data;
  tpc_per_gpc_ = info[3].data;
  sm_per_tpc_ = info[4].data;
  sm_count_ = num_gpcs_ * tpc_per_gpc_ * sm_per_tpc_;
  if (sm_ == 0 || max_warps_ == 0 || sm_count_ == 0) {
    return Error::internal("open " + opts_.name.str(), "NV2080_CTRL_CMD_GR_GET_INFO reported zeros");
  }

  RAWGPU_ASSIGN(va_, memory::VaAllocator::create(kGpuVaBase, kGpuVaLimit - kGpuVaBase, kPage));
  RAWGPU_ASSIGN(signal_pool_, alloc_raw(kSignalPoolBytes, Placement::kHostPages, true, false, MemoryKind::kHost));
  std::memset(signal_pool_->cpu_ptr(), 0, kSignalPoolBytes);
  for (uint32_t i = kSignalPoolBytes / kSignalSlotBytes; i-- > 0;) free_signals_.push_back(i);
  RAWGPU_TRY(ensure_local_memory(kMinLocalPerThread));

  props_.name = opts_.name;
  props_.backend = "nv";
  props_.arch = "sm_" + std::to_string(sm_);
  props_.compute_units = sm_count_;
  props_.simd_width = 32;
  props_.timestamp_hz = 1'000'000'000;  // semaphore timestamps are in ns (§4.4)
  props_.memory_bytes = card.fb_size;
  props_.simulated = opts_.simulated;
  props_.marketing_name = std::string(arch_->name);
  label_ = opts_.name.str() + " (" + props_.arch + ", " + std::string(arch_->name) + ")";
  core::log_info("opened " + label_ + ": driver " + abi_.version.text + ", classes gpfifo " +
                 hex(gpfifo_class_) + " compute " + hex(compute_class_) + " copy " + hex(copy_class_));
  return {};
}

Result<uint64_t> NvDevice::ensure_local_memory(uint32_t per_thread) {
  std::lock_guard lk(local_mu_);
  per_thread = static_cast<uint32_t>(round_up(std::max(per_thread, kMinLocalPerThread), 32));
  if (local_mem_ && per_thread <= local_per_thread_) return local_mem_->gpu_addr();
  if (local_mem_) {
    return Error::unsupported("load",
                              "a kernel needs " + std::to_string(per_thread) +
                                  " bytes of local memory per thread; queues were set up with " +
                                  std::to_string(local_per_thread_) +
                                  " (load such programs before creating queues)");
  }
  // tinygrad's sizing (§3.2 step 29): per TPC, then for every TPC of every GPC.
  const uint64_t per_tpc =
      round_up(round_up(uint64_t{per_thread} * 32, 0x200) * max_warps_ * sm_per_tpc_, 0x8000);
  const uint64_t bytes = round_up(per_tpc * tpc_per_gpc_ * num_gpcs_, 0x20000);
  RAWGPU_ASSIGN(local_mem_, alloc_raw(bytes, Placement::kVidmem, false, false, MemoryKind::kDevice));
  local_per_tpc_ = per_tpc;
  local_per_thread_ = per_thread;
  return local_mem_->gpu_addr();
}

Result<std::unique_ptr<NvBuffer>> NvDevice::alloc_raw(uint64_t size, Placement where, bool cpu_map,
                                                      bool contiguous, MemoryKind kind) {
  if (size == 0) return Error::invalid("alloc", "size 0");
  // Page size by size (video memory): 2 MiB from 8 MiB (tinygrad), 64 KiB (the big page) from
  // 256 KiB, else 4 KiB. Host memory is mapped with 4 KiB pages (§3.4).
  const bool huge = where == Placement::kVidmem && size >= kHugeThreshold;
  const bool big = !huge && where == Placement::kVidmem && size >= kBigThreshold;
  const uint64_t page = huge ? kHugePage : big ? kBigPage : kPage;
  MemInfo m;
  m.size = round_up(size, page);
  // A guard page follows every buffer in the GPU VA space: an access past the end faults
  // instead of landing in the next buffer.
  RAWGPU_ASSIGN(m.gpu_va, va_ ? va_->alloc(m.size + kPage, page)
                              : Result<uint64_t>(Error::internal("alloc", "no VA allocator")));
  ReleaseOnError undo{this, &m};
  m.handle = new_handle();
  if (where == Placement::kHostPages) {
    core::MapResult r = sys_.mmap(nullptr, m.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!r.addr) {
      m.handle = 0;
      return Error::sys("mmap host memory", r.err);
    }
    m.cpu = r.addr;
    m.anon = true;
    AllocMemoryArgs a;
    a.hRoot = root_;
    a.hParent = device_;
    a.hObject = m.handle;
    a.flags = kOsDescFlags;
    a.pMemory = reinterpret_cast<uint64_t>(m.cpu);
    a.limit = m.size - 1;
    if (auto h = rm_alloc_memory(sys_, dev_fd_, a); !h) {
      m.handle = 0;
      return std::move(h).error();
    }
  } else {
    NV_MEMORY_ALLOCATION_PARAMS p{};
    p.owner = root_;
    const bool vid = where == Placement::kVidmem;
    p.type = vid ? NVOS32_TYPE_IMAGE : NVOS32_TYPE_NOTIFIER;
    p.flags = vid ? kVidmemFlags : kSysmemFlags;
    p.attr = (contiguous ? kAttrPhysContiguous : kAttrPhysNoncontiguous) |
             (huge ? kAttrPageHuge : big ? kAttrPageBig : 0) |
             (vid ? 0 : kAttrLocationPci);
    p.attr2 = kAttr2ZbcPreferNo | (vid ? kAttr2CacheableYes : kAttr2CacheableNo) |
              (huge ? kAttr2PageHuge2M : 0);
    p.format = 6;  // NV_MMU_PTE_KIND_GENERIC_MEMORY (§3.4)
    p.size = m.size;
    p.alignment = page;
    p.limit = m.size - 1;
    if (auto h = rm_alloc(sys_, ctl_fd_, root_, device_, m.handle,
                          vid ? NV01_MEMORY_LOCAL_USER : NV01_MEMORY_SYSTEM, rm_params(p));
        !h) {
      m.handle = 0;
      return std::move(h).error();
    }
    if (cpu_map) {
      CpuMapRequest r;
      r.node = node_path(vid ? "nvidia" + std::to_string(minor_) : std::string("nvidiactl"));
      r.register_node_fd = vid;
      r.map = {root_, device_, m.handle, 0, m.size, 0};
      RAWGPU_ASSIGN(CpuMapping cm, rm_map_to_cpu(sys_, ctl_fd_, r));
      m.cpu = cm.addr;
      m.linear_address = cm.linear_address;
      m.rm_cpu_map = true;
    }
  }
  RAWGPU_TRY(map_gpu(m));
  undo.armed = false;
  return std::make_unique<NvBuffer>(this, m, kind);
}

// GPU mapping of memory object m.handle at m.gpu_va (fact sheet §3.5): the UVM external range,
// then the mapping on this GPU (gpuMappingType 1). The range is freed again if the map fails.
Status NvDevice::map_gpu(const MemInfo& m) {
  RAWGPU_TRY(uvm_create_external_range(sys_, uvm_fd_, m.gpu_va, m.size));
  const UvmGpuMappingAttributes attr{uuid_, 1, 0, 0, 0, 0};
  MapExternalArgs x;
  x.base = m.gpu_va;
  x.length = m.size;
  x.gpus = {&attr, 1};
  x.rm_ctrl_fd = ctl_fd_;
  x.hClient = root_;
  x.hMemory = m.handle;
  if (Status s = uvm_map_external_allocation(sys_, uvm_fd_, x); !s) {
    (void)uvm_free(sys_, uvm_fd_, abi_, m.gpu_va, m.size);
    return s;
  }
  return {};
}

void NvDevice::release(const MemInfo& m) {
  if (m.handle && m.gpu_va) (void)uvm_free(sys_, uvm_fd_, abi_, m.gpu_va, m.size);
  if (m.rm_cpu_map && m.cpu) {
    sys_.munmap(m.cpu, m.size);
    (void)rm_unmap_memory(sys_, ctl_fd_, root_, device_, m.handle, m.linear_address);
  }
  if (m.handle) (void)rm_free(sys_, ctl_fd_, root_, device_, m.handle);
  if (m.anon && m.cpu) sys_.munmap(m.cpu, m.size);
  if (m.gpu_va && va_) (void)va_->free(m.gpu_va);
}

Result<std::unique_ptr<queues::Buffer>> NvDevice::alloc(uint64_t size, MemoryKind kind) {
  switch (kind) {
    case MemoryKind::kDevice:
    case MemoryKind::kDeviceMapped:
    case MemoryKind::kHost: {
      const Placement where = kind == MemoryKind::kHost ? Placement::kHostPages : Placement::kVidmem;
      RAWGPU_ASSIGN(auto b, alloc_raw(size, where, kind != MemoryKind::kDevice, false, kind));
      return std::unique_ptr<queues::Buffer>(std::move(b));
    }
  }
  return Error::invalid("alloc", "unknown memory kind");
}

Result<std::unique_ptr<queues::Buffer>> NvDevice::map_host(void* ptr, uint64_t size) {
  const auto addr = reinterpret_cast<uint64_t>(ptr);
  if (!ptr || size == 0 || addr % kPage != 0 || size % kPage != 0)
    return Error::invalid("map_host", "pointer and size must be non-zero multiples of 4096");
  MemInfo m;
  m.size = size;
  m.cpu = ptr;
  m.user = true;
  RAWGPU_ASSIGN(m.gpu_va, va_->alloc(size + kPage, kPage));
  ReleaseOnError undo{this, &m};
  m.handle = new_handle();
  AllocMemoryArgs a;
  a.hRoot = root_;
  a.hParent = device_;
  a.hObject = m.handle;
  a.flags = kOsDescFlags;
  a.pMemory = addr;
  a.limit = size - 1;
  if (auto h = rm_alloc_memory(sys_, dev_fd_, a); !h) {
    m.handle = 0;
    return std::move(h).error();
  }
  RAWGPU_TRY(map_gpu(m));
  undo.armed = false;
  return std::unique_ptr<queues::Buffer>(std::make_unique<NvBuffer>(this, m, MemoryKind::kHost));
}

Result<std::unique_ptr<queues::Signal>> NvDevice::create_signal(uint64_t initial) {
  uint32_t slot;
  {
    std::lock_guard lk(signal_mu_);
    if (free_signals_.empty())
      return Error::sys("create_signal", ENOMEM, "all " + std::to_string(kSignalPoolBytes / kSignalSlotBytes) +
                                                     " signal slots are in use");
    slot = free_signals_.back();
    free_signals_.pop_back();
  }
  uint8_t* cpu = static_cast<uint8_t*>(signal_pool_->cpu_ptr()) + uint64_t{slot} * kSignalSlotBytes;
  std::memset(cpu, 0, kSignalSlotBytes);
  auto s = std::make_unique<NvSignal>(this, slot, cpu, signal_pool_->gpu_addr() + uint64_t{slot} * kSignalSlotBytes);
  s->set(initial);
  return std::unique_ptr<queues::Signal>(std::move(s));
}

void NvDevice::release_signal(uint32_t slot) {
  std::lock_guard lk(signal_mu_);
  free_signals_.push_back(slot);
}

void NvDevice::add_queue(NvQueue* q) {
  std::lock_guard lk(queues_mu_);
  queues_.push_back(q);
}
void NvDevice::remove_queue(NvQueue* q) {
  std::lock_guard lk(queues_mu_);
  queues_.erase(std::remove(queues_.begin(), queues_.end(), q), queues_.end());
}
Status NvDevice::check_channels() const {
  std::lock_guard lk(queues_mu_);
  for (const NvQueue* q : queues_) RAWGPU_TRY(q->check_error());
  return {};
}

Result<std::unique_ptr<queues::ComputeQueue>> NvDevice::create_compute_queue(const queues::QueueOptions& o) {
  if (!o.format.empty() && o.format != "gpfifo")
    return Error::invalid("create_compute_queue", "NVIDIA queues take format \"\" or \"gpfifo\", not \"" +
                                                      std::string(o.format) + "\"");
  uint32_t entries = o.ring_bytes ? o.ring_bytes / 8 : kDefaultGpfifoEntries;
  if (entries < 16 || (entries & (entries - 1)) != 0)
    return Error::invalid("create_compute_queue", "ring_bytes must be 8 x a power of two >= 16 entries");
  static std::atomic<uint32_t> n{0};
  auto q = std::make_unique<NvComputeQueue>(this, opts_.name.str() + " compute " + std::to_string(n++));
  RAWGPU_TRY(q->prepare());
  RAWGPU_TRY(q->init(entries));
  return std::unique_ptr<queues::ComputeQueue>(std::move(q));
}

Result<std::unique_ptr<queues::CopyQueue>> NvDevice::create_copy_queue(const queues::QueueOptions& o) {
  if (!o.format.empty() && o.format != "gpfifo")
    return Error::invalid("create_copy_queue", "NVIDIA queues take format \"\" or \"gpfifo\", not \"" +
                                                   std::string(o.format) + "\"");
  uint32_t entries = o.ring_bytes ? o.ring_bytes / 8 : kDefaultGpfifoEntries;
  if (entries < 16 || (entries & (entries - 1)) != 0)
    return Error::invalid("create_copy_queue", "ring_bytes must be 8 x a power of two >= 16 entries");
  static std::atomic<uint32_t> n{0};
  auto q = std::make_unique<NvCopyQueue>(this, opts_.name.str() + " copy " + std::to_string(n++));
  RAWGPU_TRY(q->init(entries));
  return std::unique_ptr<queues::CopyQueue>(std::move(q));
}

// The QMD rows of (key, slot), compiled into a QmdPatch (n == 0 when there are none, or when a
// row has a bias or is wider than the pieces allow: the caller refuses the version then).
QmdPatch find_patch(QmdVersion v, QmdKey key, uint8_t slot) {
  QmdPatch p;
  for (const QmdField& f : qmd_fields(v)) {
    if (f.key != key || f.slot != slot) continue;
    const core::BitField& b = f.bits;
    if (b.bias != 0) return {};
    const uint32_t width = b.hi - b.lo + 1u;
    const uint32_t bit = b.dword * 32u + b.lo;
    for (uint32_t done = 0; done < width;) {
      const uint32_t w = (bit + done) / 32, o = (bit + done) % 32;
      const uint32_t take = std::min(32u - o, width - done);
      if (p.n == p.pieces.size()) return {};
      p.pieces[p.n++] = {static_cast<uint16_t>(w), static_cast<uint8_t>(o),
                         static_cast<uint8_t>(f.value_shift + b.shift + done),
                         (take == 32 ? 0xFFFFFFFFu : ((1u << take) - 1u)) << o};
      done += take;
    }
  }
  return p;
}

Result<std::unique_ptr<queues::Program>> NvDevice::load(std::span<const uint8_t> code_object,
                                                        std::string_view kernel) {
  RAWGPU_ASSIGN(Cubin cubin, parse_cubin(code_object));
  RAWGPU_TRY(check_target(cubin, sm_));
  const CubinKernel* k = cubin.kernel(kernel);
  if (!k) {
    std::string names;
    for (const auto& x : cubin.kernels) names += (names.empty() ? "" : ", ") + x.name;
    return Error::not_found("load kernel " + std::string(kernel), "the cubin has: " + names);
  }
  auto p = std::make_unique<NvProgram>();
  p->owner = this;
  p->kernel = *k;
  const uint32_t local = std::max({k->min_stack_size, k->frame_size, k->max_stack_size});
  RAWGPU_TRY(ensure_local_memory(local));
  RAWGPU_ASSIGN(auto img, alloc_raw(cubin.image.size(), Placement::kVidmem, true, false,
                                    MemoryKind::kDeviceMapped));
  std::vector<uint8_t> image = cubin.image;
  RAWGPU_TRY(relocate(image, img->gpu_addr(), cubin.relocations));
  std::memcpy(img->cpu_ptr(), image.data(), image.size());
  const uint64_t base = img->gpu_addr();

  QmdParams q;
  q.grid = {1, 1, 1};
  q.block = {1, 1, 1};
  q.register_count = static_cast<uint16_t>(k->register_count);
  q.barrier_count = static_cast<uint8_t>(std::max<uint32_t>(1, k->num_barriers));
  q.program_address = base + k->code_offset;
  q.program_prefetch_address = (base + k->code_offset) & ~uint64_t{0xFF};
  q.program_prefetch_size = static_cast<uint16_t>(std::min<uint64_t>(k->code_size >> 8, 0x1FF));
  const uint32_t shared = launch_shared_bytes(*k, 0);
  q.shared_memory_size = shared;
  const uint32_t cfg = shared <= 32 * 1024 ? 32 : shared <= 64 * 1024 ? 64 : shared <= 100 * 1024 ? 100
                                                                           : 228;
  q.min_sm_config_shared_mem_size = static_cast<uint8_t>(cfg / 4 + 1);
  q.target_sm_config_shared_mem_size = static_cast<uint8_t>(cfg / 4 + 1);
  q.max_sm_config_shared_mem_size = 0x1A;
  q.shader_local_memory_high_size = local_per_thread_;
  q.sass_version = static_cast<uint8_t>(((sm_ / 10) << 4) | (sm_ % 10));
  q.sm_global_caching_enable = qmd_version_ == QmdVersion::V03_00;
  p->cbuf0_bytes = static_cast<uint32_t>(round_up(k->cbank0_size, 64));
  q.constant_buffer[0] = {true, true, kGpuVaBase, p->cbuf0_bytes};  // address patched per launch
  for (const CubinConstBank& b : cubin.banks)
    if (b.bank < 8) q.constant_buffer[b.bank] = {true, false, base + b.offset, static_cast<uint32_t>(round_up(b.size, 16))};
  for (const CubinConstBank& b : k->banks)
    if (b.bank < 8 && b.bank != 0) q.constant_buffer[b.bank] = {true, false, base + b.offset, static_cast<uint32_t>(round_up(b.size, 16))};
  p->qmd_bytes = qmd_dwords(qmd_version_) * 4;
  p->qmd.assign(qmd_dwords(qmd_version_), 0);
  const core::EncodeResult r = encode_qmd(p->qmd, qmd_version_, q);
  if (!r) return core::to_error(r);
  for (uint8_t i = 0; i < 3; ++i) {
    p->grid[i] = find_patch(qmd_version_, QmdKey::kGrid, i);
    p->block[i] = find_patch(qmd_version_, QmdKey::kBlock, i);
  }
  p->cbuf0 = find_patch(qmd_version_, QmdKey::kConstantBufferAddress, 0);
  if (p->grid[0].n == 0 || p->block[0].n == 0 || p->cbuf0.n == 0)
    return Error::internal("load", "QMD table lacks grid/block/cbuf0 rows");
  // Zero the patched fields so patch_qmd only ORs into cleared bits.
  for (const QmdPatch* pp : {&p->grid[0], &p->grid[1], &p->grid[2], &p->block[0], &p->block[1],
                             &p->block[2], &p->cbuf0})
    patch_qmd(p->qmd.data(), *pp, 0);

  // The cbuf0 template (also checks the kernel's cbuf0 layout once, at load).
  p->cbuf0_template.assign(p->cbuf0_bytes, 0);
  {
    Cbank0Launch l;
    l.shared_window = kSharedWindow;
    l.local_window = kLocalWindow;
    l.sm_count = sm_count_;
    std::vector<uint8_t> zeros(k->explicit_args_size, 0);
    RAWGPU_TRY(marshal_cbank0(*k, l, zeros, p->cbuf0_template));
  }
  p->image = std::move(img);
  queues::ProgramInfo& info = p->info_;
  info.name = k->name;
  info.arch = "sm_" + std::to_string(cubin.sm);
  info.explicit_args_size = k->explicit_args_size;
  info.kernarg_size = k->cbank0_size;
  info.kernarg_align = 4;
  info.group_segment_size = k->static_shared_bytes;
  info.private_segment_size = local;
  uint32_t max_block = 1024;
  if (k->max_threads[0]) max_block = std::min(max_block, k->max_threads[0] * std::max(1u, k->max_threads[1]) * std::max(1u, k->max_threads[2]));
  info.max_block_size = max_block;
  info.args = k->args;
  return std::unique_ptr<queues::Program>(std::move(p));
}

}  // namespace

core::Result<std::unique_ptr<queues::Device>> open_device(core::Sys& sys, const OpenOptions& options) {
  auto dev = std::make_unique<NvDevice>(sys, options);
  if (Status s = dev->init(); !s) return std::move(s).error();
  return std::unique_ptr<queues::Device>(std::move(dev));
}

}  // namespace rawgpu::nv

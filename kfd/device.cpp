// The AMD KFD backend. Bring-up follows shared/abi/amd-kfd.md §0; memory §3; queues §4; events §5;
// packets §6 (encoded by kfd/packets.h); code objects §8 (kfd/loader.h).
#include "kfd/device.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"
#include "kfd/abi.h"
#include "kfd/cwsr.h"
#include "kfd/ioctl.h"
#include "kfd/loader.h"
#include "kfd/packets.h"
#include "kfd/topology.h"
#include "memory/va_allocator.h"

namespace rawgpu::kfd {
namespace {

using core::Error;
using core::Result;
using core::Status;
using queues::MemoryKind;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kVaSpan = 1ull << 40;           // CPU/GPU address space we reserve: 1 TiB
constexpr uint64_t kEventPageBytes = 4096 * 8;     // 4096 signal slots of 8 bytes (§5)
constexpr uint64_t kSignalPoolBytes = 64 * 1024;   // 4096 signals of 16 bytes
constexpr uint32_t kSignalSlotBytes = 16;
constexpr uint32_t kDefaultRingBytes = 256 * 1024;
constexpr uint64_t kKernargRingBytes = 1 << 20;
constexpr uint64_t kIbPoolBytes = 64 * 1024;
constexpr uint32_t kGartWptr = 0x38;               // amd_queue_t.write_dispatch_id (§4.6)
constexpr uint32_t kGartRptr = 0x80;               // amd_queue_t.read_dispatch_id
static_assert(kGartWptr == offsetof(amd_queue_t, write_dispatch_id) &&
              kGartRptr == offsetof(amd_queue_t, read_dispatch_id));
// Per-work-item private bytes given to kernels with a dynamic call stack (USES_DYNAMIC_STACK):
// HIP's default stack limit (hipLimitStackSize) is 1 KiB per work-item.
constexpr uint32_t kDynamicStackBytes = 1024;
constexpr auto kRingFullTimeout = std::chrono::seconds(10);
constexpr uint32_t kBaseFlags = KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE | KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE |
                                KFD_IOC_ALLOC_MEM_FLAGS_NO_SUBSTITUTE;
// tinygrad's "uncached" recipe for rings, signals and the event page (§3.1).
constexpr uint32_t kUncachedGttFlags = kBaseFlags | KFD_IOC_ALLOC_MEM_FLAGS_GTT |
                                       KFD_IOC_ALLOC_MEM_FLAGS_COHERENT |
                                       KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED;

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

class KfdDevice;
class KfdQueue;

// ---------------------------------------------------------------------------------------------
class KfdBuffer final : public queues::Buffer {
 public:
  KfdBuffer(KfdDevice* dev, uint64_t va, uint64_t size, void* cpu, MemoryKind kind, uint64_t handle,
            bool owns_va, bool anon_backing)
      : Buffer(va, size, cpu, kind), dev_(dev), handle_(handle), owns_va_(owns_va),
        anon_backing_(anon_backing) {}
  ~KfdBuffer() override;
  uint64_t handle() const { return handle_; }
  void keep_in_kernel() { kernel_owned_ = true; }
  bool kernel_owned() const { return kernel_owned_; }

 private:
  KfdDevice* dev_;
  bool kernel_owned_ = false;
  uint64_t handle_;
  bool owns_va_;       // VA from our allocator (false for map_host user pointers)
  bool anon_backing_;  // CPU pages we mapped ourselves (USERPTR host buffers)
};

class KfdSignal final : public queues::Signal {
 public:
  KfdSignal(KfdDevice* dev, uint32_t slot, uint8_t* cpu, uint64_t gpu)
      : dev_(dev), slot_(slot), cpu_(cpu), gpu_(gpu) {}
  ~KfdSignal() override;

  uint64_t value() const override { return value_ref().load(std::memory_order_acquire); }
  void set(uint64_t v) override { value_ref().store(v, std::memory_order_release); }
  uint64_t timestamp_ns() const override;
  Status wait(uint64_t target, std::chrono::milliseconds timeout) override;
  uint64_t gpu_addr() const override { return gpu_; }

  std::atomic<const KfdQueue*> last_queue{nullptr};

 private:
  std::atomic_ref<uint64_t> value_ref() const {
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(cpu_));
  }
  KfdDevice* dev_;
  uint32_t slot_;
  uint8_t* cpu_;
  uint64_t gpu_;
};

class KfdProgram final : public queues::Program {
 public:
  KfdProgram() : id(next_id()) {}
  const queues::ProgramInfo& info() const override { return info_; }
  static uint64_t next_id() {
    static std::atomic<uint64_t> n{0};
    return ++n;
  }
  const uint64_t id;  // never reused: keys the queues' dispatch templates
  queues::ProgramInfo info_;
  HsaKernel kernel;
  std::unique_ptr<queues::Buffer> image;
  uint64_t kd_va = 0, entry_va = 0;
  uint32_t private_bytes = 0;  // private (scratch) bytes per work-item it needs; 0: none
};

// Scratch sized for `item_bytes` of private memory per work-item (fact sheet §7).
struct ScratchPlan {
  uint32_t item_bytes = 0;  // per-lane capacity (the §7 `per_lane`)
  uint32_t num_xcc = 1;
  uint64_t bytes_per_xcc = 0, bytes = 0;
  uint32_t tmpring = 0;  // COMPUTE_TMPRING_SIZE / amd_queue_t.compute_tmpring_size
  bool architected = true;  // architected flat scratch (SCRATCH_BASE registers), else the V#
};

// A queue's scratch backing memory (VRAM), grown on demand and only while the queue is idle.
struct QueueScratch {
  ScratchPlan plan;
  std::unique_ptr<KfdBuffer> mem;
  std::unique_ptr<KfdBuffer> xcc_ib;  // PM4 on several XCCs: per-XCC SCRATCH_BASE (PRED_EXEC)
  uint32_t xcc_ib_dwords = 0;
  uint64_t base() const { return mem ? mem->gpu_addr() : 0; }
};

// ---------------------------------------------------------------------------------------------
class KfdDevice final : public queues::Device {
 public:
  KfdDevice(core::Sys& sys, const OpenOptions& o) : sys_(sys), opts_(o) {}
  ~KfdDevice() override;
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
  Result<std::unique_ptr<KfdBuffer>> alloc_raw(uint64_t size, uint32_t flags, bool cpu_map,
                                               MemoryKind kind);
  void release_buffer(KfdBuffer& b, bool owns_va, bool anon_backing);
  void release_signal(uint32_t slot);
  Result<uint8_t*> doorbell(uint64_t doorbell_offset);
  void map_mmio_remap();
  Result<ScratchPlan> plan_scratch(uint32_t item_bytes) const;
  // Allocates scratch for `plan`; with `xcc_ib`, also the PM4 IB that gives each XCC its slice.
  Result<QueueScratch> make_scratch(const ScratchPlan& plan, bool xcc_ib);

  core::Sys& sys() { return sys_; }
  int kfd_fd() const { return kfd_fd_; }
  uint32_t gpu_id() const { return gpu_id_; }
  GfxGen gfx() const { return gfx_; }
  SdmaGen sdma() const { return sdma_; }
  KfdVersion version() const { return version_; }
  const Node& node() const { return node_; }
  const std::string& label() const { return label_; }
  uint32_t queue_event_id() const { return queue_event_.event_id; }
  // Flushes the HDP write path so CPU writes through the BAR reach VRAM before the GPU reads
  // them (§3.5); a single store to the MMIO remap page, no system call.
  void hdp_flush() const {
    if (hdp_mem_flush_) std::atomic_ref<uint32_t>(*hdp_mem_flush_).store(1, std::memory_order_release);
  }
  uint64_t queue_event_mailbox() const {
    return event_page_->gpu_addr() + uint64_t{queue_event_.event_slot_index} * 8;
  }
  // Sleeps until an interrupt may have changed something (or `ms` passed). Reports a memory or
  // hardware exception seen meanwhile as an error.
  Status sleep_on_events(uint32_t ms);

 private:
  core::Sys& sys_;
  OpenOptions opts_;
  queues::DeviceProperties props_;
  std::string label_;
  int kfd_fd_ = -1, drm_fd_ = -1;
  uint32_t gpu_id_ = 0;
  Node node_;
  GfxGen gfx_ = GfxGen::kGfx11;
  SdmaGen sdma_ = SdmaGen::kSdma6;
  KfdVersion version_;
  void* va_base_ = nullptr;
  std::unique_ptr<memory::VaAllocator> va_;
  std::unique_ptr<KfdBuffer> event_page_;
  CreatedEvent queue_event_{}, memory_event_{}, hw_event_{};
  bool have_events_ = false;
  std::unique_ptr<KfdBuffer> signal_pool_;
  std::mutex signal_mu_;
  std::vector<uint32_t> free_signals_;
  std::unique_ptr<KfdBuffer> mmio_;       // MMIO remap page (HDP flush registers), if the GPU has one
  uint32_t* hdp_mem_flush_ = nullptr;     // HDP_MEM_FLUSH_CNTL in it
  std::mutex doorbell_mu_;
  uint8_t* doorbells_ = nullptr;
  uint64_t doorbell_page_offset_ = 0;
  uint64_t mmio_offset_ = 0;  // /dev/kfd mmap offset of the MMIO remap page (from its ALLOC)
};

// ---------------------------------------------------------------------------------------------
// Ring state shared by the three queue kinds. Positions are monotonic (never wrapped) in the
// queue's unit: dwords (PM4), packets (AQL), bytes (SDMA); the ring index is the position modulo
// the ring's capacity (§4.1, §4.5).
class KfdQueue {
 public:
  virtual ~KfdQueue() = default;
  virtual std::string describe_state() const = 0;
  const std::string& queue_name() const { return name_; }

 protected:
  std::string name_;
};

struct QueueBuffers {
  std::unique_ptr<KfdBuffer> ring, gart, eop, cwsr;
  CreatedQueue created{};
  uint8_t* doorbell = nullptr;
  bool live = false;  // the KFD queue exists (destroy it exactly once)
};

void destroy_live_queue(KfdDevice& dev, QueueBuffers& b);

// Creates the KFD queue with its ring, pointer page, EOP and CWSR buffers sized as the kernel
// demands (§4.2–§4.4).
Result<QueueBuffers> make_queue(KfdDevice& dev, uint32_t type, uint32_t ring_bytes) {
  QueueBuffers b;
  const bool compute = type == KFD_IOC_QUEUE_TYPE_COMPUTE || type == KFD_IOC_QUEUE_TYPE_COMPUTE_AQL;
  RAWGPU_ASSIGN(b.ring, dev.alloc_raw(ring_bytes, kUncachedGttFlags, true, MemoryKind::kHost));
  RAWGPU_ASSIGN(b.gart, dev.alloc_raw(kPage, kUncachedGttFlags, true, MemoryKind::kHost));
  std::memset(b.gart->cpu_ptr(), 0, kPage);
  CreateQueueArgs q;
  q.gpu_id = dev.gpu_id();
  q.queue_type = type;
  q.ring_base_address = b.ring->gpu_addr();
  q.ring_size = ring_bytes;
  q.write_pointer_address = b.gart->gpu_addr() + kGartWptr;
  q.read_pointer_address = b.gart->gpu_addr() + kGartRptr;
  q.queue_percentage = 100;
  q.queue_priority = 7;
  if (compute) {
    const Node& n = dev.node();
    CwsrSizes s = cwsr_sizes({.gfx_target_version = n.gfx_target_version(),
                              .simd_count = static_cast<uint32_t>(n.prop("simd_count")),
                              .simd_per_cu = static_cast<uint32_t>(n.prop("simd_per_cu")),
                              .num_xcc = n.num_xcc(),
                              .array_count = static_cast<uint32_t>(n.prop("array_count")),
                              .simd_arrays_per_engine =
                                  static_cast<uint32_t>(n.prop("simd_arrays_per_engine")),
                              .lds_size_in_kb = static_cast<uint32_t>(n.prop("lds_size_in_kb"))});
    // New kernels export the exact values; prefer them (§4.4 recommendation).
    if (n.prop("cwsr_size")) s.cwsr_size = static_cast<uint32_t>(n.prop("cwsr_size"));
    if (n.prop("ctl_stack_size")) s.ctl_stack_size = static_cast<uint32_t>(n.prop("ctl_stack_size"));
    s.bo_size = (uint64_t{s.cwsr_size + s.debug_memory_size} * n.num_xcc() + kPage - 1) & ~(kPage - 1);
    const uint32_t vram = kBaseFlags | KFD_IOC_ALLOC_MEM_FLAGS_VRAM;
    RAWGPU_ASSIGN(b.eop, dev.alloc_raw(s.eop_buffer_size, vram, false, MemoryKind::kDevice));
    RAWGPU_ASSIGN(b.cwsr, dev.alloc_raw(s.bo_size, vram, false, MemoryKind::kDevice));
    q.eop_buffer_address = b.eop->gpu_addr();
    q.eop_buffer_size = s.eop_buffer_size;
    q.ctx_save_restore_address = b.cwsr->gpu_addr();
    q.ctx_save_restore_size = s.cwsr_size;
    q.ctl_stack_size = s.ctl_stack_size;
  }
  RAWGPU_ASSIGN(b.created, create_queue(dev.sys(), dev.kfd_fd(), dev.version(), q));
  auto db = dev.doorbell(b.created.doorbell_offset);
  if (!db) {
    (void)destroy_queue(dev.sys(), dev.kfd_fd(), b.created.queue_id);
    return std::move(db).error();
  }
  b.doorbell = *db;
  b.live = true;
  return b;
}

// Waits (bounded) until `ready()`; the ring-full path of every queue.
template <typename F>
Status wait_for_space(const KfdQueue& q, F ready) {
  if (ready()) return {};
  const auto deadline = std::chrono::steady_clock::now() + kRingFullTimeout;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline)
      return Error::timeout("enqueue on " + q.queue_name(),
                            "the ring stayed full: the GPU is not consuming it. " + q.describe_state());
    std::this_thread::yield();
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// PM4 compute queue (tinygrad's AMDComputeQueue, §6.2), also used to build IBs for AQL queues.
class Pm4Writer {
 public:
  // Emits one packet: encodes into a local buffer, then stores it into the ring with wrap.
  template <class P>
  Status emit(const P& p) {
    std::array<uint32_t, 64> buf;
    core::EncodeResult r = encode(std::span<uint32_t>(buf), p, gen_);
    if (!r) return core::to_error(r);
    return write(std::span<const uint32_t>(buf.data(), r.dwords));
  }
  virtual Status write(std::span<const uint32_t> dwords) = 0;
  virtual ~Pm4Writer() = default;

  Status set_sh(uint32_t reg, std::initializer_list<uint32_t> values) {
    std::array<uint32_t, 16> v{};
    std::copy(values.begin(), values.end(), v.begin());
    return emit(Pm4SetShReg{.reg = reg, .values = std::span<const uint32_t>(v.data(), values.size())});
  }
  Status release_mem(uint64_t addr, uint64_t data, DataSel sel, IntSel int_sel = IntSel::kNone,
                     uint32_t ctxid = 0) {
    Pm4ReleaseMem m;
    if (gen_ == GfxGen::kGfx9) {
      m.gfx9_cache = {.tc_wb = true, .tc_nc = true};
    } else {
      m.gcr = {.glm_wb = true, .glm_inv = true, .glv_inv = true, .gl1_inv = true, .gl2_inv = true,
               .gl2_wb = true, .seq = true};
    }
    m.data_sel = sel;
    m.int_sel = int_sel;
    m.addr = addr;
    m.data = data;
    m.int_ctxid = ctxid;
    return emit(m);
  }
  Status acquire_mem() {
    Pm4AcquireMem a;
    if (gen_ == GfxGen::kGfx9) {
      a.coher_cntl = {.tc_wb = true, .tcl1 = true, .tc = true, .sh_kcache = true, .sh_icache = true};
      a.poll_interval = 0x0A;
    } else {
      a.gcr_cntl = {.gli_inv = 1, .glm_wb = true, .glm_inv = true, .glk_wb = true, .glk_inv = true,
                    .glv_inv = true, .gl1_inv = true, .gl2_inv = true, .gl2_wb = true};
    }
    return emit(a);
  }
  // Value then mailbox + interrupt, so that a CPU sleeping in WAIT_EVENTS wakes (§5).
  Status signal(uint64_t addr, uint64_t value, uint64_t mailbox, uint32_t event_id) {
    RAWGPU_TRY(release_mem(addr, value, DataSel::kSend64BitData));
    return release_mem(mailbox, event_id, DataSel::kSend32BitLow,
                       IntSel::kSendInterruptAfterWriteConfirm, event_id);
  }
  Status wait(uint64_t addr, uint64_t value) {
    if (value > 0xFFFFFFFFull)
      return Error::invalid("wait on signal " + hex(addr),
                            "GPU-side waits compare 32 bits (WAIT_REG_MEM); keep timeline values "
                            "below 2^32");
    return emit(Pm4WaitRegMem{.function = CompareFunc::kGreaterEqual, .addr = addr,
                              .reference = static_cast<uint32_t>(value)});
  }
  Status timestamp(uint64_t addr) {
    return release_mem(addr + 8, 0, DataSel::kSendGpuClockCounter);
  }

 protected:
  GfxGen gen_ = GfxGen::kGfx11;
};

// A ring of bytes (kernargs, IBs) reused lap after lap: a segment is written again only once
// the queue's read pointer has passed the last command that used it on the previous lap.
class ReuseRing {
 public:
  explicit ReuseRing(uint64_t size) : size_(size), seg_(size / kSegs) {}
  // Offset of `bytes` at `align`; `need` is the queue position the GPU must reach first.
  uint64_t alloc(uint64_t bytes, uint64_t align, uint64_t& need) {
    uint64_t off = (put_ + align - 1) & ~(align - 1);
    if (off + bytes > size_) {
      off = 0;
      ++lap_;
    }
    first_ = off / seg_;
    last_ = (off + bytes - 1) / seg_;
    need = 0;
    for (uint64_t i = first_; i <= last_; ++i)
      if (lap_of_[i] != lap_) need = std::max(need, done_at_[i]);
    put_ = off + bytes;
    return off;
  }
  // The command using the last allocation ends at queue position `pos`.
  void used_until(uint64_t pos) {
    for (uint64_t i = first_; i <= last_; ++i) {
      done_at_[i] = pos;
      lap_of_[i] = lap_;
    }
  }
  uint64_t size() const { return size_; }

 private:
  static constexpr uint64_t kSegs = 16;
  uint64_t size_, seg_;
  uint64_t put_ = 0, lap_ = 1;
  uint64_t first_ = 0, last_ = 0;
  std::array<uint64_t, kSegs> done_at_{};
  std::array<uint64_t, kSegs> lap_of_{};
};

// The PM4 stream of one dispatch of a program, encoded once with the packet encoders and then
// copied per exec with the kernarg pointer, block and grid patched in (the hot path).
struct DispatchTemplate {
  static constexpr uint32_t kNone = ~0u;
  uint64_t program_id = 0;  // 0: empty slot
  std::array<uint32_t, 96> dw{};
  uint32_t n = 0;
  uint32_t kernarg = kNone;  // offset of the kernarg pointer (lo, hi) in COMPUTE_USER_DATA
  uint32_t threads = 0;      // offset of COMPUTE_NUM_THREAD_X..Z
  uint32_t dims = 0;         // offset of DISPATCH_DIRECT dim_x..z
};

class CaptureWriter final : public Pm4Writer {
 public:
  CaptureWriter(DispatchTemplate& t, GfxGen g) : t_(t) { gen_ = g; }
  Status write(std::span<const uint32_t> d) override {
    if (t_.n + d.size() > t_.dw.size()) return Error::internal("dispatch template", "too long");
    for (uint32_t v : d) t_.dw[t_.n++] = v;
    return {};
  }
  using Pm4Writer::acquire_mem;
  using Pm4Writer::emit;
  using Pm4Writer::set_sh;

 private:
  DispatchTemplate& t_;
};

// The conditions check_launch() enforces, as a plain bool for the hot path: a Status (an Error
// with three strings) is built only when this says no.
inline bool launch_fits(const HsaKernel& k, const queues::KernelArgs& args, queues::Dim3 grid,
                        queues::Dim3 block) {
  return !args.overflowed() && args.size() == k.explicit_args_size && block.count() != 0 &&
         block.count() <= k.max_flat_workgroup_size && grid.count() != 0 &&
         uint64_t{grid.x} * block.x <= 0xFFFFFFFFull && uint64_t{grid.y} * block.y <= 0xFFFFFFFFull &&
         uint64_t{grid.z} * block.z <= 0xFFFFFFFFull;
}

// Checks a launch against the kernel before anything is written.
Status check_launch(const HsaKernel& k, const queues::KernelArgs& args, queues::Dim3 grid,
                    queues::Dim3 block) {
  if (launch_fits(k, args, grid, block)) return {};
  if (args.overflowed() || args.size() != k.explicit_args_size)
    return Error::invalid("exec " + k.name, "the kernel takes " + std::to_string(k.explicit_args_size) +
                                                " bytes of arguments, got " + std::to_string(args.size()));
  return Error::invalid("exec " + k.name, "bad grid or block size (block must be 1.." +
                                              std::to_string(k.max_flat_workgroup_size) +
                                              " threads, grid at least 1, grid*block < 2^32)");
}

// The kernarg segment: explicit bytes, then the COV5 hidden block (§8.4).
void write_kernargs(uint8_t* dst, const HsaKernel& k, const queues::KernelArgs& args,
                    queues::Dim3 grid, queues::Dim3 block) {
  std::memcpy(dst, args.bytes().data(), args.size());
  std::memset(dst + args.size(), 0, k.kernarg_size - args.size());
  const uint32_t g[3] = {grid.x, grid.y, grid.z}, b[3] = {block.x, block.y, block.z};
  for (int i = 0; i < 3; ++i) {
    if (k.hidden.block_count[i] >= 0) std::memcpy(dst + k.hidden.block_count[i], &g[i], 4);
    if (k.hidden.group_size[i] >= 0) {
      const uint16_t v = static_cast<uint16_t>(b[i]);
      std::memcpy(dst + k.hidden.group_size[i], &v, 2);
    }
  }
  if (k.hidden.grid_dims >= 0) {
    const uint16_t dims = grid.z > 1 || block.z > 1 ? 3 : (grid.y > 1 || block.y > 1 ? 2 : 1);
    std::memcpy(dst + k.hidden.grid_dims, &dims, 2);
  }
}

// tinygrad's per-dispatch PM4 stream (§6.2), user SGPRs in the order of §8.5. A kernel that
// needs private memory gets the queue's scratch `sc`: COMPUTE_TMPRING_SIZE always; on targets
// with architected flat scratch COMPUTE_DISPATCH_SCRATCH_BASE (per XCC through sc.xcc_ib);
// otherwise the V# / flat scratch init / private segment size user SGPRs its descriptor enables.
Status build_dispatch_template(const KfdProgram& p, GfxGen gen, const QueueScratch& sc,
                               DispatchTemplate& t) {
  const HsaKernel& k = p.kernel;
  t = DispatchTemplate{};
  CaptureWriter w(t, gen);
  const bool scratch = p.private_bytes != 0;
  if (scratch && (!sc.mem || sc.plan.item_bytes < p.private_bytes))
    return Error::internal("dispatch template", "scratch not set up for " + k.name);
  const uint64_t scratch_base = sc.base();
  std::array<uint32_t, 16> user{};
  uint32_t nuser = 0;
  uint32_t kernarg_index = DispatchTemplate::kNone;
  const uint16_t props = k.kd.kernel_code_properties;
  auto put = [&](uint32_t v) {
    if (nuser < user.size()) user[nuser] = v;
    ++nuser;
  };
  if (props & KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER) {
    // tinygrad's PM4 V# takes num_records 0xFFFFFFFF (fact sheet §7).
    for (uint32_t v : scratch_vsharp(scratch_base, 0xFFFFFFFFu, gen)) put(scratch ? v : 0);
  }
  if (props & KERNEL_CODE_PROPERTY_ENABLE_SGPR_DISPATCH_PTR) nuser += 2;
  if (props & KERNEL_CODE_PROPERTY_ENABLE_SGPR_QUEUE_PTR) nuser += 2;
  if (props & KERNEL_CODE_PROPERTY_ENABLE_SGPR_KERNARG_SEGMENT_PTR) {
    kernarg_index = nuser;
    nuser += 2;
  }
  if (props & KERNEL_CODE_PROPERTY_ENABLE_SGPR_DISPATCH_ID) nuser += 2;
  if (props & KERNEL_CODE_PROPERTY_ENABLE_SGPR_FLAT_SCRATCH_INIT) {
    // gfx9/gfx10: the 64-bit base of the queue's scratch backing memory; the CP adds the wave's
    // offset (llvm/docs/AMDGPUUsage.rst, initial kernel execution state, "Flat Scratch Init").
    put(static_cast<uint32_t>(scratch_base));
    put(static_cast<uint32_t>(scratch_base >> 32));
  }
  if (props & KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_SIZE) {
    // Bytes per work-item, the dispatch's private segment size rounded up to a dword (same
    // AMDGPUUsage table).
    put((p.private_bytes + 3) & ~3u);
  }
  if (nuser > 16) return Error::unsupported("exec " + k.name, "more than 16 user SGPRs");
  const uint32_t lds_blocks = (k.group_segment_fixed_size + 511) / 512;  // 512-byte granules
  // gfx11: RSRC1.PRIV set as a CWSR workaround (tinygrad, §9).
  const uint32_t rsrc1 = k.kd.compute_pgm_rsrc1 | (gen == GfxGen::kGfx11 ? (1u << 20) : 0);
  const uint32_t rsrc2 = k.kd.compute_pgm_rsrc2 | ((lds_blocks & 0x1FF) << 15);

  // The HDP flush makes the CPU's kernarg writes visible, then caches are invalidated (§3.5).
  RAWGPU_TRY(w.emit(Pm4WaitRegMemReg{.function = CompareFunc::kGreaterEqual,
                                     .operation = WaitRegMemOperation::kWriteWait, .reg1 = 0xE26,
                                     .reg2 = 0xE27, .reference = 0xFFFFFFFF, .mask = 0xFFFFFFFF}));
  RAWGPU_TRY(w.acquire_mem());
  RAWGPU_TRY(w.set_sh(regCOMPUTE_PGM_LO, {static_cast<uint32_t>(p.entry_va >> 8),
                                          static_cast<uint32_t>(p.entry_va >> 40)}));
  RAWGPU_TRY(w.set_sh(regCOMPUTE_PGM_RSRC1, {rsrc1, rsrc2}));
  if (auto r3 = compute_pgm_rsrc3_reg(gen)) RAWGPU_TRY(w.set_sh(*r3, {k.kd.compute_pgm_rsrc3}));
  RAWGPU_TRY(w.set_sh(regCOMPUTE_TMPRING_SIZE, {scratch ? sc.plan.tmpring : 0}));
  if (scratch && sc.plan.architected) {
    if (sc.xcc_ib) {
      // Each XCC its own slice, under PRED_EXEC, which works only inside an IB (fact sheet §6.2
      // step 6, §9 multi-XCC).
      RAWGPU_TRY(w.emit(Pm4IndirectBuffer{.ib_base = sc.xcc_ib->gpu_addr(), .ib_size = sc.xcc_ib_dwords}));
    } else {
      RAWGPU_TRY(w.set_sh(regCOMPUTE_DISPATCH_SCRATCH_BASE_LO,
                          {static_cast<uint32_t>(scratch_base >> 8), static_cast<uint32_t>(scratch_base >> 40)}));
    }
  }
  RAWGPU_TRY(w.set_sh(regCOMPUTE_RESTART_X, {0, 0, 0}));
  if (nuser) {
    RAWGPU_TRY(w.emit(Pm4SetShReg{.reg = regCOMPUTE_USER_DATA_0,
                                  .values = std::span<const uint32_t>(user.data(), nuser)}));
    // SET_SH_REG's values are its tail: the last `nuser` dwords just written.
    if (kernarg_index != DispatchTemplate::kNone) t.kernarg = t.n - nuser + kernarg_index;
  }
  RAWGPU_TRY(w.set_sh(regCOMPUTE_RESOURCE_LIMITS, {0}));
  RAWGPU_TRY(w.set_sh(regCOMPUTE_START_X, {0, 0, 0, 1, 1, 1, 0, 0}));
  t.threads = t.n - 8 + 3;  // START_X..Z, then NUM_THREAD_X..Z
  DispatchInitiator init;
  init.cs_w32_en = gen != GfxGen::kGfx9 && (props & KERNEL_CODE_PROPERTY_ENABLE_WAVEFRONT_SIZE32) != 0;
  const uint32_t before = t.n;
  RAWGPU_TRY(w.emit(Pm4DispatchDirect{.dim_x = 1, .dim_y = 1, .dim_z = 1, .initiator = init}));
  t.dims = before + 1;  // DISPATCH_DIRECT body: dim_x, dim_y, dim_z, initiator
  // Prove the patch offsets with the decoder, once per template.
  auto d = decode_pm4(std::span<const uint32_t>(t.dw.data(), t.n), before, gen);
  if (!d || !d->as<Pm4DispatchDirect>() || t.dw[t.dims] != 1)
    return Error::internal("dispatch template", "DISPATCH_DIRECT layout is not what the patcher expects");
  RAWGPU_TRY(w.emit(Pm4EventWrite{.event_type = EventType::CS_PARTIAL_FLUSH, .event_index = 4}));
  t.program_id = p.id;
  return {};
}

class KfdComputeQueue final : public queues::ComputeQueue, public KfdQueue, private Pm4Writer {
 public:
  static Result<std::unique_ptr<KfdComputeQueue>> create(KfdDevice& dev, uint32_t ring_bytes,
                                                         int index);
  ~KfdComputeQueue() override;

  Status exec(const queues::Program& program, const queues::KernelArgs& args, queues::Dim3 grid,
              queues::Dim3 block) override;
  Status signal(queues::Signal& s, uint64_t value) override;
  Status wait(queues::Signal& s, uint64_t value) override;
  Status timestamp(queues::Signal& s) override;
  Status barrier() override;
  Status submit() override;
  const std::string& name() const override { return name_; }
  std::string describe() const override { return describe_state(); }
  std::string describe_state() const override;

 private:
  explicit KfdComputeQueue(KfdDevice& dev) : dev_(dev) {}
  Status write(std::span<const uint32_t> d) override;
  Status reserve(uint64_t dwords);
  void store(std::span<const uint32_t> d);
  Result<const DispatchTemplate*> dispatch_template(const KfdProgram& p);
  const DispatchTemplate* find_template(uint64_t program_id) const {
    for (const DispatchTemplate& t : templates_)
      if (t.program_id == program_id) return &t;
    return nullptr;
  }
  Status ensure_scratch(uint32_t item_bytes);
  uint64_t rptr() const {
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(
                                         static_cast<uint8_t*>(b_.gart->cpu_ptr()) + kGartRptr))
        .load(std::memory_order_acquire);
  }
  void mark_command() { starts_[ncmd_++ % starts_.size()] = put_; }
  Status wait_position(uint64_t pos);

  KfdDevice& dev_;
  QueueBuffers b_;
  std::unique_ptr<KfdBuffer> kernargs_;
  uint32_t* ring_ = nullptr;
  uint64_t ring_dwords_ = 0, ring_mask_ = 0;  // ring sizes are powers of two
  uint64_t put_ = 0, submitted_ = 0;
  uint64_t rptr_seen_ = 0;
  ReuseRing kernarg_ring_{kKernargRingBytes};
  std::array<uint64_t, 64> starts_{};  // positions where recent commands began (for describe())
  uint64_t ncmd_ = 0;
  std::array<DispatchTemplate, 8> templates_{};
  uint32_t next_template_ = 0;
  QueueScratch scratch_;
};

Result<std::unique_ptr<KfdComputeQueue>> KfdComputeQueue::create(KfdDevice& dev, uint32_t ring_bytes,
                                                                  int index) {
  std::unique_ptr<KfdComputeQueue> q(new KfdComputeQueue(dev));
  q->gen_ = dev.gfx();
  RAWGPU_ASSIGN(q->b_, make_queue(dev, KFD_IOC_QUEUE_TYPE_COMPUTE, ring_bytes));
  // Kernargs live in CPU-visible VRAM as tinygrad puts them (§8.5); the HDP flush before each
  // dispatch makes the CPU's writes visible.
  auto ka = dev.alloc_raw(kKernargRingBytes,
                          kBaseFlags | KFD_IOC_ALLOC_MEM_FLAGS_VRAM | KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC,
                          true, MemoryKind::kDeviceMapped);
  if (!ka) return std::move(ka).error();  // ~KfdComputeQueue destroys the KFD queue
  q->kernargs_ = std::move(ka).value();
  q->ring_ = static_cast<uint32_t*>(q->b_.ring->cpu_ptr());
  q->ring_dwords_ = ring_bytes / 4;
  q->ring_mask_ = q->ring_dwords_ - 1;
  q->name_ = dev.label() + " compute" + std::to_string(index) + " (PM4, queue " +
             std::to_string(q->b_.created.queue_id) + ")";
  return q;
}

KfdComputeQueue::~KfdComputeQueue() { destroy_live_queue(dev_, b_); }

Status KfdComputeQueue::reserve(uint64_t n) {
  // The last read pointer we saw is a lower bound: re-read the (uncached) real one only when it
  // says the ring is full.
  if (put_ + n - rptr_seen_ <= ring_dwords_) return {};
  rptr_seen_ = rptr();
  if (put_ + n - rptr_seen_ <= ring_dwords_) return {};
  if (submitted_ != put_ && put_ + n - submitted_ <= ring_dwords_) {
    // Nothing to wait for until the unsubmitted part reaches the GPU.
    RAWGPU_TRY(submit());
  }
  if (n + (put_ - submitted_) > ring_dwords_)
    return Error::invalid("enqueue on " + name_, "more commands than the ring holds; submit more often");
  return wait_for_space(*this, [&] {
    rptr_seen_ = rptr();
    return put_ + n - rptr_seen_ <= ring_dwords_;
  });
}

// Copies dwords into the ring at put_ (wrapping), without advancing put_.
void KfdComputeQueue::store(std::span<const uint32_t> d) {
  const uint64_t idx = put_ & ring_mask_;
  const uint64_t first = std::min<uint64_t>(d.size(), ring_dwords_ - idx);
  std::memcpy(ring_ + idx, d.data(), first * 4);
  if (first < d.size()) std::memcpy(ring_, d.data() + first, (d.size() - first) * 4);
}

Status KfdComputeQueue::write(std::span<const uint32_t> d) {
  RAWGPU_TRY(reserve(d.size()));
  store(d);
  put_ += d.size();
  return {};
}

// Waits until the GPU has read past queue position `pos` (submitting first if needed).
Status KfdComputeQueue::wait_position(uint64_t pos) {
  if (pos <= rptr_seen_) return {};
  if (pos > submitted_) RAWGPU_TRY(submit());
  return wait_for_space(*this, [&] {
    rptr_seen_ = rptr();
    return rptr_seen_ >= pos;
  });
}

// The hot path. Every step has a plain fast check; the Status-returning slow paths (errors,
// first use of a program, a full ring, kernarg space the GPU still reads) run only when it fails.
Status KfdComputeQueue::exec(const queues::Program& program, const queues::KernelArgs& args,
                             queues::Dim3 grid, queues::Dim3 block) {
  const auto& p = static_cast<const KfdProgram&>(program);
  if (!launch_fits(p.kernel, args, grid, block)) [[unlikely]]
    return check_launch(p.kernel, args, grid, block);
  const DispatchTemplate* t = find_template(p.id);
  if (!t) [[unlikely]] {
    auto r = dispatch_template(p);
    if (!r) return std::move(r).error();
    t = *r;
  }
  uint64_t need = 0;
  const uint64_t ka = kernarg_ring_.alloc(p.kernel.kernarg_size,
                                          std::max<uint32_t>(p.kernel.kernarg_align, 64), need);
  if (need > rptr_seen_) [[unlikely]] {
    if (Status s = wait_position(need); !s) return s;
  }
  write_kernargs(static_cast<uint8_t*>(kernargs_->cpu_ptr()) + ka, p.kernel, args, grid, block);
  const uint64_t ka_va = kernargs_->gpu_addr() + ka;
  mark_command();
  // The whole PM4 stream was encoded once per program (dispatch_template); copy it and patch
  // the kernarg pointer, the block size and the grid.
  if (put_ + t->n - rptr_seen_ > ring_dwords_) [[unlikely]] {
    if (Status s = reserve(t->n); !s) return s;
  }
  const uint64_t idx = put_ & ring_mask_;
  if (idx + t->n <= ring_dwords_) [[likely]] {
    uint32_t* dst = ring_ + idx;
    std::memcpy(dst, t->dw.data(), uint64_t{t->n} * 4);
    if (t->kernarg != DispatchTemplate::kNone) {
      dst[t->kernarg] = static_cast<uint32_t>(ka_va);
      dst[t->kernarg + 1] = static_cast<uint32_t>(ka_va >> 32);
    }
    dst[t->threads] = block.x;
    dst[t->threads + 1] = block.y;
    dst[t->threads + 2] = block.z;
    dst[t->dims] = grid.x;
    dst[t->dims + 1] = grid.y;
    dst[t->dims + 2] = grid.z;
  } else {  // the stream straddles the ring's end
    const uint64_t at = put_;
    store(std::span<const uint32_t>(t->dw.data(), t->n));
    auto patch = [&](uint32_t off, uint32_t v) { ring_[(at + off) & ring_mask_] = v; };
    if (t->kernarg != DispatchTemplate::kNone) {
      patch(t->kernarg, static_cast<uint32_t>(ka_va));
      patch(t->kernarg + 1, static_cast<uint32_t>(ka_va >> 32));
    }
    patch(t->threads, block.x);
    patch(t->threads + 1, block.y);
    patch(t->threads + 2, block.z);
    patch(t->dims, grid.x);
    patch(t->dims + 1, grid.y);
    patch(t->dims + 2, grid.z);
  }
  put_ += t->n;
  kernarg_ring_.used_until(put_);
  return {};
}

Result<const DispatchTemplate*> KfdComputeQueue::dispatch_template(const KfdProgram& p) {
  if (const DispatchTemplate* t = find_template(p.id)) return t;
  if (p.private_bytes > scratch_.plan.item_bytes) RAWGPU_TRY(ensure_scratch(p.private_bytes));
  DispatchTemplate& t = templates_[next_template_++ % templates_.size()];
  RAWGPU_TRY(build_dispatch_template(p, gen_, scratch_, t));
  return &t;
}

// Grows the scratch to `item_bytes` per work-item. Dispatches already in the ring use the old
// buffer, so the queue drains first; every template then re-encodes with the new one.
Status KfdComputeQueue::ensure_scratch(uint32_t item_bytes) {
  RAWGPU_ASSIGN(ScratchPlan plan, dev_.plan_scratch(item_bytes));
  RAWGPU_TRY(wait_position(put_));
  scratch_ = QueueScratch{};
  RAWGPU_ASSIGN(scratch_, dev_.make_scratch(plan, true));
  for (DispatchTemplate& t : templates_) t.program_id = 0;
  return {};
}

Status KfdComputeQueue::signal(queues::Signal& s, uint64_t value) {
  mark_command();
  static_cast<KfdSignal&>(s).last_queue.store(this, std::memory_order_relaxed);
  return Pm4Writer::signal(s.gpu_addr(), value, dev_.queue_event_mailbox(), dev_.queue_event_id());
}
Status KfdComputeQueue::wait(queues::Signal& s, uint64_t value) {
  mark_command();
  return Pm4Writer::wait(s.gpu_addr(), value);
}
Status KfdComputeQueue::timestamp(queues::Signal& s) {
  mark_command();
  return Pm4Writer::timestamp(s.gpu_addr());
}
Status KfdComputeQueue::barrier() {
  mark_command();
  RAWGPU_TRY(emit(Pm4EventWrite{.event_type = EventType::CS_PARTIAL_FLUSH, .event_index = 4}));
  return acquire_mem();
}

Status KfdComputeQueue::submit() {
  if (put_ == submitted_) return {};
  // Packets → wptr → doorbell, with release ordering (§4.5).
  auto* wptr = reinterpret_cast<uint64_t*>(static_cast<uint8_t*>(b_.gart->cpu_ptr()) + kGartWptr);
  std::atomic_ref<uint64_t>(*wptr).store(put_, std::memory_order_release);
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(b_.doorbell)).store(put_, std::memory_order_release);
  submitted_ = put_;
  return {};
}

std::string KfdComputeQueue::describe_state() const {
  const uint64_t r = rptr();
  std::string s = name_ + ": rptr " + std::to_string(r) + ", wptr " + std::to_string(submitted_) +
                  ", enqueued " + std::to_string(put_) + " (dwords)";
  // Disassemble from the last command start at or before the read pointer.
  uint64_t from = r;
  for (uint64_t i = 0; i < std::min<uint64_t>(ncmd_, starts_.size()); ++i) {
    const uint64_t st = starts_[(ncmd_ - 1 - i) % starts_.size()];
    if (st <= r) {
      from = st;
      break;
    }
  }
  const uint64_t to = std::min(put_, from + 256);
  if (to > from && to - from <= ring_dwords_) {
    std::vector<uint32_t> window(to - from);
    for (uint64_t i = from; i < to; ++i) window[i - from] = ring_[i % ring_dwords_];
    s += "; packets from dword " + std::to_string(from) + " (rptr marked '>'):\n";
    std::string text = disassemble(window, PacketFormat{.engine = Engine::kPm4, .gfx = gen_},
                                   static_cast<uint32_t>(from));
    s += text;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// AQL compute queue (§6.1): kernel dispatch packets; signals, waits and timestamps as PM4 IBs in
// vendor packets (AmdFormat 1), as tinygrad does.
class KfdAqlQueue final : public queues::ComputeQueue, public KfdQueue {
 public:
  static Result<std::unique_ptr<KfdAqlQueue>> create(KfdDevice& dev, uint32_t ring_bytes, int index);
  ~KfdAqlQueue() override;

  Status exec(const queues::Program& program, const queues::KernelArgs& args, queues::Dim3 grid,
              queues::Dim3 block) override;
  Status signal(queues::Signal& s, uint64_t value) override;
  Status wait(queues::Signal& s, uint64_t value) override;
  Status timestamp(queues::Signal& s) override;
  Status barrier() override;
  Status submit() override;
  const std::string& name() const override { return name_; }
  std::string describe() const override { return describe_state(); }
  std::string describe_state() const override;

 private:
  // Collects PM4 packets into the IB pool, then publishes one AQL PM4-IB packet for them.
  class IbWriter final : public Pm4Writer {
   public:
    IbWriter(KfdAqlQueue& q, GfxGen g) : q_(q) { gen_ = g; }
    Status write(std::span<const uint32_t> d) override {
      if (n_ + d.size() > buf_.size()) return Error::internal("AQL PM4 IB", "IB too long");
      for (uint32_t v : d) buf_[n_++] = v;
      return {};
    }
    Status flush() { return q_.publish_ib(std::span<const uint32_t>(buf_.data(), n_)); }

   private:
    KfdAqlQueue& q_;
    std::array<uint32_t, 64> buf_{};
    size_t n_ = 0;
  };

  explicit KfdAqlQueue(KfdDevice& dev) : dev_(dev) {}
  uint64_t rptr() const {
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(
                                         static_cast<uint8_t*>(b_.gart->cpu_ptr()) + kGartRptr))
        .load(std::memory_order_acquire);
  }
  Result<std::span<uint32_t, kAqlPacketDwords>> next_slot();
  Status publish_ib(std::span<const uint32_t> pm4);
  Result<uint64_t> pool_alloc(ReuseRing& ring, uint64_t bytes, uint64_t align);
  Status wait_position(uint64_t pos);
  Status ensure_scratch(uint32_t item_bytes);
  amd_queue_t& amd_queue() const { return *static_cast<amd_queue_t*>(b_.gart->cpu_ptr()); }

  KfdDevice& dev_;
  QueueBuffers b_;
  std::unique_ptr<KfdBuffer> kernargs_, ibs_;
  uint32_t* ring_ = nullptr;
  uint64_t slots_ = 0;
  uint64_t put_ = 0, submitted_ = 0;
  uint64_t rptr_seen_ = 0;  // last read_dispatch_id read (a lower bound)
  ReuseRing kernarg_ring_{kKernargRingBytes}, ib_ring_{kIbPoolBytes};
  QueueScratch scratch_;
};

Result<std::unique_ptr<KfdAqlQueue>> KfdAqlQueue::create(KfdDevice& dev, uint32_t ring_bytes, int index) {
  std::unique_ptr<KfdAqlQueue> q(new KfdAqlQueue(dev));
  RAWGPU_ASSIGN(q->b_, make_queue(dev, KFD_IOC_QUEUE_TYPE_COMPUTE_AQL, ring_bytes));
  q->ring_ = static_cast<uint32_t*>(q->b_.ring->cpu_ptr());
  q->slots_ = ring_bytes / 64;
  // The descriptor the CP reads (fact sheet §4.6, tinygrad's values); scratch fields stay 0 until
  // a kernel needs private memory (ensure_scratch).
  {
    amd_queue_t& aq = q->amd_queue();
    const Node& n = dev.node();
    aq.read_dispatch_id_field_base_byte_offset = kGartRptr;
    aq.max_cu_id = n.compute_units() - 1;
    aq.max_wave_id = static_cast<uint32_t>(n.prop("max_waves_per_simd") * n.prop("simd_per_cu")) - 1;
    aq.queue_properties = AMD_QUEUE_PROPERTIES_IS_PTR64 | AMD_QUEUE_PROPERTIES_ENABLE_PROFILING;
  }
  for (uint64_t i = 0; i < q->slots_; ++i)
    invalidate_aql_slot(std::span<uint32_t, kAqlPacketDwords>(q->ring_ + i * kAqlPacketDwords, kAqlPacketDwords));
  auto fail = [](Error e) { return e; };  // ~KfdAqlQueue destroys the KFD queue
  auto ka = dev.alloc_raw(kKernargRingBytes,
                          kBaseFlags | KFD_IOC_ALLOC_MEM_FLAGS_VRAM | KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC,
                          true, MemoryKind::kDeviceMapped);
  if (!ka) return fail(std::move(ka).error());
  q->kernargs_ = std::move(ka).value();
  auto ib = dev.alloc_raw(kIbPoolBytes, kUncachedGttFlags, true, MemoryKind::kHost);
  if (!ib) return fail(std::move(ib).error());
  q->ibs_ = std::move(ib).value();
  q->name_ = dev.label() + " compute" + std::to_string(index) + " (AQL, queue " +
             std::to_string(q->b_.created.queue_id) + ")";
  return q;
}

KfdAqlQueue::~KfdAqlQueue() { destroy_live_queue(dev_, b_); }

Result<std::span<uint32_t, kAqlPacketDwords>> KfdAqlQueue::next_slot() {
  // The last read pointer seen is a lower bound; the uncached one is read only when full.
  if (put_ - rptr_seen_ >= slots_ && put_ - (rptr_seen_ = rptr()) >= slots_) {
    if (submitted_ != put_) RAWGPU_TRY(submit());
    if (put_ - submitted_ >= slots_)
      return Error::invalid("enqueue on " + name_, "more packets than the ring holds; submit more often");
    RAWGPU_TRY(wait_for_space(*this, [&] { return put_ - (rptr_seen_ = rptr()) < slots_; }));
  }
  uint32_t* slot = ring_ + (put_ % slots_) * kAqlPacketDwords;
  ++put_;
  return std::span<uint32_t, kAqlPacketDwords>(slot, kAqlPacketDwords);
}

Result<uint64_t> KfdAqlQueue::pool_alloc(ReuseRing& ring, uint64_t bytes, uint64_t align) {
  uint64_t need = 0;
  const uint64_t off = ring.alloc(bytes, align, need);
  RAWGPU_TRY(wait_position(need));
  return off;
}

// Waits until the CP has consumed queue position `pos` (submitting first if needed).
Status KfdAqlQueue::wait_position(uint64_t pos) {
  if (pos > rptr_seen_ && pos > (rptr_seen_ = rptr())) {
    if (pos > submitted_) RAWGPU_TRY(submit());
    RAWGPU_TRY(wait_for_space(*this, [&] { return (rptr_seen_ = rptr()) >= pos; }));
  }
  return {};
}

Status KfdAqlQueue::publish_ib(std::span<const uint32_t> pm4) {
  RAWGPU_ASSIGN(uint64_t off, pool_alloc(ib_ring_, pm4.size() * 4, 16));
  std::memcpy(static_cast<uint8_t*>(ibs_->cpu_ptr()) + off, pm4.data(), pm4.size() * 4);
  RAWGPU_ASSIGN(auto slot, next_slot());
  core::EncodeResult r = encode_aql(slot, AqlPm4Ib{.ib_base = ibs_->gpu_addr() + off,
                                                   .ib_size = static_cast<uint32_t>(pm4.size())});
  if (!r) return core::to_error(r);
  ib_ring_.used_until(put_);
  return {};
}

Status KfdAqlQueue::exec(const queues::Program& program, const queues::KernelArgs& args,
                         queues::Dim3 grid, queues::Dim3 block) {
  const auto& p = static_cast<const KfdProgram&>(program);
  const HsaKernel& k = p.kernel;
  // Plain fast checks; Status-returning slow paths only when they fail (as the PM4 exec).
  if (!launch_fits(k, args, grid, block)) [[unlikely]]
    return check_launch(k, args, grid, block);
  if (p.private_bytes > scratch_.plan.item_bytes) [[unlikely]] {
    if (Status s = ensure_scratch(p.private_bytes); !s) return s;
  }
  uint64_t need = 0;
  const uint64_t ka = kernarg_ring_.alloc(k.kernarg_size, std::max<uint32_t>(k.kernarg_align, 64), need);
  if (need > rptr_seen_) [[unlikely]] {
    if (Status s = wait_position(need); !s) return s;
  }
  write_kernargs(static_cast<uint8_t*>(kernargs_->cpu_ptr()) + ka, k, args, grid, block);
  const uint16_t dims = grid.z > 1 || block.z > 1 ? 3 : (grid.y > 1 || block.y > 1 ? 2 : 1);
  RAWGPU_ASSIGN(auto slot, next_slot());
  core::EncodeResult r = encode_aql(
      slot, AqlKernelDispatch{.dimensions = static_cast<uint8_t>(dims),
                              .workgroup_size_x = static_cast<uint16_t>(block.x),
                              .workgroup_size_y = static_cast<uint16_t>(block.y),
                              .workgroup_size_z = static_cast<uint16_t>(block.z),
                              .grid_size_x = grid.x * block.x,
                              .grid_size_y = grid.y * block.y,
                              .grid_size_z = grid.z * block.z,
                              .private_segment_size = p.private_bytes,
                              .group_segment_size = k.group_segment_fixed_size,
                              .kernel_object = p.kd_va,
                              .kernarg_address = kernargs_->gpu_addr() + ka});
  if (!r) return core::to_error(r);
  kernarg_ring_.used_until(put_);
  return {};
}

// Grows the scratch the CP hands to dispatches (amd_queue_t scratch fields, fact sheet §4.6/§7).
// The CP reads those fields per dispatch, so they change only while the queue is idle.
Status KfdAqlQueue::ensure_scratch(uint32_t item_bytes) {
  RAWGPU_ASSIGN(ScratchPlan plan, dev_.plan_scratch(item_bytes));
  if (put_ > rptr_seen_) {
    RAWGPU_TRY(submit());
    RAWGPU_TRY(wait_for_space(*this, [&] { return (rptr_seen_ = rptr()) >= put_; }));
  }
  amd_queue_t& aq = amd_queue();
  aq.compute_tmpring_size = 0;
  aq.scratch_backing_memory_location = 0;
  aq.scratch_backing_memory_byte_size = 0;
  aq.scratch_wave64_lane_byte_size = 0;
  scratch_ = QueueScratch{};
  RAWGPU_ASSIGN(scratch_, dev_.make_scratch(plan, false));
  const uint64_t base = scratch_.base();
  // V# word2 = lo32(size per XCC) on the AQL path (fact sheet §7).
  const auto v = scratch_vsharp(base, static_cast<uint32_t>(std::min<uint64_t>(plan.bytes_per_xcc, 0xFFFFFFFFu)),
                                dev_.gfx());
  std::copy(v.begin(), v.end(), aq.scratch_resource_descriptor);
  aq.scratch_backing_memory_location = base;
  aq.scratch_backing_memory_byte_size = plan.bytes;
  aq.scratch_wave64_lane_byte_size = plan.item_bytes;
  std::atomic_ref<uint32_t>(aq.compute_tmpring_size).store(plan.tmpring, std::memory_order_release);
  return {};
}

Status KfdAqlQueue::signal(queues::Signal& s, uint64_t value) {
  static_cast<KfdSignal&>(s).last_queue.store(this, std::memory_order_relaxed);
  IbWriter w(*this, dev_.gfx());
  RAWGPU_TRY(w.signal(s.gpu_addr(), value, dev_.queue_event_mailbox(), dev_.queue_event_id()));
  return w.flush();
}
Status KfdAqlQueue::wait(queues::Signal& s, uint64_t value) {
  IbWriter w(*this, dev_.gfx());
  RAWGPU_TRY(w.wait(s.gpu_addr(), value));
  return w.flush();
}
Status KfdAqlQueue::timestamp(queues::Signal& s) {
  IbWriter w(*this, dev_.gfx());
  RAWGPU_TRY(w.timestamp(s.gpu_addr()));
  return w.flush();
}
Status KfdAqlQueue::barrier() {
  // Every packet carries the barrier bit; a barrier-AND with no dependencies orders the rest
  // and its release fence makes memory visible.
  RAWGPU_ASSIGN(auto slot, next_slot());
  core::EncodeResult r = encode_aql(slot, AqlBarrierAnd{});
  if (!r) return core::to_error(r);
  return {};
}

Status KfdAqlQueue::submit() {
  if (put_ == submitted_) return {};
  dev_.hdp_flush();  // kernargs were written through the BAR; AQL has no PM4 HDP flush

  auto* wptr = reinterpret_cast<uint64_t*>(static_cast<uint8_t*>(b_.gart->cpu_ptr()) + kGartWptr);
  std::atomic_ref<uint64_t>(*wptr).store(put_, std::memory_order_release);
  // AQL doorbell: index of the last packet written (§4.5).
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(b_.doorbell)).store(put_ - 1, std::memory_order_release);
  submitted_ = put_;
  return {};
}

std::string KfdAqlQueue::describe_state() const {
  const uint64_t r = rptr();
  std::string s = name_ + ": read_dispatch_id " + std::to_string(r) + ", write_dispatch_id " +
                  std::to_string(submitted_) + ", enqueued " + std::to_string(put_) + " (packets)";
  const uint64_t from = r, to = std::min(put_, r + 8);
  if (to > from) {
    s += "; packets from " + std::to_string(from) + ":\n";
    for (uint64_t i = from; i < to; ++i) {
      const std::span<const uint32_t> slot(ring_ + (i % slots_) * kAqlPacketDwords, kAqlPacketDwords);
      s += disassemble(slot, PacketFormat{.engine = Engine::kAql}, static_cast<uint32_t>(i * kAqlPacketDwords));
      // Show the PM4 inside vendor IB packets too (they live in our IB pool).
      auto d = decode_aql(slot, 0);
      if (!d) continue;
      if (auto ib = d->as<AqlPm4Ib>()) {
        const uint64_t base = ibs_->gpu_addr();
        if (ib->ib_base >= base && ib->ib_base + uint64_t{ib->ib_size} * 4 <= base + ibs_->size()) {
          const auto* dw = reinterpret_cast<const uint32_t*>(static_cast<const uint8_t*>(ibs_->cpu_ptr()) +
                                                             (ib->ib_base - base));
          std::string text = disassemble(std::span<const uint32_t>(dw, ib->ib_size),
                                         PacketFormat{.engine = Engine::kPm4, .gfx = dev_.gfx()});
          for (size_t pos = 0; pos < text.size();) {
            size_t nl = text.find('\n', pos);
            s += "    IB " + text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos + 1);
            pos = nl == std::string::npos ? text.size() : nl + 1;
          }
        }
      }
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// SDMA copy queue (§6.3): packets never straddle the ring end; the tail is filled with NOPs.
class KfdCopyQueue final : public queues::CopyQueue, public KfdQueue {
 public:
  static Result<std::unique_ptr<KfdCopyQueue>> create(KfdDevice& dev, uint32_t ring_bytes, int index);
  ~KfdCopyQueue() override;

  Status copy(const queues::Buffer& dst, uint64_t dst_offset, const queues::Buffer& src,
              uint64_t src_offset, uint64_t n) override;
  Status signal(queues::Signal& s, uint64_t value) override;
  Status wait(queues::Signal& s, uint64_t value) override;
  Status timestamp(queues::Signal& s) override;
  Status barrier() override { return {}; }  // SDMA executes its ring in order
  Status submit() override;
  const std::string& name() const override { return name_; }
  std::string describe() const override { return describe_state(); }
  std::string describe_state() const override;

 private:
  explicit KfdCopyQueue(KfdDevice& dev) : dev_(dev) {}
  uint64_t rptr() const {
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(
                                         static_cast<uint8_t*>(b_.gart->cpu_ptr()) + kGartRptr))
        .load(std::memory_order_acquire);
  }
  // A contiguous span of `dwords` in the ring (after NOP padding at the wrap).
  Result<std::span<uint32_t>> reserve(uint32_t dwords);
  template <class P>
  Status emit(const P& p) {
    const uint32_t n = packet_dwords(p, dev_.sdma());
    RAWGPU_ASSIGN(std::span<uint32_t> out, reserve(n));
    core::EncodeResult r = encode(out, p, dev_.sdma());
    if (!r) return core::to_error(r);
    put_ += uint64_t{r.dwords} * 4;
    return {};
  }

  KfdDevice& dev_;
  QueueBuffers b_;
  uint32_t* ring_ = nullptr;
  uint64_t ring_bytes_ = 0;
  uint64_t put_ = 0, submitted_ = 0;
  uint64_t rptr_seen_ = 0;  // last rptr read (a lower bound)
};

Result<std::unique_ptr<KfdCopyQueue>> KfdCopyQueue::create(KfdDevice& dev, uint32_t ring_bytes, int index) {
  std::unique_ptr<KfdCopyQueue> q(new KfdCopyQueue(dev));
  RAWGPU_ASSIGN(q->b_, make_queue(dev, KFD_IOC_QUEUE_TYPE_SDMA, ring_bytes));
  q->ring_ = static_cast<uint32_t*>(q->b_.ring->cpu_ptr());
  q->ring_bytes_ = ring_bytes;
  q->name_ = dev.label() + " copy" + std::to_string(index) + " (SDMA, queue " +
             std::to_string(q->b_.created.queue_id) + ")";
  return q;
}

KfdCopyQueue::~KfdCopyQueue() { destroy_live_queue(dev_, b_); }

Result<std::span<uint32_t>> KfdCopyQueue::reserve(uint32_t dwords) {
  const uint64_t bytes = uint64_t{dwords} * 4;
  const uint64_t tail = ring_bytes_ - put_ % ring_bytes_;
  const uint64_t need = bytes + (bytes > tail ? tail : 0);
  if (need > ring_bytes_) return Error::invalid("enqueue on " + name_, "packet larger than the ring");
  if (put_ + need - rptr_seen_ > ring_bytes_ && put_ + need - (rptr_seen_ = rptr()) > ring_bytes_) {
    if (submitted_ != put_) RAWGPU_TRY(submit());
    if (put_ + need - submitted_ > ring_bytes_)
      return Error::invalid("enqueue on " + name_, "more commands than the ring holds; submit more often");
    RAWGPU_TRY(wait_for_space(*this, [&] { return put_ + need - (rptr_seen_ = rptr()) <= ring_bytes_; }));
  }
  if (bytes > tail) {
    fill_sdma_nops(std::span<uint32_t>(ring_ + (put_ % ring_bytes_) / 4, tail / 4));
    put_ += tail;
  }
  return std::span<uint32_t>(ring_ + (put_ % ring_bytes_) / 4, dwords);
}

Status KfdCopyQueue::copy(const queues::Buffer& dst, uint64_t dst_offset, const queues::Buffer& src,
                          uint64_t src_offset, uint64_t n) {
  if (dst_offset > dst.size() || n > dst.size() - dst_offset || src_offset > src.size() ||
      n > src.size() - src_offset)
    return Error::invalid("copy on " + name_, "range outside the buffer (" + std::to_string(n) +
                                                  " bytes at dst+" + std::to_string(dst_offset) +
                                                  ", src+" + std::to_string(src_offset) + ")");
  const uint64_t chunk = sdma_copy_max_bytes(dev_.sdma());
  for (uint64_t done = 0; done < n;) {
    const uint64_t len = std::min(chunk, n - done);
    RAWGPU_TRY(emit(SdmaCopyLinear{.src = src.gpu_addr() + src_offset + done,
                                   .dst = dst.gpu_addr() + dst_offset + done,
                                   .bytes = static_cast<uint32_t>(len)}));
    done += len;
  }
  return {};
}

Status KfdCopyQueue::signal(queues::Signal& s, uint64_t value) {
  static_cast<KfdSignal&>(s).last_queue.store(this, std::memory_order_relaxed);
  const uint32_t v[2] = {static_cast<uint32_t>(value), static_cast<uint32_t>(value >> 32)};
  RAWGPU_TRY(emit(SdmaWriteUntiled{.dst = s.gpu_addr(), .data = std::span<const uint32_t>(v, 2)}));
  // Mailbox, then the trap that raises the interrupt (tinygrad's SDMA timeline, §6.3).
  RAWGPU_TRY(emit(SdmaFence{.addr = dev_.queue_event_mailbox(), .data = dev_.queue_event_id()}));
  return emit(SdmaTrap{.int_context = dev_.queue_event_id()});
}
Status KfdCopyQueue::wait(queues::Signal& s, uint64_t value) {
  if (value > 0xFFFFFFFFull)
    return Error::invalid("wait on " + name_, "GPU-side waits compare 32 bits (POLL_REGMEM); keep "
                                              "timeline values below 2^32");
  return emit(SdmaPollRegmem{.addr = s.gpu_addr(), .reference = static_cast<uint32_t>(value)});
}
Status KfdCopyQueue::timestamp(queues::Signal& s) {
  return emit(SdmaTimestamp{.addr = s.gpu_addr() + 8});
}
Status KfdCopyQueue::submit() {
  if (put_ == submitted_) return {};
  auto* wptr = reinterpret_cast<uint64_t*>(static_cast<uint8_t*>(b_.gart->cpu_ptr()) + kGartWptr);
  std::atomic_ref<uint64_t>(*wptr).store(put_, std::memory_order_release);
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(b_.doorbell)).store(put_, std::memory_order_release);
  submitted_ = put_;
  return {};
}

std::string KfdCopyQueue::describe_state() const {
  const uint64_t r = rptr();
  std::string s = name_ + ": rptr " + std::to_string(r) + ", wptr " + std::to_string(submitted_) +
                  ", enqueued " + std::to_string(put_) + " (bytes)";
  // SDMA packets never straddle the wrap, so the window from rptr to the end of the ring (or put)
  // starts on a packet boundary.
  const uint64_t from = r, to = std::min(put_, r - r % ring_bytes_ + ring_bytes_);
  if (to > from) {
    const uint64_t n = std::min<uint64_t>((to - from) / 4, 256);
    s += "; packets from byte " + std::to_string(from) + ":\n";
    s += disassemble(std::span<const uint32_t>(ring_ + (from % ring_bytes_) / 4, n),
                     PacketFormat{.engine = Engine::kSdma, .sdma = dev_.sdma()},
                     static_cast<uint32_t>(from / 4));
  }
  return s;
}

void destroy_live_queue(KfdDevice& dev, QueueBuffers& b) {
  if (!b.live) return;
  b.live = false;
  auto s = destroy_queue(dev.sys(), dev.kfd_fd(), b.created.queue_id);
  if (!s) core::log_warn(s.error().message());
}

// ---------------------------------------------------------------------------------------------
KfdBuffer::~KfdBuffer() { dev_->release_buffer(*this, owns_va_, anon_backing_); }

KfdSignal::~KfdSignal() { dev_->release_signal(slot_); }

uint64_t KfdSignal::timestamp_ns() const {
  const uint64_t ticks = std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(cpu_ + 8)).load();
  return ticks * 10;  // 100 MHz GPU clock (§11.6: tinygrad's assumption, UNCONFIRMED per SKU)
}

Status KfdSignal::wait(uint64_t target, std::chrono::milliseconds timeout) {
  if (value() >= target) return {};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  // Spin briefly: most waits on a busy queue end within microseconds.
  for (int i = 0; i < 2000; ++i) {
    if (value() >= target) return {};
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > start + std::chrono::microseconds(50))
      break;
  }
  for (;;) {
    if (value() >= target) return {};
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    Status s = dev_->sleep_on_events(static_cast<uint32_t>(std::clamp<int64_t>(left, 1, 20)));
    if (!s) {
      if (value() >= target) return {};
      Error e = std::move(s).error();
      const KfdQueue* q = last_queue.load();
      return Error(e.kind(), e.op(), e.err(), e.status(), e.status_name(),
                   e.hint() + (q ? "; " + q->describe_state() : std::string()));
    }
  }
  const KfdQueue* q = last_queue.load();
  return Error::timeout("wait for signal " + hex(gpu_) + " >= " + std::to_string(target),
                        "value is " + std::to_string(value()) + " after " +
                            std::to_string(timeout.count()) + " ms; " +
                            (q ? q->describe_state() : std::string("no queue has signalled it yet")));
}

// ---------------------------------------------------------------------------------------------
KfdDevice::~KfdDevice() {
  signal_pool_.reset();
  if (have_events_) {
    for (uint32_t id : {queue_event_.event_id, memory_event_.event_id, hw_event_.event_id})
      (void)destroy_event(sys_, kfd_fd_, id);
  }
  if (event_page_) {
    // The event page lives until /dev/kfd is closed (FREE would say EPERM, §2.4): only the
    // CPU mapping goes, and the kernel releases the rest with the process.
    event_page_->keep_in_kernel();
    event_page_.reset();
  }
  if (hdp_mem_flush_)
    sys_.mmap(hdp_mem_flush_, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  mmio_.reset();
  if (doorbells_) sys_.munmap(doorbells_, 8192);
  va_.reset();
  if (va_base_) sys_.munmap(va_base_, kVaSpan);
  if (drm_fd_ >= 0) sys_.close(drm_fd_);
  if (kfd_fd_ >= 0) sys_.close(kfd_fd_);
}

Status KfdDevice::init() {
  const std::string kfd_path = opts_.dev_root + "/kfd";
  int fd = sys_.open(kfd_path.c_str(), O_RDWR, 0);
  if (fd < 0)
    return Error::sys("open " + kfd_path, -fd,
                      -fd == EACCES ? "add this user to the 'render' group" : "is amdgpu loaded?");
  kfd_fd_ = fd;
  RAWGPU_ASSIGN(Topology topo, read_topology(sys_, opts_.sys_root + "/devices/virtual/kfd/kfd/topology"));
  std::vector<const Node*> gpus = topo.gpus();
  if (opts_.index >= gpus.size())
    return Error::not_found("open " + opts_.name.str(),
                            "KFD lists " + std::to_string(gpus.size()) + " GPU node(s)");
  node_ = *gpus[opts_.index];
  gpu_id_ = node_.gpu_id;
  RAWGPU_ASSIGN(gfx_, gfx_gen_of(node_.gfx_target_version()));
  sdma_ = default_sdma_gen(gfx_);
  label_ = opts_.name.str() + " (" + node_.gfx_name() + ")";

  // The render node: through libdrm on the host, cross-checked with the topology (kfd/topology.h).
  RAWGPU_ASSIGN(RenderNode rn, find_render_node(sys_, node_, opts_.dev_root));
  const std::string& render = rn.path;
  fd = sys_.open(render.c_str(), O_RDWR, 0);
  if (fd < 0)
    return Error::sys("open " + render, -fd, -fd == EACCES ? "add this user to the 'render' group" : "");
  drm_fd_ = fd;
  RAWGPU_ASSIGN(version_, get_version(sys_, kfd_fd_));
  RAWGPU_TRY(acquire_vm(sys_, kfd_fd_, gpu_id_, drm_fd_));
  if (version_.at_least(kMinorRuntimeEnable)) {
    auto r = runtime_enable(sys_, kfd_fd_);
    if (!r && r.error().err() != EBUSY) return std::move(r).error();
  }
  // The GPU VM aperture; our VA span must lie inside it (§3.2).
  RAWGPU_ASSIGN(auto apertures, get_process_apertures_new(sys_, kfd_fd_));
  const kfd_process_device_apertures* ap = nullptr;
  for (const auto& a : apertures)
    if (a.gpu_id == gpu_id_) ap = &a;
  if (!ap) return Error::internal("GET_PROCESS_APERTURES_NEW", "no aperture for gpu " + std::to_string(gpu_id_));
  // Reserve CPU address space; GPU VA == CPU VA inside it, as tinygrad does.
  core::MapResult res = sys_.mmap(nullptr, kVaSpan, PROT_NONE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (!res.addr) return Error::sys("mmap (reserve GPU VA space)", res.err);
  va_base_ = res.addr;
  const uint64_t base = (reinterpret_cast<uint64_t>(va_base_) + (2 << 20) - 1) & ~uint64_t((2 << 20) - 1);
  const uint64_t end = reinterpret_cast<uint64_t>(va_base_) + kVaSpan;
  if (base < ap->gpuvm_base || end - 1 > ap->gpuvm_limit)
    return Error::unsupported("GPU VA", "the reserved range is outside the GPUVM aperture [" +
                                            hex(ap->gpuvm_base) + ", " + hex(ap->gpuvm_limit) + "]");
  RAWGPU_ASSIGN(va_, memory::VaAllocator::create(base, (end - base) & ~uint64_t((2 << 20) - 1)));

  // Event page + events (§0 steps 8–10).
  RAWGPU_ASSIGN(event_page_, alloc_raw(kEventPageBytes, kUncachedGttFlags, true, MemoryKind::kHost));
  RAWGPU_ASSIGN(queue_event_, create_event(sys_, kfd_fd_, {.event_type = KFD_IOC_EVENT_SIGNAL,
                                                          .auto_reset = true,
                                                          .event_page_handle = event_page_->handle()}));
  have_events_ = true;
  // Exceptions are reported once each (auto reset), to whichever wait sees them first.
  RAWGPU_ASSIGN(memory_event_, create_event(sys_, kfd_fd_, {.event_type = KFD_IOC_EVENT_MEMORY,
                                                           .auto_reset = true,
                                                           .node_id = node_.index}));
  RAWGPU_ASSIGN(hw_event_, create_event(sys_, kfd_fd_, {.event_type = KFD_IOC_EVENT_HW_EXCEPTION,
                                                       .auto_reset = true,
                                                       .node_id = node_.index}));
  RAWGPU_ASSIGN(signal_pool_, alloc_raw(kSignalPoolBytes, kUncachedGttFlags, true, MemoryKind::kHost));
  map_mmio_remap();
  for (uint32_t i = kSignalPoolBytes / kSignalSlotBytes; i-- > 0;) free_signals_.push_back(i);

  props_.name = opts_.name;
  props_.backend = "kfd";
  props_.arch = node_.gfx_name();
  props_.marketing_name = node_.name;
  props_.memory_bytes = node_.vram_bytes();
  props_.compute_units = node_.compute_units();
  props_.simd_width = static_cast<uint32_t>(node_.prop("wave_front_size"));
  props_.max_clock_mhz = static_cast<uint32_t>(node_.prop("max_engine_clk_fcompute"));
  props_.timestamp_hz = 100'000'000;
  props_.simulated = opts_.simulated;
  return {};
}

// The MMIO remap page: ALLOC with MMIO_REMAP (exactly one page), mapped from /dev/kfd at the
// offset KFD returns (§3.5). Optional: without it AQL queues rely on the kernel's coherent BAR.
void KfdDevice::map_mmio_remap() {
  auto b = alloc_raw(kPage, kBaseFlags | KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP, false, MemoryKind::kHost);
  if (!b) {
    core::log_info("no MMIO remap page on " + label_ + ": " + b.error().message());
    return;
  }
  core::MapResult m = sys_.mmap(reinterpret_cast<void*>((*b)->gpu_addr()), kPage, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_FIXED, kfd_fd_, static_cast<int64_t>(mmio_offset_));
  if (!m.addr) {
    core::log_info("MMIO remap page of " + label_ + " cannot be mapped: " + core::errno_name(m.err));
    return;
  }
  mmio_ = std::move(b).value();
  hdp_mem_flush_ = static_cast<uint32_t*>(m.addr);  // HDP_MEM_FLUSH_CNTL at byte 0
}

// tinygrad's _ensure_has_local_memory arithmetic (fact sheet §7): 64 lanes per wave (over-sizing
// wave32), max_slots_scratch_cu waves per CU, WAVES per XCC on gfx9 and per SE on gfx10+.
Result<ScratchPlan> KfdDevice::plan_scratch(uint32_t item_bytes) const {
  const std::string op = "scratch for " + std::to_string(item_bytes) + " private bytes per work-item on " + label_;
  const uint32_t granule = scratch_wave_granule(gfx_);
  const uint32_t xcc = node_.num_xcc();
  const uint32_t cu_per_xcc = node_.compute_units() / xcc;
  const auto slots = static_cast<uint32_t>(node_.prop("max_slots_scratch_cu"));
  const auto arrays = static_cast<uint32_t>(node_.prop("array_count"));
  const auto per_se = static_cast<uint32_t>(node_.prop("simd_arrays_per_engine"));
  const uint32_t se_per_xcc = per_se ? arrays / per_se / xcc : 0;
  if (slots == 0 || cu_per_xcc == 0 || (gfx_ != GfxGen::kGfx9 && se_per_xcc == 0))
    return Error::unsupported(op, "the topology lacks max_slots_scratch_cu, compute units or shader engines");
  ScratchPlan p;
  p.num_xcc = xcc;
  p.architected = architected_flat_scratch(node_.gfx_target_version());
  const uint32_t lane_unit = granule / 64;
  p.item_bytes = (item_bytes + lane_unit - 1) / lane_unit * lane_unit;
  p.bytes_per_xcc = uint64_t{p.item_bytes} * 64 * slots * cu_per_xcc;
  p.bytes = p.bytes_per_xcc * xcc;
  const uint32_t wavesize = (64 * p.item_bytes + granule - 1) / granule;
  const uint64_t waves = std::min<uint64_t>(
      p.bytes_per_xcc / (uint64_t{wavesize} * granule) / (gfx_ == GfxGen::kGfx9 ? 1 : se_per_xcc),
      std::min<uint64_t>(uint64_t{cu_per_xcc} * slots * xcc, kTmpringMaxWaves));
  auto ring = encode_tmpring_size({.waves = static_cast<uint32_t>(waves), .wavesize = wavesize}, gfx_);
  if (!ring)
    return Error::unsupported(op, "more private memory per work-item than COMPUTE_TMPRING_SIZE.WAVESIZE can describe");
  p.tmpring = *ring;
  return p;
}

Result<QueueScratch> KfdDevice::make_scratch(const ScratchPlan& plan, bool xcc_ib) {
  QueueScratch s;
  s.plan = plan;
  auto mem = alloc_raw(plan.bytes, kBaseFlags | KFD_IOC_ALLOC_MEM_FLAGS_VRAM, false, MemoryKind::kDevice);
  if (!mem) {
    Error e = std::move(mem).error();
    return e.context("allocate " + std::to_string(plan.bytes) + " bytes of scratch on " + label_);
  }
  s.mem = std::move(mem).value();
  if (xcc_ib && plan.architected && plan.num_xcc > 1) {
    DispatchTemplate buf;
    CaptureWriter w(buf, gfx_);
    for (uint32_t x = 0; x < plan.num_xcc; ++x) {
      const uint64_t slice = s.mem->gpu_addr() + x * plan.bytes_per_xcc;
      RAWGPU_TRY(w.emit(Pm4PredExec{.exec_count = 4, .device_select = static_cast<uint8_t>(1u << x)}));
      RAWGPU_TRY(w.set_sh(regCOMPUTE_DISPATCH_SCRATCH_BASE_LO,
                          {static_cast<uint32_t>(slice >> 8), static_cast<uint32_t>(slice >> 40)}));
    }
    RAWGPU_ASSIGN(s.xcc_ib, alloc_raw(buf.n * 4, kUncachedGttFlags, true, MemoryKind::kHost));
    std::memcpy(s.xcc_ib->cpu_ptr(), buf.dw.data(), buf.n * 4);
    s.xcc_ib_dwords = buf.n;
  }
  return s;
}

Result<uint8_t*> KfdDevice::doorbell(uint64_t doorbell_offset) {
  std::lock_guard lk(doorbell_mu_);
  const uint64_t page = doorbell_offset & ~uint64_t{0x1FFF};
  if (!doorbells_) {
    // One 8 KiB doorbell slice per process per GPU (§3.4).
    core::MapResult m = sys_.mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, kfd_fd_,
                                  static_cast<int64_t>(page));
    if (!m.addr) return Error::sys("mmap doorbells", m.err);
    doorbells_ = static_cast<uint8_t*>(m.addr);
    doorbell_page_offset_ = page;
  } else if (page != doorbell_page_offset_) {
    return Error::internal("doorbell", "queue doorbell outside the mapped slice");
  }
  return doorbells_ + (doorbell_offset & 0x1FFF);
}

Status KfdDevice::sleep_on_events(uint32_t ms) {
  std::array<kfd_event_data_v114, 3> ev{};
  ev[0].event_id = queue_event_.event_id;
  ev[1].event_id = memory_event_.event_id;
  ev[2].event_id = hw_event_.event_id;
  RAWGPU_ASSIGN(uint32_t r, wait_events(sys_, kfd_fd_, ev, false, ms));
  if (r == KFD_IOC_WAIT_RESULT_COMPLETE) {
    const auto& m = ev[1].memory_exception_data;
    if (m.gpu_id != 0) {
      std::string what = m.failure.NotPresent ? "not present" : m.failure.ReadOnly ? "read-only" :
                         m.failure.NoExecute ? "no-execute" : "unknown";
      return Error::gpu_fault("GPU page fault at " + hex(m.va) + " on " + label_,
                              "memory access (" + what + ") by a kernel or packet; the queue has stopped");
    }
    if (ev[2].hw_exception_data.gpu_id != 0)
      return Error::gpu_fault("GPU hardware exception on " + label_,
                              "reset type " + std::to_string(ev[2].hw_exception_data.reset_type));
  }
  return {};
}

Result<std::unique_ptr<KfdBuffer>> KfdDevice::alloc_raw(uint64_t size, uint32_t flags, bool cpu_map,
                                                        MemoryKind kind) {
  if (size == 0) return Error::invalid("alloc", "size 0");
  size = (size + kPage - 1) & ~(kPage - 1);
  const uint64_t align = size >= (2u << 20) ? (2u << 20) : kPage;
  // One unmapped guard page after every buffer: a kernel that runs off the end faults at the
  // first byte past it instead of corrupting a neighbour (VA space is plentiful; no memory cost).
  RAWGPU_ASSIGN(uint64_t va, va_->alloc(size + kPage, align));
  const bool userptr = flags & KFD_IOC_ALLOC_MEM_FLAGS_USERPTR;
  if (userptr) {
    // Host memory: our own anonymous shared pages at the reserved VA, pinned with USERPTR.
    core::MapResult m = sys_.mmap(reinterpret_cast<void*>(va), size, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (!m.addr) {
      (void)va_->free(va);
      return Error::sys("mmap host memory", m.err);
    }
  }
  auto undo_va = [&] {
    if (userptr)
      sys_.mmap(reinterpret_cast<void*>(va), size, PROT_NONE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    (void)va_->free(va);
  };
  auto a = alloc_memory_of_gpu(sys_, kfd_fd_, {.gpu_id = gpu_id_, .va_addr = va, .size = size,
                                               .flags = flags, .userptr = userptr ? va : 0});
  if (!a) {
    undo_va();
    return std::move(a).error();
  }
  const uint32_t ids[1] = {gpu_id_};
  if (auto s = map_memory_to_gpu(sys_, kfd_fd_, a->handle, ids); !s) {
    (void)free_memory_of_gpu(sys_, kfd_fd_, a->handle);
    undo_va();
    return std::move(s).error();
  }
  if (flags & KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP) mmio_offset_ = a->mmap_offset;
  void* cpu = userptr ? reinterpret_cast<void*>(va) : nullptr;
  if (cpu_map && !userptr) {
    core::MapResult m = sys_.mmap(reinterpret_cast<void*>(va), size, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_FIXED, drm_fd_, static_cast<int64_t>(a->mmap_offset));
    if (!m.addr) {
      (void)unmap_memory_from_gpu(sys_, kfd_fd_, a->handle, ids);
      (void)free_memory_of_gpu(sys_, kfd_fd_, a->handle);
      undo_va();
      return Error::sys("mmap buffer", m.err, "CPU mapping of GPU memory failed");
    }
    cpu = m.addr;
  }
  return std::make_unique<KfdBuffer>(this, va, size, cpu, kind, a->handle, true, userptr);
}

void KfdDevice::release_buffer(KfdBuffer& b, bool owns_va, bool anon_backing) {
  if (b.kernel_owned()) {
    if (b.cpu_ptr()) sys_.munmap(b.cpu_ptr(), b.size());
    return;
  }
  const uint32_t ids[1] = {gpu_id_};
  if (auto s = unmap_memory_from_gpu(sys_, kfd_fd_, b.handle(), ids); !s)
    core::log_warn("release buffer: " + s.error().message());
  if (owns_va && (b.cpu_ptr() || anon_backing)) {
    // Put the reservation back over the freed pages.
    sys_.mmap(reinterpret_cast<void*>(b.gpu_addr()), b.size(), PROT_NONE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  }
  if (auto s = free_memory_of_gpu(sys_, kfd_fd_, b.handle()); !s)
    core::log_warn("release buffer: " + s.error().message());
  if (owns_va) (void)va_->free(b.gpu_addr());
}

Result<std::unique_ptr<queues::Buffer>> KfdDevice::alloc(uint64_t size, MemoryKind kind) {
  uint32_t flags = kBaseFlags;
  bool map = false;
  switch (kind) {
    case MemoryKind::kDevice: flags |= KFD_IOC_ALLOC_MEM_FLAGS_VRAM; break;
    case MemoryKind::kDeviceMapped:
      flags |= KFD_IOC_ALLOC_MEM_FLAGS_VRAM | KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC;
      map = true;
      break;
    case MemoryKind::kHost: flags |= KFD_IOC_ALLOC_MEM_FLAGS_USERPTR; break;
  }
  auto b = alloc_raw(size, flags, map, kind);
  if (!b) {
    Error e = std::move(b).error();
    return e.context("alloc " + std::to_string(size) + " bytes of " + queues::memory_kind_name(kind) +
                     " memory on " + label_);
  }
  return std::unique_ptr<queues::Buffer>(std::move(b).value());
}

Result<std::unique_ptr<queues::Buffer>> KfdDevice::map_host(void* ptr, uint64_t size) {
  const auto va = reinterpret_cast<uint64_t>(ptr);
  if (!ptr || va % kPage || size == 0 || size % kPage)
    return Error::invalid("map_host", "pointer and size must be non-zero and page-aligned");
  // USERPTR: the GPU VA is the CPU address (§3.2).
  RAWGPU_ASSIGN(Allocation a, alloc_memory_of_gpu(sys_, kfd_fd_,
                                                  {.gpu_id = gpu_id_, .va_addr = va, .size = size,
                                                   .flags = kBaseFlags | KFD_IOC_ALLOC_MEM_FLAGS_USERPTR,
                                                   .userptr = va}));
  const uint32_t ids[1] = {gpu_id_};
  if (auto s = map_memory_to_gpu(sys_, kfd_fd_, a.handle, ids); !s) {
    (void)free_memory_of_gpu(sys_, kfd_fd_, a.handle);
    return std::move(s).error();
  }
  return std::unique_ptr<queues::Buffer>(
      std::make_unique<KfdBuffer>(this, va, size, ptr, MemoryKind::kHost, a.handle, false, false));
}

Result<std::unique_ptr<queues::Program>> KfdDevice::load(std::span<const uint8_t> code_object,
                                                         std::string_view kernel) {
  RAWGPU_ASSIGN(HsaCodeObject co, parse_code_object(code_object));
  if (co.target.gfx_target_version != node_.gfx_target_version())
    return Error::unsupported("load code object",
                              std::string("built for ") + co.target.name + ", but " + label_ +
                                  " is " + node_.gfx_name() + "; rebuild it with -mcpu=" + node_.gfx_name());
  const HsaKernel* k = co.kernel(kernel);
  if (!k) {
    std::string names;
    for (const auto& kk : co.kernels) names += (names.empty() ? "" : ", ") + kk.name;
    return Error::not_found("load code object", "no kernel '" + std::string(kernel) + "' (has " + names + ")");
  }
  const uint16_t props = k->kd.kernel_code_properties;
  if (architected_flat_scratch(node_.gfx_target_version()) &&
      (props & (KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER |
                KERNEL_CODE_PROPERTY_ENABLE_SGPR_FLAT_SCRATCH_INIT)))
    return Error::unsupported("load " + k->name,
                              node_.gfx_name() + " has architected flat scratch, but the kernel asks for the "
                              "private segment buffer / flat scratch init user SGPRs (fact sheet §8.3)");
  auto prog = std::make_unique<KfdProgram>();
  // Private memory per work-item: the descriptor's fixed size, a default stack for kernels with
  // a dynamic one, and at least a dword when only SCRATCH_EN is set.
  prog->private_bytes = k->private_segment_fixed_size;
  if (props & KERNEL_CODE_PROPERTY_USES_DYNAMIC_STACK)
    prog->private_bytes = std::max(prog->private_bytes, kDynamicStackBytes);
  if (prog->private_bytes == 0 && (k->kd.compute_pgm_rsrc2 & COMPUTE_PGM_RSRC2_ENABLE_PRIVATE_SEGMENT))
    prog->private_bytes = 4;
  auto img = alloc(co.image.size(), MemoryKind::kDeviceMapped);
  if (!img) return std::move(img).error();
  prog->image = std::move(img).value();
  RAWGPU_TRY(relocate(co.image, prog->image->gpu_addr(), co.relocations));
  std::memcpy(prog->image->cpu_ptr(), co.image.data(), co.image.size());
  prog->kernel = *k;
  prog->kd_va = prog->image->gpu_addr() + k->kd_offset;
  prog->entry_va = prog->image->gpu_addr() + k->entry_offset;
  queues::ProgramInfo& info = prog->info_;
  info.name = k->name;
  info.arch = co.target.name;
  info.explicit_args_size = k->explicit_args_size;
  info.kernarg_size = k->kernarg_size;
  info.kernarg_align = k->kernarg_align;
  info.group_segment_size = k->group_segment_fixed_size;
  info.private_segment_size = prog->private_bytes;
  info.max_block_size = k->max_flat_workgroup_size;
  info.args = k->args;
  return std::unique_ptr<queues::Program>(std::move(prog));
}

Result<std::unique_ptr<queues::ComputeQueue>> KfdDevice::create_compute_queue(
    const queues::QueueOptions& options) {
  static std::atomic<int> counter{0};
  const uint32_t ring = options.ring_bytes ? options.ring_bytes : kDefaultRingBytes;
  if (ring < 4096 || (ring & (ring - 1)))
    return Error::invalid("create compute queue", "ring_bytes must be a power of two >= 4096");
  if (options.format.empty() || options.format == "pm4") {
    RAWGPU_ASSIGN(auto q, KfdComputeQueue::create(*this, ring, counter++));
    return std::unique_ptr<queues::ComputeQueue>(std::move(q));
  }
  if (options.format == "aql") {
    RAWGPU_ASSIGN(auto q, KfdAqlQueue::create(*this, ring, counter++));
    return std::unique_ptr<queues::ComputeQueue>(std::move(q));
  }
  return Error::invalid("create compute queue",
                        "unknown format '" + std::string(options.format) + "' (AMD: pm4 or aql)");
}

Result<std::unique_ptr<queues::CopyQueue>> KfdDevice::create_copy_queue(const queues::QueueOptions& options) {
  static std::atomic<int> counter{0};
  const uint32_t ring = options.ring_bytes ? options.ring_bytes : kDefaultRingBytes;
  if (ring < 4096 || (ring & (ring - 1)))
    return Error::invalid("create copy queue", "ring_bytes must be a power of two >= 4096");
  if (!options.format.empty() && options.format != "sdma")
    return Error::invalid("create copy queue", "unknown format '" + std::string(options.format) + "' (AMD: sdma)");
  RAWGPU_ASSIGN(auto q, KfdCopyQueue::create(*this, ring, counter++));
  return std::unique_ptr<queues::CopyQueue>(std::move(q));
}

Result<std::unique_ptr<queues::Signal>> KfdDevice::create_signal(uint64_t initial) {
  uint32_t slot;
  {
    std::lock_guard lk(signal_mu_);
    if (free_signals_.empty())
      return Error::sys("create signal", ENOMEM, "all " + std::to_string(kSignalPoolBytes / kSignalSlotBytes) +
                                                     " signals are in use");
    slot = free_signals_.back();
    free_signals_.pop_back();
  }
  uint8_t* cpu = static_cast<uint8_t*>(signal_pool_->cpu_ptr()) + uint64_t{slot} * kSignalSlotBytes;
  std::memset(cpu, 0, kSignalSlotBytes);
  auto s = std::make_unique<KfdSignal>(this, slot, cpu, signal_pool_->gpu_addr() + uint64_t{slot} * kSignalSlotBytes);
  s->set(initial);
  return std::unique_ptr<queues::Signal>(std::move(s));
}

void KfdDevice::release_signal(uint32_t slot) {
  std::lock_guard lk(signal_mu_);
  free_signals_.push_back(slot);
}

}  // namespace

core::Result<std::unique_ptr<queues::Device>> open_device(core::Sys& sys, const OpenOptions& options) {
  auto dev = std::make_unique<KfdDevice>(sys, options);
  if (auto s = dev->init(); !s) {
    Error e = std::move(s).error();
    return e.context("open " + options.name.str());
  }
  return std::unique_ptr<queues::Device>(std::move(dev));
}

}  // namespace rawgpu::kfd

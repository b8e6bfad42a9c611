// The simulated AMD command processors (cp.h). Facts come from shared/abi/amd-kfd.md (the "fact
// sheet"): §4.1/§4.5 pointer units and doorbells, §4.6 amd_queue_t, §5 interrupts, §6 packet
// formats (decoded only through kfd/packets.h, STYLE rule 5), §8.3 the kernel descriptor, §8.4
// the COV5 hidden arguments, §8.5 user SGPRs, §3.5 the HDP flush.
//
// Threading: one thread per GPU runs loop(). A queue is handed to it as a Slot; the thread marks
// the slot it works on as busy_ under mu_, and remove() waits until the slot is not busy before
// it drops it, so after remove() returns nothing here touches the QueueState again. Everything a
// Slot holds besides `removing` is used by the CP thread only.
#include "sim/amd/cp.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/log.h"
#include "kfd/abi.h"
#include "kfd/hsaco.h"
#include "kfd/packets.h"
#include "sim/host_kernel.h"
#include "sim/kernel_abi.h"

namespace rawgpu::sim::amd {

uint64_t gpu_clock_now() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
  return static_cast<uint64_t>(ns) / (1'000'000'000 / kGpuClockHz);
}

namespace {

using kfd::DecodedPacket;
using kfd::PacketId;

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

// ---- tunables (simulator choices, not hardware facts) --------------------------------------

constexpr uint32_t kPacketBudget = 512;  // packets per queue per round-robin turn
constexpr uint32_t kMaxIbDepth = 4;      // nested INDIRECT_BUFFER levels (guards IB loops)
constexpr auto kSpinTime = std::chrono::microseconds(50);  // yield-spin after the last progress
constexpr auto kFirstNap = std::chrono::microseconds(8);
constexpr auto kMaxNap = std::chrono::microseconds(100);
constexpr uint32_t kMaxWorkgroupItems = 1024;  // max_flat_workgroup_size (fact sheet §8.4)
constexpr uint32_t kLdsGranule = 512;          // GRANULATED_LDS_SIZE unit, gfx7–gfx11 (§8.3)
// HDP flush registers (fact sheet §3.5): BIF_BX_PF{0,1}_GPU_HDP_FLUSH_REQ / _DONE.
constexpr uint32_t kHdpFlushReq = 0xE26;
constexpr uint32_t kHdpFlushDone = 0xE27;
constexpr uint32_t kUserDataRegs = 16;  // COMPUTE_USER_DATA_0..15 (§6.2)
constexpr std::string_view kHostSymbolPrefix = "rg_sim_kernel_";

// amd_signal_t (fact sheet §6.1): i64 value at +8, u64 event_mailbox_ptr at +16, u32 event_id
// at +24.
constexpr uint64_t kSignalValue = 8, kSignalMailbox = 16, kSignalEventId = 24;

// COV5 hidden arguments, relative to the hidden block (fact sheet §8.4).
constexpr uint32_t kHiddenBlockCount = 0, kHiddenGroupSize = 12, kHiddenGridDims = 64;

// ---- per-queue state --------------------------------------------------------------------------

struct IbFrame {
  uint64_t va = 0;
  uint32_t size = 0;            // dwords
  uint32_t pos = 0;             // next dword to execute
  uint32_t parent_advance = 0;  // dwords of the INDIRECT_BUFFER packet in the parent IB
};

struct Slot {
  std::shared_ptr<QueueState> q;
  std::atomic<bool> removing{false};
  // CP-thread-only state.
  uint64_t rptr = 0;  // queue units (§4.1): PM4 dwords, AQL packets, SDMA bytes
  std::array<uint32_t, kfd::kShRegEnd - kfd::kShRegBase> sh{};
  std::map<uint32_t, uint32_t> uconfig;
  std::vector<IbFrame> ibs;         // an IB being executed (kept across a stall)
  uint32_t ring_packet_dwords = 0;  // PM4: the ring packet that started `ibs`
  uint64_t aql_signal = 0;          // AQL: completion signal of the PM4_IB packet in `ibs`
  std::vector<uint32_t> scratch;    // a packet straddling the ring wrap
  std::vector<uint8_t> lds;
};

enum class Step : uint8_t { kDone, kStall, kFault };

struct CachedFn {
  uint64_t so_hash;
  uint32_t so_size;
  std::string symbol;
  rg_sim_kernel_fn fn;
};

// The state shared by all queues of one GPU.
struct Gpu {
  Profile profile;
  uint32_t gpu_id = 0;
  kfd::GfxGen gfx = kfd::GfxGen::kGfx11;
  kfd::SdmaGen sdma = kfd::SdmaGen::kSdma6;
  std::atomic<uint64_t>* packets = nullptr;
  // Host functions by (so hash, symbol); CP thread only, so no lock on the dispatch path.
  std::unordered_multimap<uint64_t, CachedFn> fns;
};

bool compare(kfd::CompareFunc f, uint32_t v, uint32_t ref) {
  switch (f) {
    case kfd::CompareFunc::kAlways: return true;
    case kfd::CompareFunc::kLess: return v < ref;
    case kfd::CompareFunc::kLessEqual: return v <= ref;
    case kfd::CompareFunc::kEqual: return v == ref;
    case kfd::CompareFunc::kNotEqual: return v != ref;
    case kfd::CompareFunc::kGreaterEqual: return v >= ref;
    case kfd::CompareFunc::kGreater: return v > ref;
  }
  return false;
}

std::string describe_fault(const GpuFault& f) { return describe_gpu_fault(f); }

// User SGPRs a kernel descriptor enables, in the order the CP loads them (fact sheet §8.5).
struct UserSgprs {
  uint32_t count = 0;
  int kernarg = -1;  // first COMPUTE_USER_DATA register of the kernarg pointer, -1 if none
  int vsharp = -1;             // private segment buffer V# (4 registers)
  int flat_scratch_init = -1;  // 64-bit scratch base (2)
  int private_size = -1;       // private segment size (1)
};
UserSgprs user_sgprs(const kfd::kernel_descriptor_t& kd) {
  const uint16_t p = kd.kernel_code_properties;
  UserSgprs u;
  if (p & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER) {
    u.vsharp = static_cast<int>(u.count);
    u.count += 4;
  }
  if (p & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_DISPATCH_PTR) u.count += 2;
  if (p & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_QUEUE_PTR) u.count += 2;
  if (p & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_KERNARG_SEGMENT_PTR) {
    u.kernarg = static_cast<int>(u.count);
    u.count += 2;
  }
  if (p & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_DISPATCH_ID) u.count += 2;
  if (p & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_FLAT_SCRATCH_INIT) {
    u.flat_scratch_init = static_cast<int>(u.count);
    u.count += 2;
  }
  if (p & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_SIZE) {
    u.private_size = static_cast<int>(u.count);
    u.count += 1;
  }
  u.count += kd.kernarg_preload & 0x7F;  // preloaded kernarg dwords, LENGTH[6:0]
  return u;
}

// One dispatch, from either a PM4 DISPATCH_DIRECT or an AQL KERNEL_DISPATCH.
struct Launch {
  uint64_t entry = 0;
  uint64_t kd_va = 0;  // AQL: kernel_object (checked against the stub); PM4: 0
  uint32_t group[3] = {1, 1, 1};
  uint32_t grid[3] = {1, 1, 1};  // workgroups
  uint64_t kernarg_va = 0;
  bool has_kernarg = false;
  uint32_t lds_bytes = 0;
  uint32_t dims = 0;                    // AQL setup dimensions; 0 on PM4 (the packet carries none)
  uint32_t private_bytes = 0;           // AQL private_segment_size
  uint32_t user_sgpr_count = 0;         // PM4: RSRC2.USER_SGPR_COUNT as programmed
  const uint32_t* user_data = nullptr;  // PM4: COMPUTE_USER_DATA_0..15
  std::optional<bool> wave32;           // PM4 gfx10+: DISPATCH_INITIATOR.CS_W32_EN
  uint32_t rsrc2 = 0;                   // PM4: COMPUTE_PGM_RSRC2 as programmed
  // Where the kernel's private memory is (setup_private()).
  uint64_t private_base = 0;
  uint32_t private_size = 0;
};

// Executes the work of one queue for one round-robin turn.
class Exec {
 public:
  Exec(Gpu& gpu, Slot& s) : gpu_(gpu), s_(s), q_(*s.q) {}

  // True when the queue made progress.
  bool run() {
    const uint64_t before = progress_;
    switch (q_.type) {
      case QueueType::kCompute: (void)run_pm4(); break;
      case QueueType::kComputeAql: (void)run_aql(); break;
      case QueueType::kSdma:
      case QueueType::kSdmaXgmi:
      case QueueType::kSdmaByEngId: (void)run_sdma(); break;
    }
    return progress_ != before;
  }

 private:
  enum class Where : uint8_t { kRing, kIb, kAql };

  // ---- faults ----

  std::string location() const {
    std::string s;
    switch (where_) {
      case Where::kRing:
        s = (q_.type == QueueType::kCompute ? "PM4 dword " : "SDMA dword ") + hex(at_);
        break;
      case Where::kIb: s = "PM4 IB " + hex(ib_va_) + " dword " + hex(at_); break;
      case Where::kAql: s = "AQL packet " + std::to_string(at_); break;
    }
    if (where_ == Where::kIb && q_.type == QueueType::kComputeAql)
      s += " (AQL packet " + std::to_string(s_.rptr) + ")";
    return s + " of queue " + std::to_string(q_.queue_id);
  }

  // Stops the queue with `text`; a memory fault also goes to the driver, before `faulted` is
  // set, so whoever sees the queue faulted also finds the fault delivered.
  Step stop(std::string text, const GpuFault* mem = nullptr) {
    {
      std::lock_guard lk(q_.fault_mu);
      if (q_.faulted.load() || !q_.fault.empty()) return Step::kFault;
      q_.fault = text;
    }
    core::log_warn("sim: gpu " + std::to_string(gpu_.gpu_id) + ": " + text + " (queue stopped)");
    // A queue being destroyed reports nothing more: its process may be tearing down.
    if (mem && q_.events && !s_.removing.load()) q_.events->on_memory_fault(gpu_.gpu_id, *mem);
    q_.faulted.store(true);
    return Step::kFault;
  }
  Step fail(const std::string& what) {
    return stop("queue " + std::to_string(q_.queue_id) + ": " + what);
  }
  Step fail_at(const std::string& what) { return stop(what + " at " + location()); }
  Step page_fault(const GpuFault& f, const std::string& what) {
    return stop(describe_fault(f) + " " + what + " at " + location(), &f);
  }
  void interrupt(uint32_t context_id) {
    if (q_.events && !s_.removing.load()) q_.events->on_interrupt(gpu_.gpu_id, context_id);
  }

  // ---- memory ----

  uint8_t* xlate(uint64_t va, uint64_t len, uint32_t access, GpuFault* f) const {
    return q_.vm->translate(va, len, access, f);
  }
  // Aligned 32/64-bit GPU accesses; nullopt/false after recording the fault.
  template <class T>
  T* word(uint64_t va, uint32_t access, const char* what) {
    GpuFault f;
    uint8_t* p = xlate(va, sizeof(T), access, &f);
    if (!p) {
      page_fault(f, what);
      return nullptr;
    }
    if (va % sizeof(T)) {
      fail_at(std::string(what) + ": address " + hex(va) + " is not " + std::to_string(sizeof(T)) +
              "-byte aligned");
      return nullptr;
    }
    return reinterpret_cast<T*>(p);
  }
  template <class T>
  bool store(uint64_t va, T v, const char* what) {
    T* p = word<T>(va, kWrite, what);
    if (!p) return false;
    std::atomic_ref<T>(*p).store(v, std::memory_order_release);
    return true;
  }
  template <class T>
  std::optional<T> load(uint64_t va, const char* what) {
    T* p = word<T>(va, kRead, what);
    if (!p) return std::nullopt;
    return std::atomic_ref<T>(*p).load(std::memory_order_acquire);
  }

  // The 64-bit read pointer the CP writes back (fact sheet §4.5: AQL read_dispatch_id).
  bool publish_rptr() {
    if (!rptr_) {
      rptr_ = word<uint64_t>(q_.rptr_va, kWrite, "writing the read pointer");
      if (!rptr_) return false;
    }
    std::atomic_ref<uint64_t>(*rptr_).store(s_.rptr, std::memory_order_release);
    return true;
  }

  // The doorbell (fact sheet §4.5), checked against the read pointer and the ring capacity.
  std::optional<uint64_t> write_pointer(uint64_t capacity, const char* unit) {
    const uint64_t end = q_.doorbell->load(std::memory_order_acquire);
    return checked_end(end, capacity, unit, "doorbell");
  }
  std::optional<uint64_t> checked_end(uint64_t end, uint64_t capacity, const char* unit,
                                      const char* name) {
    if (end < s_.rptr) {
      fail(std::string(name) + " " + hex(end) + " is behind the read pointer " + hex(s_.rptr) +
           " (" + unit + "); pointers are monotonic and never wrap (fact sheet §4.1)");
      return std::nullopt;
    }
    if (end - s_.rptr > capacity) {
      fail(std::string(name) + " " + hex(end) + " is more than one ring (" +
           std::to_string(capacity) + " " + unit + ") ahead of the read pointer " + hex(s_.rptr) +
           ": the ring overflowed");
      return std::nullopt;
    }
    return end;
  }

  // Decodes the packet at ring[idx] with `avail` dwords published; a packet that runs past the
  // ring's end continues at ring[0] (fact sheet §4.5) and is decoded from a copy.
  core::Result<DecodedPacket> fetch(const uint32_t* ring, uint64_t ring_dw, uint64_t idx,
                                    uint64_t avail) {
    auto decode = [&](std::span<const uint32_t> buf) {
      return q_.type == QueueType::kCompute
                 ? kfd::decode_pm4(buf, 0, gpu_.gfx, static_cast<uint32_t>(idx))
                 : kfd::decode_sdma(buf, 0, gpu_.sdma, static_cast<uint32_t>(idx));
    };
    const uint64_t contiguous = ring_dw - idx;
    if (avail <= contiguous) return decode({ring + idx, avail});
    core::Result<DecodedPacket> d = decode({ring + idx, contiguous});
    if (d.ok()) return d;
    for (uint64_t w = std::min<uint64_t>(avail, contiguous + 16);; w = std::min(avail, w * 2)) {
      s_.scratch.resize(w);
      std::copy_n(ring + idx, contiguous, s_.scratch.begin());
      std::copy_n(ring, w - contiguous, s_.scratch.begin() + static_cast<ptrdiff_t>(contiguous));
      d = decode(s_.scratch);
      if (d.ok() || w == avail) return d;
    }
  }

  const uint32_t* ring(const char* engine) {
    GpuFault f;
    auto* r = reinterpret_cast<const uint32_t*>(xlate(q_.ring_va, q_.ring_size, kRead, &f));
    if (!r)
      stop(describe_fault(f) + " fetching the " + engine + " ring of queue " +
               std::to_string(q_.queue_id),
           &f);
    return r;
  }

  void count_packet() {
    ++progress_;
    gpu_.packets->fetch_add(1, std::memory_order_relaxed);
  }

  // ---- PM4 ----

  Step run_pm4() {
    const uint64_t ring_dw = q_.ring_size / 4;
    const uint32_t* r = ring("PM4");
    if (!r) return Step::kFault;
    std::optional<uint64_t> end = write_pointer(ring_dw, "dwords");
    if (!end) return Step::kFault;
    if (!s_.ibs.empty()) {  // an IB stalled in an earlier turn
      const Step st = run_ibs();
      if (st != Step::kDone) return st;
      s_.rptr += s_.ring_packet_dwords;
      if (!publish_rptr()) return Step::kFault;
    }
    for (uint32_t n = 0; n < kPacketBudget && s_.rptr < *end; ++n) {
      const uint64_t idx = s_.rptr % ring_dw;
      where_ = Where::kRing;
      at_ = idx;
      core::Result<DecodedPacket> d = fetch(r, ring_dw, idx, *end - s_.rptr);
      if (!d.ok()) return fail(d.error().message());
      Step st = exec_pm4(*d, nullptr);
      if (st != Step::kDone) return st;
      count_packet();
      if (!s_.ibs.empty()) {
        s_.ring_packet_dwords = d->dwords();
        st = run_ibs();
        if (st != Step::kDone) return st;
      }
      s_.rptr += d->dwords();
      if (!publish_rptr()) return Step::kFault;
    }
    return Step::kDone;
  }

  // Runs the IB stack until it is empty (kDone), stalls or faults.
  Step run_ibs() {
    const uint32_t* host = nullptr;
    uint64_t host_va = 0;
    size_t host_level = SIZE_MAX;
    while (!s_.ibs.empty()) {
      const size_t level = s_.ibs.size() - 1;
      IbFrame fr = s_.ibs[level];
      if (fr.pos >= fr.size) {
        s_.ibs.pop_back();
        if (!s_.ibs.empty()) s_.ibs.back().pos += fr.parent_advance;
        continue;
      }
      where_ = Where::kIb;
      ib_va_ = fr.va;
      at_ = fr.pos;
      if (host_level != level || host_va != fr.va) {
        GpuFault f;
        host = reinterpret_cast<const uint32_t*>(xlate(fr.va, uint64_t{fr.size} * 4, kRead, &f));
        if (!host)
          return page_fault(
              f, "fetching an indirect buffer of " + std::to_string(fr.size) + " dwords");
        host_level = level;
        host_va = fr.va;
      }
      core::Result<DecodedPacket> d = kfd::decode_pm4({host, fr.size}, fr.pos, gpu_.gfx);
      if (!d.ok()) return fail("IB " + hex(fr.va) + ": " + d.error().message());
      skip_ = 0;
      chained_ = false;
      const Step st = exec_pm4(*d, &s_.ibs[level]);
      if (st != Step::kDone) return st;
      count_packet();
      if (chained_) continue;  // the frame now runs the chained IB from its start
      if (s_.ibs.size() > level + 1) {
        s_.ibs.back().parent_advance = d->dwords();
        continue;
      }
      s_.ibs[level].pos += d->dwords() + skip_;
    }
    return Step::kDone;
  }

  uint32_t& sh(uint32_t reg) { return s_.sh[reg - kfd::kShRegBase]; }

  // `frame`: the IB executing the packet, nullptr in the ring.
  Step exec_pm4(const DecodedPacket& d, IbFrame* frame) {
    switch (d.id) {
      case PacketId::kPm4Nop:
      case PacketId::kPm4EventWrite:  // CS_PARTIAL_FLUSH etc.: the simulator runs in order
      case PacketId::kPm4AcquireMem:  // cache actions: validated by the decoder, no caches here
        return Step::kDone;
      case PacketId::kPm4SetShReg: {
        const auto p = *d.as<kfd::Pm4SetShReg>();  // reg + n <= 0x3000 checked by the decoder
        for (size_t i = 0; i < p.values.size(); ++i)
          sh(p.reg + static_cast<uint32_t>(i)) = p.values[i];
        return Step::kDone;
      }
      case PacketId::kPm4SetUconfigReg: {
        const auto p = *d.as<kfd::Pm4SetUconfigReg>();
        for (size_t i = 0; i < p.values.size(); ++i)
          s_.uconfig[p.reg + static_cast<uint32_t>(i)] = p.values[i];
        return Step::kDone;
      }
      case PacketId::kPm4ReleaseMem: return release_mem(*d.as<kfd::Pm4ReleaseMem>());
      case PacketId::kPm4WaitRegMem: {
        const auto p = *d.as<kfd::Pm4WaitRegMem>();
        std::optional<uint32_t> v = load<uint32_t>(p.addr, "in WAIT_REG_MEM");
        if (!v) return Step::kFault;
        // Unsatisfied: the packet stays at the read pointer and is polled again (a hung queue
        // looks exactly like this).
        return compare(p.function, *v & p.mask, p.reference) ? Step::kDone : Step::kStall;
      }
      case PacketId::kPm4WaitRegMemReg: {
        const auto p = *d.as<kfd::Pm4WaitRegMemReg>();
        // The HDP flush (fact sheet §3.5): write FLUSH_REQ, wait on FLUSH_DONE. The simulated
        // GPU has no HDP, so the flush is done at once.
        if (p.operation == kfd::WaitRegMemOperation::kWriteWait && p.reg1 == kHdpFlushReq &&
            p.reg2 == kHdpFlushDone)
          return Step::kDone;
        return fail_at("WAIT_REG_MEM on register " + hex(p.reg1) + "/" + hex(p.reg2) +
                       " is not simulated (only the HDP flush 0xE26/0xE27 with WR_WAIT_WR_REG)");
      }
      case PacketId::kPm4WriteData: return write_data(*d.as<kfd::Pm4WriteData>());
      case PacketId::kPm4IndirectBuffer: {
        const auto p = *d.as<kfd::Pm4IndirectBuffer>();
        if (!p.valid) return fail_at("INDIRECT_BUFFER without VALID");
        if (p.chain) {
          if (!frame)
            return fail_at("INDIRECT_BUFFER with CHAIN in the ring (chaining replaces an IB)");
          frame->va = p.ib_base;
          frame->size = p.ib_size;
          frame->pos = 0;
          chained_ = true;
          return Step::kDone;
        }
        if (s_.ibs.size() >= kMaxIbDepth)
          return fail_at("INDIRECT_BUFFER nested deeper than " + std::to_string(kMaxIbDepth) +
                         " levels");
        s_.ibs.push_back({.va = p.ib_base, .size = p.ib_size, .pos = 0, .parent_advance = 0});
        return Step::kDone;
      }
      case PacketId::kPm4PredExec: {
        const auto p = *d.as<kfd::Pm4PredExec>();
        // PRED_EXEC works only inside an IB (fact sheet §6.2, §9 multi-XCC).
        if (!frame)
          return fail_at("PRED_EXEC outside an indirect buffer (the CP honours it only in an IB)");
        if (uint64_t{frame->pos} + d.dwords() + p.exec_count > frame->size)
          return fail_at("PRED_EXEC exec_count " + std::to_string(p.exec_count) +
                         " runs past the end of the IB");
        // One simulated CP stands for every XCC: the predicated packets run once if any XCC
        // of this GPU is selected.
        const uint32_t xccs = gpu_.profile.num_xcc >= 8 ? 0xFFu : (1u << gpu_.profile.num_xcc) - 1;
        if ((p.device_select & xccs) == 0) skip_ = p.exec_count;
        return Step::kDone;
      }
      case PacketId::kPm4DispatchDirect: return dispatch_direct(*d.as<kfd::Pm4DispatchDirect>());
      default: break;
    }
    return fail_at(std::string("packet ") + d.name() + " is not a PM4 packet");
  }

  Step release_mem(const kfd::Pm4ReleaseMem& p) {
    if (p.dst_sel != kfd::DstSel::kMemoryController && p.dst_sel != kfd::DstSel::kTcL2)
      return fail_at("RELEASE_MEM DST_SEL " + std::to_string(static_cast<int>(p.dst_sel)) +
                     " (queue write pointer) is not simulated");
    switch (p.data_sel) {
      case kfd::DataSel::kNone: break;
      case kfd::DataSel::kSend32BitLow:
        if (!store<uint32_t>(p.addr, static_cast<uint32_t>(p.data), "in RELEASE_MEM"))
          return Step::kFault;
        break;
      case kfd::DataSel::kSend64BitData:
        if (!store<uint64_t>(p.addr, p.data, "in RELEASE_MEM")) return Step::kFault;
        break;
      case kfd::DataSel::kSendGpuClockCounter:
        if (!store<uint64_t>(p.addr, gpu_clock_now(), "in RELEASE_MEM")) return Step::kFault;
        break;
      default:
        return fail_at("RELEASE_MEM DATA_SEL " + std::to_string(static_cast<int>(p.data_sel)) +
                       " (CP perfcounter / GDS) is not simulated");
    }
    switch (p.int_sel) {
      case kfd::IntSel::kNone:
      case kfd::IntSel::kSendDataAfterWriteConfirm: break;  // data only
      case kfd::IntSel::kSendInterruptOnly:
      case kfd::IntSel::kSendInterruptAfterWriteConfirm:
      case kfd::IntSel::kUnconditionallySendIntCtxid:
        interrupt(p.int_ctxid);  // after the write (fact sheet §5)
        break;
      default:
        return fail_at("RELEASE_MEM INT_SEL " + std::to_string(static_cast<int>(p.int_sel)) +
                       " (conditional interrupt) is not simulated");
    }
    return Step::kDone;
  }

  Step write_data(const kfd::Pm4WriteData& p) {
    if (p.dst_sel == kfd::WriteDataDstSel::kMemMappedRegister) {
      const uint64_t last = p.dst_addr + (p.wr_one_addr ? 0 : p.data.size() - 1);
      if (p.dst_addr < kfd::kShRegBase || last >= kfd::kShRegEnd)
        return fail_at("WRITE_DATA to register " + hex(p.dst_addr) +
                       " outside the SH window is not simulated");
      for (size_t i = 0; i < p.data.size(); ++i)
        sh(static_cast<uint32_t>(p.dst_addr + (p.wr_one_addr ? 0 : i))) = p.data[i];
      return Step::kDone;
    }
    if (p.dst_sel != kfd::WriteDataDstSel::kMemory && p.dst_sel != kfd::WriteDataDstSel::kTcL2)
      return fail_at("WRITE_DATA DST_SEL " + std::to_string(static_cast<int>(p.dst_sel)) +
                     " is not simulated");
    const uint64_t bytes = p.wr_one_addr ? 4 : 4 * p.data.size();
    GpuFault f;
    uint8_t* dst = xlate(p.dst_addr, bytes, kWrite, &f);
    if (!dst) return page_fault(f, "in WRITE_DATA");
    auto* w = reinterpret_cast<uint32_t*>(dst);
    for (size_t i = 0; i < p.data.size(); ++i)
      std::atomic_ref<uint32_t>(w[p.wr_one_addr ? 0 : i])
          .store(p.data[i], std::memory_order_release);
    return Step::kDone;
  }

  Step dispatch_direct(const kfd::Pm4DispatchDirect& p) {
    if (!p.initiator.compute_shader_en)
      return fail_at("DISPATCH_DIRECT without COMPUTE_SHADER_EN launches nothing");
    // A non-zero COMPUTE_START_X/Y/Z offsets the workgroup ids; runtimes write 0 (fact sheet
    // §6.2 step 10) and the simulator does not model the offset.
    if (sh(kfd::regCOMPUTE_START_X) | sh(kfd::regCOMPUTE_START_Y) | sh(kfd::regCOMPUTE_START_Z))
      return fail_at("DISPATCH_DIRECT with COMPUTE_START_X/Y/Z other than 0 is not simulated");
    Launch l;
    l.entry = ((uint64_t{sh(kfd::regCOMPUTE_PGM_HI)} << 32) | sh(kfd::regCOMPUTE_PGM_LO)) << 8;
    // NUM_THREAD_FULL[15:0] of COMPUTE_NUM_THREAD_X/Y/Z (NUM_THREAD_PARTIAL above is not used).
    l.group[0] = sh(kfd::regCOMPUTE_NUM_THREAD_X) & 0xFFFF;
    l.group[1] = sh(kfd::regCOMPUTE_NUM_THREAD_Y) & 0xFFFF;
    l.group[2] = sh(kfd::regCOMPUTE_NUM_THREAD_Z) & 0xFFFF;
    l.grid[0] = p.dim_x;
    l.grid[1] = p.dim_y;
    l.grid[2] = p.dim_z;
    const uint32_t rsrc2 = sh(kfd::regCOMPUTE_PGM_RSRC2);
    l.user_sgpr_count = (rsrc2 & kfd::COMPUTE_PGM_RSRC2_USER_SGPR_COUNT_MASK) >>
                        kfd::COMPUTE_PGM_RSRC2_USER_SGPR_COUNT_SHIFT;
    // The dispatcher's LDS allocation: GRANULATED_LDS_SIZE in 512-byte granules (§8.3).
    l.lds_bytes = ((rsrc2 & kfd::COMPUTE_PGM_RSRC2_GRANULATED_LDS_SIZE_MASK) >> 15) * kLdsGranule;
    l.user_data = &sh(kfd::regCOMPUTE_USER_DATA_0);
    l.rsrc2 = rsrc2;
    if (gpu_.gfx != kfd::GfxGen::kGfx9) l.wave32 = p.initiator.cs_w32_en;
    return launch(l);
  }

  // ---- kernels ----

  Step launch(Launch& l) {
    GpuFault f;
    // The entry stub (kfd/hsaco.h SimEntryStub) is fetched as code.
    const uint8_t* stub_p = xlate(l.entry, sizeof(kfd::SimEntryStub), kExecute, &f);
    if (!stub_p) return page_fault(f, "fetching the kernel at " + hex(l.entry));
    kfd::SimEntryStub stub;
    std::memcpy(&stub, stub_p, sizeof stub);
    if (std::memcmp(stub.magic, kfd::kSimEntryMagic, sizeof stub.magic) != 0) {
      return fail_at("kernel at " + hex(l.entry) + " is real " + std::string(gpu_.profile.name) +
                     " ISA; the simulator runs only simulator code objects");
    }
    const size_t sym_len = strnlen(stub.symbol, sizeof stub.symbol);
    if (sym_len == sizeof stub.symbol)
      return fail_at("the sim entry stub at " + hex(l.entry) + " has no NUL-terminated symbol");
    const std::string_view symbol(stub.symbol, sym_len);
    kernel_ = symbol.substr(symbol.starts_with(kHostSymbolPrefix) ? kHostSymbolPrefix.size() : 0);

    const uint64_t kd_va = l.entry + static_cast<uint64_t>(stub.kd_offset);
    if (l.kd_va != 0 && kd_va != l.kd_va) {
      return fail_at("kernel_object " + hex(l.kd_va) + " is not the descriptor of the kernel at " +
                     hex(l.entry) + " (its stub points at " + hex(kd_va) + ")");
    }
    const uint8_t* kd_p = xlate(kd_va, sizeof(kfd::kernel_descriptor_t), kRead, &f);
    if (!kd_p) return page_fault(f, "reading the kernel descriptor of " + std::string(kernel_));
    kfd::kernel_descriptor_t kd;
    std::memcpy(&kd, kd_p, sizeof kd);

    const UserSgprs u = user_sgprs(kd);
    const uint32_t kd_count =
        (kd.compute_pgm_rsrc2 & kfd::COMPUTE_PGM_RSRC2_USER_SGPR_COUNT_MASK) >>
        kfd::COMPUTE_PGM_RSRC2_USER_SGPR_COUNT_SHIFT;
    if (kd_count != u.count) {
      return fail_at("kernel " + std::string(kernel_) + ": its descriptor's USER_SGPR_COUNT " +
                     std::to_string(kd_count) + " disagrees with the " + std::to_string(u.count) +
                     " user SGPRs its kernel_code_properties enable");
    }
    const bool kd_wave32 =
        kd.kernel_code_properties & kfd::KERNEL_CODE_PROPERTY_ENABLE_WAVEFRONT_SIZE32;
    if (l.user_data) {  // PM4: the registers the runtime programmed (§8.5)
      if (l.user_sgpr_count != u.count) {
        return fail_at(
            "kernel " + std::string(kernel_) + ": COMPUTE_PGM_RSRC2.USER_SGPR_COUNT is " +
            std::to_string(l.user_sgpr_count) + " but its kernel_code_properties enable " +
            std::to_string(u.count) + " user SGPRs (fact sheet §8.5)");
      }
      if (u.count > kUserDataRegs)
        return fail_at("kernel " + std::string(kernel_) + " needs more than 16 user SGPRs");
      if (u.kernarg >= 0) {
        l.has_kernarg = true;
        l.kernarg_va = l.user_data[u.kernarg] | (uint64_t{l.user_data[u.kernarg + 1]} << 32);
      }
      if (l.wave32 && *l.wave32 != kd_wave32) {
        return fail_at("DISPATCH_INITIATOR.CS_W32_EN=" + std::to_string(*l.wave32) +
                       " but kernel " + std::string(kernel_) + " is built for wave" +
                       (kd_wave32 ? "32" : "64"));
      }
    } else {
      l.has_kernarg = u.kernarg >= 0;
      if (l.private_bytes < kd.private_segment_fixed_size) {
        return fail_at("kernel " + std::string(kernel_) + " needs " +
                       std::to_string(kd.private_segment_fixed_size) +
                       " bytes of private memory per work-item but private_segment_size is " +
                       std::to_string(l.private_bytes));
      }
    }
    if (gpu_.gfx == kfd::GfxGen::kGfx9 && kd_wave32)
      return fail_at("kernel " + std::string(kernel_) + " is wave32, which gfx9 does not run");
    if (kfd::architected_flat_scratch(gpu_.profile.gfx_target_version) && (u.vsharp >= 0 || u.flat_scratch_init >= 0)) {
      return fail_at("kernel " + std::string(kernel_) + ": its descriptor enables the private segment buffer / "
                     "flat scratch init user SGPRs, which must be 0 on " + std::string(gpu_.profile.name) +
                     " (architected flat scratch, fact sheet §8.3)");
    }

    const uint32_t items = l.group[0] * l.group[1] * l.group[2];
    if (l.group[0] == 0 || l.group[1] == 0 || l.group[2] == 0 || l.group[0] > kMaxWorkgroupItems ||
        l.group[1] > kMaxWorkgroupItems || items > kMaxWorkgroupItems) {
      return fail_at("kernel " + std::string(kernel_) + ": workgroup size " +
                     std::to_string(l.group[0]) + "x" + std::to_string(l.group[1]) + "x" +
                     std::to_string(l.group[2]) + " is not within 1..1024 work-items");
    }
    if (l.lds_bytes < kd.group_segment_fixed_size) {
      return fail_at("kernel " + std::string(kernel_) + " needs " +
                     std::to_string(kd.group_segment_fixed_size) +
                     " bytes of static LDS but the dispatch allocates " +
                     std::to_string(l.lds_bytes) +
                     (l.user_data ? " (COMPUTE_PGM_RSRC2.GRANULATED_LDS_SIZE, 512-byte granules)"
                                  : " (group_segment_size)"));
    }
    if (l.lds_bytes > gpu_.profile.lds_size_in_kb * 1024) {
      return fail_at("kernel " + std::string(kernel_) + ": " + std::to_string(l.lds_bytes) +
                     " bytes of LDS exceed the " + std::to_string(gpu_.profile.lds_size_in_kb) +
                     " KiB of a workgroup");
    }

    const uint32_t items_per_group = l.group[0] * l.group[1] * l.group[2];
    if (const Step st = setup_private(l, kd, u, items_per_group); st != Step::kDone) return st;

    const uint8_t* kernarg = nullptr;
    if (l.has_kernarg && kd.kernarg_size > 0) {
      kernarg = xlate(l.kernarg_va, kd.kernarg_size, kRead, &f);
      if (!kernarg) return page_fault(f, "reading the kernel arguments of " + std::string(kernel_));
      if (kd.kernarg_size >= kfd::kHiddenArgsSize) {
        const Step st = check_hidden(l, kernarg + kd.kernarg_size - kfd::kHiddenArgsSize);
        if (st != Step::kDone) return st;
      }
    }

    rg_sim_kernel_fn fn = nullptr;
    const Step st = host_function(l.entry + static_cast<uint64_t>(stub.blob_offset), symbol, &fn);
    if (st != Step::kDone) return st;

    KernelCtx ctx{.vm = q_.vm.get(), .faulted = false, .fault = {}};
    s_.lds.resize(std::max<uint32_t>(l.lds_bytes, 1));
    rg_sim_workgroup wg{};
    wg.abi_version = RG_SIM_ABI_VERSION;
    for (int i = 0; i < 3; ++i) {
      wg.group_size[i] = l.group[i];
      wg.grid_groups[i] = l.grid[i];
    }
    wg.kernarg = kernarg;
    wg.lds = l.lds_bytes ? s_.lds.data() : nullptr;
    wg.lds_size = l.lds_bytes;
    wg.ctx = &ctx;
    wg.mem = &kernel_mem;
    wg.private_base = l.private_base;
    wg.private_size = l.private_size;
    for (uint32_t z = 0; z < l.grid[2]; ++z) {
      for (uint32_t y = 0; y < l.grid[1]; ++y) {
        for (uint32_t x = 0; x < l.grid[0]; ++x) {
          wg.group_id[0] = x;
          wg.group_id[1] = y;
          wg.group_id[2] = z;
          if (l.lds_bytes) std::memset(s_.lds.data(), 0, l.lds_bytes);
          fn(&wg);
          // A fault stops the dispatch after the workgroup that hit it (the rest is skipped).
          if (ctx.faulted) {
            return stop(describe_fault(ctx.fault) + " in kernel " + std::string(kernel_) +
                            " dispatched at " + location(),
                        &ctx.fault);
          }
        }
      }
    }
    return Step::kDone;
  }

  // ---- scratch (private segment), fact sheet §7, §4.6, §8.5 ----

  // A kernel that needs private memory must find a scratch set up for it: COMPUTE_TMPRING_SIZE
  // (PM4) or amd_queue_t.compute_tmpring_size (AQL) with room per lane, and a base (SCRATCH_BASE
  // registers on architected targets, the V# otherwise; amd_queue_t on AQL) whose whole extent is
  // mapped. The simulator places work-item t of a workgroup at base + t * lane bytes (one
  // workgroup runs at a time); real hardware interleaves lanes, which no runtime can observe.
  Step setup_private(Launch& l, const kfd::kernel_descriptor_t& kd, const UserSgprs& u, uint32_t items) {
    const bool scratch_en = kd.compute_pgm_rsrc2 & kfd::COMPUTE_PGM_RSRC2_ENABLE_PRIVATE_SEGMENT;
    uint32_t need = std::max<uint32_t>(kd.private_segment_fixed_size, l.private_bytes);
    if (need == 0 && !scratch_en) return Step::kDone;
    const std::string who = "kernel " + std::string(kernel_) + " (" + std::to_string(kd.private_segment_fixed_size) +
                            " private bytes per work-item)";
    if (!scratch_en)
      return fail_at(who + ": its descriptor's COMPUTE_PGM_RSRC2.SCRATCH_EN is 0, so waves get no scratch");
    const bool architected = kfd::architected_flat_scratch(gpu_.profile.gfx_target_version);
    if (!architected && u.vsharp < 0)
      return fail_at(who + ": on " + std::string(gpu_.profile.name) +
                     " private memory is reached through the private segment buffer V#, which its descriptor does "
                     "not enable");
    uint32_t tmpring = 0;
    uint64_t base = 0, limit = UINT64_MAX;
    std::string src;
    if (l.user_data) {  // PM4: registers and user SGPRs
      if (!(l.rsrc2 & kfd::COMPUTE_PGM_RSRC2_ENABLE_PRIVATE_SEGMENT))
        return fail_at(who + ": COMPUTE_PGM_RSRC2.SCRATCH_EN as programmed is 0");
      tmpring = sh(kfd::regCOMPUTE_TMPRING_SIZE);
      src = "COMPUTE_TMPRING_SIZE";
      if (architected) {
        base = ((uint64_t{sh(kfd::regCOMPUTE_DISPATCH_SCRATCH_BASE_HI)} << 32) |
                sh(kfd::regCOMPUTE_DISPATCH_SCRATCH_BASE_LO)) << 8;
      } else {
        base = kfd::scratch_vsharp_base(std::span<const uint32_t, 4>(l.user_data + u.vsharp, 4));
      }
    } else {  // AQL: amd_queue_t, found from the read pointer (fact sheet §4.6)
      const uint32_t field = offsetof(kfd::amd_queue_t, read_dispatch_id);
      std::optional<uint32_t> off = load<uint32_t>(
          q_.rptr_va + offsetof(kfd::amd_queue_t, read_dispatch_id_field_base_byte_offset) - field,
          "reading amd_queue_t.read_dispatch_id_field_base_byte_offset");
      if (!off) return Step::kFault;
      if (*off != field)
        return fail_at(who + ": amd_queue_t.read_dispatch_id_field_base_byte_offset is " + std::to_string(*off) +
                       ", not " + std::to_string(field) + "; the CP cannot find the queue descriptor");
      GpuFault f;
      const uint8_t* aqp = xlate(q_.rptr_va - field, sizeof(kfd::amd_queue_t), kRead, &f);
      if (!aqp) return page_fault(f, "reading amd_queue_t");
      kfd::amd_queue_t aq;
      std::memcpy(&aq, aqp, sizeof aq);
      tmpring = aq.compute_tmpring_size;
      base = aq.scratch_backing_memory_location;
      limit = aq.scratch_backing_memory_byte_size / gpu_.profile.num_xcc;  // per XCC slice
      src = "amd_queue_t.compute_tmpring_size";
      if (aq.scratch_wave64_lane_byte_size < need)
        return fail_at(who + ": amd_queue_t.scratch_wave64_lane_byte_size is " +
                       std::to_string(aq.scratch_wave64_lane_byte_size) + ", below the dispatch's private_segment_size " +
                       std::to_string(need));
      if (aq.scratch_backing_memory_byte_size != 0 &&
          !q_.vm->translate(base, aq.scratch_backing_memory_byte_size, kRead | kWrite, &f))
        return page_fault(f, "in the scratch backing memory of amd_queue_t (" +
                                 std::to_string(aq.scratch_backing_memory_byte_size) + " bytes at " + hex(base) + ")");
      if (u.vsharp >= 0 && kfd::scratch_vsharp_base(std::span<const uint32_t, 4>(aq.scratch_resource_descriptor)) != base)
        return fail_at(who + ": amd_queue_t.scratch_resource_descriptor does not point at scratch_backing_memory_location");
    }
    if (u.vsharp >= 0 && l.user_data) {
      const uint32_t* v = l.user_data + u.vsharp;
      if (!(v[1] & kfd::kScratchVsharpSwizzle) || !(v[3] & kfd::kScratchVsharpAddTid))
        return fail_at(who + ": the private segment buffer V# in COMPUTE_USER_DATA_" + std::to_string(u.vsharp) +
                       ".. lacks SWIZZLE_ENABLE or ADD_TID_ENABLE (fact sheet §7)");
      if (u.flat_scratch_init >= 0) {
        const uint64_t fsi = l.user_data[u.flat_scratch_init] | (uint64_t{l.user_data[u.flat_scratch_init + 1]} << 32);
        if (fsi != base)
          return fail_at(who + ": flat scratch init " + hex(fsi) + " is not the scratch base " + hex(base) +
                         " of its V#");
      }
    }
    if (u.private_size >= 0 && l.user_data && l.user_data[u.private_size] < kd.private_segment_fixed_size)
      return fail_at(who + ": the private segment size user SGPR is " + std::to_string(l.user_data[u.private_size]));
    const kfd::TmpringSize t = kfd::decode_tmpring_size(tmpring, gpu_.gfx);
    const uint64_t wave_bytes = uint64_t{t.wavesize} * kfd::scratch_wave_granule(gpu_.gfx);
    const uint32_t lane = static_cast<uint32_t>(wave_bytes / 64);
    if (t.waves == 0 || t.wavesize == 0)
      return fail_at(who + ": " + src + " is " + hex(tmpring) + " (WAVES " + std::to_string(t.waves) + ", WAVESIZE " +
                     std::to_string(t.wavesize) + "): no scratch is set up for this dispatch");
    if (lane < need)
      return fail_at(who + ": " + src + ".WAVESIZE " + std::to_string(t.wavesize) + " gives each wave " +
                     std::to_string(wave_bytes) + " bytes, " + std::to_string(lane) +
                     " per lane, fewer than the kernel needs");
    // WAVES counts per XCC on gfx9 and per shader engine on gfx10+ (fact sheet §7).
    const uint32_t se = gpu_.profile.simd_arrays_per_engine
                            ? gpu_.profile.array_count / gpu_.profile.simd_arrays_per_engine / gpu_.profile.num_xcc
                            : 1;
    const uint64_t slots = uint64_t{t.waves} * (gpu_.gfx == kfd::GfxGen::kGfx9 ? 1 : std::max<uint32_t>(se, 1));
    const uint64_t extent = slots * wave_bytes;
    if ((items + 63) / 64 > slots)
      return fail_at(who + ": a workgroup of " + std::to_string(items) + " work-items needs more scratch waves than " +
                     src + " provides (" + std::to_string(slots) + ")");
    if (extent > limit)
      return fail_at(who + ": " + src + " describes " + std::to_string(extent) +
                     " bytes of scratch per XCC, more than amd_queue_t.scratch_backing_memory_byte_size gives each");
    if (base == 0)
      return fail_at(who + ": the scratch base is 0 (" +
                     std::string(l.user_data ? (architected ? "COMPUTE_DISPATCH_SCRATCH_BASE_LO/HI" : "the V#")
                                             : "amd_queue_t.scratch_backing_memory_location") +
                     ")");
    GpuFault f;
    if (!q_.vm->translate(base, extent, kRead | kWrite, &f))
      return page_fault(f, "in the scratch backing memory (" + std::to_string(extent) + " bytes at " + hex(base) +
                               " from " + src + ") of kernel " + std::string(kernel_));
    l.private_base = base;
    l.private_size = lane;
    return Step::kDone;
  }

  // The hidden arguments the runtime wrote must describe this dispatch (fact sheet §8.4); a
  // wrong value is a runtime bug the real GPU would compute wrong with, silently.
  Step check_hidden(const Launch& l, const uint8_t* hidden) {
    uint32_t used_dims = 1;
    for (uint32_t i = 0; i < 3; ++i)
      if (l.grid[i] > 1 || l.group[i] > 1) used_dims = i + 1;
    const char* axis[3] = {"x", "y", "z"};
    for (uint32_t i = 0; i < 3; ++i) {
      uint32_t count;
      uint16_t size;
      std::memcpy(&count, hidden + kHiddenBlockCount + 4 * i, 4);
      std::memcpy(&size, hidden + kHiddenGroupSize + 2 * i, 2);
      if (count != l.grid[i]) {
        return fail_at("kernel " + std::string(kernel_) + ": hidden_block_count_" + axis[i] +
                       " is " + std::to_string(count) + " but the dispatch has " +
                       std::to_string(l.grid[i]) + " workgroups");
      }
      if (size != l.group[i]) {
        return fail_at("kernel " + std::string(kernel_) + ": hidden_group_size_" + axis[i] +
                       " is " + std::to_string(size) + " but the dispatch's workgroup size is " +
                       std::to_string(l.group[i]));
      }
    }
    uint16_t dims;
    std::memcpy(&dims, hidden + kHiddenGridDims, 2);
    const bool ok = l.dims != 0 ? dims == l.dims : (dims >= used_dims && dims <= 3);
    if (!ok) {
      return fail_at(
          "kernel " + std::string(kernel_) + ": hidden_grid_dims is " + std::to_string(dims) +
          (l.dims != 0 ? " but the packet's setup has " + std::to_string(l.dims) + " dimensions"
                       : " but the dispatch uses " + std::to_string(used_dims)));
    }
    return Step::kDone;
  }

  // The host function `symbol` of the blob at blob_va (kfd/hsaco.h SimBlobHeader).
  Step host_function(uint64_t blob_va, std::string_view symbol, rg_sim_kernel_fn* out) {
    GpuFault f;
    const uint8_t* hp = xlate(blob_va, sizeof(kfd::SimBlobHeader), kExecute, &f);
    if (!hp) return page_fault(f, "fetching the code object of kernel " + std::string(kernel_));
    kfd::SimBlobHeader h;
    std::memcpy(&h, hp, sizeof h);
    if (std::memcmp(h.magic, kfd::kSimBlobMagic, sizeof h.magic) != 0)
      return fail_at("kernel " + std::string(kernel_) + ": no simulator blob at " + hex(blob_va) +
                     " (corrupted code object)");
    if (h.abi_version != RG_SIM_ABI_VERSION) {
      return fail_at("kernel " + std::string(kernel_) + ": sim kernel ABI version " +
                     std::to_string(h.abi_version) + ", this simulator runs version " +
                     std::to_string(RG_SIM_ABI_VERSION) + " (rebuild the code object)");
    }
    const uint64_t key = h.so_hash ^ std::hash<std::string_view>{}(symbol);
    for (auto [it, e] = gpu_.fns.equal_range(key); it != e; ++it) {
      const CachedFn& c = it->second;
      if (c.so_hash == h.so_hash && c.so_size == h.so_size && c.symbol == symbol) {
        *out = c.fn;
        return Step::kDone;
      }
    }
    const uint8_t* so = xlate(blob_va, sizeof h + uint64_t{h.so_size}, kExecute, &f);
    if (!so) return page_fault(f, "fetching the code object of kernel " + std::string(kernel_));
    core::Result<void*> handle = load_host_object(so + sizeof h, h.so_size, h.so_hash);
    if (!handle.ok())
      return fail_at("kernel " + std::string(kernel_) + ": " + handle.error().message());
    const std::string sym(symbol);
    core::Result<rg_sim_kernel_fn> found = host_kernel_function(*handle, sym);
    if (!found.ok())
      return fail_at("kernel " + std::string(kernel_) + ": " + found.error().message());
    const rg_sim_kernel_fn kfn = *found;
    gpu_.fns.emplace(key, CachedFn{h.so_hash, h.so_size, sym, kfn});
    *out = kfn;
    return Step::kDone;
  }

  // ---- AQL ----

  Step run_aql() {
    const uint64_t slots = q_.ring_size / (4 * kfd::kAqlPacketDwords);
    const uint32_t* r = ring("AQL");
    if (!r) return Step::kFault;
    // The CP fetches packets below both the doorbell index + 1 and write_dispatch_id, which the
    // runtime stores before ringing (fact sheet §4.5: doorbell = put - 1). A slot whose header is
    // still INVALID has not been published yet and is waited for.
    std::optional<uint64_t> wptr = load<uint64_t>(q_.wptr_va, "reading write_dispatch_id");
    if (!wptr) return Step::kFault;
    if (!checked_end(*wptr, slots, "packets", "write_dispatch_id")) return Step::kFault;
    const uint64_t bell = q_.doorbell->load(std::memory_order_acquire);
    uint64_t end = std::min(*wptr, bell + 1);
    if (end < s_.rptr) end = s_.rptr;  // a doorbell rung for packets already consumed

    if (!s_.ibs.empty()) {
      Step st = run_ibs();
      if (st != Step::kDone) return st;
      st = finish_aql(s_.aql_signal);
      if (st != Step::kDone) return st;
    }
    for (uint32_t n = 0; n < kPacketBudget && s_.rptr < end; ++n) {
      const uint64_t idx = s_.rptr % slots;
      where_ = Where::kAql;
      at_ = s_.rptr;
      auto* slot = const_cast<uint32_t*>(r + idx * kfd::kAqlPacketDwords);
      const uint32_t header = std::atomic_ref<uint32_t>(*slot).load(std::memory_order_acquire);
      if ((header & 0xFF) == kfd::HSA_PACKET_TYPE_INVALID) return Step::kStall;
      core::Result<DecodedPacket> d = kfd::decode_aql(
          {slot, kfd::kAqlPacketDwords}, 0, static_cast<uint32_t>(idx * kfd::kAqlPacketDwords));
      if (!d.ok())
        return fail("AQL packet " + std::to_string(s_.rptr) + ": " + d.error().message());
      uint64_t signal = 0;
      Step st = exec_aql(*d, &signal);
      if (st != Step::kDone) return st;
      count_packet();
      if (!s_.ibs.empty()) {
        s_.aql_signal = signal;
        st = run_ibs();
        if (st != Step::kDone) return st;
      }
      st = finish_aql(signal);
      if (st != Step::kDone) return st;
    }
    return Step::kDone;
  }

  // Completes the packet at the read pointer: completion signal, then read_dispatch_id.
  Step finish_aql(uint64_t signal) {
    where_ = Where::kAql;
    at_ = s_.rptr;
    if (signal != 0) {
      const Step st = complete_signal(signal);
      if (st != Step::kDone) return st;
    }
    ++s_.rptr;
    return publish_rptr() ? Step::kDone : Step::kFault;
  }

  Step exec_aql(const DecodedPacket& d, uint64_t* signal) {
    switch (d.id) {
      case PacketId::kAqlKernelDispatch: {
        const auto p = *d.as<kfd::AqlKernelDispatch>();
        *signal = p.completion_signal;
        const uint32_t wg[3] = {p.workgroup_size_x, p.workgroup_size_y, p.workgroup_size_z};
        const uint32_t grid[3] = {p.grid_size_x, p.grid_size_y, p.grid_size_z};
        Launch l;
        l.kd_va = p.kernel_object;
        l.dims = p.dimensions;
        l.kernarg_va = p.kernarg_address;
        l.lds_bytes = p.group_segment_size;
        l.private_bytes = p.private_segment_size;
        for (uint32_t i = 0; i < 3; ++i) {
          // Unused dimensions must be 1 (HSA kernel dispatch packet rules).
          if (i >= p.dimensions && (wg[i] != 1 || grid[i] != 1))
            return fail_at("KERNEL_DISPATCH with " + std::to_string(p.dimensions) +
                           " dimensions has a size other than 1 in dimension " +
                           std::to_string(i + 1));
          if (wg[i] == 0)
            return fail_at("KERNEL_DISPATCH workgroup size 0 in dimension " +
                           std::to_string(i + 1));
          l.group[i] = wg[i];
          l.grid[i] = static_cast<uint32_t>((uint64_t{grid[i]} + wg[i] - 1) /
                                            wg[i]);  // grid is in work-items
        }
        const uint8_t* kd_p = nullptr;
        GpuFault f;
        kd_p = xlate(p.kernel_object, sizeof(kfd::kernel_descriptor_t), kRead, &f);
        if (!kd_p) return page_fault(f, "reading kernel_object");
        int64_t entry_off;
        std::memcpy(&entry_off,
                    kd_p + offsetof(kfd::kernel_descriptor_t, kernel_code_entry_byte_offset), 8);
        l.entry = p.kernel_object + static_cast<uint64_t>(entry_off);
        return launch(l);
      }
      case PacketId::kAqlBarrierAnd:
      case PacketId::kAqlBarrierOr: {
        const bool all = d.id == PacketId::kAqlBarrierAnd;
        std::array<uint64_t, 5> deps;
        if (all) {
          const auto p = *d.as<kfd::AqlBarrierAnd>();
          deps = p.dep_signal;
          *signal = p.completion_signal;
        } else {
          const auto p = *d.as<kfd::AqlBarrierOr>();
          deps = p.dep_signal;
          *signal = p.completion_signal;
        }
        // AND: every non-null dependency at 0; OR: any one (fact sheet §6.1).
        bool any_dep = false, any_done = false, all_done = true;
        for (uint64_t dep : deps) {
          if (dep == 0) continue;
          any_dep = true;
          std::optional<int64_t> v =
              load<int64_t>(dep + kSignalValue, "reading a barrier dependency signal");
          if (!v) return Step::kFault;
          if (*v == 0) {
            any_done = true;
          } else {
            all_done = false;
          }
        }
        const bool ready = all ? all_done : (!any_dep || any_done);
        return ready ? Step::kDone : Step::kStall;
      }
      case PacketId::kAqlBarrierValue: {
        const auto p = *d.as<kfd::AqlBarrierValue>();
        *signal = p.completion_signal;
        std::optional<int64_t> v =
            load<int64_t>(p.signal + kSignalValue, "reading the BARRIER_VALUE signal");
        if (!v) return Step::kFault;
        const int64_t a = static_cast<int64_t>(static_cast<uint64_t>(*v) & p.mask);
        const auto b = static_cast<int64_t>(p.value);
        bool ok = false;
        switch (p.cond) {
          case kfd::BarrierValueCond::kEqual: ok = a == b; break;
          case kfd::BarrierValueCond::kNotEqual: ok = a != b; break;
          case kfd::BarrierValueCond::kLess: ok = a < b; break;
          case kfd::BarrierValueCond::kGreaterEqual: ok = a >= b; break;
        }
        return ok ? Step::kDone : Step::kStall;
      }
      case PacketId::kAqlPm4Ib: {
        const auto p = *d.as<kfd::AqlPm4Ib>();
        *signal = p.completion_signal;
        s_.ibs.push_back({.va = p.ib_base, .size = p.ib_size, .pos = 0, .parent_advance = 0});
        return Step::kDone;
      }
      default: break;
    }
    return fail_at(std::string("AQL ") + d.name() + " is not executed by the simulator");
  }

  // amd_signal_t completion (fact sheet §6.1): decrement the value; if a mailbox is set, write
  // the event id there and interrupt with it.
  Step complete_signal(uint64_t sig) {
    int64_t* value = word<int64_t>(sig + kSignalValue, kRead | kWrite, "completing the signal");
    if (!value) return Step::kFault;
    std::atomic_ref<int64_t>(*value).fetch_sub(1, std::memory_order_acq_rel);
    std::optional<uint64_t> mailbox =
        load<uint64_t>(sig + kSignalMailbox, "reading the signal's event mailbox");
    if (!mailbox) return Step::kFault;
    if (*mailbox != 0) {
      std::optional<uint32_t> event =
          load<uint32_t>(sig + kSignalEventId, "reading the signal's event id");
      if (!event) return Step::kFault;
      if (!store<uint64_t>(*mailbox, *event, "writing the signal's event mailbox"))
        return Step::kFault;
      interrupt(*event);
    }
    return Step::kDone;
  }

  // ---- SDMA ----

  Step run_sdma() {
    const uint64_t ring_dw = q_.ring_size / 4;
    const uint32_t* r = ring("SDMA");
    if (!r) return Step::kFault;
    std::optional<uint64_t> end = write_pointer(q_.ring_size, "bytes");
    if (!end) return Step::kFault;
    if (*end % 4)
      return fail("doorbell " + hex(*end) + " is not a whole number of dwords (SDMA counts bytes)");
    for (uint32_t n = 0; n < kPacketBudget && s_.rptr < *end; ++n) {
      const uint64_t idx = (s_.rptr / 4) % ring_dw;
      where_ = Where::kRing;
      at_ = idx;
      core::Result<DecodedPacket> d = fetch(r, ring_dw, idx, (*end - s_.rptr) / 4);
      if (!d.ok()) return fail(d.error().message());
      const Step st = exec_sdma(*d);
      if (st != Step::kDone) return st;
      count_packet();
      s_.rptr += 4 * uint64_t{d->dwords()};
      if (!publish_rptr()) return Step::kFault;
    }
    return Step::kDone;
  }

  Step exec_sdma(const DecodedPacket& d) {
    switch (d.id) {
      case PacketId::kSdmaNop:
      case PacketId::kSdmaGcrReq:  // cache actions: validated by the decoder, no caches here
        return Step::kDone;
      case PacketId::kSdmaCopyLinear: {
        const auto p = *d.as<kfd::SdmaCopyLinear>();
        if (p.encrypt || p.tmz || p.backwards)
          return fail_at("COPY_LINEAR with ENCRYPT/TMZ/BACKWARDS is not simulated");
        // Each range must lie inside one mapping.
        GpuFault f;
        const uint8_t* src = xlate(p.src, p.bytes, kRead, &f);
        if (!src)
          return page_fault(f, "in COPY_LINEAR (source " + hex(p.src) + ", " +
                                   std::to_string(p.bytes) + " bytes)");
        uint8_t* dst = xlate(p.dst, p.bytes, kWrite, &f);
        if (!dst)
          return page_fault(f, "in COPY_LINEAR (destination " + hex(p.dst) + ", " +
                                   std::to_string(p.bytes) + " bytes)");
        std::memmove(dst, src, p.bytes);
        return Step::kDone;
      }
      case PacketId::kSdmaWriteUntiled: {
        const auto p = *d.as<kfd::SdmaWriteUntiled>();
        GpuFault f;
        uint8_t* dst = xlate(p.dst, 4 * p.data.size(), kWrite, &f);
        if (!dst) return page_fault(f, "in WRITE_UNTILED");
        auto* w = reinterpret_cast<uint32_t*>(dst);
        for (size_t i = 0; i < p.data.size(); ++i)
          std::atomic_ref<uint32_t>(w[i]).store(p.data[i], std::memory_order_release);
        return Step::kDone;
      }
      case PacketId::kSdmaFence: {
        const auto p = *d.as<kfd::SdmaFence>();
        return store<uint32_t>(p.addr, p.data, "in FENCE") ? Step::kDone
                                                           : Step::kFault;  // 32-bit write (§6.3)
      }
      case PacketId::kSdmaTrap: interrupt(d.as<kfd::SdmaTrap>()->int_context); return Step::kDone;
      case PacketId::kSdmaPollRegmem: {
        const auto p = *d.as<kfd::SdmaPollRegmem>();
        if (p.hdp_flush) return Step::kDone;  // the HDP flush form (§3.5): no HDP here
        if (!p.mem_poll) return fail_at("POLL_REGMEM on a register is not simulated");
        std::optional<uint32_t> v = load<uint32_t>(p.addr, "in POLL_REGMEM");
        if (!v) return Step::kFault;
        return compare(p.func, *v & p.mask, p.reference) ? Step::kDone : Step::kStall;
      }
      case PacketId::kSdmaTimestamp: {
        const auto p = *d.as<kfd::SdmaTimestamp>();
        return store<uint64_t>(p.addr, gpu_clock_now(), "in TIMESTAMP") ? Step::kDone
                                                                        : Step::kFault;
      }
      default: break;
    }
    return fail_at(std::string("packet ") + d.name() + " is not an SDMA packet");
  }

  Gpu& gpu_;
  Slot& s_;
  QueueState& q_;
  uint64_t progress_ = 0;
  uint64_t* rptr_ = nullptr;  // host pointer of rptr_va, translated once per turn
  Where where_ = Where::kRing;
  uint64_t at_ = 0;
  uint64_t ib_va_ = 0;
  uint32_t skip_ = 0;     // PRED_EXEC: dwords to skip after the packet
  bool chained_ = false;  // INDIRECT_BUFFER CHAIN replaced the current IB
  std::string_view kernel_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

struct CommandProcessor::Impl {
  Gpu gpu;
  std::mutex mu;
  std::condition_variable wake;  // add(), remove() and the destructor
  std::condition_variable idle;  // the CP left a slot (remove() waits for it)
  std::vector<std::unique_ptr<Slot>> slots;
  Slot* busy = nullptr;
  uint32_t waiters = 0;
  bool stop = false;
  bool kicked = false;
};

CommandProcessor::CommandProcessor(const Profile& profile, uint32_t gpu_id)
    : impl_(std::make_unique<Impl>()) {
  Gpu& g = impl_->gpu;
  g.profile = profile;
  g.gpu_id = gpu_id;
  g.packets = &packets_;
  core::Result<kfd::GfxGen> gen = kfd::gfx_gen_of(profile.gfx_target_version);
  if (gen.ok()) {
    g.gfx = *gen;
  } else {
    core::log_warn("sim: gpu " + std::to_string(gpu_id) + ": " + gen.error().message() +
                   "; decoding its packets as gfx11");
  }
  g.sdma = kfd::default_sdma_gen(g.gfx);
  thread_ = std::thread([this] { run(); });
}

CommandProcessor::~CommandProcessor() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  thread_.join();
}

void CommandProcessor::add(std::shared_ptr<QueueState> q) {
  auto s = std::make_unique<Slot>();
  s->q = std::move(q);
  {
    std::lock_guard lk(impl_->mu);
    impl_->slots.push_back(std::move(s));
    impl_->kicked = true;
  }
  impl_->wake.notify_all();
}

void CommandProcessor::remove(const QueueState* q) {
  Impl& m = *impl_;
  std::unique_lock lk(m.mu);
  auto find = [&] {
    return std::find_if(m.slots.begin(), m.slots.end(),
                        [&](const auto& s) { return s->q.get() == q; });
  };
  auto it = find();
  if (it == m.slots.end()) return;
  Slot* s = it->get();
  s->removing.store(true);
  ++m.waiters;
  m.idle.wait(lk, [&] { return m.busy != s; });
  --m.waiters;
  it = find();  // slots may have changed while waiting
  if (it != m.slots.end()) m.slots.erase(it);
}

void CommandProcessor::run() {
  using Clock = std::chrono::steady_clock;
  Impl& m = *impl_;
  auto last_progress = Clock::now();
  std::chrono::microseconds nap{0};
  std::unique_lock lk(m.mu);
  while (!m.stop) {
    if (m.slots.empty()) {
      m.wake.wait(lk, [&] { return m.stop || !m.slots.empty(); });
      continue;
    }
    m.kicked = false;
    bool progress = false;
    for (size_t i = 0; i < m.slots.size() && !m.stop; ++i) {
      Slot* s = m.slots[i].get();
      if (s->removing.load() || s->q->faulted.load() || !s->q->active.load()) continue;
      m.busy = s;
      lk.unlock();
      progress |= Exec(m.gpu, *s).run();
      lk.lock();
      m.busy = nullptr;
      if (m.waiters) m.idle.notify_all();
    }
    // Back off while idle: yield-spin for kSpinTime after the last progress, then sleep with
    // growing naps so that an idle CP costs almost nothing (doorbell stores cannot wake us).
    const auto now = Clock::now();
    if (progress || m.kicked) {
      last_progress = now;
      nap = std::chrono::microseconds(0);
      continue;
    }
    if (now - last_progress < kSpinTime) {
      lk.unlock();
      std::this_thread::yield();
      lk.lock();
      continue;
    }
    nap = nap.count() == 0 ? kFirstNap : std::min(nap * 2, std::chrono::microseconds(kMaxNap));
    m.wake.wait_for(lk, nap, [&] { return m.stop || m.kicked; });
  }
}

}  // namespace rawgpu::sim::amd

// The simulated NVIDIA engines (engines.h). Facts come from shared/abi/nvidia.md (the "fact
// sheet": §4 work submission, §5 QMD, §6.5 cbuf0) and shared/abi/nvidia-hopper.md ("H": §1 QMD
// V04_00, §2 compute methods, §3 host and copy classes, §4.4 driver cbuf0 words, §5 launch
// recipe). Every command format is decoded through nv_ioctl/packets.h (STYLE rule 5); this file
// holds no method or field table of its own, only what each method does.
//
// Threading: one thread per GPU runs loop(). A channel is handed to it as a Slot; the thread marks
// the slot it works on as `busy` under mu, and remove() waits until the slot is not busy before it
// drops it, so after remove() returns nothing here touches the ChannelState again. Everything a
// Slot holds besides `removing` is used by the engine thread only; the lock is taken once per
// channel per turn, never per method.
#include "sim/nv/engines.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/log.h"
#include "nv_ioctl/cubin.h"
#include "nv_ioctl/packets.h"
#include "sim/host_kernel.h"
#include "sim/kernel_abi.h"

namespace rawgpu::sim::nv {

uint64_t gpu_time_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

namespace {

namespace hw = rawgpu::nv;

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

// ---- tunables (simulator choices, not hardware facts) --------------------------------------

constexpr uint32_t kMethodBudget = 2048;     // method writes per channel per round-robin turn
constexpr uint32_t kMaxChainedQmds = 65536;  // dependent QMDs run from one launch (guards loops)
constexpr auto kSpinTime = std::chrono::microseconds(50);  // yield-spin after the last progress
constexpr auto kFirstNap = std::chrono::microseconds(8);
constexpr auto kMaxNap = std::chrono::microseconds(100);
constexpr uint32_t kMaxThreadsPerCta = 1024;  // CUDA: maxThreadsPerBlock on every sm_7x..sm_10x
// Hopper+ shared window: "needs 4GB alignment on hopper+" (H§2, NVK).
constexpr uint64_t kHopperSharedWindowAlign = uint64_t{1} << 32;
constexpr std::string_view kHostSymbolPrefix = "rg_sim_kernel_";

enum class Step : uint8_t { kDone, kStall, kFault };

// ---- per-channel state ------------------------------------------------------------------------

struct Slot {
  std::shared_ptr<ChannelState> ch;
  std::atomic<bool> removing{false};

  // Engine-thread-only state.
  bool rung = false;     // its own token has been seen at least once
  bool pending = false;  // a doorbell asked for a fetch; cleared when GP_GET reaches GP_PUT
  bool checked = false;  // the static fields were validated
  uint32_t gp_get = 0;

  // The GPFIFO entry being executed (kept across a stall or an exhausted budget).
  bool in_entry = false;
  uint64_t pb_va = 0;
  uint32_t pb_len = 0;               // dwords
  uint32_t pb_off = 0;               // dword offset of the method header to execute next
  uint32_t write_i = 0;              // next write of that header
  hw::ChannelState dec;              // host class + subchannel bindings (SET_OBJECT)
  std::vector<uint32_t> pb_scratch;  // a pushbuffer that spans several mappings

  // Host class (fact sheet §4.4).
  uint32_t sem_addr_lo = 0, sem_addr_hi = 0, sem_payload_lo = 0, sem_payload_hi = 0;
  uint32_t mem_op_c = 0;

  // Compute class (fact sheet §4.5, H§2).
  uint32_t shared_window_hi = 0, shared_window_lo = 0;
  uint32_t local_window_hi = 0, local_window_lo = 0;
  uint32_t local_memory_hi = 0, local_memory_lo = 0;
  uint32_t local_nt[3] = {0, 0, 0};
  uint32_t pcas_a = 0;
  bool pcas_a_set = false;
  uint32_t inline_qmd_hi = 0, inline_qmd_lo = 0;
  bool inline_384 = false;
  uint32_t inline_next = 0;  // next LOAD_INLINE_QMD_DATA index expected
  std::array<uint32_t, 96> inline_qmd{};
  uint32_t i2m_line_length = 0, i2m_line_count = 0, i2m_out_hi = 0, i2m_out_lo = 0;
  uint64_t i2m_dst = 0, i2m_left = 0;  // an inline upload in progress (LOAD_INLINE_DATA)
  uint32_t report_a = 0, report_b = 0, report_c = 0;

  // Copy class (fact sheet §4.6, H§3).
  uint32_t ce_sem_a = 0, ce_sem_b = 0, ce_payload = 0, ce_payload_hi = 0;
  uint32_t in_hi = 0, in_lo = 0, out_hi = 0, out_lo = 0;
  uint32_t pitch_in = 0, pitch_out = 0, line_length = 0, line_count = 0;
};

struct CachedFn {
  uint64_t so_hash;
  uint32_t so_size;
  std::string symbol;
  rg_sim_kernel_fn fn;
};

// What all channels of one GPU share; engine thread only (counters are atomics for readers).
struct Gpu {
  Profile profile;
  std::shared_ptr<Bo> usermode;
  std::atomic<uint64_t> methods{0};
  std::atomic<uint64_t> launches{0};
  std::atomic<uint64_t> strays{0};
  std::atomic<uint64_t> entries{0};
  std::unordered_multimap<uint64_t, CachedFn> fns;   // host functions by (so hash, symbol)
  std::vector<uint8_t> lds;                          // shared memory of the CTA being run
  std::vector<std::pair<uint64_t, uint64_t>> chain;  // dependent QMDs to run: {qmd, parent}
};

// ---- reductions shared by host semaphores and QMD releases -------------------------------------

template <class T>
T reduce(uint32_t op, bool is_signed, T v, T p) {
  using S = std::make_signed_t<T>;
  switch (op) {
    case 0: return v + p;  // ADD
    case 1: return is_signed ? T(std::min(S(v), S(p))) : std::min(v, p);
    case 2: return is_signed ? T(std::max(S(v), S(p))) : std::max(v, p);
    case 3: return v >= p ? T{0} : T(v + 1);          // INC (wraps at the payload)
    case 4: return (v == 0 || v > p) ? p : T(v - 1);  // DEC
    case 5: return v & p;
    case 6: return v | p;
    default: return v ^ p;  // 7: XOR
  }
}
// Host SEM_EXECUTE REDUCTION codes (clc56f.h: IMIN 0, IMAX 1, IXOR 2, IAND 3, IOR 4, IADD 5,
// INC 6, DEC 7) mapped onto reduce()'s order (the QMD's RED_* order: ADD, MIN, MAX, INC, DEC, AND,
// OR, XOR).
constexpr uint32_t kHostReductionToOp[8] = {1, 2, 7, 5, 6, 0, 3, 4};

// ---- execution of one channel for one turn ----------------------------------------------------

class Exec {
 public:
  Exec(Gpu& gpu, Slot& s) : gpu_(gpu), s_(s), ch_(*s.ch) {}

  // True when the channel made progress.
  bool run() {
    if (!s_.checked && !check_channel()) return true;
    (void)run_gpfifo();
    return progress_;
  }

 private:
  // ---- errors ----

  // "ch 1 GPFIFO[3] pb+0x14: HOPPER_COMPUTE_A.SEND_PCAS_A" (pb+N: dword offset in the pushbuffer).
  std::string location() const {
    std::string s = "ch " + std::to_string(ch_.chid);
    if (s_.in_entry || at_slot_) {
      s += " GPFIFO[" + std::to_string(s_.gp_get) + "]";
      if (s_.in_entry) s += " pb+" + hex(at_off_);
    }
    if (cur_ != nullptr) s += ": " + cur_->name();
    return s;
  }

  // Stops the channel: stores the first error, sets faulted, then tells RM (engines.h). GP_GET
  // stays at the failing entry.
  Step fail(uint32_t xid, const std::string& what) {
    const std::string text = location() + ": " + what;
    {
      std::lock_guard lk(ch_.fault_mu);
      if (ch_.faulted.load() || !ch_.fault.empty()) return Step::kFault;
      ch_.fault = text;
    }
    ch_.faulted.store(true);
    core::log_warn("sim: nv " + std::string(gpu_.profile.name) + ": Xid " + std::to_string(xid) +
                   ": " + text + " (channel stopped)");
    // A channel being freed reports nothing more: its process may be tearing down.
    if (ch_.sink != nullptr && !s_.removing.load()) ch_.sink->on_channel_error(ch_, xid, text);
    progress_ = true;
    return Step::kFault;
  }
  Step illegal(const std::string& what) { return fail(kXidGraphicsException, what); }
  Step page_fault(const GpuFault& f, const std::string& what) {
    return fail(kXidMmuFault, describe_gpu_fault(f) + " " + what);
  }

  // ---- memory ----

  uint8_t* xlate(uint64_t va, uint64_t len, uint32_t access, GpuFault* f) const {
    return ch_.vm->translate(va, len, access, f);
  }
  template <class T>
  T* word(uint64_t va, uint32_t access, const char* what) {
    if (va % sizeof(T) != 0) {
      illegal(std::string(what) + ": address " + hex(va) + " is not " + std::to_string(sizeof(T)) +
              "-byte aligned");
      return nullptr;
    }
    GpuFault f;
    uint8_t* p = xlate(va, sizeof(T), access, &f);
    if (p == nullptr) {
      page_fault(f, what);
      return nullptr;
    }
    return reinterpret_cast<T*>(p);
  }

  // A semaphore release: `payload` (8 bytes when `wide`, else 4; the other 4 bytes are left as
  // they are), and with `timestamp` the 64-bit gpu_time_ns() at +8 (fact sheet §4.4: 16-byte
  // {value, timestamp} records). The timestamp is stored first so that whoever sees the payload
  // also sees it. 8-byte alignment with a 64-bit payload or a timestamp, else 4.
  bool release(uint64_t va, uint64_t payload, bool wide, bool timestamp, const char* what) {
    if ((wide || timestamp) && va % 8 != 0) {
      illegal(std::string(what) + ": semaphore address " + hex(va) +
              " is not 8-byte aligned (64-bit payloads and timestamps need it)");
      return false;
    }
    if (timestamp) {
      auto* t = word<uint64_t>(va + 8, kWrite, what);
      if (t == nullptr) return false;
      std::atomic_ref<uint64_t>(*t).store(gpu_time_ns(), std::memory_order_release);
    }
    if (wide) {
      auto* p = word<uint64_t>(va, kWrite, what);
      if (p == nullptr) return false;
      std::atomic_ref<uint64_t>(*p).store(payload, std::memory_order_release);
    } else {
      auto* p = word<uint32_t>(va, kWrite, what);
      if (p == nullptr) return false;
      std::atomic_ref<uint32_t>(*p).store(static_cast<uint32_t>(payload),
                                          std::memory_order_release);
    }
    return true;
  }
  template <class T>
  bool reduce_at(uint64_t va, uint32_t op, bool is_signed, T payload, const char* what) {
    T* p = word<T>(va, kWrite, what);
    if (p == nullptr) return false;
    std::atomic_ref<T> a(*p);
    T cur = a.load(std::memory_order_acquire);
    while (!a.compare_exchange_weak(cur, reduce<T>(op, is_signed, cur, payload),
                                    std::memory_order_acq_rel)) {
    }
    return true;
  }

  // Copies n bytes GPU VA to GPU VA through the page table: one translation per side when each
  // range lies in one mapping, else page by page (the pages may map different objects).
  Step copy_bytes(uint64_t dst, uint64_t src, uint64_t n, const char* what) {
    if (n == 0) return Step::kDone;
    GpuFault f;
    if (src + n < src || dst + n < dst) return illegal(std::string(what) + ": the range wraps");
    uint8_t* d = xlate(dst, n, kWrite, &f);
    const uint8_t* s = d != nullptr ? xlate(src, n, kRead, &f) : nullptr;
    if (d != nullptr && s != nullptr) {
      std::memmove(d, s, n);
      return Step::kDone;
    }
    while (n > 0) {
      const uint64_t c = std::min({n, PageTable::kPage - src % PageTable::kPage,
                                   PageTable::kPage - dst % PageTable::kPage});
      s = xlate(src, c, kRead, &f);
      if (s == nullptr) return page_fault(f, std::string(what) + " (source)");
      d = xlate(dst, c, kWrite, &f);
      if (d == nullptr) return page_fault(f, std::string(what) + " (destination)");
      std::memmove(d, s, c);
      src += c;
      dst += c;
      n -= c;
    }
    return Step::kDone;
  }

  // ---- GPFIFO (fact sheet §4.1, §4.2) ----

  bool check_channel() {
    s_.checked = true;
    if (ch_.vm == nullptr || ch_.userd == nullptr)
      return fail(kXidPbdmaError, "the channel has no VA space or USERD") != Step::kFault;
    if (ch_.gpfifo_entries < 2 || (ch_.gpfifo_entries & (ch_.gpfifo_entries - 1)) != 0) {
      return fail(kXidPbdmaError, "gpFifoEntries " + std::to_string(ch_.gpfifo_entries) +
                                      " is not a power of two >= 2") != Step::kFault;
    }
    if (!hw::class_kind(ch_.channel_class) ||
        *hw::class_kind(ch_.channel_class) != hw::ClassKind::kHost) {
      return fail(kXidPbdmaError, "channel class " + hex(ch_.channel_class) +
                                      " is not a described GPFIFO class") != Step::kFault;
    }
    s_.dec.host_class = ch_.channel_class;
    s_.gp_get = hw::read_gp_get(ch_.userd);
    if (s_.gp_get >= ch_.gpfifo_entries) s_.gp_get = 0;
    return true;
  }

  void publish_gp_get() {
    std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(ch_.userd + hw::kUserdGpGetOffset))
        .store(s_.gp_get, std::memory_order_release);
  }

  Step run_gpfifo() {
    const uint32_t n = ch_.gpfifo_entries;
    while (budget_ > 0) {
      if (!s_.in_entry) {
        const uint32_t put = hw::read_gp_put(ch_.userd);
        if (put >= n) {
          at_slot_ = true;
          return fail(kXidPbdmaError, "GP_PUT " + std::to_string(put) + " is outside the ring of " +
                                          std::to_string(n) +
                                          " entries (USERD +0x8C holds an index, not a byte "
                                          "offset)");
        }
        if (put == s_.gp_get) {
          s_.pending = false;
          return Step::kDone;
        }
        at_slot_ = true;
        GpuFault f;
        const uint64_t entry_va = ch_.gpfifo_va + 8 * uint64_t{s_.gp_get};
        const uint8_t* e = xlate(entry_va, 8, kRead, &f);
        if (e == nullptr) return page_fault(f, "reading GPFIFO entry at " + hex(entry_va));
        uint64_t raw = 0;
        std::memcpy(&raw, e, 8);
        core::Result<hw::GpfifoEntry> entry = hw::decode_gpfifo_entry(raw, s_.gp_get);
        if (!entry.ok()) return fail(kXidPbdmaError, entry.error().message());
        s_.in_entry = true;
        s_.pb_va = entry->address;
        s_.pb_len = entry->length;
        s_.pb_off = 0;
        s_.write_i = 0;
        progress_ = true;
      }
      const Step st = run_pushbuffer();
      if (st != Step::kDone) return st;
      if (s_.in_entry) return Step::kDone;  // budget spent mid-pushbuffer
      s_.gp_get = (s_.gp_get + 1) & (n - 1);
      publish_gp_get();
      gpu_.entries.fetch_add(1, std::memory_order_relaxed);
      at_slot_ = false;
    }
    return Step::kDone;
  }

  // The pushbuffer of the current entry: a host view, or a copy when it spans mappings.
  std::optional<std::span<const uint32_t>> fetch_pushbuffer() {
    const uint64_t bytes = 4 * uint64_t{s_.pb_len};
    GpuFault f;
    if (const uint8_t* p = xlate(s_.pb_va, bytes, kRead, &f)) {
      return std::span<const uint32_t>(reinterpret_cast<const uint32_t*>(p), s_.pb_len);
    }
    s_.pb_scratch.resize(s_.pb_len);
    auto* out = reinterpret_cast<uint8_t*>(s_.pb_scratch.data());
    for (uint64_t done = 0; done < bytes;) {
      const uint64_t va = s_.pb_va + done;
      const uint64_t c = std::min(bytes - done, PageTable::kPage - va % PageTable::kPage);
      const uint8_t* p = xlate(va, c, kRead, &f);
      if (p == nullptr) {
        page_fault(f, "fetching the pushbuffer at " + hex(s_.pb_va) + " (" +
                          std::to_string(s_.pb_len) + " dwords)");
        return std::nullopt;
      }
      std::memcpy(out + done, p, c);
      done += c;
    }
    return std::span<const uint32_t>(s_.pb_scratch);
  }

  Step run_pushbuffer() {
    std::optional<std::span<const uint32_t>> pb = fetch_pushbuffer();
    if (!pb) return Step::kFault;
    while (s_.pb_off < pb->size()) {
      at_off_ = s_.pb_off;
      cur_ = nullptr;
      core::Result<hw::PushbufferEntry> e = hw::decode_entry(*pb, s_.pb_off);
      if (!e.ok()) return fail(kXidPbdmaError, e.error().message());
      if (e->header.sec_op == hw::SecOp::END_PB_SEGMENT) break;
      const uint32_t writes = e->writes();
      for (; s_.write_i < writes; ++s_.write_i) {
        if (budget_ == 0) return Step::kDone;  // resume here next turn
        at_off_ = e->offset_of(s_.write_i);
        cur_ = nullptr;
        core::Result<hw::MethodWrite> w = hw::resolve_write(s_.dec, *e, s_.write_i);
        if (!w.ok()) return illegal(w.error().message());
        cur_ = &*w;
        const Step st = method(*w);
        if (st != Step::kDone) return st;
        cur_ = nullptr;
        --budget_;
        progress_ = true;
        gpu_.methods.fetch_add(1, std::memory_order_relaxed);
      }
      s_.pb_off += e->dwords();
      s_.write_i = 0;
    }
    cur_ = nullptr;
    s_.in_entry = false;
    return Step::kDone;
  }

  // ---- methods ----

  Step method(const hw::MethodWrite& w) {
    if (w.desc == nullptr) {
      return illegal("method " + hex(w.method) + " (data " + hex(w.data) +
                     ") is not in the class's method table");
    }
    if (w.method == hw::NVC6C0_SET_OBJECT) return set_object(w);
    if (w.method < hw::kHostMethodLimit) return host_method(w);
    switch (w.cls->kind) {
      case hw::ClassKind::kCompute: return compute_method(w);
      case hw::ClassKind::kCopy: return copy_method(w);
      case hw::ClassKind::kHost: break;
    }
    return illegal("host class bound to a subchannel");
  }

  Step set_object(const hw::MethodWrite& w) {
    const uint32_t id = w.data & 0xFFFF;
    if (id == 0 || (id != ch_.compute_class && id != ch_.copy_class)) {
      s_.dec.subchannel_class[w.subchannel] = 0;
      const char* n = hw::class_name(id);
      return illegal("SET_OBJECT of class " + hex(id) + (n ? std::string(" (") + n + ")" : "") +
                     " on subchannel " + std::to_string(w.subchannel) +
                     ": no object of that class was allocated on this channel (compute " +
                     hex(ch_.compute_class) + ", copy " + hex(ch_.copy_class) + ")");
    }
    return Step::kDone;
  }

  // Host class (fact sheet §4.4, H§3).
  Step host_method(const hw::MethodWrite& w) {
    switch (w.method) {
      case hw::NVC56F_NON_STALL_INTERRUPT:
        if (ch_.sink != nullptr && !s_.removing.load()) ch_.sink->on_nonstall_interrupt(ch_);
        return Step::kDone;
      case hw::NVC56F_MEM_OP_A:
      case hw::NVC56F_MEM_OP_B: return Step::kDone;  // TLB-invalidate operands
      case hw::NVC56F_MEM_OP_C: s_.mem_op_c = w.data; return Step::kDone;
      case hw::NVC56F_MEM_OP_D: {
        const uint32_t op = w.data >> 27;
        // MEMBAR, TLB invalidates, L2 flush/invalidate/clean/wait: no caches or TLBs to act on.
        // MMU_OPERATION (0xB) and ACCESS_COUNTER_CLR (0x16) have effects we do not model.
        if (op == 0x0B || op == 0x16) {
          return illegal("MEM_OP_D operation " + hex(op) + " is not simulated");
        }
        return Step::kDone;
      }
      case hw::NVC56F_SEM_ADDR_LO: s_.sem_addr_lo = w.data; return Step::kDone;
      case hw::NVC56F_SEM_ADDR_HI: s_.sem_addr_hi = w.data; return Step::kDone;
      case hw::NVC56F_SEM_PAYLOAD_LO: s_.sem_payload_lo = w.data; return Step::kDone;
      case hw::NVC56F_SEM_PAYLOAD_HI: s_.sem_payload_hi = w.data; return Step::kDone;
      case hw::NVC56F_SEM_EXECUTE: return sem_execute(w);
      case hw::NVC56F_WFI: return Step::kDone;  // the engines run one method at a time
      default: break;
    }
    return illegal("host method is not simulated");
  }

  Step sem_execute(const hw::MethodWrite& w) {
    const auto e = hw::decode_word<hw::SemExecute>(w.data, ch_.channel_class);
    const uint64_t va = (uint64_t{s_.sem_addr_hi} << 32) | s_.sem_addr_lo;
    const bool wide = e.payload_size == hw::SemPayloadSize::PAYLOAD_SIZE_64BIT;
    const uint64_t payload =
        wide ? (uint64_t{s_.sem_payload_hi} << 32) | s_.sem_payload_lo : s_.sem_payload_lo;
    using Op = hw::SemOperation;
    const bool is_release = e.operation == Op::RELEASE || e.operation == Op::REDUCTION;
    if (!is_release && (e.release_timestamp || e.release_wfi)) {
      return illegal("RELEASE_TIMESTAMP / RELEASE_WFI on an acquire");
    }
    if (e.operation == Op::RELEASE) {
      return release(va, payload, wide, e.release_timestamp, "semaphore release") ? Step::kDone
                                                                                  : Step::kFault;
    }
    if (e.operation == Op::REDUCTION) {
      const uint32_t op = kHostReductionToOp[static_cast<uint32_t>(e.reduction) & 7];
      const bool sgn = e.reduction_format == hw::SemReductionFormat::SIGNED;
      const bool ok = wide ? reduce_at<uint64_t>(va, op, sgn, payload, "semaphore reduction")
                           : reduce_at<uint32_t>(va, op, sgn, static_cast<uint32_t>(payload),
                                                 "semaphore reduction");
      if (!ok) return Step::kFault;
      if (e.release_timestamp) {
        if (va % 8 != 0) return illegal("a timestamp needs an 8-byte aligned semaphore");
        auto* t = word<uint64_t>(va + 8, kWrite, "semaphore timestamp");
        if (t == nullptr) return Step::kFault;
        std::atomic_ref<uint64_t>(*t).store(gpu_time_ns(), std::memory_order_release);
      }
      return Step::kDone;
    }
    // Acquires: compare in the payload's width (clc56f.h NVC56F_SEM_EXECUTE_OPERATION_*).
    uint64_t v = 0;
    if (wide) {
      auto* p = word<uint64_t>(va, kRead, "semaphore acquire");
      if (p == nullptr) return Step::kFault;
      v = std::atomic_ref<uint64_t>(*p).load(std::memory_order_acquire);
    } else {
      auto* p = word<uint32_t>(va, kRead, "semaphore acquire");
      if (p == nullptr) return Step::kFault;
      v = std::atomic_ref<uint32_t>(*p).load(std::memory_order_acquire);
    }
    const uint64_t mask = wide ? ~uint64_t{0} : 0xFFFFFFFFu;
    bool ok = false;
    switch (e.operation) {
      case Op::ACQUIRE: ok = v == payload; break;
      case Op::ACQ_STRICT_GEQ: ok = v >= payload; break;
      case Op::ACQ_CIRC_GEQ:  // (value - payload) as a signed number of the width is >= 0
        ok = wide ? static_cast<int64_t>(v - payload) >= 0
                  : static_cast<int32_t>(static_cast<uint32_t>(v - payload)) >= 0;
        break;
      case Op::ACQ_AND: ok = (v & payload) != 0; break;
      case Op::ACQ_NOR: ok = (~(v | payload) & mask) != 0; break;
      default: return illegal("semaphore operation is not simulated");
    }
    return ok ? Step::kDone : Step::kStall;
  }

  // Compute class (fact sheet §4.5, H§2).
  Step compute_method(const hw::MethodWrite& w) {
    switch (w.method) {
      case 0x0100:  // NO_OPERATION
      case 0x0110:  // WAIT_FOR_IDLE
      case 0x0140:  // PM_TRIGGER
      case 0x0144:  // PM_TRIGGER_WFI
      case hw::NVC6C0_INVALIDATE_SHADER_CACHES:
      case 0x0244:  // INVALIDATE_TEXTURE_HEADER_CACHE_NO_WFI
      case hw::NVC6C0_INVALIDATE_SKED_CACHES:
      case 0x02B0:  // SET_CWD_SLOT_COUNT
      case 0x0310:  // SET_SPA_VERSION
      case 0x1288:  // INVALIDATE_TEXTURE_DATA_CACHE_NO_WFI
      case 0x1424:  // INVALIDATE_SAMPLER_CACHE_NO_WFI
      case hw::NVC6C0_INVALIDATE_SHADER_CACHES_NO_WFI:
      case 0x1944:           // SET_RENDER_ENABLE_OVERRIDE
        return Step::kDone;  // no caches, no scheduler slots: checked by the decoder only
      case hw::NVC6C0_LINE_LENGTH_IN: s_.i2m_line_length = w.data; return Step::kDone;
      case hw::NVC6C0_LINE_COUNT: s_.i2m_line_count = w.data; return Step::kDone;
      case hw::NVC6C0_OFFSET_OUT_UPPER: s_.i2m_out_hi = w.data; return Step::kDone;
      case hw::NVC6C0_OFFSET_OUT: s_.i2m_out_lo = w.data; return Step::kDone;
      case hw::NVC6C0_LAUNCH_DMA: return inline_upload_start(w);
      case hw::NVC6C0_LOAD_INLINE_DATA: return inline_upload_data(w);
      case hw::NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_A: s_.shared_window_hi = w.data; break;
      case hw::NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_B: s_.shared_window_lo = w.data; break;
      case hw::NVC6C0_SET_SHADER_LOCAL_MEMORY_WINDOW_A: s_.local_window_hi = w.data; break;
      case hw::NVC6C0_SET_SHADER_LOCAL_MEMORY_WINDOW_B: s_.local_window_lo = w.data; break;
      case hw::NVC6C0_SET_SHADER_LOCAL_MEMORY_A: s_.local_memory_hi = w.data; break;
      case hw::NVC6C0_SET_SHADER_LOCAL_MEMORY_B: s_.local_memory_lo = w.data; break;
      case hw::NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A: s_.local_nt[0] = w.data; break;
      case hw::NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B: s_.local_nt[1] = w.data; break;
      case hw::NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C: s_.local_nt[2] = w.data; break;
      case hw::NVC6C0_SEND_PCAS_A:
        s_.pcas_a = w.data;
        s_.pcas_a_set = true;
        return Step::kDone;
      case hw::NVC6C0_SEND_SIGNALING_PCAS_B: {  // the older form: INVALIDATE 0, SCHEDULE 1
        if ((w.data & 2) == 0) return Step::kDone;
        return pcas_launch();
      }
      case hw::NVC6C0_SEND_SIGNALING_PCAS2_B: return send_signaling_pcas2(w);
      case hw::NVC6C0_SET_INLINE_QMD_ADDRESS_A: {
        const auto a = hw::decode_word<hw::SetInlineQmdAddressA>(w.data, w.cls->id);
        s_.inline_qmd_hi = a.qmd_address_shifted8_upper;
        s_.inline_384 = a.inline_size == hw::InlineSize::INLINE_384;
        s_.inline_next = 0;
        return Step::kDone;
      }
      case hw::NVC6C0_SET_INLINE_QMD_ADDRESS_B:
        s_.inline_qmd_lo = w.data;
        s_.inline_next = 0;
        return Step::kDone;
      case 0x1B00: s_.report_a = w.data; return Step::kDone;  // SET_REPORT_SEMAPHORE_A..C
      case 0x1B04: s_.report_b = w.data; return Step::kDone;
      case 0x1B08: s_.report_c = w.data; return Step::kDone;
      case 0x1B0C: return report_semaphore(w);
      default:
        if (w.method >= hw::NVC6C0_LOAD_INLINE_QMD_DATA(0) &&
            w.method < hw::NVC6C0_LOAD_INLINE_QMD_DATA(hw::qmd_dwords_for_class(w.cls->id))) {
          return load_inline_qmd(w);
        }
        return illegal("compute method is not simulated");
    }
    return Step::kDone;
  }

  uint64_t shared_window() const {
    return (uint64_t{s_.shared_window_hi} << 32) | s_.shared_window_lo;
  }

  // Compute LAUNCH_DMA: the inline-to-memory upload that the LOAD_INLINE_DATA words feed.
  Step inline_upload_start(const hw::MethodWrite& w) {
    if (s_.i2m_left != 0) {
      return illegal("LAUNCH_DMA while the previous inline upload still expects " +
                     std::to_string(s_.i2m_left) + " bytes of LOAD_INLINE_DATA");
    }
    if ((w.data & 1) == 0) return illegal("block-linear inline uploads are not simulated");
    if ((w.data & 2) != 0) return illegal("REDUCTION_ENABLE inline uploads are not simulated");
    if (((w.data >> 4) & 3) == 2)
      return illegal("COMPLETION_TYPE RELEASE_SEMAPHORE is not simulated");
    if (((w.data >> 8) & 3) != 0) return illegal("INTERRUPT_TYPE is not simulated");
    if (s_.i2m_line_count != 1) {
      return illegal("LINE_COUNT " + std::to_string(s_.i2m_line_count) +
                     ": only single-line inline uploads are simulated");
    }
    s_.i2m_dst = (uint64_t{s_.i2m_out_hi} << 32) | s_.i2m_out_lo;
    s_.i2m_left = s_.i2m_line_length;
    return Step::kDone;
  }
  Step inline_upload_data(const hw::MethodWrite& w) {
    if (s_.i2m_left == 0) return illegal("LOAD_INLINE_DATA without an inline upload (LAUNCH_DMA)");
    const uint64_t n = std::min<uint64_t>(4, s_.i2m_left);
    GpuFault f;
    uint8_t* d = xlate(s_.i2m_dst, n, kWrite, &f);
    if (d == nullptr) return page_fault(f, "in the inline upload");
    std::memcpy(d, &w.data, n);
    s_.i2m_dst += n;
    s_.i2m_left -= n;
    return Step::kDone;
  }

  Step report_semaphore(const hw::MethodWrite& w) {
    const uint32_t op = w.data & 3;
    if (op != 0) return illegal("SET_REPORT_SEMAPHORE_D OPERATION other than RELEASE");
    if ((w.data & (1u << 3)) != 0) return illegal("report reductions are not simulated");
    if ((w.data & (1u << 19)) != 0) return illegal("CONDITIONAL_TRAP is not simulated");
    const bool one_word = (w.data >> 28) & 1;
    const uint64_t va = (uint64_t{s_.report_a} << 32) | s_.report_b;
    return release(va, s_.report_c, false, !one_word, "report semaphore") ? Step::kDone
                                                                          : Step::kFault;
  }

  Step send_signaling_pcas2(const hw::MethodWrite& w) {
    const auto b = hw::decode_word<hw::SendSignalingPcas2B>(w.data, w.cls->id);
    if (b.select != 0 || b.offset_minus_one != 0)
      return illegal("SELECT / OFFSET_MINUS_ONE (queue QMDs) are not simulated");
    using A = hw::PcasAction;
    switch (b.pcas_action) {
      case A::NOP:
      case A::INVALIDATE:
      case A::PREFETCH: return Step::kDone;
      case A::SCHEDULE:
      case A::INVALIDATE_COPY_SCHEDULE:
      case A::PREFETCH_SCHEDULE:
      case A::INVALIDATE_PREFETCH_COPY_SCHEDULE:
      case A::INVALIDATE_PREFETCH_COPY_FORCE_REQUIRE_SCHEDULING: return pcas_launch();
      default: break;
    }
    return illegal("PCAS_ACTION " + std::to_string(static_cast<int>(b.pcas_action)) +
                   " (dependence counters, queue QMDs) is not simulated");
  }

  Step pcas_launch() {
    if (!s_.pcas_a_set) return illegal("a launch without SEND_PCAS_A (no QMD address)");
    return launch(uint64_t{s_.pcas_a} << 8);
  }

  Step load_inline_qmd(const hw::MethodWrite& w) {
    const uint32_t n = hw::qmd_dwords(gpu_.profile.qmd);
    const uint32_t i = w.index;
    if (i != s_.inline_next) {
      return illegal("LOAD_INLINE_QMD_DATA(" + std::to_string(i) + ") out of order: dword " +
                     std::to_string(s_.inline_next) +
                     " comes next (send SET_INLINE_QMD_ADDRESS_A/B, then all dwords in order)");
    }
    if (i >= n) {
      return illegal("a " + std::string(hw::qmd_version_name(gpu_.profile.qmd)) + " QMD has " +
                     std::to_string(n) + " dwords");
    }
    if (hw::is_hopper_or_later_compute(w.cls->id) && !s_.inline_384) {
      return illegal("SET_INLINE_QMD_ADDRESS_A INLINE_SIZE is INLINE_256 but the class takes " +
                     std::to_string(n * 4) + "-byte QMDs (INLINE_384)");
    }
    s_.inline_qmd[i] = w.data;
    s_.inline_next = i + 1;
    if (s_.inline_next < n) return Step::kDone;
    s_.inline_next = 0;
    // The whole QMD arrived: it is stored at the inline address (dependent QMDs and later
    // SEND_PCAS_A may name it) and launched from there.
    const uint64_t va = ((uint64_t{s_.inline_qmd_hi} << 32) | s_.inline_qmd_lo) << 8;
    GpuFault f;
    uint8_t* p = xlate(va, 4 * uint64_t{n}, kWrite, &f);
    if (p == nullptr) return page_fault(f, "storing the inline QMD at " + hex(va));
    std::memcpy(p, s_.inline_qmd.data(), 4 * size_t{n});
    return launch(va);
  }

  // ---- launches (fact sheet §5, H§1, H§4.4) ----

  Step launch(uint64_t qmd_va) {
    auto& chain = gpu_.chain;
    chain.clear();
    chain.emplace_back(qmd_va, 0);
    for (uint32_t n = 0; !chain.empty(); ++n) {
      if (n == kMaxChainedQmds) {
        return illegal("more than " + std::to_string(kMaxChainedQmds) +
                       " QMDs chained from the QMD at " + hex(qmd_va) + " (a DEPENDENT_QMD loop?)");
      }
      const auto [va, parent] = chain.back();
      chain.pop_back();
      qmd_va_ = va;
      parent_va_ = parent;
      const Step st = run_qmd(va);
      if (st != Step::kDone) return st;
    }
    return Step::kDone;
  }

  std::string kname() const { return "kernel " + std::string(kernel_); }
  std::string qmd_where() const {
    std::string s = "QMD at " + hex(qmd_va_);
    if (parent_va_ != 0) s += " (dependent QMD of " + hex(parent_va_) + ")";
    return s;
  }
  Step qmd_illegal(const std::string& what) { return illegal(qmd_where() + ": " + what); }
  Step qmd_fault(const GpuFault& f, const std::string& what) {
    return fail(kXidMmuFault, qmd_where() + ": " + describe_gpu_fault(f) + " " + what);
  }

  Step run_qmd(uint64_t va) {
    const hw::QmdVersion ver = gpu_.profile.qmd;
    const uint32_t dwords = hw::qmd_dwords(ver);
    GpuFault f;
    const uint8_t* qp = xlate(va, 4 * uint64_t{dwords}, kRead, &f);
    if (qp == nullptr) return qmd_fault(f, "reading the QMD");
    std::array<uint32_t, 96> qw{};
    std::memcpy(qw.data(), qp, 4 * size_t{dwords});
    core::Result<hw::QmdParams> decoded = hw::decode_qmd(std::span(qw).first(dwords), ver);
    if (!decoded.ok()) {
      return qmd_illegal(decoded.error().message() + " (" + std::string(gpu_.profile.name) +
                         " takes QMD " + hw::qmd_version_name(ver) + ")");
    }
    const hw::QmdParams& q = *decoded;
    if (q.qmd_type != hw::QmdType::GRID_CTA) {
      return qmd_illegal("QMD_TYPE " + std::to_string(static_cast<int>(q.qmd_type)) +
                         ": only plain grids (GRID_CTA) are simulated");
    }

    // The kernel: a simulator stub at the program address (nv_ioctl/cubin.h SimNvEntryStub).
    const uint8_t* sp = xlate(q.program_address, sizeof(hw::SimNvEntryStub), kRead, &f);
    if (sp == nullptr) return qmd_fault(f, "fetching the program at " + hex(q.program_address));
    hw::SimNvEntryStub stub;
    std::memcpy(&stub, sp, sizeof stub);
    if (std::memcmp(stub.magic, hw::kSimNvEntryMagic, sizeof stub.magic) != 0) {
      return qmd_illegal("the program at " + hex(q.program_address) +
                         " is not a simulator kernel (no SimNvEntryStub magic): real SASS, which "
                         "the simulator cannot run; load a simulator cubin");
    }
    const size_t sym_len = strnlen(stub.symbol, sizeof stub.symbol);
    if (sym_len == sizeof stub.symbol)
      return qmd_illegal("the simulator stub at " + hex(q.program_address) + " has no symbol");
    const std::string_view symbol(stub.symbol, sym_len);
    kernel_ = symbol.substr(symbol.starts_with(kHostSymbolPrefix) ? kHostSymbolPrefix.size() : 0);

    // Block, grid and shared memory against the part.
    const uint32_t threads = uint32_t{q.block[0]} * q.block[1] * q.block[2];
    const uint32_t max_threads = std::min(kMaxThreadsPerCta, gpu_.profile.max_threads_per_block);
    if (threads == 0 || threads > max_threads) {
      return qmd_illegal(kname() + ": CTA_THREAD_DIMENSION " + std::to_string(q.block[0]) + "x" +
                         std::to_string(q.block[1]) + "x" + std::to_string(q.block[2]) +
                         " is not within 1.." + std::to_string(max_threads) + " threads");
    }
    if (q.grid[0] == 0 || q.grid[1] == 0 || q.grid[2] == 0) {
      return qmd_illegal(kname() + ": grid " + std::to_string(q.grid[0]) + "x" +
                         std::to_string(q.grid[1]) + "x" + std::to_string(q.grid[2]) +
                         " has an empty dimension");
    }
    const std::optional<hw::SmFacts> facts = hw::sm_facts(gpu_.profile.sm);
    const uint32_t reserve = facts ? facts->shared_reserve : 0;
    if (stub.shared_size > gpu_.profile.max_shared_per_block) {
      return qmd_illegal(kname() + " declares " + std::to_string(stub.shared_size) +
                         " bytes of shared memory; a CTA may use " +
                         std::to_string(gpu_.profile.max_shared_per_block));
    }
    if (uint64_t{stub.shared_size} + reserve > q.shared_memory_size) {
      return qmd_illegal(kname() + " needs " + std::to_string(stub.shared_size + reserve) +
                         " bytes of shared memory" +
                         (reserve ? " (" + std::to_string(reserve) + " reserved on sm_" +
                                        std::to_string(gpu_.profile.sm) + " included)"
                                  : std::string()) +
                         " but SHARED_MEMORY_SIZE is " + std::to_string(q.shared_memory_size));
    }
    if (q.shared_memory_size > uint64_t{gpu_.profile.max_shared_per_block} + reserve) {
      return qmd_illegal("SHARED_MEMORY_SIZE " + std::to_string(q.shared_memory_size) +
                         " exceeds the " + std::to_string(gpu_.profile.max_shared_per_block) +
                         " bytes a CTA may use on " + std::string(gpu_.profile.name));
    }
    if (hw::is_hopper_or_later_compute(ch_.compute_class) &&
        shared_window() % kHopperSharedWindowAlign != 0) {
      return qmd_illegal("the shared memory window " + hex(shared_window()) +
                         " (SET_SHADER_SHARED_MEMORY_WINDOW_A/B) is not 4 GiB aligned, which "
                         "Hopper and later require (H§2)");
    }

    // Constant bank 0: the driver words the SASS reads, then the parameters (H§4.4).
    const hw::QmdConstantBuffer& cb = q.constant_buffer[0];
    if (!cb.valid) return qmd_illegal(kname() + ": CONSTANT_BUFFER_VALID(0) is not set (cbuf0)");
    const uint64_t need =
        std::max<uint64_t>(uint64_t{stub.param_offset} + stub.param_size, hw::kCbank0GridDim + 12);
    if (cb.size < need) {
      return qmd_illegal(kname() + ": constant buffer 0 holds " + std::to_string(cb.size) +
                         " bytes but the kernel reads " + std::to_string(need) +
                         " (parameters at " + hex(stub.param_offset) + ", " +
                         std::to_string(stub.param_size) + " bytes)");
    }
    const uint8_t* cbuf = xlate(cb.address, need, kRead, &f);
    if (cbuf == nullptr) return qmd_fault(f, "reading constant buffer 0 of " + kname());
    static constexpr const char* kAxis[3] = {"x", "y", "z"};
    for (uint32_t i = 0; i < 3; ++i) {
      uint32_t bd = 0, gd = 0;
      std::memcpy(&bd, cbuf + hw::kCbank0BlockDim + 4 * i, 4);
      std::memcpy(&gd, cbuf + hw::kCbank0GridDim + 4 * i, 4);
      if (bd != q.block[i]) {
        return qmd_illegal(kname() + ": cbuf0 blockDim." + kAxis[i] + " (+" +
                           hex(hw::kCbank0BlockDim + 4 * i) + ") is " + std::to_string(bd) +
                           " but CTA_THREAD_DIMENSION" + std::to_string(i) + " is " +
                           std::to_string(q.block[i]) + " (the SASS reads blockDim from cbuf0)");
      }
      if (gd != q.grid[i]) {
        return qmd_illegal(kname() + ": cbuf0 gridDim." + kAxis[i] + " (+" +
                           hex(hw::kCbank0GridDim + 4 * i) + ") is " + std::to_string(gd) +
                           " but the QMD grid is " + std::to_string(q.grid[i]) +
                           " (the SASS reads gridDim from cbuf0)");
      }
    }

    // Local (private) memory: each thread's slice of the buffer SET_SHADER_LOCAL_MEMORY_A/B named,
    // as big as the QMD's SHADER_LOCAL_MEMORY_HIGH_SIZE says; the CTA's threads together must fit
    // the per-TPC size of SET_SHADER_LOCAL_MEMORY_NON_THROTTLED (tinygrad's sizing, fact sheet
    // §3.2 step 29). Host kernels run one CTA at a time, so one CTA's worth is used.
    uint64_t private_base = 0;
    uint32_t private_size = 0;
    if (stub.private_size != 0) {
      const uint64_t local = (uint64_t{s_.local_memory_hi} << 32) | s_.local_memory_lo;
      const uint64_t per_tpc = (uint64_t{s_.local_nt[0] & 0xFF} << 32) | s_.local_nt[1];
      const uint64_t cta_threads = uint64_t{q.block[0]} * q.block[1] * q.block[2];
      if (q.shader_local_memory_high_size < stub.private_size) {
        return qmd_illegal(kname() + " needs " + std::to_string(stub.private_size) +
                           " bytes of local memory per thread, the QMD gives " +
                           std::to_string(q.shader_local_memory_high_size) +
                           " (SHADER_LOCAL_MEMORY_HIGH_SIZE)");
      }
      if (local == 0 || per_tpc < cta_threads * q.shader_local_memory_high_size) {
        return qmd_illegal(kname() + " uses local memory but the channel's local memory buffer is " +
                           (local == 0 ? std::string("not set (SET_SHADER_LOCAL_MEMORY_A/B)")
                                       : "too small: " + std::to_string(per_tpc) +
                                             " bytes per TPC for " + std::to_string(cta_threads) +
                                             " threads of " +
                                             std::to_string(q.shader_local_memory_high_size) +
                                             " bytes (SET_SHADER_LOCAL_MEMORY_NON_THROTTLED)"));
      }
      private_base = local;
      private_size = q.shader_local_memory_high_size;
    }

    rg_sim_kernel_fn fn = nullptr;
    const Step hs = host_function(stub.blob_va, symbol, &fn);
    if (hs != Step::kDone) return hs;

    // Run the grid, one host call per CTA; a page fault stops it after the CTA that hit it.
    KernelCtx ctx{.vm = ch_.vm.get(), .faulted = false, .fault = {}};
    if (gpu_.lds.size() < std::max<uint32_t>(stub.shared_size, 1)) {
      gpu_.lds.resize(std::max<uint32_t>(stub.shared_size, 1));
    }
    rg_sim_workgroup wg{};
    wg.abi_version = RG_SIM_ABI_VERSION;
    for (int i = 0; i < 3; ++i) {
      wg.group_size[i] = q.block[i];
      wg.grid_groups[i] = q.grid[i];
    }
    wg.kernarg = cbuf + stub.param_offset;
    wg.lds = stub.shared_size ? gpu_.lds.data() : nullptr;
    wg.lds_size = stub.shared_size;
    wg.ctx = &ctx;
    wg.mem = &kernel_mem;
    wg.private_base = private_base;
    wg.private_size = private_size;
    gpu_.launches.fetch_add(1, std::memory_order_relaxed);
    for (uint32_t z = 0; z < q.grid[2]; ++z) {
      for (uint32_t y = 0; y < q.grid[1]; ++y) {
        for (uint32_t x = 0; x < q.grid[0]; ++x) {
          wg.group_id[0] = x;
          wg.group_id[1] = y;
          wg.group_id[2] = z;
          if (stub.shared_size) std::memset(gpu_.lds.data(), 0, stub.shared_size);
          fn(&wg);
          if (ctx.faulted) {
            return fail(kXidMmuFault, describe_gpu_fault(ctx.fault) + " in " + kname() + " (CTA " +
                                          std::to_string(x) + "," + std::to_string(y) + "," +
                                          std::to_string(z) + ", " + qmd_where() + ")");
          }
        }
      }
    }

    // Release semaphores (H§1.5), then the dependent QMDs (H§1.6, fact sheet §4.5 step 4).
    for (uint32_t i = 0; i < q.release.size(); ++i) {
      const Step st = qmd_release(q.release[i], i);
      if (st != Step::kDone) return st;
    }
    for (uint32_t i = static_cast<uint32_t>(q.dependent_qmd.size()); i-- > 0;) {
      const hw::QmdDependentQmd& d = q.dependent_qmd[i];
      if (!d.enable) continue;
      if (d.action != hw::DependentQmdAction::QMD_SCHEDULE &&
          d.action != hw::DependentQmdAction::QMD_INVALIDATE_COPY_SCHEDULE) {
        return qmd_illegal("DEPENDENT_QMD_ACTION(" + std::to_string(i) + ") " +
                           std::to_string(static_cast<int>(d.action)) +
                           ": only SCHEDULE and INVALIDATE_COPY_SCHEDULE are simulated");
      }
      if (d.qmd_address == va) {
        return qmd_illegal("DEPENDENT_QMD" + std::to_string(i) +
                           "_POINTER names the QMD itself (a loop)");
      }
      gpu_.chain.emplace_back(d.qmd_address, va);
    }
    return Step::kDone;
  }

  Step qmd_release(const hw::QmdRelease& r, uint32_t i) {
    if (!r.enable) return Step::kDone;
    const std::string what = "RELEASE" + std::to_string(i);
    if (r.trap_type != hw::ReleaseTrapType::TRAP_NONE)
      return qmd_illegal(what + "_TRAP_TYPE is not simulated");
    // FOUR_WORDS: payload, timestamp at +8 (UNCONFIRMED on Hopper, H§1.5); ONE_WORD: the payload
    // alone; TWO_WORDS: a 64-bit payload alone. PAYLOAD64B = 0 writes 32 bits only (fact sheet
    // §10 q6: the upper half is not guaranteed, so the simulator leaves it untouched).
    const bool timestamp = r.structure_size == hw::ReleaseStructureSize::SEMAPHORE_FOUR_WORDS;
    const bool wide =
        r.payload64b || r.structure_size == hw::ReleaseStructureSize::SEMAPHORE_TWO_WORDS;
    const uint64_t payload = r.payload64b ? r.payload : (r.payload & 0xFFFFFFFFu);
    if (r.reduction_enable) {
      const uint32_t op = static_cast<uint32_t>(r.reduction_op);
      const bool sgn = r.reduction_format == hw::ReductionFormat::SIGNED;
      const bool ok = wide ? reduce_at<uint64_t>(r.address, op, sgn, payload, "QMD release")
                           : reduce_at<uint32_t>(r.address, op, sgn, static_cast<uint32_t>(payload),
                                                 "QMD release");
      if (!ok) return Step::kFault;
      if (timestamp && !release_timestamp_only(r.address)) return Step::kFault;
      return Step::kDone;
    }
    return release(r.address, payload, wide, timestamp, "QMD release semaphore") ? Step::kDone
                                                                                 : Step::kFault;
  }
  bool release_timestamp_only(uint64_t va) {
    if (va % 8 != 0) {
      illegal("a release with a timestamp needs an 8-byte aligned address, not " + hex(va));
      return false;
    }
    auto* t = word<uint64_t>(va + 8, kWrite, "release timestamp");
    if (t == nullptr) return false;
    std::atomic_ref<uint64_t>(*t).store(gpu_time_ns(), std::memory_order_release);
    return true;
  }

  // The host function `symbol` of the blob at blob_va (nv_ioctl/cubin.h SimNvBlobHeader),
  // cached by (so hash, symbol) so that steady-state launches neither load nor allocate.
  Step host_function(uint64_t blob_va, std::string_view symbol, rg_sim_kernel_fn* out) {
    GpuFault f;
    const uint8_t* hp = xlate(blob_va, sizeof(hw::SimNvBlobHeader), kRead, &f);
    if (hp == nullptr) return qmd_fault(f, "fetching the simulator blob of " + kname());
    hw::SimNvBlobHeader h;
    std::memcpy(&h, hp, sizeof h);
    if (std::memcmp(h.magic, hw::kSimNvBlobMagic, sizeof h.magic) != 0) {
      return qmd_illegal(kname() + ": no simulator blob at " + hex(blob_va) +
                         " (corrupted or unrelocated cubin image)");
    }
    if (h.abi_version != RG_SIM_ABI_VERSION) {
      return qmd_illegal(kname() + ": sim kernel ABI version " + std::to_string(h.abi_version) +
                         ", this simulator runs version " + std::to_string(RG_SIM_ABI_VERSION) +
                         " (rebuild the cubin)");
    }
    const uint64_t key = h.so_hash ^ std::hash<std::string_view>{}(symbol);
    for (auto [it, e] = gpu_.fns.equal_range(key); it != e; ++it) {
      const CachedFn& c = it->second;
      if (c.so_hash == h.so_hash && c.so_size == h.so_size && c.symbol == symbol) {
        *out = c.fn;
        return Step::kDone;
      }
    }
    const uint8_t* so = xlate(blob_va, sizeof h + uint64_t{h.so_size}, kRead, &f);
    if (so == nullptr) return qmd_fault(f, "fetching the simulator blob of " + kname());
    core::Result<void*> handle = load_host_object(so + sizeof h, h.so_size, h.so_hash);
    if (!handle.ok()) return qmd_illegal(kname() + ": " + handle.error().message());
    const std::string sym(symbol);
    core::Result<rg_sim_kernel_fn> found = host_kernel_function(*handle, sym);
    if (!found.ok()) return qmd_illegal(kname() + ": " + found.error().message());
    gpu_.fns.emplace(key, CachedFn{h.so_hash, h.so_size, sym, *found});
    *out = *found;
    return Step::kDone;
  }

  // ---- copy class (fact sheet §4.6, H§3) ----

  Step copy_method(const hw::MethodWrite& w) {
    switch (w.method) {
      case 0x0100: return Step::kDone;  // NOP
      case hw::NVC6B5_SET_SEMAPHORE_A: s_.ce_sem_a = w.data; return Step::kDone;
      case hw::NVC6B5_SET_SEMAPHORE_B: s_.ce_sem_b = w.data; return Step::kDone;
      case hw::NVC6B5_SET_SEMAPHORE_PAYLOAD: s_.ce_payload = w.data; return Step::kDone;
      case hw::NVC7B5_SET_SEMAPHORE_PAYLOAD_UPPER: s_.ce_payload_hi = w.data; return Step::kDone;
      case hw::NVC6B5_OFFSET_IN_UPPER: s_.in_hi = w.data; return Step::kDone;
      case hw::NVC6B5_OFFSET_IN_LOWER: s_.in_lo = w.data; return Step::kDone;
      case hw::NVC6B5_OFFSET_OUT_UPPER: s_.out_hi = w.data; return Step::kDone;
      case hw::NVC6B5_OFFSET_OUT_LOWER: s_.out_lo = w.data; return Step::kDone;
      case hw::NVC6B5_PITCH_IN: s_.pitch_in = w.data; return Step::kDone;
      case hw::NVC6B5_PITCH_OUT: s_.pitch_out = w.data; return Step::kDone;
      case hw::NVC6B5_LINE_LENGTH_IN: s_.line_length = w.data; return Step::kDone;
      case hw::NVC6B5_LINE_COUNT: s_.line_count = w.data; return Step::kDone;
      case hw::NVC6B5_LAUNCH_DMA: return copy_launch(w);
      default: break;
    }
    return illegal("copy method is not simulated");
  }

  Step copy_launch(const hw::MethodWrite& w) {
    const uint32_t cls = w.cls->id;
    const auto l = hw::decode_word<hw::CopyLaunchDma>(w.data, cls);
    using hw::DataTransferType;
    if (l.remap_enable) return illegal("REMAP_ENABLE (component remapping) is not simulated");
    if (l.src_type != hw::AddressType::VIRTUAL || l.dst_type != hw::AddressType::VIRTUAL)
      return illegal("physical addressing (SRC_TYPE/DST_TYPE PHYSICAL) is not simulated");
    if (l.copy_type != hw::CopyType::DEFAULT || l.vprmode != 0)
      return illegal("protected copies (COPY_TYPE, VPRMODE) are not simulated");
    if (l.memory_scrub_enable) return illegal("MEMORY_SCRUB_ENABLE is not simulated");
    if (l.interrupt_type == hw::InterruptType::BLOCKING)
      return illegal("INTERRUPT_TYPE BLOCKING (a stalling interrupt) is not simulated");
    if (l.data_transfer_type == DataTransferType::PREFETCH)
      return illegal("DATA_TRANSFER_TYPE PREFETCH is not simulated");
    if (l.data_transfer_type != DataTransferType::NONE) {
      if (l.src_memory_layout != hw::MemoryLayout::PITCH ||
          l.dst_memory_layout != hw::MemoryLayout::PITCH) {
        return illegal("block-linear layouts are not simulated (set SRC/DST_MEMORY_LAYOUT PITCH)");
      }
      const uint64_t src = (uint64_t{s_.in_hi} << 32) | s_.in_lo;
      const uint64_t dst = (uint64_t{s_.out_hi} << 32) | s_.out_lo;
      const uint32_t lines = l.multi_line_enable ? s_.line_count : 1;
      for (uint32_t i = 0; i < lines; ++i) {
        const Step st = copy_bytes(dst + uint64_t{i} * s_.pitch_out,
                                   src + uint64_t{i} * s_.pitch_in, s_.line_length, "in the copy");
        if (st != Step::kDone) return st;
      }
    }
    // The semaphore follows the copy (FLUSH_ENABLE: no caches to flush here).
    if (l.semaphore_type != hw::SemaphoreType::NONE) {
      if (static_cast<uint8_t>(l.semaphore_type) == 3)
        return illegal("RELEASE_CONDITIONAL_INTR_SEMAPHORE is not simulated");
      if (l.semaphore_reduction_enable) return illegal("semaphore reductions are not simulated");
      const uint64_t va = (uint64_t{s_.ce_sem_a} << 32) | s_.ce_sem_b;
      const bool wide = l.semaphore_payload_size == hw::SemaphorePayloadSize::TWO_WORD;
      const uint64_t payload =
          wide ? (uint64_t{s_.ce_payload_hi} << 32) | s_.ce_payload : s_.ce_payload;
      // Codes 1/2: ONE_WORD / FOUR_WORD (C6B5), NO_TIMESTAMP / WITH_TIMESTAMP (C7B5+).
      const bool timestamp = static_cast<uint8_t>(l.semaphore_type) == 2;
      if (!release(va, payload, wide, timestamp, "copy semaphore")) return Step::kFault;
    }
    if (l.interrupt_type == hw::InterruptType::NON_BLOCKING && ch_.sink != nullptr &&
        !s_.removing.load()) {
      ch_.sink->on_nonstall_interrupt(ch_);
    }
    return Step::kDone;
  }

  Gpu& gpu_;
  Slot& s_;
  ChannelState& ch_;
  bool progress_ = false;
  uint32_t budget_ = kMethodBudget;
  bool at_slot_ = false;                  // errors name the GPFIFO slot
  uint32_t at_off_ = 0;                   // dword offset of the write being executed
  const hw::MethodWrite* cur_ = nullptr;  // the write being executed (for messages)
  uint64_t qmd_va_ = 0, parent_va_ = 0;   // the QMD being run (for messages)
  std::string_view kernel_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

struct Engines::Impl {
  Gpu gpu;
  std::mutex mu;
  std::condition_variable wake;  // add(), remove() and the destructor
  std::condition_variable idle;  // the engine left a slot (remove() waits for it)
  std::vector<std::unique_ptr<Slot>> slots;
  Slot* busy = nullptr;
  uint32_t waiters = 0;
  bool stop = false;
  bool kicked = false;
  std::thread thread;

  void loop();
  uint32_t* doorbell() const {
    return reinterpret_cast<uint32_t*>(gpu.usermode->data() + hw::NVC361_NOTIFY_CHANNEL_PENDING);
  }
};

Engines::Engines(const Profile& profile, std::shared_ptr<Bo> usermode)
    : impl_(std::make_unique<Impl>()) {
  impl_->gpu.profile = profile;
  impl_->gpu.usermode = std::move(usermode);
  impl_->gpu.chain.reserve(64);
  impl_->thread = std::thread([m = impl_.get()] { m->loop(); });
}

Engines::~Engines() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

void Engines::add(std::shared_ptr<ChannelState> ch) {
  auto s = std::make_unique<Slot>();
  s->ch = std::move(ch);
  {
    std::lock_guard lk(impl_->mu);
    impl_->slots.push_back(std::move(s));
    impl_->kicked = true;
  }
  impl_->wake.notify_all();
}

void Engines::remove(const ChannelState* ch) {
  Impl& m = *impl_;
  std::unique_lock lk(m.mu);
  auto find = [&] {
    return std::find_if(m.slots.begin(), m.slots.end(),
                        [&](const auto& s) { return s->ch.get() == ch; });
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

uint64_t Engines::methods_executed() const { return impl_->gpu.methods.load(); }
uint64_t Engines::launches() const { return impl_->gpu.launches.load(); }
uint64_t Engines::stray_doorbells() const { return impl_->gpu.strays.load(); }
uint64_t Engines::gpfifo_entries_executed() const { return impl_->gpu.entries.load(); }

void Engines::Impl::loop() {
  using Clock = std::chrono::steady_clock;
  auto last_progress = Clock::now();
  std::chrono::microseconds nap{0};
  const bool has_doorbell =
      gpu.usermode != nullptr && gpu.usermode->size() >= hw::NVC361_NOTIFY_CHANNEL_PENDING + 4;
  std::unique_lock lk(mu);
  while (!stop) {
    if (slots.empty()) {
      wake.wait(lk, [&] { return stop || !slots.empty(); });
      continue;
    }
    kicked = false;
    bool progress = false;
    // The doorbell (fact sheet §4.2): one token per observation. A token may have overwritten
    // another channel's before we looked (two queues submitting back to back), so every
    // observed doorbell makes every scheduled channel fetch; only a GPU whose doorbell nobody
    // wrote since GP_PUT moved fetches nothing.
    const uint32_t token =
        has_doorbell ? std::atomic_ref<uint32_t>(*doorbell()).exchange(0, std::memory_order_acq_rel)
                     : 0;
    if (token != 0) {
      progress = true;
      Slot* hit = nullptr;
      for (auto& s : slots) {
        if (s->ch->work_submit_token == token && !s->removing.load()) hit = s.get();
      }
      if (hit == nullptr) {
        gpu.strays.fetch_add(1, std::memory_order_relaxed);
        core::log_warn("sim: nv " + std::string(gpu.profile.name) + ": doorbell token " +
                       std::to_string(token) + " names no scheduled channel (ignored)");
      } else {
        hit->rung = true;
      }
      for (auto& s : slots) s->pending = true;
    }
    for (size_t i = 0; i < slots.size() && !stop; ++i) {
      Slot* s = slots[i].get();
      if (!s->pending || s->removing.load() || s->ch->faulted.load()) continue;
      busy = s;
      lk.unlock();
      progress |= Exec(gpu, *s).run();
      lk.lock();
      busy = nullptr;
      if (waiters) idle.notify_all();
    }
    // Back off while idle: yield-spin for kSpinTime after the last progress, then sleep with
    // growing naps so that an idle GPU costs almost nothing (doorbell stores cannot wake us).
    const auto now = Clock::now();
    if (progress || kicked) {
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
    wake.wait_for(lk, nap, [&] { return stop || kicked; });
  }
}

}  // namespace rawgpu::sim::nv

// The simulated Adreno command processor (cp.h). Facts: shared/abi/qcom-kgsl.md (the sheet) §1.8
// (what KGSL wraps around user IBs), §1.10 (protected registers, always-on counter), §2 (packets,
// decoded only through qcom_kgsl/packets.h), §3 (the a6xx compute register state a dispatch
// reads, qcom_kgsl/a6xx.h), §4.1 (the program container; the simulator stub of
// qcom_kgsl/loader.h).
//
// Threading: one thread per GPU runs run(). It marks the context it executes as busy under the
// lock; remove() waits until the context is not busy, so afterwards nothing here touches it.
// A context's execution state (CpExec) is used by the CP thread only.
#include "sim/qcom/cp.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "core/bits.h"
#include "qcom_kgsl/a6xx.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/loader.h"
#include "qcom_kgsl/packets.h"
#include "sim/host_kernel.h"
#include "sim/kernel_abi.h"

namespace rawgpu::sim::qcom {

namespace pm4 = rawgpu::qcom;
namespace a6 = rawgpu::qcom::a6xx;

// KGSL timestamps wrap at 2^32 (K timestamp_cmp; sheet §1.8).
constexpr bool ts_reached(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

uint64_t always_on_now() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
  // 19.2 MHz: 19.2 ticks per microsecond = 24 ticks per 1250 ns.
  return static_cast<uint64_t>(ns) / 1250 * 24 + static_cast<uint64_t>(ns) % 1250 * 24 / 1250;
}

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// ---- tunables (simulator choices, not hardware facts) --------------------------------------
constexpr uint32_t kPacketBudget = 256;  // packets per context per round-robin turn
constexpr auto kSpinTime = std::chrono::microseconds(50);
constexpr auto kFirstNap = std::chrono::microseconds(8);
constexpr auto kMaxNap = std::chrono::microseconds(100);
constexpr uint32_t kMaxQueued = 50;   // KA adreno_dispatch.c context_drawqueue_size (sheet §1.8)
constexpr uint32_t kConstVec4 = 512;  // CONSTANTRAMMODE CONSTLEN_512 is the largest file
constexpr uint32_t kMaxLocalItems = 1024;        // 10-bit local sizes, Mesa/tinygrad limit (§3.4)
constexpr uint32_t kMaxSharedBytes = 32 * 1024;  // a6xx compute local memory (Mesa)

// CP-protected register ranges user IBs may not write (sheet §1.10, a630 list in KA
// adreno-gpulist.h; only the ranges the sheet names are modelled).
struct Range {
  uint32_t lo, hi;
};
constexpr Range kProtected[] = {{0x000, 0x4FF}, {0x8D0, 0x98C}};

uint32_t const_capacity_vec4(uint32_t rammode) {
  switch (rammode) {
    case 0: return 128;
    case 1: return 192;
    case 2: return 256;
    default: return 512;
  }
}

uint32_t field(uint32_t value, const core::BitField& f) {
  const uint32_t w[2] = {value, 0};  // a register row never spans two dwords
  return static_cast<uint32_t>(core::get_field(std::span<const uint32_t>(w), f));
}

}  // namespace

struct CpExec {
  struct Frame {
    uint64_t va = 0;
    std::vector<uint32_t> words;
    uint32_t pos = 0;
    uint32_t level = 1;  // 1 = IB1, 2 = IB2
  };
  bool active = false;
  Submission cur;
  size_t next_ib = 0;
  std::vector<Frame> frames;
  // The compute state the CS registers and CP_LOAD_STATE6 build (reset when another context ran
  // before this submission: PREAMBLE contexts re-emit all state, sheet §1.6).
  std::unordered_map<uint32_t, uint32_t> regs;
  std::array<uint32_t, kConstVec4 * 4> consts{};
  std::bitset<kConstVec4> const_loaded;
  bool shader_loaded = false;
  bool shader_indirect = false;
  uint64_t shader_src = 0;
  uint32_t uavs = 0, texs = 0, samps = 0;

  void reset_state() {
    regs.clear();
    const_loaded.reset();
    shader_loaded = false;
    uavs = texs = samps = 0;
  }
};

ContextState::ContextState() = default;
ContextState::~ContextState() = default;

struct CommandProcessor::Impl {
  const Profile* profile = nullptr;
  std::string node;
  std::function<void(std::string)> log;

  std::mutex mu;
  std::condition_variable wake;     // add(), submit(), remove(), the destructor
  std::condition_variable idle;     // the CP left a context (remove() waits for it)
  std::condition_variable changed;  // a timestamp retired, a context faulted or was removed
  std::vector<std::shared_ptr<ContextState>> ctxs;
  ContextState* busy = nullptr;
  uint32_t waiters = 0;
  bool stop = false;
  bool kicked = false;
  struct Retire {
    std::shared_ptr<ContextState> ctx;
    uint32_t timestamp;
    std::function<void()> fn;
  };
  std::vector<Retire> retires;  // guarded by mu

  std::mutex grave_mu;
  std::vector<std::shared_ptr<Bo>> grave;

  // CP thread only.
  uint32_t last_ctx = 0;
  std::unordered_map<std::string, rg_sim_kernel_fn> fns;
  std::vector<uint8_t> lds;
  std::atomic<uint64_t>* packets = nullptr;
  std::atomic<uint64_t>* dispatches = nullptr;

  bool due(const Retire& r) const {
    return r.ctx->invalidated.load() || r.ctx->detached.load() ||
           ts_reached(r.ctx->retired.load(), r.timestamp);
  }
  // Moves the due callbacks out (mu held).
  std::vector<std::function<void()>> take_due() {
    std::vector<std::function<void()>> out;
    for (size_t i = 0; i < retires.size();) {
      if (due(retires[i])) {
        out.push_back(std::move(retires[i].fn));
        retires.erase(retires.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    return out;
  }
};

namespace {

enum class Step { kDone, kJumped, kStall, kFault };

// Executes one context's work until it stalls, runs out of work or spends its budget.
class Exec {
 public:
  Exec(CommandProcessor::Impl& m, ContextState& c) : m_(m), c_(c), e_(*c.exec) {}

  bool run() {
    bool progress = false;
    for (uint32_t n = 0; n < kPacketBudget; ++n) {
      if (!e_.active) {
        std::unique_lock lk(m_.mu);
        if (c_.pending.empty()) return progress;
        const Submission& front = c_.pending.front();
        for (const SyncPoint& s : front.syncs) {
          const bool done = s.ctx->invalidated.load() || s.ctx->detached.load() ||
                            ts_reached(s.ctx->retired.load(), s.timestamp);
          if (!done) return progress;  // held in the kernel until satisfied
        }
        e_.cur = std::move(c_.pending.front());
        c_.pending.pop_front();
        lk.unlock();
        m_.changed.notify_all();  // room in the queue
        progress = true;
        if (e_.cur.timestamp == 0) continue;  // a sync object only
        if (e_.cur.marker) {
          write_sop(e_.cur.timestamp);
          retire(e_.cur.timestamp);
          continue;
        }
        if (m_.last_ctx != c_.id) e_.reset_state();
        m_.last_ctx = c_.id;
        write_sop(e_.cur.timestamp);
        e_.active = true;
        e_.next_ib = 0;
        e_.frames.clear();
      }
      if (e_.frames.empty()) {
        if (e_.next_ib < e_.cur.ibs.size()) {
          const IbRef ib = e_.cur.ibs[e_.next_ib++];
          if (!push_frame(ib.gpuaddr, ib.dwords, 1, "fetching IB1")) return true;
          continue;
        }
        // KGSL's ringbuffer epilogue: CACHE_FLUSH_TS | IRQ writes the eoptimestamp (§1.8).
        e_.active = false;
        retire(e_.cur.timestamp);
        progress = true;
        continue;
      }
      CpExec::Frame& f = e_.frames.back();
      if (f.pos >= f.words.size()) {
        e_.frames.pop_back();
        continue;
      }
      core::Result<pm4::Pm4Packet> pkt = pm4::decode_packet(f.words, f.pos, pm4::AdrenoGen::kA6xx);
      if (!pkt.ok()) {
        fault("CP illegal instruction in IB" + std::to_string(f.level) + " at " +
              hex(f.va + 4ull * f.pos) + ": " + pkt.error().message());
        return true;
      }
      const uint32_t len = static_cast<uint32_t>(pkt->words.size());
      m_.last_ctx = c_.id;
      const Step st = pkt->type == 4 ? exec_type4(*pkt) : exec_type7(*pkt, f);
      if (st == Step::kStall) return progress;
      if (st == Step::kFault) return true;
      m_.packets->fetch_add(1, std::memory_order_relaxed);
      progress = true;
      if (st == Step::kDone) e_.frames.back().pos += len;
    }
    return progress;
  }

 private:
  // ---- memory ----------------------------------------------------------------------------
  uint8_t* xlate(uint64_t va, uint64_t len, uint32_t access, const std::string& what) {
    GpuFault f;
    uint8_t* p = c_.vm->translate(va, len, access, &f);
    if (!p) {
      fault_line(describe_gpu_fault(f) + " (ctx " + std::to_string(c_.id) + "): " + what);
    }
    return p;
  }
  bool write32(uint64_t va, uint32_t v, const std::string& what) {
    uint8_t* p = xlate(va, 4, kWrite, what);
    if (!p) return false;
    std::memcpy(p, &v, 4);
    return true;
  }
  bool push_frame(uint64_t va, uint32_t dwords, uint32_t level, const std::string& what) {
    const uint8_t* p = xlate(va, 4ull * dwords, kRead, what + " at " + hex(va));
    if (!p) return false;
    CpExec::Frame fr;
    fr.va = va;
    fr.level = level;
    fr.words.resize(dwords);
    std::memcpy(fr.words.data(), p, 4ull * dwords);
    e_.frames.push_back(std::move(fr));
    return true;
  }

  // ---- timestamps and faults -----------------------------------------------------------------
  void store_memstore(uint32_t off, uint32_t v) {
    std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(c_.memstore + off))
        .store(v, std::memory_order_release);
  }
  void write_sop(uint32_t ts) {
    store_memstore(offsetof(pm4::kgsl_devmemstore, soptimestamp), ts);
    c_.consumed.store(ts);
  }
  void retire(uint32_t ts) {
    store_memstore(offsetof(pm4::kgsl_devmemstore, eoptimestamp), ts);
    {
      std::lock_guard lk(m_.mu);
      c_.retired.store(ts);
    }
    m_.changed.notify_all();
  }
  // The context is invalidated (NO_FAULT_TOLERANCE policy, KA adreno_dispatch.c; sheet §1.10).
  void fault_line(const std::string& what) {
    m_.log("kgsl: " + m_.node + ": " + what);
    {
      std::lock_guard lk(c_.mu);
      if (c_.fault.empty()) c_.fault = what;
    }
    {
      std::lock_guard lk(m_.mu);
      c_.pending.clear();
      c_.reset_stat.store(pm4::KGSL_CTX_STAT_GUILTY_CONTEXT_RESET_EXT);
      c_.fault_unreported.store(true);
      c_.invalidated.store(true);
    }
    e_.active = false;
    e_.frames.clear();
    m_.changed.notify_all();
  }
  Step fault(const std::string& what) {
    fault_line(what + " (ctx " + std::to_string(c_.id) + ")");
    return Step::kFault;
  }
  Step illegal(const pm4::Pm4Packet& p, const std::string& what) {
    const CpExec::Frame& f = e_.frames.back();
    return fault("CP illegal instruction: " + pm4::format_pm4_packet(p) + " in IB" +
                 std::to_string(f.level) + " at " + hex(f.va + 4ull * p.offset) + ": " + what);
  }

  // ---- type-4 ----------------------------------------------------------------------------------
  Step exec_type4(const pm4::Pm4Packet& p) {
    const auto vals = p.payload();
    for (uint32_t i = 0; i < vals.size(); ++i) {
      const uint32_t reg = p.reg + i;
      for (const Range& r : kProtected) {
        if (reg >= r.lo && reg <= r.hi) {
          return fault("CP | Protected mode error | register " + hex(reg) + " written from IB" +
                       std::to_string(e_.frames.back().level) + " at " +
                       hex(e_.frames.back().va + 4ull * p.offset));
        }
      }
      e_.regs[reg] = vals[i];
      if (reg == a6::SP_UPDATE_CNTL) {
        // HLSQ_INVALIDATE_CMD: the cached CS state must be loaded again.
        if (field(vals[i], a6::fields::SP_UPDATE_CNTL[5])) {
          e_.shader_loaded = false;
          e_.const_loaded.reset();
          e_.texs = e_.samps = 0;
        }
        if (field(vals[i], a6::fields::SP_UPDATE_CNTL[6])) e_.uavs = 0;
      }
    }
    return Step::kDone;
  }

  std::optional<uint32_t> reg(uint32_t r) const {
    auto it = e_.regs.find(r);
    if (it == e_.regs.end()) return std::nullopt;
    return it->second;
  }
  uint32_t read_reg(uint32_t r, uint64_t always_on) const {
    if (r == a6::CP_ALWAYS_ON_COUNTER) return static_cast<uint32_t>(always_on);
    if (r == a6::CP_ALWAYS_ON_COUNTER + 1) return static_cast<uint32_t>(always_on >> 32);
    return reg(r).value_or(0);
  }

  // ---- type-7 ----------------------------------------------------------------------------------
  Step exec_type7(const pm4::Pm4Packet& p, CpExec::Frame& f) {
    switch (p.opcode) {
      case pm4::CP_NOP:
      case pm4::CP_WAIT_FOR_IDLE:  // everything before it has completed in the simulator
      case pm4::CP_WAIT_FOR_ME:
      case pm4::CP_WAIT_MEM_WRITES:
      case pm4::CP_SET_MARKER: return Step::kDone;
      case pm4::CP_MEM_WRITE: {
        auto d = pm4::decode_as<pm4::CpMemWrite>(p.words, p.offset);
        if (!d.ok()) return illegal(p, d.error().message());
        uint8_t* dst = xlate(d->addr, 4ull * d->data.size(), kWrite,
                             "CP_MEM_WRITE (ctx " + std::to_string(c_.id) + ")");
        if (!dst) return Step::kFault;
        std::memcpy(dst, d->data.data(), 4ull * d->data.size());
        return Step::kDone;
      }
      case pm4::CP_EVENT_WRITE: {
        auto d = pm4::decode_as<pm4::CpEventWrite>(p.words, p.offset);
        if (!d.ok()) return illegal(p, d.error().message());
        if (!pm4::event_has_address_a6xx(static_cast<uint8_t>(d->event))) return Step::kDone;
        const std::string what = "CP_EVENT_WRITE (ctx " + std::to_string(c_.id) + ")";
        if (d->timestamp) {  // the GPU timestamp (64-bit always-on value) instead of `value`
          uint8_t* dst = xlate(d->addr, 8, kWrite, what);
          if (!dst) return Step::kFault;
          const uint64_t t = always_on_now();
          std::memcpy(dst, &t, 8);
          return Step::kDone;
        }
        return write32(d->addr, d->value, what) ? Step::kDone : Step::kFault;
      }
      case pm4::CP_REG_TO_MEM: {
        auto d = pm4::decode_as<pm4::CpRegToMem>(p.words, p.offset);
        if (!d.ok()) return illegal(p, d.error().message());
        const uint32_t n = std::max<uint32_t>(d->cnt, 1);
        uint8_t* dst = xlate(d->dest, 4ull * n, kRead | kWrite,
                             "CP_REG_TO_MEM (ctx " + std::to_string(c_.id) + ")");
        if (!dst) return Step::kFault;
        const uint64_t t = always_on_now();
        for (uint32_t i = 0; i < n; ++i) {
          uint32_t v = read_reg(d->reg + i, t);
          if (d->accumulate) {
            uint32_t old;
            std::memcpy(&old, dst + 4 * i, 4);
            v += old;
          }
          std::memcpy(dst + 4 * i, &v, 4);
        }
        return Step::kDone;
      }
      case pm4::CP_WAIT_REG_MEM: {
        auto d = pm4::decode_as<pm4::CpWaitRegMem>(p.words, p.offset);
        if (!d.ok()) return illegal(p, d.error().message());
        uint32_t v = 0;
        if (d->poll == pm4::PollSpace::kMemory) {
          const uint8_t* src =
              xlate(d->poll_addr, 4, kRead, "CP_WAIT_REG_MEM (ctx " + std::to_string(c_.id) + ")");
          if (!src) return Step::kFault;
          v = std::atomic_ref<const uint32_t>(*reinterpret_cast<const uint32_t*>(src))
                  .load(std::memory_order_acquire);
        } else if (d->poll == pm4::PollSpace::kRegister) {
          v = read_reg(static_cast<uint32_t>(d->poll_addr), always_on_now());
        } else {
          return illegal(p, "only register and memory polls are simulated");
        }
        if (d->write_memory) return illegal(p, "WRITE_MEMORY is not simulated");
        return compare(d->function, d->signed_compare, v & d->mask, d->ref) ? Step::kDone
                                                                            : Step::kStall;
      }
      case pm4::CP_WAIT_MEM_GTE: {
        auto d = pm4::decode_as<pm4::CpWaitMemGte>(p.words, p.offset);
        if (!d.ok()) return illegal(p, d.error().message());
        const uint8_t* src =
            xlate(d->addr, 4, kRead, "CP_WAIT_MEM_GTE (ctx " + std::to_string(c_.id) + ")");
        if (!src) return Step::kFault;
        const uint32_t v = std::atomic_ref<const uint32_t>(*reinterpret_cast<const uint32_t*>(src))
                               .load(std::memory_order_acquire);
        return static_cast<int32_t>(v) >= static_cast<int32_t>(d->ref) ? Step::kDone : Step::kStall;
      }
      case pm4::CP_INDIRECT_BUFFER: {
        auto d = pm4::decode_as<pm4::CpIndirectBuffer>(p.words, p.offset);
        if (!d.ok()) return illegal(p, d.error().message());
        // The a6xx CP has IB1 and IB2 levels; deeper chaining is UNCONFIRMED (sheet §7): refused.
        if (f.level >= 2) return illegal(p, "an IB2 cannot call another IB (IB1 -> IB2 only)");
        if (d->size_dwords == 0) return illegal(p, "an IB of 0 dwords");
        f.pos += static_cast<uint32_t>(p.words.size());
        if (!push_frame(d->ib_base, d->size_dwords, 2, "fetching IB2")) return Step::kFault;
        return Step::kJumped;
      }
      case pm4::CP_LOAD_STATE6_FRAG: return load_state<pm4::CpLoadState6Frag>(p);
      case pm4::CP_LOAD_STATE6_GEOM: return load_state<pm4::CpLoadState6Geom>(p);
      case pm4::CP_LOAD_STATE6: return load_state<pm4::CpLoadState6>(p);
      case pm4::CP_EXEC_CS: {
        auto d = pm4::decode_as<pm4::CpExecCs>(p.words, p.offset);
        if (!d.ok()) return illegal(p, d.error().message());
        return dispatch(p, {d->ngroups_x, d->ngroups_y, d->ngroups_z});
      }
      case pm4::CP_RUN_OPENCL: {
        // The vendor-CL launch takes the group counts from SP_CS_KERNEL_GROUP_X/Y/Z (§3.5).
        std::array<uint32_t, 3> g{};
        for (uint32_t i = 0; i < 3; ++i) {
          std::optional<uint32_t> v = reg(a6::SP_CS_KERNEL_GROUP_X + i);
          if (!v) {
            return illegal(p,
                           "SP_CS_KERNEL_GROUP_" + std::string(1, "XYZ"[i]) + " (" +
                               hex(a6::SP_CS_KERNEL_GROUP_X + i) +
                               ") is not programmed; CP_RUN_OPENCL takes the group counts from it");
          }
          g[i] = *v;
        }
        return dispatch(p, g);
      }
      case pm4::CP_EXEC_CS_INDIRECT: {
        auto d = pm4::decode_as<pm4::CpExecCsIndirect>(p.words, p.offset);
        if (!d.ok()) return illegal(p, d.error().message());
        const uint8_t* src =
            xlate(d->addr, 12, kRead,
                  "CP_EXEC_CS_INDIRECT group counts (ctx " + std::to_string(c_.id) + ")");
        if (!src) return Step::kFault;
        std::array<uint32_t, 3> g{};
        std::memcpy(g.data(), src, 12);
        return dispatch(p, g,
                        std::array<uint32_t, 3>{d->local_size_x, d->local_size_y, d->local_size_z});
      }
      default: break;
    }
    return illegal(p, "the simulated " + std::string(m_.profile->chip.name) +
                          " CP does not implement this opcode");
  }

  static bool compare(pm4::WaitFunction fn, bool is_signed, uint32_t v, uint32_t ref) {
    const int64_t a = is_signed ? int64_t{static_cast<int32_t>(v)} : int64_t{v};
    const int64_t b = is_signed ? int64_t{static_cast<int32_t>(ref)} : int64_t{ref};
    switch (fn) {
      case pm4::WaitFunction::kAlways: return true;
      case pm4::WaitFunction::kLess: return a < b;
      case pm4::WaitFunction::kLessEqual: return a <= b;
      case pm4::WaitFunction::kEqual: return a == b;
      case pm4::WaitFunction::kNotEqual: return a != b;
      case pm4::WaitFunction::kGreaterEqual: return a >= b;
      case pm4::WaitFunction::kGreater: return a > b;
    }
    return false;
  }

  // ---- CP_LOAD_STATE6 (sheet §2.3)
  // ---------------------------------------------------------------
  template <class P>
  Step load_state(const pm4::Pm4Packet& p) {
    auto d = pm4::decode_as<P>(p.words, p.offset);
    if (!d.ok()) return illegal(p, d.error().message());
    using pm4::StateBlock;
    using pm4::StateSrc;
    using pm4::StateType;
    // Graphics blocks: state a compute-only simulator never reads.
    if (d->state_block != StateBlock::SB6_CS_SHADER && d->state_block != StateBlock::SB6_CS_TEX)
      return Step::kDone;
    const uint32_t unit = pm4::load_state_unit_dwords(d->state_block, d->state_type);
    if (unit == 0) return illegal(p, "this state block/type pair is not a compute state");
    if (d->state_src != StateSrc::SS6_DIRECT && d->state_src != StateSrc::SS6_INDIRECT)
      return illegal(p, "only DIRECT and INDIRECT loads are simulated (not BINDLESS/UBO sources)");
    const uint64_t bytes = 4ull * unit * d->num_unit;
    const uint32_t* src = nullptr;
    if (d->state_src == StateSrc::SS6_INDIRECT) {
      if (d->num_unit == 0) return Step::kDone;
      const uint8_t* s =
          xlate(d->ext_src_addr, bytes, kRead,
                std::string(P::kName) + " INDIRECT source (ctx " + std::to_string(c_.id) + ")");
      if (!s) return Step::kFault;
      src = reinterpret_cast<const uint32_t*>(s);
    } else {
      src = d->data.data();
    }
    if (d->state_block == StateBlock::SB6_CS_SHADER && d->state_type == StateType::ST6_CONSTANTS) {
      if (uint64_t{d->dst_off} + d->num_unit > kConstVec4) {
        return illegal(p, "constants c" + std::to_string(d->dst_off) + "..c" +
                              std::to_string(d->dst_off + d->num_unit - 1) + " run past the " +
                              std::to_string(kConstVec4) + "-vec4 file");
      }
      std::memcpy(e_.consts.data() + 4ull * d->dst_off, src, bytes);
      for (uint32_t i = 0; i < d->num_unit; ++i) e_.const_loaded.set(d->dst_off + i);
    } else if (d->state_block == StateBlock::SB6_CS_SHADER &&
               d->state_type == StateType::ST6_SHADER) {
      if (d->num_unit == 0) return illegal(p, "a shader preload of 0 units");
      e_.shader_loaded = true;
      e_.shader_indirect = d->state_src == StateSrc::SS6_INDIRECT;
      e_.shader_src = d->ext_src_addr;
    } else if (d->state_block == StateBlock::SB6_CS_SHADER && d->state_type == StateType::ST6_UAV) {
      e_.uavs = d->dst_off + d->num_unit;
    } else if (d->state_block == StateBlock::SB6_CS_TEX &&
               d->state_type == StateType::ST6_CONSTANTS) {
      e_.texs = d->dst_off + d->num_unit;
    } else if (d->state_block == StateBlock::SB6_CS_TEX && d->state_type == StateType::ST6_SHADER) {
      e_.samps = d->dst_off + d->num_unit;
    }
    return Step::kDone;
  }

  // ---- the dispatch (sheet §3.2–§3.5) -----------------------------------------------------------
  Step dispatch(const pm4::Pm4Packet& p, std::array<uint32_t, 3> groups,
                std::optional<std::array<uint32_t, 3>> packet_local = std::nullopt) {
    auto need = [&](uint32_t r, const char* name) -> std::optional<uint32_t> {
      std::optional<uint32_t> v = reg(r);
      if (!v) illegal(p, std::string(name) + " (" + hex(r) + ") is not programmed");
      return v;
    };
    const auto base_lo = need(a6::SP_CS_BASE, "SP_CS_BASE");
    if (!base_lo) return Step::kFault;
    const auto base_hi = need(a6::SP_CS_BASE + 1, "SP_CS_BASE_HI");
    if (!base_hi) return Step::kFault;
    const auto instr = need(a6::SP_CS_INSTR_SIZE, "SP_CS_INSTR_SIZE");
    if (!instr) return Step::kFault;
    const auto cntl0 = need(a6::SP_CS_CNTL_0, "SP_CS_CNTL_0");
    if (!cntl0) return Step::kFault;
    const auto cntl1 = need(a6::SP_CS_CNTL_1, "SP_CS_CNTL_1");
    if (!cntl1) return Step::kFault;
    const auto cconf = need(a6::SP_CS_CONST_CONFIG, "SP_CS_CONST_CONFIG");
    if (!cconf) return Step::kFault;
    const auto nd0 = need(a6::SP_CS_NDRANGE_0, "SP_CS_NDRANGE_0");
    if (!nd0) return Step::kFault;
    const auto config = need(a6::SP_CS_CONFIG, "SP_CS_CONFIG");
    if (!config) return Step::kFault;
    const uint64_t base = (uint64_t{*base_hi} << 32) | *base_lo;
    const uint32_t pc = reg(a6::SP_CS_PROGRAM_COUNTER_OFFSET).value_or(0);
    if (base % 128) return illegal(p, "SP_CS_BASE " + hex(base) + " is not 128-byte aligned");
    if (*instr == 0) return illegal(p, "SP_CS_INSTR_SIZE is 0");
    if (!field(*config, a6::fields::SP_CS_CONFIG[4]))
      return illegal(p, "SP_CS_CONFIG.ENABLED is not set");
    if (!field(*cconf, a6::fields::SP_CS_CONST_CONFIG[1]))
      return illegal(p, "SP_CS_CONST_CONFIG.ENABLED is not set: the shader cannot read constants");
    if (!e_.shader_loaded) {
      return illegal(p,
                     "no shader was loaded (CP_LOAD_STATE6 SB6_CS_SHADER ST6_SHADER) since the "
                     "last SP_UPDATE_CNTL CS_STATE invalidate or context switch");
    }
    if (e_.shader_indirect && e_.shader_src != base) {
      return illegal(p, "the shader preloaded from " + hex(e_.shader_src) +
                            " is not the one SP_CS_BASE names (" + hex(base) + ")");
    }
    // Work shape.
    std::array<uint32_t, 3> local{};
    for (uint32_t i = 0; i < 3; ++i) local[i] = field(*nd0, a6::fields::SP_CS_NDRANGE_0[1 + i]);
    const uint32_t kdim = field(*nd0, a6::fields::SP_CS_NDRANGE_0[0]);
    if (kdim < 1 || kdim > 3) return illegal(p, "SP_CS_NDRANGE_0.KERNELDIM must be 1..3");
    if (packet_local && *packet_local != local)
      return illegal(p, "the packet's local size differs from SP_CS_NDRANGE_0's");
    const uint32_t items = local[0] * local[1] * local[2];
    const uint32_t fregs = field(*cntl0, a6::fields::SP_CS_CNTL_0[2]);
    const uint32_t hregs = field(*cntl0, a6::fields::SP_CS_CNTL_0[1]);
    const uint32_t max_items = a6::max_threads(fregs, hregs, m_.profile->chip);
    if (items > kMaxLocalItems || items > max_items) {
      return illegal(p, "local size " + std::to_string(local[0]) + "x" + std::to_string(local[1]) +
                            "x" + std::to_string(local[2]) + " exceeds the " +
                            std::to_string(std::min(kMaxLocalItems, max_items)) +
                            " work-items a group may have with " + std::to_string(fregs) +
                            " full / " + std::to_string(hregs) + " half registers");
    }
    for (uint32_t i = 0; i < 3; ++i) {
      const auto gs = reg(a6::SP_CS_NDRANGE_0 + 1 + 2 * i);
      const uint64_t want = uint64_t{groups[i]} * local[i];
      if (!gs || *gs != want) {
        return illegal(p, std::string("SP_CS_NDRANGE GLOBALSIZE_") + "XYZ"[i] + " is " +
                              (gs ? std::to_string(*gs) : std::string("not programmed")) +
                              " but groups x local size = " + std::to_string(want));
      }
    }
    if (groups[0] == 0 || groups[1] == 0 || groups[2] == 0) return Step::kDone;  // nothing runs

    // The simulator stub at SP_CS_BASE + PROGRAM_COUNTER_OFFSET (qcom_kgsl/loader.h).
    const uint64_t entry = base + pc;
    const std::string ctxs = " (ctx " + std::to_string(c_.id) + ")";
    const uint8_t* sp =
        xlate(entry, sizeof(pm4::SimQcomEntryStub), kRead, "fetching the shader at " + hex(entry));
    if (!sp) return Step::kFault;
    pm4::SimQcomEntryStub stub;
    std::memcpy(&stub, sp, sizeof stub);
    if (std::memcmp(stub.magic, pm4::kSimQcomEntryMagic, sizeof stub.magic) != 0) {
      return illegal(p, "the shader at " + hex(entry) +
                            " is not a simulator kernel (no SimQcomEntryStub magic): real Adreno "
                            "ISA, which the simulator cannot run; load a simulator code object");
    }
    const size_t sym_len = strnlen(stub.symbol, sizeof stub.symbol);
    if (sym_len == 0 || sym_len == sizeof stub.symbol)
      return illegal(p, "the simulator stub at " + hex(entry) + " has no symbol");
    const std::string symbol(stub.symbol, sym_len);
    const uint64_t blob = entry + stub.blob_offset;
    const uint8_t* hp = xlate(blob, sizeof(pm4::SimQcomBlobHeader), kRead,
                              "fetching the simulator blob of " + symbol);
    if (!hp) return Step::kFault;
    pm4::SimQcomBlobHeader h;
    std::memcpy(&h, hp, sizeof h);
    if (std::memcmp(h.magic, pm4::kSimQcomBlobMagic, sizeof h.magic) != 0)
      return illegal(p, symbol + ": no simulator blob at " + hex(blob));
    if (h.abi_version != RG_SIM_ABI_VERSION) {
      return illegal(p, symbol + ": sim kernel ABI version " + std::to_string(h.abi_version) +
                            ", this simulator runs version " + std::to_string(RG_SIM_ABI_VERSION));
    }
    const uint64_t code_end = uint64_t{pc} + stub.blob_offset + sizeof h + h.so_size;
    if (uint64_t{*instr} * pm4::kInstrUnitBytes < code_end) {
      return illegal(p, "SP_CS_INSTR_SIZE " + std::to_string(*instr) +
                            " (x128 bytes) does not "
                            "cover the kernel's " +
                            std::to_string(code_end) + " bytes of code");
    }
    // Constants: the explicit arguments are the first param_size bytes of the constant file.
    const uint32_t rammode = field(*cntl1, a6::fields::SP_CS_CNTL_1[1]);
    const uint32_t arg_vec4 = (stub.param_size + 15) / 16;
    if (arg_vec4 > const_capacity_vec4(rammode)) {
      return illegal(p, symbol + " reads " + std::to_string(stub.param_size) +
                            " bytes of constants but SP_CS_CNTL_1.CONSTANTRAMMODE holds " +
                            std::to_string(const_capacity_vec4(rammode)) + " vec4");
    }
    for (uint32_t i = 0; i < arg_vec4; ++i) {
      if (!e_.const_loaded.test(i)) {
        return illegal(p, symbol + " reads its arguments from c0..c" +
                              std::to_string(arg_vec4 - 1) + " but c" + std::to_string(i) +
                              " was not loaded (CP_LOAD_STATE6 SB6_CS_SHADER ST6_CONSTANTS)");
      }
    }
    // Local memory.
    const uint32_t shared_cap = (field(*cntl1, a6::fields::SP_CS_CNTL_1[0]) + 1) * 1024;
    if (stub.shared_size > kMaxSharedBytes || stub.shared_size > shared_cap) {
      return illegal(p, symbol + " declares " + std::to_string(stub.shared_size) +
                            " bytes of local memory; SP_CS_CNTL_1.SHARED_SIZE gives " +
                            std::to_string(std::min(shared_cap, kMaxSharedBytes)));
    }
    // Private memory (sheet §3.4).
    uint64_t pvt_base = 0;
    uint32_t pvt_size = 0;
    if (stub.private_size) {
      const uint32_t param = reg(a6::SP_CS_PVT_MEM_PARAM).value_or(0);
      const uint32_t per_item = field(param, a6::fields::SP_CS_PVT_MEM_PARAM[0]);
      const uint64_t total = uint64_t{
          field(reg(a6::SP_CS_PVT_MEM_SIZE).value_or(0), a6::fields::SP_CS_PVT_MEM_SIZE[0])};
      const uint64_t want_total = a6::pvt_mem_per_sp(stub.private_size, m_.profile->chip);
      pvt_base = (uint64_t{reg(a6::SP_CS_PVT_MEM_BASE + 1).value_or(0)} << 32) |
                 reg(a6::SP_CS_PVT_MEM_BASE).value_or(0);
      if (per_item < stub.private_size) {
        return illegal(p, symbol + " needs " + std::to_string(stub.private_size) +
                              " private bytes per work-item; SP_CS_PVT_MEM_PARAM gives " +
                              std::to_string(per_item));
      }
      if (total < want_total) {
        return illegal(p, symbol + ": SP_CS_PVT_MEM_SIZE gives " + std::to_string(total) +
                              " bytes per SP, the " + std::string(m_.profile->chip.name) +
                              " needs " + std::to_string(want_total) + " (" +
                              std::to_string(m_.profile->chip.fibers_per_sp) + " fibers per SP)");
      }
      pvt_size = per_item;
      if (!xlate(pvt_base, uint64_t{items} * per_item, kRead | kWrite,
                 "SP_CS_PVT_MEM_BASE of " + symbol + ctxs))
        return Step::kFault;
    }
    rg_sim_kernel_fn fn = nullptr;
    if (Step s = host_function(p, blob, h, symbol, &fn); s != Step::kDone) return s;

    std::vector<uint8_t> kernarg(std::max<uint32_t>(stub.param_size, 16));
    std::memcpy(kernarg.data(), e_.consts.data(), stub.param_size);
    KernelCtx kctx{.vm = c_.vm.get(), .faulted = false, .fault = {}};
    if (m_.lds.size() < std::max<uint32_t>(stub.shared_size, 1))
      m_.lds.resize(std::max<uint32_t>(stub.shared_size, 1));
    rg_sim_workgroup wg{};
    wg.abi_version = RG_SIM_ABI_VERSION;
    for (uint32_t i = 0; i < 3; ++i) {
      wg.group_size[i] = local[i];
      wg.grid_groups[i] = groups[i];
    }
    wg.kernarg = kernarg.data();
    wg.lds = stub.shared_size ? m_.lds.data() : nullptr;
    wg.lds_size = stub.shared_size;
    wg.ctx = &kctx;
    wg.mem = &kernel_mem;
    wg.private_base = pvt_base;
    wg.private_size = pvt_size;
    m_.dispatches->fetch_add(1, std::memory_order_relaxed);
    for (uint32_t z = 0; z < groups[2]; ++z) {
      for (uint32_t y = 0; y < groups[1]; ++y) {
        for (uint32_t x = 0; x < groups[0]; ++x) {
          wg.group_id[0] = x;
          wg.group_id[1] = y;
          wg.group_id[2] = z;
          if (stub.shared_size) std::memset(m_.lds.data(), 0, stub.shared_size);
          fn(&wg);
          if (kctx.faulted) {
            fault_line(describe_gpu_fault(kctx.fault) + ctxs + ": kernel " + symbol +
                       " workgroup (" + std::to_string(x) + "," + std::to_string(y) + "," +
                       std::to_string(z) + ")");
            return Step::kFault;
          }
        }
      }
    }
    return Step::kDone;
  }

  Step host_function(const pm4::Pm4Packet& p, uint64_t blob, const pm4::SimQcomBlobHeader& h,
                     const std::string& symbol, rg_sim_kernel_fn* out) {
    const std::string key =
        std::to_string(h.so_hash) + ":" + std::to_string(h.so_size) + ":" + symbol;
    if (auto it = m_.fns.find(key); it != m_.fns.end()) {
      *out = it->second;
      return Step::kDone;
    }
    const uint8_t* so = xlate(blob, sizeof h + uint64_t{h.so_size}, kRead,
                              "fetching the simulator blob of " + symbol);
    if (!so) return Step::kFault;
    core::Result<void*> handle = load_host_object(so + sizeof h, h.so_size, h.so_hash);
    if (!handle.ok()) return illegal(p, symbol + ": " + handle.error().message());
    core::Result<rg_sim_kernel_fn> fn = host_kernel_function(*handle, symbol);
    if (!fn.ok()) return illegal(p, fn.error().message());
    m_.fns.emplace(key, *fn);
    *out = *fn;
    return Step::kDone;
  }

  CommandProcessor::Impl& m_;
  ContextState& c_;
  CpExec& e_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

CommandProcessor::CommandProcessor(const Profile& profile, std::string node,
                                   std::function<void(std::string)> log)
    : impl_(std::make_unique<Impl>()) {
  impl_->profile = &profile;
  impl_->node = std::move(node);
  impl_->log = std::move(log);
  impl_->packets = &packets_;
  impl_->dispatches = &dispatches_;
  thread_ = std::thread([this] { run(); });
}

CommandProcessor::~CommandProcessor() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  impl_->changed.notify_all();
  thread_.join();
}

void CommandProcessor::add(std::shared_ptr<ContextState> ctx) {
  ctx->exec = std::make_unique<CpExec>();
  std::lock_guard lk(impl_->mu);
  impl_->ctxs.push_back(std::move(ctx));
}

void CommandProcessor::remove(const std::shared_ptr<ContextState>& ctx, uint32_t detach_wait_ms) {
  Impl& m = *impl_;
  std::vector<std::function<void()>> due;
  {
    std::unique_lock lk(m.mu);
    // Detach waits for the queued work to retire (bounded).
    m.changed.wait_for(lk, std::chrono::milliseconds(detach_wait_ms), [&] {
      return m.stop || ctx->invalidated.load() ||
             (ctx->pending.empty() && !(ctx->exec && ctx->exec->active));
    });
    ctx->detached.store(true);
    ctx->pending.clear();
    ++m.waiters;
    m.idle.wait(lk, [&] { return m.busy != ctx.get(); });
    --m.waiters;
    auto it = std::find(m.ctxs.begin(), m.ctxs.end(), ctx);
    if (it != m.ctxs.end()) m.ctxs.erase(it);
    due = m.take_due();
  }
  m.changed.notify_all();
  for (auto& f : due) f();
}

int CommandProcessor::submit(const std::shared_ptr<ContextState>& ctx, Submission s,
                             uint32_t queue_wait_ms) {
  Impl& m = *impl_;
  {
    std::unique_lock lk(m.mu);
    if (!m.changed.wait_for(lk, std::chrono::milliseconds(queue_wait_ms), [&] {
          return ctx->pending.size() < kMaxQueued || ctx->invalidated.load() ||
                 ctx->detached.load();
        }))
      return -ETIMEDOUT;
    if (ctx->detached.load()) return -ENOENT;
    if (ctx->invalidated.load()) return ctx->fault_unreported.exchange(false) ? -EPROTO : -EDEADLK;
    if (s.timestamp) ctx->queued.store(s.timestamp);
    ctx->pending.push_back(std::move(s));
    m.kicked = true;
  }
  m.wake.notify_all();
  return 0;
}

int CommandProcessor::wait_retired(ContextState& ctx, uint32_t timestamp, uint32_t timeout_ms) {
  Impl& m = *impl_;
  std::unique_lock lk(m.mu);
  auto done = [&] {
    return ctx.invalidated.load() || ctx.detached.load() || m.stop ||
           ts_reached(ctx.retired.load(), timestamp);
  };
  if (timeout_ms == 0) {
    m.changed.wait(lk, done);
  } else if (!m.changed.wait_for(lk, std::chrono::milliseconds(timeout_ms), done)) {
    return -ETIMEDOUT;
  }
  if (ts_reached(ctx.retired.load(), timestamp)) return 0;
  if (ctx.detached.load()) return -ENOENT;
  if (ctx.invalidated.load()) return -EDEADLK;
  return -ENODEV;  // the GPU is going away
}

void CommandProcessor::on_retire(const std::shared_ptr<ContextState>& ctx, uint32_t timestamp,
                                 std::function<void()> fn) {
  Impl& m = *impl_;
  {
    std::lock_guard lk(m.mu);
    Impl::Retire r{ctx, timestamp, std::move(fn)};
    if (!m.due(r)) {
      m.retires.push_back(std::move(r));
      return;
    }
    fn = std::move(r.fn);
  }
  fn();
}

void CommandProcessor::defer_release(std::shared_ptr<Bo> bo) {
  if (!bo) return;
  std::lock_guard lk(impl_->grave_mu);
  impl_->grave.push_back(std::move(bo));
}

void CommandProcessor::run() {
  using Clock = std::chrono::steady_clock;
  Impl& m = *impl_;
  auto last_progress = Clock::now();
  std::chrono::microseconds nap{0};
  std::unique_lock lk(m.mu);
  while (!m.stop) {
    {  // between packets: objects freed meanwhile can go now
      std::vector<std::shared_ptr<Bo>> g;
      {
        std::lock_guard gl(m.grave_mu);
        g.swap(m.grave);
      }
      if (!g.empty()) {
        lk.unlock();
        g.clear();
        lk.lock();
      }
    }
    m.kicked = false;
    bool progress = false;
    for (size_t i = 0; i < m.ctxs.size() && !m.stop; ++i) {
      ContextState* c = m.ctxs[i].get();
      if (c->detached.load() || c->invalidated.load()) continue;
      if (c->pending.empty() && !c->exec->active) continue;
      m.busy = c;
      lk.unlock();
      progress |= Exec(m, *c).run();
      lk.lock();
      m.busy = nullptr;
      if (m.waiters) m.idle.notify_all();
    }
    if (!m.retires.empty()) {
      std::vector<std::function<void()>> due = m.take_due();
      if (!due.empty()) {
        lk.unlock();
        for (auto& f : due) f();
        lk.lock();
      }
    }
    // Idle policy: yield-spin for kSpinTime after the last progress, then naps growing to 100 µs
    // (a WAIT_REG_MEM on CPU-written memory cannot wake us).
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

}  // namespace rawgpu::sim::qcom

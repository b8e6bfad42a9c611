// The virtual KGSL driver: /dev/kgsl-3d<i> of a simulated Adreno. Every ioctl is dispatched
// through the one KGSL table (qcom_kgsl/describe.h) and validated the way the kernel does, with
// its errno values. Facts: shared/abi/qcom-kgsl.md (the sheet) §1, which cites the Qualcomm KGSL
// tree (K kgsl.c, kgsl_ioctl.c, kgsl_drawobj.c, kgsl_sharedmem.c, kgsl_events.c; KA adreno.c,
// adreno_drawctxt.c, adreno_dispatch.c). Where the sheet is silent the choice is noted.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <set>

#include "core/ioctl_desc.h"
#include "core/log.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/describe.h"
#include "sim/qcom/machine.h"

namespace rawgpu::sim::qcom {
namespace {

using namespace rawgpu::qcom;  // KGSL ABI names, verbatim

constexpr uint64_t kPage = 4096;
// KGSL timestamps wrap at 2^32 (K timestamp_cmp; sheet §1.8).
constexpr bool ts_reached(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }
// The non-SVM GPU VA range: a host range reserved PROT_NONE at process creation, so no CPU
// mapping (hence no SVM address) can ever land in it (simulator choice; KGSL has its own
// 64-bit global range, sheet §1.7).
constexpr uint64_t kSimVaSize = 8ull << 30;
// Addresses an IB may lie in (KA adreno.c _verify_ib: inside the process's VA range): the user
// range of a 48-bit GPU VM above the first 64 KiB.
constexpr uint64_t kVaMin = 0x10000;
constexpr uint64_t kVaMax = 1ull << 48;
constexpr uint32_t kMaxContextsPerProcess = 200;  // K KGSL_MAX_CONTEXTS_PER_PROC (sheet §1.6)
constexpr uint32_t kMaxAlignLog2 = 25;            // MEMALIGN cap (sheet §1.7)

// Context flags the kernel keeps (KA adreno_drawctxt.c; sheet §1.6: SAVE_GMEM, TRASH_STATE,
// SPARSE, … are dropped).
constexpr uint32_t kContextAccepted =
    KGSL_CONTEXT_NO_GMEM_ALLOC | KGSL_CONTEXT_PREAMBLE | KGSL_CONTEXT_PER_CONTEXT_TS |
    KGSL_CONTEXT_USER_GENERATED_TS | KGSL_CONTEXT_NO_FAULT_TOLERANCE | KGSL_CONTEXT_PWR_CONSTRAINT |
    KGSL_CONTEXT_PRIORITY_MASK | KGSL_CONTEXT_IFH_NOP | KGSL_CONTEXT_SECURE |
    KGSL_CONTEXT_NO_SNAPSHOT | KGSL_CONTEXT_TYPE_MASK | KGSL_CONTEXT_PREEMPT_STYLE_MASK |
    KGSL_CONTEXT_INVALIDATE_ON_FAULT | KGSL_CONTEXT_LPAC | KGSL_CONTEXT_FAULT_INFO;
// GPU object flags the kernel keeps (K kgsl.c gpumem_alloc_entry masks the rest silently).
constexpr uint64_t kMemAccepted = KGSL_MEMFLAGS_SECURE | KGSL_MEMTYPE_MASK | KGSL_MEMALIGN_MASK |
                                  KGSL_MEMFLAGS_GPUREADONLY | KGSL_MEMFLAGS_GPUWRITEONLY |
                                  KGSL_CACHEMODE_MASK | KGSL_MEMFLAGS_USE_CPU_MAP |
                                  KGSL_MEMFLAGS_IOCOHERENT | KGSL_MEMFLAGS_GUARD_PAGE;
// MAP_USER_MEM honours these (sheet §1.7).
constexpr uint64_t kUserMemAccepted = KGSL_MEMFLAGS_GPUREADONLY | KGSL_MEMTYPE_MASK |
                                      KGSL_MEMALIGN_MASK | KGSL_MEMFLAGS_USE_CPU_MAP |
                                      KGSL_MEMFLAGS_IOCOHERENT;

int copy_from_user(void* dst, uint64_t src, size_t n) {
  if (n == 0) return 0;
  if (src == 0) return -EFAULT;
  iovec local{dst, n}, remote{reinterpret_cast<void*>(src), n};
  ssize_t r = ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0);
  return r == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}
int copy_to_user(uint64_t dst, const void* src, size_t n) {
  if (n == 0) return 0;
  if (dst == 0) return -EFAULT;
  iovec local{const_cast<void*>(src), n}, remote{reinterpret_cast<void*>(dst), n};
  ssize_t r = ::process_vm_writev(::getpid(), &local, 1, &remote, 1, 0);
  return r == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}
// kgsl_copy_struct_from_user: reads `usize` bytes of an element, zero-fills the rest of the
// kernel struct (the stride is the kernel's own sizeof, sheet §1.8).
template <class T>
int copy_elem(T& out, uint64_t base, uint64_t index, uint32_t usize) {
  out = T{};
  return copy_from_user(&out, base + index * sizeof(T), std::min<size_t>(usize, sizeof(T)));
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

struct GpuObj {
  uint32_t id = 0;
  uint64_t size = 0, mmapsize = 0, flags = 0;
  uint64_t gpuaddr = 0;  // 0 for an SVM object until its mmap
  uint64_t sim_va = 0;   // our range's allocation (non-SVM)
  uint64_t cpu_addr = 0, cpu_len = 0;
  std::shared_ptr<Bo> bo;
  bool user = false;  // MAP_USER_MEM / import: not mmap-able, not budgeted
  bool free_pending = false;
};

class KgslFile;

// The process-private: GPU objects and the GPU page table of every fd of one node (K kgsl.c).
class KgslProcess : public std::enable_shared_from_this<KgslProcess> {
 public:
  KgslProcess(Machine* m, SimQcomGpu* g) : machine(m), gpu(g) {
    void* p =
        ::mmap(nullptr, kSimVaSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) va_base = reinterpret_cast<uint64_t>(p);
  }
  ~KgslProcess() {
    for (auto& [id, o] : objs) release_locked(o);
    if (va_base) ::munmap(reinterpret_cast<void*>(va_base), kSimVaSize);
  }

  // First fit in the reserved range; 0 when full.
  uint64_t va_alloc(uint64_t size, uint64_t align) {
    if (!va_base) return 0;
    uint64_t at = (va_base + align - 1) & ~(align - 1);
    for (const auto& [va, len] : va_used) {
      if (at + size <= va) break;
      at = std::max(at, (va + len + align - 1) & ~(align - 1));
    }
    if (at + size > va_base + kSimVaSize) return 0;
    va_used.emplace(at, size);
    return at;
  }
  void va_free(uint64_t va) { va_used.erase(va); }

  // Unmaps and frees an object (caller holds mu and erases it from objs).
  void release_locked(GpuObj& o) {
    if (o.gpuaddr) (void)vm->unmap(o.gpuaddr);
    if (o.sim_va) va_free(o.sim_va);
    if (!o.user) gpu->mem_used -= o.size;
    gpu->cp->defer_release(std::move(o.bo));
  }
  int free_id_locked(uint32_t id) {
    auto it = objs.find(id);
    if (it == objs.end()) return -EINVAL;
    release_locked(it->second);
    objs.erase(it);
    return 0;
  }
  GpuObj* by_gpuaddr_locked(uint64_t gpuaddr) {
    for (auto& [id, o] : objs)
      if (o.gpuaddr != 0 && o.gpuaddr == gpuaddr) return &o;
    return nullptr;
  }

  Machine* machine;
  SimQcomGpu* gpu;
  std::mutex mu;
  std::shared_ptr<PageTable> vm = std::make_shared<PageTable>();
  std::map<uint32_t, GpuObj> objs;
  uint32_t next_id = 1;
  uint64_t va_base = 0;
  std::map<uint64_t, uint64_t> va_used;
  // Contexts of every fd of the process (for the per-process limit and device-wide lookups).
  std::atomic<uint32_t> contexts{0};
  std::mutex perf_mu;
  uint32_t alwayson_refs = 0;
};

// A sync_file from IOCTL_KGSL_TIMESTAMP_EVENT: signals when (ctx, timestamp) retires.
class FenceFile final : public DeviceFile {
 public:
  FenceFile(std::shared_ptr<ContextState> c, uint32_t ts) : ctx(std::move(c)), timestamp(ts) {}
  int ioctl(unsigned long, void*) override { return -ENOTTY; }  // SYNC_IOC_* not simulated
  std::shared_ptr<ContextState> ctx;
  uint32_t timestamp;
};

// Hands a FenceFile to SimSys::open (the only way to give the caller an fd).
class FenceNode final : public DeviceNode {
 public:
  std::shared_ptr<DeviceFile> open(int, int& err) override {
    if (!pending) {
      err = ENXIO;
      return nullptr;
    }
    return std::move(pending);
  }
  std::mutex create_mu;
  std::shared_ptr<FenceFile> pending;
};

// Per-device state shared by the node and its files.
struct Device {
  Machine* machine;
  SimQcomGpu* gpu;
  std::shared_ptr<FenceNode> fences = std::make_shared<FenceNode>();
  std::string fence_path;
  std::mutex mu;
  std::weak_ptr<KgslProcess> process;
  // Every live context of the device by id (sync points and free events may name any).
  std::map<uint32_t, std::weak_ptr<ContextState>> contexts;
};

class KgslFile final : public DeviceFile {
 public:
  KgslFile(std::shared_ptr<Device> d, std::shared_ptr<KgslProcess> p)
      : dev_(std::move(d)), proc_(std::move(p)), gpu_(dev_->gpu) {}
  ~KgslFile() override;
  int ioctl(unsigned long request, void* arg) override;
  core::MapResult mmap(void* addr, size_t len, int prot, int flags, int64_t offset) override;

 private:
  int dispatch(KgslIoctl id, uint8_t* a);
  int getproperty(uint8_t* a);
  int setproperty(uint8_t* a);
  int drawctxt_create(uint8_t* a);
  int drawctxt_destroy(uint8_t* a);
  int waittimestamp(uint8_t* a);
  int readtimestamp(uint8_t* a);
  int timestamp_event(uint8_t* a);
  int alloc(uint64_t& size, uint64_t& flags, uint64_t& mmapsize, uint32_t& id, uint64_t* gpuaddr);
  int gpuobj_alloc(uint8_t* a);
  int gpumem_alloc_id(uint8_t* a);
  int gpuobj_free(uint8_t* a);
  int gpumem_free_id(uint8_t* a);
  int gpuobj_info(uint8_t* a);
  int gpumem_get_info(uint8_t* a);
  int gpuobj_sync(uint8_t* a);
  int gpumem_sync_cache(uint8_t* a);
  int map_user_mem(uint8_t* a);
  int gpuobj_import(uint8_t* a);
  int sharedmem_free(uint8_t* a);
  int perfcounter(KgslIoctl id, uint8_t* a);
  int gpu_command(uint8_t* a);

  std::shared_ptr<ContextState> own_context(uint32_t id);
  std::shared_ptr<ContextState> device_context(uint32_t id);
  int wrap_user(uint64_t hostptr, uint64_t len, uint64_t flags, uint32_t memtype, uint32_t& id,
                uint64_t& gpuaddr, uint64_t& out_flags);
  static int context_error(ContextState& c);
  void destroy(const std::shared_ptr<ContextState>& c);

  std::shared_ptr<Device> dev_;
  std::shared_ptr<KgslProcess> proc_;
  SimQcomGpu* gpu_;
  std::mutex mu_;
  std::map<uint32_t, std::shared_ptr<ContextState>> ctxs_;  // contexts this fd created
};

KgslFile::~KgslFile() {
  std::map<uint32_t, std::shared_ptr<ContextState>> all;
  {
    std::lock_guard lk(mu_);
    all.swap(ctxs_);
  }
  for (auto& [id, c] : all) destroy(c);
}

void KgslFile::destroy(const std::shared_ptr<ContextState>& c) {
  gpu_->cp->remove(c, dev_->machine->options().detach_wait_ms);
  {
    std::lock_guard lk(dev_->mu);
    dev_->contexts.erase(c->id);
  }
  {
    std::lock_guard lk(gpu_->ctx_mu);
    gpu_->ctx_used[c->id] = false;
  }
  proc_->contexts -= 1;
}

std::shared_ptr<ContextState> KgslFile::own_context(uint32_t id) {
  std::lock_guard lk(mu_);
  auto it = ctxs_.find(id);
  return it == ctxs_.end() ? nullptr : it->second;
}

std::shared_ptr<ContextState> KgslFile::device_context(uint32_t id) {
  std::lock_guard lk(dev_->mu);
  auto it = dev_->contexts.find(id);
  return it == dev_->contexts.end() ? nullptr : it->second.lock();
}

// The state checks of a context before a wait or submit (KA adreno_drawctxt.c / adreno.c):
// a fault not yet reported is EPROTO once, an invalidated context EDEADLK, a detached one ENOENT.
int KgslFile::context_error(ContextState& c) {
  if (c.detached.load()) return -ENOENT;
  if (c.invalidated.load()) return c.fault_unreported.exchange(false) ? -EPROTO : -EDEADLK;
  return 0;
}

int KgslFile::ioctl(unsigned long request, void* arg) {
  // kgsl_ioctl_helper (K kgsl_ioctl.c; sheet §1.1): the handler is chosen by nr only; at most
  // 128 argument bytes; min(user, kernel) bytes copied in for _IOC_WRITE and back for _IOC_READ,
  // and back only when the handler succeeded. Unknown nr: ENOTTY.
  const core::IoctlMatch m = find_kgsl_ioctl(request);
  if (!m.desc || m.desc->deprecated) {
    core::log_warn("sim: /dev/" + gpu_->node + ": KGSL ioctl nr " + hex(core::ioc_nr(request)) +
                   " size " + std::to_string(core::ioc_size(request)) +
                   " is not a KGSL ioctl of this kernel (ENOTTY)");
    return -ENOTTY;
  }
  const uint32_t usize = core::ioc_size(request);
  if (usize > kKgslMaxArgsSize) return -EINVAL;
  const auto dir = static_cast<uint32_t>(core::ioc_dir(request));
  alignas(16) uint8_t kbuf[kKgslMaxArgsSize] = {};
  const uint32_t n = std::min(usize, m.desc->size);
  if ((dir & static_cast<uint32_t>(core::IoctlDir::kWrite)) && n) {
    if (int e = copy_from_user(kbuf, reinterpret_cast<uint64_t>(arg), n)) return e;
  }
  const auto id = static_cast<KgslIoctl>(static_cast<size_t>(m.desc - kgsl_ioctls().rows.data()));
  const int r = dispatch(id, kbuf);
  if (r == 0 && (dir & static_cast<uint32_t>(core::IoctlDir::kRead)) && n) {
    if (int e = copy_to_user(reinterpret_cast<uint64_t>(arg), kbuf, n)) return e;
  }
  return r;
}

int KgslFile::dispatch(KgslIoctl id, uint8_t* a) {
  switch (id) {
    case KgslIoctl::DEVICE_GETPROPERTY: return getproperty(a);
    case KgslIoctl::DEVICE_WAITTIMESTAMP: return -ENOTTY;  // legacy (sheet §1.2)
    case KgslIoctl::DEVICE_WAITTIMESTAMP_CTXTID: return waittimestamp(a);
    case KgslIoctl::DRAWCTXT_CREATE: return drawctxt_create(a);
    case KgslIoctl::DRAWCTXT_DESTROY: return drawctxt_destroy(a);
    case KgslIoctl::MAP_USER_MEM: return map_user_mem(a);
    case KgslIoctl::CMDSTREAM_READTIMESTAMP_CTXTID: return readtimestamp(a);
    case KgslIoctl::SHAREDMEM_FREE: return sharedmem_free(a);
    case KgslIoctl::SETPROPERTY: return setproperty(a);
    case KgslIoctl::TIMESTAMP_EVENT: return timestamp_event(a);
    case KgslIoctl::GPUMEM_ALLOC_ID: return gpumem_alloc_id(a);
    case KgslIoctl::GPUMEM_FREE_ID: return gpumem_free_id(a);
    case KgslIoctl::GPUMEM_GET_INFO: return gpumem_get_info(a);
    case KgslIoctl::GPUMEM_SYNC_CACHE: return gpumem_sync_cache(a);
    case KgslIoctl::PERFCOUNTER_GET:
    case KgslIoctl::PERFCOUNTER_PUT:
    case KgslIoctl::PERFCOUNTER_READ: return perfcounter(id, a);
    case KgslIoctl::GPUOBJ_ALLOC: return gpuobj_alloc(a);
    case KgslIoctl::GPUOBJ_FREE: return gpuobj_free(a);
    case KgslIoctl::GPUOBJ_INFO: return gpuobj_info(a);
    case KgslIoctl::GPUOBJ_IMPORT: return gpuobj_import(a);
    case KgslIoctl::GPUOBJ_SYNC: return gpuobj_sync(a);
    case KgslIoctl::GPU_COMMAND: return gpu_command(a);
  }
  return -ENOTTY;
}

// ---- properties (KA adreno_getproperty, K kgsl.c; sheet §1.4) --------------------------------

int KgslFile::getproperty(uint8_t* a) {
  kgsl_device_getproperty p;
  std::memcpy(&p, a, sizeof p);
  const Profile& prof = *gpu_->profile;
  // Adreno-side properties copy min(sizebytes, payload) silently.
  auto put = [&](const void* v, size_t n) {
    return copy_to_user(p.value, v, std::min<uint64_t>(n, p.sizebytes));
  };
  switch (p.type) {
    case KGSL_PROP_DEVICE_INFO: {
      kgsl_devinfo d{};
      d.device_id = gpu_->index + 1;
      d.chip_id = prof.chip.chip_id;
      d.mmu_enabled = 1;
      d.gmem_gpubaseaddr = 0;
      d.gpu_id = 0;  // current kernels leave it 0 (sheet §1.3)
      d.gmem_sizebytes = prof.chip.gmem_bytes;
      return put(&d, sizeof d);
    }
    case KGSL_PROP_DEVICE_SHADOW: {
      kgsl_shadowprop s{};
      s.gpuaddr = kMemstoreToken;
      s.size = kMemstoreSize;
      s.flags = KGSL_FLAGS_INITIALIZED | KGSL_FLAGS_PER_CONTEXT_TIMESTAMPS;
      return put(&s, sizeof s);
    }
    case KGSL_PROP_MMU_ENABLE: {
      int32_t v = 1;
      return put(&v, sizeof v);
    }
    case KGSL_PROP_VERSION: {  // core property: exact size
      if (p.sizebytes != sizeof(kgsl_version)) return -EINVAL;
      kgsl_version v{KGSL_VERSION_MAJOR, KGSL_VERSION_MINOR, 3, 1};
      return put(&v, sizeof v);
    }
    case KGSL_PROP_GPU_RESET_STAT: {  // core property: exact size; in ctx id, out stat
      if (p.sizebytes != sizeof(uint32_t)) return -EINVAL;
      uint32_t ctx = 0;
      if (int e = copy_from_user(&ctx, p.value, 4)) return e;
      std::shared_ptr<ContextState> c = own_context(ctx);
      if (!c) return -EINVAL;
      const uint32_t stat = c->reset_stat.exchange(KGSL_CTX_STAT_NO_ERROR);
      return put(&stat, 4);
    }
    case KGSL_PROP_UCHE_GMEM_VADDR: {
      uint64_t v = 0x100000;  // a6xx UCHE GMEM base (KA adreno_a6xx.c; UNCONFIRMED per chip)
      return put(&v, sizeof v);
    }
    case KGSL_PROP_UCODE_VERSION: {
      kgsl_ucode_version v{prof.ucode_pfp, prof.ucode_pm4};
      return put(&v, sizeof v);
    }
    case KGSL_PROP_HIGHEST_BANK_BIT: {
      uint32_t v = prof.highest_bank_bit;
      return put(&v, sizeof v);
    }
    case KGSL_PROP_DEVICE_BITNESS: {
      uint32_t v = 48;
      return put(&v, sizeof v);
    }
    case KGSL_PROP_UBWC_MODE: {
      uint32_t v = prof.ubwc_mode;
      return put(&v, sizeof v);
    }
    case KGSL_PROP_SPEED_BIN: {
      uint32_t v = 0;
      return put(&v, sizeof v);
    }
    case KGSL_PROP_GPU_MODEL: {
      kgsl_gpu_model g{};
      std::memcpy(g.gpu_model, prof.gpu_model.data(),
                  std::min(prof.gpu_model.size(), sizeof g.gpu_model - 1));
      return put(&g, sizeof g);
    }
    case KGSL_PROP_IS_LPAC_ENABLED: {
      uint32_t v = prof.lpac ? 1 : 0;
      return put(&v, sizeof v);
    }
    case KGSL_PROP_GPU_VA64_SIZE: {  // core property: exact size
      if (p.sizebytes != sizeof(uint64_t)) return -EINVAL;
      uint64_t v = kVaMax - kVaMin;
      return put(&v, sizeof v);
    }
    default: return -ENODEV;
  }
}

int KgslFile::setproperty(uint8_t* a) {
  // KA adreno.c adreno_setproperty / _set_constraint (sheet §1.5).
  kgsl_device_getproperty p;
  std::memcpy(&p, a, sizeof p);
  if (p.type != KGSL_PROP_PWR_CONSTRAINT) return -EINVAL;
  if (p.sizebytes != sizeof(kgsl_device_constraint)) return -EINVAL;
  kgsl_device_constraint c;
  if (int e = copy_from_user(&c, p.value, sizeof c)) return e;
  std::shared_ptr<ContextState> ctx = own_context(c.context_id);
  if (!ctx) return -EINVAL;
  if (c.type == KGSL_CONSTRAINT_NONE) {
    ctx->pwr_constraint = 0;
    return 0;
  }
  if (c.type != KGSL_CONSTRAINT_PWRLEVEL) return -EINVAL;
  if (c.size != sizeof(kgsl_device_constraint_pwrlevel)) return -EINVAL;
  kgsl_device_constraint_pwrlevel lv;
  if (int e = copy_from_user(&lv, c.data, sizeof lv)) return e;
  if (lv.level > KGSL_CONSTRAINT_PWR_MAX) return -EINVAL;
  ctx->pwr_constraint = lv.level + 1;
  return 0;
}

// ---- contexts (KA adreno_drawctxt.c; sheet §1.6) ---------------------------------------------

int KgslFile::drawctxt_create(uint8_t* a) {
  kgsl_drawctxt_create p;
  std::memcpy(&p, a, sizeof p);
  const uint32_t want = KGSL_CONTEXT_PREAMBLE | KGSL_CONTEXT_NO_GMEM_ALLOC;
  if ((p.flags & want) != want) return -EINVAL;           // "legacy context switch not supported"
  if (p.flags & KGSL_CONTEXT_SECURE) return -EOPNOTSUPP;  // no content protection
  if ((p.flags & KGSL_CONTEXT_LPAC) && !gpu_->profile->lpac) return -EOPNOTSUPP;
  uint32_t flags = (p.flags & kContextAccepted) | KGSL_CONTEXT_PER_CONTEXT_TS;
  if ((flags & KGSL_CONTEXT_PRIORITY_MASK) == 0) flags |= kgsl_context_priority(8);
  if (proc_->contexts.fetch_add(1) >= kMaxContextsPerProcess) {
    proc_->contexts -= 1;
    return -ENOSPC;
  }
  uint32_t id = 0;
  {
    std::lock_guard lk(gpu_->ctx_mu);
    for (uint32_t i = 1; i <= kMaxDeviceContexts; ++i) {
      if (!gpu_->ctx_used[i]) {
        gpu_->ctx_used[i] = true;
        id = i;
        break;
      }
    }
  }
  if (id == 0) {
    proc_->contexts -= 1;
    return -ENOSPC;
  }
  auto c = std::make_shared<ContextState>();
  c->id = id;
  c->flags = flags;
  c->vm = proc_->vm;
  c->memstore = gpu_->memstore->data() + uint64_t{id} * kMemstoreRecord;
  std::memset(c->memstore, 0, kMemstoreRecord);
  gpu_->cp->add(c);
  {
    std::lock_guard lk(dev_->mu);
    dev_->contexts[id] = c;
  }
  {
    std::lock_guard lk(mu_);
    ctxs_[id] = c;
  }
  p.flags = flags;
  p.drawctxt_id = id;
  std::memcpy(a, &p, sizeof p);
  return 0;
}

int KgslFile::drawctxt_destroy(uint8_t* a) {
  kgsl_drawctxt_destroy p;
  std::memcpy(&p, a, sizeof p);
  std::shared_ptr<ContextState> c;
  {
    std::lock_guard lk(mu_);
    auto it = ctxs_.find(p.drawctxt_id);
    if (it == ctxs_.end()) return -EINVAL;  // unknown, or another fd's
    c = std::move(it->second);
    ctxs_.erase(it);
  }
  destroy(c);
  return 0;
}

// ---- timestamps (K kgsl_events.c, KA adreno_drawctxt.c; sheet §1.9) --------------------------

int KgslFile::waittimestamp(uint8_t* a) {
  kgsl_device_waittimestamp_ctxtid p;
  std::memcpy(&p, a, sizeof p);
  std::shared_ptr<ContextState> c = own_context(p.context_id);
  if (!c) return -EINVAL;
  if (int e = context_error(*c)) return e;
  if (!(c->flags & KGSL_CONTEXT_USER_GENERATED_TS) && !ts_reached(c->queued.load(), p.timestamp))
    return -EINVAL;                                                   // never queued
  const uint32_t timeout = p.timeout == 0xFFFFFFFFu ? 0 : p.timeout;  // both mean forever
  const int r = gpu_->cp->wait_retired(*c, p.timestamp, timeout);
  if (r == -EDEADLK) return context_error(*c);
  return r;
}

int KgslFile::readtimestamp(uint8_t* a) {
  kgsl_cmdstream_readtimestamp_ctxtid p;
  std::memcpy(&p, a, sizeof p);
  std::shared_ptr<ContextState> c = own_context(p.context_id);
  if (!c) return -EINVAL;
  switch (p.type) {
    case KGSL_TIMESTAMP_CONSUMED: p.timestamp = c->consumed.load(); break;
    case KGSL_TIMESTAMP_RETIRED: p.timestamp = c->retired.load(); break;
    case KGSL_TIMESTAMP_QUEUED: p.timestamp = c->queued.load(); break;
    default: return -EINVAL;
  }
  std::memcpy(a, &p, sizeof p);
  return 0;
}

int KgslFile::timestamp_event(uint8_t* a) {
  // K kgsl.c kgsl_ioctl_timestamp_event / kgsl_sync.c (sheet §1.9): FENCE only, len 4.
  kgsl_timestamp_event p;
  std::memcpy(&p, a, sizeof p);
  if (p.type != KGSL_TIMESTAMP_EVENT_FENCE) return -EINVAL;
  if (p.len != sizeof(kgsl_timestamp_event_fence)) return -EINVAL;
  std::shared_ptr<ContextState> c = own_context(p.context_id);
  if (!c) return -EINVAL;
  std::lock_guard lk(dev_->fences->create_mu);
  dev_->fences->pending = std::make_shared<FenceFile>(c, p.timestamp);
  const int fd = dev_->machine->sys().open(dev_->fence_path.c_str(), O_RDWR, 0);
  dev_->fences->pending.reset();
  if (fd < 0) return fd;
  kgsl_timestamp_event_fence out{fd};
  if (int e = copy_to_user(p.priv, &out, sizeof out)) {
    dev_->machine->sys().close(fd);
    return e;
  }
  return 0;
}

// ---- memory (K kgsl.c, kgsl_sharedmem.c; sheet §1.7) -----------------------------------------

int KgslFile::alloc(uint64_t& size, uint64_t& flags, uint64_t& mmapsize, uint32_t& id,
                    uint64_t* gpuaddr) {
  if (size == 0 || size > 0xFFFFFFFFull) return -EINVAL;
  if (flags & KGSL_MEMFLAGS_SECURE) return -EOPNOTSUPP;
  flags &= kMemAccepted;
  uint32_t align = static_cast<uint32_t>((flags & KGSL_MEMALIGN_MASK) >> KGSL_MEMALIGN_SHIFT);
  if (align < 12) align = 12;
  if (align > kMaxAlignLog2) {
    dev_->machine->log("kgsl: " + gpu_->node + ": alignment 2^" + std::to_string(align) +
                       " capped to 2^" + std::to_string(kMaxAlignLog2));
    align = kMaxAlignLog2;
  }
  flags = (flags & ~KGSL_MEMALIGN_MASK) | kgsl_memalign(align);
  // IOCOHERENT only with a cached CPU mapping (sheet §1.7).
  const uint32_t cache =
      static_cast<uint32_t>((flags & KGSL_CACHEMODE_MASK) >> KGSL_CACHEMODE_SHIFT);
  if (cache == KGSL_CACHEMODE_WRITECOMBINE || cache == KGSL_CACHEMODE_UNCACHED)
    flags &= ~KGSL_MEMFLAGS_IOCOHERENT;
  size = (size + kPage - 1) & ~(kPage - 1);
  mmapsize = size + ((flags & KGSL_MEMFLAGS_GUARD_PAGE) ? kPage : 0);
  const uint64_t budget = gpu_->profile->memory_budget;
  if (gpu_->mem_used.fetch_add(size) + size > budget) {
    gpu_->mem_used -= size;
    return -ENOMEM;
  }
  core::Result<std::shared_ptr<Bo>> bo = Bo::create(mmapsize, gpu_->node + " gpuobj");
  if (!bo.ok()) {
    gpu_->mem_used -= size;
    return -ENOMEM;
  }
  std::lock_guard lk(proc_->mu);
  GpuObj o;
  o.id = proc_->next_id++;
  o.size = size;
  o.mmapsize = mmapsize;
  o.flags = flags;
  o.bo = *bo;
  if (!(flags & KGSL_MEMFLAGS_USE_CPU_MAP)) {
    const uint64_t va = proc_->va_alloc(mmapsize, uint64_t{1} << align);
    if (va == 0) {
      gpu_->mem_used -= size;
      return -ENOMEM;
    }
    const uint32_t perms =
        (flags & KGSL_MEMFLAGS_GPUREADONLY) ? kRead : (kRead | kWrite | kExecute);
    if (!proc_->vm->map(va, o.bo, 0, size, perms).ok()) {
      proc_->va_free(va);
      gpu_->mem_used -= size;
      return -ENOMEM;
    }
    o.gpuaddr = o.sim_va = va;
  }
  id = o.id;
  if (gpuaddr) *gpuaddr = o.gpuaddr;
  proc_->objs.emplace(o.id, std::move(o));
  return 0;
}

int KgslFile::gpuobj_alloc(uint8_t* a) {
  kgsl_gpuobj_alloc p;
  std::memcpy(&p, a, sizeof p);
  if (int e = alloc(p.size, p.flags, p.mmapsize, p.id, nullptr)) return e;
  std::memcpy(a, &p, sizeof p);
  return 0;
}

int KgslFile::gpumem_alloc_id(uint8_t* a) {
  kgsl_gpumem_alloc_id p;
  std::memcpy(&p, a, sizeof p);
  uint64_t flags = p.flags;  // 32 flag bits only (sheet §1.3)
  if (int e = alloc(p.size, flags, p.mmapsize, p.id, &p.gpuaddr)) return e;
  p.flags = static_cast<uint32_t>(flags);
  std::memcpy(a, &p, sizeof p);
  return 0;
}

int KgslFile::gpuobj_free(uint8_t* a) {
  kgsl_gpuobj_free p;
  std::memcpy(&p, a, sizeof p);
  std::unique_lock lk(proc_->mu);
  auto it = proc_->objs.find(p.id);
  if (it == proc_->objs.end()) return -EINVAL;
  if (it->second.free_pending) return -EBUSY;
  if (!(p.flags & KGSL_GPUOBJ_FREE_ON_EVENT)) return proc_->free_id_locked(p.id);
  std::shared_ptr<ContextState> c;
  uint32_t ts = 0;
  if (p.type == KGSL_GPU_EVENT_TIMESTAMP) {
    kgsl_gpu_event_timestamp ev{};
    if (p.len != sizeof ev) return -EINVAL;
    if (int e = copy_from_user(&ev, p.priv, sizeof ev)) return e;
    c = device_context(ev.context_id);
    if (!c) return -EINVAL;
    ts = ev.timestamp;
  } else if (p.type == KGSL_GPU_EVENT_FENCE) {
    kgsl_gpu_event_fence ev{};
    if (p.len != sizeof ev) return -EINVAL;
    if (int e = copy_from_user(&ev, p.priv, sizeof ev)) return e;
    if (ev.fd < 0) return -EINVAL;
    auto f = std::dynamic_pointer_cast<FenceFile>(dev_->machine->sys().file(ev.fd));
    if (!f) return -EINVAL;  // not a sync_file the simulator made
    c = f->ctx;
    ts = f->timestamp;
  } else {
    return -EINVAL;
  }
  it->second.free_pending = true;
  lk.unlock();
  std::weak_ptr<KgslProcess> wp = proc_;
  const uint32_t id = p.id;
  gpu_->cp->on_retire(c, ts, [wp, id] {
    if (std::shared_ptr<KgslProcess> pr = wp.lock()) {
      std::lock_guard l(pr->mu);
      (void)pr->free_id_locked(id);
    }
  });
  return 0;
}

int KgslFile::gpumem_free_id(uint8_t* a) {
  kgsl_gpumem_free_id p;
  std::memcpy(&p, a, sizeof p);
  std::lock_guard lk(proc_->mu);
  auto it = proc_->objs.find(p.id);
  if (it == proc_->objs.end()) return -EINVAL;
  if (it->second.free_pending) return -EBUSY;
  return proc_->free_id_locked(p.id);
}

int KgslFile::sharedmem_free(uint8_t* a) {
  kgsl_sharedmem_free p;
  std::memcpy(&p, a, sizeof p);
  std::lock_guard lk(proc_->mu);
  GpuObj* o = proc_->by_gpuaddr_locked(p.gpuaddr);
  if (!o) return -EINVAL;
  if (o->free_pending) return -EBUSY;
  return proc_->free_id_locked(o->id);
}

int KgslFile::gpuobj_info(uint8_t* a) {
  kgsl_gpuobj_info p;
  std::memcpy(&p, a, sizeof p);
  std::lock_guard lk(proc_->mu);
  auto it = proc_->objs.find(p.id);
  if (it == proc_->objs.end()) return -EINVAL;
  const GpuObj& o = it->second;
  p.gpuaddr = o.gpuaddr;
  p.flags = o.flags;
  p.size = o.size;
  p.va_len = o.mmapsize;
  p.va_addr = 0;  // always 0 on K (sheet §1.3)
  std::memcpy(a, &p, sizeof p);
  return 0;
}

int KgslFile::gpumem_get_info(uint8_t* a) {
  kgsl_gpumem_get_info p;
  std::memcpy(&p, a, sizeof p);
  std::lock_guard lk(proc_->mu);
  const GpuObj* o = nullptr;
  if (p.id != 0) {
    auto it = proc_->objs.find(p.id);
    if (it != proc_->objs.end()) o = &it->second;
  } else {
    o = proc_->by_gpuaddr_locked(p.gpuaddr);
  }
  if (!o) return -EINVAL;
  p.gpuaddr = o->gpuaddr;
  p.id = o->id;
  p.flags = static_cast<uint32_t>(o->flags);
  p.size = o->size;
  p.mmapsize = o->mmapsize;
  p.useraddr = o->cpu_addr;
  std::memcpy(a, &p, sizeof p);
  return 0;
}

// Cache maintenance is a no-op on simulated memory; the arguments are checked as K does.
int check_cache_op(uint32_t op, uint64_t offset, uint64_t length, uint64_t size) {
  if ((op & ~(KGSL_GPUMEM_CACHE_FLUSH | KGSL_GPUMEM_CACHE_RANGE)) != 0 ||
      (op & KGSL_GPUMEM_CACHE_FLUSH) == 0)
    return -EINVAL;
  if ((op & KGSL_GPUMEM_CACHE_RANGE) && (offset > size || length > size - offset)) return -ERANGE;
  return 0;
}

int KgslFile::gpuobj_sync(uint8_t* a) {
  kgsl_gpuobj_sync p;
  std::memcpy(&p, a, sizeof p);
  if (p.count == 0 || p.count > kKgslMaxSyncObjs) return -EINVAL;
  for (uint32_t i = 0; i < p.count; ++i) {
    kgsl_gpuobj_sync_obj s;
    if (int e = copy_elem(s, p.objs, i, p.obj_len)) return e;
    uint64_t size = 0;
    {
      std::lock_guard lk(proc_->mu);
      auto it = proc_->objs.find(s.id);
      if (it == proc_->objs.end()) continue;  // unknown ids are skipped (sheet §1.7)
      size = it->second.size;
    }
    if (int e = check_cache_op(s.op, s.offset, s.length, size)) return e;
  }
  return 0;
}

int KgslFile::gpumem_sync_cache(uint8_t* a) {
  kgsl_gpumem_sync_cache p;
  std::memcpy(&p, a, sizeof p);
  std::lock_guard lk(proc_->mu);
  const GpuObj* o = nullptr;
  if (p.id != 0) {
    auto it = proc_->objs.find(p.id);
    if (it != proc_->objs.end()) o = &it->second;
  } else {
    o = proc_->by_gpuaddr_locked(p.gpuaddr);
  }
  if (!o) return -EINVAL;
  return check_cache_op(p.op, p.offset, p.length, o->size);
}

int KgslFile::wrap_user(uint64_t hostptr, uint64_t len, uint64_t flags, uint32_t memtype,
                        uint32_t& id, uint64_t& gpuaddr, uint64_t& out_flags) {
  // Pages must exist (K pins them: EFAULT otherwise) ...
  std::vector<unsigned char> vec((len + kPage - 1) / kPage);
  if (::mincore(reinterpret_cast<void*>(hostptr), len, vec.data()) != 0) return -EFAULT;
  flags &= kUserMemAccepted;
  std::lock_guard lk(proc_->mu);
  // ... and must not be a KGSL mapping themselves (sheet §1.7: EFAULT, which tinygrad relies on).
  for (const auto& [oid, o] : proc_->objs) {
    if (o.cpu_len && hostptr < o.cpu_addr + o.cpu_len && o.cpu_addr < hostptr + len) return -EFAULT;
  }
  GpuObj o;
  o.id = proc_->next_id++;
  o.size = o.mmapsize = len;
  o.user = true;
  o.bo = Bo::wrap_user(reinterpret_cast<void*>(hostptr), len, gpu_->node + " usermem");
  const uint32_t perms = (flags & KGSL_MEMFLAGS_GPUREADONLY) ? kRead : (kRead | kWrite);
  uint64_t va = 0;
  if (flags & KGSL_MEMFLAGS_USE_CPU_MAP) {
    va = hostptr;
  } else {
    va = proc_->va_alloc(len, kPage);
    if (va == 0) return -ENOMEM;
    o.sim_va = va;
  }
  if (!proc_->vm->map(va, o.bo, 0, len, perms).ok()) {
    if (o.sim_va) proc_->va_free(o.sim_va);
    return -EFAULT;  // the range is already a GPU mapping
  }
  o.gpuaddr = va;
  o.flags = flags | (uint64_t{memtype + 1} << KGSL_MEMFLAGS_USERMEM_SHIFT);
  id = o.id;
  gpuaddr = va;
  out_flags = o.flags;
  proc_->objs.emplace(o.id, std::move(o));
  return 0;
}

int KgslFile::map_user_mem(uint8_t* a) {
  kgsl_map_user_mem p;
  std::memcpy(&p, a, sizeof p);
  if (p.memtype != KGSL_USER_MEM_TYPE_ADDR) return -EINVAL;  // dma-buf/ion: no such fd here
  if (p.len == 0 || (p.hostptr % kPage) || (p.len % kPage) || p.offset != 0) return -EINVAL;
  uint32_t id = 0;
  uint64_t gpuaddr = 0, flags = 0;
  if (int e = wrap_user(p.hostptr, p.len, p.flags, KGSL_USER_MEM_TYPE_ADDR, id, gpuaddr, flags))
    return e;
  p.gpuaddr = gpuaddr;
  p.flags = static_cast<uint32_t>(flags);
  std::memcpy(a, &p, sizeof p);
  return 0;
}

int KgslFile::gpuobj_import(uint8_t* a) {
  kgsl_gpuobj_import p;
  std::memcpy(&p, a, sizeof p);
  if (p.type != KGSL_USER_MEM_TYPE_ADDR) return -EINVAL;  // no dma-bufs in the simulator
  if (p.flags & KGSL_MEMFLAGS_SECURE) return -EOPNOTSUPP;
  kgsl_gpuobj_import_useraddr u{};
  if (int e = copy_from_user(&u, p.priv, sizeof u)) return e;
  if (p.priv_len == 0 || (u.virtaddr % kPage) || (p.priv_len % kPage)) return -EINVAL;
  uint64_t gpuaddr = 0, flags = 0;
  if (int e =
          wrap_user(u.virtaddr, p.priv_len, p.flags, KGSL_USER_MEM_TYPE_ADDR, p.id, gpuaddr, flags))
    return e;
  std::memcpy(a, &p, sizeof p);
  return 0;
}

core::MapResult KgslFile::mmap(void* addr, size_t len, int prot, int flags, int64_t offset) {
  // The memstore: read-only, full size only (sheet §1.9).
  if (static_cast<uint64_t>(offset) == kMemstoreToken) {
    if (prot & PROT_WRITE) return {nullptr, EPERM};
    if (len != kMemstoreSize) return {nullptr, EINVAL};
    return gpu_->memstore->map_into(addr, len, prot, flags, 0);
  }
  // K kgsl.c get_mmap_entry: pgoff as an object id, then as gpuaddr >> 12 (sheet §1.7).
  std::lock_guard lk(proc_->mu);
  GpuObj* o = nullptr;
  const uint64_t pgoff = static_cast<uint64_t>(offset) >> 12;
  if (auto it = proc_->objs.find(static_cast<uint32_t>(pgoff));
      pgoff <= 0xFFFFFFFFull && it != proc_->objs.end()) {
    o = &it->second;
  } else {
    o = proc_->by_gpuaddr_locked(static_cast<uint64_t>(offset));
  }
  if (!o || (offset & 0xFFF)) return {nullptr, EINVAL};
  if (o->user) return {nullptr, EBUSY};
  if (!(flags & MAP_SHARED)) return {nullptr, EINVAL};
  if (!(o->flags & KGSL_MEMFLAGS_USE_CPU_MAP)) {
    if (len > o->mmapsize) return {nullptr, EINVAL};
    core::MapResult r = o->bo->map_into(addr, len, prot, flags, 0);
    if (r.addr && !o->cpu_len) {
      o->cpu_addr = reinterpret_cast<uint64_t>(r.addr);
      o->cpu_len = len;
    }
    return r;
  }
  // SVM: exact length, once; the CPU address becomes the GPU address (sheet §1.7).
  if (len != o->mmapsize) return {nullptr, ERANGE};
  if (o->gpuaddr != 0) return {nullptr, EBUSY};
  const uint32_t align_log2 =
      static_cast<uint32_t>((o->flags & KGSL_MEMALIGN_MASK) >> KGSL_MEMALIGN_SHIFT);
  const uint64_t align = align_log2 >= 21   ? (2ull << 20)
                         : align_log2 >= 20 ? (1ull << 20)
                         : align_log2 >= 16 ? (64ull << 10)
                                            : kPage;
  void* at = addr;
  if (flags & MAP_FIXED) {
    if (reinterpret_cast<uint64_t>(addr) % align) return {nullptr, EINVAL};
  } else if (align > kPage) {
    // kgsl_get_unmapped_area: an aligned hole.
    void* hole = ::mmap(nullptr, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (hole == MAP_FAILED) return {nullptr, ENOMEM};
    const uint64_t h = reinterpret_cast<uint64_t>(hole);
    const uint64_t aligned = (h + align - 1) & ~(align - 1);
    ::munmap(hole, len + align);
    at = reinterpret_cast<void*>(aligned);
    flags |= MAP_FIXED;
  }
  core::MapResult r = o->bo->map_into(at, len, prot, flags, 0);
  if (!r.addr) return r;
  const uint64_t va = reinterpret_cast<uint64_t>(r.addr);
  const uint32_t perms =
      (o->flags & KGSL_MEMFLAGS_GPUREADONLY) ? kRead : (kRead | kWrite | kExecute);
  if (va < kVaMin || !proc_->vm->map(va, o->bo, 0, o->size, perms).ok()) {
    ::munmap(r.addr, len);
    return {nullptr, ENOMEM};  // no free SVM range
  }
  o->gpuaddr = va;
  o->cpu_addr = va;
  o->cpu_len = len;
  return r;
}

// ---- perf counters (KA adreno_perfcounter.c; sheet §1.10): the ALWAYSON group only ------------

int KgslFile::perfcounter(KgslIoctl id, uint8_t* a) {
  constexpr uint32_t kAlwaysOnLo = 0x980, kAlwaysOnHi = 0x981;  // CP_ALWAYS_ON_COUNTER
  if (id == KgslIoctl::PERFCOUNTER_GET) {
    kgsl_perfcounter_get p;
    std::memcpy(&p, a, sizeof p);
    if (p.groupid != KGSL_PERFCOUNTER_GROUP_ALWAYSON || p.countable != 0) return -EINVAL;
    {
      std::lock_guard lk(proc_->perf_mu);
      ++proc_->alwayson_refs;
    }
    p.offset = kAlwaysOnLo;
    p.offset_hi = kAlwaysOnHi;
    std::memcpy(a, &p, sizeof p);
    return 0;
  }
  if (id == KgslIoctl::PERFCOUNTER_PUT) {
    kgsl_perfcounter_put p;
    std::memcpy(&p, a, sizeof p);
    if (p.groupid != KGSL_PERFCOUNTER_GROUP_ALWAYSON || p.countable != 0) return -EINVAL;
    std::lock_guard lk(proc_->perf_mu);
    if (proc_->alwayson_refs == 0) return -EINVAL;
    --proc_->alwayson_refs;
    return 0;
  }
  kgsl_perfcounter_read p;
  std::memcpy(&p, a, sizeof p);
  if (p.count == 0 || p.count > 100) return -EINVAL;
  for (uint32_t i = 0; i < p.count; ++i) {
    kgsl_perfcounter_read_group g;
    if (int e = copy_from_user(&g, p.reads + i * sizeof g, sizeof g)) return e;
    if (g.groupid != KGSL_PERFCOUNTER_GROUP_ALWAYSON || g.countable != 0) return -EINVAL;
    g.value = always_on_now();
    if (int e = copy_to_user(p.reads + i * sizeof g, &g, sizeof g)) return e;
  }
  return 0;
}

// ---- submission (K kgsl_drawobj.c, KA adreno.c / adreno_dispatch.c; sheet §1.8) --------------

int KgslFile::gpu_command(uint8_t* a) {
  kgsl_gpu_command p;
  std::memcpy(&p, a, sizeof p);
  std::shared_ptr<ContextState> c = own_context(p.context_id);
  if (!c) return -EINVAL;
  if (c->detached.load()) return -ENOENT;
  if (c->invalidated.load() && !c->fault_unreported.load()) return -EDEADLK;
  if (p.numcmds > kKgslMaxCmds || p.numobjs > kKgslMaxCmds || p.numsyncs > kKgslMaxSyncs)
    return -EINVAL;
  Submission s;
  for (uint32_t i = 0; i < p.numcmds; ++i) {
    kgsl_command_object o;
    if (int e = copy_elem(o, p.cmdlist, i, p.cmdsize)) return e;
    if (!(o.flags &
          (KGSL_CMDLIST_IB | KGSL_CMDLIST_CTXTSWITCH_PREAMBLE | KGSL_CMDLIST_IB_PREAMBLE)))
      return -EINVAL;
    // _verify_ib (KA adreno.c).
    if (o.size == 0 || o.size / 4 > kKgslMaxIbDwords || (o.gpuaddr & 3) || (o.size & 3) ||
        o.gpuaddr < kVaMin || o.gpuaddr >= kVaMax || o.size > kVaMax - o.gpuaddr)
      return -EINVAL;
    s.ibs.push_back({o.gpuaddr, static_cast<uint32_t>(o.size / 4)});
  }
  for (uint32_t i = 0; i < p.numobjs; ++i) {
    kgsl_command_object o;
    if (int e = copy_elem(o, p.objlist, i, p.objsize)) return e;
    if (!(o.flags & KGSL_OBJLIST_MEMOBJ)) return -EINVAL;
  }
  for (uint32_t i = 0; i < p.numsyncs; ++i) {
    kgsl_command_syncpoint sp;
    if (int e = copy_elem(sp, p.synclist, i, p.syncsize)) return e;
    if (sp.type == KGSL_CMD_SYNCPOINT_TYPE_TIMESTAMP) {
      kgsl_cmd_syncpoint_timestamp t{};
      if (sp.size != sizeof t) return -EINVAL;
      if (int e = copy_from_user(&t, sp.priv, sizeof t)) return e;
      std::shared_ptr<ContextState> other = device_context(t.context_id);
      if (!other) return -EINVAL;
      if (other == c && !ts_reached(c->queued.load(), t.timestamp)) return -EINVAL;
      s.syncs.push_back({other, t.timestamp});
    } else if (sp.type == KGSL_CMD_SYNCPOINT_TYPE_FENCE) {
      kgsl_cmd_syncpoint_fence f{};
      if (sp.size != sizeof f) return -EINVAL;
      if (int e = copy_from_user(&f, sp.priv, sizeof f)) return e;
      auto ff = std::dynamic_pointer_cast<FenceFile>(dev_->machine->sys().file(f.fd));
      if (!ff) return -EINVAL;
      s.syncs.push_back({ff->ctx, ff->timestamp});
    } else {
      return -EINVAL;
    }
  }
  const bool sync_only = (p.flags & KGSL_CMDBATCH_SYNC) || (p.numcmds == 0 && p.numsyncs > 0);
  s.marker = !sync_only && ((p.flags & KGSL_CMDBATCH_MARKER) || p.numcmds == 0);
  if (sync_only && p.numcmds == 0) {
    s.timestamp = 0;
  } else if (c->flags & KGSL_CONTEXT_USER_GENERATED_TS) {
    if (!ts_reached(p.timestamp, c->queued.load()) || p.timestamp == c->queued.load())
      return -ERANGE;  // must increase
    s.timestamp = p.timestamp;
  } else {
    s.timestamp = c->queued.load() + 1;
  }
  // A fault since the last check: EPROTO once; the command is still queued (but an invalidated
  // context never runs it) and no timestamp is copied out (sheet §1.8).
  if (c->invalidated.load()) {
    if (s.timestamp) c->queued.store(s.timestamp);
    return c->fault_unreported.exchange(false) ? -EPROTO : -EDEADLK;
  }
  const uint32_t ts = s.timestamp;
  if (int e = gpu_->cp->submit(c, std::move(s), dev_->machine->options().queue_wait_ms)) return e;
  p.timestamp = ts;
  std::memcpy(a, &p, sizeof p);
  return 0;
}

class KgslNode final : public DeviceNode {
 public:
  explicit KgslNode(std::shared_ptr<Device> d) : dev_(std::move(d)) {}
  std::shared_ptr<DeviceFile> open(int, int&) override {
    std::shared_ptr<KgslProcess> p;
    {
      std::lock_guard lk(dev_->mu);
      p = dev_->process.lock();
      if (!p) {
        p = std::make_shared<KgslProcess>(dev_->machine, dev_->gpu);
        dev_->process = p;
      }
    }
    return std::make_shared<KgslFile>(dev_, std::move(p));
  }

 private:
  std::shared_ptr<Device> dev_;
};

}  // namespace

std::shared_ptr<DeviceNode> make_kgsl_node(Machine* m, SimQcomGpu* gpu) {
  auto d = std::make_shared<Device>();
  d->machine = m;
  d->gpu = gpu;
  d->fence_path = "/dev/.rawgpu-sim/" + gpu->node + "/sync_file";
  m->sys().add_node(d->fence_path, d->fences);
  return std::make_shared<KgslNode>(d);
}

}  // namespace rawgpu::sim::qcom

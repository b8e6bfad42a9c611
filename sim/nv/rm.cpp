// The virtual nvidia.ko: the escapes of /dev/nvidiactl and /dev/nvidia<minor>, the RM object
// model (clients, handles, parents, classes), the RM controls rawgpu issues, CPU mapping
// contexts and GPU DMA mappings. Validation and status codes follow the open kernel module
// (NVIDIA/open-gpu-kernel-modules; paths below are relative to it) and shared/abi/nvidia.md; where
// the simulator picks a code the source does not pin down, the comment says "sim choice".
#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/log.h"
#include "nv_ioctl/describe.h"
#include "sim/nv/rm.h"

namespace rawgpu::sim::nv {

using namespace rawgpu::nv;  // ABI structs, classes, status codes

namespace {

constexpr uint64_t kMaxVa = 1ull << 57;  // GH100 VA width; wider than any user address

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

uint32_t bits(uint32_t v, unsigned hi, unsigned lo) {
  return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

std::string pci_name(const SimNvGpu& g) {
  char b[32];
  std::snprintf(b, sizeof b, "0000:%02x:00", g.pci_bus);
  return b;
}

std::string process_name() {
  std::string comm = program_invocation_short_name;
  return comm.substr(0, 15);  // TASK_COMM_LEN - 1
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Class families (fact sheet §3.7; nv_ioctl/classes.h).

bool is_usermode_class(uint32_t c) {
  return c == VOLTA_USERMODE_A || c == TURING_USERMODE_A || c == AMPERE_USERMODE_A ||
         c == HOPPER_USERMODE_A || c == BLACKWELL_USERMODE_A;
}
bool is_gpfifo_class(uint32_t c) {
  return c == VOLTA_CHANNEL_GPFIFO_A || c == TURING_CHANNEL_GPFIFO_A ||
         c == AMPERE_CHANNEL_GPFIFO_A || c == HOPPER_CHANNEL_GPFIFO_A ||
         c == BLACKWELL_CHANNEL_GPFIFO_A || c == BLACKWELL_CHANNEL_GPFIFO_B;
}
bool is_compute_class(uint32_t c) {
  return c == TURING_COMPUTE_A || c == AMPERE_COMPUTE_A || c == AMPERE_COMPUTE_B ||
         c == ADA_COMPUTE_A || c == HOPPER_COMPUTE_A || c == BLACKWELL_COMPUTE_A ||
         c == BLACKWELL_COMPUTE_B;
}
bool is_copy_class(uint32_t c) {
  return c == TURING_DMA_COPY_A || c == AMPERE_DMA_COPY_A || c == AMPERE_DMA_COPY_B ||
         c == HOPPER_DMA_COPY_A || c == BLACKWELL_DMA_COPY_A || c == BLACKWELL_DMA_COPY_B;
}
bool gpu_has_class(const SimNvGpu& g, uint32_t c) {
  return std::find(g.profile->classes.begin(), g.profile->classes.end(), c) !=
         g.profile->classes.end();
}

// ---------------------------------------------------------------------------------------------
// ChannelSink: what RM does when the engines report (kernel_channel.c / rc: the error notifier
// is an NvNotification array, NV_CHANNELGPFIFO_NOTIFICATION_TYPE_ERROR = index 0; the Xid line
// is the one nvidia.ko prints with NVRM: prefix).

void ChannelRecord::on_nonstall_interrupt(ChannelState&) {
  ++nonstall;
  gpu_->nonstall_interrupts.fetch_add(1, std::memory_order_relaxed);
}

void ChannelRecord::on_channel_error(ChannelState& ch, uint32_t xid, const std::string& what) {
  if (notifier && notifier_size >= 16) {
    uint8_t* p = notifier->data() + notifier_offset;
    const uint64_t t = gpu_time_ns();
    const uint32_t ts[2] = {static_cast<uint32_t>(t), static_cast<uint32_t>(t >> 32)};
    const uint32_t info32 = xid;
    const uint16_t info16 = static_cast<uint16_t>(ch.chid);
    std::memcpy(p, ts, 8);
    std::memcpy(p + 8, &info32, 4);
    std::memcpy(p + 12, &info16, 2);
    // status last: a reader polling it sees the rest complete.
    __atomic_store_n(reinterpret_cast<uint16_t*>(p + 14), uint16_t{0xFFFF}, __ATOMIC_RELEASE);
  }
  char line[256];
  std::snprintf(line, sizeof line, "NVRM: Xid (PCI:%s): %u, pid=%d, name=%s, Ch %08x, ",
                pci_name(*gpu_).c_str(), xid, static_cast<int>(::getpid()), process_name().c_str(),
                ch.chid);
  machine_->log(line + what);
}

// ---------------------------------------------------------------------------------------------
// Rm: lookups and the object tree.

Machine::Rm::Rm(Machine* m, rawgpu::nv::NvAbi a) : machine(m), abi(std::move(a)) {}

size_t Machine::Rm::object_count() const {
  size_t n = 0;
  for (const auto& [h, c] : clients) n += 1 + c.objects.size();
  return n;
}

// A client belongs to the nvidiactl file that allocated it; other fds cannot name it
// (rmclientValidate, src/nvidia/src/kernel/rmapi/client.c: NV_ERR_INVALID_CLIENT).
Client* Machine::Rm::client(uint32_t h, const void* owner) {
  auto it = clients.find(h);
  if (it == clients.end() || it->second.owner != owner) return nullptr;
  return &it->second;
}

RmObject* Machine::Rm::object(Client& c, uint32_t h) {
  auto it = c.objects.find(h);
  return it == c.objects.end() ? nullptr : &it->second;
}

SimNvGpu* Machine::Rm::gpu_by_id(uint32_t gpu_id) const {
  for (const auto& g : machine->gpus())
    if (g->gpu_id == gpu_id) return g.get();
  return nullptr;
}

SimNvGpu* Machine::Rm::gpu_by_uuid(const uint8_t* uuid) const {
  for (const auto& g : machine->gpus())
    if (std::memcmp(g->uuid, uuid, 16) == 0) return g.get();
  return nullptr;
}

uint32_t Machine::Rm::device_of(Client& c, uint32_t h) {
  for (RmObject* o = object(c, h); o != nullptr; o = object(c, o->hParent))
    if (o->kind == Kind::kDevice) return o->handle;
  return 0;
}

std::shared_ptr<PageTable> Machine::Rm::vaspace_of(Client& c, uint32_t hDevice, uint32_t hVaSpace) {
  if (hVaSpace != 0) {
    RmObject* v = object(c, hVaSpace);
    return v != nullptr && v->kind == Kind::kVaSpace ? v->vm : nullptr;
  }
  RmObject* d = object(c, hDevice);
  return d != nullptr ? d->vm : nullptr;
}

std::shared_ptr<Bo> Machine::Rm::new_bo(uint64_t size, const std::string& label, uint32_t* status) {
  core::Result<std::shared_ptr<Bo>> bo = Bo::create(size, label);
  if (!bo.ok()) {
    *status = NV_ERR_NO_MEMORY;
    return nullptr;
  }
  bos.push_back(*bo);
  std::erase_if(bos, [](const std::weak_ptr<Bo>& w) { return w.expired(); });
  return *bo;
}

void Machine::Rm::schedule(Client& c, RmObject& ch) {
  ChannelRecord& rec = *ch.channel;
  if (rec.in_engines || (rec.state->compute_class == 0 && rec.state->copy_class == 0)) return;
  RmObject* parent = object(c, ch.hParent);
  const bool on =
      parent != nullptr && parent->kind == Kind::kTsg ? parent->scheduled : ch.scheduled;
  if (!on) return;
  ch.gpu->engines->add(rec.state);
  rec.in_engines = true;
}

void Machine::Rm::unschedule(RmObject& ch) {
  if (!ch.channel || !ch.channel->in_engines) return;
  ch.gpu->engines->remove(ch.channel->state.get());
  ch.channel->in_engines = false;
}

// RM frees a subtree children first, and with an object the objects that depend on it
// (resserv: refAddDependant; src/nvidia/src/libraries/resserv/src/rs_server.c
// serverFreeResourceTree). Dependants modelled: channels on a ctxshare, ctxshares on a VA space,
// DMA mappings on their memory or virtual object.
void Machine::Rm::free_object(Client& c, uint32_t h) {
  RmObject* o = object(c, h);
  if (o == nullptr) return;
  std::vector<uint32_t> kids = o->children;
  for (auto it = kids.rbegin(); it != kids.rend(); ++it) free_object(c, *it);
  std::vector<uint32_t> dependants;
  for (auto& [oh, other] : c.objects) {
    if ((o->kind == Kind::kVaSpace && other.kind == Kind::kCtxShare && other.hVaSpace == h) ||
        (o->kind == Kind::kCtxShare && other.kind == Kind::kChannel && other.hCtxShare == h))
      dependants.push_back(oh);
  }
  for (uint32_t d : dependants) free_object(c, d);
  o = object(c, h);
  if (o == nullptr) return;
  // DMA mappings that use this object go with it.
  for (auto it = dma.begin(); it != dma.end();) {
    if (it->hClient == c.handle && (it->hDma == h || it->hMemory == h)) {
      (void)it->vm->unmap(it->va);
      it = dma.erase(it);
    } else {
      ++it;
    }
  }
  switch (o->kind) {
    case Kind::kChannel: {
      unschedule(*o);
      auto& ids = chids[o->gpu];
      if (o->chid < ids.size()) ids[o->chid] = false;
      break;
    }
    case Kind::kEngine: {
      RmObject* ch = object(c, o->hParent);
      if (ch != nullptr && ch->channel) {
        // The channel's engine set changes: take it off the engines while it does.
        const bool was = ch->channel->in_engines;
        unschedule(*ch);
        if (is_compute_class(o->hClass)) ch->channel->state->compute_class = 0;
        if (is_copy_class(o->hClass)) ch->channel->state->copy_class = 0;
        if (was) schedule(c, *ch);
      }
      break;
    }
    case Kind::kMemory:
      if (o->vidmem) o->gpu->vram_used.fetch_sub(o->size);
      break;
    case Kind::kTsg: break;
    default: break;
  }
  if (RmObject* p = object(c, o->hParent)) std::erase(p->children, h);
  c.objects.erase(h);
}

void Machine::Rm::free_client(uint32_t h) {
  auto it = clients.find(h);
  if (it == clients.end()) return;
  Client& c = it->second;
  std::vector<uint32_t> top;
  for (auto& [oh, o] : c.objects)
    if (o.hParent == 0) top.push_back(oh);
  for (auto t = top.rbegin(); t != top.rend(); ++t) free_object(c, *t);
  clients.erase(it);
}

// NV_ESC_RM_FREE (rmapiFree, src/nvidia/src/kernel/rmapi/alloc_free.c): hObjectOld == hRoot
// frees the client; an unknown handle is NV_ERR_INVALID_OBJECT_HANDLE.
uint32_t Machine::Rm::free(const void* owner, uint32_t hRoot, uint32_t hObject) {
  Client* c = client(hRoot, owner);
  if (c == nullptr) return NV_ERR_INVALID_CLIENT;
  if (hObject == hRoot) {
    free_client(hRoot);
    return NV_OK;
  }
  if (object(*c, hObject) == nullptr) return NV_ERR_INVALID_OBJECT_HANDLE;
  free_object(*c, hObject);
  return NV_OK;
}

// ---------------------------------------------------------------------------------------------
// NV_ESC_RM_ALLOC (rmapiAlloc / serverAllocResource, src/nvidia/src/kernel/rmapi/alloc_free.c,
// src/nvidia/src/libraries/resserv/src/rs_server.c).

namespace {

// RM copies the class's own params size from pAllocParms, whatever paramsSize says
// (rmapiParamsAcquire, param_copy.c): NULL where the class needs params is
// NV_ERR_INVALID_ARGUMENT (sim choice for the constructors' NULL checks), a fault is
// NV_ERR_INVALID_ADDRESS.
template <typename T>
uint32_t read_params(uint64_t ptr, T& out) {
  if (ptr == 0) return NV_ERR_INVALID_ARGUMENT;
  return copy_in(&out, ptr, sizeof out) ? NV_OK : NV_ERR_INVALID_ADDRESS;
}

// The branch-neutral view of NV_CHANNEL_ALLOC_PARAMS (368 bytes up to 595, 376 from 610).
struct ChannelArgs {
  uint32_t hObjectError, gpFifoEntries, flags, hContextShare, hVASpace, hUserd, engineType,
      subDeviceId;
  uint64_t gpFifoOffset, userdOffset;
};
template <typename P>
ChannelArgs channel_args(const P& p) {
  return ChannelArgs{p.hObjectError, p.gpFifoEntries,   p.flags,      p.hContextShare,
                     p.hVASpace,     p.hUserdMemory[0], p.engineType, p.subDeviceId,
                     p.gpFifoOffset, p.userdOffset[0]};
}

// Allowed parents per kind (the classes' parent lists in src/nvidia/generated/g_*_nvoc.c /
// resource_list.h).
bool parent_ok(Kind k, const RmObject* parent) {
  const Kind p = parent != nullptr ? parent->kind : Kind::kDevice;
  switch (k) {
    case Kind::kDevice: return parent == nullptr;
    case Kind::kSubdevice: return parent != nullptr && p == Kind::kDevice;
    case Kind::kUsermode: return parent != nullptr && p == Kind::kSubdevice;
    case Kind::kMemory:
    case Kind::kOsDescriptor:
    case Kind::kVirtual:
    case Kind::kVaSpace: return parent != nullptr && (p == Kind::kDevice || p == Kind::kSubdevice);
    case Kind::kTsg:
    case Kind::kDebugger: return parent != nullptr && p == Kind::kDevice;
    case Kind::kCtxShare: return parent != nullptr && p == Kind::kTsg;
    case Kind::kChannel: return parent != nullptr && (p == Kind::kTsg || p == Kind::kDevice);
    case Kind::kEngine: return parent != nullptr && p == Kind::kChannel;
  }
  return false;
}

bool kind_of(uint32_t hClass, Kind& k) {
  switch (hClass) {
    case NV01_DEVICE_0: k = Kind::kDevice; return true;
    case NV20_SUBDEVICE_0: k = Kind::kSubdevice; return true;
    case NV01_MEMORY_LOCAL_USER:
    case NV01_MEMORY_SYSTEM: k = Kind::kMemory; return true;
    case NV01_MEMORY_VIRTUAL: k = Kind::kVirtual; return true;
    case FERMI_VASPACE_A: k = Kind::kVaSpace; return true;
    case KEPLER_CHANNEL_GROUP_A: k = Kind::kTsg; return true;
    case FERMI_CONTEXT_SHARE_A: k = Kind::kCtxShare; return true;
    case GT200_DEBUGGER: k = Kind::kDebugger; return true;
    default: break;
  }
  if (is_usermode_class(hClass))
    k = Kind::kUsermode;
  else if (is_gpfifo_class(hClass))
    k = Kind::kChannel;
  else if (is_compute_class(hClass) || is_copy_class(hClass))
    k = Kind::kEngine;
  else
    return false;
  return true;
}

// NVOS32_ATTR_PAGE_SIZE 24:23 / NVOS32_ATTR2_PAGE_SIZE_HUGE 21:20 (nvos.h).
uint64_t memory_page_size(const NV_MEMORY_ALLOCATION_PARAMS& p, bool vidmem) {
  switch (bits(p.attr, 24, 23)) {
    case 1: return 4096;
    case 2: return 64 * 1024;
    case 3: return bits(p.attr2, 21, 20) == 2 ? (512ull << 20) : (2ull << 20);
    default: return vidmem && p.size >= (2ull << 20) ? 64 * 1024 : 4096;
  }
}

}  // namespace

uint32_t Machine::Rm::alloc(const void* owner, uint32_t hRoot, uint32_t hParent, uint32_t& hNew,
                            uint32_t hClass, uint64_t pParams) {
  // Root classes: every root class is rewritten to NV01_ROOT_CLIENT for user callers; a
  // caller-chosen client handle must be free (rs_server.c serverAllocClient).
  if (hClass == NV01_ROOT || hClass == NV01_ROOT_CLIENT || hClass == 0x1 /*NV01_ROOT_NON_PRIV*/) {
    if (hNew == 0) {
      do ++next_client;
      while (clients.count(next_client));
      hNew = next_client;
    } else if (clients.count(hNew)) {
      return NV_ERR_INSERT_DUPLICATE_NAME;
    }
    Client& c = clients[hNew];
    c.handle = hNew;
    c.owner = owner;
    return NV_OK;
  }
  Client* cp = client(hRoot, owner);
  if (cp == nullptr) return NV_ERR_INVALID_CLIENT;
  Client& c = *cp;
  // serverAllocResource: the new handle first, then the parent, then the class.
  if (hNew != 0 && (c.objects.count(hNew) || hNew == c.handle)) return NV_ERR_INSERT_DUPLICATE_NAME;
  RmObject* parent = hParent == hRoot ? nullptr : object(c, hParent);
  if (hParent != hRoot && parent == nullptr) return NV_ERR_INVALID_OBJECT_PARENT;
  Kind kind{};
  if (!kind_of(hClass, kind)) {
    if (find_versioned(rm_classes(), hClass) == nullptr) return NV_ERR_INVALID_CLASS;
    core::log_warn("sim: nvidia.ko: RM class " + std::string(rm_class_name(hClass)) + " (" +
                   hex(hClass) + ") is not simulated");
    return NV_ERR_NOT_SUPPORTED;
  }
  if (!parent_ok(kind, parent)) return NV_ERR_INVALID_OBJECT_PARENT;
  SimNvGpu* gpu = parent != nullptr ? parent->gpu : nullptr;
  // gpuIsClassSupported (src/nvidia/src/kernel/gpu/gpu.c): a class outside the chip's class
  // list is NV_ERR_INVALID_CLASS.
  if (gpu != nullptr && !gpu_has_class(*gpu, hClass)) return NV_ERR_INVALID_CLASS;

  RmObject o;
  o.hClass = hClass;
  o.hParent = parent != nullptr ? hParent : 0;
  o.kind = kind;
  o.gpu = gpu;
  uint32_t st = NV_OK;
  const uint32_t hDevice = parent != nullptr ? device_of(c, hParent) : 0;

  switch (kind) {
    case Kind::kDevice: {
      // deviceConstruct (src/nvidia/src/kernel/gpu/device.c): deviceId names a device instance;
      // NULL params mean instance 0.
      NV0080_ALLOC_PARAMETERS p{};
      if (pParams != 0 && (st = read_params(pParams, p)) != NV_OK) return st;
      if (p.deviceId >= machine->gpus().size()) return NV_ERR_INVALID_ARGUMENT;
      if (p.hClientShare != 0 && p.hClientShare != c.handle && !clients.count(p.hClientShare))
        return NV_ERR_INVALID_CLIENT;
      if (p.vaMode > NV_DEVICE_ALLOCATION_VAMODE_MULTIPLE_VASPACES) return NV_ERR_INVALID_ARGUMENT;
      o.gpu = machine->gpus()[p.deviceId].get();
      if (!gpu_has_class(*o.gpu, hClass)) return NV_ERR_INVALID_CLASS;
      o.vm = std::make_shared<PageTable>();  // the device's default VA space
      break;
    }
    case Kind::kSubdevice: {
      // subdeviceConstruct: subDeviceId must name a subdevice of the device (one per GPU).
      NV2080_ALLOC_PARAMETERS p{};
      if (pParams != 0 && (st = read_params(pParams, p)) != NV_OK) return st;
      if (p.subDeviceId != 0) return NV_ERR_INVALID_ARGUMENT;
      break;
    }
    case Kind::kUsermode: {
      // usermode_api.c: optional params; bPriv needs kernel privilege.
      if (pParams != 0 && hClass == HOPPER_USERMODE_A) {
        NV_HOPPER_USERMODE_A_PARAMS p{};
        if ((st = read_params(pParams, p)) != NV_OK) return st;
        if (p.bPriv) return NV_ERR_INSUFFICIENT_PERMISSIONS;
      }
      o.bo = gpu->usermode;
      o.size = 0x10000;
      break;
    }
    case Kind::kMemory: {
      // memConstruct / vidmemConstruct / sysmemConstruct (src/nvidia/src/kernel/mem_mgr/
      // video_mem.c, system_mem.c): size != 0, power-of-two alignment, VRAM accounting.
      NV_MEMORY_ALLOCATION_PARAMS p{};
      if ((st = read_params(pParams, p)) != NV_OK) return st;
      o.vidmem = hClass == NV01_MEMORY_LOCAL_USER;
      if (p.size == 0) return NV_ERR_INVALID_ARGUMENT;
      if (p.alignment != 0 && !std::has_single_bit(p.alignment)) return NV_ERR_INVALID_ARGUMENT;
      o.page_size = memory_page_size(p, o.vidmem);
      const uint64_t align = std::max<uint64_t>(o.page_size, p.alignment);
      if (p.size > kMaxVa) return NV_ERR_NO_MEMORY;
      o.size = (p.size + align - 1) & ~(align - 1);
      if (o.vidmem) {
        const uint64_t used = gpu->vram_used.fetch_add(o.size) + o.size;
        if (used > gpu->profile->vram_bytes) {
          gpu->vram_used.fetch_sub(o.size);
          return NV_ERR_NO_MEMORY;
        }
      }
      o.bo = new_bo(o.size, o.vidmem ? "nv vidmem" : "nv sysmem", &st);
      if (!o.bo) {
        if (o.vidmem) gpu->vram_used.fetch_sub(o.size);
        return st;
      }
      uint64_t& phys = next_phys[gpu];
      phys = (phys + align - 1) & ~(align - 1);
      p.address = phys;
      phys += o.size;
      p.size = o.size;
      p.limit = o.size - 1;
      if (!copy_out(pParams, &p, sizeof p)) {
        if (o.vidmem) gpu->vram_used.fetch_sub(o.size);
        return NV_ERR_INVALID_ADDRESS;
      }
      break;
    }
    case Kind::kVirtual: {
      // virtmemConstruct (src/nvidia/src/kernel/mem_mgr/virtual_mem.c): hVASpace 0 is the
      // device's default VA space; limit below offset is refused.
      NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS p{};
      if ((st = read_params(pParams, p)) != NV_OK) return st;
      if (p.limit != 0 && p.limit < p.offset) return NV_ERR_INVALID_LIMIT;
      o.hVaSpace = p.hVASpace;
      o.vm = vaspace_of(c, hDevice, p.hVASpace);
      if (!o.vm) return NV_ERR_INVALID_OBJECT_HANDLE;
      o.va_lo = p.offset;
      o.va_hi = p.limit != 0 ? p.limit : kMaxVa - 1;
      break;
    }
    case Kind::kVaSpace: {
      // vaspaceapiConstruct (src/nvidia/src/kernel/mem_mgr/vaspace_api.c): params of the
      // branch's size (48 bytes before 580, 56 from 580); big page size 64K/128K or default.
      NV_VASPACE_ALLOCATION_PARAMETERS_V580 p{};
      if (pParams == 0) return NV_ERR_INVALID_ARGUMENT;
      const size_t n = abi.vaspace_v580 ? sizeof(NV_VASPACE_ALLOCATION_PARAMETERS_V580)
                                        : sizeof(NV_VASPACE_ALLOCATION_PARAMETERS);
      if (!copy_in(&p, pParams, n)) return NV_ERR_INVALID_ADDRESS;
      if (p.bigPageSize != 0 && p.bigPageSize != 0x10000 && p.bigPageSize != 0x20000)
        return NV_ERR_INVALID_ARGUMENT;
      if (p.vaBase % kRmPage != 0 || p.vaSize % kRmPage != 0) return NV_ERR_INVALID_ARGUMENT;
      if (p.vaBase > kMaxVa || p.vaSize > kMaxVa - p.vaBase) return NV_ERR_INVALID_ARGUMENT;
      o.va_flags = p.flags;
      o.va_lo = p.vaBase;
      o.va_hi = p.vaSize != 0 ? p.vaBase + p.vaSize - 1 : kMaxVa - 1;
      o.vm = std::make_shared<PageTable>();
      break;
    }
    case Kind::kTsg: {
      // kchangrpapiConstruct (src/nvidia/src/kernel/gpu/fifo/kernel_channel_group_api.c): the
      // engine type must name an engine; hVASpace, when given, a VA space of the device.
      NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS p{};
      if ((st = read_params(pParams, p)) != NV_OK) return st;
      if (p.engineType != NV2080_ENGINE_TYPE_GRAPHICS &&
          !(p.engineType >= NV2080_ENGINE_TYPE_COPY0 &&
            p.engineType < NV2080_ENGINE_TYPE_COPY0 + 10))
        return NV_ERR_INVALID_ARGUMENT;
      if (p.hVASpace != 0 && !vaspace_of(c, hDevice, p.hVASpace))
        return NV_ERR_INVALID_OBJECT_HANDLE;
      o.engine_type = p.engineType;
      o.hVaSpace = p.hVASpace;
      break;
    }
    case Kind::kCtxShare: {
      // kctxshareapiConstruct (src/nvidia/src/kernel/gpu/fifo/kernel_ctxshare.c): SYNC (0),
      // ASYNC (1) or SPECIFIED (2, subctxId); the VA space must be one of the device's;
      // at most 64 subcontexts per TSG (sim: Hopper/Ampere VEID count).
      NV_CTXSHARE_ALLOCATION_PARAMETERS p{};
      if ((st = read_params(pParams, p)) != NV_OK) return st;
      if (p.flags > 2) return NV_ERR_INVALID_ARGUMENT;
      if (p.flags == 2 && p.subctxId >= 64) return NV_ERR_INVALID_ARGUMENT;
      const uint32_t hv = p.hVASpace != 0 ? p.hVASpace : parent->hVaSpace;
      if (hv != 0) {
        RmObject* v = object(c, hv);
        if (v == nullptr || v->kind != Kind::kVaSpace) return NV_ERR_INVALID_OBJECT_HANDLE;
      }
      size_t n = 0;
      for (uint32_t k : parent->children)
        if (object(c, k)->kind == Kind::kCtxShare) ++n;
      if (n >= 64) return NV_ERR_INSUFFICIENT_RESOURCES;
      o.hVaSpace = hv;
      break;
    }
    case Kind::kChannel: {
      // kchannelConstruct (src/nvidia/src/kernel/gpu/fifo/kernel_channel.c) and
      // kchannelAllocUserD: params of the branch (368 bytes, 376 from 610); a power-of-two
      // ring of 8-byte entries at an 8-byte-aligned VA; an error notifier; USERD 512-byte
      // aligned inside its memory.
      ChannelArgs a{};
      if (abi.channel_alloc_v610) {
        NV_CHANNEL_ALLOC_PARAMS_V610 p{};
        if ((st = read_params(pParams, p)) != NV_OK) return st;
        a = channel_args(p);
      } else {
        NV_CHANNEL_ALLOC_PARAMS p{};
        if ((st = read_params(pParams, p)) != NV_OK) return st;
        a = channel_args(p);
      }
      if (a.gpFifoEntries < 2 || !std::has_single_bit(a.gpFifoEntries))
        return NV_ERR_INVALID_ARGUMENT;
      if (a.gpFifoOffset == 0 || a.gpFifoOffset % 8 != 0) return NV_ERR_INVALID_ARGUMENT;
      if (a.subDeviceId != 0 && a.subDeviceId != 1) return NV_ERR_INVALID_ARGUMENT;
      if (a.engineType != 0 && parent->kind == Kind::kTsg && a.engineType != parent->engine_type)
        return NV_ERR_INVALID_ARGUMENT;
      if (a.hObjectError == 0) return NV_ERR_INVALID_ARGUMENT;
      RmObject* err = object(c, a.hObjectError);
      if (err == nullptr || (err->kind != Kind::kMemory && err->kind != Kind::kOsDescriptor))
        return NV_ERR_INVALID_OBJECT_HANDLE;
      if (err->size < 16) return NV_ERR_INVALID_LIMIT;
      std::shared_ptr<Bo> userd;
      uint64_t userd_off = 0;
      if (a.hUserd != 0) {
        RmObject* u = object(c, a.hUserd);
        if (u == nullptr || (u->kind != Kind::kMemory && u->kind != Kind::kOsDescriptor))
          return NV_ERR_INVALID_OBJECT_HANDLE;
        if (a.userdOffset % 512 != 0) return NV_ERR_INVALID_ARGUMENT;
        if (a.userdOffset > u->size || u->size - a.userdOffset < 512) return NV_ERR_INVALID_LIMIT;
        userd = u->bo;
        userd_off = u->offset + a.userdOffset;
      } else {
        userd = new_bo(kRmPage, "nv USERD", &st);  // RM allocates USERD itself
        if (!userd) return st;
      }
      // The VA space: the ctxshare's, else the one named, else the TSG's, else the device's.
      uint32_t hv = a.hVASpace;
      if (a.hContextShare != 0) {
        RmObject* cs = object(c, a.hContextShare);
        if (cs == nullptr || cs->kind != Kind::kCtxShare || cs->hParent != hParent)
          return NV_ERR_INVALID_OBJECT_HANDLE;
        hv = cs->hVaSpace;
      } else if (hv == 0 && parent->kind == Kind::kTsg) {
        hv = parent->hVaSpace;
      }
      std::shared_ptr<PageTable> vm = vaspace_of(c, hDevice, hv);
      if (!vm) return NV_ERR_INVALID_OBJECT_HANDLE;
      auto& ids = chids[gpu];
      if (ids.empty()) ids.assign(2048, false);  // channels per runlist (GH100/GA102: 2048)
      auto free_id = std::find(ids.begin() + 1, ids.end(), false);
      if (free_id == ids.end()) return NV_ERR_INSUFFICIENT_RESOURCES;
      o.chid = static_cast<uint32_t>(free_id - ids.begin());
      *free_id = true;
      o.hCtxShare = a.hContextShare;
      o.hVaSpace = hv;
      o.channel = std::make_shared<ChannelRecord>(machine, gpu);
      o.channel->notifier = err->bo;
      o.channel->notifier_offset = err->offset;
      o.channel->notifier_size = err->size;
      ChannelState& s = *o.channel->state;
      s.chid = o.chid;
      s.work_submit_token = o.chid;  // NVC36F token = the channel id on a single runlist
      s.channel_class = hClass;
      s.hClient = c.handle;
      s.gpfifo_va = a.gpFifoOffset;
      s.gpfifo_entries = a.gpFifoEntries;
      s.userd = userd->data() + userd_off;
      s.userd_bo = userd;
      s.vm = vm;
      s.sink = o.channel.get();
      break;
    }
    case Kind::kEngine: {
      // One object per engine on a channel (sim choice: NV_ERR_INVALID_STATE for a second one,
      // as the engine context is already bound).
      ChannelState& s = *parent->channel->state;
      if (pParams != 0) {
        uint8_t probe = 0;  // compute/copy classes take no params RM reads
        if (!copy_in(&probe, pParams, 1)) return NV_ERR_INVALID_ADDRESS;
      }
      if ((is_compute_class(hClass) && s.compute_class != 0) ||
          (is_copy_class(hClass) && s.copy_class != 0))
        return NV_ERR_INVALID_STATE;
      break;
    }
    case Kind::kDebugger: {
      // ksmdbgssnConstruct (src/nvidia/src/kernel/gpu/gr/kernel_sm_debugger_session.c): the
      // application client and its 3D/compute object must exist.
      NV83DE_ALLOC_PARAMETERS p{};
      if ((st = read_params(pParams, p)) != NV_OK) return st;
      auto app = clients.find(p.hAppClient);
      if (app == clients.end()) return NV_ERR_INVALID_CLIENT;
      RmObject* obj = object(app->second, p.hClass3dObject);
      if (obj == nullptr || obj->kind != Kind::kEngine) return NV_ERR_INVALID_OBJECT_HANDLE;
      break;
    }
    case Kind::kOsDescriptor: return NV_ERR_INVALID_CLASS;  // only through NV_ESC_RM_ALLOC_MEMORY
  }

  if (hNew == 0) {
    do ++c.next_handle;
    while (c.objects.count(c.next_handle));
    hNew = c.next_handle;
  }
  o.handle = hNew;
  RmObject& placed = c.objects[hNew] = std::move(o);
  if (parent != nullptr) parent->children.push_back(hNew);
  if (kind == Kind::kEngine) {
    RmObject* ch = object(c, hParent);
    ChannelState& s = *ch->channel->state;
    const bool was = ch->channel->in_engines;
    unschedule(*ch);  // the engines see a channel's fields only while it is off their list
    if (is_compute_class(hClass)) s.compute_class = hClass;
    if (is_copy_class(hClass)) s.copy_class = hClass;
    (void)was;
    schedule(c, *ch);
  }
  if (kind == Kind::kChannel) placed.channel->state->hChannel = hNew;
  return NV_OK;
}

// ---------------------------------------------------------------------------------------------
// NV_ESC_RM_CONTROL (rmapiControl, src/nvidia/src/kernel/rmapi/control.c; resControlLookup,
// src/nvidia/src/libraries/resserv/src/rs_resource.c).

uint32_t Machine::Rm::control(const void* owner, uint32_t hClient, uint32_t hObject, uint32_t cmd,
                              uint64_t params, uint32_t size) {
  Client* cp = client(hClient, owner);
  if (cp == nullptr) return NV_ERR_INVALID_CLIENT;
  Client& c = *cp;
  RmObject* o = hObject == hClient ? nullptr : object(c, hObject);
  if (hObject != hClient && o == nullptr) return NV_ERR_INVALID_OBJECT_HANDLE;
  // NULL params with a size, or a size without params (control.c).
  if ((params == 0) != (size == 0)) return NV_ERR_INVALID_ARGUMENT;
  // The command must be exported by the object's class (cmd bits 31:16 name the class).
  const uint32_t cls = cmd >> 16;
  bool exported = false;
  switch (cls) {
    case 0x0000: exported = o == nullptr; break;
    case 0x0080: exported = o != nullptr && o->kind == Kind::kDevice; break;
    case 0x2080: exported = o != nullptr && o->kind == Kind::kSubdevice; break;
    case 0xA06C: exported = o != nullptr && o->kind == Kind::kTsg; break;
    case 0xA06F:
    case 0xC36F: exported = o != nullptr && o->kind == Kind::kChannel; break;
    default: break;
  }
  const core::IoctlDesc* row = find_versioned(rm_controls(), cmd, abi.branch);
  if (row == nullptr || !exported) {
    if (row == nullptr)
      core::log_warn("sim: nvidia.ko: RM control " + hex(cmd) + " is not simulated");
    return NV_ERR_NOT_SUPPORTED;
  }
  // rs_resource.c: paramsSize must equal the command's params size for this driver.
  if (size != row->size) return NV_ERR_INVALID_PARAM_STRUCT;
  std::vector<uint8_t> buf(size);
  if (!copy_in(buf.data(), params, size)) return NV_ERR_INVALID_ADDRESS;
  uint32_t st = NV_OK;
  SimNvGpu* gpu = o != nullptr ? o->gpu : nullptr;

  auto as = [&]<typename T>(T*) -> T& { return *reinterpret_cast<T*>(buf.data()); };
  switch (cmd) {
    case NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2: {
      auto& p = as((NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS*)nullptr);
      std::memset(&p, 0, sizeof p);
      const std::string& v = machine->driver_version();
      std::snprintf(p.driverVersionBuffer, sizeof p.driverVersionBuffer, "%s", v.c_str());
      std::snprintf(p.versionBuffer, sizeof p.versionBuffer, "%s", v.c_str());
      std::snprintf(p.driverBranch, sizeof p.driverBranch, "rel/gpu_drv/r%u/r%u_00", abi.branch,
                    abi.branch);
      std::snprintf(p.titleBuffer, sizeof p.titleBuffer, "rel/gpu_drv/r%u/r%u_00-sim", abi.branch,
                    abi.branch);
      p.changelistNumber = p.officialChangelistNumber = 36000000 + abi.branch;
      break;
    }
    case NV0000_CTRL_CMD_GPU_GET_ATTACHED_IDS: {
      auto& p = as((NV0000_CTRL_GPU_GET_ATTACHED_IDS_PARAMS*)nullptr);
      std::fill(std::begin(p.gpuIds), std::end(p.gpuIds), NV0000_CTRL_GPU_INVALID_ID);
      size_t i = 0;
      for (const auto& g : machine->gpus())
        if (i < NV0000_CTRL_GPU_MAX_ATTACHED_GPUS) p.gpuIds[i++] = g->gpu_id;
      break;
    }
    case NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2: {
      // gpuGetIdInfoV2 (src/nvidia/src/kernel/rmapi/gpu... ctrl0000gpu.c): unknown gpuId is
      // NV_ERR_INVALID_ARGUMENT.
      auto& p = as((NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS*)nullptr);
      SimNvGpu* g = gpu_by_id(p.gpuId);
      if (g == nullptr) return NV_ERR_INVALID_ARGUMENT;
      p.gpuFlags = 0;
      p.deviceInstance = g->minor;
      p.subDeviceInstance = 0;
      p.sliStatus = 0;
      p.boardId = g->pci_bus << 8;
      p.gpuInstance = g->minor;
      p.numaId = -1;
      break;
    }
    case NV0080_CTRL_CMD_GPU_GET_CLASSLIST: {
      // deviceCtrlCmdGpuGetClasslist (ctrl0080gpu.c): classList NULL asks for the count; a
      // buffer shorter than the list is NV_ERR_INVALID_PARAM_STRUCT.
      auto& p = as((NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS*)nullptr);
      const auto& list = gpu->profile->classes;
      if (p.classList != 0) {
        if (p.numClasses < list.size()) return NV_ERR_INVALID_PARAM_STRUCT;
        if (!copy_out(p.classList, list.data(), list.size() * 4)) return NV_ERR_INVALID_ADDRESS;
      }
      p.numClasses = static_cast<uint32_t>(list.size());
      break;
    }
    case NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2: {
      const auto& list = gpu->profile->classes;
      const uint32_t cap = (size - 4) / 4;
      if (list.size() > cap) return NV_ERR_INSUFFICIENT_RESOURCES;
      const uint32_t n = static_cast<uint32_t>(list.size());
      std::memcpy(buf.data(), &n, 4);
      std::memcpy(buf.data() + 4, list.data(), list.size() * 4);
      break;
    }
    case NV2080_CTRL_CMD_GPU_GET_GID_INFO: {
      // subdeviceCtrlCmdGpuGetGidInfo: index 0 only; FORMAT_BINARY (flags 1:0 = 2) gives the 16
      // raw bytes, ASCII (0) the "GPU-..." string with its NUL.
      auto& p = as((NV2080_CTRL_GPU_GET_GID_INFO_PARAMS*)nullptr);
      if (p.index != 0) return NV_ERR_INVALID_ARGUMENT;
      const uint32_t fmt = p.flags & 3;
      std::memset(p.data, 0, sizeof p.data);
      if (fmt == NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY) {
        std::memcpy(p.data, gpu->uuid, 16);
        p.length = 16;
      } else if (fmt == 0) {
        const uint8_t* u = gpu->uuid;
        const int n = std::snprintf(
            reinterpret_cast<char*>(p.data), sizeof p.data,
            "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
            u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
            u[15]);
        p.length = static_cast<uint32_t>(n + 1);
      } else {
        return NV_ERR_INVALID_ARGUMENT;
      }
      break;
    }
    case NV2080_CTRL_CMD_GR_GET_INFO: {
      // kgraphicsCtrlCmdGrGetInfo (src/nvidia/src/kernel/gpu/gr/kernel_graphics.c): a list
      // of 1..NV2080_CTRL_GR_INFO_MAX_SIZE entries behind a pointer; each index must be known
      // (sim: the five indices the profile models).
      auto& p = as((NV2080_CTRL_GR_GET_INFO_PARAMS*)nullptr);
      constexpr uint32_t kMaxEntries = 0x40;  // NV2080_CTRL_GR_INFO_MAX_SIZE (sim bound)
      if (p.grInfoListSize == 0 || p.grInfoListSize > kMaxEntries || p.grInfoList == 0)
        return NV_ERR_INVALID_ARGUMENT;
      std::vector<NV2080_CTRL_GR_INFO> list(p.grInfoListSize);
      if (!copy_in(list.data(), p.grInfoList, list.size() * sizeof list[0]))
        return NV_ERR_INVALID_ADDRESS;
      const Profile& pr = *gpu->profile;
      for (NV2080_CTRL_GR_INFO& e : list) {
        switch (e.index) {
          case NV2080_CTRL_GR_INFO_INDEX_SM_VERSION: e.data = pr.sm_version; break;
          case NV2080_CTRL_GR_INFO_INDEX_MAX_WARPS_PER_SM: e.data = pr.max_warps_per_sm; break;
          case NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS: e.data = pr.num_gpcs; break;
          case NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC: e.data = pr.tpc_per_gpc; break;
          case NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC: e.data = pr.sm_per_tpc; break;
          default: return NV_ERR_INVALID_ARGUMENT;
        }
      }
      if (!copy_out(p.grInfoList, list.data(), list.size() * sizeof list[0]))
        return NV_ERR_INVALID_ADDRESS;
      break;
    }
    case NV2080_CTRL_CMD_GR_GET_CTX_BUFFER_SIZE: {
      auto& p = as((NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS*)nullptr);
      RmObject* ch = object(c, p.hChannel);
      if (ch == nullptr || (ch->kind != Kind::kChannel && ch->kind != Kind::kTsg))
        return NV_ERR_INVALID_OBJECT_HANDLE;
      p.totalBufferSize = 0x1200000;  // sim: 18 MiB of context buffers, within tinygrad's 64 MiB
      break;
    }
    case NV2080_CTRL_CMD_PERF_BOOST: break;  // accepted; the simulated clocks do not change
    case NV2080_CTRL_CMD_FB_FLUSH_GPU_CACHE: {
      // fbCtrlCmdFlushGpuCache: at most 500 addresses; WRITE_BACK or INVALIDATE must be asked.
      auto& p = as((NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS*)nullptr);
      if (p.addressArraySize > NV2080_CTRL_FB_FLUSH_GPU_CACHE_MAX_ADDRESSES)
        return NV_ERR_INVALID_ARGUMENT;
      if ((p.flags & 0xC) == 0) return NV_ERR_INVALID_ARGUMENT;
      break;
    }
    case NVA06C_CTRL_CMD_GPFIFO_SCHEDULE:
    case NVA06F_CTRL_CMD_GPFIFO_SCHEDULE: {
      // kchangrpapiCtrlCmdGpFifoSchedule / kchannelCtrlCmdGpFifoSchedule: bEnable puts every
      // channel of the TSG on the runlist (the engines), 0 takes them off. A channel that is in
      // a TSG is scheduled through the TSG (NV_ERR_INVALID_OBJECT for the channel control).
      const bool enable = buf[0] != 0;
      if (cls == 0xA06F) {
        RmObject* p = object(c, o->hParent);
        if (p != nullptr && p->kind == Kind::kTsg) return NV_ERR_INVALID_OBJECT;
        o->scheduled = enable;
        if (enable)
          schedule(c, *o);
        else
          unschedule(*o);
        break;
      }
      o->scheduled = enable;
      for (uint32_t k : o->children) {
        RmObject* ch = object(c, k);
        if (ch->kind != Kind::kChannel) continue;
        if (enable)
          schedule(c, *ch);
        else
          unschedule(*ch);
      }
      break;
    }
    case NVA06F_CTRL_CMD_BIND: {
      auto& p = as((NVA06F_CTRL_BIND_PARAMS*)nullptr);
      if (p.engineType == 0) return NV_ERR_INVALID_ARGUMENT;
      break;
    }
    case NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN: {
      auto& p = as((NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS*)nullptr);
      p.workSubmitToken = o->channel->state->work_submit_token;
      break;
    }
    default:
      core::log_warn("sim: nvidia.ko: RM control " + std::string(row->name) + " is not simulated");
      return NV_ERR_NOT_SUPPORTED;
  }
  if (st == NV_OK && !copy_out(params, buf.data(), size)) return NV_ERR_INVALID_ADDRESS;
  return st;
}

// ---------------------------------------------------------------------------------------------
// The files of nvidia.ko: escape dispatch (nvidia_ioctl, kernel-open/nvidia/nv.c; RmIoctl,
// src/nvidia/arch/nvalloc/unix/src/escape.c).

NvFile::~NvFile() {
  std::lock_guard lk(rm_->mu);
  if (ctx.valid) rm_->contexts.erase(ctx.cookie);
  if (is_ctl()) {
    // Closing nvidiactl frees the clients it allocated (nvidia_close -> rm_free_unused_clients).
    std::vector<uint32_t> mine;
    for (const auto& [h, c] : rm_->clients)
      if (c.owner == this) mine.push_back(h);
    for (uint32_t h : mine) rm_->free_client(h);
  }
}

namespace {

// The escape struct size the kernel expects for `nr` on this branch: NV_ESC_RM_ALLOC takes NVOS21
// or NVOS64; array escapes a nonzero multiple of their element.
bool escape_size_ok(const core::IoctlDesc& row, uint32_t nr, uint32_t usize) {
  if (nr == NV_ESC_RM_ALLOC)
    return usize == sizeof(NVOS21_PARAMETERS) || usize == sizeof(NVOS64_PARAMETERS);
  if (row.elem_size != 0) return usize != 0 && usize % row.elem_size == 0;
  return usize == row.size;
}

}  // namespace

int NvFile::ioctl(unsigned long request, void* arg) {
  const uint32_t nr = core::ioc_nr(request);
  const uint32_t usize = core::ioc_size(request);
  // The row of this escape for the driver's branch (THE table, nv_ioctl/describe.h). nvidia.ko
  // does not check the magic; an escape it does not know is -EINVAL (RmIoctl's default).
  const core::IoctlDesc* row = find_versioned(nv_ioctls(), nr, rm_->abi.branch);
  if (row == nullptr || row->encoding != core::IoctlEncoding::kIoc) {
    core::log_warn("sim: nvidia.ko: unknown escape nr " + hex(nr) + " size " +
                   std::to_string(usize) + " rejected with EINVAL");
    return -EINVAL;
  }
  // 595+ nv_validate_ioctls checks every size up front; earlier branches check the same size in
  // each handler (escape.c "dataSize != sizeof(...)"): both are -EINVAL.
  if (!escape_size_ok(*row, nr, usize)) return -EINVAL;
  std::vector<uint8_t> kbuf(usize);
  if (!copy_in(kbuf.data(), reinterpret_cast<uint64_t>(arg), usize)) return -EFAULT;
  const int r = escape(nr, kbuf.data(), usize);
  if (r == -EFAULT || !copy_out(reinterpret_cast<uint64_t>(arg), kbuf.data(), usize))
    return -EFAULT;
  return r;
}

int NvFile::escape(uint32_t nr, uint8_t* a, uint32_t size) {
  Machine::Rm& rm = *rm_;
  Machine& m = *rm.machine;
  // Node restrictions (escape.c NV_CTL_DEVICE_ONLY / NV_ACTUAL_DEVICE_ONLY): -EINVAL.
  const bool ctl_only = nr != NV_ESC_RM_ALLOC_MEMORY && nr != NV_ESC_REGISTER_FD &&
                        nr != NV_ESC_ALLOC_OS_EVENT && nr != NV_ESC_FREE_OS_EVENT;
  if (ctl_only && !is_ctl()) return -EINVAL;
  if (nr == NV_ESC_RM_ALLOC_MEMORY && is_ctl()) return -EINVAL;

  switch (nr) {
    case NV_ESC_CHECK_VERSION_STR: {
      // nv.c / osapi.c rm_perform_version_check: QUERY copies the version out; STRICT compares
      // the whole string, RELAXED up to the first '.'; a mismatch is -EINVAL with the kernel's
      // version written back.
      auto* p = reinterpret_cast<nv_ioctl_rm_api_version_t*>(a);
      const std::string& kv = m.driver_version();
      const std::string user(p->versionString, strnlen(p->versionString, sizeof p->versionString));
      auto give_version = [&] {
        std::memset(p->versionString, 0, sizeof p->versionString);
        std::memcpy(p->versionString, kv.data(), std::min(kv.size(), sizeof p->versionString - 1));
      };
      if (p->cmd == NV_RM_API_VERSION_CMD_QUERY) {
        p->reply = NV_RM_API_VERSION_REPLY_RECOGNIZED;
        give_version();
        return 0;
      }
      bool match = false;
      if (p->cmd == NV_RM_API_VERSION_CMD_RELAXED) {
        match = user.substr(0, user.find('.')) == kv.substr(0, kv.find('.'));
      } else {
        match = user == kv;  // STRICT and any other cmd
      }
      p->reply = NV_RM_API_VERSION_REPLY_RECOGNIZED;
      if (!match) {
        give_version();
        return -EINVAL;
      }
      return 0;
    }
    case NV_ESC_CARD_INFO: {
      // nvidia_ioctl NV_ESC_CARD_INFO: one entry per slot, valid ones first.
      std::memset(a, 0, size);
      auto* cards = reinterpret_cast<nv_ioctl_card_info_t*>(a);
      const size_t n = size / sizeof(nv_ioctl_card_info_t);
      for (size_t i = 0; i < m.gpus().size() && i < n; ++i) {
        const SimNvGpu& g = *m.gpus()[i];
        nv_ioctl_card_info_t& ci = cards[i];
        ci.valid = 1;
        ci.pci_info.domain = 0;
        ci.pci_info.bus = static_cast<uint8_t>(g.pci_bus);
        ci.pci_info.vendor_id = g.profile->pci_vendor;
        ci.pci_info.device_id = g.profile->pci_device;
        ci.gpu_id = g.gpu_id;
        ci.interrupt_line = static_cast<uint16_t>(130 + g.minor);
        ci.reg_address = 0xfa000000ull - (uint64_t{g.minor} << 25);
        ci.reg_size = 16ull << 20;
        ci.fb_address = 0x38000000000ull + (uint64_t{g.minor} << 38);
        ci.fb_size = g.profile->vram_bytes;
        ci.minor_number = g.minor;
        std::snprintf(reinterpret_cast<char*>(ci.dev_name), sizeof ci.dev_name, "nvidia%u",
                      g.minor);
      }
      return 0;
    }
    case NV_ESC_ATTACH_GPUS_TO_FD: {
      // nv.c nvidia_ioctl: once per fd; every nonzero id must name a GPU.
      std::lock_guard lk(rm.mu);
      if (gpus_attached) return -EINVAL;
      const auto* ids = reinterpret_cast<const uint32_t*>(a);
      for (size_t i = 0; i < size / 4; ++i)
        if (ids[i] != 0 && rm.gpu_by_id(ids[i]) == nullptr) return -EINVAL;
      gpus_attached = true;
      return 0;
    }
    case NV_ESC_REGISTER_FD: {
      // nv.c NV_ESC_REGISTER_FD: ctl_fd must be an open nvidiactl fd other than this one; a
      // file registers once. Every failure is -EINVAL (no status field).
      const int ctl_fd = reinterpret_cast<nv_ioctl_register_fd_t*>(a)->ctl_fd;
      std::shared_ptr<DeviceFile> f = m.sys().file(ctl_fd);
      if (!f) return -EINVAL;
      auto* ctl = dynamic_cast<NvFile*>(f.get());
      if (ctl == nullptr || ctl == this || !ctl->is_ctl()) return -EINVAL;
      std::lock_guard lk(rm.mu);
      if (registered) return -EINVAL;
      registered = true;
      registered_ctl = f;
      ctl_identity = ctl;
      return 0;
    }
    case NV_ESC_RM_ALLOC: {
      uint32_t *hRoot, *hParent, *hNew, *hClass, *status;
      uint64_t pParams;
      if (size == sizeof(NVOS64_PARAMETERS)) {
        auto* p = reinterpret_cast<NVOS64_PARAMETERS*>(a);
        hRoot = &p->hRoot, hParent = &p->hObjectParent, hNew = &p->hObjectNew;
        hClass = &p->hClass, status = &p->status, pParams = p->pAllocParms;
      } else {
        auto* p = reinterpret_cast<NVOS21_PARAMETERS*>(a);
        hRoot = &p->hRoot, hParent = &p->hObjectParent, hNew = &p->hObjectNew;
        hClass = &p->hClass, status = &p->status, pParams = p->pAllocParms;
      }
      std::lock_guard lk(rm.mu);
      *status = rm.alloc(this, *hRoot, *hParent, *hNew, *hClass, pParams);
      return 0;
    }
    case NV_ESC_RM_FREE: {
      auto* p = reinterpret_cast<NVOS00_PARAMETERS*>(a);
      std::lock_guard lk(rm.mu);
      p->status = rm.free(this, p->hRoot, p->hObjectOld);
      return 0;
    }
    case NV_ESC_RM_CONTROL: {
      auto* p = reinterpret_cast<NVOS54_PARAMETERS*>(a);
      std::lock_guard lk(rm.mu);
      p->status = rm.control(this, p->hClient, p->hObject, p->cmd, p->params, p->paramsSize);
      return 0;
    }
    case NV_ESC_RM_ALLOC_MEMORY: {
      // RmCreateOsDescriptor (escape.c, src/nvidia/src/kernel/mem_mgr/os_desc_mem.c): on a
      // registered GPU fd (its clients are the control fd's); OS descriptors need
      // LOCATION = PCI (11:8) and MAPPING = NO_MAP (31:30), else NV_ERR_INVALID_FLAGS.
      auto* w = reinterpret_cast<nv_ioctl_nvos02_parameters_with_fd*>(a);
      NVOS02_PARAMETERS& p = w->params;
      std::lock_guard lk(rm.mu);
      Client* c =
          registered && !registered_ctl.expired() ? rm.client(p.hRoot, ctl_identity) : nullptr;
      if (c == nullptr) {
        p.status = NV_ERR_INVALID_CLIENT;
        return 0;
      }
      if (p.hClass != NV01_MEMORY_SYSTEM_OS_DESCRIPTOR) {
        p.status = NV_ERR_INVALID_CLASS;
        return 0;
      }
      if (bits(p.flags, 11, 8) != 0 || bits(p.flags, 31, 30) != 1) {
        p.status = NV_ERR_INVALID_FLAGS;
        return 0;
      }
      RmObject* parent = rm.object(*c, p.hObjectParent);
      if (parent == nullptr || parent->kind != Kind::kDevice || parent->gpu != gpu_) {
        p.status = NV_ERR_INVALID_OBJECT_PARENT;
        return 0;
      }
      if (p.hObjectNew == 0 || c->objects.count(p.hObjectNew) || p.hObjectNew == c->handle) {
        p.status = p.hObjectNew == 0 ? NV_ERR_INVALID_OBJECT_NEW : NV_ERR_INSERT_DUPLICATE_NAME;
        return 0;
      }
      // The pages are pinned (os_lock_user_pages): they must exist.
      const uint64_t size_b = p.limit + 1;
      const uint64_t start = p.pMemory & ~(kRmPage - 1);
      const uint64_t end = (p.pMemory + size_b + kRmPage - 1) & ~(kRmPage - 1);
      uint8_t probe;
      if (p.pMemory == 0 || size_b == 0 || end <= start || !copy_in(&probe, p.pMemory, 1) ||
          !copy_in(&probe, p.pMemory + p.limit, 1)) {
        p.status = NV_ERR_INVALID_ADDRESS;
        return 0;
      }
      RmObject o;
      o.handle = p.hObjectNew;
      o.hClass = p.hClass;
      o.hParent = p.hObjectParent;
      o.kind = Kind::kOsDescriptor;
      o.gpu = gpu_;
      o.bo = Bo::wrap_user(reinterpret_cast<void*>(start), end - start, "nv os descriptor");
      rm.bos.push_back(o.bo);
      o.offset = p.pMemory - start;
      o.size = size_b;
      c->objects[o.handle] = std::move(o);
      parent->children.push_back(p.hObjectNew);
      p.status = NV_OK;
      return 0;
    }
    case NV_ESC_RM_MAP_MEMORY: {
      // RmMapMemory (escape.c) + RmCreateMmapContextLocked (osapi.c): the fd named in the
      // wrapper gets the one mmap context it can hold (NV_ERR_STATE_IN_USE on a second); vidmem
      // and usermode need a GPU node of the same GPU, registered with this control fd (sim: the
      // registration rule tinygrad follows); sysmem either node.
      auto* w = reinterpret_cast<nv_ioctl_nvos33_parameters_with_fd*>(a);
      NVOS33_PARAMETERS& p = w->params;
      std::shared_ptr<DeviceFile> target = m.sys().file(w->fd);
      std::lock_guard lk(rm.mu);
      Client* c = rm.client(p.hClient, this);
      if (c == nullptr) return p.status = NV_ERR_INVALID_CLIENT, 0;
      RmObject* dev = rm.object(*c, p.hDevice);
      if (dev == nullptr || (dev->kind != Kind::kDevice && dev->kind != Kind::kSubdevice))
        return p.status = NV_ERR_INVALID_OBJECT_HANDLE, 0;
      RmObject* mem = rm.object(*c, p.hMemory);
      if (mem == nullptr) return p.status = NV_ERR_INVALID_OBJECT_HANDLE, 0;
      if (mem->kind != Kind::kMemory && mem->kind != Kind::kUsermode)
        return p.status = NV_ERR_INVALID_OBJECT, 0;
      if (mem->gpu != dev->gpu) return p.status = NV_ERR_INVALID_DEVICE, 0;
      if (p.length == 0 || p.offset % kRmPage != 0) return p.status = NV_ERR_INVALID_OFFSET, 0;
      if (p.offset > mem->size || p.length > mem->size - p.offset)
        return p.status = NV_ERR_INVALID_LIMIT, 0;
      auto* f = dynamic_cast<NvFile*>(target.get());
      if (f == nullptr) return p.status = NV_ERR_INVALID_ARGUMENT, 0;
      const bool needs_gpu_node = mem->kind == Kind::kUsermode || mem->vidmem;
      if (needs_gpu_node && (f->is_ctl() || f->gpu() != mem->gpu))
        return p.status = NV_ERR_INVALID_ARGUMENT, 0;
      if (!f->is_ctl() && (!f->registered || f->ctl_identity != this))
        return p.status = NV_ERR_INVALID_ARGUMENT, 0;
      if (f->ctx.valid) return p.status = NV_ERR_STATE_IN_USE, 0;
      f->ctx.valid = true;
      f->ctx.bo = mem->bo;
      f->ctx.offset = mem->offset + p.offset;
      f->ctx.length = p.length;
      f->ctx.cookie = rm.next_cookie += 0x10000000;
      f->ctx.hClient = p.hClient;
      f->ctx.hMemory = p.hMemory;
      rm.contexts[f->ctx.cookie] = f;
      p.pLinearAddress = f->ctx.cookie;
      p.flags &= ~(3u << 23);  // CACHING_TYPE is overwritten with DEFAULT (escape.c)
      p.status = NV_OK;
      return 0;
    }
    case NV_ESC_RM_UNMAP_MEMORY: {
      // RmUnmapMemory: the mapping is named by (hMemory, pLinearAddress). The sim drops an
      // mmap context not yet mmapped; a mapping already made lives until munmap.
      auto* p = reinterpret_cast<NVOS34_PARAMETERS*>(a);
      std::lock_guard lk(rm.mu);
      Client* c = rm.client(p->hClient, this);
      if (c == nullptr) return p->status = NV_ERR_INVALID_CLIENT, 0;
      if (rm.object(*c, p->hMemory) == nullptr) return p->status = NV_ERR_INVALID_OBJECT_HANDLE, 0;
      auto it = rm.contexts.find(p->pLinearAddress);
      if (it == rm.contexts.end() || it->second->ctx.hClient != p->hClient ||
          it->second->ctx.hMemory != p->hMemory)
        return p->status = NV_ERR_INVALID_ARGUMENT, 0;
      it->second->ctx = MmapContext{};
      rm.contexts.erase(it);
      p->status = NV_OK;
      return 0;
    }
    case NV_ESC_RM_MAP_MEMORY_DMA:
    case NV_ESC_RM_UNMAP_MEMORY_DMA: {
      // RmMapMemoryDma / dmaAllocMap (src/nvidia/src/kernel/mem_mgr/virt_mem_mgr.c,
      // dma.c): hDma an NV01_MEMORY_VIRTUAL, hMemory a memory object; the range inside the
      // memory; DMA_OFFSET_FIXED (15) takes a page-aligned dmaOffset inside the virtual
      // object's range.
      std::lock_guard lk(rm.mu);
      if (nr == NV_ESC_RM_UNMAP_MEMORY_DMA) {
        auto* p = reinterpret_cast<NVOS47_PARAMETERS*>(a);
        Client* c = rm.client(p->hClient, this);
        if (c == nullptr) return p->status = NV_ERR_INVALID_CLIENT, 0;
        if (rm.object(*c, p->hDma) == nullptr || rm.object(*c, p->hMemory) == nullptr)
          return p->status = NV_ERR_INVALID_OBJECT_HANDLE, 0;
        auto it = std::find_if(rm.dma.begin(), rm.dma.end(), [&](const DmaMapping& d) {
          return d.hClient == p->hClient && d.hDma == p->hDma && d.hMemory == p->hMemory &&
                 d.va == p->dmaOffset;
        });
        if (it == rm.dma.end() || (p->size != 0 && p->size != it->size))
          return p->status = NV_ERR_INVALID_ARGUMENT, 0;
        (void)it->vm->unmap(it->va);
        rm.dma.erase(it);
        p->status = NV_OK;
        return 0;
      }
      NVOS46_PARAMETERS_V580 p{};
      if (rm.abi.map_memory_dma_v580) {
        std::memcpy(&p, a, sizeof p);
      } else {
        NVOS46_PARAMETERS q;
        std::memcpy(&q, a, sizeof q);
        p.hClient = q.hClient, p.hDevice = q.hDevice, p.hDma = q.hDma, p.hMemory = q.hMemory;
        p.offset = q.offset, p.length = q.length, p.flags = q.flags, p.dmaOffset = q.dmaOffset;
      }
      auto finish = [&](uint32_t st) {
        p.status = st;
        if (rm.abi.map_memory_dma_v580) {
          std::memcpy(a, &p, sizeof p);
        } else {
          auto* q = reinterpret_cast<NVOS46_PARAMETERS*>(a);
          q->dmaOffset = p.dmaOffset;
          q->status = st;
        }
        return 0;
      };
      Client* c = rm.client(p.hClient, this);
      if (c == nullptr) return finish(NV_ERR_INVALID_CLIENT);
      RmObject* virt = rm.object(*c, p.hDma);
      RmObject* mem = rm.object(*c, p.hMemory);
      if (virt == nullptr || virt->kind != Kind::kVirtual || mem == nullptr)
        return finish(NV_ERR_INVALID_OBJECT_HANDLE);
      if (mem->kind != Kind::kMemory && mem->kind != Kind::kOsDescriptor)
        return finish(NV_ERR_INVALID_OBJECT);
      if (p.kindOverride != 0 && !(p.flags & (1u << 19))) return finish(NV_ERR_INVALID_ARGUMENT);
      if (p.offset % kRmPage != 0) return finish(NV_ERR_INVALID_OFFSET);
      const uint64_t len = p.length != 0 ? p.length : mem->size - std::min(mem->size, p.offset);
      if (len == 0 || p.offset > mem->size || len > mem->size - p.offset)
        return finish(NV_ERR_INVALID_LIMIT);
      const uint64_t len_pages = (len + kRmPage - 1) & ~(kRmPage - 1);
      uint64_t va = p.dmaOffset;
      if (p.flags & NVOS46_FLAGS_DMA_OFFSET_FIXED_TRUE) {
        if (va % kRmPage != 0) return finish(NV_ERR_INVALID_OFFSET);
        if (va < virt->va_lo || va > virt->va_hi || len_pages - 1 > virt->va_hi - va)
          return finish(NV_ERR_INVALID_LIMIT);
      } else {
        uint64_t& next = rm.next_dma_va[mem->gpu];
        if (next == 0 || next < virt->va_lo)
          next = std::max<uint64_t>(virt->va_lo, 0x4000000000ull);  // sim: RM's allocator
        va = (next + 0x1fffff) & ~uint64_t{0x1fffff};
        next = va + len_pages;
      }
      const uint32_t perms =
          (p.flags & 3) == 1 ? kRead : ((p.flags & 3) == 2 ? kWrite : kRead | kWrite);
      core::Status s =
          virt->vm->map(va, mem->bo, mem->offset + p.offset, len_pages, perms | kExecute);
      if (!s.ok()) return finish(NV_ERR_INVALID_OFFSET);  // sim choice: VA already in use
      rm.dma.push_back(DmaMapping{p.hClient, p.hDma, p.hMemory, va, len, virt->vm});
      p.dmaOffset = va;
      return finish(NV_OK);
    }
    case NV_ESC_ALLOC_OS_EVENT:
    case NV_ESC_FREE_OS_EVENT: {
      // OS events (nv.c): accepted for a client/device pair the caller owns; the sim never
      // signals the fd (NV01_EVENT_OS_EVENT objects are not simulated).
      auto* p = reinterpret_cast<nv_ioctl_alloc_os_event_t*>(a);
      std::lock_guard lk(rm.mu);
      const void* owner = is_ctl() ? static_cast<const void*>(this) : ctl_identity;
      Client* c = rm.client(p->hClient, owner);
      p->Status =
          c == nullptr
              ? NV_ERR_INVALID_CLIENT
              : (rm.object(*c, p->hDevice) == nullptr ? NV_ERR_INVALID_OBJECT_HANDLE : NV_OK);
      return 0;
    }
    default:
      core::log_warn("sim: nvidia.ko: escape " + hex(nr) + " is not simulated (EINVAL)");
      return -EINVAL;
  }
}

// nvidia_mmap (kernel-open/nvidia/nv-mmap.c): the fd's mmap context, offset 0; on a GPU node the
// length must be the mapped length (-ENXIO), on nvidiactl it may not exceed it (-EINVAL).
core::MapResult NvFile::mmap(void* addr, size_t len, int prot, int flags, int64_t offset) {
  std::shared_ptr<Bo> bo;
  uint64_t off = 0;
  {
    std::lock_guard lk(rm_->mu);
    if (!ctx.valid) return {nullptr, EINVAL};
    if (offset != 0) return {nullptr, EINVAL};
    if (is_ctl() ? len > ctx.length : len != ctx.length)
      return {nullptr, is_ctl() ? EINVAL : ENXIO};
    if (!(flags & MAP_SHARED)) return {nullptr, EINVAL};
    bo = ctx.bo;
    off = ctx.offset;
  }
  if (bo->is_user()) return {nullptr, ENODEV};
  return bo->map_into(addr, len, prot, flags, off);
}

// ---------------------------------------------------------------------------------------------
// Nodes.

namespace {

class NvNode final : public DeviceNode {
 public:
  NvNode(std::shared_ptr<Machine::Rm> rm, SimNvGpu* gpu) : rm_(std::move(rm)), gpu_(gpu) {}
  std::shared_ptr<DeviceFile> open(int flags, int& err) override {
    if ((flags & O_ACCMODE) != O_RDWR) {
      err = EACCES;  // sim: rawgpu opens every node O_RDWR
      return nullptr;
    }
    return std::make_shared<NvFile>(rm_, gpu_);
  }

 private:
  std::shared_ptr<Machine::Rm> rm_;
  SimNvGpu* gpu_;
};

class UvmNode final : public DeviceNode {
 public:
  explicit UvmNode(std::shared_ptr<Machine::Rm> rm) : rm_(std::move(rm)) {}
  std::shared_ptr<DeviceFile> open(int, int&) override { return open_uvm_file(rm_); }

 private:
  std::shared_ptr<Machine::Rm> rm_;
};

}  // namespace

std::shared_ptr<DeviceNode> make_ctl_node(std::shared_ptr<Machine::Rm> rm) {
  return std::make_shared<NvNode>(std::move(rm), nullptr);
}
std::shared_ptr<DeviceNode> make_gpu_node(std::shared_ptr<Machine::Rm> rm, SimNvGpu* gpu) {
  return std::make_shared<NvNode>(std::move(rm), gpu);
}
std::shared_ptr<DeviceNode> make_uvm_node(std::shared_ptr<Machine::Rm> rm) {
  return std::make_shared<UvmNode>(std::move(rm));
}

}  // namespace rawgpu::sim::nv

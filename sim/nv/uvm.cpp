// The virtual nvidia-uvm.ko: one UVM VA space per /dev/nvidia-uvm fd, the GPUs and GPU VA spaces
// registered in it, external ranges and the external mappings rawgpu makes into the GPU page
// tables (the FERMI_VASPACE_A page tables RM handed over with IS_EXTERNALLY_OWNED). Rules and
// status codes follow kernel-open/nvidia-uvm (uvm.c, uvm_api.h, uvm_va_space.c,
// uvm_map_external.c, uvm_va_range.c, uvm_channel... of NVIDIA/open-gpu-kernel-modules) and
// shared/abi/nvidia.md §2; the ioctl returns 0 and the result is rmStatus, as UVM does.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "nv_ioctl/describe.h"
#include "sim/nv/rm.h"

namespace rawgpu::sim::nv {

using namespace rawgpu::nv;

namespace {

constexpr uint64_t kUvmMaxVa = 1ull << 57;

class UvmFile final : public DeviceFile {
 public:
  explicit UvmFile(std::shared_ptr<Machine::Rm> rm) : rm_(std::move(rm)) {}
  ~UvmFile() override {
    std::lock_guard lk(rm_->mu);
    for (auto& [b, r] : ranges_) unmap_all(r, nullptr);
  }
  int ioctl(unsigned long request, void* arg) override;

 private:
  struct Mapping {
    SimNvGpu* gpu = nullptr;
    uint64_t va = 0, size = 0;
    std::shared_ptr<PageTable> vm;
    std::shared_ptr<Bo> bo;  // UVM's own reference on the RM memory (uvm.h)
  };
  struct Range {
    uint64_t base = 0, length = 0;
    bool channel = false;  // UVM_REGISTER_CHANNEL's range, not an external range
    uint32_t hClient = 0, hChannel = 0;
    std::vector<Mapping> maps;
  };
  struct GpuReg {
    std::shared_ptr<PageTable> vm;  // the registered GPU VA space (null until then)
  };

  uint32_t dispatch(uint32_t cmd, uint8_t* a);
  void unmap_all(Range& r, const SimNvGpu* gpu) {
    std::erase_if(r.maps, [&](Mapping& m) {
      if (gpu != nullptr && m.gpu != gpu) return false;
      (void)m.vm->unmap(m.va);
      return true;
    });
  }
  // The range [base, base+len) lies in, if one external range holds all of it.
  Range* covering(uint64_t base, uint64_t len) {
    auto it = ranges_.upper_bound(base);
    if (it == ranges_.begin()) return nullptr;
    --it;
    Range& r = it->second;
    if (r.channel || base - r.base > r.length || len > r.length - (base - r.base)) return nullptr;
    return &r;
  }
  bool overlaps(uint64_t base, uint64_t len) const {
    auto it = ranges_.lower_bound(base);
    if (it != ranges_.end() && it->first < base + len) return true;
    if (it != ranges_.begin()) {
      --it;
      if (it->first + it->second.length > base) return true;
    }
    return false;
  }
  // rmCtrlFd + hClient -> the RM client, as UVM's RM calls see it (a client of that nvidiactl).
  Client* rm_client(int fd, uint32_t hClient, uint32_t* status);

  std::shared_ptr<Machine::Rm> rm_;
  bool initialized_ = false;
  uint64_t init_flags_ = 0;
  bool mm_fd_ = false;
  std::map<SimNvGpu*, GpuReg> gpus_;
  std::map<uint64_t, Range> ranges_;
};

Client* UvmFile::rm_client(int fd, uint32_t hClient, uint32_t* status) {
  // Called with rm_->mu held; SimSys::file takes only the SimSys lock.
  std::shared_ptr<DeviceFile> f = rm_->machine->sys().file(fd);
  auto* ctl = dynamic_cast<NvFile*>(f.get());
  if (ctl == nullptr || !ctl->is_ctl()) {
    *status = NV_ERR_INVALID_ARGUMENT;
    return nullptr;
  }
  Client* c = rm_->client(hClient, ctl);
  if (c == nullptr) *status = NV_ERR_INVALID_CLIENT;
  return c;
}

int UvmFile::ioctl(unsigned long request, void* arg) {
  // uvm_unlocked_ioctl (uvm.c): the number alone selects the handler; an unknown one is -EINVAL.
  // The row for this driver's branch gives the size UVM copies in and out (THE table).
  const core::IoctlDesc* row =
      find_versioned(nv_ioctls(), static_cast<uint32_t>(request), rm_->abi.branch);
  if (request > 0xFFFFFFFFul || row == nullptr || row->encoding != core::IoctlEncoding::kRaw) {
    core::log_warn("sim: nvidia-uvm.ko: unknown ioctl " + std::to_string(request) +
                   " rejected with EINVAL");
    return -EINVAL;
  }
  if (request == UVM_DEINITIALIZE) return 0;  // no params; the VA space goes with the fd
  std::vector<uint8_t> buf(row->size + 8);
  if (!copy_in(buf.data(), reinterpret_cast<uint64_t>(arg), row->size)) return -EFAULT;
  uint32_t status;
  {
    std::lock_guard lk(rm_->mu);
    status = dispatch(static_cast<uint32_t>(request), buf.data());
  }
  // rmStatus is the last 4-byte field that the row names rmStatus.
  for (const core::ArgField& f : row->fields)
    if (f.name == "rmStatus") std::memcpy(buf.data() + f.offset, &status, 4);
  if (!copy_out(reinterpret_cast<uint64_t>(arg), buf.data(), row->size)) return -EFAULT;
  return 0;
}

uint32_t UvmFile::dispatch(uint32_t cmd, uint8_t* a) {
  Machine::Rm& rm = *rm_;
  const auto gpu_reg = [&](const NvProcessorUuid& u, bool need_vaspace,
                           uint32_t* st) -> std::pair<SimNvGpu*, GpuReg*> {
    SimNvGpu* g = rm.gpu_by_uuid(u.uuid);
    auto it = g != nullptr ? gpus_.find(g) : gpus_.end();
    if (it == gpus_.end() || (need_vaspace && !it->second.vm)) {
      *st = NV_ERR_INVALID_DEVICE;  // uvm_va_space_get_gpu_by_uuid*: not registered here
      return {nullptr, nullptr};
    }
    return {g, &it->second};
  };

  if (cmd == UVM_INITIALIZE) {
    // uvm_api_initialize: known flags only; a second call must repeat the flags.
    auto* p = reinterpret_cast<UVM_INITIALIZE_PARAMS*>(a);
    if (p->flags & ~(UVM_INIT_FLAGS_DISABLE_HMM | UVM_INIT_FLAGS_MULTI_PROCESS_SHARING_MODE))
      return NV_ERR_INVALID_ARGUMENT;
    if (mm_fd_) return NV_ERR_INVALID_STATE;
    if (initialized_) return p->flags == init_flags_ ? NV_OK : NV_ERR_INVALID_ARGUMENT;
    initialized_ = true;
    init_flags_ = p->flags;
    return NV_OK;
  }
  if (cmd == UVM_MM_INITIALIZE) {
    // uvm_api_mm_initialize: on a second, uninitialized fd naming an initialized UVM fd;
    // repeating it, or naming itself, is NV_ERR_IN_USE.
    auto* p = reinterpret_cast<UVM_MM_INITIALIZE_PARAMS*>(a);
    if (initialized_ || mm_fd_) return NV_ERR_IN_USE;
    std::shared_ptr<DeviceFile> f = rm.machine->sys().file(p->uvmFd);
    auto* other = dynamic_cast<UvmFile*>(f.get());
    if (other == this) return NV_ERR_IN_USE;
    if (other == nullptr || !other->initialized_) return NV_ERR_INVALID_ARGUMENT;
    mm_fd_ = true;
    return NV_OK;
  }
  // Every other ioctl needs UVM_INITIALIZE on this fd first (uvm.c: NV_ERR_ILLEGAL_ACTION).
  if (!initialized_) return NV_ERR_ILLEGAL_ACTION;

  uint32_t st = NV_OK;
  switch (cmd) {
    case UVM_REGISTER_GPU: {
      // uvm_api_register_gpu / uvm_va_space_register_gpu: the UUID must name a GPU; twice is
      // NV_ERR_IN_USE.
      auto* p = reinterpret_cast<UVM_REGISTER_GPU_PARAMS*>(a);
      SimNvGpu* g = rm.gpu_by_uuid(p->gpu_uuid.uuid);
      if (g == nullptr) return NV_ERR_GPU_UUID_NOT_FOUND;
      if (gpus_.count(g)) return NV_ERR_IN_USE;
      gpus_[g] = GpuReg{};
      p->numaEnabled = 0;
      p->numaNodeId = -1;
      return NV_OK;
    }
    case UVM_UNREGISTER_GPU: {
      auto* p = reinterpret_cast<UVM_UNREGISTER_GPU_PARAMS*>(a);
      auto [g, reg] = gpu_reg(p->gpu_uuid, false, &st);
      if (g == nullptr) return st;
      for (auto& [b, r] : ranges_) unmap_all(r, g);
      std::erase_if(ranges_, [](const auto& kv) { return kv.second.channel; });
      gpus_.erase(g);
      return NV_OK;
    }
    case UVM_REGISTER_GPU_VASPACE: {
      // uvm_api_register_gpu_va_space: the GPU registered, one VA space per GPU; the RM object
      // (rmCtrlFd, hClient, hVaSpace) is a FERMI_VASPACE_A of that GPU created
      // IS_EXTERNALLY_OWNED (nvGpuOpsDupAddressSpace, src/nvidia/src/kernel/rmapi/nv_gpu_ops.c).
      auto* p = reinterpret_cast<UVM_REGISTER_GPU_VASPACE_PARAMS*>(a);
      auto [g, reg] = gpu_reg(p->gpuUuid, false, &st);
      if (g == nullptr) return st;
      if (reg->vm) return NV_ERR_INVALID_DEVICE;
      Client* c = rm_client(p->rmCtrlFd, p->hClient, &st);
      if (c == nullptr) return st;
      RmObject* v = rm.object(*c, p->hVaSpace);
      if (v == nullptr) return NV_ERR_OBJECT_NOT_FOUND;
      if (v->kind != Kind::kVaSpace || v->gpu != g) return NV_ERR_INVALID_ARGUMENT;
      if (!(v->va_flags & NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED))
        return NV_ERR_INVALID_ARGUMENT;
      reg->vm = v->vm;
      return NV_OK;
    }
    case UVM_UNREGISTER_GPU_VASPACE: {
      auto* p = reinterpret_cast<UVM_UNREGISTER_GPU_VASPACE_PARAMS*>(a);
      auto [g, reg] = gpu_reg(p->gpuUuid, true, &st);
      if (g == nullptr) return st;
      for (auto& [b, r] : ranges_) unmap_all(r, g);
      reg->vm.reset();
      return NV_OK;
    }
    case UVM_REGISTER_CHANNEL: {
      // uvm_api_register_channel (uvm_va_space.c / uvm_user_channel.c): the GPU and its VA
      // space registered; the channel's VA space is that one; base/length page aligned,
      // nonzero, clear of every other range.
      auto* p = reinterpret_cast<UVM_REGISTER_CHANNEL_PARAMS*>(a);
      auto [g, reg] = gpu_reg(p->gpuUuid, true, &st);
      if (g == nullptr) return st;
      if (p->base % kRmPage || p->length % kRmPage || p->length == 0 || p->base >= kUvmMaxVa ||
          p->length > kUvmMaxVa - p->base)
        return NV_ERR_INVALID_ADDRESS;
      Client* c = rm_client(p->rmCtrlFd, p->hClient, &st);
      if (c == nullptr) return st;
      RmObject* ch = rm.object(*c, p->hChannel);
      if (ch == nullptr) return NV_ERR_OBJECT_NOT_FOUND;
      if (ch->kind != Kind::kChannel || ch->gpu != g) return NV_ERR_INVALID_CHANNEL;
      if (ch->channel->state->vm != reg->vm) return NV_ERR_INVALID_CHANNEL;
      for (const auto& [b, r] : ranges_)
        if (r.channel && r.hClient == p->hClient && r.hChannel == p->hChannel)
          return NV_ERR_INVALID_CHANNEL;
      if (overlaps(p->base, p->length)) return NV_ERR_UVM_ADDRESS_IN_USE;
      Range r;
      r.base = p->base;
      r.length = p->length;
      r.channel = true;
      r.hClient = p->hClient;
      r.hChannel = p->hChannel;
      ranges_[r.base] = std::move(r);
      return NV_OK;
    }
    case UVM_UNREGISTER_CHANNEL: {
      uint32_t hClient, hChannel;
      if (rm.abi.uvm_unregister_channel_v590) {
        auto* p = reinterpret_cast<UVM_UNREGISTER_CHANNEL_PARAMS_V590*>(a);
        hClient = p->hClient, hChannel = p->hChannel;
      } else {
        auto* p = reinterpret_cast<UVM_UNREGISTER_CHANNEL_PARAMS*>(a);
        auto [g, reg] = gpu_reg(p->gpuUuid, false, &st);
        if (g == nullptr) return st;
        hClient = p->hClient, hChannel = p->hChannel;
      }
      for (auto it = ranges_.begin(); it != ranges_.end(); ++it) {
        if (it->second.channel && it->second.hClient == hClient &&
            it->second.hChannel == hChannel) {
          ranges_.erase(it);
          return NV_OK;
        }
      }
      return NV_ERR_INVALID_CHANNEL;
    }
    case UVM_ENABLE_PEER_ACCESS:
    case UVM_DISABLE_PEER_ACCESS: {
      // uvm_api_enable_peer_access: both GPUs registered and distinct; the simulated GPUs have
      // no peer link (NV_ERR_NOT_SUPPORTED, what UVM says without P2P).
      auto* p = reinterpret_cast<UVM_ENABLE_PEER_ACCESS_PARAMS*>(a);
      auto [ga, ra] = gpu_reg(p->gpuUuidA, false, &st);
      if (ga == nullptr) return st;
      auto [gb, rb] = gpu_reg(p->gpuUuidB, false, &st);
      if (gb == nullptr) return st;
      if (ga == gb) return NV_ERR_INVALID_DEVICE;
      return NV_ERR_NOT_SUPPORTED;
    }
    case UVM_CREATE_EXTERNAL_RANGE: {
      // uvm_api_create_external_range (uvm_map_external.c): page-aligned, nonzero, no overlap
      // with another range (NV_ERR_UVM_ADDRESS_IN_USE). No CPU mapping is made.
      auto* p = reinterpret_cast<UVM_CREATE_EXTERNAL_RANGE_PARAMS*>(a);
      if (p->base % kRmPage || p->length % kRmPage || p->length == 0 || p->base >= kUvmMaxVa ||
          p->length > kUvmMaxVa - p->base)
        return NV_ERR_INVALID_ADDRESS;
      if (overlaps(p->base, p->length)) return NV_ERR_UVM_ADDRESS_IN_USE;
      Range r;
      r.base = p->base;
      r.length = p->length;
      ranges_[r.base] = std::move(r);
      return NV_OK;
    }
    case UVM_MAP_EXTERNAL_ALLOCATION: {
      // uvm_api_map_external_allocation (uvm_map_external.c): page-aligned base/length/offset
      // inside one external range; 1..256 GPUs, each registered with a VA space; the RM memory
      // (rmCtrlFd, hClient, hMemory) must hold [offset, offset+length); the GPU's existing
      // mappings in the range are replaced; UVM keeps its own reference on the memory.
      auto* p = reinterpret_cast<UVM_MAP_EXTERNAL_ALLOCATION_PARAMS*>(a);
      if (p->base % kRmPage || p->length % kRmPage || p->offset % kRmPage || p->length == 0)
        return NV_ERR_INVALID_ADDRESS;
      Range* r = covering(p->base, p->length);
      if (r == nullptr) return NV_ERR_INVALID_ADDRESS;
      if (p->gpuAttributesCount == 0 || p->gpuAttributesCount > UVM_MAX_GPUS_V2)
        return NV_ERR_INVALID_ARGUMENT;
      std::vector<std::pair<SimNvGpu*, uint32_t>> targets;
      for (uint64_t i = 0; i < p->gpuAttributesCount; ++i) {
        const UvmGpuMappingAttributes& at = p->perGpuAttributes[i];
        auto [g, reg] = gpu_reg(at.gpuUuid, true, &st);
        if (g == nullptr) return st;
        if (at.gpuMappingType > UvmGpuMappingTypeReadOnly) return NV_ERR_INVALID_ARGUMENT;
        if (at.gpuCachingType > 2 || at.gpuFormatType != 0 || at.gpuElementBits != 0 ||
            at.gpuCompressionType > 1)
          return NV_ERR_INVALID_ARGUMENT;
        targets.emplace_back(g, at.gpuMappingType);
      }
      Client* c = rm_client(p->rmCtrlFd, p->hClient, &st);
      if (c == nullptr) return st;
      RmObject* mem = rm.object(*c, p->hMemory);
      if (mem == nullptr) return NV_ERR_OBJECT_NOT_FOUND;
      if (mem->kind != Kind::kMemory && mem->kind != Kind::kOsDescriptor)
        return NV_ERR_INVALID_ARGUMENT;
      if (p->offset > mem->size || p->length > mem->size - p->offset)
        return NV_ERR_INVALID_LIMIT;  // sim choice for "past the allocation's end"
      for (const auto& [g, type] : targets) {
        // Vidmem of another GPU needs a peer mapping: not simulated.
        if (mem->vidmem && mem->gpu != g) return NV_ERR_NOT_SUPPORTED;
      }
      for (const auto& [g, type] : targets) {
        GpuReg& reg = gpus_[g];
        // Replace whatever this GPU has mapped in [base, base+length).
        std::erase_if(r->maps, [&](Mapping& m) {
          if (m.gpu != g || m.va + m.size <= p->base || m.va >= p->base + p->length) return false;
          (void)m.vm->unmap(m.va);
          return true;
        });
        const uint32_t perms =
            type == UvmGpuMappingTypeReadOnly ? kRead | kExecute : kRead | kWrite | kExecute;
        core::Status s = reg.vm->map(p->base, mem->bo, mem->offset + p->offset, p->length, perms);
        if (!s.ok()) return NV_ERR_UVM_ADDRESS_IN_USE;  // the VA holds an RM-made mapping
        r->maps.push_back(Mapping{g, p->base, p->length, reg.vm, mem->bo});
      }
      return NV_OK;
    }
    case UVM_UNMAP_EXTERNAL: {
      // uvm_api_unmap_external: inside one external range; the GPU registered. The sim removes
      // whole mappings only (a partial unmap of one mapping is refused: NV_ERR_INVALID_ADDRESS).
      auto* p = reinterpret_cast<UVM_UNMAP_EXTERNAL_PARAMS*>(a);
      if (p->base % kRmPage || p->length % kRmPage || p->length == 0) return NV_ERR_INVALID_ADDRESS;
      Range* r = covering(p->base, p->length);
      if (r == nullptr) return NV_ERR_INVALID_ADDRESS;
      auto [g, reg] = gpu_reg(p->gpuUuid, true, &st);
      if (g == nullptr) return st;
      for (const Mapping& m : r->maps)
        if (m.gpu == g && m.va < p->base + p->length && m.va + m.size > p->base &&
            (m.va < p->base || m.va + m.size > p->base + p->length))
          return NV_ERR_INVALID_ADDRESS;
      std::erase_if(r->maps, [&](Mapping& m) {
        if (m.gpu != g || m.va < p->base || m.va + m.size > p->base + p->length) return false;
        (void)m.vm->unmap(m.va);
        return true;
      });
      return NV_OK;
    }
    case UVM_FREE: {
      // uvm_api_free (uvm_va_space.c): base must start a range (channel ranges go with
      // UVM_UNREGISTER_CHANNEL); its mappings are removed. The ≤580 layout's length is not
      // checked by UVM.
      const uint64_t base = reinterpret_cast<const UVM_FREE_PARAMS_V590*>(a)->base;
      auto it = ranges_.find(base);
      if (it == ranges_.end() || it->second.channel) return NV_ERR_INVALID_ADDRESS;
      unmap_all(it->second, nullptr);
      ranges_.erase(it);
      return NV_OK;
    }
    default:
      core::log_warn("sim: nvidia-uvm.ko: " + std::string(rm_control_name(cmd)) + " ioctl " +
                     std::to_string(cmd) + " is not simulated");
      return NV_ERR_NOT_SUPPORTED;
  }
}

}  // namespace

std::shared_ptr<DeviceFile> open_uvm_file(std::shared_ptr<Machine::Rm> rm) {
  return std::make_shared<UvmFile>(std::move(rm));
}

}  // namespace rawgpu::sim::nv

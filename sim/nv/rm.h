// rawgpu — private state of the simulated NVIDIA kernel drivers, shared by sim/nv/rm.cpp (the
// virtual nvidia.ko: escapes, the RM object model, controls, mmap contexts) and sim/nv/uvm.cpp
// (the virtual nvidia-uvm.ko). Not part of the simulator's public interface (machine.h is).
//
// Locking: one mutex (Rm::mu) guards every RM and UVM table. The engines never take it: they
// reach RM only through ChannelRecord (the ChannelSink), which touches its own fields, the
// notifier memory and Machine::log().
#pragma once

#include <sys/uio.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nv_ioctl/abi.h"
#include "nv_ioctl/classes.h"
#include "nv_ioctl/ioctl.h"
#include "nv_ioctl/status.h"
#include "sim/nv/machine.h"

namespace rawgpu::sim::nv {

inline constexpr uint64_t kRmPage = 4096;

// copy_from_user / copy_to_user: a user pointer is never trusted (a bad one is EFAULT for the
// escape struct, NV_ERR_INVALID_ADDRESS for params RM copies itself).
inline bool copy_in(void* dst, uint64_t src, size_t n) {
  if (n == 0) return true;
  if (src == 0) return false;
  iovec local{dst, n}, remote{reinterpret_cast<void*>(src), n};
  return ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n);
}
inline bool copy_out(uint64_t dst, const void* src, size_t n) {
  if (n == 0) return true;
  if (dst == 0) return false;
  iovec local{const_cast<void*>(src), n}, remote{reinterpret_cast<void*>(dst), n};
  return ::process_vm_writev(::getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n);
}

enum class Kind : uint8_t {
  kDevice,
  kSubdevice,
  kUsermode,
  kMemory,        // NV01_MEMORY_LOCAL_USER, NV01_MEMORY_SYSTEM
  kOsDescriptor,  // NV01_MEMORY_SYSTEM_OS_DESCRIPTOR (NV_ESC_RM_ALLOC_MEMORY)
  kVirtual,       // NV01_MEMORY_VIRTUAL
  kVaSpace,       // FERMI_VASPACE_A
  kTsg,           // KEPLER_CHANNEL_GROUP_A
  kCtxShare,      // FERMI_CONTEXT_SHARE_A
  kChannel,       // *_CHANNEL_GPFIFO_*
  kEngine,        // compute / copy object on a channel
  kDebugger,      // GT200_DEBUGGER
};

// The ChannelSink of one channel: what the engines report lands here.
class ChannelRecord final : public ChannelSink {
 public:
  ChannelRecord(Machine* m, SimNvGpu* gpu) : machine_(m), gpu_(gpu) {}
  void on_nonstall_interrupt(ChannelState& ch) override;
  void on_channel_error(ChannelState& ch, uint32_t xid, const std::string& what) override;

  std::shared_ptr<ChannelState> state = std::make_shared<ChannelState>();
  std::shared_ptr<Bo> notifier;  // hObjectError's memory (NvNotification array)
  uint64_t notifier_offset = 0;  // where that memory starts inside the Bo
  uint64_t notifier_size = 0;
  bool in_engines = false;  // engines->add() done (Rm::mu)
  uint64_t nonstall = 0;    // on_nonstall_interrupt count (engine thread only)

 private:
  Machine* machine_;
  SimNvGpu* gpu_;
};

struct RmObject {
  uint32_t handle = 0;
  uint32_t hClass = 0;
  uint32_t hParent = 0;  // 0: the client
  Kind kind{};
  SimNvGpu* gpu = nullptr;
  std::vector<uint32_t> children;  // allocation order
  // Memory and usermode: the backing object; `offset` into it (OS descriptors: the page offset).
  std::shared_ptr<Bo> bo;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t page_size = kRmPage;
  bool vidmem = false;
  // Device: its default VA space. VA space: its page table. Virtual memory: the VA space it
  // allocates from ([va_lo, va_hi]).
  std::shared_ptr<PageTable> vm;
  uint64_t va_lo = 0, va_hi = 0;
  uint32_t va_flags = 0;
  uint32_t hVaSpace = 0;  // ctxshare/TSG: the FERMI_VASPACE_A it names (0: device default)
  // TSG
  uint32_t engine_type = 0;
  bool scheduled = false;
  // Channel
  std::shared_ptr<ChannelRecord> channel;
  uint32_t hCtxShare = 0;
  uint32_t chid = 0;
};

struct Client {
  uint32_t handle = 0;
  const void* owner = nullptr;  // the nvidiactl file that allocated it
  std::map<uint32_t, RmObject> objects;
  uint32_t next_handle = 0xcaf00000;  // RM-generated resource handles (rs_client.c)
};

// An mmap context, created on an fd by NV_ESC_RM_MAP_MEMORY (nv-mmap.c: one per fd).
struct MmapContext {
  bool valid = false;
  std::shared_ptr<Bo> bo;
  uint64_t offset = 0;  // into bo
  uint64_t length = 0;
  uint64_t cookie = 0;  // pLinearAddress
  uint32_t hClient = 0, hMemory = 0;
};

// Base of every nvidia.ko file (nvidiactl and nvidia<minor>).
class NvFile : public DeviceFile {
 public:
  NvFile(std::shared_ptr<Machine::Rm> rm, SimNvGpu* gpu) : rm_(std::move(rm)), gpu_(gpu) {}
  ~NvFile() override;
  int ioctl(unsigned long request, void* arg) override;
  core::MapResult mmap(void* addr, size_t len, int prot, int flags, int64_t offset) override;

  bool is_ctl() const { return gpu_ == nullptr; }
  SimNvGpu* gpu() const { return gpu_; }
  // Rm::mu guards these.
  MmapContext ctx;
  std::weak_ptr<DeviceFile> registered_ctl;  // NV_ESC_REGISTER_FD (GPU files)
  const void* ctl_identity = nullptr;
  bool registered = false;
  bool gpus_attached = false;  // NV_ESC_ATTACH_GPUS_TO_FD (ctl files)

 private:
  int escape(uint32_t nr, uint8_t* a, uint32_t size);
  std::shared_ptr<Machine::Rm> rm_;
  SimNvGpu* gpu_;
};

struct DmaMapping {
  uint32_t hClient = 0, hDma = 0, hMemory = 0;
  uint64_t va = 0, size = 0;
  std::shared_ptr<PageTable> vm;
};

struct Machine::Rm {
  Rm(Machine* m, rawgpu::nv::NvAbi a);

  Machine* machine;
  rawgpu::nv::NvAbi abi;
  std::mutex mu;
  std::map<uint32_t, Client> clients;
  uint32_t next_client = 0xc1d00000;  // RM-generated client handles (rs_server.c)
  std::vector<DmaMapping> dma;
  std::vector<std::weak_ptr<Bo>> bos;  // every Bo RM created (leak checks)
  std::map<const SimNvGpu*, std::vector<bool>> chids;
  uint64_t next_cookie = 0x7e0000000000ull;
  std::map<const SimNvGpu*, uint64_t> next_phys;  // fake physical addresses (alloc `address`)
  std::map<const SimNvGpu*, uint64_t> next_dma_va;
  std::map<uint64_t, NvFile*> contexts;  // live mmap contexts by pLinearAddress cookie

  // All below: the caller holds mu.
  size_t object_count() const;
  Client* client(uint32_t h, const void* owner);
  RmObject* object(Client& c, uint32_t h);
  SimNvGpu* gpu_by_id(uint32_t gpu_id) const;
  SimNvGpu* gpu_by_uuid(const uint8_t* uuid) const;
  // The page table a ctxshare/TSG/channel runs in.
  std::shared_ptr<PageTable> vaspace_of(Client& c, uint32_t hDevice, uint32_t hVaSpace);
  uint32_t device_of(Client& c, uint32_t h);  // the device above h (0 if none)
  std::shared_ptr<Bo> new_bo(uint64_t size, const std::string& label, uint32_t* status);

  uint32_t alloc(const void* owner, uint32_t hRoot, uint32_t hParent, uint32_t& hNew,
                 uint32_t hClass, uint64_t pParams);
  uint32_t free(const void* owner, uint32_t hRoot, uint32_t hObject);
  void free_object(Client& c, uint32_t h);
  void free_client(uint32_t h);
  uint32_t control(const void* owner, uint32_t hClient, uint32_t hObject, uint32_t cmd,
                   uint64_t params, uint32_t size);
  void schedule(Client& c, RmObject& ch);  // engines->add() once it has an engine object
  void unschedule(RmObject& ch);
};

// Lets the file classes and machine.cpp name Machine's private pieces.
struct RmAccess {
  using Rm = Machine::Rm;
  static std::shared_ptr<Rm>& rm(Machine& m) { return m.rm_; }
};

// The UVM node's file (uvm.cpp).
std::shared_ptr<DeviceFile> open_uvm_file(std::shared_ptr<Machine::Rm> rm);
// The nodes machine.cpp registers: /dev/nvidiactl, /dev/nvidia<minor>, /dev/nvidia-uvm.
std::shared_ptr<DeviceNode> make_ctl_node(std::shared_ptr<Machine::Rm> rm);
std::shared_ptr<DeviceNode> make_gpu_node(std::shared_ptr<Machine::Rm> rm, SimNvGpu* gpu);
std::shared_ptr<DeviceNode> make_uvm_node(std::shared_ptr<Machine::Rm> rm);

// Class families (fact sheet §3.7).
bool is_usermode_class(uint32_t c);
bool is_gpfifo_class(uint32_t c);
bool is_compute_class(uint32_t c);
bool is_copy_class(uint32_t c);
bool gpu_has_class(const SimNvGpu& g, uint32_t c);

}  // namespace rawgpu::sim::nv

// rawgpu — the compute-dispatch API (DESIGN.md, queues/): Device, Buffer, Program, Signal,
// ComputeQueue, CopyQueue. One neutral interface; each backend (kfd/, nv_ioctl/, qcom_kgsl/)
// implements it in its device.* files and the registry (devices/) picks one at open.
//
//   auto dev = rawgpu::open("sim-amd:0").value();
//   auto buf = dev->alloc(n * 4, MemoryKind::kDevice).value();
//   auto prog = dev->load(code_object_bytes, "saxpy").value();
//   auto q = dev->create_compute_queue().value();
//   auto done = dev->create_signal().value();
//   KernelArgs args; args.ptr(*x).ptr(*y).f32(2.0f).u32(n);
//   q->exec(*prog, args, {n / 256}, {256});
//   q->signal(*done, 1);
//   q->submit();
//   done->wait(1, std::chrono::seconds(5));     // a clear error, never a hang
//
// Lifetimes: every object a Device hands out must be destroyed before the Device.
// Threads: a Device is thread-safe; one queue is used by one thread at a time; Signals may be
// waited on from any thread.
// Hot path: exec/copy/signal/wait/timestamp/barrier + submit allocate nothing, take no lock and
// make no system call on KFD and NVIDIA (ring writes and a doorbell store).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/device_name.h"
#include "core/error.h"

namespace rawgpu::queues {

struct DeviceProperties {
  core::DeviceName name;       // what it was opened as
  std::string backend;         // "kfd", "nv", "kgsl"
  std::string arch;            // "gfx1100", "sm_90", "a630"
  std::string marketing_name;  // "NVIDIA H200"; "" when unknown
  uint64_t memory_bytes = 0;   // device-local memory
  uint32_t compute_units = 0;  // CUs / SMs / SPs
  uint32_t simd_width = 0;     // wave/warp size
  uint32_t max_clock_mhz = 0;
  uint64_t timestamp_hz = 0;   // frequency of the clock that timestamps count
  bool simulated = false;
};

enum class MemoryKind : uint8_t {
  kDevice,        // device-local (VRAM); no CPU mapping
  kDeviceMapped,  // device-local and CPU-mapped (large BAR); cpu_ptr() is valid
  kHost,          // system memory, CPU-mapped, GPU-visible and coherent (GTT / sysmem)
};
const char* memory_kind_name(MemoryKind k);

class Buffer {
 public:
  virtual ~Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  uint64_t gpu_addr() const { return gpu_addr_; }
  uint64_t size() const { return size_; }
  // The CPU mapping, or nullptr when the memory is not CPU-visible.
  void* cpu_ptr() const { return cpu_ptr_; }
  MemoryKind kind() const { return kind_; }

 protected:
  Buffer(uint64_t gpu_addr, uint64_t size, void* cpu_ptr, MemoryKind kind)
      : gpu_addr_(gpu_addr), size_(size), cpu_ptr_(cpu_ptr), kind_(kind) {}

 private:
  uint64_t gpu_addr_;
  uint64_t size_;
  void* cpu_ptr_;
  MemoryKind kind_;
};

struct KernelArgInfo {
  enum class Kind : uint8_t { kPointer, kValue, kHidden };
  std::string name;
  uint32_t offset = 0;
  uint32_t size = 0;
  Kind kind = Kind::kValue;
};

struct ProgramInfo {
  std::string name;                 // kernel name
  std::string arch;                 // target it was built for
  uint32_t explicit_args_size = 0;  // bytes of the arguments the caller supplies
  uint32_t kernarg_size = 0;        // bytes of the whole kernarg segment (incl. hidden args)
  uint32_t kernarg_align = 16;
  uint32_t group_segment_size = 0;  // static LDS / shared memory per block
  uint32_t private_segment_size = 0;  // scratch per work-item
  uint32_t max_block_size = 1024;
  std::vector<KernelArgInfo> args;  // explicit args first, then hidden ones
};

class Program {
 public:
  virtual ~Program() = default;
  Program() = default;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  virtual const ProgramInfo& info() const = 0;
};

// Kernel arguments packed like a C struct (each value at its natural alignment), in a fixed
// buffer: building them allocates nothing.
class KernelArgs {
 public:
  static constexpr uint32_t kCapacity = 4096;

  template <typename T>
  KernelArgs& add(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const uint32_t a = alignof(T);
    uint32_t off = (size_ + a - 1) & ~(a - 1);
    if (off + sizeof(T) > kCapacity) {
      overflow_ = true;
      return *this;
    }
    std::memcpy(data_ + off, &v, sizeof(T));
    size_ = off + static_cast<uint32_t>(sizeof(T));
    return *this;
  }
  KernelArgs& ptr(const Buffer& b, uint64_t offset = 0) { return add(b.gpu_addr() + offset); }
  KernelArgs& u32(uint32_t v) { return add(v); }
  KernelArgs& i32(int32_t v) { return add(v); }
  KernelArgs& u64(uint64_t v) { return add(v); }
  KernelArgs& f32(float v) { return add(v); }
  KernelArgs& f64(double v) { return add(v); }

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  uint32_t size() const { return size_; }
  bool overflowed() const { return overflow_; }
  void clear() {
    size_ = 0;
    overflow_ = false;
  }

 private:
  alignas(16) uint8_t data_[kCapacity];
  uint32_t size_ = 0;
  bool overflow_ = false;
};

struct Dim3 {
  uint32_t x = 1, y = 1, z = 1;
  uint64_t count() const { return uint64_t{x} * y * z; }
};

// A 64-bit timeline value (and a timestamp) in GPU-visible memory.
class Signal {
 public:
  virtual ~Signal() = default;
  Signal() = default;
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  virtual uint64_t value() const = 0;
  // Writes the value from the CPU (releases GPU waits on it).
  virtual void set(uint64_t value) = 0;
  // The last GPU timestamp written by Queue::timestamp, in nanoseconds of the device clock.
  virtual uint64_t timestamp_ns() const = 0;
  // Waits until value() >= target. Spins briefly, then sleeps in the driver. Past `timeout`, a
  // kTimeout error naming the queue that was to signal it, its read/write pointers and the
  // decoded packets around its read pointer; a GPU fault seen meanwhile ends the wait with a
  // kGpuFault error naming the address.
  virtual core::Status wait(uint64_t target, std::chrono::milliseconds timeout) = 0;
  virtual uint64_t gpu_addr() const = 0;
};

// Commands are recorded on the CPU and handed to the GPU by submit(). Enqueue calls fail only
// for bad arguments or a full ring (then with an error that says so; submit and retry).
class Queue {
 public:
  virtual ~Queue() = default;
  Queue() = default;
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // When all earlier work of this queue is done, write `value` into the signal.
  virtual core::Status signal(Signal& s, uint64_t value) = 0;
  // Later work of this queue waits until the signal is >= value (GPU-side wait).
  virtual core::Status wait(Signal& s, uint64_t value) = 0;
  // When earlier work is done, write the GPU clock into the signal's timestamp.
  virtual core::Status timestamp(Signal& s) = 0;
  // Later work starts only after earlier work finished and its memory writes are visible.
  virtual core::Status barrier() = 0;
  // Hands everything enqueued since the last submit to the GPU.
  virtual core::Status submit() = 0;
  virtual const std::string& name() const = 0;
  // Human-readable state for error messages: read/write pointers and packets near the read
  // pointer, decoded.
  virtual std::string describe() const = 0;
};

class ComputeQueue : public Queue {
 public:
  // Runs `program` over `grid` blocks of `block` threads with `args` (the explicit arguments,
  // laid out as Program::info().args says; hidden arguments are added by the backend).
  virtual core::Status exec(const Program& program, const KernelArgs& args, Dim3 grid,
                            Dim3 block) = 0;
};

class CopyQueue : public Queue {
 public:
  // Copies n bytes; any alignment and size (split into packets as the engine requires).
  virtual core::Status copy(const Buffer& dst, uint64_t dst_offset, const Buffer& src,
                            uint64_t src_offset, uint64_t n) = 0;
};

struct QueueOptions {
  // Backend-specific queue format: AMD "pm4" (default) or "aql"; others accept "" only.
  std::string_view format;
  uint32_t ring_bytes = 0;  // 0 = the backend's default
};

class Device {
 public:
  virtual ~Device() = default;
  Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  virtual const DeviceProperties& properties() const = 0;

  virtual core::Result<std::unique_ptr<Buffer>> alloc(uint64_t size, MemoryKind kind) = 0;
  // Makes existing, page-aligned host memory GPU-visible (pinned user pages).
  virtual core::Result<std::unique_ptr<Buffer>> map_host(void* ptr, uint64_t size) = 0;
  // Loads `kernel` from a code object for this device (AMDHSA ELF, cubin, Adreno binary, or a
  // simulator code object in the same container). A code object for another target is refused.
  virtual core::Result<std::unique_ptr<Program>> load(std::span<const uint8_t> code_object,
                                                      std::string_view kernel) = 0;
  virtual core::Result<std::unique_ptr<ComputeQueue>> create_compute_queue(
      const QueueOptions& options = {}) = 0;
  virtual core::Result<std::unique_ptr<CopyQueue>> create_copy_queue(
      const QueueOptions& options = {}) = 0;
  virtual core::Result<std::unique_ptr<Signal>> create_signal(uint64_t initial = 0) = 0;
};

}  // namespace rawgpu::queues

// rawgpu — simulated GPU memory: buffer objects in host shared memory, and a GPU page table.
//
// A Bo is a memfd: the simulator keeps its own mapping (data()), and the process maps the same
// pages wherever the driver's mmap puts them, so CPU and simulated GPU share memory exactly as a
// real BAR/GTT mapping does. USERPTR objects wrap the process's own pages instead.
// A PageTable maps GPU virtual ranges onto Bos; an access that no mapping covers, or that the
// mapping forbids, is a GPU page fault, reported to the caller for the driver to deliver.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include "core/error.h"
#include "core/sys.h"

namespace rawgpu::sim {

class Bo {
 public:
  // A zero-filled object of `size` bytes (rounded up to 4 KiB). ENOMEM when the host refuses.
  static core::Result<std::shared_ptr<Bo>> create(uint64_t size, std::string label);
  // An object over existing process memory (pinned user pages); no memfd.
  static std::shared_ptr<Bo> wrap_user(void* ptr, uint64_t size, std::string label);
  ~Bo();
  Bo(const Bo&) = delete;
  Bo& operator=(const Bo&) = delete;

  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& label() const { return label_; }
  bool is_user() const { return memfd_ < 0; }

  // Maps [offset, offset+len) of the object into the process (the driver's mmap). EINVAL when
  // the range is outside the object; USERPTR objects cannot be mapped (ENODEV).
  core::MapResult map_into(void* addr, size_t len, int prot, int flags, uint64_t offset) const;

 private:
  Bo() = default;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  int memfd_ = -1;
  std::string label_;
};

enum Access : uint32_t { kRead = 1, kWrite = 2, kExecute = 4 };

struct GpuFault {
  uint64_t va = 0;
  uint32_t access = 0;      // the Access bits of the faulting access
  bool not_present = false; // no mapping
  bool read_only = false;   // write to a read-only mapping
  bool no_execute = false;  // fetch from a non-executable mapping
};

class PageTable {
 public:
  static constexpr uint64_t kPage = 4096;

  // Maps [va, va+size) onto bo[offset, offset+size) with `perms` (Access bits). EINVAL for
  // misaligned or out-of-object ranges; EEXIST when any page is already mapped.
  core::Status map(uint64_t va, std::shared_ptr<Bo> bo, uint64_t offset, uint64_t size,
                   uint32_t perms);
  // Removes the mapping that starts at va. EINVAL when none starts there.
  core::Status unmap(uint64_t va);
  // The mapping's object if [va, va+size) is exactly one mapping (KFD's queue-buffer checks).
  std::shared_ptr<Bo> exact(uint64_t va, uint64_t size) const;
  // True if some mapping uses `bo`.
  bool maps(const Bo* bo) const;

  // Host pointer for [va, va+len) if one mapping covers it with `access`; else nullptr and
  // `fault` says why. Never throws; safe from any thread.
  uint8_t* translate(uint64_t va, uint64_t len, uint32_t access, GpuFault* fault) const;

  size_t mappings() const;

 private:
  struct Mapping {
    uint64_t size;
    std::shared_ptr<Bo> bo;
    uint64_t offset;
    uint32_t perms;
  };
  mutable std::shared_mutex mu_;
  std::map<uint64_t, Mapping> map_;  // by start VA
};

}  // namespace rawgpu::sim

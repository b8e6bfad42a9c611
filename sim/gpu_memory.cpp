#include "sim/gpu_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace rawgpu::sim {

core::Result<std::shared_ptr<Bo>> Bo::create(uint64_t size, std::string label) {
  const std::string op = "sim: allocate " + label;
  if (size == 0) return core::Error::sys(op, EINVAL, "size 0");
  size = (size + 4095) & ~uint64_t{4095};
  int fd = ::memfd_create(label.c_str(), MFD_CLOEXEC);
  if (fd < 0) return core::Error::sys(op, errno, "memfd_create failed");
  if (::ftruncate(fd, static_cast<off_t>(size)) < 0) {
    int e = errno;
    ::close(fd);
    return core::Error::sys(op, e == EFBIG || e == EINVAL ? ENOMEM : e, "host memory refused");
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    ::close(fd);
    return core::Error::sys(op, e, "host mmap of GPU memory failed");
  }
  std::shared_ptr<Bo> bo(new Bo());
  bo->data_ = static_cast<uint8_t*>(p);
  bo->size_ = size;
  bo->memfd_ = fd;
  bo->label_ = std::move(label);
  return bo;
}

std::shared_ptr<Bo> Bo::wrap_user(void* ptr, uint64_t size, std::string label) {
  std::shared_ptr<Bo> bo(new Bo());
  bo->data_ = static_cast<uint8_t*>(ptr);
  bo->size_ = size;
  bo->label_ = std::move(label);
  return bo;
}

Bo::~Bo() {
  if (memfd_ >= 0) {
    ::munmap(data_, size_);
    ::close(memfd_);
  }
}

core::MapResult Bo::map_into(void* addr, size_t len, int prot, int flags, uint64_t offset) const {
  if (memfd_ < 0) return {nullptr, ENODEV};
  if (offset % 4096 || offset > size_ || len > size_ - offset) return {nullptr, EINVAL};
  void* p = ::mmap(addr, len, prot, flags, memfd_, static_cast<off_t>(offset));
  if (p == MAP_FAILED) return {nullptr, errno};
  return {p, 0};
}

core::Status PageTable::map(uint64_t va, std::shared_ptr<Bo> bo, uint64_t offset, uint64_t size,
                            uint32_t perms) {
  const std::string op = "sim: GPU map of " + (bo ? bo->label() : std::string("?"));
  if (!bo || size == 0 || va % kPage || offset % kPage || offset > bo->size() ||
      size > bo->size() - offset || va + size < va)
    return core::Error::sys(op, EINVAL, "bad range");
  size = (size + kPage - 1) & ~(kPage - 1);
  std::unique_lock lk(mu_);
  auto next = map_.lower_bound(va);
  if (next != map_.end() && next->first < va + size) return core::Error::sys(op, EEXIST);
  if (next != map_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.size > va) return core::Error::sys(op, EEXIST);
  }
  map_.emplace(va, Mapping{size, std::move(bo), offset, perms});
  return {};
}

core::Status PageTable::unmap(uint64_t va) {
  std::unique_lock lk(mu_);
  auto it = map_.find(va);
  if (it == map_.end()) return core::Error::sys("sim: GPU unmap", EINVAL, "no mapping starts here");
  map_.erase(it);
  return {};
}

std::shared_ptr<Bo> PageTable::exact(uint64_t va, uint64_t size) const {
  std::shared_lock lk(mu_);
  auto it = map_.find(va);
  if (it == map_.end() || it->second.size != ((size + kPage - 1) & ~(kPage - 1))) return nullptr;
  return it->second.bo;
}

bool PageTable::maps(const Bo* bo) const {
  std::shared_lock lk(mu_);
  for (const auto& [va, m] : map_)
    if (m.bo.get() == bo) return true;
  return false;
}

uint8_t* PageTable::translate(uint64_t va, uint64_t len, uint32_t access, GpuFault* fault) const {
  std::shared_lock lk(mu_);
  auto it = map_.upper_bound(va);
  GpuFault f{.va = va, .access = access};
  if (it == map_.begin()) {
    f.not_present = true;
  } else {
    --it;
    const Mapping& m = it->second;
    const uint64_t off = va - it->first;
    if (off >= m.size || len > m.size - off) {
      f.not_present = true;
      if (off < m.size) f.va = it->first + m.size;  // the first byte past the mapping
    } else if ((access & kWrite) && !(m.perms & kWrite)) {
      f.read_only = true;
    } else if ((access & kExecute) && !(m.perms & kExecute)) {
      f.no_execute = true;
    } else {
      return m.bo->data() + m.offset + off;
    }
  }
  if (fault) *fault = f;
  return nullptr;
}

size_t PageTable::mappings() const {
  std::shared_lock lk(mu_);
  return map_.size();
}

}  // namespace rawgpu::sim

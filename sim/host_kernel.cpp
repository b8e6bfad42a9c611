#include "sim/host_kernel.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "kfd/hsaco.h"

namespace rawgpu::sim {
namespace {

// Host objects loaded from simulator code objects, process-wide, keyed by (hash, size) of the
// shared object. They stay loaded until the process exits (kernels may be dispatched again).
struct HostObjects {
  std::mutex mu;
  std::map<std::pair<uint64_t, uint32_t>, void*> handles;
};
HostObjects& host_objects() {
  static HostObjects* h = new HostObjects;  // never destroyed: engine threads may outlive statics
  return *h;
}

}  // namespace

core::Result<void*> load_host_object(const uint8_t* so, uint32_t so_size, uint64_t hash) {
  HostObjects& h = host_objects();
  std::lock_guard lk(h.mu);
  auto it = h.handles.find({hash, so_size});
  if (it != h.handles.end()) return it->second;
  if (kfd::sim_hash(so, so_size) != hash) {
    return core::Error::invalid("sim kernel blob",
                                "the host object's hash does not match its "
                                "header (corrupted code object in GPU memory)");
  }
  const int fd = ::memfd_create("rawgpu-sim-kernels", MFD_CLOEXEC);
  if (fd < 0) return core::Error::sys("memfd_create", errno, "cannot stage a sim kernel object");
  for (uint32_t done = 0; done < so_size;) {
    const ssize_t n = ::write(fd, so + done, so_size - done);
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      ::close(fd);
      return core::Error::sys("write memfd", e, "cannot stage a sim kernel object");
    }
    done += static_cast<uint32_t>(n);
  }
  char path[48];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  void* handle = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  const char* why = handle ? nullptr : ::dlerror();
  ::close(fd);  // the loader keeps its own mapping
  if (!handle) {
    return core::Error::invalid("dlopen of a sim kernel object",
                                why ? why : "dlopen failed without a message");
  }
  h.handles.emplace(std::make_pair(hash, so_size), handle);
  return handle;
}

core::Result<rg_sim_kernel_fn> host_kernel_function(void* handle, const std::string& symbol) {
  void* fn = ::dlsym(handle, symbol.c_str());
  if (!fn) {
    const char* why = ::dlerror();
    return core::Error::invalid("dlsym " + symbol, why ? why : "not found");
  }
  rg_sim_kernel_fn kfn;
  static_assert(sizeof kfn == sizeof fn);
  std::memcpy(&kfn, &fn, sizeof kfn);
  return kfn;
}

void* kernel_mem(void* ctx, uint64_t va, uint64_t bytes, uint32_t access) {
  auto* k = static_cast<KernelCtx*>(ctx);
  uint32_t a = 0;
  if (access & RG_READ) a |= kRead;
  if (access & RG_WRITE) a |= kWrite;
  GpuFault f;
  uint8_t* p = k->vm->translate(va, bytes, a == 0 ? kRead : a, &f);
  if (!p && !k->faulted) {
    k->faulted = true;
    k->fault = f;
  }
  return p;
}

std::string describe_gpu_fault(const GpuFault& f) {
  char b[40];
  std::snprintf(b, sizeof b, "0x%" PRIx64, f.va);
  std::string s = std::string("GPU page fault at ") + b + " (";
  s += (f.access & kExecute) ? "execute" : (f.access & kWrite) ? "write" : "read";
  s += f.not_present  ? ", not present)"
       : f.read_only  ? ", read-only)"
       : f.no_execute ? ", no-execute)"
                      : ")";
  return s;
}

}  // namespace rawgpu::sim

// rawgpu — the Sys seam: the one interface through which rawgpu talks to the kernel.
//
// All code opens device nodes, issues ioctls, maps and unmaps memory and reads sysfs/procfs
// through a Sys. Implementations:
//   host_sys()   libc; restarts ioctl on EINTR/EAGAIN like libdrm's drmIoctl
//   FaultSys     decorator: fails the Nth matching call with a chosen errno, or every matching
//                call with probability p from a seed (deterministic)
//   RecordSys    decorator: records every call (tests)
//   the simulator (sim/) implements the virtual drivers behind the same interface.
//
// Conventions (kernel style, no thread-local errno): calls that return int give a non-negative
// result or -errno. mmap gives {addr, 0} or {nullptr, errno}. File reads give Result<>.
// A wait ioctl with a timeout that is restarted after EINTR is the caller's business: the
// wrapper recomputes the remaining time (see kfd/ioctl.*), Sys only restarts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rawgpu::core {

enum class SysOp : uint8_t { kOpen, kClose, kIoctl, kMmap, kMunmap, kReadFile, kListDir, kReadLink };
const char* sys_op_name(SysOp op);

struct MapResult {
  void* addr = nullptr;
  int err = 0;  // errno when addr == nullptr
};

class Sys {
 public:
  virtual ~Sys() = default;

  // open(2). Returns fd >= 0 or -errno.
  virtual int open(const char* path, int flags, unsigned mode = 0) = 0;
  // close(2). Returns 0 or -errno.
  virtual int close(int fd) = 0;
  // ioctl(2). Returns the non-negative result or -errno. Restarted on EINTR/EAGAIN.
  virtual int ioctl(int fd, unsigned long request, void* arg) = 0;
  // ioctl(2) issued once: EINTR comes back to the caller, so that a wait with a timeout can
  // restart with the time that is left (STYLE rule 8). Default: ioctl().
  virtual int ioctl_once(int fd, unsigned long request, void* arg) { return ioctl(fd, request, arg); }
  // mmap(2). fd may be -1 for anonymous mappings.
  virtual MapResult mmap(void* addr, size_t len, int prot, int flags, int fd, int64_t offset) = 0;
  // munmap(2). Returns 0 or -errno.
  virtual int munmap(void* addr, size_t len) = 0;

  // Whole contents of a small file (sysfs, procfs); fails with EFBIG past max_bytes.
  virtual Result<std::string> read_file(const std::string& path, size_t max_bytes = 1u << 20) = 0;
  // Entry names of a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) = 0;
  // Target of a symbolic link (sysfs "driver" links).
  virtual Result<std::string> read_link(const std::string& path) = 0;

  // A short name for logs: "host", "sim", "fault(host)".
  virtual std::string name() const = 0;
};

// The process-wide libc implementation.
Sys& host_sys();

// Whether librawgpu_sim.so (tools/preload, the simulated drivers for any program) is loaded into
// this process: then the host's device nodes and driver files are the simulator's, and the real
// device names (amd:0, nv:0, qcom:0) run simulated kernels. Looks up the library's exported
// marker symbol once.
bool sim_preloaded();

// Reads a sysfs/procfs file and strips trailing whitespace.
Result<std::string> read_trimmed(Sys& sys, const std::string& path);
// Parses a file of "key value" lines (KFD topology properties) into pairs, in order.
// Lines that are not two fields with a decimal/hex unsigned value are an error naming the line.
Result<std::vector<std::pair<std::string, uint64_t>>> parse_key_values(std::string_view text,
                                                                       const std::string& what);

// ---------------------------------------------------------------------------------------------
// FaultSys: a decorator that injects failures. A rule matches a call by operation and, when set,
// ioctl request and/or a substring of the path. Thread-safe.
struct FaultRule {
  SysOp op = SysOp::kIoctl;
  std::optional<unsigned long> request;  // ioctl request number to match (kIoctl only)
  std::string path_contains;             // substring of the path (open/read calls); "" = any
  uint64_t nth = 1;                      // fail the Nth matching call (1-based) ...
  bool and_after = false;                // ... and every matching call after it
  int err = EIO;                         // errno to fail with
};

class FaultSys final : public Sys {
 public:
  explicit FaultSys(Sys& inner) : inner_(inner) {}

  // Adds a rule; returns its index.
  size_t add(FaultRule rule);
  // Fails each call of `op` (any op when unset) with probability p, from a fixed seed.
  void fail_randomly(double p, uint64_t seed, int err, std::optional<SysOp> op = std::nullopt);
  void clear();
  // Number of failures injected so far.
  uint64_t injected() const;

  int open(const char* path, int flags, unsigned mode) override;
  int close(int fd) override;
  int ioctl(int fd, unsigned long request, void* arg) override;
  int ioctl_once(int fd, unsigned long request, void* arg) override;
  MapResult mmap(void* addr, size_t len, int prot, int flags, int fd, int64_t offset) override;
  int munmap(void* addr, size_t len) override;
  Result<std::string> read_file(const std::string& path, size_t max_bytes) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) override;
  Result<std::string> read_link(const std::string& path) override;
  std::string name() const override { return "fault(" + inner_.name() + ")"; }

 private:
  // Returns the errno to inject for this call, or 0 to pass it through.
  int decide(SysOp op, unsigned long request, std::string_view path);

  struct Rule {
    FaultRule r;
    uint64_t seen = 0;
  };
  Sys& inner_;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  double p_ = 0;
  uint64_t rng_ = 0;
  int random_err_ = 0;
  std::optional<SysOp> random_op_;
  uint64_t injected_ = 0;
};

// ---------------------------------------------------------------------------------------------
// RecordSys: a decorator that records every call, for tests. ioctl argument bytes are copied
// before and after the call when the request encodes a direction and size (_IOC_DIR/_IOC_SIZE);
// raw request numbers (NVIDIA UVM) are recorded without them. Thread-safe.
struct SysCall {
  SysOp op;
  std::string path;  // open/read calls
  int fd = -1;
  unsigned long request = 0;
  int64_t result = 0;  // fd, ioctl result or -errno; 0/-errno for the rest
  std::vector<uint8_t> arg_in, arg_out;
  uint64_t len = 0;  // mmap/munmap length
};

class RecordSys final : public Sys {
 public:
  explicit RecordSys(Sys& inner) : inner_(inner) {}
  std::vector<SysCall> calls() const;
  void clear();

  int open(const char* path, int flags, unsigned mode) override;
  int close(int fd) override;
  int ioctl(int fd, unsigned long request, void* arg) override;
  int ioctl_once(int fd, unsigned long request, void* arg) override;
  MapResult mmap(void* addr, size_t len, int prot, int flags, int fd, int64_t offset) override;
  int munmap(void* addr, size_t len) override;
  Result<std::string> read_file(const std::string& path, size_t max_bytes) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) override;
  Result<std::string> read_link(const std::string& path) override;
  std::string name() const override { return "record(" + inner_.name() + ")"; }

 private:
  int record_ioctl(int fd, unsigned long request, void* arg, bool once);

 public:

 private:
  void push(SysCall c);
  Sys& inner_;
  mutable std::mutex mu_;
  std::vector<SysCall> calls_;
};

}  // namespace rawgpu::core

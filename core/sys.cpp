#include "core/sys.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace rawgpu::core {

const char* sys_op_name(SysOp op) {
  switch (op) {
    case SysOp::kOpen: return "open";
    case SysOp::kClose: return "close";
    case SysOp::kIoctl: return "ioctl";
    case SysOp::kMmap: return "mmap";
    case SysOp::kMunmap: return "munmap";
    case SysOp::kReadFile: return "read";
    case SysOp::kListDir: return "readdir";
    case SysOp::kReadLink: return "readlink";
  }
  return "?";
}

namespace {

class HostSys final : public Sys {
 public:
  int open(const char* path, int flags, unsigned mode) override {
    int fd;
    do {
      fd = ::open(path, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
  }
  int close(int fd) override { return ::close(fd) < 0 ? -errno : 0; }
  int ioctl(int fd, unsigned long request, void* arg) override {
    int r;
    do {
      r = ::ioctl(fd, request, arg);
    } while (r == -1 && (errno == EINTR || errno == EAGAIN));
    return r < 0 ? -errno : r;
  }
  int ioctl_once(int fd, unsigned long request, void* arg) override {
    const int r = ::ioctl(fd, request, arg);
    return r < 0 ? -errno : r;
  }
  MapResult mmap(void* addr, size_t len, int prot, int flags, int fd, int64_t offset) override {
    void* p = ::mmap(addr, len, prot, flags, fd, static_cast<off_t>(offset));
    if (p == MAP_FAILED) return {nullptr, errno};
    return {p, 0};
  }
  int munmap(void* addr, size_t len) override { return ::munmap(addr, len) < 0 ? -errno : 0; }

  Result<std::string> read_file(const std::string& path, size_t max_bytes) override {
    int fd = open(path.c_str(), O_RDONLY, 0);
    if (fd < 0) return Error::sys("read " + path, -fd);
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd);
        return Error::sys("read " + path, e);
      }
      if (n == 0) break;
      if (out.size() + static_cast<size_t>(n) > max_bytes) {
        ::close(fd);
        return Error::sys("read " + path, EFBIG, "file is larger than expected");
      }
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }
  Result<std::vector<std::string>> list_dir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (!d) return Error::sys("readdir " + path, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      names.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }
  Result<std::string> read_link(const std::string& path) override {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) return Error::sys("readlink " + path, errno);
    if (static_cast<size_t>(n) >= sizeof buf) return Error::sys("readlink " + path, ENAMETOOLONG);
    return std::string(buf, static_cast<size_t>(n));
  }
  std::string name() const override { return "host"; }
};

}  // namespace

Sys& host_sys() {
  static HostSys s;
  return s;
}

bool sim_preloaded() {
  // tools/preload/preload.cpp exports this symbol; RTLD_DEFAULT searches every loaded object.
  static const bool loaded = ::dlsym(RTLD_DEFAULT, "rawgpu_sim_preload_marker") != nullptr;
  return loaded;
}

Result<std::string> read_trimmed(Sys& sys, const std::string& path) {
  auto r = sys.read_file(path);
  if (!r) return std::move(r).error();
  std::string s = std::move(r).value();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\0'))
    s.pop_back();
  return s;
}

Result<std::vector<std::pair<std::string, uint64_t>>> parse_key_values(std::string_view text,
                                                                       const std::string& what) {
  std::vector<std::pair<std::string, uint64_t>> out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0)
      return Error::invalid(what, "line " + std::to_string(line_no) + " is not 'key value': '" +
                                      std::string(line) + "'");
    std::string_view key = line.substr(0, sp);
    std::string_view val = line.substr(sp + 1);
    while (!val.empty() && val.front() == ' ') val.remove_prefix(1);
    int base = 10;
    if (val.size() > 2 && val[0] == '0' && (val[1] == 'x' || val[1] == 'X')) {
      val.remove_prefix(2);
      base = 16;
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), v, base);
    if (ec != std::errc{} || p != val.data() + val.size() || val.empty())
      return Error::invalid(what, "line " + std::to_string(line_no) + ": value of '" +
                                      std::string(key) + "' is not an unsigned number");
    out.emplace_back(std::string(key), v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
size_t FaultSys::add(FaultRule rule) {
  std::lock_guard lk(mu_);
  rules_.push_back({std::move(rule), 0});
  return rules_.size() - 1;
}

void FaultSys::fail_randomly(double p, uint64_t seed, int err, std::optional<SysOp> op) {
  std::lock_guard lk(mu_);
  p_ = p;
  rng_ = seed ? seed : 0x9e3779b97f4a7c15ull;
  random_err_ = err;
  random_op_ = op;
}

void FaultSys::clear() {
  std::lock_guard lk(mu_);
  rules_.clear();
  p_ = 0;
}

uint64_t FaultSys::injected() const {
  std::lock_guard lk(mu_);
  return injected_;
}

int FaultSys::decide(SysOp op, unsigned long request, std::string_view path) {
  std::lock_guard lk(mu_);
  for (Rule& rule : rules_) {
    const FaultRule& r = rule.r;
    if (r.op != op) continue;
    if (r.request && (op != SysOp::kIoctl || *r.request != request)) continue;
    if (!r.path_contains.empty() && path.find(r.path_contains) == std::string_view::npos) continue;
    ++rule.seen;
    if (rule.seen == r.nth || (r.and_after && rule.seen > r.nth)) {
      ++injected_;
      return r.err;
    }
  }
  if (p_ > 0 && (!random_op_ || *random_op_ == op)) {
    // xorshift64*: deterministic from the seed, independent of the platform's <random>.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    uint64_t x = rng_ * 0x2545f4914f6cdd1dull;
    double u = static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
    if (u < p_) {
      ++injected_;
      return random_err_;
    }
  }
  return 0;
}

int FaultSys::open(const char* path, int flags, unsigned mode) {
  if (int e = decide(SysOp::kOpen, 0, path)) return -e;
  return inner_.open(path, flags, mode);
}
int FaultSys::close(int fd) {
  if (int e = decide(SysOp::kClose, 0, {})) {
    inner_.close(fd);  // the kernel releases the fd even when close reports an error
    return -e;
  }
  return inner_.close(fd);
}
int FaultSys::ioctl(int fd, unsigned long request, void* arg) {
  if (int e = decide(SysOp::kIoctl, request, {})) return -e;
  return inner_.ioctl(fd, request, arg);
}
int FaultSys::ioctl_once(int fd, unsigned long request, void* arg) {
  if (int e = decide(SysOp::kIoctl, request, {})) return -e;
  return inner_.ioctl_once(fd, request, arg);
}
MapResult FaultSys::mmap(void* addr, size_t len, int prot, int flags, int fd, int64_t offset) {
  if (int e = decide(SysOp::kMmap, 0, {})) return {nullptr, e};
  return inner_.mmap(addr, len, prot, flags, fd, offset);
}
int FaultSys::munmap(void* addr, size_t len) {
  if (int e = decide(SysOp::kMunmap, 0, {})) return -e;
  return inner_.munmap(addr, len);
}
Result<std::string> FaultSys::read_file(const std::string& path, size_t max_bytes) {
  if (int e = decide(SysOp::kReadFile, 0, path)) return Error::sys("read " + path, e);
  return inner_.read_file(path, max_bytes);
}
Result<std::vector<std::string>> FaultSys::list_dir(const std::string& path) {
  if (int e = decide(SysOp::kListDir, 0, path)) return Error::sys("readdir " + path, e);
  return inner_.list_dir(path);
}
Result<std::string> FaultSys::read_link(const std::string& path) {
  if (int e = decide(SysOp::kReadLink, 0, path)) return Error::sys("readlink " + path, e);
  return inner_.read_link(path);
}

// ---------------------------------------------------------------------------------------------
std::vector<SysCall> RecordSys::calls() const {
  std::lock_guard lk(mu_);
  return calls_;
}
void RecordSys::clear() {
  std::lock_guard lk(mu_);
  calls_.clear();
}
void RecordSys::push(SysCall c) {
  std::lock_guard lk(mu_);
  calls_.push_back(std::move(c));
}

int RecordSys::open(const char* path, int flags, unsigned mode) {
  int r = inner_.open(path, flags, mode);
  push({.op = SysOp::kOpen, .path = path, .fd = r, .result = r});
  return r;
}
int RecordSys::close(int fd) {
  int r = inner_.close(fd);
  push({.op = SysOp::kClose, .fd = fd, .result = r});
  return r;
}
int RecordSys::ioctl(int fd, unsigned long request, void* arg) {
  return record_ioctl(fd, request, arg, false);
}
int RecordSys::ioctl_once(int fd, unsigned long request, void* arg) {
  return record_ioctl(fd, request, arg, true);
}
int RecordSys::record_ioctl(int fd, unsigned long request, void* arg, bool once) {
  SysCall c{.op = SysOp::kIoctl, .fd = fd, .request = request};
  // Only _IOC-encoded requests with a direction carry their argument size; raw numbers (NVIDIA
  // UVM) and _IO requests are recorded without argument bytes.
  size_t size = _IOC_DIR(request) != _IOC_NONE ? _IOC_SIZE(request) : 0;
  if (arg && size) {
    auto* p = static_cast<const uint8_t*>(arg);
    c.arg_in.assign(p, p + size);
  }
  int r = once ? inner_.ioctl_once(fd, request, arg) : inner_.ioctl(fd, request, arg);
  if (arg && size) {
    auto* p = static_cast<const uint8_t*>(arg);
    c.arg_out.assign(p, p + size);
  }
  c.result = r;
  push(std::move(c));
  return r;
}
MapResult RecordSys::mmap(void* addr, size_t len, int prot, int flags, int fd, int64_t offset) {
  MapResult m = inner_.mmap(addr, len, prot, flags, fd, offset);
  push({.op = SysOp::kMmap, .fd = fd, .result = m.addr ? offset : -m.err, .len = len});
  return m;
}
int RecordSys::munmap(void* addr, size_t len) {
  int r = inner_.munmap(addr, len);
  push({.op = SysOp::kMunmap, .result = r, .len = len});
  return r;
}
Result<std::string> RecordSys::read_file(const std::string& path, size_t max_bytes) {
  auto r = inner_.read_file(path, max_bytes);
  push({.op = SysOp::kReadFile, .path = path, .result = r ? 0 : -r.error().err()});
  return r;
}
Result<std::vector<std::string>> RecordSys::list_dir(const std::string& path) {
  auto r = inner_.list_dir(path);
  push({.op = SysOp::kListDir, .path = path, .result = r ? 0 : -r.error().err()});
  return r;
}
Result<std::string> RecordSys::read_link(const std::string& path) {
  auto r = inner_.read_link(path);
  push({.op = SysOp::kReadLink, .path = path, .result = r ? 0 : -r.error().err()});
  return r;
}

}  // namespace rawgpu::core

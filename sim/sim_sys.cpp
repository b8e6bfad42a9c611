#include "sim/sim_sys.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <cerrno>
#include <set>

namespace rawgpu::sim {

core::MapResult DeviceFile::mmap(void*, size_t, int, int, int64_t) { return {nullptr, ENODEV}; }

SimSys::SimSys() = default;
SimSys::~SimSys() = default;

void SimSys::add_node(const std::string& path, std::shared_ptr<DeviceNode> node) {
  std::lock_guard lk(mu_);
  nodes_[path] = std::move(node);
}
void SimSys::add_file(const std::string& path, std::string content) {
  std::lock_guard lk(mu_);
  files_[path] = std::move(content);
}
void SimSys::add_link(const std::string& path, std::string target) {
  std::lock_guard lk(mu_);
  links_[path] = std::move(target);
}

std::shared_ptr<DeviceFile> SimSys::file(int fd) const {
  std::lock_guard lk(mu_);
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : it->second.dev;
}

std::vector<std::string> SimSys::node_paths() const {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  out.reserve(nodes_.size());
  for (const auto& [path, node] : nodes_) out.push_back(path);
  return out;
}
std::vector<std::pair<std::string, std::string>> SimSys::file_entries() const {
  std::lock_guard lk(mu_);
  return {files_.begin(), files_.end()};
}
std::vector<std::pair<std::string, std::string>> SimSys::link_entries() const {
  std::lock_guard lk(mu_);
  return {links_.begin(), links_.end()};
}

bool SimSys::is_dir(const std::string& path) const {
  const std::string prefix = path.back() == '/' ? path : path + "/";
  auto under = [&](const auto& m) {
    auto it = m.lower_bound(prefix);
    return it != m.end() && it->first.compare(0, prefix.size(), prefix) == 0;
  };
  return under(nodes_) || under(files_) || under(links_);
}

int SimSys::open(const char* path, int flags, unsigned) {
  if (!path) return -EFAULT;
  std::shared_ptr<DeviceNode> node;
  {
    std::lock_guard lk(mu_);
    auto n = nodes_.find(path);
    if (n != nodes_.end()) {
      node = n->second;
    } else if (files_.count(path)) {
      if ((flags & O_ACCMODE) != O_RDONLY) return -EACCES;  // sysfs attributes we model are 0444
      int fd = next_fd_++;
      fds_[fd] = Open{nullptr, path};
      return fd;
    } else {
      return is_dir(path) ? -EISDIR : -ENOENT;
    }
  }
  int err = 0;
  std::shared_ptr<DeviceFile> f = node->open(flags, err);
  if (!f) return -(err ? err : ENODEV);
  std::lock_guard lk(mu_);
  int fd = next_fd_++;
  fds_[fd] = Open{std::move(f), path};
  return fd;
}

int SimSys::close(int fd) {
  std::shared_ptr<DeviceFile> f;
  {
    std::lock_guard lk(mu_);
    auto it = fds_.find(fd);
    if (it == fds_.end()) return -EBADF;
    f = std::move(it->second.dev);
    fds_.erase(it);
  }
  // The DeviceFile is released outside the lock: its destructor may tear down a whole process.
  f.reset();
  return 0;
}

int SimSys::ioctl(int fd, unsigned long request, void* arg) {
  std::shared_ptr<DeviceFile> f;
  {
    std::lock_guard lk(mu_);
    auto it = fds_.find(fd);
    if (it == fds_.end()) return -EBADF;
    if (!it->second.dev) return -ENOTTY;  // sysfs attribute
    f = it->second.dev;
  }
  return f->ioctl(request, arg);
}

core::MapResult SimSys::mmap(void* addr, size_t len, int prot, int flags, int fd, int64_t offset) {
  if (fd < 0) {
    if (!(flags & MAP_ANONYMOUS)) return {nullptr, EBADF};
    void* p = ::mmap(addr, len, prot, flags, -1, static_cast<off_t>(offset));
    if (p == MAP_FAILED) return {nullptr, errno};
    return {p, 0};
  }
  if (len == 0) return {nullptr, EINVAL};
  std::shared_ptr<DeviceFile> f;
  {
    std::lock_guard lk(mu_);
    auto it = fds_.find(fd);
    if (it == fds_.end()) return {nullptr, EBADF};
    if (!it->second.dev) return {nullptr, ENODEV};
    f = it->second.dev;
  }
  return f->mmap(addr, len, prot, flags, offset);
}

int SimSys::munmap(void* addr, size_t len) {
  // Device mappings are shared-memory mappings the host kernel tracks; unmapping them is the
  // host's business, exactly as on a real machine.
  return ::munmap(addr, len) < 0 ? -errno : 0;
}

core::Result<std::string> SimSys::read_file(const std::string& path, size_t max_bytes) {
  std::lock_guard lk(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) {
    int e = nodes_.count(path) ? EINVAL : (is_dir(path) ? EISDIR : ENOENT);
    return core::Error::sys("read " + path, e);
  }
  if (it->second.size() > max_bytes)
    return core::Error::sys("read " + path, EFBIG, "file is larger than expected");
  return it->second;
}

core::Result<std::vector<std::string>> SimSys::list_dir(const std::string& path) {
  std::lock_guard lk(mu_);
  if (files_.count(path) || nodes_.count(path)) return core::Error::sys("readdir " + path, ENOTDIR);
  const std::string prefix = path.back() == '/' ? path : path + "/";
  std::set<std::string> names;
  auto collect = [&](const auto& m) {
    for (auto it = m.lower_bound(prefix); it != m.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      std::string rest = it->first.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
    }
  };
  collect(nodes_);
  collect(files_);
  collect(links_);
  if (names.empty()) return core::Error::sys("readdir " + path, ENOENT);
  return std::vector<std::string>(names.begin(), names.end());
}

core::Result<std::string> SimSys::read_link(const std::string& path) {
  std::lock_guard lk(mu_);
  auto it = links_.find(path);
  if (it == links_.end()) {
    int e = (files_.count(path) || nodes_.count(path) || is_dir(path)) ? EINVAL : ENOENT;
    return core::Error::sys("readlink " + path, e);
  }
  return it->second;
}

}  // namespace rawgpu::sim

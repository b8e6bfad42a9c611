// rawgpu — the simulator's Sys: a simulated machine behind the same seam as the host.
//
// A SimSys shows only the simulated machine: device nodes its virtual drivers register
// (/dev/kfd, /dev/dri/renderD128, /dev/nvidiactl, …) and a virtual sysfs/procfs tree. Any other
// path is ENOENT, like on a machine that lacks it. Anonymous mmap/munmap (fd -1) go to the host,
// because user space reserves its own address space that way. File descriptors are private
// numbers (from kFirstFd up) that mean nothing to the host kernel; using a closed or unknown one
// is EBADF, as in the kernel.
//
// Virtual drivers implement DeviceFile. The simulator is strict: each driver validates the way
// the real kernel does (see sim/<vendor>/*), and this dispatcher rejects what the VFS would.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/sys.h"

namespace rawgpu::sim {

// One open file of a virtual driver (the kernel's struct file).
class DeviceFile {
 public:
  virtual ~DeviceFile() = default;
  // ioctl(2): non-negative result or -errno.
  virtual int ioctl(unsigned long request, void* arg) = 0;
  // mmap(2) of this file. Default: ENODEV (the node has no mmap).
  virtual core::MapResult mmap(void* addr, size_t len, int prot, int flags, int64_t offset);
};

// A device node: opening it creates a DeviceFile (or fails with -errno).
class DeviceNode {
 public:
  virtual ~DeviceNode() = default;
  // `flags` are open(2) flags; returns the file or -errno in `err`.
  virtual std::shared_ptr<DeviceFile> open(int flags, int& err) = 0;
};

class SimSys final : public core::Sys {
 public:
  static constexpr int kFirstFd = 0x4000;

  SimSys();
  ~SimSys() override;

  // Machine set-up (not thread-safe against concurrent calls of the Sys interface).
  void add_node(const std::string& path, std::shared_ptr<DeviceNode> node);
  void add_file(const std::string& path, std::string content);
  void add_link(const std::string& path, std::string target);

  // The DeviceFile behind an fd (nullptr when the fd is not open): lets one virtual driver
  // resolve an fd passed in an ioctl argument (ACQUIRE_VM's drm_fd, NV's fd in alloc params).
  std::shared_ptr<DeviceFile> file(int fd) const;

  // Read-only views of the machine's tree, copied under the lock (tools/preload materializes
  // them as real files): device-node paths, virtual files (path -> contents) and links
  // (path -> target), each sorted by path.
  std::vector<std::string> node_paths() const;
  std::vector<std::pair<std::string, std::string>> file_entries() const;
  std::vector<std::pair<std::string, std::string>> link_entries() const;

  int open(const char* path, int flags, unsigned mode) override;
  int close(int fd) override;
  int ioctl(int fd, unsigned long request, void* arg) override;
  core::MapResult mmap(void* addr, size_t len, int prot, int flags, int fd,
                       int64_t offset) override;
  int munmap(void* addr, size_t len) override;
  core::Result<std::string> read_file(const std::string& path, size_t max_bytes) override;
  core::Result<std::vector<std::string>> list_dir(const std::string& path) override;
  core::Result<std::string> read_link(const std::string& path) override;
  std::string name() const override { return "sim"; }

 private:
  struct Open {
    std::shared_ptr<DeviceFile> dev;  // null for a plain file
    std::string path;
  };
  bool is_dir(const std::string& path) const;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<DeviceNode>> nodes_;
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> links_;
  std::map<int, Open> fds_;
  int next_fd_ = kFirstFd;
};

}  // namespace rawgpu::sim

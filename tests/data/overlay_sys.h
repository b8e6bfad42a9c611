// rawgpu tests — OverlaySys: a core::Sys decorator that changes how a tree on disk looks, for
// bad-input tests over the checked-in fake machines (tests/data/*-box):
//   put(path, text)            the file reads as `text` (it need not exist on disk; its
//                              directories then show up in listings too)
//   put_sequence(path, texts)  successive reads return successive texts (the last repeats)
//   remove(path)               the file or directory, and everything under it, is absent (ENOENT)
// Everything else passes through to the inner Sys. Failures with an errno are FaultSys's job.
#pragma once

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/sys.h"

namespace rawgpu::testing {

class OverlaySys final : public core::Sys {
 public:
  explicit OverlaySys(core::Sys& inner) : inner_(inner) {}

  void put(const std::string& path, std::string text) { put_sequence(path, {std::move(text)}); }
  void put_sequence(const std::string& path, std::vector<std::string> texts) {
    files_[path] = {std::move(texts), 0};
    removed_.erase(path);
  }
  void remove(const std::string& path) { removed_.insert(path); }

  int open(const char* path, int flags, unsigned mode) override {
    if (gone(path)) return -ENOENT;
    // A put() file opens like an ordinary readable file.
    if (files_.count(path)) return inner_.open("/dev/null", flags, mode);
    return inner_.open(path, flags, mode);
  }
  int close(int fd) override { return inner_.close(fd); }
  int ioctl(int fd, unsigned long request, void* arg) override {
    return inner_.ioctl(fd, request, arg);
  }
  core::MapResult mmap(void* addr, size_t len, int prot, int flags, int fd,
                       int64_t offset) override {
    return inner_.mmap(addr, len, prot, flags, fd, offset);
  }
  int munmap(void* addr, size_t len) override { return inner_.munmap(addr, len); }

  core::Result<std::string> read_file(const std::string& path, size_t max_bytes) override {
    if (gone(path)) return core::Error::sys("read " + path, ENOENT);
    auto it = files_.find(path);
    if (it == files_.end()) return inner_.read_file(path, max_bytes);
    Seq& s = it->second;
    const std::string& text = s.texts[std::min(s.next, s.texts.size() - 1)];
    ++s.next;
    return text;
  }

  core::Result<std::vector<std::string>> list_dir(const std::string& path) override {
    if (gone(path)) return core::Error::sys("readdir " + path, ENOENT);
    std::set<std::string> names;
    auto inner = inner_.list_dir(path);
    if (inner) names.insert(inner->begin(), inner->end());
    const std::string prefix = path + "/";
    bool synthetic = false;
    for (const auto& [file, seq] : files_) {
      if (file.compare(0, prefix.size(), prefix) != 0) continue;
      names.insert(file.substr(prefix.size(), file.find('/', prefix.size()) - prefix.size()));
      synthetic = true;
    }
    if (!inner && !synthetic) return inner;
    std::vector<std::string> out;
    for (const std::string& n : names)
      if (!gone(prefix + n)) out.push_back(n);
    return out;
  }

  core::Result<std::string> read_link(const std::string& path) override {
    if (gone(path)) return core::Error::sys("readlink " + path, ENOENT);
    return inner_.read_link(path);
  }

  std::string name() const override { return "overlay(" + inner_.name() + ")"; }

 private:
  struct Seq {
    std::vector<std::string> texts;
    size_t next = 0;
  };

  // `path` or one of its parent directories was removed.
  bool gone(const std::string& path) const {
    for (const std::string& r : removed_)
      if (path == r ||
          (path.size() > r.size() && path.compare(0, r.size(), r) == 0 && path[r.size()] == '/'))
        return true;
    return false;
  }

  core::Sys& inner_;
  std::map<std::string, Seq> files_;
  std::set<std::string> removed_;
};

}  // namespace rawgpu::testing

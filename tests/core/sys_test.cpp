#include "core/sys.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace rawgpu::core;
namespace fs = std::filesystem;

namespace {

// A tiny fake kernel for testing the decorators: request kIncr adds 1 to a uint32 argument.
constexpr unsigned long kIncr = _IOWR('r', 1, uint32_t);
constexpr unsigned long kOther = _IOWR('r', 2, uint64_t);

class FakeSys final : public Sys {
 public:
  int open(const char* path, int, unsigned) override {
    return std::strcmp(path, "/dev/fake") == 0 ? 3 : -ENOENT;
  }
  int close(int fd) override { return fd == 3 ? 0 : -EBADF; }
  int ioctl(int fd, unsigned long request, void* arg) override {
    ++ioctls;
    if (fd != 3) return -EBADF;
    if (request == kIncr) {
      ++*static_cast<uint32_t*>(arg);
      return 0;
    }
    if (request == kOther) return 0;
    return -ENOTTY;
  }
  MapResult mmap(void*, size_t, int, int, int, int64_t) override { return {nullptr, ENODEV}; }
  int munmap(void*, size_t) override { return 0; }
  Result<std::string> read_file(const std::string& path, size_t) override {
    if (path == "/sys/fake") return std::string("value 7\n");
    return Error::sys("read " + path, ENOENT);
  }
  Result<std::vector<std::string>> list_dir(const std::string&) override {
    return std::vector<std::string>{"a", "b"};
  }
  Result<std::string> read_link(const std::string&) override { return std::string("../x"); }
  std::string name() const override { return "fake"; }
  int ioctls = 0;
};

fs::path temp_dir() {
  fs::path p = fs::temp_directory_path() / ("rawgpu_sys_test_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}

}  // namespace

TEST(HostSys, OpenCloseAndErrno) {
  Sys& sys = host_sys();
  EXPECT_EQ(sys.name(), "host");
  int fd = sys.open("/dev/null", O_RDWR);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sys.close(fd), 0);
  EXPECT_EQ(sys.close(fd), -EBADF);
  EXPECT_EQ(sys.open("/nonexistent/rawgpu", O_RDONLY), -ENOENT);
}

TEST(HostSys, IoctlReturnsNegativeErrno) {
  Sys& sys = host_sys();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "abc", 3), 3);
  int avail = 0;
  EXPECT_EQ(sys.ioctl(fds[0], FIONREAD, &avail), 0);
  EXPECT_EQ(avail, 3);
  uint32_t x = 0;
  EXPECT_EQ(sys.ioctl(fds[0], kIncr, &x), -ENOTTY);
  EXPECT_EQ(sys.ioctl(-1, FIONREAD, &avail), -EBADF);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(HostSys, MmapAnonymousAndFailure) {
  Sys& sys = host_sys();
  MapResult m = sys.mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m.addr, nullptr);
  static_cast<char*>(m.addr)[8191] = 1;
  EXPECT_EQ(sys.munmap(m.addr, 8192), 0);
  MapResult bad = sys.mmap(nullptr, 4096, PROT_READ, MAP_SHARED, -1, 0);
  EXPECT_EQ(bad.addr, nullptr);
  EXPECT_EQ(bad.err, EBADF);
}

TEST(HostSys, FilesDirsAndLinks) {
  Sys& sys = host_sys();
  fs::path d = temp_dir();
  std::ofstream(d / "b.txt") << "two\n\n";
  std::ofstream(d / "a.txt") << "one";
  fs::create_directories(d / "c");
  fs::remove(d / "link");
  fs::create_symlink("../somewhere/amdgpu", d / "link");

  auto names = sys.list_dir(d.string());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a.txt", "b.txt", "c", "link"}));
  auto content = sys.read_file((d / "b.txt").string());
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "two\n\n");
  EXPECT_EQ(*read_trimmed(sys, (d / "b.txt").string()), "two");
  EXPECT_EQ(*sys.read_link((d / "link").string()), "../somewhere/amdgpu");

  auto big = sys.read_file((d / "b.txt").string(), 2);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().err(), EFBIG);
  auto missing = sys.read_file((d / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().err(), ENOENT);
  EXPECT_NE(missing.error().message().find("nope"), std::string::npos);
  EXPECT_EQ(sys.list_dir((d / "a.txt").string()).error().err(), ENOTDIR);
  EXPECT_EQ(sys.read_link((d / "a.txt").string()).error().err(), EINVAL);
  fs::remove_all(d);
}

TEST(HostSys, ReadsProcfs) {
  auto r = host_sys().read_file("/proc/self/status");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->find("Pid:"), std::string::npos);
}

TEST(KeyValues, ParsesKfdStyleProperties) {
  auto kv = parse_key_values("cpu_cores_count 0\nsimd_count 192\nunique_id 0x1a2b\n\n", "props");
  ASSERT_TRUE(kv.ok());
  ASSERT_EQ(kv->size(), 3u);
  EXPECT_EQ((*kv)[1], (std::pair<std::string, uint64_t>{"simd_count", 192}));
  EXPECT_EQ((*kv)[2].second, 0x1a2bu);
}

TEST(KeyValues, RejectsMalformedLines) {
  for (const char* bad : {"novalue\n", "key -1\n", "key 12abc\n", "key 0x\n", " 5\n",
                          "key 99999999999999999999999\n", "key \n"}) {
    auto kv = parse_key_values(bad, "nodes/1/properties");
    ASSERT_FALSE(kv.ok()) << bad;
    EXPECT_NE(kv.error().message().find("nodes/1/properties"), std::string::npos);
    EXPECT_NE(kv.error().message().find("line 1"), std::string::npos);
  }
}

TEST(FaultSys, FailsTheNthMatchingIoctl) {
  FakeSys fake;
  FaultSys f(fake);
  f.add({.op = SysOp::kIoctl, .request = kIncr, .nth = 2, .err = ENOMEM});
  uint32_t x = 0;
  EXPECT_EQ(f.ioctl(3, kOther, &x), 0);  // does not match the request: not counted
  EXPECT_EQ(f.ioctl(3, kIncr, &x), 0);
  EXPECT_EQ(f.ioctl(3, kIncr, &x), -ENOMEM);
  EXPECT_EQ(f.ioctl(3, kIncr, &x), 0);
  EXPECT_EQ(x, 2u);              // the failed call never reached the driver
  EXPECT_EQ(fake.ioctls, 3);
  EXPECT_EQ(f.injected(), 1u);
  EXPECT_EQ(f.name(), "fault(fake)");
}

TEST(FaultSys, AndAfterAndPathsAndOtherOps) {
  FakeSys fake;
  FaultSys f(fake);
  f.add({.op = SysOp::kOpen, .path_contains = "fake", .nth = 1, .and_after = true, .err = EACCES});
  f.add({.op = SysOp::kReadFile, .path_contains = "/sys/", .nth = 1, .err = EPERM});
  f.add({.op = SysOp::kMmap, .nth = 1, .err = ENOMEM});
  EXPECT_EQ(f.open("/dev/fake", O_RDWR, 0), -EACCES);
  EXPECT_EQ(f.open("/dev/fake", O_RDWR, 0), -EACCES);
  EXPECT_EQ(f.open("/dev/other", O_RDWR, 0), -ENOENT);  // passes through to the fake
  auto r = f.read_file("/sys/fake", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err(), EPERM);
  EXPECT_TRUE(f.read_file("/sys/fake", 100).ok());  // only the first
  EXPECT_EQ(f.mmap(nullptr, 4096, 0, 0, 3, 0).err, ENOMEM);
  EXPECT_EQ(f.mmap(nullptr, 4096, 0, 0, 3, 0).err, ENODEV);  // the fake's own answer
  f.clear();
  EXPECT_EQ(f.open("/dev/fake", O_RDWR, 0), 3);
}

TEST(FaultSys, RandomFailuresAreDeterministicPerSeed) {
  auto run = [](uint64_t seed) {
    FakeSys fake;
    FaultSys f(fake);
    f.fail_randomly(0.25, seed, EIO, SysOp::kIoctl);
    std::string pattern;
    uint32_t x = 0;
    for (int i = 0; i < 400; ++i) pattern += f.ioctl(3, kIncr, &x) == 0 ? '.' : 'x';
    EXPECT_EQ(f.open("/dev/fake", 0, 0), 3);  // other ops are not affected
    return pattern;
  };
  std::string a = run(42), b = run(42), c = run(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  auto fails = std::count(a.begin(), a.end(), 'x');
  EXPECT_GT(fails, 60);  // ~100 expected
  EXPECT_LT(fails, 140);
}

TEST(RecordSys, RecordsCallsAndIoctlBytes) {
  FakeSys fake;
  RecordSys rec(fake);
  int fd = rec.open("/dev/fake", O_RDWR, 0);
  uint32_t x = 41;
  EXPECT_EQ(rec.ioctl(fd, kIncr, &x), 0);
  EXPECT_EQ(rec.ioctl(fd, 0x1234, nullptr), -ENOTTY);
  EXPECT_TRUE(rec.read_file("/sys/fake", 100).ok());
  EXPECT_EQ(rec.close(fd), 0);
  auto calls = rec.calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0].op, SysOp::kOpen);
  EXPECT_EQ(calls[0].path, "/dev/fake");
  EXPECT_EQ(calls[0].result, 3);
  EXPECT_EQ(calls[1].request, kIncr);
  ASSERT_EQ(calls[1].arg_in.size(), 4u);
  EXPECT_EQ(calls[1].arg_in[0], 41);
  EXPECT_EQ(calls[1].arg_out[0], 42);
  EXPECT_EQ(calls[2].result, -ENOTTY);
  EXPECT_EQ(calls[3].op, SysOp::kReadFile);
  EXPECT_EQ(calls[4].op, SysOp::kClose);
  rec.clear();
  EXPECT_TRUE(rec.calls().empty());
}

TEST(Decorators, Stack) {
  FakeSys fake;
  FaultSys f(fake);
  RecordSys rec(f);
  f.add({.op = SysOp::kIoctl, .nth = 1, .err = EFAULT});
  uint32_t x = 0;
  EXPECT_EQ(rec.ioctl(3, kIncr, &x), -EFAULT);
  EXPECT_EQ(rec.calls().at(0).result, -EFAULT);
  EXPECT_EQ(rec.name(), "record(fault(fake))");
}

TEST(Sys, IoctlOnceIsForwardedByTheDecorators) {
  FakeSys fake;
  FaultSys f(fake);
  RecordSys rec(f);
  f.add({.op = SysOp::kIoctl, .request = kIncr, .nth = 1, .err = EINTR});
  uint32_t x = 0;
  EXPECT_EQ(rec.ioctl_once(3, kIncr, &x), -EINTR);  // handed back, not restarted
  EXPECT_EQ(rec.ioctl_once(3, kIncr, &x), 0);
  EXPECT_EQ(x, 1u);
  ASSERT_EQ(rec.calls().size(), 2u);
  EXPECT_EQ(rec.calls()[0].result, -EINTR);
  // The host issues it once too: a bad fd fails immediately.
  EXPECT_EQ(host_sys().ioctl_once(-1, FIONREAD, &x), -EBADF);
}

TEST(RecordSys, RawRequestNumbersRecordNoArgumentBytes) {
  FakeSys fake;
  RecordSys rec(fake);
  uint64_t small = 0;
  // 0x30000001 decodes as _IOC_NONE with a 12 KiB "size": nothing may be copied from the arg.
  EXPECT_EQ(rec.ioctl(3, 0x30000001ul, &small), -ENOTTY);
  ASSERT_EQ(rec.calls().size(), 1u);
  EXPECT_TRUE(rec.calls()[0].arg_in.empty());
  EXPECT_TRUE(rec.calls()[0].arg_out.empty());
}

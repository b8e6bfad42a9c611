#include "sim/sim_sys.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <gtest/gtest.h>

using namespace rawgpu;

namespace {

constexpr unsigned long kEcho = _IOWR('s', 1, uint64_t);

class EchoFile final : public sim::DeviceFile {
 public:
  explicit EchoFile(int* live) : live_(live) { ++*live_; }
  ~EchoFile() override { --*live_; }
  int ioctl(unsigned long request, void* arg) override {
    if (request != kEcho) return -ENOTTY;
    *static_cast<uint64_t*>(arg) += 1;
    return 0;
  }

 private:
  int* live_;
};

class EchoNode final : public sim::DeviceNode {
 public:
  std::shared_ptr<sim::DeviceFile> open(int flags, int& err) override {
    if ((flags & O_ACCMODE) != O_RDWR) {
      err = EACCES;
      return nullptr;
    }
    return std::make_shared<EchoFile>(&live);
  }
  int live = 0;
};

}  // namespace

TEST(SimSys, DeviceNodesFilesAndFds) {
  sim::SimSys sys;
  auto node = std::make_shared<EchoNode>();
  sys.add_node("/dev/echo", node);
  sys.add_file("/sys/class/echo/version", "1.2\n");
  sys.add_link("/sys/bus/pci/devices/0000:01:00.0/driver", "../../../bus/pci/drivers/echo");

  EXPECT_EQ(sys.open("/dev/echo", O_RDONLY, 0), -EACCES);
  EXPECT_EQ(sys.open("/dev/nothing", O_RDWR, 0), -ENOENT);
  int fd = sys.open("/dev/echo", O_RDWR, 0);
  ASSERT_GE(fd, sim::SimSys::kFirstFd);
  EXPECT_EQ(node->live, 1);
  uint64_t v = 41;
  EXPECT_EQ(sys.ioctl(fd, kEcho, &v), 0);
  EXPECT_EQ(v, 42u);
  EXPECT_EQ(sys.ioctl(fd, 0x1234, &v), -ENOTTY);
  EXPECT_NE(sys.file(fd), nullptr);
  EXPECT_EQ(sys.mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0).err, ENODEV);
  EXPECT_EQ(sys.close(fd), 0);
  EXPECT_EQ(node->live, 0);
  EXPECT_EQ(sys.close(fd), -EBADF);
  EXPECT_EQ(sys.ioctl(fd, kEcho, &v), -EBADF);
  EXPECT_EQ(sys.mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0).err, EBADF);
  EXPECT_EQ(sys.file(fd), nullptr);

  EXPECT_EQ(*sys.read_file("/sys/class/echo/version", 100), "1.2\n");
  EXPECT_EQ(sys.read_file("/sys/class/echo/version", 2).error().err(), EFBIG);
  EXPECT_EQ(sys.read_file("/sys/class/echo", 100).error().err(), EISDIR);
  EXPECT_EQ(sys.read_file("/proc/cpuinfo", 100).error().err(), ENOENT);  // only the sim machine
  EXPECT_EQ(*sys.list_dir("/sys/class"), std::vector<std::string>{"echo"});
  EXPECT_EQ(*sys.list_dir("/sys"), (std::vector<std::string>{"bus", "class"}));
  EXPECT_EQ(*sys.list_dir("/dev"), std::vector<std::string>{"echo"});
  EXPECT_EQ(sys.list_dir("/sys/class/echo/version").error().err(), ENOTDIR);
  EXPECT_EQ(sys.list_dir("/nope").error().err(), ENOENT);
  EXPECT_EQ(*sys.read_link("/sys/bus/pci/devices/0000:01:00.0/driver"),
            "../../../bus/pci/drivers/echo");
  EXPECT_EQ(sys.read_link("/sys/class/echo/version").error().err(), EINVAL);

  int ffd = sys.open("/sys/class/echo/version", O_RDONLY, 0);
  ASSERT_GE(ffd, 0);
  EXPECT_EQ(sys.ioctl(ffd, kEcho, &v), -ENOTTY);
  EXPECT_EQ(sys.close(ffd), 0);
  EXPECT_EQ(sys.open("/sys/class/echo/version", O_RDWR, 0), -EACCES);
}

TEST(SimSys, AnonymousMappingsGoToTheHost) {
  sim::SimSys sys;
  auto m = sys.mmap(nullptr, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(m.addr, nullptr);
  EXPECT_EQ(sys.munmap(m.addr, 8192), 0);
  EXPECT_EQ(sys.mmap(nullptr, 8192, PROT_READ, MAP_SHARED, -1, 0).err, EBADF);
}

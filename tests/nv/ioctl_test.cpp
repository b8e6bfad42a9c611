// NVIDIA ioctl layer: the tables against the fact sheet (shared/abi/nvidia.md §1.3, §2, §3, §8),
// the decoded text, status names, driver-branch selection, and the typed wrappers against a small
// fake NVIDIA driver (a core::Sys that checks every request against the table, records argument
// bytes and lets each test answer), with errno failures injected by core::FaultSys and the mmap
// dance checked call by call with core::RecordSys.
#include "nv_ioctl/ioctl.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "core/ioctl_desc.h"
#include "core/log.h"
#include "core/sys.h"
#include "nv_ioctl/abi.h"
#include "nv_ioctl/describe.h"
#include "nv_ioctl/status.h"

using namespace rawgpu;
using namespace rawgpu::nv;
using core::Phase;

namespace {

constexpr uint32_t kClient = 0xC1D00001;
constexpr uint32_t kDevice = 0xCAF00001;
constexpr uint32_t kSubdevice = 0xCAF00002;

// A fake NVIDIA driver: /dev/nvidiactl, /dev/nvidia0 and /dev/nvidia-uvm open to new fds; every
// ioctl must be exactly a row of nv_ioctls() (UVM numbers are sized by `branch`, as the real
// kernel copies its own struct size); mmap hands out a fixed fake address.
class FakeNv final : public core::Sys {
 public:
  static constexpr int kCtlFd = 3;
  static constexpr int kUvmFd = 4;
  static constexpr int kUvmFd2 = 5;
  static constexpr uintptr_t kMapAddr = 0x7F0000000000;

  struct Call {
    int fd = -1;
    unsigned long request = 0;
    std::vector<uint8_t> in, out;
    template <typename T>
    T in_as() const {
      T t{};
      EXPECT_EQ(in.size(), sizeof(T));
      std::memcpy(&t, in.data(), std::min(in.size(), sizeof(T)));
      return t;
    }
  };

  uint32_t branch = 580;
  std::vector<Call> calls;
  std::vector<std::string> opened;
  std::vector<int> closed;
  std::map<std::string, std::string> files;
  int mmap_err = 0;
  std::function<int(int fd, unsigned long request, void* arg)> handler = [](int, unsigned long,
                                                                            void*) { return 0; };

  size_t count(unsigned long request) const {
    return static_cast<size_t>(std::count_if(calls.begin(), calls.end(),
                                             [&](const Call& c) { return c.request == request; }));
  }

  int ioctl(int fd, unsigned long request, void* arg) override {
    const core::IoctlMatch m = find_nv_request(request, branch);
    if (!m) return -ENOTTY;
    EXPECT_TRUE(m.exact()) << core::describe_request(nv_ioctls(), request);
    const bool uvm = m.desc->encoding == core::IoctlEncoding::kRaw;
    EXPECT_EQ(uvm, fd == kUvmFd || fd == kUvmFd2) << m.desc->name << " on fd " << fd;
    const size_t size = uvm ? m.desc->size : core::ioc_size(request);
    Call c;
    c.fd = fd;
    c.request = request;
    const auto* p = static_cast<const uint8_t*>(arg);
    if (size != 0) c.in.assign(p, p + size);
    const int r = handler(fd, request, arg);
    if (size != 0) c.out.assign(p, p + size);
    calls.push_back(std::move(c));
    return r;
  }
  int open(const char* path, int, unsigned) override {
    const std::string s(path);
    if (s != kNvidiactlPath && s != "/dev/nvidia0" && s != kNvidiaUvmPath) return -ENOENT;
    opened.push_back(s);
    return next_fd_++;
  }
  int close(int fd) override {
    closed.push_back(fd);
    return 0;
  }
  core::MapResult mmap(void* addr, size_t, int, int flags, int, int64_t offset) override {
    EXPECT_EQ(offset, 0);
    if (mmap_err != 0) return {nullptr, mmap_err};
    if ((flags & MAP_FIXED) != 0) return {addr, 0};
    return {reinterpret_cast<void*>(kMapAddr), 0};
  }
  int munmap(void*, size_t) override { return 0; }
  core::Result<std::string> read_file(const std::string& path, size_t) override {
    auto it = files.find(path);
    if (it == files.end()) return core::Error::sys("read " + path, ENOENT);
    return it->second;
  }
  core::Result<std::vector<std::string>> list_dir(const std::string& path) override {
    return core::Error::sys("readdir " + path, ENOSYS);
  }
  core::Result<std::string> read_link(const std::string& path) override {
    return core::Error::sys("readlink " + path, ENOSYS);
  }
  std::string name() const override { return "fake-nv"; }

 private:
  int next_fd_ = 10;
};

template <typename T>
T& as(void* arg) {
  return *static_cast<T*>(arg);
}

// The params an RM control/alloc points to.
template <typename T>
T& params_of(void* arg) {
  return *reinterpret_cast<T*>(static_cast<uintptr_t>(as<NVOS54_PARAMETERS>(arg).params));
}

NvAbi abi_of(const char* version) {
  core::Result<DriverVersion> v = parse_driver_version(version);
  EXPECT_TRUE(v.ok()) << version;
  core::Result<NvAbi> a = select_abi(*v);
  EXPECT_TRUE(a.ok()) << a.error().message();
  return *a;
}

NvProcessorUuid uuid_of(uint8_t seed) {
  NvProcessorUuid u{};
  for (uint8_t i = 0; i < 16; ++i) u.uuid[i] = static_cast<uint8_t>(seed + i);
  return u;
}

// The request numbers of fact sheet §1.3 and the UVM numbers and sizes of §2, in table order
// (SET_NUMA_STATUS and EXPORT_TO_DMABUF_FD have no full value in §1.3: _IOWR('F', nr, size)).
struct Expected {
  NvIoctl id;
  const char* name;
  unsigned long request;
  uint32_t size;
};
constexpr Expected kExpected[] = {
    {NvIoctl::RM_ALLOC_MEMORY, "NV_ESC_RM_ALLOC_MEMORY", 0xC0384627, 56},
    {NvIoctl::RM_FREE, "NV_ESC_RM_FREE", 0xC0104629, 16},
    {NvIoctl::RM_CONTROL, "NV_ESC_RM_CONTROL", 0xC020462A, 32},
    {NvIoctl::RM_ALLOC, "NV_ESC_RM_ALLOC", 0xC020462B, 32},
    {NvIoctl::RM_ALLOC_NVOS64, "NV_ESC_RM_ALLOC", 0xC030462B, 48},
    {NvIoctl::RM_DUP_OBJECT, "NV_ESC_RM_DUP_OBJECT", 0xC01C4634, 28},
    {NvIoctl::RM_SHARE, "NV_ESC_RM_SHARE", 0xC0184635, 24},
    {NvIoctl::RM_VID_HEAP_CONTROL, "NV_ESC_RM_VID_HEAP_CONTROL", 0xC0B8464A, 184},
    {NvIoctl::RM_MAP_MEMORY, "NV_ESC_RM_MAP_MEMORY", 0xC038464E, 56},
    {NvIoctl::RM_UNMAP_MEMORY, "NV_ESC_RM_UNMAP_MEMORY", 0xC020464F, 32},
    {NvIoctl::RM_MAP_MEMORY_DMA, "NV_ESC_RM_MAP_MEMORY_DMA", 0xC0384657, 56},
    {NvIoctl::RM_MAP_MEMORY_DMA_V580, "NV_ESC_RM_MAP_MEMORY_DMA", 0xC0404657, 64},
    {NvIoctl::RM_UNMAP_MEMORY_DMA, "NV_ESC_RM_UNMAP_MEMORY_DMA", 0xC0304658, 48},
    {NvIoctl::RM_UPDATE_DEVICE_MAPPING_INFO, "NV_ESC_RM_UPDATE_DEVICE_MAPPING_INFO", 0xC028465E,
     40},
    {NvIoctl::CARD_INFO, "NV_ESC_CARD_INFO", 0xC04846C8, 72},
    {NvIoctl::REGISTER_FD, "NV_ESC_REGISTER_FD", 0xC00446C9, 4},
    {NvIoctl::ALLOC_OS_EVENT, "NV_ESC_ALLOC_OS_EVENT", 0xC01046CE, 16},
    {NvIoctl::FREE_OS_EVENT, "NV_ESC_FREE_OS_EVENT", 0xC01046CF, 16},
    {NvIoctl::STATUS_CODE, "NV_ESC_STATUS_CODE", 0xC00C46D1, 12},
    {NvIoctl::CHECK_VERSION_STR, "NV_ESC_CHECK_VERSION_STR", 0xC04846D2, 72},
    {NvIoctl::IOCTL_XFER_CMD, "NV_ESC_IOCTL_XFER_CMD", 0xC01046D3, 16},
    {NvIoctl::ATTACH_GPUS_TO_FD, "NV_ESC_ATTACH_GPUS_TO_FD", 0xC00446D4, 4},
    {NvIoctl::QUERY_DEVICE_INTR, "NV_ESC_QUERY_DEVICE_INTR", 0xC00846D5, 8},
    {NvIoctl::SYS_PARAMS, "NV_ESC_SYS_PARAMS", 0xC00846D6, 8},
    {NvIoctl::NUMA_INFO, "NV_ESC_NUMA_INFO", 0xC23046D7, 560},
    {NvIoctl::SET_NUMA_STATUS, "NV_ESC_SET_NUMA_STATUS", 0xC00446D8, 4},
    {NvIoctl::EXPORT_TO_DMABUF_FD, "NV_ESC_EXPORT_TO_DMABUF_FD", 0xCA3046D9, 2608},
    {NvIoctl::WAIT_OPEN_COMPLETE, "NV_ESC_WAIT_OPEN_COMPLETE", 0xC00846DA, 8},
    {NvIoctl::UVM_REGISTER_GPU_VASPACE, "UVM_REGISTER_GPU_VASPACE", 25, 32},
    {NvIoctl::UVM_UNREGISTER_GPU_VASPACE, "UVM_UNREGISTER_GPU_VASPACE", 26, 20},
    {NvIoctl::UVM_REGISTER_CHANNEL, "UVM_REGISTER_CHANNEL", 27, 56},
    {NvIoctl::UVM_UNREGISTER_CHANNEL, "UVM_UNREGISTER_CHANNEL", 28, 28},
    {NvIoctl::UVM_UNREGISTER_CHANNEL_V590, "UVM_UNREGISTER_CHANNEL", 28, 12},
    {NvIoctl::UVM_ENABLE_PEER_ACCESS, "UVM_ENABLE_PEER_ACCESS", 29, 36},
    {NvIoctl::UVM_DISABLE_PEER_ACCESS, "UVM_DISABLE_PEER_ACCESS", 30, 36},
    {NvIoctl::UVM_MAP_EXTERNAL_ALLOCATION, "UVM_MAP_EXTERNAL_ALLOCATION", 33, 9264},
    {NvIoctl::UVM_FREE, "UVM_FREE", 34, 24},
    {NvIoctl::UVM_FREE_V590, "UVM_FREE", 34, 16},
    {NvIoctl::UVM_REGISTER_GPU, "UVM_REGISTER_GPU", 37, 40},
    {NvIoctl::UVM_UNREGISTER_GPU, "UVM_UNREGISTER_GPU", 38, 20},
    {NvIoctl::UVM_UNMAP_EXTERNAL, "UVM_UNMAP_EXTERNAL", 66, 40},
    {NvIoctl::UVM_CREATE_EXTERNAL_RANGE, "UVM_CREATE_EXTERNAL_RANGE", 73, 24},
    {NvIoctl::UVM_MM_INITIALIZE, "UVM_MM_INITIALIZE", 75, 8},
    {NvIoctl::UVM_INITIALIZE, "UVM_INITIALIZE", 0x30000001, 16},
    {NvIoctl::UVM_DEINITIALIZE, "UVM_DEINITIALIZE", 0x30000002, 0},
};

// RM control commands and params sizes of fact sheet §3 (and ctrl0000gpu.h for ATTACHED_IDS).
struct ExpectedSub {
  const char* name;
  uint32_t id;
  uint32_t size;
  uint32_t since;
};
constexpr ExpectedSub kExpectedControls[] = {
    {"NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2", 0x13E, 1032, 0},
    {"NV0000_CTRL_CMD_GPU_GET_ATTACHED_IDS", 0x201, 128, 0},
    {"NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2", 0x205, 32, 0},
    {"NV0080_CTRL_CMD_GPU_GET_CLASSLIST", 0x800201, 16, 0},
    {"NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2", 0x800292, 404, 0},
    {"NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2", 0x800292, 804, 580},
    {"NV2080_CTRL_CMD_GPU_GET_GID_INFO", 0x2080014A, 268, 0},
    {"NV2080_CTRL_CMD_GR_GET_INFO", 0x20801201, 32, 0},
    {"NV2080_CTRL_CMD_GR_GET_CTX_BUFFER_SIZE", 0x20801218, 16, 0},
    {"NV2080_CTRL_CMD_FB_FLUSH_GPU_CACHE", 0x2080130E, 4024, 0},
    {"NV2080_CTRL_CMD_PERF_BOOST", 0x2080200A, 8, 0},
    {"NVA06C_CTRL_CMD_GPFIFO_SCHEDULE", 0xA06C0101, 2, 0},
    {"NVA06C_CTRL_CMD_GPFIFO_SCHEDULE", 0xA06C0101, 3, 575},
    {"NVA06F_CTRL_CMD_GPFIFO_SCHEDULE", 0xA06F0103, 2, 0},
    {"NVA06F_CTRL_CMD_GPFIFO_SCHEDULE", 0xA06F0103, 3, 575},
    {"NVA06F_CTRL_CMD_BIND", 0xA06F0104, 4, 0},
    {"NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN", 0xC36F0108, 4, 0},
};

// Allocation classes of §3.7 with their params sizes of §3 (0 = no params).
constexpr ExpectedSub kExpectedClasses[] = {
    {"NV01_ROOT", 0x0, 0, 0},
    {"NV01_MEMORY_SYSTEM", 0x3E, 128, 0},
    {"NV01_MEMORY_LOCAL_USER", 0x40, 128, 0},
    {"NV01_ROOT_CLIENT", 0x41, 0, 0},
    {"NV01_MEMORY_VIRTUAL", 0x70, 24, 0},
    {"NV01_MEMORY_SYSTEM_OS_DESCRIPTOR", 0x71, 0, 0},
    {"NV01_EVENT_OS_EVENT", 0x79, 24, 0},
    {"NV01_DEVICE_0", 0x80, 56, 0},
    {"NV20_SUBDEVICE_0", 0x2080, 4, 0},
    {"NV50_MEMORY_VIRTUAL", 0x50A0, 128, 0},
    {"GT200_DEBUGGER", 0x83DE, 12, 0},
    {"FERMI_CONTEXT_SHARE_A", 0x9067, 12, 0},
    {"FERMI_VASPACE_A", 0x90F1, 48, 0},
    {"FERMI_VASPACE_A", 0x90F1, 56, 580},
    {"KEPLER_CHANNEL_GROUP_A", 0xA06C, 20, 0},
    {"MAXWELL_PROFILER_DEVICE", 0xB2CC, 0, 0},
    {"VOLTA_USERMODE_A", 0xC361, 0, 0},
    {"VOLTA_CHANNEL_GPFIFO_A", 0xC36F, 368, 0},
    {"VOLTA_CHANNEL_GPFIFO_A", 0xC36F, 376, 610},
    {"TURING_USERMODE_A", 0xC461, 0, 0},
    {"TURING_CHANNEL_GPFIFO_A", 0xC46F, 368, 0},
    {"TURING_CHANNEL_GPFIFO_A", 0xC46F, 376, 610},
    {"TURING_DMA_COPY_A", 0xC5B5, 0, 0},
    {"TURING_COMPUTE_A", 0xC5C0, 0, 0},
    {"AMPERE_USERMODE_A", 0xC561, 0, 0},
    {"AMPERE_CHANNEL_GPFIFO_A", 0xC56F, 368, 0},
    {"AMPERE_CHANNEL_GPFIFO_A", 0xC56F, 376, 610},
    {"AMPERE_DMA_COPY_A", 0xC6B5, 0, 0},
    {"AMPERE_COMPUTE_A", 0xC6C0, 0, 0},
    {"HOPPER_USERMODE_A", 0xC661, 2, 0},
    {"BLACKWELL_USERMODE_A", 0xC761, 0, 0},
    {"AMPERE_DMA_COPY_B", 0xC7B5, 0, 0},
    {"AMPERE_COMPUTE_B", 0xC7C0, 0, 0},
    {"HOPPER_CHANNEL_GPFIFO_A", 0xC86F, 368, 0},
    {"HOPPER_CHANNEL_GPFIFO_A", 0xC86F, 376, 610},
    {"HOPPER_DMA_COPY_A", 0xC8B5, 0, 0},
    {"BLACKWELL_CHANNEL_GPFIFO_A", 0xC96F, 368, 0},
    {"BLACKWELL_CHANNEL_GPFIFO_A", 0xC96F, 376, 610},
    {"BLACKWELL_DMA_COPY_A", 0xC9B5, 0, 0},
    {"ADA_COMPUTE_A", 0xC9C0, 0, 0},
    {"BLACKWELL_CHANNEL_GPFIFO_B", 0xCA6F, 368, 0},
    {"BLACKWELL_CHANNEL_GPFIFO_B", 0xCA6F, 376, 610},
    {"BLACKWELL_DMA_COPY_B", 0xCAB5, 0, 0},
    {"HOPPER_COMPUTE_A", 0xCBC0, 0, 0},
    {"BLACKWELL_COMPUTE_A", 0xCDC0, 0, 0},
    {"BLACKWELL_COMPUTE_B", 0xCEC0, 0, 0},
};

void expect_sub_table(const core::IoctlTable& t, std::span<const ExpectedSub> expected) {
  ASSERT_EQ(t.rows.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(t.rows[i].name, expected[i].name);
    EXPECT_EQ(t.rows[i].nr, expected[i].id);
    EXPECT_EQ(t.rows[i].size, expected[i].size);
    EXPECT_EQ(t.rows[i].since, expected[i].since);
    EXPECT_EQ(t.rows[i].encoding, core::IoctlEncoding::kRaw);
    EXPECT_EQ(t.rows[i].size == 0, t.rows[i].args_type.empty());
  }
}

// Every byte of every described struct is covered by exactly one field (pads included).
void expect_full_coverage(const core::IoctlTable& t) {
  for (const core::IoctlDesc& row : t.rows) {
    SCOPED_TRACE(std::string(row.name) + " " + std::string(row.args_type));
    if (row.size == 0) {
      EXPECT_TRUE(row.fields.empty());
      continue;
    }
    if (row.fields.empty()) continue;
    std::vector<int> owner(row.size, 0);
    for (const core::ArgField& f : row.fields) {
      for (uint32_t b = f.offset; b < f.offset + f.size && b < row.size; ++b) ++owner[b];
      if (f.kind == core::ArgKind::kEnum || f.kind == core::ArgKind::kFlags) {
        EXPECT_FALSE(f.names.empty()) << f.name;
      }
    }
    for (uint32_t b = 0; b < row.size; ++b) EXPECT_EQ(owner[b], 1) << "byte " << b;
  }
}

}  // namespace

// =============================================================================================
// The tables.

TEST(NvDescribe, EveryIoctlRowHasTheFactSheetRequestAndSize) {
  const core::IoctlTable& t = nv_ioctls();
  EXPECT_EQ(t.driver, "nvidia");
  ASSERT_EQ(t.rows.size(), std::size(kExpected));
  ASSERT_EQ(t.rows.size(), kNvIoctlCount);
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const Expected& e = kExpected[i];
    SCOPED_TRACE(e.name);
    const core::IoctlDesc& row = nv_ioctl(e.id);
    EXPECT_EQ(&row, &t.rows[i]);
    EXPECT_EQ(row.name, e.name);
    EXPECT_EQ(row.request(), e.request) << std::hex << row.request();
    EXPECT_EQ(row.size, e.size);
    const bool uvm = std::string_view(e.name).starts_with("UVM_");
    EXPECT_EQ(row.encoding, uvm ? core::IoctlEncoding::kRaw : core::IoctlEncoding::kIoc);
    if (!uvm) {
      EXPECT_EQ(row.magic, 'F');
      EXPECT_EQ(row.dir, core::IoctlDir::kReadWrite);
      EXPECT_TRUE(core::find_by_request(t, e.request).exact());
      EXPECT_EQ(core::find_by_request(t, e.request).desc, &row);
    }
  }
  // The array escapes: tinygrad's 64-entry CARD_INFO, one-GPU ATTACH_GPUS_TO_FD (§1.3).
  EXPECT_EQ(core::ioc(core::IoctlDir::kReadWrite, 'F', NV_ESC_CARD_INFO, 64 * 72), 0xD20046C8ul);
  const core::IoctlMatch card = core::find_by_request(t, 0xD20046C8ul);
  ASSERT_TRUE(card.exact());
  EXPECT_EQ(card.desc->name, "NV_ESC_CARD_INFO");
  EXPECT_EQ(card.size, 64u * 72u);
  EXPECT_TRUE(core::find_by_request(t, 0xC00846D4ul).exact()) << "two gpu ids";
}

TEST(NvDescribe, RequestsComeFromTheArgumentTypes) {
  static_assert(std::is_same_v<ArgsOf<NvIoctl::RM_CONTROL>, NVOS54_PARAMETERS>);
  static_assert(std::is_same_v<ArgsOf<NvIoctl::RM_ALLOC>, NVOS21_PARAMETERS>);
  static_assert(std::is_same_v<ArgsOf<NvIoctl::RM_MAP_MEMORY_DMA_V580>, NVOS46_PARAMETERS_V580>);
  static_assert(std::is_same_v<ArgsOf<NvIoctl::UVM_FREE_V590>, UVM_FREE_PARAMS_V590>);
  static_assert(NvIoctlRow<NvIoctl::RM_ALLOC_NVOS64>::request == 0xC030462Bul);
  static_assert(NvIoctlRow<NvIoctl::UVM_INITIALIZE>::request == UVM_INITIALIZE);
  static_assert(NvIoctlRow<NvIoctl::UVM_MAP_EXTERNAL_ALLOCATION>::request == 33);
  NVOS54_PARAMETERS p{};
  EXPECT_EQ(NvIoctlRow<NvIoctl::RM_CONTROL>::status(p), &p.status);
  nv_ioctl_nvos33_parameters_with_fd m{};
  EXPECT_EQ(NvIoctlRow<NvIoctl::RM_MAP_MEMORY>::status(m), &m.params.status);
  UVM_FREE_PARAMS_V590 f{};
  EXPECT_EQ(NvIoctlRow<NvIoctl::UVM_FREE_V590>::status(f), &f.rmStatus);
  nv_ioctl_register_fd_t r{};
  EXPECT_EQ(NvIoctlRow<NvIoctl::REGISTER_FD>::status(r), nullptr);
}

TEST(NvDescribe, TablesAreSoundAndCoverEveryByte) {
  EXPECT_EQ(nv_table_problems(nv_ioctls()), "");
  EXPECT_EQ(nv_table_problems(rm_controls()), "");
  EXPECT_EQ(nv_table_problems(rm_classes()), "");
  expect_full_coverage(nv_ioctls());
  expect_full_coverage(rm_controls());
  expect_full_coverage(rm_classes());
  // The checker does see real problems: a second row with another name for a UVM number.
  const core::IoctlDesc dup[] = {nv_ioctl(NvIoctl::UVM_FREE), nv_ioctl(NvIoctl::UVM_FREE_V590)};
  core::IoctlDesc renamed[] = {dup[0], dup[1]};
  renamed[1].name = "UVM_FREE_TWICE";
  renamed[1].since = 0;
  EXPECT_EQ(nv_table_problems({.driver = "t", .rows = dup}), "");
  EXPECT_NE(nv_table_problems({.driver = "t", .rows = renamed}), "");
}

TEST(NvDescribe, RmControlAndClassTablesMatchTheFactSheet) {
  expect_sub_table(rm_controls(), kExpectedControls);
  expect_sub_table(rm_classes(), kExpectedClasses);
  EXPECT_EQ(rm_controls().driver, "nvidia-rm-control");
  EXPECT_EQ(rm_classes().driver, "nvidia-rm-class");
  EXPECT_EQ(rm_control_name(NV2080_CTRL_CMD_GR_GET_INFO), "NV2080_CTRL_CMD_GR_GET_INFO");
  EXPECT_EQ(rm_control_name(0x20800999), "");
  EXPECT_EQ(rm_class_name(FERMI_VASPACE_A), "FERMI_VASPACE_A");
  EXPECT_EQ(rm_class_name(HOPPER_COMPUTE_A), "HOPPER_COMPUTE_A");
  EXPECT_EQ(rm_class_name(0xBEEF), "");
  EXPECT_EQ(rm_op_name("NV_ESC_RM_ALLOC", "", 0xBEEF), "NV_ESC_RM_ALLOC 0xbeef");
  EXPECT_EQ(find_versioned(rm_classes(), NV01_DEVICE_0)->args_type, "NV0080_ALLOC_PARAMETERS");
  EXPECT_EQ(find_versioned(rm_controls(), NV2080_CTRL_CMD_GR_GET_INFO)->args_type,
            "NV2080_CTRL_GR_GET_INFO_PARAMS");
  EXPECT_EQ(rm_control_names().size(), std::size(kExpectedControls));
  EXPECT_EQ(rm_class_names().size(), std::size(kExpectedClasses));
  EXPECT_EQ(engine_type_names().size(), 3u);
}

TEST(NvDescribe, VersionedRowsAreChosenByBranch) {
  auto size_of = [](const core::IoctlTable& t, uint32_t id, uint32_t branch) {
    const core::IoctlDesc* d = find_versioned(t, id, branch);
    return d != nullptr ? d->size : ~0u;
  };
  EXPECT_EQ(size_of(nv_ioctls(), NV_ESC_RM_MAP_MEMORY_DMA, 570), 56u);
  EXPECT_EQ(size_of(nv_ioctls(), NV_ESC_RM_MAP_MEMORY_DMA, 575), 56u);
  EXPECT_EQ(size_of(nv_ioctls(), NV_ESC_RM_MAP_MEMORY_DMA, 580), 64u);
  EXPECT_EQ(size_of(nv_ioctls(), NV_ESC_RM_MAP_MEMORY_DMA, 610), 64u);
  EXPECT_EQ(size_of(nv_ioctls(), UVM_FREE, 580), 24u);
  EXPECT_EQ(size_of(nv_ioctls(), UVM_FREE, 590), 16u);
  EXPECT_EQ(size_of(nv_ioctls(), UVM_UNREGISTER_CHANNEL, 580), 28u);
  EXPECT_EQ(size_of(nv_ioctls(), UVM_UNREGISTER_CHANNEL, 610), 12u);
  EXPECT_EQ(size_of(rm_controls(), NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, 570), 2u);
  EXPECT_EQ(size_of(rm_controls(), NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, 575), 3u);
  EXPECT_EQ(size_of(rm_controls(), NVA06F_CTRL_CMD_GPFIFO_SCHEDULE, 580), 3u);
  EXPECT_EQ(size_of(rm_controls(), NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2, 570), 404u);
  EXPECT_EQ(size_of(rm_controls(), NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2, 580), 804u);
  EXPECT_EQ(size_of(rm_classes(), FERMI_VASPACE_A, 570), 48u);
  EXPECT_EQ(size_of(rm_classes(), FERMI_VASPACE_A, 580), 56u);
  EXPECT_EQ(size_of(rm_classes(), HOPPER_CHANNEL_GPFIFO_A, 580), 368u);
  EXPECT_EQ(size_of(rm_classes(), HOPPER_CHANNEL_GPFIFO_A, 595), 368u);
  EXPECT_EQ(size_of(rm_classes(), HOPPER_CHANNEL_GPFIFO_A, 610), 376u);
  EXPECT_EQ(size_of(rm_classes(), HOPPER_CHANNEL_GPFIFO_A, 0), 376u) << "0 = newest";
  EXPECT_EQ(find_sized(rm_classes(), FERMI_VASPACE_A, 56)->since, 580u);
  EXPECT_EQ(find_sized(rm_classes(), FERMI_VASPACE_A, 50), nullptr);
  // A decoder of a UVM trace needs the branch: the number alone cannot tell the layouts apart.
  EXPECT_EQ(find_nv_request(UVM_FREE, 580).desc, &nv_ioctl(NvIoctl::UVM_FREE));
  EXPECT_EQ(find_nv_request(UVM_FREE, 595).desc, &nv_ioctl(NvIoctl::UVM_FREE_V590));
  EXPECT_EQ(find_nv_request(UVM_FREE).desc, &nv_ioctl(NvIoctl::UVM_FREE_V590));
  EXPECT_EQ(find_nv_request(0xC0384657ul, 580).desc, &nv_ioctl(NvIoctl::RM_MAP_MEMORY_DMA))
      << "escapes are matched by size, whatever the branch";
  EXPECT_FALSE(find_nv_request(0x30000003ul));
}

TEST(NvDescribe, DescribeRequestForADecoder) {
  const core::IoctlTable& t = nv_ioctls();
  EXPECT_EQ(core::describe_request(t, 0xC0404657ul), "NV_ESC_RM_MAP_MEMORY_DMA");
  EXPECT_EQ(core::describe_request(t, core::ioc(core::IoctlDir::kReadWrite, 'F', 0x57, 60)),
            "NV_ESC_RM_MAP_MEMORY_DMA (size 60, expected 64)");
  EXPECT_EQ(core::describe_request(t, core::ioc(core::IoctlDir::kReadWrite, 'F', 0xC8, 100)),
            "NV_ESC_CARD_INFO (size 100, expected 72 + n*72)");
  EXPECT_EQ(core::describe_request(t, 0xC0104650ul),
            "nvidia ioctl 0xc0104650 (unknown: type 0x46 nr 0x50 size 16)");
  EXPECT_EQ(core::describe_request(t, UVM_CREATE_EXTERNAL_RANGE), "UVM_CREATE_EXTERNAL_RANGE");
}

TEST(NvDescribe, FormatArgsExactStrings) {
  nv_ioctl_register_fd_t reg{3};
  EXPECT_EQ(core::format_args(nv_ioctl(NvIoctl::REGISTER_FD), &reg, sizeof reg, Phase::kIn),
            "NV_ESC_REGISTER_FD{ctl_fd=3}");

  UVM_CREATE_EXTERNAL_RANGE_PARAMS r{};
  r.base = 0x1000000000;
  r.length = 0x200000;
  const auto& range_row = nv_ioctl(NvIoctl::UVM_CREATE_EXTERNAL_RANGE);
  EXPECT_EQ(core::format_args(range_row, &r, sizeof r, Phase::kIn),
            "UVM_CREATE_EXTERNAL_RANGE{base=0x1000000000, length=0x200000}");
  r.rmStatus = NV_ERR_UVM_ADDRESS_IN_USE;
  EXPECT_EQ(core::format_args(range_row, &r, sizeof r, Phase::kOut),
            "UVM_CREATE_EXTERNAL_RANGE{rmStatus=NV_ERR_UVM_ADDRESS_IN_USE}");
  r.rmStatus = 0x12345;
  EXPECT_EQ(core::format_args(range_row, &r, sizeof r, Phase::kOut),
            "UVM_CREATE_EXTERNAL_RANGE{rmStatus=0x12345 /* NV_ERR_??? */}");

  NVOS21_PARAMETERS a{};
  a.hRoot = kClient;
  a.hObjectParent = kClient;
  a.hClass = NV01_DEVICE_0;
  a.pAllocParms = 0x7FFF0000;
  a.paramsSize = 56;
  EXPECT_EQ(core::format_args(nv_ioctl(NvIoctl::RM_ALLOC), &a, sizeof a, Phase::kIn),
            "NV_ESC_RM_ALLOC{hRoot=0xc1d00001, hObjectParent=0xc1d00001, hObjectNew=0x0, "
            "hClass=NV01_DEVICE_0, pAllocParms=0x7fff0000, paramsSize=56}");
  NVOS21_PARAMETERS after = a;
  after.hObjectNew = kDevice;
  EXPECT_EQ(core::format_args(nv_ioctl(NvIoctl::RM_ALLOC), &a, &after, sizeof a),
            "NV_ESC_RM_ALLOC{hObjectNew=0x0 => 0xcaf00001, status=NV_OK}");

  nv_ioctl_nvos02_parameters_with_fd m{};
  m.params.hRoot = kClient;
  m.params.hObjectParent = kDevice;
  m.params.hObjectNew = 0x1001;
  m.params.hClass = NV01_MEMORY_SYSTEM_OS_DESCRIPTOR;
  m.params.flags = 0x40001010;
  m.params.pMemory = 0x1000000000;
  m.params.limit = 0xFFF;
  m.fd = -1;
  EXPECT_EQ(core::format_args(nv_ioctl(NvIoctl::RM_ALLOC_MEMORY), &m, sizeof m, Phase::kIn),
            "NV_ESC_RM_ALLOC_MEMORY{params.hRoot=0xc1d00001, params.hObjectParent=0xcaf00001, "
            "params.hObjectNew=0x1001, params.hClass=NV01_MEMORY_SYSTEM_OS_DESCRIPTOR, "
            "params.flags=NVOS02_FLAGS_PHYSICALITY_NONCONTIGUOUS|NVOS02_FLAGS_COHERENCY_CACHED|"
            "NVOS02_FLAGS_MAPPING_NO_MAP, params.pMemory=0x1000000000, params.limit=0xfff, "
            "fd=-1}");

  nv_ioctl_rm_api_version_t v{};
  v.cmd = NV_RM_API_VERSION_CMD_QUERY;
  EXPECT_EQ(core::format_args(nv_ioctl(NvIoctl::CHECK_VERSION_STR), &v, sizeof v, Phase::kIn),
            "NV_ESC_CHECK_VERSION_STR{cmd=NV_RM_API_VERSION_CMD_QUERY, versionString=\"\"}");
  v.reply = NV_RM_API_VERSION_REPLY_RECOGNIZED;
  std::memcpy(v.versionString, "580.65.06", 9);
  EXPECT_EQ(core::format_args(nv_ioctl(NvIoctl::CHECK_VERSION_STR), &v, sizeof v, Phase::kOut),
            "NV_ESC_CHECK_VERSION_STR{reply=NV_RM_API_VERSION_REPLY_RECOGNIZED, "
            "versionString=\"580.65.06\"}");
}

TEST(NvDescribe, RmControlAndAllocDecodeTheirParams) {
  NV2080_CTRL_GR_GET_INFO_PARAMS gr{};
  gr.grInfoListSize = 5;
  gr.grInfoList = 0x7F0000001000;
  NVOS54_PARAMETERS c{};
  c.hClient = kClient;
  c.hObject = kSubdevice;
  c.cmd = NV2080_CTRL_CMD_GR_GET_INFO;
  c.params = reinterpret_cast<uintptr_t>(&gr);
  c.paramsSize = sizeof gr;
  EXPECT_EQ(format_rm_control(c, &gr, sizeof gr, Phase::kIn),
            "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO{hClient=0xc1d00001, "
            "hObject=0xcaf00002, flags=0x0, params={grInfoListSize=5, grInfoList=0x7f0000001000, "
            "grRouteInfo.flags=0x0, grRouteInfo.route=0x0}}");
  EXPECT_EQ(format_rm_control(c, &gr, sizeof gr, Phase::kOut),
            "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO{status=NV_OK}");
  c.status = NV_ERR_NOT_SUPPORTED;
  EXPECT_EQ(format_rm_control(c, &gr, sizeof gr, Phase::kOut),
            "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO{status=NV_ERR_NOT_SUPPORTED}");

  NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS tok{0x2A};
  NVOS54_PARAMETERS t{};
  t.hClient = kClient;
  t.hObject = 0xCAF00010;
  t.cmd = NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN;
  t.params = 0x1000;
  t.paramsSize = sizeof tok;
  EXPECT_EQ(format_rm_control(t, &tok, sizeof tok, Phase::kOut),
            "NV_ESC_RM_CONTROL NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN{status=NV_OK, "
            "params={workSubmitToken=0x2a}}");

  // Unknown command, and a size no layout has: the params are shown raw.
  t.cmd = 0x20800999;
  EXPECT_EQ(format_rm_control(t, &tok, sizeof tok, Phase::kIn),
            "NV_ESC_RM_CONTROL 0x20800999{hClient=0xc1d00001, hObject=0xcaf00010, flags=0x0, "
            "params=0x1000, paramsSize=4}");
  t.cmd = NVA06C_CTRL_CMD_GPFIFO_SCHEDULE;
  t.paramsSize = 4;
  EXPECT_EQ(format_rm_control(t, &tok, sizeof tok, Phase::kIn),
            "NV_ESC_RM_CONTROL NVA06C_CTRL_CMD_GPFIFO_SCHEDULE{hClient=0xc1d00001, "
            "hObject=0xcaf00010, flags=0x0, params=0x1000, paramsSize=4 /* expected 3 */}");
  // The 575+ schedule layout is picked by its size.
  NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575 sched{1, 0, 0};
  t.paramsSize = sizeof sched;
  EXPECT_EQ(format_rm_control(t, &sched, sizeof sched, Phase::kIn),
            "NV_ESC_RM_CONTROL NVA06C_CTRL_CMD_GPFIFO_SCHEDULE{hClient=0xc1d00001, "
            "hObject=0xcaf00010, flags=0x0, params={bEnable=1, bSkipSubmit=0, bSkipEnable=0}}");

  NV_VASPACE_ALLOCATION_PARAMETERS_V580 va{};
  va.flags = NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING |
             NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED;
  va.vaSize = 0x1FFFFFB000000;
  va.vaBase = 0x1000;
  NVOS21_PARAMETERS a{};
  a.hRoot = kClient;
  a.hObjectParent = kDevice;
  a.hClass = FERMI_VASPACE_A;
  a.pAllocParms = reinterpret_cast<uintptr_t>(&va);
  EXPECT_EQ(
      format_rm_alloc(a, &va, sizeof va, Phase::kIn, 580),
      "NV_ESC_RM_ALLOC FERMI_VASPACE_A{hRoot=0xc1d00001, hObjectParent=0xcaf00001, "
      "hObjectNew=0x0, params={index=0, flags=NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED|"
      "NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING, vaSize=0x1fffffb000000, "
      "vaStartInternal=0x0, vaLimitInternal=0x0, bigPageSize=0x0, vaBase=0x1000, pasid=0}}");
  // On a 570 driver the same bytes are the 48-byte layout.
  EXPECT_EQ(
      format_rm_alloc(a, &va, sizeof(NV_VASPACE_ALLOCATION_PARAMETERS), Phase::kIn, 570),
      "NV_ESC_RM_ALLOC FERMI_VASPACE_A{hRoot=0xc1d00001, hObjectParent=0xcaf00001, "
      "hObjectNew=0x0, params={index=0, flags=NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED|"
      "NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING, vaSize=0x1fffffb000000, "
      "vaStartInternal=0x0, vaLimitInternal=0x0, bigPageSize=0x0, vaBase=0x1000}}");
  a.hObjectNew = 0xCAF00005;
  EXPECT_EQ(format_rm_alloc(a, &va, sizeof va, Phase::kOut, 580),
            "NV_ESC_RM_ALLOC FERMI_VASPACE_A{hObjectNew=0xcaf00005, status=NV_OK}");

  // Classes without params, and a NULL for a class that has them.
  NVOS21_PARAMETERS compute{};
  compute.hRoot = kClient;
  compute.hObjectParent = 0xCAF00010;
  compute.hClass = HOPPER_COMPUTE_A;
  EXPECT_EQ(format_rm_alloc(compute, nullptr, 0, Phase::kIn),
            "NV_ESC_RM_ALLOC HOPPER_COMPUTE_A{hRoot=0xc1d00001, hObjectParent=0xcaf00010, "
            "hObjectNew=0x0}");
  compute.hClass = HOPPER_USERMODE_A;
  EXPECT_EQ(format_rm_alloc(compute, nullptr, 0, Phase::kIn),
            "NV_ESC_RM_ALLOC HOPPER_USERMODE_A{hRoot=0xc1d00001, hObjectParent=0xcaf00010, "
            "hObjectNew=0x0, params=NULL}");

  // Big, mostly-zero params print only what is set.
  NV_CHANNEL_ALLOC_PARAMS ch{};
  ch.hObjectError = 0xCAF00020;
  ch.gpFifoOffset = 0x1000000000;
  ch.gpFifoEntries = 0x10000;
  ch.hContextShare = 0xCAF00021;
  ch.hUserdMemory[0] = 0xCAF00022;
  ch.userdOffset[0] = 0x80000;
  NVOS21_PARAMETERS g{};
  g.hRoot = kClient;
  g.hObjectParent = 0xCAF00023;
  g.hClass = HOPPER_CHANNEL_GPFIFO_A;
  EXPECT_EQ(format_rm_alloc(g, &ch, sizeof ch, Phase::kIn, 580),
            "NV_ESC_RM_ALLOC HOPPER_CHANNEL_GPFIFO_A{hRoot=0xc1d00001, hObjectParent=0xcaf00023, "
            "hObjectNew=0x0, params={hObjectError=0xcaf00020, gpFifoOffset=0x1000000000, "
            "gpFifoEntries=65536, hContextShare=0xcaf00021, hUserdMemory[0]=0xcaf00022, "
            "userdOffset[0]=0x80000}}");
}

TEST(NvDescribe, ArrayPrinters) {
  nv_ioctl_card_info_t cards[3]{};
  cards[0].valid = 1;
  cards[0].pci_info.bus = 0x41;
  cards[0].pci_info.vendor_id = 0x10DE;
  cards[0].pci_info.device_id = 0x2335;
  cards[0].gpu_id = 0x4100;
  cards[0].minor_number = 0;
  cards[2].valid = 1;
  cards[2].gpu_id = 0x8100;
  cards[2].minor_number = 1;
  const core::IoctlDesc& row = nv_ioctl(NvIoctl::CARD_INFO);
  EXPECT_EQ(core::format_args(row, cards, sizeof cards, Phase::kIn), "NV_ESC_CARD_INFO{entries=3}");
  const std::string out = core::format_args(row, cards, sizeof cards, Phase::kOut);
  EXPECT_EQ(out.find("NV_ESC_CARD_INFO{[0]={valid=1, pci_info.domain=0x0, pci_info.bus=0x41, "
                     "pci_info.slot=0x0, pci_info.function=0, pci_info.vendor_id=0x10de, "
                     "pci_info.device_id=0x2335, gpu_id=0x4100,"),
            0u)
      << out;
  EXPECT_NE(out.find(", [2]={valid=1,"), std::string::npos) << out;
  EXPECT_EQ(out.find("[1]="), std::string::npos) << "invalid slots are skipped: " << out;

  UVM_MAP_EXTERNAL_ALLOCATION_PARAMS m{};
  m.base = 0x1000000000;
  m.length = 0x200000;
  m.perGpuAttributes[0].gpuUuid = uuid_of(0xA0);
  m.perGpuAttributes[0].gpuMappingType = UvmGpuMappingTypeReadWriteAtomic;
  m.gpuAttributesCount = 1;
  m.rmCtrlFd = 3;
  m.hClient = kClient;
  m.hMemory = 0xCAF00030;
  const core::IoctlDesc& map_row = nv_ioctl(NvIoctl::UVM_MAP_EXTERNAL_ALLOCATION);
  EXPECT_EQ(core::format_args(map_row, &m, sizeof m, Phase::kIn),
            "UVM_MAP_EXTERNAL_ALLOCATION{base=0x1000000000, length=0x200000, offset=0x0, "
            "perGpuAttributes=[{gpuUuid=[a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af], "
            "gpuMappingType=UvmGpuMappingTypeReadWriteAtomic, gpuCachingType=0, "
            "gpuFormatType=0, gpuElementBits=0, gpuCompressionType=0}], gpuAttributesCount=1, "
            "rmCtrlFd=3, hClient=0xc1d00001, hMemory=0xcaf00030}");
  EXPECT_EQ(core::format_args(map_row, &m, sizeof m, Phase::kOut),
            "UVM_MAP_EXTERNAL_ALLOCATION{rmStatus=NV_OK}");
}

TEST(NvDescribe, ArchClassTable) {
  ASSERT_EQ(std::size(kNvArchClasses), 7u);
  for (size_t i = 0; i < std::size(kNvArchClasses); ++i) {
    const NvArchClasses& a = kNvArchClasses[i];
    SCOPED_TRACE(std::string(a.name));
    EXPECT_EQ(static_cast<size_t>(a.arch), i);
    // Every class the table names is described, so the decoder and rm_alloc know it.
    EXPECT_NE(rm_class_name(a.compute), "");
    auto described = [](std::span<const uint32_t> classes) {
      for (uint32_t c : classes) {
        if (c != 0) {
          EXPECT_NE(rm_class_name(c), "") << std::hex << c;
        }
      }
    };
    described(a.gpfifo);
    described(a.copy);
    described(a.usermode);
  }
  const NvArchClasses& h = arch_classes(NvArch::kHopper);
  EXPECT_EQ(h.chips, "GH100");
  EXPECT_EQ(h.compute, HOPPER_COMPUTE_A);
  EXPECT_EQ(h.gpfifo[0], HOPPER_CHANNEL_GPFIFO_A);
  EXPECT_EQ(h.copy[0], HOPPER_DMA_COPY_A);
  EXPECT_EQ(h.usermode[0], HOPPER_USERMODE_A);
  EXPECT_EQ(arch_classes(NvArch::kAda).compute, ADA_COMPUTE_A);
  EXPECT_EQ(arch_classes(NvArch::kGA10x).copy[0], AMPERE_DMA_COPY_B);
  EXPECT_EQ(arch_classes(NvArch::kBlackwell).gpfifo[0], BLACKWELL_CHANNEL_GPFIFO_B);
  EXPECT_EQ(arch_classes(NvArch::kTuring).usermode[0], TURING_USERMODE_A);

  // A GH100 class list (a part of what GET_CLASSLIST reports there).
  const uint32_t gh100[] = {NV01_ROOT_CLIENT,        NV01_DEVICE_0,    AMPERE_CHANNEL_GPFIFO_A,
                            HOPPER_CHANNEL_GPFIFO_A, HOPPER_COMPUTE_A, HOPPER_DMA_COPY_A,
                            HOPPER_USERMODE_A,       TURING_USERMODE_A};
  const NvArchClasses* found = find_arch_by_class_list(gh100);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->arch, NvArch::kHopper);
  EXPECT_EQ(first_present(found->gpfifo, gh100), HOPPER_CHANNEL_GPFIFO_A);
  EXPECT_EQ(first_present(found->usermode, gh100), HOPPER_USERMODE_A);
  const uint32_t tg_compute[] = {BLACKWELL_COMPUTE_B, ADA_COMPUTE_A, AMPERE_COMPUTE_B};
  EXPECT_EQ(first_present(tg_compute, gh100), 0u) << "tinygrad's list has no Hopper compute";
  EXPECT_FALSE(is_blackwell_compute(HOPPER_COMPUTE_A));
  EXPECT_TRUE(is_blackwell_compute(BLACKWELL_COMPUTE_A));
  const uint32_t none[] = {NV01_DEVICE_0};
  EXPECT_EQ(find_arch_by_class_list(none), nullptr);
}

// =============================================================================================
// Status codes.

TEST(NvStatus, NamesAndValuesOfTheFactSheet) {
  struct Code {
    const char* name;
    uint32_t value;
  };
  constexpr Code kCodes[] = {
      {"NV_OK", 0x00},
      {"NV_ERR_BUSY_RETRY", 0x03},
      {"NV_ERR_GPU_IS_LOST", 0x0F},
      {"NV_ERR_GPU_UUID_NOT_FOUND", 0x12},
      {"NV_ERR_ILLEGAL_ACTION", 0x16},
      {"NV_ERR_IN_USE", 0x17},
      {"NV_ERR_INSERT_DUPLICATE_NAME", 0x19},
      {"NV_ERR_INSUFFICIENT_RESOURCES", 0x1A},
      {"NV_ERR_INSUFFICIENT_PERMISSIONS", 0x1B},
      {"NV_ERR_INVALID_ACCESS_TYPE", 0x1D},
      {"NV_ERR_INVALID_ADDRESS", 0x1E},
      {"NV_ERR_INVALID_ARGUMENT", 0x1F},
      {"NV_ERR_INVALID_CHANNEL", 0x21},
      {"NV_ERR_INVALID_CLASS", 0x22},
      {"NV_ERR_INVALID_CLIENT", 0x23},
      {"NV_ERR_INVALID_COMMAND", 0x24},
      {"NV_ERR_INVALID_DATA", 0x25},
      {"NV_ERR_INVALID_DEVICE", 0x26},
      {"NV_ERR_INVALID_FLAGS", 0x29},
      {"NV_ERR_INVALID_INDEX", 0x2C},
      {"NV_ERR_INVALID_LIMIT", 0x2E},
      {"NV_ERR_INVALID_LOCK_STATE", 0x2F},
      {"NV_ERR_INVALID_OBJECT", 0x31},
      {"NV_ERR_INVALID_OBJECT_HANDLE", 0x33},
      {"NV_ERR_INVALID_OBJECT_NEW", 0x34},
      {"NV_ERR_INVALID_OBJECT_PARENT", 0x36},
      {"NV_ERR_INVALID_OFFSET", 0x37},
      {"NV_ERR_INVALID_OPERATION", 0x38},
      {"NV_ERR_INVALID_PARAM_STRUCT", 0x3A},
      {"NV_ERR_INVALID_POINTER", 0x3D},
      {"NV_ERR_INVALID_REQUEST", 0x3F},
      {"NV_ERR_INVALID_STATE", 0x40},
      {"NV_ERR_MISSING_TABLE_ENTRY", 0x4A},
      {"NV_ERR_NO_MEMORY", 0x51},
      {"NV_ERR_NOT_COMPATIBLE", 0x54},
      {"NV_ERR_NOT_READY", 0x55},
      {"NV_ERR_NOT_SUPPORTED", 0x56},
      {"NV_ERR_OBJECT_NOT_FOUND", 0x57},
      {"NV_ERR_OPERATING_SYSTEM", 0x59},
      {"NV_ERR_PAGE_TABLE_NOT_AVAIL", 0x5D},
      {"NV_ERR_RC_ERROR", 0x60},
      {"NV_ERR_STATE_IN_USE", 0x63},
      {"NV_ERR_TIMEOUT", 0x65},
      {"NV_ERR_UVM_ADDRESS_IN_USE", 0x68},
      {"NV_ERR_GENERIC", 0xFFFF},
      {"NV_WARN_NOTHING_TO_DO", 0x10006},
  };
  EXPECT_EQ(std::size(kNvStatusNames), std::size(kCodes));
  for (const Code& c : kCodes) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(nv_status_name(c.value), c.name);
    if (c.value != NV_OK) {
      EXPECT_FALSE(nv_status_hint(c.value).empty());
    }
  }
  EXPECT_EQ(NV_ERR_INVALID_OBJECT_HANDLE, 0x33u);
  EXPECT_EQ(NV_ERR_UVM_ADDRESS_IN_USE, 0x68u);
  EXPECT_EQ(nv_status_name(0x12345), "");
  EXPECT_EQ(nv_status_hint(0x12345), "");
  EXPECT_EQ(nv_status_string(NV_ERR_NO_MEMORY), "NV_ERR_NO_MEMORY (0x51)");
  EXPECT_EQ(nv_status_string(0x12345), "NV_STATUS 0x12345 (unknown)");
}

TEST(NvStatus, ErrorCarriesOperationStatusNameAndHint) {
  core::Error e = nv_status_error("NV_ESC_RM_ALLOC NV01_MEMORY_LOCAL_USER", NV_ERR_NO_MEMORY);
  EXPECT_EQ(e.kind(), core::ErrorKind::kDriver);
  EXPECT_EQ(e.op(), "NV_ESC_RM_ALLOC NV01_MEMORY_LOCAL_USER");
  EXPECT_EQ(e.err(), 0);
  EXPECT_EQ(e.status(), 0x51);
  EXPECT_EQ(e.status_name(), "NV_ERR_NO_MEMORY");
  EXPECT_EQ(e.message(),
            "NV_ESC_RM_ALLOC NV01_MEMORY_LOCAL_USER: driver status NV_ERR_NO_MEMORY (0x51): out "
            "of memory; free buffers or allocate less");
  core::Error d = nv_status_error("UVM_FREE", NV_ERR_INVALID_ADDRESS, "base 0x1000");
  EXPECT_EQ(d.hint(), "the address is invalid or misaligned for this call; base 0x1000");
  core::Error u = nv_status_error("UVM_FREE", 0x12345);
  EXPECT_EQ(u.status(), 0x12345);
  EXPECT_EQ(u.status_name(), "NV_STATUS 0x12345");
  EXPECT_NE(u.message().find("(0x12345)"), std::string::npos) << u.message();
}

// =============================================================================================
// Driver version and ABI selection.

TEST(NvIoctlVersion, ParseVersionStrings) {
  core::Result<DriverVersion> v = parse_driver_version("580.65.06");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->major, 580u);
  EXPECT_EQ(v->minor, 65u);
  EXPECT_EQ(v->patch, 6u);
  EXPECT_EQ(v->text, "580.65.06");
  const char* proc =
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  610.43.03  Release Build  "
      "(dvs-builder@U22)  Tue Jan  6 12:00:00 UTC 2026\nGCC version:  gcc version 12.2.0\n";
  v = parse_driver_version(proc);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->text, "610.43.03");
  v = parse_driver_version("575.51");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->patch, 0u);
  for (const char* bad : {"", "garbage", "580", "580..1", "x86_64 .5", "1.2.3.4"}) {
    core::Result<DriverVersion> b = parse_driver_version(bad, "test");
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().kind(), core::ErrorKind::kInvalidInput);
    EXPECT_EQ(b.error().op(), "test");
  }
}

TEST(NvIoctlVersion, LayoutsFollowTheBranch) {
  const NvAbi a570 = abi_of("570.86.16");
  EXPECT_EQ(a570.branch, 570u);
  EXPECT_FALSE(a570.gpfifo_schedule_v575);
  EXPECT_FALSE(a570.map_memory_dma_v580);
  EXPECT_FALSE(a570.vaspace_v580);
  EXPECT_FALSE(a570.classlist_v2_v580);
  EXPECT_FALSE(a570.uvm_free_v590);
  EXPECT_FALSE(a570.channel_alloc_v610);

  const NvAbi a575 = abi_of("575.51.02");
  EXPECT_TRUE(a575.gpfifo_schedule_v575);
  EXPECT_FALSE(a575.map_memory_dma_v580);

  const NvAbi a580 = abi_of("580.65.06");
  EXPECT_EQ(a580.version.text, "580.65.06");
  EXPECT_TRUE(a580.gpfifo_schedule_v575);
  EXPECT_TRUE(a580.map_memory_dma_v580);
  EXPECT_TRUE(a580.vaspace_v580);
  EXPECT_TRUE(a580.classlist_v2_v580);
  EXPECT_FALSE(a580.uvm_free_v590);
  EXPECT_FALSE(a580.uvm_unregister_channel_v590);
  EXPECT_FALSE(a580.channel_alloc_v610);
  EXPECT_FALSE(a580.escape_sizes_checked);

  const NvAbi a590 = abi_of("590.44.01");
  EXPECT_TRUE(a590.uvm_free_v590);
  EXPECT_TRUE(a590.uvm_unregister_channel_v590);
  EXPECT_FALSE(a590.channel_alloc_v610);
  EXPECT_TRUE(abi_of("595.45.04").escape_sizes_checked);

  const NvAbi a610 = abi_of("610.43.03");
  EXPECT_TRUE(a610.channel_alloc_v610);
  EXPECT_TRUE(a610.uvm_free_v590);
  EXPECT_TRUE(a610.map_memory_dma_v580);
}

TEST(NvIoctlVersion, UnknownBranchIsRefusedByName) {
  for (const char* version : {"600.10.01", "535.104.05", "620.1.1", "585.1.2"}) {
    core::Result<DriverVersion> v = parse_driver_version(version);
    ASSERT_TRUE(v.ok());
    core::Result<NvAbi> a = select_abi(*v);
    ASSERT_FALSE(a.ok()) << version;
    EXPECT_EQ(a.error().kind(), core::ErrorKind::kUnsupported);
    const std::string msg = a.error().message();
    EXPECT_NE(msg.find(version), std::string::npos) << msg;
    EXPECT_NE(msg.find("570, 575, 580, 590, 595, 610"), std::string::npos) << msg;
  }
  core::Result<NvAbi> old = select_abi(*parse_driver_version("570.86.10"));
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message().find("570.86.15"), std::string::npos) << old.error().message();
  EXPECT_TRUE(select_abi(*parse_driver_version("570.86.15")).ok());
}

TEST(NvIoctlVersion, DetectedAtOpenByCheckVersionQuery) {
  FakeNv fake;
  fake.handler = [](int, unsigned long req, void* arg) {
    EXPECT_EQ(req, 0xC04846D2ul);
    auto& v = as<nv_ioctl_rm_api_version_t>(arg);
    EXPECT_EQ(v.cmd, NV_RM_API_VERSION_CMD_QUERY);
    v.reply = NV_RM_API_VERSION_REPLY_RECOGNIZED;
    std::strcpy(v.versionString, "580.82.07");
    return 0;
  };
  core::Result<NvAbi> abi = detect_abi(fake, FakeNv::kCtlFd);
  ASSERT_TRUE(abi.ok()) << abi.error().message();
  EXPECT_EQ(abi->branch, 580u);
  EXPECT_EQ(abi->version.text, "580.82.07");
  EXPECT_EQ(fake.calls.size(), 1u);

  // Unknown branch: refused with the version in the message.
  fake.handler = [](int, unsigned long, void* arg) {
    auto& v = as<nv_ioctl_rm_api_version_t>(arg);
    v.reply = NV_RM_API_VERSION_REPLY_RECOGNIZED;
    std::strcpy(v.versionString, "600.1.2");
    return 0;
  };
  abi = detect_abi(fake, FakeNv::kCtlFd);
  ASSERT_FALSE(abi.ok());
  EXPECT_EQ(abi.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(abi.error().message().find("600.1.2"), std::string::npos) << abi.error().message();
}

TEST(NvIoctlVersion, DetectionFallsBackToProcfs) {
  FakeNv fake;
  fake.handler = [](int, unsigned long, void*) { return -EINVAL; };
  fake.files[kProcDriverVersionPath] =
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  610.43.03  Release Build\n";
  core::Result<NvAbi> abi = detect_abi(fake, FakeNv::kCtlFd);
  ASSERT_TRUE(abi.ok()) << abi.error().message();
  EXPECT_EQ(abi->branch, 610u);
  EXPECT_TRUE(abi->channel_alloc_v610);

  fake.files.clear();
  abi = detect_abi(fake, FakeNv::kCtlFd);
  ASSERT_FALSE(abi.ok());
  const std::string msg = abi.error().message();
  EXPECT_NE(msg.find("NV_ESC_CHECK_VERSION_STR"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/proc/driver/nvidia/version"), std::string::npos) << msg;
}

TEST(NvIoctlVersion, CheckVersionMismatchNamesBothVersions) {
  FakeNv fake;
  fake.handler = [](int, unsigned long, void* arg) {
    auto& v = as<nv_ioctl_rm_api_version_t>(arg);
    EXPECT_EQ(v.cmd, NV_RM_API_VERSION_CMD_STRICT);
    EXPECT_STREQ(v.versionString, "570.86.16");
    v.reply = NV_RM_API_VERSION_REPLY_RECOGNIZED;
    std::memset(v.versionString, 0, sizeof v.versionString);
    std::strcpy(v.versionString, "580.65.06");
    return -EINVAL;
  };
  auto r = check_version_str(fake, FakeNv::kCtlFd, NV_RM_API_VERSION_CMD_STRICT, "570.86.16");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), core::ErrorKind::kSys);
  EXPECT_EQ(r.error().err(), EINVAL);
  EXPECT_EQ(r.error().op(), "NV_ESC_CHECK_VERSION_STR");
  const std::string msg = r.error().message();
  EXPECT_NE(msg.find("asked for '570.86.16', the kernel module is '580.65.06'"), std::string::npos)
      << msg;
}

TEST(NvIoctlVersion, BuildVersionControl) {
  FakeNv fake;
  fake.handler = [](int, unsigned long req, void* arg) {
    EXPECT_EQ(req, 0xC020462Aul);
    auto& c = as<NVOS54_PARAMETERS>(arg);
    EXPECT_EQ(c.cmd, NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2);
    EXPECT_EQ(c.paramsSize, 1032u);
    EXPECT_EQ(c.hObject, kClient);
    std::strcpy(params_of<NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS>(arg).driverVersionBuffer,
                "580.95.05");
    return 0;
  };
  core::Result<DriverVersion> v = get_build_version(fake, FakeNv::kCtlFd, kClient);
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->text, "580.95.05");
}

// =============================================================================================
// Typed calls and wrappers.

TEST(NvIoctlCall, TypedCallUsesTheRowRequest) {
  FakeNv fake;
  fake.handler = [](int fd, unsigned long req, void* arg) {
    EXPECT_EQ(fd, FakeNv::kUvmFd);
    EXPECT_EQ(req, 0x30000001ul);
    EXPECT_EQ(as<UVM_INITIALIZE_PARAMS>(arg).flags, 0u);
    return 0;
  };
  core::Result<UVM_INITIALIZE_PARAMS> r = call<NvIoctl::UVM_INITIALIZE>(fake, FakeNv::kUvmFd, {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(uvm_initialize(fake, FakeNv::kUvmFd).ok());
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.calls[0].in.size(), 16u);
}

TEST(NvIoctlCall, RmAllocSendsTheClassAndParamsAndReturnsTheHandle) {
  FakeNv fake;
  fake.handler = [](int fd, unsigned long req, void* arg) {
    EXPECT_EQ(fd, FakeNv::kCtlFd);
    EXPECT_EQ(req, 0xC020462Bul);
    auto& a = as<NVOS21_PARAMETERS>(arg);
    if (a.hClass == NV01_ROOT_CLIENT) {
      EXPECT_EQ(a.pAllocParms, 0u);
      a.hObjectNew = kClient;
      return 0;
    }
    EXPECT_EQ(a.hClass, NV01_DEVICE_0);
    EXPECT_EQ(a.paramsSize, 56u);
    const auto& p =
        *reinterpret_cast<const NV0080_ALLOC_PARAMETERS*>(static_cast<uintptr_t>(a.pAllocParms));
    EXPECT_EQ(p.deviceId, 2u);
    EXPECT_EQ(p.hClientShare, kClient);
    a.hObjectNew = kDevice;
    return 0;
  };
  core::Result<uint32_t> client = rm_alloc(fake, FakeNv::kCtlFd, 0, 0, 0, NV01_ROOT_CLIENT);
  ASSERT_TRUE(client.ok()) << client.error().message();
  EXPECT_EQ(*client, kClient);
  NV0080_ALLOC_PARAMETERS dev{};
  dev.deviceId = 2;
  dev.hClientShare = kClient;
  core::Result<uint32_t> device =
      rm_alloc(fake, FakeNv::kCtlFd, kClient, kClient, 0, NV01_DEVICE_0, rm_params(dev));
  ASSERT_TRUE(device.ok()) << device.error().message();
  EXPECT_EQ(*device, kDevice);
  ASSERT_EQ(fake.calls.size(), 2u);
  const auto in = fake.calls[1].in_as<NVOS21_PARAMETERS>();
  EXPECT_EQ(in.hRoot, kClient);
  EXPECT_EQ(in.hObjectParent, kClient);
  EXPECT_EQ(in.hObjectNew, 0u);
}

TEST(NvIoctlCall, ParamsOfNoLayoutAreRefusedBeforeTheIoctl) {
  FakeNv fake;
  // A 4-byte struct for FERMI_VASPACE_A: no branch has that layout.
  NV2080_ALLOC_PARAMETERS tiny{};
  core::Result<uint32_t> r =
      rm_alloc(fake, FakeNv::kCtlFd, kClient, kDevice, 0, FERMI_VASPACE_A, rm_params(tiny));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), core::ErrorKind::kInvalidInput);
  EXPECT_EQ(r.error().op(), "NV_ESC_RM_ALLOC FERMI_VASPACE_A");
  EXPECT_EQ(r.error().hint(),
            "params are 4 bytes; FERMI_VASPACE_A takes NV_VASPACE_ALLOCATION_PARAMETERS (48 "
            "bytes) or NV_VASPACE_ALLOCATION_PARAMETERS_V580 (56 bytes, driver 580+)");
  NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575 sched{};
  core::Status s = rm_control(fake, FakeNv::kCtlFd, kClient, 0xCAF00040,
                              NV2080_CTRL_CMD_GR_GET_INFO, rm_params(sched));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO: invalid input: params are 3 bytes; "
            "NV2080_CTRL_CMD_GR_GET_INFO takes NV2080_CTRL_GR_GET_INFO_PARAMS (32 bytes)");
  s = rm_control(fake, FakeNv::kCtlFd, kClient, 0xCAF00040, NV2080_CTRL_CMD_GR_GET_INFO,
                 RmParams{nullptr, 32});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().hint(), "NULL params with paramsSize 32");
  EXPECT_TRUE(fake.calls.empty()) << "nothing reached the driver";
}

TEST(NvIoctlCall, HiddenFailuresInBandBecomeDriverErrorsWithTheStatusName) {
  FakeNv fake;
  fake.handler = [](int, unsigned long req, void* arg) {
    if (req == 0xC020462Aul) as<NVOS54_PARAMETERS>(arg).status = NV_ERR_INVALID_ARGUMENT;
    if (req == 0xC020462Bul) as<NVOS21_PARAMETERS>(arg).status = NV_ERR_NO_MEMORY;
    if (req == UVM_CREATE_EXTERNAL_RANGE)
      as<UVM_CREATE_EXTERNAL_RANGE_PARAMS>(arg).rmStatus = NV_ERR_UVM_ADDRESS_IN_USE;
    if (req == 0xC038464Eul)
      as<nv_ioctl_nvos33_parameters_with_fd>(arg).params.status = NV_ERR_STATE_IN_USE;
    if (req == 0xC01046CEul) as<nv_ioctl_alloc_os_event_t>(arg).Status = NV_ERR_INVALID_CLIENT;
    return 0;  // the ioctl itself succeeds
  };
  NV2080_CTRL_GR_INFO list[5]{};
  NV2080_CTRL_GR_GET_INFO_PARAMS gr{};
  gr.grInfoListSize = 5;
  gr.grInfoList = reinterpret_cast<uintptr_t>(list);
  core::Status s = rm_control(fake, FakeNv::kCtlFd, kClient, kSubdevice,
                              NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gr));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), core::ErrorKind::kDriver);
  EXPECT_EQ(s.error().op(), "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO");
  EXPECT_EQ(s.error().status(), NV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s.error().status_name(), "NV_ERR_INVALID_ARGUMENT");
  EXPECT_EQ(s.error().err(), 0);
  EXPECT_EQ(s.error().message(),
            "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO: driver status "
            "NV_ERR_INVALID_ARGUMENT (0x1f): an argument is wrong; most often paramsSize, or a "
            "params layout of another driver branch; sent NV2080_CTRL_GR_GET_INFO_PARAMS (32 "
            "bytes); layouts: NV2080_CTRL_GR_GET_INFO_PARAMS (32 bytes)");

  NV_MEMORY_ALLOCATION_PARAMS mem{};
  core::Result<uint32_t> a =
      rm_alloc(fake, FakeNv::kCtlFd, kClient, kDevice, 0, NV01_MEMORY_LOCAL_USER, rm_params(mem));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message(),
            "NV_ESC_RM_ALLOC NV01_MEMORY_LOCAL_USER: driver status NV_ERR_NO_MEMORY (0x51): out "
            "of memory; free buffers or allocate less");

  s = uvm_create_external_range(fake, FakeNv::kUvmFd, 0x1000000000, 0x200000);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().op(), "UVM_CREATE_EXTERNAL_RANGE");
  EXPECT_EQ(s.error().status_name(), "NV_ERR_UVM_ADDRESS_IN_USE");

  core::Result<uint64_t> map = rm_map_memory(
      fake, FakeNv::kCtlFd,
      {.hClient = kClient, .hDevice = kDevice, .hMemory = 0xCAF00050, .length = 0x1000}, 11);
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.error().op(), "NV_ESC_RM_MAP_MEMORY");
  EXPECT_NE(map.error().hint().find("fresh /dev/nvidia* fd"), std::string::npos);

  s = alloc_os_event(fake, FakeNv::kCtlFd, kClient, kDevice, 42);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().op(), "NV_ESC_ALLOC_OS_EVENT");
  EXPECT_EQ(s.error().status_name(), "NV_ERR_INVALID_CLIENT");
  EXPECT_EQ(fake.calls.back().in_as<nv_ioctl_alloc_os_event_t>().fd, 42u);
}

TEST(NvIoctlCall, MmInitializeNothingToDoIsSuccess) {
  FakeNv fake;
  fake.handler = [](int fd, unsigned long req, void* arg) {
    EXPECT_EQ(req, static_cast<unsigned long>(UVM_MM_INITIALIZE));
    EXPECT_EQ(fd, FakeNv::kUvmFd2);
    EXPECT_EQ(as<UVM_MM_INITIALIZE_PARAMS>(arg).uvmFd, FakeNv::kUvmFd);
    as<UVM_MM_INITIALIZE_PARAMS>(arg).rmStatus = NV_WARN_NOTHING_TO_DO;
    return 0;
  };
  EXPECT_TRUE(uvm_mm_initialize(fake, FakeNv::kUvmFd2, FakeNv::kUvmFd).ok());
  fake.handler = [](int, unsigned long, void* arg) {
    as<UVM_MM_INITIALIZE_PARAMS>(arg).rmStatus = NV_ERR_IN_USE;
    return 0;
  };
  core::Status s = uvm_mm_initialize(fake, FakeNv::kUvmFd2, FakeNv::kUvmFd);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().status_name(), "NV_ERR_IN_USE");
}

TEST(NvIoctlCall, ErrnoFailuresNameTheEscape) {
  FakeNv fake;
  core::FaultSys faults(fake);
  faults.add({.op = core::SysOp::kIoctl, .request = 0xC020462Aul, .err = EFAULT});
  faults.add({.op = core::SysOp::kIoctl, .request = 0xC00446C9ul, .err = EINVAL});
  faults.add({.op = core::SysOp::kIoctl,
              .request = static_cast<unsigned long>(UVM_MAP_EXTERNAL_ALLOCATION),
              .err = ENOMEM});
  faults.add({.op = core::SysOp::kIoctl, .request = 0xC020462Bul, .err = EINVAL});

  NV2080_CTRL_GR_GET_INFO_PARAMS gr{};
  core::Status s = rm_control(faults, FakeNv::kCtlFd, kClient, kSubdevice,
                              NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gr));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), core::ErrorKind::kSys);
  EXPECT_EQ(s.error().op(), "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO");
  EXPECT_EQ(s.error().err(), EFAULT);
  EXPECT_EQ(s.error().message(),
            "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO: EFAULT (Bad address): an argument "
            "pointer is not valid user memory");

  s = register_fd(faults, 11, FakeNv::kCtlFd);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().op(), "NV_ESC_REGISTER_FD");
  EXPECT_EQ(s.error().err(), EINVAL);
  EXPECT_NE(s.error().hint().find("ctl_fd must be an open /dev/nvidiactl fd"), std::string::npos);

  const UvmGpuMappingAttributes gpu{uuid_of(1), UvmGpuMappingTypeReadWriteAtomic};
  s = uvm_map_external_allocation(faults, FakeNv::kUvmFd,
                                  {.base = 0x1000000000,
                                   .length = 0x200000,
                                   .gpus = {&gpu, 1},
                                   .rm_ctrl_fd = FakeNv::kCtlFd,
                                   .hClient = kClient,
                                   .hMemory = 0xCAF00060});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().op(), "UVM_MAP_EXTERNAL_ALLOCATION");
  EXPECT_EQ(s.error().err(), ENOMEM);
  EXPECT_EQ(s.error().hint(), "the kernel could not allocate memory for the call");

  core::Result<uint32_t> a =
      rm_alloc(faults, FakeNv::kCtlFd, kClient, kDevice, 0, HOPPER_COMPUTE_A);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().op(), "NV_ESC_RM_ALLOC HOPPER_COMPUTE_A");
  EXPECT_EQ(a.error().err(), EINVAL);
  EXPECT_EQ(faults.injected(), 4u);
  EXPECT_TRUE(fake.calls.empty());
}

TEST(NvIoctlCall, ErrnoAndStatusAreBothKept) {
  FakeNv fake;
  fake.handler = [](int, unsigned long, void* arg) {
    as<NVOS00_PARAMETERS>(arg).status = NV_ERR_INVALID_OBJECT_HANDLE;
    return -EINVAL;
  };
  core::Status s = rm_free(fake, FakeNv::kCtlFd, kClient, kDevice, 0xCAF00070);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), core::ErrorKind::kSys);
  EXPECT_EQ(s.error().op(), "NV_ESC_RM_FREE");
  EXPECT_EQ(s.error().err(), EINVAL);
  EXPECT_EQ(s.error().status(), NV_ERR_INVALID_OBJECT_HANDLE);
  EXPECT_EQ(s.error().status_name(), "NV_ERR_INVALID_OBJECT_HANDLE");
  EXPECT_NE(s.error().message().find("driver status NV_ERR_INVALID_OBJECT_HANDLE"),
            std::string::npos)
      << s.error().message();
  EXPECT_EQ(fake.calls.back().request, 0xC0104629ul);
  EXPECT_EQ(fake.calls.back().in_as<NVOS00_PARAMETERS>().hObjectOld, 0xCAF00070u);
}

TEST(NvIoctlCall, VersionedWrappersSendTheBranchLayout) {
  FakeNv fake;
  fake.handler = [](int, unsigned long req, void* arg) {
    if (req == 0xC0384657ul) as<NVOS46_PARAMETERS>(arg).dmaOffset = 0x2000000000;
    if (req == 0xC0404657ul) as<NVOS46_PARAMETERS_V580>(arg).dmaOffset = 0x3000000000;
    return 0;
  };
  const MapMemoryDmaArgs m{.hClient = kClient,
                           .hDevice = kDevice,
                           .hDma = 0xCAF00080,
                           .hMemory = 0xCAF00081,
                           .length = 0x200000,
                           .flags = 0x8110,
                           .dmaOffset = 0x1000000000};
  core::Result<uint64_t> r = rm_map_memory_dma(fake, FakeNv::kCtlFd, abi_of("570.86.16"), m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, 0x2000000000u);
  EXPECT_EQ(fake.calls.back().request, 0xC0384657ul);
  EXPECT_EQ(fake.calls.back().in_as<NVOS46_PARAMETERS>().dmaOffset, 0x1000000000u);
  EXPECT_EQ(fake.calls.back().in_as<NVOS46_PARAMETERS>().flags, 0x8110u);
  r = rm_map_memory_dma(fake, FakeNv::kCtlFd, abi_of("580.65.06"), m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0x3000000000u);
  EXPECT_EQ(fake.calls.back().request, 0xC0404657ul);
  EXPECT_EQ(fake.calls.back().in_as<NVOS46_PARAMETERS_V580>().hMemory, 0xCAF00081u);
  MapMemoryDmaArgs with_kind = m;
  with_kind.kindOverride = 6;
  r = rm_map_memory_dma(fake, FakeNv::kCtlFd, abi_of("575.51.02"), with_kind);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), core::ErrorKind::kUnsupported);

  // UVM_FREE: the kernel copies its own struct; the status lands where the branch puts it.
  for (uint32_t branch : {580u, 590u}) {
    SCOPED_TRACE(branch);
    fake.branch = branch;
    fake.calls.clear();
    fake.handler = [branch](int, unsigned long, void* arg) {
      auto* p = static_cast<uint8_t*>(arg);
      const uint32_t status = NV_ERR_INVALID_ADDRESS;
      std::memcpy(p + (branch >= 590 ? 8 : 16), &status, 4);
      return 0;
    };
    const NvAbi abi = abi_of(branch == 580 ? "580.65.06" : "590.44.01");
    core::Status s = uvm_free(fake, FakeNv::kUvmFd, abi, 0x1000000000, 0x200000);
    ASSERT_FALSE(s.ok()) << "the in-band failure must be seen on every branch";
    EXPECT_EQ(s.error().status_name(), "NV_ERR_INVALID_ADDRESS");
    ASSERT_EQ(fake.calls.size(), 1u);
    EXPECT_EQ(fake.calls[0].in.size(), branch >= 590 ? 16u : 24u);
    uint64_t base = 0;
    std::memcpy(&base, fake.calls[0].in.data(), 8);
    EXPECT_EQ(base, 0x1000000000u);

    fake.handler = [](int, unsigned long, void*) { return 0; };
    ASSERT_TRUE(
        uvm_unregister_channel(fake, FakeNv::kUvmFd, abi, uuid_of(7), kClient, 0xCAF00090).ok());
    EXPECT_EQ(fake.calls.back().in.size(), branch >= 590 ? 12u : 28u);
    if (branch >= 590) {
      EXPECT_EQ(fake.calls.back().in_as<UVM_UNREGISTER_CHANNEL_PARAMS_V590>().hChannel,
                0xCAF00090u);
    } else {
      EXPECT_EQ(fake.calls.back().in_as<UVM_UNREGISTER_CHANNEL_PARAMS>().gpuUuid.uuid[0], 7);
    }
  }
}

TEST(NvIoctlCall, CardInfoAndAttach) {
  FakeNv fake;
  fake.handler = [](int, unsigned long req, void* arg) {
    if (req == 0xD20046C8ul) {
      auto* cards = static_cast<nv_ioctl_card_info_t*>(arg);
      cards[0].valid = 1;
      cards[0].gpu_id = 0x4100;
      cards[0].minor_number = 0;
      cards[3].valid = 1;
      cards[3].gpu_id = 0x8100;
      cards[3].minor_number = 3;
    }
    return 0;
  };
  core::Result<std::vector<nv_ioctl_card_info_t>> cards = card_info(fake, FakeNv::kCtlFd);
  ASSERT_TRUE(cards.ok()) << cards.error().message();
  ASSERT_EQ(cards->size(), 2u);
  EXPECT_EQ((*cards)[0].gpu_id, 0x4100u);
  EXPECT_EQ((*cards)[1].minor_number, 3u);
  EXPECT_EQ(fake.calls.back().in.size(), 64u * 72u);
  EXPECT_EQ(gpu_node_path((*cards)[1].minor_number), "/dev/nvidia3");
  EXPECT_FALSE(card_info(fake, FakeNv::kCtlFd, 0).ok());
  EXPECT_FALSE(card_info(fake, FakeNv::kCtlFd, 1000).ok()) << "past the 14-bit size";

  const uint32_t ids[] = {0x4100, 0x8100};
  ASSERT_TRUE(attach_gpus_to_fd(fake, FakeNv::kCtlFd, ids).ok());
  EXPECT_EQ(fake.calls.back().request, 0xC00846D4ul);
  ASSERT_EQ(fake.calls.back().in.size(), 8u);
  uint32_t sent[2];
  std::memcpy(sent, fake.calls.back().in.data(), 8);
  EXPECT_EQ(sent[1], 0x8100u);
  EXPECT_FALSE(attach_gpus_to_fd(fake, FakeNv::kCtlFd, {}).ok());
}

TEST(NvIoctlCall, UvmWrappersSendTheirFields) {
  FakeNv fake;
  fake.handler = [](int, unsigned long req, void* arg) {
    if (req == UVM_REGISTER_GPU) {
      auto& p = as<UVM_REGISTER_GPU_PARAMS>(arg);
      p.numaEnabled = 1;
      p.numaNodeId = 2;
    }
    return 0;
  };
  const NvProcessorUuid gpu = uuid_of(0x10);
  core::Result<UVM_REGISTER_GPU_PARAMS> reg = uvm_register_gpu(fake, FakeNv::kUvmFd, gpu);
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(reg->numaNodeId, 2);
  const auto rg = fake.calls.back().in_as<UVM_REGISTER_GPU_PARAMS>();
  EXPECT_EQ(rg.rmCtrlFd, -1);
  EXPECT_EQ(rg.gpu_uuid.uuid[15], 0x1F);

  ASSERT_TRUE(
      uvm_register_gpu_vaspace(fake, FakeNv::kUvmFd, gpu, FakeNv::kCtlFd, kClient, 0xCAF000A0)
          .ok());
  const auto vs = fake.calls.back().in_as<UVM_REGISTER_GPU_VASPACE_PARAMS>();
  EXPECT_EQ(vs.rmCtrlFd, FakeNv::kCtlFd);
  EXPECT_EQ(vs.hVaSpace, 0xCAF000A0u);

  ASSERT_TRUE(uvm_register_channel(fake, FakeNv::kUvmFd, gpu, FakeNv::kCtlFd, kClient, 0xCAF000B0,
                                   0x1004000000, 0x4000000)
                  .ok());
  const auto ch = fake.calls.back().in_as<UVM_REGISTER_CHANNEL_PARAMS>();
  EXPECT_EQ(ch.base, 0x1004000000u);
  EXPECT_EQ(ch.length, 0x4000000u);
  EXPECT_EQ(ch.hChannel, 0xCAF000B0u);

  ASSERT_TRUE(uvm_enable_peer_access(fake, FakeNv::kUvmFd, gpu, uuid_of(0x20)).ok());
  EXPECT_EQ(fake.calls.back().in_as<UVM_ENABLE_PEER_ACCESS_PARAMS>().gpuUuidB.uuid[0], 0x20);
  ASSERT_TRUE(uvm_disable_peer_access(fake, FakeNv::kUvmFd, gpu, uuid_of(0x20)).ok());
  ASSERT_TRUE(uvm_unmap_external(fake, FakeNv::kUvmFd, 0x1000000000, 0x200000, gpu).ok());
  EXPECT_EQ(fake.calls.back().request, static_cast<unsigned long>(UVM_UNMAP_EXTERNAL));
  ASSERT_TRUE(uvm_unregister_gpu_vaspace(fake, FakeNv::kUvmFd, gpu).ok());
  ASSERT_TRUE(uvm_unregister_gpu(fake, FakeNv::kUvmFd, gpu).ok());
  ASSERT_TRUE(uvm_deinitialize(fake, FakeNv::kUvmFd).ok());
  EXPECT_EQ(fake.calls.back().request, 0x30000002ul);
  EXPECT_TRUE(fake.calls.back().in.empty());

  const UvmGpuMappingAttributes gpus[2] = {{gpu, UvmGpuMappingTypeReadWriteAtomic},
                                           {uuid_of(0x20), UvmGpuMappingTypeReadWriteAtomic}};
  ASSERT_TRUE(uvm_map_external_allocation(fake, FakeNv::kUvmFd,
                                          {.base = 0x1000000000,
                                           .length = 0x200000,
                                           .gpus = gpus,
                                           .rm_ctrl_fd = FakeNv::kCtlFd,
                                           .hClient = kClient,
                                           .hMemory = 0xCAF000C0})
                  .ok());
  const auto mp = fake.calls.back().in_as<UVM_MAP_EXTERNAL_ALLOCATION_PARAMS>();
  EXPECT_EQ(mp.gpuAttributesCount, 2u);
  EXPECT_EQ(mp.perGpuAttributes[1].gpuUuid.uuid[0], 0x20);
  EXPECT_EQ(mp.perGpuAttributes[1].gpuMappingType, UvmGpuMappingTypeReadWriteAtomic);
  EXPECT_EQ(mp.hMemory, 0xCAF000C0u);
  EXPECT_FALSE(uvm_map_external_allocation(fake, FakeNv::kUvmFd, {}).ok()) << "no GPU named";
}

TEST(NvIoctlCall, AllocMemoryGoesToTheGpuFd) {
  FakeNv fake;
  fake.handler = [](int fd, unsigned long req, void* arg) {
    EXPECT_EQ(req, 0xC0384627ul);
    EXPECT_EQ(fd, 11);
    auto& p = as<nv_ioctl_nvos02_parameters_with_fd>(arg);
    if (p.params.flags == 0) p.params.status = NV_ERR_INVALID_FLAGS;
    return 0;
  };
  AllocMemoryArgs a{.hRoot = kClient,
                    .hParent = kDevice,
                    .hObject = 0x1001,
                    .flags = NVOS02_FLAGS_PHYSICALITY_NONCONTIGUOUS |
                             NVOS02_FLAGS_COHERENCY_CACHED | NVOS02_FLAGS_MAPPING_NO_MAP,
                    .pMemory = 0x1000000000,
                    .limit = 0xFFF};
  core::Result<uint32_t> h = rm_alloc_memory(fake, 11, a);
  ASSERT_TRUE(h.ok()) << h.error().message();
  EXPECT_EQ(*h, 0x1001u);
  const auto in = fake.calls.back().in_as<nv_ioctl_nvos02_parameters_with_fd>();
  EXPECT_EQ(in.params.flags, 0x40001010u);
  EXPECT_EQ(in.params.hClass, NV01_MEMORY_SYSTEM_OS_DESCRIPTOR);
  EXPECT_EQ(in.fd, -1);
  a.flags = 0;
  h = rm_alloc_memory(fake, 11, a);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().op(), "NV_ESC_RM_ALLOC_MEMORY NV01_MEMORY_SYSTEM_OS_DESCRIPTOR");
  EXPECT_EQ(h.error().status_name(), "NV_ERR_INVALID_FLAGS");
}

// =============================================================================================
// The mmap dance (§1.6, §3.5), call by call.

TEST(NvIoctlMmap, VidmemDanceOpensRegistersMapsMmapsAndCloses) {
  FakeNv fake;
  fake.handler = [](int, unsigned long req, void* arg) {
    if (req == 0xC038464Eul)
      as<nv_ioctl_nvos33_parameters_with_fd>(arg).params.pLinearAddress = 0xFFFF800000000000;
    return 0;
  };
  core::RecordSys rec(fake);
  void* const want = reinterpret_cast<void*>(uintptr_t{0x1000000000});
  CpuMapRequest req;
  req.node = gpu_node_path(0);
  req.map = {.hClient = kClient, .hDevice = kDevice, .hMemory = 0xCAF00100, .length = 0x200000};
  req.addr = want;
  req.fixed = true;
  core::Result<CpuMapping> m = rm_map_to_cpu(rec, FakeNv::kCtlFd, req);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->addr, want);
  EXPECT_EQ(m->length, 0x200000u);
  EXPECT_EQ(m->linear_address, 0xFFFF800000000000u);

  const std::vector<core::SysCall> calls = rec.calls();
  ASSERT_EQ(calls.size(), 5u);
  // 1. a fresh GPU-node fd
  EXPECT_EQ(calls[0].op, core::SysOp::kOpen);
  EXPECT_EQ(calls[0].path, "/dev/nvidia0");
  const int fd = static_cast<int>(calls[0].result);
  EXPECT_GE(fd, 10);
  // 2. NV_ESC_REGISTER_FD on it, naming nvidiactl
  EXPECT_EQ(calls[1].op, core::SysOp::kIoctl);
  EXPECT_EQ(calls[1].fd, fd);
  EXPECT_EQ(calls[1].request, 0xC00446C9ul);
  nv_ioctl_register_fd_t reg{};
  ASSERT_EQ(calls[1].arg_in.size(), sizeof reg);
  std::memcpy(&reg, calls[1].arg_in.data(), sizeof reg);
  EXPECT_EQ(reg.ctl_fd, FakeNv::kCtlFd);
  // 3. NV_ESC_RM_MAP_MEMORY on nvidiactl, with the new fd in the wrapper
  EXPECT_EQ(calls[2].fd, FakeNv::kCtlFd);
  EXPECT_EQ(calls[2].request, 0xC038464Eul);
  nv_ioctl_nvos33_parameters_with_fd map{};
  ASSERT_EQ(calls[2].arg_in.size(), sizeof map);
  std::memcpy(&map, calls[2].arg_in.data(), sizeof map);
  EXPECT_EQ(map.fd, fd);
  EXPECT_EQ(map.params.hClient, kClient);
  EXPECT_EQ(map.params.hDevice, kDevice);
  EXPECT_EQ(map.params.hMemory, 0xCAF00100u);
  EXPECT_EQ(map.params.offset, 0u);
  EXPECT_EQ(map.params.length, 0x200000u);
  // 4. mmap of that fd at offset 0 with the mapped length
  EXPECT_EQ(calls[3].op, core::SysOp::kMmap);
  EXPECT_EQ(calls[3].fd, fd);
  EXPECT_EQ(calls[3].len, 0x200000u);
  EXPECT_EQ(calls[3].result, 0) << "offset 0";
  // 5. the fd is closed; the mapping survives
  EXPECT_EQ(calls[4].op, core::SysOp::kClose);
  EXPECT_EQ(calls[4].fd, fd);
}

TEST(NvIoctlMmap, SysmemDanceUsesAFreshControlFdWithoutRegistration) {
  FakeNv fake;
  core::RecordSys rec(fake);
  CpuMapRequest req;
  req.node = kNvidiactlPath;
  req.register_node_fd = false;
  req.map = {.hClient = kClient, .hDevice = kDevice, .hMemory = 0xCAF00110, .length = 0x1000};
  core::Result<CpuMapping> m = rm_map_to_cpu(rec, FakeNv::kCtlFd, req);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->addr, reinterpret_cast<void*>(FakeNv::kMapAddr));
  const std::vector<core::SysCall> calls = rec.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].path, "/dev/nvidiactl");
  EXPECT_EQ(calls[1].request, 0xC038464Eul);
  EXPECT_EQ(calls[2].op, core::SysOp::kMmap);
  EXPECT_EQ(calls[3].op, core::SysOp::kClose);
}

TEST(NvIoctlMmap, FailuresUndoWhatWasDoneAndNameTheStep) {
  FakeNv fake;
  fake.mmap_err = ENXIO;
  fake.handler = [](int, unsigned long req, void* arg) {
    if (req == 0xC038464Eul)
      as<nv_ioctl_nvos33_parameters_with_fd>(arg).params.pLinearAddress = 0xABC000;
    return 0;
  };
  core::RecordSys rec(fake);
  CpuMapRequest req;
  req.node = gpu_node_path(0);
  req.map = {.hClient = kClient, .hDevice = kDevice, .hMemory = 0xCAF00120, .length = 0x10000};
  core::Result<CpuMapping> m = rm_map_to_cpu(rec, FakeNv::kCtlFd, req);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().op(), "map memory 0xcaf00120 to the CPU through /dev/nvidia0: mmap");
  EXPECT_EQ(m.error().err(), ENXIO);
  EXPECT_NE(m.error().hint().find("mmap length must equal"), std::string::npos);
  std::vector<core::SysCall> calls = rec.calls();
  ASSERT_EQ(calls.size(), 6u);
  EXPECT_EQ(calls[3].op, core::SysOp::kMmap);
  EXPECT_EQ(calls[3].result, -ENXIO);
  // The RM mapping is released with the cookie MAP_MEMORY returned, then the fd closed.
  EXPECT_EQ(calls[4].request, 0xC020464Ful);
  NVOS34_PARAMETERS unmap{};
  std::memcpy(&unmap, calls[4].arg_in.data(), sizeof unmap);
  EXPECT_EQ(unmap.pLinearAddress, 0xABC000u);
  EXPECT_EQ(unmap.hMemory, 0xCAF00120u);
  EXPECT_EQ(calls[5].op, core::SysOp::kClose);
  EXPECT_EQ(calls[5].fd, calls[0].result);

  // A failed registration closes the fd and names the escape.
  rec.clear();
  core::FaultSys faults(rec);
  faults.add({.op = core::SysOp::kIoctl, .request = 0xC00446C9ul, .err = EINVAL});
  fake.mmap_err = 0;
  m = rm_map_to_cpu(faults, FakeNv::kCtlFd, req);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().op(),
            "map memory 0xcaf00120 to the CPU through /dev/nvidia0: "
            "NV_ESC_REGISTER_FD");
  calls = rec.calls();
  ASSERT_EQ(calls.size(), 2u) << "open, close; the failed ioctl never reached the recorder";
  EXPECT_EQ(calls[1].op, core::SysOp::kClose);

  // A node that cannot be opened.
  req.node = "/dev/nvidia7";
  m = rm_map_to_cpu(fake, FakeNv::kCtlFd, req);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().err(), ENOENT);
  EXPECT_NE(m.error().message().find("/dev/nvidia7: open"), std::string::npos);
}

// =============================================================================================
// Logging.

TEST(NvIoctlLog, EveryCallIsDecodedAtDebugLevel4) {
  const int saved = core::debug_level();
  core::set_debug_level(4);
  FakeNv fake;
  fake.handler = [](int, unsigned long req, void* arg) {
    if (req == 0xC020462Aul) {
      params_of<NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS>(arg).workSubmitToken = 7;
      return 0;
    }
    if (req == 0xC020462Bul) {
      as<NVOS21_PARAMETERS>(arg).hObjectNew = 0xCAF00200;
      return 0;
    }
    return -EBUSY;
  };
  testing::internal::CaptureStderr();
  NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS tok{0xFFFFFFFF};
  ASSERT_TRUE(rm_control(fake, FakeNv::kCtlFd, kClient, 0xCAF00010,
                         NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN, rm_params(tok))
                  .ok());
  ASSERT_TRUE(rm_alloc(fake, FakeNv::kCtlFd, kClient, 0xCAF00010, 0, HOPPER_COMPUTE_A).ok());
  ASSERT_FALSE(register_fd(fake, 11, FakeNv::kCtlFd).ok());
  const std::string log = testing::internal::GetCapturedStderr();
  core::set_debug_level(saved);
  EXPECT_EQ(tok.workSubmitToken, 7u);
  EXPECT_NE(log.find("ioctl(3, NV_ESC_RM_CONTROL NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN{"
                     "hClient=0xc1d00001, hObject=0xcaf00010, flags=0x0, "
                     "params={workSubmitToken=0xffffffff}})"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("= 0 NV_ESC_RM_CONTROL NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN{"
                     "status=NV_OK, params={workSubmitToken=0x7}}"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("ioctl(3, NV_ESC_RM_ALLOC HOPPER_COMPUTE_A{hRoot=0xc1d00001, "
                     "hObjectParent=0xcaf00010, hObjectNew=0x0})"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("= 0 NV_ESC_RM_ALLOC HOPPER_COMPUTE_A{hObjectNew=0xcaf00200, status=NV_OK}"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("ioctl(11, NV_ESC_REGISTER_FD{ctl_fd=3})"), std::string::npos) << log;
  EXPECT_NE(log.find("= -EBUSY NV_ESC_REGISTER_FD{}"), std::string::npos) << log;
}

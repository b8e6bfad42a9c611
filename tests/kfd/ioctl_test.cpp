// KFD ioctl layer: the table against the fact sheet's full codes (shared/abi/amd-kfd.md §2.3), the
// typed wrappers against a small fake /dev/kfd that checks the request number and size it gets,
// error mapping, fault injection, the multi-call ioctls and the decoded text.
#include "kfd/ioctl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/ioctl_desc.h"
#include "core/log.h"
#include "core/sys.h"
#include "kfd/abi.h"
#include "kfd/describe.h"

using namespace rawgpu;
using namespace rawgpu::kfd;
using core::Phase;

namespace {

// A fake /dev/kfd: rejects requests that are not exactly a row of the table (as a strict kernel
// would, and so that a wrong size fails the test), records argument bytes before and after, and
// lets each test answer through `handler`.
class FakeKfd final : public core::Sys {
 public:
  static constexpr int kFd = 7;
  struct Call {
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

  std::vector<Call> calls;
  std::function<int(unsigned long request, void* arg)> handler = [](unsigned long, void*) {
    return 0;
  };

  size_t count(unsigned long request) const {
    return static_cast<size_t>(std::count_if(calls.begin(), calls.end(),
                                             [&](const Call& c) { return c.request == request; }));
  }

  int ioctl(int fd, unsigned long request, void* arg) override {
    if (fd != kFd) return -EBADF;
    const core::IoctlMatch m = core::find_by_request(kfd_ioctls(), request);
    if (!m) return -ENOTTY;
    EXPECT_TRUE(m.exact()) << core::describe_request(kfd_ioctls(), request);
    const size_t size = core::ioc_size(request);
    Call c;
    c.request = request;
    const auto* p = static_cast<const uint8_t*>(arg);
    if (size != 0) c.in.assign(p, p + size);
    const int r = handler(request, arg);
    if (size != 0) c.out.assign(p, p + size);
    calls.push_back(std::move(c));
    return r;
  }
  int open(const char*, int, unsigned) override { return -ENOSYS; }
  int close(int) override { return -ENOSYS; }
  core::MapResult mmap(void*, size_t, int, int, int, int64_t) override { return {nullptr, ENOSYS}; }
  int munmap(void*, size_t) override { return -ENOSYS; }
  core::Result<std::string> read_file(const std::string& path, size_t) override {
    return core::Error::sys("read " + path, ENOSYS);
  }
  core::Result<std::vector<std::string>> list_dir(const std::string& path) override {
    return core::Error::sys("readdir " + path, ENOSYS);
  }
  core::Result<std::string> read_link(const std::string& path) override {
    return core::Error::sys("readlink " + path, ENOSYS);
  }
  std::string name() const override { return "fake-kfd"; }
};

template <typename T>
T& as(void* arg) {
  return *static_cast<T*>(arg);
}

constexpr int kFd = FakeKfd::kFd;

// The "full code" column of fact sheet §2.3, in table order. DBG_* and CREATE_PROCESS follow
// from the header's struct sizes (§2.3 lists them without codes).
struct FullCode {
  const char* name;
  unsigned long code;
};
constexpr FullCode kFullCodes[] = {
    {"AMDKFD_IOC_GET_VERSION", 0x80084B01},
    {"AMDKFD_IOC_CREATE_QUEUE", 0xC0584B02},
    {"AMDKFD_IOC_CREATE_QUEUE", 0xC0604B02},
    {"AMDKFD_IOC_DESTROY_QUEUE", 0xC0084B03},
    {"AMDKFD_IOC_SET_MEMORY_POLICY", 0x40204B04},
    {"AMDKFD_IOC_GET_CLOCK_COUNTERS", 0xC0284B05},
    {"AMDKFD_IOC_GET_PROCESS_APERTURES", 0x81904B06},
    {"AMDKFD_IOC_UPDATE_QUEUE", 0x40184B07},
    {"AMDKFD_IOC_CREATE_EVENT", 0xC0204B08},
    {"AMDKFD_IOC_DESTROY_EVENT", 0x40084B09},
    {"AMDKFD_IOC_SET_EVENT", 0x40084B0A},
    {"AMDKFD_IOC_RESET_EVENT", 0x40084B0B},
    {"AMDKFD_IOC_WAIT_EVENTS", 0xC0184B0C},
    {"AMDKFD_IOC_DBG_REGISTER_DEPRECATED", 0x40084B0D},
    {"AMDKFD_IOC_DBG_UNREGISTER_DEPRECATED", 0x40084B0E},
    {"AMDKFD_IOC_DBG_ADDRESS_WATCH_DEPRECATED", 0x40104B0F},
    {"AMDKFD_IOC_DBG_WAVE_CONTROL_DEPRECATED", 0x40104B10},
    {"AMDKFD_IOC_SET_SCRATCH_BACKING_VA", 0xC0104B11},
    {"AMDKFD_IOC_GET_TILE_CONFIG", 0xC0284B12},
    {"AMDKFD_IOC_SET_TRAP_HANDLER", 0x40184B13},
    {"AMDKFD_IOC_GET_PROCESS_APERTURES_NEW", 0xC0104B14},
    {"AMDKFD_IOC_ACQUIRE_VM", 0x40084B15},
    {"AMDKFD_IOC_ALLOC_MEMORY_OF_GPU", 0xC0284B16},
    {"AMDKFD_IOC_FREE_MEMORY_OF_GPU", 0x40084B17},
    {"AMDKFD_IOC_MAP_MEMORY_TO_GPU", 0xC0184B18},
    {"AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU", 0xC0184B19},
    {"AMDKFD_IOC_SET_CU_MASK", 0x40104B1A},
    {"AMDKFD_IOC_GET_QUEUE_WAVE_STATE", 0xC0184B1B},
    {"AMDKFD_IOC_GET_DMABUF_INFO", 0xC0204B1C},
    {"AMDKFD_IOC_IMPORT_DMABUF", 0xC0184B1D},
    {"AMDKFD_IOC_ALLOC_QUEUE_GWS", 0xC0104B1E},
    {"AMDKFD_IOC_SMI_EVENTS", 0xC0084B1F},
    {"AMDKFD_IOC_SVM", 0xC0184B20},
    {"AMDKFD_IOC_SET_XNACK_MODE", 0xC0044B21},
    {"AMDKFD_IOC_CRIU_OP", 0xC0384B22},
    {"AMDKFD_IOC_AVAILABLE_MEMORY", 0xC0104B23},
    {"AMDKFD_IOC_EXPORT_DMABUF", 0xC0104B24},
    {"AMDKFD_IOC_RUNTIME_ENABLE", 0xC0104B25},
    {"AMDKFD_IOC_DBG_TRAP", 0xC0204B26},
    {"AMDKFD_IOC_CREATE_PROCESS", 0x00004B27},
};

template <unsigned long R>
concept HasRow = requires {
  typename IoctlRow<R>::Args;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// The table.

TEST(KfdTable, EveryRowHasTheFullCodeOfTheFactSheet) {
  const core::IoctlTable& t = kfd_ioctls();
  ASSERT_EQ(t.rows.size(), std::size(kFullCodes));
  ASSERT_EQ(t.rows.size(), kKfdIoctlCount);
  for (size_t i = 0; i < t.rows.size(); ++i) {
    SCOPED_TRACE(kFullCodes[i].name);
    EXPECT_EQ(t.rows[i].name, kFullCodes[i].name);
    EXPECT_EQ(t.rows[i].request(), kFullCodes[i].code)
        << std::hex << t.rows[i].request() << " vs " << kFullCodes[i].code;
    const core::IoctlMatch m = core::find_by_request(t, kFullCodes[i].code);
    EXPECT_TRUE(m.exact());
    EXPECT_EQ(m.desc, &t.rows[i]);
    EXPECT_EQ(t.rows[i].magic, 'K');
  }
  EXPECT_EQ(t.driver, "kfd");
}

TEST(KfdTable, FieldsAreSoundAndCoverEveryStruct) {
  const core::IoctlTable& t = kfd_ioctls();
  EXPECT_EQ(core::table_problems(t), "");
  for (const core::IoctlDesc& row : t.rows) {
    SCOPED_TRACE(std::string(row.name) + " " + std::string(row.args_type));
    if (row.size == 0) {
      EXPECT_TRUE(row.fields.empty());
      continue;
    }
    ASSERT_FALSE(row.fields.empty());
    // Fields are listed in offset order and leave no hole, except the implicit tail padding a
    // struct ending in a u32 after u64 members gets (kfd_ioctl_criu_args).
    uint32_t next = 0;
    for (const core::ArgField& f : row.fields) {
      EXPECT_EQ(f.offset, next) << f.name;
      next = f.offset + f.size;
      if (f.kind == core::ArgKind::kEnum || f.kind == core::ArgKind::kFlags) {
        EXPECT_FALSE(f.names.empty()) << f.name;
        EXPECT_FALSE(f.prefix.empty()) << f.name;
      }
    }
    EXPECT_LE(next, row.size);
    EXPECT_LT(row.size - next, 8u);
  }
}

TEST(KfdTable, DeprecatedRowsAndVersions) {
  std::vector<std::string> deprecated;
  for (const core::IoctlDesc& row : kfd_ioctls().rows)
    if (row.deprecated) deprecated.emplace_back(row.name);
  EXPECT_EQ(deprecated, (std::vector<std::string>{
                            "AMDKFD_IOC_GET_PROCESS_APERTURES",
                            "AMDKFD_IOC_DBG_REGISTER_DEPRECATED",
                            "AMDKFD_IOC_DBG_UNREGISTER_DEPRECATED",
                            "AMDKFD_IOC_DBG_ADDRESS_WATCH_DEPRECATED",
                            "AMDKFD_IOC_DBG_WAVE_CONTROL_DEPRECATED",
                        }));
  EXPECT_EQ(kfd_ioctl(KfdIoctl::CREATE_QUEUE_V116).since, 0u);
  EXPECT_EQ(kfd_ioctl(KfdIoctl::CREATE_QUEUE_V117).since, 17u);
  EXPECT_EQ(kfd_ioctl(KfdIoctl::AVAILABLE_MEMORY).since, 9u);
  EXPECT_EQ(kfd_ioctl(KfdIoctl::RUNTIME_ENABLE).since, 13u);
  EXPECT_EQ(kfd_ioctl(KfdIoctl::SVM).elem_size, 8u);
  EXPECT_EQ(core::find_by_name(kfd_ioctls(), "AMDKFD_IOC_CREATE_QUEUE"),
            &kfd_ioctl(KfdIoctl::CREATE_QUEUE_V117));
  EXPECT_EQ(kfd_ioctl(KfdIoctl::CREATE_QUEUE_V117).args_type, "kfd_ioctl_create_queue_args_v117");
}

TEST(KfdTable, RowsAreTypedByRequest) {
  static_assert(std::is_same_v<ArgsOf<AMDKFD_IOC_GET_VERSION>, kfd_ioctl_get_version_args>);
  static_assert(
      std::is_same_v<ArgsOf<AMDKFD_IOC_CREATE_QUEUE_V117>, kfd_ioctl_create_queue_args_v117>);
  static_assert(
      std::is_same_v<ArgsOf<AMDKFD_IOC_CREATE_QUEUE_V116>, kfd_ioctl_create_queue_args_v116>);
  static_assert(
      std::is_same_v<ArgsOf<AMDKFD_IOC_SET_MEMORY_POLICY>, kfd_ioctl_set_memory_policy_args_v118>);
  static_assert(
      std::is_same_v<ArgsOf<AMDKFD_IOC_RUNTIME_ENABLE>, kfd_ioctl_runtime_enable_args_v113>);
  static_assert(IoctlRow<AMDKFD_IOC_ALLOC_MEMORY_OF_GPU>::id == KfdIoctl::ALLOC_MEMORY_OF_GPU);
  // The header's own CREATE_QUEUE macro is one of the two rows, whichever the header is.
  static_assert(HasRow<AMDKFD_IOC_CREATE_QUEUE>);
  static_assert(IoctlRow<AMDKFD_IOC_CREATE_QUEUE>::request == AMDKFD_IOC_CREATE_QUEUE);
  // A size no struct has is no row: call<> with it does not compile.
  static_assert(!HasRow<core::ioc(core::IoctlDir::kReadWrite, 'K', 0x02, 80)>);
  static_assert(!HasRow<core::ioc(core::IoctlDir::kRead, 'K', 0x16, 40)>);
  EXPECT_EQ(kfd_ioctl(KfdIoctl::GET_VERSION).name, "AMDKFD_IOC_GET_VERSION");
}

TEST(KfdTable, DescribeRequestForADecoder) {
  const core::IoctlTable& t = kfd_ioctls();
  EXPECT_EQ(core::describe_request(t, 0xC0604B02ul), "AMDKFD_IOC_CREATE_QUEUE");
  EXPECT_EQ(core::describe_request(t, 0xC0584B02ul), "AMDKFD_IOC_CREATE_QUEUE");
  EXPECT_EQ(core::describe_request(t, core::ioc(core::IoctlDir::kReadWrite, 'K', 0x02, 80)),
            "AMDKFD_IOC_CREATE_QUEUE (size 80, expected 96)");
  EXPECT_EQ(core::describe_request(t, core::ioc(core::IoctlDir::kReadWrite, 'K', 0x20, 40)),
            "AMDKFD_IOC_SVM")
      << "SVM carries nattr trailing attributes";
  EXPECT_EQ(core::describe_request(t, 0xC0084B7Ful),
            "kfd ioctl 0xc0084b7f (unknown: type 0x4b nr 0x7f size 8)");
}

TEST(KfdAbi, MmapOffsetsDoorbellsEventPage) {
  const uint64_t off = kfd_mmap_offset(KFD_MMAP_TYPE_DOORBELL, 0x1234, 0x2008);
  EXPECT_EQ(kfd_mmap_type(off), KFD_MMAP_TYPE_DOORBELL);
  EXPECT_EQ(kfd_mmap_gpu_id(off), 0x1234u);
  EXPECT_EQ(kfd_mmap_value(off), 0x2008u);
  EXPECT_EQ(off >> 62, 3u);
  EXPECT_EQ(kfd_mmap_offset(KFD_MMAP_TYPE_EVENTS, 0) >> 62, 2u);
  EXPECT_EQ(kfd_mmap_offset(KFD_MMAP_TYPE_MMIO, 0x5678), uint64_t{0x5678} << 46);
  EXPECT_EQ(doorbell_slice_mmap_offset(off), off & ~uint64_t{0x1FFF});
  EXPECT_EQ(doorbell_offset_in_slice(off), 0x8u);
  EXPECT_EQ(kDoorbellSliceBytes, 8192u);
  EXPECT_EQ(kEventPageBytes, 32768u);
  EXPECT_EQ(kAllocWritable | kAllocExecutable, 0xC0000000u);
  EXPECT_EQ(static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT), 1u << 24);
  EXPECT_EQ(static_cast<uint32_t>(KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS), 1u << 23);
  EXPECT_EQ(static_cast<uint32_t>(KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID), 4u);
}

// ---------------------------------------------------------------------------------------------
// call<> and errors.

TEST(KfdCall, GetVersionThroughTheRow) {
  FakeKfd fake;
  fake.handler = [](unsigned long req, void* arg) {
    EXPECT_EQ(req, 0x80084B01ul);
    as<kfd_ioctl_get_version_args>(arg) = {1, 17};
    return 0;
  };
  core::Result<kfd_ioctl_get_version_args> v = kfd::call<AMDKFD_IOC_GET_VERSION>(fake, kFd, {});
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->major_version, 1u);
  EXPECT_EQ(v->minor_version, 17u);

  core::Result<KfdVersion> ver = get_version(fake, kFd);
  ASSERT_TRUE(ver.ok());
  EXPECT_TRUE(ver->at_least(17));
  EXPECT_FALSE(ver->at_least(18));
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.calls[0].in.size(), 8u);
}

TEST(KfdCall, UnknownMajorVersionIsRefused) {
  FakeKfd fake;
  fake.handler = [](unsigned long, void* arg) {
    as<kfd_ioctl_get_version_args>(arg) = {2, 0};
    return 0;
  };
  core::Result<KfdVersion> v = get_version(fake, kFd);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(v.error().message().find("KFD 2.0"), std::string::npos) << v.error().message();
}

TEST(KfdCall, ArgumentBytesInAndOut) {
  FakeKfd fake;
  fake.handler = [](unsigned long req, void* arg) {
    EXPECT_EQ(req, 0xC0284B16ul);
    auto& a = as<kfd_ioctl_alloc_memory_of_gpu_args>(arg);
    a.handle = 0x0000123400000007ull;
    a.mmap_offset = 0x1A0000;
    return 0;
  };
  core::Result<Allocation> r = alloc_memory_of_gpu(
      fake, kFd,
      {.gpu_id = 0x1234,
       .va_addr = 0x7F0000000000,
       .size = 0x200000,
       .flags = kAllocVram | kAllocWritable | kAllocExecutable | kAllocNoSubstitute});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->handle, 0x0000123400000007ull);
  EXPECT_EQ(r->mmap_offset, 0x1A0000u);
  ASSERT_EQ(fake.calls.size(), 1u);
  const auto in = fake.calls[0].in_as<kfd_ioctl_alloc_memory_of_gpu_args>();
  EXPECT_EQ(in.va_addr, 0x7F0000000000u);
  EXPECT_EQ(in.size, 0x200000u);
  EXPECT_EQ(in.handle, 0u);
  EXPECT_EQ(in.mmap_offset, 0u);
  EXPECT_EQ(in.gpu_id, 0x1234u);
  EXPECT_EQ(in.flags, 0xD0000001u);
  // Byte-level: flags at offset 36, little-endian.
  EXPECT_EQ(fake.calls[0].in[36], 0x01);
  EXPECT_EQ(fake.calls[0].in[39], 0xD0);

  // USERPTR sends the CPU address in mmap_offset.
  fake.calls.clear();
  ASSERT_TRUE(
      alloc_memory_of_gpu(
          fake, kFd,
          {.gpu_id = 1, .va_addr = 0x5000, .size = 4096, .flags = kAllocUserptr, .userptr = 0x5000})
          .ok());
  EXPECT_EQ(fake.calls[0].in_as<kfd_ioctl_alloc_memory_of_gpu_args>().mmap_offset, 0x5000u);
}

TEST(KfdCall, SimpleWrappersSendTheirFields) {
  FakeKfd fake;
  fake.handler = [](unsigned long req, void* arg) {
    if (req == AMDKFD_IOC_AVAILABLE_MEMORY)
      as<kfd_ioctl_get_available_memory_args>(arg).available = 8ull << 30;
    if (req == AMDKFD_IOC_SET_XNACK_MODE) as<kfd_ioctl_set_xnack_mode_args>(arg).xnack_enabled = 1;
    if (req == AMDKFD_IOC_RUNTIME_ENABLE)
      as<kfd_ioctl_runtime_enable_args_v113>(arg).capabilities_mask = 0x80000000u;
    if (req == AMDKFD_IOC_GET_CLOCK_COUNTERS) {
      auto& c = as<kfd_ioctl_get_clock_counters_args>(arg);
      c.gpu_clock_counter = 42;
      c.system_clock_freq = 1000000000;
    }
    if (req == AMDKFD_IOC_CREATE_EVENT) {
      auto& e = as<kfd_ioctl_create_event_args>(arg);
      e.event_id = e.event_slot_index = e.event_trigger_data = 5;
    }
    return 0;
  };
  ASSERT_TRUE(acquire_vm(fake, kFd, 0xBEEF, 9).ok());
  EXPECT_EQ(fake.calls.back().request, 0x40084B15ul);
  EXPECT_EQ(fake.calls.back().in_as<kfd_ioctl_acquire_vm_args>().drm_fd, 9u);
  EXPECT_EQ(fake.calls.back().in_as<kfd_ioctl_acquire_vm_args>().gpu_id, 0xBEEFu);

  EXPECT_EQ(available_memory(fake, kFd, 3).value(), 8ull << 30);
  EXPECT_EQ(set_xnack_mode(fake, kFd, -1).value(), 1);
  EXPECT_EQ(fake.calls.back().in_as<kfd_ioctl_set_xnack_mode_args>().xnack_enabled, -1);
  EXPECT_EQ(runtime_enable(fake, kFd).value(), 0x80000000u);
  EXPECT_EQ(fake.calls.back().request, 0xC0104B25ul);
  auto clocks = get_clock_counters(fake, kFd, 3);
  ASSERT_TRUE(clocks.ok());
  EXPECT_EQ(clocks->gpu_clock_counter, 42u);
  EXPECT_EQ(fake.calls.back().in_as<kfd_ioctl_get_clock_counters_args>().gpu_id, 3u);

  auto ev = create_event(
      fake, kFd,
      {.event_type = KFD_IOC_EVENT_SIGNAL, .auto_reset = true, .event_page_handle = 0x77});
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->event_id, 5u);
  const auto ce = fake.calls.back().in_as<kfd_ioctl_create_event_args>();
  EXPECT_EQ(ce.event_page_offset, 0x77u);
  EXPECT_EQ(ce.auto_reset, 1u);
  ASSERT_TRUE(set_event(fake, kFd, 5).ok());
  EXPECT_EQ(fake.calls.back().request, 0x40084B0Aul);
  ASSERT_TRUE(reset_event(fake, kFd, 5).ok());
  EXPECT_EQ(fake.calls.back().request, 0x40084B0Bul);
  ASSERT_TRUE(destroy_event(fake, kFd, 5).ok());
  EXPECT_EQ(fake.calls.back().request, 0x40084B09ul);
  EXPECT_EQ(fake.calls.back().in_as<kfd_ioctl_destroy_event_args>().event_id, 5u);

  ASSERT_TRUE(destroy_queue(fake, kFd, 3).ok());
  EXPECT_EQ(fake.calls.back().request, 0xC0084B03ul);
  ASSERT_TRUE(
      update_queue(
          fake, kFd,
          {.queue_id = 3, .ring_base_address = 0x1000, .ring_size = 4096, .queue_percentage = 0})
          .ok());
  const auto uq = fake.calls.back().in_as<kfd_ioctl_update_queue_args>();
  EXPECT_EQ(uq.queue_id, 3u);
  EXPECT_EQ(uq.queue_percentage, 0u);
  EXPECT_EQ(uq.queue_priority, 7u);

  ASSERT_TRUE(set_memory_policy(fake, kFd,
                                {.gpu_id = 3,
                                 .default_policy = KFD_IOC_CACHE_POLICY_NONCOHERENT,
                                 .misc_process_flag = KFD_PROC_FLAG_MFMA_HIGH_PRECISION})
                  .ok());
  EXPECT_EQ(fake.calls.back().request, 0x40204B04ul);
  EXPECT_EQ(fake.calls.back().in[28], 1) << "misc_process_flag sits where 1.11 had pad";
  ASSERT_TRUE(set_scratch_backing_va(fake, kFd, 3, 0x10000).ok());
  EXPECT_EQ(fake.calls.back().in_as<kfd_ioctl_set_scratch_backing_va_args>().va_addr, 0x10000u);
  ASSERT_TRUE(free_memory_of_gpu(fake, kFd, 0x99).ok());
  EXPECT_EQ(fake.calls.back().request, 0x40084B17ul);
}

TEST(KfdErrors, ErrnoNamesAndHints) {
  FakeKfd fake;
  int answer = 0;
  fake.handler = [&](unsigned long, void*) { return answer; };

  answer = -EINVAL;
  auto a = alloc_memory_of_gpu(fake, kFd, {.gpu_id = 1, .size = 4096, .flags = kAllocVram});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind(), core::ErrorKind::kSys);
  EXPECT_EQ(a.error().op(), "AMDKFD_IOC_ALLOC_MEMORY_OF_GPU");
  EXPECT_EQ(a.error().err(), EINVAL);
  EXPECT_NE(a.error().message().find("AMDKFD_IOC_ALLOC_MEMORY_OF_GPU: EINVAL (Invalid argument): "
                                     "check gpu_id/flags/size; PUBLIC|VRAM on a small-BAR GPU "
                                     "needs resizable BAR"),
            std::string::npos)
      << a.error().message();

  answer = -ENOMEM;
  a = alloc_memory_of_gpu(fake, kFd, {.gpu_id = 1, .size = 4096, .flags = kAllocVram});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("ENOMEM"), std::string::npos);
  EXPECT_NE(a.error().hint().find("out of GPU memory"), std::string::npos);

  answer = -EBUSY;
  core::Status f = free_memory_of_gpu(fake, kFd, 1);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message(),
            "AMDKFD_IOC_FREE_MEMORY_OF_GPU: EBUSY (Device or resource busy): buffer still "
            "mapped; unmap first");

  answer = -ESRCH;
  auto q = create_queue(fake, kFd, {1, 17}, {.gpu_id = 1});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().op(), "AMDKFD_IOC_CREATE_QUEUE");
  EXPECT_NE(q.error().hint().find("AMDKFD_IOC_ACQUIRE_VM first"), std::string::npos);

  answer = -kENOTSUPP;
  q = create_queue(fake, kFd, {1, 11}, {.gpu_id = 1, .queue_type = 9});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().err(), 524);
  EXPECT_NE(q.error().hint().find("ENOTSUPP (524): unknown queue type"), std::string::npos);

  answer = -ENOTTY;  // a table-wide hint
  auto r = runtime_enable(fake, kFd);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().hint().find("does not know this ioctl"), std::string::npos);

  answer = -E2BIG;  // no hint: errno only
  core::Status d = destroy_event(fake, kFd, 1);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(), "AMDKFD_IOC_DESTROY_EVENT: E2BIG (Argument list too long)");

  EXPECT_EQ(ioctl_error(KfdIoctl::UNMAP_MEMORY_FROM_GPU, EBUSY).hint(),
            "the buffer backs a live queue (ring, rptr/wptr, EOP or CWSR); destroy it first");
}

TEST(KfdErrors, FaultSysInjectedFailures) {
  FakeKfd fake;
  core::FaultSys faults(fake);

  faults.add({.op = core::SysOp::kIoctl, .request = AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, .err = ENOMEM});
  auto a = alloc_memory_of_gpu(faults, kFd, {.gpu_id = 1, .size = 4096, .flags = kAllocGtt});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().op(), "AMDKFD_IOC_ALLOC_MEMORY_OF_GPU");
  EXPECT_EQ(a.error().err(), ENOMEM);
  EXPECT_EQ(fake.count(AMDKFD_IOC_ALLOC_MEMORY_OF_GPU), 0u);
  // Only the first matching call fails.
  EXPECT_TRUE(
      alloc_memory_of_gpu(faults, kFd, {.gpu_id = 1, .size = 4096, .flags = kAllocGtt}).ok());

  faults.clear();
  faults.add({.op = core::SysOp::kIoctl, .request = AMDKFD_IOC_MAP_MEMORY_TO_GPU, .err = EFAULT});
  const uint32_t gpu = 11;
  core::Status m = map_memory_to_gpu(faults, kFd, 0x42, {&gpu, 1});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().op(), "AMDKFD_IOC_MAP_MEMORY_TO_GPU");
  EXPECT_EQ(m.error().err(), EFAULT);
  EXPECT_NE(m.error().message().find("gpu_id 11 failed after 0 of 1 GPUs"), std::string::npos)
      << m.error().message();

  // EINTR is an error for ordinary calls (the host Sys already restarts them) ...
  faults.clear();
  faults.add({.op = core::SysOp::kIoctl, .request = AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, .err = EINTR});
  a = alloc_memory_of_gpu(faults, kFd, {.gpu_id = 1, .size = 4096, .flags = kAllocGtt});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().err(), EINTR);
  EXPECT_NE(a.error().message().find("EINTR"), std::string::npos);

  // ... but wait_events and map/unmap resume after it.
  faults.clear();
  faults.add({.op = core::SysOp::kIoctl, .request = AMDKFD_IOC_WAIT_EVENTS, .err = EINTR});
  fake.calls.clear();
  kfd_event_data_v114 ev{};
  ev.event_id = 3;
  auto w = wait_events(faults, kFd, {&ev, 1}, false, 1000);
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(w.value(), static_cast<uint32_t>(KFD_IOC_WAIT_RESULT_COMPLETE));
  EXPECT_EQ(fake.count(AMDKFD_IOC_WAIT_EVENTS), 1u);

  faults.clear();
  faults.add({.op = core::SysOp::kIoctl, .request = AMDKFD_IOC_MAP_MEMORY_TO_GPU, .err = EINTR});
  const uint64_t injected = faults.injected();
  EXPECT_TRUE(map_memory_to_gpu(faults, kFd, 0x42, {&gpu, 1}).ok());
  EXPECT_EQ(faults.injected(), injected + 1);
  EXPECT_EQ(fake.count(AMDKFD_IOC_MAP_MEMORY_TO_GPU), 1u);
}

// ---------------------------------------------------------------------------------------------
// Multi-call ioctls.

TEST(KfdCall, ProcessAperturesTwoCallDance) {
  FakeKfd fake;
  fake.handler = [](unsigned long req, void* arg) {
    EXPECT_EQ(req, 0xC0104B14ul);
    auto& a = as<kfd_ioctl_get_process_apertures_new_args>(arg);
    if (a.num_of_nodes == 0) {
      a.num_of_nodes = 2;
      return 0;
    }
    auto* out = reinterpret_cast<kfd_process_device_apertures*>(a.kfd_process_device_apertures_ptr);
    const uint32_t n = std::min<uint32_t>(a.num_of_nodes, 2);
    for (uint32_t i = 0; i < n; ++i) {
      out[i] = {};
      out[i].gpu_id = 1001 + i;
      out[i].gpuvm_base = 0x10000;
      out[i].gpuvm_limit = (1ull << 47) - 1;
    }
    a.num_of_nodes = n;
    return 0;
  };
  auto ap = get_process_apertures_new(fake, kFd);
  ASSERT_TRUE(ap.ok()) << ap.error().message();
  ASSERT_EQ(ap->size(), 2u);
  EXPECT_EQ((*ap)[0].gpu_id, 1001u);
  EXPECT_EQ((*ap)[1].gpu_id, 1002u);
  EXPECT_EQ((*ap)[1].gpuvm_base, 0x10000u);
  ASSERT_EQ(fake.calls.size(), 2u);
  const auto first = fake.calls[0].in_as<kfd_ioctl_get_process_apertures_new_args>();
  EXPECT_EQ(first.num_of_nodes, 0u);
  EXPECT_EQ(first.kfd_process_device_apertures_ptr, 0u);
  const auto second = fake.calls[1].in_as<kfd_ioctl_get_process_apertures_new_args>();
  EXPECT_EQ(second.num_of_nodes, 2u);
  EXPECT_NE(second.kfd_process_device_apertures_ptr, 0u);

  FakeKfd empty;  // a process with no GPU: one call, empty list
  auto none = get_process_apertures_new(empty, kFd);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(empty.calls.size(), 1u);
}

TEST(KfdCall, MapResumesFromNSuccess) {
  FakeKfd fake;
  const uint32_t gpus[] = {11, 22, 33};
  int call = 0;
  fake.handler = [&](unsigned long req, void* arg) {
    EXPECT_EQ(req, 0xC0184B18ul);
    auto& a = as<kfd_ioctl_map_memory_to_gpu_args>(arg);
    EXPECT_EQ(a.n_devices, 3u);
    EXPECT_EQ(reinterpret_cast<const uint32_t*>(a.device_ids_array_ptr), gpus);
    if (call++ == 0) {
      EXPECT_EQ(a.n_success, 0u);
      a.n_success = 1;  // first GPU done, then interrupted
      return -EINTR;
    }
    EXPECT_EQ(a.n_success, 1u) << "the retry starts where the kernel stopped";
    a.n_success = 3;
    return 0;
  };
  core::Status s = map_memory_to_gpu(fake, kFd, 0x42, gpus);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(fake.calls.size(), 2u);
}

TEST(KfdCall, MapHardFailureNamesTheGpu) {
  FakeKfd fake;
  const uint32_t gpus[] = {11, 22, 33};
  fake.handler = [&](unsigned long, void* arg) {
    as<kfd_ioctl_map_memory_to_gpu_args>(arg).n_success = 1;
    return -EINVAL;
  };
  core::Status s = map_memory_to_gpu(fake, kFd, 0x42, gpus);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err(), EINVAL);
  EXPECT_NE(s.error().message().find("a gpu_id in the array is unknown; gpu_id 22 failed after 1 "
                                     "of 3 GPUs, which stay mapped"),
            std::string::npos)
      << s.error().message();
  EXPECT_EQ(fake.calls.size(), 1u);

  fake.calls.clear();
  s = unmap_memory_from_gpu(fake, kFd, 0x42, gpus);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().op(), "AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU");
  EXPECT_NE(s.error().message().find("which stay unmapped"), std::string::npos);
  EXPECT_EQ(fake.calls[0].request, 0xC0184B19ul);

  // Endless interruptions without progress end in the EINTR error, not a hang.
  fake.calls.clear();
  fake.handler = [](unsigned long, void*) { return -EINTR; };
  s = map_memory_to_gpu(fake, kFd, 0x42, gpus);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err(), EINTR);
  EXPECT_GT(fake.calls.size(), 1u);
  EXPECT_LE(fake.calls.size(), 64u);

  EXPECT_EQ(map_memory_to_gpu(fake, kFd, 0x42, {}).error().kind(), core::ErrorKind::kInvalidInput);
}

TEST(KfdCall, WaitEventsRestartsWithTheRemainingTime) {
  FakeKfd fake;
  std::vector<uint32_t> timeouts;
  fake.handler = [&](unsigned long req, void* arg) {
    EXPECT_EQ(req, 0xC0184B0Cul);
    auto& a = as<kfd_ioctl_wait_events_args>(arg);
    timeouts.push_back(a.timeout);
    if (timeouts.size() == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      return -EINTR;
    }
    a.wait_result = KFD_IOC_WAIT_RESULT_COMPLETE;
    return 0;
  };
  kfd_event_data_v114 events[2] = {};
  events[0].event_id = 1;
  events[1].event_id = 2;
  auto w = wait_events(fake, kFd, events, true, 1000);
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(w.value(), static_cast<uint32_t>(KFD_IOC_WAIT_RESULT_COMPLETE));
  ASSERT_EQ(timeouts.size(), 2u);
  EXPECT_EQ(timeouts[0], 1000u);
  EXPECT_LE(timeouts[1], 970u) << "30 ms were spent before the interruption";
  EXPECT_GT(timeouts[1], 0u);
  const auto in = fake.calls[0].in_as<kfd_ioctl_wait_events_args>();
  EXPECT_EQ(in.events_ptr, reinterpret_cast<uintptr_t>(events));
  EXPECT_EQ(in.num_events, 2u);
  EXPECT_EQ(in.wait_for_all, 1u);
}

TEST(KfdCall, WaitEventsTimeoutIsAValue) {
  FakeKfd fake;
  fake.handler = [](unsigned long, void* arg) {
    as<kfd_ioctl_wait_events_args>(arg).wait_result = KFD_IOC_WAIT_RESULT_TIMEOUT;
    return 0;
  };
  kfd_event_data_v114 ev{};
  auto w = wait_events(fake, kFd, {&ev, 1}, false, 5);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value(), static_cast<uint32_t>(KFD_IOC_WAIT_RESULT_TIMEOUT));

  fake.handler = [](unsigned long, void*) { return -EINVAL; };
  w = wait_events(fake, kFd, {&ev, 1}, false, 5);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().op(), "AMDKFD_IOC_WAIT_EVENTS");
  EXPECT_NE(w.error().hint().find("unknown"), std::string::npos);
}

TEST(KfdCall, WaitEventsOutOfTimeEndsInAPoll) {
  FakeKfd fake;
  std::vector<uint32_t> timeouts;
  fake.handler = [&](unsigned long, void* arg) {
    auto& a = as<kfd_ioctl_wait_events_args>(arg);
    timeouts.push_back(a.timeout);
    if (timeouts.size() == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      return -EINTR;
    }
    a.wait_result = KFD_IOC_WAIT_RESULT_TIMEOUT;
    return 0;
  };
  kfd_event_data_v114 ev{};
  auto w = wait_events(fake, kFd, {&ev, 1}, false, 20);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value(), static_cast<uint32_t>(KFD_IOC_WAIT_RESULT_TIMEOUT));
  ASSERT_EQ(timeouts.size(), 2u);
  EXPECT_EQ(timeouts[1], kWaitImmediate);

  // An infinite wait stays infinite.
  timeouts.clear();
  w = wait_events(fake, kFd, {&ev, 1}, false, kWaitInfinite);
  ASSERT_EQ(timeouts.size(), 2u);
  EXPECT_EQ(timeouts[1], kWaitInfinite);

  // A poll that keeps being interrupted gives up with EINTR.
  fake.calls.clear();
  fake.handler = [](unsigned long, void*) { return -EINTR; };
  w = wait_events(fake, kFd, {&ev, 1}, false, kWaitImmediate);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().err(), EINTR);
  EXPECT_LE(fake.calls.size(), 16u);
}

TEST(KfdCall, CreateQueueLayoutFollowsTheDriverVersion) {
  FakeKfd fake;
  fake.handler = [](unsigned long req, void* arg) {
    // Both layouts start alike; only the size (and sdma_engine_id) differ.
    auto& a = as<kfd_ioctl_create_queue_args_v116>(arg);
    a.queue_id = req == AMDKFD_IOC_CREATE_QUEUE_V117 ? 17 : 16;
    a.doorbell_offset = kfd_mmap_offset(KFD_MMAP_TYPE_DOORBELL, a.gpu_id, 0x10);
    return 0;
  };
  const CreateQueueArgs q{.gpu_id = 0x1234,
                          .queue_type = KFD_IOC_QUEUE_TYPE_COMPUTE_AQL,
                          .ring_base_address = 0x100000,
                          .ring_size = 0x10000,
                          .write_pointer_address = 0x200038,
                          .read_pointer_address = 0x200080,
                          .eop_buffer_address = 0x300000,
                          .eop_buffer_size = 4096,
                          .ctx_save_restore_address = 0x400000,
                          .ctx_save_restore_size = 0x2BEA000,
                          .ctl_stack_size = 0xA000};

  auto old = create_queue(fake, kFd, {1, 11}, q);
  ASSERT_TRUE(old.ok()) << old.error().message();
  EXPECT_EQ(old->queue_id, 16u);
  EXPECT_EQ(old->doorbell_offset, kfd_mmap_offset(KFD_MMAP_TYPE_DOORBELL, 0x1234, 0x10));
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.calls[0].request, 0xC0584B02ul);
  ASSERT_EQ(fake.calls[0].in.size(), 88u);
  const auto in88 = fake.calls[0].in_as<kfd_ioctl_create_queue_args_v116>();
  EXPECT_EQ(in88.ring_base_address, 0x100000u);
  EXPECT_EQ(in88.write_pointer_address, 0x200038u);
  EXPECT_EQ(in88.read_pointer_address, 0x200080u);
  EXPECT_EQ(in88.ring_size, 0x10000u);
  EXPECT_EQ(in88.queue_percentage, 100u);
  EXPECT_EQ(in88.queue_priority, 7u);
  EXPECT_EQ(in88.ctx_save_restore_size, 0x2BEA000u);
  EXPECT_EQ(in88.ctl_stack_size, 0xA000u);

  fake.calls.clear();
  CreateQueueArgs sdma = q;
  sdma.queue_type = KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID;
  sdma.sdma_engine_id = 2;
  auto now = create_queue(fake, kFd, {1, 17}, sdma);
  ASSERT_TRUE(now.ok()) << now.error().message();
  EXPECT_EQ(now->queue_id, 17u);
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.calls[0].request, 0xC0604B02ul);
  ASSERT_EQ(fake.calls[0].in.size(), 96u);
  const auto in96 = fake.calls[0].in_as<kfd_ioctl_create_queue_args_v117>();
  EXPECT_EQ(in96.sdma_engine_id, 2u);
  EXPECT_EQ(in96.queue_type, 4u);
  EXPECT_EQ(fake.calls[0].in[88], 2);

  // SDMA by engine id on an older driver: refused before any ioctl.
  fake.calls.clear();
  auto refused = create_queue(fake, kFd, {1, 16}, sdma);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(refused.error().message().find("KFD 1.16"), std::string::npos);
  EXPECT_TRUE(fake.calls.empty());
}

// ---------------------------------------------------------------------------------------------
// Decoded text.

TEST(KfdFormat, ExactStrings) {
  kfd_ioctl_acquire_vm_args vm{5, 48879};
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::ACQUIRE_VM), &vm, sizeof vm, Phase::kIn),
            "AMDKFD_IOC_ACQUIRE_VM{drm_fd=5, gpu_id=48879}");

  kfd_ioctl_alloc_memory_of_gpu_args a{};
  a.va_addr = 0x7F0000000000;
  a.size = 4096;
  a.gpu_id = 1234;
  a.flags = kAllocVram | kAllocPublic | kAllocWritable | kAllocExecutable | kAllocNoSubstitute |
            (1u << 20);
  const core::IoctlDesc& alloc = kfd_ioctl(KfdIoctl::ALLOC_MEMORY_OF_GPU);
  EXPECT_EQ(core::format_args(alloc, &a, sizeof a, Phase::kIn),
            "AMDKFD_IOC_ALLOC_MEMORY_OF_GPU{va_addr=0x7f0000000000, size=4096, mmap_offset=0x0, "
            "gpu_id=1234, flags=KFD_IOC_ALLOC_MEM_FLAGS_VRAM|KFD_IOC_ALLOC_MEM_FLAGS_NO_SUBSTITUTE|"
            "KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC|KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE|"
            "KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE|KFD_IOC_ALLOC_MEM_FLAGS_???|0x100000}");
  kfd_ioctl_alloc_memory_of_gpu_args after = a;
  after.handle = 0x4d200000001;
  after.mmap_offset = 0x1a0000;
  EXPECT_EQ(core::format_args(alloc, &a, &after, sizeof a),
            "AMDKFD_IOC_ALLOC_MEMORY_OF_GPU{handle=0x4d200000001, mmap_offset=0x0 => 0x1a0000}");
  a.flags = kAllocGtt | kAllocCoherent | kAllocUncached | kAllocExtCoherent | kAllocContiguous;
  EXPECT_NE(core::format_args(alloc, &a, sizeof a, Phase::kIn)
                .find("flags=KFD_IOC_ALLOC_MEM_FLAGS_GTT|KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS|"
                      "KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT|KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED|"
                      "KFD_IOC_ALLOC_MEM_FLAGS_COHERENT}"),
            std::string::npos);

  kfd_ioctl_get_version_args v{1, 17};
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::GET_VERSION), &v, sizeof v, Phase::kOut),
            "AMDKFD_IOC_GET_VERSION{major_version=1, minor_version=17}");

  kfd_ioctl_destroy_queue_args dq{3, 0};
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::DESTROY_QUEUE), &dq, sizeof dq, Phase::kIn),
            "AMDKFD_IOC_DESTROY_QUEUE{queue_id=3}");

  kfd_ioctl_create_queue_args_v117 cq{};
  cq.queue_type = 9;
  cq.sdma_engine_id = 1;
  const std::string cqs =
      core::format_args(kfd_ioctl(KfdIoctl::CREATE_QUEUE_V117), &cq, sizeof cq, Phase::kIn);
  EXPECT_NE(cqs.find("queue_type=0x9 /* KFD_IOC_QUEUE_TYPE_??? */"), std::string::npos) << cqs;
  EXPECT_NE(cqs.find(", sdma_engine_id=1}"), std::string::npos) << cqs;
  cq.queue_type = KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID;
  cq.queue_id = 4;
  cq.doorbell_offset = 0xC000000000000008;
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::CREATE_QUEUE_V117), &cq, sizeof cq, Phase::kOut),
            "AMDKFD_IOC_CREATE_QUEUE{doorbell_offset=0xc000000000000008, queue_id=4}");

  kfd_ioctl_wait_events_args w{};
  w.wait_result = KFD_IOC_WAIT_RESULT_TIMEOUT;
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::WAIT_EVENTS), &w, sizeof w, Phase::kOut),
            "AMDKFD_IOC_WAIT_EVENTS{wait_result=KFD_IOC_WAIT_RESULT_TIMEOUT}");

  kfd_ioctl_map_memory_to_gpu_args m0{0x42, 0, 2, 0};
  kfd_ioctl_map_memory_to_gpu_args m1 = m0;
  m1.n_success = 2;
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::MAP_MEMORY_TO_GPU), &m0, &m1, sizeof m1),
            "AMDKFD_IOC_MAP_MEMORY_TO_GPU{n_success=0 => 2}");

  kfd_ioctl_set_xnack_mode_args x{-1};
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::SET_XNACK_MODE), &x, sizeof x, Phase::kIn),
            "AMDKFD_IOC_SET_XNACK_MODE{xnack_enabled=-1}");

  kfd_ioctl_create_event_args ce{};
  ce.event_type = KFD_IOC_EVENT_HW_EXCEPTION;
  ce.node_id = 1;
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::CREATE_EVENT), &ce, sizeof ce, Phase::kIn),
            "AMDKFD_IOC_CREATE_EVENT{event_page_offset=0x0, event_type=KFD_IOC_EVENT_HW_EXCEPTION, "
            "auto_reset=0, node_id=1}");

  kfd_ioctl_runtime_enable_args_v113 re{};
  re.mode_mask = KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK | 0x10;
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::RUNTIME_ENABLE), &re, sizeof re, Phase::kIn),
            "AMDKFD_IOC_RUNTIME_ENABLE{r_debug=0x0, mode_mask=KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK|"
            "KFD_RUNTIME_ENABLE_MODE_???|0x10}");
  EXPECT_EQ(core::format_args(kfd_ioctl(KfdIoctl::CREATE_PROCESS), nullptr, 0, Phase::kIn),
            "AMDKFD_IOC_CREATE_PROCESS{}");
}

TEST(KfdFormat, NameTablesAreExported) {
  EXPECT_EQ(alloc_flag_names().size(), 14u);
  EXPECT_EQ(queue_type_names().size(), 5u);
  EXPECT_EQ(event_type_names().size(), 9u);
  EXPECT_EQ(wait_result_names().size(), 3u);
  EXPECT_EQ(queue_type_names()[4].name, "KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID");
}

TEST(KfdLog, EveryIoctlIsDecodedAtDebugLevel4) {
  const int saved = core::debug_level();
  core::set_debug_level(4);
  FakeKfd fake;
  fake.handler = [](unsigned long req, void* arg) {
    if (req == AMDKFD_IOC_GET_VERSION) {
      as<kfd_ioctl_get_version_args>(arg) = {1, 11};
      return 0;
    }
    return -EBUSY;
  };
  testing::internal::CaptureStderr();
  ASSERT_TRUE(get_version(fake, kFd).ok());
  ASSERT_FALSE(free_memory_of_gpu(fake, kFd, 0x42).ok());
  const std::string log = testing::internal::GetCapturedStderr();
  core::set_debug_level(saved);
  EXPECT_NE(log.find("ioctl(7, AMDKFD_IOC_GET_VERSION{})"), std::string::npos) << log;
  EXPECT_NE(log.find("= 0 AMDKFD_IOC_GET_VERSION{major_version=1, minor_version=11}"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("ioctl(7, AMDKFD_IOC_FREE_MEMORY_OF_GPU{handle=0x42})"), std::string::npos)
      << log;
  EXPECT_NE(log.find("= -EBUSY AMDKFD_IOC_FREE_MEMORY_OF_GPU{}"), std::string::npos) << log;
}

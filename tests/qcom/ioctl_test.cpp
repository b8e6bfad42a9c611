// KGSL ioctl layer: struct layouts and request numbers against the fact sheet
// (shared/abi/qcom-kgsl.md §1.2, §1.3), the table's self-check and printers, and the typed
// wrappers against a small fake /dev/kgsl-3d0 that checks the request number and argument bytes
// it gets, error mapping (errno -> error naming the ioctl with the row's hint), fault injection
// and the restarting wait.
#include "qcom_kgsl/ioctl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <concepts>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/ioctl_desc.h"
#include "core/log.h"
#include "core/sys.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/describe.h"

using namespace rawgpu;
using namespace rawgpu::qcom;
using core::Phase;

namespace {

// A fake /dev/kgsl-3d0: rejects requests that are not exactly a row of the table (so that a wrong
// size fails the test), records argument bytes before and after each call, and lets each test
// answer through `handler`. Like KGSL it copies outputs back only on success.
class FakeKgsl final : public core::Sys {
 public:
  static constexpr int kFd = 9;
  struct Call {
    unsigned long request = 0;
    bool once = false;
    std::vector<uint8_t> in, out;
    template <typename T>
    T in_as() const {
      T t{};
      EXPECT_EQ(in.size(), sizeof(T));
      std::memcpy(&t, in.data(), std::min(in.size(), sizeof(T)));
      return t;
    }
  };
  struct Map {
    size_t len = 0;
    int prot = 0, flags = 0, fd = -1;
    int64_t offset = 0;
  };

  std::vector<Call> calls;
  std::vector<Map> maps;
  std::function<int(unsigned long request, void* arg)> handler = [](unsigned long, void*) {
    return 0;
  };
  int mmap_err = 0;
  std::string opened;

  size_t count(unsigned long request) const {
    return static_cast<size_t>(std::count_if(calls.begin(), calls.end(),
                                             [&](const Call& c) { return c.request == request; }));
  }

  int ioctl(int fd, unsigned long request, void* arg) override {
    return run(fd, request, arg, false);
  }
  int ioctl_once(int fd, unsigned long request, void* arg) override {
    return run(fd, request, arg, true);
  }
  int open(const char* path, int, unsigned) override {
    opened = path;
    return std::string(path) == kKgslDevicePath ? kFd : -ENOENT;
  }
  int close(int) override { return 0; }
  core::MapResult mmap(void*, size_t len, int prot, int flags, int fd, int64_t offset) override {
    maps.push_back({len, prot, flags, fd, offset});
    if (mmap_err != 0) return {nullptr, mmap_err};
    return {reinterpret_cast<void*>(uintptr_t{0x7f0000000000} + static_cast<uintptr_t>(offset)), 0};
  }
  int munmap(void*, size_t) override { return 0; }
  core::Result<std::string> read_file(const std::string& path, size_t) override {
    return core::Error::sys("read " + path, ENOSYS);
  }
  core::Result<std::vector<std::string>> list_dir(const std::string& path) override {
    return core::Error::sys("readdir " + path, ENOSYS);
  }
  core::Result<std::string> read_link(const std::string& path) override {
    return core::Error::sys("readlink " + path, ENOSYS);
  }
  std::string name() const override { return "fake-kgsl"; }

 private:
  int run(int fd, unsigned long request, void* arg, bool once) {
    if (fd != kFd) return -EBADF;
    const core::IoctlMatch m = find_kgsl_ioctl(request);
    if (!m) return -ENOTTY;
    EXPECT_TRUE(m.exact()) << core::describe_request(kgsl_ioctls(), request);
    const size_t size = core::ioc_size(request);
    Call c;
    c.request = request;
    c.once = once;
    const auto* p = static_cast<uint8_t*>(arg);
    c.in.assign(p, p + size);
    std::vector<uint8_t> scratch(c.in);
    const int r = handler(request, scratch.data());
    if (r >= 0) std::memcpy(arg, scratch.data(), size);  // KGSL copies out only on success
    c.out.assign(p, p + size);
    calls.push_back(std::move(c));
    return r;
  }
};

template <typename T>
T& as(void* arg) {
  return *static_cast<T*>(arg);
}

constexpr int kFd = FakeKgsl::kFd;

// ---------------------------------------------------------------------------------------------
// Layouts (sheet §1.3: sizes and offsets on LP64).

TEST(KgslAbi, StructSizesMatchTheFactSheet) {
  EXPECT_EQ(sizeof(kgsl_device_getproperty), 24u);
  EXPECT_EQ(sizeof(kgsl_devinfo), 40u);
  EXPECT_EQ(sizeof(kgsl_drawctxt_create), 8u);
  EXPECT_EQ(sizeof(kgsl_drawctxt_destroy), 4u);
  EXPECT_EQ(sizeof(kgsl_gpuobj_alloc), 48u);
  EXPECT_EQ(sizeof(kgsl_gpuobj_free), 32u);
  EXPECT_EQ(sizeof(kgsl_gpuobj_info), 48u);
  EXPECT_EQ(sizeof(kgsl_gpuobj_import), 32u);
  EXPECT_EQ(sizeof(kgsl_gpuobj_sync), 16u);
  EXPECT_EQ(sizeof(kgsl_gpuobj_sync_obj), 24u);
  EXPECT_EQ(sizeof(kgsl_gpumem_alloc_id), 48u);
  EXPECT_EQ(sizeof(kgsl_gpumem_free_id), 8u);
  EXPECT_EQ(sizeof(kgsl_gpumem_get_info), 72u);
  EXPECT_EQ(sizeof(kgsl_gpumem_sync_cache), 32u);
  EXPECT_EQ(sizeof(kgsl_map_user_mem), 48u);
  EXPECT_EQ(sizeof(kgsl_sharedmem_free), 8u);
  EXPECT_EQ(sizeof(kgsl_command_object), 32u);
  EXPECT_EQ(sizeof(kgsl_command_syncpoint), 24u);
  EXPECT_EQ(sizeof(kgsl_cmd_syncpoint_timestamp), 8u);
  EXPECT_EQ(sizeof(kgsl_cmd_syncpoint_fence), 4u);
  EXPECT_EQ(sizeof(kgsl_gpu_command), 64u);
  EXPECT_EQ(sizeof(kgsl_cmdbatch_profiling_buffer), 40u);
  EXPECT_EQ(sizeof(kgsl_device_waittimestamp_ctxtid), 12u);
  EXPECT_EQ(sizeof(kgsl_cmdstream_readtimestamp_ctxtid), 12u);
  EXPECT_EQ(sizeof(kgsl_timestamp_event), 32u);
  EXPECT_EQ(sizeof(kgsl_device_constraint), 24u);
  EXPECT_EQ(sizeof(kgsl_perfcounter_get), 20u);
  EXPECT_EQ(sizeof(kgsl_perfcounter_put), 16u);
  EXPECT_EQ(sizeof(kgsl_perfcounter_read), 24u);
  EXPECT_EQ(sizeof(kgsl_perfcounter_read_group), 16u);
  EXPECT_EQ(sizeof(kgsl_devmemstore), 40u);
  EXPECT_EQ(sizeof(kgsl_shadowprop), 24u);
  EXPECT_EQ(sizeof(kgsl_version), 16u);
  EXPECT_EQ(sizeof(kgsl_capabilities), 24u);
}

TEST(KgslAbi, KeyOffsetsMatchTheFactSheet) {
  EXPECT_EQ(offsetof(kgsl_devinfo, gmem_gpubaseaddr), 16u);
  EXPECT_EQ(offsetof(kgsl_devinfo, gpu_id), 24u);
  EXPECT_EQ(offsetof(kgsl_devinfo, gmem_sizebytes), 32u);
  EXPECT_EQ(offsetof(kgsl_gpuobj_alloc, id), 32u);
  EXPECT_EQ(offsetof(kgsl_gpuobj_alloc, metadata), 40u);
  EXPECT_EQ(offsetof(kgsl_gpuobj_free, id), 16u);
  EXPECT_EQ(offsetof(kgsl_gpuobj_free, len), 24u);
  EXPECT_EQ(offsetof(kgsl_gpuobj_info, id), 40u);
  EXPECT_EQ(offsetof(kgsl_gpu_command, objlist), 24u);
  EXPECT_EQ(offsetof(kgsl_gpu_command, synclist), 40u);
  EXPECT_EQ(offsetof(kgsl_gpu_command, context_id), 56u);
  EXPECT_EQ(offsetof(kgsl_gpu_command, timestamp), 60u);
  EXPECT_EQ(offsetof(kgsl_timestamp_event, priv), 16u);
  EXPECT_EQ(offsetof(kgsl_timestamp_event, len), 24u);
  EXPECT_EQ(offsetof(kgsl_map_user_mem, memtype), 40u);
  EXPECT_EQ(offsetof(kgsl_gpumem_get_info, useraddr), 32u);
  EXPECT_EQ(offsetof(kgsl_devmemstore, eoptimestamp), 8u);
  EXPECT_EQ(offsetof(kgsl_device_constraint, data), 8u);
}

TEST(KgslAbi, FlagValuesOfTheReferenceRuntimes) {
  EXPECT_EQ(kTinygradContextFlags, 0x04008A12u);                            // sheet §1.6
  EXPECT_EQ(buffer_flags(KGSL_CACHEMODE_WRITECOMBINE, true), 0x100C0000u);  // sheet §1.7
  EXPECT_EQ(kgsl_cachemode(KGSL_CACHEMODE_WRITEBACK), 0x0C000000u);
  EXPECT_EQ(KGSL_MEMFLAGS_IOCOHERENT, 0x80000000u);
  EXPECT_EQ(compute_context_flags(8) & 0x212u, 0x212u);  // PREAMBLE|NO_GMEM_ALLOC|NO_FT
  EXPECT_EQ(gpuobj_mmap_offset(3), 0x3000);
  EXPECT_EQ(ChipId::from(0x06030001).core, 6);
  EXPECT_EQ(ChipId::from(0x06030001).major, 3);
  EXPECT_EQ(ChipId::from(0x06030001).patch, 1);
  EXPECT_TRUE(timestamp_reached(5, 5));
  EXPECT_TRUE(timestamp_reached(2, 0xFFFFFFF0u));  // across the wrap
  EXPECT_FALSE(timestamp_reached(0xFFFFFFF0u, 2));
}

// ---------------------------------------------------------------------------------------------
// The table.

// The request column of sheet §1.2 (DEVICE_WAITTIMESTAMP from its struct: the sheet lists it as
// legacy without a number).
struct FullCode {
  const char* name;
  unsigned long code;
};
constexpr FullCode kFullCodes[] = {
    {"IOCTL_KGSL_DEVICE_GETPROPERTY", 0xC0180902},
    {"IOCTL_KGSL_DEVICE_WAITTIMESTAMP", 0x40080906},
    {"IOCTL_KGSL_DEVICE_WAITTIMESTAMP_CTXTID", 0x400C0907},
    {"IOCTL_KGSL_DRAWCTXT_CREATE", 0xC0080913},
    {"IOCTL_KGSL_DRAWCTXT_DESTROY", 0x40040914},
    {"IOCTL_KGSL_MAP_USER_MEM", 0xC0300915},
    {"IOCTL_KGSL_CMDSTREAM_READTIMESTAMP_CTXTID", 0xC00C0916},
    {"IOCTL_KGSL_SHAREDMEM_FREE", 0x40080921},
    {"IOCTL_KGSL_SETPROPERTY", 0x40180932},
    {"IOCTL_KGSL_TIMESTAMP_EVENT", 0xC0200933},
    {"IOCTL_KGSL_GPUMEM_ALLOC_ID", 0xC0300934},
    {"IOCTL_KGSL_GPUMEM_FREE_ID", 0xC0080935},
    {"IOCTL_KGSL_GPUMEM_GET_INFO", 0xC0480936},
    {"IOCTL_KGSL_GPUMEM_SYNC_CACHE", 0x40200937},
    {"IOCTL_KGSL_PERFCOUNTER_GET", 0xC0140938},
    {"IOCTL_KGSL_PERFCOUNTER_PUT", 0x40100939},
    {"IOCTL_KGSL_PERFCOUNTER_READ", 0xC018093B},
    {"IOCTL_KGSL_GPUOBJ_ALLOC", 0xC0300945},
    {"IOCTL_KGSL_GPUOBJ_FREE", 0x40200946},
    {"IOCTL_KGSL_GPUOBJ_INFO", 0xC0300947},
    {"IOCTL_KGSL_GPUOBJ_IMPORT", 0xC0200948},
    {"IOCTL_KGSL_GPUOBJ_SYNC", 0x40100949},
    {"IOCTL_KGSL_GPU_COMMAND", 0xC040094A},
};

template <unsigned long R>
concept HasRow = requires {
  typename IoctlRow<R>::Args;
};

TEST(KgslTable, RowsIssueTheFactSheetRequests) {
  const core::IoctlTable& t = kgsl_ioctls();
  ASSERT_EQ(t.rows.size(), std::size(kFullCodes));
  for (size_t i = 0; i < t.rows.size(); ++i) {
    SCOPED_TRACE(kFullCodes[i].name);
    EXPECT_EQ(t.rows[i].name, kFullCodes[i].name);
    EXPECT_EQ(t.rows[i].request(), kFullCodes[i].code);
    EXPECT_EQ(name_of(kFullCodes[i].code), kFullCodes[i].name);
    const core::IoctlMatch m = find_kgsl_ioctl(kFullCodes[i].code);
    ASSERT_TRUE(m.exact());
    EXPECT_EQ(m.desc, &t.rows[i]);
  }
  EXPECT_EQ(t.rows[1].deprecated, true);  // DEVICE_WAITTIMESTAMP
  static_assert(HasRow<IOCTL_KGSL_GPU_COMMAND>);
  static_assert(std::same_as<ArgsOf<IOCTL_KGSL_GPU_COMMAND>, kgsl_gpu_command>);
  static_assert(!HasRow<0xC038094Aul>);  // GPU_COMMAND with a 56-byte struct has no row
}

TEST(KgslTable, SelfCheckIsClean) { EXPECT_EQ(core::table_problems(kgsl_ioctls()), ""); }

TEST(KgslTable, LookupReportsUnknownAndMismatchedRequests) {
  EXPECT_EQ(name_of(0xC0380950), "");  // unknown nr
  EXPECT_EQ(name_of(0xC038094A), "");  // known nr, wrong size
  const core::IoctlMatch m = find_kgsl_ioctl(0xC038094A);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m.size_ok);
  EXPECT_EQ(core::describe_request(kgsl_ioctls(), 0xC038094A),
            "IOCTL_KGSL_GPU_COMMAND (size 56, expected 64)");
  EXPECT_FALSE(find_kgsl_ioctl(0xC0184B02));  // a KFD request
}

TEST(KgslTable, EveryRowFormatsASampleStruct) {
  for (const core::IoctlDesc& row : kgsl_ioctls().rows) {
    SCOPED_TRACE(std::string(row.name));
    std::vector<uint8_t> bytes(row.size);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);
    const std::string all = core::format_args(row, bytes.data(), bytes.size(), Phase::kAll);
    EXPECT_EQ(all.rfind(std::string(row.name) + "{", 0), 0u) << all;
    EXPECT_EQ(all.back(), '}');
    for (const core::ArgField& f : row.fields)
      EXPECT_NE(all.find(std::string(f.name) + "="), std::string::npos) << f.name << ": " << all;
    EXPECT_FALSE(row.fields.empty());
    (void)core::format_args(row, bytes.data(), bytes.size(), Phase::kIn);
    (void)core::format_args(row, bytes.data(), bytes.data(), bytes.size());
  }
}

TEST(KgslTable, PrintsFlagsAndEnumsSymbolically) {
  kgsl_drawctxt_create c{};
  c.flags = kTinygradContextFlags;
  EXPECT_EQ(core::format_args(kgsl_ioctl(KgslIoctl::DRAWCTXT_CREATE), &c, sizeof c, Phase::kIn),
            "IOCTL_KGSL_DRAWCTXT_CREATE{flags=KGSL_CONTEXT_NO_GMEM_ALLOC|KGSL_CONTEXT_PREAMBLE|"
            "KGSL_CONTEXT_NO_FAULT_TOLERANCE|KGSL_CONTEXT_PWR_CONSTRAINT|"
            "KGSL_CONTEXT_PRIORITY(8)|KGSL_CONTEXT_PREEMPT_STYLE_FINEGRAIN}");

  kgsl_gpuobj_alloc a{};
  a.size = 0x1000;
  a.flags = buffer_flags(KGSL_CACHEMODE_UNCACHED, true) | (uint64_t{1} << 40);
  EXPECT_EQ(core::format_args(kgsl_ioctl(KgslIoctl::GPUOBJ_ALLOC), &a, sizeof a, Phase::kIn),
            "IOCTL_KGSL_GPUOBJ_ALLOC{size=0x1000, flags=KGSL_MEMALIGN(12)|"
            "KGSL_CACHEMODE_UNCACHED|KGSL_MEMFLAGS_USE_CPU_MAP|KGSL_MEMFLAGS_???|0x10000000000, "
            "va_len=0x0, metadata_len=0, metadata=NULL}");

  kgsl_device_getproperty p{};
  p.type = KGSL_PROP_DEVICE_INFO;
  p.value = 0x1234;
  p.sizebytes = 40;
  EXPECT_EQ(
      core::format_args(kgsl_ioctl(KgslIoctl::DEVICE_GETPROPERTY), &p, sizeof p, Phase::kIn),
      "IOCTL_KGSL_DEVICE_GETPROPERTY{type=KGSL_PROP_DEVICE_INFO, value=0x1234, sizebytes=40}");
  p.type = 0x77;
  EXPECT_NE(core::format_args(kgsl_ioctl(KgslIoctl::DEVICE_GETPROPERTY), &p, sizeof p, Phase::kIn)
                .find("type=0x77 /* KGSL_PROP_??? */"),
            std::string::npos);

  kgsl_gpu_command g{};
  g.flags = KGSL_CMDBATCH_PROFILING | KGSL_CMDBATCH_SUBMIT_IB_LIST;
  g.numcmds = 1;
  g.context_id = 3;
  g.timestamp = 7;
  const std::string out =
      core::format_args(kgsl_ioctl(KgslIoctl::GPU_COMMAND), &g, sizeof g, Phase::kOut);
  EXPECT_EQ(out, "IOCTL_KGSL_GPU_COMMAND{timestamp=7}");
  const std::string in =
      core::format_args(kgsl_ioctl(KgslIoctl::GPU_COMMAND), &g, sizeof g, Phase::kIn);
  EXPECT_NE(in.find("flags=KGSL_CMDBATCH_SUBMIT_IB_LIST|KGSL_CMDBATCH_PROFILING"),
            std::string::npos)
      << in;
}

TEST(KgslTable, EveryRowHasHintsForItsCommonErrors) {
  const core::IoctlTable& t = kgsl_ioctls();
  for (const core::IoctlDesc& row : t.rows) {
    SCOPED_TRACE(std::string(row.name));
    EXPECT_FALSE(core::errno_hint(t, row, ENOTTY).empty());
    EXPECT_FALSE(core::errno_hint(t, row, EFAULT).empty());
    if (!row.deprecated) {
      EXPECT_FALSE(row.hints.empty());
    }
  }
  EXPECT_NE(core::errno_hint(t, kgsl_ioctl(KgslIoctl::GPU_COMMAND), EPROTO).find("QUEUED"),
            std::string_view::npos);
}

// ---------------------------------------------------------------------------------------------
// Wrappers.

TEST(KgslIoctl, OpenDeviceNode) {
  FakeKgsl k;
  core::Result<int> fd = open_device_node(k);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(*fd, kFd);
  EXPECT_EQ(k.opened, "/dev/kgsl-3d0");
  core::Result<int> missing = open_device_node(k, "/dev/kgsl-3d1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().err(), ENOENT);
  EXPECT_EQ(missing.error().op(), "open /dev/kgsl-3d1");
  EXPECT_NE(missing.error().hint().find("KGSL"), std::string::npos);
}

TEST(KgslIoctl, DeviceInfoAndTypedProperties) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    EXPECT_EQ(req, IOCTL_KGSL_DEVICE_GETPROPERTY);
    auto& p = as<kgsl_device_getproperty>(arg);
    void* out = reinterpret_cast<void*>(static_cast<uintptr_t>(p.value));
    if (p.type == KGSL_PROP_DEVICE_INFO) {
      EXPECT_EQ(p.sizebytes, sizeof(kgsl_devinfo));
      kgsl_devinfo d{};
      d.device_id = 1;
      d.chip_id = 0x06030001;
      d.mmu_enabled = 1;
      d.gmem_sizebytes = 1u << 20;
      std::memcpy(out, &d, sizeof d);
      return 0;
    }
    if (p.type == KGSL_PROP_UCHE_GMEM_VADDR) {
      EXPECT_EQ(p.sizebytes, 8u);
      const uint64_t v = 0xdead000;
      std::memcpy(out, &v, sizeof v);
      return 0;
    }
    return -ENODEV;
  };
  core::Result<kgsl_devinfo> d = device_info(k, kFd);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->chip_id, 0x06030001u);
  EXPECT_EQ(d->gmem_sizebytes, 1u << 20);
  core::Result<uint64_t> vaddr = get_property<uint64_t>(k, kFd, KGSL_PROP_UCHE_GMEM_VADDR);
  ASSERT_TRUE(vaddr.ok());
  EXPECT_EQ(*vaddr, 0xdead000u);
  core::Result<uint32_t> bad = get_property<uint32_t>(k, kFd, 0x77);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().op(), "IOCTL_KGSL_DEVICE_GETPROPERTY");
  EXPECT_EQ(bad.error().err(), ENODEV);
  EXPECT_NE(bad.error().hint().find("absent"), std::string::npos);
}

TEST(KgslIoctl, SetPowerConstraintSendsTinygradsLayout) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    EXPECT_EQ(req, IOCTL_KGSL_SETPROPERTY);
    auto& p = as<kgsl_device_getproperty>(arg);
    EXPECT_EQ(p.type, KGSL_PROP_PWR_CONSTRAINT);
    EXPECT_EQ(p.sizebytes, 24u);
    const auto* c =
        reinterpret_cast<const kgsl_device_constraint*>(static_cast<uintptr_t>(p.value));
    EXPECT_EQ(c->type, KGSL_CONSTRAINT_PWRLEVEL);
    EXPECT_EQ(c->context_id, 5u);
    EXPECT_EQ(c->size, 4u);
    EXPECT_EQ(
        reinterpret_cast<const kgsl_device_constraint_pwrlevel*>(static_cast<uintptr_t>(c->data))
            ->level,
        KGSL_CONSTRAINT_PWR_MAX);
    return 0;
  };
  EXPECT_TRUE(set_power_constraint(k, kFd, 5).ok());
  EXPECT_EQ(k.count(IOCTL_KGSL_SETPROPERTY), 1u);
}

TEST(KgslIoctl, DrawctxtCreateReturnsAcceptedFlags) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    if (req == IOCTL_KGSL_DRAWCTXT_DESTROY) return 0;
    auto& c = as<kgsl_drawctxt_create>(arg);
    // Like KGSL: forces PER_CONTEXT_TS, drops SAVE_GMEM.
    c.flags = (c.flags | KGSL_CONTEXT_PER_CONTEXT_TS) & ~KGSL_CONTEXT_SAVE_GMEM;
    c.drawctxt_id = 4;
    return 0;
  };
  core::Result<Context> c =
      drawctxt_create(k, kFd, compute_context_flags(8) | KGSL_CONTEXT_SAVE_GMEM);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->id, 4u);
  EXPECT_EQ(c->flags, compute_context_flags(8) | KGSL_CONTEXT_PER_CONTEXT_TS);
  EXPECT_EQ(k.calls.at(0).in_as<kgsl_drawctxt_create>().flags,
            compute_context_flags(8) | KGSL_CONTEXT_SAVE_GMEM);

  EXPECT_TRUE(drawctxt_destroy(k, kFd, 4).ok());
  EXPECT_EQ(k.calls.back().in_as<kgsl_drawctxt_destroy>().drawctxt_id, 4u);
}

TEST(KgslIoctl, DrawctxtCreateRefusesAContextWithoutPreamble) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    if (req == IOCTL_KGSL_DRAWCTXT_DESTROY) return 0;
    auto& c = as<kgsl_drawctxt_create>(arg);
    c.flags &= ~KGSL_CONTEXT_PREAMBLE;
    c.drawctxt_id = 2;
    return 0;
  };
  core::Result<Context> c = drawctxt_create(k, kFd, compute_context_flags());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(c.error().hint().find("KGSL_CONTEXT_PREAMBLE"), std::string::npos);
  EXPECT_EQ(k.count(IOCTL_KGSL_DRAWCTXT_DESTROY), 1u);  // not leaked
}

TEST(KgslIoctl, DrawctxtCreateErrorNamesTheIoctlWithTheHint) {
  FakeKgsl k;
  k.handler = [](unsigned long, void*) { return -ENOSPC; };
  core::Result<Context> c = drawctxt_create(k, kFd, compute_context_flags());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().op(), "IOCTL_KGSL_DRAWCTXT_CREATE");
  EXPECT_EQ(c.error().err(), ENOSPC);
  EXPECT_NE(c.error().message().find("200 contexts"), std::string::npos) << c.error().message();
}

TEST(KgslIoctl, GpuobjAllocQueriesInfoForTheAddress) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    if (req == IOCTL_KGSL_GPUOBJ_ALLOC) {
      auto& a = as<kgsl_gpuobj_alloc>(arg);
      a.size = (a.size + 4095) & ~uint64_t{4095};
      a.mmapsize = a.size;
      a.flags &= ~KGSL_MEMFLAGS_IOCOHERENT;  // not supported here: dropped silently
      a.id = 12;
      return 0;
    }
    EXPECT_EQ(req, IOCTL_KGSL_GPUOBJ_INFO);
    auto& i = as<kgsl_gpuobj_info>(arg);
    EXPECT_EQ(i.id, 12u);
    i.gpuaddr = 0x100000;
    i.size = 0x2000;
    return 0;
  };
  const uint64_t flags = buffer_flags(KGSL_CACHEMODE_WRITEBACK) | KGSL_MEMFLAGS_IOCOHERENT;
  core::Result<GpuObject> o = gpuobj_alloc(k, kFd, 5000, flags, "kernargs");
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->id, 12u);
  EXPECT_EQ(o->size, 0x2000u);
  EXPECT_EQ(o->mmapsize, 0x2000u);
  EXPECT_EQ(o->gpuaddr, 0x100000u);
  EXPECT_EQ(o->flags, buffer_flags(KGSL_CACHEMODE_WRITEBACK));
  const auto sent = k.calls.at(0).in_as<kgsl_gpuobj_alloc>();
  EXPECT_EQ(sent.size, 5000u);
  EXPECT_EQ(sent.flags, flags);
  EXPECT_EQ(sent.metadata_len, 8u);
  EXPECT_NE(sent.metadata, 0u);
}

TEST(KgslIoctl, GpuobjAllocFreesTheObjectWhenInfoFails) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    if (req == IOCTL_KGSL_GPUOBJ_ALLOC) {
      as<kgsl_gpuobj_alloc>(arg).id = 3;
      return 0;
    }
    if (req == IOCTL_KGSL_GPUOBJ_FREE) {
      EXPECT_EQ(as<kgsl_gpuobj_free>(arg).id, 3u);
      EXPECT_EQ(as<kgsl_gpuobj_free>(arg).flags, 0u);
      return 0;
    }
    return -EINVAL;
  };
  core::Result<GpuObject> o = gpuobj_alloc(k, kFd, 4096, buffer_flags());
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().op(), "IOCTL_KGSL_GPUOBJ_INFO");
  EXPECT_EQ(k.count(IOCTL_KGSL_GPUOBJ_FREE), 1u);
}

TEST(KgslIoctl, GpuobjFreeNowOnTimestampAndOnFence) {
  FakeKgsl k;
  std::vector<kgsl_gpu_event_timestamp> ts_events;
  std::vector<kgsl_gpu_event_fence> fence_events;
  k.handler = [&](unsigned long req, void* arg) {
    EXPECT_EQ(req, IOCTL_KGSL_GPUOBJ_FREE);
    auto& f = as<kgsl_gpuobj_free>(arg);
    const void* priv = reinterpret_cast<const void*>(static_cast<uintptr_t>(f.priv));
    if (f.type == KGSL_GPU_EVENT_TIMESTAMP) {
      EXPECT_EQ(f.len, 8u);
      ts_events.push_back(*static_cast<const kgsl_gpu_event_timestamp*>(priv));
    } else if (f.type == KGSL_GPU_EVENT_FENCE) {
      EXPECT_EQ(f.len, 4u);
      fence_events.push_back(*static_cast<const kgsl_gpu_event_fence*>(priv));
    }
    return 0;
  };
  EXPECT_TRUE(gpuobj_free(k, kFd, 7).ok());
  EXPECT_TRUE(gpuobj_free_on_timestamp(k, kFd, 8, 2, 99).ok());
  EXPECT_TRUE(gpuobj_free_on_fence(k, kFd, 9, 42).ok());
  ASSERT_EQ(k.calls.size(), 3u);
  const auto now = k.calls[0].in_as<kgsl_gpuobj_free>();
  EXPECT_EQ(now.flags, 0u);
  EXPECT_EQ(now.priv, 0u);
  EXPECT_EQ(now.id, 7u);
  const auto later = k.calls[1].in_as<kgsl_gpuobj_free>();
  EXPECT_EQ(later.flags, KGSL_GPUOBJ_FREE_ON_EVENT);
  EXPECT_EQ(later.id, 8u);
  ASSERT_EQ(ts_events.size(), 1u);
  EXPECT_EQ(ts_events[0].context_id, 2u);
  EXPECT_EQ(ts_events[0].timestamp, 99u);
  ASSERT_EQ(fence_events.size(), 1u);
  EXPECT_EQ(fence_events[0].fd, 42);
  EXPECT_EQ(k.calls[2].in_as<kgsl_gpuobj_free>().id, 9u);
}

TEST(KgslIoctl, GpuobjSync) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    EXPECT_EQ(req, IOCTL_KGSL_GPUOBJ_SYNC);
    auto& s = as<kgsl_gpuobj_sync>(arg);
    EXPECT_EQ(s.obj_len, 24u);
    EXPECT_EQ(s.count, 1u);
    const auto* o = reinterpret_cast<const kgsl_gpuobj_sync_obj*>(static_cast<uintptr_t>(s.objs));
    EXPECT_EQ(o->id, 5u);
    EXPECT_EQ(o->op, KGSL_GPUMEM_CACHE_CLEAN | KGSL_GPUMEM_CACHE_RANGE);
    EXPECT_EQ(o->offset, 64u);
    EXPECT_EQ(o->length, 128u);
    return 0;
  };
  EXPECT_TRUE(
      gpuobj_sync(k, kFd, 5, KGSL_GPUMEM_CACHE_CLEAN | KGSL_GPUMEM_CACHE_RANGE, 64, 128).ok());
  core::Status none = gpuobj_sync(k, kFd, std::span<const kgsl_gpuobj_sync_obj>{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind(), core::ErrorKind::kInvalidInput);
  EXPECT_EQ(k.calls.size(), 1u);
}

TEST(KgslIoctl, GpuobjMmapUsesTheIdAsOffset) {
  FakeKgsl k;
  core::Result<void*> p = gpuobj_mmap(k, kFd, 7, 0x3000);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(k.maps.size(), 1u);
  EXPECT_EQ(k.maps[0].offset, 7 << 12);
  EXPECT_EQ(k.maps[0].len, 0x3000u);
  EXPECT_EQ(k.maps[0].fd, kFd);
  EXPECT_EQ(k.maps[0].flags, MAP_SHARED);
  EXPECT_EQ(k.maps[0].prot, PROT_READ | PROT_WRITE);
  k.mmap_err = EBUSY;
  core::Result<void*> again = gpuobj_mmap(k, kFd, 7, 0x3000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().err(), EBUSY);
  EXPECT_NE(again.error().op().find("id 7"), std::string::npos);
  EXPECT_NE(again.error().hint().find("once"), std::string::npos);
}

TEST(KgslIoctl, MapUserMemAndSharedmemFree) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    if (req == IOCTL_KGSL_SHAREDMEM_FREE) {
      EXPECT_EQ(as<kgsl_sharedmem_free>(arg).gpuaddr, 0x5000u);
      return 0;
    }
    auto& m = as<kgsl_map_user_mem>(arg);
    EXPECT_EQ(m.memtype, KGSL_USER_MEM_TYPE_ADDR);
    EXPECT_EQ(m.offset, 0u);
    if (m.hostptr == 0xbad000) return -EFAULT;
    m.gpuaddr = 0x5000;
    return 0;
  };
  core::Result<uint64_t> va = map_user_mem(k, kFd, 0x10000, 0x2000);
  ASSERT_TRUE(va.ok());
  EXPECT_EQ(*va, 0x5000u);
  EXPECT_TRUE(sharedmem_free(k, kFd, 0x5000).ok());
  core::Result<uint64_t> svm = map_user_mem(k, kFd, 0xbad000, 0x1000);
  ASSERT_FALSE(svm.ok());
  EXPECT_EQ(svm.error().err(), EFAULT);
  EXPECT_NE(svm.error().hint().find("already a KGSL mapping"), std::string::npos);
}

TEST(KgslIoctl, GpuCommandSendsIbsAndReturnsTheTimestamp) {
  FakeKgsl k;
  const kgsl_command_object ibs[] = {ib(0x1000, 0x40, 3), ib(0x2000, 0x80)};
  k.handler = [&](unsigned long req, void* arg) {
    EXPECT_EQ(req, IOCTL_KGSL_GPU_COMMAND);
    auto& g = as<kgsl_gpu_command>(arg);
    EXPECT_EQ(g.cmdsize, 32u);
    EXPECT_EQ(g.objsize, 32u);
    EXPECT_EQ(g.syncsize, 24u);
    EXPECT_EQ(g.numcmds, 2u);
    EXPECT_EQ(g.numobjs, 0u);
    EXPECT_EQ(g.numsyncs, 0u);
    EXPECT_EQ(g.context_id, 6u);
    EXPECT_EQ(g.cmdlist, reinterpret_cast<uintptr_t>(ibs));
    g.timestamp = 41;
    return 0;
  };
  core::Result<uint32_t> ts = gpu_command(k, kFd, 6, ibs, KGSL_CMDBATCH_SUBMIT_IB_LIST);
  ASSERT_TRUE(ts.ok()) << ts.error().message();
  EXPECT_EQ(*ts, 41u);
  EXPECT_EQ(k.calls.at(0).in_as<kgsl_gpu_command>().flags, KGSL_CMDBATCH_SUBMIT_IB_LIST);
  EXPECT_EQ(ibs[0].flags, KGSL_CMDLIST_IB);
  EXPECT_EQ(ibs[0].id, 3u);
}

TEST(KgslIoctl, GpuCommandWithSyncPointsAndProfiling) {
  FakeKgsl k;
  kgsl_cmd_syncpoint_timestamp dep{.context_id = 2, .timestamp = 10};
  const kgsl_command_syncpoint syncs[] = {{.priv = reinterpret_cast<uintptr_t>(&dep),
                                           .size = sizeof dep,
                                           .type = KGSL_CMD_SYNCPOINT_TYPE_TIMESTAMP,
                                           .pad0 = 0}};
  const kgsl_command_object objs[] = {ib(0x9000, sizeof(kgsl_cmdbatch_profiling_buffer), 4,
                                         KGSL_OBJLIST_MEMOBJ | KGSL_OBJLIST_PROFILE)};
  const kgsl_command_object cmds[] = {ib(0x1000, 0x40)};
  k.handler = [](unsigned long, void* arg) {
    auto& g = as<kgsl_gpu_command>(arg);
    EXPECT_EQ(g.numsyncs, 1u);
    EXPECT_EQ(g.numobjs, 1u);
    g.timestamp = 2;
    return 0;
  };
  GpuCommand c;
  c.context_id = 1;
  c.cmds = cmds;
  c.objs = objs;
  c.syncs = syncs;
  c.flags = KGSL_CMDBATCH_PROFILING;
  core::Result<uint32_t> ts = gpu_command(k, kFd, c);
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(*ts, 2u);

  std::vector<kgsl_command_syncpoint> too_many(33);
  c.syncs = too_many;
  core::Result<uint32_t> refused = gpu_command(k, kFd, c);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), core::ErrorKind::kInvalidInput);
  EXPECT_EQ(k.calls.size(), 1u);
}

TEST(KgslIoctl, GpuCommandEprotoSaysTheTimestampIsUnknown) {
  FakeKgsl k;
  k.handler = [](unsigned long, void* arg) {
    as<kgsl_gpu_command>(arg).timestamp = 77;  // not copied back on failure
    return -EPROTO;
  };
  const kgsl_command_object cmds[] = {ib(0x1000, 0x40)};
  core::Result<uint32_t> ts = gpu_command(k, kFd, 1, cmds);
  ASSERT_FALSE(ts.ok());
  EXPECT_EQ(ts.error().op(), "IOCTL_KGSL_GPU_COMMAND");
  EXPECT_EQ(ts.error().err(), EPROTO);
  EXPECT_NE(ts.error().hint().find("KGSL_TIMESTAMP_QUEUED"), std::string::npos);
  EXPECT_EQ(k.calls[0].out.size(), sizeof(kgsl_gpu_command));
  EXPECT_EQ(k.calls[0].out, k.calls[0].in);
}

TEST(KgslIoctl, WaitTimestampSendsMillisecondsAndNeverZero) {
  FakeKgsl k;
  EXPECT_TRUE(waittimestamp_ctxtid(k, kFd, 3, 9, 250).ok());
  EXPECT_TRUE(waittimestamp_ctxtid(k, kFd, 3, 9, 0).ok());
  EXPECT_TRUE(waittimestamp_ctxtid(k, kFd, 3, 9, kWaitForever).ok());
  ASSERT_EQ(k.calls.size(), 3u);
  const auto a = k.calls[0].in_as<kgsl_device_waittimestamp_ctxtid>();
  EXPECT_EQ(a.context_id, 3u);
  EXPECT_EQ(a.timestamp, 9u);
  EXPECT_EQ(a.timeout, 250u);
  EXPECT_TRUE(k.calls[0].once);
  EXPECT_EQ(k.calls[1].in_as<kgsl_device_waittimestamp_ctxtid>().timeout, 1u);
  EXPECT_EQ(k.calls[2].in_as<kgsl_device_waittimestamp_ctxtid>().timeout, 0xFFFFFFFFu);
}

TEST(KgslIoctl, WaitTimestampRestartsWithTheTimeLeft) {
  FakeKgsl k;
  int interrupts = 2;
  k.handler = [&](unsigned long, void*) { return interrupts-- > 0 ? -EINTR : 0; };
  EXPECT_TRUE(waittimestamp_ctxtid(k, kFd, 1, 5, 60000).ok());
  ASSERT_EQ(k.calls.size(), 3u);
  uint32_t prev = 60000;
  for (const FakeKgsl::Call& c : k.calls) {
    const uint32_t t = c.in_as<kgsl_device_waittimestamp_ctxtid>().timeout;
    EXPECT_GE(t, 1u);
    EXPECT_LE(t, prev);
    prev = t;
  }

  k.calls.clear();
  k.handler = [](unsigned long, void*) { return -ETIMEDOUT; };
  core::Status s = waittimestamp_ctxtid(k, kFd, 1, 5, 10);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err(), ETIMEDOUT);
  EXPECT_EQ(s.error().op(), "IOCTL_KGSL_DEVICE_WAITTIMESTAMP_CTXTID");
  EXPECT_EQ(k.calls.size(), 1u);
}

TEST(KgslIoctl, ReadTimestampAndTimestampEvent) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    if (req == IOCTL_KGSL_CMDSTREAM_READTIMESTAMP_CTXTID) {
      auto& r = as<kgsl_cmdstream_readtimestamp_ctxtid>(arg);
      r.timestamp = r.type == KGSL_TIMESTAMP_QUEUED ? 12 : 10;
      return 0;
    }
    auto& e = as<kgsl_timestamp_event>(arg);
    EXPECT_EQ(e.type, KGSL_TIMESTAMP_EVENT_FENCE);
    EXPECT_EQ(e.len, 4u);
    EXPECT_EQ(e.context_id, 2u);
    EXPECT_EQ(e.timestamp, 12u);
    reinterpret_cast<kgsl_timestamp_event_fence*>(static_cast<uintptr_t>(e.priv))->fence_fd = 31;
    return 0;
  };
  core::Result<uint32_t> retired = readtimestamp(k, kFd, 2);
  ASSERT_TRUE(retired.ok());
  EXPECT_EQ(*retired, 10u);
  EXPECT_EQ(k.calls[0].in_as<kgsl_cmdstream_readtimestamp_ctxtid>().type, KGSL_TIMESTAMP_RETIRED);
  core::Result<uint32_t> queued = readtimestamp(k, kFd, 2, KGSL_TIMESTAMP_QUEUED);
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(*queued, 12u);
  core::Result<int> fence = timestamp_event(k, kFd, 2, 12);
  ASSERT_TRUE(fence.ok()) << fence.error().message();
  EXPECT_EQ(*fence, 31);
}

// ---------------------------------------------------------------------------------------------
// Fault injection through core::FaultSys.

TEST(KgslIoctl, InjectedFailuresBecomeErrorsNamingTheIoctl) {
  FakeKgsl k;
  k.handler = [](unsigned long req, void* arg) {
    if (req == IOCTL_KGSL_GPUOBJ_ALLOC) as<kgsl_gpuobj_alloc>(arg).id = 1;
    return 0;
  };
  core::FaultSys f(k);
  f.add({.op = core::SysOp::kIoctl, .request = IOCTL_KGSL_GPUOBJ_ALLOC, .err = ENOMEM});
  f.add({.op = core::SysOp::kIoctl, .request = IOCTL_KGSL_DRAWCTXT_CREATE, .err = EINVAL});
  f.add({.op = core::SysOp::kIoctl, .request = IOCTL_KGSL_DEVICE_GETPROPERTY, .err = EFAULT});

  core::Result<GpuObject> o = gpuobj_alloc(f, kFd, 4096, buffer_flags());
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message(),
            "IOCTL_KGSL_GPUOBJ_ALLOC: ENOMEM (Cannot allocate memory): out of GPU memory or "
            "address space; free buffers or allocate less");
  core::Result<Context> c = drawctxt_create(f, kFd, 0);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().err(), EINVAL);
  EXPECT_NE(c.error().hint().find("KGSL_CONTEXT_PREAMBLE"), std::string::npos);
  core::Result<kgsl_devinfo> d = device_info(f, kFd);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().err(), EFAULT);
  EXPECT_EQ(d.error().hint(), "an argument pointer is not valid user memory");  // common hint
  EXPECT_EQ(f.injected(), 3u);
  EXPECT_TRUE(k.calls.empty());  // nothing reached the driver

  // The second allocation passes (the rule fails the first one only).
  core::Result<GpuObject> o2 = gpuobj_alloc(f, kFd, 4096, buffer_flags());
  EXPECT_TRUE(o2.ok());
}

TEST(KgslIoctl, CallWorksWithRecordSysAndLogsDecodedAtLevel4) {
  FakeKgsl k;
  core::RecordSys rec(k);
  const int saved = core::debug_level();
  core::set_debug_level(4);
  k.handler = [](unsigned long, void* arg) {
    as<kgsl_drawctxt_create>(arg).drawctxt_id = 8;
    return 0;
  };
  core::Result<kgsl_drawctxt_create> c = call<IOCTL_KGSL_DRAWCTXT_CREATE>(
      rec, kFd, {.flags = compute_context_flags(), .drawctxt_id = 0});
  core::set_debug_level(saved);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->drawctxt_id, 8u);
  const std::vector<core::SysCall> calls = rec.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].request, IOCTL_KGSL_DRAWCTXT_CREATE);
  ASSERT_EQ(calls[0].arg_in.size(), 8u);
  uint32_t flags = 0;
  std::memcpy(&flags, calls[0].arg_in.data(), 4);
  EXPECT_EQ(flags, compute_context_flags());
}

}  // namespace

// rawgpu replay: traces recorded here (without the sniffer) by a Sys decorator that writes
// OPEN/CLOSE/IOCTL (+ nested buffers from the rows' BufferRefs)/MMAP/MUNMAP records and memory
// snapshots while a real backend runs on a simulated machine, replayed onto a fresh machine; then
// tampered and corrupt traces.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/ioctl_desc.h"
#include "devices/registry.h"
#include "kfd/describe.h"
#include "kfd/device.h"
#include "nv_ioctl/describe.h"
#include "nv_ioctl/device.h"
#include "qcom_kgsl/describe.h"
#include "qcom_kgsl/device.h"
#include "tools/trace/replay.h"
#include "tools/trace/trace.h"

namespace rawgpu::trace {
namespace {

using namespace std::chrono_literals;

const core::IoctlDesc* row_for(DriverKind kind, unsigned long request) {
  core::IoctlMatch m;
  if (kind == DriverKind::kKfd) m = core::find_by_request(kfd::kfd_ioctls(), request);
  if (kind == DriverKind::kNvidiaCtl || kind == DriverKind::kNvidiaGpu || kind == DriverKind::kNvidiaUvm)
    m = nv::find_nv_request(request);
  if (kind == DriverKind::kKgsl) m = qcom::find_kgsl_ioctl(request);
  return m.desc && m.size_ok ? m.desc : nullptr;
}

// A test-only sniffer: records what passes through it, like librawgpu_sniff.so would.
class TraceSys final : public core::Sys {
 public:
  TraceSys(core::Sys& inner, TraceWriter& w) : inner_(inner), w_(w) {}
  bool snapshot_every_ioctl = false;

  int open(const char* path, int flags, unsigned mode) override {
    const int fd = inner_.open(path, flags, mode);
    std::lock_guard lk(mu_);
    const DriverKind k = guess_driver(path);
    if (fd >= 0) kinds_[fd] = k;
    EXPECT_TRUE(w_.append(OpenRecord{fd, static_cast<uint32_t>(flags), mode, static_cast<uint32_t>(k), path}).ok());
    return fd;
  }
  int close(int fd) override {
    const int rc = inner_.close(fd);
    std::lock_guard lk(mu_);
    kinds_.erase(fd);
    EXPECT_TRUE(w_.append(CloseRecord{fd, rc}).ok());
    return rc;
  }
  int ioctl(int fd, unsigned long request, void* arg) override { return call(fd, request, arg, false); }
  int ioctl_once(int fd, unsigned long request, void* arg) override { return call(fd, request, arg, true); }
  core::MapResult mmap(void* addr, size_t len, int prot, int flags, int fd, int64_t offset) override {
    core::MapResult m = inner_.mmap(addr, len, prot, flags, fd, offset);
    if (fd < 0) return m;  // anonymous: not in traces (the sniffer records driver fds only)
    std::lock_guard lk(mu_);
    MmapRecord r{reinterpret_cast<uint64_t>(addr), len, prot, flags, fd, m.addr ? 0 : m.err, offset,
                 m.addr ? reinterpret_cast<uint64_t>(m.addr) : ~uint64_t{0}};
    EXPECT_TRUE(w_.append(r).ok());
    if (m.addr) maps_[reinterpret_cast<uint64_t>(m.addr)] = {len, prot};
    return m;
  }
  int munmap(void* addr, size_t len) override {
    std::lock_guard lk(mu_);
    const auto a = reinterpret_cast<uint64_t>(addr);
    auto it = maps_.find(a);
    if (it != maps_.end() && (it->second.prot & PROT_READ)) {
      // Contents when the mapping goes: the replay must end with the same.
      MemorySnapshotRecord s{static_cast<uint32_t>(AddressSpace::kCpu), a,
                             {static_cast<const uint8_t*>(addr), std::min<uint64_t>(len, it->second.len)},
                             static_cast<uint32_t>(SnapshotReason::kCheck)};
      EXPECT_TRUE(w_.append(s).ok());
    }
    const int rc = inner_.munmap(addr, len);
    if (it != maps_.end()) {
      EXPECT_TRUE(w_.append(MunmapRecord{a, len, rc}).ok());
      maps_.erase(it);
    }
    return rc;
  }
  core::Result<std::string> read_file(const std::string& p, size_t n) override { return inner_.read_file(p, n); }
  core::Result<std::vector<std::string>> list_dir(const std::string& p) override { return inner_.list_dir(p); }
  core::Result<std::string> read_link(const std::string& p) override { return inner_.read_link(p); }
  std::string name() const override { return "trace(" + inner_.name() + ")"; }

 private:
  struct Map {
    uint64_t len = 0;
    int prot = 0;
  };

  int call(int fd, unsigned long request, void* arg, bool once) {
    std::unique_lock lk(mu_);
    const DriverKind kind = kinds_.count(fd) ? kinds_[fd] : DriverKind::kOther;
    const core::IoctlDesc* d = row_for(kind, request);
    uint32_t size = core::ioc_size(request);
    if (d && d->encoding == core::IoctlEncoding::kRaw) size = d->size;
    std::vector<uint8_t> before(arg ? size : 0), after;
    if (!before.empty()) std::memcpy(before.data(), arg, size);
    std::vector<std::vector<uint8_t>> bb, ba;
    std::vector<IoctlBuffer> bufs;
    if (d)
      for (const core::BufferRef& ref : d->buffers) {
        auto sp = core::buffer_span(*d, ref, before, nv_branch_);
        if (!sp || sp->bytes == 0 || sp->address == 0) continue;
        const auto* p = reinterpret_cast<const uint8_t*>(sp->address);
        bb.emplace_back(p, p + sp->bytes);
        bufs.push_back({ref.tag, sp->address, {}, {}});
      }
    // One level further, as the sniffer does: RM control params' own lists (tags 0x100 + tag)
    // and the KGSL power constraint's payload (tag 0x101).
    if (d && d->name == "NV_ESC_RM_CONTROL" && !bb.empty()) {
      const auto* p = reinterpret_cast<const nv::NVOS54_PARAMETERS*>(before.data());
      if (const core::IoctlDesc* c = nv::find_sized(nv::rm_controls(), p->cmd, p->paramsSize)) {
        const std::vector<uint8_t> params = bb[0];
        for (const core::BufferRef& ref : c->buffers) {
          auto sp = core::buffer_span(*c, ref, params);
          if (!sp || sp->bytes == 0 || sp->address == 0) continue;
          const auto* q = reinterpret_cast<const uint8_t*>(sp->address);
          bb.emplace_back(q, q + sp->bytes);
          bufs.push_back({0x100 + ref.tag, sp->address, {}, {}});
        }
      }
    }
    if (d && d->name == "IOCTL_KGSL_SETPROPERTY" && !bb.empty() &&
        bb[0].size() >= sizeof(qcom::kgsl_device_constraint) &&
        reinterpret_cast<const qcom::kgsl_device_getproperty*>(before.data())->type ==
            qcom::KGSL_PROP_PWR_CONSTRAINT) {
      qcom::kgsl_device_constraint c;
      std::memcpy(&c, bb[0].data(), sizeof c);
      if (c.data && c.size && c.size < 4096) {
        const auto* q = reinterpret_cast<const uint8_t*>(c.data);
        bb.emplace_back(q, q + c.size);
        bufs.push_back({0x101, c.data, {}, {}});
      }
    }
    // KGSL submits by ioctl: the memory the GPU will read is restored before it (snapshots of
    // the device mappings, like the sniffer's). rawgpu's KGSL copies run on the CPU, between
    // ioctls: the copy test snapshots before every ioctl so that what the CPU wrote is restored.
    if (d && (snapshot_every_ioctl || d->name == "IOCTL_KGSL_GPU_COMMAND")) {
      for (const auto& [a, m] : maps_) {
        if (!(m.prot & PROT_WRITE) || !(m.prot & PROT_READ)) continue;
        MemorySnapshotRecord snap{static_cast<uint32_t>(AddressSpace::kCpu), a,
                                  {reinterpret_cast<const uint8_t*>(a), m.len},
                                  static_cast<uint32_t>(SnapshotReason::kRestore)};
        EXPECT_TRUE(w_.append(snap).ok());
      }
    }
    lk.unlock();
    const int rc = once ? inner_.ioctl_once(fd, request, arg) : inner_.ioctl(fd, request, arg);
    lk.lock();
    if (!before.empty()) after.assign(static_cast<uint8_t*>(arg), static_cast<uint8_t*>(arg) + size);
    // The NV branch sizes RM alloc params (each class's row per branch), as in the sniffer.
    if (d && d->name == "NV_ESC_CHECK_VERSION_STR" && rc >= 0 && size >= sizeof(nv::nv_ioctl_rm_api_version_t)) {
      const auto* v = static_cast<const nv::nv_ioctl_rm_api_version_t*>(arg);
      uint32_t major = 0;
      for (size_t i = 0; i < sizeof v->versionString && v->versionString[i] >= '0' &&
                         v->versionString[i] <= '9' && major < 10000;
           ++i)
        major = major * 10 + static_cast<uint32_t>(v->versionString[i] - '0');
      nv_branch_ = major;
    }
    for (size_t i = 0; i < bufs.size(); ++i) {
      const auto* p = reinterpret_cast<const uint8_t*>(bufs[i].address);
      ba.emplace_back(p, p + bb[i].size());
      bufs[i].before = bb[i];
      bufs[i].after = ba[i];
    }
    IoctlRecord r{fd, rc < 0 ? -rc : 0, request, rc < 0 ? -1 : rc, before, after, bufs};
    EXPECT_TRUE(w_.append(r).ok());
    return rc;
  }

  core::Sys& inner_;
  TraceWriter& w_;
  std::mutex mu_;
  std::map<int, DriverKind> kinds_;
  std::map<uint64_t, Map> maps_;
  uint32_t nv_branch_ = 0;
};

std::string temp_path(const std::string& tag) {
  return ::testing::TempDir() + "replay_" + tag + "_" + std::to_string(::getpid()) + ".rgtrace";
}

using Workload = void (*)(queues::Device& dev);

// Host-visible copies through a copy queue, a signal, then everything released.
void copy_workload(queues::Device& dev) {
  const uint64_t n = 64 * 1024;
  auto src = dev.alloc(n, queues::MemoryKind::kDeviceMapped);
  auto dst = dev.alloc(n, queues::MemoryKind::kDeviceMapped);
  ASSERT_TRUE(src.ok() && dst.ok());
  auto* s = static_cast<uint8_t*>((*src)->cpu_ptr());
  for (uint64_t i = 0; i < n; ++i) s[i] = static_cast<uint8_t>(i * 7 + 3);
  std::memset((*dst)->cpu_ptr(), 0, n);
  auto q = dev.create_copy_queue();
  auto sig = dev.create_signal(0);
  ASSERT_TRUE(q.ok() && sig.ok());
  ASSERT_TRUE((*q)->copy(**dst, 0, **src, 0, n).ok());
  ASSERT_TRUE((*q)->signal(**sig, 1).ok());
  ASSERT_TRUE((*q)->submit().ok());
  auto w = (*sig)->wait(1, 20s);
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(std::memcmp((*dst)->cpu_ptr(), s, n), 0);
}

// Memory of every kind and queues, no GPU work (KFD and NV submit by doorbell store, which a Sys
// decorator cannot see: the round-trip test with the real sniffer covers that).
void setup_workload(queues::Device& dev) {
  for (auto kind : {queues::MemoryKind::kDevice, queues::MemoryKind::kDeviceMapped, queues::MemoryKind::kHost}) {
    auto b = dev.alloc(3 * 4096 + 5, kind);
    ASSERT_TRUE(b.ok()) << b.error().message();
  }
  auto q = dev.create_copy_queue();
  ASSERT_TRUE(q.ok()) << q.error().message();
  auto c = dev.create_compute_queue();
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto sig = dev.create_signal(5);
  ASSERT_TRUE(sig.ok());
}

// Records `work` on a fresh `device` into `path`.
void record(const std::string& device, const std::string& path, Workload work,
            bool snapshot_every_ioctl = true) {
  auto machine = devices::open_sim_machine(device);
  ASSERT_TRUE(machine.ok()) << machine.error().message();
  auto w = TraceWriter::create(path);
  ASSERT_TRUE(w.ok()) << w.error().message();
  {
    TraceSys ts(*machine->sys, **w);
    // KGSL only: on KFD/NV the snapshots would also restore doorbell and ring pages that the
    // test's setup never submits through.
    ts.snapshot_every_ioctl = snapshot_every_ioctl && machine->name.vendor == core::Vendor::kQualcomm;
    core::Result<std::unique_ptr<queues::Device>> dev = core::Error::internal("open", "?");
    const core::DeviceName name = machine->name;
    if (name.vendor == core::Vendor::kAmd) {
      kfd::OpenOptions o;
      o.index = name.index;
      o.name = name;
      o.simulated = true;
      dev = kfd::open_device(ts, o);
    } else if (name.vendor == core::Vendor::kNvidia) {
      nv::OpenOptions o;
      o.index = name.index;
      o.name = name;
      o.simulated = true;
      dev = nv::open_device(ts, o);
    } else {
      qcom::OpenOptions o;
      o.index = name.index;
      o.name = name;
      o.simulated = true;
      dev = qcom::open_device(ts, o);
    }
    ASSERT_TRUE(dev.ok()) << dev.error().message();
    work(**dev);
    dev->reset();
  }
  ASSERT_TRUE((*w)->finish().ok());
}

ReplayStats replay(const std::string& path, const std::string& device, bool keep_going = false) {
  ReplayOptions o;
  o.keep_going = keep_going;
  o.check_wait = 2s;
  auto s = replay_file(path, device, o);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? *s : ReplayStats{};
}

// Copies `in` to `out`, letting `edit` change each record (returns false to drop it).
template <typename Edit>
void rewrite(const std::string& in, const std::string& out, Edit edit) {
  auto r = TraceReader::open_file(in);
  ASSERT_TRUE(r.ok());
  auto w = TraceWriter::create(out);
  ASSERT_TRUE(w.ok());
  uint64_t index = 0;
  for (;;) {
    auto v = r->next();
    ASSERT_TRUE(v.ok());
    if (!v->has_value()) break;
    auto rec = decode(**v);
    ASSERT_TRUE(rec.ok());
    if ((**v).type == static_cast<uint32_t>(RecordType::kEnd)) break;
    std::visit(
        [&](auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (!std::is_same_v<T, EndRecord> && !std::is_same_v<T, UnknownRecord>) {
            T copy = x;
            edit(index, copy, [&](const auto& y) { ASSERT_TRUE((*w)->append(y).ok()); });
          }
        },
        *rec);
    ++index;
  }
  ASSERT_TRUE((*w)->finish().ok());
}

class ReplayRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(ReplayRoundTrip, SetupReplaysIdentically) {
  const std::string path = temp_path(std::string("setup_") + (GetParam() + 4));
  record(GetParam(), path, setup_workload);
  ReplayStats s = replay(path, GetParam());
  EXPECT_TRUE(s.divergences.empty()) << s.divergences.front().text();
  EXPECT_GT(s.ioctls, 10u);
  EXPECT_GT(s.mmaps, 0u);
  EXPECT_TRUE(s.ended);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Sims, ReplayRoundTrip, ::testing::Values("sim-amd:0", "sim-nv:0", "sim-qcom:0"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           const std::string n = p.param;
                           return n.substr(4, n.find(':') - 4);
                         });

class ReplayKgsl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = new std::string(temp_path("kgsl_copy"));
    record("sim-qcom:0", *path_, copy_workload);
  }
  static void TearDownTestSuite() {
    std::remove(path_->c_str());
    delete path_;
  }
  static std::string* path_;
};
std::string* ReplayKgsl::path_ = nullptr;

TEST_F(ReplayKgsl, CopyReplaysWithMemoryRestoredAndChecked) {
  ReplayStats s = replay(*path_, "sim-qcom:0");
  EXPECT_TRUE(s.divergences.empty()) << s.divergences.front().text();
  EXPECT_GT(s.snapshots_restored, 0u);
  EXPECT_GT(s.snapshots_checked, 0u);
  EXPECT_NE(s.summary().find(": identical"), std::string::npos) << s.summary();
  // The default device comes from the trace's first driver.
  ReplayStats d = replay(*path_, "");
  EXPECT_TRUE(d.divergences.empty());
}

TEST_F(ReplayKgsl, ChangedResultIsTheFirstDivergence) {
  const std::string out = temp_path("kgsl_result");
  uint64_t changed = ~uint64_t{0};
  rewrite(*path_, out, [&](uint64_t i, auto& rec, auto put) {
    using T = std::decay_t<decltype(rec)>;
    if constexpr (std::is_same_v<T, IoctlRecord>) {
      if (changed == ~uint64_t{0} && rec.result == 0 && i > 5) {
        rec.result = -1;
        rec.err = EINVAL;
        changed = i;
      }
    }
    put(rec);
  });
  ReplayStats s = replay(out, "sim-qcom:0");
  ASSERT_EQ(s.divergences.size(), 1u);
  EXPECT_TRUE(s.stopped);
  EXPECT_EQ(s.divergences[0].index, changed);
  EXPECT_NE(s.divergences[0].what.find("-1 EINVAL (recorded)"), std::string::npos) << s.divergences[0].text();
  EXPECT_NE(s.divergences[0].recorded.find("IOCTL_KGSL_"), std::string::npos) << s.divergences[0].text();
  EXPECT_NE(s.divergences[0].replayed.find("= 0"), std::string::npos) << s.divergences[0].text();
  std::remove(out.c_str());
}

TEST_F(ReplayKgsl, BadHandleIsReportedWithTheCallDecoded) {
  const std::string out = temp_path("kgsl_handle");
  bool done = false;
  std::vector<uint8_t> arg;
  rewrite(*path_, out, [&](uint64_t, auto& rec, auto put) {
    using T = std::decay_t<decltype(rec)>;
    if constexpr (std::is_same_v<T, IoctlRecord>) {
      const core::IoctlDesc* d = qcom::find_kgsl_ioctl(rec.request).desc;
      if (!done && d && d->name == "IOCTL_KGSL_GPUOBJ_INFO") {
        arg.assign(rec.arg_before.begin(), rec.arg_before.end());
        ASSERT_TRUE(core::write_field(*core::find_field(*d, "id"), arg, 0x7777));
        rec.arg_before = arg;
        done = true;
      }
    }
    put(rec);
  });
  ASSERT_TRUE(done);
  ReplayStats s = replay(out, "sim-qcom:0");
  ASSERT_FALSE(s.divergences.empty());
  const Divergence& d = s.divergences[0];
  EXPECT_NE(d.recorded.find("IOCTL_KGSL_GPUOBJ_INFO"), std::string::npos) << d.text();
  EXPECT_NE(d.replayed.find("id=30583"), std::string::npos) << d.text();
  EXPECT_NE(d.recorded.find(" => {"), std::string::npos) << d.text();
  EXPECT_NE(d.what.find("EINVAL (replayed)"), std::string::npos) << d.text();
  std::remove(out.c_str());
}

// The first check snapshot with a byte changed; with `gpu_work`, a SUBMISSION record before it
// (the KGSL copy runs on the CPU: without one no GPU work could have written the page).
std::string tamper_first_check(const std::string& in, const std::string& name, bool gpu_work) {
  const std::string out = temp_path(name);
  bool done = false;
  std::vector<uint8_t> data;
  rewrite(in, out, [&](uint64_t, auto& rec, auto put) {
    using T = std::decay_t<decltype(rec)>;
    if constexpr (std::is_same_v<T, MemorySnapshotRecord>) {
      if (!done && rec.reason == static_cast<uint32_t>(SnapshotReason::kCheck) && rec.data.size() > 100) {
        data.assign(rec.data.begin(), rec.data.end());
        data[100] ^= 0x5A;
        rec.data = data;
        done = true;
        if (gpu_work) put(SubmissionRecord{.driver = static_cast<uint32_t>(DriverKind::kKgsl), .queue = 1});
      }
    }
    put(rec);
  });
  EXPECT_TRUE(done);
  return out;
}

TEST_F(ReplayKgsl, ChangedMemoryCheckNamesTheByte) {
  const std::string out = tamper_first_check(*path_, "kgsl_memory", true);
  ReplayOptions o;
  o.check_wait = 50ms;
  auto s = replay_file(out, "sim-qcom:0", o);
  ASSERT_TRUE(s.ok());
  ASSERT_FALSE(s->divergences.empty());
  EXPECT_NE(s->divergences[0].what.find("(byte 100 of"), std::string::npos) << s->divergences[0].text();
  std::remove(out.c_str());
}

TEST_F(ReplayKgsl, CheckedPageNoGpuWorkCouldWriteIsNotADivergence) {
  const std::string out = tamper_first_check(*path_, "kgsl_cpu_only", false);
  ReplayOptions o;
  o.check_wait = 50ms;
  std::vector<std::string> lines;
  o.log = [&](const std::string& l) { lines.push_back(l); };
  auto s = replay_file(out, "sim-qcom:0", o);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->divergences.empty()) << s->divergences.front().text();
  EXPECT_GE(s->check_pages_cpu_only, 1u);
  bool logged = false;
  for (const std::string& l : lines) logged = logged || l.find("not counted") != std::string::npos;
  EXPECT_TRUE(logged);
  std::remove(out.c_str());
}

TEST_F(ReplayKgsl, KeepGoingReportsEveryDivergence) {
  const std::string out = temp_path("kgsl_keep");
  int changed = 0;
  rewrite(*path_, out, [&](uint64_t, auto& rec, auto put) {
    using T = std::decay_t<decltype(rec)>;
    if constexpr (std::is_same_v<T, IoctlRecord>) {
      if (changed < 2 && rec.result == 0 && qcom::find_kgsl_ioctl(rec.request).desc &&
          qcom::find_kgsl_ioctl(rec.request).desc->name == "IOCTL_KGSL_DEVICE_GETPROPERTY") {
        rec.result = -1;
        rec.err = ENODEV;
        ++changed;
      }
    }
    put(rec);
  });
  ASSERT_EQ(changed, 2);
  ReplayStats s = replay(out, "sim-qcom:0", true);
  EXPECT_GE(s.divergences.size(), 2u);
  EXPECT_FALSE(s.stopped);
  std::remove(out.c_str());
}

TEST_F(ReplayKgsl, TruncatedTraceReplaysItsPrefixAndCorruptOneFails) {
  std::ifstream in(*path_, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 4096u);
  // Torn tail: every complete record is replayed; no error.
  const std::string torn = temp_path("kgsl_torn");
  std::ofstream(torn, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  auto s = replay_file(torn, "sim-qcom:0");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_FALSE(s->ended);
  // A record type 0 right after the header: a clear error naming the offset.
  std::vector<char> bad = bytes;
  std::memset(bad.data() + 64, 0, 4);
  const std::string corrupt = temp_path("kgsl_corrupt");
  std::ofstream(corrupt, std::ios::binary).write(bad.data(), static_cast<std::streamsize>(bad.size()));
  auto c = replay_file(corrupt, "sim-qcom:0");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("0x40"), std::string::npos) << c.error().message();
  // Not a trace at all.
  const std::string junk = temp_path("junk");
  std::ofstream(junk, std::ios::binary) << "hello";
  EXPECT_FALSE(replay_file(junk, "sim-qcom:0").ok());
  EXPECT_FALSE(replay_file(*path_, "sim-bogus:0").ok());
  for (const auto& p : {torn, corrupt, junk}) std::remove(p.c_str());
}

TEST(ReplayCli, PrintsTheSummaryAndExitsByResult) {
  const std::string path = temp_path("cli");
  record("sim-qcom:0", path, setup_workload);
  const std::string cmd = std::string(RAWGPU_CLI) + " replay -q " + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = ::pclose(p);
  EXPECT_EQ(WEXITSTATUS(rc), 0) << out;
  EXPECT_NE(out.find("ioctls"), std::string::npos) << out;
  EXPECT_NE(out.find(": identical"), std::string::npos) << out;
  const std::string missing = std::string(RAWGPU_CLI) + " replay -q " + path + ".missing >/dev/null 2>&1";
  EXPECT_NE(WEXITSTATUS(std::system(missing.c_str())), 0);
  std::remove(path.c_str());
}

// Untrusted input: a snapshot whose range wraps the address space is a divergence at once (it
// once looped over 2^52 pages).
TEST(ReplayCorrupt, SnapshotRangeThatWrapsIsADivergenceNotAHang) {
  const std::string path = temp_path("wrap");
  {
    auto w = TraceWriter::create(path);
    ASSERT_TRUE(w.ok()) << w.error().message();
    ASSERT_TRUE((*w)->append(OpenRecord{.result = 3, .flags = O_RDWR, .driver = static_cast<uint32_t>(DriverKind::kKgsl),
                                        .path = "/dev/kgsl-3d0"}).ok());
    const uint8_t data[16] = {1, 2, 3};
    ASSERT_TRUE((*w)->append(MemorySnapshotRecord{.address = ~0ull - 4095, .data = data}).ok());
    ASSERT_TRUE((*w)->finish().ok());
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto s = replay_file(path, "sim-qcom:0");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_FALSE(s->divergences.empty());
  EXPECT_NE(s->divergences.front().text().find("wraps"), std::string::npos)
      << s->divergences.front().text();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace rawgpu::trace

// librawgpu_sniff.so and `rawgpu sniff`: the nested-buffer annotations of the ioctl tables, and
// end to end on the preloaded simulators (librawgpu_sim.so): the records each driver produces, a
// killed process, a forked child, and the program's output unchanged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "kfd/abi.h"
#include "kfd/describe.h"
#include "nv_ioctl/abi.h"
#include "nv_ioctl/classes.h"
#include "nv_ioctl/describe.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/describe.h"
#include "tools/trace/trace.h"

namespace rawgpu {
namespace {

// ---- When run as a traced child (SNIFF_TEST_CHILD set), act and exit before gtest starts.
void child_ioctls(int fd, int n) {
  kfd_ioctl_get_version_args v{};
  for (int i = 0; i < n; ++i) (void)::ioctl(fd, AMDKFD_IOC_GET_VERSION, &v);
}
__attribute__((constructor)) void maybe_child() {
  const char* mode = std::getenv("SNIFF_TEST_CHILD");
  if (!mode) return;
  const int fd = ::open("/dev/kfd", O_RDWR | O_CLOEXEC);
  if (fd < 0) _exit(3);
  child_ioctls(fd, 3);
  if (std::string(mode) == "kill") ::raise(SIGKILL);
  if (std::string(mode) == "fork") {
    const pid_t pid = ::fork();
    if (pid == 0) {
      child_ioctls(fd, 5);
      _exit(0);  // plain traces are complete record by record; no END without exit handlers
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    child_ioctls(fd, 1);
    std::printf("child=%d\n", static_cast<int>(pid));
  }
  std::exit(0);
}

// ---- BufferRefs name fields that exist.
std::string buffer_problems(const core::IoctlTable& t) {
  std::string out;
  for (const core::IoctlDesc& d : t.rows) {
    std::set<uint32_t> tags;
    for (const core::BufferRef& b : d.buffers) {
      const std::string where = std::string(d.name) + "." + std::string(b.name) + ": ";
      if (!tags.insert(b.tag).second) out += where + "duplicate tag\n";
      const core::ArgField* p = core::find_field(d, b.ptr_field);
      if (!p) out += where + "no pointer field " + std::string(b.ptr_field) + "\n";
      else if (p->size != 8) out += where + "pointer field is not 8 bytes\n";
      if (!b.count_field.empty() && !core::find_field(d, b.count_field))
        out += where + "no count field " + std::string(b.count_field) + "\n";
      if (!b.size_of && b.elem_size == 0 && !core::find_field(d, b.elem_size_field))
        out += where + "no element size\n";
      for (const core::ArgField& f : b.elem_fields)
        if (b.elem_size && f.offset + f.size > b.elem_size)
          out += where + "element field " + std::string(f.name) + " outside the element\n";
    }
  }
  return out;
}

TEST(SniffBuffers, EveryBufferRefNamesFieldsThatExist) {
  for (const core::IoctlTable* t : {&kfd::kfd_ioctls(), &nv::nv_ioctls(), &nv::rm_controls(),
                                    &nv::rm_classes(), &qcom::kgsl_ioctls()})
    EXPECT_EQ(buffer_problems(*t), "") << t->driver;
}

TEST(SniffBuffers, RowsThatPointAtUserMemoryHaveBuffers) {
  EXPECT_FALSE(kfd::kfd_ioctl(kfd::KfdIoctl::WAIT_EVENTS).buffers.empty());
  EXPECT_FALSE(kfd::kfd_ioctl(kfd::KfdIoctl::MAP_MEMORY_TO_GPU).buffers.empty());
  EXPECT_FALSE(nv::nv_ioctl(nv::NvIoctl::RM_CONTROL).buffers.empty());
  EXPECT_FALSE(nv::nv_ioctl(nv::NvIoctl::RM_ALLOC).buffers.empty());
  EXPECT_EQ(qcom::kgsl_ioctl(qcom::KgslIoctl::GPU_COMMAND).buffers.size(), 3u);
}

TEST(SniffBuffers, SpansFollowCountsSizesAndClasses) {
  qcom::kgsl_gpu_command c{};
  c.cmdlist = 0x1000;
  c.cmdsize = sizeof(qcom::kgsl_command_object);
  c.numcmds = 3;
  const core::IoctlDesc& gc = qcom::kgsl_ioctl(qcom::KgslIoctl::GPU_COMMAND);
  auto s = core::buffer_span(gc, gc.buffers[0],
                             {reinterpret_cast<const uint8_t*>(&c), sizeof c});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->address, 0x1000u);
  EXPECT_EQ(s->bytes, 96u);
  EXPECT_EQ(core::buffer_span(gc, gc.buffers[1], {reinterpret_cast<const uint8_t*>(&c), sizeof c})
                ->bytes,
            0u);  // objlist NULL

  nv::NVOS21_PARAMETERS a{};
  a.hClass = nv::AMPERE_CHANNEL_GPFIFO_A;
  a.pAllocParms = 0x2000;
  a.paramsSize = 1;  // ignored by RM: the class's size counts
  const core::IoctlDesc& ra = nv::nv_ioctl(nv::NvIoctl::RM_ALLOC);
  s = core::buffer_span(ra, ra.buffers[0], {reinterpret_cast<const uint8_t*>(&a), sizeof a});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->bytes, nv::find_versioned(nv::rm_classes(), a.hClass)->size);
  a.hClass = 0xBEEF;  // unknown class: paramsSize
  a.paramsSize = 12;
  EXPECT_EQ(core::buffer_span(ra, ra.buffers[0], {reinterpret_cast<const uint8_t*>(&a), sizeof a})
                ->bytes,
            12u);
}

// ---- End to end.

#ifdef RAWGPU_SIM_PRELOAD_PATH
namespace fs = std::filesystem;

std::string tmp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("rawgpu-sniff-test-" + std::to_string(getpid()) + "-" + name))
      .string();
}

struct RunResult {
  int status = -1;
  std::string out;
};
RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

std::string env_prefix(bool sniff_first) {
  std::string asan;
  if (const char* a = std::getenv("ASAN_OPTIONS"); a && *a) asan = std::string(a) + ":";
  std::string e = "ASAN_OPTIONS=" + asan + "verify_asan_link_order=0 ";
  e += "LD_PRELOAD='";
  if (sniff_first) e += std::string(RAWGPU_SNIFF_LIB_PATH) + " ";
  e += std::string(RAWGPU_SIM_PRELOAD_PATH) + "' ";
  return e;
}

std::map<uint32_t, int> count_records(const std::string& path, bool* ended = nullptr) {
  std::map<uint32_t, int> n;
  auto r = trace::TraceReader::open_file(path);
  EXPECT_TRUE(r.ok()) << path << ": " << (r.ok() ? "" : r.error().message());
  if (!r.ok()) return n;
  while (true) {
    auto v = r->next();
    EXPECT_TRUE(v.ok());
    if (!v.ok() || !v->has_value()) break;
    ++n[(*v)->type];
  }
  if (ended) *ended = r->ended();
  return n;
}

constexpr uint32_t T(trace::RecordType t) { return static_cast<uint32_t>(t); }

class SniffDemo : public ::testing::TestWithParam<const char*> {};

TEST_P(SniffDemo, RecordsWhatTheDriverDoes) {
  const std::string dev = GetParam();
  const std::string cli = RAWGPU_CLI;
  // Does the demo run on this preloaded simulator at all?
  const RunResult bare = run(env_prefix(false) + cli + " demo --device " + dev + " 2>&1");
  if (bare.status != 0) GTEST_SKIP() << dev << " does not run under librawgpu_sim.so: " << bare.out;
  const std::string t = tmp_path(std::string(dev).substr(0, std::string(dev).find(':')) + ".rgtrace");
  const RunResult r = run(env_prefix(false) + cli + " sniff -o " + t + " -- " + cli +
                          " demo --device " + dev + " 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("rawgpu sniff: "), std::string::npos) << r.out;
  bool ended = false;
  auto n = count_records(t, &ended);
  EXPECT_TRUE(ended);
  EXPECT_GT(n[T(trace::RecordType::kOpen)], 0);
  EXPECT_GT(n[T(trace::RecordType::kIoctl)], 10);
  EXPECT_GT(n[T(trace::RecordType::kMmap)], 0);
  EXPECT_GT(n[T(trace::RecordType::kSubmission)], 0);
  EXPECT_GT(n[T(trace::RecordType::kMemorySnapshot)], 0);
  if (dev != "qcom:0") {  // KGSL submits by ioctl: no doorbell
#if defined(__x86_64__)
    EXPECT_GT(n[T(trace::RecordType::kDoorbell)], 0);
#endif
  }
  fs::remove(t);
}
INSTANTIATE_TEST_SUITE_P(Sim, SniffDemo, ::testing::Values("amd:0", "nv:0", "qcom:0"),
                         [](const auto& p) {
                           std::string s = p.param;
                           return s.substr(0, s.find(':'));
                         });

TEST(SniffE2E, OutputIsUnchanged) {
  const std::string cli = RAWGPU_CLI;
  const std::string t = tmp_path("info.rgtrace");
  const RunResult bare = run(env_prefix(false) + cli + " info 2>/dev/null");
  const RunResult sniffed = run(env_prefix(true) + "RAWGPU_SNIFF_OUT=" + t + " " + cli +
                                " info 2>/dev/null");
  EXPECT_EQ(bare.status, sniffed.status);
  EXPECT_EQ(bare.out, sniffed.out);
  EXPECT_GT(count_records(t)[T(trace::RecordType::kOpen)], 0);
  fs::remove(t);
}

TEST(SniffE2E, KilledProcessLeavesAReadableTrace) {
  const std::string t = tmp_path("kill.rgtrace");
  const RunResult r = run(env_prefix(true) + "SNIFF_TEST_CHILD=kill RAWGPU_SNIFF_OUT=" + t + " " +
                          std::string(RAWGPU_SELF) + " 2>&1");
  ASSERT_TRUE(WIFSIGNALED(r.status) || WEXITSTATUS(r.status) != 0) << r.out;
  bool ended = true;
  auto n = count_records(t, &ended);
  EXPECT_FALSE(ended);
  EXPECT_EQ(n[T(trace::RecordType::kOpen)], 1);
  EXPECT_EQ(n[T(trace::RecordType::kIoctl)], 3);
  fs::remove(t);
}

TEST(SniffE2E, ForkedChildWritesItsOwnTrace) {
  const std::string t = tmp_path("fork.rgtrace");
  const RunResult r = run(env_prefix(true) + "SNIFF_TEST_CHILD=fork RAWGPU_SNIFF_OUT=" + t + " " +
                          std::string(RAWGPU_SELF));
  ASSERT_EQ(r.status, 0) << r.out;
  const auto at = r.out.find("child=");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string child = t + "." + std::to_string(std::stoi(r.out.substr(at + 6)));
  auto parent = count_records(t);
  EXPECT_EQ(parent[T(trace::RecordType::kIoctl)], 4);
  auto kid = count_records(child);
  EXPECT_EQ(kid[T(trace::RecordType::kIoctl)], 5);
  fs::remove(t);
  fs::remove(child);
}
#endif

}  // namespace
}  // namespace rawgpu

// librawgpu_sim.so (tools/preload): the unmodified `rawgpu` command, run as a child with the
// library preloaded, finds and drives the simulated drivers under the real-device names.
#include <dirent.h>
#include <fcntl.h>
#include <linux/kfd_ioctl.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ChildRun {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A private TMPDIR for the child: the library's temporary tree goes there and must be gone after.
fs::path child_tmp() {
  fs::path d = fs::temp_directory_path() / ("rawgpu_preload_sim_test_" + std::to_string(::getpid()));
  fs::create_directories(d / "tmp");
  return d;
}

// Runs argv with the environment of this process minus RAWGPU_*/LD_PRELOAD/TMPDIR, plus `env`.
// preload: LD_PRELOAD the library (and, in sanitizer builds, let ASan accept it).
ChildRun run(std::vector<std::string> argv_s, std::map<std::string, std::string> env, bool preload) {
  const fs::path dir = child_tmp();
  const std::string out_path = (dir / "stdout").string(), err_path = (dir / "stderr").string();
  env["TMPDIR"] = (dir / "tmp").string();
  if (preload) {
    env["LD_PRELOAD"] = RAWGPU_SIM_PRELOAD;
#if defined(__SANITIZE_ADDRESS__)
    const char* a = std::getenv("ASAN_OPTIONS");
    env["ASAN_OPTIONS"] = std::string(a && *a ? std::string(a) + ":" : "") + "verify_asan_link_order=0";
#endif
  }
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    std::string key(kv.substr(0, kv.find('=')));
    if (key.starts_with("RAWGPU_") || key == "LD_PRELOAD" || key == "TMPDIR" || env.count(key))
      continue;
    env_s.emplace_back(kv);
  }
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ChildRun r;
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = "posix_spawn " + argv_s[0] + " failed: " + std::to_string(rc);
    return r;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  // The library removes its temporary tree at exit.
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir / "tmp")) left.push_back(e.path().string());
  if (!left.empty()) r.err += "\n[test] left behind in TMPDIR: " + left.front();
  fs::remove_all(dir);
  return r;
}

ChildRun cli(std::vector<std::string> args, std::map<std::string, std::string> env = {},
        bool preload = true) {
  args.insert(args.begin(), RAWGPU_CLI);
  return run(std::move(args), std::move(env), preload);
}

// Small sizes: the simulators run the kernels on the host.
ChildRun demo(const std::string& device, std::map<std::string, std::string> env = {}) {
  return cli({"demo", "--device", device, "--json", "--copy-mib", "4", "--saxpy-n", "65536",
              "--dispatches", "50", "--timeout-ms", "20000"},
             std::move(env));
}

void expect_demo_passes(const std::string& device, const std::string& backend) {
  const ChildRun r = demo(device);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["device"]["name"], device);
  EXPECT_EQ(j["device"]["backend"], backend);
  EXPECT_EQ(j["device"]["simulated"], true) << "the real-device name runs sim kernels";
  EXPECT_EQ(j["ok"], true) << r.out;
  ASSERT_EQ(j["checks"].size(), 3u);
  for (const auto& c : j["checks"]) EXPECT_EQ(c["ok"], true) << c.dump();
  EXPECT_EQ(r.err.find("[test] left behind"), std::string::npos) << r.err;
}

std::vector<std::string> info_devices(const ChildRun& r) {
  const json j = json::parse(r.out);
  return j["devices"].get<std::vector<std::string>>();
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(PreloadSim, DemoOnAmd0) { expect_demo_passes("amd:0", "kfd"); }
TEST(PreloadSim, DemoOnNv0) { expect_demo_passes("nv:0", "nv"); }
TEST(PreloadSim, DemoOnQcom0) { expect_demo_passes("qcom:0", "kgsl"); }
// The second profile of RAWGPU_SIM_AMD (gfx942 by default) is the second KFD GPU node.
TEST(PreloadSim, DemoOnAmd1) { expect_demo_passes("amd:1", "kfd"); }

TEST(PreloadSim, InfoListsTheSimulatedDevices) {
  const ChildRun r = cli({"info", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> d = info_devices(r);
  for (const char* n : {"amd:0", "amd:1", "nv:0", "nv:1", "qcom:0", "qcom:1"})
    EXPECT_TRUE(has(d, n)) << n << " missing from " << r.out;
  const json j = json::parse(r.out);
  EXPECT_FALSE(j["kfd"].is_null());
  EXPECT_FALSE(j["nvidia_driver"].is_null());
  EXPECT_FALSE(j["kgsl"].is_null());
}

TEST(PreloadSim, ProfilesComeFromTheSimVariables) {
  const ChildRun r = cli({"info", "--json"}, {{"RAWGPU_SIM_AMD", "gfx942"}, {"RAWGPU_SIM_QCOM", "a660"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> d = info_devices(r);
  EXPECT_TRUE(has(d, "amd:0"));
  EXPECT_FALSE(has(d, "amd:1"));
  EXPECT_TRUE(has(d, "qcom:0"));
  EXPECT_FALSE(has(d, "qcom:1"));
  EXPECT_EQ(json::parse(r.out)["kgsl"]["gpu_model"], "Adreno660v2") << r.out;
}

TEST(PreloadSim, DisabledDriversAreAbsent) {
  const ChildRun r = cli({"info", "--json"}, {{"RAWGPU_PRELOAD_SIM", "nv"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> d = info_devices(r);
  EXPECT_TRUE(has(d, "nv:0"));
  EXPECT_FALSE(has(d, "amd:0")) << r.out;
  EXPECT_FALSE(has(d, "qcom:0")) << r.out;
  const ChildRun a = demo("amd:0", {{"RAWGPU_PRELOAD_SIM", "nv"}});
  EXPECT_NE(a.exit_code, 0);
  EXPECT_NE(a.err.find("no such device"), std::string::npos) << a.err;
}

TEST(PreloadSim, BadProfileIsAClearError) {
  const ChildRun r = cli({"info", "--json"}, {{"RAWGPU_SIM_AMD", "gfx9999"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("librawgpu_sim: cannot create the simulated AMD machine"), std::string::npos)
      << r.err;
  EXPECT_FALSE(has(info_devices(r), "amd:0"));
  EXPECT_TRUE(has(info_devices(r), "nv:0"));
}

TEST(PreloadSim, PlainProgramsAreUnchanged) {
  const ChildRun with = cli({"--help"});
  const ChildRun without = cli({"--help"}, {}, false);
  EXPECT_EQ(with.exit_code, without.exit_code);
  EXPECT_EQ(with.out, without.out);
  EXPECT_EQ(with.err, without.err);
#if !defined(__SANITIZE_ADDRESS__)  // a sanitized library cannot go into an unsanitized shell
  const std::vector<std::string> sh = {"/bin/sh", "-c", "echo hello; ls / | wc -l; cat /proc/self/comm"};
  const ChildRun s1 = run(sh, {}, true), s2 = run(sh, {}, false);
  EXPECT_EQ(s1.exit_code, 0) << s1.err;
  EXPECT_EQ(s1.out, s2.out);
  EXPECT_EQ(s1.err, s2.err);
#endif
}

// The hooks themselves, checked inside a child of this binary that runs with the library loaded
// (PreloadSimChild.* skip unless RAWGPU_PRELOAD_SIM_TEST_CHILD is set).
TEST(PreloadSim, HooksInAChild) {
  char self[4096] = {};
  ASSERT_GT(::readlink("/proc/self/exe", self, sizeof self - 1), 0);
  const ChildRun r = run({self, "--gtest_filter=PreloadSimChild.*"},
                         {{"RAWGPU_PRELOAD_SIM_TEST_CHILD", "1"}, {"RAWGPU_PRELOAD_SIM", "amd"}},
                         true);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("[  PASSED  ] 3 tests"), std::string::npos) << r.out;
}

class PreloadSimChild : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("RAWGPU_PRELOAD_SIM_TEST_CHILD") == nullptr)
      GTEST_SKIP() << "runs inside PreloadSim.HooksInAChild";
  }
};

int kfd_version(int fd) {
  kfd_ioctl_get_version_args v{};
  return ::ioctl(fd, AMDKFD_IOC_GET_VERSION, &v) == 0 ? static_cast<int>(v.major_version) : -errno;
}

TEST_F(PreloadSimChild, PlaceholderFdsFollowDupAndClose) {
  const int fd = ::open("/dev/kfd", O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  EXPECT_LT(fd, 0x4000) << "a real fd number, not the simulator's";
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(kfd_version(fd), 1);
  const int d = ::dup(fd);
  ASSERT_GE(d, 0);
  EXPECT_EQ(::close(fd), 0);
  EXPECT_EQ(kfd_version(d), 1) << "the dup keeps the simulated file open";
  const int d2 = ::fcntl(d, F_DUPFD_CLOEXEC, 100);
  ASSERT_GE(d2, 100);
  EXPECT_EQ(kfd_version(d2), 1);
  ASSERT_EQ(::dup2(d, 200), 200);
  EXPECT_EQ(kfd_version(200), 1);
  // ACQUIRE_VM carries an fd: its argument is copied in, so a bad pointer is EFAULT, not a crash.
  EXPECT_EQ(::ioctl(d, AMDKFD_IOC_ACQUIRE_VM, reinterpret_cast<void*>(8)), -1);
  EXPECT_EQ(errno, EFAULT);
  for (int x : {d, d2, 200}) EXPECT_EQ(::close(x), 0);
  EXPECT_EQ(kfd_version(d), -EBADF);
  // A host file that gets a recycled number is the host's.
  const int n = ::open("/dev/null", O_RDWR);
  ASSERT_GE(n, 0);
  EXPECT_EQ(kfd_version(n), -ENOTTY);
  ::close(n);
}

TEST_F(PreloadSimChild, FopenAndFcloseOfANode) {
  FILE* f = std::fopen("/dev/kfd", "r+e");
  ASSERT_NE(f, nullptr) << std::strerror(errno);
  const int fd = ::fileno(f);
  EXPECT_EQ(kfd_version(fd), 1);
  std::fclose(f);
  const int n = ::open("/dev/null", O_RDWR);
  ASSERT_GE(n, 0);
  EXPECT_EQ(kfd_version(n), -ENOTTY);
  ::close(n);
}

TEST_F(PreloadSimChild, DriverFilesReadNatively) {
  const std::string topo = "/sys/devices/virtual/kfd/kfd/topology";
  struct stat st {};
  EXPECT_EQ(::stat("/dev/kfd", &st), 0);
  EXPECT_EQ(::access((topo + "/nodes/1/gpu_id").c_str(), R_OK), 0);
  EXPECT_EQ(::stat("/dev/nvidiactl", &st), -1) << "RAWGPU_PRELOAD_SIM=amd serves only KFD";
  std::ifstream in("/sys/devices/virtual/kfd/kfd/../kfd//topology/./nodes/1/name");
  std::string name;
  in >> name;
  EXPECT_EQ(name, "gfx1100");
  std::vector<std::string> nodes, dev;
  if (DIR* d = ::opendir((topo + "/nodes").c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') nodes.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(nodes.begin(), nodes.end());
  EXPECT_EQ(nodes, (std::vector<std::string>{"0", "1", "2"}));
  if (DIR* d = ::opendir("/dev")) {
    while (dirent* e = ::readdir(d)) dev.emplace_back(e->d_name);
    ::closedir(d);
  }
  EXPECT_TRUE(has(dev, "kfd"));
  EXPECT_TRUE(has(dev, "null")) << "the host's entries stay listed";
  EXPECT_TRUE(fs::exists("/dev/dri/renderD128"));
}

}  // namespace

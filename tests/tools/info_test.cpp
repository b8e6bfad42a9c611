// `rawgpu info`, run as a separate process (RAWGPU_CLI), against the checked-in fake machines
// (tests/data/gpu-box, tests/data/adreno-box), an empty machine, and this machine.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kData = std::string(RAWGPU_TEST_SOURCE_DIR) + "/data";
const std::string kBox = kData + "/gpu-box";

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `rawgpu <args...>` with stdout and stderr captured to files.
CliRun run_cli(const std::vector<std::string>& args) {
  const fs::path dir =
      fs::temp_directory_path() / ("rawgpu_info_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out_path = (dir / "stdout").string(), err_path = (dir / "stderr").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_s = {RAWGPU_CLI};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  CliRun r;
  int rc = posix_spawn(&pid, RAWGPU_CLI, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = "posix_spawn failed: " + std::to_string(rc);
    return r;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  fs::remove_all(dir);
  return r;
}

std::vector<std::string> box_args(const std::string& box, bool json_out) {
  std::vector<std::string> a = {"info",        "--sys-root", box + "/sys",
                                "--dev-root",  box + "/dev", "--proc-root",
                                box + "/proc", "--pci-ids",  kBox + "/pci.ids"};
  if (json_out) a.push_back("--json");
  return a;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// The documented top-level shape (docs/info-json.md) with the right types.
void expect_documented_shape(const json& j) {
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("schema"), "rawgpu-info/1");
  EXPECT_TRUE(j.at("gpu_found").is_boolean());
  for (const char* k : {"gpus", "other_display", "driver_nodes", "devices", "warnings"})
    EXPECT_TRUE(j.at(k).is_array()) << k;
  for (const char* k : {"nvidia_driver", "kfd", "kgsl"})
    EXPECT_TRUE(j.at(k).is_null() || j.at(k).is_object()) << k;
  for (const json& g : j.at("gpus")) {
    for (const char* k : {"address", "vendor_id", "device_id", "class", "revision"})
      EXPECT_TRUE(g.at(k).is_string()) << k;
    for (const char* k : {"vendor", "name", "class_name", "subsystem", "driver"})
      EXPECT_TRUE(g.at(k).is_string() || g.at(k).is_null()) << k;
  }
  for (const json& n : j.at("driver_nodes")) {
    EXPECT_TRUE(n.at("path").is_string());
    EXPECT_TRUE(n.at("kind").is_string());
    EXPECT_TRUE(n.at("can_open").is_boolean());
    EXPECT_TRUE(n.at("error").is_null() || n.at("error").is_string());
  }
  for (const json& d : j.at("devices")) EXPECT_TRUE(d.is_string());
  for (const json& w : j.at("warnings")) EXPECT_TRUE(w.is_string());
}

constexpr const char* kNoGpu =
    "No GPU found: no AMD, NVIDIA or Qualcomm GPU on the PCI bus and no GPU driver nodes "
    "(/dev/kfd, /dev/nvidia*, /dev/kgsl-3d0).";

TEST(Info, GpuBoxHuman) {
  CliRun r = run_cli(box_args(kBox, false));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string& o = r.out;
  EXPECT_FALSE(contains(o, "No GPU found"));
  EXPECT_TRUE(o.starts_with("GPUs\n")) << o;
  EXPECT_TRUE(contains(o,
                       "  0000:41:00.0  NVIDIA Corporation GH100 [H200 SXM 141GB] [10de:2335] "
                       "rev a1, 3D controller, driver nvidia\n"))
      << o;
  EXPECT_TRUE(contains(o, "0000:03:00.0  Advanced Micro Devices, Inc. [AMD/ATI] Navi 31"));
  EXPECT_TRUE(contains(o, "[1002:744c] rev c8, VGA compatible controller, driver amdgpu\n"));
  EXPECT_TRUE(contains(o, "Other display controllers"));
  EXPECT_TRUE(contains(o, "QEMU Virtual Video Controller [1234:1111]"));
  EXPECT_TRUE(contains(o, "\nDriver nodes\n"));
  EXPECT_TRUE(contains(o, "/dev/kfd"));
  EXPECT_TRUE(contains(o, "/dev/dri/renderD128"));
  EXPECT_TRUE(contains(o, "nvidia-uvm  can open"));
  EXPECT_FALSE(contains(o, "nvidia-modeset"));
  EXPECT_TRUE(contains(o, "\nNVIDIA driver\n  580.65.06 (open kernel module)\n")) << o;
  EXPECT_TRUE(contains(o, "\nKFD topology (generation 3, 1 CPU node(s), 2 GPU node(s))\n")) << o;
  EXPECT_TRUE(contains(o,
                       "  node 1  gfx1100  96 CUs  24.0 GiB VRAM  renderD128  num_xcc 1  "
                       "wave32  gpu_id 45423\n"))
      << o;
  EXPECT_TRUE(contains(o,
                       "  node 2  gfx942  304 CUs  191.7 GiB VRAM  renderD129  num_xcc 8  "
                       "wave64  gpu_id 7788\n"))
      << o;
  EXPECT_FALSE(contains(o, "Qualcomm KGSL"));
  EXPECT_TRUE(o.ends_with("Devices rawgpu can open: amd:0 amd:1 nv:0\n")) << o;
}

TEST(Info, GpuBoxJson) {
  CliRun r = run_cli(box_args(kBox, true));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  json j = json::parse(r.out);  // throws (test fails) on invalid JSON
  expect_documented_shape(j);
  EXPECT_TRUE(j["gpu_found"].get<bool>());
  ASSERT_EQ(j["gpus"].size(), 3u);
  const json& h200 = j["gpus"][1];
  EXPECT_EQ(h200["address"], "0000:41:00.0");
  EXPECT_EQ(h200["vendor_id"], "0x10de");
  EXPECT_EQ(h200["device_id"], "0x2335");
  EXPECT_EQ(h200["vendor"], "NVIDIA Corporation");
  EXPECT_EQ(h200["name"], "GH100 [H200 SXM 141GB]");
  EXPECT_EQ(h200["class"], "0x030200");
  EXPECT_EQ(h200["class_name"], "3D controller");
  EXPECT_EQ(h200["revision"], "0xa1");
  EXPECT_EQ(h200["subsystem"], "0x10de:0x18be");
  EXPECT_EQ(h200["driver"], "nvidia");
  EXPECT_EQ(j["gpus"][2]["class"], "0x120000");
  ASSERT_EQ(j["other_display"].size(), 1u);
  EXPECT_EQ(j["other_display"][0]["vendor_id"], "0x1234");

  ASSERT_EQ(j["driver_nodes"].size(), 7u);
  EXPECT_EQ(j["driver_nodes"][0]["path"], kBox + "/dev/kfd");
  EXPECT_EQ(j["driver_nodes"][0]["kind"], "kfd");
  EXPECT_EQ(j["driver_nodes"][0]["can_open"], true);
  EXPECT_TRUE(j["driver_nodes"][0]["error"].is_null());

  EXPECT_EQ(j["nvidia_driver"]["version"], "580.65.06");
  EXPECT_EQ(j["nvidia_driver"]["open_kernel_module"], true);
  EXPECT_TRUE(j["nvidia_driver"]["banner"].get<std::string>().starts_with("NVRM version:"));

  const json& kfd = j["kfd"];
  EXPECT_EQ(kfd["generation_id"], 3);
  ASSERT_EQ(kfd["nodes"].size(), 3u);
  EXPECT_TRUE(kfd["skipped"].is_array());
  EXPECT_EQ(kfd["nodes"][0]["gpu_id"], 0);
  EXPECT_TRUE(kfd["nodes"][0]["gfx"].is_null());  // CPU node
  const json& mi300 = kfd["nodes"][2];
  EXPECT_EQ(mi300["index"], 2);
  EXPECT_EQ(mi300["gpu_id"], 7788);
  EXPECT_EQ(mi300["name"], "ip discovery");
  EXPECT_EQ(mi300["gfx_target_version"], 90402);
  EXPECT_EQ(mi300["gfx"], "gfx942");
  EXPECT_EQ(mi300["compute_units"], 304);
  EXPECT_EQ(mi300["simd_count"], 1216);
  EXPECT_EQ(mi300["num_xcc"], 8);
  EXPECT_EQ(mi300["wave_front_size"], 64);
  EXPECT_EQ(mi300["drm_render_minor"], 129);
  EXPECT_EQ(mi300["vram_bytes"], 205822885888ull);
  ASSERT_TRUE(mi300["properties"].is_object());
  EXPECT_EQ(mi300["properties"]["cwsr_size"], 0x3a8000);
  EXPECT_EQ(mi300["properties"]["unique_id"].get<uint64_t>(), 12354018434576617023ull);

  EXPECT_TRUE(j["kgsl"].is_null());
  EXPECT_EQ(j["devices"], json({"amd:0", "amd:1", "nv:0"}));
  EXPECT_TRUE(j["warnings"].empty());
}

TEST(Info, AdrenoBox) {
  CliRun r = run_cli(box_args(kData + "/adreno-box", false));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "\nQualcomm KGSL\n  Adreno630v2\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "/dev/kgsl-3d0"));
  EXPECT_TRUE(r.out.ends_with("Devices rawgpu can open: qcom:0\n")) << r.out;

  CliRun js = run_cli(box_args(kData + "/adreno-box", true));
  ASSERT_EQ(js.exit_code, 0) << js.err;
  json j = json::parse(js.out);
  expect_documented_shape(j);
  EXPECT_EQ(j["kgsl"]["gpu_model"], "Adreno630v2");
  EXPECT_EQ(j["devices"], json({"qcom:0"}));
}

TEST(Info, EmptyMachineSaysNoGpuAndExitsZero) {
  const std::string none = kData + "/no-such-machine";
  CliRun r = run_cli(box_args(none, false));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kNoGpu) + "\n");
  EXPECT_EQ(r.err, "");

  CliRun js = run_cli(box_args(none, true));
  ASSERT_EQ(js.exit_code, 0) << js.err;
  json j = json::parse(js.out);
  expect_documented_shape(j);
  EXPECT_FALSE(j["gpu_found"].get<bool>());
  EXPECT_TRUE(j["gpus"].empty());
  EXPECT_TRUE(j["driver_nodes"].empty());
  EXPECT_TRUE(j["nvidia_driver"].is_null());
  EXPECT_TRUE(j["kfd"].is_null());
  EXPECT_TRUE(j["kgsl"].is_null());
  EXPECT_TRUE(j["devices"].empty());
}

TEST(Info, ThisMachine) {
  // Whatever this machine has, both forms exit 0, --json follows the documented shape, and the
  // human form agrees with it about whether there is a GPU.
  CliRun js = run_cli({"info", "--json"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  json j = json::parse(js.out);
  expect_documented_shape(j);

  CliRun r = run_cli({"info"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (!j["gpu_found"].get<bool>()) {
    EXPECT_TRUE(r.out.starts_with(std::string(kNoGpu) + "\n")) << r.out;
    EXPECT_TRUE(j["devices"].empty());
  } else {
    EXPECT_FALSE(contains(r.out, "No GPU found")) << r.out;
    EXPECT_TRUE(contains(r.out, "Devices rawgpu can open:")) << r.out;
  }
}

TEST(Info, WarningsGoToStderrOrIntoJson) {
  const fs::path root =
      fs::temp_directory_path() / ("rawgpu_info_warn_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "proc/driver/nvidia");
  std::ofstream(root / "proc/driver/nvidia/version") << "not a version file\n";
  std::vector<std::string> args = {"info",
                                   "--sys-root",
                                   (root / "sys").string(),
                                   "--dev-root",
                                   (root / "dev").string(),
                                   "--proc-root",
                                   (root / "proc").string()};
  CliRun r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with(kNoGpu)) << r.out;
  EXPECT_FALSE(contains(r.out, "warning"));
  EXPECT_TRUE(r.err.starts_with("warning: ")) << r.err;
  EXPECT_TRUE(contains(r.err, "driver/nvidia/version")) << r.err;

  args.push_back("--json");
  CliRun js = run_cli(args);
  ASSERT_EQ(js.exit_code, 0) << js.err;
  EXPECT_EQ(js.err, "");
  json j = json::parse(js.out);
  expect_documented_shape(j);
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_TRUE(contains(j["warnings"][0].get<std::string>(), "driver/nvidia/version"));
  fs::remove_all(root);
}

TEST(Info, JsonStaysValidWithNonUtf8Input) {
  const fs::path root =
      fs::temp_directory_path() / ("rawgpu_info_utf8_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "proc/driver/nvidia");
  const std::vector<std::string> args = {"info",        "--json",
                                         "--sys-root",  (root / "sys").string(),
                                         "--dev-root",  (root / "dev").string(),
                                         "--proc-root", (root / "proc").string()};
  // A parsable banner with a stray byte, then an unparsable one quoted in a warning.
  for (const char* text : {"NVRM version: NVIDIA UNIX \xff\xfe Kernel Module  535.104.05\n",
                           "\xc3\x28 garbage \xff\n"}) {
    std::ofstream(root / "proc/driver/nvidia/version", std::ios::binary) << text;
    CliRun r = run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out);
    expect_documented_shape(j);
    EXPECT_TRUE(j["nvidia_driver"].is_object() || j["warnings"].size() == 1u) << r.out;
  }
  fs::remove_all(root);
}

TEST(Info, BadOptionsExitNonZeroWithCli11Message) {
  CliRun r = run_cli({"info", "--bogus"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "--bogus")) << r.err;
  EXPECT_EQ(r.out, "");

  CliRun missing = run_cli({"info", "--sys-root"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(contains(missing.err, "--sys-root")) << missing.err;

  CliRun none = run_cli({});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_TRUE(contains(none.err, "subcommand")) << none.err;
}

TEST(Info, HelpListsTheOptions) {
  CliRun r = run_cli({"info", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* opt : {"--json", "--sys-root", "--dev-root", "--proc-root", "--pci-ids"})
    EXPECT_TRUE(contains(r.out, opt)) << opt << "\n" << r.out;
  EXPECT_TRUE(contains(r.out, "Testing")) << r.out;
}

}  // namespace

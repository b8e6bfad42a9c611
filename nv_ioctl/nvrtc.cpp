#include "nv_ioctl/nvrtc.h"

#include <dlfcn.h>

#include <cstdlib>
#include <iterator>
#include <optional>
#include <type_traits>

#include "nv_ioctl/loader.h"

namespace rawgpu::nv {
namespace {

using core::Error;

// The NVRTC C API we call (NVIDIA "NVRTC" user guide, nvrtc.h): declared here so that no CUDA
// header is needed to build rawgpu.
using nvrtcResult = int;
struct _nvrtcProgram;
using nvrtcProgram = _nvrtcProgram*;
constexpr nvrtcResult NVRTC_SUCCESS = 0;
constexpr nvrtcResult NVRTC_ERROR_COMPILATION = 6;

using PfnVersion = nvrtcResult (*)(int* major, int* minor);
using PfnCreateProgram = nvrtcResult (*)(nvrtcProgram* prog, const char* src, const char* name,
                                         int num_headers, const char* const* headers,
                                         const char* const* include_names);
using PfnCompileProgram = nvrtcResult (*)(nvrtcProgram prog, int num_options,
                                          const char* const* options);
using PfnGetCUBINSize = nvrtcResult (*)(nvrtcProgram prog, size_t* size);
using PfnGetCUBIN = nvrtcResult (*)(nvrtcProgram prog, char* cubin);
using PfnGetProgramLogSize = nvrtcResult (*)(nvrtcProgram prog, size_t* size);
using PfnGetProgramLog = nvrtcResult (*)(nvrtcProgram prog, char* log);
using PfnDestroyProgram = nvrtcResult (*)(nvrtcProgram* prog);
using PfnGetErrorString = const char* (*)(nvrtcResult result);

// nvrtcResult names (nvrtc.h), for when nvrtcGetErrorString is missing.
const char* result_name(nvrtcResult r) {
  static const char* const kNames[] = {
      "NVRTC_SUCCESS",
      "NVRTC_ERROR_OUT_OF_MEMORY",
      "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
      "NVRTC_ERROR_INVALID_INPUT",
      "NVRTC_ERROR_INVALID_PROGRAM",
      "NVRTC_ERROR_INVALID_OPTION",
      "NVRTC_ERROR_COMPILATION",
      "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
      "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
      "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
      "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID",
      "NVRTC_ERROR_INTERNAL_ERROR",
  };
  return r >= 0 && static_cast<size_t>(r) < std::size(kNames) ? kNames[r] : "NVRTC_ERROR_???";
}

// A program destroyed on every path out of compile().
class Program {
 public:
  explicit Program(PfnDestroyProgram destroy) : destroy_(destroy) {}
  ~Program() {
    if (prog_) destroy_(&prog_);
  }
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  nvrtcProgram* out() { return &prog_; }
  nvrtcProgram get() const { return prog_; }

 private:
  PfnDestroyProgram destroy_;
  nvrtcProgram prog_ = nullptr;
};

}  // namespace

struct Nvrtc::Api {
  PfnVersion version = nullptr;
  PfnCreateProgram create_program = nullptr;
  PfnCompileProgram compile_program = nullptr;
  PfnGetCUBINSize get_cubin_size = nullptr;
  PfnGetCUBIN get_cubin = nullptr;
  PfnGetProgramLogSize get_program_log_size = nullptr;
  PfnGetProgramLog get_program_log = nullptr;
  PfnDestroyProgram destroy_program = nullptr;
  PfnGetErrorString get_error_string = nullptr;  // optional

  std::string name(nvrtcResult r) const {
    if (get_error_string)
      if (const char* s = get_error_string(r)) return s;
    return result_name(r);
  }
};

std::vector<std::string> Nvrtc::default_candidates() {
  if (const char* env = std::getenv("RAWGPU_NVRTC"); env && *env) return {env};
  std::vector<std::string> out = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"};
  if (const char* cuda = std::getenv("CUDA_PATH"); cuda && *cuda)
    out.push_back(std::string(cuda) + "/lib64/libnvrtc.so");
  out.push_back("/usr/local/cuda/lib64/libnvrtc.so");  // the CUDA toolkit's default location
  return out;
}

core::Result<std::unique_ptr<Nvrtc>> Nvrtc::load(std::span<const std::string> candidates) {
  std::string tried;
  for (const std::string& path : candidates) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!tried.empty()) tried += "; ";
    if (!h) {
      const char* why = dlerror();
      tried += why ? why : path + ": dlopen failed";
      continue;
    }
    auto api = std::make_shared<Api>();
    bool complete = true;
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
      if (!fn) {
        complete = false;
        tried += path + ": no " + name + " ";
      }
    };
    sym(api->version, "nvrtcVersion");
    sym(api->create_program, "nvrtcCreateProgram");
    sym(api->compile_program, "nvrtcCompileProgram");
    sym(api->get_cubin_size, "nvrtcGetCUBINSize");
    sym(api->get_cubin, "nvrtcGetCUBIN");
    sym(api->get_program_log_size, "nvrtcGetProgramLogSize");
    sym(api->get_program_log, "nvrtcGetProgramLog");
    sym(api->destroy_program, "nvrtcDestroyProgram");
    api->get_error_string = reinterpret_cast<PfnGetErrorString>(dlsym(h, "nvrtcGetErrorString"));
    if (!complete) continue;  // not an NVRTC we can use (the handle stays open, harmlessly)
    std::unique_ptr<Nvrtc> n(new Nvrtc());
    n->path_ = path;
    if (const nvrtcResult r = api->version(&n->major_, &n->minor_); r != NVRTC_SUCCESS)
      return Error::driver("nvrtcVersion", r, api->name(r),
                           "libnvrtc at " + path + " does not work");
    n->api_ = std::move(api);
    return n;
  }
  return Error::unsupported("load NVRTC", "libnvrtc not found (" + tried +
                                              "); install the CUDA toolkit or set "
                                              "RAWGPU_NVRTC=/path/to/libnvrtc.so");
}

core::Result<const Nvrtc*> Nvrtc::shared() {
  static const core::Result<std::unique_ptr<Nvrtc>> loaded = load(default_candidates());
  if (!loaded.ok()) return loaded.error();
  return static_cast<const Nvrtc*>(loaded.value().get());
}

core::Result<std::vector<uint8_t>> Nvrtc::compile(std::string_view source, std::string_view name,
                                                  std::string_view arch,
                                                  std::span<const std::string> options) const {
  const std::string op = "nvrtc compile " + std::string(name);
  if (!sm_from_name(arch))
    return Error::invalid(op, "architecture '" + std::string(arch) +
                                  "' is not sm_XX; cubins need a real architecture such as sm_90, "
                                  "not a virtual compute_XX");
  const std::string src(source), prog_name(name.empty() ? "source.cu" : name);
  Program prog(api_->destroy_program);
  if (const nvrtcResult r =
          api_->create_program(prog.out(), src.c_str(), prog_name.c_str(), 0, nullptr, nullptr);
      r != NVRTC_SUCCESS)
    return Error::driver("nvrtcCreateProgram " + prog_name, r, api_->name(r),
                         "NVRTC could not create the program");
  std::vector<std::string> opts = {"--gpu-architecture=" + std::string(arch)};
  opts.insert(opts.end(), options.begin(), options.end());
  std::vector<const char*> argv;
  for (const std::string& o : opts) argv.push_back(o.c_str());
  const nvrtcResult cr =
      api_->compile_program(prog.get(), static_cast<int>(argv.size()), argv.data());

  std::string log;
  size_t log_size = 0;
  if (api_->get_program_log_size(prog.get(), &log_size) == NVRTC_SUCCESS && log_size > 1) {
    log.assign(log_size, '\0');
    if (api_->get_program_log(prog.get(), log.data()) == NVRTC_SUCCESS)
      log.resize(log.find('\0') == std::string::npos ? log.size() : log.find('\0'));
    else
      log.clear();
  }
  if (cr != NVRTC_SUCCESS) {
    std::string hint = log.empty() ? "NVRTC gave no log" : log;
    while (!hint.empty() && (hint.back() == '\n' || hint.back() == '\r')) hint.pop_back();
    if (cr == NVRTC_ERROR_COMPILATION)
      return Error(core::ErrorKind::kInvalidInput, "nvrtcCompileProgram " + prog_name, 0, cr,
                   api_->name(cr), hint);
    return Error::driver("nvrtcCompileProgram " + prog_name, cr, api_->name(cr), hint);
  }
  size_t size = 0;
  if (const nvrtcResult r = api_->get_cubin_size(prog.get(), &size);
      r != NVRTC_SUCCESS || size == 0)
    return Error::driver("nvrtcGetCUBINSize " + prog_name, r, api_->name(r),
                         "NVRTC produced no cubin; is '" + std::string(arch) + "' a real SM?");
  std::vector<uint8_t> cubin(size);
  if (const nvrtcResult r = api_->get_cubin(prog.get(), reinterpret_cast<char*>(cubin.data()));
      r != NVRTC_SUCCESS)
    return Error::driver("nvrtcGetCUBIN " + prog_name, r, api_->name(r),
                         "NVRTC could not return the cubin");
  return cubin;
}

core::Result<std::vector<uint8_t>> compile_cuda(std::string_view source, std::string_view name,
                                                std::string_view arch,
                                                std::span<const std::string> options) {
  RAWGPU_ASSIGN(const Nvrtc* nvrtc, Nvrtc::shared());
  return nvrtc->compile(source, name, arch, options);
}

}  // namespace rawgpu::nv
